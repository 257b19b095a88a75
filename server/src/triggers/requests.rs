//! What a caller asks of runs: start one (`request`), answer an approval (`answer`), cancel
//! (`cancel`) and re-run (`rerun`). Each checks the caller's grant for its verb on the
//! target's service, writes the run with a compare and swap, and goes to the audit log.

use super::targets::TargetDef;
use super::{view, Runtime};
use crate::auth::{audit, Principal};
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Synced};
use crate::store::{now_millis, AuditEntry, Holding, StoredRun};
use nagare_core::api::{
    ApprovalDecision, ApprovalState, Decision, LogSummary, PortalRun, RunRequest, RunStatus,
    TargetKind, Verb,
};
use nagare_core::triggers::{approval, command, grants, inputs, Standing};
use nagare_core::Timestamp;
use std::collections::BTreeMap;

/// The teams owning `service`, as the catalogue has them (none when it is unknown: then only
/// admins act on it).
pub async fn service_teams(state: &AppState, service: &str) -> ApiResult<Vec<String>> {
    let model = Synced::now(state).await?;
    Ok(model
        .catalog()
        .services()
        .into_iter()
        .find(|s| s.name == service)
        .map(|s| s.teams)
        .unwrap_or_default())
}

pub fn runtime(state: &AppState) -> &Runtime {
    &state.triggers
}

fn target<'a>(rt: &'a Runtime, name: &str) -> ApiResult<&'a TargetDef> {
    rt.targets.get(name).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no trigger target `{}`; GET /api/v1/triggers lists them",
            nagare_core::text::printable(name, 60)
        ))
    })
}

/// 403 with what is missing, unless `who` may `verb` runs of `def`.
pub fn check(
    rt: &Runtime,
    who: &Principal,
    verb: Verb,
    def: &TargetDef,
    teams: &[String],
) -> ApiResult<()> {
    grants::check(
        &rt.targets.grants,
        &who.subject(),
        verb,
        &view::grant_target(def, teams),
    )
    .map_err(|m| ApiError::Forbidden {
        error: m.to_string(),
        required_role: m.role(),
    })
}

/// A ref as GitHub and GitLab accept it: no spaces or control characters, not an option.
pub fn check_ref(r: &str) -> ApiResult<()> {
    let bad = r.is_empty()
        || r.len() > 255
        || r.starts_with('-')
        || r.contains("..")
        || r.chars().any(|c| {
            c.is_control()
                || c.is_whitespace()
                || matches!(c, '~' | '^' | ':' | '?' | '*' | '[' | '\\')
        });
    if bad {
        return Err(ApiError::bad_param(
            "ref",
            format!(
                "`{}` is not a branch or tag name",
                nagare_core::text::printable(r, 60)
            ),
        ));
    }
    Ok(())
}

/// The audit log's words for a run.
pub fn audit_text(run: &PortalRun) -> String {
    let mut s = format!("run {} of {} (service {}", run.id, run.target, run.service);
    if let Some(e) = &run.environment {
        s.push_str(&format!(", {e}"));
    }
    s.push(')');
    if let Some(r) = &run.git_ref {
        s.push_str(&format!(" ref {r}"));
    }
    if let Some(sha) = &run.sha {
        s.push_str(&format!(" sha {sha}"));
    }
    if let Some(p) = &run.provider_run_id {
        s.push_str(&format!(" provider run {p}"));
    }
    if !run.inputs.is_empty() {
        s.push_str(&format!(
            " inputs {}",
            serde_json::to_string(&run.inputs).unwrap_or_default()
        ));
    }
    s
}

pub async fn audit_run(
    state: &AppState,
    actor: &str,
    action: &str,
    success: bool,
    run: &PortalRun,
    extra: &str,
    ip: Option<String>,
) {
    let detail = if extra.is_empty() {
        audit_text(run)
    } else {
        format!("{}: {extra}", audit_text(run))
    };
    audit(
        state,
        AuditEntry {
            actor,
            action,
            success,
            detail,
            ip,
        },
    )
    .await;
}

