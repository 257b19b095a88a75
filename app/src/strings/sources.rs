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
pub fn not_configured_hint(source: &str, has_deliveries: bool) -> String {
    let take = format!("Give it a secret in the configuration ([sources.{source}] secrets_file) to take webhook deliveries.");
    if has_deliveries {
        format!("{take} Those listed came from a history backfill or the demo.")
    } else {
        take
    }
}
pub const MIRRORS_TITLE: &str = "Git mirrors";
pub fn mirrors_caption(every_minutes: u64) -> String {
    format!("Bare clones read for exact commit graphs (every parent of a merge) and each commit's changed paths; their commits win over a push's. Synced every {every_minutes} minutes, a minute after a push at the earliest, and when you sync now.")
}
pub const NO_MIRRORS: &str = "No repository is mirrored. Without a mirror, a commit's parent comes from its push (the commit before it) or the compare API, and a merge's other parents are missing. Add [[sources.git.mirrors]] with repo = \"owner/name\" to the configuration and restart.";
pub const WHAT_MIRRORS: &str = "the git mirrors";
pub const WHAT_BACKFILL: &str = "the history backfill";
pub const MIRROR_REPO: &str = "Repository";
pub const MIRROR_URL: &str = "Fetched from";
pub const MIRROR_LAST: &str = "Last sync";
pub const MIRROR_NEW: &str = "New commits";
pub const MIRROR_COMMITS: &str = "Commits read";
pub const MIRROR_TOOK: &str = "Took";
pub const MIRROR_STATE: &str = "State";
pub const MIRROR_OK: &str = "synced";
pub const MIRROR_FAILED: &str = "failed";
pub const MIRROR_PENDING: &str = "not synced yet";
pub fn mirror_failed_at(when: &str) -> String {
    format!("Failed {when}; what earlier syncs read stays, and the next sync tries again:")
}
pub const BACKFILL_TITLE: &str = "History backfill";
pub const BACKFILL_CAPTION: &str = "What the backfill fetched, per repository and phase, of the pages GitHub lists (a phase ends sooner when it reaches its since); a running phase shows the time left at its pace so far. A failed or stopped phase resumes from its next page when the backfill is started again; nothing is stored twice.";
pub const NO_BACKFILL: &str = "No history backfill has run yet. It fetches deployments, workflow runs, pull requests and incident issues through GitHub's REST API, so the metrics cover the time before the webhook.";
pub const BACKFILL_PHASE: &str = "Phase";
pub const BACKFILL_SINCE: &str = "Since";
pub const BACKFILL_UPDATED: &str = "Last page";
pub const BACKFILL_PAGES: &str = "Pages";
pub const BACKFILL_ITEMS: &str = "Objects";
pub const BACKFILL_FAILED: &str =
    "Stopped here; start the backfill again to resume from this page:";
