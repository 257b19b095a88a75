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
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// The robust z-score of `x` against `baseline`; none without enough days or spread.
pub fn robust_z(x: f64, baseline: &[f64]) -> Option<f64> {
    if baseline.len() < MIN_BASELINE_DAYS || !x.is_finite() {
        return None;
    }
    let m = median(baseline)?;
    let deviations: Vec<f64> = baseline.iter().map(|b| (b - m).abs()).collect();
    let mad = median(&deviations)?;
    if mad > 0.0 {
        return Some(0.6745 * (x - m) / mad);
    }
    let mean_ad = deviations.iter().sum::<f64>() / deviations.len() as f64;
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
    (MIN_BASELINE_DAYS..daily.len())
        .filter_map(|d| {
            let base = &daily[d.saturating_sub(BASELINE_DAYS)..d];
            let z = robust_z(daily[d], base)?;
            (z.abs() > threshold).then(|| Judged {
                day: d,
                cost: daily[d],
                baseline: median(base).unwrap_or(0.0),
                z,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

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
