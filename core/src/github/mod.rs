//! GitHub webhook payloads as canonical events: pure, no I/O (docs/sources/github.md).
//!
//! [`map`] turns one verified delivery (its `X-GitHub-Event` name and body) into canonical
//! events, each with a version: the time of the state it shows (`updated_at`, a status's
//! `created_at`). GitHub sends the state of an object piecemeal and in any order (a
//! `deployment_status` may arrive before its `deployment`, a job before its run), so a mapped
//! event is never stored as is: it is [`merge`]d with the stored event of the same key. The
//! merge is commutative, associative and idempotent (tested), so every order of the same
//! deliveries, redeliveries included, ends in the same stored state.
//!
//! | event | becomes |
//! |---|---|
//! | `push` | a commit per pushed commit; each one's parent is the commit before it, the first one's `before` (inexact: GitHub does not send parents) |
//! | `pull_request` | the pull request (opened, merged, merge commit) |
//! | `pull_request_review` | the pull request's first review by someone other than its author |
//! | `deployment`, `deployment_status` | the deployment; `success` ends it, `failure` and `error` are failed attempts |
//! | `workflow_run`, `workflow_job` | one pipeline run per attempt (`<run id>-<attempt>`), with its jobs and their steps |
//! | a successful run or job matching a deployment rule | also a deployment (`run:<run id>-<attempt>`, `job:<job id>`) |
//! | `issues` with an incident label | an incident: opened starts it, closed resolves it |
//! | `ping` | nothing: the hook is connected |

mod merge;
mod pipelines;
mod rules;

pub use merge::merge;
pub use rules::{
    stage_category, DeployRule, Pattern, RepoRule, Rules, StageRule, STAGE_CATEGORIES,
};

use crate::events::{
    ChangeType, Commit, Deployment, DeploymentStatus, Event, Incident, PipelineJob, PipelineRun,
    PipelineStep, PullRequest,
};
use crate::text::printable;
use crate::time::Timestamp;
use pipelines::{attempt_of, deployment_of_job, deployment_of_run, run_id};
use serde_json::Value;

/// The `source` of every event this module maps.
pub const SOURCE: &str = "github";
/// The `provider` of the pipeline runs it maps.
pub const PROVIDER: &str = "github";
/// GitHub lists at most this many commits in a push; a longer push is cut.
pub const PUSH_COMMITS_MAX: usize = 2048;
const NO_SHA: &str = "0000000000000000000000000000000000000000";

/// The event type of a backfill's commits between two deployments, as the compare API lists
/// them (`{"repository": …, "commits": […]}`): each with its real parents.
pub const COMPARE: &str = "nagare_compare";

/// A canonical event and the time of the state it shows (epoch ms; 0 when it has none).
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned {
    pub event: Event,
    pub version: i64,
}

/// What one delivery becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    /// Events to merge into the store, and notes on what they leave out (a cut push).
    Events(Vec<Versioned>, Vec<String>),
    /// A `ping`: the hook is set up and reaches Nagare.
    Ping(String),
    /// Kept raw, nothing to map: an event type not used, a tag push, a branch deletion, an
    /// issue without an incident label.
    Ignored(String),
    /// Needs a service, and no rule maps its repository: kept raw until a rule does.
    Unmapped(String),
}

/// A payload that is not what its event type promises: which field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapError {
    pub message: String,
    pub field: Option<String>,
    /// Not JSON at all (400), rather than JSON missing what it needs (422).
    pub malformed: bool,
}

