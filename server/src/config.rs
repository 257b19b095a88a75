//! Configuration: a TOML file plus environment overrides, parsed once at start.
//! Unknown keys and bad values stop start-up with a message naming the key and the fix.

use nagare_core::events::EnvironmentTier;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub metrics: MetricsConfig,
    /// Environment name → tier, for names the GitLab defaults do not map.
    pub environments: BTreeMap<String, String>,
    pub demo: DemoConfig,
    pub log: LogConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub bind: String,
    pub dist_dir: PathBuf,
    pub request_timeout_secs: u64,
    pub max_body_mb: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    pub time_zone: String,
    pub incident_attribution_window_hours: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoConfig {
    pub seed_on_empty: bool,
    pub seed: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub level: String,
    pub format: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "127.0.0.1:8080".into(),
            dist_dir: "dist".into(),
            request_timeout_secs: 30,
            max_body_mb: 10,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://data/nagare.db".into(),
        }
    }
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            time_zone: "UTC".into(),
            incident_attribution_window_hours: 168,
        }
    }
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            seed_on_empty: false,
            seed: 42,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: "text".into(),
        }
    }
}

/// A configuration problem: what, where, and how to fix it.
#[derive(Debug, thiserror::Error)]
#[error("configuration error in {origin}: {message}")]
pub struct ConfigError {
    pub origin: String,
    pub message: String,
}

/// Environment variables that override the file, each naming the key it replaces.
pub const ENV_OVERRIDES: [(&str, &str); 8] = [
    ("NAGARE_BIND", "server.bind"),
    ("NAGARE_DIST_DIR", "server.dist_dir"),
    ("DATABASE_URL", "database.url"),
    ("NAGARE_DATABASE_URL", "database.url"),
    ("NAGARE_TIME_ZONE", "metrics.time_zone"),
    ("NAGARE_SEED_DEMO", "demo.seed_on_empty"),
    ("NAGARE_LOG", "log.level"),
    ("NAGARE_LOG_FORMAT", "log.format"),
];

