//! The demo's pipelines: each team's workflows with durations and queue times of its own (the
//! checkout team's hosted runners are quick; legacy billing waits for its self-hosted ones),
//! flaky jobs that pass when run again, and a nightly suite. A CI run for each pull request's
//! last commit and for its merge commit, a Deploy run for each production deployment.
//!
//! [`GITHUB_TEAM`](super::GITHUB_TEAM)'s runs arrive as GitHub's webhooks (`github.rs`); the
//! other teams' as canonical `pipeline_run` events, made here.

use super::sim::Rng;
use crate::events::{
    Deployment, DeploymentStatus, PipelineJob, PipelineRun, PipelineStep, PullRequest,
};
use crate::time::{DAY_MS, MINUTE_MS, SECOND_MS};
use crate::{Event, Timestamp};
use std::collections::HashMap;

/// Pipelines are generated for the last days of the history only: 60, so that the pull requests
/// reaching production in the last 30 days (a release train carries some merged weeks before)
/// have CI on their merge commits.
pub(super) const PIPELINE_DAYS: i64 = 60;

/// A job of a workflow.
pub(super) struct JobSpec {
    pub(super) name: &'static str,
    pub(super) category: &'static str,
    /// How long it runs, ms.
    pub(super) took: (i64, i64),
    /// It waits for the jobs before it (else it is created with the run).
    pub(super) after: bool,
}

/// How a team's CI behaves.
pub(super) struct CiProfile {
    /// A job's usual wait for a runner, ms, and now and then (`busy`) a long one.
    pub(super) queue: (i64, i64),
    pub(super) busy: f64,
    pub(super) busy_queue: (i64, i64),
    /// The share of runs whose `flaky_job` fails once, then passes when run again.
    pub(super) flaky: f64,
    pub(super) flaky_job: &'static str,
    pub(super) ci: &'static [JobSpec],
}

const fn job(name: &'static str, category: &'static str, took: (i64, i64), after: bool) -> JobSpec {
    JobSpec {
        name,
        category,
        took,
        after,
    }
}

const M: i64 = MINUTE_MS;
const S: i64 = SECOND_MS;

/// The Deploy workflow, the same for every team.
pub(super) const DEPLOY: &[JobSpec] = &[
    job("build", "build", (2 * M, 4 * M), false),
    job("deploy", "deploy", (M, 3 * M), true),
];

/// The search team's nightly end-to-end suite.
const NIGHTLY: &[JobSpec] = &[job("e2e-full", "e2e", (25 * M, 45 * M), false)];

const CHECKOUT_CI: &[JobSpec] = &[
    job("lint", "lint", (40 * S, 90 * S), false),
    job("test", "test", (3 * M, 7 * M), false),
    job("build", "build", (90 * S, 3 * M), true),
];

const PAYMENTS_CI: &[JobSpec] = &[
    job("lint", "lint", (30 * S, 60 * S), false),
    job("unit", "test", (4 * M, 8 * M), false),
    job("security-scan", "security_scan", (M, 3 * M), false),
    job("integration", "test", (6 * M, 12 * M), true),
    job("build", "build", (2 * M, 4 * M), true),
];

const SEARCH_CI: &[JobSpec] = &[
    job("lint", "lint", (40 * S, 2 * M), false),
    job("test", "test", (8 * M, 15 * M), false),
    job("e2e", "e2e", (10 * M, 20 * M), true),
    job("build", "build", (3 * M, 6 * M), true),
];

const LEGACY_CI: &[JobSpec] = &[
    job("build", "build", (6 * M, 12 * M), false),
    job("test", "test", (20 * M, 35 * M), true),
    job("package", "build", (3 * M, 6 * M), true),
];

/// Each team's CI.
pub(super) fn profile(team: &str) -> CiProfile {
    match team {
        "checkout" => CiProfile {
            queue: (5 * S, 30 * S),
            busy: 0.05,
            busy_queue: (M, 3 * M),
            flaky: 0.08,
            flaky_job: "test",
            ci: CHECKOUT_CI,
        },
        "payments" => CiProfile {
            queue: (10 * S, 60 * S),
            busy: 0.08,
            busy_queue: (2 * M, 6 * M),
            flaky: 0.06,
            flaky_job: "integration",
            ci: PAYMENTS_CI,
        },
        "search" => CiProfile {
            queue: (20 * S, 2 * M),
            busy: 0.15,
            busy_queue: (3 * M, 10 * M),
            flaky: 0.15,
            flaky_job: "e2e",
            ci: SEARCH_CI,
        },
        // Self-hosted runners: long waits.
        _ => CiProfile {
            queue: (3 * M, 12 * M),
            busy: 0.3,
            busy_queue: (15 * M, 40 * M),
            flaky: 0.04,
            flaky_job: "test",
            ci: LEGACY_CI,
        },
    }
}

