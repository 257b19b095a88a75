//! The model's snapshot (in every process: each keeps its own file): written every
//! `database.snapshot_every_minutes` when the model has changed since the last one, and when
//! the process stops. See `state/snapshot.rs`.

use super::{BoxFuture, Job};
use crate::state::AppState;
use std::time::Duration;

pub struct ModelSnapshot;

impl Job for ModelSnapshot {
    fn name(&self) -> &'static str {
        "model_snapshot"
    }
    fn every(&self, state: &AppState) -> Duration {
        Duration::from_secs(state.config.database.snapshot_every_minutes.max(1) * 60)
    }
    fn once_across_replicas(&self) -> bool {
        false
    }
    fn run<'a>(&'a self, state: &'a AppState) -> BoxFuture<'a, anyhow::Result<String>> {
        Box::pin(async move {
            Ok(
                match state.write_snapshot().await.map_err(anyhow::Error::msg)? {
                    Some(h) => format!("snapshot written at revision {}", h.stamp.rev),
                    None => "the snapshot is current".into(),
                },
            )
        })
    }
    fn at_stop<'a>(&'a self, state: &'a AppState) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Err(e) = state.write_snapshot().await {
                tracing::warn!(error = %e, "could not write the model snapshot at shutdown");
            }
        })
    }
}
