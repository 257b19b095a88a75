//! `POST /api/v1/events`: canonical events as a JSON array or NDJSON. All or nothing.
//!
//! 1. Room in the ingest buffer for the body (`server.ingest_buffer_mb` in all; past the line,
//!    503 with `Retry-After`).
//! 2. The body: a JSON content type (else 415), gzip decoded, at most `server.max_body_mb`.
//! 3. Then the ingest path that the webhooks share (`crate::ingest`): parsed, checked against
//!    the caller's write scope, stored with its raw delivery, acknowledged once committed.

use super::body;
use crate::auth::extract::{Ingest, Requires};
use crate::error::ApiResult;
use crate::ingest;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use nagare_core::api::{ErrorBody, IngestReply};
use nagare_core::events::Event;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events", post(post_events))
        // The handler enforces the configured limit itself, with a JSON error.
        .layer(DefaultBodyLimit::disable())
}

#[utoipa::path(
    post,
    path = "/api/v1/events",
    tag = "ingest",
    summary = "Ingest canonical events",
    description = "A JSON array or NDJSON, optionally gzip. All or nothing, idempotent by (kind, source, id): an event posted again replaces the earlier one. Answered once the store commits. The fields per kind: docs/api.md.",
    request_body(
        description = "Canonical events",
        content(
            (Vec<Event> = "application/json"),
            (String = "application/x-ndjson"),
        )
    ),
    params(("Content-Encoding" = Option<String>, Header, description = "`gzip` bodies are decoded; other encodings get 415")),
    responses(
        (status = 200, description = "Stored", body = IngestReply),
        (status = 400, description = "Malformed body: not UTF-8, not JSON, a duplicate key, a NUL character; `line` and `field` say where", body = ErrorBody),
        (status = 403, description = "An event outside the caller's scope (an engineer's teams' services, or a token's limit); `line` and `service` name the first. Nothing is stored", body = ErrorBody),
        (status = 413, description = "The body is larger than server.max_body_mb", body = ErrorBody),
        (status = 415, description = "A content type other than application/json or application/x-ndjson, or an encoding other than gzip", body = ErrorBody),
        (status = 422, description = "An invalid event; `line` and `field` say where. Nothing is stored", body = ErrorBody),
    )
)]
async fn post_events(
    State(state): State<AppState>,
    Requires(p, ..): Requires<Ingest>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<IngestReply>> {
    let kind = body::kind(&headers, true)?;
    let (_room, bytes) = ingest::receive(
        &state,
        &headers,
        body,
        "; send the events in smaller batches, or use `nagare import FILE.ndjson` for bulk loads",
    )
    .await?;
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let raw = ingest::raw_delivery("api", request_id, &headers, &bytes);
    let reply = ingest::body(&state, &p.write_scope(), &raw, kind == body::Kind::Ndjson).await?;
    Ok(Json(reply))
}
