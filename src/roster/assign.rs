//! Stage 2: the shifts stage 1 counted per group go to named agents, and breaks to whole places.
//!
//! Day by day and, within a day, in order of start, each shift goes to the agent of its group who
//! may take it (free that day, rested since the last shift, within the consecutive-day run, the
//! weekly shifts and the weekly hours with overtime) and, among those, first to one who stays off
//! overtime, then to the one furthest below the week's contract minimum, then to the one whose last
//! shift started closest to this one (stable patterns keep late workers late, which keeps early
//! shifts open to the rested), then by roster order. A repair pass then moves shifts from agents
//! above their minimum to agents below it wherever every rule still holds.

use super::model::{prorated_min, weeks};
use super::solve::Solved;
use super::{Input, Shift};
use crate::scenario::Agent;
use chrono::NaiveDate;
use serde::Serialize;

/// A shift stage 1 planned that no agent of its group could take.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Unassigned {
    pub group: String,
    pub date: NaiveDate,
    pub start: u32,
    pub template: String,
    pub channel: String,
}

pub struct Assigned {
    pub shifts: Vec<Shift>,
    pub unassigned: Vec<Unassigned>,
}

/// Splits `total` whole shifts over break places in proportion to `values`, largest remainder first
/// (ties to the earlier place).
pub fn round_breaks(values: &[f64], total: u32) -> Vec<u32> {
    let sum: f64 = values.iter().sum();
    if total == 0 || sum <= 0.0 {
        let mut out = vec![0; values.len()];
        if let Some(first) = out.first_mut() {
            *first = total;
        }
        return out;
    }
    let scaled: Vec<f64> = values.iter().map(|v| v * f64::from(total) / sum).collect();
    let mut out: Vec<u32> = scaled.iter().map(|v| v.floor() as u32).collect();
    let mut left = total - out.iter().sum::<u32>();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = scaled[a] - scaled[a].floor();
        let rb = scaled[b] - scaled[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for j in order {
        if left == 0 {
            break;
        }
        out[j] += 1;
        left -= 1;
    }
    out
}

/// A shift placed on the horizon's minute line, for rule checks.
#[derive(Debug, Clone, Copy)]
struct Placed {
    day: usize,
    week: usize,
    start: i64,
    end: i64,
    paid_hours: f64,
}

/// What one agent may still take.
struct Ledger<'a> {
    agent: &'a Agent,
    shifts: Vec<Placed>,
    week_days: &'a [usize],
}

impl Ledger<'_> {
    fn hours(&self, week: usize) -> f64 {
        self.shifts
            .iter()
            .filter(|s| s.week == week)
            .map(|s| s.paid_hours)
            .sum()
    }

    fn deficit(&self, week: usize) -> f64 {
        prorated_min(self.agent.contract.min_hours_week, self.week_days[week]) - self.hours(week)
    }

    fn max_hours(&self) -> f64 {
        self.agent.contract.max_hours_week + self.agent.overtime.map_or(0.0, |o| o.hours_week)
    }

    /// Whether the agent may also take `p` (ignoring `except`, a shift being moved away).
    fn can_take(&self, p: &Placed, except: Option<usize>) -> bool {
        let c = &self.agent.contract;
        let rest = (c.min_rest_hours * 60.0).round() as i64;
        let others = || {
            self.shifts
                .iter()
                .enumerate()
                .filter(move |(j, _)| Some(*j) != except)
                .map(|(_, s)| s)
        };
        if others().any(|s| {
            s.day == p.day
                || (s.end <= p.start && p.start - s.end < rest)
                || (p.end <= s.start && s.start - p.end < rest)
                || (s.start < p.end && p.start < s.end)
        }) {
            return false;
        }
        let in_week = others().filter(|s| s.week == p.week);
        let (n, h) = in_week.fold((0, 0.0), |(n, h), s| (n + 1, h + s.paid_hours));
        if n + 1 > c.max_shifts_week || h + p.paid_hours > self.max_hours() + 1e-9 {
            return false;
        }
        // The run of consecutive working days through p.day.
        let worked = |d: usize| others().any(|s| s.day == d);
        let mut run = 1;
        let mut d = p.day;
        while d > 0 && worked(d - 1) {
            run += 1;
            d -= 1;
        }
        let mut d = p.day;
        while worked(d + 1) {
            run += 1;
            d += 1;
        }
        run <= c.max_consecutive_days
    }

    /// Working days in a row just before `day`.
    fn run_before(&self, day: usize) -> usize {
        let mut run = 0;
        while run < day && self.shifts.iter().any(|s| s.day == day - run - 1) {
            run += 1;
        }
        run
    }

    fn last_start_before(&self, start: i64) -> Option<i64> {
        self.shifts
            .iter()
            .filter(|s| s.start < start)
            .map(|s| s.start)
            .max()
    }
}

