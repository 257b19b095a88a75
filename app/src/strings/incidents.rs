//! The incidents page's strings.

pub const INCIDENTS_TITLE: &str = "Incidents";
pub const INCIDENTS_CAPTION: &str =
    "Newest first, with the deployment each one is attributed to and the recovery time it counts.";
pub const COL_INCIDENT: &str = "Incident";
pub const COL_SEVERITY: &str = "Severity";
pub const COL_STARTED: &str = "Started";
pub const COL_RESOLVED: &str = "Resolved";
pub const COL_DEPLOYMENT: &str = "Deployment";
pub const COL_ATTRIBUTION: &str = "Attributed by";
pub const COL_RECOVERY: &str = "Recovery time";
pub const OPEN: &str = "Open";
pub fn attribution_label(a: &str) -> &'static str {
    match a {
        "explicit" => "explicit link",
        "window" => "time window",
        "excluded" => "excluded (not caused by a change)",
        _ => "unattributed",
    }
}
