//! `POST /api/v1/events`: canonical events as a JSON array or NDJSON. All or nothing.
//!
//! 1. Room in the ingest buffer for the body (`server.ingest_buffer_mb` in all; past the line,
//!    503 with `Retry-After`).
//! 2. The body: a JSON content type (else 415), gzip decoded, at most `server.max_body_mb`.
//! 3. Parsed straight from the bytes received, event by event (no tree of the whole body).
//! 4. Checked against the caller's write scope: an engineer writes only their teams' services
//!    and those services' repositories; a restricted token its limit. The first event outside
//!    it refuses the whole batch with 403, naming its line and service.
//! 5. Stored with its raw delivery by the store's writer, in a group commit with the batches
//!    that arrive meanwhile, and acknowledged once committed; the model catches up in the
//!    background (a read that needs the batch waits for it).
//!
//! A rejected body is kept as a raw delivery too (its head and digest when large).

use super::body;
use crate::auth::{principal, Principal};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{RawDelivery, StoreError};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap};
use axum::routing::post;
use axum::{Extension, Json, Router};
use nagare_core::access::{Limit, Scope};
use nagare_core::api::IngestReply;
use nagare_core::events::{parse_numbered, Event};

/// How often a scoped batch is checked again when other batches keep committing meanwhile.
const SCOPE_CHECK_TRIES: usize = 5;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events", post(post_events))
        // The handler enforces the configured limit itself, with a JSON error.
        .layer(DefaultBodyLimit::disable())
}

async fn post_events(
    State(state): State<AppState>,
    p: Option<Extension<Principal>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<IngestReply>> {
    let p = principal(p)?;
    let kind = body::kind(&headers, true)?;
    let max_mb = state.config.server.max_body_mb;
    // Room for the body in the ingest buffer: its announced size, else the largest allowed
    // (a gzip body may decode to that much).
    let kb = match headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
    {
        Some(len) if headers.get(header::CONTENT_ENCODING).is_none() => len.div_ceil(1024),
        _ => max_mb as usize * 1024,
    };
    let _room = state.ingest_kb.enter_many(kb).await?;
    let bytes = body::read(&headers, body, max_mb as usize * 1024 * 1024, || {
        ApiError::PayloadTooLarge(format!(
            "the body is larger than {max_mb} MB; send the events in smaller batches, or use `nagare import FILE.ndjson` for bulk loads"
        ))
    })
    .await?;
    let raw = RawDelivery {
        source: "api".into(),
        delivery_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        size_bytes: bytes.len() as i64,
        payload: Some(bytes.clone()),
    };
    match parse(&bytes, kind) {
        Ok((lines, events)) => store(&state, &p, lines, events, &raw).await,
        Err(e) => Err(reject(&state, &raw, e).await),
    }
}

/// Keeps a refused payload as a rejected delivery, then hands back the error to answer.
async fn reject(state: &AppState, raw: &RawDelivery, e: ApiError) -> ApiError {
    let keep = state.config.retention.rejected_payload_kb as usize * 1024;
    if let Err(store_error) = state.store.record_rejected(raw, &e.to_string(), keep).await {
        return store_error.into();
    }
    e
}

/// The events of a body with their lines, or the error naming the first bad one.
fn parse(bytes: &[u8], kind: body::Kind) -> Result<(Vec<usize>, Vec<Event>), ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ApiError::BadRequest {
        error: format!(
            "the body is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ),
        line: None,
        field: None,
    })?;
    let numbered = parse_numbered(text, kind == body::Kind::Ndjson).map_err(|e| {
        let (error, line, field) = (e.error, Some(e.line), e.field);
        if e.malformed {
            ApiError::BadRequest { error, line, field }
        } else {
            ApiError::Unprocessable { error, line, field }
        }
    })?;
    if numbered.is_empty() {
        return Err(ApiError::BadRequest {
            error:
                "the body holds no events; send a JSON array or NDJSON lines, each with a `kind`"
                    .into(),
            line: None,
            field: None,
        });
    }
    Ok(numbered.into_iter().unzip())
}

async fn store(
    state: &AppState,
    p: &Principal,
    lines: Vec<usize>,
    events: Vec<Event>,
    raw: &RawDelivery,
) -> ApiResult<Json<IngestReply>> {
    let (counts, rev) = match p.write_scope() {
        Scope::All => state.writer.ingest(events, raw.clone(), None).await?,
        Scope::Only(limit) => store_within(state, &limit, &lines, events, raw).await?,
    };
    state.sync_later(rev);
    Ok(Json(IngestReply {
        accepted: counts.accepted,
        updated: counts.updated,
    }))
}

/// Stores a batch that must stay within `limit`: checked against the model at some revision,
/// then stored only if no other batch committed since (else checked again).
async fn store_within(
    state: &AppState,
    limit: &Limit,
    lines: &[usize],
    events: Vec<Event>,
    raw: &RawDelivery,
) -> ApiResult<(crate::store::IngestCounts, i64)> {
    for _ in 0..SCOPE_CHECK_TRIES {
        state.sync().await?;
        let checked = {
            let model = state.model.read().await;
            if let Some(out) = model.org.first_outside(&events, limit) {
                let line = lines.get(out.index).copied().unwrap_or(out.index + 1);
                let e = ApiError::OutOfScope {
                    error: format!(
                        "line {line}: {}; you may write only events of {} (and their repositories). Nothing of this batch was stored",
                        out.reason,
                        describe(limit)
                    ),
                    line,
                    service: out.service,
                };
                return Err(reject(state, raw, e).await);
            }
            model.rev
        };
        match state
            .writer
            .ingest(events.clone(), raw.clone(), Some(checked))
            .await
        {
            Err(StoreError::Moved { .. }) => continue,
            other => return Ok(other?),
        }
    }
    Err(ApiError::Busy {
        error: "other batches kept changing the data this batch was checked against; send it again"
            .into(),
        retry_after: 1,
    })
}

fn describe(limit: &Limit) -> String {
    match (limit.teams.is_empty(), limit.services.is_empty()) {
        (false, true) => format!("the services of your teams ({})", limit.teams.join(", ")),
        _ => limit.describe(),
    }
}
