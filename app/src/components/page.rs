//! What every list page shares: its heading and the page number in the URL.

use leptos::prelude::*;
use leptos_router::params::ParamsMap;

/// A page's title and one-line caption, with optional content on the right.
#[component]
pub fn PageHead(
    title: &'static str,
    caption: &'static str,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <header class="page-head">
            <div>
                <h1>{title}</h1>
                <p class="muted">{caption}</p>
            </div>
            {children.map(|c| c())}
        </header>
    }
}

/// The `page` query parameter: a whole number from 1, else 1.
pub fn page_param(q: &ParamsMap) -> u32 {
    q.get("page")
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
}
