//! The core-plus-elastic roster: which core agent works which shift on which channel, where the
//! breaks go, and which vendor blocks to buy — at the least cost that holds the service target.
//!
//! Two stages, with a lower bound valid for the whole problem:
//!
//! 1. **Shift counts** ([`model`]): a mixed-integer program over agent *groups* (agents of one
//!    `[[agents]]` entry share skills, contract and availability) decides how many shifts of each
//!    template start at each time on each day on each channel, where their breaks fall, and how many
//!    vendor heads each block buys. Contract rules enter as constraints on the group's totals (hours,
//!    shifts and overtime per week; shifts per day; consecutive days; rest between a late shift and
//!    the next day's early one), which every named roster satisfies, so the program is a relaxation
//!    of the named problem and the optimum of its linear relaxation is a valid lower bound for it.
//! 2. **Named assignment** ([`assign`]): each group's shifts go to its agents day by day, honouring
//!    each agent's rest, consecutive days, weekly shifts and hours, and spreading hours so that every
//!    agent reaches the contract minimum. Breaks are rounded to whole placements.
//!
//! The final roster is then evaluated on its own ([`evaluate`]): coverage per channel and interval,
//! projected service level from the queueing engine, cost, every contract rule checked again, and
//! the gap of its objective to the stage-1 bound.
//!
//! Two modes set what "holds the service target" means:
//!
//! - **coverage**: each interval has the agents staffing asks for (a priced shortfall otherwise);
//! - **service** (default): each live channel answers its target share within the target time over
//!   each day as a whole. Contacts answered in time are bounded by the concave envelope of the
//!   interval's service curve (Koole & van der Sluis 2003), so capacity goes where it buys the most
//!   service; an interval floor keeps every interval at a minimum service level. Email, a backlog,
//!   keeps its coverage requirement in both modes.

pub mod assign;
pub mod evaluate;
pub mod explain;
pub mod model;
pub mod shortfall;
mod slots;
pub mod solve;
pub mod summary;

use crate::scenario::{ChannelKind, Scenario};
use crate::simulate::{
    self, Coverage, HandleTime, SimulationError, SimulationOptions, SimulationReport,
};
use crate::staffing::Requirements;
use crate::time_grid::TimeGrid;
use crate::volumes::GridVolumes;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use utoipa::ToSchema;

pub use evaluate::{DayService, Evaluation, Violation};
pub use explain::Conflict;

/// What the roster must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Each channel's daily service target, using service curves.
    #[default]
    Service,
    /// Staffing's per-interval requirement.
    Coverage,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Service => "service",
            Mode::Coverage => "coverage",
        }
    }
}

/// How to solve.
#[derive(Debug, Clone)]
pub struct Options {
    pub mode: Mode,
    /// Stop the solver after this many seconds with the best roster found.
    pub time_limit_seconds: f64,
    /// Stop once the solver's incumbent is within this relative gap of its bound.
    pub relative_gap: f64,
    /// Service mode: the least service level any open interval may have (a priced shortfall below).
    pub interval_floor: f64,
    /// Service mode: plan each day this much above the target share, as a fixed cushion (priced
    /// low; below the target itself is priced high). 0 by default: the simulation check repairs the
    /// days that fall short instead.
    pub service_margin: f64,
    /// Where HiGHS writes its log; progress lines are read from it while it solves.
    pub solver_log: Option<PathBuf>,
    /// When the whole job must be done (its start plus its time limit); without one, the roster's
    /// own start plus `time_limit_seconds`. Every phase of the solve, the assignment and any
    /// explanation fit before it.
    pub deadline: Option<std::time::Instant>,
    /// Service mode: what a channel-day (channel index, local date) must hold beyond its target
    /// in the program, after a check found it short (a repair round asks this much more of it).
    pub tighten: std::collections::BTreeMap<(usize, NaiveDate), Tighten>,
    /// Service mode: simulate the roster after the solve and repair the channel-days that miss a
    /// part of their target in the simulation (in place of a fixed margin); `None` judges by the
    /// stationary projection alone.
    pub check: Option<SimulationOptions>,
}