/// One job as it ran.
pub(super) struct PlannedJob {
    pub(super) name: &'static str,
    pub(super) category: &'static str,
    pub(super) created: i64,
    pub(super) started: i64,
    pub(super) finished: i64,
    pub(super) passed: bool,
}

/// One attempt of a run.
pub(super) struct PlannedAttempt {
    pub(super) number: u32,
    pub(super) start: i64,
    pub(super) end: i64,
    pub(super) passed: bool,
    pub(super) jobs: Vec<PlannedJob>,
}

/// The attempts of one run of `jobs` starting at `start`: one that passes, unless `fails` (its
/// last job fails); now and then the flaky job fails first, and a re-run a few minutes later
/// passes.
pub(super) fn plan_run(
    rng: &mut Rng,
    p: &CiProfile,
    jobs: &[JobSpec],
    start: i64,
    fails: bool,
) -> Vec<PlannedAttempt> {
    let flaky = jobs.iter().any(|j| j.name == p.flaky_job) && rng.chance(p.flaky);
    let mut out = Vec::new();
    let mut at = start;
    for number in 1..=if flaky { 2 } else { 1 } {
        let failing = if flaky && number == 1 {
            Some(p.flaky_job)
        } else if fails {
            jobs.last().map(|j| j.name)
        } else {
            None
        };
        let attempt = plan_attempt(rng, p, jobs, at, number, failing);
        at = attempt.end + rng.range(2 * M, 12 * M);
        out.push(attempt);
    }
    out
}

fn plan_attempt(
    rng: &mut Rng,
    p: &CiProfile,
    jobs: &[JobSpec],
    start: i64,
    number: u32,
    failing: Option<&str>,
) -> PlannedAttempt {
    let mut planned: Vec<PlannedJob> = Vec::new();
    let mut stage_end = start;
    let mut stage_start = start;
    for j in jobs {
        if j.after {
            stage_start = stage_end;
        }
        // A failed job stops the jobs that wait for it.
        if j.after && planned.iter().any(|x| !x.passed) {
            break;
        }
        let queue = if rng.chance(p.busy) {
            rng.range(p.busy_queue.0, p.busy_queue.1)
        } else {
            rng.range(p.queue.0, p.queue.1)
        };
        let created = stage_start;
        let started = created + queue;
        let passed = failing != Some(j.name);
        // A failing job fails part way through.
        let full = rng.range(j.took.0, j.took.1);
        let took = if passed {
            full
        } else {
            full * rng.range(30, 70) / 100
        };
        let finished = started + took.max(10 * S);
        stage_end = stage_end.max(finished);
        planned.push(PlannedJob {
            name: j.name,
            category: j.category,
            created,
            started,
            finished,
            passed,
        });
    }
    let end = planned.iter().map(|j| j.finished).max().unwrap_or(start) + rng.range(2 * S, 8 * S);
    PlannedAttempt {
        number,
        start,
        end,
        passed: planned.iter().all(|j| j.passed),
        jobs: planned,
    }
}

