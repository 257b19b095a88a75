//! The audit log page's strings.

pub const AUDIT_TITLE: &str = "Audit log";
pub const AUDIT_CAPTION: &str =
    "Newest first: sign-ins, sign-outs, API tokens, role-changing configuration reloads and runs started from the portal. Entries are never changed or removed.";
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
        "run_requested" => "Run requested",
        "run_approved" => "Run approved",
        "run_rejected" => "Run rejected",
        "run_cancel_requested" => "Run cancel requested",
        "run_cancelled" => "Run cancelled",
        "run_started" => "Run started",
        "run_finished" => "Run finished",
        "run_expired" => "Run request expired",
        "run_orphaned" => "Run orphaned",
        "run_rerun_requested" => "Re-run requested",
        other => other,
    }
}
pub const WHAT_AUDIT: &str = "the audit log";
pub const NO_AUDIT: &str = "No audit entries match these filters";
pub const NO_AUDIT_HINT: &str = "Sign-ins, sign-outs, token changes, configuration reloads and portal runs are recorded here as they happen. Clear the filters to see every entry.";
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
