//! Shared state: the store, the config, and the in-memory model the metrics are read from.
//!
//! The model is derived from the events table and kept current incrementally: before a read,
//! and in the background after a batch commits, [`AppState::sync`] applies only the events whose
//! revision is newer than the model's. Several replicas on one PostgreSQL database each catch
//! up the same way.
//!
//! A catch-up can never leave the model emptied or half-applied, whatever future is dropped
//! (a client hanging up, a timeout): the new events are read while readers go on with the
//! current model; then a blocking task that *owns* the write guard applies them and sets the
//! revision. Dropping the request that started it does not stop that task, so the lock is only
//! released once the model is whole and current.

use crate::auth::hosts::HostPolicy;
use crate::auth::limiter::SignInFailures;
use crate::auth::TrustedProxies;
use crate::config::Config;
use crate::error::ApiError;
use crate::store::{Store, StoreError, Writer};
use nagare_core::model::Org;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod heap;
pub use heap::{peak_resident_mib, release_free_memory, resident_mib};
mod snapshot;
mod view;
pub use snapshot::SnapshotFile;
use tokio::sync::{Mutex, OwnedRwLockWriteGuard, RwLock, Semaphore, SemaphorePermit};
pub use view::{Catalog, Synced, TeamView};

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// Stores ingested batches, several per transaction when they arrive together.
    pub writer: Writer,
    pub config: Arc<Config>,
    /// Private: handlers read it through [`Synced`] and [`TeamView`] (see `view.rs`).
    model: Arc<RwLock<Model>>,
    /// No identity provider configured: one local user, loopback only.
    pub local_mode: bool,
    /// The OpenID Connect client when single sign-on is configured.
    pub oidc: Option<Arc<crate::auth::oidc::Client>>,
    /// The `Host` names answered.
    pub hosts: Arc<HostPolicy>,
    pub trusted_proxies: Arc<TrustedProxies>,
    /// The webhook sources configured (`POST /hooks/{source}`).
    pub sources: Arc<crate::sources::Registry>,
    pub sign_in_failures: Arc<SignInFailures>,
    /// API requests in flight, and the kilobytes of ingest bodies in flight (a bounded line
    /// each; past it, 503).
    pub requests: Arc<Gate>,
    pub ingest_kb: Arc<Gate>,
    /// Metric and list computations at once: about the cores, so that each finishes quickly
    /// and the rest wait in a line that sheds, rather than all slowing down together.
    pub compute: Arc<Gate>,
    /// One catch-up at a time.
    syncing: Arc<Mutex<()>>,
    /// The model's revision, readable without the model's lock.
    model_rev: Arc<AtomicI64>,
    /// The background catch-up: the revision it is asked for, and whether it runs.
    wanted: Arc<AtomicI64>,
    catching_up: Arc<AtomicBool>,
    /// The model's snapshot file (`database.snapshot`).
    pub snapshot: Arc<SnapshotFile>,
    /// Wakes this process's leased jobs before their next tick ([`AppState::wake_jobs`]).
    pub jobs_wake: Arc<tokio::sync::Notify>,
    /// What may be started from the portal, and the runs this process runs.
    pub triggers: Arc<crate::triggers::Runtime>,
    /// The SLOs, and their SLIs' counts held in memory.
    pub slos: Arc<crate::slo::Slos>,
    /// The stored daily cost, held in memory.
    pub costs: Arc<crate::cost::runtime::Costs>,
}

pub struct Model {
    org: Org,
    /// The store revision the model reflects.
    rev: i64,
}

