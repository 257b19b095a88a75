//! Who may do what, under single sign-on: viewers and other teams' engineers are refused with
//! what is missing, tokens need the `trigger` scope, a requester cannot approve their own
//! request, and an approved production run starts.

use super::*;
use crate::auth::{request, signed_in, sso_config, start_idp, Browser, Idp};
use nagare_core::api::ApprovalMode;
use nagare_server::config::ApprovalConfig;

async fn as_user(
    state: &AppState,
    idp: &Idp,
    sub: &str,
    name: &str,
    email: &str,
    groups: &[&str],
) -> Browser {
    *idp.groups.lock().unwrap() = groups.iter().map(|g| (*g).to_owned()).collect();
    let (sub, name, email) = (sub.to_owned(), name.to_owned(), email.to_owned());
    *idp.tweak.lock().unwrap() = Some(Box::new(move |c: &mut Value| {
        c["sub"] = Value::String(sub.clone());
        c["name"] = Value::String(name.clone());
        c["email"] = Value::String(email.clone());
    }));
    signed_in(state, idp).await
}

/// `who` answers request `id` (`approve` or `reject`) with `body`.
async fn answer(
    state: &AppState,
    who: &Browser,
    id: &str,
    verb: &str,
    body: &str,
) -> crate::common::Reply {
    let uri = format!("/api/v1/approvals/{id}/{verb}");
    request(state, "POST", &uri, &who.json_write(), body).await
}

fn config(issuer: &str) -> Config {
    let mut c = sso_config(issuer);
    let mut prod = runbook(
        "prod-check",
        "payments-api",
        &["printf", "%s\\n", "checked production"],
        vec![],
    );
    prod.environment = Some("production".into());
    prod.approval = Some(ApprovalConfig {
        group: "prod".into(),
        mode: ApprovalMode::Any,
    });
    c.triggers.runbooks = vec![
        runbook(
            "pay-check",
            "payments-api",
            &["printf", "%s\\n", "ok"],
            vec![],
        ),
        runbook(
            "search-check",
            "search-api",
            &["printf", "%s\\n", "ok"],
            vec![],
        ),
        prod,
    ];
    c.triggers.approval_groups.insert(
        "prod".into(),
        vec!["ada@example.com".into(), "emil@example.com".into()],
    );
    c.triggers.pipelines = vec![nagare_server::config::PipelineConfig {
        name: "pay-release".into(),
        title: None,
        description: String::new(),
        project: "acme/payments".into(),
        git_ref: "main".into(),
        service: "payments-api".into(),
        environment: None,
        inputs: vec![],
        roles: vec![],
        teams: vec![],
        approval: None,
    }];
    c
}

