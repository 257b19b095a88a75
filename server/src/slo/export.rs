//! An SLO as an OpenSLO v1 `kind: SLO` document, written so that Nagare's own reader
//! (`server/src/slo/openslo.rs`) reads it back to the same SLO (its `origin` aside):
//!
//! - `metadata.name` is the id, `metadata.displayName` the name; `spec.description` (left out
//!   when empty), `spec.service`, `budgetingMethod: Occurrences`, `objectives[0].target`.
//! - `spec.timeWindow[0]`: a rolling window as a whole number of days, hours, minutes or
//!   seconds (`28d`, `12h`), `isRolling: true`; a calendar one as `1M` or `1Q` with
//!   `isRolling: false` and the `calendar` OpenSLO requires (`startTime` 2024-01-01 00:00:00,
//!   `timeZone` UTC). Nagare reads neither of those two: its periods follow the configured zone.
//! - `spec.indicator.spec.ratioMetric` (`counter: true`): `good` or `bad`, and `total`, each a
//!   `metricSource` of `type: Prometheus` with `spec.query`, the `{{window}}` placeholder kept.
//!   A latency SLI becomes the ratio of its threshold's bucket to the histogram's `_count`
//!   (`sum(increase(h_bucket{…,le="0.3"}[{{window}}]))` over `sum(increase(h_count{…}[…]))`):
//!   OpenSLO has no latency indicator, so it reads back as that ratio SLI, which measures the
//!   same thing.
//!
//! A pushed SLI has no query, and OpenSLO needs a metric source the reader accepts (only
//! Prometheus): Err.

use super::rules::latency_selectors;
use nagare_core::slo::budget::{DAY, HOUR, MINUTE};
use nagare_core::slo::{Period, Sli, SloDef, Window};
use serde::Serialize;

/// `def` as an OpenSLO v1 `kind: SLO` document (YAML), which Nagare's own loader reads back to
/// the same SLO.
pub fn openslo_yaml(def: &SloDef) -> Result<String, String> {
    let doc = Doc {
        api_version: "openslo/v1",
        kind: "SLO",
        metadata: Metadata {
            name: def.id.clone(),
            display_name: def.name.clone(),
        },
        spec: Spec {
            description: def.description.clone().filter(|d| !d.trim().is_empty()),
            service: def.service.clone(),
            indicator: Indicator {
                metadata: IndicatorMeta {
                    name: format!("{}-sli", def.id),
                },
                spec: IndicatorSpec {
                    ratio_metric: ratio(def)?,
                },
            },
            time_window: vec![time_window(def)?],
            budgeting_method: "Occurrences",
            objectives: vec![Objective {
                target: def.objective,
            }],
        },
    };
    serde_norway::to_string(&doc)
        .map_err(|e| format!("SLO {:?} could not be written as OpenSLO ({e})", def.id))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Doc {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    spec: Spec,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    name: String,
    display_name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    service: String,
    indicator: Indicator,
    time_window: Vec<TimeWindow>,
    budgeting_method: &'static str,
    objectives: Vec<Objective>,
}

#[derive(Serialize)]
struct Indicator {
    metadata: IndicatorMeta,
    spec: IndicatorSpec,
}

#[derive(Serialize)]
struct IndicatorMeta {
    name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IndicatorSpec {
    ratio_metric: RatioMetric,
}

#[derive(Serialize)]
struct RatioMetric {
    counter: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    good: Option<Metric>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bad: Option<Metric>,
    total: Metric,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metric {
    metric_source: MetricSource,
}

#[derive(Serialize)]
struct MetricSource {
    #[serde(rename = "type")]
    kind: &'static str,
    spec: Query,
}

#[derive(Serialize)]
struct Query {
    query: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TimeWindow {
    duration: String,
    is_rolling: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    calendar: Option<Calendar>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Calendar {
    start_time: &'static str,
    time_zone: &'static str,
}

#[derive(Serialize)]
struct Objective {
    target: f64,
}

fn prometheus(query: &str) -> Metric {
    Metric {
        metric_source: MetricSource {
            kind: "Prometheus",
            spec: Query {
                query: query.to_string(),
            },
        },
    }
}

fn ratio(def: &SloDef) -> Result<RatioMetric, String> {
    let (good, bad, total) = match &def.sli {
        Sli::Ratio {
            bad: Some(bad),
            total,
            ..
        } => (None, Some(prometheus(bad)), prometheus(total)),
        Sli::Ratio {
            good: Some(good),
            bad: None,
            total,
        } => (Some(prometheus(good)), None, prometheus(total)),
        Sli::Ratio {
            good: None,
            bad: None,
            ..
        } => {
            return Err(format!(
                "SLO {:?} has a ratio SLI without a good or a bad query; add one of them",
                def.id
            ))
        }
        Sli::Latency {
            histogram,
            threshold,
        } => {
            let (bucket, count) = latency_selectors(histogram, threshold)?;
            let count_of = |s: &str| format!("sum(increase({s}[{{{{window}}}}]))");
            (
                Some(prometheus(&count_of(&bucket))),
                None,
                prometheus(&count_of(&count)),
            )
        }
        Sli::Pushed => {
            return Err(format!(
                "SLO {:?} measures pushed counts, which have no query: OpenSLO needs a metric \
                 source, and Nagare reads back only Prometheus ones; give it a ratio or latency \
                 SLI over Prometheus metrics to export it",
                def.id
            ))
        }
    };
    Ok(RatioMetric {
        counter: true,
        good,
        bad,
        total,
    })
}

fn time_window(def: &SloDef) -> Result<TimeWindow, String> {
    Ok(match def.window {
        Window::Rolling { ms } => TimeWindow {
            duration: rolling(ms).ok_or_else(|| {
                format!(
                    "SLO {:?} has a window of {ms} ms, which is not a whole number of seconds; \
                     give it a length such as 28d",
                    def.id
                )
            })?,
            is_rolling: true,
            calendar: None,
        },
        Window::Calendar { period } => TimeWindow {
            duration: match period {
                Period::Month => "1M",
                Period::Quarter => "1Q",
            }
            .into(),
            is_rolling: false,
            calendar: Some(Calendar {
                start_time: "2024-01-01 00:00:00",
                time_zone: "UTC",
            }),
        },
    })
}

/// `ms` in its largest whole unit of d, h, m, s (`28d`, `90m`); `None` if not whole seconds or
/// not positive.
fn rolling(ms: i64) -> Option<String> {
    if ms <= 0 {
        return None;
    }
    [("d", DAY), ("h", HOUR), ("m", MINUTE), ("s", 1000)]
        .into_iter()
        .find(|(_, size)| ms % size == 0)
        .map(|(unit, size)| format!("{}{unit}", ms / size))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rolling_lengths() {
        assert_eq!(rolling(28 * DAY).as_deref(), Some("28d"));
        assert_eq!(rolling(36 * HOUR).as_deref(), Some("36h"));
        assert_eq!(rolling(90 * MINUTE).as_deref(), Some("90m"));
        assert_eq!(rolling(1500).as_deref(), None);
        assert_eq!(rolling(0).as_deref(), None);
    }
}
