//! What the SLO form holds as typed, filled from an SLO to edit, and checked into the body the
//! API takes (every problem named at the field the API would name).

use super::{text, trimmed};
use nagare_core::api::{SloInput, SloStatus};
use nagare_core::slo::def::from_input;
use nagare_core::slo::eval::parse_window;
use nagare_core::slo::Sli;

/// What the form holds, as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Values {
    pub id: String,
    pub name: String,
    pub description: String,
    pub service: String,
    /// In percent (`99.9`).
    pub objective: String,
    pub window: String,
    /// `ratio`, `latency` or `pushed`.
    pub kind: String,
    /// Whether the ratio's first query counts bad events (else good ones).
    pub counts_bad: bool,
    pub query: String,
    pub total: String,
    pub histogram: String,
    pub threshold: String,
}

impl Values {
    pub fn new() -> Self {
        Values {
            objective: "99.9".into(),
            window: "30d".into(),
            kind: "ratio".into(),
            ..Values::default()
        }
    }

    pub fn of(s: &SloStatus) -> Self {
        let mut v = Values {
            id: s.id.clone(),
            name: s.name.clone(),
            description: s.description.clone().unwrap_or_default(),
            service: s.service.clone(),
            objective: trimmed(s.objective * 100.0, 4),
            window: s.window.label.clone(),
            ..Values::new()
        };
        match &s.sli {
            Sli::Ratio { good, bad, total } => {
                v.kind = "ratio".into();
                v.counts_bad = good.is_none() && bad.is_some();
                v.query = good.clone().or_else(|| bad.clone()).unwrap_or_default();
                v.total = total.clone();
            }
            Sli::Latency {
                histogram,
                threshold,
            } => {
                v.kind = "latency".into();
                v.histogram = histogram.clone();
                v.threshold = threshold.clone();
            }
            Sli::Pushed => v.kind = "pushed".into(),
        }
        v
    }

