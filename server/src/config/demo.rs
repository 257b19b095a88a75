//! `[demo]`: the demo organisation seeded into an empty database.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoConfig {
    pub seed_on_empty: bool,
    pub seed: u64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            seed_on_empty: false,
            seed: 42,
        }
    }
}
