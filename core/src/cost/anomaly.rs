//! Cost anomalies (issue 13, docs/cost.md): a day is an anomaly when it is far from the trailing
//! 28-day baseline by a robust z-score, the median and the median absolute deviation (MAD)
//! standing for the mean and the standard deviation, so that one earlier spike does not hide
//! the next (Iglewicz and Hoaglin's modified z-score):
//!
//! - z = 0.6745 × (x − median) ÷ MAD, over the 28 days before the day (the day itself is not in
//!   its baseline);
//! - when the MAD is 0 (over half the days cost the same), the mean absolute deviation around the
//!   median stands in: z = (x − median) ÷ (1.2533 × MeanAD);
//! - when that is 0 too, the baseline has no spread: no z-score;
//! - an anomaly is |z| above the threshold (3.5 by default, as Iglewicz and Hoaglin advise).

/// The days a baseline holds.
pub const BASELINE_DAYS: usize = 28;
/// The least days a baseline needs before any day is judged.
pub const MIN_BASELINE_DAYS: usize = 7;
/// |z| above this is an anomaly.
pub const DEFAULT_THRESHOLD: f64 = 3.5;

/// The median of `xs` (none for no values).
pub fn median(xs: &[f64]) -> Option<f64> {
    median_in(&mut Vec::new(), xs.iter().copied())
}

/// The median of the finite `xs`, using `v` as scratch (no allocation once it is large
/// enough): the middle by selection, not a full sort.
fn median_in(v: &mut Vec<f64>, xs: impl Iterator<Item = f64>) -> Option<f64> {
    v.clear();
    v.extend(xs.filter(|x| x.is_finite()));
    let n = v.len();
    if n == 0 {
        return None;
    }
    let (_, &mut upper, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return Some(upper);
    }
    // The lower middle is the largest of the values before the upper one.
    let lower = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((lower + upper) / 2.0)
}

/// The robust z-score of `x` against `baseline`; none without enough days or spread.
pub fn robust_z(x: f64, baseline: &[f64]) -> Option<f64> {
    robust_z_in(&mut Vec::new(), x, baseline)
}

fn robust_z_in(scratch: &mut Vec<f64>, x: f64, baseline: &[f64]) -> Option<f64> {
    if baseline.len() < MIN_BASELINE_DAYS || !x.is_finite() {
        return None;
    }
    let m = median_in(scratch, baseline.iter().copied())?;
    let mad = median_in(scratch, baseline.iter().map(|b| (b - m).abs()))?;
    let deviations = baseline.iter().map(|b| (b - m).abs());
    if mad > 0.0 {
        return Some(0.6745 * (x - m) / mad);
    }
    let mean_ad = deviations.sum::<f64>() / baseline.len() as f64;
    (mean_ad > 0.0).then(|| (x - m) / (1.253_314 * mean_ad))
}

/// One day judged against the days before it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judged {
    /// The day's index in the series.
    pub day: usize,
    pub cost: f64,
    /// The baseline's median.
    pub baseline: f64,
    pub z: f64,
}

/// The anomalies of a daily series (oldest first): each day whose |z| against the (up to) 28
/// days before it is above `threshold`.
pub fn anomalies(daily: &[f64], threshold: f64) -> Vec<Judged> {
    anomalies_from(daily, threshold, MIN_BASELINE_DAYS)
}

/// [`anomalies`] of the days from `first` on (earlier days serve as baselines only).
pub fn anomalies_from(daily: &[f64], threshold: f64, first: usize) -> Vec<Judged> {
    let mut scratch = Vec::with_capacity(BASELINE_DAYS);
    (first.max(MIN_BASELINE_DAYS)..daily.len())
        .filter_map(|d| {
            let base = &daily[d.saturating_sub(BASELINE_DAYS)..d];
            let z = robust_z_in(&mut scratch, daily[d], base)?;
            (z.abs() > threshold).then(|| Judged {
                day: d,
                cost: daily[d],
                baseline: median_in(&mut scratch, base.iter().copied()).unwrap_or(0.0),
                z,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The median by selection equals the median of the sorted values, for odd and even counts,
    /// repeats and negatives.
    #[test]
    fn the_selected_median_is_the_sorted_one() {
        let mut x: u64 = 7;
        for n in 1..60usize {
            let v: Vec<f64> = (0..n)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((x >> 33) % 50) as f64 - 20.0
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let want = if n % 2 == 1 {
                sorted[n / 2]
            } else {
                (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
            };
            assert_eq!(median(&v), Some(want), "{v:?}");
        }
    }

    #[test]
    fn medians_by_hand() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
    }

    #[test]
    fn a_robust_z_by_hand() {
        // Baseline 10, 11, 9, 10, 12, 8, 10: median 10; deviations 0, 1, 1, 0, 2, 2, 0: MAD 1.
        let base = [10.0, 11.0, 9.0, 10.0, 12.0, 8.0, 10.0];
        assert!((robust_z(16.0, &base).unwrap() - 0.6745 * 6.0).abs() < 1e-12);
        assert!((robust_z(7.0, &base).unwrap() + 0.6745 * 3.0).abs() < 1e-12);
        // Too few days.
        assert_eq!(robust_z(16.0, &base[..6]), None);
        // MAD 0 (five of seven the same): the mean absolute deviation, 2 ÷ 7, stands in.
        let flat = [5.0, 5.0, 5.0, 5.0, 5.0, 6.0, 7.0];
        let z = robust_z(9.0, &flat).unwrap();
        assert!((z - 4.0 / (1.253_314 * 3.0 / 7.0)).abs() < 1e-9, "{z}");
        // No spread at all.
        assert_eq!(robust_z(9.0, &[5.0; 10]), None);
    }

    #[test]
    fn a_spike_is_found_and_an_earlier_one_does_not_hide_the_next() {
        // 40 days at 100 ± 2, spikes of 300 on days 20 and 30.
        let mut daily: Vec<f64> = (0..40).map(|d| 100.0 + f64::from(d % 5) - 2.0).collect();
        daily[20] = 300.0;
        daily[30] = 300.0;
        let found: Vec<usize> = anomalies(&daily, DEFAULT_THRESHOLD)
            .iter()
            .map(|j| j.day)
            .collect();
        assert_eq!(found, vec![20, 30]);
        let a = anomalies(&daily, DEFAULT_THRESHOLD);
        assert_eq!(a[0].baseline, 100.0);
        assert!(a[0].z > 50.0);
    }
}
