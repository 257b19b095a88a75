//! `[triggers]`: what engineers may start from the portal (docs/triggers.md): runbooks run by
//! the server, GitHub Actions workflows and GitLab pipelines; who may do what; approvals.
//! Read into [`crate::triggers::Targets`] once at start; every problem names its key.

use nagare_core::api::{ApprovalMode, InputField, InputKind, Role};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TriggersConfig {
    /// The least role each verb needs.
    pub grants: GrantsConfig,
    /// Approval groups: name → members (e-mail addresses or the identity provider's subjects).
    pub approval_groups: BTreeMap<String, Vec<String>>,
    /// How long a request waits for approval before it expires.
    pub approval_expiry_hours: u64,
    /// The most output kept per runbook run, in kilobytes; past it a marker says how much was
    /// not kept.
    pub log_cap_kb: u64,
    /// After a timeout or a cancel, how long the process group has between SIGTERM and SIGKILL.
    pub kill_grace_secs: u64,
    /// How often a provider run started from the portal is asked about until it ends (the
    /// fallback when its webhooks do not arrive), in seconds.
    pub poll_secs: u64,
    /// GitLab's address and a token file, for GitLab pipeline targets.
    pub gitlab: GitlabConfig,
    pub runbooks: Vec<RunbookConfig>,
    /// GitHub Actions workflows (`on: workflow_dispatch`).
    pub workflows: Vec<WorkflowConfig>,
    /// GitLab pipelines.
    pub pipelines: Vec<PipelineConfig>,
}

