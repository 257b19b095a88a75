//! The SLI history the tests write into Prometheus, and what each bucket of it must read as.
//!
//! Samples every 60 s, `MINUTES + 1` of them, the last on a whole minute at or before the time
//! the test starts (Prometheus' backfill refuses nothing in the last days). Minute `k`
//! (1..=MINUTES) is the bucket `[sample k − 1, sample k)`; the increments in it:
//!
//! - `http_requests_total{job="checkout",code="200"}`: 100 + k mod 7, except that the counter
//!   restarts in minute [`K_RESET`] and reads [`RESET_TO`] at its end: `increase` adds the value
//!   after a drop, so that minute counts [`RESET_TO`] (a naive difference would be negative).
//! - `code="500"`: 1 in every minute k with k mod 20 = 0, plus bursts: 40 a minute in the ten
//!   minutes ending 20 minutes before [`K_AT`], 20 a minute in the five minutes ending at it,
//!   3 a minute for two hours a day and a half before it.
//! - `code="429"`: 1 in every minute with k mod 10 = 0.
//! - `http_request_duration_seconds` (a histogram, `job="checkout"`): per minute 900 requests
//!   under 0.1 s, 95 + k mod 3 between 0.1 and 0.3 s, 4 up to 1 s, 1 above; in the 100 minutes
//!   ending 100 minutes before [`K_AT`], 75, 24 and 1 instead (slower).
//! - `checkout_v2_requests_total{job="checkout",code=…}`: the same requests under a new metric
//!   name (without the restart), only for the last [`V2_MINUTES`] minutes: an SLI moved to it
//!   has no counts before.

use std::fmt::Write;

pub const STEP: i64 = 60_000;
/// Three days of minutes.
pub const MINUTES: i64 = 3 * 1440;
/// The minute whose end the tests evaluate at: ten minutes before the last sample, so that it
/// has been synced however late in its minute the test started.
pub const K_AT: i64 = MINUTES - 10;
/// The minute in which the 200s counter restarts (10 h before [`K_AT`]: inside a 1d window).
pub const K_RESET: i64 = K_AT - 600;
pub const RESET_TO: f64 = 37.0;
/// The minutes the v2 metric has.
pub const V2_MINUTES: i64 = 720;

/// Which events an SLI counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sli {
    /// Bad: the 500s; total: every request.
    Errors,
    /// Under 0.3 s of the histogram's requests.
    Latency,
    /// The 500s of the v2 metric, of its requests.
    ErrorsV2,
}

/// Good and total events.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    pub good: f64,
    pub total: f64,
}

impl Counts {
    pub fn bad(&self) -> f64 {
        self.total - self.good
    }
}

#[derive(Debug, Clone, Copy)]
pub struct History {
    /// Sample 0, ms.
    pub first: i64,
}

impl History {
    /// The history whose last sample is the whole minute at or before `now_ms`.
    pub fn ending_by(now_ms: i64) -> History {
        let last = now_ms.div_euclid(STEP) * STEP;
        History {
            first: last - MINUTES * STEP,
        }
    }

    pub fn sample_at(&self, k: i64) -> i64 {
        self.first + k * STEP
    }

    /// The start of minute `k`'s bucket.
    pub fn bucket(&self, k: i64) -> i64 {
        self.first + (k - 1) * STEP
    }

    /// The minute whose bucket starts at `start`, if there is one with data.
    pub fn minute_of(&self, start: i64) -> Option<i64> {
        let d = start - self.first;
        (d.rem_euclid(STEP) == 0)
            .then_some(d / STEP + 1)
            .filter(|k| (1..=MINUTES).contains(k))
    }

    /// The instant the tests evaluate at: the end of minute [`K_AT`].
    pub fn at(&self) -> i64 {
        self.sample_at(K_AT)
    }

    fn ok_inc(k: i64) -> f64 {
        100.0 + (k % 7) as f64
    }

    /// What `increase` reads for the 200s in minute k (the restart included).
    fn ok(k: i64) -> f64 {
        if k == K_RESET {
            RESET_TO
        } else {
            Self::ok_inc(k)
        }
    }

    fn errors(k: i64) -> f64 {
        let mut e = if k % 20 == 0 { 1.0 } else { 0.0 };
        if (K_AT - 29..=K_AT - 20).contains(&k) {
            e += 40.0;
        }
        if (K_AT - 4..=K_AT).contains(&k) {
            e += 20.0;
        }
        let c = K_AT - 2160;
        if (c - 119..=c).contains(&k) {
            e += 3.0;
        }
        e
    }

    fn throttled(k: i64) -> f64 {
        if k % 10 == 0 {
            1.0
        } else {
            0.0
        }
    }

    fn slow_period(k: i64) -> bool {
        (K_AT - 199..=K_AT - 100).contains(&k)
    }

