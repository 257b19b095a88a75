//! The demo's cost (`cost::command::seed_demo`, the rows of `nagare_core::demo::cost`) through
//! the API, against sums and robust z-scores computed here from `demo_costs` directly: its one
//! anomaly (search-api's OpenSearch, nine days ago) and nothing else, the sandbox account as
//! the unallocated cost, and the month to date, run rate, forecast and previous month by hand.

use super::support::*;
use crate::common::*;
use nagare_core::demo::cost::{demo_costs, DemoCost, ANOMALY_DAYS_AGO, SANDBOX_ACCOUNT};
use nagare_server::config::CostConfig;
use nagare_server::AppState;
use std::collections::{BTreeMap, BTreeSet};

const SEED: u64 = 7;

/// The demo seeded now on `backend`: the state, the rows it was made of, today's day number.
async fn seeded(backend: &str) -> (AppState, Vec<DemoCost>, i64, Option<tempfile::TempDir>) {
    let (store, _url, dir) = fresh(backend).await;
    let now = nagare_server::store::now_millis();
    let stored = nagare_server::cost::command::seed_demo(&store, SEED, now)
        .await
        .unwrap();
    assert!(stored > 0, "{backend}");
    let state = state_on(store, CostConfig::default()).await;
    (state, demo_costs(SEED, now), now.div_euclid(DAY_MS), dir)
}

fn tag<'a>(r: &'a DemoCost, key: &str) -> Option<&'a str> {
    r.tags.iter().find(|t| t.0 == key).map(|t| t.1.as_str())
}

/// Each service's (`None`: no `user:service` tag) effective cost per day.
fn per_service_day(rows: &[DemoCost]) -> BTreeMap<Option<String>, BTreeMap<i64, f64>> {
    let mut out: BTreeMap<Option<String>, BTreeMap<i64, f64>> = BTreeMap::new();
    for r in rows {
        *out.entry(tag(r, "user:service").map(str::to_owned))
            .or_default()
            .entry(i64::from(r.day))
            .or_default() += r.effective;
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Iglewicz and Hoaglin's modified z-score of `x` against `base`, as docs/metrics.md defines
/// it (the mean absolute deviation standing in for a zero MAD), written again here.
fn robust_z(x: f64, base: &[f64]) -> Option<f64> {
    if base.len() < 7 {
        return None;
    }
    let m = median(base.to_vec());
    let dev: Vec<f64> = base.iter().map(|b| (b - m).abs()).collect();
    let mad = median(dev.clone());
    if mad > 0.0 {
        return Some(0.6745 * (x - m) / mad);
    }
    let mean = dev.iter().sum::<f64>() / dev.len() as f64;
    (mean > 0.0).then(|| (x - m) / (1.253_314 * mean))
}

/// The anomalies of days `[from, to)` by service, computed from the rows: (day, service, z).
fn own_anomalies(rows: &[DemoCost], from: i64, to: i64) -> Vec<(String, Option<String>, f64)> {
    let mut out = Vec::new();
    for (service, days) in per_service_day(rows) {
        if !days.range(from - 28..to).any(|_| true) {
            continue;
        }
        let cost = |d: i64| days.get(&d).copied().unwrap_or(0.0);
        for d in from..to {
            let base: Vec<f64> = (d - 28..d).map(cost).collect();
            if let Some(z) = robust_z(cost(d), &base) {
                if z.abs() > 3.5 {
                    out.push((day_text(d), service.clone(), z));
                }
            }
        }
    }
    out.sort_by(|a, b| b.2.abs().total_cmp(&a.2.abs()));
    out
}

fn api_anomalies(v: &serde_json::Value) -> Vec<(String, Option<String>, f64)> {
    v["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["day"].as_str().unwrap().to_owned(),
                a["key"].as_str().map(str::to_owned),
                num(&a["z"]),
            )
        })
        .collect()
}

