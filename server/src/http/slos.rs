//! `/api/v1/slos`: service level objectives (docs/slo.md). Reading needs a session or a `read`
//! token and shows the SLOs of the services the caller may read; creating, editing and deleting
//! (SLOs made in the portal only: those of definition files are changed in their files) need an
//! admin.

use super::body;
use super::query::Query;
use crate::auth::extract::{Admin, Requires};
use crate::auth::{audit, ClientAddr, ReadScope};
use crate::error::{ApiError, ApiResult};
use crate::slo::view;
use crate::state::AppState;
use crate::store::AuditEntry;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use nagare_core::api::{
    DeploymentSlos, ErrorBody, Role, SloAtQuery, SloDetail, SloInput, SloList, SloQuery, SloStatus,
};
use nagare_core::slo::def::from_input;
use nagare_core::slo::SloDef;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/slos", get(list).post(create))
        .route("/api/v1/slos/{id}", get(detail).put(update).delete(remove))
        .route("/api/v1/slos/{id}/prometheus-rules", get(prometheus_rules))
        .route("/api/v1/slos/{id}/openslo", get(openslo))
        .route("/api/v1/deployments/{id}/slos", get(deployment_slos))
}

fn is_admin(scope: &ReadScope) -> bool {
    scope.principal.role == Role::Admin && scope.principal.require_role(Role::Admin).is_ok()
}

#[utoipa::path(
    get,
    path = "/api/v1/slos",
    tag = "slos",
    summary = "SLOs, worst remaining budget first",
    description = "Each SLO the caller may read with its objective, window, SLI, error budget (events and percent), burn rates over 5m to 3d, alert conditions and state, and exhaustion forecast, evaluated at `at` (default now). Every window is half-open, `[at − w, at)`.",
    params(SloQuery),
    responses(
        (status = 200, description = "The SLOs", body = SloList),
        (status = 400, description = "A bad parameter: `field` names it", body = ErrorBody),
        (status = 403, description = "A team or service outside what the caller may read", body = ErrorBody),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    scope: ReadScope,
    Query(q): Query<SloQuery>,
) -> ApiResult<Json<SloList>> {
    let _turn = state.compute.enter().await?;
    let admin = is_admin(&scope);
    let view = scope.open(&state).await?;
    Ok(Json(view::list(&state, &view, &q, admin).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/slos/{id}",
    tag = "slos",
    summary = "One SLO, its series, and the deployments that burned its budget",
    description = "The SLO as in the list, its window in at most ~720 points (each with the SLI and the budget left from the window's start: the burn-down), and each finished production deployment of its service in the window ranked by its excess burn: bad events in the span after it finished minus in the same span before it (`attribution_secs`, both half-open), and that as a percentage of the window's budget.",
    params(("id" = String, Path, description = "The SLO's id"), SloAtQuery),
    responses(
        (status = 200, description = "The SLO", body = SloDetail),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 404, description = "No such SLO the caller may read", body = ErrorBody),
    )
)]
pub(super) async fn detail(
    State(state): State<AppState>,
    scope: ReadScope,
    Path(id): Path<String>,
    Query(q): Query<SloAtQuery>,
) -> ApiResult<Json<SloDetail>> {
    let _turn = state.compute.enter().await?;
    let admin = is_admin(&scope);
    let view = scope.open(&state).await?;
    Ok(Json(view::detail(&state, &view, &id, q.at, admin).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/deployments/{id}/slos",
    tag = "slos",
    summary = "The SLOs a deployment affected",
    description = "Each SLO of the deployment's service, with what the deployment burned of it and its rank among the window's deployments.",
    params(("id" = String, Path, description = "The deployment's id")),
    responses(
        (status = 200, description = "The SLOs", body = DeploymentSlos),
        (status = 404, description = "No such deployment the caller may read", body = ErrorBody),
    )
)]
pub(super) async fn deployment_slos(
    State(state): State<AppState>,
    scope: ReadScope,
    Path(id): Path<String>,
    Query(_): Query<NoParams>,
) -> ApiResult<Json<DeploymentSlos>> {
    let _turn = state.compute.enter().await?;
    let view = scope.open(&state).await?;
    Ok(Json(view::for_deployment(&state, &view, &id).await?))
}

/// No query parameters.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NoParams {}

fn yaml(text: String, name: String) -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/yaml; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
        ],
        text,
    )
}

