//! Unit cost (docs/metrics.md, "Unit cost"): canonical events posted to `/api/v1/events` (a
//! service with its team, production deployments of which two caused incidents, one recovered
//! and one still failing; a deployment that failed outright; one to staging; pipeline runs;
//! an SLO's pushed samples) and cost rows of the service and of a CI account read from a CSV;
//! every unit cost worked by hand below, for a week that starts 20 days ago (SLO samples are
//! kept 100 days): day 0 to day 7, days written `d0` … `d7` below.

use super::support::*;
use crate::common::*;
use nagare_server::config::CostConfig;
use nagare_server::AppState;
use serde_json::json;

const CI_ACCOUNT: &str = "999900009999";

/// The service's billed cost on each day of the week (effective: × 0.75), and CI's.
const SHOP: [(i64, f64); 7] = [
    (0, 10.0),
    (1, 20.0),
    (2, 48.0),
    (3, 96.0),
    (4, 30.0),
    (5, 40.0),
    (6, 72.0),
];
const CI: [(i64, f64); 2] = [(1, 60.0), (5, 30.0)];

/// The week's first day: 20 days ago.
fn d0() -> i64 {
    nagare_server::store::now_millis().div_euclid(DAY_MS) - 20
}

/// `YYYY-MM-DD` of day `i` of the week.
fn day(i: i64) -> String {
    day_text(d0() + i)
}

/// RFC 3339 of `hh:mm` on day `i` of the week.
fn at(i: i64, hm: &str) -> String {
    format!("{}T{hm}:00Z", day(i))
}

fn week() -> String {
    window(&day(0), &day(7))
}

