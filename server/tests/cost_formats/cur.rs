//! CUR 2.0, generated here with AWS's column names: as Parquet (snappy, timestamps as Parquet
//! timestamps, `resource_tags` a real MAP column) and as CSV.gz (`resource_tags` as JSON
//! text). Each line item type's effective (amortised) cost is worked out by hand below, and
//! allocation checked: tags (`user_team` read as `user:team`), the account map, unallocated.

use super::support::{aggregate, csv_gz, ms, parquet, read_lines};
use arrow_array::builder::{MapBuilder, StringBuilder};
use arrow_array::TimestampMillisecondArray;
use arrow_array::{ArrayRef, Float64Array, StringArray, TimestampMicrosecondArray};
use nagare_server::config::CostConfig;
use nagare_server::cost::DailyCost;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One CUR row: (type, account, start, end, unblended, net unblended, public on demand,
/// savings plan effective, SP total commitment, SP used commitment, RI effective, RI unused
/// amortised upfront, RI unused recurring, RI ARN, tags).
struct Cur {
    kind: &'static str,
    account: &'static str,
    start: &'static str,
    end: &'static str,
    unblended: f64,
    net: Option<f64>,
    public: Option<f64>,
    sp: [Option<f64>; 3],
    ri: [Option<f64>; 3],
    ri_arn: Option<&'static str>,
    tags: &'static [(&'static str, &'static str)],
}

const PAYMENTS: &[(&str, &str)] = &[("user_team", "payments"), ("user_service", "checkout")];
const BUILD: &[(&str, &str)] = &[
    ("user_team", "build"),
    ("user_service", "ci-runners"),
    ("aws_createdBy", "IAMUser:AIDA:jo"),
];
const ARN: &str = "arn:aws:ec2:us-east-1:222222222222:reserved-instances/ri-1";

fn row(kind: &'static str, account: &'static str, unblended: f64) -> Cur {
    Cur {
        kind,
        account,
        start: "2024-09-02T10:00:00Z",
        end: "2024-09-02T11:00:00Z",
        unblended,
        net: Some(unblended),
        public: None,
        sp: [None; 3],
        ri: [None; 3],
        ri_arn: None,
        tags: &[],
    }
}

/// What a row must read as: (billed, effective, list, charge category).
type Want = (f64, f64, f64, &'static str);

/// The rows, with what each must read as.
fn rows() -> Vec<(Cur, Want)> {
    let p = "111111111111"; // tagged per row
    let ci = "222222222222"; // a CI account, mapped to the team platform
    let bare = "333333333333"; // untagged, unmapped: unallocated
    vec![
        // Net unblended (after discounts) is the billed cost; list from public on demand.
        (
            Cur {
                net: Some(1.40),
                public: Some(2.0),
                tags: PAYMENTS,
                ..row("Usage", p, 1.50)
            },
            (1.40, 1.40, 2.0, "Usage"),
        ),
        // A null net unblended: the unblended cost.
        (
            Cur {
                net: None,
                tags: PAYMENTS,
                ..row("Usage", p, 0.75)
            },
            (0.75, 0.75, 0.75, "Usage"),
        ),
        (
            Cur {
                sp: [Some(1.80), None, None],
                tags: PAYMENTS,
                ..row("SavingsPlanCoveredUsage", p, 3.0)
            },
            (3.0, 1.80, 3.0, "Usage"),
        ),
        (
            Cur {
                tags: PAYMENTS,
                ..row("SavingsPlanNegation", p, -3.0)
            },
            (-3.0, 0.0, -3.0, "Credit"),
        ),
        // The unused commitment: 10.00 − 7.50.
        (
            Cur {
                sp: [None, Some(10.0), Some(7.5)],
                ..row("SavingsPlanRecurringFee", p, 10.0)
            },
            (10.0, 2.5, 10.0, "Purchase"),
        ),
        (
            row("SavingsPlanUpfrontFee", p, 100.0),
            (100.0, 0.0, 100.0, "Purchase"),
        ),
        (
            Cur {
                ri: [Some(0.60), None, None],
                ..row("DiscountedUsage", ci, 0.25)
            },
            (0.25, 0.60, 0.25, "Usage"),
        ),
        // Unused upfront 4.00 + unused recurring 1.50.
        (
            Cur {
                ri: [None, Some(4.0), Some(1.5)],
                ..row("RIFee", ci, 50.0)
            },
            (50.0, 5.5, 50.0, "Purchase"),
        ),
        // A reservation's upfront fee (it names the reservation): in DiscountedUsage instead.
        (
            Cur {
                ri_arn: Some(ARN),
                ..row("Fee", ci, 1200.0)
            },
            (1200.0, 0.0, 1200.0, "Purchase"),
        ),
        // Another fee (support): as billed.
        (row("Fee", p, 29.0), (29.0, 29.0, 29.0, "Purchase")),
        (row("Tax", bare, 4.25), (4.25, 4.25, 4.25, "Tax")),
        (row("Credit", bare, -5.0), (-5.0, -5.0, -5.0, "Credit")),
        (
            Cur {
                tags: BUILD,
                ..row("Usage", p, 2.0)
            },
            (2.0, 2.0, 2.0, "Usage"),
        ),
        // A daily row from noon to noon: half on each day.
        (
            Cur {
                start: "2024-09-03T12:00:00Z",
                end: "2024-09-04T12:00:00Z",
                tags: PAYMENTS,
                ..row("Usage", p, 8.0)
            },
            (8.0, 8.0, 8.0, "Usage"),
        ),
        (
            row("BundledDiscount", bare, -0.5),
            (-0.5, -0.5, -0.5, "Credit"),
        ),
    ]
}

fn name_of(account: &str) -> &'static str {
    match account {
        "111111111111" => "prod",
        "222222222222" => "ci",
        _ => "",
    }
}

const NAMES: [&str; 21] = [
    "bill_billing_period_start_date",
    "line_item_usage_start_date",
    "line_item_usage_end_date",
    "line_item_line_item_type",
    "line_item_usage_account_id",
    "line_item_usage_account_name",
    "line_item_unblended_cost",
    "line_item_net_unblended_cost",
    "pricing_public_on_demand_cost",
    "savings_plan_savings_plan_effective_cost",
    "savings_plan_total_commitment_to_date",
    "savings_plan_used_commitment",
    "reservation_effective_cost",
    "reservation_unused_amortized_upfront_fee_for_billing_period",
    "reservation_unused_recurring_fee",
    "reservation_reservation_a_r_n",
    "line_item_currency_code",
    "product_servicecode",
    "product_region_code",
    "line_item_resource_id",
    "resource_tags",
];

fn cur_parquet(rows: &[Cur]) -> Vec<u8> {
    let text = |f: &dyn Fn(&Cur) -> Option<&str>| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let num = |f: &dyn Fn(&Cur) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let ts = |f: &dyn Fn(&Cur) -> &str| -> ArrayRef {
        let v: Vec<i64> = rows.iter().map(|r| ms(f(r))).collect();
        Arc::new(TimestampMillisecondArray::from(v).with_timezone("UTC"))
    };
    let mut tags = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
    for r in rows {
        for (k, v) in r.tags {
            tags.keys().append_value(k);
            tags.values().append_value(v);
        }
        tags.append(true).unwrap();
    }
    // The billing period as a microsecond timestamp without a zone, the usage as milliseconds
    // in UTC: both are instants to the reader.
    let period: Vec<i64> = rows
        .iter()
        .map(|_| ms("2024-09-01T00:00:00Z") * 1000)
        .collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(TimestampMicrosecondArray::from(period)),
        ts(&|r| r.start),
        ts(&|r| r.end),
        text(&|r| Some(r.kind)),
        text(&|r| Some(r.account)),
        text(&|r| Some(name_of(r.account)).filter(|n| !n.is_empty())),
        num(&|r| Some(r.unblended)),
        num(&|r| r.net),
        num(&|r| r.public),
        num(&|r| r.sp[0]),
        num(&|r| r.sp[1]),
        num(&|r| r.sp[2]),
        num(&|r| r.ri[0]),
        num(&|r| r.ri[1]),
        num(&|r| r.ri[2]),
        text(&|r| r.ri_arn),
        text(&|_| Some("USD")),
        text(&|r| {
            Some(if r.kind.contains("SavingsPlan") {
                "ComputeSavingsPlans"
            } else {
                "AmazonEC2"
            })
        }),
        text(&|_| Some("us-east-1")),
        text(&|_| None),
        Arc::new(tags.finish()),
    ];
    parquet(NAMES.iter().copied().zip(columns).collect())
}

