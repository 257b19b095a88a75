//! The DORA metrics of a window, computed from the facts `derive.rs` precomputed.
//!
//! Per tier, the successful deployments are kept in a [`TierIndex`]: sorted by finish time,
//! with their lead times (per basis) laid out contiguously in the same order. A query then
//! binary-searches its window, gathers (a contiguous copy when nothing is filtered) and
//! aggregates; quantiles use selection, not sorting. Definitions are in product.md
//! ("Metric definitions"); each function below says which part it implements.

use crate::api::{
    Attribution, ChangeFailureRate, ChangeLeadTime, DataQuality, DeploymentFrequency, DoraQuery,
    DoraReport, Filters, Interval, LeadTimeBasis, RecoveryTime, ReworkRate, Window,
};
use crate::bands::{self, FrequencyInputs};
use crate::events::{DeploymentStatus, EnvironmentTier};
use crate::graph::{FxMap, FxSet};
use crate::model::{dep_order, merge_sorted, tier_index, Org};
use crate::stats;
use crate::time::{DAY_MS, WEEK_MS};
use chrono::{Datelike, NaiveDate, NaiveTime, TimeZone};

const BASELINE: u8 = 1;
const FAILED: u8 = 2;
const UNPLANNED: u8 = 4;
const INCOMPLETE: u8 = 8;

/// One successful deployment, as the query needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    service: u32,
    flags: u8,
    negative: [u32; 3],
    fallback: u32,
    /// Recovery time in ms of a failed deployment; `None` when not failed or not recovered.
    recovery_ms: Option<i64>,
}

/// The successful deployments of one tier, sorted by (finish, id, source).
#[derive(Debug, Clone)]
pub(crate) struct TierIndex {
    /// Deployment slots, in row order.
    slots: Vec<u32>,
    /// Slot → its row, for the slots in `slots`.
    row_of: FxMap<u32, u32>,
    fin: Vec<i64>,
    rows: Vec<Row>,
    /// Non-negative lead times in ms per basis, row after row.
    lead: [Vec<i64>; 3],
    /// `lead[b][off[b][i]..off[b][i + 1]]` are row `i`'s.
    off: [Vec<u32>; 3],
    /// Service → its row indexes, ascending.
    by_service: FxMap<u32, Vec<u32>>,
    /// Failed deployment attempts (status `failure`): (finish, service), sorted.
    attempts: Vec<(i64, u32)>,
    /// Slot → the entry of `attempts` it contributed.
    attempt_of: FxMap<u32, (i64, u32)>,
}

impl Default for TierIndex {
    fn default() -> Self {
        TierIndex {
            slots: Vec::new(),
            row_of: FxMap::default(),
            fin: Vec::new(),
            rows: Vec::new(),
            lead: Default::default(),
            off: [vec![0], vec![0], vec![0]],
            by_service: FxMap::default(),
            attempts: Vec::new(),
            attempt_of: FxMap::default(),
        }
    }
}

/// Above this many changed slots, the failed attempts are rebuilt rather than edited.
const ATTEMPT_EDITS: usize = 256;

