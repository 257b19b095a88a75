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

async fn list_services(model: Synced) -> ApiResult<Json<Vec<ServiceRow>>> {
    Ok(Json(model.catalog().services()))
}

async fn list_teams(model: Synced) -> ApiResult<Json<Vec<TeamRow>>> {
    Ok(Json(model.catalog().teams()))
}
