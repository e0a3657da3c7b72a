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
mod slots;
pub mod solve;
pub mod summary;

use crate::scenario::Scenario;
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
    /// Service mode: plan each day this much above the target share, as a cushion for the rounding
    /// of breaks and shifts to whole agents (priced low; below the target itself is priced high).
    pub service_margin: f64,
    /// Where HiGHS writes its log; progress lines are read from it while it solves.
    pub solver_log: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mode: Mode::Service,
            time_limit_seconds: 120.0,
            relative_gap: 0.01,
            interval_floor: 0.5,
            service_margin: 0.02,
            solver_log: None,
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
}

/// One solver run of stage 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Phase {
    pub name: String,
    pub seconds: f64,
    pub objective: Option<f64>,
    pub bound: f64,
}

/// A roster and everything known about it.
#[derive(Debug, Clone)]
pub struct Roster {
    pub mode: Mode,
    pub shifts: Vec<Shift>,
    pub blocks: Vec<VendorBlock>,
    /// Shifts stage 1 planned that no agent of the group could take without breaking a rule.
    pub unassigned: Vec<assign::Unassigned>,
    pub solve: SolveReport,
    pub evaluation: Evaluation,
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
    let conflicts = explain::precheck(input);
    if !conflicts.is_empty() {
        return Err(RosterError::Infeasible(conflicts));
    }
    let solved = match solve::solve(input, options, false, progress)? {
        Some(s) => s,
        None => {
            // Every coverage and service row has a priced slack, so only the contract rules can
            // clash: solve again with a priced slack on each of them and report those used.
            let conflicts = match solve::solve(input, options, true, progress)? {
                Some(s) => explain::from_slack(input, &s),
                None => Vec::new(),
            };
            return Err(RosterError::Infeasible(conflicts));
        }
    };
    let assigned = assign::assign(input, &solved);
    let evaluation = evaluate::evaluate(
        input,
        options,
        &assigned.shifts,
        &solved.blocks,
        solved.report.lower_bound,
    );
    Ok(Roster {
        mode: options.mode,
        shifts: assigned.shifts,
        blocks: solved.blocks.clone(),
        unassigned: assigned.unassigned,
        solve: solved.report.clone(),
        evaluation,
    })
}
