//! The FinOps Foundation's real FOCUS 1.0 sample (tests/fixtures/cost/focus_sample.csv, CC BY
//! 4.0, see the NOTICE there) imported with `cost::ingest::run`, its tags `business_unit` (the
//! team) and `application` (the service), then read through `GET /api/v1/costs`: every total,
//! group, share, series bucket and the month's numbers against sums computed here from the CSV
//! read by the test itself (the `csv` crate, `serde_json` for Tags, chrono for times).
//!
//! The sample's 1,000 rows are all charges of September 2024 that end by the next midnight (an
//! hour or a day), so each row counts wholly on the UTC day of its `ChargePeriodStart`; one
//! (Oracle) row is billed in the 2024-10 billing period: as loose files are read, it is stored
//! in that period, and `/costs/sources` shows both periods with their row counts.

use super::support::*;
use crate::common::*;
use nagare_server::config::CostConfig;
use nagare_server::cost::ingest::Outcome;
use std::collections::BTreeMap;
use std::path::Path;

pub const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/cost/focus_sample.csv"
);
const SEPTEMBER: &str = "from=2024-09-01T00:00:00Z&to=2024-10-01T00:00:00Z";

/// A row of the sample as the test reads it.
struct Own {
    day: String,
    period: String,
    account: String,
    service_name: String,
    team: Option<String>,
    service: Option<String>,
    billed: f64,
    effective: f64,
}

fn own_reading() -> Vec<Own> {
    let mut r = csv::Reader::from_path(SAMPLE).unwrap();
    let header = r.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (cs, ce, bp, acc, bacc, sn, b, e, t) = (
        col("ChargePeriodStart"),
        col("ChargePeriodEnd"),
        col("BillingPeriodStart"),
        col("SubAccountId"),
        col("BillingAccountId"),
        col("ServiceName"),
        col("BilledCost"),
        col("EffectiveCost"),
        col("Tags"),
    );
    let time = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let (start, end) = (time(&rec[cs]), time(&rec[ce]));
            // Each row lies within one UTC day: what makes "the day of its start" its day.
            assert_eq!(
                (end - chrono::Duration::seconds(1)).date(),
                start.date(),
                "a row crossing midnight: {rec:?}"
            );
            let tags: serde_json::Map<String, serde_json::Value> = if &rec[t] == "NULL" {
                serde_json::Map::new()
            } else {
                serde_json::from_str(&rec[t]).unwrap()
            };
            let tag = |k: &str| {
                tags.get(k)
                    .map(|v| v.as_str().unwrap().trim().to_owned())
                    .filter(|v| !v.is_empty())
            };
            let account = if &rec[acc] == "NULL" {
                &rec[bacc]
            } else {
                &rec[acc]
            };
            Own {
                day: start.date().to_string(),
                period: rec[bp][..7].to_owned(),
                account: account.to_owned(),
                service_name: rec[sn].to_owned(),
                team: tag("business_unit"),
                service: tag("application"),
                billed: rec[b].parse().unwrap(),
                effective: rec[e].parse().unwrap(),
            }
        })
        .collect()
}

pub fn sample_cfg() -> CostConfig {
    CostConfig {
        team_tags: vec!["business_unit".into()],
        service_tags: vec!["application".into()],
        ..CostConfig::default()
    }
}

fn amount(r: &Own, basis: &str) -> f64 {
    if basis == "billed" {
        r.billed
    } else {
        r.effective
    }
}

/// The group of a row under `group_by` (`None`: unallocated).
fn key(r: &Own, group_by: &str) -> Option<String> {
    match group_by {
        "team" => r.team.clone(),
        "service" => r.service.clone(),
        "account" => Some(r.account.clone()),
        _ => Some(r.service_name.clone()),
    }
}

fn unallocated(r: &Own, group_by: &str) -> bool {
    if group_by == "service" {
        r.service.is_none()
    } else {
        r.team.is_none()
    }
}

