//! The Sources page's API over real GitHub deliveries (signed recorded payloads): counts by
//! verdict, the last ping, unmapped repositories with their rule, the deliveries list and a
//! payload with its secrets redacted, and replays from the API (audited). On both backends.

use super::github::{signed, with, SECRET};
use crate::auth::request;
use crate::common::*;
use axum::http::StatusCode;
use nagare_server::config::{Config, RepoRuleConfig};
use nagare_server::store::Store;
use nagare_server::AppState;
use serde_json::json;

async fn state(store: &Store, octo: bool) -> AppState {
    let mut config = Config::default();
    config.server.dist_dir = "/nonexistent-dist".into();
    config.sources.github.secrets = vec![SECRET.into()];
    config.sources.github.repos = vec![RepoRuleConfig {
        repo: "Codertocat/Hello-World".into(),
        service: "hello".into(),
        path: None,
        teams: Vec::new(),
    }];
    if octo {
        config.sources.github.repos.push(RepoRuleConfig {
            repo: "octo-org/*".into(),
            service: "octo".into(),
            path: None,
            teams: Vec::new(),
        });
    }
    AppState::new(store.clone(), config).await.unwrap()
}

#[tokio::test]
async fn the_sources_page_api_counts_hints_lists_redacts_and_replays() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let a = state(&store, false).await;
        let octo_status = with(fixture!("deployment_status"), |v| {
            v["repository"]["full_name"] = json!("octo-org/octo-repo");
            v["deployment"]["id"] = json!(777);
        });
        let ping = with(fixture!("ping"), |v| {
            v["hook"]["config"]["secret"] = json!("the-hook-secret-itself");
        });
        for (event, id, body, status) in [
            ("ping", "p-1", ping.as_str(), StatusCode::OK),
            (
                "workflow_run",
                "r-1",
                fixture!("workflow_run.completed"),
                StatusCode::OK,
            ),
            (
                "workflow_run",
                "r-1",
                fixture!("workflow_run.completed"),
                StatusCode::OK,
            ),
            (
                "deployment_status",
                "o-1",
                octo_status.as_str(),
                StatusCode::ACCEPTED,
            ),
            (
                "deployment_status",
                "o-2",
                octo_status.as_str(),
                StatusCode::ACCEPTED,
            ),
            (
                "deployment",
                "t-1",
                "{\"deployment\": ",
                StatusCode::BAD_REQUEST,
            ),
        ] {
            let r = signed(&a, event, id, body).await;
            assert_eq!(r.status, status, "{backend} {event} {id}: {}", r.json);
        }
        let r = get(&a, "/api/v1/sources").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        let gh = &r.json[0];
        assert_eq!(gh["name"], "github");
        assert_eq!(gh["configured"], true);
        assert_eq!(gh["webhook_path"], "/hooks/github");
        assert_eq!(gh["events"].as_array().unwrap().len(), 8);
        assert_eq!(
            gh["verdicts"],
            json!({"accepted": 1, "duplicate": 1, "ignored": 1, "unmapped": 2, "rejected": 1}),
            "{backend}: {gh}"
        );
        assert!(gh["last_ping_at"].is_string(), "{gh}");
        assert!(gh["last_delivery_at"].is_string(), "{gh}");
        assert_eq!(gh["unmapped"].as_array().unwrap().len(), 1, "{gh}");
        assert_eq!(gh["unmapped"][0]["key"], "octo-org/octo-repo");
        assert_eq!(gh["unmapped"][0]["deliveries"], 2);
        assert_eq!(
            gh["unmapped"][0]["rule"],
            "[[sources.github.repos]]\nrepo = \"octo-org/octo-repo\"\nservice = \"octo-repo\""
        );
        assert_eq!(r.json[1]["name"], "canonical");
        assert_eq!(r.json[1]["configured"], false);
        // The rules, as configured: the one repository rule and the defaults.
        let rules = get(&a, "/api/v1/sources/github/rules").await;
        assert_eq!(rules.status, StatusCode::OK, "{}", rules.json);
        assert_eq!(
            rules.json["repos"],
            json!([{"repo": "Codertocat/Hello-World", "service": "hello", "path": null, "teams": []}])
        );
        assert_eq!(rules.json["incident_labels"], json!(["incident"]));
        assert_eq!(rules.json["caused_by"], "caused-by:");
        assert_eq!(rules.json["deployments"], json!([]));

        let list = get(&a, "/api/v1/deliveries?source=github&verdict=unmapped").await;
        assert_eq!(list.json["total"], 2, "{}", list.json);
        assert_eq!(list.json["items"][0]["delivery_id"], "o-2", "newest first");
        assert_eq!(list.json["items"][0]["event"], "deployment_status");
        let pings = get(&a, "/api/v1/deliveries?event=ping").await;
        assert_eq!(pings.json["total"], 1);
        let id = pings.json["items"][0]["id"].as_i64().unwrap();
        let one = get(&a, &format!("/api/v1/deliveries/{id}")).await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.json);
        let shown = one.json["payload"].as_str().unwrap();
        assert!(!shown.contains("the-hook-secret-itself"), "{shown}");
        assert!(
            shown.contains("[redacted]") && shown.contains("smee.io"),
            "{shown}"
        );
        assert_eq!(one.json["redacted"], 1);
        let bad = get(&a, "/api/v1/deliveries?verdict=maybe").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad.json["field"], "verdict");
        for missing in ["0", "x", "99999"] {
            let r = get(&a, &format!("/api/v1/deliveries/{missing}")).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{missing}: {}", r.json);
        }

        // The rule added (a restart with it), then one delivery replayed from the page: the
        // deployment it touches is stored from both of its deliveries.
        let b = state(&store, true).await;
        let unmapped = list.json["items"][1]["id"].as_i64().unwrap();
        let r = request(
            &b,
            "POST",
            &format!("/api/v1/deliveries/{unmapped}/replay"),
            &[],
            "",
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        assert_eq!(
            (r.json["keys"].as_u64(), r.json["added"].as_u64()),
            (Some(1), Some(1)),
            "{}",
            r.json
        );
        assert_eq!(r.json["verdicts_changed"], 2, "{}", r.json);
        let d = get(
            &b,
            "/api/v1/deployments?from=2019-05-01T00:00:00Z&to=2019-07-01T00:00:00Z",
        )
        .await;
        assert_eq!(d.json["total"], 1, "{}", d.json);
        assert_eq!(d.json["items"][0]["service"], "octo");
        let r = get(&b, "/api/v1/sources").await;
        assert_eq!(r.json[0]["verdicts"]["unmapped"], 0, "{}", r.json);
        assert_eq!(r.json[0]["unmapped"], json!([]));
        // The whole source, with `since` and without; and a bad `since`.
        let r = request(
            &b,
            "POST",
            "/api/v1/sources/github/replay",
            &[("content-type", "application/json")],
            r#"{"since":"7d"}"#,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        assert_eq!(
            r.json["changed"].as_u64().unwrap() + r.json["added"].as_u64().unwrap(),
            0
        );
        let r = request(&b, "POST", "/api/v1/sources/github/replay", &[], "").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        // Every kept one (the rejected one too, kept whole), the duplicate not twice.
        assert_eq!(r.json["deliveries"], 5, "{}", r.json);
        assert_eq!(r.json["verdicts"]["rejected"], 1, "{}", r.json);
        let r = request(
            &b,
            "POST",
            "/api/v1/sources/github/replay",
            &[("content-type", "application/json")],
            r#"{"since":"yesterday"}"#,
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
        assert_eq!(r.json["field"], "since");
        let r = request(&b, "POST", "/api/v1/sources/canonical/replay", &[], "").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.json);
        let audit = get(&b, "/api/v1/audit?action=replay").await;
        // Three replays, and the refused one (failure).
        assert_eq!(audit.json["total"], 4, "{}", audit.json);
        assert_eq!(
            audit.json["items"][0]["outcome"], "failure",
            "{}",
            audit.json
        );
        assert!(
            audit.json["items"][3]["detail"]
                .as_str()
                .unwrap()
                .starts_with(&format!("delivery {unmapped}: replayed")),
            "{}",
            audit.json
        );

        // A deployment to an environment whose name says no tier (and no rule does): listed
        // with the rule to add, its name quoted as a TOML key.
        let r = get(&b, "/api/v1/sources").await;
        assert_eq!(r.json[0]["unmapped_environments"], json!([]), "{}", r.json);
        let eu = with(fixture!("deployment_status"), |v| {
            v["deployment"]["id"] = json!(888);
            v["deployment"]["environment"] = json!("eu \"live\"");
            v["deployment_status"]["environment"] = json!("eu \"live\"");
        });
        let r = signed(&b, "deployment_status", "e-1", &eu).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        let r = get(&b, "/api/v1/sources").await;
        let envs = &r.json[0]["unmapped_environments"];
        assert_eq!(envs.as_array().unwrap().len(), 1, "{backend}: {envs}");
        assert_eq!(envs[0]["key"], "eu \"live\"");
        assert_eq!(envs[0]["deliveries"], 1);
        assert_eq!(envs[0]["last_at"], "2019-05-15T15:20:55Z");
        let rule = envs[0]["rule"].as_str().unwrap();
        assert!(
            rule.starts_with("[sources.github.environments]\n\"eu \\\"live\\\"\" = \"production\""),
            "{rule}"
        );
        // A name a rule deliberately tiers `other` is not hinted.
        let mut ruled = b.config.as_ref().clone();
        ruled.sources.github.environments.insert(
            "EU \"Live\"".into(),
            nagare_core::events::EnvironmentTier::Other,
        );
        let c = AppState::new(store.clone(), ruled).await.unwrap();
        let shown = get(&c, "/api/v1/sources").await;
        assert_eq!(
            shown.json[0]["unmapped_environments"],
            json!([]),
            "{}",
            shown.json
        );
        let parsed: toml::Value = toml::from_str(rule).unwrap();
        assert_eq!(
            parsed["sources"]["github"]["environments"]["eu \"live\""].as_str(),
            Some("production")
        );
    }
}
