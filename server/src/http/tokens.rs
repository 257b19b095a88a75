//! API tokens for automation (admins only): `GET`/`POST /api/v1/tokens`,
//! `DELETE /api/v1/tokens/{id}`. The secret is shown once, and stored only as a hash.

use super::body;
use crate::auth::extract::{Admin, Requires};
use crate::auth::{audit, hash_secret, list_or, random_token, ClientAddr, TOKEN_PREFIX};
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Synced};
use crate::store::{now_millis, AuditEntry};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use nagare_core::api::{ApiTokenRow, CreatedApiToken, ErrorBody, NewApiToken};
use nagare_core::Timestamp;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tokens", get(list).post(create))
        .route("/api/v1/tokens/{id}", delete(revoke))
}

#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "administration",
    summary = "API tokens, newest first (admin)",
    responses(
        (status = 200, description = "Tokens; never their secrets", body = Vec<ApiTokenRow>),
        (status = 403, description = "Not an admin", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    _: Requires<Admin>,
) -> ApiResult<Json<Vec<ApiTokenRow>>> {
    Ok(Json(state.store.tokens().await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "administration",
    summary = "Create an API token (admin)",
    description = "The secret is in this reply only; Nagare stores a hash.",
    request_body(content = NewApiToken, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = CreatedApiToken),
        (status = 400, description = "Invalid name, scopes, expiry or limit", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 415, description = "A content type other than application/json", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    client: ClientAddr,
    Requires(p, ..): Requires<Admin>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<CreatedApiToken>)> {
    body::kind(&headers, false)?;
    let text = std::str::from_utf8(&body).map_err(|_| bad_body("it is not UTF-8"))?;
    let value = nagare_core::events::strict_value(text).map_err(|e| bad_body(&e.to_string()))?;
    let new: NewApiToken = serde_json::from_value(value).map_err(|e| bad_body(&e.to_string()))?;
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_param(
            "name",
            "give the token a name of 1 to 100 characters, e.g. \"ci-ingest\"",
        ));
    }
    if new.scopes.is_empty() {
        return Err(ApiError::bad_param(
            "scopes",
            "choose at least one scope: read, ingest or trigger",
        ));
    }
    let now = now_millis();
    if new.expires_at.is_some_and(|e| e.0 <= now) {
        return Err(ApiError::bad_param(
            "expires_at",
            "the expiry must be in the future",
        ));
    }
    let mut scopes = new.scopes.clone();
    scopes.sort();
    scopes.dedup();
    let (teams, services) = restriction(&state, &new).await?;
    let secret = format!("{TOKEN_PREFIX}{}", random_token(32)?);
    let row = ApiTokenRow {
        id: random_token(9)?,
        name: name.to_owned(),
        scopes,
        prefix: secret.chars().take(TOKEN_PREFIX.len() + 6).collect(),
        created_by: p.id.clone(),
        created_at: Timestamp(now),
        expires_at: new.expires_at,
        last_used_at: None,
        revoked_at: None,
        teams,
        services,
    };
    state
        .store
        .create_token(&row, &hash_secret(&secret))
        .await?;
    audit(
        &state,
        AuditEntry {
            actor: &p.actor(),
            action: "token_created",
            success: true,
            detail: format!(
                "created API token “{}” ({}) with scopes {}{}",
                row.name,
                row.id,
                row.scopes
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                if row.teams.is_empty() && row.services.is_empty() {
                    ", for every service".to_owned()
                } else {
                    format!(
                        ", limited to teams: {}; services: {}",
                        list_or(&row.teams, "none"),
                        list_or(&row.services, "none")
                    )
                }
            ),
            ip: client.shown,
        },
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiToken { token: row, secret }),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    tag = "administration",
    summary = "Revoke an API token at once (admin)",
    params(("id" = String, Path, description = "The token's id")),
    responses(
        (status = 200, description = "Revoked", body = ApiTokenRow),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such token", body = ErrorBody),
    )
)]
async fn revoke(
    State(state): State<AppState>,
    client: ClientAddr,
    Requires(p, ..): Requires<Admin>,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiTokenRow>> {
    let row = state
        .store
        .revoke_token(&id, now_millis())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no API token has the id `{id}`")))?;
    audit(
        &state,
        AuditEntry {
            actor: &p.actor(),
            action: "token_revoked",
            success: true,
            detail: format!("revoked API token “{}” ({})", row.name, row.id),
            ip: client.shown,
        },
    )
    .await;
    Ok(Json(row))
}

fn bad_body(e: &str) -> ApiError {
    ApiError::BadRequest {
        error: format!(
            "the body must be {{\"name\": \"…\", \"scopes\": [\"read\"|\"ingest\"|\"trigger\"], \"expires_at\"?: \"RFC 3339\", \"teams\"?: [\"…\"], \"services\"?: [\"…\"]}}: {}",
            nagare_core::text::printable(e, 200)
        ),
        line: None,
        field: None,
    }
}

/// The token's team and service limit: names the catalogue knows, each once, sorted.
async fn restriction(state: &AppState, new: &NewApiToken) -> ApiResult<(Vec<String>, Vec<String>)> {
    let model = Synced::now(state).await?;
    let known_teams: Vec<String> = model
        .catalog()
        .teams()
        .into_iter()
        .map(|t| t.name)
        .collect();
    let known_services: Vec<String> = model
        .catalog()
        .services()
        .into_iter()
        .map(|s| s.name)
        .collect();
    let check = |field: &str, names: &[String], known: &[String], what: &str| {
        let mut out: Vec<String> = names.iter().map(|n| n.trim().to_owned()).collect();
        out.sort();
        out.dedup();
        if out.len() > 50 {
            return Err(ApiError::bad_param(field, format!("at most 50 {what}s")));
        }
        if let Some(unknown) = out.iter().find(|n| !known.contains(n)) {
            return Err(ApiError::bad_param(
                field,
                format!(
                    "no {what} is named `{}`; known {what}s: {}",
                    nagare_core::text::printable(unknown, 60),
                    list_or(
                        &known.iter().take(30).cloned().collect::<Vec<_>>(),
                        "none yet"
                    )
                ),
            ));
        }
        Ok(out)
    };
    Ok((
        check("teams", &new.teams, &known_teams, "team")?,
        check("services", &new.services, &known_services, "service")?,
    ))
}
