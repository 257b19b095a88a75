//! OpenSLO v1 (`apiVersion: openslo/v1`, `kind: SLO`).
//!
//! Supported: `metadata.name` (id), `metadata.displayName` (name, else the id),
//! `spec.description`, `spec.service`, `spec.budgetingMethod: Occurrences`,
//! `spec.timeWindow[0]` rolling (`28d`, `4w`, `1h`…) or calendar (`1M`, `1Q`/`3M`; a window is
//! calendar when `isRolling: false`, or `isRolling` is absent and `calendar` present; its
//! `startTime`/`timeZone` are not read: periods follow the configured zone),
//! `spec.objectives[0].target` (0–1) or `targetPercent` (0–100), and an inline
//! `spec.indicator.spec.ratioMetric` with `good` or `bad`, and `total`, each a
//! `metricSource` of `type: Prometheus` (or no type) with `spec.query` or `spec.promql`.
//!
//! Not supported (each a Problem): other budgeting methods, `thresholdMetric`, `raw` ratios,
//! `indicatorRef` (an SLI defined in another document), non-Prometheus sources. Documents of
//! other kinds (SLI, Service, AlertPolicy…) are skipped silently. Objectives after the first
//! are ignored.

use super::defs::{
    bad, calendar, description, join, number, placeholders, req, req_text, rolling_ms, text, Bad,
    Found,
};
use nagare_core::slo::{Sli, SloDef, Window};
use serde_norway::Value;

/// The SLO of a document; `None` for another kind.
pub(super) fn read(file: &str, doc: &Value) -> Option<Result<Found, Bad>> {
    match doc.get("kind").and_then(Value::as_str) {
        Some("SLO") => Some(slo(file, doc)),
        Some(_) => None,
        None => Some(bad("kind", "missing; add kind: SLO")),
    }
}

fn slo(file: &str, doc: &Value) -> Result<Found, Bad> {
    let meta = req(doc, "", "metadata")?;
    let id = req_text(meta, "metadata", "name")?;
    let name = text(meta, "metadata", "displayName")?.unwrap_or_else(|| id.clone());
    let spec = req(doc, "", "spec")?;
    let service = req_text(spec, "spec", "service")?;
    let method = req_text(spec, "spec", "budgetingMethod")?;
    if method != "Occurrences" {
        return bad(
            "spec.budgetingMethod",
            format!(
                "{method} budgeting is not supported, only occurrences budgeting (good events \
                 over all events); set budgetingMethod: Occurrences"
            ),
        );
    }
    let window = window(spec)?;
    let objective = objective(spec)?;
    let sli = sli(spec)?;
    Ok(Found {
        def: SloDef {
            id,
            name,
            description: description(spec, "spec")?,
            service,
            objective,
            window,
            sli,
            origin: format!("openslo:{file}"),
        },
        file: file.to_string(),
        id_path: "metadata.name".into(),
    })
}

fn first<'a>(spec: &'a Value, key: &str) -> Result<(&'a Value, String), Bad> {
    let list = req(spec, "spec", key)?;
    match list.as_sequence().and_then(|s| s.first()) {
        Some(v) => Ok((v, format!("spec.{key}[0]"))),
        None => bad(
            &join("spec", key),
            format!("must be a list with one item; write {key}: [ {{ … }} ]"),
        ),
    }
}

fn window(spec: &Value) -> Result<Window, Bad> {
    let (tw, path) = first(spec, "timeWindow")?;
    let duration = req_text(tw, &path, "duration")?;
    let rolling = match tw.get("isRolling") {
        None | Some(Value::Null) => tw.get("calendar").is_none(),
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return bad(
                &join(&path, "isRolling"),
                "must be true or false; write isRolling: true for a rolling window",
            )
        }
    };
    let dpath = join(&path, "duration");
    Ok(if rolling {
        Window::Rolling {
            ms: rolling_ms(&duration, &dpath)?,
        }
    } else {
        Window::Calendar {
            period: calendar(&duration, &dpath)?,
        }
    })
}

