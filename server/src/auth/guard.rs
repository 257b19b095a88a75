//! The middleware in front of every route: the `Host` check, then who is asking
//! ([`authenticate`]): a token, a cookie session, or the local user; then the cross-site
//! check for unsafe methods, in local mode as well as under sessions.

use super::{
    constant_time_eq, cookie_value, hash_secret, is_public, Principal, Via, CSRF_HEADER,
    PUBLIC_API_PATHS, SESSION_COOKIE, TOKEN_PREFIX,
};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{now_millis, SessionRow};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use nagare_core::api::{Role, TokenScope};
use nagare_core::text::printable;

/// Sessions are touched (idle timer) at most this often.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Answers only requests addressed to this portal (against DNS rebinding): in local mode
/// `127.0.0.1:PORT`, `localhost:PORT` and `[::1]:PORT`; with single sign-on the host of
/// `auth.redirect_url`; in both, the hosts of `server.allowed_hosts`. The probes answer any
/// host, so that load balancers and orchestrators can reach them by address.
pub async fn check_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path == "/healthz" || path == "/readyz" {
        return next.run(req).await;
    }
    let host = req
        .headers()
        .get(header::HOST)
        .map(|h| h.to_str().unwrap_or("\u{fffd}").to_owned());
    let authority = req.uri().authority().map(|a| a.as_str().to_owned());
    let refused = [host.as_deref(), authority.as_deref()]
        .into_iter()
        .flatten()
        .find(|h| !state.host_allowed(h))
        .map(str::to_owned)
        .or_else(|| (host.is_none() && authority.is_none()).then(String::new));
    match refused {
        None => next.run(req).await,
        Some(h) => ApiError::Misdirected(format!(
            "this portal does not answer to the host `{}`; it answers to {}. If this name is yours, add it to server.allowed_hosts",
            printable(&h, 100),
            state.allowed_hosts_text()
        ))
        .into_response(),
    }
}

/// Resolves the principal of every request, or refuses it. See the module documentation.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // Only owned parts cross an await: the request body is not Sync.
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let headers = req.headers().clone();
    // Assets and probes carry the cookie too, but nothing there needs the session: look it up
    // only for the API, sign-out, and page loads (which go to sign-in without one).
    let navigation = state.oidc.is_some() && is_page_navigation(&method, &path, &headers);
    let wants_session = navigation || !is_public(&path);
    let resolved = match resolve(&state, &method, &path, &headers, wants_session).await {
        Ok(Some(p)) => authorize(&p, &method, &path).map(|()| Some(p)),
        other => other,
    };
    match resolved {
        Ok(Some(p)) => {
            req.extensions_mut().insert(p);
            next.run(req).await
        }
        // Someone opening a page of the portal without a session goes straight to sign-in
        // and comes back to that page, rather than loading the app only to be refused by the API.
        Ok(None) if navigation => {
            let here = req.uri().path_and_query().map_or("/", |p| p.as_str());
            let back: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
            super::see_other(&format!("/auth/login?return_to={back}"))
        }
        Ok(None) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// A browser asking for a page of the web app (not an asset, probe or sign-in step): a `GET`
/// that fetches a document (`Sec-Fetch-Dest`, or `Accept: text/html` from older clients).
pub(super) fn is_page_navigation(method: &Method, path: &str, headers: &HeaderMap) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let document = match get("sec-fetch-dest") {
        Some(dest) => dest == "document",
        None => get("accept").is_some_and(|a| a.contains("text/html")),
    };
    *method == Method::GET
        && document
        && !PUBLIC_API_PATHS.contains(&path)
        && !path.starts_with("/auth/")
        && (!path.starts_with("/api/") || path == "/api/docs")
}

