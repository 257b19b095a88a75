//! The ingest target of docs/PERFORMANCE.md (issue 13: ≥ 200 000 FOCUS rows/s from Parquet;
//! CSV.gz reported): `rows` synthetic FOCUS 1.2 rows ([`crate::generate`]) written once to a
//! scratch folder as Parquet and as CSV.gz, then each file read from disk, through
//! `cost::read::read_file` and into an `Aggregator` (the daily rows finished), best of three.
//! The file read alone (rows passed to a closure that does nothing) is timed beside it, to
//! show what the aggregation costs. Both files must give the same daily rows.

use anyhow::Context as _;
use nagare_server::config::CostConfig;
use nagare_server::cost::aggregate::Aggregator;
use nagare_server::cost::read::read_file;
use nagare_server::cost::DailyCost;
use std::path::Path;
use std::time::{Duration, Instant};

/// Reads `path` (and sums it into daily rows when `aggregate`): the time taken, and the daily
/// rows.
fn ingest(path: &Path, aggregate: bool) -> anyhow::Result<(Duration, u64, Vec<DailyCost>)> {
    let cfg = CostConfig::default();
    let t = Instant::now();
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path.display().to_string();
    let mut agg = Aggregator::new(&cfg);
    let mut seen = 0u64;
    let read = if aggregate {
        read_file(&name, data.into(), 0, &mut |l| agg.add(l))
    } else {
        read_file(&name, data.into(), 0, &mut |_| seen += 1)
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let daily = agg.finish();
    let took = t.elapsed();
    Ok((took, read.rows, daily))
}

fn best_of_3(path: &Path, aggregate: bool) -> anyhow::Result<(Duration, u64, Vec<DailyCost>)> {
    let mut best: Option<(Duration, u64, Vec<DailyCost>)> = None;
    for _ in 0..3 {
        let run = ingest(path, aggregate)?;
        if best.as_ref().is_none_or(|b| run.0 < b.0) {
            best = Some(run);
        }
    }
    best.context("no run")
}

fn mib(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / (1 << 20) as f64)
}

/// Generates `rows` rows, reads them back from both files, and prints the rates.
pub(crate) fn run(rows: usize) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("nagare-cost-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = measure(rows, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure(rows: usize, dir: &Path) -> anyhow::Result<()> {
    let parquet = dir.join("focus-1.2-aws.snappy.parquet");
    let csv_gz = dir.join("focus-1.2-aws.csv.gz");
    let t = Instant::now();
    crate::generate::write(rows, &parquet, &csv_gz)?;
    eprintln!(
        "generated {rows} FOCUS 1.2 rows in {:.1} s: Parquet {:.1} MiB, CSV.gz {:.1} MiB",
        t.elapsed().as_secs_f64(),
        mib(&parquet),
        mib(&csv_gz)
    );
    let mut json = serde_json::Map::new();
    let mut dailies = Vec::new();
    for (label, path) in [("parquet", &parquet), ("csv_gz", &csv_gz)] {
        let (read_only, n, _) = best_of_3(path, false)?;
        let (full, n2, daily) = best_of_3(path, true)?;
        anyhow::ensure!(
            n == rows as u64 && n2 == n,
            "{label}: read {n} rows of {rows}"
        );
        let rate = |d: Duration| n as f64 / d.as_secs_f64();
        eprintln!(
            "{label:>8}: {:>9.0} rows/s read + aggregate ({:.2} s), {:>9.0} rows/s read only \
             ({:.2} s); {:.1} MiB; {} daily rows",
            rate(full),
            full.as_secs_f64(),
            rate(read_only),
            read_only.as_secs_f64(),
            mib(path),
            daily.len()
        );
        json.insert(
            label.into(),
            serde_json::json!({
                "rows": n,
                "mib": mib(path),
                "seconds": full.as_secs_f64(),
                "rows_per_s": rate(full),
                "read_only_rows_per_s": rate(read_only),
                "daily_rows": daily.len(),
            }),
        );
        dailies.push(daily);
    }
    same(&dailies[0], &dailies[1])?;
    // The whole path as `nagare import-cost FILE` takes it: listed and fetched through the
    // object store, read, summed, and stored in a fresh SQLite database in one transaction.
    for (label, path) in [("parquet", &parquet), ("csv_gz", &csv_gz)] {
        let (took, stored) = import(path, &dir.join(format!("{label}.db")), rows)?;
        let rate = rows as f64 / took.as_secs_f64();
        eprintln!(
            "{label:>8}: {rate:>9.0} rows/s imported end to end into SQLite ({:.2} s, {stored} daily rows stored)",
            took.as_secs_f64()
        );
        if let Some(o) = json
            .get_mut(label)
            .and_then(serde_json::Value::as_object_mut)
        {
            o.insert("import_rows_per_s".into(), rate.into());
            o.insert("import_seconds".into(), took.as_secs_f64().into());
        }
    }
    let target = json
        .get("parquet")
        .and_then(|p| p.get("rows_per_s"))
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(0.0);
    json.insert("parquet_target_met".into(), (target >= 200_000.0).into());
    println!("{}", serde_json::Value::Object(json));
    Ok(())
}

/// `ingest::run` of one file into a fresh SQLite database: the time, and the daily rows stored.
fn import(path: &Path, db: &Path, rows: usize) -> anyhow::Result<(Duration, usize)> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store =
            nagare_server::store::Store::open(&format!("sqlite://{}", db.display())).await?;
        let cfg = CostConfig {
            max_bad_rows: 0,
            ..CostConfig::default()
        };
        let location = path.display().to_string();
        let t = Instant::now();
        let report =
            nagare_server::cost::ingest::run(&store, &cfg, "bench", &location, true, &mut |_| {})
                .await?;
        let took = t.elapsed();
        anyhow::ensure!(report.refused() == 0, "{}", report.summary());
        let mut stored = 0;
        for p in store.cost_periods().await? {
            anyhow::ensure!(p.rows_read >= 0, "period {}", p.billing_period);
            stored += store.cost_daily_of("bench", &p.billing_period).await?.len();
        }
        let read: i64 = store
            .cost_periods()
            .await?
            .iter()
            .map(|p| p.rows_read)
            .sum();
        anyhow::ensure!(read == rows as i64, "stored {read} rows read of {rows}");
        Ok((took, stored))
    })
}

/// The two files' daily rows agree: the same keys and row counts, costs within 1e-9 of each
/// other (CSV's decimal text and Parquet's doubles sum in the same order, so they are equal in
/// practice).
fn same(a: &[DailyCost], b: &[DailyCost]) -> anyhow::Result<()> {
    anyhow::ensure!(
        a.len() == b.len(),
        "Parquet gave {} daily rows, CSV.gz {}",
        a.len(),
        b.len()
    );
    for (x, y) in a.iter().zip(b) {
        let close = |p: f64, q: f64| (p - q).abs() <= 1e-9 * p.abs().max(q.abs()).max(1.0);
        anyhow::ensure!(
            x.day == y.day
                && x.service_name == y.service_name
                && x.account_id == y.account_id
                && x.team == y.team
                && x.rows == y.rows
                && close(x.billed, y.billed)
                && close(x.effective, y.effective),
            "Parquet and CSV.gz disagree: {x:?} vs {y:?}"
        );
    }
    Ok(())
}
