//! Hand-computed DORA scenarios. Each test shows its arithmetic in comments.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failure should panic

mod common;

use common::*;
use nagare_core::api::{
    Attribution, Band, DeploymentQuery, IncidentQuery, Interval, LeadTimeBasis,
};
use nagare_core::events::{ChangeType, DeploymentStatus, EnvironmentTier};
use nagare_core::model::{Org, Settings};
use nagare_core::time::DAY_MS;
use nagare_core::{Event, Timestamp};

fn org(events: Vec<Event>) -> Org {
    let mut o = Org::new(Settings::default());
    o.apply(events);
    o
}

/// cc-svc: a1 (root) ← a2; a1 authored 00:00, a2 authored 01:00.
fn contract_events() -> Vec<Event> {
    vec![
        service("cc-svc", Some("acme/cc"), &["core"]),
        commit("acme/cc", "a1", &[], at("00:00")),
        commit("acme/cc", "a2", &["a1"], at("01:00")),
        deploy("cc-d1", "cc-svc", "a1", at("00:40")),
        deploy("cc-d2", "cc-svc", "a2", at("02:00")),
    ]
}

#[test]
fn contract_scenario() {
    let o = org(contract_events());
    let r = o.dora(&day1());
    // Two successful production deployments on 2024-01-01.
    assert_eq!(r.deployment_frequency.deployments, 2);
    assert_eq!(r.deployment_frequency.deployment_days, 1);
    // cc-d1 is the baseline (a1 is its change, counted for nothing); cc-d2 first deploys a2:
    // 02:00 − 01:00 = 1 h = 3600 s.
    assert_eq!(r.change_lead_time.changes, 1);
    assert!(close(r.change_lead_time.median, 3600.0));
    assert!(close(r.change_lead_time.p90, 3600.0));
    assert!(close(r.change_lead_time.mean, 3600.0));
    assert_eq!(r.change_lead_time.band, Some(Band::Elite));
    assert_eq!(r.data_quality.baseline_deployments, 1);
    let d1 = o.deployment("cc-d1").unwrap();
    assert!(d1.deployment.baseline);
    assert_eq!(d1.deployment.changes, 1);
    assert_eq!(d1.deployment.lead_time, None);
    assert_eq!(d1.change_list[0].sha, "a1");
    let d2 = o.deployment("cc-d2").unwrap();
    assert!(!d2.deployment.baseline);
    assert_eq!(d2.change_list.len(), 1);
    assert_eq!(d2.change_list[0].sha, "a2");
    assert_eq!(d2.change_list[0].lead_time, 3600.0);
    assert_eq!(d2.deployment.lead_time, Some(3600.0));
    assert_eq!(
        d2.deployment.sha_url.as_deref(),
        Some("https://git.example/acme/cc/commit/a2")
    );
    // Contract defaults.
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["benchmark"], "dora-2024");
    assert_eq!(v["filters"]["environment_tier"], "production");
    assert!(v.get("series").is_none());
}

#[test]
fn empty_window() {
    let o = org(contract_events());
    // A week with nothing in it: 0 deployments, band low, every statistic null.
    let r = o.dora(&query(
        ts("2024-02-01T00:00:00Z"),
        ts("2024-02-08T00:00:00Z"),
    ));
    let f = &r.deployment_frequency;
    assert_eq!(
        (f.deployments, f.deployment_days, f.per_day, f.per_week),
        (0, 0, 0.0, 0.0)
    );
    assert_eq!(f.median_deployment_days_per_week, 0.0);
    assert_eq!(f.band, Some(Band::Low));
    assert_eq!(f.deploy_job_failure_rate, None);
    assert_eq!(r.change_lead_time.changes, 0);
    assert_eq!(r.change_lead_time.median, None);
    assert_eq!(r.change_lead_time.band, None);
    assert_eq!(r.change_failure_rate.rate, None);
    assert_eq!(r.change_failure_rate.band, None);
    assert_eq!(r.recovery_time.median, None);
    assert_eq!(r.recovery_time.recoveries, 0);
    assert_eq!(r.rework_rate.rate, None);
    assert!(r.data_quality.notes.is_empty());
    // An empty org too.
    let r = Org::new(Settings::default()).dora(&day1());
    assert_eq!(r.deployment_frequency.band, Some(Band::Low));
    assert_eq!(r.change_failure_rate.deployments, 0);
}

#[test]
fn single_deploy_is_only_a_baseline() {
    let o = org(vec![
        service("s", Some("r"), &[]),
        commit("r", "c1", &[], at("00:00")),
        commit("r", "c2", &["c1"], at("00:10")),
        deploy("d1", "s", "c2", at("01:00")),
    ]);
    let r = o.dora(&day1());
    // 1 deployment; its 2 commits set the baseline: no lead time at all.
    assert_eq!(r.deployment_frequency.deployments, 1);
    assert_eq!(r.change_lead_time.changes, 0);
    assert_eq!(r.change_lead_time.median, None);
    assert_eq!(r.data_quality.baseline_deployments, 1);
    assert_eq!(r.change_failure_rate.rate, Some(0.0));
    assert!(
        r.data_quality.notes.iter().any(|n| n.contains("baseline")),
        "{:?}",
        r.data_quality.notes
    );
    let row = &o.deployments(&DeploymentQuery::default()).items[0];
    assert!(row.baseline);
    assert_eq!(row.changes, 2);
    assert_eq!(row.lead_time, None);
}

