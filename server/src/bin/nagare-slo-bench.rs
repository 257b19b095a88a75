//! The SLO targets of docs/PERFORMANCE.md (issue 12), in process, on SQLite in a scratch
//! folder:
//!
//! 1. **Held counts.** A demo-like catalogue (`nagare-bench`'s synthetic organisation at scale
//!    0.01: 200 services, 20 teams, about 13 000 events) and `--slos` pushed SLOs (30-day
//!    rolling windows) with `--days` of one-minute buckets each, stored with `put_sli` (the load
//!    timed); then the server's state built on it (it reads the buckets into memory: time,
//!    resident and peak memory). One more minute of buckets is pushed, and the first list
//!    after the load is asked (it catches up with the database, re-reading the writes of the
//!    30 s before the newest bucket it had read: the end of the load), then the same catch-up
//!    is called directly and timed. Then `GET /api/v1/slos` and `GET /api/v1/slos/{id}`
//!    through the app (`oneshot`), and one full evaluation pass (the list's work, called
//!    directly), each asked `--asks` times or for `--budget` seconds, whichever ends first:
//!    p50 / p95 / max. Beside it, the same evaluation over the series held in memory
//!    (`Slos::each_held`), without the list's catch-up and JSON.
//! 2. **Sync.** A local Prometheus (Debian's package; `promtool tsdb create-blocks-from
//!    openmetrics`) over `--sync-days` of two counters per SLO (its 200s and 500s, every 60 s),
//!    `--sync-slos` ratio SLOs (`increase`, 30-day windows) against it, and `sync::pass`:
//!    pass 1 (the backfill of each SLO's horizon, 37 days, of which Prometheus holds
//!    `--sync-days`), pass 2 (each SLO's progress set back two minutes, as if two minutes had
//!    passed: two new buckets each, and those each sync reads again), and a pass with no new
//!    minute (and its catch-up with the database alone).
//!
//! Prints a table on stderr and one JSON object on stdout.
//!
//! Usage: nagare-slo-bench [--slos 500] [--days 30] [--asks 200] [--budget 120]
//!                         [--sync-slos 500] [--sync-days 1] [--no-sync]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use nagare_core::demo::{synthetic, SynthSpec};
use nagare_core::slo::eval::{self, Meta};
use nagare_core::slo::{Sli, SloDef, Window};
use nagare_core::Timestamp;
use nagare_server::auth::{Principal, ReadScope};
use nagare_server::config::{Config, PrometheusConfig};
use nagare_server::slo::prom::PromClient;
use nagare_server::state::{peak_resident_mib, resident_mib};
use nagare_server::store::{now_millis, RawDelivery, SliRow, Store, SyncRow};
use nagare_server::AppState;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};
use tower::ServiceExt;

#[path = "nagare-slo-bench/sync.rs"]
mod sync;

use sync::sync;

const STEP: i64 = 60_000;
const DAY: i64 = 86_400_000;

struct Args {
    slos: usize,
    days: i64,
    asks: usize,
    budget: f64,
    sync_slos: usize,
    sync_days: i64,
    sync: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        slos: 500,
        days: 30,
        asks: 200,
        budget: 120.0,
        sync_slos: 500,
        sync_days: 1,
        sync: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut num = || -> Result<f64, String> {
            it.next()
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| *v > 0.0)
                .ok_or_else(|| format!("{flag} takes a positive number"))
        };
        match flag.as_str() {
            "--slos" => a.slos = num()? as usize,
            "--days" => a.days = num()? as i64,
            "--asks" => a.asks = num()? as usize,
            "--budget" => a.budget = num()?,
            "--sync-slos" => a.sync_slos = num()? as usize,
            "--sync-days" => a.sync_days = num()? as i64,
            "--no-sync" => a.sync = false,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(a)
}

/// A scratch folder, removed when dropped.
struct Work(PathBuf);

