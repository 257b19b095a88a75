//! A pull request's journey: its events in order, its stages on the way to production (as the
//! value stream counts them), its commits, the CI runs on them, its first production deployment
//! and the incidents that deployment caused.

use crate::api;
use crate::components::states::{EmptyState, ErrorState, TableSkeleton};
use crate::components::time::RelativeTime;
use crate::format;
use crate::pages::pipelines::{commit_link, outcome_badge, run_href};
use crate::pages::valuestream::{bar, Part};
use crate::strings;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use nagare_core::api::{Journey, PipelineRunRow};

#[component]
pub fn PullRequestJourney() -> impl IntoView {
    let params = use_params_map();
    let key = Memo::new(move |_| {
        let p = params.get();
        let get = |k: &str| p.get(k).unwrap_or_default();
        (get("owner"), get("name"), get("number"))
    });
    let journey = LocalResource::new(move || {
        let (owner, name, number) = key.get();
        api::journey(owner, name, number)
    });
    view! {
        <div class="page">
            <p class="crumbs">
                <a href="/value-stream" data-test="back-to-vs">{strings::VS_TITLE}</a>
            </p>
            {move || match journey.get() {
                None => view! { <TableSkeleton columns=4 /> }.into_any(),
                Some(Err(e)) if e.status == Some(404) => view! {
                    <EmptyState title=strings::JOURNEY_NOT_FOUND hint=strings::JOURNEY_NOT_FOUND_HINT />
                }
                .into_any(),
                Some(Err(e)) => view! {
                    <ErrorState what=strings::WHAT_JOURNEY error=e on_retry=move || journey.refetch() />
                }
                .into_any(),
                Some(Ok(j)) => view! { <Detail j /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn Detail(j: Journey) -> impl IntoView {
    let title = format!(
        "{} {}",
        strings::JOURNEY_TITLE,
        strings::pr_label(&j.repo, &j.id, false)
    );
    let stages = stages_view(&j);
    let events = j.events.clone();
    let commits = j.commits.clone();
    let runs = j.runs.clone();
    let incidents = j.incidents.clone();
    view! {
        <header class="page-head">
            <div>
                <h1 data-test="journey-title">{title}</h1>
                <p class="muted">
                    {strings::JOURNEY_SOURCE}" "<span class="mono">{j.source.clone()}</span>
                    {j.total_secs.map(|t| view! {
                        " · "{strings::COL_TOTAL}" "<strong data-test="journey-total" data-raw=t.to_string()>{format::duration(t)}</strong>
                    })}
                </p>
            </div>
        </header>
        <section class="panel" data-test="journey-stages">
            <h2>{strings::JOURNEY_STAGES}</h2>
            {stages}
        </section>
        <section class="panel">
            <h2>{strings::JOURNEY_EVENTS}</h2>
            <ol class="journey-events" data-test="journey-events">
                {events
                    .into_iter()
                    .map(|e| {
                        let at = match e.at {
                            Some(t) => view! {
                                <span class="mono small">{format::date_time(t)}</span>" "<RelativeTime at=t />
                            }
                            .into_any(),
                            None => view! { <span class="muted">{strings::JOURNEY_NONE}</span> }.into_any(),
                        };
                        view! {
                            <li class:missing=e.at.is_none() data-event=e.event.as_str()>
                                <strong>{strings::event_label(e.event)}</strong>" · "{at}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
        <section class="panel">
            <h2>{strings::JOURNEY_COMMITS}</h2>
            {if commits.is_empty() {
                view! { <p class="muted">{strings::JOURNEY_NONE}</p> }.into_any()
            } else {
                view! {
                    <ul class="evidence" data-test="journey-commits">
                        {commits
                            .into_iter()
                            .map(|c| view! {
                                <li>
                                    <span class="mono" title=c.sha.clone()>{format::short_sha(&c.sha)}</span>
                                    {c.authored_at.map(|t| view! { " · "<RelativeTime at=t /> })}
                                    {c.merge.then(|| view! { " · "<span class="muted small">{strings::MERGE_COMMIT}</span> })}
                                </li>
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
        <section class="panel">
            <h2>{strings::JOURNEY_RUNS}</h2>
            {runs_view(runs)}
        </section>
        <section class="panel">
            <dl class="facts" data-test="journey-deployment">
                <dt>{strings::JOURNEY_DEPLOYMENT}</dt>
                <dd class="mono">{j.deployment.clone().unwrap_or_else(|| strings::JOURNEY_NONE.to_owned())}</dd>
                <dt>{strings::JOURNEY_INCIDENTS}</dt>
                <dd data-test="journey-incidents">
                    {if incidents.is_empty() {
                        strings::JOURNEY_NONE.to_owned()
                    } else {
                        incidents.join(", ")
                    }}
                </dd>
            </dl>
        </section>
    }
}

/// Its stages as a bar (shares of its total) and a table of spans.
fn stages_view(j: &Journey) -> AnyView {
    let Some(total) = j.total_secs.filter(|t| *t > 0.0) else {
        return view! { <p class="muted">{strings::JOURNEY_NOT_DEPLOYED}</p> }.into_any();
    };
    let parts = j
        .stages
        .iter()
        .filter(|s| s.secs > 0.0)
        .map(|s| Part {
            key: s.key.clone(),
            label: s.label.clone(),
            merged: s.key.contains('+'),
            share: s.secs / total,
            bottleneck: false,
        })
        .collect();
    let rows = j.stages.clone();
    view! {
        {bar(parts, "journey-bar")}
        <div class="table-wrap">
            <table class="table" data-test="journey-stage-table">
                <thead>
                    <tr>
                        <th scope="col">{strings::COL_STAGE}</th>
                        <th scope="col">{strings::COL_FROM}</th>
                        <th scope="col">{strings::COL_TO}</th>
                        <th scope="col" class="num">{strings::COL_DURATION}</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|s| view! {
                            <tr data-test="journey-stage" data-key=s.key.clone()>
                                <td>{s.label}</td>
                                <td class="mono small">{format::date_time(s.from)}</td>
                                <td class="mono small">{format::date_time(s.to)}</td>
                                <td class="num">{format::duration(s.secs)}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

fn runs_view(runs: Vec<PipelineRunRow>) -> AnyView {
    if runs.is_empty() {
        return view! { <p class="muted">{strings::JOURNEY_NONE}</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-test="journey-runs">
                <thead>
                    <tr>
                        <th scope="col">{strings::COL_RUN_STATUS}</th>
                        <th scope="col">{strings::COL_WORKFLOW}</th>
                        <th scope="col">{strings::COL_COMMIT}</th>
                        <th scope="col" class="num">{strings::COL_ATTEMPT}</th>
                        <th scope="col" class="num">{strings::COL_JOBS}</th>
                        <th scope="col" class="num">{strings::COL_DURATION}</th>
                        <th scope="col">{strings::COL_RUN_FINISHED}</th>
                    </tr>
                </thead>
                <tbody>
                    {runs
                        .into_iter()
                        .map(|r| view! {
                            <tr data-test="journey-run">
                                <td>{outcome_badge(r.outcome)}</td>
                                <td><a href=run_href(&r.id)>{r.workflow.clone()}</a></td>
                                <td>{commit_link(r.sha.clone(), r.commit_url.clone())}</td>
                                <td class="num">{strings::attempt_label(r.attempt)}</td>
                                <td class="num">{strings::jobs_label(r.jobs, r.failed_jobs)}</td>
                                <td class="num">{format::opt_duration(r.duration_secs)}</td>
                                <td>
                                    {r.finished_at.map_or_else(
                                        || view! { <span class="muted">"—"</span> }.into_any(),
                                        |t| view! { <RelativeTime at=t /> }.into_any(),
                                    )}
                                </td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
