//! Live edits a supervisor makes to the published roster during the day. Each edit is checked
//! against the plan (the agent has a shift that day, the time is inside it, the vendor serves the
//! channel …) and either yields a new plan or an [`EditError`] naming the field that is wrong; the
//! plan it was applied to is never changed.

use super::{Break, LiveBlock, LivePlan, LiveShift, LiveView, ServiceSummary, instant};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use crate::clock::{Clock, local};

/// One change to the live roster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Edit {
    /// The agent is absent on `date`, from `from` (the whole shift when omitted).
    Absence {
        agent: String,
        date: NaiveDate,
        #[serde(default)]
        from: Option<Clock>,
    },
    /// Moves the start and/or the end of the agent's shift on `date` (extend or shorten).
    ChangeShift {
        agent: String,
        date: NaiveDate,
        #[serde(default)]
        start: Option<Clock>,
        #[serde(default)]
        end: Option<Clock>,
    },
    /// Moves the break that starts at `from` to start at `to`.
    MoveBreak {
        agent: String,
        date: NaiveDate,
        from: Clock,
        to: Clock,
    },
    /// Adds an overtime shift for an agent who has none that day.
    OvertimeShift {
        agent: String,
        date: NaiveDate,
        channel: String,
        start: Clock,
        end: Clock,
    },
    /// Asks a vendor for extra heads on a channel for a block.
    VendorHeads {
        vendor: String,
        date: NaiveDate,
        channel: String,
        start: Clock,
        end: Clock,
        heads: u32,
    },
}

/// Why an edit cannot be applied; `field` names the part of the request at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct EditError {
    pub field: String,
    pub message: String,
}

pub(crate) fn fail<T>(
    field: impl Into<String>,
    message: impl Into<String>,
) -> Result<T, EditError> {
    Err(EditError {
        field: field.into(),
        message: message.into(),
    })
}

/// What an edit did to the service for the rest of the day, per channel it touched.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Impact {
    pub channel: String,
    pub before: ServiceSummary,
    pub after: ServiceSummary,
}

/// Longest shift an edit may produce.
const MAX_SHIFT_MINUTES: i64 = 16 * 60;

impl Edit {
    /// The local day the edit is made on.
    pub fn date(&self) -> NaiveDate {
        match self {
            Edit::Absence { date, .. }
            | Edit::ChangeShift { date, .. }
            | Edit::MoveBreak { date, .. }
            | Edit::OvertimeShift { date, .. }
            | Edit::VendorHeads { date, .. } => *date,
        }
    }

    /// A short description for the audit log.
    pub fn describe(&self) -> String {
        match self {
            Edit::Absence { agent, date, from } => match from {
                Some(f) => format!("{agent} absent on {date} from {}", String::from(*f)),
                None => format!("{agent} absent on {date}"),
            },
            Edit::ChangeShift {
                agent,
                date,
                start,
                end,
                ..
            } => format!(
                "{agent}'s shift on {date} to {}–{}",
                start.map_or("(start)".into(), String::from),
                end.map_or("(end)".into(), String::from)
            ),
            Edit::MoveBreak {
                agent,
                date,
                from,
                to,
            } => format!(
                "{agent}'s break on {date} moved from {} to {}",
                String::from(*from),
                String::from(*to)
            ),
            Edit::OvertimeShift {
                agent,
                date,
                channel,
                start,
                end,
            } => format!(
                "overtime for {agent} on {date} {}–{} on {channel}",
                String::from(*start),
                String::from(*end)
            ),
            Edit::VendorHeads {
                vendor,
                date,
                channel,
                start,
                end,
                heads,
            } => format!(
                "{heads} extra heads from {vendor} on {date} {}–{} on {channel}",
                String::from(*start),
                String::from(*end)
            ),
        }
    }

