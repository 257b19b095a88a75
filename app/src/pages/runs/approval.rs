//! Where a run's approval stands: who must approve, who answered, who it still waits for, and
//! when the request expires.

use crate::components::badges::Badge;
use crate::components::time::RelativeTime;
use crate::strings;
use leptos::prelude::*;
use nagare_core::api::{ApprovalState, Decision, RunStatus};

#[component]
pub fn ApprovalFacts(a: ApprovalState, status: RunStatus) -> impl IntoView {
    let waiting = status == RunStatus::AwaitingApproval;
    let decisions = if a.decisions.is_empty() {
        view! { <span class="muted">{strings::APPROVAL_NONE_YET}</span> }.into_any()
    } else {
        view! {
            <ul class="decisions">
                {a
                    .decisions
                    .iter()
                    .map(|d| {
                        let approve = d.decision == Decision::Approve;
                        let tone = if approve { "ok" } else { "bad" };
                        let who = if d.name.trim().is_empty() { d.by.clone() } else { d.name.clone() };
                        view! {
                            <li data-test="approval-decision" data-decision=d.decision.as_str()>
                                <Badge tone text=strings::decision_label(approve).to_owned() />
                                " "
                                <strong title=d.by.clone()>{who}</strong>
                                " "
                                <span class="muted small"><RelativeTime at=d.at /></span>
                                {d.comment.clone().map(|c| view! { <span>" — “"{c}"”"</span> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    let expires = if status == RunStatus::Expired {
        view! { <Badge tone="muted" text=strings::APPROVAL_EXPIRED.to_owned() /> }.into_any()
    } else {
        view! { <RelativeTime at=a.expires_at /> }.into_any()
    };
    view! {
        <section class="panel" data-test="run-approval" aria-labelledby="approval-heading">
            <h2 id="approval-heading">{strings::APPROVAL_HEADING}</h2>
            <p>
                <span aria-hidden="true">"‖ "</span>
                {strings::needs_approval(a.policy.mode, &a.policy.group)}
            </p>
            <dl class="facts">
                <dt>{strings::APPROVAL_MEMBERS}</dt>
                <dd>{a.policy.approvers.join(", ")}</dd>
                <dt>{strings::APPROVAL_DECISIONS}</dt>
                <dd>{decisions}</dd>
                {waiting.then(|| view! {
                    <dt>{strings::APPROVAL_WAITING_FOR}</dt>
                    <dd data-test="approval-waiting-for">{a.waiting_for.join(", ")}</dd>
                })}
                {(waiting || status == RunStatus::Expired).then(|| view! {
                    <dt>{strings::APPROVAL_EXPIRES}</dt>
                    <dd data-test="approval-expires">{expires}</dd>
                })}
            </dl>
        </section>
    }
}
