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
use crate::store::{KeptDelivery, MergeFn, RebuildCounts, Store, Verdict};
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

fn remap(source: &dyn Source, d: KeptDelivery) -> Result<Remapped, ApiError> {
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
    let keys = source.replay_keys(&headers, &d.payload);
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

fn not_replayable(name: &str) -> ApiError {
    ApiError::Unprocessable {
        error: format!(
            "the `{name}` source has no mapping rules: its events are stored as sent, and a replay would change nothing"
        ),
        line: None,
        field: None,
    }
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

/// Which events a replay rebuilds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayScope {
    /// Every event a kept delivery touches.
    All,
    /// Those that deliveries received at or after this time (epoch ms) touch.
    Since(i64),
    /// Those that this kept delivery (by row id) touches.
    Delivery(i64),
}

/// Replays the kept deliveries of `source`: the events of `scope`, each from all the
/// deliveries that touch it. `progress` is told how many were mapped so far.
pub async fn replay(
    store: &Store,
    source: &dyn Source,
    scope: ReplayScope,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ReplayReport, ApiError> {
    let name = source.name();
    if !source.replayable() {
        return Err(not_replayable(name));
    }
    let mut rb = Rebuild::default();
    rb.report.partial = store.kept_counts(name).await?.1;
    match scope {
        ReplayScope::All => {}
        ReplayScope::Since(since) => {
            let mut keys = HashSet::new();
            let mut after = 0;
            loop {
                let page = store.kept_deliveries(name, after, since, PAGE).await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                for d in page {
                    keys.extend(remap(source, d)?.keys);
                }
            }
            rb.scope = Some(keys);
        }
        ReplayScope::Delivery(id) => {
            let page = store
                .kept_deliveries(name, id.saturating_sub(1), i64::MIN, 1)
                .await?;
            let Some(d) = page.into_iter().find(|d| d.id == id) else {
                return Err(ApiError::NotFound(format!(
                    "delivery {id} is not a delivery of `{name}` kept whole (a rejected payload larger than the cap keeps only its head)"
                )));
            };
            rb.scope = Some(remap(source, d)?.keys.into_iter().collect());
        }
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
    scope: ReplayScope,
    progress: &(dyn Fn(u64) + Sync),
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
    replay(store, source.as_ref(), scope, progress).await
}

impl ReplayReport {
    /// The API's summary of it.
    pub fn summary(&self) -> nagare_core::api::ReplaySummary {
        let n = |v: &str| self.verdicts.get(v).copied().unwrap_or(0);
        nagare_core::api::ReplaySummary {
            deliveries: self.deliveries,
            partial: self.partial.max(0) as u64,
            verdicts: nagare_core::api::VerdictCounts {
                accepted: n("accepted"),
                duplicate: 0,
                ignored: n("ignored"),
                unmapped: n("unmapped"),
                rejected: n("rejected"),
            },
            verdicts_changed: self.verdicts_changed,
            keys: self.keys,
            added: self.events.added,
            changed: self.events.changed,
            removed: self.events.removed,
            unchanged: self.events.unchanged,
        }
    }

    /// One line for a person (the CLI, the audit log).
    pub fn describe(&self, source: &str) -> String {
        let verdicts: Vec<String> = self
            .verdicts
            .iter()
            .map(|(v, n)| format!("{n} {v}"))
            .collect();
        format!(
            "replayed {} {source} deliveries ({}; {} verdicts changed{}): {} events rebuilt, {} new, {} changed, {} removed, {} unchanged",
            self.deliveries,
            if verdicts.is_empty() { "none kept".to_owned() } else { verdicts.join(", ") },
            self.verdicts_changed,
            if self.partial > 0 {
                format!("; {} kept only in part and not replayed", self.partial)
            } else {
                String::new()
            },
            self.keys,
            self.events.added,
            self.events.changed,
            self.events.removed,
            self.events.unchanged,
        )
    }
}

/// A replay's `since`: a duration back from `now` (`180d`, `12h`, `90m`, `2w`), a date
/// (`2026-06-01`, midnight UTC) or an RFC 3339 time; epoch milliseconds.
pub fn since_at(s: &str, now: i64) -> Result<i64, String> {
    let s = s.trim();
    let unit = |c: char| match c {
        'w' => Some(7 * 86_400_000),
        'd' => Some(86_400_000),
        'h' => Some(3_600_000),
        'm' => Some(60_000),
        _ => None,
    };
    if let Some(last) = s.chars().last() {
        if let Some(ms) = unit(last) {
            let n: i64 = s[..s.len() - 1].parse().map_err(|_| {
                format!("`{s}`: a duration is a whole number and a unit, e.g. 180d, 12h, 90m, 2w")
            })?;
            if n < 0 {
                return Err(format!(
                    "`{s}`: a duration back from now cannot be negative"
                ));
            }
            return Ok(now.saturating_sub(n.saturating_mul(ms)));
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d
            .and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_millis()));
    }
    nagare_core::Timestamp::parse(s).map(|t| t.0).map_err(|_| {
        format!("`{s}` is neither a duration (180d, 12h, 90m, 2w) nor a date (2026-06-01) or RFC 3339 time")
    })
}
