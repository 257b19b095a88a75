//! Deployments, newest first, filtered and paged by the URL; a row expands to its changes and
//! the SLOs it affected. `/deployments/{id}` is one deployment, opened.

use crate::api;
use crate::components::badges::{Badge, Chevron};
use crate::components::filters::{tier_options, use_query_updater, Catalog, FilterSelect};
use crate::components::list::{col, num, Column, ListTable};
use crate::components::page::{page_param, PageHead};
use crate::components::states::{ErrorState, TableSkeleton};
use crate::components::time::RelativeTime;
use crate::format;
use crate::pages::slos::DeploymentSlosSection;
use crate::strings;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use nagare_core::api::{ChangeRow, DeploymentQuery, DeploymentRow};
use nagare_core::events::{ChangeType, DeploymentStatus};

const PER_PAGE: u32 = 50;
const DEFAULT_TIER: &str = "production";
const COLUMNS: [Column; 8] = [
    col(strings::COL_SERVICE),
    col(strings::COL_ENVIRONMENT),
    col(strings::COL_SHA),
    col(strings::COL_FINISHED),
    num(strings::COL_CHANGES),
    num(strings::COL_LEAD_TIME),
    col(strings::COL_STATUS),
    col(strings::COL_INCIDENTS),
];

#[derive(Debug, Clone, PartialEq)]
struct Filters {
    service: String,
    /// A tier, or "all".
    tier: String,
    page: u32,
}

#[component]
pub fn Deployments() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        let q = query.get();
        Filters {
            service: q.get("service").unwrap_or_default(),
            tier: q
                .get("environment_tier")
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| DEFAULT_TIER.to_owned()),
            page: page_param(&q),
        }
    });
    let list = LocalResource::new(move || {
        let f = filters.get();
        let tier = if f.tier == "all" { "" } else { &f.tier };
        let query = api::param("environment_tier", tier).map(|environment_tier| DeploymentQuery {
            service: Some(f.service).filter(|s| !s.is_empty()),
            environment_tier,
            page: f.page,
            per_page: PER_PAGE,
            ..DeploymentQuery::default()
        });
        async move {
            match query {
                Ok(q) => api::deployments(q).await,
                Err(e) => Err(e),
            }
        }
    });

    let catalog = Catalog::from_context();
    let update = use_query_updater();
    let set = move |key: &'static str, default: &'static str| {
        let update = update.clone();
        move |v: String| update(vec![(key, (v != default).then_some(v)), ("page", None)])
    };
    let empty_title = Signal::derive(move || {
        let f = filters.get();
        if f.service.is_empty() && f.page == 1 {
            strings::NO_DEPLOYMENTS
        } else {
            strings::NO_DEPLOYMENTS_FILTERED
        }
    });

    view! {
        <div class="page">
            <PageHead title=strings::DEPLOYMENTS_TITLE caption=strings::DEPLOYMENTS_CAPTION />
            <div class="filters" role="group" aria-label=strings::FILTERS>
                <FilterSelect
                    name="service"
                    label=strings::F_SERVICE
                    value=Signal::derive(move || filters.get().service)
                    options=Signal::derive(move || {
                        catalog.service_options("", &filters.get().service)
                    })
                    on_change=set("service", "")
                />
                <FilterSelect
                    name="environment_tier"
                    label=strings::F_TIER
                    value=Signal::derive(move || filters.get().tier)
                    options=tier_options(true)
                    on_change=set("environment_tier", DEFAULT_TIER)
                />
            </div>
            <ListTable
                list
                columns=&COLUMNS
                row=|row| view! { <DeploymentGroup row /> }.into_any()
                what=strings::WHAT_DEPLOYMENTS
                empty_title
                empty_hint=strings::SEND_EVENTS_HINT
                grouped=true
            />
        </div>
    }
}

