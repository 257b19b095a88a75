//! Previous / next buttons for a `Page<T>`; the page number lives in the URL (`page`).

use crate::strings;
use leptos::prelude::*;

#[component]
pub fn Pager(
    page: u32,
    per_page: u32,
    total: u64,
    /// Called with the page to go to.
    on_page: impl Fn(u32) + Clone + 'static,
) -> impl IntoView {
    let first = u64::from(page.saturating_sub(1)) * u64::from(per_page) + 1;
    let last = (first + u64::from(per_page) - 1).min(total);
    let has_prev = page > 1;
    let has_next = u64::from(page) * u64::from(per_page) < total;
    let go_prev = on_page.clone();
    view! {
        <nav class="pager" aria-label=strings::PAGES>
            <span class="pager-range">{strings::page_of(first.min(total), last, total)}</span>
            <button
                type="button"
                class="button"
                disabled=!has_prev
                on:click=move |_| go_prev(page.saturating_sub(1).max(1))
            >
                {"← "}
                {strings::PREV_PAGE}
            </button>
            <button
                type="button"
                class="button"
                disabled=!has_next
                on:click=move |_| on_page(page + 1)
            >
                {strings::NEXT_PAGE}
                {" →"}
            </button>
        </nav>
    }
}
