//! Contract tests of the GitHub backfill (`nagare_server::sources::backfill`). GitHub is not
//! reachable from here, so a local HTTP server answers as the REST API does, with the real
//! objects of the recorded webhook payloads (core/tests/fixtures/github, octokit/webhooks,
//! MIT), which are the objects the REST lists return. It checks each request's method, path,
//! query and headers, pages through `Link`, and answers a secondary rate limit with
//! `retry-after`, a reply cut short, a 404 repository and a server that fails until restarted.
//! The stored events are checked against the values read off the fixtures by hand.

use crate::common::*;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use nagare_server::config::{Config, RepoRuleConfig};
use nagare_server::sources::backfill::{backfill, repositories, RepoReport};
use nagare_server::sources::github::Github;
use nagare_server::sources::github_api::{Auth, Backoff, Client};
use nagare_server::store::Store;
use nagare_server::AppState;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod tasks;

const TOKEN: &str = "github_pat_contract_test_token";
const REPO: &str = "Codertocat/Hello-World";
/// 2019-05-01T00:00:00Z: the fixtures are of May 2019 (deployments, pull requests, issues),
/// October 2020 (the run) and August 2021 (its job).
const SINCE: i64 = 1_556_668_800_000;

macro_rules! fixture {
    ($name:literal) => {
        serde_json::from_str::<Value>(include_str!(concat!(
            "../../../core/tests/fixtures/github/",
            $name,
            ".payload.json"
        )))
        .unwrap()
    };
}

/// What the contract server saw and how it misbehaves.
#[derive(Default)]
struct Contract {
    /// `METHOD path?query` of every request.
    seen: Vec<String>,
    /// Header problems found (any is a failure of the client).
    wrong: Vec<String>,
    /// Misbehaviours still to come.
    rate_limited: bool,
    cut_short: bool,
    /// The jobs list fails with 500 while this is set (a GitHub outage).
    down: bool,
    /// The jobs list answers 404 while this is set (a permission taken away: not retried).
    jobs_hidden: bool,
    /// The bearer token the API expects (an installation token for the app test).
    token: String,
    /// The app's public key, for checking its JWT.
    app_key: Option<Vec<u8>>,
}

type Shared = Arc<Mutex<Contract>>;

fn json_reply(v: Value, link: Option<String>) -> Response {
    let mut r = axum::Json(v).into_response();
    if let Some(l) = link {
        r.headers_mut().insert("link", l.parse().unwrap());
    }
    r
}

fn repository() -> Value {
    fixture!("deployment")["repository"].clone()
}

fn deployments(base: &str, page: &str) -> Response {
    let d1 = fixture!("deployment")["deployment"].clone();
    let mut d2 = d1.clone();
    d2["id"] = json!(145988747);
    d2["sha"] = json!("a1b2c3d4e5f60718293a4b5c6d7e8f9012345678");
    d2["created_at"] = json!("2019-05-16T10:00:00Z");
    let mut old = d1.clone();
    old["id"] = json!(100);
    old["sha"] = json!("00000000000000000000000000000000000000aa");
    old["created_at"] = json!("2019-04-01T10:00:00Z");
    match page {
        // Newest first; page 2 ends with one before `since`.
        "1" => json_reply(
            json!([d2]),
            Some(format!(
                "<{base}/repos/{REPO}/deployments?per_page=100&page=2>; rel=\"next\", <{base}/repos/{REPO}/deployments?per_page=100&page=2>; rel=\"last\""
            )),
        ),
        _ => json_reply(json!([d1, old]), None),
    }
}

