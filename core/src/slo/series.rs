//! An SLI's counts as a counter: good and total events per bucket, kept as running sums so that
//! any window's count is the counter at its end minus the counter at its start, in constant
//! time. Windows are half-open, `[start, end)`; a bucket counts in a window when its start is
//! inside it (a bucket is the smallest unit: windows are read on bucket boundaries).

use serde::{Deserialize, Serialize};

/// Good and total events (in a bucket, or over a window).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub good: f64,
    pub total: f64,
}

impl Counts {
    pub fn bad(&self) -> f64 {
        (self.total - self.good).max(0.0)
    }

    /// good ÷ total; `None` without events.
    pub fn ratio(&self) -> Option<f64> {
        (self.total > 0.0).then(|| self.good / self.total)
    }

    /// bad ÷ total; `None` without events.
    pub fn error_ratio(&self) -> Option<f64> {
        (self.total > 0.0).then(|| self.bad() / self.total)
    }
}

impl std::ops::Add for Counts {
    type Output = Counts;
    fn add(self, o: Counts) -> Counts {
        Counts {
            good: self.good + o.good,
            total: self.total + o.total,
        }
    }
}

/// The most buckets a series grows to by [`Series::put`]: a quarter and a week at 10-second
/// buckets, with room.
pub const MAX_BUCKETS: i64 = 1 << 20;

/// Buckets of one width from `start`, with the counter after each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The first bucket's start (ms since the epoch).
    pub start: i64,
    /// Each bucket's width (ms), at least 1.
    pub step: i64,
    /// `cum[i]`: the counts of buckets `0..i` (so `cum[0]` is zero).
    cum: Vec<Counts>,
}

impl Series {
    /// A series from each bucket's counts; negative counts (a counter reset read naively) are
    /// taken as zero, and good above total as total.
    pub fn new(start: i64, step: i64, buckets: &[Counts]) -> Series {
        let mut cum = Vec::with_capacity(buckets.len() + 1);
        let mut run = Counts::default();
        cum.push(run);
        for b in buckets {
            let total = b.total.max(0.0);
            let good = b.good.max(0.0).min(total);
            run = run + Counts { good, total };
            cum.push(run);
        }
        Series {
            start,
            step: step.max(1),
            cum,
        }
    }

