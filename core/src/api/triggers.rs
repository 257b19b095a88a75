//! The shapes of triggering runs from the portal (docs/triggers.md): what a caller may start
//! (`GET /api/v1/triggers`), a run started from the portal (`/api/v1/runs/{id}`), its log,
//! and the approvals queue.

use crate::events::EnvironmentTier;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

crate::named_enum! {
    /// What a trigger target starts.
    pub enum TargetKind as "target kind" {
        /// An operations task defined in the configuration, run by the server as a child process.
        Runbook = "runbook",
        /// A GitHub Actions workflow with `on: workflow_dispatch`.
        GithubWorkflow = "github_workflow",
        /// A GitLab CI/CD pipeline created on a ref.
        GitlabPipeline = "gitlab_pipeline",
    }
}

crate::named_enum! {
    /// What a user may do with a target or a run; each is granted by role, within the
    /// services the user's teams own.
    #[derive(PartialOrd, Ord)]
    pub enum Verb as "verb" {
        Trigger = "trigger",
        Rerun = "rerun",
        RerunFailed = "rerun_failed",
        Cancel = "cancel",
        Approve = "approve",
    }
}

crate::named_enum! {
    /// Where a run started from the portal is.
    pub enum RunStatus as "run status" {
        /// Waiting for approval; nothing has started.
        AwaitingApproval = "awaiting_approval",
        /// Approved (or needing no approval), waiting for a free slot of its concurrency limit.
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
        /// Cancelled by a user (`cancelled_by`), before or while it ran.
        Cancelled = "cancelled",
        /// Stopped by its timeout.
        TimedOut = "timed_out",
        /// An approver rejected the request.
        Rejected = "rejected",
        /// Nobody approved it before `approval.expires_at`.
        Expired = "expired",
    }
}

impl RunStatus {
    /// Whether nothing more will happen to the run.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            RunStatus::AwaitingApproval | RunStatus::Queued | RunStatus::Running
        )
    }
}

crate::named_enum! {
    /// How many of an approval group must approve.
    #[derive(Default)]
    pub enum ApprovalMode as "approval mode" {
        /// Any one of the group (never the requester).
        #[default]
        Any = "any",
        /// Every member of the group (but the requester, who cannot approve).
        All = "all",
    }
}

crate::named_enum! {
    /// The type of an input of a target's form.
    pub enum InputKind as "input type" {
        /// Free text, optionally matching `pattern` and at most `max_length` characters.
        String = "string",
        /// One of `options`.
        Choice = "choice",
        Boolean = "boolean",
        /// A number (GitHub's `number`; GitLab's `number`), within `min`..=`max` when given.
        Number = "number",
        /// A whole number within `min`..=`max` when given.
        Integer = "integer",
        /// A GitHub deployment environment of the repository (its name).
        Environment = "environment",
    }
}

crate::named_enum! {
    /// Which output stream a log chunk came from; `system` lines are Nagare's own (started,
    /// the truncation marker, the ending).
    pub enum LogStream as "log stream" {
        Stdout = "stdout",
        Stderr = "stderr",
        System = "system",
    }
}

crate::named_enum! {
    /// An approver's answer.
    pub enum Decision as "decision" {
        Approve = "approve",
        Reject = "reject",
    }
}

/// One input of a target's form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InputField {
    /// The name the value is sent under (`inputs.<name>`).
    pub name: String,
    /// The help text (the workflow input's or the runbook parameter's `description`).
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub kind: InputKind,
    pub required: bool,
    /// The default, as text (`true`, `3`, `staging`).
    pub default: Option<String>,
    /// The accepted values of a `choice`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// A regular expression a `string` must match whole (Rust `regex` syntax).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The longest `string` accepted, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
}

/// Who must approve a run of a target before it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalPolicy {
    pub mode: ApprovalMode,
    /// The configured group's name.
    pub group: String,
    /// Its members (e-mail addresses, or the identity provider's subjects).
    pub approvers: Vec<String>,
    /// How long a request waits before it expires, in seconds.
    pub expires_after_secs: u64,
}

/// `GET /api/v1/triggers`: a target the caller may see, with its form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TriggerTarget {
    /// Its id in the configuration (`check-url`), in `/api/v1/triggers/{name}/runs`.
    pub name: String,
    pub title: String,
    pub description: String,
    pub kind: TargetKind,
    /// The service it acts on; it inherits that service's teams and access.
    pub service: String,
    /// The service's owning teams.
    pub teams: Vec<String>,
    /// The environment it acts on, and that environment's tier.
    pub environment: Option<String>,
    pub tier: Option<EnvironmentTier>,
    /// Set when a run must be approved first.
    pub approval: Option<ApprovalPolicy>,
    /// The form. For a GitHub workflow, read from the workflow file at `inputs_ref`.
    pub inputs: Vec<InputField>,
    /// The ref the inputs were read at (GitHub and GitLab targets).
    pub inputs_ref: Option<String>,
    /// Where the inputs were read from (`git mirror`, `contents API`, `configuration`).
    pub inputs_from: Option<String>,
    /// Why the inputs could not be read, when they could not (the form then cannot be sent).
    pub inputs_error: Option<String>,
    /// `owner/name` (GitHub) or the project path (GitLab).
    pub repository: Option<String>,
    /// The workflow file (`.github/workflows/deploy.yml`).
    pub workflow: Option<String>,
    /// The ref runs start on unless the form names another (GitHub, GitLab).
    pub default_ref: Option<String>,
    /// A runbook's argv template: `{{name}}` is replaced by a parameter's value, inside one
    /// argument, never split and never seen by a shell.
    pub command: Option<Vec<String>>,
    pub timeout_secs: Option<u64>,
    /// At most this many runs of the runbook at once, across replicas.
    pub concurrency: Option<u32>,
    /// What the caller may do with this target's runs (`trigger` among them when it may start
    /// one).
    pub verbs: Vec<Verb>,
}

