#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failure should panic
//! Server integration tests: the store suite on SQLite and PostgreSQL, the HTTP API through
//! `app(state).oneshot(..)`, bad input, import, and the CLI. One binary, as style.md asks.

mod auth;
mod backfill;
mod common;
mod git;
mod hooks;
mod probe;
mod schema;
mod slo;
mod snapshot;
mod triggers;

use common::*;
use nagare_core::events::parse_batch;
use nagare_server::store::RawDelivery;
use serde_json::{json, Value};

const SCENARIO: &str = include_str!("fixtures/scenario.ndjson");
const WEEK: &str = "from=2024-03-04T00:00:00Z&to=2024-03-11T00:00:00Z";

fn raw(source: &str) -> RawDelivery {
    raw_delivery(source)
}

fn approx(v: &Value, expected: f64) {
    let got = v
        .as_f64()
        .unwrap_or_else(|| panic!("expected a number near {expected}, got {v}"));
    assert!(
        (got - expected).abs() < 1e-6,
        "expected {expected}, got {got}"
    );
}

// ---------------------------------------------------------------- store suite (both backends)

#[tokio::test]
async fn store_upserts_by_key_and_counts_new_and_updated() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let events = parse_batch(SCENARIO, true).unwrap();
        let n = events.len() as u64;
        let (counts, rev1) = store.ingest(events.clone(), &raw("test")).await.unwrap();
        assert_eq!((counts.accepted, counts.updated), (n, 0), "{backend}");
        // The same events again: all updates, nothing duplicated.
        let (counts, rev2) = store.ingest(events, &raw("test")).await.unwrap();
        assert_eq!((counts.accepted, counts.updated), (0, n), "{backend}");
        assert_eq!(rev2, rev1 + 1, "{backend}: one revision per batch");
        assert_eq!(store.event_count().await.unwrap(), n as i64, "{backend}");
        // A duplicate key inside one batch: the later one wins and counts as an update.
        let dup = r#"{"kind":"team","name":"web","display_name":"Web v1"}
{"kind":"team","name":"web","display_name":"Web v2"}"#;
        let (counts, rev3) = store
            .ingest(parse_batch(dup, true).unwrap(), &raw("test"))
            .await
            .unwrap();
        assert_eq!((counts.accepted, counts.updated), (1, 1), "{backend}");
        let latest = store.events_between(rev2, rev3).await.unwrap();
        assert_eq!(latest.len(), 1, "{backend}");
        assert!(
            serde_json::to_string(&latest[0])
                .unwrap()
                .contains("Web v2"),
            "{backend}"
        );
        assert_eq!(
            store.recent_deliveries(10).await.unwrap().len(),
            3,
            "{backend}: every batch kept raw"
        );
    }
}

#[tokio::test]
async fn store_batches_are_atomic() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let mut batch = store.begin().await.unwrap();
        batch
            .add(parse_batch(SCENARIO, true).unwrap())
            .await
            .unwrap();
        batch.rollback().await.unwrap();
        assert_eq!(
            store.event_count().await.unwrap(),
            0,
            "{backend}: rolled back batch left rows"
        );
        assert_eq!(store.current_rev().await.unwrap(), 0, "{backend}");
        {
            // Dropped without commit: the same.
            let mut batch = store.begin().await.unwrap();
            batch
                .add(parse_batch(SCENARIO, true).unwrap())
                .await
                .unwrap();
        }
        assert_eq!(
            store.event_count().await.unwrap(),
            0,
            "{backend}: dropped batch left rows"
        );
    }
}