impl Default for TriggersConfig {
    fn default() -> Self {
        TriggersConfig {
            grants: GrantsConfig::default(),
            approval_groups: BTreeMap::new(),
            approval_expiry_hours: 24,
            log_cap_kb: 1024,
            kill_grace_secs: 10,
            poll_secs: 15,
            gitlab: GitlabConfig::default(),
            runbooks: Vec::new(),
            workflows: Vec::new(),
            pipelines: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrantsConfig {
    pub trigger: Role,
    pub rerun: Role,
    pub rerun_failed: Role,
    pub cancel: Role,
    pub approve: Role,
}

impl Default for GrantsConfig {
    fn default() -> Self {
        let g = nagare_core::triggers::Grants::default();
        GrantsConfig {
            trigger: g.trigger,
            rerun: g.rerun,
            rerun_failed: g.rerun_failed,
            cancel: g.cancel,
            approve: g.approve,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GitlabConfig {
    pub url: String,
    /// A file holding a token with the `api` scope (Developer on the projects).
    pub token_file: Option<String>,
}

impl Default for GitlabConfig {
    fn default() -> Self {
        GitlabConfig {
            url: "https://gitlab.com".into(),
            token_file: None,
        }
    }
}

/// What every target has.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalConfig {
    pub group: String,
    #[serde(default)]
    pub mode: ApprovalMode,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunbookConfig {
    pub name: String,
    pub title: Option<String>,
    #[serde(default)]
    pub description: String,
    pub service: String,
    pub environment: Option<String>,
    /// The program and its arguments; `{{param}}` inside an argument is a parameter's value.
    pub argv: Vec<String>,
    #[serde(default)]
    pub params: Vec<ParamConfig>,
    pub workdir: Option<String>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    #[serde(default = "one")]
    pub concurrency: u32,
    /// Environment variables passed from the server's environment (the child gets nothing else).
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub teams: Vec<String>,
    pub approval: Option<ApprovalConfig>,
}

fn default_timeout() -> u64 {
    300
}
fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowConfig {
    pub name: String,
    pub title: Option<String>,
    #[serde(default)]
    pub description: String,
    /// `owner/name`.
    pub repo: String,
    /// The workflow file's name in `.github/workflows/` (`deploy.yml`).
    pub workflow: String,
    #[serde(rename = "ref", default = "main")]
    pub git_ref: String,
    pub service: String,
    pub environment: Option<String>,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub teams: Vec<String>,
    pub approval: Option<ApprovalConfig>,
}

fn main() -> String {
    "main".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    pub name: String,
    pub title: Option<String>,
    #[serde(default)]
    pub description: String,
    /// The project's path (`group/sub/project`).
    pub project: String,
    #[serde(rename = "ref", default = "main")]
    pub git_ref: String,
    pub service: String,
    pub environment: Option<String>,
    /// The pipeline's `spec:inputs`, typed.
    #[serde(default)]
    pub inputs: Vec<ParamConfig>,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub teams: Vec<String>,
    pub approval: Option<ApprovalConfig>,
}

/// A typed parameter (a runbook's) or input (a GitLab pipeline's).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamConfig {
    pub name: String,
    /// `string` (default), `enum` or `choice`, `bool` or `boolean`, `integer`, `number`.
    #[serde(rename = "type", default = "string_type")]
    pub kind: String,
    pub description: Option<String>,
    #[serde(default)]
    pub required: bool,
    pub default: Option<toml::Value>,
    #[serde(default)]
    pub options: Vec<String>,
    pub pattern: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub max_length: Option<u32>,
}

fn string_type() -> String {
    "string".into()
}

impl ParamConfig {
    /// The input it describes; the problem otherwise (the caller adds the key).
    pub fn field(&self) -> Result<InputField, String> {
        let kind = match self.kind.as_str() {
            "string" => InputKind::String,
            "enum" | "choice" => InputKind::Choice,
            "bool" | "boolean" => InputKind::Boolean,
            "integer" => InputKind::Integer,
            "number" => InputKind::Number,
            other => {
                return Err(format!(
                    "type: `{other}` is not a parameter type; use string, enum, bool, integer or number"
                ))
            }
        };
        let ok_name = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok_name {
            return Err(format!(
                "name: `{}` must be letters, digits, `_` or `-`",
                self.name
            ));
        }
        if kind == InputKind::Choice && self.options.is_empty() {
            return Err("options: an enum needs its options, like options = [\"a\", \"b\"]".into());
        }
        if kind != InputKind::Choice && !self.options.is_empty() {
            return Err(format!(
                "options: only an enum has options (this is {})",
                self.kind
            ));
        }
        if self.pattern.is_some() && kind != InputKind::String {
            return Err(format!(
                "pattern: only a string has a pattern (this is {})",
                self.kind
            ));
        }
        if let (Some(min), Some(max)) = (self.min, self.max) {
            if min > max {
                return Err(format!("min ({min}) is above max ({max})"));
            }
        }
        let default = match &self.default {
            None => None,
            Some(toml::Value::String(s)) => Some(s.clone()),
            Some(toml::Value::Integer(i)) => Some(i.to_string()),
            Some(toml::Value::Float(f)) => Some(f.to_string()),
            Some(toml::Value::Boolean(b)) => Some(b.to_string()),
            Some(other) => {
                return Err(format!(
                    "default: {} is not a value; give a string, a number or a boolean",
                    other.type_str()
                ))
            }
        };
        let field = InputField {
            name: self.name.clone(),
            description: self.description.clone(),
            kind,
            required: self.required,
            default,
            options: self.options.clone(),
            pattern: self.pattern.clone(),
            min: self.min,
            max: self.max,
            max_length: self.max_length,
        };
        if let Some(p) = &field.pattern {
            nagare_core::triggers::inputs::whole_match(p)
                .map_err(|e| format!("pattern: `{p}` is not a regular expression: {e}"))?;
        }
        if let Some(d) = &field.default {
            nagare_core::triggers::inputs::check(&field, &serde_json::Value::String(d.clone()))
                .map_err(|e| format!("default: {e}"))?;
        }
        Ok(field)
    }
}

/// The demo's approval group, unless the configuration has one of that name.
pub const DEMO_APPROVERS: &str = "production-approvers";

fn param(name: &str, kind: &str, description: &str, default: toml::Value) -> ParamConfig {
    ParamConfig {
        name: name.into(),
        kind: kind.into(),
        description: Some(description.into()),
        required: true,
        default: Some(default),
        options: Vec::new(),
        pattern: None,
        min: None,
        max: None,
        max_length: None,
    }
}

impl TriggersConfig {
    /// The demo's runbooks (`make run`), unless the configuration names its own so: checking
    /// a URL on loopback and the data directory's disk usage (payments' services, so that an
    /// engineer of payments may run them), and a production smoke test that needs approval.
    /// They work on a fresh machine: they run `curl` (through coreutils' `stdbuf`, so that its lines
    /// come as they are printed) and `du`, on this server and its folder.
    pub fn add_demo_runbooks(&mut self, port: u16, data_dir: &str) {
        let url_pattern =
            r"https?://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?";
        let curl = |url: &str| -> Vec<String> {
            [
                // curl buffers what --write-out prints into a pipe; stdbuf makes it line by line.
                "stdbuf",
                "-oL",
                "curl",
                "--silent",
                "--show-error",
                "--no-buffer",
                "--output",
                "/dev/null",
                "--rate",
                "2/s",
                "--max-time",
                "10",
                "--write-out",
                "check %{url}: HTTP %{http_code} in %{time_total} s\\n",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .chain([format!("{url}?check=[1-{{{{count}}}}]")])
            .collect()
        };
        let count = |default: i64| ParamConfig {
            min: Some(1.0),
            max: Some(20.0),
            ..param(
                "count",
                "integer",
                "How many requests, two a second",
                toml::Value::Integer(default),
            )
        };
        let mut url = param(
            "url",
            "string",
            "A URL on this machine (loopback only), without a query",
            toml::Value::String(format!("http://127.0.0.1:{port}/readyz")),
        );
        url.pattern = Some(url_pattern.into());
        url.max_length = Some(200);
        let depth = ParamConfig {
            min: Some(0.0),
            max: Some(3.0),
            ..param(
                "depth",
                "integer",
                "How many folder levels to list",
                toml::Value::Integer(1),
            )
        };
        let runbooks = [
            RunbookConfig {
                name: "check-url".into(),
                title: Some("Check a URL".into()),
                description: "Requests a URL on this machine a few times, two a second, and prints each status and time.".into(),
                service: "payments-api".into(),
                environment: None,
                argv: curl("{{url}}"),
                params: vec![url, count(5)],
                workdir: None,
                timeout_secs: 30,
                concurrency: 2,
                env: Vec::new(),
                roles: Vec::new(),
                teams: Vec::new(),
                approval: None,
            },
            RunbookConfig {
                name: "disk-usage".into(),
                title: Some("Disk usage of the data directory".into()),
                description: format!("Lists how much room the data directory ({data_dir}) and its folders take."),
                service: "ledger".into(),
                environment: None,
                argv: vec!["du".into(), "--human-readable".into(), "--max-depth={{depth}}".into(), data_dir.into()],
                params: vec![depth],
                workdir: None,
                timeout_secs: 60,
                concurrency: 1,
                env: Vec::new(),
                roles: Vec::new(),
                teams: Vec::new(),
                approval: None,
            },
            RunbookConfig {
                name: "smoke-test-production".into(),
                title: Some("Smoke-test production".into()),
                description: "Checks the portal's readiness probe in production a few times; a production action, so one of the approvers must approve it first.".into(),
                service: "payments-api".into(),
                environment: Some("production".into()),
                argv: curl(&format!("http://127.0.0.1:{port}/readyz")),
                params: vec![count(3)],
                workdir: None,
                timeout_secs: 60,
                concurrency: 1,
                env: Vec::new(),
                roles: Vec::new(),
                teams: Vec::new(),
                approval: Some(ApprovalConfig {
                    group: DEMO_APPROVERS.into(),
                    mode: ApprovalMode::Any,
                }),
            },
        ];
        for r in runbooks {
            if !self.runbooks.iter().any(|o| o.name == r.name) {
                self.runbooks.push(r);
            }
        }
        self.approval_groups
            .entry(DEMO_APPROVERS.into())
            .or_insert_with(|| vec!["ada@example.com".into(), "lead@example.com".into()]);
    }
}

/// The folder of a SQLite database URL (`sqlite://data/nagare.db` → `data`); `.` otherwise.
pub fn data_dir_of(database_url: &str) -> String {
    let path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|p| p.split('?').next().unwrap_or_default());
    match path
        .map(std::path::Path::new)
        .and_then(std::path::Path::parent)
    {
        Some(p) if !p.as_os_str().is_empty() => p.display().to_string(),
        _ => ".".into(),
    }
}
