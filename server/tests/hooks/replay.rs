//! `nagare replay` (`nagare_server::sources::replay`): the GitHub source's events derived
//! again from the kept deliveries, under rules that changed since they arrived.
//!
//! The property: ingesting a shuffled sequence of recorded deliveries (redeliveries, and
//! deployment statuses before their deployment, included) under rules A, then replaying under
//! rules B, stores exactly what ingesting the same sequence fresh under B stores, and the
//! running model follows, removals included. On SQLite (shuffled, many cases) and on
//! PostgreSQL (one shuffled order).

use super::github::{every_event, signed, stored, with};
use crate::common::*;
use nagare_server::config::{Config, RepoRuleConfig};
use nagare_server::sources::replay::{replay_named, ReplayReport, ReplayScope};
use nagare_server::sources::Registry;
use nagare_server::store::Store;
use nagare_server::AppState;
use proptest::prelude::*;
use serde_json::json;

/// Rules A: one repository mapped, `incident` labels. Rules B: the repository renamed as a
/// service, a second owner mapped, `outage` labels instead.
fn config(b: bool) -> Config {
    let mut config = Config::default();
    config.server.dist_dir = "/nonexistent-dist".into();
    config.sources.github.secrets = vec![super::github::SECRET.into()];
    let rule = |repo: &str, service: &str| RepoRuleConfig {
        repo: repo.into(),
        service: service.into(),
        path: None,
        teams: Vec::new(),
    };
    if b {
        config.sources.github.repos = vec![
            rule("Codertocat/Hello-World", "hello-web"),
            rule("octo-org/*", "octo"),
        ];
        config.sources.github.incident_labels = vec!["outage".into()];
    } else {
        config.sources.github.repos = vec![rule("Codertocat/Hello-World", "hello")];
    }
    config
}

fn labelled(number: u64, label: &str, closed: bool) -> String {
    with(fixture!("issues.opened"), |v| {
        v["issue"]["number"] = json!(number);
        v["issue"]["labels"] = json!([{ "name": label }]);
        if closed {
            v["action"] = json!("closed");
            v["issue"]["state"] = json!("closed");
            v["issue"]["closed_at"] = json!("2019-05-15T16:00:00Z");
            v["issue"]["updated_at"] = json!("2019-05-15T16:00:00Z");
        }
    })
}

/// The deliveries mixed: (event, delivery id, body). Rules A and B map several differently:
/// issue 1 is an incident under A only, issue 2 under B only, the octo-org deployment is
/// unmapped under A, and the Hello-World deployment changes service.
fn pool() -> Vec<(&'static str, String, String)> {
    let octo = |body: &str, id: u64| {
        with(body, |v| {
            v["repository"]["full_name"] = json!("octo-org/octo-repo");
            v["deployment"]["id"] = json!(id);
        })
    };
    let failed = with(fixture!("deployment_status"), |v| {
        v["deployment_status"]["state"] = json!("failure");
        v["deployment_status"]["created_at"] = json!("2019-05-15T15:20:54Z");
    });
    let deliveries: Vec<(&'static str, String)> = vec![
        ("deployment", fixture!("deployment").into()),
        ("deployment_status", fixture!("deployment_status").into()),
        ("deployment_status", failed),
        ("deployment", octo(fixture!("deployment"), 777)),
        (
            "deployment_status",
            octo(fixture!("deployment_status"), 777),
        ),
        ("issues", labelled(1, "incident", false)),
        ("issues", labelled(1, "incident", true)),
        ("issues", labelled(2, "outage", false)),
        ("workflow_run", fixture!("workflow_run.completed").into()),
        (
            "workflow_job",
            fixture!("workflow_job.completed.failure.with-organization").into(),
        ),
        ("pull_request", fixture!("pull_request.opened").into()),
        (
            "pull_request_review",
            fixture!("pull_request_review.submitted").into(),
        ),
        ("push", fixture!("push.with-new-branch").into()),
        ("ping", fixture!("ping").into()),
        ("workflow_dispatch", fixture!("workflow_dispatch").into()),
    ];
    deliveries
        .into_iter()
        .enumerate()
        .map(|(i, (e, b))| (e, format!("delivery-{i}"), b))
        .collect()
}

async fn ingest(state: &AppState, order: &[usize]) {
    let pool = pool();
    for &i in order {
        let (event, id, body) = &pool[i];
        let r = signed(state, event, id, body).await;
        assert!(
            r.status.is_success(),
            "{event} {id}: {} {}",
            r.status,
            r.json
        );
    }
}

