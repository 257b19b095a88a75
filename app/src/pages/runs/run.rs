//! `/runs/{id}`: one run started from the portal: its status in words, what was asked and by
//! whom, exactly what ran, its approval, how it ended, what the user may do with it, and its
//! log, live while it runs.

use super::actions::{ApprovePanel, RunActions};
use super::approval::ApprovalFacts;
use super::inputs::shell_quote;
use super::list::duration_text;
use super::log::LiveLog;
use super::{
    environment_badge, form_href, kind_badge, portal_run_href, service_href, status_badge,
};
use crate::api;
use crate::components::states::{EmptyState, ErrorState, TableSkeleton};
use crate::components::time::RelativeTime;
use crate::format;
use crate::session::Session;
use crate::strings;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use nagare_core::api::{PortalRun, RunStatus, TargetKind, Verb};
use nagare_core::Timestamp;

/// GitHub re-runs a run only this long after its start.
const GITHUB_RERUN_DAYS: i64 = 30;

#[component]
pub fn PortalRunPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.get().get("id").unwrap_or_default());
    view! {
        <div class="page run-page">
            <p class="crumbs">
                <a href="/runs" data-test="back-to-portal-runs">{strings::BACK_TO_PORTAL_RUNS}</a>
            </p>
            // Another run (a re-run opened from here) is a page of its own.
            {move || {
                let id = id.get();
                view! { <RunBody id /> }
            }}
        </div>
    }
}

#[component]
fn RunBody(id: String) -> impl IntoView {
    let run = {
        let id = id.clone();
        LocalResource::new(move || api::portal_run(id.clone()))
    };
    let on_change = Callback::new(move |_| run.refetch());
    let loaded = Memo::new(move |_| run.get().and_then(Result::ok));
    let status = Signal::derive(move || loaded.get().map(|r| r.status));
    let summary = Signal::derive(move || loaded.get().map(|r| r.log));
    // Whether the run had ended when it first loaded decides how its log is read, once.
    let ended = RwSignal::new(None::<bool>);
    let provider =
        Signal::derive(move || loaded.get().is_some_and(|r| r.kind != TargetKind::Runbook));
    Effect::new(move |_| {
        if ended.get_untracked().is_none() {
            if let Some(s) = status.get() {
                ended.set(Some(s.is_final()));
            }
        }
    });
    let body = move || {
        match run.get() {
        None => view! { <TableSkeleton columns=4 /> }.into_any(),
        Some(Err(e)) if e.status == Some(404) => view! {
            <EmptyState title=strings::PORTAL_RUN_NOT_FOUND hint=strings::PORTAL_RUN_NOT_FOUND_HINT />
        }
        .into_any(),
        Some(Err(e)) => view! {
            <ErrorState what=strings::WHAT_PORTAL_RUN error=e on_retry=move || run.refetch() />
        }
        .into_any(),
        Some(Ok(r)) => view! { <Detail r on_change /> }.into_any(),
    }
    };
    view! {
        {body}
        {move || ended.get().map(|ended| {
            let id = id.clone();
            view! { <LiveLog id ended provider status summary on_change /> }
        })}
    }
}

