//! Starting and steering GitHub Actions runs from the portal, through the REST client of
//! `crate::sources::github_api` (its token or GitHub App, its headers).
//!
//! - **Dispatch** (`POST …/actions/workflows/{workflow}/dispatches`) asks for the run's details
//!   (`return_run_details`); github.com answers 200 with the run's id and pages, GitHub
//!   Enterprise Server and older APIs answer 204 with nothing, and the run is then looked for
//!   with [`GithubActions::find_dispatched_run`] (a guess, said so to the user).
//! - **Nothing is retried**: a dispatch sent twice would start two deployments, so a rate
//!   limit or a failure is reported ([`TriggerError::RateLimited`]) and the caller decides.
//! - **Errors** are mapped from GitHub's status in one place ([`error_for`]) into sentences
//!   that say what to fix; they never hold the token.

use crate::sources::github_api::{next_link, Client, Redirects, Reply};
use nagare_core::Timestamp;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A path segment or a query value: everything but letters, digits and `-._~` encoded.
pub(crate) const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why a request to GitHub failed, in words that say what to fix. Never holds the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    /// 401.
    #[error(
        "GitHub rejected the token ({0}); check the trigger's GitHub token, or the GitHub App's key and installation"
    )]
    Unauthorized(String),
    /// 403 that is not a rate limit.
    #[error(
        "GitHub refused the request (403 {message}): the token or GitHub App needs the \"Actions: write\" permission (read and write) on the repository"
    )]
    Forbidden { message: String },
    /// 404: `what` (`workflow deploy.yml`) in `place` (`acme/x at ref main`).
    #[error("{what} not found in {place} (or the token cannot see the repository)")]
    NotFound { what: String, place: String },
    /// 422: GitHub's message (`Unexpected inputs provided: ["bogus"]`) and what to check.
    #[error("GitHub refused the request (422): {message}{hint}")]
    Unprocessable { message: String, hint: String },
    /// 409 on a cancel: the run is over.
    #[error("{what} has already finished: there is nothing to cancel")]
    AlreadyFinished { what: String },
    /// Any other 409.
    #[error("GitHub refused the request (409 conflict): {message}")]
    Conflict { message: String },
    /// A primary or secondary rate limit (403 or 429). The request was not sent again.
    #[error(
        "GitHub's rate limit is reached; try again in {retry_after_secs} s (the request was not repeated)"
    )]
    RateLimited { retry_after_secs: u64 },
    /// The network, a 5xx, a reply that makes no sense, a malformed argument.
    #[error("{0}")]
    Other(String),
}

/// What a dispatch answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dispatched {
    /// github.com's 200: the run it started.
    Run {
        id: u64,
        /// `https://api.github.com/repos/o/r/actions/runs/{id}`.
        api_url: String,
        /// The run's page.
        html_url: String,
    },
    /// A 204 (GitHub Enterprise Server, older APIs): started, but which run is not said.
    Accepted,
}

/// The run a dispatch most likely started, found by listing the workflow's runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRun {
    pub id: u64,
    pub html_url: String,
    pub created_at: Timestamp,
    /// How many runs matched; more than one means the pick (the earliest) is ambiguous.
    pub candidates: usize,
}

/// What a failed request was about, for its error.
#[derive(Default)]
struct Ctx {
    /// A 404's subject and place.
    what: String,
    place: String,
    /// Added to a 422's message.
    hint: String,
    /// A 409 means the run has finished (a cancel).
    conflict_is_finished: bool,
}

impl Ctx {
    fn new(what: String, place: String) -> Ctx {
        Ctx {
            what,
            place,
            ..Ctx::default()
        }
    }
}

/// GitHub Actions' dispatch, rerun, cancel and reading calls.
pub struct GithubActions {
    api: Arc<Client>,
}

impl GithubActions {
    pub fn new(api: Arc<Client>) -> GithubActions {
        GithubActions { api }
    }

    /// The REST client underneath.
    pub fn api(&self) -> &Client {
        &self.api
    }

