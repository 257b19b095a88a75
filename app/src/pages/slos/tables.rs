//! The tables of an SLO's page: its multi-window alert conditions, its burn rates, and the
//! deployments of its service in the window ranked by the budget they burned.

use super::{burn_text, count_text, deployment_href, opt_percent_text, signed_count, text};
use crate::components::badges::Badge;
use crate::components::time::RelativeTime;
use crate::format;
use leptos::prelude::*;
use nagare_core::api::{AlertWindow, BurnRate, DeploymentBurn};

use super::span_text as span;

/// The deployments shown before "Show all": the ones that matter come first.
const FIRST: usize = 10;

/// Each condition: it fires when the burn is above its factor over both windows.
#[component]
pub fn AlertWindowsTable(alerts: Vec<AlertWindow>) -> impl IntoView {
    if alerts.is_empty() {
        return view! { <p class="muted">{text::NO_ALERTS}</p> }.into_any();
    }
    view! {
        <table class="table slo-small-table" data-test="slo-alerts">
            <caption class="visually-hidden">{text::ALERTS_HEADING}</caption>
            <thead>
                <tr>
                    <th scope="col">{text::COL_SEVERITY}</th>
                    <th scope="col" class="num">{text::COL_FACTOR}</th>
                    <th scope="col" class="num">{text::COL_LONG}</th>
                    <th scope="col" class="num">{text::COL_SHORT}</th>
                    <th scope="col">{text::COL_FIRING}</th>
                </tr>
            </thead>
            <tbody>
                {alerts
                    .into_iter()
                    .map(|a| {
                        let tone = match (a.firing, a.severity) {
                            (false, _) => "muted",
                            (true, nagare_core::api::AlertLevel::Page) => "bad",
                            (true, _) => "warn",
                        };
                        let firing = if a.firing { text::FIRING } else { text::NOT_FIRING };
                        view! {
                            <tr data-test="slo-alert-row" data-severity=a.severity.as_str() data-firing=a.firing.to_string()>
                                <td>{text::alert_label(a.severity)}</td>
                                <td class="num">{format!("{}×", super::trimmed(a.factor, 2))}</td>
                                <td class="num">
                                    {burn_text(a.long_burn)}
                                    <div class="muted small">{text::over(&span(a.long_secs))}</div>
                                </td>
                                <td class="num">
                                    {burn_text(a.short_burn)}
                                    <div class="muted small">{text::over(&span(a.short_secs))}</div>
                                </td>
                                <td><Badge tone text=firing.to_owned() /></td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The burn rate over each window the API measures.
#[component]
pub fn BurnRatesTable(burns: Vec<BurnRate>) -> impl IntoView {
    view! {
        <table class="table slo-small-table" data-test="slo-burn-rates">
            <caption class="visually-hidden">{text::BURNS_HEADING}</caption>
            <thead>
                <tr>
                    <th scope="col">{text::COL_BURN_WINDOW}</th>
                    <th scope="col" class="num">{text::COL_BURN}</th>
                </tr>
            </thead>
            <tbody>
                {burns
                    .into_iter()
                    .map(|b| {
                        view! {
                            <tr data-window=b.window.clone()>
                                <td>{b.window.clone()}</td>
                                <td class="num" class:burn-high=b.burn.is_some_and(|v| v > 1.0) data-raw=format::raw(b.burn)>
                                    {burn_text(b.burn)}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        <p class="muted small">{text::BURN_NOTE}</p>
    }
}

/// The deployments of the window, most budget burned first.
#[component]
pub fn DeploymentsTable(deployments: Vec<DeploymentBurn>, service: String) -> impl IntoView {
    if deployments.is_empty() {
        return view! {
            <div class="state state-empty" data-test="slo-no-deployments">
                <p class="state-title">{text::no_deployments(&service)}</p>
                <p class="state-detail">{text::NO_DEPLOYMENTS_HINT}</p>
            </div>
        }
        .into_any();
    }
    let total = deployments.len();
    let all = RwSignal::new(false);
    view! {
        <div class="table-wrap">
            <table class="table" data-test="slo-deployments" data-total=total.to_string()>
                <caption class="visually-hidden">{text::DEPLOYMENTS_HEADING}</caption>
                <thead>
                    <tr>
                        <th scope="col" class="num">{text::COL_RANK}</th>
                        <th scope="col">{text::COL_DEPLOYMENT}</th>
                        <th scope="col">{text::COL_FINISHED}</th>
                        <th scope="col" class="num">{text::COL_BAD}</th>
                        <th scope="col" class="num">{text::COL_BURN_CHANGE}</th>
                        <th scope="col" class="num">{text::COL_EXCESS}</th>
                        <th scope="col" class="num">{text::COL_EXCESS_BUDGET}</th>
                        <th scope="col">{text::COL_INCIDENTS}</th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        let shown = if all.get() { deployments.len() } else { FIRST };
                        deployments
                            .iter()
                            .take(shown)
                            .cloned()
                            .map(|b| view! { <BurnRow b /> })
                            .collect_view()
                    }}
                </tbody>
            </table>
        </div>
        {(total > FIRST)
            .then(|| {
                view! {
                    <p class="slo-more">
                        <button
                            type="button"
                            class="button button-small"
                            data-test="slo-deployments-all"
                            aria-expanded=move || all.get().to_string()
                            on:click=move |_| all.update(|a| *a = !*a)
                        >
                            {move || if all.get() { text::show_first(FIRST) } else { text::show_all(total) }}
                        </button>
                    </p>
                }
            })}
    }
    .into_any()
}

#[component]
fn BurnRow(b: DeploymentBurn) -> impl IntoView {
    let bad_before = b.total_before - b.good_before;
    let bad_after = b.total_after - b.good_after;
    let bad_title = text::bad_title(
        &count_text(bad_before),
        &count_text(b.total_before),
        &count_text(bad_after),
        &count_text(b.total_after),
    );
    let version = b
        .version
        .clone()
        .map(|v| view! { <span class="mono" title=v.clone()>{format::short_sha(&v)}</span>" · " });
    let incidents = if b.incidents.is_empty() {
        view! { <span class="muted">"—"</span> }.into_any()
    } else {
        view! {
            <span class="badges">
                {b.incidents
                    .iter()
                    .map(|i| view! {
                        <span class="badge badge-bad" data-test="slo-incident" title=text::INCIDENT_TITLE>
                            {text::incident_badge(i)}
                        </span>
                    })
                    .collect_view()}
            </span>
        }
        .into_any()
    };
    view! {
        <tr
            data-test="slo-deployment-row"
            data-deployment=b.deployment.clone()
            data-rank=b.rank.to_string()
            class:burned=super::burned(&b)
        >
            <td class="num">{format!("#{}", b.rank)}</td>
            <td>
                <a href=deployment_href(&b.deployment) class="mono" data-test="slo-deployment-link">
                    {b.deployment.clone()}
                </a>
                <div class="muted small">{version}{b.environment.clone()}</div>
            </td>
            <td class="nowrap">
                <RelativeTime at=b.finished_at />
            </td>
            <td class="num" title=bad_title>
                {format!("{} → {}", count_text(bad_before), count_text(bad_after))}
            </td>
            <td class="num">{format!("{} → {}", burn_text(b.burn_before), burn_text(b.burn_after))}</td>
            <td class="num" class:excess=super::burned(&b) data-raw=b.excess_bad.to_string()>
                {signed_count(b.excess_bad)}
            </td>
            <td class="num" data-raw=format::raw(b.excess_budget_percent)>
                {opt_percent_text(b.excess_budget_percent)}
            </td>
            <td>{incidents}</td>
        </tr>
    }
}
