//! Targets and runs as a caller sees them: with the verbs this caller may use now, so that the
//! UI shows only the buttons that work (the API checks again on every request).

use super::targets::{Provider, TargetDef, Targets};
use crate::auth::Principal;
use nagare_core::api::{InputField, PortalRun, RunStatus, TargetKind, TriggerTarget, Verb};
use nagare_core::triggers::{approval, grants, Grants};
use nagare_core::Timestamp;

/// GitHub re-runs a run only within 30 days of its start.
pub const GITHUB_RERUN_DAYS: i64 = 30;
/// GitHub re-runs a run at most 50 times.
pub const GITHUB_MAX_ATTEMPTS: u32 = 50;

pub fn grant_target<'a>(def: &'a TargetDef, service_teams: &'a [String]) -> grants::Target<'a> {
    grants::Target {
        service: &def.service,
        service_teams,
        roles: &def.roles,
        teams: &def.teams,
    }
}

/// A target as `who` sees it; `inputs` read at `inputs_ref` for a GitHub workflow.
pub fn target(
    grants_: &Grants,
    def: &TargetDef,
    who: &Principal,
    service_teams: &[String],
    inputs: Result<(Vec<InputField>, &'static str), String>,
    inputs_ref: Option<String>,
) -> TriggerTarget {
    let mut verbs = grants::verbs(grants_, &who.subject(), &grant_target(def, service_teams));
    if def.kind() == TargetKind::Runbook {
        // A runbook has no jobs to re-run apart.
        verbs.retain(|v| *v != Verb::RerunFailed);
    }
    let (inputs, inputs_from, inputs_error) = match inputs {
        Ok((f, from)) => (f, Some(from.to_owned()), None),
        Err(e) => (Vec::new(), None, Some(e)),
    };
    let (repository, workflow, command, timeout_secs, concurrency) = match &def.provider {
        Provider::Runbook(r) => (
            None,
            None,
            Some(r.argv.clone()),
            Some(r.timeout.as_secs()),
            Some(r.concurrency),
        ),
        Provider::Github { repo, workflow } => (
            Some(repo.clone()),
            Some(format!(".github/workflows/{workflow}")),
            None,
            None,
            None,
        ),
        Provider::Gitlab { project } => (Some(project.clone()), None, None, None, None),
    };
    TriggerTarget {
        name: def.name.clone(),
        title: def.title.clone(),
        description: def.description.clone(),
        kind: def.kind(),
        service: def.service.clone(),
        teams: service_teams.to_vec(),
        environment: def.environment.clone(),
        tier: def.tier,
        approval: def.approval.clone(),
        inputs,
        inputs_ref,
        inputs_from,
        inputs_error,
        repository,
        workflow,
        default_ref: def.default_ref.clone(),
        command,
        timeout_secs,
        concurrency,
        verbs,
    }
}

/// Whether GitHub still re-runs `run` at `now` (30 days from its start, 50 attempts), in words
/// when it does not.
pub fn github_rerun_limit(run: &PortalRun, attempts: u32, now: Timestamp) -> Option<String> {
    let started = run.started_at.unwrap_or(run.requested_at);
    if now.0 - started.0 > GITHUB_RERUN_DAYS * 86_400_000 {
        return Some(format!(
            "GitHub re-runs a workflow run only within {GITHUB_RERUN_DAYS} days of its start; start a new run instead"
        ));
    }
    if attempts >= GITHUB_MAX_ATTEMPTS {
        return Some(format!(
            "GitHub re-runs a workflow run at most {GITHUB_MAX_ATTEMPTS} times; start a new run instead"
        ));
    }
    None
}

/// The verbs `who` may use on `run` now: granted, and meaningful in its state.
pub fn run_verbs(
    targets: &Targets,
    run: &PortalRun,
    who: &Principal,
    service_teams: &[String],
    attempts: u32,
    now: Timestamp,
) -> Vec<Verb> {
    let Some(def) = targets.get(&run.target) else {
        return Vec::new();
    };
    let granted = grants::verbs(
        &targets.grants,
        &who.subject(),
        &grant_target(def, service_teams),
    );
    granted
        .into_iter()
        .filter(|v| match v {
            Verb::Trigger => false,
            Verb::Cancel => !run.status.is_final(),
            Verb::Rerun | Verb::RerunFailed => {
                let ended = run.status.is_final()
                    && !matches!(run.status, RunStatus::Rejected | RunStatus::Expired);
                let provider_ok = match run.kind {
                    TargetKind::GithubWorkflow => {
                        run.provider_run_id.is_some()
                            && github_rerun_limit(run, attempts, now).is_none()
                    }
                    TargetKind::GitlabPipeline => run.provider_run_id.is_some(),
                    TargetKind::Runbook => true,
                };
                let failed_only_ok = *v == Verb::Rerun
                    || (run.kind != TargetKind::Runbook
                        && matches!(
                            run.status,
                            RunStatus::Failed | RunStatus::Cancelled | RunStatus::TimedOut
                        ));
                ended && provider_ok && failed_only_ok
            }
            Verb::Approve => match (&run.approval, run.status) {
                (Some(a), RunStatus::AwaitingApproval) => {
                    let requester = nagare_core::triggers::Approver {
                        id: &run.requested_by,
                        email: run.requested_by_email.as_deref(),
                    };
                    approval::decide(
                        &a.policy,
                        &requester,
                        &a.decisions,
                        &who.approver(),
                        now,
                        a.expires_at,
                    )
                    .is_ok()
                }
                _ => false,
            },
        })
        .collect()
}
