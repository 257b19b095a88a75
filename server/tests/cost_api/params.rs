//! Hostile and odd query parameters on the three cost reads: each refusal a 400 naming the
//! parameter (`field`); filters naming nothing and windows without data answer zeros, not
//! errors; no instant, however far, makes a reply fail.

use super::sample::{sample_cfg, SAMPLE};
use super::support::*;
use crate::common::*;
use nagare_server::config::{CostConfig, CostSourceConfig};
use std::path::Path;

const READS: [&str; 3] = [
    "/api/v1/costs",
    "/api/v1/costs/anomalies",
    "/api/v1/costs/unit",
];

/// `uri` must be refused with 400 naming `field`.
async fn refused(state: &nagare_server::AppState, uri: &str, field: &str) {
    let r = get(state, uri).await;
    assert_eq!(r.status, 400, "{uri}: {}", r.json);
    assert_eq!(r.json["field"], field, "{uri}: {}", r.json);
    assert!(
        r.json["error"].as_str().is_some_and(|e| e.len() > 10),
        "{uri}: a message saying what is wrong: {}",
        r.json
    );
}

#[tokio::test]
async fn bad_parameters_are_refused_naming_the_field() {
    for backend in backends() {
        let (store, _url, _dir) = fresh(backend).await;
        run(&store, &sample_cfg(), "sample", Path::new(SAMPLE))
            .await
            .unwrap();
        let state = state_on(store, sample_cfg()).await;
        for read in READS {
            for (query, field) in [
                // An empty window, a backwards one, one holding no day's start.
                ("from=2024-09-10T00:00:00Z&to=2024-09-10T00:00:00Z", "from"),
                ("from=2024-09-20T00:00:00Z&to=2024-09-10T00:00:00Z", "from"),
                ("from=2024-09-01T12:00:00Z&to=2024-09-02T00:00:00Z", "from"),
                // Four years, and a start so far back that the default end makes it too long.
                ("from=2020-01-01T00:00:00Z&to=2024-01-01T00:00:00Z", "from"),
                ("from=2001-01-01T00:00:00Z", "from"),
                // Not instants: no zone, a word, a date alone.
                ("from=2024-09-01T00:00:00", "from"),
                ("to=yesterday", "to"),
                ("from=2024-09-01", "from"),
                ("cost=foo", "cost"),
                ("cost=EFFECTIVE", "cost"),
                ("group_by=foo", "group_by"),
                ("interval=hour", "interval"),
                ("tz=UTC", "tz"),
                ("teams=search", "teams"),
                ("team=a&team=b", "team"),
                ("cost=billed&cost=effective", "cost"),
                ("team=%01", "team"),
                ("service=shop%0Aadmin", "service"),
                ("account=%7F", "account"),
            ] {
                refused(&state, &format!("{read}?{query}"), field).await;
            }
        }
        refused(&state, "/api/v1/costs/anomalies?interval=day", "interval").await;
        refused(&state, "/api/v1/costs/unit?interval=week", "interval").await;
        refused(&state, "/api/v1/costs/unit?group_by=team", "group_by").await;
    }
}

