//! The aggregate SQL Nagare runs in Athena: one billing period's cost per UTC day, account,
//! provider service, charge category, currency and configured tag value.
//!
//! The tables are those AWS's own tooling creates over a Data Export (the Glue crawler or
//! CloudFormation template of the Cloud Intelligence Dashboards' `data-exports-aggregation`
//! stack, or a crawler of one's own over the export's `data/` folder):
//!
//! - **FOCUS** (`cost.athena.format = "focus"`, a "FOCUS 1.0/1.2 with AWS columns" export): Glue
//!   keeps column names in lower case, so FOCUS's `BilledCost` is `billedcost`,
//!   `ChargePeriodStart` is `chargeperiodstart` (a `timestamp`), `SubAccountId` is
//!   `subaccountid`, and `Tags` is `tags`, a `map<string,string>` keyed as the export writes tags
//!   (`user:team`).
//! - **CUR 2.0** (`"cur2"`): the snake-case names of the CUR 2.0 table dictionary
//!   (`line_item_usage_start_date`, `line_item_unblended_cost`, …), with `resource_tags` a
//!   `map<string,string>` whose keys have `:` written as `_` (`user:team` is `user_team`).
//!
//! Both are partitioned by `billing_period` (`YYYY-MM`), the `BILLING_PERIOD=YYYY-MM` folders of
//! the export's layout: the query filters on it, so Athena reads that period's files only.
//!
//! A row's day is the UTC date of its charge period's start (the tables' timestamps are UTC
//! without a zone). So Athena mode counts a charge on the day it starts, whereas reading the
//! files spreads a charge whose period spans days over those days.
//!
//! Identifiers are double-quoted (a `"` doubled); the billing period and tag keys go in as
//! string literals (a `'` doubled; Athena's SQL has no backslash escapes). The billing period is
//! checked as `YYYY-MM` before any query runs.

use std::fmt::Write as _;

/// The kind of table the export is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A FOCUS 1.x table (AWS's Data Exports "FOCUS with AWS columns").
    Focus,
    /// A CUR 2.0 table (AWS's Data Exports "standard data export").
    Cur2,
}

impl Format {
    /// `focus` or `cur2`, as `cost.athena.format` says it.
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim() {
            "focus" => Some(Format::Focus),
            "cur2" => Some(Format::Cur2),
            _ => None,
        }
    }
}

/// The columns of the result, in order; tag columns (`tag_0`, `tag_1`, …) come between
/// `currency` and `billed`.
pub const LEADING: [&str; 9] = [
    "day",
    "billing_period",
    "provider",
    "account_id",
    "account_name",
    "service_name",
    "service_category",
    "charge_category",
    "currency",
];
pub const TRAILING: [&str; 4] = ["billed", "effective", "list", "row_count"];

/// The result's column names for `tags` tag keys.
pub fn columns(tags: usize) -> Vec<String> {
    LEADING
        .iter()
        .map(|c| (*c).to_owned())
        .chain((0..tags).map(|i| format!("tag_{i}")))
        .chain(TRAILING.iter().map(|c| (*c).to_owned()))
        .collect()
}

/// `name` as a quoted identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `text` as a string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Whether `period` is a billing period, `YYYY-MM` with a month 01–12.
pub fn valid_period(period: &str) -> bool {
    let b = period.as_bytes();
    b.len() == 7
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && matches!((b[5], b[6]), (b'0', b'1'..=b'9') | (b'1', b'0'..=b'2'))
}

/// The key a configured tag key (`user:team`) has in CUR 2.0's `resource_tags` (`user_team`).
pub fn cur_tag_key(key: &str) -> String {
    key.replace(':', "_")
}

/// The CUR 2.0 line item types and the FOCUS charge category each is (as the file reader maps
/// them): anything not listed is an `Adjustment`.
const CUR_CHARGE_CATEGORIES: [(&str, &[&str]); 4] = [
    (
        "Usage",
        &["Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"],
    ),
    ("Tax", &["Tax"]),
    (
        "Credit",
        &[
            "Credit",
            "Refund",
            "BundledDiscount",
            "Discount",
            "SavingsPlanNegation",
            "EdpDiscount",
            "PrivateRateDiscount",
            "DistributorDiscount",
        ],
    ),
    (
        "Purchase",
        &[
            "Fee",
            "RIFee",
            "SavingsPlanRecurringFee",
            "SavingsPlanUpfrontFee",
        ],
    ),
];

