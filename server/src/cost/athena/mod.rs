//! Athena mode (issue 13, docs/cost.md): for exports too large to pull, Athena sums a billing
//! period into daily rows where the export is, and only those aggregates come back and are
//! stored.
//!
//! One period is one query ([`sql`] has its text and the tables it assumes), through the AWS
//! SDK's Athena client on rustls with ring, with credentials from the standard AWS chain
//! (environment, profile incl. IAM Identity Center, web identity, ECS, instance role):
//!
//! 1. GetWorkGroup decides the result location: none is sent when the workgroup manages its
//!    query results or enforces its own settings (sending one then fails: opencost #3257),
//!    `cost.athena.output_location` otherwise.
//! 2. StartQueryExecution with the workgroup, the database and catalog, and a fresh
//!    ClientRequestToken, so a retried call starts one query.
//! 3. GetQueryExecution, polled from 200 ms doubling to 5 s, until it succeeds, fails (Athena's
//!    reason, and what to fix), is cancelled, or `cost.athena.timeout_secs` pass: then
//!    StopQueryExecution.
//! 4. GetQueryResults, 1000 rows a page, following NextToken; the header row checked, every
//!    value parsed to its type.
//!
//! Throttling (TooManyRequestsException, ThrottlingException) is retried by the SDK's standard
//! retry, with backoff and jitter, up to [`MAX_ATTEMPTS`] attempts a call.
//!
//! The tag keys grouped by are `cost.team_tags` and `cost.service_tags` ([`tag_keys`]); the
//! rows come back unallocated and [`to_daily`] allocates them as the file reader's rows are.
//!
//! No Athena runs in Nagare's tests: the client is tested against a local server speaking
//! Athena's JSON protocol (`server/tests/cost_athena.rs`), and the SQL as text.

mod client;
mod errors;
mod results;
pub mod sql;

pub use aws_sdk_athena::config::Credentials;
pub use errors::AthenaError;
pub use sql::Format;

use crate::config::{AthenaConfig, CostConfig, S3Config};
use aws_config::{BehaviorVersion, Region};
use aws_sdk_athena::config::retry::RetryConfig;
use aws_sdk_athena::config::timeout::TimeoutConfig;
use aws_sdk_athena::config::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider as TlsProvider};
use nagare_core::cost::allocate::allocate;
use nagare_core::cost::DailyCost;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// Attempts of one call when Athena throttles or fails transiently (the first included).
pub const MAX_ATTEMPTS: u32 = 5;

/// A client of one Athena table. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Athena {
    client: aws_sdk_athena::Client,
    format: Format,
    workgroup: String,
    database: String,
    table: String,
    catalog: String,
    output_location: Option<String>,
    /// The tag keys grouped by, in the order of the query's tag columns.
    tags: Vec<String>,
    region: String,
    /// Where the calls go, for messages.
    endpoint: String,
    timeout: Duration,
}

/// One row of the query: a day's cost of one combination, before allocation.
#[derive(Debug, Clone, PartialEq)]
pub struct AthenaRow {
    /// Days since 1970-01-01, UTC: the day the charges started.
    pub day: i32,
    /// `YYYY-MM`.
    pub billing_period: String,
    pub provider: String,
    pub account_id: String,
    pub account_name: String,
    pub service_name: String,
    pub service_category: String,
    pub charge_category: String,
    pub currency: String,
    /// The configured tag keys that had a (non-blank) value.
    pub tags: BTreeMap<String, String>,
    pub billed: f64,
    pub effective: f64,
    pub list: f64,
    /// Export rows summed into it.
    pub rows: u64,
}

impl Athena {
    /// Checks the settings (workgroup, database, table, catalog, format; `output_location` an
    /// `s3://` URL) and builds the client, with credentials from the standard AWS chain.
    /// `tags` are the tag keys to group by: the union of `cost.team_tags` and
    /// `cost.service_tags`.
    pub async fn from_config(
        cfg: &AthenaConfig,
        s3: &S3Config,
        tags: &[String],
    ) -> Result<Athena, AthenaError> {
        Athena::build(cfg, s3, tags, None).await
    }

