//! The SLO pages' strings, kept together so that a translation can follow: read as
//! `strings::slos::X` (`text::X` in `pages/slos`), not re-exported, as several names repeat
//! other pages'. Definitions follow docs/slo.md.

use nagare_core::api::AlertLevel;

pub const NAV_SLOS: &str = "SLOs";

// The list.
pub const SLOS_TITLE: &str = "Service level objectives";
pub const SLOS_CAPTION: &str =
    "Which promises are we about to break? Worst remaining error budget first.";
pub const SLOS_TABLE_CAPTION: &str = "SLOs, worst remaining budget first";
pub const NEW_SLO: &str = "New SLO";
pub const WHAT_SLOS: &str = "the SLOs";
pub const COL_SLO: &str = "SLO";
pub const COL_OBJECTIVE: &str = "Objective";
pub const COL_WINDOW: &str = "Window";
pub const COL_SLI: &str = "SLI";
pub const COL_BUDGET_LEFT: &str = "Budget left";
pub const COL_ALERT: &str = "Alert";
pub fn burn_heading(window: &str) -> String {
    format!("Burn {window}")
}
pub const KIND_RATIO: &str = "ratio";
pub const KIND_LATENCY: &str = "latency";
pub const KIND_PUSHED: &str = "pushed";
pub fn source_label(source: &str) -> String {
    match source {
        "prometheus" => "from Prometheus".to_owned(),
        "pushed" => "pushed samples".to_owned(),
        other => other.to_owned(),
    }
}
pub fn window_kind(kind: &str) -> &str {
    match kind {
        "rolling" => "rolling",
        "calendar" => "calendar",
        other => other,
    }
}
pub fn budget_left(percent: &str) -> String {
    format!("{percent} of the error budget left")
}
pub const NO_EVENTS: &str = "no events yet";
pub fn problems_title(n: usize) -> String {
    if n == 1 {
        "1 SLO definition could not be read (the others loaded):".to_owned()
    } else {
        format!("{n} SLO definitions could not be read (the others loaded):")
    }
}
pub const NO_SLOS: &str = "No SLOs yet";
pub const NO_SLOS_INTRO: &str = "An SLO promises a share of good events over a window, such as 99.9 % of checkout requests succeeding over 30 days. There are three ways to get one:";
pub const WAY_FILES: &str = "Point `[slo] dir` in the configuration at a directory of OpenSLO, Sloth or Pyrra YAML files; they are read at start, and stay read-only here.";
pub const WAY_FORM: &str = "Admins create one here, counting Prometheus queries or pushed samples.";
pub const WAY_PUSHED: &str = "Push good and total counts as `sli_sample` events (`slo`, `bucket_start`, `good`, `total`) through `POST /api/v1/events`.";
pub const SLO_DOCS: &str = "How SLOs, budgets, burn rates and alerts are computed: `docs/slo.md`.";
pub const NO_SLOS_FILTERED: &str = "No SLOs match these filters";
pub const NO_SLOS_FILTERED_HINT: &str = "Choose another team or service, or all of them.";

// Alerts.
pub fn alert_label(level: AlertLevel) -> &'static str {
    match level {
        AlertLevel::Ok => "ok",
        AlertLevel::Ticket => "ticket",
        AlertLevel::Page => "page",
    }
}
pub fn alert_title(level: AlertLevel) -> &'static str {
    match level {
        AlertLevel::Ok => "No alert condition is firing",
        AlertLevel::Ticket => "A slow-burn condition is firing: open a ticket",
        AlertLevel::Page => "A fast-burn condition is firing: page someone",
    }
}

// One SLO.
pub const BACK_TO_SLOS: &str = "SLOs";
pub const BACK_TO_SLO: &str = "Back to the SLO";
pub const WHAT_SLO: &str = "this SLO";
pub fn slo_not_found(id: &str) -> String {
    format!("No SLO “{id}”")
}
pub const SLO_NOT_FOUND_HINT: &str =
    "It may have been deleted, or its definition file may no longer load. The list shows every SLO you may see.";
