//! `GET /api/v1/openapi.json`: the API described for other tools. The document is a file
//! (`server/openapi.json`); a test checks it names every route the router serves.

use crate::state::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(get_openapi))
}

async fn get_openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}
