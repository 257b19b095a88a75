//! The targets of `[triggers]`, read and checked once at start: each with its kind, service,
//! environment and tier, form, approval policy and who it admits.

use crate::config::{ApprovalConfig, Config, ParamConfig};
use nagare_core::api::{ApprovalPolicy, InputField, Role, TargetKind};
use nagare_core::events::EnvironmentTier;
use nagare_core::triggers::{command, Grants};
use std::path::PathBuf;
use std::time::Duration;

/// How a runbook runs.
#[derive(Debug, Clone)]
pub struct Runbook {
    pub argv: Vec<String>,
    pub workdir: Option<PathBuf>,
    pub timeout: Duration,
    pub concurrency: u32,
    /// Variables passed from the server's environment.
    pub env_allow: Vec<String>,
}

/// Where a provider target runs.
#[derive(Debug, Clone)]
pub enum Provider {
    Runbook(Runbook),
    Github { repo: String, workflow: String },
    Gitlab { project: String },
}

#[derive(Debug, Clone)]
pub struct TargetDef {
    pub name: String,
    pub title: String,
    pub description: String,
    pub service: String,
    pub environment: Option<String>,
    pub tier: Option<EnvironmentTier>,
    pub approval: Option<ApprovalPolicy>,
    pub roles: Vec<Role>,
    pub teams: Vec<String>,
    /// The form (runbooks and GitLab from the configuration; GitHub's are read at a ref).
    pub inputs: Vec<InputField>,
    pub default_ref: Option<String>,
    pub provider: Provider,
}

impl TargetDef {
    pub fn kind(&self) -> TargetKind {
        match self.provider {
            Provider::Runbook(_) => TargetKind::Runbook,
            Provider::Github { .. } => TargetKind::GithubWorkflow,
            Provider::Gitlab { .. } => TargetKind::GitlabPipeline,
        }
    }

    pub fn runbook(&self) -> Option<&Runbook> {
        match &self.provider {
            Provider::Runbook(r) => Some(r),
            _ => None,
        }
    }
}

/// Every target, and the settings they share.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub list: Vec<TargetDef>,
    pub grants: Grants,
    pub log_cap_bytes: u64,
    pub kill_grace: Duration,
}

impl Targets {
    pub fn get(&self, name: &str) -> Option<&TargetDef> {
        self.list.iter().find(|t| t.name == name)
    }

