//! `/slos/{id}`: one SLO at an instant (`?at=`, else now): what it promises and where it comes
//! from, its budget in cards with the exhaustion forecast, the SLI against its objective and the
//! budget's burn-down over the window with each deployment marked, its alert conditions and
//! burn rates, and the deployments ranked by the budget they burned.

use super::chart::{Marker, TimeChart, TimePoint};
use super::tables::{AlertWindowsTable, BurnRatesTable, DeploymentsTable};
use super::{
    budget_tone, count_text, edit_href, objective_text, opt_sli_text, origin_text, percent_text,
    service_href, sli_kind, text, AlertBadge,
};
use crate::api::{self, ApiError};
use crate::components::filters::use_query_updater;
use crate::components::states::{CardsSkeleton, ErrorState, TableSkeleton};
use crate::format;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use leptos_router::NavigateOptions;
use nagare_core::api::{Exhaustion, SloDetail, SloStatus};
use nagare_core::slo::Sli;
use nagare_core::Timestamp;

#[component]
pub fn SloPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.get().get("id").unwrap_or_default());
    let at = Memo::new(move |_| query.get().get("at").unwrap_or_default());
    let detail = LocalResource::new(move || api::slo::slo(id.get(), at.get()));
    view! {
        <div class="page slo-page">
            <p class="crumbs">
                <a href="/slos" data-test="back-to-slos">{text::BACK_TO_SLOS}</a>
            </p>
            {move || match detail.get() {
                None => view! {
                    <div class="sk sk-title" aria-hidden="true"></div>
                    <CardsSkeleton />
                    <TableSkeleton columns=6 />
                }
                .into_any(),
                Some(Err(e)) if e.status == Some(404) => view! { <NotFound id=id.get_untracked() message=e.message /> }.into_any(),
                Some(Err(e)) => view! {
                    <ErrorState what=text::WHAT_SLO error=e on_retry=move || detail.refetch() />
                }
                .into_any(),
                Some(Ok(d)) => view! { <Detail d asked_at=at.get_untracked() /> }.into_any(),
            }}
        </div>
    }
}

/// No SLO by that id: say so, and lead back to the list.
#[component]
fn NotFound(id: String, message: String) -> impl IntoView {
    view! {
        <div class="state state-empty" data-test="slo-not-found">
            <h1 class="state-title">{text::slo_not_found(&id)}</h1>
            <p class="state-detail">{super::list::code_text(&message)}</p>
            <p class="state-detail">{text::SLO_NOT_FOUND_HINT}</p>
            <a href="/slos">{text::BACK_TO_SLOS}</a>
        </div>
    }
}

