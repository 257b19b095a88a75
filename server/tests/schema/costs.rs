//! The cost endpoints' replies against the generated document: the demo's six months of cost
//! stored, then `/costs` (totals, with a series, grouped by account; a bad parameter),
//! `/costs/anomalies` (the demo's anomaly with its contributors; `interval` refused),
//! `/costs/unit` (the scenario's services; `group_by` refused) and `/costs/sources` (as the
//! local admin, with a period stored and one refused with its problems).

use super::conforms;
use crate::common::*;
use nagare_server::AppState;
use serde_json::Value;

/// Checks every cost operation of `doc` against `state` (local mode, the scenario stored).
pub async fn check(doc: &Value, state: &AppState, seen: &mut Vec<String>) {
    let now = nagare_server::store::now_millis();
    nagare_server::cost::command::seed_demo(&state.store, 7, now)
        .await
        .unwrap();
    // A refused period: its error and problems are part of the reply.
    let problems = r#"[{"file":"data/BILLING_PERIOD=2024-01/x.csv.gz","row":4,"column":"BilledCost","message":"\"x\" is not a number"}]"#;
    state
        .store
        .cost_period_failed("aws", "2024-01", "v2", "refused", Some(problems))
        .await
        .unwrap();
    state.costs.invalidate().await;
    for (template, uri, status) in [
        (
            "/api/v1/costs",
            "/api/v1/costs?interval=day".to_owned(),
            200,
        ),
        (
            "/api/v1/costs",
            "/api/v1/costs?group_by=account&interval=week&cost=billed".to_owned(),
            200,
        ),
        (
            "/api/v1/costs",
            "/api/v1/costs?group_by=service&interval=month".to_owned(),
            200,
        ),
        ("/api/v1/costs", "/api/v1/costs?cost=foo".to_owned(), 400),
        (
            "/api/v1/costs/anomalies",
            "/api/v1/costs/anomalies?group_by=service".to_owned(),
            200,
        ),
        (
            "/api/v1/costs/anomalies",
            "/api/v1/costs/anomalies?interval=day".to_owned(),
            400,
        ),
        ("/api/v1/costs/unit", "/api/v1/costs/unit".to_owned(), 200),
        (
            "/api/v1/costs/unit",
            "/api/v1/costs/unit?group_by=team".to_owned(),
            400,
        ),
        (
            "/api/v1/costs/sources",
            "/api/v1/costs/sources".to_owned(),
            200,
        ),
    ] {
        let r = get(state, &uri).await;
        assert_eq!(r.status, status, "{uri}: {}", r.json);
        conforms(doc, "get", template, &r, seen);
    }
    // The replies checked were not empty: groups, a series, anomalies with contributors,
    // unit costs and periods with problems were all in them.
    let r = get(state, "/api/v1/costs?interval=day").await;
    assert!(
        !r.json["groups"].as_array().unwrap().is_empty(),
        "{}",
        r.json
    );
    assert!(r.json["month"]["forecast"].is_number(), "{}", r.json);
    let r = get(state, "/api/v1/costs/anomalies?group_by=service").await;
    assert!(
        !r.json["anomalies"][0]["contributors"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{}",
        r.json
    );
    let r = get(state, "/api/v1/costs/unit").await;
    assert!(
        !r.json["services"].as_array().unwrap().is_empty(),
        "{}",
        r.json
    );
    let r = get(state, "/api/v1/costs/sources").await;
    let failed = r.json["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["state"] == "failed")
        .unwrap_or_else(|| panic!("no failed period: {}", r.json));
    assert_eq!(failed["problems"][0]["row"], 4, "{}", r.json);
}
