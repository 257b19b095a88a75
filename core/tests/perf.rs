//! A timing self-check on a large generated organisation (ignored by default):
//!
//! ```text
//! NAGARE_PERF_SERVICES=200 cargo test -p nagare-core --release --test perf -- --ignored --nocapture
//! ```
//!
//! 200 services × (5000 commits, 500 deployments, 250 pull requests, 50 incidents) over a
//! year = 1M commits, 100k deployments, 50k pull requests, 10k incidents.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failure should panic

use nagare_core::api::{Benchmark, DoraQuery, Interval, LeadTimeBasis};
use nagare_core::events::{
    ChangeType, Commit, Deployment, DeploymentStatus, EnvironmentTier, Incident, PullRequest,
    Service,
};
use nagare_core::model::{Org, Settings};
use nagare_core::time::{DAY_MS, HOUR_MS, MINUTE_MS};
use nagare_core::{Event, Timestamp};
use std::time::Instant;

fn sha(repo: usize, i: usize) -> String {
    let mut x = (repo as u64) << 32 | i as u64;
    let mut out = String::with_capacity(40);
    for _ in 0..3 {
        x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (x >> 29);
        out.push_str(&format!("{x:016x}"));
    }
    out.truncate(40);
    out
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Events in time order (commits, then the deployments and incidents they lead to).
fn generate(services: usize) -> Vec<Event> {
    let start = Timestamp::parse("2024-01-01T00:00:00Z")
        .map(|t| t.0)
        .unwrap_or(0);
    let year = 365 * DAY_MS;
    let (commits, deploys, prs, incidents) = (5000usize, 500usize, 250usize, 50usize);
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut timed: Vec<(i64, Event)> = Vec::new();
    for s in 0..services {
        let name = format!("svc-{s}");
        let repo = format!("acme/repo-{s}");
        timed.push((
            start - DAY_MS,
            Event::Service(Service {
                source: "api".into(),
                name: name.clone(),
                repo: Some(repo.clone()),
                repo_url: Some(format!("https://github.com/{repo}")),
                teams: vec![format!("team-{}", s % 20)],
                path_prefix: None,
                tier: None,
            }),
        ));
        let step = year / commits as i64;
        for i in 0..commits {
            let t = start + i as i64 * step;
            let mut parents = Vec::new();
            if i > 0 {
                parents.push(sha(s, i - 1));
            }
            if i > 3 && i % 8 == 0 {
                parents.push(sha(s, i - 3));
            }
            timed.push((
                t,
                Event::Commit(Commit {
                    source: "api".into(),
                    repo: repo.clone(),
                    sha: sha(s, i),
                    parents,
                    author: Some(format!("dev{}", rng.below(50))),
                    authored_at: Timestamp(t - rng.below(120) as i64 * MINUTE_MS),
                    committed_at: Some(Timestamp(t)),
                    message: None,
                    paths: None,
                }),
            ));
        }
        for p in 0..prs {
            let last = (p + 1) * (commits / prs) - 1;
            let t = start + last as i64 * step;
            timed.push((
                t,
                Event::PullRequest(PullRequest {
                    source: "api".into(),
                    repo: repo.clone(),
                    id: p.to_string(),
                    title: None,
                    author: None,
                    opened_at: Timestamp(t - 6 * HOUR_MS),
                    first_review_at: None,
                    approved_at: None,
                    merged_at: Some(Timestamp(t)),
                    merge_commit: Some(sha(s, last)),
                    commits: (last.saturating_sub(3)..last).map(|i| sha(s, i)).collect(),
                }),
            ));
        }
        let dstep = year / deploys as i64;
        for d in 0..deploys {
            let t = start + d as i64 * dstep + rng.below(60) as i64 * MINUTE_MS;
            let head = (((t - start) / step) as usize).min(commits - 1);
            let status = match rng.below(100) {
                0..=3 => DeploymentStatus::Failure,
                4 => DeploymentStatus::InProgress,
                _ => DeploymentStatus::Success,
            };
            timed.push((
                t,
                Event::Deployment(Deployment {
                    source: "api".into(),
                    id: format!("{name}-d{d}"),
                    service: name.clone(),
                    environment: "production".into(),
                    environment_tier: None,
                    status,
                    started_at: Some(Timestamp(t - 10 * MINUTE_MS)),
                    finished_at: (status != DeploymentStatus::InProgress).then_some(Timestamp(t)),
                    sha: sha(s, head),
                    change_type: match rng.below(100) {
                        0..=2 => ChangeType::Rollback,
                        3..=4 => ChangeType::Hotfix,
                        _ => ChangeType::Normal,
                    },
                    remediates: None,
                    marked_failed: false,
                    commits: Vec::new(),
                }),
            ));
        }
        for k in 0..incidents {
            let t = start + rng.below(year as u64) as i64;
            timed.push((
                t,
                Event::Incident(Incident {
                    source: "api".into(),
                    id: format!("{name}-inc{k}"),
                    service: name.clone(),
                    title: None,
                    started_at: Timestamp(t),
                    resolved_at: (rng.below(10) > 0)
                        .then(|| Timestamp(t + (1 + rng.below(10) as i64) * HOUR_MS)),
                    severity: None,
                    caused_by_deployment: None,
                    excluded: false,
                    remediated_by_deployment: None,
                }),
            ));
        }
    }
    timed.sort_by_key(|(t, _)| *t);
    timed.into_iter().map(|(_, e)| e).collect()
}

fn query(interval: Interval, team: Option<&str>) -> DoraQuery {
    DoraQuery {
        from: Timestamp::parse("2024-01-01T00:00:00Z").unwrap(),
        to: Timestamp::parse("2025-01-01T00:00:00Z").unwrap(),
        service: None,
        team: team.map(Into::into),
        environment_tier: EnvironmentTier::Production,
        basis: LeadTimeBasis::Commit,
        benchmark: Benchmark::Dora2024,
        interval,
        time_zone: None,
        peers: Default::default(),
    }
}

fn time_queries(o: &Org) {
    let cases = [
        ("org-wide year, all", query(Interval::All, None)),
        ("org-wide year, weekly series", query(Interval::Week, None)),
        ("org-wide year, daily series", query(Interval::Day, None)),
        (
            "one team, year, weekly",
            query(Interval::Week, Some("team-3")),
        ),
        (
            "one service, year",
            DoraQuery {
                service: Some("svc-7".into()),
                ..query(Interval::All, None)
            },
        ),
    ];
    for (name, q) in cases {
        let mut ms: Vec<f64> = (0..20)
            .map(|_| {
                let t = Instant::now();
                let r = o.dora(&q);
                std::hint::black_box(&r);
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        let r = o.dora(&q);
        println!(
            "  dora {name}: p50 {:.1} ms, p95 {:.1} ms ({} deployments, {} changes)",
            ms[10], ms[18], r.deployment_frequency.deployments, r.change_lead_time.changes
        );
    }
}

#[test]
#[ignore]
fn large_org_timings() {
    let services: usize = std::env::var("NAGARE_PERF_SERVICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let t = Instant::now();
    let events = generate(services);
    println!(
        "generated {} events in {:.1} s",
        events.len(),
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let mut one = Org::new(Settings::default());
    one.apply(events.clone());
    println!(
        "one apply of everything: {:.2} s ({} events held)",
        t.elapsed().as_secs_f64(),
        one.event_count()
    );
    time_queries(&one);

    let t = Instant::now();
    let mut batched = Org::new(Settings::default());
    for chunk in events.chunks(10_000) {
        batched.apply(chunk.to_vec());
    }
    println!(
        "batches of 10k, in time order: {:.2} s",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(
        batched.dora(&query(Interval::Week, None)),
        one.dora(&query(Interval::Week, None))
    );

    // New deployments one at a time (webhooks) on the loaded org: what each apply costs.
    let mut ms: Vec<f64> = (0..40)
        .map(|i| {
            let s = 5 + i % 7;
            let t = Instant::now();
            batched.apply(vec![Event::Deployment(Deployment {
                source: "api".into(),
                id: format!("late-{i}"),
                service: format!("svc-{s}"),
                environment: "production".into(),
                environment_tier: None,
                status: DeploymentStatus::Success,
                started_at: None,
                finished_at: Some(Timestamp(
                    Timestamp::parse("2024-12-31T23:00:00Z").unwrap().0 + i as i64 * MINUTE_MS,
                )),
                sha: sha(s, 4999),
                change_type: ChangeType::Normal,
                remediates: None,
                marked_failed: false,
                commits: Vec::new(),
            })]);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    println!(
        "one more deployment, 40 times: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        ms[20], ms[38], ms[39]
    );

    // Deployments first, then the commits (the worst order for the commit walk).
    let (mut commits, rest): (Vec<Event>, Vec<Event>) = events
        .into_iter()
        .partition(|e| matches!(e, Event::Commit(_)));
    let mut reordered = rest;
    reordered.append(&mut commits);
    let t = Instant::now();
    let mut late = Org::new(Settings::default());
    for chunk in reordered.chunks(10_000) {
        late.apply(chunk.to_vec());
    }
    println!(
        "batches of 10k, commits after deployments: {:.2} s",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(
        late.dora(&query(Interval::Week, None)),
        one.dora(&query(Interval::Week, None))
    );
}
