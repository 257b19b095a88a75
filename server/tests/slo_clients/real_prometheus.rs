//! The client against a real Prometheus (Debian's `prometheus` package): samples written with
//! `promtool tsdb create-blocks-from openmetrics` into a fresh data directory, Prometheus
//! started over it on a free loopback port with no scrape jobs, and `query_range` of
//! `increase(…[60s])` checked against values worked out by hand. Fails, rather than skips, when
//! Prometheus is not installed: CI installs it.

use nagare_server::config::PrometheusConfig;
use nagare_server::slo::prom::PromClient;

/// 2023-11-14T22:20:00Z, a whole minute.
const T0: i64 = 1_700_000_400;

/// Two series of a counter, every 15 s from T0 to T0 + 180 s:
/// - `code="200"`: +1 each 15 s in the first minute (0 → 4), +3 in the second (→ 16), then a
///   restart: 2, 4, 6, 8.
/// - `code="500"`: +1 each 15 s throughout (0 → 12).
fn openmetrics() -> String {
    let mut text =
        String::from("# HELP nagare_requests Requests.\n# TYPE nagare_requests counter\n");
    let ok = [0, 1, 2, 3, 4, 7, 10, 13, 16, 2, 4, 6, 8];
    for (i, v) in ok.iter().enumerate() {
        text.push_str(&format!(
            "nagare_requests_total{{code=\"200\"}} {v} {}\n",
            T0 + 15 * i as i64
        ));
    }
    for i in 0..=12 {
        text.push_str(&format!(
            "nagare_requests_total{{code=\"500\"}} {i} {}\n",
            T0 + 15 * i
        ));
    }
    text.push_str("# EOF\n");
    text
}

#[tokio::test]
async fn a_real_prometheus_answers_increase_as_worked_out_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let prometheus = crate::prometheus::Prometheus::start(dir.path(), &openmetrics()).await;
    let client = PromClient::from_config(&PrometheusConfig {
        url: prometheus.url.clone(),
        auth: "none".into(),
        username: None,
        password_file: None,
        token_file: None,
        region: None,
        sigv4_service: "aps".into(),
        sync_secs: 60,
        max_points: 10_000,
        timeout_secs: 10,
    })
    .unwrap();
    let points = client
        .query_range(
            "increase(nagare_requests_total[60s])",
            T0 * 1000,
            (T0 + 180) * 1000,
            60_000,
        )
        .await
        .unwrap();
    // Each window [t - 60 s, t] holds five samples 15 s apart covering it whole, so increase
    // is the last minus the first, with no extrapolation (and Prometheus 3's left-open window,
    // four samples extrapolated by 60/45, gives the same on these straight lines):
    // - at T0 the window holds one sample per series: no value;
    // - T0 + 60 s: 200: 4 − 0 = 4; 500: 4; summed 8;
    // - T0 + 120 s: 200: 16 − 4 = 12; 500: 4; summed 16;
    // - T0 + 180 s: 200: 16, 2, 4, 6, 8: the drop is a restart, so 8 − 16 + 16 = 8; 500: 4;
    //   summed 12.
    let expected = [
        ((T0 + 60) * 1000, 8.0),
        ((T0 + 120) * 1000, 16.0),
        ((T0 + 180) * 1000, 12.0),
    ];
    assert_eq!(points.len(), expected.len(), "{points:?}");
    for ((t, v), (et, ev)) in points.iter().zip(expected) {
        assert_eq!(*t, et, "{points:?}");
        assert!((v - ev).abs() < 1e-9, "{points:?}");
    }

    // Prometheus' own words for a broken query come through.
    let e = client
        .query_range(
            "increase(nagare_requests_total[60s]",
            T0 * 1000,
            (T0 + 180) * 1000,
            60_000,
        )
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("HTTP 400, bad_data: 1:36: parse error: unclosed left parenthesis"),
        "{text}"
    );
}
