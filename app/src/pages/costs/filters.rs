//! The Costs page's filters, read from and written to the URL query: the window (a preset
//! `period`, or `from`/`to` in RFC 3339), `team`, `service`, `account`, `group_by` and `cost`.
//! Cost is counted by UTC calendar day, so presets start and end at UTC midnights.

use super::text;
use crate::api::{self, ApiResult};
use crate::components::filters::{use_query_updater, Catalog, FilterSelect, PERIODS};
use crate::format;
use crate::strings;
use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;
use nagare_core::api::{CostBasis, CostGroupBy, CostInterval, CostQuery};
use nagare_core::time::DAY_MS;
use nagare_core::Timestamp;

/// The preset when the URL names none: a quarter of days, the API's own default window.
pub const DEFAULT_DAYS: u32 = 90;
/// Windows up to this many days are drawn by day; up to [`WEEKLY_UP_TO`] by week; longer ones
/// by month (so a chart keeps a readable number of buckets).
pub const DAILY_UP_TO: i64 = 92;
pub const WEEKLY_UP_TO: i64 = 366;

#[derive(Debug, Clone, PartialEq)]
pub enum Period {
    /// The last N whole UTC days, today included (`period=30d`).
    Days(u32),
    /// This UTC calendar month to date (`period=month`).
    Month,
    /// The previous UTC calendar month (`period=last-month`).
    LastMonth,
    /// `from` / `to` from the URL, passed to the API as they are.
    Absolute {
        from: Option<String>,
        to: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Filters {
    pub team: String,
    pub service: String,
    pub account: String,
    pub group_by: String,
    pub cost: String,
    pub period: Period,
}

impl Filters {
    /// Reads the filters through `param`, the URL query's lookup.
    pub fn from_query(param: impl Fn(&str) -> Option<String>) -> Self {
        let get = |k: &str| param(k).filter(|v| !v.is_empty());
        let (from, to) = (get("from"), get("to"));
        let period = if from.is_some() || to.is_some() {
            Period::Absolute { from, to }
        } else {
            match get("period").as_deref() {
                Some("month") => Period::Month,
                Some("last-month") => Period::LastMonth,
                p => Period::Days(
                    p.and_then(|p| p.trim_end_matches('d').parse::<u32>().ok())
                        .filter(|d| (1..=1098).contains(d))
                        .unwrap_or(DEFAULT_DAYS),
                ),
            }
        };
        Filters {
            team: get("team").unwrap_or_default(),
            service: get("service").unwrap_or_default(),
            account: get("account").unwrap_or_default(),
            group_by: get("group_by").unwrap_or_else(|| CostGroupBy::default().to_string()),
            cost: get("cost").unwrap_or_else(|| CostBasis::default().to_string()),
            period,
        }
    }

    /// The `period` select's value.
    pub fn period_value(&self) -> String {
        match &self.period {
            Period::Days(d) => format!("{d}d"),
            Period::Month => "month".to_owned(),
            Period::LastMonth => "last-month".to_owned(),
            Period::Absolute { .. } => "custom".to_owned(),
        }
    }

    /// The window in epoch milliseconds as the API will read it, when it can be read (the
    /// API reports bad input itself).
    pub fn window_ms(&self, now: i64) -> Option<(i64, i64)> {
        let tomorrow = now.div_euclid(DAY_MS) * DAY_MS + DAY_MS;
        match &self.period {
            Period::Days(d) => Some((tomorrow - i64::from(*d) * DAY_MS, tomorrow)),
            Period::Month => Some((month_start(now, 0)?, tomorrow)),
            Period::LastMonth => Some((month_start(now, 1)?, month_start(now, 0)?)),
            Period::Absolute { from, to } => {
                let to = match to {
                    Some(t) => Timestamp::parse(t).ok()?.0,
                    None => tomorrow,
                };
                let from = match from {
                    Some(f) => Timestamp::parse(f).ok()?.0,
                    None => to - i64::from(DEFAULT_DAYS) * DAY_MS,
                };
                Some((from, to))
            }
        }
    }

    /// The query of all three endpoints, with the series interval the window's length calls
    /// for; a filter the URL gives wrongly is the API's own error, said before asking.
    pub fn query(&self, now: i64) -> ApiResult<CostQuery> {
        let window = self.window_ms(now);
        let (from, to) = match &self.period {
            Period::Absolute { from, to } => (
                api::param("from", from.as_deref().unwrap_or_default())?,
                api::param("to", to.as_deref().unwrap_or_default())?,
            ),
            _ => (
                window.map(|(f, _)| Timestamp(f)),
                window.map(|(_, t)| Timestamp(t)),
            ),
        };
        let some = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
        Ok(CostQuery {
            from,
            to,
            group_by: api::param("group_by", &self.group_by)?,
            team: some(&self.team),
            service: some(&self.service),
            account: some(&self.account),
            cost: api::param("cost", &self.cost)?,
            interval: Some(interval_for(window)),
        })
    }
}

/// The first instant (UTC) of the month `back` months before the one of `now`.
fn month_start(now: i64, back: u32) -> Option<i64> {
    let day = Timestamp(now).to_datetime().date_naive();
    let mut first = NaiveDate::from_ymd_opt(day.year(), day.month(), 1)?;
    for _ in 0..back {
        first = (first - chrono::Days::new(1)).with_day(1)?;
    }
    Some(first.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// Day buckets for a window up to about a quarter, weeks up to a year, months beyond.
pub fn interval_for(window: Option<(i64, i64)>) -> CostInterval {
    let days = window.map_or(i64::from(DEFAULT_DAYS), |(f, t)| (t - f).div_euclid(DAY_MS));
    if days <= DAILY_UP_TO {
        CostInterval::Day
    } else if days <= WEEKLY_UP_TO {
        CostInterval::Week
    } else {
        CostInterval::Month
    }
}

/// `YYYY-MM-DD` (UTC) of an instant.
fn utc_day(ms: i64) -> String {
    nagare_core::cost::day_text(nagare_core::cost::day_of_ms(ms))
}

/// The instant (UTC midnight) a `YYYY-MM-DD` day starts, `days_after` days later, as RFC 3339.
fn day_start(day: &str, days_after: i64) -> Option<String> {
    let d = nagare_core::cost::parse_day(day)?;
    Some(format::rfc3339((i64::from(d) + days_after) * DAY_MS))
}

/// The filter bar; every change navigates to the new URL.
#[component]
pub fn CostFilters(filters: Memo<Filters>) -> impl IntoView {
    let catalog = Catalog::from_context();
    let update = use_query_updater();
    let set = move |key: &'static str, default: &'static str| {
        let update = update.clone();
        move |v: String| {
            let v = (v != default).then_some(v);
            let mut changes = vec![(key, v)];
            if key == "team" {
                changes.push(("service", None));
            }
            update(changes);
        }
    };
    let update_period = use_query_updater();
    let on_period = move |v: String| {
        if v != "custom" {
            let p = (v != format!("{DEFAULT_DAYS}d")).then_some(v);
            update_period(vec![("period", p), ("from", None), ("to", None)]);
        }
    };
    // A date sets both ends, keeping the other one where the window had it.
    let update_dates = use_query_updater();
    let set_day = move |end: &'static str| {
        let update = update_dates.clone();
        move |v: String| {
            let Some((from, to)) = filters.get_untracked().window_ms(format::now_millis()) else {
                return;
            };
            let (from, to) = match end {
                "from" => (day_start(&v, 0), Some(format::rfc3339(to))),
                _ => (Some(format::rfc3339(from)), day_start(&v, 1)),
            };
            if from.is_some() && to.is_some() {
                update(vec![("period", None), ("from", from), ("to", to)]);
            }
        }
    };
    let (set_from, set_through) = (set_day("from"), set_day("through"));
    let dates = move || {
        filters
            .get()
            .window_ms(format::now_millis())
            .map(|(f, t)| (utc_day(f), utc_day(t - 1)))
            .unwrap_or_default()
    };

    let period_options = move || {
        let f = filters.get();
        let mut out: Vec<(String, String)> = vec![
            ("month".to_owned(), text::PERIOD_MONTH.to_owned()),
            ("last-month".to_owned(), text::PERIOD_LAST_MONTH.to_owned()),
        ];
        out.extend(
            PERIODS
                .iter()
                .map(|d| (format!("{d}d"), strings::period_label(*d))),
        );
        match &f.period {
            Period::Absolute { .. } => {
                let (from, through) = dates();
                out.push((
                    "custom".to_owned(),
                    format!("{}: {from} – {through}", strings::CUSTOM_PERIOD),
                ));
            }
            Period::Days(d) if !PERIODS.contains(d) => {
                out.push((format!("{d}d"), strings::period_label(*d)));
            }
            _ => {}
        }
        out
    };
    let group_options: Vec<(String, String)> = CostGroupBy::ALL
        .iter()
        .map(|g| (g.to_string(), text::group_by_label(*g).to_owned()))
        .collect();
    let basis_options: Vec<(String, String)> = CostBasis::ALL
        .iter()
        .map(|b| (b.to_string(), text::basis_label(*b).to_owned()))
        .collect();
    let clear_account = set("account", "");

    view! {
        <div class="filters" role="group" aria-label=strings::FILTERS>
            <FilterSelect
                name="team"
                label=strings::F_TEAM
                value=Signal::derive(move || filters.get().team)
                options=Signal::derive(move || catalog.team_options(&filters.get().team))
                on_change=set("team", "")
            />
            <FilterSelect
                name="service"
                label=strings::F_SERVICE
                value=Signal::derive(move || filters.get().service)
                options=Signal::derive(move || {
                    let f = filters.get();
                    catalog.service_options(&f.team, &f.service)
                })
                on_change=set("service", "")
            />
            <FilterSelect
                name="period"
                label=strings::F_PERIOD
                value=Signal::derive(move || filters.get().period_value())
                options=Signal::derive(period_options)
                on_change=on_period
            />
            <label class="filter" for="filter-from">
                <span class="filter-label">{text::F_FROM}</span>
                <input
                    id="filter-from"
                    type="date"
                    data-test="filter-from"
                    prop:value=move || dates().0
                    on:change=move |ev| set_from(event_target_value(&ev))
                />
            </label>
            <label class="filter" for="filter-through">
                <span class="filter-label">{text::F_THROUGH}</span>
                <input
                    id="filter-through"
                    type="date"
                    data-test="filter-through"
                    prop:value=move || dates().1
                    on:change=move |ev| set_through(event_target_value(&ev))
                />
            </label>
            <FilterSelect
                name="group_by"
                label=text::F_GROUP_BY
                value=Signal::derive(move || filters.get().group_by)
                options=group_options
                on_change=set("group_by", "team")
            />
            <FilterSelect
                name="cost"
                label=text::F_COST
                value=Signal::derive(move || filters.get().cost)
                options=basis_options
                on_change=set("cost", "effective")
            />
            {move || {
                let account = filters.get().account;
                let clear = clear_account.clone();
                (!account.is_empty())
                    .then(|| {
                        view! {
                            <span class="filter cost-account-filter" data-test="filter-account">
                                <span class="filter-label">{text::F_ACCOUNT}</span>
                                <span class="cost-chip">
                                    <span class="mono">{account}</span>
                                    <button
                                        type="button"
                                        class="button button-small"
                                        aria-label=text::CLEAR_ACCOUNT
                                        title=text::CLEAR_ACCOUNT
                                        on:click=move |_| clear(String::new())
                                    >
                                        "×"
                                    </button>
                                </span>
                            </span>
                        }
                    })
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = DAY_MS;
    /// 2024-09-18T22:30:00Z.
    const NOW: i64 = 19_984 * DAY + 22 * 3_600_000 + 1_800_000;

    fn filters(pairs: &[(&str, &str)]) -> Filters {
        Filters::from_query(|k| {
            pairs
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn presets_are_whole_utc_days_through_today() {
        let f = filters(&[]);
        assert_eq!(f.period, Period::Days(90));
        let (from, to) = f.window_ms(NOW).unwrap();
        assert_eq!(format::rfc3339(to), "2024-09-19T00:00:00Z");
        assert_eq!(format::rfc3339(from), "2024-06-21T00:00:00Z");
        let (from, to) = filters(&[("period", "month")]).window_ms(NOW).unwrap();
        assert_eq!(format::rfc3339(from), "2024-09-01T00:00:00Z");
        assert_eq!(format::rfc3339(to), "2024-09-19T00:00:00Z");
        let (from, to) = filters(&[("period", "last-month")]).window_ms(NOW).unwrap();
        assert_eq!(format::rfc3339(from), "2024-08-01T00:00:00Z");
        assert_eq!(format::rfc3339(to), "2024-09-01T00:00:00Z");
        // January looks back across the year.
        let jan = 19_737 * DAY; // 2024-01-15
        assert_eq!(
            format::rfc3339(month_start(jan, 1).unwrap()),
            "2023-12-01T00:00:00Z"
        );
    }

    #[test]
    fn the_url_window_goes_to_the_api_as_given_and_picks_the_interval() {
        let f = filters(&[
            ("from", "2024-09-01T00:00:00Z"),
            ("to", "2024-10-01T00:00:00Z"),
            ("group_by", "service_name"),
            ("cost", "billed"),
            ("team", "payments"),
        ]);
        let q = f.query(NOW).unwrap();
        assert_eq!(
            q.from.map(|t| format::rfc3339(t.0)).as_deref(),
            Some("2024-09-01T00:00:00Z")
        );
        assert_eq!(
            q.to.map(|t| format::rfc3339(t.0)).as_deref(),
            Some("2024-10-01T00:00:00Z")
        );
        assert_eq!(q.group_by, Some(CostGroupBy::ServiceName));
        assert_eq!(q.cost, Some(CostBasis::Billed));
        assert_eq!(q.team.as_deref(), Some("payments"));
        assert_eq!(q.service, None);
        assert_eq!(q.interval, Some(CostInterval::Day));
        assert_eq!(f.period_value(), "custom");
    }

    #[test]
    fn long_windows_are_drawn_by_week_then_month() {
        assert_eq!(interval_for(Some((0, 92 * DAY))), CostInterval::Day);
        assert_eq!(interval_for(Some((0, 93 * DAY))), CostInterval::Week);
        assert_eq!(interval_for(Some((0, 366 * DAY))), CostInterval::Week);
        assert_eq!(interval_for(Some((0, 367 * DAY))), CostInterval::Month);
    }

    #[test]
    fn a_bad_url_value_is_the_apis_error() {
        let e = filters(&[("group_by", "region")]).query(NOW).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("group_by"));
        let e = filters(&[("from", "2024-09-01")]).query(NOW).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("from"));
    }

    #[test]
    fn a_through_day_ends_the_window_at_the_next_midnight() {
        assert_eq!(
            day_start("2024-09-30", 1).as_deref(),
            Some("2024-10-01T00:00:00Z")
        );
        assert_eq!(day_start("2024-09-30x", 0), None);
        assert_eq!(utc_day(NOW), "2024-09-18");
    }
}
