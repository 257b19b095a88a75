#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should panic
//! The Prometheus sync of SLIs (`nagare_server::slo::sync`) against a real Prometheus (Debian's
//! 2.42 here; CI installs it, and these tests fail rather than skip without it), on SQLite and,
//! when `NAGARE_TEST_DATABASE_URL` is set, PostgreSQL.
//!
//! Three days of request counters and a latency histogram, written by minute with a known
//! pattern (`slo_prometheus/history.rs`: bursts of errors, a counter restart, a slow period),
//! are read back by `sync::pass` through the SLOs of definition files (Sloth with `rate`, Pyrra
//! with `increase`, a Pyrra latency SLI) and of the portal. Each stored bucket must equal the
//! minute's counts written; the API's window totals, budget, burn rates and alert state at a
//! fixed instant must equal the arithmetic redone here (and, for a few, by hand in comments).
//! Then: a sync cut short by Prometheus going away and resumed by another process (from where
//! it stopped, less the few buckets each sync reads again), a sync rewound to an earlier point
//! (it re-reads from there and replaces), changed queries (the old counts dropped, here and on
//! another replica), and a query Prometheus refuses (only that SLO fails, with its words).

#[path = "common/mod.rs"]
#[allow(dead_code, unused_imports)]
mod common;
#[path = "slo_prometheus/history.rs"]
mod history;
#[path = "slo_prometheus/prometheus.rs"]
mod prometheus;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use history::{Counts, History, Sli, K_AT, K_RESET, MINUTES, RESET_TO, STEP, V2_MINUTES};
use nagare_core::Timestamp;
use nagare_server::config::{Config, PrometheusConfig};
use nagare_server::slo::prom::PromClient;
use nagare_server::slo::sync;
use nagare_server::store::{now_millis, SliRow, Store, StoredSli, SyncRow};
use nagare_server::AppState;
use prometheus::{Asked, Prometheus, Proxy};
use serde_json::{json, Value};
use std::path::Path;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// How long reads may lag the database (`Slos`' FRESH), and a margin.
const FRESH: std::time::Duration = std::time::Duration::from_millis(600);
/// An SLO's horizon for a 1d window: the window, the 7 days before it, and 1 ms.
const HORIZON: i64 = DAY + 7 * DAY + 1;

// ------------------------------------------------------------------------------ definitions

const SLOTH: &str = r#"version: prometheus/v1
service: checkout
window: 1d
slos:
  - name: availability
    objective: 99.5
    description: Checkout answers without a server error.
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="checkout",code="500"}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
"#;

fn pyrra_errors(metric: &str) -> String {
    format!(
        r#"apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: checkout-errors
  labels:
    pyrra.dev/service: checkout
spec:
  target: "99.5"
  window: 1d
  indicator:
    ratio:
      errors:
        metric: {metric}{{job="checkout",code="500"}}
      total:
        metric: {metric}{{job="checkout"}}
"#
    )
}

const PYRRA_LATENCY: &str = r#"apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: checkout-latency
  labels:
    pyrra.dev/service: checkout
spec:
  target: "99"
  window: 1d
  indicator:
    latency:
      success:
        metric: http_request_duration_seconds_bucket{job="checkout",le="0.3"}
      total:
        metric: http_request_duration_seconds_count{job="checkout"}
"#;

/// A query Prometheus refuses: the parenthesis of `sum(` is never closed.
const BROKEN: &str = r#"version: prometheus/v1
service: checkout
window: 1d
slos:
  - name: broken
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="checkout",code="500"}[{{.window}}])
        total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
"#;

/// The queries each SLO's sync must send, `{{window}}` resolved to the step.
const AVAILABILITY_BAD: &str = r#"sum(rate(http_requests_total{job="checkout",code="500"}[60s]))"#;
const AVAILABILITY_TOTAL: &str = r#"sum(rate(http_requests_total{job="checkout"}[60s]))"#;
const ERRORS_BAD: &str = r#"sum(increase(http_requests_total{job="checkout",code="500"}[60s]))"#;
const ERRORS_TOTAL: &str = r#"sum(increase(http_requests_total{job="checkout"}[60s]))"#;
const LATENCY_GOOD: &str =
    r#"sum(increase(http_request_duration_seconds_bucket{job="checkout",le="0.3"}[60s]))"#;
const LATENCY_TOTAL: &str =
    r#"sum(increase(http_request_duration_seconds_count{job="checkout"}[60s]))"#;

/// Each SLO of the files: id, what it counts, objective, and how close a stored value must be
/// (relative): `rate(…)` is per second and multiplied back by the step, so not exact.
struct Slo {
    id: &'static str,
    sli: Sli,
    objective: f64,
    tolerance: f64,
}

