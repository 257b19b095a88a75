//! Real server processes: a runbook's concurrency limit holds across two replicas on one
//! database (PostgreSQL in `make test`), and a run orphaned by a killed server is marked
//! failed when a server starts again, with nothing of it left running.

use super::*;
use crate::common::Server;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn toml(port: u16, url: &str) -> String {
    format!(
        r#"[server]
bind = "127.0.0.1:{port}"
dist_dir = "/nonexistent-dist"

[database]
url = "{url}"

[jobs]
lease_secs = 6

[log]
level = "warn"

[triggers]
kill_grace_secs = 1

[[triggers.runbooks]]
name = "hold"
service = "payments-api"
argv = ["sh", "-c", "echo started; sleep 2; echo done"]
concurrency = 1
env = ["PATH"]

[[triggers.runbooks]]
name = "long"
service = "payments-api"
argv = ["sh", "-c", "echo started; sleep 300"]
timeout_secs = 600
env = ["PATH"]
"#
    )
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn post_json(addr: &str, path: &str, body: &str) -> Value {
    let r = http()
        .post(format!("http://{addr}{path}"))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

async fn get_json(addr: &str, path: &str) -> Value {
    http()
        .get(format!("http://{addr}{path}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn wait_for<F: Fn(&Value) -> bool>(addr: &str, path: &str, what: &str, ok: F) -> Value {
    let started = Instant::now();
    loop {
        let v = get_json(addr, path).await;
        if ok(&v) {
            return v;
        }
        assert!(started.elapsed() < Duration::from_secs(45), "{what}: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_concurrency_limit_holds_across_two_replicas() {
    for backend in backends() {
        let (url, dir) = fresh_url(backend).await;
        let tmp = tempfile::tempdir().unwrap();
        let (pa, pb) = (free_port(), free_port());
        let a = Server::start(&toml(pa, &url), 1024, &tmp.path().join("a").tap_mkdir());
        let b = Server::start(&toml(pb, &url), 1024, &tmp.path().join("b").tap_mkdir());
        post_json(&a.addr, "/api/v1/events", SERVICES).await;
        let mut ids = Vec::new();
        for i in 0..4 {
            let addr = if i % 2 == 0 { &a.addr } else { &b.addr };
            let run = post_json(addr, "/api/v1/triggers/hold/runs", "{}").await;
            ids.push(run["id"].as_str().unwrap().to_owned());
        }
        let mut spans = Vec::new();
        for id in &ids {
            let run = wait_for(
                &b.addr,
                &format!("/api/v1/runs/{id}"),
                "the run never ended",
                |v| v["status"] == "succeeded",
            )
            .await;
            // Its output is the same whichever replica is asked (the log is read from the store).
            for addr in [&a.addr, &b.addr] {
                let log = get_json(addr, &format!("/api/v1/runs/{id}/log")).await;
                let text: String = log["chunks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|c| c["stream"] == "stdout")
                    .map(|c| c["text"].as_str().unwrap())
                    .collect();
                assert_eq!(text, "started\ndone\n", "{backend}: {addr}");
            }
            let at = |k: &str| {
                nagare_core::Timestamp::parse(run[k].as_str().unwrap())
                    .unwrap()
                    .0
            };
            spans.push((at("started_at"), at("finished_at")));
        }
        spans.sort();
        for w in spans.windows(2) {
            assert!(
                w[0].1 <= w[1].0,
                "{backend}: two runs of a runbook limited to 1 overlapped: {spans:?}"
            );
        }
        drop((a, b, dir));
    }
}

trait Mkdir {
    fn tap_mkdir(self) -> Self;
}
impl Mkdir for std::path::PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}

#[tokio::test]
async fn a_run_orphaned_by_a_killed_server_is_failed_at_the_next_start() {
    let (url, _dir) = fresh_url("sqlite").await;
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut first = Server::start(&toml(port, &url), 1024, &tmp.path().join("1").tap_mkdir());
    post_json(&first.addr, "/api/v1/events", SERVICES).await;
    let run = post_json(&first.addr, "/api/v1/triggers/long/runs", "{}").await;
    let id = run["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/runs/{id}/log");
    wait_for(&first.addr, &path, "never started", |v| {
        v["chunks"].as_array().is_some_and(|c| {
            c.iter()
                .any(|c| c["text"].as_str().unwrap_or("").contains("started"))
        })
    })
    .await;
    let (store, _) = (nagare_server::store::Store::open(&url).await.unwrap(), ());
    let pgid = store.portal_run(&id).await.unwrap().unwrap().pgid.unwrap();
    assert!(!group_members(pgid).is_empty(), "the runbook runs");
    // A crash: SIGKILL, no shutdown. The runbook's processes, in their own group, live on.
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    assert_eq!(
        store
            .portal_run(&id)
            .await
            .unwrap()
            .unwrap()
            .run
            .status
            .as_str(),
        "running"
    );
    assert!(
        !group_members(pgid).is_empty(),
        "orphaned processes are still there"
    );
    let second = Server::start(&toml(port, &url), 1024, &tmp.path().join("2").tap_mkdir());
    let failed = wait_for(
        &second.addr,
        &format!("/api/v1/runs/{id}"),
        "not recovered",
        |v| v["status"] != "running",
    )
    .await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.starts_with("orphaned: the server running it"),
        "{error}"
    );
    assert!(
        error.contains(&format!(
            "its process group {pgid} was still running and was killed"
        )),
        "{error}"
    );
    let began = Instant::now();
    while !group_members(pgid).is_empty() {
        assert!(
            began.elapsed() < Duration::from_secs(5),
            "the orphaned group is still alive"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(second);
}
