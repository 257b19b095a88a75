//! The DORA metrics of a window, computed from the facts the model precomputed. Metrics read
//! the model and never write it.
//!
//! Per tier, the successful deployments are kept in a `TierIndex`: sorted by finish time, in
//! blocks of one UTC day, each block with its counts summed and its lead and recovery times
//! sorted. A query binary-searches its window, takes the whole days inside it from their
//! blocks and reads only the rows of the two partial days at its ends (a service or team
//! filter reads its rows one by one), and hands each metric family its part: [`frequency`],
//! [`lead_time`], [`failure_rate`], [`recovery`], [`rework`], then [`bands`] (or, for DORA 2025,
//! the [`quick_check`] scores) and the data-quality notes. So an org-wide query costs about the
//! number of days in its window, not the number of deployments. Definitions are in docs/metrics.md; each function says which part
//! it implements.

use crate::api::{Benchmark, DataQuality, DoraQuery, DoraReport, Filters, Interval, Window};
use crate::events::EnvironmentTier;
use crate::model::ids::ServiceId;
use crate::model::index::{recovery_of, Counts, TierIndex};
use crate::model::{Org, ServiceSet};
use crate::stats;
use select::{boundaries, Days, Sel};

pub mod bands;
mod failure_rate;
mod frequency;
mod lead_time;
mod quality;
pub mod quick_check;
mod recovery;
mod rework;
pub(crate) mod select;
mod teams;

/// What one query shares across its window and buckets.
struct Ctx<'a> {
    org: &'a Org,
    ix: &'a TierIndex,
    q: &'a DoraQuery,
    allowed: Option<&'a ServiceSet>,
    days: &'a Days,
}

impl Ctx<'_> {
    fn admits(&self, service: ServiceId) -> bool {
        self.allowed.is_none_or(|a| a.contains(service))
    }

    /// The report of `[from, to)` over the selected rows (already limited to that window).
    ///
    /// A range of rows is read mostly from the index's day blocks: the days wholly inside it
    /// give their counts and sorted recovery times as they are, and only the rows of the
    /// partial days at its two ends are read one by one. Deployment days are found by binary
    /// search on the finish times. A list of rows (a service or team filter) is read row by
    /// row. Both give exactly the same numbers (tested).
    fn window(&self, from: i64, to: i64, sel: Sel<'_>) -> DoraReport {
        let (q, ix) = (self.q, self.ix);
        let b = lead_time::basis_index(q.basis);
        let mut freq = frequency::Frequency::new(from, to);
        let mut c = Counts::default();
        // Recovery times: sorted runs of whole blocks, and those of rows read one by one.
        let (mut runs, mut runs_sum, mut recoveries) = (Vec::new(), 0i128, Vec::new());
        let mut read_row = |r: usize, c: &mut Counts| {
            let row = &ix.rows[r];
            c.add(row);
            recoveries.extend(recovery_of(self.org, row, ix.slots[r]));
        };
        match sel {
            Sel::Range(lo, hi) => {
                freq.add_sorted(&ix.fin[lo..hi], self.days);
                match ix.whole_blocks(lo, hi) {
                    Some(w) => {
                        c = ix.counts(w.blocks.clone());
                        runs = ix.recovery.runs(w.blocks.clone()).collect();
                        runs_sum = ix.recovery.sum(w.blocks);
                        for r in (lo..w.rows.start).chain(w.rows.end..hi) {
                            read_row(r, &mut c);
                        }
                    }
                    None => (lo..hi).for_each(|r| read_row(r, &mut c)),
                }
            }
            Sel::List(l) => {
                for &r in l {
                    freq.add(ix.fin[r as usize], self.days);
                    read_row(r as usize, &mut c);
                }
            }
        }
        let recovered = stats::summarize_runs_and(runs, runs_sum, &mut recoveries);
        let deployments = sel.len() as u64;
        let attempts = frequency::failed_attempts(ix, from, to, |s| self.admits(s));
        let unattributed = if q.environment_tier == EnvironmentTier::Production {
            let u = &self.org.incident_index.unattributed;
            let lo = u.partition_point(|&(t, _)| t < from);
            let hi = u.partition_point(|&(t, _)| t < to);
            u[lo..hi].iter().filter(|&&(_, s)| self.admits(s)).count() as u64
        } else {
            0
        };
        let mut data_quality = DataQuality {
            negative_lead_times: c.negative[b],
            incomplete_graph_deployments: c.incomplete,
            fallback_changes: c.fallback,
            baseline_deployments: c.baselines,
            unattributed_incidents: unattributed,
            notes: Vec::new(),
        };
        data_quality.notes = quality::notes(&data_quality);
        let (deployment_frequency, frequency) = freq.finish(deployments, attempts, q.benchmark);
        let change_lead_time = lead_time::lead_time(self.org, ix, sel, q.basis, q.benchmark);
        let change_failure_rate = failure_rate::failure_rate(deployments, c.failed, q.benchmark);
        let recovery_time = recovery::recovery_time(recovered, c.unrecovered, q.benchmark);
        let rework_rate = rework::rework_rate(deployments, c.unplanned);
        let quick_check = (q.benchmark == Benchmark::Dora2025)
            .then(|| {
                let measured = quick_check::Measured {
                    frequency,
                    deployment_days: deployment_frequency.deployment_days,
                    lead_time: change_lead_time.median,
                    recovery_time: recovery_time.median,
                    change_failure_rate: change_failure_rate.rate,
                    rework_rate: rework_rate.rate,
                };
                quick_check::quick_check(&measured, &q.peers)
            })
            .flatten();
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
            deployment_frequency,
            change_lead_time,
            change_failure_rate,
            recovery_time,
            rework_rate,
            data_quality,
            quick_check,
            series: None,
        }
    }
}

