//! `POST /api/v1/events`: canonical events as a JSON array or NDJSON. All or nothing.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::RawDelivery;
use axum::body::{to_bytes, Body};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap};
use axum::routing::post;
use axum::{Json, Router};
use nagare_core::api::IngestReply;
use nagare_core::events::{parse_batch, BatchError, Event};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events", post(post_events))
        // The handler enforces the configured limit itself, with a JSON error.
        .layer(DefaultBodyLimit::disable())
}

async fn post_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<IngestReply>> {
    let limit = state.config.server.max_body_mb as usize * 1024 * 1024;
    let too_large = || {
        ApiError::PayloadTooLarge(format!(
            "the body is larger than {} MB; send the events in smaller batches, or use `nagare import FILE.ndjson` for bulk loads",
            state.config.server.max_body_mb
        ))
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
    {
        if len > limit {
            return Err(too_large());
        }
    }
    let bytes = to_bytes(body, limit).await.map_err(|_| too_large())?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let ndjson = content_type
        .as_deref()
        .is_some_and(|c| c.contains("ndjson") || c.contains("jsonlines"));
    let raw = RawDelivery {
        source: "api".into(),
        delivery_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        content_type: content_type.clone(),
        size_bytes: bytes.len() as i64,
        body: Some(String::from_utf8_lossy(&bytes).into_owned()),
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let err = ApiError::BadRequest {
                error: format!(
                    "the body is not UTF-8 (invalid byte at offset {})",
                    e.valid_up_to()
                ),
                line: None,
                field: None,
            };
            state.store.record_rejected(&raw, &err.to_string()).await?;
            return Err(err);
        }
    };
    let events = match parse_body(text, ndjson) {
        Ok(events) => events,
        Err(e) => {
            state.store.record_rejected(&raw, &e.to_string()).await?;
            let (error, line, field) = (e.error, Some(e.line), e.field);
            return Err(if e.malformed {
                ApiError::BadRequest { error, line, field }
            } else {
                ApiError::Unprocessable { error, line, field }
            });
        }
    };
    if events.is_empty() {
        let err = ApiError::BadRequest {
            error:
                "the body holds no events; send a JSON array or NDJSON lines, each with a `kind`"
                    .into(),
            line: None,
            field: None,
        };
        state.store.record_rejected(&raw, &err.to_string()).await?;
        return Err(err);
    }
    let (counts, _rev) = state.store.ingest(events, &raw).await?;
    // Derive before replying, so that a read right after the reply sees the new data.
    state.sync().await?;
    Ok(Json(IngestReply {
        accepted: counts.accepted,
        updated: counts.updated,
    }))
}

/// One JSON object is accepted as a batch of one; otherwise an array or NDJSON.
fn parse_body(text: &str, ndjson: bool) -> Result<Vec<Event>, BatchError> {
    if !ndjson && text.trim_start().starts_with('{') {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
            return Event::from_value(value)
                .map(|e| vec![e])
                .map_err(|e| BatchError {
                    error: format!("line 1: {}", e.message),
                    line: 1,
                    field: e.field,
                    malformed: false,
                });
        }
    }
    parse_batch(text, ndjson)
}
