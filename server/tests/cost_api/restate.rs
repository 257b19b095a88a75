//! Restatements (docs/cost.md, "Restatements"), with an AWS Data Exports folder written to a
//! directory by the test (`support::ExportDir`): a period restated replaces its rows whole and
//! leaves the other's; a crash in the middle of the replacement (a trigger refusing one row,
//! after a first chunk of 1,000 rows was written) leaves the previous version exactly; a
//! half-written delivery waits for its manifest (and for every file the manifest names); bad
//! rows are skipped up to `cost.max_bad_rows` and reported with file, row and column, and past
//! it the new version is refused and the old one stays.

use super::support::*;
use crate::common::*;
use nagare_server::config::CostConfig;
use nagare_server::cost::ingest::Outcome;
use nagare_server::cost::DailyCost;
use nagare_server::AppState;
use serde_json::Value;

const SOURCE: &str = "aws";
const BOTH: &str = "from=2024-08-01T00:00:00Z&to=2024-12-01T00:00:00Z";

fn cfg(max_bad_rows: u64) -> CostConfig {
    CostConfig {
        max_bad_rows,
        ..CostConfig::default()
    }
}

/// The rows the API reads over August to November, fresh: the held cost is reloaded on the
/// next request.
async fn costs(state: &AppState, query: &str) -> Value {
    costs_in(state, BOTH, query).await
}

async fn costs_in(state: &AppState, window: &str, query: &str) -> Value {
    state.costs.invalidate().await;
    ok(state, &format!("/api/v1/costs?{window}&{query}")).await
}

/// Each monthly bucket's effective total, by month.
async fn by_month(state: &AppState) -> Vec<(String, f64)> {
    let r = costs(state, "interval=month").await;
    r["series"]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["start"].as_str().unwrap()[..7].to_owned(),
                num(&b["total"]),
            )
        })
        .collect()
}

fn month(months: &[(String, f64)], m: &str) -> f64 {
    months.iter().find(|(k, _)| k == m).unwrap().1
}

/// A period's stored daily rows, read from the store.
async fn stored(state: &AppState, period: &str) -> Vec<DailyCost> {
    state.store.cost_daily_of(SOURCE, period).await.unwrap()
}

