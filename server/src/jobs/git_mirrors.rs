//! The git mirrors' sync (once across replicas: one process fetches and reads): every
//! `sources.git.every_minutes`, and sooner (a minute after the last run at the earliest)
//! once GitHub has delivered a push (to any repository: a fetch with nothing new is cheap)
//! since a mirror's last fetch began. See `sources/git`.

use super::{BoxFuture, Job};
use crate::state::AppState;
use std::time::Duration;

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
        _last_run_at: i64,
    ) -> BoxFuture<'a, anyhow::Result<bool>> {
        Box::pin(async move {
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
            let reports = crate::sources::git::sync_all(&state.store, &state.config, None).await?;
            state.sync().await?;
            let failed = reports.iter().filter(|r| r.error.is_some()).count();
            let new: usize = reports.iter().map(|r| r.new).sum();
            let summary = format!(
                "{} mirrors: {new} new commits{}",
                reports.len(),
                if failed > 0 {
                    format!(", {failed} failed (see the Sources page)")
                } else {
                    String::new()
                }
            );
            Ok(summary)
        })
    }
}
