#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should panic
//! Reading AWS Data Exports (`nagare_server::cost::read`) and summing them into daily rows
//! (`nagare_server::cost::aggregate`), through the public API only: the FinOps Foundation's
//! real FOCUS sample against totals computed here independently, generated CUR 2.0 and FOCUS
//! files as Parquet (written with parquet's `ArrowWriter`) and CSV.gz, and bad rows.

#[path = "cost_formats/bad_rows.rs"]
mod bad_rows;
#[path = "cost_formats/cur.rs"]
mod cur;
#[path = "cost_formats/focus_sample.rs"]
mod focus_sample;
#[path = "cost_formats/focus_variants.rs"]
mod focus_variants;
#[path = "cost_formats/support.rs"]
mod support;
