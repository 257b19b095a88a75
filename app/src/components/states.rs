//! Loading, error and empty states, shaped like the content they stand for.

use crate::api::ApiError;
use crate::strings;
use leptos::prelude::*;

/// An error in one sentence, with the API's own message and a retry button.
#[component]
pub fn ErrorState(
    /// What failed to load ("the deployments").
    what: &'static str,
    error: ApiError,
    /// Called by the Retry button.
    on_retry: impl Fn() + 'static,
) -> impl IntoView {
    view! {
        <div class="state state-error" role="alert" data-test="error-state">
            <p class="state-title">{format!("{} {what}.", strings::ERROR_PREFIX)}</p>
            <p class="state-detail">{error.to_string()}</p>
            <button type="button" class="button" on:click=move |_| on_retry()>
                {strings::RETRY}
            </button>
        </div>
    }
}

/// Says what would fill the page, and how to get there. Text between backticks in `hint`
/// reads as code.
#[component]
pub fn EmptyState(title: &'static str, hint: &'static str) -> impl IntoView {
    let parts = hint
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                view! { <code>{part}</code> }.into_any()
            } else {
                part.into_any()
            }
        })
        .collect_view();
    view! {
        <div class="state state-empty" data-test="empty-state">
            <p class="state-title">{title}</p>
            <p class="state-detail">{parts}</p>
            <p class="state-detail">
                <a href="/api/docs" rel="external">{strings::API_REFERENCE}</a>
            </p>
        </div>
    }
}

/// Five grey cards in the grid of the real ones.
#[component]
pub fn CardsSkeleton() -> impl IntoView {
    view! {
        <div class="cards" aria-busy="true" aria-label=strings::LOADING>
            {(0..5)
                .map(|_| {
                    view! {
                        <div class="card skeleton">
                            <div class="sk sk-title"></div>
                            <div class="sk sk-value"></div>
                            <div class="sk sk-line"></div>
                            <div class="sk sk-chart"></div>
                        </div>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// Grey rows in the shape of a table.
#[component]
pub fn TableSkeleton(columns: usize) -> impl IntoView {
    view! {
        <div class="table-wrap" aria-busy="true" aria-label=strings::LOADING>
            <table class="table skeleton-table">
                <tbody>
                    {(0..8)
                        .map(|_| {
                            view! {
                                <tr>
                                    {(0..columns)
                                        .map(|_| view! { <td><div class="sk sk-cell"></div></td> })
                                        .collect_view()}
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
