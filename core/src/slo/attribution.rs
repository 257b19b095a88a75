//! Which deployment burned the budget: for each production deployment of the SLO's service, the
//! bad events in the `span` after it finished against the same span before it (both
//! half-open: `[f − span, f)` and `[f, f + span)`). The excess is bad after minus bad before;
//! its share is of the SLO's current window budget (the bad events the window allows).

use super::budget::burn_rate;
use super::series::{Counts, Series};
use serde::{Deserialize, Serialize};

/// A deployment's burn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployBurn {
    pub deployment: String,
    pub finished_at: i64,
    pub before: Counts,
    pub after: Counts,
    pub burn_before: Option<f64>,
    pub burn_after: Option<f64>,
    /// bad after − bad before (negative when it made things better).
    pub excess_bad: f64,
    /// `excess_bad` as a percentage of the window's budget (`None` when the window allows no
    /// bad event yet).
    pub excess_budget_percent: Option<f64>,
}

/// Each deployment's burn, largest excess first (then latest, then by id), given the window's
/// allowed bad events `budget_allowed`, evaluated at instant `at`: nothing at or after `at`
/// counts, so a deployment less than `span` before `at` is compared over the time since it
/// finished, against as long a time before it.
pub fn deployment_burns(
    series: &Series,
    objective: f64,
    deployments: &[(String, i64)],
    span: i64,
    budget_allowed: f64,
    at: i64,
) -> Vec<DeployBurn> {
    let mut out: Vec<DeployBurn> = deployments
        .iter()
        .map(|(id, f)| {
            let len = span.min(at - f).max(0);
            let before = series.window(f - len, *f);
            let after = series.window(*f, f + len);
            let excess_bad = after.bad() - before.bad();
            DeployBurn {
                deployment: id.clone(),
                finished_at: *f,
                before,
                after,
                burn_before: burn_rate(before, objective),
                burn_after: burn_rate(after, objective),
                excess_bad,
                excess_budget_percent: (budget_allowed > 0.0)
                    .then(|| excess_bad / budget_allowed * 100.0),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.excess_bad
            .total_cmp(&a.excess_bad)
            .then(b.finished_at.cmp(&a.finished_at))
            .then(a.deployment.cmp(&b.deployment))
    });
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::slo::budget::{HOUR, MINUTE};

    #[test]
    fn the_deployment_that_burned_ranks_first() {
        // Six hours of minutes, 100 events each: 1 bad a minute, except 6 bad a minute in the
        // two hours after 03:00 (deployment d2 finished at 03:00).
        let b: Vec<Counts> = (0..360)
            .map(|i| {
                let bad = if (180..300).contains(&i) { 6.0 } else { 1.0 };
                Counts {
                    good: 100.0 - bad,
                    total: 100.0,
                }
            })
            .collect();
        let s = Series::new(0, MINUTE, &b);
        let deps = vec![("d1".to_owned(), HOUR), ("d2".to_owned(), 3 * HOUR)];
        // The window allows 1,000 bad events.
        let r = deployment_burns(&s, 0.99, &deps, 2 * HOUR, 1000.0, 6 * HOUR);
        assert_eq!(r[0].deployment, "d2");
        // d2: after [03:00, 05:00) = 120 × 6 = 720 bad; before [01:00, 03:00) = 120 bad.
        assert_eq!((r[0].after.bad(), r[0].before.bad()), (720.0, 120.0));
        assert_eq!(r[0].excess_bad, 600.0);
        assert_eq!(r[0].excess_budget_percent, Some(60.0));
        assert!(
            (r[0].burn_after.unwrap() - 6.0).abs() < 1e-9,
            "6 % errors at 99 %"
        );
        // d1: before [−01:00, 01:00) holds only the first hour (60 bad), after [01:00, 03:00) 120.
        assert_eq!(
            (r[1].before.bad(), r[1].after.bad(), r[1].excess_bad),
            (60.0, 120.0, 60.0)
        );
        assert_eq!(
            deployment_burns(&s, 0.99, &deps, 2 * HOUR, 0.0, 6 * HOUR)[0].excess_budget_percent,
            None
        );
        // Evaluated at 04:00: d2's spans are cut to the hour since it finished, both sides:
        // after [03:00, 04:00) = 360 bad, before [02:00, 03:00) = 60 bad. Nothing at or after
        // 04:00 counts.
        let r = deployment_burns(&s, 0.99, &deps, 2 * HOUR, 1000.0, 4 * HOUR);
        let d2 = r.iter().find(|d| d.deployment == "d2").unwrap();
        assert_eq!(
            (d2.after.bad(), d2.before.bad(), d2.excess_bad),
            (360.0, 60.0, 300.0)
        );
        // At the instant it finished: nothing either side.
        let r = deployment_burns(&s, 0.99, &deps, 2 * HOUR, 1000.0, 3 * HOUR);
        let d2 = r.iter().find(|d| d.deployment == "d2").unwrap();
        assert_eq!((d2.after.total, d2.before.total), (0.0, 0.0));
    }
}
