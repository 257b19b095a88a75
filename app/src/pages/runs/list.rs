//! The recent runs started from the portal, as a table: each row links to its run.

use super::{portal_run_href, service_href, status_badge};
use crate::api::ApiResult;
use crate::components::list::{col, num, Column, ListTable};
use crate::components::time::RelativeTime;
use crate::format;
use crate::strings;
use leptos::prelude::*;
use nagare_core::api::{Page, PortalRun};

const COLUMNS: [Column; 6] = [
    col(strings::COL_STATUS),
    col(strings::COL_RUN_TARGET),
    col(strings::COL_SERVICE),
    col(strings::COL_REQUESTED_BY),
    col(strings::COL_REQUESTED),
    num(strings::COL_DURATION),
];

#[component]
pub fn RecentRuns(
    runs: LocalResource<ApiResult<Page<PortalRun>>>,
    #[prop(into)] empty_title: Signal<&'static str>,
) -> impl IntoView {
    view! {
        <ListTable
            list=runs
            columns=&COLUMNS
            row=|run| view! { <RunRow run /> }.into_any()
            what=strings::WHAT_PORTAL_RUNS
            empty_title
            empty_hint=strings::NO_PORTAL_RUNS_HINT
            test="portal-runs-table"
        />
    }
}

/// A run's duration: measured once it ended, else "—".
pub fn duration_text(run: &PortalRun) -> String {
    run.duration_ms
        .map(|ms| format::duration(ms as f64 / 1000.0))
        .unwrap_or_else(|| "—".to_owned())
}

#[component]
fn RunRow(run: PortalRun) -> impl IntoView {
    let href = portal_run_href(&run.id);
    let requester = if run.requested_by_name.trim().is_empty() {
        run.requested_by.clone()
    } else {
        run.requested_by_name.clone()
    };
    view! {
        <tr data-test="portal-run-row" data-run=run.id.clone() data-status=run.status.as_str()>
            <td>{status_badge(run.status, None)}</td>
            <td>
                <a href=href data-test="portal-run-link">{run.title.clone()}</a>
                <div class="muted small mono">{run.target.clone()}</div>
            </td>
            <td>
                <a href=service_href(&run.service)>{run.service.clone()}</a>
            </td>
            <td title=run.requested_by.clone()>{requester}</td>
            <td class="nowrap">
                <RelativeTime at=run.requested_at />
            </td>
            <td class="num">{duration_text(&run)}</td>
        </tr>
    }
}
