//! Every file peakplan writes, in one place: each CSV is a list of serde rows written through
//! `csv::Writer` (so a name such as `Li, Wei` or one with quotes or a line break is quoted, never
//! breaks the file), each JSON a typed value. The CLI writes folders with [`write_plan`]; the API
//! answers with the same rows ([`vendor_plan`]), so a vendor's CSV has one layout everywhere.

use crate::clock::{Clock, local_date_time};
use crate::live::{LiveBlock, LivePlan};
use crate::plan::Plan;
use crate::scenario::Scenario;
use crate::simulate::SimulationReport;
use crate::staffing::Requirements;
use crate::volumes::{Quantiles, VolumeRow, format_number, format_timestamp};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize, Serializer};
use std::io::Write;
use std::path::{Path, PathBuf};
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}")]
    Csv {
        path: String,
        #[source]
        source: csv::Error,
    },
    #[error("cannot write {path}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
}

/// A number as the CSV files write it: up to four decimals, no trailing zeros.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num(pub f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_number(self.0))
    }
}

fn opt(v: Option<f64>) -> Option<Num> {
    v.map(Num)
}

/// Rows as CSV with a header, into any writer.
pub fn write_csv<T: Serialize>(out: impl Write, rows: &[T]) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    for r in rows {
        w.serialize(r)?;
    }
    w.flush()?;
    Ok(())
}

/// Rows as CSV text.
pub fn csv_string<T: Serialize>(rows: &[T]) -> String {
    let mut out = Vec::new();
    write_csv(&mut out, rows).expect("writing CSV into memory cannot fail");
    String::from_utf8(out).expect("CSV of UTF-8 strings is UTF-8")
}

fn create(path: &Path) -> Result<std::io::BufWriter<std::fs::File>, ExportError> {
    std::fs::File::create(path)
        .map(std::io::BufWriter::new)
        .map_err(|source| ExportError::Io {
            path: path.display().to_string(),
            source,
        })
}

/// Writes rows as a CSV file.
pub fn write_csv_file<T: Serialize>(path: &Path, rows: &[T]) -> Result<(), ExportError> {
    write_csv(create(path)?, rows).map_err(|source| ExportError::Csv {
        path: path.display().to_string(),
        source,
    })
}

/// Writes a value as pretty JSON with a final newline.
pub fn write_json_file<T: Serialize>(path: &Path, value: &T) -> Result<(), ExportError> {
    let err = |source| ExportError::Json {
        path: path.display().to_string(),
        source,
    };
    let mut text = serde_json::to_string_pretty(value).map_err(err)?;
    text.push('\n');
    write_text_file(path, &text)
}

pub fn write_text_file(path: &Path, text: &str) -> Result<(), ExportError> {
    std::fs::write(path, text).map_err(|source| ExportError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// The file a vendor's plan is written to.
pub fn vendor_file_name(vendor: &str) -> String {
    format!("vendor_{vendor}.csv")
}

/// One core shift: roster.csv.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RosterRow {
    pub agent: String,
    pub name: String,
    pub group: String,
    pub date: NaiveDate,
    /// Local wall-clock start, `2026-11-02T07:00`.
    pub start: String,
    pub end: String,
    pub channel: String,
    pub template: String,
    pub paid_hours: String,
    /// `12:00-12:30 unpaid; 15:00-15:15 paid`.
    pub breaks: String,
}

/// roster.csv: every core shift, by date, start and agent.
pub fn roster_rows(scenario: &Scenario, roster: &crate::roster::Roster) -> Vec<RosterRow> {
    let mut shifts: Vec<&crate::roster::Shift> = roster.shifts.iter().collect();
    shifts.sort_by_key(|s| (s.date, s.start, s.agent));
    shifts
        .into_iter()
        .map(|sh| {
            let agent = &scenario.agents[sh.agent];
            let breaks: Vec<String> = sh
                .breaks
                .iter()
                .map(|&(at, minutes, paid)| {
                    format!(
                        "{}-{} {}",
                        Clock::of_day(at),
                        Clock::of_day(at + minutes),
                        if paid { "paid" } else { "unpaid" }
                    )
                })
                .collect();
            RosterRow {
                agent: agent.id.clone(),
                name: agent.name.clone(),
                group: agent.group.clone(),
                date: sh.date,
                start: local_date_time(sh.date, sh.start),
                end: local_date_time(sh.date, sh.end),
                channel: scenario.channels[sh.channel].id.to_string(),
                template: scenario.shift_templates[sh.template].id.clone(),
                paid_hours: format_number(f64::from(sh.paid_minutes) / 60.0),
                breaks: breaks.join("; "),
            }
        })
        .collect()
}

/// One block of a vendor's plan: a row of `vendor_<id>.csv` and of the vendor's plan from the
/// API (JSON or CSV), the same fields everywhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VendorPlanRow {
    pub date: NaiveDate,
    pub channel: String,
    /// Local start, `2026-11-11 08:00`, in the plan's time zone.
    pub start: String,
    pub end: String,
    pub start_utc: DateTime<Utc>,
    pub end_utc: DateTime<Utc>,
    pub heads: u32,
    /// Heads the vendor committed when acknowledging; empty until it does.
    pub committed: Option<u32>,
    /// Head-hours planned.
    pub hours: f64,
    /// Asked for live by a supervisor, on top of the published plan.
    pub requested_live: bool,
}

