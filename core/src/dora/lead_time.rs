//! Change lead time: the lead times of the changes deployed in a window, on one basis.

use super::bands;
use super::select::Sel;
use crate::api::{Benchmark, ChangeLeadTime, LeadTimeBasis};
use crate::model::index::TierIndex;
use crate::model::Org;
use crate::stats;

pub(crate) fn basis_index(b: LeadTimeBasis) -> usize {
    match b {
        LeadTimeBasis::Commit => 0,
        LeadTimeBasis::PullRequest => 1,
        LeadTimeBasis::Merge => 2,
    }
}

/// The lead times (ms) of rows, computed from their deployments' changes.
fn gather(org: &Org, ix: &TierIndex, rows: impl Iterator<Item = usize>, b: usize) -> Vec<i64> {
    let mut v = Vec::new();
    for r in rows {
        org.lead_times(ix.slots[r], b, &mut v);
    }
    v
}

/// Count, median, p75, p90 and mean of the lead times of the selected rows on basis `b`.
///
/// A time range is answered from the index's day blocks (each day's values kept sorted): the
/// whole days inside the range are sorted runs as they are, and only the rows of the partial
/// days at its two ends are gathered and sorted; the order statistics are then found by
/// binary search across the runs (`stats::summarize_sorted_runs`). The numbers are exactly
/// those of gathering every value. Other selections (a service or team filter) gather.
fn summary(org: &Org, ix: &TierIndex, sel: Sel<'_>, b: usize) -> Option<stats::Summary> {
    match sel {
        Sel::Range(lo, hi) => match ix.whole_blocks(lo, hi) {
            Some(w) => {
                let runs = ix.lead[b].runs(w.blocks.clone()).collect();
                let mut edges = gather(org, ix, (lo..w.rows.start).chain(w.rows.end..hi), b);
                stats::summarize_runs_and(runs, ix.lead[b].sum(w.blocks), &mut edges)
            }
            None => stats::summarize_millis(&mut gather(org, ix, lo..hi, b)),
        },
        Sel::List(l) => {
            let mut v = gather(org, ix, l.iter().map(|&r| r as usize), b);
            stats::summarize_millis(&mut v)
        }
    }
}

pub(crate) fn lead_time(
    org: &Org,
    ix: &TierIndex,
    sel: Sel<'_>,
    basis: LeadTimeBasis,
    benchmark: Benchmark,
) -> ChangeLeadTime {
    let lt = summary(org, ix, sel, basis_index(basis));
    ChangeLeadTime {
        basis,
        changes: lt.map_or(0, |s| s.count),
        median: lt.map(|s| s.median),
        p75: lt.map(|s| s.p75),
        p90: lt.map(|s| s.p90),
        mean: lt.map(|s| s.mean),
        band: bands::band_for_lead_time(benchmark, lt.map(|s| s.median)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EnvironmentTier;
    use crate::model::Settings;
    use crate::time::{Timestamp, DAY_MS, HOUR_MS};

    /// The day-block path and plain gathering agree exactly, for windows that start and end
    /// anywhere (mid-day, at midnight, inside one day, empty), on every basis and tier.
    #[test]
    fn day_blocks_give_exactly_the_gathered_summary() {
        let now = Timestamp::parse("2026-03-01T00:00:00Z").map_or(0, |t| t.0);
        let mut org = Org::new(Settings::default());
        org.apply(crate::demo::demo_org(7, Timestamp(now)));
        let mut checked = 0;
        for tier in [EnvironmentTier::Production, EnvironmentTier::Staging] {
            let ix = &org.tiers[tier];
            assert!(ix.block_row.len() > 30, "the demo spans many days");
            for (from, to) in [
                (now - 90 * DAY_MS, now),
                (now - 90 * DAY_MS + 7 * HOUR_MS + 13, now - 3 * HOUR_MS),
                (
                    now - 10 * DAY_MS + 5 * HOUR_MS,
                    now - 10 * DAY_MS + 9 * HOUR_MS,
                ),
                (now - 40 * DAY_MS, now - 40 * DAY_MS),
                (i64::MIN / 2, i64::MAX / 2),
            ] {
                let lo = ix.fin.partition_point(|&f| f < from);
                let hi = ix.fin.partition_point(|&f| f < to);
                for b in 0..3 {
                    let mut all = gather(&org, ix, lo..hi, b);
                    let expected = stats::summarize_millis(&mut all);
                    assert_eq!(summary(&org, ix, Sel::Range(lo, hi), b), expected);
                    checked += usize::from(expected.is_some());
                }
            }
        }
        assert!(checked >= 15, "most windows hold changes ({checked})");
    }
}
