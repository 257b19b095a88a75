//! Which deployment an incident is attributed to (step 7 of `derive`).

use crate::api::Attribution;
use crate::events::EnvironmentTier;
use crate::model::ids::{DepId, IncidentId};
use crate::model::Org;

impl Org {
    /// Which deployment an incident is attributed to:
    /// - `excluded` → none (`Excluded`);
    /// - `caused_by_deployment` naming a deployment id (one of the same service first, then a
    ///   successful one, then by source) → `Explicit`; else naming the sha of a successful
    ///   production deployment of the same service (the latest finished at or before the
    ///   incident started, else the earliest) → `Explicit`;
    /// - otherwise the latest successful production deployment of the service finished at or
    ///   before the incident started, within `Settings::incident_window_ms` → `Window`;
    /// - else `None`.
    pub(crate) fn attribute(&self, i: IncidentId) -> (Attribution, Option<DepId>) {
        let inc = &self.incs[i];
        let ev = &inc.ev;
        if ev.excluded {
            return (Attribution::Excluded, None);
        }
        let prod_deps: &[DepId] =
            match self.services[inc.service].chains[EnvironmentTier::Production] {
                None => &[],
                Some(prod) => &self.chains[prod].deps,
            };
        let start = ev.started_at.0;
        if let Some(x) = ev
            .caused_by_deployment
            .as_deref()
            .filter(|x| !x.trim().is_empty())
        {
            {
                let names = self.dep_names();
                let best = self.deps_with_id(x).min_by(|&a, &b| {
                    let (da, db) = (&self.deps[a], &self.deps[b]);
                    (db.service == inc.service)
                        .cmp(&(da.service == inc.service))
                        .then_with(|| db.is_success().cmp(&da.is_success()))
                        .then_with(|| names.by_source(da, db))
                });
                if let Some(b) = best {
                    return (Attribution::Explicit, Some(b));
                }
            }
            let sha = self.dep_shas.get(x);
            let by_sha = |s: &&DepId| Some(self.deps[**s].ev.sha) == sha;
            let before = prod_deps
                .iter()
                .rev()
                .filter(|&&s| self.deps[s].chain_fin <= start)
                .find(by_sha);
            if let Some(&s) = before.or_else(|| prod_deps.iter().find(by_sha)) {
                return (Attribution::Explicit, Some(s));
            }
        }
        let p = prod_deps.partition_point(|&s| self.deps[s].chain_fin <= start);
        if p > 0 {
            let s = prod_deps[p - 1];
            if start - self.deps[s].chain_fin <= self.settings.incident_window_ms {
                return (Attribution::Window, Some(s));
            }
        }
        (Attribution::None, None)
    }
}
