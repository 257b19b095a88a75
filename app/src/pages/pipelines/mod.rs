//! Pipelines: every run attempt (filtered in the URL), one attempt's jobs on a timeline, the
//! workflows week by week, and the flaky jobs. Definitions: docs/metrics.md ("Pipelines").

mod flaky;
mod run;
mod workflows;

use crate::api;
use crate::components::badges::Badge;
use crate::components::filters::{
    period_days, use_query_updater, Catalog, FilterSelect, DEFAULT_DAYS, PERIODS,
};
use crate::components::list::{col, num, Column, ListTable};
use crate::components::page::{page_param, PageHead};
use crate::components::time::RelativeTime;
use crate::format;
use crate::strings;
pub use flaky::FlakyJobs;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_query_map};
use nagare_core::api::{PipelineRunQuery, PipelineRunRow, PipelineWindowParams};
use nagare_core::pipelines::{Outcome, Trigger};
use nagare_core::Timestamp;
pub use run::RunDetail;
pub use workflows::Workflows;

const PER_PAGE: u32 = 50;
const COLUMNS: [Column; 9] = [
    col(strings::COL_RUN_STATUS),
    col(strings::COL_WORKFLOW),
    col(strings::COL_BRANCH),
    col(strings::COL_COMMIT),
    num(strings::COL_ATTEMPT),
    num(strings::COL_QUEUE),
    num(strings::COL_DURATION),
    col(strings::COL_TRIGGER),
    col(strings::COL_RUN_FINISHED),
];

/// The address of an attempt's page.
pub fn run_href(id: &str) -> String {
    format!("/pipelines/runs/{}", api::encode_component(id))
}

