//! Channels: what contacts arrive through, how long they take, when the channel is open, how much
//! of the rostered time agents really spend on it, and what service it must give.

use super::raw;
use crate::queueing::{QueueModel, Seconds, StaffingTarget};
use crate::time_grid::LocalClock;
use chrono::Weekday;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A channel identifier: lower-case letters, digits, `-` and `_`, as used in CSV files and URLs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ChannelId(String);

impl utoipa::PartialSchema for ChannelId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[a-z0-9_-]{1,40}$"))
            .description(Some("channel id"))
            .into()
    }
}

impl utoipa::ToSchema for ChannelId {}

impl ChannelId {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 40
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if ok {
            Ok(ChannelId(s.to_string()))
        } else {
            Err(format!(
                "`{s}` is not a channel id: use 1–40 lower-case letters, digits, `-` or `_` (e.g. \"voice\")"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How contacts on a channel behave.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChannelKind {
    /// Telephone: one call per agent; callers hang up after their patience (when given).
    Voice { patience: Option<Seconds> },
    /// Chat: up to `max_sessions` sessions per agent, each slower by `slowdown` per extra session.
    Chat {
        max_sessions: u32,
        slowdown: f64,
        patience: Option<Seconds>,
    },
    /// Email and tickets: a backlog answered within a deadline.
    Email,
}

impl ChannelKind {
    pub fn name(&self) -> &'static str {
        match self {
            ChannelKind::Voice { .. } => "voice",
            ChannelKind::Chat { .. } => "chat",
            ChannelKind::Email => "email",
        }
    }

    /// The queueing model for live channels; `None` for deferred work.
    pub fn queue_model(&self) -> Option<QueueModel> {
        match *self {
            ChannelKind::Voice { patience: None } => Some(QueueModel::ErlangC),
            ChannelKind::Voice {
                patience: Some(patience),
            } => Some(QueueModel::ErlangA { patience }),
            ChannelKind::Chat {
                max_sessions,
                slowdown,
                patience,
            } => Some(QueueModel::Chat {
                max_sessions,
                slowdown,
                patience,
            }),
            ChannelKind::Email => None,
        }
    }

    pub fn patience(&self) -> Option<Seconds> {
        match *self {
            ChannelKind::Voice { patience } | ChannelKind::Chat { patience, .. } => patience,
            ChannelKind::Email => None,
        }
    }

    /// Sessions an agent holds at once (1 except for chat).
    pub fn max_sessions(&self) -> u32 {
        match *self {
            ChannelKind::Chat { max_sessions, .. } => max_sessions,
            _ => 1,
        }
    }
}

/// The service a channel must give.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServiceTarget {
    /// Voice and chat: `share` of offered contacts answered within `answer_within`.
    Answered {
        answer_within: Seconds,
        share: f64,
        max_abandon: Option<f64>,
        max_occupancy: Option<f64>,
    },
    /// Email: `share` of the work answered within `within`.
    Deadline { within: Seconds, share: f64 },
}

impl ServiceTarget {
    /// The queueing target for live channels.
    pub fn staffing_target(&self) -> Option<StaffingTarget> {
        match *self {
            ServiceTarget::Answered {
                answer_within,
                share,
                max_abandon,
                max_occupancy,
            } => Some(
                StaffingTarget::new(answer_within, share, max_occupancy, max_abandon)
                    .expect("service targets are validated when the scenario is loaded"),
            ),
            ServiceTarget::Deadline { .. } => None,
        }
    }

    pub fn share(&self) -> f64 {
        match *self {
            ServiceTarget::Answered { share, .. } | ServiceTarget::Deadline { share, .. } => share,
        }
    }

    /// The time within which a contact counts as answered in time.
    pub fn horizon(&self) -> Seconds {
        match *self {
            ServiceTarget::Answered { answer_within, .. } => answer_within,
            ServiceTarget::Deadline { within, .. } => within,
        }
    }

    /// "80 % in 20 s", "95 % in 24 h".
    pub fn describe(&self) -> String {
        let pct = self.share() * 100.0;
        match *self {
            ServiceTarget::Answered { answer_within, .. } => {
                format!("{pct:.0}% in {}s", answer_within.get())
            }
            ServiceTarget::Deadline { within, .. } => {
                format!("{pct:.0}% in {}h", within.get() / 3600.0)
            }
        }
    }
}

/// Opening hours per weekday, as minute ranges `[from, to)` of the local day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpeningHours {
    /// Indexed Monday = 0 … Sunday = 6.
    days: [Vec<(u32, u32)>; 7],
}

impl OpeningHours {
    pub fn is_open(&self, weekday: Weekday, minute_of_day: u32) -> bool {
        self.days[weekday.num_days_from_monday() as usize]
            .iter()
            .any(|&(from, to)| minute_of_day >= from && minute_of_day < to)
    }