pub const WHAT_TASKS: &str = "the backfill and sync tasks";
pub const BACKFILL_START: &str = "Start backfill";
pub const BACKFILL_STARTING: &str = "Starting…";
pub const SYNC_START: &str = "Sync now";
pub const SYNC_STARTING: &str = "Asking…";
pub const F_HISTORY: &str = "History";
pub const F_REPOSITORY: &str = "Repository";
pub const ALL_REPOSITORIES: &str = "Every repository the rules name";
pub const ALL_MIRRORS: &str = "Every mirror";
/// The history a backfill can reach back over, as the API's `since`.
pub const HISTORY_CHOICES: [(&str, &str); 5] = [
    ("30d", "Last 30 days"),
    ("90d", "Last 90 days"),
    ("180d", "Last 180 days"),
    ("365d", "Last year"),
    ("730d", "Last two years"),
];
pub const BACKFILL_DEFAULT_HISTORY: &str = "180d";
pub fn backfill_unavailable(why: &str) -> String {
    format!("The backfill cannot start from here: {why}. Restart with that configuration, or run `nagare backfill github --since 180d` where the token is.")
}
/// The latest task of a kind, as a sentence: what it is, where it stands, who asked.
pub fn task_line(
    what: &str,
    state: nagare_core::api::TaskState,
    scope: &str,
    who: &str,
    when: &str,
    outcome: Option<&str>,
) -> String {
    use nagare_core::api::TaskState;
    match state {
        TaskState::Queued => format!("{what} of {scope} asked for {when} by {who}: waiting for the background job to take it."),
        TaskState::Running => format!("{what} of {scope} running since {when}, asked by {who}; its progress shows below."),
        TaskState::Done => format!("Last {} ({scope}, asked by {who}) finished {when}: {}", what.to_lowercase(), outcome.unwrap_or("done")),
        TaskState::Failed => format!("Last {} ({scope}, asked by {who}) failed {when}: {}", what.to_lowercase(), outcome.unwrap_or("no reason given")),
    }
}
pub const TASK_BACKFILL: &str = "Backfill";
pub const TASK_SYNC: &str = "Sync";
pub fn backfill_scope(repo: Option<&str>, since: Option<&str>) -> String {
    let repo = repo.unwrap_or("every repository");
    match since {
        Some(d) => format!("{repo} since {d}"),
        None => repo.to_owned(),
    }
}
/// A backfill phase, as people read it (`issues:<label>`: the issues with that label).
pub fn backfill_phase(phase: &str) -> String {
    match phase {
        "deployments" => "Deployments".into(),
        "runs" => "Workflow runs".into(),
        "pulls" => "Pull requests".into(),
        "compare" => "Commits between deployments".into(),
        other => match other.strip_prefix("issues:") {
            Some(label) => format!("Issues labelled {label}"),
            None => other.into(),
        },
    }
}
/// Pages fetched, of how many the list has when known.
pub fn backfill_pages(pages: u64, total: Option<u64>) -> String {
    match total {
        Some(t) if t >= pages => format!("{pages} of {t}"),
        _ => pages.to_string(),
    }
}
/// The time a running phase has left.
pub fn backfill_eta(secs: f64) -> String {
    if secs < 60.0 {
        "under a minute left".into()
    } else if secs < 90.0 * 60.0 {
        format!("about {} min left", (secs / 60.0).round())
    } else {
        format!("about {:.1} h left", secs / 3600.0)
    }
}
/// A backfill phase's state, as people read it.
pub fn backfill_state(state: &str) -> &str {
    match state {
        "done" => "done",
        "failed" => "failed",
        "running" => "running",
        _ => "stopped",
    }
}
pub const RULES_TITLE: &str = "GitHub mapping rules";
pub const RULES_CAPTION: &str = "How GitHub deliveries become events, as configured in [sources.github], in the order they are tried. Change them in the configuration, restart, then replay.";
pub const WHAT_RULES: &str = "the mapping rules";
pub const RULES_REPOS: &str = "Repositories → services";
pub const RULES_NO_REPOS: &str = "No repository rule: commits, pull requests and pipeline runs are kept, but deployments and incidents of every repository wait as unmapped until a rule names their service.";
pub const RULES_ENVIRONMENTS: &str = "Environments → tiers";
pub const RULES_NO_ENVIRONMENTS: &str = "No environment rule: a name's words give its tier (prod, production, live: production; staging, stag, pre: staging; test, qa: testing; dev, review: development), GitHub's production_environment counts as production, and anything else is other.";
pub const RULES_STAGES: &str = "Jobs → stages";
pub const RULES_NO_STAGES: &str = "No stage rule: the words of a job's name give its stage (lint, test, build, security scan, e2e, load test, deploy, provision; other).";
pub const RULES_DETECTION: &str = "Deployment detection";
pub const RULES_NO_DETECTION: &str =
    "No detection rule: only GitHub's deployment events are deployments.";
pub const RULES_INCIDENTS: &str = "Incidents";
pub fn rules_incidents(labels: &str, caused_by: &str) -> String {
    format!("Issues labelled {labels} are incidents. A body line {caused_by} names the deployment that caused one.")
}
pub const RULE_REPO: &str = "Repository";
pub const RULE_SERVICE: &str = "Service";
pub const RULE_FOLDER: &str = "Folder";
pub const RULE_TEAMS: &str = "Teams";
pub const RULE_ENVIRONMENT: &str = "Environment";
pub const RULE_TIER: &str = "Tier";
pub const RULE_WORKFLOW: &str = "Workflow";
pub const RULE_JOB: &str = "Job";
pub const RULE_STAGE: &str = "Stage";
pub const RULE_BRANCH: &str = "Branch";
pub const RULE_NONE: &str = "none";
pub const RULE_ANY: &str = "any";
pub const RULE_WHOLE_REPO: &str = "the whole repository";
pub const RULE_WHOLE_RUN: &str = "the whole run";
pub const RULE_EVERY_REPO: &str = "every repository";
pub const RULE_DEFAULT_BRANCH: &str = "the default branch";
pub const RULE_REPO_SERVICE: &str = "the repository's service";
pub const UNMAPPED_ENV_TITLE: &str = "Environments with no tier";
pub const UNMAPPED_ENV_HINT: &str = "Neither a rule nor the name says which tier these are, so their deployments count as `other`: outside the DORA numbers. Add the rule with the right tier to the configuration, restart, then replay.";
pub fn unmapped_env_count(n: u64) -> String {
    if n == 1 {
        "1 deployment".into()
    } else {
        format!("{n} deployments")
    }
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
