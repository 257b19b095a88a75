//! The value stream: where merged pull requests' time went between their first commit and
//! production, stage by stage, beside DORA's lead time on the `pull_request` basis (the same
//! changes measured the same way). Definitions: docs/metrics.md ("Value stream").

use crate::api;
use crate::chart::{Chart, Line};
use crate::components::badges::Chevron;
use crate::components::filters::{use_query_updater, FilterSelect};
use crate::components::page::PageHead;
use crate::components::states::{CardsSkeleton, EmptyState, ErrorState};
use crate::format;
use crate::pages::pipelines::{Scope, ScopeFilters};
use crate::strings;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use nagare_core::api::{
    DoraParams, Interval, LeadTimeBasis, StageRow, ValueStreamParams, ValueStreamReport,
};
use nagare_core::valuestream::ChainName;

/// The CSS class colouring a stage (merged stages share one, hatched).
pub(crate) fn stage_class(key: &str, merged: bool) -> String {
    if merged {
        "stage stage-merged".to_owned()
    } else {
        format!("stage stage-{key}")
    }
}

#[component]
pub fn ValueStream() -> impl IntoView {
    let query = use_query_map();
    let scope = Memo::new(move |_| Scope::read(&query.get()));
    // Absent from the URL: the team's configured chain (else the default), as the API picks.
    let chain = Memo::new(move |_| {
        query
            .get()
            .get("chain")
            .and_then(|c| c.parse::<ChainName>().ok())
    });
    let report = LocalResource::new(move || {
        let w = scope.get().window();
        api::value_stream(ValueStreamParams {
            from: w.from,
            to: w.to,
            service: w.service,
            team: w.team,
            chain: chain.get(),
            interval: Some(Interval::Week),
            time_zone: None,
        })
    });
    // DORA's own lead time over the same window and filters, on the pull_request basis.
    let dora = LocalResource::new(move || {
        let w = scope.get().window();
        api::dora(DoraParams {
            from: w.from,
            to: w.to,
            service: w.service,
            team: w.team,
            lead_time_basis: Some(LeadTimeBasis::PullRequest),
            ..DoraParams::default()
        })
    });
    let update = use_query_updater();
    let chains = vec![
        (
            ChainName::Default.as_str().to_owned(),
            strings::CHAIN_DEFAULT.to_owned(),
        ),
        (
            ChainName::Approval.as_str().to_owned(),
            strings::CHAIN_APPROVAL.to_owned(),
        ),
    ];
    let set_chain = move |v: String| update(vec![("chain", Some(v))]);
    // The chain shown: the URL's, else the one the reply used.
    let shown = Signal::derive(move || {
        chain
            .get()
            .or_else(|| report.get().and_then(|r| r.ok()).map(|r| r.chain))
            .unwrap_or_default()
            .as_str()
            .to_owned()
    });
    view! {
        <div class="page">
            <PageHead title=strings::VS_TITLE caption=strings::VS_CAPTION />
            <ScopeFilters scope no_repo=true>
                <FilterSelect
                    name="chain"
                    label=strings::F_CHAIN
                    value=shown
                    options=chains
                    on_change=set_chain
                />
            </ScopeFilters>
            {move || match report.get() {
                None => view! { <CardsSkeleton /> }.into_any(),
                Some(Err(e)) => view! {
                    <ErrorState what=strings::WHAT_VS error=e on_retry=move || report.refetch() />
                }
                .into_any(),
                Some(Ok(r)) if r.pull_requests == 0 => view! {
                    <EmptyState title=strings::NO_VS hint=strings::NO_VS_HINT />
                }
                .into_any(),
                Some(Ok(r)) => {
                    let dora_median = Signal::derive(move || match dora.get() {
                        Some(Ok(d)) => Some(d.change_lead_time.median),
                        _ => None,
                    });
                    report_view(r, dora_median).into_any()
                }
            }}
        </div>
    }
}

