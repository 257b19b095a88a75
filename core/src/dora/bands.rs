//! DORA benchmark tables: which performance band a metric value falls in.
//!
//! Each table is evaluated from elite to low; the first row that matches wins. A metric with no
//! value (nothing was counted) has no band, except deployment frequency, which is `low` with
//! no deployments.
//!
//! The DORA 2024 table is kept as published, including its oddities: it gives the medium
//! cluster a *lower* change fail rate (10%) than the high cluster (20%), and the same recovery
//! time as high (< 1 day). Evaluated elite → high → medium → low, medium is therefore
//! unreachable for both. The product says so rather than "fixing" the table.
//!
//! DORA 2025 has no clusters: with it every band is `None`, and [`super::quick_check`] scores
//! the metrics instead.

use crate::api::{Band, Benchmark};
use crate::time::{DAY_MS, HOUR_MS, SECOND_MS, WEEK_MS};
use serde::{Deserialize, Serialize};

pub(super) const HOUR: f64 = (HOUR_MS / SECOND_MS) as f64;
pub(super) const DAY: f64 = (DAY_MS / SECOND_MS) as f64;
pub(super) const WEEK: f64 = (WEEK_MS / SECOND_MS) as f64;
/// "A month" in the tables: 30 days.
pub(super) const MONTH: f64 = 30.0 * DAY;
/// "Six months" in the 2021 table: 182 days.
pub(super) const SIX_MONTHS: f64 = 182.0 * DAY;

/// The published tables of clusters.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Table {
    T2024,
    T2023,
    T2021,
}

/// A benchmark's table of clusters; `None` for DORA 2025, which has none.
fn table(b: Benchmark) -> Option<Table> {
    match b {
        Benchmark::Dora2024 => Some(Table::T2024),
        Benchmark::Dora2023 => Some(Table::T2023),
        Benchmark::Dora2021 => Some(Table::T2021),
        Benchmark::Dora2025 => None,
    }
}

/// Whether a benchmark assigns bands (every one but DORA 2025).
pub fn has_bands(b: Benchmark) -> bool {
    table(b).is_some()
}

/// Upper bounds (exclusive) in seconds for elite, high and medium lead times.
fn lead_time_limits(t: Table) -> [f64; 3] {
    match t {
        Table::T2024 | Table::T2023 => [DAY, WEEK, MONTH],
        Table::T2021 => [HOUR, WEEK, SIX_MONTHS],
    }
}

/// Upper bounds (inclusive) for elite, high and medium change fail rates.
///
/// 2024: 5% / 20% / 10% as published (medium is unreachable). 2021 gives high, medium and low
/// all "16–30%", so above 15% and up to 30% is high, medium is unreachable, and above 30% is low.
fn failure_rate_limits(t: Table) -> [f64; 3] {
    match t {
        Table::T2024 => [0.05, 0.20, 0.10],
        Table::T2023 => [0.05, 0.10, 0.15],
        Table::T2021 => [0.15, 0.30, 0.30],
    }
}

/// Upper bounds (exclusive) in seconds for elite, high and medium recovery times.
///
/// 2024 gives high and medium both "< 1 day" (medium is unreachable).
fn recovery_limits(t: Table) -> [f64; 3] {
    match t {
        Table::T2024 => [HOUR, DAY, DAY],
        Table::T2023 | Table::T2021 => [HOUR, DAY, WEEK],
    }
}

fn below(value: f64, limits: [f64; 3]) -> Band {
    if value < limits[0] {
        Band::Elite
    } else if value < limits[1] {
        Band::High
    } else if value < limits[2] {
        Band::Medium
    } else {
        Band::Low
    }
}

fn at_most(value: f64, limits: [f64; 3]) -> Band {
    if value <= limits[0] {
        Band::Elite
    } else if value <= limits[1] {
        Band::High
    } else if value <= limits[2] {
        Band::Medium
    } else {
        Band::Low
    }
}

/// The band of a median change lead time in seconds; `None` without a value or clusters.
pub fn band_for_lead_time(benchmark: Benchmark, median_seconds: Option<f64>) -> Option<Band> {
    let t = table(benchmark)?;
    median_seconds.map(|v| below(v, lead_time_limits(t)))
}

/// The band of a change fail rate (a fraction, 0.05 = 5%); `None` without a value or clusters.
pub fn band_for_change_failure_rate(benchmark: Benchmark, rate: Option<f64>) -> Option<Band> {
    let t = table(benchmark)?;
    rate.map(|v| at_most(v, failure_rate_limits(t)))
}

