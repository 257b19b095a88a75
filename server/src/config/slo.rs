//! `[slo]`: service level objectives (docs/slo.md): where definition files are, the Prometheus
//! SLIs are read from, the alert conditions, deploy attribution, and Slack notifications.

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SloConfig {
    /// A directory of OpenSLO, Sloth and Pyrra YAML files, read at start (each format as it is).
    pub dir: Option<PathBuf>,
    /// The zone calendar windows (month, quarter) are read in.
    pub timezone: String,
    /// The width of an SLI bucket, in seconds: the Prometheus sync's step, and the grid pushed
    /// samples are put on.
    pub step_secs: u64,
    /// The span compared before and after a deployment, in hours.
    pub attribution_hours: u64,
    /// The multi-window, multi-burn-rate conditions; empty: the SRE workbook's four.
    pub alerts: Vec<AlertRuleConfig>,
    /// How long SLI buckets are kept, in days (at least the longest window, plus the 3 days the
    /// slowest alert reads).
    pub keep_days: u64,
    pub prometheus: Option<PrometheusConfig>,
    pub slack: SlackConfig,
}

impl Default for SloConfig {
    fn default() -> Self {
        SloConfig {
            dir: None,
            timezone: "UTC".into(),
            step_secs: 60,
            attribution_hours: 2,
            alerts: Vec::new(),
            keep_days: 100,
            prometheus: None,
            slack: SlackConfig::default(),
        }
    }
}

/// One alert condition: the burn rate strictly above `factor` over `long` and over `short`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRuleConfig {
    /// `page` or `ticket`.
    pub severity: String,
    pub factor: f64,
    /// `1h`, `6h`, `1d`, `3d`…
    pub long: String,
    /// `5m`, `30m`, `2h`, `6h`…
    pub short: String,
}

/// A Prometheus-compatible query API (Prometheus, Thanos, Mimir, Grafana Cloud, Amazon Managed
/// Service for Prometheus).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusConfig {
    /// The base address: `http://127.0.0.1:9090`, or for Amazon Managed Service for Prometheus
    /// `https://aps-workspaces.REGION.amazonaws.com/workspaces/WORKSPACE_ID`.
    pub url: String,
    /// `none` (default), `basic`, `bearer` or `sigv4`.
    #[serde(default = "default_auth")]
    pub auth: String,
    /// basic: the user name.
    #[serde(default)]
    pub username: Option<String>,
    /// basic: a file holding the password; bearer: a file holding the token.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// sigv4: the region (else `AWS_REGION`).
    #[serde(default)]
    pub region: Option<String>,
    /// sigv4: the service name to sign for; `aps` for Amazon Managed Service for Prometheus.
    #[serde(default = "default_sigv4_service")]
    pub sigv4_service: String,
    /// How often the sync runs, in seconds.
    #[serde(default = "default_sync_secs")]
    pub sync_secs: u64,
    /// The longest range asked in one `query_range` call, in buckets (Prometheus refuses more
    /// than 11 000 points per series).
    #[serde(default = "default_max_points")]
    pub max_points: u64,
    /// Each request's timeout, in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_auth() -> String {
    "none".into()
}
fn default_sigv4_service() -> String {
    "aps".into()
}
fn default_sync_secs() -> u64 {
    60
}
fn default_max_points() -> u64 {
    10_000
}
fn default_timeout() -> u64 {
    30
}

/// Slack incoming webhooks, one per team.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlackConfig {
    pub teams: Vec<SlackTeamConfig>,
    /// Post when a deployment's excess burn passes this percentage of an SLO's window budget.
    pub excess_burn_percent: f64,
    /// The portal's public address, for the links in messages (else the origin of
    /// `auth.redirect_url`, else `http://` and `server.bind`).
    pub link_base: Option<String>,
}

impl Default for SlackConfig {
    fn default() -> Self {
        SlackConfig {
            teams: Vec::new(),
            excess_burn_percent: 10.0,
            link_base: None,
        }
    }
}

/// A team's Slack incoming webhook. The address is a secret: give it in a file (or the
/// environment variable named), never in the configuration itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackTeamConfig {
    pub team: String,
    #[serde(default)]
    pub webhook_url_file: Option<PathBuf>,
    #[serde(default)]
    pub webhook_url_env: Option<String>,
}
