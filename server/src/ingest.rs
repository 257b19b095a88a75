//! The one ingest path: the canonical API (`POST /api/v1/events`) and the webhooks of
//! `sources/` hand a received payload here. (`nagare import` streams a file through the same
//! parser and the store's batch instead, since a file may be larger than any body.)
//!
//! 1. Parsed straight from the bytes received, event by event (no tree of the whole body), or
//!    mapped by a source.
//! 2. Checked against the caller's write scope: an engineer writes only their teams' services
//!    and those services' repositories; a restricted token its limit. The first event outside
//!    it refuses the whole batch with 403, naming its line and service.
//! 3. Stored with its raw delivery by the store's writer, in a group commit with the batches
//!    that arrive meanwhile, and acknowledged once committed; the model catches up in the
//!    background (a read that needs the batch waits for it).
//!
//! A refused payload is kept as a raw delivery too (its head and digest when large), and
//! nothing of it reaches the events.

use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Synced};
use crate::store::{RawDelivery, StoreError};
use axum::body::Body;
use axum::http::{header, HeaderMap};
use bytes::Bytes;
use nagare_core::access::{Limit, Scope};
use nagare_core::api::IngestReply;
use nagare_core::events::{parse_numbered, Event};
use tokio::sync::SemaphorePermit;

/// How often a scoped batch is checked again when other batches keep committing meanwhile.
const SCOPE_CHECK_TRIES: usize = 5;

/// A payload received within the ingest line: room for it in `server.ingest_buffer_mb` (its
/// announced size, else the largest allowed: a gzip body may decode to that much), then the
/// body itself (gzip decoded, at most `server.max_body_mb`, else 413 with `hint`). The room is
/// held until the returned permit is dropped.
pub async fn receive<'s>(
    state: &'s AppState,
    headers: &HeaderMap,
    body: Body,
    hint: &str,
) -> ApiResult<(SemaphorePermit<'s>, Bytes)> {
    let max_mb = state.config.server.max_body_mb;
    let kb = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .filter(|_| headers.get(header::CONTENT_ENCODING).is_none())
        .map_or(max_mb as usize * 1024, |len| len.div_ceil(1024));
    let room = state.ingest_kb.enter_many(kb).await?;
    let bytes = crate::http::body::read(headers, body, max_mb as usize * 1024 * 1024, || {
        ApiError::PayloadTooLarge(format!("the body is larger than {max_mb} MB{hint}"))
    })
    .await?;
    Ok((room, bytes))
}

/// The raw delivery of a received payload, kept whatever its verdict.
pub fn raw_delivery(
    source: &str,
    delivery_id: Option<String>,
    headers: &HeaderMap,
    bytes: &Bytes,
) -> RawDelivery {
    RawDelivery {
        source: source.to_owned(),
        event: None,
        delivery_id,
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        size_bytes: bytes.len() as i64,
        payload: Some(bytes.clone()),
    }
}

/// A body of canonical events (a JSON array, or NDJSON when `ndjson`), held as the raw
/// delivery's payload: parsed, checked against `scope`, stored with it; or refused whole, and
/// the refusal kept.
pub async fn body(
    state: &AppState,
    scope: &Scope,
    raw: &RawDelivery,
    ndjson: bool,
) -> ApiResult<IngestReply> {
    let bytes = raw.payload.clone().unwrap_or_default();
    match parse(&bytes, ndjson) {
        Ok((lines, evs)) => events(state, scope, lines, evs, raw).await,
        Err(e) => Err(reject(state, raw, e).await),
    }
}

/// Keeps a refused payload as a rejected delivery, then hands back the error to answer.
pub async fn reject(state: &AppState, raw: &RawDelivery, e: ApiError) -> ApiError {
    let keep = state.config.retention.rejected_payload_kb as usize * 1024;
    if let Err(store_error) = state.store.record_rejected(raw, &e.to_string(), keep).await {
        return store_error.into();
    }
    e
}

/// The events of a body with their lines, or the error naming the first bad one.
pub fn parse(bytes: &[u8], ndjson: bool) -> Result<(Vec<usize>, Vec<Event>), ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ApiError::BadRequest {
        error: format!(
            "the body is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ),
        line: None,
        field: None,
    })?;
    let numbered = parse_numbered(text, ndjson).map_err(|e| {
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

pub async fn events(
    state: &AppState,
    scope: &Scope,
    lines: Vec<usize>,
    events: Vec<Event>,
    raw: &RawDelivery,
) -> ApiResult<IngestReply> {
    if crate::slo::samples::any(&events) {
        return crate::slo::samples::store(state, scope, &lines, events, raw).await;
    }
    let (counts, rev) = match scope {
        Scope::All => state.writer.ingest(events, raw.clone(), None).await?,
        Scope::Only(limit) => store_within(state, limit, &lines, events, raw).await?,
    };
    state.sync_later(rev);
    Ok(IngestReply {
        accepted: counts.accepted,
        updated: counts.updated,
    })
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
        let checked = {
            let model = Synced::now(state).await?;
            if let Some(out) = model.catalog().first_outside(&events, limit) {
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
            model.rev()
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
