//! `GET /api/v1/incidents`: incidents with their attributed deployment and recovery time.

use super::query::Query;
use crate::auth::ReadScope;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{IncidentQuery, IncidentRow, Page};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/incidents", get(list_incidents))
}

async fn list_incidents(
    State(state): State<AppState>,
    scope: ReadScope,
    Query(q): Query<IncidentQuery>,
) -> ApiResult<Json<Page<IncidentRow>>> {
    let _turn = state.compute.enter().await?;
    Ok(Json(scope.open(&state).await?.incidents(&q)?))
}
