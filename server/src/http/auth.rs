//! Sign-in and sign-out: `GET /auth/login`, `GET /auth/callback`, `POST /auth/logout`.
//!
//! - `return_to` is checked once, at `/auth/login` ([`safe_return_to`]): a path of this portal,
//!   or `/`. The callback only ever redirects to what was stored.
//! - The login is bound to the browser that started it: `/auth/login` sets a short-lived
//!   cookie ([`LOGIN_COOKIE`]) and stores its hash with the `state`; a callback whose browser
//!   does not hold that cookie is refused (login CSRF: an attacker's callback URL opened in the
//!   victim's browser would otherwise sign the victim in as the attacker).
//! - Failed callbacks are counted per client address ([`crate::auth::limiter`]).

use super::query::Params;
use crate::auth::extract::Signed;
use crate::auth::limiter::Verdict;
use crate::auth::oidc::OidcError;
use crate::auth::{
    audit, cookie_value, hash_secret, list_or, random_token, see_other, ClientAddr, Via,
    SESSION_COOKIE,
};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{now_millis, AuditEntry, LoginAttempt, SessionRow};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use nagare_core::api::ErrorBody;

/// How long a sign-in may take between the redirect to the provider and its callback.
const LOGIN_TTL_MS: i64 = 10 * 60 * 1000;
/// The cookie that binds a sign-in to the browser that started it.
pub const LOGIN_COOKIE: &str = "nagare_login";
/// Longest `return_to` kept; longer ones fall back to `/`.
const MAX_RETURN_TO: usize = 2048;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/auth/logout", post(logout))
}

/// The page to come back to after sign-in: only a path of this portal, else `/`.
///
/// `raw` is the parameter as the query string decoded it (once). It must start with exactly one
/// `/` (no second `/` or `\`, which browsers read as another host), hold no control character,
/// whitespace or backslash; and decoded once more it must still not start with `//` or hold a
/// control character. Non-ASCII characters are percent-encoded, so the result is always a
/// valid `Location`.
pub fn safe_return_to(raw: Option<&str>) -> String {
    let Some(v) = raw else {
        return "/".into();
    };
    let plain = |s: &str, allow_space: bool| {
        s.starts_with('/')
            && !matches!(s.as_bytes().get(1), Some(b'/' | b'\\'))
            && !s
                .chars()
                .any(|c| c.is_control() || c == '\\' || (!allow_space && c.is_whitespace()))
    };
    let decoded = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
    if v.len() > MAX_RETURN_TO || !plain(v, false) || !plain(&decoded, true) {
        return "/".into();
    }
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

fn not_configured() -> ApiError {
    ApiError::NotFound(
        "single sign-on is not configured: Nagare runs in local mode, where no sign-in is needed"
            .into(),
    )
}

/// A browser's login cookie value: the one it already holds (so that two tabs signing in at
/// once both complete), or a new one.
fn login_binding(headers: &HeaderMap) -> ApiResult<(String, bool)> {
    match cookie_value(headers, LOGIN_COOKIE).filter(|v| {
        v.len() == 43
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }) {
        Some(v) => Ok((v.to_owned(), false)),
        None => Ok((random_token(32)?, true)),
    }
}

#[utoipa::path(
    get,
    path = "/auth/login",
    tag = "sign-in",
    summary = "Start single sign-on: redirects to the identity provider",
    security(()),
    params(("return_to" = Option<String>, Query, description = "The portal path to come back to after sign-in")),
    responses(
        (status = 303, description = "To the provider's authorization endpoint"),
        (status = 404, description = "Single sign-on is not configured (local mode)", body = ErrorBody),
    )
)]
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let oidc = state.oidc.clone().ok_or_else(not_configured)?;
    let params = Params::lenient(query.as_deref())?;
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
    let (browser, fresh) = login_binding(&headers)?;
    state
        .store
        .save_login_attempt(&LoginAttempt {
            state: auth.state,
            nonce: auth.nonce,
            pkce_verifier: auth.pkce_verifier,
            return_to: safe_return_to(params.get("return_to")),
            browser_hash: hash_secret(&browser),
            created_at: now,
        })
        .await?;
    let mut resp = see_other(&auth.url);
    if fresh {
        let cookie = format!(
            "{LOGIN_COOKIE}={browser}; Path=/auth; HttpOnly; SameSite=Lax; Max-Age={}{}",
            LOGIN_TTL_MS / 1000,
            secure(&state)
        );
        set_cookie(&mut resp, &cookie);
    }
    Ok(resp)
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

