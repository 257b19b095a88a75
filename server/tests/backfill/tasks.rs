//! Contract tests of the backfill started from the Sources page: `POST /api/v1/backfill`
//! queues a task, the `github_backfill` job runs it through the same client and store as
//! `nagare backfill github`, against the local server answering as GitHub's REST API.

use super::*;
use nagare_server::jobs::{turn_once, GithubBackfill};

fn with_api(base: &str) -> Config {
    let mut c = config();
    c.sources.github.api_url = base.to_owned();
    c.sources.github.token = TOKEN.into();
    c
}

async fn ask(state: &AppState, body: &str) -> Reply {
    crate::auth::request(
        state,
        "POST",
        "/api/v1/backfill",
        &[("content-type", "application/json")],
        body,
    )
    .await
}

async fn tasks(state: &AppState) -> Value {
    let r = get(state, "/api/v1/source-tasks").await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.json
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_a_backfill_asked_for_in_the_portal_runs_as_the_command_would() {
    for backend in backends() {
        let shared: Shared = Arc::new(Mutex::new(Contract {
            token: TOKEN.into(),
            ..Contract::default()
        }));
        let base = contract(shared.clone()).await;
        let (store, _dir) = fresh_store(backend).await;
        let state = AppState::new(store.clone(), with_api(&base)).await.unwrap();

        let t = tasks(&state).await;
        assert_eq!(t["backfill"]["available"], true, "{t}");
        assert_eq!(t["backfill"]["repos"], json!([REPO]), "{t}");
        assert_eq!(t["git_sync"]["available"], false, "{t}");
        assert!(
            t["git_sync"]["reason"]
                .as_str()
                .unwrap()
                .contains("[[sources.git.mirrors]]"),
            "{t}"
        );
        assert_eq!(t["tasks"], json!([]));

        // Hostile and wrong requests: named, nothing queued.
        for (body, field) in [
            (r#"{"since": "yesterday"}"#, "since"),
            (r#"{"since": "2000-01-01"}"#, "since"),
            (r#"{"since": "-3d"}"#, "since"),
            (r#"{"repo": "../../etc"}"#, "repo"),
            (r#"{"repo": "acme/a\u0007pi"}"#, "repo"),
            (r#"{"since": "30d", "since": "40d"}"#, "body"),
            (r#"{"sinse": "30d"}"#, "body"),
            ("[1, 2", "body"),
        ] {
            let r = ask(&state, body).await;
            assert_eq!(r.status, 400, "{body}: {}", r.json);
            assert_eq!(r.json["field"], field, "{body}: {}", r.json);
        }
        assert_eq!(tasks(&state).await["tasks"], json!([]));

        let r = ask(
            &state,
            &format!(r#"{{"since": "2019-05-01", "repo": "{REPO}"}}"#),
        )
        .await;
        assert_eq!(r.status, 202, "{backend}: {}", r.json);
        assert_eq!(r.json["state"], "queued");
        assert_eq!(r.json["action"], "backfill");
        assert_eq!(r.json["since"], "2019-05-01T00:00:00Z");
        assert_eq!(r.json["requested_by"], "local");
        let id = r.json["id"].as_i64().unwrap();
        // Asked again while it is open: refused, naming it.
        let again = ask(&state, "").await;
        assert_eq!(again.status, 409, "{}", again.json);
        assert!(
            again.json["error"]
                .as_str()
                .unwrap()
                .contains(&format!("task {id}")),
            "{}",
            again.json
        );

        turn_once(&GithubBackfill, &state, "test").await.unwrap();
        let t = tasks(&state).await;
        let task = &t["tasks"][0];
        assert_eq!(task["id"], id, "{t}");
        assert_eq!(task["state"], "done", "{backend}: {t}");
        assert!(task["started_at"].is_string() && task["finished_at"].is_string());
        let outcome = task["outcome"].as_str().unwrap();
        assert!(
            outcome.starts_with("1 repository in") && outcome.contains(" new events"),
            "{outcome}"
        );
        assert!(shared.lock().unwrap().wrong.is_empty());

        // What it stored is what the command stores: the same events, raw deliveries and
        // phases, on a store of its own.
        let (cli, _dir2) = fresh_store(backend).await;
        AppState::new(cli.clone(), with_api(&base)).await.unwrap();
        let client = Client::new(&base, Auth::Token(TOKEN.into()), quick()).unwrap();
        let reports = run(&cli, &client, &[REPO.to_owned()]).await;
        assert_eq!(reports[0].error, None);
        assert_eq!(stored(&store).await, stored(&cli).await, "{backend}");
        assert_eq!(
            store.kept_counts("github").await.unwrap(),
            cli.kept_counts("github").await.unwrap()
        );
        // The numbers the portal shows come from it: the two deployments of May 2019.
        let d = get(
            &state,
            "/api/v1/deployments?from=2019-05-01T00:00:00Z&to=2019-06-01T00:00:00Z",
        )
        .await;
        assert_eq!(d.json["total"], 2, "{}", d.json);

        // A second run of the job with nothing asked for does nothing.
        let before = shared.lock().unwrap().seen.len();
        turn_once(&GithubBackfill, &state, "test").await.unwrap();
        assert_eq!(shared.lock().unwrap().seen.len(), before);

        // Both asks are in the audit log: the one queued, the one refused.
        let audit = get(&state, "/api/v1/audit?action=backfill").await;
        let rows = audit.json["items"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "{}", audit.json);
        assert_eq!(rows[0]["outcome"], "failure", "{}", audit.json);
        assert!(rows[1]["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("(task {id}) since 2019-05-01")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_a_portal_backfill_that_stopped_resumes_when_asked_again() {
    let shared: Shared = Arc::new(Mutex::new(Contract {
        token: TOKEN.into(),
        jobs_hidden: true,
        ..Contract::default()
    }));
    let base = contract(shared.clone()).await;
    let (store, _dir) = fresh_store("sqlite").await;
    let state = AppState::new(store.clone(), with_api(&base)).await.unwrap();
    let r = ask(&state, r#"{"since": "2019-05-01"}"#).await;
    assert_eq!(r.status, 202, "{}", r.json);
    // The job reports the failure; the task says what GitHub answered.
    let failed = turn_once(&GithubBackfill, &state, "test").await;
    assert!(failed.is_err());
    let t = tasks(&state).await;
    assert_eq!(t["tasks"][0]["state"], "failed", "{t}");
    let outcome = t["tasks"][0]["outcome"].as_str().unwrap();
    assert!(
        outcome.contains("1 stopped early") && outcome.contains("resumes"),
        "{outcome}"
    );
    let before = shared.lock().unwrap().seen.len();

    // Asked again a little later ("since" a day later than the stopped run's): it goes on
    // from the stopped phase's cursor with the stopped run's own start of history, rather
    // than starting over.
    shared.lock().unwrap().jobs_hidden = false;
    let r = ask(&state, r#"{"since": "2019-05-02"}"#).await;
    assert_eq!(r.status, 202, "{}", r.json);
    turn_once(&GithubBackfill, &state, "test").await.unwrap();
    let t = tasks(&state).await;
    assert_eq!(t["tasks"][0]["state"], "done", "{t}");
    let resumed: Vec<String> = shared.lock().unwrap().seen[before..].to_vec();
    assert!(
        !resumed.iter().any(|s| s.contains("/statuses")),
        "the deployments phase was done: {resumed:?}"
    );
    let phases = get(&state, "/api/v1/backfill").await.json;
    for p in phases.as_array().unwrap() {
        assert_eq!(p["state"], "done", "{phases}");
        assert_eq!(p["since"], "2019-05-01T00:00:00Z", "{phases}");
    }
    // Asked for more history than the run covered: every phase starts again.
    let r = ask(&state, r#"{"since": "2019-04-15"}"#).await;
    assert_eq!(r.status, 202, "{}", r.json);
    turn_once(&GithubBackfill, &state, "test").await.unwrap();
    let phases = get(&state, "/api/v1/backfill").await.json;
    for p in phases.as_array().unwrap() {
        assert_eq!(p["since"], "2019-04-15T00:00:00Z", "{phases}");
    }
}

#[tokio::test]
async fn without_api_access_the_portal_says_what_to_configure() {
    let (store, _dir) = fresh_store("sqlite").await;
    let state = AppState::new(store, config()).await.unwrap();
    let t = tasks(&state).await;
    assert_eq!(t["backfill"]["available"], false, "{t}");
    let why = t["backfill"]["reason"].as_str().unwrap();
    assert!(
        why.contains("token_file") && why.contains("app_id"),
        "{why}"
    );
    let r = ask(&state, "").await;
    assert_eq!(r.status, 422, "{}", r.json);
    assert_eq!(r.json["error"], why);
    assert_eq!(tasks(&state).await["tasks"], json!([]));
}

/// The supervisor runs a task as soon as it is asked for, not at the job's next tick (20 s
/// with the default lease).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_a_running_server_starts_the_backfill_at_once() {
    let shared: Shared = Arc::new(Mutex::new(Contract {
        token: TOKEN.into(),
        ..Contract::default()
    }));
    let base = contract(shared.clone()).await;
    let (store, _dir) = fresh_store("sqlite").await;
    let state = AppState::new(store.clone(), with_api(&base)).await.unwrap();
    let jobs = nagare_server::jobs::Jobs::start_these(&state, vec![Arc::new(GithubBackfill)]);
    // Its first turn (nothing asked for yet) is over once it has recorded a run.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while store
        .last_job_run("github_backfill")
        .await
        .unwrap()
        .is_none()
    {
        assert!(std::time::Instant::now() < deadline, "the job never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let asked = std::time::Instant::now();
    let r = ask(&state, r#"{"since": "2019-05-01"}"#).await;
    assert_eq!(r.status, 202, "{}", r.json);
    loop {
        let t = tasks(&state).await;
        if t["tasks"][0]["state"] == "done" {
            break;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "not run within 10 s: {t}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    jobs.stop().await;
}
