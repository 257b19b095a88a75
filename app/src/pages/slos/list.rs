//! `/slos`: every SLO the user may see, worst remaining budget first (the server's order), with
//! its objective, window, SLI, budget left as a bar, burn rates and alert state; the team and
//! service filters live in the URL. Admins see the definition files that failed to load, and
//! the New SLO button.

use super::{
    burn_text, objective_text, service_href, sli_kind, slo_href, text, AlertBadge, BudgetBar,
};
use crate::api;
use crate::components::filters::{use_query_updater, Catalog, FilterSelect};
use crate::components::page::PageHead;
use crate::components::states::{ErrorState, TableSkeleton};
use crate::strings;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use nagare_core::api::{SloList as SloListReply, SloProblem, SloStatus};

/// The burn-rate windows the list shows, of the seven the API gives.
pub const LIST_BURNS: [&str; 4] = ["1h", "6h", "1d", "3d"];

#[derive(Debug, Clone, PartialEq)]
struct Filters {
    team: String,
    service: String,
    at: String,
}

#[component]
pub fn SloList() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        let q = query.get();
        Filters {
            team: q.get("team").unwrap_or_default(),
            service: q.get("service").unwrap_or_default(),
            at: q.get("at").unwrap_or_default(),
        }
    });
    let list = LocalResource::new(move || {
        let f = filters.get();
        api::slo::slos(f.team, f.service, f.at)
    });
    let can_edit = move || matches!(list.get(), Some(Ok(l)) if l.can_edit);

    let catalog = Catalog::from_context();
    let update = use_query_updater();
    let set = move |key: &'static str| {
        let update = update.clone();
        move |v: String| {
            let mut changes = vec![(key, Some(v))];
            if key == "team" {
                changes.push(("service", None));
            }
            update(changes);
        }
    };
    let filtered = move || {
        let f = filters.get();
        !f.team.is_empty() || !f.service.is_empty()
    };

    view! {
        <div class="page slos-page">
            <PageHead title=text::SLOS_TITLE caption=text::SLOS_CAPTION>
                {move || {
                    can_edit()
                        .then(|| {
                            view! {
                                <a href="/slos/new" class="button button-primary" data-test="new-slo">
                                    {text::NEW_SLO}
                                </a>
                            }
                        })
                }}
            </PageHead>
            <div class="filters" role="group" aria-label=strings::FILTERS>
                <FilterSelect
                    name="team"
                    label=strings::F_TEAM
                    value=Signal::derive(move || filters.get().team)
                    options=Signal::derive(move || catalog.team_options(&filters.get().team))
                    on_change=set("team")
                />
                <FilterSelect
                    name="service"
                    label=strings::F_SERVICE
                    value=Signal::derive(move || filters.get().service)
                    options=Signal::derive(move || {
                        let f = filters.get();
                        catalog.service_options(&f.team, &f.service)
                    })
                    on_change=set("service")
                />
            </div>
            {move || match list.get() {
                None => view! { <TableSkeleton columns=10 /> }.into_any(),
                Some(Err(e)) => {
                    view! { <ErrorState what=text::WHAT_SLOS error=e on_retry=move || list.refetch() /> }
                        .into_any()
                }
                Some(Ok(reply)) => view! { <Loaded reply filtered=filtered() /> }.into_any(),
            }}
        </div>
    }
}

/// The problems, then the table or the empty state.
#[component]
fn Loaded(reply: SloListReply, filtered: bool) -> impl IntoView {
    let problems = (!reply.problems.is_empty())
        .then(|| view! { <Problems problems=reply.problems.clone() /> });
    let body = if reply.slos.is_empty() && filtered {
        view! {
            <div class="state state-empty" data-test="empty-state">
                <p class="state-title">{text::NO_SLOS_FILTERED}</p>
                <p class="state-detail">{text::NO_SLOS_FILTERED_HINT}</p>
            </div>
        }
        .into_any()
    } else if reply.slos.is_empty() {
        view! { <NoSlos can_edit=reply.can_edit /> }.into_any()
    } else {
        table(reply.slos).into_any()
    };
    view! {
        {problems}
        {body}
    }
}