/// `POST /api/v1/triggers/{target}/runs`: the run, queued or waiting for approval.
pub async fn request(
    state: &AppState,
    who: &Principal,
    target_name: &str,
    req: RunRequest,
    rerun_of: Option<(&PortalRun, bool)>,
    ip: Option<String>,
) -> ApiResult<PortalRun> {
    let rt = runtime(state);
    let def = target(rt, target_name)?;
    let teams = service_teams(state, &def.service).await?;
    let verb = match rerun_of {
        None => Verb::Trigger,
        Some((_, false)) => Verb::Rerun,
        Some((_, true)) => Verb::RerunFailed,
    };
    check(rt, who, verb, def, &teams)?;
    let git_ref = match def.kind() {
        TargetKind::Runbook => None,
        _ => {
            let r = req
                .git_ref
                .clone()
                .or_else(|| def.default_ref.clone())
                .unwrap_or_default();
            check_ref(&r)?;
            Some(r)
        }
    };
    let values = match rerun_of {
        // A re-run runs what ran: the inputs as they were validated then.
        Some((prev, _)) => prev.inputs.clone(),
        None => {
            let (fields, _) = super::providers::inputs_at(state, def, git_ref.as_deref())
                .await
                .map_err(|e| ApiError::Unprocessable {
                    error: e,
                    line: None,
                    field: Some("ref".into()),
                })?;
            inputs::validate(&fields, &req.inputs).map_err(|e| ApiError::BadRequest {
                error: e.to_string(),
                line: None,
                field: Some(match &e {
                    inputs::InputError::Unknown(n, _) | inputs::InputError::Missing(n) => {
                        format!("inputs.{n}")
                    }
                    inputs::InputError::Invalid { name, .. }
                    | inputs::InputError::BadPattern { name, .. } => format!("inputs.{name}"),
                }),
            })?
        }
    };
    if !req.variables.is_empty() && def.kind() != TargetKind::GitlabPipeline {
        return Err(ApiError::bad_param(
            "variables",
            "only GitLab pipelines take variables",
        ));
    }
    if let Some(bad) = req
        .variables
        .keys()
        .find(|k| k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        return Err(ApiError::bad_param(
            "variables",
            format!(
                "`{}` is not a variable name",
                nagare_core::text::printable(bad, 60)
            ),
        ));
    }
    let command = match def.runbook() {
        Some(r) => {
            if let Some(name) = command::option_like(&r.argv, &values) {
                return Err(ApiError::bad_param(
                    &format!("inputs.{name}"),
                    format!("inputs.{name}: the value is a whole argument and starts with `-`, so the program would read it as an option; give a value that does not"),
                ));
            }
            Some(
                command::render(&r.argv, &values)
                    .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?,
            )
        }
        None => None,
    };
    let now = now_millis();
    let approval_state = match &def.approval {
        None => None,
        Some(_) if who.subject().token.is_some() => {
            // Nothing ties a token to one person, so "never by the requester" could not hold.
            return Err(ApiError::Forbidden {
                error: format!(
                    "{} needs approval, and an approval request must come from a signed-in person (an API token is no one in particular); ask for it in the portal",
                    def.name
                ),
                required_role: Some(nagare_core::api::Role::Engineer),
            });
        }
        Some(policy) => {
            approval::can_be_approved(policy, &who.approver())
                .map_err(|e| ApiError::Conflict(e.to_string()))?;
            let expires_at = Timestamp(now + policy.expires_after_secs as i64 * 1000);
            let waiting_for = match approval::standing(
                policy,
                &who.approver(),
                &[],
                Timestamp(now),
                expires_at,
            ) {
                Standing::Pending { waiting_for } => waiting_for,
                _ => Vec::new(),
            };
            Some(ApprovalState {
                policy: policy.clone(),
                decisions: Vec::new(),
                waiting_for,
                expires_at,
            })
        }
    };
    // What an approver approves is a commit: the dispatch checks the ref still points there.
    let sha = match (&def.approval, &git_ref) {
        (Some(_), Some(r)) if rerun_of.is_none() => super::providers::ref_sha(state, def, r)
            .await
            .map_err(|e| ApiError::Unprocessable {
                error: e,
                line: None,
                field: Some("ref".into()),
            })?,
        _ => None,
    };
    let reason = req
        .reason
        .as_deref()
        .map(|r| nagare_core::text::capped(r.trim(), 500))
        .filter(|r| !r.is_empty());
    let run = PortalRun {
        id: crate::auth::random_token(12)?,
        target: def.name.clone(),
        title: def.title.clone(),
        kind: def.kind(),
        service: def.service.clone(),
        environment: def.environment.clone(),
        tier: def.tier,
        status: if approval_state.is_some() {
            RunStatus::AwaitingApproval
        } else {
            RunStatus::Queued
        },
        requested_by: who.id.clone(),
        requested_by_name: who.name.clone(),
        requested_by_email: who.email.clone(),
        requested_at: Timestamp(now),
        reason,
        inputs: values,
        variables: req.variables.clone(),
        git_ref,
        sha,
        command,
        approval: approval_state,
        started_at: None,
        finished_at: None,
        duration_ms: None,
        exit_code: None,
        signal: None,
        cancelled_by: None,
        error: None,
        // A provider re-run acts on the run it re-runs.
        provider_run_id: match (rerun_of, def.kind()) {
            (Some((prev, _)), TargetKind::GithubWorkflow | TargetKind::GitlabPipeline) => {
                prev.provider_run_id.clone()
            }
            _ => None,
        },
        provider_url: rerun_of
            .and_then(|(prev, _)| prev.provider_url.clone())
            .filter(|_| def.kind() != TargetKind::Runbook),
        provider_run_guessed: false,
        rerun_of: rerun_of.map(|(prev, _)| prev.id.clone()),
        rerun_failed_only: rerun_of.is_some_and(|(_, f)| f),
        log: LogSummary::default(),
        verbs: Vec::new(),
    };
    state.store.insert_portal_run(&run).await?;
    let action = if rerun_of.is_some() {
        "run_rerun_requested"
    } else {
        "run_requested"
    };
    let extra = match (&run.approval, &run.command) {
        (Some(a), _) => format!(
            "waits for approval by {} of {}",
            a.policy.mode, a.policy.group
        ),
        (None, Some(c)) => format!("command {}", serde_json::to_string(c).unwrap_or_default()),
        (None, None) => String::new(),
    };
    audit_run(state, &who.actor(), action, true, &run, &extra, ip).await;
    super::dispatch::kick(state);
    Ok(run)
}

