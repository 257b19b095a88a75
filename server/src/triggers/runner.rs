//! Running a runbook on this replica: take a slot of its concurrency limit (a lease per slot,
//! so the limit holds across replicas), claim the run (compare and swap), spawn the process
//! (`exec`), write its output to the store in chunks as it comes, beat while it runs (the
//! heartbeat also reads a cancel asked on any replica), and record how it ended.

use super::exec::{self, Line, Spec, Stream};
use super::requests::audit_run;
use super::targets::{Runbook, TargetDef};
use crate::state::AppState;
use crate::store::{now_millis, Beat, Holding, StoredRun};
use nagare_core::api::{LogChunk, LogStream, PortalRun, RunStatus};
use nagare_core::Timestamp;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Output is written when this much is waiting, or this often.
const FLUSH_BYTES: usize = 32 * 1024;
const FLUSH_EVERY: Duration = Duration::from_millis(200);

fn slot_lease(target: &str, k: u32) -> String {
    format!("runbook:{target}:{k}")
}

/// Takes a free slot of `def`'s limit for `run_id`: its lease name and holder.
async fn take_slot(
    state: &AppState,
    def: &TargetDef,
    r: &Runbook,
    run_id: &str,
) -> anyhow::Result<Option<(String, String)>> {
    let holder = format!("{run_id}@{}", state.triggers.instance);
    let ttl = state.triggers.stale_after_ms;
    for k in 0..r.concurrency {
        let name = slot_lease(&def.name, k);
        let now = now_millis();
        if state
            .store
            .take_lease(&name, &holder, now, now + ttl)
            .await?
        {
            return Ok(Some((name, holder)));
        }
    }
    Ok(None)
}

/// Starts `stored` (queued) if a slot is free; whether it started.
pub async fn start(state: &AppState, def: &TargetDef, stored: StoredRun) -> anyhow::Result<bool> {
    let Some(r) = def.runbook().cloned() else {
        return Ok(false);
    };
    let Some((slot, slot_holder)) = take_slot(state, def, &r, &stored.run.id).await? else {
        return Ok(false);
    };
    let Some((run, version)) = super::dispatch::claim(state, &stored).await? else {
        state
            .store
            .release_lease(&slot, &slot_holder, now_millis())
            .await?;
        return Ok(false);
    };
    let rt = &state.triggers;
    if let Ok(mut active) = rt.active.lock() {
        active.insert(run.id.clone());
    }
    let command = format!(
        "command {}",
        shown(run.command.as_deref().unwrap_or_default())
    );
    audit_run(state, "nagare", "run_started", true, &run, &command, None).await;
    let state = state.clone();
    tokio::spawn(async move {
        let id = run.id.clone();
        if let Err(e) = execute(&state, &r, run, version, &slot, &slot_holder).await {
            tracing::error!(run = %id, error = %format!("{e:#}"), "a runbook run could not be recorded");
        }
        if let Ok(mut active) = state.triggers.active.lock() {
            active.remove(&id);
        }
        if let Err(e) = state
            .store
            .release_lease(&slot, &slot_holder, now_millis())
            .await
        {
            tracing::warn!(run = %id, error = %e, "could not free the runbook's slot; it frees itself when its lease expires");
        }
        super::dispatch::kick(&state);
    });
    Ok(true)
}