    /// Starts `workflow` (its file name, `deploy.yml`, or its id) of `repo` (`owner/name`) on
    /// `git_ref` with `inputs`. Sent once, never retried.
    pub async fn dispatch(
        &self,
        repo: &str,
        workflow: &str,
        git_ref: &str,
        inputs: &BTreeMap<String, String>,
    ) -> Result<Dispatched, TriggerError> {
        let path = format!(
            "{}/actions/workflows/{}/dispatches",
            repo_path(repo)?,
            enc(workflow)
        );
        let ctx = Ctx {
            what: format!("workflow {workflow}"),
            place: format!("{repo} at ref {git_ref}"),
            hint: format!(
                "; check the workflow's `workflow_dispatch` inputs at ref {git_ref} (the form is read from the workflow file there)"
            ),
            ..Ctx::default()
        };
        let mut body = json!({ "ref": git_ref, "inputs": inputs, "return_run_details": true });
        let reply = match self.call(Method::POST, &path, Some(&body), &ctx).await {
            // A server that does not know `return_run_details` refused the whole request
            // (nothing ran), so it is sent once more without it.
            Err(TriggerError::Unprocessable { message, .. })
                if message.contains("return_run_details") =>
            {
                if let Some(b) = body.as_object_mut() {
                    b.remove("return_run_details");
                }
                self.call(Method::POST, &path, Some(&body), &ctx).await?
            }
            r => r?,
        };
        let v: Value = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
        Ok(match v["workflow_run_id"].as_u64() {
            Some(id) if reply.status.as_u16() == 200 => Dispatched::Run {
                id,
                api_url: v["run_url"].as_str().unwrap_or_default().to_owned(),
                html_url: v["html_url"].as_str().unwrap_or_default().to_owned(),
            },
            _ => Dispatched::Accepted,
        })
    }

    /// The run a dispatch answered 204 most likely started: among the workflow's
    /// `workflow_dispatch` runs on `git_ref`'s branch (or tag) created at or after `after`
    /// (to the second: GitHub's times have no fractions) and, when `actor` is given, started
    /// or re-run by that login, the earliest not in `exclude` (runs other requests already
    /// claimed). `None` while GitHub lists none yet.
    pub async fn find_dispatched_run(
        &self,
        repo: &str,
        workflow: &str,
        git_ref: &str,
        actor: Option<&str>,
        after: Timestamp,
        exclude: &[u64],
    ) -> Result<Option<FoundRun>, TriggerError> {
        let branch = git_ref
            .strip_prefix("refs/heads/")
            .or_else(|| git_ref.strip_prefix("refs/tags/"))
            .unwrap_or(git_ref);
        let after = Timestamp(after.0 - after.0.rem_euclid(1000));
        let since = after
            .to_datetime()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let path = format!(
            "{}/actions/workflows/{}/runs?event=workflow_dispatch&branch={}&created={}&per_page=20",
            repo_path(repo)?,
            enc(workflow),
            enc(branch),
            enc(&format!(">={since}"))
        );
        let ctx = Ctx::new(format!("workflow {workflow}"), repo.to_owned());
        let v = self.get_json(&path, &ctx).await?;
        let runs = v["workflow_runs"].as_array().ok_or_else(|| {
            TriggerError::Other(format!("GET {path}: the reply has no `workflow_runs` list"))
        })?;
        let by = |run: &Value| match actor {
            None => true,
            Some(a) => ["actor", "triggering_actor"].iter().any(|k| {
                run[*k]["login"]
                    .as_str()
                    .is_some_and(|l| l.eq_ignore_ascii_case(a))
            }),
        };
        let mut found: Vec<(Timestamp, u64, String)> = runs
            .iter()
            .filter(|run| run["head_branch"].as_str() == Some(branch) && by(run))
            .filter_map(|run| {
                let created = Timestamp::parse(run["created_at"].as_str()?).ok()?;
                let id = run["id"].as_u64()?;
                let url = run["html_url"].as_str().unwrap_or_default().to_owned();
                (created >= after && !exclude.contains(&id)).then_some((created, id, url))
            })
            .collect();
        found.sort();
        let candidates = found.len();
        Ok(found
            .into_iter()
            .next()
            .map(|(created_at, id, html_url)| FoundRun {
                id,
                html_url,
                created_at,
                candidates,
            }))
    }

