//! Property tests on generated small organisations:
//! - the derived model (DORA reports, lists, details) does not depend on the order events
//!   arrive in, nor on how they are split into `apply` calls;
//! - applying twice equals applying once;
//! - applying older versions of events first, then the final ones, equals applying the final
//!   ones (upserts re-derive correctly);
//! - the incremental commit attribution equals a naive from-scratch one.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failure should panic

mod common;

use common::ts;
use nagare_core::api::{
    Benchmark, DeploymentQuery, DoraQuery, IncidentQuery, Interval, LeadTimeBasis,
};
use nagare_core::events::{
    ChangeType, Commit, Deployment, DeploymentStatus, EnvironmentTier, Incident, PipelineRun,
    PullRequest, Service, Team,
};
use nagare_core::model::{Org, Settings};
use nagare_core::time::{HOUR_MS, MINUTE_MS};
use nagare_core::{Event, Timestamp};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
    }
}

fn base() -> i64 {
    ts("2024-01-01T00:00:00Z").0
}

fn hours(h: u64) -> Timestamp {
    Timestamp(base() + h as i64 * HOUR_MS)
}

const SERVICES: [&str; 4] = ["s1", "s2", "s3", "s4"];
const ENVS: [&str; 5] = ["production", "prod-eu", "staging", "qa", "sandbox"];

fn repo_of(service: &str) -> &'static str {
    match service {
        "s2" => "r2",
        _ => "r1",
    }
}

fn gen_commits(rng: &mut Rng, repo: &str, n: usize) -> Vec<Commit> {
    let mut out: Vec<Commit> = Vec::new();
    for i in 0..n {
        let sha = format!("{repo}-c{i}");
        let mut parents = Vec::new();
        if i > 0 {
            let k = rng.below(100);
            let earlier =
                |rng: &mut Rng| format!("{repo}-c{}", i - 1 - rng.below(i.min(3) as u64) as usize);
            if k < 70 {
                parents.push(earlier(rng));
            } else if k < 88 {
                parents.push(earlier(rng));
                parents.push(format!("{repo}-c{}", rng.below(i as u64)));
                parents.dedup();
            } else if k < 94 {
                // A new root.
            } else {
                parents.push(earlier(rng));
                parents.push(format!("{repo}-ghost{i}"));
            }
        }
        let mut authored =
            base() + i as i64 * 2 * HOUR_MS + (rng.below(60) as i64 - 30) * MINUTE_MS;
        if rng.chance(5) {
            authored += 40 * HOUR_MS; // clock skew: deployed "before" it was made
        }
        out.push(Commit {
            source: "api".into(),
            repo: repo.into(),
            sha,
            parents,
            author: Some(format!("dev{}", rng.below(3))),
            authored_at: Timestamp(authored),
            committed_at: None,
            message: rng.chance(50).then(|| format!("change {i}")),
            paths: gen_paths(rng),
        });
    }
    out
}

/// Changed paths in the folders `a/` and `b/` (the services' prefixes), or none, or unknown.
fn gen_paths(rng: &mut Rng) -> Option<Vec<String>> {
    if rng.chance(25) {
        return None;
    }
    let all = ["a/x.rs", "b/y.rs", "README.md", "ab/z.rs"];
    Some(
        all.iter()
            .filter(|_| rng.chance(40))
            .map(|p| p.to_string())
            .collect(),
    )
}