/// Definition files that could not be read: file · path · message (admins only).
#[component]
fn Problems(problems: Vec<SloProblem>) -> impl IntoView {
    view! {
        <section class="notice slo-problems" role="note" data-test="slo-problems">
            <p><strong>{text::problems_title(problems.len())}</strong></p>
            <ul>
                {problems
                    .into_iter()
                    .map(|p| {
                        let path = (!p.path.is_empty()).then(|| view! { " · "<code>{p.path.clone()}</code> });
                        view! {
                            <li data-test="slo-problem">
                                <span class="mono">{p.file.clone()}</span>
                                {path}
                                " · "
                                {p.message.clone()}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

/// How to get a first SLO: a definition directory, the form (admins), or pushed samples.
#[component]
fn NoSlos(can_edit: bool) -> impl IntoView {
    view! {
        <div class="state state-empty" data-test="empty-state">
            <p class="state-title">{text::NO_SLOS}</p>
            <p class="state-detail">{text::NO_SLOS_INTRO}</p>
            <ol class="state-detail slo-ways">
                <li>{code_text(text::WAY_FILES)}</li>
                <li>
                    {code_text(text::WAY_FORM)}
                    {can_edit
                        .then(|| {
                            view! {
                                " "
                                <a href="/slos/new" data-test="empty-new-slo">{text::NEW_SLO}</a>
                            }
                        })}
                </li>
                <li>{code_text(text::WAY_PUSHED)}</li>
            </ol>
            <p class="state-detail">
                {code_text(text::SLO_DOCS)}
                " · "
                <a href="/api/docs" rel="external">{strings::API_REFERENCE}</a>
            </p>
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

fn table(slos: Vec<SloStatus>) -> impl IntoView {
    let burns = LIST_BURNS
        .iter()
        .map(|w| view! { <th scope="col" class="num">{text::burn_heading(w)}</th> })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table slo-table" data-test="slo-table">
                <caption class="visually-hidden">{text::SLOS_TABLE_CAPTION}</caption>
                <thead>
                    <tr>
                        <th scope="col">{text::COL_SLO}</th>
                        <th scope="col">{strings::COL_SERVICE}</th>
                        <th scope="col" class="num">{text::COL_OBJECTIVE}</th>
                        <th scope="col">{text::COL_WINDOW}</th>
                        <th scope="col">{text::COL_SLI}</th>
                        <th scope="col">{text::COL_BUDGET_LEFT}</th>
                        {burns}
                        <th scope="col">{text::COL_ALERT}</th>
                    </tr>
                </thead>
                <tbody>{slos.into_iter().map(|slo| view! { <SloRow slo /> }).collect_view()}</tbody>
            </table>
        </div>
    }
}

/// The burn over a window the API names (`1h`), when it gave one.
pub fn burn_of(slo: &SloStatus, window: &str) -> Option<f64> {
    slo.burn_rates
        .iter()
        .find(|b| b.window == window)
        .and_then(|b| b.burn)
}

#[component]
fn SloRow(slo: SloStatus) -> impl IntoView {
    let remaining = slo.budget.map(|b| b.remaining_percent);
    let burns = LIST_BURNS
        .iter()
        .map(|w| {
            let b = burn_of(&slo, w);
            view! {
                <td class="num" class:burn-high=b.is_some_and(|b| b > 1.0) data-burn=*w>
                    {burn_text(b)}
                </td>
            }
        })
        .collect_view();
    let window_title = format!(
        "{} · {}",
        text::window_kind(&slo.window.kind),
        slo.window.timezone
    );
    view! {
        <tr data-test="slo-row" data-slo=slo.id.clone() data-at-risk=slo.at_risk.to_string()>
            <td>
                <a href=slo_href(&slo.id) data-test="slo-link">{slo.name.clone()}</a>
                <div class="muted small mono">{slo.id.clone()}</div>
            </td>
            <td>
                <a href=service_href(&slo.service) rel="external">{slo.service.clone()}</a>
            </td>
            <td class="num">{objective_text(slo.objective)}</td>
            <td title=window_title>{slo.window.label.clone()}</td>
            <td>
                {sli_kind(&slo.sli)}
                {(slo.data.source != sli_kind(&slo.sli))
                    .then(|| view! { <div class="muted small">{text::source_label(&slo.data.source)}</div> })}
            </td>
            <td>
                <BudgetBar remaining_percent=remaining />
            </td>
            {burns}
            <td>
                <AlertBadge level=slo.alert />
            </td>
        </tr>
    }
}