/// How much more the program asks of one channel-day than its target.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tighten {
    /// Added to the planned share answered in time.
    pub share: f64,
    /// Taken off the abandonment cap.
    pub abandon: f64,
    /// Taken off the occupancy cap.
    pub occupancy: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mode: Mode::Service,
            time_limit_seconds: 120.0,
            relative_gap: 0.01,
            interval_floor: 0.5,
            service_margin: 0.0,
            solver_log: None,
            deadline: None,
            tighten: Default::default(),
            check: Some(SimulationOptions {
                replications: 20,
                seed: 7,
                handle_time: HandleTime::Exponential,
            }),
        }
    }
}

/// One core shift of one named agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shift {
    /// Index into `scenario.agents`.
    pub agent: usize,
    pub date: NaiveDate,
    /// Minutes after local midnight of `date` (the end may pass midnight).
    pub start: u32,
    pub end: u32,
    pub template: usize,
    pub channel: usize,
    /// Breaks as (start minute, length minutes, paid), minutes after midnight of `date`.
    pub breaks: Vec<(u32, u32, bool)>,
    pub paid_minutes: u32,
}

/// Heads bought from a vendor for one block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VendorBlock {
    /// Index into `scenario.vendors`.
    pub vendor: usize,
    pub date: NaiveDate,
    pub start: u32,
    pub end: u32,
    pub channel: usize,
    pub heads: u32,
}

/// How the solver finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SolveStatus {
    Optimal,
    /// Stopped within the requested gap.
    GapReached,
    /// Stopped at the time limit with the best roster found.
    TimeLimit,
    /// Every phase finished, but the roster is further than the gap from the bound.
    GapAboveTarget,
}

impl SolveStatus {
    /// As written in summary.json.
    pub fn name(self) -> &'static str {
        match self {
            SolveStatus::Optimal => "optimal",
            SolveStatus::GapReached => "gap-reached",
            SolveStatus::TimeLimit => "time-limit",
            SolveStatus::GapAboveTarget => "gap-above-target",
        }
    }
}

/// What the solver reported.
#[derive(Debug, Clone, Serialize)]
pub struct SolveReport {
    pub status: SolveStatus,
    /// Stage-1 objective of the incumbent.
    pub objective: f64,
    /// Valid lower bound on the objective of any roster.
    pub lower_bound: f64,
    pub seconds: f64,
    pub columns: usize,
    pub integer_columns: usize,
    pub rows: usize,
    /// Each solver run: what it was, seconds, objective of its roster, its bound.
    pub phases: Vec<Phase>,
    /// Repair rounds run after a check found channel-days short of their target.
    pub repair_rounds: u32,
}

/// One solver run of stage 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Phase {
    pub name: String,
    pub seconds: f64,
    pub objective: Option<f64>,
    pub bound: f64,
}

/// At most this many repair rounds follow the solve.
const MAX_REPAIR_ROUNDS: u32 = 4;

