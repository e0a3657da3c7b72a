//! History import: a volume CSV laid out per channel as days × intervals of the local wall clock.
//!
//! The interval (5, 10, 15, 30 or 60 minutes) is inferred from the data: the largest of those that
//! divides every row's local minute of the day. Rows must be in time order per channel; a row
//! earlier than the one before it is refused with its line (duplicates are refused by the reader).
//! With a scenario whose interval is coarser, volumes are summed up to it (handle times weighted by
//! volume).
//!
//! What a cell can be, told apart when the history is laid out ([`DayKind`], [`Cell`]):
//! - a **closed interval** — outside the opening hours (learned, or the scenario's): not forecast;
//! - a **closed day** — a weekday the channel never opens on: not forecast;
//! - a **holiday or outage** — a normally open weekday without a single contact, or a day the
//!   scenario lists as a holiday: kept out of every fit (it is not a zero to learn from);
//! - an **event day** — inside a listed event's window: kept out of the baseline, used for uplift;
//! - an **unusual day** — an open day whose volume lay much further from its weekday's recent level
//!   than ordinary days do (the busy day after a holiday, a quiet day nobody listed): kept out of
//!   the baseline, so that one odd day does not move twelve weeks of forecasts (a level that moved
//!   for good is ordinary again once each weekday has shown it twice);
//! - a **missing interval** — no row for an open interval of an otherwise normal day: left out of
//!   the fit, the rest of the day still counts.
//!
//! Clock changes: a local interval the clocks skip has no row and is missing. Of the two intervals
//! of a repeated local hour (the fall-back night), the first stays in its slot, so that every day
//! has the same slots and the fit sees an ordinary hour; the second is kept apart
//! ([`ChannelHistory::repeated`]), never added into the first, and the forecast gives that second
//! pass a row of its own.

use crate::scenario::{Event, Scenario};
use crate::volumes::{VolumeError, VolumeSeries};
use chrono::{Datelike, NaiveDate, TimeZone, Timelike, Weekday};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// Interval lengths a history may use, in minutes.
pub const INTERVALS: [u32; 5] = [5, 10, 15, 30, 60];

/// One channel's history.
#[derive(Debug, Clone)]
pub struct ChannelHistory {
    pub channel: String,
    /// Consecutive days from the channel's first day with a row to the history's last.
    pub days: Vec<NaiveDate>,
    /// `[day][slot]` volume; `None` where the file has no row.
    pub volume: Vec<Vec<Option<f64>>>,
    /// `[day][slot]` handle time in seconds, where the file gives one.
    pub aht: Vec<Vec<Option<f64>>>,
    /// The second pass of a repeated local hour: `(day, slot)` → its volume, outside `volume`.
    pub repeated: BTreeMap<(usize, usize), f64>,
}

impl ChannelHistory {
    pub fn day_index(&self, day: NaiveDate) -> Option<usize> {
        let first = *self.days.first()?;
        let i = (day - first).num_days();
        (i >= 0 && (i as usize) < self.days.len()).then_some(i as usize)
    }

    /// Total volume of a day (missing intervals count as 0).
    pub fn day_total(&self, d: usize) -> f64 {
        self.volume[d].iter().flatten().sum()
    }
}

/// A whole history file, laid out.
#[derive(Debug, Clone)]
pub struct History {
    pub origin: String,
    pub time_zone: Tz,
    pub interval_minutes: u32,
    pub channels: Vec<ChannelHistory>,
    /// The latest local date-time with data: the end of the last interval of any row.
    pub last_day: NaiveDate,
    /// Slot (exclusive) up to which the last day has data, over all channels.
    pub last_day_slots: usize,
}

impl History {
    pub fn slots_per_day(&self) -> usize {
        (24 * 60 / self.interval_minutes) as usize
    }

    pub fn channel(&self, id: &str) -> Option<&ChannelHistory> {
        self.channels.iter().find(|c| c.channel == id)
    }

