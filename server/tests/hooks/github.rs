//! `POST /hooks/github` with GitHub's recorded payloads (core/tests/fixtures/github,
//! octokit/webhooks, MIT), signed by the test: verified, deduplicated, merged into the store in
//! any order, and every hostile variant answered precisely with nothing half-stored. On
//! SQLite and PostgreSQL.

use super::hmac_sha256;
use crate::auth::request;
use crate::common::*;
use axum::http::StatusCode;
use nagare_server::config::{Config, RepoRuleConfig};
use nagare_server::store::Store;
use nagare_server::AppState;
use serde_json::{json, Value};

pub(super) const SECRET: &str = "github-webhook-secret-0123456789";

async fn github_state(store: Store) -> AppState {
    let mut config = Config::default();
    config.server.dist_dir = "/nonexistent-dist".into();
    config.sources.github.secrets = vec![SECRET.into()];
    config.sources.github.repos = vec![RepoRuleConfig {
        repo: "Codertocat/Hello-World".into(),
        service: "hello".into(),
        path: None,
        teams: Vec::new(),
    }];
    AppState::new(store, config).await.unwrap()
}

pub(super) fn sign(secret: &str, body: &str) -> String {
    format!("sha256={}", hmac_sha256(secret.as_bytes(), body.as_bytes()))
}

/// Posts `body` as GitHub does: event type, delivery id, JSON, signed with `signature`.
pub(super) async fn hook(
    state: &AppState,
    event: &str,
    id: &str,
    body: &str,
    signature: Option<&str>,
) -> Reply {
    let mut headers = vec![
        ("content-type", "application/json"),
        ("x-github-event", event),
        ("x-github-delivery", id),
        ("user-agent", "GitHub-Hookshot/044aadd"),
    ];
    if let Some(s) = signature {
        headers.push(("x-hub-signature-256", s));
    }
    request(state, "POST", "/hooks/github", &headers, body).await
}

pub(super) async fn signed(state: &AppState, event: &str, id: &str, body: &str) -> Reply {
    hook(state, event, id, body, Some(&sign(SECRET, body))).await
}

pub(super) fn with(body: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(body).unwrap();
    edit(&mut v);
    v.to_string()
}

/// Every stored event the deliveries made, as JSON text sorted (the services the repository
/// rules declare, stored at start-up before any delivery, left out).
pub(super) async fn stored(store: &Store) -> Vec<String> {
    let mut all: Vec<String> = every_event(store)
        .await
        .into_iter()
        .filter(|e| !e.starts_with("{\"kind\":\"service\""))
        .collect();
    all.sort();
    all
}

/// Every stored event, as JSON text sorted: the store's whole state.
pub(super) async fn every_event(store: &Store) -> Vec<String> {
    let rev = store.current_rev().await.unwrap();
    let mut all: Vec<String> = store
        .events_between(0, rev)
        .await
        .unwrap()
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    all.sort();
    all
}

async fn verdicts(store: &Store) -> Vec<String> {
    let mut v: Vec<String> = store
        .recent_deliveries(1000)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.verdict)
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn a_deployment_and_its_status_end_in_one_state_in_either_order() {
    for backend in backends() {
        let mut states = Vec::new();
        for status_first in [true, false] {
            let (store, _dir) = fresh_store(backend).await;
            let state = github_state(store.clone()).await;
            let created = ("deployment", "d-1", fixture!("deployment"));
            let status = ("deployment_status", "d-2", fixture!("deployment_status"));
            let order = if status_first {
                [status, created]
            } else {
                [created, status]
            };
            for (event, id, body) in order {
                let r = signed(&state, event, id, body).await;
                assert_eq!(r.status, StatusCode::OK, "{backend} {event}: {}", r.json);
            }
            let r = get(&state, "/api/v1/deployments?environment_tier=production").await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.json);
            assert_eq!(r.json["total"], 1, "{backend}: {}", r.json);
            let row = &r.json["items"][0];
            assert_eq!(row["status"], "success", "{backend}: {row}");
            assert_eq!(row["service"], "hello");
            assert_eq!(row["finished_at"], "2019-05-15T15:20:55Z");
            states.push(stored(&store).await);
            assert_eq!(verdicts(&store).await, ["accepted", "accepted"]);
            let mut events: Vec<Option<String>> = store
                .recent_deliveries(10)
                .await
                .unwrap()
                .into_iter()
                .map(|d| d.event)
                .collect();
            events.sort();
            assert_eq!(
                events,
                [
                    Some("deployment".to_owned()),
                    Some("deployment_status".to_owned())
                ],
                "the event type is kept for replay"
            );
        }
        assert_eq!(states[0], states[1], "{backend}: the order does not matter");
    }
}

