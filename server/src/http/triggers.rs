//! Triggering runs from the portal (docs/triggers.md): `GET /api/v1/triggers` (what the caller
//! may start, with each form), `POST /api/v1/triggers/{target}/runs`, the runs
//! (`/api/v1/runs…`: status, the log as JSON or Server-Sent Events, cancel, re-run) and the
//! approvals queue (`/api/v1/approvals…`).

use super::query::Query;
use crate::auth::{ClientAddr, ReadScope};
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Synced};
use crate::triggers::{providers, requests, view};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use nagare_core::access::Scope;
use nagare_core::api::{
    ApprovalAnswer, Decision, ErrorBody, PortalRun, PortalRunList, RerunRequest, RunLog,
    RunRequest, RunStatus, TriggerList, TriggerTarget, Verb,
};
use nagare_core::query::{PortalRunQuery, RunLogQuery, TargetQuery, TriggerQuery};
use nagare_core::Timestamp;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::time::Duration;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/triggers", get(list_targets))
        .route("/api/v1/triggers/{target}", get(get_target))
        .route("/api/v1/triggers/{target}/runs", post(start_run))
        .route("/api/v1/runs", get(list_runs))
        .route("/api/v1/runs/{id}", get(get_run))
        .route("/api/v1/runs/{id}/log", get(run_log))
        .route("/api/v1/runs/{id}/cancel", post(cancel_run))
        .route("/api/v1/runs/{id}/rerun", post(rerun_run))
        .route("/api/v1/approvals", get(list_approvals))
        .route("/api/v1/approvals/{id}/approve", post(approve))
        .route("/api/v1/approvals/{id}/reject", post(reject))
}

/// A JSON body (`{}` when empty is allowed), read strictly: 415 for another type, 400 naming
/// the problem.
fn json_body<T: DeserializeOwned + Default>(headers: &HeaderMap, body: &[u8]) -> ApiResult<T> {
    super::body::kind(headers, false)?;
    let bad = |m: String| ApiError::BadRequest {
        error: format!("the body must be JSON: {m}"),
        line: None,
        field: None,
    };
    let text = std::str::from_utf8(body).map_err(|_| bad("it is not UTF-8".into()))?;
    if text.trim().is_empty() {
        return Ok(T::default());
    }
    let value = nagare_core::events::strict_value(text).map_err(|e| bad(e.to_string()))?;
    serde_json::from_value(value).map_err(|e| bad(e.to_string()))
}

/// A POST on one target or run: who asks (and from where), the path's name or id, and the
/// JSON body (`{}` when empty), read strictly.
struct RunPost<T> {
    client: ClientAddr,
    scope: ReadScope,
    id: String,
    body: T,
}

impl<T: DeserializeOwned + Default + Send> axum::extract::FromRequest<AppState> for RunPost<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> ApiResult<Self> {
        use axum::extract::FromRequestParts;
        let (mut parts, body) = req.into_parts();
        let client = match ClientAddr::from_request_parts(&mut parts, state).await {
            Ok(c) => c,
            Err(never) => match never {},
        };
        let scope = ReadScope::from_request_parts(&mut parts, state).await?;
        let Path(id) = Path::<String>::from_request_parts(&mut parts, state)
            .await
            .map_err(|e| ApiError::bad_param("id", e.body_text()))?;
        let limit_mb = state.config.server.max_body_mb as usize;
        let bytes = axum::body::to_bytes(body, limit_mb << 20)
            .await
            .map_err(|_| {
                ApiError::PayloadTooLarge(format!(
                    "the body is over {limit_mb} MB (server.max_body_mb)"
                ))
            })?;
        let body = json_body(&parts.headers, &bytes)?;
        Ok(RunPost {
            client,
            scope,
            id,
            body,
        })
    }
}

/// A body that must be `{}` (or empty).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

/// `run` as the caller sees it (its verbs).
async fn reply(state: &AppState, scope: &ReadScope, run: PortalRun) -> ApiResult<Json<PortalRun>> {
    let owners = owners(state).await?;
    Ok(Json(
        shown(state, scope, &owners, run.clone())
            .await?
            .unwrap_or(run),
    ))
}

