//! What an outside probe found (issue 7), each as a test that failed before its fix:
//! - `access`: repeated parameters, object scope, scoped ingest and tokens, sign-in targets,
//!   login CSRF, cross-site writes and the `Host` check;
//! - `input`: hostile bodies, NUL on both backends, gzip, body limits, raw delivery retention;
//! - `runtime`: the audit log under anonymous load, cancelled requests, and the real binary
//!   under half-open connections, SIGTERM, and `NAGARE_LOG=warn`.

mod access;
mod input;
mod runtime;

/// Two teams, each with a service, a commit, a production deployment and an incident.
pub const TWO_TEAMS: &str = r#"{"kind":"service","name":"ledger","repo":"acme/ledger","teams":["payments"]}
{"kind":"service","name":"search-api","repo":"acme/search","teams":["search"]}
{"kind":"commit","repo":"acme/ledger","sha":"l1","parents":[],"authored_at":"2024-03-01T09:00:00Z"}
{"kind":"commit","repo":"acme/search","sha":"s1","parents":[],"authored_at":"2024-03-01T09:00:00Z"}
{"kind":"deployment","id":"pay-1","service":"ledger","environment":"production","status":"success","finished_at":"2024-03-02T10:00:00Z","sha":"l1"}
{"kind":"deployment","id":"search-1","service":"search-api","environment":"production","status":"success","finished_at":"2024-03-02T11:00:00Z","sha":"s1"}
{"kind":"incident","id":"INC-P","service":"ledger","started_at":"2024-03-02T12:00:00Z"}
{"kind":"incident","id":"INC-S","service":"search-api","started_at":"2024-03-02T12:30:00Z"}
{"kind":"pipeline_run","provider":"github","id":"71-1","repo":"acme/ledger","workflow":"ci","sha":"l1","status":"completed","conclusion":"success","started_at":"2024-03-02T09:00:00Z","finished_at":"2024-03-02T09:05:00Z"}
{"kind":"pipeline_run","provider":"github","id":"72-1","repo":"acme/search","workflow":"ci","sha":"s1","status":"completed","conclusion":"success","started_at":"2024-03-02T09:00:00Z","finished_at":"2024-03-02T09:06:00Z"}"#;

/// The week of [`TWO_TEAMS`].
pub const WEEK: &str = "from=2024-03-01T00:00:00Z&to=2024-03-08T00:00:00Z";

/// One production deployment of `service`, as an NDJSON line.
pub fn deployment(id: &str, service: &str, status: &str) -> String {
    format!(
        r#"{{"kind":"deployment","id":"{id}","service":"{service}","environment":"production","status":"{status}","finished_at":"2024-03-03T10:00:00Z","sha":"x"}}"#
    )
}
