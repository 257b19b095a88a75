//! Merging two versions of one event (same key) into the state both show together.
//!
//! Each field is merged by an operation that is commutative, associative and idempotent (a
//! minimum, a union, or the maximum by a total order), so the stored result does not depend
//! on the order the deliveries arrived in, nor on how often one came:
//!
//! - **Fields that describe a state** come from the later state: the greater version (the
//!   payload's `updated_at`, a status's time), then the text of the event as a tie-break.
//! - **Deployments**: a finished state wins over an unfinished one, a later finish over an
//!   earlier one, then success over failure over cancelled over in progress; the start is the
//!   earliest seen.
//! - **Pull requests**: opened, first review and merge are the earliest seen; a merge commit
//!   goes with its merge; the commits are the union.
//! - **Pipeline runs**: the run's fields from its latest `workflow_run` (a job's delivery
//!   carries none: version 0); jobs are the union by job id, each job at its furthest state.
//! - **Incidents**: the start is the earliest seen; the rest from the latest state.

use super::Versioned;
use crate::events::{DeploymentStatus, Event, PipelineJob};
use crate::time::Timestamp;
use std::cmp::Ordering;

/// The state two versions of the same event show together. Both must have the same key.
pub fn merge(a: Versioned, b: Versioned) -> Versioned {
    let version = a.version.max(b.version);
    let event = match (a.event, b.event) {
        (Event::Deployment(x), Event::Deployment(y)) => {
            let started = min_some(x.started_at, y.started_at);
            let key = |d: &crate::events::Deployment, v: i64| {
                let mut bare = d.clone();
                bare.started_at = None;
                (
                    d.finished_at.is_some(),
                    d.finished_at,
                    status_rank(d.status),
                    v,
                    text(&Event::Deployment(bare)),
                )
            };
            let mut w = later((x, a.version), (y, b.version), key);
            w.started_at = started;
            Event::Deployment(w)
        }
        (Event::PullRequest(x), Event::PullRequest(y)) => {
            let opened = x.opened_at.min(y.opened_at);
            let review = min_some(x.first_review_at, y.first_review_at);
            // The last approval given.
            let approved = x.approved_at.max(y.approved_at);
            let merge = min_some(
                x.merged_at.map(|t| (t, x.merge_commit.clone())),
                y.merged_at.map(|t| (t, y.merge_commit.clone())),
            );
            let mut commits: Vec<String> = x.commits.iter().chain(&y.commits).cloned().collect();
            commits.sort_unstable();
            commits.dedup();
            let key =
                |p: &crate::events::PullRequest, v: i64| (v, p.title.clone(), p.author.clone());
            let mut w = later((x, a.version), (y, b.version), key);
            w.opened_at = opened;
            w.first_review_at = review;
            w.approved_at = approved;
            (w.merged_at, w.merge_commit) = merge.map_or((None, None), |(t, c)| (Some(t), c));
            w.commits = commits;
            Event::PullRequest(w)
        }
        (Event::PipelineRun(x), Event::PipelineRun(y)) => {
            let jobs = merge_jobs(x.jobs.iter().chain(&y.jobs));
            let key = |r: &crate::events::PipelineRun, v: i64| {
                let mut bare = r.clone();
                bare.jobs.clear();
                (v, text(&Event::PipelineRun(bare)))
            };
            let mut w = later((x, a.version), (y, b.version), key);
            w.jobs = jobs;
            Event::PipelineRun(w)
        }
        (Event::Incident(x), Event::Incident(y)) => {
            let started = x.started_at.min(y.started_at);
            let key = |i: &crate::events::Incident, v: i64| {
                let mut bare = i.clone();
                bare.started_at = Timestamp(0);
                (v, text(&Event::Incident(bare)))
            };
            let mut w = later((x, a.version), (y, b.version), key);
            w.started_at = started;
            Event::Incident(w)
        }
        (x, y) => {
            if (a.version, text(&x)) >= (b.version, text(&y)) {
                x
            } else {
                y
            }
        }
    };
    Versioned { event, version }
}

/// Of two versions, the one whose state is later by `key` (the first on a tie: `key` must
/// tell apart any two versions that differ in what it decides).
fn later<T, K: Ord>(x: (T, i64), y: (T, i64), key: impl Fn(&T, i64) -> K) -> T {
    if key(&x.0, x.1) >= key(&y.0, y.1) {
        x.0
    } else {
        y.0
    }
}

/// The text of an event: the last tie-break, a total order on everything else being equal.
fn text(e: &Event) -> String {
    serde_json::to_string(e).unwrap_or_default()
}

fn min_some<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn status_rank(s: DeploymentStatus) -> u8 {
    match s {
        DeploymentStatus::InProgress => 0,
        DeploymentStatus::Cancelled => 1,
        DeploymentStatus::Failure => 2,
        DeploymentStatus::Success => 3,
    }
}

/// How far a job got: completed over in progress over anything before it.
fn job_rank(j: &PipelineJob) -> u8 {
    match j.status.as_deref() {
        Some("completed") => 3,
        Some("in_progress") => 2,
        Some("queued" | "waiting" | "pending" | "requested") => 1,
        _ => 0,
    }
}

/// The union of jobs by id (by name when a job has none), each at its furthest state, in the
/// order they were created.
fn merge_jobs<'a>(jobs: impl Iterator<Item = &'a PipelineJob>) -> Vec<PipelineJob> {
    let mut all: Vec<&PipelineJob> = jobs.collect();
    let id = |j: &PipelineJob| j.id.clone().unwrap_or_else(|| format!("name:{}", j.name));
    let furthest = |j: &PipelineJob| {
        (
            job_rank(j),
            j.finished_at,
            j.started_at,
            serde_json::to_string(j).unwrap_or_default(),
        )
    };
    all.sort_by(|x, y| {
        id(x)
            .cmp(&id(y))
            .then_with(|| furthest(y).cmp(&furthest(x)))
    });
    all.dedup_by(|later, first| id(later) == id(first));
    let mut out: Vec<PipelineJob> = all.into_iter().cloned().collect();
    out.sort_by(order);
    out
}

fn order(x: &PipelineJob, y: &PipelineJob) -> Ordering {
    (x.created_at.or(x.started_at), &x.name, &x.id).cmp(&(
        y.created_at.or(y.started_at),
        &y.name,
        &y.id,
    ))
}
