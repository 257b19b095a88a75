//! The Sources page's API (admins only): each webhook source's set-up and health, the kept
//! deliveries with their payloads (secrets redacted), and replays.
//!
//! - `GET /api/v1/sources`: per source, the webhook path and events to tick, the last delivery
//!   and ping, counts by verdict, and the unmapped repositories with the rule that maps them.
//! - `GET /api/v1/sources/github/rules`: the GitHub source's mapping rules, as configured.
//! - `GET /api/v1/backfill`: where each repository's history backfill stands, by phase.
//! - `GET /api/v1/git-mirrors`: each configured git mirror's last sync, commits and error.
//! - `GET /api/v1/deliveries`, `GET /api/v1/deliveries/{id}`: the kept deliveries.
//! - `POST /api/v1/sources/{name}/replay`, `POST /api/v1/deliveries/{id}/replay`: derive the
//!   events again under the current rules (`super::replay`), audited.

use super::replay::{replay_named, since_at, ReplayScope};
use crate::auth::extract::{Admin, Requires};
use crate::auth::{audit, ClientAddr};
use crate::error::{ApiError, ApiResult};
use crate::http::query::Query;
use crate::state::AppState;
use crate::store::AuditEntry;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use nagare_core::api::{
    BackfillPhase, DeliveryDetail, DeliveryQuery, DeliveryRow, DeployRuleView, EnvironmentRuleView,
    ErrorBody, MappingRules, MirrorSummary, Page, ReplayRequest, ReplaySummary, RepoRuleView,
    SourceEvent, SourceSummary, StageRuleView, UnmappedHint,
};
use std::collections::BTreeMap;

/// The sources Nagare knows, configured or not, and the events to tick for each.
const KNOWN: [(&str, &[(&str, &str)]); 2] =
    [("github", &super::github::EVENTS), ("canonical", &[])];

/// Unmapped deliveries read for the hints.
const HINT_ROWS: i64 = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/sources", get(sources))
        .route("/api/v1/git-mirrors", get(git_mirrors))
        .route(
            "/api/v1/backfill",
            get(backfill_phases).post(super::tasks::start_backfill),
        )
        .route("/api/v1/sources/github/rules", get(github_rules))
        .route("/api/v1/sources/{name}/replay", post(replay_source))
        .route("/api/v1/deliveries", get(deliveries))
        .route("/api/v1/deliveries/{id}", get(delivery))
        .route("/api/v1/deliveries/{id}/replay", post(replay_delivery))
        .merge(super::tasks::router())
}

#[utoipa::path(
    get,
    path = "/api/v1/sources",
    tag = "administration",
    summary = "Webhook sources: set-up, health and unmapped repositories (admin)",
    responses(
        (status = 200, description = "Every source Nagare knows, configured or not", body = Vec<SourceSummary>),
        (status = 403, description = "Not an admin", body = ErrorBody),
    )
)]
pub(crate) async fn sources(
    State(state): State<AppState>,
    _: Requires<Admin>,
) -> ApiResult<Json<Vec<SourceSummary>>> {
    let mut out = Vec::new();
    for (name, events) in KNOWN {
        let source = state.sources.get(name);
        let (verdicts, last_delivery_at, last_ping_at) = state.store.source_stats(name).await?;
        let mut hints: BTreeMap<String, UnmappedHint> = BTreeMap::new();
        if let Some(source) = source {
            for (at, payload) in state.store.unmapped_payloads(name, HINT_ROWS).await? {
                let Some((key, rule)) = source.unmapped_hint(&payload) else {
                    continue;
                };
                let h = hints.entry(key.clone()).or_insert(UnmappedHint {
                    key,
                    deliveries: 0,
                    last_at: nagare_core::Timestamp(at),
                    rule,
                });
                h.deliveries += 1;
                h.last_at = h.last_at.max(nagare_core::Timestamp(at));
            }
        }
        let mut unmapped_environments = Vec::new();
        if source.is_some() && name == "github" {
            let model = crate::state::Synced::now(&state).await?;
            for e in model.catalog().environments() {
                let ruled = state
                    .config
                    .sources
                    .github
                    .environments
                    .keys()
                    .any(|k| k.eq_ignore_ascii_case(&e.name));
                if e.source != name
                    || e.tier != nagare_core::events::EnvironmentTier::Other
                    || ruled
                {
                    continue;
                }
                // A JSON string is a TOML basic string.
                let key = serde_json::to_string(&e.name).unwrap_or_default();
                unmapped_environments.push(UnmappedHint {
                    rule: format!(
                        "[sources.github.environments]\n{key} = \"production\"   # or staging, testing, development"
                    ),
                    key: e.name,
                    deliveries: e.deployments,
                    last_at: e.last_at.unwrap_or(nagare_core::Timestamp(0)),
                });
            }
            unmapped_environments
                .sort_by(|a, b| b.deliveries.cmp(&a.deliveries).then(a.key.cmp(&b.key)));
        }
        let mut unmapped: Vec<UnmappedHint> = hints.into_values().collect();
        unmapped.sort_by(|a, b| b.deliveries.cmp(&a.deliveries).then(a.key.cmp(&b.key)));
        out.push(SourceSummary {
            name: name.to_owned(),
            configured: source.is_some(),
            webhook_path: format!("/hooks/{name}"),
            content_type: "application/json".into(),
            events: events
                .iter()
                .map(|(event, label)| SourceEvent {
                    event: (*event).to_owned(),
                    label: (*label).to_owned(),
                })
                .collect(),
            last_delivery_at,
            last_ping_at,
            verdicts,
            unmapped,
            unmapped_environments,
        });
    }
    Ok(Json(out))
}

