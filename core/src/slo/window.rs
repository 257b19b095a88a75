//! An SLO's window: rolling (the last 28 or 30 days, any length) or calendar (this month or
//! this quarter, to date, in the configured time zone). Every window is half-open,
//! `[start, end)`; a calendar window at instant T is its period's start to T, and its budget
//! comes from that period-to-date total.

use chrono::{Datelike, TimeZone};
use serde::{Deserialize, Serialize};

/// A calendar period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Month,
    Quarter,
}

/// An SLO's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Window {
    /// The `ms` before the instant evaluated.
    Rolling { ms: i64 },
    /// The period containing the instant, from its start, in the configured zone.
    Calendar { period: Period },
}

impl Window {
    /// `[start, at)` at instant `at` (ms), periods read in `tz`.
    pub fn bounds(&self, at: i64, tz: chrono_tz::Tz) -> (i64, i64) {
        match *self {
            Window::Rolling { ms } => (at - ms.max(0), at),
            Window::Calendar { period } => {
                let (start, _) = period_of(period, at, tz);
                (start, at)
            }
        }
    }

    /// The whole length the budget is spread over: a rolling window's length, or the full
    /// calendar period (a burn rate of 1 spends the budget exactly by its end).
    pub fn span(&self, at: i64, tz: chrono_tz::Tz) -> i64 {
        match *self {
            Window::Rolling { ms } => ms.max(0),
            Window::Calendar { period } => {
                let (start, end) = period_of(period, at, tz);
                end - start
            }
        }
    }
}

/// The start and end (ms) of the `period` containing `at` in `tz`.
pub fn period_of(period: Period, at: i64, tz: chrono_tz::Tz) -> (i64, i64) {
    let local = tz.timestamp_millis_opt(at).single().map(|d| d.date_naive());
    let Some(day) = local else {
        return (at, at);
    };
    let first_month = match period {
        Period::Month => day.month(),
        Period::Quarter => (day.month() - 1) / 3 * 3 + 1,
    };
    let months = match period {
        Period::Month => 1,
        Period::Quarter => 3,
    };
    let (ny, nm) = {
        let m = first_month + months;
        if m > 12 {
            (day.year() + 1, m - 12)
        } else {
            (day.year(), m)
        }
    };
    let start = midnight(tz, day.year(), first_month);
    let end = midnight(tz, ny, nm);
    (start.unwrap_or(at), end.unwrap_or(at))
}

/// The first instant of the first day of `year`-`month` in `tz`, in ms.
fn midnight(tz: chrono_tz::Tz, year: i32, month: u32) -> Option<i64> {
    let d = chrono::NaiveDate::from_ymd_opt(year, month, 1)?.and_hms_opt(0, 0, 0)?;
    // A zone may skip midnight (a DST change): the earliest instant of that local day.
    let local = tz.from_local_datetime(&d);
    local
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(d + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Timestamp;

    fn ms(s: &str) -> i64 {
        Timestamp::parse(s).unwrap().0
    }

    #[test]
    fn rolling_and_calendar_bounds() {
        let at = ms("2026-03-15T12:00:00Z");
        let utc = chrono_tz::UTC;
        let w28 = Window::Rolling {
            ms: 28 * 86_400_000,
        };
        assert_eq!(w28.bounds(at, utc), (ms("2026-02-15T12:00:00Z"), at));
        let month = Window::Calendar {
            period: Period::Month,
        };
        assert_eq!(month.bounds(at, utc), (ms("2026-03-01T00:00:00Z"), at));
        assert_eq!(month.span(at, utc), 31 * 86_400_000);
        let quarter = Window::Calendar {
            period: Period::Quarter,
        };
        assert_eq!(quarter.bounds(at, utc), (ms("2026-01-01T00:00:00Z"), at));
        assert_eq!(quarter.span(at, utc), (31 + 28 + 31) * 86_400_000);
        // Q4 ends at next year's start.
        let dec = ms("2026-12-31T23:00:00Z");
        assert_eq!(
            period_of(Period::Quarter, dec, utc),
            (ms("2026-10-01T00:00:00Z"), ms("2027-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn calendar_periods_follow_the_zone() {
        let tokyo: chrono_tz::Tz = "Asia/Tokyo".parse().unwrap();
        // 2026-02-28T16:00Z is already March 1st in Tokyo (UTC+9).
        let at = ms("2026-02-28T16:00:00Z");
        let month = Window::Calendar {
            period: Period::Month,
        };
        assert_eq!(month.bounds(at, tokyo), (ms("2026-02-28T15:00:00Z"), at));
        // Berlin's March has 31 days less one hour (the clocks go forward on the 29th).
        let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let (s, e) = period_of(Period::Month, ms("2026-03-10T00:00:00Z"), berlin);
        assert_eq!(
            (s, e),
            (ms("2026-02-28T23:00:00Z"), ms("2026-03-31T22:00:00Z"))
        );
        assert_eq!(e - s, 31 * 86_400_000 - 3_600_000);
    }
}
