//! The SLO endpoints' replies against the generated document: list, detail, the SLOs of a
//! deployment, create (201 and 422), edit, delete, the exports' errors, and pushed samples.

use super::conforms;
use crate::common::*;
use nagare_core::Timestamp;
use nagare_server::AppState;
use serde_json::Value;

async fn send(state: &AppState, method: &str, uri: &str, body: &str) -> Reply {
    call(
        state,
        axum::http::Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_owned()))
            .unwrap(),
    )
    .await
}

/// Checks every SLO operation of `doc` against `state` (local mode, the scenario's service
/// `shop` and its deployments stored).
pub async fn check(doc: &Value, state: &AppState, seen: &mut Vec<String>) {
    let slo = r#"{"id":"shop-availability","name":"Shop availability","service":"shop","objective":0.99,"window":"7d","sli":{"kind":"pushed"}}"#;
    let r = send(state, "POST", "/api/v1/slos", slo).await;
    assert_eq!(r.status, 201, "{}", r.json);
    conforms(doc, "post", "/api/v1/slos", &r, seen);
    let r = send(state, "POST", "/api/v1/slos", &slo.replace("0.99", "1.5")).await;
    assert_eq!(r.status, 422, "{}", r.json);
    conforms(doc, "post", "/api/v1/slos", &r, seen);

    // A deployment of shop an hour ago, and samples before and after it.
    let now = nagare_server::store::now_millis();
    let finished = Timestamp(now - now.rem_euclid(60_000) - 3_600_000);
    let dep = format!(
        "{{\"kind\":\"deployment\",\"id\":\"d-slo\",\"service\":\"shop\",\"environment\":\"production\",\"status\":\"success\",\"finished_at\":\"{finished}\",\"sha\":\"c3\"}}"
    );
    let r = post(state, "/api/v1/events", "application/x-ndjson", dep).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let mut samples = String::new();
    for (minutes, bad) in [(-30, 0), (10, 5)] {
        let at = Timestamp(finished.0 + minutes * 60_000);
        samples.push_str(&format!(
            "{{\"kind\":\"sli_sample\",\"slo\":\"shop-availability\",\"bucket_start\":\"{at}\",\"good\":{},\"total\":100}}\n",
            100 - bad
        ));
    }
    let r = post(state, "/api/v1/events", "application/x-ndjson", samples).await;
    assert_eq!(r.status, 200, "{}", r.json);
    conforms(doc, "post", "/api/v1/events", &r, seen);

    let at = format!("at={}", Timestamp(finished.0 + 3_600_000));
    for (template, uri) in [
        ("/api/v1/slos", format!("/api/v1/slos?{at}")),
        ("/api/v1/slos", "/api/v1/slos?service=shop".to_owned()),
        ("/api/v1/slos", "/api/v1/slos?at=yesterday".to_owned()),
        (
            "/api/v1/slos/{id}",
            format!("/api/v1/slos/shop-availability?{at}"),
        ),
        ("/api/v1/slos/{id}", "/api/v1/slos/nope".to_owned()),
        (
            "/api/v1/deployments/{id}/slos",
            "/api/v1/deployments/d-slo/slos".to_owned(),
        ),
        (
            "/api/v1/deployments/{id}/slos",
            "/api/v1/deployments/nope/slos".to_owned(),
        ),
        (
            "/api/v1/slos/{id}/prometheus-rules",
            "/api/v1/slos/shop-availability/prometheus-rules".to_owned(),
        ),
        (
            "/api/v1/slos/{id}/openslo",
            "/api/v1/slos/nope/openslo".to_owned(),
        ),
    ] {
        let r = get(state, &uri).await;
        conforms(doc, "get", template, &r, seen);
    }
    let detail = get(state, &format!("/api/v1/slos/shop-availability?{at}")).await;
    assert_eq!(
        detail.json["deployments"][0]["deployment"], "d-slo",
        "{}",
        detail.json
    );

    let r = send(
        state,
        "PUT",
        "/api/v1/slos/shop-availability",
        &slo.replace("Shop availability", "Shop up"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    conforms(doc, "put", "/api/v1/slos/{id}", &r, seen);
    let r = send(state, "PUT", "/api/v1/slos/other", slo).await;
    assert_eq!(r.status, 400, "{}", r.json);
    conforms(doc, "put", "/api/v1/slos/{id}", &r, seen);
    let r = send(state, "DELETE", "/api/v1/slos/nope", "").await;
    assert_eq!(r.status, 404, "{}", r.json);
    conforms(doc, "delete", "/api/v1/slos/{id}", &r, seen);
    let r = send(state, "DELETE", "/api/v1/slos/shop-availability", "").await;
    assert_eq!(r.status, 204, "{}", r.json);
}