impl TierIndex {
    /// Brings the index up to date after the deployments in `changed` (slots of any tier)
    /// changed: keeps the rows before the first one that differs and rebuilds the rest. In
    /// time-ordered ingestion that is only the tail, so one more deployment costs its own
    /// rows, not the whole tier. `attempts`: some deployment of the tier changed its event, so
    /// the failed attempts of the changed slots are edited (or, for many, rebuilt).
    pub(crate) fn update(
        &mut self,
        org: &Org,
        tier: EnvironmentTier,
        changed: &FxSet<u32>,
        attempts: bool,
    ) {
        let deps = &org.deps;
        let order = |a: &u32, b: &u32| dep_order(&deps[*a as usize], &deps[*b as usize]);
        let mut added: Vec<u32> = changed
            .iter()
            .copied()
            .filter(|&s| {
                let d = &deps[s as usize];
                d.chain.is_some() && d.tier == tier
            })
            .collect();
        added.sort_by(order);
        // The first row that differs: the earliest row of a changed slot, or where a changed
        // slot now goes among the rows before it (all unchanged, so still in order).
        let mut p = changed
            .iter()
            .filter_map(|s| self.row_of.get(s))
            .map(|&r| r as usize)
            .min()
            .unwrap_or(self.slots.len());
        if let Some(first) = added.first() {
            p = p.min(self.slots[..p].partition_point(|s| order(s, first).is_lt()));
        }
        let old_tail = self.slots.split_off(p);
        for s in &old_tail {
            self.row_of.remove(s);
        }
        let kept: Vec<u32> = old_tail
            .into_iter()
            .filter(|s| !changed.contains(s))
            .collect();
        let tail = merge_sorted(kept, added, order);
        // Keep rows before `p`.
        self.fin.truncate(p);
        self.rows.truncate(p);
        for b in 0..3 {
            let end = self.off[b].get(p).copied().unwrap_or(0) as usize;
            self.lead[b].truncate(end);
            self.off[b].truncate(p + 1);
        }
        self.by_service.retain(|_, rows| {
            let keep = rows.partition_point(|&r| (r as usize) < p);
            rows.truncate(keep);
            !rows.is_empty()
        });
        for (k, &s) in tail.iter().enumerate() {
            let i = p + k;
            let dep = &deps[s as usize];
            let d = &dep.d;
            let mut flags = 0;
            if dep.is_baseline() {
                flags |= BASELINE;
            }
            if d.failed {
                flags |= FAILED;
            }
            if d.unplanned {
                flags |= UNPLANNED;
            }
            if d.incomplete {
                flags |= INCOMPLETE;
            }
            self.fin.push(dep.chain_fin);
            self.rows.push(Row {
                service: dep.service,
                flags,
                negative: d.negative,
                fallback: (d.changes.len() - d.n_graph.min(d.changes.len())) as u32,
                recovery_ms: if d.failed { d.recovery_ms } else { None },
            });
            for b in 0..3 {
                self.lead[b].extend_from_slice(&d.lead[b]);
                self.off[b].push(self.lead[b].len() as u32);
            }
            self.by_service
                .entry(dep.service)
                .or_default()
                .push(i as u32);
            self.row_of.insert(s, i as u32);
            self.slots.push(s);
        }
        if attempts {
            self.update_attempts(org, tier, changed);
        }
    }

    /// The failed attempts after the slots in `changed` changed.
    fn update_attempts(&mut self, org: &Org, tier: EnvironmentTier, changed: &FxSet<u32>) {
        let attempt = |s: u32| {
            let d = &org.deps[s as usize];
            (d.tier == tier && d.ev.status == DeploymentStatus::Failure)
                .then_some(d.ev.finished_at)
                .flatten()
                .map(|f| (f.0, d.service))
        };
        if changed.len() > ATTEMPT_EDITS {
            self.attempt_of = (0..org.deps.len() as u32)
                .filter_map(|s| attempt(s).map(|a| (s, a)))
                .collect();
            self.attempts = self.attempt_of.values().copied().collect();
            self.attempts.sort_unstable();
            return;
        }
        for &s in changed {
            if let Some(old) = self.attempt_of.remove(&s) {
                if let Ok(at) = self.attempts.binary_search(&old) {
                    self.attempts.remove(at);
                }
            }
            if let Some(new) = attempt(s) {
                let at = self.attempts.partition_point(|a| *a < new);
                self.attempts.insert(at, new);
                self.attempt_of.insert(s, new);
            }
        }
    }
}

/// Incidents attributed to no deployment: (started, service), sorted.
#[derive(Debug, Clone, Default)]
pub(crate) struct IncidentIndex {
    unattributed: Vec<(i64, u32)>,
}

impl IncidentIndex {
    pub(crate) fn build(org: &Org) -> IncidentIndex {
        let mut unattributed: Vec<(i64, u32)> = org
            .incs
            .iter()
            .filter(|i| i.attribution == Attribution::None)
            .map(|i| (i.ev.started_at.0, i.service))
            .collect();
        unattributed.sort_unstable();
        IncidentIndex { unattributed }
    }
}

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