impl Drop for Work {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// splitmix64: the same numbers for the same (slo, minute) on every run.
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(b)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const OBJECTIVES: [f64; 4] = [0.999, 0.995, 0.99, 0.9995];

/// SLO `i`'s requests and errors in minute `m` (minutes since the epoch): 600 to 999 requests;
/// errors at a rate of its budget times 0.1 to 2.0 (so the list spans healthy to overspent),
/// and for one SLO in ten a burst at 30 times that in the last hour.
fn minute(i: usize, m: i64, last: i64) -> (f64, f64) {
    let r = mix(i as u64, m as u64);
    let total = 600.0 + (r % 400) as f64;
    let allowance = 1.0 - OBJECTIVES[i % OBJECTIVES.len()];
    let mut share = 0.1 + (mix(i as u64, 0) % 20) as f64 / 10.0;
    if i % 10 == 3 && last - m < 60 {
        share *= 30.0;
    }
    let expected = total * allowance * share;
    // Whole events: the expectation rounded up or down by the next random bits.
    let frac = ((r >> 32) % 1000) as f64 / 1000.0;
    let bad = (expected.floor() + if frac < expected.fract() { 1.0 } else { 0.0 }).min(total);
    (total - bad, total)
}

/// p50, p95 and max of `f`'s time, asked `asks` times or for `budget` seconds.
async fn timed<F, Fut, T>(asks: usize, budget: f64, mut f: F) -> Result<Value, String>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let started = Instant::now();
    let mut ms = Vec::new();
    for i in 0..asks {
        let t = Instant::now();
        std::hint::black_box(f(i).await?);
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        if started.elapsed().as_secs_f64() > budget {
            break;
        }
    }
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| (ms[((ms.len() - 1) as f64 * p).round() as usize] * 100.0).round() / 100.0;
    Ok(json!({
        "n": ms.len(),
        "p50_ms": at(0.5),
        "p95_ms": at(0.95),
        "max_ms": at(1.0),
    }))
}

async fn get(app: &axum::Router, host: &str, uri: &str) -> Result<usize, String> {
    let req = Request::get(uri)
        .header("host", host)
        .body(Body::empty())
        .map_err(|e| e.to_string())?;
    let resp = app.clone().oneshot(req).await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .map_err(|e| e.to_string())?;
    if status != StatusCode::OK {
        return Err(format!(
            "GET {uri}: {status}: {}",
            String::from_utf8_lossy(&body)
        ));
    }
    Ok(body.len())
}

fn round(x: f64, places: i32) -> f64 {
    let p = 10f64.powi(places);
    (x * p).round() / p
}

fn file_mib(path: &Path) -> f64 {
    let size = |p: PathBuf| std::fs::metadata(p).map_or(0, |m| m.len());
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    (size(path.to_owned()) + size(PathBuf::from(wal))) as f64 / 1_048_576.0
}

fn bench_config() -> Config {
    let mut config = Config::default();
    config.server.dist_dir = "/nonexistent-dist".into();
    config
}

