//! `nagare replay`: derives a source's events again from its kept raw deliveries, under the
//! mapping rules configured now (docs/sources/github.md, "Replay").
//!
//! Replaying equals ingesting the same deliveries fresh under the current rules:
//!
//! - Every kept delivery of the source is mapped again, and the events of each key merged
//!   (the merge is order-independent, so the order they were received in does not matter).
//! - The keys rebuilt are those the deliveries may touch *whatever the rules say*
//!   ([`Source::replay_keys`]): a deployment whose repository a rule no longer maps, or an issue
//!   that no longer carries an incident label, is removed, not left behind. With `since`, only
//!   the keys that deliveries received since then touch are rebuilt (from all their
//!   deliveries); other events stay as they are.
//! - Events that no kept delivery touches (their deliveries pruned by retention) stay.
//! - Each delivery gets its verdict under the current rules (an `unmapped` one becomes
//!   `accepted` once its rule exists).
//!
//! The deliveries are read and mapped outside any transaction; the writes are one batch. That
//! batch first takes the store's revision, which every writer takes too, so deliveries that
//! arrived meanwhile are read inside it and none is missed. A replay that removed events marks
//! the revision: every model (and snapshot) older than it is derived again from scratch.

use super::{Mapped, Source};
use crate::error::ApiError;
use crate::store::{KeptDelivery, MergeFn, RebuildCounts, Store, StoreError, Verdict};
use axum::http::{header, HeaderMap, HeaderValue};
use nagare_core::events::EventKey;
use nagare_core::github::Versioned;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Deliveries read per page.
const PAGE: i64 = 500;

/// What a replay did.
#[derive(Debug, Clone, Default)]
pub struct ReplayReport {
    /// Deliveries mapped again.
    pub deliveries: u64,
    /// Deliveries kept only in part (a rejected payload's head): not mapped again.
    pub partial: i64,
    /// The deliveries' verdicts under the current rules.
    pub verdicts: BTreeMap<&'static str, u64>,
    /// Deliveries whose verdict or detail changed.
    pub verdicts_changed: u64,
    /// Keys rebuilt, and what became of their events.
    pub keys: u64,
    pub events: RebuildCounts,
    /// The revision the replay was written at.
    pub rev: i64,
}

/// A delivery mapped again.
struct Remapped {
    id: i64,
    verdict: Verdict,
    detail: Option<String>,
    changed: bool,
    keys: Vec<EventKey>,
    events: Vec<Versioned>,
    merge: Option<MergeFn>,
}

fn remap(source: &dyn Source, d: KeptDelivery) -> Result<Remapped, StoreError> {
    let mut headers = HeaderMap::new();
    if let Some(ct) = d.content_type.as_deref() {
        if let Ok(v) = HeaderValue::from_str(ct) {
            headers.insert(header::CONTENT_TYPE, v);
        }
    }
    if let (Some(name), Some(event)) = (source.event_header(), d.event.as_deref()) {
        if let Ok(v) = HeaderValue::from_str(event) {
            headers.insert(name, v);
        }
    }
    let keys = source
        .replay_keys(&headers, &d.payload)
        .ok_or_else(|| not_replayable(source.name()))?;
    let (verdict, detail, events, merge) = match source.map(&headers, &d.payload) {
        Ok(Mapped::Merged(events, merge, notes)) => {
            let detail = (!notes.is_empty()).then(|| notes.join("; "));
            (Verdict::Accepted, detail, events, Some(merge))
        }
        Ok(Mapped::Events(..)) => return Err(not_replayable(source.name())),
        Ok(Mapped::Ping(r) | Mapped::Ignored(r)) => (Verdict::Ignored, Some(r), Vec::new(), None),
        Ok(Mapped::Unmapped(r)) => (Verdict::Unmapped, Some(r), Vec::new(), None),
        Err(e) => (Verdict::Rejected, Some(e.to_string()), Vec::new(), None),
    };
    let changed = verdict.as_str() != d.verdict || detail != d.detail;
    Ok(Remapped {
        id: d.id,
        verdict,
        detail,
        changed,
        keys,
        events,
        merge,
    })
}

fn not_replayable(name: &str) -> StoreError {
    StoreError::Config(format!(
        "the `{name}` source has no mapping rules: its events are stored as sent, and a replay would change nothing"
    ))
}

