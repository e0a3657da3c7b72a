//! `peakplan simulate`: a coverage table against a forecast, by discrete-event simulation.

use super::table;
use crate::export;
use crate::scenario::Scenario;
use crate::simulate::{self, Coverage, HandleTime, SimulationOptions, SimulationReport};
use crate::staffing;
use crate::time_grid::TimeGrid;
use crate::volumes::{GridVolumes, VolumeSeries};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum HandleTimeName {
    Exponential,
    Lognormal,
}

/// Simulate agents per channel and interval against a forecast: time-varying Poisson arrivals,
/// abandonment, chat concurrency, email backlog. Reports service level, abandonment, ASA and
/// occupancy with 95 % confidence intervals over the replications.
///
/// The coverage CSV has timestamp,channel,agents (agents taking contacts, after shrinkage); the
/// output of `peakplan staff` works as it is.
///
/// Example:
///   peakplan simulate --scenario models/promo-peak.toml --forecast forecasts/promo-peak-forecast.csv \
///                     --coverage out/staffing.csv --replications 50 --seed 1
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct SimulateArgs {
    /// The scenario TOML: channels, their queues and targets.
    #[arg(long)]
    scenario: PathBuf,
    /// Forecast volumes the coverage is checked against.
    #[arg(long, required_unless_present = "roster")]
    forecast: Option<PathBuf>,
    /// Agents per channel and interval: CSV timestamp,channel,agents (or the staffing CSV).
    #[arg(long, required_unless_present = "roster", conflicts_with = "roster")]
    coverage: Option<PathBuf>,
    /// A roster folder written by `peakplan schedule --out DIR`: its coverage.csv against its
    /// forecast.csv (or --forecast).
    #[arg(long)]
    roster: Option<PathBuf>,
    /// Independent replications of the horizon; the figures come with their 95 % intervals.
    #[arg(long, default_value_t = 30)]
    replications: u32,
    /// Seed of the random streams: the same seed and inputs give the same figures.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Handle-time distribution around each interval's mean.
    #[arg(long, value_enum, default_value = "exponential")]
    handle_time: HandleTimeName,
    /// Coefficient of variation of lognormal handle times.
    #[arg(long, default_value_t = 1.0)]
    cv: f64,
    /// Write per-interval results to this CSV.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the whole report as JSON.
    #[arg(long)]
    json: bool,
}

impl SimulateArgs {
    fn options(&self) -> SimulationOptions {
        SimulationOptions {
            replications: self.replications,
            seed: self.seed,
            handle_time: match self.handle_time {
                HandleTimeName::Exponential => HandleTime::Exponential,
                HandleTimeName::Lognormal => HandleTime::Lognormal { cv: self.cv },
            },
        }
    }
}

/// Runs the simulation with a progress bar on the terminal.
pub fn run_with_progress(
    scenario: &Scenario,
    grid: &TimeGrid,
    volumes: &GridVolumes,
    coverage: &Coverage,
    options: &SimulationOptions,
) -> anyhow::Result<SimulationReport> {
    let bar = ProgressBar::new(u64::from(options.replications) * scenario.channels.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "simulating {bar:30} {pos}/{len} replications × channels, {elapsed}",
        )
        .expect("the progress template is valid"),
    );
    let report = simulate::simulate(scenario, grid, volumes, coverage, options, |done, _| {
        bar.set_position(done)
    })?;
    bar.finish_and_clear();
    Ok(report)
}

pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let scenario = Scenario::load(&args.scenario)?;
    let grid = scenario.grid();
    let (forecast, coverage) = match (&args.roster, &args.forecast, &args.coverage) {
        (Some(dir), forecast, _) => {
            let coverage = dir.join("coverage.csv");
            if !coverage.is_file() {
                anyhow::bail!(
                    "{} is not a roster folder: it has no coverage.csv; give the folder written by \
                     `peakplan schedule --out DIR` or `peakplan plan --out DIR`, \
                     or --forecast FILE --coverage FILE",
                    dir.display()
                );
            }
            (
                forecast.clone().unwrap_or_else(|| dir.join("forecast.csv")),
                coverage,
            )
        }
        (None, Some(f), Some(c)) => (f.clone(), c.clone()),
        _ => anyhow::bail!("give --roster DIR, or both --forecast and --coverage"),
    };
    let volumes = VolumeSeries::read(&forecast, scenario.time_zone)?.on_grid(&scenario, &grid)?;
    let coverage = Coverage::read(&coverage, &scenario, &grid)?;
    let report = run_with_progress(&scenario, &grid, &volumes, &coverage, &args.options())?;
    if let Some(path) = &args.out {
        write_intervals(path, &scenario, &report)?;
    }
    if args.json {
        say!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    // What the queueing model expects at the simulated agents, interval by interval.
    let requirements = staffing::requirements(
        &scenario,
        &grid,
        &volumes,
        staffing::LoadMethod::ModifiedOfferedLoad,
    )?;
    let expected: Expected = (0..scenario.channels.len())
        .map(|c| {
            let within = scenario.channels[c].target.horizon();
            (0..grid.len())
                .map(|i| {
                    let queue = requirements.queue(&scenario, c, i)?;
                    let agents = f64::from(coverage.agents[c][i]);
                    Some((
                        queue.service_at(within, agents).service_level,
                        volumes.volume[c][i],
                    ))
                })
                .collect()
        })
        .collect();
    print_summary(&scenario, &grid, &report, Some(&expected))?;
    if let Some(path) = &args.out {
        say!("wrote {}", path.display());
    }
    Ok(())
}

