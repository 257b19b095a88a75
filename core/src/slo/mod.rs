//! Service level objectives, the pure math (docs/slo.md): an SLI's counts as a counter
//! ([`series`]), windows rolling or calendar ([`window`]), error budgets, burn rates and
//! multi-window alerts ([`budget`]), and which deployment burned the budget ([`attribution`]).
//! Every window is half-open, `[T − w, T)`, and a window's count is the counter at its end
//! minus the counter at its start.

pub mod attribution;
pub mod budget;
pub mod def;
pub mod eval;
pub mod series;
pub mod window;

pub use budget::{alert_state, budget, burn_rate, default_rules, AlertRule, Budget, Severity};
pub use def::{Sli, SloDef};
pub use series::{Counts, Series};
pub use window::{Period, Window};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A window's bad events (its burn in events) are the sum of its buckets', and its
        /// budget's remaining share is 1 minus its consumed share.
        #[test]
        fn a_window_is_the_sum_of_its_buckets(
            buckets in proptest::collection::vec((0u32..1000, 0u32..1000), 1..200),
            a in 0usize..200,
            len in 0usize..200,
            objective in 0.5f64..0.9999,
        ) {
            let counts: Vec<Counts> = buckets
                .iter()
                .map(|&(g, t)| Counts { good: f64::from(g.min(t)), total: f64::from(t) })
                .collect();
            let step = 60_000;
            let s = Series::new(1_000, step, &counts);
            let a = a.min(counts.len());
            let b = (a + len).min(counts.len());
            let w = s.window(1_000 + a as i64 * step, 1_000 + b as i64 * step);
            let (mut bad, mut total) = (0.0, 0.0);
            for c in &counts[a..b] {
                bad += c.bad();
                total += c.total;
            }
            prop_assert!((w.bad() - bad).abs() < 1e-6);
            prop_assert!((w.total - total).abs() < 1e-6);
            if let Some(bd) = budget(w, objective) {
                prop_assert!((bd.remaining_ratio - (1.0 - bd.consumed_ratio)).abs() < 1e-9);
                prop_assert!((bd.remaining - (bd.allowed - bd.consumed)).abs() < 1e-6);
                // The window's burn is its buckets' burns weighted by their share of events.
                let weighted: f64 = counts[a..b]
                    .iter()
                    .filter_map(|c| burn_rate(*c, objective).map(|r| r * c.total / w.total))
                    .sum();
                prop_assert!((burn_rate(w, objective).unwrap_or(0.0) - weighted).abs() < 1e-6);
            }
        }
    }
}
