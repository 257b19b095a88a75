//! Slack notices, contract-tested against a local webhook that records what it is sent:
//! Block Kit payloads, one per owning team and transition, never twice (again, or from another
//! replica), recoveries, deployments' excess burn, and a webhook Slack no longer knows.

use super::*;
use axum::extract::{Path, State};
use axum::routing::post as route_post;
use axum::Router;
use nagare_server::slo::notify::{pass, Webhooks};
use nagare_server::store::Store;
use std::sync::{Arc, Mutex};

/// payments-api belongs to payments and sre; search-api to search.
const TEAMS: &str = r#"[{"kind":"team","name":"payments"},{"kind":"team","name":"search"},{"kind":"team","name":"sre"},
{"kind":"service","name":"payments-api","teams":["payments","sre"]},
{"kind":"service","name":"search-api","teams":["search"]}]"#;

const LINK_BASE: &str = "https://nagare.example.com";

/// What the webhook was sent: `(path, body)`.
#[derive(Clone, Default)]
struct Hook(Arc<Mutex<Vec<(String, Value)>>>);

impl Hook {
    fn to(&self, team: &str) -> Vec<Value> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p.ends_with(team))
            .map(|(_, b)| b.clone())
            .collect()
    }
    fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// Answers `ok`, as Slack does, except under `/gone…`: 404 `no_service`.
async fn receive(
    State(h): State<Hook>,
    Path(path): Path<String>,
    body: String,
) -> (axum::http::StatusCode, &'static str) {
    let v = serde_json::from_str(&body).unwrap_or(Value::String(body));
    h.0.lock().unwrap().push((path.clone(), v));
    if path.starts_with("gone") {
        (StatusCode::NOT_FOUND, "no_service")
    } else {
        (StatusCode::OK, "ok")
    }
}

async fn start_hook() -> (String, Hook) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hook = Hook::default();
    let app = Router::new()
        .route("/{*path}", route_post(receive))
        .with_state(hook.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, hook)
}

/// Webhooks for payments (from an environment variable), sre and search (from files), each to
/// `{hook}/{path}`.
fn slack_config(hook: &str, dir: &std::path::Path, paths: [&str; 3]) -> Config {
    let mut c = local_config();
    c.slo.slack.link_base = Some(format!("{LINK_BASE}/"));
    let var = format!(
        "NAGARE_TEST_SLACK_{}_{}",
        std::process::id(),
        dir.file_name()
            .unwrap()
            .to_string_lossy()
            .replace(|ch: char| !ch.is_ascii_alphanumeric(), "_")
    );
    std::env::set_var(&var, format!("{hook}/{}", paths[0]));
    let mut teams = vec![nagare_server::config::SlackTeamConfig {
        team: "payments".into(),
        webhook_url_file: None,
        webhook_url_env: Some(var),
    }];
    for (team, path) in [("sre", paths[1]), ("search", paths[2])] {
        let file = dir.join(team);
        std::fs::write(&file, format!("{hook}/{path}\n")).unwrap();
        teams.push(nagare_server::config::SlackTeamConfig {
            team: team.into(),
            webhook_url_file: Some(file),
            webhook_url_env: None,
        });
    }
    c.slo.slack.teams = teams;
    c
}

/// Two processes on one fresh database (one SQLite file, or one PostgreSQL database).
async fn replicas(
    backend: &str,
    config: &Config,
) -> (AppState, AppState, Option<tempfile::TempDir>) {
    let (url, dir) = fresh_url(backend).await;
    let a = AppState::new(Store::open(&url).await.unwrap(), config.clone())
        .await
        .unwrap();
    let b = AppState::new(Store::open(&url).await.unwrap(), config.clone())
        .await
        .unwrap();
    let r = post(&a, "/api/v1/events", "application/json", TEAMS).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    (a, b, dir)
}

/// Every minute of [T − 2h, T + 5m) with `bad` of 100 events, T this minute: at 20 bad every
/// burn rate is 20 (above 14.4 over 1h and 5m: page) whatever second of the minute it is read.
fn two_hours(slo: &str, bad: f64) -> Vec<String> {
    let t = this_minute();
    (-120..5)
        .map(|i| sample(slo, t + i * MINUTE, 100.0 - bad, 100.0))
        .collect()
}

