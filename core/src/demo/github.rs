//! The demo's GitHub-shaped history: one team's deployments as GitHub's `deployment` and
//! `deployment_status` webhooks carry them, and its pipelines as `workflow_run` and
//! `workflow_job` webhooks (a CI run per merged pull request, with a flaky test now and then
//! passing on its second attempt, and a Deploy run per production deployment), so that the
//! demo shows what the GitHub source makes of real deliveries. The deliveries hold the fields
//! GitHub sends that Nagare reads (and a few that people look at), with GitHub's names.

use crate::events::{ChangeType, DeploymentStatus, EnvironmentTier, Event};
use crate::time::{Timestamp, DAY_MS, MINUTE_MS};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

use super::pipelines::{plan_run, profile, PlannedAttempt, DEPLOY, PIPELINE_DAYS};
use super::sim::Rng;
pub use super::GITHUB_TEAM;

/// One webhook delivery, as GitHub sends it: the `X-GitHub-Event`, the `X-GitHub-Delivery`
/// and the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub event: &'static str,
    pub id: String,
    pub body: Value,
}

/// The demo with one team's deployments taken out of the events and sent as deliveries.
#[derive(Debug, Clone)]
pub struct GithubHistory {
    /// The other events, with incidents pointing at the deployments' GitHub ids.
    pub events: Vec<Event>,
    /// In the order GitHub would have sent them (by time).
    pub deliveries: Vec<Delivery>,
    /// The team's repositories and their services (`owner/name`, service): the rules that map
    /// the deliveries.
    pub repos: Vec<(String, String)>,
}

/// GitHub's deployment ids start here, and workflow runs' and jobs' ids at the next ones.
const DEPLOYMENT_IDS: u64 = 3_100_000_000;
const RUN_IDS: u64 = 9_400_000_000;
const JOB_IDS: u64 = 26_000_000_000;

struct Ids {
    run: u64,
    job: u64,
}

