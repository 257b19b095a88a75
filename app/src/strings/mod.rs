//! Every user-visible sentence of the UI, so that a translation can follow: the shared ones
//! here, a page's own beside it in a file of its name (re-exported, so they read
//! `strings::X` everywhere). Metric definitions repeat `docs/metrics.md` in plain words.

mod teams;
pub use teams::*;

use nagare_core::api::{Benchmark, LeadTimeBasis};
use nagare_core::events::EnvironmentTier;

pub const PRODUCT: &str = "Nagare";
pub const TAGLINE: &str = "Delivery flow";
pub const LOCAL_MODE_BANNER: &str = "Local mode — single user, no sign-in";
pub const SKIP_TO_CONTENT: &str = "Skip to content";
pub const MAIN_NAV: &str = "Main";

pub const NAV_OVERVIEW: &str = "Overview";
pub const NAV_TEAMS: &str = "Teams";
pub const NAV_DEPLOYMENTS: &str = "Deployments";
pub const NAV_INCIDENTS: &str = "Incidents";
pub const NAV_TOKENS: &str = "API tokens";
pub const NAV_AUDIT: &str = "Audit log";

// The user menu and access.
pub const USER_MENU: &str = "Signed-in user";
pub const LOCAL_USER: &str = "Local user";
pub const SIGN_OUT: &str = "Sign out";
pub const SIGNING_OUT: &str = "Signing out…";
pub const NO_TEAM: &str = "no team";
pub const TEAMS: &str = "Teams";
pub const OWN_TEAMS_ONLY: &str = "You see the data of your own teams only.";
pub const SIGN_OUT_FAILED: &str = "Could not sign out";
pub const SIGNING_IN_AGAIN: &str = "your session has ended; taking you to sign-in";
pub const WHAT_SESSION: &str = "your session";
pub const FORBIDDEN_TITLE: &str = "Not allowed";
pub fn forbidden(required: &str, name: &str, role: &str) -> String {
    format!("You need the {required} role to see this page. You are signed in as {name} ({role}).")
}
pub fn role_label(role: &str) -> &str {
    // Role names stay as the configuration spells them; a translation maps them here.
    role
}

pub const NOT_FOUND_TITLE: &str = "Page not found";
pub const NOT_FOUND_BODY: &str = "There is no page at this address.";
pub const NOT_FOUND_LINK: &str = "Go to the overview";

// States.
pub const RETRY: &str = "Retry";
pub const LOADING: &str = "Loading…";
pub const PAGES: &str = "Pages";
pub const ERROR_PREFIX: &str = "Could not load";
pub const NO_DATA: &str = "No data";
pub const SEND_EVENTS_HINT: &str = "Send deployment, commit and incident events with `POST /api/v1/events` (JSON or NDJSON), import a file with `nagare import FILE.ndjson`, or seed a demo organisation with `nagare demo`.";
pub const API_REFERENCE: &str = "API reference";
pub const NAV_API: &str = "API";
pub const NO_DEPLOYMENTS: &str = "No deployments in this period";
pub const NO_DEPLOYMENTS_FILTERED: &str = "No deployments match these filters";
pub const NO_INCIDENTS: &str = "No incidents";
pub const NO_INCIDENTS_HINT: &str = "Incidents arrive as events of kind `incident` through `POST /api/v1/events` or `nagare import`. None match these filters.";

// What failed, for error states.
pub const WHAT_DORA: &str = "the DORA metrics";
pub const WHAT_DEPLOYMENTS: &str = "the deployments";
pub const WHAT_DEPLOYMENT: &str = "this deployment's changes";
pub const WHAT_INCIDENTS: &str = "the incidents";

// Filters.
pub const FILTERS: &str = "Filters";
pub const F_TEAM: &str = "Team";
pub const F_SERVICE: &str = "Service";
pub const F_TIER: &str = "Environment";
pub const F_PERIOD: &str = "Period";
pub const F_BASIS: &str = "Lead time from";
pub const F_BENCHMARK: &str = "Benchmark";
pub const F_STATUS: &str = "Status";
pub const ALL_TEAMS: &str = "All teams";
pub const ALL_SERVICES: &str = "All services";
pub const ALL_TIERS: &str = "All environments";
pub const ALL_INCIDENTS: &str = "All incidents";
pub const OPEN_ONLY: &str = "Open only";
pub const RESOLVED_ONLY: &str = "Resolved only";
pub const CUSTOM_PERIOD: &str = "Custom";

pub fn period_label(days: u32) -> String {
    format!("Last {days} days")
}

pub fn tier_label(tier: EnvironmentTier) -> &'static str {
    match tier {
        EnvironmentTier::Production => "Production",
        EnvironmentTier::Staging => "Staging",
        EnvironmentTier::Testing => "Testing",
        EnvironmentTier::Development => "Development",
        EnvironmentTier::Other => "Other",
    }
}