/// The canonical pipeline runs of the teams in `teams` (team → its repositories), for the last
/// [`PIPELINE_DAYS`] days before `now`, from the organisation's pull requests and production
/// deployments in `events`.
pub(super) fn runs(
    events: &[Event],
    teams: &[(&str, Vec<String>)],
    now: i64,
    rng: &mut Rng,
    source: &str,
) -> Vec<Event> {
    let from = now - PIPELINE_DAYS * DAY_MS;
    let mut team_of: HashMap<&str, &str> = HashMap::new();
    for (team, repos) in teams {
        for r in repos {
            team_of.insert(r.as_str(), team);
        }
    }
    let mut service_repo: HashMap<&str, &str> = HashMap::new();
    for e in events {
        if let Event::Service(s) = e {
            if let Some(r) = &s.repo {
                service_repo.insert(s.name.as_str(), r.as_str());
            }
        }
    }
    let mut out = Vec::new();
    let mut next_run = 8_000_000_000u64;
    let mut emit = |rng: &mut Rng,
                    repo: &str,
                    workflow: &str,
                    trigger: &str,
                    branch: &str,
                    sha: &str,
                    start: i64,
                    jobs: &[JobSpec],
                    fails: bool| {
        let Some(team) = team_of.get(repo) else {
            return;
        };
        if start < from || start >= now {
            return;
        }
        let p = profile(team);
        next_run += 1;
        for a in plan_run(rng, &p, jobs, start, fails) {
            if a.end >= now {
                continue;
            }
            out.push(Event::PipelineRun(run_event(
                source, repo, workflow, trigger, branch, sha, next_run, &a,
            )));
        }
    };
    for e in events {
        match e {
            Event::PullRequest(PullRequest {
                repo,
                id,
                opened_at,
                merged_at: Some(merged),
                merge_commit,
                commits,
                ..
            }) => {
                if let Some(head) = commits.last() {
                    // The pull request's checks, on its last commit, a while before the merge.
                    let start =
                        merged.0 - rng.range(30 * M, ((merged.0 - opened_at.0) / 2).max(31 * M));
                    let branch = format!("feature/{id}");
                    emit(
                        rng,
                        repo,
                        "CI",
                        "pull_request",
                        &branch,
                        head,
                        start,
                        profile_ci(&team_of, repo),
                        false,
                    );
                }
                if let Some(merge) = merge_commit {
                    // The merge commit's CI on the main branch, shortly after the merge.
                    let start = merged.0 + rng.range(20 * S, 3 * M);
                    emit(
                        rng,
                        repo,
                        "CI",
                        "push",
                        "main",
                        merge,
                        start,
                        profile_ci(&team_of, repo),
                        false,
                    );
                }
            }
            Event::Deployment(Deployment {
                service,
                environment,
                status,
                started_at,
                finished_at,
                sha,
                ..
            }) if environment == "production" => {
                let Some(repo) = service_repo.get(service.as_str()) else {
                    continue;
                };
                let Some(end) = finished_at.or(*started_at) else {
                    continue;
                };
                // Started by hand a few minutes before: the deployment starts during it.
                let start = started_at.map_or(end.0 - 8 * M, |s| s.0) - rng.range(2 * M, 3 * M);
                emit(
                    rng,
                    repo,
                    "Deploy",
                    "workflow_dispatch",
                    "main",
                    sha,
                    start,
                    DEPLOY,
                    *status == DeploymentStatus::Failure,
                );
            }
            _ => {}
        }
    }
    // The search team's nightly suite, at 02:00 on each day.
    if let Some((repo, _)) = team_of.iter().find(|(_, t)| **t == "search") {
        let repo = repo.to_string();
        let mut day = (from / DAY_MS + 1) * DAY_MS;
        while day + 2 * 3_600_000 < now {
            let fails = rng.chance(0.2);
            emit(
                rng,
                &repo,
                "Nightly",
                "schedule",
                "main",
                &format!("{:040x}", day),
                day + 2 * 3_600_000,
                NIGHTLY,
                fails,
            );
            day += DAY_MS;
        }
    }
    out
}

fn profile_ci(team_of: &HashMap<&str, &str>, repo: &str) -> &'static [JobSpec] {
    team_of.get(repo).map_or(&[], |t| profile(t).ci)
}

/// A canonical event for one attempt, with each job's three steps.
#[allow(clippy::too_many_arguments)]
fn run_event(
    source: &str,
    repo: &str,
    workflow: &str,
    trigger: &str,
    branch: &str,
    sha: &str,
    run: u64,
    a: &PlannedAttempt,
) -> PipelineRun {
    let t = |ms: i64| Some(Timestamp(ms));
    let status = |passed: bool| Some(if passed { "success" } else { "failure" }.to_owned());
    PipelineRun {
        source: source.into(),
        provider: "github".into(),
        id: format!("{run}-{}", a.number),
        run_id: Some(run.to_string()),
        repo: repo.into(),
        workflow: workflow.into(),
        branch: Some(branch.into()),
        sha: Some(sha.into()),
        trigger: Some(trigger.into()),
        status: "completed".into(),
        conclusion: status(a.passed),
        queued_at: t(a.start),
        started_at: t(a.start),
        finished_at: t(a.end),
        attempt: Some(a.number),
        jobs: a
            .jobs
            .iter()
            .enumerate()
            .map(|(i, j)| PipelineJob {
                name: j.name.into(),
                id: Some(format!("{run}{}{i}", a.number)),
                category: Some(j.category.into()),
                status: Some("completed".into()),
                conclusion: status(j.passed),
                created_at: t(j.created),
                started_at: t(j.started),
                finished_at: t(j.finished),
                steps: vec![
                    step(1, "Set up job", true, j.started, j.started + 2 * S),
                    step(
                        2,
                        &format!("Run {}", j.name),
                        j.passed,
                        j.started + 2 * S,
                        j.finished - S,
                    ),
                    step(3, "Complete job", true, j.finished - S, j.finished),
                ],
            })
            .collect(),
    }
}

fn step(number: u32, name: &str, passed: bool, started: i64, finished: i64) -> PipelineStep {
    PipelineStep {
        name: name.into(),
        number: Some(number),
        status: Some("completed".into()),
        conclusion: Some(if passed { "success" } else { "failure" }.into()),
        started_at: Some(Timestamp(started)),
        finished_at: Some(Timestamp(finished.max(started))),
    }
}
