//! `[auth]`: single sign-on (OpenID Connect), roles, teams, sessions and sign-in limits.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// The OpenID provider's issuer URL (discovery at `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    /// Prefer `client_secret_file` or `NAGARE_OIDC_CLIENT_SECRET` over writing it here.
    pub client_secret: String,
    pub client_secret_file: Option<PathBuf>,
    /// Nagare's callback as registered with the provider: `https://HOST/auth/callback`.
    pub redirect_url: String,
    /// Scopes asked for besides `openid profile email` (e.g. `groups`).
    pub scopes: Vec<String>,
    /// The claim carrying the user's groups, read from the ID token, else from userinfo.
    pub groups_claim: String,
    /// Group → role (`viewer`, `engineer`, `admin`). Several groups combine to the highest.
    pub roles: BTreeMap<String, String>,
    /// Group → team. A user may be in several teams.
    pub teams: BTreeMap<String, String>,
    /// The role of a user none of whose groups is mapped; empty refuses them.
    pub default_role: String,
    /// Viewers see every team (DevOps favours transparency); false: only their own teams.
    pub viewers_see_all_teams: bool,
    pub session_idle_minutes: u64,
    pub session_absolute_hours: u64,
    /// Failed sign-ins per client address and window before `/auth/callback` answers 429.
    pub failed_sign_in_limit: u32,
    pub failed_sign_in_window_minutes: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            client_secret_file: None,
            redirect_url: String::new(),
            scopes: Vec::new(),
            groups_claim: "groups".into(),
            roles: BTreeMap::new(),
            teams: BTreeMap::new(),
            default_role: String::new(),
            viewers_see_all_teams: true,
            session_idle_minutes: 8 * 60,
            session_absolute_hours: 7 * 24,
            failed_sign_in_limit: 20,
            failed_sign_in_window_minutes: 10,
        }
    }
}

impl AuthConfig {
    /// Whether single sign-on is configured (else local mode).
    pub fn enabled(&self) -> bool {
        !self.issuer.trim().is_empty()
    }

    /// Cookies get `Secure`, and responses HSTS, when Nagare is reached over https.
    pub fn https(&self) -> bool {
        self.redirect_url.starts_with("https://")
    }
}
