//! The Prometheus query client the SLI sync reads counts with: `query_range` of the HTTP API
//! (<https://prometheus.io/docs/prometheus/latest/querying/api/#range-queries>) against
//! Prometheus, Thanos, Mimir, Grafana Cloud or Amazon Managed Service for Prometheus.
//!
//! - The request is a form-encoded POST, so long queries fit and SigV4 signs the body; times go
//!   as seconds with three decimals, the step as whole or decimal seconds.
//! - Authentication (`slo.prometheus.auth`): none, basic (`username`, `password_file`), bearer
//!   (`token_file`), or AWS SigV4 ([`super::sigv4`]) with credentials from the standard AWS
//!   chain (environment, shared profile files with SSO and `credential_process`, web identity,
//!   ECS container, EC2 instance role), cached until five minutes before they expire.
//! - The series of an answer are summed per timestamp: an SLI is one count, whatever labels
//!   Prometheus splits it by. NaN and infinite samples are skipped.
//! - Every error says what went wrong and what to change; no password, token, AWS secret or
//!   signature ever appears in one (what Prometheus answers is scrubbed of them too).

use super::sigv4;
use crate::config::PrometheusConfig;
use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::provider_config::ProviderConfig;
use aws_config::Region;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider as TlsProvider};
use base64::Engine;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use url::Url;

const FORM: &str = "application/x-www-form-urlencoded";
/// How much of an answer an error quotes.
const EXCERPT_BYTES: usize = 200;
/// Credentials are fetched again this long before they expire.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);
/// How long credentials without an expiry (static keys) are kept before asking again.
const STATIC_CREDENTIALS_TTL: Duration = Duration::from_secs(15 * 60);

/// A client of one Prometheus query API. Cheap to clone: clones share connections and the
/// AWS credentials cache.
#[derive(Clone)]
pub struct PromClient {
    http: reqwest::Client,
    /// `{url}/api/v1/query_range`
    endpoint: Url,
    auth: Auth,
    timeout_secs: u64,
    /// The configured secrets, blanked out of anything Prometheus answers.
    secrets: Arc<Vec<String>>,
}

#[derive(Clone)]
enum Auth {
    None,
    /// The whole `Authorization` value (basic or bearer), marked sensitive.
    Header(HeaderValue),
    Sigv4(Arc<Sigv4Auth>),
}

impl fmt::Debug for PromClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.auth {
            Auth::None => "none".to_owned(),
            Auth::Header(_) => "header".to_owned(),
            Auth::Sigv4(s) => format!("sigv4 ({}, {})", s.region, s.service),
        };
        f.debug_struct("PromClient")
            .field("endpoint", &self.endpoint.as_str())
            .field("auth", &auth)
            .finish_non_exhaustive()
    }
}

/// What went wrong with a query, and what to fix.
#[derive(Debug, thiserror::Error)]
pub enum PromError {
    /// Our own arguments (a bug in the caller, not the configuration).
    #[error("invalid query range: {0}")]
    Range(String),
    #[error(
        "no AWS credentials to sign the request to Prometheus with (slo.prometheus.auth = \
         \"sigv4\"): {0}; give them as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile \
         (AWS_PROFILE, ~/.aws/credentials or ~/.aws/config, `aws sso login` for SSO ones), web \
         identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN), or an ECS task or EC2 instance role"
    )]
    Credentials(String),
    #[error(
        "cannot connect to Prometheus at {url} ({detail}); check slo.prometheus.url and that \
         Prometheus is up and reachable"
    )]
    Connect { url: String, detail: String },
    #[error(
        "Prometheus at {url} did not answer within {secs} s; raise slo.prometheus.timeout_secs, \
         or lower slo.prometheus.max_points so each query covers a shorter range"
    )]
    Timeout { url: String, secs: u64 },
    #[error("the request to Prometheus at {url} failed ({detail})")]
    Transport { url: String, detail: String },
    #[error("Prometheus rejected the query ({reply}); check the SLI's PromQL")]
    Rejected { reply: Reply },
    #[error(
        "Prometheus at {url} refused the credentials ({reply}); check slo.prometheus.auth and \
         its credentials (username and password_file, token_file, or the AWS identity's \
         aps:QueryMetrics permission and slo.prometheus.region)"
    )]
    Unauthorized { url: String, reply: Reply },
    #[error(
        "Prometheus is overloaded or the query too heavy ({reply}); it is retried at the next \
         sync; if it persists, lower slo.prometheus.max_points or simplify the SLI's query"
    )]
    Overloaded { reply: Reply },
    #[error(
        "Prometheus at {url} has no query API there ({reply}); slo.prometheus.url is the base \
         address (for example http://prometheus:9090, or \
         https://aps-workspaces.REGION.amazonaws.com/workspaces/WORKSPACE_ID): \
         /api/v1/query_range is added to it"
    )]
    NotFound { url: String, reply: Reply },
    #[error(
        "Prometheus at {url} redirects to {location}; set slo.prometheus.url to the address \
         redirected to"
    )]
    Redirect { url: String, location: String },
    #[error("Prometheus at {url} answered {reply}")]
    Status { url: String, reply: Reply },
    #[error(
        "cannot read the answer of Prometheus at {url} ({reason}); it begins \"{excerpt}\"; \
         is slo.prometheus.url a Prometheus query API?"
    )]
    Decode {
        url: String,
        reason: String,
        excerpt: String,
    },
    #[error(
        "the query returned a {0}, not a range vector (matrix); query_range of a PromQL \
         expression always gives one, so check slo.prometheus.url points at a Prometheus API"
    )]
    ResultType(String),
}

