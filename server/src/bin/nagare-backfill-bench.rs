//! The backfill benchmark of docs/PERFORMANCE.md: `nagare backfill github` of N workflow runs
//! (each with one job) from a local server that answers as GitHub's REST API does, with the
//! recorded objects (core/tests/fixtures/github, octokit/webhooks, MIT), into DATABASE_URL.
//! Usage: nagare-backfill-bench DATABASE_URL [--runs N]   (default 10 000). Prints one JSON line.

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use nagare_server::config::{GithubSourceConfig, RepoRuleConfig};
use nagare_server::sources::backfill::{backfill, RepoReport};
use nagare_server::sources::github::Github;
use nagare_server::sources::github_api::{Auth, Backoff, Client};
use nagare_server::store::Store;
use serde_json::{json, Value};
use std::process::ExitCode;
use std::sync::Arc;

const REPO: &str = "octo-org/octo-repo";
const PAGE: u64 = 100;

struct Api {
    runs: u64,
    run: Value,
    job: Value,
    repository: Value,
}

async fn api(State(a): State<Arc<Api>>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let page: u64 = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1);
    let prefix = format!("/repos/{REPO}");
    let rest = path.strip_prefix(&prefix).unwrap_or("?");
    match rest {
        "" => axum::Json(a.repository.clone()).into_response(),
        "/actions/runs" => {
            let first = (page - 1) * PAGE;
            let runs: Vec<Value> = (first..(first + PAGE).min(a.runs))
                .map(|i| {
                    let mut r = a.run.clone();
                    r["id"] = json!(1_000_000 + i);
                    r["run_number"] = json!(i + 1);
                    r
                })
                .collect();
            let mut reply =
                axum::Json(json!({"total_count": a.runs, "workflow_runs": runs})).into_response();
            if first + PAGE < a.runs {
                let next = format!(
                    "<http://{host}{prefix}/actions/runs?per_page=100&page={}>; rel=\"next\"",
                    page + 1
                );
                if let Ok(v) = next.parse() {
                    reply.headers_mut().insert("link", v);
                }
            }
            reply
        }
        r if r.starts_with("/actions/runs/") && r.ends_with("/jobs") => {
            let id: u64 = r
                .trim_start_matches("/actions/runs/")
                .trim_end_matches("/jobs")
                .parse()
                .unwrap_or(0);
            let mut job = a.job.clone();
            job["id"] = json!(id * 10);
            job["run_id"] = json!(id);
            axum::Json(json!({"total_count": 1, "jobs": [job]})).into_response()
        }
        "/deployments" | "/pulls" | "/issues" => axum::Json(json!([])).into_response(),
        _ => (axum::http::StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

fn parse(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

async fn run() -> Result<String, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url = args
        .first()
        .ok_or("usage: nagare-backfill-bench DATABASE_URL [--runs N]")?;
    let runs: u64 = match args.iter().position(|a| a == "--runs") {
        Some(i) => args
            .get(i + 1)
            .and_then(|n| n.parse().ok())
            .ok_or("--runs takes a number")?,
        None => 10_000,
    };
    let run = parse(include_str!(
        "../../../core/tests/fixtures/github/workflow_run.completed.payload.json"
    ))?;
    let job = parse(include_str!(
        "../../../core/tests/fixtures/github/workflow_job.completed.success.with-organization.payload.json"
    ))?;
    let state = Arc::new(Api {
        runs,
        repository: run["repository"].clone(),
        run: run["workflow_run"].clone(),
        job: job["workflow_job"].clone(),
    });
    let app = axum::Router::new().fallback(api).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move { axum::serve(listener, app).await });

    let store = Store::open(url).await.map_err(|e| e.to_string())?;
    let client = Client::new(
        &format!("http://{addr}"),
        Auth::Token("bench-token".into()),
        Backoff::default(),
    )
    .map_err(|e| e.to_string())?;
    let config = GithubSourceConfig {
        repos: vec![RepoRuleConfig {
            repo: REPO.into(),
            service: "octo".into(),
            path: None,
            teams: Vec::new(),
        }],
        ..GithubSourceConfig::default()
    };
    let mapping = Github::mapping(&config).map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    // The fixture run is of 2020: everything since 2020-01-01.
    let since = 1_577_836_800_000;
    let reports: Vec<RepoReport> = backfill(
        &store,
        &mapping,
        &client,
        &[REPO.to_owned()],
        &nagare_server::sources::backfill::Scope {
            since,
            incident_labels: &[],
            mirrored: &[],
        },
        &|_| {},
    )
    .await;
    let secs = started.elapsed().as_secs_f64();
    let r = reports.first().ok_or("no report")?;
    if let Some(e) = &r.error {
        return Err(e.clone());
    }
    let rss_mib = nagare_server::state::peak_resident_mib();
    Ok(json!({
        "runs": runs,
        "objects": r.objects,
        "pages": r.pages,
        "new_events": r.stored,
        "requests": client.requests.load(std::sync::atomic::Ordering::Relaxed),
        "seconds": (secs * 100.0).round() / 100.0,
        "runs_per_s": (runs as f64 / secs).round(),
        "peak_rss_mib": rss_mib.round(),
    })
    .to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nagare-backfill-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
