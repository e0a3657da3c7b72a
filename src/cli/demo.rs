//! `peakplan demo`: the sample promotion peak, staffed and checked by simulation.

use super::{simulate as sim_cli, staff};
use crate::simulate::{Coverage, HandleTime, SimulationOptions};
use crate::staffing::LoadMethod;
use clap::Args;
use std::path::PathBuf;

/// Staff the bundled Double 11 sample (models/promo-peak.toml with forecasts/promo-peak-forecast.csv)
/// and check the staffing by simulation. Writes the staffing and simulation CSVs to --out.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the results.
    #[arg(long, default_value = "out/demo")]
    out: PathBuf,
    /// Simulation replications.
    #[arg(long, default_value_t = 20)]
    replications: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

const SCENARIO: &str = "models/promo-peak.toml";
const FORECAST: &str = "forecasts/promo-peak-forecast.csv";

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let (scenario, forecast) = (base.join(SCENARIO), base.join(FORECAST));
    println!("peakplan demo: staffing {SCENARIO} from {FORECAST}\n");
    let run = staff::compute(&scenario, &forecast, LoadMethod::ModifiedOfferedLoad, None)?;
    staff::print_summary(&run);
    let staffing_csv = args.out.join("staffing.csv");
    staff::write_staffing(&staffing_csv, &run)?;

    println!("\nChecking the staffing by simulation (agents on the channels as staffed):");
    let coverage = Coverage::from_requirements(&run.requirements);
    let options = SimulationOptions {
        replications: args.replications,
        seed: args.seed,
        handle_time: HandleTime::Exponential,
    };
    let report =
        sim_cli::run_with_progress(&run.scenario, &run.grid, &run.volumes, &coverage, &options)?;
    sim_cli::print_summary(&run.scenario, &run.grid, &report, Some(&run.requirements));
    let simulation_csv = args.out.join("simulation.csv");
    sim_cli::write_intervals(&simulation_csv, &run.scenario, &report)?;

    println!(
        "\nwrote {} and {}",
        staffing_csv.display(),
        simulation_csv.display()
    );
    println!(
        "next: `peakplan schedule --scenario {SCENARIO} --out out/roster` builds the roster (core shifts and \
         vendor blocks); `peakplan staff --help`, `peakplan simulate --help`, `peakplan queue --help` for \
         the single steps"
    );
    Ok(())
}
