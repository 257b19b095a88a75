//! Failure, recovery and rework of a deployment (step 8 of `derive`).

use crate::events::{ChangeType, DeploymentStatus};
use crate::model::ids::DepId;
use crate::model::state::OptI64;
use crate::model::Org;

impl Org {
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
    pub(crate) fn derive_failure(&mut self, slot: DepId) -> bool {
        let dep = &self.deps[slot];
        let Some(c) = dep.chain else { return false };
        let chain = &self.chains[c];
        {
            let next = chain.deps.get(dep.pos as usize + 1).map(|&s| &self.deps[s]);
            let fin = dep.chain_fin;
            let incidents = &dep.d.incidents;
            let mut reasons: Vec<String> = incidents
                .iter()
                .map(|&x| format!("incident {}", self.incs[x].ev.id))
                .collect();
            let remedy_next = next.filter(|n| n.ev.change_type != ChangeType::Normal);
            if let Some(n) = remedy_next {
                reasons.push(match n.ev.change_type {
                    ChangeType::Rollback => {
                        format!("rolled back by {}", self.dep_names.resolve(n.ev.id))
                    }
                    _ => format!("hotfixed by {}", self.dep_names.resolve(n.ev.id)),
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
                        .map(|&x| self.incs[x].ev.resolved_at.map(|t| t.0))
                        .collect::<Option<Vec<i64>>>()
                        .and_then(|v| v.into_iter().max())
                        .map(|t| t.max(fin))
                };
                let mut remedy: Option<i64> = remedy_next.map(|n| n.chain_fin);
                let mut consider = |s: DepId| {
                    let d = &self.deps[s];
                    if d.ev.status == DeploymentStatus::Success
                        && d.fin() >= fin
                        && d.ev.finished_at().is_some()
                    {
                        remedy = Some(remedy.map_or(d.fin(), |r| r.min(d.fin())));
                    }
                };
                for &x in incidents {
                    let ev = &self.incs[x].ev;
                    self.deps_by_remediates
                        .get(&ev.id)
                        .into_iter()
                        .flatten()
                        .for_each(|&s| consider(s));
                    if let Some(id) = &ev.remediated_by_deployment {
                        self.deps_with_id(id).for_each(&mut consider);
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
            let d = &mut self.deps[slot].d;
            let changed = d.failed != failed
                || *d.reasons != *reasons
                || d.recovery_ms.get() != recovery
                || d.unplanned != unplanned;
            d.failed = failed;
            d.reasons = reasons.into_boxed_slice();
            d.recovery_ms = OptI64::new(recovery);
            d.unplanned = unplanned;
            changed
        }
    }
}
