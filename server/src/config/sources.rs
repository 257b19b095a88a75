//! `[sources]`: webhook sources (`POST /hooks/{source}`) and their secrets.

use nagare_core::events::EnvironmentTier;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourcesConfig {
    /// Canonical events posted by anything that can sign its body with a shared secret.
    pub canonical: SignedSourceConfig,
    /// GitHub's webhooks (`POST /hooks/github`), and the rules that map them.
    pub github: GithubSourceConfig,
    /// Bare git mirrors: exact commit graphs and changed paths.
    pub git: super::GitSourceConfig,
}

/// A source verified by an HMAC-SHA256 signature of the body under one of its secrets.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignedSourceConfig {
    /// The secrets in use: more than one while a secret is rotated. Prefer `secrets_file` or
    /// the environment over writing them here. None: the source is off.
    pub secrets: Vec<String>,
    /// A file with one secret per line (blank lines and `#` comments skipped).
    pub secrets_file: Option<PathBuf>,
}

/// `[sources.github]`: the secrets of GitHub's webhooks and the mapping rules
/// (docs/sources/github.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GithubSourceConfig {
    /// The webhook secrets in use (more than one while rotating); none: the source is off.
    pub secrets: Vec<String>,
    /// A file with one secret per line.
    pub secrets_file: Option<PathBuf>,
    /// Repositories and the services they are; the first match wins, an exact name before
    /// `owner/*`.
    pub repos: Vec<RepoRuleConfig>,
    /// Environment names and their tiers, where the name alone would say otherwise.
    pub environments: BTreeMap<String, EnvironmentTier>,
    /// Labels that make an issue an incident.
    pub incident_labels: Vec<String>,
    /// The prefix of a body line (or a label) naming an incident's cause:
    /// `caused-by: <deployment id or sha>`.
    pub caused_by: String,
    /// Stage rules by regex on job and workflow names, tried in order before the built-in
    /// words.
    pub stages: Vec<StageRuleConfig>,
    /// Deployment detection from successful workflow runs or jobs, for repositories that send
    /// no deployment events.
    pub deployments: Vec<DeployRuleConfig>,
    /// The REST API, for the history backfill (GitHub Enterprise Server:
    /// `https://HOST/api/v3`).
    pub api_url: String,
    /// A fine-grained personal access token for the backfill (read: Actions, Deployments,
    /// Contents, Pull requests, Issues, Metadata). Prefer `token_file` or NAGARE_GITHUB_TOKEN.
    pub token: String,
    pub token_file: Option<PathBuf>,
    /// Or a GitHub App: its id, private key (PEM file) and installation id.
    pub app_id: String,
    pub app_private_key_file: Option<PathBuf>,
    pub installation_id: u64,
}

/// `[[sources.github.stages]]`: jobs whose names match are in `stage`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageRuleConfig {
    /// A regex on the job's name.
    pub job: Option<String>,
    /// A regex on the workflow's name.
    pub workflow: Option<String>,
    pub stage: String,
}

/// `[[sources.github.deployments]]`: a successful run of a matching workflow (or a matching
/// job of it) on the branch is a deployment of the repository's service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployRuleConfig {
    /// A regex on the workflow's name.
    pub workflow: Option<String>,
    /// A regex on a job's name: that job's success is the deployment, not the run's.
    pub job: Option<String>,
    /// `owner/name` or `owner/*`; default: every repository.
    pub repo: Option<String>,
    /// Default: the repository's default branch.
    pub branch: Option<String>,
    /// Default: `production`.
    pub environment: Option<String>,
    /// The service deployed; default: the repository's. A monorepo needs one rule per
    /// service.
    pub service: Option<String>,
}

