//! Who made a request, and what they may reach: roles, token scopes, and the services a
//! principal may read ([`ReadScope`]) and write ([`Principal::write_scope`]).

use super::list_or;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use nagare_core::access::{FilterRefusal, Limit, Scope};
use nagare_core::api::{Role, TokenScope};
use nagare_core::model::Org;

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
        /// Set when the token was created for some teams or services only.
        limit: Option<Limit>,
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
            Via::Token { scopes, .. } if scopes.contains(&scope) => Ok(()),
            Via::Token { .. } => Err(ApiError::Forbidden {
                error: format!("this API token lacks the `{}` scope", scope.as_str()),
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
    /// `trigger` scope, within their limit. Used by the pipeline and runbook endpoints.
    pub fn require_trigger(&self, service: &str, service_teams: &[String]) -> ApiResult<()> {
        self.require_scope(TokenScope::Trigger)?;
        let admitted = match self.write_scope() {
            Scope::All => true,
            Scope::Only(limit) => limit.admits(service, service_teams),
        };
        if admitted {
            return Ok(());
        }
        Err(ApiError::Forbidden {
            error: format!(
                "{service} belongs to {}; {} (yours: {})",
                list_or(service_teams, "no team"),
                match self.via {
                    Via::Token { .. } => "this API token triggers runs only within its limit",
                    _ => "engineers trigger runs only for their own teams' services",
                },
                self.limit_text()
            ),
            required_role: Some(Role::Admin),
        })
    }

    /// The services this principal may read, given `viewers_see_all_teams`.
    pub fn read_scope(&self, viewers_see_all_teams: bool) -> Scope {
        match &self.via {
            Via::Token { limit, .. } => limit.clone().map_or(Scope::All, Scope::Only),
            Via::Session { .. } if self.role == Role::Viewer && !viewers_see_all_teams => {
                Scope::Only(self.own_teams())
            }
            Via::Session { .. } | Via::Local => Scope::All,
        }
    }

    /// The services this principal may write events of: admins (and local mode) everything;
    /// engineers their own teams' services; tokens everything, or their limit.
    pub fn write_scope(&self) -> Scope {
        match &self.via {
            Via::Local => Scope::All,
            Via::Token { limit, .. } => limit.clone().map_or(Scope::All, Scope::Only),
            Via::Session { .. } if self.role == Role::Admin => Scope::All,
            Via::Session { .. } => Scope::Only(self.own_teams()),
        }
    }

    fn own_teams(&self) -> Limit {
        Limit {
            teams: self.teams.clone(),
            services: Vec::new(),
        }
    }

    /// The teams (or a token's limit) in words, for messages.
    fn limit_text(&self) -> String {
        match &self.via {
            Via::Token {
                limit: Some(limit), ..
            } => limit.describe(),
            _ => list_or(&self.teams, "none"),
        }
    }

    /// Who asks, for the trigger grants (`nagare_core::triggers::grants`): a token acts as an
    /// engineer within its limit, when it has the `trigger` scope.
    pub fn subject(&self) -> nagare_core::triggers::Subject {
        let token = match &self.via {
            Via::Token { scopes, .. } => Some(scopes.contains(&TokenScope::Trigger)),
            Via::Local | Via::Session { .. } => None,
        };
        nagare_core::triggers::Subject {
            role: if token.is_some() {
                Role::Engineer
            } else {
                self.role
            },
            teams: self.teams.clone(),
            token,
            scope: self.write_scope(),
        }
    }

    /// This principal as an approver: by subject, or by e-mail address.
    pub fn approver(&self) -> nagare_core::triggers::Approver<'_> {
        nagare_core::triggers::Approver {
            id: &self.id,
            email: self.email.as_deref(),
        }
    }

    /// The actor written to the audit log.
    pub fn actor(&self) -> String {
        self.id.clone()
    }
}

/// The principal the middleware resolved; 401 when there is none (a public route).
pub fn principal(req_principal: Option<axum::Extension<Principal>>) -> ApiResult<Principal> {
    req_principal
        .map(|axum::Extension(p)| p)
        .ok_or_else(|| ApiError::Unauthorized("sign-in required".into()))
}

