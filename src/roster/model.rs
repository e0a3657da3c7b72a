//! Stage 1: the shift-count program, with typed keys from solver columns back to the roster.
//!
//! Columns (all ≥ 0):
//! - `x[pool, slot]` integer — shifts of a group on a slot (template, day, start, channel);
//! - `b[slot, break, offset]` — how many of the slot's shifts take that break there (the breaks of
//!   all groups on one slot are placed together: coverage does not depend on who takes them);
//! - `h[block]` integer — vendor heads of a block, `z[block]` binary when the vendor charges per block;
//! - `ot[pool, week]` — overtime hours of the group in the week;
//! - `short[channel, interval]`, `late[channel, day]` — priced shortfall of coverage and service;
//! - service mode: `n[channel, interval]` agents scheduled, `a[channel, interval]` contacts answered
//!   in time under the concave envelope of the service curve.
//!
//! Rows are added in a fixed order (pools, weeks and days in scenario order) so the same scenario
//! always gives the same program.

use super::slots::{self, BlockSlot, Pool, ShiftSlot};
use super::{Input, Mode, Options};
use crate::queueing::StaffingTarget;
use crate::scenario::ChannelKind;
use crate::staffing::CurvePoint;
use chrono::Datelike;
use good_lp::solvers::highs::{HighsProblem, highs};
use good_lp::{
    Constraint, Expression, ProblemVariables, SolverModel, Variable, VariableDefinition, variable,
};
use std::collections::BTreeMap;

/// Contract rule a group-level row stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    MinHoursWeek,
    /// The shifts the weekly minimum takes at the longest allowed shift.
    MinShiftsWeek,
    MaxHoursWeek,
    MaxShiftsWeek,
    OneShiftPerDay,
    MaxConsecutiveDays,
    MinRest,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::MinHoursWeek => "min_hours_week",
            Rule::MinShiftsWeek => "min_hours_week (in whole shifts)",
            Rule::MaxHoursWeek => "max_hours_week (with overtime)",
            Rule::MaxShiftsWeek => "max_shifts_week",
            Rule::OneShiftPerDay => "one shift a day (availability)",
            Rule::MaxConsecutiveDays => "max_consecutive_days",
            Rule::MinRest => "min_rest_hours",
        }
    }
}

/// A contract row of one group: which rule, which week (ISO year and week) or day.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleRow {
    pub pool: usize,
    pub rule: Rule,
    pub first_day: usize,
    pub row: usize,
    /// Right-hand side.
    pub bound: f64,
    /// Column of the priced slack, when the program is built elastic.
    pub slack: Option<usize>,
}

/// Typed keys from the program's columns back to what they decide.
#[derive(Debug, Clone)]
pub struct Keys {
    pub pools: Vec<Pool>,
    pub slots: Vec<ShiftSlot>,
    pub blocks: Vec<BlockSlot>,
    /// `(pool, slot, column)`.
    pub shifts: Vec<(usize, usize, usize)>,
    /// `(slot, break rule, option, column)`.
    pub breaks: Vec<(usize, usize, usize, usize)>,
    /// `(block, column)`.
    pub heads: Vec<(usize, usize)>,
    /// `(pool, week's first day, column)`.
    pub overtime: Vec<(usize, usize, usize)>,
    pub rules: Vec<RuleRow>,
    /// Rounding program: breaks spread by these shares instead of `breaks` columns.
    pub break_shares: Option<Vec<Vec<Vec<f64>>>>,
}

/// The program, ready to solve.
pub struct Built {
    pub problem: HighsProblem,
    pub keys: Keys,
    pub columns: usize,
    pub integer_columns: usize,
    pub rows: usize,
}

/// Prices of shortfall, from the dearest hour of capacity in the scenario.
#[derive(Debug, Clone, Copy)]
pub struct Prices {
    /// Per agent missing for one interval.
    pub short_per_agent_interval: f64,
    /// Per contact below the daily target share.
    pub late_per_contact: f64,
    /// Per contact below target + margin but not below the target.
    pub cushion_per_contact: f64,
    /// Per hour of a contract minimum not met (elastic program only).
    pub rule_slack_per_unit: f64,
    /// Per paid hour on a channel while it is closed: idle time, priced so that a shift inside the
    /// opening hours is chosen wherever one would do.
    pub idle_per_hour: f64,
}