    /// Lays out `series`. With `interval_minutes`, the history is summed up to that interval (which
    /// must be a multiple of the inferred one).
    pub fn from_series(
        series: &VolumeSeries,
        time_zone: Tz,
        interval_minutes: Option<u32>,
    ) -> Result<History, VolumeError> {
        let origin = series.origin.clone();
        let coverage = |message: String| VolumeError::Coverage {
            origin: origin.clone(),
            message,
        };
        if series.rows.is_empty() {
            return Err(coverage("the history has no rows".into()));
        }
        // Local wall-clock positions of every row, and whether it is in the second pass of a
        // repeated local hour.
        let (local, second_pass): (Vec<(NaiveDate, u32)>, Vec<bool>) = series
            .rows
            .iter()
            .map(|r| {
                let t = r.timestamp.with_timezone(&time_zone);
                let second = matches!(
                    time_zone.from_local_datetime(&t.naive_local()),
                    chrono::LocalResult::Ambiguous(first, _) if first != t
                );
                ((t.date_naive(), t.hour() * 60 + t.minute()), second)
            })
            .unzip();
        let inferred = INTERVALS
            .iter()
            .rev()
            .copied()
            .find(|&m| local.iter().all(|&(_, minute)| minute % m == 0))
            .ok_or_else(|| {
                let (i, _) = local
                    .iter()
                    .enumerate()
                    .find(|(_, (_, minute))| minute % 5 != 0)
                    .expect("some row is off every grid");
                VolumeError::Row {
                    origin: origin.clone(),
                    line: series.rows[i].line,
                    message: format!(
                        "the timestamp is not on a 5, 10, 15, 30 or 60-minute grid ({} local time); \
                         sum finer data into 5-minute intervals, each row at its interval's start",
                        series.rows[i]
                            .timestamp
                            .with_timezone(&time_zone)
                            .format("%H:%M")
                    ),
                }
            })?;
        // Rows of one channel must come in time order.
        let mut last_seen: BTreeMap<&str, (chrono::DateTime<chrono::Utc>, u64)> = BTreeMap::new();
        for r in &series.rows {
            if let Some(&(before, line)) = last_seen.get(r.channel.as_str())
                && r.timestamp < before
            {
                return Err(VolumeError::Row {
                    origin: origin.clone(),
                    line: r.line,
                    message: format!(
                        "rows of channel `{}` are out of time order: this row is earlier than line {line}",
                        r.channel
                    ),
                });
            }
            last_seen.insert(r.channel.as_str(), (r.timestamp, r.line));
        }
        let interval = match interval_minutes {
            None => inferred,
            Some(m) if m % inferred == 0 => m,
            Some(m) if m < inferred => {
                return Err(coverage(format!(
                    "the history has {inferred}-minute intervals, coarser than the {m} minutes asked for; \
                     it cannot be split"
                )));
            }
            Some(m) => {
                return Err(coverage(format!(
                    "the history's {inferred}-minute intervals do not add up to {m} minutes"
                )));
            }
        };
        let slots = (24 * 60 / interval) as usize;

        let first_day = local.iter().map(|l| l.0).min().expect("rows");
        let last_day = local.iter().map(|l| l.0).max().expect("rows");
        let n_days = (last_day - first_day).num_days() as usize + 1;
        let mut order: Vec<String> = Vec::new();
        for r in &series.rows {
            if !order.contains(&r.channel) {
                order.push(r.channel.clone());
            }
        }
        let mut channels: Vec<ChannelHistory> = order
            .iter()
            .map(|c| ChannelHistory {
                channel: c.clone(),
                days: first_day.iter_days().take(n_days).collect(),
                volume: vec![vec![None; slots]; n_days],
                aht: vec![vec![None; slots]; n_days],
                repeated: BTreeMap::new(),
            })
            .collect();
        // Handle time is averaged weighted by volume: keep Σ aht·volume alongside.
        let mut aht_work = vec![vec![vec![0.0; slots]; n_days]; order.len()];
        let mut last_day_slots = 0;
        for ((r, &(day, minute)), &second) in series.rows.iter().zip(&local).zip(&second_pass) {
            let c = order.iter().position(|o| o == &r.channel).expect("listed");
            let d = (day - first_day).num_days() as usize;
            let s = (minute / interval) as usize;
            if second {
                *channels[c].repeated.entry((d, s)).or_insert(0.0) += r.volume;
                continue;
            }
            let cell = &mut channels[c].volume[d][s];
            *cell = Some(cell.unwrap_or(0.0) + r.volume);
            if let Some(aht) = r.aht_seconds {
                aht_work[c][d][s] += aht * r.volume;
                let weight = channels[c].volume[d][s].unwrap_or(0.0);
                channels[c].aht[d][s] = if weight > 0.0 {
                    Some(aht_work[c][d][s] / weight)
                } else {
                    Some(aht)
                };
            }
            if day == last_day {
                last_day_slots = last_day_slots.max(s + 1);
            }
        }
        // A channel's days begin at its own first row: a channel added to the file later (a chat
        // line opened last month) has no days before it, not months of days without a contact.
        for ch in &mut channels {
            let has_rows = |d: usize| {
                ch.volume[d].iter().any(Option::is_some) || ch.repeated.keys().any(|k| k.0 == d)
            };
            let first = (0..n_days).find(|&d| has_rows(d)).unwrap_or(0);
            if first > 0 {
                ch.days.drain(..first);
                ch.volume.drain(..first);
                ch.aht.drain(..first);
                ch.repeated = std::mem::take(&mut ch.repeated)
                    .into_iter()
                    .map(|((d, s), v)| ((d - first, s), v))
                    .collect();
            }
        }
        // Whether the last day is complete is judged against the learned opening hours later; here it
        // is only recorded how far it goes.
        Ok(History {
            origin: series.origin.clone(),
            time_zone,
            interval_minutes: interval,
            channels,
            last_day,
            last_day_slots,
        })
    }
}

