//! `[metrics]`: the default time zone, the incident attribution window, and the value stream's
//! chain of stages per team.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    pub time_zone: String,
    pub incident_attribution_window_hours: u64,
    /// Team name → the value stream's chain when a query names none: `default` or `approval`.
    pub value_stream_chains: BTreeMap<String, String>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            time_zone: "UTC".into(),
            incident_attribution_window_hours: 168,
            value_stream_chains: BTreeMap::new(),
        }
    }
}