    /// Re-runs every job of a run (201).
    pub async fn rerun(&self, repo: &str, run_id: u64) -> Result<(), TriggerError> {
        self.run_action(repo, run_id, "rerun").await
    }

    /// Re-runs the failed jobs of a run and the jobs that depend on them (201).
    pub async fn rerun_failed_jobs(&self, repo: &str, run_id: u64) -> Result<(), TriggerError> {
        self.run_action(repo, run_id, "rerun-failed-jobs").await
    }

    /// Asks GitHub to cancel a run (202); [`TriggerError::AlreadyFinished`] when it is over.
    pub async fn cancel(&self, repo: &str, run_id: u64) -> Result<(), TriggerError> {
        self.run_action(repo, run_id, "cancel").await
    }

    async fn run_action(&self, repo: &str, run_id: u64, action: &str) -> Result<(), TriggerError> {
        let path = format!("{}/actions/runs/{run_id}/{action}", repo_path(repo)?);
        let ctx = Ctx {
            what: format!("run {run_id}"),
            place: repo.to_owned(),
            conflict_is_finished: action == "cancel",
            hint: format!("; GitHub did not accept the {action} of run {run_id}"),
        };
        self.call(Method::POST, &path, None, &ctx).await.map(drop)
    }

    /// The commit `git_ref` (a branch or a tag) points at now.
    pub async fn ref_sha(&self, repo: &str, git_ref: &str) -> Result<String, TriggerError> {
        let url = format!("{}/commits/{}", repo_path(repo)?, enc(git_ref));
        let ctx = Ctx::new(format!("ref {git_ref}"), repo.to_owned());
        let v = self.get_json(&url, &ctx).await?;
        v["sha"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| TriggerError::Other(format!("GET {url}: the reply names no sha")))
    }

    /// The text of `path` (`.github/workflows/deploy.yml`) at `git_ref`, from the contents API.
    pub async fn workflow_file(
        &self,
        repo: &str,
        path: &str,
        git_ref: &str,
    ) -> Result<String, TriggerError> {
        let segments: Vec<String> = path.trim_start_matches('/').split('/').map(enc).collect();
        let url = format!(
            "{}/contents/{}?ref={}",
            repo_path(repo)?,
            segments.join("/"),
            enc(git_ref)
        );
        let ctx = Ctx::new(format!("file {path}"), format!("{repo} at ref {git_ref}"));
        let v = self.get_json(&url, &ctx).await?;
        let other =
            |why: &str| TriggerError::Other(format!("{path} in {repo} at {git_ref}: {why}"));
        if v.is_array() || v["type"].as_str().is_some_and(|t| t != "file") {
            return Err(other("not a file"));
        }
        let content = v["content"].as_str().unwrap_or_default();
        let encoding = v["encoding"].as_str().unwrap_or_default();
        if encoding != "base64" || (content.is_empty() && v["size"].as_u64().unwrap_or(0) > 0) {
            return Err(other(
                "the contents API did not send the file (over 1 MB?); keep workflow files small",
            ));
        }
        // GitHub wraps the base64 text in lines.
        let packed: String = content.chars().filter(|c| !c.is_whitespace()).collect();
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(packed)
            .map_err(|e| other(&format!("the content is not base64 ({e})")))?;
        String::from_utf8(bytes).map_err(|_| other("not UTF-8 text"))
    }

    /// A run as GitHub shows it (`GET …/actions/runs/{id}`).
    pub async fn run(&self, repo: &str, run_id: u64) -> Result<Value, TriggerError> {
        let path = format!("{}/actions/runs/{run_id}", repo_path(repo)?);
        let ctx = Ctx::new(format!("run {run_id}"), repo.to_owned());
        self.get_json(&path, &ctx).await
    }

