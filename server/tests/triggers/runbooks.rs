//! Runbooks run for real through the API (local mode: the one local admin), on SQLite and
//! PostgreSQL.

use super::*;
use crate::auth::request;

fn config() -> Config {
    let mut text = param("text", "string");
    text.max_length = Some(100_000);
    let mut n = param("n", "integer");
    n.min = Some(1.0);
    n.max = Some(5.0);
    let mut host = param("host", "string");
    host.pattern = Some("[a-z0-9.-]+".into());
    host.required = false;
    let mut slow = runbook(
        "slow",
        "payments-api",
        &["sh", "-c", "echo started; sleep 30; echo never"],
        vec![],
    );
    slow.timeout_secs = 60;
    let mut stuck = runbook(
        "stuck",
        "payments-api",
        &["sh", "-c", "sleep 300 & sleep 300 & echo spawned; wait"],
        vec![],
    );
    stuck.timeout_secs = 1;
    let mut c = local_config(vec![
        runbook(
            "echo",
            "payments-api",
            &["printf", "%s\\n", "{{text}}", "{{n}}", "--host={{host}}"],
            vec![text, n, host],
        ),
        slow,
        stuck,
        runbook(
            "noisy",
            "payments-api",
            &["sh", "-c", "yes line | head -c 200000"],
            vec![],
        ),
    ]);
    c.triggers.log_cap_kb = 8;
    c
}

async fn start(state: &AppState, target: &str, body: &str) -> crate::common::Reply {
    post(
        state,
        &format!("/api/v1/triggers/{target}/runs"),
        "application/json",
        body.to_owned(),
    )
    .await
}

