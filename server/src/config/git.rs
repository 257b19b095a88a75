//! `[sources.git]`: bare mirrors of repositories, read for exact commit graphs and changed
//! paths (docs/sources/github.md, "Git mirrors").

use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GitSourceConfig {
    /// The repositories to mirror.
    pub mirrors: Vec<MirrorConfig>,
    /// Where the bare mirrors live; default: a `git` folder beside the SQLite file (or
    /// `data/git` with PostgreSQL).
    pub dir: Option<PathBuf>,
    /// How often every mirror is fetched (a push webhook for a mirrored repository fetches it
    /// sooner).
    pub every_minutes: u64,
    /// A fetch (or the first clone) that takes longer is stopped.
    pub fetch_timeout_secs: u64,
}

impl Default for GitSourceConfig {
    fn default() -> Self {
        GitSourceConfig {
            mirrors: Vec::new(),
            dir: None,
            every_minutes: 15,
            fetch_timeout_secs: 600,
        }
    }
}

/// `[[sources.git.mirrors]]`: one repository.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MirrorConfig {
    /// The repository's name in events (`owner/name`), as services and deployments name it.
    pub repo: String,
    /// Where to clone it from: an `https://` URL or a local path. Default:
    /// `https://github.com/{repo}.git` (or the GitHub Enterprise host of `sources.github.api_url`).
    pub url: Option<String>,
    /// A file holding the token for an `https://` URL. Default: the GitHub source's API access
    /// (`sources.github.token_file`, NAGARE_GITHUB_TOKEN, or its GitHub App), when set.
    pub token_file: Option<PathBuf>,
}

impl GitSourceConfig {
    /// The folder of the mirrors, for a store whose SQLite file is `sqlite_file`.
    pub fn mirrors_dir(&self, sqlite_file: Option<&Path>) -> PathBuf {
        if let Some(d) = &self.dir {
            return d.clone();
        }
        match sqlite_file.and_then(Path::parent) {
            Some(p) => p.join("git"),
            None => PathBuf::from("data/git"),
        }
    }

    /// Checks the mirrors: each names `owner/name` once, with a usable URL.
    pub fn check(&self) -> Result<(), (String, String)> {
        if self.every_minutes == 0 {
            return Err((
                "sources.git.every_minutes".into(),
                "must be at least 1 (minutes)".into(),
            ));
        }
        if self.fetch_timeout_secs == 0 {
            return Err((
                "sources.git.fetch_timeout_secs".into(),
                "must be at least 1 (seconds)".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, m) in self.mirrors.iter().enumerate() {
            let at = format!("sources.git.mirrors[{i}]");
            let ok = m.repo.split_once('/').is_some_and(|(o, n)| {
                !o.is_empty() && !n.is_empty() && !n.contains('/') && !m.repo.contains("..")
            });
            if !ok {
                return Err((
                    format!("{at}.repo"),
                    format!("`{}` must be `owner/name`", m.repo),
                ));
            }
            if !seen.insert(m.repo.to_ascii_lowercase()) {
                return Err((
                    format!("{at}.repo"),
                    format!("`{}` is mirrored twice; keep one entry", m.repo),
                ));
            }
            if let Some(url) = &m.url {
                let remote = url.contains("://");
                if url.trim().is_empty()
                    || url.trim_start().starts_with('-')
                    || (!remote && url.contains("::"))
                    || (remote
                        && !url.starts_with("https://")
                        && !url.starts_with("http://")
                        && !url.starts_with("file://"))
                {
                    return Err((
                        format!("{at}.url"),
                        format!("`{url}`: use an https:// URL or a local path"),
                    ));
                }
                if remote
                    && url
                        .split("://")
                        .nth(1)
                        .is_some_and(|rest| rest.split('/').next().is_some_and(|h| h.contains('@')))
                {
                    return Err((
                        format!("{at}.url"),
                        "must not hold credentials; put the token in token_file".into(),
                    ));
                }
            }
        }
        Ok(())
    }
}
