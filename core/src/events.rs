//! Canonical events: the shapes accepted by `POST /api/v1/events` and `nagare import`.
//!
//! An event is identified by `(kind, source, id)`; posting it again replaces it in place.
//! See `api-contract.md` for the public contract these types implement.

use crate::time::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

fn default_source() -> String {
    "api".to_owned()
}

/// A string that may arrive as a JSON number too (pull-request numbers, pipeline run ids).
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        S(String),
        N(i64),
    }
    match Either::deserialize(d) {
        Ok(Either::S(s)) => Ok(s),
        Ok(Either::N(n)) => Ok(n.to_string()),
        Err(_) => Err(serde::de::Error::custom("expected a string or an integer")),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commit {
    #[serde(default = "default_source")]
    pub source: String,
    pub repo: String,
    pub sha: String,
    /// Parent shas; empty for a root commit. Two or more for a merge.
    #[serde(default)]
    pub parents: Vec<String>,
    #[serde(default)]
    pub author: Option<String>,
    pub authored_at: Timestamp,
    #[serde(default)]
    pub committed_at: Option<Timestamp>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullRequest {
    #[serde(default = "default_source")]
    pub source: String,
    pub repo: String,
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    pub opened_at: Timestamp,
    #[serde(default)]
    pub first_review_at: Option<Timestamp>,
    #[serde(default)]
    pub merged_at: Option<Timestamp>,
    #[serde(default)]
    pub merge_commit: Option<String>,
    /// The shas of the pull request's own commits.
    #[serde(default)]
    pub commits: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentStatus {
    Success,
    Failure,
    InProgress,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeType {
    #[default]
    Normal,
    Hotfix,
    Rollback,
}

/// Environment tiers, as GitLab names them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum EnvironmentTier {
    #[default]
    Production,
    Staging,
    Testing,
    Development,
    Other,
}

impl EnvironmentTier {
    pub const ALL: [EnvironmentTier; 5] = [
        EnvironmentTier::Production,
        EnvironmentTier::Staging,
        EnvironmentTier::Testing,
        EnvironmentTier::Development,
        EnvironmentTier::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EnvironmentTier::Production => "production",
            EnvironmentTier::Staging => "staging",
            EnvironmentTier::Testing => "testing",
            EnvironmentTier::Development => "development",
            EnvironmentTier::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// GitLab's default mapping from an environment name to its tier.
    pub fn from_environment_name(name: &str) -> Self {
        let n = name.to_ascii_lowercase();
        let has = |words: &[&str]| {
            words
                .iter()
                .any(|w| n.split(['-', '_', '/', '.', ' ']).any(|p| p == *w))
        };
        if has(&["prod", "production", "live"]) {
            EnvironmentTier::Production
        } else if has(&["stag", "staging", "model", "demo", "pre", "preprod"]) {
            EnvironmentTier::Staging
        } else if has(&["test", "testing", "qc", "qa"]) {
            EnvironmentTier::Testing
        } else if has(&["dev", "development", "review", "trunk"]) {
            EnvironmentTier::Development
        } else {
            EnvironmentTier::Other
        }
    }
}

impl fmt::Display for EnvironmentTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    #[serde(default = "default_source")]
    pub source: String,
    pub id: String,
    pub service: String,
    pub environment: String,
    /// Overrides the tier mapped from the environment name.
    #[serde(default)]
    pub environment_tier: Option<EnvironmentTier>,
    pub status: DeploymentStatus,
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    #[serde(default)]
    pub finished_at: Option<Timestamp>,
    pub sha: String,
    #[serde(default)]
    pub change_type: ChangeType,
    /// The id of an incident this deployment remediates.
    #[serde(default)]
    pub remediates: Option<String>,
    /// Set when a deployment that succeeded was later judged to have failed in production
    /// (for example by a reviewer in the portal). It then counts as a change failure.
    #[serde(default)]
    pub marked_failed: bool,
    /// The commits pushed with this deployment, as a push event lists them. Used only when the
    /// commit graph is incomplete.
    #[serde(default)]
    pub commits: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    #[serde(default = "default_source")]
    pub source: String,
    pub id: String,
    pub service: String,
    #[serde(default)]
    pub title: Option<String>,
    pub started_at: Timestamp,
    #[serde(default)]
    pub resolved_at: Option<Timestamp>,
    #[serde(default)]
    pub severity: Option<String>,
    /// A deployment id (or a deployed sha) named as the cause. Wins over time-window attribution.
    #[serde(default)]
    pub caused_by_deployment: Option<String>,
    /// Not caused by a deployment: listed, never attributed.
    #[serde(default)]
    pub excluded: bool,
    #[serde(default)]
    pub remediated_by_deployment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineJob {
    pub name: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    #[serde(default)]
    pub finished_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineRun {
    #[serde(default = "default_source")]
    pub source: String,
    pub provider: String,
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    pub repo: String,
    pub workflow: String,
    #[serde(default)]
    pub branch: Option<String>,
    #[serde(default)]
    pub sha: Option<String>,
    #[serde(default)]
    pub trigger: Option<String>,
    pub status: String,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub queued_at: Option<Timestamp>,
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    #[serde(default)]
    pub finished_at: Option<Timestamp>,
    #[serde(default)]
    pub attempt: Option<u32>,
    #[serde(default)]
    pub jobs: Vec<PipelineJob>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    #[serde(default = "default_source")]
    pub source: String,
    pub name: String,
    #[serde(default)]
    pub repo: Option<String>,
    /// Web address of the repository, used to link shas (`{repo_url}/commit/{sha}`).
    #[serde(default)]
    pub repo_url: Option<String>,
    #[serde(default)]
    pub teams: Vec<String>,
    #[serde(default)]
    pub path_prefix: Option<String>,
    #[serde(default)]
    pub tier: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    #[serde(default = "default_source")]
    pub source: String,
    pub name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub members: Vec<String>,
}

/// One canonical event. Serialized with its `kind` tag, exactly as it is accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    Commit(Commit),
    PullRequest(PullRequest),
    Deployment(Deployment),
    Incident(Incident),
    PipelineRun(PipelineRun),
    Service(Service),
    Team(Team),
}

/// The identity of an event: posting the same key again updates the event in place.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventKey {
    pub kind: &'static str,
    pub source: String,
    pub id: String,
}

pub const KINDS: [&str; 7] = [
    "commit",
    "pull_request",
    "deployment",
    "incident",
    "pipeline_run",
    "service",
    "team",
];

impl Event {
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Commit(_) => "commit",
            Event::PullRequest(_) => "pull_request",
            Event::Deployment(_) => "deployment",
            Event::Incident(_) => "incident",
            Event::PipelineRun(_) => "pipeline_run",
            Event::Service(_) => "service",
            Event::Team(_) => "team",
        }
    }

    pub fn source(&self) -> &str {
        match self {
            Event::Commit(e) => &e.source,
            Event::PullRequest(e) => &e.source,
            Event::Deployment(e) => &e.source,
            Event::Incident(e) => &e.source,
            Event::PipelineRun(e) => &e.source,
            Event::Service(e) => &e.source,
            Event::Team(e) => &e.source,
        }
    }

    /// The id within `(kind, source)`. Commits are keyed by `repo@sha`, pull requests by
    /// `repo#id`, pipeline runs by `provider:id`, services and teams by name.
    pub fn id(&self) -> String {
        match self {
            Event::Commit(e) => format!("{}@{}", e.repo, e.sha),
            Event::PullRequest(e) => format!("{}#{}", e.repo, e.id),
            Event::Deployment(e) => e.id.clone(),
            Event::Incident(e) => e.id.clone(),
            Event::PipelineRun(e) => format!("{}:{}", e.provider, e.id),
            Event::Service(e) => e.name.clone(),
            Event::Team(e) => e.name.clone(),
        }
    }

    pub fn key(&self) -> EventKey {
        EventKey {
            kind: self.kind(),
            source: self.source().to_owned(),
            id: self.id(),
        }
    }

    /// Parses one event from a JSON value, naming the field at fault on error.
    pub fn from_value(value: serde_json::Value) -> Result<Event, EventError> {
        let kind = match value.get("kind") {
            Some(serde_json::Value::String(k)) => k.clone(),
            Some(_) => return Err(EventError::new("`kind` must be a string", Some("kind"))),
            None if value.is_object() => {
                return Err(EventError::new(
                    format!("missing field `kind`; expected one of {}", KINDS.join(", ")),
                    Some("kind"),
                ))
            }
            None => return Err(EventError::new("an event must be a JSON object", None)),
        };
        if !KINDS.contains(&kind.as_str()) {
            return Err(EventError::new(
                format!(
                    "unknown kind `{}`; expected one of {}",
                    kind.chars().take(40).collect::<String>(),
                    KINDS.join(", ")
                ),
                Some("kind"),
            ));
        }
        let event = match kind.as_str() {
            "commit" => typed(value).map(Event::Commit),
            "pull_request" => typed(value).map(Event::PullRequest),
            "deployment" => typed(value).map(Event::Deployment),
            "incident" => typed(value).map(Event::Incident),
            "pipeline_run" => typed(value).map(Event::PipelineRun),
            "service" => typed(value).map(Event::Service),
            _ => typed(value).map(Event::Team),
        }?;
        event.validate()?;
        Ok(event)
    }

    /// Checks that serde cannot express: non-empty ids, and times a finished state needs.
    fn validate(&self) -> Result<(), EventError> {
        let non_empty = |v: &str, field: &'static str| {
            if v.trim().is_empty() {
                Err(EventError::new(
                    format!("`{field}` must not be empty"),
                    Some(field),
                ))
            } else {
                Ok(())
            }
        };
        match self {
            Event::Commit(c) => {
                non_empty(&c.repo, "repo")?;
                non_empty(&c.sha, "sha")
            }
            Event::PullRequest(p) => {
                non_empty(&p.repo, "repo")?;
                non_empty(&p.id, "id")
            }
            Event::Deployment(d) => {
                non_empty(&d.id, "id")?;
                non_empty(&d.service, "service")?;
                non_empty(&d.sha, "sha")?;
                let finished = matches!(
                    d.status,
                    DeploymentStatus::Success | DeploymentStatus::Failure
                );
                if finished && d.finished_at.is_none() {
                    return Err(EventError::new(
                        "a deployment with status success or failure needs `finished_at`",
                        Some("finished_at"),
                    ));
                }
                if let (Some(s), Some(f)) = (d.started_at, d.finished_at) {
                    if f < s {
                        return Err(EventError::new(
                            format!("`finished_at` ({f}) is before `started_at` ({s})"),
                            Some("finished_at"),
                        ));
                    }
                }
                Ok(())
            }
            Event::Incident(i) => {
                non_empty(&i.id, "id")?;
                non_empty(&i.service, "service")?;
                if let Some(r) = i.resolved_at {
                    if r < i.started_at {
                        return Err(EventError::new(
                            format!(
                                "`resolved_at` ({r}) is before `started_at` ({})",
                                i.started_at
                            ),
                            Some("resolved_at"),
                        ));
                    }
                }
                Ok(())
            }
            Event::PipelineRun(r) => {
                non_empty(&r.provider, "provider")?;
                non_empty(&r.id, "id")
            }
            Event::Service(s) => non_empty(&s.name, "name"),
            Event::Team(t) => non_empty(&t.name, "name"),
        }
    }
}