#[test]
fn deploy_with_no_previous_deploy_of_its_own_service_and_tier() {
    let o = org(vec![
        service("a", Some("ra"), &[]),
        service("b", Some("rb"), &[]),
        commit("ra", "a1", &[], at("00:00")),
        commit("ra", "a2", &["a1"], at("01:00")),
        commit("rb", "b1", &[], at("00:00")),
        commit("rb", "b2", &["b1"], at("02:00")),
        deploy("a-1", "a", "a1", at("00:30")),
        deploy("a-2", "a", "a2", at("03:00")),
        // b's staging deployment does not precede b's production one.
        Event::Deployment(nagare_core::events::Deployment {
            environment: "staging".into(),
            ..deployment("b-stg", "b", "b1", at("00:30"))
        }),
        deploy("b-1", "b", "b2", at("04:00")),
    ]);
    // Production: a-1 and b-1 are baselines (b-1 has no previous production deploy of b,
    // whatever a did). Only a-2 counts: a2 01:00 → 03:00 = 7200 s.
    let r = o.dora(&day1());
    assert_eq!(r.deployment_frequency.deployments, 3);
    assert_eq!(r.data_quality.baseline_deployments, 2);
    assert_eq!(r.change_lead_time.changes, 1);
    assert!(close(r.change_lead_time.median, 7200.0));
    // Staging has its own chain: b-stg is its baseline.
    let mut q = day1();
    q.environment_tier = EnvironmentTier::Staging;
    let r = o.dora(&q);
    assert_eq!(r.deployment_frequency.deployments, 1);
    assert_eq!(r.data_quality.baseline_deployments, 1);
    assert_eq!(o.deployment("b-1").unwrap().change_list.len(), 2);
}

#[test]
fn open_incident_is_unrecovered_until_resolved() {
    let mut events = contract_events();
    // Starts 03:00, 1 h after cc-d2 finished (within the 7-day window): attributed to cc-d2.
    events.push(Event::Incident(incident(
        "INC-1",
        "cc-svc",
        at("03:00"),
        None,
    )));
    let mut o = org(events);
    let r = o.dora(&day1());
    // CFR = 1 failed / 2 deployments = 0.5 → low (> 20%).
    assert_eq!(r.change_failure_rate.failed, 1);
    assert_eq!(r.change_failure_rate.rate, Some(0.5));
    assert_eq!(r.change_failure_rate.band, Some(Band::Low));
    // Open incident: not recovered, so no recovery statistics.
    assert_eq!(r.recovery_time.recoveries, 0);
    assert_eq!(r.recovery_time.unrecovered, 1);
    assert_eq!(r.recovery_time.median, None);
    let inc = &o.incidents(&IncidentQuery::default()).items[0];
    assert_eq!(inc.attribution, Attribution::Window);
    assert_eq!(inc.deployment.as_deref(), Some("cc-d2"));
    assert!(inc.open);
    // Resolved at 05:00: recovery = 05:00 − 02:00 (cc-d2 finished) = 3 h = 10800 s; in 2024
    // that is not < 1 h (elite) but < 1 day → high.
    o.apply(vec![Event::Incident(incident(
        "INC-1",
        "cc-svc",
        at("03:00"),
        Some(at("05:00")),
    ))]);
    let r = o.dora(&day1());
    assert_eq!(r.recovery_time.recoveries, 1);
    assert_eq!(r.recovery_time.unrecovered, 0);
    assert!(close(r.recovery_time.median, 10800.0));
    assert!(close(r.recovery_time.mean, 10800.0));
    assert_eq!(r.recovery_time.band, Some(Band::High));
    let row = o.deployment("cc-d2").unwrap().deployment;
    assert_eq!(row.failure_reasons, vec!["incident INC-1".to_string()]);
    assert_eq!(row.incidents, vec!["INC-1".to_string()]);
    assert_eq!(row.recovery_time, Some(10800.0));
    let inc = &o.incidents(&IncidentQuery::default()).items[0];
    assert_eq!(inc.duration, Some(7200.0));
    assert_eq!(inc.recovery_time, Some(10800.0));
}

#[test]
fn failed_attempt_counts_for_deploy_job_failure_rate_not_cfr() {
    let mut events = contract_events();
    events.push(Event::Deployment(nagare_core::events::Deployment {
        status: DeploymentStatus::Failure,
        ..deployment("cc-d3", "cc-svc", "a2", at("03:00"))
    }));
    let o = org(events);
    let r = o.dora(&day1());
    // 2 successful deployments, 1 failed attempt: job failure rate 1 / (1 + 2) = 1/3.
    assert_eq!(r.deployment_frequency.deployments, 2);
    assert_eq!(r.deployment_frequency.failed_attempts, 1);
    assert!(close(
        r.deployment_frequency.deploy_job_failure_rate,
        1.0 / 3.0
    ));
    // The attempt never changed production: CFR 0 / 2.
    assert_eq!(r.change_failure_rate.failed, 0);
    assert_eq!(r.change_failure_rate.rate, Some(0.0));
    assert_eq!(r.change_failure_rate.band, Some(Band::Elite));
    let q = DeploymentQuery {
        status: Some(DeploymentStatus::Failure),
        ..DeploymentQuery::default()
    };
    let rows = o.deployments(&q);
    assert_eq!(rows.total, 1);
    assert!(!rows.items[0].failed);
}

/// r: a1 ← a2 ← a3. d1 a1 (baseline, 00:30); d2 a2 (01:00); d3 rollback to a1 (01:30);
/// d4 a3 (03:00). a2 authored 00:30, a3 02:00.
fn rollback_events(kind: ChangeType) -> Vec<Event> {
    vec![
        service("s", Some("r"), &[]),
        commit("r", "a1", &[], at("00:00")),
        commit("r", "a2", &["a1"], at("00:30")),
        commit("r", "a3", &["a2"], at("02:00")),
        deploy("d1", "s", "a1", at("00:30")),
        deploy("d2", "s", "a2", at("01:00")),
        Event::Deployment(nagare_core::events::Deployment {
            change_type: kind,
            ..deployment("d3", "s", "a1", at("01:30"))
        }),
        deploy("d4", "s", "a3", at("03:00")),
    ]
}