pub fn basis_label(basis: LeadTimeBasis) -> &'static str {
    match basis {
        LeadTimeBasis::Commit => "Commit (DORA)",
        LeadTimeBasis::PullRequest => "First PR commit (DevLake)",
        LeadTimeBasis::Merge => "Merge (GitLab)",
    }
}

pub fn benchmark_label(benchmark: Benchmark) -> &'static str {
    match benchmark {
        Benchmark::Dora2024 => "DORA 2024",
        Benchmark::Dora2023 => "DORA 2023",
        Benchmark::Dora2021 => "DORA 2021",
    }
}

// Overview.
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

// Deployments page.
pub const DEPLOYMENTS_TITLE: &str = "Deployments";
pub const DEPLOYMENTS_CAPTION: &str = "Newest first. Select a row to see the changes it shipped.";
pub const COL_SERVICE: &str = "Service";
pub const COL_ENVIRONMENT: &str = "Environment";
pub const COL_SHA: &str = "Commit";
pub const COL_FINISHED: &str = "Finished";
pub const COL_LEAD_TIME: &str = "Lead time";
pub const COL_CHANGES: &str = "Changes";
pub const COL_STATUS: &str = "Status";
pub const COL_INCIDENTS: &str = "Incidents";
pub const COL_AUTHOR: &str = "Author";
pub const COL_MESSAGE: &str = "Message";
pub const COL_AUTHORED: &str = "Authored";
pub const COL_PULL_REQUEST: &str = "Pull request";
pub const IN_PROGRESS: &str = "in progress";
pub const CAUSED_FAILURE: &str = "caused a failure";
pub const UNPLANNED: &str = "unplanned";
pub const BASELINE: &str = "baseline";
pub const BASELINE_TITLE: &str =
    "The first deployment of its service: it sets a baseline, its changes do not count.";
pub const INCOMPLETE_GRAPH: &str = "incomplete graph";
pub const FROM_PUSH_LIST: &str = "from push list";
pub const NO_CHANGES: &str =
    "No changes: a baseline deployment, a redeploy of shipped commits, or an unknown sha.";
pub const EXPAND_LABEL: &str = "Show changes of this deployment";
pub const RECOVERED_IN: &str = "recovered in";
pub fn failure_reasons(reasons: &str) -> String {
    format!("Failure: {reasons}")
}

// Paging.
pub const PREV_PAGE: &str = "Previous";
pub const NEXT_PAGE: &str = "Next";
pub fn page_of(first: u64, last: u64, total: u64) -> String {
    format!("{first}–{last} of {total}")
}

// Incidents page.
pub const INCIDENTS_TITLE: &str = "Incidents";
pub const INCIDENTS_CAPTION: &str =
    "Newest first, with the deployment each one is attributed to and the recovery time it counts.";
pub const COL_INCIDENT: &str = "Incident";
pub const COL_SEVERITY: &str = "Severity";
pub const COL_STARTED: &str = "Started";
pub const COL_RESOLVED: &str = "Resolved";
pub const COL_DEPLOYMENT: &str = "Deployment";
pub const COL_ATTRIBUTION: &str = "Attributed by";
pub const COL_RECOVERY: &str = "Recovery time";
pub const OPEN: &str = "Open";
pub fn attribution_label(a: &str) -> &'static str {
    match a {
        "explicit" => "explicit link",
        "window" => "time window",
        "excluded" => "excluded (not caused by a change)",
        _ => "unattributed",
    }
}

// API tokens page.
pub const TOKENS_TITLE: &str = "API tokens";
pub const TOKENS_CAPTION: &str =
    "Tokens let scripts and CI call the API without signing in. Only admins see this page.";
