//! The overview: the five DORA metrics for the filters in the URL, each against the previous
//! period of the same length, with its weekly trend.

use crate::api::{self, ApiError, ApiResult};
use crate::components::filters::{
    period_days, tier_options, use_query_updater, Catalog, FilterSelect, DEFAULT_DAYS, PERIODS,
};
use crate::components::metric_card::{MetricCard, Pending};
use crate::components::page::PageHead;
use crate::components::quick_check::QuickCheckPanel;
use crate::components::states::{CardsSkeleton, EmptyState, ErrorState};
use crate::format;
use crate::metric::Metric;
use crate::pages::slos::SlosAtRisk;
use crate::strings;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use nagare_core::api::{
    Benchmark, DataQuality, DoraParams, DoraReport, Interval, LeadTimeBasis, Peers,
};
use nagare_core::dora::quick_check::{peer_groups, PeerKind};
use nagare_core::time::{DAY_MS, MINUTE_MS};
use nagare_core::Timestamp;

const DEFAULT_TIER: &str = "production";

#[derive(Debug, Clone, PartialEq)]
enum Period {
    /// The last N days up to now (`period=30d`).
    Days(u32),
    /// `from` / `to` from the URL, RFC 3339, passed to the API as they are.
    Absolute {
        from: Option<String>,
        to: Option<String>,
    },
}

/// The overview's filters, read from the URL query.
#[derive(Debug, Clone, PartialEq)]
struct Filters {
    team: String,
    service: String,
    tier: String,
    period: Period,
    basis: String,
    benchmark: String,
    /// DORA 2025's peer group; asked for only with that benchmark.
    peers: String,
}

impl Filters {
    /// Reads the filters through `param`, the URL query's lookup.
    fn from_query(param: impl Fn(&str) -> Option<String>) -> Self {
        let get = |k: &str| param(k).filter(|v| !v.is_empty());
        let (from, to) = (get("from"), get("to"));
        let period = if from.is_some() || to.is_some() {
            Period::Absolute { from, to }
        } else {
            Period::Days(period_days(get("period")))
        };
        Filters {
            team: get("team").unwrap_or_default(),
            service: get("service").unwrap_or_default(),
            tier: get("environment_tier").unwrap_or_else(|| DEFAULT_TIER.to_owned()),
            period,
            basis: get("basis").unwrap_or_else(|| LeadTimeBasis::default().as_str().to_owned()),
            benchmark: get("benchmark").unwrap_or_else(|| Benchmark::default().as_str().to_owned()),
            peers: get("peers").unwrap_or_else(|| Peers::default().to_string()),
        }
    }

    /// Whether the benchmark is DORA 2025's Quick Check, which compares with peers.
    fn quick_check(&self) -> bool {
        self.benchmark == Benchmark::Dora2025.as_str()
    }

    fn period_value(&self) -> String {
        match &self.period {
            Period::Days(d) => format!("{d}d"),
            Period::Absolute { .. } => "custom".to_owned(),
        }
    }

    /// The window in milliseconds, when it can be read (the API reports bad input itself).
    fn window_ms(&self, now: i64) -> Option<(i64, i64)> {
        match &self.period {
            Period::Days(d) => {
                let to = now - now.rem_euclid(MINUTE_MS);
                Some((to - i64::from(*d) * DAY_MS, to))
            }
            Period::Absolute { from, to } => {
                let to = match to {
                    Some(t) => Timestamp::parse(t).ok()?.0,
                    None => now,
                };
                let from = match from {
                    Some(f) => Timestamp::parse(f).ok()?.0,
                    None => to - i64::from(DEFAULT_DAYS) * DAY_MS,
                };
                Some((from, to))
            }
        }
    }