/// Maps one delivery of event type `event` (the `X-GitHub-Event` header).
pub fn map(event: &str, body: &[u8], rules: &Rules) -> Result<Mapped, MapError> {
    const USED: [&str; 10] = [
        COMPARE,
        "ping",
        "push",
        "pull_request",
        "pull_request_review",
        "deployment",
        "deployment_status",
        "workflow_run",
        "workflow_job",
        "issues",
    ];
    if !USED.contains(&event) {
        return Ok(Mapped::Ignored(format!(
            "`{}` events are not used; kept raw",
            printable(event, 60)
        )));
    }
    let text = std::str::from_utf8(body).map_err(|e| MapError {
        message: format!(
            "the body is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ),
        field: None,
        malformed: true,
    })?;
    let v: Value = crate::events::strict_value(text).map_err(|e| MapError {
        message: format!("the body is not a JSON object: {e}"),
        field: None,
        malformed: true,
    })?;
    if !v.is_object() {
        return Err(MapError {
            message: "the body is not a JSON object".into(),
            field: None,
            malformed: true,
        });
    }
    let p = Payload(&v);
    match event {
        "ping" => Ok(Mapped::Ping(format!(
            "ping: the webhook {} is connected{}",
            p.opt_i64("hook_id")
                .map_or(String::new(), |id| id.to_string()),
            p.opt_str("repository.full_name")
                .map_or(String::new(), |r| format!(" for {}", printable(r, 100)))
        ))),
        "push" => push(p),
        "pull_request" => pull_request(p, "pull_request", None, None),
        "pull_request_review" => review(p),
        "deployment" => deployment(p, rules, None),
        "deployment_status" => deployment_status(p, rules),
        "workflow_run" => pipelines::workflow_run(p, rules),
        "workflow_job" => pipelines::workflow_job(p, rules),
        COMPARE => compare(p),
        _ => issue(p, rules),
    }
}

/// The keys of the events a delivery may touch whatever the rules say: the keys [`map`] gives
/// it under `rules`, and the deployment or incident it names even when no rule maps its
/// repository or labels. A replay after a rule change rebuilds these keys, so that an event a
/// delivery no longer maps to is removed, not left behind.
pub fn keys(event: &str, body: &[u8], rules: &Rules) -> Vec<crate::events::EventKey> {
    use crate::events::EventKey;
    let mut out: Vec<EventKey> = match map(event, body, rules) {
        Ok(Mapped::Events(events, _)) => events.iter().map(|v| v.event.key()).collect(),
        _ => Vec::new(),
    };
    let v: Option<Value> = std::str::from_utf8(body)
        .ok()
        .and_then(|t| serde_json::from_str(t).ok());
    if let Some(v) = &v {
        let p = Payload(v);
        let named = match event {
            "deployment" | "deployment_status" => p.id("deployment.id").ok().map(|id| EventKey {
                kind: "deployment",
                source: SOURCE.into(),
                id,
            }),
            "workflow_run" => match (
                p.id("workflow_run.id"),
                attempt_of(p, "workflow_run.run_attempt"),
            ) {
                (Ok(id), Ok(a)) => Some(EventKey {
                    kind: "deployment",
                    source: SOURCE.into(),
                    id: deployment_of_run(&run_id(&id, a)),
                }),
                _ => None,
            },
            "workflow_job" => p.id("workflow_job.id").ok().map(|id| EventKey {
                kind: "deployment",
                source: SOURCE.into(),
                id: deployment_of_job(&id),
            }),
            "issues" => match (p.repo(), p.id("issue.number")) {
                (Ok(repo), Ok(n)) => Some(EventKey {
                    kind: "incident",
                    source: SOURCE.into(),
                    id: format!("{repo}#{n}"),
                }),
                _ => None,
            },
            _ => None,
        };
        out.extend(named);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Typed reads of a payload's fields by dotted path, with errors that name the path.
#[derive(Clone, Copy)]
struct Payload<'a>(&'a Value);

impl<'a> Payload<'a> {
    fn get(self, path: &str) -> Option<&'a Value> {
        path.split('.')
            .try_fold(self.0, |v, k| v.get(k))
            .filter(|v| !v.is_null())
    }
    fn at(self, path: &str) -> Option<Payload<'a>> {
        self.get(path).map(Payload)
    }
    fn missing(path: &str, what: &str) -> MapError {
        MapError {
            message: format!("`{path}` is missing or not {what}"),
            field: Some(path.to_owned()),
            malformed: false,
        }
    }
    fn str(self, path: &str) -> Result<&'a str, MapError> {
        self.opt_str(path)
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| Self::missing(path, "a non-empty string"))
    }
    fn opt_str(self, path: &str) -> Option<&'a str> {
        self.get(path).and_then(Value::as_str)
    }
    fn opt_i64(self, path: &str) -> Option<i64> {
        self.get(path).and_then(Value::as_i64)
    }
    /// An id GitHub sends as a number (or, in some replies, as text).
    fn id(self, path: &str) -> Result<String, MapError> {
        match self.get(path) {
            Some(Value::Number(n)) => Ok(n.to_string()),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            _ => Err(Self::missing(path, "an id")),
        }
    }
    fn time(self, path: &str) -> Result<Timestamp, MapError> {
        let s = self.str(path)?;
        Timestamp::parse(s).map_err(|e| MapError {
            message: format!("`{path}`: {e}"),
            field: Some(path.to_owned()),
            malformed: false,
        })
    }
    fn opt_time(self, path: &str) -> Result<Option<Timestamp>, MapError> {
        match self.get(path) {
            None => Ok(None),
            Some(_) => self.time(path).map(Some),
        }
    }
    fn array(self, path: &str) -> Result<&'a [Value], MapError> {
        match self.get(path) {
            None => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            Some(_) => Err(Self::missing(path, "an array")),
        }
    }
    fn repo(self) -> Result<&'a str, MapError> {
        self.str("repository.full_name")
    }
}