async fn api(State(c): State<Shared>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let headers: HeaderMap = req.headers().clone();
    let base = format!("http://{}", headers["host"].to_str().unwrap());
    let mut c = c.lock().unwrap();
    c.seen.push(format!("{} {path}?{query}", req.method()));
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    if path.starts_with("/app/installations/") {
        // The app's JWT, checked with its public key: RS256, issued by app 4242, short-lived.
        let jwt = h("authorization").trim_start_matches("Bearer ").to_owned();
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(c.app_key.as_deref().unwrap()).unwrap();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        v.set_required_spec_claims(&["exp", "iat", "iss"]);
        v.set_issuer(&["4242"]);
        match jsonwebtoken::decode::<Value>(&jwt, &key, &v) {
            Ok(t) => {
                let life = t.claims["exp"].as_i64().unwrap() - t.claims["iat"].as_i64().unwrap();
                if life > 600 {
                    c.wrong
                        .push(format!("the JWT lives {life} s, GitHub allows 600"));
                }
                assert_eq!(path, "/app/installations/77/access_tokens");
                return (
                    StatusCode::CREATED,
                    axum::Json(json!({"token": c.token, "expires_at": "2099-01-01T00:00:00Z"})),
                )
                    .into_response();
            }
            Err(e) => return (StatusCode::UNAUTHORIZED, format!("bad JWT: {e}")).into_response(),
        }
    }
    for (name, want) in [
        ("authorization", format!("Bearer {}", c.token)),
        ("accept", "application/vnd.github+json".to_owned()),
        ("x-github-api-version", "2022-11-28".to_owned()),
    ] {
        if h(name) != want {
            c.wrong
                .push(format!("{path}: {name} is {:?}, not {want:?}", h(name)));
        }
    }
    if !h("user-agent").starts_with("nagare/") {
        c.wrong
            .push(format!("{path}: user-agent {:?}", h("user-agent")));
    }
    let pair = |k: &str| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.into_owned())
    };
    if req.method() != "GET" {
        c.wrong.push(format!("{} {path}", req.method()));
    }
    let repo = format!("/repos/{REPO}");
    let Some(rest) = path.strip_prefix(&repo) else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "Not Found"})),
        )
            .into_response();
    };
    match rest {
        "" => json_reply(repository(), None),
        "/deployments" => deployments(&base, &pair("page").unwrap_or_else(|| "1".into())),
        "/deployments/145988746/statuses" => json_reply(
            json!([fixture!("deployment_status")["deployment_status"]]),
            None,
        ),
        "/deployments/145988747/statuses" => {
            if c.rate_limited {
                c.rate_limited = false;
                return (
                    StatusCode::FORBIDDEN,
                    [("retry-after", "1")],
                    axum::Json(json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})),
                )
                    .into_response();
            }
            let mut failed = fixture!("deployment_status")["deployment_status"].clone();
            failed["id"] = json!(1);
            failed["state"] = json!("failure");
            failed["created_at"] = json!("2019-05-16T10:05:00Z");
            let mut ok = failed.clone();
            ok["id"] = json!(2);
            ok["state"] = json!("success");
            ok["created_at"] = json!("2019-05-16T10:20:00Z");
            json_reply(json!([ok, failed]), None)
        }
        "/actions/runs" => {
            if pair("created").as_deref() != Some(">=2019-05-01") {
                c.wrong.push(format!("runs: created={:?}", pair("created")));
            }
            let mut run = fixture!("workflow_run.completed")["workflow_run"].clone();
            run["id"] = json!(2202229078u64);
            json_reply(json!({"total_count": 1, "workflow_runs": [run]}), None)
        }
        "/actions/runs/2202229078/jobs" => {
            if pair("filter").as_deref() != Some("all") {
                c.wrong.push("jobs: not filter=all (every attempt)".into());
            }
            if c.down {
                return (StatusCode::INTERNAL_SERVER_ERROR, "down").into_response();
            }
            if c.jobs_hidden {
                return (
                    StatusCode::NOT_FOUND,
                    axum::Json(json!({"message": "Not Found"})),
                )
                    .into_response();
            }
            let job = fixture!("workflow_job.completed.success.with-organization")["workflow_job"]
                .clone();
            let whole = json!({"total_count": 1, "jobs": [job]}).to_string();
            if c.cut_short {
                c.cut_short = false;
                return (
                    [("content-type", "application/json")],
                    whole[..whole.len() / 2].to_owned(),
                )
                    .into_response();
            }
            ([("content-type", "application/json")], whole).into_response()
        }
        "/pulls" => {
            for (k, v) in [("state", "all"), ("sort", "updated"), ("direction", "desc")] {
                if pair(k).as_deref() != Some(v) {
                    c.wrong.push(format!("pulls: {k}={:?}", pair(k)));
                }
            }
            json_reply(
                json!([fixture!("pull_request.closed")["pull_request"]]),
                None,
            )
        }
        "/pulls/2/reviews" => {
            let mut review = fixture!("pull_request_review.submitted")["review"].clone();
            review["user"]["login"] = json!("hubot");
            json_reply(json!([review]), None)
        }
        "/issues" => {
            if pair("labels").as_deref() != Some("incident") || pair("since").is_none() {
                c.wrong.push(format!("issues: {query}"));
            }
            let mut issue = fixture!("issues.opened")["issue"].clone();
            issue["labels"] = json!([{"name": "incident"}]);
            let mut pr = issue.clone();
            pr["number"] = json!(99);
            pr["pull_request"] = json!({"url": "https://api.github.com/repos/x/y/pulls/99"});
            json_reply(json!([issue, pr]), None)
        }
        r if r.starts_with("/compare/") => {
            let old = "00000000000000000000000000000000000000aa";
            let d1 = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";
            let d2 = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
            let commit = |sha: &str, parents: &[&str], at: &str| {
                json!({
                    "sha": sha,
                    "parents": parents.iter().map(|p| json!({"sha": p})).collect::<Vec<_>>(),
                    "author": {"login": "octocat"},
                    "commit": {"author": {"name": "Mona", "email": "mona@example.com", "date": at},
                               "committer": {"date": at}, "message": format!("change {sha}")},
                })
            };
            let middle = "b000000000000000000000000000000000000001";
            // The deployment before `since` is the base of the first pair.
            if r == format!("/compare/{old}...{d1}") {
                return json_reply(
                    json!({"commits": [commit(d1, &[old], "2019-05-15T15:00:00Z")]}),
                    None,
                );
            }
            if r != format!("/compare/{d1}...{d2}") {
                c.wrong.push(format!("compare: {r}"));
            }
            json_reply(
                json!({"commits": [
                    commit(middle, &[d1], "2019-05-16T08:00:00Z"),
                    commit(d2, &[middle], "2019-05-16T09:00:00Z"),
                ]}),
                None,
            )
        }
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "Not Found"})),
        )
            .into_response(),
    }
}