struct Pending {
    pool: usize,
    slot: usize,
    /// Break offsets, minutes after the start, one per break rule.
    offsets: Vec<u32>,
}

/// Assigns every shift of stage 1 to a named agent. The greedy is run with the agents of each group
/// taken in three orders (roster order, reversed, interleaved); the assignment with the fewest
/// shifts left over and weekly minimums missed is kept (the first on a tie).
pub fn assign(input: &Input, solved: &Solved) -> Assigned {
    let n = input.scenario.agents.len();
    let orders: [Vec<usize>; 3] = [
        (0..n).collect(),
        (0..n).map(|a| n - 1 - a).collect(),
        (0..n)
            .map(|a| if a % 2 == 0 { a / 2 } else { n - 1 - a / 2 })
            .collect(),
    ];
    let mut best: Option<(usize, Assigned)> = None;
    for rank in &orders {
        let (assigned, missed) = assign_ranked(input, solved, rank);
        let score = assigned.unassigned.len() + missed;
        if best.as_ref().is_none_or(|(b, _)| score < *b) {
            best = Some((score, assigned));
        }
    }
    best.expect("three orders were tried").1
}

/// One greedy pass; ties between equally suited agents go to the lower `rank`. Also returns how
/// many agent-weeks end below their minimum.
fn assign_ranked(input: &Input, solved: &Solved, rank: &[usize]) -> (Assigned, usize) {
    let s = input.scenario;
    let keys = &solved.keys;
    let week_list = weeks(input);
    let day_count = s.horizon.day_count();
    let mut week_of = vec![0; day_count];
    let mut week_days = vec![0; week_list.len()];
    for (w, (_, days)) in week_list.iter().enumerate() {
        week_days[w] = days.len();
        for &d in days {
            week_of[d] = w;
        }
    }

    // Whole break places per slot, handed out in order to the slot's shifts.
    let mut per_slot: Vec<u32> = vec![0; keys.slots.len()];
    for &(_, k, n) in &solved.shift_counts {
        per_slot[k] += n;
    }
    let mut offsets: Vec<Vec<Vec<u32>>> = keys
        .slots
        .iter()
        .enumerate()
        .map(|(k, slot)| {
            slot.breaks
                .iter()
                .enumerate()
                .map(|(r, opts)| {
                    let mut values = vec![0.0; opts.len()];
                    for &(kk, rr, o, v) in &solved.break_values {
                        if kk == k && rr == r {
                            values[o] = v;
                        }
                    }
                    let counts = round_breaks(&values, per_slot[k]);
                    // Stored reversed, so pop() hands them out earliest first.
                    let mut list: Vec<u32> = counts
                        .iter()
                        .enumerate()
                        .flat_map(|(o, &n)| std::iter::repeat_n(opts[o].offset, n as usize))
                        .collect();
                    list.reverse();
                    list
                })
                .collect()
        })
        .collect();

    let mut pending: Vec<Pending> = Vec::new();
    for &(p, k, n) in &solved.shift_counts {
        for _ in 0..n {
            let offs = offsets[k]
                .iter_mut()
                .zip(&keys.slots[k].breaks)
                .map(|(list, opts)| {
                    list.pop()
                        .unwrap_or_else(|| opts.first().map_or(0, |o| o.offset))
                })
                .collect();
            pending.push(Pending {
                pool: p,
                slot: k,
                offsets: offs,
            });
        }
    }
    // Day by day, by start, then pool and template.
    pending.sort_by_key(|q| {
        let sl = &keys.slots[q.slot];
        (sl.day, sl.start, q.pool, sl.template, sl.channel)
    });

    let mut ledgers: Vec<Ledger> = s
        .agents
        .iter()
        .map(|agent| Ledger {
            agent,
            shifts: Vec::new(),
            week_days: &week_days,
        })
        .collect();
    let placed_of = |q: &Pending| {
        let sl = &keys.slots[q.slot];
        Placed {
            day: sl.day,
            week: week_of[sl.day],
            start: sl.grid_start(input),
            end: sl.grid_end(input),
            paid_hours: sl.paid_hours,
        }
    };

    let mut owner: Vec<Option<usize>> = vec![None; pending.len()];
    let mut unassigned = Vec::new();
    for (j, q) in pending.iter().enumerate() {
        let p = placed_of(q);
        let best = keys.pools[q.pool]
            .agents
            .iter()
            .copied()
            .filter(|&a| ledgers[a].can_take(&p, None))
            .min_by(|&a, &b| {
                let key = |a: usize| {
                    let l = &ledgers[a];
                    let overtime =
                        l.hours(p.week) + p.paid_hours > l.agent.contract.max_hours_week + 1e-9;
                    let deficit = (l.deficit(p.week) * 4.0).round() as i64;
                    let distance = l
                        .last_start_before(p.start)
                        .map_or(0, |s| ((s % 1440) - (p.start % 1440)).abs());
                    (overtime, -deficit, l.run_before(p.day), distance, rank[a])
                };
                key(a).cmp(&key(b))
            });
        match best {
            Some(a) => {
                ledgers[a].shifts.push(p);
                owner[j] = Some(a);
            }
            None => {
                let sl = &keys.slots[q.slot];
                unassigned.push(Unassigned {
                    group: keys.pools[q.pool].group.clone(),
                    date: sl.date,
                    start: sl.start,
                    template: s.shift_templates[sl.template].id.clone(),
                    channel: s.channels[sl.channel].id.to_string(),
                });
            }
        }
    }

    repair_minimums(
        &mut ledgers,
        &mut owner,
        &pending,
        &placed_of,
        keys,
        week_list.len(),
    );
    add_minimum_shifts(
        solved,
        &mut ledgers,
        &mut owner,
        &mut pending,
        &placed_of,
        week_list.len(),
    );
    let missed = ledgers
        .iter()
        .map(|l| {
            (0..week_list.len())
                .filter(|&w| l.deficit(w) > 1e-9)
                .count()
        })
        .sum();

    let mut shifts: Vec<Shift> = pending
        .iter()
        .zip(&owner)
        .filter_map(|(q, o)| o.map(|a| (q, a)))
        .map(|(q, a)| {
            let sl = &keys.slots[q.slot];
            let template = &s.shift_templates[sl.template];
            let mut breaks: Vec<(u32, u32, bool)> = template
                .breaks
                .iter()
                .zip(&q.offsets)
                .map(|(b, &off)| (sl.start + off, b.minutes, b.paid))
                .collect();
            breaks.sort_unstable();
            Shift {
                agent: a,
                date: sl.date,
                start: sl.start,
                end: sl.start + template.length_minutes,
                template: sl.template,
                channel: sl.channel,
                breaks,
                paid_minutes: (sl.paid_hours * 60.0).round() as u32,
            }
        })
        .collect();
    shifts.sort_by_key(|s| (s.agent, s.date, s.start));
    (Assigned { shifts, unassigned }, missed)
}

