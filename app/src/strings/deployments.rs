//! The deployments page's strings.

pub const DEPLOYMENTS_TITLE: &str = "Deployments";
pub const DEPLOYMENTS_CAPTION: &str = "Newest first. Select a row to see the changes it shipped.";
pub const COL_SERVICE: &str = "Service";
pub const COL_ENVIRONMENT: &str = "Environment";
pub const COL_SHA: &str = "Commit";
pub const COL_FINISHED: &str = "Finished";
pub const COL_LEAD_TIME: &str = "Lead time";
pub const COL_CHANGES: &str = "Changes";
pub const COL_STATUS: &str = "Status";
pub const COL_INCIDENTS: &str = "Incidents";
pub const COL_AUTHOR: &str = "Author";
pub const COL_MESSAGE: &str = "Message";
pub const COL_AUTHORED: &str = "Authored";
pub const COL_PULL_REQUEST: &str = "Pull request";
pub const IN_PROGRESS: &str = "in progress";
pub const CAUSED_FAILURE: &str = "caused a failure";
pub const UNPLANNED: &str = "unplanned";
pub const BASELINE: &str = "baseline";
pub const BASELINE_TITLE: &str =
    "The first deployment of its service: it sets a baseline, its changes do not count.";
pub const INCOMPLETE_GRAPH: &str = "incomplete graph";
pub const FROM_PUSH_LIST: &str = "from push list";
pub const NO_CHANGES: &str =
    "No changes: a baseline deployment, a redeploy of shipped commits, or an unknown sha.";
pub const EXPAND_LABEL: &str = "Show changes of this deployment";
pub const RECOVERED_IN: &str = "recovered in";
pub fn failure_reasons(reasons: &str) -> String {
    format!("Failure: {reasons}")
}