#[tokio::test]
async fn odd_but_valid_parameters_answer() {
    for backend in backends() {
        let (store, _url, _dir) = fresh(backend).await;
        run(&store, &sample_cfg(), "sample", Path::new(SAMPLE))
            .await
            .unwrap();
        let state = state_on(store, sample_cfg()).await;
        let today = nagare_server::store::now_millis().div_euclid(DAY_MS);

        // `from` alone ends at the start of tomorrow; `to` alone starts 90 days before it.
        let r = ok(&state, "/api/v1/costs?from=2024-09-15T00:00:00Z").await;
        assert_eq!(
            (r["from"].as_str(), r["to"].as_str()),
            (Some("2024-09-15"), Some(day_text(today + 1).as_str())),
            "{backend}"
        );
        let r = ok(&state, "/api/v1/costs?to=2024-10-01T00:00:00Z").await;
        assert_eq!(
            (r["from"].as_str(), r["to"].as_str()),
            (Some("2024-07-03"), Some("2024-10-01")),
            "{backend}"
        );
        // An instant within a day: the window starts at the next day's start, and ends after
        // the day whose start is before `to`. Other zones are instants like any other.
        let r = ok(
            &state,
            "/api/v1/costs?from=2024-09-01T00:00:01Z&to=2024-09-03T00:00:01Z&interval=day",
        )
        .await;
        assert_eq!(
            (r["from"].as_str(), r["to"].as_str()),
            (Some("2024-09-02"), Some("2024-09-04"))
        );
        assert_eq!(r["series"]["buckets"].as_array().unwrap().len(), 2);
        let r = ok(
            &state,
            "/api/v1/costs?from=2024-09-01T09:00:00%2B09:00&to=2024-09-02T09:00:00%2B09:00",
        )
        .await;
        assert_eq!(
            (r["from"].as_str(), r["to"].as_str()),
            (Some("2024-09-01"), Some("2024-09-02"))
        );
        // The longest window allowed, 1 098 days.
        let r = ok(
            &state,
            "/api/v1/costs?from=2022-01-01T00:00:00Z&to=2025-01-03T00:00:00Z&interval=month",
        )
        .await;
        assert!(r["total"].as_f64().unwrap() > 0.0, "{backend}");
        // Filters naming nothing: empty, not an error, on every read.
        for read in READS {
            for f in ["team=nobody", "service=nothing", "account=000000000000"] {
                let r = ok(
                    &state,
                    &format!("{read}?from=2024-09-01T00:00:00Z&to=2024-10-01T00:00:00Z&{f}"),
                )
                .await;
                if read == "/api/v1/costs" {
                    assert_eq!(
                        (num(&r["total"]), &r["groups"]),
                        (0.0, &serde_json::json!([])),
                        "{f}"
                    );
                    assert_eq!(num(&r["month"]["to_date"]), 0.0, "{f}");
                } else if read.ends_with("unit") {
                    assert_eq!(r["services"], serde_json::json!([]), "{f}");
                } else {
                    assert_eq!(r["anomalies"], serde_json::json!([]), "{f}");
                }
            }
        }
        // A window without data: zeros; cost is stored, so `configured`.
        let r = ok(
            &state,
            "/api/v1/costs?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z&interval=week",
        )
        .await;
        assert_eq!((num(&r["total"]), num(&r["unallocated"])), (0.0, 0.0));
        assert_eq!(r["groups"], serde_json::json!([]));
        let buckets = r["series"]["buckets"].as_array().unwrap();
        assert!(buckets
            .iter()
            .all(|b| num(&b["total"]) == 0.0 && b["values"] == serde_json::json!([])));
        assert_eq!(
            buckets
                .iter()
                .map(|b| b["days"].as_u64().unwrap())
                .sum::<u64>(),
            31
        );
        assert_eq!(r["configured"], true);
        // Far instants, early and late: answers, never a failure.
        for w in [
            "from=0001-01-01T00:00:00Z&to=0001-02-01T00:00:00Z",
            "from=9999-12-01T00:00:00Z&to=9999-12-31T00:00:00Z",
            "from=1969-12-01T00:00:00Z&to=1970-01-10T00:00:00Z",
        ] {
            for read in READS {
                let r = get(&state, &format!("{read}?{w}")).await;
                assert!(
                    r.status == 200 || r.status == 400,
                    "{backend} {read}?{w}: {} {}",
                    r.status,
                    r.json
                );
            }
        }
    }
}

#[tokio::test]
async fn nothing_stored_is_zeros_and_says_whether_a_source_is_configured() {
    for backend in backends() {
        let (store, _url, _dir) = fresh(backend).await;
        let state = state_on(store.clone(), CostConfig::default()).await;
        let r = ok(&state, "/api/v1/costs?interval=day").await;
        assert_eq!(r["configured"], false, "{backend}: {r}");
        assert_eq!((num(&r["total"]), num(&r["unallocated"])), (0.0, 0.0));
        assert!(
            r["currency"].is_null() && r["data_through"].is_null(),
            "{r}"
        );
        let m = &r["month"];
        assert_eq!(num(&m["to_date"]), 0.0);
        assert!(
            m["forecast"].is_null() && m["run_rate"].is_null() && m["through"].is_null(),
            "{m}"
        );
        assert_eq!(r["series"]["buckets"].as_array().unwrap().len(), 90);
        let r = ok(&state, "/api/v1/costs/unit").await;
        assert_eq!(r["ci"]["configured"], false);
        assert!(
            r["ci"]["per_minute"].is_null() && r["ci"]["per_run"].is_null(),
            "{r}"
        );
        let r = ok(&state, "/api/v1/costs/anomalies").await;
        assert_eq!(r["anomalies"], serde_json::json!([]));
        let r = ok(&state, "/api/v1/costs/sources").await;
        assert_eq!(
            (&r["sources"], &r["periods"]),
            (&serde_json::json!([]), &serde_json::json!([]))
        );

        // A source configured, nothing read yet.
        let cfg = CostConfig {
            sources: vec![CostSourceConfig {
                name: "aws".into(),
                location: "s3://acme-billing/exports/nagare-focus".into(),
                poll_secs: 0,
            }],
            ..CostConfig::default()
        };
        let state = state_on(store, cfg).await;
        let r = ok(&state, "/api/v1/costs").await;
        assert_eq!(r["configured"], true, "{backend}: {r}");
        let r = ok(&state, "/api/v1/costs/sources").await;
        assert_eq!(r["sources"][0]["kind"], "s3");
        assert!(r["sources"][0]["poll_secs"].is_null(), "{r}");
    }
}
