//! The capacity plan: how many to hire and train, which vendor seats to contract and how much
//! overtime to budget, week by week from a plan date to after the peak, under an uncertain forecast
//! and a core team that shrinks by attrition.
//!
//! # The program (solved on HiGHS)
//! Weeks `w = 0…W−1` (Monday to Sunday, week 0 holding the plan date), channels `c`, scenarios
//! `s` (paths of the weekly forecast, each turned into required paid hours per channel and week).
//!
//! - **Core groups** keep their headcount times `(1 − attrition)^w` and their weekly contract hours;
//!   each week a group's hours, plus its overtime (up to its overtime hours per head), are shared
//!   among its channels.
//! - **Hiring classes** start in a week no earlier than their recruiting lead time; a class of `n`
//!   hires is paid from its first week, trains for `training_weeks` (not productive), then works at
//!   the ramp's shares of its hours, then at full; hires leave at the trainee attrition until the
//!   ramp ends and at the tenured attrition after. At most `max_classes_in_training` classes train
//!   at once. Sizes are whole, between the class's minimum and maximum, or zero.
//! - **Vendor contracts** give seats per week (each seat `hours_per_seat` hours) between a minimum
//!   commitment and a maximum; the weeks inside the notice period from the plan date keep the
//!   current seats.
//! - **Two stages.** What is due before the next review (`review_weeks` from the plan date) — the
//!   classes whose recruiting must start by then, the vendor seats whose notice ends by then — is
//!   decided now, the same in every scenario, in whole numbers. Overtime, and the classes and seats
//!   due later, may differ per scenario (they are decided when more is known; their sizes are
//!   indicative and continuous).
//! - **Reliability is a constraint.** For each channel and week, the requirement is met (no
//!   shortfall) in the `⌈reliability × S⌉` scenarios with the lowest requirement — so at least that
//!   share of scenarios is met whatever happens in the rest, where shortfall hours are priced. These
//!   are hard constraints; when the capacity on offer cannot meet them all, the program is solved
//!   again with that shortfall allowed at a prohibitive price, and the plan lists each channel and
//!   week that falls short and by how much — never a silent miss.
//! - **Objective**: the first-stage cost plus the mean over scenarios of the second-stage cost
//!   (overtime, later classes and seats, priced shortfall). The core team's contracted hours are a
//!   fixed cost, reported but not decided.

// Week × scenario × channel tables are read side by side with their variables.
#![allow(clippy::needless_range_loop)]

pub mod input;
#[cfg(test)]
mod tests;

use chrono::{Days, NaiveDate};
use good_lp::solvers::highs::highs;
use good_lp::{Expression, ProblemVariables, SolverModel, Variable, variable};
use highs::HighsModelStatus;
use serde::Serialize;

/// A core group as capacity sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub id: String,
    /// Channel indices it may serve.
    pub channels: Vec<usize>,
    /// Heads at the plan date.
    pub headcount: f64,
    /// Paid hours per head and week.
    pub hours_week: f64,
    pub cost_per_hour: f64,
    /// Share of heads leaving each week.
    pub attrition_week: f64,
    /// Overtime hours per head and week at most, and their cost per hour.
    pub overtime_hours_week: f64,
    pub overtime_cost_per_hour: f64,
}

/// A kind of hiring class.
#[derive(Debug, Clone, Serialize)]
pub struct ClassType {
    pub id: String,
    pub channels: Vec<usize>,
    /// Weeks from the plan date before the first class can start (recruiting).
    pub lead_weeks: usize,
    pub min_size: u32,
    pub max_size: u32,
    pub cost_per_hire: f64,
    /// Paid, not productive.
    pub training_weeks: usize,
    /// Productive share of the hours in each week after training, ending at 1.
    pub ramp: Vec<f64>,
    pub hours_week: f64,
    pub cost_per_hour: f64,
    /// Weekly attrition during training and ramp, and after.
    pub attrition_week: f64,
    pub tenured_attrition_week: f64,
}

impl ClassType {
    /// Share of a class's hires still there `age` weeks after its start.
    pub fn survival(&self, age: usize) -> f64 {
        let early = self.training_weeks + self.ramp.len();
        (0..age)
            .map(|a| {
                1.0 - if a < early {
                    self.attrition_week
                } else {
                    self.tenured_attrition_week
                }
            })
            .product()
    }

    /// Productive share of a hire's hours `age` weeks after the class starts.
    pub fn productive(&self, age: usize) -> f64 {
        if age < self.training_weeks {
            0.0
        } else {
            self.ramp
                .get(age - self.training_weeks)
                .copied()
                .unwrap_or(1.0)
        }
    }
}

/// A vendor's seats on one channel.
#[derive(Debug, Clone, Serialize)]
pub struct Contract {
    pub vendor: String,
    pub channel: usize,
    pub min_seats: u32,
    pub max_seats: u32,
    /// A change takes effect this many weeks after it is given.
    pub notice_weeks: usize,
    pub hours_per_seat: f64,
    pub cost_per_hour: f64,
    /// Seats in place at the plan date (kept through the notice period).
    pub current_seats: u32,
}

