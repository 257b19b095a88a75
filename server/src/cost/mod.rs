//! Cloud cost (issue 13, docs/cost.md): reading AWS Data Exports (FOCUS 1.0–1.3, CUR 2.0) as
//! CSV, CSV.gz or Parquet from a directory or S3, or daily aggregates from Athena; summing them
//! into [`DailyCost`] rows per billing period; storing each period whole (a restated period
//! replaces the old one atomically); and the API's reads over what is held in memory.
//!
//! - `read/`: one file's rows as [`CostLine`]s, columns by name, bad rows as [`Problem`]s.
//! - `aggregate`: lines → daily rows, allocated (core's `cost::allocate`).
//! - `layout`, `s3`: where the files are (a directory or S3, the Data Exports layout and its
//!   manifests).
//! - `athena/`: the Athena client and its SQL.
//! - `ingest`: a location's billing periods, compared with what is stored, read and replaced.
//! - `runtime`, `view`: the rows held in memory and the API's answers.

pub mod aggregate;
pub mod athena;
pub mod command;
pub mod ingest;
pub mod layout;
pub mod read;
pub mod runtime;
pub mod s3;
pub mod unit;
pub mod view;

pub use nagare_core::cost::DailyCost;

/// One row of an export, normalised: what the aggregation needs of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostLine {
    /// The charge period, epoch milliseconds, half-open `[start, end)`.
    pub start_ms: i64,
    pub end_ms: i64,
    /// `YYYY-MM`: FOCUS `BillingPeriodStart`, CUR `bill_billing_period_start_date`.
    pub billing_period: String,
    pub provider: String,
    pub account_id: String,
    pub account_name: String,
    pub service_name: String,
    pub service_category: String,
    /// FOCUS `ChargeCategory` (CUR: from `line_item_line_item_type`).
    pub charge_category: String,
    /// FOCUS `ChargeClass` is `Correction`.
    pub correction: bool,
    pub region: String,
    pub resource_id: String,
    pub currency: String,
    /// Tags (FOCUS `Tags`, CUR `resource_tags` with `user_x` read as `user:x`) and the
    /// non-empty `x_` columns under their column names.
    pub tags: std::collections::BTreeMap<String, String>,
    pub billed: f64,
    pub effective: f64,
    pub list: f64,
}

/// A bad row (or a whole file): where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// 1-based data row; 0: the file as a whole.
    pub row: u64,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else if self.column.is_empty() {
            write!(f, "{} row {}: {}", self.file, self.row, self.message)
        } else {
            write!(
                f,
                "{} row {} column {}: {}",
                self.file, self.row, self.column, self.message
            )
        }
    }
}
