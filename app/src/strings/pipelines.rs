//! The pipelines pages' strings. The definitions repeat docs/metrics.md ("Pipelines").

use nagare_core::pipelines::{Outcome, Trigger};

pub const NAV_PIPELINES: &str = "Pipelines";
pub const PIPELINES_TITLE: &str = "Pipelines";
pub const PIPELINES_CAPTION: &str = "Every attempt of every CI/CD run: a re-run is a new attempt beside the first, never an overwrite. An attempt counts in the period in which it finished.";
pub const TAB_RUNS: &str = "Runs";
pub const TAB_WORKFLOWS: &str = "Workflows";
pub const TAB_FLAKY: &str = "Flaky jobs";
pub const PIPELINES_TABS: &str = "Pipelines views";

// The runs list.
pub const WHAT_RUNS: &str = "the pipeline runs";
pub const NO_RUNS: &str = "No pipeline runs yet";
pub const NO_RUNS_FILTERED: &str = "No runs match these filters";
pub const NO_RUNS_HINT: &str = "Runs arrive from GitHub's workflow_run and workflow_job webhooks (see the Sources page), a history backfill, or as canonical pipeline_run events through POST /api/v1/events: one event per attempt, with its jobs.";
pub const COL_RUN_STATUS: &str = "Outcome";
pub const COL_WORKFLOW: &str = "Workflow";
pub const COL_BRANCH: &str = "Branch";
pub const COL_COMMIT: &str = "Commit";
pub const COL_ATTEMPT: &str = "Attempt";
pub const COL_QUEUE: &str = "Queue";
pub const COL_DURATION: &str = "Duration";
pub const COL_TRIGGER: &str = "Trigger";
pub const COL_RUN_FINISHED: &str = "Finished";
pub const F_REPO: &str = "Repository";
pub const F_WORKFLOW: &str = "Workflow";
pub const F_BRANCH: &str = "Branch";
pub const F_OUTCOME: &str = "Outcome";
pub const F_TRIGGER: &str = "Trigger";
pub const F_EXACT_HINT: &str = "exact name";
pub const ALL_OUTCOMES: &str = "All outcomes";
pub const ALL_TRIGGERS: &str = "All triggers";
pub const RUNNING_SINCE: &str = "running";
pub const ON_PROVIDER: &str = "Open on the provider's site";

pub fn run_outcome_label(o: Outcome) -> &'static str {
    match o {
        Outcome::Success => "success",
        Outcome::Failure => "failure",
        Outcome::Cancelled => "cancelled",
        Outcome::Skipped => "skipped",
        Outcome::Running => "running",
    }
}

pub fn outcome_tone(o: Outcome) -> &'static str {
    match o {
        Outcome::Success => "ok",
        Outcome::Failure => "bad",
        Outcome::Cancelled | Outcome::Skipped => "muted",
        Outcome::Running => "info",
    }
}

pub fn trigger_label(t: Trigger) -> &'static str {
    match t {
        Trigger::Push => "push",
        Trigger::PullRequest => "pull request",
        Trigger::MergeQueue => "merge queue",
        Trigger::Schedule => "schedule",
        Trigger::Manual => "manual",
        Trigger::Portal => "portal",
        Trigger::Other => "other",
    }
}

// One run.
pub const WHAT_RUN: &str = "this run";
pub const RUN_NOT_FOUND: &str = "No such run";
pub const RUN_NOT_FOUND_HINT: &str = "It is not among the runs you may see: it may belong to a repository no service of your teams names, or the address is wrong.";
pub const BACK_TO_RUNS: &str = "All runs";
pub const RUN_ATTEMPTS: &str = "Attempts of this run";
pub const RUN_TIMELINE: &str = "Jobs";
pub const RUN_TIMELINE_CAPTION: &str = "Each job's bar from its start to its end, coloured by stage; the lighter lead-in is its queue time (created to started). Times are from the attempt's first job's creation.";
pub const NO_JOBS: &str = "No jobs reported for this attempt.";
pub const NO_STEPS: &str = "No steps reported.";
pub const RUN_DEPLOYMENT: &str = "Deployment";
pub const RUN_PULL_REQUEST: &str = "Pull request";
pub const RUN_NONE: &str = "none";
pub const THIS_ATTEMPT: &str = "this attempt";
pub fn pr_label(repo: &str, id: &str, merge: bool) -> String {
    if merge {
        format!("{repo}#{id} (its merge commit)")
    } else {
        format!("{repo}#{id}")
    }
}
pub fn attempt_label(n: Option<u32>) -> String {
    n.map_or("—".to_owned(), |n| format!("#{n}"))
}
pub fn gantt_title(workflow: &str) -> String {
    format!("Job timeline of {workflow}")
}
pub const QUEUE_LEGEND: &str = "queued";
pub const GANTT_AXIS: &str = "minutes from the first job's creation";
pub fn category_label(c: &str) -> &str {
    match c {
        "security_scan" => "security scan",
        "load_test" => "load test",
        other => other,
    }
}