const AVAILABILITY: Slo = Slo {
    id: "checkout-availability",
    sli: Sli::Errors,
    objective: 0.995,
    tolerance: 1e-6,
};
const ERRORS: Slo = Slo {
    id: "checkout-errors",
    sli: Sli::Errors,
    objective: 0.995,
    tolerance: 1e-9,
};
const LATENCY: Slo = Slo {
    id: "checkout-latency",
    sli: Sli::Latency,
    objective: 0.99,
    tolerance: 1e-9,
};

// ----------------------------------------------------------------------------------- set-up

/// (Fields drop in order: Prometheus is stopped before its folder is removed.)
struct World {
    prometheus: Prometheus,
    proxy: Proxy,
    history: History,
    dir: tempfile::TempDir,
}

/// The history written up to now, Prometheus over it, and the proxy in front.
async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let history = History::ending_by(now_millis());
    let prometheus =
        Prometheus::start(&dir.path().join("prometheus"), &history.openmetrics()).await;
    let proxy = Proxy::start(&prometheus.url).await;
    World {
        prometheus,
        proxy,
        history,
        dir,
    }
}

impl World {
    /// A directory holding `files` (name, text).
    fn slo_dir(&self, name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
        let d = self.dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        for (file, text) in files {
            std::fs::write(d.join(file), text).unwrap();
        }
        d
    }

    fn prometheus_config(&self) -> PrometheusConfig {
        PrometheusConfig {
            url: self.proxy.url.clone(),
            auth: "none".into(),
            username: None,
            password_file: None,
            token_file: None,
            region: None,
            sigv4_service: "aps".into(),
            sync_secs: 60,
            max_points: 10_000,
            timeout_secs: 30,
        }
    }

    fn client(&self) -> PromClient {
        PromClient::from_config(&self.prometheus_config()).unwrap()
    }

    /// A process on the database at `url` with the SLO files of `slo_dir`.
    async fn state(&self, url: &str, slo_dir: &Path) -> AppState {
        let mut config = Config::default();
        config.server.dist_dir = "/nonexistent-dist".into();
        config.slo.dir = Some(slo_dir.to_owned());
        config.slo.prometheus = Some(self.prometheus_config());
        AppState::new(Store::open(url).await.unwrap(), config)
            .await
            .unwrap()
    }

    /// One sync pass, and the instants before and after it.
    async fn pass(&self, state: &AppState, max_points: i64) -> (String, i64, i64) {
        let before = now_millis();
        let said = sync::pass(state, &self.client(), max_points)
            .await
            .unwrap_or_else(|e| panic!("the pass failed: {e:#}\n{}", self.prometheus.log()));
        (said, before, now_millis())
    }
}

/// Where a sync reads to at `now`: the end of the last bucket that ended a step ago.
fn sync_end(now: i64) -> i64 {
    (now - STEP).div_euclid(STEP) * STEP
}

/// Where the first sync of a 1d SLO starts at `now`.
fn backfill_from(now: i64) -> i64 {
    (now - HORIZON + STEP).div_euclid(STEP) * STEP
}

fn sync_of(syncs: &[SyncRow], id: &str) -> SyncRow {
    syncs
        .iter()
        .find(|s| s.slo == id)
        .cloned()
        .unwrap_or_else(|| panic!("no sync row of {id}: {syncs:?}"))
}

/// The requests of one query, in order.
fn asked_for<'a>(asked: &'a [Asked], query: &str) -> Vec<&'a Asked> {
    asked.iter().filter(|a| a.query == query).collect()
}

fn close(got: f64, want: f64, tolerance: f64) -> bool {
    (got - want).abs() <= tolerance * want.abs().max(1.0)
}

#[track_caller]
fn assert_close(got: f64, want: f64, tolerance: f64, what: &str) {
    assert!(
        close(got, want, tolerance),
        "{what}: got {got}, want {want}"
    );
}

/// The stored buckets of `slo` are the history's, each once, from its first minute to
/// `until` (exclusive): no gap, no extra, no double count.
async fn assert_rows(store: &Store, h: &History, slo: &Slo, until: i64) -> Vec<StoredSli> {
    let rows = store.sli_range(slo.id, i64::MIN, i64::MAX).await.unwrap();
    let want = h.buckets(slo.sli, until);
    let starts: Vec<i64> = rows.iter().map(|r| r.row.start).collect();
    let want_starts: Vec<i64> = want.iter().map(|(s, _)| *s).collect();
    if starts != want_starts {
        let missing: Vec<_> = want_starts.iter().filter(|s| !starts.contains(s)).collect();
        let extra: Vec<_> = starts.iter().filter(|s| !want_starts.contains(s)).collect();
        panic!(
            "{}: {} buckets stored, {} expected; missing {:?}…, extra {:?}…",
            slo.id,
            starts.len(),
            want_starts.len(),
            &missing[..missing.len().min(5)],
            &extra[..extra.len().min(5)]
        );
    }
    for (r, (start, c)) in rows.iter().zip(&want) {
        let k = h.minute_of(*start).unwrap();
        assert_close(
            r.row.good,
            c.good,
            slo.tolerance,
            &format!("{} minute {k} good", slo.id),
        );
        assert_close(
            r.row.total,
            c.total,
            slo.tolerance,
            &format!("{} minute {k} total", slo.id),
        );
        assert_eq!(r.row.source, "prometheus");
    }
    rows
}