/// What a day of a channel's history is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// An ordinary open day: the baseline learns from it.
    Normal,
    /// A weekday the channel never opens on.
    Closed,
    /// A listed holiday, or a normally open weekday without a single contact (holiday or outage).
    Holiday,
    /// Inside the window of a listed event (index into the scenario's events).
    Event(usize),
    /// Too much of the day is missing to learn from (less than half of its usual volume share).
    Incomplete,
    /// An open day whose volume lay far from its weekday's recent level (a day after a holiday, an
    /// outage or a quiet holiday nobody listed): kept out of learning like an event day.
    Unusual,
}

/// When a channel is open, per weekday and slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    /// `[weekday from Monday][slot]`.
    pub open: [Vec<bool>; 7],
}

impl Calendar {
    pub fn is_open(&self, day: NaiveDate, slot: usize) -> bool {
        self.open[weekday_index(day.weekday())][slot]
    }

    pub fn open_on(&self, day: NaiveDate) -> bool {
        self.open[weekday_index(day.weekday())].iter().any(|&o| o)
    }

    /// Opening hours learned from history: for each weekday, from the first to the last slot that has
    /// contacts on at least a fifth of that weekday's days with any contacts. Weekdays with contacts
    /// on fewer than a fifth of their days are closed.
    pub fn learn(history: &ChannelHistory, slots: usize) -> Calendar {
        let mut open: [Vec<bool>; 7] = std::array::from_fn(|_| vec![false; slots]);
        for (w, row) in open.iter_mut().enumerate() {
            let days: Vec<usize> = (0..history.days.len())
                .filter(|&d| weekday_index(history.days[d].weekday()) == w)
                .collect();
            let active: Vec<usize> = days
                .iter()
                .copied()
                .filter(|&d| history.day_total(d) > 0.0)
                .collect();
            if days.is_empty() || active.len() * 5 < days.len() {
                continue;
            }
            let busy = |s: usize| {
                let hits = active
                    .iter()
                    .filter(|&&d| history.volume[d][s].is_some_and(|v| v > 0.0))
                    .count();
                hits * 5 >= active.len()
            };
            let first = (0..slots).find(|&s| busy(s));
            let last = (0..slots).rev().find(|&s| busy(s));
            if let (Some(a), Some(b)) = (first, last) {
                row[a..=b].iter_mut().for_each(|o| *o = true);
            }
        }
        Calendar { open }
    }

