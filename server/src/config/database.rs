//! `[database]`: the store (SQLite file or PostgreSQL URL) and SQLite durability.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    pub url: String,
    /// SQLite only: `full` (a commit survives power loss) or `normal` (faster; survives a
    /// crash of the process, may lose the last commits on power loss).
    pub sqlite_synchronous: String,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://data/nagare.db".into(),
            sqlite_synchronous: "full".into(),
        }
    }
}
