//! The cost pages' strings (the Costs page and the admins' Cost sources page), kept together so
//! that a translation can follow: read as `strings::costs::X` (`text::X` in `pages/costs`), not
//! re-exported, as several names repeat other pages'. Definitions follow docs/cost.md.

use nagare_core::api::{CostBasis, CostGroupBy, CostInterval};

pub const NAV_COSTS: &str = "Costs";
pub const NAV_COST_SOURCES: &str = "Cost sources";

// The page.
pub const COSTS_TITLE: &str = "Cloud cost";
pub const COSTS_CAPTION: &str =
    "What does each team and service cost, and what does a deployment or a CI minute cost?";
pub const WHAT_COSTS: &str = "the cost report";
pub const WHAT_ANOMALIES: &str = "the cost anomalies";
pub const WHAT_UNIT: &str = "the unit costs";
pub const COST_DOCS: &str = "How cost is read, allocated and computed: `docs/cost.md`.";

// Filters.
pub const F_GROUP_BY: &str = "Group by";
pub const F_COST: &str = "Cost basis";
pub const F_FROM: &str = "From";
pub const F_THROUGH: &str = "Through";
pub const F_ACCOUNT: &str = "Account";
pub const PERIOD_MONTH: &str = "This month";
pub const PERIOD_LAST_MONTH: &str = "Last month";
pub const CLEAR_ACCOUNT: &str = "Show every account";
pub fn group_by_label(g: CostGroupBy) -> &'static str {
    match g {
        CostGroupBy::Team => "Team",
        CostGroupBy::Service => "Service",
        CostGroupBy::Account => "Account",
        CostGroupBy::ServiceName => "Provider service",
    }
}
pub fn basis_label(b: CostBasis) -> &'static str {
    match b {
        CostBasis::Effective => "Effective (amortised)",
        CostBasis::Billed => "Billed (invoice)",
        CostBasis::List => "List (on-demand prices)",
    }
}
/// What each basis sums, in plain words.
pub fn basis_definition(b: CostBasis) -> &'static str {
    match b {
        CostBasis::Effective => "Effective cost: amortised, after discounts, Savings Plans and reservations (FOCUS EffectiveCost; in CUR 2.0 the Savings Plan and reservation effective costs, else the net unblended cost).",
        CostBasis::Billed => "Billed cost: what the invoice says, commitments charged when bought (FOCUS BilledCost; in CUR 2.0 the net unblended, else the unblended cost).",
        CostBasis::List => "List cost: the same usage at public on-demand prices, before any discount (FOCUS ListCost; in CUR 2.0 pricing_public_on_demand_cost).",
    }
}

