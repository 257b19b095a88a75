//! The SQL Nagare runs in Athena, as text (it never runs here), and the settings checked before
//! any call.

use super::{athena, config};
use nagare_server::config::AthenaConfig;
use nagare_server::cost::athena::AthenaError;

const TAGS: [&str; 2] = ["user:team", "user:service"];

fn tags() -> Vec<String> {
    TAGS.iter().map(|t| (*t).to_owned()).collect()
}

#[tokio::test]
async fn focus_sql_exact_text() {
    let a = athena(&config("http://127.0.0.1:9", "focus", None, 60), &tags()).await;
    let want = r#"SELECT
  date("chargeperiodstart") AS "day",
  "billing_period" AS "billing_period",
  "providername" AS "provider",
  "subaccountid" AS "account_id",
  "subaccountname" AS "account_name",
  "servicename" AS "service_name",
  "servicecategory" AS "service_category",
  "chargecategory" AS "charge_category",
  "billingcurrency" AS "currency",
  element_at("tags", 'user:team') AS "tag_0",
  element_at("tags", 'user:service') AS "tag_1",
  COALESCE(SUM("billedcost"), 0) AS "billed",
  COALESCE(SUM("effectivecost"), 0) AS "effective",
  COALESCE(SUM("listcost"), 0) AS "list",
  COUNT(*) AS "row_count"
FROM "cost_data"."focus"
WHERE "billing_period" = '2024-05'
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11"#;
    assert_eq!(a.sql("2024-05"), want);
}

#[tokio::test]
async fn cur2_sql_exact_text() {
    let mut cfg = config("http://127.0.0.1:9", "cur2", None, 60);
    cfg.table = "cur2".into();
    let a = athena(&cfg, &tags()).await;
    let want = r#"SELECT
  date("line_item_usage_start_date") AS "day",
  "billing_period" AS "billing_period",
  'AWS' AS "provider",
  "line_item_usage_account_id" AS "account_id",
  "line_item_usage_account_name" AS "account_name",
  COALESCE(NULLIF("product_servicecode", ''), "line_item_product_code") AS "service_name",
  '' AS "service_category",
  CASE WHEN "line_item_line_item_type" IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage') THEN 'Usage' WHEN "line_item_line_item_type" IN ('Tax') THEN 'Tax' WHEN "line_item_line_item_type" IN ('Credit', 'Refund', 'BundledDiscount', 'Discount', 'SavingsPlanNegation', 'EdpDiscount', 'PrivateRateDiscount', 'DistributorDiscount') THEN 'Credit' WHEN "line_item_line_item_type" IN ('Fee', 'RIFee', 'SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee') THEN 'Purchase' ELSE 'Adjustment' END AS "charge_category",
  "line_item_currency_code" AS "currency",
  element_at("resource_tags", 'user_team') AS "tag_0",
  element_at("resource_tags", 'user_service') AS "tag_1",
  COALESCE(SUM("line_item_unblended_cost"), 0) AS "billed",
  COALESCE(SUM(CASE "line_item_line_item_type" WHEN 'SavingsPlanCoveredUsage' THEN "savings_plan_savings_plan_effective_cost" WHEN 'SavingsPlanRecurringFee' THEN "savings_plan_total_commitment_to_date" - "savings_plan_used_commitment" WHEN 'SavingsPlanNegation' THEN 0 WHEN 'SavingsPlanUpfrontFee' THEN 0 WHEN 'DiscountedUsage' THEN "reservation_effective_cost" WHEN 'RIFee' THEN "reservation_unused_amortized_upfront_fee_for_billing_period" + "reservation_unused_recurring_fee" ELSE "line_item_unblended_cost" END), 0) AS "effective",
  COALESCE(SUM(COALESCE("pricing_public_on_demand_cost", "line_item_unblended_cost")), 0) AS "list",
  COUNT(*) AS "row_count"
FROM "cost_data"."cur2"
WHERE "billing_period" = '2024-05'
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11"#;
    assert_eq!(a.sql("2024-05"), want);
}

