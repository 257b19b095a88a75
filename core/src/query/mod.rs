//! The query strings of the API's `GET` endpoints, as serde structs: the server reads a request's
//! parameters into them (unknown ones refused), and the app writes its requests from them, so
//! that both sides name each parameter in one place.
//!
//! Every value travels as text: an empty value reads as absent, and each field's type parses its
//! own text (`FromStr`), so that an error names the value and what was expected.

use crate::api::{Benchmark, DoraQuery, Interval, LeadTimeBasis, Peers};
use crate::events::{DeploymentStatus, EnvironmentTier};
use crate::time::{Timestamp, DAY_MS};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest DORA window, so that a day series stays a sane size.
pub const MAX_WINDOW_DAYS: i64 = 3 * 366;
/// Rows per page when `per_page` is not given, and the most a page may hold.
pub const DEFAULT_PER_PAGE: u32 = 50;
pub const MAX_PER_PAGE: u32 = 500;

/// A parameter that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    pub field: String,
    pub message: String,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// `GET /api/v1/metrics/dora` (and `/dora/teams`): the window `[from, to)`, 30 days up to now
/// by default, and the filters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct DoraParams {
    /// Window start, RFC 3339 with a zone (default: `to` − 30 days).
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    /// Window end, exclusive, RFC 3339 with a zone (default: now).
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
    /// Only this service.
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Only this team's services.
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The tier whose deployments count (default `production`).
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub environment_tier: Option<EnvironmentTier>,
    /// What lead time is measured from (default `commit`).
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub lead_time_basis: Option<LeadTimeBasis>,
    /// The DORA table that assigns bands (default `dora-2024`).
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub benchmark: Option<Benchmark>,
    /// Also a `series` of reports by day, week or month (default `all`: none).
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub interval: Option<Interval>,
    /// An IANA zone for day, week and month buckets (UTC when absent); `tz` for short.
    #[serde(
        default,
        alias = "tz",
        with = "zone",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
    pub time_zone: Option<Zone>,
    /// With `benchmark=dora-2025`, the Quick Check's peer group: `industry:<key>` or
    /// `size:<key>` as dora.dev names them (default `industry:all`).
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
    pub peers: Option<Peers>,
}

/// A query's window `[from, to)`: `to` defaults to now and `from` to 30 days before it; it
/// must not be empty or reversed, nor longer than [`MAX_WINDOW_DAYS`].
pub(crate) fn window(
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    now: Timestamp,
) -> Result<(Timestamp, Timestamp), ParamError> {
    let to = to.unwrap_or(now);
    let from = from.unwrap_or(Timestamp(to.0 - 30 * DAY_MS));
    let bad = |message: String| ParamError {
        field: "from".into(),
        message,
    };
    if from >= to {
        return Err(bad(format!(
            "`from` ({from}) must be before `to` ({to}); the window is [from, to)"
        )));
    }
    if to.0 - from.0 > MAX_WINDOW_DAYS * DAY_MS {
        return Err(bad(format!(
            "the window is longer than {MAX_WINDOW_DAYS} days; narrow `from`/`to`"
        )));
    }
    Ok((from, to))
}

/// An IANA time zone, with the name it was given by (written back as it came, so that writing
/// a query never needs the zone database's names).
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub tz: chrono_tz::Tz,
    name: String,
}

impl Zone {
    pub fn new(tz: chrono_tz::Tz) -> Zone {
        Zone {
            tz,
            name: tz.name().to_owned(),
        }
    }
}

impl DoraParams {
    /// The validated query: a window that is not empty, not reversed and at most
    /// [`MAX_WINDOW_DAYS`] long.
    pub fn resolve(self, now: Timestamp) -> Result<DoraQuery, ParamError> {
        let (from, to) = window(self.from, self.to, now)?;
        Ok(DoraQuery {
            from,
            to,
            service: self.service,
            team: self.team,
            environment_tier: self.environment_tier.unwrap_or_default(),
            basis: self.lead_time_basis.unwrap_or_default(),
            benchmark: self.benchmark.unwrap_or_default(),
            interval: self.interval.unwrap_or_default(),
            time_zone: self.time_zone.map(|z| z.tz),
            peers: self.peers.unwrap_or_default(),
        })
    }
}

