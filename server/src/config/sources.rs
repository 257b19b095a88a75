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
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoRuleConfig {
    /// `owner/name`, or `owner/*`.
    pub repo: String,
    pub service: String,
}

impl GithubSourceConfig {
    /// The mapping rules, checked: a rule names its repository as `owner/name` or `owner/*`.
    pub fn rules(&self) -> Result<nagare_core::github::Rules, String> {
        for (i, r) in self.repos.iter().enumerate() {
            let ok = r
                .repo
                .split_once('/')
                .is_some_and(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'));
            if !ok || r.service.trim().is_empty() {
                return Err(format!(
                    "sources.github.repos[{i}]: `repo` must be `owner/name` or `owner/*` and `service` not empty (got repo = {:?}, service = {:?})",
                    r.repo, r.service
                ));
            }
        }
        if self.incident_labels.iter().any(|l| l.trim().is_empty()) {
            return Err("sources.github.incident_labels: a label must not be empty".into());
        }
        Ok(nagare_core::github::Rules {
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