/// Moves shifts to agents below a week's minimum from agents of the same group who stay at or above
/// theirs, while every rule holds.
fn repair_minimums(
    ledgers: &mut [Ledger],
    owner: &mut [Option<usize>],
    pending: &[Pending],
    placed_of: &dyn Fn(&Pending) -> Placed,
    keys: &super::model::Keys,
    week_count: usize,
) {
    for pool in &keys.pools {
        for w in 0..week_count {
            for &needy in &pool.agents {
                let mut guard = 0;
                while ledgers[needy].deficit(w) > 1e-9 && guard < 16 {
                    guard += 1;
                    let mut moved = false;
                    for j in 0..pending.len() {
                        let Some(giver) = owner[j] else { continue };
                        if giver == needy || !pool.agents.contains(&giver) {
                            continue;
                        }
                        let p = placed_of(&pending[j]);
                        if p.week != w || ledgers[giver].deficit(w) + p.paid_hours > 1e-9 {
                            continue;
                        }
                        if !ledgers[needy].can_take(&p, None) {
                            continue;
                        }
                        let Some(pos) = ledgers[giver]
                            .shifts
                            .iter()
                            .position(|s| s.start == p.start && s.day == p.day)
                        else {
                            continue;
                        };
                        ledgers[giver].shifts.remove(pos);
                        ledgers[needy].shifts.push(p);
                        owner[j] = Some(needy);
                        moved = true;
                        break;
                    }
                    if !moved {
                        moved = swap_longer(ledgers, owner, pending, placed_of, pool, needy, w);
                    }
                    if !moved {
                        break;
                    }
                }
            }
        }
    }
}