pub const AT_RISK: &str = "at risk";
pub const AT_RISK_TITLE: &str = "Alerting, or under a quarter of its error budget left";
pub const ABOUT_SLO: &str = "About this SLO";
pub const F_DATA: &str = "Data";
pub const F_ORIGIN: &str = "Defined";
pub const F_TEAMS: &str = "Teams";
pub const F_EVALUATED_AT: &str = "Evaluated at";
pub const NONE: &str = "none";
pub const READ_ONLY: &str = "read-only here";
pub const ORIGIN_UI: &str = "in the portal";
pub const ORIGIN_DEMO: &str = "by the demo organisation";
pub fn origin_file(format: &str, file: &str) -> String {
    let name = match format {
        "openslo" => "OpenSLO",
        "sloth" => "Sloth",
        "pyrra" => "Pyrra",
        other => other,
    };
    format!("{name} file {file}")
}
pub fn data_span(source: &str, from: &str, until: &str) -> String {
    format!("{source}, {from} – {until}")
}
pub fn data_none(source: &str) -> String {
    format!("{source}, nothing held yet")
}
pub fn data_error(e: &str) -> String {
    format!("The last Prometheus sync failed: {e}")
}
pub const SHOW_QUERIES: &str = "What it counts";
pub const F_GOOD_QUERY: &str = "Good events";
pub const F_BAD_QUERY: &str = "Bad events";
pub const F_TOTAL_QUERY: &str = "Total events";
pub const F_HISTOGRAM: &str = "Histogram";
pub const F_THRESHOLD: &str = "Threshold";
pub const PUSHED_NOTE: &str = "Counts arrive as `sli_sample` events naming this SLO's id in `slo`, with `bucket_start`, `good` and `total`, through `POST /api/v1/events`.";
pub const DOWNLOAD_RULES: &str = "Prometheus rules (YAML)";
pub const NO_RULES_PUSHED: &str = "No Prometheus rules: its counts are pushed";
pub const DOWNLOAD_OPENSLO: &str = "OpenSLO (YAML)";
pub const EVALUATE_AT: &str = "Evaluate at";
pub const NOW: &str = "Now";
pub const ADMIN_ACTIONS: &str = "Manage this SLO";
pub const EDIT: &str = "Edit";
pub const DELETE: &str = "Delete";
pub const DELETE_QUESTION: &str = "Delete this SLO and its history?";
pub const DELETE_CONFIRM: &str = "Delete";
pub const DELETE_KEEP: &str = "Keep it";

// Cards.
pub const CARD_REMAINING: &str = "Error budget left";
pub const CARD_CONSUMED: &str = "Budget consumed";
pub const CARD_ALLOWED: &str = "Bad events allowed";
pub const CARD_SLI: &str = "SLI over the window";
pub const CARD_EXHAUSTION: &str = "Budget runs out";
pub fn events_left(n: &str) -> String {
    format!("{n} bad events left")
}
pub fn bad_events(n: &str) -> String {
    format!("{n} bad events so far")
}
pub fn allowed_of(objective: &str, total: &str) -> String {
    format!("outside {objective} of {total} events")
}
pub fn good_of(good: &str, total: &str, bad: &str) -> String {
    format!("{good} good of {total} events ({bad} bad)")
}
pub fn objective_is(objective: &str) -> String {
    format!("objective {objective}")
}
pub const SPENT: &str = "already spent";
pub const NOT_SPENDING: &str = "not being spent";
pub const NO_BURN: &str = "no events to tell";
pub fn in_time(duration: &str) -> String {
    format!("in {duration}")
}
pub fn at_burn(window: &str, burn: &str, when: &str) -> String {
    format!("at the {window} burn ({burn}): {when}")
}
pub const NO_EVENTS_TITLE: &str = "No events in this window yet";
pub const NO_EVENTS_HINT: &str = "The budget, burn rates and charts appear once the SLI has counts: a Prometheus sync, or `sli_sample` events pushed through `POST /api/v1/events`.";