#[utoipa::path(
    get,
    path = "/api/v1/slos/{id}/prometheus-rules",
    tag = "slos",
    summary = "Prometheus recording and alert rules for an SLO (YAML)",
    description = "Recording rules of the SLI's error ratio over each alert window and the SLO's metadata, and the multi-window, multi-burn-rate alerts with `severity` and `exhaustion` labels, as Sloth generates them. Not for SLOs with a pushed SLI (409).",
    params(("id" = String, Path, description = "The SLO's id")),
    responses(
        (status = 200, description = "A Prometheus rule file", content_type = "application/yaml", body = String),
        (status = 404, description = "No such SLO the caller may read", body = ErrorBody),
        (status = 409, description = "The SLO's SLI is pushed: there is no PromQL to write rules from", body = ErrorBody),
    )
)]
pub(super) async fn prometheus_rules(
    State(state): State<AppState>,
    scope: ReadScope,
    Path(id): Path<String>,
    Query(_): Query<NoParams>,
) -> ApiResult<impl IntoResponse> {
    export(&state, scope, &id, "rules", |def, slos| {
        crate::slo::rules::prometheus_rules(def, &slos.rules)
    })
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/slos/{id}/openslo",
    tag = "slos",
    summary = "An SLO as an OpenSLO v1 document (YAML)",
    params(("id" = String, Path, description = "The SLO's id")),
    responses(
        (status = 200, description = "An OpenSLO `kind: SLO` document", content_type = "application/yaml", body = String),
        (status = 404, description = "No such SLO the caller may read", body = ErrorBody),
        (status = 409, description = "The SLO cannot be written as OpenSLO", body = ErrorBody),
    )
)]
pub(super) async fn openslo(
    State(state): State<AppState>,
    scope: ReadScope,
    Path(id): Path<String>,
    Query(_): Query<NoParams>,
) -> ApiResult<impl IntoResponse> {
    export(&state, scope, &id, "openslo", |def, _| {
        crate::slo::export::openslo_yaml(def)
    })
    .await
}

/// The SLO `id` the caller may read written by `write` as YAML (`{id}.{kind}.yaml`); what
/// `write` refuses is a 409 saying why.
async fn export(
    state: &AppState,
    scope: ReadScope,
    id: &str,
    kind: &str,
    write: impl FnOnce(&SloDef, &crate::slo::Slos) -> Result<String, String>,
) -> ApiResult<impl IntoResponse> {
    let view = scope.open(state).await?;
    let e = view::find(state, &view, id).await?;
    let text = write(&e.def, &state.slos).map_err(ApiError::Conflict)?;
    Ok(yaml(text, format!("{}.{kind}.yaml", e.def.id)))
}

