//! Webhook sources: one generic route, `POST /hooks/{source}`, for every system that pushes
//! events to Nagare. A [`Source`] says how its deliveries are verified and mapped to canonical
//! events; the route does the rest, the same for all:
//!
//! 1. **Verify** the delivery against the raw body bytes, before anything is parsed. A bad or
//!    missing signature gets 401 and is logged (source address, source, delivery id), never
//!    stored.
//! 2. **Deduplicate** by the source's delivery id: a redelivery is answered 200 with
//!    `duplicate: true` and changes nothing. Merged deliveries (GitHub's) are checked by the
//!    store's writer inside their transaction, so two copies arriving at once store one.
//! 3. **Map** the payload to canonical events, and **ingest** them atomically through the same
//!    path as `POST /api/v1/events` (`crate::ingest`), raw delivery and verdict included; a
//!    payload the source does not use is kept with the verdict `ignored` (202).
//! 4. **Answer only after the store commits.**
//!
//! The route is anonymous to the session layer (it is in `auth::PUBLIC_API_PATHS`): the
//! signature is its authentication. A new source is a file here and one line in
//! [`Registry::from_config`].

pub(crate) mod admin;
pub mod backfill;
mod canonical;
pub mod git;
pub mod github;
pub mod github_api;
pub mod replay;
pub(crate) mod tasks;

use crate::auth::ClientAddr;
use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use crate::ingest;
use crate::state::AppState;
use anyhow::Context;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use nagare_core::access::Scope;
use nagare_core::api::ErrorBody;
use nagare_core::events::{Event, EventKey};
use nagare_core::github::Versioned;
use serde::Serialize;
use sha2::Sha256;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a source made of a verified delivery.
pub enum Mapped {
    /// Canonical events, each with the line (or position) of the payload it came from.
    Events(Vec<usize>, Vec<Event>),
    /// Events to merge into the stored ones of their keys (a source that sends an object's
    /// state piecemeal), and notes on what they leave out.
    Merged(Vec<Versioned>, crate::store::MergeFn, Vec<String>),
    /// The source checking that its hook is connected: answered 200, kept raw.
    Ping(String),
    /// Nothing this source turns into events (an event type it does not use): kept raw with
    /// this reason.
    Ignored(String),
    /// Needs a mapping rule it lacks: kept raw with the rule to add (202).
    Unmapped(String),
}

/// A system that pushes deliveries to `POST /hooks/{name}`.
pub trait Source: Send + Sync {
    /// The path segment and the `source` of its raw deliveries.
    fn name(&self) -> &'static str;
    /// Checks the delivery's signature or token over the raw body; the reason when refused.
    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), String>;
    /// The id the source gives the delivery, for deduplication.
    fn delivery_id(&self, headers: &HeaderMap) -> Option<String>;
    /// The header in which the source names a delivery's event type; its value is kept with
    /// the raw delivery, so that a replay maps it again as it was first mapped.
    fn event_header(&self) -> Option<&'static str> {
        None
    }
    /// The canonical events of a verified payload; a 4xx error names what is wrong with it.
    fn map(&self, headers: &HeaderMap, body: &[u8]) -> ApiResult<Mapped>;
    /// Whether its mapping has rules, so that a replay after a rule change rebuilds its
    /// events (then it answers [`Source::replay_keys`]).
    fn replayable(&self) -> bool {
        false
    }
    /// The keys of the events a delivery may touch whatever the rules say.
    fn replay_keys(&self, _headers: &HeaderMap, _body: &[u8]) -> Vec<EventKey> {
        Vec::new()
    }
    /// What a kept `unmapped` payload lacks: the key no rule maps (a repository) and the
    /// configuration that would map it.
    fn unmapped_hint(&self, _body: &[u8]) -> Option<(String, String)> {
        None
    }
}

/// The configured sources, by name.
#[derive(Clone, Default)]
pub struct Registry {
    sources: BTreeMap<&'static str, Arc<dyn Source>>,
}

impl Registry {
    /// Every source with its configuration present (a source without secrets is off).
    pub fn from_config(config: &Config) -> anyhow::Result<Registry> {
        let mut r = Registry::default();
        if let Some(s) = canonical::Canonical::from_config(&config.sources.canonical)? {
            r.add(Arc::new(s));
        }
        if let Some(s) = github::Github::from_config(&config.sources.github)? {
            r.add(Arc::new(s));
        }
        Ok(r)
    }