/// Each service's owning teams, from the catalogue.
async fn owners(state: &AppState) -> ApiResult<HashMap<String, Vec<String>>> {
    let model = Synced::now(state).await?;
    Ok(model
        .catalog()
        .services()
        .into_iter()
        .map(|s| (s.name, s.teams))
        .collect())
}

fn readable(scope: &ReadScope, service: &str, teams: &[String]) -> bool {
    match &scope.scope {
        Scope::All => true,
        Scope::Only(limit) => limit.admits(service, teams),
    }
}

fn not_found(what: &str, name: &str) -> ApiError {
    ApiError::NotFound(format!(
        "no {what} `{}`",
        nagare_core::text::printable(name, 60)
    ))
}

/// A run as the caller sees it (its verbs), if the caller may read its service.
async fn shown(
    state: &AppState,
    scope: &ReadScope,
    owners: &HashMap<String, Vec<String>>,
    mut run: PortalRun,
) -> ApiResult<Option<PortalRun>> {
    let no_teams = Vec::new();
    let teams = owners.get(&run.service).unwrap_or(&no_teams);
    if !readable(scope, &run.service, teams) {
        return Ok(None);
    }
    let attempts = if run.kind == nagare_core::api::TargetKind::GithubWorkflow {
        requests::attempts_of(state, &run).await?
    } else {
        1
    };
    run.verbs = view::run_verbs(
        &state.triggers.targets,
        &run,
        &scope.principal,
        teams,
        attempts,
        Timestamp(crate::store::now_millis()),
    );
    Ok(Some(run))
}

#[utoipa::path(
    get,
    path = "/api/v1/triggers",
    tag = "triggers",
    summary = "What the caller may see and start: runbooks, GitHub workflows, GitLab pipelines",
    description = "Each target with its form and the verbs the caller may use. A GitHub workflow's form is read from its file at a ref: ask GET /api/v1/triggers/{target}?ref=… for it.",
    params(TriggerQuery),
    responses((status = 200, description = "The targets", body = TriggerList))
)]
async fn list_targets(
    State(state): State<AppState>,
    scope: ReadScope,
    Query(q): Query<TriggerQuery>,
) -> ApiResult<Json<TriggerList>> {
    let owners = owners(&state).await?;
    let no_teams = Vec::new();
    let rt = &state.triggers;
    let targets = rt
        .targets
        .list
        .iter()
        .filter(|d| q.service.as_deref().is_none_or(|s| s == d.service))
        .filter_map(|d| {
            let teams = owners.get(&d.service).unwrap_or(&no_teams);
            if !readable(&scope, &d.service, teams) {
                return None;
            }
            let inputs = match d.kind() {
                nagare_core::api::TargetKind::GithubWorkflow => {
                    Ok((Vec::new(), "not read yet: ask for the target with a ref"))
                }
                _ => Ok((d.inputs.clone(), "configuration")),
            };
            Some(view::target(
                &rt.targets.grants,
                d,
                &scope.principal,
                teams,
                inputs,
                d.default_ref.clone(),
            ))
        })
        .collect();
    Ok(Json(TriggerList { targets }))
}

