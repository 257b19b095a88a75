//! `/runs/new/{target}`: a target's form, generated from its inputs (read at `?ref=` for a
//! GitHub workflow), with a ref for provider targets, a reason, and a summary of exactly what
//! will happen. Sent, it opens the new run; an input the API refuses shows its message at
//! that input.

use super::inputs::{
    error_field, preview_command, request_inputs, shell_quote, FieldValue, InputControl,
};
use super::{environment_badge, kind_badge, portal_run_href, service_href, some};
use crate::api::{self, ApiError};
use crate::components::access::Forbidden;
use crate::components::filters::use_query_updater;
use crate::components::states::{EmptyState, ErrorState, TableSkeleton};
use crate::format;
use crate::strings;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use leptos_router::NavigateOptions;
use nagare_core::api::{Role, RunRequest, TargetKind, TriggerTarget, Verb};
use nagare_core::query::TargetQuery;
use std::collections::BTreeMap;

#[component]
pub fn RunForm() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let name = Memo::new(move |_| params.get().get("target").unwrap_or_default());
    let git_ref = Memo::new(move |_| query.get().get("ref").unwrap_or_default());
    let target = LocalResource::new(move || {
        api::trigger(
            name.get(),
            TargetQuery {
                git_ref: some(git_ref.get()),
            },
        )
    });
    // Kept across a re-read of the form at another ref.
    let reason = RwSignal::new(String::new());
    view! {
        <div class="page run-form-page">
            <p class="crumbs">
                <a href="/runs" data-test="back-to-portal-runs">{strings::BACK_TO_PORTAL_RUNS}</a>
            </p>
            {move || match target.get() {
                None => view! { <TableSkeleton columns=3 /> }.into_any(),
                Some(Err(e)) if e.status == Some(404) => view! {
                    <EmptyState title=strings::TARGET_NOT_FOUND hint=strings::TARGET_NOT_FOUND_HINT />
                }
                .into_any(),
                Some(Err(e)) if e.is_forbidden() => {
                    view! { <Forbidden required=e.required_role.unwrap_or(Role::Engineer) /> }.into_any()
                }
                Some(Err(e)) => view! {
                    <ErrorState what=strings::WHAT_TARGET error=e on_retry=move || target.refetch() />
                }
                .into_any(),
                Some(Ok(t)) => view! { <TargetForm t reason /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn TargetForm(t: TriggerTarget, reason: RwSignal<String>) -> impl IntoView {
    let fields: Vec<FieldValue> = t.inputs.iter().cloned().map(FieldValue::new).collect();
    let provider = t.kind != TargetKind::Runbook;
    let start_ref = t
        .inputs_ref
        .clone()
        .or_else(|| t.default_ref.clone())
        .unwrap_or_default();
    let git_ref = RwSignal::new(start_ref.clone());
    let error = RwSignal::new(None::<ApiError>);
    let pending = RwSignal::new(false);
    let can_run = t.verbs.contains(&Verb::Trigger);
    let sendable = t.inputs_error.is_none();
    let navigate = use_navigate();
    let update = use_query_updater();

    let submit = {
        let fields = fields.clone();
        let name = t.name.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            if pending.get_untracked() || !sendable {
                return;
            }
            let request = RunRequest {
                inputs: request_inputs(&fields),
                git_ref: provider.then(|| git_ref.get_untracked()).and_then(some),
                reason: some(reason.get_untracked()),
                variables: BTreeMap::new(),
            };
            pending.set(true);
            error.set(None);
            let navigate = navigate.clone();
            let name = name.clone();
            spawn_local(async move {
                match api::start_run(name, request).await {
                    Ok(run) => {
                        reason.set(String::new());
                        navigate(&portal_run_href(&run.id), NavigateOptions::default());
                    }
                    Err(e) => {
                        error.set(Some(e));
                        pending.set(false);
                    }
                }
            });
        }
    };
    // A GitHub workflow's form is read at the ref: a new ref reads it again (`?ref=`).
    let reread = t.kind == TargetKind::GithubWorkflow;
    let on_ref = move |v: String| {
        git_ref.set(v.clone());
        if reread {
            update(vec![("ref", some(v))]);
        }
    };
    let field_names: Vec<String> = t.inputs.iter().map(|f| error_field(&f.name)).collect();
    // An error that names no field of the form shows under it.
    let general_error = Memo::new(move |_| {
        error.get().filter(|e| match e.field.as_deref() {
            Some(f) => f != "ref" && f != "reason" && !field_names.iter().any(|n| n == f),
            None => true,
        })
    });
    let field_error = move |name: &'static str| {
        move || {
            error
                .get()
                .filter(|e| e.field.as_deref() == Some(name))
                .map(|e| e.message)
        }
    };
    let submit_label = if t.approval.is_some() {
        strings::FORM_SUBMIT_APPROVAL
    } else {
        strings::FORM_SUBMIT
    };
    let ref_hint = if reread {
        strings::FORM_REF_HINT_GITHUB
    } else {
        strings::FORM_REF_HINT_GITLAB
    };
    let inputs_note = match (&t.inputs_error, &t.inputs_from) {
        (Some(e), _) => Some(
            view! {
                <div class="form-error" role="alert" data-test="inputs-error">
                    <p>{strings::inputs_error(&start_ref, e)}</p>
                    <p><strong>{strings::FORM_CANNOT_SEND}</strong></p>
                </div>
            }
            .into_any(),
        ),
        (None, Some(from)) if reread => Some(
            view! { <p class="muted small" data-test="inputs-from">{strings::inputs_from(from, &start_ref)}</p> }
                .into_any(),
        ),
        _ => None,
    };
    let inputs_view = if !sendable {
        ().into_any()
    } else if fields.is_empty() {
        view! { <p class="muted">{strings::FORM_NO_INPUTS}</p> }.into_any()
    } else {
        fields
            .iter()
            .cloned()
            .map(|f| view! { <InputControl f error /> })
            .collect_view()
            .into_any()
    };
    let header = view! {
        <header class="page-head">
            <div>
                <h1 data-test="form-title">{strings::form_title(&t.title)}</h1>
                <p class="badges">
                    {kind_badge(t.kind)}
                    {environment_badge(t.environment.clone(), t.tier)}
                    <a href=service_href(&t.service) data-test="service-link">{t.service.clone()}</a>
                </p>
                <p class="muted">{t.description.clone()}</p>
            </div>
        </header>
    };
    if !can_run {
        return view! {
            {header}
            <div class="state state-forbidden" role="alert" data-test="cannot-trigger">
                <p class="state-title">{strings::FORM_NOT_ALLOWED}</p>
                <p class="state-detail">{strings::FORM_NOT_ALLOWED_HINT}</p>
            </div>
            <Summary t=t.clone() fields git_ref />
        }
        .into_any();
    }
    view! {
        {header}
        <div class="form-layout">
            <form class="panel run-form" data-test="run-form" on:submit=submit>
                {provider.then(|| view! {
                    <div class="field">
                        <label for="run-ref"><span class="filter-label">{strings::FORM_REF}</span></label>
                        <input
                            id="run-ref"
                            type="text"
                            data-test="run-ref"
                            autocomplete="off"
                            spellcheck="false"
                            aria-describedby="run-ref-help run-ref-error"
                            aria-invalid=move || field_error("ref")().map(|_| "true")
                            prop:value=move || git_ref.get()
                            on:change=move |ev| on_ref(event_target_value(&ev))
                        />
                        <span class="muted small" id="run-ref-help">{ref_hint}</span>
                        <span class="form-error field-error" id="run-ref-error" role="alert">{field_error("ref")}</span>
                    </div>
                })}
                {inputs_note}
                <fieldset class="run-inputs" disabled=!sendable>
                    <legend class="visually-hidden">{strings::FORM_INPUTS}</legend>
                    {inputs_view}
                </fieldset>
                <div class="field">
                    <label for="run-reason"><span class="filter-label">{strings::FORM_REASON}</span></label>
                    <textarea
                        id="run-reason"
                        data-test="run-reason"
                        rows="2"
                        maxlength="500"
                        aria-describedby="run-reason-help"
                        prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev))
                    ></textarea>
                    <span class="muted small" id="run-reason-help">{strings::FORM_REASON_HINT}</span>
                    <span class="form-error field-error" role="alert">{field_error("reason")}</span>
                </div>
                <div class="form-actions">
                    <button
                        type="submit"
                        class="button button-primary"
                        data-test="run-submit"
                        disabled=move || pending.get() || !sendable
                    >
                        {move || if pending.get() { strings::FORM_SENDING } else { submit_label }}
                    </button>
                    {move || general_error.get().map(|e| view! {
                        <p class="form-error" role="alert" data-test="form-error">{e.message}</p>
                    })}
                </div>
            </form>
            <Summary t=t.clone() fields git_ref />
        </div>
    }
    .into_any()
}

