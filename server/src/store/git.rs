//! A git mirror's state (`git_mirrors`): the tips its last read reached, its counts, its last
//! fetch and error. The tips are written in the batch that stores a read's last commits.

use super::{now_millis, Batch, Result, Store, Tx};
use nagare_core::text::capped;

/// One mirror, as the Sources page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorRow {
    pub repo: String,
    /// The clone URL, without credentials.
    pub url: String,
    /// The commit shas the last read reached (every ref's tip).
    pub tips: Vec<String>,
    /// Commits written from this mirror, all reads together.
    pub commits: i64,
    pub last_fetch_at: Option<i64>,
    /// Commits the last read found new.
    pub last_new: i64,
    pub last_took_ms: i64,
    /// Why the last sync failed; cleared by one that succeeds.
    pub error: Option<String>,
    pub error_at: Option<i64>,
}

type Tuple = (
    String,
    String,
    String,
    i64,
    Option<i64>,
    i64,
    i64,
    Option<String>,
    Option<i64>,
);

const COLUMNS: &str =
    "repo, url, tips, commits, last_fetch_at, last_new, last_took_ms, error, error_at";

fn row(t: Tuple) -> MirrorRow {
    MirrorRow {
        repo: t.0,
        url: t.1,
        tips: serde_json::from_str(&t.2).unwrap_or_default(),
        commits: t.3,
        last_fetch_at: t.4,
        last_new: t.5,
        last_took_ms: t.6,
        error: t.7,
        error_at: t.8,
    }
}

impl Store {
    /// Every mirror's state, by repository.
    pub async fn git_mirrors(&self) -> Result<Vec<MirrorRow>> {
        let sql = format!("SELECT {COLUMNS} FROM git_mirrors ORDER BY repo");
        let rows: Vec<Tuple> = on_backend!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(p).await)?;
        Ok(rows.into_iter().map(row).collect())
    }

    /// One mirror's state.
    pub async fn git_mirror(&self, repo: &str) -> Result<Option<MirrorRow>> {
        let sql = format!("SELECT {COLUMNS} FROM git_mirrors WHERE repo = $1");
        let r: Option<Tuple> = on_backend!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(capped(repo, 200)).fetch_optional(p).await)?;
        Ok(r.map(row))
    }

    /// Whether GitHub delivered a `push` after `at` (ms): a mirror then fetches sooner.
    pub async fn github_pushed_since(&self, at: i64) -> Result<bool> {
        let r: Option<i64> = on_backend!(self, p => sqlx::query_scalar(
            "SELECT id FROM raw_deliveries WHERE received_at > $1 AND source = 'github' AND event = 'push' \
             AND verdict <> 'rejected' LIMIT 1"
        ).bind(at).fetch_optional(p).await)?;
        Ok(r.is_some())
    }

    /// Records why a sync failed: what it read before stays, the next sync tries again.
    pub async fn git_mirror_failed(&self, repo: &str, url: &str, error: &str) -> Result<()> {
        let now = now_millis();
        on_backend!(self, p => sqlx::query(
            "INSERT INTO git_mirrors (repo, url, error, error_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (repo) DO UPDATE SET url = excluded.url, error = excluded.error, error_at = excluded.error_at"
        ).bind(capped(repo, 200)).bind(capped(url, 500)).bind(capped(error, 2000)).bind(now)
        .execute(p).await.map(|_| ()))?;
        Ok(())
    }
}

/// What one read found.
pub struct MirrorRead<'a> {
    pub repo: &'a str,
    pub url: &'a str,
    pub tips: &'a [String],
    pub new: i64,
    pub fetched_at: i64,
    pub took_ms: i64,
}

impl Batch {
    /// After a read's last commits: where it reached, in their transaction.
    pub(crate) async fn git_mirror_read(&mut self, r: &MirrorRead<'_>) -> Result<()> {
        // A list of strings always encodes; were it not to, the next read starts over (safe).
        let tips = serde_json::to_string(r.tips).unwrap_or_else(|_| "[]".into());
        on_tx!(&mut self.tx, c => sqlx::query(
            "INSERT INTO git_mirrors (repo, url, tips, commits, last_fetch_at, last_new, last_took_ms, error, error_at) \
             VALUES ($1, $2, $3, $4, $5, $4, $6, NULL, NULL) \
             ON CONFLICT (repo) DO UPDATE SET url = excluded.url, tips = excluded.tips, commits = git_mirrors.commits + excluded.commits, \
             last_fetch_at = excluded.last_fetch_at, last_new = excluded.last_new, last_took_ms = excluded.last_took_ms, error = NULL, error_at = NULL"
        ).bind(capped(r.repo, 200)).bind(capped(r.url, 500)).bind(tips).bind(r.new).bind(r.fetched_at).bind(r.took_ms)
        .execute(c).await.map(|_| ()))?;
        Ok(())
    }
}