#[utoipa::path(
    get,
    path = "/api/v1/triggers/{target}",
    tag = "triggers",
    summary = "One target, its form read at a ref",
    description = "For a GitHub workflow, the `workflow_dispatch` inputs are read from the workflow file at `ref` (the git mirror, else the contents API), never from the default branch; when they cannot be read, `inputs_error` says why.",
    params(("target" = String, Path, description = "The target's name"), TargetQuery),
    responses(
        (status = 200, description = "The target", body = TriggerTarget),
        (status = 404, description = "No such target, or not the caller's to see", body = ErrorBody),
    )
)]
async fn get_target(
    State(state): State<AppState>,
    scope: ReadScope,
    Path(name): Path<String>,
    Query(q): Query<TargetQuery>,
) -> ApiResult<Json<TriggerTarget>> {
    let rt = &state.triggers;
    let def = rt
        .targets
        .get(&name)
        .ok_or_else(|| not_found("trigger target", &name))?;
    let teams = requests::service_teams(&state, &def.service).await?;
    if !readable(&scope, &def.service, &teams) {
        return Err(not_found("trigger target", &name));
    }
    let git_ref = q.git_ref.or_else(|| def.default_ref.clone());
    let inputs = providers::inputs_at(&state, def, git_ref.as_deref()).await;
    Ok(Json(view::target(
        &rt.targets.grants,
        def,
        &scope.principal,
        &teams,
        inputs,
        git_ref,
    )))
}