// Charts.
pub const UNIT_SLI: &str = "SLI (%)";
pub const UNIT_BUDGET: &str = "Budget left (%)";
pub const UNIT_TIME: &str = "Time";
pub const SLI_CHART_TITLE: &str = "SLI over the window against the objective (%)";
pub const SLI_CHART_CAPTION: &str =
    "The share of good events in each bucket against the objective (dashed), down to ten budgets below 100 % (deeper dips touch the bottom); thin lines mark deployments, red ones burned 1 % of the budget or more.";
pub const BURNDOWN_TITLE: &str = "Error budget left over the window (%)";
pub const BURNDOWN_CAPTION: &str =
    "The budget left since the window began, at each bucket's end; below the 0 line it is overspent.";
pub const BUDGET_SPENT_LINE: &str = "budget spent";
pub const CHART_EMPTY: &str = "Nothing to plot: no events in this window yet.";
pub fn sli_point(when: &str, sli: &str, bad: &str, total: &str) -> String {
    format!("{when}: {sli} ({bad} bad of {total})")
}
pub fn burn_point(when: &str, left: &str) -> String {
    format!("{when}: {left} left")
}
pub fn marker_title(deployment: &str, when: &str, excess: &str) -> String {
    format!("Deployment {deployment}, finished {when}: {excess} bad events after it")
}

// Alert conditions and burn rates.
pub const ALERTS_HEADING: &str = "Alert conditions";
pub const NO_ALERTS: &str = "No alert conditions are configured.";
pub const COL_SEVERITY: &str = "Severity";
pub const COL_FACTOR: &str = "Burn above";
pub const COL_LONG: &str = "Long window";
pub const COL_SHORT: &str = "Short window";
pub const COL_FIRING: &str = "State";
pub const FIRING: &str = "firing";
pub const NOT_FIRING: &str = "quiet";
pub fn over(span: &str) -> String {
    format!("over {span}")
}
pub const BURNS_HEADING: &str = "Burn rates";
pub const COL_BURN_WINDOW: &str = "Window";
pub const COL_BURN: &str = "Burn rate";
pub const BURN_NOTE: &str =
    "1× spends the budget exactly over the window; 14.4× over an hour spends 2 % of a 30-day budget.";

// Deployments.
pub const DEPLOYMENTS_HEADING: &str = "Deployments, by the budget they burned";
pub fn deployments_caption(span: &str) -> String {
    format!(
        "Each production deployment in the window, ranked by the bad events in the {span} after it finished against the {span} before it."
    )
}
pub fn no_deployments(service: &str) -> String {
    format!("No production deployments of {service} in this window")
}
pub const NO_DEPLOYMENTS_HINT: &str =
    "Deployments arrive as events of kind `deployment`; each one in the window is compared here.";
pub const COL_RANK: &str = "Rank";
pub fn show_all(n: usize) -> String {
    format!("Show all {n} deployments")
}
pub fn show_first(n: usize) -> String {
    format!("Show the first {n} only")
}
pub const COL_DEPLOYMENT: &str = "Deployment";
pub const COL_FINISHED: &str = "Finished";
pub const COL_BAD: &str = "Bad events before → after";
pub const COL_BURN_CHANGE: &str = "Burn before → after";
pub const COL_EXCESS: &str = "Excess bad events";
pub const COL_EXCESS_BUDGET: &str = "Of the budget";
pub const COL_INCIDENTS: &str = "Incidents";
pub fn bad_title(
    bad_before: &str,
    total_before: &str,
    bad_after: &str,
    total_after: &str,
) -> String {
    format!("before: {bad_before} bad of {total_before} · after: {bad_after} bad of {total_after}")
}
pub fn incident_badge(id: &str) -> String {
    format!("incident {id}")
}
pub const INCIDENT_TITLE: &str = "An incident already attributed to this deployment";