/// The tabs of the pipelines pages, each keeping the period and filters of the URL that apply.
#[component]
fn Tabs() -> impl IntoView {
    let location = use_location();
    let query = use_query_map();
    let tabs = [
        ("/pipelines", strings::TAB_RUNS, "tab-runs"),
        (
            "/pipelines/workflows",
            strings::TAB_WORKFLOWS,
            "tab-workflows",
        ),
        ("/pipelines/flaky", strings::TAB_FLAKY, "tab-flaky"),
    ];
    view! {
        <nav class="tabs" aria-label=strings::PIPELINES_TABS>
            {tabs
                .into_iter()
                .map(|(href, label, test)| {
                    let current = move || location.pathname.get() == href;
                    let link = move || {
                        let q = query.get();
                        let mut keep = leptos_router::params::ParamsMap::new();
                        for k in ["period", "repo", "service", "team", "workflow"] {
                            if let Some(v) = q.get(k) {
                                keep.insert(k, v);
                            }
                        }
                        format!("{href}{}", keep.to_query_string())
                    };
                    view! {
                        <a
                            href=link
                            class="tab"
                            class:active=current
                            aria-current=move || current().then_some("page")
                            data-test=test
                        >
                            {label}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}

/// The period and the team/service/repository filters of the pipelines pages.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scope {
    pub days: u32,
    pub team: String,
    pub service: String,
    pub repo: String,
    pub workflow: String,
}

impl Scope {
    pub(crate) fn read(q: &leptos_router::params::ParamsMap) -> Scope {
        let get = |k: &str| q.get(k).unwrap_or_default();
        Scope {
            days: period_days(q.get("period")),
            team: get("team"),
            service: get("service"),
            repo: get("repo"),
            workflow: get("workflow"),
        }
    }

    /// The API's window for the period, up to now.
    pub(crate) fn window(&self) -> PipelineWindowParams {
        let now = format::now_millis();
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        PipelineWindowParams {
            from: Some(Timestamp(now - i64::from(self.days) * 86_400_000)),
            to: Some(Timestamp(now)),
            repo: some(&self.repo),
            service: some(&self.service),
            team: some(&self.team),
            workflow: some(&self.workflow),
            time_zone: None,
        }
    }
}

/// The period, team and service selects, the repository box unless `no_repo`, then `children`.
#[component]
pub(crate) fn ScopeFilters(
    scope: Memo<Scope>,
    #[prop(optional)] no_repo: bool,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let catalog = Catalog::from_context();
    let update = use_query_updater();
    let set = move |key: &'static str| {
        let update = update.clone();
        move |v: String| {
            update(vec![
                (key, Some(v).filter(|v| !v.trim().is_empty())),
                ("page", None),
            ])
        }
    };
    let set_period = {
        let update = use_query_updater();
        move |v: String| {
            let days = period_days(Some(v));
            update(vec![(
                "period",
                (days != DEFAULT_DAYS).then(|| format!("{days}d")),
            )])
        }
    };
    let periods: Vec<(String, String)> = PERIODS
        .iter()
        .map(|d| (format!("{d}d"), strings::period_label(*d)))
        .collect();
    let set_repo = set("repo");
    view! {
        <div class="filters" role="group" aria-label=strings::FILTERS>
            <FilterSelect
                name="period"
                label=strings::F_PERIOD
                value=Signal::derive(move || format!("{}d", scope.get().days))
                options=periods
                on_change=set_period
            />
            <FilterSelect
                name="team"
                label=strings::F_TEAM
                value=Signal::derive(move || scope.get().team)
                options=Signal::derive(move || catalog.team_options(&scope.get().team))
                on_change=set("team")
            />
            <FilterSelect
                name="service"
                label=strings::F_SERVICE
                value=Signal::derive(move || scope.get().service)
                options=Signal::derive(move || {
                    let s = scope.get();
                    catalog.service_options(&s.team, &s.service)
                })
                on_change=set("service")
            />
            {(!no_repo).then(|| view! {
                <label class="filter" for="filter-repo">
                    <span class="filter-label">{strings::F_REPO}</span>
                    <input
                        id="filter-repo"
                        type="search"
                        data-test="filter-repo"
                        placeholder="owner/name"
                        autocomplete="off"
                        prop:value=move || scope.get().repo
                        on:change=move |ev| set_repo(event_target_value(&ev))
                    />
                </label>
            })}
            {children.map(|c| c())}
        </div>
    }
}

/// A text box for an exact-name URL filter.
#[component]
fn NameFilter(name: &'static str, label: &'static str, value: Signal<String>) -> impl IntoView {
    let update = use_query_updater();
    let id = format!("filter-{name}");
    let (for_id, input_id) = (id.clone(), id.clone());
    view! {
        <label class="filter" for=for_id>
            <span class="filter-label">{label}</span>
            <input
                id=input_id
                type="search"
                data-test=id
                placeholder=strings::F_EXACT_HINT
                autocomplete="off"
                prop:value=move || value.get()
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    update(vec![(name, Some(v).filter(|v| !v.trim().is_empty())), ("page", None)])
                }
            />
        </label>
    }
}

#[derive(Debug, Clone, PartialEq)]
struct RunFilters {
    scope: Scope,
    branch: String,
    outcome: String,
    trigger: String,
    page: u32,
}

/// The runs list.
#[component]
pub fn Pipelines() -> impl IntoView {
    let query = use_query_map();
    let scope = Memo::new(move |_| Scope::read(&query.get()));
    let filters = Memo::new(move |_| {
        let q = query.get();
        RunFilters {
            scope: scope.get(),
            branch: q.get("branch").unwrap_or_default(),
            outcome: q.get("outcome").unwrap_or_default(),
            trigger: q.get("trigger").unwrap_or_default(),
            page: page_param(&q),
        }
    });
    let list = LocalResource::new(move || {
        let f = filters.get();
        let w = f.scope.window();
        let query = api::param::<Outcome>("outcome", &f.outcome).and_then(|outcome| {
            api::param::<Trigger>("trigger", &f.trigger).map(|trigger| PipelineRunQuery {
                from: w.from,
                to: w.to,
                repo: w.repo,
                service: w.service,
                team: w.team,
                workflow: w.workflow,
                branch: Some(f.branch.trim().to_owned()).filter(|b| !b.is_empty()),
                outcome,
                trigger,
                page: f.page,
                per_page: PER_PAGE,
                ..PipelineRunQuery::default()
            })
        });
        async move {
            match query {
                Ok(q) => api::pipeline_runs(q).await,
                Err(e) => Err(e),
            }
        }
    });
    let update = use_query_updater();
    let set = move |key: &'static str| {
        let update = update.clone();
        move |v: String| {
            update(vec![
                (key, Some(v).filter(|v| !v.is_empty())),
                ("page", None),
            ])
        }
    };
    let outcomes = {
        let mut o = vec![(String::new(), strings::ALL_OUTCOMES.to_owned())];
        o.extend(Outcome::ALL.iter().map(|x| {
            (
                x.as_str().to_owned(),
                strings::run_outcome_label(*x).to_owned(),
            )
        }));
        o
    };
    let triggers = {
        let mut o = vec![(String::new(), strings::ALL_TRIGGERS.to_owned())];
        o.extend(
            Trigger::ALL
                .iter()
                .map(|x| (x.as_str().to_owned(), strings::trigger_label(*x).to_owned())),
        );
        o
    };
    let empty_title = Signal::derive(move || {
        let f = filters.get();
        let unfiltered = f.branch.is_empty()
            && f.outcome.is_empty()
            && f.trigger.is_empty()
            && f.scope.team.is_empty()
            && f.scope.service.is_empty()
            && f.scope.repo.is_empty()
            && f.scope.workflow.is_empty();
        if unfiltered && f.page == 1 {
            strings::NO_RUNS
        } else {
            strings::NO_RUNS_FILTERED
        }
    });
    view! {
        <div class="page">
            <PageHead title=strings::PIPELINES_TITLE caption=strings::PIPELINES_CAPTION>
                <a
                    class="button button-primary"
                    data-test="pipelines-run"
                    title=strings::RUN_BUTTON_PIPELINES_TITLE
                    href=move || {
                        let service = scope.get().service;
                        if service.trim().is_empty() {
                            "/runs".to_owned()
                        } else {
                            format!("/runs?service={}", api::encode_component(service.trim()))
                        }
                    }
                >
                    {strings::RUN_BUTTON_PIPELINES}
                </a>
            </PageHead>
            <Tabs />
            <ScopeFilters scope>
                <NameFilter name="workflow" label=strings::F_WORKFLOW value=Signal::derive(move || scope.get().workflow) />
                <NameFilter name="branch" label=strings::F_BRANCH value=Signal::derive(move || filters.get().branch) />
                <FilterSelect
                    name="outcome"
                    label=strings::F_OUTCOME
                    value=Signal::derive(move || filters.get().outcome)
                    options=outcomes
                    on_change=set("outcome")
                />
                <FilterSelect
                    name="trigger"
                    label=strings::F_TRIGGER
                    value=Signal::derive(move || filters.get().trigger)
                    options=triggers
                    on_change=set("trigger")
                />
            </ScopeFilters>
            <ListTable
                list
                columns=&COLUMNS
                row=|row| view! { <RunLine row /> }.into_any()
                what=strings::WHAT_RUNS
                empty_title
                empty_hint=strings::NO_RUNS_HINT
                test="runs-table"
            />
        </div>
    }
}

/// An attempt's outcome as a badge.
pub(crate) fn outcome_badge(o: Outcome) -> impl IntoView {
    view! { <Badge tone=strings::outcome_tone(o) text=strings::run_outcome_label(o).to_owned() /> }
}

/// A sha, linked to the repository's site when its address is known.
pub(crate) fn commit_link(sha: Option<String>, url: Option<String>) -> AnyView {
    let Some(sha) = sha else {
        return view! { <span class="muted">"—"</span> }.into_any();
    };
    let short = format::short_sha(&sha);
    match url {
        Some(url) => view! { <a href=url class="mono" title=sha>{short}</a> }.into_any(),
        None => view! { <span class="mono" title=sha>{short}</span> }.into_any(),
    }
}

/// A run started from the portal: who asked, linked to its run there.
pub(crate) fn portal_origin(
    portal: Option<nagare_core::api::PortalOrigin>,
) -> Option<impl IntoView> {
    portal.map(|p| {
        view! {
            <div>
                <a href=crate::pages::runs::portal_run_href(&p.run) data-test="portal-origin">
                    {strings::portal_origin(&p.requested_by)}
                </a>
            </div>
        }
    })
}

/// One attempt of the runs list.
#[component]
fn RunLine(row: PipelineRunRow) -> impl IntoView {
    let href = run_href(&row.id);
    let finished = match row.finished_at.or(row.started_at) {
        Some(t) if row.outcome != Outcome::Running => view! { <RelativeTime at=t /> }.into_any(),
        Some(t) => view! {
            <span class="muted">{strings::RUNNING_SINCE}" "<RelativeTime at=t /></span>
        }
        .into_any(),
        None => view! { <span class="muted">"—"</span> }.into_any(),
    };
    let provider = row.url.clone().map(|u| {
        view! {
            <a href=u class="external" title=strings::ON_PROVIDER aria-label=strings::ON_PROVIDER>
                "↗"
            </a>
        }
    });
    let trigger = row
        .trigger
        .clone()
        .unwrap_or_else(|| strings::trigger_label(row.trigger_kind).to_owned());
    view! {
        <tr data-test="run-row" data-outcome=row.outcome.as_str()>
            <td>{outcome_badge(row.outcome)}</td>
            <td>
                <a href=href data-test="run-link">{row.workflow.clone()}</a>
                " "
                {provider}
                <div class="muted small mono">{row.repo.clone()}</div>
            </td>
            <td class="mono small">{row.branch.clone().unwrap_or_else(|| "—".into())}</td>
            <td>{commit_link(row.sha.clone(), row.commit_url.clone())}</td>
            <td class="num">{strings::attempt_label(row.attempt)}</td>
            <td class="num">{format::opt_duration(row.queue_secs)}</td>
            <td class="num">{format::opt_duration(row.duration_secs)}</td>
            <td class="small">{trigger}{portal_origin(row.portal.clone())}</td>
            <td>{finished}</td>
        </tr>
    }
}
