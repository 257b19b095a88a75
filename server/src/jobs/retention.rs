//! Retention (every `retention.interval_minutes`, on one replica): deletes raw deliveries older
//! than `retention.raw_deliveries_days`, then the oldest until they hold at most
//! `retention.raw_deliveries_max_mb`; and SLI buckets older than `slo.keep_days`.

use super::{BoxFuture, Job};
use crate::state::AppState;
use crate::store::now_millis;
use std::time::Duration;

pub struct Retention;

impl Job for Retention {
    fn name(&self) -> &'static str {
        "raw_delivery_retention"
    }
    fn every(&self, state: &AppState) -> Duration {
        Duration::from_secs(state.config.retention.interval_minutes * 60)
    }
    fn once_across_replicas(&self) -> bool {
        true
    }
    fn run<'a>(&'a self, state: &'a AppState) -> BoxFuture<'a, anyhow::Result<String>> {
        Box::pin(async move {
            let r = &state.config.retention;
            let now = now_millis();
            let before = (r.raw_deliveries_days > 0)
                .then(|| now - r.raw_deliveries_days as i64 * 86_400_000);
            let max =
                (r.raw_deliveries_max_mb > 0).then(|| r.raw_deliveries_max_mb as i64 * 1024 * 1024);
            let (age, size) = state.store.prune_deliveries(before, max).await?;
            if age + size > 0 {
                tracing::info!(by_age = age, by_size = size, "raw deliveries pruned");
            }
            let sli = state
                .store
                .prune_sli(now - state.config.slo.keep_days as i64 * 86_400_000)
                .await?;
            if sli > 0 {
                tracing::info!(buckets = sli, "SLI buckets past slo.keep_days pruned");
            }
            Ok(format!(
                "deleted {age} by age and {size} by size; {sli} SLI buckets past slo.keep_days"
            ))
        })
    }
}
