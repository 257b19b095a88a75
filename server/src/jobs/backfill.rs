//! The history backfills asked for from the Sources page (`POST /api/v1/backfill`), once
//! across replicas: the holder of this job's lease runs the open backfill task, if any (a
//! task a stopped process had started resumes from the backfill's cursors). Asked for, it runs
//! at the next tick of its holder, at once on the replica that took the request.

use super::{BoxFuture, Job};
use crate::state::AppState;
use nagare_core::api::TaskAction;
use std::time::Duration;

pub struct GithubBackfill;

impl Job for GithubBackfill {
    fn name(&self) -> &'static str {
        "github_backfill"
    }
    /// Nothing is scheduled: a run without a task asked for does nothing.
    fn every(&self, _state: &AppState) -> Duration {
        Duration::from_secs(3600)
    }
    fn once_across_replicas(&self) -> bool {
        true
    }
    fn wants_run<'a>(
        &'a self,
        state: &'a AppState,
        _last_run_at: i64,
    ) -> BoxFuture<'a, anyhow::Result<bool>> {
        Box::pin(async move { Ok(state.store.open_task(TaskAction::Backfill).await?.is_some()) })
    }
    fn run<'a>(&'a self, state: &'a AppState) -> BoxFuture<'a, anyhow::Result<String>> {
        Box::pin(async move {
            let Some(task) = state.store.open_task(TaskAction::Backfill).await? else {
                return Ok("no backfill asked for".to_owned());
            };
            state.store.start_task(task.id).await?;
            let since = task.since.map_or(0, |t| t.0);
            let outcome = crate::sources::backfill::run_configured(
                &state.store,
                &state.config,
                since,
                task.repo.as_deref(),
                &|_| {},
            )
            .await;
            let (failed, text) = match &outcome {
                Ok(o) => (o.failed() > 0, o.describe()),
                Err(e) => (true, format!("{e:#}")),
            };
            state.store.finish_task(task.id, failed, &text).await?;
            // The portal shows what the backfill stored on its next read.
            state.sync().await?;
            let summary = format!("backfill task {}: {text}", task.id);
            if failed {
                anyhow::bail!(summary)
            }
            Ok(summary)
        })
    }
}
