//! `GET /api/v1/deployments` (paged, filtered) and `GET /api/v1/deployments/{id}` (with changes).

use super::query::Params;
use crate::auth::ReadScope;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{DeploymentDetail, DeploymentQuery, DeploymentRow, Page};
use nagare_core::events::{DeploymentStatus, EnvironmentTier};

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
    scope: ReadScope,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Page<DeploymentRow>>> {
    let p = Params::parse(query.as_deref(), &KNOWN)?;
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
    let _turn = state.compute.enter().await?;
    Ok(Json(scope.open(&state).await?.deployments(&q)?))
}

/// One deployment, if the caller may see its service: the object's own service and teams
/// decide, whatever the query string says.
async fn get_deployment(
    State(state): State<AppState>,
    scope: ReadScope,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<DeploymentDetail>> {
    Params::parse(query.as_deref(), &[])?;
    let all = matches!(scope.scope, nagare_core::access::Scope::All);
    let view = scope.open(&state).await?;
    view.deployment(&id).map(Json).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no deployment with id `{}`{}",
            nagare_core::text::printable(&id, 100),
            if all {
                ""
            } else {
                " among the services you may see"
            }
        ))
    })
}