fn cur_csv_gz(rows: &[Cur], order: &[usize]) -> Vec<u8> {
    let n = |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_default();
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let tags: BTreeMap<&str, &str> = r.tags.iter().copied().collect();
            let service = if r.kind.contains("SavingsPlan") {
                "ComputeSavingsPlans"
            } else {
                "AmazonEC2"
            };
            let all = [
                "2024-09-01T00:00:00Z".to_owned(),
                r.start.to_owned(),
                r.end.to_owned(),
                r.kind.to_owned(),
                r.account.to_owned(),
                name_of(r.account).to_owned(),
                n(Some(r.unblended)),
                n(r.net),
                n(r.public),
                n(r.sp[0]),
                n(r.sp[1]),
                n(r.sp[2]),
                n(r.ri[0]),
                n(r.ri[1]),
                n(r.ri[2]),
                r.ri_arn.unwrap_or_default().to_owned(),
                "USD".to_owned(),
                service.to_owned(),
                "us-east-1".to_owned(),
                String::new(),
                serde_json::to_string(&tags).unwrap(),
            ];
            order.iter().map(|&i| all[i].clone()).collect()
        })
        .collect();
    let header: Vec<&str> = order.iter().map(|&i| NAMES[i]).collect();
    csv_gz(&header, &table)
}

fn cfg() -> CostConfig {
    CostConfig {
        team_tags: vec!["user:team".into()],
        service_tags: vec!["user:service".into()],
        account_teams: [("222222222222".to_owned(), "platform".to_owned())].into(),
        ci_accounts: vec!["222222222222".into()],
        ci_services: vec!["ci-runners".into()],
        ..CostConfig::default()
    }
}

