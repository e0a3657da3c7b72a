//! `peakplan capacity`.

use super::table;
use crate::capacity::input::{self, CapacityFile};
use crate::capacity::{SeatDecision, Solution};
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

/// Plan capacity weeks to months before a peak: hiring classes, vendor seats, overtime.
///
/// Forecasts weekly volumes from the scenario's history, draws forecast scenarios, turns each into
/// required paid hours per channel and week with the staffing engine, and solves (HiGHS) for the
/// lowest expected cost that meets every channel and week in at least the file's `reliability` of
/// the scenarios. What is due before the next review is decided now, the same in every scenario.
///
/// Example:
///   peakplan capacity models/promo-peak-capacity.toml --out out/capacity
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct CapacityArgs {
    /// The capacity file (it names its roster scenario).
    pub file: PathBuf,
    /// Plan from this date instead of the file's plan_date.
    #[arg(long)]
    pub from: Option<String>,
    /// Weeks to plan (4 to 78) instead of the file's.
    #[arg(long)]
    pub weeks: Option<usize>,
    /// Forecast scenarios instead of the file's.
    #[arg(long)]
    pub scenarios: Option<usize>,
    /// Seed of the forecast scenarios instead of the file's.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Where to write report.html, channel_weeks.csv, classes.csv, seats.csv and plan.json.
    #[arg(long, default_value = "out/capacity")]
    pub out: PathBuf,
    /// Also write the peak's roster scenario as the plan leaves it (core groups after attrition,
    /// new hires as groups of their own, vendor caps from the contracted seats), for `peakplan plan`.
    #[arg(long)]
    pub write_scenario: Option<PathBuf>,
    /// A second capacity file to compare with (a what-if: more attrition, a bigger peak, a vendor
    /// lost): both plans side by side.
    #[arg(long)]
    pub compare: Option<PathBuf>,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: CapacityArgs) -> anyhow::Result<()> {
    let mut file = CapacityFile::load(&args.file)?;
    if let Some(text) = &args.from {
        let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .with_context(|| format!("--from: `{text}` is not a date; expected e.g. 2026-08-03"))?;
        file = file.replan(date, args.weeks)?;
    } else if let Some(w) = args.weeks {
        let date = file.plan_date;
        file = file.replan(date, Some(w))?;
    }
    if let Some(s) = args.scenarios {
        file.scenarios = s;
    }
    if let Some(s) = args.seed {
        file.seed = s;
    }
    let history = input::history(&file)?;
    eprintln!(
        "forecasting {} weeks from {} over {} scenarios, then solving…",
        file.problem.weeks.len(),
        file.problem.weeks[0],
        file.scenarios
    );
    let plan = input::plan(&file, &history)?;
    let written = crate::export::write_capacity(&args.out, &plan)?;
    if args.json {
        say!("{}", serde_json::to_string_pretty(&plan.solution)?);
        return Ok(());
    }
    print_plan(&file, &plan.solution)?;
    for p in written {
        say!("wrote {}", p.display());
    }
    if let Some(path) = &args.write_scenario {
        let text = input::peak_scenario(&file, &plan)?;
        crate::export::create_parent(path)?;
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
        say!(
            "wrote {} — continue with: peakplan plan {}",
            path.display(),
            path.display()
        );
    }
    if let Some(other) = &args.compare {
        let mut b = CapacityFile::load(other)?;
        b.scenarios = file.scenarios;
        b.seed = file.seed;
        let b_history = input::history(&b)?;
        let b_plan = input::plan(&b, &b_history)?;
        print_comparison(&args.file, &plan.solution, other, &b_plan.solution)?;
    }
    Ok(())
}

/// One figure of a plan.
type CostOf = fn(&Solution) -> f64;

fn print_comparison(
    a_path: &std::path::Path,
    a: &Solution,
    b_path: &std::path::Path,
    b: &Solution,
) -> anyhow::Result<()> {
    // Summed from +0: an empty f64 sum is −0, which would print as "-0" for a plan without hires.
    let hires = |s: &Solution| s.classes.iter().fold(0.0, |sum, c| sum + c.size);
    let seat_hours = |s: &Solution| {
        s.channel_weeks
            .iter()
            .flat_map(|c| c.vendor_hours.iter())
            .fold(0.0, |sum, (_, h)| sum + h)
    };
    let short = |s: &Solution| {
        s.channel_weeks
            .iter()
            .fold(0.0, |sum, c| sum + c.shortfall_hours)
    };
    let mut t = table::new(&[
        "",
        &a_path.display().to_string(),
        &b_path.display().to_string(),
        "difference",
    ]);
    let rows: [(&str, CostOf); 6] = [
        ("expected cost", |s| s.cost.total),
        ("core team (contracted hours)", |s| s.cost.core),
        ("hires", |s| s.cost.hires),
        ("overtime", |s| s.cost.overtime),
        ("vendors", |s| s.cost.vendors),
        ("shortfall", |s| s.cost.shortfall),
    ];
    for (name, f) in rows {
        t.add_row(vec![
            name.to_string(),
            table::thousands(f(a)),
            table::thousands(f(b)),
            format!("{:+.0}", f(b) - f(a)),
        ]);
    }
    for (name, x, y) in [
        ("hires planned (heads)", hires(a), hires(b)),
        ("vendor hours", seat_hours(a), seat_hours(b)),
        ("shortfall hours", short(a), short(b)),
        (
            "unreachable channel-weeks",
            a.unreachable.len() as f64,
            b.unreachable.len() as f64,
        ),
    ] {
        t.add_row(vec![
            name.to_string(),
            format!("{x:.1}"),
            format!("{y:.1}"),
            format!("{:+.1}", y - x),
        ]);
    }
    say!("comparison:");
    say!("{t}");
    Ok(())
}

