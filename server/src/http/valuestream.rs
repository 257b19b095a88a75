//! `GET /api/v1/metrics/value-stream` (where merged pull requests' time went, stage by stage)
//! and `GET /api/v1/pull-requests/{owner}/{name}/{number}/journey` (one pull request's way to
//! production). Definitions: docs/metrics.md ("Value stream"), `nagare_core::valuestream`.

use super::query::Query;
use crate::auth::ReadScope;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{ErrorBody, Journey, ValueStreamParams, ValueStreamReport};
use nagare_core::Timestamp;
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/metrics/value-stream", get(value_stream))
        .route(
            "/api/v1/pull-requests/{owner}/{name}/{number}/journey",
            get(journey),
        )
}

#[utoipa::path(
    get,
    path = "/api/v1/metrics/value-stream",
    tag = "metrics",
    summary = "Where merged pull requests' time went, stage by stage, for those deployed to production in [from, to)",
    description = "Per stage (coding, pickup, review, build & test, release wait, deploy; or review until approved with `chain=approval`): median, p75, p90, mean and count, its share of the time, its slowest pull requests; merged stages (a missing event) as rows of their own; the bottleneck and the flow efficiency. Each pull request's total is its lead time on the `pull_request` basis. Takes the DORA query's window and filters, `chain`, and `interval` for a series. Definitions: docs/metrics.md.",
    params(ValueStreamParams),
    responses(
        (status = 200, description = "The report", body = ValueStreamReport),
        (status = 400, description = "A bad parameter: `field` names it", body = ErrorBody),
        (status = 403, description = "A team or service outside what the caller may read", body = ErrorBody),
    )
)]
async fn value_stream(
    State(state): State<AppState>,
    scope: ReadScope,
    Query(p): Query<ValueStreamParams>,
) -> ApiResult<Json<ValueStreamReport>> {
    let q = p.resolve(Timestamp(crate::store::now_millis()))?;
    let _turn = state.compute.enter().await?;
    let view = scope.open(&state).await?;
    view.check_filters(q.team.as_deref(), q.service.as_deref())?;
    let report = tokio::task::spawn_blocking(move || view.value_stream(&q))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the value stream failed: {e}")))??;
    Ok(Json(report))
}

/// `?source=` of a journey: which source's pull request, when several have it.
#[derive(Debug, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PrSource {
    /// The event source (default: the one that sorts first).
    #[serde(default)]
    source: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/pull-requests/{owner}/{name}/{number}/journey",
    tag = "metrics",
    summary = "One pull request's way from its first commit to production",
    description = "Its events, its stages along the default chain once it reached production, its commits, the CI runs on them (each attempt), its first production deployment and the incidents attributed to it.",
    params(
        ("owner" = String, Path, description = "The repository's owner"),
        ("name" = String, Path, description = "The repository's name"),
        ("number" = String, Path, description = "The pull request's number or id"),
        PrSource,
    ),
    responses(
        (status = 200, description = "The journey", body = Journey),
        (status = 404, description = "No such pull request among the repositories the caller may see", body = ErrorBody),
    )
)]
async fn journey(
    State(state): State<AppState>,
    scope: ReadScope,
    Path((owner, name, number)): Path<(String, String, String)>,
    Query(q): Query<PrSource>,
) -> ApiResult<Json<Journey>> {
    let repo = format!("{owner}/{name}");
    let view = scope.open(&state).await?;
    view.journey(&repo, &number, q.source.as_deref())
        .map(Json)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no pull request {}#{} among the repositories you may see",
                nagare_core::text::printable(&repo, 100),
                nagare_core::text::printable(&number, 40)
            ))
        })
}
