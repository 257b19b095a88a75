//! `GET /api/v1/deployments` (paged, filtered) and `GET /api/v1/deployments/{id}` (with changes).

use super::query::Query;
use crate::auth::ReadScope;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{DeploymentDetail, DeploymentQuery, DeploymentRow, ErrorBody, Page};
use nagare_core::query::NoParams;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/deployments", get(list_deployments))
        .route("/api/v1/deployments/{id}", get(get_deployment))
}

#[utoipa::path(
    get,
    path = "/api/v1/deployments",
    tag = "deployments",
    summary = "Deployments, newest first",
    description = "With the changes each first deployed, their median lead time, attributed incidents and failure status.",
    params(DeploymentQuery),
    responses(
        (status = 200, description = "A page", body = Page<DeploymentRow>),
        (status = 400, description = "A bad parameter: `field` names it", body = ErrorBody),
        (status = 403, description = "A team or service outside what the caller may read", body = ErrorBody),
    )
)]
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
#[utoipa::path(
    get,
    path = "/api/v1/deployments/{id}",
    tag = "deployments",
    summary = "One deployment with its changes",
    params(("id" = String, Path, description = "The deployment's id")),
    responses(
        (status = 200, description = "The deployment", body = DeploymentDetail),
        (status = 404, description = "No such deployment among the services the caller may see", body = ErrorBody),
    )
)]
async fn get_deployment(
    State(state): State<AppState>,
    scope: ReadScope,
    Path(id): Path<String>,
    _: Query<NoParams>,
) -> ApiResult<Json<DeploymentDetail>> {
    let all = matches!(scope.scope, nagare_core::access::Scope::All);
    let view = scope.open(&state).await?;
    let found = view.deployment(&id);
    // The model's read guard goes before the store is asked for the commits' authors and
    // messages (not held in memory).
    drop(view);
    let (mut detail, keys) = found.ok_or_else(|| {
        ApiError::NotFound(format!(
            "no deployment with id `{}`{}",
            nagare_core::text::printable(&id, 100),
            if all {
                ""
            } else {
                " among the services you may see"
            }
        ))
    })?;
    let details = state.store.commit_details(&keys).await?;
    for (change, d) in detail.change_list.iter_mut().zip(details) {
        change.author = d.author;
        change.message = d.message;
    }
    Ok(Json(detail))
}
