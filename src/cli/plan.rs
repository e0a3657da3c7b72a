//! `peakplan plan`: the main job — history → forecast → staffing → core-plus-elastic roster →
//! simulation check → stored (and published) → report. `--compare` plans a second scenario and
//! sets the two side by side.

use super::schedule::{self, ModeName, ScheduleArgs, ScheduleRun};
use super::simulate as sim_cli;
use super::table;
use crate::live::LivePlan;
use crate::report::{self, ReportInput, svg::thousands};
use crate::simulate::{Coverage, HandleTime, SimulationOptions, SimulationReport};
use crate::store::{self, PlanRecord};
use crate::volumes::VolumeSeries;
use anyhow::Context;
use clap::Args;
use std::path::{Path, PathBuf};

/// Plan a promotion peak end to end: forecast the scenario's history (promotion uplift and
/// quantiles), staff it, build the core-plus-elastic roster, check the roster by simulation, store
/// it in the database (DATABASE_URL, default sqlite://peakplan.sqlite) and write the report.
///
/// Writes to --out (default out/<scenario file name>): report.html (charts, self-contained),
/// roster.csv, vendor_<id>.csv, coverage.csv, forecast.csv, simulation.csv, summary.json,
/// plan.json, scenario.toml.
///
/// Examples:
///   peakplan plan models/promo-peak.toml --publish
///   peakplan plan models/promo-peak.toml --compare models/promo-peak-more-part-time.toml
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct PlanArgs {
    /// Scenario file with its history, shift templates, agents and vendors.
    pub scenario: PathBuf,
    /// Output folder (default out/<scenario file name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Publish the roster: it becomes the live roster `peakplan serve` hands to routing and vendors.
    #[arg(long)]
    pub publish: bool,
    /// Plan this scenario too and compare cost and service side by side.
    #[arg(long)]
    pub compare: Option<PathBuf>,
    /// Use this forecast CSV instead of forecasting the history.
    #[arg(long)]
    pub forecast: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "service")]
    pub mode: ModeName,
    /// Seconds the roster solver may run.
    #[arg(long, default_value_t = 120.0)]
    pub time_limit: f64,
    /// Simulation replications for the check.
    #[arg(long, default_value_t = 20)]
    pub replications: u32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Do not store the plan in the database.
    #[arg(long, conflicts_with = "publish")]
    pub no_store: bool,
}

/// One planned scenario: the roster run, its simulation, where its report is.
pub struct Planned {
    pub run: ScheduleRun,
    pub simulation: SimulationReport,
    pub dir: PathBuf,
    /// Version stored, and whether it was published.
    pub stored: Option<(i64, bool)>,
}

fn default_out(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map_or_else(|| "plan".into(), |s| s.to_string_lossy().to_string());
    PathBuf::from("out").join(stem)
}

/// Plans one scenario into `dir`.
pub fn plan_one(args: &PlanArgs, scenario: &Path, dir: &Path) -> anyhow::Result<Planned> {
    println!("planning {} → {}", scenario.display(), dir.display());
    let defaults = crate::roster::Options::default();
    let schedule_args = ScheduleArgs {
        scenario: scenario.to_path_buf(),
        forecast: args.forecast.clone(),
        mode: args.mode,
        time_limit: args.time_limit,
        gap: defaults.relative_gap,
        floor: defaults.interval_floor,
        margin: defaults.service_margin,
        out: dir.to_path_buf(),
        json: false,
    };
    let run = schedule::compute(&schedule_args)?;
    schedule::write_outputs(dir, &run)?;

    let coverage = Coverage {
        agents: run.roster.evaluation.on_phone.clone(),
    };
    let options = SimulationOptions {
        replications: args.replications,
        seed: args.seed,
        handle_time: HandleTime::Exponential,
    };
    let simulation =
        sim_cli::run_with_progress(&run.scenario, &run.grid, &run.volumes, &coverage, &options)?;
    sim_cli::write_intervals(&dir.join("simulation.csv"), &run.scenario, &simulation)?;

    let history = match &run.scenario.history {
        Some(path) if args.forecast.is_none() => {
            Some(VolumeSeries::read(path, run.scenario.time_zone)?)
        }
        _ => None,
    };
    let vendor_files = run
        .scenario
        .vendors
        .iter()
        .map(|v| (v.name.clone(), format!("vendor_{}.csv", v.id)))
        .collect();
    let html = report::render(&ReportInput {
        scenario: &run.scenario,
        grid: &run.grid,
        requirements: &run.requirements,
        roster: &run.roster,
        forecast: &run.forecast_rows,
        history: history.as_ref(),
        simulation: Some(&simulation),
        summary: &run.summary,
        vendor_files,
    });
    let report_path = dir.join("report.html");
    std::fs::write(&report_path, html)
        .with_context(|| format!("cannot write {}", report_path.display()))?;

    let stored = if args.no_store {
        None
    } else {
        Some(store_plan(&run, &report_path, args.publish)?)
    };
    Ok(Planned {
        run,
        simulation,
        dir: dir.to_path_buf(),
        stored,
    })
}