/// The API's anomalies are the robust z-scores of the documented definition, recomputed here
/// over the same days (whatever they turn out to be).
#[tokio::test]
async fn the_demos_anomalies_are_the_documented_robust_z_scores() {
    for backend in backends() {
        let (state, rows, today, _dir) = seeded(backend).await;
        let (from, to) = (today - 60, today);
        let uri = format!(
            "/api/v1/costs/anomalies?group_by=service&{}",
            window(&day_text(from), &day_text(to))
        );
        let r = ok(&state, &uri).await;
        assert_eq!(
            (num(&r["threshold"]), &r["baseline_days"]),
            (3.5, &serde_json::json!(28))
        );
        let got = api_anomalies(&r);
        let want = own_anomalies(&rows, from, to);
        let key = |v: &[(String, Option<String>, f64)]| {
            v.iter()
                .map(|a| (a.0.clone(), a.1.clone()))
                .collect::<BTreeSet<_>>()
        };
        assert_eq!(key(&got), key(&want), "{backend}: {uri}");
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g.2 - w.2).abs() < 1e-6 * w.2.abs().max(1.0),
                "{backend}: {g:?} vs {w:?}"
            );
        }
    }
}

/// The demo's one anomaly: search-api nine days ago, its OpenSearch domain in the search
/// account first among the contributors, with the day's cost and the baseline's median by
/// hand.
#[tokio::test]
async fn the_demos_anomaly_is_search_api_nine_days_ago_led_by_opensearch() {
    for backend in backends() {
        let (state, rows, today, _dir) = seeded(backend).await;
        let day = today - i64::from(ANOMALY_DAYS_AGO);
        let r = ok(&state, "/api/v1/costs/anomalies?group_by=service").await;
        let a = r["anomalies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == "search-api" && a["day"] == day_text(day).as_str())
            .unwrap_or_else(|| panic!("{backend}: no search-api anomaly on {}: {r}", day_text(day)))
            .clone();
        // Today has no cost yet (exports lag): a day after the last with data is not judged.
        let data_through = ok(&state, "/api/v1/costs").await["data_through"].clone();
        assert_eq!(data_through, day_text(today - 1).as_str(), "{backend}");
        for a in r["anomalies"].as_array().unwrap() {
            assert!(
                a["day"].as_str().unwrap() < day_text(today).as_str(),
                "{backend}: {a}"
            );
        }
        let days = &per_service_day(&rows)[&Some("search-api".to_owned())];
        let base: Vec<f64> = (day - 28..day).map(|d| days[&d]).collect();
        close(num(&a["cost"]), days[&day], "the day's cost");
        close(
            num(&a["median"]),
            median(base.clone()),
            "the baseline's median",
        );
        close(num(&a["z"]), robust_z(days[&day], &base).unwrap(), "z");
        close(num(&a["excess"]), days[&day] - median(base), "excess");
        let top = &a["contributors"][0];
        assert_eq!(
            (top["account_id"].as_str(), top["service_name"].as_str()),
            (Some("333300003333"), Some("Amazon OpenSearch Service")),
            "{backend}: {a}"
        );
        let opensearch = |d: i64| {
            rows.iter()
                .filter(|r| {
                    i64::from(r.day) == d
                        && r.service_name == "Amazon OpenSearch Service"
                        && tag(r, "user:service") == Some("search-api")
                })
                .map(|r| r.effective)
                .sum::<f64>()
        };
        close(num(&top["cost"]), opensearch(day), "OpenSearch that day");
        let own: Vec<f64> = (day - 28..day).map(opensearch).collect();
        close(num(&top["median"]), median(own), "OpenSearch's own median");
    }
}

/// "One anomaly": over the last 90 days (the page's default window), search-api nine days ago
/// is the only day of any service beyond the threshold.
#[tokio::test]
async fn the_demo_has_no_other_anomaly_in_the_last_90_days() {
    for backend in backends() {
        let (state, _rows, today, _dir) = seeded(backend).await;
        let r = ok(&state, "/api/v1/costs/anomalies?group_by=service").await;
        let expected = (
            day_text(today - i64::from(ANOMALY_DAYS_AGO)),
            Some("search-api".to_owned()),
        );
        let others: Vec<(String, Option<String>, f64)> = api_anomalies(&r)
            .into_iter()
            .filter(|a| (a.0.clone(), a.1.clone()) != expected)
            .collect();
        assert!(
            others.is_empty(),
            "{backend}: {} other anomalies (day, service, z): {others:?}",
            others.len()
        );
    }
}

/// Grouped by team, the unallocated cost is the sandbox account's (no tag, no account map):
/// the default window is the 90 days before the start of tomorrow.
#[tokio::test]
async fn the_demos_unallocated_cost_is_the_sandbox_accounts() {
    for backend in backends() {
        let (state, rows, today, _dir) = seeded(backend).await;
        let r = ok(&state, "/api/v1/costs?group_by=team").await;
        assert_eq!(r["from"], day_text(today - 89).as_str(), "{backend}");
        assert_eq!(r["to"], day_text(today + 1).as_str(), "{backend}");
        let in_window = |r: &&DemoCost| i64::from(r.day) >= today - 89;
        let sandbox: f64 = rows
            .iter()
            .filter(in_window)
            .filter(|r| r.account_id == SANDBOX_ACCOUNT)
            .map(|r| r.effective)
            .sum();
        let total: f64 = rows.iter().filter(in_window).map(|r| r.effective).sum();
        close(num(&r["unallocated"]), sandbox, "unallocated");
        close(num(&r["total"]), total, "total");
        let g = r["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"].is_null())
            .unwrap()
            .clone();
        close(num(&g["total"]), sandbox, "the Unallocated group");
        assert_eq!(g["label"], "Unallocated");
        // By account: the sandbox's own group is the same amount.
        let r = ok(&state, "/api/v1/costs?group_by=account").await;
        let g = r["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == SANDBOX_ACCOUNT)
            .unwrap()
            .clone();
        close(num(&g["total"]), sandbox, "the sandbox account");
        assert_eq!(g["label"], "acme-sandbox (666600006666)");
    }
}

/// The first day (number) of the month of `day`, and of the next month.
fn month_bounds(day: i64) -> (i64, i64) {
    use chrono::Datelike;
    let d = chrono::NaiveDate::parse_from_str(&day_text(day), "%Y-%m-%d").unwrap();
    let first = d.with_day(1).unwrap();
    let next = if first.month() == 12 {
        chrono::NaiveDate::from_ymd_opt(first.year() + 1, 1, 1).unwrap()
    } else {
        chrono::NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1).unwrap()
    };
    (day_of(&first.to_string()), day_of(&next.to_string()))
}