    pub fn ranges(&self, weekday: Weekday) -> &[(u32, u32)] {
        &self.days[weekday.num_days_from_monday() as usize]
    }

    /// Every minute boundary used, to check alignment with the interval length.
    fn boundaries(&self) -> impl Iterator<Item = (usize, u32)> + '_ {
        self.days
            .iter()
            .enumerate()
            .flat_map(|(d, ranges)| ranges.iter().flat_map(move |&(a, b)| [(d, a), (d, b)]))
    }
}

/// Share of rostered time not spent on contacts (breaks, meetings, training, absence).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shrinkage {
    default: f64,
    weekday: [Option<f64>; 7],
    windows: Vec<ShrinkageWindow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct ShrinkageWindow {
    /// Empty = every day.
    days: Vec<Weekday>,
    from: u32,
    to: u32,
    value: f64,
}

impl Shrinkage {
    pub fn flat(value: f64) -> Self {
        Shrinkage {
            default: value,
            weekday: [None; 7],
            windows: Vec::new(),
        }
    }

    /// The shrinkage at a local time: the last matching window, else the weekday's, else the default.
    pub fn at(&self, clock: &LocalClock) -> f64 {
        self.windows
            .iter()
            .rev()
            .find(|w| {
                (w.days.is_empty() || w.days.contains(&clock.weekday))
                    && clock.minute_of_day >= w.from
                    && clock.minute_of_day < w.to
            })
            .map(|w| w.value)
            .or(self.weekday[clock.weekday.num_days_from_monday() as usize])
            .unwrap_or(self.default)
    }
}

/// One validated channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Channel {
    pub id: ChannelId,
    pub kind: ChannelKind,
    /// Average handle time (for chat: of a session handled alone).
    pub aht: Seconds,
    pub opening_hours: OpeningHours,
    pub shrinkage: Shrinkage,
    pub target: ServiceTarget,
}

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// A validation failure inside one channel: the field and what was expected.
pub(super) struct FieldError {
    pub field: String,
    pub message: String,
}