    fn queries(&self, now: i64) -> Queries {
        let window = self.window_ms(now);
        let base = |from: Option<Timestamp>, to: Option<Timestamp>| {
            Ok(DoraParams {
                from,
                to,
                team: Some(self.team.clone()).filter(|t| !t.is_empty()),
                service: Some(self.service.clone()).filter(|s| !s.is_empty()),
                environment_tier: api::param("environment_tier", &self.tier)?,
                lead_time_basis: api::param("lead_time_basis", &self.basis)?,
                benchmark: api::param("benchmark", &self.benchmark)?,
                peers: if self.quick_check() {
                    api::param("peers", &self.peers)?
                } else {
                    None
                },
                ..DoraParams::default()
            })
        };
        let current = match (&self.period, window) {
            (Period::Absolute { from, to }, _) => {
                let from = api::param("from", from.as_deref().unwrap_or_default());
                let to = api::param("to", to.as_deref().unwrap_or_default());
                from.and_then(|from| base(from, to?))
            }
            (Period::Days(_), Some((f, t))) => base(Some(Timestamp(f)), Some(Timestamp(t))),
            (Period::Days(_), None) => base(None, None),
        };
        let previous = window
            .filter(|(f, t)| t > f)
            .and_then(|(f, t)| base(Some(Timestamp(f - (t - f))), Some(Timestamp(f))).ok());
        let trend = current.clone().map(|q| DoraParams {
            interval: Some(Interval::Week),
            ..q
        });
        Queries {
            current,
            previous,
            trend,
            window,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Queries {
    /// A filter the URL gives wrongly is the API's error, said before asking it.
    current: ApiResult<DoraParams>,
    previous: Option<DoraParams>,
    trend: ApiResult<DoraParams>,
    window: Option<(i64, i64)>,
}

#[component]
pub fn Overview() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| query.with(|q| Filters::from_query(|k| q.get(k))));
    let queries = Memo::new(move |_| filters.get().queries(format::now_millis()));

    // Each reply carries the query it answers, so that an older reply shown while the next
    // loads can be marked as stale.
    let current = LocalResource::new(move || {
        let q = queries.get().current;
        async move { (q.clone(), ask(q).await) }
    });
    let stale = move || {
        current
            .get()
            .is_some_and(|(q, _)| q != queries.with(|qs| qs.current.clone()))
    };
    let previous = LocalResource::new(move || {
        let q = queries.get().previous;
        async move {
            match q {
                Some(q) => api::dora(q).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let trend = LocalResource::new(move || ask(queries.get().trend));

    let body = move || match current.get().map(|(_, r)| r) {
        None => view! { <CardsSkeleton /> }.into_any(),
        Some(Err(e)) => view! {
            <ErrorState what=strings::WHAT_DORA error=e on_retry=move || current.refetch() />
        }
        .into_any(),
        Some(Ok(report)) => view! { <Report report previous trend /> }.into_any(),
    };

    view! {
        <div class="page overview">
            <PageHead title=strings::NAV_OVERVIEW caption=strings::OVERVIEW_TITLE>
                <p class="window muted">{move || window_caption(queries.get().window)}</p>
            </PageHead>
            <OverviewFilters filters />
            <SlosAtRisk
                team=Memo::new(move |_| filters.get().team)
                service=Memo::new(move |_| filters.get().service)
            />
            <div class="report" class:stale=stale aria-busy=move || stale().to_string()>
                {body}
            </div>
        </div>
    }
}

/// The DORA report for a query, or the query's own error.
async fn ask(query: ApiResult<DoraParams>) -> ApiResult<DoraReport> {
    api::dora(query?).await
}

/// "from – to · changes are against the N days before", for a page's window.
pub(crate) fn window_caption(window: Option<(i64, i64)>) -> String {
    match window {
        Some((f, t)) => {
            let days = (t - f) as f64 / DAY_MS as f64;
            let days = if days.fract() == 0.0 {
                format!("{days:.0}")
            } else {
                format::one_decimal(days)
            };
            strings::window_caption(
                &format::date_time(Timestamp(f)),
                &format::date_time(Timestamp(t)),
                &format!("{days} days"),
            )
        }
        None => String::new(),
    }
}

/// The filter bar; every change navigates to the new URL.
#[component]
fn OverviewFilters(filters: Memo<Filters>) -> impl IntoView {
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
            if key == "benchmark" {
                changes.push(("peers", None));
            }
            update(changes);
        }
    };
    let update_period = use_query_updater();
    let on_period = move |v: String| {
        if v != "custom" {
            let days = (v != format!("{DEFAULT_DAYS}d")).then_some(v);
            update_period(vec![("period", days), ("from", None), ("to", None)]);
        }
    };

    let period_options = move || {
        let f = filters.get();
        let mut out: Vec<(String, String)> = PERIODS
            .iter()
            .map(|d| (format!("{d}d"), strings::period_label(*d)))
            .collect();
        match &f.period {
            Period::Absolute { from, to } => out.push((
                "custom".to_owned(),
                format!(
                    "{}: {} – {}",
                    strings::CUSTOM_PERIOD,
                    from.as_deref().map(short_time).unwrap_or_default(),
                    to.as_deref().map(short_time).unwrap_or_default()
                ),
            )),
            Period::Days(d) if !PERIODS.contains(d) => {
                out.push((format!("{d}d"), strings::period_label(*d)));
            }
            Period::Days(_) => {}
        }
        out
    };
    let basis_options: Vec<(String, String)> = LeadTimeBasis::ALL
        .iter()
        .map(|b| (b.as_str().to_owned(), strings::basis_label(*b).to_owned()))
        .collect();
    let benchmark_options: Vec<(String, String)> = Benchmark::ALL
        .iter()
        .map(|b| {
            (
                b.as_str().to_owned(),
                strings::benchmark_label(*b).to_owned(),
            )
        })
        .collect();

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
                name="environment_tier"
                label=strings::F_TIER
                value=Signal::derive(move || filters.get().tier)
                options=tier_options(false)
                on_change=set("environment_tier", DEFAULT_TIER)
            />
            <FilterSelect
                name="period"
                label=strings::F_PERIOD
                value=Signal::derive(move || filters.get().period_value())
                options=Signal::derive(period_options)
                on_change=on_period
            />
            <FilterSelect
                name="basis"
                label=strings::F_BASIS
                value=Signal::derive(move || filters.get().basis)
                options=basis_options
                on_change=set("basis", "commit")
            />
            <FilterSelect
                name="benchmark"
                label=strings::F_BENCHMARK
                value=Signal::derive(move || filters.get().benchmark)
                options=benchmark_options
                on_change=set("benchmark", "dora-2024")
            />
            <Show when=move || filters.get().quick_check()>
                <FilterSelect
                    name="peers"
                    label=strings::F_PEERS
                    value=Signal::derive(move || filters.get().peers)
                    options=peer_options()
                    on_change=set("peers", "industry:all")
                />
            </Show>
        </div>
    }
}

/// DORA 2025's peer groups, each named with what it is drawn by ("Industry: Technology").
fn peer_options() -> Vec<(String, String)> {
    peer_groups()
        .iter()
        .map(|g| {
            let kind = match g.kind {
                PeerKind::Industry => strings::PEERS_INDUSTRY,
                PeerKind::Size => strings::PEERS_SIZE,
            };
            (g.id.clone(), format!("{kind}: {}", g.name))
        })
        .collect()
}

/// A URL time as the user reads it (the date, or date and time when not midnight), or as
/// given when it cannot be read.
fn short_time(s: &str) -> String {
    Timestamp::parse(s).map_or_else(
        |_| s.to_owned(),
        |t| {
            let full = format::date_time(t);
            full.strip_suffix(" 00:00")
                .map(str::to_owned)
                .unwrap_or(full)
        },
    )
}

/// The cards and notes of one loaded report.
#[component]
fn Report(
    report: DoraReport,
    previous: LocalResource<Result<Option<DoraReport>, ApiError>>,
    trend: LocalResource<Result<DoraReport, ApiError>>,
) -> impl IntoView {
    let empty = report.deployment_frequency.deployments == 0;
    let series = Signal::derive(move || match trend.get() {
        None => Pending::Loading,
        Some(Err(e)) => Pending::Failed(e.to_string()),
        Some(Ok(r)) => Pending::Ready(r.series.unwrap_or_default()),
    });
    let notes = quality_notes(&report.data_quality);
    let cards = Metric::ALL
        .into_iter()
        .map(|m| {
            let prev = Signal::derive(move || match previous.get() {
                None => Pending::Loading,
                Some(Err(e)) => Pending::Failed(e.to_string()),
                Some(Ok(r)) => Pending::Ready(r.and_then(|r| m.headline(&r))),
            });
            view! { <MetricCard metric=m report=report.clone() previous=prev series /> }
        })
        .collect_view();
    view! {
        {empty
            .then(|| {
                view! { <EmptyState title=strings::NO_DEPLOYMENTS hint=strings::SEND_EVENTS_HINT /> }
            })}
        <div class="cards">{cards}</div>
        {report.quick_check.clone().map(|qc| view! { <QuickCheckPanel qc /> })}
        {(!notes.is_empty())
            .then(|| {
                view! {
                    <section class="quality" data-test="data-quality">
                        <h2>{strings::DATA_QUALITY}</h2>
                        <ul>{notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
                    </section>
                }
            })}
    }
}

/// A sentence about a count.
type Sentence = fn(u64) -> String;

fn quality_notes(dq: &DataQuality) -> Vec<String> {
    let mut out: Vec<String> = dq.notes.clone();
    if out.is_empty() {
        let counts: [(u64, Sentence); 5] = [
            (dq.negative_lead_times, strings::dq_negative),
            (dq.incomplete_graph_deployments, strings::dq_incomplete),
            (dq.fallback_changes, strings::dq_fallback),
            (dq.baseline_deployments, strings::dq_baseline),
            (dq.unattributed_incidents, strings::dq_unattributed),
        ];
        out.extend(
            counts
                .into_iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, f)| f(n)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&'static str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        }
    }

    fn at(text: &str) -> Option<Timestamp> {
        Some(Timestamp::parse(text).unwrap())
    }

    #[test]
    fn a_relative_period_asks_for_that_many_days_and_the_one_before() {
        let f = Filters::from_query(map(&[("period", "7d"), ("team", "payments")]));
        let q = f.queries(10 * DAY_MS + 123);
        let current = q.current.unwrap();
        assert_eq!(
            current,
            DoraParams {
                from: at("1970-01-04T00:00:00Z"),
                to: at("1970-01-11T00:00:00Z"),
                team: Some("payments".into()),
                environment_tier: Some(nagare_core::events::EnvironmentTier::Production),
                lead_time_basis: Some(LeadTimeBasis::Commit),
                benchmark: Some(Benchmark::Dora2024),
                ..DoraParams::default()
            }
        );
        let previous = q.previous.unwrap();
        assert_eq!(
            (previous.from, previous.to),
            (at("1969-12-28T00:00:00Z"), at("1970-01-04T00:00:00Z"))
        );
        assert_eq!(
            q.trend.unwrap(),
            DoraParams {
                interval: Some(Interval::Week),
                ..current
            }
        );
    }

    #[test]
    fn from_and_to_in_the_url_win_over_the_period() {
        let f = Filters::from_query(map(&[
            ("period", "7d"),
            ("from", "2024-03-04T09:00:00+09:00"),
            ("to", "2024-03-11T00:00:00Z"),
            ("basis", "merge"),
        ]));
        assert_eq!(f.period_value(), "custom");
        let q = f.queries(0);
        let current = q.current.unwrap();
        assert_eq!(
            (current.from, current.to),
            (at("2024-03-04T00:00:00Z"), at("2024-03-11T00:00:00Z"))
        );
        assert_eq!(current.lead_time_basis, Some(LeadTimeBasis::Merge));
        let previous = q.previous.unwrap();
        assert_eq!(
            (previous.from, previous.to),
            (at("2024-02-26T00:00:00Z"), at("2024-03-04T00:00:00Z"))
        );
    }

    #[test]
    fn a_bad_filter_in_the_url_is_said_before_asking() {
        for (k, v) in [
            ("from", "2024-03-04T00:00:00"),
            ("environment_tier", "prod"),
            ("basis", "x"),
        ] {
            let f = Filters::from_query(map(&[(k, v)]));
            let e = f.queries(0).current.unwrap_err();
            let field = if k == "basis" { "lead_time_basis" } else { k };
            assert_eq!(e.field.as_deref(), Some(field), "{k}={v}: {e}");
            assert!(e.message.contains(v), "{k}={v}: {}", e.message);
        }
    }
}
