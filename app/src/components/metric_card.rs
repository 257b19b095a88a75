//! One DORA metric at a glance: value with unit, band, change against the previous period,
//! the numbers behind it, a weekly trend chart, and its definition on demand.

use crate::chart::Chart;
use crate::components::badges::BandBadge;
use crate::components::quick_check::ScoreBadge;
use crate::format;
use crate::metric::Metric;
use crate::strings;
use leptos::prelude::*;
use nagare_core::api::DoraReport;

/// Data that may still be loading or may have failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Pending<T> {
    Loading,
    Failed(String),
    Ready(T),
}

#[component]
pub fn MetricCard(
    metric: Metric,
    report: DoraReport,
    /// The headline of the previous period of the same length.
    #[prop(into)]
    previous: Signal<Pending<Option<f64>>>,
    /// The weekly series of the current window.
    #[prop(into)]
    series: Signal<Pending<Vec<DoraReport>>>,
) -> impl IntoView {
    let key = metric.key();
    let current = metric.headline(&report);
    let raw = format::raw(current);
    let value_text = current.map_or_else(|| strings::NO_DATA.to_owned(), |v| metric.display(v));
    let title_id = format!("title-{key}");
    let labelled_by = title_id.clone();
    let secondary = metric.secondary(&report);
    let no_deployments = report.deployment_frequency.deployments == 0;

    let delta = move || match previous.get() {
        Pending::Loading => {
            view! { <p class="delta delta-loading" data-test="delta">"…"</p> }.into_any()
        }
        Pending::Failed(_) => ().into_any(),
        Pending::Ready(prev) => match metric.delta(current, prev) {
            None => view! {
                <p class="delta delta-none" data-test="delta">{strings::NO_PREVIOUS}</p>
            }
            .into_any(),
            Some(d) => {
                let (class, verdict) = match d.good {
                    Some(true) => ("delta delta-good", strings::BETTER),
                    Some(false) => ("delta delta-bad", strings::WORSE),
                    None => ("delta delta-none", ""),
                };
                let before = prev.map(|p| metric.display(p)).unwrap_or_default();
                view! {
                    <p class=class data-test="delta" title=before>
                        <span class="delta-arrow" aria-hidden="true">{d.arrow}</span>
                        " "
                        {d.text}
                        " "
                        <strong>{verdict}</strong>
                        " "
                        <span class="muted">{strings::VS_PREVIOUS}</span>
                    </p>
                }
                .into_any()
            }
        },
    };

    let chart = move || match series.get() {
        Pending::Loading => view! { <div class="sk sk-chart" aria-hidden="true"></div> }.into_any(),
        Pending::Failed(msg) => view! { <p class="chart-empty">{msg}</p> }.into_any(),
        Pending::Ready(buckets) => {
            let chart = Chart {
                title: strings::chart_title(metric.title(), metric.unit()),
                unit: metric.unit(),
                x_labels: buckets
                    .iter()
                    .map(|b| format::short_date(b.window.from))
                    .collect(),
                x_titles: buckets
                    .iter()
                    .map(|b| format::date(b.window.from))
                    .collect(),
                lines: metric.lines(&buckets),
                format: metric.axis_format(),
            };
            let legend = (chart.lines.len() > 1).then(|| {
                chart
                    .lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        view! {
                            <li>
                                <span class=format!("swatch series-{i}") aria-hidden="true"></span>
                                {l.label}
                            </li>
                        }
                    })
                    .collect_view()
            });
            let svg = if no_deployments { None } else { chart.to_svg() };
            let empty = if no_deployments {
                strings::NO_DEPLOYMENTS.to_owned()
            } else {
                strings::chart_empty(&metric.title().to_ascii_lowercase())
            };
            match svg {
                Some(svg) => view! {
                    <figure class="trend">
                        <div class="trend-svg" inner_html=svg></div>
                        <figcaption>
                            {chart.title.clone()}
                            {legend.map(|l| view! { <ul class="legend">{l}</ul> })}
                        </figcaption>
                    </figure>
                }
                .into_any(),
                None => view! { <p class="chart-empty">{empty}</p> }.into_any(),
            }
        }
    };

    view! {
        <section class="card" data-test=format!("card-{key}") aria-labelledby=labelled_by>
            <header class="card-head">
                <h2 id=title_id>{metric.title()}</h2>
                {if let Some(qc) = &report.quick_check {
                    view! {
                        <ScoreBadge score=metric.quick_check(qc).clone() peer=qc.peer_name.clone() />
                    }
                        .into_any()
                } else if metric == Metric::ReworkRate {
                    view! {
                        <span class="band band-none" data-test="band" title=strings::REWORK_NO_BAND_TITLE>
                            {strings::REWORK_NO_BAND}
                        </span>
                    }
                        .into_any()
                } else {
                    view! { <BandBadge band=metric.band(&report) /> }.into_any()
                }}
            </header>
            <p class="value" class:value-none=current.is_none() data-test="value" data-raw=raw>
                {value_text}
            </p>
            {delta}
            <ul class="secondary">
                {secondary.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}
            </ul>
            {chart}
            <details class="definition">
                <summary>
                    <span class="info-icon" aria-hidden="true">"i"</span>
                    {strings::DEFINITION}
                </summary>
                <p>{metric.definition()}</p>
            </details>
        </section>
    }
}