/// The weekly minimum is a contract promise: an agent still below it after the repair gets extra
/// shifts of its group's slots (those stage 1 used first, then the shortest that closes the gap),
/// wherever every rule holds. They cost what they cost; the evaluation counts them.
fn add_minimum_shifts(
    solved: &Solved,
    ledgers: &mut [Ledger],
    owner: &mut Vec<Option<usize>>,
    pending: &mut Vec<Pending>,
    placed_of: &dyn Fn(&Pending) -> Placed,
    week_count: usize,
) {
    let keys = &solved.keys;
    let used: std::collections::BTreeSet<(usize, usize)> = solved
        .shift_counts
        .iter()
        .map(|&(p, k, _)| (p, k))
        .collect();
    for (p, pool) in keys.pools.iter().enumerate() {
        // The pool's slots: those stage 1 used first, then by length and time.
        let mut slots: Vec<usize> = keys
            .shifts
            .iter()
            .filter(|&&(pp, _, _)| pp == p)
            .map(|&(_, k, _)| k)
            .collect();
        slots.sort_by_key(|&k| {
            (
                !used.contains(&(p, k)),
                keys.slots[k].day,
                keys.slots[k].start,
            )
        });
        for w in 0..week_count {
            for &a in &pool.agents {
                let mut guard = 0;
                while ledgers[a].deficit(w) > 1e-9 && guard < 7 {
                    guard += 1;
                    let deficit = ledgers[a].deficit(w);
                    let candidate = slots
                        .iter()
                        .map(|&k| {
                            let sl = &keys.slots[k];
                            let offsets = sl
                                .breaks
                                .iter()
                                .map(|opts| opts.get(opts.len() / 2).map_or(0, |o| o.offset))
                                .collect();
                            Pending {
                                pool: p,
                                slot: k,
                                offsets,
                            }
                        })
                        .filter(|q| {
                            let pl = placed_of(q);
                            pl.week == w && ledgers[a].can_take(&pl, None)
                        })
                        // Prefer a slot that closes the gap, the shortest such; else the longest.
                        .min_by(|x, y| {
                            let (hx, hy) =
                                (keys.slots[x.slot].paid_hours, keys.slots[y.slot].paid_hours);
                            let key = |h: f64| if h + 1e-9 >= deficit { (0, h) } else { (1, -h) };
                            let (kx, ky) = (key(hx), key(hy));
                            kx.0.cmp(&ky.0).then(kx.1.total_cmp(&ky.1))
                        });
                    let Some(q) = candidate else { break };
                    ledgers[a].shifts.push(placed_of(&q));
                    pending.push(q);
                    owner.push(Some(a));
                }
            }
        }
    }
}

