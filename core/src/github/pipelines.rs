//! Workflow runs and jobs (one pipeline run per attempt, with its jobs and their steps), and the
//! deployments a rule detects from a successful run or job.

use super::*;

/// The run attempt's key: a re-run never overwrites an earlier attempt.
pub(super) fn run_id(run: &str, attempt: u32) -> String {
    format!("{run}-{attempt}")
}

/// A deployment detected from a successful run or job by `rule` (see
/// [`Rules::deployment_by`]), or the note on why it is not stored.
struct Detected<'a> {
    rule: &'a DeployRule,
    id: String,
    sha: Option<&'a str>,
    started_at: Option<Timestamp>,
    finished_at: Option<Timestamp>,
    what: String,
}

fn detected(repo: &str, rules: &Rules, d: Detected<'_>) -> Result<Versioned, String> {
    let Some(service) = d.rule.service.as_deref().or_else(|| rules.service_of(repo)) else {
        return Err(format!(
            "{} matches a deployment rule, but repository {} is mapped to no service: no deployment stored",
            d.what,
            printable(repo, 100)
        ));
    };
    let (Some(sha), Some(finished)) = (d.sha, d.finished_at) else {
        return Err(format!(
            "{} matches a deployment rule, but has no head sha or completion time: no deployment stored",
            d.what
        ));
    };
    let dep = Deployment {
        source: SOURCE.into(),
        id: d.id,
        service: service.to_owned(),
        environment: d.rule.environment.clone(),
        environment_tier: rules.tier_of(&d.rule.environment, false),
        status: DeploymentStatus::Success,
        started_at: d.started_at.or(Some(finished)),
        finished_at: Some(finished),
        sha: sha.to_owned(),
        change_type: ChangeType::Normal,
        remediates: None,
        marked_failed: false,
        commits: Vec::new(),
    };
    Ok(Versioned {
        event: Event::Deployment(dep),
        version: finished.millis(),
    })
}

/// The mapped events, with a detected deployment (or the note on why not) added.
fn with_detected(
    mut events: Vec<Versioned>,
    detected: Option<Result<Versioned, String>>,
) -> Mapped {
    let mut notes = Vec::new();
    match detected {
        Some(Ok(d)) => events.push(d),
        Some(Err(note)) => notes.push(note),
        None => {}
    }
    Mapped::Events(events, notes)
}

pub(super) fn workflow_run(p: Payload<'_>, rules: &Rules) -> Result<Mapped, MapError> {
    let repo = p.repo()?;
    let r = p
        .at("workflow_run")
        .ok_or_else(|| Payload::missing("workflow_run", "an object"))?;
    let f = |k: &str| format!("workflow_run.{k}");
    let attempt = attempt_of(p, &f("run_attempt"))?;
    let status = p.str(&f("status"))?;
    let run = PipelineRun {
        source: SOURCE.into(),
        provider: PROVIDER.into(),
        id: run_id(&p.id(&f("id"))?, attempt),
        run_id: Some(p.id(&f("id"))?),
        repo: repo.to_owned(),
        workflow: r
            .opt_str("name")
            .filter(|n| !n.is_empty())
            .or_else(|| p.opt_str("workflow.name"))
            .or_else(|| r.opt_str("path"))
            .unwrap_or("workflow")
            .to_owned(),
        branch: r.opt_str("head_branch").map(str::to_owned),
        sha: r.opt_str("head_sha").map(str::to_owned),
        trigger: r.opt_str("event").map(str::to_owned),
        status: status.to_owned(),
        conclusion: r.opt_str("conclusion").map(str::to_owned),
        // A later attempt's `created_at` is the first attempt's: never its queue start.
        queued_at: if attempt == 1 {
            p.opt_time(&f("created_at"))?
        } else {
            None
        },
        started_at: p.opt_time(&f("run_started_at"))?,
        finished_at: if status == "completed" {
            p.opt_time(&f("updated_at"))?
        } else {
            None
        },
        attempt: Some(attempt),
        jobs: Vec::new(),
    };
    let success = status == "completed" && run.conclusion.as_deref() == Some("success");
    let rule = success
        .then(|| {
            rules.deployment_by(
                repo,
                run.branch.as_deref(),
                p.opt_str("repository.default_branch"),
                &run.workflow,
                None,
            )
        })
        .flatten();
    let found = rule.map(|rule| {
        detected(
            repo,
            rules,
            Detected {
                rule,
                id: deployment_of_run(&run.id),
                sha: run.sha.as_deref(),
                started_at: run.started_at,
                finished_at: run.finished_at,
                what: format!(
                    "workflow run {} ({})",
                    run.id,
                    printable(&run.workflow, 100)
                ),
            },
        )
    });
    let v = version(p.opt_time(&f("updated_at"))?);
    Ok(with_detected(
        vec![Versioned {
            event: Event::PipelineRun(run),
            version: v,
        }],
        found,
    ))
}

