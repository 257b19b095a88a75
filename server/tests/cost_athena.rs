#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should panic
//! Contract tests of the Athena client (`nagare_server::cost::athena`). **No Athena runs here,
//! and no SQL is executed**: the client talks to a local HTTP server speaking Athena's JSON
//! protocol (`cost_athena/fake.rs`), which checks each request's shape (operation, workgroup,
//! database and catalog, whether a result location is sent, the SigV4 signature scoped to the
//! region and `athena`) and answers as the API reference shapes Athena's answers: the query's
//! states (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED), result pages with NextToken and the
//! header row, values as text with NULLs, throttling, and the errors of a missing workgroup or a
//! denied permission. Here: a query's way to its rows, paging, typed values and throttling; in
//! `cost_athena/workgroup.rs` the result location each kind of workgroup gets; in
//! `cost_athena/failures.rs` the failures and what they say. The SQL is tested as text
//! (`cost_athena/sql.rs`), and the allocation of the rows by hand (`cost_athena/daily.rs`).

#[path = "cost_athena/daily.rs"]
mod daily;
#[path = "cost_athena/failures.rs"]
mod failures;
#[path = "cost_athena/fake.rs"]
mod fake;
#[path = "cost_athena/ingest.rs"]
mod ingest;
#[path = "cost_athena/sql.rs"]
mod sql;
#[path = "cost_athena/workgroup.rs"]
mod workgroup;

use fake::{page, started, state, workgroup, FakeAthena, Reply, AKID, REGION, SECRET};
use nagare_server::config::{AthenaConfig, S3Config};
use nagare_server::cost::athena::{Athena, AthenaError, AthenaRow, MAX_ATTEMPTS};
use serde_json::json;
use std::collections::BTreeMap;

pub const WORKGROUP: &str = "nagare";
const DATABASE: &str = "cost_data";
const CATALOG: &str = "AwsDataCatalog";
pub const ID: &str = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111";
pub const RESULTS: &str = "s3://nagare-athena-results/queries/";
/// 2024-05-01 in days since 1970-01-01: 19 723 to 2024-01-01 (54 × 365 + 13 leap days), then
/// 31 + 29 + 31 + 30.
const MAY_1: i32 = 19_844;

pub fn config(endpoint: &str, format: &str, output: Option<&str>, timeout: u64) -> AthenaConfig {
    AthenaConfig {
        name: "athena".into(),
        format: format.into(),
        workgroup: WORKGROUP.into(),
        database: DATABASE.into(),
        table: "focus".into(),
        catalog: CATALOG.into(),
        output_location: output.map(str::to_owned),
        region: Some(REGION.into()),
        endpoint: Some(endpoint.into()),
        months: 2,
        poll_secs: 0,
        timeout_secs: timeout,
    }
}

pub fn credentials(secret: &str) -> aws_sdk_athena::config::Credentials {
    aws_sdk_athena::config::Credentials::new(AKID, secret, None, None, "cost_athena test")
}

pub async fn try_athena(cfg: &AthenaConfig, tags: &[String]) -> Result<Athena, AthenaError> {
    Athena::with_credentials(cfg, &S3Config::default(), tags, credentials(SECRET)).await
}

pub async fn athena(cfg: &AthenaConfig, tags: &[String]) -> Athena {
    try_athena(cfg, tags).await.unwrap()
}

pub fn team_service() -> Vec<String> {
    vec!["user:team".into(), "user:service".into()]
}

/// The header row for the two tag keys, as Athena sends the query's column names.
pub fn header() -> Vec<Option<&'static str>> {
    [
        "day",
        "billing_period",
        "provider",
        "account_id",
        "account_name",
        "service_name",
        "service_category",
        "charge_category",
        "currency",
        "tag_0",
        "tag_1",
        "billed",
        "effective",
        "list",
        "row_count",
    ]
    .into_iter()
    .map(Some)
    .collect()
}

/// A data row of `account` on 2024-05-`day` with amounts as text.
fn data(
    day: &'static str,
    account: &'static str,
    amounts: [&'static str; 4],
) -> Vec<Option<&'static str>> {
    let [billed, effective, list, rows] = amounts;
    vec![
        Some(day),
        Some("2024-05"),
        Some("AWS"),
        Some(account),
        Some("Payments prod"),
        Some("Amazon Elastic Compute Cloud"),
        Some("Compute"),
        Some("Usage"),
        Some("USD"),
        Some("payments"),
        Some("ledger"),
        Some(billed),
        Some(effective),
        Some(list),
        Some(rows),
    ]
}