#[utoipa::path(
    get,
    path = "/api/v1/sources/github/rules",
    tag = "administration",
    summary = "The GitHub source's mapping rules, as configured (admin)",
    responses(
        (status = 200, description = "Repository, environment, stage and deployment rules, incident labels", body = MappingRules),
        (status = 403, description = "Not an admin", body = ErrorBody),
    )
)]
pub(crate) async fn github_rules(
    State(state): State<AppState>,
    _: Requires<Admin>,
) -> ApiResult<Json<MappingRules>> {
    let gh = &state.config.sources.github;
    let trimmed = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Ok(Json(MappingRules {
        repos: gh
            .repos
            .iter()
            .map(|r| RepoRuleView {
                repo: r.repo.clone(),
                service: r.service.trim().to_owned(),
                path: trimmed(&r.path),
                teams: r.teams.iter().map(|t| t.trim().to_owned()).collect(),
            })
            .collect(),
        environments: gh
            .environments
            .iter()
            .map(|(name, tier)| EnvironmentRuleView {
                name: name.clone(),
                tier: *tier,
            })
            .collect(),
        stages: gh
            .stages
            .iter()
            .map(|r| StageRuleView {
                workflow: r.workflow.clone(),
                job: r.job.clone(),
                stage: r.stage.trim().to_owned(),
            })
            .collect(),
        deployments: gh
            .deployments
            .iter()
            .map(|r| DeployRuleView {
                workflow: r.workflow.clone(),
                job: r.job.clone(),
                repo: trimmed(&r.repo),
                branch: trimmed(&r.branch),
                environment: trimmed(&r.environment).unwrap_or_else(|| "production".into()),
                service: trimmed(&r.service),
            })
            .collect(),
        incident_labels: gh.incident_labels.clone(),
        caused_by: gh.caused_by.clone(),
    }))
}

/// The time left to a phase, seconds: its pages to go at the pace of those stored so far.
fn eta_secs(r: &crate::store::BackfillRow) -> Option<f64> {
    let (total, started) = (r.total_pages?, r.started_at?);
    if r.pages <= 0 || total <= r.pages {
        return None;
    }
    let per_page_ms = (r.updated_at - started).max(0) as f64 / r.pages as f64;
    Some(per_page_ms * (total - r.pages) as f64 / 1000.0)
}

/// A phase whose last page is older than this, neither done nor failed, was cut off.
const RUNNING_MS: i64 = 5 * 60_000;

