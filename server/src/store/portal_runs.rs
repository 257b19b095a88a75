//! Runs started from the portal (`portal_runs`) and their output (`portal_run_log`). A run is
//! kept as its API document plus the columns queries filter on; every change is a compare and
//! swap on `version`, so two replicas never both start, finish or answer one run.

use super::{Result, Store, StoreError};
use nagare_core::api::{LogChunk, LogStream, PortalOrigin, PortalRun, RunStatus, TargetKind};
use nagare_core::model::PortalMarks;
use nagare_core::Timestamp;

/// A stored run: the document, its version, and what the replica running it keeps.
#[derive(Debug, Clone)]
pub struct StoredRun {
    pub run: PortalRun,
    pub version: i64,
    pub holder: Option<String>,
    pub host: Option<String>,
    pub pgid: Option<i64>,
    /// The process group leader's identity when it started (`exec::process_identity`).
    pub proc_start: Option<String>,
    pub heartbeat_at: Option<i64>,
    pub cancel_requested_by: Option<String>,
}

type Tuple = (
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
    i64,
    i64,
    i64,
);

const COLUMNS: &str = "doc, version, holder, host, pgid, proc_start, heartbeat_at, \
                       cancel_requested_by, log_bytes, log_dropped, log_last_seq";

fn stored(t: Tuple) -> Result<StoredRun> {
    let mut run: PortalRun = serde_json::from_str(&t.0).map_err(|e| StoreError::Corrupt {
        kind: "portal_run".into(),
        id: String::new(),
        error: e.to_string(),
    })?;
    run.log.bytes = t.8.max(0) as u64;
    run.log.dropped_bytes = t.9.max(0) as u64;
    run.log.truncated = t.9 > 0;
    run.log.last_seq = t.10.max(0) as u64;
    Ok(StoredRun {
        run,
        version: t.1,
        holder: t.2,
        host: t.3,
        pgid: t.4,
        proc_start: t.5,
        heartbeat_at: t.6,
        cancel_requested_by: t.7,
    })
}

fn doc(run: &PortalRun) -> Result<String> {
    serde_json::to_string(run).map_err(|e| StoreError::Config(e.to_string()))
}

/// What a heartbeat learnt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beat {
    /// The run is still running, held by the one beating (else something else ended it).
    pub held: bool,
    pub cancel_by: Option<String>,
}

/// What a change to a running run's process columns sets.
#[derive(Debug, Clone, Default)]
pub struct Holding<'a> {
    pub holder: Option<&'a str>,
    pub host: Option<&'a str>,
    pub pgid: Option<i64>,
    pub proc_start: Option<&'a str>,
    pub heartbeat_at: Option<i64>,
}

/// The provider a run's `provider_run_id` belongs to, as pipeline runs name it.
fn provider_of(run: &PortalRun) -> Option<&'static str> {
    run.provider_run_id.as_ref()?;
    match run.kind {
        TargetKind::GithubWorkflow => Some("github"),
        TargetKind::GitlabPipeline => Some("gitlab"),
        TargetKind::Runbook => None,
    }
}

impl Store {
    /// The provider runs started from the portal: the pipelines pages mark them. A run re-run
    /// from the portal is marked with its first request.
    pub async fn portal_marks(&self) -> Result<PortalMarks> {
        let rows: Vec<(String, String, String, String)> = on_backend!(self, p => sqlx::query_as(
            "SELECT provider, provider_run_id, id, requester_name FROM portal_runs \
             WHERE provider IS NOT NULL AND provider_run_id IS NOT NULL ORDER BY requested_at DESC"
        ).fetch_all(p).await)?;
        let mut marks = PortalMarks::default();
        for (provider, run_id, id, name) in rows {
            marks.0.insert(
                (provider, run_id),
                PortalOrigin {
                    run: id,
                    requested_by: name,
                },
            );
        }
        Ok(marks)
    }

