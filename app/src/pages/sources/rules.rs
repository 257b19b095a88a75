//! The Sources page's mapping rules panel, as HTML (every value from the API escaped): how
//! GitHub deliveries become events, as configured, each list with what happens without it.

use super::{esc, table_head};
use crate::strings;
use nagare_core::api::MappingRules;

/// A small table of text columns: `rows` of cells already escaped, in `<div data-test=test>`.
fn table(columns: &[&str], rows: Vec<Vec<String>>, test: &str) -> String {
    let mut h = format!(
        "<div data-test=\"{test}\">{}",
        table_head(columns, columns.len())
    );
    for row in rows {
        h.push_str("<tr>");
        for cell in row {
            h += &format!("<td>{cell}</td>");
        }
        h.push_str("</tr>");
    }
    h + "</tbody></table></div></div>"
}

fn code(s: &str) -> String {
    format!("<code>{}</code>", esc(s))
}

/// A value, or what applies without one (muted).
fn or(v: &Option<String>, otherwise: &str, as_code: bool) -> String {
    match v {
        Some(v) if as_code => code(v),
        Some(v) => esc(v),
        None => format!("<span class=\"muted\">{}</span>", esc(otherwise)),
    }
}

/// A section: its title, then its table, or what happens with no rule.
fn section(title: &str, empty: &str, table: Option<String>) -> String {
    let body = table.unwrap_or_else(|| format!("<p class=\"muted small\">{}</p>", esc(empty)));
    format!("<h3>{title}</h3>{body}")
}

pub(super) fn rules_html(r: &MappingRules) -> String {
    let mut h = format!(
        "<h2>{}</h2><p class=\"muted small\">{}</p>",
        strings::RULES_TITLE,
        esc(strings::RULES_CAPTION)
    );
    let repos = (!r.repos.is_empty()).then(|| {
        table(
            &[
                strings::RULE_REPO,
                strings::RULE_SERVICE,
                strings::RULE_FOLDER,
                strings::RULE_TEAMS,
            ],
            r.repos
                .iter()
                .map(|x| {
                    vec![
                        code(&x.repo),
                        esc(&x.service),
                        or(&x.path, strings::RULE_WHOLE_REPO, true),
                        if x.teams.is_empty() {
                            format!("<span class=\"muted\">{}</span>", strings::RULE_NONE)
                        } else {
                            esc(&x.teams.join(", "))
                        },
                    ]
                })
                .collect(),
            "rules-repos",
        )
    });
    h += &section(strings::RULES_REPOS, strings::RULES_NO_REPOS, repos);
    let envs = (!r.environments.is_empty()).then(|| {
        table(
            &[strings::RULE_ENVIRONMENT, strings::RULE_TIER],
            r.environments
                .iter()
                .map(|e| vec![code(&e.name), esc(e.tier.as_str())])
                .collect(),
            "rules-environments",
        )
    });
    h += &section(
        strings::RULES_ENVIRONMENTS,
        strings::RULES_NO_ENVIRONMENTS,
        envs,
    );
    let stages = (!r.stages.is_empty()).then(|| {
        table(
            &[
                strings::RULE_WORKFLOW,
                strings::RULE_JOB,
                strings::RULE_STAGE,
            ],
            r.stages
                .iter()
                .map(|s| {
                    vec![
                        or(&s.workflow, strings::RULE_ANY, true),
                        or(&s.job, strings::RULE_ANY, true),
                        esc(&s.stage),
                    ]
                })
                .collect(),
            "rules-stages",
        )
    });
    h += &section(strings::RULES_STAGES, strings::RULES_NO_STAGES, stages);
    let detection = (!r.deployments.is_empty()).then(|| {
        table(
            &[
                strings::RULE_WORKFLOW,
                strings::RULE_JOB,
                strings::RULE_REPO,
                strings::RULE_BRANCH,
                strings::RULE_ENVIRONMENT,
                strings::RULE_SERVICE,
            ],
            r.deployments
                .iter()
                .map(|d| {
                    vec![
                        or(&d.workflow, strings::RULE_ANY, true),
                        or(&d.job, strings::RULE_WHOLE_RUN, true),
                        or(&d.repo, strings::RULE_EVERY_REPO, true),
                        or(&d.branch, strings::RULE_DEFAULT_BRANCH, true),
                        code(&d.environment),
                        or(&d.service, strings::RULE_REPO_SERVICE, false),
                    ]
                })
                .collect(),
            "rules-deployments",
        )
    });
    h += &section(
        strings::RULES_DETECTION,
        strings::RULES_NO_DETECTION,
        detection,
    );
    let labels: Vec<String> = r.incident_labels.iter().map(|l| code(l)).collect();
    h += &format!(
        "<h3>{}</h3><p class=\"small\" data-test=\"rules-incidents\">{}</p>",
        strings::RULES_INCIDENTS,
        strings::rules_incidents(
            &labels.join(", "),
            &code(&format!("{} <deployment id or sha>", r.caused_by))
        )
    );
    h
}

#[cfg(test)]
mod tests {
    use super::rules_html;
    use nagare_core::api::{DeployRuleView, MappingRules, RepoRuleView};

    #[test]
    fn rules_show_each_list_or_what_applies_without_it() {
        let none = rules_html(&MappingRules {
            incident_labels: vec!["incident".into()],
            caused_by: "caused-by:".into(),
            ..MappingRules::default()
        });
        for empty in [
            "No repository rule",
            "No environment rule",
            "No stage rule",
            "No detection rule",
        ] {
            assert!(none.contains(empty), "{empty}: {none}");
        }
        assert!(none.contains("<code>incident</code>"), "{none}");
        assert!(
            none.contains("<code>caused-by: &lt;deployment id or sha&gt;</code>"),
            "{none}"
        );

        let h = rules_html(&MappingRules {
            repos: vec![RepoRuleView {
                repo: "acme/<mono>".into(),
                service: "api".into(),
                path: Some("services/api".into()),
                teams: vec!["payments".into(), "core".into()],
            }],
            deployments: vec![DeployRuleView {
                workflow: Some("^Deploy$".into()),
                job: None,
                repo: None,
                branch: None,
                environment: "production".into(),
                service: None,
            }],
            incident_labels: vec!["incident".into()],
            caused_by: "caused-by:".into(),
            ..MappingRules::default()
        });
        assert!(h.contains("data-test=\"rules-repos\""), "{h}");
        assert!(
            h.contains("<code>acme/&lt;mono&gt;</code>") && !h.contains("<mono>"),
            "{h}"
        );
        assert!(
            h.contains("<code>services/api</code>") && h.contains("payments, core"),
            "{h}"
        );
        assert!(
            h.contains("<code>^Deploy$</code>") && h.contains("every repository"),
            "{h}"
        );
        assert!(
            h.contains("the default branch") && h.contains("the repository&#39;s service"),
            "{h}"
        );
        assert!(h.contains("No stage rule"), "{h}");
    }
}
