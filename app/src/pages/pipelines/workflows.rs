//! Workflows: each workflow's attempts in the period; one chosen (`?repo=…&workflow=…`) week
//! by week, with its slowest jobs and steps and their share of the run's time.

use super::{Scope, ScopeFilters, Tabs};
use crate::api;
use crate::chart::{Chart, Line};
use crate::components::filters::use_query_updater;
use crate::components::page::PageHead;
use crate::components::states::{EmptyState, ErrorState, TableSkeleton};
use crate::format;
use crate::strings;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use nagare_core::api::{TimeShare, WorkflowNumbers, WorkflowSummary, WorkflowTrend};

#[component]
pub fn Workflows() -> impl IntoView {
    let query = use_query_map();
    let scope = Memo::new(move |_| Scope::read(&query.get()));
    // The list is of every workflow in the scope: the chosen one only picks the trend.
    let list = LocalResource::new(move || {
        let mut w = scope.get().window();
        w.workflow = None;
        api::workflows(w)
    });
    let chosen = Memo::new(move |_| {
        let s = scope.get();
        (!s.repo.is_empty() && !s.workflow.is_empty()).then_some(s)
    });
    view! {
        <div class="page">
            <PageHead title=strings::PIPELINES_TITLE caption=strings::PIPELINES_CAPTION />
            <Tabs />
            <ScopeFilters scope />
            <p class="muted small">{strings::WORKFLOWS_CAPTION}</p>
            {move || chosen.get().map(|s| view! { <Trend scope=s /> })}
            {move || match list.get() {
                None => view! { <TableSkeleton columns=9 /> }.into_any(),
                Some(Err(e)) => view! {
                    <ErrorState what=strings::WHAT_WORKFLOWS error=e on_retry=move || list.refetch() />
                }
                .into_any(),
                Some(Ok(r)) if r.workflows.is_empty() => view! {
                    <EmptyState title=strings::NO_WORKFLOWS hint=strings::NO_RUNS_HINT />
                }
                .into_any(),
                Some(Ok(r)) => view! { <WorkflowTable rows=r.workflows /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn WorkflowTable(rows: Vec<WorkflowSummary>) -> impl IntoView {
    let update = use_query_updater();
    let heads = [
        (strings::COL_WORKFLOW, false),
        (strings::COL_RUNS, true),
        (strings::COL_SUCCESS_RATE, true),
        (strings::COL_FIRST_PASS, true),
        (strings::COL_DURATION_P50, true),
        (strings::COL_DURATION_P90, true),
        (strings::COL_QUEUE_P50, true),
        (strings::COL_QUEUE_P90, true),
        (strings::COL_CANCELLED, true),
    ];
    view! {
        <div class="table-wrap">
            <table class="table" data-test="workflows-table">
                <thead>
                    <tr>
                        {heads
                            .iter()
                            .map(|(h, n)| view! { <th scope="col" class:num=*n>{*h}</th> })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|w| {
                            let n = w.numbers.clone();
                            let update = update.clone();
                            let (repo, workflow) = (w.repo.clone(), w.workflow.clone());
                            let pick = move |_| {
                                update(vec![
                                    ("repo", Some(repo.clone())),
                                    ("workflow", Some(workflow.clone())),
                                ])
                            };
                            view! {
                                <tr data-test="workflow-row">
                                    <td>
                                        <button type="button" class="link" on:click=pick data-test="workflow-pick">
                                            {w.workflow.clone()}
                                        </button>
                                        <div class="muted small mono">{w.repo.clone()}</div>
                                    </td>
                                    <td class="num">{attempts(&n)}</td>
                                    <td class="num">{format::opt_percent(n.success_rate)}</td>
                                    <td class="num">{format::opt_percent(n.first_attempt_pass_rate)}</td>
                                    <td class="num">{format::opt_duration(n.duration_p50_secs)}</td>
                                    <td class="num">{format::opt_duration(n.duration_p90_secs)}</td>
                                    <td class="num">{format::opt_duration(n.queue_p50_secs)}</td>
                                    <td class="num">{format::opt_duration(n.queue_p90_secs)}</td>
                                    <td class="num">{format!("{} / {}", n.cancelled, n.skipped)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn attempts(n: &WorkflowNumbers) -> String {
    (n.success + n.failure + n.cancelled + n.skipped).to_string()
}

/// The chosen workflow, week by week.
#[component]
fn Trend(scope: Scope) -> impl IntoView {
    let w = scope.window();
    let trend = LocalResource::new(move || api::workflow_trend(w.clone()));
    let update = use_query_updater();
    let close = move |_| update(vec![("workflow", None)]);
    view! {
        <section class="panel" data-test="workflow-trend">
            <div class="panel-head">
                <h2>{format!("{} · {}", scope.workflow, scope.repo)}</h2>
                <button type="button" class="button button-small" on:click=close>{strings::CLOSE_TREND}</button>
            </div>
            {move || match trend.get() {
                None => view! { <TableSkeleton columns=4 /> }.into_any(),
                Some(Err(e)) => view! {
                    <ErrorState what=strings::WHAT_TREND error=e on_retry=move || trend.refetch() />
                }
                .into_any(),
                Some(Ok(t)) => trend_view(t).into_any(),
            }}
        </section>
    }
}

fn minutes(v: Option<f64>) -> Option<f64> {
    v.map(|s| s / 60.0)
}

fn trend_view(t: WorkflowTrend) -> impl IntoView {
    let labels: Vec<String> = t
        .weeks
        .iter()
        .map(|w| format::short_date(w.start))
        .collect();
    let titles: Vec<String> = t.weeks.iter().map(|w| format::date(w.start)).collect();
    let chart = |title: &'static str,
                 unit: &'static str,
                 lines: Vec<Line>,
                 fmt: fn(f64) -> String| {
        let svg = Chart {
            title: title.to_owned(),
            unit,
            x_labels: labels.clone(),
            x_titles: titles.clone(),
            lines,
            format: fmt,
        }
        .to_svg();
        view! {
            <figure class="trend">
                <figcaption>{title}</figcaption>
                {match svg {
                    Some(svg) => view! { <div class="trend-svg" inner_html=svg></div> }.into_any(),
                    None => view! { <p class="chart-empty muted">{strings::NO_DATA}</p> }.into_any(),
                }}
            </figure>
        }
    };
    let weeks = &t.weeks;
    let series = |f: fn(&WorkflowNumbers) -> Option<f64>| {
        weeks.iter().map(|w| f(&w.numbers)).collect::<Vec<_>>()
    };
    let fmt_min = |v: f64| format::duration(v * 60.0);
    let fmt_pct = |v: f64| format!("{v:.0} %");
    let durations = chart(
        strings::TREND_DURATION,
        strings::UNIT_MINUTES,
        vec![
            Line {
                label: strings::SERIES_P50,
                values: series(|n| minutes(n.duration_p50_secs)),
            },
            Line {
                label: strings::SERIES_P90,
                values: series(|n| minutes(n.duration_p90_secs)),
            },
        ],
        fmt_min,
    );
    let queues = chart(
        strings::TREND_QUEUE,
        strings::UNIT_MINUTES,
        vec![
            Line {
                label: strings::SERIES_P50,
                values: series(|n| minutes(n.queue_p50_secs)),
            },
            Line {
                label: strings::SERIES_P90,
                values: series(|n| minutes(n.queue_p90_secs)),
            },
        ],
        fmt_min,
    );
    let rates = chart(
        strings::TREND_RATES,
        strings::UNIT_PERCENT,
        vec![
            Line {
                label: strings::SERIES_SUCCESS,
                values: series(|n| n.success_rate.map(|r| r * 100.0)),
            },
            Line {
                label: strings::SERIES_FIRST,
                values: series(|n| n.first_attempt_pass_rate.map(|r| r * 100.0)),
            },
        ],
        fmt_pct,
    );
    let steps_caption = strings::steps_caption(t.steps_runs);
    view! {
        <h3>{strings::TREND_WEEKS}</h3>
        <div class="trend-grid">{durations}{queues}{rates}</div>
        <h3>{strings::SLOWEST_JOBS}</h3>
        <p class="muted small">{strings::SHARE_CAPTION}</p>
        {shares(t.jobs, "slowest-jobs")}
        <h3>{strings::SLOWEST_STEPS}</h3>
        <p class="muted small">{steps_caption}</p>
        {shares(t.steps, "slowest-steps")}
    }
}

fn shares(rows: Vec<TimeShare>, test: &'static str) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted">{strings::NO_DATA}</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-test=test>
                <thead>
                    <tr>
                        <th scope="col">{strings::COL_NAME}</th>
                        <th scope="col">{strings::COL_CATEGORY}</th>
                        <th scope="col" class="num">{strings::COL_COUNT}</th>
                        <th scope="col" class="num">{strings::COL_MEDIAN}</th>
                        <th scope="col" class="num">{strings::COL_P90}</th>
                        <th scope="col" class="num">{strings::COL_SHARE}</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .take(15)
                        .map(|r| view! {
                            <tr>
                                <td>{r.name}</td>
                                <td class="small">{r.category.as_deref().map(strings::category_label).unwrap_or("—").to_owned()}</td>
                                <td class="num">{r.count}</td>
                                <td class="num">{format::duration(r.median_secs)}</td>
                                <td class="num">{format::duration(r.p90_secs)}</td>
                                <td class="num">{format::opt_percent(r.share)}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
