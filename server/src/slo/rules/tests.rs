//! The rules' exact text: conditions, windows, exhaustion labels.
#![allow(clippy::unwrap_used)]
use super::*;
use nagare_core::slo::default_rules;

fn slo(sli: Sli, window: Window) -> SloDef {
    SloDef {
        id: "checkout-availability".into(),
        name: "Checkout availability".into(),
        description: None,
        service: "checkout".into(),
        objective: 0.999,
        window,
        sli,
        origin: "test".into(),
    }
}

fn bad_ratio() -> Sli {
    Sli::Ratio {
        good: None,
        bad: Some(r#"sum(rate(http_requests_total{code=~"5.."}[{{window}}]))"#.into()),
        total: "sum(rate(http_requests_total[{{window}}]))".into(),
    }
}

const FILTER: &str =
    r#"{sloth_id="checkout-availability", sloth_service="checkout", sloth_slo="availability"}"#;

#[test]
fn a_condition_is_written_as_sloth_writes_it() {
    let def = slo(bad_ratio(), Window::Rolling { ms: 30 * DAY });
    let s = check(&def).unwrap();
    assert_eq!(s.filter, FILTER);
    let page = default_rules()[0];
    assert_eq!(
        condition(&s, &page),
        format!(
            "(\n    max(slo:sli_error:ratio_rate5m{FILTER} > (14.4 * 0.001)) without (sloth_window)\n    and\n    max(slo:sli_error:ratio_rate1h{FILTER} > (14.4 * 0.001)) without (sloth_window)\n)"
        )
    );
    let alerts = alerts(&s, &default_rules());
    assert_eq!(alerts.len(), 4);
    assert_eq!(
        alerts[1].expr,
        format!(
            "(\n    max(slo:sli_error:ratio_rate30m{FILTER} > (6 * 0.001)) without (sloth_window)\n    and\n    max(slo:sli_error:ratio_rate6h{FILTER} > (6 * 0.001)) without (sloth_window)\n)\n"
        )
    );
    assert_eq!(
        alerts[0].alert.as_deref(),
        Some("CheckoutAvailabilityErrorBudgetBurn")
    );
    assert_eq!(
        alerts[0].annotations["summary"],
        "SLO \"Checkout availability\" of service checkout burns its error budget too fast: \
         more than 14.4× over 1h and 5m. At that rate the whole budget lasts 2d."
    );
}

#[test]
fn exhaustion_labels() {
    let labels = |window: Window| {
        let def = slo(bad_ratio(), window);
        alerts(&check(&def).unwrap(), &default_rules())
            .iter()
            .map(|a| {
                let l = &a.labels;
                format!(
                    "{}/{}/{}",
                    l["severity"], l["sloth_severity"], l["exhaustion"]
                )
            })
            .collect::<Vec<_>>()
    };
    // 30 days ÷ 14.4 = 2.08 days; ÷ 6 = 5; ÷ 3 = 10; ÷ 1 = 30.
    let thirty = [
        "page/page/2d",
        "page/page/5d",
        "ticket/ticket/10d",
        "ticket/ticket/30d",
    ];
    assert_eq!(labels(Window::Rolling { ms: 30 * DAY }), thirty);
    let month = Window::Calendar {
        period: Period::Month,
    };
    assert_eq!(labels(month), thirty);
    // 28 days ÷ 14.4 = 1.94 → 2d; ÷ 6 = 4.67 → 5d; ÷ 3 = 9.33 → 9d.
    assert_eq!(
        labels(Window::Rolling { ms: 28 * DAY }),
        [
            "page/page/2d",
            "page/page/5d",
            "ticket/ticket/9d",
            "ticket/ticket/28d"
        ]
    );
    // A quarter is 90 days: 6.25d → 6d, 15d, 30d, 90d.
    let quarter = Window::Calendar {
        period: Period::Quarter,
    };
    assert_eq!(
        labels(quarter),
        [
            "page/page/6d",
            "page/page/15d",
            "ticket/ticket/30d",
            "ticket/ticket/90d"
        ]
    );
    assert_eq!(exhaustion(DAY, 14.4), "2h");
    assert_eq!(exhaustion(HOUR, 120.0), "30s");
    // Two rules of one severity that exhaust the budget alike are one alert, ORed.
    let mut rules = default_rules();
    rules[1].factor = 14.4;
    let def = slo(bad_ratio(), Window::Rolling { ms: 30 * DAY });
    let a = alerts(&check(&def).unwrap(), &rules);
    assert_eq!(a.len(), 3);
    assert_eq!(a[0].expr.matches("\nor\n").count(), 1);
}

#[test]
fn error_ratios_of_each_sli() {
    let def = slo(bad_ratio(), Window::Rolling { ms: 30 * DAY });
    assert_eq!(
        error_ratio(&def, "1h").unwrap(),
        "(sum(rate(http_requests_total{code=~\"5..\"}[1h])))\n/\n(sum(rate(http_requests_total[1h])))\n"
    );
    let good = slo(
        Sli::Ratio {
            good: Some("sum(rate(ok[{{window}}])) # good ones\n".into()),
            bad: None,
            total: "sum(rate(all[{{window}}]))".into(),
        },
        Window::Rolling { ms: 30 * DAY },
    );
    assert_eq!(
        error_ratio(&good, "5m").unwrap(),
        "1 - (\n(sum(rate(ok[5m])) # good ones\n)\n/\n(sum(rate(all[5m])))\n)\n"
    );
    let latency = slo(
        Sli::Latency {
            histogram: r#"http_request_duration_seconds_bucket{job="api", code!~"5.."}"#.into(),
            threshold: "0.3".into(),
        },
        Window::Rolling { ms: 30 * DAY },
    );
    assert_eq!(
        error_ratio(&latency, "30m").unwrap(),
        "1 - (sum(rate(http_request_duration_seconds_bucket{job=\"api\", code!~\"5..\",le=\"0.3\"}[30m])) / sum(rate(http_request_duration_seconds_count{job=\"api\", code!~\"5..\"}[30m])))\n"
    );
    assert_eq!(
        latency_selectors("h_bucket", "1").unwrap(),
        ("h_bucket{le=\"1\"}".to_string(), "h_count".to_string())
    );
    assert_eq!(
        latency_selectors("h_bucket{a=\"b\",}", "1").unwrap(),
        (
            "h_bucket{a=\"b\",le=\"1\"}".to_string(),
            "h_count{a=\"b\"}".to_string()
        )
    );
    assert!(latency_selectors("h_sum{a=\"b\"}", "1").is_err());
    assert!(latency_selectors("{__name__=\"h_bucket\"}", "1").is_err());
    let pushed = slo(Sli::Pushed, Window::Rolling { ms: 30 * DAY });
    let e = prometheus_rules(&pushed, &default_rules()).unwrap_err();
    assert!(e.contains("pushed"), "{e}");
}

#[test]
fn windows_and_numbers_as_prometheus_writes_them() {
    assert_eq!(duration(5 * MINUTE), "5m");
    assert_eq!(duration(DAY), "1d");
    assert_eq!(duration(28 * DAY), "4w");
    assert_eq!(duration(30 * DAY), "30d");
    assert_eq!(duration(90 * MINUTE), "1h30m");
    assert_eq!(duration(365 * DAY), "1y");
    assert_eq!(number(1.0 - 0.999), "0.001");
    assert_eq!(number(0.999 * 100.0), "99.9");
    assert_eq!(number(6.0), "6");
    assert_eq!(promql_string("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
    assert_eq!(
        alert_name("checkout-availability"),
        "CheckoutAvailabilityErrorBudgetBurn"
    );
    assert_eq!(alert_name("5xx.rate"), "Slo5xxRateErrorBudgetBurn");
    assert_eq!(template_text("a {{ b }}"), "a {{\"{{\"}} b }}");
}

#[test]
fn recordings_cover_every_window_and_the_period() {
    let def = slo(bad_ratio(), Window::Rolling { ms: 28 * DAY });
    let s = check(&def).unwrap();
    let recs = sli_recordings(&s, &default_rules()).unwrap();
    let names: Vec<_> = recs.iter().filter_map(|r| r.record.as_deref()).collect();
    assert_eq!(
        names,
        ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "4w"]
            .map(|w| format!("slo:sli_error:ratio_rate{w}"))
    );
    assert_eq!(recs[7].labels["sloth_window"], "4w");
    assert!(recs[7].expr.starts_with(&format!(
        "sum_over_time(slo:sli_error:ratio_rate5m{FILTER}[4w])\n/ ignoring (sloth_window)\n"
    )));
    // One page rule: 5m, its 1h, and the period.
    let one = [default_rules()[0]];
    let recs = sli_recordings(&s, &one).unwrap();
    assert_eq!(recs.len(), 3);
    // No rules: no alert group, as Sloth without alerts.
    let yaml = prometheus_rules(&def, &[]).unwrap();
    assert!(!yaml.contains("sloth-slo-alerts-"));
    let bad_rule = AlertRule {
        severity: Severity::Page,
        factor: 0.0,
        long: HOUR,
        short: 5 * MINUTE,
    };
    assert!(prometheus_rules(&def, &[bad_rule]).is_err());
}
