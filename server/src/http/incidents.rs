//! `GET /api/v1/incidents`: incidents with their attributed deployment and recovery time.

use super::query::Params;
use crate::auth::ReadScope;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{IncidentQuery, IncidentRow, Page};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/incidents", get(list_incidents))
}

const KNOWN: [&str; 7] = ["from", "to", "service", "team", "open", "page", "per_page"];

async fn list_incidents(
    State(state): State<AppState>,
    scope: ReadScope,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Page<IncidentRow>>> {
    let p = Params::parse(query.as_deref(), &KNOWN)?;
    let (page, per_page) = p.paging()?;
    let q = IncidentQuery {
        from: p.time("from")?,
        to: p.time("to")?,
        service: p.string("service"),
        team: p.string("team"),
        open: p.bool("open")?,
        page,
        per_page,
    };
    let _turn = state.compute.enter().await?;
    Ok(Json(scope.open(&state).await?.incidents(&q)?))
}
