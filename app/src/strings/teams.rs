//! The Teams page.

pub const TEAMS_TITLE: &str = "Teams";
pub const TEAMS_CAPTION: &str =
    "Which team needs help: each team's five DORA metrics, against the previous period of the same length. Select a team to open its overview.";
pub const WHAT_TEAMS: &str = "the team metrics";
pub const NO_TEAMS: &str = "No teams yet";
pub const NO_TEAMS_HINT: &str =
    "Teams come from `service` events that name their `teams`, or from `team` events. Send them to `POST /api/v1/events`.";
pub const COL_TEAM: &str = "Team";
pub const TEAMS_TABLE: &str = "DORA metrics per team";
pub const TEAMS_DEFINITIONS: &str =
    "Each row counts the deployments of the team's services, exactly as the overview filtered to that team does. Arrows compare with the previous period; green is better, red worse.";

pub fn services_count(n: usize) -> String {
    match n {
        1 => "1 service".to_owned(),
        n => format!("{n} services"),
    }
}
