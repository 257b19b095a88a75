//! The event store: SQLite (default, WAL) or PostgreSQL, one code path.
//!
//! The SQL is the same text on both backends (`$n` placeholders, `ON CONFLICT … DO UPDATE`,
//! times as BIGINT epoch milliseconds); only the pool type differs, so each method is written
//! once inside [`on_backend!`], which expands it for both. The same store suite
//! (`server/tests/store.rs`) runs against both backends in `make test`.

use nagare_core::events::{Event, EventKey};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Postgres, Sqlite, Transaction};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::time::Duration;

/// Rows per multi-row statement: 7 binds each, well under both backends' parameter limits.
const CHUNK: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored event {kind}/{id} is unreadable: {error}")]
    Corrupt {
        kind: String,
        id: String,
        error: String,
    },
    #[error("{0}")]
    Config(String),
    /// Another batch committed after this one was checked against the model: check again.
    #[error(
        "the store moved on (revision {now}, expected {expected}) while the batch was checked"
    )]
    Moved { expected: i64, now: i64 },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How durable a SQLite commit is when it returns (PostgreSQL is always durable: its commits
/// wait for the WAL flush).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: a commit has reached the disk, and survives a power loss.
    #[default]
    Full,
    /// `synchronous=NORMAL`: survives a crash of the process (kill -9), but the last commits
    /// can be lost if the machine loses power. Faster writes.
    Normal,
}

/// A connection pool to one of the two supported databases.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The event of a stored row; a body that no longer parses names its row.
fn event_of_row(kind: String, id: String, body: &str) -> Result<Event> {
    serde_json::from_str::<Event>(body).map_err(|e| StoreError::Corrupt {
        kind,
        id,
        error: e.to_string(),
    })
}

/// What a commit's detail shows that the model does not hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitDetails {
    pub author: Option<String>,
    pub message: Option<String>,
}

/// Runs `$body` with `$pool` bound to whichever backend `$store` is.
macro_rules! on_backend {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            Store::Sqlite($pool) => $body,
            Store::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to the open transaction's connection, whichever backend.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

mod auth;
mod backfill;
mod costs;
mod deliveries;
mod git;
mod jobs;
mod portal_runs;
mod replay;
mod slos;
mod tasks;
mod upsert;
mod writer;
pub use auth::{audit_detail, AuditEntry, LoginAttempt, SessionRow};
pub use backfill::BackfillRow;
pub use costs::{PeriodMeta, PeriodRow, MAX_PROBLEMS as MAX_COST_PROBLEMS};
pub use deliveries::{DeliveryRow, RawDelivery};
pub use git::{MirrorRead, MirrorRow};
pub use portal_runs::{Beat, Holding, StoredRun};
pub use replay::{KeptDelivery, RebuildCounts};
pub use slos::{SliRow, StoredSli, SyncRow};
pub use upsert::MergeFn;
pub use writer::Writer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    Rejected,
    /// Verified, but nothing its source maps to events (a ping, an event kind not used).
    Ignored,
    /// Verified, but no mapping rule says what it is (a repository mapped to no service).
    Unmapped,
}

impl Verdict {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::Rejected => "rejected",
            Verdict::Ignored => "ignored",
            Verdict::Unmapped => "unmapped",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestCounts {
    pub accepted: u64,
    pub updated: u64,
    /// The delivery id was stored before (merged writes check it in their transaction):
    /// nothing was written.
    pub duplicate: bool,
}

impl Store {
    /// Opens `url` (`sqlite://path`, a bare file path, or `postgres://…`) with the default
    /// options, and applies migrations.
    pub async fn open(url: &str) -> Result<Store> {
        Store::open_with(url, Durability::Full).await
    }

