//! Where shifts and vendor blocks can go: every candidate laid on the scenario's interval grid.

use super::Input;
use crate::time_grid::WallClock;
use chrono::NaiveDate;

/// Agents of one `[[agents]]` entry: same skills, contract and availability.
#[derive(Debug, Clone)]
pub struct Pool {
    pub group: String,
    /// Indices into `scenario.agents`, in scenario order.
    pub agents: Vec<usize>,
}

impl Pool {
    pub fn size(&self) -> f64 {
        self.agents.len() as f64
    }
}

/// Groups agents by their `[[agents]]` entry, in scenario order.
pub fn pools(input: &Input) -> Vec<Pool> {
    let mut out: Vec<Pool> = Vec::new();
    for (a, agent) in input.scenario.agents.iter().enumerate() {
        match out.last_mut() {
            Some(p) if p.group == agent.group => p.agents.push(a),
            _ => out.push(Pool {
                group: agent.group.clone(),
                agents: vec![a],
            }),
        }
    }
    out
}

/// Share of each grid interval covered: `(interval, fraction)`.
pub type Presence = Vec<(usize, f64)>;

/// Minutes from the grid's first instant to the wall-clock time `minute` minutes after midnight
/// of `date` (see [`WallClock`] for the hours a clock change repeats or skips).
pub fn grid_minute(input: &Input, date: NaiveDate, minute: u32) -> i64 {
    let at = WallClock::at(input.scenario.time_zone, date, minute).instant();
    (at - input.grid.start_of(0)).num_minutes()
}

/// Whether the wall-clock time happens exactly once (not inside an hour a clock change repeats or
/// skips): shifts and blocks start and end only at such times.
pub fn clock_exists(input: &Input, date: NaiveDate, minute: u32) -> bool {
    WallClock::at(input.scenario.time_zone, date, minute).is_exact()
}

/// The intervals `[from, to)` (grid minutes) overlaps, with the share of each.
pub fn spread(input: &Input, from: i64, to: i64) -> Presence {
    let len = i64::from(input.grid.length().minutes());
    let n = input.grid.len() as i64;
    let mut out = Vec::new();
    if to <= from {
        return out;
    }
    let first = from.div_euclid(len).max(0);
    let last = ((to - 1).div_euclid(len)).min(n - 1);
    for i in first..=last {
        let (a, b) = (i * len, (i + 1) * len);
        let overlap = to.min(b) - from.max(a);
        if overlap > 0 {
            out.push((i as usize, overlap as f64 / len as f64));
        }
    }
    out
}

/// Hours of `presence` that fall on intervals where `channel` is closed.
pub fn idle_hours(input: &Input, channel: usize, presence: &[(usize, f64)]) -> f64 {
    let hours = input.grid.length().seconds() / 3600.0;
    presence
        .iter()
        .filter(|&&(i, _)| !input.volumes.open[channel].get(i).copied().unwrap_or(false))
        .map(|&(_, f)| f * hours)
        .sum()
}

/// One place a break can go.
#[derive(Debug, Clone)]
pub struct BreakOption {
    /// Minutes after the shift start.
    pub offset: u32,
    pub removal: Presence,
}

/// A shift of one template starting at one time on one day on one channel.
#[derive(Debug, Clone)]
pub struct ShiftSlot {
    pub template: usize,
    pub day: usize,
    pub date: NaiveDate,
    pub start: u32,
    pub channel: usize,
    pub presence: Presence,
    /// Per break rule of the template, where it may go.
    pub breaks: Vec<Vec<BreakOption>>,
    pub paid_hours: f64,
}

impl ShiftSlot {
    pub fn end(&self, input: &Input) -> u32 {
        self.start + input.scenario.shift_templates[self.template].length_minutes
    }

    /// The start in grid minutes.
    pub fn grid_start(&self, input: &Input) -> i64 {
        grid_minute(input, self.date, self.start)
    }

    /// The end in grid minutes.
    pub fn grid_end(&self, input: &Input) -> i64 {
        grid_minute(input, self.date, self.end(input))
    }
}

/// Breaks are placed on the interval grid (every 15 minutes at most): finer placement changes
/// coverage by less than the rounding of breaks to whole agents does.
pub fn break_step(input: &Input) -> u32 {
    input.grid.length().minutes().max(15)
}

