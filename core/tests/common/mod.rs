//! Builders for test events.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // test helpers: a failure should panic

use nagare_core::api::{Benchmark, DoraQuery, Interval, LeadTimeBasis};
use nagare_core::events::{
    ChangeType, Commit, Deployment, DeploymentStatus, EnvironmentTier, Incident, PullRequest,
    Service,
};
use nagare_core::{Event, Timestamp};

pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

/// `2024-01-01T{hhmm}` UTC, e.g. `at("00:40")`.
pub fn at(hhmm: &str) -> Timestamp {
    ts(&format!("2024-01-01T{hhmm}:00Z"))
}

pub fn service(name: &str, repo: Option<&str>, teams: &[&str]) -> Event {
    Event::Service(Service {
        source: "api".into(),
        name: name.into(),
        repo: repo.map(Into::into),
        repo_url: repo.map(|r| format!("https://git.example/{r}")),
        teams: teams.iter().map(|t| t.to_string()).collect(),
        path_prefix: None,
        tier: None,
    })
}

pub fn commit(repo: &str, sha: &str, parents: &[&str], authored: Timestamp) -> Event {
    Event::Commit(Commit {
        source: "api".into(),
        repo: repo.into(),
        sha: sha.into(),
        parents: parents.iter().map(|p| p.to_string()).collect(),
        author: Some("alice".into()),
        authored_at: authored,
        committed_at: None,
        message: Some(format!("commit {sha}")),
        paths: None,
    })
}

pub fn deployment(id: &str, service: &str, sha: &str, finished: Timestamp) -> Deployment {
    Deployment {
        source: "api".into(),
        id: id.into(),
        service: service.into(),
        environment: "production".into(),
        environment_tier: None,
        status: DeploymentStatus::Success,
        started_at: Some(Timestamp(finished.0 - 60_000)),
        finished_at: Some(finished),
        sha: sha.into(),
        change_type: ChangeType::Normal,
        remediates: None,
        marked_failed: false,
        commits: Vec::new(),
    }
}

pub fn deploy(id: &str, service: &str, sha: &str, finished: Timestamp) -> Event {
    Event::Deployment(deployment(id, service, sha, finished))
}

pub fn incident(
    id: &str,
    service: &str,
    started: Timestamp,
    resolved: Option<Timestamp>,
) -> Incident {
    Incident {
        source: "api".into(),
        id: id.into(),
        service: service.into(),
        title: None,
        started_at: started,
        resolved_at: resolved,
        severity: Some("sev2".into()),
        caused_by_deployment: None,
        excluded: false,
        remediated_by_deployment: None,
    }
}

pub fn pull_request(
    repo: &str,
    id: &str,
    commits: &[&str],
    merge: Option<&str>,
    opened: Timestamp,
    merged: Option<Timestamp>,
) -> Event {
    Event::PullRequest(PullRequest {
        source: "api".into(),
        repo: repo.into(),
        id: id.into(),
        title: None,
        author: Some("alice".into()),
        opened_at: opened,
        first_review_at: None,
        approved_at: None,
        merged_at: merged,
        merge_commit: merge.map(Into::into),
        commits: commits.iter().map(|c| c.to_string()).collect(),
    })
}

pub fn query(from: Timestamp, to: Timestamp) -> DoraQuery {
    DoraQuery {
        from,
        to,
        service: None,
        team: None,
        environment_tier: EnvironmentTier::Production,
        basis: LeadTimeBasis::Commit,
        benchmark: Benchmark::Dora2024,
        interval: Interval::All,
        time_zone: None,
        peers: Default::default(),
    }
}

/// The whole of 2024-01-01 (UTC).
pub fn day1() -> DoraQuery {
    query(ts("2024-01-01T00:00:00Z"), ts("2024-01-02T00:00:00Z"))
}

pub fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-6)
}