    /// Opens `url`; on SQLite, commits are as durable as `durability` says.
    pub async fn open_with(url: &str, durability: Durability) -> Result<Store> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await?;
            Store::Postgres(pool)
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            if let Some(dir) = std::path::Path::new(path).parent() {
                if !dir.as_os_str().is_empty() && path != ":memory:" {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Config(format!(
                            "cannot create the database folder {}: {e}",
                            dir.display()
                        ))
                    })?;
                }
            }
            let opts = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(match durability {
                    Durability::Full => SqliteSynchronous::Full,
                    Durability::Normal => SqliteSynchronous::Normal,
                })
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(if path == ":memory:" { 1 } else { 8 })
                // A local file's connection does not drop: no ping (a round trip to the
                // connection's thread) before each use.
                .test_before_acquire(false)
                .connect_with(opts)
                .await?;
            Store::Sqlite(pool)
        };
        store.migrate().await?;
        Ok(store)
    }

    /// The SQLite database file, when the store is one (not in memory).
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        match self {
            Store::Sqlite(p) => {
                let opts = p.connect_options();
                let f = opts.get_filename();
                let name = f.to_string_lossy();
                (!name.is_empty() && !name.starts_with(':')).then(|| f.to_owned())
            }
            Store::Postgres(_) => None,
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    pub async fn migrate(&self) -> Result<()> {
        match self {
            Store::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Store::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// A cheap round trip, for `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        on_backend!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// The revision of the last committed batch; it grows by one per batch.
    pub async fn current_rev(&self) -> Result<i64> {
        let rev: i64 = on_backend!(self, p => sqlx::query_scalar("SELECT value FROM meta WHERE key = 'rev'").fetch_one(p).await)?;
        Ok(rev)
    }

    /// The revision of the last committed batch, and of the last batch that removed events
    /// (a model older than that is derived again; see migration 0007).
    pub async fn revs(&self) -> Result<(i64, i64)> {
        let rows: Vec<(String, i64)> = on_backend!(self, p => sqlx::query_as(
            "SELECT key, value FROM meta WHERE key IN ('rev', 'reset_rev')"
        ).fetch_all(p).await)?;
        let of = |k: &str| rows.iter().find(|(key, _)| key == k).map_or(0, |(_, v)| *v);
        Ok((of("rev"), of("reset_rev")))
    }

    /// This database's random id (set when it was created), which a model snapshot records.
    pub async fn store_id(&self) -> Result<i64> {
        let id: i64 = on_backend!(self, p => sqlx::query_scalar("SELECT value FROM meta WHERE key = 'store_id'").fetch_one(p).await)?;
        Ok(id)
    }

    /// Events written after `after`, up to and including `until`, in revision order.
    pub async fn events_between(&self, after: i64, until: i64) -> Result<Vec<Event>> {
        let rows: Vec<(String, String, String)> = on_backend!(self, p => sqlx::query_as(
            "SELECT kind, id, body FROM events WHERE rev > $1 AND rev <= $2 ORDER BY rev"
        ).bind(after).bind(until).fetch_all(p).await)?;
        rows.into_iter()
            .map(|(kind, id, body)| event_of_row(kind, id, &body))
            .collect()
    }

    /// The events of revisions `(after, until]` in revision order, parsed as the rows stream
    /// in and handed to `to` in chunks of `chunk`: no more than a chunk and the rows in flight
    /// are held at once. Stops early when `to` is closed. Returns how many were sent.
    pub async fn stream_events_between(
        &self,
        after: i64,
        until: i64,
        chunk: usize,
        to: &tokio::sync::mpsc::Sender<Vec<Event>>,
    ) -> Result<usize> {
        use futures_util::TryStreamExt;
        let mut sent = 0;
        let mut buf: Vec<Event> = Vec::with_capacity(chunk);
        on_backend!(self, p => {
            let mut rows = sqlx::query_as::<_, (String, String, String)>(
                "SELECT kind, id, body FROM events WHERE rev > $1 AND rev <= $2 ORDER BY rev"
            ).bind(after).bind(until).fetch(p);
            while let Some((kind, id, body)) = rows.try_next().await? {
                buf.push(event_of_row(kind, id, &body)?);
                if buf.len() >= chunk {
                    sent += buf.len();
                    if to.send(std::mem::replace(&mut buf, Vec::with_capacity(chunk))).await.is_err() {
                        return Ok(sent);
                    }
                }
            }
        });
        if !buf.is_empty() {
            sent += buf.len();
            let _ = to.send(buf).await;
        }
        Ok(sent)
    }

    /// The stored bodies of the events of `kind` named by (source, id), at most 200 at a time:
    /// what a detail page reads that the model does not hold.
    async fn bodies(
        &self,
        kind: &'static str,
        keys: &[(&str, &str)],
    ) -> Result<HashMap<(String, String), String>> {
        // (source, id) pairs as bound parameters: ($2, $3), ($4, $5), …
        let pairs: Vec<String> = (0..keys.len())
            .map(|i| format!("(${}, ${})", 2 * i + 2, 2 * i + 3))
            .collect();
        let sql = format!(
            "SELECT source, id, body FROM events WHERE kind = $1 AND (source, id) IN (VALUES {})",
            pairs.join(", ")
        );
        let rows: Vec<(String, String, String)> = on_backend!(self, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(kind);
            for (source, id) in keys {
                q = q.bind(source.to_string()).bind(id.to_string());
            }
            q.fetch_all(p).await
        })?;
        Ok(rows
            .into_iter()
            .map(|(source, id, body)| ((source, id), body))
            .collect())
    }

    /// The `author` and `message` of each commit event named by `keys` (same order; `None`
    /// when the event has none or is not stored). The model does not hold them; a detail page
    /// reads them here, a few hundred at a time.
    pub async fn commit_details(&self, keys: &[EventKey]) -> Result<Vec<CommitDetails>> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(200) {
            let named: Vec<(&str, &str)> = chunk
                .iter()
                .map(|k| (k.source.as_str(), k.id.as_str()))
                .collect();
            let found = self.bodies("commit", &named).await?;
            for k in chunk {
                let body = found.get(&(k.source.clone(), k.id.clone()));
                let v = body.and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok());
                let text = |field: &str| {
                    v.as_ref()
                        .and_then(|v| v.get(field)?.as_str().map(str::to_owned))
                };
                out.push(CommitDetails {
                    author: text("author"),
                    message: text("message"),
                });
            }
        }
        Ok(out)
    }

    /// The stored pipeline run events named by (source, `<provider>:<id>`) keys, in the same
    /// order (`None` when not stored): their job ids, statuses and steps, which the model does
    /// not hold.
    pub async fn pipeline_runs(
        &self,
        keys: &[(String, String)],
    ) -> Result<Vec<Option<nagare_core::events::PipelineRun>>> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(200) {
            let named: Vec<(&str, &str)> = chunk
                .iter()
                .map(|(s, i)| (s.as_str(), i.as_str()))
                .collect();
            let mut found = self.bodies("pipeline_run", &named).await?;
            for k in chunk {
                let run = match found.remove(k) {
                    None => None,
                    Some(body) => match event_of_row("pipeline_run".into(), k.1.clone(), &body)? {
                        Event::PipelineRun(r) => Some(r),
                        _ => None,
                    },
                };
                out.push(run);
            }
        }
        Ok(out)
    }

    pub async fn event_count(&self) -> Result<i64> {
        let n: i64 = on_backend!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM events").fetch_one(p).await)?;
        Ok(n)
    }

    /// Stores `events` and their raw delivery as one atomic batch.
    pub async fn ingest(
        &self,
        events: Vec<Event>,
        raw: &RawDelivery,
    ) -> Result<(IngestCounts, i64)> {
        self.ingest_after(&events, raw, None).await
    }

    /// [`Store::ingest`], refused with [`StoreError::Moved`] (and nothing stored) unless the
    /// batch comes right after revision `checked`: what it was checked against is still current.
    pub async fn ingest_after(
        &self,
        events: &[Event],
        raw: &RawDelivery,
        checked: Option<i64>,
    ) -> Result<(IngestCounts, i64)> {
        let mut batch = self.begin().await?;
        if let Some(expected) = checked {
            // Taking the revision locks it until commit: no other batch can slip in after.
            let now = batch.rev().await? - 1;
            if now != expected {
                return Err(StoreError::Moved { expected, now });
            }
        }
        batch.add_all(events).await?;
        batch.record_delivery(raw, Verdict::Accepted, None).await?;
        batch.commit_with_rev().await
    }

    /// Starts an atomic batch: everything added is stored on [`Batch::commit`], or nothing.
    pub async fn begin(&self) -> Result<Batch> {
        let tx = match self {
            Store::Sqlite(p) => {
                // BEGIN IMMEDIATE: take the write lock now, so a concurrent writer waits on
                // busy_timeout instead of failing later with SQLITE_BUSY on upgrade.
                let tx = p.begin_with("BEGIN IMMEDIATE").await?;
                Tx::Sqlite(tx)
            }
            Store::Postgres(p) => Tx::Postgres(p.begin().await?),
        };
        Ok(Batch {
            tx,
            rev: None,
            counts: IngestCounts::default(),
            seen: HashSet::new(),
        })
    }
}

pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// An open, atomic batch of events.
pub struct Batch {
    pub(crate) tx: Tx,
    rev: Option<i64>,
    counts: IngestCounts,
    /// Keys already written in this batch: a repeat replaces and counts as an update.
    seen: HashSet<EventKey>,
}

impl Batch {
    /// Starts the next batch of a group commit: a revision, counts and keys of its own.
    pub(crate) fn next_write(&mut self) {
        self.rev = None;
        self.counts = IngestCounts::default();
        self.seen.clear();
    }

    async fn execute(&mut self, sql: &'static str) -> Result<()> {
        on_tx!(&mut self.tx, c => sqlx::query(sql).execute(c).await.map(|_| ()))?;
        Ok(())
    }

    pub(crate) async fn savepoint(&mut self) -> Result<()> {
        self.execute("SAVEPOINT one_write").await
    }

    pub(crate) async fn release_savepoint(&mut self) -> Result<()> {
        self.execute("RELEASE SAVEPOINT one_write").await
    }

    /// Undoes everything since [`Batch::savepoint`] (its revision too), and drops the savepoint.
    pub(crate) async fn rollback_to_savepoint(&mut self) -> Result<()> {
        self.execute("ROLLBACK TO SAVEPOINT one_write").await?;
        self.rev = None;
        self.release_savepoint().await
    }

    /// The revision this batch writes under, taken (and so locked) on first use.
    pub(crate) async fn rev(&mut self) -> Result<i64> {
        if let Some(r) = self.rev {
            return Ok(r);
        }
        let rev: i64 = on_tx!(&mut self.tx, c => sqlx::query_scalar(
            "UPDATE meta SET value = value + 1 WHERE key = 'rev' RETURNING value"
        ).fetch_one(c).await)?;
        self.rev = Some(rev);
        Ok(rev)
    }

    pub fn counts(&self) -> IngestCounts {
        self.counts
    }

    /// Commits everything added; returns the counts and the batch's revision.
    pub async fn commit_with_rev(mut self) -> Result<(IngestCounts, i64)> {
        let rev = self.rev().await?;
        let counts = self.counts;
        match self.tx {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok((counts, rev))
    }

    pub async fn commit(self) -> Result<()> {
        match self.tx {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Drops everything added (also what happens when a batch is dropped uncommitted).
    pub async fn rollback(self) -> Result<()> {
        match self.tx {
            Tx::Sqlite(t) => t.rollback().await?,
            Tx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}

pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
