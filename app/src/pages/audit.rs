//! The audit log (admins only): sign-ins, sign-outs, token changes, configuration reloads and
//! runs started from the portal, newest first, filtered by action and actor in the URL.

use crate::api;
use crate::components::badges::Badge;
use crate::components::filters::{use_query_updater, FilterSelect};
use crate::components::list::{col, Column, ListTable};
use crate::components::page::{page_param, PageHead};
use crate::components::time::RelativeTime;
use crate::format;
use crate::strings;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use nagare_core::api::{AuditQuery, AuditRow};

const PER_PAGE: u32 = 50;
const COLUMNS: [Column; 6] = [
    col(strings::COL_TIME),
    col(strings::COL_ACTOR),
    col(strings::COL_ACTION),
    col(strings::COL_OUTCOME),
    col(strings::COL_DETAIL),
    col(strings::COL_IP),
];

/// Every action the log records, as the API names them.
pub const ACTIONS: [&str; 16] = [
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "token_created",
    "token_revoked",
    "config_loaded",
    "run_requested",
    "run_approved",
    "run_rejected",
    "run_cancel_requested",
    "run_cancelled",
    "run_started",
    "run_finished",
    "run_expired",
    "run_orphaned",
    "run_rerun_requested",
];

/// The select's value for "every action"; it leaves the URL without `action`.
const ALL: &str = "all";

#[derive(Debug, Clone, PartialEq)]
struct Filters {
    action: String,
    actor: String,
    page: u32,
}

#[component]
pub fn Audit() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        let q = query.get();
        Filters {
            action: q.get("action").filter(|a| a != ALL).unwrap_or_default(),
            actor: q.get("actor").unwrap_or_default(),
            page: page_param(&q),
        }
    });
    let list = LocalResource::new(move || {
        let f = filters.get();
        api::audit(AuditQuery {
            action: Some(f.action).filter(|a| !a.is_empty()),
            actor: Some(f.actor.trim().to_owned()).filter(|a| !a.is_empty()),
            page: f.page,
            per_page: PER_PAGE,
        })
    });
    let update = use_query_updater();
    let set_action = {
        let update = update.clone();
        move |v: String| {
            let v = (v != ALL).then_some(v);
            update(vec![("action", v), ("page", None)])
        }
    };
    let set_actor =
        move |v: String| update(vec![("actor", Some(v.trim().to_owned())), ("page", None)]);
    let mut action_options = vec![(ALL.to_owned(), strings::ALL_ACTIONS.to_owned())];
    action_options.extend(
        ACTIONS
            .iter()
            .map(|a| ((*a).to_owned(), strings::action_label(a).to_owned())),
    );

    view! {
        <div class="page">
            <PageHead title=strings::AUDIT_TITLE caption=strings::AUDIT_CAPTION />
            <div class="filters" role="group" aria-label=strings::FILTERS>
                <FilterSelect
                    name="action"
                    label=strings::F_ACTION
                    value=Signal::derive(move || {
                        let a = filters.get().action;
                        if a.is_empty() { ALL.to_owned() } else { a }
                    })
                    options=action_options
                    on_change=set_action
                />
                <label class="filter" for="filter-actor">
                    <span class="filter-label">{strings::F_ACTOR}</span>
                    <input
                        id="filter-actor"
                        type="search"
                        data-test="filter-actor"
                        placeholder=strings::F_ACTOR_HINT
                        autocomplete="off"
                        prop:value=move || filters.get().actor
                        on:change=move |ev| set_actor(event_target_value(&ev))
                    />
                </label>
            </div>
            <ListTable
                list
                columns=&COLUMNS
                row=|row| view! { <AuditLine row /> }.into_any()
                what=strings::WHAT_AUDIT
                empty_title=strings::NO_AUDIT
                empty_hint=strings::NO_AUDIT_HINT
                test="audit-table"
            />
        </div>
    }
}

#[component]
fn AuditLine(row: AuditRow) -> impl IntoView {
    let tone = match row.outcome.as_str() {
        "success" => "ok",
        "failure" => "bad",
        _ => "muted",
    };
    view! {
        <tr data-test="audit-row" data-action=row.action.clone()>
            <td class="nowrap">
                <RelativeTime at=row.at />
            </td>
            <td class="mono" data-test="audit-actor">{row.actor.clone()}</td>
            <td class="nowrap" data-test="audit-action" title=row.action.clone()>
                {strings::action_label(&row.action).to_owned()}
            </td>
            <td data-test="audit-outcome">
                <Badge tone text=strings::outcome_label(&row.outcome).to_owned() />
            </td>
            <td class="message">
                {row.detail.clone()}
                {(row.count > 1)
                    .then(|| {
                        let until = row.until.unwrap_or(row.at);
                        view! {
                            <span class="muted small repeat" data-test="audit-repeat">
                                {strings::repeated(row.count, &format::date_time(row.at), &format::date_time(until))}
                            </span>
                        }
                    })}
            </td>
            <td class="mono">{row.ip.clone().unwrap_or_else(|| "—".to_owned())}</td>
        </tr>
    }
}