/// Counts a failed callback and writes it to the audit log when it is the first from its
/// address in the window (the repeats become one row later); then the page saying why.
async fn refuse(
    state: &AppState,
    client: &ClientAddr,
    status: StatusCode,
    reason: &str,
    page: &str,
) -> Response {
    let now = now_millis();
    let verdict = state
        .sign_in_failures
        .failed(&client.key, client.shown.as_deref(), reason, now);
    if verdict == Verdict::Record {
        audit(
            state,
            AuditEntry {
                actor: "anonymous",
                action: "sign_in_failed",
                success: false,
                detail: reason.to_owned(),
                ip: client.shown.clone(),
            },
        )
        .await;
    }
    sign_in_failed(status, page)
}

#[utoipa::path(
    get,
    path = "/auth/callback",
    tag = "sign-in",
    summary = "The provider's redirect back: validates the sign-in and starts a session",
    security(()),
    params(
        ("code" = Option<String>, Query, description = "The authorization code"),
        ("state" = Option<String>, Query, description = "The state this sign-in began with"),
        ("error" = Option<String>, Query, description = "The provider's error, when it refused"),
        ("error_description" = Option<String>, Query, description = "The provider's explanation"),
    ),
    responses(
        (status = 303, description = "Signed in: session cookie set, on to return_to"),
        (status = 400, description = "Unknown, reused or expired state (an HTML page saying so)"),
        (status = 401, description = "The ID token was refused (an HTML page naming why)"),
        (status = 403, description = "No role for the user's groups (an HTML page)"),
        (status = 429, description = "Too many failed sign-ins from this address; retry after Retry-After seconds"),
    )
)]
async fn callback(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let oidc = state.oidc.clone().ok_or_else(not_configured)?;
    if let Some(wait) = state
        .sign_in_failures
        .retry_after(&client.key, now_millis())
    {
        state.sign_in_failures.failed(
            &client.key,
            client.shown.as_deref(),
            "refused: too many failed sign-ins",
            now_millis(),
        );
        let mut resp = sign_in_failed(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("Too many failed sign-ins from your address. Try again in {wait} seconds."),
        );
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(resp);
    }
    let q = Params::lenient(query.as_deref())?;
    let Some(st) = q.get("state") else {
        return Ok(refuse(
            &state,
            &client,
            StatusCode::BAD_REQUEST,
            "the callback has no state",
            "The provider's answer has no `state`.",
        )
        .await);
    };
    let attempt = state.store.take_login_attempt(st).await?;
    let Some(attempt) = attempt.filter(|a| now_millis() - a.created_at <= LOGIN_TTL_MS) else {
        return Ok(refuse(
            &state,
            &client,
            StatusCode::BAD_REQUEST,
            "unknown, reused or expired sign-in state",
            "This sign-in is unknown, was already used, or took longer than 10 minutes. Start again.",
        )
        .await);
    };
    let browser = cookie_value(&headers, LOGIN_COOKIE).map(hash_secret);
    if browser.as_deref() != Some(attempt.browser_hash.as_str()) {
        return Ok(refuse(
            &state,
            &client,
            StatusCode::BAD_REQUEST,
            "the sign-in was started in another browser (login cookie missing or different)",
            "This sign-in was started in another browser, or its sign-in cookie is gone. Start again from this browser.",
        )
        .await);
    }
    if let Some(error) = q.get("error") {
        let said = format!(
            "{error}{}",
            q.get("error_description")
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        );
        // The audit log caps (and marks) what it keeps; the page shows the start.
        let logged = nagare_core::text::printable(&said, usize::MAX);
        let shown = nagare_core::text::printable(&said, 300);
        return Ok(refuse(
            &state,
            &client,
            StatusCode::UNAUTHORIZED,
            &format!("the provider answered {logged}"),
            &format!("The identity provider answered: {shown}"),
        )
        .await);
    }
    let Some(code) = q.get("code") else {
        return Ok(refuse(
            &state,
            &client,
            StatusCode::BAD_REQUEST,
            "the callback has no authorization code",
            "The provider's answer has no authorization code.",
        )
        .await);
    };
    let identity = match oidc
        .finish(code, &attempt.pkce_verifier, &attempt.nonce)
        .await
    {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "sign-in refused");
            let status = match e {
                OidcError::NoRole(_) => StatusCode::FORBIDDEN,
                OidcError::Unreachable { .. } => StatusCode::BAD_GATEWAY,
                _ => StatusCode::UNAUTHORIZED,
            };
            return Ok(refuse(&state, &client, status, &e.to_string(), &e.to_string()).await);
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
            ip: client.shown.clone(),
        },
    )
    .await;
    let mut resp = see_other(&attempt.return_to);
    set_cookie(&mut resp, &session_cookie(&state, &id, absolute_ms / 1000));
    Ok(resp)
}

