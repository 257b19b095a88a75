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

mod aws;
mod parts;

use aws::{CredentialSource, Sigv4Auth};
use parts::*;

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

#[cfg(test)]
mod tests;
