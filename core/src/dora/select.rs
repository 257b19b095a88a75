//! What a query selects: the rows of a window, and its day and bucket boundaries in a time zone.

use crate::api::Interval;
use crate::model::index::TierIndex;
use chrono::{Datelike, NaiveDate, NaiveTime, TimeZone};

/// The rows a query selects, in time order.
#[derive(Clone, Copy)]
pub(crate) enum Sel<'a> {
    /// Every row in `lo..hi` (no service filter).
    Range(usize, usize),
    /// These rows.
    List(&'a [u32]),
}

impl<'a> Sel<'a> {
    pub(crate) fn len(&self) -> usize {
        match self {
            Sel::Range(lo, hi) => hi - lo,
            Sel::List(l) => l.len(),
        }
    }

    /// The part finished in `[from, to)`.
    pub(crate) fn within(self, ix: &TierIndex, from: i64, to: i64) -> Sel<'a> {
        match self {
            Sel::Range(lo, hi) => {
                let part = &ix.fin[lo..hi];
                Sel::Range(
                    lo + part.partition_point(|&f| f < from),
                    lo + part.partition_point(|&f| f < to),
                )
            }
            Sel::List(l) => {
                let a = l.partition_point(|&r| ix.fin[r as usize] < from);
                let b = l.partition_point(|&r| ix.fin[r as usize] < to);
                Sel::List(&l[a..b])
            }
        }
    }
}

/// Local midnights inside a window, so that a day is a binary search away.
pub(crate) struct Days {
    starts: Vec<i64>,
}

impl Days {
    pub(crate) fn new(tz: chrono_tz::Tz, from: i64, to: i64) -> Days {
        Days {
            starts: boundaries(tz, from, to, Interval::Day),
        }
    }
    /// A day number within the window (the same for every instant of one local day).
    pub(crate) fn day(&self, t: i64) -> usize {
        self.starts.partition_point(|&s| s <= t)
    }
    /// Where day `d` ends (the next day's start; the last day never ends).
    pub(crate) fn end_of(&self, d: usize) -> i64 {
        self.starts.get(d).copied().unwrap_or(i64::MAX)
    }
}

/// At most this many boundaries (about 550 years of days): a guard against absurd windows.
const MAX_BOUNDARIES: usize = 200_000;

/// The UTC instant of local midnight starting `date` in `tz`. When a DST change skips
/// midnight, the first local instant of the day.
fn local_midnight(tz: chrono_tz::Tz, date: NaiveDate) -> Option<i64> {
    let mut naive = date.and_time(NaiveTime::MIN);
    for _ in 0..=12 {
        if let Some(t) = tz.from_local_datetime(&naive).earliest() {
            return Some(t.timestamp_millis());
        }
        naive += chrono::TimeDelta::minutes(15);
    }
    None
}

/// Bucket boundaries strictly inside `(from, to)`: local midnights (day), Monday midnights
/// (week) or first-of-month midnights (month) in `tz`.
pub(crate) fn boundaries(tz: chrono_tz::Tz, from: i64, to: i64, interval: Interval) -> Vec<i64> {
    let mut out = Vec::new();
    let Some(start) = chrono::DateTime::from_timestamp_millis(from) else {
        return out;
    };
    let mut date = start.with_timezone(&tz).date_naive();
    while out.len() < MAX_BOUNDARIES {
        let next = match interval {
            Interval::All => return out,
            Interval::Day => date.succ_opt(),
            Interval::Week => date.checked_add_days(chrono::Days::new(
                7 - u64::from(date.weekday().num_days_from_monday()),
            )),
            Interval::Month => {
                let (y, m) = if date.month() == 12 {
                    (date.year() + 1, 1)
                } else {
                    (date.year(), date.month() + 1)
                };
                NaiveDate::from_ymd_opt(y, m, 1)
            }
        };
        let Some(next) = next else { break };
        date = next;
        let Some(t) = local_midnight(tz, date) else {
            continue;
        };
        if t >= to {
            break;
        }
        if t > from {
            out.push(t);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;

    fn t(s: &str) -> i64 {
        Timestamp::parse(s).map(|t| t.0).unwrap_or_default()
    }

    #[test]
    fn day_week_month_boundaries() {
        let utc = chrono_tz::UTC;
        let (from, to) = (t("2024-01-01T00:00:00Z"), t("2024-01-08T00:00:00Z"));
        // Six midnights strictly inside: Jan 2..=7 → 7 day buckets.
        assert_eq!(boundaries(utc, from, to, Interval::Day).len(), 6);
        // 2024-01-01 is a Monday: the next Monday is the 8th, which is `to`: one week bucket.
        assert!(boundaries(utc, from, to, Interval::Week).is_empty());
        let tokyo = chrono_tz::Asia::Tokyo;
        // Tokyo midnights are 15:00Z the day before: Jan 1..=7 at 15:00Z, 7 inside → 8 buckets.
        assert_eq!(boundaries(tokyo, from, to, Interval::Day).len(), 7);
        // Month boundaries Feb 1 .. Dec 1 inside 2024: 11.
        let year = (t("2024-01-01T00:00:00Z"), t("2025-01-01T00:00:00Z"));
        assert_eq!(boundaries(utc, year.0, year.1, Interval::Month).len(), 11);
    }
}