/// Stores scenario, forecast, roster and report in one transaction; publishes when asked. The
/// version and whether it is live.
fn store_plan(run: &ScheduleRun, report: &Path, publish: bool) -> anyhow::Result<(i64, bool)> {
    let report = std::fs::read_to_string(report)
        .with_context(|| format!("cannot read {}", report.display()))?;
    let plan = LivePlan::from_roster(&run.scenario, &run.grid, &run.requirements, &run.roster);
    let mut forecast = Vec::new();
    crate::volumes::write(&mut forecast, &run.forecast_rows, run.scenario.time_zone)?;
    let forecast = String::from_utf8(forecast)?;
    let record = PlanRecord {
        scenario_name: &run.scenario.name,
        scenario_text: &run.scenario_text,
        forecast_origin: "plan",
        forecast_csv: &forecast,
        plan: &plan,
        summary: &run.summary,
        report: Some(&report),
    };
    let stored = super::serve::store_blocking(&record, publish)?;
    Ok((stored.id, publish))
}

/// Per channel and day: volume, core and elastic hours, projected and simulated service, target,
/// simulated abandonment; then the cost split.
pub fn print_plan(p: &Planned) {
    let run = &p.run;
    let e = &run.roster.evaluation;
    println!(
        "\n{} — {} core shifts for {} agents, {} vendor blocks; status {}, gap {:.2}%",
        run.scenario.name,
        run.roster.shifts.len(),
        run.summary["agents_rostered"],
        run.roster.blocks.len(),
        run.summary["status"].as_str().unwrap_or(""),
        e.gap * 100.0
    );
    let mut t = table::new(&[
        "channel",
        "day",
        "forecast",
        "core h",
        "elastic h",
        "projected SL",
        "simulated SL (95% CI)",
        "target",
        "abandoned",
    ]);
    for d in &e.days {
        if d.volume <= 0.0 {
            continue;
        }
        let sim = p
            .simulation
            .channels
            .iter()
            .find(|c| c.channel == d.channel)
            .and_then(|c| c.days.iter().find(|x| x.date == d.date));
        let sim_sl = sim.and_then(|s| s.stats.service_level);
        let below = |v: Option<f64>| match v {
            Some(v) if v + 1e-9 < d.target => " below",
            _ => "",
        };
        t.add_row(vec![
            d.channel.clone(),
            d.date.to_string(),
            thousands(d.volume),
            thousands(d.core_hours),
            thousands(d.elastic_hours),
            format!(
                "{}{}",
                d.projected_service_level.map_or("–".into(), table::pct),
                below(d.projected_service_level)
            ),
            sim_sl.map_or("–".into(), |s| {
                format!(
                    "{} ± {:.1}{}",
                    table::pct(s.mean),
                    s.ci95.unwrap_or(0.0) * 100.0,
                    below(Some(s.mean))
                )
            }),
            table::pct(d.target),
            sim.and_then(|s| s.stats.abandon_rate)
                .map_or("–".into(), |a| table::pct(a.mean)),
        ]);
    }
    println!("{t}");
    let cost = &run.summary["cost"];
    let hours = &run.summary["paid_hours"];
    let mut c = table::new(&["cost", "amount", "paid hours"]);
    if let Some(items) = cost.as_object() {
        for (k, v) in items {
            c.add_row(vec![
                k.clone(),
                thousands(v.as_f64().unwrap_or(0.0)),
                thousands(hours[k].as_f64().unwrap_or(0.0)),
            ]);
        }
    }
    println!("{c}");
}

