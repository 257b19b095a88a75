//! The demo and synthetic organisations: deterministic, of the promised shape and sizes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::api::{Band, Benchmark, DoraQuery, Interval, LeadTimeBasis};
use crate::events::EnvironmentTier;
use crate::events::{ChangeType, Deployment, DeploymentStatus};
use crate::model::{Org, Settings};
use std::collections::HashSet;

fn now() -> Timestamp {
    Timestamp::parse("2026-06-01T12:00:00Z").unwrap_or(Timestamp(0))
}

fn org(events: Vec<Event>) -> Org {
    let mut org = Org::new(Settings::default());
    org.apply(events);
    org
}

fn team_query(team: &str) -> DoraQuery {
    DoraQuery {
        from: Timestamp(now().0 - 90 * DAY_MS),
        to: now(),
        service: None,
        team: Some(team.to_string()),
        environment_tier: EnvironmentTier::Production,
        basis: LeadTimeBasis::Commit,
        benchmark: Benchmark::Dora2024,
        interval: Interval::All,
        time_zone: None,
        peers: Default::default(),
    }
}

#[test]
fn demo_is_deterministic_and_keys_are_unique() {
    let a = demo_org(42, now());
    let b = demo_org(42, now());
    assert_eq!(a, b);
    assert_ne!(a, demo_org(43, now()));
    let keys: HashSet<_> = a.iter().map(Event::key).collect();
    assert_eq!(keys.len(), a.len(), "every event has its own key");
}

#[test]
fn demo_has_the_promised_shape() {
    let events = demo_org(7, now());
    let count = |f: fn(&Event) -> bool| events.iter().filter(|e| f(e)).count();
    assert!(count(|e| matches!(e, Event::Team(_))) >= 4);
    assert!(count(|e| matches!(e, Event::Service(_))) >= 12);
    let mut repos: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Service(s) => s.repo.clone(),
            _ => None,
        })
        .collect();
    let services = repos.len();
    repos.sort();
    repos.dedup();
    assert!(repos.len() < services, "some services share a monorepo");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Commit(c) if c.parents.len() == 2)),
        "merges"
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::PullRequest(p) if p.first_review_at.is_some())));
    let deploy = |f: fn(&Deployment) -> bool| {
        events
            .iter()
            .any(|e| matches!(e, Event::Deployment(d) if f(d)))
    };
    assert!(deploy(|d| d.environment == "staging"));
    assert!(
        deploy(|d| d.status == DeploymentStatus::Failure),
        "failed attempts"
    );
    assert!(deploy(|d| d.change_type == ChangeType::Rollback));
    assert!(deploy(|d| d.change_type == ChangeType::Hotfix));
    let incident = |f: fn(&Incident) -> bool| {
        events
            .iter()
            .any(|e| matches!(e, Event::Incident(i) if f(i)))
    };
    assert!(incident(|i| i.resolved_at.is_none()), "an open incident");
    assert!(incident(|i| i.resolved_at.is_some()));
    assert!(incident(|i| i.excluded));
    let first = events.iter().filter_map(|e| match e {
        Event::Commit(c) => Some(c.authored_at.0),
        _ => None,
    });
    let earliest = first.min().unwrap_or(now().0);
    assert!(now().0 - earliest >= 179 * DAY_MS, "180 days of history");
}

#[test]
fn demo_teams_span_the_bands() {
    // 42 is the seed `make run` uses; the others show the spread does not hang on one seed.
    for seed in [42, 1, 2, 3, 7] {
        teams_span_the_bands(seed);
    }
}

fn teams_span_the_bands(seed: u64) {
    let org = org(demo_org(seed, now()));
    let checkout = org.dora(&team_query("checkout"));
    let legacy = org.dora(&team_query("legacy-billing"));
    assert_eq!(
        checkout.deployment_frequency.band,
        Some(Band::Elite),
        "{:?}",
        checkout.deployment_frequency
    );
    assert_eq!(
        checkout.change_lead_time.band,
        Some(Band::Elite),
        "{:?}",
        checkout.change_lead_time
    );
    assert_eq!(
        legacy.deployment_frequency.band,
        Some(Band::Low),
        "{:?}",
        legacy.deployment_frequency
    );
    assert_eq!(
        legacy.change_lead_time.band,
        Some(Band::Low),
        "{:?}",
        legacy.change_lead_time
    );
    let payments = org.dora(&team_query("payments"));
    assert_eq!(
        payments.deployment_frequency.band,
        Some(Band::High),
        "{:?}",
        payments.deployment_frequency
    );
    assert_eq!(
        payments.change_lead_time.band,
        Some(Band::High),
        "{:?}",
        payments.change_lead_time
    );
    let search = org.dora(&team_query("search"));
    assert_eq!(
        search.change_lead_time.band,
        Some(Band::Medium),
        "{:?}",
        search.change_lead_time
    );
    assert_eq!(
        search.deployment_frequency.band,
        Some(Band::Medium),
        "{:?}",
        search.deployment_frequency
    );
    // Lead-time bases differ: merge → deploy is never longer than commit → deploy.
    let merge = org.dora(&DoraQuery {
        basis: LeadTimeBasis::Merge,
        ..team_query("payments")
    });
    assert!(merge.change_lead_time.median <= payments.change_lead_time.median);
}

