//! The shapes of SLOs (docs/slo.md): `GET /api/v1/slos`, `/slos/{id}`, the SLOs a deployment
//! affected, and the body that creates or edits one. Durations are seconds, ratios are 0–1,
//! percentages are 0–100 (and may go below 0 once a budget is overspent).

use crate::slo::{Severity, Sli};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// `GET /api/v1/slos`: every SLO the caller may see, evaluated at `at`, worst remaining budget
/// first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SloList {
    /// The instant evaluated (the `at` parameter, else now).
    pub at: Timestamp,
    pub slos: Vec<SloStatus>,
    /// Definition files that could not be read (admins only): file, YAML path, problem.
    #[serde(default)]
    pub problems: Vec<SloProblem>,
    /// Whether the caller may create, edit and delete SLOs (admins).
    #[serde(default)]
    pub can_edit: bool,
}

/// Something wrong in an SLO definition file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SloProblem {
    pub file: String,
    /// The YAML path (`spec.objectives[0].target`); empty for the whole document.
    pub path: String,
    pub message: String,
}

/// An SLO evaluated at an instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SloStatus {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub service: String,
    /// The teams owning the service.
    pub teams: Vec<String>,
    /// The target share of good events (`0.999`).
    pub objective: f64,
    pub window: SloWindow,
    /// What it measures.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub sli: Sli,
    /// `openslo:FILE`, `sloth:FILE`, `pyrra:FILE` or `ui`.
    pub origin: String,
    /// Whether it was made in the portal (and so can be edited or deleted there).
    pub editable: bool,
    /// Each bucket's width.
    pub step_secs: i64,
    /// Good and total events in the window.
    pub good: f64,
    pub total: f64,
    /// good ÷ total over the window; absent without events.
    pub sli_value: Option<f64>,
    /// The error budget over the window; absent without events.
    pub budget: Option<SloBudget>,
    /// The burn rate over 5m, 30m, 1h, 2h, 6h, 1d and 3d.
    pub burn_rates: Vec<BurnRate>,
    /// The loudest alert firing: `ok`, `ticket` or `page`.
    pub alert: AlertLevel,
    /// Each multi-window condition.
    pub alerts: Vec<AlertWindow>,
    /// When the remaining budget runs out at the current 1d and 7d burn.
    pub exhaustion: Exhaustion,
    /// Whether it is at risk: alerting, or under a quarter of its budget left.
    pub at_risk: bool,
    /// Where its counts come from, and how far they reach.
    pub data: SliData,
}

crate::named_enum! {
    /// How loud an SLO's alert is.
    #[derive(PartialOrd, Ord)]
    pub enum AlertLevel as "alert level" {
        Ok = "ok",
        Ticket = "ticket",
        Page = "page",
    }
}

impl From<Severity> for AlertLevel {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Ok => AlertLevel::Ok,
            Severity::Ticket => AlertLevel::Ticket,
            Severity::Page => AlertLevel::Page,
        }
    }
}

/// An SLO's window at the instant evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SloWindow {
    /// `rolling` or `calendar`.
    pub kind: String,
    /// `30d`, `28d`, `month`, `quarter`…
    pub label: String,
    /// `[start, end)`: a calendar window is its period to date.
    pub start: Timestamp,
    pub end: Timestamp,
    /// The length the budget is spread over (a rolling window's, or the whole period's).
    pub span_secs: i64,
    /// The zone calendar periods are read in.
    pub timezone: String,
}

/// The error budget over the window, in events and in percent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SloBudget {
    /// Bad events the window allows: (1 − objective) × total.
    pub allowed: f64,
    /// Bad events so far.
    pub consumed: f64,
    /// allowed − consumed (negative once overspent).
    pub remaining: f64,
    /// consumed ÷ allowed × 100.
    pub consumed_percent: f64,
    /// 100 − consumed_percent: 1 − (bad ÷ total) ÷ (1 − objective), in percent.
    pub remaining_percent: f64,
}

/// The burn rate over one window ending at the instant evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BurnRate {
    /// `5m`, `30m`, `1h`, `2h`, `6h`, `1d`, `3d`.
    pub window: String,
    pub secs: i64,
    /// error ratio ÷ (1 − objective); absent without events.
    pub burn: Option<f64>,
}