    pub fn add(&mut self, source: Arc<dyn Source>) {
        self.sources.insert(source.name(), source);
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Source>> {
        self.sources.get(name)
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.sources.keys().copied().collect()
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hooks/{source}", post(deliver))
        // The handler enforces the configured limit itself, with a JSON error.
        .layer(DefaultBodyLimit::disable())
        .merge(admin::router())
}

/// The reply to a delivery.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HookReply {
    /// Events new to Nagare, and events that replaced an earlier version.
    pub accepted: u64,
    pub updated: u64,
    /// This delivery id was already received: nothing changed.
    pub duplicate: bool,
    /// Why nothing of a verified delivery became events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
    /// The mapping rule a verified delivery lacks (kept raw; replay it once the rule exists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unmapped: Option<String>,
    /// What the stored events leave out (a push's first parent, unknown until a git sync).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl HookReply {
    fn empty() -> HookReply {
        HookReply {
            accepted: 0,
            updated: 0,
            duplicate: false,
            ignored: None,
            unmapped: None,
            notes: Vec::new(),
        }
    }
}

#[utoipa::path(
    post,
    path = "/hooks/{source}",
    tag = "ingest",
    summary = "A webhook delivery from a configured source",
    description = "`canonical`: canonical events signed with X-Nagare-Signature-256. `github`: GitHub's webhooks signed with X-Hub-Signature-256 (event type in X-GitHub-Event, id in X-GitHub-Delivery), each event merged into the stored one of its key so that any delivery order ends in the same state; a repository no rule maps is kept raw as `unmapped` (202). Verified before parsing, deduplicated by delivery id, stored atomically with the raw delivery, answered after the commit. No session or token: the signature authenticates.",
    security(()),
    params(("source" = String, Path, description = "The source's name, e.g. `canonical`")),
    request_body(content = String, description = "The source's payload, as it signed it"),
    responses(
        (status = 200, description = "Stored, or a duplicate delivery (`duplicate`)", body = HookReply),
        (status = 202, description = "Verified and kept raw; nothing to map (`ignored` says why)", body = HookReply),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "A missing or bad signature: logged, never stored", body = ErrorBody),
        (status = 404, description = "No such source configured", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "Not a JSON content type, or an unsupported content encoding", body = ErrorBody),
        (status = 422, description = "An invalid event: `line` and `field` say where; kept as a rejected delivery", body = ErrorBody),
    )
)]
async fn deliver(
    State(state): State<AppState>,
    Path(name): Path<String>,
    client: ClientAddr,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<HookReply>)> {
    let Some(source) = state.sources.get(&name).cloned() else {
        let known = state.sources.names();
        return Err(ApiError::NotFound(format!(
            "no webhook source is named `{}`; configured: {}",
            nagare_core::text::printable(&name, 40),
            if known.is_empty() {
                "none (see [sources] in the configuration)".to_owned()
            } else {
                known.join(", ")
            }
        )));
    };
    let (_room, bytes) = ingest::receive(&state, &headers, body, "").await?;
    let delivery_id = source.delivery_id(&headers);
    if let Err(reason) = source.verify(&headers, &bytes) {
        tracing::warn!(
            source = source.name(),
            client = client.shown.as_deref().unwrap_or("unknown"),
            delivery = delivery_id.as_deref().map(|d| nagare_core::text::printable(d, 80)),
            reason = %reason,
            "webhook delivery refused: bad signature"
        );
        return Err(ApiError::Unauthorized(format!(
            "the delivery's signature does not verify: {reason}"
        )));
    }
    let mapped = source.map(&headers, &bytes);
    // Merged deliveries are deduplicated by the writer, inside their group's transaction (one
    // read for the group, and no race between two copies of a delivery); the others here.
    if !matches!(mapped, Ok(Mapped::Merged(..))) {
        if let Some(id) = &delivery_id {
            if state.store.delivered(source.name(), id).await? {
                state.store.count_duplicate(source.name()).await?;
                return Ok((StatusCode::OK, Json(duplicate())));
            }
        }
    }
    let mut raw = ingest::raw_delivery(source.name(), delivery_id, &headers, &bytes);
    raw.event = source.event_header().and_then(|h| header_text(&headers, h));
    match mapped {
        Ok(Mapped::Events(lines, events)) => {
            let r = ingest::events(&state, &Scope::All, lines, events, &raw).await?;
            let reply = HookReply {
                accepted: r.accepted,
                updated: r.updated,
                ..HookReply::empty()
            };
            Ok((StatusCode::OK, Json(reply)))
        }
        Ok(Mapped::Merged(events, merge, notes)) => {
            let detail = (!notes.is_empty()).then(|| notes.join("; "));
            let (counts, rev) = state
                .writer
                .ingest_merged(events, merge, raw, detail)
                .await?;
            if counts.duplicate {
                state.store.count_duplicate(source.name()).await?;
                return Ok((StatusCode::OK, Json(duplicate())));
            }
            state.sync_later(rev);
            let reply = HookReply {
                accepted: counts.accepted,
                updated: counts.updated,
                notes,
                ..HookReply::empty()
            };
            Ok((StatusCode::OK, Json(reply)))
        }
        Ok(Mapped::Ping(reason)) => keep_ignored(&state, &raw, reason, StatusCode::OK).await,
        Ok(Mapped::Ignored(reason)) => {
            keep_ignored(&state, &raw, reason, StatusCode::ACCEPTED).await
        }
        Ok(Mapped::Unmapped(reason)) => {
            state.store.record_unmapped(&raw, &reason).await?;
            let reply = HookReply {
                unmapped: Some(reason),
                ..HookReply::empty()
            };
            Ok((StatusCode::ACCEPTED, Json(reply)))
        }
        Err(e) => Err(ingest::reject(&state, &raw, e).await),
    }
}

