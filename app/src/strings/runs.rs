//! The strings of the runs pages: the targets, the form, a run with its live log, the
//! approvals queue and a service's page.

use nagare_core::api::{ApprovalMode, InputKind, RunStatus, TargetKind};

pub const NAV_RUNS: &str = "Runs";
pub const NAV_APPROVALS: &str = "Approvals";

// The runs page.
pub const RUNS_TITLE: &str = "Runs";
pub const RUNS_CAPTION: &str =
    "Start a runbook, a GitHub workflow or a GitLab pipeline, follow its log live, and see what ran.";
pub const TARGETS_HEADING: &str = "Runbooks, workflows and pipelines";
pub const RECENT_RUNS: &str = "Recent runs";
pub const WHAT_TARGETS: &str = "the targets";
pub const WHAT_PORTAL_RUNS: &str = "the runs";
pub const NO_TARGETS: &str = "Nothing to run here";
pub const NO_TARGETS_HINT: &str = "Runbooks, GitHub workflows and GitLab pipelines are configured under `[[triggers.runbooks]]`, `[[triggers.workflows]]` and `[[triggers.pipelines]]`; you see those of the services your teams may read.";
pub const NO_PORTAL_RUNS: &str = "No runs yet";
pub const NO_PORTAL_RUNS_FILTERED: &str = "No runs of this service yet";
pub const NO_PORTAL_RUNS_HINT: &str =
    "Runs started here, or with `POST /api/v1/triggers/{target}/runs`, appear as soon as they are asked for.";
pub const RUN_BUTTON: &str = "Run";
pub const RUN_BUTTON_PIPELINES: &str = "Run…";
pub const RUN_BUTTON_PIPELINES_TITLE: &str =
    "Start a runbook, workflow or pipeline of this service from the portal";
/// A pipeline run started from the portal, in the pipelines pages.
pub fn portal_origin(requested_by: &str) -> String {
    format!("from the portal, by {requested_by}")
}
pub const VIEW_ONLY: &str = "View only";
pub const VIEW_ONLY_TITLE: &str =
    "Starting it needs the trigger grant (by default the engineer role) in a team owning the service.";
pub const COL_RUN_TARGET: &str = "Target";
pub const COL_REQUESTED_BY: &str = "Requested by";
pub const COL_REQUESTED: &str = "Requested";
pub const TIMEOUT: &str = "Timeout";
pub fn concurrency(n: u32) -> String {
    format!("at most {n} at once")
}
pub const REPOSITORY: &str = "Repository";
pub const WORKFLOW_FILE: &str = "Workflow";
pub const DEFAULT_REF: &str = "Default ref";
pub const OWNED_BY: &str = "Owned by";

pub fn kind_label(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Runbook => "Runbook",
        TargetKind::GithubWorkflow => "GitHub workflow",
        TargetKind::GitlabPipeline => "GitLab pipeline",
    }
}

/// "Needs approval by any of production-approvers".
pub fn needs_approval(mode: ApprovalMode, group: &str) -> String {
    format!("Needs approval by {} of {group}", mode_word(mode))
}

fn mode_word(mode: ApprovalMode) -> &'static str {
    match mode {
        ApprovalMode::Any => "any",
        ApprovalMode::All => "all",
    }
}

/// The words of a run's status; the badge always writes them beside its colour.
pub fn status_label(status: RunStatus) -> &'static str {
    match status {
        RunStatus::AwaitingApproval => "awaiting approval",
        RunStatus::Queued => "queued",
        RunStatus::Running => "running",
        RunStatus::Succeeded => "succeeded",
        RunStatus::Failed => "failed",
        RunStatus::Cancelled => "cancelled",
        RunStatus::TimedOut => "timed out",
        RunStatus::Rejected => "rejected",
        RunStatus::Expired => "expired",
    }
}

/// What a status means, on hover.
pub fn status_title(status: RunStatus) -> &'static str {
    match status {
        RunStatus::AwaitingApproval => "Nothing has started: it waits for an approver.",
        RunStatus::Queued => "Approved or needing no approval; it starts when a slot is free.",
        RunStatus::Running => "Running now.",
        RunStatus::Succeeded => "Ended with success.",
        RunStatus::Failed => "Ended with a failure.",
        RunStatus::Cancelled => "Cancelled by a user.",
        RunStatus::TimedOut => "Stopped by its timeout.",
        RunStatus::Rejected => "An approver rejected it; nothing ran.",
        RunStatus::Expired => "Nobody approved it in time; nothing ran.",
    }
}

