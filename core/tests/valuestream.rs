//! The value stream on a hand-computed scenario: one service, seven merged pull requests, each
//! with the stages worked out in the comments (T = Monday 2026-03-02 09:00 UTC, h = hours).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use nagare_core::api::Interval;
use nagare_core::events::{ChangeType, PipelineJob, PipelineRun};
use nagare_core::model::{Org, Settings};
use nagare_core::query::ValueStreamParams;
use nagare_core::valuestream::{ChainName, Point};
use nagare_core::{Event, Timestamp};

const M: i64 = 60_000;
const H: i64 = 60 * M;
const D: i64 = 24 * H;

fn t(offset: i64) -> Timestamp {
    Timestamp(ts("2026-03-02T09:00:00Z").0 + offset)
}

fn pr(
    id: &str,
    commits: &[&str],
    merge: &str,
    opened: i64,
    review: Option<i64>,
    merged: i64,
) -> Event {
    let mut e = pull_request(
        "acme/shop",
        id,
        commits,
        Some(merge),
        t(opened),
        Some(t(merged)),
    );
    if let Event::PullRequest(p) = &mut e {
        p.first_review_at = review.map(t);
    }
    e
}

/// A CI run on `sha` (push to main): `attempts` = (conclusion, started, finished) offsets.
fn ci(run: u32, sha: &str, attempts: &[(&str, i64, i64)]) -> Vec<Event> {
    attempts
        .iter()
        .enumerate()
        .map(|(i, (conclusion, start, end))| {
            Event::PipelineRun(PipelineRun {
                source: "api".into(),
                provider: "github".into(),
                id: format!("{run}-{}", i + 1),
                run_id: Some(run.to_string()),
                repo: "acme/shop".into(),
                workflow: "CI".into(),
                branch: Some("main".into()),
                sha: Some(sha.into()),
                trigger: Some("push".into()),
                status: "completed".into(),
                conclusion: Some((*conclusion).into()),
                queued_at: None,
                started_at: Some(t(*start)),
                finished_at: Some(t(*end)),
                attempt: Some(i as u32 + 1),
                jobs: vec![
                    job("lint", "lint", *start, *start + 10 * M),
                    job("test", "test", *start, *end),
                ],
            })
        })
        .collect()
}

fn job(name: &str, category: &str, start: i64, end: i64) -> PipelineJob {
    PipelineJob {
        name: name.into(),
        id: None,
        category: Some(category.into()),
        status: Some("completed".into()),
        conclusion: Some("success".into()),
        created_at: Some(t(start)),
        started_at: Some(t(start)),
        finished_at: Some(t(end)),
        steps: Vec::new(),
    }
}

/// A production deployment of `sha`, started and finished at these offsets.
fn deploy_at(id: &str, sha: &str, start: i64, end: i64) -> Event {
    Event::Deployment(nagare_core::events::Deployment {
        started_at: Some(t(start)),
        ..deployment(id, "shop", sha, t(end))
    })
}

