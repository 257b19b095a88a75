//! Configuration: a TOML file plus environment overrides, parsed once at start.
//! Unknown keys and bad values stop start-up with a message naming the key and the fix.

use nagare_core::events::EnvironmentTier;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

mod auth;
mod cost;
mod database;
mod demo;
mod env;
mod git;
mod jobs;
mod log;
mod metrics;
mod retention;
mod server;
mod slo;
mod sources;
mod triggers;
mod validate;

pub use auth::AuthConfig;
pub use cost::{AthenaConfig, CostConfig, CostSourceConfig, S3Config};
pub use database::DatabaseConfig;
pub use demo::DemoConfig;
pub use env::{EnvOverride, ENV_OVERRIDES};
pub use git::{GitSourceConfig, MirrorConfig};
pub use jobs::JobsConfig;
pub use log::LogConfig;
pub use metrics::MetricsConfig;
pub use retention::RetentionConfig;
pub use server::ServerConfig;
pub use slo::{AlertRuleConfig, PrometheusConfig, SlackConfig, SlackTeamConfig, SloConfig};
pub use sources::{
    DeployRuleConfig, GithubSourceConfig, RepoRuleConfig, SignedSourceConfig, SourcesConfig,
    StageRuleConfig,
};
pub use triggers::{
    ApprovalConfig, GitlabConfig, GrantsConfig, ParamConfig, PipelineConfig, RunbookConfig,
    TriggersConfig, WorkflowConfig,
};

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
    /// Single sign-on. Without an issuer, Nagare runs in local single-user mode.
    pub auth: AuthConfig,
    /// How long raw deliveries are kept.
    pub retention: RetentionConfig,
    /// Webhook sources (`POST /hooks/{source}`).
    pub sources: SourcesConfig,
    /// Background jobs.
    pub jobs: JobsConfig,
    /// What may be started from the portal: runbooks, GitHub workflows, GitLab pipelines.
    pub triggers: TriggersConfig,
    /// Service level objectives: definitions, the Prometheus SLIs are read from, alerts.
    pub slo: SloConfig,
    /// Cloud cost: the exports read, allocation to teams and services, Athena.
    pub cost: CostConfig,
}

