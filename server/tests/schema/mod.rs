//! The generated OpenAPI document (`/api/v1/openapi.json`) against real replies: every
//! operation is called on a real store with the hand-computed scenario, in its success and its
//! error answers, and each reply must match the schema the document gives for that status:
//! every field named by the schema, every required field present, every value of its type.
//! A field added to a reply type without its schema, or a status the document does not list,
//! fails here.

mod costs;
mod slos;

use crate::auth::request;
use crate::common::*;
use crate::hooks::{deliver, hook_state, signed};
use nagare_core::Timestamp;
use serde_json::Value;

const SCENARIO: &str = include_str!("../fixtures/scenario.ndjson");
const WEEK: &str = "from=2024-03-04T00:00:00Z&to=2024-03-11T00:00:00Z";
const SECRET: &str = "a-hook-secret-for-the-schema-test";

/// The schema a `$ref` names (or the schema itself).
fn resolve<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    match s["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            let target = &doc["components"]["schemas"][name];
            assert!(!target.is_null(), "{r} is not in the document");
            resolve(doc, target)
        }
        None => s,
    }
}

/// The fields of an object schema, `allOf` parts merged: (name → schema, required names).
fn fields<'a>(
    doc: &'a Value,
    s: &'a Value,
    props: &mut Vec<(&'a str, &'a Value)>,
    req: &mut Vec<&'a str>,
) {
    let s = resolve(doc, s);
    if let Some(parts) = s["allOf"].as_array() {
        for p in parts {
            fields(doc, p, props, req);
        }
    }
    if let Some(p) = s["properties"].as_object() {
        props.extend(p.iter().map(|(k, v)| (k.as_str(), v)));
    }
    if let Some(r) = s["required"].as_array() {
        req.extend(r.iter().filter_map(Value::as_str));
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every difference between `v` and `schema`, each with where it is.
fn check(doc: &Value, schema: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    let s = resolve(doc, schema);
    if let Some(variants) = s["oneOf"].as_array() {
        let fits = variants
            .iter()
            .filter(|p| {
                let mut e = Vec::new();
                check(doc, p, v, at, &mut e);
                e.is_empty()
            })
            .count();
        if fits == 0 {
            out.push(format!("{at}: {v} fits none of the schema's variants"));
        }
        return;
    }
    if let Some(values) = s["enum"].as_array() {
        if !values.contains(v) {
            out.push(format!("{at}: {v} is not one of {values:?}"));
        }
        return;
    }
    let types: Vec<&str> = match &s["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let t = json_type(v);
    let ok =
        types.is_empty() || types.contains(&t) || (t == "integer" && types.contains(&"number"));
    if !ok {
        out.push(format!("{at}: a {t} ({v}), the schema says {types:?}"));
        return;
    }
    match v {
        Value::String(text) if s["format"] == "date-time" && Timestamp::parse(text).is_err() => {
            out.push(format!("{at}: `{text}` is not an RFC 3339 time"));
        }
        Value::Array(items) if !s["items"].is_null() => {
            for (i, item) in items.iter().enumerate() {
                check(doc, &s["items"], item, &format!("{at}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            let (mut props, mut req) = (Vec::new(), Vec::new());
            fields(doc, s, &mut props, &mut req);
            if props.is_empty() && s["allOf"].is_null() && s["properties"].is_null() {
                return; // a free-form object
            }
            for (k, val) in map {
                match props.iter().find(|(name, _)| name == k) {
                    Some((_, p)) => check(doc, p, val, &format!("{at}.{k}"), out),
                    None => out.push(format!("{at}.{k}: a field the schema does not name")),
                }
            }
            for r in req {
                if !map.contains_key(r) {
                    out.push(format!(
                        "{at}.{r}: required by the schema, missing from the reply"
                    ));
                }
            }
        }
        _ => {}
    }
}

/// Checks one reply against the document's answer for its operation and status.
pub fn conforms(doc: &Value, method: &str, template: &str, r: &Reply, seen: &mut Vec<String>) {
    let op = &doc["paths"][template][method];
    assert!(!op.is_null(), "{method} {template} is not in the document");
    let status = r.status.as_u16().to_string();
    let answer = &op["responses"][&status];
    assert!(
        !answer.is_null(),
        "{method} {template} answered {status}, which the document does not list: {}",
        r.json
    );
    let schema = &answer["content"]["application/json"]["schema"];
    assert!(
        !schema.is_null(),
        "{method} {template} {status}: the document gives no JSON schema, the reply is {}",
        r.json
    );
    let mut out = Vec::new();
    check(doc, schema, &r.json, "reply", &mut out);
    assert!(
        out.is_empty(),
        "{method} {template} {status} differs from the schema:\n  {}\nreply: {}",
        out.join("\n  "),
        r.json
    );
    seen.push(format!("{method} {template} {status}"));
}

#[tokio::test]
async fn every_reply_matches_the_generated_schema() {
    let doc: Value = serde_json::from_str(nagare_server::http::openapi_json()).unwrap();
    let (store, _dir) = fresh_store("sqlite").await;
    let state = hook_state(store, &[SECRET]).await;
    let mut seen = Vec::new();

    let r = post(&state, "/api/v1/events", "application/x-ndjson", SCENARIO).await;
    assert_eq!(r.status, 200, "{}", r.json);
    conforms(&doc, "post", "/api/v1/events", &r, &mut seen);
    let bad = r#"{"kind":"deployment","id":"x","service":"shop","environment":"production","status":"maybe","finished_at":"2024-03-05T00:00:00Z","sha":"c1"}"#;
    let r = post(&state, "/api/v1/events", "application/x-ndjson", bad).await;
    assert_eq!(r.status, 422, "{}", r.json);
    conforms(&doc, "post", "/api/v1/events", &r, &mut seen);

    let gets = [
        ("/healthz", "/healthz".to_owned()),
        ("/readyz", "/readyz".to_owned()),
        ("/api/v1/session", "/api/v1/session".to_owned()),
        ("/api/v1/services", "/api/v1/services".to_owned()),
        ("/api/v1/teams", "/api/v1/teams".to_owned()),
        (
            "/api/v1/metrics/dora",
            format!("/api/v1/metrics/dora?{WEEK}"),
        ),
        (
            "/api/v1/metrics/dora",
            format!("/api/v1/metrics/dora?{WEEK}&interval=day&tz=Asia/Tokyo"),
        ),
        (
            "/api/v1/metrics/dora",
            format!("/api/v1/metrics/dora?{WEEK}&team=web&lead_time_basis=merge"),
        ),
        (
            "/api/v1/metrics/dora",
            format!("/api/v1/metrics/dora?{WEEK}&benchmark=dora-2025&peers=size:solo&interval=day"),
        ),
        (
            "/api/v1/metrics/dora",
            "/api/v1/metrics/dora?environment_tier=prod".to_owned(),
        ),
        (
            "/api/v1/metrics/dora",
            "/api/v1/metrics/dora?team=a&team=b".to_owned(),
        ),
        (
            "/api/v1/metrics/dora/teams",
            format!("/api/v1/metrics/dora/teams?{WEEK}"),
        ),
        (
            "/api/v1/metrics/dora/teams",
            "/api/v1/metrics/dora/teams?team=web".to_owned(),
        ),
        (
            "/api/v1/deployments",
            "/api/v1/deployments?per_page=500".to_owned(),
        ),
        (
            "/api/v1/deployments",
            "/api/v1/deployments?failed=true".to_owned(),
        ),
        (
            "/api/v1/deployments",
            "/api/v1/deployments?per_page=0".to_owned(),
        ),
        (
            "/api/v1/deployments/{id}",
            "/api/v1/deployments/d1".to_owned(),
        ),
        (
            "/api/v1/deployments/{id}",
            "/api/v1/deployments/d4".to_owned(),
        ),
        (
            "/api/v1/deployments/{id}",
            "/api/v1/deployments/no-such".to_owned(),
        ),
        ("/api/v1/incidents", "/api/v1/incidents".to_owned()),
        (
            "/api/v1/pipelines/runs",
            "/api/v1/pipelines/runs?workflow=ci".to_owned(),
        ),
        (
            "/api/v1/pipelines/runs",
            "/api/v1/pipelines/runs?outcome=maybe".to_owned(),
        ),
        (
            "/api/v1/pipelines/runs/{id}",
            "/api/v1/pipelines/runs/github:9001-2".to_owned(),
        ),
        (
            "/api/v1/pipelines/runs/{id}",
            "/api/v1/pipelines/runs/github:404-1".to_owned(),
        ),
        (
            "/api/v1/pipelines/workflows",
            format!("/api/v1/pipelines/workflows?{WEEK}"),
        ),
        (
            "/api/v1/pipelines/workflows/trend",
            format!("/api/v1/pipelines/workflows/trend?{WEEK}&repo=acme/shop&workflow=ci&tz=Europe/Berlin"),
        ),
        (
            "/api/v1/pipelines/workflows/trend",
            format!("/api/v1/pipelines/workflows/trend?{WEEK}&repo=acme/shop"),
        ),
        (
            "/api/v1/pipelines/workflows/trend",
            format!("/api/v1/pipelines/workflows/trend?{WEEK}&repo=acme/shop&workflow=nope"),
        ),
        (
            "/api/v1/pipelines/flaky-jobs",
            format!("/api/v1/pipelines/flaky-jobs?{WEEK}"),
        ),
        (
            "/api/v1/metrics/value-stream",
            format!("/api/v1/metrics/value-stream?{WEEK}&interval=day"),
        ),
        (
            "/api/v1/metrics/value-stream",
            format!("/api/v1/metrics/value-stream?{WEEK}&chain=sideways"),
        ),
        (
            "/api/v1/pull-requests/{owner}/{name}/{number}/journey",
            "/api/v1/pull-requests/acme/shop/17/journey".to_owned(),
        ),
        (
            "/api/v1/pull-requests/{owner}/{name}/{number}/journey",
            "/api/v1/pull-requests/acme/shop/404/journey".to_owned(),
        ),
        (
            "/api/v1/incidents",
            "/api/v1/incidents?open=maybe".to_owned(),
        ),
    ];
    for (template, uri) in &gets {
        let r = get(&state, uri).await;
        conforms(&doc, "get", template, &r, &mut seen);
    }
    // The scenario's lists are not empty, so that their rows were checked too.
    let r = get(&state, "/api/v1/deployments").await;
    assert!(r.json["items"].as_array().unwrap().len() >= 5, "{}", r.json);
    let r = get(&state, "/api/v1/incidents").await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 3, "{}", r.json);

    // Tokens and the audit log (local mode: the local user is an admin).
    let new = r#"{"name":"schema-ci","scopes":["ingest"],"expires_at":"2030-01-01T00:00:00Z"}"#;
    let r = request(
        &state,
        "POST",
        "/api/v1/tokens",
        &[("content-type", "application/json")],
        new,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    conforms(&doc, "post", "/api/v1/tokens", &r, &mut seen);
    let id = r.json["id"].as_str().unwrap().to_owned();
    let r = request(
        &state,
        "POST",
        "/api/v1/tokens",
        &[("content-type", "application/json")],
        r#"{"name":""}"#,
    )
    .await;
    conforms(&doc, "post", "/api/v1/tokens", &r, &mut seen);
    let r = get(&state, "/api/v1/tokens").await;
    conforms(&doc, "get", "/api/v1/tokens", &r, &mut seen);
    let r = request(&state, "DELETE", &format!("/api/v1/tokens/{id}"), &[], "").await;
    assert_eq!(r.status, 200, "{}", r.json);
    conforms(&doc, "delete", "/api/v1/tokens/{id}", &r, &mut seen);
    let r = request(&state, "DELETE", "/api/v1/tokens/no-such", &[], "").await;
    conforms(&doc, "delete", "/api/v1/tokens/{id}", &r, &mut seen);
    let r = get(&state, "/api/v1/audit?per_page=100").await;
    assert!(
        !r.json["items"].as_array().unwrap().is_empty(),
        "{}",
        r.json
    );
    conforms(&doc, "get", "/api/v1/audit", &r, &mut seen);

    // The Sources page's API, over the deliveries so far.
    let r = get(&state, "/api/v1/sources").await;
    assert_eq!(r.status, 200, "{}", r.json);
    conforms(&doc, "get", "/api/v1/sources", &r, &mut seen);
    // A backfill phase that stopped, and a mirror whose fetch failed.
    state
        .store
        .backfill_start("github", "acme/api", "runs", 0)
        .await
        .unwrap();
    state
        .store
        .backfill_failed("github", "acme/api", "runs", "GitHub answered 502")
        .await
        .unwrap();
    let r = get(&state, "/api/v1/sources/github/rules").await;
    assert_eq!(r.status, 200, "{}", r.json);
    conforms(&doc, "get", "/api/v1/sources/github/rules", &r, &mut seen);
    let r = get(&state, "/api/v1/backfill").await;
    assert_eq!(r.json[0]["state"], "failed", "{}", r.json);
    conforms(&doc, "get", "/api/v1/backfill", &r, &mut seen);
    let mut config = state.config.as_ref().clone();
    config.sources.git.mirrors = vec![nagare_server::config::MirrorConfig {
        repo: "acme/api".into(),
        url: Some("/nonexistent/acme/api.git".into()),
        token_file: None,
    }];
    state
        .store
        .git_mirror_failed("acme/api", "/nonexistent/acme/api.git", "git clone failed")
        .await
        .unwrap();
    let mirrored = nagare_server::AppState::new(state.store.clone(), config)
        .await
        .unwrap();
    let r = get(&mirrored, "/api/v1/git-mirrors").await;
    assert_eq!(r.json[0]["error"], "git clone failed", "{}", r.json);
    conforms(&doc, "get", "/api/v1/git-mirrors", &r, &mut seen);
    // Tasks: a sync queued (202), asked again while open (409), of no such mirror (400),
    // with no mirror configured (422); a backfill without API access (422); the list.
    for (on, body, want) in [
        (&mirrored, "", 202),
        (&mirrored, r#"{"repo": "acme/api"}"#, 409),
        (&mirrored, r#"{"repo": "acme/web"}"#, 400),
        (&state, "", 422),
    ] {
        let r = request(
            on,
            "POST",
            "/api/v1/git-mirrors/sync",
            &[("content-type", "application/json")],
            body,
        )
        .await;
        assert_eq!(r.status, want, "{body}: {}", r.json);
        conforms(&doc, "post", "/api/v1/git-mirrors/sync", &r, &mut seen);
    }
    for body in ["", r#"{"since": "forever"}"#] {
        let r = request(
            &state,
            "POST",
            "/api/v1/backfill",
            &[("content-type", "application/json")],
            body,
        )
        .await;
        assert_eq!(
            r.status,
            if body.is_empty() { 422 } else { 400 },
            "{}",
            r.json
        );
        conforms(&doc, "post", "/api/v1/backfill", &r, &mut seen);
    }
    let r = get(&mirrored, "/api/v1/source-tasks").await;
    assert_eq!(r.json["tasks"][0]["state"], "queued", "{}", r.json);
    assert_eq!(r.json["backfill"]["available"], false, "{}", r.json);
    conforms(&doc, "get", "/api/v1/source-tasks", &r, &mut seen);
    let r = get(&state, "/api/v1/deliveries?per_page=5").await;
    assert_eq!(r.status, 200, "{}", r.json);
    conforms(&doc, "get", "/api/v1/deliveries", &r, &mut seen);
    let first = r.json["items"][0]["id"].as_i64().unwrap();
    let r = get(&state, "/api/v1/deliveries?verdict=maybe").await;
    conforms(&doc, "get", "/api/v1/deliveries", &r, &mut seen);
    for id in [first.to_string(), "999999".into()] {
        let r = get(&state, &format!("/api/v1/deliveries/{id}")).await;
        conforms(&doc, "get", "/api/v1/deliveries/{id}", &r, &mut seen);
        let r = request(
            &state,
            "POST",
            &format!("/api/v1/deliveries/{id}/replay"),
            &[],
            "",
        )
        .await;
        conforms(
            &doc,
            "post",
            "/api/v1/deliveries/{id}/replay",
            &r,
            &mut seen,
        );
    }
    for name in ["canonical", "github"] {
        let r = request(
            &state,
            "POST",
            &format!("/api/v1/sources/{name}/replay"),
            &[],
            "",
        )
        .await;
        conforms(&doc, "post", "/api/v1/sources/{name}/replay", &r, &mut seen);
    }

    // A webhook: stored, a duplicate, and forged.
    let body = r#"{"kind":"deployment","source":"hook","id":"h1","service":"shop","environment":"production","status":"success","finished_at":"2024-03-07T10:00:00Z","sha":"c4"}"#;
    for (sig, delivery) in [
        (signed(SECRET, body), "s1"),
        (signed(SECRET, body), "s1"),
        (signed("wrong-secret-wrong-secret", body), "s2"),
    ] {
        let r = deliver(&state, body, sig, delivery).await;
        conforms(&doc, "post", "/hooks/{source}", &r, &mut seen);
    }

    // Triggering runs: a runbook run and its log, a re-run, a cancel, an approval request
    // (the local user asked for it, so may not answer it).
    let mut config = state.config.as_ref().clone();
    let mut prod =
        crate::triggers::runbook("prod-echo", "shop", &["printf", "%s\\n", "prod"], vec![]);
    prod.environment = Some("production".into());
    prod.approval = Some(nagare_server::config::ApprovalConfig {
        group: "prod".into(),
        mode: nagare_core::api::ApprovalMode::Any,
    });
    config.triggers.runbooks = vec![
        crate::triggers::runbook(
            "echo",
            "shop",
            &["printf", "%s\\n", "{{text}}"],
            vec![crate::triggers::param("text", "string")],
        ),
        prod,
    ];
    config
        .triggers
        .approval_groups
        .insert("prod".into(), vec!["someone@example.com".into()]);
    let trig = nagare_server::AppState::new(state.store.clone(), config)
        .await
        .unwrap();
    for uri in ["/api/v1/triggers", "/api/v1/triggers?service=shop"] {
        conforms(
            &doc,
            "get",
            "/api/v1/triggers",
            &get(&trig, uri).await,
            &mut seen,
        );
    }
    for uri in ["/api/v1/triggers/echo", "/api/v1/triggers/nope"] {
        conforms(
            &doc,
            "get",
            "/api/v1/triggers/{target}",
            &get(&trig, uri).await,
            &mut seen,
        );
    }
    let json = [("content-type", "application/json")];
    let mut run_id = String::new();
    for (target, body, want) in [
        ("echo", r#"{"inputs":{"text":"hi"}}"#, 201),
        ("echo", r#"{"inputs":{}}"#, 400),
        ("nope", "{}", 404),
    ] {
        let r = request(
            &trig,
            "POST",
            &format!("/api/v1/triggers/{target}/runs"),
            &json,
            body,
        )
        .await;
        assert_eq!(r.status, want, "{}", r.json);
        conforms(
            &doc,
            "post",
            "/api/v1/triggers/{target}/runs",
            &r,
            &mut seen,
        );
        if want == 201 {
            run_id = r.json["id"].as_str().unwrap().to_owned();
        }
    }
    crate::triggers::until_final(&trig, &[], &run_id).await;
    conforms(
        &doc,
        "get",
        "/api/v1/runs",
        &get(&trig, "/api/v1/runs?status=succeeded").await,
        &mut seen,
    );
    for id in [run_id.as_str(), "no-such"] {
        conforms(
            &doc,
            "get",
            "/api/v1/runs/{id}",
            &get(&trig, &format!("/api/v1/runs/{id}")).await,
            &mut seen,
        );
        conforms(
            &doc,
            "get",
            "/api/v1/runs/{id}/log",
            &get(&trig, &format!("/api/v1/runs/{id}/log")).await,
            &mut seen,
        );
        for verb in ["cancel", "rerun"] {
            let r = request(
                &trig,
                "POST",
                &format!("/api/v1/runs/{id}/{verb}"),
                &json,
                "{}",
            )
            .await;
            conforms(
                &doc,
                "post",
                &format!("/api/v1/runs/{{id}}/{verb}"),
                &r,
                &mut seen,
            );
        }
    }
    let r = request(
        &trig,
        "POST",
        "/api/v1/triggers/prod-echo/runs",
        &json,
        "{}",
    )
    .await;
    assert_eq!(r.json["status"], "awaiting_approval", "{}", r.json);
    let waiting = r.json["id"].as_str().unwrap().to_owned();
    conforms(
        &doc,
        "get",
        "/api/v1/approvals",
        &get(&trig, "/api/v1/approvals").await,
        &mut seen,
    );
    for verb in ["approve", "reject"] {
        for (id, body) in [
            (waiting.as_str(), "{}"),
            ("no-such", "{}"),
            (waiting.as_str(), "["),
        ] {
            let r = request(
                &trig,
                "POST",
                &format!("/api/v1/approvals/{id}/{verb}"),
                &json,
                body,
            )
            .await;
            assert!([400, 403, 404].contains(&r.status.as_u16()), "{}", r.json);
            conforms(
                &doc,
                "post",
                &format!("/api/v1/approvals/{{id}}/{verb}"),
                &r,
                &mut seen,
            );
        }
    }

    slos::check(&doc, &state, &mut seen).await;
    costs::check(&doc, &state, &mut seen).await;

    let r = request(&state, "POST", "/auth/logout", &[], "").await;
    assert_eq!(r.status, 200, "{}", r.json);
    conforms(&doc, "post", "/auth/logout", &r, &mut seen);

    // Every operation of the document that answers JSON was checked, in some status.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let json = op["responses"]
                .as_object()
                .unwrap()
                .values()
                .any(|a| !a["content"]["application/json"].is_null());
            let html_only = [
                "/auth/login",
                "/auth/callback",
                "/api/docs",
                "/api/v1/openapi.json",
            ];
            if json && !html_only.contains(&path.as_str()) {
                let key = format!("{method} {path} ");
                assert!(
                    seen.iter().any(|s| s.starts_with(&key)),
                    "{method} {path} is documented but no reply of it was checked"
                );
            }
        }
    }
}

/// The checker itself: a reply with an undocumented field, a missing required field or a
/// value of the wrong type is caught.
#[test]
fn the_checker_catches_each_kind_of_difference() {
    let doc: Value = serde_json::from_str(nagare_server::http::openapi_json()).unwrap();
    let page = &doc["paths"]["/api/v1/incidents"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"];
    let good = serde_json::json!({"items": [], "total": 0, "page": 1, "per_page": 50});
    let mut out = Vec::new();
    check(&doc, page, &good, "r", &mut out);
    assert!(out.is_empty(), "{out:?}");
    for (bad, says) in [
        (
            serde_json::json!({"items": [], "total": 0, "page": 1, "per_page": 50, "extra": 1}),
            "r.extra: a field the schema does not name",
        ),
        (
            serde_json::json!({"items": [], "total": 0, "page": 1}),
            "r.per_page: required by the schema",
        ),
        (
            serde_json::json!({"items": [], "total": "0", "page": 1, "per_page": 50}),
            "r.total: a string",
        ),
        (
            serde_json::json!({"items": [{"id": 1}], "total": 1, "page": 1, "per_page": 50}),
            "r.items[0].id: a integer",
        ),
    ] {
        let mut out = Vec::new();
        check(&doc, page, &bad, "r", &mut out);
        assert!(out.iter().any(|e| e.starts_with(says)), "{bad}: {out:?}");
    }
    let tier = serde_json::json!({"$ref": "#/components/schemas/EnvironmentTier"});
    let mut out = Vec::new();
    check(&doc, &tier, &Value::String("prod".into()), "t", &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
}