fn typed<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, EventError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde reports a missing field at the parent path; name the field itself.
        let field = match missing_field(&inner) {
            Some(name) if path == "." => Some(name),
            Some(name) => Some(format!("{path}.{name}")),
            None if path == "." => None,
            None => Some(path),
        };
        let message = match &field {
            Some(f) if !inner.starts_with("missing field") => format!("field `{f}`: {inner}"),
            _ => inner,
        };
        EventError { message, field }
    })
}

fn missing_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_owned())
}

/// Why one event was rejected, and which field is at fault when one is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EventError {
    pub message: String,
    pub field: Option<String>,
}

impl EventError {
    fn new(message: impl Into<String>, field: Option<&str>) -> Self {
        EventError {
            message: message.into(),
            field: field.map(str::to_owned),
        }
    }
}

/// Why a batch was rejected: the first bad line (1-based; for a JSON array, the element number).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("line {line}: {error}")]
pub struct BatchError {
    pub error: String,
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The text was not JSON at all (rather than JSON with a bad event in it).
    #[serde(skip)]
    pub malformed: bool,
}

/// Parses a batch: a JSON array of events, or NDJSON (one event per line, blank lines ignored).
/// The whole batch fails on the first bad event, so that nothing of it is stored.
pub fn parse_batch(body: &str, ndjson: bool) -> Result<Vec<Event>, BatchError> {
    let trimmed = body.trim_start();
    if !ndjson && trimmed.starts_with('[') {
        let values: Vec<serde_json::Value> =
            serde_json::from_str(body).map_err(|e| BatchError {
                error: format!(
                    "malformed JSON at line {} column {}: {e}",
                    e.line(),
                    e.column()
                ),
                line: e.line(),
                field: None,
                malformed: true,
            })?;
        return values
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                Event::from_value(v).map_err(|e| BatchError {
                    error: format!("event {}: {}", i + 1, e.message),
                    line: i + 1,
                    field: e.field,
                    malformed: false,
                })
            })
            .collect();
    }
    let mut events = Vec::new();
    for (i, line) in body.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        events.push(parse_line(line, i + 1)?);
    }
    if events.is_empty() && !trimmed.is_empty() && !ndjson && !trimmed.starts_with('{') {
        return Err(BatchError {
            error: "expected a JSON array of events or NDJSON (one JSON object per line)".into(),
            line: 1,
            field: None,
            malformed: true,
        });
    }
    Ok(events)
}