// ------------------------------------------------------------------------ expected evaluation

const BURN_WINDOWS: [(&str, i64); 7] = [
    ("5m", 5 * MINUTE),
    ("30m", 30 * MINUTE),
    ("1h", HOUR),
    ("2h", 2 * HOUR),
    ("6h", 6 * HOUR),
    ("1d", DAY),
    ("3d", 3 * DAY),
];

/// The SRE workbook's four conditions (Nagare's default): severity, factor, long, short.
const RULES: [(&str, f64, i64, i64); 4] = [
    ("page", 14.4, HOUR, 5 * MINUTE),
    ("page", 6.0, 6 * HOUR, 30 * MINUTE),
    ("ticket", 3.0, DAY, 2 * HOUR),
    ("ticket", 1.0, 3 * DAY, 6 * HOUR),
];

/// What a 1d SLO over the history evaluates to at `at`, with buckets synced up to `synced_to`.
struct Expected {
    window: Counts,
    remaining_percent: Option<f64>,
    burns: Vec<Option<f64>>,
    firing: Vec<bool>,
    alert: &'static str,
}

fn expected(h: &History, slo: &Slo, at: i64, synced_to: i64) -> Expected {
    let over = |w: i64| h.window(slo.sli, at - w, at, synced_to);
    let allowance = 1.0 - slo.objective;
    let burn = |c: Counts| (c.total > 0.0).then(|| c.bad() / c.total / allowance);
    let window = over(DAY);
    let burns = BURN_WINDOWS.iter().map(|(_, w)| burn(over(*w))).collect();
    let firing: Vec<bool> = RULES
        .iter()
        .map(|(_, factor, long, short)| {
            let above = |b: Option<f64>| b.is_some_and(|b| b > *factor);
            above(burn(over(*long))) && above(burn(over(*short)))
        })
        .collect();
    let alert = if firing[..2].iter().any(|f| *f) {
        "page"
    } else if firing[2..].iter().any(|f| *f) {
        "ticket"
    } else {
        "ok"
    };
    Expected {
        window,
        remaining_percent: burn(window).map(|b| (1.0 - b) * 100.0),
        burns,
        firing,
        alert,
    }
}

/// An SLO as the API shows it equals `e`.
#[track_caller]
fn assert_status(s: &Value, e: &Expected, tolerance: f64) {
    let id = s["id"].as_str().unwrap_or("?").to_owned();
    let num = |v: &Value, what: &str| {
        v.as_f64()
            .unwrap_or_else(|| panic!("{id}: {what} is {v}, not a number"))
    };
    assert_close(
        num(&s["good"], "good"),
        e.window.good,
        tolerance,
        &format!("{id} good"),
    );
    assert_close(
        num(&s["total"], "total"),
        e.window.total,
        tolerance,
        &format!("{id} total"),
    );
    match e.remaining_percent {
        Some(r) => assert_close(
            num(&s["budget"]["remaining_percent"], "remaining"),
            r,
            tolerance,
            &format!("{id} remaining budget %"),
        ),
        None => assert!(s["budget"].is_null(), "{id}: {}", s["budget"]),
    }
    let burns = s["burn_rates"].as_array().unwrap();
    assert_eq!(burns.len(), BURN_WINDOWS.len(), "{id}: {burns:?}");
    for ((b, (name, w)), want) in burns.iter().zip(BURN_WINDOWS).zip(&e.burns) {
        assert_eq!(b["window"], name, "{id}");
        assert_eq!(b["secs"], w / 1000, "{id}");
        match want {
            Some(x) => assert_close(
                num(&b["burn"], name),
                *x,
                tolerance,
                &format!("{id} {name} burn"),
            ),
            None => assert!(b["burn"].is_null(), "{id} {name}: {b}"),
        }
    }
    let alerts = s["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), RULES.len(), "{id}");
    for ((a, (severity, factor, long, short)), firing) in alerts.iter().zip(RULES).zip(&e.firing) {
        assert_eq!(a["severity"], severity, "{id}: {a}");
        assert_eq!(a["factor"], factor, "{id}: {a}");
        assert_eq!(a["long_secs"], long / 1000, "{id}: {a}");
        assert_eq!(a["short_secs"], short / 1000, "{id}: {a}");
        assert_eq!(a["firing"], *firing, "{id}: {a}");
    }
    assert_eq!(s["alert"], e.alert, "{id}");
}

fn at_param(at: i64) -> String {
    Timestamp(at).to_string()
}

async fn detail(state: &AppState, id: &str, at: i64) -> Value {
    let r = common::get(state, &format!("/api/v1/slos/{id}?at={}", at_param(at))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    r.json
}

/// `GET /api/v1/slos` (at now): the list and the instant it was evaluated at.
async fn list(state: &AppState) -> (Vec<Value>, i64) {
    let r = common::get(state, "/api/v1/slos").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let at = Timestamp::parse(r.json["at"].as_str().unwrap()).unwrap().0;
    (r.json["slos"].as_array().unwrap().clone(), at)
}

fn listed<'a>(slos: &'a [Value], id: &str) -> &'a Value {
    slos.iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("{id} is not listed: {slos:?}"))
}

