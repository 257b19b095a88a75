//! Triggering runs from the portal (docs/triggers.md): `GET /api/v1/triggers` (what the caller
//! may start, with each form), `POST /api/v1/triggers/{target}/runs`, the runs
//! (`/api/v1/runs…`: status, the log as JSON or Server-Sent Events, cancel, re-run) and the
//! approvals queue (`/api/v1/approvals…`).

mod body;
pub(super) mod log;

use super::query::Query;
use crate::auth::ReadScope;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Synced};
use crate::triggers::{providers, requests, view};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use body::{NoFields, RunPost};
use nagare_core::access::Scope;
use nagare_core::api::{
    ApprovalAnswer, Decision, ErrorBody, PortalRun, PortalRunList, RerunRequest, RunRequest,
    RunStatus, TriggerList, TriggerTarget, Verb,
};
use nagare_core::query::{PortalRunQuery, TargetQuery, TriggerQuery};
use nagare_core::Timestamp;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/triggers", get(list_targets))
        .route("/api/v1/triggers/{target}", get(get_target))
        .route("/api/v1/triggers/{target}/runs", post(start_run))
        .route("/api/v1/runs", get(list_runs))
        .route("/api/v1/runs/{id}", get(get_run))
        .route("/api/v1/runs/{id}/log", get(log::run_log))
        .route("/api/v1/runs/{id}/cancel", post(cancel_run))
        .route("/api/v1/runs/{id}/rerun", post(rerun_run))
        .route("/api/v1/approvals", get(list_approvals))
        .route("/api/v1/approvals/{id}/approve", post(approve))
        .route("/api/v1/approvals/{id}/reject", post(reject))
}

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
    // GitLab variables may carry secrets: their values are for those who may start the target.
    let may_start = state.triggers.targets.get(&run.target).is_some_and(|def| {
        requests::check(&state.triggers, &scope.principal, Verb::Trigger, def, teams).is_ok()
    });
    if !may_start {
        run.variables
            .values_mut()
            .for_each(|v| *v = HIDDEN.to_owned());
    }
    Ok(Some(run))
}

/// What a GitLab variable's value reads as to a caller who may not start its target.
pub const HIDDEN: &str = "(hidden)";

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
    if let Some(r) = &q.git_ref {
        requests::check_ref(r)?;
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
    // A limited caller's page and total count only the services it may read.
    let only: Option<Vec<String>> = match &scope.scope {
        Scope::All => None,
        Scope::Only(_) => {
            let no_teams = Vec::new();
            let mut services: Vec<String> = owners
                .keys()
                .chain(state.triggers.targets.list.iter().map(|t| &t.service))
                .filter(|s| readable(&scope, s, owners.get(*s).unwrap_or(&no_teams)))
                .cloned()
                .collect();
            services.sort();
            services.dedup();
            Some(services)
        }
    };
    let (rows, total) = state
        .store
        .portal_runs(
            q.target.as_deref(),
            q.service.as_deref(),
            q.status,
            only.as_deref(),
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
