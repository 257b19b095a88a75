//! `POST /hooks/github`: GitHub's webhooks (docs/sources/github.md).
//!
//! - **Signature**: `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw body under
//!   one of `sources.github.secrets` (several while one is rotated), in constant time.
//! - **Delivery id**: `X-GitHub-Delivery`; a redelivery changes nothing.
//! - **Event type**: `X-GitHub-Event`. The payload is mapped by `nagare_core::github` and each
//!   event merged into the stored one of its key, so that deliveries in any order (a
//!   `deployment_status` before its `deployment`, a job before its run) end in one state.
//! - **Body**: `application/json` (the webhook's "Content type" setting).

use super::{Mapped, Source};
use crate::config::GithubSourceConfig;
use crate::error::{ApiError, ApiResult};
use crate::http::body;
use axum::http::{header, HeaderMap};
use nagare_core::events::EventKey;
use nagare_core::github::{self, Rules};

pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";
pub const DELIVERY_HEADER: &str = "x-github-delivery";
pub const EVENT_HEADER: &str = "x-github-event";

/// The events to tick in GitHub's webhook settings, as GitHub labels them.
pub const EVENTS: [(&str, &str); 8] = [
    ("push", "Pushes"),
    ("pull_request", "Pull requests"),
    ("pull_request_review", "Pull request reviews"),
    ("deployment", "Deployments"),
    ("deployment_status", "Deployment statuses"),
    ("workflow_run", "Workflow runs"),
    ("workflow_job", "Workflow jobs"),
    ("issues", "Issues"),
];

pub struct Github {
    secrets: Vec<Vec<u8>>,
    rules: Rules,
}

impl Github {
    /// The source, when it has at least one secret; its rules checked.
    pub fn from_config(c: &GithubSourceConfig) -> anyhow::Result<Option<Github>> {
        let secrets = super::secrets("sources.github", &c.secrets, c.secrets_file.as_deref())?;
        let rules = c.rules().map_err(anyhow::Error::msg)?;
        Ok((!secrets.is_empty()).then_some(Github { secrets, rules }))
    }

    /// The source's mapping alone (no secrets needed), for a backfill.
    pub fn mapping(c: &GithubSourceConfig) -> anyhow::Result<Github> {
        let rules = c.rules().map_err(anyhow::Error::msg)?;
        Ok(Github {
            secrets: Vec::new(),
            rules,
        })
    }
}

impl Source for Github {
    fn name(&self) -> &'static str {
        "github"
    }

    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
        super::verify_sha256(SIGNATURE_HEADER, &self.secrets, headers, body)
    }

    fn delivery_id(&self, headers: &HeaderMap) -> Option<String> {
        super::header_text(headers, DELIVERY_HEADER)
    }

    fn event_header(&self) -> Option<&'static str> {
        Some(EVENT_HEADER)
    }

    fn unmapped_hint(&self, body: &[u8]) -> Option<(String, String)> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        let repo = v.pointer("/repository/full_name")?.as_str()?;
        let service = repo.rsplit('/').next().unwrap_or(repo);
        let quote = |s: &str| serde_json::Value::String(s.to_owned()).to_string();
        Some((
            repo.to_owned(),
            format!(
                "[[sources.github.repos]]\nrepo = {}\nservice = {}",
                quote(repo),
                quote(service)
            ),
        ))
    }

    fn replayable(&self) -> bool {
        true
    }

    fn replay_keys(&self, headers: &HeaderMap, body: &[u8]) -> Vec<EventKey> {
        let event = super::header_text(headers, EVENT_HEADER).unwrap_or_default();
        github::keys(&event, body, &self.rules)
    }

    fn map(&self, headers: &HeaderMap, payload: &[u8]) -> ApiResult<Mapped> {
        let form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if form {
            return Err(ApiError::UnsupportedMediaType(
                "the body is form-encoded; set the webhook's Content type to `application/json` in GitHub (Settings → Webhooks → Edit), then redeliver".into(),
            ));
        }
        body::kind(headers, false)?;
        let Some(event) = super::header_text(headers, EVENT_HEADER) else {
            return Err(ApiError::BadRequest {
                error: format!("no `{EVENT_HEADER}` header: GitHub names the event type in it"),
                line: None,
                field: None,
            });
        };
        match github::map(&event, payload, &self.rules) {
            Ok(github::Mapped::Events(events, notes)) => {
                Ok(Mapped::Merged(events, github::merge, notes))
            }
            Ok(github::Mapped::Ping(s)) => Ok(Mapped::Ping(s)),
            Ok(github::Mapped::Ignored(s)) => Ok(Mapped::Ignored(s)),
            Ok(github::Mapped::Unmapped(s)) => Ok(Mapped::Unmapped(s)),
            Err(e) => {
                let error = format!(
                    "`{}` payload: {}",
                    nagare_core::text::printable(&event, 60),
                    e.message
                );
                Err(if e.malformed {
                    ApiError::BadRequest {
                        error,
                        line: None,
                        field: e.field,
                    }
                } else {
                    ApiError::Unprocessable {
                        error,
                        line: None,
                        field: e.field,
                    }
                })
            }
        }
    }
}

/// The catalogue the repository rules declare: each exact `[[sources.github.repos]]` rule's
/// service with its repository (the first rule naming a service wins), so that its
/// deployments' lead times follow that repository's commits. `owner/*` rules map deliveries
/// only. Kept in step with the configuration: a service no rule declares any more is removed.
pub async fn declare_services(
    store: &crate::store::Store,
    c: &GithubSourceConfig,
) -> Result<crate::store::RebuildCounts, crate::store::StoreError> {
    let web = c.web_url();
    let mut states = std::collections::HashMap::new();
    for r in c.repos.iter().filter(|r| !r.repo.ends_with("/*")) {
        let service = nagare_core::events::Service {
            source: github::SOURCE.into(),
            name: r.service.trim().to_owned(),
            repo: Some(r.repo.clone()),
            repo_url: Some(format!("{web}/{}", r.repo)),
            teams: r.teams.iter().map(|t| t.trim().to_owned()).collect(),
            path_prefix: r
                .path
                .as_deref()
                .map(|p| p.trim().trim_matches('/').to_owned())
                .filter(|p| !p.is_empty()),
            tier: None,
        };
        let event = nagare_core::Event::Service(service);
        states
            .entry(event.key())
            .or_insert(nagare_core::github::Versioned { event, version: 0 });
    }
    store.set_events_of("service", github::SOURCE, states).await
}
