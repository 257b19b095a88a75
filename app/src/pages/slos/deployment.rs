//! "SLOs this deployment affected", on a deployment's detail: each SLO of its service with the
//! bad events it added after it finished (against the same span before it), as events and as a
//! share of the SLO's budget, its rank among the window's deployments, and the SLO's alert.

use super::{burn_text, opt_percent_text, signed_count, slo_href, text, AlertBadge};
use crate::api;
use crate::format;
use leptos::prelude::*;
use nagare_core::api::{DeploymentSlo, DeploymentSlos};

#[component]
pub fn DeploymentSlosSection(id: String) -> impl IntoView {
    let slos = LocalResource::new(move || api::slo::deployment_slos(id.clone()));
    let body = move || match slos.get() {
        None => view! { <div class="sk sk-line" aria-busy="true"></div> }.into_any(),
        Some(Err(e)) => view! {
            <p class="form-error small" role="alert" data-test="deployment-slos-error">
                {text::deployment_slos_error(&e.to_string())}
                " "
                <button type="button" class="button button-small" on:click=move |_| slos.refetch()>
                    {crate::strings::RETRY}
                </button>
            </p>
        }
        .into_any(),
        Some(Ok(d)) if d.slos.is_empty() => view! {
            <p class="muted small" data-test="deployment-slos-empty">{text::NO_SLO_COVERS}</p>
        }
        .into_any(),
        Some(Ok(d)) => view! { <Table d /> }.into_any(),
    };
    view! {
        <section class="deployment-slos" data-test="deployment-slos">
            <h3>{text::DEPLOYMENT_SLOS}</h3>
            {body}
        </section>
    }
}

#[component]
fn Table(d: DeploymentSlos) -> impl IntoView {
    let caption = text::deployment_slos_caption(&super::span_text(d.attribution_secs));
    view! {
        <p class="muted small">{caption}</p>
        <table class="table changes">
            <thead>
                <tr>
                    <th scope="col">{text::COL_SLO}</th>
                    <th scope="col">{text::COL_ALERT}</th>
                    <th scope="col" class="num">{text::COL_BUDGET_LEFT}</th>
                    <th scope="col" class="num">{text::COL_EXCESS}</th>
                    <th scope="col" class="num">{text::COL_EXCESS_BUDGET}</th>
                    <th scope="col" class="num">{text::COL_BURN_CHANGE}</th>
                    <th scope="col" class="num">{text::COL_RANK}</th>
                </tr>
            </thead>
            <tbody>{d.slos.into_iter().map(|s| view! { <Row s /> }).collect_view()}</tbody>
        </table>
    }
}

#[component]
fn Row(s: DeploymentSlo) -> impl IntoView {
    let name = view! {
        <a href=slo_href(&s.id) data-test="deployment-slo-link">{s.name.clone()}</a>
        <div class="muted small">{super::objective_text(s.objective)}</div>
    };
    let cells = match &s.burn {
        Some(b) => view! {
            <td class="num" class:excess=super::burned(b) data-raw=b.excess_bad.to_string()>
                {signed_count(b.excess_bad)}
            </td>
            <td class="num" data-raw=format::raw(b.excess_budget_percent)>
                {opt_percent_text(b.excess_budget_percent)}
            </td>
            <td class="num">{format!("{} → {}", burn_text(b.burn_before), burn_text(b.burn_after))}</td>
            <td class="num" data-test="deployment-slo-rank">{text::rank_of(b.rank, s.ranked_of)}</td>
        }
        .into_any(),
        None => view! {
            <td colspan="4" class="muted small">{text::NOT_IN_WINDOW}</td>
        }
        .into_any(),
    };
    view! {
        <tr data-test="deployment-slo-row" data-slo=s.id.clone()>
            <td>{name}</td>
            <td><AlertBadge level=s.alert /></td>
            <td class="num">{opt_percent_text(s.remaining_percent)}</td>
            {cells}
        </tr>
    }
}
