//! `[sources]`: webhook sources (`POST /hooks/{source}`) and their secrets.

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourcesConfig {
    /// Canonical events posted by anything that can sign its body with a shared secret.
    pub canonical: SignedSourceConfig,
}

/// A source verified by an HMAC-SHA256 signature of the body under one of its secrets.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignedSourceConfig {
    /// The secrets in use: more than one while a secret is rotated. Prefer `secrets_file` or
    /// the environment over writing them here. None: the source is off.
    pub secrets: Vec<String>,
    /// A file with one secret per line (blank lines and `#` comments skipped).
    pub secrets_file: Option<PathBuf>,
}
