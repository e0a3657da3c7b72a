//! The main job as one call: a scenario and its history (or a given forecast) in, a checked plan
//! out — forecast → staffing → core-plus-elastic roster → simulation check → live plan → report.
//!
//! [`run`] takes a typed [`PlanRequest`] and reports through a [`Progress`]; it reads and writes no
//! file. The CLI (`plan`, `schedule`, `demo`), the API's jobs and the examples build a request,
//! call it, and translate the [`Plan`] into files, tables, stored versions or answers
//! ([`crate::export`] writes the files).

mod progress;

pub use progress::{Progress, Quiet, Stage};

use crate::forecast::{self, Forecast, ForecastError};
use crate::live::LivePlan;
use crate::report::{self, ReportInput};
use crate::roster::summary::RosterSummary;
use crate::roster::{self, Roster, RosterError};
use crate::scenario::Scenario;
use crate::simulate::{self, Coverage, SimulationError, SimulationOptions, SimulationReport};
use crate::staffing::{self, LoadMethod, Requirements, StaffingError};
use crate::time_grid::TimeGrid;
use crate::volumes::{GridVolumes, VolumeError, VolumeRow, VolumeSeries};

/// What the roster is planned against.
#[derive(Debug, Clone)]
pub enum Demand {
    /// Forecast this history over the scenario's horizon (each channel's method chosen by
    /// backtest, events lifted by their learned uplift, p10–p90 bands).
    History(VolumeSeries),
    /// This forecast, as given.
    Forecast(VolumeSeries),
}

/// Everything the main job needs.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    pub scenario: Scenario,
    /// The scenario as written, kept with the plan so that it can be stored and planned again.
    pub scenario_text: String,
    pub demand: Demand,
    pub roster: roster::Options,
    /// The simulation check of the finished roster; `None` skips it.
    pub simulation: Option<SimulationOptions>,
}

/// A planned roster with everything it was planned from and everything known about it.
#[derive(Debug, Clone)]
pub struct Plan {
    pub scenario: Scenario,
    pub scenario_text: String,
    /// The history the forecast learned from, when it was forecast here.
    pub history: Option<VolumeSeries>,
    /// How each channel was forecast, when it was forecast here.
    pub forecast_detail: Option<Forecast>,
    pub forecast: Vec<VolumeRow>,
    /// Where the forecast came from, for summaries.
    pub forecast_origin: String,
    pub grid: TimeGrid,
    /// The forecast on the scenario's grid.
    pub volumes: GridVolumes,
    pub requirements: Requirements,
    pub roster: Roster,
    pub summary: RosterSummary,
    pub simulation: Option<SimulationReport>,
    /// The roster as the routing layer, vendors and supervisors see it.
    pub live: LivePlan,
    /// The HTML report, self-contained.
    pub report: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("forecast: {0}")]
    Forecast(#[from] ForecastError),
    #[error(transparent)]
    Volumes(#[from] VolumeError),
    #[error("staffing: {0}")]
    Staffing(#[from] StaffingError),
    #[error(transparent)]
    Roster(#[from] RosterError),
    #[error("simulation: {0}")]
    Simulation(#[from] SimulationError),
}

/// Runs the main job.
pub fn run(request: &PlanRequest, progress: &dyn Progress) -> Result<Plan, PlanError> {
    // The time limit covers the whole job: forecast, staffing and the roster share it.
    let mut roster_options = request.roster.clone();
    roster_options.deadline = Some(roster_options.deadline.unwrap_or_else(|| {
        std::time::Instant::now()
            + std::time::Duration::from_secs_f64(request.roster.time_limit_seconds.max(0.0))
    }));
    let scenario = &request.scenario;
    let (forecast, forecast_origin, forecast_detail, history) = match &request.demand {
        Demand::History(series) => {
            progress.update(Stage::Forecast, "");
            let detail = forecast::over_horizon(series, scenario)?;
            (
                detail.rows(),
                format!("forecast of {}", series.origin),
                Some(detail),
                Some(series.clone()),
            )
        }
        Demand::Forecast(series) => (series.rows.clone(), series.origin.clone(), None, None),
    };

    progress.update(Stage::Staffing, "");
    let grid = scenario.grid();
    let volumes = VolumeSeries {
        origin: forecast_origin.clone(),
        rows: forecast.clone(),
    }
    .on_grid(scenario, &grid)?;
    let requirements =
        staffing::requirements(scenario, &grid, &volumes, LoadMethod::ModifiedOfferedLoad)?;

    progress.update(Stage::Roster, "");
    let input = roster::Input {
        scenario,
        grid: &grid,
        volumes: &volumes,
        requirements: &requirements,
    };
    let solver_progress = |line: &str| progress.update(Stage::Roster, line);
    let roster = roster::schedule(&input, &roster_options, &solver_progress)?;
    let summary = RosterSummary::new(scenario, &forecast_origin, &roster);

    let simulation = match &request.simulation {
        Some(options) => {
            progress.update(Stage::Simulation, "");
            let coverage = Coverage {
                agents: roster.evaluation.on_phone.clone(),
            };
            let report = simulate::simulate_within(
                scenario,
                &grid,
                &volumes,
                &coverage,
                options,
                roster_options.deadline,
                |done, all| {
                    progress.update(Stage::Simulation, &format!("{done} of {all} replications"))
                },
            )?;
            Some(report)
        }
        None => None,
    };

    let mut live = LivePlan::from_roster(scenario, &grid, &requirements, &roster);
    // The intraday rules learned from the history go with the plan to its live re-forecast (they
    // are in minutes of the day, whatever the history's interval).
    if let Some(detail) = &forecast_detail {
        for ch in &mut live.channels {
            if let Some(f) = detail.channels.iter().find(|f| f.channel == ch.id) {
                ch.intraday_rules = f.intraday_rules.clone();
            }
        }
    }

    progress.update(Stage::Report, "");
    let report = report::render(&ReportInput {
        scenario,
        grid: &grid,
        requirements: &requirements,
        roster: &roster,
        forecast: &forecast,
        history: history.as_ref(),
        simulation: simulation.as_ref(),
        summary: &summary,
        forecast_days: forecast_detail.as_ref(),
    });

    Ok(Plan {
        scenario: scenario.clone(),
        scenario_text: request.scenario_text.clone(),
        history,
        forecast_detail,
        forecast,
        forecast_origin,
        grid,
        volumes,
        requirements,
        roster,
        summary,
        simulation,
        live,
        report,
    })
}