/// A small random organisation: unique event keys.
fn gen_org(seed: u64) -> Vec<Event> {
    let mut rng = Rng::new(seed);
    let mut events = Vec::new();
    let mut shas: HashMap<&str, Vec<String>> = HashMap::new();
    for repo in ["r1", "r2"] {
        let n = 6 + rng.below(10) as usize;
        let commits = gen_commits(&mut rng, repo, n);
        shas.insert(repo, commits.iter().map(|c| c.sha.clone()).collect());
        for c in commits {
            if rng.chance(10) {
                // The same commit from another source, with another time.
                let mut dup = c.clone();
                dup.source = if rng.chance(50) {
                    "gh".into()
                } else {
                    "a-early".into()
                };
                dup.authored_at = Timestamp(dup.authored_at.0 - 20 * MINUTE_MS);
                if rng.chance(50) {
                    dup.paths = gen_paths(&mut rng);
                }
                events.push(Event::Commit(dup));
            }
            if !rng.chance(5) {
                events.push(Event::Commit(c));
            }
        }
    }
    for (name, repo, teams) in [
        ("s1", Some("r1"), vec!["t1"]),
        ("s2", Some("r2"), vec!["t1", "t2"]),
        ("s3", Some("r1"), vec!["t2"]),
    ] {
        if rng.chance(85) {
            events.push(Event::Service(Service {
                source: "api".into(),
                name: name.into(),
                repo: if rng.chance(90) {
                    repo.map(Into::into)
                } else {
                    None
                },
                repo_url: Some(format!("https://git.example/{name}")),
                teams: teams.into_iter().map(Into::into).collect(),
                path_prefix: ["a", "b/", ""][rng.below(4) as usize % 3..]
                    .first()
                    .filter(|_| rng.chance(60))
                    .map(|p| p.to_string()),
                tier: None,
            }));
        }
    }
    events.push(Event::Team(Team {
        source: "api".into(),
        name: "t1".into(),
        display_name: Some("Team one".into()),
        members: vec!["alice".into()],
    }));
    let n_deps = 8 + rng.below(14) as usize;
    let mut dep_ids: Vec<String> = Vec::new();
    let mut duplicated: HashSet<String> = HashSet::new();
    for i in 0..n_deps {
        let service = *rng.pick(&SERVICES);
        let repo_shas = &shas[repo_of(service)];
        let status = match rng.below(100) {
            0..=74 => DeploymentStatus::Success,
            75..=86 => DeploymentStatus::Failure,
            87..=94 => DeploymentStatus::InProgress,
            _ => DeploymentStatus::Cancelled,
        };
        let finished = hours(rng.below(40) * 2);
        let finished_at = (status != DeploymentStatus::InProgress).then_some(finished);
        let sha = if rng.chance(88) {
            rng.pick(repo_shas).clone()
        } else {
            format!("unknown{i}")
        };
        let commits = if rng.chance(25) {
            let mut c: Vec<String> = (0..rng.below(4))
                .map(|_| rng.pick(repo_shas).clone())
                .collect();
            if rng.chance(30) {
                c.push(format!("pushed-unknown{i}"));
            }
            c
        } else {
            Vec::new()
        };
        let id = format!("d{i}");
        let other: String = if dep_ids.is_empty() {
            String::new()
        } else {
            rng.pick(&dep_ids).clone()
        };
        if rng.chance(8) && !other.is_empty() && duplicated.insert(other.clone()) {
            // Another source with an existing id.
            events.push(Event::Deployment(Deployment {
                source: "gh".into(),
                id: other,
                service: service.into(),
                environment: "production".into(),
                environment_tier: None,
                status: DeploymentStatus::Success,
                started_at: None,
                finished_at: Some(hours(rng.below(80))),
                sha: rng.pick(repo_shas).clone(),
                change_type: ChangeType::Normal,
                remediates: None,
                marked_failed: false,
                commits: Vec::new(),
            }));
        }
        dep_ids.push(id.clone());
        events.push(Event::Deployment(Deployment {
            source: "api".into(),
            id,
            service: service.into(),
            environment: (*rng.pick(&ENVS)).into(),
            environment_tier: rng.chance(10).then_some(EnvironmentTier::Production),
            status,
            started_at: Some(Timestamp(finished.0 - 10 * MINUTE_MS)),
            finished_at,
            sha,
            change_type: match rng.below(10) {
                0 => ChangeType::Hotfix,
                1 => ChangeType::Rollback,
                _ => ChangeType::Normal,
            },
            remediates: rng.chance(10).then(|| format!("INC-{}", rng.below(6))),
            marked_failed: rng.chance(6),
            commits,
        }));
    }
    for k in 0..rng.below(7) {
        let started = hours(rng.below(90));
        let all: Vec<String> = shas.values().flatten().cloned().collect();
        events.push(Event::Incident(Incident {
            source: "api".into(),
            id: format!("INC-{k}"),
            service: (*rng.pick(&SERVICES)).into(),
            title: None,
            started_at: started,
            resolved_at: rng
                .chance(60)
                .then(|| Timestamp(started.0 + rng.below(12) as i64 * HOUR_MS)),
            severity: None,
            caused_by_deployment: match rng.below(10) {
                0 | 1 => Some(rng.pick(&dep_ids).clone()),
                2 => Some(rng.pick(&all).clone()),
                _ => None,
            },
            excluded: rng.chance(10),
            remediated_by_deployment: rng.chance(10).then(|| rng.pick(&dep_ids).clone()),
        }));
    }
    for repo in ["r1", "r2"] {
        let s = &shas[repo];
        for n in 0..rng.below(4) {
            let start = rng.below(s.len() as u64) as usize;
            let commits: Vec<String> = s
                .iter()
                .skip(start)
                .take(1 + rng.below(3) as usize)
                .cloned()
                .collect();
            events.push(Event::PullRequest(PullRequest {
                source: "api".into(),
                repo: repo.into(),
                id: n.to_string(),
                title: None,
                author: None,
                opened_at: hours(start as u64 * 2),
                first_review_at: None,
                approved_at: None,
                merged_at: rng.chance(75).then(|| hours(start as u64 * 2 + 3)),
                merge_commit: rng.chance(50).then(|| rng.pick(s).clone()),
                commits,
            }));
        }
    }
    events.push(Event::PipelineRun(PipelineRun {
        source: "api".into(),
        provider: "github".into(),
        id: "1".into(),
        run_id: None,
        repo: "r1".into(),
        workflow: "ci".into(),
        branch: None,
        sha: None,
        trigger: None,
        status: "completed".into(),
        conclusion: None,
        queued_at: None,
        started_at: None,
        finished_at: None,
        attempt: None,
        jobs: Vec::new(),
    }));
    events
}