/// A workgroup that does not manage its results and has no location of its own.
pub fn unmanaged() -> Reply {
    workgroup(
        WORKGROUP,
        json!({ "EnforceWorkGroupConfiguration": false, "PublishCloudWatchMetricsEnabled": true }),
    )
}

/// An error's text, checked to hold no secret.
pub fn said(e: &AthenaError) -> String {
    let text = e.to_string();
    assert!(!text.contains(SECRET), "the secret leaked: {text}");
    assert!(!text.contains("Signature="), "a signature leaked: {text}");
    text
}

#[tokio::test]
async fn queued_running_succeeded_then_one_page() {
    let fake = FakeAthena::start().await;
    fake.reply("GetWorkGroup", unmanaged());
    fake.reply("StartQueryExecution", started(ID));
    for s in ["QUEUED", "RUNNING", "SUCCEEDED"] {
        fake.reply("GetQueryExecution", state(ID, s, None, None));
    }
    fake.reply(
        "GetQueryResults",
        page(
            &[
                header(),
                data("2024-05-01", "111122223333", ["12.5", "10.25", "15", "240"]),
                data("2024-05-02", "111122223333", ["0.5", "0.25", "1", "2"]),
            ],
            None,
        ),
    );
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &team_service(),
    )
    .await;
    let rows = a.period("2024-05").await.unwrap();
    let tags: BTreeMap<String, String> = [
        ("user:team".to_owned(), "payments".to_owned()),
        ("user:service".to_owned(), "ledger".to_owned()),
    ]
    .into();
    let first = AthenaRow {
        day: MAY_1,
        billing_period: "2024-05".into(),
        provider: "AWS".into(),
        account_id: "111122223333".into(),
        account_name: "Payments prod".into(),
        service_name: "Amazon Elastic Compute Cloud".into(),
        service_category: "Compute".into(),
        charge_category: "Usage".into(),
        currency: "USD".into(),
        tags,
        billed: 12.5,
        effective: 10.25,
        list: 15.0,
        rows: 240,
    };
    let second = AthenaRow {
        day: MAY_1 + 1,
        billed: 0.5,
        effective: 0.25,
        list: 1.0,
        rows: 2,
        ..first.clone()
    };
    assert_eq!(rows, vec![first, second]);

    assert_eq!(
        fake.ops(),
        [
            "GetWorkGroup",
            "StartQueryExecution",
            "GetQueryExecution",
            "GetQueryExecution",
            "GetQueryExecution",
            "GetQueryResults"
        ]
    );
    assert_eq!(
        fake.calls("GetWorkGroup")[0],
        json!({ "WorkGroup": WORKGROUP })
    );
    let start = &fake.calls("StartQueryExecution")[0];
    assert_eq!(start["QueryString"], json!(a.sql("2024-05")));
    assert_eq!(start["WorkGroup"], json!(WORKGROUP));
    assert_eq!(
        start["QueryExecutionContext"],
        json!({ "Database": DATABASE, "Catalog": CATALOG })
    );
    assert_eq!(
        start["ResultConfiguration"],
        json!({ "OutputLocation": RESULTS })
    );
    let token = start["ClientRequestToken"].as_str().unwrap();
    assert!(
        token.len() == 32 && token.chars().all(|c| c.is_ascii_hexdigit()),
        "ClientRequestToken {token}: Athena wants 32 to 128 characters"
    );
    for poll in fake.calls("GetQueryExecution") {
        assert_eq!(poll, json!({ "QueryExecutionId": ID }));
    }
    assert_eq!(
        fake.calls("GetQueryResults")[0],
        json!({ "QueryExecutionId": ID, "MaxResults": 1000 })
    );
    // Every call signed for the region and Athena (the fake checked the signature itself).
    for s in fake.seen() {
        let auth = s.headers["authorization"].to_str().unwrap().to_owned();
        assert!(
            auth.starts_with(&format!("AWS4-HMAC-SHA256 Credential={AKID}/")),
            "{auth}"
        );
        assert!(
            auth.contains(&format!("/{REGION}/athena/aws4_request")),
            "{auth}"
        );
    }
}

