//! The FinOps Foundation's real FOCUS 1.0 sample (tests/fixtures/cost/focus_sample.csv,
//! CC BY 4.0, see the NOTICE there): totals by provider, by service and by day from
//! `read_file` + `Aggregator`, against the same totals computed here with code of the test's
//! own (the `csv` crate's `StringRecord`, chrono for times, f64 sums).
//!
//! What the sample holds (checked below, so that the comparison means what it says): 1,000
//! rows, none bad; 949 hourly and 51 daily charge periods, none crossing a UTC midnight (so
//! "the day of ChargePeriodStart" is each row's only day); every cost present (no NULL
//! costs; 13 negative BilledCost rows); BillingPeriodStart 2024-09-01 on 999 rows and
//! 2024-10-01 on one Oracle row whose charge period is 2024-09-30; ChargeClass always NULL;
//! Tags NULL on 289 rows, else a JSON object of string values.

use super::support::{aggregate, close, read_lines};
use nagare_server::config::CostConfig;
use std::collections::BTreeMap;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/cost/focus_sample.csv"
);

/// The sample as the test reads it itself: per row, the named cells.
struct Row {
    provider: String,
    service: String,
    day: String,
    billed: f64,
    effective: f64,
    business_unit: Option<String>,
    period: String,
    crosses_midnight: bool,
}

fn own_reading() -> Vec<Row> {
    let mut r = csv::Reader::from_path(SAMPLE).unwrap();
    let header = r.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (p, s, cs, ce, b, e, t, bp) = (
        col("ProviderName"),
        col("ServiceName"),
        col("ChargePeriodStart"),
        col("ChargePeriodEnd"),
        col("BilledCost"),
        col("EffectiveCost"),
        col("Tags"),
        col("BillingPeriodStart"),
    );
    let time = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let (start, end) = (time(&rec[cs]), time(&rec[ce]));
            let tags: Option<serde_json::Value> =
                (&rec[t] != "NULL").then(|| serde_json::from_str(&rec[t]).unwrap());
            let business_unit = tags
                .as_ref()
                .and_then(|v| v.get("business_unit"))
                .map(|v| v.as_str().unwrap().to_owned());
            Row {
                provider: rec[p].to_owned(),
                service: rec[s].to_owned(),
                day: start.date().to_string(),
                billed: rec[b].parse().unwrap(),
                effective: rec[e].parse().unwrap(),
                business_unit,
                period: rec[bp][..7].to_owned(),
                crosses_midnight: (end - chrono::Duration::milliseconds(1)).date() != start.date(),
            }
        })
        .collect()
}

/// Sums of (billed, effective) per key.
type Totals = BTreeMap<String, (f64, f64)>;

fn add(t: &mut Totals, key: &str, billed: f64, effective: f64) {
    let e = t.entry(key.to_owned()).or_default();
    e.0 += billed;
    e.1 += effective;
}

fn assert_same(what: &str, nagare: &Totals, own: &Totals) {
    assert_eq!(
        nagare.keys().collect::<Vec<_>>(),
        own.keys().collect::<Vec<_>>(),
        "{what}: the keys differ"
    );
    for (k, (b, e)) in own {
        let (nb, ne) = nagare[k];
        assert!(close(nb, *b), "{what} {k}: billed {nb} ≠ {b}");
        assert!(close(ne, *e), "{what} {k}: effective {ne} ≠ {e}");
    }
}