/// Other versions of some events (same keys, other contents).
fn mutate(events: &[Event], rng: &mut Rng) -> Vec<Event> {
    let mut out = Vec::new();
    for e in events {
        if !rng.chance(35) {
            continue;
        }
        let mut e = e.clone();
        match &mut e {
            Event::Commit(c) => {
                c.authored_at = Timestamp(c.authored_at.0 + HOUR_MS);
                if rng.chance(50) {
                    c.parents = vec![format!("{}-c0", c.repo)];
                } else {
                    c.parents.clear();
                }
            }
            Event::Deployment(d) => match rng.below(6) {
                0 => d.finished_at = Some(hours(rng.below(80))),
                1 => d.status = DeploymentStatus::Failure,
                2 => d.sha = format!("{}-c0", repo_of(&d.service)),
                3 => d.service = (*rng.pick(&SERVICES)).into(),
                4 => d.environment = "staging".into(),
                _ => d.change_type = ChangeType::Rollback,
            },
            Event::Incident(i) => match rng.below(3) {
                0 => i.started_at = hours(rng.below(90)),
                1 => i.service = (*rng.pick(&SERVICES)).into(),
                _ => i.caused_by_deployment = Some("d0".into()),
            },
            Event::PullRequest(p) => {
                p.merged_at = if p.merged_at.is_some() {
                    None
                } else {
                    Some(hours(5))
                };
                p.commits.reverse();
            }
            Event::Service(s) => {
                s.repo = if s.repo.as_deref() == Some("r1") {
                    Some("r2".into())
                } else {
                    Some("r1".into())
                };
                s.teams = vec!["t9".into()];
            }
            Event::Team(t) => t.members.clear(),
            Event::PipelineRun(r) => r.status = "queued".into(),
            // Not generated here: samples never reach the model.
            Event::SliSample(s) => s.good = 0.0,
        }
        out.push(e);
    }
    out
}