#[component]
fn Detail(d: SloDetail, asked_at: String) -> impl IntoView {
    let s = d.slo.clone();
    let admin = d.can_edit && s.editable;
    let description = s
        .description
        .clone()
        .filter(|t| !t.trim().is_empty())
        .map(|t| view! { <p class="slo-description" data-test="slo-description">{t}</p> });
    let at_risk = s.at_risk.then(|| {
        view! {
            <span class="badge badge-bad" data-test="at-risk" title=text::AT_RISK_TITLE>
                {text::AT_RISK}
            </span>
        }
    });
    let last_error = s.data.last_error.clone().map(|e| {
        view! { <p class="form-error" role="alert" data-test="slo-data-error">{text::data_error(&e)}</p> }
    });
    // A pushed SLI has no PromQL to write rules from (the server answers 409).
    let rules = match s.sli {
        Sli::Pushed => view! { <span class="muted">{text::NO_RULES_PUSHED}</span> }.into_any(),
        _ => view! {
            <a href=api::slo::prometheus_rules_href(&s.id) rel="external" download=format!("{}.rules.yaml", s.id) data-test="download-rules">
                {text::DOWNLOAD_RULES}
            </a>
        }
        .into_any(),
    };
    view! {
        <header class="page-head">
            <div>
                <h1 data-test="slo-title">{s.name.clone()}</h1>
                <p class="badges">
                    <AlertBadge level=s.alert />
                    {at_risk}
                    <span class="muted small mono">{s.id.clone()}</span>
                </p>
                {description}
            </div>
            <div class="slo-actions">
                <EvaluateAt at=d.at asked=!asked_at.is_empty() />
                {admin.then(|| view! { <AdminActions id=s.id.clone() /> })}
            </div>
        </header>
        {last_error}
        <section class="panel" aria-label=text::ABOUT_SLO>
            <dl class="facts" data-test="slo-facts">{facts(&d)}</dl>
            <Queries sli=s.sli.clone() />
            <p class="small slo-downloads">
                {rules}
                " · "
                <a href=api::slo::openslo_href(&s.id) rel="external" download=format!("{}.openslo.yaml", s.id) data-test="download-openslo">
                    {text::DOWNLOAD_OPENSLO}
                </a>
            </p>
        </section>
        <BudgetCards s=s.clone() />
        <Charts d=d.clone() />
        <div class="run-grid">
            <section class="panel" aria-labelledby="alerts-heading">
                <h2 id="alerts-heading">{text::ALERTS_HEADING}</h2>
                <AlertWindowsTable alerts=s.alerts.clone() />
            </section>
            <section class="panel" aria-labelledby="burns-heading">
                <h2 id="burns-heading">{text::BURNS_HEADING}</h2>
                <BurnRatesTable burns=s.burn_rates.clone() />
            </section>
        </div>
        <section aria-labelledby="deployments-heading">
            <h2 class="section-title" id="deployments-heading">{text::DEPLOYMENTS_HEADING}</h2>
            <p class="muted small">{text::deployments_caption(&super::span_text(d.attribution_secs))}</p>
            <DeploymentsTable deployments=d.deployments.clone() service=s.service.clone() />
        </section>
    }
}

/// Service, objective, window with its bounds, origin, teams, where the counts come from.
fn facts(d: &SloDetail) -> impl IntoView {
    let s = &d.slo;
    let w = &s.window;
    let window = format!(
        "{} ({}) · {} – {}",
        w.label,
        text::window_kind(&w.kind),
        format::date_time(w.start),
        format::date_time(w.end)
    );
    let teams = if s.teams.is_empty() {
        text::NONE.to_owned()
    } else {
        s.teams.join(", ")
    };
    let data = match (s.data.from, s.data.until) {
        (Some(f), Some(u)) => text::data_span(
            &text::source_label(&s.data.source),
            &format::date_time(f),
            &format::date_time(u),
        ),
        _ => text::data_none(&text::source_label(&s.data.source)),
    };
    view! {
        <dt>{crate::strings::F_SERVICE}</dt>
        <dd>
            <a href=service_href(&s.service) rel="external" data-test="slo-service">{s.service.clone()}</a>
        </dd>
        <dt>{text::COL_OBJECTIVE}</dt>
        <dd data-test="slo-objective">{objective_text(s.objective)}</dd>
        <dt>{text::COL_WINDOW}</dt>
        <dd data-test="slo-window" title=w.timezone.clone()>{window}</dd>
        <dt>{text::COL_SLI}</dt>
        <dd>{sli_kind(&s.sli)}</dd>
        <dt>{text::F_DATA}</dt>
        <dd data-test="slo-data">{data}</dd>
        <dt>{text::F_ORIGIN}</dt>
        <dd data-test="slo-origin">
            {origin_text(&s.origin)}
            {(!s.editable).then(|| view! { <span class="muted small">" · "{text::READ_ONLY}</span> })}
        </dd>
        <dt>{text::F_TEAMS}</dt>
        <dd>{teams}</dd>
        <dt>{text::F_EVALUATED_AT}</dt>
        <dd data-test="slo-at">{format::date_time(d.at)}</dd>
    }
}

