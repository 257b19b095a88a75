//! The Sources page's strings.

pub const SOURCES_TITLE: &str = "Sources";
pub const SOURCES_CAPTION: &str = "Where events come from: each webhook's set-up and health, repositories no rule maps yet, and every delivery kept raw, with its verdict. Replay derives the events again after a rule change.";
pub const WHAT_SOURCES: &str = "the sources";
pub const WEBHOOK_URL: &str = "Webhook URL";
pub const CONTENT_TYPE: &str = "Content type";
pub const EVENTS_TO_TICK: &str = "Events to tick";
pub const LAST_DELIVERY: &str = "Last delivery";
pub const LAST_PING: &str = "Last ping";
pub const NONE_YET: &str = "none yet";
pub const CONNECTED: &str = "connected";
pub const WAITING: &str = "no delivery yet";
pub const NOT_CONFIGURED: &str = "not configured";
pub fn not_configured_hint(source: &str) -> String {
    format!("Give it a secret in the configuration ([sources.{source}] secrets_file) to take deliveries.")
}
pub const UNMAPPED_TITLE: &str = "Repositories no rule maps";
pub const UNMAPPED_HINT: &str = "Their deployments and incidents are kept raw, not counted. Add the rule to the configuration, restart, then replay.";
pub const REPLAY_ALL: &str = "Replay all deliveries";
pub const REPLAY_ONE: &str = "Replay";
pub const REPLAYING: &str = "Replaying…";
pub const DELIVERIES_TITLE: &str = "Deliveries";
pub const WHAT_DELIVERIES: &str = "the deliveries";
pub const NO_DELIVERIES: &str = "No deliveries match these filters";
pub const NO_DELIVERIES_HINT: &str = "Deliveries appear here as they arrive, whatever their verdict: point a webhook at the URL above, or clear the filters.";
pub const F_SOURCE: &str = "Source";
pub const F_VERDICT: &str = "Verdict";
pub const F_EVENT: &str = "Event";
pub const F_EVENT_HINT: &str = "e.g. workflow_job";
pub const ALL_SOURCES: &str = "All sources";
pub const ALL_VERDICTS: &str = "All verdicts";
pub const COL_RECEIVED: &str = "Received";
pub const COL_SOURCE: &str = "Source";
pub const COL_EVENT: &str = "Event";
pub const COL_DELIVERY: &str = "Delivery id";
pub const COL_VERDICT: &str = "Verdict";
pub const COL_WHY: &str = "Why";
pub const SHOW_PAYLOAD: &str = "Show the payload";
pub const WHAT_PAYLOAD: &str = "the payload";
pub const NOT_KEPT: &str = "The payload is not kept (an imported file).";
pub const TRUNCATED: &str = "Only the head of this payload is kept (a rejected body larger than the cap); it cannot be replayed.";

/// The verdicts, as the API names them, and how each reads.
pub const VERDICTS: [(&str, &str); 5] = [
    ("accepted", "accepted"),
    ("duplicate", "duplicate"),
    ("ignored", "ignored"),
    ("unmapped", "unmapped"),
    ("rejected", "rejected"),
];

/// A badge's tone for a verdict.
pub fn verdict_tone(verdict: &str) -> &'static str {
    match verdict {
        "accepted" => "ok",
        "unmapped" => "warn",
        "rejected" => "bad",
        _ => "muted",
    }
}

pub fn redacted(n: u32) -> String {
    match n {
        0 => "Nothing looked like a secret.".to_owned(),
        1 => "1 value that looked like a secret is shown as [redacted].".to_owned(),
        n => format!("{n} values that looked like secrets are shown as [redacted]."),
    }
}

pub fn unmapped_count(n: u64) -> String {
    if n == 1 {
        "1 delivery".to_owned()
    } else {
        format!("{n} deliveries")
    }
}

/// What a replay did, in a sentence.
pub fn replayed(r: &nagare_core::api::ReplaySummary) -> String {
    format!(
        "Replayed {} deliveries: {} events rebuilt ({} new, {} changed, {} removed, {} unchanged); {} verdicts changed.",
        r.deliveries, r.keys, r.added, r.changed, r.removed, r.unchanged, r.verdicts_changed
    )
}