#[tokio::test]
async fn import_is_atomic_and_names_the_bad_line() {
    for backend in backends() {
        let (store, dir) = fresh_store(backend).await;
        let tmp = dir.unwrap_or_else(|| tempfile::tempdir().unwrap());
        let bad = tmp.path().join("bad.ndjson");
        let mut lines: Vec<&str> = SCENARIO.lines().collect();
        lines.insert(5, r#"{"kind":"deployment","id":"x","service":"shop","environment":"production","status":"success","finished_at":"2024-03-05T12:00:00","sha":"c3"}"#);
        std::fs::write(&bad, lines.join("\n")).unwrap();
        let err = nagare_server::import::import_file(&store, &bad, false)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.ndjson:6:"), "{backend}: {err}");
        assert!(
            err.contains("finished_at") && err.contains("no zone"),
            "{backend}: {err}"
        );
        assert!(err.contains("Nothing was imported"), "{backend}: {err}");
        assert_eq!(store.event_count().await.unwrap(), 0, "{backend}");

        let good = tmp.path().join("good.ndjson");
        std::fs::write(&good, SCENARIO).unwrap();
        let s = nagare_server::import::import_file(&store, &good, false)
            .await
            .unwrap();
        let n = SCENARIO.lines().count();
        assert_eq!(
            (s.lines, s.accepted, s.updated),
            (n, n as u64, 0),
            "{backend}"
        );
        let s = nagare_server::import::import_file(&store, &good, false)
            .await
            .unwrap();
        assert_eq!(
            (s.accepted, s.updated),
            (0, n as u64),
            "{backend}: import twice = once"
        );
    }
}

// ---------------------------------------------------------------- DORA through the API

/// The scenario of fixtures/scenario.ndjson, worked by hand for the week [2024-03-04, 03-11):
/// - d0 (c0, 03-01 12:00) is the baseline, outside the window.
/// - d1 (c2, 03-04 12:00) first deploys c1 (authored 08:00 → 4 h = 14400 s) and c2 (09:00 → 3 h = 10800 s).
/// - d2x is a failed attempt (status failure): deploy job failure, not a change failure.
/// - d2 (c3, 03-05 12:00) deploys c3 (10:00 → 2 h = 7200 s); the next deployment d3 is a
///   rollback, so d2 failed; recovered when d3 finished: 13:00 − 12:00 = 3600 s.
/// - d3 (rollback to c2, 03-05 13:00) deploys nothing new; it is unplanned (rework).
/// - d4 (c4, 03-06 14:00) deploys c4 (12:00 → 7200 s). INC-1 starts 15:00, within 7 days,
///   so it is d4's: d4 failed; resolved 17:00 → recovery 17:00 − 14:00 = 10800 s.
/// - INC-2 is excluded (not attributed, else it would fall on d2); INC-3 is outside the window.
///
/// Deployments in window: d1, d2, d3, d4 = 4 on 3 distinct days; per_day = 4/7; per_week = 4.
/// Lead times [7200, 7200, 10800, 14400]: median (7200+10800)/2 = 9000; p75 at h = 3·0.75 =
/// 2.25 → 10800 + 0.25·3600 = 11700; p90 at h = 2.7 → 10800 + 0.7·3600 = 13320; mean 39600/4 = 9900.
/// CFR 2/4 = 0.5 (low). Recovery [3600, 10800]: median 7200, p90 3600 + 0.9·7200 = 10080, mean 7200.
/// Rework 1/4 = 0.25. Failed attempts 1 → job failure rate 1/(1+4) = 0.2.
#[tokio::test]
async fn hand_computed_scenario() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let state = app_state(store).await;
        let r = post(&state, "/api/v1/events", "application/x-ndjson", SCENARIO).await;
        assert_eq!(r.status, 200, "{backend}: {}", r.json);
        assert_eq!(r.json["accepted"], SCENARIO.lines().count());

        let r = get(&state, &format!("/api/v1/metrics/dora?{WEEK}")).await;
        assert_eq!(r.status, 200, "{backend}: {}", r.json);
        let d = &r.json;
        let f = &d["deployment_frequency"];
        assert_eq!(f["deployments"], 4);
        assert_eq!(f["deployment_days"], 3);
        approx(&f["per_day"], 4.0 / 7.0);
        approx(&f["per_week"], 4.0);
        approx(&f["median_deployment_days_per_week"], 3.0);
        assert_eq!(f["band"], "high");
        assert_eq!(f["failed_attempts"], 1);
        approx(&f["deploy_job_failure_rate"], 0.2);
        let l = &d["change_lead_time"];
        assert_eq!(
            (l["basis"].as_str(), l["changes"].as_u64()),
            (Some("commit"), Some(4))
        );
        approx(&l["median"], 9000.0);
        approx(&l["p75"], 11700.0);
        approx(&l["p90"], 13320.0);
        approx(&l["mean"], 9900.0);
        assert_eq!(l["band"], "elite");
        let c = &d["change_failure_rate"];
        assert_eq!(
            (c["deployments"].as_u64(), c["failed"].as_u64()),
            (Some(4), Some(2))
        );
        approx(&c["rate"], 0.5);
        assert_eq!(c["band"], "low");
        let rec = &d["recovery_time"];
        assert_eq!(rec["recoveries"], 2);
        approx(&rec["median"], 7200.0);
        approx(&rec["p90"], 10080.0);
        approx(&rec["mean"], 7200.0);
        assert_eq!(rec["band"], "high");
        let w = &d["rework_rate"];
        assert_eq!(
            (w["deployments"].as_u64(), w["unplanned"].as_u64()),
            (Some(4), Some(1))
        );
        approx(&w["rate"], 0.25);
        assert!(
            d.get("quick_check").is_none(),
            "no Quick Check with dora-2024"
        );

        // DORA 2025 on the same week against technology companies: no band anywhere, and
        // dora.dev's scores of the same numbers. Deployment days 3 a week → answer 4 →
        // (4 − 1) / 5 × 10 = 6; lead time 9000 s < 1 day → answer 5 → 8; recovery 7200 s → 8;
        // change fail rate 50% → 10 − 5 = 5; rework 25% → 7.5. Throughput (8 + 6 + 8) / 3,
        // stability (5 + 7.5) / 2 = 6.25, overall (8 + 6 + 8 + 5 + 7.5) / 5 = 6.9.
        let r = get(
            &state,
            &format!("/api/v1/metrics/dora?{WEEK}&benchmark=dora-2025&peers=industry:technology"),
        )
        .await;
        assert_eq!(r.status, 200, "{backend}: {}", r.json);
        let d = &r.json;
        assert_eq!(d["benchmark"], "dora-2025");
        for m in [
            "deployment_frequency",
            "change_lead_time",
            "change_failure_rate",
            "recovery_time",
        ] {
            assert_eq!(d[m]["band"], Value::Null, "{m}");
        }
        let q = &d["quick_check"];
        assert_eq!(
            (q["edition"].as_str(), q["peers"].as_str()),
            (Some("2025"), Some("industry:technology"))
        );
        assert_eq!(q["peer_name"], "Technology");
        assert_eq!(q["deployment_frequency"]["answer"], 4);
        assert_eq!(q["change_lead_time"]["answer_text"], "Less than one day");
        approx(&q["deployment_frequency"]["score"], 6.0);
        approx(&q["change_lead_time"]["score"], 8.0);
        approx(&q["recovery_time"]["score"], 8.0);
        approx(&q["change_failure_rate"]["score"], 5.0);
        approx(&q["rework_rate"]["score"], 7.5);
        approx(&q["throughput"]["score"], 22.0 / 3.0);
        approx(&q["stability"]["score"], 6.25);
        approx(&q["overall"]["score"], 6.9);
        // Technology's lead time: 5.7 ± 2.4 as published; its rework 10 − 2.3.
        approx(&q["change_lead_time"]["peer_mean"], 5.7);
        approx(&q["change_lead_time"]["peer_sd"], 2.4);
        approx(&q["rework_rate"]["peer_mean"], 7.7);

        // The deployments list agrees, row by row.
        let r = get(
            &state,
            "/api/v1/deployments?environment_tier=production&per_page=10",
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["total"], 6);
        let rows = r.json["items"].as_array().unwrap();
        let row = |id: &str| {
            rows.iter()
                .find(|x| x["id"] == id)
                .unwrap_or_else(|| panic!("no {id}"))
                .clone()
        };
        assert_eq!(row("d0")["baseline"], true);
        assert_eq!(row("d1")["changes"], 2);
        approx(&row("d1")["lead_time"], 12600.0); // median of 14400 and 10800
        assert_eq!(row("d2")["failed"], true);
        approx(&row("d2")["recovery_time"], 3600.0);
        assert_eq!(row("d4")["incidents"], json!(["INC-1"]));
        assert_eq!(row("d3")["unplanned"], true);
        assert_eq!(
            row("d1")["sha_url"],
            "https://github.com/acme/shop/commit/c2"
        );
        let detail = get(&state, "/api/v1/deployments/d1").await;
        let shas: Vec<&str> = detail.json["change_list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["sha"].as_str().unwrap())
            .collect();
        assert_eq!(shas.len(), 2);
        assert!(shas.contains(&"c1") && shas.contains(&"c2"), "{shas:?}");
        assert_eq!(get(&state, "/api/v1/deployments/nope").await.status, 404);

        let r = get(&state, "/api/v1/incidents").await;
        let inc = r.json["items"].as_array().unwrap();
        let by = |id: &str| inc.iter().find(|x| x["id"] == id).unwrap().clone();
        assert_eq!(
            (
                by("INC-1")["attribution"].as_str(),
                by("INC-1")["deployment"].as_str()
            ),
            (Some("window"), Some("d4"))
        );
        approx(&by("INC-1")["recovery_time"], 10800.0);
        assert_eq!(by("INC-2")["attribution"], "excluded");
        assert_eq!(by("INC-3")["attribution"], "none");
        assert_eq!(by("INC-3")["open"], true);

        // Filters: another team sees nothing; the day series has 7 buckets summing to the total.
        let r = get(&state, &format!("/api/v1/metrics/dora?{WEEK}&team=nobody")).await;
        assert_eq!(r.json["deployment_frequency"]["deployments"], 0);
        assert_eq!(r.json["change_lead_time"]["median"], Value::Null);
        let r = get(
            &state,
            &format!("/api/v1/metrics/dora?{WEEK}&team=web&interval=day"),
        )
        .await;
        let series = r.json["series"].as_array().unwrap();
        assert_eq!(series.len(), 7);
        let per_bucket: Vec<u64> = series
            .iter()
            .map(|b| b["deployment_frequency"]["deployments"].as_u64().unwrap())
            .collect();
        assert_eq!(per_bucket, vec![1, 2, 1, 0, 0, 0, 0]);

        let services = get(&state, "/api/v1/services").await.json;
        assert_eq!(services[0]["name"], "shop");
        let teams = get(&state, "/api/v1/teams").await.json;
        assert_eq!(teams[0]["name"], "web");
        assert_eq!(teams[0]["services"], json!(["shop"]));
    }
}

