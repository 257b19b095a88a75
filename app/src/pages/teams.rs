//! Teams: one row per team with the five DORA metrics, their bands and the change against the
//! previous period, sortable by any column. A row opens the overview filtered to that team.

use crate::api::{self, ApiResult, Query};
use crate::components::badges::BandBadge;
use crate::components::filters::{
    period_days, tier_options, use_query_updater, FilterSelect, PERIODS,
};
use crate::components::page::PageHead;
use crate::components::states::{EmptyState, ErrorState, TableSkeleton};
use crate::format;
use crate::metric::Metric;
use crate::strings;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use nagare_core::api::{DoraParams, LeadTimeBasis, TeamDora};
use nagare_core::time::{DAY_MS, MINUTE_MS};
use nagare_core::Timestamp;
use std::cmp::Ordering;

const DEFAULT_TIER: &str = "production";

#[derive(Debug, Clone, PartialEq)]
struct Filters {
    days: u32,
    /// `from` and `to` from the URL (RFC 3339, passed on as they are), over `days`.
    absolute: Option<(String, String)>,
    tier: String,
    basis: String,
}

impl Filters {
    fn query(&self, now: i64) -> ApiResult<DoraParams> {
        let (from, to) = match &self.absolute {
            Some((from, to)) => (api::param("from", from)?, api::param("to", to)?),
            None => {
                let to = now - now.rem_euclid(MINUTE_MS);
                let from = to - i64::from(self.days) * DAY_MS;
                (Some(Timestamp(from)), Some(Timestamp(to)))
            }
        };
        Ok(DoraParams {
            from,
            to,
            environment_tier: api::param("environment_tier", &self.tier)?,
            lead_time_basis: api::param("lead_time_basis", &self.basis)?,
            ..DoraParams::default()
        })
    }

    /// The overview of `team` with these filters (the same URL parameters).
    fn overview_href(&self, team: &str) -> String {
        let q = Query::new().set("team", team.to_owned());
        let q = match &self.absolute {
            Some((from, to)) => q.set("from", from.clone()).set("to", to.clone()),
            None => q.set("period", format!("{}d", self.days)),
        };
        let q = q
            .set("environment_tier", self.tier.clone())
            .set("basis", self.basis.clone());
        format!("/{}", q.encode())
    }
}

/// What the table is sorted by: the team name, or one metric's headline number.
#[derive(Debug, Clone, Copy, PartialEq)]
enum SortKey {
    Team,
    Metric(Metric),
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Sort {
    key: SortKey,
    ascending: bool,
}

/// Orders two rows; teams without a number sort last whichever the direction.
fn compare(a: &TeamDora, b: &TeamDora, sort: Sort) -> Ordering {
    let by_name = a.team.cmp(&b.team);
    match sort.key {
        SortKey::Team if sort.ascending => by_name,
        SortKey::Team => by_name.reverse(),
        SortKey::Metric(m) => match (m.headline(&a.current), m.headline(&b.current)) {
            (Some(x), Some(y)) => {
                let o = x.total_cmp(&y);
                if sort.ascending { o } else { o.reverse() }.then(by_name)
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => by_name,
        },
    }
}

#[component]
pub fn Teams() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        query.with(|q| Filters {
            days: period_days(q.get("period")),
            absolute: q
                .get("from")
                .filter(|f| !f.is_empty())
                .zip(q.get("to").filter(|t| !t.is_empty())),
            tier: q
                .get("environment_tier")
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| DEFAULT_TIER.to_owned()),
            basis: q
                .get("basis")
                .filter(|b| !b.is_empty())
                .unwrap_or_else(|| LeadTimeBasis::default().as_str().to_owned()),
        })
    });
    let report = LocalResource::new(move || {
        let query = filters.get().query(format::now_millis());
        async move { api::teams_dora(query?).await }
    });
    let sort = RwSignal::new(Sort {
        key: SortKey::Team,
        ascending: true,
    });

    // One handler shape for every filter (one copy of the select's code in the app): a
    // value equal to the default leaves the URL, and choosing a period replaces a window
    // from the URL ("custom" is only shown, never chosen).
    let update = use_query_updater();
    let set = move |key: &'static str, default: &'static str| {
        let update = update.clone();
        move |v: String| {
            if v == "custom" {
                return;
            }
            let mut changes = vec![(key, (v != default).then_some(v))];
            if key == "period" {
                changes.extend([("from", None), ("to", None)]);
            }
            update(changes)
        }
    };
    // A window from the URL shows as "Custom"; choosing a period replaces it.
    let period_options = move || {
        let mut out: Vec<(String, String)> = PERIODS
            .iter()
            .map(|d| (format!("{d}d"), strings::period_label(*d)))
            .collect();
        let f = filters.get();
        if f.absolute.is_some() {
            out.push(("custom".to_owned(), strings::CUSTOM_PERIOD.to_owned()));
        } else if !PERIODS.contains(&f.days) {
            out.push((format!("{}d", f.days), strings::period_label(f.days)));
        }
        out
    };
    let period_value = move || {
        let f = filters.get();
        if f.absolute.is_some() {
            "custom".to_owned()
        } else {
            format!("{}d", f.days)
        }
    };
    let basis_options: Vec<(String, String)> = LeadTimeBasis::ALL
        .iter()
        .map(|b| (b.as_str().to_owned(), strings::basis_label(*b).to_owned()))
        .collect();

    let body = move || match report.get() {
        None => view! { <TableSkeleton columns=6 /> }.into_any(),
        Some(Err(e)) => view! {
            <ErrorState what=strings::WHAT_TEAMS error=e on_retry=move || report.refetch() />
        }
        .into_any(),
        Some(Ok(r)) if r.teams.is_empty() => {
            view! { <EmptyState title=strings::NO_TEAMS hint=strings::NO_TEAMS_HINT /> }.into_any()
        }
        Some(Ok(r)) => {
            let rows = move || {
                let mut teams = r.teams.clone();
                let s = sort.get();
                teams.sort_by(|a, b| compare(a, b, s));
                teams
                    .into_iter()
                    .map(|t| {
                        let href = filters.with(|f| f.overview_href(&t.team));
                        view! { <TeamLine row=t href /> }
                    })
                    .collect_view()
            };
            view! {
                <div class="table-wrap">
                    <table class="table teams-table" data-test="teams-table">
                        <caption class="visually-hidden">{strings::TEAMS_TABLE}</caption>
                        <thead>
                            <tr>
                                <SortHeader key=SortKey::Team title=strings::COL_TEAM sort />
                                {Metric::ALL
                                    .into_iter()
                                    .map(|m| view! { <SortHeader key=SortKey::Metric(m) title=m.title() sort /> })
                                    .collect_view()}
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                <p class="muted small">{strings::TEAMS_DEFINITIONS}</p>
            }
            .into_any()
        }
    };

    view! {
        <div class="page teams">
            <PageHead title=strings::TEAMS_TITLE caption=strings::TEAMS_CAPTION>
                <p class="window muted" data-test="window">
                    {move || match report.get() {
                        Some(Ok(r)) => super::overview::window_caption(Some((r.window.from.0, r.window.to.0))),
                        _ => String::new(),
                    }}
                </p>
            </PageHead>
            <div class="filters" role="group" aria-label=strings::FILTERS>
                <FilterSelect
                    name="environment_tier"
                    label=strings::F_TIER
                    value=Signal::derive(move || filters.get().tier)
                    options=tier_options(false)
                    on_change=set("environment_tier", DEFAULT_TIER)
                />
                <FilterSelect
                    name="period"
                    label=strings::F_PERIOD
                    value=Signal::derive(period_value)
                    options=Signal::derive(period_options)
                    on_change=set("period", "30d")
                />
                <FilterSelect
                    name="basis"
                    label=strings::F_BASIS
                    value=Signal::derive(move || filters.get().basis)
                    options=basis_options
                    on_change=set("basis", "commit")
                />
            </div>
            {body}
        </div>
    }
}

