//! An SLO's definition, whatever format it came in (OpenSLO, Sloth, Pyrra, or the UI): what it
//! measures, against what objective, over which window, for which service.

use super::window::Window;
use serde::{Deserialize, Serialize};

/// Where an SLI's counts come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
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

/// What is wrong with an SLO written in the portal: the field, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

/// The longest PromQL query taken.
pub const MAX_QUERY_CHARS: usize = 4000;

fn bad<T>(field: &'static str, message: String) -> Result<T, Invalid> {
    Err(Invalid { field, message })
}

/// An SLO from the portal's form (`POST`/`PUT /api/v1/slos`): every field checked, the first
/// problem named. The service's existence is checked by the caller.
pub fn from_input(i: &crate::api::SloInput) -> Result<SloDef, Invalid> {
    let id = i.id.trim();
    let id_ok = !id.is_empty()
        && id.len() <= 63
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-');
    if !id_ok {
        return bad(
            "id",
            "the id is 1 to 63 lower-case letters, digits and `-`, not starting with `-` (e.g. `checkout-availability`)".into(),
        );
    }
    let name = i.name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return bad(
            "name",
            "give the SLO a name of 1 to 200 characters, without control characters".into(),
        );
    }
    let description = i
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    if let Some(d) = description {
        if d.chars().count() > 2000 || d.chars().any(|c| c.is_control() && c != '\n') {
            return bad(
                "description",
                "the description is at most 2000 characters, without control characters".into(),
            );
        }
    }
    if i.service.trim().is_empty() {
        return bad("service", "name the service the SLO belongs to".into());
    }
    if !(i.objective.is_finite() && i.objective > 0.0 && i.objective < 1.0) {
        return bad(
            "objective",
            format!(
                "the objective is a share of good events between 0 and 1, such as 0.999 for 99.9 % (got {})",
                i.objective
            ),
        );
    }
    let window = super::eval::parse_window(&i.window).or_else(|m| bad("window", m))?;
    let query = |field: &'static str, q: &str| -> Result<String, Invalid> {
        let q = q.trim();
        if q.is_empty() {
            return bad(field, format!("`{field}` needs a PromQL query"));
        }
        if q.chars().count() > MAX_QUERY_CHARS {
            return bad(
                field,
                format!("the query is longer than {MAX_QUERY_CHARS} characters"),
            );
        }
        if q.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return bad(field, "the query holds control characters".into());
        }
        if field != "sli.histogram" && !q.contains("{{window}}") {
            return bad(
                field,
                "write the query's range as `[{{window}}]` (for example `sum(increase(http_requests_total{code=~\"5..\"}[{{window}}]))`): Nagare reads each bucket's events with the bucket's width there".into(),
            );
        }
        Ok(q.to_owned())
    };
    let sli = match &i.sli {
        Sli::Ratio {
            good,
            bad: b,
            total,
        } => {
            let good = good.as_deref().filter(|q| !q.trim().is_empty());
            let b_q = b.as_deref().filter(|q| !q.trim().is_empty());
            let (good, b) = match (good, b_q) {
                (Some(g), None) => (Some(query("sli.good", g)?), None),
                (None, Some(x)) => (None, Some(query("sli.bad", x)?)),
                _ => {
                    return bad(
                        "sli.good",
                        "a ratio SLI counts either good or bad events, with the total: give one of `good` and `bad`".into(),
                    )
                }
            };
            Sli::Ratio {
                good,
                bad: b,
                total: query("sli.total", total)?,
            }
        }
        Sli::Latency {
            histogram,
            threshold,
        } => {
            let h = query("sli.histogram", histogram)?;
            let metric = h.split('{').next().unwrap_or_default().trim();
            if !metric.ends_with("_bucket") {
                return bad(
                    "sli.histogram",
                    "give the histogram's `_bucket` series, such as `http_request_duration_seconds_bucket{job=\"api\"}`".into(),
                );
            }
            let t = threshold.trim();
            if !t.parse::<f64>().is_ok_and(|v| v.is_finite() && v > 0.0) {
                return bad(
                    "sli.threshold",
                    "the threshold is one of the histogram's bucket bounds (`le`), such as `0.3`"
                        .into(),
                );
            }
            Sli::Latency {
                histogram: h,
                threshold: t.to_owned(),
            }
        }
        Sli::Pushed => Sli::Pushed,
    };
    Ok(SloDef {
        id: id.to_owned(),
        name: name.to_owned(),
        description: description.map(str::to_owned),
        service: i.service.trim().to_owned(),
        objective: i.objective,
        window,
        sli,
        origin: "ui".into(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::api::SloInput;

    fn input() -> SloInput {
        SloInput {
            id: "checkout-availability".into(),
            name: "Checkout availability".into(),
            description: Some("  ".into()),
            service: "checkout".into(),
            objective: 0.999,
            window: "28d".into(),
            sli: Sli::Ratio {
                good: None,
                bad: Some("sum(rate(errors[{{window}}]))".into()),
                total: " sum(rate(requests[{{window}}])) ".into(),
            },
        }
    }

    #[test]
    fn a_good_input_becomes_a_definition() {
        let d = from_input(&input()).unwrap();
        assert_eq!(
            d.window,
            Window::Rolling {
                ms: 28 * 86_400_000
            }
        );
        assert_eq!(d.description, None);
        assert_eq!(d.origin, "ui");
        assert_eq!(
            d.sli,
            Sli::Ratio {
                good: None,
                bad: Some("sum(rate(errors[{{window}}]))".into()),
                total: "sum(rate(requests[{{window}}]))".into()
            }
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        let field = |f: fn(&mut SloInput)| {
            let mut i = input();
            f(&mut i);
            from_input(&i).unwrap_err().field
        };
        assert_eq!(field(|i| i.id = "Checkout".into()), "id");
        assert_eq!(field(|i| i.id = "-x".into()), "id");
        assert_eq!(field(|i| i.name = "a\u{7}b".into()), "name");
        assert_eq!(field(|i| i.objective = 1.0), "objective");
        assert_eq!(field(|i| i.objective = f64::NAN), "objective");
        assert_eq!(field(|i| i.window = "30".into()), "window");
        assert_eq!(field(|i| i.service = " ".into()), "service");
        assert_eq!(
            field(|i| i.sli = Sli::Ratio {
                good: Some("a".into()),
                bad: Some("b".into()),
                total: "t".into()
            }),
            "sli.good"
        );
        assert_eq!(
            field(|i| i.sli = Sli::Ratio {
                good: Some("a[{{window}}]".into()),
                bad: None,
                total: "x\u{0}".into()
            }),
            "sli.total"
        );
        assert_eq!(
            field(|i| i.sli = Sli::Ratio {
                good: None,
                bad: Some("sum(rate(errors[5m]))".into()),
                total: "sum(rate(requests[{{window}}]))".into()
            }),
            "sli.bad",
            "a fixed range would count 5 minutes of events in each bucket"
        );
        assert_eq!(
            field(|i| i.sli = Sli::Latency {
                histogram: "http_seconds_count".into(),
                threshold: "0.3".into()
            }),
            "sli.histogram"
        );
        assert_eq!(
            field(|i| i.sli = Sli::Latency {
                histogram: "http_seconds_bucket{a=\"b\"}".into(),
                threshold: "-1".into()
            }),
            "sli.threshold"
        );
    }
}
