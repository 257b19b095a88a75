//! The large synthetic organisation of `make bench`.

use super::sim::*;
use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS};
use crate::{Event, Timestamp};

/// Sizes of a synthetic organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthSpec {
    pub deployments: usize,
    pub commits: usize,
    pub pull_requests: usize,
    pub incidents: usize,
    pub services: usize,
    pub teams: usize,
}

impl SynthSpec {
    /// The size `make bench` uses: 100k production deployments, 1M commits, 50k pull requests
    /// and 10k incidents across 200 services and 20 teams, over one year.
    pub const BENCH: SynthSpec = SynthSpec {
        deployments: 100_000,
        commits: 1_000_000,
        pull_requests: 50_000,
        incidents: 10_000,
        services: 200,
        teams: 20,
    };

    /// [`SynthSpec::BENCH`] with its counts (not its services and teams) times `scale`, each
    /// at least 1.
    pub fn bench_scaled(scale: f64) -> SynthSpec {
        let b = SynthSpec::BENCH;
        let sized = |n: usize| ((n as f64 * scale).round() as usize).max(1);
        SynthSpec {
            deployments: sized(b.deployments),
            commits: sized(b.commits),
            pull_requests: sized(b.pull_requests),
            incidents: sized(b.incidents),
            services: b.services,
            teams: b.teams,
        }
    }
}

/// A large organisation of exactly the given sizes (production deployments, commits, pull
/// requests and attributed incidents; staging deployments come on top), over the year before
/// `end`. Generated one service at a time, so memory stays small.
pub fn synthetic(spec: &SynthSpec, seed: u64, end: Timestamp) -> impl Iterator<Item = Event> {
    const SOURCE: &str = "bench";
    let spec = *spec;
    let services = spec.services.max(1);
    let teams = spec.teams.clamp(1, services);
    let start = end.0 - 365 * DAY_MS;
    let share = move |total: usize, i: usize| total / services + usize::from(i < total % services);
    let profile = Profile {
        prs_per_day: 0.0,
        pr_open: (2 * HOUR_MS, 3 * DAY_MS),
        commits_per_pr: (1, 1),
        change_failure: 0.0,
        recovery: (30 * MINUTE_MS, 12 * HOUR_MS),
        failed_attempt: 0.0,
        rhythm: Rhythm::Daily(1),
        pickup: (10, 60),
    };
    let header = (0..teams).map(move |t| {
        let members: Vec<String> = (0..5).map(|m| format!("dev-{t}-{m}")).collect();
        team_events(SOURCE, &format!("team-{t}"), &format!("Team {t}"), &members)
    });
    let body = (0..services).flat_map(move |i| {
        let mut rng = Rng::new(seed.wrapping_add(i as u64));
        let name = format!("svc-{i}");
        let repo = format!("synth/repo-{i}");
        let team = format!("team-{}", i % teams);
        let members: Vec<String> = (0..5).map(|m| format!("dev-{}-{m}", i % teams)).collect();
        let deploys_n = share(spec.deployments, i);
        let prs_n = share(spec.pull_requests, i);
        let incidents_n = share(spec.incidents, i).min(deploys_n);
        let commits_n = share(spec.commits, i);
        // Each pull request brings its branch commits plus one merge commit; the root is one more.
        let per_pr = commits_n
            .saturating_sub(1 + prs_n)
            .checked_div(prs_n)
            .map_or(0, |n| n.clamp(1, 30));
        let mut p = profile.clone();
        p.commits_per_pr = (per_pr as i64, per_pr as i64);
        let used = 1 + prs_n * (per_pr + 1);
        // Deployments spread evenly over the year, with jitter; failures chosen at even steps.
        let gap = (365 * DAY_MS) / (deploys_n.max(1) as i64 + 1);
        let step = deploys_n.checked_div(incidents_n).unwrap_or(usize::MAX);
        let deploys: Vec<PlannedDeploy> = (0..deploys_n)
            .map(|k| {
                let at = start + gap * (k as i64 + 1) + rng.range(0, gap / 2);
                let failure = (step != usize::MAX
                    && k % step == step / 2
                    && k / step < incidents_n)
                    .then(|| Failure {
                        incident_after: rng.range(5, 120) * MINUTE_MS,
                        recovery: rng.range(p.recovery.0, p.recovery.1),
                        rollback: rng.chance(0.5),
                        explicit_link: rng.chance(0.3),
                    });
                PlannedDeploy { at, failure }
            })
            .collect();
        let hotfixes = deploys
            .iter()
            .filter(|d| d.failure.is_some_and(|f| !f.rollback))
            .count();
        let direct = commits_n.saturating_sub(used + hotfixes);
        let mut plans = vec![ServicePlan {
            name: &name,
            profile: &p,
            deploys,
        }];
        let mut next_incident = (i as u64) * 1_000_000;
        let mut events = vec![service_event(SOURCE, &name, &repo, &team, false)];
        events.extend(simulate_repo(
            &mut rng,
            SOURCE,
            &repo,
            &mut plans,
            prs_n,
            direct,
            &members,
            start,
            end.0,
            &mut next_incident,
        ));
        events
    });
    header.chain(body)
}

