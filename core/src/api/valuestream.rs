//! The value stream's shapes. Durations are seconds.

use crate::time::Timestamp;
use crate::valuestream::ChainName;
use serde::{Deserialize, Serialize};

/// `GET /api/v1/metrics/value-stream`: where merged pull requests' time went, stage by stage,
/// from their first commit to their first production deployment, for those deployed in the
/// window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueStreamReport {
    pub from: Timestamp,
    pub to: Timestamp,
    pub service: Option<String>,
    pub team: Option<String>,
    /// The chain of stages used.
    pub chain: ChainName,
    /// Whether that is the chain configured for the team (`metrics.value_stream_chains`),
    /// used because the query named none.
    #[serde(default)]
    pub chain_configured: bool,
    /// Pull requests counted (those whose first production deployment finished in the window).
    pub pull_requests: u64,
    /// Their totals: each equals its lead time on the `pull_request` basis.
    pub total: Option<SpanStats>,
    /// Each stage of the chain, in order, then each merged stage that occurred (its own row).
    pub stages: Vec<StageRow>,
    /// The default stage with the largest time share (merged rows never are).
    pub bottleneck: Option<String>,
    /// Σ active time ÷ Σ total time; active: coding, build & test and deploy (merged stages
    /// count as waiting).
    pub flow_efficiency: Option<f64>,
    pub data_quality: ValueStreamQuality,
    /// The same report for each bucket when `interval` is given (no series of their own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub series: Option<Vec<ValueStreamReport>>,
}

/// Median, p75, p90, mean and count of spans.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpanStats {
    pub count: u64,
    pub median: f64,
    pub p75: f64,
    pub p90: f64,
    pub mean: f64,
}

/// One stage (or merged stage) across the pull requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageRow {
    /// `review`, or `pickup+review` for a merged stage.
    pub key: String,
    pub label: String,
    pub merged: bool,
    /// Work (coding, build & test, deploy), else waiting.
    pub active: bool,
    pub stats: Option<SpanStats>,
    /// Its summed time ÷ the pull requests' summed totals (the rows' shares add up to 1).
    pub share: f64,
    pub bottleneck: bool,
    /// Build & test only: per stage category, the mean time per pull request with at least
    /// one job of that category running (jobs run in parallel, so these overlap).
    pub breakdown: Vec<CategoryTime>,
    /// Its slowest pull requests (at most 10).
    pub slowest: Vec<PrSpan>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryTime {
    pub category: String,
    pub mean_secs: f64,
    /// Pull requests with a job of it in their build & test.
    pub pull_requests: u64,
}

/// A pull request's time in one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrSpan {
    pub repo: String,
    pub id: String,
    pub secs: f64,
    pub total_secs: f64,
    /// Its first production deployment.
    pub deployment: String,
}

/// What the definitions changed or left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueStreamQuality {
    /// Negative stages (clock skew) merged with a neighbour.
    pub negative_stages_merged: u64,
    /// Pull requests left out: deployed before their first commit (a negative total).
    pub negative_totals: u64,
    /// Pull requests missing each event (their neighbouring stages merged), by event.
    pub missing: Vec<MissingEvent>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MissingEvent {
    pub event: crate::valuestream::Point,
    pub pull_requests: u64,
}

/// `GET /api/v1/pull-requests/{repo}/{number}/journey`: one pull request's way from its first
/// commit to production, and any incident it caused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Journey {
    pub repo: String,
    pub id: String,
    pub source: String,
    /// Its events (`null`: missing), as the value stream reads them.
    pub events: Vec<JourneyEvent>,
    /// Its stages along the default chain (when it reached production).
    pub stages: Vec<JourneyStage>,
    pub total_secs: Option<f64>,
    pub commits: Vec<JourneyCommit>,
    /// The CI runs on its commits and its merge commit, each attempt.
    pub runs: Vec<crate::api::PipelineRunRow>,
    /// Its first production deployment, when it has one.
    pub deployment: Option<String>,
    /// Incidents attributed to that deployment.
    pub incidents: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JourneyEvent {
    pub event: crate::valuestream::Point,
    pub at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JourneyStage {
    pub key: String,
    pub label: String,
    pub from: Timestamp,
    pub to: Timestamp,
    pub secs: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JourneyCommit {
    pub sha: String,
    pub authored_at: Option<Timestamp>,
    /// Whether it is the merge commit.
    pub merge: bool,
}
