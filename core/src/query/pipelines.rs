//! The pipelines endpoints' query strings.

use super::{default_per_page, first_page, ParamError, Zone, DEFAULT_PER_PAGE};
use crate::pipelines::{Outcome, Trigger};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// `GET /api/v1/pipelines/runs`: filters and a page. Attempts running (none finished) come
/// first, then the newest finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct PipelineRunQuery {
    /// Finished (or, running, started) at or after, RFC 3339 with a zone.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    /// Finished (or started) before, RFC 3339 with a zone.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
    /// Only this repository (`owner/name`).
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// Only the repositories of this service.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Only the repositories of this team's services.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Only this workflow (its exact name).
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// Only this branch.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Only attempts with this outcome.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Only attempts with this provider conclusion (`timed_out`, …).
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<String>,
    /// Only attempts started this way.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Trigger>,
    /// The page, from 1.
    #[serde(default = "first_page", with = "super::page_number")]
    pub page: u32,
    /// Rows per page, 1 to 500 (default 50).
    #[serde(default = "default_per_page", with = "super::per_page")]
    pub per_page: u32,
}

impl Default for PipelineRunQuery {
    fn default() -> Self {
        PipelineRunQuery {
            from: None,
            to: None,
            repo: None,
            service: None,
            team: None,
            workflow: None,
            branch: None,
            outcome: None,
            conclusion: None,
            trigger: None,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

/// `GET /api/v1/pipelines/workflows` and `/flaky-jobs`: the window `[from, to)` (30 days up to
/// now by default) and the filters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct PipelineWindowParams {
    /// Window start, RFC 3339 with a zone (default: `to` − 30 days).
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    /// Window end, exclusive (default: now).
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Only this workflow (its exact name).
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// An IANA zone for the weeks (UTC when absent); `tz` for short.
    #[serde(
        default,
        alias = "tz",
        with = "super::zone",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
    pub time_zone: Option<Zone>,
}

/// A validated pipelines window.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineWindow {
    pub from: Timestamp,
    pub to: Timestamp,
    pub repo: Option<String>,
    pub service: Option<String>,
    pub team: Option<String>,
    pub workflow: Option<String>,
    pub time_zone: chrono_tz::Tz,
}

impl PipelineWindowParams {
    /// The window: not empty, not reversed, at most [`super::MAX_WINDOW_DAYS`] long.
    pub fn resolve(self, now: Timestamp) -> Result<PipelineWindow, ParamError> {
        let (from, to) = super::window(self.from, self.to, now)?;
        Ok(PipelineWindow {
            from,
            to,
            repo: self.repo,
            service: self.service,
            team: self.team,
            workflow: self.workflow,
            time_zone: self.time_zone.map_or(chrono_tz::UTC, |z| z.tz),
        })
    }
}

/// `GET /api/v1/metrics/value-stream`: the DORA query's window, filters, interval and zone,
/// and the chain of stages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ValueStreamParams {
    /// Window start, RFC 3339 with a zone (default: `to` − 30 days): pull requests whose first
    /// production deployment finished in `[from, to)`.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    /// Window end, exclusive (default: now).
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The chain of stages: `default`, or `approval` (review until approved). Absent: the
    /// chain configured for the `team` (`metrics.value_stream_chains`), else `default`.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub chain: Option<crate::valuestream::ChainName>,
    /// Also a `series` of reports by day, week or month.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub interval: Option<crate::api::Interval>,
    /// An IANA zone for the buckets (UTC when absent); `tz` for short.
    #[serde(
        default,
        alias = "tz",
        with = "super::zone",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
    pub time_zone: Option<Zone>,
}

/// A validated value-stream query.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueStreamQuery {
    pub from: Timestamp,
    pub to: Timestamp,
    pub service: Option<String>,
    pub team: Option<String>,
    /// `None`: the team's configured chain, else the default one.
    pub chain: Option<crate::valuestream::ChainName>,
    pub interval: crate::api::Interval,
    pub time_zone: chrono_tz::Tz,
}

impl ValueStreamParams {
    pub fn resolve(self, now: Timestamp) -> Result<ValueStreamQuery, ParamError> {
        let (from, to) = super::window(self.from, self.to, now)?;
        Ok(ValueStreamQuery {
            from,
            to,
            service: self.service,
            team: self.team,
            chain: self.chain,
            interval: self.interval.unwrap_or_default(),
            time_zone: self.time_zone.map_or(chrono_tz::UTC, |z| z.tz),
        })
    }
}