/// Every shift slot touching an open interval of its channel.
pub fn shift_slots(input: &Input) -> Vec<ShiftSlot> {
    let s = input.scenario;
    let days: Vec<NaiveDate> = s.horizon.days().collect();
    let step = break_step(input) as usize;
    let mut out = Vec::new();
    for (t, template) in s.shift_templates.iter().enumerate() {
        let placements = template
            .break_placements()
            .expect("templates are checked at load for breaks that fit");
        for (d, &date) in days.iter().enumerate() {
            for start in template.starts() {
                // On a clock-change day a shift starting or ending in the changed hour is not
                // offered; one over the change lasts its clock length ± the change, paid as
                // worked.
                let end = start + template.length_minutes;
                if !clock_exists(input, date, start) || !clock_exists(input, date, end) {
                    continue;
                }
                let from = grid_minute(input, date, start);
                let to = grid_minute(input, date, end);
                let presence = spread(input, from, to);
                let unpaid: u32 = template
                    .breaks
                    .iter()
                    .filter(|b| !b.paid)
                    .map(|b| b.minutes)
                    .sum();
                let paid_hours = ((to - from) as f64 - f64::from(unpaid)) / 60.0;
                let breaks: Vec<Vec<BreakOption>> = placements
                    .iter()
                    .zip(&template.breaks)
                    .map(|(b, rule)| {
                        (b.0..=b.1)
                            .step_by(step)
                            .map(|offset| {
                                let at = grid_minute(input, date, start + offset);
                                let until = grid_minute(input, date, start + offset + rule.minutes);
                                BreakOption {
                                    offset,
                                    removal: spread(input, at, until),
                                }
                            })
                            .collect()
                    })
                    .collect();
                for &c in &template.channels {
                    if !presence.iter().any(|&(i, _)| input.volumes.open[c][i]) {
                        continue;
                    }
                    out.push(ShiftSlot {
                        template: t,
                        day: d,
                        date,
                        start,
                        channel: c,
                        presence: presence.clone(),
                        breaks: breaks.clone(),
                        paid_hours,
                    });
                }
            }
        }
    }
    out
}

/// A vendor block: heads on one channel from `start` for `length` minutes.
#[derive(Debug, Clone)]
pub struct BlockSlot {
    pub vendor: usize,
    pub channel: usize,
    pub cap: u32,
    pub day: usize,
    pub date: NaiveDate,
    pub start: u32,
    /// Clock minutes from start to end.
    pub length: u32,
    /// Hours from start to end as they pass (a clock change adds or takes one).
    pub hours: f64,
    pub presence: Presence,
}

/// Block lengths offered: the minimum, and two and four hours more, up to twelve hours.
fn block_lengths(min: u32) -> Vec<u32> {
    let mut v = vec![min];
    for extra in [120, 240] {
        if min + extra <= 720 {
            v.push(min + extra);
        }
    }
    v
}

/// Every vendor block that starts and ends inside its channel's opening hours, after the notice.
pub fn block_slots(input: &Input) -> Vec<BlockSlot> {
    let s = input.scenario;
    let earliest = s
        .plan_date
        .map(|p| grid_minute(input, p, 0))
        .unwrap_or(i64::MIN);
    let open = |c: usize, i: usize| input.volumes.open[c].get(i).copied().unwrap_or(false);
    let mut out = Vec::new();
    for (v, vendor) in s.vendors.iter().enumerate() {
        let notice = (vendor.notice_hours * 60.0).round() as i64;
        for &(c, cap) in &vendor.max_heads {
            if cap == 0 {
                continue;
            }
            for (d, date) in s.horizon.days().enumerate() {
                for start in (0..1440).step_by(vendor.start_step_minutes.max(1) as usize) {
                    let from = grid_minute(input, date, start);
                    if from < earliest.saturating_add(notice) || !clock_exists(input, date, start) {
                        continue;
                    }
                    for length in block_lengths(vendor.min_block_minutes) {
                        if !clock_exists(input, date, start + length) {
                            continue;
                        }
                        let to = grid_minute(input, date, start + length);
                        let presence = spread(input, from, to);
                        let (Some(&(first, _)), Some(&(last, _))) =
                            (presence.first(), presence.last())
                        else {
                            continue;
                        };
                        if !open(c, first) || !open(c, last) {
                            continue;
                        }
                        out.push(BlockSlot {
                            vendor: v,
                            channel: c,
                            cap,
                            day: d,
                            date,
                            start,
                            length,
                            hours: (to - from) as f64 / 60.0,
                            presence,
                        });
                    }
                }
            }
        }
    }
    out
}

/// Whether a pool may work a slot: template, skill and availability for the whole shift.
pub fn pool_can_work(input: &Input, pool: &Pool, slot: &ShiftSlot) -> bool {
    let agent = &input.scenario.agents[pool.agents[0]];
    agent.templates.contains(&slot.template)
        && agent.channels.contains(&slot.channel)
        && agent.available(slot.date, slot.start, slot.end(input))
}
