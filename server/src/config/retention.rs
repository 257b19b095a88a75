//! `[retention]`: how long raw deliveries are kept.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Raw deliveries older than this many days are deleted (0: kept by age forever).
    pub raw_deliveries_days: u64,
    /// Raw deliveries are kept under this many megabytes in all, oldest deleted first (0: no bound).
    pub raw_deliveries_max_mb: u64,
    /// A rejected payload larger than this keeps only its first kilobytes and a SHA-256 digest.
    pub rejected_payload_kb: u64,
    /// How often the retention job runs.
    pub interval_minutes: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            raw_deliveries_days: 90,
            raw_deliveries_max_mb: 1024,
            rejected_payload_kb: 64,
            interval_minutes: 60,
        }
    }
}
