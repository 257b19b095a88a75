//! Incidents, newest first, with the deployment each is attributed to and its recovery time.

use crate::api;
use crate::components::badges::Badge;
use crate::components::filters::{use_query_updater, Catalog, FilterSelect};
use crate::components::page::{page_param, PageHead};
use crate::components::paging::Pager;
use crate::components::states::{EmptyState, ErrorState, TableSkeleton};
use crate::components::time::RelativeTime;
use crate::format;
use crate::strings;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use nagare_core::api::{Attribution, IncidentQuery, IncidentRow};

const PER_PAGE: u32 = 50;
const COLUMNS: usize = 8;

#[derive(Debug, Clone, PartialEq)]
struct Filters {
    service: String,
    /// "", "open" or "resolved".
    status: String,
    page: u32,
}

#[component]
pub fn Incidents() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        let q = query.get();
        Filters {
            service: q.get("service").unwrap_or_default(),
            status: q.get("status").unwrap_or_default(),
            page: page_param(&q),
        }
    });
    let list = LocalResource::new(move || {
        let f = filters.get();
        let open = match f.status.as_str() {
            "open" => Some(true),
            "resolved" => Some(false),
            _ => None,
        };
        api::incidents(IncidentQuery {
            service: Some(f.service).filter(|s| !s.is_empty()),
            open,
            page: f.page,
            per_page: PER_PAGE,
            ..IncidentQuery::default()
        })
    });

    let catalog = Catalog::from_context();
    let update = use_query_updater();
    let set = move |key: &'static str| {
        let update = update.clone();
        move |v: String| update(vec![(key, Some(v)), ("page", None)])
    };
    let update_page = use_query_updater();
    let go_page = move |p: u32| update_page(vec![("page", (p > 1).then(|| p.to_string()))]);
    let status_options = vec![
        (String::new(), strings::ALL_INCIDENTS.to_owned()),
        ("open".to_owned(), strings::OPEN_ONLY.to_owned()),
        ("resolved".to_owned(), strings::RESOLVED_ONLY.to_owned()),
    ];

    let body = move || match list.get() {
        None => view! { <TableSkeleton columns=COLUMNS /> }.into_any(),
        Some(Err(e)) => view! {
            <ErrorState what=strings::WHAT_INCIDENTS error=e on_retry=move || list.refetch() />
        }
        .into_any(),
        Some(Ok(page)) if page.items.is_empty() => {
            view! { <EmptyState title=strings::NO_INCIDENTS hint=strings::NO_INCIDENTS_HINT /> }
                .into_any()
        }
        Some(Ok(page)) => {
            let go_page = go_page.clone();
            view! {
                <div class="table-wrap">
                    <table class="table">
                        <thead>
                            <tr>
                                <th scope="col">{strings::COL_INCIDENT}</th>
                                <th scope="col">{strings::COL_SERVICE}</th>
                                <th scope="col">{strings::COL_SEVERITY}</th>
                                <th scope="col">{strings::COL_STARTED}</th>
                                <th scope="col">{strings::COL_RESOLVED}</th>
                                <th scope="col">{strings::COL_DEPLOYMENT}</th>
                                <th scope="col">{strings::COL_ATTRIBUTION}</th>
                                <th scope="col" class="num">{strings::COL_RECOVERY}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {page
                                .items
                                .into_iter()
                                .map(|row| view! { <IncidentLine row /> })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
                <Pager page=page.page per_page=page.per_page total=page.total on_page=go_page />
            }
            .into_any()
        }
    };

    view! {
        <div class="page">
            <PageHead title=strings::INCIDENTS_TITLE caption=strings::INCIDENTS_CAPTION />
            <div class="filters" role="group" aria-label=strings::FILTERS>
                <FilterSelect
                    name="service"
                    label=strings::F_SERVICE
                    value=Signal::derive(move || filters.get().service)
                    options=Signal::derive(move || {
                        catalog.service_options("", &filters.get().service)
                    })
                    on_change=set("service")
                />
                <FilterSelect
                    name="status"
                    label=strings::F_STATUS
                    value=Signal::derive(move || filters.get().status)
                    options=status_options
                    on_change=set("status")
                />
            </div>
            {body}
        </div>
    }
}

#[component]
fn IncidentLine(row: IncidentRow) -> impl IntoView {
    let resolved = match row.resolved_at {
        Some(t) => view! { <RelativeTime at=t /> }.into_any(),
        None => view! { <Badge tone="bad" text=strings::OPEN.to_owned() /> }.into_any(),
    };
    let tone = match row.attribution {
        Attribution::Explicit | Attribution::Window => "info",
        Attribution::Excluded | Attribution::None => "muted",
    };
    let attribution = match row.attribution {
        Attribution::Explicit => "explicit",
        Attribution::Window => "window",
        Attribution::Excluded => "excluded",
        Attribution::None => "none",
    };
    view! {
        <tr data-test="incident-row">
            <td>
                <span class="mono">{row.id.clone()}</span>
                {row.title.clone().map(|t| view! { <div class="muted small">{t}</div> })}
            </td>
            <td class="nowrap">{row.service.clone()}</td>
            <td>{row.severity.clone().unwrap_or_else(|| "—".to_owned())}</td>
            <td>
                <RelativeTime at=row.started_at />
            </td>
            <td>{resolved}</td>
            <td class="mono">{row.deployment.clone().unwrap_or_else(|| "—".to_owned())}</td>
            <td>
                <Badge tone text=strings::attribution_label(attribution).to_owned() />
            </td>
            <td class="num">{format::opt_duration(row.recovery_time)}</td>
        </tr>
    }
}