/// Channel-days short of a part of their target in the projection or in the simulation check,
/// with how much more to ask of each part: the larger deficit and a little more, so that the
/// rounding of the next answer does not fall short again.
fn shortfalls(
    input: &Input,
    evaluation: &Evaluation,
    check: Option<&SimulationReport>,
) -> Vec<((usize, NaiveDate), Tighten)> {
    let s = input.scenario;
    let above = |v: Option<f64>, cap: Option<f64>, pad: f64| match (v, cap) {
        (Some(v), Some(cap)) if v > cap + 1e-9 => v - cap + pad,
        _ => 0.0,
    };
    evaluation
        .days
        .iter()
        .filter_map(|d| {
            let c = s.channels.iter().position(|c| c.id.as_str() == d.channel)?;
            if matches!(s.channels[c].kind, ChannelKind::Email) || d.volume <= 0.0 {
                return None;
            }
            let simulated = check
                .and_then(|r| r.channels.iter().find(|ch| ch.channel == d.channel))
                .and_then(|ch| ch.days.iter().find(|x| x.date == d.date))
                .map(|x| &x.stats);
            // Judged at the pessimistic end of half its 95 % interval, so that another seed's
            // simulation agrees.
            let half = |e: crate::simulate::Estimate| e.ci95.unwrap_or(0.0) / 2.0;
            let sim_share = simulated
                .and_then(|x| x.service_level)
                .map(|e| e.mean - half(e));
            let sim_abandon = simulated
                .and_then(|x| x.abandon_rate)
                .map(|e| e.mean + half(e));
            let more = Tighten {
                share: above(Some(d.target), d.projected_service_level, 0.002).max(above(
                    Some(d.target),
                    sim_share,
                    0.002,
                )),
                abandon: above(d.projected_abandon_rate, d.max_abandon, 0.001).max(above(
                    sim_abandon,
                    d.max_abandon,
                    0.001,
                )),
                occupancy: above(d.projected_occupancy, d.max_occupancy, 0.001),
            };
            (more != Tighten::default()).then_some(((c, d.date), more))
        })
        .collect()
}

/// Seconds left before the options' deadline.
fn seconds_left(options: &Options) -> f64 {
    options.deadline.map_or(f64::INFINITY, |d| {
        d.saturating_duration_since(std::time::Instant::now())
            .as_secs_f64()
    })
}

/// The simulation check of an evaluated roster, when the options ask for one, with as many of
/// its replications as fit before the deadline.
fn check_by_simulation(
    input: &Input,
    options: &Options,
    evaluation: &Evaluation,
) -> Result<Option<SimulationReport>, RosterError> {
    let Some(sim) = options.check.filter(|_| options.mode == Mode::Service) else {
        return Ok(None);
    };
    let coverage = Coverage {
        agents: evaluation.on_phone.clone(),
    };
    Ok(Some(simulate::simulate_within(
        input.scenario,
        input.grid,
        input.volumes,
        &coverage,
        &sim,
        options.deadline,
        |_, _| {},
    )?))
}

/// A roster and everything known about it.
#[derive(Debug, Clone)]
pub struct Roster {
    pub mode: Mode,
    /// The least service level an open interval was planned to have (service mode).
    pub interval_floor: f64,
    pub shifts: Vec<Shift>,
    pub blocks: Vec<VendorBlock>,
    /// Shifts stage 1 planned that no agent of the group could take without breaking a rule.
    pub unassigned: Vec<assign::Unassigned>,
    pub solve: SolveReport,
    pub evaluation: Evaluation,
    /// Every channel-day below its target, with the cause and the fix.
    pub shortfalls: Vec<shortfall::Shortfall>,
    /// The simulation check the repair rounds judged the roster by (service mode).
    pub check: Option<SimulationReport>,
}

#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error(
        "the scenario has no {0}; a roster needs `[[shift_templates]]` and `[[agents]]` or `[[vendors]]`"
    )]
    Missing(&'static str),
    #[error("{}", explain::describe(.0))]
    Infeasible(Vec<Conflict>),
    #[error("the solver failed: {0}")]
    Solver(String),
    #[error("the simulation check failed: {0}")]
    Simulation(#[from] SimulationError),
}

/// Everything the optimizer reads.
pub struct Input<'a> {
    pub scenario: &'a Scenario,
    pub grid: &'a TimeGrid,
    pub volumes: &'a GridVolumes,
    pub requirements: &'a Requirements,
}

