//! An SLO's definition, whatever format it came in (OpenSLO, Sloth, Pyrra, or the UI): what it
//! measures, against what objective, over which window, for which service.

use super::window::Window;
use serde::{Deserialize, Serialize};

/// Where an SLI's counts come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Sli {
    /// PromQL queries of event counts over a range (`{{.window}}` / `[$__window]` style
    /// placeholders already resolved to `{{window}}`): good (or bad) and total.
    Ratio {
        good: Option<String>,
        bad: Option<String>,
        total: String,
    },
    /// A histogram's requests under a latency threshold: good = the `le` bucket at
    /// `threshold`, total = the `_count`.
    Latency {
        /// The histogram's `_bucket` series selector (`http_request_duration_seconds_bucket{…}`).
        histogram: String,
        /// The threshold, in the histogram's unit (`0.3`).
        threshold: String,
    },
    /// Counts pushed as `sli_sample` events.
    Pushed,
}

/// An SLO.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SloDef {
    /// Unique among the SLOs (`checkout-availability`).
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// The service it belongs to (its teams and access).
    pub service: String,
    /// The target share of good events, 0 < objective < 1 (`0.999`).
    pub objective: f64,
    pub window: Window,
    pub sli: Sli,
    /// Where it was defined: a file (and its format), or `ui`.
    pub origin: String,
}