/// One event at a version, and nothing left out.
fn one(event: Event, version: i64) -> Mapped {
    Mapped::Events(vec![Versioned { event, version }], Vec::new())
}

fn version(t: Option<Timestamp>) -> i64 {
    t.map_or(0, Timestamp::millis)
}

fn push(p: Payload<'_>) -> Result<Mapped, MapError> {
    let repo = p.repo()?;
    let git_ref = p.str("ref")?;
    if let Some(tag) = git_ref.strip_prefix("refs/tags/") {
        return Ok(Mapped::Ignored(format!(
            "tag push of `{}` in {repo}: recorded; a tag produces no commits",
            printable(tag, 100)
        )));
    }
    if p.get("deleted").and_then(Value::as_bool) == Some(true) {
        return Ok(Mapped::Ignored(format!(
            "branch `{}` deleted in {repo}: recorded; a deletion produces no commits",
            printable(git_ref.trim_start_matches("refs/heads/"), 100)
        )));
    }
    let commits = p.array("commits")?;
    if commits.is_empty() {
        return Ok(Mapped::Ignored(format!(
            "push to `{}` in {repo} with no commits",
            printable(git_ref, 100)
        )));
    }
    let before = p
        .opt_str("before")
        .filter(|b| *b != NO_SHA && !b.is_empty());
    let cut = commits.len() >= PUSH_COMMITS_MAX;
    let mut notes = Vec::new();
    if cut {
        notes.push(format!(
            "the push lists {} commits, GitHub's most: the first one's parent is unknown until a git sync",
            commits.len()
        ));
    } else if before.is_none() {
        notes
            .push("a new branch: the first commit's parent is unknown until a git sync".to_owned());
    }
    let mut parent = if cut { None } else { before.map(str::to_owned) };
    let mut out = Vec::with_capacity(commits.len());
    for (i, c) in commits.iter().enumerate() {
        let c = Payload(c);
        let at = |f: &str| format!("commits.{i}.{f}");
        let sha = c
            .str("id")
            .map_err(|_| Payload::missing(&at("id"), "a sha"))?;
        let authored_at = c
            .time("timestamp")
            .map_err(|_| Payload::missing(&at("timestamp"), "an RFC 3339 time"))?;
        let author = c
            .opt_str("author.username")
            .or_else(|| c.opt_str("author.email"))
            .or_else(|| c.opt_str("author.name"));
        out.push(Versioned {
            event: Event::Commit(Commit {
                source: SOURCE.into(),
                repo: repo.to_owned(),
                sha: sha.to_owned(),
                parents: parent.take().into_iter().collect(),
                author: author.map(str::to_owned),
                authored_at,
                committed_at: Some(authored_at),
                message: c.opt_str("message").map(str::to_owned),
                paths: pushed_paths(c),
            }),
            version: 0,
        });
        parent = Some(sha.to_owned());
    }
    Ok(Mapped::Events(out, notes))
}

/// GitHub lists at most this many files per pushed commit (in each of `added`, `removed`,
/// `modified`); a list that long may be cut.
pub const PUSH_PATHS_MAX: usize = 3000;

/// The paths a pushed commit changed (`added`, `removed` and `modified`), or `None` when
/// GitHub did not list them all: then the commit counts for every service of the repository.
fn pushed_paths(c: Payload<'_>) -> Option<Vec<String>> {
    let mut paths = Vec::new();
    for field in ["added", "removed", "modified"] {
        let list = c.get(field)?.as_array()?;
        if list.len() >= PUSH_PATHS_MAX {
            return None;
        }
        for p in list {
            paths.push(p.as_str()?.to_owned());
        }
    }
    paths.sort_unstable();
    paths.dedup();
    Some(paths)
}