/// `nagare replay` as the CLI runs it: the services the rules declare, then the deliveries.
async fn replay(store: &Store, b: bool, since: Option<i64>) -> ReplayReport {
    nagare_server::sources::github::declare_services(store, &config(b).sources.github)
        .await
        .unwrap();
    let registry = Registry::from_config(&config(b)).unwrap();
    replay_named(
        store,
        &registry,
        "github",
        since.map_or(ReplayScope::All, ReplayScope::Since),
        &|_| {},
    )
    .await
    .unwrap()
}

/// Each delivery id with the verdicts its rows hold, sorted and without repeats (a delivery
/// unmapped under A is kept once per redelivery; under B its redelivery is a duplicate).
async fn verdicts(store: &Store) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = store
        .recent_deliveries(10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.delivery_id.unwrap_or_default(), d.verdict))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// What the running model shows of incidents and deployments.
async fn shown(state: &AppState) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for uri in [
        "/api/v1/incidents?from=2019-05-01T00:00:00Z&to=2019-07-01T00:00:00Z&per_page=100",
        "/api/v1/deployments?from=2019-05-01T00:00:00Z&to=2019-07-01T00:00:00Z&per_page=100",
    ] {
        let r = get(state, uri).await;
        assert!(r.status.is_success(), "{uri}: {}", r.json);
        out.push(r.json);
    }
    out
}