/// The queries behind a ratio or latency SLI; a pushed SLI's note.
#[component]
fn Queries(sli: Sli) -> impl IntoView {
    let rows: Vec<(&'static str, String)> = match sli {
        Sli::Ratio { good, bad, total } => {
            let mut rows = Vec::new();
            if let Some(g) = good {
                rows.push((text::F_GOOD_QUERY, g));
            }
            if let Some(b) = bad {
                rows.push((text::F_BAD_QUERY, b));
            }
            rows.push((text::F_TOTAL_QUERY, total));
            rows
        }
        Sli::Latency {
            histogram,
            threshold,
        } => vec![
            (text::F_HISTOGRAM, histogram),
            (text::F_THRESHOLD, threshold),
        ],
        Sli::Pushed => {
            return view! { <p class="muted small">{super::list::code_text(text::PUSHED_NOTE)}</p> }
                .into_any()
        }
    };
    view! {
        <details class="slo-queries">
            <summary class="small">{text::SHOW_QUERIES}</summary>
            <dl class="facts small">
                {rows
                    .into_iter()
                    .map(|(label, q)| view! {
                        <dt>{label}</dt>
                        <dd><code class="mono">{q}</code></dd>
                    })
                    .collect_view()}
            </dl>
        </details>
    }
    .into_any()
}

/// The `?at=` picker: evaluate the SLO at another instant (in the user's zone), or now again.
#[component]
fn EvaluateAt(at: Timestamp, asked: bool) -> impl IntoView {
    let update = use_query_updater();
    let clear = update.clone();
    let value = format::date_time(at).replacen(' ', "T", 1);
    let on_change = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        if let Some(ms) = local_input_ms(&v) {
            update(vec![("at", Some(format::rfc3339(ms)))]);
        }
    };
    view! {
        <div class="filter slo-at">
            <label class="filter-label" for="slo-at">{text::EVALUATE_AT}</label>
            <span class="slo-at-row">
                <input id="slo-at" type="datetime-local" data-test="slo-at-input" prop:value=value on:change=on_change />
                {asked.then(|| view! {
                    <button type="button" class="button button-small" data-test="slo-at-now" on:click=move |_| clear(vec![("at", None)])>
                        {text::NOW}
                    </button>
                })}
            </span>
        </div>
    }
}

/// A `datetime-local` value (`2024-03-04T14:05`, the user's zone) as epoch milliseconds.
fn local_input_ms(v: &str) -> Option<i64> {
    if v.trim().is_empty() {
        return None;
    }
    #[cfg(target_arch = "wasm32")]
    {
        let ms = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(v)).get_time();
        (!ms.is_nan()).then_some(ms as i64)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
            .ok()
            .map(|t| t.and_utc().timestamp_millis())
    }
}

/// Edit and Delete (after a confirm) for an SLO made in the portal.
#[component]
fn AdminActions(id: String) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let navigate = use_navigate();
    let delete = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            let navigate = navigate.clone();
            pending.set(true);
            error.set(None);
            spawn_local(async move {
                match api::slo::delete_slo(id).await {
                    Ok(()) => navigate("/slos", NavigateOptions::default()),
                    Err(e) => {
                        error.try_set(Some(e));
                        pending.try_set(false);
                        confirming.try_set(false);
                    }
                }
            });
        }
    };
    view! {
        <div class="run-actions" role="group" aria-label=text::ADMIN_ACTIONS data-test="slo-admin">
            <div class="form-actions">
                <a href=edit_href(&id) class="button" data-test="slo-edit">{text::EDIT}</a>
                <Show
                    when=move || confirming.get()
                    fallback=move || view! {
                        <button type="button" class="button button-danger" data-test="slo-delete"
                            on:click=move |_| confirming.set(true)>
                            {text::DELETE}
                        </button>
                    }
                >
                    <span class="confirm" role="group">
                        <span class="small">{text::DELETE_QUESTION}</span>
                        <button type="button" class="button button-danger" data-test="slo-delete-confirm"
                            disabled=move || pending.get() on:click=delete.clone()>
                            {text::DELETE_CONFIRM}
                        </button>
                        <button type="button" class="button" on:click=move |_| confirming.set(false)>
                            {text::DELETE_KEEP}
                        </button>
                    </span>
                </Show>
            </div>
            {move || error.get().map(|e| view! {
                <p class="form-error" role="alert" data-test="slo-action-error">{e.to_string()}</p>
            })}
        </div>
    }
}

