//! Tasks an administrator starts from the Sources page (admins only, audited), run by a
//! background job once across replicas (`crate::jobs`):
//!
//! - `POST /api/v1/backfill` (routed with its `GET`, in `super::admin`): a GitHub history backfill (`nagare backfill github`), job
//!   `github_backfill`;
//! - `POST /api/v1/git-mirrors/sync`: a fetch and read of the git mirrors (`nagare sync git`),
//!   job `git_mirrors`;
//! - `GET /api/v1/source-tasks`: whether each can run here, and the latest tasks.
//!
//! A request queues the task (202) and wakes this process's jobs; at most one task of each
//! kind is open (queued or running), so asking again meanwhile is a 409 naming it. Progress
//! shows where it always does: the backfill's phases (`GET /api/v1/backfill`) and the
//! mirrors' rows (`GET /api/v1/git-mirrors`).

use crate::auth::extract::{Admin, Requires};
use crate::auth::{audit, ClientAddr};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::AuditEntry;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use nagare_core::api::{
    BackfillRequest, ErrorBody, SourceTask, SourceTasks, SyncRequest, TaskAction, TaskAvailability,
};
use serde::de::DeserializeOwned;

/// The tasks listed, newest first.
const RECENT: i64 = 20;
/// A backfill reaches back this far at most.
const MAX_HISTORY_DAYS: i64 = 3650;
/// A backfill's history when the request does not say.
pub const DEFAULT_SINCE: &str = "180d";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/git-mirrors/sync", post(start_sync))
        .route("/api/v1/source-tasks", get(tasks))
}

/// A request's optional JSON body: empty is `T::default()`; otherwise strict JSON (no
/// duplicate keys, no unknown fields) of `T`, with `example` in the error.
pub(crate) fn optional_body<T: DeserializeOwned + Default>(
    headers: &HeaderMap,
    body: &[u8],
    example: &str,
) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    crate::http::body::kind(headers, false)?;
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_param("body", "the body is not UTF-8"))?;
    let value = nagare_core::events::strict_value(text)
        .map_err(|e| ApiError::bad_param("body", e.to_string()))?;
    serde_json::from_value(value)
        .map_err(|e| ApiError::bad_param("body", format!("{e}; send {example} or nothing")))
}