/// Part 1: the list, the page and the evaluation over `a.slos` SLOs of `a.days` each.
async fn held(a: &Args, work: &Path) -> Result<Value, String> {
    let db = work.join("slos.db");
    let store = Store::open(&format!("sqlite://{}", db.display()))
        .await
        .map_err(|e| e.to_string())?;
    let now = now_millis();
    let events: Vec<_> = synthetic(&SynthSpec::bench_scaled(0.01), 7, Timestamp(now)).collect();
    let services: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            nagare_core::Event::Service(s) => Some(s.name.clone()),
            _ => None,
        })
        .collect();
    let n_events = events.len();
    let raw = RawDelivery {
        source: "bench".into(),
        delivery_id: None,
        event: None,
        content_type: None,
        size_bytes: 0,
        payload: None,
    };
    store
        .ingest(events, &raw)
        .await
        .map_err(|e| e.to_string())?;
    let ids: Vec<String> = (0..a.slos).map(|i| format!("slo-{i:04}")).collect();
    for (i, id) in ids.iter().enumerate() {
        let def = SloDef {
            id: id.clone(),
            name: format!("SLO {i}"),
            description: None,
            service: services[i % services.len()].clone(),
            objective: OBJECTIVES[i % OBJECTIVES.len()],
            window: Window::Rolling { ms: 30 * DAY },
            sli: Sli::Pushed,
            origin: "bench".into(),
        };
        store
            .insert_slo_def(&def, "bench")
            .await
            .map_err(|e| e.to_string())?;
    }
    // The buckets: the last `days` whole minutes before now, one SLO per transaction.
    let last = now.div_euclid(STEP) - 1;
    let first = last - a.days * 1440 + 1;
    let loading = Instant::now();
    let mut rows_stored = 0usize;
    for (i, id) in ids.iter().enumerate() {
        let rows: Vec<SliRow> = (first..=last)
            .map(|m| {
                let (good, total) = minute(i, m, last);
                SliRow {
                    slo: id.clone(),
                    start: m * STEP,
                    good,
                    total,
                    source: "bench".into(),
                }
            })
            .collect();
        rows_stored += rows.len();
        store
            .put_sli(&rows, None)
            .await
            .map_err(|e| e.to_string())?;
        if i % 50 == 49 {
            eprintln!(
                "[slo-bench] {} SLOs loaded, {rows_stored} buckets, {:.0} s",
                i + 1,
                loading.elapsed().as_secs_f64()
            );
        }
    }
    let load_s = loading.elapsed().as_secs_f64();
    let db_mib = file_mib(&db);
    let rss_before = resident_mib();
    let starting = Instant::now();
    let state = AppState::new(store.clone(), bench_config())
        .await
        .map_err(|e| e.to_string())?;
    let startup_s = starting.elapsed().as_secs_f64();
    let rss_started = resident_mib();
    let peak_started = peak_resident_mib();
    eprintln!("[slo-bench] state built in {startup_s:.1} s, {rss_started:.0} MiB resident");

    // The steady state: the next minute of pushed buckets, written more than 30 s after the
    // load (each refresh re-reads what was written in the 30 s before the newest bucket read).
    let since_load = loading.elapsed().as_secs_f64() - load_s;
    if since_load < 31.0 {
        tokio::time::sleep(Duration::from_secs_f64(31.0 - since_load)).await;
    }
    let next: Vec<SliRow> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let (good, total) = minute(i, last + 1, last + 1);
            SliRow {
                slo: id.clone(),
                start: (last + 1) * STEP,
                good,
                total,
                source: "bench".into(),
            }
        })
        .collect();
    store
        .put_sli(&next, None)
        .await
        .map_err(|e| e.to_string())?;

    let port = state.config.bind_addr().map(|b| b.port()).unwrap_or(8080);
    let host = format!("127.0.0.1:{port}");
    let app = nagare_server::app(state.clone());
    // The first list after the load catches up with what was written since the state was
    // built, re-reading the 30 s of writes before the newest bucket it had read: here the end
    // of the bulk load. Asked once through the app (with its request timeout) past the half
    // second the state's last catch-up stays fresh, then directly.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let t = Instant::now();
    let first_list = match get(&app, &host, "/api/v1/slos").await {
        Ok(_) => "200 OK".to_owned(),
        // `GET uri: STATUS: body`
        Err(e) => e.split(": ").nth(1).unwrap_or(&e).to_owned(),
    };
    let first_list_s = t.elapsed().as_secs_f64();
    eprintln!("[slo-bench] first list after the load: {first_list} in {first_list_s:.1} s");
    let t = Instant::now();
    state
        .slos
        .refresh_now(&state.store)
        .await
        .map_err(|e| e.to_string())?;
    let catch_up_s = t.elapsed().as_secs_f64();
    eprintln!("[slo-bench] the same catch-up, called directly: {catch_up_s:.1} s");
    let rss_caught_up = resident_mib();
    let list_bytes = get(&app, &host, "/api/v1/slos").await?;
    eprintln!("[slo-bench] the list answers {list_bytes} bytes; timing it");
    let list = timed(a.asks, a.budget, |_| get(&app, &host, "/api/v1/slos")).await?;
    eprintln!("[slo-bench] list: {list}");
    let detail = timed(a.asks, a.budget, |i| {
        let uri = format!("/api/v1/slos/{}", ids[(i * 7) % ids.len()]);
        let (app, host) = (&app, &host);
        async move { get(app, host, &uri).await }
    })
    .await?;
    eprintln!("[slo-bench] detail: {detail}");
    let principal = Principal::local();
    let scope = principal.read_scope(true);
    let evaluation = timed(a.asks, a.budget, |_| {
        let state = state.clone();
        let read = ReadScope {
            principal: principal.clone(),
            scope: scope.clone(),
        };
        async move {
            let view = read.open(&state).await.map_err(|e| format!("{e:?}"))?;
            let q = nagare_core::api::SloQuery::default();
            let l = nagare_server::slo::view::list(&state, &view, &q, true)
                .await
                .map_err(|e| format!("{e:?}"))?;
            Ok(l.slos.len())
        }
    })
    .await?;
    eprintln!("[slo-bench] evaluation pass: {evaluation}");
    // The same evaluation over the series held in memory.
    let defs: HashMap<String, SloDef> = state
        .slos
        .entries()
        .await
        .into_iter()
        .map(|e| (e.def.id.clone(), e.def))
        .collect();
    let slos = &state.slos;
    let held_eval = timed(a.asks, a.budget, |_| {
        let defs = &defs;
        async move {
            let at = now_millis();
            let n = slos
                .each_held(|id, series, sync| {
                    defs.get(id).map(|def| {
                        let meta = Meta {
                            teams: Vec::new(),
                            editable: true,
                            data: slos.data_of(def, series, sync),
                        };
                        eval::status(def, meta, series, at, slos.tz, &slos.rules)
                    })
                })
                .await
                .into_iter()
                .flatten()
                .count();
            Ok(n)
        }
    })
    .await?;
    eprintln!("[slo-bench] evaluation over the held series: {held_eval}");
    Ok(json!({
        "slos": a.slos,
        "days": a.days,
        "buckets": rows_stored,
        "catalogue_events": n_events,
        "services": services.len(),
        "load_s": round(load_s, 1),
        "load_buckets_per_s": (rows_stored as f64 / load_s).round(),
        "db_mib": db_mib.round(),
        "startup_s": round(startup_s, 1),
        "rss_before_start_mib": rss_before.round(),
        "rss_started_mib": rss_started.round(),
        "peak_rss_started_mib": peak_started.round(),
        "first_list_after_load": first_list,
        "first_list_after_load_s": round(first_list_s, 1),
        "catch_up_after_load_s": round(catch_up_s, 1),
        "rss_caught_up_mib": rss_caught_up.round(),
        "peak_rss_mib": peak_resident_mib().round(),
        "rss_after_mib": resident_mib().round(),
        "list_bytes": list_bytes,
        "list": list,
        "detail": detail,
        "evaluation_pass": evaluation,
        "evaluation_held": held_eval,
    }))
}