/// The band of a median failed-deployment recovery time in seconds; `None` without a value or
/// clusters.
pub fn band_for_recovery_time(benchmark: Benchmark, median_seconds: Option<f64>) -> Option<Band> {
    let t = table(benchmark)?;
    median_seconds.map(|v| below(v, recovery_limits(t)))
}

/// What the deployment frequency band is decided on.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FrequencyInputs {
    /// Median, over the window's consecutive 7-day blocks, of distinct deployment days.
    pub median_days_per_week: f64,
    /// Median, over the window's consecutive 30-day blocks, of distinct deployment days.
    pub median_days_per_30_days: f64,
    /// Successful deployments in the window.
    pub deployments: u64,
    /// Window length in days.
    pub window_days: f64,
}

impl FrequencyInputs {
    /// Deployments per 182 days, on average over the window (0 for an empty window).
    pub fn per_half_year(&self) -> f64 {
        if self.window_days > 0.0 {
            self.deployments as f64 / (self.window_days / 182.0)
        } else {
            0.0
        }
    }
}

/// The deployment frequency band: `None` only for DORA 2025 (no clusters); no deployments is
/// `low`.
///
/// - 2024 and 2023: ≥ 5 deployment days a week (median) → elite; ≥ 1 → high; at least one
///   deployment day per 30-day block (median) → medium; otherwise low.
/// - 2021: ≥ 5 days a week → elite (on demand); at least one day per 30-day block → high;
///   at least one deployment per 182 days on average → medium; otherwise low.
pub fn band_for_deployment_frequency(benchmark: Benchmark, f: &FrequencyInputs) -> Option<Band> {
    let t = table(benchmark)?;
    if f.deployments == 0 {
        return Some(Band::Low);
    }
    Some(match t {
        Table::T2024 | Table::T2023 => {
            if f.median_days_per_week >= 5.0 {
                Band::Elite
            } else if f.median_days_per_week >= 1.0 {
                Band::High
            } else if f.median_days_per_30_days >= 1.0 {
                Band::Medium
            } else {
                Band::Low
            }
        }
        Table::T2021 => {
            let per_half_year = f.per_half_year();
            if f.median_days_per_week >= 5.0 {
                Band::Elite
            } else if f.median_days_per_30_days >= 1.0 {
                Band::High
            } else if per_half_year >= 1.0 {
                Band::Medium
            } else {
                Band::Low
            }
        }
    })
}

/// One metric's row of a benchmark table, in words, for the UI and the docs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdRow {
    /// `deployment_frequency`, `change_lead_time`, `change_failure_rate` or `recovery_time`.
    pub metric: String,
    pub elite: String,
    pub high: String,
    pub medium: String,
    pub low: String,
    /// Anything surprising about the published row.
    pub note: Option<String>,
}

fn row(metric: &str, cells: [&str; 4], note: Option<&str>) -> ThresholdRow {
    ThresholdRow {
        metric: metric.to_owned(),
        elite: cells[0].to_owned(),
        high: cells[1].to_owned(),
        medium: cells[2].to_owned(),
        low: cells[3].to_owned(),
        note: note.map(str::to_owned),
    }
}