/// What the request's principal may read. A handler that returns team or service data takes
/// this and checks the query's filters ([`ReadScope::check_filters`]) or the object it returns
/// ([`ReadScope::admits`]) against the model; the raw query string plays no part.
pub struct ReadScope {
    pub principal: Principal,
    pub scope: Scope,
}

impl FromRequestParts<AppState> for ReadScope {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<ReadScope> {
        let principal = principal(
            parts
                .extensions
                .get::<Principal>()
                .cloned()
                .map(axum::Extension),
        )?;
        let scope = principal.read_scope(state.config.auth.viewers_see_all_teams);
        Ok(ReadScope { principal, scope })
    }
}

impl ReadScope {
    /// A list or metric query's `team` and `service` filters: within the scope, or 403.
    pub fn check_filters(
        &self,
        org: &Org,
        team: Option<&str>,
        service: Option<&str>,
    ) -> ApiResult<()> {
        let Scope::Only(limit) = &self.scope else {
            return Ok(());
        };
        let p = &self.principal;
        let token = matches!(p.via, Via::Token { .. });
        let who = if token {
            format!("this API token is limited to {}", limit.describe())
        } else {
            format!(
                "viewers see only their own teams here (your teams: {})",
                list_or(&p.teams, "none")
            )
        };
        let error = match limit.check_filters(org, team, service) {
            Ok(()) => return Ok(()),
            Err(FilterRefusal::Unfiltered) => format!(
                "{who}; add team={}{}",
                limit.teams.first().map(String::as_str).unwrap_or("…"),
                if limit.services.is_empty() {
                    String::new()
                } else {
                    format!(" or service={}", limit.services[0])
                }
            ),
            Err(FilterRefusal::Team(t)) => format!("{who}; `{t}` is not one of them"),
            Err(FilterRefusal::Service { service, teams }) => format!(
                "{who}; service `{service}` belongs to {}",
                list_or(&teams, "no team")
            ),
        };
        Err(ApiError::Forbidden {
            error,
            required_role: (!token).then_some(Role::Engineer),
        })
    }

    /// Whether an object of `service` may be shown (detail endpoints).
    pub fn admits(&self, org: &Org, service: &str) -> bool {
        match &self.scope {
            Scope::All => true,
            Scope::Only(limit) => limit.admits(service, org.service_teams(service)),
        }
    }
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

    fn token(scopes: Vec<TokenScope>, limit: Option<Limit>) -> Principal {
        Principal {
            via: Via::Token { scopes, limit },
            ..user(Role::Viewer, &[])
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
        assert!(token(vec![TokenScope::Trigger], None)
            .require_trigger("ledger", &payments)
            .is_ok());
        assert!(token(vec![TokenScope::Ingest], None)
            .require_trigger("ledger", &payments)
            .is_err());
        let search_only = Limit {
            teams: vec!["search".into()],
            services: vec![],
        };
        assert!(token(vec![TokenScope::Trigger], Some(search_only))
            .require_trigger("ledger", &payments)
            .is_err());
    }

    #[test]
    fn read_and_write_scopes_follow_role_and_token_limit() {
        let limit = Limit {
            teams: vec![],
            services: vec!["ledger".into()],
        };
        assert_eq!(user(Role::Viewer, &["a"]).read_scope(true), Scope::All);
        assert!(
            matches!(user(Role::Viewer, &["a"]).read_scope(false), Scope::Only(l) if l.teams == ["a"])
        );
        assert_eq!(user(Role::Engineer, &["a"]).read_scope(false), Scope::All);
        assert!(matches!(
            user(Role::Engineer, &["a"]).write_scope(),
            Scope::Only(_)
        ));
        assert_eq!(user(Role::Admin, &[]).write_scope(), Scope::All);
        assert_eq!(Principal::local().write_scope(), Scope::All);
        let t = token(vec![TokenScope::Read], Some(limit.clone()));
        assert_eq!(t.read_scope(true), Scope::Only(limit.clone()));
        assert_eq!(t.write_scope(), Scope::Only(limit));
        assert_eq!(
            token(vec![TokenScope::Ingest], None).write_scope(),
            Scope::All
        );
    }
}
