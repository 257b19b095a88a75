//! The pipelines views: `GET /api/v1/pipelines/runs` (paged, filtered), `/runs/{id}` (an
//! attempt with its jobs and steps, every attempt of its run), `/workflows` and
//! `/workflows/trend` (week by week, where the time goes), `/flaky-jobs`. Definitions:
//! docs/metrics.md ("Pipelines"), `nagare_core::pipelines`.

use super::query::Query;
use crate::auth::ReadScope;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{
    ErrorBody, FlakyReport, Page, PipelineRunDetail, PipelineRunRow, PipelineStepRow,
    WorkflowTrend, WorkflowsReport,
};
use nagare_core::events::PipelineRun;
use nagare_core::pipelines::{JobTime, JobTimes, Outcome};
use nagare_core::query::{PipelineRunQuery, PipelineWindow, PipelineWindowParams};
use nagare_core::Timestamp;
use serde::{Deserialize, Serialize};

/// Attempts whose steps a workflow's trend reads from the store, at most.
pub const STEP_RUNS: usize = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/pipelines/runs", get(list_runs))
        .route("/api/v1/pipelines/runs/{id}", get(get_run))
        .route("/api/v1/pipelines/workflows", get(list_workflows))
        .route("/api/v1/pipelines/workflows/trend", get(workflow_trend))
        .route("/api/v1/pipelines/flaky-jobs", get(flaky_jobs))
}

fn window(p: PipelineWindowParams) -> ApiResult<PipelineWindow> {
    Ok(p.resolve(Timestamp(crate::store::now_millis()))?)
}

/// Runs CPU work on a blocking thread, so that the async workers stay free.
async fn off_thread<T: Send + 'static>(
    what: &'static str,
    f: impl FnOnce() -> T + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("{what} failed: {e}")))
}

#[utoipa::path(
    get,
    path = "/api/v1/pipelines/runs",
    tag = "pipelines",
    summary = "Pipeline run attempts, running first, then newest finished",
    description = "One row per attempt (a re-run is a new attempt of the same run), with its outcome, queue time and duration. Filters are exact. Definitions: docs/metrics.md.",
    params(PipelineRunQuery),
    responses(
        (status = 200, description = "A page", body = Page<PipelineRunRow>),
        (status = 400, description = "A bad parameter: `field` names it", body = ErrorBody),
        (status = 403, description = "A team or service outside what the caller may read", body = ErrorBody),
    )
)]
async fn list_runs(
    State(state): State<AppState>,
    scope: ReadScope,
    Query(q): Query<PipelineRunQuery>,
) -> ApiResult<Json<Page<PipelineRunRow>>> {
    let marks = state.store.portal_marks().await?;
    let _turn = state.compute.enter().await?;
    let view = scope.open(&state).await?;
    view.check_filters(q.team.as_deref(), q.service.as_deref())?;
    Ok(Json(
        off_thread("the runs list", move || view.pipeline_runs(&q, &marks)).await??,
    ))
}

/// `?source=` of a run's detail: which source's attempt, when several have the id.
#[derive(Debug, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RunSource {
    /// The event source (default: the one that sorts first).
    #[serde(default)]
    source: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/pipelines/runs/{id}",
    tag = "pipelines",
    summary = "One attempt with its jobs and steps, every attempt of its run, its deployment and pull request",
    params(
        ("id" = String, Path, description = "`<provider>:<id>`, e.g. `github:9001-2`"),
        RunSource,
    ),
    responses(
        (status = 200, description = "The attempt", body = PipelineRunDetail),
        (status = 404, description = "No such attempt among the repositories the caller may see", body = ErrorBody),
    )
)]
async fn get_run(
    State(state): State<AppState>,
    scope: ReadScope,
    Path(id): Path<String>,
    Query(q): Query<RunSource>,
) -> ApiResult<Json<PipelineRunDetail>> {
    let view = scope.open(&state).await?;
    let found = view.pipeline_run(q.source.as_deref(), &id);
    drop(view);
    let Some(mut detail) = found else {
        return Err(ApiError::NotFound(format!(
            "no pipeline run attempt `{}` among the repositories you may see",
            nagare_core::text::printable(&id, 100)
        )));
    };
    let marks = state.store.portal_marks().await?;
    marks.mark(&mut detail.run);
    detail.attempts.iter_mut().for_each(|a| marks.mark(a));
    // Job ids and steps are in the store, not the model.
    let key = (detail.run.source.clone(), detail.run.id.clone());
    if let Some(stored) = state
        .store
        .pipeline_runs(&[key])
        .await?
        .into_iter()
        .flatten()
        .next()
    {
        fill_steps(&mut detail, &stored);
    }
    Ok(Json(detail))
}

