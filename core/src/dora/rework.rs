//! Deployment rework rate: the share of a window's deployments that were unplanned.

use crate::api::ReworkRate;

pub(crate) fn rework_rate(deployments: u64, unplanned: u64) -> ReworkRate {
    ReworkRate {
        deployments,
        unplanned,
        rate: (deployments > 0).then(|| unplanned as f64 / deployments as f64),
    }
}