// Workflows.
pub const WHAT_WORKFLOWS: &str = "the workflows";
pub const NO_WORKFLOWS: &str = "No runs finished in this period";
pub const WORKFLOWS_CAPTION: &str = "Per workflow, the attempts that finished in the period. Duration and rates count successes and failures only; cancelled and skipped attempts are counted apart. Queue time is an attempt's first job's wait (created to started). First-attempt pass rate: first attempts that succeeded, out of first attempts that succeeded or failed. Choose a workflow for its weeks and where its time goes.";
pub const COL_RUNS: &str = "Attempts";
pub const COL_SUCCESS_RATE: &str = "Success rate";
pub const COL_FIRST_PASS: &str = "First-attempt pass";
pub const COL_DURATION_P50: &str = "Duration p50";
pub const COL_DURATION_P90: &str = "Duration p90";
pub const COL_QUEUE_P50: &str = "Queue p50";
pub const COL_QUEUE_P90: &str = "Queue p90";
pub const COL_CANCELLED: &str = "Cancelled / skipped";
pub const WHAT_TREND: &str = "the workflow's trend";
pub const TREND_WEEKS: &str = "Week by week";
pub const TREND_DURATION: &str = "Duration (p50 and p90)";
pub const TREND_QUEUE: &str = "Queue time (p50 and p90)";
pub const TREND_RATES: &str = "Success and first-attempt pass rate";
pub const SERIES_P50: &str = "p50";
pub const SERIES_SUCCESS: &str = "success rate";
pub const SERIES_FIRST: &str = "first-attempt pass";
pub const UNIT_MINUTES: &str = "minutes";
pub const SLOWEST_JOBS: &str = "Slowest jobs";
pub const SLOWEST_STEPS: &str = "Slowest steps";
pub const SHARE_CAPTION: &str = "Share: the job's summed time ÷ the summed wall time of the attempts it ran in. Jobs run in parallel, so shares do not add up to 100 %.";
pub fn steps_caption(runs: u64) -> String {
    format!("Steps of the newest {runs} attempts that succeeded or failed in the period.")
}
pub const COL_CATEGORY: &str = "Stage";
pub const COL_COUNT: &str = "Count";
pub const COL_MEDIAN: &str = "Median";
pub const COL_P90: &str = "p90";
pub const COL_SHARE: &str = "Share of run time";
pub const CLOSE_TREND: &str = "Close";

// Flaky jobs.
pub const WHAT_FLAKY: &str = "the flaky jobs";
pub const NO_FLAKY: &str = "No flaky jobs in this period";
pub const NO_FLAKY_HINT: &str = "A job is flaky when it failed and then passed on the same commit, in a re-run or a later run. None did in this period.";
pub const FLAKY_CAPTION: &str = "A flaky job: the same repository, workflow, commit and job failed, then passed in a later attempt or run. Each such pass is one occurrence, counted in the period in which it passed. Time lost: the wall time of the attempts in which it failed before passing (its own time beside it). Most occurrences first.";
pub fn flaky_first(shown: usize, total: u64) -> String {
    format!("The {shown} most frequent of {total} flaky jobs; narrow the period or filter by team to see the others.")
}
pub const COL_JOB: &str = "Job";
pub const COL_OCCURRENCES: &str = "Occurrences";
pub const COL_FAILED_ATTEMPTS: &str = "Failed attempts";
pub const COL_TIME_LOST: &str = "Time lost";
pub const COL_JOB_TIME: &str = "Its own time";
pub const COL_LAST_SEEN: &str = "Last seen";
pub const EVIDENCE: &str = "Evidence";
pub fn evidence_line(sha: &str, failed: usize) -> String {
    if failed == 1 {
        format!("{sha}: failed once, then passed")
    } else {
        format!("{sha}: failed {failed} times, then passed")
    }
}
pub const FAILED_IN: &str = "failed in";
pub const PASSED_IN: &str = "passed in";

// The value stream.
pub const NAV_VALUE_STREAM: &str = "Value stream";
pub const VS_TITLE: &str = "Value stream";
pub const VS_CAPTION: &str = "Where a change's time goes, from its first commit to production: each merged pull request whose first production deployment finished in the period, stage by stage. The stages add up to its total, which is its lead time measured from the pull request (DORA's lead time on the pull_request basis).";
pub const WHAT_VS: &str = "the value stream";
pub const NO_VS: &str = "No pull request reached production in this period";
pub const NO_VS_HINT: &str = "The value stream needs merged pull requests (GitHub's pull_request webhook, or canonical pull_request events with their merge commit) and the production deployments that carried them.";
pub const F_CHAIN: &str = "Stages";
pub const CHAIN_DEFAULT: &str = "Default";
pub const CHAIN_APPROVAL: &str = "Review until approved";
pub fn chain_configured(team: &str) -> String {
    format!("The chain configured for {team} (metrics.value_stream_chains); choose another above.")
}
pub const VS_PRS: &str = "Pull requests";
pub const VS_TOTAL: &str = "Total (median)";
pub const VS_DORA: &str = "DORA lead time, pull_request basis (median)";
pub const VS_AGREE: &str = "the same changes, measured the same way";
pub const VS_FLOW: &str = "Flow efficiency";
pub const VS_FLOW_DEF: &str = "Σ active time ÷ Σ total time; active: coding, build & test and deploy. Merged stages count as waiting.";
pub const VS_BOTTLENECK: &str = "Bottleneck";
pub const VS_BOTTLENECK_DEF: &str =
    "The stage with the largest share of the time (merged stages never are).";
