//! Flaky jobs of the period, most occurrences first; a row expands to its evidence: the
//! attempts in which it failed and the one in which it then passed, on the same commit.

use super::{run_href, Scope, ScopeFilters, Tabs};
use crate::api;
use crate::components::badges::Chevron;
use crate::components::page::PageHead;
use crate::components::states::{EmptyState, ErrorState, TableSkeleton};
use crate::components::time::RelativeTime;
use crate::format;
use crate::strings;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use nagare_core::api::FlakyJob;

#[component]
pub fn FlakyJobs() -> impl IntoView {
    let query = use_query_map();
    let scope = Memo::new(move |_| Scope::read(&query.get()));
    let report = LocalResource::new(move || api::flaky_jobs(scope.get().window()));
    view! {
        <div class="page">
            <PageHead title=strings::PIPELINES_TITLE caption=strings::PIPELINES_CAPTION />
            <Tabs />
            <ScopeFilters scope />
            <p class="muted small">{strings::FLAKY_CAPTION}</p>
            {move || match report.get() {
                None => view! { <TableSkeleton columns=7 /> }.into_any(),
                Some(Err(e)) => view! {
                    <ErrorState what=strings::WHAT_FLAKY error=e on_retry=move || report.refetch() />
                }
                .into_any(),
                Some(Ok(r)) if r.jobs.is_empty() => view! {
                    <EmptyState title=strings::NO_FLAKY hint=strings::NO_FLAKY_HINT />
                }
                .into_any(),
                Some(Ok(r)) => view! {
                    {(r.jobs_total > r.jobs.len() as u64)
                        .then(|| view! { <p class="muted small">{strings::flaky_first(r.jobs.len(), r.jobs_total)}</p> })}
                    <div class="table-wrap">
                        <table class="table" data-test="flaky-table">
                            <thead>
                                <tr>
                                    <th scope="col">{strings::COL_JOB}</th>
                                    <th scope="col">{strings::COL_WORKFLOW}</th>
                                    <th scope="col" class="num">{strings::COL_OCCURRENCES}</th>
                                    <th scope="col" class="num">{strings::COL_FAILED_ATTEMPTS}</th>
                                    <th scope="col" class="num">{strings::COL_TIME_LOST}</th>
                                    <th scope="col" class="num">{strings::COL_JOB_TIME}</th>
                                    <th scope="col">{strings::COL_LAST_SEEN}</th>
                                </tr>
                            </thead>
                            {r.jobs.into_iter().map(|j| view! { <FlakyGroup j /> }).collect_view()}
                        </table>
                    </div>
                }
                .into_any(),
            }}
        </div>
    }
}

#[component]
fn FlakyGroup(j: FlakyJob) -> impl IntoView {
    let open = RwSignal::new(false);
    let toggle = move |_| open.update(|o| *o = !*o);
    let evidence = j.evidence.clone();
    view! {
        <tbody class="group" class:open=move || open.get()>
            <tr data-test="flaky-row" class="clickable" on:click=toggle>
                <td>
                    <button type="button" class="expand" aria-expanded=move || open.get().to_string()>
                        <Chevron open />
                        " "
                        <strong>{j.job.clone()}</strong>
                    </button>
                </td>
                <td>
                    {j.workflow.clone()}
                    <div class="muted small mono">{j.repo.clone()}</div>
                </td>
                <td class="num" data-test="flaky-occurrences">{j.occurrences}</td>
                <td class="num">{j.failed_attempts}</td>
                <td class="num">{format::duration(j.time_lost_secs)}</td>
                <td class="num">{format::duration(j.failed_job_secs)}</td>
                <td><RelativeTime at=j.last_seen /></td>
            </tr>
            <Show when=move || open.get()>
                <tr class="detail">
                    <td colspan="7">
                        <p class="muted small">{strings::EVIDENCE}</p>
                        <ul class="evidence" data-test="flaky-evidence">
                            {evidence
                                .clone()
                                .into_iter()
                                .map(|e| {
                                    let failed = e
                                        .failed
                                        .iter()
                                        .map(|id| view! { <a href=run_href(id) class="mono">{id.clone()}</a>" " })
                                        .collect_view();
                                    view! {
                                        <li>
                                            <span class="mono">{strings::evidence_line(&format::short_sha(&e.sha), e.failed.len())}</span>
                                            " · "{strings::FAILED_IN}" "{failed}
                                            "· "{strings::PASSED_IN}" "
                                            <a href=run_href(&e.passed) class="mono">{e.passed.clone()}</a>
                                            " · "<RelativeTime at=e.passed_at />
                                            " · "{format::duration(e.time_lost_secs)}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </td>
                </tr>
            </Show>
        </tbody>
    }
}