fn settings() -> Settings {
    Settings {
        incident_window_ms: 30 * HOUR_MS,
        environment_tiers: vec![("sandbox".into(), EnvironmentTier::Production)],
        time_zone: chrono_tz::UTC,
        value_stream_chains: Vec::new(),
    }
}

fn build(chunks: &[Vec<Event>]) -> Org {
    let mut o = Org::new(settings());
    for c in chunks {
        o.apply(c.clone());
    }
    o
}

/// The first difference between two snapshots, with context, or `None` when equal.
fn diff(a: &str, b: &str) -> Option<String> {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let i = (0..la.len().max(lb.len())).find(|&i| la.get(i) != lb.get(i))?;
    let from = i.saturating_sub(25);
    let show = |l: &[&str]| l[from.min(l.len())..(i + 5).min(l.len())].join("\n");
    Some(format!(
        "first difference at line {i}\n--- got:\n{}\n--- want:\n{}",
        show(&la),
        show(&lb)
    ))
}

fn split(events: Vec<Event>, parts: usize, rng: &mut Rng) -> Vec<Vec<Event>> {
    let mut chunks: Vec<Vec<Event>> = vec![Vec::new(); parts.max(1)];
    for e in events {
        let i = rng.below(chunks.len() as u64) as usize;
        chunks[i].push(e);
    }
    chunks
}

/// Everything the model answers, as JSON text.
fn snapshot(o: &Org) -> String {
    let mut out = Vec::new();
    let q = |tier, basis, interval, service: Option<&str>, team: Option<&str>| DoraQuery {
        from: hours(0),
        to: hours(96),
        service: service.map(Into::into),
        team: team.map(Into::into),
        environment_tier: tier,
        basis,
        benchmark: Benchmark::Dora2023,
        interval,
        time_zone: None,
        peers: Default::default(),
    };
    for tier in [
        EnvironmentTier::Production,
        EnvironmentTier::Staging,
        EnvironmentTier::Testing,
    ] {
        for basis in LeadTimeBasis::ALL {
            out.push(
                serde_json::to_value(o.dora(&q(tier, basis, Interval::Day, None, None))).unwrap(),
            );
        }
    }
    out.push(
        serde_json::to_value(o.dora(&q(
            EnvironmentTier::Production,
            LeadTimeBasis::Commit,
            Interval::All,
            Some("s1"),
            None,
        )))
        .unwrap(),
    );
    out.push(
        serde_json::to_value(o.dora(&q(
            EnvironmentTier::Production,
            LeadTimeBasis::Commit,
            Interval::Week,
            None,
            Some("t2"),
        )))
        .unwrap(),
    );
    let mut tokyo = q(
        EnvironmentTier::Production,
        LeadTimeBasis::Commit,
        Interval::Day,
        None,
        Some("t1"),
    );
    tokyo.time_zone = Some(chrono_tz::Asia::Tokyo);
    out.push(serde_json::to_value(o.dora(&tokyo)).unwrap());
    out.push(
        serde_json::to_value(o.deployments(&DeploymentQuery {
            per_page: 1000,
            ..DeploymentQuery::default()
        }))
        .unwrap(),
    );
    out.push(
        serde_json::to_value(o.incidents(&IncidentQuery {
            per_page: 1000,
            ..IncidentQuery::default()
        }))
        .unwrap(),
    );
    // The value stream reads each deployment's merged pull requests, kept with its lead times.
    for chain in nagare_core::valuestream::ChainName::ALL {
        let vs = nagare_core::query::ValueStreamQuery {
            from: hours(0),
            to: hours(96),
            service: None,
            team: None,
            chain: Some(chain),
            interval: Interval::Day,
            time_zone: chrono_tz::UTC,
        };
        out.push(serde_json::to_value(o.value_stream(&vs)).unwrap());
    }
    out.push(serde_json::to_value(o.services()).unwrap());
    out.push(serde_json::to_value(o.teams()).unwrap());
    for i in 0..30 {
        out.push(serde_json::to_value(o.deployment(&format!("d{i}"))).unwrap());
    }
    out.push(serde_json::to_value(o.events()).unwrap());
    out.push(serde_json::Value::from(o.event_count()));
    serde_json::to_string_pretty(&out).unwrap()
}

