//! The cost endpoints' query strings (docs/cost.md).

use crate::api::{CostBasis, CostGroupBy, CostInterval};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// `GET /api/v1/costs`, `/costs/anomalies` and `/costs/unit`: the window, filters and basis.
/// Days are UTC calendar days; a day is in the window when its start is in `[from, to)`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct CostQuery {
    /// The window's start, RFC 3339 with a zone (default: 90 days before `to`).
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    /// The window's end, RFC 3339 with a zone (default: the start of tomorrow, UTC).
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
    /// Group by `team` (default), `service`, `account` or `service_name`.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub group_by: Option<CostGroupBy>,
    /// Only this team's cost (allocated to it).
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Only this service's cost (allocated to it).
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Only this cloud account's cost.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Sum `effective` (default), `billed` or `list` cost.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostBasis>,
    /// A series by `day`, `week` or `month` (`/costs` only; absent: totals only).
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub interval: Option<CostInterval>,
}
