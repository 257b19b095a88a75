//! The overview's strings: the five metrics, their definitions (as docs/metrics.md states
//! them), chart units, secondary stats and data-quality notes.

use super::{basis_label, plural};
use nagare_core::api::LeadTimeBasis;

pub const OVERVIEW_TITLE: &str = "Are we getting faster and safer?";
pub fn window_caption(from: &str, to: &str, days: &str) -> String {
    format!("{from} – {to} · changes are against the {days} before")
}
pub const DEFINITION: &str = "Definition";
pub const VS_PREVIOUS: &str = "vs previous period";
pub const NO_PREVIOUS: &str = "No data for the previous period";
pub const UNCHANGED: &str = "unchanged";
pub const BETTER: &str = "better";
pub const WORSE: &str = "worse";
pub const BAND_NONE: &str = "none";
pub const REWORK_NO_BAND: &str = "no DORA band";
pub const REWORK_NO_BAND_TITLE: &str = "DORA 2024 introduced rework rate without performance bands";
pub const BAND_NONE_TITLE: &str = "No band: nothing was counted, or the benchmark publishes none";
pub const DATA_QUALITY: &str = "Data quality";
pub const WEEK_STARTING: &str = "Week starting";

pub const M_DEPLOYMENT_FREQUENCY: &str = "Deployment frequency";
pub const M_LEAD_TIME: &str = "Change lead time";
pub const M_CFR: &str = "Change failure rate";
pub const M_RECOVERY: &str = "Failed deployment recovery time";
pub const M_REWORK: &str = "Rework rate";

pub const DEF_DEPLOYMENT_FREQUENCY: &str = "Successful production deployments in the window: the count, per day, per week, and deployment days per week. A deployment belongs to the window in which it finished. The band uses the median deployment days per week: 5 or more days a week is elite, at least 1 day a week is high, at least 1 day a month is medium, otherwise low.";
pub const DEF_LEAD_TIME: &str = "A change's first successful production deployment is the earliest one whose deployed sha reaches that change in the commit graph, while the previous successful production deployment of the same service does not. Its lead time is the time from the change to the end of that deployment: from the commit (DORA, default), from the first commit of its pull request (DevLake), or from the merge (GitLab). The median is interpolated. A service's first deployment only sets a baseline, and negative spans are left out and reported as data-quality notes.";
pub const DEF_CFR: &str = "Successful production deployments that caused a failure, divided by all successful production deployments. A deployment caused a failure when an incident is attributed to it, when it was rolled back or hotfixed (the next deployment is a rollback or hotfix), or when it is marked failed. Failed deployment attempts that never changed production are reported separately, as the deploy job failure rate. The DORA 2024 table really gives medium a lower rate than high; Nagare shows it as published.";
pub const DEF_RECOVERY: &str = "For each failed change, the time from the end of the failed deployment to recovery. Recovery is whichever comes first: the attributed incident resolved, or the remediating deployment (rollback or hotfix) finished. Failed deployments not yet recovered are counted apart.";
pub const DEF_REWORK: &str = "Unplanned deployments divided by all successful production deployments (DORA 2024). A deployment is unplanned if it is a hotfix or rollback, or remediates an incident. DORA publishes no bands for it.";

// Units for chart axes.
pub const UNIT_PER_DAY: &str = "Deployments per day";
pub const UNIT_HOURS: &str = "Hours";
pub const UNIT_PERCENT: &str = "%";
pub const SERIES_MEDIAN: &str = "Median";
pub const SERIES_P90: &str = "p90";
pub const SERIES_RATE: &str = "Rate";
pub const SERIES_PER_DAY: &str = "Per day";

pub fn chart_empty(metric: &str) -> String {
    format!("No weekly {metric} to plot: nothing was counted in this period.")
}

pub fn chart_title(metric: &str, unit: &str) -> String {
    format!("{metric} per week ({unit})")
}

// Secondary stats.
pub fn deployments_count(n: u64) -> String {
    plural(n, "deployment", "deployments")
}
pub fn deployment_days(n: u64) -> String {
    plural(n, "deployment day", "deployment days")
}
pub fn per_week(v: &str) -> String {
    format!("{v} per week")
}
pub fn median_days_per_week(v: &str) -> String {
    format!("median {v} deployment days a week")
}
pub fn failed_attempts(n: u64, rate: &str) -> String {
    format!(
        "{} (deploy job failure rate {rate})",
        plural(n, "failed attempt", "failed attempts")
    )
}
pub fn median_of_changes(n: u64) -> String {
    format!("median of {}", plural(n, "change", "changes"))
}
pub fn median_of_recoveries(n: u64) -> String {
    format!("median of {}", plural(n, "recovery", "recoveries"))
}
pub fn failed_of(failed: u64, total: u64) -> String {
    format!("{failed} of {} caused a failure", deployments_count(total))
}
pub fn unplanned_of(unplanned: u64, total: u64) -> String {
    format!("{unplanned} of {} unplanned", deployments_count(total))
}
pub fn unrecovered(n: u64) -> String {
    format!("{n} not yet recovered")
}
pub fn basis_note(basis: LeadTimeBasis) -> String {
    format!("measured from: {}", basis_label(basis))
}
pub const P75: &str = "p75";
pub const P90: &str = "p90";
pub const MEAN: &str = "mean";

pub fn dq_negative(n: u64) -> String {
    format!(
        "{} left out (deployed before they were made)",
        plural(n, "negative lead time", "negative lead times")
    )
}
pub fn dq_incomplete(n: u64) -> String {
    format!(
        "{} with an incomplete commit graph",
        plural(n, "deployment", "deployments")
    )
}
pub fn dq_fallback(n: u64) -> String {
    format!(
        "{} taken from pushed commit lists",
        plural(n, "change", "changes")
    )
}
pub fn dq_baseline(n: u64) -> String {
    format!(
        "{} only set a baseline",
        plural(n, "first deployment", "first deployments")
    )
}
pub fn dq_unattributed(n: u64) -> String {
    format!(
        "{} attributed to no deployment",
        plural(n, "incident", "incidents")
    )
}
