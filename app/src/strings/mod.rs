//! Every user-visible sentence of the UI, so that a translation can follow: the shared ones
//! here, a page's own beside it in a file of its name (re-exported, so they read
//! `strings::X` everywhere). Metric definitions repeat `docs/metrics.md` in plain words.

mod audit;
pub mod costs;
mod deployments;
mod incidents;
mod overview;
mod pipelines;
mod quick_check;
mod run;
mod runs;
pub mod slos;
mod sources;
mod teams;
mod tokens;
pub use audit::*;
pub use deployments::*;
pub use incidents::*;
pub use overview::*;
pub use pipelines::*;
pub use quick_check::*;
pub use run::*;
pub use runs::*;
pub use sources::*;
pub use teams::*;
pub use tokens::*;

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
pub const NAV_SOURCES: &str = "Sources";

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
        Benchmark::Dora2025 => "DORA 2025 Quick Check (no clusters)",
        Benchmark::Dora2023 => "DORA 2023",
        Benchmark::Dora2021 => "DORA 2021",
    }
}

// Paging.
pub const PREV_PAGE: &str = "Previous";
pub const NEXT_PAGE: &str = "Next";
pub fn page_of(first: u64, last: u64, total: u64) -> String {
    format!("{first}–{last} of {total}")
}

/// `1 change`, `3 changes`.
fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
