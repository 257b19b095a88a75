//! Deployment frequency: deployments and deployment days of a window, the median number of
//! deployment days per 7- and 30-day block, and failed deployment attempts.

use super::bands::{self, FrequencyInputs};
use super::select::Days;
use crate::api::{Benchmark, DeploymentFrequency};
use crate::model::ids::ServiceId;
use crate::model::index::TierIndex;
use crate::stats;
use crate::time::{DAY_MS, WEEK_MS};

/// Distinct deployment days, counted per day of the window and per 7- and 30-day block from its
/// start (a trailing partial block is dropped unless it is the only one).
pub(crate) struct Frequency {
    from: i64,
    len_ms: i64,
    week_ms: i64,
    month_ms: i64,
    per_week: Vec<u32>,
    per_month: Vec<u32>,
    days: u64,
    /// The local day of the last row, and where it ends.
    day: usize,
    day_end: i64,
    last_week: Option<(usize, usize)>,
    last_month: Option<(usize, usize)>,
    /// The 7- and 30-day blocks of the last row, and where they end.
    week: (usize, i64),
    month: (usize, i64),
}

/// The number of whole blocks in a window, and the block length (the whole window when it is
/// shorter than one block).
fn blocks(len_ms: i64, block_ms: i64) -> (usize, i64) {
    let full = (len_ms / block_ms) as usize;
    if full == 0 {
        (1, len_ms.max(1))
    } else {
        (full, block_ms)
    }
}

impl Frequency {
    pub(crate) fn new(from: i64, to: i64) -> Frequency {
        let len_ms = (to - from).max(0);
        let (n_week, week_ms) = blocks(len_ms, WEEK_MS);
        let (n_month, month_ms) = blocks(len_ms, 30 * DAY_MS);
        Frequency {
            from,
            len_ms,
            week_ms,
            month_ms,
            per_week: vec![0; n_week],
            per_month: vec![0; n_month],
            days: 0,
            day: 0,
            day_end: i64::MIN,
            last_week: None,
            last_month: None,
            week: (0, i64::MIN),
            month: (0, i64::MIN),
        }
    }

    /// One deployment finished at `fin`. Rows come in time order, so the day and the blocks
    /// are looked up only when `fin` passes the end of the last row's.
    #[inline]
    pub(crate) fn add(&mut self, fin: i64, days: &Days) {
        if fin >= self.day_end {
            self.day = days.day(fin);
            self.day_end = days.end_of(self.day);
            self.days += 1;
        }
        let day = self.day;
        let block = |from: i64, len: i64| -> (usize, i64) {
            let i = (fin - from) / len;
            (i as usize, from.saturating_add((i + 1).saturating_mul(len)))
        };
        if fin >= self.week.1 {
            self.week = block(self.from, self.week_ms);
        }
        if fin >= self.month.1 {
            self.month = block(self.from, self.month_ms);
        }
        let w = self.week.0;
        if w < self.per_week.len() && self.last_week != Some((w, day)) {
            self.per_week[w] += 1;
            self.last_week = Some((w, day));
        }
        let m = self.month.0;
        if m < self.per_month.len() && self.last_month != Some((m, day)) {
            self.per_month[m] += 1;
            self.last_month = Some((m, day));
        }
    }

    /// [`Frequency::add`] of each of `fins`, sorted ascending, with the same result: only the
    /// first finish of each (day, 7-day block, 30-day block) can count, so the rest of it is
    /// skipped by binary search.
    pub(crate) fn add_sorted(&mut self, fins: &[i64], days: &Days) {
        let mut i = 0;
        while let Some(&fin) = fins.get(i) {
            self.add(fin, days);
            let next = self.day_end.min(self.week.1).min(self.month.1);
            i += fins[i..].partition_point(|&f| f < next).max(1);
        }
    }

