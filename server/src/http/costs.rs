//! `/api/v1/costs`: cloud cost (docs/cost.md). Reading needs a session or a `read` token and
//! shows the cost allocated to the teams and services the caller may read (unallocated cost:
//! only to callers who read everything); the sources' state is for admins.

use super::query::Query;
use crate::auth::extract::{Admin, Requires};
use crate::auth::ReadScope;
use crate::cost::unit::{self, Delivered};
use crate::cost::view::{self, Access, Resolved};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{CostAnomalies, CostQuery, CostReport, CostSources, ErrorBody, UnitCosts};
use nagare_core::cost::day_of_ms;
use nagare_core::time::DAY_MS;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/costs", get(costs))
        .route("/api/v1/costs/anomalies", get(anomalies))
        .route("/api/v1/costs/unit", get(unit_costs))
        .route("/api/v1/costs/sources", get(sources))
}

/// The held rows, the query resolved through the caller's scope, and the view (for unit cost).
async fn open(
    state: &AppState,
    scope: ReadScope,
    q: &CostQuery,
) -> ApiResult<(
    std::sync::Arc<crate::cost::runtime::Held>,
    Resolved,
    crate::state::TeamView,
)> {
    let now = crate::store::now_millis();
    let (from, to) = view::window(q, now).map_err(|(f, m)| ApiError::bad_param(f, m))?;
    let held = state.costs.current(&state.store).await?;
    let tv = scope.open(state).await?;
    tv.check_filters(q.team.as_deref(), q.service.as_deref())?;
    let service = |s: &str| tv.admits(s);
    let team = |t: &str| tv.admits_team(t);
    let access = Access {
        all: tv.reads_all(),
        service: &service,
        team: &team,
    };
    let res = Resolved::new(&held, q, from, to, &access);
    Ok((held, res, tv))
}

#[utoipa::path(
    get,
    path = "/api/v1/costs",
    tag = "costs",
    summary = "Cloud cost per team, service, account or provider service, with an optional series",
    description = "Totals over the UTC days in `[from, to)` (default: the last 90 days) grouped by `group_by`, largest first, the unallocated part, an optional `interval` series (day, ISO week, month), and the month of the window's last day with data: to date, the forecast (to date + the mean daily cost of the 7 days through the last day with data (fewer when cost starts later) × the days left) and the previous month. `cost` picks the column: effective (amortised, default), billed or list. Definitions: docs/metrics.md (\"Cloud cost\").",
    params(CostQuery),
    responses(
        (status = 200, description = "The costs", body = CostReport),
        (status = 400, description = "A bad parameter: `field` names it", body = ErrorBody),
        (status = 403, description = "A team or service outside what the caller may read", body = ErrorBody),
    )
)]
pub(super) async fn costs(
    State(state): State<AppState>,
    scope: ReadScope,
    Query(q): Query<CostQuery>,
) -> ApiResult<Json<CostReport>> {
    let _turn = state.compute.enter().await?;
    let (held, res, _) = open(&state, scope, &q).await?;
    let today = day_of_ms(crate::store::now_millis());
    Ok(Json(view::report(
        &held,
        &q,
        &res,
        state.config.cost.configured(),
        today,
    )))
}

#[utoipa::path(
    get,
    path = "/api/v1/costs/anomalies",
    tag = "costs",
    summary = "Days whose cost is far from their trailing baseline",
    description = "For each group (`group_by`), each day in the window whose robust z-score against the 28 days before it (0.6745 × (cost − median) ÷ MAD; the mean absolute deviation × 1.2533 when the MAD is 0; at least 7 days) is above `cost.anomaly_threshold` (3.5) in size, largest first, with the accounts and provider services that made it up. `interval` is not taken.",
    params(CostQuery),
    responses(
        (status = 200, description = "The anomalies", body = CostAnomalies),
        (status = 400, description = "A bad parameter: `field` names it", body = ErrorBody),
        (status = 403, description = "A team or service outside what the caller may read", body = ErrorBody),
    )
)]
pub(super) async fn anomalies(
    State(state): State<AppState>,
    scope: ReadScope,
    Query(q): Query<CostQuery>,
) -> ApiResult<Json<CostAnomalies>> {
    if q.interval.is_some() {
        return Err(ApiError::bad_param(
            "interval",
            "anomalies are judged per day; leave `interval` out",
        ));
    }
    let _turn = state.compute.enter().await?;
    let (held, res, _) = open(&state, scope, &q).await?;
    Ok(Json(view::anomalies(
        &held,
        &res,
        state.config.cost.anomaly_threshold,
    )))
}

