//! Service level objectives (docs/slo.md), in the portal's bundle: the list worst budget first
//! (`/slos`, filtered by `?team=` and `?service=`), one SLO with its budget, burn, alerts and the
//! deployments that burned it (`/slos/{id}`, evaluated at `?at=`), the admins' form
//! (`/slos/new`, `/slos/{id}/edit`), the overview's "SLOs at risk" strip, and the SLOs a
//! deployment affected (on the deployments page). The server evaluates everything; these pages
//! only show it.

mod at_risk;
mod chart;
mod deployment;
mod detail;
mod draft;
mod form;
mod list;
mod tables;
pub use crate::strings::slos as text;

pub use at_risk::SlosAtRisk;
pub use deployment::DeploymentSlosSection;
pub use detail::SloPage;
pub use form::{EditSlo, NewSlo};
pub use list::SloList;

use crate::api;
use leptos::prelude::*;
use nagare_core::api::{AlertLevel, DeploymentBurn};
use nagare_core::slo::eval::AT_RISK_PERCENT;
use nagare_core::slo::Sli;

/// The address of an SLO's page.
pub fn slo_href(id: &str) -> String {
    format!("/slos/{}", api::encode_component(id))
}

/// The address of an SLO's edit form.
pub fn edit_href(id: &str) -> String {
    format!("/slos/{}/edit", api::encode_component(id))
}

/// The address of a deployment's page.
pub fn deployment_href(id: &str) -> String {
    format!("/deployments/{}", api::encode_component(id))
}

/// The address of a service's page (the flow's bundle: a full page load).
pub fn service_href(name: &str) -> String {
    format!("/services/{}", api::encode_component(name))
}

/// A number with up to `max` decimals, trailing zeros dropped ("99.9", "99.95", "100").
fn trimmed(v: f64, max: usize) -> String {
    let s = format!("{v:.max$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// An objective (0–1) as a percentage: `99.9 %`.
pub fn objective_text(objective: f64) -> String {
    format!("{} %", trimmed(objective * 100.0, 4))
}

/// A percentage (0–100, or below 0 once overspent) with one decimal: `42.1 %`.
pub fn percent_text(percent: f64) -> String {
    let text = format!("{percent:.1} %");
    // A tiny negative share reads as zero, not "-0.0 %".
    if text == "-0.0 %" {
        "0.0 %".to_owned()
    } else {
        text
    }
}

pub fn opt_percent_text(percent: Option<f64>) -> String {
    percent.map_or_else(|| "—".to_owned(), percent_text)
}

/// An SLI (a ratio 0–1) as a percentage, with the decimals an SLI needs: `99.953 %`.
pub fn sli_text(ratio: f64) -> String {
    format!("{} %", trimmed(ratio * 100.0, 3))
}

pub fn opt_sli_text(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "—".to_owned(), sli_text)
}

/// A burn rate: `0.42×`, `2.3×`, `14×`; `—` without events.
pub fn burn_text(burn: Option<f64>) -> String {
    match burn {
        None => "—".to_owned(),
        Some(b) if b.abs() < 1.0 => format!("{b:.2}×"),
        Some(b) if b.abs() < 10.0 => format!("{b:.1}×"),
        Some(b) => format!("{b:.0}×"),
    }
}

/// An event count, grouped by thousands (`12,345`); a fractional count (from a rate) keeps one
/// decimal below 100.
pub fn count_text(v: f64) -> String {
    let neg = v < 0.0;
    let a = v.abs();
    let whole = a.round();
    let body = if (a - whole).abs() >= 0.05 && a < 100.0 {
        format!("{a:.1}")
    } else {
        group(whole as u64)
    };
    if neg && body.chars().any(|c| c != '0' && c != '.') {
        format!("−{body}")
    } else {
        body
    }
}

/// An event count with its sign: `+39`, `−4`, `0`.
pub fn signed_count(v: f64) -> String {
    let text = count_text(v);
    if v > 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("+{text}")
    } else {
        text
    }
}

fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A deployment burned a share of the budget worth showing (1 % or more): the noise of a few
/// bad events either side is not marked.
pub const BURNED_PERCENT: f64 = 1.0;

pub fn burned(b: &DeploymentBurn) -> bool {
    b.excess_bad > 0.0 && b.excess_budget_percent.is_some_and(|p| p >= BURNED_PERCENT)
}

/// A window's length in whole units when it has them ("5 min", "2 h", "3 days"), else human.
pub fn span_text(secs: i64) -> String {
    const DAY: i64 = 86_400;
    match secs {
        s if s > 0 && s % DAY == 0 && s / DAY == 1 => "1 day".to_owned(),
        s if s > 0 && s % DAY == 0 => format!("{} days", s / DAY),
        s if s > 0 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s > 0 && s % 60 == 0 => format!("{} min", s / 60),
        s => crate::format::duration(s as f64),
    }
}