#[tokio::test]
async fn grants_refuse_with_what_is_missing_and_approvals_never_come_from_the_requester() {
    let idp = start_idp().await;
    let (store, _dir) = fresh_store("sqlite").await;
    let state = AppState::new(store, config(&idp.issuer)).await.unwrap();
    let ada = as_user(
        &state,
        &idp,
        "ada-sub",
        "Ada Admin",
        "ada@example.com",
        &["platform-admins"],
    )
    .await;
    let r = request(
        &state,
        "POST",
        "/api/v1/events",
        &ada.json_write(),
        SERVICES,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let emil = as_user(
        &state,
        &idp,
        "emil-sub",
        "Emil Engineer",
        "emil@example.com",
        &["team-payments"],
    )
    .await;
    let vera = as_user(
        &state,
        &idp,
        "vera-sub",
        "Vera Viewer",
        "vera@example.com",
        &["dev-viewers"],
    )
    .await;
    let start = |b: &Browser, target: &str| {
        let (state, headers) = (
            state.clone(),
            b.json_write().map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let uri = format!("/api/v1/triggers/{target}/runs");
        async move {
            let h: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            request(&state, "POST", &uri, &h, "{}").await
        }
    };

    // A viewer sees the targets, may use no verb, and is refused with the role it lacks.
    let list = request(
        &state,
        "GET",
        "/api/v1/triggers",
        &[("cookie", &vera.cookie)],
        "",
    )
    .await;
    assert_eq!(list.json["targets"].as_array().unwrap().len(), 4);
    assert!(list.json["targets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["verbs"] == serde_json::json!([])));
    let r = start(&vera, "pay-check").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    assert_eq!(r.json["required_role"], "engineer");
    assert_eq!(
        r.json["error"],
        "trigger needs the engineer role; you are viewer"
    );

    // An engineer: their own team's service yes, another team's no (naming the owner).
    let r = start(&emil, "search-check").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    assert!(
        r.json["error"]
            .as_str()
            .unwrap()
            .starts_with("search-api belongs to search;"),
        "{}",
        r.json
    );
    let r = start(&emil, "pay-check").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let own = r.json["id"].as_str().unwrap().to_owned();
    assert_eq!(
        until_final(&state, &[("cookie", &emil.cookie)], &own).await["status"],
        "succeeded"
    );
    // GitLab variables may be secrets: shown to those who may start the target, hidden from a
    // viewer. (No GitLab token here, so the run itself fails at its start.)
    let body = r#"{"variables":{"DEPLOY_KEY":"s3cret"}}"#;
    let r = request(
        &state,
        "POST",
        "/api/v1/triggers/pay-release/runs",
        &emil.json_write(),
        body,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    assert_eq!(r.json["variables"]["DEPLOY_KEY"], "s3cret");
    let gl = r.json["id"].as_str().unwrap().to_owned();
    let seen = request(
        &state,
        "GET",
        &format!("/api/v1/runs/{gl}"),
        &[("cookie", &vera.cookie)],
        "",
    )
    .await;
    assert_eq!(
        seen.json["variables"]["DEPLOY_KEY"], "(hidden)",
        "{}",
        seen.json
    );
    let failed = until_final(&state, &[("cookie", &emil.cookie)], &gl).await;
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("triggers.gitlab.token_file"),
        "{failed}"
    );

    // Tokens: `read` is refused, `trigger` starts runs within its limit, and never approves.
    let token = |scopes: &str| {
        let (state, h) = (
            state.clone(),
            ada.json_write().map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let body = format!(r#"{{"name":"t-{scopes}","scopes":["{scopes}"]}}"#);
        async move {
            let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let r = request(&state, "POST", "/api/v1/tokens", &h, &body).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
            format!("Bearer {}", r.json["secret"].as_str().unwrap())
        }
    };
    let read = token("read").await;
    let trig = token("trigger").await;
    let bearer = |auth: &str, uri: &str| {
        let (state, auth, uri) = (state.clone(), auth.to_owned(), uri.to_owned());
        async move {
            request(
                &state,
                "POST",
                &uri,
                &[
                    ("authorization", &auth),
                    ("content-type", "application/json"),
                ],
                "{}",
            )
            .await
        }
    };
    let r = bearer(&read, "/api/v1/triggers/pay-check/runs").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    assert!(
        r.json["error"]
            .as_str()
            .unwrap()
            .contains("`trigger` scope"),
        "{}",
        r.json
    );
    let r = bearer(&trig, "/api/v1/triggers/search-check/runs").await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "an unlimited trigger token: {}",
        r.json
    );
    let r = bearer(&trig, "/api/v1/triggers/prod-check/runs").await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a request needing approval is a person's: {}",
        r.json
    );
    assert!(
        r.json["error"]
            .as_str()
            .unwrap()
            .contains("signed-in person"),
        "{}",
        r.json
    );
    // A token limited to search reads search's runs only: its page and its total.
    let h: Vec<(String, String)> = ada
        .json_write()
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let limited = request(
        &state,
        "POST",
        "/api/v1/tokens",
        &h,
        r#"{"name":"search-reader","scopes":["read"],"teams":["search"]}"#,
    )
    .await;
    assert_eq!(limited.status, StatusCode::CREATED, "{}", limited.json);
    let auth = format!("Bearer {}", limited.json["secret"].as_str().unwrap());
    for (query, total) in [
        ("service=payments-api", 0),
        ("", 1),
        ("service=search-api", 1),
    ] {
        let r = request(
            &state,
            "GET",
            &format!("/api/v1/runs?{query}"),
            &[("authorization", &auth)],
            "",
        )
        .await;
        assert_eq!(r.json["total"], total, "{query}: {}", r.json);
        assert_eq!(r.json["items"].as_array().unwrap().len(), total, "{query}");
    }

    // A production runbook waits for approval; its requester cannot approve it.
    let r = start(&emil, "prod-check").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    assert_eq!(r.json["status"], "awaiting_approval");
    assert_eq!(
        r.json["approval"]["waiting_for"],
        serde_json::json!(["ada@example.com"]),
        "the requester is not waited for"
    );
    assert!(!r.json["verbs"]
        .as_array()
        .unwrap()
        .contains(&Value::from("approve")));
    let id = r.json["id"].as_str().unwrap().to_owned();
    let mine = request(
        &state,
        "GET",
        "/api/v1/approvals",
        &[("cookie", &emil.cookie)],
        "",
    )
    .await;
    assert_eq!(mine.json["total"], 0, "not in Emil's queue: {}", mine.json);
    let r = answer(&state, &emil, &id, "approve", "{}").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    assert!(
        r.json["error"]
            .as_str()
            .unwrap()
            .starts_with("you asked for this run"),
        "{}",
        r.json
    );
    let r = bearer(&trig, &format!("/api/v1/approvals/{id}/approve")).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a token never approves: {}",
        r.json
    );
    // Still waiting: nothing ran.
    assert_eq!(
        request(
            &state,
            "GET",
            &format!("/api/v1/runs/{id}"),
            &[("cookie", &ada.cookie)],
            ""
        )
        .await
        .json["status"],
        "awaiting_approval"
    );
    // Someone whose provider has not verified the address they claim is not that approver.
    *idp.groups.lock().unwrap() = vec!["platform-admins".into()];
    *idp.tweak.lock().unwrap() = Some(Box::new(|c: &mut Value| {
        c["sub"] = Value::String("mallory-sub".into());
        c["name"] = Value::String("Mallory".into());
        c["email"] = Value::String("ada@example.com".into());
        c["email_verified"] = Value::Bool(false);
    }));
    let mallory = signed_in(&state, &idp).await;
    let r = answer(&state, &mallory, &id, "approve", "{}").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    assert!(
        r.json["error"]
            .as_str()
            .unwrap()
            .starts_with("only members of the approval group prod"),
        "{}",
        r.json
    );
    let queue = request(
        &state,
        "GET",
        "/api/v1/approvals",
        &[("cookie", &ada.cookie)],
        "",
    )
    .await;
    assert_eq!(queue.json["items"][0]["id"], id.as_str(), "{}", queue.json);
    assert_eq!(
        queue.json["items"][0]["command"],
        serde_json::json!(["printf", "%s\\n", "checked production"]),
        "the approver sees what will run"
    );
    let r = request(
        &state,
        "POST",
        &format!("/api/v1/approvals/{id}/approve"),
        &ada.json_write(),
        r#"{"comment":"go"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(r.json["approval"]["decisions"][0]["by"], "ada@example.com");
    let done = until_final(&state, &[("cookie", &ada.cookie)], &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let again = answer(&state, &ada, &id, "reject", "{}").await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // Rejected requests never run; the audit log names who did what.
    let r = start(&emil, "prod-check").await;
    let rejected = r.json["id"].as_str().unwrap().to_owned();
    let r = answer(&state, &ada, &rejected, "reject", "{}").await;
    assert_eq!(r.json["status"], "rejected", "{}", r.json);
    let audit = |action: &str| {
        let (state, cookie, action) = (state.clone(), ada.cookie.clone(), action.to_owned());
        async move {
            request(
                &state,
                "GET",
                &format!("/api/v1/audit?action={action}"),
                &[("cookie", &cookie)],
                "",
            )
            .await
            .json
        }
    };
    let requested = audit("run_requested").await;
    assert!(
        requested["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["actor"] == "emil-sub" && r["detail"].as_str().unwrap().contains(&id)),
        "{requested}"
    );
    let approved = audit("run_approved").await;
    assert_eq!(approved["items"][0]["actor"], "ada-sub", "{approved}");
    assert!(audit("run_rejected").await["items"][0]["detail"]
        .as_str()
        .unwrap()
        .contains(&rejected));
}
