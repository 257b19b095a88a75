//! Checks of a parsed configuration: each failure names the key and the fix.

use super::{Config, ConfigError};
use crate::auth::hosts::HostPolicy;
use crate::auth::TrustedProxies;

impl Config {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: &str, message: String| ConfigError {
            origin: format!("key `{key}`"),
            message,
        };
        self.bind_addr().map_err(|m| err("server.bind", m))?;
        self.time_zone().map_err(|m| err("metrics.time_zone", m))?;
        self.environment_tiers()
            .map_err(|(k, m)| err(&format!("environments.{k}"), m))?;
        self.value_stream_chains()
            .map_err(|(k, m)| err(&format!("metrics.value_stream_chains.{k}"), m))?;
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
        self.sources.git.check().map_err(|(k, m)| err(&k, m))?;
        crate::triggers::Targets::from_config(self).map_err(|(k, m)| err(&k, m))?;
        self.validate_slo(&err)?;
        self.cost.check().map_err(|(k, m)| err(&k, m))?;
        self.validate_auth(&err)?;
        self.validate_server(&err)?;
        if !matches!(self.database.sqlite_synchronous.as_str(), "full" | "normal") {
            return Err(err(
                "database.sqlite_synchronous",
                format!(
                    "`{}` is not a setting; use \"full\" (the default: a commit survives power loss) or \"normal\" (faster; the last commits can be lost on power loss)",
                    self.database.sqlite_synchronous
                ),
            ));
        }
        if self.database.snapshot.trim().is_empty() {
            return Err(err(
                "database.snapshot",
                "must not be empty; use \"auto\" (beside the SQLite file), \"off\", or a file path"
                    .into(),
            ));
        }
        if self.database.snapshot_every_minutes == 0 {
            return Err(err(
                "database.snapshot_every_minutes",
                "must be at least 1 (minutes); to keep no snapshot, set database.snapshot = \"off\"".into(),
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

    fn validate_slo(&self, err: &dyn Fn(&str, String) -> ConfigError) -> Result<(), ConfigError> {
        let c = &self.slo;
        // Their messages start with the key.
        let keyed = |m: String| {
            let (k, rest) = m.split_once(": ").unwrap_or(("slo", m.as_str()));
            err(k, rest.to_owned())
        };
        crate::slo::runtime::timezone(c).map_err(keyed)?;
        crate::slo::runtime::alert_rules(c).map_err(keyed)?;
        if c.step_secs < 10 || c.step_secs > 3600 || 86_400 % c.step_secs != 0 {
            return Err(err(
                "slo.step_secs",
                format!(
                    "{} is not a bucket width; use 10 to 3600 seconds that divide a day evenly (the default is 60)",
                    c.step_secs
                ),
            ));
        }
        if c.attribution_hours == 0 || c.attribution_hours > 72 {
            return Err(err(
                "slo.attribution_hours",
                "must be 1 to 72 (hours); the default is 2".into(),
            ));
        }
        if c.keep_days < 38 {
            return Err(err(
                "slo.keep_days",
                "must be at least 38 (a 31-day month and the 7 days the forecast reads); the default is 100".into(),
            ));
        }
        if let Some(p) = &c.prometheus {
            crate::slo::prom::PromClient::from_config(p).map_err(keyed)?;
            if p.sync_secs == 0 {
                return Err(err(
                    "slo.prometheus.sync_secs",
                    "must be at least 1 (seconds)".into(),
                ));
            }
        }
        for (i, t) in c.slack.teams.iter().enumerate() {
            if t.webhook_url_file.is_some() == t.webhook_url_env.is_some() {
                return Err(err(
                    &format!("slo.slack.teams[{i}]"),
                    "give the webhook address in exactly one of `webhook_url_file` (a file holding it) and `webhook_url_env` (the name of an environment variable holding it)".into(),
                ));
            }
        }
        if !(c.slack.excess_burn_percent.is_finite() && c.slack.excess_burn_percent > 0.0) {
            return Err(err(
                "slo.slack.excess_burn_percent",
                "must be above 0 (percent of an SLO's window budget); the default is 10".into(),
            ));
        }
        Ok(())
    }

    fn validate_auth(&self, err: &dyn Fn(&str, String) -> ConfigError) -> Result<(), ConfigError> {
        let a = &self.auth;
        for (group, role) in &a.roles {
            if let Err(e) = role.parse::<nagare_core::api::Role>() {
                return Err(err(&format!("auth.roles.\"{group}\""), e.to_string()));
            }
        }
        if !a.default_role.is_empty() && a.default_role.parse::<nagare_core::api::Role>().is_err() {
            return Err(err(
                "auth.default_role",
                format!(
                    "`{}` is not a role; use viewer, engineer, admin, or \"\" to refuse unmapped users",
                    a.default_role
                ),
            ));
        }
        if a.session_idle_minutes == 0 || a.session_absolute_hours == 0 {
            return Err(err(
                "auth.session_idle_minutes",
                "session timeouts must be at least 1; the defaults are 480 minutes idle and 168 hours absolute".into(),
            ));
        }
        if !a.enabled() {
            return Ok(());
        }
        let url_ok =
            |u: &str| url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !url_ok(&a.issuer) {
            return Err(err(
                "auth.issuer",
                format!("`{}` is not an http(s) URL; use the provider's issuer, e.g. https://login.example.com/realms/acme", a.issuer),
            ));
        }
        if a.client_id.trim().is_empty() {
            return Err(err(
                "auth.client_id",
                "is required with auth.issuer: the client id registered with the provider".into(),
            ));
        }
        if a.client_secret.is_empty() && a.client_secret_file.is_none() {
            return Err(err(
                "auth.client_secret",
                "is required with auth.issuer: set auth.client_secret_file, or NAGARE_OIDC_CLIENT_SECRET".into(),
            ));
        }
        if let Some(file) = &a.client_secret_file {
            let secret = std::fs::read_to_string(file).map_err(|e| {
                err(
                    "auth.client_secret_file",
                    format!("cannot read {}: {e}", file.display()),
                )
            })?;
            if secret.trim().is_empty() {
                return Err(err(
                    "auth.client_secret_file",
                    format!("{} is empty", file.display()),
                ));
            }
        }
        if !url_ok(&a.redirect_url) || !a.redirect_url.ends_with("/auth/callback") {
            return Err(err(
                "auth.redirect_url",
                format!(
                    "`{}` must be Nagare's own callback as registered with the provider, e.g. https://nagare.example.com/auth/callback",
                    a.redirect_url
                ),
            ));
        }
        if a.roles.is_empty() && a.default_role.is_empty() {
            return Err(err(
                "auth.roles",
                "maps no group to a role, so nobody could sign in; add e.g. \"platform-admins\" = \"admin\" under [auth.roles]".into(),
            ));
        }
        Ok(())
    }

    fn validate_server(
        &self,
        err: &dyn Fn(&str, String) -> ConfigError,
    ) -> Result<(), ConfigError> {
        let s = &self.server;
        HostPolicy::new(true, "", &s.allowed_hosts, 0)
            .map_err(|m| err("server.allowed_hosts", m))?;
        TrustedProxies::parse(&s.trusted_proxies).map_err(|m| err("server.trusted_proxies", m))?;
        let at_least_one = [
            ("server.max_connections", u64::from(s.max_connections)),
            (
                "server.header_read_timeout_secs",
                s.header_read_timeout_secs,
            ),
            ("server.ingest_buffer_mb", u64::from(s.ingest_buffer_mb)),
            (
                "server.request_concurrency",
                u64::from(s.request_concurrency),
            ),
            ("server.queue_wait_ms", s.queue_wait_ms),
            (
                "retention.interval_minutes",
                self.retention.interval_minutes,
            ),
            (
                "retention.rejected_payload_kb",
                self.retention.rejected_payload_kb,
            ),
            (
                "auth.failed_sign_in_limit",
                u64::from(self.auth.failed_sign_in_limit),
            ),
            (
                "auth.failed_sign_in_window_minutes",
                self.auth.failed_sign_in_window_minutes,
            ),
        ];
        for (key, value) in at_least_one {
            if value == 0 {
                return Err(err(
                    key,
                    "must be at least 1; nagare.example.toml shows the default".into(),
                ));
            }
        }
        if self.jobs.lease_secs < 3 {
            return Err(err(
                "jobs.lease_secs",
                "must be at least 3 (the lease is renewed every third of it); the default is 60"
                    .into(),
            ));
        }
        Ok(())
    }
}