    /// A run's jobs (of its latest attempt), 100 a page, following up to 10 pages.
    pub async fn jobs(&self, repo: &str, run_id: u64) -> Result<Vec<Value>, TriggerError> {
        let path = format!(
            "{}/actions/runs/{run_id}/jobs?per_page=100",
            repo_path(repo)?
        );
        let ctx = Ctx::new(format!("run {run_id}"), repo.to_owned());
        let mut url = self.api.url(&path);
        let mut jobs = Vec::new();
        for _ in 0..10 {
            let reply = self
                .send(Method::GET, &url, None, &ctx, Redirects::Follow)
                .await?;
            let v = parse(&reply, &url)?;
            match v.get("jobs") {
                Some(Value::Array(page)) => jobs.extend(page.iter().cloned()),
                _ => {
                    return Err(TriggerError::Other(format!(
                        "GET {path}: the reply has no `jobs` list"
                    )))
                }
            }
            match reply.header("link").and_then(next_link) {
                Some(next) => url = next,
                None => break,
            }
        }
        Ok(jobs)
    }

    /// The last `max_lines` lines of a job's log, each ending in `\n`.
    ///
    /// GitHub answers `…/actions/jobs/{id}/logs` with a 302 to a signed URL that expires after
    /// one minute. That redirect is not followed with the token: the `Location` is fetched at
    /// once by a client that sends no `Authorization` (nor GitHub's headers), and only the
    /// log's tail is kept while it streams.
    pub async fn job_log_excerpt(
        &self,
        repo: &str,
        job_id: u64,
        max_lines: usize,
    ) -> Result<String, TriggerError> {
        let path = format!("{}/actions/jobs/{job_id}/logs", repo_path(repo)?);
        let ctx = Ctx::new(
            format!("the log of job {job_id} (it may have expired)"),
            repo.to_owned(),
        );
        let url = self.api.url(&path);
        let reply = self
            .send(Method::GET, &url, None, &ctx, Redirects::Keep)
            .await?;
        if !reply.status.is_redirection() {
            return Ok(last_lines(reply.body.as_bytes(), max_lines));
        }
        let location = reply
            .header("location")
            .and_then(|l| url::Url::parse(&url).ok()?.join(l).ok())
            .ok_or_else(|| {
                TriggerError::Other(format!(
                    "GET {path}: GitHub answered {} without a usable Location",
                    reply.status
                ))
            })?;
        let mut r = self
            .api
            .get_unauthenticated(location.as_str())
            .await
            .map_err(|e| TriggerError::Other(format!("the log of job {job_id}: {e:#}")))?;
        if !r.status().is_success() {
            return Err(TriggerError::Other(format!(
                "the log of job {job_id}: its signed URL answered {} (it expires a minute after GitHub gives it); ask again",
                r.status()
            )));
        }
        // Past this many bytes held, the front is dropped (at a line) while the log streams.
        const HOLD: usize = 4 << 20;
        let mut buf: Vec<u8> = Vec::new();
        while let Some(chunk) = r.chunk().await.map_err(|e| {
            TriggerError::Other(format!(
                "the log of job {job_id} was cut short ({})",
                e.without_url()
            ))
        })? {
            buf.extend_from_slice(&chunk);
            if buf.len() > 2 * HOLD {
                let cut = buf.len() - HOLD;
                let cut = buf[cut..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(cut, |p| cut + p + 1);
                buf.drain(..cut);
            }
        }
        Ok(last_lines(&buf, max_lines))
    }

    /// Sends one request to an API path; a 2xx (or a 3xx kept) is the reply, anything else
    /// its error.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        ctx: &Ctx,
    ) -> Result<Reply, TriggerError> {
        let url = self.api.url(path);
        self.send(method, &url, body, ctx, Redirects::Follow).await
    }

    async fn get_json(&self, path: &str, ctx: &Ctx) -> Result<Value, TriggerError> {
        parse(&self.call(Method::GET, path, None, ctx).await?, path)
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        ctx: &Ctx,
        redirects: Redirects,
    ) -> Result<Reply, TriggerError> {
        let label = format!("{method} {}", url.split('?').next().unwrap_or(url));
        let failed = match self.api.send(method, url, body, redirects).await {
            Ok(r) if r.status.is_success() => return Ok(r),
            Ok(r) if redirects == Redirects::Keep && r.status.is_redirection() => return Ok(r),
            failed => failed,
        };
        // GitHub's words are passed on, without the token should they echo it.
        let secret = self.api.token().await.unwrap_or_default();
        Err(match failed {
            Err(e) => TriggerError::Other(redact(format!("{e:#}"), &secret)),
            Ok(r) => error_for(&r, ctx, &label, &secret),
        })
    }
}

