//! The strings of one portal run's page (facts, approval, actions, live log), the approvals
//! queue and a service's page.

pub const WHAT_PORTAL_RUN: &str = "this run";
pub const PORTAL_RUN_NOT_FOUND: &str = "No such run";
pub const PORTAL_RUN_NOT_FOUND_HINT: &str =
    "It does not exist, or it belongs to a service your teams may not read. The `Runs` page lists the recent runs.";
pub const F_TARGET: &str = "Target";
pub const F_RUN_SERVICE: &str = "Service";
pub const F_ENVIRONMENT: &str = "Environment";
pub const F_REQUESTED_BY: &str = "Requested by";
pub const F_REQUESTED_AT: &str = "Requested";
pub const F_REASON: &str = "Reason";
pub const F_REF: &str = "Ref";
pub const F_SHA: &str = "Commit";
pub const F_STARTED: &str = "Started";
pub const F_FINISHED: &str = "Finished";
pub const F_DURATION: &str = "Duration";
pub const F_EXIT_CODE: &str = "Exit code";
pub const F_SIGNAL: &str = "Signal";
pub const F_CANCELLED_BY: &str = "Cancelled by";
pub const F_ERROR: &str = "Error";
pub const F_RERUN_OF: &str = "Re-run of";
pub const RERUN_FAILED_ONLY: &str = "(its failed jobs only)";
pub const INPUTS_HEADING: &str = "Inputs";
pub const NO_INPUTS: &str = "No inputs.";
pub const VARIABLES_HEADING: &str = "Variables";
pub const COMMAND_HEADING: &str = "Command, exactly as run";
pub const COMMAND_NOTE: &str = "Each argument, passed as is (no shell sees them)";
pub const NOT_YET: &str = "not yet";
pub fn signal_label(signal: i32) -> String {
    let name = match signal {
        1 => " (SIGHUP)",
        2 => " (SIGINT)",
        9 => " (SIGKILL)",
        15 => " (SIGTERM)",
        _ => "",
    };
    format!("{signal}{name}")
}
pub const PROVIDER_LINK: &str = "Open it at the provider";
pub const PROVIDER_LIVE: &str = "the provider shows the live log";
pub const PROVIDER_TIMELINE: &str = "Its jobs and attempts on the pipelines timeline";
pub const PROVIDER_GUESSED: &str = "The provider did not say which run it started; this is the run found by listing its runs at that moment, so it may be another one started at the same time.";
pub const GITHUB_RERUN_DAYS: &str = "GitHub re-runs a run only within 30 days of its start.";
pub const GITHUB_RERUN_ATTEMPTS: &str =
    "GitHub re-runs a run at most 50 times; this one can no longer be re-run from here.";
pub const OWN_REQUEST: &str =
    "You asked for this run, so you cannot approve it: another member of the group must.";

// Approval.
pub const APPROVAL_HEADING: &str = "Approval";
pub const APPROVAL_WAITING_FOR: &str = "Waiting for";
pub const APPROVAL_EXPIRES: &str = "Expires";
pub const APPROVAL_EXPIRED: &str = "Expired";
pub const APPROVAL_DECISIONS: &str = "Decisions";
pub const APPROVAL_NONE_YET: &str = "No answer yet.";
pub const APPROVAL_MEMBERS: &str = "Group members";
pub fn decision_label(approve: bool) -> &'static str {
    if approve {
        "approved"
    } else {
        "rejected"
    }
}

// Actions.
pub const ACTIONS_LABEL: &str = "What you can do with this run";
pub const CANCEL_RUN: &str = "Cancel run";
pub const CANCEL_CONFIRM: &str = "Yes, cancel it";
pub const CANCEL_KEEP: &str = "Keep it";
pub const CANCEL_QUESTION: &str = "Stop this run? A running command gets SIGTERM, then SIGKILL.";
pub const RERUN: &str = "Re-run";
pub const RERUN_FAILED: &str = "Re-run failed jobs";
pub const APPROVE: &str = "Approve";
pub const REJECT: &str = "Reject";
pub const YOUR_ANSWER: &str = "Your answer";
pub const COMMENT: &str = "Comment (optional)";
pub const COMMENT_HINT: &str = "Kept with your answer and in the audit log.";
pub const WORKING: &str = "Working…";
pub const APPROVED_DONE: &str = "Approved: the run starts.";
pub const REJECTED_DONE: &str = "Rejected: nothing will run.";
pub const OPEN_RUN: &str = "Open the run";

