//! Nagare's web UI: the shell (header, navigation, local-mode banner) and the routes.

mod api;
mod chart;
mod components;
mod format;
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
use pages::deployments::Deployments;
use pages::incidents::Incidents;
use pages::not_found::NotFound;
use pages::overview::Overview;
use pages::teams::Teams;
use pages::tokens::Tokens;
use session::Session;

/// One entry of the main navigation; later pages add a line here and a route below.
struct NavItem {
    href: &'static str,
    label: &'static str,
    /// `data-test="nav-<name>"`.
    name: &'static str,
    /// Shown only to users with at least this role.
    min_role: Option<Role>,
}

const NAV: [NavItem; 6] = [
    NavItem {
        href: "/",
        label: strings::NAV_OVERVIEW,
        name: "overview",
        min_role: None,
    },
    NavItem {
        href: "/teams",
        label: strings::NAV_TEAMS,
        name: "teams",
        min_role: None,
    },
    NavItem {
        href: "/deployments",
        label: strings::NAV_DEPLOYMENTS,
        name: "deployments",
        min_role: None,
    },
    NavItem {
        href: "/incidents",
        label: strings::NAV_INCIDENTS,
        name: "incidents",
        min_role: None,
    },
    NavItem {
        href: "/admin/tokens",
        label: strings::NAV_TOKENS,
        name: "tokens",
        min_role: Some(Role::Admin),
    },
    NavItem {
        href: "/admin/audit",
        label: strings::NAV_AUDIT,
        name: "audit",
        min_role: Some(Role::Admin),
    },
];

fn main() {
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    provide_context(Session::new());
    provide_context(Catalog::new());
    view! {
        <Router>
            <a class="skip-link" href="#main">
                {strings::SKIP_TO_CONTENT}
            </a>
            <Header />
            <LocalModeBanner />
            <main id="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Overview />
                    <Route path=path!("/teams") view=Teams />
                    <Route path=path!("/deployments") view=Deployments />
                    <Route path=path!("/incidents") view=Incidents />
                    <Route path=path!("/admin") view=|| view! { <Redirect path="/admin/tokens" /> } />
                    <Route path=path!("/admin/tokens") view=|| admin(Tokens) />
                    <Route path=path!("/admin/audit") view=|| admin(Audit) />
                    <Route path=path!("/admin/*any") view=|| admin(NotFound) />
                </Routes>
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
fn Header() -> impl IntoView {
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
                                view! {
                                    <li>
                                        <A
                                            href=item.href
                                            exact=item.href == "/"
                                            attr:data-test=format!("nav-{}", item.name)
                                        >
                                            {item.label}
                                        </A>
                                    </li>
                                }
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
