//! A workflow's numbers over time: per week, its attempts' durations and queue times (p50,
//! p90), its success rate and its first-attempt pass rate; and where a run's time goes, job by
//! job.

use super::Outcome;
use crate::stats::quantile_sorted;
use chrono::{Datelike, NaiveTime, TimeZone};

/// The start of the week (Monday, local midnight in `tz`) holding `ms`, as UTC epoch ms.
pub fn week_start(ms: i64, tz: chrono_tz::Tz) -> i64 {
    let Some(t) = chrono::DateTime::from_timestamp_millis(ms) else {
        return ms;
    };
    let local = t.with_timezone(&tz).date_naive();
    let monday = local - chrono::Days::new(u64::from(local.weekday().num_days_from_monday()));
    let mut naive = monday.and_time(NaiveTime::MIN);
    // Midnight can be skipped by a DST change: the first local instant of the day.
    for _ in 0..=12 {
        if let Some(at) = tz.from_local_datetime(&naive).earliest() {
            return at.timestamp_millis();
        }
        naive += chrono::TimeDelta::minutes(15);
    }
    ms
}

/// What a week's attempts add up to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WeekStats {
    /// Attempts that finished, by outcome.
    pub success: u64,
    pub failure: u64,
    pub cancelled: u64,
    pub skipped: u64,
    /// The durations of its successes and failures, and the queue times of every attempt
    /// that has one, in milliseconds.
    pub durations: Vec<i64>,
    pub queues: Vec<i64>,
    /// First attempts that succeeded or failed, and of them those that succeeded.
    pub first_decided: u64,
    pub first_success: u64,
}

impl WeekStats {
    /// Adds a finished attempt (number `number`, 1 for the first).
    pub fn add(
        &mut self,
        outcome: Outcome,
        number: u32,
        duration: Option<i64>,
        queue: Option<i64>,
    ) {
        match outcome {
            Outcome::Success => self.success += 1,
            Outcome::Failure => self.failure += 1,
            Outcome::Cancelled => self.cancelled += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Running => return,
        }
        if outcome.decided() {
            if let Some(d) = duration {
                self.durations.push(d);
            }
            if number <= 1 {
                self.first_decided += 1;
                self.first_success += u64::from(outcome == Outcome::Success);
            }
        }
        if let Some(q) = queue {
            self.queues.push(q);
        }
    }

    /// Successes out of successes and failures; `None` without either.
    pub fn success_rate(&self) -> Option<f64> {
        let n = self.success + self.failure;
        (n > 0).then(|| self.success as f64 / n as f64)
    }

    /// First attempts that succeeded, out of first attempts that succeeded or failed.
    pub fn first_attempt_pass_rate(&self) -> Option<f64> {
        (self.first_decided > 0).then(|| self.first_success as f64 / self.first_decided as f64)
    }

    /// The (p50, p90) of the durations and of the queue times, in seconds.
    pub fn quantiles(&mut self) -> (P50P90, P50P90) {
        (pq(&mut self.durations), pq(&mut self.queues))
    }
}

/// A median and a p90, in seconds; `None` without values.
pub type P50P90 = (Option<f64>, Option<f64>);

fn pq(values: &mut [i64]) -> P50P90 {
    values.sort_unstable();
    let secs: Vec<f64> = values.iter().map(|&v| v as f64 / 1000.0).collect();
    (quantile_sorted(&secs, 0.5), quantile_sorted(&secs, 0.9))
}

/// One job's (or step's) time across a workflow's runs, and the wall time of the runs it ran in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobTime {
    pub durations: Vec<i64>,
    /// The wall time of the attempts it ran in (each counted once, however often it ran).
    pub run_wall: i64,
}

impl JobTime {
    /// Its time as a share of the wall time of the runs it ran in: Σ its durations ÷ Σ their
    /// durations. Jobs run in parallel, so the shares of a run's jobs may add up to more
    /// than 1.
    pub fn share(&self) -> Option<f64> {
        let total: i64 = self.durations.iter().sum();
        (self.run_wall > 0).then(|| total as f64 / self.run_wall as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;

    fn t(s: &str) -> i64 {
        Timestamp::parse(s).map(|t| t.0).unwrap_or_default()
    }

    #[test]
    fn weeks_start_on_local_mondays() {
        // Wednesday 2026-03-04 12:00 UTC: the week of Monday 2026-03-02.
        assert_eq!(
            week_start(t("2026-03-04T12:00:00Z"), chrono_tz::UTC),
            t("2026-03-02T00:00:00Z")
        );
        // Monday 2026-03-02 03:00 UTC is still Sunday evening in New York (UTC−5).
        assert_eq!(
            week_start(t("2026-03-02T03:00:00Z"), chrono_tz::America::New_York),
            t("2026-02-23T05:00:00Z")
        );
        // A Monday at midnight is its own week's start.
        assert_eq!(
            week_start(t("2026-03-09T00:00:00Z"), chrono_tz::UTC),
            t("2026-03-09T00:00:00Z")
        );
    }

    #[test]
    fn a_weeks_numbers_by_hand() {
        let s = 1000;
        let mut w = WeekStats::default();
        // Two first attempts: one passed (60 s, queued 10 s), one failed (120 s, queued 30 s);
        // the failed one's second attempt passed (90 s, no queue time known); one cancelled
        // (left out of durations and rates, but its queue time of 20 s counts).
        w.add(Outcome::Success, 1, Some(60 * s), Some(10 * s));
        w.add(Outcome::Failure, 1, Some(120 * s), Some(30 * s));
        w.add(Outcome::Success, 2, Some(90 * s), None);
        w.add(Outcome::Cancelled, 1, Some(5 * s), Some(20 * s));
        w.add(Outcome::Running, 1, None, Some(99 * s));
        assert_eq!((w.success, w.failure, w.cancelled), (2, 1, 1));
        // Success rate 2 of 3; first-attempt pass rate 1 of 2.
        assert_eq!(w.success_rate(), Some(2.0 / 3.0));
        assert_eq!(w.first_attempt_pass_rate(), Some(0.5));
        // Durations 60, 90, 120: p50 90, p90 = 90 + 0.8 × 30 = 114. Queues 10, 20, 30: p50
        // 20, p90 = 20 + 0.8 × 10 = 28.
        let ((d50, d90), (q50, q90)) = w.quantiles();
        assert_eq!((d50, d90), (Some(90.0), Some(114.0)));
        assert_eq!((q50, q90), (Some(20.0), Some(28.0)));
        assert_eq!(WeekStats::default().success_rate(), None);
    }

    #[test]
    fn a_jobs_share_of_the_runs_it_ran_in() {
        // 3 + 5 minutes of a job across two runs of 10 and 6 minutes: 8 / 16.
        let j = JobTime {
            durations: vec![3, 5],
            run_wall: 16,
        };
        assert_eq!(j.share(), Some(0.5));
        assert_eq!(JobTime::default().share(), None);
    }
}