impl VendorPlanRow {
    pub fn new(tz: Tz, b: &LiveBlock) -> VendorPlanRow {
        VendorPlanRow {
            date: b.date,
            channel: b.channel.clone(),
            start: crate::clock::local(tz, b.start),
            end: crate::clock::local(tz, b.end),
            start_utc: b.start,
            end_utc: b.end,
            heads: b.heads,
            committed: b.committed,
            hours: f64::from(b.heads) * (b.end - b.start).num_minutes() as f64 / 60.0,
            requested_live: b.requested_live,
        }
    }
}

/// A vendor's blocks of a live plan, by start, as rows.
pub fn vendor_plan<'a>(
    plan: &'a LivePlan,
    blocks: impl IntoIterator<Item = &'a LiveBlock>,
) -> Vec<VendorPlanRow> {
    let tz = plan.tz();
    let mut rows: Vec<&LiveBlock> = blocks.into_iter().collect();
    rows.sort_by(|a, b| (a.start, &a.channel, a.end).cmp(&(b.start, &b.channel, b.end)));
    rows.into_iter()
        .map(|b| VendorPlanRow::new(tz, b))
        .collect()
}

/// coverage.csv: per interval and channel, demand, requirement and the agents the roster puts on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageRow {
    pub timestamp: String,
    pub channel: String,
    pub forecast: Num,
    pub required: u32,
    pub scheduled_core: Num,
    pub scheduled_elastic: Num,
    /// Agents taking contacts after shrinkage, whole: what the simulator staffs with.
    pub agents: u32,
    pub projected_service_level: Option<Num>,
}

pub fn coverage_rows(plan: &Plan) -> Vec<CoverageRow> {
    let s = &plan.scenario;
    let e = &plan.roster.evaluation;
    let mut rows = Vec::with_capacity(plan.grid.len() * s.channels.len());
    for i in 0..plan.grid.len() {
        for (c, ch) in s.channels.iter().enumerate() {
            let req = &plan.requirements.channels[c].intervals[i];
            rows.push(CoverageRow {
                timestamp: format_timestamp(plan.grid.start_of(i), s.time_zone),
                channel: ch.id.to_string(),
                forecast: Num(req.volume),
                required: req.scheduled,
                scheduled_core: Num(e.core[c][i]),
                scheduled_elastic: Num(e.elastic[c][i]),
                agents: e.on_phone[c][i],
                projected_service_level: opt(e.projected[c][i]),
            });
        }
    }
    rows
}

/// simulation.csv: per interval and channel, the simulated means.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulationRow {
    pub timestamp: String,
    pub channel: String,
    pub agents: u32,
    pub offered: Num,
    pub answered: Num,
    pub abandoned: Num,
    pub service_level: Option<Num>,
    pub service_level_ci95: Option<Num>,
    pub abandon_rate: Option<Num>,
    pub asa_seconds: Option<Num>,
    pub occupancy: Option<Num>,
}

pub fn simulation_rows(tz: Tz, report: &SimulationReport) -> Vec<SimulationRow> {
    let n = report.channels.first().map_or(0, |c| c.intervals.len());
    let mut rows = Vec::with_capacity(n * report.channels.len());
    for i in 0..n {
        for ch in &report.channels {
            let r = &ch.intervals[i];
            rows.push(SimulationRow {
                timestamp: format_timestamp(r.start, tz),
                channel: ch.channel.clone(),
                agents: r.agents,
                offered: Num(r.offered.mean),
                answered: Num(r.answered.mean),
                abandoned: Num(r.abandoned.mean),
                service_level: opt(r.service_level.map(|e| e.mean)),
                service_level_ci95: opt(r.service_level.and_then(|e| e.ci95)),
                abandon_rate: opt(r.abandon_rate.map(|e| e.mean)),
                asa_seconds: opt(r.asa_seconds.map(|e| e.mean)),
                occupancy: opt(r.occupancy.map(|e| e.mean)),
            });
        }
    }
    rows
}

