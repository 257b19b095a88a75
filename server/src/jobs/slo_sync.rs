//! The Prometheus sync of SLIs (`crate::slo::sync`) every `slo.prometheus.sync_secs`, on one
//! replica (a lease).

use super::{BoxFuture, Job};
use crate::slo::prom::PromClient;
use crate::state::AppState;
use std::time::Duration;

pub struct SloSync {
    pub client: PromClient,
}

impl Job for SloSync {
    fn name(&self) -> &'static str {
        "slo_sync"
    }
    fn every(&self, state: &AppState) -> Duration {
        let secs = state
            .config
            .slo
            .prometheus
            .as_ref()
            .map_or(60, |p| p.sync_secs.max(1));
        Duration::from_secs(secs)
    }
    fn once_across_replicas(&self) -> bool {
        true
    }
    fn run<'a>(&'a self, state: &'a AppState) -> BoxFuture<'a, anyhow::Result<String>> {
        let max = state
            .config
            .slo
            .prometheus
            .as_ref()
            .map_or(10_000, |p| p.max_points.max(1) as i64);
        Box::pin(crate::slo::sync::pass(state, &self.client, max))
    }
}
