//! Calls to the Nagare HTTP API (`/api/v1`), decoded into the shared shapes of `nagare_core::api`.
//!
//! Every call goes through [`send`]: unsafe methods carry the session's CSRF token
//! (`x-csrf-token`), and a 401 (no session, or it expired) sends the browser through sign-in and
//! back to the same URL.

use gloo_net::http::{Request, RequestBuilder, Response};
use nagare_core::api::{
    ApiTokenRow, AuditQuery, AuditRow, BackfillPhase, BackfillRequest, CreatedApiToken,
    DeliveryDetail, DeliveryQuery, DeliveryRow, DeploymentDetail, DeploymentQuery, DeploymentRow,
    DoraParams, DoraReport, ErrorBody, FlakyReport, IncidentQuery, IncidentRow, Journey,
    MappingRules, MirrorSummary, NewApiToken, Page, PipelineRunDetail, PipelineRunQuery,
    PipelineRunRow, PipelineWindowParams, ReplaySummary, Role, ServiceRow, SessionInfo,
    SourceSummary, SourceTask, SourceTasks, SyncRequest, TeamRow, TeamsDoraReport,
    ValueStreamParams, ValueStreamReport, WorkflowTrend, WorkflowsReport,
};
use nagare_core::query::query_string;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::str::FromStr;

pub mod cost;
pub mod slo;
mod triggers;
pub use triggers::*;

/// Why a call failed, as a sentence for the user.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: Option<u16>,
    pub message: String,
    /// On 400: the field the message is about.
    pub field: Option<String>,
    /// On 403: the role the request needs.
    pub required_role: Option<Role>,
}

impl ApiError {
    fn plain(status: Option<u16>, message: String) -> Self {
        ApiError {
            status,
            message,
            field: None,
            required_role: None,
        }
    }

