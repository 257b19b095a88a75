//! The demo's cloud cost (`make run`): six months of FOCUS-shaped daily rows for the demo's
//! services, in one AWS account per team, tagged `user:team` and `user:service`, with:
//!
//! - a CI account (`acme-ci`, tagged `user:service = ci-runners`), for the cost per CI minute;
//! - an untagged sandbox account that no account map names: unallocated, and shown as such;
//! - untagged CloudWatch rows in each team account, allocated to the team by the account map;
//! - one anomaly: search-api's OpenSearch domain costs five times its usual nine days ago.
//!
//! Amounts follow a slow growth and a small, smooth wobble of their own (a few percent), so that
//! the anomaly stands out and nothing else does: a weekly rhythm (cheaper weekends) would be
//! judged against weekday baselines and flag every weekend (docs/metrics.md, "Anomalies").

use super::sim::Rng;
use crate::time::DAY_MS;

/// How many days of cost (ending yesterday: exports lag).
pub const DAYS: i32 = 183;
/// The account billed for CI runners.
pub const CI_ACCOUNT: &str = "555500005555";
/// The account nobody tagged or mapped.
pub const SANDBOX_ACCOUNT: &str = "666600006666";
/// Days before today of the anomaly.
pub const ANOMALY_DAYS_AGO: i32 = 9;

/// One day's cost of one provider service in one account, as an export would sum it.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoCost {
    /// Days since 1970-01-01, UTC.
    pub day: i32,
    pub account_id: &'static str,
    pub account_name: &'static str,
    pub service_name: &'static str,
    pub service_category: &'static str,
    pub tags: Vec<(&'static str, String)>,
    pub billed: f64,
    pub effective: f64,
    pub list: f64,
}

/// Team accounts: (id, name, team).
pub const ACCOUNTS: [(&str, &str, &str); 4] = [
    ("111100001111", "acme-checkout-prod", "checkout"),
    ("222200002222", "acme-payments-prod", "payments"),
    ("333300003333", "acme-search-prod", "search"),
    ("444400004444", "acme-billing-legacy", "legacy-billing"),
];

/// Per service: team, daily cost at the start (USD), and its provider services with their
/// shares.
type Mix = &'static [(&'static str, &'static str, f64)];
const WEB: Mix = &[
    ("Amazon Elastic Compute Cloud", "Compute", 0.55),
    ("Amazon CloudFront", "Networking", 0.3),
    ("Amazon Simple Storage Service", "Storage", 0.15),
];
const API: Mix = &[
    ("Amazon Elastic Compute Cloud", "Compute", 0.5),
    ("Amazon Relational Database Service", "Databases", 0.35),
    ("Amazon ElastiCache", "Databases", 0.15),
];
const SEARCH: Mix = &[
    ("Amazon OpenSearch Service", "Analytics", 0.6),
    ("Amazon Elastic Compute Cloud", "Compute", 0.4),
];
const BATCH: Mix = &[
    ("AWS Lambda", "Compute", 0.4),
    ("Amazon Simple Queue Service", "Integration", 0.2),
    ("Amazon Simple Storage Service", "Storage", 0.4),
];

const SERVICES: [(&str, &str, f64, Mix); 13] = [
    ("checkout-web", "checkout", 180.0, WEB),
    ("checkout-api", "checkout", 320.0, API),
    ("cart-api", "checkout", 140.0, API),
    ("promotions", "checkout", 60.0, BATCH),
    ("payments-api", "payments", 260.0, API),
    ("ledger", "payments", 210.0, API),
    ("fraud-scoring", "payments", 150.0, BATCH),
    ("search-api", "search", 240.0, SEARCH),
    ("indexer", "search", 120.0, BATCH),
    ("query-suggest", "search", 45.0, SEARCH),
    ("billing-core", "legacy-billing", 300.0, API),
    ("invoice-renderer", "legacy-billing", 70.0, BATCH),
    ("dunning", "legacy-billing", 35.0, BATCH),
];

fn account_of(team: &str) -> (&'static str, &'static str) {
    ACCOUNTS
        .iter()
        .find(|a| a.2 == team)
        .map_or(("000000000000", "unknown"), |a| (a.0, a.1))
}

/// Amounts of a day's cost: compute and databases run under a Savings Plan (effective 78 % of
/// billed; list 125 %), the rest at on-demand prices.
fn amounts(category: &str, billed: f64) -> (f64, f64, f64) {
    if matches!(category, "Compute" | "Databases") {
        (billed, billed * 0.78, billed * 1.25)
    } else {
        (billed, billed, billed)
    }
}