fn scenario() -> Vec<Event> {
    let mut e = vec![
        service("shop", Some("acme/shop"), &["web"]),
        commit("acme/shop", "c0", &[], t(-10 * D)),
        deploy_at("d0", "c0", -9 * D - 5 * M, -9 * D),
        // PR 1, a re-run that passed: coding 0 → 1 h, pickup → 2 h, review → 4 h (merged);
        // CI on m1 failed at 4.5 h, its re-run passed at 5 h (the last attempt): build & test
        // 1 h; release wait 5 h → 6 h; deploy 6 h → 6.25 h. Total 6.25 h.
        commit("acme/shop", "a1", &["c0"], t(0)),
        commit("acme/shop", "m1", &["c0", "a1"], t(4 * H)),
        pr("1", &["a1"], "m1", H, Some(2 * H), 4 * H),
        deploy_at("d1", "m1", 6 * H, 6 * H + 15 * M),
        // PR 2, no review: coding 1 h → 3 h (2 h); pickup + review 3 h → 5 h (2 h); CI 5 h →
        // 5 h 40 (40 min); release wait → 8 h (2 h 20); deploy → 8 h 10. Total 7 h 10.
        commit("acme/shop", "b1", &["m1"], t(H)),
        commit("acme/shop", "m2", &["m1", "b1"], t(5 * H)),
        pr("2", &["b1"], "m2", 3 * H, None, 5 * H),
        deploy_at("d2", "m2", 8 * H, 8 * H + 10 * M),
        // PR 3, no CI on its merge commit (its run was cancelled): coding 2 h → 2.5 h, pickup
        // → 3 h, review → 5.5 h; build & test + release wait 5.5 h → 10 h (4.5 h); deploy →
        // 10 h 5. Total 8 h 5.
        commit("acme/shop", "e1", &["m2"], t(2 * H)),
        commit("acme/shop", "m3", &["m2", "e1"], t(5 * H + 30 * M)),
        pr(
            "3",
            &["e1"],
            "m3",
            2 * H + 30 * M,
            Some(3 * H),
            5 * H + 30 * M,
        ),
        deploy_at("d3", "m3", 10 * H, 10 * H + 5 * M),
        // PR 4, deployed by a later merge (m5 in d4): coding 10 h → 10.5 h, pickup → 10 h 45,
        // review → 11 h, build & test → 11 h 20, release wait → 13 h (1 h 40), deploy → 13 h 5.
        // Total 3 h 5.
        commit("acme/shop", "g1", &["m3"], t(10 * H)),
        commit("acme/shop", "m4", &["m3", "g1"], t(11 * H)),
        pr(
            "4",
            &["g1"],
            "m4",
            10 * H + 30 * M,
            Some(10 * H + 45 * M),
            11 * H,
        ),
        // PR 5: coding 11.5 h → 11 h 40, pickup → 11 h 50, review → 12 h, build & test → 12.5 h,
        // release wait → 13 h, deploy → 13 h 5. Total 1 h 35.
        commit("acme/shop", "f1", &["m4"], t(11 * H + 30 * M)),
        commit("acme/shop", "m5", &["m4", "f1"], t(12 * H)),
        pr(
            "5",
            &["f1"],
            "m5",
            11 * H + 40 * M,
            Some(11 * H + 50 * M),
            12 * H,
        ),
        deploy_at("d4", "m5", 13 * H, 13 * H + 5 * M),
        // PR 6, whose deployment was rolled back: still its first production deployment.
        // coding 0 (18 h → 18 h), pickup → 18.5 h, review → 19 h, build & test → 19.5 h,
        // release wait → 20 h, deploy → 20 h 10. Total 2 h 10.
        commit("acme/shop", "h1", &["m5"], t(18 * H)),
        commit("acme/shop", "m6", &["m5", "h1"], t(19 * H)),
        pr("6", &["h1"], "m6", 18 * H, Some(18 * H + 30 * M), 19 * H),
        deploy_at("d5", "m6", 20 * H, 20 * H + 10 * M),
        // PR 7, a clock skew: its commit authored 23 h, after it was opened (22 h): coding is
        // −1 h, merged with pickup: 23 h → review 23.5 h = 30 min; review → 24 h, build & test
        // → 24 h 20, release wait → 25 h, deploy → 25 h 5. Total 2 h 5.
        commit("acme/shop", "k1", &["m6"], t(23 * H)),
        commit("acme/shop", "m7", &["m6", "k1"], t(24 * H)),
        pr("7", &["k1"], "m7", 22 * H, Some(23 * H + 30 * M), 24 * H),
        deploy_at("d7", "m7", 25 * H, 25 * H + 5 * M),
    ];
    // The rollback of d5, to m5, at 21 h: not a production deployment of any pull request's.
    if let Event::Deployment(mut d) = deploy_at("d6", "m5", 21 * H, 21 * H + 5 * M) {
        d.change_type = ChangeType::Rollback;
        e.push(Event::Deployment(d));
    }
    e.extend(ci(
        1,
        "m1",
        &[
            ("failure", 4 * H, 4 * H + 30 * M),
            ("success", 4 * H + 35 * M, 5 * H),
        ],
    ));
    e.extend(ci(2, "m2", &[("success", 5 * H, 5 * H + 40 * M)]));
    e.extend(ci(
        3,
        "m3",
        &[("cancelled", 5 * H + 30 * M, 5 * H + 45 * M)],
    ));
    e.extend(ci(4, "m4", &[("success", 11 * H, 11 * H + 20 * M)]));
    e.extend(ci(5, "m5", &[("success", 12 * H, 12 * H + 30 * M)]));
    e.extend(ci(6, "m6", &[("success", 19 * H, 19 * H + 30 * M)]));
    e.extend(ci(7, "m7", &[("success", 24 * H, 24 * H + 20 * M)]));
    e
}

