//! Failed sign-ins, counted per client address: a limit, and one audit row for the repeats.
//!
//! Anyone can call `/auth/callback`, so its failures must not cost a row each (the probe grew
//! the audit log by 60,000 characters a try). Per address and per window:
//! - the first failure is written to the audit log at once, with its reason;
//! - the repeats are only counted, and written as one row with the count and the time range
//!   when the window ends ([`SignInFailures::drain`], run by a background job);
//! - past `limit` failures the callback answers 429 with `Retry-After` before doing any work.

use std::collections::HashMap;
use std::sync::Mutex;

/// At most this many addresses are tracked; beyond, new ones share one entry, so an attacker
/// with many addresses cannot grow memory either.
const MAX_ADDRESSES: usize = 10_000;
const OVERFLOW_KEY: &str = "(other addresses)";

#[derive(Debug)]
struct Window {
    started: i64,
    count: u32,
    /// Failures after the first, not yet written.
    pending: u64,
    first_pending: i64,
    last: i64,
    last_reason: String,
    shown: Option<String>,
}

/// What to do with a failure just counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The first in its window: write it to the audit log now.
    Record,
    /// A repeat: it is in the summary row written when the window ends.
    Coalesced,
}

/// The repeats of one address in one window, to write as one audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeats {
    pub ip: Option<String>,
    pub count: u64,
    pub first_at: i64,
    pub last_at: i64,
    pub last_reason: String,
}

#[derive(Debug)]
pub struct SignInFailures {
    limit: u32,
    window_ms: i64,
    windows: Mutex<HashMap<String, Window>>,
}

impl SignInFailures {
    pub fn new(limit: u32, window_ms: i64) -> SignInFailures {
        SignInFailures {
            limit,
            window_ms,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Window>> {
        // A panic elsewhere while holding the lock leaves counts that are still usable.
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Before any work on a sign-in: the seconds to wait when `key` is over the limit.
    pub fn retry_after(&self, key: &str, now: i64) -> Option<u64> {
        let windows = self.lock();
        let full = windows.len() >= MAX_ADDRESSES;
        let w = windows
            .get(key)
            .or_else(|| full.then(|| windows.get(OVERFLOW_KEY)).flatten())?;
        let ends = w.started + self.window_ms;
        (w.count >= self.limit && now < ends).then(|| ((ends - now) as u64).div_ceil(1000).max(1))
    }

    /// Counts a failed sign-in of `key` (shown as `shown` in the log), for `reason`.
    pub fn failed(&self, key: &str, shown: Option<&str>, reason: &str, now: i64) -> Verdict {
        let mut windows = self.lock();
        let key = if windows.len() >= MAX_ADDRESSES && !windows.contains_key(key) {
            OVERFLOW_KEY
        } else {
            key
        };
        let fresh = || Window {
            started: now,
            count: 0,
            pending: 0,
            first_pending: now,
            last: now,
            last_reason: String::new(),
            shown: shown.map(str::to_owned),
        };
        let w = windows.entry(key.to_owned()).or_insert_with(fresh);
        if now >= w.started + self.window_ms && w.pending == 0 {
            *w = fresh();
        }
        w.count = w.count.saturating_add(1);
        w.last = now;
        w.last_reason = reason.to_owned();
        if w.count == 1 {
            return Verdict::Record;
        }
        if w.pending == 0 {
            w.first_pending = now;
        }
        w.pending += 1;
        Verdict::Coalesced
    }

    /// The repeats of windows that have ended (all of them when `everything`, at shutdown),
    /// each once. Ended windows without repeats are forgotten.
    pub fn drain(&self, now: i64, everything: bool) -> Vec<Repeats> {
        let mut windows = self.lock();
        let mut out = Vec::new();
        windows.retain(|_, w| {
            let ended = now >= w.started + self.window_ms;
            if (ended || everything) && w.pending > 0 {
                out.push(Repeats {
                    ip: w.shown.clone(),
                    count: w.pending,
                    first_at: w.first_pending,
                    last_at: w.last,
                    last_reason: std::mem::take(&mut w.last_reason),
                });
                w.pending = 0;
            }
            !ended
        });
        out.sort_by_key(|r| r.first_at);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_failure_is_written_repeats_are_counted_and_the_limit_holds() {
        let f = SignInFailures::new(3, 60_000);
        assert_eq!(
            f.failed("1.2.3.4", Some("1.2.3.4"), "bad state", 0),
            Verdict::Record
        );
        assert_eq!(f.retry_after("1.2.3.4", 1), None);
        assert_eq!(
            f.failed("1.2.3.4", None, "bad state", 1_000),
            Verdict::Coalesced
        );
        assert_eq!(
            f.failed("1.2.3.4", None, "bad code", 2_000),
            Verdict::Coalesced
        );
        // Three failures: refused until the window (60 s from 0) ends, 58 s after 2 s.
        assert_eq!(f.retry_after("1.2.3.4", 2_000), Some(58));
        assert_eq!(
            f.retry_after("5.6.7.8", 2_000),
            None,
            "other addresses unaffected"
        );
        assert_eq!(f.drain(30_000, false), vec![], "the window has not ended");
        let r = f.drain(60_000, false);
        assert_eq!(
            r,
            vec![Repeats {
                ip: Some("1.2.3.4".into()),
                count: 2,
                first_at: 1_000,
                last_at: 2_000,
                last_reason: "bad code".into()
            }]
        );
        assert_eq!(f.retry_after("1.2.3.4", 60_000), None);
        assert_eq!(f.drain(61_000, false), vec![], "written once");
        assert_eq!(
            f.failed("1.2.3.4", None, "x", 70_000),
            Verdict::Record,
            "a new window"
        );
    }

    #[test]
    fn at_shutdown_everything_pending_is_drained() {
        let f = SignInFailures::new(10, 60_000);
        f.failed("a", None, "x", 0);
        f.failed("a", None, "y", 5);
        assert_eq!(f.drain(10, true).len(), 1);
    }

    #[test]
    fn many_addresses_share_one_entry_beyond_the_cap() {
        let f = SignInFailures::new(2, 60_000);
        for i in 0..MAX_ADDRESSES + 5 {
            f.failed(&format!("10.0.{}.{}", i / 256, i % 256), None, "x", 0);
        }
        assert!(f.lock().len() <= MAX_ADDRESSES + 1);
        assert!(
            f.retry_after("unseen", 1).is_some(),
            "the overflow entry is over its limit"
        );
    }
}