// Cards.
pub const CARD_TOTAL: &str = "Total in the window";
pub const CARD_MONTH: &str = "Month to date";
pub const CARD_FORECAST: &str = "Month-end forecast";
pub const CARD_LAST_MONTH: &str = "Last month";
pub const CARD_UNALLOCATED: &str = "Unallocated";
pub const DEFINITION: &str = "Definition";
pub fn window_days(from: &str, through: &str, days: i64) -> String {
    let unit = if days == 1 { "day" } else { "days" };
    format!("{from} – {through} (UTC) · {days} {unit}")
}
pub fn data_through(day: &str) -> String {
    format!("Cost stored through {day} (exports lag a day or two)")
}
pub fn basis_line(basis: &str) -> String {
    format!("Basis: {basis}")
}
pub fn month_through(month: &str, day: &str) -> String {
    format!("{month}, through {day}")
}
pub fn month_no_data(month: &str) -> String {
    format!("{month}: no cost stored yet this month")
}
pub fn vs_last_month_same_day(amount: &str) -> String {
    format!("vs {amount} last month to the same day")
}
pub fn run_rate(amount: &str, days: u32) -> String {
    let unit = if days == 1 { "day" } else { "days" };
    format!("Run rate {amount} / day (mean of the last {days} {unit})")
}
pub const NO_FORECAST: &str = "No forecast: no cost in the last days of the month";
pub fn vs_last_month(amount: &str) -> String {
    format!("vs {amount} for all of last month")
}
pub fn last_month_same_day(amount: &str) -> String {
    format!("{amount} to the same day of the month")
}
pub fn unallocated_of(amount: &str, what: &str) -> String {
    format!("{amount} with no {what} found")
}
pub fn unallocated_what(g: CostGroupBy) -> &'static str {
    match g {
        CostGroupBy::Team | CostGroupBy::Account | CostGroupBy::ServiceName => "team",
        CostGroupBy::Service => "service",
    }
}
pub const UNALLOCATED_HINT: &str = "Tag resources with the configured keys (`cost.team_tags`, `cost.service_tags`; `user:team` and `user:service` by default, activated as cost allocation tags) or map whole accounts to teams in `cost.account_teams`.";
pub const DEF_TOTAL: &str = "The sum of every day in the window (UTC calendar days, the end excluded) of the cost you may read, on the chosen basis.";
pub const DEF_MONTH: &str = "The cost from the first day of the window's last month through the last day with stored cost, against last month through the same day of the month.";
pub const DEF_FORECAST: &str = "Forecast = month to date + the mean daily cost of the trailing 7 days (through the last day with stored cost) × the days left in the month. It assumes the recent pace holds.";
pub const DEF_LAST_MONTH: &str =
    "The whole previous calendar month, and that month through the same day as this month's data.";
pub const DEF_UNALLOCATED: &str = "Cost no team (or service, when grouped by service) could be found for: no configured tag key on the row, and its account not in the account map. It is shown as its own group, never spread over the others.";
pub fn delta_up(percent: &str) -> String {
    format!("▲ {percent}")
}
pub fn delta_down(percent: &str) -> String {
    format!("▼ {percent}")
}

// The chart.
pub fn chart_title(by: &str, interval: &str, currency: &str) -> String {
    format!("{interval} cost by {by}, stacked ({currency})")
}
pub fn chart_caption(by: &str, interval: &str) -> String {
    format!("{interval} cost by {by}: the 8 costliest, then the others together, then what no group was found for, through the last day with stored cost (a last week or month not yet whole is in the CSV only). Hover a bucket for its numbers.")
}
pub fn interval_word(i: CostInterval) -> &'static str {
    match i {
        CostInterval::Day => "Daily",
        CostInterval::Week => "Weekly",
        CostInterval::Month => "Monthly",
    }
}
pub fn x_axis(i: CostInterval) -> &'static str {
    match i {
        CostInterval::Day => "Day (UTC)",
        CostInterval::Week => "Week starting (UTC)",
        CostInterval::Month => "Month",
    }
}
pub fn y_axis(currency: &str) -> String {
    format!("Cost ({currency})")
}
pub const UNALLOCATED: &str = "Unallocated";
pub fn others(n: usize) -> String {
    format!("Other ({n} groups)")
}
pub fn bucket_title(start: &str, days: u32) -> String {
    if days == 1 {
        start.to_owned()
    } else {
        format!("{start} ({days} days)")
    }
}
pub fn bucket_total(amount: &str) -> String {
    format!("Total: {amount}")
}
pub const CHART_EMPTY: &str = "No cost in this window to draw.";
pub const COST_UNIT: &str = "cost";

// Empty states.
pub const NOT_CONFIGURED: &str = "No cost export is configured";
pub const NOT_CONFIGURED_HINT: &str = "Nagare reads the AWS Data Exports (FOCUS 1.x or CUR 2.0, CSV or Parquet) from a directory or S3, or asks Athena for daily sums. Add a `[cost]` section to the configuration, then restart, or import once with `nagare import-cost PATH_OR_S3_URL`:";
pub const CONFIG_SNIPPET: &str = "[cost]\nteam_tags = [\"user:team\"]\nservice_tags = [\"user:service\"]\n\n[[cost.sources]]\nname = \"aws\"\nlocation = \"s3://my-billing-bucket/exports/focus\"\npoll_secs = 3600\n\n[cost.account_teams]\n\"123456789012\" = \"platform\"";
pub const NO_COST_YET: &str = "No cost stored yet: the first import is pending";
pub const NO_COST_YET_HINT: &str =
    "A source is configured but nothing has been read from it so far. Its billing periods, and why one failed, are on the Cost sources page.";