/// Month to date through the last day with data (yesterday: the demo's exports lag a day),
/// the run rate of the 7 days ending then, the forecast, and the month before, whole and to
/// the same day of the month; each summed here from the rows.
#[tokio::test]
async fn the_demos_month_to_date_and_forecast_by_hand() {
    for backend in backends() {
        let (state, rows, today, _dir) = seeded(backend).await;
        let r = ok(&state, "/api/v1/costs").await;
        let m = &r["month"];
        let through = today - 1;
        let sum = |a: i64, b: i64| -> f64 {
            rows.iter()
                .filter(|r| (a..b).contains(&i64::from(r.day)))
                .map(|r| r.effective)
                .sum()
        };
        let (first, next) = month_bounds(through);
        let to_date = sum(first, through + 1);
        let rate = sum(through - 6, through + 1) / 7.0;
        let left = (next - 1) - through;
        let (prev_first, _) = month_bounds(first - 1);
        let same_day = (prev_first + (through - first)).min(first - 1);
        assert_eq!(r["data_through"], day_text(through).as_str(), "{backend}");
        assert_eq!(m["through"], day_text(through).as_str(), "{backend}");
        assert_eq!(m["month"], &day_text(through)[..7], "{backend}");
        close(num(&m["to_date"]), to_date, "to date");
        assert_eq!(m["run_rate_days"], 7);
        close(num(&m["run_rate"]), rate, "run rate");
        close(
            num(&m["forecast"]),
            to_date + rate * left as f64,
            "forecast",
        );
        close(
            num(&m["previous_month"]),
            sum(prev_first, first),
            "previous month",
        );
        close(
            num(&m["previous_to_same_day"]),
            sum(prev_first, same_day + 1),
            "previous month to the same day",
        );
    }
}