/// `GET /api/v1/deployments`: filters and a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct DeploymentQuery {
    /// Finished at or after, RFC 3339 with a zone.
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    /// Finished before, RFC 3339 with a zone.
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
    /// Only this service.
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Only this team's services.
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Only this tier (absent: every tier).
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub environment_tier: Option<EnvironmentTier>,
    /// Only deployments with this status.
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub status: Option<DeploymentStatus>,
    /// Only deployments that caused a failure (`true`), or only the others (`false`).
    #[serde(default, with = "flag", skip_serializing_if = "Option::is_none")]
    pub failed: Option<bool>,
    /// The page, from 1.
    #[serde(default = "first_page", with = "page_number")]
    pub page: u32,
    /// Rows per page, 1 to 500 (default 50).
    #[serde(default = "default_per_page", with = "per_page")]
    pub per_page: u32,
}

impl Default for DeploymentQuery {
    fn default() -> Self {
        DeploymentQuery {
            from: None,
            to: None,
            service: None,
            team: None,
            environment_tier: None,
            status: None,
            failed: None,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

/// `GET /api/v1/incidents`: filters and a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct IncidentQuery {
    /// Started at or after, RFC 3339 with a zone.
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    /// Started before, RFC 3339 with a zone.
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
    /// Only this service.
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Only this team's services.
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Only open incidents (`true`), or only resolved ones (`false`).
    #[serde(default, with = "flag", skip_serializing_if = "Option::is_none")]
    pub open: Option<bool>,
    /// The page, from 1.
    #[serde(default = "first_page", with = "page_number")]
    pub page: u32,
    /// Rows per page, 1 to 500 (default 50).
    #[serde(default = "default_per_page", with = "per_page")]
    pub per_page: u32,
}

/// `GET /api/v1/slos` and `/api/v1/slos/{id}`: filters and the instant evaluated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct SloQuery {
    /// Only this service's SLOs.
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Only the SLOs of this team's services.
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Evaluate at this instant (RFC 3339 with a zone), as a Prometheus instant query does;
    /// default now. Windows end here: `[at − window, at)`.
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
}

/// `GET /api/v1/slos/{id}`: the instant evaluated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct SloAtQuery {
    /// Evaluate at this instant (RFC 3339 with a zone); default now.
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
}