pub fn write_intervals(
    path: &Path,
    scenario: &Scenario,
    report: &SimulationReport,
) -> anyhow::Result<()> {
    export::create_parent(path)?;
    let rows = export::simulation_rows(scenario.time_zone, report);
    Ok(export::write_csv_file(path, &rows)?)
}

/// Sums of one channel over a stretch of intervals.
#[derive(Default)]
struct Tally {
    offered: f64,
    judged: f64,
    in_time: f64,
    abandoned: f64,
    wait: f64,
    answered: f64,
    busy: f64,
    capacity: f64,
    expected_in_time: f64,
    expected_volume: f64,
}

impl Tally {
    fn add(
        &mut self,
        r: &crate::simulate::SimulatedInterval,
        slots: u32,
        expected: Option<(f64, f64)>,
    ) {
        self.offered += r.offered.mean;
        self.judged += r.judged.mean;
        self.in_time += r.answered_in_time.mean;
        self.abandoned += r.abandoned.mean;
        self.wait += r.asa_seconds.map_or(0.0, |e| e.mean) * r.answered.mean;
        self.answered += r.answered.mean;
        let capacity = f64::from(r.agents * slots);
        self.busy += r.occupancy.map_or(0.0, |e| e.mean) * capacity;
        self.capacity += capacity;
        if let Some((sl, volume)) = expected {
            self.expected_in_time += sl * volume;
            self.expected_volume += volume;
        }
    }
}

/// "12 s", "14 min", "6.9 h".
fn duration(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if seconds < 7200.0 {
        format!("{:.0} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}

/// Per channel and interval: the service level the queueing model expects at the simulated
/// agents, and the interval's volume (`None`: closed, or a backlog channel).
pub type Expected = Vec<Vec<Option<(f64, f64)>>>;

/// Per channel: each day and the whole horizon, with the queueing model's expectation beside.
pub fn print_summary(
    scenario: &Scenario,
    grid: &TimeGrid,
    report: &SimulationReport,
    expected: Option<&Expected>,
) -> anyhow::Result<()> {
    say!(
        "simulation: {} replications, seed {}, {} contacts",
        report.replications,
        report.seed,
        report
            .channels
            .iter()
            .map(|c| c.contacts_simulated)
            .sum::<u64>()
    );
    let mut header = vec!["channel", "day", "offered", "simulated SL"];
    if expected.is_some() {
        header.push("expected SL (queueing model)");
    }
    header.extend(["abandoned", "ASA", "occupancy", "target"]);
    let mut t = table::new(&header);
    for (c, ch) in report.channels.iter().enumerate() {
        let target = scenario.channels[c].target.describe();
        let slots = scenario.channels[c].kind.max_sessions();
        let mut days: BTreeMap<chrono::NaiveDate, Tally> = BTreeMap::new();
        let mut all = Tally::default();
        for (i, r) in ch.intervals.iter().enumerate() {
            let exp = expected.and_then(|e| e[c][i]);
            days.entry(grid.local_clock(i).date)
                .or_default()
                .add(r, slots, exp);
            all.add(r, slots, exp);
        }
        let row = |label: String, d: &Tally, sl_text: String| {
            let mut row = vec![
                ch.channel.clone(),
                label,
                format!("{:.0}", d.offered),
                sl_text,
            ];
            if expected.is_some() {
                row.push(if d.expected_volume > 0.0 {
                    table::pct(d.expected_in_time / d.expected_volume)
                } else {
                    "–".into()
                });
            }
            row.extend([
                if d.offered > 0.0 {
                    table::pct(d.abandoned / d.offered)
                } else {
                    "–".into()
                },
                if d.answered > 0.0 {
                    duration(d.wait / d.answered)
                } else {
                    "–".into()
                },
                if d.capacity > 0.0 {
                    table::pct(d.busy / d.capacity)
                } else {
                    "–".into()
                },
                target.clone(),
            ]);
            row
        };
        for (date, d) in &days {
            if d.offered == 0.0 {
                continue;
            }
            let sl = match ch
                .days
                .iter()
                .find(|x| x.date == *date)
                .and_then(|x| x.stats.service_level)
            {
                Some(e) => table::pct_ci(e.mean, e.ci95),
                None if d.judged > 0.0 => table::pct(d.in_time / d.judged),
                None => "–".into(),
            };
            t.add_row(row(date.format("%a %d %b").to_string(), d, sl));
        }
        let sl = ch
            .total
            .service_level
            .map_or("–".into(), |e| table::pct_ci(e.mean, e.ci95));
        t.add_row(row("all days".into(), &all, sl));
    }
    say!("{t}");
    say!("simulated SL: mean over replications with its 95% confidence half-width");
    Ok(())
}