/// The staffing table (`peakplan staff --out`): per interval and channel, demand, load,
/// required and scheduled agents and the service they give.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaffingRow {
    pub timestamp: String,
    pub channel: String,
    pub open: bool,
    pub volume: Num,
    pub aht_seconds: Num,
    pub offered_load: Num,
    pub required_agents: u32,
    pub shrinkage: Num,
    pub scheduled_agents: u32,
    pub service_level: Option<Num>,
    pub p_abandon: Option<Num>,
    pub asa_seconds: Option<Num>,
    pub occupancy: Option<Num>,
    pub backlog_hours: Option<Num>,
}

pub fn staffing_rows(tz: Tz, requirements: &Requirements) -> Vec<StaffingRow> {
    let n = requirements
        .channels
        .first()
        .map_or(0, |c| c.intervals.len());
    let mut rows = Vec::with_capacity(n * requirements.channels.len());
    for i in 0..n {
        for ch in &requirements.channels {
            let r = &ch.intervals[i];
            let m = r.metrics;
            rows.push(StaffingRow {
                timestamp: format_timestamp(r.start, tz),
                channel: ch.channel.to_string(),
                open: r.open,
                volume: Num(r.volume),
                aht_seconds: Num(r.aht_seconds),
                offered_load: Num(r.offered_load),
                required_agents: r.required,
                shrinkage: Num(r.shrinkage),
                scheduled_agents: r.scheduled,
                service_level: opt(m.map(|m| m.service_level)),
                p_abandon: opt(m.map(|m| m.p_abandon)),
                asa_seconds: opt(m.and_then(|m| m.asa_seconds)),
                occupancy: opt(m.map(|m| m.occupancy)),
                backlog_hours: opt(r.backlog_seconds.map(|s| s / 3600.0)),
            });
        }
    }
    rows
}

/// The weekly forecast (`peakplan forecast --weekly`): per week and channel, the volume's median and
/// band, the mean over the paths, the open days and the events' lift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeeklyRow {
    pub week_start: String,
    pub channel: String,
    pub p50: Num,
    pub p10: Num,
    pub p90: Num,
    pub mean: Num,
    pub open_days: usize,
    pub event_uplift: Num,
}

pub fn weekly_rows(forecast: &crate::forecast::weekly::WeeklyForecast) -> Vec<WeeklyRow> {
    let mut rows = Vec::new();
    for (w, week) in forecast.weeks.iter().enumerate() {
        for c in &forecast.channels {
            let r = &c.rows[w];
            rows.push(WeeklyRow {
                week_start: week.to_string(),
                channel: c.channel.clone(),
                p50: Num(r.p50),
                p10: Num(r.p10),
                p90: Num(r.p90),
                mean: Num(r.mean),
                open_days: r.open_days,
                event_uplift: Num(r.uplift),
            });
        }
    }
    rows
}

/// One channel and week of a capacity plan (`channel_weeks.csv`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapacityWeekRow {
    pub week_start: String,
    pub channel: String,
    pub required_p50_hours: Num,
    pub required_p90_hours: Num,
    pub required_mean_hours: Num,
    pub core_hours: Num,
    pub overtime_hours: Num,
    pub hire_hours: Num,
    pub vendor_hours: Num,
    pub shortfall_hours: Num,
    pub p_shortfall: Num,
    pub reliable: bool,
}

/// A class of the hiring plan (`classes.csv`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapacityClassRow {
    pub class: String,
    pub start: String,
    pub size: Num,
    pub firm: bool,
    pub share_of_scenarios: Num,
    pub productive_from: String,
    pub recruit_by: String,
}

/// A contract's seats in one week (`seats.csv`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapacitySeatRow {
    pub vendor: String,
    pub channel: String,
    pub week_start: String,
    pub decision: &'static str,
    pub seats: Num,
    pub seats_max: Num,
    pub notice_by: String,
}

