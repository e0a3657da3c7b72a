//! `peakplan schedule`: the core-plus-elastic roster for a scenario.

use super::table;
use crate::forecast;
use crate::live::LivePlan;
use crate::report::svg::thousands;
use crate::roster::{self, Mode, Options, Roster};
use crate::scenario::Scenario;
use crate::staffing::Requirements;
use crate::time_grid::TimeGrid;
use crate::volumes::{self, VolumeSeries, format_number, format_timestamp};
use anyhow::Context;
use chrono::{Duration, NaiveDate};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeName {
    /// Each channel's daily service target, with service curves (fewer paid hours).
    Service,
    /// Staffing's required agents in every interval (the classic two-step).
    Coverage,
}

impl From<ModeName> for Mode {
    fn from(m: ModeName) -> Self {
        match m {
            ModeName::Service => Mode::Service,
            ModeName::Coverage => Mode::Coverage,
        }
    }
}

/// Build the core-plus-elastic roster: named core shifts with breaks and vendor blocks, at least
/// cost, holding each channel's service target. Without --forecast, the scenario's history is
/// forecast over the scenario's horizon first.
///
/// Writes to --out: roster.csv, vendor_<id>.csv, coverage.csv, forecast.csv, summary.json,
/// plan.json and scenario.toml (what `peakplan publish` stores), and the
/// solver's log solver.log.
///
/// Example:
///   peakplan schedule --scenario models/promo-peak.toml --out out/roster
///   peakplan simulate --scenario models/promo-peak.toml --roster out/roster --replications 30 --seed 1
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ScheduleArgs {
    /// Scenario file (models/*.toml) with shift templates, agents and vendors.
    #[arg(long)]
    pub scenario: PathBuf,
    /// Forecast volumes (CSV timestamp,channel,volume[,aht_seconds]); default: forecast the history.
    #[arg(long)]
    pub forecast: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "service")]
    pub mode: ModeName,
    /// Seconds the solver may run; on the limit the best roster found is kept, with its gap. The
    /// vendor top-up after the rounding program always runs (a few seconds past a short limit).
    #[arg(long, default_value_t = 120.0)]
    pub time_limit: f64,
    /// Relative gap at which the solver stops.
    #[arg(long, default_value_t = 0.01)]
    pub gap: f64,
    /// Service mode: the least service level any open interval may have.
    #[arg(long, default_value_t = 0.5)]
    pub floor: f64,
    /// Service mode: plan each day this share above the target, for rounding to whole agents.
    #[arg(long, default_value_t = 0.02)]
    pub margin: f64,
    #[arg(long)]
    pub out: PathBuf,
    /// Print summary.json instead of the tables.
    #[arg(long)]
    pub json: bool,
}

/// Everything a schedule run produced.
pub struct ScheduleRun {
    pub scenario: Scenario,
    /// The scenario file as written, kept beside the roster so that `publish` can store it.
    pub scenario_text: String,
    pub grid: TimeGrid,
    pub forecast_rows: Vec<volumes::VolumeRow>,
    /// The forecast on the scenario's grid.
    pub volumes: volumes::GridVolumes,
    pub requirements: Requirements,
    pub roster: Roster,
    pub summary: Value,
}

fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("the template is valid"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar.set_message(message.to_string());
    bar
}

/// The forecast to schedule against: the given file, or the scenario's history forecast over the
/// horizon.
pub fn load_forecast(
    scenario: &Scenario,
    forecast: Option<&Path>,
) -> anyhow::Result<(Vec<volumes::VolumeRow>, String)> {
    if let Some(path) = forecast {
        let series = VolumeSeries::read(path, scenario.time_zone)?;
        return Ok((series.rows, path.display().to_string()));
    }
    let bar = spinner("forecasting from the history");
    let result = forecast::horizon_from_history(scenario);
    bar.finish_and_clear();
    result
}

