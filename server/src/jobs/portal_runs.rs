//! The run dispatcher (`crate::triggers::dispatch`) every second, in every process: each
//! replica starts the queued runs it can, within each runbook's concurrency limit across
//! replicas (a lease per slot), and marks runs orphaned by a stopped server as failed.

use super::{BoxFuture, Job};
use crate::state::AppState;
use std::time::Duration;

pub struct PortalRuns;

impl Job for PortalRuns {
    fn name(&self) -> &'static str {
        "portal_runs"
    }
    fn every(&self, _: &AppState) -> Duration {
        Duration::from_secs(1)
    }
    fn once_across_replicas(&self) -> bool {
        false
    }
    fn run<'a>(&'a self, state: &'a AppState) -> BoxFuture<'a, anyhow::Result<String>> {
        Box::pin(crate::triggers::dispatch::pass(state))
    }
}
