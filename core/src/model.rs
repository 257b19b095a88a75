//! The in-memory model of an organisation: every canonical event (latest version per key) and
//! the facts derived from them, kept current incrementally.
//!
//! - [`Org::apply`] upserts events by [`Event::key`] and re-derives only what they affect (see
//!   `derive.rs` for the rules and the incremental algorithm).
//! - The read methods ([`Org::dora`], [`Org::deployments`], …) only filter and aggregate
//!   precomputed facts.
//!
//! Storage is compact where volume is: commits live in per-repository graphs with shas
//! interned to `u32` ids (`graph.rs`); deployments, incidents and pull requests are kept as
//! events plus small derived records.

use crate::api::{
    Attribution, ChangeRow, DeploymentDetail, DeploymentQuery, DeploymentRow, DoraQuery,
    DoraReport, IncidentQuery, IncidentRow, Page, ServiceRow, TeamRow,
};
use crate::derive::Dirty;
use crate::events::{
    ChangeType, Deployment, DeploymentStatus, EnvironmentTier, Event, Incident, PipelineRun,
    PullRequest, Service, Team,
};
use crate::graph::{FxMap, Interner, Repo, NONE};
use crate::index::{IncidentIndex, TierIndex};
use crate::time::{Timestamp, DAY_MS};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// How the model derives facts. Changing settings means building a new [`Org`].
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// How long after a production deployment an incident of its service is attributed to it
    /// (when the incident names no deployment). Default 7 days.
    pub incident_window_ms: i64,
    /// Exact environment name → tier overrides, checked before
    /// [`EnvironmentTier::from_environment_name`].
    pub environment_tiers: Vec<(String, EnvironmentTier)>,
    /// Zone for day/week/month buckets when a query names none. Default UTC.
    pub time_zone: chrono_tz::Tz,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            incident_window_ms: 7 * DAY_MS,
            environment_tiers: Vec::new(),
            time_zone: chrono_tz::UTC,
        }
    }
}

impl Settings {
    /// The tier of a deployment: its own `environment_tier`, else the configured override for
    /// its environment name, else GitLab's default mapping.
    pub fn tier_of(&self, d: &Deployment) -> EnvironmentTier {
        if let Some(t) = d.environment_tier {
            return t;
        }
        self.environment_tiers
            .iter()
            .find(|(name, _)| *name == d.environment)
            .map(|(_, t)| *t)
            .unwrap_or_else(|| EnvironmentTier::from_environment_name(&d.environment))
    }
}

/// Index of a tier in per-tier arrays.
pub(crate) fn tier_index(t: EnvironmentTier) -> usize {
    match t {
        EnvironmentTier::Production => 0,
        EnvironmentTier::Staging => 1,
        EnvironmentTier::Testing => 2,
        EnvironmentTier::Development => 3,
        EnvironmentTier::Other => 4,
    }
}

