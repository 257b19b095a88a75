//! Daily cost as series (docs/cost.md): buckets by day, ISO week or month, and the month to
//! date against its forecast and the previous month. Days are UTC day numbers
//! ([`super::day_of_ms`]).

use crate::api::{CostInterval, MonthToDate};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;

fn date(day: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day + EPOCH_CE).unwrap_or_default()
}

/// Days from 0001-01-01 (CE day 1) to 1970-01-01.
const EPOCH_CE: i32 = 719_163;

fn day(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - EPOCH_CE
}

/// The first day of the month of `d`.
pub fn month_start(d: i32) -> i32 {
    let x = date(d);
    day(x.with_day(1).unwrap_or(x))
}

/// The first day of the month after the one of `d`.
pub fn next_month(d: i32) -> i32 {
    let x = date(month_start(d));
    let (y, m) = if x.month() == 12 {
        (x.year() + 1, 1)
    } else {
        (x.year(), x.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).map_or(d + 31, day)
}

/// `YYYY-MM` of a day.
pub fn month_text(d: i32) -> String {
    date(d).format("%Y-%m").to_string()
}

/// The first day of the bucket `d` falls in: itself, its week's Monday, its month's first day.
pub fn bucket_start(d: i32, interval: CostInterval) -> i32 {
    match interval {
        CostInterval::Day => d,
        CostInterval::Week => d - date(d).weekday().num_days_from_monday() as i32,
        CostInterval::Month => month_start(d),
    }
}

/// The month of `through` (the last day with data): its cost to date, the run-rate forecast,
/// and the previous month whole and through the same day of the month. `daily` is the total
/// per day (days missing cost nothing).
pub fn month_to_date(daily: &BTreeMap<i32, f64>, through: Option<i32>, today: i32) -> MonthToDate {
    let last = through.unwrap_or(today);
    let first = month_start(last);
    let end = next_month(last);
    let sum = |from: i32, to: i32| daily.range(from..to).map(|(_, v)| v).sum::<f64>();
    let to_date = if through.is_some() {
        sum(first, last + 1)
    } else {
        0.0
    };
    // The trailing days of the run-rate: up to 7 through the last day with data, this month's
    // or the last month's (a month's first days still forecast from last week).
    // Days before the first with any cost are not part of the rate (a new export).
    let since = daily.keys().next().copied().unwrap_or(i32::MAX);
    let days: Vec<f64> = match through {
        Some(t) => ((t + 1 - super::forecast::RUN_RATE_DAYS as i32).max(since)..=t)
            .map(|d| daily.get(&d).copied().unwrap_or(0.0))
            .collect(),
        None => Vec::new(),
    };
    let elapsed = (last + 1 - first) as u32;
    let in_month = (end - first) as u32;
    let forecast =
        through.and_then(|_| super::forecast::month_end(to_date, &days, elapsed, in_month));
    let run_rate = (!days.is_empty()).then(|| days.iter().sum::<f64>() / days.len() as f64);
    let prev_first = month_start(first - 1);
    let prev_same = (prev_first + (last - first)).min(first - 1);
    MonthToDate {
        month: month_text(last),
        to_date,
        through: through.map(super::day_text),
        run_rate,
        run_rate_days: days.len() as u32,
        forecast,
        previous_month: sum(prev_first, first),
        previous_to_same_day: sum(prev_first, prev_same + 1),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::cost::{day_text, parse_day};

    fn d(s: &str) -> i32 {
        parse_day(s).unwrap()
    }

    #[test]
    fn buckets_by_hand() {
        // 2024-09-18 is a Wednesday: its week starts Monday the 16th.
        assert_eq!(
            day_text(bucket_start(d("2024-09-18"), CostInterval::Week)),
            "2024-09-16"
        );
        assert_eq!(
            day_text(bucket_start(d("2024-09-16"), CostInterval::Week)),
            "2024-09-16"
        );
        assert_eq!(
            day_text(bucket_start(d("2024-09-22"), CostInterval::Week)),
            "2024-09-16"
        );
        assert_eq!(
            day_text(bucket_start(d("2024-09-18"), CostInterval::Month)),
            "2024-09-01"
        );
        assert_eq!(day_text(next_month(d("2024-12-31"))), "2025-01-01");
        assert_eq!(day_text(next_month(d("2024-02-10"))), "2024-03-01");
        assert_eq!(month_text(d("1969-12-31")), "1969-12");
        assert_eq!(day_text(d("1970-01-01")), "1970-01-01");
    }

    #[test]
    fn the_month_to_date_by_hand() {
        // August: 31 days at 10. September 1–10 at 20, except the 10th at 90.
        let mut daily = BTreeMap::new();
        for x in d("2024-08-01")..=d("2024-08-31") {
            daily.insert(x, 10.0);
        }
        for x in d("2024-09-01")..=d("2024-09-09") {
            daily.insert(x, 20.0);
        }
        daily.insert(d("2024-09-10"), 90.0);
        let m = month_to_date(&daily, Some(d("2024-09-10")), d("2024-09-12"));
        assert_eq!(m.month, "2024-09");
        assert_eq!(m.to_date, 9.0 * 20.0 + 90.0);
        // The last 7 days: 6 × 20 + 90 = 210, a mean of 30; 20 days left.
        assert_eq!(m.run_rate, Some(30.0));
        assert_eq!(m.run_rate_days, 7);
        assert_eq!(m.forecast, Some(270.0 + 30.0 * 20.0));
        assert_eq!(m.previous_month, 310.0);
        assert_eq!(m.previous_to_same_day, 100.0);
        assert_eq!(m.through.as_deref(), Some("2024-09-10"));
        // The 2nd of a month: the run-rate reaches back into the last one.
        let m = month_to_date(&daily, Some(d("2024-09-02")), d("2024-09-03"));
        assert_eq!(m.to_date, 40.0);
        assert_eq!(m.run_rate, Some((5.0 * 10.0 + 40.0) / 7.0));
        // March 31st against February (29 days in 2024): the same day is February's last.
        let mut leap = BTreeMap::new();
        for x in d("2024-02-01")..=d("2024-03-31") {
            leap.insert(x, 1.0);
        }
        let m = month_to_date(&leap, Some(d("2024-03-31")), d("2024-04-01"));
        assert_eq!(m.previous_month, 29.0);
        assert_eq!(m.previous_to_same_day, 29.0);
        assert_eq!(m.forecast, Some(31.0));
        // Data from the 8th only: the run-rate is the mean of the 8th to the 10th, and a day
        // without cost among them counts as 0.
        let mut young = BTreeMap::new();
        young.insert(d("2024-09-08"), 30.0);
        young.insert(d("2024-09-10"), 60.0);
        let m = month_to_date(&young, Some(d("2024-09-10")), d("2024-09-11"));
        assert_eq!((m.run_rate, m.run_rate_days), (Some(30.0), 3));
        assert_eq!(m.forecast, Some(90.0 + 30.0 * 20.0));
        // No data at all.
        let m = month_to_date(&BTreeMap::new(), None, d("2024-09-12"));
        assert_eq!((m.to_date, m.forecast, m.run_rate), (0.0, None, None));
        assert_eq!(m.month, "2024-09");
    }
}