/// A configuration problem: what, where, and how to fix it.
#[derive(Debug, thiserror::Error)]
#[error("configuration error in {origin}: {message}")]
pub struct ConfigError {
    pub origin: String,
    pub message: String,
}

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
        if config.demo.seed_on_empty {
            config.sources.github.add_demo_rules();
            let port = config.bind_addr().map(|a| a.port()).unwrap_or(8080);
            let dir = triggers::data_dir_of(&config.database.url);
            config.triggers.add_demo_runbooks(port, &dir);
        }
        config.validate()?;
        Ok(config)
    }

    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError {
            origin: origin.to_owned(),
            message: describe_toml_error(&e),
        })
    }

    /// The client secret: `auth.client_secret_file` when set, else `auth.client_secret`.
    pub fn client_secret(&self) -> String {
        match &self.auth.client_secret_file {
            Some(f) => std::fs::read_to_string(f)
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
            None => self.auth.client_secret.clone(),
        }
    }

    /// Computations at once: `server.compute_concurrency`, or twice the cores.
    pub fn compute_concurrency(&self) -> usize {
        match self.server.compute_concurrency {
            0 => 2 * std::thread::available_parallelism().map_or(2, usize::from),
            n => n as usize,
        }
    }

    /// How durable SQLite commits are (`database.sqlite_synchronous`).
    pub fn durability(&self) -> crate::store::Durability {
        if self.database.sqlite_synchronous == "normal" {
            crate::store::Durability::Normal
        } else {
            crate::store::Durability::Full
        }
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
                tier.parse::<EnvironmentTier>()
                    .map(|t| (name.clone(), t))
                    .map_err(|e| (name.clone(), e.to_string()))
            })
            .collect()
    }

    /// `metrics.value_stream_chains`, read; the team and the problem otherwise.
    pub fn value_stream_chains(
        &self,
    ) -> Result<Vec<(String, nagare_core::valuestream::ChainName)>, (String, String)> {
        self.metrics
            .value_stream_chains
            .iter()
            .map(|(team, chain)| {
                chain
                    .parse()
                    .map(|c| (team.clone(), c))
                    .map_err(|e: nagare_core::names::UnknownName| (team.clone(), e.to_string()))
            })
            .collect()
    }

    pub fn core_settings(&self) -> nagare_core::model::Settings {
        nagare_core::model::Settings {
            incident_window_ms: self.metrics.incident_attribution_window_hours as i64
                * nagare_core::time::HOUR_MS,
            environment_tiers: self.environment_tiers().unwrap_or_default(),
            time_zone: self.time_zone().unwrap_or(chrono_tz::UTC),
            value_stream_chains: self.value_stream_chains().unwrap_or_default(),
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

        let e = Config::parse(
            "[metrics.value_stream_chains]\npayments = \"approved\"\n",
            "t",
        )
        .and_then(|c| c.validate())
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("metrics.value_stream_chains.payments") && text.contains("approval"),
            "{e}"
        );
        let c = Config::parse(
            "[metrics.value_stream_chains]\npayments = \"approval\"\n",
            "t",
        )
        .and_then(|c| c.validate().map(|()| c))
        .unwrap();
        assert_eq!(
            c.core_settings().chain_of(Some("payments")),
            Some(nagare_core::valuestream::ChainName::Approval)
        );

        let mut c = Config::default();
        let e = c
            .apply_env(&[("NAGARE_BINDD".into(), "x".into())])
            .unwrap_err();
        assert!(
            e.to_string().contains("NAGARE_BINDD") && e.to_string().contains("NAGARE_BIND"),
            "{e}"
        );
    }

    /// Whatever a config file holds, it is a configuration or an error naming where.
    fn parsed(text: &str) -> Result<Config, ConfigError> {
        let c = Config::parse(text, "nagare.toml")?;
        c.validate()?;
        Ok(c)
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_a_config_or_a_named_error(text in "\\PC{0,120}") {
            if let Err(e) = parsed(&text) {
                proptest::prop_assert!(e.to_string().starts_with("configuration error in "), "{}", e);
            }
        }

        #[test]
        fn mutations_of_the_example_never_panic(pos in 0usize..6000, c in proptest::char::any(), cut: bool) {
            let example = include_str!("../../../nagare.example.toml");
            let mut chars: Vec<char> = example.chars().collect();
            let at = pos % chars.len();
            if cut { chars.truncate(at) } else { chars[at] = c }
            let text: String = chars.into_iter().collect();
            if let Err(e) = parsed(&text) {
                let m = e.to_string();
                proptest::prop_assert!(m.starts_with("configuration error in ") && m.len() > 30, "{}", m);
            }
        }

        #[test]
        fn any_environment_value_is_taken_or_named(value in "\\PC{0,40}", which in 0..ENV_OVERRIDES.len()) {
            let (name, key) = (ENV_OVERRIDES[which].name, ENV_OVERRIDES[which].key);
            let mut c = Config::default();
            let applied = c.apply_env(&[(name.to_owned(), value)]).and_then(|()| c.validate());
            if let Err(e) = applied {
                let m = e.to_string();
                proptest::prop_assert!(m.contains(name) || m.contains(key), "{}", m);
            }
        }
    }

    #[test]
    fn example_file_parses_and_env_overrides_it() {
        let text = include_str!("../../../nagare.example.toml");
        let mut c = Config::parse(text, "nagare.example.toml").unwrap();
        c.apply_env(&[("DATABASE_URL".into(), "postgres://x@127.0.0.1/db".into())])
            .unwrap();
        c.validate().unwrap();
        assert_eq!(c.database.url, "postgres://x@127.0.0.1/db");
    }
}
