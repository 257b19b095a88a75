//! What the cost API tests share: a local-mode state on a store with a `[cost]` section, JSON
//! numbers compared with a tolerance, FOCUS CSV files written by hand, an AWS Data Exports
//! folder written to a directory (data files, then the manifest naming them), and SQL run on
//! the test database itself (to install the trigger that makes an ingest crash).

use crate::common::*;
use flate2::write::GzEncoder;
use nagare_server::config::{Config, CostConfig};
use nagare_server::cost::ingest::{self, Outcome, Report};
use nagare_server::store::Store;
use nagare_server::AppState;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const DAY_MS: i64 = 86_400_000;

/// Local mode (every caller an admin), no web app, `cost` as the `[cost]` section.
pub fn local_config(cost: CostConfig) -> Config {
    let mut c = Config::default();
    c.server.dist_dir = "/nonexistent-dist".into();
    c.cost = cost;
    c
}

/// A local-mode state on `store`, its cost read with `cost`.
pub async fn state_on(store: Store, cost: CostConfig) -> AppState {
    AppState::new(store, local_config(cost)).await.unwrap()
}

/// A fresh database on `backend`, opened; its URL (for a second connection) and its folder.
pub async fn fresh(backend: &str) -> (Store, String, Option<tempfile::TempDir>) {
    let (url, dir) = fresh_url(backend).await;
    (Store::open(&url).await.unwrap(), url, dir)
}

/// `GET uri`, which must answer 200: its JSON.
pub async fn ok(state: &AppState, uri: &str) -> Value {
    let r = get(state, uri).await;
    assert_eq!(r.status, 200, "GET {uri}: {}", r.json);
    r.json
}

/// A JSON number.
pub fn num(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("expected a number, got {v}"))
}

/// `got` equals `want` up to floating-point summation order (1e-9, relative above 1).
pub fn close(got: f64, want: f64, what: &str) {
    let tol = 1e-9 * want.abs().max(1.0);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, computed {want} (off by {})",
        got - want
    );
}

/// Reads `location` as source `source` with `cfg`.
pub async fn run(
    store: &Store,
    cfg: &CostConfig,
    source: &str,
    location: &Path,
) -> anyhow::Result<Report> {
    ingest::run(
        store,
        cfg,
        source,
        location.to_str().unwrap(),
        false,
        &mut |_| {},
    )
    .await
}

/// The outcome of each period of a report, by period.
pub fn outcomes(r: &Report) -> Vec<(String, Outcome)> {
    r.periods
        .iter()
        .map(|p| (p.period.clone(), p.outcome.clone()))
        .collect()
}

/// One FOCUS row written by a test: times as the FinOps sample writes them
/// (`2024-09-18 22:00:00`, UTC).
#[derive(Clone, Debug)]
pub struct Row {
    pub start: String,
    pub end: String,
    /// `BillingPeriodStart`, `YYYY-MM-DD 00:00:00`.
    pub billing_start: String,
    pub account: String,
    pub service_name: String,
    pub billed: String,
    pub effective: String,
    pub tags: Vec<(String, String)>,
}

impl Row {
    /// An hour's charge at `day` (`YYYY-MM-DD`) from `hour`, billed in the day's month.
    pub fn hour(day: &str, hour: u32, account: &str, service_name: &str, billed: f64) -> Row {
        Row {
            start: format!("{day} {hour:02}:00:00"),
            end: format!("{day} {:02}:00:00", hour + 1),
            billing_start: format!("{}-01 00:00:00", &day[..7]),
            account: account.into(),
            service_name: service_name.into(),
            billed: billed.to_string(),
            effective: (billed * 0.75).to_string(),
            tags: Vec::new(),
        }
    }

    pub fn tag(mut self, key: &str, value: &str) -> Row {
        self.tags.push((key.into(), value.into()));
        self
    }
}

pub const FOCUS_HEADER: [&str; 13] = [
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "BillingPeriodStart",
    "ProviderName",
    "SubAccountId",
    "SubAccountName",
    "ServiceName",
    "ChargeCategory",
    "BillingCurrency",
    "Tags",
];