    /// A 403: the user's role is too low.
    pub fn is_forbidden(&self) -> bool {
        self.status == Some(403)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(s) => write!(f, "{} (HTTP {s})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Query parameters, in order; empty values are left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query(Vec<(&'static str, String)>);

impl Query {
    pub fn new() -> Self {
        Query(Vec::new())
    }

    pub fn set(mut self, key: &'static str, value: impl Into<String>) -> Self {
        let value = value.into();
        if !value.is_empty() {
            self.0.push((key, value));
        }
        self
    }

    pub fn encode(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_component(v)))
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

pub use nagare_core::query::encode_component;

/// A filter value from the page's URL, read as the API reads it: empty is absent, anything else
/// must be its type's text. The error is the API's own sentence, named after the parameter.
pub fn param<T: FromStr>(name: &str, value: &str) -> ApiResult<Option<T>>
where
    T::Err: fmt::Display,
{
    if value.is_empty() {
        return Ok(None);
    }
    value.parse().map(Some).map_err(|e| ApiError {
        status: None,
        message: format!("`{name}`: {e}"),
        field: Some(name.to_owned()),
        required_role: None,
    })
}

/// The URL of an API endpoint with a query struct's parameters.
fn with_query<T: Serialize>(path: &str, query: &T) -> String {
    format!("{path}{}", query_string(query))
}

/// What this tab knows about its session, for every request: the CSRF token for unsafe methods,
/// and whether the server runs in local mode (where a 401 cannot happen, so never redirect).
#[derive(Default)]
struct SessionState {
    csrf_token: RefCell<String>,
    local_mode: Cell<bool>,
    /// Whether `/api/v1/session` has answered in this tab.
    loaded: Cell<bool>,
    /// Set once the browser is on its way to sign-in, so that parallel 401s redirect only once.
    redirecting: Cell<bool>,
}

thread_local! {
    static SESSION: SessionState = SessionState::default();
}

fn remember_session(info: &SessionInfo) {
    SESSION.with(|s| {
        s.csrf_token.replace(info.csrf_token.clone());
        s.local_mode.set(info.local_mode);
        s.loaded.set(true);
    });
}

fn csrf_token() -> String {
    SESSION.with(|s| s.csrf_token.borrow().clone())
}

/// The sign-in address that returns to `path_and_query` afterwards.
pub fn login_redirect(login_url: &str, path_and_query: &str) -> String {
    let sep = if login_url.contains('?') { '&' } else { '?' };
    format!(
        "{login_url}{sep}return_to={}",
        encode_component(path_and_query)
    )
}

/// Sends the whole page (a full load, not a route change) to `url`.
pub fn go_to(url: &str) {
    #[cfg(target_arch = "wasm32")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(url);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = url;
}

/// The current path and query of the page.
fn current_path_and_query() -> String {
    #[cfg(target_arch = "wasm32")]
    if let Some(w) = web_sys::window() {
        let loc = w.location();
        return format!(
            "{}{}",
            loc.pathname().unwrap_or_else(|_| "/".to_owned()),
            loc.search().unwrap_or_default()
        );
    }
    "/".to_owned()
}

/// A 401: go through sign-in and come back here. Once per page, and never in local mode.
fn sign_in_again(login_url: Option<&str>) {
    let go = SESSION.with(|s| {
        if s.local_mode.get() || s.redirecting.get() {
            false
        } else {
            s.redirecting.set(true);
            true
        }
    });
    let here = current_path_and_query();
    if go && !here.starts_with("/auth/") {
        go_to(&login_redirect(login_url.unwrap_or("/auth/login"), &here));
    }
}

/// Sends a request and decodes a successful reply; turns every failure into an [`ApiError`].
async fn send<T: DeserializeOwned>(req: Result<Request, gloo_net::Error>) -> ApiResult<T> {
    let unreachable = |e: gloo_net::Error| {
        ApiError::plain(None, format!("the server could not be reached ({e})"))
    };
    let resp = req
        .map_err(unreachable)?
        .send()
        .await
        .map_err(unreachable)?;
    let status = resp.status();
    if resp.ok() {
        resp.json::<T>().await.map_err(|e| {
            ApiError::plain(Some(status), format!("the reply could not be read ({e})"))
        })
    } else {
        Err(error_of(resp).await)
    }
}

async fn error_of(resp: Response) -> ApiError {
    let status = resp.status();
    let body = resp.json::<ErrorBody>().await.ok();
    if status == 401 {
        sign_in_again(body.as_ref().and_then(|b| b.login_url.as_deref()));
        return ApiError::plain(Some(status), crate::strings::SIGNING_IN_AGAIN.to_owned());
    }
    match body {
        Some(b) => ApiError {
            status: Some(status),
            message: b.error,
            field: b.field,
            required_role: b.required_role,
        },
        None => ApiError::plain(
            Some(status),
            format!("the server answered {} {}", status, resp.status_text()),
        ),
    }
}

async fn get_json<T: DeserializeOwned>(path: &str) -> ApiResult<T> {
    send(Request::get(path).build()).await
}

/// A POST, PUT, PATCH or DELETE: carries the session's CSRF token (local mode has none).
async fn unsafe_request(builder: RequestBuilder) -> RequestBuilder {
    if !SESSION.with(|s| s.loaded.get()) {
        // Only before the session has loaded: ask for it once, which remembers the token.
        let _ = session().await;
    }
    let token = csrf_token();
    if token.is_empty() {
        builder
    } else {
        builder.header("x-csrf-token", &token)
    }
}

pub async fn session() -> ApiResult<SessionInfo> {
    let info: SessionInfo = get_json("/api/v1/session").await?;
    remember_session(&info);
    Ok(info)
}

#[derive(Deserialize)]
struct LogoutReply {
    redirect: String,
}

/// Ends the session (`POST /auth/logout`) and follows the server to where it says next
/// (the provider's sign-out page, or the portal).
pub async fn sign_out() -> ApiResult<()> {
    let reply: LogoutReply =
        send(unsafe_request(Request::post("/auth/logout")).await.build()).await?;
    SESSION.with(|s| s.redirecting.set(true));
    go_to(&reply.redirect);
    Ok(())
}

pub async fn dora(query: DoraParams) -> ApiResult<DoraReport> {
    get_json(&with_query("/api/v1/metrics/dora", &query)).await
}

pub async fn teams_dora(query: DoraParams) -> ApiResult<TeamsDoraReport> {
    get_json(&with_query("/api/v1/metrics/dora/teams", &query)).await
}

pub async fn deployments(query: DeploymentQuery) -> ApiResult<Page<DeploymentRow>> {
    get_json(&with_query("/api/v1/deployments", &query)).await
}

pub async fn deployment(id: String) -> ApiResult<DeploymentDetail> {
    get_json(&format!("/api/v1/deployments/{}", encode_component(&id))).await
}

pub async fn incidents(query: IncidentQuery) -> ApiResult<Page<IncidentRow>> {
    get_json(&with_query("/api/v1/incidents", &query)).await
}

pub async fn pipeline_runs(query: PipelineRunQuery) -> ApiResult<Page<PipelineRunRow>> {
    get_json(&with_query("/api/v1/pipelines/runs", &query)).await
}

/// One attempt (`<provider>:<id>`) with its jobs and steps.
pub async fn pipeline_run(id: String) -> ApiResult<PipelineRunDetail> {
    get_json(&format!("/api/v1/pipelines/runs/{}", encode_component(&id))).await
}

pub async fn workflows(query: PipelineWindowParams) -> ApiResult<WorkflowsReport> {
    get_json(&with_query("/api/v1/pipelines/workflows", &query)).await
}

pub async fn workflow_trend(query: PipelineWindowParams) -> ApiResult<WorkflowTrend> {
    get_json(&with_query("/api/v1/pipelines/workflows/trend", &query)).await
}

pub async fn value_stream(query: ValueStreamParams) -> ApiResult<ValueStreamReport> {
    get_json(&with_query("/api/v1/metrics/value-stream", &query)).await
}

/// A pull request's journey.
pub async fn journey(owner: String, name: String, number: String) -> ApiResult<Journey> {
    get_json(&format!(
        "/api/v1/pull-requests/{}/{}/{}/journey",
        encode_component(&owner),
        encode_component(&name),
        encode_component(&number)
    ))
    .await
}

/// The address of a pull request's journey page (`repo` is `owner/name`).
pub fn journey_href(repo: &str, number: &str) -> String {
    let (owner, name) = repo.split_once('/').unwrap_or((repo, ""));
    format!(
        "/pull-requests/{}/{}/{}",
        encode_component(owner),
        encode_component(name),
        encode_component(number)
    )
}

pub async fn flaky_jobs(query: PipelineWindowParams) -> ApiResult<FlakyReport> {
    get_json(&with_query("/api/v1/pipelines/flaky-jobs", &query)).await
}

pub async fn services() -> ApiResult<Vec<ServiceRow>> {
    get_json("/api/v1/services").await
}

pub async fn teams() -> ApiResult<Vec<TeamRow>> {
    get_json("/api/v1/teams").await
}

/// API tokens (admins only).
pub async fn tokens() -> ApiResult<Vec<ApiTokenRow>> {
    get_json("/api/v1/tokens").await
}

pub async fn create_token(new: NewApiToken) -> ApiResult<CreatedApiToken> {
    send(
        unsafe_request(Request::post("/api/v1/tokens"))
            .await
            .json(&new),
    )
    .await
}

pub async fn revoke_token(id: String) -> ApiResult<ApiTokenRow> {
    send(
        unsafe_request(Request::delete(&format!(
            "/api/v1/tokens/{}",
            encode_component(&id)
        )))
        .await
        .build(),
    )
    .await
}

/// The audit log (admins only), newest first.
pub async fn audit(query: AuditQuery) -> ApiResult<Page<AuditRow>> {
    get_json(&with_query("/api/v1/audit", &query)).await
}

/// Each webhook source's set-up and health (admins only).
pub async fn sources() -> ApiResult<Vec<SourceSummary>> {
    get_json("/api/v1/sources").await
}

/// The GitHub source's mapping rules, as configured (admins only).
pub async fn github_rules() -> ApiResult<MappingRules> {
    get_json("/api/v1/sources/github/rules").await
}

/// Where each repository's history backfill stands, by phase (admins only).
pub async fn backfill() -> ApiResult<Vec<BackfillPhase>> {
    get_json("/api/v1/backfill").await
}

/// Each configured git mirror's last sync, commits and error (admins only).
pub async fn git_mirrors() -> ApiResult<Vec<MirrorSummary>> {
    get_json("/api/v1/git-mirrors").await
}

/// Whether a backfill or a mirror sync can start, and the latest tasks (admins only).
pub async fn source_tasks() -> ApiResult<SourceTasks> {
    get_json("/api/v1/source-tasks").await
}

/// Queues a GitHub history backfill (admins only).
pub async fn start_backfill(request: BackfillRequest) -> ApiResult<SourceTask> {
    send(
        unsafe_request(Request::post("/api/v1/backfill"))
            .await
            .json(&request),
    )
    .await
}

/// Queues a sync of the git mirrors (admins only).
pub async fn start_sync(request: SyncRequest) -> ApiResult<SourceTask> {
    send(
        unsafe_request(Request::post("/api/v1/git-mirrors/sync"))
            .await
            .json(&request),
    )
    .await
}

/// The kept deliveries, newest first (admins only).
pub async fn deliveries(query: DeliveryQuery) -> ApiResult<Page<DeliveryRow>> {
    get_json(&with_query("/api/v1/deliveries", &query)).await
}

/// One delivery with its payload, secrets redacted (admins only).
pub async fn delivery(id: i64) -> ApiResult<DeliveryDetail> {
    get_json(&format!("/api/v1/deliveries/{id}")).await
}

/// Derives a source's events (`delivery`: those one delivery touches) again under the
/// current rules (admins only).
pub async fn replay(source: String, delivery: Option<i64>) -> ApiResult<ReplaySummary> {
    let path = match delivery {
        Some(id) => format!("/api/v1/deliveries/{id}/replay"),
        None => format!("/api/v1/sources/{}/replay", encode_component(&source)),
    };
    send(unsafe_request(Request::post(&path)).await.build()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_encode_and_skip_empty_values() {
        let q = Query::new()
            .set("from", "2024-03-04T00:00:00+09:00")
            .set("team", "")
            .set("service", "a b");
        assert_eq!(
            q.encode(),
            "?from=2024-03-04T00%3A00%3A00%2B09%3A00&service=a%20b"
        );
        assert_eq!(Query::new().encode(), "");
    }

    #[test]
    fn url_values_read_as_the_api_reads_them() {
        use nagare_core::events::EnvironmentTier;
        assert_eq!(param::<EnvironmentTier>("environment_tier", ""), Ok(None));
        assert_eq!(
            param("environment_tier", "staging"),
            Ok(Some(EnvironmentTier::Staging))
        );
        let e = param::<EnvironmentTier>("environment_tier", "prod").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("environment_tier"));
        assert!(e
            .message
            .starts_with("`environment_tier`: `prod` is not an environment tier"));
        let e = param::<nagare_core::Timestamp>("from", "2024-05-01T10:00:00").unwrap_err();
        assert!(e.message.contains("has no zone"), "{}", e.message);
    }

    #[test]
    fn sign_in_returns_to_the_same_path_and_query() {
        assert_eq!(
            login_redirect("/auth/login", "/incidents?status=open&page=2"),
            "/auth/login?return_to=%2Fincidents%3Fstatus%3Dopen%26page%3D2"
        );
        assert_eq!(
            login_redirect("/auth/login?x=1", "/"),
            "/auth/login?x=1&return_to=%2F"
        );
    }
}
