//! Failures, each said with what to fix: a failed or cancelled query, a missing workgroup, a
//! denied permission, refused credentials, a query past its time (then stopped).

use super::fake::{started, state, FakeAthena, Reply};
use super::{athena, config, credentials, said, team_service, unmanaged, ID, RESULTS};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials};
use nagare_server::config::S3Config;
use nagare_server::cost::athena::{Athena, AthenaError};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn failed_with_athena_s_reason_and_what_to_fix() {
    let fake = FakeAthena::start().await;
    fake.reply("GetWorkGroup", unmanaged());
    fake.reply("StartQueryExecution", started(ID));
    fake.reply("GetQueryExecution", state(ID, "RUNNING", None, None));
    let reason =
        "TABLE_NOT_FOUND: line 15:6: Table 'awsdatacatalog.cost_data.focus' does not exist";
    fake.reply(
        "GetQueryExecution",
        state(
            ID,
            "FAILED",
            Some(reason),
            Some(json!({
                "ErrorCategory": 2,
                "ErrorType": 1301,
                "Retryable": false,
                "ErrorMessage": reason,
            })),
        ),
    );
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &team_service(),
    )
    .await;
    let err = a.period("2024-05").await.unwrap_err();
    let text = said(&err);
    assert!(matches!(err, AthenaError::Failed { .. }), "{err:?}");
    assert!(text.contains(ID), "{text}");
    assert!(text.contains(reason), "{text}");
    assert!(text.contains("[user error (2), error type 1301]"), "{text}");
    assert!(text.contains("fix cost.athena.table"), "{text}");
    assert!(!fake.ops().contains(&"GetQueryResults".to_owned()));

    // Access to the result location denied: the S3 permissions, and where.
    let fake = FakeAthena::start().await;
    fake.reply("GetWorkGroup", unmanaged());
    fake.reply("StartQueryExecution", started(ID));
    fake.reply(
        "GetQueryExecution",
        state(
            ID,
            "FAILED",
            Some(
                "Access denied when writing output to url: \
                 s3://nagare-athena-results/queries/x.csv . Please ensure you are allowed to \
                 access the S3 bucket.",
            ),
            None,
        ),
    );
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &team_service(),
    )
    .await;
    let text = said(&a.period("2024-05").await.unwrap_err());
    assert!(text.contains("allow s3:PutObject"), "{text}");
    assert!(text.contains(RESULTS), "{text}");
}

#[tokio::test]
async fn cancelled() {
    let fake = FakeAthena::start().await;
    fake.reply("GetWorkGroup", unmanaged());
    fake.reply("StartQueryExecution", started(ID));
    fake.reply("GetQueryExecution", state(ID, "QUEUED", None, None));
    fake.reply(
        "GetQueryExecution",
        state(ID, "CANCELLED", Some("Query cancelled by user"), None),
    );
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &team_service(),
    )
    .await;
    let err = a.period("2024-05").await.unwrap_err();
    assert!(matches!(err, AthenaError::Cancelled { .. }), "{err:?}");
    let text = said(&err);
    assert!(
        text.contains("was cancelled (Query cancelled by user)"),
        "{text}"
    );
    assert!(!fake.ops().contains(&"GetQueryResults".to_owned()));
}

/// The calls of a whole successful query, for the throttling and workgroup cases.

#[tokio::test]
async fn a_missing_workgroup_is_named_with_the_region() {
    let fake = FakeAthena::start().await;
    fake.reply(
        "GetWorkGroup",
        Reply::error("InvalidRequestException", "WorkGroup nagare is not found."),
    );
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &team_service(),
    )
    .await;
    let err = a.period("2024-05").await.unwrap_err();
    assert!(
        matches!(err, AthenaError::WorkgroupMissing { .. }),
        "{err:?}"
    );
    assert_eq!(
        said(&err),
        "workgroup `nagare` does not exist in region eu-west-1: create it or fix \
         cost.athena.workgroup (or cost.athena.region)"
    );
}

