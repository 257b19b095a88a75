//! `GET /api/v1/deployments` (paged, filtered) and `GET /api/v1/deployments/{id}` (with changes).

use super::query::Params;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{DeploymentDetail, DeploymentQuery, DeploymentRow, Page};
use nagare_core::events::{DeploymentStatus, EnvironmentTier};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/deployments", get(list_deployments))
        .route("/api/v1/deployments/{id}", get(get_deployment))
}

const KNOWN: [&str; 9] = [
    "from",
    "to",
    "service",
    "team",
    "environment_tier",
    "status",
    "failed",
    "page",
    "per_page",
];

async fn list_deployments(
    State(state): State<AppState>,
    Query(map): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<DeploymentRow>>> {
    let p = Params::new(map, &KNOWN)?;
    let (page, per_page) = p.paging()?;
    let q = DeploymentQuery {
        from: p.time("from")?,
        to: p.time("to")?,
        service: p.string("service"),
        team: p.string("team"),
        environment_tier: p.parse_with(
            "environment_tier",
            "production, staging, testing, development or other",
            EnvironmentTier::parse,
        )?,
        status: p.parse_with(
            "status",
            "success, failure, in_progress or cancelled",
            |v| {
                serde_json::from_value::<DeploymentStatus>(serde_json::Value::String(v.to_owned()))
                    .ok()
            },
        )?,
        failed: p.bool("failed")?,
        page,
        per_page,
    };
    state.sync().await?;
    let model = state.model.read().await;
    Ok(Json(model.org.deployments(&q)))
}

async fn get_deployment(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<DeploymentDetail>> {
    state.sync().await?;
    let model = state.model.read().await;
    model
        .org
        .deployment(&id)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no deployment with id `{id}`")))
}