/// The stored event's job ids and steps, on the model's jobs (matched by name and times).
fn fill_steps(detail: &mut PipelineRunDetail, stored: &PipelineRun) {
    let mut left: Vec<&nagare_core::events::PipelineJob> = stored.jobs.iter().collect();
    for job in &mut detail.job_list {
        let Some(i) = left.iter().position(|j| {
            j.name == job.name && j.created_at == job.created_at && j.started_at == job.started_at
        }) else {
            continue;
        };
        let j = left.remove(i);
        job.id = j.id.clone();
        job.status = j.status.clone();
        job.conclusion = j.conclusion.clone();
        job.steps = j
            .steps
            .iter()
            .map(|s| {
                let t = JobTimes {
                    created: None,
                    started: s.started_at.map(|t| t.0),
                    finished: s.finished_at.map(|t| t.0),
                };
                PipelineStepRow {
                    name: s.name.clone(),
                    number: s.number,
                    conclusion: s.conclusion.clone(),
                    outcome: step_outcome(s),
                    started_at: s.started_at,
                    finished_at: s.finished_at,
                    duration_secs: t.duration().map(|d| d as f64 / 1000.0),
                }
            })
            .collect();
    }
}

fn step_outcome(s: &nagare_core::events::PipelineStep) -> Outcome {
    Outcome::of(s.status.as_deref().unwrap_or(""), s.conclusion.as_deref()).unwrap_or(
        if s.finished_at.is_some() {
            Outcome::Skipped
        } else {
            Outcome::Running
        },
    )
}

