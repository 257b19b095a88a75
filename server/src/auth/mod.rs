//! Who is asking, and may they: sessions (cookie), API tokens (bearer), and local mode.
//!
//! [`authenticate`] runs before every route. Only the paths of [`is_public`] are served to
//! anonymous callers; everything else needs a session or a token, and unsafe methods under a
//! cookie session also pass the CSRF check. The handler then finds the [`Principal`] in the
//! request's extensions and checks the role or scope it needs.

pub mod oidc;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{now_millis, AuditEntry, SessionRow};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use nagare_core::api::{Role, TokenScope};
use sha2::{Digest, Sha256};

/// The session cookie: an opaque random id; the database keeps only its hash.
pub const SESSION_COOKIE: &str = "nagare_session";
/// The header the web app sends its per-session CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// API token secrets start with this, so they are recognisable in a leak scan.
pub const TOKEN_PREFIX: &str = "ngr_";
/// Sessions are touched (idle timer) at most this often.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Paths served without a session or token. Everything else requires one; a test walks
/// every route of the router to hold this.
pub const PUBLIC_API_PATHS: [&str; 4] = ["/healthz", "/readyz", "/auth/login", "/auth/callback"];

/// Whether `path` may be served anonymously: the probes, the two sign-in steps, and the
/// static web app (which holds no data; it asks the API, which checks).
pub fn is_public(path: &str) -> bool {
    PUBLIC_API_PATHS.contains(&path)
        || !(path.starts_with("/api/") || path == "/api" || path.starts_with("/auth/"))
}

/// Who made a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// The provider's `sub`, `token:<id>`, or `local`.
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub role: Role,
    pub teams: Vec<String>,
    pub via: Via,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Via {
    /// No identity provider configured: the one local user, an admin.
    Local,
    Session {
        id_hash: String,
        csrf: String,
    },
    Token {
        scopes: Vec<TokenScope>,
    },
}

impl Principal {
    pub fn local() -> Principal {
        Principal {
            id: "local".into(),
            name: "Local user".into(),
            email: None,
            role: Role::Admin,
            teams: Vec::new(),
            via: Via::Local,
        }
    }

    /// Fails with 403 unless the principal has at least `role`. Tokens never act as users:
    /// they pass only the checks of [`Principal::require_scope`].
    pub fn require_role(&self, role: Role) -> ApiResult<()> {
        if matches!(self.via, Via::Token { .. }) {
            return Err(ApiError::Forbidden {
                error: format!(
                    "API tokens cannot do this; it needs a signed-in user with the {} role",
                    role.as_str()
                ),
                required_role: Some(role),
            });
        }
        if self.role >= role {
            return Ok(());
        }
        Err(ApiError::Forbidden {
            error: format!(
                "this needs the {} role; you are signed in as {} ({})",
                role.as_str(),
                self.name,
                self.role.as_str()
            ),
            required_role: Some(role),
        })
    }

    /// Whether this principal may do what `scope` covers (users by role, tokens by scope).
    pub fn require_scope(&self, scope: TokenScope) -> ApiResult<()> {
        match &self.via {
            Via::Token { scopes } if scopes.contains(&scope) => Ok(()),
            Via::Token { .. } => Err(ApiError::Forbidden {
                error: format!("this API token lacks the `{}` scope", scope_name(scope)),
                required_role: None,
            }),
            Via::Local | Via::Session { .. } => match scope {
                TokenScope::Read => Ok(()),
                TokenScope::Ingest | TokenScope::Trigger => self.require_role(Role::Engineer),
            },
        }
    }

    /// Whether this principal may trigger runs and runbooks of a service owned by
    /// `service_teams`: admins always; engineers for their own teams' services; tokens with the
    /// `trigger` scope. Used by the pipeline and runbook endpoints.
    pub fn require_trigger(&self, service: &str, service_teams: &[String]) -> ApiResult<()> {
        self.require_scope(TokenScope::Trigger)?;
        if matches!(self.via, Via::Token { .. }) || self.role == Role::Admin {
            return Ok(());
        }
        if service_teams.iter().any(|t| self.teams.contains(t)) {
            return Ok(());
        }
        Err(ApiError::Forbidden {
            error: format!(
                "{service} belongs to {}; engineers trigger runs only for their own teams' services (yours: {})",
                list_or(service_teams, "no team"),
                list_or(&self.teams, "none")
            ),
            required_role: Some(Role::Admin),
        })
    }

