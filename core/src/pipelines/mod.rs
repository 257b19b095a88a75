//! Pipelines: what a run attempt's outcome, duration and queue time are, which jobs are
//! flaky and what they cost. Pure definitions over plain values, each tested by hand; the
//! model (`model/runs.rs`) keeps the runs compactly and answers the queries with them.
//!
//! The definitions (docs/metrics.md, "Pipelines"):
//!
//! - **An attempt** is one event: a re-run is a new attempt of the same run (`run_id`), never
//!   an overwrite. An attempt belongs to the window in which it finished.
//! - **Outcome**: from the conclusion (else the status): success; failure (failed, timed out,
//!   could not start); cancelled; skipped (skipped, neutral, stale, waiting for an action);
//!   running (not completed). Cancelled and skipped attempts are counted apart from failures
//!   and left out of durations and rates. An attempt whose own status is unknown (a job seen
//!   before its run) takes its jobs' outcome once every job has completed.
//! - **Duration** of an attempt: finished − started; without those, its jobs' span (first job
//!   started to last job finished). None while running, or when negative.
//! - **Queue time** of a job: started − created. Of an attempt: its first job's (the job
//!   created first). A run's own creation time is never used: for a later attempt it is the
//!   first attempt's.
//! - **A flaky job**: the same repository, workflow, sha and job name failed, then passed in a
//!   later attempt or a later run. One occurrence per (sha, job); it belongs to the window in
//!   which the passing attempt finished. **Time lost** to it: the wall time (duration) of the
//!   attempts in which it failed before passing, with the failed job's own time beside it.

mod flaky;
mod trends;

pub use flaky::{flaky_occurrences, AttemptJobs, Occurrence};
pub use trends::{week_start, JobTime, WeekStats};

crate::named_enum! {
    /// How an attempt (or a job) ended, as the pipelines views count it.
    #[derive(PartialOrd, Ord)]
    pub enum Outcome as "run outcome" {
        Success = "success",
        Failure = "failure",
        Cancelled = "cancelled",
        Skipped = "skipped",
        Running = "running",
    }
}

crate::named_enum! {
    /// What started a run, from the provider's own word for it.
    #[derive(PartialOrd, Ord)]
    pub enum Trigger as "trigger" {
        Push = "push",
        PullRequest = "pull_request",
        /// A merge queue (GitHub `merge_group`, GitLab merge trains).
        MergeQueue = "merge_queue",
        Schedule = "schedule",
        /// Started by hand (GitHub `workflow_dispatch`, GitLab `web`).
        Manual = "manual",
        /// Started from Nagare.
        Portal = "portal",
        Other = "other",
    }
}

impl Outcome {
    /// The outcome a provider's conclusion (or, without one, its status) says. `None`: the
    /// words say nothing (`unknown`), so the jobs decide ([`Outcome::of_jobs`]).
    pub fn of(status: &str, conclusion: Option<&str>) -> Option<Outcome> {
        let word = |w: &str| -> Option<Outcome> {
            Some(match w.trim().to_ascii_lowercase().as_str() {
                "success" | "succeeded" | "passed" => Outcome::Success,
                "failure" | "failed" | "timed_out" | "startup_failure" | "error" => {
                    Outcome::Failure
                }
                "cancelled" | "canceled" => Outcome::Cancelled,
                "skipped" | "neutral" | "stale" | "action_required" | "manual" => Outcome::Skipped,
                "queued"
                | "in_progress"
                | "waiting"
                | "requested"
                | "pending"
                | "running"
                | "created"
                | "preparing"
                | "waiting_for_resource"
                | "scheduled" => Outcome::Running,
                _ => return None,
            })
        };
        match conclusion.filter(|c| !c.trim().is_empty()) {
            Some(c) => word(c).or_else(|| word(status)),
            None => match word(status) {
                // Completed without a conclusion: nothing to go by.
                None if status.eq_ignore_ascii_case("completed") => None,
                other => other,
            },
        }
    }