/// The whole capacity problem, demand included.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Mondays.
    pub weeks: Vec<NaiveDate>,
    pub channels: Vec<String>,
    pub demand: Demand,
    pub groups: Vec<Group>,
    pub classes: Vec<ClassType>,
    pub contracts: Vec<Contract>,
    pub max_classes_in_training: Option<u32>,
    /// Share of scenarios each channel and week must meet.
    pub reliability: f64,
    /// Decisions due within this many weeks of the plan date are made now.
    pub review_weeks: usize,
    pub shortfall_cost_per_hour: f64,
    pub time_limit_seconds: f64,
    pub relative_gap: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum CapacityError {
    #[error("{field}: {message}")]
    Input { field: String, message: String },
    #[error("the capacity program could not be solved: {0}")]
    Solver(String),
}

fn input_error(field: impl Into<String>, message: impl Into<String>) -> CapacityError {
    CapacityError::Input {
        field: field.into(),
        message: message.into(),
    }
}

impl Problem {
    /// Refuses what the program cannot mean, naming the field.
    pub fn validate(&self) -> Result<(), CapacityError> {
        let weeks = self.weeks.len();
        if !(4..=78).contains(&weeks) {
            return Err(input_error(
                "weeks",
                format!("{weeks} weeks; a capacity plan covers 4 to 78"),
            ));
        }
        if self.demand.is_empty() {
            return Err(input_error("scenarios", "at least one scenario is needed"));
        }
        for (s, d) in self.demand.iter().enumerate() {
            if d.len() != self.channels.len() || d.iter().any(|c| c.len() != weeks) {
                return Err(input_error(
                    "demand",
                    format!("scenario {s} does not have every channel and week"),
                ));
            }
            if d.iter().flatten().any(|h| !h.is_finite() || *h < 0.0) {
                return Err(input_error(
                    "demand",
                    format!("scenario {s} has a negative or non-finite requirement"),
                ));
            }
        }
        if !(0.0..0.5).contains(&self.relative_gap)
            || !self.time_limit_seconds.is_finite()
            || self.time_limit_seconds <= 0.0
        {
            return Err(input_error(
                "relative_gap",
                format!(
                    "a relative gap in [0, 0.5) and a positive time limit are needed (got {} and {} s)",
                    self.relative_gap, self.time_limit_seconds
                ),
            ));
        }
        if !(self.reliability > 0.0 && self.reliability <= 1.0) {
            return Err(input_error(
                "reliability",
                format!("{} is not a share in (0, 1]", self.reliability),
            ));
        }
        let rate = |field: String, v: f64| -> Result<(), CapacityError> {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(input_error(field, format!("{v} must be a number ≥ 0")))
            }
        };
        let share = |field: String, v: f64| -> Result<(), CapacityError> {
            if (0.0..1.0).contains(&v) {
                Ok(())
            } else {
                Err(input_error(
                    field,
                    format!("{v} is not a weekly share in [0, 1)"),
                ))
            }
        };
        rate(
            "shortfall_cost_per_hour".into(),
            self.shortfall_cost_per_hour,
        )?;
        for g in &self.groups {
            let f = |name: &str| format!("groups.{}.{name}", g.id);
            rate(f("headcount"), g.headcount)?;
            rate(f("hours_week"), g.hours_week)?;
            rate(f("cost_per_hour"), g.cost_per_hour)?;
            rate(f("overtime_hours_week"), g.overtime_hours_week)?;
            rate(f("overtime_cost_per_hour"), g.overtime_cost_per_hour)?;
            share(f("attrition_week"), g.attrition_week)?;
        }
        for k in &self.classes {
            let f = |name: &str| format!("classes.{}.{name}", k.id);
            rate(f("cost_per_hire"), k.cost_per_hire)?;
            rate(f("hours_week"), k.hours_week)?;
            rate(f("cost_per_hour"), k.cost_per_hour)?;
            share(f("attrition_week"), k.attrition_week)?;
            share(f("tenured_attrition_week"), k.tenured_attrition_week)?;
            if k.max_size == 0 || k.min_size > k.max_size {
                return Err(input_error(
                    f("min_size"),
                    format!(
                        "a class holds {} to {} hires; the minimum must be at most the maximum, and the maximum at least 1",
                        k.min_size, k.max_size
                    ),
                ));
            }
            if k.ramp.iter().any(|r| !(0.0..=1.0).contains(r))
                || k.ramp.windows(2).any(|w| w[1] < w[0])
                || k.ramp.last().is_some_and(|r| (*r - 1.0).abs() > 1e-9)
            {
                return Err(input_error(
                    f("ramp"),
                    format!(
                        "{:?}: the ramp's shares must rise to 100 % (end with 1.0), each in [0, 1]",
                        k.ramp
                    ),
                ));
            }
            if k.lead_weeks >= weeks {
                return Err(input_error(
                    f("lead_weeks"),
                    format!(
                        "{} weeks of lead time reach past the {weeks}-week horizon: no class could start",
                        k.lead_weeks
                    ),
                ));
            }
        }
        for v in &self.contracts {
            let f =
                |name: &str| format!("contracts.{}.{}.{name}", v.vendor, self.channels[v.channel]);
            rate(f("cost_per_hour"), v.cost_per_hour)?;
            rate(f("hours_per_seat"), v.hours_per_seat)?;
            if v.min_seats > v.max_seats {
                return Err(input_error(
                    f("min_seats"),
                    format!("{} is above max_seats {}", v.min_seats, v.max_seats),
                ));
            }
            if v.notice_weeks >= weeks {
                return Err(input_error(
                    f("notice_weeks"),
                    format!(
                        "{} weeks of notice are longer than the {weeks}-week horizon: no seat could change",
                        v.notice_weeks
                    ),
                ));
            }
        }
        Ok(())
    }

    fn scenarios(&self) -> usize {
        self.demand.len()
    }

    fn core_heads(&self, g: usize, w: usize) -> f64 {
        let group = &self.groups[g];
        group.headcount * (1.0 - group.attrition_week).powi(w as i32)
    }

    /// Wage cost of one hire of class `k` starting in week `t`, through the end of the horizon.
    fn hire_cost(&self, k: usize, t: usize) -> f64 {
        let class = &self.classes[k];
        class.cost_per_hire
            + (t..self.weeks.len())
                .map(|w| class.hours_week * class.survival(w - t) * class.cost_per_hour)
                .sum::<f64>()
    }

    /// Whether a class of `k` starting in `t` is decided now.
    fn class_is_firm(&self, k: usize, t: usize) -> bool {
        t < self.classes[k].lead_weeks + self.review_weeks
    }

    fn seat_is_firm(&self, v: usize, w: usize) -> bool {
        w < self.contracts[v].notice_weeks + self.review_weeks
    }
}