/// What sending the form does: the command with the values typed so far (runbooks), what the
/// provider is asked, the timeout, and who must approve it first.
#[component]
fn Summary(t: TriggerTarget, fields: Vec<FieldValue>, git_ref: RwSignal<String>) -> impl IntoView {
    let what = match (t.kind, t.command.clone()) {
        (TargetKind::Runbook, Some(template)) => {
            let command = move || {
                let values: BTreeMap<String, String> = fields
                    .iter()
                    .map(|f| (f.field.name.clone(), f.value.get()))
                    .collect();
                preview_command(&template, &values)
                    .iter()
                    .map(|a| shell_quote(a))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            view! {
                <p>{strings::SUMMARY_RUNBOOK}</p>
                <pre class="codeblock command" data-test="summary-command"><code>{command}</code></pre>
            }
            .into_any()
        }
        (TargetKind::GithubWorkflow, _) => {
            let workflow = t.workflow.clone().unwrap_or_default();
            let repo = t.repository.clone().unwrap_or_default();
            (move || strings::summary_github(&workflow, &repo, &git_ref.get())).into_any()
        }
        (TargetKind::GitlabPipeline, _) => {
            let repo = t.repository.clone().unwrap_or_default();
            (move || strings::summary_gitlab(&repo, &git_ref.get())).into_any()
        }
        (TargetKind::Runbook, None) => ().into_any(),
    };
    let approval = match &t.approval {
        Some(a) => strings::summary_approval(
            a.mode,
            &a.group,
            &a.approvers.join(", "),
            format::duration(a.expires_after_secs as f64),
        ),
        None if t.kind == TargetKind::Runbook => strings::SUMMARY_NOW.to_owned(),
        None => strings::SUMMARY_NOW_PROVIDER.to_owned(),
    };
    let waits = t.approval.is_some();
    view! {
        <aside class="panel run-summary" data-test="run-summary" aria-labelledby="summary-heading">
            <h2 id="summary-heading">{strings::SUMMARY}</h2>
            {what}
            <p data-test="summary-approval" class:summary-approval=waits>
                {waits.then(|| view! { <span aria-hidden="true">"‖ "</span> })}
                {approval}
            </p>
            {t.timeout_secs.map(|s| view! { <p class="muted small">{strings::summary_timeout(s)}</p> })}
        </aside>
    }
}
