//! The JSON shapes of the public HTTP API (`/api/v1`), shared by the server and the app.
//! `docs/api.md` fixes the DORA reply; fields may be added, never renamed or removed.

use crate::events::{ChangeType, DeploymentStatus, EnvironmentTier};
pub use crate::query::{
    AuditQuery, CostQuery, DeliveryQuery, DeploymentQuery, DoraParams, IncidentQuery,
    PipelineRunQuery, PipelineWindowParams, SloAtQuery, SloQuery, ValueStreamParams,
};
pub use cost::*;
pub use pipelines::*;
pub use slo::*;
pub use sources::*;
pub use triggers::*;
pub use valuestream::*;

mod cost;
mod pipelines;
mod slo;
mod sources;
mod triggers;
mod valuestream;
pub use crate::dora::quick_check::Peers;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

crate::named_enum! {
    /// A performance level from a DORA benchmark table.
    #[derive(PartialOrd, Ord)]
    pub enum Band as "band" {
        Elite = "elite",
        High = "high",
        Medium = "medium",
        Low = "low",
    }
}

crate::named_enum! {
    /// Which published DORA table assigns bands.
    #[derive(Default)]
    pub enum Benchmark as "benchmark" {
        #[default]
        Dora2024 = "dora-2024",
        /// dora.dev's Quick Check scores: no clusters, so no bands.
        Dora2025 = "dora-2025",
        Dora2023 = "dora-2023",
        Dora2021 = "dora-2021",
    }
}

crate::named_enum! {
    /// What a change's lead time is measured from.
    #[derive(Default)]
    pub enum LeadTimeBasis as "lead-time basis" {
        /// Commit authored → deployed (DORA).
        #[default]
        Commit = "commit",
        /// First commit of the pull request → deployed (DevLake).
        PullRequest = "pull_request",
        /// Pull request merged → deployed (GitLab).
        Merge = "merge",
    }
}

crate::named_enum! {
    /// Bucket size for the `series` of a DORA reply.
    #[derive(Default)]
    pub enum Interval as "interval" {
        #[default]
        All = "all",
        Day = "day",
        Week = "week",
        Month = "month",
    }
}