/// Parses one NDJSON line; `line` is its 1-based number, for the error.
pub fn parse_line(line: &str, number: usize) -> Result<Event, BatchError> {
    let value: serde_json::Value = serde_json::from_str(line).map_err(|e| BatchError {
        error: format!(
            "line {number}: malformed JSON at column {}: {e}",
            e.column()
        ),
        line: number,
        field: None,
        malformed: true,
    })?;
    Event::from_value(value).map_err(|e| BatchError {
        error: format!("line {number}: {}", e.message),
        line: number,
        field: e.field,
        malformed: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOY: &str = r#"{"kind":"deployment","id":"d-42","service":"api","environment":"production","status":"success","started_at":"2024-05-01T10:00:00Z","finished_at":"2024-05-01T10:10:00Z","sha":"c3","change_type":"normal"}"#;

    #[test]
    fn parses_the_contract_examples() {
        let e = parse_batch(DEPLOY, true).unwrap();
        let Event::Deployment(d) = &e[0] else {
            panic!("not a deployment")
        };
        assert_eq!(d.source, "api");
        assert_eq!(
            d.finished_at,
            Some(Timestamp::parse("2024-05-01T10:10:00Z").unwrap())
        );
        assert_eq!(e[0].key().id, "d-42");
        let pr = r#"[{"kind":"pull_request","repo":"acme/api","id":17,"opened_at":"2024-05-01T10:00:00Z","commits":["c2"]}]"#;
        let e = parse_batch(pr, false).unwrap();
        assert_eq!(e[0].key().id, "acme/api#17");
    }

    #[test]
    fn names_the_line_and_field() {
        let body = format!("{DEPLOY}\n{{not json\n{DEPLOY}");
        let err = parse_batch(&body, true).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.error.contains("malformed JSON"), "{}", err.error);

        let zoneless = DEPLOY.replace("10:10:00Z", "10:10:00");
        let err = parse_batch(&zoneless, true).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("finished_at"));
        assert!(err.error.contains("has no zone"), "{}", err.error);

        let missing = DEPLOY.replace(r#""sha":"c3","#, "");
        let err = parse_batch(&missing, true).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("sha"));

        let bad_sha = DEPLOY.replace(r#""sha":"c3""#, r#""sha":42"#);
        let err = parse_batch(&bad_sha, true).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("sha"));
        assert!(err.error.contains("expected a string"), "{}", err.error);

        let unknown = r#"[{"kind":"nonsense","id":"x"}]"#;
        let err = parse_batch(unknown, false).unwrap_err();
        assert_eq!((err.line, err.field.as_deref()), (1, Some("kind")));
        assert!(err.error.contains("unknown kind `nonsense`"));
    }

    #[test]
    fn nested_fields_are_named_by_path() {
        let run = r#"{"kind":"pipeline_run","provider":"github","id":9001,"repo":"a/b","workflow":"ci","status":"completed","jobs":[{"name":"t","started_at":"2024-01-01T00:00:00"}]}"#;
        let err = parse_batch(run, true).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("jobs[0].started_at"));
    }

    #[test]
    fn finished_deployments_need_a_finish_time() {
        let body = DEPLOY.replace(r#""finished_at":"2024-05-01T10:10:00Z","#, "");
        let err = parse_batch(&body, true).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("finished_at"));
    }

    #[test]
    fn environment_names_map_to_gitlab_tiers() {
        use EnvironmentTier::*;
        for (name, tier) in [
            ("production", Production),
            ("prod-eu", Production),
            ("live", Production),
            ("staging", Staging),
            ("qa", Testing),
            ("review/feature-1", Development),
            ("sandbox", Other),
        ] {
            assert_eq!(EnvironmentTier::from_environment_name(name), tier, "{name}");
        }
    }

    #[test]
    fn events_round_trip_through_json() {
        let e = parse_batch(DEPLOY, true).unwrap().remove(0);
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(Event::from_value(v).unwrap(), e);
    }
}
