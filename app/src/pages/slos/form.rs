//! `/slos/new` and `/slos/{id}/edit` (admins): an SLO's id (fixed once created), name,
//! description, service, objective in percent, window, and what its SLI counts (a ratio of two
//! queries, a latency histogram under a threshold, or pushed samples). Checked here first, with
//! each problem at its field; the server's refusal shows at the field it names. Saved, the form
//! opens the SLO.

use super::draft::Values;
use super::{objective_text, slo_href, text};
use crate::api::{self, ApiError};
use crate::components::access::{Forbidden, RequireRole};
use crate::components::filters::Catalog;
use crate::components::states::{ErrorState, TableSkeleton};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};
use leptos_router::NavigateOptions;
use nagare_core::api::Role;

/// The windows offered; any other `parse_window` reads is accepted too.
const WINDOWS: [&str; 5] = ["30d", "28d", "7d", "month", "quarter"];

/// Every field the form shows an error at, by the name the API gives it.
const FIELDS: [&str; 13] = [
    "id",
    "name",
    "description",
    "service",
    "objective",
    "window",
    "sli",
    "sli.kind",
    "sli.good",
    "sli.bad",
    "sli.total",
    "sli.histogram",
    "sli.threshold",
];

#[component]
pub fn NewSlo() -> impl IntoView {
    view! {
        <div class="page slo-form-page">
            <p class="crumbs">
                <a href="/slos" data-test="back-to-slos">{text::BACK_TO_SLOS}</a>
            </p>
            <RequireRole role=Role::Admin>
                <h1>{text::NEW_SLO_TITLE}</h1>
                <SloForm start=Values::new() editing=false />
            </RequireRole>
        </div>
    }
}

#[component]
pub fn EditSlo() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.get().get("id").unwrap_or_default());
    let detail = LocalResource::new(move || api::slo::slo(id.get(), String::new()));
    let body = move || {
        match detail.get() {
        None => view! { <TableSkeleton columns=2 /> }.into_any(),
        Some(Err(e)) if e.status == Some(404) => view! {
            <div class="state state-empty" data-test="slo-not-found">
                <h1 class="state-title">{text::slo_not_found(&id.get_untracked())}</h1>
                <p class="state-detail">{super::list::code_text(&e.message)}</p>
                <a href="/slos">{text::BACK_TO_SLOS}</a>
            </div>
        }
        .into_any(),
        Some(Err(e)) => view! {
            <ErrorState what=text::WHAT_SLO error=e on_retry=move || detail.refetch() />
        }
        .into_any(),
        Some(Ok(d)) if !d.can_edit => view! { <Forbidden required=Role::Admin /> }.into_any(),
        Some(Ok(d)) if !d.slo.editable => view! {
            <h1>{text::edit_title(&d.slo.name)}</h1>
            <div class="state state-forbidden" role="note" data-test="slo-read-only">
                <p class="state-title">{text::READ_ONLY_TITLE}</p>
                <p class="state-detail">{text::read_only_hint(&super::origin_text(&d.slo.origin))}</p>
                <a href=slo_href(&d.slo.id)>{text::BACK_TO_SLO}</a>
            </div>
        }
        .into_any(),
        Some(Ok(d)) => view! {
            <h1>{text::edit_title(&d.slo.name)}</h1>
            <SloForm start=Values::of(&d.slo) editing=true />
        }
        .into_any(),
    }
    };
    view! {
        <div class="page slo-form-page">
            <p class="crumbs">
                <a href=move || slo_href(&id.get()) data-test="back-to-slo">{text::BACK_TO_SLO}</a>
            </p>
            <RequireRole role=Role::Admin>{body}</RequireRole>
        </div>
    }
}

