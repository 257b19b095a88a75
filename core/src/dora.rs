//! The DORA metrics of a window, computed from the facts `derive/` precomputed.
//!
//! Per tier, the successful deployments are kept in a [`TierIndex`]: sorted by finish time,
//! with their lead times (per basis) laid out contiguously in the same order. A query then
//! binary-searches its window, gathers (a contiguous copy when nothing is filtered) and
//! aggregates; quantiles use selection, not sorting. Definitions are in product.md
//! ("Metric definitions"); each function below says which part it implements.

use crate::api::{
    ChangeFailureRate, ChangeLeadTime, DataQuality, DeploymentFrequency, DoraQuery, DoraReport,
    Filters, Interval, LeadTimeBasis, RecoveryTime, ReworkRate, Window,
};
use crate::bands::{self, FrequencyInputs};
use crate::events::EnvironmentTier;
use crate::index::{TierIndex, BASELINE, FAILED, INCOMPLETE, UNPLANNED};
use crate::model::{tier_index, Org};
use crate::stats;
use crate::time::{DAY_MS, WEEK_MS};
use chrono::{Datelike, NaiveDate, NaiveTime, TimeZone};

/// The rows a query selects, in time order.
#[derive(Clone, Copy)]
enum Sel<'a> {
    /// Every row in `lo..hi` (no service filter).
    Range(usize, usize),
    /// These rows.
    List(&'a [u32]),
}

impl<'a> Sel<'a> {
    fn len(&self) -> usize {
        match self {
            Sel::Range(lo, hi) => hi - lo,
            Sel::List(l) => l.len(),
        }
    }

    /// The part finished in `[from, to)`.
    fn within(self, ix: &TierIndex, from: i64, to: i64) -> Sel<'a> {
        match self {
            Sel::Range(lo, hi) => {
                let part = &ix.fin[lo..hi];
                Sel::Range(
                    lo + part.partition_point(|&f| f < from),
                    lo + part.partition_point(|&f| f < to),
                )
            }
            Sel::List(l) => {
                let a = l.partition_point(|&r| ix.fin[r as usize] < from);
                let b = l.partition_point(|&r| ix.fin[r as usize] < to);
                Sel::List(&l[a..b])
            }
        }
    }

    fn for_each(&self, mut f: impl FnMut(usize)) {
        match self {
            Sel::Range(lo, hi) => (*lo..*hi).for_each(f),
            Sel::List(l) => l.iter().for_each(|&r| f(r as usize)),
        }
    }
}

/// Local midnights inside a window, so that a day is a binary search away.
struct Days {
    starts: Vec<i64>,
}

impl Days {
    fn new(tz: chrono_tz::Tz, from: i64, to: i64) -> Days {
        Days {
            starts: boundaries(tz, from, to, Interval::Day),
        }
    }
    /// A day number within the window (the same for every instant of one local day).
    fn day(&self, t: i64) -> usize {
        self.starts.partition_point(|&s| s <= t)
    }
}

/// At most this many boundaries (about 550 years of days): a guard against absurd windows.
const MAX_BOUNDARIES: usize = 200_000;

/// The UTC instant of local midnight starting `date` in `tz`. When a DST change skips
/// midnight, the first local instant of the day.
fn local_midnight(tz: chrono_tz::Tz, date: NaiveDate) -> Option<i64> {
    let mut naive = date.and_time(NaiveTime::MIN);
    for _ in 0..=12 {
        if let Some(t) = tz.from_local_datetime(&naive).earliest() {
            return Some(t.timestamp_millis());
        }
        naive += chrono::TimeDelta::minutes(15);
    }
    None
}

/// Bucket boundaries strictly inside `(from, to)`: local midnights (day), Monday midnights
/// (week) or first-of-month midnights (month) in `tz`.
fn boundaries(tz: chrono_tz::Tz, from: i64, to: i64, interval: Interval) -> Vec<i64> {
    let mut out = Vec::new();
    let Some(start) = chrono::DateTime::from_timestamp_millis(from) else {
        return out;
    };
    let mut date = start.with_timezone(&tz).date_naive();
    while out.len() < MAX_BOUNDARIES {
        let next = match interval {
            Interval::All => return out,
            Interval::Day => date.succ_opt(),
            Interval::Week => date.checked_add_days(chrono::Days::new(
                7 - u64::from(date.weekday().num_days_from_monday()),
            )),
            Interval::Month => {
                let (y, m) = if date.month() == 12 {
                    (date.year() + 1, 1)
                } else {
                    (date.year(), date.month() + 1)
                };
                NaiveDate::from_ymd_opt(y, m, 1)
            }
        };
        let Some(next) = next else { break };
        date = next;
        let Some(t) = local_midnight(tz, date) else {
            continue;
        };
        if t >= to {
            break;
        }
        if t > from {
            out.push(t);
        }
    }
    out
}

