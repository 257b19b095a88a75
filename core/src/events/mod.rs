//! Canonical events: the shapes accepted by `POST /api/v1/events` and `nagare import`.
//!
//! An event is identified by `(kind, source, id)`; posting it again replaces it in place.
//! `docs/api.md` is the public contract these types implement.

use crate::time::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};

mod parse;
mod strict;
pub use parse::{parse_batch, parse_line, parse_numbered, BatchError, EventError};
pub use strict::strict_value;

fn default_source() -> String {
    "api".to_owned()
}

/// [`string_or_number`], optional.
fn opt_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        S(String),
        N(i64),
    }
    match Option::<Either>::deserialize(d) {
        Ok(Some(Either::S(s))) => Ok(Some(s)),
        Ok(Some(Either::N(n))) => Ok(Some(n.to_string())),
        Ok(None) => Ok(None),
        Err(_) => Err(serde::de::Error::custom(
            "expected a string, an integer or null",
        )),
    }
}

/// A string that may arrive as a JSON number too (pull-request numbers, pipeline run ids).
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        S(String),
        N(i64),
    }
    match Either::deserialize(d) {
        Ok(Either::S(s)) => Ok(s),
        Ok(Either::N(n)) => Ok(n.to_string()),
        Err(_) => Err(serde::de::Error::custom("expected a string or an integer")),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Commit {
    #[serde(default = "default_source")]
    pub source: String,
    pub repo: String,
    pub sha: String,
    /// Parent shas; empty for a root commit. Two or more for a merge.
    #[serde(default)]
    pub parents: Vec<String>,
    #[serde(default)]
    pub author: Option<String>,
    pub authored_at: Timestamp,
    #[serde(default)]
    pub committed_at: Option<Timestamp>,
    #[serde(default)]
    pub message: Option<String>,
    /// The paths the commit changed (against its first parent; every path of a root commit).
    /// Absent when not known: the commit then counts as a change of every service of its
    /// repository. A service with a `path_prefix` counts only the commits that touch it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullRequest {
    #[serde(default = "default_source")]
    pub source: String,
    pub repo: String,
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    pub opened_at: Timestamp,
    #[serde(default)]
    pub first_review_at: Option<Timestamp>,
    /// When the last approval was given (the value stream's "approved" event).
    #[serde(default)]
    pub approved_at: Option<Timestamp>,
    #[serde(default)]
    pub merged_at: Option<Timestamp>,
    #[serde(default)]
    pub merge_commit: Option<String>,
    /// The shas of the pull request's own commits.
    #[serde(default)]
    pub commits: Vec<String>,
}

crate::named_enum! {
    #[derive(PartialOrd, Ord)]
    pub enum DeploymentStatus as "deployment status" {
        Success = "success",
        Failure = "failure",
        InProgress = "in_progress",
        Cancelled = "cancelled",
    }
}

crate::named_enum! {
    #[derive(Default)]
    pub enum ChangeType as "change type" {
        #[default]
        Normal = "normal",
        Hotfix = "hotfix",
        Rollback = "rollback",
    }
}

crate::named_enum! {
    /// Environment tiers, as GitLab names them.
    #[derive(PartialOrd, Ord, Default)]
    pub enum EnvironmentTier as "environment tier" {
        #[default]
        Production = "production",
        Staging = "staging",
        Testing = "testing",
        Development = "development",
        Other = "other",
    }
}

impl EnvironmentTier {
    /// GitLab's default mapping from an environment name to its tier.
    pub fn from_environment_name(name: &str) -> Self {
        let n = name.to_ascii_lowercase();
        let has = |words: &[&str]| {
            words
                .iter()
                .any(|w| n.split(['-', '_', '/', '.', ' ']).any(|p| p == *w))
        };
        if has(&["prod", "production", "live"]) {
            EnvironmentTier::Production
        } else if has(&["stag", "staging", "model", "demo", "pre", "preprod"]) {
            EnvironmentTier::Staging
        } else if has(&["test", "testing", "qc", "qa"]) {
            EnvironmentTier::Testing
        } else if has(&["dev", "development", "review", "trunk"]) {
            EnvironmentTier::Development
        } else {
            EnvironmentTier::Other
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deployment {
    #[serde(default = "default_source")]
    pub source: String,
    pub id: String,
    pub service: String,
    pub environment: String,
    /// Overrides the tier mapped from the environment name.
    #[serde(default)]
    pub environment_tier: Option<EnvironmentTier>,
    pub status: DeploymentStatus,
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    #[serde(default)]
    pub finished_at: Option<Timestamp>,
    pub sha: String,
    #[serde(default)]
    pub change_type: ChangeType,
    /// The id of an incident this deployment remediates.
    #[serde(default)]
    pub remediates: Option<String>,
    /// Set when a deployment that succeeded was later judged to have failed in production
    /// (for example by a reviewer in the portal). It then counts as a change failure.
    #[serde(default)]
    pub marked_failed: bool,
    /// The commits pushed with this deployment, as a push event lists them. Used only when the
    /// commit graph is incomplete.
    #[serde(default)]
    pub commits: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Incident {
    #[serde(default = "default_source")]
    pub source: String,
    pub id: String,
    pub service: String,
    #[serde(default)]
    pub title: Option<String>,
    pub started_at: Timestamp,
    #[serde(default)]
    pub resolved_at: Option<Timestamp>,
    #[serde(default)]
    pub severity: Option<String>,
    /// A deployment id (or a deployed sha) named as the cause. Wins over time-window attribution.
    #[serde(default)]
    pub caused_by_deployment: Option<String>,
    /// Not caused by a deployment: listed, never attributed.
    #[serde(default)]
    pub excluded: bool,
    #[serde(default)]
    pub remediated_by_deployment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineJob {
    pub name: String,
    /// The provider's job id, when it has one (a re-sent job replaces the one with its id).
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub conclusion: Option<String>,
    /// Queued; the job's queue time is `started_at - created_at`.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    #[serde(default)]
    pub finished_at: Option<Timestamp>,
    #[serde(default)]
    pub steps: Vec<PipelineStep>,
}

/// One step of a pipeline job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineStep {
    pub name: String,
    #[serde(default)]
    pub number: Option<u32>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    #[serde(default)]
    pub finished_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PipelineRun {
    #[serde(default = "default_source")]
    pub source: String,
    pub provider: String,
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// The run this attempt is of: the same for every attempt (`id` is `<run_id>-<attempt>`).
    /// Absent, it is read off `id` (the part before `-<attempt>`), or is `id` itself.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub run_id: Option<String>,
    pub repo: String,
    pub workflow: String,
    #[serde(default)]
    pub branch: Option<String>,
    #[serde(default)]
    pub sha: Option<String>,
    #[serde(default)]
    pub trigger: Option<String>,
    pub status: String,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub queued_at: Option<Timestamp>,
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    #[serde(default)]
    pub finished_at: Option<Timestamp>,
    #[serde(default)]
    pub attempt: Option<u32>,
    #[serde(default)]
    pub jobs: Vec<PipelineJob>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Service {
    #[serde(default = "default_source")]
    pub source: String,
    pub name: String,
    #[serde(default)]
    pub repo: Option<String>,
    /// Web address of the repository, used to link shas (`{repo_url}/commit/{sha}`).
    #[serde(default)]
    pub repo_url: Option<String>,
    #[serde(default)]
    pub teams: Vec<String>,
    #[serde(default)]
    pub path_prefix: Option<String>,
    #[serde(default)]
    pub tier: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    #[serde(default = "default_source")]
    pub source: String,
    pub name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub members: Vec<String>,
}

/// An SLI's counts in one bucket, pushed for an SLO whose SLI lives elsewhere (CloudWatch, a
/// log pipeline): `good` of `total` events in the bucket starting at `bucket_start` (on the
/// grid of `slo.step_secs`). Sending the same bucket again replaces it. Stored as the SLO's
/// counts, not as an event (docs/slo.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SliSample {
    #[serde(default = "default_source")]
    pub source: String,
    /// The SLO's id.
    pub slo: String,
    pub bucket_start: Timestamp,
    pub good: f64,
    pub total: f64,
}

/// One canonical event. Serialized with its `kind` tag, exactly as it is accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    Commit(Commit),
    PullRequest(PullRequest),
    Deployment(Deployment),
    Incident(Incident),
    PipelineRun(PipelineRun),
    Service(Service),
    Team(Team),
    SliSample(SliSample),
}

/// The identity of an event: posting the same key again updates the event in place.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventKey {
    pub kind: &'static str,
    pub source: String,
    pub id: String,
}

pub const KINDS: [&str; 8] = [
    "commit",
    "pull_request",
    "deployment",
    "incident",
    "pipeline_run",
    "service",
    "team",
    "sli_sample",
];

impl Event {
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Commit(_) => "commit",
            Event::PullRequest(_) => "pull_request",
            Event::Deployment(_) => "deployment",
            Event::Incident(_) => "incident",
            Event::PipelineRun(_) => "pipeline_run",
            Event::Service(_) => "service",
            Event::Team(_) => "team",
            Event::SliSample(_) => "sli_sample",
        }
    }

    pub fn source(&self) -> &str {
        match self {
            Event::Commit(e) => &e.source,
            Event::PullRequest(e) => &e.source,
            Event::Deployment(e) => &e.source,
            Event::Incident(e) => &e.source,
            Event::PipelineRun(e) => &e.source,
            Event::Service(e) => &e.source,
            Event::Team(e) => &e.source,
            Event::SliSample(e) => &e.source,
        }
    }

    /// The id within `(kind, source)`. Commits are keyed by `repo@sha`, pull requests by
    /// `repo#id`, pipeline runs by `provider:id`, services and teams by name.
    pub fn id(&self) -> String {
        match self {
            Event::Commit(e) => format!("{}@{}", e.repo, e.sha),
            Event::PullRequest(e) => format!("{}#{}", e.repo, e.id),
            Event::Deployment(e) => e.id.clone(),
            Event::Incident(e) => e.id.clone(),
            Event::PipelineRun(e) => format!("{}:{}", e.provider, e.id),
            Event::Service(e) => e.name.clone(),
            Event::Team(e) => e.name.clone(),
            Event::SliSample(e) => format!("{}@{}", e.slo, e.bucket_start.millis()),
        }
    }

    pub fn key(&self) -> EventKey {
        EventKey {
            kind: self.kind(),
            source: self.source().to_owned(),
            id: self.id(),
        }
    }
}