pub const SEE_COST_SOURCES: &str = "See Cost sources";
pub const NO_COST_FILTERED: &str = "No cost matches these filters";
pub const NO_COST_FILTERED_HINT: &str =
    "Choose a longer window, another team, service or account, or all of them.";

// Anomalies.
pub const ANOMALIES_TITLE: &str = "Anomalies";
pub fn anomalies_rule(threshold: &str, baseline: u32, min_days: u32) -> String {
    format!("A day is an anomaly when |z| > {threshold} against the trailing {baseline} days' median; a day needs {min_days} baseline days to be judged.")
}
pub const DEF_ANOMALY: &str = "z is a robust z-score: 0.6745 · (the day's cost − the median of the trailing days) ÷ their median absolute deviation (MAD); when the MAD is 0, the mean absolute deviation × 1.2533 stands in. Median and MAD are not pulled by the spikes they look for.";
pub const NO_ANOMALIES: &str =
    "No anomalies in this window: every judged day is within the threshold.";
pub const ANOMALIES_TABLE: &str = "Days far from their baseline, largest |z| first";
pub const COL_DAY: &str = "Day";
pub const COL_GROUP: &str = "Group";
pub const COL_COST: &str = "Cost";
pub const COL_MEDIAN: &str = "Baseline median";
pub const COL_EXCESS: &str = "Above median";
pub const COL_Z: &str = "z";
pub const SHOW_CONTRIBUTORS: &str = "Show where the cost came from";
pub const CONTRIBUTORS_CAPTION: &str =
    "The day's cost by account and provider service, largest change against its own baseline median first.";
pub const COL_ACCOUNT: &str = "Account";
pub const COL_PROVIDER_SERVICE: &str = "Provider service";
pub const COL_CHANGE: &str = "Change";
pub const NO_CONTRIBUTORS: &str = "No account or provider service detail for this day.";
pub const FILTER_ACCOUNT: &str = "Only this account";

// Unit cost.
pub const UNIT_TITLE: &str = "Unit cost";
pub const UNIT_CAPTION: &str =
    "Each service's cost against what it delivered in the window, beside its DORA band.";
pub const UNIT_TABLE: &str = "Cost per service, costliest first";
pub const COL_SERVICE: &str = "Service";
pub const COL_TEAMS: &str = "Teams";
pub const COL_DEPLOYMENTS: &str = "Deployments";
pub const COL_PER_DEPLOYMENT: &str = "Per deployment";
pub const COL_FAILED: &str = "Failed changes";
pub const COL_FAILED_COST: &str = "Cost while failed";
pub const COL_PER_MILLION: &str = "Per 1M good SLO events";
pub const COL_BAND: &str = "DORA band";
pub fn recovered(n: u64) -> String {
    format!("{n} recovered")
}
pub const DEF_UNIT: &str = "Per deployment = the service's allocated cost in the window ÷ its successful production deployments. Cost while failed = each day's cost × the share of the day between a failed production deployment and its recovery (still failing: until the window's end). Per 1M good SLO events = cost ÷ the good events of the service's SLOs × 1,000,000. The band is the lowest of the service's DORA bands over the window.";
pub const NO_SERVICES: &str = "No service has allocated cost in this window. Tag resources with `user:service` (or the keys in `cost.service_tags`).";
pub const NO_SLO: &str = "no SLO";
pub const CI_TITLE: &str = "CI";
pub const CI_PER_MINUTE: &str = "Per CI minute";
pub const CI_PER_RUN: &str = "Per pipeline run";
pub fn ci_facts(cost: &str, minutes: &str, runs: u64) -> String {
    format!("{cost} over {minutes} min of {runs} finished pipeline runs")
}
pub const CI_NOT_CONFIGURED: &str = "No CI account configured";
pub const CI_NOT_CONFIGURED_HINT: &str = "List the accounts that run CI in `cost.ci_accounts`, or the allocated services in `cost.ci_services`, to see the cost per CI minute and per pipeline run.";
pub const DEF_CI: &str = "The cost of the CI accounts and services in the window ÷ the minutes (finished − started) of the pipeline runs that finished in it, and ÷ their number.";