    /// As [`Athena::from_config`], signing with credentials from `credentials` (fixed
    /// [`Credentials`], or any provider) instead of the standard chain: for tests, and for a
    /// caller holding its own.
    pub async fn with_credentials(
        cfg: &AthenaConfig,
        s3: &S3Config,
        tags: &[String],
        credentials: impl ProvideCredentials + 'static,
    ) -> Result<Athena, AthenaError> {
        Athena::build(
            cfg,
            s3,
            tags,
            Some(SharedCredentialsProvider::new(credentials)),
        )
        .await
    }

    async fn build(
        cfg: &AthenaConfig,
        s3: &S3Config,
        tags: &[String],
        credentials: Option<SharedCredentialsProvider>,
    ) -> Result<Athena, AthenaError> {
        let format = Format::parse(&cfg.format).ok_or_else(|| {
            AthenaError::Config(format!(
                "cost.athena.format: unknown `{}`; use \"focus\" (a FOCUS 1.x table) or \"cur2\" \
                 (a CUR 2.0 table)",
                cfg.format
            ))
        })?;
        let workgroup = cfg.workgroup.trim();
        let ok_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if workgroup.is_empty() || workgroup.len() > 128 || !workgroup.chars().all(ok_name) {
            return Err(AthenaError::Config(format!(
                "cost.athena.workgroup: `{workgroup}` is not a workgroup name (1 to 128 letters, \
                 digits, `.`, `_`, `-`); the default workgroup is \"primary\""
            )));
        }
        let database = name("database", &cfg.database)?;
        let table = name("table", &cfg.table)?;
        let catalog = name("catalog", &cfg.catalog)?;
        let output_location = match cfg.output_location.as_deref().map(str::trim) {
            None => None,
            Some(l) => {
                let bucket = l.strip_prefix("s3://").and_then(|r| r.split('/').next());
                if bucket.is_none_or(str::is_empty) {
                    return Err(AthenaError::Config(format!(
                        "cost.athena.output_location: `{l}` is not an s3:// URL; give \
                         s3://bucket/prefix/, or leave it out when the workgroup manages its \
                         query results"
                    )));
                }
                Some(l.to_owned())
            }
        };
        if cfg.timeout_secs == 0 {
            return Err(AthenaError::Config(
                "cost.athena.timeout_secs: must be at least 1".into(),
            ));
        }
        let endpoint = match cfg.endpoint.as_deref().map(str::trim) {
            None => None,
            Some(e) => match url::Url::parse(e) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                    Some(e.trim_end_matches('/').to_owned())
                }
                _ => {
                    return Err(AthenaError::Config(format!(
                        "cost.athena.endpoint: `{e}` is not an http(s) URL; leave it out for \
                         Athena's own endpoint"
                    )))
                }
            },
        };
        let mut seen = HashSet::new();
        let mut keys = Vec::new();
        for key in tags {
            if key.trim().is_empty() {
                return Err(AthenaError::Config(
                    "cost.team_tags / cost.service_tags: a tag key is empty; remove it".into(),
                ));
            }
            if seen.insert(key.as_str()) {
                keys.push(key.clone());
            }
        }

        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(TlsProvider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            );
        let region = [&cfg.region, &s3.region]
            .into_iter()
            .flatten()
            .map(|r| r.trim())
            .find(|r| !r.is_empty());
        if let Some(r) = region {
            loader = loader.region(Region::new(r.to_owned()));
        }
        if let Some(p) = s3.profile.as_deref().filter(|p| !p.trim().is_empty()) {
            loader = loader.profile_name(p.trim());
        }
        if let Some(e) = &endpoint {
            loader = loader.endpoint_url(e);
        }
        if let Some(c) = credentials {
            loader = loader.credentials_provider(c);
        }
        let sdk = loader.load().await;
        let region = sdk.region().map(|r| r.to_string()).ok_or_else(|| {
            AthenaError::Config(
                "cost.athena.region: not set (nor cost.s3.region, AWS_REGION, or a region in the \
                 AWS profile); give the region of the workgroup, for example \"eu-west-1\""
                    .into(),
            )
        })?;
        let endpoint = endpoint.unwrap_or_else(|| format!("https://athena.{region}.amazonaws.com"));
        Ok(Athena {
            client: aws_sdk_athena::Client::new(&sdk),
            format,
            workgroup: workgroup.to_owned(),
            database,
            table,
            catalog,
            output_location,
            tags: keys,
            region,
            endpoint,
            timeout: Duration::from_secs(cfg.timeout_secs),
        })
    }

    /// The daily aggregates of one billing period (`YYYY-MM`).
    pub async fn period(&self, billing_period: &str) -> Result<Vec<AthenaRow>, AthenaError> {
        if !sql::valid_period(billing_period) {
            return Err(AthenaError::Period(billing_period.to_owned()));
        }
        let location = self.result_location().await?;
        let id = self.start(self.sql(billing_period), location).await?;
        tracing::info!(
            query = %id,
            billing_period,
            workgroup = %self.workgroup,
            "Athena query started"
        );
        self.wait(&id).await?;
        let rows = self.read(&id).await?;
        tracing::info!(query = %id, billing_period, rows = rows.len(), "Athena query read");
        Ok(rows)
    }

    /// The SQL text run for that period.
    pub fn sql(&self, billing_period: &str) -> String {
        sql::query(
            self.format,
            &self.database,
            &self.table,
            &self.tags,
            billing_period,
        )
    }

    /// The table's format, as `cost.athena.format` says it.
    fn format_name(&self) -> &'static str {
        match self.format {
            Format::Focus => "focus",
            Format::Cur2 => "cur2",
        }
    }
}

