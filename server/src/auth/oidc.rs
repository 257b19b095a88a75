//! OpenID Connect sign-in: authorization code flow with PKCE, against any issuer with discovery.
//!
//! - Discovery is fetched on first use and cached; an issuer whose document names another
//!   issuer is refused.
//! - The PKCE verifier, the nonce and the page to return to stay server-side
//!   (`login_attempts`), keyed by `state`, and each can be used once.
//! - The ID token's signature is checked against the provider's JWKS (refetched once when the
//!   key id is unknown), and `iss`, `aud`, `azp`, `exp`, `iat` (60 s skew) and `nonce`.

use crate::config::Config;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use nagare_core::api::Role;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::RwLock;

/// Clock skew allowed on `exp`, `iat` and `nbf`.
pub const SKEW_SECS: u64 = 60;

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider could not be reached at {url}: {error}")]
    Unreachable { url: String, error: String },
    #[error("the identity provider's discovery document is invalid: {0}")]
    Discovery(String),
    #[error("the identity provider refused the sign-in: {0}")]
    Provider(String),
    #[error("the ID token is not valid: {0}")]
    InvalidToken(String),
    #[error("{0}")]
    NoRole(String),
}

/// The parts of the discovery document Nagare uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
}

/// Who signed in, after validation and group mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub groups: Vec<String>,
    pub role: Role,
    pub teams: Vec<String>,
    pub id_token: String,
}

/// The client for one configured issuer.
pub struct Client {
    issuer: String,
    client_id: String,
    client_secret: String,
    redirect_url: String,
    scopes: Vec<String>,
    groups_claim: String,
    http: reqwest::Client,
    discovery: RwLock<Option<Discovery>>,
    jwks: RwLock<Option<JwkSet>>,
    roles: Vec<(String, Role)>,
    teams: Vec<(String, String)>,
    default_role: Option<Role>,
}

impl std::fmt::Debug for Client {
    // Never prints the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("oidc::Client")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// What the browser is sent to, and what is kept to finish the login.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

#[derive(Deserialize)]
struct TokenReply {
    id_token: Option<String>,
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

fn trim_slash(s: &str) -> &str {
    s.strip_suffix('/').unwrap_or(s)
}

impl Client {
    pub fn new(config: &Config) -> Result<Client, OidcError> {
        let a = &config.auth;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| OidcError::Discovery(e.to_string()))?;
        Ok(Client {
            issuer: a.issuer.clone(),
            client_id: a.client_id.clone(),
            client_secret: config.client_secret(),
            redirect_url: a.redirect_url.clone(),
            scopes: a.scopes.clone(),
            groups_claim: a.groups_claim.clone(),
            http,
            discovery: RwLock::new(None),
            jwks: RwLock::new(None),
            roles: a
                .roles
                .iter()
                .filter_map(|(g, r)| r.parse().ok().map(|r| (g.clone(), r)))
                .collect(),
            teams: a
                .teams
                .iter()
                .map(|(g, t)| (g.clone(), t.clone()))
                .collect(),
            default_role: a.default_role.parse().ok(),
        })
    }

    async fn get_json<T: for<'de> Deserialize<'de>>(&self, url: &str) -> Result<T, OidcError> {
        let unreachable = |e: reqwest::Error| OidcError::Unreachable {
            url: url.to_owned(),
            error: e.to_string(),
        };
        let resp = self.http.get(url).send().await.map_err(unreachable)?;
        if !resp.status().is_success() {
            return Err(OidcError::Unreachable {
                url: url.to_owned(),
                error: format!("HTTP {}", resp.status()),
            });
        }
        resp.json().await.map_err(unreachable)
    }

    /// The discovery document, fetched once. Refused when it names another issuer.
    pub async fn discovery(&self) -> Result<Discovery, OidcError> {
        if let Some(d) = self.discovery.read().await.clone() {
            return Ok(d);
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            trim_slash(&self.issuer)
        );
        let d: Discovery = self.get_json(&url).await?;
        if trim_slash(&d.issuer) != trim_slash(&self.issuer) {
            return Err(OidcError::Discovery(format!(
                "it names the issuer `{}`, not the configured `{}`; set auth.issuer to the provider's exact issuer URL",
                d.issuer, self.issuer
            )));
        }
        *self.discovery.write().await = Some(d.clone());
        Ok(d)
    }

    async fn jwks(&self, refresh: bool) -> Result<JwkSet, OidcError> {
        if !refresh {
            if let Some(k) = self.jwks.read().await.clone() {
                return Ok(k);
            }
        }
        let d = self.discovery().await?;
        let set: JwkSet = self.get_json(&d.jwks_uri).await?;
        *self.jwks.write().await = Some(set.clone());
        Ok(set)
    }

