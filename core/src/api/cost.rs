//! The shapes of cloud cost (docs/cost.md): `GET /api/v1/costs`, `/costs/anomalies`,
//! `/costs/unit` and `/costs/sources`. Money is in the exports' currency (`currency`), days are
//! UTC calendar days written `YYYY-MM-DD`, and every window is half-open: a day is in
//! `[from, to)` when its start is.

use serde::{Deserialize, Serialize};

crate::named_enum! {
    /// Which cost column is summed.
    #[derive(Default)]
    pub enum CostBasis as "cost basis" {
        /// FOCUS `EffectiveCost`: amortised, after discounts and commitments (CUR 2.0: the
        /// Savings Plan and reservation effective costs, else the net unblended cost).
        #[default]
        Effective = "effective",
        /// FOCUS `BilledCost`: what the invoice says (CUR 2.0: net unblended, else unblended).
        Billed = "billed",
        /// FOCUS `ListCost`: at public on-demand prices (CUR 2.0:
        /// `pricing_public_on_demand_cost`).
        List = "list",
    }
}

crate::named_enum! {
    /// What costs are grouped by.
    #[derive(Default)]
    pub enum CostGroupBy as "cost grouping" {
        /// The allocated team (tags, then the account map).
        #[default]
        Team = "team",
        /// The allocated service (tags).
        Service = "service",
        /// The cloud account (FOCUS `SubAccountId`, CUR `line_item_usage_account_id`).
        Account = "account",
        /// The provider's service (FOCUS `ServiceName`, CUR `product_servicecode`).
        ServiceName = "service_name",
    }
}

crate::named_enum! {
    /// The width of a series bucket.
    pub enum CostInterval as "cost interval" {
        Day = "day",
        /// ISO weeks, from Monday.
        Week = "week",
        Month = "month",
    }
}

/// `GET /api/v1/costs`: totals per group over the window, an optional series, and the month
/// to date against its forecast and the previous month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostReport {
    /// The first day in the window and the day after the last, `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    pub cost: CostBasis,
    pub group_by: CostGroupBy,
    /// The currency of the amounts (`USD`); `null` before any cost is stored.
    pub currency: Option<String>,
    /// Everything in the window the caller may read.
    pub total: f64,
    /// The part of `total` no team (or service, by `group_by`) could be found for.
    pub unallocated: f64,
    /// Each group, largest first; the unallocated one has `key` `null`.
    pub groups: Vec<CostGroupTotal>,
    /// Per bucket, one value per group (in `groups` order), when `interval` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<CostSeries>,
    /// The month of the window's last day: to date, forecast, and the previous month.
    pub month: MonthToDate,
    /// The last day with any stored cost (an export lags a day or two).
    pub data_through: Option<String>,
    /// Whether any cost source is configured or any cost is stored.
    pub configured: bool,
}

/// One group's total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostGroupTotal {
    /// The team, service, account id or provider service; `null`: unallocated.
    pub key: Option<String>,
    /// What to show: the key, an account's name with its id, or "Unallocated".
    pub label: String,
    pub total: f64,
    /// Of the window's total, 0–1.
    pub share: f64,
}

/// A series of buckets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostSeries {
    pub interval: CostInterval,
    pub buckets: Vec<CostBucket>,
}

/// One bucket: its first day, and one value per group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostBucket {
    /// `YYYY-MM-DD` (a week's Monday, a month's first day; the window's `from` when it starts
    /// inside one).
    pub start: String,
    /// Days of the window in the bucket.
    pub days: u32,
    pub values: Vec<f64>,
    pub total: f64,
}

/// The month to date, its forecast, and the previous month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthToDate {
    /// `YYYY-MM`.
    pub month: String,
    /// From the month's first day through `through`.
    pub to_date: f64,
    /// The last day counted (`data_through`, within the month).
    pub through: Option<String>,
    /// Mean daily cost of the trailing days: the 7 through `through` (a day without cost counts
    /// as 0), or fewer when cost starts later.
    pub run_rate: Option<f64>,
    /// Days averaged for `run_rate`.
    pub run_rate_days: u32,
    /// `to_date` + `run_rate` × the days left in the month; `null` without a run rate.
    pub forecast: Option<f64>,
    /// The whole previous month.
    pub previous_month: f64,
    /// The previous month through the same day of the month.
    pub previous_to_same_day: f64,
}

