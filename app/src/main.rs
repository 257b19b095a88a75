//! Nagare's web UI: the shell (header, navigation, local-mode banner) and the routes.

mod api;
mod chart;
mod components;
mod format;
mod metric;
mod pages;
mod strings;

use components::filters::Catalog;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;
use pages::deployments::Deployments;
use pages::incidents::Incidents;
use pages::not_found::NotFound;
use pages::overview::Overview;

/// One entry of the main navigation; later pages add a line here and a route below.
struct NavItem {
    href: &'static str,
    label: &'static str,
}

const NAV: [NavItem; 3] = [
    NavItem {
        href: "/",
        label: strings::NAV_OVERVIEW,
    },
    NavItem {
        href: "/deployments",
        label: strings::NAV_DEPLOYMENTS,
    },
    NavItem {
        href: "/incidents",
        label: strings::NAV_INCIDENTS,
    },
];

fn main() {
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
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
                    <Route path=path!("/deployments") view=Deployments />
                    <Route path=path!("/incidents") view=Incidents />
                </Routes>
            </main>
        </Router>
    }
}

/// Product name and the main navigation.
#[component]
fn Header() -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <img src="/favicon.svg" alt="" width="24" height="24" />
                <span class="brand-name">{strings::PRODUCT}</span>
                <span class="brand-tag">{strings::TAGLINE}</span>
            </a>
            <nav class="nav" aria-label=strings::MAIN_NAV>
                <ul>
                    {NAV
                        .iter()
                        .map(|item| {
                            view! {
                                <li>
                                    <A href=item.href exact=item.href == "/">
                                        {item.label}
                                    </A>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
        </header>
    }
}

/// Shown when the server runs without an identity provider.
#[component]
fn LocalModeBanner() -> impl IntoView {
    let session = LocalResource::new(api::session);
    move || {
        session
            .get()
            .and_then(Result::ok)
            .filter(|s| s.local_mode)
            .map(|_| {
                view! {
                    <div class="banner" role="status" data-test="local-mode-banner">
                        {strings::LOCAL_MODE_BANNER}
                    </div>
                }
            })
    }
}
