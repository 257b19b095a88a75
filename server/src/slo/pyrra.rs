//! Pyrra (`apiVersion: pyrra.dev/v1alpha1`, `kind: ServiceLevelObjective`).
//!
//! Supported: `metadata.name` (id and name), the service from the label `pyrra.dev/service`
//! or `service`, else the name; `spec.target` (a percentage, `"99.5"` → 0.995), `spec.window`
//! (rolling, `2w`, `28d`…), `spec.description` (empty is none), and two indicators:
//! - `ratio.{errors,total}.metric`: a ratio whose bad and total queries are Pyrra's counter
//!   selectors wrapped as `sum(increase(<selector>[{{window}}]))`;
//! - `latency.{success,total}.metric`: a [`Sli::Latency`], the histogram being the success
//!   metric's selector without its `le` label and the threshold that `le` value (the total
//!   metric is the histogram's `_count`, not read).
//!
//! Not supported (each a Problem): `bool_gauge` and `latencyNative` indicators. Not read:
//! `metadata.namespace`, `grouping`, `alerting`.

use super::defs::{bad, description, join, number, percent, req, req_text, rolling_ms, Bad, Found};
use nagare_core::slo::{Sli, SloDef, Window};
use serde_norway::Value;

/// The SLO of a document; `None` for another kind.
pub(super) fn read(file: &str, doc: &Value) -> Option<Result<Found, Bad>> {
    match doc.get("kind").and_then(Value::as_str) {
        Some("ServiceLevelObjective") => Some(slo(file, doc)),
        Some(_) => None,
        None => Some(bad("kind", "missing; add kind: ServiceLevelObjective")),
    }
}

