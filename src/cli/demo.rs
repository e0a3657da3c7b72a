//! `peakplan demo`: the main job on the bundled sample — the Double 11 peak planned end to end from
//! its history, checked by simulation, published into the embedded SQLite store, with the report.
//!
//! The sample (models/promo-peak.toml and forecasts/promo-peak-history.csv) is built into the
//! binary, so an installed `peakplan demo` runs from any folder.

use super::plan;
use crate::plan::{Demand, PlanRequest};
use crate::scenario::Scenario;
use crate::simulate::{HandleTime, SimulationOptions};
use crate::volumes::VolumeSeries;
use clap::Args;
use std::path::PathBuf;

/// Plan the bundled Double 11 sample (models/promo-peak.toml and its history, built into the
/// binary) end to end: forecast, core-plus-elastic roster, simulation check, published into the
/// database (DATABASE_URL, default sqlite://peakplan.sqlite), and the report in --out/report.html.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the results.
    #[arg(long, default_value = "out/demo")]
    out: PathBuf,
    /// Simulation replications of the check.
    #[arg(long, default_value_t = 20)]
    replications: u32,
    /// Seed of the simulation check.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

const SCENARIO_FILE: &str = "models/promo-peak.toml";
const SCENARIO: &str = include_str!("../../models/promo-peak.toml");
const HISTORY_FILE: &str = "forecasts/promo-peak-history.csv";
const HISTORY: &str = include_str!("../../forecasts/promo-peak-history.csv");

/// The bundled sample as a request for the main job.
pub fn sample_request(
    roster: crate::roster::Options,
    simulation: Option<SimulationOptions>,
) -> anyhow::Result<PlanRequest> {
    let scenario = Scenario::parse(SCENARIO, SCENARIO_FILE)?;
    let history = VolumeSeries::read_from(HISTORY.as_bytes(), HISTORY_FILE, scenario.time_zone)?;
    Ok(PlanRequest {
        scenario,
        scenario_text: SCENARIO.to_string(),
        demand: Demand::History(history),
        roster,
        simulation,
    })
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    say!(
        "peakplan demo: the Double 11 sample ({SCENARIO_FILE}, built in) from history to a published roster\n"
    );
    std::fs::create_dir_all(&args.out)?;
    // A demonstration within a minute: the solver stops at 45 s with the best roster found (its
    // status and gap say how far from the bound); `peakplan plan` runs to the 120 s default.
    let roster = crate::roster::Options {
        solver_log: Some(args.out.join("solver.log")),
        time_limit_seconds: 45.0,
        ..Default::default()
    };
    let request = sample_request(
        roster,
        Some(SimulationOptions {
            replications: args.replications,
            seed: args.seed,
            handle_time: HandleTime::Exponential,
        }),
    )?;
    let planned = plan::plan_one(&request, &args.out, true, false)?;
    plan::print_plan(&planned.plan)?;
    let report = args.out.join("report.html");
    say!(
        "\nreport: {} (open it in a browser; it needs no network)",
        report.display()
    );
    if let Some((version, _)) = planned.stored {
        say!(
            "published as version {version} in {}; serve it to routing, vendors and supervisors with\n  \
             peakplan serve --listen 127.0.0.1:8080\n\
             (README: \"Publishing and the HTTP API\" for the calls of each audience)",
            crate::store::database_url()
        );
        let vendors: Vec<String> = planned
            .plan
            .live
            .vendors
            .iter()
            .map(|v| v.id.clone())
            .collect();
        let sign_ins = super::serve::demo_sign_ins(&vendors)?;
        let file = args.out.join("sign-in.txt");
        let lines: Vec<String> = sign_ins
            .iter()
            .map(|(role, token)| format!("{:<16} {token}", role.to_string()))
            .collect();
        std::fs::write(&file, lines.join("\n") + "\n")?;
        say!(
            "\nthe web app: open http://127.0.0.1:8080/app/ once serving, and sign in with a token of \
             {} (one per role, kept in {}; earlier demo tokens are revoked)",
            sign_ins
                .iter()
                .map(|(r, _)| r.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            file.display()
        );
    }
    Ok(())
}
