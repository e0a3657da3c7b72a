//! The finished roster on its own terms: coverage, projected service, cost, every rule checked
//! again, and its gap to the stage-1 bound.

use super::model::{prices, prorated_min, weeks};
use super::slots::{grid_minute, idle_hours, spread};
use super::{Input, Mode, Options, Shift, VendorBlock};
use crate::queueing::backlog;
use crate::scenario::ChannelKind;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// One channel on one local day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayService {
    pub channel: String,
    pub date: NaiveDate,
    pub volume: f64,
    /// Contacts answered within the target time over offered, from the queueing engine (email: the
    /// share of work answered by its deadline).
    pub projected_service_level: Option<f64>,
    /// Expected share of offered contacts abandoning (patient queues report 0).
    pub projected_abandon_rate: Option<f64>,
    /// Busy agent time over agent time on the channel, over the intervals with contacts.
    pub projected_occupancy: Option<f64>,
    /// The target share.
    pub target: f64,
    pub max_abandon: Option<f64>,
    pub max_occupancy: Option<f64>,
    pub core_hours: f64,
    pub elastic_hours: f64,
}

impl DayService {
    /// Whether the projected service level reaches the target share.
    pub fn meets_service_level(&self) -> Option<bool> {
        self.projected_service_level
            .map(|v| v + 1e-9 >= self.target)
    }

    /// Whether projected abandonment stays within its cap (`None` without a cap or contacts).
    pub fn meets_abandon(&self) -> Option<bool> {
        Some(self.projected_abandon_rate? <= self.max_abandon? + 1e-9)
    }

    /// Whether projected occupancy stays within its cap (`None` without a cap or contacts).
    pub fn meets_occupancy(&self) -> Option<bool> {
        Some(self.projected_occupancy? <= self.max_occupancy? + 1e-9)
    }

    /// Whether every part of the target holds (`None`: no contacts to judge).
    pub fn meets_target(&self) -> Option<bool> {
        let sl = self.meets_service_level()?;
        Some(sl && self.meets_abandon() != Some(false) && self.meets_occupancy() != Some(false))
    }
}

/// One channel-day's sums over its intervals.
#[derive(Debug, Default)]
struct DayTotals {
    volume: f64,
    in_time: f64,
    /// Volume of the intervals with a projected service level.
    judged: f64,
    abandoned: f64,
    busy: f64,
    busy_ceiling: f64,
    on_phone: f64,
    core_hours: f64,
    elastic_hours: f64,
}

/// A contract rule or vendor limit the roster breaks.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Violation {
    /// Agent or vendor id.
    pub who: String,
    pub rule: String,
    pub detail: String,
}

/// Money or hours split by source.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Split {
    pub core: f64,
    pub overtime: f64,
    /// Per vendor id, in scenario order.
    pub vendors: Vec<(String, f64)>,
}

impl Split {
    pub fn total(&self) -> f64 {
        self.core + self.overtime + self.vendors.iter().map(|(_, v)| v).sum::<f64>()
    }
}

#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Core agents scheduled on each channel per interval (breaks taken out).
    pub core: Vec<Vec<f64>>,
    /// Vendor heads on each channel per interval.
    pub elastic: Vec<Vec<f64>>,
    /// Agents taking contacts after shrinkage, whole: what the simulator staffs with.
    pub on_phone: Vec<Vec<u32>>,
    /// Projected service level per channel and interval (live channels, open intervals).
    pub projected: Vec<Vec<Option<f64>>>,
    pub days: Vec<DayService>,
    pub cost: Split,
    pub hours: Split,
    /// Priced shortfall of the finished roster, as stage 1 prices it.
    pub penalty: f64,
    /// Cost plus penalty.
    pub objective: f64,
    pub lower_bound: f64,
    /// (objective − lower bound) / objective.
    pub gap: f64,
    pub violations: Vec<Violation>,
    /// Per channel: hours on it while it is closed, core and vendor.
    pub idle: Vec<IdleHours>,
}

/// Paid time on a channel outside its opening hours.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct IdleHours {
    pub channel: String,
    pub core_hours: f64,
    pub vendor_hours: f64,
    /// The shifts (agent id and date) and vendor blocks (vendor id and date) with idle time.
    pub who: Vec<String>,
    /// Whether the idle time was avoidable: a start of the same template, the same day, that the
    /// agent could work, covering the same open time with less time on the closed channel.
    pub reason: String,
}

