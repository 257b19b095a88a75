//! `nagare import-cost` as a process (the built binary, on a temporary SQLite database): the
//! real FOCUS sample is imported, a line per billing period and the summary printed, exit 0;
//! the same again is all unchanged; a file past the bad-row tolerance exits non-zero, naming
//! the file, the rows and the columns, and stores nothing.

use super::sample::SAMPLE;
use super::support::*;
use nagare_server::store::Store;
use std::path::Path;
use std::process::{Command, Output};

/// The `nagare` binary on `db`, with none of this test run's own `NAGARE_*` variables.
fn nagare(db: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nagare"));
    for (key, _) in std::env::vars() {
        if key.starts_with("NAGARE_") || key == "DATABASE_URL" {
            cmd.env_remove(key);
        }
    }
    cmd.env("DATABASE_URL", db).env("NAGARE_LOG", "warn");
    cmd
}

/// Everything the process printed, stdout then stderr.
fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn import(db: &str, args: &[&str]) -> Output {
    nagare(db).arg("import-cost").args(args).output().unwrap()
}

/// A config file with `[cost] max_bad_rows = 1`.
fn strict_config(dir: &Path) -> String {
    let path = dir.join("nagare.toml");
    std::fs::write(&path, "[cost]\nmax_bad_rows = 1\n").unwrap();
    path.to_str().unwrap().to_owned()
}

/// Three rows of September, the 2nd with a cost that is not a number, the 3rd with an end
/// that is not a time.
fn two_bad_rows() -> Vec<u8> {
    let mut rows: Vec<Row> = (1..=3)
        .map(|d| Row::hour(&format!("2024-09-0{d}"), 9, "111", "Amazon EC2", 5.0))
        .collect();
    rows[1].billed = "n/a".into();
    rows[2].end = "2024-13-45 99:00:00".into();
    focus_csv(&rows)
}

#[tokio::test]
async fn import_cost_reads_the_sample_and_says_what_it_did() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cost.db").display());
    let out = import(&db, &[SAMPLE, "--source", "focus-sample"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains(
            "focus-sample: 2 billing period(s) ingested, 0 unchanged, 0 waiting for a manifest, 0 refused"
        ),
        "{said}"
    );
    let store = Store::open(&db).await.unwrap();
    let periods: Vec<(String, String, i64)> = store
        .cost_periods()
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.source, p.billing_period, p.rows_read))
        .collect();
    assert_eq!(
        periods,
        [
            ("focus-sample".to_owned(), "2024-10".to_owned(), 1),
            ("focus-sample".to_owned(), "2024-09".to_owned(), 999)
        ]
    );
    // Again: nothing changed, nothing read.
    let out = import(&db, &[SAMPLE, "--source", "focus-sample", "--quiet"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("focus-sample: 0 billing period(s) ingested, 2 unchanged"),
        "{said}"
    );
}

/// docs/cost.md ("Running it"): "A line per period says what happened (`2025-06: ingested:
/// 1204331 rows (0 bad rows skipped) into 5120 daily rows`, …), then a summary"; `--quiet`
/// "hides the progress bar". Run from a script or a cron job (no terminal), or with --quiet,
/// the lines must still be printed.
#[tokio::test]
async fn import_cost_prints_a_line_per_period_without_a_terminal() {
    for quiet in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("cost.db").display());
        let mut args = vec![SAMPLE];
        if quiet {
            args.push("--quiet");
        }
        let out = import(&db, &args);
        let said = text(&out);
        assert_eq!(out.status.code(), Some(0), "{said}");
        for line in [
            "2024-09: ingested: 999 rows (0 bad rows skipped)",
            "2024-10: ingested: 1 rows (0 bad rows skipped)",
        ] {
            assert!(
                said.contains(line),
                "quiet: {quiet}: no {line:?} in:\n{said}"
            );
        }
    }
}

/// Loose files past the tolerance: refused whole, the process fails, and what it says names
/// the file, the bad rows and their columns (what to fix); nothing is stored.
#[tokio::test]
async fn import_cost_refuses_a_file_past_the_tolerance_naming_rows_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cost.db").display());
    let file = dir.path().join("september.csv");
    std::fs::write(&file, two_bad_rows()).unwrap();
    let config = strict_config(dir.path());
    let out = nagare(&db)
        .args(["--config", &config, "import-cost", file.to_str().unwrap()])
        .output()
        .unwrap();
    let said = text(&out);
    assert_ne!(out.status.code(), Some(0), "{said}");
    for part in [
        "september.csv",
        "row 2 column BilledCost",
        "row 3 column ChargePeriodEnd",
    ] {
        assert!(said.contains(part), "no {part:?} in:\n{said}");
    }
    let store = Store::open(&db).await.unwrap();
    assert!(store.cost_daily().await.unwrap().is_empty());
}

/// The same in the Data Exports layout: the period is refused (failed, the previous version
/// kept), the process fails, and the output names the file, rows and columns.
#[tokio::test]
async fn import_cost_refuses_a_period_past_the_tolerance_naming_rows_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cost.db").display());
    let export = ExportDir::new(dir.path(), "nagare-focus");
    export.deliver("2024-09", "exec-1", &two_bad_rows());
    let config = strict_config(dir.path());
    let out = nagare(&db)
        .args([
            "--config",
            &config,
            "import-cost",
            export.root.to_str().unwrap(),
            "--source",
            "aws",
        ])
        .output()
        .unwrap();
    let said = text(&out);
    assert_ne!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains(
            "aws: 0 billing period(s) ingested, 0 unchanged, 0 waiting for a manifest, 1 refused"
        ),
        "{said}"
    );
    // Stored: the period failed, no version, its bad rows with their columns.
    let file = export.data_path("2024-09", 1);
    let store = Store::open(&db).await.unwrap();
    let p = &store.cost_periods().await.unwrap()[0];
    assert_eq!((p.state.as_str(), p.version.as_deref()), ("failed", None));
    let problems = p.problems.clone().unwrap_or_default();
    for part in [
        r#""row":2,"column":"BilledCost""#,
        r#""row":3,"column":"ChargePeriodEnd""#,
    ] {
        assert!(problems.contains(part), "no {part} in {problems}");
    }
    // Said: the same, where the command's user reads it.
    for part in [
        file.as_str(),
        "row 2 column BilledCost",
        "row 3 column ChargePeriodEnd",
    ] {
        assert!(said.contains(part), "no {part:?} in:\n{said}");
    }
}