#[test]
fn rollback_then_redeploy() {
    let o = org(rollback_events(ChangeType::Rollback));
    let r = o.dora(&day1());
    // 4 deployments; d2 failed (the next one, d3, rolls back): CFR 1/4 = 0.25 → low (> 20%).
    assert_eq!(r.change_failure_rate.deployments, 4);
    assert_eq!(r.change_failure_rate.failed, 1);
    assert_eq!(r.change_failure_rate.rate, Some(0.25));
    assert_eq!(r.change_failure_rate.band, Some(Band::Low));
    // Recovery: d3 finished 01:30 − d2 finished 01:00 = 1800 s → elite.
    assert_eq!(r.recovery_time.recoveries, 1);
    assert!(close(r.recovery_time.median, 1800.0));
    assert_eq!(r.recovery_time.band, Some(Band::Elite));
    // Rework: d3 is unplanned: 1/4.
    assert_eq!(r.rework_rate.unplanned, 1);
    assert_eq!(r.rework_rate.rate, Some(0.25));
    // Changes: d2 {a2} 00:30 → 01:00 = 1800 s; d3 {} (a1 is d1's); d4 {a3} (a2 is d2's):
    // 02:00 → 03:00 = 3600 s. Median of [1800, 3600] = 2700, p90 = 1800 + 0.9·1800 = 3420.
    assert_eq!(r.change_lead_time.changes, 2);
    assert!(close(r.change_lead_time.median, 2700.0));
    assert!(close(r.change_lead_time.p90, 3420.0));
    assert_eq!(o.deployment("d3").unwrap().deployment.changes, 0);
    let d2 = o.deployment("d2").unwrap().deployment;
    assert!(d2.failed);
    assert_eq!(d2.failure_reasons, vec!["rolled back by d3".to_string()]);
    assert_eq!(d2.recovery_time, Some(1800.0));
    assert!(o.deployment("d3").unwrap().deployment.unplanned);
    let failed = o.deployments(&DeploymentQuery {
        failed: Some(true),
        ..DeploymentQuery::default()
    });
    assert_eq!(
        failed
            .items
            .iter()
            .map(|d| d.id.as_str())
            .collect::<Vec<_>>(),
        vec!["d2"]
    );
}

/// DORA 2025 on the rollback day: no bands, and the Quick Check of the same numbers.
/// - Deployment frequency: the one-day window is one 7-day and one 30-day block, each with one
///   deployment day (median 1 a week); 4 deployments on 1 day → answer 4 → (4 − 1) / 5 × 10 = 6.
/// - Lead time median 2700 s < 1 hour → answer 6 → 10; recovery 1800 s → 10.
/// - Change fail rate 25% → 10 − 2.5 = 7.5; rework 25% → 7.5.
///
/// Throughput (6 + 10 + 10) / 3 = 26 / 3; stability 7.5; overall (6 + 10 + 10 + 7.5 + 7.5) / 5 = 8.2.
#[test]
fn dora_2025_scores_the_rollback_day() {
    let o = org(rollback_events(ChangeType::Rollback));
    let mut q = day1();
    q.benchmark = nagare_core::api::Benchmark::Dora2025;
    q.peers = "size:fewer_than_5000".parse().unwrap();
    let r = o.dora(&q);
    assert_eq!(r.deployment_frequency.band, None);
    assert_eq!(r.change_lead_time.band, None);
    assert_eq!(r.change_failure_rate.band, None);
    assert_eq!(r.recovery_time.band, None);
    // The metrics themselves do not change with the benchmark.
    let r2024 = o.dora(&day1());
    assert_eq!(r.change_lead_time.median, r2024.change_lead_time.median);
    assert_eq!(r2024.quick_check, None);
    let qc = r.quick_check.expect("a Quick Check with dora-2025");
    assert_eq!(qc.peer_name, "1,000 to 4,999 employees");
    assert_eq!(qc.deployment_frequency.answer, Some(4));
    assert!(close(qc.deployment_frequency.score, 6.0));
    assert_eq!(qc.change_lead_time.answer, Some(6));
    assert!(close(qc.change_lead_time.score, 10.0));
    assert!(close(qc.recovery_time.score, 10.0));
    assert!(close(qc.change_failure_rate.score, 7.5));
    assert!(close(qc.rework_rate.score, 7.5));
    assert!(close(qc.throughput.score, 26.0 / 3.0));
    assert!(close(qc.stability.score, 7.5));
    assert!(close(qc.overall.score, 8.2));
    // Each bucket of a series carries its own.
    q.interval = nagare_core::api::Interval::Day;
    let series = o.dora(&q).series.expect("a series");
    assert_eq!(series.len(), 1);
    assert_eq!(
        series[0].quick_check.as_ref().map(|c| c.overall.score),
        Some(qc.overall.score)
    );
}

#[test]
fn hotfix() {
    let o = org(rollback_events(ChangeType::Hotfix));
    let r = o.dora(&day1());
    // Same shape: d2 failed (hotfixed by d3), recovered in 1800 s; d3 unplanned.
    assert_eq!(r.change_failure_rate.failed, 1);
    assert!(close(r.recovery_time.median, 1800.0));
    assert_eq!(r.rework_rate.unplanned, 1);
    let d2 = o.deployment("d2").unwrap().deployment;
    assert_eq!(d2.failure_reasons, vec!["hotfixed by d3".to_string()]);
}