/// Splits `events` (the demo organisation, ending at `now`): [`GITHUB_TEAM`]'s deployments
/// become deliveries, with pipelines for the last [`PIPELINE_DAYS`] days.
pub fn github_history(events: Vec<Event>, now: Timestamp) -> GithubHistory {
    let mut repo_of: HashMap<String, String> = HashMap::new();
    for e in &events {
        if let Event::Service(s) = e {
            if s.teams.iter().any(|t| t == GITHUB_TEAM) {
                if let Some(r) = &s.repo {
                    repo_of.insert(s.name.clone(), r.clone());
                }
            }
        }
    }
    let (mut taken, mut kept): (Vec<Event>, Vec<Event>) = events.into_iter().partition(|e| {
        // GitHub has no cancelled deployment: those stay as the demo's own events.
        matches!(e, Event::Deployment(d)
                if repo_of.contains_key(&d.service) && d.status != DeploymentStatus::Cancelled)
    });
    taken.sort_by_key(|e| match e {
        Event::Deployment(d) => (d.started_at.or(d.finished_at), d.id.clone()),
        _ => (None, String::new()),
    });
    let mut new_id: HashMap<String, String> = HashMap::new();
    let mut remedies: HashMap<String, String> = HashMap::new();
    let mut deliveries: Vec<(i64, Delivery)> = Vec::new();
    let mut ids = Ids {
        run: RUN_IDS,
        job: JOB_IDS,
    };
    let pipelines_from = now.0 - PIPELINE_DAYS * DAY_MS;
    let ci = profile(GITHUB_TEAM);
    for (i, e) in taken.iter().enumerate() {
        let Event::Deployment(d) = e else { continue };
        let Some(repo) = repo_of.get(&d.service) else {
            continue;
        };
        let id = DEPLOYMENT_IDS + i as u64;
        new_id.insert(d.id.clone(), id.to_string());
        if let Some(inc) = &d.remediates {
            remedies.insert(inc.clone(), id.to_string());
        }
        let finished = d.finished_at.map(|t| t.0);
        let created = d
            .started_at
            .map(|t| t.0)
            .or(finished.map(|f| f - 4 * MINUTE_MS))
            .unwrap_or(now.0);
        let task = match d.change_type {
            ChangeType::Normal => "deploy",
            ChangeType::Hotfix => "deploy:hotfix",
            ChangeType::Rollback => "deploy:rollback",
        };
        let production = d.environment_tier == Some(EnvironmentTier::Production)
            || d.environment == "production";
        let deployment = json!({
            "url": format!("https://api.github.com/repos/{repo}/deployments/{id}"),
            "id": id,
            "sha": d.sha,
            "ref": "main",
            "task": task,
            "environment": d.environment,
            "production_environment": production,
            "description": Value::Null,
            "creator": {"login": "github-actions[bot]", "type": "Bot"},
            "created_at": iso(created),
            "updated_at": iso(finished.unwrap_or(created)),
        });
        deliveries.push((
            created,
            delivery(
                "deployment",
                format!("deployment-{id}"),
                json!({
                    "action": "created",
                    "deployment": deployment.clone(),
                    "repository": repository(repo),
                    "sender": {"login": "github-actions[bot]", "type": "Bot"},
                }),
            ),
        ));
        let state = match d.status {
            DeploymentStatus::Success => Some("success"),
            DeploymentStatus::Failure => Some("failure"),
            DeploymentStatus::Cancelled | DeploymentStatus::InProgress => None,
        };
        if let (Some(state), Some(at)) = (state, finished) {
            deliveries.push((
                at,
                delivery(
                    "deployment_status",
                    format!("deployment-status-{id}"),
                    json!({
                        "action": "created",
                        "deployment_status": {
                            "id": id + 500_000_000,
                            "state": state,
                            "environment": d.environment,
                            "description": format!("Deployment {state}"),
                            "created_at": iso(at),
                            "updated_at": iso(at),
                        },
                        "deployment": deployment,
                        "repository": repository(repo),
                        "sender": {"login": "github-actions[bot]", "type": "Bot"},
                    }),
                ),
            ));
        }
        if production && created >= pipelines_from {
            // The Deploy workflow that made it, started by hand a few minutes before: its
            // build job, then its deploy job, during which the deployment starts.
            let mut rng = Rng::new(id);
            let start = created - rng.range(2 * MINUTE_MS, 3 * MINUTE_MS);
            let failed = d.status == DeploymentStatus::Failure;
            deliveries.extend(run_attempts(
                &mut ids,
                repo,
                ("Deploy", "workflow_dispatch"),
                &d.sha,
                plan_run(&mut rng, &ci, DEPLOY, start, failed),
            ));
        }
    }
    // CI for each pull request merged lately: on its branch's last commit before the merge,
    // and on its merge commit after it.
    for e in &kept {
        let Event::PullRequest(p) = e else { continue };
        let (Some(merged), Some(head)) = (p.merged_at, p.commits.last()) else {
            continue;
        };
        if merged.0 < pipelines_from || !repo_of.values().any(|r| *r == p.repo) {
            continue;
        }
        let seed =
            p.id.bytes()
                .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        let mut rng = Rng::new(seed ^ p.repo.len() as u64);
        let checks = merged.0 - rng.range(30 * MINUTE_MS, 60 * MINUTE_MS);
        deliveries.extend(run_attempts(
            &mut ids,
            &p.repo,
            ("CI", "pull_request"),
            head,
            plan_run(&mut rng, &ci, ci.ci, checks, false),
        ));
        if let Some(merge) = &p.merge_commit {
            let after = merged.0 + rng.range(20_000, 3 * MINUTE_MS);
            if after < now.0 - 30 * MINUTE_MS {
                deliveries.extend(run_attempts(
                    &mut ids,
                    &p.repo,
                    ("CI", "push"),
                    merge,
                    plan_run(&mut rng, &ci, ci.ci, after, false),
                ));
            }
        }
    }
    for e in kept.iter_mut() {
        if let Event::Incident(inc) = e {
            if let Some(c) = inc
                .caused_by_deployment
                .as_ref()
                .and_then(|c| new_id.get(c))
            {
                inc.caused_by_deployment = Some(c.clone());
            }
            if inc.remediated_by_deployment.is_none() {
                inc.remediated_by_deployment = remedies.get(&inc.id).cloned();
            }
        }
    }
    deliveries.sort_by_key(|(at, _)| *at);
    let mut repos: BTreeMap<String, String> = BTreeMap::new();
    for (service, repo) in repo_of {
        repos.entry(repo).or_insert(service);
    }
    GithubHistory {
        events: kept,
        deliveries: deliveries.into_iter().map(|(_, d)| d).collect(),
        repos: repos.into_iter().collect(),
    }
}

