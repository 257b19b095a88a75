//! Error budgets, burn rates and multi-window, multi-burn-rate alerts (the SRE workbook's), over
//! a [`Series`]. Definitions (docs/slo.md):
//!
//! - SLI = good ÷ total over the window; the error budget is (1 − objective) × total events.
//! - Consumed = bad ÷ total ÷ (1 − objective); remaining = 1 − consumed (it may go negative).
//! - The burn rate over a window is its error ratio ÷ (1 − objective): 1 spends the budget
//!   exactly over the SLO's window.
//! - An alert condition holds when the burn rate is strictly above its factor over both its long
//!   and its short window (as Sloth generates them). Page beats ticket.

use super::series::{Counts, Series};
use serde::{Deserialize, Serialize};

pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

/// The windows burn rates are reported over.
pub const BURN_WINDOWS: [(&str, i64); 7] = [
    ("5m", 5 * MINUTE),
    ("30m", 30 * MINUTE),
    ("1h", HOUR),
    ("2h", 2 * HOUR),
    ("6h", 6 * HOUR),
    ("1d", DAY),
    ("3d", 3 * DAY),
];

/// The error budget over a window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Bad events the window allows: (1 − objective) × total.
    pub allowed: f64,
    /// Bad events so far.
    pub consumed: f64,
    /// allowed − consumed (negative once overspent).
    pub remaining: f64,
    /// consumed ÷ allowed.
    pub consumed_ratio: f64,
    /// 1 − consumed_ratio.
    pub remaining_ratio: f64,
}

/// The budget of `counts` under `objective` (0 < objective < 1); `None` without events.
pub fn budget(counts: Counts, objective: f64) -> Option<Budget> {
    let error = counts.error_ratio()?;
    let allowance = 1.0 - objective;
    if allowance <= 0.0 {
        return None;
    }
    let consumed_ratio = error / allowance;
    let allowed = allowance * counts.total;
    Some(Budget {
        allowed,
        consumed: counts.bad(),
        remaining: allowed - counts.bad(),
        consumed_ratio,
        remaining_ratio: 1.0 - consumed_ratio,
    })
}

/// The burn rate of `counts`: error ratio ÷ (1 − objective); `None` without events.
pub fn burn_rate(counts: Counts, objective: f64) -> Option<f64> {
    let allowance = 1.0 - objective;
    (allowance > 0.0)
        .then_some(())
        .and_then(|()| counts.error_ratio())
        .map(|e| e / allowance)
}

/// The burn rate over `[at − w, at)`.
pub fn burn_over(series: &Series, objective: f64, at: i64, w: i64) -> Option<f64> {
    burn_rate(series.window(at - w, at), objective)
}

/// How loud an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Ok,
    Ticket,
    Page,
}

/// One multi-window condition: the burn rate above `factor` over `long` and over `short`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlertRule {
    pub severity: Severity,
    pub factor: f64,
    pub long: i64,
    pub short: i64,
}

/// The SRE workbook's defaults for a 30-day window: 14.4× over 1 h and 5 m, 6× over 6 h and 30 m
/// (page); 3× over 1 d and 2 h, 1× over 3 d and 6 h (ticket).
pub fn default_rules() -> Vec<AlertRule> {
    let r = |severity, factor, long, short| AlertRule {
        severity,
        factor,
        long,
        short,
    };
    vec![
        r(Severity::Page, 14.4, HOUR, 5 * MINUTE),
        r(Severity::Page, 6.0, 6 * HOUR, 30 * MINUTE),
        r(Severity::Ticket, 3.0, DAY, 2 * HOUR),
        r(Severity::Ticket, 1.0, 3 * DAY, 6 * HOUR),
    ]
}

/// A rule evaluated at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RuleState {
    pub rule: AlertRule,
    pub long_burn: Option<f64>,
    pub short_burn: Option<f64>,
    pub firing: bool,
}

/// Every rule at `at`, and the loudest severity firing (`Ok` when none).
pub fn alert_state(
    series: &Series,
    objective: f64,
    at: i64,
    rules: &[AlertRule],
) -> (Severity, Vec<RuleState>) {
    let states: Vec<RuleState> = rules
        .iter()
        .map(|rule| {
            let long_burn = burn_over(series, objective, at, rule.long);
            let short_burn = burn_over(series, objective, at, rule.short);
            let above = |b: Option<f64>| b.is_some_and(|b| b > rule.factor);
            RuleState {
                rule: *rule,
                long_burn,
                short_burn,
                firing: above(long_burn) && above(short_burn),
            }
        })
        .collect();
    let severity = states
        .iter()
        .filter(|s| s.firing)
        .map(|s| s.rule.severity)
        .max()
        .unwrap_or(Severity::Ok);
    (severity, states)
}