impl AppState {
    /// Opens the model from its snapshot when one may be used and catches it up, else by
    /// loading every stored event (start-up only).
    pub async fn new(store: Store, config: Config) -> Result<AppState, StoreError> {
        let org = Org::new(config.core_settings());
        let oidc = if config.auth.enabled() {
            let client = crate::auth::oidc::Client::new(&config)
                .map_err(|e| StoreError::Config(e.to_string()))?;
            Some(Arc::new(client))
        } else {
            None
        };
        let local_mode = oidc.is_none();
        let port = config.bind_addr().map(|a| a.port()).unwrap_or(0);
        let hosts = HostPolicy::new(
            local_mode,
            &config.auth.redirect_url,
            &config.server.allowed_hosts,
            port,
        )
        .map_err(StoreError::Config)?;
        let trusted_proxies =
            TrustedProxies::parse(&config.server.trusted_proxies).map_err(StoreError::Config)?;
        let sources = crate::sources::Registry::from_config(&config)
            .map_err(|e| StoreError::Config(format!("{e:#}")))?;
        let targets = crate::triggers::Targets::from_config(&config)
            .map_err(|(k, m)| StoreError::Config(format!("{k}: {m}")))?;
        let triggers = Arc::new(crate::triggers::Runtime::new(
            targets,
            config.jobs.lease_secs,
        ));
        let slos = Arc::new(crate::slo::Slos::new(&config).map_err(StoreError::Config)?);
        let snapshot = Arc::new(SnapshotFile::new(
            config
                .database
                .snapshot_path(store.sqlite_file().as_deref()),
        ));
        let s = &config.server;
        let wait = Duration::from_millis(s.queue_wait_ms);
        let state = AppState {
            sources: Arc::new(sources),
            writer: Writer::start(store.clone()),
            store,
            local_mode,
            oidc,
            hosts: Arc::new(hosts),
            trusted_proxies: Arc::new(trusted_proxies),
            sign_in_failures: Arc::new(SignInFailures::new(
                config.auth.failed_sign_in_limit,
                config.auth.failed_sign_in_window_minutes as i64 * 60_000,
            )),
            requests: Arc::new(Gate::new(
                "API requests",
                s.request_concurrency as usize,
                s.request_concurrency as usize * 8,
                wait,
            )),
            compute: Arc::new(Gate::new(
                "metric computations",
                config.compute_concurrency(),
                s.request_concurrency as usize * 8,
                wait,
            )),
            ingest_kb: Arc::new(Gate::new(
                "event batches",
                s.ingest_buffer_mb as usize * 1024,
                256,
                wait,
            )),
            config: Arc::new(config),
            model: Arc::new(RwLock::new(Model { org, rev: 0 })),
            syncing: Arc::new(Mutex::new(())),
            model_rev: Arc::new(AtomicI64::new(0)),
            wanted: Arc::new(AtomicI64::new(0)),
            catching_up: Arc::new(AtomicBool::new(false)),
            snapshot,
            jobs_wake: Arc::new(tokio::sync::Notify::new()),
            triggers,
            slos,
            costs: Arc::new(crate::cost::runtime::Costs::default()),
        };
        // The services the GitHub repository rules declare, in step with the configuration
        // (before the model is read, so that it has them).
        let declared =
            crate::sources::github::declare_services(&state.store, &state.config.sources.github)
                .await?;
        if declared.added + declared.changed + declared.removed > 0 {
            tracing::info!(
                ?declared,
                "services declared by the GitHub repository rules updated"
            );
        }
        for p in state.slos.problems() {
            tracing::warn!(problem = %p, "an SLO definition could not be read; the others are loaded");
        }
        state.slos.refresh_now(&state.store).await?;
        let restored = state.restore_snapshot().await;
        state.sync().await?;
        if !restored && state.model_rev() > 0 {
            // Derived from scratch: keep it for the next start.
            state.write_snapshot_later();
        }
        // The stored cost is read into memory in the background (seconds for years of a large
        // organisation's rows): a request meanwhile waits for that one load, not its own.
        let (costs, store) = (state.costs.clone(), state.store.clone());
        tokio::spawn(async move {
            if let Err(e) = costs.current(&store).await {
                tracing::warn!(error = %e, "the stored cost could not be read; the next request tries again");
            }
        });
        Ok(state)
    }

    /// Asks this process's leased jobs whether they want to run now, rather than at their
    /// next tick: after a request queued a task for one of them. (Another replica holding the
    /// job's lease sees the task at its next tick.)
    pub fn wake_jobs(&self) {
        self.jobs_wake.notify_waiters();
    }

    /// Brings the model up to the store's latest revision, applying only what is new.
    /// When events were removed after the model's revision (a replay), it is derived again
    /// from scratch: applying what changed cannot remove anything.
    pub async fn sync(&self) -> Result<(), StoreError> {
        let (latest, reset) = self.store.revs().await?;
        if self.model_rev() < reset {
            let _one = self.syncing.lock().await;
            if self.model_rev() < reset {
                tracing::info!(
                    model_rev = self.model_rev(),
                    reset_rev = reset,
                    "events were removed (a replay): deriving the model again"
                );
                let target = self.store.current_rev().await?;
                return self.load_all(target, std::time::Instant::now()).await;
            }
        }
        self.sync_to(latest).await
    }

