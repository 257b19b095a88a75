//! A GitHub workflow started from the portal, end to end against the stand-in: the form read
//! from the workflow file at the ref, the dispatch (its run named, or found by listing when
//! GitHub answers 204, said to be a guess), the run followed to its failure, and the failed
//! job's last log lines fetched at once and kept in the run's log.

use crate::mock::{Creds, Expect, Mock, GITHUB_TOKEN};
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use nagare_server::config::{Config, WorkflowConfig};
use nagare_server::AppState;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tower::ServiceExt;

const CONTENTS: &str =
    "/repos/acme/deploy-tools/contents/.github/workflows/deploy.yml?ref=release%2F2";
const DISPATCH: &str = "/repos/acme/deploy-tools/actions/workflows/deploy.yml/dispatches";

async fn state(mock: &Mock, dir: &std::path::Path) -> AppState {
    let token = dir.join("token");
    std::fs::write(&token, GITHUB_TOKEN).unwrap();
    let mut c = Config::default();
    c.server.dist_dir = "/nonexistent-dist".into();
    c.sources.github.api_url = mock.base();
    c.sources.github.token_file = Some(token.clone());
    c.triggers.poll_secs = 0;
    c.sources.github.repos = vec![nagare_server::config::RepoRuleConfig {
        repo: "acme/deploy-tools".into(),
        service: "tools".into(),
        path: None,
        teams: vec!["platform".into()],
    }];
    c.triggers.workflows = vec![WorkflowConfig {
        name: "deploy".into(),
        title: None,
        description: String::new(),
        repo: "acme/deploy-tools".into(),
        workflow: "deploy.yml".into(),
        git_ref: "main".into(),
        service: "tools".into(),
        environment: None,
        roles: vec![],
        teams: vec![],
        approval: None,
    }];
    let url = format!("sqlite://{}", dir.join("t.db").display());
    let store = nagare_server::store::Store::open(&url).await.unwrap();
    AppState::new(store, c).await.unwrap()
}