fn secure(state: &AppState) -> &'static str {
    if state.config.auth.https() {
        "; Secure"
    } else {
        ""
    }
}

fn session_cookie(state: &AppState, value: &str, max_age_secs: i64) -> String {
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        secure(state)
    )
}

fn set_cookie(resp: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The reply to `POST /auth/logout`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SignedOut {
    /// Where to send the browser: the provider's end-session address, or `/`.
    pub redirect: String,
}

/// Ends the server session and tells the app where to send the browser next.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "sign-in",
    summary = "End the session",
    description = "Tells the app where to send the browser next: the provider's end-session address, or `/`.",
    responses(
        (status = 200, description = "Signed out", body = SignedOut),
        (status = 403, description = "A missing or wrong CSRF token", body = ErrorBody),
    )
)]
async fn logout(
    State(state): State<AppState>,
    client: ClientAddr,
    Signed(p): Signed,
) -> ApiResult<Response> {
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
                ip: client.shown,
            },
        )
        .await;
    }
    let mut resp = Json(SignedOut { redirect }).into_response();
    set_cookie(&mut resp, &session_cookie(&state, "", 0));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::safe_return_to;

    #[test]
    fn return_to_keeps_own_paths_and_refuses_everything_else() {
        for (given, kept) in [
            ("/", "/"),
            (
                "/deployments?environment_tier=production&page=2",
                "/deployments?environment_tier=production&page=2",
            ),
            ("/deployments?team=Team%20A", "/deployments?team=Team%20A"),
            ("/ページ", "/%E3%83%9A%E3%83%BC%E3%82%B8"),
        ] {
            assert_eq!(safe_return_to(Some(given)), kept, "{given:?}");
        }
        // As the query string decoded them (once).
        for hostile in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\t\t/evil.example",
            "\t//evil.example",
            " /x",
            "/x y",
            "/x\u{3000}y",
            "/%2F/evil.example",
            "/%5Cevil.example",
            "/%2f%2fevil.example",
            "/%0d%0aSet-Cookie:%20x=1",
            "/x%00",
            "/x\u{0}",
            "/x\r\nLocation: //evil",
            "/x\u{b}",
            "/x\u{7f}",
            "/a\\b",
            "https://evil.example",
            "javascript:alert(1)",
            "%2F%2Fevil.example",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_return_to(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(safe_return_to(None), "/");
        assert_eq!(safe_return_to(Some(&format!("/{}", "a".repeat(3000)))), "/");
    }
}