/// The tag keys to group by: `cost.team_tags`, then the `cost.service_tags` not among them.
pub fn tag_keys(cfg: &CostConfig) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for k in cfg.team_tags.iter().chain(&cfg.service_tags) {
        if !keys.contains(k) {
            keys.push(k.clone());
        }
    }
    keys
}

/// A database, table or catalog name: not blank, no control characters.
fn name(key: &str, value: &str) -> Result<String, AthenaError> {
    let v = value.trim();
    if v.is_empty() || v.chars().any(char::is_control) {
        return Err(AthenaError::Config(format!(
            "cost.athena.{key}: `{}` is not a name; give the Glue {key}'s name",
            value.escape_debug()
        )));
    }
    Ok(v.to_owned())
}

/// Allocates the rows (core's `allocate`: the configured tag keys, then the account's team) and
/// turns them into the stored rows, CI's when the account is in `cost.ci_accounts` or the
/// allocated service in `cost.ci_services`. Rows that end up with the same day, account,
/// service, charge category, team, service, CI flag and currency are summed into one (the
/// account name is the last non-blank one seen); the result is sorted by that key.
pub fn to_daily(rows: Vec<AthenaRow>, cfg: &CostConfig) -> Vec<DailyCost> {
    type Key = (
        String,
        i32,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        bool,
        String,
    );
    let rules = cfg.rules();
    let mut out: BTreeMap<Key, DailyCost> = BTreeMap::new();
    for row in rows {
        let a = allocate(&row.tags, &row.account_id, &rules);
        let ci = cfg.ci_accounts.contains(&row.account_id)
            || a.service
                .as_ref()
                .is_some_and(|s| cfg.ci_services.contains(s));
        let key: Key = (
            row.billing_period.clone(),
            row.day,
            row.provider.clone(),
            row.account_id.clone(),
            row.service_name.clone(),
            row.service_category.clone(),
            row.charge_category.clone(),
            a.team.clone(),
            a.service.clone(),
            ci,
            row.currency.clone(),
        );
        match out.get_mut(&key) {
            Some(d) => {
                d.billed += row.billed;
                d.effective += row.effective;
                d.list += row.list;
                d.rows += row.rows;
                if !row.account_name.trim().is_empty() {
                    d.account_name = row.account_name;
                }
            }
            None => {
                out.insert(
                    key,
                    DailyCost {
                        day: row.day,
                        billing_period: row.billing_period,
                        provider: row.provider,
                        account_id: row.account_id,
                        account_name: row.account_name,
                        service_name: row.service_name,
                        service_category: row.service_category,
                        charge_category: row.charge_category,
                        team: a.team,
                        service: a.service,
                        ci,
                        currency: row.currency,
                        billed: row.billed,
                        effective: row.effective,
                        list: row.list,
                        rows: row.rows,
                    },
                );
            }
        }
    }
    out.into_values().collect()
}
