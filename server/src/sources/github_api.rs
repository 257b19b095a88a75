//! A client of GitHub's REST API for the history backfill (`super::backfill`): every request
//! with the headers GitHub asks for, pages followed through the `Link` header, and GitHub's
//! limits respected.
//!
//! - **Headers**: `Authorization: Bearer <token>`, `Accept: application/vnd.github+json`,
//!   `X-GitHub-Api-Version: 2022-11-28`, `User-Agent: nagare/<version>`.
//! - **Authentication**: a fine-grained personal token, or a GitHub App: a JWT (RS256, signed
//!   with the app's private key, valid 9 minutes) exchanged for an installation token, which is
//!   minted again five minutes before it expires.
//! - **Limits**: a `retry-after` (403 or 429) is waited out; a primary limit spent
//!   (`x-ratelimit-remaining: 0`) waits until `x-ratelimit-reset`; a secondary limit without
//!   `retry-after` backs off exponentially from a minute; a 5xx or a reply cut short (JSON that
//!   does not parse) is retried with backoff. Each wait is capped (`max_wait`): past it the
//!   backfill stops with the reason, and resumes from its cursor when run again.

use anyhow::{anyhow, bail, Context};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, USER_AGENT};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Mutex;

pub const API_VERSION: &str = "2022-11-28";
pub const ACCEPT_JSON: &str = "application/vnd.github+json";

/// How the client authenticates.
pub enum Auth {
    /// A personal access token (fine-grained, or classic).
    Token(String),
    /// A GitHub App installation.
    App {
        app_id: String,
        key: jsonwebtoken::EncodingKey,
        installation_id: u64,
        /// The installation token and when it expires (epoch seconds).
        minted: Mutex<Option<(String, u64)>>,
    },
}

/// How long to wait between tries.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// The first wait after a secondary limit without `retry-after`, a 5xx or a cut reply;
    /// doubled on each try.
    pub base: Duration,
    /// The longest single wait; a limit that asks for more stops the backfill.
    pub max_wait: Duration,
    /// Tries of one request before giving up.
    pub tries: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(60),
            max_wait: Duration::from_secs(3600),
            tries: 6,
        }
    }
}

/// A page of a list: its items and the next page's URL.
#[derive(Debug)]
pub struct Page {
    pub items: Vec<Value>,
    pub next: Option<String>,
    /// How many pages the list has, when the `Link` header says (`rel="last"`).
    pub last_page: Option<u64>,
}

/// Whether [`Client::send`] follows a redirect (with GitHub's headers and the token, to the
/// same host only: reqwest drops `Authorization` when the host changes) or answers it as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    Follow,
    Keep,
}

/// GitHub's answer to [`Client::send`], whatever its status.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What went wrong with a request that cannot be retried.
#[derive(Debug, thiserror::Error)]
pub enum ApiFailure {
    #[error(
        "{0}: not found, or the token cannot see it (it needs Metadata read on the repository)"
    )]
    NotFound(String),
    #[error("{0}")]
    Other(String),
}

pub struct Client {
    http: reqwest::Client,
    /// The same headers as `http`, but a redirect is answered as it is (a `Location` that must
    /// not receive the token, such as a job log's signed URL).
    manual: reqwest::Client,
    /// No GitHub headers and no token: for the signed URLs GitHub redirects to.
    plain: reqwest::Client,
    base: String,
    auth: Auth,
    backoff: Backoff,
    /// Requests sent, waits made (for the progress line and the tests).
    pub requests: std::sync::atomic::AtomicU64,
    pub waits: std::sync::atomic::AtomicU64,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The `rel="next"` URL of a `Link` header.
pub fn next_link(link: &str) -> Option<String> {
    rel_link(link, "next")
}

/// The page number of the `rel="last"` URL of a `Link` header: how many pages the list has
/// (GitHub leaves `last` out on the last page itself).
pub fn last_page(link: &str) -> Option<u64> {
    page_number(&rel_link(link, "last")?)
}

/// The `page` parameter of a list's URL.
pub fn page_number(url: &str) -> Option<u64> {
    let url = url::Url::parse(url).ok()?;
    let page = url.query_pairs().find(|(k, _)| k == "page")?.1;
    page.parse().ok()
}

/// The URL of a `Link` header's `rel`.
fn rel_link(link: &str, rel: &str) -> Option<String> {
    let want = format!("rel=\"{rel}\"");
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == want)
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
    })
}

