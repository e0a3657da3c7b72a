//! `peakplan demo`: the main job on the bundled sample — the Double 11 peak planned end to end from
//! its history, checked by simulation, published into the embedded SQLite store, with the report.

use super::plan::{self, PlanArgs};
use super::schedule::ModeName;
use clap::Args;
use std::path::PathBuf;

/// Plan the bundled Double 11 sample (models/promo-peak.toml and its history) end to end: forecast,
/// core-plus-elastic roster, simulation check, published into the database (DATABASE_URL, default
/// sqlite://peakplan.sqlite), and the report in --out/report.html.
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

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let scenario = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(SCENARIO);
    println!(
        "peakplan demo: the Double 11 sample ({SCENARIO}) from history to a published roster\n"
    );
    let plan_args = PlanArgs {
        scenario: scenario.clone(),
        out: Some(args.out.clone()),
        publish: true,
        compare: None,
        forecast: None,
        mode: ModeName::Service,
        time_limit: 120.0,
        replications: args.replications,
        seed: args.seed,
        no_store: false,
    };
    let planned = plan::plan_one(&plan_args, &scenario, &args.out)?;
    plan::print_plan(&planned);
    let report = args.out.join("report.html");
    println!(
        "\nreport: {} (open it in a browser; it needs no network)",
        report.display()
    );
    if let Some((version, _)) = planned.stored {
        println!(
            "published as version {version} in {}; serve it to routing, vendors and supervisors with\n  \
             peakplan token create --role planner\n  peakplan serve --listen 127.0.0.1:8080\n\
             (README: \"Publishing and the HTTP API\" for the calls of each audience)",
            crate::store::database_url()
        );
    }
    Ok(())
}