fn events() -> String {
    let mut lines = vec![
        json!({"kind": "team", "name": "web"}),
        json!({"kind": "service", "name": "shop", "repo": "acme/shop", "teams": ["web"]}),
        json!({"kind": "commit", "repo": "acme/shop", "sha": "c0", "parents": [],
               "authored_at": at(-2, "09:00"), "author": "aiko"}),
    ];
    for (i, when) in [
        at(0, "09:00"),
        at(2, "09:00"),
        at(4, "08:00"),
        at(6, "09:00"),
    ]
    .iter()
    .enumerate()
    {
        lines.push(
            json!({"kind": "commit", "repo": "acme/shop", "sha": format!("c{}", i + 1),
                          "parents": [format!("c{i}")], "authored_at": when, "author": "ben"}),
        );
    }
    // (id, environment, status, finished, sha).
    for (id, env, status, fin, sha) in [
        ("dA", "production", "success", at(1, "10:00"), "c1"),
        ("dB", "production", "success", at(2, "18:00"), "c2"),
        ("dS", "staging", "success", at(3, "12:00"), "c3"),
        ("dC", "production", "failure", at(4, "09:00"), "c3"),
        ("dD", "production", "success", at(5, "12:00"), "c3"),
        ("dE", "production", "success", at(6, "20:00"), "c4"),
    ] {
        lines.push(
            json!({"kind": "deployment", "id": id, "service": "shop", "environment": env,
                          "status": status, "finished_at": fin, "sha": sha}),
        );
    }
    // dB's incident, resolved at 06:00 the next day; dE's, still open.
    lines.push(json!({"kind": "incident", "id": "INC-1", "service": "shop",
                      "started_at": at(2, "19:00"), "resolved_at": at(3, "06:00"),
                      "severity": "sev2", "title": "Checkout errors"}));
    lines.push(json!({"kind": "incident", "id": "INC-2", "service": "shop",
                      "started_at": at(6, "21:00"), "severity": "sev3", "title": "Slow"}));
    // Runs: 12 and 18 minutes in the week (one failed), one the day before, one still running.
    for (id, conclusion, start, end) in [
        ("1-1", Some("success"), at(1, "10:00"), Some(at(1, "10:12"))),
        ("2-1", Some("failure"), at(5, "08:00"), Some(at(5, "08:18"))),
        (
            "3-1",
            Some("success"),
            at(-1, "08:00"),
            Some(at(-1, "09:00")),
        ),
        ("4-1", None, at(6, "23:00"), None),
    ] {
        let mut run = json!({"kind": "pipeline_run", "provider": "github", "id": id,
            "run_id": &id[..1], "attempt": 1, "repo": "acme/shop", "workflow": "ci",
            "branch": "main", "sha": "c4", "trigger": "push", "started_at": start, "jobs": []});
        match (conclusion, end) {
            (Some(c), Some(e)) => {
                run["status"] = json!("completed");
                run["conclusion"] = json!(c);
                run["finished_at"] = json!(e);
            }
            _ => run["status"] = json!("in_progress"),
        }
        lines.push(run);
    }
    lines
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn cfg() -> CostConfig {
    CostConfig {
        ci_accounts: vec![CI_ACCOUNT.into()],
        ..CostConfig::default()
    }
}

/// The week's cost rows: the service's (tagged) and CI's (its account, untagged).
fn cost_csv() -> Vec<u8> {
    let mut rows: Vec<Row> = SHOP
        .iter()
        .map(|(d, c)| {
            Row::hour(&day(*d), 12, "111100001111", "Amazon EC2", *c)
                .tag("user:team", "web")
                .tag("user:service", "shop")
        })
        .collect();
    rows.extend(
        CI.iter()
            .map(|(d, c)| Row::hour(&day(*d), 3, CI_ACCOUNT, "Amazon EC2", *c)),
    );
    focus_csv(&rows)
}

async fn post_ok(state: &AppState, uri: &str, content_type: &str, body: String) {
    let r = post(state, uri, content_type, body).await;
    assert!(r.status.is_success(), "{uri}: {} {}", r.status, r.json);
}

#[tokio::test]
async fn unit_costs_by_hand() {
    for backend in backends() {
        let (store, _url, _db) = fresh(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("week.csv");
        std::fs::write(&file, cost_csv()).unwrap();
        run(&store, &cfg(), "aws", &file).await.unwrap();
        let state = state_on(store, cfg()).await;
        post_ok(&state, "/api/v1/events", "application/x-ndjson", events()).await;
        let slo = json!({"id": "shop-up", "name": "Shop up", "service": "shop",
                         "objective": 0.99, "window": "7d", "sli": {"kind": "pushed"}});
        post_ok(&state, "/api/v1/slos", "application/json", slo.to_string()).await;
        let samples = [
            (at(1, "10:00"), 990, 1000),
            (at(4, "12:00"), 495, 500),
            (at(-2, "12:00"), 1000, 1000),
        ]
        .iter()
        .map(|(at, good, total)| {
            json!({"kind": "sli_sample", "slo": "shop-up", "bucket_start": at,
                   "good": good, "total": total})
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
        post_ok(&state, "/api/v1/events", "application/x-ndjson", samples).await;

        for (basis, k) in [("effective", 0.75), ("billed", 1.0)] {
            let uri = format!("/api/v1/costs/unit?{}&cost={basis}", week());
            let r = ok(&state, &uri).await;
            let what = format!("{backend} {uri}");
            assert_eq!(
                (r["from"].as_str(), r["to"].as_str()),
                (Some(day(0).as_str()), Some(day(7).as_str()))
            );
            let services = r["services"].as_array().unwrap();
            assert_eq!(services.len(), 1, "{what}: only shop has a service: {r}");
            let s = &services[0];
            assert_eq!(
                (s["service"].as_str(), &s["teams"]),
                (Some("shop"), &json!(["web"]))
            );
            // 10 + 20 + 48 + 96 + 30 + 40 + 72 = 316.
            let cost = 316.0 * k;
            close(num(&s["cost"]), cost, &format!("{what}: cost"));
            // dA, dB, dD, dE: staging and the failed dC are not deployments of production.
            assert_eq!(s["deployments"], 4, "{what}");
            close(
                num(&s["per_deployment"]),
                cost / 4.0,
                &format!("{what}: per deployment"),
            );
            assert_eq!(
                (s["failed_changes"].as_u64(), s["recovered"].as_u64()),
                (Some(2), Some(1))
            );
            // dB failed 18:00 on day 2 → 06:00 on day 3: 6/24 of 48 and 6/24 of 96; dE from
            // 20:00 on day 6 to the window's end: 4/24 of 72. 12 + 24 + 12 = 48.
            close(
                num(&s["failed_change_cost"]),
                (48.0 * 6.0 / 24.0 + 96.0 * 6.0 / 24.0 + 72.0 * 4.0 / 24.0) * k,
                &format!("{what}: failed changes"),
            );
            // Samples of days 1 and 4 (not of the day before the week): 990 + 495 good events.
            close(
                num(&s["good_events"]),
                1485.0,
                &format!("{what}: good events"),
            );
            close(
                num(&s["per_good_event"]),
                cost / 1485.0,
                &format!("{what}: per good event"),
            );
            // CI: 60 + 30 over the runs that finished in the week: 12 + 18 minutes, 2 runs.
            let ci = &r["ci"];
            assert_eq!(ci["configured"], true, "{what}");
            close(num(&ci["cost"]), 90.0 * k, &format!("{what}: CI cost"));
            close(num(&ci["minutes"]), 30.0, &format!("{what}: CI minutes"));
            assert_eq!(ci["runs"], 2, "{what}");
            close(
                num(&ci["per_minute"]),
                90.0 * k / 30.0,
                &format!("{what}: per minute"),
            );
            close(
                num(&ci["per_run"]),
                90.0 * k / 2.0,
                &format!("{what}: per run"),
            );
            // The same deployments, failures and recoveries as the DORA metrics count them.
            let dora = ok(
                &state,
                &format!("/api/v1/metrics/dora?{}&service=shop", week()),
            )
            .await;
            assert_eq!(
                s["deployments"], dora["deployment_frequency"]["deployments"],
                "{what}"
            );
            assert_eq!(
                s["failed_changes"], dora["change_failure_rate"]["failed"],
                "{what}"
            );
            assert_eq!(
                s["recovered"], dora["recovery_time"]["recoveries"],
                "{what}"
            );
            // The band: the lowest of the service's DORA bands over the same window.
            let rank = |b: &serde_json::Value| match b.as_str() {
                Some("elite") => 3,
                Some("high") => 2,
                Some("medium") => 1,
                Some("low") => 0,
                _ => 99,
            };
            let lowest = [
                "deployment_frequency",
                "change_lead_time",
                "change_failure_rate",
                "recovery_time",
            ]
            .iter()
            .map(|m| dora[m]["band"].clone())
            .filter(|b| !b.is_null())
            .min_by_key(rank)
            .unwrap_or(serde_json::Value::Null);
            assert_eq!(s["band"], lowest, "{what}: {dora}");
        }
        // The service filter: the same service; another service: nothing, not an error.
        let r = ok(
            &state,
            &format!("/api/v1/costs/unit?{}&service=shop", week()),
        )
        .await;
        close(num(&r["services"][0]["cost"]), 237.0, "shop alone");
        let r = ok(
            &state,
            &format!("/api/v1/costs/unit?{}&service=nothing-here", week()),
        )
        .await;
        assert_eq!(r["services"], json!([]), "{backend}");
        close(num(&r["ci"]["cost"]), 0.0, "no CI row is the service's");
    }
}