#[test]
fn merge_commit_reachable_by_two_paths_counts_once() {
    // r0 ← a1 ← {b1, c1} ← m (merge of b1 and c1). d1 deploys r0 (baseline), d2 deploys m.
    // d2's walk reaches a1 through b1 and through c1: it is one change.
    let o = org(vec![
        service("s", Some("r"), &[]),
        commit("r", "r0", &[], at("00:00")),
        commit("r", "a1", &["r0"], at("01:00")),
        commit("r", "b1", &["a1"], at("02:00")),
        commit("r", "c1", &["a1"], at("03:00")),
        commit("r", "m", &["b1", "c1"], at("04:00")),
        deploy("d1", "s", "r0", at("00:30")),
        deploy("d2", "s", "m", at("05:00")),
    ]);
    let r = o.dora(&day1());
    // Changes of d2: a1, b1, c1, m → lead 4 h, 3 h, 2 h, 1 h = [3600, 7200, 10800, 14400] s.
    // Median 9000 s (h = 1.5), mean 9000 s, p90 = 10800 + 0.7·3600 = 13320 s.
    assert_eq!(r.change_lead_time.changes, 4);
    assert!(close(r.change_lead_time.median, 9000.0));
    assert!(close(r.change_lead_time.mean, 9000.0));
    assert!(close(r.change_lead_time.p90, 13320.0));
    assert_eq!(o.deployment("d2").unwrap().change_list.len(), 4);
}

#[test]
fn incident_outside_the_query_window_counts_with_its_deployment() {
    let mut events = contract_events();
    // cc-d2 finished 02:00 on Jan 1; the incident starts on Jan 2 at 01:00 (23 h later).
    events.push(Event::Incident(incident(
        "INC-2",
        "cc-svc",
        ts("2024-01-02T01:00:00Z"),
        Some(ts("2024-01-02T02:00:00Z")),
    )));
    let o = org(events);
    // Jan 1: cc-d2 is failed there (its failure counts where it finished): 1/2. Recovery:
    // Jan 2 02:00 − Jan 1 02:00 = 24 h = 86400 s → low in 2024 (not < 1 day).
    let r = o.dora(&day1());
    assert_eq!(r.change_failure_rate.failed, 1);
    assert!(close(r.recovery_time.median, 86400.0));
    assert_eq!(r.recovery_time.band, Some(Band::Low));
    // Jan 2: no deployments, so no failure rate; the incident is attributed, not a note.
    let r = o.dora(&query(
        ts("2024-01-02T00:00:00Z"),
        ts("2024-01-03T00:00:00Z"),
    ));
    assert_eq!(r.change_failure_rate.deployments, 0);
    assert_eq!(r.change_failure_rate.rate, None);
    assert_eq!(r.data_quality.unattributed_incidents, 0);
}

#[test]
fn incident_outside_the_attribution_window_is_unattributed() {
    let mut events = contract_events();
    // 8 days after cc-d2 (> 7-day window): attributed to nothing.
    events.push(Event::Incident(incident(
        "INC-3",
        "cc-svc",
        ts("2024-01-09T02:00:00Z"),
        None,
    )));
    let o = org(events);
    assert_eq!(o.dora(&day1()).change_failure_rate.failed, 0);
    let r = o.dora(&query(
        ts("2024-01-09T00:00:00Z"),
        ts("2024-01-10T00:00:00Z"),
    ));
    assert_eq!(r.data_quality.unattributed_incidents, 1);
    assert_eq!(
        r.data_quality.notes,
        vec!["1 incident was attributed to no deployment and counts in no deployment metric."]
    );
    let inc = &o.incidents(&IncidentQuery::default()).items[0];
    assert_eq!(inc.attribution, Attribution::None);
    assert_eq!(inc.deployment, None);
    // With a 9-day window it is attributed to cc-d2.
    let mut o2 = Org::new(Settings {
        incident_window_ms: 9 * DAY_MS,
        ..Settings::default()
    });
    o2.apply(o.events());
    assert_eq!(o2.dora(&day1()).change_failure_rate.failed, 1);
}

#[test]
fn excluded_incident_is_never_attributed() {
    let mut events = contract_events();
    let mut i = incident("INC-4", "cc-svc", at("03:00"), None);
    i.excluded = true;
    i.caused_by_deployment = Some("cc-d2".into());
    events.push(Event::Incident(i));
    let o = org(events);
    let r = o.dora(&day1());
    assert_eq!(r.change_failure_rate.failed, 0);
    assert_eq!(r.recovery_time.unrecovered, 0);
    // Excluded is not "unattributed": it is known not to be deployment-caused.
    assert_eq!(r.data_quality.unattributed_incidents, 0);
    let inc = &o.incidents(&IncidentQuery::default()).items[0];
    assert_eq!(inc.attribution, Attribution::Excluded);
    assert!(inc.excluded);
}

#[test]
fn explicit_attribution_by_id_and_by_sha_wins_over_the_window() {
    let mut events = contract_events();
    // Names cc-d1 although cc-d2 is the latest before it: explicit wins.
    let mut i = incident("INC-5", "cc-svc", at("03:00"), Some(at("04:00")));
    i.caused_by_deployment = Some("cc-d1".into());
    events.push(Event::Incident(i));
    // Names sha a2: cc-d2 deployed it.
    let mut j = incident("INC-6", "cc-svc", at("05:00"), Some(at("06:00")));
    j.caused_by_deployment = Some("a2".into());
    events.push(Event::Incident(j));
    let o = org(events);
    let rows = o.incidents(&IncidentQuery::default()).items;
    let by_id = |id: &str| rows.iter().find(|r| r.id == id).unwrap().clone();
    assert_eq!(by_id("INC-5").attribution, Attribution::Explicit);
    assert_eq!(by_id("INC-5").deployment.as_deref(), Some("cc-d1"));
    assert_eq!(by_id("INC-6").attribution, Attribution::Explicit);
    assert_eq!(by_id("INC-6").deployment.as_deref(), Some("cc-d2"));
    // Both deployments failed: CFR 2/2. Recoveries: cc-d1 00:40 → 04:00 = 12000 s;
    // cc-d2 02:00 → 06:00 = 14400 s. Median 13200 s.
    let r = o.dora(&day1());
    assert_eq!(r.change_failure_rate.rate, Some(1.0));
    assert!(close(r.recovery_time.median, 13200.0));
}

