//! The two-stage capacity plan against planning for the mean and planning every week for p90, tried
//! on forecast scenarios none of them was solved on.
//!
//! cargo run --release --example capacity_comparison
//!
//! On the sample (`models/promo-peak-capacity.toml`, history before 3 August 2026), with every
//! hiring class and vendor seat decided at the plan date (`review_weeks` = the horizon), so the plans
//! differ only in what they commit to; overtime is the recourse each week. The stochastic plan is
//! solved on 100 paths (seed 1) with its 90 % reliability; the mean plan on the mean requirement and
//! the p90 plan on each week's p90, both to be met in full. All three are then tried on 200 other
//! paths (seed 99): expected cost, the share of channel-weeks met in at least 90 % of the paths, and
//! the share of path × channel × week cells without a shortfall.

use peakplan::capacity::input::{self, CapacityFile};
use peakplan::capacity::{self, Problem};
use std::path::Path;

fn one_scenario(p: &Problem, pick: impl Fn(&mut Vec<f64>) -> f64) -> Problem {
    let (channels, weeks) = (p.channels.len(), p.weeks.len());
    let mut q = p.clone();
    q.demand = vec![
        (0..channels)
            .map(|c| {
                (0..weeks)
                    .map(|w| {
                        let mut v: Vec<f64> = p.demand.iter().map(|s| s[c][w]).collect();
                        pick(&mut v)
                    })
                    .collect()
            })
            .collect(),
    ];
    q.reliability = 1.0;
    q
}

fn main() -> anyhow::Result<()> {
    let mut file = CapacityFile::load(Path::new("models/promo-peak-capacity.toml"))?;
    file.problem.review_weeks = file.problem.weeks.len();
    let history = input::history(&file)?;
    let (demand, _) = input::demand(&file, &history)?;
    let mut solve_on = file.problem.clone();
    solve_on.demand = demand;
    let mut holdout = file.clone();
    holdout.scenarios = 200;
    holdout.seed = 99;
    let (held, _) = input::demand(&holdout, &history)?;
    let mut try_on = file.problem.clone();
    try_on.demand = held;

    let mean = one_scenario(&solve_on, |v| v.iter().sum::<f64>() / v.len() as f64);
    let p90 = one_scenario(&solve_on, |v| {
        v.sort_by(f64::total_cmp);
        v[((v.len() - 1) as f64 * 0.9).round() as usize]
    });
    println!(
        "| plan | solved on | expected cost on 200 other paths | channel-weeks met in ≥ 90 % | cells met |"
    );
    println!("|---|---|---:|---:|---:|");
    for (name, problem) in [
        ("two-stage, 90 % of paths", &solve_on),
        ("mean requirement", &mean),
        ("p90 every week", &p90),
    ] {
        let plan = capacity::solve(problem)?;
        let e = capacity::evaluate(&try_on, &plan.first_stage)?;
        println!(
            "| {name} | {} path(s), cost {:.0} | {:.0} | {:.1} % | {:.1} % |",
            problem.demand.len(),
            plan.cost.total,
            e.expected_cost,
            e.share_weeks_reliable * 100.0,
            e.share_met * 100.0
        );
    }
    Ok(())
}