/// One multi-window, multi-burn-rate condition: it fires when the burn rate is strictly above
/// `factor` over both windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertWindow {
    pub severity: AlertLevel,
    pub factor: f64,
    pub long_secs: i64,
    pub short_secs: i64,
    pub long_burn: Option<f64>,
    pub short_burn: Option<f64>,
    pub firing: bool,
}

/// The budget's exhaustion forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Exhaustion {
    pub burn_1d: Option<f64>,
    pub burn_7d: Option<f64>,
    /// Seconds until the remaining budget is spent at the 1d burn (0: spent already; absent:
    /// it is not being spent).
    pub at_1d_burn_secs: Option<i64>,
    pub at_7d_burn_secs: Option<i64>,
}

/// Where an SLO's counts come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SliData {
    /// `prometheus` or `pushed`.
    pub source: String,
    /// The first bucket's start and the last bucket's end held.
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Prometheus only: what the last sync said went wrong.
    pub last_error: Option<String>,
}

/// `GET /api/v1/slos/{id}`: the SLO, its series over the window, and each production deployment
/// of its service in the window, ranked by the budget it burned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SloDetail {
    pub at: Timestamp,
    pub slo: SloStatus,
    /// The window in at most ~720 points.
    pub series: Vec<SloPoint>,
    /// Each point's width.
    pub series_step_secs: i64,
    /// The span compared before and after each deployment.
    pub attribution_secs: i64,
    pub deployments: Vec<DeploymentBurn>,
    pub can_edit: bool,
}

/// One point of an SLO's series: the bucket `[start, start + series_step_secs)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SloPoint {
    pub start: Timestamp,
    pub good: f64,
    pub total: f64,
    /// good ÷ total in the bucket.
    pub sli: Option<f64>,
    /// The budget left at the bucket's end, counted from the window's start (the burn-down):
    /// 1 − (bad ÷ total) ÷ (1 − objective) over `[window start, bucket end)`, in percent.
    pub remaining_percent: Option<f64>,
}

/// The budget one deployment burned: bad events in the span after it finished against the same
/// span before it, both half-open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeploymentBurn {
    /// 1 for the deployment that burned the most.
    pub rank: u32,
    pub deployment: String,
    pub service: String,
    pub environment: String,
    /// The commit deployed.
    pub version: Option<String>,
    pub finished_at: Timestamp,
    pub good_before: f64,
    pub total_before: f64,
    pub good_after: f64,
    pub total_after: f64,
    pub burn_before: Option<f64>,
    pub burn_after: Option<f64>,
    /// bad after − bad before (negative when it made things better).
    pub excess_bad: f64,
    /// `excess_bad` as a percentage of the SLO's current window budget.
    pub excess_budget_percent: Option<f64>,
    /// The incidents it is already linked to (as their cause).
    pub incidents: Vec<String>,
}

/// `GET /api/v1/deployments/{id}/slos`: the SLOs of the deployment's service and what it burned
/// of each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeploymentSlos {
    pub deployment: String,
    pub attribution_secs: i64,
    pub slos: Vec<DeploymentSlo>,
}

/// One SLO a deployment affected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeploymentSlo {
    pub id: String,
    pub name: String,
    pub objective: f64,
    pub alert: AlertLevel,
    pub remaining_percent: Option<f64>,
    /// Its burn (absent when the deployment is outside the SLO's window or has no data).
    pub burn: Option<DeploymentBurn>,
    /// Of how many deployments in the window ranked.
    pub ranked_of: u32,
}

/// The body of `POST /api/v1/slos` and `PUT /api/v1/slos/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SloInput {
    /// Lower-case letters, digits and `-` (`checkout-availability`); fixed once created.
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub service: String,
    /// 0 < objective < 1 (`0.999`).
    pub objective: f64,
    /// `30d`, `28d`, `7d`, `12h` (rolling), `month` or `quarter` (calendar).
    pub window: String,
    /// `{"kind":"ratio","good":…,"total":…}`, `{"kind":"latency","histogram":…,"threshold":…}`
    /// or `{"kind":"pushed"}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub sli: Sli,
}
