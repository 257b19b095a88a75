//! Reading events from text: strict JSON (a duplicate key is an error, not "last one wins"),
//! no NUL in any string, and errors that name the line and the field.
//!
//! A body is a JSON array, NDJSON (one event per line, blank lines ignored), or one JSON object.
//! Arrays are read element by element, so no tree of the whole body is ever built.

use super::strict::{strict_value, Strict};
use super::{DeploymentStatus, Event, KINDS};
use crate::text::printable;
use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::Serialize;
use serde_json::Value;
use std::fmt;

impl Event {
    /// Parses one event from a JSON value, naming the field at fault on error.
    pub fn from_value(value: Value) -> Result<Event, EventError> {
        if let Some(field) = nul_path(&value, &mut String::new()) {
            return Err(EventError {
                message: format!(
                    "field `{field}` contains a NUL character (\\u0000); text fields must not hold it"
                ),
                field: Some(field),
                malformed: true,
            });
        }
        let kind = match value.get("kind") {
            Some(Value::String(k)) => k.clone(),
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
                    printable(&kind, 40),
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
            "team" => typed(value).map(Event::Team),
            _ => typed(value).map(Event::SliSample),
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
            Event::SliSample(s) => {
                non_empty(&s.slo, "slo")?;
                for (v, field) in [(s.good, "good"), (s.total, "total")] {
                    if !v.is_finite() || v < 0.0 {
                        return Err(EventError::new(
                            format!("`{field}` must be a count of events, 0 or more (got {v})"),
                            Some(field),
                        ));
                    }
                }
                if s.good > s.total {
                    return Err(EventError::new(
                        format!(
                            "`good` ({}) is more than `total` ({}); good events are part of the total",
                            s.good, s.total
                        ),
                        Some("good"),
                    ));
                }
                Ok(())
            }
        }
    }
}

/// The path (`jobs[0].name`) of the first string or key holding a NUL, if any. PostgreSQL
/// cannot store NUL in text, and event keys use it as a separator.
fn nul_path(v: &Value, path: &mut String) -> Option<String> {
    match v {
        Value::String(s) if s.contains('\0') => Some(display_path(path)),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = nul_path(item, path);
            path.truncate(len);
            found
        }),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&printable(k, 60));
            let found = if k.contains('\0') {
                Some(display_path(path))
            } else {
                nul_path(item, path)
            };
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

fn display_path(path: &str) -> String {
    if path.is_empty() {
        ".".to_owned()
    } else {
        path.to_owned()
    }
}

fn typed<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, EventError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = printable(&e.into_inner().to_string(), 300);
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
        EventError {
            message,
            field,
            malformed: false,
        }
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
    /// The text itself is unacceptable (a NUL character), rather than a value in it (400, not 422).
    pub malformed: bool,
}

impl EventError {
    fn new(message: impl Into<String>, field: Option<&str>) -> Self {
        EventError {
            message: message.into(),
            field: field.map(str::to_owned),
            malformed: false,
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
    /// The text was not acceptable JSON (rather than JSON with a bad event in it): 400, not 422.
    #[serde(skip)]
    pub malformed: bool,
}

impl BatchError {
    fn at(line: usize, prefix: &str, e: EventError) -> BatchError {
        BatchError {
            error: format!("{prefix}: {}", e.message),
            line,
            field: e.field,
            malformed: e.malformed,
        }
    }

    fn json(line: usize, error: String) -> BatchError {
        BatchError {
            error,
            line,
            field: None,
            malformed: true,
        }
    }
}

/// Reads a JSON array of events element by element, numbering them from 1; the first bad
/// event is kept in `failed` and stops the read.
struct EventSeq<'a> {
    failed: &'a mut Option<BatchError>,
}

impl<'de> DeserializeSeed<'de> for EventSeq<'_> {
    type Value = Vec<(usize, Event)>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EventSeq<'_> {
    type Value = Vec<(usize, Event)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            let n = out.len() + 1;
            match Event::from_value(v) {
                Ok(e) => out.push((n, e)),
                Err(e) => {
                    *self.failed = Some(BatchError::at(n, &format!("event {n}"), e));
                    return Err(de::Error::custom("stopped at a bad event"));
                }
            }
        }
        Ok(out)
    }
}

