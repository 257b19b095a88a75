#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failure should panic
//! Contract tests of the clients that trigger runs (`nagare_server::triggers::{github,
//! gitlab}`): each against a local HTTP server that checks every request (method, path and
//! query, headers, JSON body) and answers as GitHub or GitLab do.

#[path = "trigger_clients/gitlab.rs"]
mod gitlab;
#[path = "trigger_clients/mock.rs"]
mod mock;
#[path = "trigger_clients/portal.rs"]
mod portal;

use mock::{Creds, Expect, Mock, GITHUB_TOKEN, GITLAB_TOKEN};
use nagare_core::api::InputKind;
use nagare_core::Timestamp;
use nagare_server::sources::github_api::{Auth, Backoff, Client};
use nagare_server::triggers::github::{Dispatched, FoundRun, GithubActions, TriggerError};
use nagare_server::triggers::workflow::dispatch_inputs;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

const REPO: &str = "acme/deploy-tools";

fn github(mock: &Mock) -> GithubActions {
    let backoff = Backoff {
        base: Duration::from_millis(10),
        max_wait: Duration::from_millis(100),
        tries: 2,
    };
    let client = Client::new(&mock.base(), Auth::Token(GITHUB_TOKEN.into()), backoff).unwrap();
    GithubActions::new(Arc::new(client))
}

fn gh_error(status: &str, message: &str) -> Value {
    json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event",
        "status": status,
    })
}

pub(crate) fn inputs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An error's text, checked to hold no token.
pub(crate) fn said(e: &impl std::fmt::Display) -> String {
    let text = e.to_string();
    assert!(!text.contains(GITHUB_TOKEN), "the token leaked: {text}");
    assert!(!text.contains(GITLAB_TOKEN), "the token leaked: {text}");
    text
}

const DISPATCH: &str = "/repos/acme/deploy-tools/actions/workflows/deploy.yml/dispatches";

// ------------------------------------------------------------------------------------- GitHub

#[tokio::test]
async fn a_dispatch_answered_200_names_its_run() {
    let mock = Mock::start().await;
    mock.expect(
        Expect::new("POST", DISPATCH, Creds::Github)
            .body(json!({
                "ref": "main",
                "inputs": {"environment": "production", "dry_run": "false"},
                "return_run_details": true
            }))
            .answer(
                200,
                json!({
                    "workflow_run_id": 15536723489u64,
                    "run_url": "https://api.github.com/repos/acme/deploy-tools/actions/runs/15536723489",
                    "html_url": "https://github.com/acme/deploy-tools/actions/runs/15536723489"
                }),
            ),
    );
    let gh = github(&mock);
    let got = gh
        .dispatch(
            REPO,
            "deploy.yml",
            "main",
            &inputs(&[("environment", "production"), ("dry_run", "false")]),
        )
        .await
        .unwrap();
    assert_eq!(
        got,
        Dispatched::Run {
            id: 15536723489,
            api_url: "https://api.github.com/repos/acme/deploy-tools/actions/runs/15536723489"
                .into(),
            html_url: "https://github.com/acme/deploy-tools/actions/runs/15536723489".into(),
        }
    );
    mock.finish();
}

fn run(id: u64, branch: &str, actor: &str, triggering: &str, created: &str) -> Value {
    json!({
        "id": id,
        "name": "Deploy",
        "display_title": format!("Deploy to production by @{actor}"),
        "head_branch": branch,
        "head_sha": "9fceb02d0ae598e95dc970b74767f19372d61af8",
        "path": ".github/workflows/deploy.yml",
        "run_number": id - 1000,
        "run_attempt": 1,
        "event": "workflow_dispatch",
        "status": "queued",
        "conclusion": null,
        "workflow_id": 161335,
        "html_url": format!("https://github.com/acme/deploy-tools/actions/runs/{id}"),
        "created_at": created,
        "updated_at": created,
        "actor": {"login": actor, "id": 1, "type": "User"},
        "triggering_actor": {"login": triggering, "id": 2, "type": "User"},
    })
}