async fn contract(c: Shared) -> String {
    let app = axum::Router::new().fallback(api).with_state(c);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn config() -> Config {
    let mut config = Config::default();
    config.server.dist_dir = "/nonexistent-dist".into();
    config.sources.github.repos = vec![RepoRuleConfig {
        repo: REPO.into(),
        service: "hello".into(),
        path: None,
        teams: Vec::new(),
    }];
    config
}

fn quick() -> Backoff {
    Backoff {
        base: Duration::from_millis(10),
        max_wait: Duration::from_secs(5),
        tries: 3,
    }
}

async fn run(store: &Store, client: &Client, repos: &[String]) -> Vec<RepoReport> {
    let c = config();
    let mapping = Github::mapping(&c.sources.github).unwrap();
    backfill(
        store,
        &mapping,
        client,
        repos,
        &nagare_server::sources::backfill::Scope {
            since: SINCE,
            incident_labels: &c.sources.github.incident_labels,
            mirrored: &[],
        },
        &|_| {},
    )
    .await
}

/// Every stored event, as sorted JSON text.
async fn stored(store: &Store) -> Vec<String> {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_backfill_stores_a_repositorys_history_as_its_webhooks_would() {
    for backend in backends() {
        let shared: Shared = Arc::new(Mutex::new(Contract {
            rate_limited: true,
            cut_short: true,
            token: TOKEN.into(),
            ..Contract::default()
        }));
        let base = contract(shared.clone()).await;
        let (store, _dir) = fresh_store(backend).await;
        let client = Client::new(&base, Auth::Token(TOKEN.into()), quick()).unwrap();
        let repos = repositories(&client, &config().sources.github.repos, None)
            .await
            .unwrap();
        assert_eq!(repos, [REPO]);
        let started = std::time::Instant::now();
        let reports = run(&store, &client, &repos).await;
        let r = &reports[0];
        assert_eq!(r.error, None, "{backend}: {r:?}");
        {
            let c = shared.lock().unwrap();
            assert!(c.wrong.is_empty(), "{backend}: {:?}", c.wrong);
            // Page 2 of the deployments was followed through `Link`; the rate-limited and the
            // cut request were each sent again.
            assert!(c
                .seen
                .iter()
                .any(|s| s.contains("/deployments?per_page=100&page=2")));
            let count = |p: &str| c.seen.iter().filter(|s| s.contains(p)).count();
            assert_eq!(count("/deployments/145988747/statuses"), 2, "{:?}", c.seen);
            assert_eq!(count("/actions/runs/2202229078/jobs"), 2, "{:?}", c.seen);
        }
        // The retry-after of 1 s was waited out.
        assert!(started.elapsed() >= Duration::from_secs(1));
        assert_eq!(client.waits.load(std::sync::atomic::Ordering::Relaxed), 2);

        let state = AppState::new(store.clone(), config()).await.unwrap();
        let window = "from=2019-05-01T00:00:00Z&to=2019-06-01T00:00:00Z";
        let d = get(&state, &format!("/api/v1/deployments?{window}")).await;
        assert_eq!(
            d.json["total"], 2,
            "{backend}: the one before since is left: {}",
            d.json
        );
        let newest = &d.json["items"][0];
        assert_eq!(newest["id"], "145988747");
        // Its failure at 10:05 and success at 10:20: one deployment, succeeded at 10:20.
        assert_eq!(newest["status"], "success", "{newest}");
        assert_eq!(newest["finished_at"], "2019-05-16T10:20:00Z", "{newest}");
        assert_eq!(newest["service"], "hello");
        // Its two commits since the deployment before, exact from the compare API: the
        // later one authored at 09:00, 1 h 20 min before the deployment finished.
        assert_eq!(newest["changes"], 2, "{newest}");
        let detail = get(&state, "/api/v1/deployments/145988747").await;
        assert_eq!(detail.json["incomplete_graph"], false, "{}", detail.json);
        let i = get(&state, &format!("/api/v1/incidents?{window}")).await;
        assert_eq!(
            i.json["total"], 1,
            "{backend}: the issue, not the pull request: {}",
            i.json
        );
        assert_eq!(i.json["items"][0]["id"], "Codertocat/Hello-World#1");
        let all = stored(&store).await;
        let pr = all
            .iter()
            .find(|e| e.contains("\"kind\":\"pull_request\""))
            .unwrap();
        assert!(
            pr.contains("\"first_review_at\":\"2019-05-15T15:20:38Z\""),
            "{pr}"
        );
        let pipeline = all
            .iter()
            .find(|e| e.contains("\"kind\":\"pipeline_run\""))
            .unwrap();
        assert!(
            pipeline.contains("\"status\":\"completed\"")
                && pipeline.contains("\"name\":\"linters\""),
            "{pipeline}"
        );

        // A second backfill stores nothing twice.
        let again = run(&store, &client, &repos).await;
        assert_eq!(again[0].error, None);
        assert_eq!(again[0].stored, 0, "{again:?}");
        assert_eq!(again[0].duplicates, again[0].objects, "{again:?}");
        assert_eq!(stored(&store).await, all, "{backend}");
        let kept = store.kept_counts("github").await.unwrap();
        assert_eq!(
            kept.0 as u64, r.objects,
            "{backend}: one raw delivery per object"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_backfill_stopped_by_an_outage_resumes_from_its_cursor() {
    let shared: Shared = Arc::new(Mutex::new(Contract {
        down: true,
        token: TOKEN.into(),
        ..Contract::default()
    }));
    let base = contract(shared.clone()).await;
    let (store, _dir) = fresh_store("sqlite").await;
    let client = Client::new(&base, Auth::Token(TOKEN.into()), quick()).unwrap();
    let repos = vec![REPO.to_owned()];
    let first = run(&store, &client, &repos).await;
    let e = first[0].error.as_deref().unwrap();
    assert!(e.contains("500"), "{e}");
    let states = store.backfill_states("github").await.unwrap();
    let deployments = states.iter().find(|s| s.phase == "deployments").unwrap();
    assert!(deployments.done, "{states:?}");
    let runs = states.iter().find(|s| s.phase == "runs").unwrap();
    // Its first page was never stored: it starts again from it.
    assert!(!runs.done && runs.error.is_some(), "{runs:?}");
    // The Sources page's view: the deployments done, the runs failed with GitHub's answer.
    let state = AppState::new(store.clone(), config()).await.unwrap();
    let phases = get(&state, "/api/v1/backfill").await;
    assert_eq!(phases.status, 200, "{}", phases.json);
    let phase = |name: &str| {
        phases
            .json
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["phase"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(phase("deployments")["state"], "done", "{}", phases.json);
    assert_eq!(
        phase("deployments")["pages"],
        deployments.pages,
        "{}",
        phases.json
    );
    assert_eq!(phase("deployments")["repo"], REPO);
    // Its first page's Link header said `rel="last"` is page 2.
    assert_eq!(phase("deployments")["total_pages"], 2, "{}", phases.json);
    assert_eq!(phase("deployments")["eta_secs"], serde_json::Value::Null);
    assert_eq!(phase("runs")["state"], "failed", "{}", phases.json);
    assert!(
        phase("runs")["error"].as_str().unwrap().contains("500"),
        "{}",
        phases.json
    );
    assert_eq!(phase("runs")["since"], "2019-05-01T00:00:00Z");
    let before = shared.lock().unwrap().seen.len();

    shared.lock().unwrap().down = false;
    let second = run(&store, &client, &repos).await;
    assert_eq!(second[0].error, None, "{second:?}");
    let phases = get(&state, "/api/v1/backfill").await.json;
    let phases = phases.as_array().unwrap();
    assert_eq!(phases.len(), 5, "{phases:?}");
    assert!(
        phases
            .iter()
            .all(|p| p["state"] == "done" && p["error"].is_null()),
        "{phases:?}"
    );
    // Resumed at the runs (after the repository): the deployments and their statuses were
    // not fetched again (the compare phase lists the deployments for its pairs).
    let resumed: Vec<String> = shared.lock().unwrap().seen[before..].to_vec();
    assert!(resumed[1].contains("/actions/runs?"), "{resumed:?}");
    assert!(
        !resumed.iter().any(|s| s.contains("/statuses")),
        "{resumed:?}"
    );

    // The same store as one uninterrupted backfill.
    let (whole, _dir2) = fresh_store("sqlite").await;
    shared.lock().unwrap().seen.clear();
    run(&whole, &client, &repos).await;
    // A server on it declares the rules' services, as the one above did.
    AppState::new(whole.clone(), config()).await.unwrap();
    assert_eq!(stored(&store).await, stored(&whole).await);
    assert_eq!(
        store.kept_counts("github").await.unwrap(),
        whole.kept_counts("github").await.unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_a_missing_repository_is_named_and_the_others_go_on() {
    let shared: Shared = Arc::new(Mutex::new(Contract {
        token: TOKEN.into(),
        ..Contract::default()
    }));
    let base = contract(shared.clone()).await;
    let (store, _dir) = fresh_store("sqlite").await;
    let client = Client::new(&base, Auth::Token(TOKEN.into()), quick()).unwrap();
    let reports = run(
        &store,
        &client,
        &["octo-org/missing".to_owned(), REPO.to_owned()],
    )
    .await;
    let e = reports[0].error.as_deref().unwrap();
    assert!(
        e.contains("/repos/octo-org/missing")
            && e.contains("not found")
            && e.contains("Metadata read"),
        "{e}"
    );
    assert_eq!(reports[1].error, None, "{reports:?}");
    assert!(reports[1].stored > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_a_github_app_mints_an_installation_token_from_its_key() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let public = std::fs::read(format!(
        "{dir}/tests/fixtures/github-app/test-app.public-key.pem"
    ))
    .unwrap();
    let shared: Shared = Arc::new(Mutex::new(Contract {
        token: "ghs_installation_token_from_the_app".into(),
        app_key: Some(public),
        ..Contract::default()
    }));
    let base = contract(shared.clone()).await;
    let mut c = config();
    c.sources.github.app_id = "4242".into();
    c.sources.github.installation_id = 77;
    c.sources.github.app_private_key_file =
        Some(format!("{dir}/tests/fixtures/github-app/test-app.private-key.pem").into());
    let client = Client::new(&base, c.sources.github.api_auth().unwrap(), quick()).unwrap();
    let (store, _dir) = fresh_store("sqlite").await;
    let reports = run(&store, &client, &[REPO.to_owned()]).await;
    assert_eq!(reports[0].error, None, "{reports:?}");
    let seen = shared.lock().unwrap();
    assert!(seen.wrong.is_empty(), "{:?}", seen.wrong);
    // Minted once, then reused for every request (it is far from expiring).
    let mints = seen
        .seen
        .iter()
        .filter(|s| s.starts_with("POST /app/installations/77/access_tokens"))
        .count();
    assert_eq!(mints, 1, "{:?}", seen.seen);
    // And a configuration without a key is named.
    c.sources.github.app_private_key_file = None;
    let e = c.sources.github.api_auth().err().unwrap();
    assert!(e.contains("app_private_key_file"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_a_mirrored_repository_takes_its_commits_from_the_mirror_not_compare() {
    let shared: Shared = Arc::new(Mutex::new(Contract {
        token: TOKEN.into(),
        ..Contract::default()
    }));
    let base = contract(shared.clone()).await;
    let (store, _dir) = fresh_store("sqlite").await;
    let client = Client::new(&base, Auth::Token(TOKEN.into()), quick()).unwrap();
    let c = config();
    let mapping = Github::mapping(&c.sources.github).unwrap();
    let mirrored = [REPO.to_lowercase()];
    let scope = nagare_server::sources::backfill::Scope {
        since: SINCE,
        incident_labels: &c.sources.github.incident_labels,
        mirrored: &mirrored,
    };
    let reports = backfill(
        &store,
        &mapping,
        &client,
        &[REPO.to_owned()],
        &scope,
        &|_| {},
    )
    .await;
    assert_eq!(reports[0].error, None, "{reports:?}");
    let seen = shared.lock().unwrap().seen.clone();
    assert!(seen.iter().any(|s| s.contains("/deployments?")), "{seen:?}");
    assert!(!seen.iter().any(|s| s.contains("/compare/")), "{seen:?}");
    let phases: Vec<String> = store
        .backfill_states("github")
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.phase)
        .collect();
    assert_eq!(phases, ["deployments", "issues:incident", "pulls", "runs"]);
    // No commit came from the backfill: the mirror brings them.
    assert!(!stored(&store)
        .await
        .iter()
        .any(|e| e.contains("\"kind\":\"commit\"")));
}