/// Ingests `order` under A and replays under B, and ingests it fresh under B: the same.
async fn replay_equals_fresh(backend: &str, order: &[usize]) {
    let (a_store, _a) = fresh_store(backend).await;
    let a = AppState::new(a_store.clone(), config(false)).await.unwrap();
    ingest(&a, order).await;
    let before = shown(&a).await;
    let report = replay(&a_store, true, None).await;

    let (b_store, _b) = fresh_store(backend).await;
    let b = AppState::new(b_store.clone(), config(true)).await.unwrap();
    ingest(&b, order).await;

    // The whole store: the declared services too (A's `hello` gone, B's `hello-web` there).
    assert_eq!(
        every_event(&a_store).await,
        every_event(&b_store).await,
        "{backend} {order:?}"
    );
    assert!(!stored(&a_store).await.is_empty());
    assert_eq!(
        verdicts(&a_store).await,
        verdicts(&b_store).await,
        "{backend} {order:?}"
    );
    let after = shown(&a).await;
    assert_eq!(
        after,
        shown(&b).await,
        "{backend} {order:?}: the model after the replay"
    );
    // The rules changed what the deliveries are, so the replay had work to do: issue 1 is no
    // longer an incident, issue 2 and the octo-org deployment are new, and the Hello-World
    // deployment changed service.
    assert_eq!(report.events.removed, 1, "{backend}: {report:?}");
    assert_eq!(report.events.added, 2, "{backend}: {report:?}");
    assert!(report.events.changed >= 1, "{backend}: {report:?}");
    assert_ne!(
        before, after,
        "{backend}: the model did not follow the replay"
    );
    let again = replay(&a_store, true, None).await;
    assert_eq!(
        (
            again.events.added,
            again.events.changed,
            again.events.removed,
            again.verdicts_changed
        ),
        (0, 0, 0, 0),
        "{backend}: a second replay must change nothing: {again:?}"
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Any order, any redeliveries (the same delivery id again), on SQLite.
    #[test]
    fn replaying_under_new_rules_equals_ingesting_fresh_under_them(
        order in Just((0..pool().len()).collect::<Vec<_>>()).prop_shuffle(),
        again in proptest::collection::vec(0..pool().len(), 0..6),
    ) {
        let mut order = order;
        order.extend(again);
        runtime().block_on(replay_equals_fresh("sqlite", &order));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_equals_fresh_ingest_on_every_backend() {
    // Statuses first, the redeliveries at the end: a fixed shuffle.
    let order = [2, 4, 1, 14, 6, 5, 3, 0, 9, 8, 7, 12, 11, 10, 13, 4, 6, 3];
    for backend in backends() {
        replay_equals_fresh(backend, &order).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_since_rebuilds_only_what_later_deliveries_touch() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let state = AppState::new(store.clone(), config(false)).await.unwrap();
        // Before: the deployment created, and issue 1 opened as an incident.
        ingest(&state, &[0, 5]).await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let since = nagare_server::store::now_millis();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        // After: the deployment's success.
        ingest(&state, &[1]).await;
        let r = replay(&store, true, Some(since)).await;
        assert_eq!(
            r.keys, 1,
            "{backend}: only the deployment is rebuilt: {r:?}"
        );
        assert_eq!(
            (r.events.changed, r.events.removed),
            (1, 0),
            "{backend}: {r:?}"
        );
        let d = get(
            &state,
            "/api/v1/deployments?from=2019-05-01T00:00:00Z&to=2019-07-01T00:00:00Z",
        )
        .await;
        assert_eq!(d.json["total"], 1, "{backend}: {}", d.json);
        let row = &d.json["items"][0];
        // Rebuilt from both of its deliveries, the one before `since` included.
        assert_eq!(row["service"], "hello-web", "{backend}: {row}");
        assert_eq!(row["status"], "success", "{backend}: {row}");
        // Issue 1 was touched only before `since`: still the incident rules A made it.
        let i = get(
            &state,
            "/api/v1/incidents?from=2019-05-01T00:00:00Z&to=2019-07-01T00:00:00Z",
        )
        .await;
        assert_eq!(i.json["total"], 1, "{backend}: {}", i.json);
    }
}

#[tokio::test]
async fn a_source_without_rules_cannot_be_replayed_and_says_why() {
    let (store, _dir) = fresh_store("sqlite").await;
    let e = replay_named(
        &store,
        &Registry::default(),
        "github",
        ReplayScope::All,
        &|_| {},
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("[sources.github]"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_from_before_a_replay_that_removed_events_is_not_used() {
    let (store, _db) = fresh_store("sqlite").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.snapshot").display().to_string();
    let with_snapshot = |b: bool| {
        let mut c = config(b);
        c.database.snapshot = path.clone();
        c
    };
    let a = AppState::new(store.clone(), with_snapshot(false))
        .await
        .unwrap();
    ingest(&a, &[0, 1, 5]).await;
    a.write_snapshot().await.unwrap();
    let incidents = "/api/v1/incidents?from=2019-05-01T00:00:00Z&to=2019-07-01T00:00:00Z";
    assert_eq!(get(&a, incidents).await.json["total"], 1);
    drop(a);
    let r = replay(&store, true, None).await;
    assert_eq!(r.events.removed, 1, "{r:?}");
    let b = AppState::new(store.clone(), with_snapshot(true))
        .await
        .unwrap();
    assert_eq!(b.snapshot.restored(), None);
    assert!(
        logs().contains("events were removed at revision"),
        "{}",
        logs()
    );
    let shown = get(&b, incidents).await;
    assert_eq!(shown.json["total"], 0, "{}", shown.json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_rule_added_then_replayed_turns_past_runs_into_deployments() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let plain = config(true);
        let state = AppState::new(store.clone(), plain.clone()).await.unwrap();
        // octo-org/octo-repo's workflow `test` succeeded on `master`, its default branch.
        ingest(&state, &[8]).await;
        let deployments = "/api/v1/deployments?from=2020-10-01T00:00:00Z&to=2020-11-01T00:00:00Z";
        assert_eq!(get(&state, deployments).await.json["total"], 0, "{backend}");
        let mut detecting = plain;
        detecting.sources.github.deployments = vec![nagare_server::config::DeployRuleConfig {
            workflow: Some("^test$".into()),
            ..Default::default()
        }];
        let registry = Registry::from_config(&detecting).unwrap();
        let r = replay_named(&store, &registry, "github", ReplayScope::All, &|_| {})
            .await
            .unwrap();
        assert_eq!(r.events.added, 1, "{backend}: {r:?}");
        let shown = get(&state, deployments).await;
        assert_eq!(shown.json["total"], 1, "{backend}: {}", shown.json);
        let d = &shown.json["items"][0];
        assert_eq!(d["id"], "run:289782451-1", "{backend}: {d}");
        assert_eq!(d["service"], "octo", "{backend}: {d}");
        assert_eq!(d["environment_tier"], "production", "{backend}: {d}");
        assert_eq!(d["finished_at"], "2020-10-05T16:33:49Z", "{backend}: {d}");
        // And the rule taken away again: the deployment goes with it.
        let r = replay(&store, true, None).await;
        assert_eq!(r.events.removed, 1, "{backend}: {r:?}");
        assert_eq!(get(&state, deployments).await.json["total"], 0, "{backend}");
    }
}
