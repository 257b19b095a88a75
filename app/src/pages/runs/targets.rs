//! The targets a user may see, as cards grouped by service: what each starts, where, who must
//! approve it, and a Run button when the user may start it.

use super::inputs::shell_quote;
use super::{environment_badge, form_href, kind_badge, service_href};
use crate::api::ApiResult;
use crate::components::access::Forbidden;
use crate::components::states::{EmptyState, ErrorState};
use crate::format;
use crate::strings;
use leptos::prelude::*;
use nagare_core::api::{Role, TargetKind, TriggerList, TriggerTarget, Verb};

/// The targets of `targets`, each service's in a group headed by its name (linked to its page);
/// `single_service` leaves the heading out (a service's own page).
#[component]
pub fn TargetGroups(
    targets: LocalResource<ApiResult<TriggerList>>,
    #[prop(optional)] single_service: bool,
) -> impl IntoView {
    move || match targets.get() {
        None => targets_skeleton().into_any(),
        Some(Err(e)) if e.is_forbidden() => {
            view! { <Forbidden required=e.required_role.unwrap_or(Role::Engineer) /> }.into_any()
        }
        Some(Err(e)) => view! {
            <ErrorState what=strings::WHAT_TARGETS error=e on_retry=move || targets.refetch() />
        }
        .into_any(),
        Some(Ok(list)) if list.targets.is_empty() => {
            let title = if single_service {
                strings::NO_SERVICE_TARGETS
            } else {
                strings::NO_TARGETS
            };
            view! { <EmptyState title hint=strings::NO_TARGETS_HINT /> }.into_any()
        }
        Some(Ok(list)) if single_service => view! {
            <div class="target-grid">
                {list.targets.into_iter().map(|t| view! { <TargetCard t /> }).collect_view()}
            </div>
        }
        .into_any(),
        Some(Ok(list)) => groups(list.targets).into_any(),
    }
}

/// The targets by service, services in the order their first target is configured.
fn groups(targets: Vec<TriggerTarget>) -> impl IntoView {
    let mut by_service: Vec<(String, Vec<String>, Vec<TriggerTarget>)> = Vec::new();
    for t in targets {
        match by_service.iter_mut().find(|(s, _, _)| *s == t.service) {
            Some((_, _, list)) => list.push(t),
            None => by_service.push((t.service.clone(), t.teams.clone(), vec![t])),
        }
    }
    by_service
        .into_iter()
        .map(|(service, teams, list)| {
            let teams = (!teams.is_empty()).then(|| {
                view! {
                    <span class="muted small">{strings::OWNED_BY}" "{teams.join(", ")}</span>
                }
            });
            view! {
                <section class="target-group" data-test="target-group" data-service=service.clone()>
                    <h3 class="target-group-head">
                        <a href=service_href(&service) data-test="service-link">{service.clone()}</a>
                        " "
                        {teams}
                    </h3>
                    <div class="target-grid">
                        {list.into_iter().map(|t| view! { <TargetCard t /> }).collect_view()}
                    </div>
                </section>
            }
        })
        .collect_view()
}

/// Three grey cards in the shape of the real ones.
fn targets_skeleton() -> impl IntoView {
    view! {
        <div class="target-grid" aria-busy="true" aria-label=strings::LOADING>
            {(0..3)
                .map(|_| {
                    view! {
                        <div class="target-card skeleton">
                            <div class="sk sk-title"></div>
                            <div class="sk sk-line"></div>
                            <div class="sk sk-line"></div>
                        </div>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// One target: title, kind, environment, approval, what it runs, and Run when allowed.
#[component]
pub fn TargetCard(t: TriggerTarget) -> impl IntoView {
    let can_run = t.verbs.contains(&Verb::Trigger);
    let approval = t.approval.clone().map(|a| {
        let members = a.approvers.join(", ");
        let title = members.clone();
        view! {
            <p class="target-approval" data-test="target-approval" title=title>
                <span aria-hidden="true">"‖ "</span>
                {strings::needs_approval(a.mode, &a.group)}
                <span class="muted small">" ("{members}")"</span>
            </p>
        }
    });
    let what = match t.kind {
        TargetKind::Runbook => t
            .command
            .clone()
            .map(|argv| {
                view! {
                    <pre class="codeblock command-template" data-test="target-command"><code>{argv.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" ")}</code></pre>
                }
                .into_any()
            })
            .unwrap_or_else(|| ().into_any()),
        _ => {
            let repo = t.repository.clone().unwrap_or_default();
            let file = t.workflow.clone();
            let git_ref = t.default_ref.clone();
            view! {
                <dl class="facts small">
                    <dt>{strings::REPOSITORY}</dt>
                    <dd class="mono">{repo}</dd>
                    {file.map(|f| view! { <dt>{strings::WORKFLOW_FILE}</dt><dd class="mono">{f}</dd> })}
                    {git_ref.map(|r| view! { <dt>{strings::DEFAULT_REF}</dt><dd class="mono">{r}</dd> })}
                </dl>
            }
            .into_any()
        }
    };
    let limits: Vec<String> = t
        .timeout_secs
        .map(|s| format!("{} {}", strings::TIMEOUT, format::duration(s as f64)))
        .into_iter()
        .chain(t.concurrency.map(strings::concurrency))
        .collect();
    let timeout = (!limits.is_empty()).then(|| limits.join(" · "));
    let action = if can_run {
        view! {
            <a
                class="button button-primary"
                href=form_href(&t.name)
                data-test="run-button"
                aria-label=format!("{} {}", strings::RUN_BUTTON, t.title)
            >
                {strings::RUN_BUTTON}
            </a>
        }
        .into_any()
    } else {
        view! {
            <span class="muted small" data-test="view-only" title=strings::VIEW_ONLY_TITLE>
                {strings::VIEW_ONLY}
            </span>
        }
        .into_any()
    };
    view! {
        <article class="target-card" data-test="target-card" data-target=t.name.clone()>
            <div class="target-head">
                <h4 class="target-title">{t.title.clone()}</h4>
                {action}
            </div>
            <p class="badges">
                {kind_badge(t.kind)}
                {environment_badge(t.environment.clone(), t.tier)}
                <span class="muted small mono">{t.name.clone()}</span>
            </p>
            <p class="target-description">{t.description.clone()}</p>
            {approval}
            {what}
            {timeout.map(|text| view! { <p class="muted small">{text}</p> })}
        </article>
    }
}