#[tokio::test]
async fn three_pages_with_next_token_and_the_header_on_the_first_only() {
    let fake = FakeAthena::start().await;
    fake.reply("GetWorkGroup", unmanaged());
    fake.reply("StartQueryExecution", started(ID));
    fake.reply("GetQueryExecution", state(ID, "SUCCEEDED", None, None));
    fake.reply(
        "GetQueryResults",
        page(
            &[
                header(),
                data("2024-05-01", "111111111111", ["1", "1", "1", "1"]),
            ],
            Some("page-2-token"),
        ),
    );
    fake.reply(
        "GetQueryResults",
        page(
            &[
                data("2024-05-02", "222222222222", ["2", "2", "2", "2"]),
                data("2024-05-03", "333333333333", ["3", "3", "3", "3"]),
            ],
            Some("page-3-token"),
        ),
    );
    fake.reply(
        "GetQueryResults",
        page(
            &[data("2024-05-04", "444444444444", ["4", "4", "4", "4"])],
            None,
        ),
    );
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &team_service(),
    )
    .await;
    let rows = a.period("2024-05").await.unwrap();
    let got: Vec<(i32, &str, f64, u64)> = rows
        .iter()
        .map(|r| (r.day, r.account_id.as_str(), r.billed, r.rows))
        .collect();
    assert_eq!(
        got,
        [
            (MAY_1, "111111111111", 1.0, 1),
            (MAY_1 + 1, "222222222222", 2.0, 2),
            (MAY_1 + 2, "333333333333", 3.0, 3),
            (MAY_1 + 3, "444444444444", 4.0, 4),
        ]
    );
    let pages = fake.calls("GetQueryResults");
    assert_eq!(
        pages,
        [
            json!({ "QueryExecutionId": ID, "MaxResults": 1000 }),
            json!({ "QueryExecutionId": ID, "MaxResults": 1000, "NextToken": "page-2-token" }),
            json!({ "QueryExecutionId": ID, "MaxResults": 1000, "NextToken": "page-3-token" }),
        ]
    );
}

/// Runs one successful query whose single page is `rows` after the header.
async fn one_page(rows: Vec<Vec<Option<&'static str>>>) -> Result<Vec<AthenaRow>, AthenaError> {
    let fake = FakeAthena::start().await;
    fake.reply("GetWorkGroup", unmanaged());
    fake.reply("StartQueryExecution", started(ID));
    fake.reply("GetQueryExecution", state(ID, "SUCCEEDED", None, None));
    let mut all = vec![header()];
    all.extend(rows);
    fake.reply("GetQueryResults", page(&all, None));
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &team_service(),
    )
    .await;
    a.period("2024-05").await
}

#[tokio::test]
async fn typed_values_and_nulls() {
    let mut nulls = data("2024-05-31", "444455556666", ["1.5E-4", "-2.5", "0.0", "0"]);
    nulls[4] = None; // account name
    nulls[6] = None; // service category
    nulls[9] = None; // team tag: absent
    nulls[10] = Some("  "); // a blank service tag: absent too
    let rows = one_page(vec![nulls]).await.unwrap();
    let r = &rows[0];
    assert_eq!(r.day, MAY_1 + 30);
    assert_eq!(
        (r.account_name.as_str(), r.service_category.as_str()),
        ("", "")
    );
    assert!(r.tags.is_empty(), "{:?}", r.tags);
    assert_eq!(
        (r.billed, r.effective, r.list, r.rows),
        (0.00015, -2.5, 0.0, 0)
    );

    // A NULL or a word where a number must be: the row (1-based, header not counted) and the
    // column are named.
    let mut null_cost = data("2024-05-02", "111122223333", ["1", "1", "1", "1"]);
    null_cost[11] = None;
    let err = one_page(vec![
        data("2024-05-01", "1", ["1", "1", "1", "1"]),
        null_cost,
    ])
    .await
    .unwrap_err();
    assert!(
        matches!(&err, AthenaError::Value { row: 2, column, .. } if column == "billed"),
        "{err:?}"
    );
    assert!(
        said(&err).contains("row 2, column billed: `NULL` is not a finite number"),
        "{err}"
    );
    let err = one_page(vec![data("2024-05-01", "1", ["1", "1", "1", "many"])])
        .await
        .unwrap_err();
    assert!(
        said(&err).contains("row 1, column row_count: `many`"),
        "{err}"
    );
    let err = one_page(vec![data("2024-02-30", "1", ["1", "1", "1", "1"])])
        .await
        .unwrap_err();
    assert!(
        said(&err).contains("column day: `2024-02-30` is not a date"),
        "{err}"
    );
    let err = one_page(vec![data("2024-05-01", "1", ["NaN", "1", "1", "1"])])
        .await
        .unwrap_err();
    assert!(said(&err).contains("column billed: `NaN`"), "{err}");
}

