//! The facts of one deployment, once its chain is walked: lead times on the three bases,
//! incident attribution, and failure, recovery and rework (steps 6 to 8 of `derive`).

use super::push_span;
use crate::api::Attribution;
use crate::events::{ChangeType, DeploymentStatus};
use crate::graph::NONE;
use crate::model::Org;

impl Org {
    /// Lead times of a deployment's changes on the three bases, in ms, from its finish:
    /// - `commit`: each change's authored time;
    /// - `pull_request`: per merged pull request anchored at one of its changes (merge commit,
    ///   else last commit), the earliest authored time of its commits known in the graph, else
    ///   its opened time;
    /// - `merge`: per such pull request, its merged time.
    ///
    /// A baseline counts none. Negative spans are counted apart, never clamped.
    pub(crate) fn derive_lead(&mut self, slot: u32) {
        let dep = &self.deps[slot as usize];
        let mut lead: [Vec<i64>; 3] = Default::default();
        let mut negative = [0u32; 3];
        let mut median = None;
        let repo = dep.chain.and_then(|c| self.chains[c as usize].repo);
        if let (Some(ri), false) = (repo, dep.is_baseline()) {
            let r = &self.repos[ri as usize];
            let fin = dep.chain_fin;
            lead[0].reserve(dep.d.changes.len());
            for &x in &dep.d.changes {
                push_span(&mut lead[0], &mut negative[0], fin - r.authored[x as usize]);
                for &p in r.pr_anchor.get(&x).map_or(&[][..], |v| v) {
                    let pr = &self.prs[p as usize];
                    let Some(merged) = pr.ev.merged_at else {
                        continue;
                    };
                    let first = pr
                        .commits
                        .iter()
                        .filter(|&&c| r.is_known(c))
                        .map(|&c| r.authored[c as usize])
                        .min()
                        .unwrap_or(pr.ev.opened_at.0);
                    push_span(&mut lead[1], &mut negative[1], fin - first);
                    push_span(&mut lead[2], &mut negative[2], fin - merged.0);
                }
            }
            if !lead[0].is_empty() {
                let mut v = lead[0].clone();
                median = crate::stats::summarize_millis(&mut v).map(|s| s.median * 1000.0);
            }
        }
        let d = &mut self.deps[slot as usize].d;
        d.lead = lead;
        d.negative = negative;
        d.median_commit_ms = median;
    }

    /// Which deployment an incident is attributed to:
    /// - `excluded` → none (`Excluded`);
    /// - `caused_by_deployment` naming a deployment id (one of the same service first, then a
    ///   successful one, then by source) → `Explicit`; else naming the sha of a successful
    ///   production deployment of the same service (the latest finished at or before the
    ///   incident started, else the earliest) → `Explicit`;
    /// - otherwise the latest successful production deployment of the service finished at or
    ///   before the incident started, within `Settings::incident_window_ms` → `Window`;
    /// - else `None`.
    pub(crate) fn attribute(&self, i: u32) -> (Attribution, Option<u32>) {
        let inc = &self.incs[i as usize];
        let ev = &inc.ev;
        if ev.excluded {
            return (Attribution::Excluded, None);
        }
        let prod = self.services[inc.service as usize].chains[0];
        let prod_deps: &[u32] = if prod == NONE {
            &[]
        } else {
            &self.chains[prod as usize].deps
        };
        let start = ev.started_at.0;
        if let Some(x) = ev
            .caused_by_deployment
            .as_deref()
            .filter(|x| !x.trim().is_empty())
        {
            if let Some(v) = self.deps_by_id.get(x) {
                let best = v.iter().copied().min_by(|&a, &b| {
                    let (da, db) = (&self.deps[a as usize], &self.deps[b as usize]);
                    (db.service == inc.service)
                        .cmp(&(da.service == inc.service))
                        .then_with(|| db.is_success().cmp(&da.is_success()))
                        .then_with(|| da.ev.source.cmp(&db.ev.source))
                });
                if let Some(b) = best {
                    return (Attribution::Explicit, Some(b));
                }
            }
            let by_sha = |s: &&u32| self.deps[**s as usize].ev.sha == x;
            let before = prod_deps
                .iter()
                .rev()
                .filter(|&&s| self.deps[s as usize].chain_fin <= start)
                .find(by_sha);
            if let Some(&s) = before.or_else(|| prod_deps.iter().find(by_sha)) {
                return (Attribution::Explicit, Some(s));
            }
        }
        let p = prod_deps.partition_point(|&s| self.deps[s as usize].chain_fin <= start);
        if p > 0 {
            let s = prod_deps[p - 1];
            if start - self.deps[s as usize].chain_fin <= self.settings.incident_window_ms {
                return (Attribution::Window, Some(s));
            }
        }
        (Attribution::None, None)
    }