    /// The actor written to the audit log.
    pub fn actor(&self) -> String {
        self.id.clone()
    }
}

/// `items` joined with commas, or `empty` when there are none (for messages and the audit log).
pub fn list_or(items: &[String], empty: &str) -> String {
    if items.is_empty() {
        empty.to_owned()
    } else {
        items.join(", ")
    }
}

pub fn scope_name(s: TokenScope) -> &'static str {
    match s {
        TokenScope::Read => "read",
        TokenScope::Ingest => "ingest",
        TokenScope::Trigger => "trigger",
    }
}

/// `len` random bytes as unpadded base64url.
pub fn random_token(len: usize) -> ApiResult<String> {
    let mut buf = vec![0u8; len];
    getrandom::fill(&mut buf)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

/// SHA-256 as lowercase hex: how session ids and token secrets are stored.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal without leaking where two strings first differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The client address for the audit log: the TCP peer, and behind a proxy the first
/// `X-Forwarded-For` hop it reports (`203.0.113.7 via 10.0.0.2`). The peer part cannot be
/// forged by the client; the forwarded part is only as trustworthy as the proxy.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientAddr(pub Option<String>);

impl ClientAddr {
    pub fn from_parts(headers: &HeaderMap, peer: Option<std::net::SocketAddr>) -> ClientAddr {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        let peer = peer.map(|a| a.ip().to_string());
        ClientAddr(match (forwarded, peer) {
            (Some(f), Some(p)) if f != p => Some(format!("{f} via {p}")),
            (f, p) => p.or(f),
        })
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0);
        Ok(ClientAddr::from_parts(&parts.headers, peer))
    }
}

/// Resolves the principal of every request, or refuses it. See the module documentation.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // Only owned parts cross an await: the request body is not Sync.
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let headers = req.headers().clone();
    // Assets and probes carry the cookie too, but nothing there needs the session: look it up
    // only for the API, sign-out, and page loads (which go to sign-in without one).
    let navigation = state.oidc.is_some() && is_page_navigation(&method, &path, &headers);
    let wants_session = navigation || !is_public(&path);
    let resolved = match resolve(&state, &method, &path, &headers, wants_session).await {
        Ok(Some(p)) => authorize(&state, &p, &method, &path, &query)
            .await
            .map(|()| Some(p)),
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
            axum::response::IntoResponse::into_response(axum::response::Redirect::to(&format!(
                "/auth/login?return_to={back}"
            )))
        }
        Ok(None) => next.run(req).await,
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}

/// A browser asking for a page of the web app (not an asset, probe or sign-in step): a `GET`
/// that fetches a document (`Sec-Fetch-Dest`, or `Accept: text/html` from older clients).
fn is_page_navigation(method: &Method, path: &str, headers: &HeaderMap) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let document = match get("sec-fetch-dest") {
        Some(dest) => dest == "document",
        None => get("accept").is_some_and(|a| a.contains("text/html")),
    };
    *method == Method::GET
        && document
        && !PUBLIC_API_PATHS.contains(&path)
        && !path.starts_with("/auth/")
        && !path.starts_with("/api/")
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