/// Evaluates a roster.
pub fn evaluate(
    input: &Input,
    options: &Options,
    shifts: &[Shift],
    blocks: &[VendorBlock],
    lower_bound: f64,
) -> Evaluation {
    let s = input.scenario;
    let grid = input.grid;
    let n = grid.len();
    let dt = grid.length().seconds();
    let hours_per_interval = dt / 3600.0;
    let mut core = vec![vec![0.0; n]; s.channels.len()];
    let mut elastic = vec![vec![0.0; n]; s.channels.len()];
    let mut idle: Vec<IdleHours> = s
        .channels
        .iter()
        .map(|c| IdleHours {
            channel: c.id.to_string(),
            core_hours: 0.0,
            vendor_hours: 0.0,
            who: Vec::new(),
            reason: String::new(),
        })
        .collect();
    // Idle hours of one shift or block (`heads` of them), noted for its channel.
    let mut note_idle = |channel: usize, presence: &[(usize, f64)], vendor_heads: u32, who| {
        let hours = idle_hours(input, channel, presence) * f64::from(vendor_heads.max(1));
        if hours > 1e-9 {
            let d = &mut idle[channel];
            if vendor_heads > 0 {
                d.vendor_hours += hours;
            } else {
                d.core_hours += hours;
            }
            d.who.push(who);
        }
    };
    for sh in shifts {
        let from = grid_minute(input, sh.date, sh.start);
        let presence = spread(input, from, grid_minute(input, sh.date, sh.end));
        note_idle(
            sh.channel,
            &presence,
            0,
            format!("{} {}", s.agents[sh.agent].id, sh.date),
        );
        for (i, f) in presence {
            core[sh.channel][i] += f;
        }
        for &(at, minutes, _) in &sh.breaks {
            let b = grid_minute(input, sh.date, at);
            for (i, f) in spread(input, b, grid_minute(input, sh.date, at + minutes)) {
                core[sh.channel][i] -= f;
            }
        }
    }
    for b in blocks {
        let from = grid_minute(input, b.date, b.start);
        let presence = spread(input, from, grid_minute(input, b.date, b.end));
        note_idle(
            b.channel,
            &presence,
            b.heads,
            format!("{} {}", s.vendors[b.vendor].id, b.date),
        );
        for (i, f) in presence {
            elastic[b.channel][i] += f * f64::from(b.heads);
        }
    }
    let idle_total: f64 = idle.iter().map(|d| d.core_hours + d.vendor_hours).sum();
    explain_idle(input, shifts, &mut idle);

    let prices = prices(input);
    // Idle time is priced as the program prices it, so that the bound holds for this objective.
    let mut penalty = idle_total * prices.idle_per_hour;
    let mut on_phone = vec![vec![0; n]; s.channels.len()];
    let mut projected = vec![vec![None; n]; s.channels.len()];
    let mut abandon = vec![vec![None; n]; s.channels.len()];
    // Busy agents per interval, as projected and at the ceiling the program prices occupancy by.
    let mut busy = vec![vec![None; n]; s.channels.len()];
    for (c, channel) in s.channels.iter().enumerate() {
        let req = &input.requirements.channels[c];
        let within = channel.target.horizon();
        let eff: Vec<f64> = (0..n)
            .map(|i| (core[c][i] + elastic[c][i]) * (1.0 - req.intervals[i].shrinkage))
            .collect();
        for i in 0..n {
            on_phone[c][i] = (eff[i] + 1e-9).round().max(0.0) as u32;
        }
        if matches!(channel.kind, ChannelKind::Email) {
            let work: Vec<f64> = req
                .intervals
                .iter()
                .map(|r| r.volume * r.aht_seconds)
                .collect();
            let open: Vec<bool> = req.intervals.iter().map(|r| r.open).collect();
            projected[c] = backlog::in_time(&work, &open, &eff, dt, within.get());
        } else {
            for i in 0..n {
                let r = &req.intervals[i];
                if r.volume <= 0.0 {
                    continue;
                }
                if let Some(queue) = input.requirements.queue(s, c, i) {
                    let at = queue.service_at(within, eff[i]);
                    projected[c][i] = Some(at.service_level);
                    abandon[c][i] = Some(at.p_abandon);
                    busy[c][i] = Some((at.busy, queue.busy_ceiling()));
                }
            }
        }
        let by_service =
            options.mode == Mode::Service && !matches!(channel.kind, ChannelKind::Email);
        for i in 0..n {
            let r = &req.intervals[i];
            if !r.open {
                continue;
            }
            let have = core[c][i] + elastic[c][i];
            let need = if by_service {
                input
                    .requirements
                    .floor_agents(s, c, i, options.interval_floor)
                    .map_or(0.0, |n| f64::from(n) / (1.0 - r.shrinkage))
            } else {
                f64::from(r.scheduled)
            };
            penalty += (need - have).max(0.0) * prices.short_per_agent_interval;
        }
    }

    // Per channel and day.
    let mut days: Vec<DayService> = Vec::new();
    for (c, channel) in s.channels.iter().enumerate() {
        let req = &input.requirements.channels[c];
        let live = !matches!(channel.kind, ChannelKind::Email);
        let target = channel.target.staffing_target();
        let (max_abandon, max_occupancy) =
            target.map_or((None, None), |t| (t.max_abandon, t.max_occupancy));
        let mut by_day: BTreeMap<NaiveDate, DayTotals> = BTreeMap::new();
        for i in 0..n {
            let r = &req.intervals[i];
            let e = by_day.entry(grid.local_clock(i).date).or_default();
            e.volume += r.volume;
            if let Some(sl) = projected[c][i] {
                e.in_time += sl * r.volume;
                e.judged += r.volume;
            }
            e.abandoned += abandon[c][i].unwrap_or(0.0) * r.volume;
            if let Some((now, ceiling)) = busy[c][i] {
                let on_phone = (core[c][i] + elastic[c][i]) * (1.0 - r.shrinkage);
                e.busy += now;
                e.busy_ceiling += ceiling;
                e.on_phone += on_phone;
            }
            e.core_hours += core[c][i] * hours_per_interval;
            e.elastic_hours += elastic[c][i] * hours_per_interval;
        }
        let share = channel.target.share();
        for (date, t) in by_day {
            let sl = (t.judged > 0.0).then(|| t.in_time / t.judged);
            if options.mode == Mode::Service && live && t.volume > 0.0 {
                // As the program prices it: contacts below the target share dear, those below
                // target + margin cheap, abandonment above its cap as contacts below the target,
                // and busy time above the occupancy cap (at the busy ceiling) as agents missing.
                let planned = (share + options.service_margin).min(1.0);
                let below_target = (share * t.volume - t.in_time).max(0.0);
                let below_planned = (planned * t.volume - t.in_time).max(0.0) - below_target;
                penalty += below_target * prices.late_per_contact
                    + below_planned.min((planned - share) * t.volume) * prices.cushion_per_contact;
                if let Some(cap) = max_abandon {
                    penalty += (t.abandoned - cap * t.volume).max(0.0) * prices.late_per_contact;
                }
                if let Some(cap) = max_occupancy {
                    penalty += (t.busy_ceiling - cap * t.on_phone).max(0.0)
                        * prices.short_per_agent_interval;
                }
            }
            days.push(DayService {
                channel: channel.id.to_string(),
                date,
                volume: t.volume,
                projected_service_level: sl,
                projected_abandon_rate: (t.volume > 0.0 && live).then(|| t.abandoned / t.volume),
                projected_occupancy: (t.on_phone > 0.0).then(|| t.busy / t.on_phone),
                target: share,
                max_abandon,
                max_occupancy,
                core_hours: t.core_hours,
                elastic_hours: t.elastic_hours,
            });
        }
    }

    let (cost, hours, mut violations) = costs_and_rules(input, shifts, blocks);
    violations.extend(vendor_rules(input, blocks));
    let total = cost.total();
    let objective = total + penalty;
    // A valid bound never exceeds a roster's objective: a negative gap is a bug, shown as it is.
    let gap = if objective > 0.0 {
        (objective - lower_bound) / objective
    } else {
        0.0
    };
    Evaluation {
        core,
        elastic,
        on_phone,
        projected,
        days,
        cost,
        hours,
        penalty,
        objective,
        lower_bound,
        gap,
        violations,
        idle,
    }
}

