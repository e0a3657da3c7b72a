//! The capacity file, and the demand it plans against: the weekly forecast's paths turned into
//! required paid hours per channel and week by the staffing engine.
//!
//! A capacity file names its roster scenario (channels, targets, core groups, vendors, events,
//! holidays, history) and adds what capacity decides over: attrition, hiring classes, vendor
//! contracts. See `models/promo-peak-capacity.toml` for every key.

use super::{CapacityError, ClassType, Contract, Demand, Group, Problem};
use crate::forecast::history::{self, History};
use crate::forecast::weekly::{self, WeeklyForecast, WeeklyOptions};
use crate::forecast::{ForecastError, prepare_channel};
use crate::queueing::Queue;
use crate::scenario::{ChannelKind, Scenario};
use crate::time_grid::LocalClock;
use crate::volumes::VolumeSeries;
use anyhow::Context;
use chrono::{Datelike, Days, NaiveDate};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    scenario: Option<String>,
    plan_date: toml::value::Datetime,
    weeks: Option<usize>,
    #[serde(default = "default_scenarios")]
    scenarios: usize,
    #[serde(default = "default_seed")]
    seed: u64,
    #[serde(default = "default_reliability")]
    reliability: f64,
    #[serde(default = "default_review")]
    review_weeks: usize,
    shortfall_cost_per_hour: f64,
    attrition_week: f64,
    max_classes_in_training: Option<u32>,
    #[serde(default = "default_time_limit")]
    time_limit_seconds: f64,
    #[serde(default = "default_gap")]
    relative_gap: f64,
    #[serde(default = "default_fte")]
    fte_hours_week: f64,
    #[serde(default)]
    groups: Vec<RawGroup>,
    #[serde(default)]
    classes: Vec<RawClass>,
    #[serde(default)]
    contracts: Vec<RawContract>,
}