#[test]
fn the_real_focus_sample_totals_by_provider_service_and_day() {
    let own = own_reading();
    assert_eq!(own.len(), 1000);
    assert_eq!(own.iter().filter(|r| r.crosses_midnight).count(), 0);
    assert_eq!(own.iter().filter(|r| r.billed < 0.0).count(), 13);

    let data = std::fs::read(SAMPLE).unwrap();
    let (read, lines) = read_lines("focus_sample.csv", data, 0).unwrap();
    assert_eq!(read.format, "focus-1.0");
    assert_eq!(read.rows, 1000);
    assert!(read.skipped.is_empty(), "{:?}", read.skipped);

    let cfg = CostConfig {
        team_tags: vec!["business_unit".into()],
        service_tags: vec!["application".into()],
        ..CostConfig::default()
    };
    let daily = aggregate(&lines, &cfg);
    assert_eq!(daily.iter().map(|d| d.rows).sum::<u64>(), 1000);

    let (mut by_provider, mut by_service, mut by_day, mut by_team, mut by_period) =
        <(Totals, Totals, Totals, Totals, Totals)>::default();
    for r in &own {
        add(&mut by_provider, &r.provider, r.billed, r.effective);
        add(&mut by_service, &r.service, r.billed, r.effective);
        add(&mut by_day, &r.day, r.billed, r.effective);
        let team = r.business_unit.as_deref().unwrap_or("(unallocated)");
        add(&mut by_team, team, r.billed, r.effective);
        add(&mut by_period, &r.period, r.billed, r.effective);
    }
    let (mut n_provider, mut n_service, mut n_day, mut n_team, mut n_period) =
        <(Totals, Totals, Totals, Totals, Totals)>::default();
    for d in &daily {
        add(&mut n_provider, &d.provider, d.billed, d.effective);
        add(&mut n_service, &d.service_name, d.billed, d.effective);
        let day = nagare_core::cost::day_text(d.day);
        add(&mut n_day, &day, d.billed, d.effective);
        let team = d.team.as_deref().unwrap_or("(unallocated)");
        add(&mut n_team, team, d.billed, d.effective);
        add(&mut n_period, &d.billing_period, d.billed, d.effective);
    }
    assert_eq!(by_provider.len(), 3);
    assert_eq!(by_service.len(), 33);
    assert_eq!(by_day.len(), 30);
    assert_same("provider", &n_provider, &by_provider);
    assert_same("service", &n_service, &by_service);
    assert_same("day", &n_day, &by_day);
    assert_same("team (business_unit tag)", &n_team, &by_team);
    assert_same("billing period", &n_period, &by_period);
    assert_eq!(
        n_period.keys().collect::<Vec<_>>(),
        ["2024-09", "2024-10"],
        "the one Oracle row billed in October keeps its billing period"
    );
}

#[test]
fn the_sample_rows_carry_their_tags_categories_and_accounts() {
    let data = std::fs::read(SAMPLE).unwrap();
    let (_, lines) = read_lines("focus_sample.csv", data, 0).unwrap();
    // Row 2 of the file, read by hand.
    let l = &lines[1];
    assert_eq!(
        (
            l.provider.as_str(),
            l.account_id.as_str(),
            l.account_name.as_str()
        ),
        ("AWS", "43883916739", "Zenith Eclipse")
    );
    assert_eq!(
        (l.service_name.as_str(), l.service_category.as_str()),
        ("Elastic Load Balancing", "Networking")
    );
    assert_eq!(
        (l.billed, l.effective, l.list),
        (0.0000160599, 0.0, 0.0000160599)
    );
    assert_eq!(
        l.tags.get("application").map(String::as_str),
        Some("BrightLensMatrix")
    );
    assert_eq!(l.tags.len(), 3);
    assert_eq!(l.region, "us-west-2");
    assert_eq!(l.currency, "USD");
    // 2024-09-30 22:00 to 23:00 UTC.
    assert_eq!(l.start_ms, super::support::ms("2024-09-30T22:00:00Z"));
    assert_eq!(l.end_ms - l.start_ms, 3_600_000);
    let count =
        |f: &dyn Fn(&nagare_server::cost::CostLine) -> bool| lines.iter().filter(|l| f(l)).count();
    assert_eq!(count(&|l| l.tags.is_empty()), 289);
    assert_eq!(count(&|l| l.charge_category == "Usage"), 997);
    assert_eq!(count(&|l| l.charge_category == "Adjustment"), 2);
    assert_eq!(count(&|l| l.charge_category == "Credit"), 1);
    assert_eq!(count(&|l| l.correction), 0);
    // NULL ResourceId (75 rows) and RegionId (7) read as empty.
    assert_eq!(count(&|l| l.resource_id.is_empty()), 75);
    assert_eq!(count(&|l| l.region.is_empty()), 7);
}