    /// The plan with the edit made, and the first instant it changes.
    pub fn apply(&self, plan: &LivePlan) -> Result<(LivePlan, DateTime<Utc>), EditError> {
        let tz = plan.tz();
        let mut next = plan.clone();
        let at = |date: NaiveDate, c: Clock| instant(tz, date, c.minutes());
        let check_day = |date: NaiveDate| plan.check_date("date", date);
        let changed_from = match self {
            Edit::Absence { agent, date, from } => {
                let shift = shift_of(&mut next, agent, *date)?;
                let from = match from {
                    Some(f) => {
                        let t = at(*date, *f);
                        if t >= shift.end {
                            return fail(
                                "from",
                                format!("the shift ends at {}", local(tz, shift.end)),
                            );
                        }
                        t.max(shift.start)
                    }
                    None => shift.start,
                };
                shift.absent_from = Some(shift.absent_from.map_or(from, |a| a.min(from)));
                from
            }
            Edit::ChangeShift {
                agent,
                date,
                start,
                end,
            } => {
                if start.is_none() && end.is_none() {
                    return fail("end", "give a new start, a new end, or both");
                }
                let shift = shift_of(&mut next, agent, *date)?;
                let new_start = start.map_or(shift.start, |c| at(*date, c));
                let new_end = end.map_or(shift.end, |c| at(*date, c));
                if new_end <= new_start {
                    return fail("end", "the shift must end after it starts");
                }
                if (new_end - new_start).num_minutes() > MAX_SHIFT_MINUTES {
                    return fail("end", "a shift may last at most 16 hours");
                }
                let start_moved = start.map(|_| shift.start.min(new_start));
                let end_moved = end.map(|_| shift.end.min(new_end));
                let changed = match (start_moved, end_moved) {
                    (Some(a), Some(b)) => a.min(b),
                    (Some(a), None) | (None, Some(a)) => a,
                    (None, None) => unreachable!("checked above: a start or an end is given"),
                };
                shift.start = new_start;
                shift.end = new_end;
                // A shortened shift loses the breaks it no longer holds.
                shift
                    .breaks
                    .retain(|b| b.start >= new_start && b.end <= new_end);
                changed
            }
            Edit::MoveBreak {
                agent,
                date,
                from,
                to,
            } => {
                let shift = shift_of(&mut next, agent, *date)?;
                let old = at(*date, *from);
                let Some(k) = shift.breaks.iter().position(|b| b.start == old) else {
                    let starts: Vec<String> =
                        shift.breaks.iter().map(|b| local(tz, b.start)).collect();
                    return fail(
                        "from",
                        format!(
                            "no break starts at {}; this shift's breaks start at {}",
                            String::from(*from),
                            if starts.is_empty() {
                                "(none)".into()
                            } else {
                                starts.join(", ")
                            }
                        ),
                    );
                };
                let length = shift.breaks[k].end - shift.breaks[k].start;
                let new_start = at(*date, *to);
                let new_end = new_start + length;
                if new_start < shift.start || new_end > shift.end {
                    return fail(
                        "to",
                        format!(
                            "the break must lie inside the shift {}–{}",
                            local(tz, shift.start),
                            local(tz, shift.end)
                        ),
                    );
                }
                if shift
                    .breaks
                    .iter()
                    .enumerate()
                    .any(|(j, b)| j != k && b.start < new_end && new_start < b.end)
                {
                    return fail("to", "the break would overlap another break");
                }
                shift.breaks[k] = Break {
                    start: new_start,
                    end: new_end,
                    paid: shift.breaks[k].paid,
                };
                shift.breaks.sort_by_key(|b| b.start);
                old.min(new_start)
            }
            Edit::OvertimeShift {
                agent,
                date,
                channel,
                start,
                end,
            } => {
                check_day(*date)?;
                let Some(a) = plan.agents.iter().find(|a| &a.id == agent) else {
                    return fail("agent", format!("no agent `{agent}` in this plan"));
                };
                if plan.channel_index(channel).is_none() {
                    return fail("channel", unknown_channel(plan, channel));
                }
                if !a.channels.contains(channel) {
                    return fail(
                        "channel",
                        format!(
                            "{agent} is not skilled for {channel} (skills: {})",
                            a.channels.join(", ")
                        ),
                    );
                }
                let (s, e) = (at(*date, *start), at(*date, *end));
                if e <= s {
                    return fail("end", "the shift must end after it starts");
                }
                if (e - s).num_minutes() > MAX_SHIFT_MINUTES {
                    return fail("end", "a shift may last at most 16 hours");
                }
                if let Some(other) = plan
                    .shifts
                    .iter()
                    .find(|x| &x.agent == agent && x.start < e && s < x.end)
                {
                    return fail(
                        "start",
                        format!(
                            "{agent} already works {}–{} on {}; extend that shift instead",
                            local(tz, other.start),
                            local(tz, other.end),
                            other.date
                        ),
                    );
                }
                next.shifts.push(LiveShift {
                    agent: agent.clone(),
                    date: *date,
                    channel: channel.clone(),
                    start: s,
                    end: e,
                    breaks: Vec::new(),
                    absent_from: None,
                    overtime: true,
                });
                next.shifts
                    .sort_by(|a, b| (a.start, &a.agent).cmp(&(b.start, &b.agent)));
                s
            }
            Edit::VendorHeads {
                vendor,
                date,
                channel,
                start,
                end,
                heads,
            } => {
                check_day(*date)?;
                let Some(v) = plan.vendors.iter().find(|v| &v.id == vendor) else {
                    let ids: Vec<&str> = plan.vendors.iter().map(|v| v.id.as_str()).collect();
                    return fail(
                        "vendor",
                        format!("no vendor `{vendor}`; vendors: {}", ids.join(", ")),
                    );
                };
                if plan.channel_index(channel).is_none() {
                    return fail("channel", unknown_channel(plan, channel));
                }
                let Some(&cap) = v.max_heads.get(channel) else {
                    return fail("channel", format!("{vendor} does not staff {channel}"));
                };
                if *heads == 0 {
                    return fail("heads", "ask for at least one head");
                }
                let (s, e) = (at(*date, *start), at(*date, *end));
                if e <= s {
                    return fail("end", "the block must end after it starts");
                }
                let busy = booked(plan, vendor, channel, s, e);
                // Checked: a count from a request may be anything up to u32::MAX.
                if busy.checked_add(*heads).is_none_or(|total| total > cap) {
                    return fail(
                        "heads",
                        format!(
                            "{vendor} staffs at most {cap} heads on {channel}; {busy} are already booked then, so at most {} more",
                            cap.saturating_sub(busy)
                        ),
                    );
                }
                // The same window again adds heads to that block, so that every block stays
                // addressable by its date, channel, start and end.
                match next.blocks.iter_mut().find(|b| {
                    &b.vendor == vendor && &b.channel == channel && b.start == s && b.end == e
                }) {
                    Some(block) => {
                        block.heads += *heads;
                        block.committed = None;
                        block.requested_live = true;
                    }
                    None => next.blocks.push(LiveBlock {
                        vendor: vendor.clone(),
                        date: *date,
                        channel: channel.clone(),
                        start: s,
                        end: e,
                        heads: *heads,
                        committed: None,
                        requested_live: true,
                    }),
                }
                next.blocks.sort_by(|a, b| {
                    (a.start, &a.vendor, &a.channel).cmp(&(b.start, &b.vendor, &b.channel))
                });
                s
            }
        };
        Ok((next, changed_from))
    }