/// What a principal may reach, beyond signing in: token scopes, the engineer role for ingest
/// under a session, and (when so configured) viewers limited to their own teams.
async fn authorize(
    state: &AppState,
    p: &Principal,
    method: &Method,
    path: &str,
    query: &str,
) -> ApiResult<()> {
    let ingest = *method == Method::POST && path == "/api/v1/events";
    match &p.via {
        Via::Token { .. } if ingest => return p.require_scope(TokenScope::Ingest),
        Via::Token { .. } if !is_unsafe(method) => p.require_scope(TokenScope::Read)?,
        Via::Token { .. } if path.starts_with("/api/") => {
            return Err(ApiError::Forbidden {
                error: format!("API tokens cannot call {method} {path}; it needs a signed-in user"),
                required_role: None,
            })
        }
        _ if ingest => return p.require_scope(TokenScope::Ingest),
        _ => {}
    }
    let team_scoped = [
        "/api/v1/metrics/",
        "/api/v1/deployments",
        "/api/v1/incidents",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix));
    if p.role == Role::Viewer
        && matches!(p.via, Via::Session { .. })
        && !state.config.auth.viewers_see_all_teams
        && team_scoped
    {
        let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, v)| key == k && !v.is_empty())
                .map(|(_, v)| v.clone())
        };
        let allowed = match (get("team"), get("service")) {
            (Some(team), _) => p.teams.contains(&team),
            (None, Some(service)) => {
                let model = state.model.read().await;
                model
                    .org
                    .services()
                    .iter()
                    .any(|s| s.name == service && s.teams.iter().any(|t| p.teams.contains(t)))
            }
            (None, None) => false,
        };
        if !allowed {
            return Err(ApiError::Forbidden {
                error: format!(
                    "viewers see only their own teams here; add team={} (your teams: {})",
                    p.teams.first().map(String::as_str).unwrap_or("…"),
                    list_or(&p.teams, "none")
                ),
                required_role: Some(Role::Engineer),
            });
        }
    }
    Ok(())
}