/// The id of the deployment detected from a run attempt (`<run id>-<attempt>`), or a job.
pub(super) fn deployment_of_run(run_attempt: &str) -> String {
    format!("run:{run_attempt}")
}

pub(super) fn deployment_of_job(job: &str) -> String {
    format!("job:{job}")
}

pub(super) fn attempt_of(p: Payload<'_>, path: &str) -> Result<u32, MapError> {
    match p.get(path) {
        None => Ok(1),
        Some(v) => v
            .as_u64()
            .and_then(|a| u32::try_from(a).ok())
            .filter(|a| *a >= 1)
            .ok_or_else(|| Payload::missing(path, "a positive integer")),
    }
}

/// A job: its run attempt gains it. The run's own fields stay unknown (status `unknown`,
/// version 0) until its `workflow_run` delivery, which wins over them.
pub(super) fn workflow_job(p: Payload<'_>, rules: &Rules) -> Result<Mapped, MapError> {
    let repo = p.repo()?;
    let j = p
        .at("workflow_job")
        .ok_or_else(|| Payload::missing("workflow_job", "an object"))?;
    let f = |k: &str| format!("workflow_job.{k}");
    let attempt = attempt_of(p, &f("run_attempt"))?;
    let name = p.str(&f("name"))?;
    let mut steps = Vec::new();
    for (i, s) in p.array(&f("steps"))?.iter().enumerate() {
        let s = Payload(s);
        let at = |k: &str| format!("workflow_job.steps.{i}.{k}");
        steps.push(PipelineStep {
            name: s
                .str("name")
                .map_err(|_| Payload::missing(&at("name"), "a non-empty string"))?
                .to_owned(),
            number: s
                .get("number")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok()),
            status: s.opt_str("status").map(str::to_owned),
            conclusion: s.opt_str("conclusion").map(str::to_owned),
            started_at: s
                .opt_time("started_at")
                .map_err(|_| Payload::missing(&at("started_at"), "an RFC 3339 time"))?,
            finished_at: s
                .opt_time("completed_at")
                .map_err(|_| Payload::missing(&at("completed_at"), "an RFC 3339 time"))?,
        });
    }
    let job = PipelineJob {
        name: name.to_owned(),
        id: Some(p.id(&f("id"))?),
        category: Some(
            rules
                .stage_of(j.opt_str("workflow_name").unwrap_or(""), name)
                .to_owned(),
        ),
        status: j.opt_str("status").map(str::to_owned),
        conclusion: j.opt_str("conclusion").map(str::to_owned),
        created_at: p.opt_time(&f("created_at"))?,
        started_at: p.opt_time(&f("started_at"))?,
        finished_at: p.opt_time(&f("completed_at"))?,
        steps,
    };
    let run = PipelineRun {
        source: SOURCE.into(),
        provider: PROVIDER.into(),
        id: run_id(&p.id(&f("run_id"))?, attempt),
        run_id: Some(p.id(&f("run_id"))?),
        repo: repo.to_owned(),
        workflow: j.opt_str("workflow_name").unwrap_or("workflow").to_owned(),
        branch: j.opt_str("head_branch").map(str::to_owned),
        sha: j.opt_str("head_sha").map(str::to_owned),
        trigger: None,
        status: "unknown".into(),
        conclusion: None,
        queued_at: None,
        started_at: None,
        finished_at: None,
        attempt: Some(attempt),
        jobs: vec![job],
    };
    let job = &run.jobs[0];
    let success =
        job.status.as_deref() == Some("completed") && job.conclusion.as_deref() == Some("success");
    let rule = success
        .then(|| {
            rules.deployment_by(
                repo,
                run.branch.as_deref(),
                p.opt_str("repository.default_branch"),
                &run.workflow,
                Some(&job.name),
            )
        })
        .flatten();
    let found = rule.map(|rule| {
        detected(
            repo,
            rules,
            Detected {
                rule,
                id: deployment_of_job(job.id.as_deref().unwrap_or_default()),
                sha: run.sha.as_deref(),
                started_at: job.started_at,
                finished_at: job.finished_at,
                what: format!("job {} ({})", printable(&job.name, 100), run.id),
            },
        )
    });
    Ok(with_detected(
        vec![Versioned {
            event: Event::PipelineRun(run),
            version: 0,
        }],
        found,
    ))
}