/// Parses a batch: a JSON array of events, one JSON object, or NDJSON (one event per line, blank
/// lines ignored). The whole batch fails on the first bad event, so that nothing of it is stored.
pub fn parse_batch(body: &str, ndjson: bool) -> Result<Vec<Event>, BatchError> {
    parse_numbered(body, ndjson).map(|v| v.into_iter().map(|(_, e)| e).collect())
}

/// [`parse_batch`], with each event's line (for an array, its element number), so that later
/// checks can name the line of the event they refuse.
pub fn parse_numbered(body: &str, ndjson: bool) -> Result<Vec<(usize, Event)>, BatchError> {
    let trimmed = body.trim_start();
    if !ndjson && trimmed.starts_with('[') {
        let mut failed = None;
        let mut de = serde_json::Deserializer::from_str(body);
        let parsed = EventSeq {
            failed: &mut failed,
        }
        .deserialize(&mut de)
        .and_then(|events| de.end().map(|()| events));
        return match (parsed, failed) {
            (_, Some(e)) => Err(e),
            (Ok(events), None) => Ok(events),
            (Err(e), None) => Err(BatchError::json(
                e.line(),
                format!(
                    "malformed JSON at line {} column {}: {}",
                    e.line(),
                    e.column(),
                    printable(&e.to_string(), 300)
                ),
            )),
        };
    }
    // One object, possibly spread over several lines.
    if !ndjson && trimmed.starts_with('{') {
        if let Ok(value) = strict_value(body) {
            return Event::from_value(value)
                .map(|e| vec![(1, e)])
                .map_err(|e| BatchError::at(1, "line 1", e));
        }
    }
    let mut events = Vec::new();
    for (i, line) in body.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        events.push((i + 1, parse_line(line, i + 1)?));
    }
    if events.is_empty() && !trimmed.is_empty() && !ndjson && !trimmed.starts_with('{') {
        return Err(BatchError::json(
            1,
            "expected a JSON array of events or NDJSON (one JSON object per line)".into(),
        ));
    }
    Ok(events)
}

