//! `GET /api/v1/deployments` (paged, filtered) and `GET /api/v1/deployments/{id}` (with changes).

use super::query::Query;
use crate::auth::ReadScope;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{DeploymentDetail, DeploymentQuery, DeploymentRow, Page};
use nagare_core::query::NoParams;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/deployments", get(list_deployments))
        .route("/api/v1/deployments/{id}", get(get_deployment))
}

async fn list_deployments(
    State(state): State<AppState>,
    scope: ReadScope,
    Query(q): Query<DeploymentQuery>,
) -> ApiResult<Json<Page<DeploymentRow>>> {
    let _turn = state.compute.enter().await?;
    Ok(Json(scope.open(&state).await?.deployments(&q)?))
}

/// One deployment, if the caller may see its service: the object's own service and teams
/// decide, whatever the query string says.
async fn get_deployment(
    State(state): State<AppState>,
    scope: ReadScope,
    Path(id): Path<String>,
    _: Query<NoParams>,
) -> ApiResult<Json<DeploymentDetail>> {
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
