//! Failed deployment recovery time: how long the failed deployments of a window took to recover.

use super::bands;
use crate::api::{Benchmark, RecoveryTime};
use crate::stats;

/// `rec`: the summary of the recovery times of the recovered failures; `unrecovered`: the
/// number of the others.
pub(crate) fn recovery_time(
    rec: Option<stats::Summary>,
    unrecovered: u64,
    benchmark: Benchmark,
) -> RecoveryTime {
    RecoveryTime {
        recoveries: rec.map_or(0, |s| s.count),
        median: rec.map(|s| s.median),
        p90: rec.map(|s| s.p90),
        mean: rec.map(|s| s.mean),
        band: bands::band_for_recovery_time(benchmark, rec.map(|s| s.median)),
        unrecovered,
    }
}
