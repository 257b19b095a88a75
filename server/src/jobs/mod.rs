//! Background jobs of a serving process, under one supervisor tied to graceful shutdown.
//!
//! A [`Job`] says what it does, how often, and whether it must run on one replica only. The
//! supervisor runs each in its own task:
//!
//! - **In every process** (per-process state, such as the failed sign-in counters): run every
//!   `every`.
//! - **Once across replicas** (they share the database): the job's row in `job_leases` names
//!   the process holding it until a time. The holder renews it every third of
//!   `jobs.lease_secs`, so it keeps the job while it lives; another replica takes the job over
//!   once the lease has expired (the holder was killed, or lost its database), and a process
//!   that stops gracefully releases its leases at once. Only the holder runs the job, when
//!   `last_run_at` says it is due, and a long run renews its lease as it goes.
//!
//! [`Jobs::stop`] ends every loop, waits for them, runs the jobs' final steps and releases
//! the leases. A new job is a file here and one line in [`Jobs::start`].

mod backfill;
mod cost_poll;
mod git_mirrors;
mod portal_runs;
mod retention;
mod sign_ins;
mod slo_alerts;
mod slo_sync;
mod snapshot;

pub use backfill::GithubBackfill;
pub use cost_poll::CostPoll;
pub use git_mirrors::GitMirrors;
pub use portal_runs::PortalRuns;
pub use retention::Retention;
pub use sign_ins::{write_repeats, SignInSummaries};
pub use slo_alerts::SloAlerts;
pub use slo_sync::SloSync;

use crate::state::AppState;
use crate::store::now_millis;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A background job.
pub trait Job: Send + Sync + 'static {
    /// Its name, and the key of its lease.
    fn name(&self) -> &'static str;
    fn every(&self, state: &AppState) -> Duration;
    /// Whether it runs on one replica only (a lease), or in every process.
    fn once_across_replicas(&self) -> bool;
    /// One run; a sentence for `job_leases.last_result` and the log.
    fn run<'a>(&'a self, state: &'a AppState) -> BoxFuture<'a, anyhow::Result<String>>;
    /// Whether a leased job should run before `every` has passed since its last run (at
    /// `last_run_at`, ms); asked at each tick of the lease's holder, and when a request asks
    /// for a task ([`AppState::wake_jobs`]).
    fn wants_run<'a>(
        &'a self,
        _state: &'a AppState,
        _last_run_at: i64,
    ) -> BoxFuture<'a, anyhow::Result<bool>> {
        Box::pin(async { Ok(false) })
    }
    /// What is left to do when the process stops (in every process).
    fn at_stop<'a>(&'a self, _state: &'a AppState) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}

/// The running jobs; [`Jobs::stop`] ends them.
pub struct Jobs {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    jobs: Vec<Arc<dyn Job>>,
    state: AppState,
    holder: String,
}

impl Jobs {
    pub fn start(state: &AppState) -> Jobs {
        let mut jobs: Vec<Arc<dyn Job>> = vec![
            Arc::new(retention::Retention),
            Arc::new(sign_ins::SignInSummaries),
            Arc::new(snapshot::ModelSnapshot),
            Arc::new(portal_runs::PortalRuns),
        ];
        if !state.config.sources.git.mirrors.is_empty() {
            jobs.push(Arc::new(GitMirrors));
        }
        if let Some(p) = &state.config.slo.prometheus {
            // The configuration was checked at start, so the client builds.
            match crate::slo::prom::PromClient::from_config(p) {
                Ok(client) => jobs.push(Arc::new(SloSync { client })),
                Err(e) => tracing::error!(error = %e, "the SLI sync cannot start"),
            }
        }
        if !state.config.slo.slack.teams.is_empty() {
            match crate::slo::notify::Webhooks::from_config(&state.config.slo.slack) {
                Ok(hooks) => jobs.push(Arc::new(SloAlerts {
                    hooks,
                    client: reqwest::Client::new(),
                })),
                Err(e) => tracing::error!(error = %e, "SLO notifications cannot start"),
            }
        }
        if state.config.cost.configured() {
            jobs.push(Arc::new(CostPoll::default()));
        }
        if crate::sources::backfill::unavailable(&state.config).is_none() {
            jobs.push(Arc::new(GithubBackfill));
        }
        Jobs::start_these(state, jobs)
    }

