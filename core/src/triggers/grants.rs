//! Who may do what with a target's runs. Each verb (trigger, re-run, re-run failed, cancel,
//! approve) is granted by role ([`Grants`]); a grant reaches the services the user's teams own
//! (admins: every service). A target may narrow it further to some roles and teams. API tokens
//! with the `trigger` scope act within their limit like an engineer, and never approve: an
//! approval is a person's.

use crate::access::Scope;
use crate::api::{Role, Verb};

/// The least role each verb needs (`[triggers.grants]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grants {
    pub trigger: Role,
    pub rerun: Role,
    pub rerun_failed: Role,
    pub cancel: Role,
    pub approve: Role,
}

impl Default for Grants {
    fn default() -> Self {
        Grants {
            trigger: Role::Engineer,
            rerun: Role::Engineer,
            rerun_failed: Role::Engineer,
            cancel: Role::Engineer,
            approve: Role::Engineer,
        }
    }
}

impl Grants {
    pub fn role_for(&self, verb: Verb) -> Role {
        match verb {
            Verb::Trigger => self.trigger,
            Verb::Rerun => self.rerun,
            Verb::RerunFailed => self.rerun_failed,
            Verb::Cancel => self.cancel,
            Verb::Approve => self.approve,
        }
    }
}

/// Who asks.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub role: Role,
    pub teams: Vec<String>,
    /// An API token: `Some(has the trigger scope)`.
    pub token: Option<bool>,
    /// The services it may act on (admins and unlimited tokens: all).
    pub scope: Scope,
}

/// What a target's runs belong to, and whom the target admits.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub service: &'a str,
    pub service_teams: &'a [String],
    /// Only these roles may trigger it (admins always may); empty: any role granted.
    pub roles: &'a [Role],
    /// Only members of these teams may trigger it (admins always may); empty: the service's
    /// owners, as for any target.
    pub teams: &'a [String],
}

/// What is missing for a verb, in words for the 403.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Missing {
    #[error("{verb} needs the {needed} role; you are {have}")]
    Role {
        verb: Verb,
        needed: Role,
        have: Role,
    },
    #[error("this API token lacks the `trigger` scope")]
    TokenScope,
    #[error("API tokens cannot approve; an approval is a signed-in person's")]
    TokenApproves,
    #[error("{service} belongs to {owners}; you may {verb} only for your own teams' services (yours: {yours})")]
    Team {
        verb: Verb,
        service: String,
        owners: String,
        yours: String,
    },
    #[error("this target admits only the roles {allowed}; you are {have}")]
    TargetRole { allowed: String, have: Role },
    #[error("this target admits only members of {allowed}; yours: {yours}")]
    TargetTeam { allowed: String, yours: String },
}

impl Missing {
    /// The role that would be enough, when a role is what is missing.
    pub fn role(&self) -> Option<Role> {
        match self {
            Missing::Role { needed, .. } => Some(*needed),
            Missing::Team { .. } | Missing::TargetRole { .. } | Missing::TargetTeam { .. } => {
                Some(Role::Admin)
            }
            Missing::TokenScope | Missing::TokenApproves => None,
        }
    }
}

fn words(items: &[String], none: &str) -> String {
    if items.is_empty() {
        none.to_owned()
    } else {
        items.join(", ")
    }
}

/// Whether `who` may `verb` runs of `target`.
pub fn check(
    grants: &Grants,
    who: &Subject,
    verb: Verb,
    target: &Target<'_>,
) -> Result<(), Missing> {
    match who.token {
        Some(_) if verb == Verb::Approve => return Err(Missing::TokenApproves),
        Some(false) => return Err(Missing::TokenScope),
        Some(true) | None => {}
    }
    // A token acts as an engineer: a verb granted to admins only is not a token's.
    let needed = grants.role_for(verb);
    if who.role < needed {
        return Err(Missing::Role {
            verb,
            needed,
            have: who.role,
        });
    }
    if who.token.is_none() && who.role == Role::Admin {
        return Ok(());
    }
    if let Scope::Only(limit) = &who.scope {
        if !limit.admits(target.service, target.service_teams) {
            return Err(Missing::Team {
                verb,
                service: target.service.to_owned(),
                owners: words(target.service_teams, "no team"),
                yours: limit.describe(),
            });
        }
    }
    // The target's own narrowing applies to starting runs; approving is the group's.
    if verb != Verb::Approve {
        if !target.roles.is_empty() && !target.roles.contains(&who.role) {
            return Err(Missing::TargetRole {
                allowed: target
                    .roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                have: who.role,
            });
        }
        if !target.teams.is_empty() && !target.teams.iter().any(|t| who.teams.contains(t)) {
            return Err(Missing::TargetTeam {
                allowed: target.teams.join(", "),
                yours: words(&who.teams, "no team"),
            });
        }
    }
    Ok(())
}