fn objective(spec: &Value) -> Result<f64, Bad> {
    let (o, path) = first(spec, "objectives")?;
    let target = number(o, &path, "target")?;
    let percent = number(o, &path, "targetPercent")?;
    match (target, percent) {
        (Some(_), Some(_)) => bad(&path, "has both target and targetPercent; keep one of them"),
        (Some(t), None) if t > 0.0 && t < 1.0 => Ok(t),
        (Some(t), None) if (1.0..100.0).contains(&t) => bad(
            &join(&path, "target"),
            format!(
                "{t} is not between 0 and 1; write {}, or use targetPercent: {t}",
                t / 100.0
            ),
        ),
        (Some(t), None) => bad(
            &join(&path, "target"),
            format!("{t} is not between 0 and 1; write the share of good events, e.g. 0.999"),
        ),
        (None, Some(p)) if p > 0.0 && p < 100.0 => Ok(p / 100.0),
        (None, Some(p)) => bad(
            &join(&path, "targetPercent"),
            format!("{p} is not between 0 and 100; write e.g. targetPercent: 99.9"),
        ),
        (None, None) => bad(
            &path,
            "has no target; add target: 0.999 (or targetPercent: 99.9)",
        ),
    }
}

fn sli(spec: &Value) -> Result<Sli, Bad> {
    if spec.get("indicator").is_none() && spec.get("indicatorRef").is_some() {
        return bad(
            "spec.indicatorRef",
            "an SLI defined in another document is not supported yet; inline it under \
             spec.indicator",
        );
    }
    let ind = req(spec, "spec", "indicator")?;
    let ispec = req(ind, "spec.indicator", "spec")?;
    let ipath = "spec.indicator.spec";
    if ispec.get("thresholdMetric").is_some() {
        return bad(
            &join(ipath, "thresholdMetric"),
            "threshold SLIs are not supported; use a ratioMetric with good (or bad) and total \
             Prometheus queries",
        );
    }
    let ratio = req(ispec, ipath, "ratioMetric")?;
    let rpath = join(ipath, "ratioMetric");
    if ratio.get("raw").is_some() {
        return bad(
            &join(&rpath, "raw"),
            "precomputed ratios (raw) are not supported; give good (or bad) and total counter \
             queries",
        );
    }
    let good = query(ratio, &rpath, "good")?;
    let bad_q = query(ratio, &rpath, "bad")?;
    if good.is_some() == bad_q.is_some() {
        return bad(
            &rpath,
            "needs exactly one of good and bad; keep one, next to total",
        );
    }
    let Some(total) = query(ratio, &rpath, "total")? else {
        return bad(
            &join(&rpath, "total"),
            "missing; add total: with the query of all events",
        );
    };
    Ok(Sli::Ratio {
        good,
        bad: bad_q,
        total,
    })
}

