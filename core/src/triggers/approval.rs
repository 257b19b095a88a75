//! Where a run's approval stands. A request is approved by one member of its group (`any`) or
//! by every member but the requester (`all`); never by the requester; one rejection ends it; it
//! expires when nobody finished approving it in time. Group members are named by e-mail
//! address (compared without case) or by the identity provider's subject.

use crate::api::{ApprovalDecision, ApprovalMode, ApprovalPolicy, Decision};
use crate::time::Timestamp;

/// A person, by the names a group may list them under.
#[derive(Debug, Clone, Copy)]
pub struct Approver<'a> {
    /// The identity provider's subject (or `local`).
    pub id: &'a str,
    pub email: Option<&'a str>,
}

impl Approver<'_> {
    /// Whether `name` (a group member, or a decision's `by`) is this person.
    pub fn is(&self, name: &str) -> bool {
        name == self.id || self.email.is_some_and(|e| e.eq_ignore_ascii_case(name))
    }
}

/// Where a request stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Still waiting for these members.
    Pending {
        waiting_for: Vec<String>,
    },
    Approved,
    Rejected {
        by: String,
    },
    Expired,
}

/// Why an answer is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    #[error("you asked for this run; someone else of {group} must approve it")]
    OwnRequest { group: String },
    #[error("only members of the approval group {group} may answer ({members})")]
    NotInGroup { group: String, members: String },
    #[error("you already answered this request")]
    AlreadyAnswered,
    #[error("this request expired at {0}; ask for the run again")]
    Expired(String),
    #[error("this request is no longer waiting for approval")]
    NotPending,
    #[error("nobody but you is in the approval group {group}, so nobody could approve your request; add approvers to the group")]
    NoOtherApprover { group: String },
}

/// The members who must approve a request by `requester`: the group but the requester.
fn needed<'p>(policy: &'p ApprovalPolicy, requester: &Approver<'_>) -> Vec<&'p String> {
    policy
        .approvers
        .iter()
        .filter(|m| !requester.is(m))
        .collect()
}

/// Whether anyone but the requester could approve (checked when the run is asked for).
pub fn can_be_approved(
    policy: &ApprovalPolicy,
    requester: &Approver<'_>,
) -> Result<(), ApprovalError> {
    if needed(policy, requester).is_empty() {
        return Err(ApprovalError::NoOtherApprover {
            group: policy.group.clone(),
        });
    }
    Ok(())
}

/// Where a request by `requester` stands at `now`, given its decisions so far.
pub fn standing(
    policy: &ApprovalPolicy,
    requester: &Approver<'_>,
    decisions: &[ApprovalDecision],
    now: Timestamp,
    expires_at: Timestamp,
) -> Standing {
    if let Some(r) = decisions.iter().find(|d| d.decision == Decision::Reject) {
        return Standing::Rejected { by: r.by.clone() };
    }
    let approved_by = |m: &str| {
        decisions
            .iter()
            .any(|d| d.decision == Decision::Approve && (d.by == m || d.by.eq_ignore_ascii_case(m)))
    };
    let needed = needed(policy, requester);
    let done = match policy.mode {
        ApprovalMode::Any => needed.iter().any(|m| approved_by(m)),
        ApprovalMode::All => !needed.is_empty() && needed.iter().all(|m| approved_by(m)),
    };
    if done {
        return Standing::Approved;
    }
    if now >= expires_at {
        return Standing::Expired;
    }
    Standing::Pending {
        waiting_for: needed
            .into_iter()
            .filter(|m| !approved_by(m))
            .cloned()
            .collect(),
    }
}

/// Whether `approver` may answer a pending request by `requester` now. The decision is
/// recorded under the group member's name it matched ([`member_name`]).
pub fn decide(
    policy: &ApprovalPolicy,
    requester: &Approver<'_>,
    decisions: &[ApprovalDecision],
    approver: &Approver<'_>,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<(), ApprovalError> {
    match standing(policy, requester, decisions, now, expires_at) {
        Standing::Pending { .. } => {}
        Standing::Expired => return Err(ApprovalError::Expired(expires_at.to_string())),
        Standing::Approved | Standing::Rejected { .. } => return Err(ApprovalError::NotPending),
    }
    if approver.is(requester.id) || requester.email.is_some_and(|e| approver.is(e)) {
        return Err(ApprovalError::OwnRequest {
            group: policy.group.clone(),
        });
    }
    if member_name(policy, approver).is_none() {
        return Err(ApprovalError::NotInGroup {
            group: policy.group.clone(),
            members: policy.approvers.join(", "),
        });
    }
    if decisions.iter().any(|d| approver.is(&d.by)) {
        return Err(ApprovalError::AlreadyAnswered);
    }
    Ok(())
}