/// A FOCUS CSV of `rows` (columns by name, as FOCUS 1.0 writes them).
pub fn focus_csv(rows: &[Row]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(FOCUS_HEADER).unwrap();
    for r in rows {
        let tags = if r.tags.is_empty() {
            "NULL".to_owned()
        } else {
            let map: serde_json::Map<String, Value> = r
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            Value::Object(map).to_string()
        };
        w.write_record([
            r.billed.as_str(),
            r.effective.as_str(),
            r.billed.as_str(),
            &r.start,
            &r.end,
            &r.billing_start,
            "AWS",
            &r.account,
            &format!("acct-{}", r.account),
            &r.service_name,
            "Usage",
            "USD",
            &tags,
        ])
        .unwrap();
    }
    w.into_inner().unwrap()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// An AWS Data Exports folder written to a directory as AWS writes it to S3:
/// `ROOT/data/BILLING_PERIOD=YYYY-MM/NAME-0000N.csv.gz` and
/// `ROOT/metadata/BILLING_PERIOD=YYYY-MM/NAME-Manifest.json`, the manifest naming its files by
/// their `s3://` addresses in the bucket the export was copied from.
pub struct ExportDir {
    pub root: PathBuf,
    pub name: String,
}

impl ExportDir {
    pub fn new(parent: &Path, name: &str) -> ExportDir {
        ExportDir {
            root: parent.join(name),
            name: name.into(),
        }
    }

    fn data_rel(&self, period: &str, part: u32) -> String {
        format!(
            "data/BILLING_PERIOD={period}/{}-{part:05}.csv.gz",
            self.name
        )
    }

    /// The path a data file is read under (relative to the location), as problems name it.
    pub fn data_path(&self, period: &str, part: u32) -> String {
        self.data_rel(period, part)
    }

    /// Writes data file `part` of `period` (gzipped CSV); no manifest.
    pub fn write_data(&self, period: &str, part: u32, csv: &[u8]) {
        let path = self.root.join(self.data_rel(period, part));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, gzip(csv)).unwrap();
    }

    /// Writes the manifest of `period` (execution `execution`) naming data files `parts`.
    pub fn write_manifest(&self, period: &str, execution: &str, parts: &[u32]) {
        let files: Vec<String> = parts
            .iter()
            .map(|p| {
                format!(
                    "s3://acme-billing/exports/{}/{}",
                    self.name,
                    self.data_rel(period, *p)
                )
            })
            .collect();
        let manifest = serde_json::json!({
            "executionId": execution,
            "exportArn": format!("arn:aws:bcm-data-exports:us-east-1:111122223333:export/{}", self.name),
            "billingPeriod": {"start": format!("{period}-01T00:00:00.000Z")},
            "dataFiles": files,
        });
        let path = self.root.join(format!(
            "metadata/BILLING_PERIOD={period}/{}-Manifest.json",
            self.name
        ));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    }

    /// Writes `period` whole: its one data file, then its manifest.
    pub fn deliver(&self, period: &str, execution: &str, csv: &[u8]) {
        self.write_data(period, 1, csv);
        self.write_manifest(period, execution, &[1]);
    }
}

/// Runs `sql` (statements separated by `;;`) on the database at `url`, through a connection of
/// its own.
pub async fn exec(url: &str, sql: &str) {
    for stmt in sql.split(";;").map(str::trim).filter(|s| !s.is_empty()) {
        if url.starts_with("sqlite:") {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(stmt.to_owned()))
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{stmt}: {e}"));
            pool.close().await;
        } else {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(stmt.to_owned()))
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{stmt}: {e}"));
            pool.close().await;
        }
    }
}

/// Installs a trigger that refuses (mid-transaction) any cost row of account `boom`: a crash
/// in the middle of replacing a period.
pub async fn install_crash(backend: &str, url: &str) {
    let sql = if backend == "sqlite" {
        "CREATE TRIGGER boom BEFORE INSERT ON cost_daily WHEN NEW.account_id = 'boom' \
         BEGIN SELECT RAISE(ABORT, 'crash'); END"
    } else {
        "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN \
         IF NEW.account_id = 'boom' THEN RAISE EXCEPTION 'crash'; END IF; RETURN NEW; END \
         $$ LANGUAGE plpgsql;; \
         CREATE TRIGGER boom BEFORE INSERT ON cost_daily FOR EACH ROW EXECUTE FUNCTION boom()"
    };
    exec(url, sql).await;
}

pub async fn remove_crash(backend: &str, url: &str) {
    let sql = if backend == "sqlite" {
        "DROP TRIGGER boom"
    } else {
        "DROP TRIGGER boom ON cost_daily;; DROP FUNCTION boom()"
    };
    exec(url, sql).await;
}

/// `YYYY-MM-DD` of a day number.
pub fn day_text(day: i64) -> String {
    chrono::DateTime::from_timestamp(day * 86_400, 0)
        .unwrap()
        .date_naive()
        .to_string()
}

/// The day number of `YYYY-MM-DD`.
pub fn day_of(text: &str) -> i64 {
    let d = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days()
}

/// `from=…&to=…` of days `[from, to)`.
pub fn window(from: &str, to: &str) -> String {
    format!("from={from}T00:00:00Z&to={to}T00:00:00Z")
}
