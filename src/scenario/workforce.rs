//! Who can work: shift templates, core agents on their contracts, and elastic vendors.
//!
//! ```toml
//! [[shift_templates]]
//! id = "day-8h"
//! length = "08:30"                 # hours:minutes, breaks included
//! earliest_start = "07:00"
//! latest_start = "10:00"
//! start_step_minutes = 30
//! channels = ["voice", "chat"]     # optional: every channel
//! breaks = [{ minutes = 30, paid = false, after = "03:30", before = "05:30" }]  # window from the start
//!
//! [[agents]]                       # a group: agents voice-core-001 … voice-core-040
//! id = "voice-core"
//! count = 40
//! channels = ["voice"]
//! templates = ["day-8h"]
//! cost_per_hour = 22.0
//! contract = { min_hours_week = 32, max_hours_week = 40, max_shifts_week = 5, max_consecutive_days = 6 }
//! overtime = { hours_week = 6, cost_factor = 1.5 }
//! unavailable = [{ dates = [2026-11-11] }, { weekdays = ["sun"] }, { weekdays = ["sat"], from = "14:00", to = "24:00" }]
//!
//! [[vendors]]
//! id = "bpo-north"
//! max_heads = { voice = 60, chat = 40 }    # per interval and channel
//! min_block_hours = 4
//! start_step_minutes = 60
//! cost_per_hour = 18.0
//! fixed_cost_per_block = 40.0
//! notice_hours = 72                         # no block starts before plan_date + notice
//! ```

use super::channel::{FieldError, field_error, parse_clock, parse_weekday};
use super::{Channel, raw};
use chrono::{NaiveDate, Weekday};
use serde::Serialize;

/// A kind of shift: its length, when it may start, its breaks and the channels it may serve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShiftTemplate {
    pub id: String,
    /// Minutes from start to end, breaks included.
    pub length_minutes: u32,
    /// Minutes after midnight, local time.
    pub earliest_start: u32,
    pub latest_start: u32,
    pub start_step_minutes: u32,
    /// Channel indices in scenario order.
    pub channels: Vec<usize>,
    pub breaks: Vec<BreakRule>,
}

impl ShiftTemplate {
    /// Every allowed start, minutes after midnight.
    pub fn starts(&self) -> impl Iterator<Item = u32> + '_ {
        (self.earliest_start..=self.latest_start).step_by(self.start_step_minutes as usize)
    }

    /// Per break rule, the first and last minute after the shift start its break may begin at, such
    /// that breaks placed anywhere in their ranges never overlap: where two windows overlap, the
    /// shared part is split between them. `None` when the breaks cannot all fit without overlapping.
    pub fn break_placements(&self) -> Option<Vec<(u32, u32)>> {
        let n = self.breaks.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&r| (self.breaks[r].after, self.breaks[r].before));
        if let Some(p) = placements_in_order(&self.breaks, &order) {
            return Some(p);
        }
        // Nested windows may need another order; templates have a handful of breaks at most.
        let mut found = None;
        permutations(&mut order, 0, &mut |o| {
            if found.is_none() {
                found = placements_in_order(&self.breaks, o);
            }
        });
        found
    }

    /// Paid minutes: the length less unpaid breaks.
    pub fn paid_minutes(&self) -> u32 {
        self.length_minutes
            - self
                .breaks
                .iter()
                .filter(|b| !b.paid)
                .map(|b| b.minutes)
                .sum::<u32>()
    }
}

/// A break and the window, relative to the shift start, it must fall in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BreakRule {
    pub minutes: u32,
    pub paid: bool,
    /// The break starts no earlier than this many minutes after the shift start …
    pub after: u32,
    /// … and ends no later than this many minutes after it.
    pub before: u32,
}

