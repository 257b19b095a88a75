//! Hostile and bad input: samples refused whole naming the line and field (nothing stored, not
//! even the good sample before the bad one), bodies and parameters refused naming the field;
//! edits, deletes, and counts that do not outlive their SLO.

use super::*;

/// The pushed SLO `pay-in` and the Prometheus SLO `pay-prom`, both on payments-api.
async fn two_slos(backend: &str) -> (AppState, Option<tempfile::TempDir>) {
    let (state, dir) = slo_state(backend, local_config()).await;
    create(&state, pushed_slo("pay-in", "payments-api", 0.99, "1d")).await;
    create(&state, ratio_slo("pay-prom", "payments-api")).await;
    (state, dir)
}

#[tokio::test]
async fn bad_samples_are_refused_whole_naming_line_and_field() {
    for backend in backends() {
        let (state, _dir) = two_slos(backend).await;
        let t0 = this_minute() - HOUR;
        let good = sample("pay-in", t0, 9.0, 10.0);
        let with = |v: Value| -> String {
            let mut s: Value =
                serde_json::from_str(&sample("pay-in", t0 + MINUTE, 1.0, 2.0)).unwrap();
            for (k, x) in v.as_object().unwrap() {
                if x.is_null() {
                    s.as_object_mut().unwrap().remove(k);
                } else {
                    s[k] = x.clone();
                }
            }
            s.to_string()
        };
        let cases: Vec<(&str, String, u16, &str)> = vec![
            ("unknown SLO", with(json!({"slo": "nope"})), 422, "slo"),
            (
                "a Prometheus SLI",
                with(json!({"slo": "pay-prom"})),
                422,
                "slo",
            ),
            (
                "off the grid",
                with(json!({"bucket_start": rfc3339(t0 + 90_000)})),
                422,
                "bucket_start",
            ),
            (
                "good above total",
                with(json!({"good": 3, "total": 2})),
                422,
                "good",
            ),
            ("negative good", with(json!({"good": -1})), 422, "good"),
            (
                "negative total",
                with(json!({"good": 0, "total": -5})),
                422,
                "total",
            ),
            ("NaN as a string", with(json!({"good": "NaN"})), 422, "good"),
            (
                "Infinity as a string",
                with(json!({"total": "Infinity"})),
                422,
                "total",
            ),
            ("a count as text", with(json!({"good": "1"})), 422, "good"),
            ("no total", with(json!({"total": null})), 422, "total"),
            (
                "no bucket",
                with(json!({"bucket_start": null})),
                422,
                "bucket_start",
            ),
            (
                "no zone",
                with(json!({"bucket_start": "2026-01-01T00:00:00"})),
                422,
                "bucket_start",
            ),
            (
                "not a time",
                with(json!({"bucket_start": "yesterday"})),
                422,
                "bucket_start",
            ),
            ("an empty SLO id", with(json!({"slo": " "})), 422, "slo"),
            (
                "NUL in the id",
                with(json!({"slo": "pay\u{0}in"})),
                400,
                "slo",
            ),
            (
                "a team among samples",
                r#"{"kind":"team","name":"intruder"}"#.into(),
                422,
                "kind",
            ),
        ];
        for (what, line2, status, field) in &cases {
            let r = push(&state, &[good.clone(), line2.clone()]).await;
            assert_eq!(r.status.as_u16(), *status, "{backend}: {what}: {}", r.json);
            assert_eq!(
                (r.json["line"].as_u64(), r.json["field"].as_str()),
                (Some(2), Some(*field)),
                "{backend}: {what}: {}",
                r.json
            );
            assert!(
                r.json["error"].as_str().unwrap().contains("line 2"),
                "{what}: {}",
                r.json
            );
            assert_eq!(
                stored(&state, "pay-in").await,
                [],
                "{backend}: {what}: the good line 1 was stored"
            );
        }
        // Samples after another event: the other one is named, and nothing is stored either.
        let r = push(
            &state,
            &[r#"{"kind":"team","name":"intruder"}"#.into(), good.clone()],
        )
        .await;
        assert_eq!(
            (
                r.status.as_u16(),
                r.json["line"].as_u64(),
                r.json["field"].as_str()
            ),
            (422, Some(1), Some("kind")),
            "{}",
            r.json
        );
        let teams = get_ok(&state, "/api/v1/teams").await.to_string();
        assert!(!teams.contains("intruder"), "{backend}: {teams}");
        // The API says the same as the database: nothing in the window.
        let s = detail_at(&state, "pay-in", t0 + HOUR).await["slo"].clone();
        assert_eq!(s["total"].as_f64(), Some(0.0), "{backend}");

        // The good line alone is stored; sent again with other counts it replaces the bucket.
        assert_eq!(push_ok(&state, std::slice::from_ref(&good)).await, (1, 0));
        let again = sample("pay-in", t0, 7.0, 12.0);
        assert_eq!(push_ok(&state, &[again]).await, (0, 1), "{backend}");
        assert_eq!(stored(&state, "pay-in").await, [(t0, 7.0, 12.0)]);
        let s = detail_at(&state, "pay-in", t0 + HOUR).await["slo"].clone();
        assert_eq!(
            (s["good"].as_f64(), s["total"].as_f64()),
            (Some(7.0), Some(12.0)),
            "{backend}: not doubled"
        );
    }
}

/// Two samples of one bucket in one batch: the later wins, as for any event sent twice in a
/// batch (docs/api.md: it "counts as `updated`").
#[tokio::test]
async fn the_same_bucket_twice_in_one_batch_keeps_the_later() {
    for backend in backends() {
        let (state, _dir) = two_slos(backend).await;
        let t0 = this_minute() - HOUR;
        let lines = [
            sample("pay-in", t0, 1.0, 2.0),
            sample("pay-in", t0, 5.0, 6.0),
        ];
        let r = push(&state, &lines).await;
        assert_eq!(r.status, StatusCode::OK, "{backend}: {}", r.json);
        assert_eq!(
            stored(&state, "pay-in").await,
            [(t0, 5.0, 6.0)],
            "{backend}"
        );
        assert_eq!(
            (r.json["accepted"].as_u64(), r.json["updated"].as_u64()),
            (Some(1), Some(1)),
            "{backend}"
        );
    }
}

/// A bucket a year ahead is no count of events that happened. Held in memory, a series grows to
/// reach it (16 bytes a bucket: a year of minutes is 8 MB; year 9999 would be ~67 GB from one
/// line), so it must be refused like any other bad field.
#[tokio::test]
async fn a_bucket_far_in_the_future_is_refused() {
    for backend in backends() {
        let (state, _dir) = two_slos(backend).await;
        let ahead = this_minute() + 400 * DAY;
        let r = push(&state, &[sample("pay-in", ahead, 1.0, 1.0)]).await;
        assert_eq!(
            (r.status.as_u16(), r.json["field"].as_str()),
            (422, Some("bucket_start")),
            "{backend}: {}",
            r.json
        );
        assert_eq!(stored(&state, "pay-in").await, []);
    }
}

#[tokio::test]
async fn bad_bodies_and_parameters_are_refused_naming_the_field() {
    for backend in backends() {
        let (state, _dir) = two_slos(backend).await;
        let base = pushed_slo("pay-x", "payments-api", 0.99, "30d");
        let edit = |f: &dyn Fn(&mut Value)| {
            let mut b = base.clone();
            f(&mut b);
            b
        };
        let cases: Vec<(&str, Value, u16, &str)> = vec![
            ("bad id", edit(&|b| b["id"] = json!("Pay_X")), 422, "id"),
            (
                "id starting with -",
                edit(&|b| b["id"] = json!("-pay")),
                422,
                "id",
            ),
            (
                "control in the name",
                edit(&|b| b["name"] = json!("a\u{7}b")),
                422,
                "name",
            ),
            (
                "objective 1",
                edit(&|b| b["objective"] = json!(1)),
                422,
                "objective",
            ),
            (
                "objective 0",
                edit(&|b| b["objective"] = json!(0)),
                422,
                "objective",
            ),
            (
                "objective 99.9",
                edit(&|b| b["objective"] = json!(99.9)),
                422,
                "objective",
            ),
            (
                "window 30",
                edit(&|b| b["window"] = json!("30")),
                422,
                "window",
            ),
            (
                "window 0d",
                edit(&|b| b["window"] = json!("0d")),
                422,
                "window",
            ),
            (
                "window 400d",
                edit(&|b| b["window"] = json!("400d")),
                422,
                "window",
            ),
            (
                "good and bad",
                edit(&|b| {
                    b["sli"] = json!({"kind": "ratio", "good": "a", "bad": "b", "total": "t"})
                }),
                422,
                "sli.good",
            ),
            (
                "neither good nor bad",
                edit(&|b| b["sli"] = json!({"kind": "ratio", "total": "t"})),
                422,
                "sli.good",
            ),
            (
                "not a histogram",
                edit(
                    &|b| b["sli"] = json!({"kind": "latency", "histogram": "http_seconds_count", "threshold": "0.3"}),
                ),
                422,
                "sli.histogram",
            ),
            (
                "unknown service",
                edit(&|b| b["service"] = json!("ghost-api")),
                422,
                "service",
            ),
        ];
        for (what, body, status, field) in &cases {
            let r = send(&state, "POST", "/api/v1/slos", body).await;
            assert_eq!(
                (r.status.as_u16(), r.json["field"].as_str()),
                (*status, Some(*field)),
                "{backend}: {what}: {}",
                r.json
            );
        }
        // Not an SLO at all: 400, saying what an SLO is.
        for (what, body) in [
            (
                "objective as text",
                edit(&|b| b["objective"] = json!("0.99")),
            ),
            (
                "an unknown SLI kind",
                edit(&|b| b["sli"] = json!({"kind": "magic"})),
            ),
            (
                "no window",
                edit(&|b| {
                    b.as_object_mut().unwrap().remove("window");
                }),
            ),
            ("an array", json!([base.clone()])),
        ] {
            let r = send(&state, "POST", "/api/v1/slos", &body).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{backend}: {what}: {}",
                r.json
            );
        }
        let dup = r#"{"id":"pay-x","id":"pay-y","name":"n","service":"payments-api","objective":0.9,"window":"1d","sli":{"kind":"pushed"}}"#;
        let r = crate::auth::request(
            &state,
            "POST",
            "/api/v1/slos",
            &[("content-type", "application/json")],
            dup,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "a duplicate key: {}",
            r.json
        );
        let r = crate::auth::request(
            &state,
            "POST",
            "/api/v1/slos",
            &[("content-type", "text/plain")],
            &base.to_string(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        // PUT checks its body as POST does.
        for (what, body, field) in [
            (
                "objective 1",
                pushed_slo("pay-in", "payments-api", 1.0, "1d"),
                "objective",
            ),
            (
                "bad window",
                pushed_slo("pay-in", "payments-api", 0.9, "1y"),
                "window",
            ),
            (
                "unknown service",
                pushed_slo("pay-in", "ghost-api", 0.9, "1d"),
                "service",
            ),
        ] {
            let r = send(&state, "PUT", "/api/v1/slos/pay-in", &body).await;
            assert_eq!(
                (r.status.as_u16(), r.json["field"].as_str()),
                (422, Some(field)),
                "{backend}: PUT {what}: {}",
                r.json
            );
        }
        // A taken id: 409; PUT of another id: 400 naming `id`; unknown ones: 404.
        let r = send(
            &state,
            "POST",
            "/api/v1/slos",
            &pushed_slo("pay-in", "payments-api", 0.9, "7d"),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{backend}: {}", r.json);
        let r = send(
            &state,
            "PUT",
            "/api/v1/slos/pay-in",
            &pushed_slo("pay-other", "payments-api", 0.9, "7d"),
        )
        .await;
        assert_eq!(
            (r.status.as_u16(), r.json["field"].as_str()),
            (400, Some("id")),
            "{}",
            r.json
        );
        let r = send(
            &state,
            "PUT",
            "/api/v1/slos/ghost",
            &pushed_slo("ghost", "payments-api", 0.9, "7d"),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = crate::auth::request(&state, "DELETE", "/api/v1/slos/ghost", &[], "").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // Nothing refused was created, nor was pay-in changed.
        let list = get_ok(&state, "/api/v1/slos").await;
        let mut ids: Vec<&str> = list["slos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, ["pay-in", "pay-prom"], "{backend}");
        let s = get_ok(&state, "/api/v1/slos/pay-in").await["slo"].clone();
        assert_eq!(
            (s["objective"].as_f64(), s["window"]["label"].as_str()),
            (Some(0.99), Some("1d"))
        );

        // Parameters.
        for (uri, field) in [
            ("/api/v1/slos?team=payments&team=search", "team"),
            ("/api/v1/slos?colour=red", "colour"),
            ("/api/v1/slos?service=pay%07ments", "service"),
            ("/api/v1/slos?at=yesterday", "at"),
            ("/api/v1/slos?at=2026-01-01T00:00:00", "at"),
            ("/api/v1/slos/pay-in?team=payments", "team"),
            ("/api/v1/slos/pay-in?at=1700000000", "at"),
            ("/api/v1/slos/pay-in?at=a&at=b", "at"),
            ("/api/v1/slos/pay-prom/openslo?x=1", "x"),
            (
                "/api/v1/slos/pay-prom/prometheus-rules?format=json",
                "format",
            ),
        ] {
            let r = get(&state, uri).await;
            assert_eq!(
                (r.status.as_u16(), r.json["field"].as_str()),
                (400, Some(field)),
                "{backend}: {uri}: {}",
                r.json
            );
        }
        for uri in [
            "/api/v1/slos/nope",
            "/api/v1/slos/nope/openslo",
            "/api/v1/slos/nope/prometheus-rules",
        ] {
            let r = get(&state, uri).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}: {}", r.json);
        }
    }
}

/// An unknown field in the body is refused, and `field` names it (as the 422s do, and as
/// unknown query parameters are named).
#[tokio::test]
async fn an_unknown_body_field_is_named() {
    let (state, _dir) = slo_state("sqlite", local_config()).await;
    let mut body = pushed_slo("pay-x", "payments-api", 0.99, "30d");
    body["colour"] = json!("red");
    let r = send(&state, "POST", "/api/v1/slos", &body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    assert!(
        r.json["error"].as_str().unwrap().contains("colour"),
        "{}",
        r.json
    );
    assert_eq!(r.json["field"], "colour", "{}", r.json);
}

/// An edit keeps the counts unless the SLI changes; a delete takes them along, and an SLO made
/// again with the same id starts empty.
#[tokio::test]
async fn edits_and_deletes_keep_or_drop_the_counts() {
    for backend in backends() {
        let (state, _dir) = two_slos(backend).await;
        let t0 = this_minute() - HOUR;
        // 10 buckets of 100 events, 2 bad each: 20 bad of 1000.
        let lines: Vec<String> = (0..10)
            .map(|i| sample("pay-in", t0 + i * MINUTE, 98.0, 100.0))
            .collect();
        push_ok(&state, &lines).await;
        let at = t0 + HOUR;
        // 99 % allows 10 bad: remaining 1 − 2 = −100 %. At 97.5 % it allows 25: 20 %.
        close(
            &detail_at(&state, "pay-in", at).await["slo"]["budget"]["remaining_percent"],
            -100.0,
        );
        let mut edited = pushed_slo("pay-in", "payments-api", 0.975, "1d");
        edited["name"] = json!("Payments availability");
        let r = send(&state, "PUT", "/api/v1/slos/pay-in", &edited).await;
        assert_eq!(r.status, StatusCode::OK, "{backend}: {}", r.json);
        let s = detail_at(&state, "pay-in", at).await["slo"].clone();
        assert_eq!(
            (s["name"].as_str(), s["total"].as_f64()),
            (Some("Payments availability"), Some(1000.0))
        );
        close(&s["budget"]["allowed"], 25.0);
        close(&s["budget"]["remaining_percent"], 20.0);
        // Another SLI: the pushed counts are not the new SLI's.
        let mut to_prom = ratio_slo("pay-in", "payments-api");
        to_prom["window"] = json!("1d");
        let r = send(&state, "PUT", "/api/v1/slos/pay-in", &to_prom).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        assert_eq!(stored(&state, "pay-in").await, [], "{backend}");
        assert_eq!(
            detail_at(&state, "pay-in", at).await["slo"]["total"].as_f64(),
            Some(0.0)
        );
        // Back to pushed, counts again, then deleted: gone with them, and samples are refused.
        let r = send(
            &state,
            "PUT",
            "/api/v1/slos/pay-in",
            &pushed_slo("pay-in", "payments-api", 0.99, "1d"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        push_ok(&state, &lines).await;
        let r = crate::auth::request(&state, "DELETE", "/api/v1/slos/pay-in", &[], "").await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.json);
        assert_eq!(
            get(&state, "/api/v1/slos/pay-in").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(stored(&state, "pay-in").await, [], "{backend}");
        let r = push(&state, &lines[..1]).await;
        assert_eq!(
            (r.status.as_u16(), r.json["field"].as_str()),
            (422, Some("slo"))
        );
        // Made again: none of the old counts, here nor in another process.
        create(&state, pushed_slo("pay-in", "payments-api", 0.99, "1d")).await;
        assert_eq!(
            detail_at(&state, "pay-in", at).await["slo"]["total"].as_f64(),
            Some(0.0),
            "{backend}"
        );
        let replica = AppState::new(state.store.clone(), local_config())
            .await
            .unwrap();
        assert_eq!(
            detail_at(&replica, "pay-in", at).await["slo"]["total"].as_f64(),
            Some(0.0)
        );
    }
}
