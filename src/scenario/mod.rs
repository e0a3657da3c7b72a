//! The planning scenario, read from `models/*.toml` and validated on load ("parse, don't validate").
//!
//! A [`Scenario`] can only be built from a file that is right in every field: unknown keys, values out
//! of range and rules that contradict each other are refused with the file, line, column and field and
//! what was expected. Downstream code never checks a scenario again.
//!
//! The format (see `models/promo-peak.toml` for a documented sample): top-level `name`, `time_zone`
//! (IANA), `interval_minutes` (15 or 30), `[horizon]` with `start` and `end` dates (both planned), and
//! one `[[channels]]` table per channel. Shift templates, core agents, vendors and events will be
//! further top-level tables beside `channels`.

mod channel;
mod raw;
mod workforce;

pub use channel::{Channel, ChannelId, ChannelKind, OpeningHours, ServiceTarget, Shrinkage};
pub use workforce::{Agent, BreakRule, Contract, Overtime, ShiftTemplate, Unavailable, Vendor};

use crate::time_grid::{IntervalLength, TimeGrid};
use chrono::NaiveDate;
use chrono_tz::Tz;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The planned days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Horizon {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// The longest planning horizon, in days.
pub const MAX_HORIZON_DAYS: usize = 400;

/// The longest event, in days from its start to its end: a quarter.
pub const MAX_EVENT_DAYS: i64 = 92;

impl Horizon {
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.start.iter_days().take_while(move |d| d <= &self.end)
    }

    pub fn day_count(&self) -> usize {
        (self.end - self.start).num_days() as usize + 1
    }
}

/// A validated planning problem.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub time_zone: Tz,
    pub horizon: Horizon,
    pub interval: IntervalLength,
    /// The volume history the forecast learns from (`history = "…"`, relative to the scenario file).
    pub history: Option<PathBuf>,
    /// The scenario line of `history = "…"`, for errors about that file.
    pub history_line: Option<usize>,
    /// Days the centre is closed (public holidays): kept out of every fit, forecast as closed.
    pub holidays: BTreeSet<NaiveDate>,
    /// Holidays the centre opens on with less volume ("open but quiet"): kept out of every fit,
    /// forecast as an ordinary day times the factor learned from the past ones (or `quiet_factor`).
    pub quiet_holidays: BTreeSet<NaiveDate>,
    /// The manual factor of quiet holidays, when the history has none to learn it from.
    pub quiet_factor: Option<f64>,
    /// The manual factor of the first day open after a holiday (the contacts it turned away come
    /// then), when the history has no such day to learn it from.
    pub after_holiday_factor: Option<f64>,
    /// In the order of the file; ids are unique.
    pub channels: Vec<Channel>,
    /// Promotions and other events, past and future, in the order of the file; names are unique.
    pub events: Vec<Event>,
    /// The day the plan is made: vendor notice periods count from its start.
    pub plan_date: Option<NaiveDate>,
    /// The ISO 4217 code money is in (`EUR`, `CNY`); money is shown without one when absent.
    pub currency: Option<String>,
    /// Shift templates, ids unique.
    pub shift_templates: Vec<ShiftTemplate>,
    /// Named core agents, groups expanded, ids unique.
    pub agents: Vec<Agent>,
    /// Elastic vendors, ids unique.
    pub vendors: Vec<Vendor>,
}

/// A promotion or other event that moves volume: `[[events]]`.
///
/// Past occurrences (in the history) teach the forecaster an uplift curve per tag and channel; a
/// future occurrence gets that curve, or the manual `multiplier` for a channel when one is given.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: String,
    /// Occurrences of the same promotion share a tag (e.g. "double-11").
    pub tag: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Days before `start` and after `end` the event also moves volume (pre-sale, delivery questions).
    pub days_before: u32,
    pub days_after: u32,
    /// Manual volume multiplier per channel id, overriding the learned curve for that channel.
    pub multiplier: BTreeMap<String, f64>,
    /// Manual multipliers for the `days_before` and the `days_after` (per channel; 1 where not
    /// given): a pre-sale lull or the delivery questions after the event.
    pub multiplier_before: BTreeMap<String, f64>,
    pub multiplier_after: BTreeMap<String, f64>,
}