    /// Starts a login: the provider URL to redirect to, and what to keep server-side.
    pub async fn authorize(&self) -> Result<Authorization, OidcError> {
        let d = self.discovery().await?;
        let random = |n| super::random_token(n).map_err(|e| OidcError::Provider(e.to_string()));
        let state = random(32)?;
        let nonce = random(32)?;
        let pkce_verifier = random(48)?;
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(pkce_verifier.as_bytes()));
        let mut scopes: Vec<&str> = vec!["openid", "profile", "email"];
        scopes.extend(
            self.scopes
                .iter()
                .map(String::as_str)
                .filter(|s| !["openid", "profile", "email"].contains(s)),
        );
        let mut url = url::Url::parse(&d.authorization_endpoint)
            .map_err(|e| OidcError::Discovery(format!("authorization_endpoint: {e}")))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_url)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        Ok(Authorization {
            url: url.into(),
            state,
            nonce,
            pkce_verifier,
        })
    }

    /// Finishes a login: exchanges the code, validates the ID token, maps groups to a role.
    pub async fn finish(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<Identity, OidcError> {
        let d = self.discovery().await?;
        let reply = self
            .http
            .post(&d.token_endpoint)
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", self.redirect_url.as_str()),
                ("code_verifier", pkce_verifier),
            ])
            .send()
            .await
            .map_err(|e| OidcError::Unreachable {
                url: d.token_endpoint.clone(),
                error: e.to_string(),
            })?;
        let status = reply.status();
        let body: TokenReply = reply
            .json()
            .await
            .map_err(|e| OidcError::Provider(format!("token reply: {e}")))?;
        if let Some(error) = body.error {
            return Err(OidcError::Provider(format!(
                "{error}{}",
                body.error_description
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            )));
        }
        if !status.is_success() {
            return Err(OidcError::Provider(format!(
                "token endpoint answered HTTP {status}"
            )));
        }
        let id_token = body
            .id_token
            .ok_or_else(|| OidcError::Provider("the token reply has no id_token".into()))?;
        let mut claims = self.validate(&id_token, nonce).await?;
        if claims.get(&self.groups_claim).is_none() {
            if let (Some(userinfo), Some(access)) = (&d.userinfo_endpoint, &body.access_token) {
                let info: Value = self
                    .http
                    .get(userinfo)
                    .bearer_auth(access)
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                    .map_err(|e| OidcError::Unreachable {
                        url: userinfo.clone(),
                        error: e.to_string(),
                    })?
                    .json()
                    .await
                    .map_err(|e| OidcError::Provider(format!("userinfo reply: {e}")))?;
                if info.get("sub") != claims.get("sub") {
                    return Err(OidcError::InvalidToken(
                        "userinfo names another subject".into(),
                    ));
                }
                if let (Some(obj), Some(extra)) = (claims.as_object_mut(), info.as_object()) {
                    for (k, v) in extra {
                        obj.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
        self.identity(&claims, id_token)
    }

    /// Checks signature, issuer, audience, authorized party, times and nonce; returns the claims.
    pub async fn validate(&self, id_token: &str, nonce: &str) -> Result<Value, OidcError> {
        let invalid = |m: String| OidcError::InvalidToken(m);
        let header = jsonwebtoken::decode_header(id_token)
            .map_err(|e| invalid(format!("unreadable header: {e}")))?;
        if matches!(
            header.alg,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
        ) {
            return Err(invalid(format!(
                "{:?} is not accepted; the provider must sign with a published key",
                header.alg
            )));
        }
        let find = |set: &JwkSet| match &header.kid {
            Some(kid) => set.find(kid).cloned(),
            None if set.keys.len() == 1 => set.keys.first().cloned(),
            None => None,
        };
        let jwk = match find(&self.jwks(false).await?) {
            Some(k) => k,
            None => find(&self.jwks(true).await?)
                .ok_or_else(|| invalid(format!("no published key has kid {:?}", header.kid)))?,
        };
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| invalid(format!("unusable key: {e}")))?;
        let mut v = Validation::new(header.alg);
        v.leeway = SKEW_SECS;
        v.set_issuer(&[self.issuer.as_str(), trim_slash(&self.issuer)]);
        v.set_audience(&[self.client_id.as_str()]);
        v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        v.validate_nbf = true;
        let data = jsonwebtoken::decode::<Value>(id_token, &key, &v).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            invalid(match e.kind() {
                K::InvalidSignature => "bad signature".into(),
                K::ExpiredSignature => "expired".into(),
                K::InvalidIssuer => "wrong issuer".into(),
                K::InvalidAudience => format!("wrong audience (not {})", self.client_id),
                K::ImmatureSignature => "not valid yet (nbf)".into(),
                K::MissingRequiredClaim(c) => format!("missing claim `{c}`"),
                other => format!("{other:?}"),
            })
        })?;
        let claims = data.claims;
        let now = crate::store::now_millis() / 1000;
        let iat = claims
            .get("iat")
            .and_then(Value::as_i64)
            .unwrap_or(i64::MAX);
        if iat > now + SKEW_SECS as i64 {
            return Err(invalid("issued in the future (iat)".into()));
        }
        if let Some(azp) = claims.get("azp").and_then(Value::as_str) {
            if azp != self.client_id {
                return Err(invalid(format!(
                    "authorized party `{azp}` is not {}",
                    self.client_id
                )));
            }
        }
        let sent = claims
            .get("nonce")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !super::constant_time_eq(sent, nonce) {
            return Err(invalid("nonce does not match this sign-in".into()));
        }
        Ok(claims)
    }

    /// Maps validated claims to an identity: role from groups (highest wins), teams from groups.
    pub fn identity(&self, claims: &Value, id_token: String) -> Result<Identity, OidcError> {
        let text = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_owned);
        let subject =
            text("sub").ok_or_else(|| OidcError::InvalidToken("missing claim `sub`".into()))?;
        let groups: Vec<String> = match claims.get(&self.groups_claim) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|g| g.as_str().map(str::to_owned))
                .collect(),
            // One string: Cognito writes a multi-valued SAML attribute as "[a, b]".
            Some(Value::String(s)) => s
                .split([',', ' '])
                .map(|g| g.trim_matches(['[', ']', '"']))
                .filter(|g| !g.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        let role = groups
            .iter()
            .filter_map(|g| self.roles.iter().find(|(name, _)| name == g).map(|(_, r)| *r))
            .max()
            .or(self.default_role)
            .ok_or_else(|| {
                OidcError::NoRole(format!(
                    "your account has no Nagare role: none of your groups ({}) is mapped under [auth.roles]; ask an admin to map one",
                    super::list_or(&groups, "none")
                ))
            })?;
        let teams: BTreeSet<String> = groups
            .iter()
            .filter_map(|g| {
                self.teams
                    .iter()
                    .find(|(name, _)| name == g)
                    .map(|(_, t)| t.clone())
            })
            .collect();
        // An address the provider says it has not verified is not taken (approval groups
        // name people by e-mail).
        let email = text("email")
            .filter(|_| claims.get("email_verified").and_then(Value::as_bool) != Some(false));
        let name = text("name")
            .or_else(|| text("preferred_username"))
            .or_else(|| email.clone())
            .unwrap_or_else(|| subject.clone());
        Ok(Identity {
            subject,
            name,
            email,
            groups,
            role,
            teams: teams.into_iter().collect(),
            id_token,
        })
    }

    /// Where to send the browser after signing out: the provider's end-session endpoint when it
    /// has one (with the ID token hint), else Nagare's front page.
    pub async fn logout_url(&self, id_token: Option<&str>) -> String {
        let home = url::Url::parse(&self.redirect_url)
            .map(|u| format!("{}/", u.origin().ascii_serialization()))
            .unwrap_or_else(|_| "/".into());
        let Ok(d) = self.discovery().await else {
            return home;
        };
        let Some(end) = d.end_session_endpoint else {
            return home;
        };
        let Ok(mut url) = url::Url::parse(&end) else {
            return home;
        };
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &self.client_id);
            q.append_pair("post_logout_redirect_uri", &home);
            if let Some(t) = id_token {
                q.append_pair("id_token_hint", t);
            }
        }
        url.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        let mut c = Config::default();
        c.auth.issuer = "https://idp.example.com".into();
        c.auth.client_id = "nagare".into();
        c.auth.groups_claim = "custom:groups".into();
        c.auth.roles.insert("g-admins".into(), "admin".into());
        c.auth.roles.insert("g-eng".into(), "engineer".into());
        c.auth.teams.insert("g-eng".into(), "payments".into());
        Client::new(&c).unwrap()
    }

    #[test]
    fn groups_as_a_list_or_a_cognito_string_map_to_the_highest_role() {
        let c = client();
        let list = serde_json::json!({"sub": "u1", "custom:groups": ["g-eng", "other"]});
        let i = c.identity(&list, String::new()).unwrap();
        assert_eq!(
            (i.role, i.teams.clone()),
            (Role::Engineer, vec!["payments".to_owned()])
        );
        let cognito = serde_json::json!({"sub": "u1", "email": "a@x.io", "custom:groups": "[g-eng, g-admins]"});
        let i = c.identity(&cognito, String::new()).unwrap();
        assert_eq!(i.role, Role::Admin);
        assert_eq!(i.name, "a@x.io", "no name claim: the email");
        let none = serde_json::json!({"sub": "u1", "custom:groups": "[other]"});
        assert!(
            matches!(c.identity(&none, String::new()), Err(OidcError::NoRole(m)) if m.contains("other"))
        );
    }
}