/// The answer does not depend on how the events were split into batches or ordered.
#[tokio::test]
async fn batching_and_order_do_not_change_the_answer() {
    let (store, _dir) = fresh_store("sqlite").await;
    let state = app_state(store).await;
    let mut lines: Vec<&str> = SCENARIO.lines().collect();
    lines.reverse();
    for chunk in lines.chunks(4) {
        let r = post(
            &state,
            "/api/v1/events",
            "application/x-ndjson",
            chunk.join("\n"),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.json);
    }
    let (store2, _dir2) = fresh_store("sqlite").await;
    let state2 = app_state(store2).await;
    post(&state2, "/api/v1/events", "application/x-ndjson", SCENARIO).await;
    let q = format!("/api/v1/metrics/dora?{WEEK}&interval=day");
    assert_eq!(get(&state, &q).await.json, get(&state2, &q).await.json);
}

/// A second server on the same database (a replica) catches up on a read.
#[tokio::test]
async fn replicas_catch_up_from_the_store() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let a = app_state(store.clone()).await;
        let b = app_state(store).await;
        post(&a, "/api/v1/events", "application/x-ndjson", SCENARIO).await;
        let r = get(&b, &format!("/api/v1/metrics/dora?{WEEK}")).await;
        assert_eq!(
            r.json["deployment_frequency"]["deployments"], 4,
            "{backend}"
        );
    }
}

