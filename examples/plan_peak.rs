//! The main job from Rust, through the library: plan the bundled sample from its history
//! (forecast, core-plus-elastic roster, simulation check, report) in one call, then look at what
//! the routing feed would serve at the busiest hour and write the plan's files.
//!
//!   cargo run --release --example plan_peak
//!
//! (`peakplan plan models/promo-peak.toml` does the same from the command line, and stores it.)

use peakplan::plan::{self, Demand, PlanRequest, Stage};
use peakplan::roster::Options;
use peakplan::scenario::Scenario;
use peakplan::simulate::{HandleTime, SimulationOptions};
use peakplan::volumes::VolumeSeries;
use std::path::Path;

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("models/promo-peak.toml");
    let scenario = Scenario::load(&path)?;
    let history = VolumeSeries::read(
        scenario
            .history
            .as_ref()
            .expect("the sample names its history"),
        scenario.time_zone,
    )?;
    let request = PlanRequest {
        scenario_text: std::fs::read_to_string(&path)?,
        scenario,
        demand: Demand::History(history),
        // Service mode, 120 s, 1 % gap, 50 % interval floor, two-point margin.
        roster: Options::default(),
        simulation: Some(SimulationOptions {
            replications: 10,
            seed: 1,
            handle_time: HandleTime::Exponential,
        }),
    };
    let progress = |stage: Stage, detail: &str| {
        if detail.is_empty() {
            eprintln!("{}", stage.describe());
        }
    };
    let p = plan::run(&request, &progress)?;

    let s = &p.summary;
    println!(
        "{}: {} shifts, {} vendor blocks, cost {:.0} (lower bound {:.0}, gap {:.2}%)",
        p.scenario.name,
        s.shifts,
        s.vendor_blocks,
        s.cost_total,
        s.lower_bound,
        s.gap * 100.0
    );
    for ch in p.simulation.iter().flat_map(|r| &r.channels) {
        if let Some(sl) = ch.total.service_level {
            println!(
                "  {}: simulated service {:.1}% ± {:.1} over the peak",
                ch.channel,
                sl.mean * 100.0,
                sl.ci95.unwrap_or(0.0) * 100.0
            );
        }
    }

    // What the routing layer would read at the busiest hour of 11 November (20:00 local).
    let live = p.live.clone().view();
    let at = peakplan::live::instant(
        p.scenario.time_zone,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 11).expect("a date"),
        20 * 60,
    );
    if let Some(i) = live.plan.interval_at(at) {
        for (c, ch) in live.plan.channels.iter().enumerate() {
            let q = &live.projection[c][i];
            println!(
                "  {} at {at}: {:.0} core + {:.0} vendor heads for {} required, projected {}",
                ch.id,
                q.core,
                q.elastic,
                ch.demand[i].required,
                q.service_level
                    .map_or("–".into(), |s| format!("{:.1}%", s * 100.0))
            );
        }
    }

    let out = root.join("out/example");
    peakplan::export::write_plan(&out, &p)?;
    println!("wrote {}", out.join("report.html").display());
    Ok(())
}