fn stale(run: &StoredRun) -> ApiError {
    ApiError::Conflict(format!(
        "run {} changed while this request was answered (it is now {}); reload and try again",
        run.run.id, run.run.status
    ))
}

pub async fn load(state: &AppState, id: &str) -> ApiResult<StoredRun> {
    state.store.portal_run(id).await?.ok_or_else(|| {
        ApiError::NotFound(format!("no run `{}`", nagare_core::text::printable(id, 40)))
    })
}

/// `POST /api/v1/approvals/{id}/approve` or `/reject`.
pub async fn answer(
    state: &AppState,
    who: &Principal,
    id: &str,
    decision: Decision,
    comment: Option<String>,
    ip: Option<String>,
) -> ApiResult<PortalRun> {
    let rt = runtime(state);
    let stored = load(state, id).await?;
    let def = target(rt, &stored.run.target)?;
    let teams = service_teams(state, &def.service).await?;
    check(rt, who, Verb::Approve, def, &teams)?;
    let mut run = stored.run.clone();
    let now = Timestamp(now_millis());
    let requester = nagare_core::triggers::Approver {
        id: &run.requested_by,
        email: run.requested_by_email.as_deref(),
    };
    let Some(a) = run
        .approval
        .as_mut()
        .filter(|_| run.status == RunStatus::AwaitingApproval)
    else {
        return Err(ApiError::Conflict(format!(
            "run {id} is {}, not waiting for approval",
            run.status
        )));
    };
    approval::decide(
        &a.policy,
        &requester,
        &a.decisions,
        &who.approver(),
        now,
        a.expires_at,
    )
    .map_err(|e| ApiError::Forbidden {
        error: e.to_string(),
        required_role: None,
    })?;
    let by = approval::member_name(&a.policy, &who.approver())
        .cloned()
        .unwrap_or_else(|| who.id.clone());
    a.decisions.push(ApprovalDecision {
        by,
        name: who.name.clone(),
        decision,
        at: now,
        comment: comment
            .map(|c| nagare_core::text::capped(c.trim(), 500))
            .filter(|c| !c.is_empty()),
    });
    let standing = approval::standing(&a.policy, &requester, &a.decisions, now, a.expires_at);
    a.waiting_for = match &standing {
        Standing::Pending { waiting_for } => waiting_for.clone(),
        _ => Vec::new(),
    };
    match standing {
        Standing::Approved => run.status = RunStatus::Queued,
        Standing::Rejected { .. } => {
            run.status = RunStatus::Rejected;
            run.finished_at = Some(now);
        }
        Standing::Pending { .. } | Standing::Expired => {}
    }
    if !state
        .store
        .swap_portal_run(&run, stored.version, &Holding::default())
        .await?
    {
        return Err(stale(&stored));
    }
    let action = match decision {
        Decision::Approve => "run_approved",
        Decision::Reject => "run_rejected",
    };
    let extra = match run.status {
        RunStatus::Queued => "approved; it starts now".to_owned(),
        RunStatus::Rejected => "rejected; it will not run".to_owned(),
        _ => format!(
            "still waiting for {}",
            run.approval
                .as_ref()
                .map(|a| a.waiting_for.join(", "))
                .unwrap_or_default()
        ),
    };
    audit_run(state, &who.actor(), action, true, &run, &extra, ip).await;
    super::dispatch::kick(state);
    Ok(run)
}

