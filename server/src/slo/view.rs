//! SLOs as the API shows them to a caller: the list (`GET /api/v1/slos`), one SLO with its
//! series and the deployments that burned its budget (`/slos/{id}`), and the SLOs one deployment
//! affected (`/deployments/{id}/slos`). The math is `nagare_core::slo`; here it is given the
//! counts held, the model's deployments and the caller's scope.

use super::{Entry, Slos};
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, TeamView};
use nagare_core::api::{
    DeploymentBurn, DeploymentQuery, DeploymentRow, DeploymentSlo, DeploymentSlos, SloDetail,
    SloList, SloProblem, SloQuery, SloStatus,
};
use nagare_core::events::EnvironmentTier;
use nagare_core::slo::attribution::deployment_burns;
use nagare_core::slo::eval::{self, Meta};
use nagare_core::slo::{Series, SloDef};
use nagare_core::Timestamp;
use std::collections::HashMap;

/// The SLOs the caller may read, filtered, evaluated at `q.at` (default now), worst remaining
/// budget first.
pub async fn list(
    state: &AppState,
    view: &TeamView,
    q: &SloQuery,
    admin: bool,
) -> ApiResult<SloList> {
    view.check_filters(q.team.as_deref(), q.service.as_deref())?;
    let at = at_of(q.at);
    let teams = view.service_teams();
    let mut slos = Vec::new();
    for e in visible(state, view).await? {
        if q.service.as_ref().is_some_and(|s| *s != e.def.service) {
            continue;
        }
        let owners = teams.get(&e.def.service).cloned().unwrap_or_default();
        if q.team.as_ref().is_some_and(|t| !owners.contains(t)) {
            continue;
        }
        slos.push(status(state, &e, owners, at).await?);
    }
    sort_worst_first(&mut slos);
    Ok(SloList {
        at: Timestamp(at),
        slos,
        problems: if admin {
            problems(&state.slos)
        } else {
            Vec::new()
        },
        can_edit: admin,
    })
}

/// Worst remaining budget first; SLOs without events last; then by id.
pub fn sort_worst_first(slos: &mut [SloStatus]) {
    slos.sort_by(|a, b| {
        let r = |s: &SloStatus| s.budget.map(|b| b.remaining_percent);
        match (r(a), r(b)) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then_with(|| a.id.cmp(&b.id))
    });
}

/// One SLO with its series and its deployments ranked by the budget they burned.
pub async fn detail(
    state: &AppState,
    view: &TeamView,
    id: &str,
    at: Option<Timestamp>,
    admin: bool,
) -> ApiResult<SloDetail> {
    let at = at_of(at);
    let teams = view.service_teams();
    let e = find(state, view, id).await?;
    let owners = teams.get(&e.def.service).cloned().unwrap_or_default();
    let slos = &state.slos;
    let deployments = production_deployments(view, &e.def, at, slos)?;
    let def = e.def.clone();
    let attribution = slos.attribution;
    let (slo, series, step, burns) = slos
        .with_series(&state.store, &def, at, |series, sync| {
            let slo = evaluate(slos, &e, owners, series, sync, at);
            let (start, _) = def.window.bounds(at, slos.tz);
            let (step, points) = eval::points(series, def.objective, start, at);
            let burns = burns_of(series, &def, &slo, &deployments, attribution);
            (slo, points, step, burns)
        })
        .await?;
    Ok(SloDetail {
        at: Timestamp(at),
        slo,
        series,
        series_step_secs: step / 1000,
        attribution_secs: attribution / 1000,
        deployments: burns,
        can_edit: admin,
    })
}

/// The SLOs of a deployment's service, and what the deployment burned of each.
pub async fn for_deployment(
    state: &AppState,
    view: &TeamView,
    deployment: &str,
) -> ApiResult<DeploymentSlos> {
    let Some((d, _)) = view.deployment(deployment) else {
        return Err(ApiError::NotFound(format!(
            "no deployment `{deployment}` that you may read"
        )));
    };
    let d = d.deployment;
    let at = at_of(None);
    let teams = view.service_teams();
    let slos = &state.slos;
    let mut out = Vec::new();
    for e in visible(state, view).await? {
        if e.def.service != d.service {
            continue;
        }
        let owners = teams.get(&e.def.service).cloned().unwrap_or_default();
        let deployments = production_deployments(view, &e.def, at, slos)?;
        let def = e.def.clone();
        let (slo, burns) = slos
            .with_series(&state.store, &def, at, |series, sync| {
                let slo = evaluate(slos, &e, owners, series, sync, at);
                let burns = burns_of(series, &def, &slo, &deployments, slos.attribution);
                (slo, burns)
            })
            .await?;
        let ranked_of = burns.len() as u32;
        out.push(DeploymentSlo {
            id: slo.id,
            name: slo.name,
            objective: slo.objective,
            alert: slo.alert,
            remaining_percent: slo.budget.map(|b| b.remaining_percent),
            burn: burns.into_iter().find(|b| b.deployment == d.id),
            ranked_of,
        });
    }
    Ok(DeploymentSlos {
        deployment: d.id,
        attribution_secs: slos.attribution / 1000,
        slos: out,
    })
}