/// `GET /api/v1/triggers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TriggerList {
    pub targets: Vec<TriggerTarget>,
}

/// `POST /api/v1/triggers/{target}/runs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The form's values by input name: strings, numbers or booleans.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub inputs: BTreeMap<String, serde_json::Value>,
    /// The branch or tag to run on (GitHub, GitLab); the target's default ref otherwise.
    #[serde(default, rename = "ref")]
    pub git_ref: Option<String>,
    /// Why, for the approvers and the audit log.
    #[serde(default)]
    pub reason: Option<String>,
    /// GitLab variables (`KEY = value`), beside its inputs.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

/// `POST /api/v1/approvals/{id}/approve` and `/reject`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApprovalAnswer {
    #[serde(default)]
    pub comment: Option<String>,
}

/// `POST /api/v1/runs/{id}/rerun`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RerunRequest {
    /// Re-run only the failed jobs (GitHub workflows).
    #[serde(default)]
    pub failed_only: bool,
}

/// One approver's answer to a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalDecision {
    /// The approver's id (e-mail or subject) and name.
    pub by: String,
    pub name: String,
    pub decision: Decision,
    pub at: Timestamp,
    pub comment: Option<String>,
}

/// Where a run's approval stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalState {
    pub policy: ApprovalPolicy,
    pub decisions: Vec<ApprovalDecision>,
    /// The approvers still needed (mode `all`), or the group when nobody approved yet (`any`).
    pub waiting_for: Vec<String>,
    pub expires_at: Timestamp,
}

/// A run's stored output: its size and whether the cap cut it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogSummary {
    /// Bytes kept.
    pub bytes: u64,
    /// Bytes the process wrote past the cap, not kept.
    pub dropped_bytes: u64,
    pub truncated: bool,
    /// The sequence number of the last chunk (0 when none).
    pub last_seq: u64,
}

/// `GET /api/v1/runs/{id}`: a run started from the portal (or waiting to be).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortalRun {
    pub id: String,
    /// The target's name and title, kind, service and environment, as they were asked.
    pub target: String,
    pub title: String,
    pub kind: TargetKind,
    pub service: String,
    pub environment: Option<String>,
    pub tier: Option<EnvironmentTier>,
    pub status: RunStatus,
    /// Who asked: id (e-mail, subject or `token:<id>`) and name.
    pub requested_by: String,
    pub requested_by_name: String,
    /// The requester's e-mail address, when known (an approval group may list it).
    #[serde(default)]
    pub requested_by_email: Option<String>,
    pub requested_at: Timestamp,
    pub reason: Option<String>,
    /// The values as validated, by input name.
    pub inputs: BTreeMap<String, String>,
    /// GitLab variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, String>,
    /// The ref it runs on (GitHub, GitLab).
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// The sha the provider ran, once known.
    pub sha: Option<String>,
    /// Exactly what a runbook runs: the program and each argument, as passed.
    pub command: Option<Vec<String>>,
    pub approval: Option<ApprovalState>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub duration_ms: Option<i64>,
    pub exit_code: Option<i32>,
    /// The signal that ended the process (15 SIGTERM, 9 SIGKILL).
    pub signal: Option<i32>,
    pub cancelled_by: Option<String>,
    /// Why it failed or was refused, in words.
    pub error: Option<String>,
    /// The provider's run (GitHub run id, GitLab pipeline id) and its page.
    pub provider_run_id: Option<String>,
    pub provider_url: Option<String>,
    /// Set when the provider did not say which run it started and it was found by listing
    /// runs (GitHub's 204): the match is a guess.
    pub provider_run_guessed: bool,
    /// The run this one re-runs, and whether only its failed jobs (GitHub).
    pub rerun_of: Option<String>,
    #[serde(default)]
    pub rerun_failed_only: bool,
    pub log: LogSummary,
    /// What the caller may do with this run now.
    pub verbs: Vec<Verb>,
}

/// `GET /api/v1/runs` and `GET /api/v1/approvals`: runs, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortalRunList {
    pub items: Vec<PortalRun>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// One piece of a run's output: whole lines of one stream, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogChunk {
    /// 1, 2, 3… within the run; the SSE event id, and what `after` and `Last-Event-ID` name.
    pub seq: u64,
    pub stream: LogStream,
    pub at: Timestamp,
    /// One or more lines, each ending in `\n`.
    pub text: String,
}

/// `GET /api/v1/runs/{id}/log` as JSON: the chunks after `after`, and whether more may come.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunLog {
    pub chunks: Vec<LogChunk>,
    pub status: RunStatus,
    /// Whether the run has ended and every chunk is here.
    pub done: bool,
    pub summary: LogSummary,
}
