//! Unit cost: cost tied to delivery (docs/metrics.md, "Cloud cost"). The counts (deployments,
//! CI minutes, good SLO events) come from the model and the SLO series; the arithmetic is here.

use std::collections::BTreeMap;

/// `cost ÷ count`; none when there is nothing to divide by.
pub fn per(cost: f64, count: f64) -> Option<f64> {
    (count > 0.0 && count.is_finite()).then(|| cost / count)
}

/// The cost of a failure from `start_ms` to `end_ms`: each UTC day's cost (`daily`, by day
/// number) times the share of that day inside `[start_ms, end_ms)`.
pub fn while_failed(daily: &BTreeMap<i32, f64>, start_ms: i64, end_ms: i64) -> f64 {
    if end_ms <= start_ms {
        return 0.0;
    }
    let day_ms = crate::time::DAY_MS;
    let first = super::day_of_ms(start_ms);
    let last = super::day_of_ms(end_ms - 1);
    daily
        .range(first..=last)
        .map(|(d, cost)| {
            let from = i64::from(*d) * day_ms;
            let overlap = end_ms.min(from + day_ms) - start_ms.max(from);
            cost * overlap as f64 / day_ms as f64
        })
        .sum()
}

/// The cost of a service's failures, each `(start, end)` ms: [`while_failed`] over their
/// union, so that hours two failures share are counted once.
pub fn while_any_failed(daily: &BTreeMap<i32, f64>, spans: &[(i64, i64)]) -> f64 {
    let mut v: Vec<(i64, i64)> = spans.iter().copied().filter(|(s, e)| e > s).collect();
    v.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::new();
    for (s, e) in v {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
        .iter()
        .map(|(s, e)| while_failed(daily, *s, *e))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{DAY_MS, HOUR_MS};

    #[test]
    fn the_cost_while_failed_by_hand() {
        // Days 10, 11, 12 cost 24, 48 and 96.
        let daily = BTreeMap::from([(10, 24.0), (11, 48.0), (12, 96.0)]);
        // 06:00 on day 10 to 12:00 on day 11: 18 h of day 10 (18) and 12 h of day 11 (24).
        let start = 10 * DAY_MS + 6 * HOUR_MS;
        let end = 11 * DAY_MS + 12 * HOUR_MS;
        assert_eq!(while_failed(&daily, start, end), 18.0 + 24.0);
        // One hour inside day 12: 96 / 24.
        assert_eq!(
            while_failed(&daily, 12 * DAY_MS + HOUR_MS, 12 * DAY_MS + 2 * HOUR_MS),
            4.0
        );
        // Ending exactly at midnight takes nothing of the next day.
        assert_eq!(while_failed(&daily, 11 * DAY_MS, 12 * DAY_MS), 48.0);
        // A day without cost, and an empty span.
        assert_eq!(while_failed(&daily, 20 * DAY_MS, 21 * DAY_MS), 0.0);
        assert_eq!(while_failed(&daily, 5, 5), 0.0);
    }

    #[test]
    fn overlapping_failures_count_their_shared_hours_once() {
        let daily = BTreeMap::from([(10, 24.0)]);
        let h = |x: i64| 10 * DAY_MS + x * HOUR_MS;
        // 02–08 and 06–12 overlap in 06–08: their union is 02–12, 10 hours.
        assert_eq!(
            while_any_failed(&daily, &[(h(6), h(12)), (h(2), h(8))]),
            10.0
        );
        // Apart: 1 + 2 hours; an empty span adds nothing.
        assert_eq!(
            while_any_failed(&daily, &[(h(1), h(2)), (h(4), h(6)), (h(7), h(7))]),
            3.0
        );
    }

    #[test]
    fn per_unit() {
        assert_eq!(per(100.0, 4.0), Some(25.0));
        assert_eq!(per(100.0, 0.0), None);
    }
}
