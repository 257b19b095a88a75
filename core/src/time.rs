//! Instants as UTC epoch milliseconds, written and read as RFC 3339 with an explicit zone.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

pub const SECOND_MS: i64 = 1_000;
pub const MINUTE_MS: i64 = 60 * SECOND_MS;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;
pub const WEEK_MS: i64 = 7 * DAY_MS;

/// An instant, in milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Parses RFC 3339. A time without a zone (`2024-05-01T10:00:00`) is an error, since its
    /// meaning would depend on the machine that reads it.
    pub fn parse(s: &str) -> Result<Self, TimeError> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| Timestamp(t.timestamp_millis()))
            .map_err(|_| TimeError {
                value: crate::text::printable(s, 60),
                zone_missing: looks_zoneless(s),
            })
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp_millis(self.0).unwrap_or_default()
    }

    /// Seconds from `self` to `later`, as the API reports durations.
    pub fn seconds_until(self, later: Timestamp) -> f64 {
        (later.0 - self.0) as f64 / 1000.0
    }
}

fn looks_zoneless(s: &str) -> bool {
    let t = s.trim();
    // `2024-05-01T10:00:00` or with fractions, and no Z / offset after the time part.
    // By bytes, never slicing the text: a multi-byte character near byte 19 must not panic.
    let b = t.as_bytes();
    b.len() >= 19
        && matches!(b.get(10), Some(b'T' | b't' | b' '))
        && !t.ends_with(['Z', 'z'])
        && !b[19..].iter().any(|c| matches!(c, b'+' | b'-'))
}

/// Why a time could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TimeError {
    pub value: String,
    pub zone_missing: bool,
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.zone_missing {
            write!(
                f,
                "time `{}` has no zone; add `Z` for UTC or an offset such as `+09:00` (RFC 3339)",
                self.value
            )
        } else {
            write!(
                f,
                "`{}` is not an RFC 3339 time; write it like `2024-05-01T10:00:00Z`",
                self.value
            )
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &self
                .to_datetime()
                .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        )
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimeError;

    fn from_str(s: &str) -> Result<Self, TimeError> {
        Timestamp::parse(s)
    }
}

/// An RFC 3339 time with a zone.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .description(Some(
                "An RFC 3339 time with a zone (`2024-05-01T10:00:00Z`, `…+09:00`)",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Timestamp {}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_zones_and_rejects_zoneless_times() {
        assert_eq!(
            Timestamp::parse("1970-01-01T00:00:01Z").unwrap(),
            Timestamp(1000)
        );
        // 09:00 at +09:00 is midnight UTC.
        assert_eq!(
            Timestamp::parse("1970-01-01T09:00:00+09:00").unwrap(),
            Timestamp(0)
        );
        let e = Timestamp::parse("2024-01-01T00:40:00").unwrap_err();
        assert!(e.zone_missing, "{e}");
        assert!(e.to_string().contains("has no zone"));
        let e = Timestamp::parse("yesterday").unwrap_err();
        assert!(!e.zone_missing);
    }

    #[test]
    fn multi_byte_text_near_the_zone_is_an_error_not_a_panic() {
        // The probe's crash: a multi-byte character straddling byte 19.
        for s in [
            "2024-05-01T10:00:0é",
            "2024-05-01T10:00:00é",
            "2024-05-01T10:00:日本",
            "2024-05-01 10:00:0\u{1F600}",
        ] {
            let e = Timestamp::parse(s).unwrap_err();
            assert!(
                e.to_string().contains("RFC 3339") || e.zone_missing,
                "{s}: {e}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_names_itself(s in "\\PC{0,40}") {
            match Timestamp::parse(&s) {
                Ok(t) => proptest::prop_assert_eq!(Timestamp::parse(&t.to_string()).ok(), Some(t)),
                Err(e) => {
                    let m = e.to_string();
                    proptest::prop_assert!(m.contains("RFC 3339"), "{}", m);
                    proptest::prop_assert!(!m.contains('\u{0}'), "{}", m);
                }
            }
        }

        #[test]
        fn mutated_times_never_panic(pos in 0usize..30, c in proptest::char::any()) {
            let mut s: Vec<char> = "2024-05-01T10:00:00.250+09:00".chars().collect();
            let at = pos.min(s.len() - 1);
            s[at] = c;
            let s: String = s.into_iter().collect();
            let _ = Timestamp::parse(&s);
        }
    }

    #[test]
    fn display_round_trips() {
        let t = Timestamp::parse("2024-05-01T10:00:00.250Z").unwrap();
        assert_eq!(t.to_string(), "2024-05-01T10:00:00.250Z");
        assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
    }
}
