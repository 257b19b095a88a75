//! The DORA metrics of a window, computed from the facts the model precomputed. Metrics read
//! the model and never write it.
//!
//! Per tier, the successful deployments are kept in a `TierIndex`: sorted by finish time, with
//! their lead times (per basis) laid out contiguously in the same order. A query
//! binary-searches its window, passes once over its rows, and hands each metric family its part:
//! [`frequency`], [`lead_time`], [`failure_rate`], [`recovery`], [`rework`], then [`bands`] and
//! the data-quality notes. Definitions are in docs/metrics.md; each function says which part
//! it implements.

use crate::api::{DataQuality, DoraQuery, DoraReport, Filters, Interval, Window};
use crate::events::EnvironmentTier;
use crate::model::ids::ServiceId;
use crate::model::index::{TierIndex, BASELINE, FAILED, INCOMPLETE, UNPLANNED};
use crate::model::{Org, ServiceSet};
use select::{boundaries, Days, Sel};

pub mod bands;
mod failure_rate;
mod frequency;
mod lead_time;
mod quality;
mod recovery;
mod rework;
mod select;
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
    fn window(&self, from: i64, to: i64, sel: Sel<'_>) -> DoraReport {
        let (q, ix) = (self.q, self.ix);
        let b = lead_time::basis_index(q.basis);
        let mut freq = frequency::Frequency::new(from, to);
        let (mut failed, mut unplanned, mut baselines, mut incomplete) = (0u64, 0u64, 0u64, 0u64);
        let (mut fallback, mut negative, mut unrecovered) = (0u64, 0u64, 0u64);
        let mut recoveries: Vec<i64> = Vec::new();
        sel.for_each(|r| {
            let row = &ix.rows[r];
            freq.add(ix.fin[r], self.days);
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
                match row.recovery_ms.get() {
                    Some(ms) => recoveries.push(ms),
                    None => unrecovered += 1,
                }
            }
            fallback += u64::from(row.fallback);
            negative += u64::from(row.negative[b]);
        });
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
            negative_lead_times: negative,
            incomplete_graph_deployments: incomplete,
            fallback_changes: fallback,
            baseline_deployments: baselines,
            unattributed_incidents: unattributed,
            notes: Vec::new(),
        };
        data_quality.notes = quality::notes(&data_quality);
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
            deployment_frequency: freq.finish(deployments, attempts, q.benchmark),
            change_lead_time: lead_time::lead_time(self.org, ix, sel, q.basis, q.benchmark),
            change_failure_rate: failure_rate::failure_rate(deployments, failed, q.benchmark),
            recovery_time: recovery::recovery_time(recoveries, unrecovered, q.benchmark),
            rework_rate: rework::rework_rate(deployments, unplanned),
            data_quality,
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
