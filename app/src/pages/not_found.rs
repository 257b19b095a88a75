//! The page for an address the app does not know.

use crate::strings;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <div class="page">
            <div class="state state-empty">
                <h1 class="state-title">{strings::NOT_FOUND_TITLE}</h1>
                <p class="state-detail">{strings::NOT_FOUND_BODY}</p>
                <A href="/">{strings::NOT_FOUND_LINK}</A>
            </div>
        </div>
    }
}