    pub async fn insert_portal_run(&self, run: &PortalRun) -> Result<()> {
        let doc = doc(run)?;
        on_backend!(self, p => sqlx::query(
            "INSERT INTO portal_runs (id, target, service, status, requested_by, requested_at, requester_name, version, doc) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)"
        ).bind(&run.id).bind(&run.target).bind(&run.service).bind(run.status.as_str())
        .bind(&run.requested_by).bind(run.requested_at.0).bind(&run.requested_by_name).bind(&doc)
        .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn portal_run(&self, id: &str) -> Result<Option<StoredRun>> {
        let sql = format!("SELECT {COLUMNS} FROM portal_runs WHERE id = $1");
        let t: Option<Tuple> = on_backend!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(p).await)?;
        t.map(stored).transpose()
    }

    /// Writes `run` (and the process columns) if the row is still at `version`; whether it was.
    pub async fn swap_portal_run(
        &self,
        run: &PortalRun,
        version: i64,
        holding: &Holding<'_>,
    ) -> Result<bool> {
        let doc = doc(run)?;
        let n = on_backend!(self, p => sqlx::query(
            "UPDATE portal_runs SET status = $3, doc = $4, version = version + 1, \
             holder = COALESCE($5, holder), host = COALESCE($6, host), pgid = COALESCE($7, pgid), \
             heartbeat_at = COALESCE($8, heartbeat_at), provider = $9, provider_run_id = $10, \
             proc_start = COALESCE($11, proc_start) WHERE id = $1 AND version = $2"
        ).bind(&run.id).bind(version).bind(run.status.as_str()).bind(&doc)
        .bind(holding.holder).bind(holding.host).bind(holding.pgid).bind(holding.heartbeat_at)
        .bind(provider_of(run)).bind(run.provider_run_id.as_deref()).bind(holding.proc_start)
        .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Writes `run` if the row is still at `version` and has not beaten since `heartbeat_at`
    /// (an orphan's ending: a run that beat again in between is alive after all).
    pub async fn swap_if_silent(
        &self,
        run: &PortalRun,
        version: i64,
        heartbeat_at: Option<i64>,
    ) -> Result<bool> {
        let doc = doc(run)?;
        let n = on_backend!(self, p => sqlx::query(
            "UPDATE portal_runs SET status = $3, doc = $4, version = version + 1 \
             WHERE id = $1 AND version = $2 AND COALESCE(heartbeat_at, -1) = $5"
        ).bind(&run.id).bind(version).bind(run.status.as_str()).bind(&doc).bind(heartbeat_at.unwrap_or(-1))
        .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// How many portal runs act on provider run `run_id` (a run and its re-runs).
    pub async fn provider_run_requests(&self, provider: &str, run_id: &str) -> Result<u64> {
        let n: i64 = on_backend!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM portal_runs WHERE provider = $1 AND provider_run_id = $2"
        ).bind(provider).bind(run_id).fetch_one(p).await)?;
        Ok(n.max(0) as u64)
    }

    /// Runs, newest first, filtered by exact target, service and status when given; `only`
    /// keeps the runs of these services (a caller's read scope), `None` all.
    pub async fn portal_runs(
        &self,
        target: Option<&str>,
        service: Option<&str>,
        status: Option<RunStatus>,
        only: Option<&[String]>,
        page: u32,
        per_page: u32,
    ) -> Result<(Vec<StoredRun>, u64)> {
        let mut filter =
            "($1 = '' OR target = $1) AND ($2 = '' OR service = $2) AND ($3 = '' OR status = $3)"
                .to_owned();
        // The services in scope, as placeholders after the five fixed ones.
        if let Some(only) = only {
            let marks: Vec<String> = (0..only.len()).map(|i| format!("${}", i + 6)).collect();
            if marks.is_empty() {
                filter.push_str(" AND 1 = 0");
            } else {
                filter.push_str(&format!(" AND service IN ({})", marks.join(", ")));
            }
        }
        let only = only.unwrap_or_default();
        // The count binds the page's two too, so that the scope's placeholders keep their numbers.
        let count_sql =
            format!("SELECT COUNT(*) FROM portal_runs WHERE {filter} AND $4 >= 0 AND $5 >= 0");
        let rows_sql = format!(
            "SELECT {COLUMNS} FROM portal_runs WHERE {filter} ORDER BY requested_at DESC, id DESC LIMIT $4 OFFSET $5"
        );
        let (t, s, st) = (
            target.unwrap_or(""),
            service.unwrap_or(""),
            status.map_or("", |s| s.as_str()),
        );
        let offset = i64::from(page.saturating_sub(1)) * i64::from(per_page);
        let total: i64 = on_backend!(self, p => {
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql.as_str()))
                .bind(t).bind(s).bind(st).bind(i64::from(per_page)).bind(offset);
            for svc in only {
                q = q.bind(svc);
            }
            q.fetch_one(p).await
        })?;
        let rows: Vec<Tuple> = on_backend!(self, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(rows_sql.as_str()))
                .bind(t).bind(s).bind(st).bind(i64::from(per_page)).bind(offset);
            for svc in only {
                q = q.bind(svc);
            }
            q.fetch_all(p).await
        })?;
        let runs = rows.into_iter().map(stored).collect::<Result<Vec<_>>>()?;
        Ok((runs, total.max(0) as u64))
    }

    /// Every run in one of `statuses`, oldest first (the job's queue, approvals to expire,
    /// running runs to watch).
    pub async fn portal_runs_in(&self, statuses: &[RunStatus]) -> Result<Vec<StoredRun>> {
        let names: Vec<String> = statuses
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM portal_runs WHERE status IN ({}) ORDER BY requested_at, id",
            names.join(", ")
        );
        let rows: Vec<Tuple> = on_backend!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).fetch_all(p).await)?;
        rows.into_iter().map(stored).collect()
    }

    /// Asks the replica running `id` to cancel it; whether the run was still open.
    pub async fn request_cancel(&self, id: &str, by: &str) -> Result<bool> {
        let n = on_backend!(self, p => sqlx::query(
            "UPDATE portal_runs SET cancel_requested_by = $2 WHERE id = $1 AND cancel_requested_by IS NULL \
             AND status IN ('running', 'queued', 'awaiting_approval')"
        ).bind(id).bind(by).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// A sign of life of the run's process, written only while `holder` holds it running:
    /// whether it still does, and who asked to cancel it, if anyone.
    pub async fn heartbeat_portal_run(&self, id: &str, holder: &str, now: i64) -> Result<Beat> {
        let n = on_backend!(self, p => sqlx::query(
            "UPDATE portal_runs SET heartbeat_at = $3 WHERE id = $1 AND holder = $2 AND status = 'running'"
        ).bind(id).bind(holder).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        let by: Option<Option<String>> = on_backend!(self, p => sqlx::query_scalar(
            "SELECT cancel_requested_by FROM portal_runs WHERE id = $1"
        ).bind(id).fetch_optional(p).await)?;
        Ok(Beat {
            held: n == 1,
            cancel_by: by.flatten(),
        })
    }

    /// Appends chunks of output, and counts them in the run's log columns, in one transaction.
    pub async fn append_run_log(
        &self,
        id: &str,
        chunks: &[LogChunk],
        dropped_bytes: u64,
    ) -> Result<()> {
        let Some(last) = chunks.last() else {
            if dropped_bytes > 0 {
                on_backend!(self, p => sqlx::query("UPDATE portal_runs SET log_dropped = $2 WHERE id = $1")
                    .bind(id).bind(dropped_bytes as i64).execute(p).await.map(|_| ()))?;
            }
            return Ok(());
        };
        let bytes: i64 = chunks.iter().map(|c| c.text.len() as i64).sum();
        macro_rules! write_all {
            ($pool:expr) => {{
                let mut tx = $pool.begin().await?;
                for c in chunks {
                    sqlx::query("INSERT INTO portal_run_log (run_id, seq, stream, at, text) VALUES ($1, $2, $3, $4, $5)")
                        .bind(id).bind(c.seq as i64).bind(c.stream.as_str()).bind(c.at.0).bind(&c.text)
                        .execute(&mut *tx).await?;
                }
                sqlx::query("UPDATE portal_runs SET log_bytes = log_bytes + $2, log_last_seq = $3, log_dropped = $4 WHERE id = $1")
                    .bind(id).bind(bytes).bind(last.seq as i64).bind(dropped_bytes as i64)
                    .execute(&mut *tx).await?;
                tx.commit().await
            }};
        }
        match self {
            Store::Sqlite(p) => write_all!(p)?,
            Store::Postgres(p) => write_all!(p)?,
        }
        Ok(())
    }

    /// The chunks of run `id` after `after`, at most `limit`.
    pub async fn run_log(&self, id: &str, after: u64, limit: u32) -> Result<Vec<LogChunk>> {
        let rows: Vec<(i64, String, i64, String)> = on_backend!(self, p => sqlx::query_as(
            "SELECT seq, stream, at, text FROM portal_run_log WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
        ).bind(id).bind(after as i64).bind(i64::from(limit)).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|(seq, stream, at, text)| LogChunk {
                seq: seq.max(0) as u64,
                stream: stream.parse().unwrap_or(LogStream::System),
                at: Timestamp(at),
                text,
            })
            .collect())
    }
}