pub fn run(args: PlanArgs) -> anyhow::Result<()> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.scenario));
    let Some(other) = args.compare.clone() else {
        let p = plan_one(&args, &args.scenario, &out)?;
        print_plan(&p);
        after(&p);
        return Ok(());
    };
    let a = plan_one(&args, &args.scenario, &out.join("a"))?;
    let b = plan_one(&args, &other, &out.join("b"))?;
    print_plan(&a);
    print_plan(&b);
    print_comparison(&a, &b);
    after(&a);
    after(&b);
    Ok(())
}

fn after(p: &Planned) {
    println!("report: {}", p.dir.join("report.html").display());
    match p.stored {
        Some((v, true)) => println!(
            "published as version {v} in {}; `peakplan serve` hands it to routing, vendors and supervisors",
            store::database_url()
        ),
        Some((v, false)) => println!(
            "stored as draft version {v} in {}; publish it with --publish, or POST /v1/versions/{v}/publish on `peakplan serve`",
            store::database_url()
        ),
        None => {}
    }
}

/// Cost and service of two plans side by side.
pub fn print_comparison(a: &Planned, b: &Planned) {
    let mut t = table::new(&["", &a.run.scenario.name, &b.run.scenario.name, "difference"]);
    let row =
        |t: &mut comfy_table::Table, name: &str, x: f64, y: f64, fmt: &dyn Fn(f64) -> String| {
            t.add_row(vec![name.to_string(), fmt(x), fmt(y), fmt(y - x)]);
        };
    let money = |v: f64| thousands(v);
    let num = |v: &serde_json::Value| v.as_f64().unwrap_or(0.0);
    let (sa, sb) = (&a.run.summary, &b.run.summary);
    row(
        &mut t,
        "total cost",
        num(&sa["cost_total"]),
        num(&sb["cost_total"]),
        &money,
    );
    let mut keys: Vec<String> = Vec::new();
    for s in [sa, sb] {
        if let Some(o) = s["cost"].as_object() {
            for k in o.keys() {
                if k != "total" && !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
    }
    for k in &keys {
        row(
            &mut t,
            &format!("  {k}"),
            num(&sa["cost"][k]),
            num(&sb["cost"][k]),
            &money,
        );
    }
    row(
        &mut t,
        "paid hours",
        num(&sa["paid_hours"]["total"]),
        num(&sb["paid_hours"]["total"]),
        &money,
    );
    for ch in &a.run.scenario.channels {
        let id = ch.id.as_str();
        let sim = |p: &Planned| {
            p.simulation
                .channels
                .iter()
                .find(|c| c.channel == id)
                .and_then(|c| c.total.service_level)
                .map_or(f64::NAN, |e| e.mean)
        };
        let pctf = |v: f64| {
            if v.is_nan() {
                "–".into()
            } else {
                format!("{:.1}%", v * 100.0)
            }
        };
        row(&mut t, &format!("{id} simulated SL"), sim(a), sim(b), &pctf);
        let below = |p: &Planned| {
            p.simulation
                .channels
                .iter()
                .find(|c| c.channel == id)
                .map_or(0.0, |c| {
                    c.days
                        .iter()
                        .filter(|d| {
                            d.stats
                                .service_level
                                .is_some_and(|s| s.mean + 1e-9 < ch.target.share())
                        })
                        .count() as f64
                })
        };
        row(
            &mut t,
            &format!("{id} days below target"),
            below(a),
            below(b),
            &|v| format!("{v:.0}"),
        );
    }
    println!("\ncomparison");
    println!("{t}");
}