/// `runs` pipeline run attempts over the year before `end`, spread over the synthetic
/// organisation's `services` repositories (`synth/repo-<i>`), for the pipelines benchmark:
/// workflows CI (pull request and push), Deploy and Nightly; five jobs a CI run (lint, test,
/// build, e2e, security scan), two a Deploy, one a Nightly; one attempt in twenty fails, and
/// one in thirty is re-run (a flaky job passing on the second attempt). Generated a run at a
/// time, so memory stays small.
pub fn synthetic_runs(
    runs: usize,
    services: usize,
    seed: u64,
    end: Timestamp,
) -> impl Iterator<Item = Event> {
    let services = services.max(1) as u64;
    let start = end.0 - 365 * DAY_MS;
    let step = (365 * DAY_MS) / runs.max(1) as i64;
    let mut rng = Rng::new(seed ^ 0x005e_ed0f_2a11);
    let mut made = 0usize;
    let mut run = 0u64;
    std::iter::from_fn(move || {
        if made >= runs {
            return None;
        }
        run += 1;
        let repo = format!("synth/repo-{}", rng.next() % services);
        let (workflow, trigger, jobs): (&str, &str, &[(&str, &str, i64)]) = match rng.next() % 10 {
            0..=5 => (
                "CI",
                if rng.chance(0.5) {
                    "pull_request"
                } else {
                    "push"
                },
                &[
                    ("lint", "lint", MINUTE_MS),
                    ("test", "test", 6 * MINUTE_MS),
                    ("build", "build", 3 * MINUTE_MS),
                    ("e2e", "e2e", 9 * MINUTE_MS),
                    ("security-scan", "security_scan", 2 * MINUTE_MS),
                ],
            ),
            6..=8 => (
                "Deploy",
                "workflow_dispatch",
                &[
                    ("build", "build", 3 * MINUTE_MS),
                    ("deploy", "deploy", 2 * MINUTE_MS),
                ],
            ),
            _ => (
                "Nightly",
                "schedule",
                &[("e2e-full", "e2e", 30 * MINUTE_MS)],
            ),
        };
        let sha = format!("{:016x}{:016x}{:08x}", rng.next(), rng.next(), run as u32);
        let branch = if trigger == "pull_request" {
            format!("feature/{}", run % 5000)
        } else {
            "main".into()
        };
        let at = start + made as i64 * step;
        let run_ref = RunRef {
            run,
            repo: &repo,
            workflow,
            trigger,
            branch: &branch,
            sha: &sha,
        };
        let out = attempts(&mut rng, &run_ref, at, jobs);
        made += out.len();
        Some(out)
    })
    .flatten()
}