#[utoipa::path(
    get,
    path = "/api/v1/backfill",
    tag = "administration",
    summary = "History backfill: each repository's phases, pages and errors (admin)",
    responses(
        (status = 200, description = "Every phase of every backfilled repository, by source, repository and phase (empty before the first backfill)", body = Vec<BackfillPhase>),
        (status = 403, description = "Not an admin", body = ErrorBody),
    )
)]
pub(crate) async fn backfill_phases(
    State(state): State<AppState>,
    _: Requires<Admin>,
) -> ApiResult<Json<Vec<BackfillPhase>>> {
    let now = crate::store::now_millis();
    let rows = state.store.backfill_states("github").await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| {
                let phase_state = if r.done {
                    "done"
                } else if r.error.is_some() {
                    "failed"
                } else if now - r.updated_at < RUNNING_MS {
                    "running"
                } else {
                    "stopped"
                };
                let eta_secs = (phase_state == "running").then(|| eta_secs(&r)).flatten();
                BackfillPhase {
                    total_pages: r.total_pages.map(|t| t.max(0) as u64),
                    eta_secs,
                    source: r.source,
                    repo: r.repo,
                    phase: r.phase,
                    state: phase_state.into(),
                    pages: r.pages.max(0) as u64,
                    items: r.items.max(0) as u64,
                    since: nagare_core::Timestamp(r.since),
                    updated_at: nagare_core::Timestamp(r.updated_at),
                    error: r.error,
                }
            })
            .collect(),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/git-mirrors",
    tag = "administration",
    summary = "Git mirrors: last sync, commits and errors (admin)",
    responses(
        (status = 200, description = "Every configured mirror, in configuration order (empty with none)", body = Vec<MirrorSummary>),
        (status = 403, description = "Not an admin", body = ErrorBody),
    )
)]
pub(crate) async fn git_mirrors(
    State(state): State<AppState>,
    _: Requires<Admin>,
) -> ApiResult<Json<Vec<MirrorSummary>>> {
    let git = &state.config.sources.git;
    let mut rows: BTreeMap<String, crate::store::MirrorRow> = state
        .store
        .git_mirrors()
        .await?
        .into_iter()
        .map(|r| (r.repo.clone(), r))
        .collect();
    let at = |t: Option<i64>| t.map(nagare_core::Timestamp);
    let out = git
        .mirrors
        .iter()
        .map(|m| {
            let url = super::git::clone_url(m, &state.config.sources.github);
            let r = rows.remove(&m.repo);
            MirrorSummary {
                repo: m.repo.clone(),
                url,
                commits: r.as_ref().map_or(0, |r| r.commits.max(0) as u64),
                last_fetch_at: r.as_ref().and_then(|r| at(r.last_fetch_at)),
                last_new: r.as_ref().map_or(0, |r| r.last_new.max(0) as u64),
                last_took_ms: r.as_ref().map_or(0, |r| r.last_took_ms.max(0) as u64),
                error: r.as_ref().and_then(|r| r.error.clone()),
                error_at: r.as_ref().and_then(|r| at(r.error_at)),
                every_minutes: git.every_minutes,
            }
        })
        .collect();
    Ok(Json(out))
}

#[utoipa::path(
    get,
    path = "/api/v1/deliveries",
    tag = "administration",
    summary = "Kept raw deliveries, newest first (admin)",
    params(DeliveryQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = Page<DeliveryRow>),
        (status = 400, description = "A bad parameter: `field` names it", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    )
)]
pub(crate) async fn deliveries(
    State(state): State<AppState>,
    _: Requires<Admin>,
    Query(q): Query<DeliveryQuery>,
) -> ApiResult<Json<Page<DeliveryRow>>> {
    const VERDICTS: [&str; 4] = ["accepted", "ignored", "unmapped", "rejected"];
    if let Some(v) = q.verdict.as_deref() {
        if !VERDICTS.contains(&v) {
            return Err(ApiError::bad_param(
                "verdict",
                format!(
                    "`{}` is not a verdict; use one of {}",
                    nagare_core::text::printable(v, 40),
                    VERDICTS.join(", ")
                ),
            ));
        }
    }
    Ok(Json(state.store.delivery_page(&q).await?))
}