fn report(chain: Option<ChainName>) -> nagare_core::api::ValueStreamReport {
    let mut o = Org::new(Settings::default());
    o.apply(scenario());
    let q = ValueStreamParams {
        from: Some(t(0)),
        to: Some(t(2 * D)),
        chain,
        ..ValueStreamParams::default()
    }
    .resolve(t(2 * D))
    .unwrap();
    o.value_stream(&q)
}

fn row<'a>(
    r: &'a nagare_core::api::ValueStreamReport,
    key: &str,
) -> &'a nagare_core::api::StageRow {
    r.stages
        .iter()
        .find(|s| s.key == key)
        .unwrap_or_else(|| panic!("no row {key}: {r:?}"))
}

#[test]
fn seven_pull_requests_by_hand() {
    let r = report(None);
    assert_eq!(r.pull_requests, 7);
    // Totals (min): 375, 430, 485, 185, 95, 130, 125: sum 1825; median 185 (3 h 5).
    let total = r.total.unwrap();
    assert_eq!(total.count, 7);
    assert!((total.median - 185.0 * 60.0).abs() < 1e-6, "{total:?}");
    assert!((total.mean * 7.0 - 1825.0 * 60.0).abs() < 1e-6, "{total:?}");
    // Review: PRs 1 (2 h), 3 (2.5 h), 4 (15 min), 5 (10 min), 6 (30 min), 7 (30 min); PR 2 has
    // none (its pickup + review is a row of its own).
    let review = row(&r, "review");
    assert_eq!(review.stats.unwrap().count, 6);
    assert!((review.stats.unwrap().median - 1800.0).abs() < 1e-6);
    let merged = row(&r, "pickup+review");
    assert!(merged.merged && !merged.active);
    assert_eq!(merged.stats.unwrap().count, 1);
    assert!((merged.stats.unwrap().median - 2.0 * 3600.0).abs() < 1e-6);
    assert_eq!(merged.slowest[0].id, "2");
    // Build & test: PR 1's is to its re-run's end (1 h); PR 3 has no CI: build & test +
    // release wait (4.5 h).
    let build = row(&r, "build_test");
    assert_eq!(build.stats.unwrap().count, 6);
    assert_eq!(build.slowest[0].id, "1");
    assert!((build.slowest[0].secs - 3600.0).abs() < 1e-6);
    let no_ci = row(&r, "build_test+release_wait");
    assert_eq!(no_ci.slowest[0].id, "3");
    assert!((no_ci.slowest[0].secs - 4.5 * 3600.0).abs() < 1e-6);
    // PR 4 went out with PR 5's merge: its release wait 1 h 40.
    let wait = row(&r, "release_wait");
    let four = wait.slowest.iter().find(|p| p.id == "4").unwrap();
    assert!((four.secs - 100.0 * 60.0).abs() < 1e-6);
    assert_eq!(four.deployment, "d4");
    // PR 6's first production deployment is d5, rolled back after.
    let deploy = row(&r, "deploy");
    assert_eq!(
        deploy
            .slowest
            .iter()
            .find(|p| p.id == "6")
            .unwrap()
            .deployment,
        "d5"
    );
    // PR 7's negative coding, merged with its pickup.
    let skew = row(&r, "coding+pickup");
    assert!((skew.stats.unwrap().median - 1800.0).abs() < 1e-6);
    assert_eq!(r.data_quality.negative_stages_merged, 1);
    let missing: Vec<(Point, u64)> = r
        .data_quality
        .missing
        .iter()
        .map(|m| (m.event, m.pull_requests))
        .collect();
    assert_eq!(missing, [(Point::FirstReview, 1), (Point::CiDone, 1)]);
    // Shares add up to 1; the bottleneck is the single stage with the most time: release
    // wait (60 + 140 + 100 + 30 + 30 + 40 = 400 min) over review (120 + 150 + 15 + 10 + 30 +
    // 30 = 355) and coding (60 + 120 + 30 + 30 + 10 + 0 = 250).
    let shares: f64 = r.stages.iter().map(|s| s.share).sum();
    assert!((shares - 1.0).abs() < 1e-9, "{shares}");
    assert_eq!(r.bottleneck.as_deref(), Some("release_wait"));
    assert!((row(&r, "release_wait").share - 400.0 / 1825.0).abs() < 1e-9);
    // Flow efficiency: coding 250 + build & test (60 + 40 + 20 + 30 + 30 + 20 = 200) + deploy
    // (15 + 10 + 5 + 5 + 5 + 10 + 5 = 55) = 505 min of 1825.
    let fe = r.flow_efficiency.unwrap();
    assert!((fe - 505.0 / 1825.0).abs() < 1e-9, "{fe}");
    // Build & test, by stage category: PR 1's test ran 4 h → 4.5 h and 4 h 35 → 5 h (55 min in
    // all), its lint 4 h → 4 h 10 and 4 h 35 → 4 h 45 (20 min).
    let test = build
        .breakdown
        .iter()
        .find(|c| c.category == "test")
        .unwrap();
    assert_eq!(test.pull_requests, 6);
}