fn print_plan(file: &CapacityFile, s: &Solution) -> anyhow::Result<()> {
    say!(
        "capacity plan for {} from {} ({} weeks, {} forecast scenarios, reliability {})",
        file.scenario.name,
        file.plan_date,
        s.weeks.len(),
        s.scenarios,
        table::pct(file.problem.reliability)
    );
    let fte = file.fte_hours_week;
    say!(
        "FTE of {fte} paid hours a week; supply is what serves the requirement in an average scenario"
    );
    let mut t = table::new(&[
        "week",
        "channel",
        "required FTE p50 / p90",
        "core",
        "overtime",
        "new hires",
        "vendors",
        "P(short)",
        "",
    ]);
    let f = |h: f64| format!("{:.1}", h / fte);
    for cw in &s.channel_weeks {
        let vendors: Vec<String> = cw
            .vendor_hours
            .iter()
            .filter(|(_, h)| *h > 0.05 * fte)
            .map(|(v, h)| format!("{v} {}", f(*h)))
            .collect();
        t.add_row(vec![
            cw.week.to_string(),
            cw.channel.clone(),
            format!("{} / {}", f(cw.required_p50), f(cw.required_p90)),
            f(cw.core_hours),
            f(cw.overtime_hours),
            f(cw.hire_hours),
            if vendors.is_empty() {
                "–".to_string()
            } else {
                vendors.join(" + ")
            },
            table::pct(cw.p_shortfall),
            if cw.reliable {
                String::new()
            } else {
                "◀ below target".into()
            },
        ]);
    }
    say!("{t}");
    say!("hiring plan:");
    if s.classes.is_empty() {
        say!("  no class");
    }
    for c in &s.classes {
        say!(
            "  {} starting {}: {}{} — recruit by {}, productive from {}",
            c.class,
            c.start,
            if c.firm {
                format!("{:.0} hires", c.size)
            } else {
                format!("{:.1} hires on average", c.size)
            },
            if c.firm {
                " (firm)".to_string()
            } else {
                format!(
                    " (indicative, in {} of scenarios)",
                    table::pct(c.share_of_scenarios)
                )
            },
            c.decide_by,
            c.productive_from
        );
    }
    say!("vendor seats to decide now (firm), and the next ones still open:");
    for seat in s
        .seats
        .iter()
        .filter(|x| x.decision == SeatDecision::Firm && x.seats > 0.0)
    {
        say!(
            "  {} {} week of {}: {:.0} seats, notice by {}",
            seat.vendor,
            seat.channel,
            seat.week,
            seat.seats,
            seat.decide_by
        );
    }
    for seat in s
        .seats
        .iter()
        .filter(|x| x.decision == SeatDecision::Open && x.seats_max > 0.0)
        .take(6)
    {
        say!(
            "  {} {} week of {}: open, {:.1} seats on average (up to {:.0}), notice by {}",
            seat.vendor,
            seat.channel,
            seat.week,
            seat.seats,
            seat.seats_max,
            seat.decide_by
        );
    }
    let c = &s.cost;
    say!(
        "expected cost {}: core {}, hires {}, overtime {}, vendors {}, shortfall {}",
        table::thousands(c.total),
        table::thousands(c.core),
        table::thousands(c.hires),
        table::thousands(c.overtime),
        table::thousands(c.vendors),
        table::thousands(c.shortfall)
    );
    say!(
        "lower bound {} (gap {}), solved in {:.1} s{}",
        table::thousands(s.lower_bound),
        table::pct(s.gap),
        s.solve_seconds,
        if s.optimal {
            ""
        } else {
            " (time limit reached)"
        }
    );
    if !s.unreachable.is_empty() {
        say!(
            "the program's objective {} carries a penalty on those hours; the bound is on it",
            table::thousands(s.objective)
        );
        say!(
            "the reliability target cannot be met with the capacity on offer in {} channel-week(s):",
            s.unreachable.len()
        );
        for (channel, week, hours) in &s.unreachable {
            say!(
                "  {channel} week of {week}: up to {:.1} hours short in a scenario that must be met; \
                 raise class sizes, vendor maxima or overtime, or start earlier",
                hours
            );
        }
    }
    Ok(())
}
