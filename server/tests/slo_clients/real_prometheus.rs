//! The client against a real Prometheus (Debian's `prometheus` package): samples written with
//! `promtool tsdb create-blocks-from openmetrics` into a fresh data directory, Prometheus
//! started over it on a free loopback port with no scrape jobs, and `query_range` of
//! `increase(…[60s])` checked against values worked out by hand. Fails, rather than skips, when
//! Prometheus is not installed: CI installs it.

use nagare_server::config::PrometheusConfig;
use nagare_server::slo::prom::PromClient;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// 2023-11-14T22:20:00Z, a whole minute.
const T0: i64 = 1_700_000_400;

fn installed(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{name}` is not installed: this test needs a real Prometheus; install Debian's \
                 package (apt-get install prometheus, which brings promtool too)"
            )
        })
}

/// Ends Prometheus however the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Two series of a counter, every 15 s from T0 to T0 + 180 s:
/// - `code="200"`: +1 each 15 s in the first minute (0 → 4), +3 in the second (→ 16), then a
///   restart: 2, 4, 6, 8.
/// - `code="500"`: +1 each 15 s throughout (0 → 12).
fn openmetrics() -> String {
    let mut text =
        String::from("# HELP nagare_requests Requests.\n# TYPE nagare_requests counter\n");
    let ok = [0, 1, 2, 3, 4, 7, 10, 13, 16, 2, 4, 6, 8];
    for (i, v) in ok.iter().enumerate() {
        text.push_str(&format!(
            "nagare_requests_total{{code=\"200\"}} {v} {}\n",
            T0 + 15 * i as i64
        ));
    }
    for i in 0..=12 {
        text.push_str(&format!(
            "nagare_requests_total{{code=\"500\"}} {i} {}\n",
            T0 + 15 * i
        ));
    }
    text.push_str("# EOF\n");
    text
}

fn start(dir: &Path) -> (Running, String) {
    let prometheus = installed("prometheus");
    let promtool = installed("promtool");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let samples = dir.join("samples.om");
    std::fs::write(&samples, openmetrics()).unwrap();
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
        // The samples are from 2023: keep them whatever today is.
        .arg("--storage.tsdb.retention.time=100y")
        .arg(format!("--web.listen-address={address}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    (Running(child), format!("http://{address}"))
}

async fn wait_ready(running: &mut Running, base: &str, dir: &Path) {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = http.get(format!("{base}/-/ready")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        let log = || std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default();
        if let Some(status) = running.0.try_wait().unwrap() {
            panic!("Prometheus exited ({status}):\n{}", log());
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus was not ready within 60 s:\n{}",
            log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_real_prometheus_answers_increase_as_worked_out_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (mut running, base) = start(dir.path());
    wait_ready(&mut running, &base, dir.path()).await;
    let client = PromClient::from_config(&PrometheusConfig {
        url: base,
        auth: "none".into(),
        username: None,
        password_file: None,
        token_file: None,
        region: None,
        sigv4_service: "aps".into(),
        sync_secs: 60,
        max_points: 10_000,
        timeout_secs: 10,
    })
    .unwrap();
    let points = client
        .query_range(
            "increase(nagare_requests_total[60s])",
            T0 * 1000,
            (T0 + 180) * 1000,
            60_000,
        )
        .await
        .unwrap();
    // Each window [t - 60 s, t] holds five samples 15 s apart covering it whole, so increase
    // is the last minus the first, with no extrapolation (and Prometheus 3's left-open window,
    // four samples extrapolated by 60/45, gives the same on these straight lines):
    // - at T0 the window holds one sample per series: no value;
    // - T0 + 60 s: 200: 4 − 0 = 4; 500: 4; summed 8;
    // - T0 + 120 s: 200: 16 − 4 = 12; 500: 4; summed 16;
    // - T0 + 180 s: 200: 16, 2, 4, 6, 8: the drop is a restart, so 8 − 16 + 16 = 8; 500: 4;
    //   summed 12.
    let expected = [
        ((T0 + 60) * 1000, 8.0),
        ((T0 + 120) * 1000, 16.0),
        ((T0 + 180) * 1000, 12.0),
    ];
    assert_eq!(points.len(), expected.len(), "{points:?}");
    for ((t, v), (et, ev)) in points.iter().zip(expected) {
        assert_eq!(*t, et, "{points:?}");
        assert!((v - ev).abs() < 1e-9, "{points:?}");
    }

    // Prometheus' own words for a broken query come through.
    let e = client
        .query_range(
            "increase(nagare_requests_total[60s]",
            T0 * 1000,
            (T0 + 180) * 1000,
            60_000,
        )
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("HTTP 400, bad_data: 1:36: parse error: unclosed left parenthesis"),
        "{text}"
    );
}