#[tokio::test]
async fn a_status_that_changes_nothing_is_counted_neither_new_nor_updated() {
    let (store, _dir) = fresh_store("sqlite").await;
    let state = github_state(store.clone()).await;
    let r = signed(
        &state,
        "deployment_status",
        "s-1",
        fixture!("deployment_status"),
    )
    .await;
    assert_eq!(
        (r.json["accepted"].as_u64(), r.json["updated"].as_u64()),
        (Some(1), Some(0))
    );
    let rev = store.current_rev().await.unwrap();
    // The older state, delivered later: merged, it changes nothing.
    let r = signed(&state, "deployment", "s-2", fixture!("deployment")).await;
    assert_eq!(
        (r.json["accepted"].as_u64(), r.json["updated"].as_u64()),
        (Some(0), Some(0)),
        "{}",
        r.json
    );
    let after = store
        .events_between(rev, store.current_rev().await.unwrap())
        .await
        .unwrap();
    assert!(after.is_empty(), "nothing rewritten: {after:?}");
}

#[tokio::test]
async fn forged_deliveries_are_refused_logged_and_never_stored() {
    capture_logs();
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let state = github_state(store.clone()).await;
        let body = fixture!("deployment_status");
        let r = hook(&state, "deployment_status", "f-1", body, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.json);
        assert!(r.json["error"]
            .as_str()
            .unwrap()
            .contains("x-hub-signature-256"));
        let r = hook(
            &state,
            "deployment_status",
            "f-2",
            body,
            Some(&sign("another-secret-0123456789", body)),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let other = fixture!("deployment");
        let r = hook(
            &state,
            "deployment_status",
            "f-3",
            body,
            Some(&sign(SECRET, other)),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = hook(&state, "deployment_status", "f-4", body, Some("sha256=zz")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(verdicts(&store).await.is_empty(), "{backend}: nothing kept");
        assert!(stored(&store).await.is_empty());
    }
    let logs = logs();
    assert!(
        logs.contains("webhook delivery refused") && logs.contains("f-3"),
        "{logs}"
    );
    assert!(!logs.contains(SECRET), "the secret is never logged");
}

#[tokio::test]
async fn a_redelivery_is_a_duplicate_and_changes_nothing() {
    let (store, _dir) = fresh_store("sqlite").await;
    let state = github_state(store.clone()).await;
    let body = fixture!("workflow_run.completed");
    let r = signed(&state, "workflow_run", "r-1", body).await;
    assert_eq!(
        (r.status, r.json["accepted"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{}",
        r.json
    );
    let before = (stored(&store).await, verdicts(&store).await);
    let r = signed(&state, "workflow_run", "r-1", body).await;
    assert_eq!(
        (r.status, r.json["duplicate"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    assert_eq!((stored(&store).await, verdicts(&store).await), before);
}

#[tokio::test]
async fn hostile_and_unused_deliveries_get_precise_answers_and_lose_nothing() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let state = github_state(store.clone()).await;
        let full = fixture!("deployment_status");

        // Truncated JSON: 400, kept as rejected.
        let cut = &full[..full.len() / 2];
        let r = signed(&state, "deployment_status", "h-1", cut).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{backend}: {}", r.json);
        assert!(r.json["error"]
            .as_str()
            .unwrap()
            .contains("deployment_status"));

        // Form-encoded (GitHub's other content type): 415 saying which setting to change.
        let form = format!("payload={}", full.replace(' ', "+"));
        let r = request(
            &state,
            "POST",
            "/hooks/github",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("x-github-event", "deployment_status"),
                ("x-github-delivery", "h-2"),
                ("x-hub-signature-256", &sign(SECRET, &form)),
            ],
            &form,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.json);
        assert!(r.json["error"]
            .as_str()
            .unwrap()
            .contains("application/json"));

        // A required field missing: 422 naming it.
        let no_sha = with(full, |v| v["deployment"]["sha"] = json!(null));
        let r = signed(&state, "deployment_status", "h-3", &no_sha).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.json);
        assert_eq!(r.json["field"], "deployment.sha");

        // An event type not used: 202, kept raw.
        let r = signed(
            &state,
            "workflow_dispatch",
            "h-4",
            fixture!("workflow_dispatch"),
        )
        .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.json);
        assert!(r.json["ignored"].as_str().unwrap().contains("not used"));

        // A ping: 200.
        let r = signed(&state, "ping", "h-5", fixture!("ping")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        assert!(r.json["ignored"].as_str().unwrap().starts_with("ping"));

        // A tag deletion and a branch deletion: recorded, no commits.
        let r = signed(&state, "push", "h-6", fixture!("push")).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.json);
        let deleted = with(fixture!("push"), |v| v["ref"] = json!("refs/heads/old"));
        let r = signed(&state, "push", "h-7", &deleted).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.json);

        // A repository no rule maps: kept as unmapped, with the rule to add.
        let elsewhere = with(full, |v| {
            v["repository"]["full_name"] = json!("someone/else")
        });
        let r = signed(&state, "deployment_status", "h-8", &elsewhere).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.json);
        assert!(r.json["unmapped"]
            .as_str()
            .unwrap()
            .contains("repo = \"someone/else\""));

        // No event type header: 400.
        let r = request(
            &state,
            "POST",
            "/hooks/github",
            &[
                ("content-type", "application/json"),
                ("x-github-delivery", "h-9"),
                ("x-hub-signature-256", &sign(SECRET, full)),
            ],
            full,
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);

        assert!(
            stored(&store).await.is_empty(),
            "{backend}: no event from any of them"
        );
        assert_eq!(
            verdicts(&store).await,
            [
                "ignored", "ignored", "ignored", "ignored", "rejected", "rejected", "rejected",
                "rejected", "unmapped"
            ],
            "{backend}"
        );

        // A payload of 25 MB: 413 before anything is read into the store.
        let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(25 * 1024 * 1024));
        let r = signed(&state, "push", "h-10", &big).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{backend}");
    }
}