/// Writes a capacity plan into `dir`: report.html, channel_weeks.csv, classes.csv, seats.csv,
/// plan.json.
pub fn write_capacity(
    dir: &Path,
    plan: &crate::capacity::input::CapacityPlan,
) -> Result<Vec<PathBuf>, ExportError> {
    use crate::capacity::SeatDecision;
    std::fs::create_dir_all(dir).map_err(|source| ExportError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let s = &plan.solution;
    let weeks: Vec<CapacityWeekRow> = s
        .channel_weeks
        .iter()
        .map(|c| CapacityWeekRow {
            week_start: c.week.to_string(),
            channel: c.channel.clone(),
            required_p50_hours: Num(c.required_p50),
            required_p90_hours: Num(c.required_p90),
            required_mean_hours: Num(c.required_mean),
            core_hours: Num(c.core_hours),
            overtime_hours: Num(c.overtime_hours),
            hire_hours: Num(c.hire_hours),
            vendor_hours: Num(c.vendor_hours.iter().map(|(_, h)| h).sum()),
            shortfall_hours: Num(c.shortfall_hours),
            p_shortfall: Num(c.p_shortfall),
            reliable: c.reliable,
        })
        .collect();
    let classes: Vec<CapacityClassRow> = s
        .classes
        .iter()
        .map(|c| CapacityClassRow {
            class: c.class.clone(),
            start: c.start.to_string(),
            size: Num(c.size),
            firm: c.firm,
            share_of_scenarios: Num(c.share_of_scenarios),
            productive_from: c.productive_from.to_string(),
            recruit_by: c.decide_by.to_string(),
        })
        .collect();
    let seats: Vec<CapacitySeatRow> = s
        .seats
        .iter()
        .map(|x| CapacitySeatRow {
            vendor: x.vendor.clone(),
            channel: x.channel.clone(),
            week_start: x.week.to_string(),
            decision: match x.decision {
                SeatDecision::InNotice => "in-notice",
                SeatDecision::Firm => "firm",
                SeatDecision::Open => "open",
            },
            seats: Num(x.seats),
            seats_max: Num(x.seats_max),
            notice_by: x.decide_by.to_string(),
        })
        .collect();
    let mut written = Vec::new();
    let report = crate::report::capacity::render(&crate::report::capacity::CapacityReportInput {
        name: &plan.name,
        plan_date: plan.plan_date,
        reliability: plan.problem.reliability,
        currency: plan.currency.as_deref(),
        solution: s,
    });
    let p = dir.join("report.html");
    write_text_file(&p, &report)?;
    written.push(p);
    let p = dir.join("channel_weeks.csv");
    write_csv_file(&p, &weeks)?;
    written.push(p);
    let p = dir.join("classes.csv");
    write_csv_file(&p, &classes)?;
    written.push(p);
    let p = dir.join("seats.csv");
    write_csv_file(&p, &seats)?;
    written.push(p);
    let p = dir.join("plan.json");
    write_json_file(&p, s)?;
    written.push(p);
    Ok(written)
}

/// Service curves (`peakplan staff --curves`): contacts answered in time per number of agents,
/// and whether the point is on the curve's concave envelope (what the roster program uses).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurveRow {
    pub timestamp: String,
    pub channel: String,
    pub agents: u32,
    pub service_level: Num,
    pub answered_in_time: Num,
    pub on_concave_envelope: bool,
}

pub fn curve_rows(scenario: &Scenario, requirements: &Requirements) -> Vec<CurveRow> {
    let tz = scenario.time_zone;
    let mut rows = Vec::new();
    for (c, ch) in requirements.channels.iter().enumerate() {
        for (i, interval) in ch.intervals.iter().enumerate() {
            let Some(curve) = requirements.service_curve(scenario, c, i) else {
                continue;
            };
            let hull: Vec<u32> = curve.concave_envelope().iter().map(|p| p.agents).collect();
            for p in &curve.points {
                rows.push(CurveRow {
                    timestamp: format_timestamp(interval.start, tz),
                    channel: ch.channel.to_string(),
                    agents: p.agents,
                    service_level: Num(p.service_level),
                    answered_in_time: Num(p.answered_in_time),
                    on_concave_envelope: hull.binary_search(&p.agents).is_ok(),
                });
            }
        }
    }
    rows
}

/// Creates the folder a file goes into.
pub fn create_parent(path: &Path) -> Result<(), ExportError> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => std::fs::create_dir_all(dir).map_err(|source| ExportError::Io {
            path: dir.display().to_string(),
            source,
        }),
        None => Ok(()),
    }
}