#[tokio::test]
async fn a_dispatch_answered_204_is_found_among_the_workflow_s_runs() {
    let mock = Mock::start().await;
    let git_ref = "release/2025.06";
    mock.expect(
        Expect::new("POST", DISPATCH, Creds::Github)
            .body(json!({"ref": git_ref, "inputs": {}, "return_run_details": true}))
            .answer(204, Value::Null),
    );
    let list = "/repos/acme/deploy-tools/actions/workflows/deploy.yml/runs?event=workflow_dispatch\
                &branch=release%2F2025.06&created=%3E%3D2025-06-01T10%3A00%3A00Z&per_page=20";
    // Newest first, as GitHub lists them.
    let runs = json!({
        "total_count": 5,
        "workflow_runs": [
            run(1105, git_ref, "bob", "alice", "2025-06-01T10:00:09Z"),
            run(1104, git_ref, "alice", "alice", "2025-06-01T10:00:05Z"),
            run(1103, git_ref, "bob", "bob", "2025-06-01T10:00:04Z"),
            run(1102, "main", "alice", "alice", "2025-06-01T10:00:03Z"),
            run(1101, git_ref, "alice", "alice", "2025-06-01T09:59:58Z"),
        ]
    });
    mock.expect(Expect::new("GET", list, Creds::Github).answer(200, runs.clone()));
    mock.expect(Expect::new("GET", list, Creds::Github).answer(200, runs.clone()));
    mock.expect(Expect::new("GET", list, Creds::Github).answer(200, runs));
    let gh = github(&mock);
    let got = gh
        .dispatch(REPO, "deploy.yml", git_ref, &BTreeMap::new())
        .await
        .unwrap();
    assert_eq!(got, Dispatched::Accepted);
    // Asked a quarter of a second into 10:00:00; GitHub's times are whole seconds.
    let after = Timestamp::parse("2025-06-01T10:00:00.250Z").unwrap();
    let found = gh
        .find_dispatched_run(REPO, "deploy.yml", git_ref, Some("Alice"), after, &[])
        .await
        .unwrap();
    assert_eq!(
        found,
        Some(FoundRun {
            id: 1104,
            html_url: "https://github.com/acme/deploy-tools/actions/runs/1104".into(),
            created_at: Timestamp::parse("2025-06-01T10:00:05Z").unwrap(),
            // 1105 was started by bob for alice (a re-run): a second candidate.
            candidates: 2,
        })
    );
    let anyone = gh
        .find_dispatched_run(
            REPO,
            "deploy.yml",
            &format!("refs/heads/{git_ref}"),
            None,
            after,
            &[],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((anyone.id, anyone.candidates), (1103, 3));
    // A run another request already claimed is not taken again.
    let other = gh
        .find_dispatched_run(REPO, "deploy.yml", git_ref, None, after, &[1103])
        .await
        .unwrap()
        .unwrap();
    assert_eq!((other.id, other.candidates), (1104, 2));
    mock.finish();
}

#[tokio::test]
async fn an_unknown_input_passes_github_s_message_through() {
    let mock = Mock::start().await;
    mock.expect(
        Expect::new("POST", DISPATCH, Creds::Github)
            .body(json!({"ref": "main", "inputs": {"bogus": "1"}, "return_run_details": true}))
            .answer(
                422,
                gh_error("422", "Unexpected inputs provided: [\"bogus\"]"),
            ),
    );
    let e = github(&mock)
        .dispatch(REPO, "deploy.yml", "main", &inputs(&[("bogus", "1")]))
        .await
        .unwrap_err();
    let TriggerError::Unprocessable { message, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(message, "Unexpected inputs provided: [\"bogus\"]");
    let text = said(&e);
    assert!(text.contains("inputs at ref main"), "{text}");
    mock.finish();
}

#[tokio::test]
async fn a_token_without_actions_write_is_told_so() {
    let mock = Mock::start().await;
    mock.expect(
        Expect::new("POST", DISPATCH, Creds::Github)
            .body(json!({"ref": "main", "inputs": {}, "return_run_details": true}))
            .answer(
                403,
                gh_error("403", "Resource not accessible by personal access token"),
            ),
    );
    let e = github(&mock)
        .dispatch(REPO, "deploy.yml", "main", &BTreeMap::new())
        .await
        .unwrap_err();
    assert_eq!(
        e,
        TriggerError::Forbidden {
            message: "Resource not accessible by personal access token".into()
        }
    );
    assert!(said(&e).contains("\"Actions: write\""), "{e}");
    mock.finish();
}

#[tokio::test]
async fn a_missing_workflow_names_the_repository_and_ref() {
    let mock = Mock::start().await;
    mock.expect(
        Expect::new("POST", DISPATCH, Creds::Github)
            .body(json!({"ref": "main", "inputs": {}, "return_run_details": true}))
            .answer(404, gh_error("404", "Not Found")),
    );
    let e = github(&mock)
        .dispatch(REPO, "deploy.yml", "main", &BTreeMap::new())
        .await
        .unwrap_err();
    assert_eq!(
        said(&e),
        "workflow deploy.yml not found in acme/deploy-tools at ref main (or the token cannot see the repository)"
    );
    mock.finish();
}

#[tokio::test]
async fn a_rate_limited_dispatch_is_reported_not_repeated() {
    let mock = Mock::start().await;
    mock.expect(
        Expect::new("POST", DISPATCH, Creds::Github)
            .body(json!({"ref": "main", "inputs": {}, "return_run_details": true}))
            .answer(
                403,
                gh_error("403", "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."),
            )
            .header("retry-after", "30"),
    );
    let e = github(&mock)
        .dispatch(REPO, "deploy.yml", "main", &BTreeMap::new())
        .await
        .unwrap_err();
    assert_eq!(
        e,
        TriggerError::RateLimited {
            retry_after_secs: 30
        }
    );
    assert_eq!(mock.served(), 1, "sent once");
    mock.finish();
}

#[tokio::test]
async fn cancel_rerun_and_rerun_failed_jobs() {
    let mock = Mock::start().await;
    let runs = "/repos/acme/deploy-tools/actions/runs";
    mock.expect(
        Expect::new("POST", format!("{runs}/42/cancel"), Creds::Github).answer(202, json!({})),
    );
    mock.expect(
        Expect::new("POST", format!("{runs}/41/cancel"), Creds::Github).answer(
            409,
            gh_error("409", "Cannot cancel a workflow run that is completed."),
        ),
    );
    mock.expect(
        Expect::new("POST", format!("{runs}/42/rerun"), Creds::Github).answer(201, json!({})),
    );
    mock.expect(
        Expect::new(
            "POST",
            format!("{runs}/42/rerun-failed-jobs"),
            Creds::Github,
        )
        .answer(201, json!({})),
    );
    let gh = github(&mock);
    gh.cancel(REPO, 42).await.unwrap();
    let e = gh.cancel(REPO, 41).await.unwrap_err();
    assert_eq!(
        e,
        TriggerError::AlreadyFinished {
            what: "run 41".into()
        }
    );
    assert!(said(&e).contains("already finished"));
    gh.rerun(REPO, 42).await.unwrap();
    gh.rerun_failed_jobs(REPO, 42).await.unwrap();
    mock.finish();
}

#[tokio::test]
async fn a_workflow_file_is_read_from_the_contents_api() {
    use base64::Engine as _;
    let mock = Mock::start().await;
    let file = include_str!("trigger_clients/deploy.yml");
    let packed = base64::engine::general_purpose::STANDARD.encode(file);
    // GitHub wraps the base64 text every 60 characters.
    let wrapped: String = packed
        .as_bytes()
        .chunks(60)
        .map(|c| format!("{}\n", String::from_utf8_lossy(c)))
        .collect();
    mock.expect(
        Expect::new(
            "GET",
            "/repos/acme/deploy-tools/contents/.github/workflows/deploy.yml?ref=release%2F2025.06",
            Creds::Github,
        )
        .answer(
            200,
            json!({
                "type": "file",
                "encoding": "base64",
                "size": file.len(),
                "name": "deploy.yml",
                "path": ".github/workflows/deploy.yml",
                "content": wrapped,
                "sha": "3d21ec53a331a6f037a91c368710b99387d012c1",
                "url": "https://api.github.com/repos/acme/deploy-tools/contents/.github/workflows/deploy.yml?ref=release/2025.06",
            }),
        ),
    );
    let text = github(&mock)
        .workflow_file(REPO, ".github/workflows/deploy.yml", "release/2025.06")
        .await
        .unwrap();
    assert_eq!(text, file);
    let form = dispatch_inputs(&text).unwrap();
    let kinds: Vec<_> = form.iter().map(|i| (i.name.as_str(), i.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("environment", InputKind::Environment),
            ("version", InputKind::String),
            ("strategy", InputKind::Choice),
            ("dry_run", InputKind::Boolean),
        ]
    );
    mock.finish();
}

#[tokio::test]
async fn a_run_and_its_jobs_are_read() {
    let mock = Mock::start().await;
    let runs = "/repos/acme/deploy-tools/actions/runs";
    mock.expect(
        Expect::new("GET", format!("{runs}/1104"), Creds::Github).answer(
            200,
            run(1104, "main", "alice", "alice", "2025-06-01T10:00:05Z"),
        ),
    );
    mock.expect(
        Expect::new("GET", format!("{runs}/1104/jobs?per_page=100"), Creds::Github).answer(
            200,
            json!({"total_count": 2, "jobs": [
                {"id": 7001, "run_id": 1104, "name": "build", "status": "completed", "conclusion": "success"},
                {"id": 7002, "run_id": 1104, "name": "deploy", "status": "completed", "conclusion": "failure"},
            ]}),
        ),
    );
    let gh = github(&mock);
    assert_eq!(gh.run(REPO, 1104).await.unwrap()["id"], 1104);
    let jobs = gh.jobs(REPO, 1104).await.unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[1]["conclusion"], "failure");
    mock.finish();
}

#[tokio::test]
async fn a_job_log_is_fetched_from_its_signed_url_without_the_token() {
    let mock = Mock::start().await;
    let signed =
        "/blob/actions-results/7002.txt?sv=2025-01-05&se=2025-06-01T10%3A01%3A00Z&sig=abc%3D";
    mock.expect(
        Expect::new(
            "GET",
            "/repos/acme/deploy-tools/actions/jobs/7002/logs",
            Creds::Github,
        )
        .text(302, "")
        .header("location", format!("{}{signed}", mock.base())),
    );
    let log: String = (1..=50)
        .map(|i| format!("2025-06-01T10:00:{:02}.0000000Z step line {i}\r\n", i % 60))
        .collect();
    mock.expect(Expect::new("GET", signed, Creds::Without).text(200, &format!("\u{feff}{log}")));
    let tail = github(&mock).job_log_excerpt(REPO, 7002, 3).await.unwrap();
    assert_eq!(
        tail,
        "2025-06-01T10:00:48.0000000Z step line 48\n\
         2025-06-01T10:00:49.0000000Z step line 49\n\
         2025-06-01T10:00:50.0000000Z step line 50\n"
    );
    mock.finish();
}

#[tokio::test]
async fn no_github_error_holds_the_token() {
    let mock = Mock::start().await;
    let runs = "/repos/acme/deploy-tools/actions/runs";
    mock.expect(
        Expect::new("GET", format!("{runs}/1"), Creds::Github).answer(
            401,
            json!({"message": format!("Bad credentials: {GITHUB_TOKEN}")}),
        ),
    );
    mock.expect(
        Expect::new("GET", format!("{runs}/2"), Creds::Github)
            .text(502, &format!("upstream said Bearer {GITHUB_TOKEN}")),
    );
    mock.expect(
        Expect::new("POST", format!("{runs}/3/rerun"), Creds::Github).answer(
            422,
            gh_error("422", &format!("token {GITHUB_TOKEN} cannot rerun")),
        ),
    );
    mock.expect(
        Expect::new("POST", format!("{runs}/4/rerun-failed-jobs"), Creds::Github).answer(
            422,
            json!({"message": "Validation Failed", "errors": [
                {"resource": "WorkflowRun", "field": "run_id", "code": "invalid"}
            ]}),
        ),
    );
    let gh = github(&mock);
    let e = gh.run(REPO, 1).await.unwrap_err();
    assert!(matches!(e, TriggerError::Unauthorized(_)), "{e:?}");
    assert!(said(&e).contains("GitHub rejected the token"));
    let e = gh.run(REPO, 2).await.unwrap_err();
    assert!(said(&e).contains("502"), "{e}");
    said(&gh.rerun(REPO, 3).await.unwrap_err());
    let e = gh.rerun_failed_jobs(REPO, 4).await.unwrap_err();
    let TriggerError::Unprocessable { message, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(message, "Validation Failed (run_id invalid)");
    mock.finish();
}
