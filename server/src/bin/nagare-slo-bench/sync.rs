//! The sync part of the bench: a local Prometheus over a written day of counters, and the
//! sync passes over it.

use super::*;

fn tool(name: &str) -> Result<PathBuf, String> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/bin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "`{name}` is not installed: the sync bench reads from a local Prometheus; \
                 install Debian's package (apt-get install prometheus) or run with --no-sync"
            )
        })
}

/// Prometheus, killed when dropped.
struct Prometheus(Child);

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Two counters per SLO (`code="200"`, `code="500"`) every 60 s over the last `days`, into
/// blocks under `dir`; Prometheus started over them. Returns it, its address, the samples
/// written and the seconds promtool took.
async fn prometheus(
    dir: &Path,
    slos: usize,
    days: i64,
) -> Result<(Prometheus, String, usize, f64), String> {
    let (prometheus, promtool) = (tool("prometheus")?, tool("promtool")?);
    let e = |e: std::io::Error| e.to_string();
    let data = dir.join("data");
    std::fs::create_dir_all(&data).map_err(e)?;
    let file = dir.join("history.om");
    let last = now_millis().div_euclid(STEP) * STEP;
    let first = last - days * DAY;
    let mut samples = 0;
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file).map_err(e)?);
        writeln!(
            w,
            "# HELP bench_requests Requests.\n# TYPE bench_requests counter"
        )
        .map_err(e)?;
        for i in 0..slos {
            for (code, bad) in [("200", false), ("500", true)] {
                let mut v = 0.0;
                let mut t = first;
                while t <= last {
                    if t > first {
                        let (good, total) = minute(i, t / STEP - 1, last / STEP - 1);
                        v += if bad { total - good } else { good };
                    }
                    writeln!(
                        w,
                        "bench_requests_total{{slo=\"s{i:04}\",code=\"{code}\"}} {v} {}",
                        t / 1000
                    )
                    .map_err(e)?;
                    samples += 1;
                    t += STEP;
                }
            }
        }
        writeln!(w, "# EOF").map_err(e)?;
        w.flush().map_err(e)?;
    }
    let t = Instant::now();
    let out = Command::new(&promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&file)
        .arg(&data)
        .output()
        .map_err(e)?;
    if !out.status.success() {
        return Err(format!(
            "promtool failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let promtool_s = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&file);
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        "global:\n  scrape_interval: 1h\nscrape_configs: []\n",
    )
    .map_err(e)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(e)?
        .port();
    let address = format!("127.0.0.1:{port}");
    let log = std::fs::File::create(dir.join("prometheus.log")).map_err(e)?;
    let mut child = Prometheus(
        Command::new(&prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg("--storage.tsdb.retention.time=30d")
            .arg(format!("--web.listen-address={address}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(e)?,
    );
    let url = format!("http://{address}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(r) = http.get(format!("{url}/-/ready")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        if let Ok(Some(status)) = child.0.try_wait() {
            return Err(format!("Prometheus exited ({status}); see its log"));
        }
        if Instant::now() > deadline {
            return Err("Prometheus was not ready within 120 s".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok((child, url, samples, promtool_s))
}

/// How many buckets a pass says it read.
fn buckets_of(said: &str) -> u64 {
    said.split_once('(')
        .and_then(|(_, r)| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Part 2: sync passes of `a.sync_slos` ratio SLOs against a local Prometheus.
pub(super) async fn sync(a: &Args, work: &Path) -> Result<Value, String> {
    let (_prometheus, url, samples, promtool_s) =
        prometheus(&work.join("prometheus"), a.sync_slos, a.sync_days).await?;
    let db = work.join("sync.db");
    let store = Store::open(&format!("sqlite://{}", db.display()))
        .await
        .map_err(|e| e.to_string())?;
    for i in 0..a.sync_slos {
        let selector = |extra: &str| format!("bench_requests_total{{slo=\"s{i:04}\"{extra}}}");
        let def = SloDef {
            id: format!("sync-{i:04}"),
            name: format!("Synced SLO {i}"),
            description: None,
            service: format!("svc-{}", i % 200),
            objective: OBJECTIVES[i % OBJECTIVES.len()],
            window: Window::Rolling { ms: 30 * DAY },
            sli: Sli::Ratio {
                good: None,
                bad: Some(format!(
                    "sum(increase({}[{{{{window}}}}]))",
                    selector(",code=\"500\"")
                )),
                total: format!("sum(increase({}[{{{{window}}}}]))", selector("")),
            },
            origin: "bench".into(),
        };
        store
            .insert_slo_def(&def, "bench")
            .await
            .map_err(|e| e.to_string())?;
    }
    let prom = PrometheusConfig {
        url,
        auth: "none".into(),
        username: None,
        password_file: None,
        token_file: None,
        region: None,
        sigv4_service: "aps".into(),
        sync_secs: 60,
        max_points: 10_000,
        timeout_secs: 60,
    };
    let client = PromClient::from_config(&prom)?;
    let mut config = bench_config();
    config.slo.prometheus = Some(prom);
    let state = AppState::new(store.clone(), config)
        .await
        .map_err(|e| e.to_string())?;
    let pass = |state: AppState, client: PromClient| async move {
        let t = Instant::now();
        let said = nagare_server::slo::sync::pass(&state, &client, 10_000)
            .await
            .map_err(|e| format!("{e:#}"))?;
        Ok::<_, String>((t.elapsed().as_secs_f64(), said))
    };
    let (pass1_s, said1) = pass(state.clone(), client.clone()).await?;
    eprintln!("[slo-bench] sync pass 1: {pass1_s:.1} s: {said1}");
    if !said1.ends_with("; 0 failed") {
        return Err(format!("the backfill failed: {said1}"));
    }
    // As if two minutes had passed: every SLO's progress two buckets back.
    for s in store.slo_syncs().await.map_err(|e| e.to_string())? {
        let back = SyncRow {
            synced_to: s.synced_to - 2 * STEP,
            ..s
        };
        store
            .put_synced(&[], &back)
            .await
            .map_err(|e| e.to_string())?;
    }
    let (pass2_s, said2) = pass(state.clone(), client.clone()).await?;
    eprintln!("[slo-bench] sync pass 2: {pass2_s:.2} s: {said2}");
    let (idle_s, said3) = pass(state.clone(), client.clone()).await?;
    eprintln!("[slo-bench] sync pass 3: {idle_s:.2} s: {said3}");
    // What a pass's catch-up with the database costs alone (nothing was written since pass 3,
    // so it reads what pass 3's read).
    let t = Instant::now();
    state
        .slos
        .refresh_now(&state.store)
        .await
        .map_err(|e| e.to_string())?;
    let catch_up_s = t.elapsed().as_secs_f64();
    eprintln!("[slo-bench] its catch-up alone: {catch_up_s:.2} s");
    Ok(json!({
        "slos": a.sync_slos,
        "history_days": a.sync_days,
        "series": a.sync_slos * 2,
        "samples": samples,
        "promtool_s": round(promtool_s, 1),
        "pass1_s": round(pass1_s, 2),
        "pass1_buckets": buckets_of(&said1),
        "pass2_s": round(pass2_s, 2),
        "pass2_buckets": buckets_of(&said2),
        "idle_s": round(idle_s, 2),
        "idle_buckets": buckets_of(&said3),
        "catch_up_s": round(catch_up_s, 2),
        "db_mib": file_mib(&db).round(),
    }))
}
