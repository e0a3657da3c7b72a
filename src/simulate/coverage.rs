//! Agents on each channel per interval: what the simulator staffs the contact centre with.
//!
//! CSV with `timestamp,channel,agents`, where `agents` counts agents actually taking contacts (after
//! shrinkage). The staffing output of `peakplan staff` is accepted as it is: its `required_agents`
//! column is read when there is no `agents` column.

use crate::scenario::Scenario;
use crate::staffing::Requirements;
use crate::time_grid::TimeGrid;
use crate::volumes::{format_timestamp, parse_timestamp};
use std::path::Path;

/// One row as written: `agents`, or staffing's `required_agents`.
#[derive(serde::Deserialize)]
struct RawRow {
    timestamp: String,
    channel: String,
    #[serde(default)]
    agents: Option<String>,
    #[serde(default)]
    required_agents: Option<String>,
}

/// Agents per channel (scenario order) per interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    pub agents: Vec<Vec<u32>>,
}

#[derive(Debug, thiserror::Error)]
pub enum CoverageError {
    #[error("cannot read {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}:{line}: {message}")]
    Row {
        origin: String,
        line: u64,
        message: String,
    },
    #[error("{origin}: {message}")]
    File { origin: String, message: String },
}

impl Coverage {
    /// The on-channel agents staffing asked for.
    pub fn from_requirements(requirements: &Requirements) -> Coverage {
        Coverage {
            agents: requirements
                .channels
                .iter()
                .map(|c| c.intervals.iter().map(|r| r.required).collect())
                .collect(),
        }
    }

    /// Reads a coverage CSV for the scenario's grid. Closed intervals may be omitted (no agents);
    /// every open interval of every channel must be present.
    pub fn read(
        path: impl AsRef<Path>,
        scenario: &Scenario,
        grid: &TimeGrid,
    ) -> Result<Coverage, CoverageError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| CoverageError::Io {
            path: origin.clone(),
            source,
        })?;
        let mut csv = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(file);
        let file_error = |message: String| CoverageError::File {
            origin: origin.clone(),
            message,
        };
        let headers = csv
            .headers()
            .map_err(|e| file_error(format!("cannot read the header: {e}")))?
            .clone();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (Some(_), Some(_)) = (col("timestamp"), col("channel")) else {
            return Err(file_error(
                "the header must have `timestamp` and `channel` columns".into(),
            ));
        };
        if col("agents").or_else(|| col("required_agents")).is_none() {
            return Err(file_error(
                "the header needs an `agents` column (or `required_agents`, as `peakplan staff` writes)".into(),
            ));
        };
        let mut agents: Vec<Vec<Option<u32>>> =
            vec![vec![None; grid.len()]; scenario.channels.len()];
        for record in csv.records() {
            let record = record.map_err(|e| CoverageError::Row {
                origin: origin.clone(),
                line: e.position().map_or(0, |p| p.line()),
                message: format!("malformed CSV: {e}"),
            })?;
            let line = record.position().map_or(0, |p| p.line());
            let row_error = |message: String| CoverageError::Row {
                origin: origin.clone(),
                line,
                message,
            };
            let raw: RawRow = record
                .deserialize(Some(&headers))
                .map_err(|e| row_error(format!("malformed row: {e}")))?;
            let agents_text = raw.agents.or(raw.required_agents).unwrap_or_default();
            let t = parse_timestamp(&raw.timestamp, scenario.time_zone).map_err(row_error)?;
            let Some((c, _)) = scenario.channel(&raw.channel) else {
                return Err(row_error(format!(
                    "unknown channel `{}`; the scenario has {}",
                    raw.channel,
                    scenario.channel_list()
                )));
            };
            let n: u32 = agents_text.parse().map_err(|_| {
                row_error(format!(
                    "agents must be a whole number ≥ 0, got `{agents_text}`"
                ))
            })?;
            let Some(i) = grid.index_of(t) else {
                if grid.is_aligned(t) {
                    continue; // outside the horizon
                }
                return Err(row_error(format!(
                    "{} is not the start of a {}-minute interval",
                    raw.timestamp,
                    grid.length().minutes()
                )));
            };
            if agents[c][i].replace(n).is_some() {
                return Err(row_error(format!(
                    "channel `{}` at {} appears twice",
                    raw.channel, raw.timestamp
                )));
            }
        }
        let mut out = Vec::with_capacity(agents.len());
        for (c, channel) in scenario.channels.iter().enumerate() {
            let mut row = Vec::with_capacity(grid.len());
            for (i, given) in agents[c].iter().enumerate() {
                let clock = grid.local_clock(i);
                match *given {
                    Some(n) => row.push(n),
                    None if channel
                        .opening_hours
                        .is_open(clock.weekday, clock.minute_of_day) =>
                    {
                        return Err(file_error(format!(
                            "no agents given for channel `{}` at {}, an open interval",
                            channel.id,
                            format_timestamp(grid.start_of(i), scenario.time_zone)
                        )));
                    }
                    None => row.push(0),
                }
            }
            out.push(row);
        }
        Ok(Coverage { agents: out })
    }
}