/// Says for each channel with idle core time whether a shift inside the hours would have done
/// ([`super::assign::less_idle_start`]: after the assignment moves every such shift, none should).
fn explain_idle(input: &Input, shifts: &[Shift], idle: &mut [IdleHours]) {
    let s = input.scenario;
    for (c, d) in idle.iter_mut().enumerate() {
        let mine: Vec<usize> = (0..shifts.len())
            .filter(|&k| shifts[k].channel == c)
            .filter(|&k| {
                let sh = &shifts[k];
                let presence = spread(
                    input,
                    grid_minute(input, sh.date, sh.start),
                    grid_minute(input, sh.date, sh.end),
                );
                idle_hours(input, c, &presence) > 1e-9
            })
            .collect();
        if mine.is_empty() {
            continue;
        }
        let avoidable = mine
            .iter()
            .filter(|&&k| super::assign::less_idle_start(input, shifts, k).is_some())
            .count();
        let mut templates: Vec<&str> = mine
            .iter()
            .map(|&k| s.shift_templates[shifts[k].template].id.as_str())
            .collect();
        templates.sort_unstable();
        templates.dedup();
        d.reason = if avoidable == 0 {
            format!(
                "forced by the templates ({}): no other start of the same template that day, \
                 workable by the agent, keeps every open interval it covers as covered (breaks \
                 included) with less time after closing; a shorter template or longer opening \
                 hours would avoid it",
                templates.join(", ")
            )
        } else {
            format!(
                "{avoidable} of {} shifts with idle time could start inside the hours and keep the \
                 same open time covered (templates {})",
                mine.len(),
                templates.join(", ")
            )
        };
    }
}

