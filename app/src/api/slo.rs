//! SLOs (`/api/v1/slos`): the list, one SLO with its series and the deployments that burned its
//! budget, the SLOs a deployment affected, and the admins' create, edit and delete.

use super::{
    encode_component, error_of, get_json, send, unsafe_request, ApiError, ApiResult, Query,
};
use gloo_net::http::Request;
use nagare_core::api::{DeploymentSlos, SloDetail, SloInput, SloList, SloStatus};

fn slo_path(id: &str) -> String {
    format!("/api/v1/slos/{}", encode_component(id))
}

/// Every SLO the caller may see (of a team or a service), evaluated at `at` (RFC 3339; empty:
/// now), worst remaining budget first.
pub async fn slos(team: String, service: String, at: String) -> ApiResult<SloList> {
    let q = Query::new()
        .set("team", team)
        .set("service", service)
        .set("at", at);
    get_json(&format!("/api/v1/slos{}", q.encode())).await
}

/// One SLO evaluated at `at` (empty: now), with its series and the deployments in its window.
pub async fn slo(id: String, at: String) -> ApiResult<SloDetail> {
    let q = Query::new().set("at", at);
    get_json(&format!("{}{}", slo_path(&id), q.encode())).await
}

/// The address of an SLO's Prometheus recording and alerting rules (YAML).
pub fn prometheus_rules_href(id: &str) -> String {
    format!("{}/prometheus-rules", slo_path(id))
}

/// The address of an SLO as an OpenSLO document (YAML).
pub fn openslo_href(id: &str) -> String {
    format!("{}/openslo", slo_path(id))
}

/// Creates an SLO (admins).
pub async fn create_slo(input: SloInput) -> ApiResult<SloStatus> {
    send(
        unsafe_request(Request::post("/api/v1/slos"))
            .await
            .json(&input),
    )
    .await
}

/// Replaces an SLO made in the portal (admins).
pub async fn update_slo(id: String, input: SloInput) -> ApiResult<SloStatus> {
    send(
        unsafe_request(Request::put(&slo_path(&id)))
            .await
            .json(&input),
    )
    .await
}

/// Deletes an SLO made in the portal (admins); the reply is an empty 204.
pub async fn delete_slo(id: String) -> ApiResult<()> {
    let unreachable = |e: gloo_net::Error| ApiError {
        status: None,
        message: format!("the server could not be reached ({e})"),
        field: None,
        required_role: None,
    };
    let resp = unsafe_request(Request::delete(&slo_path(&id)))
        .await
        .build()
        .map_err(unreachable)?
        .send()
        .await
        .map_err(unreachable)?;
    if resp.ok() {
        Ok(())
    } else {
        Err(error_of(resp).await)
    }
}

/// The SLOs of a deployment's service and what it burned of each.
pub async fn deployment_slos(id: String) -> ApiResult<DeploymentSlos> {
    get_json(&format!(
        "/api/v1/deployments/{}/slos",
        encode_component(&id)
    ))
    .await
}