    /// The scenario's opening hours on a grid of `interval` minutes.
    pub fn from_opening_hours(
        hours: &crate::scenario::OpeningHours,
        interval: u32,
        around_the_clock: bool,
    ) -> Calendar {
        let slots = (24 * 60 / interval) as usize;
        let open = std::array::from_fn(|w| {
            let weekday = Weekday::try_from(w as u8).expect("0..7");
            (0..slots)
                .map(|s| around_the_clock || hours.is_open(weekday, s as u32 * interval))
                .collect()
        });
        Calendar { open }
    }
}

pub fn weekday_index(w: Weekday) -> usize {
    w.num_days_from_monday() as usize
}

/// Classifies every day of a channel's history.
pub fn classify_days(
    history: &ChannelHistory,
    calendar: &Calendar,
    holidays: &std::collections::BTreeSet<NaiveDate>,
    events: &[Event],
) -> Vec<DayKind> {
    // The usual share of each weekday's volume per slot, to judge how much of a day is missing.
    let slots = calendar.open[0].len();
    let mut share = [(); 7].map(|_| vec![0.0; slots]);
    for (d, day) in history.days.iter().enumerate() {
        let w = weekday_index(day.weekday());
        for s in 0..slots {
            share[w][s] += history.volume[d][s].unwrap_or(0.0);
        }
    }
    for row in &mut share {
        let total: f64 = row.iter().sum();
        if total > 0.0 {
            row.iter_mut().for_each(|v| *v /= total);
        }
    }
    // The share of its weekday's usual volume each day has rows for.
    let present: Vec<f64> = (0..history.days.len())
        .map(|d| {
            let w = weekday_index(history.days[d].weekday());
            (0..slots)
                .filter(|&s| history.volume[d][s].is_some())
                .map(|s| share[w][s])
                .sum()
        })
        .collect();
    let mut kinds: Vec<DayKind> = history
        .days
        .iter()
        .enumerate()
        .map(|(d, &day)| {
            if let Some(e) = events.iter().position(|e| e.covers(day)) {
                return DayKind::Event(e);
            }
            if !calendar.open_on(day) {
                return DayKind::Closed;
            }
            if holidays.contains(&day) || history.day_total(d) == 0.0 {
                return DayKind::Holiday;
            }
            if present[d] < 0.5 {
                DayKind::Incomplete
            } else {
                DayKind::Normal
            }
        })
        .collect();
    let totals: Vec<f64> = (0..history.days.len())
        .map(|d| history.day_total(d) / present[d].max(0.5))
        .collect();
    mark_unusual(&history.days, &totals, &mut kinds);
    kinds
}

/// Same-weekday days back whose median is a day's recent level.
const UNUSUAL_LOOKBACK: usize = 6;

/// A day is unusual when its total lies at least this far from its weekday's recent level (as a
/// ratio, either way) ...
const UNUSUAL_RATIO: f64 = 1.25;

/// ... and further than this many robust standard deviations of how far days lie from it.
const UNUSUAL_DEVIATIONS: f64 = 4.0;

/// Unusual days of one weekday in a row, all on the same side, that mean its level has moved: they
/// and the days after them are ordinary again.
const UNUSUAL_RUN: usize = 2;

