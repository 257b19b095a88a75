//! Runs started from the portal: what the user may run, grouped by service (`/runs`, filtered
//! by `?service=`), the form of one target (`/runs/new/{target}`), a run with its live log
//! (`/runs/{id}`), the approvals queue (`/approvals`) and a service's page
//! (`/services/{name}`). The server decides what the user may do: each target and run carries
//! its `verbs`, and a button shows only for a verb that is there.

mod actions;
mod approval;
mod approvals;
mod form;
mod inputs;
mod list;
mod log;
mod run;
mod service;
mod targets;

use crate::api;
use crate::components::filters::{use_query_updater, Catalog, FilterSelect};
use crate::components::page::{page_param, PageHead};
use crate::strings;
pub use approvals::Approvals;
pub use form::RunForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use list::RecentRuns;
use nagare_core::api::{RunStatus, TargetKind};
use nagare_core::events::EnvironmentTier;
use nagare_core::query::{PortalRunQuery, TriggerQuery};
pub use run::PortalRunPage;
pub use service::ServicePage;
use targets::TargetGroups;

const PER_PAGE: u32 = 25;

/// The address of a run's page.
pub fn portal_run_href(id: &str) -> String {
    format!("/runs/{}", api::encode_component(id))
}

/// The address of a target's form.
pub fn form_href(target: &str) -> String {
    format!("/runs/new/{}", api::encode_component(target))
}

/// The address of a service's page.
pub fn service_href(name: &str) -> String {
    format!("/services/{}", api::encode_component(name))
}

/// Some text, unless it is blank.
fn some(text: String) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// A run's status: a coloured badge that always says it in words (`data-status`: its wire
/// name).
pub fn status_badge(status: RunStatus, test: Option<&'static str>) -> impl IntoView {
    let tone = match status {
        RunStatus::AwaitingApproval => "warn",
        RunStatus::Queued | RunStatus::Running => "info",
        RunStatus::Succeeded => "ok",
        RunStatus::Failed | RunStatus::TimedOut | RunStatus::Rejected => "bad",
        RunStatus::Cancelled | RunStatus::Expired => "muted",
    };
    let mark = match status {
        RunStatus::AwaitingApproval => "‖",
        RunStatus::Queued => "…",
        RunStatus::Running => "▶",
        RunStatus::Succeeded => "✓",
        RunStatus::Failed | RunStatus::TimedOut | RunStatus::Rejected => "✗",
        RunStatus::Cancelled | RunStatus::Expired => "–",
    };
    view! {
        <span
            class=format!("badge badge-{tone} run-status")
            data-test=test
            data-status=status.as_str()
            title=strings::status_title(status)
        >
            <span aria-hidden="true">{mark}" "</span>
            {strings::status_label(status)}
        </span>
    }
}

/// What a target starts, as a plain badge.
pub fn kind_badge(kind: TargetKind) -> impl IntoView {
    view! {
        <span class="badge badge-muted kind-badge" data-test="kind-badge" data-kind=kind.as_str()>
            {strings::kind_label(kind)}
        </span>
    }
}

/// The environment a target acts on, with its tier when it says more; production stands out.
pub fn environment_badge(
    environment: Option<String>,
    tier: Option<EnvironmentTier>,
) -> Option<impl IntoView> {
    if environment.is_none() && tier.is_none() {
        return None;
    }
    let tone = if tier == Some(EnvironmentTier::Production) {
        "warn"
    } else {
        "info"
    };
    let tier_text = tier.map(strings::tier_label);
    let text = match (environment, tier_text) {
        (Some(e), Some(t)) if e.eq_ignore_ascii_case(t) => e,
        (Some(e), Some(t)) => format!("{e} · {t}"),
        (Some(e), None) => e,
        (None, Some(t)) => t.to_owned(),
        (None, None) => String::new(),
    };
    Some(view! {
        <span class=format!("badge badge-{tone}") data-test="environment-badge">
            {text}
        </span>
    })
}

/// `/runs`: the targets by service, then the recent runs; `?service=` filters both.
#[component]
pub fn Runs() -> impl IntoView {
    let query = use_query_map();
    let service = Memo::new(move |_| query.get().get("service").unwrap_or_default());
    let page = Memo::new(move |_| page_param(&query.get()));
    let targets = LocalResource::new(move || {
        api::triggers(TriggerQuery {
            service: some(service.get()),
        })
    });
    let runs = LocalResource::new(move || {
        api::portal_runs(PortalRunQuery {
            service: some(service.get()),
            page: page.get(),
            per_page: PER_PAGE,
            ..PortalRunQuery::default()
        })
    });
    let catalog = Catalog::from_context();
    let update = use_query_updater();
    let set_service = move |v: String| update(vec![("service", some(v)), ("page", None)]);
    let empty_title = Signal::derive(move || {
        if service.get().is_empty() {
            strings::NO_PORTAL_RUNS
        } else {
            strings::NO_PORTAL_RUNS_FILTERED
        }
    });
    view! {
        <div class="page runs-page">
            <PageHead title=strings::RUNS_TITLE caption=strings::RUNS_CAPTION />
            <div class="filters" role="group" aria-label=strings::FILTERS>
                <FilterSelect
                    name="service"
                    label=strings::F_SERVICE
                    value=Signal::derive(move || service.get())
                    options=Signal::derive(move || catalog.service_options("", &service.get()))
                    on_change=set_service
                />
            </div>
            <section aria-labelledby="targets-heading">
                <h2 class="section-title" id="targets-heading">{strings::TARGETS_HEADING}</h2>
                <TargetGroups targets />
            </section>
            <section aria-labelledby="recent-runs-heading">
                <h2 class="section-title" id="recent-runs-heading">{strings::RECENT_RUNS}</h2>
                <RecentRuns runs empty_title />
            </section>
        </div>
    }
}