impl Client {
    pub fn new(base: &str, auth: Auth, backoff: Backoff) -> anyhow::Result<Client> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(ACCEPT_JSON));
        headers.insert(
            "x-github-api-version",
            HeaderValue::from_static(API_VERSION),
        );
        let agent = format!("nagare/{}", env!("CARGO_PKG_VERSION"));
        headers.insert(USER_AGENT, HeaderValue::from_str(&agent)?);
        let http = reqwest::Client::builder()
            .default_headers(headers.clone())
            .timeout(Duration::from_secs(60))
            .build()?;
        let manual = reqwest::Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()?;
        let plain = reqwest::Client::builder()
            .user_agent(agent)
            .redirect(reqwest::redirect::Policy::limited(5))
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(Client {
            http,
            manual,
            plain,
            base: base.trim_end_matches('/').to_owned(),
            auth,
            backoff,
            requests: Default::default(),
            waits: Default::default(),
        })
    }

    /// The URL of an API path (`/repos/o/r/deployments?per_page=100`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The token requests carry: the personal token, or an installation token (minted when
    /// none is held or it expires within five minutes).
    pub async fn token(&self) -> anyhow::Result<String> {
        match &self.auth {
            Auth::Token(t) => Ok(t.clone()),
            Auth::App {
                app_id,
                key,
                installation_id,
                minted,
            } => {
                let mut minted = minted.lock().await;
                if let Some((token, expires)) = minted.as_ref() {
                    // Minted again five minutes before it expires.
                    if now_secs() + 300 < *expires {
                        return Ok(token.clone());
                    }
                }
                let (token, expires) = self.mint(app_id, key, *installation_id).await?;
                *minted = Some((token.clone(), expires));
                Ok(token)
            }
        }
    }

    /// An installation token for the app, from a JWT signed with its private key.
    async fn mint(
        &self,
        app_id: &str,
        key: &jsonwebtoken::EncodingKey,
        installation: u64,
    ) -> anyhow::Result<(String, u64)> {
        #[derive(serde::Serialize)]
        struct Claims<'a> {
            iat: u64,
            exp: u64,
            iss: &'a str,
        }
        let now = now_secs();
        // A minute back for clock drift; GitHub allows at most ten minutes.
        let claims = Claims {
            iat: now.saturating_sub(60),
            exp: now + 540,
            iss: app_id,
        };
        let jwt = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
            &claims,
            key,
        )
        .context("cannot sign the GitHub App's JWT with its private key")?;
        let url = self.url(&format!("/app/installations/{installation}/access_tokens"));
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let r = self
            .http
            .post(&url)
            .header(AUTHORIZATION, format!("Bearer {jwt}"))
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if status != StatusCode::CREATED && status != StatusCode::OK {
            bail!(
                "GitHub refused the app's installation token ({status}): {}; check sources.github.app_id, the private key and installation_id",
                body["message"].as_str().unwrap_or("no message")
            );
        }
        let token = body["token"]
            .as_str()
            .ok_or_else(|| anyhow!("the installation token reply has no `token`"))?;
        let expires = body["expires_at"]
            .as_str()
            .and_then(|t| nagare_core::Timestamp::parse(t).ok())
            .map_or(now + 3600, |t| (t.0 / 1000).max(0) as u64);
        Ok((token.to_owned(), expires))
    }

    async fn wait(&self, d: Duration, why: &str) -> anyhow::Result<()> {
        if d > self.backoff.max_wait {
            bail!(
                "{why}: GitHub asks to wait {} s, more than the {} s allowed; run the backfill again later (it resumes where it stopped)",
                d.as_secs(),
                self.backoff.max_wait.as_secs()
            );
        }
        self.waits
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::warn!(
            wait_ms = d.as_millis() as u64,
            reason = why,
            "GitHub API: waiting"
        );
        tokio::time::sleep(d).await;
        Ok(())
    }

    /// GETs `url` as JSON, through GitHub's limits and transient failures.
    pub async fn get(&self, url: &str) -> Result<(Value, Option<String>), ApiFailure> {
        let (v, link) = self.get_linked(url).await?;
        Ok((v, link.as_deref().and_then(next_link)))
    }

    /// A JSON reply and its `Link` header.
    async fn get_linked(&self, url: &str) -> Result<(Value, Option<String>), ApiFailure> {
        self.get_inner(url)
            .await
            .map_err(|e| match e.downcast::<ApiFailure>() {
                Ok(f) => f,
                Err(e) => ApiFailure::Other(format!("{e:#}")),
            })
    }

    async fn get_inner(&self, url: &str) -> anyhow::Result<(Value, Option<String>)> {
        let mut backoff = self.backoff.base;
        for attempt in 1..=self.backoff.tries {
            let last = attempt == self.backoff.tries;
            let token = self.token().await?;
            self.requests
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let r = match self.http.get(url).bearer_auth(&token).send().await {
                Ok(r) => r,
                Err(e) if !last => {
                    self.wait(backoff, &format!("GET {url}: {e}")).await?;
                    backoff *= 2;
                    continue;
                }
                Err(e) => return Err(anyhow!("GET {url}: {e}")),
            };
            let status = r.status();
            let headers = r.headers().clone();
            let header = |n: &str| {
                headers
                    .get(n)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let text = r.text().await.unwrap_or_default();
            if status.is_success() {
                let link = header("link");
                // A primary limit spent: wait for its reset before the next request.
                if header("x-ratelimit-remaining").as_deref() == Some("0") {
                    if let Some(reset) =
                        header("x-ratelimit-reset").and_then(|r| r.parse::<u64>().ok())
                    {
                        let d = Duration::from_secs(reset.saturating_sub(now_secs()));
                        self.wait(d, "the rate limit is spent until its reset")
                            .await?;
                    }
                }
                match serde_json::from_str::<Value>(&text) {
                    Ok(v) => return Ok((v, link)),
                    Err(e) if !last => {
                        self.wait(
                            backoff,
                            &format!("GET {url}: the reply was cut short ({e})"),
                        )
                        .await?;
                        backoff *= 2;
                        continue;
                    }
                    Err(e) => bail!("GET {url}: the reply is not JSON ({e}) after {attempt} tries"),
                }
            }
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_owned))
                .unwrap_or_default();
            let retry_after = header("retry-after").and_then(|s| s.trim().parse::<u64>().ok());
            match status {
                StatusCode::NOT_FOUND => return Err(ApiFailure::NotFound(url.to_owned()).into()),
                StatusCode::UNAUTHORIZED => bail!(
                    "GET {url}: GitHub rejected the token (401 {message}); check sources.github.token or the app's key"
                ),
                StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS if !last => {
                    if let Some(secs) = retry_after {
                        self.wait(Duration::from_secs(secs), "retry-after").await?;
                    } else if header("x-ratelimit-remaining").as_deref() == Some("0") {
                        let reset = header("x-ratelimit-reset")
                            .and_then(|r| r.parse::<u64>().ok())
                            .unwrap_or(0);
                        let d = Duration::from_secs(reset.saturating_sub(now_secs()).max(1));
                        self.wait(d, "the primary rate limit is spent").await?;
                    } else if message.to_ascii_lowercase().contains("rate limit") {
                        self.wait(backoff, "a secondary rate limit").await?;
                        backoff *= 2;
                    } else {
                        bail!(
                            "GET {url}: forbidden (403 {message}); the token needs read access to Actions, Deployments, Contents, Pull requests, Issues and Metadata"
                        );
                    }
                }
                s if s.is_server_error() && !last => {
                    self.wait(backoff, &format!("GET {url}: {s}")).await?;
                    backoff *= 2;
                }
                s => bail!("GET {url}: {s} {message}"),
            }
        }
        bail!("GET {url}: no reply after {} tries", self.backoff.tries)
    }

    /// Sends one request with the token (`Authorization: Bearer`) and GitHub's headers, a JSON
    /// `body` when given, and answers whatever GitHub answered: status, headers and body text.
    /// Nothing is retried and no status is an error here (the caller maps them), so a request
    /// that must not be sent twice (a workflow dispatch) is sent once. Redirects are followed
    /// or answered as they are, as `redirects` says.
    pub async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
        redirects: Redirects,
    ) -> anyhow::Result<Reply> {
        let token = self.token().await?;
        let http = match redirects {
            Redirects::Follow => &self.http,
            Redirects::Keep => &self.manual,
        };
        let mut request = http.request(method.clone(), url).bearer_auth(&token);
        if let Some(body) = body {
            request = request.json(body);
        }
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let r = request
            .send()
            .await
            .map_err(|e| anyhow!("{method} {url}: {}", e.without_url()))?;
        let status = r.status();
        let headers = r.headers().clone();
        let body = r.text().await.map_err(|e| {
            anyhow!(
                "{method} {url}: the reply was cut short ({})",
                e.without_url()
            )
        })?;
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// GETs `url` with no token and none of GitHub's headers: a signed URL GitHub redirected to
    /// (a job's log), which must not receive the token. The reply is streamed by the caller.
    pub async fn get_unauthenticated(&self, url: &str) -> anyhow::Result<reqwest::Response> {
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // The URL is signed: it is left out of the error.
        self.plain
            .get(url)
            .send()
            .await
            .map_err(|e| anyhow!("GET of the signed URL: {}", e.without_url()))
    }

    /// One page of a list at `url`: the array itself, or the array under `key` (the
    /// Actions lists wrap theirs: `{"workflow_runs": […]}`).
    pub async fn page(&self, url: &str, key: Option<&str>) -> Result<Page, ApiFailure> {
        let (v, link) = self.get_linked(url).await?;
        let next = link.as_deref().and_then(next_link);
        let last_page = link.as_deref().and_then(last_page);
        let items = match key {
            Some(k) => v.get(k).cloned(),
            None => Some(v),
        };
        match items {
            Some(Value::Array(items)) => Ok(Page {
                items,
                next,
                last_page,
            }),
            _ => Err(ApiFailure::Other(format!(
                "GET {url}: the reply is not a list{}",
                key.map_or(String::new(), |k| format!(" under `{k}`"))
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_read_from_any_position() {
        let link = r#"<https://api.github.com/repositories/1/deployments?page=2>; rel="next", <https://api.github.com/repositories/1/deployments?page=5>; rel="last""#;
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://api.github.com/repositories/1/deployments?page=2")
        );
        assert_eq!(last_page(link), Some(5));
        let last = r#"<https://x/?page=1>; rel="first", <https://x/?page=4>; rel="prev""#;
        assert_eq!(next_link(last), None);
        assert_eq!(last_page(last), None, "the last page names no last");
        assert_eq!(
            last_page(r#"<https://x/r?per_page=100&page=12>; rel="last""#),
            Some(12)
        );
        assert_eq!(last_page(r#"<https://x/r?page=x>; rel="last""#), None);
        assert_eq!(
            next_link(r#"<https://x/?page=3>;rel="next""#).as_deref(),
            Some("https://x/?page=3")
        );
        assert_eq!(next_link(""), None);
    }
}
