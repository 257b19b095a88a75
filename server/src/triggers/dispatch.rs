//! The dispatcher, in every process (`jobs::PortalRuns` every second, and at once when a run
//! is asked for or ends): expire approvals past their time, mark runs whose process died as
//! failed (and kill what is left of them on this machine), start queued runs, and follow
//! provider runs to their end. Each change is a compare and swap, so replicas never clash.

use super::exec;
use super::requests::audit_run;
use super::Runtime;
use crate::state::AppState;
use crate::store::{now_millis, Holding, StoredRun};
use nagare_core::api::{PortalRun, RunStatus, TargetKind};
use nagare_core::Timestamp;
use std::sync::atomic::Ordering;

/// Claims a queued run for this process (queued → running, this process its holder): the run
/// and its new version, or `None` when another replica (or pass) took it first.
pub async fn claim(
    state: &AppState,
    stored: &StoredRun,
) -> anyhow::Result<Option<(PortalRun, i64)>> {
    let rt = &state.triggers;
    let mut run = stored.run.clone();
    let now = now_millis();
    run.status = RunStatus::Running;
    run.started_at = Some(Timestamp(now));
    let holding = Holding {
        holder: Some(&rt.instance),
        host: Some(&rt.host),
        pgid: None,
        proc_start: None,
        heartbeat_at: Some(now),
    };
    let claimed = state
        .store
        .swap_portal_run(&run, stored.version, &holding)
        .await?;
    Ok(claimed.then(|| (run, stored.version + 1)))
}

/// How long a provider run may be starting (claimed, no run id yet) before it is failed.
const START_DEADLINE_MS: i64 = 5 * 60_000;

/// Ends a run that cannot go on (`status`, `why`), audited as `action`.
async fn end(
    state: &AppState,
    stored: &StoredRun,
    now: i64,
    status: RunStatus,
    why: &str,
    action: &str,
) -> anyhow::Result<bool> {
    let mut run = stored.run.clone();
    run.status = status;
    run.finished_at = Some(Timestamp(now));
    run.duration_ms = run.started_at.map(|s| now - s.0);
    run.error = Some(why.to_owned());
    let ended = state
        .store
        .swap_if_silent(&run, stored.version, stored.heartbeat_at)
        .await?;
    if ended {
        audit_run(state, "nagare", action, false, &run, why, None).await;
    }
    Ok(ended)
}

/// Runs a pass now, in the background (a pass under way runs once more instead).
pub fn kick(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = pass(&state).await {
            tracing::error!(error = %format!("{e:#}"), "the run dispatcher failed");
        }
    });
}

/// One pass; a summary.
pub async fn pass(state: &AppState) -> anyhow::Result<String> {
    let rt = &state.triggers;
    rt.again.store(true, Ordering::SeqCst);
    let Ok(_turn) = rt.passing.try_lock() else {
        return Ok("a pass is under way".into());
    };
    let mut summary = Counts::default();
    while rt.again.swap(false, Ordering::SeqCst) {
        one_pass(state, &mut summary).await?;
    }
    Ok(format!(
        "{} started, {} expired, {} orphaned, {} provider runs followed",
        summary.started, summary.expired, summary.orphaned, summary.polled
    ))
}

#[derive(Default)]
struct Counts {
    started: usize,
    expired: usize,
    orphaned: usize,
    polled: usize,
}