// The live log.
pub const LOG_HEADING: &str = "Log";
pub const LOG_LABEL: &str = "The run's output";
pub const LOG_LIVE: &str = "live";
pub const LOG_LIVE_TITLE: &str = "New lines appear as the run writes them.";
pub const LOG_EMPTY_WAITING: &str = "Nothing has run yet: the run waits for approval.";
pub const LOG_EMPTY_QUEUED: &str = "Nothing has run yet: the run waits for a free slot.";
pub const LOG_EMPTY_RUNNING: &str = "No output yet.";
pub const LOG_EMPTY_DONE: &str = "The run wrote no output.";
pub const LOG_EMPTY_PROVIDER: &str =
    "No lines from the provider: its own page shows the run's whole log.";
pub const LOG_FOLLOW: &str = "Jump to the newest line";
pub const LOG_CUT: &str = "The live log stopped answering.";
pub const LOG_RECONNECT: &str = "Reconnect";
pub const WHAT_LOG: &str = "the log";
pub const STREAM_STDERR: &str = "stderr";
pub const STREAM_SYSTEM: &str = "nagare";
pub const STREAM_STDERR_TITLE: &str = "Written to standard error";
pub const STREAM_SYSTEM_TITLE: &str =
    "Nagare's own line: the command as run, the truncation marker, the ending";
pub fn log_count(lines: usize, stdout: usize, stderr: usize, system: usize) -> String {
    let word = if lines == 1 { "line" } else { "lines" };
    format!("{lines} {word}: {stdout} stdout, {stderr} stderr, {system} from Nagare")
}
pub fn log_truncated(dropped_bytes: u64) -> String {
    format!(
        "Truncated: the output passed the log cap, and the last {} were not kept.",
        bytes(dropped_bytes)
    )
}
fn bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MB", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}

// The approvals page.
pub const APPROVALS_TITLE: &str = "Approvals";
pub const APPROVALS_CAPTION: &str =
    "Requests that wait for your answer, oldest first, with exactly what will run.";
pub const WHAT_APPROVALS: &str = "the requests waiting for approval";
pub const NO_APPROVALS: &str = "Nothing waits for your approval";
pub const NO_APPROVALS_HINT: &str = "Runs of targets with an approval group wait here for the group's members; you never see your own requests.";

// A service's page.
pub const WHAT_SERVICE: &str = "this service";
pub const SERVICE_NOT_FOUND: &str = "No such service";
pub const SERVICE_NOT_FOUND_HINT: &str =
    "No event names it, or it belongs to teams you may not read. Services appear with their first deployment or catalogue event.";
pub const SERVICE_CAPTION: &str = "Its owners, its deployments, and what you can run for it.";
pub const SERVICE_TEAMS: &str = "Teams";
pub const SERVICE_REPO: &str = "Repository";
pub const SERVICE_DEPLOYMENTS: &str = "Deployments";
pub const SERVICE_LAST_DEPLOYED: &str = "Last deployment";
pub const SERVICE_TIER: &str = "Tier";
pub const SERVICE_NONE: &str = "none";
pub const SERVICE_TARGETS: &str = "Runbooks and pipelines";
pub const SERVICE_RUNS: &str = "Recent runs from the portal";
pub const SERVICE_SEE_DEPLOYMENTS: &str = "Its deployments";
pub const SERVICE_SEE_PIPELINES: &str = "Its pipelines";
pub const NO_SERVICE_TARGETS: &str = "Nothing to run for this service";