#[test]
fn the_totals_are_the_pull_request_lead_times() {
    let r = report(None);
    let mut o = Org::new(Settings::default());
    o.apply(scenario());
    let mut q = query(t(0), t(2 * D));
    q.basis = nagare_core::api::LeadTimeBasis::PullRequest;
    let dora = o.dora(&q);
    let lead = &dora.change_lead_time;
    let total = r.total.unwrap();
    assert_eq!(lead.changes, total.count);
    assert!(
        close(lead.median, total.median)
            && close(lead.p90, total.p90)
            && close(lead.mean, total.mean)
    );
}

#[test]
fn review_until_approved_and_weekly_series() {
    // Without approvals the approval chain merges review and merge wait for every PR.
    let r = report(Some(ChainName::Approval));
    assert_eq!(r.chain, ChainName::Approval);
    assert!(r.stages.iter().any(|s| s.key == "review+merge_wait"));
    let mut o = Org::new(Settings::default());
    o.apply(scenario());
    let q = ValueStreamParams {
        from: Some(t(-D)),
        to: Some(t(2 * D)),
        interval: Some(Interval::Day),
        ..ValueStreamParams::default()
    }
    .resolve(t(2 * D))
    .unwrap();
    let series = o.value_stream(&q).series.unwrap();
    // Days (UTC) by the deployment's end: Mar 1 (from 09:00): none; Mar 2: PRs 1–5 (d1 at
    // 15:15 … d4 at 22:05); Mar 3: PRs 6 (d5 at 05:10) and 7 (d7 at 10:05); Mar 4 (to 09:00):
    // none.
    let counts: Vec<u64> = series.iter().map(|s| s.pull_requests).collect();
    assert_eq!(counts, [0, 5, 2, 0]);
}

/// A run on `sha` with its own workflow, trigger and jobs (`(name, category)`, each over the
/// whole attempt), one successful attempt.
fn run_of(
    id: &str,
    sha: &str,
    workflow: &str,
    trigger: &str,
    jobs: &[(&str, &str)],
    start: i64,
    end: i64,
) -> Event {
    let Event::PipelineRun(mut r) = ci(0, sha, &[("success", start, end)]).remove(0) else {
        unreachable!()
    };
    r.id = id.into();
    r.run_id = Some(id.into());
    r.workflow = workflow.into();
    r.trigger = Some(trigger.into());
    r.jobs = jobs.iter().map(|(n, c)| job(n, c, start, end)).collect();
    Event::PipelineRun(r)
}