/// The events being rebuilt, and the verdicts to set.
#[derive(Default)]
struct Rebuild {
    /// `None` while every key touched is rebuilt (no `since`).
    scope: Option<HashSet<EventKey>>,
    touched: HashSet<EventKey>,
    states: HashMap<EventKey, Versioned>,
    verdicts: Vec<(i64, Verdict, Option<String>, Vec<EventKey>)>,
    report: ReplayReport,
}

impl Rebuild {
    fn in_scope(&self, key: &EventKey) -> bool {
        self.scope.as_ref().is_none_or(|s| s.contains(key))
    }

    fn add(&mut self, r: Remapped) {
        self.report.deliveries += 1;
        *self.report.verdicts.entry(r.verdict.as_str()).or_default() += 1;
        if let Some(merge) = r.merge {
            for v in r.events {
                let key = v.event.key();
                if !self.in_scope(&key) {
                    continue;
                }
                let merged = match self.states.remove(&key) {
                    Some(old) => merge(old, v),
                    None => v,
                };
                self.states.insert(key, merged);
            }
        }
        if self.scope.is_none() {
            self.touched.extend(r.keys.iter().cloned());
        }
        if r.changed {
            self.verdicts.push((r.id, r.verdict, r.detail, r.keys));
        }
    }
}

/// Replays the kept deliveries of `source` (only the keys touched by those received at or
/// after `since`, epoch ms, when given). `progress` is told how many were mapped so far.
pub async fn replay(
    store: &Store,
    source: &dyn Source,
    since: Option<i64>,
    progress: &dyn Fn(u64),
) -> Result<ReplayReport, StoreError> {
    let name = source.name();
    let mut rb = Rebuild::default();
    rb.report.partial = store.kept_counts(name).await?.1;
    if let Some(since) = since {
        let mut scope = HashSet::new();
        let mut after = 0;
        loop {
            let page = store.kept_deliveries(name, after, since, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for d in page {
                scope.extend(remap(source, d)?.keys);
            }
        }
        rb.scope = Some(scope);
    }
    let mut after = 0;
    loop {
        let page = store.kept_deliveries(name, after, i64::MIN, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for d in page {
            rb.add(remap(source, d)?);
        }
        progress(rb.report.deliveries);
    }
    let mut batch = store.begin().await?;
    // Taken first: a writer that has not committed yet waits for this batch, and every one
    // that has is seen by the reads below.
    let rev = batch.rev().await?;
    loop {
        let page = batch.kept_deliveries(name, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for d in page {
            rb.add(remap(source, d)?);
        }
    }
    let scope = match rb.scope.take() {
        Some(scope) => scope,
        None => std::mem::take(&mut rb.touched),
    };
    let mut keys: Vec<EventKey> = scope.iter().cloned().collect();
    keys.sort_unstable();
    rb.report.keys = keys.len() as u64;
    rb.report.events = batch.rebuild(&keys, &rb.states).await?;
    // A delivery gets its new verdict when every event it touches was rebuilt with it.
    let verdicts: Vec<(i64, Verdict, Option<String>)> = rb
        .verdicts
        .into_iter()
        .filter(|(_, _, _, k)| k.iter().all(|k| scope.contains(k)))
        .map(|(id, v, d, _)| (id, v, d))
        .collect();
    rb.report.verdicts_changed = verdicts.len() as u64;
    batch.set_verdicts(&verdicts).await?;
    batch.commit().await?;
    rb.report.rev = rev;
    Ok(rb.report)
}

/// A replay of a configured source, by name, with a clear error when it cannot be.
pub async fn replay_named(
    store: &Store,
    sources: &super::Registry,
    name: &str,
    since: Option<i64>,
    progress: &dyn Fn(u64),
) -> Result<ReplayReport, ApiError> {
    let Some(source) = sources.get(name) else {
        let known = sources.names();
        return Err(ApiError::NotFound(format!(
            "no source named `{}` is configured (configured: {}); a replay maps deliveries with the source's rules, so its [sources.{}] section must be set",
            nagare_core::text::printable(name, 40),
            if known.is_empty() { "none".to_owned() } else { known.join(", ") },
            nagare_core::text::printable(name, 40),
        )));
    };
    replay(store, source.as_ref(), since, progress)
        .await
        .map_err(ApiError::from)
}
