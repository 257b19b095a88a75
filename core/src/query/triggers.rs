//! The trigger endpoints' query strings.

use super::{default_per_page, first_page, DEFAULT_PER_PAGE};
use crate::api::RunStatus;
use serde::{Deserialize, Serialize};

/// `GET /api/v1/triggers`: the targets of one service, or all the caller may see.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct TriggerQuery {
    /// Only this service's targets.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

/// `GET /api/v1/triggers/{target}`: one target, its form read at `ref`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct TargetQuery {
    /// The branch or tag whose workflow file gives the form (GitHub); the default ref
    /// otherwise.
    #[serde(
        default,
        rename = "ref",
        with = "super::word",
        skip_serializing_if = "Option::is_none"
    )]
    pub git_ref: Option<String>,
}

/// `GET /api/v1/runs`: runs started from the portal, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct PortalRunQuery {
    /// Only this target's runs.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Only this service's runs.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Only runs in this state.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub status: Option<RunStatus>,
    /// The page, from 1.
    #[serde(default = "first_page", with = "super::page_number")]
    pub page: u32,
    /// Rows per page, 1 to 500 (default 50).
    #[serde(default = "default_per_page", with = "super::per_page")]
    pub per_page: u32,
}

impl Default for PortalRunQuery {
    fn default() -> Self {
        PortalRunQuery {
            target: None,
            service: None,
            status: None,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

/// `GET /api/v1/runs/{id}/log`: the chunks after `after` (a chunk's `seq`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct RunLogQuery {
    /// Only chunks after this one (0 or absent: from the start). With Server-Sent Events,
    /// `Last-Event-ID` says the same.
    #[serde(default, with = "super::word", skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
}
