//! The five DORA metrics as the overview shows them: which number of the report is the headline,
//! how it reads, which direction is better, and what its weekly chart plots.

use crate::chart::Line;
use crate::format;
use crate::strings;
use nagare_core::api::{Band, DoraReport, QuickCheck, QuickCheckScore};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    DeploymentFrequency,
    LeadTime,
    ChangeFailureRate,
    RecoveryTime,
    ReworkRate,
}

impl Metric {
    pub const ALL: [Metric; 5] = [
        Metric::DeploymentFrequency,
        Metric::LeadTime,
        Metric::ChangeFailureRate,
        Metric::RecoveryTime,
        Metric::ReworkRate,
    ];

    /// The key of the metric in `DoraReport` (and in `data-test="card-<key>"`).
    pub fn key(self) -> &'static str {
        match self {
            Metric::DeploymentFrequency => "deployment_frequency",
            Metric::LeadTime => "change_lead_time",
            Metric::ChangeFailureRate => "change_failure_rate",
            Metric::RecoveryTime => "recovery_time",
            Metric::ReworkRate => "rework_rate",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Metric::DeploymentFrequency => strings::M_DEPLOYMENT_FREQUENCY,
            Metric::LeadTime => strings::M_LEAD_TIME,
            Metric::ChangeFailureRate => strings::M_CFR,
            Metric::RecoveryTime => strings::M_RECOVERY,
            Metric::ReworkRate => strings::M_REWORK,
        }
    }

    pub fn definition(self) -> &'static str {
        match self {
            Metric::DeploymentFrequency => strings::DEF_DEPLOYMENT_FREQUENCY,
            Metric::LeadTime => strings::DEF_LEAD_TIME,
            Metric::ChangeFailureRate => strings::DEF_CFR,
            Metric::RecoveryTime => strings::DEF_RECOVERY,
            Metric::ReworkRate => strings::DEF_REWORK,
        }
    }

    /// The headline number exactly as the API gives it: per day, median seconds, or a ratio.
    pub fn headline(self, r: &DoraReport) -> Option<f64> {
        match self {
            Metric::DeploymentFrequency => Some(r.deployment_frequency.per_day),
            Metric::LeadTime => r.change_lead_time.median,
            Metric::ChangeFailureRate => r.change_failure_rate.rate,
            Metric::RecoveryTime => r.recovery_time.median,
            Metric::ReworkRate => r.rework_rate.rate,
        }
    }

    pub fn band(self, r: &DoraReport) -> Option<Band> {
        match self {
            Metric::DeploymentFrequency => r.deployment_frequency.band,
            Metric::LeadTime => r.change_lead_time.band,
            Metric::ChangeFailureRate => r.change_failure_rate.band,
            Metric::RecoveryTime => r.recovery_time.band,
            Metric::ReworkRate => None,
        }
    }

    /// The metric's DORA 2025 Quick Check score.
    pub fn quick_check(self, q: &QuickCheck) -> &QuickCheckScore {
        match self {
            Metric::DeploymentFrequency => &q.deployment_frequency,
            Metric::LeadTime => &q.change_lead_time,
            Metric::ChangeFailureRate => &q.change_failure_rate,
            Metric::RecoveryTime => &q.recovery_time,
            Metric::ReworkRate => &q.rework_rate,
        }
    }

    /// The headline with its unit.
    pub fn display(self, v: f64) -> String {
        match self {
            Metric::DeploymentFrequency => format::frequency(v),
            Metric::LeadTime | Metric::RecoveryTime => format::duration(v),
            Metric::ChangeFailureRate | Metric::ReworkRate => format::percent(v),
        }
    }

    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::DeploymentFrequency)
    }

    fn is_rate(self) -> bool {
        matches!(self, Metric::ChangeFailureRate | Metric::ReworkRate)
    }

    /// The counts and spread behind the headline.
    pub fn secondary(self, r: &DoraReport) -> Vec<String> {
        match self {
            Metric::DeploymentFrequency => {
                let f = &r.deployment_frequency;
                let mut out = vec![
                    strings::deployments_count(f.deployments),
                    strings::per_week(&format::one_decimal(f.per_week)),
                    strings::deployment_days(f.deployment_days),
                    strings::median_days_per_week(&format::one_decimal(
                        f.median_deployment_days_per_week,
                    )),
                ];
                if f.failed_attempts > 0 {
                    out.push(strings::failed_attempts(
                        f.failed_attempts,
                        &format::opt_percent(f.deploy_job_failure_rate),
                    ));
                }
                out
            }
            Metric::LeadTime => {
                let l = &r.change_lead_time;
                let mut out = vec![strings::median_of_changes(l.changes)];
                if l.median.is_some() {
                    out.push(format!(
                        "{} {} · {} {} · {} {}",
                        strings::P75,
                        format::opt_duration(l.p75),
                        strings::P90,
                        format::opt_duration(l.p90),
                        strings::MEAN,
                        format::opt_duration(l.mean)
                    ));
                }
                out.push(strings::basis_note(l.basis));
                out
            }
            Metric::ChangeFailureRate => {
                let c = &r.change_failure_rate;
                vec![strings::failed_of(c.failed, c.deployments)]
            }
            Metric::RecoveryTime => {
                let t = &r.recovery_time;
                let mut out = vec![strings::median_of_recoveries(t.recoveries)];
                if t.median.is_some() {
                    out.push(format!(
                        "{} {} · {} {}",
                        strings::P90,
                        format::opt_duration(t.p90),
                        strings::MEAN,
                        format::opt_duration(t.mean)
                    ));
                }
                if t.unrecovered > 0 {
                    out.push(strings::unrecovered(t.unrecovered));
                }
                out
            }
            Metric::ReworkRate => {
                let w = &r.rework_rate;
                vec![strings::unplanned_of(w.unplanned, w.deployments)]
            }
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Metric::DeploymentFrequency => strings::UNIT_PER_DAY,
            Metric::LeadTime | Metric::RecoveryTime => strings::UNIT_HOURS,
            Metric::ChangeFailureRate | Metric::ReworkRate => strings::UNIT_PERCENT,
        }
    }

    /// The weekly lines, in the axis unit (per day, hours, percent).
    pub fn lines(self, series: &[DoraReport]) -> Vec<Line> {
        let hours = |v: Option<f64>| v.map(|s| s / 3600.0);
        let pct = |v: Option<f64>| v.map(|r| r * 100.0);
        match self {
            Metric::DeploymentFrequency => vec![Line {
                label: strings::SERIES_PER_DAY,
                values: series
                    .iter()
                    .map(|r| Some(r.deployment_frequency.per_day))
                    .collect(),
            }],
            Metric::LeadTime => vec![
                Line {
                    label: strings::SERIES_MEDIAN,
                    values: series
                        .iter()
                        .map(|r| hours(r.change_lead_time.median))
                        .collect(),
                },
                Line {
                    label: strings::SERIES_P90,
                    values: series
                        .iter()
                        .map(|r| hours(r.change_lead_time.p90))
                        .collect(),
                },
            ],
            Metric::ChangeFailureRate => vec![Line {
                label: strings::SERIES_RATE,
                values: series
                    .iter()
                    .map(|r| pct(r.change_failure_rate.rate))
                    .collect(),
            }],
            Metric::RecoveryTime => vec![Line {
                label: strings::SERIES_MEDIAN,
                values: series
                    .iter()
                    .map(|r| hours(r.recovery_time.median))
                    .collect(),
            }],
            Metric::ReworkRate => vec![Line {
                label: strings::SERIES_RATE,
                values: series.iter().map(|r| pct(r.rework_rate.rate)).collect(),
            }],
        }
    }

    /// How a plotted value (in the axis unit) reads in a point's title.
    pub fn axis_format(self) -> fn(f64) -> String {
        match self {
            Metric::DeploymentFrequency => |v| format!("{} / day", format::one_decimal(v)),
            Metric::LeadTime | Metric::RecoveryTime => |h| format::duration(h * 3600.0),
            Metric::ChangeFailureRate | Metric::ReworkRate => |p| format!("{p:.1}%"),
        }
    }

    /// The change against the previous period, or `None` when either side has no number.
    pub fn delta(self, current: Option<f64>, previous: Option<f64>) -> Option<Delta> {
        let (cur, prev) = (current?, previous?);
        let diff = cur - prev;
        if diff.abs() < 1e-12 {
            return Some(Delta {
                arrow: "▶",
                text: strings::UNCHANGED.to_owned(),
                good: None,
            });
        }
        let arrow = if diff > 0.0 { "▲" } else { "▼" };
        let text = if self.is_rate() {
            format!("{:.1} pts", diff.abs() * 100.0)
        } else if prev.abs() > 1e-12 {
            format!("{}%", format::one_decimal((diff / prev).abs() * 100.0))
        } else {
            format!("from {}", self.display(prev))
        };
        Some(Delta {
            arrow,
            text,
            good: Some((diff > 0.0) == self.higher_is_better()),
        })
    }
}

/// A change against the previous period of the same length.
#[derive(Debug, Clone, PartialEq)]
pub struct Delta {
    pub arrow: &'static str,
    pub text: String,
    /// Whether the change is an improvement; `None` when unchanged.
    pub good: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_lead_time_is_better() {
        let d = Metric::LeadTime.delta(Some(3600.0), Some(7200.0));
        assert_eq!(
            d,
            Some(Delta {
                arrow: "▼",
                text: "50%".into(),
                good: Some(true)
            })
        );
        let f = Metric::DeploymentFrequency.delta(Some(2.0), Some(1.0));
        assert_eq!(f.map(|d| (d.arrow, d.good)), Some(("▲", Some(true))));
        let c = Metric::ChangeFailureRate.delta(Some(0.15), Some(0.10));
        assert_eq!(
            c.map(|d| (d.text, d.good)),
            Some(("5.0 pts".to_owned(), Some(false)))
        );
        assert_eq!(Metric::RecoveryTime.delta(None, Some(1.0)), None);
    }
}
