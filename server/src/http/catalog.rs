//! `GET /api/v1/services` and `GET /api/v1/teams`.

use crate::error::ApiResult;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{ServiceRow, TeamRow};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/services", get(list_services))
        .route("/api/v1/teams", get(list_teams))
}

async fn list_services(State(state): State<AppState>) -> ApiResult<Json<Vec<ServiceRow>>> {
    state.sync().await?;
    Ok(Json(state.model.read().await.org.services()))
}

async fn list_teams(State(state): State<AppState>) -> ApiResult<Json<Vec<TeamRow>>> {
    state.sync().await?;
    Ok(Json(state.model.read().await.org.teams()))
}
