//! Triggering runs from the portal, through the HTTP API with real child processes: hostile
//! inputs, cancel, timeout (grandchildren too), the output cap, the live log, the audit trail
//! (`runbooks`); who may do what and approvals under single sign-on (`access`); several
//! replicas on one PostgreSQL and a crash mid-run (`replicas`).

mod access;
mod replicas;
mod runbooks;

use crate::common::*;
use axum::http::StatusCode;
use nagare_server::config::{Config, ParamConfig, RunbookConfig};
use nagare_server::AppState;
use serde_json::Value;
use std::time::{Duration, Instant};

/// A runbook of the tests' configuration.
pub fn runbook(
    name: &str,
    service: &str,
    argv: &[&str],
    params: Vec<ParamConfig>,
) -> RunbookConfig {
    RunbookConfig {
        name: name.into(),
        title: None,
        description: format!("test runbook {name}"),
        service: service.into(),
        environment: None,
        argv: argv.iter().map(|s| (*s).to_owned()).collect(),
        params,
        workdir: None,
        timeout_secs: 60,
        concurrency: 1,
        env: vec!["PATH".into()],
        roles: Vec::new(),
        teams: Vec::new(),
        approval: None,
    }
}

pub fn param(name: &str, kind: &str) -> ParamConfig {
    ParamConfig {
        name: name.into(),
        kind: kind.into(),
        description: None,
        required: true,
        default: None,
        options: Vec::new(),
        pattern: None,
        min: None,
        max: None,
        max_length: None,
    }
}

/// The catalogue the tests' runbooks act on: payments-api (payments) and search-api (search).
pub const SERVICES: &str = r#"[{"kind":"team","name":"payments"},{"kind":"team","name":"search"},
{"kind":"service","name":"payments-api","teams":["payments"]},
{"kind":"service","name":"search-api","teams":["search"]}]"#;

pub fn local_config(runbooks: Vec<RunbookConfig>) -> Config {
    let mut c = Config::default();
    c.server.dist_dir = "/nonexistent-dist".into();
    c.triggers.runbooks = runbooks;
    c.triggers.kill_grace_secs = 1;
    c
}

/// Waits until run `id` has ended; its reply.
pub async fn until_final(state: &AppState, headers: &[(&str, &str)], id: &str) -> Value {
    let started = Instant::now();
    loop {
        let r =
            crate::auth::request(state, "GET", &format!("/api/v1/runs/{id}"), headers, "").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        let s = r.json["status"].as_str().unwrap_or_default().to_owned();
        if !["awaiting_approval", "queued", "running"].contains(&s.as_str()) {
            return r.json;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "run {id} still {s} after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every chunk of run `id`'s log, concatenated per stream (`stdout`, `stderr`, `system`).
pub async fn log_text(
    state: &AppState,
    headers: &[(&str, &str)],
    id: &str,
    stream: &str,
) -> String {
    let r =
        crate::auth::request(state, "GET", &format!("/api/v1/runs/{id}/log"), headers, "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    r.json["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["stream"] == stream)
        .map(|c| c["text"].as_str().unwrap().to_owned())
        .collect()
}

/// The pids of the processes whose process group is `pgid` (from /proc).
pub fn group_members(pgid: i64) -> Vec<i64> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i64>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid pgrp …`: comm may hold spaces and parentheses.
        let Some(after) = stat.rsplit_once(')').map(|(_, a)| a) else {
            continue;
        };
        let fields: Vec<&str> = after.split_whitespace().collect();
        if fields.get(2).and_then(|g| g.parse::<i64>().ok()) == Some(pgid)
            && fields.first() != Some(&"Z")
        {
            out.push(pid);
        }
    }
    out
}

/// Starts the local-mode state with `config`, its catalogue posted.
pub async fn local_state(backend: &str, config: Config) -> (AppState, Option<tempfile::TempDir>) {
    let (store, dir) = fresh_store(backend).await;
    let state = AppState::new(store, config).await.unwrap();
    let r = post(&state, "/api/v1/events", "application/json", SERVICES).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    (state, dir)
}
