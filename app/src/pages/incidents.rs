//! Incidents, newest first, with the deployment each is attributed to and its recovery time.

use crate::api;
use crate::components::badges::Badge;
use crate::components::filters::{use_query_updater, Catalog, FilterSelect};
use crate::components::list::{col, num, Column, ListTable};
use crate::components::page::{page_param, PageHead};
use crate::components::time::RelativeTime;
use crate::format;
use crate::strings;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use nagare_core::api::{Attribution, IncidentQuery, IncidentRow};

const PER_PAGE: u32 = 50;
const COLUMNS: [Column; 8] = [
    col(strings::COL_INCIDENT),
    col(strings::COL_SERVICE),
    col(strings::COL_SEVERITY),
    col(strings::COL_STARTED),
    col(strings::COL_RESOLVED),
    col(strings::COL_DEPLOYMENT),
    col(strings::COL_ATTRIBUTION),
    num(strings::COL_RECOVERY),
];

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
    let status_options = vec![
        (String::new(), strings::ALL_INCIDENTS.to_owned()),
        ("open".to_owned(), strings::OPEN_ONLY.to_owned()),
        ("resolved".to_owned(), strings::RESOLVED_ONLY.to_owned()),
    ];

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
            <ListTable
                list
                columns=&COLUMNS
                row=|row| view! { <IncidentLine row /> }.into_any()
                what=strings::WHAT_INCIDENTS
                empty_title=strings::NO_INCIDENTS
                empty_hint=strings::NO_INCIDENTS_HINT
            />
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
