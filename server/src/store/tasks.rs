//! Tasks asked for from the Sources page (`source_tasks`): a history backfill or a git mirror
//! sync, queued by an administrator and run by the background job of its action. At most one
//! task of an action is open (queued or running) at a time: a unique index on the open rows.

use super::{now_millis, Result, Store};
use nagare_core::api::{SourceTask, TaskAction, TaskState};
use nagare_core::text::capped;
use nagare_core::Timestamp;

type Tuple = (
    i64,
    String,
    Option<String>,
    Option<i64>,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
    Option<String>,
);

const COLUMNS: &str = "id, action, repo, since, requested_by, requested_at, started_at, \
                       finished_at, failed, outcome";

fn task(t: Tuple) -> Option<SourceTask> {
    let state = match (t.6, t.7, t.8 != 0) {
        (_, Some(_), true) => TaskState::Failed,
        (_, Some(_), false) => TaskState::Done,
        (Some(_), None, _) => TaskState::Running,
        (None, None, _) => TaskState::Queued,
    };
    Some(SourceTask {
        id: t.0,
        // A row of an action this build does not know is left out.
        action: t.1.parse().ok()?,
        repo: t.2,
        since: t.3.map(Timestamp),
        requested_by: t.4,
        requested_at: Timestamp(t.5),
        started_at: t.6.map(Timestamp),
        finished_at: t.7.map(Timestamp),
        state,
        outcome: t.9,
    })
}

impl Store {
    /// Queues a task, unless one of its action is open: `Ok(Err(open))` then.
    pub async fn queue_task(
        &self,
        action: TaskAction,
        repo: Option<&str>,
        since: Option<i64>,
        requested_by: &str,
    ) -> Result<std::result::Result<SourceTask, SourceTask>> {
        let id: Option<i64> = on_backend!(self, p => sqlx::query_scalar(
            "INSERT INTO source_tasks (action, repo, since, requested_by, requested_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (action) WHERE finished_at IS NULL DO NOTHING RETURNING id"
        ).bind(action.as_str()).bind(repo.map(|r| capped(r, 200))).bind(since)
        .bind(capped(requested_by, 200)).bind(now_millis())
        .fetch_optional(p).await)?;
        match id {
            Some(id) => Ok(Ok(self.task(id).await?.ok_or_else(|| {
                super::StoreError::Config(format!("task {id} vanished after it was queued"))
            })?)),
            None => match self.open_task(action).await? {
                Some(open) => Ok(Err(open)),
                // It finished in between: try once more.
                None => Box::pin(self.queue_task(action, repo, since, requested_by)).await,
            },
        }
    }

    pub async fn task(&self, id: i64) -> Result<Option<SourceTask>> {
        let sql = format!("SELECT {COLUMNS} FROM source_tasks WHERE id = $1");
        let t: Option<Tuple> = on_backend!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(p).await)?;
        Ok(t.and_then(task))
    }

    /// The open (queued or running) task of `action`, if any.
    pub async fn open_task(&self, action: TaskAction) -> Result<Option<SourceTask>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM source_tasks WHERE action = $1 AND finished_at IS NULL ORDER BY id LIMIT 1"
        );
        let t: Option<Tuple> = on_backend!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(action.as_str()).fetch_optional(p).await)?;
        Ok(t.and_then(task))
    }

    /// The newest `limit` tasks, newest first.
    pub async fn recent_tasks(&self, limit: i64) -> Result<Vec<SourceTask>> {
        let sql = format!("SELECT {COLUMNS} FROM source_tasks ORDER BY id DESC LIMIT $1");
        let rows: Vec<Tuple> = on_backend!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(limit).fetch_all(p).await)?;
        Ok(rows.into_iter().filter_map(task).collect())
    }

    /// Marks a task as started now (again, when a stopped process had started it).
    pub async fn start_task(&self, id: i64) -> Result<()> {
        on_backend!(self, p => sqlx::query("UPDATE source_tasks SET started_at = $2 WHERE id = $1")
            .bind(id).bind(now_millis()).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Ends a task with what it did, or why it failed.
    pub async fn finish_task(&self, id: i64, failed: bool, outcome: &str) -> Result<()> {
        on_backend!(self, p => sqlx::query(
            "UPDATE source_tasks SET finished_at = $2, failed = $3, outcome = $4 WHERE id = $1"
        ).bind(id).bind(now_millis()).bind(i64::from(failed)).bind(capped(outcome, 2000))
        .execute(p).await.map(|_| ()))?;
        Ok(())
    }
}