/// The verbs `who` may use on `target`, in order.
pub fn verbs(grants: &Grants, who: &Subject, target: &Target<'_>) -> Vec<Verb> {
    Verb::ALL
        .iter()
        .copied()
        .filter(|v| check(grants, who, *v, target).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::access::Limit;

    fn user(role: Role, teams: &[&str]) -> Subject {
        let teams: Vec<String> = teams.iter().map(|t| (*t).to_owned()).collect();
        Subject {
            role,
            scope: if role == Role::Admin {
                Scope::All
            } else {
                Scope::Only(Limit {
                    teams: teams.clone(),
                    services: vec![],
                })
            },
            teams,
            token: None,
        }
    }

    #[test]
    fn engineers_act_on_their_own_teams_services_only() {
        let payments = vec!["payments".to_owned()];
        let t = Target {
            service: "ledger",
            service_teams: &payments,
            roles: &[],
            teams: &[],
        };
        let g = Grants::default();
        assert_eq!(
            verbs(&g, &user(Role::Engineer, &["payments"]), &t),
            Verb::ALL.to_vec()
        );
        let other = check(&g, &user(Role::Engineer, &["search"]), Verb::Trigger, &t).unwrap_err();
        assert_eq!(
            other.to_string(),
            "ledger belongs to payments; you may trigger only for your own teams' services (yours: teams search)"
        );
        assert_eq!(other.role(), Some(Role::Admin));
        let viewer = check(&g, &user(Role::Viewer, &["payments"]), Verb::Trigger, &t).unwrap_err();
        assert_eq!(
            viewer.to_string(),
            "trigger needs the engineer role; you are viewer"
        );
        assert_eq!(verbs(&g, &user(Role::Admin, &[]), &t), Verb::ALL.to_vec());
    }

    #[test]
    fn grants_per_verb_and_target_narrowing() {
        let payments = vec!["payments".to_owned()];
        let sre = vec!["sre".to_owned()];
        let g = Grants {
            approve: Role::Admin,
            cancel: Role::Admin,
            ..Grants::default()
        };
        let t = Target {
            service: "ledger",
            service_teams: &payments,
            roles: &[],
            teams: &sre,
        };
        let eng = user(Role::Engineer, &["payments"]);
        assert_eq!(
            verbs(&g, &eng, &Target { teams: &[], ..t }),
            vec![Verb::Trigger, Verb::Rerun, Verb::RerunFailed]
        );
        assert_eq!(
            check(&g, &eng, Verb::Trigger, &t).unwrap_err().to_string(),
            "this target admits only members of sre; yours: payments"
        );
        let both = user(Role::Engineer, &["payments", "sre"]);
        assert!(check(&g, &both, Verb::Trigger, &t).is_ok());
        let admins_only = [Role::Admin];
        let t2 = Target {
            roles: &admins_only,
            teams: &[],
            ..t
        };
        assert!(matches!(
            check(&g, &both, Verb::Trigger, &t2),
            Err(Missing::TargetRole { .. })
        ));
        assert!(check(&g, &user(Role::Admin, &[]), Verb::Trigger, &t2).is_ok());
    }

    #[test]
    fn tokens_need_the_scope_stay_in_their_limit_and_never_approve() {
        let payments = vec!["payments".to_owned()];
        let t = Target {
            service: "ledger",
            service_teams: &payments,
            roles: &[],
            teams: &[],
        };
        let g = Grants::default();
        let mut token = Subject {
            role: Role::Engineer,
            teams: vec![],
            token: Some(true),
            scope: Scope::All,
        };
        assert_eq!(
            verbs(&g, &token, &t),
            vec![Verb::Trigger, Verb::Rerun, Verb::RerunFailed, Verb::Cancel]
        );
        assert_eq!(
            check(&g, &token, Verb::Approve, &t),
            Err(Missing::TokenApproves)
        );
        token.scope = Scope::Only(Limit {
            teams: vec!["search".into()],
            services: vec![],
        });
        assert!(matches!(
            check(&g, &token, Verb::Trigger, &t),
            Err(Missing::Team { .. })
        ));
        let admins_cancel = Grants {
            cancel: Role::Admin,
            ..Grants::default()
        };
        token.scope = Scope::All;
        assert!(
            matches!(
                check(&admins_cancel, &token, Verb::Cancel, &t),
                Err(Missing::Role { .. })
            ),
            "a verb granted to admins only is not a token's"
        );
        token.token = Some(false);
        assert_eq!(
            check(&g, &token, Verb::Trigger, &t),
            Err(Missing::TokenScope)
        );
    }
}