    /// The body to send, or each problem at its field.
    pub fn check(&self) -> Result<SloInput, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let id = self.id.trim();
        if id.is_empty() {
            errors.push(("id", text::E_REQUIRED.to_owned()));
        } else if !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            || id.starts_with('-')
        {
            errors.push(("id", text::E_ID.to_owned()));
        }
        if self.name.trim().is_empty() {
            errors.push(("name", text::E_REQUIRED.to_owned()));
        }
        if self.service.trim().is_empty() {
            errors.push(("service", text::E_SERVICE.to_owned()));
        }
        let objective = match self.objective.trim().parse::<f64>() {
            Ok(p) if p > 0.0 && p < 100.0 && p.is_finite() => {
                // Through whole millionths of a percent, so that 99.9 becomes exactly 0.999.
                Some((p * 1e6).round() / 1e8)
            }
            _ => {
                errors.push(("objective", text::E_OBJECTIVE.to_owned()));
                None
            }
        };
        if let Err(e) = parse_window(&self.window) {
            errors.push(("window", e));
        }
        let required = |v: &str, field: &'static str, errors: &mut Vec<(&'static str, String)>| {
            if v.trim().is_empty() {
                errors.push((field, text::E_REQUIRED.to_owned()));
            }
            v.trim().to_owned()
        };
        let sli = match self.kind.as_str() {
            "ratio" => {
                let field = if self.counts_bad {
                    "sli.bad"
                } else {
                    "sli.good"
                };
                let query = required(&self.query, field, &mut errors);
                let total = required(&self.total, "sli.total", &mut errors);
                let (good, bad) = if self.counts_bad {
                    (None, Some(query))
                } else {
                    (Some(query), None)
                };
                Some(Sli::Ratio { good, bad, total })
            }
            "latency" => {
                let histogram = required(&self.histogram, "sli.histogram", &mut errors);
                let threshold = required(&self.threshold, "sli.threshold", &mut errors);
                if !threshold.is_empty() && !threshold.parse::<f64>().is_ok_and(|t| t > 0.0) {
                    errors.push(("sli.threshold", text::E_THRESHOLD.to_owned()));
                }
                Some(Sli::Latency {
                    histogram,
                    threshold,
                })
            }
            "pushed" => Some(Sli::Pushed),
            _ => {
                errors.push(("sli", text::E_KIND.to_owned()));
                None
            }
        };
        let input = match (objective, sli) {
            (Some(objective), Some(sli)) if errors.is_empty() => SloInput {
                id: id.to_owned(),
                name: self.name.trim().to_owned(),
                description: Some(self.description.trim().to_owned()).filter(|d| !d.is_empty()),
                service: self.service.trim().to_owned(),
                objective,
                window: self.window.trim().to_owned(),
                sli,
            },
            _ => return Err(errors),
        };
        // Then the server's own rules, as it will apply them (the first problem).
        from_input(&input).map_err(|e| vec![(e.field, e.message)])?;
        Ok(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratio() -> Values {
        Values {
            id: "checkout-availability".into(),
            name: "Checkout availability".into(),
            service: "checkout".into(),
            query: "sum(rate(http_requests_total{code!~\"5..\"}[{{window}}]))".into(),
            total: "sum(rate(http_requests_total[{{window}}]))".into(),
            ..Values::new()
        }
    }

    #[test]
    fn a_complete_form_becomes_the_body() {
        let input = ratio().check().unwrap();
        assert_eq!(input.objective, 0.999);
        assert_eq!(input.window, "30d");
        assert_eq!(input.description, None);
        assert!(matches!(
            input.sli,
            Sli::Ratio {
                good: Some(_),
                bad: None,
                ..
            }
        ));
        let bad = Values {
            counts_bad: true,
            ..ratio()
        };
        assert!(matches!(
            bad.check().unwrap().sli,
            Sli::Ratio {
                good: None,
                bad: Some(_),
                ..
            }
        ));
        let pushed = Values {
            kind: "pushed".into(),
            objective: "99.95".into(),
            window: "month".into(),
            ..ratio()
        };
        let input = pushed.check().unwrap();
        assert_eq!(input.sli, Sli::Pushed);
        assert_eq!(input.objective, 0.9995);
    }

    #[test]
    fn each_problem_is_named_at_its_field() {
        let v = Values {
            id: "Checkout!".into(),
            name: " ".into(),
            service: String::new(),
            objective: "100".into(),
            window: "30x".into(),
            total: String::new(),
            ..ratio()
        };
        let fields: Vec<&str> = v.check().unwrap_err().into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            ["id", "name", "service", "objective", "window", "sli.total"]
        );
        let latency = Values {
            kind: "latency".into(),
            histogram: "h_bucket".into(),
            threshold: "fast".into(),
            ..ratio()
        };
        let errors = latency.check().unwrap_err();
        assert_eq!(errors[0].0, "sli.threshold");
    }

    #[test]
    fn an_slo_fills_the_form_as_it_was_made() {
        let v = Values::of(&nagare_core::api::SloStatus {
            objective: 0.9995,
            ..serde_json::from_value(serde_json::json!({
                "id": "a", "name": "A", "description": null, "service": "s", "teams": [],
                "objective": 0.999,
                "window": {"kind": "rolling", "label": "28d", "start": "2024-01-01T00:00:00Z",
                           "end": "2024-01-29T00:00:00Z", "span_secs": 2419200, "timezone": "UTC"},
                "sli": {"kind": "latency", "histogram": "h_bucket", "threshold": "0.3"},
                "origin": "ui", "editable": true, "step_secs": 60, "good": 0.0, "total": 0.0,
                "sli_value": null, "budget": null, "burn_rates": [], "alert": "ok", "alerts": [],
                "exhaustion": {"burn_1d": null, "burn_7d": null, "at_1d_burn_secs": null, "at_7d_burn_secs": null},
                "at_risk": false,
                "data": {"source": "prometheus", "from": null, "until": null, "last_error": null}
            }))
            .unwrap()
        });
        assert_eq!(v.objective, "99.95");
        assert_eq!(v.window, "28d");
        assert_eq!((v.kind.as_str(), v.threshold.as_str()), ("latency", "0.3"));
        assert_eq!(v.check().unwrap().objective, 0.9995);
    }
}
