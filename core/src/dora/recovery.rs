//! Failed deployment recovery time: how long the failed deployments of a window took to recover.

use super::bands;
use crate::api::{Benchmark, RecoveryTime};
use crate::stats;

/// `recoveries`: the recovery times (ms) of the recovered failures; `unrecovered`: the others.
pub(crate) fn recovery_time(
    mut recoveries: Vec<i64>,
    unrecovered: u64,
    benchmark: Benchmark,
) -> RecoveryTime {
    let rec = stats::summarize_millis(&mut recoveries);
    RecoveryTime {
        recoveries: rec.map_or(0, |s| s.count),
        median: rec.map(|s| s.median),
        p90: rec.map(|s| s.p90),
        mean: rec.map(|s| s.mean),
        band: bands::band_for_recovery_time(benchmark, rec.map(|s| s.median)),
        unrecovered,
    }
}