/// Break ranges when the breaks are taken in `order`: earliest starts forward, latest starts
/// backward, then a boundary between neighbours in the middle of their overlap.
fn placements_in_order(rules: &[BreakRule], order: &[usize]) -> Option<Vec<(u32, u32)>> {
    let n = order.len();
    let rule = |i: usize| rules[order[i]];
    let mut earliest = vec![0u32; n];
    for i in 0..n {
        earliest[i] = if i == 0 {
            rule(0).after
        } else {
            rule(i).after.max(earliest[i - 1] + rule(i - 1).minutes)
        };
    }
    let mut latest = vec![0u32; n];
    for i in (0..n).rev() {
        let own = rule(i).before.checked_sub(rule(i).minutes)?;
        latest[i] = if i + 1 == n {
            own
        } else {
            own.min(latest[i + 1].checked_sub(rule(i).minutes)?)
        };
        if earliest[i] > latest[i] {
            return None;
        }
    }
    let mut out = vec![(0, 0); rules.len()];
    let mut boundary = 0;
    for i in 0..n {
        let lo = rule(i).after.max(boundary);
        let hi = if i + 1 == n {
            latest[i]
        } else {
            let middle = (rule(i).before + rule(i + 1).after) / 2;
            boundary = middle.clamp(lo + rule(i).minutes, latest[i + 1]);
            latest[i].min(boundary - rule(i).minutes)
        };
        out[order[i]] = (lo, hi);
    }
    Some(out)
}

/// Calls `f` with every ordering of `items[k..]` after `items[..k]`.
fn permutations(items: &mut [usize], k: usize, f: &mut dyn FnMut(&[usize])) {
    if k + 1 >= items.len() {
        f(items);
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permutations(items, k + 1, f);
        items.swap(k, i);
    }
}

/// Contract limits of a core agent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Contract {
    pub min_hours_week: f64,
    pub max_hours_week: f64,
    pub max_shifts_week: u32,
    pub max_consecutive_days: u32,
    pub min_rest_hours: f64,
}

/// Extra hours beyond the contract, at a premium.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Overtime {
    pub hours_week: f64,
    pub cost_factor: f64,
}

/// When an agent cannot work: whole dates, or a weekday (optionally a time window of it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Unavailable {
    Dates(Vec<NaiveDate>),
    Weekly {
        weekdays: Vec<Weekday>,
        from: u32,
        to: u32,
    },
}

/// One named core agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agent {
    pub id: String,
    pub name: String,
    /// The `[[agents]]` entry it came from.
    pub group: String,
    pub channels: Vec<usize>,
    /// Template indices.
    pub templates: Vec<usize>,
    pub cost_per_hour: f64,
    pub contract: Contract,
    pub overtime: Option<Overtime>,
    pub unavailable: Vec<Unavailable>,
}

impl Agent {
    /// Whether the agent can work on `day` from `from` to `to` minutes after midnight (`to` may pass
    /// midnight).
    pub fn available(&self, day: NaiveDate, from: u32, to: u32) -> bool {
        use chrono::Datelike;
        const DAY: u32 = 24 * 60;
        // Every calendar day the span touches, with the part of the span on it in that day's minutes.
        let mut offset = 0;
        let mut date = day;
        while offset < to.max(from + 1) {
            let (lo, hi) = (from.saturating_sub(offset), (to - offset.min(to)).min(DAY));
            if lo < DAY && hi > lo {
                let free = self.unavailable.iter().all(|u| match u {
                    Unavailable::Dates(dates) => !dates.contains(&date),
                    Unavailable::Weekly {
                        weekdays,
                        from: f,
                        to: t,
                    } => !weekdays.contains(&date.weekday()) || hi <= *f || lo >= *t,
                });
                if !free {
                    return false;
                }
            }
            offset += DAY;
            match date.succ_opt() {
                Some(next) => date = next,
                None => return false,
            }
        }
        true
    }
}

/// An outsourced vendor selling heads in blocks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vendor {
    pub id: String,
    pub name: String,
    /// `(channel index, most heads per interval)`.
    pub max_heads: Vec<(usize, u32)>,
    pub min_block_minutes: u32,
    pub start_step_minutes: u32,
    pub cost_per_hour: f64,
    pub fixed_cost_per_block: f64,
    pub notice_hours: f64,
}