#[test]
fn remediating_deployment_recovers_before_the_incident_is_resolved() {
    let mut events = contract_events();
    events.push(Event::Incident(incident(
        "INC-7",
        "cc-svc",
        at("03:00"),
        Some(at("09:00")),
    )));
    events.push(commit("acme/cc", "a3", &["a2"], at("03:10")));
    events.push(Event::Deployment(nagare_core::events::Deployment {
        remediates: Some("INC-7".into()),
        ..deployment("cc-d3", "cc-svc", "a3", at("03:30"))
    }));
    let o = org(events);
    let r = o.dora(&day1());
    // cc-d2 failed (INC-7); recovered at min(09:00 resolved, 03:30 cc-d3 remediates) = 03:30:
    // 03:30 − 02:00 = 5400 s. cc-d3 is unplanned: rework 1/3.
    assert!(close(r.recovery_time.median, 5400.0));
    assert_eq!(r.rework_rate.unplanned, 1);
    assert!(close(r.rework_rate.rate, 1.0 / 3.0));
    // INC-7 started after cc-d3? No: 03:00 < 03:30, so cc-d2 (02:00) is the latest before it.
    assert_eq!(
        o.deployment("cc-d2").unwrap().deployment.failure_reasons,
        vec!["incident INC-7".to_string()]
    );
}

#[test]
fn marked_failed_recovers_with_the_next_deployment() {
    let mut events = contract_events();
    events.push(commit("acme/cc", "a3", &["a2"], at("03:00")));
    events.push(deploy("cc-d3", "cc-svc", "a3", at("04:00")));
    events.retain(|e| !matches!(e, Event::Deployment(d) if d.id == "cc-d2"));
    events.push(Event::Deployment(nagare_core::events::Deployment {
        marked_failed: true,
        ..deployment("cc-d2", "cc-svc", "a2", at("02:00"))
    }));
    let o = org(events);
    let r = o.dora(&day1());
    // cc-d2 failed (marked); recovered by cc-d3: 04:00 − 02:00 = 7200 s. cc-d3 is planned.
    assert_eq!(r.change_failure_rate.failed, 1);
    assert!(close(r.recovery_time.median, 7200.0));
    assert_eq!(r.rework_rate.unplanned, 0);
    assert_eq!(
        o.deployment("cc-d2").unwrap().deployment.failure_reasons,
        vec!["marked failed".to_string()]
    );
}

/// PR 17: commits p1 (00:10) and p2 (00:20), opened 00:15, merged 00:50 as m (00:50).
fn pr_events(with_commits: bool) -> Vec<Event> {
    let mut e = vec![
        service("s", Some("r"), &[]),
        commit("r", "base", &[], at("00:00")),
        commit("r", "p1", &["base"], at("00:10")),
        commit("r", "p2", &["p1"], at("00:20")),
        commit("r", "m", &["base", "p2"], at("00:50")),
        deploy("d1", "s", "base", at("00:05")),
        deploy("d2", "s", "m", at("02:00")),
    ];
    let commits: &[&str] = if with_commits { &["p1", "p2"] } else { &[] };
    e.push(pull_request(
        "r",
        "17",
        commits,
        Some("m"),
        at("00:15"),
        Some(at("00:50")),
    ));
    e
}

#[test]
fn each_lead_time_basis() {
    let o = org(pr_events(true));
    let mut q = day1();
    // commit: p1 00:10, p2 00:20, m 00:50 → 02:00: [6600, 6000, 4200] s. Median 6000 s.
    let r = o.dora(&q);
    assert_eq!(r.change_lead_time.changes, 3);
    assert!(close(r.change_lead_time.median, 6000.0));
    assert!(close(
        r.change_lead_time.mean,
        (6600.0 + 6000.0 + 4200.0) / 3.0
    ));
    // pull_request: the PR's first commit p1 00:10 → 02:00 = 6600 s (one PR, one value).
    q.basis = LeadTimeBasis::PullRequest;
    let r = o.dora(&q);
    assert_eq!(r.change_lead_time.basis, LeadTimeBasis::PullRequest);
    assert_eq!(r.change_lead_time.changes, 1);
    assert!(close(r.change_lead_time.median, 6600.0));
    // merge: merged 00:50 → 02:00 = 4200 s.
    q.basis = LeadTimeBasis::Merge;
    let r = o.dora(&q);
    assert_eq!(r.change_lead_time.changes, 1);
    assert!(close(r.change_lead_time.median, 4200.0));
    // Without known commits, pull_request falls back to opened_at: 00:15 → 02:00 = 6300 s.
    let o = org(pr_events(false));
    q.basis = LeadTimeBasis::PullRequest;
    assert!(close(o.dora(&q).change_lead_time.median, 6300.0));
    // The change list names the pull request that carried each commit.
    let d2 = org(pr_events(true)).deployment("d2").unwrap();
    let p1 = d2.change_list.iter().find(|c| c.sha == "p1").unwrap();
    assert_eq!(p1.pull_request.as_deref(), Some("r#17"));
}