fn table(r: &Value) -> String {
    let h = &r["held"];
    let row = |name: &str, v: &Value, target: &str| {
        format!(
            "| {name} | {} / {} / {} (n = {}) | {target} |\n",
            v["p50_ms"], v["p95_ms"], v["max_ms"], v["n"]
        )
    };
    let mut t = String::from("| measure | p50 / p95 / max (ms) | target |\n|---|---|---|\n");
    t += &row("GET /api/v1/slos", &h["list"], "p95 ≤ 20");
    t += &row(
        "one full evaluation pass (the list, called directly)",
        &h["evaluation_pass"],
        "≤ 1 000",
    );
    t += &row(
        "the same over the series held in memory",
        &h["evaluation_held"],
        "",
    );
    t += &row("GET /api/v1/slos/{id}", &h["detail"], "");
    t += &format!(
        "\n{} SLOs × {} days = {} buckets: loaded in {} s ({} buckets/s; SQLite file {} MiB); \
         state built in {} s, {} MiB resident after (peak {} MiB); list body {} bytes.\n",
        h["slos"],
        h["days"],
        h["buckets"],
        h["load_s"],
        h["load_buckets_per_s"],
        h["db_mib"],
        h["startup_s"],
        h["rss_started_mib"],
        h["peak_rss_started_mib"],
        h["list_bytes"]
    );
    t += &format!(
        "First list after the load: {} after {} s; the same catch-up called directly: {} s \
         ({} MiB resident after it; peak of the run {} MiB).\n",
        h["first_list_after_load"],
        h["first_list_after_load_s"],
        h["catch_up_after_load_s"],
        h["rss_caught_up_mib"],
        h["peak_rss_mib"]
    );
    let s = &r["sync"];
    if !s.is_null() {
        t += &format!(
            "Sync of {} SLOs ({} series, {} days, {} samples; promtool {} s): ",
            s["slos"], s["series"], s["history_days"], s["samples"], s["promtool_s"]
        );
        t += &format!(
            "pass 1 (backfill) {} s, {} buckets; pass 2 (two new minutes) {} s, {} buckets; \
             no new minute {} s, {} buckets (its catch-up with the database alone: {} s).\n",
            s["pass1_s"],
            s["pass1_buckets"],
            s["pass2_s"],
            s["pass2_buckets"],
            s["idle_s"],
            s["idle_buckets"],
            s["catch_up_s"]
        );
    }
    t
}

async fn run() -> Result<Value, String> {
    let a = args()?;
    let work = Work(std::env::temp_dir().join(format!("nagare-slo-bench-{}", std::process::id())));
    std::fs::create_dir_all(&work.0).map_err(|e| e.to_string())?;
    let held = held(&a, &work.0).await?;
    let sync = if a.sync {
        sync(&a, &work.0).await?
    } else {
        Value::Null
    };
    Ok(json!({"held": held, "sync": sync}))
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(report) => {
            eprintln!("{}", table(&report));
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nagare-slo-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
