//! The cost API over 2 years × 200 services (issue 13's target: p95 ≤ 20 ms): daily rows for
//! each service (three provider services each, in one of 20 accounts, a tenth untagged),
//! stored in a fresh SQLite database billing period by billing period, then each endpoint asked
//! through the app (`oneshot`) the way the Costs page asks it.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use nagare_core::cost::DailyCost;
use nagare_server::config::Config;
use nagare_server::store::{PeriodMeta, Store};
use nagare_server::AppState;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Instant;
use tower::ServiceExt;

const PROVIDER_SERVICES: [(&str, &str); 3] = [
    ("Amazon Elastic Compute Cloud", "Compute"),
    ("Amazon Relational Database Service", "Databases"),
    ("Amazon Simple Storage Service", "Storage"),
];

/// A deterministic value in `[0, 1)` of `(a, b)`.
fn unit(a: u64, b: u64) -> f64 {
    let mut z = a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ b.wrapping_add(0x6a09_e667_f3bc_c908);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// The daily rows of `services` services over `days` days ending yesterday.
pub fn rows(services: usize, days: i32, today: i32) -> Vec<DailyCost> {
    let mut out = Vec::with_capacity(services * days as usize * 3);
    for day in today - days..today {
        for s in 0..services {
            let tagged = s % 10 != 9;
            for (p, (name, category)) in PROVIDER_SERVICES.iter().enumerate() {
                let base = 20.0 + 200.0 * unit(s as u64, p as u64);
                let cost = base * (0.9 + 0.2 * unit(day as u64, (s * 3 + p) as u64));
                out.push(DailyCost {
                    day,
                    billing_period: nagare_core::cost::series::month_text(day),
                    provider: "AWS".into(),
                    account_id: format!("{:012}", 100_000 + s % 20),
                    account_name: format!("account-{}", s % 20),
                    service_name: (*name).into(),
                    service_category: (*category).into(),
                    charge_category: "Usage".into(),
                    team: tagged.then(|| format!("team-{}", s % 25)),
                    service: tagged.then(|| format!("service-{s:03}")),
                    ci: false,
                    currency: "USD".into(),
                    billed: cost,
                    effective: cost * 0.85,
                    list: cost * 1.2,
                    rows: 24,
                });
            }
        }
    }
    out
}

async fn get(app: &axum::Router, uri: &str) -> Result<usize, String> {
    let req = Request::get(uri)
        .header("host", "127.0.0.1:8080")
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

/// p50, p95 and max of `asks` GETs of `uri`.
async fn timed(app: &axum::Router, uri: &str, asks: usize) -> Result<Value, String> {
    let mut ms = Vec::with_capacity(asks);
    let mut bytes = 0;
    for _ in 0..asks {
        let t = Instant::now();
        bytes = std::hint::black_box(get(app, uri).await?);
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| (ms[((ms.len() - 1) as f64 * p).round() as usize] * 100.0).round() / 100.0;
    Ok(
        json!({"uri": uri, "n": ms.len(), "p50_ms": at(0.5), "p95_ms": at(0.95), "max_ms": at(1.0), "bytes": bytes}),
    )
}

/// Removes the bench's directory when dropped.
struct Clean(std::path::PathBuf);

impl Drop for Clean {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Stores the rows and measures each endpoint.
pub async fn run(services: usize, days: i32, asks: usize) -> Result<Value, String> {
    let dir = std::env::temp_dir().join(format!("nagare-cost-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let _clean = Clean(dir.clone());
    let url = format!("sqlite://{}", dir.join("cost.db").display());
    let mut config = Config::default();
    config.server.dist_dir = "/nonexistent-dist".into();
    config.database.url = url.clone();
    let store = Store::open(&url).await.map_err(|e| e.to_string())?;
    let today = nagare_core::cost::day_of_ms(nagare_server::store::now_millis());
    let all = rows(services, days, today);
    let n = all.len();
    let mut by_period: BTreeMap<String, Vec<DailyCost>> = BTreeMap::new();
    for r in all {
        by_period
            .entry(r.billing_period.clone())
            .or_default()
            .push(r);
    }
    let t = Instant::now();
    for (period, rows) in &by_period {
        let meta = PeriodMeta {
            version: "bench".into(),
            format: "focus-1.2".into(),
            files: 1,
            rows_read: rows.len() as i64 * 24,
            ..PeriodMeta::default()
        };
        store
            .replace_cost_period("bench", period, rows, &meta)
            .await
            .map_err(|e| e.to_string())?;
    }
    let store_secs = t.elapsed().as_secs_f64();
    let state = AppState::new(store, config)
        .await
        .map_err(|e| e.to_string())?;
    let app = nagare_server::app(state);
    // The first read loads the rows into memory.
    let t = Instant::now();
    get(&app, "/api/v1/costs").await?;
    let load_ms = t.elapsed().as_secs_f64() * 1000.0;
    let from = nagare_core::cost::day_text(today - days);
    let window = format!("from={from}T00:00:00Z");
    let mut measured = Vec::new();
    for uri in [
        format!("/api/v1/costs?{window}&group_by=service&interval=week"),
        format!("/api/v1/costs?{window}&group_by=team&interval=day"),
        "/api/v1/costs?group_by=service&interval=day".to_owned(),
        "/api/v1/costs/anomalies?group_by=service".to_owned(),
        "/api/v1/costs/unit".to_owned(),
    ] {
        measured.push(timed(&app, &uri, asks).await?);
    }
    Ok(json!({
        "services": services,
        "days": days,
        "daily_rows": n,
        "store_secs": (store_secs * 100.0).round() / 100.0,
        "first_read_ms": (load_ms * 10.0).round() / 10.0,
        "endpoints": measured,
    }))
}