/// The `/costs/sources` row of a period.
async fn period_row(state: &AppState, period: &str) -> Value {
    let r = ok(state, "/api/v1/costs/sources").await;
    r["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["billing_period"] == period && p["source"] == SOURCE)
        .cloned()
        .unwrap_or_else(|| panic!("no period {period}: {r}"))
}

fn billed_by_day_account(rows: &[DailyCost]) -> Vec<(String, String, f64)> {
    rows.iter()
        .map(|r| (day_text(i64::from(r.day)), r.account_id.clone(), r.billed))
        .collect()
}

#[tokio::test]
async fn a_restated_period_replaces_its_rows_and_leaves_the_others() {
    for backend in backends() {
        let (store, _url, _db) = fresh(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let export = ExportDir::new(dir.path(), "nagare-focus");
        let cfg = cfg(5);
        export.deliver(
            "2024-08",
            "exec-aug-1",
            &focus_csv(&[
                Row::hour("2024-08-05", 10, "111", "Amazon EC2", 10.0).tag("user:team", "payments"),
                Row::hour("2024-08-20", 3, "222", "Amazon S3", 4.5),
            ]),
        );
        export.deliver(
            "2024-09",
            "exec-sep-1",
            &focus_csv(&[
                Row::hour("2024-09-03", 0, "111", "Amazon EC2", 7.0).tag("user:team", "payments"),
                Row::hour("2024-09-10", 22, "222", "Amazon S3", 2.0),
            ]),
        );
        let r = run(&store, &cfg, SOURCE, &export.root).await.unwrap();
        assert_eq!(
            outcomes(&r),
            [
                (
                    "2024-08".into(),
                    Outcome::Ingested {
                        rows: 2,
                        skipped: 0,
                        daily: 2
                    }
                ),
                (
                    "2024-09".into(),
                    Outcome::Ingested {
                        rows: 2,
                        skipped: 0,
                        daily: 2
                    }
                ),
            ],
            "{backend}"
        );
        let state = state_on(store.clone(), cfg.clone()).await;
        let m = by_month(&state).await;
        close(month(&m, "2024-08"), (10.0 + 4.5) * 0.75, "August");
        close(month(&m, "2024-09"), (7.0 + 2.0) * 0.75, "September");
        let august = stored(&state, "2024-08").await;
        let aug_version = period_row(&state, "2024-08").await["version"].clone();
        let sep_version = period_row(&state, "2024-09").await["version"].clone();
        assert!(aug_version.is_string() && sep_version.is_string());

        // AWS restates September (Overwrite: the same file name, new numbers, a new manifest).
        export.deliver(
            "2024-09",
            "exec-sep-2",
            &focus_csv(&[
                Row::hour("2024-09-03", 0, "111", "Amazon EC2", 70.0).tag("user:team", "payments"),
                Row::hour("2024-09-11", 5, "333", "AWS Lambda", 1.25),
            ]),
        );
        let r = run(&store, &cfg, SOURCE, &export.root).await.unwrap();
        assert_eq!(
            outcomes(&r),
            [
                ("2024-08".into(), Outcome::Unchanged),
                (
                    "2024-09".into(),
                    Outcome::Ingested {
                        rows: 2,
                        skipped: 0,
                        daily: 2
                    }
                ),
            ],
            "{backend}"
        );
        assert_eq!(
            billed_by_day_account(&stored(&state, "2024-09").await),
            [
                ("2024-09-03".to_owned(), "111".to_owned(), 70.0),
                ("2024-09-11".to_owned(), "333".to_owned(), 1.25)
            ],
            "{backend}: only the restated rows"
        );
        assert_eq!(
            stored(&state, "2024-08").await,
            august,
            "{backend}: August untouched"
        );
        let m = by_month(&state).await;
        close(month(&m, "2024-08"), (10.0 + 4.5) * 0.75, "August after");
        close(
            month(&m, "2024-09"),
            (70.0 + 1.25) * 0.75,
            "September restated",
        );
        let r = costs_in(
            &state,
            &window("2024-09-01", "2024-10-01"),
            "group_by=account",
        )
        .await;
        let accounts: Vec<&str> = r["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["key"].as_str().unwrap())
            .collect();
        assert_eq!(
            accounts,
            ["111", "333"],
            "{backend}: account 222 left with the old rows"
        );
        assert_eq!(period_row(&state, "2024-08").await["version"], aug_version);
        let sep = period_row(&state, "2024-09").await;
        assert_ne!(sep["version"], sep_version, "{backend}: the new version");
        close(num(&sep["billed"]), 71.25, "the period's billed total");

        // Nothing changed since: nothing is read.
        let r = run(&store, &cfg, SOURCE, &export.root).await.unwrap();
        assert_eq!(
            outcomes(&r),
            [
                ("2024-08".into(), Outcome::Unchanged),
                ("2024-09".into(), Outcome::Unchanged)
            ],
            "{backend}"
        );
    }
}

/// 50 accounts × 30 days of September, `scale` each: 1,500 daily rows (a first chunk of 1,000
/// is written before the last one), and with `boom` a last row of account `boom`.
fn big_september(scale: f64, boom: bool) -> Vec<u8> {
    let mut rows = Vec::new();
    for day in 1..=30 {
        for a in 0..50 {
            let account = format!("{:012}", 100 + a);
            rows.push(Row::hour(
                &format!("2024-09-{day:02}"),
                12,
                &account,
                "Amazon EC2",
                scale * f64::from(a + 1),
            ));
        }
    }
    if boom {
        rows.push(Row::hour("2024-09-30", 22, "boom", "Amazon EC2", 1.0));
    }
    focus_csv(&rows)
}

#[tokio::test]
async fn a_crash_mid_way_leaves_the_previous_version_whole() {
    for backend in backends() {
        let (store, url, _db) = fresh(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let export = ExportDir::new(dir.path(), "nagare-focus");
        let cfg = cfg(5);
        export.deliver("2024-09", "exec-1", &big_september(1.0, false));
        let r = run(&store, &cfg, SOURCE, &export.root).await.unwrap();
        assert_eq!(
            outcomes(&r),
            [(
                "2024-09".into(),
                Outcome::Ingested {
                    rows: 1500,
                    skipped: 0,
                    daily: 1500
                }
            )],
            "{backend}"
        );
        let state = state_on(store.clone(), cfg.clone()).await;
        // 30 days × (1 + 2 + … + 50) × 0.75 effective.
        let v1_total = 30.0 * 1275.0 * 0.75;
        let before = costs(&state, "group_by=account").await;
        close(num(&before["total"]), v1_total, "version 1");
        let rows_before = stored(&state, "2024-09").await;
        let row_before = period_row(&state, "2024-09").await;

        // The restatement crashes on its last row, after its first 1,000 rows were inserted.
        install_crash(backend, &url).await;
        export.deliver("2024-09", "exec-2", &big_september(3.0, true));
        let err = run(&store, &cfg, SOURCE, &export.root).await.unwrap_err();
        assert!(format!("{err:#}").contains("crash"), "{backend}: {err:#}");
        assert_eq!(
            stored(&state, "2024-09").await,
            rows_before,
            "{backend}: rows kept"
        );
        let after = costs(&state, "group_by=account").await;
        assert_eq!(
            after["groups"], before["groups"],
            "{backend}: every group as it was"
        );
        close(num(&after["total"]), v1_total, "after the crash");
        let row_after = period_row(&state, "2024-09").await;
        for k in [
            "state",
            "version",
            "rows",
            "billed",
            "effective",
            "ingested_at",
        ] {
            assert_eq!(row_after[k], row_before[k], "{backend}: {k} of the period");
        }

        // Fixed: the next run reads the new version whole.
        remove_crash(backend, &url).await;
        let r = run(&store, &cfg, SOURCE, &export.root).await.unwrap();
        assert_eq!(
            outcomes(&r),
            [(
                "2024-09".into(),
                Outcome::Ingested {
                    rows: 1501,
                    skipped: 0,
                    daily: 1501
                }
            )],
            "{backend}"
        );
        let now = costs(&state, "group_by=account").await;
        close(num(&now["total"]), 3.0 * v1_total + 0.75, "version 2");
        assert_eq!(stored(&state, "2024-09").await.len(), 1501);
        assert_ne!(
            period_row(&state, "2024-09").await["version"],
            row_before["version"]
        );
    }
}

#[tokio::test]
async fn a_half_written_delivery_waits_for_its_manifest_and_its_files() {
    for backend in backends() {
        let (store, _url, _db) = fresh(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let export = ExportDir::new(dir.path(), "nagare-focus");
        let cfg = cfg(5);
        export.deliver(
            "2024-09",
            "exec-sep",
            &focus_csv(&[Row::hour("2024-09-03", 0, "111", "Amazon EC2", 8.0)]),
        );
        run(&store, &cfg, SOURCE, &export.root).await.unwrap();
        let state = state_on(store.clone(), cfg.clone()).await;

        // October's data file lands; its manifest is not written yet.
        export.write_data(
            "2024-10",
            1,
            &focus_csv(&[Row::hour("2024-10-02", 0, "111", "Amazon EC2", 40.0)]),
        );
        let r = run(&store, &cfg, SOURCE, &export.root).await.unwrap();
        assert_eq!(
            outcomes(&r),
            [
                ("2024-09".into(), Outcome::Unchanged),
                ("2024-10".into(), Outcome::Waiting)
            ],
            "{backend}"
        );
        assert!(stored(&state, "2024-10").await.is_empty(), "{backend}");
        let oct = period_row(&state, "2024-10").await;
        assert_eq!(
            (oct["state"].as_str(), oct["rows"].as_u64()),
            (Some("waiting"), Some(0))
        );
        let m = by_month(&state).await;
        close(month(&m, "2024-10"), 0.0, "October while waiting");

        // November's manifest names two files, one of which is still being written.
        let nov = |hour: u32, cost: f64| {
            focus_csv(&[Row::hour("2024-11-05", hour, "111", "Amazon EC2", cost)])
        };
        export.write_data("2024-11", 1, &nov(1, 100.0));
        export.write_manifest("2024-11", "exec-nov", &[1, 2]);
        // October's manifest lands.
        export.write_manifest("2024-10", "exec-oct", &[1]);
        let r = run(&store, &cfg, SOURCE, &export.root).await.unwrap();
        assert_eq!(
            outcomes(&r),
            [
                ("2024-09".into(), Outcome::Unchanged),
                (
                    "2024-10".into(),
                    Outcome::Ingested {
                        rows: 1,
                        skipped: 0,
                        daily: 1
                    }
                ),
                ("2024-11".into(), Outcome::Waiting),
            ],
            "{backend}"
        );
        assert!(
            stored(&state, "2024-11").await.is_empty(),
            "{backend}: nothing of November"
        );
        let m = by_month(&state).await;
        close(month(&m, "2024-10"), 30.0, "October");
        close(
            month(&m, "2024-11"),
            0.0,
            "November while a file is missing",
        );
        assert_eq!(period_row(&state, "2024-10").await["state"], "ingested");

        export.write_data("2024-11", 2, &nov(2, 20.0));
        let r = run(&store, &cfg, SOURCE, &export.root).await.unwrap();
        assert_eq!(
            outcomes(&r)[2],
            (
                "2024-11".into(),
                Outcome::Ingested {
                    rows: 2,
                    skipped: 0,
                    daily: 1
                }
            ),
            "{backend}"
        );
        let m = by_month(&state).await;
        close(month(&m, "2024-11"), 90.0, "November, both files");
        let nov = period_row(&state, "2024-11").await;
        assert_eq!(
            (nov["state"].as_str(), nov["files"].as_u64()),
            (Some("ingested"), Some(2))
        );
    }
}

/// Good rows, and bad ones at data rows 2 (BilledCost) and 4 (ChargePeriodStart).
fn with_two_bad_rows(scale: f64) -> Vec<u8> {
    let mut rows: Vec<Row> = (1..=5)
        .map(|d| {
            Row::hour(
                &format!("2024-09-0{d}"),
                9,
                "111",
                "Amazon EC2",
                scale * f64::from(d),
            )
        })
        .collect();
    rows[1].billed = "twelve".into();
    rows[3].start = "yesterday".into();
    focus_csv(&rows)
}

#[tokio::test]
async fn bad_rows_are_skipped_up_to_the_tolerance_and_past_it_the_version_is_refused() {
    for backend in backends() {
        let (store, _url, _db) = fresh(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let export = ExportDir::new(dir.path(), "nagare-focus");
        let file = export.data_path("2024-09", 1);

        // Two bad rows, five tolerated: rows 1, 3 and 5 are stored.
        export.deliver("2024-09", "exec-1", &with_two_bad_rows(1.0));
        let r = run(&store, &cfg(5), SOURCE, &export.root).await.unwrap();
        assert_eq!(
            outcomes(&r),
            [(
                "2024-09".into(),
                Outcome::Ingested {
                    rows: 3,
                    skipped: 2,
                    daily: 3
                }
            )],
            "{backend}"
        );
        let state = state_on(store.clone(), cfg(5)).await;
        let m = by_month(&state).await;
        close(
            month(&m, "2024-09"),
            (1.0 + 3.0 + 5.0) * 0.75,
            "the good rows",
        );
        let p = period_row(&state, "2024-09").await;
        assert_eq!(
            (p["state"].as_str(), p["skipped_rows"].as_u64()),
            (Some("ingested"), Some(2))
        );
        let problems: Vec<(String, u64, String)> = p["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["file"].as_str().unwrap().to_owned(),
                    x["row"].as_u64().unwrap(),
                    x["column"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            problems,
            [
                (file.clone(), 2, "BilledCost".to_owned()),
                (file.clone(), 4, "ChargePeriodStart".to_owned())
            ],
            "{backend}: {p}"
        );
        assert!(
            p["problems"][0]["message"]
                .as_str()
                .unwrap()
                .contains("twelve"),
            "{p}"
        );
        let kept = stored(&state, "2024-09").await;

        // Exactly at the tolerance (two bad rows, two tolerated): still stored.
        let (store2, _u2, _db2) = fresh(backend).await;
        let r = run(&store2, &cfg(2), SOURCE, &export.root).await.unwrap();
        assert_eq!(
            outcomes(&r),
            [(
                "2024-09".into(),
                Outcome::Ingested {
                    rows: 3,
                    skipped: 2,
                    daily: 3
                }
            )],
            "{backend}: 2 bad rows under max_bad_rows = 2"
        );

        // A restatement with two bad rows again, one tolerated: refused, the old rows stay.
        export.deliver("2024-09", "exec-2", &with_two_bad_rows(10.0));
        let r = run(&store, &cfg(1), SOURCE, &export.root).await.unwrap();
        let [(period, Outcome::Refused { error })] = &outcomes(&r)[..] else {
            panic!("{backend}: {r:?}");
        };
        assert_eq!(period, "2024-09");
        assert!(
            error.contains(file.as_str()),
            "{backend}: {error:?} names the file"
        );
        assert_eq!(
            stored(&state, "2024-09").await,
            kept,
            "{backend}: the old version stays"
        );
        let m = by_month(&state).await;
        close(month(&m, "2024-09"), 9.0 * 0.75, "after the refusal");
        let after = period_row(&state, "2024-09").await;
        assert_eq!(after["state"], "failed", "{backend}: {after}");
        assert_eq!(
            after["version"], p["version"],
            "{backend}: the stored version is the old one"
        );
        // The stored error is the file's refusal (the outcome's first line); its bad rows are
        // the problems below.
        assert_eq!(after["error"].as_str(), error.lines().next(), "{backend}");
        // The file's refusal (row 0), then its bad rows with their columns.
        let problems: Vec<(&str, u64, &str)> = after["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["file"].as_str().unwrap(),
                    x["row"].as_u64().unwrap(),
                    x["column"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            problems,
            [
                (file.as_str(), 0, ""),
                (file.as_str(), 2, "BilledCost"),
                (file.as_str(), 4, "ChargePeriodStart")
            ],
            "{backend}: {after}"
        );
        // The refused version is not read again until a new one is delivered.
        let r = run(&store, &cfg(1), SOURCE, &export.root).await.unwrap();
        assert_eq!(
            outcomes(&r),
            [("2024-09".into(), Outcome::Unchanged)],
            "{backend}"
        );
    }
}

/// Loose files (a folder of CSV files, not the Data Exports layout): each billing period they
/// hold replaces that period's rows; a bad row is skipped and reported once, not once per
/// billing period the files happen to hold.
#[tokio::test]
async fn loose_files_store_each_period_and_count_a_bad_row_once() {
    for backend in backends() {
        let (store, _url, _db) = fresh(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let mut rows = vec![
            Row::hour("2024-08-30", 1, "111", "Amazon EC2", 4.0),
            Row::hour("2024-09-02", 1, "111", "Amazon EC2", 8.0),
            Row::hour("2024-09-03", 1, "111", "Amazon EC2", 16.0),
        ];
        rows[2].billed = "sixteen".into();
        std::fs::create_dir_all(dir.path().join("copied")).unwrap();
        std::fs::write(dir.path().join("copied/costs.csv"), focus_csv(&rows)).unwrap();
        let r = run(&store, &cfg(5), SOURCE, &dir.path().join("copied"))
            .await
            .unwrap();
        let periods: Vec<String> = outcomes(&r).into_iter().map(|p| p.0).collect();
        assert_eq!(periods, ["2024-08", "2024-09"], "{backend}");
        let state = state_on(store.clone(), cfg(5)).await;
        let m = by_month(&state).await;
        close(month(&m, "2024-08"), 3.0, "August");
        close(month(&m, "2024-09"), 6.0, "September, without the bad row");
        let sources = ok(&state, "/api/v1/costs/sources").await;
        let periods = sources["periods"].as_array().unwrap();
        let skipped: u64 = periods
            .iter()
            .map(|p| p["skipped_rows"].as_u64().unwrap())
            .sum();
        let listed: usize = periods
            .iter()
            .map(|p| p["problems"].as_array().unwrap().len())
            .sum();
        assert_eq!(
            (skipped, listed),
            (1, 1),
            "{backend}: one bad row in the files, shown on the periods as: {sources}"
        );
    }
}
