//! The whole S3 path, end to end against the real SeaweedFS: `nagare import-cost s3://…` as a
//! process (credentials from the standard chain's environment keys, `[cost.s3]` naming the
//! endpoint) reads a Data Exports delivery into a SQLite database, billing period by billing
//! period; a restated period replaces its old rows and leaves the other's alone; a delivery
//! still being written (data without a manifest) is not read until its manifest lands.

use super::export::Export;
use super::seaweedfs;
use flate2::write::GzEncoder;
use nagare_server::store::Store;
use object_store::ObjectStore;
use std::io::Write;
use std::process::Command;

/// A FOCUS 1.0 CSV.gz: per (day, service, team, billed, effective), an hourly charge.
fn focus(period: &str, rows: &[(&str, &str, &str, f64, f64)]) -> Vec<u8> {
    let mut csv = String::from(
        "BilledCost,EffectiveCost,ListCost,BillingCurrency,BillingPeriodStart,ChargePeriodStart,\
         ChargePeriodEnd,ChargeCategory,ProviderName,ServiceName,ServiceCategory,SubAccountId,\
         SubAccountName,Tags\n",
    );
    for (day, service, team, billed, effective) in rows {
        csv.push_str(&format!(
            "{billed},{effective},{billed},USD,{period}-01 00:00:00,{day} 10:00:00,{day} 11:00:00,\
             Usage,AWS,{service},Compute,111122223333,acme-prod,\"{{\"\"user:team\"\":\"\"{team}\"\"}}\"\n"
        ));
    }
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv.as_bytes()).unwrap();
    gz.finish().unwrap()
}

async fn put(store: &dyn ObjectStore, key: &str, bytes: Vec<u8>) {
    seaweedfs::put(store, key, &bytes).await;
}

/// Delivers `period`'s one data file (execution `exec`) and, when `manifest`, its manifest.
async fn deliver(
    store: &dyn ObjectStore,
    export: &Export,
    period: &str,
    exec: &str,
    rows: &[(&str, &str, &str, f64, f64)],
    manifest: bool,
) {
    let key = export.data_key(period, Some(exec), "00001.csv.gz");
    put(store, &key, focus(period, rows)).await;
    if manifest {
        let m = export.manifest(period, exec, &[export.uri(&key)]);
        put(store, &export.manifest_key(period, None), m).await;
    }
}

/// (team, effective) totals of a stored period, and its ingested_at.
async fn stored(store: &Store, period: &str) -> (Vec<(Option<String>, f64)>, Option<i64>) {
    let mut by: std::collections::BTreeMap<Option<String>, f64> = Default::default();
    for r in store.cost_daily_of("aws", period).await.unwrap() {
        *by.entry(r.team).or_default() += r.effective;
    }
    let at = store
        .cost_periods()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.source == "aws" && p.billing_period == period)
        .and_then(|p| p.ingested_at);
    (by.into_iter().collect(), at)
}

#[tokio::test]
async fn a_restated_period_replaces_its_rows_and_a_half_written_one_waits_for_its_manifest() {
    let (bucket, objects) = seaweedfs::bucket("ingest").await;
    let export = Export {
        bucket: bucket.clone(),
        root: "exports/focus".into(),
        s3_root: "exports/focus".into(),
        name: "focus".into(),
        partition: "BILLING_PERIOD",
    };
    let o = objects.as_ref();
    deliver(
        o,
        &export,
        "2026-01",
        "e1",
        &[
            ("2026-01-05", "Amazon EC2", "payments", 10.0, 8.0),
            ("2026-01-06", "Amazon EC2", "search", 4.0, 3.5),
        ],
        true,
    )
    .await;
    deliver(
        o,
        &export,
        "2026-02",
        "e1",
        &[("2026-02-02", "Amazon S3", "search", 2.5, 2.5)],
        true,
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cost.db");
    let config = dir.path().join("nagare.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = \"sqlite://{}\"\n\n[cost.s3]\nendpoint = \"{}\"\nregion = \"us-east-1\"\n",
            db.display(),
            seaweedfs::endpoint()
        ),
    )
    .unwrap();
    let location = format!("s3://{bucket}/exports/focus");
    let run = |config: &std::path::Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_nagare"))
            .arg("--config")
            .arg(config)
            .args(["import-cost", &location, "--source", "aws", "--quiet"])
            // Only what this run sets: the test runner's NAGARE_* variables (NAGARE_TEST_…)
            // are not settings, and the server refuses unknown ones.
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", config.parent().unwrap())
            .env("AWS_ACCESS_KEY_ID", seaweedfs::ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", seaweedfs::SECRET_KEY)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NAGARE_LOG", "warn")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{text}");
        text
    };
    let said = run(&config);
    assert!(said.contains("2 billing period(s) ingested"), "{said}");
    let store = Store::open(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let (jan, jan_at) = stored(&store, "2026-01").await;
    assert_eq!(
        jan,
        vec![(Some("payments".into()), 8.0), (Some("search".into()), 3.5)]
    );
    let (feb, feb_at) = stored(&store, "2026-02").await;
    assert_eq!(feb, vec![(Some("search".into()), 2.5)]);

    // January restated (a new execution and manifest); March's data lands without a manifest.
    deliver(
        o,
        &export,
        "2026-01",
        "e2",
        &[("2026-01-05", "Amazon EC2", "payments", 7.0, 6.0)],
        true,
    )
    .await;
    deliver(
        o,
        &export,
        "2026-03",
        "e1",
        &[("2026-03-01", "Amazon EC2", "payments", 9.0, 9.0)],
        false,
    )
    .await;
    let said = run(&config);
    assert!(
        said.contains("1 billing period(s) ingested, 1 unchanged, 1 waiting"),
        "{said}"
    );
    let (jan2, jan2_at) = stored(&store, "2026-01").await;
    assert_eq!(
        jan2,
        vec![(Some("payments".into()), 6.0)],
        "January's old rows are gone"
    );
    assert!(jan2_at >= jan_at);
    assert_eq!(
        stored(&store, "2026-02").await,
        (feb.clone(), feb_at),
        "February is untouched"
    );
    assert_eq!(
        stored(&store, "2026-03").await.0,
        vec![],
        "nothing of a delivery without its manifest"
    );
    let march = store.cost_periods().await.unwrap();
    let march = march
        .iter()
        .find(|p| p.billing_period == "2026-03")
        .unwrap();
    assert_eq!(march.state, "waiting");

    // The manifest lands: March is read.
    let key = export.data_key("2026-03", Some("e1"), "00001.csv.gz");
    put(
        o,
        &export.manifest_key("2026-03", None),
        export.manifest("2026-03", "e1", &[export.uri(&key)]),
    )
    .await;
    let said = run(&config);
    assert!(
        said.contains("1 billing period(s) ingested, 2 unchanged, 0 waiting"),
        "{said}"
    );
    assert_eq!(
        stored(&store, "2026-03").await.0,
        vec![(Some("payments".into()), 9.0)]
    );
}