fn report_view(r: ValueStreamReport, dora_median: Signal<Option<Option<f64>>>) -> impl IntoView {
    let total = r.total;
    let bottleneck = r.stages.iter().find(|s| s.bottleneck).cloned();
    let quality = r.data_quality.clone();
    let series = r.series.clone().unwrap_or_default();
    let chain_stages: Vec<StageRow> = r.stages.iter().filter(|s| !s.merged).cloned().collect();
    let configured = r
        .chain_configured
        .then(|| r.team.clone())
        .flatten()
        .map(|team| {
            view! { <p class="muted" data-test="vs-chain-configured">{strings::chain_configured(&team)}</p> }
        });
    view! {
        {configured}
        <div class="cards vs-cards" data-test="vs-cards">
            <section class="card" data-test="vs-prs">
                <header class="card-head"><h2>{strings::VS_PRS}</h2></header>
                <p class="value" data-raw=r.pull_requests.to_string()>{r.pull_requests}</p>
            </section>
            <section class="card" data-test="vs-total">
                <header class="card-head"><h2>{strings::VS_TOTAL}</h2></header>
                <p class="value" data-raw=format::raw(total.map(|t| t.median))>
                    {format::opt_duration(total.map(|t| t.median))}
                </p>
                <ul class="secondary">
                    <li>{strings::COL_P75}" "{format::opt_duration(total.map(|t| t.p75))}</li>
                    <li>{strings::COL_P90}" "{format::opt_duration(total.map(|t| t.p90))}</li>
                </ul>
            </section>
            <section class="card" data-test="vs-dora">
                <header class="card-head"><h2>{strings::VS_DORA}</h2></header>
                <p class="value" data-raw=move || format::raw(dora_median.get().flatten())>
                    {move || match dora_median.get() {
                        None => "…".to_owned(),
                        Some(m) => format::opt_duration(m),
                    }}
                </p>
                <p class="secondary">{strings::VS_AGREE}</p>
            </section>
            <section class="card" data-test="vs-flow">
                <header class="card-head"><h2>{strings::VS_FLOW}</h2></header>
                <p class="value" data-raw=format::raw(r.flow_efficiency)>{format::opt_percent(r.flow_efficiency)}</p>
                <p class="secondary">{strings::VS_FLOW_DEF}</p>
            </section>
            <section class="card" data-test="vs-bottleneck">
                <header class="card-head"><h2>{strings::VS_BOTTLENECK}</h2></header>
                <p class="value value-text">
                    {bottleneck.as_ref().map_or_else(|| strings::NO_DATA.to_owned(), |b| b.label.clone())}
                </p>
                <p class="secondary">
                    {bottleneck.as_ref().map(|b| format!("{} · ", format::percent(b.share)))}
                    {strings::VS_BOTTLENECK_DEF}
                </p>
            </section>
        </div>
        <section class="panel">
            <h2>{strings::VS_BAR}</h2>
            {share_bar(&r.stages)}
        </section>
        <section class="panel">
            <h2>{strings::VS_STAGES}</h2>
            <p class="muted small">{strings::VS_STAGES_CAPTION}</p>
            <StageTable rows=r.stages />
        </section>
        <section class="panel">
            <h2>{strings::VS_TREND}</h2>
            <p class="muted small">{strings::VS_TREND_CAPTION}</p>
            {trend(&series, &chain_stages)}
        </section>
        {quality_view(quality)}
    }
}

/// The stages' shares as one stacked bar with the bottleneck marked, its legend, and build &
/// test's time by job stage beside it (not stacked: jobs run in parallel).
fn share_bar(rows: &[StageRow]) -> impl IntoView {
    let parts = rows
        .iter()
        .filter(|s| s.share > 0.0)
        .map(|s| Part {
            key: s.key.clone(),
            label: s.label.clone(),
            merged: s.merged,
            share: s.share,
            bottleneck: s.bottleneck,
        })
        .collect::<Vec<_>>();
    let breakdown = rows
        .iter()
        .find(|s| !s.breakdown.is_empty())
        .map(|s| breakdown(&s.breakdown));
    view! {
        {bar(parts, "vs-bar")}
        {breakdown}
    }
}

/// One part of a stacked bar.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub key: String,
    pub label: String,
    pub merged: bool,
    /// Of the whole, 0–1.
    pub share: f64,
    pub bottleneck: bool,
}