// A deployment's SLOs.
pub const DEPLOYMENT_SLOS: &str = "SLOs this deployment affected";
pub const NO_SLO_COVERS: &str = "No SLO covers this service.";
pub const NOT_IN_WINDOW: &str = "Outside this SLO's window, or no data around it.";
pub fn deployment_slos_caption(span: &str) -> String {
    format!("Bad events in the {span} after it finished, against the {span} before it.")
}
pub fn deployment_slos_error(e: &str) -> String {
    format!("Could not load the SLOs of this deployment: {e}")
}
pub fn rank_of(rank: u32, of: u32) -> String {
    format!("{rank} of {of}")
}

// The overview's strip.
pub const AT_RISK_STRIP: &str = "SLOs at risk";
pub const SEE_SLOS: &str = "all SLOs";
pub fn all_within(n: usize) -> String {
    if n == 1 {
        "The SLO is within budget".to_owned()
    } else {
        format!("All {n} SLOs within budget")
    }
}
pub fn at_risk_of(n: usize, total: usize) -> String {
    format!("{n} of {total} at risk")
}
pub fn more(n: usize) -> String {
    format!("{n} more")
}
pub fn left_short(percent: &str) -> String {
    format!("{percent} left")
}
pub fn strip_error(e: &str) -> String {
    format!("Could not load the SLOs: {e}")
}

// The form.
pub const NEW_SLO_TITLE: &str = "New SLO";
pub fn edit_title(name: &str) -> String {
    format!("Edit {name}")
}
pub const READ_ONLY_TITLE: &str = "This SLO is read-only here";
pub fn read_only_hint(origin: &str) -> String {
    format!("It comes from {origin}: change it there, and it is read again at the next start.")
}
pub const F_ID: &str = "Id";
pub const H_ID: &str = "Lower-case letters, digits and `-`; fixed once created.";
pub const F_NAME: &str = "Name";
pub const F_DESCRIPTION: &str = "Description";
pub const CHOOSE_SERVICE: &str = "Choose a service…";
pub const F_OBJECTIVE: &str = "Objective (%)";
pub const H_OBJECTIVE: &str = "The share of good events promised, such as `99.9`.";
pub fn objective_preview(objective: &str, budget: &str) -> String {
    format!("{objective}: an error budget of {budget} % of events")
}
pub const H_WINDOW: &str = "Rolling: `30d`, `28d`, `7d`, `12h`; calendar: `month`, `quarter`.";
pub const F_SLI: &str = "What the SLI counts";
pub const KIND_RATIO_LONG: &str = "Ratio of two Prometheus queries";
pub const KIND_LATENCY_LONG: &str = "Latency: a histogram under a threshold";
pub const KIND_PUSHED_LONG: &str = "Pushed samples";
pub const F_COUNTS: &str = "The first query counts:";
pub const COUNTS_GOOD: &str = "good events";
pub const COUNTS_BAD: &str = "bad events";
pub const F_QUERY: &str = "Good (or bad) events query";
pub const H_QUERY: &str = "PromQL counting events over a range; write the range as `{{window}}`, as in `sum(increase(http_requests_total{code!~\"5..\"}[{{window}}]))`.";
pub const H_HISTOGRAM: &str = "The histogram's `_bucket` series, such as `http_request_duration_seconds_bucket{service=\"checkout\"}`.";
pub const H_THRESHOLD: &str = "In the histogram's unit, matching one of its `le` buckets (`0.3`).";
pub const E_REQUIRED: &str = "Required.";
pub const E_ID: &str =
    "Use lower-case letters, digits and `-` only, starting with a letter or digit.";
pub const E_SERVICE: &str = "Choose the service this SLO belongs to.";
pub const E_OBJECTIVE: &str = "Write a percentage above 0 and below 100, such as 99.9.";
pub const E_THRESHOLD: &str = "Write a number above 0, such as 0.3.";
pub const E_KIND: &str = "Choose what the SLI counts.";
pub const CREATE: &str = "Create SLO";
pub const SAVE: &str = "Save";
pub const SAVING: &str = "Saving…";
