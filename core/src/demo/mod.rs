//! Generated organisations: the realistic demo (`nagare demo`, `make run`) and the large synthetic
//! organisation of `make bench`. Both are deterministic from a seed.
//!
//! One generator serves both. For each repository it plans pull requests (branch commits plus a
//! merge commit whose first parent is the main line), direct commits and hotfix commits, builds the
//! main line in time order, and then deploys whatever the main line held shortly before each
//! deployment. Deployments fail now and then: an incident follows, and a rollback or a hotfix
//! remediates it. Staging deployments and failed attempts surround the production ones.

#[cfg(any(test, feature = "github"))]
pub mod cost;
pub mod github;
mod pipelines;
mod schedule;
mod sim;
pub mod slo;
mod synthetic;
#[cfg(test)]
mod tests;

use crate::events::Incident;
use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS};
use crate::{Event, Timestamp};
use schedule::*;
use sim::*;
pub use synthetic::{merge_commits, synthetic, synthetic_merge_ci, synthetic_runs, SynthSpec};

struct TeamSpec {
    name: &'static str,
    display: &'static str,
    profile: Profile,
    /// (service, repository) pairs; services sharing a repository form a monorepo.
    services: &'static [(&'static str, &'static str)],
}

fn demo_teams() -> Vec<TeamSpec> {
    vec![
        TeamSpec {
            name: "checkout",
            display: "Checkout",
            profile: Profile {
                prs_per_day: 3.0,
                pr_open: (HOUR_MS, 6 * HOUR_MS),
                commits_per_pr: (1, 3),
                change_failure: 0.03,
                recovery: (12 * MINUTE_MS, 50 * MINUTE_MS),
                failed_attempt: 0.04,
                rhythm: Rhythm::Daily(4),
                pickup: (10, 30),
            },
            services: &[
                ("checkout-web", "acme/checkout-web"),
                ("checkout-api", "acme/checkout-api"),
                ("cart-api", "acme/cart-api"),
                ("promotions", "acme/promotions"),
            ],
        },
        TeamSpec {
            name: "payments",
            display: "Payments",
            profile: Profile {
                prs_per_day: 1.5,
                pr_open: (12 * HOUR_MS, 4 * DAY_MS),
                commits_per_pr: (1, 5),
                change_failure: 0.12,
                recovery: (90 * MINUTE_MS, 10 * HOUR_MS),
                failed_attempt: 0.08,
                rhythm: Rhythm::Weekly(3),
                pickup: (88, 97),
            },
            services: &[
                ("payments-api", "acme/payments-api"),
                ("ledger", "acme/ledger"),
                ("fraud-scoring", "acme/fraud-scoring"),
            ],
        },
        TeamSpec {
            name: "search",
            display: "Search",
            profile: Profile {
                prs_per_day: 0.8,
                pr_open: (DAY_MS, 6 * DAY_MS),
                commits_per_pr: (2, 6),
                change_failure: 0.14,
                recovery: (4 * HOUR_MS, 20 * HOUR_MS),
                failed_attempt: 0.12,
                rhythm: Rhythm::Train(12, 20),
                pickup: (15, 35),
            },
            services: &[
                ("search-api", "acme/search-platform"),
                ("indexer", "acme/search-platform"),
                ("query-suggest", "acme/search-platform"),
            ],
        },
        TeamSpec {
            name: "legacy-billing",
            display: "Legacy Billing",
            profile: Profile {
                prs_per_day: 0.3,
                pr_open: (3 * DAY_MS, 15 * DAY_MS),
                commits_per_pr: (2, 8),
                change_failure: 0.5,
                recovery: (2 * DAY_MS, 6 * DAY_MS),
                failed_attempt: 0.25,
                rhythm: Rhythm::Train(85, 100),
                pickup: (25, 45),
            },
            services: &[
                ("billing-core", "acme/billing-monolith"),
                ("invoice-renderer", "acme/billing-monolith"),
                ("dunning", "acme/dunning"),
            ],
        },
    ]
}

/// The demo team whose history arrives through GitHub (`github::github_history`).
pub const GITHUB_TEAM: &str = "checkout";

/// The repositories of [`GITHUB_TEAM`]'s services, and the services (`owner/name`,
/// service, team): the demo's GitHub history comes from them.
pub fn github_repos() -> Vec<(&'static str, &'static str, &'static str)> {
    demo_teams()
        .into_iter()
        .filter(|t| t.name == GITHUB_TEAM)
        .flat_map(|t| t.services.iter().map(move |(s, r)| (*r, *s, t.name)))
        .collect()
}

