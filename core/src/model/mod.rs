//! The in-memory model of an organisation: every canonical event (latest version per key) and
//! the facts derived from them, kept current incrementally.
//!
//! - [`Org::apply`] upserts events by [`Event::key`] and re-derives only what they affect (see
//!   `derive/` for the rules and the incremental algorithm).
//! - The read methods ([`Org::dora`], [`Org::deployments`], …) only filter and aggregate
//!   precomputed facts.
//!
//! Storage is compact where volume is: commits live in per-repository graphs with shas
//! interned to typed ids (`graph.rs`, `ids.rs`); deployments, incidents and pull requests are kept as
//! events plus small derived records.

use crate::events::{Deployment, EnvironmentTier, Event, Team};
use crate::time::{Timestamp, DAY_MS};
use collections::{ColumnMultiMap, FxMap, Interner};
use derive::Dirty;
use graph::Repo;
use ids::{
    ChainId, DepId, DepName, EnvId, Id, IdVec, IncidentId, LabelId, PrId, RepoId, RunId, ServiceId,
    ShaId, SourceId,
};
use index::{IncidentIndex, TierIndex};
use serde::{Deserialize, Serialize};
use state::{Chain, Dep, Inc, Pr, Svc};
use std::collections::BTreeMap;
use tiers::PerTier;

mod collections;
mod delivery;
pub use delivery::{CiUsage, ServiceDelivery};
pub(crate) mod derive;
mod flaky_report;
pub(crate) mod graph;
pub(crate) mod ids;
pub(crate) mod index;
mod journey;
mod lists;
pub(crate) mod order;
mod owners;
mod pipelines;
mod runs;
mod valuestream;
pub use pipelines::{time_shares, PortalMarks, RunKeys};
mod shas;
#[cfg(feature = "snapshot")]
pub mod snapshot;
pub(crate) mod state;
pub(crate) mod tiers;
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
    /// Team name → the value stream's chain of stages when a query names none.
    pub value_stream_chains: Vec<(String, crate::valuestream::ChainName)>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            incident_window_ms: 7 * DAY_MS,
            environment_tiers: Vec::new(),
            time_zone: chrono_tz::UTC,
            value_stream_chains: Vec::new(),
        }
    }
}