async fn call(state: &AppState, method: &str, uri: &str, body: &str) -> (u16, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "127.0.0.1:8080")
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap();
    let resp = nagare_server::app(state.clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A workflow run as GitHub's API answers it (the fields the mapping reads).
fn gh_run(status: &str, conclusion: Option<&str>) -> Value {
    let updated = if conclusion.is_some() {
        "2026-01-01T00:04:00Z"
    } else {
        "2026-01-01T00:01:00Z"
    };
    json!({
        "id": 555, "name": "Deploy", "run_attempt": 1, "event": "workflow_dispatch",
        "status": status, "conclusion": conclusion, "head_branch": "release/2", "head_sha": "abc123",
        "created_at": "2026-01-01T00:00:00Z", "run_started_at": "2026-01-01T00:00:05Z", "updated_at": updated,
        "html_url": "https://github.com/acme/deploy-tools/actions/runs/555",
        "repository": {"id": 1, "name": "deploy-tools", "full_name": "acme/deploy-tools", "owner": {"login": "acme"}, "html_url": "https://github.com/acme/deploy-tools", "default_branch": "main"}
    })
}

/// A finished job of run 555 as GitHub's API answers it.
fn gh_job(id: u64, name: &str, conclusion: Option<&str>, steps: Vec<Value>) -> Value {
    json!({
        "id": id, "run_id": 555, "run_attempt": 1, "name": name, "workflow_name": "Deploy",
        "head_branch": "release/2", "head_sha": "abc123", "status": "completed", "conclusion": conclusion,
        "created_at": "2026-01-01T00:00:05Z", "started_at": "2026-01-01T00:00:10Z",
        "completed_at": "2026-01-01T00:03:00Z", "steps": steps
    })
}

fn workflow_file() -> Expect {
    use base64::Engine;
    let yaml = include_str!("deploy.yml");
    let content = base64::engine::general_purpose::STANDARD.encode(yaml);
    Expect::new("GET", CONTENTS, Creds::Github).answer(
        200,
        json!({"type": "file", "encoding": "base64", "content": content}),
    )
}

async fn until(state: &AppState, id: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let began = Instant::now();
    loop {
        let (_, run) = call(state, "GET", &format!("/api/v1/runs/{id}"), "").await;
        if ok(&run) {
            return run;
        }
        assert!(began.elapsed() < Duration::from_secs(20), "{what}: {run}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_workflow_started_from_the_portal_is_followed_to_its_failed_step() {
    let mock = Mock::start().await;
    let dir = tempfile::tempdir().unwrap();
    let state = state(&mock, dir.path()).await;
    // The form at the ref asked for, from the contents API (no git mirror).
    mock.expect(workflow_file());
    let (status, target) = call(&state, "GET", "/api/v1/triggers/deploy?ref=release/2", "").await;
    assert_eq!(status, 200, "{target}");
    assert_eq!(
        (
            target["inputs_ref"].as_str(),
            target["inputs_from"].as_str()
        ),
        (Some("release/2"), Some("contents API"))
    );
    let names: Vec<&str> = target["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(!names.is_empty(), "{target}");
    let mut inputs = serde_json::Map::new();
    for i in target["inputs"].as_array().unwrap() {
        let value = match (i["type"].as_str().unwrap(), i["default"].as_str()) {
            (_, Some(d)) => Value::String(d.to_owned()),
            ("choice", None) => i["options"][0].clone(),
            ("boolean", None) => Value::Bool(false),
            ("number", None) => json!(1),
            _ => Value::String("x".into()),
        };
        inputs.insert(i["name"].as_str().unwrap().to_owned(), value);
    }
    // Starting it reads the form again at that ref, then dispatches once.
    mock.expect(workflow_file());
    let sent: serde_json::Map<String, Value> = inputs
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                Value::String(match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                }),
            )
        })
        .collect();
    mock.expect(
        Expect::new("POST", DISPATCH, Creds::Github)
            .body(json!({"ref": "release/2", "inputs": sent, "return_run_details": true}))
            .answer(200, json!({"workflow_run_id": 555, "run_url": "https://api.github.com/repos/acme/deploy-tools/actions/runs/555", "html_url": "https://github.com/acme/deploy-tools/actions/runs/555"})),
    );
    let body = json!({"inputs": inputs, "ref": "release/2"}).to_string();
    let (status, run) = call(&state, "POST", "/api/v1/triggers/deploy/runs", &body).await;
    assert_eq!(status, 201, "{run}");
    let id = run["id"].as_str().unwrap().to_owned();
    let run = until(&state, &id, "never dispatched", |r| {
        r["provider_run_id"].is_string()
    })
    .await;
    // The pass that dispatched it ends before the next is asked for.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(run["provider_run_id"], "555");
    assert_eq!(
        run["provider_url"],
        "https://github.com/acme/deploy-tools/actions/runs/555"
    );
    assert_eq!(run["provider_run_guessed"], false);
    assert_eq!(run["status"], "running");
    // No webhook arrives here: each poll brings the run and its jobs to the pipelines pages,
    // marked as started from the portal, by whom (the `trigger` filter agrees).
    let runs = "/repos/acme/deploy-tools/actions/runs/555";
    let jobs = "/repos/acme/deploy-tools/actions/runs/555/jobs?per_page=100";
    mock.expect(Expect::new("GET", runs, Creds::Github).answer(200, gh_run("in_progress", None)));
    mock.expect(Expect::new("GET", jobs, Creds::Github).answer(
        200,
        json!({"total_count": 1, "jobs": [gh_job(70, "build", Some("success"), vec![])]}),
    ));
    nagare_server::triggers::dispatch::pass(&state)
        .await
        .unwrap();
    let (_, portal) = call(&state, "GET", "/api/v1/pipelines/runs?trigger=portal", "").await;
    assert_eq!(portal["total"], 1, "{portal}");
    let row = &portal["items"][0];
    assert_eq!(
        (
            row["id"].as_str(),
            row["trigger_kind"].as_str(),
            row["outcome"].as_str()
        ),
        (Some("github:555-1"), Some("portal"), Some("running")),
        "{row}"
    );
    assert_eq!(
        row["portal"],
        json!({"run": id, "requested_by": "Local user"})
    );
    let (_, manual) = call(&state, "GET", "/api/v1/pipelines/runs?trigger=manual", "").await;
    assert_eq!(manual["total"], 0, "{manual}");
    // Then it failed: the failed job's log tail is fetched at once.
    mock.expect(
        Expect::new("GET", runs, Creds::Github).answer(200, gh_run("completed", Some("failure"))),
    );
    let steps = vec![
        json!({"name": "Checkout", "number": 1, "status": "completed", "conclusion": "success"}),
        json!({"name": "Apply", "number": 2, "status": "completed", "conclusion": "failure"}),
    ];
    mock.expect(Expect::new("GET", jobs, Creds::Github).answer(200, json!({"total_count": 2, "jobs": [gh_job(70, "build", Some("success"), vec![]), gh_job(71, "deploy", Some("failure"), steps)]})));
    let signed = "/signed/71.txt?sig=x";
    mock.expect(
        Expect::new(
            "GET",
            "/repos/acme/deploy-tools/actions/jobs/71/logs",
            Creds::Github,
        )
        .text(302, "")
        .header("location", format!("{}{signed}", mock.base())),
    );
    mock.expect(
        Expect::new("GET", signed, Creds::Without).text(200, "step 1\nError: apply failed\n"),
    );
    nagare_server::triggers::dispatch::pass(&state)
        .await
        .unwrap();
    let done = until(&state, &id, "never ended", |r| r["status"] != "running").await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["sha"], "abc123");
    let (_, detail) = call(&state, "GET", "/api/v1/pipelines/runs/github:555-1", "").await;
    assert_eq!(
        (
            detail["run"]["outcome"].as_str(),
            detail["run"]["failed_jobs"].as_u64()
        ),
        (Some("failure"), Some(1)),
        "{detail}"
    );
    assert_eq!(detail["run"]["portal"]["run"], id.as_str());
    let (_, log) = call(&state, "GET", &format!("/api/v1/runs/{id}/log"), "").await;
    let text: String = log["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        text,
        "failed: job “deploy”, step “Apply”\nstep 1\nError: apply failed\n"
    );
    mock.finish();
    // A re-run of a run GitHub still re-runs: the same run, and the audit log says who asked.
    mock.expect(
        Expect::new(
            "POST",
            "/repos/acme/deploy-tools/actions/runs/555/rerun-failed-jobs",
            Creds::Github,
        )
        .text(201, ""),
    );
    let (status, again) = call(
        &state,
        "POST",
        &format!("/api/v1/runs/{id}/rerun"),
        r#"{"failed_only":true}"#,
    )
    .await;
    assert_eq!(status, 201, "{again}");
    let again_id = again["id"].as_str().unwrap().to_owned();
    let started = until(&state, &again_id, "re-run never sent", |r| {
        r["status"] == "running"
    })
    .await;
    // Claimed, then sent: the audit log's `run_started` says it reached GitHub.
    let began = Instant::now();
    loop {
        let (_, a) = call(&state, "GET", "/api/v1/audit?action=run_started", "").await;
        let sent = a["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["detail"].as_str().unwrap_or("").contains(&again_id));
        if sent {
            break;
        }
        assert!(
            began.elapsed() < Duration::from_secs(10),
            "the re-run never reached GitHub: {a}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        (
            started["provider_run_id"].as_str(),
            started["rerun_of"].as_str()
        ),
        (Some("555"), Some(id.as_str()))
    );
    mock.finish();
    let (_, audit) = call(
        &state,
        "GET",
        "/api/v1/audit?action=run_rerun_requested",
        "",
    )
    .await;
    assert!(
        audit["items"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("provider run 555"),
        "{audit}"
    );
}

#[tokio::test]
async fn a_dispatch_answered_204_is_matched_by_listing_and_said_to_be_a_guess() {
    let mock = Mock::start().await;
    let dir = tempfile::tempdir().unwrap();
    let state = state(&mock, dir.path()).await;
    let yaml_inputs =
        nagare_server::triggers::workflow::dispatch_inputs(include_str!("deploy.yml")).unwrap();
    let mut inputs = serde_json::Map::new();
    for i in &yaml_inputs {
        let v = i
            .default
            .clone()
            .or_else(|| i.options.first().cloned())
            .unwrap_or_else(|| "false".into());
        inputs.insert(i.name.clone(), Value::String(v));
    }
    mock.expect(workflow_file());
    mock.expect(
        Expect::new("POST", DISPATCH, Creds::Github)
            .body(json!({"ref": "release/2", "inputs": inputs, "return_run_details": true}))
            .answer(204, Value::Null),
    );
    let body = json!({"inputs": inputs, "ref": "release/2"}).to_string();
    let (status, run) = call(&state, "POST", "/api/v1/triggers/deploy/runs", &body).await;
    assert_eq!(status, 201, "{run}");
    let id = run["id"].as_str().unwrap().to_owned();
    let created = nagare_core::Timestamp(nagare_server::store::now_millis() + 1000)
        .to_datetime()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let list = |runs: Value| {
        Expect::new_matching_prefix("GET", "/repos/acme/deploy-tools/actions/workflows/deploy.yml/runs?event=workflow_dispatch&branch=release%2F2&created=%3E%3D", Creds::Github).answer(200, json!({"total_count": 1, "workflow_runs": runs}))
    };
    mock.expect(list(json!([{"id": 777, "head_branch": "release/2", "created_at": created, "html_url": "https://github.com/acme/deploy-tools/actions/runs/777", "actor": {"login": "nagare-bot"}}])));
    let run = until(&state, &id, "never matched", |r| {
        r["provider_run_id"].is_string() || r["status"] == "failed"
    })
    .await;
    assert_eq!(run["provider_run_id"], "777", "{run}");
    assert_eq!(run["provider_run_guessed"], true);
    mock.finish();
}

/// An approver of group `prod` (another person than the local user who asks).
fn approver() -> nagare_server::auth::Principal {
    nagare_server::auth::Principal {
        id: "approver-sub".into(),
        name: "Approver".into(),
        email: Some("approver@example.com".into()),
        role: nagare_core::api::Role::Admin,
        teams: vec![],
        via: nagare_server::auth::Via::Session {
            id_hash: "h".into(),
            csrf: "c".into(),
        },
    }
}

#[tokio::test]
async fn an_approval_approves_a_commit_and_a_moved_ref_is_not_dispatched() {
    let mock = Mock::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut state = state(&mock, dir.path()).await;
    let mut config = state.config.as_ref().clone();
    config.triggers.workflows[0].environment = Some("production".into());
    config.triggers.workflows[0].approval = Some(nagare_server::config::ApprovalConfig {
        group: "prod".into(),
        mode: nagare_core::api::ApprovalMode::Any,
    });
    config
        .triggers
        .approval_groups
        .insert("prod".into(), vec!["approver@example.com".into()]);
    // Not followed here: only the starts are asked about.
    config.triggers.poll_secs = 3600;
    state = AppState::new(state.store.clone(), config).await.unwrap();
    let commits = "/repos/acme/deploy-tools/commits/release%2F2";
    let yaml_inputs =
        nagare_server::triggers::workflow::dispatch_inputs(include_str!("deploy.yml")).unwrap();
    let mut inputs = serde_json::Map::new();
    for i in &yaml_inputs {
        let v = i
            .default
            .clone()
            .or_else(|| i.options.first().cloned())
            .unwrap_or_else(|| "false".into());
        inputs.insert(i.name.clone(), Value::String(v));
    }
    let body = json!({"inputs": inputs, "ref": "release/2"}).to_string();
    let ask = |sha: &'static str| {
        mock.expect(workflow_file());
        mock.expect(Expect::new("GET", commits, Creds::Github).answer(200, json!({"sha": sha})));
    };
    // Approved, and the ref still points at the approved commit: dispatched.
    ask("aaaaaaaaaaaaaaaa");
    let (status, run) = call(&state, "POST", "/api/v1/triggers/deploy/runs", &body).await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(
        (run["status"].as_str(), run["sha"].as_str()),
        (Some("awaiting_approval"), Some("aaaaaaaaaaaaaaaa"))
    );
    let id = run["id"].as_str().unwrap().to_owned();
    mock.expect(
        Expect::new("GET", commits, Creds::Github).answer(200, json!({"sha": "aaaaaaaaaaaaaaaa"})),
    );
    mock.expect(
        Expect::new("POST", DISPATCH, Creds::Github)
            .body(json!({"ref": "release/2", "inputs": inputs, "return_run_details": true}))
            .answer(200, json!({"workflow_run_id": 901, "run_url": "u", "html_url": "https://github.com/acme/deploy-tools/actions/runs/901"})),
    );
    nagare_server::triggers::requests::answer(
        &state,
        &approver(),
        &id,
        nagare_core::api::Decision::Approve,
        None,
        None,
    )
    .await
    .unwrap();
    let run = until(&state, &id, "never dispatched", |r| {
        r["provider_run_id"].is_string()
    })
    .await;
    assert_eq!(run["provider_run_id"], "901");
    mock.finish();
    // The branch moved between the request and its approval: nothing is dispatched.
    ask("aaaaaaaaaaaaaaaa");
    let (_, run) = call(&state, "POST", "/api/v1/triggers/deploy/runs", &body).await;
    let id = run["id"].as_str().unwrap().to_owned();
    mock.expect(
        Expect::new("GET", commits, Creds::Github).answer(200, json!({"sha": "bbbbbbbbbbbbbbbb"})),
    );
    nagare_server::triggers::requests::answer(
        &state,
        &approver(),
        &id,
        nagare_core::api::Decision::Approve,
        None,
        None,
    )
    .await
    .unwrap();
    let failed = until(&state, &id, "never ended", |r| r["status"] == "failed").await;
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.starts_with(
            "release/2 moved since the request was made and approved (aaaaaaaaaaaa → bbbbbbbbbbbb)"
        ),
        "{error}"
    );
    mock.finish();
}
