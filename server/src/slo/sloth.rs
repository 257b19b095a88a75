//! Sloth (`version: prometheus/v1`).
//!
//! Supported: top-level `service`, `slos[]` with `name` (the id is `{service}-{name}`, the
//! name is `name`), `objective` (a percentage, 99.9 → 0.999), `description`, and
//! `sli.events.error_query` (bad) / `total_query` (total) as a ratio, Sloth's `{{.window}}`
//! placeholder becoming `{{window}}`. The window is Sloth's default, 30 days rolling, unless a
//! top-level `slo_period` or `window` (a Nagare extension, `28d`, `4w`…) says otherwise.
//!
//! Not supported (each a Problem on that SLO, the others still load): `sli.raw` error-ratio
//! queries and `sli.plugin`. Labels and alerting are not read.

use super::defs::{
    bad, description, join, number, percent, placeholders, req, req_text, rolling_ms, text, Bad,
    Found,
};
use nagare_core::slo::{Sli, SloDef, Window};
use serde_norway::Value;

const DEFAULT_MS: i64 = 30 * 86_400_000;

/// The SLOs of a document, each read or a problem.
pub(super) fn read(file: &str, doc: &Value) -> Vec<Result<Found, Bad>> {
    let head = (|| {
        let service = req_text(doc, "", "service")?;
        let mut ms = DEFAULT_MS;
        for key in ["slo_period", "window"] {
            if let Some(d) = text(doc, "", key)? {
                ms = rolling_ms(&d, key)?;
            }
        }
        let slos = match req(doc, "", "slos")?.as_sequence() {
            Some(s) if !s.is_empty() => s,
            _ => return bad("slos", "must be a non-empty list; add at least one SLO"),
        };
        Ok((service, ms, slos))
    })();
    match head {
        Ok((service, ms, slos)) => slos
            .iter()
            .enumerate()
            .map(|(i, s)| slo(file, &service, ms, s, &format!("slos[{i}]")))
            .collect(),
        Err(e) => vec![Err(e)],
    }
}

fn slo(file: &str, service: &str, ms: i64, s: &Value, path: &str) -> Result<Found, Bad> {
    let name = req_text(s, path, "name")?;
    let opath = join(path, "objective");
    let Some(objective) = number(s, path, "objective")? else {
        return bad(&opath, "missing; add objective: 99.9 (a percentage)");
    };
    let objective = percent(objective, &opath)?;
    let sli = req(s, path, "sli")?;
    let spath = join(path, "sli");
    if sli.get("raw").is_some() {
        return bad(
            &join(&spath, "raw"),
            "raw error-ratio SLIs are not supported yet; write sli.events with error_query and \
             total_query",
        );
    }
    if sli.get("plugin").is_some() {
        return bad(
            &join(&spath, "plugin"),
            "SLI plugins are not supported; write sli.events with error_query and total_query",
        );
    }
    let events = req(sli, &spath, "events")?;
    let epath = join(&spath, "events");
    let error = req_text(events, &epath, "error_query")?;
    let total = req_text(events, &epath, "total_query")?;
    Ok(Found {
        def: SloDef {
            id: format!("{service}-{name}"),
            name,
            description: description(s, path)?,
            service: service.to_string(),
            objective,
            window: Window::Rolling { ms },
            sli: Sli::Ratio {
                good: None,
                bad: Some(placeholders(&error)),
                total: placeholders(&total),
            },
            origin: format!("sloth:{file}"),
        },
        file: file.to_string(),
        id_path: join(path, "name"),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::defs::load_text;
    use super::super::defs::testing::{one, problem, DAY};
    use nagare_core::slo::{Sli, Window};

    #[test]
    fn sloth_upstream_example_field_by_field() {
        let text = include_str!("../../tests/fixtures/slo/sloth-getting-started.yml");
        let d = one("getting-started.yml", text);
        assert_eq!(d.id, "myservice-requests-availability");
        assert_eq!(d.name, "requests-availability");
        assert_eq!(
            d.description.as_deref(),
            Some("Common SLO based on availability for HTTP request responses.")
        );
        assert_eq!(d.service, "myservice");
        assert!((d.objective - 0.999).abs() < 1e-12);
        assert_eq!(d.window, Window::Rolling { ms: 30 * DAY });
        assert_eq!(
            d.sli,
            Sli::Ratio {
                good: None,
                bad: Some(r#"sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{window}}]))"#.into()),
                total: r#"sum(rate(http_request_duration_seconds_count{job="myservice"}[{{window}}]))"#.into(),
            }
        );
        assert_eq!(d.origin, "sloth:getting-started.yml");
    }

    #[test]
    fn sloth_raw_is_a_problem_and_the_others_load() {
        let text = r#"
version: prometheus/v1
service: wifi
window: 7d
slos:
  - name: satisfaction
    objective: 95
    sli:
      raw:
        error_ratio_query: 1 - avg(x)
  - name: up
    objective: 99.5
    sli:
      events:
        error_query: a
        total_query: b
"#;
        let (slos, problems) = load_text("wifi.yml", text);
        assert_eq!(slos.len(), 1);
        assert_eq!(slos[0].id, "wifi-up");
        assert_eq!(slos[0].description, None);
        assert!((slos[0].objective - 0.995).abs() < 1e-12);
        assert_eq!(slos[0].window, Window::Rolling { ms: 7 * DAY });
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "slos[0].sli.raw");
        assert!(problems[0].message.contains("not supported yet"));
        let p = problem("version: prometheus/v1\nservice: s\nslos:\n  - name: a\n    sli: {events: {error_query: e, total_query: t}}\n");
        assert_eq!(p.path, "slos[0].objective");
        assert!(p.message.contains("objective: 99.9"), "{}", p.message);
    }
}
