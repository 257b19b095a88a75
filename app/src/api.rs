//! Calls to the Nagare HTTP API (`/api/v1`), decoded into the shared shapes of `nagare_core::api`.

use gloo_net::http::Request;
use nagare_core::api::{
    DeploymentDetail, DeploymentRow, DoraReport, ErrorBody, IncidentRow, Page, ServiceRow,
    SessionInfo, TeamRow,
};
use serde::de::DeserializeOwned;
use std::fmt;

/// Why a call failed, as a sentence for the user.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: Option<u16>,
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(s) => write!(f, "{} (HTTP {s})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Query parameters, in order; empty values are left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query(Vec<(&'static str, String)>);

impl Query {
    pub fn new() -> Self {
        Query(Vec::new())
    }

    pub fn set(mut self, key: &'static str, value: impl Into<String>) -> Self {
        let value = value.into();
        if !value.is_empty() {
            self.0.push((key, value));
        }
        self
    }

    pub fn encode(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_component(v)))
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn get_json<T: DeserializeOwned>(path: &str) -> ApiResult<T> {
    let resp = Request::get(path).send().await.map_err(|e| ApiError {
        status: None,
        message: format!("the server could not be reached ({e})"),
    })?;
    let status = resp.status();
    if resp.ok() {
        resp.json::<T>().await.map_err(|e| ApiError {
            status: Some(status),
            message: format!("the reply could not be read ({e})"),
        })
    } else {
        let message = match resp.json::<ErrorBody>().await {
            Ok(body) => body.error,
            Err(_) => format!("the server answered {} {}", status, resp.status_text()),
        };
        Err(ApiError {
            status: Some(status),
            message,
        })
    }
}

pub async fn session() -> ApiResult<SessionInfo> {
    get_json("/api/v1/session").await
}

pub async fn dora(query: Query) -> ApiResult<DoraReport> {
    get_json(&format!("/api/v1/metrics/dora{}", query.encode())).await
}

pub async fn deployments(query: Query) -> ApiResult<Page<DeploymentRow>> {
    get_json(&format!("/api/v1/deployments{}", query.encode())).await
}

pub async fn deployment(id: String) -> ApiResult<DeploymentDetail> {
    get_json(&format!("/api/v1/deployments/{}", encode_component(&id))).await
}

pub async fn incidents(query: Query) -> ApiResult<Page<IncidentRow>> {
    get_json(&format!("/api/v1/incidents{}", query.encode())).await
}

pub async fn services() -> ApiResult<Vec<ServiceRow>> {
    get_json("/api/v1/services").await
}

pub async fn teams() -> ApiResult<Vec<TeamRow>> {
    get_json("/api/v1/teams").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_encode_and_skip_empty_values() {
        let q = Query::new()
            .set("from", "2024-03-04T00:00:00+09:00")
            .set("team", "")
            .set("service", "a b");
        assert_eq!(
            q.encode(),
            "?from=2024-03-04T00%3A00%3A00%2B09%3A00&service=a%20b"
        );
        assert_eq!(Query::new().encode(), "");
    }
}
