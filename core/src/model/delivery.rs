//! What each service delivered in a window, for unit cost (docs/metrics.md, "Cloud cost"):
//! successful production deployments, failed changes with their recovery, and CI minutes.

use super::Org;
use crate::events::{DeploymentStatus, EnvironmentTier};
use crate::pipelines::Outcome;
use std::collections::BTreeMap;

/// A service's production deployments in a window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceDelivery {
    /// Successful production deployments that finished in the window.
    pub deployments: u64,
    /// Each of those that caused a failure: when it finished and when it recovered (`None`:
    /// not yet), epoch ms.
    pub failures: Vec<(i64, Option<i64>)>,
}

/// Pipeline runs that finished in a window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CiUsage {
    /// Minutes from start to finish, summed.
    pub minutes: f64,
    pub runs: u64,
}

impl Org {
    /// Each service's successful production deployments that finished in `[from, to)` (ms).
    pub fn delivery(&self, from: i64, to: i64) -> BTreeMap<String, ServiceDelivery> {
        let mut out: BTreeMap<String, ServiceDelivery> = BTreeMap::new();
        for &slot in &self.dep_list {
            let d = &self.deps[slot];
            if d.tier != EnvironmentTier::Production || d.ev.status != DeploymentStatus::Success {
                continue;
            }
            let Some(fin) = d.ev.finished_at().map(|t| t.0) else {
                continue;
            };
            if fin < from || fin >= to {
                continue;
            }
            let s = out
                .entry(self.service_names.resolve(d.service).to_owned())
                .or_default();
            s.deployments += 1;
            if d.d.failed {
                s.failures
                    .push((fin, d.d.recovery_ms.get().map(|ms| fin + ms)));
            }
        }
        out
    }

    /// Pipeline run attempts that finished in `[from, to)` (ms) with a start and finish: their
    /// minutes and count. CI's cost is not split by service, so every repository counts; with
    /// `admit`, only the repositories with a service it admits (what a caller may read).
    pub fn ci_usage(&self, from: i64, to: i64, admit: Option<&dyn Fn(&str) -> bool>) -> CiUsage {
        let repos = admit.map(|admit| {
            self.repo_services()
                .into_iter()
                .filter(|(_, services)| services.iter().any(|s| admit(s)))
                .map(|(r, _)| r)
                .collect::<std::collections::HashSet<_>>()
        });
        let mut u = CiUsage::default();
        for e in &self.run_list {
            if repos.as_ref().is_some_and(|r| !r.contains(&e.repo)) {
                continue;
            }
            if !e.finished || e.outcome == Outcome::Running {
                continue;
            }
            let Some(at) = e.at() else { continue };
            if at < from || at >= to {
                continue;
            }
            let r = &self.runs[e.slot];
            if let (Some(s), Some(f)) = (r.started_at.get(), r.finished_at.get()) {
                if f >= s {
                    u.minutes += (f - s) as f64 / 60_000.0;
                    u.runs += 1;
                }
            }
        }
        u
    }
}