/// The body as an SLO, checked; the service must be one the catalogue knows.
async fn input(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    bytes: &[u8],
) -> ApiResult<SloDef> {
    body::kind(headers, false)?;
    let bad_body = |e: &str| {
        ApiError::BadRequest {
        error: format!(
            "the body must be an SLO: {{\"id\", \"name\", \"description\"?, \"service\", \"objective\": 0.999, \"window\": \"30d\"|\"month\"|\"quarter\", \"sli\": {{\"kind\": \"ratio\"|\"latency\"|\"pushed\", …}}}}: {}",
            nagare_core::text::printable(e, 200)
        ),
        line: None,
        field: named_field(e),
    }
    };
    let text = std::str::from_utf8(bytes).map_err(|_| bad_body("it is not UTF-8"))?;
    let value = nagare_core::events::strict_value(text).map_err(|e| bad_body(&e.to_string()))?;
    let i: SloInput = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let mut err = bad_body(&e.inner().to_string());
        if let ApiError::BadRequest { field, .. } = &mut err {
            // The full path of the field (`sli.total`), else the one serde names.
            if !path.is_empty() && path != "." {
                let named = field.take();
                *field = Some(match named {
                    Some(n) if !path.ends_with(&n) => format!("{path}.{n}"),
                    _ => path,
                });
            }
        }
        err
    })?;
    let def = from_input(&i).map_err(|e| ApiError::Unprocessable {
        error: e.message,
        line: None,
        field: Some(e.field.into()),
    })?;
    if let Err(error) = state.slos.fits(&def, state.config.slo.keep_days) {
        return Err(ApiError::Unprocessable {
            error,
            line: None,
            field: Some("window".into()),
        });
    }
    let model = crate::state::Synced::now(state).await?;
    if !model
        .catalog()
        .services()
        .iter()
        .any(|s| s.name == def.service)
    {
        return Err(ApiError::Unprocessable {
            error: format!(
                "there is no service `{}`; pick one the catalogue knows (GET /api/v1/catalog)",
                nagare_core::text::printable(&def.service, 80)
            ),
            line: None,
            field: Some("service".into()),
        });
    }
    Ok(def)
}

async fn evaluated(state: &AppState, def: &SloDef) -> ApiResult<SloStatus> {
    state.slos.refresh_now(&state.store).await?;
    let e = state
        .slos
        .entry(&def.id)
        .await
        .ok_or_else(|| ApiError::NotFound(format!("SLO `{}` is gone", def.id)))?;
    let teams = crate::state::Synced::now(state)
        .await?
        .catalog()
        .services()
        .into_iter()
        .find(|s| s.name == def.service)
        .map(|s| s.teams)
        .unwrap_or_default();
    view::status(state, &e, teams, crate::store::now_millis()).await
}

#[utoipa::path(
    post,
    path = "/api/v1/slos",
    tag = "slos",
    summary = "Create an SLO (admins)",
    request_body = SloInput,
    responses(
        (status = 201, description = "Created, evaluated now", body = SloStatus),
        (status = 400, description = "The body is not an SLO", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, description = "The id is taken (by a stored SLO or a definition file)", body = ErrorBody),
        (status = 415, description = "A content type other than application/json", body = ErrorBody),
        (status = 422, description = "A field is invalid: `field` names it", body = ErrorBody),
    )
)]
pub(super) async fn create(
    State(state): State<AppState>,
    client: ClientAddr,
    Requires(p, ..): Requires<Admin>,
    headers: axum::http::HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<SloStatus>)> {
    let def = input(&state, &headers, &bytes).await?;
    let taken = || {
        ApiError::Conflict(format!(
            "an SLO `{}` exists already; pick another id, or edit it with PUT /api/v1/slos/{}",
            def.id, def.id
        ))
    };
    if state.slos.in_files(&def.id) || !state.store.insert_slo_def(&def, &p.actor()).await? {
        return Err(taken());
    }
    // Counts left by an SLO of the same id deleted earlier are not this one's.
    state.store.reset_sli(&def.id).await?;
    state.slos.forget(&def.id).await;
    audit(
        &state,
        AuditEntry {
            actor: &p.actor(),
            action: "slo_created",
            success: true,
            detail: describe(&def),
            ip: client.shown.clone(),
        },
    )
    .await;
    Ok((StatusCode::CREATED, Json(evaluated(&state, &def).await?)))
}

