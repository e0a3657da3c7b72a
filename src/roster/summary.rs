//! The roster's summary: what it costs, how it was solved, and the service it projects per channel
//! and day. One typed value, written as summary.json, stored with every roster version, shown by
//! the CLI, the report and the API — every reader gets the same fields, checked by the compiler.

use super::assign::Unassigned;
use super::evaluate::{DayService, IdleHours, Split, Violation};
use super::{Mode, Roster, SolveStatus};
use crate::scenario::Scenario;
use crate::simulate::SimulationReport;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Money or hours by source, rounded to hundredths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Amounts {
    pub core: f64,
    pub overtime: f64,
    /// Per vendor, in the scenario's order.
    pub vendors: Vec<VendorAmount>,
    pub total: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VendorAmount {
    pub vendor: String,
    pub amount: f64,
}

impl Amounts {
    fn from_split(split: &Split) -> Amounts {
        Amounts {
            core: round(split.core, 2),
            overtime: round(split.overtime, 2),
            vendors: split
                .vendors
                .iter()
                .map(|(vendor, v)| VendorAmount {
                    vendor: vendor.clone(),
                    amount: round(*v, 2),
                })
                .collect(),
            total: round(split.total(), 2),
        }
    }

    /// Every source with its amount, core first: (name, amount).
    pub fn items(&self) -> Vec<(&str, f64)> {
        let mut out = vec![("core", self.core), ("overtime", self.overtime)];
        out.extend(self.vendors.iter().map(|v| (v.vendor.as_str(), v.amount)));
        out
    }

    /// The amount of one source (`core`, `overtime` or a vendor id); 0 when absent.
    pub fn of(&self, source: &str) -> f64 {
        self.items()
            .into_iter()
            .find(|(name, _)| *name == source)
            .map_or(0.0, |(_, v)| v)
    }
}

/// How the solver ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SolverSummary {
    /// Stage-1 objective of the incumbent.
    pub objective: f64,
    pub columns: usize,
    pub integer_columns: usize,
    pub rows: usize,
    pub phases: Vec<super::Phase>,
    /// Rounds of vendor heads bought again for channel-days the projection found short.
    pub repair_rounds: u32,
}

/// One channel on one local day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DaySummary {
    pub channel: String,
    pub date: NaiveDate,
    pub volume: f64,
    pub projected_service_level: Option<f64>,
    pub projected_abandon_rate: Option<f64>,
    /// Busy agent time over agent time, over the intervals with contacts.
    pub projected_occupancy: Option<f64>,
    /// The target share.
    pub target: f64,
    pub max_abandon: Option<f64>,
    pub max_occupancy: Option<f64>,
    /// Whether the projected service level reaches the target share.
    pub meets_service_level: Option<bool>,
    /// Whether projected abandonment stays within `max_abandon` (`None` without a cap).
    pub meets_abandon: Option<bool>,
    /// Whether projected occupancy stays within `max_occupancy` (`None` without a cap).
    pub meets_occupancy: Option<bool>,
    /// Whether every part of the target holds (`None`: no contacts to judge).
    pub meets_target: Option<bool>,
    /// The simulation check inside the solve (service mode): mean share answered in time, its
    /// 95 % half-width, and mean abandonment.
    pub simulated_service_level: Option<f64>,
    pub simulated_service_level_ci95: Option<f64>,
    pub simulated_abandon_rate: Option<f64>,
    pub core_hours: f64,
    pub elastic_hours: f64,
}