/// One SLO evaluated at `at`.
pub async fn status(
    state: &AppState,
    e: &Entry,
    owners: Vec<String>,
    at: i64,
) -> ApiResult<SloStatus> {
    let slos = &state.slos;
    Ok(slos
        .with_series(&state.store, &e.def, at, |series, sync| {
            evaluate(slos, e, owners, series, sync, at)
        })
        .await?)
}

fn evaluate(
    slos: &Slos,
    e: &Entry,
    teams: Vec<String>,
    series: &Series,
    sync: Option<&crate::store::SyncRow>,
    at: i64,
) -> SloStatus {
    let meta = Meta {
        teams,
        editable: e.editable,
        data: slos.data_of(&e.def, series, sync),
    };
    eval::status(&e.def, meta, series, at, slos.tz, &slos.rules)
}

/// The SLO of `id` if the caller may read its service, else 404 (saying nothing of others').
pub async fn find(state: &AppState, view: &TeamView, id: &str) -> ApiResult<Entry> {
    state.slos.refresh(&state.store).await?;
    match state.slos.entry(id).await {
        Some(e) if view.admits(&e.def.service) => Ok(e),
        _ => Err(ApiError::NotFound(format!(
            "no SLO `{}` that you may read; GET /api/v1/slos lists them",
            nagare_core::text::printable(id, 80)
        ))),
    }
}

/// The SLOs whose service the caller may read, caught up with the database.
async fn visible(state: &AppState, view: &TeamView) -> ApiResult<Vec<Entry>> {
    state.slos.refresh(&state.store).await?;
    Ok(state
        .slos
        .entries()
        .await
        .into_iter()
        .filter(|e| view.admits(&e.def.service))
        .collect())
}

fn problems(slos: &Slos) -> Vec<SloProblem> {
    slos.problems()
        .iter()
        .map(|p| SloProblem {
            file: p.file.clone(),
            path: p.path.clone(),
            message: p.message.clone(),
        })
        .collect()
}

fn at_of(at: Option<Timestamp>) -> i64 {
    at.map_or_else(crate::store::now_millis, |t| t.0)
}

/// The finished production deployments of the SLO's service in its window at `at`.
fn production_deployments(
    view: &TeamView,
    def: &SloDef,
    at: i64,
    slos: &Slos,
) -> ApiResult<Vec<DeploymentRow>> {
    let (start, end) = def.window.bounds(at, slos.tz);
    let mut q = DeploymentQuery {
        from: Some(Timestamp(start)),
        to: Some(Timestamp(end)),
        service: Some(def.service.clone()),
        environment_tier: Some(EnvironmentTier::Production),
        per_page: 500,
        ..DeploymentQuery::default()
    };
    let mut out = Vec::new();
    loop {
        let page = view.deployments(&q)?;
        let n = page.items.len();
        out.extend(page.items.into_iter().filter(|d| d.finished_at.is_some()));
        if n < q.per_page as usize || q.page >= 200 {
            break;
        }
        q.page += 1;
    }
    Ok(out)
}

/// Each deployment's burn, ranked, against the window's budget in `slo`.
fn burns_of(
    series: &Series,
    def: &SloDef,
    slo: &SloStatus,
    deployments: &[DeploymentRow],
    span: i64,
) -> Vec<DeploymentBurn> {
    let by_id: HashMap<&str, &DeploymentRow> =
        deployments.iter().map(|d| (d.id.as_str(), d)).collect();
    let finished: Vec<(String, i64)> = deployments
        .iter()
        .filter_map(|d| Some((d.id.clone(), d.finished_at?.0)))
        .collect();
    let allowed = slo.budget.map_or(0.0, |b| b.allowed);
    deployment_burns(
        series,
        def.objective,
        &finished,
        span,
        allowed,
        slo.window.end.0,
    )
    .into_iter()
    .enumerate()
    .filter_map(|(i, b)| {
        let d = by_id.get(b.deployment.as_str())?;
        Some(DeploymentBurn {
            rank: i as u32 + 1,
            deployment: b.deployment,
            service: d.service.clone(),
            environment: d.environment.clone(),
            version: Some(d.sha.clone()),
            finished_at: Timestamp(b.finished_at),
            good_before: b.before.good,
            total_before: b.before.total,
            good_after: b.after.good,
            total_after: b.after.total,
            burn_before: b.burn_before,
            burn_after: b.burn_after,
            excess_bad: b.excess_bad,
            excess_budget_percent: b.excess_budget_percent,
            incidents: d.incidents.clone(),
        })
    })
    .collect()
}
