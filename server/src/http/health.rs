//! Probes: `/healthz` (the process answers) and `/readyz` (the database answers too).

use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// A probe's answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` (/healthz), `ready` or `unavailable` (/readyz).
    pub status: &'static str,
    /// The backend that answered: `sqlite` or `postgres`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "probes",
    summary = "The process answers",
    security(()),
    responses((status = 200, description = "Alive", body = Health))
)]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        database: None,
        error: None,
    })
}

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "probes",
    summary = "The process and its database answer",
    security(()),
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "The database does not answer", body = Health),
    )
)]
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Health {
                status: "ready",
                database: Some(state.store.backend()),
                error: None,
            }),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                    database: None,
                    error: Some("the database does not answer"),
                }),
            )
        }
    }
}
