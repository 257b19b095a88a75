//! "Download CSV": what the chart and the groups show, built in the browser from the same JSON
//! reply (a `Blob` and an object URL; nothing is asked again). One row per record, each
//! self-describing:
//!
//! - `record`: `total` (a group over the whole window) or `series` (a group in one bucket);
//! - `group_key`: the team, service, account id or provider service; empty: unallocated;
//! - `group_label`: as the page shows it;
//! - `bucket_start`, `bucket_days`: the bucket's first day (UTC, `YYYY-MM-DD`) and its days in
//!   the window; for a total, the window's first day and its length;
//! - `cost`: the amount, with every digit the API sent (no rounding);
//! - `currency`, `cost_basis`: what `cost` is in, and which cost column it sums;
//! - `share_of_total`: a total's share of the window's total (0–1); empty on series rows.
//!
//! The file starts with a UTF-8 byte order mark, so that spreadsheets read non-ASCII labels.

use super::text;
use leptos::prelude::*;
use nagare_core::api::CostReport;
use nagare_core::cost::parse_day;

pub const HEADER: &str =
    "record,group_key,group_label,bucket_start,bucket_days,cost,currency,cost_basis,share_of_total";

/// A field, quoted when it holds a comma, quote or line break; text a spreadsheet would run
/// as a formula (`=`, `+`, `-`, `@` first) is prefixed with `'`.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The CSV of a report: the header, each group's total, then each bucket's value per group.
pub fn build(r: &CostReport) -> String {
    let cur = r.currency.clone().unwrap_or_default();
    let basis = r.cost.as_str();
    let days = match (parse_day(&r.from), parse_day(&r.to)) {
        (Some(f), Some(t)) => (t - f).to_string(),
        _ => String::new(),
    };
    let mut out = String::from("\u{feff}");
    out.push_str(HEADER);
    out.push_str("\r\n");
    let mut row = |record: &str,
                   key: &Option<String>,
                   label: &str,
                   start: &str,
                   days: &str,
                   cost: f64,
                   share: Option<f64>| {
        let cols = [
            record.to_owned(),
            field(key.as_deref().unwrap_or_default()),
            field(label),
            start.to_owned(),
            days.to_owned(),
            cost.to_string(),
            field(&cur),
            basis.to_owned(),
            share.map(|s| s.to_string()).unwrap_or_default(),
        ];
        out.push_str(&cols.join(","));
        out.push_str("\r\n");
    };
    for g in &r.groups {
        row(
            "total",
            &g.key,
            &g.label,
            &r.from,
            &days,
            g.total,
            Some(g.share),
        );
    }
    if let Some(series) = &r.series {
        for b in &series.buckets {
            for (g, v) in r.groups.iter().zip(&b.values) {
                row(
                    "series",
                    &g.key,
                    &g.label,
                    &b.start,
                    &b.days.to_string(),
                    *v,
                    None,
                );
            }
        }
    }
    out
}

/// `nagare-costs_2024-09-01_2024-10-01_team_effective.csv`.
pub fn file_name(r: &CostReport) -> String {
    format!(
        "nagare-costs_{}_{}_{}_{}.csv",
        r.from,
        r.to,
        r.group_by.as_str(),
        r.cost.as_str()
    )
}