async fn resolve(
    state: &AppState,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    wants_session: bool,
) -> ApiResult<Option<Principal>> {
    // A token is honoured (with its scopes) even in local mode, so scripts behave the same there.
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let value = auth.to_str().unwrap_or_default();
        let Some(secret) = value.strip_prefix("Bearer ") else {
            return Err(ApiError::Unauthorized(
                "the Authorization header must be `Bearer <API token>`".into(),
            ));
        };
        return token_principal(state, secret.trim()).await.map(Some);
    }
    if state.local_mode {
        // No cookie to ride on, but a page of another site can still post here: the browser
        // must say the request comes from the portal itself.
        if is_unsafe(method) {
            check_same_origin(state, headers)?;
        }
        return Ok(Some(Principal::local()));
    }
    if let Some(id) = cookie_value(headers, SESSION_COOKIE).filter(|_| wants_session) {
        match session_principal(state, id).await? {
            Some(p) => {
                if is_unsafe(method) {
                    check_csrf(state, headers, &p)?;
                }
                return Ok(Some(p));
            }
            None if is_public(path) => return Ok(None),
            None => {
                return Err(ApiError::Unauthorized(
                    "your session has ended (signed out, idle too long, or expired); sign in again"
                        .into(),
                ))
            }
        }
    }
    if is_public(path) {
        return Ok(None);
    }
    Err(ApiError::Unauthorized(
        "sign-in required: sign in through /auth/login, or send an API token as `Authorization: Bearer <token>`".into(),
    ))
}

/// What a principal may call, beyond signing in: token scopes, and the engineer role for
/// ingest under a session. Which teams' data it may see or write is checked by the handlers
/// against the objects themselves (`ReadScope`, `Principal::write_scope`).
fn authorize(p: &Principal, method: &Method, path: &str) -> ApiResult<()> {
    let ingest = *method == Method::POST && path == "/api/v1/events";
    match &p.via {
        Via::Token { .. } if ingest => p.require_scope(TokenScope::Ingest),
        Via::Token { .. } if *method == Method::POST && is_trigger_path(path) => {
            p.require_scope(TokenScope::Trigger)
        }
        Via::Token { .. } if !is_unsafe(method) => p.require_scope(TokenScope::Read),
        Via::Token { .. } if path.starts_with("/api/") => Err(ApiError::Forbidden {
            error: format!("API tokens cannot call {method} {path}; it needs a signed-in user"),
            required_role: None,
        }),
        _ if ingest => p.require_scope(TokenScope::Ingest),
        _ => Ok(()),
    }
}

/// The routes a token with the `trigger` scope may POST to: starting, cancelling and re-running
/// runs (never approving: an approval is a person's).
fn is_trigger_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    matches!(
        parts.as_slice(),
        ["", "api", "v1", "triggers", _, "runs"] | ["", "api", "v1", "runs", _, "cancel" | "rerun"]
    )
}

pub(super) fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

async fn token_principal(state: &AppState, secret: &str) -> ApiResult<Principal> {
    let bad = || {
        ApiError::Unauthorized("this API token is not valid (unknown, revoked or expired)".into())
    };
    if !secret.starts_with(TOKEN_PREFIX) {
        return Err(bad());
    }
    let token = state
        .store
        .token_by_hash(&hash_secret(secret))
        .await?
        .ok_or_else(bad)?;
    let now = now_millis();
    if token.revoked_at.is_some() || token.expires_at.is_some_and(|e| e.0 <= now) {
        return Err(bad());
    }
    state.store.touch_token(&token.id, now).await?;
    let limit = (!token.teams.is_empty() || !token.services.is_empty()).then(|| {
        nagare_core::access::Limit {
            teams: token.teams.clone(),
            services: token.services.clone(),
        }
    });
    Ok(Principal {
        id: format!("token:{}", token.id),
        name: format!("API token “{}”", token.name),
        email: None,
        role: Role::Viewer,
        teams: token.teams,
        via: Via::Token {
            scopes: token.scopes,
            limit,
        },
    })
}

