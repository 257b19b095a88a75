//! Cloud cost, the pure math (issue 13, docs/cost.md): a row's team and service
//! ([`allocate`]), anomalies by a robust z-score against a trailing baseline ([`anomaly`]), the
//! month-end forecast ([`forecast`]), and the stored unit: one day's cost of one combination of
//! account, provider service, team and service ([`DailyCost`]).

pub mod allocate;
pub mod anomaly;
pub mod forecast;
pub mod series;
pub mod unit;

use serde::{Deserialize, Serialize};

/// Days since 1970-01-01 (UTC) of an instant in epoch milliseconds.
pub fn day_of_ms(ms: i64) -> i32 {
    ms.div_euclid(crate::time::DAY_MS) as i32
}

/// `YYYY-MM-DD` of a day number.
pub fn day_text(day: i32) -> String {
    let d = chrono::DateTime::from_timestamp(i64::from(day) * 86_400, 0)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    d.format("%Y-%m-%d").to_string()
}

/// The day number of `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Option<i32> {
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from((d - epoch).num_days()).ok()
}

/// One UTC day's cost of one combination: what is stored, and all the API reads. Rows of an
/// export (hourly, per resource) are summed into these; a charge whose period spans days is
/// spread over them by the share of its period in each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyCost {
    /// Days since 1970-01-01, UTC.
    pub day: i32,
    /// The billing period it was billed in, `YYYY-MM`.
    pub billing_period: String,
    /// `AWS`, `Microsoft`… (FOCUS `ProviderName`; CUR: `AWS`).
    pub provider: String,
    pub account_id: String,
    pub account_name: String,
    /// The provider's service (FOCUS `ServiceName`, CUR `product_servicecode`).
    pub service_name: String,
    pub service_category: String,
    /// FOCUS `ChargeCategory`: `Usage`, `Purchase`, `Tax`, `Credit`, `Adjustment`.
    pub charge_category: String,
    /// The allocated team and service (`None`: unallocated).
    pub team: Option<String>,
    pub service: Option<String>,
    /// Whether it is CI's cost (a CI account or service).
    pub ci: bool,
    /// `USD`…
    pub currency: String,
    pub billed: f64,
    pub effective: f64,
    pub list: f64,
    /// Export rows summed into it.
    pub rows: u64,
}
