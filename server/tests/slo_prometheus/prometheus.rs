//! A real Prometheus over a written history, and a recording proxy in front of it.
//!
//! Prometheus (Debian's package, 2.42 here; CI installs it) reads blocks that
//! `promtool tsdb create-blocks-from openmetrics` made of the history, in a fresh data directory,
//! on a free loopback port, with no scrape jobs; it is killed when the test ends. The proxy
//! forwards each `query_range` to it and records what was asked, so that a test can check where
//! a sync started reading; it can also refuse every request after a number of them, as a
//! Prometheus going down in the middle of a sync.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn installed(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{name}` is not installed: these tests sync from a real Prometheus; install \
                 Debian's package (apt-get install prometheus, which brings promtool too), as \
                 scripts/setup.sh does"
            )
        })
}

/// A Prometheus process, killed when dropped.
pub struct Prometheus {
    child: Child,
    pub url: String,
    dir: PathBuf,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    /// Writes `openmetrics` into blocks under `dir`, starts Prometheus over them and waits
    /// until it is ready.
    pub async fn start(dir: &Path, openmetrics: &str) -> Prometheus {
        let prometheus = installed("prometheus");
        let promtool = installed("promtool");
        let data = dir.join("data");
        std::fs::create_dir_all(&data).unwrap();
        let samples = dir.join("history.om");
        std::fs::write(&samples, openmetrics).unwrap();
        let out = Command::new(&promtool)
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(&samples)
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            "global:\n  scrape_interval: 1h\nscrape_configs: []\n",
        )
        .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address = format!("127.0.0.1:{port}");
        let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
        let child = Command::new(&prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            // Histories of fixed dates (the client's test writes 2023's) are kept whatever
            // today is.
            .arg("--storage.tsdb.retention.time=100y")
            .arg(format!("--web.listen-address={address}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut p = Prometheus {
            child,
            url: format!("http://{address}"),
            dir: dir.to_owned(),
        };
        p.wait_ready().await;
        p
    }

    async fn wait_ready(&mut self) {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = http.get(format!("{}/-/ready", self.url)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("Prometheus exited ({status}):\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "Prometheus was not ready within 60 s:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default()
    }
}

/// One `query_range` the proxy was asked (times in ms).
#[derive(Debug, Clone, PartialEq)]
pub struct Asked {
    pub query: String,
    pub start: i64,
    pub end: i64,
    pub step: i64,
    /// Refused by the proxy (Prometheus "down").
    pub refused: bool,
}

struct Inner {
    upstream: String,
    http: reqwest::Client,
    asked: Mutex<Vec<Asked>>,
    /// Requests still let through.
    allowed: AtomicUsize,
}

/// A recording proxy in front of a Prometheus; stops with the test's runtime.
pub struct Proxy {
    pub url: String,
    inner: Arc<Inner>,
}

/// Seconds with decimals (as the client sends them) in ms.
fn ms(form: &[(String, String)], key: &str) -> i64 {
    let v = form
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no `{key}` in the form {form:?}"));
    (v.parse::<f64>().unwrap() * 1000.0).round() as i64
}

async fn forward(State(p): State<Arc<Inner>>, body: Bytes) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let query = form
        .iter()
        .find(|(k, _)| k == "query")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let refused = p
        .allowed
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_err();
    p.asked.lock().unwrap().push(Asked {
        query,
        start: ms(&form, "start"),
        end: ms(&form, "end"),
        step: ms(&form, "step"),
        refused,
    });
    if refused {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"status":"error","errorType":"unavailable","error":"Prometheus is down (the test's proxy)"}"#,
        )
            .into_response();
    }
    let r = p
        .http
        .post(format!("{}/api/v1/query_range", p.upstream))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
    let bytes = r.bytes().await.unwrap();
    (
        status,
        [("content-type", "application/json")],
        bytes.to_vec(),
    )
        .into_response()
}

impl Proxy {
    pub async fn start(upstream: &str) -> Proxy {
        let inner = Arc::new(Inner {
            upstream: upstream.to_owned(),
            http: reqwest::Client::new(),
            asked: Mutex::new(Vec::new()),
            allowed: AtomicUsize::new(usize::MAX),
        });
        let app = axum::Router::new()
            .route("/api/v1/query_range", axum::routing::post(forward))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Proxy { url, inner }
    }

    /// Lets `n` more requests through, then refuses the rest.
    pub fn allow(&self, n: usize) {
        self.inner.allowed.store(n, Ordering::SeqCst);
    }

    /// What was asked since the last call.
    pub fn take(&self) -> Vec<Asked> {
        std::mem::take(&mut *self.inner.asked.lock().unwrap())
    }
}
