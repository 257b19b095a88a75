//! `GET /api/v1/audit` (admins only): the append-only audit log, newest first.

use super::query::Params;
use crate::auth::extract::{Admin, Requires};
use crate::error::ApiResult;
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{AuditRow, Page};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/audit", get(list))
}

async fn list(
    State(state): State<AppState>,
    _: Requires<Admin>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Page<AuditRow>>> {
    let params = Params::parse(q.as_deref(), &["action", "actor", "page", "per_page"])?;
    let (page, per_page) = params.paging()?;
    let action = params.string("action").filter(|s| !s.is_empty());
    let actor = params.string("actor").filter(|s| !s.is_empty());
    Ok(Json(
        state
            .store
            .audit_page(action.as_deref(), actor.as_deref(), page, per_page)
            .await?,
    ))
}
