//! `GET /api/v1/session`: who is signed in, with what role and teams, and the CSRF token the
//! app sends on unsafe requests. In local mode: the one local user, an admin.

use crate::auth::extract::Signed;
use crate::auth::Via;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{Role, SessionInfo};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/session", get(get_session))
}

#[utoipa::path(
    get,
    path = "/api/v1/session",
    tag = "session",
    summary = "The current user, role, teams and mode",
    responses((status = 200, description = "The session", body = SessionInfo))
)]
async fn get_session(
    State(state): State<AppState>,
    Signed(p): Signed,
) -> ApiResult<Json<SessionInfo>> {
    let csrf_token = match &p.via {
        Via::Session { csrf, .. } => csrf.clone(),
        Via::Local | Via::Token { .. } => String::new(),
    };
    Ok(Json(SessionInfo {
        user: p.id.clone(),
        role: p.role.as_str().into(),
        local_mode: state.local_mode,
        version: env!("CARGO_PKG_VERSION").into(),
        time_zone: state.config.metrics.time_zone.clone(),
        name: p.name.clone(),
        email: p.email.clone(),
        sees_all_teams: p.role > Role::Viewer || state.config.auth.viewers_see_all_teams,
        teams: p.teams,
        csrf_token,
    }))
}