// ---------------------------------------------------------------- bad input

async fn assert_rejected(
    state: &nagare_server::AppState,
    ctype: &str,
    body: String,
    status: u16,
    line: Option<usize>,
    field: Option<&str>,
    text: &str,
) {
    let before = state.store.event_count().await.unwrap();
    let r = post(state, "/api/v1/events", ctype, body).await;
    assert_eq!(r.status.as_u16(), status, "{}", r.json);
    let error = r.json["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error sentence: {}", r.json));
    assert!(error.contains(text), "`{error}` lacks `{text}`");
    if let Some(line) = line {
        assert_eq!(r.json["line"], line, "{}", r.json);
    }
    if let Some(field) = field {
        assert_eq!(r.json["field"], field, "{}", r.json);
    }
    assert_eq!(
        state.store.event_count().await.unwrap(),
        before,
        "a rejected batch stored events"
    );
    let kept = state.store.recent_deliveries(1).await.unwrap();
    if status != 413 {
        assert_eq!(
            kept[0].verdict, "rejected",
            "the raw delivery is kept with its verdict"
        );
    }
}

#[tokio::test]
async fn bad_input_is_rejected_precisely_and_nothing_is_stored() {
    let (store, _dir) = fresh_store("sqlite").await;
    let state = app_state(store).await;
    let lines: Vec<String> = SCENARIO.lines().map(str::to_owned).collect();
    let deploy = lines[7].clone(); // d1
    let json = "application/json";
    let nd = "application/x-ndjson";

    assert_rejected(
        &state,
        json,
        format!("[{},{}", lines[0], lines[1]),
        400,
        None,
        None,
        "malformed JSON",
    )
    .await;
    let zoneless = deploy.replace("2024-03-04T12:00:00Z", "2024-03-04T12:00:00");
    assert_rejected(
        &state,
        json,
        format!("[{},{zoneless}]", lines[0]),
        422,
        Some(2),
        Some("finished_at"),
        "has no zone",
    )
    .await;
    assert_rejected(
        &state,
        json,
        r#"[{"kind":"nonsense","id":"x"}]"#.into(),
        422,
        Some(1),
        Some("kind"),
        "unknown kind `nonsense`",
    )
    .await;
    let missing = deploy.replace(r#""sha":"c2""#, r#""x":1"#);
    assert_rejected(
        &state,
        nd,
        missing,
        422,
        Some(1),
        Some("sha"),
        "missing field `sha`",
    )
    .await;
    let not_string = deploy.replace(r#""sha":"c2""#, r#""sha":42"#);
    assert_rejected(
        &state,
        nd,
        not_string,
        422,
        Some(1),
        Some("sha"),
        "expected a string",
    )
    .await;
    let middle = format!(
        "{}\n{}\n{{\"kind\":\"commit\",\n{}",
        lines[0], lines[1], lines[2]
    );
    assert_rejected(&state, nd, middle, 400, Some(3), None, "malformed JSON").await;
    let big = format!("[{}]", " ".repeat(50 * 1024 * 1024));
    assert_rejected(&state, json, big, 413, None, None, "larger than 10 MB").await;
    assert_rejected(&state, json, "[]".into(), 400, None, None, "no events").await;

    // Bad query parameters name the parameter.
    let r = get(&state, "/api/v1/metrics/dora?from=2024-03-04T00:00:00").await;
    assert_eq!(
        (r.status.as_u16(), r.json["field"].as_str()),
        (400, Some("from")),
        "{}",
        r.json
    );
    let r = get(&state, "/api/v1/metrics/dora?interval=fortnight").await;
    assert_eq!(r.json["field"], "interval");
    let r = get(
        &state,
        "/api/v1/metrics/dora?benchmark=dora-2025&peers=size:10_to_19",
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.json["field"].as_str()),
        (400, Some("peers")),
        "{}",
        r.json
    );
    assert!(r.json["error"]
        .as_str()
        .unwrap_or_default()
        .contains("size:fewer_than_100"));
    let r = get(&state, "/api/v1/metrics/dora?servce=shop").await;
    assert!(r.json["error"]
        .as_str()
        .unwrap()
        .contains("unknown query parameter `servce`"));
    let r = get(&state, "/api/v1/nothing-here").await;
    assert_eq!(r.status, 404);
    assert!(r.json["error"].as_str().unwrap().contains("openapi.json"));
}

// ---------------------------------------------------------------- probes, headers, OpenAPI

#[tokio::test]
async fn probes_headers_and_request_ids() {
    let (store, _dir) = fresh_store("sqlite").await;
    let state = app_state(store).await;
    let r = get(&state, "/healthz").await;
    assert_eq!(r.status, 200);
    let r = get(&state, "/readyz").await;
    assert_eq!(
        (r.status.as_u16(), r.json["database"].as_str()),
        (200, Some("sqlite"))
    );
    assert!(r.headers.contains_key("x-request-id"));
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert!(r.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    let s = get(&state, "/api/v1/session").await;
    assert_eq!(s.json["local_mode"], true);
}

/// Commit authors and messages are not held in memory: the detail page reads them from the store, from
/// the event the model holds (of two sources, the one that sorts first), on both backends.
#[tokio::test]
async fn change_authors_and_messages_come_from_the_held_commit_event_in_the_store() {
    let events = [
        r#"{"kind":"service","name":"shop","repo":"acme/shop"}"#,
        r#"{"kind":"commit","source":"b-mirror","repo":"acme/shop","sha":"m1","parents":[],"author":"mirror-bot","authored_at":"2024-03-01T09:00:00Z","message":"from the mirror"}"#,
        r#"{"kind":"commit","source":"a-git","repo":"acme/shop","sha":"m1","parents":[],"author":"aiko","authored_at":"2024-03-01T09:00:00Z","message":"Fix the cart total"}"#,
        r#"{"kind":"commit","repo":"acme/shop","sha":"m2","parents":["m1"],"authored_at":"2024-03-02T09:00:00Z"}"#,
        r#"{"kind":"commit","repo":"acme/shop","sha":"m3","parents":["m2"],"authored_at":"2024-03-03T09:00:00Z","message":"Say \"thanks\" in Japanese: ありがとう"}"#,
        r#"{"kind":"deployment","id":"d0","service":"shop","environment":"production","status":"success","finished_at":"2024-03-01T12:00:00Z","sha":"m1"}"#,
        r#"{"kind":"deployment","id":"d1","service":"shop","environment":"production","status":"success","finished_at":"2024-03-04T12:00:00Z","sha":"m3"}"#,
    ]
    .join("\n");
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let state = app_state(store).await;
        let r = post(
            &state,
            "/api/v1/events",
            "application/x-ndjson",
            events.clone(),
        )
        .await;
        assert_eq!(r.status, 200, "{backend}: {}", r.json);
        let r = get(&state, "/api/v1/deployments/d1").await;
        assert_eq!(r.status, 200, "{backend}: {}", r.json);
        let changes: Vec<(&str, &Value)> = r.json["change_list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["sha"].as_str().unwrap(), &c["message"]))
            .collect();
        assert_eq!(
            changes,
            [
                ("m3", &json!("Say \"thanks\" in Japanese: ありがとう")),
                ("m2", &Value::Null)
            ],
            "{backend}"
        );
        let r = get(&state, "/api/v1/deployments/d0").await;
        let m1 = &r.json["change_list"][0];
        assert_eq!(
            (&m1["message"], &m1["author"]),
            (&json!("Fix the cart total"), &json!("aiko")),
            "{backend}: the held event is a-git's"
        );
    }
}

/// Every route the server defines is described in the OpenAPI document, and every described
/// path answers (not with the API's 404).
#[tokio::test]
async fn openapi_documents_every_route() {
    let doc: Value = serde_json::from_str(nagare_server::http::openapi_json()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let routes: Vec<String> = auth::declared_routes()
        .into_iter()
        .map(|(_, path)| path)
        .filter(|p| p != "/api/{*rest}")
        .collect();
    assert!(routes.len() >= 15, "{routes:?}");
    for r in &routes {
        assert!(
            paths.contains_key(r),
            "route {r} is not in the OpenAPI document"
        );
    }
    let (store, _dir) = fresh_store("sqlite").await;
    let state = app_state(store).await;
    for (path, ops) in paths {
        if ops.get("get").is_some() {
            let uri = path.replace("{id}", "unknown-id");
            let r = get(&state, &uri).await;
            let api_404 = r.status == 404
                && r.json["error"]
                    .as_str()
                    .unwrap_or("")
                    .contains("no such endpoint");
            assert!(!api_404, "{path} is documented but not served");
        }
    }
}

// ---------------------------------------------------------------- CLI

/// The `nagare` binary with none of this test run's own `NAGARE_*` variables (the server
/// rejects unknown ones, which is what `cli_names_an_unknown_environment_override` checks).
fn nagare() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_nagare"));
    for (key, _) in std::env::vars() {
        if key.starts_with("NAGARE_") || key == "DATABASE_URL" {
            cmd.env_remove(key);
        }
    }
    cmd
}

#[test]
fn cli_names_an_unknown_environment_override() {
    let out = nagare()
        .arg("migrate")
        .env("DATABASE_URL", "sqlite::memory:")
        .env("NAGARE_TIMEZONE", "UTC")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("NAGARE_TIMEZONE") && err.contains("NAGARE_TIME_ZONE"),
        "{err}"
    );
}

#[test]
fn cli_checks_slo_files_naming_each_problem() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/slo");
    let out = nagare()
        .args(["check-slos", fixtures])
        .env("DATABASE_URL", "sqlite::memory:")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // The three good files' SLOs, and the OpenSLO threshold SLI named with its YAML path.
    assert_eq!(
        text.lines().filter(|l| l.starts_with("ok ")).count(),
        3,
        "{text}"
    );
    assert!(
        text.contains("bad  openslo-occurences-slo.yaml: spec.indicator.spec.thresholdMetric:"),
        "{text}"
    );
    let good = tempfile::tempdir().unwrap();
    std::fs::copy(
        format!("{fixtures}/sloth-getting-started.yml"),
        good.path().join("sloth.yml"),
    )
    .unwrap();
    let out = nagare()
        .args(["check-slos", good.path().to_str().unwrap()])
        .env("DATABASE_URL", "sqlite::memory:")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("ok   myservice-requests-availability"),
        "{text}"
    );
}