#[utoipa::path(
    get,
    path = "/api/v1/pipelines/workflows",
    tag = "pipelines",
    summary = "Each workflow's attempts that finished in the window [from, to)",
    description = "Outcomes, duration and queue time p50/p90, success rate and first-attempt pass rate per workflow, most attempts first.",
    params(PipelineWindowParams),
    responses(
        (status = 200, description = "The workflows", body = WorkflowsReport),
        (status = 400, description = "A bad parameter: `field` names it", body = ErrorBody),
        (status = 403, description = "A team or service outside what the caller may read", body = ErrorBody),
    )
)]
async fn list_workflows(
    State(state): State<AppState>,
    scope: ReadScope,
    Query(p): Query<PipelineWindowParams>,
) -> ApiResult<Json<WorkflowsReport>> {
    let w = window(p)?;
    let _turn = state.compute.enter().await?;
    let view = scope.open(&state).await?;
    view.check_filters(w.team.as_deref(), w.service.as_deref())?;
    Ok(Json(
        off_thread("the workflows", move || view.workflows(&w)).await??,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/pipelines/workflows/trend",
    tag = "pipelines",
    summary = "One workflow week by week, and where its attempts' time goes",
    description = "`repo` and `workflow` are required. Weeks start on Monday in `time_zone`. Jobs: every attempt that succeeded or failed in the window; steps: the newest 200 of them.",
    params(PipelineWindowParams),
    responses(
        (status = 200, description = "The trend", body = WorkflowTrend),
        (status = 400, description = "A bad or missing parameter: `field` names it", body = ErrorBody),
        (status = 403, description = "A team or service outside what the caller may read", body = ErrorBody),
        (status = 404, description = "No such repository or workflow", body = ErrorBody),
    )
)]
async fn workflow_trend(
    State(state): State<AppState>,
    scope: ReadScope,
    Query(p): Query<PipelineWindowParams>,
) -> ApiResult<Json<WorkflowTrend>> {
    let w = window(p)?;
    for (given, field) in [
        (w.repo.is_some(), "repo"),
        (w.workflow.is_some(), "workflow"),
    ] {
        if !given {
            return Err(ApiError::bad_param(
                field,
                format!("`{field}` is required: the trend is of one workflow of one repository"),
            ));
        }
    }
    let _turn = state.compute.enter().await?;
    let view = scope.open(&state).await?;
    view.check_filters(w.team.as_deref(), w.service.as_deref())?;
    let found = off_thread("the workflow's trend", move || {
        let t = view.workflow_trend(&w, STEP_RUNS);
        drop(view);
        t
    })
    .await??;
    let Some((mut trend, newest)) = found else {
        return Err(ApiError::NotFound(
            "no such repository or workflow among the runs you may see".into(),
        ));
    };
    let keys: Vec<(String, String)> = newest;
    let stored = state.store.pipeline_runs(&keys).await?;
    trend.steps = step_shares(stored.iter().flatten());
    Ok(Json(trend))
}

/// Each step's (`job / step`) time across attempts, as a share of their wall time.
fn step_shares<'a>(
    runs: impl Iterator<Item = &'a PipelineRun>,
) -> Vec<nagare_core::api::TimeShare> {
    use std::collections::BTreeMap;
    let mut by: BTreeMap<String, (Option<String>, JobTime)> = BTreeMap::new();
    for r in runs {
        let wall =
            nagare_core::pipelines::span(r.started_at.map(|t| t.0), r.finished_at.map(|t| t.0));
        let mut seen = std::collections::BTreeSet::new();
        for j in &r.jobs {
            for s in &j.steps {
                let Some(d) = nagare_core::pipelines::span(
                    s.started_at.map(|t| t.0),
                    s.finished_at.map(|t| t.0),
                ) else {
                    continue;
                };
                let name = format!("{} / {}", j.name, s.name);
                let e = by
                    .entry(name.clone())
                    .or_insert((j.category.clone(), JobTime::default()));
                e.1.durations.push(d);
                if seen.insert(name) {
                    e.1.run_wall += wall.unwrap_or(0);
                }
            }
        }
    }
    nagare_core::model::time_shares(by.into_iter().map(|(n, (c, t))| (n, c, t)))
}

#[utoipa::path(
    get,
    path = "/api/v1/pipelines/flaky-jobs",
    tag = "pipelines",
    summary = "Jobs that failed, then passed on the same sha, in the window [from, to)",
    description = "The same repository, workflow, sha and job name failed, then passed in a later attempt or run: one occurrence per pass, in the window where it finished. Time lost: the wall time of the failed attempts, with the failed job's own time beside it. Most occurrences first.",
    params(PipelineWindowParams),
    responses(
        (status = 200, description = "The flaky jobs", body = FlakyReport),
        (status = 400, description = "A bad parameter: `field` names it", body = ErrorBody),
        (status = 403, description = "A team or service outside what the caller may read", body = ErrorBody),
    )
)]
async fn flaky_jobs(
    State(state): State<AppState>,
    scope: ReadScope,
    Query(p): Query<PipelineWindowParams>,
) -> ApiResult<Json<FlakyReport>> {
    let w = window(p)?;
    let _turn = state.compute.enter().await?;
    let view = scope.open(&state).await?;
    view.check_filters(w.team.as_deref(), w.service.as_deref())?;
    Ok(Json(
        off_thread("the flaky jobs", move || view.flaky_jobs(&w)).await??,
    ))
}