/// Budget left, consumed and allowed, the SLI, and when the budget runs out.
#[component]
fn BudgetCards(s: SloStatus) -> impl IntoView {
    let Some(b) = s.budget else {
        return view! {
            <div class="state state-empty" data-test="slo-no-events">
                <p class="state-title">{text::NO_EVENTS_TITLE}</p>
                <p class="state-detail">{super::list::code_text(text::NO_EVENTS_HINT)}</p>
            </div>
        }
        .into_any();
    };
    let tone = budget_tone(Some(b.remaining_percent));
    let card = |key: &'static str,
                title: &'static str,
                value: String,
                raw: String,
                lines: Vec<String>| {
        let title_id = format!("slo-card-{key}");
        let labelled_by = title_id.clone();
        view! {
            <section class="card" data-test=format!("slo-card-{key}") aria-labelledby=labelled_by>
                <header class="card-head"><h2 id=title_id>{title}</h2></header>
                <p class="value" data-test="value" data-raw=raw>{value}</p>
                <ul class="secondary">{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
            </section>
        }
    };
    let bad = s.total - s.good;
    view! {
        <div class="cards slo-cards">
            <section class="card" data-test="slo-card-remaining" aria-labelledby="slo-card-remaining">
                <header class="card-head">
                    <h2 id="slo-card-remaining">{text::CARD_REMAINING}</h2>
                </header>
                <p class=format!("value budget-text-{tone}") data-test="slo-remaining" data-raw=format::raw(Some(b.remaining_percent))>
                    {percent_text(b.remaining_percent)}
                </p>
                <ul class="secondary">
                    <li>{text::events_left(&count_text(b.remaining))}</li>
                </ul>
                <super::BudgetBar remaining_percent=Some(b.remaining_percent) />
            </section>
            {card(
                "consumed",
                text::CARD_CONSUMED,
                percent_text(b.consumed_percent),
                format::raw(Some(b.consumed_percent)),
                vec![text::bad_events(&count_text(b.consumed))],
            )}
            {card(
                "allowed",
                text::CARD_ALLOWED,
                count_text(b.allowed),
                format::raw(Some(b.allowed)),
                vec![text::allowed_of(&objective_text(s.objective), &count_text(s.total))],
            )}
            {card(
                "sli",
                text::CARD_SLI,
                opt_sli_text(s.sli_value),
                format::raw(s.sli_value),
                vec![
                    text::good_of(&count_text(s.good), &count_text(s.total), &count_text(bad)),
                    text::objective_is(&objective_text(s.objective)),
                ],
            )}
            <Forecast e=s.exhaustion.clone() />
        </div>
    }
    .into_any()
}

/// When the budget left runs out at the last day's and the last week's burn.
#[component]
fn Forecast(e: Exhaustion) -> impl IntoView {
    let when = |secs: Option<i64>, burn: Option<f64>| match (secs, burn) {
        (Some(0), _) => text::SPENT.to_owned(),
        (Some(s), _) => text::in_time(&format::duration(s as f64)),
        (None, Some(_)) => text::NOT_SPENDING.to_owned(),
        (None, None) => text::NO_BURN.to_owned(),
    };
    let headline = when(e.at_1d_burn_secs, e.burn_1d);
    let raw = e.at_1d_burn_secs.map(|s| s.to_string()).unwrap_or_default();
    view! {
        <section class="card" data-test="slo-card-exhaustion" aria-labelledby="slo-card-exhaustion">
            <header class="card-head"><h2 id="slo-card-exhaustion">{text::CARD_EXHAUSTION}</h2></header>
            <p class="value value-text" data-test="value" data-raw=raw>{headline}</p>
            <ul class="secondary">
                <li data-test="exhaustion-1d">{text::at_burn("1d", &super::burn_text(e.burn_1d), &when(e.at_1d_burn_secs, e.burn_1d))}</li>
                <li data-test="exhaustion-7d">{text::at_burn("7d", &super::burn_text(e.burn_7d), &when(e.at_7d_burn_secs, e.burn_7d))}</li>
            </ul>
        </section>
    }
}

/// The SLI against the objective, and the budget's burn-down, with each deployment marked.
#[component]
fn Charts(d: SloDetail) -> impl IntoView {
    let s = &d.slo;
    let step = d.series_step_secs * 1000;
    let (from, to) = (s.window.start.0, s.window.end.0);
    let markers = || {
        d.deployments
            .iter()
            .map(|b| Marker {
                at_ms: b.finished_at.0,
                title: text::marker_title(
                    &b.deployment,
                    &format::date_time(b.finished_at),
                    &super::signed_count(b.excess_bad),
                ),
                burned: super::burned(b),
            })
            .collect::<Vec<_>>()
    };
    let sli = TimeChart {
        title: text::SLI_CHART_TITLE.to_owned(),
        unit: text::UNIT_SLI,
        x_desc: text::UNIT_TIME,
        from_ms: from,
        to_ms: to,
        points: d
            .series
            .iter()
            .map(|p| TimePoint {
                at_ms: p.start.0 + step / 2,
                value: p.sli.map(|v| v * 100.0),
                title: text::sli_point(
                    &format::date_time(p.start),
                    &opt_sli_text(p.sli),
                    &count_text(p.total - p.good),
                    &count_text(p.total),
                ),
            })
            .collect(),
        reference: Some((
            s.objective * 100.0,
            text::objective_is(&objective_text(s.objective)),
        )),
        markers: markers(),
        include: Vec::new(),
        ceiling: Some(100.0),
        // Ten budgets below 100 %: the objective stays readable beside a deep dip.
        floor: Some(100.0 - 10.0 * (1.0 - s.objective) * 100.0),
    };
    let burn_down = TimeChart {
        title: text::BURNDOWN_TITLE.to_owned(),
        unit: text::UNIT_BUDGET,
        x_desc: text::UNIT_TIME,
        from_ms: from,
        to_ms: to,
        points: d
            .series
            .iter()
            .map(|p| TimePoint {
                at_ms: p.start.0 + step,
                value: p.remaining_percent,
                title: text::burn_point(
                    &format::date_time(Timestamp(p.start.0 + step)),
                    &super::opt_percent_text(p.remaining_percent),
                ),
            })
            .collect(),
        reference: Some((0.0, text::BUDGET_SPENT_LINE.to_owned())),
        markers: markers(),
        include: vec![100.0],
        ceiling: None,
        floor: None,
    };
    let figure = |test: &'static str, chart: TimeChart, caption: &'static str| {
        let svg = chart.to_svg();
        view! {
            <figure class="panel slo-chart" data-test=test>
                {match svg {
                    Some(svg) => view! { <div class="slo-chart-svg-wrap" inner_html=svg></div> }.into_any(),
                    None => view! { <p class="chart-empty">{text::CHART_EMPTY}</p> }.into_any(),
                }}
                <figcaption class="muted small">{caption}</figcaption>
            </figure>
        }
    };
    view! {
        <div class="slo-charts">
            {figure("slo-sli-chart", sli, text::SLI_CHART_CAPTION)}
            {figure("slo-burndown-chart", burn_down, text::BURNDOWN_CAPTION)}
        </div>
    }
}