/// Volume CSV (history and forecasts, read back by [`crate::volumes::VolumeSeries::read_from`]):
/// `timestamp,channel,volume`, then `p10,p50,p90` when any row has quantiles and `aht_seconds`
/// when any row has a handle time.
pub fn write_volumes(out: impl Write, rows: &[VolumeRow], tz: Tz) -> Result<(), csv::Error> {
    let with_quantiles = rows.iter().any(|r| r.quantiles.is_some());
    let with_aht = rows.iter().any(|r| r.aht_seconds.is_some());
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["timestamp", "channel", "volume"];
    if with_quantiles {
        header.extend(["p10", "p50", "p90"]);
    }
    if with_aht {
        header.push("aht_seconds");
    }
    w.write_record(&header)?;
    for r in rows {
        let mut record = vec![
            format_timestamp(r.timestamp, tz),
            r.channel.clone(),
            format_number(r.volume),
        ];
        if with_quantiles {
            let q = r.quantiles.unwrap_or(Quantiles {
                p10: r.volume,
                p50: r.volume,
                p90: r.volume,
            });
            record.extend([q.p10, q.p50, q.p90].map(format_number));
        }
        if with_aht {
            record.push(r.aht_seconds.map(format_number).unwrap_or_default());
        }
        w.write_record(&record)?;
    }
    w.flush()?;
    Ok(())
}

/// Volume CSV as text.
pub fn volumes_string(rows: &[VolumeRow], tz: Tz) -> String {
    let mut out = Vec::new();
    write_volumes(&mut out, rows, tz).expect("writing CSV into memory cannot fail");
    String::from_utf8(out).expect("CSV of UTF-8 strings is UTF-8")
}

pub fn write_volumes_file(path: &Path, rows: &[VolumeRow], tz: Tz) -> Result<(), ExportError> {
    write_volumes(create(path)?, rows, tz).map_err(|source| ExportError::Csv {
        path: path.display().to_string(),
        source,
    })
}

/// The files of a planned roster, as `plan` and `schedule` write them into a folder.
pub const PLAN_FILES: &str = "report.html, roster.csv, vendor_<id>.csv, coverage.csv, forecast.csv, \
     simulation.csv (with the simulation check), summary.json, plan.json, scenario.toml";

/// Writes a plan into `dir` (created when missing): report.html, roster.csv, one CSV per vendor,
/// coverage.csv, forecast.csv, simulation.csv when the plan was simulated, summary.json, plan.json
/// (the live plan `publish` stores) and scenario.toml. Returns the paths written.
pub fn write_plan(dir: &Path, plan: &Plan) -> Result<Vec<PathBuf>, ExportError> {
    std::fs::create_dir_all(dir).map_err(|source| ExportError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let s = &plan.scenario;
    let mut written = Vec::new();
    let mut path = |name: &str| {
        let p = dir.join(name);
        written.push(p.clone());
        p
    };
    write_text_file(&path("report.html"), &plan.report)?;
    write_csv_file(&path("roster.csv"), &roster_rows(s, &plan.roster))?;
    for v in &s.vendors {
        let blocks = plan.live.blocks.iter().filter(|b| b.vendor == v.id);
        write_csv_file(
            &path(&vendor_file_name(&v.id)),
            &vendor_plan(&plan.live, blocks),
        )?;
    }
    write_csv_file(&path("coverage.csv"), &coverage_rows(plan))?;
    write_volumes_file(&path("forecast.csv"), &plan.forecast, s.time_zone)?;
    if let Some(sim) = &plan.simulation {
        write_csv_file(&path("simulation.csv"), &simulation_rows(s.time_zone, sim))?;
    }
    write_json_file(&path("summary.json"), &plan.summary)?;
    let live = path("plan.json");
    let text = serde_json::to_string(&plan.live).map_err(|source| ExportError::Json {
        path: live.display().to_string(),
        source,
    })?;
    write_text_file(&live, &text)?;
    write_text_file(&path("scenario.toml"), &plan.scenario_text)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Named {
        name: String,
        hours: f64,
    }

    #[test]
    fn awkward_names_round_trip() {
        let rows = vec![
            Named {
                name: "Li, Wei".into(),
                hours: 7.5,
            },
            Named {
                name: "Anna \"Ann\" O'Neil".into(),
                hours: 8.0,
            },
            Named {
                name: "Zoë Ødegård 王芳".into(),
                hours: 6.0,
            },
            Named {
                name: "two\nlines".into(),
                hours: 4.0,
            },
        ];
        let text = csv_string(&rows);
        let back: Vec<Named> = csv::Reader::from_reader(text.as_bytes())
            .deserialize()
            .collect::<Result<_, _>>()
            .expect("the CSV reads back");
        assert_eq!(back, rows);
    }

    #[test]
    fn numbers_are_written_short() {
        #[derive(Serialize)]
        struct R {
            v: Num,
            w: Option<Num>,
        }
        let text = csv_string(&[
            R {
                v: Num(0.1 + 0.2),
                w: None,
            },
            R {
                v: Num(-0.0),
                w: Some(Num(2.5)),
            },
        ]);
        assert_eq!(text, "v,w\n0.3,\n0,2.5\n");
    }
}
