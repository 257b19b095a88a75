//! Background jobs of a serving process.
//!
//! - **Raw delivery retention** (every `retention.interval_minutes`, under a database lease so
//!   that one replica runs it): deletes deliveries older than `retention.raw_deliveries_days`,
//!   then the oldest until they hold at most `retention.raw_deliveries_max_mb`.
//! - **Failed sign-in summaries** (every 30 s, in each process): the repeats counted by
//!   [`crate::auth::limiter`] become one audit row per address and window.

use crate::auth::limiter::Repeats;
use crate::state::AppState;
use crate::store::{now_millis, AuditEntry, Store};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

const RETENTION_JOB: &str = "raw_delivery_retention";
const FLUSH_EVERY: Duration = Duration::from_secs(30);

/// The running jobs; [`Jobs::stop`] ends them and writes what is pending.
pub struct Jobs {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    state: AppState,
}

impl Jobs {
    pub fn start(state: &AppState) -> Jobs {
        let (stop, stopped) = watch::channel(false);
        let holder = format!(
            "{}-{}",
            std::process::id(),
            crate::auth::random_token(6).unwrap_or_default()
        );
        let retention = {
            let state = state.clone();
            let mut stopped = stopped.clone();
            let every = Duration::from_secs(state.config.retention.interval_minutes * 60);
            tokio::spawn(async move {
                loop {
                    if let Err(e) = run_retention(&state, &holder, every).await {
                        tracing::error!(error = %e, "raw delivery retention failed");
                    }
                    if wait(&mut stopped, every).await {
                        break;
                    }
                }
            })
        };
        let flush = {
            let state = state.clone();
            let mut stopped = stopped;
            tokio::spawn(async move {
                loop {
                    if wait(&mut stopped, FLUSH_EVERY).await {
                        break;
                    }
                    write_repeats(
                        &state.store,
                        state.sign_in_failures.drain(now_millis(), false),
                    )
                    .await;
                }
            })
        };
        Jobs {
            stop,
            tasks: vec![retention, flush],
            state: state.clone(),
        }
    }

    /// Stops the jobs and writes the failed sign-ins still pending.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        write_repeats(
            &self.state.store,
            self.state.sign_in_failures.drain(now_millis(), true),
        )
        .await;
    }
}

/// Sleeps `d`, or less when told to stop; whether to stop.
async fn wait(stopped: &mut watch::Receiver<bool>, d: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => *stopped.borrow(),
        _ = stopped.changed() => true,
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

/// Runs the retention once, if it is due and this process holds the lease.
pub async fn run_retention(
    state: &AppState,
    holder: &str,
    every: Duration,
) -> crate::store::Result<()> {
    let store = &state.store;
    let now = now_millis();
    let every_ms = every.as_millis() as i64;
    let due = |last: Option<(i64, String)>| last.is_none_or(|(at, _)| now - at >= every_ms - 1_000);
    if !due(store.last_job_run(RETENTION_JOB).await?) {
        return Ok(());
    }
    if !store
        .take_lease(RETENTION_JOB, holder, now, now + 10 * 60_000)
        .await?
    {
        return Ok(());
    }
    // Another replica may have run it between the check and the lease.
    if !due(store.last_job_run(RETENTION_JOB).await?) {
        return store.release_lease(RETENTION_JOB, holder, now).await;
    }
    let r = &state.config.retention;
    let before =
        (r.raw_deliveries_days > 0).then(|| now - r.raw_deliveries_days as i64 * 86_400_000);
    let max = (r.raw_deliveries_max_mb > 0).then(|| r.raw_deliveries_max_mb as i64 * 1024 * 1024);
    let result = store.prune_deliveries(before, max).await;
    let summary = match &result {
        Ok((age, size)) => format!("deleted {age} by age and {size} by size"),
        Err(e) => format!("failed: {e}"),
    };
    if let Ok((age, size)) = &result {
        if age + size > 0 {
            tracing::info!(by_age = age, by_size = size, "raw deliveries pruned");
        }
    }
    store
        .finish_job(RETENTION_JOB, holder, now_millis(), &summary)
        .await?;
    result.map(|_| ())
}