#[component]
fn Detail(r: PortalRun, on_change: Callback<()>) -> impl IntoView {
    let session = Session::from_context();
    let own = {
        let requester = r.requested_by.clone();
        move || session.info().is_some_and(|i| i.user == requester)
    };
    let own_note = (r.status == RunStatus::AwaitingApproval && !r.verbs.contains(&Verb::Approve))
        .then_some(move || {
            own().then(|| {
                view! {
                    <p class="notice" role="note" data-test="own-request">{strings::OWN_REQUEST}</p>
                }
            })
        });
    let provider = r.provider_url.clone().map(|url| {
        view! {
            <p data-test="provider-link">
                <a href=url class="external" rel="external">{strings::PROVIDER_LINK}" ↗"</a>
                <span class="muted">" — "{strings::PROVIDER_LIVE}</span>
            </p>
        }
    });
    // A GitHub run's attempts and jobs, as the pipelines pages hold them (its first attempt's
    // page shows every attempt).
    let timeline = (r.kind == TargetKind::GithubWorkflow)
        .then_some(r.provider_run_id.clone())
        .flatten()
        .map(|run| {
            let href = crate::pages::pipelines::run_href(&format!("github:{run}-1"));
            view! {
                <p>
                    <a href=href data-test="provider-timeline">{strings::PROVIDER_TIMELINE}</a>
                </p>
            }
        });
    let guessed = r.provider_run_guessed.then(|| {
        view! { <p class="notice" role="note" data-test="provider-guessed">{strings::PROVIDER_GUESSED}</p> }
    });
    let rerun_note = github_rerun_note(&r, session);
    let approval = r
        .approval
        .clone()
        .map(|a| view! { <ApprovalFacts a status=r.status /> });
    view! {
        <header class="page-head">
            <div>
                <h1 data-test="run-title">{r.title.clone()}</h1>
                <p class="badges run-head">
                    {status_badge(r.status, Some("run-status"))}
                    {kind_badge(r.kind)}
                    {environment_badge(r.environment.clone(), r.tier)}
                    <span class="muted small mono" title=r.id.clone()>{r.id.clone()}</span>
                </p>
            </div>
            <RunActions run=r.clone() on_changed=on_change />
        </header>
        {own_note}
        <ApprovePanel run=r.clone() on_changed=on_change />
        <div class="run-grid">
            <section class="panel" aria-label=strings::F_TARGET>
                <dl class="facts" data-test="run-facts">{facts(&r)}</dl>
                {provider}
                {timeline}
                {guessed}
                {rerun_note}
            </section>
            <section class="panel" data-test="run-inputs" aria-labelledby="inputs-heading">
                <h2 id="inputs-heading">{strings::INPUTS_HEADING}</h2>
                {inputs(&r)}
                {command(&r)}
            </section>
        </div>
        {approval}
    }
}

fn time(t: Option<Timestamp>) -> AnyView {
    match t {
        Some(t) => view! { <RelativeTime at=t /> }.into_any(),
        None => view! { <span class="muted">{strings::NOT_YET}</span> }.into_any(),
    }
}

/// Who asked for what, when, and how it ended.
fn facts(r: &PortalRun) -> impl IntoView {
    let requester = if r.requested_by_name.trim().is_empty() {
        r.requested_by.clone()
    } else {
        format!(
            "{} ({})",
            r.requested_by_name,
            r.requested_by_email
                .clone()
                .unwrap_or_else(|| r.requested_by.clone())
        )
    };
    let optional = |label: &'static str, test: &'static str, value: Option<String>| {
        value.map(|v| view! { <dt>{label}</dt><dd data-test=test>{v}</dd> })
    };
    let error = r.error.clone().map(|e| {
        view! { <dt>{strings::F_ERROR}</dt><dd class="form-error" data-test="run-error">{e}</dd> }
    });
    let rerun_of = r.rerun_of.clone().map(|id| {
        let only = r.rerun_failed_only.then_some(strings::RERUN_FAILED_ONLY);
        view! {
            <dt>{strings::F_RERUN_OF}</dt>
            <dd><a href=portal_run_href(&id) class="mono">{id.clone()}</a>" "{only}</dd>
        }
    });
    view! {
        <dt>{strings::F_TARGET}</dt>
        <dd>
            <a href=form_href(&r.target) class="mono" data-test="run-target">{r.target.clone()}</a>
        </dd>
        <dt>{strings::F_RUN_SERVICE}</dt>
        <dd><a href=service_href(&r.service) data-test="service-link">{r.service.clone()}</a></dd>
        {r.environment.clone().map(|e| view! { <dt>{strings::F_ENVIRONMENT}</dt><dd>{e}</dd> })}
        <dt>{strings::F_REQUESTED_BY}</dt>
        <dd data-test="run-requested-by">{requester}</dd>
        <dt>{strings::F_REQUESTED_AT}</dt>
        <dd><RelativeTime at=r.requested_at /></dd>
        {optional(strings::F_REASON, "run-reason", r.reason.clone())}
        {optional(strings::F_REF, "run-ref", r.git_ref.clone())}
        {optional(strings::F_SHA, "run-sha", r.sha.as_deref().map(format::short_sha))}
        <dt>{strings::F_STARTED}</dt>
        <dd>{time(r.started_at)}</dd>
        <dt>{strings::F_FINISHED}</dt>
        <dd>{time(r.finished_at)}</dd>
        <dt>{strings::F_DURATION}</dt>
        <dd data-test="run-duration">{duration_text(r)}</dd>
        {optional(strings::F_EXIT_CODE, "run-exit-code", r.exit_code.map(|c| c.to_string()))}
        {optional(strings::F_SIGNAL, "run-signal", r.signal.map(strings::signal_label))}
        {optional(strings::F_CANCELLED_BY, "run-cancelled-by", r.cancelled_by.clone())}
        {error}
        {rerun_of}
    }
}

