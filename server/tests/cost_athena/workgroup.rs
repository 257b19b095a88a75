//! The workgroup decides whether a result location is sent: none when it manages its query
//! results or enforces its own settings (opencost #3257: sending one then fails), the
//! configured one otherwise; and what to set when there is none.

use super::fake::{workgroup, FakeAthena};
use super::{athena, config, said, succeed, team_service, unmanaged, RESULTS, WORKGROUP};
use nagare_server::cost::athena::AthenaError;
use serde_json::{json, Value};

fn result_configuration(fake: &FakeAthena) -> Option<Value> {
    fake.calls("StartQueryExecution")[0]
        .get("ResultConfiguration")
        .cloned()
}

#[tokio::test]
async fn a_managed_workgroup_gets_no_result_location() {
    // Managed query results: the configured location is not sent (Athena would refuse it).
    let fake = FakeAthena::start().await;
    fake.reply(
        "GetWorkGroup",
        workgroup(
            WORKGROUP,
            json!({ "ManagedQueryResultsConfiguration": { "Enabled": true } }),
        ),
    );
    succeed(&fake);
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &team_service(),
    )
    .await;
    a.period("2024-05").await.unwrap();
    assert_eq!(result_configuration(&fake), None);

    // Enforced settings with the workgroup's own location: none sent either.
    let fake = FakeAthena::start().await;
    fake.reply(
        "GetWorkGroup",
        workgroup(
            WORKGROUP,
            json!({
                "EnforceWorkGroupConfiguration": true,
                "ResultConfiguration": { "OutputLocation": "s3://workgroup-results/" },
            }),
        ),
    );
    succeed(&fake);
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &team_service(),
    )
    .await;
    a.period("2024-05").await.unwrap();
    assert_eq!(result_configuration(&fake), None);

    // Enforced, but with nowhere to write: said before any query starts.
    let fake = FakeAthena::start().await;
    fake.reply(
        "GetWorkGroup",
        workgroup(WORKGROUP, json!({ "EnforceWorkGroupConfiguration": true })),
    );
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &team_service(),
    )
    .await;
    let err = a.period("2024-05").await.unwrap_err();
    assert!(
        matches!(err, AthenaError::EnforcedWithoutLocation { .. }),
        "{err:?}"
    );
    assert_eq!(fake.ops(), ["GetWorkGroup"]);
}

#[tokio::test]
async fn an_unmanaged_workgroup_gets_the_configured_location() {
    let fake = FakeAthena::start().await;
    fake.reply(
        "GetWorkGroup",
        workgroup(
            WORKGROUP,
            json!({ "ResultConfiguration": { "OutputLocation": "s3://workgroup-results/" } }),
        ),
    );
    succeed(&fake);
    let a = athena(
        &config(&fake.url(), "focus", Some(RESULTS), 60),
        &team_service(),
    )
    .await;
    a.period("2024-05").await.unwrap();
    assert_eq!(
        result_configuration(&fake),
        Some(json!({ "OutputLocation": RESULTS }))
    );

    // None configured: the workgroup's own location serves, and none is sent.
    let fake = FakeAthena::start().await;
    fake.reply(
        "GetWorkGroup",
        workgroup(
            WORKGROUP,
            json!({ "ResultConfiguration": { "OutputLocation": "s3://workgroup-results/" } }),
        ),
    );
    succeed(&fake);
    let a = athena(&config(&fake.url(), "focus", None, 60), &team_service()).await;
    a.period("2024-05").await.unwrap();
    assert_eq!(result_configuration(&fake), None);

    // Nowhere at all: what to set, and no query started.
    let fake = FakeAthena::start().await;
    fake.reply("GetWorkGroup", unmanaged());
    let a = athena(&config(&fake.url(), "focus", None, 60), &team_service()).await;
    let err = a.period("2024-05").await.unwrap_err();
    let text = said(&err);
    assert!(text.contains("set cost.athena.output_location"), "{text}");
    assert!(text.contains("enable managed query results"), "{text}");
    assert_eq!(fake.ops(), ["GetWorkGroup"]);
}