impl Default for GithubSourceConfig {
    fn default() -> Self {
        let rules = nagare_core::github::Rules::default();
        GithubSourceConfig {
            secrets: Vec::new(),
            secrets_file: None,
            repos: Vec::new(),
            environments: BTreeMap::new(),
            incident_labels: rules.incident_labels,
            caused_by: rules.caused_by,
            stages: Vec::new(),
            deployments: Vec::new(),
            api_url: "https://api.github.com".into(),
            token: String::new(),
            token_file: None,
            app_id: String::new(),
            app_private_key_file: None,
            installation_id: 0,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoRuleConfig {
    /// `owner/name`, or `owner/*`.
    pub repo: String,
    pub service: String,
    /// In a monorepo, the service's folder (`services/api`): only commits that change a path
    /// in it count as the service's changes. One rule per folder.
    pub path: Option<String>,
    /// The teams that own the service (an exact repository only): its metrics count for them.
    #[serde(default)]
    pub teams: Vec<String>,
}

impl GithubSourceConfig {
    /// How the backfill authenticates: the GitHub App when `app_id` is set, else the token.
    pub fn api_auth(&self) -> Result<crate::sources::github_api::Auth, String> {
        use crate::sources::github_api::Auth;
        if !self.app_id.trim().is_empty() {
            let Some(file) = &self.app_private_key_file else {
                return Err("sources.github.app_private_key_file: the GitHub App's private key (the .pem GitHub gave) is needed with app_id".into());
            };
            if self.installation_id == 0 {
                return Err("sources.github.installation_id: the app's installation id is needed with app_id (Settings → Installed GitHub Apps → Configure: the number in the URL)".into());
            }
            let pem = std::fs::read(file).map_err(|e| {
                format!(
                    "sources.github.app_private_key_file: cannot read {}: {e}",
                    file.display()
                )
            })?;
            let key = jsonwebtoken::EncodingKey::from_rsa_pem(&pem).map_err(|e| {
                format!(
                    "sources.github.app_private_key_file: {} is not an RSA private key in PEM: {e}",
                    file.display()
                )
            })?;
            return Ok(Auth::App {
                app_id: self.app_id.trim().to_owned(),
                key,
                installation_id: self.installation_id,
                minted: Default::default(),
            });
        }
        let token = match &self.token_file {
            Some(file) => std::fs::read_to_string(file)
                .map_err(|e| {
                    format!(
                        "sources.github.token_file: cannot read {}: {e}",
                        file.display()
                    )
                })?
                .trim()
                .to_owned(),
            None => self.token.trim().to_owned(),
        };
        if token.is_empty() {
            return Err("the backfill needs GitHub API access: set sources.github.token_file (or NAGARE_GITHUB_TOKEN) to a fine-grained token with read access to Actions, Deployments, Contents, Pull requests, Issues and Metadata, or a GitHub App (app_id, app_private_key_file, installation_id)".into());
        }
        Ok(Auth::Token(token))
    }

    /// GitHub's web address for `api_url`: `https://github.com`, or the Enterprise host.
    pub fn web_url(&self) -> String {
        match self.api_url.trim_end_matches('/') {
            "https://api.github.com" => "https://github.com".to_owned(),
            other => other.trim_end_matches("/api/v3").to_owned(),
        }
    }

    /// Adds the demo organisation's GitHub repositories (`nagare_core::demo::github_repos`),
    /// each mapped to its service and team, unless a rule maps it already: the demo's
    /// deliveries then map, and replay, as they were seeded.
    pub fn add_demo_rules(&mut self) {
        for (repo, service, team) in nagare_core::demo::github_repos() {
            if self.repos.iter().any(|r| r.repo.eq_ignore_ascii_case(repo)) {
                continue;
            }
            self.repos.push(RepoRuleConfig {
                repo: repo.into(),
                service: service.into(),
                path: None,
                teams: vec![team.into()],
            });
        }
    }

    /// The mapping rules, checked: a rule names its repository as `owner/name` or `owner/*`.
    pub fn rules(&self) -> Result<nagare_core::github::Rules, String> {
        let repo_ok = |repo: &str| {
            repo.split_once('/')
                .is_some_and(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
        };
        for (i, r) in self.repos.iter().enumerate() {
            if !repo_ok(&r.repo) || r.service.trim().is_empty() {
                return Err(format!(
                    "sources.github.repos[{i}]: `repo` must be `owner/name` or `owner/*` and `service` not empty (got repo = {:?}, service = {:?})",
                    r.repo, r.service
                ));
            }
            if !r.teams.is_empty() && r.repo.ends_with("/*") {
                return Err(format!("sources.github.repos[{i}].teams: teams own one repository's service (`owner/name`), not `{}`; declare them with an exact rule or a catalogue event", r.repo));
            }
            if r.teams.iter().any(|t| t.trim().is_empty()) {
                return Err(format!(
                    "sources.github.repos[{i}].teams: a team's name must not be empty"
                ));
            }
            if let Some(path) = &r.path {
                if r.repo.ends_with("/*") {
                    return Err(format!("sources.github.repos[{i}].path: a folder needs one repository (`owner/name`), not `{}`", r.repo));
                }
                if path.split('/').any(|part| part == "..") || path.contains('\\') {
                    return Err(format!("sources.github.repos[{i}].path: `{path}` must be a folder inside the repository, with `/` (like `services/api`)"));
                }
            }
        }
        if self.incident_labels.iter().any(|l| l.trim().is_empty()) {
            return Err("sources.github.incident_labels: a label must not be empty".into());
        }
        let pattern = |key: String, text: &Option<String>| {
            text.as_deref()
                .map(|t| {
                    nagare_core::github::Pattern::new(t)
                        .map_err(|e| format!("{key}: not a regular expression ({t:?}): {e}"))
                })
                .transpose()
        };
        let mut stages = Vec::new();
        for (i, r) in self.stages.iter().enumerate() {
            let at = format!("sources.github.stages[{i}]");
            let stage = nagare_core::github::STAGE_CATEGORIES
                .iter()
                .find(|c| **c == r.stage.trim())
                .ok_or_else(|| {
                    format!(
                        "{at}.stage: `{}` is not a stage category; use one of {}",
                        r.stage,
                        nagare_core::github::STAGE_CATEGORIES.join(", ")
                    )
                })?;
            if r.job.is_none() && r.workflow.is_none() {
                return Err(format!("{at}: give `job` or `workflow` (a regex), or both"));
            }
            stages.push(nagare_core::github::StageRule {
                job: pattern(format!("{at}.job"), &r.job)?,
                workflow: pattern(format!("{at}.workflow"), &r.workflow)?,
                stage,
            });
        }
        let mut deployments = Vec::new();
        for (i, r) in self.deployments.iter().enumerate() {
            let at = format!("sources.github.deployments[{i}]");
            if r.job.is_none() && r.workflow.is_none() {
                return Err(format!("{at}: give `workflow` or `job` (a regex), or both"));
            }
            if let Some(repo) = &r.repo {
                if !repo_ok(repo) {
                    return Err(format!(
                        "{at}.repo: `{repo}` must be `owner/name` or `owner/*`"
                    ));
                }
            }
            let environment = r.environment.as_deref().unwrap_or("production").trim();
            if environment.is_empty() {
                return Err(format!("{at}.environment: must not be empty"));
            }
            deployments.push(nagare_core::github::DeployRule {
                repo: r.repo.clone(),
                workflow: pattern(format!("{at}.workflow"), &r.workflow)?,
                job: pattern(format!("{at}.job"), &r.job)?,
                branch: r.branch.clone().filter(|b| !b.trim().is_empty()),
                environment: environment.to_owned(),
                service: r
                    .service
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            });
        }
        Ok(nagare_core::github::Rules {
            stages,
            deployments,
            repos: self
                .repos
                .iter()
                .map(|r| nagare_core::github::RepoRule {
                    repo: r.repo.clone(),
                    service: r.service.clone(),
                })
                .collect(),
            environments: self
                .environments
                .iter()
                .map(|(n, t)| (n.clone(), *t))
                .collect(),
            incident_labels: self.incident_labels.clone(),
            caused_by: self.caused_by.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    fn rules_of(toml_text: &str) -> Result<nagare_core::github::Rules, String> {
        let c =
            crate::config::Config::parse(toml_text, "nagare.toml").map_err(|e| e.to_string())?;
        c.sources.github.rules()
    }

    #[test]
    fn stage_and_deployment_rules_are_read_in_order() {
        let r = rules_of(
            r#"
[[sources.github.stages]]
job = "(?i)^cargo (test|nextest)"
stage = "test"
[[sources.github.stages]]
workflow = "^Release$"
stage = "deploy"
[[sources.github.deployments]]
workflow = "^Deploy"
repo = "acme/*"
[[sources.github.deployments]]
workflow = "^Ship$"
job = "^prod$"
branch = "release"
environment = "eu-live"
"#,
        )
        .unwrap();
        assert_eq!(r.stages.len(), 2);
        assert_eq!(r.stage_of("CI", "cargo nextest run"), "test");
        assert_eq!(r.stage_of("Release", "lint"), "deploy");
        assert_eq!(r.deployments[0].environment, "production");
        assert_eq!(r.deployments[0].branch, None);
        assert_eq!(r.deployments[1].environment, "eu-live");
        assert_eq!(r.deployments[1].branch.as_deref(), Some("release"));
    }

    #[test]
    fn bad_stage_and_deployment_rules_name_the_key_and_the_fix() {
        for (text, says) in [
            (
                "[[sources.github.stages]]\njob = \"(unclosed\"\nstage = \"test\"\n",
                "sources.github.stages[0].job: not a regular expression",
            ),
            (
                "[[sources.github.stages]]\njob = \"x\"\nstage = \"testing\"\n",
                "sources.github.stages[0].stage: `testing` is not a stage category; use one of lint, test",
            ),
            (
                "[[sources.github.stages]]\nstage = \"test\"\n",
                "sources.github.stages[0]: give `job` or `workflow`",
            ),
            (
                "[[sources.github.deployments]]\nbranch = \"main\"\n",
                "sources.github.deployments[0]: give `workflow` or `job`",
            ),
            (
                "[[sources.github.deployments]]\nworkflow = \"x\"\nrepo = \"acme\"\n",
                "sources.github.deployments[0].repo: `acme` must be `owner/name` or `owner/*`",
            ),
            (
                "[[sources.github.deployments]]\nworkflow = \"[\"\n",
                "sources.github.deployments[0].workflow: not a regular expression",
            ),
            (
                "[[sources.github.deployments]]\nworkflow = \"x\"\nenvironment = \" \"\n",
                "sources.github.deployments[0].environment: must not be empty",
            ),
            (
                "[[sources.github.deployments]]\nworkflow = \"x\"\nbrnach = \"main\"\n",
                "unknown field `brnach`",
            ),
            (
                "[[sources.github.repos]]\nrepo = \"acme/*\"\nservice = \"x\"\nteams = [\"pay\"]\n",
                "sources.github.repos[0].teams: teams own one repository's service",
            ),
            (
                "[[sources.github.repos]]\nrepo = \"acme/api\"\nservice = \"x\"\nteams = [\" \"]\n",
                "sources.github.repos[0].teams: a team's name must not be empty",
            ),
            (
                "[[sources.github.repos]]\nrepo = \"acme/*\"\nservice = \"x\"\npath = \"api\"\n",
                "sources.github.repos[0].path: a folder needs one repository",
            ),
            (
                "[[sources.github.repos]]\nrepo = \"acme/mono\"\nservice = \"x\"\npath = \"../api\"\n",
                "sources.github.repos[0].path: `../api` must be a folder inside the repository",
            ),
        ] {
            let e = rules_of(text).unwrap_err();
            assert!(e.contains(says), "{text}\n=> {e}");
        }
    }
}