/// Cost and paid hours by source, and every contract rule checked per agent.
fn costs_and_rules(
    input: &Input,
    shifts: &[Shift],
    blocks: &[VendorBlock],
) -> (Split, Split, Vec<Violation>) {
    let s = input.scenario;
    let week_list = weeks(input);
    let first = s.horizon.start;
    let day_index = |d: NaiveDate| (d - first).num_days();
    let mut cost = Split::default();
    let mut hours = Split::default();
    let mut violations = Vec::new();
    let mut by_agent: Vec<Vec<&Shift>> = vec![Vec::new(); s.agents.len()];
    for sh in shifts {
        by_agent[sh.agent].push(sh);
    }
    for (a, agent) in s.agents.iter().enumerate() {
        let mine = &mut by_agent[a];
        mine.sort_by_key(|sh| (sh.date, sh.start));
        let c = agent.contract;
        let mut flag = |rule: &str, detail: String| {
            violations.push(Violation {
                who: agent.id.clone(),
                rule: rule.to_string(),
                detail,
            })
        };
        for sh in mine.iter() {
            if !agent.templates.contains(&sh.template) {
                flag(
                    "templates",
                    format!(
                        "{} works template {}",
                        sh.date, s.shift_templates[sh.template].id
                    ),
                );
            }
            if !agent.channels.contains(&sh.channel) {
                flag(
                    "channels",
                    format!("{} works channel {}", sh.date, s.channels[sh.channel].id),
                );
            }
            if !agent.available(sh.date, sh.start, sh.end) {
                flag(
                    "unavailable",
                    format!("{} works while unavailable", sh.date),
                );
            }
        }
        for w in mine.windows(2) {
            let end = grid_minute(input, w[0].date, w[0].end);
            let start = grid_minute(input, w[1].date, w[1].start);
            if w[0].date == w[1].date {
                flag("one shift a day", format!("two shifts on {}", w[0].date));
            }
            let rest = (start - end) as f64 / 60.0;
            if rest + 1e-9 < c.min_rest_hours {
                flag(
                    "min_rest_hours",
                    format!("{:.1} h rest between {} and {}", rest, w[0].date, w[1].date),
                );
            }
        }
        let mut run = 0;
        let mut last: Option<NaiveDate> = None;
        for sh in mine.iter() {
            run = match last {
                Some(l) if sh.date - l == chrono::Duration::days(1) => run + 1,
                Some(l) if sh.date == l => run,
                _ => 1,
            };
            last = Some(sh.date);
            if run > c.max_consecutive_days {
                flag(
                    "max_consecutive_days",
                    format!("{run} days in a row to {}", sh.date),
                );
            }
        }
        for (_, days) in &week_list {
            let in_week: Vec<&&Shift> = mine
                .iter()
                .filter(|sh| days.contains(&(day_index(sh.date) as usize)))
                .collect();
            let h: f64 = in_week
                .iter()
                .map(|sh| f64::from(sh.paid_minutes) / 60.0)
                .sum();
            let week = s.horizon.start + chrono::Duration::days(days[0] as i64);
            if in_week.len() as u32 > c.max_shifts_week {
                flag(
                    "max_shifts_week",
                    format!("{} shifts in the week of {week}", in_week.len()),
                );
            }
            let ot_allowed = agent.overtime.map_or(0.0, |o| o.hours_week);
            if h > c.max_hours_week + ot_allowed + 1e-9 {
                flag("max_hours_week", format!("{h:.2} h in the week of {week}"));
            }
            let min = prorated_min(c.min_hours_week, days.len());
            if h + 1e-9 < min {
                flag(
                    "min_hours_week",
                    format!("{h:.2} h of {min:.2} h in the week of {week}"),
                );
            }
            let regular = h.min(c.max_hours_week);
            let extra = (h - c.max_hours_week).max(0.0);
            hours.core += regular;
            hours.overtime += extra;
            cost.core += regular * agent.cost_per_hour;
            cost.overtime +=
                extra * agent.cost_per_hour * agent.overtime.map_or(1.0, |o| o.cost_factor);
        }
    }
    for (v, vendor) in s.vendors.iter().enumerate() {
        let mine = blocks.iter().filter(|b| b.vendor == v);
        // Hours as they pass: a block over a clock change is an hour longer or shorter.
        let h: f64 = mine
            .clone()
            .map(|b| {
                let elapsed =
                    grid_minute(input, b.date, b.end) - grid_minute(input, b.date, b.start);
                f64::from(b.heads) * elapsed as f64 / 60.0
            })
            .sum();
        let fixed = mine.count() as f64 * vendor.fixed_cost_per_block;
        hours.vendors.push((vendor.id.clone(), h));
        cost.vendors
            .push((vendor.id.clone(), h * vendor.cost_per_hour + fixed));
    }
    (cost, hours, violations)
}