    /// Requests per latency class in minute k: ≤ 0.1 s, ≤ 0.3 s, ≤ 1 s, above.
    fn latency(k: i64) -> [f64; 4] {
        if Self::slow_period(k) {
            [900.0, 75.0, 24.0, 1.0]
        } else {
            [900.0, 95.0 + (k % 3) as f64, 4.0, 1.0]
        }
    }

    /// What minute `k` of `sli` reads: `None` where the SLI has no data.
    pub fn counts(&self, sli: Sli, k: i64) -> Option<Counts> {
        if !(1..=MINUTES).contains(&k) {
            return None;
        }
        match sli {
            Sli::Errors => {
                let total = Self::ok(k) + Self::errors(k) + Self::throttled(k);
                Some(Counts {
                    good: total - Self::errors(k),
                    total,
                })
            }
            Sli::Latency => {
                let l = Self::latency(k);
                Some(Counts {
                    good: l[0] + l[1],
                    total: l.iter().sum(),
                })
            }
            Sli::ErrorsV2 => (k > MINUTES - V2_MINUTES).then(|| {
                let total = Self::ok_inc(k) + Self::errors(k) + Self::throttled(k);
                Counts {
                    good: total - Self::errors(k),
                    total,
                }
            }),
        }
    }

    /// Every bucket of `sli` with data that starts before `until`: (start, counts).
    pub fn buckets(&self, sli: Sli, until: i64) -> Vec<(i64, Counts)> {
        (1..=MINUTES)
            .filter(|k| self.bucket(*k) < until)
            .filter_map(|k| Some((self.bucket(k), self.counts(sli, k)?)))
            .collect()
    }

    /// The counts of the buckets of `sli` starting in `[from, to)` and before `synced_to`.
    pub fn window(&self, sli: Sli, from: i64, to: i64, synced_to: i64) -> Counts {
        let mut c = Counts::default();
        for (start, b) in self.buckets(sli, synced_to.min(to)) {
            if start >= from {
                c.good += b.good;
                c.total += b.total;
            }
        }
        c
    }

    /// The history as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`.
    pub fn openmetrics(&self) -> String {
        let mut out = String::new();
        let secs = |k: i64| self.sample_at(k) / 1000;
        out.push_str("# HELP http_requests Requests answered.\n# TYPE http_requests counter\n");
        type Inc = fn(i64) -> f64;
        let codes: [(&str, f64, Inc); 3] = [
            ("200", 5000.0, History::ok),
            ("500", 0.0, History::errors),
            ("429", 0.0, History::throttled),
        ];
        for (code, start, inc) in codes {
            let mut v = start;
            for k in 0..=MINUTES {
                if k == K_RESET && code == "200" {
                    // The process restarted during the minute: the counter starts again.
                    v = RESET_TO;
                } else if k > 0 {
                    v += inc(k);
                }
                writeln!(
                    out,
                    "http_requests_total{{job=\"checkout\",code=\"{code}\"}} {v} {}",
                    secs(k)
                )
                .unwrap();
            }
        }
        out.push_str(
            "# HELP http_request_duration_seconds Request latency.\n\
             # TYPE http_request_duration_seconds histogram\n",
        );
        let mut cum = [0.0f64; 4];
        let mut sum = 0.0f64;
        for k in 0..=MINUTES {
            if k > 0 {
                let l = Self::latency(k);
                for (c, v) in cum.iter_mut().zip(l) {
                    *c += v;
                }
                sum += l[0] * 0.05 + l[1] * 0.2 + l[2] * 0.5 + l[3] * 2.0;
            }
            let t = secs(k);
            let mut below = 0.0;
            for (le, c) in ["0.1", "0.3", "1.0", "+Inf"].iter().zip(cum) {
                below += c;
                writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{job=\"checkout\",le=\"{le}\"}} {below} {t}"
                )
                .unwrap();
            }
            writeln!(
                out,
                "http_request_duration_seconds_count{{job=\"checkout\"}} {below} {t}"
            )
            .unwrap();
            writeln!(
                out,
                "http_request_duration_seconds_sum{{job=\"checkout\"}} {sum} {t}"
            )
            .unwrap();
        }
        out.push_str(
            "# HELP checkout_v2_requests Requests answered (v2).\n\
             # TYPE checkout_v2_requests counter\n",
        );
        let v2: [(&str, Inc); 3] = [
            ("200", History::ok_inc),
            ("500", History::errors),
            ("429", History::throttled),
        ];
        for (code, inc) in v2 {
            let mut v = 0.0;
            for k in MINUTES - V2_MINUTES..=MINUTES {
                if k > MINUTES - V2_MINUTES {
                    v += inc(k);
                }
                writeln!(
                    out,
                    "checkout_v2_requests_total{{job=\"checkout\",code=\"{code}\"}} {v} {}",
                    secs(k)
                )
                .unwrap();
            }
        }
        out.push_str("# EOF\n");
        out
    }
}