fn basis_index(b: LeadTimeBasis) -> usize {
    match b {
        LeadTimeBasis::Commit => 0,
        LeadTimeBasis::PullRequest => 1,
        LeadTimeBasis::Merge => 2,
    }
}

/// What one query shares across its window and buckets.
struct Ctx<'a> {
    org: &'a Org,
    ix: &'a TierIndex,
    q: &'a DoraQuery,
    allowed: Option<&'a [bool]>,
    days: &'a Days,
}

impl Ctx<'_> {
    fn admits(&self, service: u32) -> bool {
        self.allowed
            .is_none_or(|a| a.get(service as usize).copied().unwrap_or(false))
    }

    /// The report of `[from, to)` over the selected rows (already limited to that window).
    fn window(&self, from: i64, to: i64, sel: Sel<'_>) -> DoraReport {
        let q = self.q;
        let ix = self.ix;
        let b = basis_index(q.basis);
        let n = sel.len();
        let len_ms = (to - from).max(0);

        // Deployment frequency: deployment days, and distinct days per 7- and 30-day block
        // from `from` (a trailing partial block is dropped unless it is the only one).
        let blocks = |block_ms: i64| -> (usize, i64) {
            let full = (len_ms / block_ms) as usize;
            if full == 0 {
                (1, len_ms.max(1))
            } else {
                (full, block_ms)
            }
        };
        let (n_week, week_ms) = blocks(WEEK_MS);
        let (n_month, month_ms) = blocks(30 * DAY_MS);
        let mut per_week = vec![0u32; n_week];
        let mut per_month = vec![0u32; n_month];
        let mut days = 0u64;
        let mut last_day = usize::MAX;
        let mut last_week = (usize::MAX, usize::MAX);
        let mut last_month = (usize::MAX, usize::MAX);

        let (mut failed, mut unplanned, mut baselines, mut incomplete) = (0u64, 0u64, 0u64, 0u64);
        let (mut fallback, mut negative, mut unrecovered) = (0u64, 0u64, 0u64);
        let mut recoveries: Vec<i64> = Vec::new();
        sel.for_each(|r| {
            let fin = ix.fin[r];
            let row = &ix.rows[r];
            let day = self.days.day(fin);
            if day != last_day {
                days += 1;
                last_day = day;
            }
            let w = ((fin - from) / week_ms) as usize;
            if w < n_week && last_week != (w, day) {
                per_week[w] += 1;
                last_week = (w, day);
            }
            let m = ((fin - from) / month_ms) as usize;
            if m < n_month && last_month != (m, day) {
                per_month[m] += 1;
                last_month = (m, day);
            }
            if row.flags & BASELINE != 0 {
                baselines += 1;
            }
            if row.flags & UNPLANNED != 0 {
                unplanned += 1;
            }
            if row.flags & INCOMPLETE != 0 {
                incomplete += 1;
            }
            if row.flags & FAILED != 0 {
                failed += 1;
                match row.recovery_ms {
                    Some(ms) => recoveries.push(ms),
                    None => unrecovered += 1,
                }
            }
            fallback += u64::from(row.fallback);
            negative += u64::from(row.negative[b]);
        });

        // Lead times: a contiguous copy when unfiltered.
        let mut lead: Vec<i64> = match sel {
            Sel::Range(lo, hi) => {
                ix.lead[b][ix.off[b][lo] as usize..ix.off[b][hi] as usize].to_vec()
            }
            Sel::List(l) => {
                let mut v = Vec::new();
                for &r in l {
                    let r = r as usize;
                    v.extend_from_slice(
                        &ix.lead[b][ix.off[b][r] as usize..ix.off[b][r + 1] as usize],
                    );
                }
                v
            }
        };

        let attempts = {
            let a = &ix.attempts;
            let lo = a.partition_point(|&(f, _)| f < from);
            let hi = a.partition_point(|&(f, _)| f < to);
            a[lo..hi].iter().filter(|&&(_, s)| self.admits(s)).count() as u64
        };
        let unattributed = if q.environment_tier == EnvironmentTier::Production {
            let u = &self.org.incident_index.unattributed;
            let lo = u.partition_point(|&(t, _)| t < from);
            let hi = u.partition_point(|&(t, _)| t < to);
            u[lo..hi].iter().filter(|&&(_, s)| self.admits(s)).count() as u64
        } else {
            0
        };

        let to_f64 = |v: Vec<u32>| -> Vec<f64> { v.into_iter().map(f64::from).collect() };
        let median_week = stats::median(&to_f64(per_week)).unwrap_or(0.0);
        let median_month = stats::median(&to_f64(per_month)).unwrap_or(0.0);
        let window_days = len_ms as f64 / DAY_MS as f64;
        let per_day = if window_days > 0.0 {
            n as f64 / window_days
        } else {
            0.0
        };
        let deployments = n as u64;
        let band = bands::band_for_deployment_frequency(
            q.benchmark,
            &FrequencyInputs {
                median_days_per_week: median_week,
                median_days_per_30_days: median_month,
                deployments,
                window_days,
            },
        );

        let lt = stats::summarize_millis(&mut lead);
        let rec = stats::summarize_millis(&mut recoveries);
        let cfr = (n > 0).then(|| failed as f64 / n as f64);
        let mut data_quality = DataQuality {
            negative_lead_times: negative,
            incomplete_graph_deployments: incomplete,
            fallback_changes: fallback,
            baseline_deployments: baselines,
            unattributed_incidents: unattributed,
            notes: Vec::new(),
        };
        data_quality.notes = notes(&data_quality);
        DoraReport {
            window: Window {
                from: crate::Timestamp(from),
                to: crate::Timestamp(to),
            },
            filters: Filters {
                service: q.service.clone(),
                team: q.team.clone(),
                environment_tier: q.environment_tier,
            },
            benchmark: q.benchmark,
            deployment_frequency: DeploymentFrequency {
                deployments,
                deployment_days: days,
                per_day,
                per_week: per_day * 7.0,
                median_deployment_days_per_week: median_week,
                band,
                failed_attempts: attempts,
                deploy_job_failure_rate: (attempts + deployments > 0)
                    .then(|| attempts as f64 / (attempts + deployments) as f64),
            },
            change_lead_time: ChangeLeadTime {
                basis: q.basis,
                changes: lt.map_or(0, |s| s.count),
                median: lt.map(|s| s.median),
                p75: lt.map(|s| s.p75),
                p90: lt.map(|s| s.p90),
                mean: lt.map(|s| s.mean),
                band: bands::band_for_lead_time(q.benchmark, lt.map(|s| s.median)),
            },
            change_failure_rate: ChangeFailureRate {
                deployments,
                failed,
                rate: cfr,
                band: bands::band_for_change_failure_rate(q.benchmark, cfr),
            },
            recovery_time: RecoveryTime {
                recoveries: rec.map_or(0, |s| s.count),
                median: rec.map(|s| s.median),
                p90: rec.map(|s| s.p90),
                mean: rec.map(|s| s.mean),
                band: bands::band_for_recovery_time(q.benchmark, rec.map(|s| s.median)),
                unrecovered,
            },
            rework_rate: ReworkRate {
                deployments,
                unplanned,
                rate: (n > 0).then(|| unplanned as f64 / n as f64),
            },
            data_quality,
            series: None,
        }
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// One human sentence per non-zero data-quality count.
pub(crate) fn notes(dq: &DataQuality) -> Vec<String> {
    let mut out = Vec::new();
    let n = dq.negative_lead_times;
    if n > 0 {
        out.push(format!(
            "{} a negative lead time (deployed before {} made) and {} left out.",
            plural(n, "change had", "changes had"),
            if n == 1 { "it was" } else { "they were" },
            if n == 1 { "was" } else { "were" },
        ));
    }
    let n = dq.incomplete_graph_deployments;
    if n > 0 {
        out.push(format!(
            "{} an incomplete commit graph (an unknown deployed sha or missing parent commits); {} changes may be undercounted.",
            plural(n, "deployment had", "deployments had"),
            if n == 1 { "its" } else { "their" },
        ));
    }
    let n = dq.fallback_changes;
    if n > 0 {
        out.push(format!(
            "{} taken from pushed commit lists because the commit graph was incomplete.",
            plural(n, "change was", "changes were"),
        ));
    }
    let n = dq.baseline_deployments;
    if n > 0 {
        out.push(format!(
            "{} the first of {} service and tier: {} only set a baseline, so {} changes count for no lead time.",
            plural(n, "deployment was", "deployments were"),
            if n == 1 { "its" } else { "their" },
            if n == 1 { "it" } else { "they" },
            if n == 1 { "its" } else { "their" },
        ));
    }
    let n = dq.unattributed_incidents;
    if n > 0 {
        out.push(format!(
            "{} attributed to no deployment and {} in no deployment metric.",
            plural(n, "incident was", "incidents were"),
            if n == 1 { "counts" } else { "count" },
        ));
    }
    out
}

/// The DORA report of a query: the window, and with an interval, one report per bucket.
pub(crate) fn report(org: &Org, q: &DoraQuery) -> DoraReport {
    let tz = q.time_zone.unwrap_or(org.settings.time_zone);
    let ix = &org.tiers[tier_index(q.environment_tier)];
    let (from, to) = (q.from.0, q.to.0.max(q.from.0));
    let allowed = org.service_filter(q.service.as_deref(), q.team.as_deref());
    let lo = ix.fin.partition_point(|&f| f < from);
    let hi = ix.fin.partition_point(|&f| f < to);
    let filtered: Vec<u32>;
    let sel = match &allowed {
        None => Sel::Range(lo, hi),
        Some(a) => {
            let mut admitted = a
                .iter()
                .enumerate()
                .filter(|(_, &ok)| ok)
                .map(|(i, _)| i as u32);
            match (admitted.next(), admitted.next()) {
                (None, _) => Sel::List(&[]),
                (Some(s), None) => {
                    Sel::List(ix.by_service.get(&s).map_or(&[][..], |v| v)).within(ix, from, to)
                }
                _ => {
                    filtered = (lo..hi)
                        .filter(|&r| a[ix.rows[r].service as usize])
                        .map(|r| r as u32)
                        .collect();
                    Sel::List(&filtered)
                }
            }
        }
    };
    let days = Days::new(tz, from, to);
    let ctx = Ctx {
        org,
        ix,
        q,
        allowed: allowed.as_deref(),
        days: &days,
    };
    let mut rep = ctx.window(from, to, sel);
    if q.interval != Interval::All {
        let mut edges = vec![from];
        edges.extend(boundaries(tz, from, to, q.interval));
        edges.push(to);
        rep.series = Some(
            edges
                .windows(2)
                .filter(|w| w[0] < w[1])
                .map(|w| ctx.window(w[0], w[1], sel.within(ix, w[0], w[1])))
                .collect(),
        );
    }
    rep
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;

    fn t(s: &str) -> i64 {
        Timestamp::parse(s).map(|t| t.0).unwrap_or_default()
    }

    #[test]
    fn day_week_month_boundaries() {
        let utc = chrono_tz::UTC;
        let (from, to) = (t("2024-01-01T00:00:00Z"), t("2024-01-08T00:00:00Z"));
        // Six midnights strictly inside: Jan 2..=7 → 7 day buckets.
        assert_eq!(boundaries(utc, from, to, Interval::Day).len(), 6);
        // 2024-01-01 is a Monday: the next Monday is the 8th, which is `to`: one week bucket.
        assert!(boundaries(utc, from, to, Interval::Week).is_empty());
        let tokyo = chrono_tz::Asia::Tokyo;
        // Tokyo midnights are 15:00Z the day before: Jan 1..=7 at 15:00Z, 7 inside → 8 buckets.
        assert_eq!(boundaries(tokyo, from, to, Interval::Day).len(), 7);
        // Month boundaries Feb 1 .. Dec 1 inside 2024: 11.
        let year = (t("2024-01-01T00:00:00Z"), t("2025-01-01T00:00:00Z"));
        assert_eq!(boundaries(utc, year.0, year.1, Interval::Month).len(), 11);
    }
}