/// The table of a benchmark, in words, as the functions above apply it; empty for DORA 2025,
/// which has no clusters.
pub fn thresholds(benchmark: Benchmark) -> Vec<ThresholdRow> {
    let Some(t) = table(benchmark) else {
        return Vec::new();
    };
    match t {
        Table::T2024 | Table::T2023 => {
            let df = row(
                "deployment_frequency",
                [
                    "≥ 5 deployment days a week",
                    "≥ 1 deployment day a week",
                    "≥ 1 deployment day a month",
                    "otherwise",
                ],
                Some("On the median over the window's 7-day (and 30-day) blocks."),
            );
            let lead = row("change_lead_time", ["< 1 day", "< 1 week", "< 1 month", "otherwise"], None);
            if t == Table::T2024 {
                vec![
                    df,
                    lead,
                    row(
                        "change_failure_rate",
                        ["≤ 5%", "≤ 20%", "≤ 10%", "otherwise"],
                        Some("As published, medium has a lower fail rate than high, so it is never reached."),
                    ),
                    row(
                        "recovery_time",
                        ["< 1 hour", "< 1 day", "< 1 day", "otherwise"],
                        Some("As published, medium equals high, so it is never reached."),
                    ),
                ]
            } else {
                vec![
                    df,
                    lead,
                    row("change_failure_rate", ["≤ 5%", "≤ 10%", "≤ 15%", "otherwise"], None),
                    row("recovery_time", ["< 1 hour", "< 1 day", "< 1 week", "otherwise"], None),
                ]
            }
        }
        Table::T2021 => vec![
            row(
                "deployment_frequency",
                [
                    "≥ 5 deployment days a week (on demand)",
                    "≥ 1 deployment day a month",
                    "≥ 1 deployment every 6 months",
                    "otherwise",
                ],
                None,
            ),
            row("change_lead_time", ["< 1 hour", "< 1 week", "< 6 months", "otherwise"], None),
            row(
                "change_failure_rate",
                ["≤ 15%", "≤ 30%", "≤ 30%", "> 30%"],
                Some("2021 gives high, medium and low all 16–30%; above 15% up to 30% is high, above 30% low."),
            ),
            row("recovery_time", ["< 1 hour", "< 1 day", "< 1 week", "otherwise"], None),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Band::*;
    use Benchmark::*;

    /// The deployment frequency band of a benchmark that has clusters.
    fn df_band(b: Benchmark, f: &FrequencyInputs) -> Band {
        band_for_deployment_frequency(b, f).expect("a table of clusters")
    }

    const H: f64 = 3600.0;
    const D: f64 = 24.0 * H;
    const EPS: f64 = 1e-6;

    #[test]
    fn lead_time_boundaries() {
        // 2024/2023: < 1 day elite, < 1 week high, < 30 days medium, else low.
        for b in [Dora2024, Dora2023] {
            assert_eq!(band_for_lead_time(b, Some(D - EPS)), Some(Elite));
            assert_eq!(band_for_lead_time(b, Some(D)), Some(High));
            assert_eq!(band_for_lead_time(b, Some(7.0 * D - EPS)), Some(High));
            assert_eq!(band_for_lead_time(b, Some(7.0 * D)), Some(Medium));
            assert_eq!(band_for_lead_time(b, Some(30.0 * D - EPS)), Some(Medium));
            assert_eq!(band_for_lead_time(b, Some(30.0 * D)), Some(Low));
            assert_eq!(band_for_lead_time(b, None), None);
        }
        // 2021: < 1 hour elite, < 1 week high, < 182 days medium.
        assert_eq!(band_for_lead_time(Dora2021, Some(H - EPS)), Some(Elite));
        assert_eq!(band_for_lead_time(Dora2021, Some(H)), Some(High));
        assert_eq!(band_for_lead_time(Dora2021, Some(7.0 * D)), Some(Medium));
        assert_eq!(
            band_for_lead_time(Dora2021, Some(182.0 * D - EPS)),
            Some(Medium)
        );
        assert_eq!(band_for_lead_time(Dora2021, Some(182.0 * D)), Some(Low));
    }

    #[test]
    fn change_failure_rate_boundaries() {
        // 2024: ≤ 5% elite, ≤ 20% high, (≤ 10% medium: unreachable), else low.
        assert_eq!(
            band_for_change_failure_rate(Dora2024, Some(0.05)),
            Some(Elite)
        );
        assert_eq!(
            band_for_change_failure_rate(Dora2024, Some(0.05 + EPS)),
            Some(High)
        );
        assert_eq!(
            band_for_change_failure_rate(Dora2024, Some(0.10)),
            Some(High)
        );
        assert_eq!(
            band_for_change_failure_rate(Dora2024, Some(0.20)),
            Some(High)
        );
        assert_eq!(
            band_for_change_failure_rate(Dora2024, Some(0.20 + EPS)),
            Some(Low)
        );
        // 2023: 5% / 10% / 15%.
        assert_eq!(
            band_for_change_failure_rate(Dora2023, Some(0.05)),
            Some(Elite)
        );
        assert_eq!(
            band_for_change_failure_rate(Dora2023, Some(0.10)),
            Some(High)
        );
        assert_eq!(
            band_for_change_failure_rate(Dora2023, Some(0.10 + EPS)),
            Some(Medium)
        );
        assert_eq!(
            band_for_change_failure_rate(Dora2023, Some(0.15)),
            Some(Medium)
        );
        assert_eq!(
            band_for_change_failure_rate(Dora2023, Some(0.15 + EPS)),
            Some(Low)
        );
        // 2021: ≤ 15% elite, ≤ 30% high, > 30% low.
        assert_eq!(
            band_for_change_failure_rate(Dora2021, Some(0.15)),
            Some(Elite)
        );
        assert_eq!(
            band_for_change_failure_rate(Dora2021, Some(0.16)),
            Some(High)
        );
        assert_eq!(
            band_for_change_failure_rate(Dora2021, Some(0.30)),
            Some(High)
        );
        assert_eq!(
            band_for_change_failure_rate(Dora2021, Some(0.30 + EPS)),
            Some(Low)
        );
        assert_eq!(band_for_change_failure_rate(Dora2021, None), None);
    }

    #[test]
    fn recovery_boundaries() {
        // 2024: < 1 h elite, < 1 day high, (< 1 day medium: unreachable), else low.
        assert_eq!(band_for_recovery_time(Dora2024, Some(H - EPS)), Some(Elite));
        assert_eq!(band_for_recovery_time(Dora2024, Some(H)), Some(High));
        assert_eq!(band_for_recovery_time(Dora2024, Some(D - EPS)), Some(High));
        assert_eq!(band_for_recovery_time(Dora2024, Some(D)), Some(Low));
        // 2023 and 2021: < 1 h, < 1 day, < 1 week.
        for b in [Dora2023, Dora2021] {
            assert_eq!(band_for_recovery_time(b, Some(H - EPS)), Some(Elite));
            assert_eq!(band_for_recovery_time(b, Some(D - EPS)), Some(High));
            assert_eq!(band_for_recovery_time(b, Some(D)), Some(Medium));
            assert_eq!(band_for_recovery_time(b, Some(7.0 * D - EPS)), Some(Medium));
            assert_eq!(band_for_recovery_time(b, Some(7.0 * D)), Some(Low));
        }
        assert_eq!(band_for_recovery_time(Dora2023, None), None);
    }

    #[test]
    fn deployment_frequency_boundaries() {
        let f = |week: f64, month: f64, deployments: u64, window_days: f64| FrequencyInputs {
            median_days_per_week: week,
            median_days_per_30_days: month,
            deployments,
            window_days,
        };
        for b in [Dora2024, Dora2023] {
            assert_eq!(df_band(b, &f(5.0, 20.0, 50, 30.0)), Elite);
            assert_eq!(df_band(b, &f(4.5, 20.0, 50, 30.0)), High);
            assert_eq!(df_band(b, &f(1.0, 4.0, 4, 30.0)), High);
            assert_eq!(df_band(b, &f(0.5, 1.0, 1, 30.0)), Medium);
            assert_eq!(df_band(b, &f(0.0, 0.5, 1, 60.0)), Low);
            // No deployments: low, not null.
            assert_eq!(df_band(b, &f(0.0, 0.0, 0, 30.0)), Low);
        }
        assert_eq!(df_band(Dora2021, &f(5.0, 20.0, 50, 30.0)), Elite);
        assert_eq!(df_band(Dora2021, &f(0.0, 1.0, 3, 90.0)), High);
        // 2 deployments in 364 days: 2 / (364 / 182) = 1 per half year → medium.
        assert_eq!(df_band(Dora2021, &f(0.0, 0.0, 2, 364.0)), Medium);
        // 1 deployment in 365 days: 1 / (365 / 182) ≈ 0.4986 → low.
        assert_eq!(df_band(Dora2021, &f(0.0, 0.0, 1, 365.0)), Low);
        assert_eq!(df_band(Dora2021, &f(0.0, 0.0, 0, 30.0)), Low);
    }

    /// DORA 2025 has no clusters: no band for any value, and no table.
    #[test]
    fn dora_2025_assigns_no_band() {
        let f = FrequencyInputs {
            median_days_per_week: 5.0,
            median_days_per_30_days: 20.0,
            deployments: 50,
            window_days: 30.0,
        };
        assert_eq!(band_for_deployment_frequency(Dora2025, &f), None);
        assert_eq!(band_for_lead_time(Dora2025, Some(H)), None);
        assert_eq!(band_for_change_failure_rate(Dora2025, Some(0.0)), None);
        assert_eq!(band_for_recovery_time(Dora2025, Some(H)), None);
        assert!(thresholds(Dora2025).is_empty());
        assert!(!has_bands(Dora2025));
        assert!(has_bands(Dora2024) && has_bands(Dora2023) && has_bands(Dora2021));
    }

    #[test]
    fn threshold_tables_describe_every_metric() {
        for b in Benchmark::ALL.into_iter().filter(|&b| has_bands(b)) {
            let t = thresholds(b);
            assert_eq!(t.len(), 4, "{b:?}");
            assert_eq!(t[0].metric, "deployment_frequency");
        }
        assert!(thresholds(Dora2024)[2]
            .note
            .as_deref()
            .unwrap_or("")
            .contains("never reached"));
    }
}