/// The changes of every deployment (by id, the one whose source sorts first), computed naively
/// from the final events: per chain in order, the commits reachable from the deployed sha
/// without passing an already-assigned commit; if that met an unknown commit (or the service
/// has no repository), the known, unassigned commits of the pushed list too.
fn naive_changes(
    events: &[Event],
    settings: &Settings,
) -> BTreeMap<String, (BTreeSet<String>, bool)> {
    let mut services: BTreeMap<String, &Service> = BTreeMap::new();
    let mut commits: BTreeMap<(String, String), &Commit> = BTreeMap::new();
    let mut deps: Vec<&Deployment> = Vec::new();
    for e in events {
        match e {
            Event::Service(s) => {
                let held = services.entry(s.name.clone()).or_insert(s);
                if s.source < held.source {
                    *held = s;
                }
            }
            Event::Commit(c) => {
                let held = commits.entry((c.repo.clone(), c.sha.clone())).or_insert(c);
                if c.source < held.source {
                    *held = c;
                }
            }
            Event::Deployment(d)
                if d.status == DeploymentStatus::Success && d.finished_at.is_some() =>
            {
                deps.push(d)
            }
            _ => {}
        }
    }
    let mut chains: BTreeMap<(String, EnvironmentTier), Vec<&Deployment>> = BTreeMap::new();
    for d in deps {
        chains
            .entry((d.service.clone(), settings.tier_of(d)))
            .or_default()
            .push(d);
    }
    let mut out: BTreeMap<(String, String), (BTreeSet<String>, bool)> = BTreeMap::new();
    for ((service, _), mut chain) in chains {
        chain.sort_by(|a, b| {
            (a.finished_at, &a.id, &a.source).cmp(&(b.finished_at, &b.id, &b.source))
        });
        let repo = services.get(&service).and_then(|s| s.repo.clone());
        // A monorepo service's folder: only commits that change a path in it (or whose
        // paths are unknown) are its changes; the others are still taken by the walk.
        let folder = services
            .get(&service)
            .and_then(|s| s.path_prefix.as_deref())
            .map(|p| {
                p.trim()
                    .trim_start_matches("./")
                    .trim_matches('/')
                    .to_owned()
            })
            .filter(|p| !p.is_empty());
        let counts = |repo: &str, sha: &str| {
            let paths = commits
                .get(&(repo.to_owned(), sha.to_owned()))
                .and_then(|c| c.paths.as_ref());
            match (&folder, paths) {
                (Some(f), Some(ps)) => ps.iter().any(|p| p == f || p.starts_with(&format!("{f}/"))),
                _ => true,
            }
        };
        let mut assigned: HashSet<String> = HashSet::new();
        for d in chain {
            let mut mine = BTreeSet::new();
            let mut incomplete = repo.is_none();
            if let Some(repo) = &repo {
                let mut stack = vec![d.sha.clone()];
                let mut seen = HashSet::new();
                while let Some(x) = stack.pop() {
                    if assigned.contains(&x) || !seen.insert(x.clone()) {
                        continue;
                    }
                    match commits.get(&(repo.clone(), x.clone())) {
                        Some(c) => {
                            mine.insert(x);
                            stack.extend(c.parents.iter().cloned());
                        }
                        None => incomplete = true,
                    }
                }
                if incomplete {
                    for x in &d.commits {
                        if commits.contains_key(&(repo.clone(), x.clone())) && !assigned.contains(x)
                        {
                            mine.insert(x.clone());
                        }
                    }
                }
            }
            assigned.extend(mine.iter().cloned());
            if let Some(repo) = &repo {
                mine.retain(|x| counts(repo, x));
            }
            out.insert((d.id.clone(), d.source.clone()), (mine, incomplete));
        }
    }
    // By id: the source that sorts first (as `Org::deployment` picks).
    let mut by_id = BTreeMap::new();
    for ((id, _), v) in out {
        by_id.entry(id).or_insert(v);
    }
    by_id
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("NAGARE_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(160), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn order_and_batching_do_not_matter(seed in any::<u64>(), parts in 1usize..7) {
        let events = gen_org(seed);
        let mut rng = Rng::new(seed ^ 0xabcdef);
        let reference = snapshot(&build(std::slice::from_ref(&events)));

        let mut shuffled = events.clone();
        rng.shuffle(&mut shuffled);
        prop_assert_eq!(diff(&snapshot(&build(&[shuffled.clone()])), &reference), None, "shuffled");

        let chunks = split(shuffled, parts, &mut rng);
        prop_assert_eq!(diff(&snapshot(&build(&chunks)), &reference), None, "shuffled, in {} applies", parts);

        // Streamed as a start-up does: chunks upserted one at a time, derived once, then
        // compacted; and later batches still apply incrementally on top.
        let mut loaded = Org::new(settings());
        loaded.load(chunks.clone());
        loaded.compact();
        prop_assert_eq!(diff(&snapshot(&loaded), &reference), None, "loaded in {} chunks", parts);
        let (head, tail) = events.split_at(events.len() / 2);
        let mut resumed = Org::new(settings());
        resumed.load(vec![head.to_vec()]);
        resumed.compact();
        resumed.apply(tail.to_vec());
        prop_assert_eq!(diff(&snapshot(&resumed), &reference), None, "loaded half, applied the rest");

        // One by one, in reverse.
        let singles: Vec<Vec<Event>> = events.iter().rev().map(|e| vec![e.clone()]).collect();
        prop_assert_eq!(diff(&snapshot(&build(&singles)), &reference), None, "one by one, reversed");
    }

    #[test]
    fn applying_twice_equals_applying_once(seed in any::<u64>()) {
        let events = gen_org(seed);
        let once = build(std::slice::from_ref(&events));
        let twice = build(&[events.clone(), events.clone()]);
        prop_assert_eq!(once.event_count(), twice.event_count());
        prop_assert_eq!(diff(&snapshot(&twice), &snapshot(&once)), None);
    }

    #[test]
    fn older_versions_first_then_final_equals_final(seed in any::<u64>(), parts in 1usize..5) {
        let events = gen_org(seed);
        let reference = snapshot(&build(std::slice::from_ref(&events)));
        let mut rng = Rng::new(seed ^ 0x5eed);
        let mut old = mutate(&events, &mut rng);
        rng.shuffle(&mut old);
        let mut chunks = split(old, parts, &mut rng);
        let mut fin = events.clone();
        rng.shuffle(&mut fin);
        chunks.extend(split(fin, parts, &mut rng));
        prop_assert_eq!(diff(&snapshot(&build(&chunks)), &reference), None);
    }

    #[test]
    fn attribution_equals_a_naive_walk(seed in any::<u64>(), parts in 1usize..5) {
        let events = gen_org(seed);
        let mut rng = Rng::new(seed ^ 0x7777);
        let mut old = mutate(&events, &mut rng);
        old.extend(events.iter().cloned());
        let o = build(&split(old, parts, &mut rng));
        let o = {
            // The final events last, so that they win.
            let mut o = o;
            o.apply(events.clone());
            o
        };
        for (id, (want, incomplete)) in naive_changes(&o.events(), &settings()) {
            let d = o.deployment(&id).unwrap();
            if d.deployment.status != DeploymentStatus::Success {
                continue; // another source's deployment with this id sorts first
            }
            let got: BTreeSet<String> = d.change_list.iter().map(|c| c.sha.clone()).collect();
            prop_assert_eq!(&got, &want, "changes of {}", id);
            prop_assert_eq!(d.deployment.incomplete_graph, incomplete, "incomplete {}", id);
        }
    }
}

