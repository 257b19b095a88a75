//! The in-memory model of an organisation: every canonical event (latest version per key) and
//! the facts derived from them, kept current incrementally.
//!
//! - [`Org::apply`] upserts events by [`Event::key`] and re-derives only what they affect (see
//!   `derive/` for the rules and the incremental algorithm).
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

mod lists;
mod upsert;

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
}