/// Forecast (when needed), staffing and roster.
pub fn compute(args: &ScheduleArgs) -> anyhow::Result<ScheduleRun> {
    let scenario = Scenario::load(&args.scenario)?;
    let scenario_text = std::fs::read_to_string(&args.scenario)
        .with_context(|| format!("cannot read {}", args.scenario.display()))?;
    let (rows, forecast_origin) = load_forecast(&scenario, args.forecast.as_deref())?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let options = Options {
        mode: args.mode.into(),
        time_limit_seconds: args.time_limit,
        relative_gap: args.gap,
        interval_floor: args.floor,
        service_margin: args.margin,
        solver_log: Some(args.out.join("solver.log")),
    };
    let bar = spinner("building the roster program");
    let progress = |line: &str| bar.set_message(line.to_string());
    let planned = roster::plan(&scenario, &rows, &forecast_origin, &options, &progress);
    bar.finish_and_clear();
    let planned = planned?;
    let summary = roster::summary::summary_json(&scenario, &forecast_origin, &planned.roster);
    Ok(ScheduleRun {
        scenario,
        scenario_text,
        grid: planned.grid,
        forecast_rows: rows,
        volumes: planned.volumes,
        requirements: planned.requirements,
        roster: planned.roster,
        summary,
    })
}

/// "2026-11-02T07:00" for `minute` after local midnight of `date` (past midnight on the next day).
pub fn local_time(date: NaiveDate, minute: u32) -> String {
    let day = date + Duration::days(i64::from(minute / 1440));
    let m = minute % 1440;
    format!("{}T{:02}:{:02}", day, m / 60, m % 60)
}