fn channel_index(channels: &[Channel], field: &str, id: &str) -> Result<usize, FieldError> {
    channels
        .iter()
        .position(|c| c.id.as_str() == id)
        .ok_or_else(|| {
            field_error(
                field,
                format!(
                    "unknown channel `{id}`; the scenario has {}",
                    channels
                        .iter()
                        .map(|c| c.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
}

/// "08:30" as a duration in minutes (hours may exceed 24 only up to 16 for a shift).
fn duration(field: &str, s: &str) -> Result<u32, FieldError> {
    parse_clock(field, s)
}

fn id_ok(field: &str, id: &str) -> Result<String, FieldError> {
    let ok = !id.is_empty()
        && id.len() <= 40
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(id.to_string())
    } else {
        Err(field_error(
            field,
            format!("`{id}` is not an id: use 1–40 letters, digits, `-` or `_`"),
        ))
    }
}

pub(super) fn shift_template(
    raw: &raw::ShiftTemplate,
    channels: &[Channel],
    interval: u32,
) -> Result<ShiftTemplate, FieldError> {
    let id = id_ok("id", &raw.id)?;
    let length = duration("length", &raw.length)?;
    if !(60..=16 * 60).contains(&length) || length % interval != 0 {
        return Err(field_error(
            "length",
            format!(
                "expected a length from 01:00 to 16:00 in whole {interval}-minute intervals, got \"{}\"",
                raw.length
            ),
        ));
    }
    let earliest = parse_clock("earliest_start", &raw.earliest_start)?;
    let latest = parse_clock("latest_start", &raw.latest_start)?;
    if latest < earliest || latest >= 24 * 60 {
        return Err(field_error(
            "latest_start",
            format!(
                "expected a time from earliest_start ({}) to 23:59, got \"{}\"",
                raw.earliest_start, raw.latest_start
            ),
        ));
    }
    let step = raw.start_step_minutes;
    if step == 0 || !step.is_multiple_of(interval) || earliest % interval != 0 {
        return Err(field_error(
            "start_step_minutes",
            format!(
                "starts must fall on the {interval}-minute grid: earliest_start on it and a step that is a multiple of {interval}, got {step}"
            ),
        ));
    }
    let template_channels = match &raw.channels {
        None => (0..channels.len()).collect(),
        Some(list) if list.is_empty() => {
            return Err(field_error("channels", "a template must serve a channel"));
        }
        Some(list) => list
            .iter()
            .map(|c| channel_index(channels, "channels", c))
            .collect::<Result<_, _>>()?,
    };
    let mut breaks = Vec::new();
    for b in &raw.breaks {
        let after = duration("breaks", &b.after)?;
        let before = duration("breaks", &b.before)?;
        if b.minutes == 0 || b.minutes % 15 != 0 {
            return Err(field_error(
                "breaks",
                format!("a break lasts a multiple of 15 minutes, got {}", b.minutes),
            ));
        }
        if before < after + b.minutes || before > length {
            return Err(field_error(
                "breaks",
                format!(
                    "the window {}–{} must hold the {}-minute break and end within the {}-minute shift",
                    b.after, b.before, b.minutes, length
                ),
            ));
        }
        breaks.push(BreakRule {
            minutes: b.minutes,
            paid: b.paid,
            after,
            before,
        });
    }
    let template = ShiftTemplate {
        id,
        length_minutes: length,
        earliest_start: earliest,
        latest_start: latest,
        start_step_minutes: step,
        channels: template_channels,
        breaks,
    };
    if template.breaks.iter().map(|b| b.minutes).sum::<u32>() * 2 > length {
        return Err(field_error(
            "breaks",
            "breaks take more than half of the shift",
        ));
    }
    if template.breaks.len() > 6 {
        return Err(field_error("breaks", "a template has at most 6 breaks"));
    }
    if template.break_placements().is_none() {
        return Err(field_error(
            "breaks",
            "the breaks cannot all be placed in their windows without overlapping; widen a window or shorten a break",
        ));
    }
    Ok(template)
}

/// The agents of one `[[agents]]` entry: `count` of them numbered `id-001` …, or one agent `id`.
pub(super) fn agents(
    raw: &raw::AgentGroup,
    channels: &[Channel],
    templates: &[ShiftTemplate],
) -> Result<Vec<Agent>, FieldError> {
    let id = id_ok("id", &raw.id)?;
    if raw.channels.is_empty() {
        return Err(field_error("channels", "an agent must serve a channel"));
    }
    let agent_channels: Vec<usize> = raw
        .channels
        .iter()
        .map(|c| channel_index(channels, "channels", c))
        .collect::<Result<_, _>>()?;
    if raw.templates.is_empty() {
        return Err(field_error(
            "templates",
            "an agent needs at least one shift template",
        ));
    }
    let mut agent_templates = Vec::new();
    for t in &raw.templates {
        let i = templates.iter().position(|x| &x.id == t).ok_or_else(|| {
            field_error(
                "templates",
                format!(
                    "unknown shift template `{t}`; the scenario has {}",
                    if templates.is_empty() {
                        "none (add [[shift_templates]])".to_string()
                    } else {
                        templates
                            .iter()
                            .map(|x| x.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            )
        })?;
        if !templates[i]
            .channels
            .iter()
            .any(|c| agent_channels.contains(c))
        {
            return Err(field_error(
                "templates",
                format!("shift template `{t}` serves none of this agent's channels"),
            ));
        }
        agent_templates.push(i);
    }
    if !(raw.cost_per_hour.is_finite() && raw.cost_per_hour >= 0.0) {
        return Err(field_error(
            "cost_per_hour",
            format!("expected a cost ≥ 0, got {}", raw.cost_per_hour),
        ));
    }
    let c = &raw.contract;
    if !(c.min_hours_week >= 0.0
        && c.min_hours_week <= c.max_hours_week
        && c.max_hours_week <= 80.0)
    {
        return Err(field_error(
            "contract",
            format!(
                "expected 0 ≤ min_hours_week ≤ max_hours_week ≤ 80, got {} and {}",
                c.min_hours_week, c.max_hours_week
            ),
        ));
    }
    if c.max_shifts_week == 0 || c.max_shifts_week > 7 {
        return Err(field_error(
            "contract",
            format!("max_shifts_week must be 1 to 7, got {}", c.max_shifts_week),
        ));
    }
    if c.max_consecutive_days == 0 {
        return Err(field_error(
            "contract",
            "max_consecutive_days must be at least 1",
        ));
    }
    let min_rest_hours = c.min_rest_hours.unwrap_or(11.0);
    if !(0.0..=24.0).contains(&min_rest_hours) {
        return Err(field_error(
            "contract",
            format!("min_rest_hours must lie from 0 to 24, got {min_rest_hours}"),
        ));
    }
    let contract = Contract {
        min_hours_week: c.min_hours_week,
        max_hours_week: c.max_hours_week,
        max_shifts_week: c.max_shifts_week,
        max_consecutive_days: c.max_consecutive_days,
        min_rest_hours,
    };
    let overtime = match &raw.overtime {
        None => None,
        Some(o) => {
            let hours_ok = (0.0..=40.0).contains(&o.hours_week);
            let factor_ok = (1.0..=5.0).contains(&o.cost_factor);
            if !(hours_ok && factor_ok) {
                return Err(field_error(
                    "overtime",
                    format!(
                        "expected hours_week from 0 to 40 and cost_factor from 1 to 5, got {} and {}",
                        o.hours_week, o.cost_factor
                    ),
                ));
            }
            Some(Overtime {
                hours_week: o.hours_week,
                cost_factor: o.cost_factor,
            })
        }
    };
    let mut unavailable = Vec::new();
    for u in &raw.unavailable {
        match (u.dates.is_empty(), u.weekdays.is_empty()) {
            (false, true) if u.from.is_none() && u.to.is_none() => {
                let dates = u
                    .dates
                    .iter()
                    .map(|d| {
                        super::plain_date(d).ok_or_else(|| {
                            field_error(
                                "unavailable",
                                format!("expected dates such as 2026-11-11, got {d}"),
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?;
                unavailable.push(Unavailable::Dates(dates));
            }
            (true, false) => {
                let weekdays = u
                    .weekdays
                    .iter()
                    .map(|w| parse_weekday("unavailable", w))
                    .collect::<Result<_, _>>()?;
                let from = u
                    .from
                    .as_deref()
                    .map_or(Ok(0), |s| parse_clock("unavailable", s))?;
                let to =
                    u.to.as_deref()
                        .map_or(Ok(24 * 60), |s| parse_clock("unavailable", s))?;
                if from >= to {
                    return Err(field_error(
                        "unavailable",
                        "the window ends before it starts",
                    ));
                }
                unavailable.push(Unavailable::Weekly { weekdays, from, to });
            }
            _ => {
                return Err(field_error(
                    "unavailable",
                    "each entry gives either `dates` (whole days) or `weekdays` with an optional `from`/`to`",
                ));
            }
        }
    }
    let count = raw.count.unwrap_or(0);
    if raw.count == Some(0) || count > 5000 {
        return Err(field_error(
            "count",
            format!("expected 1 to 5000 agents, got {count}"),
        ));
    }
    let base_name = raw.name.clone().unwrap_or_else(|| id.clone());
    let make = |id: String, name: String| Agent {
        id,
        name,
        group: raw.id.clone(),
        channels: agent_channels.clone(),
        templates: agent_templates.clone(),
        cost_per_hour: raw.cost_per_hour,
        contract,
        overtime,
        unavailable: unavailable.clone(),
    };
    Ok(match raw.count {
        None => vec![make(id, base_name)],
        Some(n) => {
            let width = n.to_string().len().max(3);
            (1..=n)
                .map(|i| {
                    make(
                        format!("{id}-{i:0width$}"),
                        format!("{base_name} {i:0width$}"),
                    )
                })
                .collect()
        }
    })
}

pub(super) fn vendor(
    raw: &raw::Vendor,
    channels: &[Channel],
    interval: u32,
) -> Result<Vendor, FieldError> {
    let id = id_ok("id", &raw.id)?;
    if raw.max_heads.is_empty() {
        return Err(field_error(
            "max_heads",
            "a vendor needs at least one channel: max_heads = { voice = 40 }",
        ));
    }
    let mut max_heads = Vec::new();
    for (c, &n) in &raw.max_heads {
        let i = channel_index(channels, "max_heads", c)?;
        if n == 0 {
            return Err(field_error(
                "max_heads",
                format!("`{c}` has 0 heads; leave the channel out instead"),
            ));
        }
        max_heads.push((i, n));
    }
    max_heads.sort_unstable();
    let block = (raw.min_block_hours * 60.0).round();
    if !(raw.min_block_hours > 0.0
        && raw.min_block_hours <= 16.0
        && (block as u32).is_multiple_of(interval))
    {
        return Err(field_error(
            "min_block_hours",
            format!(
                "expected 0 < hours ≤ 16 in whole {interval}-minute intervals, got {}",
                raw.min_block_hours
            ),
        ));
    }
    if raw.start_step_minutes == 0 || !raw.start_step_minutes.is_multiple_of(interval) {
        return Err(field_error(
            "start_step_minutes",
            format!(
                "expected a multiple of the {interval}-minute interval, got {}",
                raw.start_step_minutes
            ),
        ));
    }
    for (field, v) in [
        ("cost_per_hour", raw.cost_per_hour),
        ("fixed_cost_per_block", raw.fixed_cost_per_block),
        ("notice_hours", raw.notice_hours),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(field_error(
                field,
                format!("expected a number ≥ 0, got {v}"),
            ));
        }
    }
    Ok(Vendor {
        name: raw.name.clone().unwrap_or_else(|| id.clone()),
        id,
        max_heads,
        min_block_minutes: block as u32,
        start_step_minutes: raw.start_step_minutes,
        cost_per_hour: raw.cost_per_hour,
        fixed_cost_per_block: raw.fixed_cost_per_block,
        notice_hours: raw.notice_hours,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(unavailable: Vec<Unavailable>) -> Agent {
        Agent {
            id: "a".into(),
            name: "A".into(),
            group: "g".into(),
            channels: vec![0],
            templates: vec![0],
            cost_per_hour: 20.0,
            contract: Contract {
                min_hours_week: 0.0,
                max_hours_week: 40.0,
                max_shifts_week: 5,
                max_consecutive_days: 5,
                min_rest_hours: 11.0,
            },
            overtime: None,
            unavailable,
        }
    }

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn template(breaks: &[(u32, bool, u32, u32)]) -> ShiftTemplate {
        ShiftTemplate {
            id: "t".into(),
            length_minutes: 510,
            earliest_start: 480,
            latest_start: 480,
            start_step_minutes: 30,
            channels: vec![0],
            breaks: breaks
                .iter()
                .map(|&(minutes, paid, after, before)| BreakRule {
                    minutes,
                    paid,
                    after,
                    before,
                })
                .collect(),
        }
    }

    /// Every combination of starts in the ranges, on a 15-minute step, never overlaps.
    fn never_overlap(t: &ShiftTemplate) -> bool {
        let ranges = t.break_placements().unwrap();
        let mut picks = vec![vec![]];
        for (r, &(lo, hi)) in ranges.iter().enumerate() {
            assert!(lo >= t.breaks[r].after && hi + t.breaks[r].minutes <= t.breaks[r].before);
            picks = picks
                .into_iter()
                .flat_map(|p: Vec<(u32, u32)>| {
                    (lo..=hi).step_by(15).map(move |s| {
                        let mut q = p.clone();
                        q.push((s, s + t.breaks[r].minutes));
                        q
                    })
                })
                .collect();
        }
        picks.iter().all(|p| {
            p.iter()
                .enumerate()
                .all(|(i, a)| p[i + 1..].iter().all(|b| a.1 <= b.0 || b.1 <= a.0))
        })
    }

    #[test]
    fn breaks_of_one_shift_never_overlap() {
        // The same window twice: split in the middle.
        let same = template(&[(30, false, 750 - 480, 780 - 480), (30, true, 270, 300)]);
        assert!(same.break_placements().is_none());
        let shared = template(&[(30, false, 210, 330), (15, true, 210, 330)]);
        assert!(never_overlap(&shared));
        // Windows that do not overlap are left as they are.
        let apart = template(&[
            (15, true, 90, 150),
            (30, false, 210, 330),
            (15, true, 360, 450),
        ]);
        assert_eq!(
            apart.break_placements().unwrap(),
            vec![(90, 135), (210, 300), (360, 435)]
        );
        // A short break nested inside a long break's window.
        let nested = template(&[(60, false, 60, 400), (15, true, 120, 150)]);
        assert!(never_overlap(&nested));
        let crowded = template(&[(60, false, 100, 200), (60, false, 100, 200)]);
        assert!(crowded.break_placements().is_none());
    }

    #[test]
    fn a_night_shift_is_checked_on_every_day_it_touches() {
        // Friday 13 November 17:30 to Saturday 02:00.
        let (from, to) = (17 * 60 + 30, 26 * 60);
        let saturday_morning = agent(vec![Unavailable::Weekly {
            weekdays: vec![Weekday::Sat],
            from: 0,
            to: 12 * 60,
        }]);
        assert!(!saturday_morning.available(date(13), from, to));
        assert!(saturday_morning.available(date(13), from, 24 * 60));
        assert!(saturday_morning.available(date(14), 12 * 60, 20 * 60));
        let saturday_date = agent(vec![Unavailable::Dates(vec![date(14)])]);
        assert!(!saturday_date.available(date(13), from, to));
        assert!(saturday_date.available(date(13), from, 24 * 60));
        let friday_evening = agent(vec![Unavailable::Weekly {
            weekdays: vec![Weekday::Fri],
            from: 23 * 60,
            to: 24 * 60,
        }]);
        assert!(!friday_evening.available(date(13), from, to));
        assert!(friday_evening.available(date(14), 22 * 60 + 30, 31 * 60));
        // A window ending where the shift begins on the next day does not touch it.
        let saturday_early = agent(vec![Unavailable::Weekly {
            weekdays: vec![Weekday::Sat],
            from: 0,
            to: 2 * 60,
        }]);
        assert!(!saturday_early.available(date(13), from, to));
        assert!(saturday_early.available(date(13), from, 24 * 60));
    }
}
