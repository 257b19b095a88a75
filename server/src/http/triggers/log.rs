//! `GET /api/v1/runs/{id}/log`: a run's output as JSON, or live as Server-Sent Events read
//! from the store (so any replica serves any run's log).

use super::super::query::Query;
use super::{not_found, owners, shown};
use crate::auth::ReadScope;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::triggers::requests;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use nagare_core::api::{ErrorBody, RunLog, RunStatus};
use nagare_core::query::RunLogQuery;
use std::time::Duration;

#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}/log",
    tag = "triggers",
    summary = "A run's output: JSON, or live as Server-Sent Events",
    description = "As JSON: the chunks after `after`. With `Accept: text/event-stream`: every chunk after `after` (or `Last-Event-ID`) as an event `chunk` (its id the chunk's `seq`), then each new one as it is stored (whichever replica runs it), `status` events when the run's state changes, and `end` once it has ended and every chunk was sent.",
    params(("id" = String, Path, description = "The run's id"), RunLogQuery),
    responses(
        (status = 200, description = "The chunks", body = RunLog, content_type = "application/json"),
        (status = 404, description = "No such run", body = ErrorBody),
    )
)]
pub(super) async fn run_log(
    State(state): State<AppState>,
    scope: ReadScope,
    Path(id): Path<String>,
    Query(q): Query<RunLogQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let owners = owners(&state).await?;
    let stored = requests::load(&state, &id).await?;
    let Some(run) = shown(&state, &scope, &owners, stored.run).await? else {
        return Err(not_found("run", &id));
    };
    let wants_stream = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/event-stream"));
    let last_event = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let after = last_event.or(q.after).unwrap_or(0);
    if wants_stream {
        return Ok(stream(state, id, after).into_response());
    }
    let chunks = state.store.run_log(&id, after, 1000).await?;
    let last = chunks.last().map_or(after, |c| c.seq);
    Ok(Json(RunLog {
        done: run.status.is_final() && last >= run.log.last_seq,
        status: run.status,
        summary: run.log,
        chunks,
    })
    .into_response())
}

/// How often a live log looks for new chunks in the store.
const LOG_POLL: Duration = Duration::from_millis(250);

fn stream(
    state: AppState,
    id: String,
    after: u64,
) -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
    struct Cursor {
        state: AppState,
        id: String,
        after: u64,
        status: Option<RunStatus>,
        pending: std::collections::VecDeque<Event>,
        ended: bool,
    }
    let cursor = Cursor {
        state,
        id,
        after,
        status: None,
        pending: Default::default(),
        ended: false,
    };
    let events = futures_util::stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(e) = c.pending.pop_front() {
                return Some((Ok(e), c));
            }
            if c.ended {
                return None;
            }
            let run = match c.state.store.portal_run(&c.id).await {
                Ok(Some(r)) => r.run,
                _ => return None,
            };
            let chunks = c
                .state
                .store
                .run_log(&c.id, c.after, 500)
                .await
                .unwrap_or_default();
            for ch in &chunks {
                c.after = ch.seq;
                c.pending.push_back(
                    Event::default()
                        .id(ch.seq.to_string())
                        .event("chunk")
                        .json_data(ch)
                        .unwrap_or_default(),
                );
            }
            if c.status != Some(run.status) {
                c.status = Some(run.status);
                c.pending
                    .push_back(Event::default().event("status").data(run.status.as_str()));
            }
            if chunks.is_empty() && run.status.is_final() && c.after >= run.log.last_seq {
                c.pending
                    .push_back(Event::default().event("end").data(run.status.as_str()));
                c.ended = true;
                continue;
            }
            if c.pending.is_empty() {
                tokio::time::sleep(LOG_POLL).await;
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