/// What was derived for one deployment.
#[derive(Debug, Clone, Default)]
pub(crate) struct DepFacts {
    /// Commit ids (in the chain's repository) first deployed by this deployment: the first
    /// `n_graph` from the graph walk, the rest from the pushed commit list.
    pub(crate) changes: Vec<u32>,
    pub(crate) n_graph: usize,
    pub(crate) incomplete: bool,
    /// Unknown commit ids the last walk met (registered in the repository's `waiting`).
    pub(crate) missing: Vec<u32>,
    pub(crate) missing_repo: u32,
    /// Non-negative lead times in ms per basis (commit, pull_request, merge); empty for a baseline.
    pub(crate) lead: [Vec<i64>; 3],
    /// Negative spans per basis (left out of `lead`).
    pub(crate) negative: [u32; 3],
    /// Median commit lead time of `lead[0]`, ms.
    pub(crate) median_commit_ms: Option<f64>,
    /// Incident slots attributed to this deployment, ordered by (id, source).
    pub(crate) incidents: Vec<u32>,
    pub(crate) failed: bool,
    pub(crate) reasons: Vec<String>,
    pub(crate) recovery_ms: Option<i64>,
    pub(crate) unplanned: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Dep {
    pub(crate) ev: Deployment,
    pub(crate) service: u32,
    pub(crate) tier: EnvironmentTier,
    /// The (service, tier) chain it is in: successful and finished only.
    pub(crate) chain: Option<u32>,
    /// The finish time it was sorted into its chain with.
    pub(crate) chain_fin: i64,
    /// Position in its chain (0 = baseline).
    pub(crate) pos: u32,
    pub(crate) d: DepFacts,
}

impl Dep {
    pub(crate) fn fin(&self) -> i64 {
        self.ev.finished_at.map_or(i64::MIN, |t| t.0)
    }
    pub(crate) fn is_success(&self) -> bool {
        self.ev.status == DeploymentStatus::Success && self.ev.finished_at.is_some()
    }
    pub(crate) fn is_baseline(&self) -> bool {
        self.chain.is_some() && self.pos == 0
    }
}

/// Chain order: finish time, then id, then source (deterministic whatever the arrival order).
pub(crate) fn dep_order(a: &Dep, b: &Dep) -> Ordering {
    a.chain_fin
        .cmp(&b.chain_fin)
        .then_with(|| a.ev.id.cmp(&b.ev.id))
        .then_with(|| a.ev.source.cmp(&b.ev.source))
}

/// List order: in progress (not finished) first, newest started first; then newest finished;
/// then id and source.
pub(crate) fn list_order(a: &Dep, b: &Dep) -> Ordering {
    let (a, b) = (&a.ev, &b.ev);
    a.finished_at
        .is_some()
        .cmp(&b.finished_at.is_some())
        .then_with(|| b.finished_at.cmp(&a.finished_at))
        .then_with(|| b.started_at.cmp(&a.started_at))
        .then_with(|| a.id.cmp(&b.id))
        .then_with(|| a.source.cmp(&b.source))
}

/// Merges two lists sorted by `order` into one.
pub(crate) fn merge_sorted<T: Copy>(
    a: Vec<T>,
    b: Vec<T>,
    order: impl Fn(&T, &T) -> Ordering,
) -> Vec<T> {
    if b.is_empty() {
        return a;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if order(&a[i], &b[j]).is_le() {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// The successful deployments of one (service, tier), in finish order, and which commits
/// of the service's repository each one first deployed.
#[derive(Debug, Clone)]
pub(crate) struct Chain {
    pub(crate) repo: Option<u32>,
    pub(crate) deps: Vec<u32>,
    /// Commit id → the deployment slot it is assigned to.
    pub(crate) owner: FxMap<u32, u32>,
    /// The baseline (first deployment) facts were last derived with.
    pub(crate) baseline: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Inc {
    pub(crate) ev: Incident,
    pub(crate) service: u32,
    pub(crate) attribution: Attribution,
    pub(crate) target: Option<u32>,
}

#[derive(Debug, Clone)]
pub(crate) struct Pr {
    pub(crate) ev: PullRequest,
    pub(crate) repo: u32,
    /// The commit it is counted at (merge commit, else last commit), when merged.
    pub(crate) anchor: Option<u32>,
    /// Ids of its own commits.
    pub(crate) commits: Vec<u32>,
    /// Ids it is indexed under in `pr_member` (its commits and merge commit).
    pub(crate) members: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Svc {
    /// Service events by source, sorted; the first is the one in effect.
    pub(crate) variants: Vec<Service>,
    /// Chain per tier (`NONE` when absent).
    pub(crate) chains: [u32; 5],
    /// Incident slots naming this service.
    pub(crate) incidents: Vec<u32>,
    /// Deployments naming this service.
    pub(crate) deployments: u32,
}

/// All canonical events of an organisation and what is derived from them.
#[derive(Clone)]
pub struct Org {
    pub(crate) settings: Settings,
    pub(crate) sources: Interner,
    pub(crate) people: Interner,
    pub(crate) repo_names: Interner,
    pub(crate) repos: Vec<Repo>,
    pub(crate) service_names: Interner,
    pub(crate) services: Vec<Svc>,
    pub(crate) teams: BTreeMap<String, Vec<Team>>,
    pub(crate) dep_keys: Interner,
    pub(crate) deps: Vec<Dep>,
    pub(crate) deps_by_id: FxMap<String, Vec<u32>>,
    /// Incident id → deployments whose `remediates` names it.
    pub(crate) deps_by_remediates: FxMap<String, Vec<u32>>,
    pub(crate) chains: Vec<Chain>,
    pub(crate) inc_keys: Interner,
    pub(crate) incs: Vec<Inc>,
    pub(crate) incs_by_id: FxMap<String, Vec<u32>>,
    /// `caused_by_deployment` value → incidents naming it.
    pub(crate) incs_by_cause: FxMap<String, Vec<u32>>,
    /// `remediated_by_deployment` value → incidents naming it.
    pub(crate) incs_by_remedy: FxMap<String, Vec<u32>>,
    pub(crate) pr_keys: Interner,
    pub(crate) prs: Vec<Pr>,
    pub(crate) run_keys: Interner,
    pub(crate) runs: Vec<PipelineRun>,
    // Query indexes, rebuilt for what changed at the end of `apply`.
    pub(crate) tiers: Vec<TierIndex>,
    pub(crate) incident_index: IncidentIndex,
    /// Deployment slots in list order (in progress first, then newest finished).
    pub(crate) dep_list: Vec<u32>,
    /// Incident slots, newest started first.
    pub(crate) inc_list: Vec<u32>,
}

pub(crate) fn key_of(source: &str, id: &str) -> String {
    let mut k = String::with_capacity(source.len() + id.len() + 1);
    k.push_str(source);
    k.push('\u{0}');
    k.push_str(id);
    k
}

fn index_add(map: &mut FxMap<String, Vec<u32>>, key: &str, slot: u32) {
    match map.get_mut(key) {
        Some(v) => {
            if !v.contains(&slot) {
                v.push(slot);
            }
        }
        None => {
            map.insert(key.to_owned(), vec![slot]);
        }
    }
}

fn index_remove(map: &mut FxMap<String, Vec<u32>>, key: &str, slot: u32) {
    if let Some(v) = map.get_mut(key) {
        v.retain(|&s| s != slot);
        if v.is_empty() {
            map.remove(key);
        }
    }
}

fn id_index_add(map: &mut FxMap<u32, Vec<u32>>, key: u32, slot: u32) {
    let v = map.entry(key).or_default();
    if !v.contains(&slot) {
        v.push(slot);
    }
}

fn id_index_remove(map: &mut FxMap<u32, Vec<u32>>, key: u32, slot: u32) {
    if let Some(v) = map.get_mut(&key) {
        v.retain(|&s| s != slot);
        if v.is_empty() {
            map.remove(&key);
        }
    }
}

/// Upserts `item` into `variants` (sorted by source); returns whether the key was new.
fn upsert_variant<T: Clone>(variants: &mut Vec<T>, item: T, source: impl Fn(&T) -> &str) -> bool {
    let s = source(&item).to_owned();
    match variants.binary_search_by(|v| source(v).cmp(&s)) {
        Ok(i) => {
            variants[i] = item;
            false
        }
        Err(i) => {
            variants.insert(i, item);
            true
        }
    }
}

fn page_of<T>(items: Vec<T>, total: usize, page: u32, per_page: u32) -> Page<T> {
    Page {
        items,
        total: total as u64,
        page,
        per_page,
    }
}

/// 1-based page and page size (0 → 50), and the index range of the page.
fn paging(page: u32, per_page: u32) -> (u32, u32, usize, usize) {
    let page = page.max(1);
    let per_page = if per_page == 0 { 50 } else { per_page };
    let start = (page as usize - 1).saturating_mul(per_page as usize);
    (
        page,
        per_page,
        start,
        start.saturating_add(per_page as usize),
    )
}

impl Org {
    pub fn new(settings: Settings) -> Org {
        Org {
            settings,
            sources: Interner::default(),
            people: Interner::default(),
            repo_names: Interner::default(),
            repos: Vec::new(),
            service_names: Interner::default(),
            services: Vec::new(),
            teams: BTreeMap::new(),
            dep_keys: Interner::default(),
            deps: Vec::new(),
            deps_by_id: FxMap::default(),
            deps_by_remediates: FxMap::default(),
            chains: Vec::new(),
            inc_keys: Interner::default(),
            incs: Vec::new(),
            incs_by_id: FxMap::default(),
            incs_by_cause: FxMap::default(),
            incs_by_remedy: FxMap::default(),
            pr_keys: Interner::default(),
            prs: Vec::new(),
            run_keys: Interner::default(),
            runs: Vec::new(),
            tiers: EnvironmentTier::ALL
                .iter()
                .map(|_| TierIndex::default())
                .collect(),
            incident_index: IncidentIndex::default(),
            dep_list: Vec::new(),
            inc_list: Vec::new(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Upserts events by [`Event::key`] (the same key replaces the held event in place), then
    /// re-derives only what they affect. The result does not depend on the order events
    /// arrive in, nor on how they are split into calls.
    pub fn apply(&mut self, events: Vec<Event>) {
        let mut dirty = Dirty::default();
        for e in events {
            match e {
                Event::Commit(c) => self.upsert_commit(c, &mut dirty),
                Event::PullRequest(p) => self.upsert_pr(p, &mut dirty),
                Event::Deployment(d) => self.upsert_deployment(d, &mut dirty),
                Event::Incident(i) => self.upsert_incident(i, &mut dirty),
                Event::PipelineRun(r) => self.upsert_run(r),
                Event::Service(s) => self.upsert_service(s, &mut dirty),
                Event::Team(t) => {
                    upsert_variant(self.teams.entry(t.name.clone()).or_default(), t, |t| {
                        &t.source
                    });
                }
            }
        }
        self.derive(dirty);
    }

    /// Distinct event keys held.
    pub fn event_count(&self) -> usize {
        self.repos.iter().map(Repo::event_count).sum::<usize>()
            + self.prs.len()
            + self.deps.len()
            + self.incs.len()
            + self.runs.len()
            + self
                .services
                .iter()
                .map(|s| s.variants.len())
                .sum::<usize>()
            + self.teams.values().map(Vec::len).sum::<usize>()
    }

    /// Every event held (the latest version per key), sorted by kind, then source and id.
    /// For tests and exports; not a hot path.
    pub fn events(&self) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::with_capacity(self.event_count());
        for r in &self.repos {
            out.extend(
                r.events(&self.sources, &self.people)
                    .into_iter()
                    .map(Event::Commit),
            );
        }
        out.extend(self.prs.iter().map(|p| Event::PullRequest(p.ev.clone())));
        out.extend(self.deps.iter().map(|d| Event::Deployment(d.ev.clone())));
        out.extend(self.incs.iter().map(|i| Event::Incident(i.ev.clone())));
        out.extend(self.runs.iter().cloned().map(Event::PipelineRun));
        out.extend(
            self.services
                .iter()
                .flat_map(|s| s.variants.iter().cloned().map(Event::Service)),
        );
        out.extend(
            self.teams
                .values()
                .flat_map(|v| v.iter().cloned().map(Event::Team)),
        );
        out.sort_by_cached_key(Event::key);
        out
    }

    /// The DORA metrics for a query (see `dora.rs`).
    pub fn dora(&self, q: &DoraQuery) -> DoraReport {
        crate::dora::report(self, q)
    }

    // ---- upserts -------------------------------------------------------------------------

    pub(crate) fn service_idx(&mut self, name: &str) -> u32 {
        let id = self.service_names.intern(name);
        if id as usize == self.services.len() {
            self.services.push(Svc {
                chains: [NONE; 5],
                ..Svc::default()
            });
        }
        id
    }

    pub(crate) fn repo_idx(&mut self, name: &str) -> u32 {
        let id = self.repo_names.intern(name);
        if id as usize == self.repos.len() {
            self.repos.push(Repo::new(name));
        }
        id
    }

    /// The service event in effect for a service index (the one whose source sorts first).
    pub(crate) fn service_event(&self, svc: u32) -> Option<&Service> {
        self.services
            .get(svc as usize)
            .and_then(|s| s.variants.first())
    }

    fn upsert_commit(&mut self, c: crate::events::Commit, dirty: &mut Dirty) {
        let repo = self.repo_idx(&c.repo);
        let source = self.sources.intern(&c.source);
        let author = c.author.as_deref().map_or(NONE, |a| self.people.intern(a));
        let (id, change) =
            self.repos[repo as usize].upsert(c, source, author, &self.sources, &self.people);
        if change != crate::graph::CommitChange::Nothing {
            dirty.commits.push((repo, id, change));
        }
    }

    fn upsert_pr(&mut self, p: PullRequest, dirty: &mut Dirty) {
        let slot = self
            .pr_keys
            .intern(&key_of(&p.source, &format!("{}#{}", p.repo, p.id)));
        if let Some(old) = self.prs.get(slot as usize) {
            if old.ev == p {
                return;
            }
            let (repo, anchor, members) = (old.repo, old.anchor, old.members.clone());
            let r = &mut self.repos[repo as usize];
            if let Some(a) = anchor {
                id_index_remove(&mut r.pr_anchor, a, slot);
                dirty.pr_anchors.push((repo, a));
            }
            for m in members {
                id_index_remove(&mut r.pr_member, m, slot);
            }
        }
        let repo = self.repo_idx(&p.repo);
        let r = &mut self.repos[repo as usize];
        let commits: Vec<u32> = p.commits.iter().map(|s| r.node(s)).collect();
        let merge = p.merge_commit.as_deref().map(|s| r.node(s));
        let anchor = if p.merged_at.is_some() {
            merge.or(commits.last().copied())
        } else {
            None
        };
        let mut members = commits.clone();
        members.extend(merge);
        members.sort_unstable();
        members.dedup();
        if let Some(a) = anchor {
            id_index_add(&mut r.pr_anchor, a, slot);
            dirty.pr_anchors.push((repo, a));
        }
        for &m in &members {
            id_index_add(&mut r.pr_member, m, slot);
        }
        let rec = Pr {
            ev: p,
            repo,
            anchor,
            commits,
            members,
        };
        if slot as usize == self.prs.len() {
            self.prs.push(rec);
        } else {
            self.prs[slot as usize] = rec;
        }
    }

    fn upsert_deployment(&mut self, d: Deployment, dirty: &mut Dirty) {
        let slot = self.dep_keys.intern(&key_of(&d.source, &d.id));
        let service = self.service_idx(&d.service);
        let tier = self.settings.tier_of(&d);
        if let Some(old) = self.deps.get(slot as usize) {
            if old.ev == d {
                return;
            }
            let (old_service, old_tier) = (old.service, old.tier);
            let svc = &mut self.services[old_service as usize];
            svc.deployments = svc.deployments.saturating_sub(1);
            if let Some(r) = old.ev.remediates.clone() {
                index_remove(&mut self.deps_by_remediates, &r, slot);
                dirty.remediated_incident_ids.insert(r);
            }
            dirty.note_dep_tier(old_service, old_tier);
        } else {
            self.deps.push(Dep {
                ev: d.clone(),
                service,
                tier,
                chain: None,
                chain_fin: i64::MIN,
                pos: 0,
                d: DepFacts::default(),
            });
            index_add(&mut self.deps_by_id, &d.id, slot);
        }
        if let Some(r) = &d.remediates {
            index_add(&mut self.deps_by_remediates, r, slot);
            dirty.remediated_incident_ids.insert(r.clone());
        }
        // Incidents naming this deployment: as cause (re-attribute) or as remedy (recovery, rework).
        if let Some(v) = self.incs_by_cause.get(&d.id) {
            dirty.incidents.extend(v.iter().copied());
        }
        if let Some(v) = self.incs_by_remedy.get(&d.id) {
            dirty.incidents.extend(v.iter().copied());
        }
        dirty.note_dep_tier(service, tier);
        self.services[service as usize].deployments += 1;
        let rec = &mut self.deps[slot as usize];
        rec.ev = d;
        rec.service = service;
        rec.tier = tier;
        dirty.deps.insert(slot);
    }

    fn upsert_incident(&mut self, i: Incident, dirty: &mut Dirty) {
        let slot = self.inc_keys.intern(&key_of(&i.source, &i.id));
        let service = self.service_idx(&i.service);
        if let Some(old) = self.incs.get(slot as usize) {
            if old.ev == i {
                return;
            }
            let old_ev = old.ev.clone();
            let old_service = old.service;
            index_remove(&mut self.incs_by_id, &old_ev.id, slot);
            if let Some(c) = &old_ev.caused_by_deployment {
                index_remove(&mut self.incs_by_cause, c, slot);
            }
            if let Some(r) = &old_ev.remediated_by_deployment {
                index_remove(&mut self.incs_by_remedy, r, slot);
                dirty.remedy_dep_ids.insert(r.clone());
            }
            self.services[old_service as usize]
                .incidents
                .retain(|&s| s != slot);
            self.incs[slot as usize].ev = i.clone();
            self.incs[slot as usize].service = service;
        } else {
            self.incs.push(Inc {
                ev: i.clone(),
                service,
                attribution: Attribution::None,
                target: None,
            });
        }
        index_add(&mut self.incs_by_id, &i.id, slot);
        if let Some(c) = &i.caused_by_deployment {
            index_add(&mut self.incs_by_cause, c, slot);
        }
        if let Some(r) = &i.remediated_by_deployment {
            index_add(&mut self.incs_by_remedy, r, slot);
            dirty.remedy_dep_ids.insert(r.clone());
        }
        self.services[service as usize].incidents.push(slot);
        dirty.incidents.insert(slot);
        dirty.incidents_changed = true;
    }

    fn upsert_run(&mut self, r: PipelineRun) {
        let slot = self
            .run_keys
            .intern(&key_of(&r.source, &format!("{}:{}", r.provider, r.id)));
        if slot as usize == self.runs.len() {
            self.runs.push(r);
        } else {
            self.runs[slot as usize] = r;
        }
    }

    fn upsert_service(&mut self, s: Service, dirty: &mut Dirty) {
        let idx = self.service_idx(&s.name);
        let before = self.service_event(idx).cloned();
        upsert_variant(&mut self.services[idx as usize].variants, s, |s| &s.source);
        if self.service_event(idx) != before.as_ref() {
            dirty.services.insert(idx);
        }
    }

    // ---- lists ---------------------------------------------------------------------------

    /// Service indexes whose (effective) teams include `team`.
    pub(crate) fn services_of_team(&self, team: &str) -> Vec<bool> {
        self.services
            .iter()
            .map(|s| {
                s.variants
                    .first()
                    .is_some_and(|e| e.teams.iter().any(|t| t == team))
            })
            .collect()
    }

    /// Which services a `service`/`team` filter admits: `None` admits all.
    pub(crate) fn service_filter(
        &self,
        service: Option<&str>,
        team: Option<&str>,
    ) -> Option<Vec<bool>> {
        if service.is_none() && team.is_none() {
            return None;
        }
        let mut allowed = match team {
            Some(t) => self.services_of_team(t),
            None => vec![true; self.services.len()],
        };
        if let Some(s) = service {
            let id = self.service_names.get(s);
            for (i, a) in allowed.iter_mut().enumerate() {
                *a = *a && Some(i as u32) == id;
            }
        }
        Some(allowed)
    }

    /// Deployments, in progress first, then newest finished first; `page` is 1-based and
    /// `per_page` 0 means 50.
    pub fn deployments(&self, q: &DeploymentQuery) -> Page<DeploymentRow> {
        let (page, per_page, start, end) = paging(q.page, q.per_page);
        let allowed = self.service_filter(q.service.as_deref(), q.team.as_deref());
        let mut total = 0usize;
        let mut items = Vec::new();
        for &slot in &self.dep_list {
            let d = &self.deps[slot as usize];
            if allowed
                .as_ref()
                .is_some_and(|a| !a.get(d.service as usize).copied().unwrap_or(false))
            {
                continue;
            }
            if q.environment_tier.is_some_and(|t| t != d.tier)
                || q.status.is_some_and(|s| s != d.ev.status)
            {
                continue;
            }
            if q.failed.is_some_and(|f| f != d.d.failed) {
                continue;
            }
            if q.from.is_some() || q.to.is_some() {
                let Some(t) = d.ev.finished_at.or(d.ev.started_at) else {
                    continue;
                };
                if q.from.is_some_and(|f| t < f) || q.to.is_some_and(|to| t >= to) {
                    continue;
                }
            }
            if total >= start && total < end {
                items.push(self.deployment_row(slot));
            }
            total += 1;
        }
        page_of(items, total, page, per_page)
    }

    /// Whether a deployment is unplanned: a hotfix or rollback, or it remediates an incident
    /// (its `remediates`, or an incident's `remediated_by_deployment` names it).
    pub(crate) fn is_unplanned(&self, d: &Deployment) -> bool {
        d.change_type != ChangeType::Normal
            || d.remediates.as_deref().is_some_and(|r| !r.is_empty())
            || self.incs_by_remedy.contains_key(&d.id)
    }

    pub(crate) fn deployment_row(&self, slot: u32) -> DeploymentRow {
        let dep = &self.deps[slot as usize];
        let ev = &dep.ev;
        let sha_url = self
            .service_event(dep.service)
            .and_then(|s| s.repo_url.as_deref())
            .map(|u| format!("{}/commit/{}", u.trim_end_matches('/'), ev.sha));
        let in_chain = dep.chain.is_some();
        DeploymentRow {
            id: ev.id.clone(),
            source: ev.source.clone(),
            service: ev.service.clone(),
            environment: ev.environment.clone(),
            environment_tier: dep.tier,
            status: ev.status,
            change_type: ev.change_type,
            started_at: ev.started_at,
            finished_at: ev.finished_at,
            sha: ev.sha.clone(),
            sha_url,
            changes: dep.d.changes.len() as u64,
            lead_time: if dep.is_baseline() {
                None
            } else {
                dep.d.median_commit_ms.map(|m| m / 1000.0)
            },
            baseline: dep.is_baseline(),
            incomplete_graph: in_chain && dep.d.incomplete,
            incidents: dep
                .d
                .incidents
                .iter()
                .map(|&i| self.incs[i as usize].ev.id.clone())
                .collect(),
            failed: dep.d.failed,
            failure_reasons: dep.d.reasons.clone(),
            recovery_time: dep.d.recovery_ms.map(|m| m as f64 / 1000.0),
            unplanned: if in_chain {
                dep.d.unplanned
            } else {
                self.is_unplanned(ev)
            },
        }
    }

    /// One deployment with its change list. With the same id from several sources, the one
    /// whose source sorts first.
    pub fn deployment(&self, id: &str) -> Option<DeploymentDetail> {
        let slot = self.deps_by_id.get(id)?.iter().copied().min_by(|&a, &b| {
            self.deps[a as usize]
                .ev
                .source
                .cmp(&self.deps[b as usize].ev.source)
        })?;
        let dep = &self.deps[slot as usize];
        let mut change_list = Vec::new();
        if let Some(repo) = dep.chain.and_then(|c| self.chains[c as usize].repo) {
            let r = &self.repos[repo as usize];
            let fin = dep.fin();
            for (i, &c) in dep.d.changes.iter().enumerate() {
                let authored = r.authored[c as usize];
                let author = r.author[c as usize];
                let pull_request = r.pr_member.get(&c).and_then(|prs| {
                    prs.iter()
                        .map(|&p| &self.prs[p as usize].ev)
                        .min_by(|a, b| {
                            b.merged_at
                                .is_some()
                                .cmp(&a.merged_at.is_some())
                                .then_with(|| a.id.cmp(&b.id))
                        })
                        .map(|p| format!("{}#{}", p.repo, p.id))
                });
                change_list.push(ChangeRow {
                    sha: r.sha(c).to_owned(),
                    author: (author != NONE).then(|| self.people.resolve(author).to_owned()),
                    message: r.message[c as usize].as_deref().map(str::to_owned),
                    authored_at: Timestamp(authored),
                    lead_time: (fin - authored) as f64 / 1000.0,
                    pull_request,
                    from_push_list: i >= dep.d.n_graph,
                });
            }
        }
        change_list.sort_by(|a, b| {
            b.authored_at
                .cmp(&a.authored_at)
                .then_with(|| a.sha.cmp(&b.sha))
        });
        Some(DeploymentDetail {
            deployment: self.deployment_row(slot),
            change_list,
        })
    }

    /// Incidents, newest started first.
    pub fn incidents(&self, q: &IncidentQuery) -> Page<IncidentRow> {
        let (page, per_page, start, end) = paging(q.page, q.per_page);
        let allowed = self.service_filter(q.service.as_deref(), q.team.as_deref());
        let mut total = 0usize;
        let mut items = Vec::new();
        for &slot in &self.inc_list {
            let inc = &self.incs[slot as usize];
            if allowed
                .as_ref()
                .is_some_and(|a| !a.get(inc.service as usize).copied().unwrap_or(false))
            {
                continue;
            }
            let t = inc.ev.started_at;
            if q.from.is_some_and(|f| t < f) || q.to.is_some_and(|to| t >= to) {
                continue;
            }
            if q.open.is_some_and(|o| o != inc.ev.resolved_at.is_none()) {
                continue;
            }
            if total >= start && total < end {
                items.push(self.incident_row(slot));
            }
            total += 1;
        }
        page_of(items, total, page, per_page)
    }

    fn incident_row(&self, slot: u32) -> IncidentRow {
        let inc = &self.incs[slot as usize];
        let ev = &inc.ev;
        let target = inc.target.map(|t| &self.deps[t as usize]);
        IncidentRow {
            id: ev.id.clone(),
            source: ev.source.clone(),
            service: ev.service.clone(),
            title: ev.title.clone(),
            severity: ev.severity.clone(),
            started_at: ev.started_at,
            resolved_at: ev.resolved_at,
            open: ev.resolved_at.is_none(),
            excluded: ev.excluded,
            attribution: inc.attribution,
            deployment: target.map(|d| d.ev.id.clone()),
            duration: ev.resolved_at.map(|r| ev.started_at.seconds_until(r)),
            recovery_time: target
                .and_then(|d| d.d.recovery_ms)
                .map(|m| m as f64 / 1000.0),
        }
    }

    /// Every service named by a service event or by a deployment or incident, by name.
    ///
    /// `deployments` and `last_deployed_at` count successful production deployments.
    pub fn services(&self) -> Vec<ServiceRow> {
        let mut rows: Vec<ServiceRow> = self
            .services
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.variants.is_empty() || s.deployments > 0 || !s.incidents.is_empty())
            .map(|(i, s)| {
                let name = self.service_names.resolve(i as u32).to_owned();
                let prod = s.chains[0];
                let (deployments, last_deployed_at) = if prod == NONE {
                    (0, None)
                } else {
                    let c = &self.chains[prod as usize];
                    (
                        c.deps.len() as u64,
                        c.deps
                            .last()
                            .and_then(|&d| self.deps[d as usize].ev.finished_at),
                    )
                };
                match s.variants.first() {
                    Some(e) => ServiceRow {
                        name,
                        repo: e.repo.clone(),
                        repo_url: e.repo_url.clone(),
                        teams: e.teams.clone(),
                        path_prefix: e.path_prefix.clone(),
                        tier: e.tier.clone(),
                        deployments,
                        last_deployed_at,
                    },
                    None => ServiceRow {
                        name,
                        repo: None,
                        repo_url: None,
                        teams: Vec::new(),
                        path_prefix: None,
                        tier: None,
                        deployments,
                        last_deployed_at,
                    },
                }
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        rows
    }

    /// Teams named by team events or by services' `teams`, by name, with their services.
    pub fn teams(&self) -> Vec<TeamRow> {
        let mut rows: BTreeMap<String, TeamRow> = BTreeMap::new();
        for (name, variants) in &self.teams {
            let t = variants.first();
            rows.insert(
                name.clone(),
                TeamRow {
                    name: name.clone(),
                    display_name: t.and_then(|t| t.display_name.clone()),
                    members: t.map(|t| t.members.clone()).unwrap_or_default(),
                    services: Vec::new(),
                },
            );
        }
        for (i, s) in self.services.iter().enumerate() {
            let Some(e) = s.variants.first() else {
                continue;
            };
            for team in &e.teams {
                let row = rows.entry(team.clone()).or_insert_with(|| TeamRow {
                    name: team.clone(),
                    display_name: None,
                    members: Vec::new(),
                    services: Vec::new(),
                });
                row.services
                    .push(self.service_names.resolve(i as u32).to_owned());
            }
        }
        rows.into_values()
            .map(|mut r| {
                r.services.sort();
                r.services.dedup();
                r
            })
            .collect()
    }
}