    /// The outcome of an attempt from its jobs' outcomes, when its own words say nothing:
    /// running while one runs, then failure if one failed, else cancelled if one was, else
    /// success if one succeeded, else skipped. `None` without jobs.
    pub fn of_jobs(jobs: impl IntoIterator<Item = Outcome>) -> Option<Outcome> {
        let mut seen = [false; 5];
        let mut any = false;
        for o in jobs {
            any = true;
            seen[o as usize] = true;
        }
        if !any {
            return None;
        }
        let has = |o: Outcome| seen[o as usize];
        Some(if has(Outcome::Running) {
            Outcome::Running
        } else if has(Outcome::Failure) {
            Outcome::Failure
        } else if has(Outcome::Cancelled) {
            Outcome::Cancelled
        } else if has(Outcome::Success) {
            Outcome::Success
        } else {
            Outcome::Skipped
        })
    }

    /// Counted in durations and rates: a success or a failure.
    pub fn decided(self) -> bool {
        matches!(self, Outcome::Success | Outcome::Failure)
    }
}

impl Trigger {
    /// The kind of a provider's trigger word (GitHub's `event`, GitLab's `source`).
    pub fn of(raw: Option<&str>) -> Trigger {
        let Some(raw) = raw else {
            return Trigger::Other;
        };
        match raw.trim().to_ascii_lowercase().as_str() {
            "push" => Trigger::Push,
            "pull_request"
            | "pull_request_target"
            | "pr"
            | "merge_request_event"
            | "external_pull_request_event" => Trigger::PullRequest,
            "merge_group" | "merge_train" | "merge_queue" => Trigger::MergeQueue,
            "schedule" | "cron" => Trigger::Schedule,
            "workflow_dispatch" | "manual" | "web" => Trigger::Manual,
            "portal" | "nagare" => Trigger::Portal,
            _ => Trigger::Other,
        }
    }
}

/// `later − earlier` when both are known and it is not negative.
pub fn span(earlier: Option<i64>, later: Option<i64>) -> Option<i64> {
    let (a, b) = (earlier?, later?);
    (b >= a).then_some(b - a)
}

/// One job's times, as the definitions need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobTimes {
    pub created: Option<i64>,
    pub started: Option<i64>,
    pub finished: Option<i64>,
}

impl JobTimes {
    pub fn queue(&self) -> Option<i64> {
        span(self.created, self.started)
    }
    pub fn duration(&self) -> Option<i64> {
        span(self.started, self.finished)
    }
}

/// An attempt's duration: its own start to finish, else its jobs' span. `None` while it runs.
pub fn attempt_duration(
    outcome: Outcome,
    started: Option<i64>,
    finished: Option<i64>,
    jobs: &[JobTimes],
) -> Option<i64> {
    if outcome == Outcome::Running {
        return None;
    }
    if started.is_some() && finished.is_some() {
        return span(started, finished);
    }
    let first = jobs.iter().filter_map(|j| j.started).min();
    let last = jobs.iter().filter_map(|j| j.finished).max();
    span(started.or(first), finished.or(last))
}

/// An attempt's queue time: that of its job created first (started first, when no job has a
/// creation time). `None` without such a job, or when negative.
pub fn attempt_queue(jobs: &[JobTimes]) -> Option<i64> {
    let first = jobs
        .iter()
        .filter(|j| j.created.is_some())
        .min_by_key(|j| (j.created, j.started))
        .or_else(|| {
            jobs.iter()
                .filter(|j| j.started.is_some())
                .min_by_key(|j| j.started)
        })?;
    first.queue()
}

