//! Change failure rate: the share of a window's deployments that caused a failure.

use super::bands;
use crate::api::{Benchmark, ChangeFailureRate};

pub(crate) fn failure_rate(
    deployments: u64,
    failed: u64,
    benchmark: Benchmark,
) -> ChangeFailureRate {
    let rate = (deployments > 0).then(|| failed as f64 / deployments as f64);
    ChangeFailureRate {
        deployments,
        failed,
        rate,
        band: bands::band_for_change_failure_rate(benchmark, rate),
    }
}
