//! `[cost]`: cloud cost (docs/cost.md): where the AWS Data Exports (FOCUS or CUR 2.0) are, how
//! rows are allocated to teams and services, which rows are CI, and Athena for exports too large
//! to pull.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CostConfig {
    /// The exports: each a local directory or `s3://bucket/prefix`, in the Data Exports layout
    /// (`…/data/BILLING_PERIOD=YYYY-MM/…`, manifests under `…/metadata/`), or loose files.
    pub sources: Vec<CostSourceConfig>,
    /// Tag keys naming a row's team, in order of preference (`user:team`). CUR 2.0's
    /// `resource_tags` keys (`user_team`) are read as `user:team`.
    pub team_tags: Vec<String>,
    /// Tag keys naming a row's service, in order of preference (`user:service`).
    pub service_tags: Vec<String>,
    /// Account id → team, for rows whose tags name no team.
    pub account_teams: BTreeMap<String, String>,
    /// Accounts whose cost is CI's (cost per CI minute and per pipeline run).
    pub ci_accounts: Vec<String>,
    /// Allocated services whose cost is CI's (`ci-runners`).
    pub ci_services: Vec<String>,
    /// Bad rows skipped per file before the file is refused whole (nothing of it stored).
    pub max_bad_rows: u64,
    /// |robust z| above which a day is an anomaly.
    pub anomaly_threshold: f64,
    /// S3 access, shared by every `s3://` source and Athena's results.
    pub s3: S3Config,
    pub athena: Option<AthenaConfig>,
}

impl Default for CostConfig {
    fn default() -> Self {
        CostConfig {
            sources: Vec::new(),
            team_tags: vec!["user:team".into()],
            service_tags: vec!["user:service".into()],
            account_teams: BTreeMap::new(),
            ci_accounts: Vec::new(),
            ci_services: Vec::new(),
            max_bad_rows: 100,
            anomaly_threshold: nagare_core::cost::anomaly::DEFAULT_THRESHOLD,
            s3: S3Config::default(),
            athena: None,
        }
    }
}

impl CostConfig {
    /// The allocation rules, for core's `allocate`.
    pub fn rules(&self) -> nagare_core::cost::allocate::Rules {
        nagare_core::cost::allocate::Rules {
            team_tags: self.team_tags.clone(),
            service_tags: self.service_tags.clone(),
            account_teams: self.account_teams.clone(),
        }
    }

    /// Whether anything is configured to read cost from.
    pub fn configured(&self) -> bool {
        !self.sources.is_empty() || self.athena.is_some()
    }
}

/// One export to read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostSourceConfig {
    /// A short name (`aws`), the key its billing periods are stored under.
    pub name: String,
    /// A directory, or `s3://bucket/prefix` (the export's folder, holding `data/` and
    /// `metadata/`).
    pub location: String,
    /// Seconds between polls by the leased `cost_poll` job; 0: only `nagare import-cost`.
    #[serde(default = "default_poll_secs")]
    pub poll_secs: u64,
}

fn default_poll_secs() -> u64 {
    3600
}

/// How `s3://` locations are reached. Credentials come from the standard AWS chain
/// (environment, profile incl. IAM Identity Center, web identity, ECS, instance role).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct S3Config {
    /// The bucket's region (else `AWS_REGION`, else `us-east-1`).
    pub region: Option<String>,
    /// An S3-compatible endpoint (`http://127.0.0.1:8333`); requests are then path-style.
    pub endpoint: Option<String>,
    /// A named profile of `~/.aws/config` (else `AWS_PROFILE`, else the default chain).
    pub profile: Option<String>,
}