/// An HTTP status and what came with it: Prometheus' `errorType` and `error`, another
/// service's `message`, or the beginning of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub error_type: Option<String>,
    pub error: Option<String>,
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        match (&self.error_type, &self.error) {
            (Some(t), Some(e)) => write!(f, ", {t}: {e}"),
            (Some(t), None) => write!(f, ", {t}"),
            (None, Some(e)) => write!(f, ": {e}"),
            (None, None) => Ok(()),
        }
    }
}

impl PromClient {
    /// Reads secret files, checks the auth kind; an error names the config key and the fix.
    pub fn from_config(cfg: &PrometheusConfig) -> Result<PromClient, String> {
        let mut secrets = Vec::new();
        let auth = match cfg.auth.as_str() {
            "none" => {
                unused(cfg, &["username", "password_file", "token_file", "region"])?;
                Auth::None
            }
            "basic" => {
                unused(cfg, &["token_file", "region"])?;
                let username = cfg.username.as_deref().unwrap_or_default();
                if username.is_empty() {
                    return Err("slo.prometheus.username: required with auth = \"basic\"".into());
                }
                if username.contains(':') {
                    return Err(format!(
                        "slo.prometheus.username: `{username}` holds a `:`, which basic \
                         authentication cannot carry in a user name"
                    ));
                }
                let password = read_secret(cfg.password_file.as_deref(), "password_file", "basic")?;
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{password}"));
                let header = sensitive(&format!("Basic {encoded}"), "password_file")?;
                secrets.extend([password, encoded]);
                Auth::Header(header)
            }
            "bearer" => {
                unused(cfg, &["username", "password_file", "region"])?;
                let token = read_secret(cfg.token_file.as_deref(), "token_file", "bearer")?;
                let header = sensitive(&format!("Bearer {token}"), "token_file")?;
                secrets.push(token);
                Auth::Header(header)
            }
            "sigv4" => {
                unused(cfg, &["username", "password_file", "token_file"])?;
                let http = aws_smithy_http_client::Builder::new()
                    .tls_provider(TlsProvider::Rustls(CryptoMode::Ring))
                    .build_https();
                Auth::Sigv4(Arc::new(Sigv4Auth::new(
                    cfg,
                    CredentialSource::Chain {
                        chain: tokio::sync::OnceCell::new(),
                        config: Box::new(ProviderConfig::default().with_http_client(http)),
                    },
                )?))
            }
            other => {
                return Err(format!(
                    "slo.prometheus.auth: unknown `{other}`; use \"none\", \"basic\", \"bearer\" \
                     or \"sigv4\""
                ))
            }
        };
        PromClient::build(cfg, auth, secrets)
    }

