//! Nagare's web UI: the shell (header, navigation, local-mode banner) and the routes of its
//! two areas, each its own WebAssembly bundle, so that each page loads only its area's code:
//!
//! - **the portal** (`src/main.rs`, `dist/`): overview, teams, deployments, incidents, SLOs,
//!   costs;
//! - **the flow** (`src/bin/nagare-flow.rs`, `dist/flow-app/`, served for `/pipelines*`,
//!   `/value-stream`, `/pull-requests/*`, `/runs*`, `/approvals` and `/services/*`): pipeline
//!   runs, workflows, flaky jobs, the value stream, a pull request's journey, runs started from
//!   the portal with their approvals, and a service's page;
//! - **administration** (`src/bin/nagare-admin.rs`, `dist/admin-app/`, served for `/admin/*`):
//!   sources, cost sources, API tokens, the audit log.
//!
//! A link into the other area is a full page load (`rel="external"`).

mod api;
mod chart;
mod components;
mod format;
mod gantt;
mod metric;
mod pages;
mod session;
mod strings;

use components::access::{RequireRole, UserMenu};
use components::filters::Catalog;
use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes, A};
use leptos_router::path;
use nagare_core::api::Role;
use pages::audit::Audit;
use pages::costs::{CostSources, Costs};
use pages::deployments::{DeploymentPage, Deployments};
use pages::incidents::Incidents;
use pages::journey::PullRequestJourney;
use pages::not_found::NotFound;
use pages::overview::Overview;
use pages::pipelines::{FlakyJobs, Pipelines, RunDetail, Workflows};
use pages::runs::{Approvals, PortalRunPage, RunForm, Runs, ServicePage};
use pages::slos::{EditSlo, NewSlo, SloList, SloPage};
use pages::sources::Sources;
use pages::teams::Teams;
use pages::tokens::Tokens;
use pages::valuestream::ValueStream;
use session::Session;

/// Which bundle a page is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Portal,
    Flow,
    Admin,
}

/// One entry of the main navigation; later pages add a line here and a route below, in its
/// area's routes.
struct NavItem {
    href: &'static str,
    label: &'static str,
    /// `data-test="nav-<name>"`.
    name: &'static str,
    /// Shown only to users with at least this role.
    min_role: Option<Role>,
    area: Area,
}

const NAV: [NavItem; 14] = [
    NavItem {
        href: "/",
        label: strings::NAV_OVERVIEW,
        name: "overview",
        min_role: None,
        area: Area::Portal,
    },
    NavItem {
        href: "/teams",
        label: strings::NAV_TEAMS,
        name: "teams",
        min_role: None,
        area: Area::Portal,
    },
    NavItem {
        href: "/deployments",
        label: strings::NAV_DEPLOYMENTS,
        name: "deployments",
        min_role: None,
        area: Area::Portal,
    },
    NavItem {
        href: "/incidents",
        label: strings::NAV_INCIDENTS,
        name: "incidents",
        min_role: None,
        area: Area::Portal,
    },
    NavItem {
        href: "/slos",
        label: strings::slos::NAV_SLOS,
        name: "slos",
        min_role: None,
        area: Area::Portal,
    },
    NavItem {
        href: "/costs",
        label: strings::costs::NAV_COSTS,
        name: "costs",
        min_role: None,
        area: Area::Portal,
    },
    NavItem {
        href: "/pipelines",
        label: strings::NAV_PIPELINES,
        name: "pipelines",
        min_role: None,
        area: Area::Flow,
    },
    NavItem {
        href: "/value-stream",
        label: strings::NAV_VALUE_STREAM,
        name: "value-stream",
        min_role: None,
        area: Area::Flow,
    },
    NavItem {
        href: "/runs",
        label: strings::NAV_RUNS,
        name: "runs",
        min_role: None,
        area: Area::Flow,
    },
    NavItem {
        href: "/approvals",
        label: strings::NAV_APPROVALS,
        name: "approvals",
        min_role: Some(Role::Engineer),
        area: Area::Flow,
    },
    NavItem {
        href: "/admin/sources",
        label: strings::NAV_SOURCES,
        name: "sources",
        min_role: Some(Role::Admin),
        area: Area::Admin,
    },
    NavItem {
        href: "/admin/cost-sources",
        label: strings::costs::NAV_COST_SOURCES,
        name: "cost-sources",
        min_role: Some(Role::Admin),
        area: Area::Admin,
    },
    NavItem {
        href: "/admin/tokens",
        label: strings::NAV_TOKENS,
        name: "tokens",
        min_role: Some(Role::Admin),
        area: Area::Admin,
    },
    NavItem {
        href: "/admin/audit",
        label: strings::NAV_AUDIT,
        name: "audit",
        min_role: Some(Role::Admin),
        area: Area::Admin,
    },
];

