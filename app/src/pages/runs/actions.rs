//! What the user may do with a run, as the server's `verbs` say: cancel (after a confirm),
//! re-run, re-run the failed jobs, approve or reject with a comment.

use super::portal_run_href;
use crate::api::{self, ApiError};
use crate::strings;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;
use nagare_core::api::{Decision, PortalRun, Verb};

/// The buttons of a run's page (re-run, cancel); `on_changed` reads the run again after one.
#[component]
pub fn RunActions(run: PortalRun, on_changed: Callback<()>) -> impl IntoView {
    let verbs = run.verbs.clone();
    let has = move |v: Verb| verbs.contains(&v);
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let confirming = RwSignal::new(false);
    let navigate = use_navigate();
    let id = run.id.clone();

    let cancel = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            pending.set(true);
            error.set(None);
            spawn_local(async move {
                match api::cancel_run(id).await {
                    Ok(_) => on_changed.run(()),
                    Err(e) => {
                        error.try_set(Some(e));
                    }
                }
                pending.try_set(false);
                confirming.try_set(false);
            });
        }
    };
    let rerun = move |failed_only: bool| {
        let id = id.clone();
        let navigate = navigate.clone();
        move |_| {
            let id = id.clone();
            let navigate = navigate.clone();
            pending.set(true);
            error.set(None);
            spawn_local(async move {
                match api::rerun(id, failed_only).await {
                    Ok(new) => navigate(&portal_run_href(&new.id), NavigateOptions::default()),
                    Err(e) => {
                        error.try_set(Some(e));
                        pending.try_set(false);
                    }
                }
            });
        }
    };
    let can_cancel = has(Verb::Cancel);
    let can_rerun = has(Verb::Rerun);
    let can_rerun_failed = has(Verb::RerunFailed);
    if !(can_cancel || can_rerun || can_rerun_failed) {
        return ().into_any();
    }
    view! {
        <div class="run-actions" role="group" aria-label=strings::ACTIONS_LABEL data-test="run-actions">
            <div class="form-actions">
                {can_rerun.then(|| view! {
                    <button type="button" class="button" data-test="run-rerun"
                        disabled=move || pending.get() on:click=rerun(false)>
                        {strings::RERUN}
                    </button>
                })}
                {can_rerun_failed.then(|| view! {
                    <button type="button" class="button" data-test="run-rerun-failed"
                        disabled=move || pending.get() on:click=rerun(true)>
                        {strings::RERUN_FAILED}
                    </button>
                })}
                {can_cancel.then(|| view! {
                    <Show
                        when=move || confirming.get()
                        fallback=move || view! {
                            <button type="button" class="button button-danger" data-test="run-cancel"
                                disabled=move || pending.get() on:click=move |_| confirming.set(true)>
                                {strings::CANCEL_RUN}
                            </button>
                        }
                    >
                        <span class="confirm" role="group">
                            <span class="small">{strings::CANCEL_QUESTION}</span>
                            <button type="button" class="button button-danger" data-test="run-cancel-confirm"
                                disabled=move || pending.get() on:click=cancel.clone()>
                                {strings::CANCEL_CONFIRM}
                            </button>
                            <button type="button" class="button" on:click=move |_| confirming.set(false)>
                                {strings::CANCEL_KEEP}
                            </button>
                        </span>
                    </Show>
                })}
            </div>
            {move || error.get().map(|e| view! {
                <p class="form-error" role="alert" data-test="action-error">{e.message}</p>
            })}
        </div>
    }
    .into_any()
}

/// The approver's panel of a run's page, when the user may approve it.
#[component]
pub fn ApprovePanel(run: PortalRun, on_changed: Callback<()>) -> impl IntoView {
    run.verbs.contains(&Verb::Approve).then(|| {
        view! {
            <section class="panel" aria-labelledby="answer-heading" data-test="run-answer">
                <h2 id="answer-heading">{strings::YOUR_ANSWER}</h2>
                <Answer id=run.id.clone() on_done=Callback::new(move |_| on_changed.run(())) />
            </section>
        }
    })
}

/// Approve or reject, with an optional comment; `on_done` gets the run as it now stands.
#[component]
pub fn Answer(id: String, on_done: Callback<PortalRun>) -> impl IntoView {
    let comment = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let comment_id = format!("comment-{id}");
    let answer = move |decision: Decision| {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            pending.set(true);
            error.set(None);
            spawn_local(async move {
                match api::answer(id, decision, comment.get_untracked()).await {
                    Ok(run) => on_done.run(run),
                    Err(e) => {
                        error.try_set(Some(e));
                    }
                }
                pending.try_set(false);
            });
        }
    };
    view! {
        <div class="answer" data-test="approval-answer">
            <div class="field">
                <label for=comment_id.clone()><span class="filter-label">{strings::COMMENT}</span></label>
                <textarea
                    id=comment_id
                    rows="2"
                    maxlength="500"
                    data-test="approval-comment"
                    prop:value=move || comment.get()
                    on:input=move |ev| comment.set(event_target_value(&ev))
                ></textarea>
                <span class="muted small">{strings::COMMENT_HINT}</span>
            </div>
            <div class="form-actions">
                <button type="button" class="button button-primary" data-test="approval-approve"
                    disabled=move || pending.get() on:click=answer(Decision::Approve)>
                    <span aria-hidden="true">"✓ "</span>{strings::APPROVE}
                </button>
                <button type="button" class="button button-danger" data-test="approval-reject"
                    disabled=move || pending.get() on:click=answer(Decision::Reject)>
                    <span aria-hidden="true">"✗ "</span>{strings::REJECT}
                </button>
                {move || pending.get().then(|| view! { <span class="muted small">{strings::WORKING}</span> })}
                {move || error.get().map(|e| view! {
                    <p class="form-error" role="alert" data-test="approval-error">{e.message}</p>
                })}
            </div>
        </div>
    }
}