#[utoipa::path(
    put,
    path = "/api/v1/slos/{id}",
    tag = "slos",
    summary = "Edit an SLO made in the portal (admins)",
    description = "A new SLI (another kind, or other queries) drops the counts held: they are read again, or pushed again.",
    params(("id" = String, Path, description = "The SLO's id")),
    request_body = SloInput,
    responses(
        (status = 200, description = "Edited, evaluated now", body = SloStatus),
        (status = 400, description = "The body is not an SLO, or its id is not the path's", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such SLO", body = ErrorBody),
        (status = 409, description = "Defined in a file: edit the file", body = ErrorBody),
        (status = 422, description = "A field is invalid: `field` names it", body = ErrorBody),
    )
)]
pub(super) async fn update(
    State(state): State<AppState>,
    client: ClientAddr,
    Requires(p, ..): Requires<Admin>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<SloStatus>> {
    let def = input(&state, &headers, &bytes).await?;
    if def.id != id {
        return Err(ApiError::bad_param(
            "id",
            format!(
                "the body's id `{}` is not the path's `{}`; an SLO's id cannot change",
                def.id,
                nagare_core::text::printable(&id, 80)
            ),
        ));
    }
    read_only(&state, &id)?;
    state.slos.refresh_now(&state.store).await?;
    let old = state.slos.entry(&id).await.ok_or_else(|| not_found(&id))?;
    // A new SLI: its old counts are dropped with the edit, in one transaction.
    let reset = old.def.sli != def.sli;
    if !state
        .store
        .update_slo_def_resetting(&def, &p.actor(), reset)
        .await?
    {
        return Err(not_found(&id));
    }
    if reset {
        state.slos.forget(&id).await;
    }
    audit(
        &state,
        AuditEntry {
            actor: &p.actor(),
            action: "slo_updated",
            success: true,
            detail: describe(&def),
            ip: client.shown.clone(),
        },
    )
    .await;
    Ok(Json(evaluated(&state, &def).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/slos/{id}",
    tag = "slos",
    summary = "Delete an SLO made in the portal, with its counts (admins)",
    params(("id" = String, Path, description = "The SLO's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such SLO", body = ErrorBody),
        (status = 409, description = "Defined in a file: remove it from the file", body = ErrorBody),
    )
)]
pub(super) async fn remove(
    State(state): State<AppState>,
    client: ClientAddr,
    Requires(p, ..): Requires<Admin>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    read_only(&state, &id)?;
    if !state.store.delete_slo_def(&id).await? {
        return Err(not_found(&id));
    }
    state.slos.forget(&id).await;
    state.slos.refresh_now(&state.store).await?;
    audit(
        &state,
        AuditEntry {
            actor: &p.actor(),
            action: "slo_deleted",
            success: true,
            detail: format!("deleted SLO {id} and its counts"),
            ip: client.shown.clone(),
        },
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

fn read_only(state: &AppState, id: &str) -> ApiResult<()> {
    if state.slos.in_files(id) {
        return Err(ApiError::Conflict(format!(
            "SLO `{id}` is defined in a file of `[slo] dir`; change it there (the portal edits only SLOs made in the portal)"
        )));
    }
    Ok(())
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "no SLO `{}`; GET /api/v1/slos lists them",
        nagare_core::text::printable(id, 80)
    ))
}

fn describe(def: &SloDef) -> String {
    format!(
        "SLO {} ({}) of service {}: objective {}, window {}",
        def.id,
        def.name,
        def.service,
        def.objective,
        nagare_core::slo::eval::window_label(&def.window)
    )
}

/// The field serde names in "unknown field `x`" or "missing field `x`" (`sli.kind` for an
/// unknown SLI kind).
fn named_field(e: &str) -> Option<String> {
    ["unknown field `", "missing field `", "unknown variant `"]
        .iter()
        .find_map(|p| {
            let rest = &e[e.find(p)? + p.len()..];
            let name = &rest[..rest.find('`')?];
            Some(if p.starts_with("unknown variant") {
                "sli.kind".to_owned()
            } else {
                name.to_owned()
            })
        })
        .filter(|f| !f.is_empty() && f.len() <= 60 && !f.chars().any(char::is_control))
}
