//! Deriving facts from events, incrementally.
//!
//! # What is derived
//!
//! - **Chains.** The successful (finished) deployments of one (service, tier), ordered by
//!   `finished_at`, then id, then source. The first one is the chain's *baseline*.
//! - **Changes, by assignment.** Deployments of a chain are processed in order. Each one walks
//!   the commit graph of the service's repository from its deployed sha over parents, stopping
//!   at commits already assigned to an earlier deployment of the chain; the unassigned commits
//!   it reaches are assigned to it: they are its changes. A commit assigned to an earlier
//!   deployment has all its ancestors assigned too (that walk went through them), so this is
//!   the rule of docs/metrics.md: a change belongs to the earliest deployment whose sha reaches it while
//!   the previous one's does not. A commit reachable along two paths (merges) is one change.
//! - **Monorepos.** A service with a path prefix counts as changes only the commits it takes
//!   that touch a path inside it (or whose paths are not known); the others are held as
//!   *passed*, so that the next deployment's walk still stops at them.
//! - **Incomplete graph.** A walk that meets an unknown commit (the deployed sha itself, or a
//!   parent that never arrived), or a service without a repository, marks the deployment
//!   `incomplete`. The commits it did find still count. Then, if the deployment lists pushed
//!   commits (`commits`), those that are known commits and not yet assigned are added as its
//!   changes with `from_push_list` (counted in `data_quality.fallback_changes`). The unknown
//!   shas it met are remembered, so that their arrival re-derives it.
//! - **Lead times** on all three bases (see [`Org::derive_lead`]), **incident attribution**
//!   ([`Org::attribute`]), **failure, recovery and rework** ([`Org::derive_failure`]).
//!
//! # Incrementally
//!
//! `apply` records what its events touched ([`Dirty`]); [`Org::derive`] then re-derives only
//! that:
//! 1. A service whose repository changed restarts its chains from scratch.
//! 2. A changed deployment leaves its old chain (its commits are *released*) and enters its
//!    new one as *pending*.
//! 3. A commit that arrives makes the deployments that met it as unknown pending; a commit that
//!    changes makes its owners pending (parents) or recomputes their lead times (times).
//! 4. Each touched chain is re-walked from its earliest pending position. Re-walking a
//!    deployment first drops its own assignments, then walks; a commit still assigned to a
//!    *later* deployment is taken over, and that later one becomes pending. Walking continues
//!    with the next position while released commits are unclaimed (a later deployment may
//!    reach them), and otherwise jumps to the next pending position: the assignments before
//!    it are then exactly what a walk from scratch would give.
//! 5. Lead times, attributions and failure facts are recomputed for what changed, then the
//!    query indexes of the touched tiers are rebuilt.

use super::collections::FxSet;
use super::graph::{scope_of, CommitChange, Repo};
use super::ids::{ChainId, CommitId, DepId, IdVec, IncidentId, RepoId, ServiceId};
use super::index::IncidentIndex;
use super::order::merge_sorted;
use super::owners::Owners;
use super::state::{Chain, Dep, DepFacts};
use super::tiers::PerTier;
use super::Org;
use crate::events::EnvironmentTier;

mod attribution;
mod failure;
mod lead;
mod walk;
use std::collections::{BTreeMap, BTreeSet};

/// What a batch of upserts touched.
#[derive(Default)]
pub(crate) struct Dirty {
    /// Deployment slots whose event changed.
    pub(crate) deps: FxSet<DepId>,
    /// (repo, commit id, change) for commits that arrived or changed.
    pub(crate) commits: Vec<(RepoId, CommitId, CommitChange)>,
    /// (repo, commit id) where a merged pull request is (or was) anchored.
    pub(crate) pr_anchors: Vec<(RepoId, CommitId)>,
    /// Services whose effective service event changed.
    pub(crate) services: FxSet<ServiceId>,
    /// Incident slots to re-attribute (and whose targets' failure facts to recompute).
    pub(crate) incidents: FxSet<IncidentId>,
    pub(crate) incidents_changed: bool,
    /// Services whose production chain changed: re-attribute all their incidents.
    pub(crate) attr_services: FxSet<ServiceId>,
    /// Incident ids named by a changed deployment's `remediates`.
    pub(crate) remediated_incident_ids: FxSet<String>,
    /// Deployment ids named by a changed incident's `remediated_by_deployment`.
    pub(crate) remedy_dep_ids: FxSet<String>,
    /// Tiers whose query index must be rebuilt.
    pub(crate) tiers: PerTier<bool>,
    /// Pipeline run attempts that arrived or changed.
    pub(crate) runs: FxSet<crate::model::ids::RunId>,
}