impl DaySummary {
    fn from_day(d: &DayService, check: Option<&SimulationReport>) -> DaySummary {
        let simulated = check
            .and_then(|r| r.channels.iter().find(|c| c.channel == d.channel))
            .and_then(|c| c.days.iter().find(|x| x.date == d.date))
            .map(|x| &x.stats);
        DaySummary {
            channel: d.channel.clone(),
            date: d.date,
            volume: round(d.volume, 1),
            projected_service_level: d.projected_service_level.map(|v| round(v, 4)),
            projected_abandon_rate: d.projected_abandon_rate.map(|v| round(v, 4)),
            projected_occupancy: d.projected_occupancy.map(|v| round(v, 4)),
            target: d.target,
            max_abandon: d.max_abandon,
            max_occupancy: d.max_occupancy,
            meets_service_level: d.meets_service_level(),
            meets_abandon: d.meets_abandon(),
            meets_occupancy: d.meets_occupancy(),
            meets_target: d.meets_target(),
            simulated_service_level: simulated
                .and_then(|x| x.service_level)
                .map(|e| round(e.mean, 4)),
            simulated_service_level_ci95: simulated
                .and_then(|x| x.service_level)
                .and_then(|e| e.ci95)
                .map(|h| round(h, 4)),
            simulated_abandon_rate: simulated
                .and_then(|x| x.abandon_rate)
                .map(|e| round(e.mean, 4)),
            core_hours: round(d.core_hours, 2),
            elastic_hours: round(d.elastic_hours, 2),
        }
    }
}

/// summary.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RosterSummary {
    pub scenario: String,
    /// Where the forecast came from.
    pub forecast: String,
    pub mode: Mode,
    pub status: SolveStatus,
    pub cost_total: f64,
    pub cost: Amounts,
    pub paid_hours: Amounts,
    /// Priced shortfall of the finished roster.
    pub penalty: f64,
    /// Cost plus penalty.
    pub objective: f64,
    /// No roster of this scenario has a smaller objective.
    pub lower_bound: f64,
    /// (objective − lower bound) / objective.
    pub gap: f64,
    pub solve_seconds: f64,
    pub solver: SolverSummary,
    pub shifts: usize,
    pub agents_rostered: usize,
    pub vendor_blocks: usize,
    pub unassigned_shifts: Vec<Unassigned>,
    pub rule_violations: Vec<Violation>,
    /// Per channel, paid hours while it is closed (idle), and whose.
    pub idle_paid_hours: Vec<IdleHours>,
    /// Every channel-day below its target: which parts, the cause and the fix.
    pub shortfalls: Vec<super::shortfall::Shortfall>,
    pub service: Vec<DaySummary>,
}

fn round(v: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (v * scale).round() / scale
}

fn agents_rostered(roster: &Roster) -> usize {
    let mut a: Vec<usize> = roster.shifts.iter().map(|s| s.agent).collect();
    a.sort_unstable();
    a.dedup();
    a.len()
}

impl RosterSummary {
    pub fn new(scenario: &Scenario, forecast: &str, roster: &Roster) -> RosterSummary {
        let e = &roster.evaluation;
        RosterSummary {
            scenario: scenario.name.clone(),
            forecast: forecast.to_string(),
            mode: roster.mode,
            status: roster.solve.status,
            cost_total: round(e.cost.total(), 2),
            cost: Amounts::from_split(&e.cost),
            paid_hours: Amounts::from_split(&e.hours),
            penalty: round(e.penalty, 2),
            objective: round(e.objective, 2),
            lower_bound: round(e.lower_bound, 2),
            gap: round(e.gap, 6),
            solve_seconds: round(roster.solve.seconds, 2),
            solver: SolverSummary {
                objective: round(roster.solve.objective, 2),
                columns: roster.solve.columns,
                integer_columns: roster.solve.integer_columns,
                rows: roster.solve.rows,
                phases: roster.solve.phases.clone(),
                repair_rounds: roster.solve.repair_rounds,
            },
            shifts: roster.shifts.len(),
            agents_rostered: agents_rostered(roster),
            vendor_blocks: roster.blocks.len(),
            unassigned_shifts: roster.unassigned.clone(),
            rule_violations: e.violations.clone(),
            idle_paid_hours: e
                .idle
                .iter()
                .map(|d| IdleHours {
                    channel: d.channel.clone(),
                    core_hours: round(d.core_hours, 2),
                    vendor_hours: round(d.vendor_hours, 2),
                    who: d.who.clone(),
                    reason: d.reason.clone(),
                })
                .collect(),
            shortfalls: roster.shortfalls.clone(),
            service: e
                .days
                .iter()
                .map(|d| DaySummary::from_day(d, roster.check.as_ref()))
                .collect(),
        }
    }
}