/// A class in the plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedClass {
    pub class: String,
    pub start: NaiveDate,
    /// Whole for a firm class; the mean over scenarios for a later one.
    pub size: f64,
    /// Decided now (the same in every scenario), or indicative.
    pub firm: bool,
    /// Share of scenarios in which it starts (1 for a firm class).
    pub share_of_scenarios: f64,
    /// First week with productive hours.
    pub productive_from: NaiveDate,
    /// When recruiting must start.
    pub decide_by: NaiveDate,
}

/// A contract's seats in one week.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedSeats {
    pub vendor: String,
    pub channel: String,
    pub week: NaiveDate,
    /// Fixed by notice, decided now, or still open.
    pub decision: SeatDecision,
    /// Mean over scenarios (whole when fixed or firm).
    pub seats: f64,
    /// Highest over scenarios.
    pub seats_max: f64,
    /// The last day to give notice for the week's seats.
    pub decide_by: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeatDecision {
    InNotice,
    Firm,
    Open,
}

/// One channel in one week.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelWeek {
    pub channel: String,
    pub week: NaiveDate,
    pub required_p50: f64,
    pub required_p90: f64,
    pub required_mean: f64,
    /// Expected hours served, by source (hours on offer beyond the requirement are idle and not
    /// counted).
    pub core_hours: f64,
    pub overtime_hours: f64,
    pub hire_hours: f64,
    /// Per contract (in the order of the problem's contracts serving this channel).
    pub vendor_hours: Vec<(String, f64)>,
    pub shortfall_hours: f64,
    /// Share of scenarios with a shortfall.
    pub p_shortfall: f64,
    /// Whether the reliability target holds here.
    pub reliable: bool,
}

/// Expected cost by kind.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CostSplit {
    pub core: f64,
    pub hires: f64,
    pub overtime: f64,
    pub vendors: f64,
    pub shortfall: f64,
    pub total: f64,
}

/// The solved plan.
#[derive(Debug, Clone, Serialize)]
pub struct Solution {
    pub weeks: Vec<NaiveDate>,
    pub scenarios: usize,
    pub cost: CostSplit,
    /// The program's objective: the expected cost, plus the penalty on must-meet shortfall where
    /// the reliability target was unreachable (then above the cost split's total).
    pub objective: f64,
    /// A valid lower bound on the expected cost (HiGHS' dual bound, fixed costs included).
    pub lower_bound: f64,
    pub gap: f64,
    pub solve_seconds: f64,
    pub optimal: bool,
    pub classes: Vec<PlannedClass>,
    pub seats: Vec<PlannedSeats>,
    /// Channel by channel, week by week.
    pub channel_weeks: Vec<ChannelWeek>,
    /// Expected heads per week: core group by group, then each class type.
    pub headcount: Vec<(String, Vec<f64>)>,
    /// Channel-weeks where the reliability target could not be met, with the most hours missing
    /// in a scenario that had to be met.
    pub unreachable: Vec<(String, NaiveDate, f64)>,
    /// The decisions made now.
    pub first_stage: FirstStage,
}

/// Price per hour of shortfall in a scenario that must be met, when the target is unreachable.
const MUST_MEET_PENALTY: f64 = 1.0e5;
/// Shortfall below this many hours in a channel-week is the solver's tolerance, not a shortfall.
const SHORT_HOURS: f64 = 0.01;

/// Which scenarios must be met in each channel and week: the `⌈reliability × S⌉` with the lowest
/// requirement (ties by index).
pub fn must_meet(problem: &Problem) -> Vec<Vec<Vec<bool>>> {
    let s_count = problem.scenarios();
    let keep = ((problem.reliability * s_count as f64) - 1e-9).ceil() as usize;
    let mut out = vec![vec![vec![false; problem.weeks.len()]; problem.channels.len()]; s_count];
    for c in 0..problem.channels.len() {
        for w in 0..problem.weeks.len() {
            let mut order: Vec<usize> = (0..s_count).collect();
            order.sort_by(|&a, &b| {
                problem.demand[a][c][w]
                    .total_cmp(&problem.demand[b][c][w])
                    .then(a.cmp(&b))
            });
            for &s in order.iter().take(keep) {
                out[s][c][w] = true;
            }
        }
    }
    out
}