fn is_unsafe(m: &Method) -> bool {
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
    Ok(Principal {
        id: format!("token:{}", token.id),
        name: format!("API token “{}”", token.name),
        email: None,
        role: Role::Viewer,
        teams: Vec::new(),
        via: Via::Token {
            scopes: token.scopes,
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

/// Unsafe methods under a cookie session: the browser must say the request is same-origin
/// (`Origin`, `Sec-Fetch-Site`), and the app must send the session's CSRF token.
fn check_csrf(state: &AppState, headers: &HeaderMap, p: &Principal) -> ApiResult<()> {
    let Via::Session { csrf, .. } = &p.via else {
        return Ok(());
    };
    let refuse = |why: &str| ApiError::Forbidden {
        error: format!("cross-site request refused: {why}"),
        required_role: None,
    };
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return Err(refuse(&format!("Sec-Fetch-Site is `{site}`")));
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        if Some(origin) != own_origin(state, headers).as_deref() {
            return Err(refuse(&format!("Origin `{origin}` is not this portal")));
        }
    }
    let sent = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !constant_time_eq(sent, csrf) {
        return Err(refuse(&format!("missing or wrong {CSRF_HEADER} header")));
    }
    Ok(())
}

/// This portal's origin: from the configured redirect URL, else the Host header.
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

/// The principal the middleware resolved; 401 when there is none (a public route).
pub fn principal(req_principal: Option<axum::Extension<Principal>>) -> ApiResult<Principal> {
    req_principal
        .map(|axum::Extension(p)| p)
        .ok_or_else(|| ApiError::Unauthorized("sign-in required".into()))
}

/// Appends to the audit log; a failure to write it is logged, never hidden.
pub async fn audit(state: &AppState, entry: AuditEntry<'_>) {
    if let Err(e) = state.store.audit(&entry).await {
        tracing::error!(error = %e, action = entry.action, "could not write the audit log");
    }
}

/// A summary of who gets which role and team, from the configuration.
pub fn access_summary(config: &crate::config::Config) -> String {
    let a = &config.auth;
    let roles: Vec<String> = a.roles.iter().map(|(g, r)| format!("{g}={r}")).collect();
    let teams: Vec<String> = a.teams.iter().map(|(g, t)| format!("{g}={t}")).collect();
    format!(
        "roles: {}; teams: {}; default role: {}; viewers see all teams: {}",
        list_or(&roles, "none"),
        list_or(&teams, "none"),
        if a.default_role.is_empty() {
            "none"
        } else {
            a.default_role.as_str()
        },
        a.viewers_see_all_teams
    )
}

/// At start-up: appends `config_loaded` to the audit log when the role and team mapping differs
/// from the one last recorded, so every change of who may do what is on record.
pub async fn record_access_config(state: &AppState) -> ApiResult<()> {
    let summary = access_summary(&state.config);
    let last = state
        .store
        .audit_page(Some("config_loaded"), None, 1, 1)
        .await?;
    if last.items.first().map(|r| r.detail.as_str()) != Some(summary.as_str()) {
        state
            .store
            .audit(&AuditEntry {
                actor: "system",
                action: "config_loaded",
                success: true,
                detail: summary,
                ip: None,
            })
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, teams: &[&str]) -> Principal {
        Principal {
            id: "u".into(),
            name: "U".into(),
            email: None,
            role,
            teams: teams.iter().map(|t| t.to_string()).collect(),
            via: Via::Session {
                id_hash: "h".into(),
                csrf: "c".into(),
            },
        }
    }

    #[test]
    fn engineers_trigger_only_their_own_teams_services() {
        let payments = vec!["payments".to_owned()];
        assert!(user(Role::Engineer, &["payments"])
            .require_trigger("ledger", &payments)
            .is_ok());
        let e = user(Role::Engineer, &["search"])
            .require_trigger("ledger", &payments)
            .unwrap_err();
        assert!(e.to_string().contains("ledger belongs to payments"), "{e}");
        assert!(user(Role::Viewer, &["payments"])
            .require_trigger("ledger", &payments)
            .is_err());
        assert!(user(Role::Admin, &[])
            .require_trigger("ledger", &payments)
            .is_ok());
        let token = |scopes| Principal {
            via: Via::Token { scopes },
            ..user(Role::Viewer, &[])
        };
        assert!(token(vec![TokenScope::Trigger])
            .require_trigger("ledger", &payments)
            .is_ok());
        assert!(token(vec![TokenScope::Ingest])
            .require_trigger("ledger", &payments)
            .is_err());
    }

    #[test]
    fn only_api_and_auth_paths_need_a_principal() {
        for p in [
            "/healthz",
            "/readyz",
            "/auth/login",
            "/auth/callback",
            "/",
            "/deployments",
            "/boot.js",
        ] {
            assert!(is_public(p), "{p}");
        }
        for p in [
            "/api/v1/session",
            "/api/v1/events",
            "/auth/logout",
            "/api/anything",
            "/api",
        ] {
            assert!(!is_public(p), "{p}");
        }
    }

    #[test]
    fn the_audited_address_is_the_peer_and_what_a_proxy_forwarded() {
        let peer: std::net::SocketAddr = "10.0.0.2:51234".parse().unwrap();
        let mut h = HeaderMap::new();
        assert_eq!(ClientAddr::from_parts(&h, None), ClientAddr(None));
        assert_eq!(
            ClientAddr::from_parts(&h, Some(peer)).0.as_deref(),
            Some("10.0.0.2")
        );
        h.insert("x-forwarded-for", "203.0.113.7, 10.0.0.9".parse().unwrap());
        assert_eq!(
            ClientAddr::from_parts(&h, Some(peer)).0.as_deref(),
            Some("203.0.113.7 via 10.0.0.2")
        );
        assert_eq!(
            ClientAddr::from_parts(&h, None).0.as_deref(),
            Some("203.0.113.7")
        );
    }

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
        let script = with(&[("sec-fetch-dest", "script"), ("accept", "text/html")]);
        assert!(!is_page_navigation(&Method::GET, "/app.js", &script));
        let old_browser = with(&[("accept", "text/html,application/xhtml+xml")]);
        assert!(is_page_navigation(&Method::GET, "/", &old_browser));
        assert!(!is_page_navigation(&Method::GET, "/", &HeaderMap::new()));
    }

    #[test]
    fn secrets_compare_in_full() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
        assert_eq!(hash_secret("x").len(), 64);
    }
}