// The form.
pub const WHAT_TARGET: &str = "this target";
pub const TARGET_NOT_FOUND: &str = "No such target";
pub const TARGET_NOT_FOUND_HINT: &str =
    "It is not configured, or it belongs to a service your teams may not read. The `Runs` page lists what you can start.";
pub const BACK_TO_PORTAL_RUNS: &str = "Runs";
pub fn form_title(title: &str) -> String {
    format!("Run: {title}")
}
pub const FORM_INPUTS: &str = "Inputs";
pub const FORM_NO_INPUTS: &str = "This target takes no inputs.";
pub const FORM_REF: &str = "Ref (branch or tag)";
pub const FORM_REF_HINT_GITHUB: &str =
    "The workflow runs on this ref, and its form is read from the workflow file there: changing it reads the form again.";
pub const FORM_REF_HINT_GITLAB: &str = "The pipeline runs on this branch or tag.";
pub const FORM_REASON: &str = "Reason (optional)";
pub const FORM_REASON_HINT: &str = "Why, for the approvers and the audit log.";
pub const FORM_REQUIRED: &str = "required";
pub const FORM_SUBMIT: &str = "Run";
pub const FORM_SUBMIT_APPROVAL: &str = "Request approval";
pub const FORM_SENDING: &str = "Sending…";
pub const FORM_CANNOT_SEND: &str = "So the form cannot be sent: try another ref.";
pub const FORM_NOT_ALLOWED: &str = "You may see this target but not start it";
pub const FORM_NOT_ALLOWED_HINT: &str =
    "Starting it needs the trigger grant (by default the engineer role) in a team that owns its service.";
pub fn inputs_from(from: &str, git_ref: &str) -> String {
    format!("Form read from the {from} at {git_ref}.")
}
pub fn inputs_error(git_ref: &str, error: &str) -> String {
    format!("The form could not be read at {git_ref}: {error}")
}
pub const SUMMARY: &str = "What will happen";
pub const SUMMARY_RUNBOOK: &str =
    "The Nagare server runs this command, each argument as shown, never through a shell:";
pub fn summary_github(workflow: &str, repo: &str, git_ref: &str) -> String {
    format!("GitHub starts the workflow {workflow} of {repo} on {git_ref}.")
}
pub fn summary_gitlab(repo: &str, git_ref: &str) -> String {
    format!("GitLab creates a pipeline of {repo} on {git_ref}.")
}
pub fn summary_timeout(secs: u64) -> String {
    format!(
        "It is stopped if it runs longer than {}.",
        crate::format::duration(secs as f64)
    )
}
pub fn summary_approval(mode: ApprovalMode, group: &str, members: &str, hours: String) -> String {
    format!(
        "It waits for approval by {} of {group} ({members}) before it starts; the request expires after {hours} without an answer. You cannot approve your own request.",
        mode_word(mode)
    )
}
pub const SUMMARY_NOW: &str = "It starts at once when a slot is free.";
pub const SUMMARY_NOW_PROVIDER: &str = "It is sent to the provider at once.";
pub fn input_kind_label(kind: InputKind) -> &'static str {
    match kind {
        InputKind::String => "text",
        InputKind::Choice => "choice",
        InputKind::Boolean => "yes / no",
        InputKind::Number => "number",
        InputKind::Integer => "whole number",
        InputKind::Environment => "environment",
    }
}
pub fn range_hint(min: Option<f64>, max: Option<f64>) -> Option<String> {
    match (min, max) {
        (Some(a), Some(b)) => Some(format!("From {a} to {b}.")),
        (Some(a), None) => Some(format!("At least {a}.")),
        (None, Some(b)) => Some(format!("At most {b}.")),
        (None, None) => None,
    }
}
pub fn max_length_hint(n: u32) -> String {
    format!("At most {n} characters.")
}
pub const CHOICE_NONE: &str = "—";
