//! `peakplan plan`: the main job — history → forecast → staffing → core-plus-elastic roster →
//! simulation check → stored (and published) → report. `--compare` plans a second scenario and
//! sets the two side by side. The work is [`crate::plan::run`]; this file reads the arguments,
//! writes the folder and prints.

use super::progress::CliProgress;
use super::table::{self, thousands};
use crate::export;
use crate::plan::{self, Demand, Plan, PlanRequest};
use crate::roster::{self, Mode};
use crate::scenario::Scenario;
use crate::simulate::{HandleTime, SimulationOptions};
use crate::store::{self, Actor, PlanRecord, VersionMeta};
use crate::volumes::VolumeSeries;
use anyhow::Context;
use clap::{Args, ValueEnum};
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

/// How the roster is solved: shared by `plan` and `schedule`.
#[derive(Debug, Clone, Args)]
pub struct RosterArgs {
    /// What the roster must hold: each channel-day's service target, or each interval's requirement.
    #[arg(long, value_enum, default_value = "service")]
    pub mode: ModeName,
    /// Seconds the solver may run; on the limit the best roster found is kept, with its gap.
    #[arg(long, default_value_t = roster::Options::default().time_limit_seconds)]
    pub time_limit: f64,
    /// Relative gap at which the solver stops.
    #[arg(long, default_value_t = roster::Options::default().relative_gap)]
    pub gap: f64,
    /// Service mode: the least service level any open interval may have.
    #[arg(long, default_value_t = roster::Options::default().interval_floor)]
    pub floor: f64,
    /// Service mode: plan each day this share above the target, as a fixed cushion (0: the
    /// simulation check repairs the days that fall short instead).
    #[arg(long, default_value_t = roster::Options::default().service_margin)]
    pub margin: f64,
    /// Service mode: replications of the simulation check inside the solve (0: judge by the
    /// stationary projection only).
    #[arg(long, default_value_t = 20)]
    pub check_replications: u32,
    /// Seed of the simulation check inside the solve.
    #[arg(long, default_value_t = 7)]
    pub check_seed: u64,
}

impl RosterArgs {
    pub fn options(&self, solver_log: Option<PathBuf>) -> roster::Options {
        roster::Options {
            mode: self.mode.into(),
            time_limit_seconds: self.time_limit,
            relative_gap: self.gap,
            interval_floor: self.floor,
            service_margin: self.margin,
            solver_log,
            // The limit counts from here: reading the inputs is part of the command.
            deadline: Some(
                std::time::Instant::now()
                    + std::time::Duration::from_secs_f64(self.time_limit.max(0.0)),
            ),
            tighten: Default::default(),
            check: (self.check_replications > 0).then_some(crate::simulate::SimulationOptions {
                replications: self.check_replications,
                seed: self.check_seed,
                handle_time: crate::simulate::HandleTime::Exponential,
            }),
        }
    }
}

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
    #[command(flatten)]
    pub roster: RosterArgs,
    /// Simulation replications for the check.
    #[arg(long, default_value_t = 20)]
    pub replications: u32,
    /// Seed of the simulation check: the same seed and inputs give the same files, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Do not store the plan in the database.
    #[arg(long, conflicts_with = "publish")]
    pub no_store: bool,
}

fn default_out(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map_or_else(|| "plan".into(), |s| s.to_string_lossy().to_string());
    PathBuf::from("out").join(stem)
}

/// What the main job plans against: the given forecast, or the scenario's history.
pub fn demand(scenario: &Scenario, path: &Path, forecast: Option<&Path>) -> anyhow::Result<Demand> {
    if let Some(f) = forecast {
        return Ok(Demand::Forecast(VolumeSeries::read(f, scenario.time_zone)?));
    }
    let Some(history) = &scenario.history else {
        anyhow::bail!(
            "{} has no `history = \"…\"` to forecast from; add one, or give --forecast FILE.csv",
            path.display()
        );
    };
    let series = VolumeSeries::read(history, scenario.time_zone).with_context(|| {
        let line = scenario
            .history_line
            .map_or(String::new(), |l| format!(":{l}"));
        format!(
            "the history named by `history` at {}{line} (paths are relative to the scenario file)",
            path.display()
        )
    })?;
    Ok(Demand::History(series))
}

