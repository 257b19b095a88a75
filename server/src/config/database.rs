//! `[database]`: the store (SQLite file or PostgreSQL URL) and SQLite durability.

use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    pub url: String,
    /// SQLite only: `full` (a commit survives power loss) or `normal` (faster; survives a
    /// crash of the process, may lose the last commits on power loss).
    pub sqlite_synchronous: String,
    /// Where the server keeps a snapshot of its derived model, to start without re-deriving
    /// every event: `auto` (beside the SQLite file; none for PostgreSQL), `off`, or a path.
    pub snapshot: String,
    /// How often a changed model is written to the snapshot again (it is also written after a
    /// full load and when the server stops).
    pub snapshot_every_minutes: u64,
}

impl DatabaseConfig {
    /// The snapshot file, if any (see [`DatabaseConfig::snapshot`]), for a store whose SQLite
    /// file is `sqlite_file` (`None`: PostgreSQL, or SQLite in memory).
    pub fn snapshot_path(&self, sqlite_file: Option<&Path>) -> Option<PathBuf> {
        match self.snapshot.trim() {
            "off" => None,
            "auto" => sqlite_file.map(|f| {
                let mut p = f.as_os_str().to_owned();
                p.push(".model");
                PathBuf::from(p)
            }),
            other => Some(PathBuf::from(other)),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://data/nagare.db".into(),
            sqlite_synchronous: "full".into(),
            snapshot: "auto".into(),
            snapshot_every_minutes: 10,
        }
    }
}