/// A repository's name as GitHub allows it: `owner/name`, letters, digits, `-`, `_`, `.`.
fn repo_name(repo: &str) -> ApiResult<&str> {
    let repo = repo.trim();
    let part = |p: &str| {
        !p.is_empty()
            && p.len() <= 100
            && p != "."
            && p != ".."
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match repo.split_once('/') {
        Some((owner, name)) if part(owner) && part(name) => Ok(repo),
        _ => Err(ApiError::bad_param(
            "repo",
            format!(
                "`{}` is not a repository: give it as owner/name (letters, digits, - _ .)",
                nagare_core::text::printable(repo, 80)
            ),
        )),
    }
}

/// Queues `action`, audited; a 409 when one is open.
async fn queue(
    state: &AppState,
    client: ClientAddr,
    p: &crate::auth::Principal,
    action: TaskAction,
    repo: Option<&str>,
    since: Option<i64>,
) -> ApiResult<(StatusCode, Json<SourceTask>)> {
    let what = match action {
        TaskAction::Backfill => "backfill",
        TaskAction::GitSync => "git mirror sync",
    };
    let queued = state
        .store
        .queue_task(action, repo, since, &p.actor())
        .await?;
    let detail = match &queued {
        Ok(t) => format!(
            "{what} {} asked for (task {}){}",
            repo.unwrap_or("of every repository"),
            t.id,
            since.map_or(String::new(), |s| format!(
                " since {}",
                nagare_core::Timestamp(s)
            ))
        ),
        Err(open) => format!("{what} refused: task {} is still {}", open.id, open.state),
    };
    audit(
        state,
        AuditEntry {
            actor: &p.actor(),
            action: action.as_str(),
            success: queued.is_ok(),
            detail,
            ip: client.shown,
        },
    )
    .await;
    match queued {
        Ok(task) => {
            state.wake_jobs();
            Ok((StatusCode::ACCEPTED, Json(task)))
        }
        Err(open) => Err(ApiError::Conflict(format!(
            "a {what} is already {} (task {}, asked by {} at {}): wait for it to finish",
            open.state, open.id, open.requested_by, open.requested_at
        ))),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/backfill",
    tag = "administration",
    summary = "Start a GitHub history backfill in the background (admin)",
    description = "Queues a backfill of every repository the rules name (or one) since `since`, run by the `github_backfill` job on the replica holding its lease, as `nagare backfill github` would. A backfill that stopped resumes from its cursors when asked again with a `since` no earlier than its own. Its phases show in `GET /api/v1/backfill`, the task in `GET /api/v1/source-tasks`. Audited.",
    request_body(content = BackfillRequest, content_type = "application/json", description = "Optional; empty: every repository, the last 180 days"),
    responses(
        (status = 202, description = "Queued", body = SourceTask),
        (status = 400, description = "A bad `since` or `repo`", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, description = "A backfill is already queued or running", body = ErrorBody),
        (status = 422, description = "No GitHub API access or repository rule configured: the message says what to set", body = ErrorBody),
    )
)]
pub(crate) async fn start_backfill(
    State(state): State<AppState>,
    client: ClientAddr,
    Requires(p, ..): Requires<Admin>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<SourceTask>)> {
    let request: BackfillRequest = optional_body(
        &headers,
        &body,
        r#"{"since": "180d", "repo": "owner/name"}"#,
    )?;
    let now = crate::store::now_millis();
    let since = super::replay::since_at(request.since.as_deref().unwrap_or(DEFAULT_SINCE), now)
        .map_err(|e| ApiError::bad_param("since", e))?;
    if since < now - MAX_HISTORY_DAYS * 86_400_000 || since > now {
        return Err(ApiError::bad_param(
            "since",
            format!("a backfill reaches back between now and {MAX_HISTORY_DAYS} days ago"),
        ));
    }
    let repo = request
        .repo
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .map(repo_name)
        .transpose()?;
    if let Some(why) = super::backfill::unavailable(&state.config) {
        return Err(ApiError::Unprocessable {
            error: why,
            line: None,
            field: None,
        });
    }
    queue(&state, client, &p, TaskAction::Backfill, repo, Some(since)).await
}

#[utoipa::path(
    post,
    path = "/api/v1/git-mirrors/sync",
    tag = "administration",
    summary = "Fetch and read the git mirrors now (admin)",
    description = "Queues a sync of every configured mirror (or one), run by the `git_mirrors` job on the replica holding its lease, as `nagare sync git` would. The mirrors' rows in `GET /api/v1/git-mirrors` show its result, the task in `GET /api/v1/source-tasks`. Audited.",
    request_body(content = SyncRequest, content_type = "application/json", description = "Optional; empty: every mirror"),
    responses(
        (status = 202, description = "Queued", body = SourceTask),
        (status = 400, description = "`repo` is not a configured mirror", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, description = "A sync is already queued or running", body = ErrorBody),
        (status = 422, description = "No mirror is configured", body = ErrorBody),
    )
)]
pub(crate) async fn start_sync(
    State(state): State<AppState>,
    client: ClientAddr,
    Requires(p, ..): Requires<Admin>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<SourceTask>)> {
    let request: SyncRequest = optional_body(&headers, &body, r#"{"repo": "owner/name"}"#)?;
    let mirrors = &state.config.sources.git.mirrors;
    if mirrors.is_empty() {
        return Err(ApiError::Unprocessable {
            error: sync_unavailable().into(),
            line: None,
            field: None,
        });
    }
    let repo = match request.repo.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(r) => match mirrors.iter().find(|m| m.repo.eq_ignore_ascii_case(r)) {
            Some(m) => Some(m.repo.as_str()),
            None => {
                return Err(ApiError::bad_param(
                    "repo",
                    format!(
                        "`{}` is not a configured mirror; configured: {}",
                        nagare_core::text::printable(r, 80),
                        mirrors
                            .iter()
                            .map(|m| m.repo.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ))
            }
        },
    };
    queue(&state, client, &p, TaskAction::GitSync, repo, None).await
}

fn sync_unavailable() -> &'static str {
    "no git mirror is configured: add [[sources.git.mirrors]] with the repository (owner/name) and its clone URL or path"
}

#[utoipa::path(
    get,
    path = "/api/v1/source-tasks",
    tag = "administration",
    summary = "Backfills and mirror syncs: whether each can start here, and the latest tasks (admin)",
    responses(
        (status = 200, description = "What can be asked for, and the newest 20 tasks first", body = SourceTasks),
        (status = 403, description = "Not an admin", body = ErrorBody),
    )
)]
pub(crate) async fn tasks(
    State(state): State<AppState>,
    _: Requires<Admin>,
) -> ApiResult<Json<SourceTasks>> {
    let config = &state.config;
    let why = super::backfill::unavailable(config);
    let backfill = TaskAvailability {
        available: why.is_none(),
        reason: why,
        repos: config
            .sources
            .github
            .repos
            .iter()
            .filter(|r| !r.repo.ends_with("/*"))
            .map(|r| r.repo.clone())
            .collect(),
    };
    let mirrors = &config.sources.git.mirrors;
    let git_sync = TaskAvailability {
        available: !mirrors.is_empty(),
        reason: mirrors.is_empty().then(|| sync_unavailable().to_owned()),
        repos: mirrors.iter().map(|m| m.repo.clone()).collect(),
    };
    Ok(Json(SourceTasks {
        backfill,
        git_sync,
        tasks: state.store.recent_tasks(RECENT).await?,
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn repository_names_are_owner_slash_name() {
        for ok in ["acme/api", "Acme-1/web.app", "a_b/c-d"] {
            assert_eq!(super::repo_name(ok).ok(), Some(ok), "{ok}");
        }
        for bad in [
            "acme",
            "acme/",
            "/api",
            "acme/api/x",
            "acme/..",
            "acme/a b",
            "a%2f/b",
            "-/x:y",
        ] {
            assert!(super::repo_name(bad).is_err(), "{bad}");
        }
    }
}
