//! Unit cost: each service's cost against what it delivered in the window (per deployment,
//! while failed, per million good SLO events) beside its DORA band, and CI's cost per minute
//! and per pipeline run, or how to name the CI accounts.

use super::{code_text, money, opt_money, text};
use crate::api::{self, ApiResult};
use crate::components::badges::BandBadge;
use crate::components::states::{ErrorState, TableSkeleton};
use leptos::prelude::*;
use nagare_core::api::{CiUnitCost, ServiceUnitCost, UnitCosts};

/// A count grouped by thousands (`12,345`), or with one decimal below 100 when fractional.
fn count(v: f64) -> String {
    if v.fract().abs() >= 0.05 && v.abs() < 100.0 {
        format!("{v:.1}")
    } else {
        super::amount_text(v.round())
            .split('.')
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

#[component]
pub fn UnitCosts(reply: LocalResource<ApiResult<UnitCosts>>) -> impl IntoView {
    view! {
        <section class="panel cost-unit" data-test="cost-unit" aria-labelledby="cost-unit-title">
            <h2 id="cost-unit-title">{text::UNIT_TITLE}</h2>
            <p class="muted small">{text::UNIT_CAPTION}</p>
            {move || match reply.get() {
                None => view! { <TableSkeleton columns=9 /> }.into_any(),
                Some(Err(e)) => view! {
                    <ErrorState what=text::WHAT_UNIT error=e on_retry=move || reply.refetch() />
                }
                .into_any(),
                Some(Ok(u)) => view! { <Loaded u /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Loaded(u: UnitCosts) -> impl IntoView {
    let cur = u.currency.clone().unwrap_or_default();
    let table = if u.services.is_empty() {
        view! { <p class="muted" data-test="no-unit-services">{code_text(text::NO_SERVICES)}</p> }
            .into_any()
    } else {
        let rows = u
            .services
            .into_iter()
            .map(|s| view! { <ServiceRow s cur=cur.clone() /> })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="table" data-test="unit-table">
                    <caption class="visually-hidden">{text::UNIT_TABLE}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{text::COL_SERVICE}</th>
                            <th scope="col">{text::COL_TEAMS}</th>
                            <th scope="col" class="num">{text::COL_COST}</th>
                            <th scope="col" class="num">{text::COL_DEPLOYMENTS}</th>
                            <th scope="col" class="num">{text::COL_PER_DEPLOYMENT}</th>
                            <th scope="col" class="num">{text::COL_FAILED}</th>
                            <th scope="col" class="num">{text::COL_FAILED_COST}</th>
                            <th scope="col" class="num">{text::COL_PER_MILLION}</th>
                            <th scope="col">{text::COL_BAND}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        {table}
        <Ci ci=u.ci cur=cur.clone() />
        <details class="definition">
            <summary>
                <span class="info-icon" aria-hidden="true">"i"</span>
                {text::DEFINITION}
            </summary>
            <p>{text::DEF_UNIT}</p>
            <p>{text::DEF_CI}</p>
        </details>
    }
}

#[component]
fn ServiceRow(s: ServiceUnitCost, cur: String) -> impl IntoView {
    let per_million = s.per_good_event.map(|v| v * 1_000_000.0);
    let href = format!("/services/{}", api::encode_component(&s.service));
    let failed = if s.failed_changes > 0 {
        format!("{} ({})", s.failed_changes, text::recovered(s.recovered))
    } else {
        "0".to_owned()
    };
    view! {
        <tr data-test="unit-row" data-service=s.service.clone() data-cost=s.cost.to_string()>
            <td>
                <a href=href rel="external">{s.service.clone()}</a>
            </td>
            <td class="small">{s.teams.join(", ")}</td>
            <td class="num" title=s.cost.to_string()>{money(s.cost, &cur)}</td>
            <td class="num">{s.deployments}</td>
            <td class="num" data-test="per-deployment" data-raw=crate::format::raw(s.per_deployment)>
                {opt_money(s.per_deployment, &cur)}
            </td>
            <td class="num">{failed}</td>
            <td class="num" title=s.failed_change_cost.to_string()>{money(s.failed_change_cost, &cur)}</td>
            <td class="num" title=s.good_events.map(count).map(|g| format!("{g} good events"))>
                {match per_million {
                    Some(v) => money(v, &cur),
                    None if s.good_events.is_none() => text::NO_SLO.to_owned(),
                    None => "—".to_owned(),
                }}
            </td>
            <td>
                <BandBadge band=s.band />
            </td>
        </tr>
    }
}

/// CI's cost per minute and per run, or how to say which accounts are CI's.
#[component]
fn Ci(ci: CiUnitCost, cur: String) -> impl IntoView {
    if !ci.configured {
        return view! {
            <div class="cost-ci state state-empty" data-test="ci-not-configured">
                <p class="state-title">{text::CI_NOT_CONFIGURED}</p>
                <p class="state-detail">{code_text(text::CI_NOT_CONFIGURED_HINT)}</p>
                <p class="state-detail">{code_text(text::COST_DOCS)}</p>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="cost-ci" data-test="ci-cost">
            <h3>{text::CI_TITLE}</h3>
            <dl class="facts">
                <dt>{text::CI_PER_MINUTE}</dt>
                <dd data-test="ci-per-minute" data-raw=crate::format::raw(ci.per_minute)>{opt_money(ci.per_minute, &cur)}</dd>
                <dt>{text::CI_PER_RUN}</dt>
                <dd data-test="ci-per-run" data-raw=crate::format::raw(ci.per_run)>{opt_money(ci.per_run, &cur)}</dd>
            </dl>
            <p class="muted small">{text::ci_facts(&money(ci.cost, &cur), &count(ci.minutes), ci.runs)}</p>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped() {
        assert_eq!(count(1234567.0), "1,234,567");
        assert_eq!(count(12.26), "12.3");
        assert_eq!(count(12.0), "12");
        assert_eq!(count(0.0), "0");
    }
}
