//! One attempt: its outcome and times, every attempt of its run side by side, its jobs on a
//! timeline (queue time shown) with their steps, the deployment it produced and its pull
//! request.

use super::{commit_link, outcome_badge, portal_origin, run_href};
use crate::api;
use crate::components::states::{EmptyState, ErrorState, TableSkeleton};
use crate::components::time::RelativeTime;
use crate::format;
use crate::gantt::{Bar, Gantt};
use crate::strings;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use nagare_core::api::{PipelineJobRow, PipelineRunDetail, PipelineRunRow};

#[component]
pub fn RunDetail() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.get().get("id").unwrap_or_default());
    let detail = LocalResource::new(move || api::pipeline_run(id.get()));
    view! {
        <div class="page">
            <p class="crumbs">
                <a href="/pipelines" data-test="back-to-runs">{strings::BACK_TO_RUNS}</a>
            </p>
            {move || match detail.get() {
                None => view! { <TableSkeleton columns=5 /> }.into_any(),
                Some(Err(e)) if e.status == Some(404) => view! {
                    <EmptyState title=strings::RUN_NOT_FOUND hint=strings::RUN_NOT_FOUND_HINT />
                }
                .into_any(),
                Some(Err(e)) => view! {
                    <ErrorState what=strings::WHAT_RUN error=e on_retry=move || detail.refetch() />
                }
                .into_any(),
                Some(Ok(d)) => view! { <Detail d /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn Detail(d: PipelineRunDetail) -> impl IntoView {
    let r = d.run.clone();
    let title = format!("{} · {}", r.workflow, r.repo);
    let facts = facts(&d);
    let gantt = timeline(&d);
    let attempts = d.attempts.clone();
    let this = r.id.clone();
    let jobs = d.job_list.clone();
    view! {
        <header class="page-head">
            <div>
                <h1 data-test="run-title">{title}</h1>
                <p class="muted">
                    {outcome_badge(r.outcome)}
                    " "
                    {strings::attempt_label(r.attempt)}
                    " · "
                    {r.branch.clone().unwrap_or_default()}
                    " · "
                    {commit_link(r.sha.clone(), r.commit_url.clone())}
                    {r.url.clone().map(|u| view! {
                        " · "
                        <a href=u class="external">{strings::ON_PROVIDER}" ↗"</a>
                    })}
                </p>
            </div>
        </header>
        <section class="panel">
            <dl class="facts" data-test="run-facts">{facts}</dl>
        </section>
        <section class="panel" data-test="run-attempts">
            <h2>{strings::RUN_ATTEMPTS}</h2>
            <div class="table-wrap">
                <table class="table">
                    <thead>
                        <tr>
                            <th scope="col">{strings::COL_ATTEMPT}</th>
                            <th scope="col">{strings::COL_RUN_STATUS}</th>
                            <th scope="col" class="num">{strings::COL_QUEUE}</th>
                            <th scope="col" class="num">{strings::COL_DURATION}</th>
                            <th scope="col">{strings::COL_RUN_FINISHED}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {attempts.into_iter().map(|a| attempt_row(a, &this)).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <section class="panel" data-test="run-jobs">
            <h2>{strings::RUN_TIMELINE}</h2>
            <p class="muted small">{strings::RUN_TIMELINE_CAPTION}</p>
            {gantt}
            {if jobs.is_empty() {
                view! { <p class="muted">{strings::NO_JOBS}</p> }.into_any()
            } else {
                jobs.into_iter().map(|j| view! { <JobSteps j /> }).collect_view().into_any()
            }}
        </section>
    }
}

/// The attempt's facts: times, queue, trigger, deployment and pull request.
fn facts(d: &PipelineRunDetail) -> impl IntoView {
    let r = &d.run;
    let time = |t: Option<nagare_core::Timestamp>| match t {
        Some(t) => view! { <RelativeTime at=t /> }.into_any(),
        None => view! { <span class="muted">"—"</span> }.into_any(),
    };
    let deployment = match &d.deployment {
        Some(id) => {
            view! { <span class="mono" data-test="run-deployment">{id.clone()}</span> }.into_any()
        }
        None => view! { <span class="muted">{strings::RUN_NONE}</span> }.into_any(),
    };
    let pr = match &d.pull_request {
        Some(p) => view! {
            <a href=api::journey_href(&p.repo, &p.id) data-test="run-pull-request">
                {strings::pr_label(&p.repo, &p.id, p.merge)}
            </a>
        }
        .into_any(),
        None => view! { <span class="muted">{strings::RUN_NONE}</span> }.into_any(),
    };
    let trigger = r
        .trigger
        .clone()
        .unwrap_or_else(|| strings::trigger_label(r.trigger_kind).to_owned());
    view! {
        <dt>{strings::COL_RUN_STATUS}</dt>
        <dd>{r.conclusion.clone().unwrap_or_else(|| r.status.clone())}</dd>
        <dt>{strings::COL_QUEUE}</dt>
        <dd data-test="run-queue">{format::opt_duration(r.queue_secs)}</dd>
        <dt>{strings::COL_DURATION}</dt>
        <dd data-test="run-duration">{format::opt_duration(r.duration_secs)}</dd>
        <dt>{strings::COL_RUN_FINISHED}</dt>
        <dd>{time(r.finished_at.or(r.started_at))}</dd>
        <dt>{strings::COL_TRIGGER}</dt>
        <dd>{trigger}{portal_origin(r.portal.clone())}</dd>
        <dt>{strings::RUN_DEPLOYMENT}</dt>
        <dd>{deployment}</dd>
        <dt>{strings::RUN_PULL_REQUEST}</dt>
        <dd>{pr}</dd>
    }
}

fn attempt_row(a: PipelineRunRow, this: &str) -> impl IntoView {
    let current = a.id == this;
    let label = strings::attempt_label(a.attempt);
    let link = if current {
        view! { <strong>{label}" "<span class="muted small">{strings::THIS_ATTEMPT}</span></strong> }.into_any()
    } else {
        view! { <a href=run_href(&a.id)>{label}</a> }.into_any()
    };
    let finished = match a.finished_at.or(a.started_at) {
        Some(t) => view! { <RelativeTime at=t /> }.into_any(),
        None => view! { <span class="muted">"—"</span> }.into_any(),
    };
    view! {
        <tr data-test="attempt-row" class:current=current>
            <td>{link}</td>
            <td>{outcome_badge(a.outcome)}</td>
            <td class="num">{format::opt_duration(a.queue_secs)}</td>
            <td class="num">{format::opt_duration(a.duration_secs)}</td>
            <td>{finished}</td>
        </tr>
    }
}

/// The jobs' Gantt chart: from the first job's creation, each job's queue and run.
fn timeline(d: &PipelineRunDetail) -> Option<impl IntoView> {
    let origin = d
        .job_list
        .iter()
        .filter_map(|j| j.created_at.or(j.started_at))
        .min()?;
    let bars: Vec<Bar> = d
        .job_list
        .iter()
        .map(|j| {
            let at =
                |t: Option<nagare_core::Timestamp>| t.map(|t| (t.0 - origin.0) as f64 / 60_000.0);
            Bar {
                label: j.name.clone(),
                category: j.category.clone(),
                queued: at(j.created_at),
                started: at(j.started_at),
                finished: at(j.finished_at),
                title: format!(
                    "{} ({}): {} queued, ran {}",
                    j.name,
                    strings::category_label(&j.category),
                    format::opt_duration(j.queue_secs),
                    format::opt_duration(j.duration_secs)
                ),
            }
        })
        .collect();
    let legend = crate::gantt::legend_html(&bars, strings::QUEUE_LEGEND, strings::category_label);
    let svg = Gantt {
        title: strings::gantt_title(&d.run.workflow),
        axis: strings::GANTT_AXIS,
        bars,
    }
    .to_svg()?;
    Some(view! {
        <div class="gantt" data-test="gantt" inner_html=svg></div>
        <div inner_html=legend></div>
    })
}

/// A job's steps, below its name.
#[component]
fn JobSteps(j: PipelineJobRow) -> impl IntoView {
    let steps = j.steps.clone();
    view! {
        <details class="job-steps" data-test="job">
            <summary>
                {outcome_badge(j.outcome)}
                " "
                <strong>{j.name.clone()}</strong>
                " "
                <span class="muted small">
                    {strings::category_label(&j.category).to_owned()}
                    " · "
                    {format::opt_duration(j.duration_secs)}
                </span>
            </summary>
            {if steps.is_empty() {
                view! { <p class="muted small">{strings::NO_STEPS}</p> }.into_any()
            } else {
                view! {
                    <ol class="steps">
                        {steps
                            .into_iter()
                            .map(|s| view! {
                                <li data-test="step">
                                    {outcome_badge(s.outcome)}
                                    " "
                                    {s.name}
                                    " "
                                    <span class="muted small num">{format::opt_duration(s.duration_secs)}</span>
                                </li>
                            })
                            .collect_view()}
                    </ol>
                }
                .into_any()
            }}
        </details>
    }
}
