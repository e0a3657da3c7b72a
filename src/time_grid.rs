//! The planning grid: fixed-length intervals over the horizon, labelled in the scenario's time zone.
//!
//! Intervals are steps of absolute time from local midnight of the first day to local midnight after
//! the last, so a day with a daylight-saving change has 23 or 25 hours of intervals and no interval is
//! counted twice. Opening hours and shrinkage are looked up by each interval's local wall-clock start.

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::Serialize;

/// Interval length: 15 or 30 minutes, the granularity contact centres plan in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct IntervalLength(u32);

impl IntervalLength {
    pub const ALLOWED_MINUTES: [u32; 2] = [15, 30];

    pub fn from_minutes(minutes: u32) -> Option<Self> {
        Self::ALLOWED_MINUTES
            .contains(&minutes)
            .then_some(IntervalLength(minutes))
    }

    pub fn minutes(self) -> u32 {
        self.0
    }

    pub fn seconds(self) -> f64 {
        f64::from(self.0) * 60.0
    }

    pub fn duration(self) -> Duration {
        Duration::minutes(i64::from(self.0))
    }
}

/// Every interval of a horizon, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeGrid {
    tz: Tz,
    start: DateTime<Utc>,
    length: IntervalLength,
    count: usize,
}

/// Local midnight of `date`, or the first instant of that day when midnight does not exist.
pub fn local_midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    match tz.from_local_datetime(&midnight) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => {
            // A spring-forward at midnight: the day starts at the first valid minute.
            (1..=180)
                .find_map(|m| {
                    tz.from_local_datetime(&(midnight + Duration::minutes(m)))
                        .earliest()
                })
                .expect("a daylight-saving gap is shorter than three hours")
                .with_timezone(&Utc)
        }
    }
}

/// A wall-clock time of a local day as the time zone has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WallClock {
    /// The time happens once.
    Exact(DateTime<Utc>),
    /// Clocks went back over it: it happens twice; the earlier instant.
    Repeated(DateTime<Utc>),
    /// Clocks went forward over it: it never happens; the instant the clocks jumped to.
    Skipped(DateTime<Utc>),
}

impl WallClock {
    /// `minute` minutes of clock time after midnight of `date` (past 24:00 for the next days).
    pub fn at(tz: Tz, date: NaiveDate, minute: u32) -> WallClock {
        let naive = date.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minute));
        match tz.from_local_datetime(&naive) {
            chrono::LocalResult::Single(t) => WallClock::Exact(t.with_timezone(&Utc)),
            chrono::LocalResult::Ambiguous(first, _) => {
                WallClock::Repeated(first.with_timezone(&Utc))
            }
            chrono::LocalResult::None => WallClock::Skipped(
                (1..=180)
                    .find_map(|m| {
                        tz.from_local_datetime(&(naive + Duration::minutes(m)))
                            .earliest()
                    })
                    .expect("a daylight-saving gap is shorter than three hours")
                    .with_timezone(&Utc),
            ),
        }
    }

    /// The instant: the earlier of a repeated time, the end of the jump for a skipped one.
    pub fn instant(self) -> DateTime<Utc> {
        match self {
            WallClock::Exact(t) | WallClock::Repeated(t) | WallClock::Skipped(t) => t,
        }
    }

    pub fn is_exact(self) -> bool {
        matches!(self, WallClock::Exact(_))
    }
}

