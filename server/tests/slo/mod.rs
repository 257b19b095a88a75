//! SLOs (issue 12) through the HTTP API, every number worked by hand in the tests' comments:
//! - `numbers`: pushed counts → budget, burn rates, alerts, exhaustion, half-open windows; a
//!   calendar month; an instant older than what is held (read from the database);
//! - `attribution`: the deployments that burned the budget, and the SLOs of a deployment;
//! - `input`: hostile samples, bodies and parameters, refused whole; edits and deletes;
//! - `access`: what viewers, engineers, tokens and admins may read and write under SSO;
//! - `exports`: Prometheus rules and OpenSLO read back by the loader;
//! - `notify`: Slack notices against a local webhook, once across replicas.

mod access;
mod attribution;
mod exports;
mod input;
mod notify;
mod numbers;

use crate::common::*;
use axum::http::StatusCode;
use nagare_server::config::Config;
use nagare_server::AppState;
use serde_json::{json, Value};

pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

/// Teams payments and search, each owning one service.
pub const CATALOGUE: &str = r#"[{"kind":"team","name":"payments"},{"kind":"team","name":"search"},
{"kind":"service","name":"payments-api","teams":["payments"]},
{"kind":"service","name":"search-api","teams":["search"]}]"#;

/// Local mode (everyone an admin), no web app.
pub fn local_config() -> Config {
    let mut c = Config::default();
    c.server.dist_dir = "/nonexistent-dist".into();
    c
}

/// A fresh database on `backend` and a state on it with `config`, [`CATALOGUE`] ingested.
pub async fn slo_state(backend: &str, config: Config) -> (AppState, Option<tempfile::TempDir>) {
    let (store, dir) = fresh_store(backend).await;
    let state = AppState::new(store, config).await.unwrap();
    let r = post(&state, "/api/v1/events", "application/json", CATALOGUE).await;
    assert_eq!(r.status, StatusCode::OK, "{backend}: {}", r.json);
    (state, dir)
}

/// The current minute's start (ms).
pub fn this_minute() -> i64 {
    nagare_server::store::now_millis() / MINUTE * MINUTE
}

/// `ms` as RFC 3339 in UTC (`2025-03-01T00:00:00Z`).
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Milliseconds of an RFC 3339 instant.
pub fn ms(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap()
        .timestamp_millis()
}

/// An `sli_sample` NDJSON line.
pub fn sample(slo: &str, start: i64, good: f64, total: f64) -> String {
    json!({"kind": "sli_sample", "slo": slo, "bucket_start": rfc3339(start), "good": good, "total": total})
        .to_string()
}

/// Posts NDJSON lines to `/api/v1/events` in local mode.
pub async fn push(state: &AppState, lines: &[String]) -> Reply {
    post(
        state,
        "/api/v1/events",
        "application/x-ndjson",
        lines.join("\n"),
    )
    .await
}

/// Posts lines that must be stored; `(accepted, updated)`.
pub async fn push_ok(state: &AppState, lines: &[String]) -> (u64, u64) {
    let r = push(state, lines).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    (
        r.json["accepted"].as_u64().unwrap(),
        r.json["updated"].as_u64().unwrap(),
    )
}

/// The body of an SLO with a pushed SLI.
pub fn pushed_slo(id: &str, service: &str, objective: f64, window: &str) -> Value {
    json!({"id": id, "name": format!("SLO {id}"), "service": service, "objective": objective,
           "window": window, "sli": {"kind": "pushed"}})
}

/// The body of an SLO reading a ratio from Prometheus.
pub fn ratio_slo(id: &str, service: &str) -> Value {
    json!({"id": id, "name": format!("SLO {id}"), "description": "Requests answered without a 5xx",
           "service": service, "objective": 0.999, "window": "28d",
           "sli": {"kind": "ratio", "bad": "sum(rate(http_requests_total{job=\"api\",code=~\"5..\"}[{{window}}]))",
                   "total": "sum(rate(http_requests_total{job=\"api\"}[{{window}}]))"}})
}

/// `method uri` with a JSON body, in local mode.
pub async fn send(state: &AppState, method: &str, uri: &str, body: &Value) -> Reply {
    crate::auth::request(
        state,
        method,
        uri,
        &[("content-type", "application/json")],
        &body.to_string(),
    )
    .await
}

/// Creates an SLO that must be accepted.
pub async fn create(state: &AppState, body: Value) {
    let r = send(state, "POST", "/api/v1/slos", &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
}

/// `GET uri` that must answer 200; its JSON.
pub async fn get_ok(state: &AppState, uri: &str) -> Value {
    let r = get(state, uri).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.json);
    r.json
}

/// `GET /api/v1/slos/{id}?at=`.
pub async fn detail_at(state: &AppState, id: &str, at: i64) -> Value {
    get_ok(state, &format!("/api/v1/slos/{id}?at={}", rfc3339(at))).await
}

/// Within a relative 1e-9 of `expected` (absolute near zero).
pub fn close(v: &Value, expected: f64) {
    let got = v
        .as_f64()
        .unwrap_or_else(|| panic!("expected a number near {expected}, got {v}"));
    let tol = 1e-9 * expected.abs().max(1.0);
    assert!(
        (got - expected).abs() <= tol,
        "expected {expected}, got {got}"
    );
}

/// The burn rate of `slo` (a status) over `window` (`5m` … `3d`).
pub fn burn<'a>(slo: &'a Value, window: &str) -> &'a Value {
    &slo["burn_rates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["window"] == window)
        .unwrap_or_else(|| panic!("no {window} burn in {slo}"))["burn"]
}

/// Whether each alert condition fires, in the order of the SRE workbook's four.
pub fn firing(slo: &Value) -> Vec<bool> {
    slo["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["firing"].as_bool().unwrap())
        .collect()
}

/// The stored buckets of `slo`: `(start, good, total)` in order, read from the database.
pub async fn stored(state: &AppState, slo: &str) -> Vec<(i64, f64, f64)> {
    state
        .store
        .sli_range(slo, i64::MIN, i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.row.start, r.row.good, r.row.total))
        .collect()
}