/// `$ du -sh /data`: the command as one would type it, each argument quoted when it needs it.
pub fn shown(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Chunks waiting to be written.
struct LogWriter {
    id: String,
    seq: u64,
    pending: Vec<LogChunk>,
    size: usize,
}

impl LogWriter {
    fn push(&mut self, stream: LogStream, text: &str) {
        let at = Timestamp(now_millis());
        match self.pending.last_mut() {
            Some(last) if last.stream == stream => last.text.push_str(text),
            _ => {
                self.seq += 1;
                self.pending.push(LogChunk {
                    seq: self.seq,
                    stream,
                    at,
                    text: text.to_owned(),
                });
            }
        }
        self.size += text.len();
    }

    fn line(&mut self, stream: LogStream, text: &str) {
        self.push(stream, &format!("{text}\n"));
    }

    /// Writes what waits; on a store error, keeps it for the next time (and says so in the
    /// server's log).
    async fn flush_or_keep(&mut self, state: &AppState) {
        if let Err(e) = self.flush(state, 0).await {
            tracing::warn!(run = %self.id, error = %format!("{e:#}"), "could not store a runbook's output yet; keeping it");
        }
    }

    async fn flush(&mut self, state: &AppState, dropped: u64) -> anyhow::Result<()> {
        if self.pending.is_empty() && dropped == 0 {
            return Ok(());
        }
        state
            .store
            .append_run_log(&self.id, &self.pending, dropped)
            .await?;
        self.pending.clear();
        self.size = 0;
        Ok(())
    }
}

async fn execute(
    state: &AppState,
    r: &Runbook,
    mut run: PortalRun,
    mut version: i64,
    slot: &str,
    slot_holder: &str,
) -> anyhow::Result<()> {
    let rt = &state.triggers;
    let command = run.command.clone().unwrap_or_default();
    let mut log = LogWriter {
        id: run.id.clone(),
        seq: 0,
        pending: Vec::new(),
        size: 0,
    };
    log.line(LogStream::System, &format!("$ {}", shown(&command)));
    let env: Vec<(String, String)> = r
        .env_allow
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.clone(), v)))
        .collect();
    let spec = Spec {
        program: command.first().cloned().unwrap_or_default(),
        args: command.iter().skip(1).cloned().collect(),
        env,
        workdir: r.workdir.clone(),
        timeout: r.timeout,
        grace: rt.targets.kill_grace,
        max_output_bytes: rt.targets.log_cap_bytes,
    };
    let (tx, mut rx) = mpsc::channel::<Line>(1024);
    let running = match exec::spawn(spec, tx) {
        Ok(running) => running,
        Err(e) => {
            log.line(LogStream::System, &e.to_string());
            log.flush(state, 0).await?;
            run.status = RunStatus::Failed;
            run.error = Some(e.to_string());
            return finish(state, run, version).await;
        }
    };
    let pgid = running.pid();
    if state
        .store
        .swap_portal_run(
            &run,
            version,
            &Holding {
                pgid: Some(i64::from(pgid)),
                proc_start: exec::process_identity(pgid).as_deref(),
                ..Holding::default()
            },
        )
        .await?
    {
        version += 1;
    }
    log.flush(state, 0).await?;
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let waiting = running.wait(cancel_rx);
    tokio::pin!(waiting);
    let mut flush = tokio::time::interval(FLUSH_EVERY);
    let mut beat = tokio::time::interval(rt.heartbeat);
    let mut cancelled_by: Option<String> = None;
    let mut lost = false;
    let mut lines_open = true;
    let outcome = loop {
        tokio::select! {
            outcome = &mut waiting => break outcome,
            line = rx.recv(), if lines_open => match line {
                Some(l) => {
                    let stream = match l.stream { Stream::Stdout => LogStream::Stdout, Stream::Stderr => LogStream::Stderr };
                    log.line(stream, &l.text);
                    if log.size >= FLUSH_BYTES {
                        log.flush_or_keep(state).await;
                    }
                }
                None => lines_open = false,
            },
            _ = flush.tick() => log.flush_or_keep(state).await,
            _ = beat.tick() => {
                // A database that does not answer for a while stops nothing: the process goes
                // on, its output waits, and the next beat tries again.
                let now = now_millis();
                match state.store.heartbeat_portal_run(&run.id, &rt.instance, now).await {
                    Ok(Beat { held: false, .. }) if !lost => {
                        // Another replica ended it (no beat reached the database in time).
                        lost = true;
                        log.line(LogStream::System, "another server marked this run ended (its heartbeat had not reached the database in time): stopping its process group");
                        let _ = cancel_tx.send(true);
                    }
                    Ok(Beat { cancel_by: Some(by), .. }) if cancelled_by.is_none() => {
                        log.line(LogStream::System, &format!("cancelled by {by}: stopping the process group (SIGTERM, then SIGKILL after {} s)", rt.targets.kill_grace.as_secs()));
                        cancelled_by = Some(by);
                        let _ = cancel_tx.send(true);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(run = %run.id, error = %e, "could not record the runbook's heartbeat; trying again"),
                }
                match state.store.take_lease(slot, slot_holder, now, now + rt.stale_after_ms).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(run = %run.id, slot, "the runbook's concurrency slot was taken over (no renewal in time)"),
                    Err(e) => tracing::warn!(run = %run.id, error = %e, "could not renew the runbook's concurrency slot"),
                }
            }
        }
    };
    // What the program left running in its group (a daemon it started) does not outlive it.
    if exec::group_alive(pgid) && exec::kill_group(pgid, nix::sys::signal::Signal::SIGKILL) {
        log.line(
            LogStream::System,
            "processes it left running in its group were killed",
        );
    }
    while let Some(l) = rx.recv().await {
        let stream = match l.stream {
            Stream::Stdout => LogStream::Stdout,
            Stream::Stderr => LogStream::Stderr,
        };
        log.line(stream, &l.text);
    }
    if outcome.dropped_bytes > 0 {
        log.line(
            LogStream::System,
            &format!(
                "[output truncated: {} more bytes past the {} KB cap were not kept]",
                outcome.dropped_bytes,
                rt.targets.log_cap_bytes / 1024
            ),
        );
    }
    let secs = outcome.duration.as_secs_f64();
    run.exit_code = outcome.exit_code;
    run.signal = outcome.signal;
    run.status = if outcome.cancelled {
        run.cancelled_by = cancelled_by.clone();
        RunStatus::Cancelled
    } else if outcome.timed_out {
        run.error = Some(format!(
            "stopped by its timeout of {} s",
            r.timeout.as_secs()
        ));
        RunStatus::TimedOut
    } else if outcome.exit_code == Some(0) {
        RunStatus::Succeeded
    } else {
        run.error = Some(match (outcome.exit_code, outcome.signal) {
            (Some(c), _) => format!("exited with code {c}"),
            (None, Some(s)) => format!("ended by signal {s}"),
            (None, None) => "ended without an exit code".into(),
        });
        RunStatus::Failed
    };
    log.line(
        LogStream::System,
        &format!(
            "{} after {secs:.1} s{}{}",
            run.status,
            outcome
                .exit_code
                .map_or(String::new(), |c| format!(", exit code {c}")),
            outcome
                .signal
                .map_or(String::new(), |s| format!(", signal {s}")),
        ),
    );
    log.flush(state, outcome.dropped_bytes).await?;
    run.duration_ms = Some(outcome.duration.as_millis() as i64);
    finish(state, run, version).await
}

/// Records the end of `run` (at `version`) and audits it.
async fn finish(state: &AppState, mut run: PortalRun, version: i64) -> anyhow::Result<()> {
    let now = now_millis();
    run.finished_at = Some(Timestamp(now));
    if run.duration_ms.is_none() {
        run.duration_ms = run.started_at.map(|s| now - s.0);
    }
    if !state
        .store
        .swap_portal_run(&run, version, &Holding::default())
        .await?
    {
        anyhow::bail!(
            "run {} changed under its runner; its ending ({}) was not recorded",
            run.id,
            run.status
        );
    }
    let extra = run.error.clone().unwrap_or_else(|| run.status.to_string());
    audit_run(
        state,
        "nagare",
        "run_finished",
        run.status == RunStatus::Succeeded,
        &run,
        &extra,
        None,
    )
    .await;
    Ok(())
}