impl Dirty {
    /// A deployment of `service` in `tier` changed (called with its old and its new values).
    pub(crate) fn note_dep_tier(&mut self, service: ServiceId, tier: EnvironmentTier) {
        self.tiers[tier] = true;
        if tier == EnvironmentTier::Production {
            self.attr_services.insert(service);
        }
    }
}

/// Work on one chain.
#[derive(Default)]
struct ChainWork {
    /// Re-walk every position (the repository changed).
    full: bool,
    /// Deployment slots to re-walk.
    pending: FxSet<DepId>,
    /// Sort keys (finish, id, source) of deployments that left the chain.
    removed: Vec<(i64, String, String)>,
    /// Commits whose deployment left the chain: a later deployment may now reach them.
    released: FxSet<CommitId>,
}

/// Scratch buffers reused across walks.
#[derive(Default)]
struct Scratch {
    stack: Vec<CommitId>,
    seen_missing: FxSet<CommitId>,
}

fn remove_waiting(
    repos: &mut IdVec<RepoId, Repo>,
    repo: Option<RepoId>,
    missing: Box<[CommitId]>,
    slot: DepId,
) {
    if let Some(r) = repo.and_then(|repo| repos.get_mut(repo)) {
        for &m in &missing {
            if let Some(v) = r.waiting.get_mut(&m) {
                v.retain(|&s| s != slot);
                if v.is_empty() {
                    r.waiting.remove(&m);
                }
            }
        }
    }
}

pub(super) fn push_span(values: &mut Vec<i64>, negative: &mut u32, span: i64) {
    if span < 0 {
        *negative += 1;
    } else {
        values.push(span);
    }
}

impl Org {
    fn service_repo(&mut self, s: ServiceId) -> Option<RepoId> {
        let name = self.service_event(s)?.repo.clone()?;
        if name.trim().is_empty() {
            return None;
        }
        Some(self.repo_idx(&name))
    }

    fn service_scope(&self, s: ServiceId) -> Option<Box<str>> {
        scope_of(self.service_event(s)?.path_prefix.as_deref())
    }

    fn chain_for(&mut self, s: ServiceId, tier: EnvironmentTier) -> ChainId {
        if let Some(c) = self.services[s].chains[tier] {
            return c;
        }
        let repo = self.service_repo(s);
        let id = self.chains.push(Chain {
            repo,
            scope: self.service_scope(s),
            deps: Vec::new(),
            owner: Owners::default(),
            baseline: None,
        });
        self.services[s].chains[tier] = Some(id);
        if let Some(r) = repo {
            self.repos[r].chains.push(id);
        }
        id
    }

    /// Points a chain at another repository (or none), or path prefix: every assignment is
    /// dropped.
    fn reset_chain(&mut self, c: ChainId, repo: Option<RepoId>, scope: Option<Box<str>>) {
        let old = self.chains[c].repo;
        if let Some(o) = old {
            self.repos[o].chains.retain(|&x| x != c);
        }
        if let Some(n) = repo {
            self.repos[n].chains.push(c);
        }
        let chain = &mut self.chains[c];
        chain.repo = repo;
        chain.scope = scope;
        chain.owner = Owners::default();
        for &s in &chain.deps {
            let d = &mut self.deps[s].d;
            d.changes = Box::default();
            d.passed = Box::default();
            let missing = std::mem::take(&mut d.missing);
            let mr = d.missing_repo;
            remove_waiting(&mut self.repos, mr, missing, s);
        }
    }

    /// Takes a deployment out of its chain, releasing its commits.
    fn leave_chain(&mut self, c: ChainId, slot: DepId, w: &mut ChainWork) {
        let dep = &mut self.deps[slot];
        let mut changes = std::mem::take(&mut dep.d.changes).into_vec();
        changes.extend(std::mem::take(&mut dep.d.passed));
        let missing = std::mem::take(&mut dep.d.missing);
        let mr = dep.d.missing_repo;
        w.removed.push((
            dep.chain_fin,
            self.dep_names.resolve(dep.ev.id).to_owned(),
            self.sources.resolve(dep.ev.source).to_owned(),
        ));
        dep.chain = None;
        dep.pos = 0;
        let incidents = std::mem::take(&mut dep.d.incidents);
        dep.d = DepFacts {
            incidents,
            ..DepFacts::default()
        };
        remove_waiting(&mut self.repos, mr, missing, slot);
        let chain = &mut self.chains[c];
        for x in changes {
            if chain.owner.get(&x) == Some(&slot) {
                chain.owner.remove(&x);
                w.released.insert(x);
            }
        }
    }