/// `POST /api/v1/runs/{id}/cancel`: a run not started yet ends at once; a running one is
/// stopped by the replica running it (its next heartbeat), a provider run at the provider.
pub async fn cancel(
    state: &AppState,
    who: &Principal,
    id: &str,
    ip: Option<String>,
) -> ApiResult<PortalRun> {
    let rt = runtime(state);
    let stored = load(state, id).await?;
    let def = target(rt, &stored.run.target)?;
    let teams = service_teams(state, &def.service).await?;
    check(rt, who, Verb::Cancel, def, &teams)?;
    let mut run = stored.run.clone();
    match run.status {
        RunStatus::AwaitingApproval | RunStatus::Queued => {
            run.status = RunStatus::Cancelled;
            run.cancelled_by = Some(who.name.clone());
            run.finished_at = Some(Timestamp(now_millis()));
            if !state
                .store
                .swap_portal_run(&run, stored.version, &Holding::default())
                .await?
            {
                return Err(stale(&stored));
            }
            audit_run(
                state,
                &who.actor(),
                "run_cancelled",
                true,
                &run,
                "before it started",
                ip,
            )
            .await;
            Ok(run)
        }
        RunStatus::Running => {
            state.store.request_cancel(id, &who.name).await?;
            if run.kind != TargetKind::Runbook {
                if let Err(e) = super::providers::cancel(state, def, &run).await {
                    audit_run(
                        state,
                        &who.actor(),
                        "run_cancel_requested",
                        false,
                        &run,
                        &e,
                        ip,
                    )
                    .await;
                    return Err(ApiError::Conflict(e));
                }
            }
            audit_run(
                state,
                &who.actor(),
                "run_cancel_requested",
                true,
                &run,
                "stopping it",
                ip,
            )
            .await;
            super::dispatch::kick(state);
            Ok(load(state, id).await?.run)
        }
        s => Err(ApiError::Conflict(format!("run {id} already ended ({s})"))),
    }
}

/// `POST /api/v1/runs/{id}/rerun`: a new run of the same target with the same inputs (through
/// approval again when the target needs it).
pub async fn rerun(
    state: &AppState,
    who: &Principal,
    id: &str,
    failed_only: bool,
    ip: Option<String>,
) -> ApiResult<PortalRun> {
    let stored = load(state, id).await?;
    let prev = &stored.run;
    if !prev.status.is_final() || matches!(prev.status, RunStatus::Rejected | RunStatus::Expired) {
        return Err(ApiError::Conflict(format!(
            "run {id} is {}; only a run that ran can be re-run",
            prev.status
        )));
    }
    match prev.kind {
        TargetKind::Runbook if failed_only => {
            return Err(ApiError::bad_param(
                "failed_only",
                "a runbook has no jobs; re-run it whole",
            ))
        }
        TargetKind::GithubWorkflow => {
            let attempts = attempts_of(state, prev).await?;
            if let Some(why) = view::github_rerun_limit(prev, attempts, Timestamp(now_millis())) {
                return Err(ApiError::Conflict(why));
            }
        }
        _ => {}
    }
    if prev.kind != TargetKind::Runbook && prev.provider_run_id.is_none() {
        return Err(ApiError::Conflict(format!(
            "run {id} never reached the provider; start a new run"
        )));
    }
    let req = RunRequest {
        inputs: BTreeMap::new(),
        git_ref: prev.git_ref.clone(),
        reason: Some(format!("re-run of {id}")),
        variables: prev.variables.clone(),
    };
    request(
        state,
        who,
        &prev.target.clone(),
        req,
        Some((prev, failed_only)),
        ip,
    )
    .await
}

/// How many times a provider run was run: 1 plus its re-runs from the portal.
pub async fn attempts_of(state: &AppState, run: &PortalRun) -> ApiResult<u32> {
    let Some(pid) = &run.provider_run_id else {
        return Ok(1);
    };
    let n = state.store.provider_run_requests("github", pid).await?;
    Ok(n.max(1) as u32)
}
