//! `[metrics]`: the default time zone and incident attribution window.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    pub time_zone: String,
    pub incident_attribution_window_hours: u64,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            time_zone: "UTC".into(),
            incident_attribution_window_hours: 168,
        }
    }
}