/// Starts the portal's bundle.
pub fn portal() {
    leptos::mount::mount_to_body(|| {
        view! {
            <Shell area=Area::Portal>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Overview />
                    <Route path=path!("/teams") view=Teams />
                    <Route path=path!("/deployments") view=Deployments />
                    <Route path=path!("/deployments/:id") view=DeploymentPage />
                    <Route path=path!("/incidents") view=Incidents />
                    // Before `/slos/:id`: the first route that matches wins.
                    <Route path=path!("/slos") view=SloList />
                    <Route path=path!("/slos/new") view=NewSlo />
                    <Route path=path!("/slos/:id") view=SloPage />
                    <Route path=path!("/slos/:id/edit") view=EditSlo />
                    <Route path=path!("/costs") view=Costs />
                </Routes>
            </Shell>
        }
    });
}

/// Starts the flow's bundle (`/pipelines*`, `/value-stream`, `/pull-requests/*`, `/runs*`,
/// `/approvals`, `/services/*`).
pub fn flow() {
    leptos::mount::mount_to_body(|| {
        view! {
            <Shell area=Area::Flow>
                <Routes fallback=NotFound>
                    <Route path=path!("/pipelines") view=Pipelines />
                    <Route path=path!("/pipelines/workflows") view=Workflows />
                    <Route path=path!("/pipelines/flaky") view=FlakyJobs />
                    <Route path=path!("/pipelines/runs/:id") view=RunDetail />
                    <Route path=path!("/value-stream") view=ValueStream />
                    <Route path=path!("/pull-requests/:owner/:name/:number") view=PullRequestJourney />
                    <Route path=path!("/runs") view=Runs />
                    // Before `/runs/:id`: the first route that matches wins.
                    <Route path=path!("/runs/new/:target") view=RunForm />
                    <Route path=path!("/runs/:id") view=PortalRunPage />
                    <Route path=path!("/approvals") view=Approvals />
                    <Route path=path!("/services/:name") view=ServicePage />
                </Routes>
            </Shell>
        }
    });
}

/// Starts the administration's bundle (`/admin/*`).
pub fn administration() {
    leptos::mount::mount_to_body(|| {
        view! {
            <Shell area=Area::Admin>
                <Routes fallback=|| admin(NotFound)>
                    <Route path=path!("/admin") view=|| view! { <Redirect path="/admin/sources" /> } />
                    <Route path=path!("/admin/sources") view=|| admin(Sources) />
                    <Route path=path!("/admin/cost-sources") view=|| admin(CostSources) />
                    <Route path=path!("/admin/tokens") view=|| admin(Tokens) />
                    <Route path=path!("/admin/audit") view=|| admin(Audit) />
                </Routes>
            </Shell>
        }
    });
}

/// What every page has: the session, the header and navigation, the local-mode banner.
#[component]
fn Shell(area: Area, children: Children) -> impl IntoView {
    provide_context(Session::new());
    provide_context(Catalog::new());
    view! {
        <Router>
            <a class="skip-link" href="#main">
                {strings::SKIP_TO_CONTENT}
            </a>
            <Header area />
            <LocalModeBanner />
            <main id="main" tabindex="-1">
                {children()}
            </main>
        </Router>
    }
}

/// An admin page: others see the 403 state instead.
fn admin<V: IntoView + 'static>(page: fn() -> V) -> impl IntoView {
    view! {
        <RequireRole role=Role::Admin>
            {move || page()}
        </RequireRole>
    }
}

/// Product name, the main navigation (entries above the user's role left out) and the user menu.
#[component]
fn Header(area: Area) -> impl IntoView {
    let session = Session::from_context();
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <img src="/favicon.svg" alt="" width="24" height="24" />
                <span class="brand-name">{strings::PRODUCT}</span>
                <span class="brand-tag">{strings::TAGLINE}</span>
            </a>
            <nav class="nav" aria-label=strings::MAIN_NAV>
                <ul>
                    {move || {
                        let role = session.role();
                        NAV.iter()
                            .filter(|item| item.min_role.is_none_or(|min| role.is_some_and(|r| r >= min)))
                            .map(|item| {
                                let test = format!("nav-{}", item.name);
                                // A page of the other bundle: a full page load.
                                let link = if item.area == area {
                                    view! {
                                        <A href=item.href exact=item.href == "/" attr:data-test=test>
                                            {item.label}
                                        </A>
                                    }
                                        .into_any()
                                } else {
                                    view! {
                                        <a href=item.href rel="external" data-test=test>
                                            {item.label}
                                        </a>
                                    }
                                        .into_any()
                                };
                                view! { <li>{link}</li> }
                            })
                            .collect_view()
                    }}
                    // A page of the server, not of the app: `rel="external"` keeps the router
                    // from taking the click.
                    <li>
                        <a href="/api/docs" rel="external" data-test="nav-api">
                            {strings::NAV_API}
                        </a>
                    </li>
                </ul>
            </nav>
            <UserMenu />
        </header>
    }
}

/// Shown when the server runs without an identity provider.
#[component]
fn LocalModeBanner() -> impl IntoView {
    let session = Session::from_context();
    move || {
        session.info().filter(|s| s.local_mode).map(|_| {
            view! {
                <div class="banner" role="status" data-test="local-mode-banner">
                    {strings::LOCAL_MODE_BANNER}
                </div>
            }
        })
    }
}
