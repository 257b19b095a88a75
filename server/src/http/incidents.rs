//! `GET /api/v1/incidents`: incidents with their attributed deployment and recovery time.

use super::query::Query;
use crate::auth::ReadScope;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{ErrorBody, IncidentQuery, IncidentRow, Page};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/incidents", get(list_incidents))
}

#[utoipa::path(
    get,
    path = "/api/v1/incidents",
    tag = "incidents",
    summary = "Incidents, newest first",
    description = "With the deployment each is attributed to, how, and the recovery time.",
    params(IncidentQuery),
    responses(
        (status = 200, description = "A page", body = Page<IncidentRow>),
        (status = 400, description = "A bad parameter: `field` names it", body = ErrorBody),
        (status = 403, description = "A team or service outside what the caller may read", body = ErrorBody),
    )
)]
async fn list_incidents(
    State(state): State<AppState>,
    scope: ReadScope,
    Query(q): Query<IncidentQuery>,
) -> ApiResult<Json<Page<IncidentRow>>> {
    let _turn = state.compute.enter().await?;
    Ok(Json(scope.open(&state).await?.incidents(&q)?))
}