/// The detail at the history's `at`, and the list at now, both equal to the history.
async fn assert_evaluations(state: &AppState, h: &History, slo: &Slo, synced_to: i64) {
    let at = h.at();
    let d = detail(state, slo.id, at).await;
    let e = expected(h, slo, at, synced_to);
    assert_status(&d["slo"], &e, slo.tolerance);
    assert_eq!(d["slo"]["data"]["source"], "prometheus");
    // The series (5-minute points for a day's window) adds up to the window.
    assert_eq!(d["series_step_secs"], 300);
    let points = d["series"].as_array().unwrap();
    let sum: f64 = points.iter().map(|p| p["total"].as_f64().unwrap()).sum();
    assert_close(
        sum,
        e.window.total,
        slo.tolerance,
        &format!("{} series total", slo.id),
    );
    // Now, from the list.
    let (slos, now) = list(state).await;
    let s = listed(&slos, slo.id);
    let w = h.window(slo.sli, now - DAY, now, synced_to);
    assert_close(
        s["good"].as_f64().unwrap(),
        w.good,
        slo.tolerance,
        &format!("{} good now", slo.id),
    );
    assert_close(
        s["total"].as_f64().unwrap(),
        w.total,
        slo.tolerance,
        &format!("{} total now", slo.id),
    );
}

// ------------------------------------------------------------------------------------ tests

