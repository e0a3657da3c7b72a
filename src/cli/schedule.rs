//! `peakplan schedule`: the core-plus-elastic roster for a scenario — the main job without the
//! simulation check ([`crate::plan::run`]), its files written and its summary printed.

use super::plan::{RosterArgs, request, run_plan};
use super::table::{self, thousands};
use crate::export;
use crate::plan::Plan;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

/// Build the core-plus-elastic roster: named core shifts with breaks and vendor blocks, at least
/// cost, holding each channel's service target. Without --forecast, the scenario's history is
/// forecast over the scenario's horizon first.
///
/// Writes to --out: report.html, roster.csv, vendor_<id>.csv, coverage.csv, forecast.csv,
/// summary.json, plan.json and scenario.toml (what `peakplan publish` stores), and the
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
    #[command(flatten)]
    pub roster: RosterArgs,
    /// Folder for the roster's files (created when missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Print summary.json instead of the tables.
    #[arg(long)]
    pub json: bool,
}

/// One line per channel-day below its target: what fails, why, and the fix.
pub fn print_shortfalls(shortfalls: &[crate::roster::shortfall::Shortfall]) -> anyhow::Result<()> {
    if shortfalls.is_empty() {
        return Ok(());
    }
    say!("{} channel-day(s) below target:", shortfalls.len());
    for f in shortfalls {
        say!(
            "  {} {} ({}): {}. Fix: {}.",
            f.channel,
            f.date,
            f.missed.join(", "),
            f.cause,
            f.fix
        );
    }
    Ok(())
}

pub fn print_summary(run: &Plan) -> anyhow::Result<()> {
    let r = &run.roster;
    let e = &r.evaluation;
    say!(
        "roster for {} ({} mode): {} core shifts for {} agents, {} vendor blocks",
        run.scenario.name,
        r.mode.name(),
        r.shifts.len(),
        run.summary.agents_rostered,
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
        "abandoned (cap)",
        "occupancy (cap)",
        "intervals short / below floor",
    ]);
    let grid = &run.grid;
    for d in &e.days {
        if d.volume <= 0.0 {
            continue;
        }
        // Intervals of the day below the target share, and below the interval floor.
        let c = run
            .scenario
            .channels
            .iter()
            .position(|ch| ch.id.as_str() == d.channel)
            .expect("the day's channel is the scenario's");
        let (short, floor) = (0..grid.len())
            .filter(|&i| grid.local_clock(i).date == d.date)
            .filter_map(|i| e.projected[c][i])
            .fold((0, 0), |(s, f), sl| {
                (
                    s + usize::from(sl + 1e-9 < d.target),
                    f + usize::from(sl + 1e-9 < r.interval_floor),
                )
            });
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
            table::against_cap(d.projected_abandon_rate, d.max_abandon),
            table::against_cap(d.projected_occupancy, d.max_occupancy),
            if matches!(
                run.scenario.channels[c].kind,
                crate::scenario::ChannelKind::Email
            ) {
                "–".to_string()
            } else {
                format!("{short} / {floor}")
            },
        ]);
    }
    say!("{t}");
    print_shortfalls(&r.shortfalls)?;
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
    for d in &e.idle {
        rows.push((
            format!("idle on {} (closed)", d.channel),
            format!("{:.1} h core, {:.1} h vendor", d.core_hours, d.vendor_hours),
        ));
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
    say!("{}", table::pairs(rows));
    if !r.unassigned.is_empty() {
        say!(
            "{} planned shift(s) could not be given to any agent of their group without breaking a rule; \
             they are left out (summary.json lists them)",
            r.unassigned.len()
        );
    }
    for v in &e.violations {
        say!("rule broken: {} {}: {}", v.who, v.rule, v.detail);
    }
    Ok(())
}

pub fn run(args: ScheduleArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let options = args.roster.options(Some(args.out.join("solver.log")));
    let request = request(&args.scenario, args.forecast.as_deref(), options, None)?;
    let plan = run_plan(&request)?;
    export::write_plan(&args.out, &plan)?;
    if args.json {
        say!("{}", serde_json::to_string_pretty(&plan.summary)?);
        return Ok(());
    }
    print_summary(&plan)?;
    say!(
        "wrote {}/report.html, roster.csv, vendor_*.csv, coverage.csv, forecast.csv, summary.json, plan.json\n\
         next: peakplan simulate --scenario {} --roster {}\n\
         \x20     peakplan publish {}",
        args.out.display(),
        args.scenario.display(),
        args.out.display(),
        args.out.display()
    );
    Ok(())
}
