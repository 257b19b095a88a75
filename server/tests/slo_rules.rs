#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should panic
//! The SLO exports (`nagare_server::slo::{rules, export}`): Prometheus rule files checked and
//! unit-tested by the real `promtool` (Prometheus 2.42 here; CI installs it, and these tests
//! fail rather than skip without it), and OpenSLO documents read back by Nagare's own loader.

use nagare_core::slo::budget::{DAY, HOUR, MINUTE};
use nagare_core::slo::{default_rules, AlertRule, Period, Severity, Sli, SloDef, Window};
use nagare_server::slo::defs::load_text;
use nagare_server::slo::export::openslo_yaml;
use nagare_server::slo::rules::prometheus_rules;
use std::path::Path;
use std::process::Command;

/// Runs `promtool` in `dir`: whether it succeeded, and everything it printed.
fn promtool(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = match Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!(
            "cannot run promtool ({e}): these tests check the rules with Prometheus's own \
             promtool; install it (Debian/Ubuntu: apt-get install prometheus) so it is on PATH"
        ),
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn slo(sli: Sli, window: Window) -> SloDef {
    SloDef {
        id: "checkout-availability".into(),
        name: "Checkout availability".into(),
        description: Some("Checkout answers without a server error".into()),
        service: "checkout".into(),
        objective: 0.999,
        window,
        sli,
        origin: "ui".into(),
    }
}

fn bad_ratio() -> Sli {
    Sli::Ratio {
        good: None,
        bad: Some(r#"sum(rate(http_requests_total{code=~"5.."}[{{window}}]))"#.into()),
        total: "sum(rate(http_requests_total[{{window}}]))".into(),
    }
}

fn good_ratio() -> Sli {
    Sli::Ratio {
        good: Some(r#"sum(increase(http_requests_total{code!~"5.."}[{{window}}]))"#.into()),
        bad: None,
        total: "sum(increase(http_requests_total[{{window}}]))".into(),
    }
}

fn latency() -> Sli {
    Sli::Latency {
        histogram: r#"http_request_duration_seconds_bucket{job="api", handler=~"/checkout.*"}"#
            .into(),
        threshold: "0.3".into(),
    }
}

const THIRTY_DAYS: Window = Window::Rolling { ms: 30 * DAY };
const MONTH: Window = Window::Calendar {
    period: Period::Month,
};
const QUARTER: Window = Window::Calendar {
    period: Period::Quarter,
};

#[test]
fn promtool_accepts_the_rules_of_every_kind_of_slo() {
    let dir = tempfile::tempdir().unwrap();
    let one_page = [AlertRule {
        severity: Severity::Page,
        factor: 14.4,
        long: HOUR,
        short: 5 * MINUTE,
    }];
    let mut awkward = slo(
        Sli::Ratio {
            good: None,
            // Quotes, braces, a comment and line breaks, as a YAML block would hold them.
            bad: Some(
                "sum(rate(http_requests_total{code=~\"5..\", path!=\"/{id}\"}[{{window}}]))  \
                 # server errors\n"
                    .into(),
            ),
            total: "sum(\n  rate(http_requests_total{path!=\"/{id}\"}[{{window}}])\n)\n".into(),
        },
        Window::Rolling { ms: 28 * DAY },
    );
    awkward.name = "Checkout {{ .Broken }} \"quoted\"".into();
    awkward.service = "shop's \"front\" {{end}}".into();
    awkward.id = "shop-checkout.v2".into();
    let cases: Vec<(&str, SloDef, Vec<AlertRule>)> = vec![
        ("ratio-bad", slo(bad_ratio(), THIRTY_DAYS), default_rules()),
        (
            "ratio-good",
            slo(good_ratio(), THIRTY_DAYS),
            default_rules(),
        ),
        ("latency", slo(latency(), THIRTY_DAYS), default_rules()),
        ("calendar-month", slo(bad_ratio(), MONTH), default_rules()),
        ("calendar-quarter", slo(latency(), QUARTER), default_rules()),
        (
            "one-page-rule",
            slo(good_ratio(), THIRTY_DAYS),
            one_page.to_vec(),
        ),
        ("no-rules", slo(bad_ratio(), THIRTY_DAYS), Vec::new()),
        ("awkward-text", awkward, default_rules()),
    ];
    for (name, def, rules) in cases {
        let yaml = prometheus_rules(&def, &rules).unwrap();
        let file = format!("{name}.yaml");
        std::fs::write(dir.path().join(&file), &yaml).unwrap();
        let (ok, out) = promtool(dir.path(), &["check", "rules", "--lint-fatal", &file]);
        assert!(
            ok,
            "promtool check rules failed for {name}:\n{out}\n--- {file}:\n{yaml}"
        );
        assert!(out.contains("SUCCESS"), "{name}: {out}");
    }
}

#[test]
fn the_rules_are_sloths_for_the_checkout_slo() {
    // The whole file, for review against Sloth's examples/_gen/getting-started.yml.
    let yaml = prometheus_rules(&slo(bad_ratio(), THIRTY_DAYS), &default_rules()).unwrap();
    let yaml = yaml.replace(
        &format!("nagare-{}", env!("CARGO_PKG_VERSION")),
        "nagare-VERSION",
    );
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slo_rules/checkout.rules.yaml");
    if std::env::var_os("NAGARE_BLESS").is_some() {
        std::fs::write(&golden, &yaml).unwrap();
    }
    let want = std::fs::read_to_string(&golden).unwrap();
    assert_eq!(
        yaml, want,
        "the rules changed; if that is meant, run with NAGARE_BLESS=1 and review the diff"
    );
}

/// The arithmetic is in the test file's comments (server/tests/slo_rules/burn.test.yaml).
#[test]
fn a_one_hour_burst_pages_and_does_not_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = prometheus_rules(&slo(bad_ratio(), THIRTY_DAYS), &default_rules()).unwrap();
    std::fs::write(dir.path().join("rules.yaml"), &yaml).unwrap();
    let test = include_str!("slo_rules/burn.test.yaml");
    std::fs::write(dir.path().join("burn.test.yaml"), test).unwrap();
    let (ok, out) = promtool(dir.path(), &["test", "rules", "burn.test.yaml"]);
    assert!(ok, "promtool test rules failed:\n{out}");
    assert!(out.contains("SUCCESS"), "{out}");
}

#[test]
fn a_pushed_sli_has_no_rules_and_no_openslo() {
    let pushed = slo(Sli::Pushed, THIRTY_DAYS);
    let e = prometheus_rules(&pushed, &default_rules()).unwrap_err();
    assert!(
        e.contains("pushed") && e.contains("checkout-availability"),
        "{e}"
    );
    let e = openslo_yaml(&pushed).unwrap_err();
    assert!(e.contains("pushed") && e.contains("Prometheus"), "{e}");
}

/// `def` exported as OpenSLO and read back by the loader, origin aside.
fn round_trip(def: &SloDef) -> SloDef {
    let yaml = openslo_yaml(def).unwrap();
    let (slos, problems) = load_text("x.yaml", &yaml);
    assert!(problems.is_empty(), "{problems:?}\n{yaml}");
    assert_eq!(slos.len(), 1, "{yaml}");
    let mut back = slos.into_iter().next().unwrap();
    assert_eq!(back.origin, "openslo:x.yaml");
    back.origin = def.origin.clone();
    back
}

#[test]
fn openslo_reads_back_to_the_same_slo() {
    let mut no_description = slo(bad_ratio(), Window::Rolling { ms: 12 * HOUR });
    no_description.description = None;
    no_description.objective = 0.9995;
    let cases = [
        slo(good_ratio(), THIRTY_DAYS),
        slo(bad_ratio(), Window::Rolling { ms: 28 * DAY }),
        slo(good_ratio(), MONTH),
        slo(bad_ratio(), QUARTER),
        no_description,
    ];
    for def in cases {
        assert_eq!(round_trip(&def), def);
    }
    // Queries with quotes, braces and line breaks survive the YAML.
    let awkward = slo(
        Sli::Ratio {
            good: None,
            bad: Some("sum(rate(x{a=\"b: c\", d='#'}[{{window}}]))\n# note\n".into()),
            total: "- sum(rate(x[{{window}}]))".into(),
        },
        THIRTY_DAYS,
    );
    assert_eq!(round_trip(&awkward), awkward);
}

#[test]
fn a_latency_slo_reads_back_as_the_same_ratio() {
    // OpenSLO has no latency indicator: the export is the ratio of the threshold's bucket to
    // the histogram's count, which the loader reads as a ratio SLI measuring the same thing.
    let def = slo(latency(), MONTH);
    let back = round_trip(&def);
    let want = SloDef {
        sli: Sli::Ratio {
            good: Some(
                r#"sum(increase(http_request_duration_seconds_bucket{job="api", handler=~"/checkout.*",le="0.3"}[{{window}}]))"#
                    .into(),
            ),
            bad: None,
            total: r#"sum(increase(http_request_duration_seconds_count{job="api", handler=~"/checkout.*"}[{{window}}]))"#
                .into(),
        },
        ..def
    };
    assert_eq!(back, want);
}