// CSV.
pub const DOWNLOAD_CSV: &str = "Download CSV";
pub const DOWNLOAD_CSV_TITLE: &str =
    "Each group's total and its series, as shown, with full precision";

// Cost sources (admins).
pub const SOURCES_TITLE: &str = "Cost sources";
pub const SOURCES_CAPTION: &str =
    "Where cost is read from, and the state of each billing period that was read.";
pub const WHAT_SOURCES: &str = "the cost sources";
pub const SOURCES_TABLE: &str = "Configured sources";
pub const PERIODS_TITLE: &str = "Billing periods";
pub const PERIODS_TABLE: &str = "Billing periods, newest first";
pub const COL_NAME: &str = "Name";
pub const COL_KIND: &str = "Kind";
pub const COL_LOCATION: &str = "Location";
pub const COL_POLL: &str = "Polled";
pub const COL_LAST_POLL: &str = "Last poll";
pub const COL_LAST_RESULT: &str = "Last result";
pub const COL_SOURCE: &str = "Source";
pub const COL_PERIOD: &str = "Billing period";
pub const COL_STATE: &str = "State";
pub const COL_VERSION: &str = "Version";
pub const COL_FORMAT: &str = "Format";
pub const COL_FILES: &str = "Files";
pub const COL_ROWS: &str = "Rows";
pub const COL_SKIPPED: &str = "Skipped rows";
pub const COL_BILLED: &str = "Billed";
pub const COL_EFFECTIVE: &str = "Effective";
pub const COL_INGESTED: &str = "Ingested";
pub const COL_ERROR: &str = "Error";
pub const COL_FILE: &str = "File";
pub const COL_ROW: &str = "Row";
pub const COL_COLUMN: &str = "Column";
pub const COL_MESSAGE: &str = "Message";
pub const IMPORT_ONLY: &str = "only by nagare import-cost";
pub fn every(span: &str) -> String {
    format!("every {span}")
}
pub const NEVER: &str = "never";
pub const NO_PERIODS: &str = "No billing period read yet. The first poll reads every period of the export; `nagare import-cost` reads one at once.";
pub const IMPORTED_ONLY: &str = "No cost source is configured: these billing periods were read by `nagare import-cost`. Add `[[cost.sources]]` to the configuration to poll an export.";
pub const NO_SOURCES: &str = "No cost source configured";
pub const NO_SOURCES_HINT: &str = "Add a `[cost]` section with one `[[cost.sources]]` per export (a directory or `s3://bucket/prefix`, in the Data Exports layout), or `[cost.athena]`, then restart:";
pub fn problems(n: usize) -> String {
    if n == 1 {
        "1 problem".to_owned()
    } else {
        format!("{n} problems")
    }
}
pub const SHOW_PROBLEMS: &str = "Show the bad rows";
pub const WHOLE_FILE: &str = "whole file";
pub fn state_label(state: &str) -> &str {
    match state {
        "ingested" => "ingested",
        "failed" => "failed",
        "waiting" => "waiting for its manifest",
        other => other,
    }
}
pub fn state_title(state: &str) -> &'static str {
    match state {
        "ingested" => "Its current version is stored.",
        "failed" => "The last try was refused; an earlier version, if any, is still stored.",
        "waiting" => "Files are there without a manifest yet: an upload is under way.",
        _ => "",
    }
}
