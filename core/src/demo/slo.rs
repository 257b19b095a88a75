//! The demo's SLOs (`make run`): three SLOs on demo services with pushed SLI counts at one-minute
//! buckets over the last 40 days, a daily traffic rhythm, and:
//!
//! - `checkout-availability` (checkout-api, 99.9 %, 30 days): a production deployment about six
//!   days ago is followed by two hours at 6 % errors, so the detail page ranks it first;
//! - `payments-latency` (payments-api, 99 % under 300 ms, 28 days): a slow burn at 1.5× for the
//!   last three and a half days, so its 3d/6h ticket condition fires;
//! - `search-availability` (search-api, 99.5 %, calendar month): steady, well within budget.

use super::sim::Rng;
use crate::events::{DeploymentStatus, EnvironmentTier};
use crate::slo::budget::{DAY, HOUR, MINUTE};
use crate::slo::{Period, Sli, SloDef, Window};
use crate::{Event, Timestamp};

/// How far back the counts go.
pub const DAYS: i64 = 40;

/// One pushed bucket: SLO, start (ms), good, total.
pub type Sample = (String, i64, f64, f64);

/// The demo's SLO definitions and their counts, one bucket per `step` ms up to `now`.
pub fn demo_slos(
    events: &[Event],
    now: Timestamp,
    step: i64,
    seed: u64,
) -> (Vec<SloDef>, Vec<Sample>) {
    let step = step.max(MINUTE);
    let end = now.0 - now.0.rem_euclid(step);
    let start = end - DAYS * DAY;
    let burst = burning_deployment(events, now.0).unwrap_or(now.0 - 6 * DAY);
    let def = |id: &str,
               name: &str,
               service: &str,
               objective: f64,
               window: Window,
               sli: Sli,
               what: &str| SloDef {
        id: id.into(),
        name: name.into(),
        description: Some(what.into()),
        service: service.into(),
        objective,
        window,
        sli,
        origin: "demo".into(),
    };
    let defs = vec![
        def(
            "checkout-availability",
            "Checkout API availability",
            "checkout-api",
            0.999,
            Window::Rolling { ms: 30 * DAY },
            Sli::Pushed,
            "Share of checkout API requests answered without a 5xx, pushed each minute from the load balancer's logs.",
        ),
        def(
            "payments-latency",
            "Payments API latency",
            "payments-api",
            0.99,
            Window::Rolling { ms: 28 * DAY },
            Sli::Pushed,
            "Share of payment authorisations answered within 300 ms.",
        ),
        def(
            "search-availability",
            "Search availability",
            "search-api",
            0.995,
            Window::Calendar {
                period: Period::Month,
            },
            Sli::Pushed,
            "Share of search queries answered without an error, per calendar month.",
        ),
    ];
    let mut rng = Rng::new(seed ^ 0x510);
    let mut samples = Vec::new();
    // (id, requests per minute at the daily peak, baseline error ratio)
    for (id, peak, base) in [
        ("checkout-availability", 1200.0, 0.0002),
        ("payments-latency", 400.0, 0.003),
        ("search-availability", 2500.0, 0.002),
    ] {
        let mut t = start;
        // The fraction of a bad event not yet counted, so that a low error ratio is not
        // rounded away minute after minute.
        let mut carry = 0.0;
        while t < end {
            let day = (t.rem_euclid(DAY)) as f64 / DAY as f64;
            // Busiest at 14:00 UTC, a third of it at night.
            let rhythm = 0.66 + 0.34 * (std::f64::consts::TAU * (day - 14.0 / 24.0)).cos();
            let jitter = 0.9 + (rng.next() % 1000) as f64 / 5000.0;
            let total = (peak * rhythm * jitter * step as f64 / MINUTE as f64).round();
            let ratio = match id {
                "checkout-availability" if t >= burst && t < burst + 2 * HOUR => 0.06,
                "payments-latency" if t >= end - 84 * HOUR => 0.015,
                _ => base,
            };
            let noise = 0.5 + (rng.next() % 1000) as f64 / 1000.0;
            let exact = total * ratio * noise + carry;
            let bad = exact.floor().min(total);
            carry = exact - bad;
            samples.push((id.to_owned(), t, total - bad, total));
            t += step;
        }
    }
    (defs, samples)
}

/// The finish of checkout-api's production deployment closest to six days before `now`.
fn burning_deployment(events: &[Event], now: i64) -> Option<i64> {
    let target = now - 6 * DAY;
    events
        .iter()
        .filter_map(|e| match e {
            Event::Deployment(d)
                if d.service == "checkout-api"
                    && d.status == DeploymentStatus::Success
                    && d.environment_tier.unwrap_or_else(|| {
                        EnvironmentTier::from_environment_name(&d.environment)
                    }) == EnvironmentTier::Production =>
            {
                d.finished_at.map(|f| f.0)
            }
            _ => None,
        })
        .min_by_key(|f| (f - target).abs())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::slo::attribution::deployment_burns;
    use crate::slo::{budget, Counts, Series};

    #[test]
    fn the_burning_deployment_ranks_first_and_payments_burns_slowly() {
        // The default seed (42) and another, at two instants.
        for (seed, now) in [(42, 1_765_000_000_000), (7, 1_780_123_456_789)] {
            check(seed, Timestamp(now));
        }
    }

    fn check(seed: u64, now: Timestamp) {
        let events = super::super::demo_org(seed, now);
        let (defs, samples) = demo_slos(&events, now, MINUTE, seed);
        assert_eq!(defs.len(), 3);
        let series = |id: &str| {
            let s: Vec<&Sample> = samples.iter().filter(|s| s.0 == id).collect();
            let counts: Vec<Counts> = s
                .iter()
                .map(|s| Counts {
                    good: s.2,
                    total: s.3,
                })
                .collect();
            Series::new(s[0].1, MINUTE, &counts)
        };
        let checkout = series("checkout-availability");
        let at = now.0 - now.0.rem_euclid(MINUTE);
        let window = checkout.window(at - 30 * DAY, at);
        let b = budget(window, 0.999).unwrap();
        let deps: Vec<(String, i64)> = events
            .iter()
            .filter_map(|e| match e {
                Event::Deployment(d)
                    if d.service == "checkout-api"
                        && d.environment == "production"
                        && d.finished_at.is_some_and(|f| f.0 >= at - 30 * DAY) =>
                {
                    Some((d.id.clone(), d.finished_at?.0))
                }
                _ => None,
            })
            .collect();
        assert!(deps.len() > 5, "checkout-api deploys in the window");
        let burns = deployment_burns(&checkout, 0.999, &deps, 2 * HOUR, b.allowed, at);
        let top = burning_deployment(&events, now.0).unwrap();
        assert_eq!(burns[0].finished_at, top);
        // 2 hours at 6 % of the traffic against about 0.02 %: a large share of the budget.
        assert!(
            burns[0].excess_budget_percent.unwrap() > 10.0,
            "{:?}",
            burns[0]
        );
        assert!(
            burns[1].excess_budget_percent.unwrap() < 2.0,
            "{:?}",
            burns[1]
        );
        // Payments: 1.5 % errors for 3.5 days against 1 % allowed: burn above 1 over 3d and 6h.
        let payments = series("payments-latency");
        let burn3d = crate::slo::budget::burn_over(&payments, 0.99, at, 3 * DAY).unwrap();
        assert!(burn3d > 1.2 && burn3d < 1.8, "{burn3d}");
    }
}
