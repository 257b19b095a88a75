//! `GET /api/v1/services` and `GET /api/v1/teams`.

use crate::error::ApiResult;
use crate::state::{AppState, Synced};
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{ServiceRow, TeamRow};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/services", get(list_services))
        .route("/api/v1/teams", get(list_teams))
}

#[utoipa::path(
    get,
    path = "/api/v1/services",
    tag = "catalogue",
    summary = "Services, by name",
    responses((status = 200, description = "Services", body = Vec<ServiceRow>))
)]
async fn list_services(model: Synced) -> ApiResult<Json<Vec<ServiceRow>>> {
    Ok(Json(model.catalog().services()))
}

#[utoipa::path(
    get,
    path = "/api/v1/teams",
    tag = "catalogue",
    summary = "Teams, by name",
    responses((status = 200, description = "Teams", body = Vec<TeamRow>))
)]
async fn list_teams(model: Synced) -> ApiResult<Json<Vec<TeamRow>>> {
    Ok(Json(model.catalog().teams()))
}