impl Event {
    /// First and last day the event affects, both included.
    pub fn window(&self) -> (NaiveDate, NaiveDate) {
        (
            self.start - chrono::Days::new(u64::from(self.days_before)),
            self.end + chrono::Days::new(u64::from(self.days_after)),
        )
    }

    pub fn covers(&self, day: NaiveDate) -> bool {
        let (first, last) = self.window();
        first <= day && day <= last
    }
}

/// Why a scenario was refused.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    // The OS message is part of this one (not a source), so a printed chain says it once.
    #[error("cannot read scenario {path}: {reason}")]
    Io {
        path: String,
        reason: std::io::Error,
    },
    #[error("{origin}:{line}:{column}: {}{message}{}", field.as_ref().map(|f| format!("`{f}`: ")).unwrap_or_default(), snippet_suffix(.line, .snippet))]
    Invalid {
        origin: String,
        line: usize,
        column: usize,
        field: Option<String>,
        message: String,
        snippet: String,
    },
}

fn snippet_suffix(line: &usize, snippet: &str) -> String {
    if snippet.is_empty() {
        String::new()
    } else {
        format!("\n  {line:>4} | {snippet}")
    }
}

/// Where in the text an error points.
struct Locator<'a> {
    origin: &'a str,
    text: &'a str,
}

impl Locator<'_> {
    /// Narrows `span` (a table) to where the dotted `path` of keys is written inside it, so an error
    /// points at the offending line rather than at the table header.
    fn find_key(&self, span: Range<usize>, path: &str) -> Range<usize> {
        // The table runs from its header to the next header (or the end of the file).
        let body_start = (span.start + 1).min(self.text.len());
        let end = self.text[body_start..]
            .find("\n[")
            .map_or(self.text.len(), |i| body_start + i);
        let mut at = span.start;
        for key in path.split('.') {
            let key = key.split('[').next().unwrap_or(key);
            let window = &self.text[at..end];
            let found = window.match_indices(key).find(|&(i, _)| {
                let before_ok = window[..i]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
                let after = window[i + key.len()..].trim_start_matches([' ', '\t']);
                before_ok && after.starts_with('=')
            });
            match found {
                Some((i, _)) => at += i,
                None => break,
            }
        }
        at..end
    }

    fn error(
        &self,
        span: Option<Range<usize>>,
        field: Option<String>,
        message: impl fmt::Display,
    ) -> ScenarioError {
        let start = span.map_or(0, |s| s.start.min(self.text.len()));
        let before = &self.text[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        let snippet = self.text[line_start..]
            .lines()
            .next()
            .unwrap_or("")
            .trim_end()
            .to_string();
        ScenarioError::Invalid {
            origin: self.origin.to_string(),
            line,
            column,
            field,
            message: message.to_string(),
            snippet,
        }
    }
}

