//! FOCUS as Parquet and as CSV.gz, AWS's "FOCUS 1.2 with AWS columns" (`x_` columns, `Tags`
//! as a Parquet MAP), a FOCUS 1.3 header with its new columns, and columns in another order.

use super::support::{aggregate, csv, csv_gz, gzip, ms, parquet, read_lines};
use arrow_array::builder::{Float64Builder, MapBuilder, StringBuilder};
use arrow_array::{ArrayRef, Float64Array, StringArray, TimestampNanosecondArray};
use nagare_server::config::CostConfig;
use std::sync::Arc;

/// A FOCUS 1.2 row of AWS's export: (start, billed, effective, team tag, x_ServiceCode,
/// x_Discounts).
type Focus = (
    &'static str,
    f64,
    f64,
    Option<&'static str>,
    &'static str,
    Option<(&'static str, f64)>,
);

const ROWS: [Focus; 3] = [
    (
        "2024-09-05T00:00:00Z",
        12.5,
        10.0,
        Some("payments"),
        "AmazonEC2",
        None,
    ),
    ("2024-09-05T01:00:00Z", 0.75, 0.75, None, "AmazonS3", None),
    (
        "2024-09-06T00:00:00Z",
        3.0,
        2.25,
        Some("search"),
        "AmazonRDS",
        Some(("SppDiscount", -0.3)),
    ),
];

const HEADER: [&str; 14] = [
    "BilledCost",
    "BillingAccountId",
    "BillingAccountType",
    "BillingCurrency",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "EffectiveCost",
    "ProviderName",
    "ServiceName",
    "Tags",
    "x_Discounts",
    "x_ServiceCode",
];

fn focus_parquet() -> Vec<u8> {
    let text = |f: &dyn Fn(usize) -> &'static str| -> ArrayRef {
        Arc::new(StringArray::from((0..3).map(f).collect::<Vec<_>>()))
    };
    let num = |f: &dyn Fn(usize) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from((0..3).map(f).collect::<Vec<_>>()))
    };
    // Nanosecond timestamps in UTC, as Spark-written exports carry them.
    let ts = |f: &dyn Fn(usize) -> i64| -> ArrayRef {
        let v: Vec<i64> = (0..3).map(|i| f(i) * 1_000_000).collect();
        Arc::new(TimestampNanosecondArray::from(v).with_timezone("UTC"))
    };
    let mut tags = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
    let mut discounts = MapBuilder::new(None, StringBuilder::new(), Float64Builder::new());
    for r in &ROWS {
        tags.keys().append_value("user:team");
        match r.3 {
            Some(t) => tags.values().append_value(t),
            None => tags.values().append_null(),
        }
        tags.append(true).unwrap();
        if let Some((k, v)) = r.5 {
            discounts.keys().append_value(k);
            discounts.values().append_value(v);
            discounts.append(true).unwrap();
        } else {
            discounts.append(false).unwrap();
        }
    }
    let columns: Vec<ArrayRef> = vec![
        num(&|i| ROWS[i].1),
        text(&|_| "999999999999"),
        text(&|_| "Billing Account"),
        text(&|_| "USD"),
        ts(&|_| ms("2024-09-01T00:00:00Z")),
        text(&|_| "Usage"),
        ts(&|i| ms(ROWS[i].0) + 3_600_000),
        ts(&|i| ms(ROWS[i].0)),
        num(&|i| ROWS[i].2),
        text(&|_| "AWS"),
        text(&|i| {
            [
                "Amazon Elastic Compute Cloud",
                "Amazon Simple Storage Service",
                "Amazon Relational Database Service",
            ][i]
        }),
        Arc::new(tags.finish()),
        Arc::new(discounts.finish()),
        text(&|i| ROWS[i].4),
    ];
    parquet(HEADER.iter().copied().zip(columns).collect())
}