#[tokio::test]
async fn a_push_stores_its_commits_chained_and_a_job_joins_its_run() {
    let (store, _dir) = fresh_store("sqlite").await;
    let state = github_state(store.clone()).await;
    let body = with(fixture!("push.with-new-branch"), |v| {
        v["before"] = json!("1111111111111111111111111111111111111111");
        let mut second = v["commits"][0].clone();
        second["id"] = json!("2222222222222222222222222222222222222222");
        v["commits"].as_array_mut().unwrap().push(second);
    });
    let r = signed(&state, "push", "p-1", &body).await;
    assert_eq!(
        (r.status, r.json["accepted"].as_u64()),
        (StatusCode::OK, Some(2)),
        "{}",
        r.json
    );
    let all = stored(&store).await;
    let commits: Vec<Value> = all
        .iter()
        .map(|s| serde_json::from_str(s).unwrap())
        .collect();
    let parents = |sha: &str| commits.iter().find(|c| c["sha"] == sha).unwrap()["parents"].clone();
    assert_eq!(
        parents("6113728f27ae82c7b1a177c8d03f9e96e0adf246"),
        json!(["1111111111111111111111111111111111111111"])
    );
    assert_eq!(
        parents("2222222222222222222222222222222222222222"),
        json!(["6113728f27ae82c7b1a177c8d03f9e96e0adf246"])
    );

    // A job, then its run (moved to the job's run id), then the job again: one run, one job.
    let job = fixture!("workflow_job.completed.failure.with-organization");
    let run = with(fixture!("workflow_run.completed"), |v| {
        v["workflow_run"]["id"] = json!(2202229078_i64)
    });
    for (event, id, b) in [
        ("workflow_job", "j-1", job),
        ("workflow_run", "j-2", run.as_str()),
    ] {
        let r = signed(&state, event, id, b).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    }
    let runs: Vec<Value> = stored(&store)
        .await
        .iter()
        .map(|s| serde_json::from_str::<Value>(s).unwrap())
        .filter(|e| e["kind"] == "pipeline_run")
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["id"], "2202229078-1");
    assert_eq!(runs[0]["status"], "completed");
    assert_eq!(runs[0]["jobs"][0]["name"], "linters");
    assert_eq!(runs[0]["jobs"][0]["conclusion"], "failure");
}