/// The group member `approver` is listed as, if any.
pub fn member_name<'p>(policy: &'p ApprovalPolicy, approver: &Approver<'_>) -> Option<&'p String> {
    policy.approvers.iter().find(|m| approver.is(m))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn policy(mode: ApprovalMode) -> ApprovalPolicy {
        ApprovalPolicy {
            mode,
            group: "prod".into(),
            approvers: vec![
                "Ana@example.com".into(),
                "bo@example.com".into(),
                "cy-sub".into(),
            ],
            expires_after_secs: 3600,
        }
    }

    fn said(by: &str, decision: Decision) -> ApprovalDecision {
        ApprovalDecision {
            by: by.into(),
            name: by.into(),
            decision,
            at: Timestamp(10),
            comment: None,
        }
    }

    const ANA: Approver<'static> = Approver {
        id: "ana-sub",
        email: Some("ana@example.com"),
    };
    const BO: Approver<'static> = Approver {
        id: "bo-sub",
        email: Some("bo@example.com"),
    };
    const CY: Approver<'static> = Approver {
        id: "cy-sub",
        email: None,
    };
    const DAN: Approver<'static> = Approver {
        id: "dan-sub",
        email: Some("dan@example.com"),
    };

    #[test]
    fn any_one_other_member_approves_never_the_requester() {
        let p = policy(ApprovalMode::Any);
        let (now, exp) = (Timestamp(0), Timestamp(HOUR));
        assert_eq!(
            decide(&p, &ANA, &[], &ANA, now, exp),
            Err(ApprovalError::OwnRequest {
                group: "prod".into()
            }),
            "the requester is in the group, by e-mail in another case"
        );
        assert!(matches!(
            decide(&p, &ANA, &[], &DAN, now, exp),
            Err(ApprovalError::NotInGroup { .. })
        ));
        assert!(decide(&p, &ANA, &[], &CY, now, exp).is_ok(), "by subject");
        assert_eq!(
            standing(&p, &ANA, &[], now, exp),
            Standing::Pending {
                waiting_for: vec!["bo@example.com".into(), "cy-sub".into()]
            }
        );
        let d = [said("bo@example.com", Decision::Approve)];
        assert_eq!(standing(&p, &ANA, &d, now, exp), Standing::Approved);
        assert_eq!(
            decide(&p, &ANA, &d, &CY, now, exp),
            Err(ApprovalError::NotPending)
        );
    }

    #[test]
    fn all_needs_every_other_member_and_one_rejection_ends_it() {
        let p = policy(ApprovalMode::All);
        let (now, exp) = (Timestamp(0), Timestamp(HOUR));
        let one = [said("bo@example.com", Decision::Approve)];
        assert_eq!(
            standing(&p, &ANA, &one, now, exp),
            Standing::Pending {
                waiting_for: vec!["cy-sub".into()]
            }
        );
        assert_eq!(
            decide(&p, &ANA, &one, &BO, now, exp),
            Err(ApprovalError::AlreadyAnswered)
        );
        let two = [one[0].clone(), said("cy-sub", Decision::Approve)];
        assert_eq!(
            standing(&p, &ANA, &two, now, exp),
            Standing::Approved,
            "the requester is not waited for"
        );
        let no = [one[0].clone(), said("cy-sub", Decision::Reject)];
        assert_eq!(
            standing(&p, &ANA, &no, now, exp),
            Standing::Rejected {
                by: "cy-sub".into()
            }
        );
    }

    #[test]
    fn requests_expire_and_a_group_of_only_the_requester_is_refused() {
        let p = policy(ApprovalMode::Any);
        let exp = Timestamp(HOUR);
        assert_eq!(
            standing(&p, &ANA, &[], Timestamp(HOUR), exp),
            Standing::Expired,
            "half-open: at the instant it expires"
        );
        assert!(matches!(
            decide(&p, &ANA, &[], &BO, Timestamp(HOUR + 1), exp),
            Err(ApprovalError::Expired(_))
        ));
        let alone = ApprovalPolicy {
            approvers: vec!["ana@example.com".into()],
            ..p
        };
        assert!(can_be_approved(&alone, &ANA).is_err());
        assert!(can_be_approved(&alone, &BO).is_ok());
    }
}