#[utoipa::path(
    get,
    path = "/api/v1/costs/unit",
    tag = "costs",
    summary = "Cost per deployment, per CI minute and run, of failed changes, per good SLO event",
    description = "Per allocated service in the window: its cost, successful production deployments finished in the window and the cost per deployment, failed changes and their cost (each day's cost × the share of the day between the failed deployment's end and its recovery, or the window's end), good events of its SLOs and the cost per good event, and its DORA band (the lowest of its metrics' bands). CI: the cost of the CI accounts and services over the minutes and count of the pipeline runs finished in the window.",
    params(CostQuery),
    responses(
        (status = 200, description = "Unit costs", body = UnitCosts),
        (status = 400, description = "A bad parameter: `field` names it", body = ErrorBody),
        (status = 403, description = "A team or service outside what the caller may read", body = ErrorBody),
    )
)]
pub(super) async fn unit_costs(
    State(state): State<AppState>,
    scope: ReadScope,
    Query(q): Query<CostQuery>,
) -> ApiResult<Json<UnitCosts>> {
    for (field, given) in [
        ("interval", q.interval.is_some()),
        ("group_by", q.group_by.is_some()),
    ] {
        if given {
            return Err(ApiError::bad_param(
                field,
                format!("unit costs are per service; leave `{field}` out"),
            ));
        }
    }
    let _turn = state.compute.enter().await?;
    let (held, res, tv) = open(&state, scope, &q).await?;
    let (from_ms, to_ms) = (i64::from(res.from) * DAY_MS, i64::from(res.to) * DAY_MS);
    let mut d = Delivered {
        services: tv.delivery(from_ms, to_ms),
        ci: tv.ci_usage(from_ms, to_ms),
        teams: tv.service_teams(),
        ..Delivered::default()
    };
    let services: Vec<String> = {
        let mut s: Vec<String> = held
            .days(res.from, res.to)
            .iter()
            .filter(|r| res.admits(r))
            .filter_map(|r| r.service)
            .map(|s| held.name(s).to_owned())
            .collect();
        s.sort();
        s.dedup();
        s
    };
    for s in &services {
        // A service the catalog does not know (a tag naming `ci-runners`) has no DORA band.
        if !d.teams.contains_key(s) {
            continue;
        }
        if let Some(r) = tv.service_dora(s, from_ms, to_ms) {
            let band = unit::lowest_band(&[
                r.deployment_frequency.band,
                r.change_lead_time.band,
                r.change_failure_rate.band,
                r.recovery_time.band,
            ]);
            d.bands.insert(s.clone(), band);
        }
    }
    drop(tv);
    for e in state.slos.entries().await {
        if !services.contains(&e.def.service) {
            continue;
        }
        let good = state.store.sli_good_sum(&e.def.id, from_ms, to_ms).await?;
        *d.good_events.entry(e.def.service.clone()).or_default() += good;
    }
    Ok(Json(unit::unit_costs(&held, &res, &state.config.cost, &d)))
}

#[utoipa::path(
    get,
    path = "/api/v1/costs/sources",
    tag = "costs",
    summary = "The cost sources and the state of each billing period (admins)",
    description = "Each configured source (directory, S3 or Athena) with its last poll in this process, and each billing period stored or tried: state (`ingested`, `failed`, `waiting` for a manifest), the version stored, format, files, rows read and skipped, totals, and the bad rows (file, row, column, message).",
    responses(
        (status = 200, description = "The sources", body = CostSources),
        (status = 403, description = "Not an admin", body = ErrorBody),
    )
)]
pub(super) async fn sources(
    State(state): State<AppState>,
    _admin: Requires<Admin>,
) -> ApiResult<Json<CostSources>> {
    let periods = state.store.cost_periods().await?;
    Ok(Json(unit::sources(
        &state.config.cost,
        periods,
        &state.costs.polls(),
    )))
}
