//! The Prometheus sync (docs/slo.md): for each SLO whose SLI is PromQL, `query_range` of its good
//! (or bad) and total events per bucket, stored as the SLO's counts.
//!
//! - A bucket `[s, s + step)` is read as the query evaluated at `s + step` with `{{window}}` set
//!   to the step: `increase(x[60s])` at `s + 60 s` is the counter's increase over the bucket (as
//!   Prometheus computes it: with samples at the bucket's edges, its end minus its start). A
//!   query of `rate(…)` (and no `increase(…)`) is per second, so it is multiplied by the step. A
//!   bucket is read once it has ended and one more step has passed, and the last [`REREAD`]
//!   buckets are read again at each sync (samples that arrive late).
//! - The first sync reads the SLO's whole window back (and the 7 days the forecast reads). Each
//!   sync stores its buckets and how far it read in one transaction, so that after a crash or
//!   downtime the next resumes where the last one ended: no gap, and no bucket counted twice
//!   (writing a bucket again replaces it).
//! - When the queries change, or the window grows, the SLO's counts are dropped and read again
//!   whole.

use super::prom::PromClient;
use super::runtime::Slos;
use crate::state::AppState;
use crate::store::{now_millis, SliRow, SyncRow};
use nagare_core::slo::{Sli, SloDef};
use std::collections::HashMap;

/// The queries of a bucket's events, `{{window}}` resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct SliQueries {
    /// Good events, or bad events (`bad` true).
    pub events: String,
    pub bad: bool,
    pub total: String,
}

impl SliQueries {
    /// What the counts were read with (a change means reading them again).
    pub fn key(&self) -> String {
        format!(
            "{}\n{}\n{}",
            if self.bad { "bad" } else { "good" },
            self.events,
            self.total
        )
    }
}

/// The queries of `def`'s SLI for buckets of `step_secs`; `None` for a pushed SLI.
pub fn queries(def: &SloDef, step_secs: i64) -> Option<SliQueries> {
    let w = format!("{step_secs}s");
    let fill = |q: &str| q.replace("{{window}}", &w);
    match &def.sli {
        Sli::Pushed => None,
        Sli::Ratio { good, bad, total } => {
            let (events, is_bad) = match (good, bad) {
                (Some(g), _) => (fill(g), false),
                (None, Some(b)) => (fill(b), true),
                (None, None) => return None,
            };
            Some(SliQueries {
                events,
                bad: is_bad,
                total: fill(total),
            })
        }
        Sli::Latency {
            histogram,
            threshold,
        } => {
            let (name, matchers) = split_selector(histogram);
            let count = name.strip_suffix("_bucket").unwrap_or(name);
            let with = |extra: &str| {
                let all: Vec<&str> = [matchers, extra]
                    .into_iter()
                    .filter(|m| !m.trim().is_empty())
                    .collect();
                if all.is_empty() {
                    String::new()
                } else {
                    format!("{{{}}}", all.join(","))
                }
            };
            let le = format!("le=\"{}\"", threshold.replace('"', ""));
            Some(SliQueries {
                events: format!("sum(increase({name}{}[{w}]))", with(&le)),
                bad: false,
                total: format!("sum(increase({count}_count{}[{w}]))", with("")),
            })
        }
    }
}

/// `name{a="b"}` → (`name`, `a="b"`).
fn split_selector(s: &str) -> (&str, &str) {
    let s = s.trim();
    match s.split_once('{') {
        Some((name, rest)) => (name.trim(), rest.trim().trim_end_matches('}').trim()),
        None => (s, ""),
    }
}

/// How many events one value of `query` stands for over a bucket of `step_secs`.
pub fn per_bucket(query: &str, step_secs: i64) -> f64 {
    if !query.contains("increase(") && query.contains("rate(") {
        step_secs as f64
    } else {
        1.0
    }
}

/// The buckets of one read: `[from, to)` on the grid, from the two queries' points (each at a
/// bucket's end).
pub fn buckets(
    slo: &str,
    q: &SliQueries,
    events: &[(i64, f64)],
    total: &[(i64, f64)],
    step: i64,
) -> Vec<SliRow> {
    let secs = step / 1000;
    let ev: HashMap<i64, f64> = events
        .iter()
        .map(|(t, v)| (*t, v * per_bucket(&q.events, secs)))
        .collect();
    total
        .iter()
        .map(|(t, v)| {
            let total = (v * per_bucket(&q.total, secs)).max(0.0);
            // No series for the events: none of them in the bucket.
            let e = ev.get(t).copied().unwrap_or(0.0).clamp(0.0, total);
            SliRow {
                slo: slo.to_owned(),
                start: t - step,
                good: if q.bad { total - e } else { e },
                total,
                source: "prometheus".into(),
            }
        })
        .collect()
}

/// One sync pass over every SLO with PromQL; a sentence of what it did.
pub async fn pass(
    state: &AppState,
    client: &PromClient,
    max_points: i64,
) -> anyhow::Result<String> {
    let slos = &state.slos;
    slos.refresh_now(&state.store).await?;
    let syncs: HashMap<String, SyncRow> = state
        .store
        .slo_syncs()
        .await?
        .into_iter()
        .map(|s| (s.slo.clone(), s))
        .collect();
    let (mut read, mut failed, mut buckets_read) = (0, 0, 0usize);
    for e in slos.entries().await {
        let Some(q) = queries(&e.def, slos.step / 1000) else {
            continue;
        };
        match sync_one(state, client, &e.def, &q, syncs.get(&e.def.id), max_points).await {
            Ok(n) => {
                read += 1;
                buckets_read += n;
            }
            Err(err) => {
                failed += 1;
                let msg = err.to_string();
                tracing::warn!(slo = %e.def.id, error = %msg, "SLI sync failed");
                state
                    .store
                    .sync_failed(&e.def.id, &sync_key(&e.def, &q), &msg)
                    .await?;
            }
        }
    }
    Ok(format!(
        "synced {read} SLOs from Prometheus ({buckets_read} buckets); {failed} failed"
    ))
}

