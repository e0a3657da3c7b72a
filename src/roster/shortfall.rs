//! Why a channel-day falls short of its target: one sentence per day naming the cause — a vendor's
//! notice, a vendor's cap in the intervals that fall short, the core team at its contract limits —
//! and the fix.

use super::evaluate::Evaluation;
use super::slots::{grid_minute, spread};
use super::{Input, Shift, VendorBlock};
use crate::clock::Clock;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One channel-day below its target, with the cause and the fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Shortfall {
    pub channel: String,
    pub date: NaiveDate,
    /// The parts of the target that fail: `service_level`, `abandon`, `occupancy`.
    pub missed: Vec<String>,
    /// What keeps more capacity off the day.
    pub cause: String,
    pub fix: String,
}

/// Every channel-day of the evaluation whose target fails, explained.
pub fn explain(
    input: &Input,
    evaluation: &Evaluation,
    shifts: &[Shift],
    blocks: &[VendorBlock],
) -> Vec<Shortfall> {
    let s = input.scenario;
    let grid = input.grid;
    let mut out = Vec::new();
    for day in evaluation
        .days
        .iter()
        .filter(|d| d.meets_target() == Some(false))
    {
        let Some(c) = s
            .channels
            .iter()
            .position(|ch| ch.id.as_str() == day.channel)
        else {
            continue;
        };
        let mut missed = Vec::new();
        if day.meets_service_level() == Some(false) {
            missed.push("service_level".to_string());
        }
        if day.meets_abandon() == Some(false) {
            missed.push("abandon".to_string());
        }
        if day.meets_occupancy() == Some(false) {
            missed.push("occupancy".to_string());
        }
        // The day's intervals that fall short of the target share (or, without a projection,
        // of the agents required).
        let req = &input.requirements.channels[c];
        let short: Vec<usize> = (0..grid.len())
            .filter(|&i| grid.local_clock(i).date == day.date && req.intervals[i].open)
            .filter(|&i| match evaluation.projected[c][i] {
                Some(sl) => sl + 1e-9 < day.target,
                None => {
                    evaluation.core[c][i] + evaluation.elastic[c][i] + 1e-9
                        < f64::from(req.intervals[i].scheduled)
                }
            })
            .collect();
        let mut causes: Vec<String> = Vec::new();
        let mut fixes: Vec<String> = Vec::new();
        for (v, vendor) in s.vendors.iter().enumerate() {
            let Some(&(_, cap)) = vendor.max_heads.iter().find(|(ch, _)| *ch == c) else {
                continue;
            };
            // Notice: the first instant the vendor can start, against the day.
            if let Some(plan) = s.plan_date {
                let earliest =
                    grid_minute(input, plan, 0) + (vendor.notice_hours * 60.0).round() as i64;
                let day_start = grid_minute(input, day.date, 0);
                let day_end = grid_minute(input, day.date, 24 * 60);
                if earliest >= day_end {
                    causes.push(format!(
                        "vendor {}'s {} h notice from {plan} excludes the whole day",
                        vendor.id, vendor.notice_hours
                    ));
                    fixes.push(format!(
                        "book {} earlier or agree a shorter notice_hours",
                        vendor.id
                    ));
                    continue;
                } else if earliest > day_start {
                    causes.push(format!(
                        "vendor {}'s {} h notice from {plan} excludes the day before {}",
                        vendor.id,
                        vendor.notice_hours,
                        Clock::from_minutes(((earliest - day_start) as u32).min(24 * 60))
                    ));
                    fixes.push(format!(
                        "book {} earlier or agree a shorter notice_hours",
                        vendor.id
                    ));
                }
            }
            // Cap: heads at the cap in a short interval.
            let mut heads = vec![0u32; grid.len()];
            for b in blocks.iter().filter(|b| b.vendor == v && b.channel == c) {
                let from = grid_minute(input, b.date, b.start);
                for (i, _) in spread(input, from, grid_minute(input, b.date, b.end)) {
                    heads[i] += b.heads;
                }
            }
            let at_cap: Vec<usize> = short.iter().copied().filter(|&i| heads[i] >= cap).collect();
            if let (Some(&first), Some(&last)) = (at_cap.first(), at_cap.last()) {
                causes.push(format!(
                    "vendor {} is at its cap of {cap} heads on {} from {} to {}",
                    vendor.id,
                    day.channel,
                    Clock::from_minutes(grid.local_clock(first).minute_of_day),
                    Clock::of_day(grid.local_clock(last).minute_of_day + grid.length().minutes()),
                ));
                fixes.push(format!(
                    "raise {}'s max_heads for {} or add a vendor",
                    vendor.id, day.channel
                ));
            }
        }
        // Core: the groups that can work the channel, and whether their contracts let more of them
        // work this day.
        let mut groups: Vec<&str> = Vec::new();
        for agent in s.agents.iter().filter(|a| a.channels.contains(&c)) {
            if !groups.contains(&agent.group.as_str()) {
                groups.push(&agent.group);
            }
        }
        for group in groups {
            let members: Vec<usize> = (0..s.agents.len())
                .filter(|&a| s.agents[a].group == group)
                .collect();
            // Each agent of the group either works this day, cannot (no start of its templates
            // is free of its unavailability), or has no room left in the week for its shortest
            // shift; only when all are so is the group a cause.
            let week = day.date.iso_week();
            let busy = |a: usize| shifts.iter().any(|sh| sh.agent == a && sh.date == day.date);
            let away = |a: usize| {
                let agent = &s.agents[a];
                !agent.templates.iter().any(|&t| {
                    let t = &s.shift_templates[t];
                    t.starts()
                        .any(|st| agent.available(day.date, st, st + t.length_minutes))
                })
            };
            let full = |a: usize| {
                let agent = &s.agents[a];
                let mine: Vec<&Shift> = shifts
                    .iter()
                    .filter(|sh| sh.agent == a && sh.date.iso_week() == week)
                    .collect();
                let hours: f64 = mine
                    .iter()
                    .map(|sh| f64::from(sh.paid_minutes) / 60.0)
                    .sum();
                let shortest = agent
                    .templates
                    .iter()
                    .map(|&t| f64::from(s.shift_templates[t].paid_minutes()) / 60.0)
                    .fold(f64::INFINITY, f64::min);
                let overtime = agent.overtime.map_or(0.0, |o| o.hours_week);
                mine.len() as u32 >= agent.contract.max_shifts_week
                    || hours + shortest > agent.contract.max_hours_week + overtime + 1e-9
            };
            let working = members.iter().filter(|&&a| busy(a)).count();
            let no_room = members.iter().all(|&a| busy(a) || away(a) || full(a));
            if no_room {
                causes.push(format!(
                    "core group {group}: {working} of {} agents work this day, the others are at \
                     max_shifts_week or max_hours_week for the week or unavailable",
                    members.len()
                ));
                fixes.push(format!(
                    "add agents to {group}, allow overtime or raise its weekly limits"
                ));
            }
        }
        let (cause, fix) = if causes.is_empty() {
            (
                "no vendor is at its cap or notice and the core contracts leave room: the solver \
                 found the shortfall cheaper than the capacity (or ran out of time)"
                    .to_string(),
                "raise --time-limit, or check the shift templates cover the short hours"
                    .to_string(),
            )
        } else {
            (causes.join("; "), fixes.join("; "))
        };
        out.push(Shortfall {
            channel: day.channel.clone(),
            date: day.date,
            missed,
            cause,
            fix,
        });
    }
    out
}