#[test]
fn negative_span_goes_to_data_quality() {
    let mut events = contract_events();
    // a3 claims to be authored at 05:00 but is deployed by cc-d3 at 04:00: −3600 s.
    events.push(commit("acme/cc", "a3", &["a2"], at("05:00")));
    events.push(commit("acme/cc", "a4", &["a3"], at("03:00")));
    events.push(deploy("cc-d3", "cc-svc", "a4", at("04:00")));
    let o = org(events);
    let r = o.dora(&day1());
    // Lead times: a2 3600 s (cc-d2), a4 3600 s (cc-d3); a3 left out.
    assert_eq!(r.change_lead_time.changes, 2);
    assert!(close(r.change_lead_time.median, 3600.0));
    assert_eq!(r.data_quality.negative_lead_times, 1);
    assert!(r.data_quality.notes.iter().any(|n| n
        == "1 change had a negative lead time (deployed before it was made) and was left out."));
    // Reported as it is in the change list, never clamped.
    let d3 = o.deployment("cc-d3").unwrap();
    assert_eq!(
        d3.change_list
            .iter()
            .find(|c| c.sha == "a3")
            .unwrap()
            .lead_time,
        -3600.0
    );
}

#[test]
fn incomplete_graph_falls_back_to_the_push_list_until_the_commit_arrives() {
    let mut events = contract_events();
    events.push(commit("acme/cc", "a3", &["a2"], at("02:10")));
    events.push(commit("acme/cc", "a4", &["a3"], at("02:20")));
    // Deploys x5, which the graph does not know; the push lists a4, a3, a2 and an unknown zz.
    events.push(Event::Deployment(nagare_core::events::Deployment {
        commits: vec!["a4".into(), "a3".into(), "a2".into(), "zz".into()],
        ..deployment("cc-d3", "cc-svc", "x5", at("03:00"))
    }));
    let mut o = org(events);
    let r = o.dora(&day1());
    // a2 is cc-d2's already; a4 and a3 come from the push list: 40 min and 50 min.
    assert_eq!(r.data_quality.incomplete_graph_deployments, 1);
    assert_eq!(r.data_quality.fallback_changes, 2);
    assert_eq!(r.change_lead_time.changes, 3);
    assert_eq!(r.data_quality.notes.len(), 3, "{:?}", r.data_quality.notes);
    let d3 = o.deployment("cc-d3").unwrap();
    assert!(d3.deployment.incomplete_graph);
    assert!(d3.change_list.iter().all(|c| c.from_push_list));
    // x5 arrives (parent a4, authored 02:30): the graph is complete now; cc-d3 has x5, a4, a3.
    o.apply(vec![commit("acme/cc", "x5", &["a4"], at("02:30"))]);
    let r = o.dora(&day1());
    assert_eq!(r.data_quality.incomplete_graph_deployments, 0);
    assert_eq!(r.data_quality.fallback_changes, 0);
    // Lead times: a2 3600; a3 3000; a4 2400; x5 1800 → median (2400 + 3000) / 2 = 2700.
    assert_eq!(r.change_lead_time.changes, 4);
    assert!(close(r.change_lead_time.median, 2700.0));
    let d3 = o.deployment("cc-d3").unwrap();
    assert!(!d3.deployment.incomplete_graph);
    assert_eq!(d3.change_list.len(), 3);
    assert!(d3.change_list.iter().all(|c| !c.from_push_list));
}

#[test]
fn missing_parent_marks_the_graph_incomplete() {
    let o = org(vec![
        service("s", Some("r"), &[]),
        commit("r", "c1", &["ghost"], at("00:00")),
        commit("r", "c2", &["c1"], at("00:30")),
        deploy("d1", "s", "c2", at("01:00")),
    ]);
    let r = o.dora(&day1());
    assert_eq!(r.data_quality.incomplete_graph_deployments, 1);
    assert_eq!(o.deployment("d1").unwrap().deployment.changes, 2);
}

#[test]
fn service_without_a_repository_has_an_incomplete_graph() {
    let o = org(vec![
        commit("r", "c1", &[], at("00:00")),
        deploy("d1", "nameless", "c1", at("01:00")),
        deploy("d2", "nameless", "c1", at("02:00")),
    ]);
    let r = o.dora(&day1());
    assert_eq!(r.deployment_frequency.deployments, 2);
    assert_eq!(r.data_quality.incomplete_graph_deployments, 2);
    assert_eq!(r.change_lead_time.changes, 0);
    // Services named only by deployments are listed too.
    assert_eq!(o.services()[0].name, "nameless");
    assert_eq!(o.services()[0].deployments, 2);
}

#[test]
fn deployment_frequency_days_and_bands() {
    // One deployment a day at 10:00 on Mon–Fri of two weeks (2024-01-01 is a Monday).
    let mut events = vec![
        service("s", Some("r"), &[]),
        commit("r", "c", &[], at("00:00")),
    ];
    for week in 0..2 {
        for day in 0..5 {
            let t = ts("2024-01-01T10:00:00Z").0 + (week * 7 + day) * DAY_MS;
            events.push(deploy(&format!("d{week}{day}"), "s", "c", Timestamp(t)));
        }
    }
    // And a second deployment on the first Monday: 11 deployments, 10 days.
    events.push(deploy("extra", "s", "c", ts("2024-01-01T12:00:00Z")));
    let o = org(events);
    let q = query(ts("2024-01-01T00:00:00Z"), ts("2024-01-15T00:00:00Z"));
    let r = o.dora(&q);
    let f = &r.deployment_frequency;
    // 11 in 14 days: 11/14 a day, 5.5 a week; weeks have 5 and 5 days: median 5 → elite.
    assert_eq!(f.deployments, 11);
    assert_eq!(f.deployment_days, 10);
    assert!((f.per_day - 11.0 / 14.0).abs() < 1e-12);
    assert!((f.per_week - 5.5).abs() < 1e-12);
    assert_eq!(f.median_deployment_days_per_week, 5.0);
    assert_eq!(f.band, Some(Band::Elite));
    // A 17-day window: two full weeks (5, 5) and a dropped 3-day tail → still 5.
    let r = o.dora(&query(
        ts("2024-01-01T00:00:00Z"),
        ts("2024-01-18T00:00:00Z"),
    ));
    assert_eq!(r.deployment_frequency.median_deployment_days_per_week, 5.0);
    // Four weeks, the last two empty: blocks (5, 5, 0, 0) → median 2.5 → high.
    let r = o.dora(&query(
        ts("2024-01-01T00:00:00Z"),
        ts("2024-01-29T00:00:00Z"),
    ));
    assert_eq!(r.deployment_frequency.median_deployment_days_per_week, 2.5);
    assert_eq!(r.deployment_frequency.band, Some(Band::High));
    // 90 days (Jan 31 + Feb 29 + Mar 30): 12 full weeks (5, 5, 0 × 10) → median 0; 30-day
    // blocks (10, 0, 0) → median 0 → low.
    let r = o.dora(&query(
        ts("2024-01-01T00:00:00Z"),
        ts("2024-03-31T00:00:00Z"),
    ));
    assert_eq!(r.deployment_frequency.band, Some(Band::Low));
    // 60 days: weeks (5, 5, 0 × 6) → median 0; 30-day blocks (10, 0) → median 5 ≥ 1 → medium.
    let r = o.dora(&query(
        ts("2024-01-01T00:00:00Z"),
        ts("2024-03-01T00:00:00Z"),
    ));
    assert_eq!(r.deployment_frequency.band, Some(Band::Medium));
    // dora-2021 on 90 days: 30-day median 0; 11 deployments / (90/182) ≈ 22 ≥ 1 → medium.
    let mut q = query(ts("2024-01-01T00:00:00Z"), ts("2024-03-31T00:00:00Z"));
    q.benchmark = nagare_core::api::Benchmark::Dora2021;
    assert_eq!(o.dora(&q).deployment_frequency.band, Some(Band::Medium));
}