#[test]
fn cli_refuses_non_loopback_in_local_mode() {
    let out = nagare()
        .args(["serve", "--bind", "0.0.0.0:0"])
        .env("DATABASE_URL", "sqlite::memory:")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to listen on 0.0.0.0:0") && err.contains("single sign-on"),
        "{err}"
    );
}

#[test]
fn cli_names_a_bad_config_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nagare.toml");
    std::fs::write(&file, "[metrics]\ntime_zone = \"Asia/Tokio\"\n").unwrap();
    let out = nagare()
        .args(["--config", file.to_str().unwrap(), "migrate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("metrics.time_zone") && err.contains("Asia/Tokio"),
        "{err}"
    );
}

// ---------------------------------------------------------------- Pipelines through the API

/// The scenario's two attempts of run 9001 (ci on c4), worked by hand:
/// - attempt 1: 12:05 → 12:15 = 600 s, failed; its job "test" created 12:04, started 12:05
///   (queue 60 s), ran 540 s; its step "cargo test" 12:05:10 → 12:13:50 = 520 s.
/// - attempt 2: 12:20 → 12:31 = 660 s, passed; "test" created 12:19:30 (queue 30 s), ran 600 s;
///   "cargo test" 12:20:10 → 12:29:50 = 580 s.
///
/// So: durations [600, 660] (p50 630, p90 600 + 0.9 · 60 = 654), queues [30, 60] (p50 45, p90
/// 57), success rate 1/2, first-attempt pass rate 0/1; "test" is flaky once, losing 600 s (its
/// own 540 s); its share of the attempts' time (540 + 600) / 1260, the step's (520 + 580) / 1260.
#[tokio::test]
async fn pipelines_hand_computed_with_steps_from_the_store() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let state = app_state(store).await;
        let r = post(&state, "/api/v1/events", "application/x-ndjson", SCENARIO).await;
        assert_eq!(r.status, 200, "{backend}: {}", r.json);

        let w = get(&state, &format!("/api/v1/pipelines/workflows?{WEEK}")).await;
        assert_eq!(w.status, 200, "{backend}: {}", w.json);
        let n = &w.json["workflows"][0]["numbers"];
        assert_eq!(
            (n["success"].as_u64(), n["failure"].as_u64()),
            (Some(1), Some(1))
        );
        approx(&n["duration_p50_secs"], 630.0);
        approx(&n["duration_p90_secs"], 654.0);
        approx(&n["queue_p50_secs"], 45.0);
        approx(&n["queue_p90_secs"], 57.0);
        approx(&n["success_rate"], 0.5);
        approx(&n["first_attempt_pass_rate"], 0.0);

        let f = get(&state, &format!("/api/v1/pipelines/flaky-jobs?{WEEK}")).await;
        let j = &f.json["jobs"][0];
        assert_eq!(
            (j["job"].as_str(), j["occurrences"].as_u64()),
            (Some("test"), Some(1)),
            "{}",
            f.json
        );
        approx(&j["time_lost_secs"], 600.0);
        approx(&j["failed_job_secs"], 540.0);
        assert_eq!(
            j["evidence"][0]["failed"],
            serde_json::json!(["github:9001-1"])
        );
        assert_eq!(j["evidence"][0]["sha"], "c4");

        let t = get(
            &state,
            &format!("/api/v1/pipelines/workflows/trend?{WEEK}&repo=acme/shop&workflow=ci"),
        )
        .await;
        assert_eq!(t.status, 200, "{backend}: {}", t.json);
        let job = &t.json["jobs"][0];
        approx(&job["median_secs"], 570.0);
        approx(&job["share"], 1140.0 / 1260.0);
        let step = &t.json["steps"][0];
        assert_eq!(step["name"], "test / cargo test", "{}", t.json);
        approx(&step["median_secs"], 550.0);
        approx(&step["share"], 1100.0 / 1260.0);
        assert_eq!(t.json["steps_runs"], 2);

        // One attempt: its job's id and steps come from the store.
        let d = get(&state, "/api/v1/pipelines/runs/github:9001-2").await;
        assert_eq!(d.status, 200, "{backend}: {}", d.json);
        let run = &d.json["run"];
        assert_eq!(
            run["url"],
            "https://github.com/acme/shop/actions/runs/9001/attempts/2"
        );
        approx(&run["queue_secs"], 30.0);
        approx(&run["duration_secs"], 660.0);
        let ids: Vec<&str> = d.json["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["github:9001-1", "github:9001-2"]);
        let job = &d.json["job_list"][0];
        assert_eq!(job["id"], "2");
        assert_eq!(job["steps"][0]["name"], "cargo test");
        approx(&job["steps"][0]["duration_secs"], 580.0);
        assert_eq!(job["steps"][0]["outcome"], "success");
        let r = get(&state, "/api/v1/pipelines/workflows/trend?repo=acme/shop").await;
        assert_eq!(
            (r.status.as_u16(), r.json["field"].as_str()),
            (400, Some("workflow"))
        );
    }
}

