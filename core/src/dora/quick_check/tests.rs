//! The Quick Check against dora.dev's own scoring: its `data-service.test.ts` cases, and
//! hand-picked measurements worked out with the formulas of `data-service.ts` in comments.

use super::*;

const H: f64 = 3600.0;
const D: f64 = 24.0 * H;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn inputs(week: f64, month: f64, deployments: u64, window_days: f64) -> FrequencyInputs {
    FrequencyInputs {
        median_days_per_week: week,
        median_days_per_30_days: month,
        deployments,
        window_days,
    }
}

fn peers(id: &str) -> Peers {
    id.parse().expect("a known peer group")
}

#[test]
fn the_published_tables_read_in_order() {
    let groups = peer_groups();
    let industries: Vec<&str> = groups
        .iter()
        .filter(|g| g.kind == PeerKind::Industry)
        .map(|g| g.id.as_str())
        .collect();
    let sizes: Vec<&str> = groups
        .iter()
        .filter(|g| g.kind == PeerKind::Size)
        .map(|g| g.id.as_str())
        .collect();
    // All industries and 13 industries; all organisations and 8 sizes, as published.
    assert_eq!(industries.len(), 14);
    assert_eq!(sizes.len(), 9);
    assert_eq!(industries[0], "industry:all");
    assert_eq!(industries[4], "industry:technology");
    assert_eq!(sizes[0], "size:all");
    assert_eq!(sizes[8], "size:more_than_9999");
    assert_eq!(
        peer_group("size:fewer_than_5000").map(|g| g.name.as_str()),
        Some("1,000 to 4,999 employees")
    );
}

/// data-service.test.ts, "should load 2025 industry metrics and transform them correctly":
/// change fail rate 1.9 → 8.1, rework 2.2 → 7.8, instability 2.1 → stability 7.9, and the
/// overall mean (5.5 + 4.8 + 7.4 + 8.1 + 7.8) / 5 = 6.72.
#[test]
fn all_industries_read_as_dora_dev_reads_them() {
    let g = peer_group("industry:all").expect("all industries");
    assert_eq!(g.name, "All industries");
    assert!(close(g.change_failure_rate.mean, 8.1));
    assert!(close(g.rework_rate.mean, 7.8));
    assert!(close(g.stability.mean, 7.9));
    assert!(close(g.stability.sd, 2.0));
    assert!(close(g.overall.mean, 6.72));
    assert!(close(g.overall.sd, 1.2));
    assert!(close(g.lead_time.mean, 5.5) && close(g.lead_time.sd, 2.4));
    assert!(close(g.deployment_frequency.mean, 4.8) && close(g.deployment_frequency.sd, 2.8));
    assert!(close(g.recovery_time.mean, 7.4));
    assert!(close(g.throughput.mean, 6.0));
    // Technology: 5.7, 4.9, 7.4, 10 − 1.9, 10 − 2.3 → (5.7 + 4.9 + 7.4 + 8.1 + 7.7) / 5 = 6.76.
    let t = peer_group("industry:technology").expect("technology");
    assert!(close(t.overall.mean, 6.76));
    assert!(close(t.rework_rate.mean, 7.7));
}

/// The two "all" rows are the same respondents: once the size file's recovery is read on the
/// scale the rest uses (10 − 2.6 = 7.4), they agree on every number.
#[test]
fn all_organisations_equal_all_industries_once_recovery_is_turned() {
    let (i, s) = (
        peer_group("industry:all").expect("all industries"),
        peer_group("size:all").expect("all organisations"),
    );
    assert_eq!(s.name, "All organizations");
    let spreads = |g: &PeerGroup| {
        [
            g.overall,
            g.throughput,
            g.stability,
            g.lead_time,
            g.deployment_frequency,
            g.recovery_time,
            g.change_failure_rate,
            g.rework_rate,
        ]
    };
    for (a, b) in spreads(i).iter().zip(spreads(s).iter()) {
        assert!(close(a.mean, b.mean) && close(a.sd, b.sd), "{a:?} vs {b:?}");
    }
    // 1,000 to 4,999: recovery 10 − 2.6 = 7.4; overall (5.3 + 4.7 + 7.4 + 8.1 + 7.9) / 5 = 6.68.
    let g = peer_group("size:fewer_than_5000").expect("1,000 to 4,999");
    assert!(close(g.recovery_time.mean, 7.4));
    assert!(close(g.overall.mean, 6.68));
}