/// A request for the main job from a scenario file and an optional forecast file.
pub fn request(
    scenario: &Path,
    forecast: Option<&Path>,
    roster: roster::Options,
    simulation: Option<SimulationOptions>,
) -> anyhow::Result<PlanRequest> {
    let parsed = Scenario::load(scenario)?;
    let scenario_text = std::fs::read_to_string(scenario)
        .with_context(|| format!("cannot read {}", scenario.display()))?;
    let demand = demand(&parsed, scenario, forecast)?;
    Ok(PlanRequest {
        scenario: parsed,
        scenario_text,
        demand,
        roster,
        simulation,
    })
}

/// Runs the main job with progress on stderr.
pub fn run_plan(request: &PlanRequest) -> anyhow::Result<Plan> {
    let progress = CliProgress::new();
    let plan = plan::run(request, &progress);
    progress.finish();
    Ok(plan?)
}

/// Stores a plan (and publishes it) in the database `DATABASE_URL` names.
pub fn store_plan(plan: &Plan, publish: bool) -> anyhow::Result<VersionMeta> {
    let forecast = export::volumes_string(&plan.forecast, plan.scenario.time_zone);
    store_record(&PlanRecord::new(plan, &forecast), publish)
}

/// Stores a planned roster with what it was planned from, in one transaction.
pub fn store_record(record: &PlanRecord<'_>, publish: bool) -> anyhow::Result<VersionMeta> {
    super::serve::runtime()?.block_on(async {
        let store = super::serve::open().await?;
        Ok(store
            .store_plan(
                &Actor::cli(if publish { "publish" } else { "store" }),
                record,
                publish,
            )
            .await?)
    })
}

/// One planned scenario and where it went.
pub struct Planned {
    pub plan: Plan,
    pub dir: PathBuf,
    /// The version stored, and whether it was published.
    pub stored: Option<(i64, bool)>,
}

/// Plans one scenario into `dir`, stores it unless `no_store`.
pub fn plan_one(
    request: &PlanRequest,
    dir: &Path,
    publish: bool,
    no_store: bool,
) -> anyhow::Result<Planned> {
    say!("planning {} → {}", request.scenario.name, dir.display());
    let plan = run_plan(request)?;
    export::write_plan(dir, &plan)?;
    let stored = if no_store {
        None
    } else {
        Some((store_plan(&plan, publish)?.id, publish))
    };
    Ok(Planned {
        plan,
        dir: dir.to_path_buf(),
        stored,
    })
}

/// Per channel and day: volume, core and elastic hours, projected and simulated service, target,
/// simulated abandonment; then the cost split.
pub fn print_plan(p: &Plan) -> anyhow::Result<()> {
    let sum = &p.summary;
    say!(
        "\n{} — {} core shifts for {} agents, {} vendor blocks; status {}, gap {:.2}%",
        p.scenario.name,
        sum.shifts,
        sum.agents_rostered,
        sum.vendor_blocks,
        sum.status.name(),
        sum.gap * 100.0
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
        "abandoned projected (cap)",
        "abandoned simulated",
        "occupancy (cap)",
    ]);
    for d in &sum.service {
        if d.volume <= 0.0 {
            continue;
        }
        let sim = p
            .simulation
            .as_ref()
            .and_then(|s| s.channels.iter().find(|c| c.channel == d.channel))
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
            table::against_cap(d.projected_abandon_rate, d.max_abandon),
            sim.and_then(|s| s.stats.abandon_rate)
                .map_or("–".into(), |a| table::pct(a.mean)),
            table::against_cap(d.projected_occupancy, d.max_occupancy),
        ]);
    }
    say!("{t}");
    super::schedule::print_shortfalls(&sum.shortfalls)?;
    let mut c = table::new(&["cost", "amount", "paid hours"]);
    for (name, amount) in sum.cost.items() {
        c.add_row(vec![
            name.to_string(),
            thousands(amount),
            thousands(sum.paid_hours.of(name)),
        ]);
    }
    c.add_row(vec![
        "total".to_string(),
        thousands(sum.cost.total),
        thousands(sum.paid_hours.total),
    ]);
    say!("{c}");
    Ok(())
}

