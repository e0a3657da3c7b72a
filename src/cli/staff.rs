//! `peakplan staff`: required agents per channel and interval from a forecast.

use super::table;
use crate::export;
use crate::scenario::Scenario;
use crate::staffing::{self, LoadMethod, Requirements};
use crate::time_grid::TimeGrid;
use crate::volumes::{GridVolumes, VolumeSeries};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodName {
    /// Modified offered load (Green, Kolesar & Whitt 2007): the load lags demand by the handle time,
    /// so ramps are not understaffed. The default.
    Mol,
    /// Stationary independent period-by-period: each interval on its own load.
    Sipp,
}

impl From<MethodName> for LoadMethod {
    fn from(m: MethodName) -> Self {
        match m {
            MethodName::Mol => LoadMethod::ModifiedOfferedLoad,
            MethodName::Sipp => LoadMethod::Sipp,
        }
    }
}

/// Required agents per channel and interval: queueing for voice and chat (Erlang A with patience,
/// chat concurrency), a deadline backlog for email; shrinkage applied after the queueing step.
///
/// Example:
///   peakplan staff --scenario models/promo-peak.toml --forecast forecasts/promo-peak-forecast.csv \
///                  --out out/staffing.csv
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct StaffArgs {
    /// Scenario file (models/*.toml).
    #[arg(long)]
    pub scenario: PathBuf,
    /// Forecast volumes: CSV timestamp,channel,volume[,aht_seconds].
    #[arg(long)]
    pub forecast: PathBuf,
    /// Where to write the staffing CSV.
    #[arg(long)]
    pub out: PathBuf,
    /// How to set each interval's load for voice and chat.
    #[arg(long, value_enum, default_value = "mol")]
    pub method: MethodName,
    /// Also write the service curves (contacts answered in time per number of agents) to this CSV.
    #[arg(long)]
    pub curves: Option<PathBuf>,
    /// Staff to this quantile of the forecast instead of its mean (e.g. 0.9: enough agents for the
    /// volume the forecast exceeds only one time in ten). Needs the p10,p50,p90 columns that
    /// `peakplan forecast` writes.
    #[arg(long)]
    pub quantile: Option<f64>,
}

/// Everything a staffing run produced, for the commands that chain it.
pub struct StaffRun {
    pub scenario: Scenario,
    pub grid: TimeGrid,
    pub volumes: GridVolumes,
    pub requirements: Requirements,
}

/// Loads the inputs and computes requirements.
pub fn compute(
    scenario: &Path,
    forecast: &Path,
    method: LoadMethod,
    quantile: Option<f64>,
) -> anyhow::Result<StaffRun> {
    let scenario = Scenario::load(scenario)?;
    let grid = scenario.grid();
    let mut series = VolumeSeries::read(forecast, scenario.time_zone)?;
    if let Some(q) = quantile {
        series = series.at_quantile(q)?;
    }
    let volumes = series.on_grid(&scenario, &grid)?;
    let requirements = staffing::requirements(&scenario, &grid, &volumes, method)?;
    Ok(StaffRun {
        scenario,
        grid,
        volumes,
        requirements,
    })
}

pub fn run(args: StaffArgs) -> anyhow::Result<()> {
    let run = compute(
        &args.scenario,
        &args.forecast,
        args.method.into(),
        args.quantile,
    )?;
    if let Some(q) = args.quantile {
        say!(
            "staffing to the {:.0}th percentile of the forecast",
            q * 100.0
        );
    }
    write_staffing(&args.out, &run)?;
    if let Some(path) = &args.curves {
        write_curves(path, &run)?;
    }
    print_summary(&run)?;
    say!("wrote {}", args.out.display());
    if let Some(path) = &args.curves {
        say!("wrote {}", path.display());
    }
    Ok(())
}

/// Writes one row per channel and interval, channels in scenario order.
pub fn write_staffing(path: &Path, run: &StaffRun) -> anyhow::Result<()> {
    export::create_parent(path)?;
    let rows = export::staffing_rows(run.scenario.time_zone, &run.requirements);
    Ok(export::write_csv_file(path, &rows)?)
}

fn write_curves(path: &Path, run: &StaffRun) -> anyhow::Result<()> {
    export::create_parent(path)?;
    let rows = export::curve_rows(&run.scenario, &run.requirements);
    Ok(export::write_csv_file(path, &rows)?)
}

/// The per-channel, per-day table and the notes a planner should see.
pub fn print_summary(run: &StaffRun) -> anyhow::Result<()> {
    let s = &run.scenario;
    say!(
        "{} — {} to {}, {}-minute intervals, load method {}",
        s.name,
        s.horizon.start,
        s.horizon.end,
        s.interval.minutes(),
        run.requirements.method.name()
    );
    let mut t = table::new(&[
        "channel",
        "day",
        "volume",
        "peak on the phones",
        "peak to schedule",
        "scheduled hours",
        "expected SL",
        "abandoned",
        "target",
    ]);
    for d in run.requirements.daily_summary(s, &run.grid) {
        t.add_row(vec![
            d.channel.to_string(),
            d.date.format("%a %d %b").to_string(),
            format!("{:.0}", d.volume),
            d.peak_required.to_string(),
            d.peak_scheduled.to_string(),
            format!("{:.1}", d.scheduled_hours),
            table::opt_pct(d.service_level),
            table::opt_pct(d.p_abandon),
            d.target,
        ]);
    }
    say!("{t}");
    for (c, ch) in s.channels.iter().enumerate() {
        let closed = run.volumes.closed_volume[c];
        if closed > 0.0 {
            say!(
                "note: the forecast puts {closed:.0} {} contacts in closed hours; they are not staffed for",
                ch.id
            );
        }
    }
    if run.volumes.rows_outside_horizon > 0 {
        say!(
            "note: {} forecast rows lie outside the horizon and were not used",
            run.volumes.rows_outside_horizon
        );
    }
    Ok(())
}