/// A snapshot read back is the same model: it answers the same, and later batches apply to it
/// as to the model it was written from.
#[cfg(feature = "snapshot")]
mod snapshots {
    use super::*;
    use nagare_core::model::snapshot::{SnapshotError, Stamp};
    use std::io::Cursor;

    const STAMP: Stamp = Stamp {
        store_id: 42,
        rev: 7,
    };

    fn write(o: &Org) -> Vec<u8> {
        let mut file = Cursor::new(b"prefix".to_vec());
        file.set_position(6);
        let header = o.write_snapshot(STAMP, &mut file).unwrap();
        let bytes = file.into_inner();
        assert_eq!(&bytes[..6], b"prefix", "written from the position given");
        assert_eq!(header.file_len, bytes.len() as u64 - 6);
        bytes[6..].to_vec()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: std::env::var("NAGARE_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64), failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn a_snapshot_reads_back_the_same_model(seed in any::<u64>(), parts in 1usize..4) {
            let events = gen_org(seed);
            let mut rng = Rng::new(seed ^ 0x5a5a);
            let mut shuffled = events.clone();
            rng.shuffle(&mut shuffled);
            let (head, tail) = shuffled.split_at(shuffled.len() / 2);
            let half = build(&split(head.to_vec(), parts, &mut rng));
            let bytes = write(&half);
            let (mut back, header) = Org::read_snapshot(&bytes, settings()).unwrap();
            prop_assert_eq!(header.stamp, STAMP);
            prop_assert_eq!(header.events, half.event_count() as u64);
            prop_assert_eq!(diff(&snapshot(&back), &snapshot(&half)), None, "read back");
            back.apply(tail.to_vec());
            let reference = snapshot(&build(std::slice::from_ref(&events)));
            prop_assert_eq!(diff(&snapshot(&back), &reference), None, "read back, then the rest applied");
        }
    }