#[tokio::test]
async fn deliveries_that_arrive_together_are_merged_together_and_counted_each() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let state = github_state(store.clone()).await;
        // 40 jobs of one run at once: they share group commits, and each must land.
        let bodies: Vec<String> = (0..40)
            .map(|j| {
                with(
                    fixture!("workflow_job.completed.success.with-organization"),
                    |v| {
                        v["workflow_job"]["id"] = json!(1000 + j);
                        v["workflow_job"]["name"] = json!(format!("job-{j:02}"));
                    },
                )
            })
            .collect();
        let ids: Vec<String> = (0..bodies.len()).map(|i| format!("g-{i}")).collect();
        let replies = futures_util::future::join_all(
            bodies
                .iter()
                .zip(&ids)
                .map(|(b, id)| signed(&state, "workflow_job", id, b)),
        )
        .await;
        let mut new = 0;
        for r in &replies {
            assert_eq!(r.status, StatusCode::OK, "{backend}: {}", r.json);
            let (a, u) = (
                r.json["accepted"].as_u64().unwrap(),
                r.json["updated"].as_u64().unwrap(),
            );
            assert_eq!(
                a + u,
                1,
                "{backend}: each delivery changed the run once: {}",
                r.json
            );
            new += a;
        }
        assert_eq!(new, 1, "{backend}: the run is new to exactly one of them");
        let runs: Vec<Value> = stored(&store)
            .await
            .iter()
            .map(|s| serde_json::from_str::<Value>(s).unwrap())
            .collect();
        assert_eq!(runs.len(), 1, "{backend}");
        let names: Vec<&str> = runs[0]["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["name"].as_str().unwrap())
            .collect();
        let expected: Vec<String> = (0..40).map(|j| format!("job-{j:02}")).collect();
        assert_eq!(names, expected, "{backend}: every job, once");
        assert_eq!(
            verdicts(&store).await.len(),
            40,
            "{backend}: every raw delivery kept"
        );
    }
}