/// How a remaining budget is coloured: under a quarter (the at-risk line) or overspent, red;
/// under half, amber; else green.
pub fn budget_tone(remaining_percent: Option<f64>) -> &'static str {
    match remaining_percent {
        None => "none",
        Some(p) if p < AT_RISK_PERCENT => "bad",
        Some(p) if p < 50.0 => "warn",
        Some(_) => "ok",
    }
}

/// The remaining budget as a horizontal bar with its percentage (`data-raw`: the API's number).
#[component]
pub fn BudgetBar(remaining_percent: Option<f64>) -> impl IntoView {
    let tone = budget_tone(remaining_percent);
    let width = remaining_percent.map_or(0.0, |p| p.clamp(0.0, 100.0));
    let label = match remaining_percent {
        Some(p) => text::budget_left(&percent_text(p)),
        None => text::NO_EVENTS.to_owned(),
    };
    view! {
        <span class="budget" data-test="budget" data-raw=crate::format::raw(remaining_percent)>
            <span class="budget-bar" role="img" aria-label=label.clone() title=label>
                <span class=format!("budget-fill budget-{tone}") style=format!("width: {width:.1}%")></span>
            </span>
            <span class=format!("budget-value budget-text-{tone}") data-test="budget-value">
                {opt_percent_text(remaining_percent)}
            </span>
        </span>
    }
}

/// An alert state as a coloured badge that always says it in words (`data-alert`: its name).
#[component]
pub fn AlertBadge(level: AlertLevel) -> impl IntoView {
    let tone = match level {
        AlertLevel::Ok => "ok",
        AlertLevel::Ticket => "warn",
        AlertLevel::Page => "bad",
    };
    view! {
        <span
            class=format!("badge badge-{tone} alert-badge")
            data-test="alert-badge"
            data-alert=level.as_str()
            title=text::alert_title(level)
        >
            {text::alert_label(level)}
        </span>
    }
}

/// What an SLI measures, in a word.
pub fn sli_kind(sli: &Sli) -> &'static str {
    match sli {
        Sli::Ratio { .. } => text::KIND_RATIO,
        Sli::Latency { .. } => text::KIND_LATENCY,
        Sli::Pushed => text::KIND_PUSHED,
    }
}

/// Where an SLO was defined, in words: the portal, or a file in a format.
pub fn origin_text(origin: &str) -> String {
    match origin.split_once(':') {
        _ if origin == "ui" => text::ORIGIN_UI.to_owned(),
        _ if origin == "demo" => text::ORIGIN_DEMO.to_owned(),
        Some((format, file)) => text::origin_file(format, file),
        None => origin.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_with_their_units() {
        assert_eq!(objective_text(0.999), "99.9 %");
        assert_eq!(objective_text(0.9995), "99.95 %");
        assert_eq!(objective_text(0.99), "99 %");
        assert_eq!(percent_text(42.06), "42.1 %");
        assert_eq!(percent_text(-12.34), "-12.3 %");
        assert_eq!(percent_text(-0.04), "0.0 %");
        assert_eq!(sli_text(0.99953), "99.953 %");
        assert_eq!(sli_text(1.0), "100 %");
        assert_eq!(burn_text(Some(0.421)), "0.42×");
        assert_eq!(burn_text(Some(2.34)), "2.3×");
        assert_eq!(burn_text(Some(14.4)), "14×");
        assert_eq!(burn_text(None), "—");
    }

    #[test]
    fn counts_are_grouped_and_signed() {
        assert_eq!(count_text(1234567.0), "1,234,567");
        assert_eq!(count_text(999.0), "999");
        assert_eq!(count_text(12.26), "12.3");
        assert_eq!(count_text(-4.0), "−4");
        assert_eq!(signed_count(39.0), "+39");
        assert_eq!(signed_count(-4.0), "−4");
        assert_eq!(signed_count(0.0), "0");
        assert_eq!(signed_count(-0.01), "0");
    }

    #[test]
    fn spans_read_in_whole_units() {
        assert_eq!(span_text(300), "5 min");
        assert_eq!(span_text(7200), "2 h");
        assert_eq!(span_text(86_400), "1 day");
        assert_eq!(span_text(3 * 86_400), "3 days");
        assert_eq!(span_text(45), "45 s");
    }

    #[test]
    fn budgets_are_coloured_by_what_is_left() {
        assert_eq!(budget_tone(Some(-3.0)), "bad");
        assert_eq!(budget_tone(Some(24.9)), "bad");
        assert_eq!(budget_tone(Some(25.0)), "warn");
        assert_eq!(budget_tone(Some(50.0)), "ok");
        assert_eq!(budget_tone(None), "none");
    }

    #[test]
    fn origins_say_where_an_slo_comes_from() {
        assert_eq!(origin_text("ui"), text::ORIGIN_UI);
        assert_eq!(
            origin_text("openslo:slos/checkout.yaml"),
            "OpenSLO file slos/checkout.yaml"
        );
        assert_eq!(origin_text("other"), "other");
    }
}
