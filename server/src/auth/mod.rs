//! Who is asking, and may they: sessions (cookie), API tokens (bearer), and local mode.
//!
//! [`guard::check_host`] and [`guard::authenticate`] run before every route. Only the paths of
//! [`is_public`] are served to anonymous callers; everything else needs a session or a token,
//! and unsafe methods pass a cross-site check (the CSRF token too, under a cookie session).
//! The handler then finds the [`Principal`] in the request's extensions and checks the role,
//! the token scope, and the teams' data it needs ([`ReadScope`], [`Principal::write_scope`]).

mod client;
pub mod extract;
pub mod guard;
pub mod hosts;
pub mod limiter;
pub mod oidc;
mod principal;

pub use client::{ClientAddr, TrustedProxies};
pub use guard::{authenticate, check_host};
pub use principal::{principal, Principal, ReadScope, Via};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::AuditEntry;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

/// The session cookie: an opaque random id; the database keeps only its hash.
pub const SESSION_COOKIE: &str = "nagare_session";
/// The header the web app sends its per-session CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// API token secrets start with this, so they are recognisable in a leak scan.
pub const TOKEN_PREFIX: &str = "ngr_";

/// Paths served without a session or token. Everything else requires one; a test walks
/// every route of the router to hold this.
pub const PUBLIC_API_PATHS: [&str; 5] = [
    "/healthz",
    "/readyz",
    "/auth/login",
    "/auth/callback",
    // Webhooks: each delivery is verified by its source's signature (`sources/`).
    "/hooks/{source}",
];

/// Whether `path` may be served anonymously: the probes, the two sign-in steps, and the
/// static web app (which holds no data; it asks the API, which checks).
pub fn is_public(path: &str) -> bool {
    PUBLIC_API_PATHS.contains(&path)
        || path.starts_with("/hooks/")
        || !(path.starts_with("/api/") || path == "/api" || path.starts_with("/auth/"))
}

/// `items` joined with commas, or `empty` when there are none (for messages and the audit log).
pub fn list_or(items: &[String], empty: &str) -> String {
    if items.is_empty() {
        empty.to_owned()
    } else {
        items.join(", ")
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
    hex_sha256(secret.as_bytes())
}

/// SHA-256 of `bytes` as lowercase hex.
pub fn hex_sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
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

/// A `303 See Other` to `location`. Unlike a panic or a 500, a location that is not a valid
/// header value (only possible through a bug: sign-in targets are checked first) sends the
/// browser home.
pub fn see_other(location: &str) -> Response {
    let value = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response()
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
    // Compared as stored: the log caps long details.
    let summary = crate::store::audit_detail(&access_summary(&state.config));
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
    fn secrets_compare_in_full() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
        assert_eq!(hash_secret("x").len(), 64);
    }
}