#[utoipa::path(
    post,
    path = "/api/v1/triggers/{target}/runs",
    tag = "triggers",
    summary = "Start a run (or ask for its approval)",
    description = "The inputs are checked against the target's form first. A production target with an approval group answers with the request (`awaiting_approval`); others are `queued` and start at once when a slot of their concurrency limit is free. Needs the `trigger` grant on the target's service (or a token with the `trigger` scope).",
    params(("target" = String, Path, description = "The target's name")),
    request_body = RunRequest,
    responses(
        (status = 201, description = "The run", body = PortalRun),
        (status = 400, description = "An input refused: `field` names it", body = ErrorBody),
        (status = 403, description = "The role or team that is missing", body = ErrorBody),
        (status = 404, description = "No such target", body = ErrorBody),
        (status = 409, description = "Nobody else could approve it", body = ErrorBody),
        (status = 422, description = "The form could not be read at that ref", body = ErrorBody),
    )
)]
async fn start_run(
    State(state): State<AppState>,
    post: RunPost<RunRequest>,
) -> ApiResult<(StatusCode, Json<PortalRun>)> {
    let p = &post.scope.principal;
    let run = requests::request(&state, p, &post.id, post.body, None, post.client.shown).await?;
    Ok((StatusCode::CREATED, reply(&state, &post.scope, run).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/runs",
    tag = "triggers",
    summary = "Runs started from the portal, newest first",
    params(PortalRunQuery),
    responses((status = 200, description = "A page", body = PortalRunList))
)]
async fn list_runs(
    State(state): State<AppState>,
    scope: ReadScope,
    Query(q): Query<PortalRunQuery>,
) -> ApiResult<Json<PortalRunList>> {
    let owners = owners(&state).await?;
    let (rows, total) = state
        .store
        .portal_runs(
            q.target.as_deref(),
            q.service.as_deref(),
            q.status,
            q.page,
            q.per_page,
        )
        .await?;
    let mut items = Vec::new();
    for r in rows {
        if let Some(run) = shown(&state, &scope, &owners, r.run).await? {
            items.push(run);
        }
    }
    Ok(Json(PortalRunList {
        items,
        total,
        page: q.page,
        per_page: q.per_page,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/approvals",
    tag = "triggers",
    summary = "Requests waiting for the caller's approval",
    description = "The runs awaiting approval that the caller may approve (in their group, not their own request), oldest first, with exactly what would run.",
    responses((status = 200, description = "The queue", body = PortalRunList))
)]
async fn list_approvals(
    State(state): State<AppState>,
    scope: ReadScope,
) -> ApiResult<Json<PortalRunList>> {
    let owners = owners(&state).await?;
    let mut items = Vec::new();
    for r in state
        .store
        .portal_runs_in(&[RunStatus::AwaitingApproval])
        .await?
    {
        if let Some(run) = shown(&state, &scope, &owners, r.run).await? {
            if run.verbs.contains(&Verb::Approve) {
                items.push(run);
            }
        }
    }
    let total = items.len() as u64;
    Ok(Json(PortalRunList {
        items,
        total,
        page: 1,
        per_page: total.max(1) as u32,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}",
    tag = "triggers",
    summary = "A run started from the portal",
    params(("id" = String, Path, description = "The run's id")),
    responses(
        (status = 200, description = "The run, with the verbs the caller may use now", body = PortalRun),
        (status = 404, description = "No such run, or not the caller's to see", body = ErrorBody),
    )
)]
async fn get_run(
    State(state): State<AppState>,
    scope: ReadScope,
    Path(id): Path<String>,
) -> ApiResult<Json<PortalRun>> {
    let owners = owners(&state).await?;
    let stored = requests::load(&state, &id).await?;
    shown(&state, &scope, &owners, stored.run)
        .await?
        .map(Json)
        .ok_or_else(|| not_found("run", &id))
}

#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}/log",
    tag = "triggers",
    summary = "A run's output: JSON, or live as Server-Sent Events",
    description = "As JSON: the chunks after `after`. With `Accept: text/event-stream`: every chunk after `after` (or `Last-Event-ID`) as an event `chunk` (its id the chunk's `seq`), then each new one as it is stored (whichever replica runs it), `status` events when the run's state changes, and `end` once it has ended and every chunk was sent.",
    params(("id" = String, Path, description = "The run's id"), RunLogQuery),
    responses(
        (status = 200, description = "The chunks", body = RunLog, content_type = "application/json"),
        (status = 404, description = "No such run", body = ErrorBody),
    )
)]
async fn run_log(
    State(state): State<AppState>,
    scope: ReadScope,
    Path(id): Path<String>,
    Query(q): Query<RunLogQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let owners = owners(&state).await?;
    let stored = requests::load(&state, &id).await?;
    let Some(run) = shown(&state, &scope, &owners, stored.run).await? else {
        return Err(not_found("run", &id));
    };
    let wants_stream = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/event-stream"));
    let last_event = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let after = last_event.or(q.after).unwrap_or(0);
    if wants_stream {
        return Ok(stream(state, id, after).into_response());
    }
    let chunks = state.store.run_log(&id, after, 1000).await?;
    let last = chunks.last().map_or(after, |c| c.seq);
    Ok(Json(RunLog {
        done: run.status.is_final() && last >= run.log.last_seq,
        status: run.status,
        summary: run.log,
        chunks,
    })
    .into_response())
}

/// How often a live log looks for new chunks in the store.
const LOG_POLL: Duration = Duration::from_millis(250);

fn stream(
    state: AppState,
    id: String,
    after: u64,
) -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
    struct Cursor {
        state: AppState,
        id: String,
        after: u64,
        status: Option<RunStatus>,
        pending: std::collections::VecDeque<Event>,
        ended: bool,
    }
    let cursor = Cursor {
        state,
        id,
        after,
        status: None,
        pending: Default::default(),
        ended: false,
    };
    let events = futures_util::stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(e) = c.pending.pop_front() {
                return Some((Ok(e), c));
            }
            if c.ended {
                return None;
            }
            let run = match c.state.store.portal_run(&c.id).await {
                Ok(Some(r)) => r.run,
                _ => return None,
            };
            let chunks = c
                .state
                .store
                .run_log(&c.id, c.after, 500)
                .await
                .unwrap_or_default();
            for ch in &chunks {
                c.after = ch.seq;
                c.pending.push_back(
                    Event::default()
                        .id(ch.seq.to_string())
                        .event("chunk")
                        .json_data(ch)
                        .unwrap_or_default(),
                );
            }
            if c.status != Some(run.status) {
                c.status = Some(run.status);
                c.pending
                    .push_back(Event::default().event("status").data(run.status.as_str()));
            }
            if chunks.is_empty() && run.status.is_final() && c.after >= run.log.last_seq {
                c.pending
                    .push_back(Event::default().event("end").data(run.status.as_str()));
                c.ended = true;
                continue;
            }
            if c.pending.is_empty() {
                tokio::time::sleep(LOG_POLL).await;
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[utoipa::path(
    post,
    path = "/api/v1/runs/{id}/cancel",
    tag = "triggers",
    summary = "Cancel a run",
    description = "A run not started yet ends at once. A running runbook's process group gets SIGTERM, then SIGKILL after the grace period (from whichever replica runs it); a provider run is cancelled at the provider.",
    params(("id" = String, Path, description = "The run's id")),
    responses(
        (status = 400, description = "A body that is not the JSON asked for", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
        (status = 200, description = "The run", body = PortalRun),
        (status = 403, description = "The role or team that is missing", body = ErrorBody),
        (status = 409, description = "It already ended", body = ErrorBody),
    )
)]
async fn cancel_run(
    State(state): State<AppState>,
    post: RunPost<NoFields>,
) -> ApiResult<Json<PortalRun>> {
    let run = requests::cancel(&state, &post.scope.principal, &post.id, post.client.shown).await?;
    reply(&state, &post.scope, run).await
}

#[utoipa::path(
    post,
    path = "/api/v1/runs/{id}/rerun",
    tag = "triggers",
    summary = "Run it again",
    description = "A new run of the same target with the same inputs (through approval again when the target needs it). GitHub: the run is re-run (`failed_only`: its failed jobs), within 30 days of its start and 50 attempts; GitLab: the pipeline is retried.",
    params(("id" = String, Path, description = "The run's id")),
    request_body = RerunRequest,
    responses(
        (status = 400, description = "A body that is not the JSON asked for", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
        (status = 201, description = "The new run", body = PortalRun),
        (status = 403, description = "The role or team that is missing", body = ErrorBody),
        (status = 409, description = "It cannot be re-run (still running, past GitHub's limits)", body = ErrorBody),
    )
)]
async fn rerun_run(
    State(state): State<AppState>,
    post: RunPost<RerunRequest>,
) -> ApiResult<(StatusCode, Json<PortalRun>)> {
    let p = &post.scope.principal;
    let run = requests::rerun(
        &state,
        p,
        &post.id,
        post.body.failed_only,
        post.client.shown,
    )
    .await?;
    Ok((StatusCode::CREATED, reply(&state, &post.scope, run).await?))
}

async fn decide(
    state: AppState,
    post: RunPost<ApprovalAnswer>,
    decision: Decision,
) -> ApiResult<Json<PortalRun>> {
    let p = &post.scope.principal;
    let comment = post.body.comment;
    let run = requests::answer(&state, p, &post.id, decision, comment, post.client.shown).await?;
    reply(&state, &post.scope, run).await
}

#[utoipa::path(
    post,
    path = "/api/v1/approvals/{id}/approve",
    tag = "triggers",
    summary = "Approve a request",
    description = "By a member of the target's approval group, never the requester. With mode `any` the run starts at once; with `all` once every other member approved.",
    params(("id" = String, Path, description = "The run's id")),
    request_body = ApprovalAnswer,
    responses(
        (status = 400, description = "A body that is not the JSON asked for", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
        (status = 200, description = "The run", body = PortalRun),
        (status = 403, description = "Not in the group, or the requester", body = ErrorBody),
        (status = 409, description = "No longer waiting", body = ErrorBody),
    )
)]
async fn approve(
    State(state): State<AppState>,
    post: RunPost<ApprovalAnswer>,
) -> ApiResult<Json<PortalRun>> {
    decide(state, post, Decision::Approve).await
}

#[utoipa::path(
    post,
    path = "/api/v1/approvals/{id}/reject",
    tag = "triggers",
    summary = "Reject a request",
    params(("id" = String, Path, description = "The run's id")),
    request_body = ApprovalAnswer,
    responses(
        (status = 400, description = "A body that is not the JSON asked for", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
        (status = 200, description = "The run", body = PortalRun),
        (status = 403, description = "Not in the group, or the requester", body = ErrorBody),
        (status = 409, description = "No longer waiting", body = ErrorBody),
    )
)]
async fn reject(
    State(state): State<AppState>,
    post: RunPost<ApprovalAnswer>,
) -> ApiResult<Json<PortalRun>> {
    decide(state, post, Decision::Reject).await
}