impl Settings {
    /// The value stream chain configured for a team, if any.
    pub fn chain_of(&self, team: Option<&str>) -> Option<crate::valuestream::ChainName> {
        let team = team?;
        self.value_stream_chains
            .iter()
            .find(|(t, _)| t == team)
            .map(|&(_, c)| c)
    }

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

/// All canonical events of an organisation and what is derived from them.
#[derive(Clone, Serialize, Deserialize)]
pub struct Org {
    /// Not in a snapshot: the reader supplies it (and the snapshot checks it is the same).
    #[serde(skip)]
    pub(crate) settings: Settings,
    pub(crate) sources: Interner<SourceId>,
    pub(crate) repo_names: Interner<RepoId>,
    pub(crate) repos: IdVec<RepoId, Repo>,
    pub(crate) service_names: Interner<ServiceId>,
    pub(crate) services: IdVec<ServiceId, Svc>,
    #[serde(with = "as_json")]
    pub(crate) teams: BTreeMap<String, Vec<Team>>,
    pub(crate) environments: Interner<EnvId>,
    pub(crate) dep_shas: shas::ShaTable<ShaId>,
    pub(crate) deps: IdVec<DepId, Dep>,
    /// Deployment ids as text, and the deployments (of any source) with each, in the order
    /// they were first held: a deployment's key is (source, id), and few ids have more than
    /// one source.
    pub(crate) dep_names: Interner<DepName>,
    pub(crate) deps_by_id: ColumnMultiMap<DepName, DepId>,
    /// Incident id → deployments whose `remediates` names it.
    pub(crate) deps_by_remediates: FxMap<String, Vec<DepId>>,
    pub(crate) chains: IdVec<ChainId, Chain>,
    pub(crate) inc_keys: Interner<IncidentId>,
    pub(crate) incs: IdVec<IncidentId, Inc>,
    pub(crate) incs_by_id: FxMap<String, Vec<IncidentId>>,
    /// `caused_by_deployment` value → incidents naming it.
    pub(crate) incs_by_cause: FxMap<String, Vec<IncidentId>>,
    /// `remediated_by_deployment` value → incidents naming it.
    pub(crate) incs_by_remedy: FxMap<String, Vec<IncidentId>>,
    pub(crate) pr_keys: Interner<PrId>,
    pub(crate) prs: IdVec<PrId, Pr>,
    pub(crate) run_keys: Interner<RunId>,
    pub(crate) runs: IdVec<RunId, runs::RunRec>,
    /// The pipeline runs' words (workflows, branches, job names, …), interned once.
    pub(crate) labels: Interner<LabelId>,
    /// Attempts in list order (running first, then newest finished), with their filter columns.
    pub(crate) run_list: Vec<runs::ListEntry>,
    /// The attempt of each (repository, workflow, sha) that has one, and the attempts of those
    /// that have more.
    pub(crate) run_first: FxMap<runs::GroupKey, RunId>,
    pub(crate) run_multi: FxMap<runs::GroupKey, Vec<RunId>>,
    /// The workflows each repository has had attempts of, sorted (kept when their attempts
    /// go: a workflow without attempts only costs a lookup that finds none).
    pub(crate) run_workflows: FxMap<RepoId, Vec<LabelId>>,
    /// The flaky jobs of each group that has some, found when its attempts change.
    pub(crate) flaky: FxMap<runs::GroupKey, Box<[runs::FlakyOcc]>>,
    /// Groups whose attempts changed since the last derivation (their flaky jobs to find again).
    #[serde(skip)]
    pub(crate) flaky_dirty: Vec<runs::GroupKey>,
    // Query indexes, rebuilt for what changed at the end of `apply`.
    pub(crate) tiers: PerTier<TierIndex>,
    pub(crate) incident_index: IncidentIndex,
    /// Deployments in list order (in progress first, then newest finished).
    pub(crate) dep_list: Vec<DepId>,
    /// Incidents, newest started first.
    pub(crate) inc_list: Vec<IncidentId>,
}

pub(crate) fn key_of(source: &str, id: &str) -> String {
    let mut k = String::with_capacity(source.len() + id.len() + 1);
    k.push_str(source);
    k.push('\u{0}');
    k.push_str(id);
    k
}

fn index_add<I: Id>(map: &mut FxMap<String, Vec<I>>, key: &str, slot: I) {
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

fn index_remove<I: Id>(map: &mut FxMap<String, Vec<I>>, key: &str, slot: I) {
    if let Some(v) = map.get_mut(key) {
        v.retain(|&s| s != slot);
        if v.is_empty() {
            map.remove(key);
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
            repo_names: Interner::default(),
            repos: IdVec::default(),
            service_names: Interner::default(),
            services: IdVec::default(),
            teams: BTreeMap::new(),
            environments: Interner::default(),
            dep_shas: shas::ShaTable::default(),
            deps: IdVec::default(),
            dep_names: Interner::default(),
            deps_by_id: ColumnMultiMap::default(),
            deps_by_remediates: FxMap::default(),
            chains: IdVec::default(),
            inc_keys: Interner::default(),
            incs: IdVec::default(),
            incs_by_id: FxMap::default(),
            incs_by_cause: FxMap::default(),
            incs_by_remedy: FxMap::default(),
            pr_keys: Interner::default(),
            prs: IdVec::default(),
            run_keys: Interner::default(),
            runs: IdVec::default(),
            labels: Interner::default(),
            run_list: Vec::new(),
            run_first: FxMap::default(),
            run_multi: FxMap::default(),
            run_workflows: FxMap::default(),
            flaky: FxMap::default(),
            flaky_dirty: Vec::new(),
            tiers: PerTier::default(),
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
        self.load(std::iter::once(events));
    }

    /// [`Org::apply`] of every chunk's events put together, with the chunks consumed one at a
    /// time: each is upserted and dropped before the next is taken, and the derivation runs
    /// once at the end. A start-up streams the whole store through this, so that it never
    /// holds all the events twice (as rows and as the model).
    pub fn load(&mut self, chunks: impl IntoIterator<Item = Vec<Event>>) {
        let mut dirty = Dirty::default();
        for chunk in chunks {
            for e in chunk {
                self.upsert(e, &mut dirty);
            }
        }
        let runs = std::mem::take(&mut dirty.runs);
        self.derive(dirty);
        self.derive_runs(runs);
    }

    /// Gives back the spare capacity that a bulk load leaves in the model's vectors and maps
    /// (up to half of a vector that grew by doubling). Worth it once after a start-up load;
    /// after each small batch it would only copy.
    pub fn compact(&mut self) {
        for r in self.repos.iter_mut() {
            r.shrink_to_fit();
        }
        self.repos.shrink_to_fit();
        for c in self.chains.iter_mut() {
            c.owner.shrink_to_fit();
            c.deps.shrink_to_fit();
        }
        self.chains.shrink_to_fit();
        self.deps.shrink_to_fit();
        self.incs.shrink_to_fit();
        self.prs.shrink_to_fit();
        self.runs.shrink_to_fit();
        self.sources.shrink_to_fit();
        self.environments.shrink_to_fit();
        self.dep_shas.shrink_to_fit();
        self.inc_keys.shrink_to_fit();
        self.pr_keys.shrink_to_fit();
        self.run_keys.shrink_to_fit();
        self.labels.shrink_to_fit();
        self.run_list.shrink_to_fit();
        self.run_first.shrink_to_fit();
        self.run_multi.shrink_to_fit();
        self.run_workflows.shrink_to_fit();
        self.flaky.shrink_to_fit();
        self.repo_names.shrink_to_fit();
        self.service_names.shrink_to_fit();
        self.dep_names.shrink_to_fit();
        self.deps_by_id.shrink_to_fit();
        self.incs_by_id.shrink_to_fit();
        self.dep_list.shrink_to_fit();
        self.inc_list.shrink_to_fit();
        for t in EnvironmentTier::ALL {
            self.tiers[t].shrink_to_fit();
        }
    }

    fn upsert(&mut self, e: Event, dirty: &mut Dirty) {
        match e {
            Event::Commit(c) => self.upsert_commit(c, dirty),
            Event::PullRequest(p) => self.upsert_pr(p, dirty),
            Event::Deployment(d) => self.upsert_deployment(d, dirty),
            Event::Incident(i) => self.upsert_incident(i, dirty),
            Event::PipelineRun(r) => self.upsert_run(r, &mut dirty.runs),
            Event::Service(s) => self.upsert_service(s, dirty),
            Event::Team(t) => {
                upsert_variant(self.teams.entry(t.name.clone()).or_default(), t, |t| {
                    &t.source
                });
            }
            // Stored as an SLO's counts by the server, never as an event of the model.
            Event::SliSample(_) => {}
        }
    }

    /// The deployments (of any source) whose id is `id`, in the order they were first held.
    pub(crate) fn deps_with_id(&self, id: &str) -> impl Iterator<Item = DepId> + '_ {
        self.dep_names
            .get(id)
            .into_iter()
            .flat_map(|n| self.deps_by_id.get(n))
    }

    /// The deployment with key (`source`, `id`).
    pub(crate) fn dep_slot_of(&self, id: DepName, source: SourceId) -> Option<DepId> {
        self.deps_by_id
            .get(id)
            .find(|&slot| self.deps[slot].ev.source == source)
    }

    /// The deployment with key (`source`, `id`), by their text.
    pub(crate) fn dep_slot(&self, source: &str, id: &str) -> Option<DepId> {
        self.dep_slot_of(self.dep_names.get(id)?, self.sources.get(source)?)
    }

    /// The deployment event a record holds, as it was given.
    pub(crate) fn deployment_event(&self, slot: DepId) -> Deployment {
        let dep = &self.deps[slot];
        let ev = &dep.ev;
        Deployment {
            source: self.sources.resolve(ev.source).to_owned(),
            id: self.dep_names.resolve(ev.id).to_owned(),
            service: self.service_names.resolve(dep.service).to_owned(),
            environment: self.environments.resolve(ev.environment).to_owned(),
            environment_tier: ev.environment_tier,
            status: ev.status,
            started_at: ev.started_at(),
            finished_at: ev.finished_at(),
            sha: self.dep_shas.resolve(ev.sha),
            change_type: ev.change_type,
            remediates: ev.remediates().map(str::to_owned),
            marked_failed: ev.marked_failed,
            commits: ev.commits().iter().map(|c| c.to_string()).collect(),
        }
    }

    /// A pull request's `repo#id` (its key after the source).
    pub(crate) fn pr_name(&self, p: PrId) -> &str {
        let key = self.pr_keys.resolve(p);
        key.split_once('\u{0}').map_or(key, |(_, name)| name)
    }

    /// A pull request's id.
    pub(crate) fn pr_id(&self, p: PrId) -> &str {
        let repo = self.repos[self.prs[p].repo].name.len();
        self.pr_name(p).get(repo + 1..).unwrap_or("")
    }

    /// The event a pull request was read from, less its title and author (not held).
    fn pr_event(&self, p: PrId) -> crate::events::PullRequest {
        let pr = &self.prs[p];
        let r = &self.repos[pr.repo];
        crate::events::PullRequest {
            source: self.sources.resolve(pr.source).to_owned(),
            repo: r.name.to_string(),
            id: self.pr_id(p).to_owned(),
            title: None,
            author: None,
            opened_at: Timestamp(pr.opened_at),
            first_review_at: pr.first_review_at.map(Timestamp),
            approved_at: pr.approved_at.map(Timestamp),
            merged_at: pr.merged_at.map(Timestamp),
            merge_commit: pr.merge_commit.map(|c| r.sha(c)),
            commits: pr.commits.iter().map(|&c| r.sha(c)).collect(),
        }
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

    /// Every event held (the latest version per key), sorted by kind, then source and id, as
    /// the model holds them: without the fields no metric reads (commit messages, authors and
    /// committed times; pull request titles and authors), which the store keeps. For tests;
    /// not a hot path.
    pub fn events(&self) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::with_capacity(self.event_count());
        for r in &self.repos {
            out.extend(r.events(&self.sources).into_iter().map(Event::Commit));
        }
        out.extend(self.prs.ids().map(|p| Event::PullRequest(self.pr_event(p))));
        out.extend(
            self.deps
                .ids()
                .map(|d| Event::Deployment(self.deployment_event(d))),
        );
        out.extend(self.incs.iter().map(|i| Event::Incident(i.ev.clone())));
        out.extend(
            self.runs
                .ids()
                .map(|r| Event::PipelineRun(self.run_event(r))),
        );
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
}

/// Which services a `service`/`team` filter admits.
#[derive(Debug, Clone)]
pub(crate) struct ServiceSet(IdVec<ServiceId, bool>);

impl ServiceSet {
    #[inline]
    pub(crate) fn contains(&self, s: ServiceId) -> bool {
        self.0.get(s).copied().unwrap_or(false)
    }
    /// The admitted services, in id order.
    pub(crate) fn members(&self) -> impl Iterator<Item = ServiceId> + '_ {
        self.0.enumerate().filter(|(_, &ok)| ok).map(|(s, _)| s)
    }
}

/// Serde `with` for the event records the model keeps whole (a deployment, a pull request, …):
/// as their canonical JSON text, the form the store keeps them in, so that a compact binary
/// encoding (the snapshot) needs nothing of their JSON-only attributes.
pub(crate) mod as_json {
    use serde::de::{DeserializeOwned, Error as _};
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::borrow::Cow;

    pub(crate) fn serialize<T: Serialize, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(v).map_err(S::Error::custom)?;
        s.serialize_str(&text)
    }

    pub(crate) fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        let text = Cow::<'de, str>::deserialize(d)?;
        serde_json::from_str(&text).map_err(D::Error::custom)
    }
}