/// Hours of a source allocated to its channels: `[s][source][w]` → (channel, variable).
type Allocation = Vec<Vec<Vec<Vec<(usize, Variable)>>>>;

/// Required paid hours `[scenario][channel][week]`.
pub type Demand = Vec<Vec<Vec<f64>>>;

struct Vars {
    firm_class: Vec<Vec<Option<(Variable, Variable)>>>,
    later_class: Vec<Vec<Vec<Option<Variable>>>>,
    firm_seats: Vec<Vec<Option<Variable>>>,
    later_seats: Vec<Vec<Vec<Option<Variable>>>>,
    overtime: Vec<Vec<Vec<Variable>>>,
    core: Allocation,
    hires: Allocation,
    shortfall: Vec<Vec<Vec<Variable>>>,
}

/// Solves the capacity program.
pub fn solve(problem: &Problem) -> Result<Solution, CapacityError> {
    problem.validate()?;
    let started = std::time::Instant::now();
    let must = must_meet(problem);
    // The reliability target as hard constraints; when they cannot all hold, again with their
    // shortfall allowed at a prohibitive price, to say where and by how much.
    let run = match build_and_solve(problem, &must, true, None, started)? {
        Some(run) => run,
        None => build_and_solve(problem, &must, false, None, started)?.ok_or_else(|| {
            CapacityError::Solver("the program with shortfall allowed has no solution".into())
        })?,
    };
    let value = |x: Variable| run.values[run.column[&x]];
    let costs = fixed_costs(problem);
    Ok(read_solution(
        problem,
        &run.vars,
        &value,
        &must,
        Costs {
            core: costs.0,
            notice: costs.1,
            objective: run.objective,
            bound: run.bound,
        },
        run.optimal,
        started.elapsed().as_secs_f64(),
    ))
}

/// What a plan decides now: the firm class sizes `[class][start week]` and seats
/// `[contract][week]` (`None` where the decision is not first-stage).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FirstStage {
    pub classes: Vec<Vec<Option<u32>>>,
    pub seats: Vec<Vec<Option<u32>>>,
}

/// A plan's first stage tried on scenarios it was not solved on, with the rest decided per
/// scenario (shortfall priced, never forced).
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub scenarios: usize,
    pub expected_cost: f64,
    /// Share of scenario × channel × week cells without a shortfall.
    pub share_met: f64,
    /// Share of channel-weeks met in at least the problem's reliability of the scenarios.
    pub share_weeks_reliable: f64,
}

/// Tries `first` on the scenarios of `problem` (its own demand): the second stage solved per
/// scenario with the first stage fixed.
pub fn evaluate(problem: &Problem, first: &FirstStage) -> Result<Evaluation, CapacityError> {
    problem.validate()?;
    let started = std::time::Instant::now();
    let none =
        vec![vec![vec![false; problem.weeks.len()]; problem.channels.len()]; problem.scenarios()];
    let run = build_and_solve(problem, &none, false, Some(first), started)?.ok_or_else(|| {
        CapacityError::Solver("the fixed first stage admits no second stage".into())
    })?;
    let value = |x: Variable| run.values[run.column[&x]];
    let costs = fixed_costs(problem);
    let solution = read_solution(
        problem,
        &run.vars,
        &value,
        &none,
        Costs {
            core: costs.0,
            notice: costs.1,
            objective: run.objective,
            bound: run.bound,
        },
        run.optimal,
        started.elapsed().as_secs_f64(),
    );
    let (s_count, weeks, channels) = (
        problem.scenarios(),
        problem.weeks.len(),
        problem.channels.len(),
    );
    let mut met = 0usize;
    for s in 0..s_count {
        for c in 0..channels {
            for w in 0..weeks {
                met += usize::from(value(run.vars.shortfall[s][c][w]) <= SHORT_HOURS);
            }
        }
    }
    let reliable = solution
        .channel_weeks
        .iter()
        .filter(|cw| cw.p_shortfall <= 1.0 - problem.reliability + 1e-9)
        .count();
    Ok(Evaluation {
        scenarios: s_count,
        expected_cost: solution.cost.total,
        share_met: met as f64 / (s_count * channels * weeks) as f64,
        share_weeks_reliable: reliable as f64 / solution.channel_weeks.len().max(1) as f64,
    })
}

