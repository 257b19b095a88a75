//! What `make run` and a GitHub webhook pointed at it give: the real `nagare` binary, started
//! on a fresh SQLite database with the demo organisation (as `make run` starts it), takes
//! GitHub's recorded payloads signed by the test and shows them on the Sources API; `nagare
//! replay`, run beside it with a new rule, is seen by the running server.

use super::hmac_sha256;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const SECRET: &str = "a-fresh-portal-github-secret-0123";

/// The `nagare` binary with none of this test run's own `NAGARE_*` variables.
fn nagare(db: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nagare"));
    for (key, _) in std::env::vars() {
        if key.starts_with("NAGARE_") || key == "DATABASE_URL" {
            cmd.env_remove(key);
        }
    }
    cmd.env("DATABASE_URL", db)
        .env("NAGARE_HOOK_GITHUB_SECRETS", SECRET)
        .env("NAGARE_LOG", "warn");
    cmd
}

/// Stops the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `nagare serve` on a free loopback port; its base URL once it says it serves.
fn serve(db: &str, dir: &std::path::Path) -> (Server, String) {
    let mut child = nagare(db)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("NAGARE_SEED_DEMO", "true")
        .env("NAGARE_DIST_DIR", dir.join("no-dist"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let server = Server(child);
    let line = BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .find(|l| l.starts_with("Nagare is serving on "))
        .expect("the server says where it serves");
    let url = line
        .trim_start_matches("Nagare is serving on ")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    (server, url)
}

async fn hook(client: &reqwest::Client, url: &str, event: &str, id: &str, body: &str) -> u16 {
    client
        .post(format!("{url}/hooks/github"))
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-github-delivery", id)
        .header(
            "x-hub-signature-256",
            format!("sha256={}", hmac_sha256(SECRET.as_bytes(), body.as_bytes())),
        )
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn get(client: &reqwest::Client, url: &str, path: &str) -> Value {
    let r = client.get(format!("{url}{path}")).send().await.unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_portal_shows_github_deliveries_as_they_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("nagare.db").display());
    let (_server, url) = serve(&db, dir.path());
    let client = reqwest::Client::new();
    // The demo organisation is there, as after `make run`.
    let services = get(&client, &url, "/api/v1/services").await;
    assert!(!services.as_array().unwrap().is_empty(), "{services}");
    // With the Checkout team's history as GitHub's deliveries, every one mapped.
    let seeded = get(&client, &url, "/api/v1/sources").await[0]["verdicts"].clone();
    let demo = seeded["accepted"].as_u64().unwrap();
    assert!(demo > 1000, "{seeded}");
    assert_eq!(
        seeded,
        serde_json::json!({"accepted": demo, "duplicate": 0, "ignored": 0, "unmapped": 0, "rejected": 0})
    );

    for (event, id, body, status) in [
        ("ping", "f-1", fixture!("ping"), 200),
        (
            "workflow_run",
            "f-2",
            fixture!("workflow_run.completed"),
            200,
        ),
        (
            "workflow_job",
            "f-3",
            fixture!("workflow_job.completed.success.with-organization"),
            200,
        ),
        (
            "deployment_status",
            "f-4",
            fixture!("deployment_status"),
            202,
        ),
        (
            "workflow_run",
            "f-2",
            fixture!("workflow_run.completed"),
            200,
        ),
    ] {
        assert_eq!(
            hook(&client, &url, event, id, body).await,
            status,
            "{event} {id}"
        );
    }
    let sources = get(&client, &url, "/api/v1/sources").await;
    let gh = &sources[0];
    assert_eq!(gh["name"], "github");
    assert_eq!(gh["configured"], true);
    assert!(gh["last_ping_at"].is_string(), "connected: {gh}");
    assert_eq!(
        gh["verdicts"],
        serde_json::json!({"accepted": demo + 2, "duplicate": 1, "ignored": 1, "unmapped": 1, "rejected": 0}),
        "{gh}"
    );
    assert_eq!(gh["unmapped"][0]["key"], "Codertocat/Hello-World", "{gh}");
    let list = get(&client, &url, "/api/v1/deliveries?source=github").await;
    let events: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events[..4],
        ["deployment_status", "workflow_job", "workflow_run", "ping"],
        "newest first: {list}"
    );
    assert!(
        list["items"][4]["delivery_id"]
            .as_str()
            .unwrap()
            .starts_with("demo:"),
        "{list}"
    );

    // The rule the hint names, then `nagare replay` beside the running server.
    let config = dir.path().join("nagare.toml");
    std::fs::write(&config, gh["unmapped"][0]["rule"].as_str().unwrap()).unwrap();
    // As `make run` starts it (the demo's rules with it, so its deliveries map as seeded).
    let out = nagare(&db)
        .env("NAGARE_SEED_DEMO", "true")
        .args(["--config", config.to_str().unwrap(), "replay", "--quiet"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.starts_with(&format!(
            "replayed {} github deliveries ({} accepted, 1 ignored; 1 verdicts changed)",
            demo + 4,
            demo + 3
        )),
        "{said}"
    );
    let deployments = get(
        &client,
        &url,
        "/api/v1/deployments?from=2019-05-01T00:00:00Z&to=2019-06-01T00:00:00Z",
    )
    .await;
    assert_eq!(deployments["total"], 1, "{deployments}");
    assert_eq!(deployments["items"][0]["service"], "Hello-World");
}