/// A stacked bar of parts and its legend.
pub(crate) fn bar(parts: Vec<Part>, test: &'static str) -> impl IntoView {
    let legend = parts.clone();
    view! {
        <div class="stage-bar" data-test=test role="img" aria-label=strings::VS_BAR>
            {parts
                .into_iter()
                .map(|p| {
                    let title = format!("{}: {}", p.label, format::percent(p.share));
                    view! {
                        <span
                            class=stage_class(&p.key, p.merged)
                            class:bottleneck=p.bottleneck
                            style=format!("width: {:.3}%", p.share * 100.0)
                            title=title
                            data-stage=p.key
                        ></span>
                    }
                })
                .collect_view()}
        </div>
        <ul class="legend stage-legend">
            {legend
                .into_iter()
                .map(|p| view! {
                    <li class:bottleneck=p.bottleneck>
                        <span class=format!("swatch {}", stage_class(&p.key, p.merged)) aria-hidden="true"></span>
                        {format!("{} {}", p.label, format::percent(p.share))}
                        {p.bottleneck.then(|| view! { " "<span class="badge badge-warn">{strings::VS_BOTTLENECK}</span> })}
                    </li>
                })
                .collect_view()}
        </ul>
    }
}

/// Build & test's time by job stage.
fn breakdown(rows: &[nagare_core::api::CategoryTime]) -> impl IntoView {
    view! {
        <p class="muted small">{strings::BUILD_BREAKDOWN}</p>
        <ul class="legend breakdown" data-test="vs-breakdown">
            {rows
                .iter()
                .map(|c| view! {
                    <li>
                        <span class=format!("swatch cat-{}", c.category) aria-hidden="true"></span>
                        {format!(
                            "{} {} ({})",
                            strings::category_label(&c.category),
                            format::duration(c.mean_secs),
                            strings::prs_count(c.pull_requests)
                        )}
                    </li>
                })
                .collect_view()}
        </ul>
    }
}

#[component]
fn StageTable(rows: Vec<StageRow>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" data-test="vs-stages">
                <thead>
                    <tr>
                        <th scope="col">{strings::COL_STAGE}</th>
                        <th scope="col" class="num">{strings::VS_PRS}</th>
                        <th scope="col" class="num">{strings::COL_MEDIAN}</th>
                        <th scope="col" class="num">{strings::COL_P75}</th>
                        <th scope="col" class="num">{strings::COL_P90}</th>
                        <th scope="col" class="num">{strings::COL_MEAN}</th>
                        <th scope="col" class="num">{strings::COL_TIME_SHARE}</th>
                    </tr>
                </thead>
                {rows.into_iter().map(|s| view! { <StageGroup s /> }).collect_view()}
            </table>
        </div>
    }
}