/// A TOML date without time or offset.
fn plain_date(v: &toml::value::Datetime) -> Option<NaiveDate> {
    match (v.date, v.time, v.offset) {
        (Some(d), None, None) => {
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
        }
        _ => None,
    }
}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|reason| ScenarioError::Io {
            path: path.display().to_string(),
            reason,
        })?;
        let mut scenario = Scenario::parse(&text, &path.display().to_string())?;
        if let (Some(history), Some(dir)) = (&scenario.history, path.parent())
            && history.is_relative()
        {
            scenario.history = Some(dir.join(history));
        }
        Ok(scenario)
    }

    /// Validates scenario text; `origin` names it in errors (usually the file path).
    pub fn parse(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
        let at = Locator { origin, text };
        let raw: raw::Scenario =
            toml::from_str(text).map_err(|e| at.error(e.span(), None, e.message().trim_end()))?;

        let name = raw.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(at.error(
                Some(raw.name.span()),
                Some("name".into()),
                "the plan needs a name",
            ));
        }
        let time_zone: Tz = raw.time_zone.get_ref().parse().map_err(|_| {
            at.error(
                Some(raw.time_zone.span()),
                Some("time_zone".into()),
                format!(
                    "unknown time zone \"{}\"; expected an IANA name such as \"Europe/Berlin\" or \"Asia/Shanghai\"",
                    raw.time_zone.get_ref()
                ),
            )
        })?;
        let interval =
            IntervalLength::from_minutes(*raw.interval_minutes.get_ref()).ok_or_else(|| {
                at.error(
                    Some(raw.interval_minutes.span()),
                    Some("interval_minutes".into()),
                    format!("expected 15 or 30, got {}", raw.interval_minutes.get_ref()),
                )
            })?;

        let horizon_span = raw.horizon.span();
        let date =
            |field: &str, v: &Spanned<toml::value::Datetime>| -> Result<NaiveDate, ScenarioError> {
                let span = v.span();
                let v = v.get_ref();
                plain_date(v).ok_or_else(|| {
                    at.error(
                        Some(span),
                        Some(format!("horizon.{field}")),
                        format!("expected a date such as 2026-11-09 (no time, no quotes), got {v}"),
                    )
                })
            };
        let horizon = Horizon {
            start: date("start", &raw.horizon.get_ref().start)?,
            end: date("end", &raw.horizon.get_ref().end)?,
        };
        if horizon.end < horizon.start {
            // At the `end` line, the value that is wrong.
            return Err(at.error(
                Some(raw.horizon.get_ref().end.span()),
                Some("horizon.end".into()),
                format!(
                    "the horizon ends ({}) before it starts ({})",
                    horizon.end, horizon.start
                ),
            ));
        }
        if horizon.day_count() > MAX_HORIZON_DAYS {
            return Err(at.error(
                Some(horizon_span),
                Some("horizon".into()),
                format!(
                    "{} days is longer than a planning horizon can be (at most {MAX_HORIZON_DAYS})",
                    horizon.day_count()
                ),
            ));
        }

        if raw.channels.is_empty() {
            return Err(at.error(
                None,
                Some("channels".into()),
                "the scenario has no [[channels]]",
            ));
        }
        let mut channels: Vec<Channel> = Vec::with_capacity(raw.channels.len());
        for spanned in &raw.channels {
            let c = channel::channel(spanned.get_ref(), interval.minutes()).map_err(|e| {
                at.error(
                    Some(at.find_key(spanned.span(), &e.field)),
                    Some(format!("channels[{}].{}", spanned.get_ref().id, e.field)),
                    e.message,
                )
            })?;
            if channels.iter().any(|other| other.id == c.id) {
                return Err(at.error(
                    Some(spanned.span()),
                    Some(format!("channels[{}].id", c.id)),
                    "this channel id is used twice",
                ));
            }
            channels.push(c);
        }

        let history = match &raw.history {
            Some(h) if h.get_ref().trim().is_empty() => {
                return Err(at.error(
                    Some(h.span()),
                    Some("history".into()),
                    "expected the path of a volume CSV, got an empty string",
                ));
            }
            Some(h) => Some(PathBuf::from(h.get_ref().trim())),
            None => None,
        };
        let history_line = raw
            .history
            .as_ref()
            .map(|h| text[..h.span().start.min(text.len())].matches('\n').count() + 1);

        let dates = |list: &Option<Spanned<Vec<toml::value::Datetime>>>,
                     key: &str|
         -> Result<BTreeSet<NaiveDate>, ScenarioError> {
            let mut out = BTreeSet::new();
            if let Some(list) = list {
                for v in list.get_ref() {
                    let day = plain_date(v).ok_or_else(|| {
                        at.error(
                            Some(list.span()),
                            Some(key.into()),
                            format!(
                                "expected dates such as 2026-01-01 (no time, no quotes), got {v}"
                            ),
                        )
                    })?;
                    out.insert(day);
                }
            }
            Ok(out)
        };
        let holidays = dates(&raw.holidays, "holidays")?;
        let quiet_holidays = dates(&raw.quiet_holidays, "quiet_holidays")?;
        if let (Some(day), Some(list)) = (
            quiet_holidays.intersection(&holidays).next(),
            &raw.quiet_holidays,
        ) {
            return Err(at.error(
                Some(list.span()),
                Some("quiet_holidays".into()),
                format!("{day} is listed as closed (`holidays`) and as open but quiet; keep one"),
            ));
        }
        let factor = |f: &Option<Spanned<f64>>, field: &str, most: f64| match f {
            None => Ok(None),
            Some(f) => {
                let v = *f.get_ref();
                if v > 0.0 && v <= most {
                    Ok(Some(v))
                } else {
                    Err(at.error(
                        Some(f.span()),
                        Some(field.into()),
                        format!(
                            "expected a factor of an ordinary day's volume in (0, {most}], got {v}"
                        ),
                    ))
                }
            }
        };
        let quiet_factor = factor(&raw.quiet_factor, "quiet_factor", 1.5)?;
        let after_holiday_factor = factor(&raw.after_holiday_factor, "after_holiday_factor", 3.0)?;

        let mut events: Vec<Event> = Vec::with_capacity(raw.events.len());
        for spanned in &raw.events {
            let e = spanned.get_ref();
            let field = |key: &str| format!("events[{}].{key}", e.name);
            let fail = |key: &str, message: String| {
                at.error(
                    Some(at.find_key(spanned.span(), key)),
                    Some(field(key)),
                    message,
                )
            };
            if e.name.trim().is_empty() {
                return Err(fail("name", "the event needs a name".into()));
            }
            if e.tag.trim().is_empty() {
                return Err(fail(
                    "tag",
                    "the event needs a tag; occurrences of the same promotion share one".into(),
                ));
            }
            let when = |key: &str, v: &toml::value::Datetime| {
                plain_date(v).ok_or_else(|| {
                    fail(
                        key,
                        format!("expected a date such as 2026-11-11 (no time, no quotes), got {v}"),
                    )
                })
            };
            let start = when("start", &e.start)?;
            let end = when("end", &e.end)?;
            if end < start {
                return Err(fail(
                    "end",
                    format!("the event ends ({end}) before it starts ({start})"),
                ));
            }
            let days = (end - start).num_days() + 1;
            if days > MAX_EVENT_DAYS {
                return Err(fail(
                    "end",
                    format!(
                        "the event lasts {days} days ({start} to {end}); an event lasts at most \
                         {MAX_EVENT_DAYS} days: it is a promotion or a campaign, whose uplift is \
                         learned day by day from its past occurrences, not a season (a lasting \
                         change of level the forecast learns from the history)"
                    ),
                ));
            }
            for (key, v) in [("days_before", e.days_before), ("days_after", e.days_after)] {
                if v > 14 {
                    return Err(fail(key, format!("expected at most 14 days, got {v}")));
                }
            }
            for (key, map) in [
                ("multiplier", &e.multiplier),
                ("multiplier_before", &e.multiplier_before),
                ("multiplier_after", &e.multiplier_after),
            ] {
                for (channel, &m) in map {
                    if !channels.iter().any(|c| c.id.as_str() == channel) {
                        return Err(fail(
                            key,
                            format!(
                                "unknown channel `{channel}`; the scenario has {}",
                                channels
                                    .iter()
                                    .map(|c| c.id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ));
                    }
                    if !(m.is_finite() && m > 0.0 && m <= 100.0) {
                        return Err(fail(
                            key,
                            format!("the multiplier for `{channel}` must lie in (0, 100], got {m}"),
                        ));
                    }
                    if key != "multiplier" && !e.multiplier.contains_key(channel) {
                        return Err(fail(
                            key,
                            format!(
                                "`{channel}` has no `multiplier` for the event days; a manual multiplier \
                             around the event needs one for the event itself (multiplier = {{ {channel} = 1.8 }})"
                            ),
                        ));
                    }
                    let around = match key {
                        "multiplier_before" => Some(("days_before", e.days_before)),
                        "multiplier_after" => Some(("days_after", e.days_after)),
                        _ => None,
                    };
                    if let Some((days_key, 0)) = around {
                        return Err(fail(
                            key,
                            format!(
                                "the event has no {} to apply it to; set {days_key} = N",
                                days_key.replace('_', " ")
                            ),
                        ));
                    }
                }
            }
            if events.iter().any(|other| other.name == e.name) {
                return Err(fail("name", "this event name is used twice".into()));
            }
            events.push(Event {
                name: e.name.trim().to_string(),
                tag: e.tag.trim().to_string(),
                start,
                end,
                days_before: e.days_before,
                days_after: e.days_after,
                multiplier: e.multiplier.clone(),
                multiplier_before: e.multiplier_before.clone(),
                multiplier_after: e.multiplier_after.clone(),
            });
        }

        let plan_date = match &raw.plan_date {
            None => None,
            Some(d) => Some(plain_date(d.get_ref()).ok_or_else(|| {
                at.error(
                    Some(d.span()),
                    Some("plan_date".into()),
                    format!("expected a date such as 2026-10-26, got {}", d.get_ref()),
                )
            })?),
        };
        let currency = match &raw.currency {
            None => None,
            Some(c) => {
                let code = c.get_ref();
                if code.len() != 3 || !code.chars().all(|ch| ch.is_ascii_uppercase()) {
                    return Err(at.error(
                        Some(c.span()),
                        Some("currency".into()),
                        format!("expected an ISO 4217 code of three capital letters such as \"EUR\" or \"CNY\", got \"{code}\""),
                    ));
                }
                Some(code.clone())
            }
        };
        let minutes = interval.minutes();
        let in_item = |span: Range<usize>, table: &str, id: &str, e: channel::FieldError| {
            at.error(
                Some(at.find_key(span, &e.field)),
                Some(format!("{table}[{id}].{}", e.field)),
                e.message,
            )
        };
        let mut shift_templates: Vec<ShiftTemplate> = Vec::new();
        for spanned in &raw.shift_templates {
            let r = spanned.get_ref();
            let t = workforce::shift_template(r, &channels, minutes)
                .map_err(|e| in_item(spanned.span(), "shift_templates", &r.id, e))?;
            if shift_templates.iter().any(|o| o.id == t.id) {
                return Err(at.error(
                    Some(spanned.span()),
                    Some(format!("shift_templates[{}].id", t.id)),
                    "this template id is used twice",
                ));
            }
            shift_templates.push(t);
        }
        let mut agents: Vec<Agent> = Vec::new();
        for spanned in &raw.agents {
            let r = spanned.get_ref();
            let group = workforce::agents(r, &channels, &shift_templates)
                .map_err(|e| in_item(spanned.span(), "agents", &r.id, e))?;
            for a in group {
                if agents.iter().any(|o| o.id == a.id) {
                    return Err(at.error(
                        Some(spanned.span()),
                        Some(format!("agents[{}].id", r.id)),
                        format!("agent id `{}` is used twice", a.id),
                    ));
                }
                agents.push(a);
            }
        }
        let mut vendors: Vec<Vendor> = Vec::new();
        for spanned in &raw.vendors {
            let r = spanned.get_ref();
            let v = workforce::vendor(r, &channels, minutes)
                .map_err(|e| in_item(spanned.span(), "vendors", &r.id, e))?;
            if vendors.iter().any(|o| o.id == v.id) {
                return Err(at.error(
                    Some(spanned.span()),
                    Some(format!("vendors[{}].id", v.id)),
                    "this vendor id is used twice",
                ));
            }
            vendors.push(v);
        }

        Ok(Scenario {
            name,
            time_zone,
            horizon,
            interval,
            history,
            history_line,
            holidays,
            quiet_holidays,
            quiet_factor,
            after_holiday_factor,
            channels,
            events,
            plan_date,
            currency,
            shift_templates,
            agents,
            vendors,
        })
    }

    /// The channel with this id, with its position.
    pub fn channel(&self, id: &str) -> Option<(usize, &Channel)> {
        self.channels
            .iter()
            .enumerate()
            .find(|(_, c)| c.id.as_str() == id)
    }

    /// Channel ids as a readable list, for error messages.
    pub fn channel_list(&self) -> String {
        self.channels
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The interval grid of the whole horizon.
    pub fn grid(&self) -> TimeGrid {
        TimeGrid::new(
            self.time_zone,
            self.horizon.start,
            self.horizon.end,
            self.interval,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "test peak"
time_zone = "Europe/Berlin"
interval_minutes = 30

[horizon]
start = 2026-11-09
end = 2026-11-10

[[channels]]
id = "voice"
kind = "voice"
aht_seconds = 300
patience_seconds = 180
shrinkage = 0.3
opening_hours = { daily = "08:00-20:00", sun = "closed" }
service_target = { answered_within_seconds = 20, share = 0.8, max_abandon = 0.05 }

[[channels]]
id = "chat"
kind = "chat"
aht_seconds = 480
max_concurrency = 3
concurrency_slowdown = 0.2
shrinkage = { default = 0.3, weekday = { sat = 0.2 }, windows = [{ from = "08:00", to = "10:00", value = 0.4 }] }
opening_hours = { mon = "08:00-22:00", tue = "08:00-22:00" }
service_target = { answered_within_seconds = 60, share = 0.8 }

[[channels]]
id = "email"
kind = "email"
aht_seconds = 420
shrinkage = 0.25
opening_hours = { daily = "08:00-18:00" }
service_target = { answered_within_hours = 24, share = 0.95 }
"#;

    fn error_for(text: &str) -> String {
        Scenario::parse(text, "t.toml").unwrap_err().to_string()
    }

    const SAMPLE: &str = include_str!("../../models/promo-peak.toml");

    #[test]
    fn the_sample_lists_its_workforce() {
        let s = Scenario::parse(SAMPLE, "promo-peak.toml").unwrap();
        assert_eq!(s.plan_date, NaiveDate::from_ymd_opt(2026, 10, 26));
        assert_eq!(s.currency.as_deref(), Some("CNY"));
        let e = error_for(&SAMPLE.replace("currency = \"CNY\"", "currency = \"yuan\""));
        assert!(e.contains("`currency`") && e.contains("ISO 4217"), "{e}");
        assert_eq!(s.shift_templates.len(), 3);
        let early = &s.shift_templates[0];
        assert_eq!(early.length_minutes, 510);
        assert_eq!(early.paid_minutes(), 480);
        assert_eq!(
            early.starts().collect::<Vec<_>>(),
            vec![420, 450, 480, 510, 540, 570]
        );
        assert_eq!(s.agents.len(), 120 + 25 + 45 + 40 + 20 + 1);
        assert_eq!(s.agents[0].id, "voice-core-001");
        assert_eq!(s.agents[0].name, "voice-core 001");
        assert_eq!(s.agents[119].id, "voice-core-120");
        assert_eq!(s.agents[0].contract.min_rest_hours, 11.0);
        let lin = s.agents.iter().find(|a| a.id == "lin-mei").unwrap();
        assert_eq!(lin.name, "Lin Mei");
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        assert!(!lin.available(day(11), 480, 990) && lin.available(day(12), 480, 990));
        let chat = s.agents.iter().find(|a| a.group == "chat-core").unwrap();
        // Sunday 15 November: away until noon.
        assert!(!chat.available(day(15), 480, 990) && chat.available(day(15), 720, 1230));
        assert_eq!(s.vendors.len(), 2);
        assert_eq!(s.vendors[0].max_heads, vec![(0, 80), (1, 40)]);
        assert_eq!(s.vendors[1].min_block_minutes, 360);
    }

    #[test]
    fn workforce_mistakes_name_the_entry_and_field() {
        let e =
            error_for(&SAMPLE.replace(r#"templates = ["part-time"]"#, r#"templates = ["night"]"#));
        assert!(
            e.contains("agents[part-time].templates")
                && e.contains("unknown shift template `night`"),
            "{e}"
        );
        let e = error_for(&SAMPLE.replace(
            "max_heads = { voice = 60, email = 30 }",
            "max_heads = { fax = 3 }",
        ));
        assert!(
            e.contains("vendors[bpo-south].max_heads") && e.contains("unknown channel `fax`"),
            "{e}"
        );
        let e = error_for(&SAMPLE.replace(
            r#"{ minutes = 30, paid = false, after = "03:30", before = "05:30" },  # lunch"#,
            r#"{ minutes = 30, paid = false, after = "03:30", before = "03:45" },"#,
        ));
        assert!(
            e.contains("shift_templates[early].breaks")
                && e.contains("must hold the 30-minute break"),
            "{e}"
        );
        let e = error_for(&SAMPLE.replace("start_step_minutes = 30\nbreaks = [\n  { minutes = 30, paid = false, after = \"03:30\", before = \"05:30\" },  # lunch", "start_step_minutes = 20\nbreaks = [\n  { minutes = 30, paid = false, after = \"03:30\", before = \"05:30\" },  # lunch"));
        assert!(
            e.contains("shift_templates[early].start_step_minutes"),
            "{e}"
        );
        let e = error_for(&SAMPLE.replace(
            "id = \"chat-core\"\ncount = 45",
            "id = \"chat-core\"\ncount = 0",
        ));
        assert!(e.contains("agents[chat-core].count"), "{e}");
        let e = error_for(&SAMPLE.replace(
            "min_hours_week = 12, max_hours_week = 24",
            "min_hours_week = 30, max_hours_week = 24",
        ));
        assert!(
            e.contains("agents[part-time].contract")
                && e.contains("min_hours_week ≤ max_hours_week"),
            "{e}"
        );
        // Every error points at a line of the file.
        assert!(e.starts_with("t.toml:"), "{e}");
        // Two breaks in one 30-minute window cannot both be taken without overlapping.
        let e = error_for(&SAMPLE.replace(
            r#"{ minutes = 15, paid = true, after = "01:30", before = "03:00" },"#,
            r#"{ minutes = 30, paid = true, after = "03:30", before = "04:00" },"#,
        ).replace(
            r#"{ minutes = 30, paid = false, after = "03:30", before = "05:30" },  # lunch"#,
            r#"{ minutes = 30, paid = false, after = "03:30", before = "04:00" },  # lunch"#,
        ));
        assert!(
            e.starts_with("t.toml:")
                && e.contains("shift_templates[early].breaks")
                && e.contains("without overlapping"),
            "{e}"
        );
    }

    #[test]
    fn a_good_scenario_loads() {
        let s = Scenario::parse(GOOD, "t.toml").unwrap();
        assert_eq!(s.channels.len(), 3);
        assert_eq!(s.horizon.day_count(), 2);
        assert_eq!(s.grid().len(), 96);
        assert!(matches!(
            s.channels[1].kind,
            ChannelKind::Chat {
                max_sessions: 3,
                ..
            }
        ));
        let clock = s.grid().local_clock(16);
        assert_eq!(s.channels[1].shrinkage.at(&clock), 0.4);
        assert!(
            s.channels[0]
                .opening_hours
                .is_open(chrono::Weekday::Mon, 8 * 60)
        );
        assert!(
            !s.channels[0]
                .opening_hours
                .is_open(chrono::Weekday::Sun, 9 * 60)
        );
        assert!(
            !s.channels[1]
                .opening_hours
                .is_open(chrono::Weekday::Wed, 9 * 60)
        );
    }

    #[test]
    fn the_shipped_sample_loads() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/models/promo-peak.toml");
        let s = Scenario::load(path).unwrap();
        assert!(s.horizon.day_count() >= 14);
        let kinds: Vec<_> = s.channels.iter().map(|c| c.kind.name()).collect();
        assert_eq!(kinds, ["voice", "chat", "email"]);
    }

    #[test]
    fn unknown_keys_are_errors_with_their_line() {
        let text = GOOD.replace("patience_seconds = 180", "patience_secs = 180");
        let e = error_for(&text);
        assert!(e.starts_with("t.toml:14:"), "{e}");
        assert!(e.contains("patience_secs"), "{e}");
    }

    #[test]
    fn events_and_holidays_are_validated() {
        let with = |extra: &str| format!("{GOOD}\n{extra}");
        let ok = Scenario::parse(
            &with(
                r#"
[[events]]
name = "Double 11"
tag = "double-11"
start = 2026-11-11
end = 2026-11-11
days_before = 2
multiplier = { voice = 2.5 }
"#,
            ),
            "t.toml",
        )
        .unwrap();
        let e = &ok.events[0];
        assert_eq!(e.window().0, NaiveDate::from_ymd_opt(2026, 11, 9).unwrap());
        assert!(e.covers(NaiveDate::from_ymd_opt(2026, 11, 10).unwrap()));
        assert!(!e.covers(NaiveDate::from_ymd_opt(2026, 11, 12).unwrap()));

        let err = error_for(&with(
            "[[events]]\nname = \"x\"\ntag = \"t\"\nstart = 2026-11-11\nend = 2026-11-11\nmultiplier = { fax = 2.0 }\n",
        ));
        assert!(
            err.contains("events[x].multiplier") && err.contains("unknown channel `fax`"),
            "{err}"
        );
        let err = error_for(&with(
            "[[events]]\nname = \"x\"\ntag = \"t\"\nstart = 2026-11-12\nend = 2026-11-11\n",
        ));
        assert!(
            err.contains("events[x].end") && err.contains("before it starts"),
            "{err}"
        );
        // A quarter at most: a promotion, not a season.
        let event = |end: &str| {
            with(&format!(
                "[[events]]\nname = \"x\"\ntag = \"t\"\nstart = 2026-11-11\nend = {end}\n"
            ))
        };
        assert!(Scenario::parse(&event("2027-02-10"), "t.toml").is_ok());
        for (end, days) in [("2027-02-11", 93), ("2099-11-11", 26_664)] {
            let err = error_for(&event(end));
            assert!(
                err.contains("events[x].end")
                    && err.contains(&format!(
                        "the event lasts {days} days (2026-11-11 to {end}); an event lasts at most \
                         92 days"
                    )),
                "{err}"
            );
        }
        let err = error_for(&GOOD.replace(
            "interval_minutes = 30",
            "interval_minutes = 30\nholidays = [2026-01-01, \"tomorrow\"]",
        ));
        assert!(err.contains("holidays"), "{err}");
    }

    #[test]
    fn bad_values_name_the_field_and_line() {
        let e = error_for(&GOOD.replace("aht_seconds = 300", "aht_seconds = -3"));
        assert!(
            e.contains("t.toml:13:1:") && e.contains("channels[voice].aht_seconds"),
            "{e}"
        );
        assert!(
            e.contains("aht_seconds = -3"),
            "the offending line is quoted: {e}"
        );
        assert!(e.contains("greater than 0"), "{e}");

        let e = error_for(&GOOD.replace("Europe/Berlin", "Europe/Berlinn"));
        assert!(
            e.contains("t.toml:3:") && e.contains("time_zone") && e.contains("IANA"),
            "{e}"
        );

        let e = error_for(&GOOD.replace("interval_minutes = 30", "interval_minutes = 20"));
        assert!(e.contains("t.toml:4:") && e.contains("15 or 30"), "{e}");

        let e = error_for(&GOOD.replace("max_concurrency = 3\n", ""));
        assert!(
            e.contains("channels[chat].max_concurrency") && e.contains("needs"),
            "{e}"
        );

        let e = error_for(&GOOD.replace("daily = \"08:00-20:00\"", "daily = \"08:10-20:00\""));
        assert!(
            e.contains("08:10") && e.contains("interval boundary"),
            "{e}"
        );
        assert!(e.contains("t.toml:16:"), "{e}");

        let e =
            error_for(&GOOD.replace("answered_within_hours = 24", "answered_within_seconds = 24"));
        assert!(
            e.contains("channels[email].service_target.answered_within_seconds"),
            "{e}"
        );

        let e = error_for(&GOOD.replace("end = 2026-11-10", "end = 2026-11-01"));
        assert!(
            e.contains("horizon.end") && e.contains("before it starts"),
            "{e}"
        );
        // The error names the line of `end`, not the `[horizon]` header.
        let end_line = GOOD
            .lines()
            .position(|l| l.starts_with("end = 2026-11-10"))
            .expect("the good scenario has an end line")
            + 1;
        assert!(e.contains(&format!("t.toml:{end_line}:")), "{e}");

        let e = error_for(&GOOD.replace("kind = \"email\"", "kind = \"fax\""));
        assert!(e.contains("\"voice\", \"chat\" or \"email\""), "{e}");

        let e = error_for(&GOOD.replace("id = \"chat\"", "id = \"voice\""));
        assert!(e.contains("used twice"), "{e}");

        let e = error_for(&GOOD.replace("shrinkage = 0.25", "shrinkage = 25"));
        assert!(e.contains("0.3 for 30 %"), "{e}");
    }

    #[test]
    fn syntax_errors_point_at_the_spot() {
        let e = error_for("name = \"x\"\ntime_zone = \n");
        assert!(e.starts_with("t.toml:2:"), "{e}");
    }
}