/// The form itself, filled with `start`.
#[component]
fn SloForm(start: Values, editing: bool) -> impl IntoView {
    let values = RwSignal::new(start);
    // Once sent, the form checks itself as it is typed in, so that a fixed field loses its error.
    let tried = RwSignal::new(false);
    let checked = Memo::new(move |_| {
        if tried.get() {
            values.with(|v| v.check().err().unwrap_or_default())
        } else {
            Vec::new()
        }
    });
    let server = RwSignal::new(None::<ApiError>);
    // The server's refusal is about what was sent: editing the form puts it away.
    Effect::new(move |_| {
        values.track();
        server.set(None);
    });
    let pending = RwSignal::new(false);
    let navigate = use_navigate();
    let catalog = Catalog::from_context();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        server.set(None);
        tried.set(true);
        let Ok(input) = values.get_untracked().check() else {
            return;
        };
        pending.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let reply = if editing {
                api::slo::update_slo(input.id.clone(), input).await
            } else {
                api::slo::create_slo(input).await
            };
            match reply {
                Ok(s) => navigate(&slo_href(&s.id), NavigateOptions::default()),
                Err(e) => {
                    server.try_set(Some(e));
                    pending.try_set(false);
                }
            }
        });
    };
    // The message at a field: the form's own check first, else the server's.
    let error_at = move |keys: &'static [&'static str]| {
        move || {
            checked
                .get()
                .into_iter()
                .find(|(f, _)| keys.contains(f))
                .map(|(_, m)| m)
                .or_else(|| {
                    server
                        .get()
                        .filter(|e| server_field(e, editing).is_some_and(|f| keys.contains(&f)))
                        .map(|e| e.message)
                })
        }
    };
    let general = move || {
        server
            .get()
            .filter(|e| !server_field(e, editing).is_some_and(|f| FIELDS.contains(&f)))
            .map(|e| e.to_string())
    };
    let set = move |f: fn(&mut Values, String)| {
        move |ev: leptos::ev::Event| values.update(|v| f(v, event_target_value(&ev)))
    };
    let get = move |f: fn(&Values) -> String| move || values.with(f);
    let kind = move || values.with(|v| v.kind.clone());
    let service_options = move || {
        let current = values.with(|v| v.service.clone());
        let mut names: Vec<String> = match catalog.services.get() {
            Some(Ok(list)) => list.into_iter().map(|s| s.name).collect(),
            _ => Vec::new(),
        };
        if !current.is_empty() && !names.contains(&current) {
            names.push(current.clone());
        }
        names
            .into_iter()
            .map(|n| {
                let selected = n == current;
                view! { <option value=n.clone() selected=selected>{n.clone()}</option> }
            })
            .collect_view()
    };
    let preview = move || {
        values.with(|v| {
            v.objective
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|p| *p > 0.0 && *p < 100.0)
                .map(|p| {
                    text::objective_preview(
                        &objective_text(p / 100.0),
                        &super::trimmed(100.0 - p, 4),
                    )
                })
        })
    };

    view! {
        <form class="panel run-form slo-form" data-test="slo-form" on:submit=submit novalidate>
            <div class="form-row">
                <Field label=text::F_ID id="slo-id" error=Signal::derive(error_at(&["id"])) help=text::H_ID>
                    <input id="slo-id" type="text" data-test="slo-id" autocomplete="off" spellcheck="false"
                        disabled=editing prop:value=get(|v| v.id.clone()) on:input=set(|v, x| v.id = x) />
                </Field>
                <Field label=text::F_NAME id="slo-name" error=Signal::derive(error_at(&["name"])) help="">
                    <input id="slo-name" type="text" data-test="slo-name"
                        prop:value=get(|v| v.name.clone()) on:input=set(|v, x| v.name = x) />
                </Field>
            </div>
            <Field label=text::F_DESCRIPTION id="slo-description" error=Signal::derive(error_at(&["description"])) help="">
                <textarea id="slo-description" rows="2" data-test="slo-description-input"
                    prop:value=get(|v| v.description.clone()) on:input=set(|v, x| v.description = x)></textarea>
            </Field>
            <div class="form-row">
                <Field label=crate::strings::F_SERVICE id="slo-service" error=Signal::derive(error_at(&["service"])) help="">
                    <select id="slo-service" data-test="slo-service-select"
                        prop:value=get(|v| v.service.clone()) on:change=set(|v, x| v.service = x)>
                        <option value="">{text::CHOOSE_SERVICE}</option>
                        {service_options}
                    </select>
                </Field>
                <Field label=text::F_OBJECTIVE id="slo-objective" error=Signal::derive(error_at(&["objective"])) help=text::H_OBJECTIVE>
                    <input id="slo-objective" type="number" step="any" min="0" max="100" data-test="slo-objective-input"
                        prop:value=get(|v| v.objective.clone()) on:input=set(|v, x| v.objective = x) />
                    <span class="muted small" data-test="slo-objective-preview">{preview}</span>
                </Field>
                <Field label=text::COL_WINDOW id="slo-window" error=Signal::derive(error_at(&["window"])) help=text::H_WINDOW>
                    <input id="slo-window" type="text" list="slo-windows" data-test="slo-window-input" autocomplete="off"
                        prop:value=get(|v| v.window.clone()) on:input=set(|v, x| v.window = x) />
                    <datalist id="slo-windows">
                        {WINDOWS.iter().map(|w| view! { <option value=*w></option> }).collect_view()}
                    </datalist>
                </Field>
            </div>
            <fieldset class="field slo-kind" aria-invalid=move || error_at(&["sli", "sli.kind"])().map(|_| "true")>
                <legend class="filter-label">{text::F_SLI}</legend>
                <div class="slo-kinds" role="radiogroup">
                    {[("ratio", text::KIND_RATIO_LONG), ("latency", text::KIND_LATENCY_LONG), ("pushed", text::KIND_PUSHED_LONG)]
                        .into_iter()
                        .map(|(k, label)| view! {
                            <label class="check">
                                <input type="radio" name="slo-kind" value=k data-test=format!("slo-kind-{k}")
                                    prop:checked=move || kind() == k
                                    on:change=move |_| values.update(|v| v.kind = k.to_owned()) />
                                {label}
                            </label>
                        })
                        .collect_view()}
                </div>
                <span class="form-error field-error" role="alert">{error_at(&["sli", "sli.kind"])}</span>
                {move || match kind().as_str() {
                    "ratio" => view! { <RatioFields values error_at=Callback::new(move |k| error_at(k)()) /> }.into_any(),
                    "latency" => view! { <LatencyFields values error_at=Callback::new(move |k| error_at(k)()) /> }.into_any(),
                    _ => view! { <p class="muted small">{super::list::code_text(text::PUSHED_NOTE)}</p> }.into_any(),
                }}
            </fieldset>
            <div class="form-actions">
                <button type="submit" class="button button-primary" data-test="slo-submit" disabled=move || pending.get()>
                    {move || if pending.get() { text::SAVING } else if editing { text::SAVE } else { text::CREATE }}
                </button>
                {move || general().map(|e| view! { <p class="form-error" role="alert" data-test="slo-form-error">{e}</p> })}
            </div>
        </form>
    }
}