#[tokio::test]
async fn quotes_are_escaped_and_tag_keys_deduplicated() {
    let mut cfg = config("http://127.0.0.1:9", "focus", None, 60);
    cfg.database = r#"odd"db"#.into();
    cfg.table = "t".into();
    let keys: Vec<String> = ["user:o'brien", "user:team", "user:o'brien"]
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
    let sql = athena(&cfg, &keys).await.sql("2024-05");
    assert!(
        sql.contains(r#"element_at("tags", 'user:o''brien') AS "tag_0","#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"element_at("tags", 'user:team') AS "tag_1","#),
        "{sql}"
    );
    assert!(
        !sql.contains("tag_2"),
        "a repeated key is grouped once: {sql}"
    );
    assert!(sql.contains(r#"FROM "odd""db"."t""#), "{sql}");
    // Nine leading columns and two tags.
    assert!(
        sql.ends_with("GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11"),
        "{sql}"
    );

    cfg.format = "cur2".into();
    let sql = athena(&cfg, &keys).await.sql("2024-05");
    assert!(
        sql.contains(r#"element_at("resource_tags", 'user_o''brien') AS "tag_0","#),
        "{sql}"
    );
    // No tags: nine grouping columns.
    let sql = athena(&cfg, &[]).await.sql("2024-05");
    assert!(!sql.contains("element_at"), "{sql}");
    assert!(sql.ends_with("GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"), "{sql}");
}

#[tokio::test]
async fn settings_are_checked_before_any_call() {
    let fine = config(
        "http://127.0.0.1:9",
        "focus",
        Some("s3://results/nagare/"),
        60,
    );
    type Change = Box<dyn Fn(&mut AthenaConfig)>;
    let cases: Vec<(Change, &str)> = vec![
        (Box::new(|c| c.format = "cur".into()), "cost.athena.format"),
        (
            Box::new(|c| c.workgroup = String::new()),
            "cost.athena.workgroup",
        ),
        (
            Box::new(|c| c.workgroup = "my workgroup".into()),
            "cost.athena.workgroup",
        ),
        (
            Box::new(|c| c.database = " ".into()),
            "cost.athena.database",
        ),
        (Box::new(|c| c.table = String::new()), "cost.athena.table"),
        (
            Box::new(|c| c.catalog = String::new()),
            "cost.athena.catalog",
        ),
        (
            Box::new(|c| c.output_location = Some("results/nagare/".into())),
            "cost.athena.output_location",
        ),
        (
            Box::new(|c| c.output_location = Some("s3:///prefix".into())),
            "cost.athena.output_location",
        ),
        (Box::new(|c| c.timeout_secs = 0), "cost.athena.timeout_secs"),
        (
            Box::new(|c| c.endpoint = Some("127.0.0.1:9".into())),
            "cost.athena.endpoint",
        ),
    ];
    for (change, key) in cases {
        let mut cfg = fine.clone();
        change(&mut cfg);
        let err = super::try_athena(&cfg, &[]).await.unwrap_err();
        assert!(matches!(err, AthenaError::Config(_)), "{err:?}");
        assert!(err.to_string().starts_with(key), "{key}: {err}");
    }
    let err = super::try_athena(&fine, &[String::new()])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("tag key is empty"), "{err}");
}

#[tokio::test]
async fn a_bad_billing_period_makes_no_call() {
    let fake = super::fake::FakeAthena::start().await;
    let a = athena(&config(&fake.url(), "focus", None, 60), &[]).await;
    for bad in ["2024-13", "2024-5", "2024-05'; DROP TABLE x; --", ""] {
        let err = a.period(bad).await.unwrap_err();
        assert!(matches!(err, AthenaError::Period(_)), "{err:?}");
        assert!(err.to_string().contains("YYYY-MM"), "{err}");
    }
    assert!(fake.seen().is_empty());
}