fn slo(file: &str, doc: &Value) -> Result<Found, Bad> {
    let meta = req(doc, "", "metadata")?;
    let id = req_text(meta, "metadata", "name")?;
    let label = |k: &str| {
        meta.get("labels")
            .and_then(|l| l.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let service = label("pyrra.dev/service")
        .or_else(|| label("service"))
        .unwrap_or_else(|| id.clone());
    let spec = req(doc, "", "spec")?;
    let Some(target) = number(spec, "spec", "target")? else {
        return bad(
            "spec.target",
            "missing; add target: \"99.9\" (a percentage)",
        );
    };
    let objective = percent(target, "spec.target")?;
    let window = Window::Rolling {
        ms: rolling_ms(&req_text(spec, "spec", "window")?, "spec.window")?,
    };
    let sli = indicator(req(spec, "spec", "indicator")?)?;
    Ok(Found {
        def: SloDef {
            name: id.clone(),
            id,
            description: description(spec, "spec")?,
            service,
            objective,
            window,
            sli,
            origin: format!("pyrra:{file}"),
        },
        file: file.to_string(),
        id_path: "metadata.name".into(),
    })
}

fn indicator(ind: &Value) -> Result<Sli, Bad> {
    let path = "spec.indicator";
    let metric = |kind: &str, key: &str| -> Result<String, Bad> {
        let p = format!("{path}.{kind}");
        let m = req(req(ind, path, kind)?, &p, key)?;
        req_text(m, &join(&p, key), "metric")
    };
    if ind.get("ratio").is_some() {
        let errors = metric("ratio", "errors")?;
        let total = metric("ratio", "total")?;
        return Ok(Sli::Ratio {
            good: None,
            bad: Some(count(&errors)),
            total: count(&total),
        });
    }
    if ind.get("latency").is_some() {
        let success = metric("latency", "success")?;
        metric("latency", "total")?;
        let (histogram, threshold) =
            split_le(&success).map_err(|m| (format!("{path}.latency.success.metric"), m))?;
        return Ok(Sli::Latency {
            histogram,
            threshold,
        });
    }
    bad(
        path,
        "has no ratio or latency indicator (bool_gauge and latencyNative are not supported); \
         write a ratio (errors, total) or latency (success, total) indicator",
    )
}

/// A counter selector as the count of its events over the window.
fn count(selector: &str) -> String {
    format!("sum(increase({}[{{{{window}}}}]))", selector.trim())
}

/// `name{a="x",le="0.3"}` → (`name{a="x"}`, `0.3`).
fn split_le(selector: &str) -> Result<(String, String), String> {
    let s = selector.trim();
    let fix = "give the success metric the bucket of the latency threshold, e.g. \
               http_request_duration_seconds_bucket{le=\"0.3\"}";
    let (Some(open), true) = (s.find('{'), s.ends_with('}')) else {
        return Err(format!("{s:?} has no le label; {fix}"));
    };
    let name = &s[..open];
    let inner = &s[open + 1..s.len() - 1];
    let mut kept = Vec::new();
    let mut le = None;
    for m in matchers(inner) {
        let m = m.trim();
        if m.is_empty() {
            continue;
        }
        let label = m.split(['=', '!', '~']).next().unwrap_or("").trim();
        let rest = m[label.len()..].trim_start();
        if label == "le" {
            let Some(v) = rest.strip_prefix('=').filter(|v| !v.starts_with('~')) else {
                return Err(format!("{s:?} matches le with {rest:?}; {fix}"));
            };
            le = Some(v.trim().trim_matches(|c| c == '"' || c == '\'').to_string());
        } else {
            kept.push(m);
        }
    }
    let Some(le) = le else {
        return Err(format!("{s:?} has no le label; {fix}"));
    };
    let histogram = if kept.is_empty() {
        name.to_string()
    } else {
        format!("{name}{{{}}}", kept.join(","))
    };
    Ok((histogram, le))
}

/// A selector's matchers, split on the commas outside quotes.
fn matchers(inner: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quote, mut escaped) = (0, None, false);
    for (i, c) in inner.char_indices() {
        match (quote, c) {
            (Some(_), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(q), c) if c == q && !escaped => quote = None,
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, ',') => {
                out.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        escaped = false;
    }
    out.push(&inner[start..]);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::defs::testing::{one, problem, DAY};
    use super::*;

    #[test]
    fn pyrra_upstream_examples_field_by_field() {
        let text =
            include_str!("../../tests/fixtures/slo/pyrra-apiserver-read-resource-latency.yaml");
        let d = one("latency.yaml", text);
        assert_eq!(d.id, "apiserver-read-resource-latency");
        assert_eq!(d.name, "apiserver-read-resource-latency");
        assert_eq!(d.description, None);
        assert_eq!(d.service, "apiserver-read-resource-latency");
        assert!((d.objective - 0.99).abs() < 1e-12);
        assert_eq!(d.window, Window::Rolling { ms: 14 * DAY });
        assert_eq!(
            d.sli,
            Sli::Latency {
                histogram: r#"apiserver_request_sli_duration_seconds_bucket{verb=~"LIST|GET"}"#
                    .into(),
                threshold: "0.1".into(),
            }
        );
        assert_eq!(d.origin, "pyrra:latency.yaml");
        let text = include_str!("../../tests/fixtures/slo/pyrra-coredns-response-errors.yaml");
        let d = one("errors.yaml", text);
        assert_eq!(d.id, "coredns-response-errors");
        assert_eq!(d.service, "coredns-response-errors");
        assert_eq!(d.description, None);
        assert!((d.objective - 0.9999).abs() < 1e-12);
        assert_eq!(d.window, Window::Rolling { ms: 14 * DAY });
        assert_eq!(
            d.sli,
            Sli::Ratio {
                good: None,
                bad: Some(
                    r#"sum(increase(coredns_dns_responses_total{job="kube-dns",rcode="SERVFAIL"}[{{window}}]))"#
                        .into()
                ),
                total: r#"sum(increase(coredns_dns_responses_total{job="kube-dns"}[{{window}}]))"#
                    .into(),
            }
        );
        assert_eq!(d.origin, "pyrra:errors.yaml");
        let with_service = text.replace("role: alert-rules", "pyrra.dev/service: dns");
        assert_eq!(one("e.yaml", &with_service).service, "dns");
        let p = problem(&text.replace("\"99.99\"", "\"100\""));
        assert_eq!(p.path, "spec.target");
        let p = problem(&text.replace("window: 2w", "window: 1h30m"));
        assert_eq!(p.path, "spec.window");
        assert!(p.message.contains("1h30m"), "{}", p.message);
    }

    #[test]
    fn le_is_taken_out_of_the_selector() {
        assert_eq!(
            split_le(r#"h_bucket{job="a,b", le="0.3", code!~"5.."}"#).unwrap(),
            (
                r#"h_bucket{job="a,b",code!~"5.."}"#.to_string(),
                "0.3".to_string()
            )
        );
        assert_eq!(
            split_le(r#"h_bucket{le="1"}"#).unwrap(),
            ("h_bucket".to_string(), "1".to_string())
        );
        assert!(split_le("h_bucket").is_err());
        assert!(split_le(r#"h_bucket{job="x"}"#).is_err());
        assert_eq!(count("m{a=\"b\"}"), "sum(increase(m{a=\"b\"}[{{window}}]))");
    }
}