/// Keeps a verified delivery that became no events, and answers `status` with the reason.
async fn keep_ignored(
    state: &AppState,
    raw: &crate::store::RawDelivery,
    reason: String,
    status: StatusCode,
) -> ApiResult<(StatusCode, Json<HookReply>)> {
    state.store.record_ignored(raw, &reason).await?;
    let reply = HookReply {
        ignored: Some(reason),
        ..HookReply::empty()
    };
    Ok((status, Json(reply)))
}

fn duplicate() -> HookReply {
    HookReply {
        duplicate: true,
        ..HookReply::empty()
    }
}

/// The secrets of a signed source: its list, then its file's lines (blank lines and `#`
/// comments skipped). Each must be at least 16 characters.
pub(crate) fn secrets(
    key: &str,
    inline: &[String],
    file: Option<&std::path::Path>,
) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut secrets: Vec<String> = inline.to_vec();
    if let Some(file) = file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("{key}.secrets_file: cannot read {}", file.display()))?;
        secrets.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned),
        );
    }
    if let Some(short) = secrets.iter().position(|s| s.len() < 16) {
        anyhow::bail!(
            "{key}: secret {} is shorter than 16 characters; use a long random one (e.g. `openssl rand -hex 32`)",
            short + 1
        );
    }
    Ok(secrets.into_iter().map(String::into_bytes).collect())
}

/// Checks `header: sha256=<hex>`, the HMAC-SHA256 of the raw body under one of `secrets`,
/// compared in constant time.
pub(crate) fn verify_sha256(
    header: &str,
    secrets: &[Vec<u8>],
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    let given = headers
        .get(header)
        .ok_or_else(|| format!("no `{header}` header"))?
        .to_str()
        .map_err(|_| format!("`{header}` is not text"))?;
    let hex = given
        .strip_prefix("sha256=")
        .ok_or_else(|| format!("`{header}` must be `sha256=<hex>`"))?;
    let Some(tag) = decode_hex(hex) else {
        return Err(format!("`{header}` is not 64 hex digits"));
    };
    for secret in secrets {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret) else {
            continue;
        };
        mac.update(body);
        // Constant time.
        if mac.verify_slice(&tag).is_ok() {
            return Ok(());
        }
    }
    Err("it matches none of the configured secrets".into())
}

/// A header's value as trimmed, non-empty text.
pub(crate) fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    (0..32)
        .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}
