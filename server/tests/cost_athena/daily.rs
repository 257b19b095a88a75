//! `to_daily`: Athena's rows allocated and turned into stored rows, checked against values
//! worked out by hand.

use nagare_server::config::CostConfig;
use nagare_server::cost::athena::{tag_keys, to_daily, AthenaRow};
use nagare_server::cost::DailyCost;
use std::collections::BTreeMap;

/// 2024-05-01: 54 years of 365 days and 13 leap days to 2024-01-01 (19 723), then
/// 31 + 29 + 31 + 30 days.
const MAY_1: i32 = 19_844;

fn row(
    day: i32,
    account: &str,
    name: &str,
    tags: &[(&str, &str)],
    amounts: [f64; 3],
    rows: u64,
) -> AthenaRow {
    AthenaRow {
        day,
        billing_period: "2024-05".into(),
        provider: "AWS".into(),
        account_id: account.into(),
        account_name: name.into(),
        service_name: "Amazon Elastic Compute Cloud".into(),
        service_category: "Compute".into(),
        charge_category: "Usage".into(),
        currency: "USD".into(),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
        billed: amounts[0],
        effective: amounts[1],
        list: amounts[2],
        rows,
    }
}

#[allow(clippy::too_many_arguments)]
fn daily(
    day: i32,
    account: &str,
    name: &str,
    team: Option<&str>,
    service: Option<&str>,
    ci: bool,
    amounts: [f64; 3],
    rows: u64,
) -> DailyCost {
    DailyCost {
        day,
        billing_period: "2024-05".into(),
        provider: "AWS".into(),
        account_id: account.into(),
        account_name: name.into(),
        service_name: "Amazon Elastic Compute Cloud".into(),
        service_category: "Compute".into(),
        charge_category: "Usage".into(),
        team: team.map(str::to_owned),
        service: service.map(str::to_owned),
        ci,
        currency: "USD".into(),
        billed: amounts[0],
        effective: amounts[1],
        list: amounts[2],
        rows,
    }
}

#[test]
fn allocation_by_tag_then_account_ci_and_merging() {
    let cfg = CostConfig {
        team_tags: vec!["user:team".into(), "team".into()],
        service_tags: vec!["user:service".into()],
        account_teams: [("444455556666".to_owned(), "platform".to_owned())].into(),
        ci_accounts: vec!["777788889999".into()],
        ci_services: vec!["ci-runners".into()],
        ..CostConfig::default()
    };
    let rows = vec![
        // Team by the first tag key; the second row has it by the second key, so both are
        // payments/ledger on the same day and account: one stored row, amounts summed
        // (10 + 2.5, 8 + 2, 12 + 3, 5 + 1), the non-blank account name kept.
        row(
            MAY_1,
            "111122223333",
            "Payments",
            &[("user:team", "payments"), ("user:service", "ledger")],
            [10.0, 8.0, 12.0],
            5,
        ),
        row(
            MAY_1,
            "111122223333",
            "",
            &[("team", "payments"), ("user:service", "ledger")],
            [2.5, 2.0, 3.0],
            1,
        ),
        // The next day is another row.
        row(
            MAY_1 + 1,
            "111122223333",
            "Payments",
            &[("user:team", "payments"), ("user:service", "ledger")],
            [1.0, 1.0, 1.0],
            1,
        ),
        // No team tag: the account's team; no service.
        row(MAY_1, "444455556666", "Platform", &[], [4.0, 3.0, 5.0], 2),
        // A tag for the account's team wins over the account map.
        row(
            MAY_1,
            "444455556666",
            "Platform",
            &[("user:team", "search")],
            [0.5, 0.5, 0.5],
            1,
        ),
        // A CI service by tag; a CI account without tags.
        row(
            MAY_1,
            "999900001111",
            "Shared",
            &[("user:service", "ci-runners")],
            [7.0, 6.0, 7.0],
            3,
        ),
        row(MAY_1, "777788889999", "CI", &[], [9.0, 9.0, 9.0], 4),
        // Nothing says: unallocated, never guessed.
        row(
            MAY_1,
            "999900001111",
            "Shared",
            &[("owner", "someone")],
            [1.5, 1.5, 1.5],
            1,
        ),
    ];
    let want = vec![
        daily(
            MAY_1,
            "111122223333",
            "Payments",
            Some("payments"),
            Some("ledger"),
            false,
            [12.5, 10.0, 15.0],
            6,
        ),
        daily(
            MAY_1,
            "444455556666",
            "Platform",
            Some("platform"),
            None,
            false,
            [4.0, 3.0, 5.0],
            2,
        ),
        daily(
            MAY_1,
            "444455556666",
            "Platform",
            Some("search"),
            None,
            false,
            [0.5, 0.5, 0.5],
            1,
        ),
        daily(
            MAY_1,
            "777788889999",
            "CI",
            None,
            None,
            true,
            [9.0, 9.0, 9.0],
            4,
        ),
        daily(
            MAY_1,
            "999900001111",
            "Shared",
            None,
            None,
            false,
            [1.5, 1.5, 1.5],
            1,
        ),
        daily(
            MAY_1,
            "999900001111",
            "Shared",
            None,
            Some("ci-runners"),
            true,
            [7.0, 6.0, 7.0],
            3,
        ),
        daily(
            MAY_1 + 1,
            "111122223333",
            "Payments",
            Some("payments"),
            Some("ledger"),
            false,
            [1.0, 1.0, 1.0],
            1,
        ),
    ];
    assert_eq!(to_daily(rows, &cfg), want);
}

#[test]
fn tag_keys_are_the_team_then_the_service_keys_once() {
    let cfg = CostConfig {
        team_tags: vec!["user:team".into(), "team".into()],
        service_tags: vec!["user:service".into(), "team".into()],
        ..CostConfig::default()
    };
    assert_eq!(tag_keys(&cfg), ["user:team", "team", "user:service"]);
}