/// The scenario's pull request 17 (merge commit c4, its own commits not listed, so its way
/// starts when it was opened), deployed by d4 (13:50 → 14:00): pickup 11:00 → 11:30, review
/// → 12:00, build & test → 12:31 (run 9001's second attempt), release wait → 13:50 (79 min),
/// deploy → 14:00. Total 3 h: d4's lead time on the `pull_request` basis.
#[tokio::test]
async fn value_stream_and_journey_of_the_scenario() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let state = app_state(store).await;
        let r = post(&state, "/api/v1/events", "application/x-ndjson", SCENARIO).await;
        assert_eq!(r.status, 200, "{backend}: {}", r.json);
        let v = get(&state, &format!("/api/v1/metrics/value-stream?{WEEK}")).await;
        assert_eq!(v.status, 200, "{backend}: {}", v.json);
        assert_eq!(v.json["pull_requests"], 1, "{}", v.json);
        approx(&v.json["total"]["median"], 10800.0);
        let stage = |key: &str| {
            v.json["stages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["key"] == key)
                .cloned()
                .unwrap_or_else(|| panic!("{key}: {}", v.json))
        };
        approx(&stage("pickup")["stats"]["median"], 1800.0);
        approx(&stage("review")["stats"]["median"], 1800.0);
        approx(&stage("build_test")["stats"]["median"], 31.0 * 60.0);
        approx(&stage("release_wait")["stats"]["median"], 79.0 * 60.0);
        approx(&stage("deploy")["stats"]["median"], 600.0);
        assert!(stage("coding")["stats"].is_null(), "{}", v.json);
        assert_eq!(v.json["bottleneck"], "release_wait");
        // The DORA lead time on the pull_request basis says the same.
        let d = get(
            &state,
            &format!("/api/v1/metrics/dora?{WEEK}&lead_time_basis=pull_request"),
        )
        .await;
        approx(&d.json["change_lead_time"]["median"], 10800.0);
        // Review until approved: review ends at 11:40, then 20 min to the merge.
        let a = get(
            &state,
            &format!("/api/v1/metrics/value-stream?{WEEK}&chain=approval"),
        )
        .await;
        let merge_wait = a.json["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == "merge_wait")
            .cloned()
            .unwrap();
        approx(&merge_wait["stats"]["median"], 1200.0);

        let j = get(&state, "/api/v1/pull-requests/acme/shop/17/journey").await;
        assert_eq!(j.status, 200, "{backend}: {}", j.json);
        assert_eq!(j.json["deployment"], "d4");
        assert_eq!(j.json["incidents"], serde_json::json!(["INC-1"]));
        approx(&j.json["total_secs"], 10800.0);
        let runs: Vec<&str> = j.json["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(runs, ["github:9001-1", "github:9001-2"]);
        assert_eq!(j.json["stages"].as_array().unwrap().len(), 5, "{}", j.json);
        let missing = get(&state, "/api/v1/pull-requests/acme/shop/18/journey").await;
        assert_eq!(missing.status, 404);
    }
}
