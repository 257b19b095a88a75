//! `/approvals` (engineers and admins): each request waiting for the user's answer, with
//! exactly what will run, and Approve / Reject with an optional comment.

use super::actions::Answer;
use super::run::command;
use super::{environment_badge, kind_badge, portal_run_href, service_href, status_badge};
use crate::api;
use crate::components::access::{Forbidden, RequireRole};
use crate::components::page::PageHead;
use crate::components::states::{EmptyState, ErrorState, TableSkeleton};
use crate::components::time::RelativeTime;
use crate::strings;
use leptos::prelude::*;
use nagare_core::api::{PortalRun, Role, RunStatus};

#[component]
pub fn Approvals() -> impl IntoView {
    view! {
        <div class="page approvals-page">
            <RequireRole role=Role::Engineer>
                <PageHead title=strings::APPROVALS_TITLE caption=strings::APPROVALS_CAPTION />
                <Queue />
            </RequireRole>
        </div>
    }
}

#[component]
fn Queue() -> impl IntoView {
    let list = LocalResource::new(api::approvals);
    // Answered here: the run as it now stands, shown in place of its request.
    let answered = RwSignal::new(Vec::<PortalRun>::new());
    let on_done = Callback::new(move |run: PortalRun| answered.update(|a| a.push(run)));
    move || match list.get() {
        None => view! { <TableSkeleton columns=3 /> }.into_any(),
        Some(Err(e)) if e.is_forbidden() => {
            view! { <Forbidden required=e.required_role.unwrap_or(Role::Engineer) /> }.into_any()
        }
        Some(Err(e)) => view! {
            <ErrorState what=strings::WHAT_APPROVALS error=e on_retry=move || list.refetch() />
        }
        .into_any(),
        Some(Ok(page)) if page.items.is_empty() => {
            view! { <EmptyState title=strings::NO_APPROVALS hint=strings::NO_APPROVALS_HINT /> }
                .into_any()
        }
        Some(Ok(page)) => view! {
            <div class="approval-list">
                {page
                    .items
                    .into_iter()
                    .map(|run| {
                        let id = run.id.clone();
                        let done = Memo::new(move |_| {
                            answered.with(|a| a.iter().find(|r| r.id == id).cloned())
                        });
                        view! { <Request run done on_done /> }
                    })
                    .collect_view()}
            </div>
        }
        .into_any(),
    }
}

/// One request: what, where, who and why, exactly what will run, and the answer buttons (or,
/// once answered, where the run stands).
#[component]
fn Request(
    run: PortalRun,
    done: Memo<Option<PortalRun>>,
    on_done: Callback<PortalRun>,
) -> impl IntoView {
    let requester = if run.requested_by_name.trim().is_empty() {
        run.requested_by.clone()
    } else {
        run.requested_by_name.clone()
    };
    let expires = run.approval.as_ref().map(|a| a.expires_at);
    let href = portal_run_href(&run.id);
    let inputs = if run.inputs.is_empty() {
        view! { <p class="muted">{strings::NO_INPUTS}</p> }.into_any()
    } else {
        view! {
            <dl class="facts" data-test="approval-inputs">
                {run
                    .inputs
                    .iter()
                    .map(|(k, v)| view! {
                        <dt class="mono">{k.clone()}</dt>
                        <dd class="mono" data-input=k.clone()>{v.clone()}</dd>
                    })
                    .collect_view()}
            </dl>
        }
        .into_any()
    };
    let answer_id = run.id.clone();
    let outcome = {
        let href = href.clone();
        move || {
            done.get().map(|r| {
                let text = if r.status == RunStatus::Rejected {
                    strings::REJECTED_DONE
                } else {
                    strings::APPROVED_DONE
                };
                view! {
                    <p class="notice" role="status" data-test="approval-done">
                        {status_badge(r.status, None)}
                        " "
                        {text}
                        " "
                        <a href=href.clone() data-test="approval-open-run">{strings::OPEN_RUN}</a>
                    </p>
                }
            })
        }
    };
    view! {
        <article class="panel approval-card" data-test="approval-card" data-run=run.id.clone() data-target=run.target.clone()>
            <header class="approval-head">
                <h2>
                    <a href=href.clone() data-test="approval-title">{run.title.clone()}</a>
                </h2>
                <p class="badges">
                    {status_badge(run.status, None)}
                    {kind_badge(run.kind)}
                    {environment_badge(run.environment.clone(), run.tier)}
                </p>
            </header>
            <dl class="facts">
                <dt>{strings::F_RUN_SERVICE}</dt>
                <dd><a href=service_href(&run.service)>{run.service.clone()}</a></dd>
                {run.environment.clone().map(|e| view! { <dt>{strings::F_ENVIRONMENT}</dt><dd>{e}</dd> })}
                {run.git_ref.clone().map(|r| view! { <dt>{strings::F_REF}</dt><dd class="mono">{r}</dd> })}
                // A GitHub workflow's approval approves this commit; a moved ref is not run.
                {run.sha.clone().map(|s| view! { <dt>{strings::F_SHA}</dt><dd class="mono" data-test="approval-sha" title=s.clone()>{crate::format::short_sha(&s)}</dd> })}
                <dt>{strings::F_REQUESTED_BY}</dt>
                <dd data-test="approval-requester" title=run.requested_by.clone()>{requester}</dd>
                <dt>{strings::F_REQUESTED_AT}</dt>
                <dd><RelativeTime at=run.requested_at /></dd>
                <dt>{strings::F_REASON}</dt>
                <dd data-test="approval-reason">{run.reason.clone().unwrap_or_else(|| "—".to_owned())}</dd>
                {expires.map(|at| view! {
                    <dt>{strings::APPROVAL_EXPIRES}</dt>
                    <dd data-test="approval-expires"><RelativeTime at /></dd>
                })}
            </dl>
            <h3>{strings::INPUTS_HEADING}</h3>
            {inputs}
            <div data-test="approval-command">{command(&run)}</div>
            {outcome}
            {move || done.get().is_none().then(|| view! { <Answer id=answer_id.clone() on_done /> })}
        </article>
    }
}