    /// The targets of `config`; the key and the problem otherwise.
    pub fn from_config(config: &Config) -> Result<Targets, (String, String)> {
        let t = &config.triggers;
        let tiers = config.environment_tiers().unwrap_or_default();
        let tier_of = |env: &str| {
            tiers
                .iter()
                .find(|(n, _)| n == env)
                .map(|(_, t)| *t)
                .unwrap_or_else(|| EnvironmentTier::from_environment_name(env))
        };
        for (group, members) in &t.approval_groups {
            if members.iter().any(|m| m.trim().is_empty()) || members.is_empty() {
                return Err((
                    format!("triggers.approval_groups.{group}"),
                    "list its members' e-mail addresses (or subjects), none empty".into(),
                ));
            }
        }
        if t.approval_expiry_hours == 0 {
            return Err((
                "triggers.approval_expiry_hours".into(),
                "must be at least 1 (hours)".into(),
            ));
        }
        if t.log_cap_kb == 0 {
            return Err((
                "triggers.log_cap_kb".into(),
                "must be at least 1 (KB)".into(),
            ));
        }
        let common = Common {
            config: t,
            tier_of: &tier_of,
        };
        let mut list = Vec::new();
        for (i, r) in t.runbooks.iter().enumerate() {
            let at = format!("triggers.runbooks[{i}]");
            let inputs = fields(&r.params, &at, "params")?;
            command::check_template(&r.argv, &inputs)
                .map_err(|e| (format!("{at}.argv"), e.to_string()))?;
            if r.timeout_secs == 0 {
                return Err((
                    format!("{at}.timeout_secs"),
                    "must be at least 1 (seconds)".into(),
                ));
            }
            if r.concurrency == 0 {
                return Err((format!("{at}.concurrency"), "must be at least 1".into()));
            }
            if let Some(bad) = r
                .env
                .iter()
                .find(|v| v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            {
                return Err((
                    format!("{at}.env"),
                    format!("`{bad}` is not a variable name"),
                ));
            }
            let workdir = r.workdir.as_ref().map(PathBuf::from);
            if let Some(w) = &workdir {
                if !w.is_dir() {
                    return Err((
                        format!("{at}.workdir"),
                        format!(
                            "{} is not a directory; create it or fix the path",
                            w.display()
                        ),
                    ));
                }
            }
            list.push(common.target(
                &at,
                Head {
                    name: &r.name,
                    title: r.title.as_deref(),
                    description: &r.description,
                    service: &r.service,
                    environment: r.environment.as_deref(),
                    roles: &r.roles,
                    teams: &r.teams,
                    approval: r.approval.as_ref(),
                },
                inputs,
                None,
                Provider::Runbook(Runbook {
                    argv: r.argv.clone(),
                    workdir,
                    timeout: Duration::from_secs(r.timeout_secs),
                    concurrency: r.concurrency,
                    env_allow: r.env.clone(),
                }),
            )?);
        }
        for (i, w) in t.workflows.iter().enumerate() {
            let at = format!("triggers.workflows[{i}]");
            if w.repo.split('/').filter(|p| !p.is_empty()).count() != 2 {
                return Err((
                    format!("{at}.repo"),
                    format!("`{}` must be owner/name", w.repo),
                ));
            }
            if w.workflow.is_empty() || w.workflow.contains('/') {
                return Err((
                    format!("{at}.workflow"),
                    "the workflow file's name in .github/workflows (like deploy.yml)".into(),
                ));
            }
            list.push(common.target(
                &at,
                Head {
                    name: &w.name,
                    title: w.title.as_deref(),
                    description: &w.description,
                    service: &w.service,
                    environment: w.environment.as_deref(),
                    roles: &w.roles,
                    teams: &w.teams,
                    approval: w.approval.as_ref(),
                },
                Vec::new(),
                Some(&w.git_ref),
                Provider::Github {
                    repo: w.repo.clone(),
                    workflow: w.workflow.clone(),
                },
            )?);
        }
        for (i, p) in t.pipelines.iter().enumerate() {
            let at = format!("triggers.pipelines[{i}]");
            if p.project.trim_matches('/').is_empty() {
                return Err((
                    format!("{at}.project"),
                    "the project's path, like group/app".into(),
                ));
            }
            let inputs = fields(&p.inputs, &at, "inputs")?;
            list.push(common.target(
                &at,
                Head {
                    name: &p.name,
                    title: p.title.as_deref(),
                    description: &p.description,
                    service: &p.service,
                    environment: p.environment.as_deref(),
                    roles: &p.roles,
                    teams: &p.teams,
                    approval: p.approval.as_ref(),
                },
                inputs,
                Some(&p.git_ref),
                Provider::Gitlab {
                    project: p.project.trim_matches('/').to_owned(),
                },
            )?);
        }
        for (i, t) in list.iter().enumerate() {
            if list[..i].iter().any(|o| o.name == t.name) {
                return Err((
                    "triggers".into(),
                    format!("two targets are named `{}`; names must be unique", t.name),
                ));
            }
        }
        Ok(Targets {
            list,
            grants: Grants {
                trigger: t.grants.trigger,
                rerun: t.grants.rerun,
                rerun_failed: t.grants.rerun_failed,
                cancel: t.grants.cancel,
                approve: t.grants.approve,
            },
            log_cap_bytes: t.log_cap_kb.saturating_mul(1024),
            kill_grace: Duration::from_secs(t.kill_grace_secs),
        })
    }
}

fn fields(
    params: &[ParamConfig],
    at: &str,
    key: &str,
) -> Result<Vec<InputField>, (String, String)> {
    let mut out: Vec<InputField> = Vec::new();
    for (j, p) in params.iter().enumerate() {
        let f = p.field().map_err(|m| (format!("{at}.{key}[{j}]"), m))?;
        if out.iter().any(|o| o.name == f.name) {
            return Err((
                format!("{at}.{key}[{j}].name"),
                format!("`{}` is declared twice", f.name),
            ));
        }
        out.push(f);
    }
    Ok(out)
}

/// What every kind of target declares.
struct Head<'a> {
    name: &'a str,
    title: Option<&'a str>,
    description: &'a str,
    service: &'a str,
    environment: Option<&'a str>,
    roles: &'a [Role],
    teams: &'a [String],
    approval: Option<&'a ApprovalConfig>,
}

struct Common<'a> {
    config: &'a crate::config::TriggersConfig,
    tier_of: &'a dyn Fn(&str) -> EnvironmentTier,
}

impl Common<'_> {
    fn target(
        &self,
        at: &str,
        h: Head<'_>,
        inputs: Vec<InputField>,
        default_ref: Option<&str>,
        provider: Provider,
    ) -> Result<TargetDef, (String, String)> {
        let ok_name = !h.name.is_empty()
            && h.name.len() <= 64
            && h.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok_name {
            return Err((
                format!("{at}.name"),
                format!(
                    "`{}` must be 1 to 64 letters, digits, `-` or `_` (it is in URLs)",
                    h.name
                ),
            ));
        }
        if h.service.trim().is_empty() {
            return Err((
                format!("{at}.service"),
                "name the service it acts on".into(),
            ));
        }
        let tier = h.environment.map(|e| (self.tier_of)(e));
        let approval = match h.approval {
            None => None,
            Some(a) => {
                if tier != Some(EnvironmentTier::Production) {
                    return Err((
                        format!("{at}.approval"),
                        format!(
                            "approval applies to production-tier targets; set `environment` to a production environment (it is {})",
                            h.environment.map_or("not set".to_owned(), |e| format!("`{e}`, tier {}", (self.tier_of)(e)))
                        ),
                    ));
                }
                let members = self.config.approval_groups.get(&a.group).ok_or_else(|| {
                    (
                        format!("{at}.approval.group"),
                        format!(
                            "no group `{}` in triggers.approval_groups (there: {})",
                            a.group,
                            self.config
                                .approval_groups
                                .keys()
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
                Some(ApprovalPolicy {
                    mode: a.mode,
                    group: a.group.clone(),
                    approvers: members.clone(),
                    expires_after_secs: self.config.approval_expiry_hours.saturating_mul(3600),
                })
            }
        };
        Ok(TargetDef {
            name: h.name.to_owned(),
            title: h.title.map_or_else(|| h.name.to_owned(), str::to_owned),
            description: h.description.to_owned(),
            service: h.service.to_owned(),
            environment: h.environment.map(str::to_owned),
            tier,
            approval,
            roles: h.roles.to_vec(),
            teams: h.teams.to_vec(),
            inputs,
            default_ref: default_ref.map(str::to_owned),
            provider,
        })
    }
}
