//! Runs on a provider: GitHub Actions workflows and GitLab pipelines. Reading a workflow's
//! form at a ref, starting (dispatch, or a re-run of the run it re-runs), cancelling, and
//! following a run to its end (polled here; webhooks bring its jobs to the pipelines pages).

use super::github::{Dispatched, GithubActions};
use super::gitlab::GitlabClient;
use super::requests::audit_run;
use super::targets::{Provider, TargetDef};
use super::workflow;
use crate::state::AppState;
use crate::store::{now_millis, Holding, StoredRun};
use nagare_core::api::{InputField, InputKind, LogChunk, LogStream, PortalRun, RunStatus};
use nagare_core::Timestamp;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The GitHub client, from `[sources.github]`'s API access; why not, otherwise. Built once per
/// process, so that a GitHub App's installation token is minted again only when it expires.
pub fn github(state: &AppState) -> Result<Arc<GithubActions>, String> {
    if let Some(gh) = state.triggers.github.get() {
        return Ok(gh.clone());
    }
    let g = &state.config.sources.github;
    let auth = g.api_auth().map_err(|e| {
        format!("starting GitHub workflows needs API access with \"Actions: write\": {e}")
    })?;
    let client = crate::sources::github_api::Client::new(&g.api_url, auth, Default::default())
        .map_err(|e| format!("cannot build the GitHub client: {e:#}"))?;
    let built = Arc::new(GithubActions::new(Arc::new(client)));
    Ok(state.triggers.github.get_or_init(|| built).clone())
}

/// The GitLab client, from `[triggers.gitlab]`; why not, otherwise.
pub fn gitlab(state: &AppState) -> Result<GitlabClient, String> {
    let g = &state.config.triggers.gitlab;
    let file = g.token_file.as_ref().ok_or(
        "GitLab pipelines need triggers.gitlab.token_file: a token with the `api` scope (Developer on the project)",
    )?;
    let token = std::fs::read_to_string(file)
        .map_err(|e| format!("triggers.gitlab.token_file: cannot read {file}: {e}"))?;
    GitlabClient::new(&g.url, token.trim().to_owned()).map_err(|e| format!("{e:#}"))
}

