//! Cloud cost (docs/cost.md). In the portal's bundle, `/costs`: the window's total, the month
//! to date against its forecast and last month, the unallocated share, a stacked area of the
//! series by the grouping, the anomalous days with where their cost came from, and each
//! service's cost per deployment, per failed change and per good SLO event beside its DORA
//! band, plus CI's cost per minute and per run; the view downloads as CSV. In the
//! administration's bundle, `/admin/cost-sources`: the sources and each billing period's state.
//! The server computes every number; these pages only show it.

mod anomalies;
mod cards;
mod chart;
mod csv;
mod filters;
mod sources;
mod unit;
pub use crate::strings::costs as text;
pub use sources::CostSources;

use crate::api::{self, ApiResult};
use crate::components::page::PageHead;
use crate::components::states::{CardsSkeleton, ErrorState, TableSkeleton};
use crate::format;
use crate::session::Session;
use crate::strings;
use filters::{CostFilters, Filters};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use nagare_core::api::{CostQuery, CostReport, Role};

/// The address of the admins' Cost sources page (the administration's bundle).
pub const SOURCES_HREF: &str = "/admin/cost-sources";

#[component]
pub fn Costs() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| query.with(|q| Filters::from_query(|k| q.get(k))));
    let asked = Memo::new(move |_| filters.get().query(format::now_millis()));
    let report = LocalResource::new(move || ask(asked.get(), api::cost::costs));
    let anomalies = LocalResource::new(move || ask(asked.get(), api::cost::anomalies));
    let unit = LocalResource::new(move || ask(asked.get(), api::cost::unit));

    let body = move || match report.get() {
        None => view! {
            <CardsSkeleton />
            <div class="sk cost-chart-skeleton" aria-hidden="true"></div>
            <TableSkeleton columns=6 />
        }
        .into_any(),
        Some(Err(e)) => view! {
            <ErrorState what=text::WHAT_COSTS error=e on_retry=move || report.refetch() />
        }
        .into_any(),
        Some(Ok(r)) if !r.configured => view! { <NotConfigured /> }.into_any(),
        Some(Ok(r)) if r.data_through.is_none() => view! { <NothingStored /> }.into_any(),
        Some(Ok(r)) if r.groups.is_empty() && r.total == 0.0 => view! {
            <div class="state state-empty" data-test="empty-state" data-empty="filtered">
                <p class="state-title">{text::NO_COST_FILTERED}</p>
                <p class="state-detail">{text::NO_COST_FILTERED_HINT}</p>
            </div>
        }
        .into_any(),
        Some(Ok(r)) => view! { <Report r anomalies unit /> }.into_any(),
    };

    view! {
        <div class="page costs-page">
            <PageHead title=text::COSTS_TITLE caption=text::COSTS_CAPTION>
                {move || match report.get() {
                    Some(Ok(r)) if !r.groups.is_empty() => view! { <csv::DownloadCsv r /> }.into_any(),
                    _ => ().into_any(),
                }}
            </PageHead>
            <CostFilters filters />
            {body}
        </div>
    }
}

/// One endpoint for the page's query, or the query's own error.
async fn ask<T, F>(query: ApiResult<CostQuery>, call: fn(CostQuery) -> F) -> ApiResult<T>
where
    F: std::future::Future<Output = ApiResult<T>>,
{
    call(query?).await
}

/// The loaded report: cards, chart, anomalies and unit costs.
#[component]
fn Report(
    r: CostReport,
    anomalies: LocalResource<ApiResult<nagare_core::api::CostAnomalies>>,
    unit: LocalResource<ApiResult<nagare_core::api::UnitCosts>>,
) -> impl IntoView {
    view! {
        <cards::Cards r=r.clone() />
        <chart::CostChart r />
        <anomalies::Anomalies reply=anomalies />
        <unit::UnitCosts reply=unit />
        <p class="muted small cost-docs">{code_text(text::COST_DOCS)}</p>
    }
}

/// `configured` false: nothing to read cost from, and how to add it.
#[component]
fn NotConfigured() -> impl IntoView {
    view! {
        <div class="state state-empty" data-test="empty-state" data-empty="not-configured">
            <p class="state-title">{text::NOT_CONFIGURED}</p>
            <p class="state-detail">{code_text(text::NOT_CONFIGURED_HINT)}</p>
            <pre class="codeblock"><code>{text::CONFIG_SNIPPET}</code></pre>
            <p class="state-detail">
                {code_text(text::COST_DOCS)}
                " · "
                <a href="/api/docs" rel="external">{strings::API_REFERENCE}</a>
            </p>
        </div>
    }
}

