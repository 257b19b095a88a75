//! Which teams' services and which services an API token is limited to.

use crate::components::filters::Catalog;
use crate::strings;
use leptos::prelude::*;

/// Two scrollable lists of checkboxes, teams and services, from the catalogue. Nothing ticked
/// means every service (`data-test="token-limit-team-<name>"`, `token-limit-service-<name>"`).
#[component]
pub fn LimitPicker(
    teams: RwSignal<Vec<String>>,
    services: RwSignal<Vec<String>>,
    /// Marks the list the API refused (`teams` or `services`).
    #[prop(into)]
    invalid: Signal<Option<String>>,
) -> impl IntoView {
    let catalog = Catalog::from_context();
    let team_names = move || match catalog.teams.get() {
        Some(Ok(rows)) => rows
            .into_iter()
            .map(|t| {
                let label = t.display_name.clone().unwrap_or_else(|| t.name.clone());
                (t.name, label)
            })
            .collect(),
        _ => Vec::new(),
    };
    let service_names = move || match catalog.services.get() {
        Some(Ok(rows)) => rows.into_iter().map(|s| (s.name.clone(), s.name)).collect(),
        _ => Vec::new(),
    };
    view! {
        <fieldset class="field limit" data-test="token-limit">
            <legend class="filter-label">{strings::TOKEN_LIMIT}</legend>
            <div class="limit-lists">
                <NameList
                    kind="team"
                    title=strings::LIMIT_TEAMS
                    names=Signal::derive(team_names)
                    chosen=teams
                    invalid=Signal::derive(move || invalid.get().as_deref() == Some("teams"))
                />
                <NameList
                    kind="service"
                    title=strings::LIMIT_SERVICES
                    names=Signal::derive(service_names)
                    chosen=services
                    invalid=Signal::derive(move || invalid.get().as_deref() == Some("services"))
                />
            </div>
            <span class="muted small">{strings::TOKEN_LIMIT_HINT}</span>
        </fieldset>
    }
}

/// One list of names to tick.
#[component]
fn NameList(
    kind: &'static str,
    title: &'static str,
    #[prop(into)] names: Signal<Vec<(String, String)>>,
    chosen: RwSignal<Vec<String>>,
    #[prop(into)] invalid: Signal<bool>,
) -> impl IntoView {
    view! {
        <div class="name-list" role="group" aria-label=title aria-invalid=move || invalid.get().then_some("true")>
            <span class="filter-label">{title}</span>
            <div class="name-list-box">
                {move || {
                    let names = names.get();
                    if names.is_empty() {
                        return view! { <span class="muted small">{strings::LIMIT_NONE_KNOWN}</span> }
                            .into_any();
                    }
                    names
                        .into_iter()
                        .map(|(name, label)| {
                            let test = format!("token-limit-{kind}-{name}");
                            let key = name.clone();
                            let checked = move || chosen.get().contains(&key);
                            let toggle = move |ev| {
                                let on = event_target_checked(&ev);
                                chosen.update(|c| {
                                    c.retain(|n| *n != name);
                                    if on {
                                        c.push(name.clone());
                                    }
                                });
                            };
                            view! {
                                <label class="check">
                                    <input type="checkbox" data-test=test prop:checked=checked on:change=toggle />
                                    <span>{label}</span>
                                </label>
                            }
                        })
                        .collect_view()
                        .into_any()
                }}
            </div>
        </div>
    }
}

/// The limit of a listed token, in words: `teams payments · services ledger`, or every service.
pub fn limit_text(teams: &[String], services: &[String]) -> String {
    let mut parts = Vec::new();
    if !teams.is_empty() {
        parts.push(format!(
            "{} {}",
            strings::LIMIT_TEAMS_SHORT,
            teams.join(", ")
        ));
    }
    if !services.is_empty() {
        parts.push(format!(
            "{} {}",
            strings::LIMIT_SERVICES_SHORT,
            services.join(", ")
        ));
    }
    if parts.is_empty() {
        strings::EVERY_SERVICE.to_owned()
    } else {
        parts.join(" · ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_as_words() {
        assert_eq!(limit_text(&[], &[]), strings::EVERY_SERVICE);
        assert_eq!(
            limit_text(&["payments".into()], &["ledger".into(), "shop".into()]),
            "teams payments · services ledger, shop"
        );
    }
}