#[test]
fn synthetic_has_exact_sizes() {
    let spec = SynthSpec {
        deployments: 400,
        commits: 5000,
        pull_requests: 200,
        incidents: 40,
        services: 4,
        teams: 2,
    };
    let events: Vec<Event> = synthetic(&spec, 3, now()).collect();
    let prod = events
        .iter()
        .filter(|e| {
            matches!(e, Event::Deployment(d) if d.environment == "production"
                && d.status == DeploymentStatus::Success && d.change_type == ChangeType::Normal)
        })
        .count();
    assert_eq!(prod, spec.deployments);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Commit(_)))
            .count(),
        spec.commits
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::PullRequest(_)))
            .count(),
        spec.pull_requests
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Incident(_)))
            .count(),
        spec.incidents
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Service(_)))
            .count(),
        spec.services
    );
    let keys: HashSet<_> = events.iter().map(Event::key).collect();
    assert_eq!(keys.len(), events.len());
}

/// The demo's GitHub deliveries, mapped and merged as the store does (by event key, in any
/// order), under the rules the demo's repositories need.
fn mapped(h: &github::GithubHistory) -> Vec<Event> {
    use crate::github::{map, merge, Mapped, RepoRule, Rules};
    let rules = Rules {
        repos: h
            .repos
            .iter()
            .map(|(repo, service)| RepoRule {
                repo: repo.clone(),
                service: service.clone(),
            })
            .collect(),
        ..Rules::default()
    };
    let mut states: std::collections::BTreeMap<String, crate::github::Versioned> =
        std::collections::BTreeMap::new();
    for d in h.deliveries.iter().rev() {
        let body = serde_json::to_vec(&d.body).unwrap();
        match map(d.event, &body, &rules).unwrap() {
            Mapped::Events(v, notes) => {
                assert!(notes.is_empty(), "{}: {notes:?}", d.id);
                for e in v {
                    let k = format!("{:?}", e.event.key());
                    let merged = match states.remove(&k) {
                        Some(s) => merge(s, e),
                        None => e,
                    };
                    states.insert(k, merged);
                }
            }
            other => panic!("{} ({}): {other:?}", d.id, d.event),
        }
    }
    states.into_values().map(|v| v.event).collect()
}