#[tokio::test]
async fn synced_buckets_and_evaluations_equal_the_history_written() {
    let w = world().await;
    let h = w.history;
    let dir = w.slo_dir(
        "slos",
        &[
            ("availability.yml", SLOTH),
            ("errors.yaml", &pyrra_errors("http_requests_total")),
            ("latency.yaml", PYRRA_LATENCY),
            ("broken.yml", BROKEN),
        ],
    );
    for backend in common::backends() {
        let (url, _db) = common::fresh_url(backend).await;
        let state = w.state(&url, &dir).await;
        w.proxy.take();
        let (said, before, after) = w.pass(&state, 10_000).await;
        let asked = w.proxy.take();

        let syncs = state.store.slo_syncs().await.unwrap();
        let mut stored = 0;
        // Each SLO's progress (a minute may end between two SLOs of one pass).
        let mut synced_to = std::collections::HashMap::new();
        for slo in [&AVAILABILITY, &ERRORS, &LATENCY] {
            let s = sync_of(&syncs, slo.id);
            assert_eq!(s.last_error, None, "{backend} {}", slo.id);
            assert!(
                (sync_end(before)..=sync_end(after)).contains(&s.synced_to),
                "{backend} {}: synced to {} (pass from {before} to {after})",
                slo.id,
                s.synced_to
            );
            assert!(s.synced_to > h.at(), "the instant evaluated is synced");
            synced_to.insert(slo.id, s.synced_to);
            stored += assert_rows(&state.store, &h, slo, s.synced_to).await.len();
        }
        assert_eq!(
            said,
            format!("synced 3 SLOs from Prometheus ({stored} buckets); 1 failed"),
            "{backend}"
        );

        // The restart: Prometheus' increase adds the value after the drop (37), where the
        // counter's difference is negative. That minute's requests: 37 answered 200, no 500
        // (3710 mod 20 = 10), one 429 (3710 mod 10 = 0): 38, all good.
        assert_eq!(K_RESET, 3710);
        let reset = state
            .store
            .sli_range(AVAILABILITY.id, h.bucket(K_RESET), h.bucket(K_RESET) + STEP)
            .await
            .unwrap();
        assert_eq!(reset.len(), 1);
        assert_close(
            reset[0].row.total,
            RESET_TO + 1.0,
            1e-6,
            "the restart's minute",
        );
        assert_close(reset[0].row.good, 38.0, 1e-6, "the restart's minute");

        // What was asked: the step's window in each query, from the horizon's start (8 days
        // back, on the grid) to the last complete bucket, in pieces of at most 10 000 points.
        for (slo, events, total) in [
            (&AVAILABILITY, AVAILABILITY_BAD, AVAILABILITY_TOTAL),
            (&ERRORS, ERRORS_BAD, ERRORS_TOTAL),
            (&LATENCY, LATENCY_GOOD, LATENCY_TOTAL),
        ] {
            for q in [events, total] {
                let a = asked_for(&asked, q);
                assert_eq!(a.len(), 2, "{backend}: {q} asked {a:?}");
                let from = a[0].start - STEP;
                assert!(
                    from == backfill_from(before) || from == backfill_from(after),
                    "{backend}: {q} from {from}"
                );
                assert_eq!(a[0].end, from + 10_000 * STEP);
                assert_eq!(a[1].start, a[0].end + STEP, "no gap, no overlap");
                assert_eq!(a[1].end, synced_to[slo.id]);
                assert!(a.iter().all(|x| x.step == STEP && !x.refused));
            }
        }

        // Evaluated at the end of minute K_AT, by hand for the availability SLO (99.5 %):
        // - 5m, minutes 4306..=4310: 200s 100 + (1..=5) = 515 (4305 = 7 × 615); 500s 20 each
        //   = 100 (no k mod 20 = 0); one 429 (4310): total 616, bad 100, burn 100/616/0.005;
        // - 1h, minutes 4251..=4310: 200s 6000 + 182 (4251 mod 7 = 2: eight weeks of 21 and
        //   2+3+4+5); 500s 400 (the ten-minute burst) + 100 + 3 (4260, 4280, 4300) = 503; 429s
        //   6: total 6691, burn 503/6691/0.005 = 15.04 > 14.4, and 32.5 over 5m: page.
        assert_eq!(K_AT, 4310);
        let d = detail(&state, AVAILABILITY.id, h.at()).await;
        let burns = d["slo"]["burn_rates"].as_array().unwrap();
        assert_close(
            burns[0]["burn"].as_f64().unwrap(),
            100.0 / 616.0 / 0.005,
            1e-6,
            "5m",
        );
        assert_close(
            burns[2]["burn"].as_f64().unwrap(),
            503.0 / 6691.0 / 0.005,
            1e-6,
            "1h",
        );
        assert_eq!(d["slo"]["alert"], "page");
        assert_eq!(d["at"], at_param(h.at()));
        for slo in [&AVAILABILITY, &ERRORS, &LATENCY] {
            assert_evaluations(&state, &h, slo, synced_to[slo.id]).await;
        }
        assert_eq!(
            expected(&h, &LATENCY, h.at(), synced_to[LATENCY.id]).alert,
            "ok"
        );

        // The refused query: only that SLO failed, nothing of it is stored or marked as read,
        // and the list says why (once its half second of freshness has passed).
        let broken = sync_of(&syncs, "checkout-broken");
        assert_eq!(broken.synced_to, 0);
        let error = broken.last_error.unwrap();
        assert!(
            error.contains("parse error: unclosed left parenthesis"),
            "{error}"
        );
        assert!(state
            .store
            .sli_range("checkout-broken", i64::MIN, i64::MAX)
            .await
            .unwrap()
            .is_empty());
        tokio::time::sleep(FRESH).await;
        let (slos, _) = list(&state).await;
        assert_eq!(
            listed(&slos, "checkout-broken")["data"]["last_error"],
            error.as_str()
        );
        assert!(listed(&slos, AVAILABILITY.id)["data"]["last_error"].is_null());
    }
}