pub fn prices(input: &Input) -> Prices {
    let s = input.scenario;
    let dearest = s
        .agents
        .iter()
        .map(|a| a.cost_per_hour * a.overtime.map_or(1.0, |o| o.cost_factor))
        .chain(s.vendors.iter().map(|v| v.cost_per_hour))
        .fold(1.0_f64, f64::max);
    Prices {
        // Dearer than a whole twelve-hour shift bought to cover a single interval.
        short_per_agent_interval: dearest * 12.0,
        late_per_contact: dearest * 4.0,
        cushion_per_contact: dearest * 0.25,
        rule_slack_per_unit: dearest * 1000.0,
        idle_per_hour: dearest * 0.05,
    }
}

struct Columns {
    vars: ProblemVariables,
    count: usize,
    integer: usize,
}

impl Columns {
    fn add(&mut self, def: VariableDefinition, integer: bool) -> (Variable, usize) {
        let col = self.count;
        self.count += 1;
        if integer {
            self.integer += 1;
        }
        (self.vars.add(def), col)
    }
}

/// Boxes an integer column between the whole numbers around a relaxed value.
fn boxed(def: VariableDefinition, value: f64) -> VariableDefinition {
    def.min((value + 1e-6).floor().max(0.0))
        .max((value - 1e-6).ceil().max(0.0))
}

/// Where vendor heads may lie in a boxed program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadsBox {
    /// Between the whole numbers around the given value (the given value itself when whole).
    Around,
    /// From the whole part of the given value up to the vendor's cap.
    UpToCap,
}

/// The relaxed program's answer, by key: where the rounding program's integer columns lie, and how
/// each slot's breaks are spread.
#[derive(Debug, Clone)]
pub struct Relaxed {
    /// In the order of [`Keys::shifts`].
    pub shifts: Vec<f64>,
    /// In the order of [`Keys::heads`].
    pub heads: Vec<f64>,
    /// How far vendor heads may move from `heads`.
    pub heads_box: HeadsBox,
    /// Per slot, break rule and place: the share of the slot's shifts taking the break there.
    pub break_shares: Vec<Vec<Vec<f64>>>,
}

impl Relaxed {
    pub fn from_columns(keys: &Keys, values: &[f64]) -> Relaxed {
        let mut break_shares: Vec<Vec<Vec<f64>>> = keys
            .slots
            .iter()
            .map(|sl| sl.breaks.iter().map(|opts| vec![0.0; opts.len()]).collect())
            .collect();
        for &(k, r, o, col) in &keys.breaks {
            break_shares[k][r][o] = values[col].max(0.0);
        }
        for per_rule in &mut break_shares {
            for shares in per_rule {
                let sum: f64 = shares.iter().sum();
                let n = shares.len() as f64;
                for v in shares.iter_mut() {
                    *v = if sum > 1e-9 { *v / sum } else { 1.0 / n };
                }
            }
        }
        Relaxed {
            shifts: keys.shifts.iter().map(|&(_, _, col)| values[col]).collect(),
            heads: keys.heads.iter().map(|&(_, col)| values[col]).collect(),
            heads_box: HeadsBox::Around,
            break_shares,
        }
    }
}

/// Thins a concave envelope of answered contacts: drops points the chord of their neighbours
/// misses by less than `tol` contacts, keeping the first and last.
fn thin(hull: &[CurvePoint], tol: f64) -> Vec<CurvePoint> {
    thin_by(hull, tol, |p| p.answered_in_time)
}