    /// Every truncation and every single flipped byte is refused, never read as a model; and
    /// so are other settings, another engine build and trailing bytes.
    #[test]
    fn a_damaged_snapshot_is_refused() {
        let o = build(&[gen_org(11)]);
        let bytes = write(&o);
        assert!(bytes.len() > 2_000, "a real model: {} bytes", bytes.len());
        assert!(Org::read_snapshot(&bytes, settings()).is_ok());
        for n in 0..bytes.len() {
            match Org::read_snapshot(&bytes[..n], settings()) {
                Err(SnapshotError::Truncated { found, .. }) => assert_eq!(found, n as u64),
                Err(SnapshotError::NotASnapshot) if n == 0 => {}
                other => panic!("truncated to {n} bytes: {:?}", other.map(|(_, h)| h)),
            }
        }
        let mut damaged = bytes.clone();
        for i in 0..bytes.len() {
            damaged[i] ^= 0x20;
            let got = Org::read_snapshot(&damaged, settings());
            assert!(got.is_err(), "byte {i} flipped was read as a model");
            damaged[i] = bytes[i];
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            Org::read_snapshot(&longer, settings()),
            Err(SnapshotError::Length { .. })
        ));
        let mut other = settings();
        other.incident_window_ms += 1;
        assert!(matches!(
            Org::read_snapshot(&bytes, other),
            Err(SnapshotError::Settings)
        ));
        let mut engine = bytes.clone();
        engine[12] = if engine[12] == b'0' { b'1' } else { b'0' };
        assert!(matches!(
            Org::read_snapshot(&engine, settings()),
            Err(SnapshotError::Engine { .. })
        ));
        let mut format = bytes.clone();
        format[8] ^= 1;
        assert!(matches!(
            Org::read_snapshot(&format, settings()),
            Err(SnapshotError::Format { .. })
        ));
    }
}