/// The run an attempt is of: its `run_id`, else its id less a trailing `-<attempt>`, else its
/// id.
pub fn run_of<'a>(id: &'a str, run_id: Option<&'a str>, attempt: Option<u32>) -> &'a str {
    if let Some(r) = run_id.filter(|r| !r.is_empty()) {
        return r;
    }
    if let Some(a) = attempt {
        let suffix = format!("-{a}");
        if let Some(run) = id.strip_suffix(&suffix).filter(|r| !r.is_empty()) {
            return run;
        }
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_from_the_providers_words() {
        assert_eq!(
            Outcome::of("completed", Some("success")),
            Some(Outcome::Success)
        );
        for c in ["failure", "timed_out", "startup_failure"] {
            assert_eq!(
                Outcome::of("completed", Some(c)),
                Some(Outcome::Failure),
                "{c}"
            );
        }
        assert_eq!(
            Outcome::of("completed", Some("cancelled")),
            Some(Outcome::Cancelled)
        );
        for c in ["skipped", "neutral", "stale", "action_required"] {
            assert_eq!(
                Outcome::of("completed", Some(c)),
                Some(Outcome::Skipped),
                "{c}"
            );
        }
        for s in ["queued", "in_progress", "waiting", "requested", "pending"] {
            assert_eq!(Outcome::of(s, None), Some(Outcome::Running), "{s}");
        }
        // GitLab's statuses carry the outcome themselves.
        assert_eq!(Outcome::of("failed", None), Some(Outcome::Failure));
        assert_eq!(Outcome::of("canceled", None), Some(Outcome::Cancelled));
        assert_eq!(Outcome::of("running", None), Some(Outcome::Running));
        // Nothing to go by: the jobs decide.
        assert_eq!(Outcome::of("unknown", None), None);
        assert_eq!(Outcome::of("completed", None), None);
        assert_eq!(Outcome::of("completed", Some("")), None);
    }

    #[test]
    fn an_attempt_without_words_takes_its_jobs_outcome() {
        use Outcome::*;
        assert_eq!(Outcome::of_jobs([Success, Running, Failure]), Some(Running));
        assert_eq!(
            Outcome::of_jobs([Success, Failure, Cancelled]),
            Some(Failure)
        );
        assert_eq!(
            Outcome::of_jobs([Success, Cancelled, Skipped]),
            Some(Cancelled)
        );
        assert_eq!(Outcome::of_jobs([Skipped, Success]), Some(Success));
        assert_eq!(Outcome::of_jobs([Skipped]), Some(Skipped));
        assert_eq!(Outcome::of_jobs([]), None);
    }

    #[test]
    fn triggers_by_kind() {
        assert_eq!(Trigger::of(Some("push")), Trigger::Push);
        assert_eq!(
            Trigger::of(Some("pull_request_target")),
            Trigger::PullRequest
        );
        assert_eq!(
            Trigger::of(Some("merge_request_event")),
            Trigger::PullRequest
        );
        assert_eq!(Trigger::of(Some("merge_group")), Trigger::MergeQueue);
        assert_eq!(Trigger::of(Some("schedule")), Trigger::Schedule);
        assert_eq!(Trigger::of(Some("workflow_dispatch")), Trigger::Manual);
        assert_eq!(Trigger::of(Some("portal")), Trigger::Portal);
        assert_eq!(Trigger::of(Some("repository_dispatch")), Trigger::Other);
        assert_eq!(Trigger::of(None), Trigger::Other);
    }

    #[test]
    fn durations_and_queue_times_by_hand() {
        let m = 60_000;
        let jobs = [
            // Created at 0, started at 2 min: 2 min in the queue; ran 5 min.
            JobTimes {
                created: Some(0),
                started: Some(2 * m),
                finished: Some(7 * m),
            },
            // Created later (1 min) though started first: not the first job.
            JobTimes {
                created: Some(m),
                started: Some(m + m / 2),
                finished: Some(9 * m),
            },
        ];
        assert_eq!(attempt_queue(&jobs), Some(2 * m));
        assert_eq!(jobs[1].queue(), Some(m / 2));
        // Its own times win: 10 min.
        assert_eq!(
            attempt_duration(Outcome::Success, Some(m), Some(11 * m), &jobs),
            Some(10 * m)
        );
        // Without them, the jobs' span: 1.5 min to 9 min.
        assert_eq!(
            attempt_duration(Outcome::Failure, None, None, &jobs),
            Some(9 * m - (m + m / 2))
        );
        // Running: no duration yet. Negative (clock skew): none.
        assert_eq!(
            attempt_duration(Outcome::Running, Some(0), Some(m), &jobs),
            None
        );
        assert_eq!(
            attempt_duration(Outcome::Success, Some(m), Some(0), &[]),
            None
        );
        // No job created: the first started, whose queue is unknown.
        let started_only = [JobTimes {
            created: None,
            started: Some(m),
            finished: None,
        }];
        assert_eq!(attempt_queue(&started_only), None);
        assert_eq!(attempt_queue(&[]), None);
    }

    #[test]
    fn the_run_of_an_attempt() {
        assert_eq!(run_of("9001-2", Some("9001"), Some(2)), "9001");
        assert_eq!(run_of("9001-2", None, Some(2)), "9001");
        assert_eq!(run_of("9001-2", None, Some(3)), "9001-2");
        assert_eq!(run_of("9001", None, None), "9001");
        assert_eq!(run_of("-1", None, Some(1)), "-1");
    }
}
