//! The load shape of docs/PERFORMANCE.md: N clients reading and writing for T seconds.
//!
//! Usage: nagare-load URL --clients N --seconds T [--query Q] [--write-share F]
//!        nagare-load URL --big-bodies N [--mb M]
//!        nagare-load URL --github-jobs SECRET --clients N --seconds T
//!
//! - **Mixed load.** Each client loops: with probability `--write-share` (default 0.5) it posts
//!   one production deployment (`POST /api/v1/events`, NDJSON), else it reads the DORA metrics
//!   (`GET /api/v1/metrics/dora?Q`). A separate client asks `/healthz` every 100 ms. Each client
//!   keeps one connection alive, as CI jobs and dashboards do. Prints one JSON object: per kind
//!   the count, the rate, p50/p99/max latency in ms, and the answers by status.
//! - **GitHub deliveries.** Each client loops posting a signed `workflow_job` delivery to
//!   `POST /hooks/github` (GitHub's recorded payload, a new delivery id, job and run each time),
//!   as GitHub does, on one kept-alive connection; prints the same summary for them.
//! - **Big bodies.** N clients at once each post an NDJSON body of M MB (default 9.9) whose last
//!   line is invalid, as the outside probe did; prints the answers by status.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

#[derive(Default)]
struct Kind {
    latencies_ms: Vec<f64>,
    statuses: BTreeMap<u16, u64>,
    errors: u64,
}

impl Kind {
    fn record(&mut self, started: Instant, status: Option<u16>) {
        self.latencies_ms
            .push(started.elapsed().as_secs_f64() * 1000.0);
        match status {
            Some(s) => *self.statuses.entry(s).or_default() += 1,
            None => self.errors += 1,
        }
    }

    fn summary(&mut self, seconds: f64) -> serde_json::Value {
        self.latencies_ms.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            let v = &self.latencies_ms;
            if v.is_empty() {
                return 0.0;
            }
            let h = (v.len() - 1) as f64 * p;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(v.len() - 1);
            let x = v[lo] + (h - lo as f64) * (v[hi] - v[lo]);
            (x * 100.0).round() / 100.0
        };
        serde_json::json!({
            "requests": self.latencies_ms.len(),
            "per_s": (self.latencies_ms.len() as f64 / seconds).round(),
            "p50_ms": pct(0.5),
            "p99_ms": pct(0.99),
            "max_ms": pct(1.0),
            "statuses": self.statuses.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
            "errors": self.errors,
        })
    }
}

fn main() -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("nagare-load: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run()) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nagare-load: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<serde_json::Value, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url = args
        .first()
        .ok_or("usage: nagare-load URL --clients N --seconds T | --big-bodies N")?
        .trim_end_matches('/')
        .to_owned();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let num = |name: &str, default: f64| -> Result<f64, String> {
        flag(name).map_or(Ok(default), |v| {
            v.parse().map_err(|_| format!("bad {name} {v}"))
        })
    };
    if let Some(n) = flag("--big-bodies") {
        let n: usize = n.parse().map_err(|_| "bad --big-bodies")?;
        return big_bodies(&url, n, num("--mb", 9.9)?).await;
    }
    let clients = num("--clients", 20.0)? as usize;
    let seconds = num("--seconds", 20.0)?;
    if let Some(secret) = flag("--github-jobs") {
        return github_jobs(&url, &secret, clients, seconds).await;
    }
    let write_share = num("--write-share", 0.5)?;
    let query = flag("--query")
        .unwrap_or_else(|| "from=2025-12-02T00:00:00Z&to=2026-01-01T00:00:00Z".into());
    let services: Vec<String> = reqwest::get(format!("{url}/api/v1/services"))
        .await
        .map_err(|e| e.to_string())?
        .json::<Vec<serde_json::Value>>()
        .await
        .map_err(|e| e.to_string())?
        .iter()
        .filter_map(|s| s["name"].as_str().map(str::to_owned))
        .collect();
    if services.is_empty() {
        return Err("the server has no services; load a synthetic organisation first".into());
    }
    let reads = Arc::new(Mutex::new(Kind::default()));
    let writes = Arc::new(Mutex::new(Kind::default()));
    let health = Arc::new(Mutex::new(Kind::default()));
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let run_id = std::process::id();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (url, query, services) = (url.clone(), query.clone(), services.clone());
        let (reads, writes) = (reads.clone(), writes.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap_or_default();
            let mut seed = (c as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let mut i = 0u64;
            while Instant::now() < until {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let write = ((seed >> 11) as f64 / (1u64 << 53) as f64) < write_share;
                let started = Instant::now();
                if write {
                    i += 1;
                    let service = &services[(seed >> 20) as usize % services.len()];
                    let body = format!(
                        r#"{{"kind":"deployment","id":"load-{run_id}-{c}-{i}","source":"load","service":"{service}","environment":"production","status":"success","started_at":"2026-01-01T00:00:00Z","finished_at":"2026-01-01T00:05:00Z","sha":"load-{c}-{i}"}}"#
                    );
                    let r = http.post(format!("{url}/api/v1/events")).header("content-type", "application/x-ndjson").body(body).send().await;
                    let status = status_of(r).await;
                    writes.lock().await.record(started, status);
                } else {
                    let r = http.get(format!("{url}/api/v1/metrics/dora?{query}")).send().await;
                    let status = status_of(r).await;
                    reads.lock().await.record(started, status);
                }
            }
        }));
    }
    {
        let (url, health) = (url.clone(), health.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            while Instant::now() < until {
                let started = Instant::now();
                let status = http
                    .get(format!("{url}/healthz"))
                    .send()
                    .await
                    .ok()
                    .map(|r| r.status().as_u16());
                health.lock().await.record(started, status);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())?;
    }
    let (r, w, h) = (
        reads.lock().await.summary(seconds),
        writes.lock().await.summary(seconds),
        health.lock().await.summary(seconds),
    );
    Ok(
        serde_json::json!({"clients": clients, "seconds": seconds, "dora": r, "ingest": w, "healthz": h}),
    )
}