/// data-service.test.ts: categorical 1 → 0 and 6 → 10; percentage 0 → 10, 100 → 0, 50 → 5.
#[test]
fn scores_as_dora_dev_scores_answers() {
    assert_eq!(answer_score(1), 0.0);
    assert_eq!(answer_score(6), 10.0);
    assert!(close(answer_score(4), 6.0));
    assert!(close(answer_score(2), 2.0));
    assert_eq!(percent_score(0.0), 10.0);
    assert_eq!(percent_score(100.0), 0.0);
    assert_eq!(percent_score(50.0), 5.0);
    assert!(close(percent_score(12.5), 8.75));
    // Clamped like recode_numeric_range.
    assert_eq!(percent_score(130.0), 0.0);
    assert_eq!(percent_score(-5.0), 10.0);
}

#[test]
fn durations_fall_in_the_quick_check_answers() {
    let eps = 1e-6;
    for (seconds, answer) in [
        (0.0, 6),
        (H - eps, 6),
        (H, 5),
        (D - eps, 5),
        (D, 4),
        (7.0 * D - eps, 4),
        (7.0 * D, 3),
        (30.0 * D - eps, 3),
        (30.0 * D, 2),
        (182.0 * D - eps, 2),
        (182.0 * D, 1),
    ] {
        assert_eq!(duration_answer(seconds), answer, "{seconds} s");
    }
}

#[test]
fn deployment_frequency_falls_in_the_quick_check_answers() {
    // 5 deployment days a week, 44 deployments on 22 days: two a day → on demand.
    assert_eq!(frequency_answer(&inputs(5.0, 20.0, 44, 30.0), 22), 6);
    // One fewer: 43 < 2 × 22 → once an hour to once a day.
    assert_eq!(frequency_answer(&inputs(5.0, 20.0, 43, 30.0), 22), 5);
    assert_eq!(frequency_answer(&inputs(4.5, 18.0, 60, 30.0), 18), 4);
    assert_eq!(frequency_answer(&inputs(1.0, 4.0, 4, 30.0), 4), 4);
    assert_eq!(frequency_answer(&inputs(0.5, 1.0, 1, 30.0), 1), 3);
    // 2 deployments in 364 days: 2 / (364 / 182) = 1 per half year → 2.
    assert_eq!(frequency_answer(&inputs(0.0, 0.0, 2, 364.0), 2), 2);
    // 1 in 365 days: 1 / (365 / 182) ≈ 0.499 → 1; none → 1.
    assert_eq!(frequency_answer(&inputs(0.0, 0.0, 1, 365.0), 1), 1);
    assert_eq!(frequency_answer(&inputs(0.0, 0.0, 0, 30.0), 0), 1);
}

/// data-service.test.ts, "should calculateAll correctly": every best answer scores 10, for
/// each metric, both groups and overall.
#[test]
fn the_best_measurements_score_ten() {
    let m = Measured {
        frequency: inputs(7.0, 30.0, 300, 30.0),
        deployment_days: 30,
        lead_time: Some(600.0),
        recovery_time: Some(1200.0),
        change_failure_rate: Some(0.0),
        rework_rate: Some(0.0),
    };
    let q = quick_check(&m, &Peers::default()).expect("tables");
    for s in [
        &q.overall,
        &q.throughput,
        &q.stability,
        &q.deployment_frequency,
        &q.change_lead_time,
        &q.recovery_time,
        &q.change_failure_rate,
        &q.rework_rate,
    ] {
        assert_eq!(s.score, Some(10.0), "{s:?}");
    }
}