/// A validated DORA query: half-open window `[from, to)` and filters.
#[derive(Debug, Clone, PartialEq)]
pub struct DoraQuery {
    pub from: Timestamp,
    pub to: Timestamp,
    pub service: Option<String>,
    pub team: Option<String>,
    pub environment_tier: EnvironmentTier,
    pub basis: LeadTimeBasis,
    pub benchmark: Benchmark,
    pub interval: Interval,
    /// IANA zone for day/week/month buckets; UTC when `None`.
    pub time_zone: Option<chrono_tz::Tz>,
    /// The DORA 2025 peer group the Quick Check compares with (with `dora-2025` only).
    pub peers: Peers,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Window {
    pub from: Timestamp,
    pub to: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Filters {
    pub service: Option<String>,
    pub team: Option<String>,
    pub environment_tier: EnvironmentTier,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeploymentFrequency {
    /// Successful deployments (of the tier) that finished in the window.
    pub deployments: u64,
    /// Distinct days (in the query's zone) with at least one of them.
    pub deployment_days: u64,
    pub per_day: f64,
    pub per_week: f64,
    pub median_deployment_days_per_week: f64,
    /// Never `null` with a table of clusters (no deployments is `low`); always `null` with
    /// `dora-2025`, which has none.
    pub band: Option<Band>,
    /// Deployment attempts with status `failure` that finished in the window (never changed production).
    #[serde(default)]
    pub failed_attempts: u64,
    /// failed_attempts ÷ (failed_attempts + deployments); `null` with no attempts.
    #[serde(default)]
    pub deploy_job_failure_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeLeadTime {
    pub basis: LeadTimeBasis,
    pub changes: u64,
    /// Seconds; interpolated median.
    pub median: Option<f64>,
    pub p75: Option<f64>,
    pub p90: Option<f64>,
    pub mean: Option<f64>,
    pub band: Option<Band>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeFailureRate {
    pub deployments: u64,
    pub failed: u64,
    pub rate: Option<f64>,
    pub band: Option<Band>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryTime {
    pub recoveries: u64,
    pub median: Option<f64>,
    pub p90: Option<f64>,
    pub mean: Option<f64>,
    pub band: Option<Band>,
    /// Failed deployments in the window not yet recovered (open incidents, no remediation).
    #[serde(default)]
    pub unrecovered: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReworkRate {
    pub deployments: u64,
    pub unplanned: u64,
    pub rate: Option<f64>,
}

/// What was left out or approximated, so that a number is never silently wrong.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataQuality {
    /// Changes whose span was negative (deployed before they were made): left out of the stats.
    pub negative_lead_times: u64,
    /// Deployments whose commit graph was incomplete (unknown sha or missing parents).
    pub incomplete_graph_deployments: u64,
    /// Changes taken from a deployment's pushed commit list because the graph was incomplete.
    pub fallback_changes: u64,
    /// Baseline deployments (the first of a service): their changes do not count for lead time.
    pub baseline_deployments: u64,
    /// Incidents in the window attributed to no deployment (listed, not counted).
    pub unattributed_incidents: u64,
    /// Human sentences for the UI.
    pub notes: Vec<String>,
}

/// The reply of `GET /api/v1/metrics/dora`. Durations are seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DoraReport {
    pub window: Window,
    pub filters: Filters,
    pub benchmark: Benchmark,
    pub deployment_frequency: DeploymentFrequency,
    pub change_lead_time: ChangeLeadTime,
    pub change_failure_rate: ChangeFailureRate,
    pub recovery_time: RecoveryTime,
    pub rework_rate: ReworkRate,
    #[serde(default)]
    pub data_quality: DataQuality,
    /// With `benchmark=dora-2025`: dora.dev's Quick Check scores of these metrics against the
    /// `peers` group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_check: Option<QuickCheck>,
    /// One report per bucket when `interval` is not `all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub series: Option<Vec<DoraReport>>,
}

/// dora.dev's Quick Check (DORA 2025) of a window's metrics: each on a 0–10 scale where 10 is
/// best, against a peer group's mean and standard deviation on the same scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuickCheck {
    /// The Quick Check edition: `2025`.
    pub edition: String,
    /// The peer group: `industry:<key>` or `size:<key>`.
    pub peers: String,
    /// The peer group in dora.dev's words ("All industries", "1,000 to 4,999 employees").
    pub peer_name: String,
    /// The mean of the five metric scores that have a value.
    pub overall: QuickCheckScore,
    /// Software delivery throughput: the mean of lead time, deployment frequency and recovery.
    pub throughput: QuickCheckScore,
    /// Software delivery stability, 10 − the report's instability: the mean of change fail
    /// rate and rework rate.
    pub stability: QuickCheckScore,
    pub deployment_frequency: QuickCheckScore,
    pub change_lead_time: QuickCheckScore,
    pub change_failure_rate: QuickCheckScore,
    pub recovery_time: QuickCheckScore,
    pub rework_rate: QuickCheckScore,
}

/// One Quick Check score and its peer group's spread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuickCheckScore {
    /// 0–10, 10 best; `null` when the metric has no value.
    pub score: Option<f64>,
    /// The Quick Check answer (1 worst – 6 best) the measured value falls in: lead time,
    /// deployment frequency and recovery time only.
    pub answer: Option<u8>,
    /// That answer in the Quick Check's words ("One day to one week").
    pub answer_text: Option<String>,
    /// The peer group's mean score.
    pub peer_mean: f64,
    /// The peer group's standard deviation.
    pub peer_sd: f64,
}

/// The reply of `GET /api/v1/metrics/dora/teams`: one row per team, the window against the
/// previous one of the same length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamsDoraReport {
    pub window: Window,
    /// `[from − (to − from), from)`.
    pub previous_window: Window,
    pub environment_tier: EnvironmentTier,
    pub lead_time_basis: LeadTimeBasis,
    pub benchmark: Benchmark,
    /// By team name.
    pub teams: Vec<TeamDora>,
}

/// One team's metrics: its services' deployments, as `GET /api/v1/metrics/dora?team=…` counts
/// them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamDora {
    pub team: String,
    pub display_name: Option<String>,
    pub services: Vec<String>,
    pub current: DoraReport,
    pub previous: DoraReport,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// A deployment with what was derived for it. Newest first in lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeploymentRow {
    pub id: String,
    pub source: String,
    pub service: String,
    pub environment: String,
    pub environment_tier: EnvironmentTier,
    pub status: DeploymentStatus,
    pub change_type: ChangeType,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub sha: String,
    /// `{repo_url}/commit/{sha}` when the service names its repository's web address.
    pub sha_url: Option<String>,
    /// Commits first deployed by this deployment.
    pub changes: u64,
    /// Median commit lead time of those changes, seconds (`null` for a baseline or no changes).
    pub lead_time: Option<f64>,
    /// The first successful deployment of its service and tier: sets a baseline only.
    pub baseline: bool,
    /// The commit graph was incomplete; changes may come from the pushed commit list.
    pub incomplete_graph: bool,
    /// Incidents attributed to this deployment.
    pub incidents: Vec<String>,
    /// Whether this successful deployment caused a failure, and why.
    pub failed: bool,
    pub failure_reasons: Vec<String>,
    /// Seconds from the end of this (failed) deployment to recovery, when recovered.
    pub recovery_time: Option<f64>,
    /// Hotfix, rollback, or remediates an incident.
    pub unplanned: bool,
}

/// One change (commit) first deployed by a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeRow {
    pub sha: String,
    pub author: Option<String>,
    pub message: Option<String>,
    pub authored_at: Timestamp,
    /// Seconds from authored to deployed; negative spans are reported as they are.
    pub lead_time: f64,
    /// `repo#id` of the pull request that carried the commit, when known.
    pub pull_request: Option<String>,
    /// Came from the deployment's pushed commit list rather than the graph walk.
    pub from_push_list: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeploymentDetail {
    #[serde(flatten)]
    pub deployment: DeploymentRow,
    pub change_list: Vec<ChangeRow>,
}

crate::named_enum! {
    /// How an incident was tied to a deployment.
    pub enum Attribution as "attribution" {
        /// The incident named its deployment.
        Explicit = "explicit",
        /// The latest earlier production deployment within the attribution window.
        Window = "window",
        /// Marked as not caused by a deployment.
        Excluded = "excluded",
        /// No deployment fits.
        None = "none",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentRow {
    pub id: String,
    pub source: String,
    pub service: String,
    pub title: Option<String>,
    pub severity: Option<String>,
    pub started_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub open: bool,
    pub excluded: bool,
    pub attribution: Attribution,
    pub deployment: Option<String>,
    /// Seconds from started to resolved.
    pub duration: Option<f64>,
    /// Seconds from the end of the attributed deployment to recovery (see the metric definition).
    pub recovery_time: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceRow {
    pub name: String,
    pub repo: Option<String>,
    pub repo_url: Option<String>,
    pub teams: Vec<String>,
    pub path_prefix: Option<String>,
    pub tier: Option<String>,
    pub deployments: u64,
    pub last_deployed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamRow {
    pub name: String,
    pub display_name: Option<String>,
    pub members: Vec<String>,
    pub services: Vec<String>,
}

/// The reply of `POST /api/v1/events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IngestReply {
    pub accepted: u64,
    pub updated: u64,
}

/// `GET /api/v1/session`: who is using the portal, and how it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    /// The signed-in user's stable id (`sub`), or `local` in local mode.
    pub user: String,
    /// `viewer`, `engineer` or `admin` (see [`Role`]).
    pub role: String,
    pub local_mode: bool,
    pub version: String,
    /// The time zone the server buckets series in by default.
    pub time_zone: String,
    /// Display name (the `name` claim, else the email, else the id).
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    /// Teams from the user's groups.
    #[serde(default)]
    pub teams: Vec<String>,
    /// Whether this user may see every team (else only `teams`).
    #[serde(default = "yes")]
    pub sees_all_teams: bool,
    /// Send as `x-csrf-token` on every POST, PUT, PATCH and DELETE.
    #[serde(default)]
    pub csrf_token: String,
}

fn yes() -> bool {
    true
}

crate::named_enum! {
    /// What a user may do. Ordered: a higher role includes the lower ones.
    #[derive(PartialOrd, Ord)]
    pub enum Role as "role" {
        /// Reads everything it is allowed to see.
        Viewer = "viewer",
        /// Also triggers runs for the services of their own teams.
        Engineer = "engineer",
        /// Everything, including API tokens, configuration views and the audit log.
        Admin = "admin",
    }
}

crate::named_enum! {
    /// What an API token may do.
    #[derive(PartialOrd, Ord)]
    pub enum TokenScope as "token scope" {
        /// Read every `GET` endpoint.
        Read = "read",
        /// `POST /api/v1/events`.
        Ingest = "ingest",
        /// Trigger pipeline runs and runbooks.
        Trigger = "trigger",
    }
}

/// An API token as listed (the secret is never shown again after creation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiTokenRow {
    pub id: String,
    pub name: String,
    pub scopes: Vec<TokenScope>,
    /// The first characters of the secret, to recognise it (`ngr_3f9a…`).
    pub prefix: String,
    pub created_by: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// When set, the token reaches only these teams' services (and `services`); both empty:
    /// every service.
    #[serde(default)]
    pub teams: Vec<String>,
    #[serde(default)]
    pub services: Vec<String>,
}

/// `POST /api/v1/tokens`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewApiToken {
    pub name: String,
    pub scopes: Vec<TokenScope>,
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// Limit the token to these teams' services…
    #[serde(default)]
    pub teams: Vec<String>,
    /// …and to these services (both empty: every service).
    #[serde(default)]
    pub services: Vec<String>,
}

/// The reply to `POST /api/v1/tokens`: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiToken {
    #[serde(flatten)]
    pub token: ApiTokenRow,
    /// Send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// One line of the audit log (`GET /api/v1/audit`, admins only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRow {
    pub id: i64,
    pub at: Timestamp,
    /// Who acted: a user id, `token:<id>`, `local`, or `anonymous`.
    pub actor: String,
    /// `sign_in`, `sign_in_failed`, `sign_out`, `token_created`, `token_revoked`, `config_loaded`.
    pub action: String,
    /// `success` or `failure`.
    pub outcome: String,
    /// What happened, in a sentence (never a secret; at most 512 characters, marked when cut).
    pub detail: String,
    pub ip: Option<String>,
    /// How many times it happened: repeats (failed sign-ins from one address) are one row.
    #[serde(default = "one")]
    pub count: u64,
    /// With `count` > 1: the last time, `at` being the first.
    #[serde(default)]
    pub until: Option<Timestamp>,
}

fn one() -> u64 {
    1
}

/// Every error body: a human sentence plus optional detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// On 401: where to sign in (append `?return_to=<path>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_url: Option<String>,
    /// On 403: the role the request needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_role: Option<Role>,
    /// On 403 for an event outside the caller's scope: the service it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}
