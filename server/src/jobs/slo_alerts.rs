//! SLO notifications (`crate::slo::notify`) once a minute, on one replica (a lease).

use super::{BoxFuture, Job};
use crate::slo::notify::Webhooks;
use crate::state::AppState;
use std::time::Duration;

pub struct SloAlerts {
    pub hooks: Webhooks,
    pub client: reqwest::Client,
}

impl Job for SloAlerts {
    fn name(&self) -> &'static str {
        "slo_alerts"
    }
    fn every(&self, _: &AppState) -> Duration {
        Duration::from_secs(60)
    }
    fn once_across_replicas(&self) -> bool {
        true
    }
    fn run<'a>(&'a self, state: &'a AppState) -> BoxFuture<'a, anyhow::Result<String>> {
        Box::pin(crate::slo::notify::pass(state, &self.hooks, &self.client))
    }
}