/// What names a synthetic run.
struct RunRef<'a> {
    run: u64,
    repo: &'a str,
    workflow: &'a str,
    trigger: &'a str,
    branch: &'a str,
    sha: &'a str,
}

/// A run's attempts from `at`: one, or (1 in 30) a failed one and its re-run 20 minutes
/// later; now and then (5 %) an attempt fails on its own.
fn attempts(rng: &mut Rng, r: &RunRef<'_>, at: i64, jobs: &[(&str, &str, i64)]) -> Vec<Event> {
    use crate::events::{PipelineJob, PipelineRun};
    let attempts = if rng.chance(1.0 / 30.0) { 2 } else { 1 };
    let mut out = Vec::with_capacity(attempts);
    for attempt in 1..=attempts {
        let fails = (attempts == 2 && attempt == 1) || rng.chance(0.05);
        let failing = fails.then(|| rng.next() as usize % jobs.len());
        let begin = at + (attempt as i64 - 1) * 20 * MINUTE_MS;
        let mut end_at = begin;
        let jobs: Vec<PipelineJob> = jobs
            .iter()
            .enumerate()
            .map(|(k, (name, category, took))| {
                let created = begin + k as i64 * 1000;
                let started = created + rng.range(2_000, 90_000);
                let finished = started + rng.range(took / 2, took * 3 / 2);
                end_at = end_at.max(finished);
                let ok = failing != Some(k);
                PipelineJob {
                    name: (*name).into(),
                    id: None,
                    category: Some((*category).into()),
                    status: Some("completed".into()),
                    conclusion: Some(if ok { "success" } else { "failure" }.into()),
                    created_at: Some(Timestamp(created)),
                    started_at: Some(Timestamp(started)),
                    finished_at: Some(Timestamp(finished)),
                    steps: Vec::new(),
                }
            })
            .collect();
        out.push(Event::PipelineRun(PipelineRun {
            source: "bench".into(),
            provider: "github".into(),
            id: format!("{}-{attempt}", r.run),
            run_id: Some(r.run.to_string()),
            repo: r.repo.into(),
            workflow: r.workflow.into(),
            branch: Some(r.branch.into()),
            sha: Some(r.sha.into()),
            trigger: Some(r.trigger.into()),
            status: "completed".into(),
            conclusion: Some(if fails { "failure" } else { "success" }.into()),
            queued_at: Some(Timestamp(begin)),
            started_at: Some(Timestamp(begin)),
            finished_at: Some(Timestamp(end_at + 2_000)),
            attempt: Some(attempt as u32),
            jobs,
        }));
    }
    out
}

/// The merge commits of `events`' merged pull requests: (repository, sha, merged at).
pub fn merge_commits(events: &[Event]) -> Vec<(String, String, Timestamp)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::PullRequest(p) => Some((p.repo.clone(), p.merge_commit.clone()?, p.merged_at?)),
            _ => None,
        })
        .collect()
}

/// CI on each merge commit (a push run of lint, test and build a minute after the merge), as
/// a value stream needs; run ids from 10^12 up, apart from [`synthetic_runs`]' own.
pub fn synthetic_merge_ci(
    merges: Vec<(String, String, Timestamp)>,
    seed: u64,
) -> impl Iterator<Item = Event> {
    const JOBS: &[(&str, &str, i64)] = &[
        ("lint", "lint", MINUTE_MS),
        ("test", "test", 6 * MINUTE_MS),
        ("build", "build", 3 * MINUTE_MS),
    ];
    let mut rng = Rng::new(seed ^ 0x0c1d_0e7e);
    merges
        .into_iter()
        .enumerate()
        .flat_map(move |(i, (repo, sha, merged))| {
            let r = RunRef {
                run: 1_000_000_000_000 + i as u64,
                repo: &repo,
                workflow: "CI",
                trigger: "push",
                branch: "main",
                sha: &sha,
            };
            attempts(&mut rng, &r, merged.0 + MINUTE_MS, JOBS)
        })
}