fn delivery(event: &'static str, id: String, body: Value) -> Delivery {
    Delivery {
        event,
        id: format!("demo:{id}"),
        body,
    }
}

fn iso(ms: i64) -> String {
    Timestamp(ms).to_string()
}

fn repository(repo: &str) -> Value {
    let name = repo.rsplit('/').next().unwrap_or(repo);
    json!({
        "name": name,
        "full_name": repo,
        "private": true,
        "html_url": format!("https://github.com/{repo}"),
        "default_branch": "main",
        "owner": {"login": repo.split('/').next().unwrap_or(repo), "type": "Organization"},
    })
}

/// A run's attempts, one after the other: a `workflow_job` delivery per job and the run's
/// own, each when GitHub would send it. `what` is the workflow and its trigger.
fn run_attempts(
    ids: &mut Ids,
    repo: &str,
    what: (&str, &str),
    sha: &str,
    attempts: Vec<PlannedAttempt>,
) -> Vec<(i64, Delivery)> {
    let run_id = ids.run;
    ids.run += 1;
    attempts
        .iter()
        .flat_map(|a| attempt(ids, repo, what, sha, run_id, a))
        .collect()
}

fn attempt(
    ids: &mut Ids,
    repo: &str,
    (workflow, trigger): (&str, &str),
    sha: &str,
    run_id: u64,
    a: &PlannedAttempt,
) -> Vec<(i64, Delivery)> {
    let branch = if trigger == "pull_request" {
        format!("feature/{}", &sha[..sha.len().min(7)])
    } else {
        "main".to_owned()
    };
    let mut out = Vec::new();
    for j in &a.jobs {
        let job_id = ids.job;
        ids.job += 1;
        let job_conclusion = if j.passed { "success" } else { "failure" };
        let (name, started, finished) = (j.name, j.started, j.finished);
        out.push((
            finished,
            delivery(
                "workflow_job",
                format!("job-{job_id}"),
                json!({
                    "action": "completed",
                    "workflow_job": {
                        "id": job_id,
                        "run_id": run_id,
                        "run_attempt": a.number,
                        "workflow_name": workflow,
                        "head_branch": branch,
                        "head_sha": sha,
                        "name": name,
                        "status": "completed",
                        "conclusion": job_conclusion,
                        "created_at": iso(j.created),
                        "started_at": iso(started),
                        "completed_at": iso(finished),
                        "html_url": format!("https://github.com/{repo}/actions/runs/{run_id}/job/{job_id}"),
                        "runner_name": "GitHub Actions 12",
                        "labels": ["ubuntu-latest"],
                        "steps": [
                            {"name": "Set up job", "number": 1, "status": "completed", "conclusion": "success",
                             "started_at": iso(started), "completed_at": iso(started + 2_000)},
                            {"name": format!("Run {name}"), "number": 2, "status": "completed", "conclusion": job_conclusion,
                             "started_at": iso(started + 2_000), "completed_at": iso(finished - 1_000)},
                            {"name": "Complete job", "number": 3, "status": "completed", "conclusion": "success",
                             "started_at": iso(finished - 1_000), "completed_at": iso(finished)},
                        ],
                    },
                    "repository": repository(repo),
                    "sender": {"login": "github-actions[bot]", "type": "Bot"},
                }),
            ),
        ));
    }
    let conclusion = if a.passed { "success" } else { "failure" };
    out.push((
        a.end,
        delivery(
            "workflow_run",
            format!("run-{run_id}-{}", a.number),
            json!({
                "action": "completed",
                "workflow_run": {
                    "id": run_id,
                    "name": workflow,
                    "run_number": run_id - RUN_IDS + 1,
                    "run_attempt": a.number,
                    "event": trigger,
                    "status": "completed",
                    "conclusion": conclusion,
                    "head_branch": branch,
                    "head_sha": sha,
                    "path": format!(".github/workflows/{}.yml", workflow.to_ascii_lowercase()),
                    "created_at": iso(a.start),
                    "run_started_at": iso(a.start),
                    "updated_at": iso(a.end),
                    "html_url": format!("https://github.com/{repo}/actions/runs/{run_id}"),
                },
                "workflow": {"name": workflow, "path": format!(".github/workflows/{}.yml", workflow.to_ascii_lowercase())},
                "repository": repository(repo),
                "sender": {"login": "github-actions[bot]", "type": "Bot"},
            }),
        ),
    ));
    out
}