/// A team measured against technology companies:
/// - deployment frequency: 5 days a week, 60 deployments on 22 days ≥ 2 × 22 → answer 6 →
///   (6 − 1) / 5 × 10 = 10;
/// - lead time 3 days → answer 4 "One day to one week" → 6;
/// - recovery 2 hours → answer 5 "Less than one day" → 8;
/// - change fail rate 12.5% → 10 − 1.25 = 8.75; rework 5% → 9.5.
///
/// Throughput (10 + 6 + 8) / 3 = 8; stability (8.75 + 9.5) / 2 = 9.125; overall
/// (10 + 6 + 8 + 8.75 + 9.5) / 5 = 8.45.
#[test]
fn a_measured_team_scored_by_hand() {
    let m = Measured {
        frequency: inputs(5.0, 20.0, 60, 30.0),
        deployment_days: 22,
        lead_time: Some(3.0 * D),
        recovery_time: Some(2.0 * H),
        change_failure_rate: Some(0.125),
        rework_rate: Some(0.05),
    };
    let q = quick_check(&m, &peers("industry:technology")).expect("tables");
    assert_eq!(q.edition, "2025");
    assert_eq!(
        (q.peers.as_str(), q.peer_name.as_str()),
        ("industry:technology", "Technology")
    );
    assert_eq!(q.deployment_frequency.answer, Some(6));
    assert_eq!(
        q.deployment_frequency.answer_text.as_deref(),
        Some("On demand (multiple deploys per day)")
    );
    assert_eq!(q.deployment_frequency.score, Some(10.0));
    assert_eq!(q.change_lead_time.answer, Some(4));
    assert_eq!(
        q.change_lead_time.answer_text.as_deref(),
        Some("One day to one week")
    );
    assert!(close(q.change_lead_time.score.unwrap_or(-1.0), 6.0));
    assert_eq!(q.recovery_time.answer, Some(5));
    assert_eq!(
        q.recovery_time.answer_text.as_deref(),
        Some("Less than one day")
    );
    assert!(close(q.recovery_time.score.unwrap_or(-1.0), 8.0));
    assert!(close(q.change_failure_rate.score.unwrap_or(-1.0), 8.75));
    assert_eq!(q.change_failure_rate.answer, None);
    assert!(close(q.rework_rate.score.unwrap_or(-1.0), 9.5));
    assert!(close(q.throughput.score.unwrap_or(-1.0), 8.0));
    assert!(close(q.stability.score.unwrap_or(-1.0), 9.125));
    assert!(close(q.overall.score.unwrap_or(-1.0), 8.45));
    // Against technology's spreads: lead time 5.7 ± 2.4, rework 10 − 2.3 = 7.7 ± 2.2,
    // stability 10 − 2.1 = 7.9 ± 2.0, overall 6.76 ± 1.2.
    assert!(close(q.change_lead_time.peer_mean, 5.7) && close(q.change_lead_time.peer_sd, 2.4));
    assert!(close(q.rework_rate.peer_mean, 7.7) && close(q.rework_rate.peer_sd, 2.2));
    assert!(close(q.stability.peer_mean, 7.9) && close(q.stability.peer_sd, 2.0));
    assert!(close(q.overall.peer_mean, 6.76) && close(q.overall.peer_sd, 1.2));
}

/// A metric with no value has no score and is left out of the means, as dora.dev's
/// `calculatePerformanceAverage` leaves out an unanswered (−1) metric:
/// - 3 deployments in 90 days, one deployment day in each 30-day block → answer 3 → 4;
/// - lead time 45 days → answer 2 → 2; no recovery; change fail rate 0% → 10; no rework.
///
/// Throughput (4 + 2) / 2 = 3; stability 10; overall (4 + 2 + 10) / 3 = 16 / 3.
#[test]
fn metrics_without_a_value_are_left_out_of_the_means() {
    let m = Measured {
        frequency: inputs(0.0, 1.0, 3, 90.0),
        deployment_days: 3,
        lead_time: Some(45.0 * D),
        recovery_time: None,
        change_failure_rate: Some(0.0),
        rework_rate: None,
    };
    let q = quick_check(&m, &peers("size:fewer_than_5000")).expect("tables");
    assert_eq!(q.deployment_frequency.answer, Some(3));
    assert!(close(q.deployment_frequency.score.unwrap_or(-1.0), 4.0));
    assert!(close(q.change_lead_time.score.unwrap_or(-1.0), 2.0));
    assert_eq!(
        (q.recovery_time.score, q.recovery_time.answer),
        (None, None)
    );
    assert_eq!(q.rework_rate.score, None);
    assert!(close(q.throughput.score.unwrap_or(-1.0), 3.0));
    assert_eq!(q.stability.score, Some(10.0));
    assert!(close(q.overall.score.unwrap_or(-1.0), 16.0 / 3.0));
    // The peers' spreads are there even without a score.
    assert!(close(q.recovery_time.peer_mean, 7.4));
    assert_eq!(q.peer_name, "1,000 to 4,999 employees");
}

#[test]
fn peer_groups_are_named_exactly() {
    assert_eq!(Peers::default().as_str(), "industry:all");
    assert_eq!(peers("size:solo").to_string(), "size:solo");
    for bad in [
        "technology",
        "industry:",
        "industry:Technology",
        "size:10_to_19",
    ] {
        let e = bad.parse::<Peers>().unwrap_err();
        assert!(e.contains(&format!("`{bad}`")), "{e}");
        assert!(
            e.contains("industry:technology") && e.contains("size:more_than_9999"),
            "{e}"
        );
    }
    // Control characters are escaped in the message.
    let e = "industry:\u{7}x".parse::<Peers>().unwrap_err();
    assert!(e.contains("\\u{7}") && !e.contains('\u{7}'), "{e}");
}