    /// Brings the model up to at least revision `latest` (and to whatever else has committed
    /// by then: one catch-up covers every batch waiting).
    pub async fn sync_to(&self, latest: i64) -> Result<(), StoreError> {
        if self.model_rev.load(Ordering::Acquire) >= latest {
            return Ok(());
        }
        let _one = self.syncing.lock().await;
        let base = self.model_rev.load(Ordering::Acquire);
        if base >= latest {
            return Ok(());
        }
        let target = latest.max(self.store.current_rev().await?);
        let started = std::time::Instant::now();
        if base == 0 {
            return self.load_all(target, started).await;
        }
        let events = self.store.events_between(base, target).await?;
        let n = events.len();
        let guard = self.model.clone().write_owned().await;
        let settings = self.config.core_settings();
        let mirror = self.model_rev.clone();
        // Deriving is CPU work: off the async workers, on a task that owns the write guard.
        tokio::task::spawn_blocking(move || apply(guard, events, target, settings, &mirror))
            .await
            .map_err(|e| StoreError::Config(format!("model update failed: {e}")))??;
        tracing::debug!(
            previous_rev = base,
            events = n,
            rev = target,
            took_ms = started.elapsed().as_millis() as u64,
            "model synced"
        );
        Ok(())
    }

    /// Loads an empty model (start-up, or after a failed update) with every event up to
    /// `target`, streamed: the rows are read and parsed in chunks on one task while a blocking
    /// task that owns the write guard upserts each chunk and drops it, then derives once. So
    /// the events are never held twice, as rows and as the model. Both tasks run to their end
    /// even if the caller is dropped; a load that fails half-way leaves an empty model at
    /// revision 0 (the next request loads again), never a partial one.
    async fn load_all(&self, target: i64, started: std::time::Instant) -> Result<(), StoreError> {
        const CHUNK: usize = 20_000;
        let (chunks, mut received) = tokio::sync::mpsc::channel::<Vec<nagare_core::Event>>(2);
        let (done, finished) = tokio::sync::oneshot::channel();
        let store = self.store.clone();
        tokio::spawn(async move {
            let read = store.stream_events_between(0, target, CHUNK, &chunks).await;
            drop(chunks);
            let _ = done.send(read);
        });
        let mut guard = self.model.clone().write_owned().await;
        let settings = self.config.core_settings();
        let mirror = self.model_rev.clone();
        let n = tokio::task::spawn_blocking(move || {
            let chunks = std::iter::from_fn(|| received.blocking_recv());
            let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // Derived again after a removal: from an empty model.
                if guard.rev != 0 {
                    guard.org = Org::new(settings.clone());
                    guard.rev = 0;
                }
                guard.org.load(chunks);
                guard.org.compact();
                heap::release_free_memory();
            }));
            let read = finished
                .blocking_recv()
                .unwrap_or_else(|_| Err(StoreError::Config("the event reader stopped".into())));
            match (loaded, read) {
                (Ok(()), Ok(n)) => {
                    guard.rev = target;
                    mirror.store(target, Ordering::Release);
                    Ok(n)
                }
                (loaded, read) => {
                    guard.org = Org::new(settings);
                    guard.rev = 0;
                    mirror.store(0, Ordering::Release);
                    Err(match (loaded, read) {
                        (_, Err(e)) => e,
                        _ => StoreError::Config(
                            "loading the model panicked; it is loaded again on the next request"
                                .into(),
                        ),
                    })
                }
            }
        })
        .await
        .map_err(|e| StoreError::Config(format!("model load failed: {e}")))??;
        tracing::info!(
            events = n,
            rev = target,
            took_ms = started.elapsed().as_millis() as u64,
            "model loaded"
        );
        Ok(())
    }

    /// The revision the model reflects.
    pub fn model_rev(&self) -> i64 {
        self.model_rev.load(Ordering::Acquire)
    }

    /// After a batch committed at `rev`: catch the model up in the background, so that the
    /// writer's reply does not wait for it (a reader that needs `rev` waits in [`Self::sync`]).
    /// One background catch-up at a time, covering every batch committed while it runs.
    pub fn sync_later(&self, rev: i64) {
        self.wanted.fetch_max(rev, Ordering::AcqRel);
        if self.catching_up.swap(true, Ordering::AcqRel) {
            return;
        }
        let state = self.clone();
        tokio::spawn(async move {
            loop {
                let want = state.wanted.load(Ordering::Acquire);
                if let Err(e) = state.sync_to(want).await {
                    tracing::error!(error = %e, rev = want, "background model update failed");
                }
                state.catching_up.store(false, Ordering::Release);
                // A batch may have asked between the catch-up and the flag: look once more.
                let behind = state.model_rev() < state.wanted.load(Ordering::Acquire);
                if !behind || state.catching_up.swap(true, Ordering::AcqRel) {
                    break;
                }
            }
        });
    }

    /// Whether a request naming `host` is for this portal (see [`HostPolicy`]).
    pub fn host_allowed(&self, host: &str) -> bool {
        self.hosts.allows(host)
    }

    pub fn allowed_hosts_text(&self) -> String {
        self.hosts.describe()
    }
}

