//! Change lead time: the lead times of the changes deployed in a window, on one basis.

use super::bands;
use super::select::Sel;
use crate::api::{Benchmark, ChangeLeadTime, LeadTimeBasis};
use crate::model::index::TierIndex;
use crate::stats;

pub(crate) fn basis_index(b: LeadTimeBasis) -> usize {
    match b {
        LeadTimeBasis::Commit => 0,
        LeadTimeBasis::PullRequest => 1,
        LeadTimeBasis::Merge => 2,
    }
}

/// The lead times (ms) of the selected rows on basis `b`: a contiguous copy when unfiltered.
fn gather(ix: &TierIndex, sel: Sel<'_>, b: usize) -> Vec<i64> {
    match sel {
        Sel::Range(lo, hi) => ix.lead[b][ix.off[b][lo] as usize..ix.off[b][hi] as usize].to_vec(),
        Sel::List(l) => {
            let mut v = Vec::new();
            for &r in l {
                let r = r as usize;
                v.extend_from_slice(&ix.lead[b][ix.off[b][r] as usize..ix.off[b][r + 1] as usize]);
            }
            v
        }
    }
}

pub(crate) fn lead_time(
    ix: &TierIndex,
    sel: Sel<'_>,
    basis: LeadTimeBasis,
    benchmark: Benchmark,
) -> ChangeLeadTime {
    let mut lead = gather(ix, sel, basis_index(basis));
    let lt = stats::summarize_millis(&mut lead);
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