/// An object URL for the CSV's bytes (`Blob` through `js_sys`, as the app's web-sys features
/// do not include it).
#[cfg(target_arch = "wasm32")]
fn object_url(csv: &str) -> Option<String> {
    use js_sys::{Array, Function, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    let global = js_sys::global();
    let blob: Function = Reflect::get(&global, &JsValue::from_str("Blob"))
        .ok()?
        .dyn_into()
        .ok()?;
    let options = Object::new();
    Reflect::set(
        &options,
        &JsValue::from_str("type"),
        &JsValue::from_str("text/csv;charset=utf-8"),
    )
    .ok()?;
    let parts = Array::of1(&JsValue::from_str(csv));
    let blob = Reflect::construct(&blob, &Array::of2(&parts, &options)).ok()?;
    let url = Reflect::get(&global, &JsValue::from_str("URL")).ok()?;
    let create: Function = Reflect::get(&url, &JsValue::from_str("createObjectURL"))
        .ok()?
        .dyn_into()
        .ok()?;
    create.call1(&url, &blob).ok()?.as_string()
}

#[cfg(not(target_arch = "wasm32"))]
fn object_url(_csv: &str) -> Option<String> {
    None
}

/// Lets the browser free the CSV once the page no longer links it.
fn revoke(object_url: &str) {
    #[cfg(target_arch = "wasm32")]
    {
        use js_sys::{Function, Reflect};
        use wasm_bindgen::{JsCast, JsValue};
        let Ok(url) = Reflect::get(&js_sys::global(), &JsValue::from_str("URL")) else {
            return;
        };
        if let Some(revoke) = Reflect::get(&url, &JsValue::from_str("revokeObjectURL"))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
        {
            let _ = revoke.call1(&url, &JsValue::from_str(object_url));
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = object_url;
}

/// The download link of a loaded report.
#[component]
pub fn DownloadCsv(r: CostReport) -> impl IntoView {
    let url = object_url(&build(&r));
    if let Some(u) = url.clone() {
        on_cleanup(move || revoke(&u));
    }
    view! {
        <a class="button" href=url download=file_name(&r) data-test="download-csv" title=text::DOWNLOAD_CSV_TITLE>
            {text::DOWNLOAD_CSV}
        </a>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nagare_core::api::{
        CostBasis, CostBucket, CostGroupBy, CostGroupTotal, CostInterval, CostSeries, MonthToDate,
    };

    fn report() -> CostReport {
        CostReport {
            from: "2024-09-01".into(),
            to: "2024-09-03".into(),
            cost: CostBasis::Billed,
            group_by: CostGroupBy::Account,
            currency: Some("USD".into()),
            total: 0.30000000000000004,
            unallocated: 0.1,
            groups: vec![
                CostGroupTotal {
                    key: Some("111".into()),
                    label: "Prod, \"main\" (111)".into(),
                    total: 0.20000000000000004,
                    share: 0.6666666666666666,
                },
                CostGroupTotal {
                    key: None,
                    label: "Unallocated".into(),
                    total: 0.1,
                    share: 0.3333333333333333,
                },
            ],
            series: Some(CostSeries {
                interval: CostInterval::Day,
                buckets: vec![
                    CostBucket {
                        start: "2024-09-01".into(),
                        days: 1,
                        values: vec![0.1, 0.0000008],
                        total: 0.1000008,
                    },
                    CostBucket {
                        start: "2024-09-02".into(),
                        days: 1,
                        values: vec![0.10000000000000003, 0.0999992],
                        total: 0.2,
                    },
                ],
            }),
            month: MonthToDate {
                month: "2024-09".into(),
                to_date: 0.0,
                through: None,
                run_rate: None,
                run_rate_days: 0,
                forecast: None,
                previous_month: 0.0,
                previous_to_same_day: 0.0,
            },
            data_through: None,
            configured: true,
        }
    }

    #[test]
    fn totals_then_series_with_every_digit_and_quoted_labels() {
        let csv = build(&report());
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[0], HEADER);
        assert_eq!(
            lines[1],
            "total,111,\"Prod, \"\"main\"\" (111)\",2024-09-01,2,0.20000000000000004,USD,billed,0.6666666666666666"
        );
        assert_eq!(
            lines[2],
            "total,,Unallocated,2024-09-01,2,0.1,USD,billed,0.3333333333333333"
        );
        assert_eq!(
            lines[4],
            "series,,Unallocated,2024-09-01,1,0.0000008,USD,billed,"
        );
        assert_eq!(
            lines[5],
            "series,111,\"Prod, \"\"main\"\" (111)\",2024-09-02,1,0.10000000000000003,USD,billed,"
        );
        assert_eq!(lines.len(), 7);
        // Every amount reads back to the very number the API sent.
        assert_eq!("0.0000008".parse::<f64>().ok(), Some(0.0000008));
        assert!(csv.starts_with('\u{feff}'));
    }

    #[test]
    fn formulas_are_defused_and_the_name_says_the_view() {
        assert_eq!(field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(field("-x,y"), "\"'-x,y\"");
        assert_eq!(field("plain"), "plain");
        assert_eq!(
            file_name(&report()),
            "nagare-costs_2024-09-01_2024-09-03_account_billed.csv"
        );
    }
}
