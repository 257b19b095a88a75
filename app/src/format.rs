//! Human formats for durations, rates, frequencies and times, in the user's time zone.

use chrono::{DateTime, FixedOffset, Offset, Utc};
use nagare_core::Timestamp;

const MINUTE: f64 = 60.0;
const HOUR: f64 = 3600.0;
const DAY: f64 = 86_400.0;

/// A duration in seconds, human-sized: "42 s", "12 min", "2.5 h", "2.4 days".
pub fn duration(seconds: f64) -> String {
    let neg = if seconds < 0.0 { "−" } else { "" };
    let s = seconds.abs();
    if s < MINUTE {
        format!("{neg}{} s", s.round())
    } else if s < HOUR {
        format!("{neg}{} min", (s / MINUTE).round())
    } else if s < 2.0 * DAY {
        format!("{neg}{} h", one_decimal(s / HOUR))
    } else {
        format!("{neg}{} days", one_decimal(s / DAY))
    }
}

pub fn opt_duration(seconds: Option<f64>) -> String {
    seconds.map_or_else(|| "—".to_owned(), duration)
}

/// A ratio 0..1 as a percentage with one decimal: "12.5%".
pub fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

pub fn opt_percent(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "—".to_owned(), percent)
}

/// Deployment frequency: "4.2 / day" at a daily pace or more, else "3.0 / week".
pub fn frequency(per_day: f64) -> String {
    if per_day >= 1.0 {
        format!("{} / day", one_decimal(per_day))
    } else {
        format!("{} / week", one_decimal(per_day * 7.0))
    }
}

/// One decimal, without a trailing ".0" for values of ten or more.
pub fn one_decimal(v: f64) -> String {
    if v.abs() >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The raw number as the API's JSON gives it (shortest round-trip form), for `data-raw`.
pub fn raw(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// The first seven characters of a sha.
pub fn short_sha(sha: &str) -> String {
    sha.chars().take(7).collect()
}

/// Milliseconds since the epoch, now.
pub fn now_millis() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default()
    }
}

/// The user's UTC offset at an instant, from the browser (UTC off the browser).
fn offset_at(ms: i64) -> FixedOffset {
    #[cfg(target_arch = "wasm32")]
    let minutes_west =
        js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64)).get_timezone_offset();
    #[cfg(not(target_arch = "wasm32"))]
    let minutes_west = {
        let _ = ms;
        0.0
    };
    FixedOffset::west_opt((minutes_west * 60.0) as i32).unwrap_or(Utc.fix())
}

fn local(t: Timestamp) -> DateTime<FixedOffset> {
    t.to_datetime().with_timezone(&offset_at(t.0))
}

/// "2024-03-04 14:05" in the user's zone.
pub fn date_time(t: Timestamp) -> String {
    local(t).format("%Y-%m-%d %H:%M").to_string()
}

/// "2024-03-04" in the user's zone.
pub fn date(t: Timestamp) -> String {
    local(t).format("%Y-%m-%d").to_string()
}

/// "Mar 4" in the user's zone, for chart axes.
pub fn short_date(t: Timestamp) -> String {
    local(t).format("%b %-d").to_string()
}

/// "3 h ago", "2 days ago", or "in 5 min" for the future.
pub fn relative(t: Timestamp, now_ms: i64) -> String {
    let secs = (now_ms - t.0) as f64 / 1000.0;
    if secs.abs() < 45.0 {
        return "just now".to_owned();
    }
    let span = if secs.abs() < HOUR {
        format!("{} min", (secs.abs() / MINUTE).round())
    } else if secs.abs() < DAY {
        format!("{} h", (secs.abs() / HOUR).round())
    } else {
        let days = (secs.abs() / DAY).round();
        if days == 1.0 {
            "1 day".to_owned()
        } else {
            format!("{days} days")
        }
    };
    if secs >= 0.0 {
        format!("{span} ago")
    } else {
        format!("in {span}")
    }
}

/// RFC 3339 in UTC with whole seconds, as the API's `from`/`to` accept.
pub fn rfc3339(ms: i64) -> String {
    Timestamp(ms)
        .to_datetime()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_human() {
        assert_eq!(duration(30.0), "30 s");
        assert_eq!(duration(720.0), "12 min");
        assert_eq!(duration(9000.0), "2.5 h");
        assert_eq!(duration(2.4 * DAY), "2.4 days");
        assert_eq!(duration(40.0 * DAY), "40 days");
    }

    #[test]
    fn rates_and_frequencies() {
        assert_eq!(percent(0.5), "50.0%");
        assert_eq!(percent(0.25), "25.0%");
        assert_eq!(frequency(4.2), "4.2 / day");
        assert_eq!(frequency(4.0 / 7.0), "4.0 / week");
        assert_eq!(raw(Some(4.0 / 7.0)), "0.5714285714285714");
        assert_eq!(raw(Some(9000.0)), "9000");
        assert_eq!(raw(None), "");
    }

    #[test]
    fn relative_times() {
        let now = 10 * 86_400_000;
        assert_eq!(relative(Timestamp(now - 3 * 3_600_000), now), "3 h ago");
        assert_eq!(relative(Timestamp(now - 86_400_000), now), "1 day ago");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
