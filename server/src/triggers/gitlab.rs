//! Creating and steering GitLab CI/CD pipelines from the portal (REST API v4).
//!
//! Every request carries `PRIVATE-TOKEN` (a project, group or personal access token with the
//! `api` scope; the role must be at least Developer), `User-Agent: nagare/<version>` and
//! `Content-Type: application/json`. Nothing is retried: a pipeline created twice would run
//! twice. Errors are mapped from GitLab's status in one place ([`error_for`]) and never hold the
//! token.

use super::github::{redact, COMPONENT};
use percent_encoding::utf8_percent_encode;
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, USER_AGENT};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// A pipeline as GitLab answers it (the fields the portal keeps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipeline {
    pub id: u64,
    /// Its number within the project.
    #[serde(default)]
    pub iid: Option<u64>,
    pub web_url: String,
    /// `created`, `pending`, `running`, `success`, `failed`, `canceled`…
    pub status: String,
    #[serde(default)]
    pub sha: Option<String>,
    #[serde(rename = "ref")]
    pub git_ref: String,
}

/// Why a request to GitLab failed, in words that say what to fix. Never holds the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitlabError {
    /// 400: GitLab's message (an inputs or variables error, an unknown ref…).
    #[error("GitLab refused the pipeline (400): {message}")]
    BadRequest { message: String },
    /// 401.
    #[error(
        "GitLab rejected the token ({0}); check the trigger's GitLab token (it may have expired or been revoked)"
    )]
    Unauthorized(String),
    /// 403.
    #[error(
        "GitLab refused the request (403 {message}): the token needs the `api` scope and at least Developer role on the project"
    )]
    Forbidden { message: String },
    /// 404: `what` (`project group/app`, `pipeline 42 of group/app`).
    #[error("{what} not found (or the token cannot see the project)")]
    NotFound { what: String },
    /// 409.
    #[error("GitLab refused the request (409 conflict): {message}")]
    Conflict { message: String },
    /// 422.
    #[error("GitLab refused the request (422): {message}")]
    Unprocessable { message: String },
    /// 429. The request was not sent again.
    #[error(
        "GitLab's rate limit is reached; try again in {retry_after_secs} s (the request was not repeated)"
    )]
    RateLimited { retry_after_secs: u64 },
    /// The network, a 5xx, a reply that makes no sense.
    #[error("{0}")]
    Other(String),
}

/// A GitLab instance's pipelines API.
pub struct GitlabClient {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl std::fmt::Debug for GitlabClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitlabClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl GitlabClient {
    /// A client of the instance at `base_url` (`https://gitlab.com`).
    pub fn new(base_url: &str, token: String) -> anyhow::Result<GitlabClient> {
        let mut headers = HeaderMap::new();
        let mut private = HeaderValue::from_str(&token)
            .map_err(|_| anyhow::anyhow!("the GitLab token holds characters a header cannot"))?;
        private.set_sensitive(true);
        headers.insert("private-token", private);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let agent = format!("nagare/{}", env!("CARGO_PKG_VERSION"));
        headers.insert(USER_AGENT, HeaderValue::from_str(&agent)?);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(GitlabClient {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
            token,
        })
    }

    /// Creates a pipeline of `project` (its path, `group/sub/project`, or its numeric id) on
    /// `git_ref`, with typed `inputs` (`spec:inputs`) and `variables` (environment variables).
    pub async fn create_pipeline(
        &self,
        project: &str,
        git_ref: &str,
        inputs: &BTreeMap<String, Value>,
        variables: &BTreeMap<String, String>,
    ) -> Result<Pipeline, GitlabError> {
        let mut body = json!({ "ref": git_ref });
        if !inputs.is_empty() {
            body["inputs"] = json!(inputs);
        }
        if !variables.is_empty() {
            body["variables"] = variables
                .iter()
                .map(|(k, v)| json!({ "key": k, "value": v, "variable_type": "env_var" }))
                .collect();
        }
        let what = format!("project {project} (or ref {git_ref})");
        self.call(
            Method::POST,
            &format!("{}/pipeline", project_path(project)),
            Some(&body),
            &what,
        )
        .await
    }

    /// Retries a pipeline's failed and cancelled jobs (201).
    pub async fn retry(&self, project: &str, pipeline_id: u64) -> Result<Pipeline, GitlabError> {
        self.pipeline_call(Method::POST, project, pipeline_id, "/retry")
            .await
    }

    /// Cancels a pipeline's running jobs (200).
    pub async fn cancel(&self, project: &str, pipeline_id: u64) -> Result<Pipeline, GitlabError> {
        self.pipeline_call(Method::POST, project, pipeline_id, "/cancel")
            .await
    }