/// `GET /api/v1/costs/anomalies`: days far from their trailing baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostAnomalies {
    pub from: String,
    pub to: String,
    pub cost: CostBasis,
    pub group_by: CostGroupBy,
    /// |robust z| above this is an anomaly.
    pub threshold: f64,
    /// Days of trailing baseline (28), and the fewest a day needs to be judged (7).
    pub baseline_days: u32,
    pub min_baseline_days: u32,
    pub currency: Option<String>,
    /// Largest |z| first.
    pub anomalies: Vec<CostAnomaly>,
}

/// One anomalous day of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostAnomaly {
    pub day: String,
    /// The group (`null`: unallocated) and its label.
    pub key: Option<String>,
    pub label: String,
    pub cost: f64,
    /// The baseline's median, and the day's robust z-score against it.
    pub median: f64,
    pub z: f64,
    /// `cost − median`.
    pub excess: f64,
    /// The day's cost by account and provider service, largest change against their own
    /// baseline medians first: where to look.
    pub contributors: Vec<CostContributor>,
}

/// An account and provider service's part of an anomalous day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostContributor {
    pub account_id: String,
    pub account_name: String,
    pub service_name: String,
    pub cost: f64,
    /// The median of its own trailing baseline days (0 when it had none).
    pub median: f64,
}

/// `GET /api/v1/costs/unit`: cost tied to delivery, per service, and of CI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitCosts {
    pub from: String,
    pub to: String,
    pub cost: CostBasis,
    pub currency: Option<String>,
    /// Each allocated service the caller may read, costliest first.
    pub services: Vec<ServiceUnitCost>,
    pub ci: CiUnitCost,
}

/// A service's cost and what it delivered in the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceUnitCost {
    pub service: String,
    pub teams: Vec<String>,
    /// Its allocated cost in the window.
    pub cost: f64,
    /// Successful production deployments finished in the window.
    pub deployments: u64,
    /// `cost ÷ deployments`; `null` without deployments.
    pub per_deployment: Option<f64>,
    /// Failed production deployments in the window, and how many recovered.
    pub failed_changes: u64,
    pub recovered: u64,
    /// The service's cost while failed: each day's cost × the share of the day between the
    /// failed deployment's end and its recovery (still failing: until the window's end); hours
    /// two failures share count once.
    pub failed_change_cost: f64,
    /// Good events of its SLOs in the window; `null` without an SLO.
    pub good_events: Option<f64>,
    /// `cost ÷ good_events`.
    pub per_good_event: Option<f64>,
    /// Its DORA performance band over the window (the lowest of its metrics' bands);
    /// `null` when unbanded.
    pub band: Option<crate::api::Band>,
}

/// The cost of CI: rows of the CI accounts or services (`cost.ci_accounts`,
/// `cost.ci_services`) against the pipeline runs in the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CiUnitCost {
    /// Whether any CI account or service is configured.
    pub configured: bool,
    pub cost: f64,
    /// Minutes of finished pipeline runs (finished − started) and their count.
    pub minutes: f64,
    pub runs: u64,
    pub per_minute: Option<f64>,
    pub per_run: Option<f64>,
}

/// `GET /api/v1/costs/sources`: the configured sources and each billing period's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostSources {
    pub sources: Vec<CostSourceRow>,
    /// Newest period first.
    pub periods: Vec<CostPeriodRow>,
}

/// A configured source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostSourceRow {
    pub name: String,
    /// `s3`, `local` or `athena`.
    pub kind: String,
    /// `s3://bucket/prefix`, a directory, or `athena:database.table`.
    pub location: String,
    /// Seconds between polls; `null`: read only by `nagare import-cost`.
    pub poll_secs: Option<u64>,
    pub last_poll_at: Option<crate::time::Timestamp>,
    pub last_result: Option<String>,
}

/// One billing period of one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostPeriodRow {
    pub source: String,
    /// `YYYY-MM`.
    pub billing_period: String,
    /// `ingested` (its current version is stored), `failed` (the last try was refused; an
    /// earlier version, if any, is still stored), `waiting` (files without a manifest yet).
    pub state: String,
    /// The version stored: the manifest's ETag, or a digest of the files.
    pub version: Option<String>,
    /// The format read (`focus-1.0`, `focus-1.2`, `cur-2.0`, `athena`).
    pub format: Option<String>,
    pub files: u64,
    pub rows: u64,
    pub skipped_rows: u64,
    pub billed: f64,
    pub effective: f64,
    pub ingested_at: Option<crate::time::Timestamp>,
    pub error: Option<String>,
    /// Bad rows skipped or that refused a file: file, row, column.
    pub problems: Vec<CostProblem>,
}

/// A bad row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CostProblem {
    pub file: String,
    /// 1-based data row (the header is row 0); `0` for the whole file.
    pub row: u64,
    pub column: String,
    pub message: String,
}