/// Builds the roster: stage 1, named assignment, evaluation. `progress` receives solver progress
/// lines (elapsed time, incumbent, bound) while HiGHS runs.
pub fn schedule(
    input: &Input,
    options: &Options,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Roster, RosterError> {
    let scenario = input.scenario;
    if scenario.shift_templates.is_empty() && scenario.vendors.is_empty() {
        return Err(RosterError::Missing("shift templates or vendors"));
    }
    if scenario.agents.is_empty() && scenario.vendors.is_empty() {
        return Err(RosterError::Missing("agents or vendors"));
    }
    let mut options = options.clone();
    options.deadline = Some(options.deadline.unwrap_or_else(|| {
        std::time::Instant::now() + std::time::Duration::from_secs_f64(options.time_limit_seconds)
    }));
    let options = &options;
    let conflicts = explain::precheck(input);
    if !conflicts.is_empty() {
        return Err(RosterError::Infeasible(conflicts));
    }
    let solved = match solve::solve(input, options, false, progress)? {
        Some(s) => s,
        None => {
            // Every coverage and service row has a priced slack, so only the contract rules can
            // clash: prove which, with what time is left.
            let left = options.deadline.map_or(options.time_limit_seconds, |d| {
                d.saturating_duration_since(std::time::Instant::now())
                    .as_secs_f64()
            });
            return Err(RosterError::Infeasible(explain::proven(
                input, options, left,
            )?));
        }
    };
    let mut assigned = assign::assign(input, &solved);
    // Shifts that run past a channel's close where another start would do are moved.
    assign::avoid_idle(input, &mut assigned.shifts);
    assigned.shifts.sort_by_key(|s| (s.agent, s.date, s.start));
    let mut solved = solved;
    let mut evaluation = evaluate::evaluate(
        input,
        options,
        &assigned.shifts,
        &solved.blocks,
        solved.report.lower_bound,
    );
    // Repair: a channel-day short of any part of its target in the projection asks that much more
    // of its day, and the vendor heads are bought again with the shifts fixed.
    // Repair: a channel-day short of any part of its target in the projection, or in the
    // simulation check, asks that much more of its day, and the vendor heads are bought again with
    // the shifts fixed; until every day holds, the rounds run out or the time does.
    let mut check = check_by_simulation(input, options, &evaluation)?;
    if options.mode == Mode::Service {
        let mut tightened = options.clone();
        let misses = |short: &[((usize, NaiveDate), Tighten)]| short.len();
        let mut short = shortfalls(input, &evaluation, check.as_ref());
        // A round takes about as long as the last one (the first: the check and a top-up).
        let mut round_seconds = 0.0;
        for round in 1..=MAX_REPAIR_ROUNDS {
            if short.is_empty() || seconds_left(options) < round_seconds {
                break;
            }
            let round_started = std::time::Instant::now();
            progress(&format!(
                "repair round {round}: {} channel-day(s) short of their target",
                short.len()
            ));
            for (key, more) in &short {
                let t = tightened.tighten.entry(*key).or_default();
                t.share += more.share;
                t.abandon += more.abandon;
                t.occupancy += more.occupancy;
            }
            let Some(repaired) = solve::repair(input, &tightened, &solved, progress)? else {
                break;
            };
            let candidate = evaluate::evaluate(
                input,
                options,
                &assigned.shifts,
                &repaired.blocks,
                solved.report.lower_bound,
            );
            let candidate_check = check_by_simulation(input, options, &candidate)?;
            let candidate_short = shortfalls(input, &candidate, candidate_check.as_ref());
            if misses(&candidate_short) > misses(&short) {
                break;
            }
            round_seconds = round_started.elapsed().as_secs_f64();
            solved = repaired;
            solved.report.repair_rounds = round;
            evaluation = candidate;
            check = candidate_check;
            short = candidate_short;
        }
    }
    let shortfalls = shortfall::explain(input, &evaluation, &assigned.shifts, &solved.blocks);
    Ok(Roster {
        mode: options.mode,
        interval_floor: options.interval_floor,
        shortfalls,
        shifts: assigned.shifts,
        blocks: solved.blocks.clone(),
        unassigned: assigned.unassigned,
        solve: solved.report.clone(),
        evaluation,
        check,
    })
}
