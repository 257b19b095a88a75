//! The git mirrors' sync (once across replicas: one process fetches and reads): every
//! `sources.git.every_minutes`; sooner (a minute after the last run at the earliest) once
//! GitHub has delivered a push (to any repository: a fetch with nothing new is cheap) since a
//! mirror's last fetch began; and at once when an administrator asks from the Sources page
//! (`POST /api/v1/git-mirrors/sync`: a task, of one mirror or all). See `sources/git`.

use super::{BoxFuture, Job};
use crate::state::AppState;
use nagare_core::api::TaskAction;
use std::time::Duration;

/// A push makes the mirrors fetch early, but no sooner than this after their last run.
const EARLY_AFTER_MS: i64 = 60_000;

pub struct GitMirrors;

impl Job for GitMirrors {
    fn name(&self) -> &'static str {
        "git_mirrors"
    }
    fn every(&self, state: &AppState) -> Duration {
        Duration::from_secs(state.config.sources.git.every_minutes.max(1) * 60)
    }
    fn once_across_replicas(&self) -> bool {
        true
    }
    fn wants_run<'a>(
        &'a self,
        state: &'a AppState,
        last_run_at: i64,
    ) -> BoxFuture<'a, anyhow::Result<bool>> {
        Box::pin(async move {
            if state.store.open_task(TaskAction::GitSync).await?.is_some() {
                return Ok(true);
            }
            if crate::store::now_millis() - last_run_at < EARLY_AFTER_MS {
                return Ok(false);
            }
            // Since the oldest fetch (or failure) of a configured mirror (so a push that
            // arrived during a run, after its fetch, is seen); a mirror never fetched: any push.
            let rows = state.store.git_mirrors().await?;
            let since = state
                .config
                .sources
                .git
                .mirrors
                .iter()
                .map(|m| {
                    rows.iter()
                        .find(|r| r.repo == m.repo)
                        .and_then(|r| r.last_fetch_at.max(r.error_at))
                        .unwrap_or(0)
                })
                .min()
                .unwrap_or(0);
            Ok(state.store.github_pushed_since(since).await?)
        })
    }
    fn run<'a>(&'a self, state: &'a AppState) -> BoxFuture<'a, anyhow::Result<String>> {
        Box::pin(async move {
            // A sync asked for (of one mirror, or all) runs instead of the scheduled one.
            let task = state.store.open_task(TaskAction::GitSync).await?;
            if let Some(t) = &task {
                state.store.start_task(t.id).await?;
            }
            let only = task.as_ref().and_then(|t| t.repo.as_deref());
            let synced = crate::sources::git::sync_all(&state.store, &state.config, only).await;
            let summary = match &synced {
                Ok(reports) => {
                    let failed = reports.iter().filter(|r| r.error.is_some()).count();
                    let new: usize = reports.iter().map(|r| r.new).sum();
                    let mirrors = if reports.len() == 1 {
                        reports
                            .first()
                            .map_or("1 mirror".to_owned(), |r| r.repo.clone())
                    } else {
                        format!("{} mirrors", reports.len())
                    };
                    let summary = format!(
                        "{mirrors}: {new} new commits{}",
                        if failed > 0 {
                            format!(", {failed} failed (see the mirrors' errors)")
                        } else {
                            String::new()
                        }
                    );
                    (failed > 0, summary)
                }
                Err(e) => (true, format!("{e:#}")),
            };
            if let Some(t) = &task {
                state.store.finish_task(t.id, summary.0, &summary.1).await?;
            }
            synced?;
            state.sync().await?;
            Ok(summary.1)
        })
    }
}