#[test]
fn deployment_days_follow_the_query_zone() {
    // 23:30 UTC and 00:30 UTC the next day are one day in Tokyo (08:30 and 09:30 JST).
    let o = org(vec![
        service("s", Some("r"), &[]),
        commit("r", "c", &[], at("00:00")),
        deploy("d1", "s", "c", ts("2024-01-01T23:30:00Z")),
        deploy("d2", "s", "c", ts("2024-01-02T00:30:00Z")),
    ]);
    let mut q = query(ts("2024-01-01T00:00:00Z"), ts("2024-01-08T00:00:00Z"));
    assert_eq!(o.dora(&q).deployment_frequency.deployment_days, 2);
    q.time_zone = Some(chrono_tz::Asia::Tokyo);
    assert_eq!(o.dora(&q).deployment_frequency.deployment_days, 1);
    // Settings' zone applies when the query has none.
    let mut o2 = Org::new(Settings {
        time_zone: chrono_tz::Asia::Tokyo,
        ..Settings::default()
    });
    o2.apply(o.events());
    q.time_zone = None;
    assert_eq!(o2.dora(&q).deployment_frequency.deployment_days, 1);
}

#[test]
fn series_buckets_for_day_week_and_month() {
    let o = org(contract_events());
    let mut q = query(ts("2024-01-01T00:00:00Z"), ts("2024-01-08T00:00:00Z"));
    q.interval = Interval::Day;
    let r = o.dora(&q);
    let s = r.series.as_ref().unwrap();
    // 7 UTC days; both deployments are in the first bucket.
    assert_eq!(s.len(), 7);
    assert_eq!(s[0].deployment_frequency.deployments, 2);
    assert_eq!(s[0].window.from, ts("2024-01-01T00:00:00Z"));
    assert_eq!(s[0].window.to, ts("2024-01-02T00:00:00Z"));
    assert!(s.iter().all(|b| b.series.is_none()));
    assert_eq!(
        s.iter()
            .map(|b| b.deployment_frequency.deployments)
            .sum::<u64>(),
        2
    );
    // Asia/Tokyo: midnights at 15:00Z split the week into 8 buckets, the first and last partial:
    // [Jan 1 00:00Z, Jan 1 15:00Z), …, [Jan 7 15:00Z, Jan 8 00:00Z).
    q.time_zone = Some(chrono_tz::Asia::Tokyo);
    let s = o.dora(&q).series.unwrap();
    assert_eq!(s.len(), 8);
    assert_eq!(s[0].window.to, ts("2024-01-01T15:00:00Z"));
    assert_eq!(s[7].window.from, ts("2024-01-07T15:00:00Z"));
    // Weeks (Monday midnight) over January 2024 (Jan 1 is a Monday) in UTC:
    // Jan 1, 8, 15, 22, 29 → 5 buckets, the last 3 days long.
    let mut q = query(ts("2024-01-01T00:00:00Z"), ts("2024-02-01T00:00:00Z"));
    q.interval = Interval::Week;
    let s = o.dora(&q).series.unwrap();
    assert_eq!(s.len(), 5);
    assert_eq!(s[4].window.from, ts("2024-01-29T00:00:00Z"));
    // Tokyo weeks: Monday midnights JST are Sunday 15:00Z: Jan 7, 14, 21, 28 → 5 buckets
    // (the first is Jan 1 00:00Z → Jan 7 15:00Z).
    q.time_zone = Some(chrono_tz::Asia::Tokyo);
    let s = o.dora(&q).series.unwrap();
    assert_eq!(s.len(), 5);
    assert_eq!(s[0].window.to, ts("2024-01-07T15:00:00Z"));
    // Months over 2024: 12 buckets in UTC; in Tokyo the first starts at Jan 1 00:00Z (09:00
    // JST), month starts are the day before at 15:00Z, Feb 1 … Dec 1 and Dec 31 15:00Z (Jan 1
    // 2025 JST) < 2025-01-01T00:00Z → 13 buckets.
    let mut q = query(ts("2024-01-01T00:00:00Z"), ts("2025-01-01T00:00:00Z"));
    q.interval = Interval::Month;
    assert_eq!(o.dora(&q).series.unwrap().len(), 12);
    q.time_zone = Some(chrono_tz::Asia::Tokyo);
    let s = o.dora(&q).series.unwrap();
    assert_eq!(s.len(), 13);
    assert_eq!(s[12].window.from, ts("2024-12-31T15:00:00Z"));
    // All: no series.
    q.interval = Interval::All;
    assert!(o.dora(&q).series.is_none());
}