    /// A pipeline as GitLab shows it now.
    pub async fn pipeline(&self, project: &str, pipeline_id: u64) -> Result<Pipeline, GitlabError> {
        self.pipeline_call(Method::GET, project, pipeline_id, "")
            .await
    }

    async fn pipeline_call(
        &self,
        method: Method,
        project: &str,
        id: u64,
        action: &str,
    ) -> Result<Pipeline, GitlabError> {
        let path = format!("{}/pipelines/{id}{action}", project_path(project));
        let what = format!("pipeline {id} of {project}");
        self.call(method, &path, None, &what).await
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
    ) -> Result<Pipeline, GitlabError> {
        let url = format!("{}{path}", self.base);
        let label = format!("{method} {path}");
        let mut request = self.http.request(method, &url);
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let r = request
            .send()
            .await
            .map_err(|e| GitlabError::Other(format!("{label}: {}", e.without_url())))?;
        let status = r.status();
        let retry_after = r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let text = r.text().await.map_err(|e| {
            GitlabError::Other(format!(
                "{label}: the reply was cut short ({})",
                e.without_url()
            ))
        })?;
        if !status.is_success() {
            // GitLab's words are passed on, without the token should they echo it.
            let text = redact(text, &self.token);
            return Err(error_for(status, &text, retry_after, what, &label));
        }
        serde_json::from_str::<Pipeline>(&text).map_err(|e| {
            GitlabError::Other(format!("{label}: GitLab's reply is not a pipeline ({e})"))
        })
    }
}

/// A project's path or id as the API's one path segment (`group%2Fsub%2Fproject`).
fn project_path(project: &str) -> String {
    format!(
        "/api/v4/projects/{}",
        utf8_percent_encode(project.trim_matches('/'), COMPONENT)
    )
}

/// GitLab's `message` (text, a list, or an object of lists by field) or `error` as a line.
fn gitlab_message(body: &str) -> String {
    fn render(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Array(items) => items.iter().map(render).collect::<Vec<_>>().join("; "),
            Value::Object(fields) => fields
                .iter()
                .map(|(k, v)| {
                    if k == "base" {
                        render(v)
                    } else {
                        format!("{k}: {}", render(v))
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }
    match serde_json::from_str::<Value>(body) {
        Ok(v) => match (v.get("message"), v.get("error")) {
            (Some(m), _) => render(m),
            (None, Some(e)) => {
                let mut s = render(e);
                if let Some(d) = v["error_description"].as_str() {
                    s = format!("{s}: {d}");
                }
                s
            }
            (None, None) => render(&v),
        },
        Err(_) => nagare_core::text::printable(body.trim(), 200),
    }
}

/// GitLab's status as an error: every status is mapped here, and only here.
fn error_for(
    status: StatusCode,
    body: &str,
    retry_after: Option<u64>,
    what: &str,
    label: &str,
) -> GitlabError {
    let message = gitlab_message(body);
    match status.as_u16() {
        400 => GitlabError::BadRequest { message },
        401 => GitlabError::Unauthorized(format!("401 {message}")),
        403 => GitlabError::Forbidden { message },
        404 => GitlabError::NotFound {
            what: what.to_owned(),
        },
        409 => GitlabError::Conflict { message },
        422 => GitlabError::Unprocessable { message },
        429 => GitlabError::RateLimited {
            retry_after_secs: retry_after.unwrap_or(60),
        },
        _ => GitlabError::Other(format!("{label}: GitLab answered {status}: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_path_is_one_segment() {
        assert_eq!(
            project_path("group/sub/my.project"),
            "/api/v4/projects/group%2Fsub%2Fmy.project"
        );
        assert_eq!(project_path("42"), "/api/v4/projects/42");
    }

    #[test]
    fn gitlab_messages_of_every_shape_are_rendered() {
        assert_eq!(
            gitlab_message(r#"{"message":{"base":["`env` input: `qa` is not allowed"]}}"#),
            "`env` input: `qa` is not allowed"
        );
        let both = gitlab_message(r#"{"message":{"ref":["is invalid"],"base":["x","y"]}}"#);
        assert!(
            both.contains("ref: is invalid") && both.contains("x; y"),
            "{both}"
        );
        assert_eq!(
            gitlab_message(r#"{"message":"403 Forbidden"}"#),
            "403 Forbidden"
        );
        assert_eq!(
            gitlab_message(r#"{"error":"insufficient_scope","error_description":"needs api"}"#),
            "insufficient_scope: needs api"
        );
        assert_eq!(gitlab_message("Bad gateway"), "Bad gateway");
    }
}
