//! `GET /api/v1/metrics/dora`, exactly as docs/api.md describes it.

use super::query::Params;
use crate::auth::ReadScope;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{
    Benchmark, DoraQuery, DoraReport, Interval, LeadTimeBasis, TeamsDoraReport,
};
use nagare_core::events::EnvironmentTier;
use nagare_core::time::DAY_MS;
use nagare_core::Timestamp;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/metrics/dora", get(get_dora))
        .route("/api/v1/metrics/dora/teams", get(get_teams_dora))
}

const KNOWN: [&str; 10] = [
    "from",
    "to",
    "service",
    "team",
    "environment_tier",
    "lead_time_basis",
    "benchmark",
    "interval",
    "tz",
    "time_zone",
];

/// Longest window, so that a day series stays a sane size.
const MAX_WINDOW_DAYS: i64 = 3 * 366;

pub fn parse_dora_query(query: Option<&str>, now: Timestamp) -> ApiResult<DoraQuery> {
    let p = Params::parse(query, &KNOWN)?;
    let to = p.time("to")?.unwrap_or(now);
    let from = p.time("from")?.unwrap_or(Timestamp(to.0 - 30 * DAY_MS));
    if from >= to {
        return Err(ApiError::bad_param(
            "from",
            format!("`from` ({from}) must be before `to` ({to}); the window is [from, to)"),
        ));
    }
    if to.0 - from.0 > MAX_WINDOW_DAYS * DAY_MS {
        return Err(ApiError::bad_param(
            "from",
            format!("the window is longer than {MAX_WINDOW_DAYS} days; narrow `from`/`to`"),
        ));
    }
    let environment_tier = p
        .parse_with(
            "environment_tier",
            "production, staging, testing, development or other",
            EnvironmentTier::parse,
        )?
        .unwrap_or_default();
    let basis = p
        .parse_with(
            "lead_time_basis",
            "commit, pull_request or merge",
            LeadTimeBasis::parse,
        )?
        .unwrap_or_default();
    let benchmark = p
        .parse_with(
            "benchmark",
            "dora-2024, dora-2023 or dora-2021",
            Benchmark::parse,
        )?
        .unwrap_or_default();
    let interval = p
        .parse_with("interval", "all, day, week or month", Interval::parse)?
        .unwrap_or_default();
    let tz_key = if p.get("tz").is_some() {
        "tz"
    } else {
        "time_zone"
    };
    let time_zone = p.parse_with(tz_key, "an IANA time zone such as UTC or Asia/Tokyo", |v| {
        v.parse::<chrono_tz::Tz>().ok()
    })?;
    Ok(DoraQuery {
        from,
        to,
        service: p.string("service"),
        team: p.string("team"),
        environment_tier,
        basis,
        benchmark,
        interval,
        time_zone,
    })
}

async fn get_dora(
    State(state): State<AppState>,
    scope: ReadScope,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<DoraReport>> {
    let q = parse_dora_query(query.as_deref(), Timestamp(crate::store::now_millis()))?;
    let _turn = state.compute.enter().await?;
    let view = scope.open(&state).await?;
    view.check_filters(q.team.as_deref(), q.service.as_deref())?;
    // Aggregating is CPU work (milliseconds on a large organisation): on a blocking thread, so
    // that the async workers stay free for the requests that only wait (ingest, probes).
    let report = tokio::task::spawn_blocking(move || view.dora(&q))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("DORA aggregation failed: {e}")))??;
    Ok(Json(report))
}

/// `GET /api/v1/metrics/dora/teams`: every team the caller may read, this window against the
/// previous one. It takes the DORA query's parameters except the filters and the interval.
async fn get_teams_dora(
    State(state): State<AppState>,
    scope: ReadScope,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<TeamsDoraReport>> {
    let q = parse_dora_query(query.as_deref(), Timestamp(crate::store::now_millis()))?;
    for (given, name) in [
        (q.team.is_some(), "team"),
        (q.service.is_some(), "service"),
        (q.interval != Interval::All, "interval"),
    ] {
        if given {
            return Err(ApiError::bad_param(
                name,
                format!("this endpoint lists every team over one window; drop `{name}`, or use /api/v1/metrics/dora?team=…"),
            ));
        }
    }
    let _turn = state.compute.enter().await?;
    let view = scope.open(&state).await?;
    let report = tokio::task::spawn_blocking(move || view.teams_dora(&q))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("team aggregation failed: {e}")))?;
    Ok(Json(report))
}