#[test]
fn the_github_history_gives_the_checkout_team_the_same_numbers() {
    let events = demo_org(42, now());
    let h = github::github_history(events.clone(), now());
    let taken = events.len() - h.events.len();
    let count = |event: &str| h.deliveries.iter().filter(|d| d.event == event).count();
    // Every deployment of the team, with its status (none is in progress at the end).
    assert!(taken > 500, "{taken}");
    assert_eq!(count("deployment"), taken);
    assert_eq!(count("deployment_status"), taken);
    assert!(count("workflow_run") > 50 && count("workflow_job") > 100);
    let ids: HashSet<&str> = h.deliveries.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids.len(), h.deliveries.len(), "delivery ids are unique");
    let mut repos: Vec<&str> = github_repos().iter().map(|(r, _, _)| *r).collect();
    repos.sort_unstable();
    assert_eq!(
        h.repos.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>(),
        repos
    );

    let mut through_github = h.events.clone();
    let mapped = mapped(&h);
    // One deployment per delivered pair, and pipeline runs (one per attempt).
    let deployments = mapped
        .iter()
        .filter(|e| matches!(e, Event::Deployment(_)))
        .count();
    assert_eq!(deployments, taken);
    let of_type = |all: &[Event], t: ChangeType| {
        all.iter()
            .filter(|e| matches!(e, Event::Deployment(d) if d.change_type == t))
            .count()
    };
    for t in [ChangeType::Rollback, ChangeType::Hotfix] {
        let before = of_type(&events, t) - of_type(&h.events, t);
        assert!(before > 0, "{t:?}");
        assert_eq!(
            of_type(&mapped, t),
            before,
            "{t:?}: the deployment task says it"
        );
    }
    let runs: Vec<&crate::events::PipelineRun> = mapped
        .iter()
        .filter_map(|e| match e {
            Event::PipelineRun(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(runs.len(), count("workflow_run"));
    assert!(
        runs.iter().any(|r| r.attempt == Some(2)),
        "a flaky CI run passed on its second attempt"
    );
    assert!(runs.iter().all(|r| !r.jobs.is_empty()));
    through_github.extend(mapped);

    let direct = org(events);
    let github = org(through_github);
    let q = team_query("checkout");
    let (a, b) = (direct.dora(&q), github.dora(&q));
    assert_eq!(a.deployment_frequency, b.deployment_frequency);
    assert_eq!(a.change_lead_time, b.change_lead_time);
    assert_eq!(a.change_failure_rate, b.change_failure_rate);
    assert_eq!(a.recovery_time, b.recovery_time);
    assert_eq!(a.rework_rate, b.rework_rate);
    // The other teams are untouched.
    let q = team_query("payments");
    assert_eq!(direct.dora(&q), github.dora(&q));
}

/// The value stream tells the teams apart: payments waits longest for a review, search's
/// release train makes its changes wait to be released, and checkout's changes wait least for a
/// review. Those are payments' and search's bottlenecks.
#[test]
fn demo_teams_differ_in_the_value_stream() {
    use crate::query::ValueStreamQuery;
    // Any seed, and the demo made at any time of any day of the week (`make run` and the
    // Playwright tests make it now, and ask for the last 30 days).
    let cases = [42, 1, 7].into_iter().flat_map(|seed| {
        (0..7).map(move |k| (seed, Timestamp(now().0 + k * (DAY_MS + 5 * HOUR_MS))))
    });
    for (seed, now) in cases {
        let org = org(demo_org(seed, now));
        let report = |team: &str| {
            org.value_stream(&ValueStreamQuery {
                from: Timestamp(now.0 - 30 * DAY_MS),
                to: now,
                service: None,
                team: Some(team.to_owned()),
                chain: None,
                interval: Interval::All,
                time_zone: chrono_tz::UTC,
            })
        };
        let stage = |r: &crate::api::ValueStreamReport, key: &str| {
            r.stages
                .iter()
                .find(|s| s.key == key)
                .map(|s| (s.share, s.stats.map_or(0.0, |t| t.median)))
                .unwrap_or_default()
        };
        let (checkout, payments, search) =
            (report("checkout"), report("payments"), report("search"));
        // Payments: more of its time waits for and in review than for release.
        let waiting_review = stage(&payments, "pickup").0 + stage(&payments, "review").0;
        assert!(
            waiting_review > stage(&payments, "release_wait").0,
            "seed {seed}: {:?}",
            payments.stages
        );
        assert!(
            stage(&checkout, "pickup").1 * 4.0 < stage(&payments, "pickup").1,
            "seed {seed}: pickup medians {:?} and {:?}",
            stage(&checkout, "pickup"),
            stage(&payments, "pickup")
        );
        // Search: its release wait is the longest of the teams', and its bottleneck.
        let release = |r| stage(r, "release_wait").1;
        assert!(release(&search) > release(&payments), "seed {seed}");
        assert!(release(&search) > release(&checkout), "seed {seed}");
        assert_eq!(
            search.bottleneck.as_deref(),
            Some("release_wait"),
            "seed {seed}"
        );
        assert_eq!(
            payments.bottleneck.as_deref(),
            Some("pickup"),
            "seed {seed}, {now}: {:?}",
            payments.stages
        );
    }
}

/// A team's configured chain is used when the query names none, and says so; a chain in the
/// query wins; other teams and the whole organisation keep the default one. The configured
/// report is the asked-for one but for that flag.
#[test]
fn a_team_configured_chain_is_used_when_none_is_asked() {
    use crate::query::ValueStreamQuery;
    use crate::valuestream::ChainName;
    let mut org = Org::new(Settings {
        value_stream_chains: vec![("payments".into(), ChainName::Approval)],
        ..Settings::default()
    });
    org.apply(demo_org(42, now()));
    let ask = |team: Option<&str>, chain: Option<ChainName>| {
        org.value_stream(&ValueStreamQuery {
            from: Timestamp(now().0 - 30 * DAY_MS),
            to: now(),
            service: None,
            team: team.map(str::to_owned),
            chain,
            interval: Interval::Week,
            time_zone: chrono_tz::UTC,
        })
    };
    let configured = ask(Some("payments"), None);
    assert_eq!(configured.chain, ChainName::Approval);
    assert!(configured.chain_configured);
    assert!(configured.stages.iter().any(|s| s.key == "merge_wait"));
    let series = configured.series.clone().unwrap_or_default();
    assert!(!series.is_empty() && series.iter().all(|b| b.chain == ChainName::Approval));
    let mut asked = ask(Some("payments"), Some(ChainName::Approval));
    assert!(!asked.chain_configured);
    asked.chain_configured = true;
    for b in asked.series.iter_mut().flatten() {
        b.chain_configured = true;
    }
    assert_eq!(asked, configured);
    let default = ask(Some("payments"), Some(ChainName::Default));
    assert_eq!(
        (default.chain, default.chain_configured),
        (ChainName::Default, false)
    );
    for team in [Some("checkout"), None] {
        let r = ask(team, None);
        assert_eq!(
            (r.chain, r.chain_configured),
            (ChainName::Default, false),
            "{team:?}"
        );
    }
}
