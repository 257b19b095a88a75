//! Runs started from the portal: the targets and their forms, the runs, their logs, and the
//! approvals queue (`/api/v1/triggers`, `/api/v1/runs`, `/api/v1/approvals`).

use super::{encode_component, get_json, send, unsafe_request, with_query, ApiResult};
use gloo_net::http::Request;
use nagare_core::api::{
    ApprovalAnswer, Decision, Page, PortalRun, PortalRunList, RerunRequest, RunLog, RunRequest,
    TriggerList, TriggerTarget,
};
use nagare_core::query::{PortalRunQuery, RunLogQuery, TargetQuery, TriggerQuery};

/// The targets the caller may see (of one service when `service` is set).
pub async fn triggers(query: TriggerQuery) -> ApiResult<TriggerList> {
    get_json(&with_query("/api/v1/triggers", &query)).await
}

/// One target, its form read at `ref` (GitHub) or its default ref.
pub async fn trigger(name: String, query: TargetQuery) -> ApiResult<TriggerTarget> {
    get_json(&with_query(
        &format!("/api/v1/triggers/{}", encode_component(&name)),
        &query,
    ))
    .await
}

/// Starts a run of `target` (or asks for its approval).
pub async fn start_run(target: String, request: RunRequest) -> ApiResult<PortalRun> {
    let path = format!("/api/v1/triggers/{}/runs", encode_component(&target));
    send(unsafe_request(Request::post(&path)).await.json(&request)).await
}

/// Runs started from the portal, newest first, as a page of the list components.
pub async fn portal_runs(query: PortalRunQuery) -> ApiResult<Page<PortalRun>> {
    let list: PortalRunList = get_json(&with_query("/api/v1/runs", &query)).await?;
    Ok(as_page(list))
}

fn as_page(list: PortalRunList) -> Page<PortalRun> {
    Page {
        items: list.items,
        total: list.total,
        page: list.page,
        per_page: list.per_page,
    }
}

pub async fn portal_run(id: String) -> ApiResult<PortalRun> {
    get_json(&run_path(&id, "")).await
}

/// The run's output after chunk `after`, as JSON.
pub async fn run_log(id: String, after: u64) -> ApiResult<RunLog> {
    let query = RunLogQuery {
        after: (after > 0).then_some(after),
    };
    get_json(&with_query(&run_path(&id, "/log"), &query)).await
}

/// The address of the run's live log (Server-Sent Events).
pub fn run_log_stream_url(id: &str) -> String {
    run_path(id, "/log")
}

fn run_path(id: &str, rest: &str) -> String {
    format!("/api/v1/runs/{}{rest}", encode_component(id))
}

pub async fn cancel_run(id: String) -> ApiResult<PortalRun> {
    let body = serde_json::json!({});
    send(
        unsafe_request(Request::post(&run_path(&id, "/cancel")))
            .await
            .json(&body),
    )
    .await
}

/// Runs it again (`failed_only`: its failed jobs); the new run.
pub async fn rerun(id: String, failed_only: bool) -> ApiResult<PortalRun> {
    send(
        unsafe_request(Request::post(&run_path(&id, "/rerun")))
            .await
            .json(&RerunRequest { failed_only }),
    )
    .await
}

/// The requests the caller may approve, oldest first.
pub async fn approvals() -> ApiResult<Page<PortalRun>> {
    let list: PortalRunList = get_json("/api/v1/approvals").await?;
    Ok(as_page(list))
}

/// Approves or rejects a request, with an optional comment.
pub async fn answer(id: String, decision: Decision, comment: String) -> ApiResult<PortalRun> {
    let path = format!(
        "/api/v1/approvals/{}/{}",
        encode_component(&id),
        decision.as_str()
    );
    let comment = Some(comment.trim().to_owned()).filter(|c| !c.is_empty());
    send(
        unsafe_request(Request::post(&path))
            .await
            .json(&ApprovalAnswer { comment }),
    )
    .await
}
