//! Where a history backfill stands (`backfill_state`): per source, repository and phase, the
//! next page to fetch, written in the batch that stores the page before it.

use super::{now_millis, Batch, Result, Store, Tx};
use nagare_core::text::capped;

/// One phase of one repository's backfill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillRow {
    pub source: String,
    pub repo: String,
    pub phase: String,
    /// The next page to fetch; `None` when done or not started.
    pub next_url: Option<String>,
    pub done: bool,
    pub pages: i64,
    pub items: i64,
    /// The `since` it was started with (epoch ms).
    pub since: i64,
    pub updated_at: i64,
    /// Why it stopped, when it did.
    pub error: Option<String>,
    /// The pages its list has (the `Link` header's `rel="last"`), when known.
    pub total_pages: Option<i64>,
    /// When it was started (epoch ms).
    pub started_at: Option<i64>,
}

type Tuple = (
    String,
    String,
    String,
    Option<String>,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

fn row(t: Tuple) -> BackfillRow {
    BackfillRow {
        source: t.0,
        repo: t.1,
        phase: t.2,
        next_url: t.3,
        done: t.4 != 0,
        pages: t.5,
        items: t.6,
        since: t.7,
        updated_at: t.8,
        error: t.9,
        total_pages: t.10,
        started_at: t.11,
    }
}

const COLUMNS: &str =
    "source, repo, phase, next_url, done, pages, items, since, updated_at, error, \
     total_pages, started_at";

impl Store {
    /// Every phase of `source`'s backfills, by repository and phase.
    pub async fn backfill_states(&self, source: &str) -> Result<Vec<BackfillRow>> {
        let sql =
            format!("SELECT {COLUMNS} FROM backfill_state WHERE source = $1 ORDER BY repo, phase");
        let rows: Vec<Tuple> = on_backend!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(capped(source, 100)).fetch_all(p).await)?;
        Ok(rows.into_iter().map(row).collect())
    }

    /// Starts (or restarts) a phase: from its first page, forgetting where it stood.
    pub async fn backfill_start(
        &self,
        source: &str,
        repo: &str,
        phase: &str,
        since: i64,
    ) -> Result<()> {
        on_backend!(self, p => sqlx::query(
            "INSERT INTO backfill_state (source, repo, phase, next_url, done, pages, items, since, updated_at, error, total_pages, started_at) \
             VALUES ($1, $2, $3, NULL, 0, 0, 0, $4, $5, NULL, NULL, $5) \
             ON CONFLICT (source, repo, phase) DO UPDATE SET next_url = NULL, done = 0, pages = 0, items = 0, \
             since = excluded.since, updated_at = excluded.updated_at, error = NULL, total_pages = NULL, started_at = excluded.started_at"
        ).bind(capped(source, 100)).bind(capped(repo, 200)).bind(capped(phase, 50)).bind(since).bind(now_millis())
        .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Records why a phase stopped; its cursor stays, for the next run to resume from.
    pub async fn backfill_failed(
        &self,
        source: &str,
        repo: &str,
        phase: &str,
        error: &str,
    ) -> Result<()> {
        on_backend!(self, p => sqlx::query(
            "UPDATE backfill_state SET error = $4, updated_at = $5 WHERE source = $1 AND repo = $2 AND phase = $3"
        ).bind(capped(source, 100)).bind(capped(repo, 200)).bind(capped(phase, 50)).bind(capped(error, 2000)).bind(now_millis())
        .execute(p).await.map(|_| ()))?;
        Ok(())
    }
}

impl Batch {
    /// After a page: the next one to fetch (`None`: the phase is done), what it held, and
    /// how many pages the list has when its `Link` header said.
    pub(crate) async fn backfill_advance(
        &mut self,
        key: (&str, &str, &str),
        next: Option<&str>,
        items: i64,
        last_page: Option<i64>,
    ) -> Result<()> {
        let (source, repo, phase) = key;
        on_tx!(&mut self.tx, c => sqlx::query(
            "UPDATE backfill_state SET next_url = $4, done = $5, pages = pages + 1, items = items + $6, updated_at = $7, error = NULL, \
             total_pages = COALESCE($8, total_pages) WHERE source = $1 AND repo = $2 AND phase = $3"
        ).bind(capped(source, 100)).bind(capped(repo, 200)).bind(capped(phase, 50))
        .bind(next).bind(i64::from(next.is_none())).bind(items).bind(now_millis()).bind(last_page)
        .execute(c).await.map(|_| ()))?;
        Ok(())
    }
}