pub const VS_BAR: &str = "Share of the time, by stage";
pub const VS_STAGES: &str = "Stages";
pub const VS_STAGES_CAPTION: &str = "A missing event (no review, no CI on the merge commit) makes its two neighbouring stages one merged stage for that pull request: a row of its own, never a zero in its parts. A negative stage (clock skew) is merged with the next. Open a row for its slowest pull requests.";
pub const COL_STAGE: &str = "Stage";
pub const COL_P75: &str = "p75";
pub const COL_MEAN: &str = "Mean";
pub const COL_TIME_SHARE: &str = "Share";
pub const MERGED_STAGE: &str = "merged";
pub const ACTIVE_STAGE: &str = "work";
pub const BUILD_BREAKDOWN: &str = "Within build & test, the time with at least one job of each stage running (jobs run in parallel):";
pub const VS_TREND: &str = "Median by week";
pub const VS_TREND_CAPTION: &str =
    "Each stage's median, per week in which the pull requests reached production.";
pub const SLOWEST_PRS: &str = "Slowest pull requests";
pub const COL_PR: &str = "Pull request";
pub const COL_TOTAL: &str = "Total";
pub const VS_QUALITY: &str = "What the definitions changed";
pub fn missing_event(e: nagare_core::valuestream::Point, n: u64) -> String {
    use nagare_core::valuestream::Point;
    let what = match e {
        Point::FirstCommit => "a known commit (their way starts when they were opened)",
        Point::FirstReview => "a review by someone other than the author before the merge",
        Point::Approved => "an approval before the merge",
        Point::CiDone => "CI finished on the merge commit before the deployment started",
        Point::DeployStarted => "a deployment start time",
        Point::Opened | Point::Merged | Point::DeployFinished => event_label(e),
    };
    format!("{} without {what}", prs_count(n))
}
pub const MISSING_MERGES: &str =
    "A missing event makes its two neighbouring stages one merged stage for that pull request.";
pub fn prs_count(n: u64) -> String {
    if n == 1 {
        "1 pull request".to_owned()
    } else {
        format!("{n} pull requests")
    }
}
pub fn negative_stages(n: u64) -> String {
    format!("{n} negative stages (clock skew) merged with the next stage")
}
pub fn negative_totals(n: u64) -> String {
    let prs = prs_count(n);
    format!("{prs} left out: deployed before their first commit (a negative total)")
}
pub fn stage_trend_title(stage: &str) -> String {
    format!("Weekly median of {stage}")
}
pub const COL_FROM: &str = "From";
pub const COL_TO: &str = "To";

// A pull request's journey.
pub const JOURNEY_TITLE: &str = "Pull request";
pub const WHAT_JOURNEY: &str = "this pull request's journey";
pub const JOURNEY_NOT_FOUND: &str = "No such pull request";
pub const JOURNEY_NOT_FOUND_HINT: &str =
    "It is not among the pull requests you may see, or the address is wrong.";
pub const JOURNEY_EVENTS: &str = "Events";
pub const JOURNEY_SOURCE: &str = "Source";
pub const JOURNEY_STAGES: &str = "Its way to production";
pub const JOURNEY_NOT_DEPLOYED: &str =
    "Not in production yet: its stages show once a production deployment carries it.";
pub const JOURNEY_COMMITS: &str = "Commits";
pub const JOURNEY_RUNS: &str = "CI runs on its commits";
pub const JOURNEY_DEPLOYMENT: &str = "First production deployment";
pub const JOURNEY_INCIDENTS: &str = "Incidents it caused";
pub const JOURNEY_NONE: &str = "none";
pub const MERGE_COMMIT: &str = "merge commit";
pub fn event_label(e: nagare_core::valuestream::Point) -> &'static str {
    use nagare_core::valuestream::Point;
    match e {
        Point::FirstCommit => "first commit",
        Point::Opened => "opened",
        Point::FirstReview => "first review",
        Point::Approved => "approved",
        Point::Merged => "merged",
        Point::CiDone => "CI done",
        Point::DeployStarted => "deployment started",
        Point::DeployFinished => "deployment finished",
    }
}
pub const COL_JOBS: &str = "Jobs";
pub fn jobs_label(jobs: u32, failed: u32) -> String {
    if failed == 0 {
        jobs.to_string()
    } else {
        format!("{jobs} ({failed} failed)")
    }
}