/// `text` with every copy of `secret` blanked out.
pub(crate) fn redact(text: String, secret: &str) -> String {
    if secret.len() < 4 {
        return text;
    }
    text.replace(secret, "[redacted]")
}

/// A reply's JSON.
fn parse(reply: &Reply, what: &str) -> Result<Value, TriggerError> {
    serde_json::from_str(&reply.body)
        .map_err(|e| TriggerError::Other(format!("{what}: GitHub's reply is not JSON ({e})")))
}

/// `owner/name` as the path `/repos/owner/name`.
fn repo_path(repo: &str) -> Result<String, TriggerError> {
    match repo.split_once('/') {
        Some((owner, name)) if !owner.is_empty() && !name.is_empty() && !name.contains('/') => {
            Ok(format!("/repos/{}/{}", enc(owner), enc(name)))
        }
        _ => Err(TriggerError::Other(format!(
            "`{repo}` is not a GitHub repository; write it as owner/name"
        ))),
    }
}

fn enc(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// GitHub's `message`, with the details of a validation error, or the start of a body that
/// is not JSON.
fn github_message(body: &str) -> String {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return nagare_core::text::printable(body.trim(), 200);
    };
    let mut message = v["message"].as_str().unwrap_or_default().to_owned();
    if let Some(errors) = v["errors"].as_array() {
        let details: Vec<String> = errors
            .iter()
            .filter_map(|e| match e {
                Value::String(s) => Some(s.clone()),
                e => e["message"]
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| Some(format!("{} {}", e["field"].as_str()?, e["code"].as_str()?))),
            })
            .collect();
        if !details.is_empty() {
            message = format!("{message} ({})", details.join("; "));
        }
    }
    message
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// GitHub's status as an error: every status is mapped here, and only here.
fn error_for(reply: &Reply, ctx: &Ctx, label: &str, secret: &str) -> TriggerError {
    let message = redact(github_message(&reply.body), secret);
    let status = reply.status.as_u16();
    let retry_after = reply
        .header("retry-after")
        .and_then(|s| s.trim().parse::<u64>().ok());
    let spent = reply.header("x-ratelimit-remaining") == Some("0");
    let limited = status == 429
        || (status == 403
            && (retry_after.is_some()
                || spent
                || message.to_ascii_lowercase().contains("rate limit")));
    if limited {
        let reset = reply
            .header("x-ratelimit-reset")
            .and_then(|r| r.parse::<u64>().ok())
            .filter(|_| spent)
            .map(|r| r.saturating_sub(now_secs()).max(1));
        return TriggerError::RateLimited {
            // GitHub asks for at least a minute after a secondary limit that names no wait.
            retry_after_secs: retry_after.or(reset).unwrap_or(60),
        };
    }
    match status {
        401 => TriggerError::Unauthorized(format!("401 {message}")),
        403 => TriggerError::Forbidden { message },
        404 => TriggerError::NotFound {
            what: ctx.what.clone(),
            place: ctx.place.clone(),
        },
        409 if ctx.conflict_is_finished => TriggerError::AlreadyFinished {
            what: ctx.what.clone(),
        },
        409 => TriggerError::Conflict { message },
        422 => TriggerError::Unprocessable {
            message,
            hint: ctx.hint.clone(),
        },
        _ => TriggerError::Other(
            format!("{label}: GitHub answered {} {message}", reply.status)
                .trim_end()
                .to_owned(),
        ),
    }
}

/// The last `max` lines of a log, each ending in `\n` (a byte-order mark and `\r` dropped).
pub fn last_lines(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(max);
    lines[from..]
        .iter()
        .map(|l| format!("{}\n", l.trim_end_matches('\r')))
        .collect()
}