    pub fn len(&self) -> usize {
        self.cum.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The end of the last bucket.
    pub fn end(&self) -> i64 {
        self.start + self.step * self.len() as i64
    }

    /// The counter at instant `t`: the counts of the buckets that start before `t`.
    pub fn counter_at(&self, t: i64) -> Counts {
        if t <= self.start {
            return Counts::default();
        }
        // Buckets starting before t: ceil((t - start) / step).
        let n = ((t - self.start) + self.step - 1) / self.step;
        self.cum[(n.max(0) as usize).min(self.len())]
    }

    /// The counts of window `[from, to)`: the counter at its end minus the counter at its start.
    pub fn window(&self, from: i64, to: i64) -> Counts {
        if to <= from {
            return Counts::default();
        }
        let (a, b) = (self.counter_at(from), self.counter_at(to));
        Counts {
            good: b.good - a.good,
            total: b.total - a.total,
        }
    }

    /// Sets the bucket starting at `at` (on the grid: `start` plus a multiple of `step`) to
    /// `counts`, replacing what it held; the series grows (empty buckets) to reach it. A bucket
    /// before `start` moves the start back. Off the grid: `false`, nothing changed.
    pub fn put(&mut self, at: i64, counts: Counts) -> bool {
        if (at - self.start).rem_euclid(self.step) != 0 {
            return false;
        }
        // A bucket that would grow the series past what any window reads is refused (a stray
        // far-away start must not take the memory).
        if !self.is_empty() && (at < self.start || at >= self.end()) {
            let far = if at < self.start {
                self.end() - at
            } else {
                at - self.start
            };
            if far / self.step > MAX_BUCKETS {
                return false;
            }
        }
        if self.is_empty() {
            self.start = at;
        }
        if at < self.start {
            let n = ((self.start - at) / self.step) as usize;
            let zero = Counts::default();
            self.cum.splice(0..0, std::iter::repeat_n(zero, n));
            self.start = at;
        }
        let i = ((at - self.start) / self.step) as usize;
        while self.len() <= i {
            let last = self.cum[self.len()];
            self.cum.push(last);
        }
        let total = counts.total.max(0.0);
        let new = Counts {
            good: counts.good.max(0.0).min(total),
            total,
        };
        let old = self.bucket(i);
        let (dg, dt) = (new.good - old.good, new.total - old.total);
        if dg != 0.0 || dt != 0.0 {
            for c in &mut self.cum[i + 1..] {
                c.good += dg;
                c.total += dt;
            }
        }
        true
    }

    /// [`Series::put`] for many buckets at once, in time `O(len + n)` rather than `O(len × n)`:
    /// the buckets are set, then the running sums rebuilt in one pass (buckets at the end are
    /// simply appended). Returns how many were off the grid or too far and so left out.
    pub fn put_many(&mut self, mut rows: Vec<(i64, Counts)>) -> usize {
        rows.sort_by_key(|(at, _)| *at);
        let appends = self.is_empty() || rows.first().is_none_or(|(at, _)| *at >= self.end());
        if appends || rows.len() < 8 {
            return rows
                .into_iter()
                .filter(|(at, c)| !self.put(*at, *c))
                .count();
        }
        let mut buckets: Vec<Counts> = (0..self.len()).map(|i| self.bucket(i)).collect();
        let mut start = self.start;
        let mut left_out = 0;
        for (at, c) in rows {
            if (at - start).rem_euclid(self.step) != 0 {
                left_out += 1;
                continue;
            }
            let (lo, hi) = (
                start.min(at),
                (start + self.step * buckets.len() as i64).max(at + self.step),
            );
            if (hi - lo) / self.step > MAX_BUCKETS {
                left_out += 1;
                continue;
            }
            if at < start {
                let n = ((start - at) / self.step) as usize;
                buckets.splice(0..0, std::iter::repeat_n(Counts::default(), n));
                start = at;
            }
            let i = ((at - start) / self.step) as usize;
            if buckets.len() <= i {
                buckets.resize(i + 1, Counts::default());
            }
            buckets[i] = c;
        }
        *self = Series::new(start, self.step, &buckets);
        left_out
    }

    /// Drops the buckets that start before `t`.
    pub fn drop_before(&mut self, t: i64) {
        if t <= self.start || self.is_empty() {
            return;
        }
        let n = (((t - self.start) + self.step - 1) / self.step) as usize;
        let n = n.min(self.len());
        let base = self.cum[n];
        self.cum.drain(0..n);
        for c in &mut self.cum {
            c.good -= base.good;
            c.total -= base.total;
        }
        self.start += n as i64 * self.step;
    }

    /// One bucket's counts.
    pub fn bucket(&self, i: usize) -> Counts {
        let (a, b) = (self.cum[i], self.cum[i + 1]);
        Counts {
            good: b.good - a.good,
            total: b.total - a.total,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn c(good: f64, total: f64) -> Counts {
        Counts { good, total }
    }

    #[test]
    fn a_window_is_the_counter_at_its_end_minus_at_its_start() {
        // Buckets of 60 s from t = 0: (9/10), (5/10), (10/10).
        let s = Series::new(0, 60_000, &[c(9.0, 10.0), c(5.0, 10.0), c(10.0, 10.0)]);
        assert_eq!(s.window(0, 180_000), c(24.0, 30.0));
        assert_eq!(
            s.window(60_000, 120_000),
            c(5.0, 10.0),
            "half-open: the bucket at 120 s is out"
        );
        assert_eq!(
            s.window(60_000, 120_001),
            c(15.0, 20.0),
            "a bucket starting inside counts"
        );
        assert_eq!(s.window(-5, 1), c(9.0, 10.0));
        assert_eq!(s.window(200_000, 400_000), c(0.0, 0.0));
        assert_eq!(s.window(120_000, 60_000), c(0.0, 0.0));
        assert_eq!(s.window(0, 180_000).ratio(), Some(0.8));
        assert_eq!(s.window(0, 180_000).bad(), 6.0);
        assert_eq!(c(0.0, 0.0).ratio(), None);
    }

    #[test]
    fn put_replaces_a_bucket_and_grows_the_series() {
        let mut s = Series::new(120_000, 60_000, &[c(9.0, 10.0)]);
        assert!(
            s.put(240_000, c(1.0, 2.0)),
            "after the end: an empty bucket between"
        );
        assert_eq!(s.len(), 3);
        assert_eq!(s.bucket(1), c(0.0, 0.0));
        assert!(s.put(120_000, c(4.0, 5.0)), "replaces, not adds");
        assert!(s.put(0, c(3.0, 3.0)), "before the start");
        assert_eq!(s.start, 0);
        assert_eq!(s.window(0, 300_000), c(8.0, 10.0));
        assert!(!s.put(30_000, c(1.0, 1.0)), "off the grid");
        assert!(
            !s.put(60_000 * (MAX_BUCKETS + 10), c(1.0, 1.0)),
            "too far: the series would grow past what a window reads"
        );
        assert_eq!(s.len(), 5);
        s.drop_before(120_000);
        assert_eq!(s.start, 120_000);
        assert_eq!(s.window(0, 300_000), c(5.0, 7.0));
        s.drop_before(400_000);
        assert!(s.is_empty());
        assert!(s.put(600_000, c(1.0, 1.0)));
        assert_eq!(s.start, 600_000);
        assert_eq!(s.window(0, 700_000), c(1.0, 1.0));
    }

    #[test]
    fn put_many_equals_put_one_by_one() {
        let base: Vec<Counts> = (0..50).map(|i| c(f64::from(i % 7), 10.0)).collect();
        let rows: Vec<(i64, Counts)> = [-3i64, 0, 7, 7, 12, 49, 50, 55, 20, 31, 2, 5]
            .iter()
            .enumerate()
            .map(|(k, i)| (i * 1000, c(k as f64, 20.0)))
            .chain([(1500, c(1.0, 1.0))])
            .collect();
        let mut one = Series::new(0, 1000, &base);
        let mut sorted = rows.clone();
        sorted.sort_by_key(|(at, _)| *at);
        let off: usize = sorted.iter().filter(|(at, x)| !one.put(*at, *x)).count();
        let mut many = Series::new(0, 1000, &base);
        assert_eq!(many.put_many(rows), off);
        assert_eq!(off, 1, "the bucket at 1.5 s is off the grid");
        assert_eq!((many.start, many.len()), (one.start, one.len()));
        for i in 0..one.len() {
            assert_eq!(many.bucket(i), one.bucket(i), "bucket {i}");
        }
    }

    #[test]
    fn bad_counts_are_clamped() {
        let s = Series::new(0, 1000, &[c(-3.0, 10.0), c(12.0, 10.0), c(1.0, -2.0)]);
        assert_eq!(s.bucket(0), c(0.0, 10.0));
        assert_eq!(s.bucket(1), c(10.0, 10.0));
        assert_eq!(s.bucket(2), c(0.0, 0.0));
    }
}
