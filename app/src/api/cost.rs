//! Cloud cost (`/api/v1/costs*`, docs/cost.md): the report with its series, the anomalous days,
//! the unit costs per service and of CI, and the admins' view of the sources and billing periods.

use super::{get_json, with_query, ApiResult};
use nagare_core::api::{CostAnomalies, CostQuery, CostReport, CostSources, UnitCosts};

/// Totals per group over the window, the series by `query.interval`, and the month to date.
pub async fn costs(query: CostQuery) -> ApiResult<CostReport> {
    get_json(&with_query("/api/v1/costs", &query)).await
}

/// The days far from their trailing baseline (the series interval is not asked: days only).
pub async fn anomalies(query: CostQuery) -> ApiResult<CostAnomalies> {
    let query = CostQuery {
        interval: None,
        ..query
    };
    get_json(&with_query("/api/v1/costs/anomalies", &query)).await
}

/// Each service's cost against what it delivered, and the cost of CI (no grouping, no series).
pub async fn unit(query: CostQuery) -> ApiResult<UnitCosts> {
    let query = CostQuery {
        interval: None,
        group_by: None,
        account: None,
        ..query
    };
    get_json(&with_query("/api/v1/costs/unit", &query)).await
}

/// The configured sources and each billing period's state (admins only).
pub async fn sources() -> ApiResult<CostSources> {
    get_json("/api/v1/costs/sources").await
}
