//! `[jobs]`: background jobs and their leases across replicas.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// A replica holds a job that must run once across replicas for this long, renewing it
    /// every third of it; another takes the job over this long after the holder died.
    pub lease_secs: u64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig { lease_secs: 60 }
    }
}