/// The inputs as validated, then GitLab's variables.
fn inputs(r: &PortalRun) -> impl IntoView {
    let list = |map: &std::collections::BTreeMap<String, String>, test: &'static str| {
        view! {
            <dl class="facts" data-test=test>
                {map
                    .iter()
                    .map(|(k, v)| view! {
                        <dt class="mono">{k.clone()}</dt>
                        <dd class="mono" data-input=k.clone()>{v.clone()}</dd>
                    })
                    .collect_view()}
            </dl>
        }
    };
    let inputs = if r.inputs.is_empty() {
        view! { <p class="muted">{strings::NO_INPUTS}</p> }.into_any()
    } else {
        list(&r.inputs, "run-input-list").into_any()
    };
    let variables = (!r.variables.is_empty()).then(|| {
        view! { <h3>{strings::VARIABLES_HEADING}</h3>{list(&r.variables, "run-variables")} }
    });
    view! { {inputs}{variables} }
}

/// A runbook's command exactly as it runs: one argument per line, then as one shell-quoted line.
pub fn command(r: &PortalRun) -> Option<impl IntoView> {
    let argv = r.command.clone()?;
    let line = argv
        .iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ");
    Some(view! {
        <h3>{strings::COMMAND_HEADING}</h3>
        <pre class="codeblock command" data-test="run-command"><code>{line}</code></pre>
        <details class="argv-details">
            <summary class="muted small">{strings::COMMAND_NOTE}</summary>
            <ol class="argv mono small" data-test="run-argv">
                {argv.into_iter().map(|a| view! { <li>{a}</li> }).collect_view()}
            </ol>
        </details>
    })
}

/// Why a finished GitHub run shows no Re-run, in words, for a user who could otherwise.
fn github_rerun_note(r: &PortalRun, session: Session) -> Option<impl IntoView> {
    if r.kind != TargetKind::GithubWorkflow
        || r.provider_run_id.is_none()
        || !r.status.is_final()
        || r.verbs.contains(&Verb::Rerun)
    {
        return None;
    }
    let started = r.started_at.unwrap_or(r.requested_at);
    let old = format::now_millis() - started.0 > GITHUB_RERUN_DAYS * 86_400_000;
    let text = if old {
        strings::GITHUB_RERUN_DAYS
    } else {
        strings::GITHUB_RERUN_ATTEMPTS
    };
    Some(move || {
        let may_act = session
            .role()
            .is_some_and(|role| role >= nagare_core::api::Role::Engineer);
        (old || may_act)
            .then(|| view! { <p class="notice" role="note" data-test="rerun-limit">{text}</p> })
    })
}