fn delivery_id(id: &str) -> ApiResult<i64> {
    id.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no delivery has the id `{}`: ids are the positive numbers of GET /api/v1/deliveries",
            nagare_core::text::printable(id, 40)
        ))
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/deliveries/{id}",
    tag = "administration",
    summary = "One kept delivery and its payload, secrets redacted (admin)",
    params(("id" = i64, Path, description = "The delivery's id (`GET /api/v1/deliveries`)")),
    responses(
        (status = 200, description = "The delivery", body = DeliveryDetail),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such delivery (or retention removed it)", body = ErrorBody),
    )
)]
pub(crate) async fn delivery(
    State(state): State<AppState>,
    _: Requires<Admin>,
    Path(id): Path<String>,
) -> ApiResult<Json<DeliveryDetail>> {
    let id = delivery_id(&id)?;
    let Some((row, payload)) = state.store.delivery(id).await? else {
        return Err(ApiError::NotFound(format!(
            "no delivery {id}: it never existed, or retention removed it"
        )));
    };
    let mut redacted = 0;
    let payload = payload.map(
        |bytes| match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(mut v) => {
                redacted = nagare_core::text::redact_json(&mut v);
                serde_json::to_string_pretty(&v).unwrap_or_default()
            }
            // Not JSON (a truncated or malformed delivery): its text, with token-like words hidden.
            Err(_) => {
                let text = String::from_utf8_lossy(&bytes);
                let mut v = serde_json::Value::Array(
                    text.split_inclusive(char::is_whitespace)
                        .map(|w| serde_json::Value::String(w.to_owned()))
                        .collect(),
                );
                redacted = nagare_core::text::redact_json(&mut v);
                v.as_array()
                    .map(|words| words.iter().filter_map(|w| w.as_str()).collect::<String>())
                    .unwrap_or_default()
            }
        },
    );
    Ok(Json(DeliveryDetail {
        delivery: row,
        payload,
        redacted,
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/sources/{name}/replay",
    tag = "administration",
    summary = "Derive a source's events again from its kept deliveries, under the current rules (admin)",
    description = "As `nagare replay`: equals ingesting the kept deliveries fresh under the rules configured now; events no delivery maps to any more are removed. `since` limits it to what deliveries received since then touch. Audited.",
    params(("name" = String, Path, description = "The source, e.g. `github`")),
    request_body(content = ReplayRequest, content_type = "application/json", description = "Optional; an empty body replays everything"),
    responses(
        (status = 200, description = "What the replay did", body = ReplaySummary),
        (status = 400, description = "A bad `since`", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such source configured", body = ErrorBody),
        (status = 422, description = "The source has no mapping rules to replay (`canonical`)", body = ErrorBody),
    )
)]
pub(crate) async fn replay_source(
    State(state): State<AppState>,
    client: ClientAddr,
    Requires(p, ..): Requires<Admin>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<ReplaySummary>> {
    let request: ReplayRequest =
        super::tasks::optional_body(&headers, &body, r#"{"since": "30d"}"#)?;
    let scope = match request.since.as_deref() {
        None => ReplayScope::All,
        Some(s) => ReplayScope::Since(
            since_at(s, crate::store::now_millis()).map_err(|e| ApiError::bad_param("since", e))?,
        ),
    };
    run(&state, client, &p, &name, scope).await
}

#[utoipa::path(
    post,
    path = "/api/v1/deliveries/{id}/replay",
    tag = "administration",
    summary = "Derive the events one kept delivery touches again, under the current rules (admin)",
    description = "Each event the delivery touches is rebuilt from every kept delivery that touches it. Audited.",
    params(("id" = i64, Path, description = "The delivery's id")),
    responses(
        (status = 200, description = "What the replay did", body = ReplaySummary),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such delivery kept whole, or its source is not configured", body = ErrorBody),
        (status = 422, description = "Its source has no mapping rules to replay (`canonical`)", body = ErrorBody),
    )
)]
pub(crate) async fn replay_delivery(
    State(state): State<AppState>,
    client: ClientAddr,
    Requires(p, ..): Requires<Admin>,
    Path(id): Path<String>,
) -> ApiResult<Json<ReplaySummary>> {
    let id = delivery_id(&id)?;
    let Some((row, _)) = state.store.delivery(id).await? else {
        return Err(ApiError::NotFound(format!("no delivery {id}")));
    };
    run(&state, client, &p, &row.source, ReplayScope::Delivery(id)).await
}

async fn run(
    state: &AppState,
    client: ClientAddr,
    p: &crate::auth::Principal,
    name: &str,
    scope: ReplayScope,
) -> ApiResult<Json<ReplaySummary>> {
    let report = replay_named(&state.store, &state.sources, name, scope, &|_| {}).await;
    let detail = match (&report, scope) {
        (Ok(r), ReplayScope::Delivery(id)) => format!("delivery {id}: {}", r.describe(name)),
        (Ok(r), _) => r.describe(name),
        (Err(e), _) => format!(
            "replay of `{}` failed: {e}",
            nagare_core::text::printable(name, 40)
        ),
    };
    audit(
        state,
        AuditEntry {
            actor: &p.actor(),
            action: "replay",
            success: report.is_ok(),
            detail,
            ip: client.shown,
        },
    )
    .await;
    let report = report?;
    // The next read sees the replay (a removal derives the model again).
    state.sync().await?;
    Ok(Json(report.summary()))
}

#[cfg(test)]
mod tests {
    use super::eta_secs;
    use crate::store::BackfillRow;

    #[test]
    fn the_time_left_is_the_pages_to_go_at_the_pace_so_far() {
        let row = |pages: i64, total: Option<i64>| BackfillRow {
            source: "github".into(),
            repo: "acme/api".into(),
            phase: "runs".into(),
            next_url: Some("https://api.github.com/x?page=2".into()),
            done: false,
            pages,
            items: pages * 100,
            since: 0,
            updated_at: 1_000_000 + 40_000,
            error: None,
            total_pages: total,
            started_at: Some(1_000_000),
        };
        // 4 pages in 40 s: 10 s a page; 6 to go.
        assert_eq!(eta_secs(&row(4, Some(10))), Some(60.0));
        assert_eq!(eta_secs(&row(4, None)), None, "length unknown");
        assert_eq!(eta_secs(&row(0, Some(10))), None, "no pace yet");
        assert_eq!(eta_secs(&row(10, Some(10))), None, "nothing left");
    }
}