/// Thins the upper hull of `value`: drops points the chord of their neighbours misses by less than
/// `tol`, keeping the first and last.
fn thin_by(hull: &[CurvePoint], tol: f64, value: impl Fn(&CurvePoint) -> f64) -> Vec<CurvePoint> {
    let mut out: Vec<CurvePoint> = Vec::new();
    for (j, &p) in hull.iter().enumerate() {
        if j == 0 || j + 1 == hull.len() {
            out.push(p);
            continue;
        }
        let a = *out.last().expect("the first point is kept");
        let next = hull[j + 1];
        let t = f64::from(p.agents - a.agents) / f64::from(next.agents - a.agents);
        let chord = value(&a) + t * (value(&next) - value(&a));
        if value(&p) - chord > tol {
            out.push(p);
        }
    }
    out
}

/// Local days of the horizon grouped by ISO week: `(first day index, day indices)`.
pub fn weeks(input: &Input) -> Vec<(usize, Vec<usize>)> {
    let mut out: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut last_key = None;
    for (d, date) in input.scenario.horizon.days().enumerate() {
        let key = (date.iso_week().year(), date.iso_week().week());
        if last_key != Some(key) {
            out.push((d, Vec::new()));
            last_key = Some(key);
        }
        out.last_mut().expect("just pushed").1.push(d);
    }
    out
}

/// The contract minimum of a week, pro rata for a week the horizon cuts.
pub fn prorated_min(min_hours_week: f64, days_in_week: usize) -> f64 {
    min_hours_week * days_in_week.min(7) as f64 / 7.0
}

/// Builds the stage-1 program. With `elastic`, contract minimums get a priced slack so the program
/// is always feasible and the slack used tells which rules conflict.
///
/// With `around` (the relaxed program's answer), every integer column is boxed between the whole
/// numbers around its relaxed value and each slot's breaks are spread as the relaxed answer spreads
/// them: a much smaller program whose answers are all rosters of the full one.
pub fn build(input: &Input, options: &Options, elastic: bool, around: Option<&Relaxed>) -> Built {
    build_scoped(input, options, elastic, around, &Scope::default())
}

/// What part of the program to build: everything by default; the explanation of a clash builds
/// one group's contract rows alone, with some rules left out, to prove which rules conflict.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Leave out coverage, service and vendors: contract rows only.
    pub contracts_only: bool,
    /// Only this pool's shifts.
    pub pool: Option<usize>,
    /// Rules whose rows are left out.
    pub without: Vec<Rule>,
}