/// The same rows as FOCUS CSV: `YYYY-MM-DD HH:MM:SS` times, Tags and x_Discounts as JSON.
fn focus_table() -> Vec<Vec<String>> {
    let time = |s: &str, plus_ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms(s) + plus_ms)
            .unwrap()
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let services = [
        "Amazon Elastic Compute Cloud",
        "Amazon Simple Storage Service",
        "Amazon Relational Database Service",
    ];
    ROWS.iter()
        .enumerate()
        .map(|(i, r)| {
            let tags = match r.3 {
                Some(t) => serde_json::json!({ "user:team": t }).to_string(),
                None => "{}".into(),
            };
            let discounts = r.5.map(|(k, v)| serde_json::json!({ k: v }).to_string());
            vec![
                format!("{}", r.1),
                "999999999999".into(),
                "Billing Account".into(),
                "USD".into(),
                "2024-09-01 00:00:00".into(),
                "Usage".into(),
                time(r.0, 3_600_000),
                time(r.0, 0),
                format!("{}", r.2),
                "AWS".into(),
                services[i].into(),
                tags,
                discounts.unwrap_or_else(|| "NULL".into()),
                r.4.into(),
            ]
        })
        .collect()
}

fn cfg() -> CostConfig {
    CostConfig {
        team_tags: vec!["user:team".into()],
        ..CostConfig::default()
    }
}

