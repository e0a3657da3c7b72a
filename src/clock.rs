//! Local clock times, parsed and written in one place: "HH:MM" in scenarios and API requests,
//! "2026-11-02T07:00" in roster files, "2026-11-11 14:30" in live plans and vendor plans.
//!
//! A roster counts a shift in minutes after local midnight of its day, so a shift that ends after
//! midnight ends at "25:30": [`Clock`] accepts hours up to 47 where the field allows it.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Minutes after local midnight, written "HH:MM".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Clock(u32);

impl Clock {
    /// The latest clock a field that may run into the next day accepts ("47:59").
    pub const NEXT_DAY_LIMIT: u32 = 48 * 60;

    pub fn from_minutes(minutes: u32) -> Clock {
        Clock(minutes)
    }

    /// The time of day of `minute` after some midnight ("25:30" is written "01:30").
    pub fn of_day(minute: u32) -> Clock {
        Clock(minute % (24 * 60))
    }

    pub fn minutes(self) -> u32 {
        self.0
    }

    /// Parses "HH:MM" with minutes below 60 and the whole time at most `limit` minutes; the error
    /// says what was expected.
    pub fn parse_up_to(text: &str, limit: u32) -> Result<Clock, String> {
        let bad = || {
            format!(
                "expected a local time \"HH:MM\" from 00:00 to {}, got \"{text}\"",
                Clock(limit)
            )
        };
        let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
        if h.is_empty() || m.len() != 2 || h.len() > 2 {
            return Err(bad());
        }
        let h: u32 = h.parse().map_err(|_| bad())?;
        let m: u32 = m.parse().map_err(|_| bad())?;
        let minutes = h.checked_mul(60).and_then(|v| v.checked_add(m));
        match minutes {
            Some(v) if m < 60 && v <= limit => Ok(Clock(v)),
            _ => Err(bad()),
        }
    }

    /// The wall clock of instant `t` in `tz`, counted from midnight of `date` (past 24:00 on
    /// the next day): the inverse of [`crate::live::instant`].
    pub fn on(tz: Tz, date: NaiveDate, t: DateTime<Utc>) -> Clock {
        use chrono::Timelike;
        let local = t.with_timezone(&tz);
        let days = u32::try_from((local.date_naive() - date).num_days()).unwrap_or(0);
        Clock(days * 24 * 60 + local.hour() * 60 + local.minute())
    }

    /// A time of one day: "00:00" to "24:00" (the end of the day).
    pub fn parse_day(text: &str) -> Result<Clock, String> {
        Clock::parse_up_to(text, 24 * 60)
    }
}

impl utoipa::PartialSchema for Clock {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-4]?[0-9]:[0-5][0-9]$"))
            .description(Some(
                "local clock time HH:MM; hours past 23 are the next morning (25:30)",
            ))
            .examples(["08:30"])
            .into()
    }
}

impl utoipa::ToSchema for Clock {}

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl TryFrom<String> for Clock {
    type Error = String;
    fn try_from(text: String) -> Result<Clock, String> {
        Clock::parse_up_to(&text, Clock::NEXT_DAY_LIMIT - 1)
    }
}

impl From<Clock> for String {
    fn from(c: Clock) -> String {
        c.to_string()
    }
}

/// "2026-11-02T07:00" for `minute` after local midnight of `date` (past midnight on the next day).
pub fn local_date_time(date: NaiveDate, minute: u32) -> String {
    let day = date + Duration::days(i64::from(minute / 1440));
    format!("{day}T{}", Clock::of_day(minute))
}

/// "2026-11-11 14:30": an instant on the wall clock of `tz`.
pub fn local(tz: Tz, t: DateTime<Utc>) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_clock_times() {
        assert_eq!(Clock::parse_day("08:05").map(Clock::minutes), Ok(485));
        assert_eq!(Clock::parse_day("24:00").map(Clock::minutes), Ok(1440));
        assert!(Clock::parse_day("24:01").is_err());
        assert!(Clock::parse_day("8").is_err());
        assert!(Clock::parse_day("08:5").is_err());
        assert!(Clock::parse_day("99999999999:00").is_err());
        assert_eq!(
            Clock::try_from("25:30".to_string()).map(Clock::minutes),
            Ok(1530)
        );
        assert!(Clock::try_from("48:00".to_string()).is_err());
        assert_eq!(Clock::from_minutes(1530).to_string(), "25:30");
        assert_eq!(Clock::of_day(1530).to_string(), "01:30");
        let d = NaiveDate::from_ymd_opt(2026, 11, 2).expect("a date");
        assert_eq!(local_date_time(d, 1530), "2026-11-03T01:30");
    }
}
