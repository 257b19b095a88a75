//! The pipelines views on a hand-computed scenario: every number below is worked out in the
//! comments from the events, and the answers must not depend on the order events arrive in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use nagare_core::events::{PipelineJob, PipelineRun};
use nagare_core::model::{Org, Settings};
use nagare_core::pipelines::{Outcome, Trigger};
use nagare_core::query::{PipelineRunQuery, PipelineWindowParams};
use nagare_core::{Event, Timestamp};

const M: i64 = 60_000;
const D: i64 = 24 * 60 * M;

/// Monday 2026-03-02 10:00 UTC.
fn t0() -> i64 {
    ts("2026-03-02T10:00:00Z").0
}

fn at(offset: i64) -> Option<Timestamp> {
    Some(Timestamp(t0() + offset))
}

/// A job: created, started and finished at these offsets from T0 (ms), with a conclusion.
fn job(name: &str, times: (i64, i64, i64), conclusion: &str) -> PipelineJob {
    PipelineJob {
        name: name.into(),
        id: Some(format!("{name}-{}", times.0)),
        category: Some(if name == "lint" { "lint" } else { "test" }.into()),
        status: Some("completed".into()),
        conclusion: Some(conclusion.into()),
        created_at: at(times.0),
        started_at: at(times.1),
        finished_at: at(times.2),
        steps: Vec::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn run(
    repo: &str,
    workflow: &str,
    run: u32,
    attempt: u32,
    sha: &str,
    (trigger, branch): (&str, &str),
    (started, finished): (i64, i64),
    conclusion: Option<&str>,
    jobs: Vec<PipelineJob>,
) -> Event {
    Event::PipelineRun(PipelineRun {
        source: "api".into(),
        provider: "github".into(),
        id: format!("{run}-{attempt}"),
        run_id: Some(run.to_string()),
        repo: repo.into(),
        workflow: workflow.into(),
        branch: Some(branch.into()),
        sha: Some(sha.into()),
        trigger: Some(trigger.into()),
        status: if conclusion.is_some() {
            "completed"
        } else {
            "in_progress"
        }
        .into(),
        conclusion: conclusion.map(Into::into),
        queued_at: None,
        started_at: at(started),
        finished_at: conclusion.and(at(finished)),
        attempt: Some(attempt),
        jobs,
    })
}

fn scenario() -> Vec<Event> {
    let push = ("push", "main");
    vec![
        service("shop", Some("acme/shop"), &["checkout"]),
        service("web", Some("acme/web"), &["storefront"]),
        // A1: run 100 on s1 fails at 10 min: "test" failed (ran 2→9 min). Its first job by
        // creation is a tie at 0; "lint" started first (1 min): queue 1 min.
        run(
            "acme/shop",
            "ci",
            100,
            1,
            "s1",
            push,
            (0, 10 * M),
            Some("failure"),
            vec![
                job("lint", (0, M, 3 * M), "success"),
                job("test", (0, 2 * M, 9 * M), "failure"),
            ],
        ),
        // A2: its re-run passes, 20 → 32 min (12 min); first job created at 20 min, started
        // 30 s later: queue 30 s.
        run(
            "acme/shop",
            "ci",
            100,
            2,
            "s1",
            push,
            (20 * M, 32 * M),
            Some("success"),
            vec![
                job("lint", (20 * M, 20 * M + M / 2, 22 * M), "success"),
                job("test", (20 * M, 21 * M, 31 * M), "success"),
            ],
        ),
        // B: a pull request's run, cancelled (50 → 55 min; queue 20 s).
        run(
            "acme/shop",
            "ci",
            101,
            1,
            "s2",
            ("pull_request", "feature"),
            (50 * M, 55 * M),
            Some("cancelled"),
            vec![job("test", (50 * M, 50 * M + M / 3, 55 * M), "cancelled")],
        ),
        // C: the deploy workflow on s1, 40 → 45 min, no jobs (no queue time).
        run(
            "acme/shop",
            "deploy",
            102,
            1,
            "s1",
            push,
            (40 * M, 45 * M),
            Some("success"),
            vec![],
        ),
        // D: acme/web's ci a day later: 8 min, queued 4 min.
        run(
            "acme/web",
            "ci",
            200,
            1,
            "w1",
            push,
            (D, D + 8 * M),
            Some("success"),
            vec![job("build", (D, D + 4 * M, D + 8 * M), "success")],
        ),
        // E: still running.
        run(
            "acme/shop",
            "ci",
            103,
            1,
            "s4",
            push,
            (2 * D, 0),
            None,
            vec![],
        ),
        // F: run 104 on s5 fails a week later (8 min; "test" created at once, ran 1 → 7 min:
        // queued 1 min), and
        // a later run, 105, on the same sha passes (30 → 39 min: 9 min; queued 1 min).
        run(
            "acme/shop",
            "ci",
            104,
            1,
            "s5",
            push,
            (7 * D, 7 * D + 8 * M),
            Some("failure"),
            vec![job("test", (7 * D, 7 * D + M, 7 * D + 7 * M), "failure")],
        ),
        run(
            "acme/shop",
            "ci",
            105,
            1,
            "s5",
            push,
            (7 * D + 30 * M, 7 * D + 39 * M),
            Some("success"),
            vec![job(
                "test",
                (7 * D + 30 * M, 7 * D + 31 * M, 7 * D + 39 * M),
                "success",
            )],
        ),
        // s1 is the merge commit of pull request 7; run C produced deployment d1 (started at
        // 41 min, while C ran).
        pull_request(
            "acme/shop",
            "7",
            &["s0"],
            Some("s1"),
            Timestamp(t0() - D),
            Some(Timestamp(t0() - M)),
        ),
        Event::Deployment(nagare_core::events::Deployment {
            started_at: at(41 * M),
            ..deployment("d1", "shop", "s1", Timestamp(t0() + 44 * M))
        }),
    ]
}

fn org(events: Vec<Event>) -> Org {
    let mut o = Org::new(Settings::default());
    o.apply(events);
    o
}

fn ids(o: &Org, q: &PipelineRunQuery) -> Vec<String> {
    o.pipeline_runs(q).items.into_iter().map(|r| r.id).collect()
}

fn window(from: i64, to: i64) -> nagare_core::query::PipelineWindow {
    PipelineWindowParams {
        from: Some(Timestamp(from)),
        to: Some(Timestamp(to)),
        ..PipelineWindowParams::default()
    }
    .resolve(Timestamp(to))
    .unwrap()
}

#[test]
fn runs_are_listed_running_first_then_newest_finished_and_filtered() {
    let o = org(scenario());
    let all = o.pipeline_runs(&PipelineRunQuery::default());
    assert_eq!(all.total, 8);
    assert_eq!(
        all.items.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [
            "github:103-1",
            "github:105-1",
            "github:104-1",
            "github:200-1",
            "github:101-1",
            "github:102-1",
            "github:100-2",
            "github:100-1"
        ]
    );
    let a1 = &all.items[7];
    assert_eq!(
        (a1.outcome, a1.queue_secs, a1.duration_secs),
        (Outcome::Failure, Some(60.0), Some(600.0))
    );
    assert_eq!(
        (a1.run_id.as_str(), a1.attempt, a1.jobs, a1.failed_jobs),
        ("100", Some(1), 2, 1)
    );
    assert_eq!(a1.services, ["shop"]);
    assert_eq!(
        a1.url.as_deref(),
        Some("https://git.example/acme/shop/actions/runs/100")
    );
    assert_eq!(
        all.items[6].url.as_deref(),
        Some("https://git.example/acme/shop/actions/runs/100/attempts/2")
    );
    assert_eq!(
        a1.commit_url.as_deref(),
        Some("https://git.example/acme/shop/commit/s1")
    );
    let running = &all.items[0];
    assert_eq!(
        (running.outcome, running.duration_secs, running.finished_at),
        (Outcome::Running, None, None)
    );
    let b = &all.items[4];
    assert_eq!(
        (b.outcome, b.trigger_kind, b.queue_secs),
        (Outcome::Cancelled, Trigger::PullRequest, Some(20.0))
    );

    let q = |f: fn(&mut PipelineRunQuery)| {
        let mut q = PipelineRunQuery::default();
        f(&mut q);
        ids(&o, &q)
    };
    assert_eq!(
        q(|q| q.outcome = Some(Outcome::Failure)),
        ["github:104-1", "github:100-1"]
    );
    assert_eq!(
        q(|q| q.trigger = Some(Trigger::PullRequest)),
        ["github:101-1"]
    );
    assert_eq!(q(|q| q.service = Some("web".into())), ["github:200-1"]);
    assert_eq!(q(|q| q.team = Some("storefront".into())), ["github:200-1"]);
    assert_eq!(q(|q| q.team = Some("checkout".into())).len(), 7);
    assert_eq!(q(|q| q.workflow = Some("deploy".into())), ["github:102-1"]);
    assert_eq!(q(|q| q.branch = Some("feature".into())), ["github:101-1"]);
    assert_eq!(
        q(|q| q.conclusion = Some("cancelled".into())),
        ["github:101-1"]
    );
    assert_eq!(
        q(|q| q.repo = Some("acme/nope".into())),
        Vec::<String>::new()
    );
    assert!(q(|q| q.workflow = Some("no such workflow".into())).is_empty());
    // The first day: A1, A2, C, B (the running one started two days in).
    let first_day = q(|q| {
        q.from = Some(Timestamp(t0()));
        q.to = Some(Timestamp(t0() + D));
    });
    assert_eq!(
        first_day,
        [
            "github:101-1",
            "github:102-1",
            "github:100-2",
            "github:100-1"
        ]
    );
    // Pages of 3: the third holds the last two.
    let page = o.pipeline_runs(&PipelineRunQuery {
        page: 3,
        per_page: 3,
        ..PipelineRunQuery::default()
    });
    assert_eq!((page.total, page.items.len()), (8, 2));
}

#[test]
fn a_runs_detail_has_its_jobs_its_attempts_its_deployment_and_pull_request() {
    let o = org(scenario());
    let (a2, services) = o.pipeline_run(None, "github:100-2").unwrap();
    assert_eq!(services, ["shop"]);
    assert_eq!(
        a2.attempts
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>(),
        ["github:100-1", "github:100-2"]
    );
    let jobs: Vec<(&str, Option<f64>, Option<f64>)> = a2
        .job_list
        .iter()
        .map(|j| (j.name.as_str(), j.queue_secs, j.duration_secs))
        .collect();
    // lint: queued 30 s, ran 1.5 min; test: queued 1 min, ran 10 min.
    assert_eq!(
        jobs,
        [
            ("lint", Some(30.0), Some(90.0)),
            ("test", Some(60.0), Some(600.0))
        ]
    );
    assert_eq!(a2.job_list[0].category, "lint");
    let pr = a2.pull_request.unwrap();
    assert_eq!(
        (pr.repo.as_str(), pr.id.as_str(), pr.merge),
        ("acme/shop", "7", true)
    );
    // d1 started at 41 min: after A2 ended (32 min), while C ran (40 → 45 min).
    assert_eq!(a2.deployment, None);
    assert_eq!(
        o.pipeline_run(None, "github:102-1")
            .unwrap()
            .0
            .deployment
            .as_deref(),
        Some("d1")
    );
    assert_eq!(
        o.pipeline_run(Some("api"), "github:102-1")
            .map(|d| d.0.run.id),
        Some("github:102-1".into())
    );
    assert!(o.pipeline_run(Some("other"), "github:102-1").is_none());
    assert!(o.pipeline_run(None, "github:999-1").is_none());
}

#[test]
fn workflows_over_two_weeks_by_hand() {
    let o = org(scenario());
    let r = o.workflows(&window(t0(), t0() + 14 * D));
    let names: Vec<(&str, &str)> = r
        .workflows
        .iter()
        .map(|w| (w.repo.as_str(), w.workflow.as_str()))
        .collect();
    // Most attempts first: shop/ci has A1, A2, B, F104, F105 (E still runs).
    assert_eq!(
        names,
        [
            ("acme/shop", "ci"),
            ("acme/shop", "deploy"),
            ("acme/web", "ci")
        ]
    );
    let ci = &r.workflows[0].numbers;
    assert_eq!(
        (ci.success, ci.failure, ci.cancelled, ci.skipped),
        (2, 2, 1, 0)
    );
    // Durations of the successes and failures: 8, 9, 10, 12 min. p50 = 9.5 min = 570 s; p90:
    // rank 3 × 0.9 = 2.7, 10 + 0.7 × 2 = 11.4 min = 684 s.
    assert!(
        close(ci.duration_p50_secs, 570.0) && close(ci.duration_p90_secs, 684.0),
        "{ci:?}"
    );
    // Queues (cancelled ones too): B 20 s, A2 30 s, and A1, F104 and F105 60 s each: p50 and
    // p90 60 s.
    assert!(
        close(ci.queue_p50_secs, 60.0) && close(ci.queue_p90_secs, 60.0),
        "{ci:?}"
    );
    assert_eq!(ci.success_rate, Some(0.5));
    // First attempts decided: A1 failed, F104 failed, F105 passed: 1 of 3.
    assert!(close(ci.first_attempt_pass_rate, 1.0 / 3.0));
    let web = &r.workflows[2].numbers;
    assert_eq!(
        (web.success, web.queue_p50_secs, web.duration_p50_secs),
        (1, Some(240.0), Some(480.0))
    );
    // Filtered to a team.
    let mut w = window(t0(), t0() + 14 * D);
    w.team = Some("storefront".into());
    assert_eq!(o.workflows(&w).workflows.len(), 1);
}

#[test]
fn a_workflows_weeks_and_where_its_time_goes() {
    let o = org(scenario());
    let mut w = window(t0(), t0() + 14 * D);
    w.repo = Some("acme/shop".into());
    w.workflow = Some("ci".into());
    let (trend, newest) = o.workflow_trend(&w, 3).unwrap();
    let weeks: Vec<(Timestamp, u64, u64, u64)> = trend
        .weeks
        .iter()
        .map(|x| {
            (
                x.start,
                x.numbers.success,
                x.numbers.failure,
                x.numbers.cancelled,
            )
        })
        .collect();
    // The window starts on Monday 10:00, so the first week starts there; the second on
    // Monday 2026-03-09.
    assert_eq!(
        weeks,
        [
            (Timestamp(t0()), 1, 1, 1),
            (ts("2026-03-09T00:00:00Z"), 1, 1, 0)
        ]
    );
    // Its jobs in the decided attempts: test ran 7, 10, 6, 8 min (A1, A2, F104, F105) in
    // attempts of 10 + 12 + 8 + 9 = 39 min: share 31/39; median 7.5 min = 450 s. lint ran 2
    // and 1.5 min in A1 and A2 (22 min): share 3.5/22.
    let jobs: Vec<(&str, f64, Option<f64>)> = trend
        .jobs
        .iter()
        .map(|j| (j.name.as_str(), j.median_secs, j.share))
        .collect();
    assert_eq!(jobs[0].0, "test");
    assert!((jobs[0].1 - 450.0).abs() < 1e-9);
    assert!(close(jobs[0].2, 31.0 / 39.0));
    assert_eq!(jobs[1].0, "lint");
    assert!(close(jobs[1].2, 3.5 / 22.0));
    // The newest three decided attempts, for their steps.
    let names: Vec<&str> = newest.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(names, ["github:105-1", "github:104-1", "github:100-2"]);
    w.workflow = Some("nope".into());
    assert!(o.workflow_trend(&w, 3).is_none());
}

#[test]
fn flaky_jobs_by_hand() {
    let o = org(scenario());
    let r = o.flaky_jobs(&window(t0(), t0() + 14 * D));
    assert_eq!(r.jobs.len(), 1, "{r:?}");
    let j = &r.jobs[0];
    assert_eq!(
        (j.repo.as_str(), j.workflow.as_str(), j.job.as_str()),
        ("acme/shop", "ci", "test")
    );
    // A1 → A2 (a re-run) and 104 → 105 (a later run): 2 occurrences. Time lost: A1's 10 min
    // and 104's 8 min; the failed job's own time: 7 and 6 min.
    assert_eq!((j.occurrences, j.failed_attempts), (2, 2));
    assert!((j.time_lost_secs - 1080.0).abs() < 1e-9 && (j.failed_job_secs - 780.0).abs() < 1e-9);
    assert_eq!(j.evidence[0].passed, "github:105-1");
    assert_eq!(j.evidence[0].failed, ["github:104-1"]);
    assert_eq!(j.evidence[1].sha, "s1");
    // Only the passes in the window count: the second week holds one.
    let second = o.flaky_jobs(&window(t0() + 7 * D, t0() + 14 * D));
    assert_eq!(second.jobs[0].occurrences, 1);
    let mut w = window(t0(), t0() + 14 * D);
    w.team = Some("storefront".into());
    assert!(o.flaky_jobs(&w).jobs.is_empty());
}

#[test]
fn the_answers_do_not_depend_on_the_order_events_arrive_in() {
    let whole = org(scenario());
    let mut events = scenario();
    events.reverse();
    let mut split = Org::new(Settings::default());
    for e in events {
        split.apply(vec![e]);
    }
    let w = window(t0(), t0() + 14 * D);
    assert_eq!(
        whole.pipeline_runs(&PipelineRunQuery::default()),
        split.pipeline_runs(&PipelineRunQuery::default())
    );
    assert_eq!(whole.workflows(&w), split.workflows(&w));
    assert_eq!(whole.flaky_jobs(&w), split.flaky_jobs(&w));
    // A run replaced by its later state moves in the list: E finishes.
    let mut later = scenario();
    later.push(run(
        "acme/shop",
        "ci",
        103,
        1,
        "s4",
        ("push", "main"),
        (2 * D, 2 * D + 5 * M),
        Some("success"),
        vec![],
    ));
    let o = org(later);
    let first = &o.pipeline_runs(&PipelineRunQuery::default()).items[0];
    assert_eq!(first.id, "github:105-1");
}