#[test]
fn ci_done_counts_only_ci_finished_before_the_deployment() {
    // PR 8, merged before its CI finished and deployed before it did: coding 0 → 1 h, pickup
    // → 1.5 h, review → 2 h (merged). Its push CI on m8 runs 2 h → 4 h, but the deployment
    // starts at 3 h: no CI done, so build & test + release wait 2 h → 3 h (1 h); deploy → 3 h
    // 10. Total 3 h 10.
    // These runs on m8 do not count as CI either, though they finish before 3 h: a Deploy
    // workflow started by hand (2 h 30 → 2 h 50), a push workflow whose only jobs deploy
    // (2 h 10 → 2 h 20), a nightly suite (2 h 5 → 2 h 40), and a cancelled push run (2 h →
    // 2 h 15).
    // PR 9, merged at 4 h, CI on m9 4 h → 4 h 30 (success), deployed 5 h → 5 h 10: build & test
    // 30 min, release wait 30 min. Its coding 3 h → 3.5 h, pickup → 3 h 45, review → 4 h.
    // Total 2 h 10.
    let mut e = vec![
        service("shop", Some("acme/shop"), &["web"]),
        commit("acme/shop", "c0", &[], t(-10 * D)),
        deploy_at("d0", "c0", -9 * D - 5 * M, -9 * D),
        commit("acme/shop", "a8", &["c0"], t(0)),
        commit("acme/shop", "m8", &["c0", "a8"], t(2 * H)),
        pr("8", &["a8"], "m8", H, Some(H + 30 * M), 2 * H),
        deploy_at("d8", "m8", 3 * H, 3 * H + 10 * M),
        commit("acme/shop", "a9", &["m8"], t(3 * H)),
        commit("acme/shop", "m9", &["m8", "a9"], t(4 * H)),
        pr(
            "9",
            &["a9"],
            "m9",
            3 * H + 30 * M,
            Some(3 * H + 45 * M),
            4 * H,
        ),
        deploy_at("d9", "m9", 5 * H, 5 * H + 10 * M),
    ];
    e.extend(ci(8, "m8", &[("success", 2 * H, 4 * H)]));
    e.extend(ci(80, "m8", &[("cancelled", 2 * H, 2 * H + 15 * M)]));
    e.push(run_of(
        "deploy-8",
        "m8",
        "Deploy",
        "workflow_dispatch",
        &[("build", "build"), ("deploy", "deploy")],
        2 * H + 30 * M,
        2 * H + 50 * M,
    ));
    e.push(run_of(
        "cd-8",
        "m8",
        "Release",
        "push",
        &[("deploy", "deploy"), ("provision", "provision")],
        2 * H + 10 * M,
        2 * H + 20 * M,
    ));
    e.push(run_of(
        "nightly-8",
        "m8",
        "Nightly",
        "schedule",
        &[("e2e", "e2e")],
        2 * H + 5 * M,
        2 * H + 40 * M,
    ));
    e.extend(ci(9, "m9", &[("success", 4 * H, 4 * H + 30 * M)]));
    let mut o = Org::new(Settings::default());
    o.apply(e);
    let q = ValueStreamParams {
        from: Some(t(0)),
        to: Some(t(D)),
        ..ValueStreamParams::default()
    }
    .resolve(t(D))
    .unwrap();
    let r = o.value_stream(&q);
    assert_eq!(r.pull_requests, 2);
    let merged = row(&r, "build_test+release_wait");
    assert_eq!(merged.stats.unwrap().count, 1);
    assert_eq!(merged.slowest[0].id, "8");
    assert!(
        (merged.stats.unwrap().median - 3600.0).abs() < 1e-6,
        "{merged:?}"
    );
    let build = row(&r, "build_test");
    assert_eq!(build.stats.unwrap().count, 1);
    assert_eq!(build.slowest[0].id, "9");
    assert!((build.stats.unwrap().median - 1800.0).abs() < 1e-6);
    // Totals 190 and 130 min.
    let total = r.total.unwrap();
    assert!((total.mean * 2.0 - 320.0 * 60.0).abs() < 1e-6, "{total:?}");
    let ci_missing = r
        .data_quality
        .missing
        .iter()
        .find(|m| m.event == Point::CiDone)
        .map(|m| m.pull_requests);
    assert_eq!(ci_missing, Some(1));
    // PR 8's journey lists every run on its merge commit, and its CI done as missing.
    let (j, _) = o.journey("acme/shop", "8", None).unwrap();
    assert_eq!(j.runs.len(), 5, "{:?}", j.runs);
    let done = j.events.iter().find(|e| e.event == Point::CiDone).unwrap();
    assert_eq!(done.at, None);
    assert_eq!(j.total_secs, Some(190.0 * 60.0));
}