/// Parses one NDJSON line; `line` is its 1-based number, for the error.
pub fn parse_line(line: &str, number: usize) -> Result<Event, BatchError> {
    let value = strict_value(line).map_err(|e| {
        BatchError::json(
            number,
            format!(
                "line {number}: malformed JSON at column {}: {}",
                e.column(),
                printable(&e.to_string(), 300)
            ),
        )
    })?;
    Event::from_value(value).map_err(|e| BatchError::at(number, &format!("line {number}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EnvironmentTier;
    use crate::time::Timestamp;

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
    fn duplicate_keys_are_refused_not_resolved() {
        let dup = DEPLOY.replace(
            r#""service":"api""#,
            r#""service":"api","service":"ledger""#,
        );
        for body in [dup.clone(), format!("[{dup}]")] {
            let err = parse_batch(&body, false).unwrap_err();
            assert!(err.malformed, "{}", err.error);
            assert!(
                err.error.contains("duplicate key `service`"),
                "{}",
                err.error
            );
        }
        let nested = r#"{"kind":"pipeline_run","provider":"g","id":1,"repo":"a/b","workflow":"ci","status":"done","jobs":[{"name":"a","name":"b"}]}"#;
        assert!(parse_batch(nested, true)
            .unwrap_err()
            .error
            .contains("duplicate key `name`"));
    }

    #[test]
    fn nul_in_any_string_is_refused_with_its_field() {
        let body = DEPLOY.replace(r#""service":"api""#, r#""service":"a\u0000pi""#);
        let err = parse_batch(&body, true).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("service"));
        assert!(err.malformed && err.error.contains("NUL"), "{}", err.error);
        let run = r#"{"kind":"pipeline_run","provider":"g","id":1,"repo":"a/b","workflow":"ci","status":"done","jobs":[{"name":"x\u0000"}]}"#;
        assert_eq!(
            parse_batch(run, true).unwrap_err().field.as_deref(),
            Some("jobs[0].name")
        );
        let key = DEPLOY.replace(r#""sha":"c3""#, r#""sha":"c3","x\u0000":1"#);
        assert!(parse_batch(&key, true).unwrap_err().error.contains("NUL"));
        // Echoed values never carry the raw character.
        let kind = r#"{"kind":"de\u0000ploy"}"#;
        assert!(!parse_batch(kind, true).unwrap_err().error.contains('\u{0}'));
    }

    #[test]
    fn hostile_shapes_are_errors() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_batch(&deep, false).unwrap_err().malformed);
        let deep_obj = format!(
            r#"{{"kind":"team","name":"t","x":{}1{}}}"#,
            "[".repeat(5000),
            "]".repeat(5000)
        );
        assert!(parse_batch(&deep_obj, true).is_err());
        let huge = DEPLOY.replace(r#""sha":"c3""#, r#""sha":"c3","n":1e999999"#);
        assert!(parse_batch(&huge, true).is_err());
        let big_int = r#"{"kind":"pull_request","repo":"a/b","id":123456789012345678901234567890,"opened_at":"2024-01-01T00:00:00Z"}"#;
        assert_eq!(
            parse_batch(big_int, true).unwrap_err().field.as_deref(),
            Some("id")
        );
        let truncated = &DEPLOY[..DEPLOY.len() / 2];
        assert!(parse_batch(truncated, true).unwrap_err().malformed);
        let mid = format!("{DEPLOY}\n{{\"kind\":\"team\"}}\n{DEPLOY}");
        assert_eq!(parse_batch(&mid, true).unwrap_err().line, 2);
        let numbered = parse_numbered(&format!("\n{DEPLOY}\n\n{DEPLOY}"), true).unwrap();
        assert_eq!(
            numbered.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            vec![2, 4]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Any text, in both modes: events or a precise error, never a panic.
        #[test]
        fn any_text_is_events_or_a_precise_error(s in "\\PC{0,200}", ndjson: bool) {
            if let Err(e) = parse_batch(&s, ndjson) {
                proptest::prop_assert!(!e.error.is_empty());
                proptest::prop_assert!(e.line >= 1);
                proptest::prop_assert!(!e.error.contains('\u{0}'), "{}", e.error);
            }
        }

        /// Bytes of a valid sample flipped, cut or doubled: the same promise.
        #[test]
        fn mutated_samples_never_panic(
            pos in 0usize..400,
            byte in proptest::num::u8::ANY,
            cut in proptest::bool::ANY,
            ndjson: bool,
        ) {
            let sample = format!("[{DEPLOY},{}]", r#"{"kind":"pipeline_run","provider":"github","id":9001,"repo":"a/b","workflow":"ci","status":"completed","jobs":[{"name":"t","started_at":"2024-01-01T00:00:00Z"}]}"#);
            let mut bytes = sample.into_bytes();
            let at = pos % bytes.len();
            if cut { bytes.truncate(at) } else { bytes[at] = byte }
            if let Ok(text) = std::str::from_utf8(&bytes) {
                if let Err(e) = parse_batch(text, ndjson) {
                    proptest::prop_assert!(!e.error.is_empty() && e.line >= 1);
                }
            }
        }
    }

    proptest::proptest! {
        /// Characters of a valid sample replaced by any character (multi-byte ones in times too).
        #[test]
        fn samples_with_any_character_replaced_never_panic(
            pos in 0usize..220,
            c in proptest::char::any(),
            ndjson: bool,
        ) {
            let mut chars: Vec<char> = DEPLOY.chars().collect();
            let at = pos % chars.len();
            chars[at] = c;
            let text: String = chars.into_iter().collect();
            if let Err(e) = parse_batch(&text, ndjson) {
                proptest::prop_assert!(!e.error.is_empty() && e.line >= 1);
            }
        }
    }

    #[test]
    fn events_round_trip_through_json() {
        let e = parse_batch(DEPLOY, true).unwrap().remove(0);
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(Event::from_value(v).unwrap(), e);
    }
}