/// Sums of effective cost per (team, service, ci).
fn by_owner(daily: &[DailyCost]) -> BTreeMap<(Option<String>, Option<String>, bool), f64> {
    let mut m = BTreeMap::new();
    for d in daily {
        *m.entry((d.team.clone(), d.service.clone(), d.ci))
            .or_default() += d.effective;
    }
    m
}

#[test]
fn cur_parquet_effective_costs_by_line_item_type() {
    let (rows, want): (Vec<Cur>, Vec<_>) = rows().into_iter().unzip();
    let (read, lines) = read_lines(
        "data/BILLING_PERIOD=2024-09/export-00001.snappy.parquet",
        cur_parquet(&rows),
        0,
    )
    .unwrap();
    assert_eq!(read.format, "cur-2.0");
    assert_eq!(read.rows, rows.len() as u64);
    for ((l, w), r) in lines.iter().zip(&want).zip(&rows) {
        let got = (l.billed, l.effective, l.list, l.charge_category.as_str());
        assert_eq!(got, *w, "{}", r.kind);
        assert_eq!(
            (l.provider.as_str(), l.billing_period.as_str()),
            ("AWS", "2024-09")
        );
    }
    assert_eq!(
        lines[0].tags.get("user:team").map(String::as_str),
        Some("payments")
    );
    let build = &lines[12].tags;
    assert_eq!(
        build.get("aws:createdBy").map(String::as_str),
        Some("IAMUser:AIDA:jo")
    );
    assert!(!build.contains_key("user_team"));
    assert_eq!(lines[2].service_name, "ComputeSavingsPlans");
    assert_eq!(
        (
            lines[6].account_name.as_str(),
            lines[10].account_name.as_str()
        ),
        ("ci", "")
    );

    let daily = aggregate(&lines, &cfg());
    let owners = by_owner(&daily);
    let key =
        |t: Option<&str>, s: Option<&str>, ci| (t.map(str::to_owned), s.map(str::to_owned), ci);
    // payments/checkout: 1.40 + 0.75 + 1.80 + 0 + 8.00.
    // platform (CI account, by the account map): 0.60 + 5.50 + 0.
    // build/ci-runners (CI by its service): 2.00.
    // 111… untagged: 2.50 + 0 + 29.00; 333…: 4.25 − 5.00 − 0.50.
    let want: BTreeMap<_, f64> = [
        (key(None, None, false), 2.5 + 0.0 + 29.0 + 4.25 - 5.0 - 0.5),
        (key(Some("build"), Some("ci-runners"), true), 2.0),
        (
            key(Some("payments"), Some("checkout"), false),
            1.40 + 0.75 + 1.80 + 0.0 + 8.0,
        ),
        (key(Some("platform"), None, true), 0.60 + 5.5 + 0.0),
    ]
    .into();
    assert_eq!(
        owners.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (k, v) in &want {
        assert!((owners[k] - v).abs() < 1e-12, "{k:?}: {} ≠ {v}", owners[k]);
    }
    // The noon-to-noon row: 4.00 on the 3rd, 4.00 on the 4th, counted once, on the 3rd.
    let day = |d: &str| nagare_core::cost::parse_day(d).unwrap();
    let on = |d: &str| -> Vec<(f64, u64)> {
        daily
            .iter()
            .filter(|r| r.day == day(d))
            .map(|r| (r.billed, r.rows))
            .collect()
    };
    assert_eq!(on("2024-09-03"), [(4.0, 1)]);
    assert_eq!(on("2024-09-04"), [(4.0, 0)]);
    assert_eq!(daily.iter().map(|d| d.rows).sum::<u64>(), rows.len() as u64);
    let ci_account = daily
        .iter()
        .find(|d| d.account_id == "222222222222")
        .unwrap();
    assert_eq!(ci_account.account_name, "ci");
}

#[test]
fn cur_csv_gz_aggregates_as_the_parquet_does() {
    let (rows, _): (Vec<Cur>, Vec<_>) = rows().into_iter().unzip();
    let name = "data/BILLING_PERIOD=2024-09/export-00001.csv.gz";
    let (_, pq) = read_lines("x.parquet", cur_parquet(&rows), 0).unwrap();
    let in_order: Vec<usize> = (0..NAMES.len()).collect();
    let (read, csv) = read_lines(name, cur_csv_gz(&rows, &in_order), 0).unwrap();
    assert_eq!(
        (read.format.as_str(), read.rows),
        ("cur-2.0", rows.len() as u64)
    );
    assert_eq!(csv, pq, "the same rows read from CSV.gz and Parquet");
    assert_eq!(aggregate(&csv, &cfg()), aggregate(&pq, &cfg()));
    // Columns in another order (reversed): read by name, the same.
    let reversed: Vec<usize> = (0..NAMES.len()).rev().collect();
    let (_, rev) = read_lines(name, cur_csv_gz(&rows, &reversed), 0).unwrap();
    assert_eq!(rev, pq);
}