/// Athena: daily aggregates computed where the export is, for exports too large to pull.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AthenaConfig {
    /// The source name its billing periods are stored under.
    #[serde(default = "default_athena_name")]
    pub name: String,
    /// `focus` (a FOCUS 1.x table) or `cur2` (a CUR 2.0 table).
    #[serde(default = "default_athena_format")]
    pub format: String,
    pub workgroup: String,
    pub database: String,
    pub table: String,
    /// The Glue Data Catalog (`AwsDataCatalog`).
    #[serde(default = "default_catalog")]
    pub catalog: String,
    /// `s3://bucket/prefix/` for query results. Leave it out when the workgroup manages its
    /// results (managed query results, or an enforced result location): Nagare then sends none.
    #[serde(default)]
    pub output_location: Option<String>,
    /// The region (else `cost.s3.region`, `AWS_REGION`).
    #[serde(default)]
    pub region: Option<String>,
    /// Another endpoint (tests, VPC endpoints).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Billing periods read on each run: the current and previous months (restated) by default.
    #[serde(default = "default_athena_months")]
    pub months: u32,
    /// Seconds between runs of the leased job; 0: only `nagare import-cost athena`.
    #[serde(default = "default_athena_poll")]
    pub poll_secs: u64,
    /// Seconds a query may take before Nagare stops it.
    #[serde(default = "default_athena_timeout")]
    pub timeout_secs: u64,
}

fn default_athena_name() -> String {
    "athena".into()
}
fn default_athena_format() -> String {
    "focus".into()
}
fn default_catalog() -> String {
    "AwsDataCatalog".into()
}
fn default_athena_months() -> u32 {
    2
}
fn default_athena_poll() -> u64 {
    6 * 3600
}
fn default_athena_timeout() -> u64 {
    600
}

impl CostConfig {
    /// Checks every key; a problem as (key, message).
    pub fn check(&self) -> Result<(), (String, String)> {
        let mut names = std::collections::BTreeSet::new();
        for (i, s) in self.sources.iter().enumerate() {
            let key = |k: &str| format!("cost.sources[{i}].{k}");
            let valid = !s.name.is_empty()
                && s.name.len() <= 64
                && s.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !valid || s.name == "demo" || s.name == "import" {
                return Err((
                    key("name"),
                    format!(
                        "`{}` is not a source name; use 1 to 64 letters, digits, `-`, `_` or `.` (not `demo` or `import`, which Nagare uses)",
                        s.name
                    ),
                ));
            }
            if !names.insert(s.name.as_str()) {
                return Err((
                    key("name"),
                    format!("`{}` names two sources; give each its own", s.name),
                ));
            }
            crate::cost::layout::parse_location(&s.location).map_err(|m| (key("location"), m))?;
        }
        if self.anomaly_threshold.is_nan() || self.anomaly_threshold <= 0.0 {
            return Err((
                "cost.anomaly_threshold".into(),
                format!(
                    "{} is not a threshold; use a positive |z| such as 3.5 (the default)",
                    self.anomaly_threshold
                ),
            ));
        }
        for (key, list) in [
            ("cost.team_tags", &self.team_tags),
            ("cost.service_tags", &self.service_tags),
        ] {
            if list.iter().any(|k| k.trim().is_empty()) {
                return Err((
                    key.into(),
                    "an empty tag key; write keys such as \"user:team\"".into(),
                ));
            }
        }
        if let Some(a) = &self.athena {
            for (k, v) in [
                ("workgroup", &a.workgroup),
                ("database", &a.database),
                ("table", &a.table),
                ("catalog", &a.catalog),
            ] {
                if v.trim().is_empty() {
                    return Err((
                        format!("cost.athena.{k}"),
                        "empty; name it as it is in Athena".into(),
                    ));
                }
            }
            if !matches!(a.format.as_str(), "focus" | "cur2") {
                return Err((
                    "cost.athena.format".into(),
                    format!("`{}` is not a table format; use \"focus\" (a FOCUS 1.x export) or \"cur2\" (CUR 2.0)", a.format),
                ));
            }
            if let Some(o) = &a.output_location {
                if !o.starts_with("s3://") || o.len() <= "s3://".len() {
                    return Err((
                        "cost.athena.output_location".into(),
                        format!("`{o}` is not an S3 location; write s3://bucket/prefix/, or leave it out when the workgroup manages its query results"),
                    ));
                }
            }
            if a.months == 0 || a.months > 24 {
                return Err((
                    "cost.athena.months".into(),
                    format!(
                        "{} is not a number of billing periods; use 1 to 24 (default 2)",
                        a.months
                    ),
                ));
            }
            if a.timeout_secs == 0 {
                return Err((
                    "cost.athena.timeout_secs".into(),
                    "0 seconds: a query needs time; the default is 600".into(),
                ));
            }
        }
        Ok(())
    }
}