/// The demo's daily cost up to yesterday (UTC) of `now_ms`.
pub fn demo_costs(seed: u64, now_ms: i64) -> Vec<DemoCost> {
    let mut rng = Rng::new(seed ^ 0xC057);
    // Each series' wobble: its own phase, from the seed.
    let mut phases = std::iter::repeat_with(move || rng.f64() * std::f64::consts::TAU);
    let mut phase = || phases.next().unwrap_or(0.0);
    let today = now_ms.div_euclid(DAY_MS) as i32;
    let first = today - DAYS;
    let wobble =
        |day: i32, phase: f64, size: f64| 1.0 + size * (f64::from(day) * 0.61 + phase).sin();
    let service_phases: Vec<f64> = SERVICES.iter().map(|_| phase()).collect();
    let account_phases: Vec<f64> = ACCOUNTS.iter().map(|_| phase()).collect();
    let (ci_phase, sandbox_phase) = (phase(), phase());
    let mut out = Vec::new();
    for day in first..today {
        let growth = 1.0 + 0.0002 * f64::from(day - first);
        for (i, (service, team, base, mix)) in SERVICES.into_iter().enumerate() {
            let (account_id, account_name) = account_of(team);
            let jitter = wobble(day, service_phases[i], 0.03);
            for (name, category, share) in mix {
                let mut billed = base * share * growth * jitter;
                if service == "search-api"
                    && *name == "Amazon OpenSearch Service"
                    && day == today - ANOMALY_DAYS_AGO
                {
                    billed *= 5.0;
                }
                let (billed, effective, list) = amounts(category, billed);
                out.push(DemoCost {
                    day,
                    account_id,
                    account_name,
                    service_name: name,
                    service_category: category,
                    tags: vec![
                        ("user:team", team.to_owned()),
                        ("user:service", service.to_owned()),
                    ],
                    billed,
                    effective,
                    list,
                });
            }
        }
        // Each team account's untagged monitoring: the account map allocates it.
        for (i, (account_id, account_name, _)) in ACCOUNTS.into_iter().enumerate() {
            let billed = 18.0 * growth * wobble(day, account_phases[i], 0.02);
            out.push(DemoCost {
                day,
                account_id,
                account_name,
                service_name: "Amazon CloudWatch",
                service_category: "Management and Governance",
                tags: Vec::new(),
                billed,
                effective: billed,
                list: billed,
            });
        }
        // CI runners, autoscaled on a steady queue.
        let ci = 110.0 * growth * wobble(day, ci_phase, 0.04);
        let (billed, effective, list) = amounts("Compute", ci);
        out.push(DemoCost {
            day,
            account_id: CI_ACCOUNT,
            account_name: "acme-ci",
            service_name: "Amazon Elastic Compute Cloud",
            service_category: "Compute",
            tags: vec![
                ("user:team", "platform".into()),
                ("user:service", "ci-runners".into()),
            ],
            billed,
            effective,
            list,
        });
        // The sandbox: nobody tagged it, no map names it.
        for (name, category, base) in [
            ("Amazon Elastic Compute Cloud", "Compute", 55.0),
            ("Amazon Simple Storage Service", "Storage", 12.0),
        ] {
            let billed = base * wobble(day, sandbox_phase, 0.03);
            let (billed, effective, list) = amounts(category, billed);
            out.push(DemoCost {
                day,
                account_id: SANDBOX_ACCOUNT,
                account_name: "acme-sandbox",
                service_name: name,
                service_category: category,
                tags: Vec::new(),
                billed,
                effective,
                list,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_months_with_one_anomaly_and_an_untagged_account() {
        let now = 20_000 * DAY_MS + 5;
        let rows = demo_costs(7, now);
        let days: std::collections::BTreeSet<i32> = rows.iter().map(|r| r.day).collect();
        assert_eq!(days.len(), DAYS as usize);
        assert_eq!(days.last(), Some(&19_999));
        // The anomaly: five times the days around it.
        let opensearch = |d: i32| {
            rows.iter()
                .find(|r| {
                    r.day == d
                        && r.service_name == "Amazon OpenSearch Service"
                        && r.tags.iter().any(|t| t.1 == "search-api")
                })
                .map_or(0.0, |r| r.billed)
        };
        let spike = opensearch(20_000 - ANOMALY_DAYS_AGO);
        let before = opensearch(20_000 - ANOMALY_DAYS_AGO - 1);
        assert!(
            spike > 4.5 * before && spike < 5.6 * before,
            "{spike} vs {before}"
        );
        // The sandbox has no tags at all.
        assert!(rows
            .iter()
            .filter(|r| r.account_id == SANDBOX_ACCOUNT)
            .all(|r| r.tags.is_empty()));
        // Seeded: the same rows again.
        assert_eq!(rows, demo_costs(7, now));
    }
}
