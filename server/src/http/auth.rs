//! Sign-in and sign-out: `GET /auth/login`, `GET /auth/callback`, `POST /auth/logout`.

use crate::auth::oidc::OidcError;
use crate::auth::{
    audit, hash_secret, list_or, principal, random_token, ClientAddr, Principal, Via,
    SESSION_COOKIE,
};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{now_millis, AuditEntry, LoginAttempt, SessionRow};
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use std::collections::HashMap;

/// How long a sign-in may take between the redirect to the provider and its callback.
const LOGIN_TTL_MS: i64 = 10 * 60 * 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/auth/logout", post(logout))
}

/// Only paths of this portal: `/…` but not `//host` (an open redirect).
fn safe_return_to(r: Option<&String>) -> String {
    match r {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\") => p.clone(),
        _ => "/".into(),
    }
}

fn not_configured() -> ApiError {
    ApiError::NotFound(
        "single sign-on is not configured: Nagare runs in local mode, where no sign-in is needed"
            .into(),
    )
}

async fn login(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let oidc = state.oidc.clone().ok_or_else(not_configured)?;
    let auth = oidc.authorize().await.map_err(provider_down)?;
    let now = now_millis();
    state
        .store
        .purge_sessions(
            now,
            now - state.config.auth.session_idle_minutes as i64 * 60_000,
            now - LOGIN_TTL_MS,
        )
        .await?;
    state
        .store
        .save_login_attempt(&LoginAttempt {
            state: auth.state,
            nonce: auth.nonce,
            pkce_verifier: auth.pkce_verifier,
            return_to: safe_return_to(q.get("return_to")),
            created_at: now,
        })
        .await?;
    Ok(Redirect::to(&auth.url).into_response())
}

fn provider_down(e: OidcError) -> ApiError {
    tracing::error!(error = %e, "identity provider unavailable");
    ApiError::Internal(anyhow::anyhow!("{e}"))
}

/// A sign-in that cannot complete: a plain page saying why and how to start again.
fn sign_in_failed(status: StatusCode, why: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in failed · Nagare</title></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;line-height:1.5\">\
         <h1>Sign-in failed</h1><p data-test=\"sign-in-error\">{}</p><p><a href=\"/auth/login\">Sign in again</a></p></body></html>",
        html_escape(why)
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    Query(q): Query<Callback>,
) -> ApiResult<Response> {
    let oidc = state.oidc.clone().ok_or_else(not_configured)?;
    let fail = |detail: String| AuditEntry {
        actor: "anonymous",
        action: "sign_in_failed",
        success: false,
        detail,
        ip: ip.clone(),
    };
    let Some(st) = q.state.as_deref().filter(|s| !s.is_empty()) else {
        return Ok(sign_in_failed(
            StatusCode::BAD_REQUEST,
            "The provider's answer has no `state`.",
        ));
    };
    let attempt = state.store.take_login_attempt(st).await?;
    let Some(attempt) = attempt.filter(|a| now_millis() - a.created_at <= LOGIN_TTL_MS) else {
        audit(
            &state,
            fail("unknown, reused or expired sign-in state".into()),
        )
        .await;
        return Ok(sign_in_failed(
            StatusCode::BAD_REQUEST,
            "This sign-in is unknown, was already used, or took longer than 10 minutes. Start again.",
        ));
    };
    if let Some(error) = q.error {
        let why = format!(
            "{error}{}",
            q.error_description
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        );
        audit(&state, fail(format!("the provider answered {why}"))).await;
        return Ok(sign_in_failed(
            StatusCode::UNAUTHORIZED,
            &format!("The identity provider answered: {why}"),
        ));
    }
    let Some(code) = q.code.filter(|c| !c.is_empty()) else {
        return Ok(sign_in_failed(
            StatusCode::BAD_REQUEST,
            "The provider's answer has no authorization code.",
        ));
    };
    let identity = match oidc
        .finish(&code, &attempt.pkce_verifier, &attempt.nonce)
        .await
    {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "sign-in refused");
            audit(&state, fail(e.to_string())).await;
            let status = match e {
                OidcError::NoRole(_) => StatusCode::FORBIDDEN,
                OidcError::Unreachable { .. } => StatusCode::BAD_GATEWAY,
                _ => StatusCode::UNAUTHORIZED,
            };
            return Ok(sign_in_failed(status, &e.to_string()));
        }
    };
    // A fresh session id at every sign-in.
    let id = random_token(32)?;
    let now = now_millis();
    let absolute_ms = state.config.auth.session_absolute_hours as i64 * 3_600_000;
    state
        .store
        .create_session(
            &hash_secret(&id),
            &SessionRow {
                subject: identity.subject.clone(),
                name: identity.name.clone(),
                email: identity.email.clone(),
                role: identity.role,
                teams: identity.teams.clone(),
                csrf: random_token(32)?,
                id_token: Some(identity.id_token.clone()),
                created_at: now,
                last_seen_at: now,
                expires_at: now + absolute_ms,
            },
        )
        .await?;
    audit(
        &state,
        AuditEntry {
            actor: &identity.subject,
            action: "sign_in",
            success: true,
            detail: format!(
                "{} signed in as {} (groups: {}; teams: {})",
                identity.name,
                identity.role.as_str(),
                list_or(&identity.groups, "none"),
                list_or(&identity.teams, "none")
            ),
            ip,
        },
    )
    .await;
    let mut resp = Redirect::to(&attempt.return_to).into_response();
    set_cookie(&mut resp, &session_cookie(&state, &id, absolute_ms / 1000));
    Ok(resp)
}

fn session_cookie(state: &AppState, value: &str, max_age_secs: i64) -> String {
    let secure = if state.config.auth.https() {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    )
}

fn set_cookie(resp: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Ends the server session and tells the app where to send the browser next.
async fn logout(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    p: Option<Extension<Principal>>,
) -> ApiResult<Response> {
    let p = principal(p)?;
    let mut redirect = "/".to_owned();
    if let Via::Session { id_hash, .. } = &p.via {
        let id_token = state.store.session(id_hash).await?.and_then(|s| s.id_token);
        state.store.delete_session(id_hash).await?;
        if let Some(oidc) = &state.oidc {
            redirect = oidc.logout_url(id_token.as_deref()).await;
        }
        audit(
            &state,
            AuditEntry {
                actor: &p.id,
                action: "sign_out",
                success: true,
                detail: format!("{} signed out", p.name),
                ip,
            },
        )
        .await;
    }
    let mut resp = Json(serde_json::json!({ "redirect": redirect })).into_response();
    set_cookie(&mut resp, &session_cookie(&state, "", 0));
    Ok(resp)
}
