//! Cell values as the exports write them: nulls, decimal numbers, timestamps with or without a
//! zone, billing periods, and CUR 2.0's tag keys. Hand-written parsers: a million-row file
//! goes through them about fifteen times a row, so they neither allocate nor go through a
//! general date library.

use nagare_core::time::{DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS};

/// Whether a text cell means "no value": empty, or the literal `NULL` that exports (and the
/// FinOps Foundation's FOCUS sample) write for a null.
pub(super) fn is_null_text(s: &str) -> bool {
    s.is_empty() || s == "NULL"
}

/// A decimal number (`0.00000080000`, `-2.6137`, `1e-7`), surrounding spaces allowed. Only
/// finite values: `NaN` and `inf` are not costs.
pub(super) fn parse_number(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("{:?} is not a number", clip(s))),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub(super) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The year and month of a day number (the inverse of [`days_from_civil`], day dropped).
pub(super) fn year_month(days: i64) -> (i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Reads `n` ASCII digits at `at`.
fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let part = b.get(at..at + n)?;
    part.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

/// Epoch milliseconds of a timestamp as the exports write them: `2024-09-18 22:00:00` (FOCUS
/// CSV), RFC 3339 `2024-09-18T22:00:00Z` (CUR 2.0 CSV), with or without seconds, a fraction
/// (`.123`, further digits dropped) or a zone (`Z`, ` UTC`, `+02:00`, `+0200`, `+02`); no zone
/// is UTC, as both specifications require. A date alone is its midnight. `None` when it is not
/// such a timestamp or not a real date and time.
pub(super) fn parse_time(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    let (y, m, d) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let mut ms = days_from_civil(y, m, d) * DAY_MS;
    let mut at = 10;
    if at == b.len() {
        return Some(ms);
    }
    if !matches!(b[at], b'T' | b't' | b' ') {
        return None;
    }
    let (h, mi) = (digits(b, at + 1, 2)?, digits(b, at + 4, 2)?);
    if b.get(at + 3) != Some(&b':') || h > 23 || mi > 59 {
        return None;
    }
    ms += h * HOUR_MS + mi * MINUTE_MS;
    at += 6;
    if b.get(at) == Some(&b':') {
        let sec = digits(b, at + 1, 2)?;
        if sec > 60 {
            return None;
        }
        ms += sec * SECOND_MS;
        at += 3;
        if matches!(b.get(at), Some(b'.' | b',')) {
            at += 1;
            let start = at;
            let mut frac = 0;
            while let Some(c) = b.get(at).filter(|c| c.is_ascii_digit()) {
                if at - start < 3 {
                    frac = frac * 10 + i64::from(c - b'0');
                }
                at += 1;
            }
            if at == start {
                return None;
            }
            for _ in (at - start)..3 {
                frac *= 10;
            }
            ms += frac;
        }
    }
    let zone = &b[at..];
    let offset_min = match zone {
        [] | [b'Z' | b'z'] | b" UTC" | b"UTC" | b" Z" => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (oh, om) = match rest.len() {
                2 => (digits(rest, 0, 2)?, 0),
                4 => (digits(rest, 0, 2)?, digits(rest, 2, 2)?),
                5 if rest[2] == b':' => (digits(rest, 0, 2)?, digits(rest, 3, 2)?),
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 60 + om;
            if *sign == b'-' {
                -off
            } else {
                off
            }
        }
        _ => return None,
    };
    Some(ms - offset_min * MINUTE_MS)
}

/// The timestamp of a cell, or a message saying what was expected.
pub(super) fn parse_time_cell(s: &str) -> Result<i64, String> {
    parse_time(s).ok_or_else(|| {
        format!(
            "{:?} is not a timestamp; expected e.g. 2024-09-18 22:00:00 or \
             2024-09-18T22:00:00Z (UTC unless a zone is given)",
            clip(s)
        )
    })
}

/// `YYYY-MM` of an instant (UTC).
pub(super) fn period_text(ms: i64, out: &mut String) {
    use std::fmt::Write as _;
    let (y, m) = year_month(ms.div_euclid(DAY_MS));
    out.clear();
    let _ = write!(out, "{y:04}-{m:02}");
}

/// The billing period a file's path names in the Data Exports layout
/// (`…/data/BILLING_PERIOD=2024-09/…`), if it names one.
pub(super) fn partition_period(name: &str) -> Option<String> {
    const KEY: &str = "BILLING_PERIOD=";
    let at = name.find(KEY)? + KEY.len();
    let p = name.get(at..at + 7)?;
    let b = p.as_bytes();
    let month = digits(b, 5, 2)?;
    (digits(b, 0, 4).is_some() && b[4] == b'-' && (1..=12).contains(&month)).then(|| p.to_owned())
}

/// The billing periods of a file's rows: the last one formatted is kept, since a file holds one
/// or two; and the period its path names, for rows that give none.
pub(super) struct Periods {
    partition: Option<String>,
    last_ms: Option<i64>,
    last: String,
}

impl Periods {
    pub(super) fn new(file: &str) -> Periods {
        Periods {
            partition: partition_period(file),
            last_ms: None,
            last: String::new(),
        }
    }

    /// Writes the billing period of a row whose billing period starts at `start` (epoch ms)
    /// into `out`; without one, the path's period. `false`: neither is known.
    pub(super) fn write(&mut self, start: Option<i64>, out: &mut String) -> bool {
        out.clear();
        match start {
            Some(ms) => {
                if self.last_ms != Some(ms) {
                    period_text(ms, &mut self.last);
                    self.last_ms = Some(ms);
                }
                out.push_str(&self.last);
                true
            }
            None => match &self.partition {
                Some(p) => {
                    out.push_str(p);
                    true
                }
                None => false,
            },
        }
    }
}

/// A CUR 2.0 `resource_tags` key as the tag it stands for: CUR writes the tag `user:team` as
/// `user_team` and `aws:createdBy` as `aws_createdBy` (the first `_` after the prefix stands
/// for the `:`); other keys are kept as they are.
pub(super) fn cur_tag_key(mut key: String) -> String {
    for prefix in ["user_", "aws_"] {
        if key.starts_with(prefix) {
            let at = prefix.len() - 1;
            key.replace_range(at..at + 1, ":");
            break;
        }
    }
    key
}

/// A JSON object's entries as text (a FOCUS `Tags` cell, a CUR CSV `resource_tags` cell):
/// string values as they are, other values as their JSON text.
pub(super) fn json_entries(s: &str, f: &mut dyn FnMut(String, String)) -> Result<(), String> {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(s).map_err(|e| format!("{:?} is not a JSON object ({e})", clip(s)))?;
    for (k, v) in map {
        match v {
            serde_json::Value::String(s) => f(k, s),
            serde_json::Value::Null => {}
            other => f(k, other.to_string()),
        }
    }
    Ok(())
}

/// The start of a long cell, for messages.
pub(super) fn clip(s: &str) -> &str {
    match s.char_indices().nth(60) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = HOUR_MS;

    #[test]
    fn timestamps_in_every_written_form() {
        // 2024-09-18 is day 19 984 since 1970-01-01 (checked: 54 years of 365 days plus the
        // 13 leap days 1972..2020, plus 261 days into 2024).
        let day = 19_984 * DAY_MS;
        assert_eq!(parse_time("2024-09-18 22:00:00"), Some(day + 22 * H));
        assert_eq!(parse_time("2024-09-18T22:00:00Z"), Some(day + 22 * H));
        assert_eq!(
            parse_time("2024-09-18T22:00:00.250Z"),
            Some(day + 22 * H + 250)
        );
        assert_eq!(
            parse_time("2024-09-18T22:00:00.1234567"),
            Some(day + 22 * H + 123)
        );
        assert_eq!(parse_time("2024-09-18T22:00"), Some(day + 22 * H));
        assert_eq!(parse_time("2024-09-18T22:00:00+02:00"), Some(day + 20 * H));
        assert_eq!(
            parse_time("2024-09-18T22:00:00-0130"),
            Some(day + 23 * H + 30 * 60_000)
        );
        assert_eq!(parse_time("2024-09-18 22:00:00 UTC"), Some(day + 22 * H));
        assert_eq!(parse_time("2024-09-18"), Some(day));
        for bad in [
            "2024-02-30 00:00:00",
            "2024-13-01",
            "2024-09-18 24:00:00",
            "18/09/2024",
            "2024-09-18T22:00:00+2",
            "",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        // 2024-01-01 is day 19 723; the 29th of February is 59 days later.
        assert_eq!(parse_time("2024-02-29"), Some((19_723 + 59) * DAY_MS));
    }

    #[test]
    fn periods_and_calendar() {
        for days in [-800_000, -1, 0, 59, 19_984, 2_932_896] {
            let (y, m) = year_month(days);
            assert!(days_from_civil(y, m, 1) <= days && days < days_from_civil(y, m, 1) + 31);
        }
        let mut s = String::new();
        period_text(19_984 * DAY_MS, &mut s);
        assert_eq!(s, "2024-09");
        assert_eq!(
            partition_period("s3://b/p/data/BILLING_PERIOD=2024-10/x-00001.snappy.parquet")
                .as_deref(),
            Some("2024-10")
        );
        assert_eq!(partition_period("data/BILLING_PERIOD=2024-13/x.csv"), None);
    }

    #[test]
    fn numbers_nulls_and_tag_keys() {
        assert_eq!(parse_number(" -2.61370000000 "), Ok(-2.6137));
        assert_eq!(parse_number("1e-7"), Ok(1e-7));
        assert!(parse_number("NaN").is_err() && parse_number("1,5").is_err());
        assert!(is_null_text("NULL") && is_null_text("") && !is_null_text("null-ish"));
        assert_eq!(cur_tag_key("user_cost_center".into()), "user:cost_center");
        assert_eq!(cur_tag_key("aws_createdBy".into()), "aws:createdBy");
        assert_eq!(cur_tag_key("team".into()), "team");
    }
}