/// Marks as [`DayKind::Unusual`] the ordinary days whose total (`totals`, scaled up for missing
/// intervals) lies far from the median of their weekday's last [`UNUSUAL_LOOKBACK`] ordinary days.
///
/// Only the days before it judge a day's level; "far" adapts to the series: at least ±25 %, and at
/// least four robust standard deviations of how far the history's ordinary days lie from their
/// same-weekday neighbours (1.4826 × the median absolute log ratio), so that a small, noisy channel
/// or one whose level wanders is not stripped of its ordinary swings. A level that really moved is not
/// unusual for long: [`UNUSUAL_RUN`] unusual days of a weekday in a row on the same side become
/// ordinary and the new level's.
fn mark_unusual(days: &[NaiveDate], totals: &[f64], kinds: &mut [DayKind]) {
    let judged: Vec<usize> = (0..days.len())
        .filter(|&d| kinds[d] == DayKind::Normal && totals[d] > 0.0)
        .collect();
    // How far ordinary days lie from their weekday's level, over the whole history: each day
    // against the median of the two same-weekday days before and the two after it (a level that
    // steps once moves only the days beside the step, not the scale).
    let mut by_weekday: [Vec<usize>; 7] = Default::default();
    for &d in &judged {
        by_weekday[weekday_index(days[d].weekday())].push(d);
    }
    let mut deviations: Vec<f64> = Vec::new();
    for same in &by_weekday {
        for (i, &d) in same.iter().enumerate() {
            let around: Vec<f64> = same[i.saturating_sub(2)..(i + 3).min(same.len())]
                .iter()
                .filter(|&&e| e != d)
                .map(|&e| totals[e])
                .collect();
            if around.len() >= 3 {
                deviations.push((totals[d] / median(&around)).ln().abs());
            }
        }
    }
    if deviations.len() < 10 {
        return;
    }
    let limit = UNUSUAL_RATIO
        .ln()
        .max(UNUSUAL_DEVIATIONS * 1.4826 * median(&deviations));
    let mut kept: [Vec<f64>; 7] = Default::default();
    let mut run: [Vec<usize>; 7] = Default::default();
    for &d in &judged {
        let w = weekday_index(days[d].weekday());
        if kept[w].len() < 3 {
            kept[w].push(totals[d]);
            continue;
        }
        let level = median(&kept[w][kept[w].len().saturating_sub(UNUSUAL_LOOKBACK)..]);
        let x = (totals[d] / level).ln();
        if x.abs() <= limit {
            kept[w].push(totals[d]);
            run[w].clear();
            continue;
        }
        let same_side = run[w]
            .last()
            .is_none_or(|&r| (totals[r] > level) == (x > 0.0));
        if !same_side {
            run[w].clear();
        }
        run[w].push(d);
        if run[w].len() >= UNUSUAL_RUN {
            for r in std::mem::take(&mut run[w]) {
                kinds[r] = DayKind::Normal;
                kept[w].push(totals[r]);
            }
        } else {
            kinds[d] = DayKind::Unusual;
        }
    }
}

/// The median of `values` (not empty).
pub(super) fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Reads a history for a scenario: every channel must be one of the scenario's, and every scenario
/// channel must have history.
pub fn for_scenario(series: &VolumeSeries, scenario: &Scenario) -> Result<History, VolumeError> {
    for r in &series.rows {
        if scenario.channel(&r.channel).is_none() {
            return Err(VolumeError::Row {
                origin: series.origin.clone(),
                line: r.line,
                message: format!(
                    "unknown channel `{}`; the scenario has {}",
                    r.channel,
                    scenario.channel_list()
                ),
            });
        }
    }
    let history = History::from_series(
        series,
        scenario.time_zone,
        Some(scenario.interval.minutes()),
    )?;
    for c in &scenario.channels {
        if history.channel(c.id.as_str()).is_none() {
            return Err(VolumeError::Coverage {
                origin: series.origin.clone(),
                message: format!(
                    "the history has no rows for channel `{}`; a forecast needs its history",
                    c.id
                ),
            });
        }
    }
    Ok(history)
}