#[tokio::test]
async fn a_refused_query_fails_that_slo_only_and_its_page_says_why() {
    let w = world().await;
    let h = w.history;
    let dir = w.slo_dir(
        "slos",
        &[("availability.yml", SLOTH), ("broken.yml", BROKEN)],
    );
    for backend in common::backends() {
        let (url, _db) = common::fresh_url(backend).await;
        let state = w.state(&url, &dir).await;
        let (said, _, _) = w.pass(&state, 10_000).await;
        let syncs = state.store.slo_syncs().await.unwrap();
        let synced_to = sync_of(&syncs, AVAILABILITY.id).synced_to;
        let stored = assert_rows(&state.store, &h, &AVAILABILITY, synced_to)
            .await
            .len();
        assert_eq!(
            said,
            format!("synced 1 SLOs from Prometheus ({stored} buckets); 1 failed")
        );
        let error = sync_of(&syncs, "checkout-broken").last_error.unwrap();
        assert_eq!(
            error,
            "Prometheus rejected the query (HTTP 400, bad_data: 1:62: parse error: unclosed left \
             parenthesis); check the SLI's PromQL",
            "{backend}"
        );
        // The SLO's own page, past the half second reads may lag the database by.
        tokio::time::sleep(FRESH).await;
        let d = detail(&state, "checkout-broken", h.at()).await;
        assert_eq!(d["slo"]["data"]["last_error"], error.as_str(), "{backend}");
        assert_eq!(d["slo"]["total"], 0.0);
        assert!(d["slo"]["budget"].is_null());

        // Prometheus away for one pass, then back: the error shows, then clears. (The sync
        // is rewound a minute so that each pass has a bucket to read, whatever the clock.)
        let rewind = |state: &AppState| {
            let state = state.clone();
            async move {
                let s = sync_of(&state.store.slo_syncs().await.unwrap(), AVAILABILITY.id);
                let rewound = SyncRow {
                    synced_to: s.synced_to - STEP,
                    ..s
                };
                state.store.put_synced(&[], &rewound).await.unwrap();
            }
        };
        rewind(&state).await;
        w.proxy.take();
        w.proxy.allow(0);
        let (said, _, _) = w.pass(&state, 10_000).await;
        w.proxy.allow(usize::MAX);
        assert_eq!(said, "synced 0 SLOs from Prometheus (0 buckets); 2 failed");
        assert!(w.proxy.take().iter().all(|a| a.refused));
        tokio::time::sleep(FRESH).await;
        let d = detail(&state, AVAILABILITY.id, h.at()).await;
        let shown = d["slo"]["data"]["last_error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(shown.contains("Prometheus is down"), "{backend}: {shown}");
        rewind(&state).await;
        w.pass(&state, 10_000).await;
        tokio::time::sleep(FRESH).await;
        let d = detail(&state, AVAILABILITY.id, h.at()).await;
        assert!(
            d["slo"]["data"]["last_error"].is_null(),
            "{backend}: {}",
            d["slo"]["data"]
        );
    }
}

#[tokio::test]
async fn a_sync_cut_short_resumes_in_the_next_process_and_a_rewound_one_replaces() {
    let w = world().await;
    let h = w.history;
    let dir = w.slo_dir(
        "slos",
        &[("availability.yml", SLOTH), ("latency.yaml", PYRRA_LATENCY)],
    );
    for backend in common::backends() {
        let (url, _db) = common::fresh_url(backend).await;

        // Process A reads 12 pieces of 720 buckets (6 days from the horizon's start, which is 8
        // days back: into the history's first day), then Prometheus goes away.
        let a = w.state(&url, &dir).await;
        w.proxy.take();
        w.proxy.allow(24);
        let (said, _, _) = w.pass(&a, 720).await;
        assert_eq!(
            said, "synced 0 SLOs from Prometheus (0 buckets); 2 failed",
            "{backend}"
        );
        let asked = w.proxy.take();
        let first = asked_for(&asked, AVAILABILITY_BAD);
        assert_eq!(first.len(), 13, "{backend}: {asked:?}");
        assert!(first[12].refused && !first[11].refused);
        let from_a = first[0].start - STEP;
        for (i, q) in first.iter().enumerate() {
            assert_eq!(q.start, from_a + STEP + i as i64 * 720 * STEP);
        }
        let syncs = a.store.slo_syncs().await.unwrap();
        let cut = sync_of(&syncs, AVAILABILITY.id);
        assert_eq!(cut.synced_to, from_a + 12 * 720 * STEP, "{backend}");
        assert!(cut.synced_to > h.first && cut.synced_to < h.at());
        assert!(cut
            .last_error
            .unwrap()
            .contains("Prometheus is down (the test's proxy)"));
        assert_rows(&a.store, &h, &AVAILABILITY, cut.synced_to).await;
        let latency = sync_of(&syncs, LATENCY.id);
        assert_eq!(latency.synced_to, 0);
        assert!(latency.last_error.is_some());
        drop(a);

        // Process B on the same database, Prometheus back: it resumes where A stopped (each
        // sync reads its last few buckets again, for samples that arrive late).
        let reread = sync::REREAD * STEP;
        let b = w.state(&url, &dir).await;
        w.proxy.allow(usize::MAX);
        let (said, before, after) = w.pass(&b, 720).await;
        let asked = w.proxy.take();
        let resumed = asked_for(&asked, AVAILABILITY_BAD);
        assert_eq!(
            resumed[0].start,
            cut.synced_to - reread + STEP,
            "{backend}: not from where A stopped"
        );
        assert!(resumed.iter().all(|q| q.start > cut.synced_to - reread));
        let latency_first = asked_for(&asked, LATENCY_GOOD)[0].start - STEP;
        assert!(latency_first == backfill_from(before) || latency_first == backfill_from(after));
        let syncs = b.store.slo_syncs().await.unwrap();
        let done = sync_of(&syncs, AVAILABILITY.id);
        assert!(
            done.synced_to > cut.synced_to,
            "{backend}: synced_to did not advance"
        );
        assert_eq!(done.synced_to, resumed.last().unwrap().end);
        assert_eq!(done.last_error, None);
        let new = h.buckets(AVAILABILITY.sli, done.synced_to).len()
            - h.buckets(AVAILABILITY.sli, cut.synced_to - reread).len();
        let rows = assert_rows(&b.store, &h, &AVAILABILITY, done.synced_to).await;
        let lat = sync_of(&syncs, LATENCY.id);
        let lat_rows = assert_rows(&b.store, &h, &LATENCY, lat.synced_to).await;
        assert_eq!(
            said,
            format!(
                "synced 2 SLOs from Prometheus ({} buckets); 0 failed",
                new + lat_rows.len()
            ),
            "{backend}"
        );
        assert_evaluations(&b, &h, &AVAILABILITY, done.synced_to).await;
        assert_evaluations(&b, &h, &LATENCY, lat.synced_to).await;

        // A crash between a read and its commit, as far as the next sync can tell: the
        // progress rewound five hours, with the buckets after it still stored (here: spoiled).
        let rewound = done.synced_to - 5 * HOUR;
        b.store
            .put_synced(
                &[],
                &SyncRow {
                    synced_to: rewound,
                    updated_at: now_millis(),
                    ..done.clone()
                },
            )
            .await
            .unwrap();
        let spoiled: Vec<SliRow> = rows
            .iter()
            .filter(|r| r.row.start >= rewound)
            .map(|r| SliRow {
                good: 0.0,
                total: 1e6,
                source: "spoiled".into(),
                ..r.row.clone()
            })
            .collect();
        let in_range = h
            .buckets(AVAILABILITY.sli, done.synced_to)
            .iter()
            .filter(|(s, _)| *s >= rewound)
            .count();
        assert_eq!(spoiled.len(), in_range);
        assert!(
            in_range >= 240,
            "{in_range} buckets after the rewound point"
        );
        b.store.put_sli(&spoiled, None).await.unwrap();
        // Read by this process once it catches up (reads may lag the database by FRESH).
        tokio::time::sleep(FRESH).await;
        let d = detail(&b, AVAILABILITY.id, h.at()).await;
        assert!(
            d["slo"]["total"].as_f64().unwrap() > 1e8,
            "{backend}: the spoiled buckets are read"
        );
        let (_, before, after) = w.pass(&b, 720).await;
        let asked = w.proxy.take();
        let again = asked_for(&asked, AVAILABILITY_BAD);
        assert_eq!(
            again[0].start,
            rewound - reread + STEP,
            "{backend}: not from the rewound point"
        );
        assert!(again.iter().all(|q| q.start > rewound - reread));
        let end = sync_of(&b.store.slo_syncs().await.unwrap(), AVAILABILITY.id).synced_to;
        assert!((sync_end(before)..=sync_end(after)).contains(&end));
        // Replaced, not added: each bucket once, with the history's counts.
        assert_rows(&b.store, &h, &AVAILABILITY, end).await;
        assert_evaluations(&b, &h, &AVAILABILITY, end).await;
    }
}

#[tokio::test]
async fn changed_queries_drop_the_old_counts_and_read_them_again() {
    let w = world().await;
    let h = w.history;
    let dir = w.slo_dir(
        "slos",
        &[("errors.yaml", &pyrra_errors("http_requests_total"))],
    );
    const PORTAL: Slo = Slo {
        id: "checkout-portal",
        sli: Sli::Errors,
        objective: 0.995,
        tolerance: 1e-9,
    };
    let portal_v2 = Slo {
        sli: Sli::ErrorsV2,
        ..PORTAL
    };
    let errors_v2 = Slo {
        sli: Sli::ErrorsV2,
        ..ERRORS
    };
    let input = |metric: &str| {
        json!({
            "id": PORTAL.id,
            "name": "Checkout (portal)",
            "service": "checkout",
            "objective": 0.995,
            "window": "1d",
            "sli": {
                "kind": "ratio",
                "bad": format!("sum(increase({metric}{{job=\"checkout\",code=\"500\"}}[{{{{window}}}}]))"),
                "total": format!("sum(increase({metric}{{job=\"checkout\"}}[{{{{window}}}}]))"),
            }
        })
        .to_string()
    };
    for backend in common::backends() {
        let (url, _db) = common::fresh_url(backend).await;
        let a = w.state(&url, &dir).await;
        // Another replica on the same database.
        let replica = w.state(&url, &dir).await;
        let r = common::post(
            &a,
            "/api/v1/events",
            "application/x-ndjson",
            r#"{"kind":"service","name":"checkout","teams":["web"]}"#,
        )
        .await;
        assert!(r.status.is_success(), "{}", r.json);
        let r = common::post(
            &a,
            "/api/v1/slos",
            "application/json",
            input("http_requests_total"),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
        let (said, _, _) = w.pass(&a, 10_000).await;
        assert!(said.starts_with("synced 2 SLOs"), "{said}");
        let synced_to = sync_of(&a.store.slo_syncs().await.unwrap(), PORTAL.id).synced_to;
        assert_rows(&a.store, &h, &PORTAL, synced_to).await;
        assert_evaluations(&a, &h, &PORTAL, synced_to).await;
        // The replica serves the same meanwhile (its pages, without its list being asked).
        tokio::time::sleep(FRESH).await;
        assert_evaluations(&replica, &h, &PORTAL, synced_to).await;
        w.proxy.take();

        // The portal's SLO moves to the v2 metric, which has only the last 12 hours: the
        // old counts are dropped at once (in the database and in memory)...
        let r = common::call(
            &a,
            Request::put(format!("/api/v1/slos/{}", PORTAL.id))
                .header("content-type", "application/json")
                .body(Body::from(input("checkout_v2_requests_total")))
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        assert!(a
            .store
            .sli_range(PORTAL.id, i64::MIN, i64::MAX)
            .await
            .unwrap()
            .is_empty());
        assert!(a
            .store
            .slo_syncs()
            .await
            .unwrap()
            .iter()
            .all(|s| s.slo != PORTAL.id));
        let d = detail(&a, PORTAL.id, h.at()).await;
        assert_eq!(d["slo"]["total"], 0.0, "{backend}: old counts still read");
        // ...and read again from the horizon's start; the file's SLO goes on where it was.
        let (_, before, after) = w.pass(&a, 10_000).await;
        let asked = w.proxy.take();
        let v2_bad = r#"sum(increase(checkout_v2_requests_total{job="checkout",code="500"}[60s]))"#;
        let from = asked_for(&asked, v2_bad)[0].start - STEP;
        assert!(
            from == backfill_from(before) || from == backfill_from(after),
            "{backend}: {from}"
        );
        // (From its last buckets again, not from the horizon.)
        assert!(asked_for(&asked, ERRORS_BAD)
            .iter()
            .all(|q| q.start > synced_to - sync::REREAD * STEP));
        let synced_to = sync_of(&a.store.slo_syncs().await.unwrap(), PORTAL.id).synced_to;
        let rows = assert_rows(&a.store, &h, &portal_v2, synced_to).await;
        assert!(
            rows.len() as i64 <= V2_MINUTES,
            "only the v2 metric's {} rows",
            rows.len()
        );
        assert_eq!(rows[0].row.start, h.bucket(MINUTES - V2_MINUTES + 1));
        assert_evaluations(&a, &h, &portal_v2, synced_to).await;
        drop(a);

        // The file's SLO edited the same way, read by the next process.
        let edited = w.slo_dir(
            "edited",
            &[("errors.yaml", &pyrra_errors("checkout_v2_requests_total"))],
        );
        let c = w.state(&url, &edited).await;
        let (said, before, after) = w.pass(&c, 10_000).await;
        assert!(said.ends_with("; 0 failed"), "{said}");
        let asked = w.proxy.take();
        let from = asked_for(&asked, v2_bad)
            .iter()
            .map(|q| q.start - STEP)
            .min()
            .unwrap();
        assert!(
            from == backfill_from(before) || from == backfill_from(after),
            "{backend}: {from}"
        );
        let synced_to = sync_of(&c.store.slo_syncs().await.unwrap(), ERRORS.id).synced_to;
        assert_rows(&c.store, &h, &errors_v2, synced_to).await;
        assert_evaluations(&c, &h, &errors_v2, synced_to).await;

        // The other replica, which held the portal SLO's old counts, shows the new ones once
        // it has caught up: none of the old query's buckets stay in its memory.
        let synced_to = sync_of(&c.store.slo_syncs().await.unwrap(), PORTAL.id).synced_to;
        tokio::time::sleep(FRESH).await;
        assert_evaluations(&replica, &h, &portal_v2, synced_to).await;
    }
}

/// An SLO's page (`GET /api/v1/slos/{id}`) catches up with the database as the list does: an
/// SLO made on one replica is found on another without its list being asked first. (Found
/// while testing the sync: pages were served from what the process last caught up with.)
#[tokio::test]
async fn another_replica_s_slo_page_is_current() {
    for backend in common::backends() {
        let (url, _db) = common::fresh_url(backend).await;
        let state = |url: String| async move {
            let mut config = Config::default();
            config.server.dist_dir = "/nonexistent-dist".into();
            AppState::new(Store::open(&url).await.unwrap(), config)
                .await
                .unwrap()
        };
        let a = state(url.clone()).await;
        let b = state(url).await;
        let r = common::post(
            &a,
            "/api/v1/events",
            "application/x-ndjson",
            r#"{"kind":"service","name":"checkout","teams":["web"]}"#,
        )
        .await;
        assert!(r.status.is_success(), "{}", r.json);
        let slo = json!({
            "id": "checkout-pushed",
            "name": "Checkout (pushed)",
            "service": "checkout",
            "objective": 0.999,
            "window": "30d",
            "sli": {"kind": "pushed"}
        });
        let r = common::post(&a, "/api/v1/slos", "application/json", slo.to_string()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
        tokio::time::sleep(FRESH).await;
        let r = common::get(&b, "/api/v1/slos/checkout-pushed").await;
        assert_eq!(r.status, StatusCode::OK, "{backend}: {}", r.json);
    }
}