impl Default for IncidentQuery {
    fn default() -> Self {
        IncidentQuery {
            from: None,
            to: None,
            service: None,
            team: None,
            open: None,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

/// `GET /api/v1/audit`: exact action and actor, and a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AuditQuery {
    /// Only this action (`sign_in`, `token_created`, …).
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Only this actor (a user id, `token:<id>`, `local`).
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The page, from 1.
    #[serde(default = "first_page", with = "page_number")]
    pub page: u32,
    /// Rows per page, 1 to 500 (default 50).
    #[serde(default = "default_per_page", with = "per_page")]
    pub per_page: u32,
}

impl Default for AuditQuery {
    fn default() -> Self {
        AuditQuery {
            action: None,
            actor: None,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

/// An endpoint that takes no parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// `GET /api/v1/deliveries`: the kept raw deliveries, filtered, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct DeliveryQuery {
    /// Only this source (`github`, `canonical`, `api`, …).
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Only this verdict: `accepted`, `ignored`, `unmapped` or `rejected`.
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// Only this event type (GitHub's `X-GitHub-Event`: `workflow_job`, `push`, …).
    #[serde(default, with = "word", skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The page, from 1.
    #[serde(default = "first_page", with = "page_number")]
    pub page: u32,
    /// Rows per page, 1 to 500 (default 50).
    #[serde(default = "default_per_page", with = "per_page")]
    pub per_page: u32,
}

impl Default for DeliveryQuery {
    fn default() -> Self {
        DeliveryQuery {
            source: None,
            verdict: None,
            event: None,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

fn first_page() -> u32 {
    1
}

fn default_per_page() -> u32 {
    DEFAULT_PER_PAGE
}

/// The parameter names a query struct accepts (its fields and their aliases), read from its
/// own `Deserialize`, so that an error can list them without a second list to keep in step.
pub fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    match T::deserialize(probe::Probe) {
        Err(probe::Found(Some(fields))) => fields,
        _ => &[],
    }
}

/// Reads a query struct from decoded `(name, value)` pairs. Each name must be one of
/// [`fields_of`] and given once: callers check that first, to say which name is wrong.
pub fn from_pairs<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, ParamError> {
    let map: serde_json::Map<String, serde_json::Value> = pairs
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_path_to_error::deserialize(serde_json::Value::Object(map)).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner().to_string();
        ParamError {
            message: format!("`{field}`: {inner}"),
            field,
        }
    })
}

/// The query string (`?a=1&b=x%20y`, or empty) of a query struct, in field order, absent
/// values left out. (Written straight to text: no JSON tree in between, which the web app
/// would pay for in size.)
pub fn query_string<T: Serialize>(params: &T) -> String {
    let mut w = writer::Query(String::new());
    if params.serialize(&mut w).is_err() {
        return String::new();
    }
    w.0
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Any `FromStr` value as its text; an empty text is absent.
mod word {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::fmt::Display;
    use std::str::FromStr;

    pub fn serialize<T: Display, S: Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Ok(None);
        }
        s.parse().map(Some).map_err(serde::de::Error::custom)
    }
}

/// An IANA time zone.
mod zone {
    use super::Zone;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Zone>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(z) => s.serialize_str(&z.name),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Zone>, D::Error> {
        let name = String::deserialize(d)?;
        if name.is_empty() {
            return Ok(None);
        }
        match name.parse() {
            Ok(tz) => Ok(Some(Zone { tz, name })),
            Err(_) => Err(serde::de::Error::custom(format!(
                "`{}` is not an IANA time zone; write one such as UTC or Asia/Tokyo",
                crate::text::printable(&name, 60)
            ))),
        }
    }
}

/// `true` or `1`, `false` or `0`.
mod flag {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<bool>, s: S) -> Result<S::Ok, S::Error> {
        super::word::serialize(v, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match String::deserialize(d)?.as_str() {
            "" => Ok(None),
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            other => Err(serde::de::Error::custom(format!(
                "`{}` is not true or false",
                crate::text::printable(other, 60)
            ))),
        }
    }
}

/// A whole number in a range, from its text (empty: the default).
fn bounded<'de, D: serde::Deserializer<'de>>(
    d: D,
    range: std::ops::RangeInclusive<u32>,
    default: u32,
    expected: &str,
) -> Result<u32, D::Error> {
    let s = String::deserialize(d)?;
    if s.is_empty() {
        return Ok(default);
    }
    s.parse::<u32>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{}` is not {expected}",
                crate::text::printable(&s, 60)
            ))
        })
}

/// `page`: from 1.
mod page_number {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        super::bounded(d, 1..=u32::MAX, 1, "a page number from 1")
    }
}

/// `per_page`: 1 to [`MAX_PER_PAGE`](super::MAX_PER_PAGE).
mod per_page {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        super::bounded(
            d,
            1..=super::MAX_PER_PAGE,
            super::DEFAULT_PER_PAGE,
            "a number from 1 to 500",
        )
    }
}

mod cost;
mod pipelines;
mod probe;
mod triggers;
mod writer;
pub use cost::*;
pub use pipelines::*;
pub use triggers::*;

#[cfg(test)]
mod tests;