/// The header, the section's fields and the buttons of a Block Kit message.
fn parts(m: &Value) -> (String, Vec<String>, Vec<String>) {
    let blocks = m["blocks"]
        .as_array()
        .unwrap_or_else(|| panic!("no blocks: {m}"));
    let of = |t: &str| {
        blocks
            .iter()
            .find(|b| b["type"] == t)
            .unwrap_or_else(|| panic!("no {t} block: {m}"))
    };
    assert_eq!(blocks[0]["type"], "header", "{m}");
    let header = of("header")["text"]["text"].as_str().unwrap().to_owned();
    let fields = of("section")["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["text"].as_str().unwrap().to_owned())
        .collect();
    let urls = of("actions")["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["url"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        m["text"].as_str().is_some_and(|t| !t.is_empty()),
        "a fallback text: {m}"
    );
    (header, fields, urls)
}

#[tokio::test]
async fn an_alert_is_told_once_to_each_team_and_its_end_too() {
    for backend in backends() {
        let (hook, got) = start_hook().await;
        let files = tempfile::tempdir().unwrap();
        let config = slack_config(&hook, files.path(), ["payments", "sre", "search"]);
        let hooks = Webhooks::from_config(&config.slo.slack).unwrap();
        let client = reqwest::Client::new();
        let (a, b, _dir) = replicas(backend, &config).await;
        create(&a, pushed_slo("pay-alert", "payments-api", 0.99, "1d")).await;
        create(&a, pushed_slo("search-quiet", "search-api", 0.99, "1d")).await;
        push_ok(&a, &two_hours("pay-alert", 20.0)).await;

        pass(&a, &hooks, &client).await.unwrap();
        assert_eq!(
            got.count(),
            2,
            "{backend}: one per owning team: {:?}",
            got.0.lock().unwrap()
        );
        assert_eq!(
            got.to("search"),
            Vec::<Value>::new(),
            "search owns no alerting SLO"
        );
        for team in ["payments", "sre"] {
            let msgs = got.to(team);
            assert_eq!(msgs.len(), 1, "{backend}: {team}");
            let (header, fields, urls) = parts(&msgs[0]);
            assert!(
                header.contains("SLO pay-alert") && header.contains("(page)"),
                "{header}"
            );
            assert!(
                fields.contains(&"*Service*\npayments-api".to_owned()),
                "{fields:?}"
            );
            assert!(
                fields
                    .iter()
                    .any(|f| f.starts_with("*Objective*\n99.000 %") && f.ends_with("over 1d")),
                "{fields:?}"
            );
            assert_eq!(urls, [format!("{LINK_BASE}/slos/pay-alert")]);
            assert!(
                msgs[0]["text"].as_str().unwrap().contains("ok → page"),
                "{}",
                msgs[0]
            );
        }
        // Again, here or on the other replica: nothing new to tell.
        pass(&a, &hooks, &client).await.unwrap();
        pass(&b, &hooks, &client).await.unwrap();
        assert_eq!(got.count(), 2, "{backend}: told twice");

        // Recovery: the same buckets, all good. Both replicas pass; one message per team.
        assert_eq!(push_ok(&a, &two_hours("pay-alert", 0.0)).await, (0, 125));
        pass(&b, &hooks, &client).await.unwrap();
        pass(&a, &hooks, &client).await.unwrap();
        assert_eq!(got.count(), 4, "{backend}: {:?}", got.0.lock().unwrap());
        for team in ["payments", "sre"] {
            let (header, _, urls) = parts(&got.to(team)[1]);
            assert!(header.contains("no longer alerts (was page)"), "{header}");
            assert_eq!(urls, [format!("{LINK_BASE}/slos/pay-alert")]);
        }
        let notices = a.store.slo_notices(50).await.unwrap();
        assert_eq!(notices.len(), 4, "{backend}: {notices:?}");
        assert!(
            notices
                .iter()
                .all(|n| n.2 == "alert" && n.3.is_some() && n.4.is_none()),
            "{notices:?}"
        );
    }
}

/// Two replicas passing at the same time after a transition (a lease that expired under a
/// slow holder): still one message per team and transition. A race, so run ten times over:
/// page, recovered, page again…
#[tokio::test]
async fn replicas_passing_together_tell_once() {
    for backend in backends() {
        let (hook, got) = start_hook().await;
        let files = tempfile::tempdir().unwrap();
        let config = slack_config(&hook, files.path(), ["payments", "sre", "search"]);
        let hooks = Webhooks::from_config(&config.slo.slack).unwrap();
        let client = reqwest::Client::new();
        let (a, b, _dir) = replicas(backend, &config).await;
        create(&a, pushed_slo("pay-alert", "payments-api", 0.99, "1d")).await;
        for round in 1..=10 {
            let bad = if round % 2 == 1 { 20.0 } else { 0.0 };
            push_ok(&a, &two_hours("pay-alert", bad)).await;
            let (ra, rb) = tokio::join!(pass(&a, &hooks, &client), pass(&b, &hooks, &client));
            ra.unwrap();
            rb.unwrap();
            assert_eq!(
                (got.to("payments").len(), got.to("sre").len()),
                (round, round),
                "{backend}: round {round}: {:?}",
                got.0.lock().unwrap()
            );
        }
    }
}

/// SLO `pay-burn` (99 %, 7d) and three production deployments, T this minute, 1000 events a
/// minute around each, 10 bad a minute (1 %: a burn just under 1, so no alert fires) in its
/// span after where said:
/// - dOld finished T − 30h: [T − 32h, T − 30h) clean, [T − 30h, T − 28h) bad. Excess 1200, but
///   its span ended 28 h ago: more than a day, not told.
/// - dB finished T − 5h: [T − 7h, T − 5h) clean, [T − 5h, T − 3h) bad. Excess 1200; its span
///   ended 3 h ago: told.
/// - dNew finished T − 1h: [T − 1h, T) bad. Excess 600, but its span has not ended: not yet.
///
/// Window total (240 + 240 + 60) × 1000 = 540 000: 5400 bad allowed. dB's 1200 is 22.2 % of it,
/// above the 10 % threshold.
#[tokio::test]
async fn a_deployment_that_burned_past_the_threshold_is_told_once() {
    for backend in backends() {
        let (hook, got) = start_hook().await;
        let files = tempfile::tempdir().unwrap();
        let config = slack_config(&hook, files.path(), ["payments", "sre", "search"]);
        let hooks = Webhooks::from_config(&config.slo.slack).unwrap();
        let client = reqwest::Client::new();
        let (a, _b, _dir) = replicas(backend, &config).await;
        create(&a, pushed_slo("pay-burn", "payments-api", 0.99, "7d")).await;
        let t = this_minute();
        let deps: Vec<String> = [("dOld", 30), ("dB", 5), ("dNew", 1)]
            .iter()
            .map(|(id, h)| {
                json!({"kind": "deployment", "id": id, "service": "payments-api", "environment": "production",
                       "status": "success", "finished_at": rfc3339(t - h * HOUR), "sha": format!("sha-{id}")})
                .to_string()
            })
            .collect();
        let r = post(
            &a,
            "/api/v1/events",
            "application/x-ndjson",
            deps.join("\n"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        let mut lines = Vec::new();
        for (from, clean, bad) in [
            (t - 32 * HOUR, 120, 120),
            (t - 7 * HOUR, 120, 120),
            (t - HOUR, 0, 60),
        ] {
            for i in 0..clean + bad {
                let bad_events = if i < clean { 0.0 } else { 10.0 };
                lines.push(sample(
                    "pay-burn",
                    from + i * MINUTE,
                    1000.0 - bad_events,
                    1000.0,
                ));
            }
        }
        push_ok(&a, &lines).await;
        let d = get_ok(&a, "/api/v1/slos/pay-burn").await;
        assert_eq!(d["slo"]["alert"], "ok", "{backend}: {}", d["slo"]["alerts"]);
        close(
            &d["deployments"][0]["excess_budget_percent"],
            1200.0 / 5400.0 * 100.0,
        );

        pass(&a, &hooks, &client).await.unwrap();
        assert_eq!(got.count(), 2, "{backend}: {:?}", got.0.lock().unwrap());
        for team in ["payments", "sre"] {
            let msgs = got.to(team);
            assert_eq!(msgs.len(), 1, "{team}");
            let (header, fields, urls) = parts(&msgs[0]);
            assert!(header.contains("Deployment dB burned 22.2 %"), "{header}");
            assert!(
                fields.contains(&"*Bad events*\n1200 after vs 0 before (+1200)".to_owned()),
                "{fields:?}"
            );
            assert_eq!(
                urls,
                [
                    format!("{LINK_BASE}/slos/pay-burn"),
                    format!("{LINK_BASE}/deployments/dB")
                ]
            );
        }
        pass(&a, &hooks, &client).await.unwrap();
        assert_eq!(got.count(), 2, "{backend}: told twice");
        let notices = a.store.slo_notices(50).await.unwrap();
        assert_eq!(
            notices.iter().filter(|n| n.2 == "burn").count(),
            2,
            "{notices:?}"
        );
    }
}

/// A webhook Slack answers 404: the pass goes on, and the notice keeps Slack's answer (never
/// the address, a secret).
#[tokio::test]
async fn a_webhook_refused_is_recorded_and_the_pass_goes_on() {
    for backend in backends() {
        let (hook, got) = start_hook().await;
        let files = tempfile::tempdir().unwrap();
        let config = slack_config(&hook, files.path(), ["gone-payments", "sre", "search"]);
        let hooks = Webhooks::from_config(&config.slo.slack).unwrap();
        let client = reqwest::Client::new();
        let (a, _b, _dir) = replicas(backend, &config).await;
        create(&a, pushed_slo("pay-alert", "payments-api", 0.99, "1d")).await;
        push_ok(&a, &two_hours("pay-alert", 20.0)).await;
        let said = pass(&a, &hooks, &client).await.unwrap();
        assert!(said.contains("1 failed"), "{backend}: {said}");
        assert_eq!(got.count(), 2, "both were tried");
        let notices = a.store.slo_notices(50).await.unwrap();
        let gone = notices
            .iter()
            .find(|n| n.1 == "payments")
            .unwrap_or_else(|| panic!("{notices:?}"));
        let error = gone
            .4
            .as_deref()
            .unwrap_or_else(|| panic!("no error: {gone:?}"));
        assert!(
            error.contains("404") && error.contains("no_service"),
            "{error}"
        );
        assert!(!error.contains(&hook), "the address is a secret: {error}");
        let sre = notices.iter().find(|n| n.1 == "sre").unwrap();
        assert_eq!((sre.3.is_some(), sre.4.clone()), (true, None), "{sre:?}");
    }
}