/// `ratio[key].metricSource`'s PromQL query, if `key` is present.
fn query(ratio: &Value, path: &str, key: &str) -> Result<Option<String>, Bad> {
    let Some(m) = ratio.get(key).filter(|m| !m.is_null()) else {
        return Ok(None);
    };
    let path = join(path, key);
    let src = req(m, &path, "metricSource")?;
    let spath = join(&path, "metricSource");
    if let Some(t) = text(src, &spath, "type")? {
        if !t.eq_ignore_ascii_case("prometheus") {
            return bad(
                &join(&spath, "type"),
                format!("{t} metrics are not supported, only Prometheus; write type: Prometheus and a PromQL query"),
            );
        }
    }
    let s = req(src, &spath, "spec")?;
    let qpath = join(&spath, "spec");
    match (text(s, &qpath, "query")?, text(s, &qpath, "promql")?) {
        (Some(q), _) | (None, Some(q)) => Ok(Some(placeholders(&q))),
        (None, None) => bad(&qpath, "has no PromQL query; add query: <PromQL>"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::defs::load_text;
    use super::super::defs::rolling_ms;
    use super::super::defs::testing::{one, problem, DAY};
    use nagare_core::slo::{Period, Sli, Window};

    const OPENSLO: &str = r#"
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
  displayName: Checkout availability
spec:
  description: Checkout answers
  service: checkout
  indicator:
    metadata:
      name: checkout-errors
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: sum(increase(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
        total:
          metricSource:
            type: Prometheus
            spec:
              promql: sum(increase(http_requests_total{job="checkout"}[{{.window}}]))
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: Available
      TARGET
"#;

    fn openslo(target: &str) -> String {
        OPENSLO.replace("TARGET", target)
    }

    #[test]
    fn openslo_ratio_field_by_field() {
        let d = one("a.yaml", &openslo("target: 0.999"));
        assert_eq!(d.id, "checkout-availability");
        assert_eq!(d.name, "Checkout availability");
        assert_eq!(d.description.as_deref(), Some("Checkout answers"));
        assert_eq!(d.service, "checkout");
        assert!((d.objective - 0.999).abs() < 1e-12);
        assert_eq!(d.window, Window::Rolling { ms: 28 * DAY });
        assert_eq!(
            d.sli,
            Sli::Ratio {
                good: None,
                bad: Some(
                    r#"sum(increase(http_requests_total{job="checkout",code=~"5.."}[{{window}}]))"#
                        .into()
                ),
                total: r#"sum(increase(http_requests_total{job="checkout"}[{{window}}]))"#.into(),
            }
        );
        assert_eq!(d.origin, "openslo:a.yaml");
        let p = one("a.yaml", &openslo("targetPercent: 99.9"));
        assert!((p.objective - 0.999).abs() < 1e-12);
    }

    #[test]
    fn openslo_upstream_example_is_a_precise_problem() {
        // OpenSLO's occurrences example measures with a thresholdMetric of type Any.
        let text = include_str!("../../tests/fixtures/slo/openslo-occurences-slo.yaml");
        let (slos, problems) = load_text("occurences-slo.yaml", text);
        assert!(slos.is_empty());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].file, "occurences-slo.yaml");
        assert_eq!(problems[0].path, "spec.indicator.spec.thresholdMetric");
        assert!(problems[0].message.contains("ratioMetric"), "{problems:?}");
        // With a Prometheus ratio in its place, the rest of it reads.
        let fixed = text.replace(
            "      thresholdMetric:\n        metricSource:\n          type: Any # Any service with needed metrics.\n          spec: # Fields necessary to query service for the data.\n            query: Any # 'query' is just an example field.",
            "      ratioMetric:\n        good: {metricSource: {type: Prometheus, spec: {query: g}}}\n        total: {metricSource: {type: Prometheus, spec: {query: t}}}",
        );
        let d = one("occurences-slo.yaml", &fixed);
        assert_eq!(d.id, "search-slo");
        assert_eq!(d.name, "Searching time");
        assert_eq!(d.service, "web-shop");
        assert_eq!(
            d.description.as_deref(),
            Some(
                "Regardless of the number of paraller searches it never should be more than 500ms."
            )
        );
        assert!((d.objective - 0.99).abs() < 1e-12);
        assert_eq!(d.window, Window::Rolling { ms: 14 * DAY });
        let ratio = Sli::Ratio {
            good: Some("g".into()),
            bad: None,
            total: "t".into(),
        };
        assert_eq!(d.sli, ratio);
    }

    #[test]
    fn openslo_problems_say_how_to_fix() {
        let p = problem(&openslo("target: 99.9"));
        assert_eq!(p.path, "spec.objectives[0].target");
        assert!(p.message.contains("targetPercent: 99.9"), "{}", p.message);
        assert!(p.message.contains("0.999"), "{}", p.message);
        let t = openslo("target: 0.9").replace("Occurrences", "Timeslices");
        let p = problem(&t);
        assert_eq!(p.path, "spec.budgetingMethod");
        assert!(p.message.contains("Occurrences"));
        let t = openslo("target: 0.9").replace("type: Prometheus", "type: Datadog");
        assert_eq!(
            problem(&t).path,
            "spec.indicator.spec.ratioMetric.bad.metricSource.type"
        );
        let t = openslo("target: 0.9").replace("28d", "1h30m");
        let p = problem(&t);
        assert_eq!(p.path, "spec.timeWindow[0].duration");
        assert!(p.message.contains("1h30m"));
        // Other kinds are skipped silently.
        let (slos, problems) = load_text(
            "s.yaml",
            "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: x}\n",
        );
        assert!(slos.is_empty() && problems.is_empty());
    }

    #[test]
    fn calendar_and_rolling_windows() {
        let cal = |d: &str| {
            openslo("target: 0.99").replace(
                "    - duration: 28d\n      isRolling: true",
                &format!(
                    "    - duration: {d}\n      calendar:\n        startTime: 2022-01-01 00:00:00\n        timeZone: UTC"
                ),
            )
        };
        let month = Window::Calendar {
            period: Period::Month,
        };
        let quarter = Window::Calendar {
            period: Period::Quarter,
        };
        assert_eq!(one("c.yaml", &cal("1M")).window, month);
        assert_eq!(one("c.yaml", &cal("1Q")).window, quarter);
        assert_eq!(one("c.yaml", &cal("3M")).window, quarter);
        assert_eq!(problem(&cal("1w")).path, "spec.timeWindow[0].duration");
        for (d, ms) in [("30d", 30 * DAY), ("4w", 28 * DAY), ("1h", 3_600_000)] {
            assert_eq!(rolling_ms(d, "").unwrap(), ms);
        }
        assert!(rolling_ms("1M", "").is_err());
        assert!(rolling_ms("0d", "").is_err());
        assert!(rolling_ms("d", "").is_err());
    }
}
