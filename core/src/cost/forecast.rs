//! Month-to-date cost and its forecast to the month's end (issue 13, docs/cost.md): the days
//! left at the trailing daily run-rate, the mean of the last (up to) 7 complete days.

/// The days the run-rate is the mean of.
pub const RUN_RATE_DAYS: usize = 7;

/// The forecast for a month: `month_to_date` (the complete days so far, `days_elapsed` of
/// `days_in_month`), plus the days left at the mean of the last days of `daily` (oldest first,
/// ending with the last complete day). None without any day to take a run-rate from.
pub fn month_end(
    month_to_date: f64,
    daily: &[f64],
    days_elapsed: u32,
    days_in_month: u32,
) -> Option<f64> {
    let recent = &daily[daily.len().saturating_sub(RUN_RATE_DAYS)..];
    if recent.is_empty() {
        return None;
    }
    let rate = recent.iter().sum::<f64>() / recent.len() as f64;
    let left = days_in_month.saturating_sub(days_elapsed);
    Some(month_to_date + rate * f64::from(left))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forecast_by_hand() {
        // 10 days of a 30-day month cost 1000; the last 7 days cost 70, 80, …, 130 (mean 100):
        // 20 days left at 100 a day.
        let daily = [500.0, 10.0, 70.0, 80.0, 90.0, 100.0, 110.0, 120.0, 130.0];
        assert_eq!(month_end(1000.0, &daily, 10, 30), Some(3000.0));
        // Fewer than 7 days: their mean.
        assert_eq!(
            month_end(30.0, &[10.0, 20.0], 2, 31),
            Some(30.0 + 15.0 * 29.0)
        );
        assert_eq!(month_end(0.0, &[], 0, 30), None);
        // The month's last day: nothing left.
        assert_eq!(month_end(900.0, &daily, 30, 30), Some(900.0));
    }
}
