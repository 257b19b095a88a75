//! The anomalous days of the window, largest |z| first (the API's order), with the rule that
//! judged them; each opens to its contributors: the day's cost by account and provider service
//! against their own baselines, and a filter to that account.

use super::{code_text, money, text};
use crate::api::ApiResult;
use crate::components::badges::Chevron;
use crate::components::filters::use_query_updater;
use crate::components::states::{ErrorState, TableSkeleton};
use leptos::prelude::*;
use nagare_core::api::{CostAnomalies, CostAnomaly, CostContributor};

/// A number without trailing zeros (`3.5`, `4`).
fn trimmed(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A signed amount: `+12.30 USD`, `−4.00 USD`.
fn signed_money(v: f64, cur: &str) -> String {
    let text = money(v, cur);
    if v > 0.0 {
        format!("+{text}")
    } else {
        text
    }
}

#[component]
pub fn Anomalies(reply: LocalResource<ApiResult<CostAnomalies>>) -> impl IntoView {
    view! {
        <section class="panel cost-anomalies" data-test="cost-anomalies" aria-labelledby="cost-anomalies-title">
            <h2 id="cost-anomalies-title">{text::ANOMALIES_TITLE}</h2>
            {move || match reply.get() {
                None => view! { <TableSkeleton columns=6 /> }.into_any(),
                Some(Err(e)) => view! {
                    <ErrorState what=text::WHAT_ANOMALIES error=e on_retry=move || reply.refetch() />
                }
                .into_any(),
                Some(Ok(a)) => view! { <Loaded a /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Loaded(a: CostAnomalies) -> impl IntoView {
    let rule = text::anomalies_rule(&trimmed(a.threshold), a.baseline_days, a.min_baseline_days);
    let cur = a.currency.clone().unwrap_or_default();
    let list = if a.anomalies.is_empty() {
        view! { <p class="muted" data-test="no-anomalies">{text::NO_ANOMALIES}</p> }.into_any()
    } else {
        let rows = a
            .anomalies
            .into_iter()
            .map(|x| view! { <AnomalyGroup x cur=cur.clone() /> })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="table" data-test="anomalies-table">
                    <caption class="visually-hidden">{text::ANOMALIES_TABLE}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{text::COL_DAY}</th>
                            <th scope="col">{text::COL_GROUP}</th>
                            <th scope="col" class="num">{text::COL_COST}</th>
                            <th scope="col" class="num">{text::COL_MEDIAN}</th>
                            <th scope="col" class="num">{text::COL_EXCESS}</th>
                            <th scope="col" class="num">{text::COL_Z}</th>
                        </tr>
                    </thead>
                    {rows}
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <p class="muted small" data-test="anomaly-rule" data-threshold=a.threshold.to_string()>{rule}</p>
        {list}
        <details class="definition">
            <summary>
                <span class="info-icon" aria-hidden="true">"i"</span>
                {text::DEFINITION}
            </summary>
            <p>{text::DEF_ANOMALY}</p>
        </details>
    }
}

/// One anomalous day, and its contributors below once opened.
#[component]
fn AnomalyGroup(x: CostAnomaly, cur: String) -> impl IntoView {
    let open = RwSignal::new(false);
    let detail_id = format!("anomaly-{}-{}", x.day, x.key.clone().unwrap_or_default());
    let toggle = move |_| open.update(|o| *o = !*o);
    let contributors = x.contributors.clone();
    let c2 = cur.clone();
    view! {
        <tbody class="group" class:open=move || open.get()>
            <tr
                data-test="anomaly-row"
                data-day=x.day.clone()
                data-key=x.key.clone().unwrap_or_default()
                data-cost=x.cost.to_string()
                data-z=x.z.to_string()
                class="clickable"
                on:click=toggle
            >
                <td class="nowrap">
                    <button
                        type="button"
                        class="expand"
                        aria-expanded=move || open.get().to_string()
                        aria-controls=detail_id.clone()
                        title=text::SHOW_CONTRIBUTORS
                    >
                        <Chevron open />
                        " "
                        {x.day.clone()}
                    </button>
                </td>
                <td>{x.label.clone()}</td>
                <td class="num" title=x.cost.to_string()>{money(x.cost, &cur)}</td>
                <td class="num" title=x.median.to_string()>{money(x.median, &cur)}</td>
                <td class="num excess" title=x.excess.to_string()>{signed_money(x.excess, &cur)}</td>
                <td class="num" data-test="anomaly-z">{format!("{:.1}", x.z)}</td>
            </tr>
            <Show when=move || open.get()>
                <tr class="detail" id=detail_id.clone()>
                    <td colspan="6">
                        <Contributors list=contributors.clone() cur=c2.clone() />
                    </td>
                </tr>
            </Show>
        </tbody>
    }
}

/// Where an anomalous day's cost came from.
#[component]
fn Contributors(list: Vec<CostContributor>, cur: String) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted small">{text::NO_CONTRIBUTORS}</p> }.into_any();
    }
    let update = use_query_updater();
    let rows = list
        .into_iter()
        .map(|c| {
            let update = update.clone();
            let account = c.account_id.clone();
            let name = if c.account_name.is_empty() || c.account_name == c.account_id {
                None
            } else {
                Some(c.account_name.clone())
            };
            view! {
                <tr data-test="contributor-row" data-account=c.account_id.clone() data-service-name=c.service_name.clone()>
                    <td>
                        {name.map(|n| view! { {n}" " })}
                        <span class="mono muted">{c.account_id.clone()}</span>
                    </td>
                    <td>{c.service_name.clone()}</td>
                    <td class="num" title=c.cost.to_string()>{money(c.cost, &cur)}</td>
                    <td class="num" title=c.median.to_string()>{money(c.median, &cur)}</td>
                    <td class="num">{signed_money(c.cost - c.median, &cur)}</td>
                    <td>
                        <button
                            type="button"
                            class="button button-small"
                            data-test="filter-to-account"
                            on:click=move |_| update(vec![("account", Some(account.clone()))])
                        >
                            {text::FILTER_ACCOUNT}
                        </button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="muted small">{code_text(text::CONTRIBUTORS_CAPTION)}</p>
        <table class="table table-inner" data-test="contributors">
            <thead>
                <tr>
                    <th scope="col">{text::COL_ACCOUNT}</th>
                    <th scope="col">{text::COL_PROVIDER_SERVICE}</th>
                    <th scope="col" class="num">{text::COL_COST}</th>
                    <th scope="col" class="num">{text::COL_MEDIAN}</th>
                    <th scope="col" class="num">{text::COL_CHANGE}</th>
                    <th scope="col"><span class="visually-hidden">{text::FILTER_ACCOUNT}</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_and_excesses_read_plainly() {
        assert_eq!(trimmed(3.5), "3.5");
        assert_eq!(trimmed(4.0), "4");
        assert_eq!(signed_money(12.3, "USD"), "+12.30 USD");
        assert_eq!(signed_money(-4.0, "USD"), "−4.00 USD");
        assert_eq!(signed_money(0.0, "USD"), "0 USD");
    }
}