/// The DORA report of a query: the window, and with an interval, one report per bucket.
pub(crate) fn report(org: &Org, q: &DoraQuery) -> DoraReport {
    let tz = q.time_zone.unwrap_or(org.settings.time_zone);
    let ix = &org.tiers[q.environment_tier];
    let (from, to) = (q.from.0, q.to.0.max(q.from.0));
    let allowed = org.service_filter(q.service.as_deref(), q.team.as_deref());
    let lo = ix.fin.partition_point(|&f| f < from);
    let hi = ix.fin.partition_point(|&f| f < to);
    let filtered: Vec<u32>;
    let sel = match &allowed {
        None => Sel::Range(lo, hi),
        Some(a) => {
            let mut admitted = a.members();
            match (admitted.next(), admitted.next()) {
                (None, _) => Sel::List(&[]),
                (Some(s), None) => {
                    Sel::List(ix.by_service.get(&s).map_or(&[][..], |v| v)).within(ix, from, to)
                }
                _ => {
                    filtered = (lo..hi)
                        .filter(|&r| a.contains(ix.rows[r].service))
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
        allowed: allowed.as_ref(),
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

impl Org {
    /// The DORA metrics for a query.
    pub fn dora(&self, q: &DoraQuery) -> DoraReport {
        report(self, q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Benchmark, LeadTimeBasis};
    use crate::model::Settings;
    use crate::time::{Timestamp, DAY_MS, HOUR_MS};

    /// A range of rows read from the day blocks (counts, sorted recovery times, deployment days
    /// by binary search) and the same rows read one by one as a list give the same report, for
    /// windows that start and end anywhere, in zones with and without daylight saving, on every
    /// tier and basis.
    #[test]
    fn day_blocks_and_rows_one_by_one_give_the_same_report() {
        let now = Timestamp::parse("2026-04-01T00:00:00Z").map_or(0, |t| t.0);
        let mut org = Org::new(Settings::default());
        org.apply(crate::demo::demo_org(11, Timestamp(now)));
        let (mut failed, mut recovered) = (0, 0);
        for tier in [EnvironmentTier::Production, EnvironmentTier::Staging] {
            let ix = &org.tiers[tier];
            // Whole months, days and hours, and many windows with ends anywhere in a day.
            let mut windows = vec![
                (now - 120 * DAY_MS, now),
                (
                    now - 10 * DAY_MS + 5 * HOUR_MS,
                    now - 10 * DAY_MS + 9 * HOUR_MS,
                ),
                (now - 40 * DAY_MS, now - 40 * DAY_MS),
                (now - 400 * DAY_MS, now + DAY_MS),
            ];
            for k in 0..40 {
                let from = now - (170 - 3 * k) * DAY_MS + (k * 7_919_113) % DAY_MS;
                windows.push((
                    from,
                    from + (k % 9 + 1) * 5 * DAY_MS + (k * 3_141_593) % DAY_MS,
                ));
            }
            for (from, to) in windows {
                for tz in [chrono_tz::UTC, chrono_tz::America::New_York] {
                    for basis in [
                        LeadTimeBasis::Commit,
                        LeadTimeBasis::PullRequest,
                        LeadTimeBasis::Merge,
                    ] {
                        let q = DoraQuery {
                            from: Timestamp(from),
                            to: Timestamp(to),
                            service: None,
                            team: None,
                            environment_tier: tier,
                            basis,
                            benchmark: Benchmark::default(),
                            interval: Interval::All,
                            time_zone: Some(tz),
                            peers: Default::default(),
                        };
                        let days = Days::new(tz, from, to);
                        let ctx = Ctx {
                            org: &org,
                            ix,
                            q: &q,
                            allowed: None,
                            days: &days,
                        };
                        let lo = ix.fin.partition_point(|&f| f < from);
                        let hi = ix.fin.partition_point(|&f| f < to);
                        let list: Vec<u32> = (lo as u32..hi as u32).collect();
                        let by_blocks = ctx.window(from, to, Sel::Range(lo, hi));
                        assert_eq!(by_blocks, ctx.window(from, to, Sel::List(&list)));
                        failed += by_blocks.change_failure_rate.failed;
                        recovered += by_blocks.recovery_time.recoveries;
                    }
                }
            }
        }
        assert!(
            failed > 50,
            "the windows hold failed deployments ({failed})"
        );
        assert!(recovered > 50, "and recovered ones ({recovered})");
    }
}