async fn session_principal(state: &AppState, id: &str) -> ApiResult<Option<Principal>> {
    let id_hash = hash_secret(id);
    let Some(s) = state.store.session(&id_hash).await? else {
        return Ok(None);
    };
    let now = now_millis();
    let idle_ms = state.config.auth.session_idle_minutes as i64 * 60_000;
    if s.expires_at <= now || s.last_seen_at + idle_ms <= now {
        state.store.delete_session(&id_hash).await?;
        return Ok(None);
    }
    if now - s.last_seen_at >= TOUCH_EVERY_MS {
        state.store.touch_session(&id_hash, now).await?;
    }
    Ok(Some(session_to_principal(s, id_hash)))
}

fn session_to_principal(s: SessionRow, id_hash: String) -> Principal {
    Principal {
        id: s.subject,
        name: s.name,
        email: s.email,
        role: s.role,
        teams: s.teams,
        via: Via::Session {
            id_hash,
            csrf: s.csrf,
        },
    }
}

fn cross_site(why: &str) -> ApiError {
    ApiError::Forbidden {
        error: format!("cross-site request refused: {why}"),
        required_role: None,
    }
}

/// An unsafe request must come from the portal's own pages: `Sec-Fetch-Site` (when the
/// browser sends it) is `same-origin` or `none`, and `Origin` (when sent) is this portal.
/// Scripts send neither and pass; browsers send them on every cross-site request.
fn check_same_origin(state: &AppState, headers: &HeaderMap) -> ApiResult<()> {
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or("?");
        if !matches!(site, "same-origin" | "none") {
            return Err(cross_site(&format!(
                "Sec-Fetch-Site is `{}`",
                printable(site, 40)
            )));
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("?");
        if Some(origin) != own_origin(state, headers).as_deref() {
            return Err(cross_site(&format!(
                "Origin `{}` is not this portal",
                printable(origin, 100)
            )));
        }
    }
    Ok(())
}

/// Unsafe methods under a cookie session: the same-origin check, and the session's CSRF token.
fn check_csrf(state: &AppState, headers: &HeaderMap, p: &Principal) -> ApiResult<()> {
    let Via::Session { csrf, .. } = &p.via else {
        return Ok(());
    };
    check_same_origin(state, headers)?;
    let sent = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !constant_time_eq(sent, csrf) {
        return Err(cross_site(&format!(
            "missing or wrong {CSRF_HEADER} header"
        )));
    }
    Ok(())
}

/// This portal's origin: from the configured redirect URL, else the (already checked) Host.
fn own_origin(state: &AppState, headers: &HeaderMap) -> Option<String> {
    url::Url::parse(&state.config.auth.redirect_url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
        .or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(|h| format!("http://{h}"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_documents_are_sent_to_sign_in() {
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, v.parse().unwrap());
            }
            h
        };
        let doc = with(&[("sec-fetch-dest", "document")]);
        assert!(is_page_navigation(&Method::GET, "/deployments", &doc));
        assert!(!is_page_navigation(&Method::POST, "/deployments", &doc));
        assert!(!is_page_navigation(&Method::GET, "/healthz", &doc));
        assert!(!is_page_navigation(&Method::GET, "/auth/logout", &doc));
        assert!(!is_page_navigation(&Method::GET, "/api/v1/session", &doc));
        // The API reference is a page: without a session it goes through sign-in too.
        assert!(is_page_navigation(&Method::GET, "/api/docs", &doc));
        assert!(!is_page_navigation(
            &Method::GET,
            "/api/v1/openapi.json",
            &doc
        ));
        let script = with(&[("sec-fetch-dest", "script"), ("accept", "text/html")]);
        assert!(!is_page_navigation(&Method::GET, "/app.js", &script));
        let old_browser = with(&[("accept", "text/html,application/xhtml+xml")]);
        assert!(is_page_navigation(&Method::GET, "/", &old_browser));
        assert!(!is_page_navigation(&Method::GET, "/", &HeaderMap::new()));
    }
}