    /// Failure, recovery and rework facts of one deployment; whether they changed.
    ///
    /// - **Failed** ("caused a failure"): an incident is attributed to it, or the next
    ///   deployment of the chain is a rollback or a hotfix, or it is `marked_failed`.
    /// - **Recovered at** the earliest of: all its attributed incidents resolved (the last
    ///   resolution; an incident resolved before the deployment finished counts as resolved at
    ///   its finish); the remediating deployment finished (the next one when it is a rollback
    ///   or hotfix; a successful deployment whose `remediates` names one of its incidents; a
    ///   deployment an incident names as `remediated_by_deployment`; only those finishing after
    ///   it). A failure that is only `marked_failed` recovers with the next deployment of the
    ///   chain. Otherwise it is not recovered yet.
    /// - **Unplanned**: a hotfix or rollback, or it remediates an incident.
    pub(crate) fn derive_failure(&mut self, slot: u32) -> bool {
        let dep = &self.deps[slot as usize];
        let Some(c) = dep.chain else { return false };
        let chain = &self.chains[c as usize];
        {
            let next = chain
                .deps
                .get(dep.pos as usize + 1)
                .map(|&s| &self.deps[s as usize]);
            let fin = dep.chain_fin;
            let incidents = &dep.d.incidents;
            let mut reasons: Vec<String> = incidents
                .iter()
                .map(|&x| format!("incident {}", self.incs[x as usize].ev.id))
                .collect();
            let remedy_next = next.filter(|n| n.ev.change_type != ChangeType::Normal);
            if let Some(n) = remedy_next {
                reasons.push(match n.ev.change_type {
                    ChangeType::Rollback => format!("rolled back by {}", n.ev.id),
                    _ => format!("hotfixed by {}", n.ev.id),
                });
            }
            if dep.ev.marked_failed {
                reasons.push("marked failed".to_owned());
            }
            let failed = !reasons.is_empty();
            let mut recovery = None;
            if failed {
                let resolved: Option<i64> = if incidents.is_empty() {
                    None
                } else {
                    incidents
                        .iter()
                        .map(|&x| self.incs[x as usize].ev.resolved_at.map(|t| t.0))
                        .collect::<Option<Vec<i64>>>()
                        .and_then(|v| v.into_iter().max())
                        .map(|t| t.max(fin))
                };
                let mut remedy: Option<i64> = remedy_next.map(|n| n.chain_fin);
                let mut consider = |s: u32| {
                    let d = &self.deps[s as usize];
                    if d.ev.status == DeploymentStatus::Success
                        && d.fin() >= fin
                        && d.ev.finished_at.is_some()
                    {
                        remedy = Some(remedy.map_or(d.fin(), |r| r.min(d.fin())));
                    }
                };
                for &x in incidents {
                    let ev = &self.incs[x as usize].ev;
                    self.deps_by_remediates
                        .get(&ev.id)
                        .into_iter()
                        .flatten()
                        .for_each(|&s| consider(s));
                    if let Some(id) = &ev.remediated_by_deployment {
                        self.deps_by_id
                            .get(id)
                            .into_iter()
                            .flatten()
                            .for_each(|&s| consider(s));
                    }
                }
                let mut at = match (resolved, remedy) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                if at.is_none() && incidents.is_empty() && remedy_next.is_none() {
                    // Only marked failed: recovered by the next deployment.
                    at = next.map(|n| n.chain_fin);
                }
                recovery = at.map(|t| t - fin);
            }
            let unplanned = self.is_unplanned(&dep.ev);
            let d = &mut self.deps[slot as usize].d;
            let changed = d.failed != failed
                || d.reasons != reasons
                || d.recovery_ms != recovery
                || d.unplanned != unplanned;
            d.failed = failed;
            d.reasons = reasons;
            d.recovery_ms = recovery;
            d.unplanned = unplanned;
            changed
        }
    }
}
