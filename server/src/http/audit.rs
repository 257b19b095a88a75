//! `GET /api/v1/audit` (admins only): the append-only audit log, newest first.

use super::query::Query;
use crate::auth::extract::{Admin, Requires};
use crate::error::ApiResult;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{AuditQuery, AuditRow, ErrorBody, Page};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/audit", get(list))
}

#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "administration",
    summary = "The append-only audit log, newest first (admin)",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of audit rows", body = Page<AuditRow>),
        (status = 400, description = "A bad parameter: `field` names it", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    _: Requires<Admin>,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Page<AuditRow>>> {
    Ok(Json(
        state
            .store
            .audit_page(q.action.as_deref(), q.actor.as_deref(), q.page, q.per_page)
            .await?,
    ))
}