    /// The reply, for `deployments` counted and `attempts` failed attempts in the window, and
    /// the measures its band (and the Quick Check's answer) are decided on.
    pub(crate) fn finish(
        self,
        deployments: u64,
        attempts: u64,
        benchmark: Benchmark,
    ) -> (DeploymentFrequency, FrequencyInputs) {
        let to_f64 = |v: Vec<u32>| -> Vec<f64> { v.into_iter().map(f64::from).collect() };
        let median_week = stats::median(&to_f64(self.per_week)).unwrap_or(0.0);
        let median_month = stats::median(&to_f64(self.per_month)).unwrap_or(0.0);
        let window_days = self.len_ms as f64 / DAY_MS as f64;
        let per_day = if window_days > 0.0 {
            deployments as f64 / window_days
        } else {
            0.0
        };
        let inputs = FrequencyInputs {
            median_days_per_week: median_week,
            median_days_per_30_days: median_month,
            deployments,
            window_days,
        };
        let reply = DeploymentFrequency {
            deployments,
            deployment_days: self.days,
            per_day,
            per_week: per_day * 7.0,
            median_deployment_days_per_week: median_week,
            band: bands::band_for_deployment_frequency(benchmark, &inputs),
            failed_attempts: attempts,
            deploy_job_failure_rate: (attempts + deployments > 0)
                .then(|| attempts as f64 / (attempts + deployments) as f64),
        };
        (reply, inputs)
    }
}

/// Failed deployment attempts (status `failure`) finished in `[from, to)` of admitted services.
pub(crate) fn failed_attempts(
    ix: &TierIndex,
    from: i64,
    to: i64,
    admits: impl Fn(ServiceId) -> bool,
) -> u64 {
    let a = &ix.attempts;
    let lo = a.partition_point(|&(f, _)| f < from);
    let hi = a.partition_point(|&(f, _)| f < to);
    a[lo..hi].iter().filter(|&&(_, s)| admits(s)).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::HOUR_MS;

    /// `add_sorted` (skipping by binary search) counts what `add` of every finish counts: the
    /// same deployment days, and the same days in each 7- and 30-day block, also when a block
    /// boundary falls inside a local day that has deployments on both sides of it.
    #[test]
    fn skipping_counts_what_adding_each_counts() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: i64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            ((seed >> 33) as i64).rem_euclid(n)
        };
        let start = crate::Timestamp::parse("2025-02-20T00:00:00Z").map_or(0, |t| t.0);
        // Bursts of deployments minutes apart, with gaps of hours to days between bursts.
        let mut fins = Vec::new();
        let mut t = start;
        while t < start + 200 * DAY_MS {
            for _ in 0..next(6) {
                t += next(20 * 60_000) + 1;
                fins.push(t);
            }
            t += next(40 * HOUR_MS);
        }
        let mut compared = 0;
        for tz in [chrono_tz::UTC, chrono_tz::America::New_York] {
            for offset in [
                0,
                7 * HOUR_MS + 13,
                23 * HOUR_MS + 59 * 60_000,
                3 * DAY_MS + HOUR_MS,
            ] {
                let (from, to) = (start + offset, start + 190 * DAY_MS - offset);
                let days = Days::new(tz, from, to);
                let inside: Vec<i64> = fins
                    .iter()
                    .copied()
                    .filter(|&f| f >= from && f < to)
                    .collect();
                let (mut each, mut skipping) = (Frequency::new(from, to), Frequency::new(from, to));
                inside.iter().for_each(|&f| each.add(f, &days));
                skipping.add_sorted(&inside, &days);
                assert_eq!(each.days, skipping.days);
                assert_eq!(each.per_week, skipping.per_week, "{tz} +{offset}");
                assert_eq!(each.per_month, skipping.per_month, "{tz} +{offset}");
                assert!(each.days > 100 && each.per_month.iter().all(|&d| d > 5));
                compared += 1;
            }
        }
        assert_eq!(compared, 8);
    }
}
