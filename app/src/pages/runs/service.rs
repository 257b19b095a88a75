//! `/services/{name}`: a service's owners and repository, its deployments, what can be run for
//! it (with Run buttons) and its recent runs from the portal.

use super::list::RecentRuns;
use super::targets::TargetGroups;
use crate::api;
use crate::components::filters::Catalog;
use crate::components::page::page_param;
use crate::components::states::{EmptyState, ErrorState, TableSkeleton};
use crate::components::time::RelativeTime;
use crate::strings;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use nagare_core::api::ServiceRow;
use nagare_core::query::{PortalRunQuery, TriggerQuery};

#[component]
pub fn ServicePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let name = Memo::new(move |_| params.get().get("name").unwrap_or_default());
    let page = Memo::new(move |_| page_param(&query.get()));
    let catalog = Catalog::from_context();
    let targets = LocalResource::new(move || {
        api::triggers(TriggerQuery {
            service: Some(name.get()),
        })
    });
    let runs = LocalResource::new(move || {
        api::portal_runs(PortalRunQuery {
            service: Some(name.get()),
            page: page.get(),
            per_page: 20,
            ..PortalRunQuery::default()
        })
    });
    let about = move || {
        match catalog.services.get() {
        None => view! { <TableSkeleton columns=4 /> }.into_any(),
        Some(Err(e)) => view! {
            <ErrorState what=strings::WHAT_SERVICE error=e on_retry=move || catalog.services.refetch() />
        }
        .into_any(),
        Some(Ok(list)) => {
            let wanted = name.get();
            match list.into_iter().find(|s| s.name == wanted) {
                Some(s) => view! { <About s /> }.into_any(),
                None => view! {
                    <h1 data-test="service-title">{wanted}</h1>
                    <EmptyState title=strings::SERVICE_NOT_FOUND hint=strings::SERVICE_NOT_FOUND_HINT />
                }
                .into_any(),
            }
        }
    }
    };
    view! {
        <div class="page service-page">
            <p class="crumbs">
                <a href="/runs" data-test="back-to-portal-runs">{strings::BACK_TO_PORTAL_RUNS}</a>
            </p>
            {about}
            <section aria-labelledby="service-targets-heading">
                <h2 class="section-title" id="service-targets-heading">{strings::SERVICE_TARGETS}</h2>
                <TargetGroups targets single_service=true />
            </section>
            <section aria-labelledby="service-runs-heading">
                <h2 class="section-title" id="service-runs-heading">{strings::SERVICE_RUNS}</h2>
                <RecentRuns runs empty_title=strings::NO_PORTAL_RUNS_FILTERED />
            </section>
        </div>
    }
}

#[component]
fn About(s: ServiceRow) -> impl IntoView {
    let q = format!("?service={}", api::encode_component(&s.name));
    let teams = if s.teams.is_empty() {
        strings::SERVICE_NONE.to_owned()
    } else {
        s.teams.join(", ")
    };
    let repo = match (s.repo.clone(), s.repo_url.clone()) {
        (Some(r), Some(url)) => {
            view! { <a href=url class="mono" rel="external">{r}" ↗"</a> }.into_any()
        }
        (Some(r), None) => view! { <span class="mono">{r}</span> }.into_any(),
        (None, _) => view! { <span class="muted">{strings::SERVICE_NONE}</span> }.into_any(),
    };
    let last = match s.last_deployed_at {
        Some(t) => view! { <RelativeTime at=t /> }.into_any(),
        None => view! { <span class="muted">{strings::SERVICE_NONE}</span> }.into_any(),
    };
    view! {
        <header class="page-head">
            <div>
                <h1 data-test="service-title">{s.name.clone()}</h1>
                <p class="muted">{strings::SERVICE_CAPTION}</p>
            </div>
            <p class="badges">
                <a class="button" href=format!("/deployments{q}") rel="external">{strings::SERVICE_SEE_DEPLOYMENTS}</a>
                <a class="button" href=format!("/pipelines{q}")>{strings::SERVICE_SEE_PIPELINES}</a>
            </p>
        </header>
        <section class="panel">
            <dl class="facts" data-test="service-facts">
                <dt>{strings::SERVICE_TEAMS}</dt>
                <dd data-test="service-teams">{teams}</dd>
                <dt>{strings::SERVICE_REPO}</dt>
                <dd data-test="service-repo">{repo}</dd>
                {s.tier.clone().map(|t| view! { <dt>{strings::SERVICE_TIER}</dt><dd>{t}</dd> })}
                <dt>{strings::SERVICE_DEPLOYMENTS}</dt>
                <dd class="num-left" data-test="service-deployments">{s.deployments}</dd>
                <dt>{strings::SERVICE_LAST_DEPLOYED}</dt>
                <dd data-test="service-last-deployed">{last}</dd>
            </dl>
        </section>
    }
}