/// When the budget runs out at burn rate `burn`, in ms from now: the remaining share of the
/// budget spent at `burn` budgets per `span` (the SLO's window length). `Some(0)` when it is
/// spent already; `None` when it does not run out (no burn).
pub fn exhaustion_in(remaining_ratio: f64, burn: f64, span: i64) -> Option<i64> {
    if remaining_ratio <= 0.0 {
        return Some(0);
    }
    (burn > 0.0).then(|| (remaining_ratio / burn * span as f64).round() as i64)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn c(good: f64, total: f64) -> Counts {
        Counts { good, total }
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} ≠ {b}");
    }

    #[test]
    fn budget_by_hand() {
        // 99.9 %: 10,000 events allow 10 bad; 4 bad spent 40 %.
        let b = budget(c(9_996.0, 10_000.0), 0.999).unwrap();
        close(b.allowed, 10.0);
        close(b.consumed, 4.0);
        close(b.remaining, 6.0);
        close(b.consumed_ratio, 0.4);
        close(b.remaining_ratio, 0.6);
        // Overspent: 25 bad of 10 allowed → remaining −150 %.
        let over = budget(c(9_975.0, 10_000.0), 0.999).unwrap();
        close(over.remaining_ratio, -1.5);
        close(over.remaining, -15.0);
        assert_eq!(budget(c(0.0, 0.0), 0.999), None);
        assert_eq!(
            budget(c(1.0, 1.0), 1.0),
            None,
            "a 100 % objective has no budget"
        );
        close(burn_rate(c(990.0, 1000.0), 0.999).unwrap(), 10.0);
    }

    /// One bucket a minute over `minutes`, with `bad(i)` bad events of 100.
    fn minutes(n: usize, bad: impl Fn(usize) -> f64) -> Series {
        let b: Vec<Counts> = (0..n).map(|i| c(100.0 - bad(i), 100.0)).collect();
        Series::new(0, MINUTE, &b)
    }

    #[test]
    fn multiwindow_alerts_by_hand() {
        // Three days of minutes at 99.9 %: quiet (0 bad), then the last hour at 2 bad of 100:
        // burn 20 over the last hour and the last 5 minutes → page (14.4× over 1 h and 5 m).
        let n = 3 * 24 * 60;
        let s = minutes(n, |i| if i >= n - 60 { 2.0 } else { 0.0 });
        let at = n as i64 * MINUTE;
        let (sev, states) = alert_state(&s, 0.999, at, &default_rules());
        assert_eq!(sev, Severity::Page);
        close(states[0].long_burn.unwrap(), 20.0);
        close(states[0].short_burn.unwrap(), 20.0);
        // 6 h: 60 min at 2 % of 360 → error 1/3 % → burn 3.333 (not > 6): not firing.
        close(states[1].long_burn.unwrap(), 20.0 / 6.0);
        assert!(!states[1].firing);
        // 1 d burn = 20/24 < 3: the ticket rules do not fire either.
        assert!(!states[2].firing && !states[3].firing);
        // Exactly at the factor is not above it (strict >, as Sloth generates). Numbers exact in
        // binary: objective 87.5 % (allowance 1/8), 25 bad of 100 → burn exactly 2.
        let rule = [AlertRule {
            severity: Severity::Page,
            factor: 2.0,
            long: HOUR,
            short: 5 * MINUTE,
        }];
        let edge = minutes(120, |_| 25.0);
        let (sev, st) = alert_state(&edge, 0.875, 120 * MINUTE, &rule);
        assert_eq!(st[0].long_burn, Some(2.0));
        assert_eq!(sev, Severity::Ok);
        let above = minutes(120, |_| 26.0);
        assert_eq!(
            alert_state(&above, 0.875, 120 * MINUTE, &rule).0,
            Severity::Page
        );
        // Short window quiet again: the long window alone does not page.
        let cooled = minutes(n, |i| {
            if (n - 60..n - 5).contains(&i) {
                3.0
            } else {
                0.0
            }
        });
        let (sev, _) = alert_state(&cooled, 0.999, at, &default_rules());
        assert_eq!(sev, Severity::Ok);
    }

    #[test]
    fn a_slow_burn_is_a_ticket_and_page_beats_ticket() {
        // A steady 0.35 % error for three days at 99.9 %: burn 3.5 everywhere → both ticket rules
        // fire (3× over 1 d and 2 h; 1× over 3 d and 6 h), no page.
        let n = 3 * 24 * 60;
        let s = minutes(n, |_| 0.35);
        let at = n as i64 * MINUTE;
        let (sev, states) = alert_state(&s, 0.999, at, &default_rules());
        assert_eq!(sev, Severity::Ticket);
        assert_eq!(states.iter().filter(|s| s.firing).count(), 2);
        // Add a burst in the last hour: page and ticket both fire, page wins.
        let s = minutes(n, |i| if i >= n - 60 { 2.0 } else { 0.35 });
        assert_eq!(
            alert_state(&s, 0.999, at, &default_rules()).0,
            Severity::Page
        );
    }

    #[test]
    fn exhaustion_forecast() {
        // 60 % left of a 30-day budget, burning 2×: 9 days.
        assert_eq!(exhaustion_in(0.6, 2.0, 30 * DAY), Some(9 * DAY));
        assert_eq!(exhaustion_in(0.6, 0.0, 30 * DAY), None);
        assert_eq!(exhaustion_in(-0.2, 1.0, 30 * DAY), Some(0));
    }
}
