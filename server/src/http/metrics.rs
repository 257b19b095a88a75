//! `GET /api/v1/metrics/dora`, exactly as docs/api.md describes it.

use super::query::typed;
use crate::auth::ReadScope;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{DoraParams, DoraQuery, DoraReport, Interval, TeamsDoraReport};
use nagare_core::Timestamp;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/metrics/dora", get(get_dora))
        .route("/api/v1/metrics/dora/teams", get(get_teams_dora))
}

/// The DORA query of a request: its parameters, the window resolved against now.
pub fn parse_dora_query(query: Option<&str>, now: Timestamp) -> ApiResult<DoraQuery> {
    typed::<DoraParams>(query)?
        .resolve(now)
        .map_err(|e| ApiError::bad_param(&e.field, e.message))
}

async fn get_dora(
    State(state): State<AppState>,
    scope: ReadScope,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<DoraReport>> {
    let q = parse_dora_query(query.as_deref(), Timestamp(crate::store::now_millis()))?;
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
async fn get_teams_dora(
    State(state): State<AppState>,
    scope: ReadScope,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<TeamsDoraReport>> {
    let q = parse_dora_query(query.as_deref(), Timestamp(crate::store::now_millis()))?;
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