/// [`build`] for a part of the program.
pub fn build_scoped(
    input: &Input,
    options: &Options,
    elastic: bool,
    around: Option<&Relaxed>,
    scope: &Scope,
) -> Built {
    let s = input.scenario;
    let grid = input.grid;
    let prices = prices(input);
    let pools = slots::pools(input);
    let slots_all = slots::shift_slots(input);
    let blocks = if scope.contracts_only {
        Vec::new()
    } else {
        slots::block_slots(input)
    };
    let n_int = grid.len();
    let day_count = s.horizon.day_count();
    let dates: Vec<chrono::NaiveDate> = s.horizon.days().collect();
    let day_of: Vec<usize> = {
        let first = s.horizon.start;
        (0..n_int)
            .map(|i| (grid.local_clock(i).date - first).num_days().max(0) as usize)
            .collect()
    };

    let mut cols = Columns {
        vars: ProblemVariables::new(),
        count: 0,
        integer: 0,
    };
    let mut objective = Expression::with_capacity(4096);
    let mut rows: Vec<Constraint> = Vec::new();
    let mut keys = Keys {
        pools: pools.clone(),
        slots: Vec::new(),
        blocks: blocks.clone(),
        shifts: Vec::new(),
        breaks: Vec::new(),
        heads: Vec::new(),
        overtime: Vec::new(),
        rules: Vec::new(),
        break_shares: around.map(|r| r.break_shares.clone()),
    };
    // Coverage terms per channel and interval.
    let mut coverage: Vec<Vec<Vec<(Variable, f64)>>> =
        vec![vec![Vec::new(); n_int]; s.channels.len()];

    // Shift columns, per pool, and the slots at least one pool can work.
    let mut pool_shifts: Vec<Vec<(usize, Variable)>> = vec![Vec::new(); pools.len()];
    let mut slot_vars: Vec<Vec<Variable>> = Vec::new();
    let mut kept: Vec<ShiftSlot> = Vec::new();
    for slot in &slots_all {
        let workers: Vec<usize> = (0..pools.len())
            .filter(|&p| scope.pool.is_none_or(|only| only == p))
            .filter(|&p| slots::pool_can_work(input, &pools[p], slot))
            .collect();
        if workers.is_empty() {
            continue;
        }
        let k = kept.len();
        // On the agents' channel: the whole shift, less the breaks as the relaxed answer spread them.
        let net: Vec<(usize, f64)> = match around {
            None => slot.presence.clone(),
            Some(relaxed) => {
                let mut net: BTreeMap<usize, f64> = slot.presence.iter().copied().collect();
                for (r, opts) in slot.breaks.iter().enumerate() {
                    for (o, opt) in opts.iter().enumerate() {
                        let share = relaxed.break_shares[k][r][o];
                        for &(i, f) in &opt.removal {
                            *net.entry(i).or_default() -= share * f;
                        }
                    }
                }
                net.into_iter().collect()
            }
        };
        let idle = slots::idle_hours(input, slot.channel, &slot.presence);
        let mut vars_here = Vec::new();
        for p in workers {
            let agent = &s.agents[pools[p].agents[0]];
            let mut def = variable().integer().min(0).max(pools[p].size());
            if let Some(relaxed) = around {
                def = boxed(def, relaxed.shifts[keys.shifts.len()]);
            }
            let (x, col) = cols.add(def, true);
            objective.add_mul(
                agent.cost_per_hour * slot.paid_hours + prices.idle_per_hour * idle,
                x,
            );
            for &(i, f) in &net {
                coverage[slot.channel][i].push((x, f));
            }
            keys.shifts.push((p, k, col));
            pool_shifts[p].push((k, x));
            vars_here.push(x);
        }
        slot_vars.push(vars_here);
        kept.push(slot.clone());
    }

    // Breaks of each slot, placed for all its shifts together (the full program only).
    for (k, slot) in kept.iter().enumerate() {
        if around.is_some() {
            break;
        }
        for (r, options_r) in slot.breaks.iter().enumerate() {
            let mut row = Expression::with_capacity(options_r.len() + slot_vars[k].len());
            for (o, opt) in options_r.iter().enumerate() {
                let (b, col) = cols.add(variable().min(0), false);
                row.add_mul(1.0, b);
                for &(i, f) in &opt.removal {
                    coverage[slot.channel][i].push((b, -f));
                }
                keys.breaks.push((k, r, o, col));
            }
            for &x in &slot_vars[k] {
                row.add_mul(-1.0, x);
            }
            rows.push(row.eq(0.0));
        }
    }

    // Vendor blocks and their caps.
    let mut cap_terms: BTreeMap<(usize, usize, usize), Vec<Variable>> = BTreeMap::new();
    for (bi, block) in blocks.iter().enumerate() {
        let vendor = &s.vendors[block.vendor];
        let mut def = variable().integer().min(0).max(f64::from(block.cap));
        if let Some(relaxed) = around {
            // Rounding: heads between the whole numbers around the relaxed answer. Vendor top-up
            // (shifts fixed): any number up to the cap, vendors being the flexible capacity that
            // absorbs what rounding the shifts cost in service.
            let value = relaxed.heads[bi];
            def = match relaxed.heads_box {
                HeadsBox::Around => boxed(def, value),
                HeadsBox::UpToCap => def.min((value + 1e-6).floor().max(0.0)),
            };
        }
        let (h, col) = cols.add(def, true);
        let idle = slots::idle_hours(input, block.channel, &block.presence);
        objective.add_mul(
            vendor.cost_per_hour * block.hours + prices.idle_per_hour * idle,
            h,
        );
        if vendor.fixed_cost_per_block > 0.0 {
            let (z, _) = cols.add(variable().binary(), true);
            objective.add_mul(vendor.fixed_cost_per_block, z);
            let mut link = Expression::from(h);
            link.add_mul(-f64::from(block.cap), z);
            rows.push(link.leq(0.0));
        }
        for &(i, f) in &block.presence {
            coverage[block.channel][i].push((h, f));
            cap_terms
                .entry((block.vendor, block.channel, i))
                .or_default()
                .push(h);
        }
        keys.heads.push((bi, col));
    }
    for ((v, c, _i), terms) in &cap_terms {
        if terms.len() < 2 {
            continue;
        }
        let cap = s.vendors[*v]
            .max_heads
            .iter()
            .find(|(ch, _)| ch == c)
            .map_or(0, |&(_, m)| m);
        let sum: Expression = terms.iter().map(|&h| Expression::from(h)).sum();
        rows.push(sum.leq(f64::from(cap)));
    }

    // Contract rules on each group's totals.
    let week_list = weeks(input);
    let mut rule_rows: Vec<(RuleRow, Constraint)> = Vec::new();
    for (p, pool) in pools.iter().enumerate() {
        let agent = &s.agents[pool.agents[0]];
        let contract = agent.contract;
        let size = pool.size();
        let mine = &pool_shifts[p];
        if mine.is_empty() {
            continue;
        }
        let sum_where = |pred: &dyn Fn(&ShiftSlot) -> bool, weight: &dyn Fn(&ShiftSlot) -> f64| {
            let mut e = Expression::with_capacity(mine.len());
            let mut any = false;
            for &(k, x) in mine {
                if pred(&kept[k]) {
                    e.add_mul(weight(&kept[k]), x);
                    any = true;
                }
            }
            any.then_some(e)
        };
        // One shift a day per agent.
        for d in 0..day_count {
            if let Some(e) = sum_where(&|sl| sl.day == d, &|_| 1.0) {
                rule_rows.push((rule(p, Rule::OneShiftPerDay, d, size), e.leq(size)));
            }
        }
        for (first, days) in &week_list {
            let in_week = |sl: &ShiftSlot| days.contains(&sl.day);
            let Some(hours) = sum_where(&in_week, &|sl| sl.paid_hours) else {
                let min = prorated_min(contract.min_hours_week, days.len()) * size;
                if min > 0.0 {
                    // Nothing this group may work this week, yet it owes hours.
                    let (slack, col) = cols.add(variable().min(0), false);
                    objective.add_mul(prices.rule_slack_per_unit, slack);
                    let mut row = rule(p, Rule::MinHoursWeek, *first, min);
                    row.slack = Some(col);
                    rule_rows.push((row, Expression::from(slack).geq(min)));
                }
                continue;
            };
            let max_regular = contract.max_hours_week * size;
            match agent.overtime.filter(|o| o.hours_week > 0.0) {
                Some(ot) => {
                    let (o, col) = cols.add(variable().min(0).max(ot.hours_week * size), false);
                    objective.add_mul(agent.cost_per_hour * (ot.cost_factor - 1.0), o);
                    keys.overtime.push((p, *first, col));
                    let mut e = hours.clone();
                    e.add_mul(-1.0, o);
                    rule_rows.push((
                        rule(p, Rule::MaxHoursWeek, *first, max_regular),
                        e.leq(max_regular),
                    ));
                }
                None => {
                    rule_rows.push((
                        rule(p, Rule::MaxHoursWeek, *first, max_regular),
                        hours.clone().leq(max_regular),
                    ));
                }
            }
            let min = prorated_min(contract.min_hours_week, days.len()) * size;
            if min > 0.0 {
                let row = rule(p, Rule::MinHoursWeek, *first, min);
                rule_rows.push(at_least(
                    &mut cols,
                    &mut objective,
                    elastic,
                    prices,
                    row,
                    hours,
                ));
            }
            // Each agent needs at least ⌈minimum / longest paid shift⌉ shifts to reach the minimum.
            let longest = agent
                .templates
                .iter()
                .map(|&t| f64::from(s.shift_templates[t].paid_minutes()) / 60.0)
                .fold(0.0, f64::max);
            let min_shifts = if longest > 0.0 {
                (prorated_min(contract.min_hours_week, days.len()) / longest - 1e-9).ceil() * size
            } else {
                0.0
            };
            if min_shifts > 0.0
                && let Some(e) = sum_where(&in_week, &|_| 1.0)
            {
                let row = rule(p, Rule::MinShiftsWeek, *first, min_shifts);
                rule_rows.push(at_least(&mut cols, &mut objective, elastic, prices, row, e));
            }
            let max_shifts = f64::from(contract.max_shifts_week) * size;
            if let Some(e) = sum_where(&in_week, &|_| 1.0) {
                rule_rows.push((
                    rule(p, Rule::MaxShiftsWeek, *first, max_shifts),
                    e.leq(max_shifts),
                ));
            }
        }
        // At most `max_consecutive_days` working days in any run of one more day.
        let run = contract.max_consecutive_days as usize;
        if run < day_count {
            for d0 in 0..(day_count - run) {
                let bound = run as f64 * size;
                if let Some(e) = sum_where(&|sl| sl.day >= d0 && sl.day <= d0 + run, &|_| 1.0) {
                    rule_rows.push((rule(p, Rule::MaxConsecutiveDays, d0, bound), e.leq(bound)));
                }
            }
        }
        // Rest: no agent works both a shift of day d ending at or after T and one of day d + 1
        // starting before T + rest, for every end time T of day d.
        // Times on the grid, as they pass: rest over a clock change is an hour longer or shorter.
        let rest = (contract.min_rest_hours * 60.0).round() as i64;
        for d in 0..day_count.saturating_sub(1) {
            let mut ends: Vec<i64> = mine
                .iter()
                .filter(|&&(k, _)| kept[k].day == d)
                .map(|&(k, _)| kept[k].grid_end(input))
                .collect();
            ends.sort_unstable();
            ends.dedup();
            let mut last_pair = (usize::MAX, usize::MAX);
            for t in ends {
                let late = |sl: &ShiftSlot| sl.day == d && sl.grid_end(input) >= t;
                let early = |sl: &ShiftSlot| sl.day == d + 1 && sl.grid_start(input) < t + rest;
                let pair = (
                    mine.iter().filter(|&&(k, _)| late(&kept[k])).count(),
                    mine.iter().filter(|&&(k, _)| early(&kept[k])).count(),
                );
                if pair.0 == 0 || pair.1 == 0 || pair == last_pair {
                    continue;
                }
                last_pair = pair;
                let e = sum_where(&|sl| late(sl) || early(sl), &|_| 1.0)
                    .expect("both sides are non-empty");
                rule_rows.push((rule(p, Rule::MinRest, d, size), e.leq(size)));
            }
        }
    }

    // Demand: coverage rows, or service rows for live channels in service mode.
    let mut service_rows: Vec<Constraint> = Vec::new();
    for (c, channel) in s.channels.iter().enumerate() {
        if scope.contracts_only {
            break;
        }
        let req = &input.requirements.channels[c];
        let live = !matches!(channel.kind, ChannelKind::Email);
        let by_service = options.mode == Mode::Service && live;
        let mut daily: Vec<(Expression, f64)> = (0..day_count)
            .map(|_| (Expression::default(), 0.0))
            .collect();
        let target = channel.target.staffing_target().unwrap_or(StaffingTarget {
            answer_within: channel.target.horizon(),
            service_level: channel.target.share(),
            max_occupancy: None,
            max_abandon: None,
        });
        let mut abandoned: Vec<Expression> = vec![Expression::default(); day_count];
        let mut occupied: Vec<(f64, Expression)> = (0..day_count)
            .map(|_| (0.0, Expression::default()))
            .collect();
        for i in 0..n_int {
            let r = &req.intervals[i];
            if !r.open || coverage[c][i].is_empty() && r.scheduled == 0 {
                continue;
            }
            let mut cov = Expression::with_capacity(coverage[c][i].len() + 1);
            for &(v, f) in &coverage[c][i] {
                cov.add_mul(f, v);
            }
            if !by_service {
                if r.scheduled == 0 {
                    continue;
                }
                let (short, _) = cols.add(variable().min(0), false);
                objective.add_mul(prices.short_per_agent_interval, short);
                cov.add_mul(1.0, short);
                service_rows.push(cov.geq(f64::from(r.scheduled)));
                continue;
            }
            if r.volume <= 0.0 {
                continue;
            }
            // The relaxation, whose optimum is the reported lower bound, takes the curve from no
            // agents up: its envelope lies above the curve everywhere, so the bound holds for
            // rosters below their floors too. The rounding programs take it from the floor up,
            // where rosters are held by the floor's price: tighter, and true above the floor.
            let curve = if around.is_none() {
                input.requirements.service_curve(s, c, i)
            } else {
                input
                    .requirements
                    .service_curve_above(s, c, i, options.interval_floor)
            };
            let Some(curve) = curve else {
                continue;
            };
            let on_phone = 1.0 - r.shrinkage;
            let (n, _) = cols.add(variable().min(0), false);
            cov.add_mul(-1.0, n);
            service_rows.push(cov.eq(0.0));
            // Floor: the fewest agents with the interval floor's service level.
            let floor_agents = curve.fewest_agents_for(options.interval_floor);
            if floor_agents > 0 {
                let (short, _) = cols.add(variable().min(0), false);
                objective.add_mul(prices.short_per_agent_interval, short);
                let mut e = Expression::from(n);
                e.add_mul(1.0, short);
                service_rows.push(e.geq(f64::from(floor_agents) / on_phone));
            }
            // Answered in time, under the concave envelope of the curve.
            let (a, _) = cols.add(variable().max(r.volume), false);
            // Thinning lowers the envelope by at most `tol`: each row is raised by it, so that it
            // stays above the curve and the relaxation's bound stays a bound.
            let tol = 2e-3 * r.volume.max(1.0);
            let hull = thin(&curve.concave_envelope(), tol);
            if hull.len() == 1 {
                let mut e = Expression::from(a);
                e.add_mul(0.0, n);
                service_rows.push(e.leq(hull[0].answered_in_time));
            }
            for w in hull.windows(2) {
                let slope = (w[1].answered_in_time - w[0].answered_in_time)
                    / f64::from(w[1].agents - w[0].agents);
                // a ≤ ans₀ + slope · (on_phone · n − agents₀)
                let mut e = Expression::from(a);
                e.add_mul(-slope * on_phone, n);
                service_rows
                    .push(e.leq(w[0].answered_in_time + tol - slope * f64::from(w[0].agents)));
            }
            let d = day_of[i].min(day_count - 1);
            daily[d].0.add_mul(1.0, a);
            daily[d].1 += r.volume;
            // Abandoned, above the convex minorant of the curve: a roster is never asked for less
            // abandonment than the curve gives it.
            if target.max_abandon.is_some() {
                let (ab, _) = cols.add(variable().min(0).max(r.volume), false);
                let tol = 1e-3 * r.volume.max(1.0);
                let envelope = thin_by(&curve.abandon_envelope(), tol, |p| -p.abandoned);
                for w in envelope.windows(2) {
                    let slope =
                        (w[1].abandoned - w[0].abandoned) / f64::from(w[1].agents - w[0].agents);
                    // ab ≥ ab₀ + slope · (on_phone · n − agents₀)
                    let mut e = Expression::from(ab);
                    e.add_mul(-slope * on_phone, n);
                    service_rows.push(e.geq(w[0].abandoned - tol - slope * f64::from(w[0].agents)));
                }
                abandoned[d].add_mul(1.0, ab);
            }
            // Occupancy: the interval's busy agents, at most its busy ceiling, over its agents.
            if target.max_occupancy.is_some() {
                let busy = input
                    .requirements
                    .queue(s, c, i)
                    .map_or(0.0, |q| q.busy_ceiling());
                occupied[d].0 += busy;
                occupied[d].1.add_mul(on_phone, n);
            }
        }
        if by_service {
            let share = channel.target.share();
            for (d, (e, volume)) in daily.into_iter().enumerate() {
                if volume <= 0.0 {
                    continue;
                }
                let more = options
                    .tighten
                    .get(&(c, dates[d]))
                    .copied()
                    .unwrap_or_default();
                // Below target + margin: the margin's contacts are cheap to give up, any below the
                // target itself dear.
                let planned = (share + options.service_margin + more.share).min(1.0);
                let (cushion, _) =
                    cols.add(variable().min(0).max((planned - share) * volume), false);
                objective.add_mul(prices.cushion_per_contact, cushion);
                let (late, _) = cols.add(variable().min(0), false);
                objective.add_mul(prices.late_per_contact, late);
                let mut e = e;
                e.add_mul(1.0, cushion);
                e.add_mul(1.0, late);
                service_rows.push(e.geq(planned * volume));
                if let Some(cap) = target.max_abandon.map(|c| (c - more.abandon).max(0.0)) {
                    // Abandoned contacts above the cap, priced as contacts below the target share.
                    let (over, _) = cols.add(variable().min(0), false);
                    objective.add_mul(prices.late_per_contact, over);
                    let mut e = std::mem::take(&mut abandoned[d]);
                    e.add_mul(-1.0, over);
                    service_rows.push(e.leq(cap * volume));
                }
                if let Some(cap) = target.max_occupancy.map(|c| (c - more.occupancy).max(0.01)) {
                    // Busy agent-intervals beyond the cap's share of the agents, priced as agents
                    // missing.
                    let (busy, agents) = std::mem::take(&mut occupied[d]);
                    let (over, _) = cols.add(variable().min(0), false);
                    objective.add_mul(prices.short_per_agent_interval, over);
                    let mut e = agents * cap;
                    e.add_mul(1.0, over);
                    service_rows.push(e.geq(busy));
                }
            }
        }
    }

    let columns = cols.count;
    let integer_columns = cols.integer;
    let mut problem = cols.vars.minimise(objective).using(highs);
    let mut n_rows = 0;
    for row in rows {
        problem.add_constraint(row);
        n_rows += 1;
    }
    for (mut key, row) in rule_rows {
        if scope.without.contains(&key.rule) {
            continue;
        }
        key.row = n_rows;
        problem.add_constraint(row);
        keys.rules.push(key);
        n_rows += 1;
    }
    for row in service_rows {
        problem.add_constraint(row);
        n_rows += 1;
    }
    keys.slots = kept;
    Built {
        problem,
        keys,
        columns,
        integer_columns,
        rows: n_rows,
    }
}