    /// Starts `jobs` under one supervisor.
    pub fn start_these(state: &AppState, jobs: Vec<Arc<dyn Job>>) -> Jobs {
        let (stop, stopped) = watch::channel(false);
        // Unique per process: its pid (to find it in `ps`), and a random part (pids repeat).
        let holder = format!(
            "{}-{}",
            std::process::id(),
            crate::auth::random_token(6).unwrap_or_default()
        );
        let tasks = jobs
            .iter()
            .map(|job| {
                let (job, state, holder) = (job.clone(), state.clone(), holder.clone());
                let stopped = stopped.clone();
                tokio::spawn(async move {
                    if job.once_across_replicas() {
                        leased_loop(job, state, holder, stopped).await
                    } else {
                        local_loop(job, state, stopped).await
                    }
                })
            })
            .collect();
        Jobs {
            stop,
            tasks,
            jobs,
            state: state.clone(),
            holder,
        }
    }

    /// This process's name in `job_leases.holder`.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Stops every job, waits for them, runs their final steps, and releases the leases held.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        for job in &self.jobs {
            job.at_stop(&self.state).await;
            if job.once_across_replicas() {
                let released = self
                    .state
                    .store
                    .release_lease(job.name(), &self.holder, now_millis())
                    .await;
                if let Err(e) = released {
                    tracing::warn!(job = job.name(), error = %e, "could not release the job's lease");
                }
            }
        }
    }
}

/// Sleeps `d`, or less when told to stop; whether to stop.
async fn wait(stopped: &mut watch::Receiver<bool>, d: Duration) -> bool {
    if *stopped.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *stopped.borrow(),
        _ = stopped.changed() => true,
    }
}

async fn local_loop(job: Arc<dyn Job>, state: AppState, mut stopped: watch::Receiver<bool>) {
    loop {
        if wait(&mut stopped, job.every(&state)).await {
            break;
        }
        if let Err(e) = job.run(&state).await {
            tracing::error!(job = job.name(), error = %e, "background job failed");
        }
    }
}

async fn leased_loop(
    job: Arc<dyn Job>,
    state: AppState,
    holder: String,
    mut stopped: watch::Receiver<bool>,
) {
    let ttl = Duration::from_secs(state.config.jobs.lease_secs);
    let tick = ttl / 3;
    let mut holding = false;
    let wake = state.jobs_wake.clone();
    loop {
        match turn(&*job, &state, &holder, ttl, &mut holding).await {
            Ok(()) => {}
            Err(e) => tracing::error!(job = job.name(), error = %e, "background job failed"),
        }
        // The next tick, or sooner when a request asks for a task.
        let woken = wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        tokio::select! {
            stop = wait(&mut stopped, tick.min(job.every(&state))) => if stop { break },
            () = &mut woken => {}
        }
    }
}

/// One tick of a leased job as `holder`, as the supervisor runs it (for tests and tools).
pub async fn turn_once(job: &dyn Job, state: &AppState, holder: &str) -> anyhow::Result<()> {
    let ttl = Duration::from_secs(state.config.jobs.lease_secs);
    turn(job, state, holder, ttl, &mut false).await
}

/// One tick of a leased job: take or renew the lease; when held and due, run it, renewing the
/// lease while it runs.
async fn turn(
    job: &dyn Job,
    state: &AppState,
    holder: &str,
    ttl: Duration,
    holding: &mut bool,
) -> anyhow::Result<()> {
    let store = &state.store;
    let ttl_ms = ttl.as_millis() as i64;
    let now = now_millis();
    let held = store
        .take_lease(job.name(), holder, now, now + ttl_ms)
        .await?;
    if held != *holding {
        *holding = held;
        if held {
            tracing::info!(job = job.name(), holder, "this process now runs the job");
        } else {
            tracing::warn!(
                job = job.name(),
                holder,
                "another process took the job over"
            );
        }
    }
    if !held {
        return Ok(());
    }
    let every_ms = job.every(state).as_millis() as i64;
    let due = match store.last_job_run(job.name()).await? {
        None => true,
        Some((at, _)) if now - at >= every_ms - 1_000 => true,
        Some((at, _)) => job.wants_run(state, at).await?,
    };
    if !due {
        return Ok(());
    }
    let run = job.run(state);
    tokio::pin!(run);
    let mut renew = tokio::time::interval(ttl / 3);
    renew.tick().await;
    let result = loop {
        tokio::select! {
            r = &mut run => break r,
            _ = renew.tick() => {
                let now = now_millis();
                if !store.take_lease(job.name(), holder, now, now + ttl_ms).await? {
                    // Lost (the database was unreachable past the lease): the run finishes,
                    // but its result is not recorded as ours.
                    *holding = false;
                    tracing::warn!(job = job.name(), "lost the job's lease during a run");
                }
            }
        }
    };
    let summary = match &result {
        Ok(s) => s.clone(),
        Err(e) => format!("failed: {e}"),
    };
    store
        .record_job_run(job.name(), holder, now_millis(), &summary)
        .await?;
    result.map(|_| ())
}