/// Applies `events` under the owned write guard, and mirrors the new revision in `rev`. A
/// panic (a bug) leaves an empty model at revision 0, which the next request rebuilds from the
/// store, rather than a half-applied one.
fn apply(
    mut model: OwnedRwLockWriteGuard<Model>,
    events: Vec<nagare_core::Event>,
    latest: i64,
    settings: nagare_core::model::Settings,
    rev: &AtomicI64,
) -> Result<(), StoreError> {
    let org = &mut model.org;
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| org.apply(events))) {
        Ok(()) => {
            model.rev = latest;
            rev.store(latest, Ordering::Release);
            Ok(())
        }
        Err(_) => {
            model.org = Org::new(settings);
            model.rev = 0;
            rev.store(0, Ordering::Release);
            Err(StoreError::Config(
                "the model update panicked; the model is rebuilt from the store on the next request".into(),
            ))
        }
    }
}

/// A bounded line in front of some work: `capacity` units at once (requests, or kilobytes of
/// body); the rest wait at most `wait` for their turn, at most `max_waiting` of them, and are
/// then refused with 503 and `Retry-After`, so that latency stays bounded under overload
/// instead of growing with the queue.
#[derive(Debug)]
pub struct Gate {
    what: &'static str,
    capacity: usize,
    permits: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
    wait: Duration,
}

/// Counts a waiter while it waits, also when its future is dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Gate {
    pub fn new(what: &'static str, capacity: usize, max_waiting: usize, wait: Duration) -> Gate {
        let capacity = capacity.clamp(1, Semaphore::MAX_PERMITS);
        Gate {
            what,
            capacity,
            permits: Semaphore::new(capacity),
            waiting: AtomicUsize::new(0),
            max_waiting,
            wait,
        }
    }

    /// A turn for one unit, or 503.
    pub async fn enter(&self) -> Result<SemaphorePermit<'_>, ApiError> {
        self.enter_many(1).await
    }

    /// A turn for `units` (at most the whole capacity), or 503.
    pub async fn enter_many(&self, units: usize) -> Result<SemaphorePermit<'_>, ApiError> {
        let units = u32::try_from(units.clamp(1, self.capacity)).unwrap_or(u32::MAX);
        if let Ok(p) = self.permits.try_acquire_many(units) {
            return Ok(p);
        }
        let busy = || ApiError::Busy {
            error: format!(
                "the server is busy with other {}; retry in a second",
                self.what
            ),
            retry_after: 1,
        };
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(busy());
        }
        let _counted = Waiting(&self.waiting);
        match tokio::time::timeout(self.wait, self.permits.acquire_many(units)).await {
            Ok(Ok(p)) => Ok(p),
            _ => Err(busy()),
        }
    }

    /// Requests waiting now (for tests and metrics).
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_gate_sheds_after_the_wait() {
        let g = Gate::new("tests", 1, 8, Duration::from_millis(50));
        let first = g.enter().await.unwrap();
        let started = std::time::Instant::now();
        let e = g.enter().await.unwrap_err();
        assert!(matches!(e, ApiError::Busy { retry_after: 1, .. }), "{e:?}");
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert_eq!(g.waiting(), 0);
        drop(first);
        assert!(g.enter().await.is_ok());
        // Weighted: a big unit takes the whole gate, and never more than it.
        let kb = Gate::new("bodies", 100, 8, Duration::from_millis(10));
        let big = kb.enter_many(1_000_000).await.unwrap();
        assert!(kb.enter_many(1).await.is_err());
        drop(big);
        let _a = kb.enter_many(60).await.unwrap();
        let _b = kb.enter_many(40).await.unwrap();
        assert!(kb.enter_many(1).await.is_err());
    }
}