/// `/deployments/{id}`: one deployment, opened on its changes and the SLOs it affected.
#[component]
pub fn DeploymentPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.get().get("id").unwrap_or_default());
    let detail = LocalResource::new(move || api::deployment(id.get()));
    let head = || {
        COLUMNS
            .iter()
            .map(|c| view! { <th scope="col" class:num=c.numeric>{c.label}</th> })
            .collect_view()
    };
    view! {
        <div class="page">
            <p class="crumbs">
                <a href="/deployments">{strings::DEPLOYMENTS_TITLE}</a>
            </p>
            <h1 data-test="deployment-title">{move || id.get()}</h1>
            {move || match detail.get() {
                None => view! { <TableSkeleton columns=COLUMNS.len() /> }.into_any(),
                Some(Err(e)) => view! {
                    <ErrorState what=strings::WHAT_DEPLOYMENT error=e on_retry=move || detail.refetch() />
                }
                .into_any(),
                Some(Ok(d)) => view! {
                    <div class="table-wrap deployment-one">
                        <table class="table">
                            <thead>
                                <tr>{head()}</tr>
                            </thead>
                            <DeploymentGroup row=d.deployment open=true />
                        </table>
                    </div>
                }
                .into_any(),
            }}
        </div>
    }
}

/// One deployment row, and its changes below it once expanded (`open`: from the start).
#[component]
fn DeploymentGroup(row: DeploymentRow, #[prop(optional)] open: bool) -> impl IntoView {
    let open = RwSignal::new(open);
    let id = row.id.clone();
    let short = format::short_sha(&row.sha);
    let sha = match row.sha_url.clone() {
        Some(url) => view! {
            <a href=url class="mono" title=row.sha.clone() on:click=|ev| ev.stop_propagation()>
                {short}
            </a>
        }
        .into_any(),
        None => view! { <span class="mono" title=row.sha.clone()>{short}</span> }.into_any(),
    };
    let finished = row.finished_at.or(row.started_at).map_or_else(
        || view! { <span class="muted">{strings::IN_PROGRESS}</span> }.into_any(),
        |t| view! { <RelativeTime at=t /> }.into_any(),
    );
    let lead_time = if row.baseline {
        view! {
            <span class="muted" title=strings::BASELINE_TITLE>
                {strings::BASELINE}
            </span>
        }
        .into_any()
    } else {
        view! { <span>{format::opt_duration(row.lead_time)}</span> }.into_any()
    };
    let incidents = if row.incidents.is_empty() {
        view! { <span class="muted">"—"</span> }.into_any()
    } else {
        view! { <span>{row.incidents.join(", ")}</span> }.into_any()
    };
    let detail_id = format!("changes-{}", row.id);
    let toggle = move |_| open.update(|o| *o = !*o);

    view! {
        <tbody class="group" class:open=move || open.get()>
            <tr data-test="deployment-row" class="clickable" on:click=toggle>
                <td>
                    <button
                        type="button"
                        class="expand"
                        aria-expanded=move || open.get().to_string()
                        aria-controls=detail_id.clone()
                        title=strings::EXPAND_LABEL
                    >
                        <Chevron open />
                        " "
                        {row.service.clone()}
                    </button>
                </td>
                <td class="nowrap">{row.environment.clone()}</td>
                <td>{sha}</td>
                <td>{finished}</td>
                <td class="num">{row.changes}</td>
                <td class="num">{lead_time}</td>
                <td>
                    <StatusBadges row=row.clone() />
                </td>
                <td>{incidents}</td>
            </tr>
            <Show when=move || open.get()>
                <tr class="detail" id=detail_id.clone()>
                    <td colspan=COLUMNS.len().to_string()>
                        <ChangeList id=id.clone() />
                        <DeploymentSlosSection id=id.clone() />
                    </td>
                </tr>
            </Show>
        </tbody>
    }
}