/// A source is configured but no cost is stored yet; admins get the way to the sources' page.
#[component]
fn NothingStored() -> impl IntoView {
    let session = Session::from_context();
    let admin = move || session.role().is_some_and(|r| r >= Role::Admin);
    view! {
        <div class="state state-empty" data-test="empty-state" data-empty="no-data">
            <p class="state-title">{text::NO_COST_YET}</p>
            <p class="state-detail">{text::NO_COST_YET_HINT}</p>
            <Show when=admin>
                <p class="state-detail">
                    <a href=SOURCES_HREF rel="external" data-test="cost-sources-link">
                        {text::SEE_COST_SOURCES}
                    </a>
                </p>
            </Show>
            <p class="state-detail">{code_text(text::COST_DOCS)}</p>
        </div>
    }
}

/// Text whose parts between backticks read as code.
pub fn code_text(t: &str) -> impl IntoView {
    t.split('`')
        .enumerate()
        .map(|(i, part)| {
            let part = part.to_owned();
            if i % 2 == 1 {
                view! { <code>{part}</code> }.into_any()
            } else {
                part.into_any()
            }
        })
        .collect_view()
}

/// An amount with the digits it needs: whole units from 100, cents from 0.01, and two
/// significant digits below (cloud rows are often fractions of a cent).
pub fn amount_text(v: f64) -> String {
    let a = v.abs();
    let sign = if v < 0.0 && a > 0.0 { "−" } else { "" };
    let body = if a == 0.0 {
        "0".to_owned()
    } else if a >= 100.0 {
        group_thousands(&format!("{a:.0}"))
    } else if a >= 0.01 {
        group_thousands(&format!("{a:.2}"))
    } else {
        let digits = (-(a.log10().floor()) as usize + 1).min(8);
        let s = format!("{a:.digits$}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "0" {
            "< 0.00000001".to_owned()
        } else {
            s.to_owned()
        }
    };
    format!("{sign}{body}")
}

/// An amount with its currency: `1,234 USD`; without a currency, the number alone.
pub fn money(v: f64, currency: &str) -> String {
    if currency.is_empty() {
        amount_text(v)
    } else {
        format!("{} {currency}", amount_text(v))
    }
}

pub fn opt_money(v: Option<f64>, currency: &str) -> String {
    v.map_or_else(|| "—".to_owned(), |v| money(v, currency))
}

/// `1234567.89` → `1,234,567.89`.
fn group_thousands(s: &str) -> String {
    let (int, frac) = s.split_once('.').map_or((s, None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(s.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// A change from `before` to `now` as a signed percentage, when `before` is not zero.
pub fn change_percent(now: f64, before: f64) -> Option<f64> {
    (before != 0.0).then(|| (now - before) / before.abs() * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_keep_the_digits_they_need() {
        assert_eq!(amount_text(0.0), "0");
        assert_eq!(amount_text(1234567.891), "1,234,568");
        assert_eq!(amount_text(123.4), "123");
        assert_eq!(amount_text(12.345), "12.35");
        assert_eq!(amount_text(1234.6), "1,235");
        assert_eq!(amount_text(0.0123), "0.01");
        assert_eq!(amount_text(0.99995), "1.00");
        assert_eq!(amount_text(0.18), "0.18");
        assert_eq!(amount_text(0.005), "0.005");
        assert_eq!(amount_text(0.000123), "0.00012");
        assert_eq!(amount_text(0.0000008), "0.0000008");
        assert_eq!(amount_text(-5.5), "−5.50");
        assert_eq!(money(1500.0, "USD"), "1,500 USD");
        assert_eq!(money(2.0, ""), "2.00");
        assert_eq!(opt_money(None, "USD"), "—");
    }

    #[test]
    fn changes_are_against_the_earlier_amount() {
        assert_eq!(change_percent(150.0, 100.0), Some(50.0));
        assert_eq!(change_percent(50.0, 100.0), Some(-50.0));
        assert_eq!(change_percent(5.0, 0.0), None);
    }
}