/// Vendor caps per interval, notice and block length.
fn vendor_rules(input: &Input, blocks: &[VendorBlock]) -> Vec<Violation> {
    let s = input.scenario;
    let mut out = Vec::new();
    let n = input.grid.len();
    for (v, vendor) in s.vendors.iter().enumerate() {
        let earliest = s
            .plan_date
            .map(|p| grid_minute(input, p, 0) + (vendor.notice_hours * 60.0).round() as i64);
        let mut heads: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
        for b in blocks.iter().filter(|b| b.vendor == v) {
            let from = grid_minute(input, b.date, b.start);
            if earliest.is_some_and(|e| from < e) {
                out.push(Violation {
                    who: vendor.id.clone(),
                    rule: "notice_hours".into(),
                    detail: format!(
                        "block on {} at {} starts inside the notice",
                        b.date, b.start
                    ),
                });
            }
            if b.end - b.start < vendor.min_block_minutes {
                out.push(Violation {
                    who: vendor.id.clone(),
                    rule: "min_block_hours".into(),
                    detail: format!("block on {} at {} is too short", b.date, b.start),
                });
            }
            let line = heads.entry(b.channel).or_insert_with(|| vec![0; n]);
            for (i, _) in spread(input, from, grid_minute(input, b.date, b.end)) {
                line[i] += b.heads;
            }
        }
        for (c, line) in heads {
            let cap = vendor
                .max_heads
                .iter()
                .find(|(ch, _)| *ch == c)
                .map_or(0, |&(_, m)| m);
            if let Some((i, &h)) = line.iter().enumerate().find(|(_, h)| **h > cap) {
                out.push(Violation {
                    who: vendor.id.clone(),
                    rule: "max_heads".into(),
                    detail: format!(
                        "{h} heads on {} at {} (cap {cap})",
                        s.channels[c].id,
                        crate::volumes::format_timestamp(input.grid.start_of(i), s.time_zone)
                    ),
                });
            }
        }
    }
    out
}