/// Commits as the compare API (or the commits API) lists them, with their real parents: the
/// graph is exact, so they win over a push's (version 1 over 0).
fn compare(p: Payload<'_>) -> Result<Mapped, MapError> {
    let repo = p.repo()?;
    let commits = p.array("commits")?;
    let mut out = Vec::with_capacity(commits.len());
    for (i, c) in commits.iter().enumerate() {
        let c = Payload(c);
        let at = |f: &str| format!("commits.{i}.{f}");
        let sha = c
            .str("sha")
            .map_err(|_| Payload::missing(&at("sha"), "a sha"))?;
        let authored_at = c
            .time("commit.author.date")
            .map_err(|_| Payload::missing(&at("commit.author.date"), "an RFC 3339 time"))?;
        let mut parents = Vec::new();
        for (j, parent) in c.array("parents")?.iter().enumerate() {
            let sha = Payload(parent)
                .str("sha")
                .map_err(|_| Payload::missing(&at(&format!("parents.{j}.sha")), "a sha"))?;
            parents.push(sha.to_owned());
        }
        out.push(Versioned {
            event: Event::Commit(Commit {
                source: SOURCE.into(),
                repo: repo.to_owned(),
                sha: sha.to_owned(),
                parents,
                author: c
                    .opt_str("author.login")
                    .or_else(|| c.opt_str("commit.author.email"))
                    .or_else(|| c.opt_str("commit.author.name"))
                    .map(str::to_owned),
                authored_at,
                committed_at: c.opt_time("commit.committer.date").map_err(|_| {
                    Payload::missing(&at("commit.committer.date"), "an RFC 3339 time")
                })?,
                message: c.opt_str("commit.message").map(str::to_owned),
                paths: None,
            }),
            version: 1,
        });
    }
    if out.is_empty() {
        return Ok(Mapped::Ignored(format!(
            "no commits listed for {}",
            printable(repo, 100)
        )));
    }
    Ok(Mapped::Events(out, Vec::new()))
}

/// The pull request at `at` (the payload's `pull_request`), with a first review if any.
fn pull_request(
    p: Payload<'_>,
    at: &str,
    first_review_at: Option<Timestamp>,
    approved_at: Option<Timestamp>,
) -> Result<Mapped, MapError> {
    let repo = p.repo()?;
    let f = |k: &str| format!("{at}.{k}");
    let merged_at = p.opt_time(&f("merged_at"))?;
    let pr = PullRequest {
        source: SOURCE.into(),
        repo: repo.to_owned(),
        id: p.id(&f("number"))?,
        title: p.opt_str(&f("title")).map(str::to_owned),
        author: p.opt_str(&f("user.login")).map(str::to_owned),
        opened_at: p.time(&f("created_at"))?,
        first_review_at,
        approved_at,
        merged_at,
        // GitHub fills it for open pull requests too (a test merge): only a merge's counts.
        merge_commit: merged_at
            .and(p.opt_str(&f("merge_commit_sha")))
            .map(str::to_owned),
        commits: Vec::new(),
    };
    Ok(one(
        Event::PullRequest(pr),
        version(p.opt_time(&f("updated_at"))?),
    ))
}

fn review(p: Payload<'_>) -> Result<Mapped, MapError> {
    let reviewer = p.opt_str("review.user.login");
    let author = p.opt_str("pull_request.user.login");
    let state = p.opt_str("review.state").unwrap_or("");
    let counts = reviewer.is_some() && reviewer != author && !state.eq_ignore_ascii_case("pending");
    let at = if counts {
        p.opt_time("review.submitted_at")?
    } else {
        None
    };
    let approved = at.filter(|_| state.eq_ignore_ascii_case("approved"));
    pull_request(p, "pull_request", at, approved)
}