#[tokio::test]
async fn access_denied_names_the_permission() {
    let fake = FakeAthena::start().await;
    fake.reply("GetWorkGroup", unmanaged());
    fake.reply(
        "StartQueryExecution",
        Reply::error(
            "AccessDeniedException",
            "User: arn:aws:iam::111122223333:user/nagare is not authorized to perform: \
             athena:StartQueryExecution on resource: \
             arn:aws:athena:eu-west-1:111122223333:workgroup/nagare because no identity-based \
             policy allows the athena:StartQueryExecution action",
        ),
    );
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &team_service(),
    )
    .await;
    let err = a.period("2024-05").await.unwrap_err();
    let AthenaError::AccessDenied { action, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(action, "athena:StartQueryExecution");
    let text = said(&err);
    assert!(
        text.contains("allow athena:StartQueryExecution to this identity in IAM"),
        "{text}"
    );
    assert_eq!(fake.calls("StartQueryExecution").len(), 1, "not retried");

    // GetWorkGroup denied: that permission.
    let fake = FakeAthena::start().await;
    fake.reply(
        "GetWorkGroup",
        Reply::error(
            "AccessDeniedException",
            "not authorized to perform: athena:GetWorkGroup",
        ),
    );
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &team_service(),
    )
    .await;
    let text = said(&a.period("2024-05").await.unwrap_err());
    assert!(text.contains("allow athena:GetWorkGroup"), "{text}");
}

#[tokio::test]
async fn a_wrong_secret_is_a_credentials_error_without_the_secret() {
    let fake = FakeAthena::start().await;
    let wrong = "nagare/Wrong+Secret/Key/EXAMPLE9876543210";
    let a = Athena::with_credentials(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &S3Config::default(),
        &team_service(),
        credentials(wrong),
    )
    .await
    .unwrap();
    let err = a.period("2024-05").await.unwrap_err();
    assert!(matches!(err, AthenaError::CredentialsRefused(_)), "{err:?}");
    let text = said(&err);
    assert!(!text.contains(wrong), "{text}");
    assert!(text.contains("InvalidSignatureException"), "{text}");
}

#[tokio::test]
async fn a_query_past_its_time_is_stopped() {
    let fake = FakeAthena::start().await;
    fake.reply("GetWorkGroup", unmanaged());
    fake.reply("StartQueryExecution", started(ID));
    fake.always("GetQueryExecution", state(ID, "RUNNING", None, None));
    fake.reply("StopQueryExecution", Reply::ok(json!({})));
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 1),
        &team_service(),
    )
    .await;
    let began = Instant::now();
    let err = a.period("2024-05").await.unwrap_err();
    let took = began.elapsed();
    assert!(matches!(err, AthenaError::Timeout { .. }), "{err:?}");
    let text = said(&err);
    assert!(
        text.contains("did not finish within 1 s; Nagare stopped it"),
        "{text}"
    );
    assert_eq!(
        fake.calls("StopQueryExecution"),
        [json!({ "QueryExecutionId": ID })]
    );
    // Polled at 0, 0.2, 0.6 s and at the deadline (1 s): four times, not more.
    assert_eq!(fake.calls("GetQueryExecution").len(), 4);
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

/// A credentials provider that has none, as the standard chain on a host without any.
#[derive(Debug)]
struct NoCredentials;

impl ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(
            "no providers in chain provided credentials",
        )))
    }
}

#[tokio::test]
async fn no_credentials_says_where_they_come_from_and_sends_nothing() {
    let fake = FakeAthena::start().await;
    let a = Athena::with_credentials(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &S3Config::default(),
        &team_service(),
        NoCredentials,
    )
    .await
    .unwrap();
    let err = a.period("2024-05").await.unwrap_err();
    assert!(matches!(err, AthenaError::Credentials(_)), "{err:?}");
    let text = said(&err);
    assert!(text.starts_with("no AWS credentials for Athena"), "{text}");
    assert!(text.contains("AWS_ACCESS_KEY_ID"), "{text}");
    assert!(fake.seen().is_empty(), "nothing unsigned may go out");
}

#[tokio::test]
async fn an_endpoint_nobody_listens_on() {
    // A port just freed: connections to it are refused.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let a = athena(&config(&url, "focus", Some(RESULTS), 60), &team_service()).await;
    let err = a.period("2024-05").await.unwrap_err();
    assert!(matches!(err, AthenaError::Connect { .. }), "{err:?}");
    let text = said(&err);
    assert!(
        text.starts_with(&format!("cannot reach Athena at {url}")),
        "{text}"
    );
    assert!(text.contains("check cost.athena.region"), "{text}");
}
