//! The DORA metrics of every team at once, this window against the previous one: what the
//! Teams view shows a team lead. Each row is exactly the report of the same query filtered to
//! that team (`GET /api/v1/metrics/dora?team=…`).

use crate::api::{DoraQuery, Interval, TeamDora, TeamsDoraReport, Window};
use crate::model::Org;
use crate::Timestamp;

impl Org {
    /// Every team's report for `q` (its `team`, `service` and `interval` are ignored) and for
    /// the window before it, for the teams `admit` lets through.
    pub fn teams_dora(&self, q: &DoraQuery, admit: impl Fn(&str) -> bool) -> TeamsDoraReport {
        let (from, to) = (q.from.0, q.to.0.max(q.from.0));
        let previous_from = from - (to - from);
        let base = DoraQuery {
            service: None,
            team: None,
            interval: Interval::All,
            ..q.clone()
        };
        let teams = self
            .teams()
            .into_iter()
            .filter(|t| admit(&t.name))
            .map(|t| {
                let current = DoraQuery {
                    team: Some(t.name.clone()),
                    ..base.clone()
                };
                let previous = DoraQuery {
                    from: Timestamp(previous_from),
                    to: Timestamp(from),
                    ..current.clone()
                };
                TeamDora {
                    current: self.dora(&current),
                    previous: self.dora(&previous),
                    team: t.name,
                    display_name: t.display_name,
                    services: t.services,
                }
            })
            .collect();
        TeamsDoraReport {
            window: Window {
                from: Timestamp(from),
                to: Timestamp(to),
            },
            previous_window: Window {
                from: Timestamp(previous_from),
                to: Timestamp(from),
            },
            environment_tier: q.environment_tier,
            lead_time_basis: q.basis,
            benchmark: q.benchmark,
            teams,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::api::{Benchmark, DoraQuery, Interval, LeadTimeBasis};
    use crate::events::EnvironmentTier;
    use crate::model::{Org, Settings};
    use crate::time::DAY_MS;
    use crate::Timestamp;

    /// Each row equals the team-filtered report, for the window and the one before it; the
    /// admitted teams only.
    #[test]
    fn each_row_is_the_team_filtered_report() {
        let now = Timestamp::parse("2026-03-01T00:00:00Z").map_or(0, |t| t.0);
        let mut org = Org::new(Settings::default());
        org.apply(crate::demo::demo_org(3, Timestamp(now)));
        let q = DoraQuery {
            from: Timestamp(now - 30 * DAY_MS),
            to: Timestamp(now),
            service: Some("ignored".into()),
            team: Some("ignored".into()),
            environment_tier: EnvironmentTier::Production,
            basis: LeadTimeBasis::PullRequest,
            benchmark: Benchmark::default(),
            interval: Interval::Week,
            time_zone: None,
            peers: Default::default(),
        };
        let all = org.teams_dora(&q, |_| true);
        assert_eq!(all.teams.len(), org.teams().len());
        assert!(all.teams.len() >= 3);
        assert_eq!(all.previous_window.to, q.from);
        assert_eq!(all.previous_window.from.0, now - 60 * DAY_MS);
        for row in &all.teams {
            let mut one = q.clone();
            one.service = None;
            one.team = Some(row.team.clone());
            one.interval = Interval::All;
            assert_eq!(row.current, org.dora(&one), "{}", row.team);
            one.to = one.from;
            one.from = Timestamp(now - 60 * DAY_MS);
            assert_eq!(row.previous, org.dora(&one), "{}", row.team);
        }
        assert!(all
            .teams
            .iter()
            .any(|t| t.current.deployment_frequency.deployments > 0));
        let first = all.teams[0].team.clone();
        let some = org.teams_dora(&q, |t| t == first);
        assert_eq!(some.teams.len(), 1);
        assert_eq!(some.teams[0], all.teams[0]);
    }
}
