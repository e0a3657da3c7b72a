//! The main job from Rust, through the library: forecast the bundled sample's history, build the
//! core-plus-elastic roster, check it by simulation, look at the live projection the routing feed
//! would serve, and write the HTML report.
//!
//!   cargo run --release --example plan_peak
//!
//! (`peakplan plan models/promo-peak.toml` does the same from the command line, and stores it.)

use peakplan::live::LivePlan;
use peakplan::report::{self, ReportInput};
use peakplan::roster::{self, Options};
use peakplan::scenario::Scenario;
use peakplan::simulate::{self, Coverage, HandleTime, SimulationOptions};
use std::path::Path;

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario = Scenario::load(root.join("models/promo-peak.toml"))?;

    // 1. Forecast the history over the horizon (method chosen by backtest, promotion uplift,
    //    p10/p50/p90).
    let (forecast, origin) = peakplan::forecast::horizon_from_history(&scenario)?;
    println!(
        "{}: {} forecast rows from {origin}",
        scenario.name,
        forecast.len()
    );

    // 2. Staffing and the roster: named core shifts with breaks, vendor blocks.
    //    The defaults: service mode, 120 s, 1 % gap, 50 % interval floor, two-point margin.
    let options = Options::default();
    let planned = roster::plan(&scenario, &forecast, &origin, &options, &|_| {})?;
    let e = &planned.roster.evaluation;
    println!(
        "roster: {} shifts, {} vendor blocks, cost {:.0} (lower bound {:.0}, gap {:.2}%)",
        planned.roster.shifts.len(),
        planned.roster.blocks.len(),
        e.cost.total(),
        e.lower_bound,
        e.gap * 100.0
    );

    // 3. Check the roster by simulation: the agents it puts on the phone, 10 replications.
    let coverage = Coverage {
        agents: e.on_phone.clone(),
    };
    let sim_options = SimulationOptions {
        replications: 10,
        seed: 1,
        handle_time: HandleTime::Exponential,
    };
    let simulation = simulate::simulate(
        &scenario,
        &planned.grid,
        &planned.volumes,
        &coverage,
        &sim_options,
        |_, _| {},
    )?;
    for ch in &simulation.channels {
        if let Some(sl) = ch.total.service_level {
            println!(
                "  {}: simulated service {:.1}% ± {:.1} over the peak",
                ch.channel,
                sl.mean * 100.0,
                sl.ci95.unwrap_or(0.0) * 100.0
            );
        }
    }

    // 4. What the routing layer would read at the busiest hour of 11 November (20:00 local).
    let live = LivePlan::from_roster(
        &scenario,
        &planned.grid,
        &planned.requirements,
        &planned.roster,
    )
    .view();
    let at = peakplan::live::instant(
        scenario.time_zone,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 11).expect("a date"),
        20 * 60,
    );
    if let Some(i) = live.plan.interval_at(at) {
        for (c, ch) in live.plan.channels.iter().enumerate() {
            let p = &live.projection[c][i];
            println!(
                "  {} at {at}: {:.0} core + {:.0} vendor heads for {} required, projected {}",
                ch.id,
                p.core,
                p.elastic,
                ch.demand[i].required,
                p.service_level
                    .map_or("–".into(), |s| format!("{:.1}%", s * 100.0))
            );
        }
    }

    // 5. The report.
    let summary = roster::summary::summary_json(&scenario, &origin, &planned.roster);
    let history = match &scenario.history {
        Some(path) => Some(peakplan::volumes::VolumeSeries::read(
            path,
            scenario.time_zone,
        )?),
        None => None,
    };
    let html = report::render(&ReportInput {
        scenario: &scenario,
        grid: &planned.grid,
        requirements: &planned.requirements,
        roster: &planned.roster,
        forecast: &forecast,
        history: history.as_ref(),
        simulation: Some(&simulation),
        summary: &summary,
        vendor_files: Vec::new(),
    });
    let out = root.join("out/example");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("report.html"), html)?;
    println!("wrote {}", out.join("report.html").display());
    Ok(())
}