    /// The channels an edit can change.
    pub fn channels(&self, plan: &LivePlan) -> Vec<String> {
        match self {
            Edit::OvertimeShift { channel, .. } | Edit::VendorHeads { channel, .. } => {
                vec![channel.clone()]
            }
            Edit::Absence { agent, date, .. }
            | Edit::ChangeShift { agent, date, .. }
            | Edit::MoveBreak { agent, date, .. } => plan
                .shifts
                .iter()
                .filter(|s| &s.agent == agent && s.date == *date)
                .map(|s| s.channel.clone())
                .collect(),
        }
    }
}

/// Service from `from` to the end of that day, before and after, for each channel the edit touched.
pub fn impact(
    before: &LiveView,
    after: &LiveView,
    channels: &[String],
    from: DateTime<Utc>,
) -> Vec<Impact> {
    let i = after
        .plan
        .interval_at(from.max(after.plan.start))
        .unwrap_or(after.plan.intervals.saturating_sub(1));
    channels
        .iter()
        .filter_map(|id| {
            let c = after.plan.channel_index(id)?;
            Some(Impact {
                channel: id.clone(),
                before: before.rest_of_day(c, i),
                after: after.rest_of_day(c, i),
            })
        })
        .collect()
}

/// The most heads `vendor` has booked on `channel` at any instant of [from, to): blocks may
/// overlap, and the cap holds for their sum.
fn booked(
    plan: &LivePlan,
    vendor: &str,
    channel: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> u32 {
    let overlapping: Vec<&LiveBlock> = plan
        .blocks
        .iter()
        .filter(|b| b.vendor == vendor && b.channel == channel && b.start < to && from < b.end)
        .collect();
    // The sum is highest at the start of some block (or of the window).
    std::iter::once(from)
        .chain(overlapping.iter().map(|b| b.start.max(from)))
        .map(|t| {
            overlapping
                .iter()
                .filter(|b| b.start <= t && t < b.end)
                .map(|b| b.heads)
                .fold(0_u32, u32::saturating_add)
        })
        .max()
        .unwrap_or(0)
}

fn shift_of<'a>(
    plan: &'a mut LivePlan,
    agent: &str,
    date: NaiveDate,
) -> Result<&'a mut LiveShift, EditError> {
    if !plan.agents.iter().any(|a| a.id == agent) {
        return fail("agent", format!("no agent `{agent}` in this plan"));
    }
    match plan
        .shifts
        .iter_mut()
        .find(|s| s.agent == agent && s.date == date)
    {
        Some(s) => Ok(s),
        None => fail(
            "date",
            format!("{agent} has no shift on {date}; add an overtime shift instead"),
        ),
    }
}

fn unknown_channel(plan: &LivePlan, channel: &str) -> String {
    let ids: Vec<&str> = plan.channels.iter().map(|c| c.id.as_str()).collect();
    format!("unknown channel `{channel}`; channels: {}", ids.join(", "))
}