pub const TOKENS_HOW: &str = "Send a token in the `Authorization` header. A token with the `ingest` scope lets a CI job report its deployments:";
pub fn tokens_curl(origin: &str) -> String {
    format!(
        "curl -H \"Authorization: Bearer ngr_…\" -H \"Content-Type: application/json\" \\\n  -X POST {origin}/api/v1/events -d @deployment.json"
    )
}
pub const TOKENS_STORED: &str = "Nagare stores only a hash of each token: the secret is shown once, when you create it. Revoking a token stops it at once.";
pub const NEW_TOKEN: &str = "New token";
pub const TOKEN_NAME: &str = "Name";
pub const TOKEN_NAME_HINT: &str = "What uses it, e.g. ci-ingest";
pub const TOKEN_SCOPES: &str = "Scopes";
pub const SCOPE_READ_HINT: &str = "read every GET endpoint";
pub const SCOPE_INGEST_HINT: &str = "send events (POST /api/v1/events)";
pub const SCOPE_TRIGGER_HINT: &str = "trigger pipeline runs and runbooks";
pub const TOKEN_EXPIRY: &str = "Expires (optional)";
pub const TOKEN_EXPIRY_HINT: &str = "At the end of that day, UTC. Leave empty for no expiry.";
pub const TOKEN_CREATE: &str = "Create token";
pub const TOKEN_CREATING: &str = "Creating…";
pub const TOKEN_NAME_MISSING: &str = "Give the token a name, e.g. ci-ingest.";
pub const TOKEN_SCOPES_MISSING: &str = "Choose at least one scope: read, ingest or trigger.";
pub const TOKEN_BAD_DATE: &str = "The expiry is not a date.";
pub const TOKEN_LIMIT: &str = "Limit to (optional)";
pub const TOKEN_LIMIT_HINT: &str = "Tick teams or services to limit what the token reads and writes to their services (and those services' repositories). Nothing ticked: every service.";
pub const LIMIT_TEAMS: &str = "Teams";
pub const LIMIT_SERVICES: &str = "Services";
pub const LIMIT_TEAMS_SHORT: &str = "teams";
pub const LIMIT_SERVICES_SHORT: &str = "services";
pub const LIMIT_NONE_KNOWN: &str = "None yet: they appear once events name them.";
pub const EVERY_SERVICE: &str = "every service";
pub const COL_LIMIT: &str = "Limited to";
pub fn token_created(name: &str) -> String {
    format!("Token “{name}” created")
}
pub const TOKEN_ONCE: &str = "Copy it now. You won't see it again: Nagare keeps only its hash.";
pub const COPY: &str = "Copy";
pub const COPIED: &str = "Copied";
pub const COPY_FAILED: &str = "Copying failed: select the token and copy it by hand.";
pub const DONE: &str = "Done";
pub const WHAT_TOKENS: &str = "the API tokens";
pub const NO_TOKENS: &str = "No API tokens yet";
pub const NO_TOKENS_HINT: &str =
    "Create one above, then send it as `Authorization: Bearer <token>` from CI or a script.";
pub const COL_NAME: &str = "Name";
pub const COL_PREFIX: &str = "Prefix";
pub const COL_SCOPES: &str = "Scopes";
pub const COL_CREATED_BY: &str = "Created by";
pub const COL_CREATED: &str = "Created";
pub const COL_EXPIRES: &str = "Expires";
pub const COL_LAST_USED: &str = "Last used";
pub const COL_ACTIONS: &str = "Actions";
pub const NEVER: &str = "never";
pub const TOKEN_ACTIVE: &str = "active";
pub const TOKEN_REVOKED: &str = "revoked";
pub const TOKEN_EXPIRED: &str = "expired";
pub const REVOKE: &str = "Revoke";
pub const CONFIRM_REVOKE: &str = "Confirm revoke";
pub const CANCEL: &str = "Cancel";
pub fn revoke_label(name: &str) -> String {
    format!("Revoke the token “{name}”")
}

// Audit log page.
pub const AUDIT_TITLE: &str = "Audit log";
pub const AUDIT_CAPTION: &str =
    "Newest first: sign-ins, sign-outs, API tokens and role-changing configuration reloads. Entries are never changed or removed.";
pub const F_ACTION: &str = "Action";
pub const F_ACTOR: &str = "Actor";
pub const F_ACTOR_HINT: &str = "user id or token:<id>";
pub const ALL_ACTIONS: &str = "All actions";
pub fn action_label(action: &str) -> &str {
    match action {
        "sign_in" => "Sign-in",
        "sign_in_failed" => "Failed sign-in",
        "sign_out" => "Sign-out",
        "token_created" => "Token created",
        "token_revoked" => "Token revoked",
        "config_loaded" => "Configuration loaded",
        other => other,
    }
}
pub const WHAT_AUDIT: &str = "the audit log";
pub const NO_AUDIT: &str = "No audit entries match these filters";
pub const NO_AUDIT_HINT: &str = "Sign-ins, sign-outs, token changes and configuration reloads are recorded here as they happen. Clear the filters to see every entry.";
pub const COL_TIME: &str = "Time";

/// An audit row standing for several occurrences.
pub fn repeated(count: u64, from: &str, to: &str) -> String {
    format!("×{count}, {from} – {to}")
}
pub const COL_ACTOR: &str = "Actor";
pub const COL_ACTION: &str = "Action";
pub const COL_OUTCOME: &str = "Outcome";
pub const COL_DETAIL: &str = "Detail";
pub const COL_IP: &str = "IP";
pub fn outcome_label(outcome: &str) -> &str {
    match outcome {
        "success" => "success",
        "failure" => "failure",
        other => other,
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