fn clock(minute: u32) -> String {
    let m = minute % 1440;
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// Writes roster.csv, vendor_<id>.csv, coverage.csv, forecast.csv, summary.json, and for
/// `publish` plan.json (the roster as the live plan) and scenario.toml.
pub fn write_outputs(dir: &Path, run: &ScheduleRun) -> anyhow::Result<()> {
    let s = &run.scenario;
    let r = &run.roster;
    let create = |name: &str| -> anyhow::Result<std::io::BufWriter<std::fs::File>> {
        let path = dir.join(name);
        let f = std::fs::File::create(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(std::io::BufWriter::new(f))
    };

    let mut out = create("roster.csv")?;
    writeln!(
        out,
        "agent,name,group,date,start,end,channel,template,paid_hours,breaks"
    )?;
    let mut shifts: Vec<&roster::Shift> = r.shifts.iter().collect();
    shifts.sort_by_key(|s| (s.date, s.start, s.agent));
    for sh in shifts {
        let agent = &s.agents[sh.agent];
        let breaks: Vec<String> = sh
            .breaks
            .iter()
            .map(|&(at, minutes, paid)| {
                format!(
                    "{}-{} {}",
                    clock(at),
                    clock(at + minutes),
                    if paid { "paid" } else { "unpaid" }
                )
            })
            .collect();
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{}",
            agent.id,
            agent.name,
            agent.group,
            sh.date,
            local_time(sh.date, sh.start),
            local_time(sh.date, sh.end),
            s.channels[sh.channel].id,
            s.shift_templates[sh.template].id,
            format_number(f64::from(sh.paid_minutes) / 60.0),
            breaks.join("; ")
        )?;
    }
    out.flush()?;

    for (v, vendor) in s.vendors.iter().enumerate() {
        let mut out = create(&format!("vendor_{}.csv", vendor.id))?;
        writeln!(out, "date,start,end,channel,heads,hours")?;
        let mut blocks: Vec<&roster::VendorBlock> =
            r.blocks.iter().filter(|b| b.vendor == v).collect();
        blocks.sort_by(|a, b| {
            (a.date, a.start, a.channel, a.end).cmp(&(b.date, b.start, b.channel, b.end))
        });
        for b in blocks {
            writeln!(
                out,
                "{},{},{},{},{},{}",
                b.date,
                local_time(b.date, b.start),
                local_time(b.date, b.end),
                s.channels[b.channel].id,
                b.heads,
                format_number(f64::from(b.heads) * f64::from(b.end - b.start) / 60.0)
            )?;
        }
        out.flush()?;
    }

    let e = &r.evaluation;
    let mut out = create("coverage.csv")?;
    writeln!(
        out,
        "timestamp,channel,forecast,required,scheduled_core,scheduled_elastic,agents,projected_service_level"
    )?;
    for i in 0..run.grid.len() {
        for (c, ch) in s.channels.iter().enumerate() {
            let req = &run.requirements.channels[c].intervals[i];
            writeln!(
                out,
                "{},{},{},{},{},{},{},{}",
                format_timestamp(run.grid.start_of(i), s.time_zone),
                ch.id,
                format_number(req.volume),
                req.scheduled,
                format_number(e.core[c][i]),
                format_number(e.elastic[c][i]),
                e.on_phone[c][i],
                e.projected[c][i].map(format_number).unwrap_or_default()
            )?;
        }
    }
    out.flush()?;

    let out = create("forecast.csv")?;
    volumes::write(out, &run.forecast_rows, s.time_zone)?;

    let mut out = create("summary.json")?;
    writeln!(out, "{}", serde_json::to_string_pretty(&run.summary)?)?;
    out.flush()?;

    let plan = LivePlan::from_roster(s, &run.grid, &run.requirements, r);
    let mut out = create("plan.json")?;
    serde_json::to_writer(&mut out, &plan)?;
    out.flush()?;
    std::fs::write(dir.join("scenario.toml"), &run.scenario_text)
        .with_context(|| format!("cannot write {}", dir.join("scenario.toml").display()))?;
    Ok(())
}

pub fn print_summary(run: &ScheduleRun) {
    let r = &run.roster;
    let e = &r.evaluation;
    println!(
        "roster for {} ({} mode): {} core shifts for {} agents, {} vendor blocks",
        run.scenario.name,
        r.mode.name(),
        r.shifts.len(),
        run.summary["agents_rostered"],
        r.blocks.len()
    );
    let mut t = table::new(&[
        "channel",
        "day",
        "volume",
        "core h",
        "elastic h",
        "projected SL",
        "target",
    ]);
    for d in &e.days {
        if d.volume <= 0.0 {
            continue;
        }
        let sl = d
            .projected_service_level
            .map_or("–".to_string(), table::pct);
        let mark = match d.projected_service_level {
            Some(v) if v + 1e-9 < d.target => " below",
            _ => "",
        };
        t.add_row(vec![
            d.channel.clone(),
            d.date.format("%a %d %b").to_string(),
            format!("{:.0}", d.volume),
            format!("{:.0}", d.core_hours),
            format!("{:.0}", d.elastic_hours),
            format!("{sl}{mark}"),
            table::pct(d.target),
        ]);
    }
    println!("{t}");
    let mut rows = vec![
        (
            "core".to_string(),
            format!("{} h   {}", thousands(e.hours.core), thousands(e.cost.core)),
        ),
        (
            "overtime".to_string(),
            format!(
                "{} h   {}",
                thousands(e.hours.overtime),
                thousands(e.cost.overtime)
            ),
        ),
    ];
    for ((id, h), (_, c)) in e.hours.vendors.iter().zip(&e.cost.vendors) {
        rows.push((
            format!("vendor {id}"),
            format!("{} h   {}", thousands(*h), thousands(*c)),
        ));
    }
    rows.push((
        "total paid".to_string(),
        format!(
            "{} h   {}",
            thousands(e.hours.total()),
            thousands(e.cost.total())
        ),
    ));
    if e.penalty > 0.0 {
        rows.push(("shortfall penalty".into(), thousands(e.penalty)));
    }
    rows.push((
        "lower bound / gap".into(),
        format!("{}   {:.2}%", thousands(e.lower_bound), e.gap * 100.0),
    ));
    rows.push((
        "solver".into(),
        format!(
            "{:?}, {:.1} s, {} columns ({} integer), {} rows",
            r.solve.status, r.solve.seconds, r.solve.columns, r.solve.integer_columns, r.solve.rows
        ),
    ));
    println!("{}", table::pairs(rows));
    if !r.unassigned.is_empty() {
        println!(
            "{} planned shift(s) could not be given to any agent of their group without breaking a rule; \
             they are left out (summary.json lists them)",
            r.unassigned.len()
        );
    }
    for v in &e.violations {
        println!("rule broken: {} {}: {}", v.who, v.rule, v.detail);
    }
}

pub fn run(args: ScheduleArgs) -> anyhow::Result<()> {
    let run = compute(&args)?;
    write_outputs(&args.out, &run)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&run.summary)?);
        return Ok(());
    }
    print_summary(&run);
    println!(
        "wrote {}/roster.csv, vendor_*.csv, coverage.csv, forecast.csv, summary.json, plan.json\n\
         next: peakplan simulate --scenario {} --roster {}\n\
         \x20     peakplan publish {}",
        args.out.display(),
        args.scenario.display(),
        args.out.display(),
        args.out.display()
    );
    Ok(())
}