    /// Re-derives everything `dirty` touched (see the module documentation).
    pub(crate) fn derive(&mut self, mut dirty: Dirty) {
        let mut work: BTreeMap<ChainId, ChainWork> = BTreeMap::new();
        let mut lead: FxSet<DepId> = FxSet::default();
        // Deployments whose failure facts to recompute, and whose query rows changed.
        let mut fail: FxSet<DepId> = FxSet::default();
        let mut rows: FxSet<DepId> = dirty.deps.clone();
        let deps_changed = !dirty.deps.is_empty();
        let mut attribution_changed = false;
        // 1. Services whose repository (or path prefix) changed restart their chains.
        let mut services: Vec<ServiceId> = dirty.services.iter().copied().collect();
        services.sort_unstable();
        for s in services {
            for t in EnvironmentTier::ALL {
                let Some(c) = self.services[s].chains[t] else {
                    continue;
                };
                let repo = self.service_repo(s);
                let scope = self.service_scope(s);
                if self.chains[c].repo != repo || self.chains[c].scope != scope {
                    self.reset_chain(c, repo, scope);
                    work.entry(c).or_default().full = true;
                    dirty.tiers[t] = true;
                }
            }
        }
        // 2. Chain membership of changed deployments.
        let mut slots: Vec<DepId> = dirty.deps.iter().copied().collect();
        slots.sort_unstable();
        let mut moves: BTreeMap<ChainId, (Vec<DepId>, Vec<DepId>)> = BTreeMap::new();
        for slot in slots {
            let dep = &self.deps[slot];
            let (cur, same_fin, success, service, tier) = (
                dep.chain,
                dep.chain_fin == dep.fin(),
                dep.is_success(),
                dep.service,
                dep.tier,
            );
            let want = if success {
                Some(self.chain_for(service, tier))
            } else {
                None
            };
            if cur == want {
                if let Some(c) = cur {
                    if same_fin {
                        work.entry(c).or_default().pending.insert(slot);
                        continue;
                    }
                } else {
                    continue;
                }
            }
            if let Some(c) = cur {
                moves.entry(c).or_default().0.push(slot);
            }
            if let Some(c) = want {
                moves.entry(c).or_default().1.push(slot);
            }
        }
        // All departures first: a deployment moving between chains must leave the old one
        // before it joins the new one.
        for (&c, (removed, _)) in &moves {
            if removed.is_empty() {
                continue;
            }
            let mut w = work.remove(&c).unwrap_or_default();
            for &r in removed {
                self.leave_chain(c, r, &mut w);
            }
            let removed: FxSet<DepId> = removed.iter().copied().collect();
            self.chains[c].deps.retain(|s| !removed.contains(s));
            work.insert(c, w);
        }
        for (c, (_, inserted)) in moves {
            let w = work.entry(c).or_default();
            let mut members = std::mem::take(&mut self.chains[c].deps);
            for &s in &inserted {
                let dep = &mut self.deps[s];
                dep.chain = Some(c);
                dep.chain_fin = dep.fin();
                w.pending.insert(s);
            }
            let deps = &self.deps;
            let names = self.dep_names();
            let order = |a: &DepId, b: &DepId| names.chain_order(&deps[*a], &deps[*b]);
            if inserted.len() <= 8 {
                for s in inserted {
                    let at = members.partition_point(|m| order(m, &s).is_lt());
                    members.insert(at, s);
                }
            } else {
                members.extend(inserted);
                members.sort_by(order);
            }
            for (i, &s) in members.iter().enumerate() {
                self.deps[s].pos = i as u32;
            }
            self.chains[c].deps = members;
        }

        // A deployment's failure facts depend on itself and on the next one of its chain: a
        // changed deployment affects itself and its predecessor; one that left, its predecessor.
        for &s in &dirty.deps {
            let dep = &self.deps[s];
            if let Some(c) = dep.chain {
                fail.insert(s);
                if dep.pos > 0 {
                    fail.insert(self.chains[c].deps[dep.pos as usize - 1]);
                }
            }
        }
        let names = self.dep_names();
        for (&c, w) in &work {
            let members = &self.chains[c].deps;
            for (fin, id, source) in &w.removed {
                let p = members.partition_point(|&m| {
                    let d = &self.deps[m];
                    names.chain_key(d) < (*fin, id.as_str(), source.as_str())
                });
                if p > 0 {
                    fail.insert(members[p - 1]);
                }
            }
        }
        // 3. Commits that arrived or changed.
        for (repo, id, change) in std::mem::take(&mut dirty.commits) {
            let r = &self.repos[repo];
            let (touch_prs, parents) = match change {
                CommitChange::Nothing => continue,
                CommitChange::NewlyKnown => {
                    for &s in r.waiting.get(&id).map_or(&[][..], |v| v) {
                        if let Some(c) = self.deps[s].chain {
                            if self.chains[c].repo == Some(repo) {
                                work.entry(c).or_default().pending.insert(s);
                            }
                        }
                    }
                    (true, false)
                }
                CommitChange::Changed { parents, authored } => (authored, parents),
            };
            if let CommitChange::Changed { .. } = change {
                for &c in &r.chains {
                    if let Some(&o) = self.chains[c].owner.get(&id) {
                        if parents {
                            work.entry(c).or_default().pending.insert(o);
                        } else {
                            lead.insert(o);
                        }
                    }
                }
            }
            if touch_prs {
                for p in r.pr_member.get(id) {
                    let pr = &self.prs[p];
                    if let Some(a) = pr.anchor() {
                        dirty.pr_anchors.push((pr.repo, a));
                    }
                }
            }
        }
        // 4. Re-walk the touched chains.
        let mut scratch = Scratch::default();
        for (c, w) in work {
            self.walk_chain(c, w, &mut lead, &mut scratch);
        }
        // 5. Pull requests changed where they are anchored: recompute their deployments' lead times.
        for (repo, a) in std::mem::take(&mut dirty.pr_anchors) {
            for &c in &self.repos[repo].chains {
                if let Some(&o) = self.chains[c].owner.get(&a) {
                    lead.insert(o);
                }
            }
        }
        // 6. Lead times.
        let mut lead: Vec<DepId> = lead.into_iter().collect();
        lead.sort_unstable();
        for s in lead {
            self.derive_lead(s);
            rows.insert(s);
        }
        // 7. Incident attribution.
        let mut incs: BTreeSet<IncidentId> = dirty.incidents.iter().copied().collect();
        for s in &dirty.attr_services {
            incs.extend(self.services[*s].incidents.iter().copied());
        }
        for id in &dirty.remediated_incident_ids {
            incs.extend(
                self.incs_by_id
                    .get(id)
                    .map_or(&[][..], |v| v)
                    .iter()
                    .copied(),
            );
        }
        for id in &dirty.remedy_dep_ids {
            fail.extend(self.deps_with_id(id));
        }
        for i in incs {
            let (attribution, target) = self.attribute(i);
            let old = self.incs[i].target;
            if old != target || self.incs[i].attribution != attribution {
                attribution_changed = true;
            }
            if old != target {
                if let Some(o) = old {
                    self.deps[o].d.incidents.retain(|&x| x != i);
                }
                if let Some(t) = target {
                    let incs = &self.incs;
                    let key = |x: IncidentId| {
                        let e = &incs[x].ev;
                        (e.id.as_str(), e.source.as_str())
                    };
                    let list = &self.deps[t].d.incidents;
                    let at = list.partition_point(|&x| key(x) < key(i));
                    self.deps[t].d.incidents.insert(at, i);
                }
            }
            let inc = &mut self.incs[i];
            inc.attribution = attribution;
            inc.target = target;
            fail.extend([old, target].into_iter().flatten());
        }
        // 8. Failure, recovery and rework.
        let mut fail: Vec<DepId> = fail.into_iter().collect();
        fail.sort_unstable();
        for s in fail {
            if self.derive_failure(s) {
                rows.insert(s);
            }
        }
        // 9. Query indexes: only from the first row that changed.
        let mut tiers: PerTier<bool> = PerTier::default();
        for &s in &rows {
            tiers[self.deps[s].tier] = true;
        }
        for t in EnvironmentTier::ALL {
            if tiers[t] || dirty.tiers[t] {
                let mut ix = std::mem::take(&mut self.tiers[t]);
                ix.update(self, t, &rows, dirty.tiers[t]);
                self.tiers[t] = ix;
            }
        }
        if dirty.incidents_changed || attribution_changed {
            self.incident_index = IncidentIndex::build(self);
        }
        if dirty.incidents_changed {
            let incs = &self.incs;
            let mut list: Vec<IncidentId> = incs.ids().collect();
            list.sort_by(|&a, &b| {
                let (a, b) = (&incs[a].ev, &incs[b].ev);
                b.started_at
                    .cmp(&a.started_at)
                    .then_with(|| a.id.cmp(&b.id))
                    .then_with(|| a.source.cmp(&b.source))
            });
            self.inc_list = list;
        }
        if deps_changed {
            let mut list = std::mem::take(&mut self.dep_list);
            let deps = &self.deps;
            let names = self.dep_names();
            let order = |a: &DepId, b: &DepId| names.list_order(&deps[*a], &deps[*b]);
            let mut changed: Vec<DepId> = dirty.deps.iter().copied().collect();
            changed.sort_by(order);
            list.retain(|s| !dirty.deps.contains(s));
            self.dep_list = merge_sorted(list, changed, order);
        }
    }
}