#[tokio::test]
async fn hostile_inputs_are_refused_by_their_type_or_passed_as_inert_literals() {
    for backend in backends() {
        let (state, _dir) = local_state(backend, config()).await;
        for text in ["x; rm -rf /", "$(id)", "`id`", "../../etc/passwd", "a\nb"] {
            let body = serde_json::json!({"inputs": {"text": text, "n": 3}}).to_string();
            let r = start(&state, "echo", &body).await;
            assert_eq!(r.status, StatusCode::CREATED, "{backend}: {}", r.json);
            assert_eq!(r.json["status"], "queued");
            assert_eq!(
                r.json["command"],
                serde_json::json!(["printf", "%s\\n", text, "3"]),
                "{backend}: one argument per item, the unset optional --host item left out"
            );
            let id = r.json["id"].as_str().unwrap().to_owned();
            let done = until_final(&state, &[], &id).await;
            assert_eq!(done["status"], "succeeded", "{backend}: {done}");
            assert_eq!(done["exit_code"], 0);
            assert_eq!(
                log_text(&state, &[], &id, "stdout").await,
                format!("{text}\n3\n"),
                "{backend}: printed literally"
            );
        }
        // Refused by type, before anything runs: a pattern, a range, a length, an unknown input.
        for (body, field) in [
            (
                r#"{"inputs":{"text":"a","n":3,"host":"x; rm -rf /"}}"#,
                "inputs.host",
            ),
            (r#"{"inputs":{"text":"a","n":"3; id"}}"#, "inputs.n"),
            (r#"{"inputs":{"text":"a","n":9}}"#, "inputs.n"),
            (r#"{"inputs":{"text":"a","n":1,"bogus":1}}"#, "inputs.bogus"),
            (r#"{"inputs":{"n":1}}"#, "inputs.text"),
            // A whole argument that the program would read as an option.
            (
                r#"{"inputs":{"text":"--files0-from=/etc/passwd","n":1}}"#,
                "inputs.text",
            ),
        ] {
            let r = start(&state, "echo", body).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{backend}: {body}: {}",
                r.json
            );
            assert_eq!(r.json["field"], field, "{backend}: {}", r.json);
        }
        let mb = serde_json::json!({"inputs": {"text": "a".repeat(1 << 20), "n": 1}}).to_string();
        let r = start(&state, "echo", &mb).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{backend}");
        assert!(
            r.json["error"].as_str().unwrap().contains("at most 100000"),
            "{}",
            r.json
        );
        // Nothing of the refused requests was stored.
        let runs = get(&state, "/api/v1/runs?per_page=100").await;
        assert_eq!(runs.json["total"], 5, "{backend}: {}", runs.json);
        // Not JSON, or another content type.
        assert_eq!(
            start(&state, "echo", "{").await.status,
            StatusCode::BAD_REQUEST
        );
        let form = post(
            &state,
            "/api/v1/triggers/echo/runs",
            "application/x-www-form-urlencoded",
            "a=1",
        )
        .await;
        assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(
            start(&state, "nope", "{}").await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn cancel_and_timeout_stop_the_whole_process_group() {
    for backend in backends() {
        let (state, _dir) = local_state(backend, config()).await;
        // Cancel: the next heartbeat stops it; SIGTERM ends `sh` and its `sleep`.
        let r = start(&state, "slow", "{}").await;
        let id = r.json["id"].as_str().unwrap().to_owned();
        let began = Instant::now();
        loop {
            if log_text(&state, &[], &id, "stdout")
                .await
                .contains("started")
            {
                break;
            }
            assert!(
                began.elapsed() < Duration::from_secs(10),
                "{backend}: never started"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let c = post(
            &state,
            &format!("/api/v1/runs/{id}/cancel"),
            "application/json",
            "{}",
        )
        .await;
        assert_eq!(c.status, StatusCode::OK, "{backend}: {}", c.json);
        let done = until_final(&state, &[], &id).await;
        assert_eq!(done["status"], "cancelled", "{backend}: {done}");
        assert_eq!(done["cancelled_by"], "Local user");
        assert_eq!(done["signal"], 15, "{backend}: SIGTERM was enough");
        assert!(
            began.elapsed() < Duration::from_secs(15),
            "{backend}: well before the 30 s sleep"
        );
        assert!(!log_text(&state, &[], &id, "stdout").await.contains("never"));
        let again = post(
            &state,
            &format!("/api/v1/runs/{id}/cancel"),
            "application/json",
            "{}",
        )
        .await;
        assert_eq!(
            again.status,
            StatusCode::CONFLICT,
            "{backend}: already ended"
        );

        // Timeout: the shell and both background sleeps (grandchildren) are gone.
        let r = start(&state, "stuck", "{}").await;
        let id = r.json["id"].as_str().unwrap().to_owned();
        let done = until_final(&state, &[], &id).await;
        assert_eq!(done["status"], "timed_out", "{backend}: {done}");
        assert!(done["error"].as_str().unwrap().contains("timeout of 1 s"));
        let pgid = state
            .store
            .portal_run(&id)
            .await
            .unwrap()
            .unwrap()
            .pgid
            .unwrap();
        assert!(pgid > 1);
        assert_eq!(
            group_members(pgid),
            Vec::<i64>::new(),
            "{backend}: no process of the group is left"
        );
        let system = log_text(&state, &[], &id, "system").await;
        assert!(system.contains("timed_out after"), "{system}");
    }
}

#[tokio::test]
async fn output_over_the_cap_is_truncated_visibly_and_the_live_log_resumes() {
    for backend in backends() {
        let (state, _dir) = local_state(backend, config()).await;
        let r = start(&state, "noisy", "{}").await;
        let id = r.json["id"].as_str().unwrap().to_owned();
        let done = until_final(&state, &[], &id).await;
        assert_eq!(done["status"], "succeeded", "{backend}: {done}");
        let stdout = log_text(&state, &[], &id, "stdout").await;
        assert!(
            stdout.len() <= 8 * 1024 && stdout.len() > 8 * 1024 - 10,
            "{backend}: {} bytes kept",
            stdout.len()
        );
        assert!(stdout.lines().all(|l| l == "line"));
        let dropped = done["log"]["dropped_bytes"].as_u64().unwrap();
        assert_eq!(
            dropped as usize,
            200_000 - stdout.len(),
            "{backend}: every byte counted"
        );
        assert_eq!(done["log"]["truncated"], true);
        let system = log_text(&state, &[], &id, "system").await;
        assert!(
            system.contains(&format!(
                "[output truncated: {dropped} more bytes past the 8 KB cap were not kept]"
            )),
            "{system}"
        );

        // The live log from after the first chunk: every later chunk in order, then `end`.
        let req = axum::http::Request::get(format!("/api/v1/runs/{id}/log"))
            .header("accept", "text/event-stream")
            .header("last-event-id", "1")
            .body(axum::body::Body::empty())
            .unwrap();
        let sse = call(&state, req).await;
        assert_eq!(sse.status, StatusCode::OK);
        assert!(sse.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        let text = sse.json.as_str().unwrap().to_owned();
        let ids: Vec<u64> = text
            .lines()
            .filter_map(|l| l.strip_prefix("id: "))
            .map(|s| s.parse().unwrap())
            .collect();
        let last = done["log"]["last_seq"].as_u64().unwrap();
        assert_eq!(
            ids,
            (2..=last).collect::<Vec<_>>(),
            "{backend}: resumed after chunk 1"
        );
        assert!(text.contains("event: end\ndata: succeeded"), "{text}");
        // The JSON form agrees, and `after` pages.
        let json = get(&state, &format!("/api/v1/runs/{id}/log?after={last}")).await;
        assert_eq!(
            (
                json.json["chunks"].as_array().unwrap().len(),
                json.json["done"].as_bool()
            ),
            (0, Some(true))
        );

        // The audit log has the request and the ending.
        for action in ["run_requested", "run_started", "run_finished"] {
            let a = get(&state, &format!("/api/v1/audit?action={action}")).await;
            let rows = a.json["items"].as_array().unwrap();
            assert!(
                rows.iter()
                    .any(|r| r["detail"].as_str().unwrap().contains(&id)),
                "{backend}: {action}: {}",
                a.json
            );
        }
        let _ = request(&state, "GET", "/api/v1/runs", &[], "").await;
    }
}

#[tokio::test]
async fn a_request_nobody_approves_in_time_expires_and_never_runs() {
    let mut c = config();
    let mut prod = runbook("prod", "payments-api", &["printf", "%s\\n", "ran"], vec![]);
    prod.environment = Some("production".into());
    prod.approval = Some(nagare_server::config::ApprovalConfig {
        group: "prod".into(),
        mode: nagare_core::api::ApprovalMode::All,
    });
    c.triggers.runbooks.push(prod);
    c.triggers
        .approval_groups
        .insert("prod".into(), vec!["someone@example.com".into()]);
    let (state, _dir) = local_state("sqlite", c).await;
    let r = start(&state, "prod", "{}").await;
    assert_eq!(r.json["status"], "awaiting_approval", "{}", r.json);
    let id = r.json["id"].as_str().unwrap().to_owned();
    let expires =
        nagare_core::Timestamp::parse(r.json["approval"]["expires_at"].as_str().unwrap()).unwrap();
    let asked = nagare_core::Timestamp::parse(r.json["requested_at"].as_str().unwrap()).unwrap();
    assert_eq!(expires.0 - asked.0, 24 * 3_600_000, "approval_expiry_hours");
    // A pass before the time changes nothing.
    nagare_server::triggers::dispatch::pass(&state)
        .await
        .unwrap();
    assert_eq!(
        get(&state, &format!("/api/v1/runs/{id}")).await.json["status"],
        "awaiting_approval"
    );
    // The time passes (written into the stored request).
    let stored = state.store.portal_run(&id).await.unwrap().unwrap();
    let mut run = stored.run.clone();
    run.approval.as_mut().unwrap().expires_at =
        nagare_core::Timestamp(nagare_server::store::now_millis() - 1);
    assert!(state
        .store
        .swap_portal_run(&run, stored.version, &Default::default())
        .await
        .unwrap());
    nagare_server::triggers::dispatch::pass(&state)
        .await
        .unwrap();
    let done = get(&state, &format!("/api/v1/runs/{id}")).await.json;
    assert_eq!(done["status"], "expired", "{done}");
    assert_eq!(done["started_at"], Value::Null, "it never ran");
    assert_eq!(
        done["verbs"],
        serde_json::json!([]),
        "nothing more to do with it"
    );
    let a = get(&state, "/api/v1/audit?action=run_expired").await;
    assert!(
        a.json["items"][0]["detail"].as_str().unwrap().contains(&id),
        "{}",
        a.json
    );
    let late = post(
        &state,
        &format!("/api/v1/approvals/{id}/approve"),
        "application/json",
        "{}",
    )
    .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.json);
}
