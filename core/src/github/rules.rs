//! The mapping rules of the GitHub source (`[sources.github]` in the configuration): which
//! service a repository is, which tier an environment is, which labels make an issue an
//! incident and how it names its cause, and which stage a job is.

use crate::events::EnvironmentTier;

/// A repository (`owner/name`, or `owner/*` for all of an owner's) and the service it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoRule {
    pub repo: String,
    pub service: String,
}

/// A regular expression from the configuration (Rust `regex` syntax), compared by its text.
#[derive(Debug, Clone)]
pub struct Pattern(regex::Regex);

impl Pattern {
    /// Compiles `text`; the error says what is wrong with it.
    pub fn new(text: &str) -> Result<Pattern, String> {
        regex::RegexBuilder::new(text)
            .size_limit(1 << 20)
            .build()
            .map(Pattern)
            .map_err(|e| e.to_string())
    }

    pub fn is_match(&self, s: &str) -> bool {
        self.0.is_match(s)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Pattern {}

/// The stage categories a job can be in.
pub const STAGE_CATEGORIES: [&str; 9] = [
    "lint",
    "test",
    "build",
    "security_scan",
    "e2e",
    "load_test",
    "deploy",
    "provision",
    "other",
];

/// A configured stage rule: a job whose name (and workflow's name) match is in `stage`. A
/// pattern left out matches any name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRule {
    pub job: Option<Pattern>,
    pub workflow: Option<Pattern>,
    /// One of [`STAGE_CATEGORIES`].
    pub stage: &'static str,
}

/// Deployment detection, for teams without deployment events: a successful run of a workflow
/// whose name matches `workflow` (or a successful job matching `job`) on `branch` (default: the
/// repository's default branch) is a deployment of the repository's service to `environment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployRule {
    /// `owner/name` or `owner/*`; `None`: every repository.
    pub repo: Option<String>,
    pub workflow: Option<Pattern>,
    /// A job of the workflow: its success (not the whole run's) is the deployment.
    pub job: Option<Pattern>,
    pub branch: Option<String>,
    pub environment: String,
    /// The service deployed; default: the repository's (its first rule). A monorepo names
    /// one rule per service.
    pub service: Option<String>,
}

impl DeployRule {
    fn covers(&self, repo: &str) -> bool {
        self.repo.as_deref().is_none_or(|r| repo_matches(r, repo))
    }
}

/// Whether a rule's `owner/name` or `owner/*` names `repo` (without case).
fn repo_matches(rule: &str, repo: &str) -> bool {
    if rule.eq_ignore_ascii_case(repo) {
        return true;
    }
    match (rule.strip_suffix("/*"), repo.split_once('/')) {
        (Some(owner), Some((o, _))) => owner.eq_ignore_ascii_case(o),
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// The first rule that matches a repository wins; an exact name before `owner/*`.
    pub repos: Vec<RepoRule>,
    /// Environment names (compared without case) and their tiers; others as GitLab names them,
    /// or production when GitHub says `production_environment`.
    pub environments: Vec<(String, EnvironmentTier)>,
    /// Labels that make an issue an incident (compared without case).
    pub incident_labels: Vec<String>,
    /// A body line `<prefix> <deployment id or sha>`, or a label `<prefix><id>`, names the
    /// deployment that caused the incident.
    pub caused_by: String,
    /// Stage rules, tried in order before the built-in words ([`stage_category`]).
    pub stages: Vec<StageRule>,
    /// Deployment detection from workflow runs and jobs; the first rule that matches wins.
    pub deployments: Vec<DeployRule>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            repos: Vec::new(),
            environments: Vec::new(),
            incident_labels: vec!["incident".into()],
            caused_by: "caused-by:".into(),
            stages: Vec::new(),
            deployments: Vec::new(),
        }
    }
}

impl Rules {
    /// The service of a repository (`owner/name`), if a rule maps it.
    pub fn service_of(&self, repo: &str) -> Option<&str> {
        let exact = self
            .repos
            .iter()
            .find(|r| r.repo.eq_ignore_ascii_case(repo));
        let owner = || self.repos.iter().find(|r| repo_matches(&r.repo, repo));
        exact.or_else(owner).map(|r| r.service.as_str())
    }