async fn one_pass(state: &AppState, n: &mut Counts) -> anyhow::Result<()> {
    let rt = &state.triggers;
    let open = state
        .store
        .portal_runs_in(&[
            RunStatus::AwaitingApproval,
            RunStatus::Queued,
            RunStatus::Running,
        ])
        .await?;
    let now = now_millis();
    for stored in open {
        match stored.run.status {
            RunStatus::Queued | RunStatus::AwaitingApproval
                if rt.targets.get(&stored.run.target).is_none() =>
            {
                let why = format!(
                    "its target `{}` is no longer configured, so it cannot start",
                    stored.run.target
                );
                end(state, &stored, now, RunStatus::Failed, &why, "run_finished").await?;
            }
            RunStatus::AwaitingApproval => {
                n.expired += usize::from(expire(state, &stored, now).await?);
            }
            RunStatus::Queued => {
                let Some(def) = rt.targets.get(&stored.run.target) else {
                    continue;
                };
                let started = match def.kind() {
                    TargetKind::Runbook => super::runner::start(state, def, stored).await?,
                    _ => super::providers::start(state, def, stored).await?,
                };
                n.started += usize::from(started);
            }
            RunStatus::Running
                if stored.run.kind != TargetKind::Runbook
                    && stored.run.provider_run_id.is_none()
                    && now - stored.run.started_at.map_or(0, |t| t.0) > START_DEADLINE_MS =>
            {
                let why = "its start at the provider never completed (the server starting it stopped, or the provider never named the run); look for it on the provider's page";
                end(state, &stored, now, RunStatus::Failed, why, "run_finished").await?;
            }
            RunStatus::Running => {
                if orphaned(rt, &stored, now) {
                    recover(state, &stored, now).await?;
                    n.orphaned += 1;
                } else if stored.run.kind != TargetKind::Runbook
                    && now - stored.heartbeat_at.unwrap_or(0)
                        >= state.config.triggers.poll_secs as i64 * 1000
                {
                    if let Some(def) = rt.targets.get(&stored.run.target) {
                        // Asked now, whatever the answer: the next ask waits `poll_secs`.
                        let holder = stored.holder.clone().unwrap_or_default();
                        state
                            .store
                            .heartbeat_portal_run(&stored.run.id, &holder, now)
                            .await?;
                        if let Err(e) = super::providers::poll(state, def, stored).await {
                            tracing::warn!(error = %format!("{e:#}"), "could not ask the provider about a run");
                        }
                        n.polled += 1;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

async fn expire(state: &AppState, stored: &StoredRun, now: i64) -> anyhow::Result<bool> {
    let Some(a) = &stored.run.approval else {
        return Ok(false);
    };
    if now < a.expires_at.0 {
        return Ok(false);
    }
    let why = format!("nobody approved it before {}", a.expires_at);
    end(state, stored, now, RunStatus::Expired, &why, "run_expired").await
}

/// Whether a running runbook's process is gone: its holder was a process of this machine that
/// no longer runs, or it has not beaten for `stale_after_ms` (another machine). Provider runs
/// live at the provider and are never orphaned.
fn orphaned(rt: &Runtime, stored: &StoredRun, now: i64) -> bool {
    if stored.run.kind != TargetKind::Runbook {
        return false;
    }
    let Some(holder) = &stored.holder else {
        return true;
    };
    if holder == &rt.instance {
        return !rt
            .active
            .lock()
            .map(|a| a.contains(&stored.run.id))
            .unwrap_or(true);
    }
    if stored.host.as_deref() == Some(rt.host.as_str()) {
        if let Some(pid) = Runtime::holder_pid(holder) {
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                return true;
            }
        }
    }
    now - stored.heartbeat_at.unwrap_or(0) > rt.stale_after_ms
}

/// Ends an orphaned run as failed, unless it beat again meanwhile; then, on the machine it ran
/// on, kills what is left of its process group, once it is sure the group is still that run's
/// (the leader's boot and start time as recorded), never a later process given its number.
async fn recover(state: &AppState, stored: &StoredRun, now: i64) -> anyhow::Result<()> {
    let rt = &state.triggers;
    let leftover = stored
        .pgid
        .and_then(|p| u32::try_from(p).ok())
        .filter(|p| *p > 1)
        .filter(|_| stored.host.as_deref() == Some(rt.host.as_str()))
        .filter(|p| {
            stored.proc_start.is_some()
                && exec::process_identity(*p) == stored.proc_start
                && exec::group_alive(*p)
        });
    let why = format!(
        "orphaned: the server running it ({}) stopped without finishing it (last sign of life {}){}",
        stored.holder.as_deref().unwrap_or("unknown"),
        stored
            .heartbeat_at
            .map_or("never".to_owned(), |h| Timestamp(h).to_string()),
        leftover.map_or(String::new(), |g| format!(
            "; its process group {g} was still running and was killed"
        )),
    );
    if end(state, stored, now, RunStatus::Failed, &why, "run_orphaned").await? {
        tracing::warn!(run = %stored.run.id, "a runbook run was orphaned by a stopped server; marked failed");
        if let Some(g) = leftover {
            if !exec::kill_group(g, nix::sys::signal::Signal::SIGKILL) {
                tracing::warn!(run = %stored.run.id, pgid = g, "could not kill the orphaned run's process group");
            }
        }
    }
    Ok(())
}