/// A column header that sorts by its column: first click ascending for the team name and the
/// "lower is better" metrics, descending for deployment frequency (best first either way).
#[component]
fn SortHeader(key: SortKey, title: &'static str, sort: RwSignal<Sort>) -> impl IntoView {
    let best_first = match key {
        SortKey::Team => true,
        SortKey::Metric(m) => !m.higher_is_better(),
    };
    let state = move || {
        let s = sort.get();
        match (s.key == key, s.ascending) {
            (false, _) => "none",
            (true, true) => "ascending",
            (true, false) => "descending",
        }
    };
    let class = if key == SortKey::Team { "" } else { "num" };
    view! {
        <th scope="col" class=class aria-sort=state>
            // The arrow is drawn by the stylesheet from `aria-sort`.
            <button
                type="button"
                class="sort"
                on:click=move |_| {
                    sort.update(|s| {
                        if s.key == key {
                            s.ascending = !s.ascending;
                        } else {
                            *s = Sort { key, ascending: best_first };
                        }
                    })
                }
            >
                {title}
            </button>
        </th>
    }
}

#[component]
fn TeamLine(row: TeamDora, href: String) -> impl IntoView {
    let navigate = use_navigate();
    let go = href.clone();
    let name = row.display_name.clone().unwrap_or_else(|| row.team.clone());
    let cells = Metric::ALL
        .into_iter()
        .map(|m| {
            let current = m.headline(&row.current);
            let value = current.map_or_else(|| "—".to_owned(), |v| m.display(v));
            let band = (m != Metric::ReworkRate).then(|| view! { <BandBadge band=m.band(&row.current) /> });
            let delta = m.delta(current, m.headline(&row.previous)).map(|d| {
                let class = match d.good {
                    Some(true) => "delta delta-good",
                    Some(false) => "delta delta-bad",
                    None => "delta delta-none",
                };
                let verdict = match d.good {
                    Some(true) => strings::BETTER,
                    Some(false) => strings::WORSE,
                    None => "",
                };
                view! {
                    <span class=class data-test="delta">
                        <span class="delta-arrow" aria-hidden="true">{d.arrow}</span>
                        " "
                        {d.text}
                        <span class="visually-hidden">{format!(" {verdict} {}", strings::VS_PREVIOUS)}</span>
                    </span>
                }
            });
            view! {
                <td class="num" data-test=format!("cell-{}", m.key()) data-raw=current.map(|v| v.to_string())>
                    <div class="cell-value">{value}</div>
                    <div class="cell-meta">{band}{delta}</div>
                </td>
            }
        })
        .collect_view();
    view! {
        // A click anywhere on the row opens the team; the name is the link for the keyboard.
        <tr
            class="clickable"
            data-test="team-row"
            on:click=move |_| navigate(&go, Default::default())
        >
            <th scope="row">
                <a href=href on:click=|e| e.stop_propagation()>
                    {name}
                </a>
                <div class="muted small">{strings::services_count(row.services.len())}</div>
            </th>
            {cells}
        </tr>
    }
}