/// The query's text for one billing period of `db`.`table`, grouping by the values of `tags`.
pub fn query(format: Format, database: &str, table: &str, tags: &[String], period: &str) -> String {
    let mut select: Vec<String> = Vec::new();
    match format {
        Format::Focus => {
            select.push(r#"date("chargeperiodstart")"#.to_owned());
            select.push(ident("billing_period"));
            for column in [
                "providername",
                "subaccountid",
                "subaccountname",
                "servicename",
                "servicecategory",
                "chargecategory",
                "billingcurrency",
            ] {
                select.push(ident(column));
            }
            for key in tags {
                select.push(format!(r#"element_at("tags", {})"#, literal(key)));
            }
            for column in ["billedcost", "effectivecost", "listcost"] {
                select.push(format!("COALESCE(SUM({}), 0)", ident(column)));
            }
        }
        Format::Cur2 => {
            select.push(r#"date("line_item_usage_start_date")"#.to_owned());
            select.push(ident("billing_period"));
            select.push(literal("AWS"));
            select.push(ident("line_item_usage_account_id"));
            select.push(ident("line_item_usage_account_name"));
            select.push(
                r#"COALESCE(NULLIF("product_servicecode", ''), "line_item_product_code")"#
                    .to_owned(),
            );
            select.push(literal(""));
            select.push(cur_charge_category());
            select.push(ident("line_item_currency_code"));
            for key in tags {
                select.push(format!(
                    r#"element_at("resource_tags", {})"#,
                    literal(&cur_tag_key(key))
                ));
            }
            select.push(r#"COALESCE(SUM("line_item_unblended_cost"), 0)"#.to_owned());
            select.push(format!("COALESCE(SUM({}), 0)", cur_effective()));
            select.push(format!(
                "COALESCE(SUM(COALESCE({}, {})), 0)",
                ident("pricing_public_on_demand_cost"),
                ident("line_item_unblended_cost")
            ));
        }
    }
    select.push("COUNT(*)".to_owned());
    let names = columns(tags.len());
    let mut sql = String::from("SELECT\n");
    let last = select.len() - 1;
    for (i, (expr, name)) in select.iter().zip(&names).enumerate() {
        let comma = if i == last { "" } else { "," };
        let _ = writeln!(sql, "  {expr} AS {}{comma}", ident(name));
    }
    let _ = writeln!(sql, "FROM {}.{}", ident(database), ident(table));
    let _ = writeln!(sql, "WHERE \"billing_period\" = {}", literal(period));
    let keys = LEADING.len() + tags.len();
    let ordinals: Vec<String> = (1..=keys).map(|i| i.to_string()).collect();
    let _ = write!(sql, "GROUP BY {}", ordinals.join(", "));
    sql
}

/// CUR 2.0's line item type as a FOCUS charge category.
fn cur_charge_category() -> String {
    let mut case = String::from("CASE");
    for (category, types) in CUR_CHARGE_CATEGORIES {
        let list: Vec<String> = types.iter().map(|t| literal(t)).collect();
        let _ = write!(
            case,
            " WHEN \"line_item_line_item_type\" IN ({}) THEN {}",
            list.join(", "),
            literal(category)
        );
    }
    case.push_str(" ELSE 'Adjustment' END");
    case
}

/// CUR 2.0's amortised (effective) cost of a line item, AWS's formula by line item type: a
/// Savings Plan's or reservation's covered usage at its effective cost, the unused part of a
/// recurring commitment or reservation fee, nothing for the negation and upfront fees (their
/// cost is in the covered usage), else the unblended cost.
fn cur_effective() -> String {
    [
        "CASE \"line_item_line_item_type\"",
        " WHEN 'SavingsPlanCoveredUsage' THEN \"savings_plan_savings_plan_effective_cost\"",
        " WHEN 'SavingsPlanRecurringFee' THEN \"savings_plan_total_commitment_to_date\"",
        " - \"savings_plan_used_commitment\"",
        " WHEN 'SavingsPlanNegation' THEN 0",
        " WHEN 'SavingsPlanUpfrontFee' THEN 0",
        " WHEN 'DiscountedUsage' THEN \"reservation_effective_cost\"",
        " WHEN 'RIFee' THEN \"reservation_unused_amortized_upfront_fee_for_billing_period\"",
        " + \"reservation_unused_recurring_fee\"",
        " ELSE \"line_item_unblended_cost\" END",
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_checked() {
        for ok in ["2024-01", "2024-09", "2024-10", "2024-12", "1999-05"] {
            assert!(valid_period(ok), "{ok}");
        }
        for bad in [
            "2024-00",
            "2024-13",
            "2024-1",
            "24-01",
            "2024/01",
            "2024-01-01",
            "2024-0a",
            "",
            "2024-01'",
            "２０２４-01",
        ] {
            assert!(!valid_period(bad), "{bad}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(ident(r#"we"ird"#), r#""we""ird""#);
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(cur_tag_key("user:cost:team"), "user_cost_team");
    }
}