/// A workflow file at a ref, from the repository's git mirror when there is one.
async fn from_mirror(state: &AppState, repo: &str, path: &str, git_ref: &str) -> Option<String> {
    let git = &state.config.sources.git;
    git.mirrors
        .iter()
        .find(|m| m.repo.eq_ignore_ascii_case(repo))?;
    let dir = crate::sources::git::mirror_path(
        &git.mirrors_dir(state.store.sqlite_file().as_deref()),
        repo,
    );
    let out = tokio::process::Command::new("git")
        .arg(format!("--git-dir={}", dir.display()))
        .arg("show")
        .arg("--end-of-options")
        .arg(format!("{git_ref}:{path}"))
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The commit a GitHub target's `git_ref` points at now (the git mirror, else the API); `None`
/// for other kinds. An approval approves that commit: the dispatch checks the ref still points
/// there.
pub async fn ref_sha(
    state: &AppState,
    def: &TargetDef,
    git_ref: &str,
) -> Result<Option<String>, String> {
    let Provider::Github { repo, .. } = &def.provider else {
        return Ok(None);
    };
    let git = &state.config.sources.git;
    if git
        .mirrors
        .iter()
        .any(|m| m.repo.eq_ignore_ascii_case(repo))
    {
        let dir = crate::sources::git::mirror_path(
            &git.mirrors_dir(state.store.sqlite_file().as_deref()),
            repo,
        );
        let out = tokio::process::Command::new("git")
            .arg(format!("--git-dir={}", dir.display()))
            .args(["rev-parse", "--verify", "--end-of-options"])
            .arg(format!("{git_ref}^{{commit}}"))
            .stdin(std::process::Stdio::null())
            .output()
            .await;
        if let Some(out) = out.ok().filter(|o| o.status.success()) {
            return Ok(Some(String::from_utf8_lossy(&out.stdout).trim().to_owned()));
        }
    }
    github(state)?
        .ref_sha(repo, git_ref)
        .await
        .map(Some)
        .map_err(|e| e.to_string())
}

/// A target's form at `git_ref` (its default ref when `None`): a runbook's and a GitLab
/// pipeline's from the configuration; a GitHub workflow's from its file at that ref (the git
/// mirror, else the contents API), never the default branch's.
pub async fn inputs_at(
    state: &AppState,
    def: &TargetDef,
    git_ref: Option<&str>,
) -> Result<(Vec<InputField>, &'static str), String> {
    let Provider::Github {
        repo,
        workflow: file,
    } = &def.provider
    else {
        return Ok((def.inputs.clone(), "configuration"));
    };
    let git_ref = git_ref.or(def.default_ref.as_deref()).unwrap_or("main");
    let path = format!(".github/workflows/{file}");
    let (text, from) = match from_mirror(state, repo, &path, git_ref).await {
        Some(text) => (text, "git mirror"),
        None => (
            github(state)?
                .workflow_file(repo, &path, git_ref)
                .await
                .map_err(|e| e.to_string())?,
            "contents API",
        ),
    };
    let fields =
        workflow::dispatch_inputs(&text).map_err(|e| format!("{path} at {git_ref}: {e}"))?;
    Ok((fields, from))
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// GitLab's typed inputs from the validated texts.
fn typed(fields: &[InputField], values: &BTreeMap<String, String>) -> BTreeMap<String, Value> {
    values
        .iter()
        .map(|(k, v)| {
            let kind = fields.iter().find(|f| &f.name == k).map(|f| f.kind);
            let value = match kind {
                Some(InputKind::Boolean) => Value::Bool(v == "true"),
                Some(InputKind::Number | InputKind::Integer) => {
                    serde_json::from_str::<serde_json::Number>(v)
                        .map(Value::Number)
                        .unwrap_or_else(|_| Value::String(v.clone()))
                }
                _ => Value::String(v.clone()),
            };
            (k.clone(), value)
        })
        .collect()
}

fn provider_id(run: &PortalRun) -> Result<u64, String> {
    run.provider_run_id
        .as_deref()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("run {} has no provider run id", run.id))
}

/// Starts `run` at its provider (dispatch or create; a re-run or retry when it re-runs one).
async fn launch(state: &AppState, def: &TargetDef, run: &mut PortalRun) -> Result<(), String> {
    let git_ref = run.git_ref.clone().unwrap_or_default();
    match &def.provider {
        Provider::Runbook(_) => Err("a runbook does not run at a provider".into()),
        Provider::Github { repo, workflow } => {
            let gh = github(state)?;
            if run.rerun_of.is_some() {
                let id = provider_id(run)?;
                let r = if run.rerun_failed_only {
                    gh.rerun_failed_jobs(repo, id).await
                } else {
                    gh.rerun(repo, id).await
                };
                return r.map_err(|e| e.to_string());
            }
            if let (Some(approved), Some(_), None) = (&run.sha, &run.approval, &run.rerun_of) {
                let now = gh
                    .ref_sha(repo, &git_ref)
                    .await
                    .map_err(|e| e.to_string())?;
                if &now != approved {
                    return Err(format!(
                        "{git_ref} moved since the request was made and approved ({} → {}): what would run is not what was approved; ask for the run again",
                        short(approved),
                        short(&now)
                    ));
                }
            }
            let asked = Timestamp(now_millis());
            match gh
                .dispatch(repo, workflow, &git_ref, &run.inputs)
                .await
                .map_err(|e| e.to_string())?
            {
                Dispatched::Run { id, html_url, .. } => {
                    run.provider_run_id = Some(id.to_string());
                    run.provider_url = Some(html_url);
                }
                Dispatched::Accepted => {
                    // Runs other requests already took are not this one's.
                    let claimed: Vec<u64> = state
                        .store
                        .portal_marks()
                        .await
                        .map_err(|e| e.to_string())?
                        .0
                        .keys()
                        .filter(|(p, _)| p == "github")
                        .filter_map(|(_, id)| id.parse().ok())
                        .collect();
                    // No run id (GitHub Enterprise Server, older APIs): look for it a few times.
                    for _ in 0..5 {
                        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                        if let Some(found) = gh
                            .find_dispatched_run(repo, workflow, &git_ref, None, asked, &claimed)
                            .await
                            .map_err(|e| e.to_string())?
                        {
                            run.provider_run_id = Some(found.id.to_string());
                            run.provider_url = Some(found.html_url);
                            run.provider_run_guessed = true;
                            break;
                        }
                    }
                    if run.provider_run_id.is_none() {
                        return Err("GitHub accepted the dispatch (204) without saying which run it started, and no run of it was listed within 10 s: it may be running; look for it in the repository's Actions tab".into());
                    }
                }
            }
            Ok(())
        }
        Provider::Gitlab { project } => {
            let gl = gitlab(state)?;
            let p = if run.rerun_of.is_some() {
                gl.retry(project, provider_id(run)?).await
            } else {
                gl.create_pipeline(
                    project,
                    &git_ref,
                    &typed(&def.inputs, &run.inputs),
                    &run.variables,
                )
                .await
            }
            .map_err(|e| e.to_string())?;
            run.provider_run_id = Some(p.id.to_string());
            run.provider_url = Some(p.web_url);
            run.sha = p.sha;
            Ok(())
        }
    }
}

/// Starts a queued provider run on this replica; whether it was this replica's to start.
pub async fn start(state: &AppState, def: &TargetDef, stored: StoredRun) -> anyhow::Result<bool> {
    let Some((run, version)) = super::dispatch::claim(state, &stored).await? else {
        return Ok(false);
    };
    // The provider's answer (a 204 is looked up for seconds) does not hold up the pass.
    let (state, def) = (state.clone(), def.clone());
    tokio::spawn(async move {
        let id = run.id.clone();
        if let Err(e) = finish_start(&state, &def, run, version).await {
            tracing::error!(run = %id, error = %format!("{e:#}"), "a provider run's start could not be recorded");
        }
    });
    Ok(true)
}

/// Starts a claimed run at its provider and records how it went.
async fn finish_start(
    state: &AppState,
    def: &TargetDef,
    mut run: PortalRun,
    version: i64,
) -> anyhow::Result<()> {
    let outcome = launch(state, def, &mut run).await;
    let (success, extra) = match &outcome {
        Ok(()) => (
            true,
            format!(
                "started at the provider{}",
                if run.provider_run_guessed {
                    " (run found by listing: a guess)"
                } else {
                    ""
                }
            ),
        ),
        Err(e) => {
            run.status = RunStatus::Failed;
            run.error = Some(e.clone());
            run.finished_at = Some(Timestamp(now_millis()));
            (false, e.clone())
        }
    };
    if !state
        .store
        .swap_portal_run(&run, version, &Holding::default())
        .await?
    {
        anyhow::bail!(
            "run {} changed while it was started at its provider",
            run.id
        );
    }
    audit_run(state, "nagare", "run_started", success, &run, &extra, None).await;
    Ok(())
}

/// Cancels a provider run at the provider.
pub async fn cancel(state: &AppState, def: &TargetDef, run: &PortalRun) -> Result<(), String> {
    let id = provider_id(run)?;
    match &def.provider {
        Provider::Github { repo, .. } => github(state)?
            .cancel(repo, id)
            .await
            .map_err(|e| e.to_string()),
        Provider::Gitlab { project } => gitlab(state)?
            .cancel(project, id)
            .await
            .map(drop)
            .map_err(|e| e.to_string()),
        Provider::Runbook(_) => Ok(()),
    }
}

/// A provider's state of a run in the portal's words; `None` while it goes on.
fn ended(provider_status: &str, conclusion: Option<&str>) -> Option<RunStatus> {
    match (provider_status, conclusion) {
        ("completed", Some("success" | "neutral" | "skipped")) | ("success", _) => {
            Some(RunStatus::Succeeded)
        }
        ("completed", Some("cancelled")) | ("canceled" | "canceling", _) => {
            Some(RunStatus::Cancelled)
        }
        ("completed", Some("timed_out")) => Some(RunStatus::TimedOut),
        ("completed", _) | ("failed", _) => Some(RunStatus::Failed),
        ("skipped", _) => Some(RunStatus::Succeeded),
        _ => None,
    }
}

/// A polled GitHub run and its jobs, stored as the deliveries its webhook would have carried
/// (like a backfill's), so that its timeline on the pipelines pages moves on even when the
/// webhook does not arrive. Webhook deliveries and these merge by the state they show.
async fn store_timeline(state: &AppState, run: &Value, jobs: &[Value]) -> anyhow::Result<()> {
    use crate::sources::backfill::{store_synthesized, RepoReport, Synth};
    let text = |v: &Value, k: &str| match &v[k] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let action = |status: &str| match status {
        "completed" => "completed",
        "queued" | "requested" | "waiting" | "pending" => "requested",
        _ => "in_progress",
    };
    let repository = run["repository"].clone();
    let mut synth = vec![Synth {
        event: "workflow_run",
        id: format!(
            "poll:workflow_run:{}-{}:{}",
            text(run, "id"),
            text(run, "run_attempt"),
            text(run, "updated_at")
        ),
        body: serde_json::json!({"action": action(&text(run, "status")), "workflow_run": run, "repository": repository}),
    }];
    for job in jobs {
        let state_word = match text(job, "completed_at") {
            t if t.is_empty() => text(job, "status"),
            t => t,
        };
        synth.push(Synth {
            event: "workflow_job",
            id: format!("poll:workflow_job:{}:{state_word}", text(job, "id")),
            body: serde_json::json!({"action": action(&text(job, "status")), "workflow_job": job, "repository": repository}),
        });
    }
    let mapping = crate::sources::github::Github::mapping(&state.config.sources.github)?;
    store_synthesized(
        &state.store,
        &mapping,
        synth,
        None,
        &mut RepoReport::default(),
    )
    .await
}

/// Asks the provider how a running run fares, and records its end: on a GitHub failure, the
/// last lines of the failed job's log (its archive link lasts a minute, so it is read now).
pub async fn poll(state: &AppState, def: &TargetDef, stored: StoredRun) -> anyhow::Result<()> {
    let mut run = stored.run.clone();
    let Ok(id) = provider_id(&run) else {
        return Ok(());
    };
    let (status, excerpt) = match &def.provider {
        Provider::Github { repo, .. } => {
            let gh = github(state).map_err(anyhow::Error::msg)?;
            let v = gh.run(repo, id).await?;
            if run.sha.is_none() {
                run.sha = v["head_sha"].as_str().map(str::to_owned);
            }
            let status = ended(v["status"].as_str().unwrap_or(""), v["conclusion"].as_str());
            let jobs = gh.jobs(repo, id).await.unwrap_or_default();
            if let Err(e) = store_timeline(state, &v, &jobs).await {
                tracing::warn!(error = %format!("{e:#}"), "could not keep a polled run's jobs");
            }
            let mut excerpt = None;
            if status == Some(RunStatus::Failed) {
                if let Some(job) = jobs
                    .iter()
                    .find(|j| j["conclusion"].as_str() == Some("failure"))
                {
                    let step = job["steps"].as_array().and_then(|s| {
                        s.iter()
                            .find(|s| s["conclusion"].as_str() == Some("failure"))
                    });
                    let head = format!(
                        "failed: job “{}”{}",
                        job["name"].as_str().unwrap_or("?"),
                        step.map_or(String::new(), |s| format!(
                            ", step “{}”",
                            s["name"].as_str().unwrap_or("?")
                        ))
                    );
                    let lines = match job["id"].as_u64() {
                        Some(job_id) => gh
                            .job_log_excerpt(repo, job_id, 40)
                            .await
                            .unwrap_or_else(|e| format!("(the log could not be read: {e})")),
                        None => String::new(),
                    };
                    excerpt = Some(format!("{head}\n{lines}"));
                }
            }
            (status, excerpt)
        }
        Provider::Gitlab { project } => {
            let p = gitlab(state)
                .map_err(anyhow::Error::msg)?
                .pipeline(project, id)
                .await?;
            if run.sha.is_none() {
                run.sha = p.sha.clone();
            }
            (ended(&p.status, None), None)
        }
        Provider::Runbook(_) => return Ok(()),
    };
    let Some(status) = status else {
        return Ok(());
    };
    if let Some(text) = excerpt {
        let mut text = text;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        let chunk = LogChunk {
            seq: run.log.last_seq + 1,
            stream: LogStream::System,
            at: Timestamp(now_millis()),
            text,
        };
        state.store.append_run_log(&run.id, &[chunk], 0).await?;
    }
    run.status = status;
    run.finished_at = Some(Timestamp(now_millis()));
    run.duration_ms = run.started_at.map(|s| now_millis() - s.0);
    if let Some(by) = &stored.cancel_requested_by {
        run.cancelled_by.get_or_insert(by.clone());
    }
    if state
        .store
        .swap_portal_run(&run, stored.version, &Holding::default())
        .await?
    {
        audit_run(
            state,
            "nagare",
            "run_finished",
            status == RunStatus::Succeeded,
            &run,
            status.as_str(),
            None,
        )
        .await;
    }
    Ok(())
}