/// The demo organisation: four teams spread across the DORA bands (checkout elite, payments high,
/// search medium, legacy-billing low), thirteen services (two monorepos among them), and 180
/// days of history ending at `now`: commits with merges, reviewed and approved pull requests
/// (payments slow to pick up a review, search's release train slow to release), staging and
/// production deployments, failed attempts, rollbacks, hotfixes, and incidents open and resolved.
pub fn demo_org(seed: u64, now: Timestamp) -> Vec<Event> {
    const SOURCE: &str = "demo";
    let end = now.0;
    let start = end - 180 * DAY_MS;
    let mut rng = Rng::new(seed);
    let mut events = Vec::new();
    let mut next_incident = 1000u64;
    let mut people = NAMES
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .into_iter();
    // The teams whose pipelines are canonical events (GITHUB_TEAM's arrive as webhooks).
    let mut ci_teams: Vec<(&str, Vec<String>)> = Vec::new();
    for team in demo_teams() {
        let members: Vec<String> = people.by_ref().take(6).collect();
        events.push(team_events(SOURCE, team.name, team.display, &members));
        let mut repos: Vec<&str> = team.services.iter().map(|(_, r)| *r).collect();
        repos.dedup();
        if team.name != GITHUB_TEAM {
            ci_teams.push((team.name, repos.iter().map(|r| r.to_string()).collect()));
        }
        let train = matches!(team.profile.rhythm, Rhythm::Train(..) | Rhythm::Weekly(_))
            .then(|| deploy_times(&mut rng, team.profile.rhythm, start, end));
        let mut offset = 0;
        for repo in repos {
            let names: Vec<&str> = team
                .services
                .iter()
                .filter(|(_, r)| *r == repo)
                .map(|(s, _)| *s)
                .collect();
            let mono = names.len() > 1;
            let mut plans: Vec<ServicePlan<'_>> = names
                .iter()
                .map(|name| {
                    events.push(service_event(SOURCE, name, repo, team.name, mono));
                    let times = match (&train, team.profile.rhythm) {
                        // A release train: the same day for every service, a little apart.
                        (Some(days), _) => {
                            offset += 1;
                            days.iter().map(|t| t + offset * 20 * MINUTE_MS).collect()
                        }
                        (None, rhythm) => deploy_times(&mut rng, rhythm, start + 3 * DAY_MS, end),
                    };
                    let deploys = times
                        .into_iter()
                        .map(|at| PlannedDeploy { at, failure: None })
                        .collect();
                    ServicePlan {
                        name,
                        profile: &team.profile,
                        deploys,
                    }
                })
                .collect();
            let working_days = 180.0 * 5.0 / 7.0;
            let prs = (team.profile.prs_per_day * working_days * names.len() as f64) as usize;
            events.extend(simulate_repo(
                &mut rng,
                SOURCE,
                repo,
                &mut plans,
                prs,
                prs / 10,
                &members,
                start,
                end,
                &mut next_incident,
            ));
        }
    }
    let runs = pipelines::runs(&events, &ci_teams, end, &mut rng, SOURCE);
    events.extend(runs);
    // Incidents with no deployment behind them: a provider outage (excluded) and alerts long
    // after any deployment of a slow-moving service.
    let outage = end - 40 * DAY_MS + 3 * HOUR_MS;
    for service in ["checkout-api", "payments-api", "search-api"] {
        next_incident += 1;
        events.push(Event::Incident(Incident {
            source: SOURCE.to_string(),
            id: format!("INC-{next_incident}"),
            service: service.to_string(),
            title: Some("Cloud provider region degraded (not a change)".to_string()),
            started_at: Timestamp(outage),
            resolved_at: Some(Timestamp(outage + 2 * HOUR_MS)),
            severity: Some("sev2".to_string()),
            caused_by_deployment: None,
            excluded: true,
            remediated_by_deployment: None,
        }));
    }
    next_incident += 1;
    events.push(Event::Incident(Incident {
        source: SOURCE.to_string(),
        id: format!("INC-{next_incident}"),
        service: "payments-api".to_string(),
        title: Some("payments-api: intermittent timeouts from the card network".to_string()),
        started_at: Timestamp(end - 3 * HOUR_MS),
        resolved_at: None,
        severity: Some("sev2".to_string()),
        caused_by_deployment: None,
        excluded: false,
        remediated_by_deployment: None,
    }));
    events
}