#[tokio::test]
async fn an_unmapped_delivery_maps_when_redelivered_after_its_rule_is_added() {
    let (store, _dir) = fresh_store("sqlite").await;
    let body = with(fixture!("deployment_status"), |v| {
        v["repository"]["full_name"] = json!("acme/checkout")
    });
    let state = github_state(store.clone()).await;
    let r = signed(&state, "deployment_status", "u-1", &body).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.json);
    assert!(stored(&store).await.is_empty());
    // The rule added (a restart with the new configuration), GitHub redelivers the same id.
    let mut config = Config::default();
    config.server.dist_dir = "/nonexistent-dist".into();
    config.sources.github.secrets = vec![SECRET.into()];
    config.sources.github.repos = vec![RepoRuleConfig {
        repo: "acme/*".into(),
        service: "checkout".into(),
        path: None,
        teams: Vec::new(),
    }];
    let state = AppState::new(store.clone(), config).await.unwrap();
    let r = signed(&state, "deployment_status", "u-1", &body).await;
    assert_eq!(
        (r.status, r.json["accepted"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{}",
        r.json
    );
    let r = get(&state, "/api/v1/deployments?environment_tier=production").await;
    assert_eq!(r.json["items"][0]["service"], "checkout", "{}", r.json);
    // Now stored, the same id again is a duplicate.
    let r = signed(&state, "deployment_status", "u-1", &body).await;
    assert_eq!(r.json["duplicate"], true);
}

#[tokio::test]
async fn copies_of_one_delivery_arriving_at_once_store_it_once() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let state = github_state(store.clone()).await;
        let body = fixture!("workflow_job.completed.success.with-organization");
        let replies = futures_util::future::join_all(
            (0..8).map(|_| signed(&state, "workflow_job", "same-id", body)),
        )
        .await;
        let stored_once = replies
            .iter()
            .filter(|r| r.status == StatusCode::OK && r.json["duplicate"] == false)
            .count();
        let duplicates = replies
            .iter()
            .filter(|r| r.json["duplicate"] == true)
            .count();
        assert_eq!(
            (stored_once, duplicates),
            (1, 7),
            "{backend}: {:?}",
            replies.iter().map(|r| &r.json).collect::<Vec<_>>()
        );
        assert_eq!(
            verdicts(&store).await,
            ["accepted"],
            "{backend}: one raw delivery"
        );
    }
}

#[tokio::test]
async fn a_merge_that_fails_stores_nothing_of_its_group_and_the_writer_goes_on() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let state = github_state(store.clone()).await;
        let job = |id: u64, run: u64| {
            with(
                fixture!("workflow_job.completed.success.with-organization"),
                |v| {
                    v["workflow_job"]["id"] = json!(id);
                    v["workflow_job"]["run_id"] = json!(run);
                },
            )
        };
        let r = signed(&state, "workflow_job", "f-1", &job(1, 10)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        // The stored run no longer reads: merging a second job into it fails.
        let corrupt = "UPDATE events SET body = '{\"kind\":' WHERE kind = 'pipeline_run'";
        match &store {
            Store::Sqlite(p) => sqlx::query(corrupt).execute(p).await.map(|_| ()),
            Store::Postgres(p) => sqlx::query(corrupt).execute(p).await.map(|_| ()),
        }
        .unwrap();
        let rev = store.current_rev().await.unwrap();
        let r = signed(&state, "workflow_job", "f-2", &job(2, 10)).await;
        assert_eq!(
            r.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{backend}: {}",
            r.json
        );
        // Nothing of it was stored: no revision, no raw delivery.
        assert_eq!(store.current_rev().await.unwrap(), rev, "{backend}");
        assert_eq!(verdicts(&store).await.len(), 1, "{backend}");
        // The writer goes on: another run's job is stored, and the failed delivery, once its
        // run reads again, is not a duplicate.
        let r = signed(&state, "workflow_job", "f-3", &job(3, 11)).await;
        assert_eq!(
            (r.status, r.json["accepted"].as_u64()),
            (StatusCode::OK, Some(1)),
            "{backend}: {}",
            r.json
        );
        let fix = "DELETE FROM events WHERE body = '{\"kind\":'";
        match &store {
            Store::Sqlite(p) => sqlx::query(fix).execute(p).await.map(|_| ()),
            Store::Postgres(p) => sqlx::query(fix).execute(p).await.map(|_| ()),
        }
        .unwrap();
        let r = signed(&state, "workflow_job", "f-2", &job(2, 10)).await;
        assert_eq!(
            (r.status, r.json["duplicate"].as_bool()),
            (StatusCode::OK, Some(false)),
            "{backend}: {} {}",
            r.json,
            logs()
                .lines()
                .filter(|l| l.contains("ERROR"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert_eq!(verdicts(&store).await.len(), 3, "{backend}");
    }
}