impl TimeGrid {
    /// Intervals from local midnight of `first_day` to local midnight after `last_day` (inclusive).
    pub fn new(tz: Tz, first_day: NaiveDate, last_day: NaiveDate, length: IntervalLength) -> Self {
        let start = local_midnight(tz, first_day);
        let end = local_midnight(
            tz,
            last_day
                .succ_opt()
                .expect("dates are far from chrono's limits"),
        );
        let span = (end - start).num_seconds().max(0) as u64;
        let count = (span / u64::from(length.minutes() * 60)) as usize;
        TimeGrid {
            tz,
            start,
            length,
            count,
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn length(&self) -> IntervalLength {
        self.length
    }

    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// Start of interval `i`.
    pub fn start_of(&self, i: usize) -> DateTime<Utc> {
        self.start + self.length.duration() * i as i32
    }

    /// Start of interval `i` in the scenario's time zone.
    pub fn local_start_of(&self, i: usize) -> DateTime<Tz> {
        self.start_of(i).with_timezone(&self.tz)
    }

    /// The interval that starts exactly at `t`, if any.
    pub fn index_of(&self, t: DateTime<Utc>) -> Option<usize> {
        let offset = (t - self.start).num_seconds();
        let step = i64::from(self.length.minutes()) * 60;
        if offset < 0 || offset % step != 0 {
            return None;
        }
        let i = (offset / step) as usize;
        (i < self.count).then_some(i)
    }

    /// Whether `t` lies on an interval boundary of this grid (inside or outside the horizon).
    pub fn is_aligned(&self, t: DateTime<Utc>) -> bool {
        (t - self.start).num_seconds() % (i64::from(self.length.minutes()) * 60) == 0
    }

    /// Whether `t` falls inside the horizon.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        t >= self.start && t < self.start_of(self.count)
    }

    /// Local weekday and minute of day of interval `i`'s start.
    pub fn local_clock(&self, i: usize) -> LocalClock {
        let local = self.local_start_of(i);
        LocalClock {
            date: local.date_naive(),
            weekday: local.weekday(),
            minute_of_day: local.hour() * 60 + local.minute(),
        }
    }
}

/// Where an interval starts on the local wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalClock {
    pub date: NaiveDate,
    pub weekday: Weekday,
    pub minute_of_day: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_clock_times_of_clock_change_days() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        // Spring: 02:30 on 29 March never happens; the clocks jump to 03:00 CEST (01:00 UTC).
        let skipped = WallClock::at(berlin, day(3, 29), 150);
        assert!(matches!(skipped, WallClock::Skipped(_)) && !skipped.is_exact());
        assert_eq!(skipped.instant().to_rfc3339(), "2026-03-29T01:00:00+00:00");
        // Autumn: 02:30 on 25 October happens twice; the earlier is 00:30 UTC.
        let repeated = WallClock::at(berlin, day(10, 25), 150);
        assert!(matches!(repeated, WallClock::Repeated(_)));
        assert_eq!(repeated.instant().to_rfc3339(), "2026-10-25T00:30:00+00:00");
        // 07:00 wall clock on the 25-hour day is 06:00 UTC, eight hours after midnight.
        let seven = WallClock::at(berlin, day(10, 25), 7 * 60);
        assert_eq!(
            seven,
            WallClock::Exact("2026-10-25T06:00:00Z".parse().unwrap())
        );
        assert_eq!(
            (seven.instant() - local_midnight(berlin, day(10, 25))).num_hours(),
            8
        );
        // A night shift's end past midnight lands on the next day's clock.
        assert_eq!(
            WallClock::at(berlin, day(10, 24), 26 * 60)
                .instant()
                .to_rfc3339(),
            "2026-10-25T00:00:00+00:00"
        );
    }

    #[test]
    fn a_week_of_half_hours() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        let grid = TimeGrid::new(
            chrono_tz::Asia::Shanghai,
            d(9),
            d(15),
            IntervalLength::from_minutes(30).unwrap(),
        );
        assert_eq!(grid.len(), 7 * 48);
        assert_eq!(
            grid.local_start_of(0).to_rfc3339(),
            "2026-11-09T00:00:00+08:00"
        );
        assert_eq!(grid.index_of(grid.start_of(17)), Some(17));
        assert_eq!(
            grid.index_of(grid.start_of(17) + Duration::minutes(1)),
            None
        );
        assert_eq!(grid.local_clock(17).minute_of_day, 17 * 30);
        assert_eq!(grid.local_clock(48).weekday, Weekday::Tue);
    }

    #[test]
    fn daylight_saving_days_have_their_real_length() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let quarter = IntervalLength::from_minutes(15).unwrap();
        // Europe/Berlin: 29 March 2026 has 23 hours, 25 October 2026 has 25.
        let spring = TimeGrid::new(chrono_tz::Europe::Berlin, d(3, 29), d(3, 29), quarter);
        assert_eq!(spring.len(), 23 * 4);
        let autumn = TimeGrid::new(chrono_tz::Europe::Berlin, d(10, 25), d(10, 25), quarter);
        assert_eq!(autumn.len(), 25 * 4);
        // 02:00–03:00 local happens twice; both stretches are in the grid, once each.
        assert_eq!(autumn.local_clock(8).minute_of_day, 120);
        assert_eq!(autumn.local_clock(12).minute_of_day, 120);
    }

    #[test]
    fn only_fifteen_and_thirty_minutes() {
        assert!(IntervalLength::from_minutes(15).is_some());
        assert!(IntervalLength::from_minutes(30).is_some());
        assert!(IntervalLength::from_minutes(60).is_none());
        assert!(IntervalLength::from_minutes(0).is_none());
    }
}
