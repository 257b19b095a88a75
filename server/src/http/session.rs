//! `GET /api/v1/session`: who is using the portal and how it runs (local mode until SSO).

use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::SessionInfo;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/session", get(get_session))
}

async fn get_session(State(state): State<AppState>) -> Json<SessionInfo> {
    Json(SessionInfo {
        user: "local".into(),
        role: "admin".into(),
        local_mode: state.local_mode,
        version: env!("CARGO_PKG_VERSION").into(),
        time_zone: state.config.metrics.time_zone.clone(),
    })
}