/// `e ≥ row.bound`, with a priced slack in the elastic program.
fn at_least(
    cols: &mut Columns,
    objective: &mut Expression,
    elastic: bool,
    prices: Prices,
    mut row: RuleRow,
    mut e: Expression,
) -> (RuleRow, Constraint) {
    if elastic {
        let (slack, col) = cols.add(variable().min(0), false);
        objective.add_mul(prices.rule_slack_per_unit, slack);
        e.add_mul(1.0, slack);
        row.slack = Some(col);
    }
    let bound = row.bound;
    (row, e.geq(bound))
}

fn rule(pool: usize, rule: Rule, first_day: usize, bound: f64) -> RuleRow {
    RuleRow {
        pool,
        rule,
        first_day,
        row: 0,
        bound,
        slack: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(agents: u32, ans: f64) -> CurvePoint {
        CurvePoint {
            agents,
            service_level: 0.0,
            answered_in_time: ans,
            abandoned: 0.0,
            busy: 0.0,
        }
    }

    #[test]
    fn thinning_keeps_the_ends_and_the_bends() {
        let hull = vec![
            pt(0, 0.0),
            pt(1, 10.0),
            pt(2, 20.0),
            pt(3, 25.0),
            pt(4, 25.0005),
        ];
        let thin = thin(&hull, 0.01);
        let agents: Vec<u32> = thin.iter().map(|p| p.agents).collect();
        // 1 lies on the chord from 0 to 2; 3 is a bend; 4 is the end.
        assert_eq!(agents, vec![0, 2, 3, 4]);
    }

    #[test]
    fn a_cut_week_owes_its_share_of_the_minimum() {
        assert_eq!(prorated_min(35.0, 7), 35.0);
        assert_eq!(prorated_min(35.0, 2), 10.0);
    }
}
