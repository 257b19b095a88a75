//! Environment variables that override the file: one table, the only place an override is
//! declared. It drives the parsing, the error for an unknown `NAGARE_*` variable, and the
//! README's configuration table (a test holds the README to it).

use super::Config;

/// One environment override.
pub struct EnvOverride {
    pub name: &'static str,
    /// The key it replaces.
    pub key: &'static str,
    /// Sets the key from the variable's value; the problem with the value otherwise.
    pub apply: fn(&mut Config, &str) -> Result<(), String>,
}

fn boolean(value: &str) -> Result<bool, String> {
    match value {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(format!("`{value}` is not a boolean; use true or false")),
    }
}

/// Comma-separated, blanks dropped.
fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

macro_rules! set {
    ($($field:ident).+) => {
        |c: &mut Config, v: &str| {
            c.$($field).+ = v.into();
            Ok(())
        }
    };
}

pub const ENV_OVERRIDES: &[EnvOverride] = &[
    EnvOverride {
        name: "NAGARE_BIND",
        key: "server.bind",
        apply: set!(server.bind),
    },
    EnvOverride {
        name: "NAGARE_DIST_DIR",
        key: "server.dist_dir",
        apply: set!(server.dist_dir),
    },
    EnvOverride {
        name: "DATABASE_URL",
        key: "database.url",
        apply: set!(database.url),
    },
    EnvOverride {
        name: "NAGARE_DATABASE_URL",
        key: "database.url",
        apply: set!(database.url),
    },
    EnvOverride {
        name: "NAGARE_SQLITE_SYNCHRONOUS",
        key: "database.sqlite_synchronous",
        apply: set!(database.sqlite_synchronous),
    },
    EnvOverride {
        name: "NAGARE_MODEL_SNAPSHOT",
        key: "database.snapshot",
        apply: set!(database.snapshot),
    },
    EnvOverride {
        name: "NAGARE_TIME_ZONE",
        key: "metrics.time_zone",
        apply: set!(metrics.time_zone),
    },
    EnvOverride {
        name: "NAGARE_SEED_DEMO",
        key: "demo.seed_on_empty",
        apply: |c, v| {
            c.demo.seed_on_empty = boolean(v)?;
            Ok(())
        },
    },
    EnvOverride {
        name: "NAGARE_LOG",
        key: "log.level",
        apply: set!(log.level),
    },
    EnvOverride {
        name: "NAGARE_LOG_FORMAT",
        key: "log.format",
        apply: set!(log.format),
    },
    EnvOverride {
        name: "NAGARE_OIDC_ISSUER",
        key: "auth.issuer",
        apply: set!(auth.issuer),
    },
    EnvOverride {
        name: "NAGARE_OIDC_CLIENT_ID",
        key: "auth.client_id",
        apply: set!(auth.client_id),
    },
    EnvOverride {
        name: "NAGARE_OIDC_CLIENT_SECRET",
        key: "auth.client_secret",
        apply: set!(auth.client_secret),
    },
    EnvOverride {
        name: "NAGARE_OIDC_REDIRECT_URL",
        key: "auth.redirect_url",
        apply: set!(auth.redirect_url),
    },
    EnvOverride {
        name: "NAGARE_HOOK_CANONICAL_SECRETS",
        key: "sources.canonical.secrets",
        // Comma-separated: several while a secret is rotated.
        apply: |c, v| {
            c.sources.canonical.secrets = list(v);
            Ok(())
        },
    },
    EnvOverride {
        name: "NAGARE_HOOK_GITHUB_SECRETS",
        key: "sources.github.secrets",
        // Comma-separated: several while a secret is rotated.
        apply: |c, v| {
            c.sources.github.secrets = list(v);
            Ok(())
        },
    },
    EnvOverride {
        name: "NAGARE_GITHUB_TOKEN",
        key: "sources.github.token",
        apply: |c, v| {
            c.sources.github.token = v.trim().to_owned();
            Ok(())
        },
    },
];

/// The variable naming the configuration file (read before the file, so not an override).
pub const CONFIG_PATH_VAR: &str = "NAGARE_CONFIG";

impl Config {
    pub(super) fn apply_env(&mut self, env: &[(String, String)]) -> Result<(), super::ConfigError> {
        for (name, value) in env {
            let err = |message: String| super::ConfigError {
                origin: format!("environment variable {name}"),
                message,
            };
            if let Some(o) = ENV_OVERRIDES.iter().find(|o| o.name == name) {
                (o.apply)(self, value).map_err(err)?;
            } else if name.starts_with("NAGARE_") && name != CONFIG_PATH_VAR {
                let known: Vec<&str> = ENV_OVERRIDES.iter().map(|o| o.name).collect();
                return Err(err(format!(
                    "unknown setting; the environment overrides are {} (and {CONFIG_PATH_VAR} for the file path)",
                    known.join(", ")
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each override sets exactly the key it names (checked through the key's value), and the
    /// README's configuration table lists each with that key.
    #[test]
    fn every_override_sets_its_key_and_the_readme_lists_it() {
        let readme = include_str!("../../../README.md");
        for o in ENV_OVERRIDES {
            let value = match o.key {
                "demo.seed_on_empty" => "true",
                _ => "probe-value-0123456789abcdef",
            };
            let mut c = Config::default();
            c.apply_env(&[(o.name.to_owned(), value.to_owned())])
                .unwrap_or_else(|e| panic!("{}: {e}", o.name));
            let got = match o.key {
                "server.bind" => c.server.bind.clone(),
                "server.dist_dir" => c.server.dist_dir.display().to_string(),
                "database.url" => c.database.url.clone(),
                "database.sqlite_synchronous" => c.database.sqlite_synchronous.clone(),
                "database.snapshot" => c.database.snapshot.clone(),
                "metrics.time_zone" => c.metrics.time_zone.clone(),
                "demo.seed_on_empty" => c.demo.seed_on_empty.to_string(),
                "log.level" => c.log.level.clone(),
                "log.format" => c.log.format.clone(),
                "auth.issuer" => c.auth.issuer.clone(),
                "auth.client_id" => c.auth.client_id.clone(),
                "auth.client_secret" => c.auth.client_secret.clone(),
                "auth.redirect_url" => c.auth.redirect_url.clone(),
                "sources.canonical.secrets" => c.sources.canonical.secrets.join(","),
                "sources.github.secrets" => c.sources.github.secrets.join(","),
                "sources.github.token" => c.sources.github.token.clone(),
                other => panic!("{}: no check for key {other}; add one", o.name),
            };
            assert_eq!(got, value, "{} sets {}", o.name, o.key);
            let row = readme
                .lines()
                .find(|l| l.starts_with('|') && l.contains(&format!("`{}`", o.name)))
                .unwrap_or_else(|| panic!("README's configuration table lacks {}", o.name));
            assert!(
                row.contains(&format!("`{}`", o.key)),
                "README row for {}: {row}",
                o.name
            );
        }
        // And the README names no override the table does not have.
        for word in readme.split(|c: char| !(c.is_ascii_uppercase() || c == '_')) {
            if word.starts_with("NAGARE_") && word.len() > 7 && word != CONFIG_PATH_VAR {
                assert!(
                    ENV_OVERRIDES.iter().any(|o| o.name == word),
                    "README names {word}, which is no override"
                );
            }
        }
    }
}