/// Imports the sample into a fresh store on `backend`: the store, and its folder.
async fn imported(backend: &str) -> (nagare_server::AppState, Option<tempfile::TempDir>) {
    let (store, _url, dir) = fresh(backend).await;
    let cfg = sample_cfg();
    let report = run(&store, &cfg, "sample", Path::new(SAMPLE))
        .await
        .unwrap();
    let got: Vec<(String, Option<u64>)> = outcomes(&report)
        .into_iter()
        .map(|(p, o)| match o {
            Outcome::Ingested { rows, skipped, .. } => {
                assert_eq!(skipped, 0, "{backend} {p}");
                (p, Some(rows))
            }
            other => panic!("{backend} {p}: {other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        [
            ("2024-09".to_owned(), Some(999)),
            ("2024-10".to_owned(), Some(1))
        ],
        "{backend}"
    );
    (state_on(store, cfg).await, dir)
}

#[tokio::test]
async fn the_samples_totals_per_group_equal_the_csv_summed_by_the_test() {
    let own = own_reading();
    assert_eq!(own.len(), 1000);
    for backend in backends() {
        let (state, _dir) = imported(backend).await;
        for basis in ["effective", "billed"] {
            for group_by in ["service_name", "account", "team", "service"] {
                let uri = format!("/api/v1/costs?{SEPTEMBER}&group_by={group_by}&cost={basis}");
                let r = ok(&state, &uri).await;
                let what = format!("{backend} {uri}");
                let total: f64 = own.iter().map(|o| amount(o, basis)).sum();
                let unalloc: f64 = own
                    .iter()
                    .filter(|o| unallocated(o, group_by))
                    .map(|o| amount(o, basis))
                    .sum();
                let mut want: BTreeMap<Option<String>, f64> = BTreeMap::new();
                for o in &own {
                    *want.entry(key(o, group_by)).or_default() += amount(o, basis);
                }
                close(num(&r["total"]), total, &format!("{what}: total"));
                close(
                    num(&r["unallocated"]),
                    unalloc,
                    &format!("{what}: unallocated"),
                );
                assert_eq!(r["cost"], basis, "{what}");
                assert_eq!(r["group_by"], group_by, "{what}");
                assert_eq!(r["currency"], "USD", "{what}");
                assert_eq!(
                    (r["from"].as_str(), r["to"].as_str()),
                    (Some("2024-09-01"), Some("2024-10-01"))
                );
                let groups = r["groups"].as_array().unwrap();
                assert_eq!(groups.len(), want.len(), "{what}: the groups");
                let mut previous = f64::INFINITY;
                for g in groups {
                    let k = g["key"].as_str().map(str::to_owned);
                    let w = *want
                        .get(&k)
                        .unwrap_or_else(|| panic!("{what}: group {k:?} is not in the CSV"));
                    close(num(&g["total"]), w, &format!("{what}: group {k:?}"));
                    close(
                        num(&g["share"]),
                        w / total,
                        &format!("{what}: share of {k:?}"),
                    );
                    assert!(num(&g["total"]) <= previous, "{what}: largest first");
                    previous = num(&g["total"]);
                    if k.is_none() {
                        assert_eq!(g["label"], "Unallocated", "{what}");
                    }
                }
            }
        }
        // An account's label is its name with its id.
        let r = ok(
            &state,
            &format!("/api/v1/costs?{SEPTEMBER}&group_by=account"),
        )
        .await;
        let g = r["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == "11353890204")
            .unwrap()
            .clone();
        assert!(
            g["label"].as_str().unwrap().ends_with("(11353890204)"),
            "{backend}: {g}"
        );
    }
}

/// The first day of the bucket `day` falls in, clipped to the window's start (2024-09-01, a
/// Sunday): itself, its ISO week's Monday, its month's first day.
fn bucket_of(interval: &str, day: &str) -> String {
    match interval {
        "day" => day.to_owned(),
        "week" => {
            let n = day_of(day);
            // 1970-01-01 was a Thursday: a Monday is a day n with (n + 3) % 7 == 0.
            let monday = n - (n + 3).rem_euclid(7);
            day_text(monday.max(day_of("2024-09-01")))
        }
        _ => format!("{}-01", &day[..7]),
    }
}

/// Day, ISO week and month buckets: each bucket's total and each group's value in it equal
/// the CSV's per-day sums (by ChargePeriodStart's UTC day) added up by the test.
#[tokio::test]
async fn the_samples_series_by_day_week_and_month_equal_per_day_sums() {
    let own = own_reading();
    for backend in backends() {
        let (state, _dir) = imported(backend).await;
        // (day, team) → effective.
        let mut per_day: BTreeMap<(String, Option<String>), f64> = BTreeMap::new();
        for o in &own {
            *per_day.entry((o.day.clone(), o.team.clone())).or_default() += o.effective;
        }
        let days: Vec<(String, u64)> = (0..30)
            .map(|i| (day_text(day_of("2024-09-01") + i), 1))
            .collect();
        let weeks: Vec<(String, u64)> = [
            ("2024-09-01", 1),
            ("2024-09-02", 7),
            ("2024-09-09", 7),
            ("2024-09-16", 7),
            ("2024-09-23", 7),
            ("2024-09-30", 1),
        ]
        .iter()
        .map(|(d, n)| ((*d).to_owned(), *n))
        .collect();
        let months = vec![("2024-09-01".to_owned(), 30)];
        for (interval, shape) in [("day", days), ("week", weeks), ("month", months)] {
            let uri = format!("/api/v1/costs?{SEPTEMBER}&group_by=team&interval={interval}");
            let r = ok(&state, &uri).await;
            let what = format!("{backend} {uri}");
            assert_eq!(r["series"]["interval"], interval, "{what}");
            let buckets = r["series"]["buckets"].as_array().unwrap();
            assert_eq!(buckets.len(), shape.len(), "{what}");
            let groups: Vec<Option<String>> = r["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["key"].as_str().map(str::to_owned))
                .collect();
            let mut sum_of_buckets = 0.0;
            for (i, b) in buckets.iter().enumerate() {
                let start = b["start"].as_str().unwrap().to_owned();
                let days = b["days"].as_u64().unwrap();
                assert_eq!((start.clone(), days), shape[i], "{what}");
                let mut want_total = 0.0;
                for (gi, g) in groups.iter().enumerate() {
                    let want: f64 = per_day
                        .iter()
                        .filter(|((d, t), _)| bucket_of(interval, d) == start && t == g)
                        .map(|(_, v)| v)
                        .sum();
                    close(
                        num(&b["values"][gi]),
                        want,
                        &format!("{what}: bucket {start}, group {g:?}"),
                    );
                    want_total += want;
                }
                close(
                    num(&b["total"]),
                    want_total,
                    &format!("{what}: bucket {start}"),
                );
                sum_of_buckets += num(&b["total"]);
            }
            close(
                sum_of_buckets,
                num(&r["total"]),
                &format!("{what}: the buckets add up"),
            );
        }
    }
}

/// The month of the window's last day with data (September): to date, the run rate of its
/// last 7 days, the forecast (the month's last day: nothing left, so the month to date), and an
/// August without cost.
#[tokio::test]
async fn the_samples_month_to_date_is_september_by_hand() {
    let own = own_reading();
    for backend in backends() {
        let (state, _dir) = imported(backend).await;
        let r = ok(&state, &format!("/api/v1/costs?{SEPTEMBER}")).await;
        let m = &r["month"];
        let september: f64 = own.iter().map(|o| o.effective).sum();
        let last7: f64 = own
            .iter()
            .filter(|o| o.day.as_str() >= "2024-09-24")
            .map(|o| o.effective)
            .sum();
        assert_eq!(r["data_through"], "2024-09-30", "{backend}");
        assert_eq!(m["month"], "2024-09", "{backend}");
        assert_eq!(m["through"], "2024-09-30", "{backend}");
        close(num(&m["to_date"]), september, "to date");
        assert_eq!(m["run_rate_days"], 7, "{backend}");
        close(num(&m["run_rate"]), last7 / 7.0, "run rate");
        close(
            num(&m["forecast"]),
            september,
            "forecast on the month's last day",
        );
        close(num(&m["previous_month"]), 0.0, "August");
        close(num(&m["previous_to_same_day"]), 0.0, "August to the 30th");
        assert_eq!(r["configured"], true, "{backend}: cost is stored");
    }
}

/// `/costs/sources`: both billing periods of the sample, their rows and totals.
#[tokio::test]
async fn the_samples_billing_periods_are_shown_with_their_rows() {
    let own = own_reading();
    for backend in backends() {
        let (state, _dir) = imported(backend).await;
        let r = ok(&state, "/api/v1/costs/sources").await;
        let periods = r["periods"].as_array().unwrap();
        let seen: Vec<(&str, &str, &str, u64, u64)> = periods
            .iter()
            .map(|p| {
                (
                    p["source"].as_str().unwrap(),
                    p["billing_period"].as_str().unwrap(),
                    p["state"].as_str().unwrap(),
                    p["rows"].as_u64().unwrap(),
                    p["skipped_rows"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("sample", "2024-10", "ingested", 1, 0),
                ("sample", "2024-09", "ingested", 999, 0)
            ],
            "{backend}: newest first"
        );
        for p in periods {
            let period = p["billing_period"].as_str().unwrap();
            let (b, e): (f64, f64) = own
                .iter()
                .filter(|o| o.period == period)
                .fold((0.0, 0.0), |(b, e), o| (b + o.billed, e + o.effective));
            close(num(&p["billed"]), b, &format!("{backend} {period} billed"));
            close(
                num(&p["effective"]),
                e,
                &format!("{backend} {period} effective"),
            );
            assert_eq!(p["files"], 1, "{backend}");
            assert!(
                p["format"].as_str().unwrap().starts_with("focus-1.0"),
                "{backend}: {p}"
            );
            assert!(p["error"].is_null() && p["ingested_at"].is_string(), "{p}");
        }
        // Read again: the files did not change, nothing is read.
        let store = state.store.clone();
        let again = run(&store, &sample_cfg(), "sample", Path::new(SAMPLE))
            .await
            .unwrap();
        assert_eq!(
            outcomes(&again),
            [
                ("2024-09".to_owned(), Outcome::Unchanged),
                ("2024-10".to_owned(), Outcome::Unchanged)
            ],
            "{backend}"
        );
    }
}