#[tokio::test]
async fn a_header_that_is_not_the_query_s_is_refused() {
    let fake = FakeAthena::start().await;
    fake.reply("GetWorkGroup", unmanaged());
    fake.reply("StartQueryExecution", started(ID));
    fake.reply("GetQueryExecution", state(ID, "SUCCEEDED", None, None));
    let mut wrong = header();
    wrong[11] = Some("cost");
    fake.reply("GetQueryResults", page(&[wrong], None));
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &team_service(),
    )
    .await;
    let err = a.period("2024-05").await.unwrap_err();
    assert!(matches!(err, AthenaError::Results { .. }), "{err:?}");
    assert!(
        said(&err).contains("header row is [day, billing_period"),
        "{err}"
    );
}

pub fn succeed(fake: &FakeAthena) {
    fake.reply("StartQueryExecution", started(ID));
    fake.reply("GetQueryExecution", state(ID, "SUCCEEDED", None, None));
    fake.reply("GetQueryResults", page(&[header()], None));
}

/// Two throttled calls, then the query; a later call throttled until the SDK gives up.
#[tokio::test]
async fn throttling_is_retried_with_the_same_request_token() {
    tokio::join!(
        retried_until_started(),
        retried_polls(),
        throttled_to_the_end()
    );
}

/// The AWS SDK's default is 3 attempts: three throttled starts need more, and get them.
async fn retried_until_started() {
    let fake = FakeAthena::start().await;
    fake.reply("GetWorkGroup", unmanaged());
    for kind in [
        "ThrottlingException",
        "TooManyRequestsException",
        "ThrottlingException",
    ] {
        fake.reply("StartQueryExecution", Reply::error(kind, "Rate exceeded"));
    }
    succeed(&fake);
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &team_service(),
    )
    .await;
    assert_eq!(a.period("2024-05").await.unwrap(), []);
    let starts = fake.calls("StartQueryExecution");
    assert_eq!(starts.len(), 4, "three throttled, then started");
    assert!(
        starts
            .iter()
            .all(|s| s["ClientRequestToken"] == starts[0]["ClientRequestToken"]),
        "a retry must carry the same ClientRequestToken, so Athena starts one query"
    );
}

async fn retried_polls() {
    let fake = FakeAthena::start().await;
    fake.reply("GetWorkGroup", unmanaged());
    fake.reply("StartQueryExecution", started(ID));
    for _ in 0..2 {
        fake.reply(
            "GetQueryExecution",
            Reply::error("TooManyRequestsException", "Rate exceeded"),
        );
    }
    fake.reply("GetQueryExecution", state(ID, "SUCCEEDED", None, None));
    fake.reply("GetQueryResults", page(&[header()], None));
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &team_service(),
    )
    .await;
    assert_eq!(a.period("2024-05").await.unwrap(), []);
    assert_eq!(fake.calls("GetQueryExecution").len(), 3);
}

/// Throttled on every attempt: the SDK stops after `MAX_ATTEMPTS`, and the error says so.
async fn throttled_to_the_end() {
    let fake = FakeAthena::start().await;
    fake.always(
        "GetWorkGroup",
        Reply::error("TooManyRequestsException", "Rate exceeded"),
    );
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &team_service(),
    )
    .await;
    let err = a.period("2024-05").await.unwrap_err();
    assert!(
        matches!(&err, AthenaError::Throttled { action, .. } if action == "athena:GetWorkGroup"),
        "{err:?}"
    );
    assert!(said(&err).contains("kept throttling athena:GetWorkGroup after retries"));
    assert_eq!(fake.ops().len(), MAX_ATTEMPTS as usize);
}