/// One stage's row, opening to its slowest pull requests (and, for build & test, its time by
/// job category).
#[component]
fn StageGroup(s: StageRow) -> impl IntoView {
    let open = RwSignal::new(false);
    let toggle = move |_| open.update(|o| *o = !*o);
    let st = s.stats;
    let kind = if s.merged {
        strings::MERGED_STAGE
    } else if s.active {
        strings::ACTIVE_STAGE
    } else {
        ""
    };
    let slowest = s.slowest.clone();
    let categories = s.breakdown.clone();
    view! {
        <tbody class="group" class:open=move || open.get()>
            <tr data-test="vs-stage" data-key=s.key.clone() class="clickable" on:click=toggle>
                <td>
                    <button type="button" class="expand" aria-expanded=move || open.get().to_string()>
                        <Chevron open />
                        " "
                        <span class=format!("swatch {}", stage_class(&s.key, s.merged)) aria-hidden="true"></span>
                        " "
                        <strong>{s.label.clone()}</strong>
                    </button>
                    {(!kind.is_empty()).then(|| view! { " "<span class="muted small">{kind}</span> })}
                    {s.bottleneck.then(|| view! { " "<span class="badge badge-warn">{strings::VS_BOTTLENECK}</span> })}
                </td>
                <td class="num" data-test="vs-stage-count">{st.map_or(0, |t| t.count)}</td>
                <td class="num" data-test="vs-stage-median">{format::opt_duration(st.map(|t| t.median))}</td>
                <td class="num">{format::opt_duration(st.map(|t| t.p75))}</td>
                <td class="num">{format::opt_duration(st.map(|t| t.p90))}</td>
                <td class="num">{format::opt_duration(st.map(|t| t.mean))}</td>
                <td class="num">{format::percent(s.share)}</td>
            </tr>
            <Show when=move || open.get()>
                <tr class="detail">
                    <td colspan="7">
                        {(!categories.is_empty()).then(|| breakdown(&categories))}
                        <p class="muted small">{strings::SLOWEST_PRS}</p>
                        <table class="table table-inner" data-test="vs-slowest">
                            <thead>
                                <tr>
                                    <th scope="col">{strings::COL_PR}</th>
                                    <th scope="col" class="num">{strings::COL_STAGE}</th>
                                    <th scope="col" class="num">{strings::COL_TOTAL}</th>
                                    <th scope="col">{strings::COL_DEPLOYMENT}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {slowest
                                    .clone()
                                    .into_iter()
                                    .map(|p| view! {
                                        <tr>
                                            <td>
                                                <a href=api::journey_href(&p.repo, &p.id) data-test="vs-pr-link">
                                                    {strings::pr_label(&p.repo, &p.id, false)}
                                                </a>
                                            </td>
                                            <td class="num">{format::duration(p.secs)}</td>
                                            <td class="num">{format::duration(p.total_secs)}</td>
                                            <td class="mono small">{p.deployment}</td>
                                        </tr>
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </td>
                </tr>
            </Show>
        </tbody>
    }
}

/// Each stage's weekly median (hours), one small chart per stage of the chain.
fn trend(series: &[ValueStreamReport], stages: &[StageRow]) -> impl IntoView {
    let labels: Vec<String> = series.iter().map(|w| format::short_date(w.from)).collect();
    let titles: Vec<String> = series.iter().map(|w| format::date(w.from)).collect();
    let charts = stages
        .iter()
        .map(|stage| {
            let values = series
                .iter()
                .map(|w| {
                    w.stages
                        .iter()
                        .find(|s| s.key == stage.key)
                        .and_then(|s| s.stats)
                        .map(|t| t.median / 3600.0)
                })
                .collect();
            let svg = Chart {
                title: strings::stage_trend_title(&stage.label),
                unit: strings::UNIT_HOURS,
                x_labels: labels.clone(),
                x_titles: titles.clone(),
                lines: vec![Line {
                    label: strings::SERIES_MEDIAN,
                    values,
                }],
                format: |h| format::duration(h * 3600.0),
            }
            .to_svg();
            view! {
                <figure class="trend" data-test="vs-trend" data-key=stage.key.clone()>
                    <figcaption>
                        <span class=format!("swatch {}", stage_class(&stage.key, false)) aria-hidden="true"></span>
                        " "{stage.label.clone()}
                    </figcaption>
                    {match svg {
                        Some(svg) => view! { <div class="trend-svg" inner_html=svg></div> }.into_any(),
                        None => view! { <p class="chart-empty muted">{strings::NO_DATA}</p> }.into_any(),
                    }}
                </figure>
            }
        })
        .collect_view();
    view! { <div class="trend-grid">{charts}</div> }
}

fn quality_view(q: nagare_core::api::ValueStreamQuality) -> impl IntoView {
    let mut lines: Vec<String> = q
        .missing
        .iter()
        .map(|m| strings::missing_event(m.event, m.pull_requests))
        .collect();
    if q.negative_stages_merged > 0 {
        lines.push(strings::negative_stages(q.negative_stages_merged));
    }
    if q.negative_totals > 0 {
        lines.push(strings::negative_totals(q.negative_totals));
    }
    lines.extend(q.notes);
    (!lines.is_empty()).then(|| {
        view! {
            <section class="panel" data-test="vs-quality">
                <h2>{strings::VS_QUALITY}</h2>
                <p class="muted small">{strings::MISSING_MERGES}</p>
                <ul class="notes">{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
            </section>
        }
    })
}
