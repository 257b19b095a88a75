//! Failed sign-in summaries (every 30 s, in each process: the counters are the process's own):
//! the repeats counted by [`crate::auth::limiter`] become one audit row per address and
//! window, and what is pending is written when the process stops.

use super::{BoxFuture, Job};
use crate::auth::limiter::Repeats;
use crate::state::AppState;
use crate::store::{now_millis, AuditEntry, Store};
use std::time::Duration;

pub struct SignInSummaries;

impl Job for SignInSummaries {
    fn name(&self) -> &'static str {
        "failed_sign_in_summaries"
    }
    fn every(&self, _: &AppState) -> Duration {
        Duration::from_secs(30)
    }
    fn once_across_replicas(&self) -> bool {
        false
    }
    fn run<'a>(&'a self, state: &'a AppState) -> BoxFuture<'a, anyhow::Result<String>> {
        Box::pin(async move {
            let repeats = state.sign_in_failures.drain(now_millis(), false);
            let n = repeats.len();
            write_repeats(&state.store, repeats).await;
            Ok(format!("{n} summaries written"))
        })
    }
    fn at_stop<'a>(&'a self, state: &'a AppState) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            write_repeats(
                &state.store,
                state.sign_in_failures.drain(now_millis(), true),
            )
            .await;
        })
    }
}

/// One summary row per address and window.
pub async fn write_repeats(store: &Store, repeats: Vec<Repeats>) {
    for r in repeats {
        let entry = AuditEntry {
            actor: "anonymous",
            action: "sign_in_failed",
            success: false,
            detail: format!(
                "{} more failed sign-in{} from this address (last: {})",
                r.count,
                if r.count == 1 { "" } else { "s" },
                r.last_reason
            ),
            ip: r.ip.clone(),
        };
        if let Err(e) = store
            .audit_repeated(&entry, r.count, r.first_at, Some(r.last_at))
            .await
        {
            tracing::error!(error = %e, "could not write failed sign-ins to the audit log");
        }
    }
}
