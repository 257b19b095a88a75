//! Configuration: a TOML file plus environment overrides, parsed once at start.
//! Unknown keys and bad values stop start-up with a message naming the key and the fix.

use nagare_core::events::EnvironmentTier;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod validate;

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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// A replica holds a job that must run once across replicas for this long, renewing it
    /// every third of it; another takes the job over this long after the holder died.
    pub lease_secs: u64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig { lease_secs: 60 }
    }
}

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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Raw deliveries older than this many days are deleted (0: kept by age forever).
    pub raw_deliveries_days: u64,
    /// Raw deliveries are kept under this many megabytes in all, oldest deleted first (0: no bound).
    pub raw_deliveries_max_mb: u64,
    /// A rejected payload larger than this keeps only its first kilobytes and a SHA-256 digest.
    pub rejected_payload_kb: u64,
    /// How often the retention job runs.
    pub interval_minutes: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            raw_deliveries_days: 90,
            raw_deliveries_max_mb: 1024,
            rejected_payload_kb: 64,
            interval_minutes: 60,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// The OpenID provider's issuer URL (discovery at `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    /// Prefer `client_secret_file` or `NAGARE_OIDC_CLIENT_SECRET` over writing it here.
    pub client_secret: String,
    pub client_secret_file: Option<PathBuf>,
    /// Nagare's callback as registered with the provider: `https://HOST/auth/callback`.
    pub redirect_url: String,
    /// Scopes asked for besides `openid profile email` (e.g. `groups`).
    pub scopes: Vec<String>,
    /// The claim carrying the user's groups, read from the ID token, else from userinfo.
    pub groups_claim: String,
    /// Group → role (`viewer`, `engineer`, `admin`). Several groups combine to the highest.
    pub roles: BTreeMap<String, String>,
    /// Group → team. A user may be in several teams.
    pub teams: BTreeMap<String, String>,
    /// The role of a user none of whose groups is mapped; empty refuses them.
    pub default_role: String,
    /// Viewers see every team (DevOps favours transparency); false: only their own teams.
    pub viewers_see_all_teams: bool,
    pub session_idle_minutes: u64,
    pub session_absolute_hours: u64,
    /// Failed sign-ins per client address and window before `/auth/callback` answers 429.
    pub failed_sign_in_limit: u32,
    pub failed_sign_in_window_minutes: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            client_secret_file: None,
            redirect_url: String::new(),
            scopes: Vec::new(),
            groups_claim: "groups".into(),
            roles: BTreeMap::new(),
            teams: BTreeMap::new(),
            default_role: String::new(),
            viewers_see_all_teams: true,
            session_idle_minutes: 8 * 60,
            session_absolute_hours: 7 * 24,
            failed_sign_in_limit: 20,
            failed_sign_in_window_minutes: 10,
        }
    }
}

impl AuthConfig {
    /// Whether single sign-on is configured (else local mode).
    pub fn enabled(&self) -> bool {
        !self.issuer.trim().is_empty()
    }

    /// Cookies get `Secure`, and responses HSTS, when Nagare is reached over https.
    pub fn https(&self) -> bool {
        self.redirect_url.starts_with("https://")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub bind: String,
    pub dist_dir: PathBuf,
    pub request_timeout_secs: u64,
    pub max_body_mb: u64,
    /// Host names answered besides the loopback names (local mode) or the host of
    /// `auth.redirect_url` (single sign-on): `name` (any port) or `name:port`.
    pub allowed_hosts: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (addresses or networks).
    pub trusted_proxies: Vec<String>,
    /// Open connections at most (kept below the file-descriptor limit at start).
    pub max_connections: u32,
    /// A connection that has not sent a request's headers within this many seconds is closed.
    pub header_read_timeout_secs: u64,
    /// On SIGTERM, requests in flight get this long to finish; then the server stops anyway.
    pub shutdown_grace_secs: u64,
    /// Megabytes of `POST /api/v1/events` bodies read and stored at once; more wait in line.
    pub ingest_buffer_mb: u32,
    /// API requests served at once; more wait in line.
    pub request_concurrency: u32,
    /// Metric and list computations at once (CPU work); 0: twice the number of cores.
    pub compute_concurrency: u32,
    /// Longest wait in line before a request is shed with 503 and `Retry-After`.
    pub queue_wait_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    pub url: String,
    /// SQLite only: `full` (a commit survives power loss) or `normal` (faster; survives a
    /// crash of the process, may lose the last commits on power loss).
    pub sqlite_synchronous: String,
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
            allowed_hosts: Vec::new(),
            trusted_proxies: Vec::new(),
            max_connections: 1000,
            header_read_timeout_secs: 10,
            shutdown_grace_secs: 10,
            ingest_buffer_mb: 40,
            request_concurrency: 64,
            compute_concurrency: 0,
            queue_wait_ms: 500,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://data/nagare.db".into(),
            sqlite_synchronous: "full".into(),
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
pub const ENV_OVERRIDES: [(&str, &str); 14] = [
    ("NAGARE_BIND", "server.bind"),
    ("NAGARE_DIST_DIR", "server.dist_dir"),
    ("DATABASE_URL", "database.url"),
    ("NAGARE_DATABASE_URL", "database.url"),
    ("NAGARE_SQLITE_SYNCHRONOUS", "database.sqlite_synchronous"),
    ("NAGARE_TIME_ZONE", "metrics.time_zone"),
    ("NAGARE_SEED_DEMO", "demo.seed_on_empty"),
    ("NAGARE_LOG", "log.level"),
    ("NAGARE_LOG_FORMAT", "log.format"),
    ("NAGARE_OIDC_ISSUER", "auth.issuer"),
    ("NAGARE_OIDC_CLIENT_ID", "auth.client_id"),
    ("NAGARE_OIDC_CLIENT_SECRET", "auth.client_secret"),
    ("NAGARE_OIDC_REDIRECT_URL", "auth.redirect_url"),
    ("NAGARE_HOOK_CANONICAL_SECRETS", "sources.canonical.secrets"),
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
                "NAGARE_SQLITE_SYNCHRONOUS" => self.database.sqlite_synchronous = value.clone(),
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
                "NAGARE_OIDC_ISSUER" => self.auth.issuer = value.clone(),
                "NAGARE_OIDC_CLIENT_ID" => self.auth.client_id = value.clone(),
                "NAGARE_OIDC_CLIENT_SECRET" => self.auth.client_secret = value.clone(),
                "NAGARE_OIDC_REDIRECT_URL" => self.auth.redirect_url = value.clone(),
                // Comma-separated: several while a secret is rotated.
                "NAGARE_HOOK_CANONICAL_SECRETS" => {
                    self.sources.canonical.secrets = value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect();
                }
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
        fn any_environment_value_is_taken_or_named(value in "\\PC{0,40}", which in 0usize..13) {
            let (name, key) = ENV_OVERRIDES[which];
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