/// Gives `needy` a longer shift of another agent of the pool in week `w` in exchange for one of its
/// shorter ones, where both still keep every rule and the other agent stays at its minimum.
fn swap_longer(
    ledgers: &mut [Ledger],
    owner: &mut [Option<usize>],
    pending: &[Pending],
    placed_of: &dyn Fn(&Pending) -> Placed,
    pool: &super::slots::Pool,
    needy: usize,
    w: usize,
) -> bool {
    let position = |l: &Ledger, p: &Placed| {
        l.shifts
            .iter()
            .position(|s| s.start == p.start && s.day == p.day)
    };
    let mine: Vec<usize> = (0..pending.len())
        .filter(|&k| owner[k] == Some(needy))
        .collect();
    for j in 0..pending.len() {
        let Some(giver) = owner[j] else { continue };
        if giver == needy || !pool.agents.contains(&giver) {
            continue;
        }
        let long = placed_of(&pending[j]);
        if long.week != w {
            continue;
        }
        for &k in &mine {
            let short = placed_of(&pending[k]);
            if short.week != w || short.paid_hours + 1e-9 >= long.paid_hours {
                continue;
            }
            if ledgers[giver].deficit(w) + long.paid_hours - short.paid_hours > 1e-9 {
                continue;
            }
            let (Some(gp), Some(np)) = (
                position(&ledgers[giver], &long),
                position(&ledgers[needy], &short),
            ) else {
                continue;
            };
            if ledgers[needy].can_take(&long, Some(np)) && ledgers[giver].can_take(&short, Some(gp))
            {
                ledgers[giver].shifts[gp] = short;
                ledgers[needy].shifts[np] = long;
                owner[j] = Some(needy);
                owner[k] = Some(giver);
                return true;
            }
        }
    }
    false
}

/// A shift's breaks: start minute after midnight of its day, length, paid.
pub type Breaks = Vec<(u32, u32, bool)>;