    /// A client signing with the given AWS credentials instead of the standard chain's
    /// (`auth` must be `sigv4`): for tests, and for a caller that has its own credentials.
    pub fn from_config_with_credentials(
        cfg: &PrometheusConfig,
        credentials: sigv4::Credentials,
    ) -> Result<PromClient, String> {
        if cfg.auth != "sigv4" {
            return Err(format!(
                "slo.prometheus.auth: AWS credentials were given but auth is `{}`; set auth = \
                 \"sigv4\"",
                cfg.auth
            ));
        }
        let mut secrets = vec![credentials.secret_access_key.clone()];
        secrets.extend(credentials.session_token.clone());
        let auth = Auth::Sigv4(Arc::new(Sigv4Auth::new(
            cfg,
            CredentialSource::Fixed(credentials),
        )?));
        PromClient::build(cfg, auth, secrets)
    }

    fn build(
        cfg: &PrometheusConfig,
        auth: Auth,
        secrets: Vec<String>,
    ) -> Result<PromClient, String> {
        let endpoint = endpoint(&cfg.url)?;
        if cfg.timeout_secs == 0 {
            return Err("slo.prometheus.timeout_secs: must be at least 1".into());
        }
        let timeout = Duration::from_secs(cfg.timeout_secs);
        let http = reqwest::Client::builder()
            .user_agent(format!("nagare/{}", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            // A redirect is reported rather than followed: credentials stay with the address
            // configured, and a signature would not hold for another.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("slo.prometheus: cannot set up the HTTP client ({e})"))?;
        Ok(PromClient {
            http,
            endpoint,
            auth,
            timeout_secs: cfg.timeout_secs,
            secrets: Arc::new(secrets.into_iter().filter(|s| s.len() >= 4).collect()),
        })
    }

    /// `query_range` over [start, end] (ms since epoch, inclusive as Prometheus does) at `step`
    /// (ms), POSTed form-encoded to `{url}/api/v1/query_range` (so long queries fit; SigV4
    /// signs the body). Returns (timestamp ms, value) points with the values of all returned
    /// series SUMMED per timestamp, sorted by time; NaN/Inf samples skipped. A
    /// `vector`/`scalar` result type is an error.
    pub async fn query_range(
        &self,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<Vec<(i64, f64)>, PromError> {
        if step <= 0 {
            return Err(PromError::Range(format!(
                "the step must be positive, not {step} ms"
            )));
        }
        if end < start {
            return Err(PromError::Range(format!(
                "the end ({end}) is before the start ({start})"
            )));
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("query", query)
            .append_pair("start", &seconds(start))
            .append_pair("end", &seconds(end))
            .append_pair("step", &step_seconds(step))
            .finish();
        let mut request = self
            .http
            .post(self.endpoint.clone())
            .header(CONTENT_TYPE, FORM);
        let mut secrets: Vec<String> = Vec::new();
        match &self.auth {
            Auth::None => {}
            Auth::Header(value) => request = request.header(AUTHORIZATION, value.clone()),
            Auth::Sigv4(aws) => {
                let creds = aws.credentials().await?;
                let host = host_header(&self.endpoint);
                let headers = [("host", host.as_str()), ("content-type", FORM)];
                let signature = sigv4::sign(
                    &sigv4::SignableRequest {
                        method: "POST",
                        path: self.endpoint.path(),
                        query: self.endpoint.query().unwrap_or_default(),
                        headers: &headers,
                        body: body.as_bytes(),
                    },
                    &creds,
                    &sigv4::SigningParams {
                        region: &aws.region,
                        service: &aws.service,
                        time: SystemTime::now(),
                        content_sha256_header: true,
                        sign_session_token: true,
                        normalize_path: true,
                    },
                );
                for (name, value) in signature.headers {
                    let mut value = HeaderValue::from_str(&value).map_err(|_| {
                        PromError::Credentials(format!(
                            "the {name} header cannot carry the credentials given (a character \
                             outside visible ASCII)"
                        ))
                    })?;
                    value.set_sensitive(true);
                    request = request.header(name, value);
                }
                secrets.push(signature.signature);
                secrets.push(creds.secret_access_key);
                secrets.extend(creds.session_token);
            }
        }
        let started = std::time::Instant::now();
        let reply = request
            .body(body)
            .send()
            .await
            .map_err(|e| self.transport(&e, &secrets))?;
        let status = reply.status();
        let location = reply
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = reply
            .bytes()
            .await
            .map_err(|e| self.transport(&e, &secrets))?;
        tracing::debug!(
            url = %self.endpoint,
            query,
            status = status.as_u16(),
            bytes = bytes.len(),
            ms = started.elapsed().as_millis() as u64,
            "prometheus query_range"
        );
        if !status.is_success() {
            return Err(self.status_error(status.as_u16(), &bytes, location, &secrets));
        }
        self.points(&bytes, query, &secrets)
    }

    fn url(&self) -> String {
        self.endpoint.to_string()
    }

    /// Blanks out every secret, configured or of this request, from `text`.
    fn scrub(&self, text: &str, request_secrets: &[String]) -> String {
        let mut text = text.to_owned();
        for secret in self.secrets.iter().chain(request_secrets) {
            if secret.len() >= 4 {
                text = text.replace(secret.as_str(), "[redacted]");
            }
        }
        text
    }

    fn transport(&self, e: &reqwest::Error, secrets: &[String]) -> PromError {
        let url = self.url();
        if e.is_timeout() {
            return PromError::Timeout {
                url,
                secs: self.timeout_secs,
            };
        }
        // reqwest's own words ("error sending request for url …") add nothing to its causes'.
        let detail = match std::error::Error::source(e) {
            Some(cause) => causes(cause),
            None => causes(e),
        };
        let detail = self.scrub(&detail, secrets);
        if e.is_connect() {
            PromError::Connect { url, detail }
        } else {
            PromError::Transport { url, detail }
        }
    }

    fn status_error(
        &self,
        status: u16,
        body: &[u8],
        location: Option<String>,
        secrets: &[String],
    ) -> PromError {
        let url = self.url();
        if (300..400).contains(&status) {
            if let Some(location) = location {
                return PromError::Redirect {
                    url,
                    location: self.scrub(&escaped(&location, 300), secrets),
                };
            }
        }
        let (error_type, error) = match serde_json::from_slice::<Value>(body) {
            Ok(v) => {
                let text = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
                let error = text("error")
                    .or_else(|| text("message"))
                    .or_else(|| text("Message"));
                (text("errorType"), error)
            }
            Err(_) => (None, None),
        };
        let error = match error {
            Some(e) => Some(escaped(&e, 500)),
            None if body.is_empty() => None,
            None => Some(excerpt(body)),
        };
        let reply = Reply {
            status,
            error_type: error_type.map(|t| self.scrub(&escaped(&t, 100), secrets)),
            error: error.map(|e| self.scrub(&e, secrets)),
        };
        match status {
            400 => PromError::Rejected { reply },
            401 | 403 => PromError::Unauthorized { url, reply },
            404 => PromError::NotFound { url, reply },
            422 | 429 | 503 => PromError::Overloaded { reply },
            _ => PromError::Status { url, reply },
        }
    }

    /// The answer's series summed per timestamp.
    fn points(
        &self,
        body: &[u8],
        query: &str,
        secrets: &[String],
    ) -> Result<Vec<(i64, f64)>, PromError> {
        let decode = |reason: String| PromError::Decode {
            url: self.url(),
            reason: self.scrub(&reason, secrets),
            excerpt: self.scrub(&excerpt(body), secrets),
        };
        let answer: Answer = serde_json::from_slice(body)
            .map_err(|e| decode(format!("not the JSON expected: {e}")))?;
        if answer.status != "success" {
            return Err(decode(format!("status `{}`, not success", answer.status)));
        }
        if !answer.warnings.is_empty() {
            tracing::warn!(url = %self.endpoint, query, warnings = ?answer.warnings, "prometheus warned");
        }
        let data = answer.data.ok_or_else(|| decode("no `data`".into()))?;
        if data.result_type != "matrix" {
            return Err(PromError::ResultType(escaped(&data.result_type, 40)));
        }
        let series: Vec<Series> = serde_json::from_value(data.result)
            .map_err(|e| decode(format!("the result is not a list of series: {e}")))?;
        let mut sums: BTreeMap<i64, f64> = BTreeMap::new();
        for s in series {
            for (t, v) in s.values {
                let value: f64 = v.parse().map_err(|_| {
                    decode(format!(
                        "the sample value `{}` is not a number",
                        escaped(&v, 40)
                    ))
                })?;
                if !value.is_finite() || !t.is_finite() {
                    continue;
                }
                *sums.entry((t * 1000.0).round() as i64).or_insert(0.0) += value;
            }
        }
        Ok(sums.into_iter().collect())
    }
}

/// A `query_range` answer (<https://prometheus.io/docs/prometheus/latest/querying/api/#format-overview>).
#[derive(Deserialize)]
struct Answer {
    status: String,
    data: Option<Data>,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Value,
}

#[derive(Deserialize)]
struct Series {
    /// `[seconds, "value"]` pairs; a series of native histograms has none.
    #[serde(default)]
    values: Vec<(f64, String)>,
}

/// SigV4 signing: the region and service, and where credentials come from.
struct Sigv4Auth {
    region: String,
    service: String,
    source: CredentialSource,
    cache: tokio::sync::Mutex<Option<Cached>>,
}

enum CredentialSource {
    Fixed(sigv4::Credentials),
    /// The standard chain, built on first use (building it is async).
    Chain {
        chain: tokio::sync::OnceCell<DefaultCredentialsChain>,
        /// Its HTTP client on rustls with ring, like reqwest's.
        config: Box<ProviderConfig>,
    },
}

struct Cached {
    credentials: sigv4::Credentials,
    /// Fetch again after this.
    refresh_at: SystemTime,
    /// Usable until this, should fetching again fail.
    expires_at: Option<SystemTime>,
}

impl Sigv4Auth {
    fn new(cfg: &PrometheusConfig, source: CredentialSource) -> Result<Sigv4Auth, String> {
        let service = cfg.sigv4_service.trim();
        if service.is_empty() {
            return Err(
                "slo.prometheus.sigv4_service: empty; Amazon Managed Service for Prometheus \
                 is \"aps\""
                    .into(),
            );
        }
        Ok(Sigv4Auth {
            region: region(cfg)?,
            service: service.to_owned(),
            source,
            cache: tokio::sync::Mutex::new(None),
        })
    }

    async fn credentials(&self) -> Result<sigv4::Credentials, PromError> {
        let (chain, config) = match &self.source {
            CredentialSource::Fixed(c) => return Ok(c.clone()),
            CredentialSource::Chain { chain, config } => (chain, config),
        };
        // Held while fetching: concurrent queries wait for one fetch rather than each asking.
        let mut cache = self.cache.lock().await;
        let now = SystemTime::now();
        if let Some(c) = cache.as_ref().filter(|c| c.refresh_at > now) {
            return Ok(c.credentials.clone());
        }
        let chain = chain
            .get_or_init(|| async {
                DefaultCredentialsChain::builder()
                    .region(Region::new(self.region.clone()))
                    .configure(ProviderConfig::clone(config))
                    .build()
                    .await
            })
            .await;
        match chain.provide_credentials().await {
            Ok(c) => {
                let expires_at = c.expiry();
                let refresh_at = match expires_at {
                    Some(e) => e.checked_sub(REFRESH_BEFORE_EXPIRY).unwrap_or(now),
                    None => now + STATIC_CREDENTIALS_TTL,
                };
                let credentials = sigv4::Credentials {
                    access_key_id: c.access_key_id().to_owned(),
                    secret_access_key: c.secret_access_key().to_owned(),
                    session_token: c.session_token().map(str::to_owned),
                };
                *cache = Some(Cached {
                    credentials: credentials.clone(),
                    refresh_at,
                    expires_at,
                });
                Ok(credentials)
            }
            Err(e) => {
                let detail = causes(&e);
                match cache.as_ref() {
                    // Still valid for a while: use them, and try again at the next query.
                    Some(c)
                        if c.expires_at
                            .is_none_or(|x| x > now + Duration::from_secs(60)) =>
                    {
                        tracing::warn!(error = %detail, "AWS credentials not refreshed; using the current ones");
                        Ok(c.credentials.clone())
                    }
                    _ => Err(PromError::Credentials(detail)),
                }
            }
        }
    }
}

/// `{url}/api/v1/query_range`, or what is wrong with `slo.prometheus.url`.
fn endpoint(url: &str) -> Result<Url, String> {
    let mut u = Url::parse(url.trim())
        .map_err(|e| format!("slo.prometheus.url: `{url}` is not an address ({e})"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!(
            "slo.prometheus.url: `{}` is not http(s); give the base address, for example \
             http://prometheus:9090",
            u.scheme()
        ));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(
            "slo.prometheus.url: holds a user name or password; give them as \
             slo.prometheus.username and password_file with auth = \"basic\""
                .into(),
        );
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(format!(
            "slo.prometheus.url: `{url}` has a query or fragment; give the base address only \
             (/api/v1/query_range is added to it)"
        ));
    }
    let path = format!("{}/api/v1/query_range", u.path().trim_end_matches('/'));
    u.set_path(&path);
    Ok(u)
}

/// The region to sign for: `slo.prometheus.region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, or
/// the one in an Amazon Managed Service for Prometheus address.
fn region(cfg: &PrometheusConfig) -> Result<String, String> {
    if let Some(r) = &cfg.region {
        let r = r.trim();
        if r.is_empty() {
            return Err(
                "slo.prometheus.region: empty; give the workspace's region, for example \
                        \"eu-west-1\""
                    .into(),
            );
        }
        return Ok(r.to_owned());
    }
    for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Ok(r) = std::env::var(var) {
            if !r.trim().is_empty() {
                return Ok(r.trim().to_owned());
            }
        }
    }
    let host = Url::parse(cfg.url.trim())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    if let Some(r) = host
        .strip_prefix("aps-workspaces.")
        .and_then(|rest| rest.split_once('.'))
        .map(|(r, _)| r)
        .filter(|r| !r.is_empty())
    {
        return Ok(r.to_owned());
    }
    Err(
        "slo.prometheus.region: not set (nor AWS_REGION or AWS_DEFAULT_REGION) with auth = \
         \"sigv4\"; give the workspace's region, for example \"eu-west-1\""
            .into(),
    )
}

/// The keys the auth kind does not use must not be set: a token given with `auth = "none"`
/// is a mistake, better named at start than found in the logs.
fn unused(cfg: &PrometheusConfig, keys: &[&str]) -> Result<(), String> {
    for key in keys {
        let set = match *key {
            "username" => cfg.username.is_some(),
            "password_file" => cfg.password_file.is_some(),
            "token_file" => cfg.token_file.is_some(),
            "region" => cfg.region.is_some(),
            _ => false,
        };
        if set {
            let wants = match *key {
                "username" | "password_file" => "basic",
                "token_file" => "bearer",
                _ => "sigv4",
            };
            return Err(format!(
                "slo.prometheus.{key}: set, but auth is \"{}\", which does not use it; set \
                 auth = \"{wants}\" or remove the key",
                cfg.auth
            ));
        }
    }
    Ok(())
}

/// A secret file's content, without its final line break.
fn read_secret(path: Option<&Path>, key: &str, auth: &str) -> Result<String, String> {
    let Some(path) = path else {
        return Err(format!(
            "slo.prometheus.{key}: required with auth = \"{auth}\" (a file holding the secret)"
        ));
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "slo.prometheus.{key}: cannot read {} ({e}); create it, readable by Nagare, with \
             the secret on one line",
            path.display()
        )
    })?;
    let secret = text.trim_end_matches(['\n', '\r']);
    if secret.trim().is_empty() {
        return Err(format!(
            "slo.prometheus.{key}: {} is empty; write the secret in it",
            path.display()
        ));
    }
    Ok(secret.to_owned())
}

/// A header value marked sensitive (never printed by `Debug`).
fn sensitive(value: &str, key: &str) -> Result<HeaderValue, String> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        format!(
            "slo.prometheus.{key}: the secret holds a character a header cannot carry (a line \
             break inside, or a control character)"
        )
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// The `host` header reqwest sends: the host, and the port unless it is the scheme's own.
fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Milliseconds since the epoch as Prometheus' seconds: `1700000000.000`.
fn seconds(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// A step in seconds: `60`, or `0.500` below or between whole seconds.
fn step_seconds(ms: i64) -> String {
    if ms % 1000 == 0 {
        (ms / 1000).to_string()
    } else {
        seconds(ms)
    }
}

/// An error and its causes, as one line.
fn causes(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    // One line: the credential chain lists each provider it tried on a line of its own.
    let line = parts
        .join(": ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    escaped(&line, 1000)
}

/// The first bytes of a body, as text with control characters escaped.
fn excerpt(body: &[u8]) -> String {
    let cut = &body[..body.len().min(EXCERPT_BYTES)];
    let text = String::from_utf8_lossy(cut);
    let mut out = escaped(&text, EXCERPT_BYTES * 4);
    if body.len() > EXCERPT_BYTES {
        out.push('…');
    }
    out
}

/// `text` with control characters escaped (`\n`, `\u{1b}`), at most `max` characters.
fn escaped(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The configuration check builds a client before any runtime runs.
    #[test]
    fn a_sigv4_client_builds_outside_a_runtime() {
        let cfg = PrometheusConfig {
            url: "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1".into(),
            auth: "sigv4".into(),
            username: None,
            password_file: None,
            token_file: None,
            region: Some("eu-west-1".into()),
            sigv4_service: "aps".into(),
            sync_secs: 60,
            max_points: 10_000,
            timeout_secs: 30,
        };
        let client = PromClient::from_config(&cfg).unwrap();
        assert!(format!("{client:?}").contains("sigv4 (eu-west-1, aps)"));
    }

    #[test]
    fn times_go_as_seconds_with_milliseconds() {
        assert_eq!(seconds(1_700_000_000_000), "1700000000.000");
        assert_eq!(seconds(1_700_000_000_250), "1700000000.250");
        assert_eq!(seconds(-1_500), "-2.500");
        assert_eq!(step_seconds(60_000), "60");
        assert_eq!(step_seconds(500), "0.500");
        assert_eq!(step_seconds(90_500), "90.500");
    }

    #[test]
    fn the_endpoint_is_the_base_address_and_the_api_path() {
        let e = |u: &str| endpoint(u).map(|u| u.to_string());
        assert_eq!(
            e("http://127.0.0.1:9090").as_deref(),
            Ok("http://127.0.0.1:9090/api/v1/query_range")
        );
        assert_eq!(
            e("https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/").as_deref(),
            Ok("https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/query_range")
        );
        assert!(e("http://u:p@h").unwrap_err().contains("password_file"));
        assert!(e("ftp://h").unwrap_err().contains("http(s)"));
        assert!(e("http://h/?x=1").unwrap_err().contains("base address"));
        assert!(e("not a url")
            .unwrap_err()
            .starts_with("slo.prometheus.url"));
    }

    #[test]
    fn the_host_header_has_the_port_unless_it_is_the_scheme_s() {
        let h = |u: &str| host_header(&Url::parse(u).unwrap());
        assert_eq!(h("http://127.0.0.1:9090/x"), "127.0.0.1:9090");
        assert_eq!(h("https://a.example:443/x"), "a.example");
        assert_eq!(h("http://[::1]:80/x"), "[::1]");
        assert_eq!(h("http://[::1]:81/x"), "[::1]:81");
    }

    #[test]
    fn excerpts_escape_control_characters_and_stop_at_200_bytes() {
        assert_eq!(excerpt(b"<html>\n\x1b[0m"), "<html>\\n\\u{1b}[0m");
        let long = vec![b'a'; 300];
        let e = excerpt(&long);
        assert_eq!(e.chars().filter(|c| *c == 'a').count(), 200);
        assert!(e.ends_with('…'));
    }

    #[test]
    fn the_region_comes_from_the_aps_address_when_nothing_else_gives_it() {
        let cfg = |url: &str, region: Option<&str>| PrometheusConfig {
            url: url.into(),
            auth: "sigv4".into(),
            username: None,
            password_file: None,
            token_file: None,
            region: region.map(str::to_owned),
            sigv4_service: "aps".into(),
            sync_secs: 60,
            max_points: 10_000,
            timeout_secs: 30,
        };
        assert_eq!(
            region(&cfg("http://x", Some(" us-east-2 "))).as_deref(),
            Ok("us-east-2")
        );
        assert!(region(&cfg("http://x", Some(""))).is_err());
        if std::env::var_os("AWS_REGION").is_none()
            && std::env::var_os("AWS_DEFAULT_REGION").is_none()
        {
            assert_eq!(
                region(&cfg(
                    "https://aps-workspaces.ap-southeast-2.amazonaws.com/workspaces/ws-1",
                    None
                ))
                .as_deref(),
                Ok("ap-southeast-2")
            );
            assert!(region(&cfg("http://127.0.0.1:9090", None))
                .unwrap_err()
                .contains("slo.prometheus.region"));
        }
    }
}