impl Config {
    /// Reads `path` when given (it must exist), else `./nagare.toml` when present, else defaults;
    /// then applies environment overrides from `env` and validates everything.
    pub fn load(path: Option<&Path>, env: &[(String, String)]) -> Result<Config, ConfigError> {
        let default_path = Path::new("nagare.toml");
        let (text, origin) = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| ConfigError {
                    origin: p.display().to_string(),
                    message: format!("cannot read the file: {e}. Pass an existing file with --config, or omit it to use defaults"),
                })?;
                (text, p.display().to_string())
            }
            None if default_path.exists() => {
                let text = std::fs::read_to_string(default_path).map_err(|e| ConfigError {
                    origin: "nagare.toml".into(),
                    message: format!("cannot read the file: {e}"),
                })?;
                (text, "nagare.toml".into())
            }
            None => (String::new(), "defaults".into()),
        };
        let mut config = Config::parse(&text, &origin)?;
        config.apply_env(env)?;
        config.validate()?;
        Ok(config)
    }

    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError {
            origin: origin.to_owned(),
            message: describe_toml_error(&e),
        })
    }

    fn apply_env(&mut self, env: &[(String, String)]) -> Result<(), ConfigError> {
        for (name, value) in env {
            let err = |message: String| ConfigError {
                origin: format!("environment variable {name}"),
                message,
            };
            match name.as_str() {
                "NAGARE_BIND" => self.server.bind = value.clone(),
                "NAGARE_DIST_DIR" => self.server.dist_dir = value.into(),
                "DATABASE_URL" | "NAGARE_DATABASE_URL" => self.database.url = value.clone(),
                "NAGARE_TIME_ZONE" => self.metrics.time_zone = value.clone(),
                "NAGARE_SEED_DEMO" => {
                    self.demo.seed_on_empty = match value.as_str() {
                        "1" | "true" | "yes" => true,
                        "0" | "false" | "no" => false,
                        _ => {
                            return Err(err(format!(
                                "`{value}` is not a boolean; use true or false"
                            )))
                        }
                    }
                }
                "NAGARE_LOG" => self.log.level = value.clone(),
                "NAGARE_LOG_FORMAT" => self.log.format = value.clone(),
                "NAGARE_CONFIG" => {}
                other if other.starts_with("NAGARE_") => {
                    let known: Vec<&str> = ENV_OVERRIDES.iter().map(|(n, _)| *n).collect();
                    return Err(err(format!(
                        "unknown setting; the environment overrides are {} (and NAGARE_CONFIG for the file path)",
                        known.join(", ")
                    )));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: &str, message: String| ConfigError {
            origin: format!("key `{key}`"),
            message,
        };
        self.bind_addr().map_err(|m| err("server.bind", m))?;
        self.time_zone().map_err(|m| err("metrics.time_zone", m))?;
        self.environment_tiers()
            .map_err(|(k, m)| err(&format!("environments.{k}"), m))?;
        if self.server.max_body_mb == 0 {
            return Err(err(
                "server.max_body_mb",
                "must be at least 1 (megabytes)".into(),
            ));
        }
        if self.server.request_timeout_secs == 0 {
            return Err(err(
                "server.request_timeout_secs",
                "must be at least 1 (seconds)".into(),
            ));
        }
        if self.metrics.incident_attribution_window_hours == 0 {
            return Err(err(
                "metrics.incident_attribution_window_hours",
                "must be at least 1 (hours); the default is 168 (7 days)".into(),
            ));
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(err(
                "log.format",
                format!(
                    "`{}` is not a log format; use \"text\" or \"json\"",
                    self.log.format
                ),
            ));
        }
        if self.database.url.trim().is_empty() {
            return Err(err(
                "database.url",
                "must not be empty; use sqlite://data/nagare.db or postgres://user@host/db".into(),
            ));
        }
        Ok(())
    }

    pub fn bind_addr(&self) -> Result<SocketAddr, String> {
        let b = self.server.bind.trim();
        let b = b
            .strip_prefix("localhost:")
            .map(|p| format!("127.0.0.1:{p}"))
            .unwrap_or_else(|| b.to_owned());
        b.parse().map_err(|_| {
            format!(
                "`{}` is not an address; write host:port, e.g. 127.0.0.1:8080",
                self.server.bind
            )
        })
    }

    pub fn time_zone(&self) -> Result<chrono_tz::Tz, String> {
        self.metrics.time_zone.parse().map_err(|_| {
            format!(
                "`{}` is not an IANA time zone; use a name like UTC, Asia/Tokyo or Europe/Berlin",
                self.metrics.time_zone
            )
        })
    }

    pub fn environment_tiers(&self) -> Result<Vec<(String, EnvironmentTier)>, (String, String)> {
        self.environments
            .iter()
            .map(|(name, tier)| {
                EnvironmentTier::parse(tier).map(|t| (name.clone(), t)).ok_or_else(|| {
                    (name.clone(), format!("`{tier}` is not a tier; use production, staging, testing, development or other"))
                })
            })
            .collect()
    }

    pub fn core_settings(&self) -> nagare_core::model::Settings {
        nagare_core::model::Settings {
            incident_window_ms: self.metrics.incident_attribution_window_hours as i64
                * nagare_core::time::HOUR_MS,
            environment_tiers: self.environment_tiers().unwrap_or_default(),
            time_zone: self.time_zone().unwrap_or(chrono_tz::UTC),
        }
    }
}

fn describe_toml_error(e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_owned();
    let hint = if msg.starts_with("unknown field") {
        " Remove it or fix its spelling; nagare.example.toml lists every key."
    } else {
        ""
    };
    match e.span() {
        Some(span) => format!("{msg} (at byte {}).{hint}", span.start),
        None => format!("{msg}.{hint}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_named() {
        let e = Config::parse("[server]\nbnid = \"x\"\n", "nagare.toml").unwrap_err();
        assert!(e.to_string().contains("unknown field `bnid`"), "{e}");
        assert!(e.to_string().contains("nagare.example.toml"), "{e}");
    }

    #[test]
    fn bad_values_name_the_key_and_fix() {
        let env = vec![("NAGARE_TIME_ZONE".to_owned(), "Mars/Olympus".to_owned())];
        let mut c = Config::default();
        c.apply_env(&env).unwrap();
        let e = c.validate().unwrap_err();
        assert!(
            e.to_string().contains("metrics.time_zone") && e.to_string().contains("IANA"),
            "{e}"
        );

        let e = Config::parse("[environments]\nprod-jp = \"prodution\"\n", "t")
            .and_then(|c| c.validate())
            .unwrap_err();
        assert!(e.to_string().contains("environments.prod-jp"), "{e}");

        let mut c = Config::default();
        let e = c
            .apply_env(&[("NAGARE_BINDD".into(), "x".into())])
            .unwrap_err();
        assert!(
            e.to_string().contains("NAGARE_BINDD") && e.to_string().contains("NAGARE_BIND"),
            "{e}"
        );
    }

    #[test]
    fn example_file_parses_and_env_overrides_it() {
        let text = include_str!("../../nagare.example.toml");
        let mut c = Config::parse(text, "nagare.example.toml").unwrap();
        c.apply_env(&[("DATABASE_URL".into(), "postgres://x@127.0.0.1/db".into())])
            .unwrap();
        c.validate().unwrap();
        assert_eq!(c.database.url, "postgres://x@127.0.0.1/db");
    }
}
