//! The table of a list page, in every state it can be in: a loading skeleton in its shape, the
//! error with a retry, the 403 naming the role it needs, the empty state saying how to fill it,
//! and the rows with the pager (the page number lives in the URL). The deployments, incidents
//! and audit pages use it, and so will the next lists.

use crate::api::ApiResult;
use crate::components::access::Forbidden;
use crate::components::filters::use_query_updater;
use crate::components::paging::Pager;
use crate::components::states::{EmptyState, ErrorState, TableSkeleton};
use leptos::prelude::*;
use nagare_core::api::{Page, Role};

/// A column heading; numeric columns are right-aligned.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub label: &'static str,
    pub numeric: bool,
}

pub const fn col(label: &'static str) -> Column {
    Column {
        label,
        numeric: false,
    }
}

pub const fn num(label: &'static str) -> Column {
    Column {
        label,
        numeric: true,
    }
}

/// The table of `list`: each item drawn by `row` (a `<tr>`, or a `<tbody>` group when
/// `grouped`).
#[component]
pub fn ListTable<T: Clone + 'static>(
    list: LocalResource<ApiResult<Page<T>>>,
    columns: &'static [Column],
    row: fn(T) -> AnyView,
    /// What failed to load, for the error state ("the deployments").
    what: &'static str,
    /// The empty state's title (it may depend on the filters) and how to fill the list.
    #[prop(into)]
    empty_title: Signal<&'static str>,
    empty_hint: &'static str,
    /// Each item is its own `<tbody>` (rows that expand).
    #[prop(optional)]
    grouped: bool,
    /// `data-test` of the table.
    #[prop(optional)]
    test: Option<&'static str>,
) -> impl IntoView {
    let update = use_query_updater();
    let go_page = move |p: u32| update(vec![("page", (p > 1).then(|| p.to_string()))]);
    move || match list.get() {
        None => view! { <TableSkeleton columns=columns.len() /> }.into_any(),
        Some(Err(e)) if e.is_forbidden() => {
            view! { <Forbidden required=e.required_role.unwrap_or(Role::Admin) /> }.into_any()
        }
        Some(Err(e)) => {
            view! { <ErrorState what error=e on_retry=move || list.refetch() /> }.into_any()
        }
        Some(Ok(page)) if page.items.is_empty() => {
            view! { <EmptyState title=empty_title.get_untracked() hint=empty_hint /> }.into_any()
        }
        Some(Ok(page)) => {
            let rows: Vec<AnyView> = page.items.into_iter().map(row).collect();
            let table = table(columns, rows, grouped, test);
            let go_page = go_page.clone();
            view! {
                {table}
                <Pager page=page.page per_page=page.per_page total=page.total on_page=go_page />
            }
            .into_any()
        }
    }
}

/// The table itself, apart from the item type, so that it is compiled once for every list.
fn table(
    columns: &'static [Column],
    rows: Vec<AnyView>,
    grouped: bool,
    test: Option<&'static str>,
) -> AnyView {
    let head = columns
        .iter()
        .map(|c| view! { <th scope="col" class:num=c.numeric>{c.label}</th> })
        .collect_view();
    let body = if grouped {
        rows.into_any()
    } else {
        view! { <tbody>{rows}</tbody> }.into_any()
    };
    view! {
        <div class="table-wrap">
            <table class="table" data-test=test>
                <thead>
                    <tr>{head}</tr>
                </thead>
                {body}
            </table>
        </div>
    }
    .into_any()
}