fn default_scenarios() -> usize {
    100
}
fn default_seed() -> u64 {
    1
}
fn default_reliability() -> f64 {
    0.9
}
fn default_review() -> usize {
    4
}
fn default_time_limit() -> f64 {
    60.0
}
fn default_gap() -> f64 {
    1e-4
}
fn default_fte() -> f64 {
    40.0
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    agents: String,
    attrition_week: Option<f64>,
    headcount: Option<f64>,
    hours_week: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClass {
    id: String,
    channels: Vec<String>,
    lead_weeks: usize,
    min_size: u32,
    max_size: u32,
    cost_per_hire: f64,
    training_weeks: usize,
    ramp: Vec<f64>,
    hours_week: f64,
    cost_per_hour: f64,
    attrition_week: f64,
    tenured_attrition_week: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContract {
    vendor: String,
    channel: String,
    #[serde(default)]
    min_seats: u32,
    max_seats: u32,
    notice_weeks: usize,
    hours_per_seat: f64,
    cost_per_hour: Option<f64>,
    #[serde(default)]
    current_seats: u32,
}

/// A capacity file, read and checked against its scenario.
#[derive(Debug, Clone)]
pub struct CapacityFile {
    pub origin: String,
    pub scenario_path: PathBuf,
    pub scenario: Scenario,
    pub plan_date: NaiveDate,
    pub scenarios: usize,
    pub seed: u64,
    /// Paid hours of one full-time equivalent a week, for the figures shown in FTE.
    pub fte_hours_week: f64,
    /// The problem without its demand.
    pub problem: Problem,
}

/// The problem's field checks that need no demand (the solve repeats them with it), the fields
/// named in the file.
fn check_fields(problem: &Problem, origin: &str) -> Result<(), CapacityError> {
    let mut probe = problem.clone();
    probe.demand = vec![vec![vec![0.0; problem.weeks.len()]; problem.channels.len()]];
    probe.validate().map_err(|e| match e {
        CapacityError::Input { field: f, message } => field(origin, f, message),
        other => other,
    })
}

/// The `id` of a scenario table entry (`[[agents]]`, `[[vendors]]`).
fn entry_id(t: &toml::Table) -> String {
    t.get("id")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

fn parse_raw(text: &str, origin: &str) -> Result<RawFile, CapacityError> {
    toml::from_str(text).map_err(|e| CapacityError::Input {
        field: origin.to_string(),
        message: e.to_string().trim_end().to_string(),
    })
}

fn field(origin: &str, name: impl Into<String>, message: impl Into<String>) -> CapacityError {
    CapacityError::Input {
        field: format!("{origin}: `{}`", name.into()),
        message: message.into(),
    }
}

impl CapacityFile {
    pub fn load(path: &Path) -> Result<CapacityFile, CapacityError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| CapacityError::Input {
            field: origin.clone(),
            message: format!("cannot read the capacity file: {e}"),
        })?;
        let raw = parse_raw(&text, &origin)?;
        let Some(name) = &raw.scenario else {
            return Err(field(
                &origin,
                "scenario",
                "name the roster scenario file, e.g. scenario = \"promo-peak.toml\"",
            ));
        };
        let scenario_path = path
            .parent()
            .map_or_else(|| PathBuf::from(name), |d| d.join(name));
        let scenario = Scenario::load(&scenario_path).map_err(|e| CapacityError::Input {
            field: format!("{origin}: `scenario`"),
            message: e.to_string(),
        })?;
        Self::from_raw(raw, origin, scenario_path, scenario)
    }

    /// A capacity file's text for a scenario given apart (a stored one): without `scenario`.
    pub fn parse(
        text: &str,
        origin: &str,
        scenario: Scenario,
    ) -> Result<CapacityFile, CapacityError> {
        let raw = parse_raw(text, origin)?;
        if raw.scenario.is_some() {
            return Err(field(
                origin,
                "scenario",
                "the scenario is the job's stored one; leave `scenario` out",
            ));
        }
        Self::from_raw(raw, origin.to_string(), PathBuf::new(), scenario)
    }

    fn from_raw(
        raw: RawFile,
        origin: String,
        scenario_path: PathBuf,
        scenario: Scenario,
    ) -> Result<CapacityFile, CapacityError> {
        let o = origin.as_str();
        let plan_date = match (raw.plan_date.date, raw.plan_date.time) {
            (Some(d), None) => {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
            }
            _ => None,
        }
        .ok_or_else(|| field(o, "plan_date", "expected a date such as 2026-08-03"))?;
        if plan_date > scenario.horizon.end {
            return Err(field(
                o,
                "plan_date",
                format!(
                    "{plan_date} is after the peak it plans for (the scenario's horizon ends {}); \
                     plan from a date before it",
                    scenario.horizon.end
                ),
            ));
        }
        let first_week = monday_of(plan_date);
        let weeks = raw
            .weeks
            .unwrap_or_else(|| default_weeks(&scenario, plan_date));
        if !(raw.fte_hours_week.is_finite() && raw.fte_hours_week > 0.0) {
            return Err(field(
                o,
                "fte_hours_week",
                format!("{} must be a positive number of hours", raw.fte_hours_week),
            ));
        }
        if !(1..=1000).contains(&raw.scenarios) {
            return Err(field(
                o,
                "scenarios",
                format!("{}: expected 1 to 1000 forecast scenarios", raw.scenarios),
            ));
        }
        let channel = |name: &str, id: &str| -> Result<usize, CapacityError> {
            scenario
                .channels
                .iter()
                .position(|c| c.id.as_str() == id)
                .ok_or_else(|| {
                    field(
                        o,
                        name,
                        format!(
                            "unknown channel `{id}`; the scenario has {}",
                            scenario.channel_list()
                        ),
                    )
                })
        };
        // Core groups: every [[agents]] entry of the scenario, with the file's attrition.
        let mut groups: Vec<Group> = Vec::new();
        for agent in &scenario.agents {
            if let Some(g) = groups.iter_mut().find(|g| g.id == agent.group) {
                g.headcount += 1.0;
                continue;
            }
            groups.push(Group {
                id: agent.group.clone(),
                channels: agent.channels.clone(),
                headcount: 1.0,
                hours_week: agent.contract.max_hours_week,
                cost_per_hour: agent.cost_per_hour,
                attrition_week: raw.attrition_week,
                overtime_hours_week: agent.overtime.map_or(0.0, |ot| ot.hours_week),
                overtime_cost_per_hour: agent
                    .overtime
                    .map_or(0.0, |ot| ot.cost_factor * agent.cost_per_hour),
            });
        }
        for (i, g) in raw.groups.iter().enumerate() {
            let Some(group) = groups.iter_mut().find(|x| x.id == g.agents) else {
                return Err(field(
                    o,
                    format!("groups[{i}].agents"),
                    format!(
                        "`{}` is not an [[agents]] entry of the scenario; it has {}",
                        g.agents,
                        groups
                            .iter()
                            .map(|g| g.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            };
            if let Some(a) = g.attrition_week {
                group.attrition_week = a;
            }
            if let Some(h) = g.headcount {
                group.headcount = h;
            }
            if let Some(h) = g.hours_week {
                group.hours_week = h;
            }
        }
        let classes = raw
            .classes
            .iter()
            .map(|c| {
                Ok(ClassType {
                    id: c.id.clone(),
                    channels: c
                        .channels
                        .iter()
                        .map(|id| channel(&format!("classes.{}.channels", c.id), id))
                        .collect::<Result<_, _>>()?,
                    lead_weeks: c.lead_weeks,
                    min_size: c.min_size,
                    max_size: c.max_size,
                    cost_per_hire: c.cost_per_hire,
                    training_weeks: c.training_weeks,
                    ramp: c.ramp.clone(),
                    hours_week: c.hours_week,
                    cost_per_hour: c.cost_per_hour,
                    attrition_week: c.attrition_week,
                    tenured_attrition_week: c.tenured_attrition_week.unwrap_or(raw.attrition_week),
                })
            })
            .collect::<Result<Vec<_>, CapacityError>>()?;
        let contracts = raw
            .contracts
            .iter()
            .map(|c| {
                let name = format!("contracts.{}.{}", c.vendor, c.channel);
                let vendor = scenario
                    .vendors
                    .iter()
                    .find(|v| v.id == c.vendor)
                    .ok_or_else(|| {
                        field(
                            o,
                            format!("{name}.vendor"),
                            format!(
                                "`{}` is not a vendor of the scenario; it has {}",
                                c.vendor,
                                scenario
                                    .vendors
                                    .iter()
                                    .map(|v| v.id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                    })?;
                Ok(Contract {
                    vendor: c.vendor.clone(),
                    channel: channel(&format!("{name}.channel"), &c.channel)?,
                    min_seats: c.min_seats,
                    max_seats: c.max_seats,
                    notice_weeks: c.notice_weeks,
                    hours_per_seat: c.hours_per_seat,
                    cost_per_hour: c.cost_per_hour.unwrap_or(vendor.cost_per_hour),
                    current_seats: c.current_seats,
                })
            })
            .collect::<Result<Vec<_>, CapacityError>>()?;
        let problem = Problem {
            weeks: (0..weeks)
                .map(|w| first_week + Days::new(7 * w as u64))
                .collect(),
            channels: scenario.channels.iter().map(|c| c.id.to_string()).collect(),
            demand: Vec::new(),
            groups,
            classes,
            contracts,
            max_classes_in_training: raw.max_classes_in_training,
            reliability: raw.reliability,
            review_weeks: raw.review_weeks,
            shortfall_cost_per_hour: raw.shortfall_cost_per_hour,
            time_limit_seconds: raw.time_limit_seconds,
            relative_gap: raw.relative_gap,
        };
        check_fields(&problem, o)?;
        Ok(CapacityFile {
            origin,
            scenario_path,
            scenario,
            plan_date,
            scenarios: raw.scenarios,
            seed: raw.seed,
            fte_hours_week: raw.fte_hours_week,
            problem,
        })
    }
}

fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Days::new(u64::from(day.weekday().num_days_from_monday()))
}

/// Through the week after the peak's last day.
fn default_weeks(scenario: &Scenario, plan_date: NaiveDate) -> usize {
    ((scenario.horizon.end - monday_of(plan_date)).num_days() / 7 + 2).max(0) as usize
}

impl CapacityFile {
    /// The same file planned from another date (and for `weeks`, else through the week after the
    /// peak).
    pub fn replan(
        mut self,
        plan_date: NaiveDate,
        weeks: Option<usize>,
    ) -> Result<Self, CapacityError> {
        if plan_date > self.scenario.horizon.end {
            return Err(field(
                &self.origin,
                "--from",
                format!(
                    "{plan_date} is after the peak it plans for (the scenario's horizon ends {})",
                    self.scenario.horizon.end
                ),
            ));
        }
        let weeks = weeks.unwrap_or_else(|| default_weeks(&self.scenario, plan_date));
        let first = monday_of(plan_date);
        self.plan_date = plan_date;
        self.problem.weeks = (0..weeks)
            .map(|w| first + Days::new(7 * w as u64))
            .collect();
        check_fields(&self.problem, &self.origin)?;
        Ok(self)
    }
}

/// The required paid hours of every forecast path: `[path][channel][week]`, and the forecast.
pub fn demand(
    file: &CapacityFile,
    history: &History,
) -> Result<(Demand, WeeklyForecast), ForecastError> {
    let scenario = &file.scenario;
    let weeks = &file.problem.weeks;
    let forecast = weekly::forecast_weekly(
        history,
        Some(scenario),
        &WeeklyOptions {
            from: weeks[0],
            weeks: weeks.len(),
            seed: file.seed,
        },
    )?;
    let paths = forecast.draws(file.scenarios, file.seed.wrapping_add(1));
    let interval = history.interval_minutes;
    let slots = history.slots_per_day();
    let dt_hours = f64::from(interval) / 60.0;
    let mut out = vec![vec![vec![0.0; weeks.len()]; scenario.channels.len()]; file.scenarios];
    for (c, channel) in scenario.channels.iter().enumerate() {
        let Some(ch_history) = history.channel(channel.id.as_str()) else {
            continue;
        };
        let prepared = prepare_channel(ch_history, history, Some(scenario));
        let until = ch_history
            .days
            .iter()
            .take_while(|d| **d < weeks[0])
            .count();
        let fc = &forecast.channels[c];
        // The interval shape of each weekday, and the shrinkage of each slot.
        let shapes: Vec<(Vec<f64>, Vec<f64>)> = (0..7)
            .map(|d| {
                let day = weeks[0] + Days::new(d);
                let profile = prepared
                    .profile_with(until, day, prepared.shape.over(8), 0.0)
                    .to_vec();
                let shrink = (0..slots)
                    .map(|s| {
                        channel.shrinkage.at(&LocalClock {
                            date: day,
                            weekday: day.weekday(),
                            minute_of_day: s as u32 * interval,
                        })
                    })
                    .collect();
                (profile, shrink)
            })
            .collect();
        let aht = channel.aht.get();
        // The busiest interval any path reaches, for the extent of the table.
        let top_share = shapes
            .iter()
            .flat_map(|(p, _)| p.iter())
            .fold(0.0f64, |a, b| a.max(*b));
        let most = fc
            .rows
            .iter()
            .enumerate()
            .map(|(w, row)| {
                let top_day = row.days.iter().fold(0.0f64, |a, b| a.max(*b));
                let top_m = paths
                    .volume
                    .iter()
                    .map(|p| {
                        if row.p50 > 0.0 {
                            p[c][w] / row.p50
                        } else {
                            0.0
                        }
                    })
                    .fold(0.0f64, f64::max);
                top_day * top_m * top_share
            })
            .fold(0.0f64, f64::max);
        let table = match channel.kind {
            ChannelKind::Email => None,
            _ => Some(RequiredTable::new(channel, most, interval)?),
        };
        for (w, row) in fc.rows.iter().enumerate() {
            for (s, path) in paths.volume.iter().enumerate() {
                let m = if row.p50 > 0.0 {
                    path[c][w] / row.p50
                } else {
                    0.0
                };
                let mut hours = 0.0;
                for d in 0..7 {
                    let day_volume = row.days[d] * m;
                    if day_volume <= 0.0 {
                        continue;
                    }
                    let (profile, shrink) = &shapes[d];
                    for slot in 0..slots {
                        let v = day_volume * profile[slot];
                        if v <= 0.0 {
                            continue;
                        }
                        let productive = match &table {
                            Some(t) => t.agents(v) * dt_hours,
                            None => v * aht / 3600.0,
                        };
                        hours += productive / (1.0 - shrink[slot]).max(0.05);
                    }
                }
                out[s][c][w] = hours;
            }
        }
    }
    Ok((out, forecast))
}

/// Required agents against volume per interval for one live channel, on a geometric grid of
/// volumes (2 % apart), interpolated between.
struct RequiredTable {
    volumes: Vec<f64>,
    agents: Vec<f64>,
}

impl RequiredTable {
    fn new(
        channel: &crate::scenario::Channel,
        most: f64,
        interval: u32,
    ) -> Result<RequiredTable, ForecastError> {
        let model = channel.kind.queue_model().expect("a live channel");
        let target = channel
            .target
            .staffing_target()
            .expect("a live channel has an answered-within target");
        let dt = f64::from(interval) * 60.0;
        let aht = channel.aht;
        let mut volumes = vec![0.0];
        let mut agents = vec![0.0];
        let mut v = 0.25;
        while v <= most.max(1.0) * 1.02 {
            let queue = Queue::new(v / dt, aht, model)
                .map_err(|e| ForecastError::Input(format!("channel `{}`: {e}", channel.id)))?;
            let m = queue
                .required_agents(&target)
                .map_err(|e| ForecastError::Input(format!("channel `{}`: {e}", channel.id)))?;
            volumes.push(v);
            agents.push(f64::from(m.agents));
            v *= 1.02;
        }
        Ok(RequiredTable { volumes, agents })
    }

    fn agents(&self, v: f64) -> f64 {
        let i = self.volumes.partition_point(|x| *x <= v);
        if i >= self.volumes.len() {
            // The grid reaches past the busiest interval; only rounding lands here.
            return self.agents[self.agents.len() - 1];
        }
        let (a, b) = (self.volumes[i - 1], self.volumes[i]);
        let f = (v - a) / (b - a);
        self.agents[i - 1] + f * (self.agents[i] - self.agents[i - 1])
    }
}

/// Reads the scenario's history for a capacity file.
pub fn history(file: &CapacityFile) -> anyhow::Result<History> {
    let path = file.scenario.history.clone().ok_or_else(|| {
        anyhow::anyhow!(
            "the scenario {} names no `history`; capacity planning forecasts from it",
            file.scenario_path.display()
        )
    })?;
    let series = VolumeSeries::read(&path, file.scenario.time_zone)?;
    Ok(history::for_scenario(&series, &file.scenario)?)
}

/// The capacity plan from a file: demand from the history's weekly forecast, then the program.
pub fn plan(file: &CapacityFile, history: &History) -> anyhow::Result<CapacityPlan> {
    let (demand, forecast) = demand(file, history)?;
    let mut problem = file.problem.clone();
    problem.demand = demand;
    let solution = super::solve(&problem)?;
    Ok(CapacityPlan {
        name: file.scenario.name.clone(),
        currency: file.scenario.currency.clone(),
        plan_date: file.plan_date,
        problem,
        forecast,
        solution,
    })
}

/// A solved capacity plan with what it was solved from.
#[derive(Debug, Clone)]
pub struct CapacityPlan {
    /// The scenario's name, currency and the plan date, for the report.
    pub name: String,
    pub currency: Option<String>,
    pub plan_date: NaiveDate,
    pub problem: Problem,
    pub forecast: WeeklyForecast,
    pub solution: super::Solution,
}

/// The peak's roster scenario as the capacity plan leaves it: each core group at its expected
/// headcount in the first week of the scenario's horizon (attrition applied), the classes of the
/// plan productive by then as groups of their own (named after the class), and each vendor's
/// `max_heads` on a contracted channel set to the most seats planned in the peak weeks. Other keys
/// are kept; `history` is written as an absolute path so the file can live anywhere.
pub fn peak_scenario(file: &CapacityFile, plan: &CapacityPlan) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(&file.scenario_path)
        .with_context(|| format!("cannot read {}", file.scenario_path.display()))?;
    let mut table: toml::Table = toml::from_str(&text)?;
    let horizon = &file.scenario.horizon;
    let weeks = &plan.problem.weeks;
    let peak: Vec<usize> = (0..weeks.len())
        .filter(|&w| weeks[w] + Days::new(6) >= horizon.start && weeks[w] <= horizon.end)
        .collect();
    let first = *peak.first().ok_or_else(|| {
        anyhow::anyhow!(
            "the capacity plan's weeks ({} to {}) do not reach the scenario's horizon ({} to {})",
            weeks[0],
            weeks[weeks.len() - 1],
            horizon.start,
            horizon.end
        )
    })?;
    let heads = |id: &str| {
        plan.solution
            .headcount
            .iter()
            .find(|(g, _)| g == id)
            .map(|(_, h)| h[first])
    };
    let mut notes = vec![format!(
        "# Written by `peakplan capacity --write-scenario` from {} (plan date {}): headcounts as \
         expected in the week of {}.",
        file.origin, file.plan_date, weeks[first]
    )];
    let agents = table
        .get_mut("agents")
        .and_then(|a| a.as_array_mut())
        .ok_or_else(|| anyhow::anyhow!("the scenario has no [[agents]]"))?;
    let mut new_groups = Vec::new();
    for entry in agents.iter_mut() {
        let Some(t) = entry.as_table_mut() else {
            continue;
        };
        let id = entry_id(t);
        if t.contains_key("count")
            && let Some(h) = heads(&id)
        {
            let count = h.round().max(0.0) as i64;
            notes.push(format!("#   {id}: {count} of {} (attrition)", t["count"]));
            t.insert("count".into(), toml::Value::Integer(count));
        }
    }
    for class in &plan.problem.classes {
        let Some(h) = heads(&class.id) else { continue };
        // Only the hires past training by the peak work in it.
        let working: f64 = plan
            .solution
            .classes
            .iter()
            .filter(|c| c.class == class.id && c.productive_from <= weeks[first])
            .map(|c| {
                let age = ((weeks[first] - c.start).num_days() / 7) as usize;
                c.size * class.survival(age)
            })
            .sum();
        let count = working.round() as i64;
        if count <= 0 || h <= 0.0 {
            continue;
        }
        let channel_ids: Vec<String> = class
            .channels
            .iter()
            .map(|&c| plan.problem.channels[c].clone())
            .collect();
        // Shifts and contract as the first group serving the class's first channel.
        let like = agents
            .iter()
            .filter_map(|a| a.as_table())
            .find(|a| {
                a.get("channels")
                    .and_then(|c| c.as_array())
                    .is_some_and(|c| {
                        c.iter()
                            .any(|x| x.as_str() == Some(channel_ids[0].as_str()))
                    })
            })
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no [[agents]] entry serves `{}`", channel_ids[0]))?;
        let mut group = toml::Table::new();
        group.insert("id".into(), toml::Value::String(class.id.clone()));
        group.insert("count".into(), toml::Value::Integer(count));
        group.insert(
            "channels".into(),
            toml::Value::Array(channel_ids.into_iter().map(toml::Value::String).collect()),
        );
        for key in ["templates", "contract", "overtime"] {
            if let Some(v) = like.get(key) {
                group.insert(key.into(), v.clone());
            }
        }
        group.insert(
            "cost_per_hour".into(),
            toml::Value::Float(class.cost_per_hour),
        );
        notes.push(format!(
            "#   {}: {count} new hires past training by then (a late class may still be ramping up)",
            class.id
        ));
        new_groups.push(toml::Value::Table(group));
    }
    agents.extend(new_groups);
    if let Some(vendors) = table.get_mut("vendors").and_then(|v| v.as_array_mut()) {
        for entry in vendors.iter_mut() {
            let Some(t) = entry.as_table_mut() else {
                continue;
            };
            let id = entry_id(t);
            let Some(max) = t.get_mut("max_heads").and_then(|m| m.as_table_mut()) else {
                continue;
            };
            for c in &plan.problem.contracts {
                if c.vendor != id {
                    continue;
                }
                let channel = &plan.problem.channels[c.channel];
                let seats = plan
                    .solution
                    .seats
                    .iter()
                    .filter(|s| s.vendor == id && &s.channel == channel)
                    .filter(|s| peak.iter().any(|&w| weeks[w] == s.week))
                    .map(|s| s.seats_max)
                    .fold(0.0f64, f64::max)
                    .ceil() as i64;
                notes.push(format!(
                    "#   {id} {channel}: max_heads {seats} (contracted seats)"
                ));
                max.insert(channel.clone(), toml::Value::Integer(seats));
            }
        }
    }
    if let Some(history) = &file.scenario.history {
        let absolute = std::fs::canonicalize(history).unwrap_or_else(|_| history.clone());
        table.insert(
            "history".into(),
            toml::Value::String(absolute.display().to_string()),
        );
    }
    let name = format!("{} (staffed by the capacity plan)", file.scenario.name);
    table.insert("name".into(), toml::Value::String(name));
    Ok(format!(
        "{}\n\n{}",
        notes.join("\n"),
        toml::to_string(&table)?
    ))
}