/// The field a refusal is about: the one it names, or the id when a new SLO's id is taken
/// (409).
fn server_field(e: &ApiError, editing: bool) -> Option<&str> {
    match e.field.as_deref() {
        Some(f) => Some(f),
        None if e.status == Some(409) && !editing => Some("id"),
        None => None,
    }
}

/// A labelled control with its help and its error.
#[component]
fn Field(
    label: &'static str,
    id: &'static str,
    #[prop(into)] error: Signal<Option<String>>,
    help: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field" class:invalid=move || error.get().is_some()>
            <label for=id><span class="filter-label">{label}</span></label>
            {children()}
            {(!help.is_empty()).then(|| view! { <span class="muted small">{super::list::code_text(help)}</span> })}
            <span class="form-error field-error" role="alert" data-test=format!("{id}-error")>
                {move || error.get().map(|e| super::list::code_text(&e))}
            </span>
        </div>
    }
}

/// A ratio: good (or bad) events' query over total events' query.
#[component]
fn RatioFields(
    values: RwSignal<Values>,
    error_at: Callback<&'static [&'static str], Option<String>>,
) -> impl IntoView {
    let bad = move || values.with(|v| v.counts_bad);
    view! {
        <div class="slo-kinds" role="radiogroup" aria-labelledby="slo-counts-label">
            <span class="filter-label" id="slo-counts-label">{text::F_COUNTS}</span>
            <label class="check">
                <input type="radio" name="slo-counts" data-test="slo-counts-good" prop:checked=move || !bad()
                    on:change=move |_| values.update(|v| v.counts_bad = false) />
                {text::COUNTS_GOOD}
            </label>
            <label class="check">
                <input type="radio" name="slo-counts" data-test="slo-counts-bad" prop:checked=bad
                    on:change=move |_| values.update(|v| v.counts_bad = true) />
                {text::COUNTS_BAD}
            </label>
        </div>
        <Field
            label=text::F_QUERY
            id="slo-query"
            error=Signal::derive(move || error_at.run(&["sli.good", "sli.bad"]))
            help=text::H_QUERY
        >
            <textarea id="slo-query" rows="2" class="mono" data-test="slo-query" spellcheck="false"
                prop:value=move || values.with(|v| v.query.clone())
                on:input=move |ev| values.update(|v| v.query = event_target_value(&ev))></textarea>
        </Field>
        <Field label=text::F_TOTAL_QUERY id="slo-total" error=Signal::derive(move || error_at.run(&["sli.total"])) help="">
            <textarea id="slo-total" rows="2" class="mono" data-test="slo-total" spellcheck="false"
                prop:value=move || values.with(|v| v.total.clone())
                on:input=move |ev| values.update(|v| v.total = event_target_value(&ev))></textarea>
        </Field>
    }
}

/// A latency SLI: a histogram's requests under a threshold.
#[component]
fn LatencyFields(
    values: RwSignal<Values>,
    error_at: Callback<&'static [&'static str], Option<String>>,
) -> impl IntoView {
    view! {
        <Field
            label=text::F_HISTOGRAM
            id="slo-histogram"
            error=Signal::derive(move || error_at.run(&["sli.histogram"]))
            help=text::H_HISTOGRAM
        >
            <input id="slo-histogram" type="text" class="mono" data-test="slo-histogram" spellcheck="false"
                prop:value=move || values.with(|v| v.histogram.clone())
                on:input=move |ev| values.update(|v| v.histogram = event_target_value(&ev)) />
        </Field>
        <Field
            label=text::F_THRESHOLD
            id="slo-threshold"
            error=Signal::derive(move || error_at.run(&["sli.threshold"]))
            help=text::H_THRESHOLD
        >
            <input id="slo-threshold" type="text" inputmode="decimal" data-test="slo-threshold"
                prop:value=move || values.with(|v| v.threshold.clone())
                on:input=move |ev| values.update(|v| v.threshold = event_target_value(&ev)) />
        </Field>
    }
}