    /// The tier of an environment, when it is not what its name says by default.
    pub fn tier_of(&self, environment: &str, production: bool) -> Option<EnvironmentTier> {
        if let Some((_, t)) = self
            .environments
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(environment))
        {
            return Some(*t);
        }
        let by_name = EnvironmentTier::from_environment_name(environment);
        (production && by_name != EnvironmentTier::Production)
            .then_some(EnvironmentTier::Production)
    }

    pub fn is_incident_label(&self, label: &str) -> bool {
        self.incident_labels
            .iter()
            .any(|l| l.eq_ignore_ascii_case(label.trim()))
    }

    /// The deployment an incident names as its cause: a body line first, then a label.
    pub fn cause(&self, body: &str, labels: &[&str]) -> Option<String> {
        let prefix = self.caused_by.trim();
        let after = |s: &str| -> Option<String> {
            let s = s.trim();
            let head = s.get(..prefix.len())?;
            if !head.eq_ignore_ascii_case(prefix) {
                return None;
            }
            let rest = s.get(prefix.len()..)?.trim();
            let id = rest.split_whitespace().next()?;
            let id = id.trim_matches(|c: char| c == '`' || c == '"' || c == '\'');
            (!id.is_empty()).then(|| id.to_owned())
        };
        if prefix.is_empty() {
            return None;
        }
        body.lines()
            .find_map(after)
            .or_else(|| labels.iter().find_map(|l| after(l)))
    }

    /// The stage category of a job: the first configured rule that matches it, else the
    /// built-in words in its own name, else in its workflow's.
    pub fn stage_of(&self, workflow: &str, job: &str) -> &'static str {
        let configured = self.stages.iter().find(|r| {
            r.job.as_ref().is_none_or(|p| p.is_match(job))
                && r.workflow.as_ref().is_none_or(|p| p.is_match(workflow))
        });
        if let Some(rule) = configured {
            return rule.stage;
        }
        match stage_category(job) {
            "other" => stage_category(workflow),
            stage => stage,
        }
    }

    /// The deployment rule a successful workflow run (`job` = `None`) or job is a deployment
    /// by, if any: its repository covered, on the rule's branch (else the default branch), its
    /// workflow's name (and the job's) matching.
    pub fn deployment_by(
        &self,
        repo: &str,
        branch: Option<&str>,
        default_branch: Option<&str>,
        workflow: &str,
        job: Option<&str>,
    ) -> Option<&DeployRule> {
        self.deployments.iter().find(|r| {
            let on = r.branch.as_deref().or(default_branch);
            r.covers(repo)
                && on.is_some()
                && branch == on
                && r.workflow.as_ref().is_none_or(|p| p.is_match(workflow))
                && match (&r.job, job) {
                    (Some(p), Some(j)) => p.is_match(j),
                    (None, None) => true,
                    _ => false,
                }
        })
    }
}

/// A severity label: `sev1`, `sev-2`, `severity:high`, `P1`.
pub(super) fn severity(label: &str) -> Option<String> {
    let l = label.trim().to_ascii_lowercase();
    if let Some(rest) = l
        .strip_prefix("severity:")
        .or_else(|| l.strip_prefix("severity/"))
    {
        return (!rest.trim().is_empty()).then(|| rest.trim().to_owned());
    }
    let digits = |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    let sev = l
        .strip_prefix("sev")
        .map(|r| r.trim_start_matches(['-', ' ', ':']))
        .filter(|r| digits(r));
    let p = l.strip_prefix('p').filter(|r| digits(r));
    sev.map(|n| format!("sev{n}"))
        .or_else(|| p.map(|n| format!("p{n}")))
}

/// The stage categories, in the order the rules are tried: the first whose words appear in
/// the name (as words or word starts, without case) wins; `other` when none does.
const STAGES: [(&str, &[&str]); 8] = [
    (
        "security_scan",
        &[
            "codeql",
            "security",
            "scan",
            "trivy",
            "snyk",
            "sast",
            "dependency-review",
            "audit",
        ],
    ),
    (
        "lint",
        &[
            "lint", "linters", "format", "fmt", "clippy", "style", "eslint", "prettier",
        ],
    ),
    (
        "e2e",
        &[
            "e2e",
            "end-to-end",
            "playwright",
            "cypress",
            "selenium",
            "integration",
        ],
    ),
    (
        "load_test",
        &[
            "load",
            "perf",
            "performance",
            "k6",
            "benchmark",
            "bench",
            "stress",
        ],
    ),
    (
        "test",
        &[
            "test", "tests", "unit", "spec", "check", "verify", "coverage",
        ],
    ),
    (
        "provision",
        &[
            "terraform",
            "provision",
            "infra",
            "infrastructure",
            "pulumi",
            "cdk",
            "plan",
            "apply",
        ],
    ),
    (
        "deploy",
        &[
            "deploy",
            "deployment",
            "release",
            "publish",
            "rollout",
            "ship",
        ],
    ),
    (
        "build",
        &[
            "build", "compile", "package", "docker", "image", "bundle", "assemble",
        ],
    ),
];

/// The stage category of a job name (docs/sources/github.md lists the words).
pub fn stage_category(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    let has = |w: &str| {
        words.iter().any(|x| {
            x == &w
                || x.strip_prefix(w)
                    .is_some_and(|r| r.starts_with('-') || r.is_empty())
                || x.split('-').any(|p| p == w)
        })
    };
    STAGES
        .iter()
        .find(|(_, ws)| ws.iter().any(|w| has(w)))
        .map_or("other", |(c, _)| c)
}