/// GitHub's recorded `workflow_job` payload (octokit/webhooks, MIT; core/tests/fixtures/github).
const JOB: &str = include_str!(
    "../../../core/tests/fixtures/github/workflow_job.completed.success.with-organization.payload.json"
);

async fn github_jobs(
    url: &str,
    secret: &str,
    clients: usize,
    seconds: f64,
) -> Result<serde_json::Value, String> {
    use hmac::{Hmac, Mac};
    let template: serde_json::Value = serde_json::from_str(JOB).map_err(|e| e.to_string())?;
    let hooks = Arc::new(Mutex::new(Kind::default()));
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let run_id = u64::from(std::process::id());
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (url, secret, template, hooks) = (
            url.to_owned(),
            secret.to_owned(),
            template.clone(),
            hooks.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap_or_default();
            let mut i = 0u64;
            while Instant::now() < until {
                i += 1;
                let n = (run_id << 32) | ((c as u64) << 24) | i;
                let mut v = template.clone();
                v["workflow_job"]["id"] = serde_json::json!(n);
                // Three jobs a run, as a small workflow has.
                v["workflow_job"]["run_id"] = serde_json::json!(n / 3);
                let body = v.to_string();
                let Ok(mut mac) = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes())
                else {
                    return;
                };
                mac.update(body.as_bytes());
                let sig: String = mac
                    .finalize()
                    .into_bytes()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                let started = Instant::now();
                let r = http
                    .post(format!("{url}/hooks/github"))
                    .header("content-type", "application/json")
                    .header("x-github-event", "workflow_job")
                    .header("x-github-delivery", format!("load-{run_id}-{c}-{i}"))
                    .header("x-hub-signature-256", format!("sha256={sig}"))
                    .body(body)
                    .send()
                    .await;
                let status = status_of(r).await;
                hooks.lock().await.record(started, status);
            }
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())?;
    }
    let summary = hooks.lock().await.summary(seconds);
    Ok(serde_json::json!({"clients": clients, "seconds": seconds, "github": summary}))
}

/// The status of a reply once its body is read, or `None` when the request failed.
async fn status_of(reply: reqwest::Result<reqwest::Response>) -> Option<u16> {
    let r = reply.ok()?;
    let status = r.status().as_u16();
    let _ = r.bytes().await;
    Some(status)
}

async fn big_bodies(url: &str, n: usize, mb: f64) -> Result<serde_json::Value, String> {
    let target = (mb * 1024.0 * 1024.0) as usize;
    let line = r#"{"kind":"team","name":"big-body-team","display_name":"a line of a big body, repeated to fill it"}"#;
    let mut body = String::with_capacity(target + 100);
    while body.len() + line.len() + 40 < target {
        body.push_str(line);
        body.push('\n');
    }
    body.push_str("{\"kind\":\"team\",\"name\":42}\n");
    let body = Arc::new(body);
    let statuses = Arc::new(Mutex::new(BTreeMap::<u16, u64>::new()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..n {
        let (url, body, statuses) = (url.to_owned(), body.clone(), statuses.clone());
        tasks.push(tokio::spawn(async move {
            let r = reqwest::Client::new()
                .post(format!("{url}/api/v1/events"))
                .header("content-type", "application/x-ndjson")
                .body(body.as_bytes().to_vec())
                .send()
                .await;
            let s = match r {
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            };
            *statuses.lock().await.entry(s).or_default() += 1;
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())?;
    }
    let statuses = statuses
        .lock()
        .await
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect::<BTreeMap<_, _>>();
    Ok(
        serde_json::json!({"bodies": n, "mb": mb, "bytes_each": body.len(), "seconds": started.elapsed().as_secs_f64(), "statuses": statuses}),
    )
}