/// Reads one SLO up to the last complete bucket, in pieces of `max_points` buckets; how many
/// buckets it stored.
async fn sync_one(
    state: &AppState,
    client: &PromClient,
    def: &SloDef,
    q: &SliQueries,
    last: Option<&SyncRow>,
    max_points: i64,
) -> anyhow::Result<usize> {
    let step = state.slos.step;
    let now = now_millis();
    // Buckets that ended a step ago or more.
    let end = (now - step).div_euclid(step) * step;
    let key = sync_key(def, q);
    let mut from = match last {
        // The last buckets again: a remote-write backend may have received late samples.
        Some(s) if s.query == key && s.synced_to > 0 => s.synced_to - REREAD * step,
        Some(_) => {
            // New queries: what was read with the old ones is not this SLI.
            state.store.reset_sli(&def.id).await?;
            state.slos.forget(&def.id).await;
            backfill_from(def, now, step)
        }
        None => backfill_from(def, now, step),
    };
    let mut stored = 0;
    while from < end {
        let to = (from + max_points.max(1) * step).min(end);
        // Points at each bucket's end: from + step ..= to.
        let events = client.query_range(&q.events, from + step, to, step).await?;
        let total = client.query_range(&q.total, from + step, to, step).await?;
        let rows = buckets(&def.id, q, &events, &total, step);
        let sync = SyncRow {
            slo: def.id.clone(),
            query: key.clone(),
            synced_to: to,
            last_error: None,
            updated_at: now_millis(),
        };
        state.store.put_synced(&rows, &sync).await?;
        stored += rows.len();
        state.slos.written(rows).await;
        from = to;
    }
    Ok(stored)
}

/// Buckets read again at each sync (late samples of remote-write backends).
pub const REREAD: i64 = 5;

/// What an SLO's counts were read with: its queries and how far back its window reaches (a
/// longer window is read again whole, so that it is backfilled).
fn sync_key(def: &SloDef, q: &SliQueries) -> String {
    format!("{}\nhorizon={}", q.key(), Slos::horizon(def))
}

/// Where the first sync of `def` starts: its window at its longest and the week before, on the
/// grid.
fn backfill_from(def: &SloDef, now: i64, step: i64) -> i64 {
    (now - Slos::horizon(def) + step).div_euclid(step) * step
}

#[cfg(test)]
mod tests {
    use super::*;
    use nagare_core::slo::Window;

    fn def(sli: Sli) -> SloDef {
        SloDef {
            id: "a".into(),
            name: "A".into(),
            description: None,
            service: "s".into(),
            objective: 0.99,
            window: Window::Rolling { ms: 86_400_000 },
            sli,
            origin: "ui".into(),
        }
    }

    #[test]
    fn queries_resolve_the_window_and_the_latency_bucket() {
        let q = queries(
            &def(Sli::Ratio {
                good: None,
                bad: Some("sum(rate(e[{{window}}]))".into()),
                total: "sum(increase(t[{{window}}]))".into(),
            }),
            60,
        )
        .unwrap_or_else(|| panic!("a ratio"));
        assert_eq!(q.events, "sum(rate(e[60s]))");
        assert!(q.bad);
        assert_eq!(q.total, "sum(increase(t[60s]))");
        assert_eq!(per_bucket(&q.events, 60), 60.0);
        assert_eq!(per_bucket(&q.total, 60), 1.0);
        let l = queries(
            &def(Sli::Latency {
                histogram: "http_seconds_bucket{job=\"api\"}".into(),
                threshold: "0.3".into(),
            }),
            30,
        )
        .unwrap_or_else(|| panic!("a latency"));
        assert_eq!(
            l.events,
            "sum(increase(http_seconds_bucket{job=\"api\",le=\"0.3\"}[30s]))"
        );
        assert_eq!(
            l.total,
            "sum(increase(http_seconds_count{job=\"api\"}[30s]))"
        );
        let bare = queries(
            &def(Sli::Latency {
                histogram: "h_bucket".into(),
                threshold: "1".into(),
            }),
            60,
        )
        .unwrap_or_else(|| panic!("a latency"));
        assert_eq!(bare.total, "sum(increase(h_count[60s]))");
        assert!(queries(&def(Sli::Pushed), 60).is_none());
    }

    #[test]
    fn buckets_start_a_step_before_each_point() {
        let q = SliQueries {
            events: "sum(rate(bad[60s]))".into(),
            bad: true,
            total: "sum(increase(all[60s]))".into(),
        };
        // Bad at 0.5/s over 60 s = 30 of 100; no bad series at the second point.
        let rows = buckets(
            "a",
            &q,
            &[(120_000, 0.5)],
            &[(120_000, 100.0), (180_000, 50.0)],
            60_000,
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].start, rows[0].good, rows[0].total),
            (60_000, 70.0, 100.0)
        );
        assert_eq!(
            (rows[1].start, rows[1].good, rows[1].total),
            (120_000, 50.0, 50.0)
        );
    }
}