/// The deployment at `deployment`, in the state `status` gives (none: just created).
fn deployment(
    p: Payload<'_>,
    rules: &Rules,
    status: Option<(DeploymentStatus, Timestamp)>,
) -> Result<Mapped, MapError> {
    let repo = p.repo()?;
    let Some(service) = rules.service_of(repo) else {
        return Ok(Mapped::Unmapped(unmapped(repo, "deployment")));
    };
    let d = p
        .at("deployment")
        .ok_or_else(|| Payload::missing("deployment", "an object"))?;
    let environment = d
        .str("environment")
        .map_err(|_| Payload::missing("deployment.environment", "a non-empty string"))?;
    let created = d
        .time("created_at")
        .map_err(|_| Payload::missing("deployment.created_at", "an RFC 3339 time"))?;
    let production = d.get("production_environment").and_then(Value::as_bool) == Some(true);
    let task = d.opt_str("task").unwrap_or("deploy").to_ascii_lowercase();
    let (state, at) = status.unwrap_or((DeploymentStatus::InProgress, created));
    let dep = Deployment {
        source: SOURCE.into(),
        id: d
            .id("id")
            .map_err(|_| Payload::missing("deployment.id", "an id"))?,
        service: service.to_owned(),
        environment: environment.to_owned(),
        environment_tier: rules.tier_of(environment, production),
        status: state,
        started_at: Some(created),
        finished_at: (state != DeploymentStatus::InProgress).then_some(at),
        sha: d
            .str("sha")
            .map_err(|_| Payload::missing("deployment.sha", "a sha"))?
            .to_owned(),
        change_type: if task.contains("hotfix") {
            ChangeType::Hotfix
        } else if task.contains("rollback") {
            ChangeType::Rollback
        } else {
            ChangeType::Normal
        },
        remediates: None,
        marked_failed: false,
        commits: Vec::new(),
    };
    Ok(one(Event::Deployment(dep), at.millis()))
}

fn deployment_status(p: Payload<'_>, rules: &Rules) -> Result<Mapped, MapError> {
    let state = p.str("deployment_status.state")?;
    let status = match state {
        "success" => DeploymentStatus::Success,
        "failure" | "error" => DeploymentStatus::Failure,
        "queued" | "pending" | "in_progress" => DeploymentStatus::InProgress,
        "inactive" => {
            return Ok(Mapped::Ignored(
                "`inactive`: GitHub marks an earlier deployment inactive when a newer one succeeds; not a new deployment".into(),
            ))
        }
        other => {
            return Err(MapError {
                message: format!(
                    "`deployment_status.state` is `{}`; expected success, failure, error, queued, pending, in_progress or inactive",
                    printable(other, 40)
                ),
                field: Some("deployment_status.state".into()),
                malformed: false,
            })
        }
    };
    let at = p.time("deployment_status.created_at")?;
    deployment(p, rules, Some((status, at)))
}

fn issue(p: Payload<'_>, rules: &Rules) -> Result<Mapped, MapError> {
    let repo = p.repo()?;
    let number = p.id("issue.number")?;
    let labels: Vec<&str> = p
        .array("issue.labels")?
        .iter()
        .filter_map(|l| Payload(l).opt_str("name"))
        .collect();
    let action = p.opt_str("action").unwrap_or("");
    let is_incident = labels.iter().any(|l| rules.is_incident_label(l));
    // Taking the label off an incident leaves it listed but no longer attributed.
    let unlabelled = action == "unlabeled"
        && p.opt_str("label.name")
            .is_some_and(|l| rules.is_incident_label(l));
    if !is_incident && !unlabelled {
        return Ok(Mapped::Ignored(format!(
            "issue #{number} in {repo} has none of the incident labels ({})",
            rules.incident_labels.join(", ")
        )));
    }
    let Some(service) = rules.service_of(repo) else {
        return Ok(Mapped::Unmapped(unmapped(repo, "incident")));
    };
    let closed = p.opt_str("issue.state") == Some("closed");
    let body = p.opt_str("issue.body").unwrap_or("");
    let incident = Incident {
        source: SOURCE.into(),
        id: format!("{repo}#{number}"),
        service: service.to_owned(),
        title: p.opt_str("issue.title").map(str::to_owned),
        started_at: p.time("issue.created_at")?,
        resolved_at: if closed {
            p.opt_time("issue.closed_at")?
        } else {
            None
        },
        severity: labels.iter().find_map(|l| rules::severity(l)),
        caused_by_deployment: rules.cause(body, &labels),
        excluded: !is_incident,
        remediated_by_deployment: None,
    };
    Ok(one(
        Event::Incident(incident),
        version(p.opt_time("issue.updated_at")?),
    ))
}

fn unmapped(repo: &str, what: &str) -> String {
    format!(
        "repository {} is mapped to no service, so its {what} is not stored as an event; add a rule: [[sources.github.repos]] repo = \"{}\" service = \"…\" (the delivery is kept and can be replayed)",
        printable(repo, 100),
        printable(repo, 100)
    )
}

#[cfg(test)]
mod tests;