#[test]
fn focus_1_2_with_aws_columns_as_parquet_and_as_csv_gz() {
    let (read, pq) = read_lines("focus.parquet", focus_parquet(), 0).unwrap();
    assert_eq!((read.format.as_str(), read.rows), ("focus-1.2", 3));
    let (read, gz) = read_lines("focus.csv.gz", csv_gz(&HEADER, &focus_table()), 0).unwrap();
    assert_eq!((read.format.as_str(), read.rows), ("focus-1.2", 3));
    // No sub-account columns: the billing account's.
    assert_eq!(pq[0].account_id, "999999999999");
    // x_ columns are tags, under their names; a map one as its JSON text.
    assert_eq!(
        pq[1].tags.get("x_ServiceCode").map(String::as_str),
        Some("AmazonS3")
    );
    assert_eq!(
        pq[2].tags.get("x_Discounts").map(String::as_str),
        Some(r#"{"SppDiscount":-0.3}"#)
    );
    assert!(!pq[0].tags.contains_key("x_Discounts"));
    // A null tag value is no tag: the row is unallocated.
    assert!(!pq[1].tags.contains_key("user:team"));
    assert_eq!(pq, gz, "the same lines from Parquet and CSV.gz");
    let daily = aggregate(&pq, &cfg());
    assert_eq!(daily, aggregate(&gz, &cfg()));
    let teams: Vec<(Option<&str>, f64, f64)> = daily
        .iter()
        .map(|d| (d.team.as_deref(), d.billed, d.effective))
        .collect();
    // Sorted by day, then (same provider, account) service name.
    assert_eq!(
        teams,
        [
            (Some("payments"), 12.5, 10.0),
            (None, 0.75, 0.75),
            (Some("search"), 3.0, 2.25)
        ]
    );
}

#[test]
fn focus_1_0_aws_and_1_3_headers_read_their_extra_columns() {
    // FOCUS 1.0 with AWS columns: x_UsageType and x_CostCategories (a JSON object).
    let header = [
        "ChargePeriodStart",
        "ChargePeriodEnd",
        "BillingPeriodStart",
        "BilledCost",
        "EffectiveCost",
        "ListCost",
        "ProviderName",
        "SubAccountId",
        "ServiceName",
        "Tags",
        "x_UsageType",
        "x_CostCategories",
        "x_Operation",
    ];
    let row: Vec<String> = [
        "2024-09-05T10:00:00Z",
        "2024-09-05T11:00:00Z",
        "2024-09-01T00:00:00Z",
        "1.5",
        "1.25",
        "2",
        "AWS",
        "123",
        "Amazon EC2",
        "{\"user:team\":\"payments\"}",
        "USE1-BoxUsage:m5.large",
        "{\"env\":\"prod\"}",
        "",
    ]
    .map(String::from)
    .to_vec();
    let (read, lines) = read_lines("a.csv", csv(&header, &[row]), 0).unwrap();
    assert_eq!(read.format, "focus-1.0");
    let tags = &lines[0].tags;
    assert_eq!(
        tags.get("x_UsageType").map(String::as_str),
        Some("USE1-BoxUsage:m5.large")
    );
    assert_eq!(
        tags.get("x_CostCategories").map(String::as_str),
        Some("{\"env\":\"prod\"}")
    );
    assert_eq!(tags.get("user:team").map(String::as_str), Some("payments"));
    assert!(
        !tags.contains_key("x_Operation"),
        "an empty x_ cell is no tag"
    );
    // An x_ column is reachable for allocation like any tag.
    let by_usage = CostConfig {
        service_tags: vec!["x_UsageType".into()],
        ..cfg()
    };
    let daily = aggregate(&lines, &by_usage);
    assert_eq!(daily[0].service.as_deref(), Some("USE1-BoxUsage:m5.large"));

    // FOCUS 1.3: ServiceProviderName and HostProviderName instead of ProviderName, the split
    // cost allocation columns, ContractApplied (JSON), and a gzip'd file with a BOM.
    let header = [
        "BilledCost",
        "EffectiveCost",
        "ListCost",
        "ChargePeriodStart",
        "ChargePeriodEnd",
        "BillingPeriodStart",
        "BillingCurrency",
        "ServiceProviderName",
        "HostProviderName",
        "ServiceName",
        "ServiceCategory",
        "SubAccountId",
        "SubAccountName",
        "ChargeCategory",
        "ChargeClass",
        "AllocatedMethodId",
        "AllocatedResourceId",
        "AllocatedTags",
        "ContractApplied",
        "Tags",
        "x_Custom",
    ];
    let row: Vec<String> = [
        "4",
        "3",
        "5",
        "2024-10-01 00:00:00",
        "2024-10-02 00:00:00",
        "2024-10-01 00:00:00",
        "EUR",
        "Datadog",
        "AWS",
        "Infrastructure Monitoring",
        "Management and Governance",
        "acc-7",
        "observability",
        "Usage",
        "Correction",
        "even-split",
        "pod-1",
        "{\"team\":\"x\"}",
        "{\"Elements\":[]}",
        "NULL",
        "42",
    ]
    .map(String::from)
    .to_vec();
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(csv(&header, &[row]));
    let (read, lines) = read_lines("b.csv.gz", gzip(&bytes), 0).unwrap();
    assert_eq!(read.format, "focus-1.3");
    let l = &lines[0];
    assert_eq!(
        (l.provider.as_str(), l.currency.as_str()),
        ("Datadog", "EUR")
    );
    assert_eq!((l.billed, l.effective, l.list), (4.0, 3.0, 5.0));
    assert_eq!(
        (l.account_id.as_str(), l.account_name.as_str()),
        ("acc-7", "observability")
    );
    assert!(l.correction);
    assert_eq!(l.billing_period, "2024-10");
    assert_eq!(l.tags.get("x_Custom").map(String::as_str), Some("42"));
    assert_eq!(l.tags.len(), 1);
}

#[test]
fn columns_in_another_order_read_the_same() {
    let data = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/cost/focus_sample.csv"
    ))
    .unwrap();
    let mut r = csv::Reader::from_reader(&data[..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let records: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    // A fixed shuffle: every 7th column, wrapping (44 columns; 7 and 44 are coprime).
    let n = header.len();
    assert_eq!(n, 44);
    let order: Vec<usize> = (0..n).map(|i| (i * 7 + 3) % n).collect();
    let shuffled_header: Vec<&str> = order.iter().map(|&i| header[i].as_str()).collect();
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|rec| order.iter().map(|&i| rec[i].to_owned()).collect())
        .collect();
    let (_, original) = read_lines("focus_sample.csv", data.clone(), 0).unwrap();
    let (_, shuffled) = read_lines("shuffled.csv", csv(&shuffled_header, &rows), 0).unwrap();
    assert_eq!(original.len(), 1000);
    assert_eq!(shuffled, original);
}