pub fn run(args: PlanArgs) -> anyhow::Result<()> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.scenario));
    let simulation = Some(SimulationOptions {
        replications: args.replications,
        seed: args.seed,
        handle_time: HandleTime::Exponential,
    });
    let make = |scenario: &Path, dir: &Path| {
        let options = args.roster.options(Some(dir.join("solver.log")));
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        request(scenario, args.forecast.as_deref(), options, simulation)
    };
    let Some(other) = args.compare.clone() else {
        let p = plan_one(
            &make(&args.scenario, &out)?,
            &out,
            args.publish,
            args.no_store,
        )?;
        print_plan(&p.plan)?;
        after(&p)?;
        return Ok(());
    };
    let (dir_a, dir_b) = (out.join("a"), out.join("b"));
    let a = plan_one(
        &make(&args.scenario, &dir_a)?,
        &dir_a,
        args.publish,
        args.no_store,
    )?;
    let b = plan_one(&make(&other, &dir_b)?, &dir_b, args.publish, args.no_store)?;
    print_plan(&a.plan)?;
    print_plan(&b.plan)?;
    print_comparison(&a.plan, &b.plan)?;
    after(&a)?;
    after(&b)?;
    Ok(())
}

pub fn after(p: &Planned) -> anyhow::Result<()> {
    say!("report: {}", p.dir.join("report.html").display());
    match p.stored {
        Some((v, true)) => say!(
            "published as version {v} in {}; `peakplan serve` hands it to routing, vendors and supervisors",
            store::database_url()
        ),
        Some((v, false)) => say!(
            "stored as draft version {v} in {}; publish it with --publish, or POST /v1/versions/{v}/publish on `peakplan serve`",
            store::database_url()
        ),
        None => {}
    }
    Ok(())
}

/// Cost and service of two plans side by side.
pub fn print_comparison(a: &Plan, b: &Plan) -> anyhow::Result<()> {
    let mut t = table::new(&["", &a.scenario.name, &b.scenario.name, "difference"]);
    let row =
        |t: &mut comfy_table::Table, name: &str, x: f64, y: f64, fmt: &dyn Fn(f64) -> String| {
            t.add_row(vec![name.to_string(), fmt(x), fmt(y), fmt(y - x)]);
        };
    let money = |v: f64| thousands(v);
    let (sa, sb) = (&a.summary, &b.summary);
    row(&mut t, "total cost", sa.cost_total, sb.cost_total, &money);
    let mut sources: Vec<&str> = Vec::new();
    for s in [sa, sb] {
        for (name, _) in s.cost.items() {
            if !sources.contains(&name) {
                sources.push(name);
            }
        }
    }
    for k in &sources {
        row(
            &mut t,
            &format!("  {k}"),
            sa.cost.of(k),
            sb.cost.of(k),
            &money,
        );
    }
    row(
        &mut t,
        "paid hours",
        sa.paid_hours.total,
        sb.paid_hours.total,
        &money,
    );
    for ch in &a.scenario.channels {
        let id = ch.id.as_str();
        let channel = |p: &Plan| {
            p.simulation
                .as_ref()
                .and_then(|s| s.channels.iter().find(|c| c.channel == id).cloned())
        };
        let sim = |p: &Plan| {
            channel(p)
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
        let below = |p: &Plan| {
            channel(p).map_or(0.0, |c| {
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
    say!("\ncomparison");
    say!("{t}");
    Ok(())
}