pub(super) fn field_error(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

fn positive_seconds(field: &str, v: f64) -> Result<Seconds, FieldError> {
    if v.is_finite() && v > 0.0 {
        Ok(Seconds::new(v).expect("checked positive and finite"))
    } else {
        Err(field_error(
            field,
            format!("expected a number of seconds greater than 0, got {v}"),
        ))
    }
}

fn share_in(field: &str, v: f64, lo_open: f64, hi_closed: f64) -> Result<f64, FieldError> {
    if v.is_finite() && v > lo_open && v <= hi_closed {
        Ok(v)
    } else {
        Err(field_error(
            field,
            format!("expected a share between {lo_open} (exclusive) and {hi_closed}, got {v}"),
        ))
    }
}

fn shrinkage_value(field: &str, v: f64) -> Result<f64, FieldError> {
    if v.is_finite() && (0.0..0.95).contains(&v) {
        Ok(v)
    } else {
        Err(field_error(
            field,
            format!("expected a shrinkage share from 0 to 0.95 (e.g. 0.3 for 30 %), got {v}"),
        ))
    }
}

/// Parses "08:00" (and "24:00" as the end of the day) into minutes.
pub(super) fn parse_clock(field: &str, s: &str) -> Result<u32, FieldError> {
    crate::clock::Clock::parse_day(s)
        .map(crate::clock::Clock::minutes)
        .map_err(|message| field_error(field, message))
}

/// Parses "08:00-22:00", "08:00-12:00, 13:00-20:00" or "closed".
fn parse_day_hours(field: &str, s: &str) -> Result<Vec<(u32, u32)>, FieldError> {
    if s.trim().eq_ignore_ascii_case("closed") {
        return Ok(Vec::new());
    }
    let mut ranges = Vec::new();
    for part in s.split(',') {
        let (a, b) = part.split_once('-').ok_or_else(|| {
            field_error(
                field,
                format!("expected \"HH:MM-HH:MM\" ranges separated by commas, or \"closed\"; got \"{s}\""),
            )
        })?;
        let (from, to) = (parse_clock(field, a)?, parse_clock(field, b)?);
        if from >= to {
            return Err(field_error(
                field,
                format!(
                    "\"{}\" ends before it starts; hours past midnight belong to the next day \
                     (e.g. \"22:00-24:00\" and the next day \"00:00-02:00\")",
                    part.trim()
                ),
            ));
        }
        if ranges.iter().any(|&(f, t)| from < t && f < to) {
            return Err(field_error(
                field,
                format!("\"{}\" overlaps another range", part.trim()),
            ));
        }
        ranges.push((from, to));
    }
    ranges.sort_unstable();
    Ok(ranges)
}

pub(super) fn parse_weekday(field: &str, s: &str) -> Result<Weekday, FieldError> {
    WEEKDAYS
        .iter()
        .find(|(name, _)| *name == s)
        .map(|&(_, d)| d)
        .ok_or_else(|| {
            field_error(
                field,
                format!("expected one of mon, tue, wed, thu, fri, sat, sun; got \"{s}\""),
            )
        })
}

fn opening_hours(raw: &raw::OpeningHours) -> Result<OpeningHours, FieldError> {
    let per_day = [
        &raw.mon, &raw.tue, &raw.wed, &raw.thu, &raw.fri, &raw.sat, &raw.sun,
    ];
    let mut days: [Vec<(u32, u32)>; 7] = Default::default();
    for (d, value) in per_day.iter().enumerate() {
        let (field, text) = match (value, &raw.daily) {
            (Some(v), _) => (format!("opening_hours.{}", WEEKDAYS[d].0), v),
            (None, Some(daily)) => ("opening_hours.daily".to_string(), daily),
            (None, None) => continue,
        };
        days[d] = parse_day_hours(&field, text)?;
    }
    if days.iter().all(Vec::is_empty) {
        return Err(field_error(
            "opening_hours",
            "the channel is never open: give `daily = \"08:00-22:00\"` and/or per-day hours (mon … sun)",
        ));
    }
    Ok(OpeningHours { days })
}

fn shrinkage(raw: &raw::Shrinkage) -> Result<Shrinkage, FieldError> {
    match raw {
        raw::Shrinkage::Flat(v) => Ok(Shrinkage::flat(shrinkage_value("shrinkage", *v)?)),
        raw::Shrinkage::Detailed(t) => {
            let mut weekday = [None; 7];
            for (name, v) in &t.weekday {
                let d = parse_weekday(&format!("shrinkage.weekday.{name}"), name)?;
                weekday[d.num_days_from_monday() as usize] =
                    Some(shrinkage_value(&format!("shrinkage.weekday.{name}"), *v)?);
            }
            let mut windows = Vec::new();
            for (i, w) in t.windows.iter().enumerate() {
                let field = format!("shrinkage.windows[{i}]");
                let from = parse_clock(&format!("{field}.from"), &w.from)?;
                let to = parse_clock(&format!("{field}.to"), &w.to)?;
                if from >= to {
                    return Err(field_error(field, "`from` must be before `to`"));
                }
                let days = w
                    .days
                    .iter()
                    .map(|d| parse_weekday(&format!("{field}.days"), d))
                    .collect::<Result<_, _>>()?;
                windows.push(ShrinkageWindow {
                    days,
                    from,
                    to,
                    value: shrinkage_value(&format!("{field}.value"), w.value)?,
                });
            }
            Ok(Shrinkage {
                default: shrinkage_value("shrinkage.default", t.default)?,
                weekday,
                windows,
            })
        }
    }
}

fn forbid<T>(value: &Option<T>, field: &str, kind: &str, why: &str) -> Result<(), FieldError> {
    match value {
        Some(_) => Err(field_error(
            field,
            format!("`{field}` does not apply to {kind} channels: {why}"),
        )),
        None => Ok(()),
    }
}

fn require<T: Copy>(
    value: Option<T>,
    field: &str,
    kind: &str,
    example: &str,
) -> Result<T, FieldError> {
    value.ok_or_else(|| {
        field_error(
            field,
            format!("a {kind} channel needs `{field}` (e.g. {example})"),
        )
    })
}

fn service_target(raw: &raw::ServiceTarget, is_email: bool) -> Result<ServiceTarget, FieldError> {
    let share = share_in("service_target.share", raw.share, 0.0, 1.0)?;
    if is_email {
        forbid(
            &raw.answered_within_seconds,
            "service_target.answered_within_seconds",
            "email",
            "give `answered_within_hours`",
        )?;
        forbid(
            &raw.max_abandon,
            "service_target.max_abandon",
            "email",
            "email is not abandoned",
        )?;
        forbid(
            &raw.max_occupancy,
            "service_target.max_occupancy",
            "email",
            "email is worked from a backlog",
        )?;
        let hours = require(
            raw.answered_within_hours,
            "service_target.answered_within_hours",
            "email",
            "24",
        )?;
        let within = positive_seconds("service_target.answered_within_hours", hours * 3600.0)?;
        if share < 0.5 {
            return Err(field_error(
                "service_target.share",
                "an email target below 50 % is not a target",
            ));
        }
        return Ok(ServiceTarget::Deadline { within, share });
    }
    forbid(
        &raw.answered_within_hours,
        "service_target.answered_within_hours",
        "live",
        "give `answered_within_seconds`",
    )?;
    let seconds = require(
        raw.answered_within_seconds,
        "service_target.answered_within_seconds",
        "voice or chat",
        "20",
    )?;
    if share >= 1.0 {
        return Err(field_error(
            "service_target.share",
            "a live channel cannot answer 100 % within a time with random arrivals; use e.g. 0.8",
        ));
    }
    let answer_within = Seconds::new(seconds)
        .map_err(|e| field_error("service_target.answered_within_seconds", e.to_string()))?;
    let max_abandon = raw
        .max_abandon
        .map(|v| share_in("service_target.max_abandon", v, 0.0, 0.999))
        .transpose()?;
    let max_occupancy = raw
        .max_occupancy
        .map(|v| share_in("service_target.max_occupancy", v, 0.0, 1.0))
        .transpose()?;
    Ok(ServiceTarget::Answered {
        answer_within,
        share,
        max_abandon,
        max_occupancy,
    })
}

/// Validates one `[[channels]]` table; `interval_minutes` checks opening hours lie on the grid.
pub(super) fn channel(raw: &raw::Channel, interval_minutes: u32) -> Result<Channel, FieldError> {
    let id = ChannelId::parse(&raw.id).map_err(|m| field_error("id", m))?;
    let aht = positive_seconds("aht_seconds", raw.aht_seconds)?;
    let patience = raw
        .patience_seconds
        .map(|p| positive_seconds("patience_seconds", p))
        .transpose()?;
    let kind = match raw.kind.as_str() {
        "voice" => {
            forbid(
                &raw.max_concurrency,
                "max_concurrency",
                "voice",
                "an agent takes one call at a time",
            )?;
            forbid(
                &raw.concurrency_slowdown,
                "concurrency_slowdown",
                "voice",
                "an agent takes one call at a time",
            )?;
            ChannelKind::Voice { patience }
        }
        "chat" => {
            let max_sessions = require(raw.max_concurrency, "max_concurrency", "chat", "3")?;
            if !(1..=20).contains(&max_sessions) {
                return Err(field_error(
                    "max_concurrency",
                    format!("expected 1 to 20 sessions per agent, got {max_sessions}"),
                ));
            }
            let slowdown = raw.concurrency_slowdown.unwrap_or(0.0);
            if !(slowdown.is_finite() && (0.0..=5.0).contains(&slowdown)) {
                return Err(field_error(
                    "concurrency_slowdown",
                    format!(
                        "expected a share from 0 to 5 (0.25 = each extra session makes all 25 % slower), got {slowdown}"
                    ),
                ));
            }
            ChannelKind::Chat {
                max_sessions: max_sessions as u32,
                slowdown,
                patience,
            }
        }
        "email" => {
            forbid(
                &raw.patience_seconds,
                "patience_seconds",
                "email",
                "email does not abandon",
            )?;
            forbid(
                &raw.max_concurrency,
                "max_concurrency",
                "email",
                "email is worked one item at a time",
            )?;
            forbid(
                &raw.concurrency_slowdown,
                "concurrency_slowdown",
                "email",
                "email is worked one item at a time",
            )?;
            ChannelKind::Email
        }
        other => {
            return Err(field_error(
                "kind",
                format!("expected \"voice\", \"chat\" or \"email\", got \"{other}\""),
            ));
        }
    };
    let opening_hours = opening_hours(&raw.opening_hours)?;
    if let Some((d, minute)) = opening_hours
        .boundaries()
        .find(|&(_, m)| m % interval_minutes != 0)
    {
        return Err(field_error(
            "opening_hours",
            format!(
                "{:02}:{:02} (on {}) is not on a {interval_minutes}-minute interval boundary",
                minute / 60,
                minute % 60,
                WEEKDAYS[d].0
            ),
        ));
    }
    let shrinkage = shrinkage(&raw.shrinkage)?;
    let target = service_target(&raw.service_target, matches!(kind, ChannelKind::Email))?;
    if let ServiceTarget::Deadline { within, .. } = target
        && within.get() < f64::from(interval_minutes) * 60.0
    {
        return Err(field_error(
            "service_target.answered_within_hours",
            format!("an email deadline must be at least one interval ({interval_minutes} minutes)"),
        ));
    }
    Ok(Channel {
        id,
        kind,
        aht,
        opening_hours,
        shrinkage,
        target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_hours() {
        assert_eq!(
            parse_day_hours("f", "08:00-22:00").ok(),
            Some(vec![(480, 1320)])
        );
        assert_eq!(parse_day_hours("f", "closed").ok(), Some(vec![]));
        assert_eq!(
            parse_day_hours("f", "13:00-20:00, 08:00-12:00").ok(),
            Some(vec![(480, 720), (780, 1200)])
        );
        assert_eq!(
            parse_day_hours("f", "00:00-24:00").ok(),
            Some(vec![(0, 1440)])
        );
        assert!(
            parse_day_hours("f", "22:00-02:00")
                .err()
                .unwrap()
                .message
                .contains("next day")
        );
        assert!(
            parse_day_hours("f", "08:00-12:00,11:00-13:00")
                .err()
                .unwrap()
                .message
                .contains("overlaps")
        );
        assert!(parse_day_hours("f", "8am-5pm").is_err());
        assert!(parse_day_hours("f", "08:61-09:00").is_err());
    }

    #[test]
    fn channel_ids() {
        assert!(ChannelId::parse("voice_vip-2").is_ok());
        assert!(ChannelId::parse("Voice").is_err());
        assert!(ChannelId::parse("").is_err());
    }
}
