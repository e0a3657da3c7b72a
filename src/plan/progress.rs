//! Progress of the main job: which stage runs and what it is doing. The CLI renders it with
//! indicatif (or plain lines when its output is not a terminal), the API stores it as the job's
//! progress and streams it as job events.

use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// The stages of the main job, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Forecast,
    Staffing,
    Roster,
    Simulation,
    Report,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Forecast => "forecast",
            Stage::Staffing => "staffing",
            Stage::Roster => "roster",
            Stage::Simulation => "simulation",
            Stage::Report => "report",
        }
    }

    /// What the stage does, for a person watching.
    pub fn describe(self) -> &'static str {
        match self {
            Stage::Forecast => "forecasting from the history",
            Stage::Staffing => "staffing the forecast",
            Stage::Roster => "building the roster",
            Stage::Simulation => "checking the roster by simulation",
            Stage::Report => "writing the report",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Receives progress while the main job runs; called from the thread that runs it.
pub trait Progress: Sync {
    /// `stage` started (with an empty `detail`) or moved on (solver incumbent and bound, the
    /// replication being simulated).
    fn update(&self, stage: Stage, detail: &str);
}

/// Progress nobody watches.
pub struct Quiet;

impl Progress for Quiet {
    fn update(&self, _: Stage, _: &str) {}
}

impl<F: Fn(Stage, &str) + Sync> Progress for F {
    fn update(&self, stage: Stage, detail: &str) {
        self(stage, detail)
    }
}