/// One scenario's allocation columns: per source and week, hours to each of its channels.
fn allocation<'a>(
    vars: &mut ProblemVariables,
    sources: impl Iterator<Item = &'a [usize]>,
    weeks: usize,
) -> Vec<Vec<Vec<(usize, Variable)>>> {
    sources
        .map(|channels| {
            (0..weeks)
                .map(|_| {
                    channels
                        .iter()
                        .map(|&c| (c, vars.add(variable().min(0))))
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// One solved program.
struct Run {
    vars: Vars,
    column: std::collections::HashMap<Variable, usize>,
    values: Vec<f64>,
    objective: f64,
    bound: f64,
    optimal: bool,
}

/// The core team's contracted hours and the seats inside their notice: fixed costs.
fn fixed_costs(p: &Problem) -> (f64, f64) {
    let weeks = p.weeks.len();
    let core: f64 = (0..p.groups.len())
        .map(|g| {
            (0..weeks)
                .map(|w| p.core_heads(g, w) * p.groups[g].hours_week * p.groups[g].cost_per_hour)
                .sum::<f64>()
        })
        .sum();
    let notice: f64 = p
        .contracts
        .iter()
        .map(|c| {
            c.notice_weeks.min(weeks) as f64
                * f64::from(c.current_seats)
                * c.hours_per_seat
                * c.cost_per_hour
        })
        .sum();
    (core, notice)
}

/// Builds and solves the program; `None` when it is infeasible (only with `hard`).
fn build_and_solve(
    p: &Problem,
    must: &[Vec<Vec<bool>>],
    hard: bool,
    fixed: Option<&FirstStage>,
    started: std::time::Instant,
) -> Result<Option<Run>, CapacityError> {
    let (s_count, weeks, channels) = (p.scenarios(), p.weeks.len(), p.channels.len());
    let mut vars = ProblemVariables::new();
    let mut objective = Expression::from(0.0);
    let share = 1.0 / s_count as f64;

    // First stage.
    let firm_class: Vec<Vec<Option<(Variable, Variable)>>> = (0..p.classes.len())
        .map(|k| {
            (0..weeks)
                .map(|t| {
                    let class = &p.classes[k];
                    (t >= class.lead_weeks && p.class_is_firm(k, t)).then(|| {
                        let (lo, hi) = match fixed.and_then(|f| f.classes[k][t]) {
                            Some(n) => (f64::from(n), f64::from(n)),
                            None => (0.0, f64::from(class.max_size)),
                        };
                        let n = vars.add(variable().integer().min(lo).max(hi));
                        let open = match fixed.and_then(|f| f.classes[k][t]) {
                            Some(n) => {
                                let b = f64::from(u8::from(n > 0));
                                vars.add(variable().min(b).max(b))
                            }
                            None => vars.add(variable().binary()),
                        };
                        objective.add_mul(p.hire_cost(k, t), n);
                        (n, open)
                    })
                })
                .collect()
        })
        .collect();
    let firm_seats: Vec<Vec<Option<Variable>>> = (0..p.contracts.len())
        .map(|v| {
            let c = &p.contracts[v];
            (0..weeks)
                .map(|w| {
                    (w >= c.notice_weeks && p.seat_is_firm(v, w)).then(|| {
                        let (lo, hi) = match fixed.and_then(|f| f.seats[v][w]) {
                            Some(n) => (f64::from(n), f64::from(n)),
                            None => (f64::from(c.min_seats), f64::from(c.max_seats)),
                        };
                        let x = vars.add(variable().integer().min(lo).max(hi));
                        objective.add_mul(c.hours_per_seat * c.cost_per_hour, x);
                        x
                    })
                })
                .collect()
        })
        .collect();

    // Second stage.
    let mut later_class = Vec::with_capacity(s_count);
    let mut later_seats = Vec::with_capacity(s_count);
    let mut overtime = Vec::with_capacity(s_count);
    let mut core = Vec::with_capacity(s_count);
    let mut hires = Vec::with_capacity(s_count);
    let mut shortfall = Vec::with_capacity(s_count);
    for s in 0..s_count {
        later_class.push(
            (0..p.classes.len())
                .map(|k| {
                    (0..weeks)
                        .map(|t| {
                            let class = &p.classes[k];
                            (t >= class.lead_weeks && !p.class_is_firm(k, t)).then(|| {
                                let n = vars.add(variable().min(0).max(f64::from(class.max_size)));
                                objective.add_mul(share * p.hire_cost(k, t), n);
                                n
                            })
                        })
                        .collect()
                })
                .collect::<Vec<_>>(),
        );
        later_seats.push(
            (0..p.contracts.len())
                .map(|v| {
                    let c = &p.contracts[v];
                    (0..weeks)
                        .map(|w| {
                            (w >= c.notice_weeks && !p.seat_is_firm(v, w)).then(|| {
                                let x = vars.add(
                                    variable()
                                        .min(f64::from(c.min_seats))
                                        .max(f64::from(c.max_seats)),
                                );
                                objective.add_mul(share * c.hours_per_seat * c.cost_per_hour, x);
                                x
                            })
                        })
                        .collect()
                })
                .collect::<Vec<_>>(),
        );
        overtime.push(
            (0..p.groups.len())
                .map(|g| {
                    let group = &p.groups[g];
                    (0..weeks)
                        .map(|w| {
                            let cap = p.core_heads(g, w) * group.overtime_hours_week;
                            let o = vars.add(variable().min(0).max(cap));
                            objective.add_mul(share * group.overtime_cost_per_hour, o);
                            o
                        })
                        .collect()
                })
                .collect::<Vec<_>>(),
        );
        core.push(allocation(
            &mut vars,
            p.groups.iter().map(|g| g.channels.as_slice()),
            weeks,
        ));
        hires.push(allocation(
            &mut vars,
            p.classes.iter().map(|k| k.channels.as_slice()),
            weeks,
        ));
        shortfall.push(
            (0..channels)
                .map(|c| {
                    (0..weeks)
                        .map(|w| {
                            if must[s][c][w] && hard {
                                return vars.add(variable().min(0).max(0));
                            }
                            let u = vars.add(variable().min(0));
                            let price = if must[s][c][w] {
                                MUST_MEET_PENALTY
                            } else {
                                share * p.shortfall_cost_per_hour
                            };
                            objective.add_mul(price, u);
                            u
                        })
                        .collect()
                })
                .collect::<Vec<_>>(),
        );
    }
    let v = Vars {
        firm_class,
        later_class,
        firm_seats,
        later_seats,
        overtime,
        core,
        hires,
        shortfall,
    };

    // Columns in the order the variables were made.
    let column: std::collections::HashMap<Variable, usize> = vars
        .iter_variables_with_def()
        .enumerate()
        .map(|(i, (x, _))| (x, i))
        .collect();
    let mut model = highs(vars.minimise(objective));
    // Class sizes: zero or between the bounds.
    for k in 0..p.classes.len() {
        let class = &p.classes[k];
        for t in 0..weeks {
            if let Some((n, open)) = v.firm_class[k][t] {
                model.add_constraint((n - f64::from(class.max_size) * open).leq(0.0));
                model.add_constraint((n - f64::from(class.min_size) * open).geq(0.0));
            }
        }
    }
    for s in 0..s_count {
        for w in 0..weeks {
            for g in 0..p.groups.len() {
                let mut row = Expression::from(0.0);
                for &(_, x) in &v.core[s][g][w] {
                    row.add_mul(1.0, x);
                }
                row.add_mul(-1.0, v.overtime[s][g][w]);
                model.add_constraint(row.leq(p.core_heads(g, w) * p.groups[g].hours_week));
            }
            for k in 0..p.classes.len() {
                let class = &p.classes[k];
                let mut row = Expression::from(0.0);
                for &(_, y) in &v.hires[s][k][w] {
                    row.add_mul(1.0, y);
                }
                for t in 0..=w {
                    let coef = class.hours_week * class.survival(w - t) * class.productive(w - t);
                    if coef <= 0.0 {
                        continue;
                    }
                    if let Some((n, _)) = v.firm_class[k][t] {
                        row.add_mul(-coef, n);
                    }
                    if let Some(n) = v.later_class[s][k][t] {
                        row.add_mul(-coef, n);
                    }
                }
                model.add_constraint(row.leq(0.0));
            }
            for c in 0..channels {
                let mut row = Expression::from(0.0);
                for g in 0..p.groups.len() {
                    for &(ch, x) in &v.core[s][g][w] {
                        if ch == c {
                            row.add_mul(1.0, x);
                        }
                    }
                }
                for k in 0..p.classes.len() {
                    for &(ch, y) in &v.hires[s][k][w] {
                        if ch == c {
                            row.add_mul(1.0, y);
                        }
                    }
                }
                let mut fixed = 0.0;
                for (ci, contract) in p.contracts.iter().enumerate() {
                    if contract.channel != c {
                        continue;
                    }
                    if w < contract.notice_weeks {
                        fixed += f64::from(contract.current_seats) * contract.hours_per_seat;
                    } else if let Some(x) = v.firm_seats[ci][w] {
                        row.add_mul(contract.hours_per_seat, x);
                    } else if let Some(x) = v.later_seats[s][ci][w] {
                        row.add_mul(contract.hours_per_seat, x);
                    }
                }
                row.add_mul(1.0, v.shortfall[s][c][w]);
                model.add_constraint(row.geq(p.demand[s][c][w] - fixed));
            }
            // Classes in training at once.
            if let Some(limit) = p.max_classes_in_training {
                let mut row = Expression::from(0.0);
                let mut any = false;
                for k in 0..p.classes.len() {
                    let class = &p.classes[k];
                    for t in 0..=w {
                        if w >= t + class.training_weeks {
                            continue;
                        }
                        if let Some((_, open)) = v.firm_class[k][t] {
                            row.add_mul(1.0, open);
                            any = true;
                        }
                        if let Some(n) = v.later_class[s][k][t] {
                            row.add_mul(1.0 / f64::from(class.max_size), n);
                            any = true;
                        }
                    }
                }
                if any {
                    model.add_constraint(row.leq(f64::from(limit)));
                }
            }
        }
    }

    let mut highs_model = model
        .try_into_inner()
        .map_err(|e| CapacityError::Solver(e.to_string()))?;
    highs_model.set_option("output_flag", false);
    highs_model.set_option("threads", 1);
    highs_model.set_option("random_seed", 0);
    highs_model.set_option("mip_rel_gap", p.relative_gap.max(0.0));
    let left = p.time_limit_seconds - started.elapsed().as_secs_f64();
    highs_model.set_option("time_limit", left.max(0.05));
    let solved = highs_model
        .try_solve()
        .map_err(|e| CapacityError::Solver(format!("{e:?}")))?;
    let status = solved.status();
    if hard
        && matches!(
            status,
            HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible
        )
    {
        return Ok(None);
    }
    if !matches!(
        status,
        HighsModelStatus::Optimal | HighsModelStatus::ReachedTimeLimit
    ) || solved.primal_solution_status() != highs::HighsSolutionStatus::Feasible
    {
        return Err(CapacityError::Solver(format!(
            "HiGHS stopped with {status:?} and no plan; raise the time limit"
        )));
    }
    let values = solved.get_solution().columns().to_vec();
    let objective = solved.objective_value();
    let bound = solved
        .double_info_value(c"mip_dual_bound")
        .ok()
        .filter(|b| b.is_finite())
        .unwrap_or(objective);
    Ok(Some(Run {
        vars: v,
        column,
        values,
        objective,
        bound,
        optimal: status == HighsModelStatus::Optimal,
    }))
}

struct Costs {
    core: f64,
    notice: f64,
    objective: f64,
    bound: f64,
}

fn read_solution(
    p: &Problem,
    v: &Vars,
    value: &dyn Fn(Variable) -> f64,
    must: &[Vec<Vec<bool>>],
    costs: Costs,
    optimal: bool,
    seconds: f64,
) -> Solution {
    let (s_count, weeks, channels) = (p.scenarios(), p.weeks.len(), p.channels.len());
    let share = 1.0 / s_count as f64;
    let week_date = |w: usize| p.weeks[0] + Days::new(7 * w as u64);
    let plan_week = p.weeks[0];
    let before =
        |d: NaiveDate, weeks_back: usize| (d - Days::new(7 * weeks_back as u64)).max(plan_week);

    // Classes, and the sizes each scenario works with.
    let mut classes = Vec::new();
    let mut sizes = vec![vec![vec![0.0; weeks]; p.classes.len()]; s_count];
    for (k, class) in p.classes.iter().enumerate() {
        for t in 0..weeks {
            let firm = v.firm_class[k][t].map(|(n, _)| value(n).round());
            let per_scenario: Vec<f64> = (0..s_count)
                .map(|s| {
                    firm.or_else(|| v.later_class[s][k][t].map(value))
                        .unwrap_or(0.0)
                })
                .collect();
            for s in 0..s_count {
                sizes[s][k][t] = per_scenario[s];
            }
            let mean = per_scenario.iter().sum::<f64>() * share;
            let started = per_scenario.iter().filter(|n| **n > 0.5).count();
            if started == 0 {
                continue;
            }
            classes.push(PlannedClass {
                class: class.id.clone(),
                start: week_date(t),
                size: mean,
                firm: firm.is_some(),
                share_of_scenarios: started as f64 * share,
                productive_from: week_date(t + class.training_weeks),
                decide_by: before(week_date(t), class.lead_weeks),
            });
        }
    }

    // Seats.
    let mut seats = Vec::new();
    let mut seat_hours = vec![vec![vec![0.0; weeks]; p.contracts.len()]; s_count];
    let mut vendor_cost = costs.notice;
    for (ci, c) in p.contracts.iter().enumerate() {
        for w in 0..weeks {
            let (decision, per_scenario): (SeatDecision, Vec<f64>) = if w < c.notice_weeks {
                (
                    SeatDecision::InNotice,
                    vec![f64::from(c.current_seats); s_count],
                )
            } else if let Some(x) = v.firm_seats[ci][w] {
                (SeatDecision::Firm, vec![value(x).round(); s_count])
            } else {
                (
                    SeatDecision::Open,
                    (0..s_count)
                        .map(|s| v.later_seats[s][ci][w].map_or(0.0, value))
                        .collect(),
                )
            };
            for s in 0..s_count {
                seat_hours[s][ci][w] = per_scenario[s] * c.hours_per_seat;
            }
            let mean = per_scenario.iter().sum::<f64>() * share;
            if decision != SeatDecision::InNotice {
                vendor_cost += mean * c.hours_per_seat * c.cost_per_hour;
            }
            seats.push(PlannedSeats {
                vendor: c.vendor.clone(),
                channel: p.channels[c.channel].clone(),
                week: week_date(w),
                decision,
                seats: mean,
                seats_max: per_scenario.iter().copied().fold(0.0, f64::max),
                decide_by: before(week_date(w), c.notice_weeks),
            });
        }
    }

    // Hours by source, per channel and week.
    let mut channel_weeks = Vec::new();
    let mut unreachable = Vec::new();
    let mut overtime_cost = 0.0;
    let mut shortfall_cost = 0.0;
    for s in 0..s_count {
        for g in 0..p.groups.len() {
            for w in 0..weeks {
                overtime_cost +=
                    share * value(v.overtime[s][g][w]) * p.groups[g].overtime_cost_per_hour;
            }
        }
    }
    for c in 0..channels {
        for w in 0..weeks {
            let mut req: Vec<f64> = (0..s_count).map(|s| p.demand[s][c][w]).collect();
            let mean = req.iter().sum::<f64>() * share;
            req.sort_by(f64::total_cmp);
            let q = |x: f64| req[((req.len() - 1) as f64 * x).round() as usize];
            let (mut core_h, mut ot_h, mut hire_h, mut short_h) = (0.0, 0.0, 0.0, 0.0);
            let mut vendor_h = vec![0.0; p.contracts.len()];
            let mut short_count = 0;
            let mut missing_must = 0.0;
            for s in 0..s_count {
                // Hours allocated to the channel by source; what exceeds the requirement is idle,
                // so each source is scaled down to the hours it serves.
                let (mut core_s, mut ot_s, mut hire_s) = (0.0, 0.0, 0.0);
                let mut vendor_s = vec![0.0; p.contracts.len()];
                for g in 0..p.groups.len() {
                    let base = p.core_heads(g, w) * p.groups[g].hours_week;
                    let used: f64 = v.core[s][g][w].iter().map(|&(_, x)| value(x)).sum();
                    // Overtime is the part of the group's hours beyond its contracts.
                    let ot_part = if used > base {
                        (used - base) / used
                    } else {
                        0.0
                    };
                    for &(ch, x) in &v.core[s][g][w] {
                        if ch == c {
                            core_s += value(x) * (1.0 - ot_part);
                            ot_s += value(x) * ot_part;
                        }
                    }
                }
                for k in 0..p.classes.len() {
                    for &(ch, y) in &v.hires[s][k][w] {
                        if ch == c {
                            hire_s += value(y);
                        }
                    }
                }
                for (ci, contract) in p.contracts.iter().enumerate() {
                    if contract.channel == c {
                        vendor_s[ci] = seat_hours[s][ci][w];
                    }
                }
                let u = value(v.shortfall[s][c][w]);
                let supplied = core_s + ot_s + hire_s + vendor_s.iter().sum::<f64>();
                let served = (p.demand[s][c][w] - u).max(0.0);
                let scale = if supplied > served && supplied > 0.0 {
                    served / supplied
                } else {
                    1.0
                };
                core_h += share * scale * core_s;
                ot_h += share * scale * ot_s;
                hire_h += share * scale * hire_s;
                for ci in 0..p.contracts.len() {
                    vendor_h[ci] += share * scale * vendor_s[ci];
                }
                if u > SHORT_HOURS {
                    short_count += 1;
                    if must[s][c][w] {
                        missing_must = f64::max(missing_must, u);
                    }
                }
                short_h += share * u;
                shortfall_cost += share * u * p.shortfall_cost_per_hour;
            }
            let p_short = short_count as f64 * share;
            let reliable = p_short <= 1.0 - p.reliability + 1e-9 && missing_must <= SHORT_HOURS;
            if missing_must > SHORT_HOURS {
                unreachable.push((p.channels[c].clone(), week_date(w), missing_must));
            }
            channel_weeks.push(ChannelWeek {
                channel: p.channels[c].clone(),
                week: week_date(w),
                required_p50: q(0.5),
                required_p90: q(0.9),
                required_mean: mean,
                core_hours: core_h,
                overtime_hours: ot_h,
                hire_hours: hire_h,
                vendor_hours: p
                    .contracts
                    .iter()
                    .enumerate()
                    .filter(|(_, k)| k.channel == c)
                    .map(|(ci, k)| (k.vendor.clone(), vendor_h[ci]))
                    .collect(),
                shortfall_hours: short_h,
                p_shortfall: p_short,
                reliable,
            });
        }
    }

    // Headcount.
    let mut headcount: Vec<(String, Vec<f64>)> = (0..p.groups.len())
        .map(|g| {
            (
                p.groups[g].id.clone(),
                (0..weeks).map(|w| p.core_heads(g, w)).collect(),
            )
        })
        .collect();
    let mut hire_cost = 0.0;
    for (k, class) in p.classes.iter().enumerate() {
        let heads: Vec<f64> = (0..weeks)
            .map(|w| {
                (0..=w)
                    .map(|t| {
                        (0..s_count).map(|s| sizes[s][k][t]).sum::<f64>()
                            * share
                            * class.survival(w - t)
                    })
                    .sum()
            })
            .collect();
        for t in 0..weeks {
            let mean: f64 = (0..s_count).map(|s| sizes[s][k][t]).sum::<f64>() * share;
            hire_cost += mean * p.hire_cost(k, t);
        }
        headcount.push((class.id.clone(), heads));
    }
    let total = costs.core + hire_cost + overtime_cost + vendor_cost + shortfall_cost;
    // The program's objective (the must-meet penalty included, which is nonzero only when a
    // channel-week is unreachable) and the solver's bound on it, with the fixed costs.
    let objective = costs.objective + costs.core + costs.notice;
    let lower_bound = costs.bound + costs.core + costs.notice;
    Solution {
        weeks: p.weeks.clone(),
        scenarios: s_count,
        cost: CostSplit {
            core: costs.core,
            hires: hire_cost,
            overtime: overtime_cost,
            vendors: vendor_cost,
            shortfall: shortfall_cost,
            total,
        },
        objective,
        lower_bound,
        gap: if objective > 0.0 {
            (objective - lower_bound) / objective
        } else {
            0.0
        },
        solve_seconds: seconds,
        optimal,
        classes,
        seats,
        channel_weeks,
        headcount,
        unreachable,
        first_stage: FirstStage {
            classes: v
                .firm_class
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|x| x.map(|(n, _)| value(n).round() as u32))
                        .collect()
                })
                .collect(),
            seats: v
                .firm_seats
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|x| x.map(|n| value(n).round() as u32))
                        .collect()
                })
                .collect(),
        },
    }
}
