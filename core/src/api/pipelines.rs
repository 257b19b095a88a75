//! The pipelines views' shapes: runs (one row per attempt), a run's detail with its jobs and
//! steps, workflows and their weekly trends, and flaky jobs. Durations are seconds.

use crate::pipelines::{Outcome, Trigger};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// `GET /api/v1/pipelines/runs`: one attempt of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineRunRow {
    /// The attempt's id as the API names it: `<provider>:<id>` (`github:9001-2`).
    pub id: String,
    pub source: String,
    pub provider: String,
    /// The run it is an attempt of (every attempt shares it).
    pub run_id: String,
    pub attempt: Option<u32>,
    pub repo: String,
    /// The services of its repository (a monorepo's run is each of theirs).
    pub services: Vec<String>,
    pub workflow: String,
    pub branch: Option<String>,
    pub sha: Option<String>,
    /// The provider's own words for what started it, and its kind.
    pub trigger: Option<String>,
    pub trigger_kind: Trigger,
    /// The provider's status and conclusion, and the outcome Nagare counts.
    pub status: String,
    pub conclusion: Option<String>,
    pub outcome: Outcome,
    pub queued_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// Its first job's queue time (started − created).
    pub queue_secs: Option<f64>,
    /// Finished − started (else its jobs' span); `null` while it runs.
    pub duration_secs: Option<f64>,
    pub jobs: u32,
    pub failed_jobs: u32,
    /// The run on the provider's site, when its address is known.
    pub url: Option<String>,
    /// The commit on the repository's site, when its address is known.
    pub commit_url: Option<String>,
    /// Set when the run was started from the portal (`trigger_kind` is then `portal`): its
    /// run there and who asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal: Option<PortalOrigin>,
}

/// A provider run started from the portal: the portal's run and its requester.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortalOrigin {
    /// The run's id in the portal (`/api/v1/runs/{id}`).
    pub run: String,
    /// Who asked for it, by name.
    pub requested_by: String,
}

/// One job of an attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineJobRow {
    pub name: String,
    /// The provider's job id, when it gave one.
    pub id: Option<String>,
    /// Its stage category (`lint`, `test`, `build`, …; `other`).
    pub category: String,
    pub status: Option<String>,
    pub conclusion: Option<String>,
    pub outcome: Outcome,
    pub created_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub queue_secs: Option<f64>,
    pub duration_secs: Option<f64>,
    pub steps: Vec<PipelineStepRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineStepRow {
    pub name: String,
    pub number: Option<u32>,
    pub conclusion: Option<String>,
    pub outcome: Outcome,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub duration_secs: Option<f64>,
}

/// `GET /api/v1/pipelines/runs/{id}`: an attempt with its jobs and steps, every attempt of its
/// run, the deployment it produced and the pull request it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineRunDetail {
    pub run: PipelineRunRow,
    /// Its jobs, in the order they were created (started).
    pub job_list: Vec<PipelineJobRow>,
    /// Every attempt of the run, first to last (this one among them).
    pub attempts: Vec<PipelineRunRow>,
    /// A deployment it produced: one detected from it, or one of its sha that started while it
    /// ran.
    pub deployment: Option<String>,
    /// The pull request its sha belongs to (a commit of it, or its merge commit).
    pub pull_request: Option<PullRequestRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullRequestRef {
    pub repo: String,
    pub id: String,
    /// Whether the sha is its merge commit (else one of its own commits).
    pub merge: bool,
}

/// `GET /api/v1/pipelines/workflows`: each workflow run in the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkflowsReport {
    pub from: Timestamp,
    pub to: Timestamp,
    pub workflows: Vec<WorkflowSummary>,
}

/// A workflow's attempts that finished in the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkflowSummary {
    pub repo: String,
    pub workflow: String,
    pub numbers: WorkflowNumbers,
}

/// What a set of attempts adds up to (cancelled and skipped ones are counted apart, and left
/// out of durations and rates).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkflowNumbers {
    pub success: u64,
    pub failure: u64,
    pub cancelled: u64,
    pub skipped: u64,
    pub duration_p50_secs: Option<f64>,
    pub duration_p90_secs: Option<f64>,
    pub queue_p50_secs: Option<f64>,
    pub queue_p90_secs: Option<f64>,
    /// Successes ÷ (successes + failures).
    pub success_rate: Option<f64>,
    /// First attempts that succeeded ÷ first attempts that succeeded or failed.
    pub first_attempt_pass_rate: Option<f64>,
}

/// `GET /api/v1/pipelines/workflows/trend`: one workflow, week by week, and where its runs'
/// time goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkflowTrend {
    pub repo: String,
    pub workflow: String,
    pub from: Timestamp,
    pub to: Timestamp,
    pub numbers: WorkflowNumbers,
    /// Weeks starting on Monday in the query's zone, the first one cut at `from`.
    pub weeks: Vec<WorkflowWeek>,
    /// Its jobs, slowest (median) first.
    pub jobs: Vec<TimeShare>,
    /// Its steps (`job / step`), slowest (median) first, read from the newest `steps_runs`
    /// attempts of the window.
    pub steps: Vec<TimeShare>,
    pub steps_runs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkflowWeek {
    pub start: Timestamp,
    pub numbers: WorkflowNumbers,
}

/// A job's (or step's) time across a workflow's attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimeShare {
    pub name: String,
    pub category: Option<String>,
    pub count: u64,
    pub median_secs: f64,
    pub p90_secs: f64,
    pub mean_secs: f64,
    /// Its summed time ÷ the summed wall time of the attempts it ran in (jobs run in
    /// parallel, so several may have large shares).
    pub share: Option<f64>,
}

/// `GET /api/v1/pipelines/flaky-jobs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlakyReport {
    pub from: Timestamp,
    pub to: Timestamp,
    /// Flaky jobs in the window; `jobs` holds the first 200.
    pub jobs_total: u64,
    /// Most occurrences first (then most time lost).
    pub jobs: Vec<FlakyJob>,
}

/// A job that failed, then passed on the same sha, in a later attempt or run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlakyJob {
    pub repo: String,
    pub workflow: String,
    pub job: String,
    /// Passes after a failure, in the window (by when the pass finished).
    pub occurrences: u64,
    /// Attempts in which it failed before passing.
    pub failed_attempts: u64,
    /// The wall time of those attempts, and the failed job's own time in them.
    pub time_lost_secs: f64,
    pub failed_job_secs: f64,
    pub last_seen: Timestamp,
    /// The newest occurrences (at most 10).
    pub evidence: Vec<FlakyEvidence>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlakyEvidence {
    pub sha: String,
    /// The attempts (`<provider>:<id>`) in which it failed, and the one in which it passed.
    pub failed: Vec<String>,
    pub passed: String,
    pub passed_at: Timestamp,
    pub time_lost_secs: f64,
}
