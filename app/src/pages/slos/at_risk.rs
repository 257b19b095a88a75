//! The overview's "SLOs at risk" strip: for the team (and service) the overview is filtered by,
//! the SLOs alerting or under a quarter of their budget, each with what is left and its alert;
//! when none is at risk, one quiet line. It never stands in the way of the overview: while it
//! loads it is a grey line, and a failure is one small sentence.

use super::{percent_text, slo_href, text, AlertBadge};
use crate::api;
use leptos::prelude::*;
use nagare_core::api::SloStatus;

/// At most this many at-risk SLOs are named; the rest are counted.
const SHOWN: usize = 6;

#[component]
pub fn SlosAtRisk(
    #[prop(into)] team: Signal<String>,
    #[prop(into)] service: Signal<String>,
) -> impl IntoView {
    let list = LocalResource::new(move || api::slo::slos(team.get(), service.get(), String::new()));
    let list_href = move || {
        api::Query::new()
            .set("team", team.get())
            .set("service", service.get())
            .encode()
    };
    move || match list.get() {
        None => view! { <div class="slo-strip sk sk-line" aria-hidden="true"></div> }.into_any(),
        Some(Err(e)) => view! {
            <p class="slo-strip slo-strip-error small" data-test="slo-strip-error">
                {text::strip_error(&e.to_string())}
                " "
                <button type="button" class="button button-small" on:click=move |_| list.refetch()>
                    {crate::strings::RETRY}
                </button>
            </p>
        }
        .into_any(),
        Some(Ok(reply)) if reply.slos.is_empty() => ().into_any(),
        Some(Ok(reply)) => {
            let total = reply.slos.len();
            let risky: Vec<SloStatus> = reply.slos.into_iter().filter(|s| s.at_risk).collect();
            let href = format!("/slos{}", list_href());
            if risky.is_empty() {
                view! {
                    <p class="slo-strip slo-strip-ok small muted" data-test="slo-strip-ok" data-total=total.to_string()>
                        <span class="budget-text-ok" aria-hidden="true">"✓ "</span>
                        {text::all_within(total)}
                        " · "
                        <a href=href>{text::SEE_SLOS}</a>
                    </p>
                }
                .into_any()
            } else {
                view! { <Strip risky total href /> }.into_any()
            }
        }
    }
}

/// The at-risk SLOs, worst first (the server's order).
#[component]
fn Strip(risky: Vec<SloStatus>, total: usize, href: String) -> impl IntoView {
    let count = risky.len();
    let more = count.saturating_sub(SHOWN);
    view! {
        <section class="slo-strip slo-strip-risk" data-test="slo-strip" data-at-risk=count.to_string() aria-labelledby="slo-strip-title">
            <h2 id="slo-strip-title">{text::AT_RISK_STRIP}</h2>
            <ul>
                {risky
                    .into_iter()
                    .take(SHOWN)
                    .map(|s| {
                        let remaining = s.budget.map(|b| b.remaining_percent);
                        view! {
                            <li data-test="slo-strip-item" data-slo=s.id.clone()>
                                <a href=slo_href(&s.id)>{s.name.clone()}</a>
                                " "
                                <span class=format!("budget-text-{}", super::budget_tone(remaining)) data-raw=crate::format::raw(remaining)>
                                    {remaining.map_or_else(|| text::NO_EVENTS.to_owned(), |p| text::left_short(&percent_text(p)))}
                                </span>
                                " "
                                <AlertBadge level=s.alert />
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <p class="small muted">
                {text::at_risk_of(count, total)}
                {(more > 0).then(|| format!(" · {}", text::more(more)))}
                " · "
                <a href=href>{text::SEE_SLOS}</a>
            </p>
        </section>
    }
}