#[test]
fn filters_by_service_team_and_environment_overrides() {
    let mut o = Org::new(Settings {
        environment_tiers: vec![("blue".into(), EnvironmentTier::Production)],
        ..Settings::default()
    });
    let mut events = contract_events();
    events.push(service("other", Some("acme/other"), &["edge"]));
    events.push(commit("acme/other", "o1", &[], at("00:00")));
    events.push(Event::Deployment(nagare_core::events::Deployment {
        environment: "blue".into(),
        ..deployment("o-1", "other", "o1", at("05:00"))
    }));
    o.apply(events);
    let mut q = day1();
    assert_eq!(o.dora(&q).deployment_frequency.deployments, 3);
    q.service = Some("other".into());
    assert_eq!(o.dora(&q).deployment_frequency.deployments, 1);
    q.service = None;
    q.team = Some("core".into());
    assert_eq!(o.dora(&q).deployment_frequency.deployments, 2);
    q.team = Some("edge".into());
    q.service = Some("cc-svc".into());
    assert_eq!(o.dora(&q).deployment_frequency.deployments, 0);
    q.team = Some("nobody".into());
    q.service = None;
    assert_eq!(o.dora(&q).deployment_frequency.deployments, 0);
    let teams = o.teams();
    assert_eq!(
        teams.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        vec!["core", "edge"]
    );
    assert_eq!(teams[0].services, vec!["cc-svc".to_string()]);
    let page = o.deployments(&DeploymentQuery {
        team: Some("core".into()),
        ..DeploymentQuery::default()
    });
    assert_eq!(page.total, 2);
}

#[test]
fn deployment_list_order_and_paging() {
    let mut events = contract_events();
    events.push(Event::Deployment(nagare_core::events::Deployment {
        status: DeploymentStatus::InProgress,
        finished_at: None,
        ..deployment("cc-d3", "cc-svc", "a2", at("05:00"))
    }));
    let o = org(events);
    let all = o.deployments(&DeploymentQuery::default());
    // In progress first, then newest finished first.
    assert_eq!(
        all.items.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        vec!["cc-d3", "cc-d2", "cc-d1"]
    );
    assert_eq!((all.total, all.page, all.per_page), (3, 1, 50));
    let p2 = o.deployments(&DeploymentQuery {
        page: 2,
        per_page: 2,
        ..DeploymentQuery::default()
    });
    assert_eq!(p2.items.len(), 1);
    assert_eq!(p2.items[0].id, "cc-d1");
    let window = o.deployments(&DeploymentQuery {
        from: Some(at("01:00")),
        to: Some(at("03:00")),
        ..DeploymentQuery::default()
    });
    assert_eq!(
        window
            .items
            .iter()
            .map(|d| d.id.as_str())
            .collect::<Vec<_>>(),
        vec!["cc-d2"]
    );
}

#[test]
fn upserts_replace_in_place_and_re_derive() {
    let mut o = org(contract_events());
    assert_eq!(o.event_count(), 5);
    // The same events again: nothing changes.
    let before = o.dora(&day1());
    o.apply(contract_events());
    assert_eq!(o.event_count(), 5);
    assert_eq!(o.dora(&day1()), before);
    // cc-d2 moves before cc-d1: cc-d2 becomes the baseline (a1, a2 are its), cc-d1 has nothing.
    o.apply(vec![deploy("cc-d2", "cc-svc", "a2", at("00:20"))]);
    let r = o.dora(&day1());
    assert_eq!(r.change_lead_time.changes, 0);
    assert_eq!(o.deployment("cc-d2").unwrap().deployment.changes, 2);
    assert!(o.deployment("cc-d2").unwrap().deployment.baseline);
    assert_eq!(o.deployment("cc-d1").unwrap().deployment.changes, 0);
    // Back again: the contract numbers.
    o.apply(vec![deploy("cc-d2", "cc-svc", "a2", at("02:00"))]);
    assert_eq!(o.dora(&day1()), before);
    // cc-d2 fails: it leaves the chain.
    o.apply(vec![Event::Deployment(nagare_core::events::Deployment {
        status: DeploymentStatus::Failure,
        ..deployment("cc-d2", "cc-svc", "a2", at("02:00"))
    })]);
    let r = o.dora(&day1());
    assert_eq!(r.deployment_frequency.deployments, 1);
    assert_eq!(r.deployment_frequency.failed_attempts, 1);
    assert_eq!(o.event_count(), 5);
}

#[test]
fn duplicate_commits_from_two_sources_keep_the_first_source() {
    let mut o = org(contract_events());
    // The same commit from "github" with another time: "api" < "github", so api's is used.
    let Event::Commit(mut c) = commit("acme/cc", "a2", &["a1"], at("01:30")) else {
        unreachable!()
    };
    c.source = "github".into();
    o.apply(vec![Event::Commit(c)]);
    assert_eq!(o.event_count(), 6);
    assert!(close(o.dora(&day1()).change_lead_time.median, 3600.0));
    // From "aaa" it wins: 01:45 → 02:00 = 900 s.
    let Event::Commit(mut c) = commit("acme/cc", "a2", &["a1"], at("01:45")) else {
        unreachable!()
    };
    c.source = "aaa".into();
    o.apply(vec![Event::Commit(c)]);
    assert_eq!(o.event_count(), 7);
    assert!(close(o.dora(&day1()).change_lead_time.median, 900.0));
    assert_eq!(o.events().len(), 7);
}
