//! Filters that live in the URL query: changing one navigates, so a link reproduces the view and
//! back/forward restore it.

use crate::api::{self, ApiResult};
use crate::strings;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use nagare_core::api::{ServiceRow, TeamRow};
use nagare_core::events::EnvironmentTier;

/// Returns a function that sets (or, with `None` or an empty value, removes) query parameters
/// of the current page and navigates there.
pub fn use_query_updater() -> impl Fn(Vec<(&'static str, Option<String>)>) + Clone + 'static {
    let navigate = use_navigate();
    let location = use_location();
    let query = use_query_map();
    move |changes| {
        let mut map = query.get_untracked();
        for (key, value) in changes {
            map.remove(key);
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                map.insert(key, v);
            }
        }
        let path = location.pathname.get_untracked();
        navigate(
            &format!("{path}{}", map.to_query_string()),
            NavigateOptions::default(),
        );
    }
}

/// A labelled `<select>` whose choice is one URL parameter (`data-test="filter-<name>"`).
#[component]
pub fn FilterSelect(
    /// The filter's name, as in `data-test="filter-<name>"`.
    name: &'static str,
    label: &'static str,
    /// The value currently in the URL (or its default).
    #[prop(into)]
    value: Signal<String>,
    /// `(value, label)` pairs.
    #[prop(into)]
    options: Signal<Vec<(String, String)>>,
    on_change: impl Fn(String) + 'static,
) -> impl IntoView {
    let id = format!("filter-{name}");
    let (for_id, select_id) = (id.clone(), id.clone());
    view! {
        <label class="filter" for=for_id>
            <span class="filter-label">{label}</span>
            <select
                id=select_id
                data-test=id
                prop:value=move || value.get()
                on:change=move |ev| on_change(event_target_value(&ev))
            >
                {move || {
                    let current = value.get();
                    options
                        .get()
                        .into_iter()
                        .map(|(v, text)| {
                            let selected = v == current;
                            view! {
                                <option value=v prop:selected=selected>
                                    {text}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
        </label>
    }
}

/// The services and teams of the organisation, loaded once for every page's filters.
#[derive(Clone, Copy)]
pub struct Catalog {
    pub services: LocalResource<ApiResult<Vec<ServiceRow>>>,
    pub teams: LocalResource<ApiResult<Vec<TeamRow>>>,
}

impl Catalog {
    pub fn new() -> Self {
        Catalog {
            services: LocalResource::new(api::services),
            teams: LocalResource::new(api::teams),
        }
    }

    /// From the context `App` provides; a fresh one if missing.
    pub fn from_context() -> Self {
        use_context::<Catalog>().unwrap_or_default()
    }

    /// "All teams" plus every team, keeping `current` even before the list arrives.
    pub fn team_options(&self, current: &str) -> Vec<(String, String)> {
        let mut out = vec![(String::new(), strings::ALL_TEAMS.to_owned())];
        if let Some(Ok(teams)) = self.teams.get() {
            out.extend(teams.into_iter().map(|t| {
                let label = t.display_name.clone().unwrap_or_else(|| t.name.clone());
                (t.name, label)
            }));
        }
        keep_current(out, current)
    }

    /// "All services" plus every service (of `team`, when one is chosen).
    pub fn service_options(&self, team: &str, current: &str) -> Vec<(String, String)> {
        let mut out = vec![(String::new(), strings::ALL_SERVICES.to_owned())];
        if let Some(Ok(services)) = self.services.get() {
            out.extend(
                services
                    .into_iter()
                    .filter(|s| team.is_empty() || s.teams.iter().any(|t| t == team))
                    .map(|s| (s.name.clone(), s.name)),
            );
        }
        keep_current(out, current)
    }
}

impl Default for Catalog {
    fn default() -> Self {
        Self::new()
    }
}

fn keep_current(mut options: Vec<(String, String)>, current: &str) -> Vec<(String, String)> {
    if !current.is_empty() && !options.iter().any(|(v, _)| v == current) {
        options.push((current.to_owned(), current.to_owned()));
    }
    options
}

/// Every environment tier, with "all" first when `with_all`.
pub fn tier_options(with_all: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if with_all {
        out.push(("all".to_owned(), strings::ALL_TIERS.to_owned()));
    }
    out.extend(
        EnvironmentTier::ALL
            .iter()
            .map(|t| (t.as_str().to_owned(), strings::tier_label(*t).to_owned())),
    );
    out
}

/// The relative periods the pages offer, in days, and the default.
pub const PERIODS: [u32; 5] = [7, 30, 90, 180, 365];
pub const DEFAULT_DAYS: u32 = 30;

/// The days of a `period=30d` URL parameter (1 to 1098, the API's longest window), else the
/// default.
pub fn period_days(value: Option<String>) -> u32 {
    value
        .and_then(|p| p.trim_end_matches('d').parse::<u32>().ok())
        .filter(|d| (1..=1098).contains(d))
        .unwrap_or(DEFAULT_DAYS)
}
