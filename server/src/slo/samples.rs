//! Pushed SLI counts: `sli_sample` events on `POST /api/v1/events` (docs/api.md). A batch holding
//! samples holds only samples; each names an SLO with a pushed SLI, a bucket on the grid of
//! `slo.step_secs`, and counts. The batch is stored whole with its raw delivery, or refused
//! whole naming the first bad line.

use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Synced};
use crate::store::{RawDelivery, SliRow};
use nagare_core::access::Scope;
use nagare_core::api::IngestReply;
use nagare_core::events::{Event, SliSample};
use nagare_core::slo::Sli;
use std::collections::HashMap;

use super::Entry;

/// How far in the future a bucket may start (the pusher's clock may be ahead of ours).
pub const FUTURE_SLACK: i64 = 5 * 60_000;

/// Whether any event of the batch is an SLI sample.
pub fn any(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e, Event::SliSample(_)))
}

/// Stores a batch of samples (all of `events` must be samples), checked against the SLOs and
/// `scope`.
pub async fn store(
    state: &AppState,
    scope: &Scope,
    lines: &[usize],
    events: Vec<Event>,
    raw: &RawDelivery,
) -> ApiResult<IngestReply> {
    let line = |i: usize| lines.get(i).copied().unwrap_or(i + 1);
    let mut samples: Vec<(usize, SliSample)> = Vec::with_capacity(events.len());
    for (i, e) in events.into_iter().enumerate() {
        match e {
            Event::SliSample(s) => samples.push((i, s)),
            other => {
                let l = line(i);
                let e = ApiError::Unprocessable {
                    error: format!(
                        "line {l}: a batch with `sli_sample` events holds only `sli_sample` events, and this is a `{}`; send the samples in a request of their own. Nothing of this batch was stored",
                        other.kind()
                    ),
                    line: Some(l),
                    field: Some("kind".into()),
                };
                return Err(crate::ingest::reject(state, raw, e).await);
            }
        }
    }
    state.slos.refresh(&state.store).await?;
    let teams = match scope {
        Scope::All => Default::default(),
        Scope::Only(_) => Synced::now(state).await?.catalog().services(),
    };
    let step = state.slos.step;
    let now = crate::store::now_millis();
    let keep_days = state.config.slo.keep_days as i64;
    let oldest = now - keep_days * 86_400_000;
    let owners: HashMap<String, Vec<String>> =
        teams.into_iter().map(|t| (t.name, t.teams)).collect();
    let bounds = Bounds {
        step,
        oldest,
        newest: now + FUTURE_SLACK,
        keep_days,
        now,
    };
    let mut entries = by_id(state).await;
    let mut refreshed = false;
    let mut rows = Vec::with_capacity(samples.len());
    for (i, s) in samples {
        let l = line(i);
        if !entries.contains_key(&s.slo) && !refreshed {
            // Made on another replica a moment ago?
            state.slos.refresh_now(&state.store).await?;
            entries = by_id(state).await;
            refreshed = true;
        }
        let checked = check(&s, l, entries.get(&s.slo), scope, &owners, &bounds);
        if let Err(e) = checked {
            return Err(crate::ingest::reject(state, raw, e).await);
        }
        rows.push(SliRow {
            slo: s.slo,
            start: s.bucket_start.millis(),
            good: s.good,
            total: s.total,
            source: s.source,
        });
    }
    let n = rows.len() as u64;
    // A bucket given twice in the batch: the later one counts, the earlier is an update.
    let mut last: std::collections::HashMap<(String, i64), usize> = Default::default();
    for (i, r) in rows.iter().enumerate() {
        last.insert((r.slo.clone(), r.start), i);
    }
    let repeats = n - last.len() as u64;
    let rows: Vec<SliRow> = rows
        .into_iter()
        .enumerate()
        .filter(|(i, r)| last.get(&(r.slo.clone(), r.start)) == Some(i))
        .map(|(_, r)| r)
        .collect();
    let detail = format!("{n} SLI samples");
    let before = state.store.put_sli(&rows, Some((raw, &detail))).await?;
    state.slos.written(rows).await;
    let updated = (before + repeats).min(n);
    Ok(IngestReply {
        accepted: n - updated,
        updated,
    })
}

/// What a sample's bucket must be within.
struct Bounds {
    step: i64,
    oldest: i64,
    newest: i64,
    keep_days: i64,
    now: i64,
}

async fn by_id(state: &AppState) -> HashMap<String, Entry> {
    state
        .slos
        .entries()
        .await
        .into_iter()
        .map(|e| (e.def.id.clone(), e))
        .collect()
}

/// One sample on line `l` checked: its SLO exists and is within what the caller may write
/// (checked first, so that nothing else of another team's SLO is told), its SLI is pushed, its
/// bucket on the grid and within what is kept.
fn check(
    s: &SliSample,
    l: usize,
    entry: Option<&Entry>,
    scope: &Scope,
    owners: &HashMap<String, Vec<String>>,
    b: &Bounds,
) -> Result<(), ApiError> {
    let refuse = |field: &str, error: String| ApiError::Unprocessable {
        error: format!("line {l}: {error}. Nothing of this batch was stored"),
        line: Some(l),
        field: Some(field.into()),
    };
    let Some(e) = entry else {
        return Err(refuse(
            "slo",
            format!(
                "there is no SLO `{}`; define it first (a file in `[slo] dir`, or POST /api/v1/slos) with a pushed SLI",
                nagare_core::text::printable(&s.slo, 80)
            ),
        ));
    };
    if let Scope::Only(limit) = scope {
        let teams = owners.get(&e.def.service).cloned().unwrap_or_default();
        if !limit.admits(&e.def.service, &teams) {
            return Err(ApiError::OutOfScope {
                error: format!(
                    "line {l}: SLO `{}` belongs to service `{}`, outside what you may write ({}). Nothing of this batch was stored",
                    s.slo,
                    e.def.service,
                    limit.describe()
                ),
                line: l,
                service: Some(e.def.service.clone()),
            });
        }
    }
    if !matches!(e.def.sli, Sli::Pushed) {
        return Err(refuse(
            "slo",
            format!(
                "SLO `{}` reads its SLI from Prometheus; samples are taken only for SLOs whose SLI is pushed",
                s.slo
            ),
        ));
    }
    let start = s.bucket_start.millis();
    if start.rem_euclid(b.step) != 0 {
        return Err(refuse(
            "bucket_start",
            format!(
                "`bucket_start` ({}) is not on the {} s grid of SLI buckets (`slo.step_secs`); give the start of a bucket, such as {}",
                s.bucket_start,
                b.step / 1000,
                nagare_core::Timestamp(start - start.rem_euclid(b.step))
            ),
        ));
    }
    if start > b.newest || start < b.oldest {
        return Err(refuse(
            "bucket_start",
            format!(
                "`bucket_start` ({}) is {}; push buckets that have begun (a few minutes of clock difference are allowed), from the last {} days (`slo.keep_days`)",
                s.bucket_start,
                if start > b.now { "in the future" } else { "older than what is kept" },
                b.keep_days
            ),
        ));
    }
    Ok(())
}