/// Status, and what was derived: failure, unplanned, incomplete graph.
#[component]
fn StatusBadges(row: DeploymentRow) -> impl IntoView {
    let status = match row.status {
        DeploymentStatus::Success => ("ok", "success"),
        DeploymentStatus::Failure => ("bad", "failure"),
        DeploymentStatus::InProgress => ("info", "in progress"),
        DeploymentStatus::Cancelled => ("muted", "cancelled"),
    };
    let change = match row.change_type {
        ChangeType::Normal => None,
        ChangeType::Hotfix => Some("hotfix"),
        ChangeType::Rollback => Some("rollback"),
    };
    let reasons = (!row.failure_reasons.is_empty())
        .then(|| strings::failure_reasons(&row.failure_reasons.join("; ")));
    let recovered = row
        .recovery_time
        .map(|s| format!("{} {}", strings::RECOVERED_IN, format::duration(s)));
    let failed_title = match (reasons, recovered) {
        (Some(r), Some(t)) => Some(format!("{r} · {t}")),
        (r, t) => r.or(t),
    };
    view! {
        <span class="badges">
            <Badge tone=status.0 text=status.1.to_owned() />
            {change.map(|c| view! { <Badge tone="warn" text=c.to_owned() /> })}
            {row
                .failed
                .then(|| {
                    view! {
                        <Badge
                            tone="bad"
                            text=strings::CAUSED_FAILURE.to_owned()
                            title=failed_title.unwrap_or_default()
                        />
                    }
                })}
            {(row.unplanned && change.is_none())
                .then(|| view! { <Badge tone="warn" text=strings::UNPLANNED.to_owned() /> })}
            {row
                .incomplete_graph
                .then(|| view! { <Badge tone="muted" text=strings::INCOMPLETE_GRAPH.to_owned() /> })}
        </span>
    }
}

/// The changes a deployment shipped, loaded when it is expanded.
#[component]
fn ChangeList(id: String) -> impl IntoView {
    let detail = LocalResource::new(move || api::deployment(id.clone()));
    move || match detail.get() {
        None => view! { <div class="sk sk-line" aria-busy="true"></div> }.into_any(),
        Some(Err(e)) => view! {
            <ErrorState what=strings::WHAT_DEPLOYMENT error=e on_retry=move || detail.refetch() />
        }
        .into_any(),
        Some(Ok(d)) if d.change_list.is_empty() => {
            view! { <p class="muted">{strings::NO_CHANGES}</p> }.into_any()
        }
        Some(Ok(d)) => view! {
            <table class="table changes">
                <thead>
                    <tr>
                        <th scope="col">{strings::COL_SHA}</th>
                        <th scope="col">{strings::COL_AUTHOR}</th>
                        <th scope="col">{strings::COL_MESSAGE}</th>
                        <th scope="col">{strings::COL_AUTHORED}</th>
                        <th scope="col" class="num">{strings::COL_LEAD_TIME}</th>
                        <th scope="col">{strings::COL_PULL_REQUEST}</th>
                    </tr>
                </thead>
                <tbody>
                    {d
                        .change_list
                        .into_iter()
                        .map(|c| view! { <ChangeLine change=c /> })
                        .collect_view()}
                </tbody>
            </table>
        }
        .into_any(),
    }
}

#[component]
fn ChangeLine(change: ChangeRow) -> impl IntoView {
    let message = change
        .message
        .as_deref()
        .and_then(|m| m.lines().next())
        .unwrap_or_default()
        .to_owned();
    view! {
        <tr data-test="change-row">
            <td class="mono" title=change.sha.clone()>
                {format::short_sha(&change.sha)}
            </td>
            <td>{change.author.clone().unwrap_or_default()}</td>
            <td class="message">
                {message}
                {change
                    .from_push_list
                    .then(|| view! { <Badge tone="muted" text=strings::FROM_PUSH_LIST.to_owned() /> })}
            </td>
            <td>
                <RelativeTime at=change.authored_at />
            </td>
            <td class="num">{format::duration(change.lead_time)}</td>
            <td>{change.pull_request.clone().map(pr_link)}</td>
        </tr>
    }
}

/// A pull request (`repo#id`) linked to its journey, in the flow's bundle (a full load).
fn pr_link(pr: String) -> AnyView {
    match pr.rsplit_once('#') {
        Some((repo, id)) => view! {
            <a href=api::journey_href(repo, id) rel="external" data-test="change-pr">{pr.clone()}</a>
        }
        .into_any(),
        None => view! { <span>{pr}</span> }.into_any(),
    }
}
