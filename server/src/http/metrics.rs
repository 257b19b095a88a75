//! `GET /api/v1/metrics/dora`, exactly as docs/api.md describes it.

use super::query::Query;
use crate::auth::ReadScope;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{DoraParams, DoraQuery, DoraReport, ErrorBody, Interval, TeamsDoraReport};
use nagare_core::Timestamp;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/metrics/dora", get(get_dora))
        .route("/api/v1/metrics/dora/teams", get(get_teams_dora))
}

/// The DORA query of a request: its parameters, the window resolved against now.
fn dora_query(p: DoraParams) -> ApiResult<DoraQuery> {
    Ok(p.resolve(Timestamp(crate::store::now_millis()))?)
}

#[utoipa::path(
    get,
    path = "/api/v1/metrics/dora",
    tag = "metrics",
    summary = "The five DORA metrics for a window [from, to)",
    description = "Deployment frequency, change lead time, change failure rate, failed-deployment recovery time and rework rate, with their bands and what was left out (`data_quality`). Definitions: docs/metrics.md.",
    params(DoraParams),
    responses(
        (status = 200, description = "The report", body = DoraReport),
        (status = 400, description = "A bad parameter: `field` names it", body = ErrorBody),
        (status = 403, description = "A team or service outside what the caller may read", body = ErrorBody),
    )
)]
async fn get_dora(
    State(state): State<AppState>,
    scope: ReadScope,
    Query(params): Query<DoraParams>,
) -> ApiResult<Json<DoraReport>> {
    let q = dora_query(params)?;
    let _turn = state.compute.enter().await?;
    let view = scope.open(&state).await?;
    view.check_filters(q.team.as_deref(), q.service.as_deref())?;
    // Aggregating is CPU work (milliseconds on a large organisation): on a blocking thread, so
    // that the async workers stay free for the requests that only wait (ingest, probes).
    let report = tokio::task::spawn_blocking(move || view.dora(&q))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("DORA aggregation failed: {e}")))??;
    Ok(Json(report))
}

/// `GET /api/v1/metrics/dora/teams`: every team the caller may read, this window against the
/// previous one. It takes the DORA query's parameters except the filters and the interval.
#[utoipa::path(
    get,
    path = "/api/v1/metrics/dora/teams",
    tag = "metrics",
    summary = "Every team's DORA metrics, this window against the previous one",
    description = "Every team the caller may read (a limited viewer: their own), each with the five metrics of the window and of the previous window of the same length; each row equals GET /api/v1/metrics/dora?team=…. Takes the DORA parameters except `team`, `service` and `interval`.",
    params(DoraParams),
    responses(
        (status = 200, description = "One row per team, by name", body = TeamsDoraReport),
        (status = 400, description = "A bad parameter, or `team`, `service` or `interval` given", body = ErrorBody),
    )
)]
async fn get_teams_dora(
    State(state): State<AppState>,
    scope: ReadScope,
    Query(params): Query<DoraParams>,
) -> ApiResult<Json<TeamsDoraReport>> {
    let q = dora_query(params)?;
    for (given, name) in [
        (q.team.is_some(), "team"),
        (q.service.is_some(), "service"),
        (q.interval != Interval::All, "interval"),
    ] {
        if given {
            return Err(ApiError::bad_param(
                name,
                format!("this endpoint lists every team over one window; drop `{name}`, or use /api/v1/metrics/dora?team=…"),
            ));
        }
    }
    let _turn = state.compute.enter().await?;
    let view = scope.open(&state).await?;
    let report = tokio::task::spawn_blocking(move || view.teams_dora(&q))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("team aggregation failed: {e}")))?;
    Ok(Json(report))
}