/// A start of the same template, the same day, for `shifts[k]` with less time on its closed
/// channel: its agent can work it (availability, rest to the agent's other shifts), it keeps the
/// paid time, and with its breaks placed inside their windows it leaves at least as many agents
/// on every open interval the shift covered. The start and its breaks (start minute, length,
/// paid), the least idle first.
pub fn less_idle_start(input: &Input, shifts: &[Shift], k: usize) -> Option<(u32, Breaks)> {
    use super::slots::{clock_exists, grid_minute, idle_hours, spread};
    use std::collections::BTreeMap;
    let s = input.scenario;
    let sh = &shifts[k];
    let open = |i: usize| {
        input.volumes.open[sh.channel]
            .get(i)
            .copied()
            .unwrap_or(false)
    };
    let span = |start: u32, len: u32| {
        (
            grid_minute(input, sh.date, start),
            grid_minute(input, sh.date, start + len),
        )
    };
    let template = &s.shift_templates[sh.template];
    let len = template.length_minutes;
    let net_open = |start: u32, breaks: &[(u32, u32, bool)]| {
        let (from, to) = span(start, len);
        let mut net: BTreeMap<usize, f64> = spread(input, from, to)
            .into_iter()
            .filter(|&(i, _)| open(i))
            .collect();
        for &(at, minutes, _) in breaks {
            let (b_from, b_to) = span(at, minutes);
            for (i, f) in spread(input, b_from, b_to) {
                if let Some(v) = net.get_mut(&i) {
                    *v -= f;
                }
            }
        }
        net
    };
    let (from, to) = span(sh.start, len);
    let idle_here = idle_hours(input, sh.channel, &spread(input, from, to));
    if idle_here <= 1e-9 {
        return None;
    }
    let here = net_open(sh.start, &sh.breaks);
    let agent = &s.agents[sh.agent];
    let rest = (agent.contract.min_rest_hours * 60.0).round() as i64;
    let others: Vec<(i64, i64)> = shifts
        .iter()
        .enumerate()
        .filter(|&(j, o)| j != k && o.agent == sh.agent)
        .map(|(_, o)| {
            (
                grid_minute(input, o.date, o.start),
                grid_minute(input, o.date, o.end),
            )
        })
        .collect();
    let placements = template.break_placements()?;
    let mut best: Option<(f64, u32, u32, Breaks)> = None;
    for start in template.starts().filter(|&st| st != sh.start) {
        if !clock_exists(input, sh.date, start) || !clock_exists(input, sh.date, start + len) {
            continue;
        }
        let (c_from, c_to) = span(start, len);
        let idle_there = idle_hours(input, sh.channel, &spread(input, c_from, c_to));
        if idle_there + 1e-9 >= idle_here
            || c_to - c_from != to - from
            || !agent.available(sh.date, start, start + len)
            || !others
                .iter()
                .all(|&(a, b)| b + rest <= c_from || c_to + rest <= a)
        {
            continue;
        }
        // Every placement of the breaks on a 15-minute step, until one keeps the open time.
        let options: Vec<Breaks> = template
            .breaks
            .iter()
            .zip(&placements)
            .map(|(rule, &(lo, hi))| {
                (lo..=hi)
                    .step_by(15)
                    .map(|off| (start + off, rule.minutes, rule.paid))
                    .collect()
            })
            .collect();
        let mut pick = vec![0usize; options.len()];
        let found = loop {
            let breaks: Vec<(u32, u32, bool)> = pick
                .iter()
                .enumerate()
                .map(|(r, &o)| options[r][o])
                .collect();
            let there = net_open(start, &breaks);
            if here
                .iter()
                .all(|(i, f)| there.get(i).is_some_and(|g| g + 1e-9 >= *f))
            {
                break Some(breaks);
            }
            // Next combination.
            let mut r = 0;
            loop {
                if r == pick.len() {
                    break;
                }
                pick[r] += 1;
                if pick[r] < options[r].len() {
                    break;
                }
                pick[r] = 0;
                r += 1;
            }
            if r == pick.len() {
                break None;
            }
        };
        if let Some(mut breaks) = found {
            breaks.sort_unstable();
            let key = (idle_there, start.abs_diff(sh.start));
            if best
                .as_ref()
                .is_none_or(|b| key.0 < b.0 - 1e-9 || (key.0 <= b.0 + 1e-9 && key.1 < b.1))
            {
                best = Some((key.0, key.1, start, breaks));
            }
        }
    }
    best.map(|(_, _, start, breaks)| (start, breaks))
}

/// Moves shifts off a closed channel wherever [`less_idle_start`] finds a start that would do.
pub fn avoid_idle(input: &Input, shifts: &mut [Shift]) {
    for k in 0..shifts.len() {
        if let Some((start, breaks)) = less_idle_start(input, shifts, k) {
            let shift = &mut shifts[k];
            let len = shift.end - shift.start;
            shift.start = start;
            shift.end = start + len;
            shift.breaks = breaks;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::round_breaks;

    #[test]
    fn breaks_round_to_the_total() {
        assert_eq!(round_breaks(&[0.4, 1.6, 1.0], 3), vec![0, 2, 1]);
        assert_eq!(round_breaks(&[0.5, 0.5], 1), vec![1, 0]);
        assert_eq!(round_breaks(&[0.0, 0.0], 2), vec![2, 0]);
        let r = round_breaks(&[1.2, 2.3, 3.5, 0.0], 7);
        assert_eq!(r.iter().sum::<u32>(), 7);
    }
}
