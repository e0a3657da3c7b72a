//! Roster benchmark: the optimizer on the benchmark scenario (300 agents, 40 templates, 3 vendors,
//! 14 days) and on the sample, beside a classic greedy shift-covering heuristic on the same
//! per-interval requirements. Service mode runs twice: with the simulation check inside the solve
//! and no margin (the default), and with a fixed two-point margin and no check. Every roster is
//! then simulated again (30 replications, another seed) and each channel-day judged on every part
//! of its target: share in time, abandonment and occupancy caps.
//!
//! `cargo bench --bench roster` — each run takes minutes (the solver runs to its gap or time limit),
//! so it is a plain program that prints one table, not a statistical benchmark.

use peakplan::roster::{self, Input, Mode, Options};
use peakplan::scenario::Scenario;
use peakplan::simulate::{self, Coverage, HandleTime, SimulationOptions};
use peakplan::staffing::{self, LoadMethod, Requirements};
use peakplan::time_grid::TimeGrid;
use peakplan::volumes::VolumeSeries;
use std::path::Path;
use std::time::Instant;

const FORECAST: &str = "forecasts/promo-peak-forecast.csv";

/// Greedy set covering, the textbook baseline: while some interval of a channel has fewer agents
/// than staffing asks for, add the shift (template, day, start) covering the most still-missing
/// agent-intervals per paid hour. Breaks, contracts, vendors and head counts are ignored: it sizes a
/// covering with the scenario's core templates only, the way a spreadsheet planner would.
fn greedy_cover(scenario: &Scenario, grid: &TimeGrid, req: &Requirements) -> f64 {
    let len = i64::from(grid.length().minutes());
    let first = grid.start_of(0);
    let mut paid_hours = 0.0;
    for (c, ch) in req.channels.iter().enumerate() {
        let mut missing: Vec<i64> = ch
            .intervals
            .iter()
            .map(|r| i64::from(r.scheduled))
            .collect();
        // Candidate shifts as interval ranges.
        let mut shifts: Vec<(usize, usize, f64)> = Vec::new();
        for t in scenario
            .shift_templates
            .iter()
            .filter(|t| t.channels.contains(&c))
        {
            for date in scenario.horizon.days() {
                for start in t.starts() {
                    let at = peakplan::time_grid::local_midnight(scenario.time_zone, date)
                        + chrono::Duration::minutes(i64::from(start));
                    let from = ((at - first).num_minutes() / len).max(0) as usize;
                    let to = (((at - first).num_minutes() + i64::from(t.length_minutes)) / len)
                        .min(grid.len() as i64) as usize;
                    if from < to {
                        shifts.push((from, to, f64::from(t.paid_minutes()) / 60.0));
                    }
                }
            }
        }
        loop {
            let best = shifts
                .iter()
                .map(|&(a, b, h)| {
                    let gain = missing[a..b].iter().filter(|&&m| m > 0).count() as f64;
                    (gain / h, a, b, h)
                })
                .filter(|x| x.0 > 0.0)
                .max_by(|x, y| x.0.total_cmp(&y.0));
            let Some((_, a, b, h)) = best else { break };
            for m in &mut missing[a..b] {
                *m -= 1;
            }
            paid_hours += h;
        }
    }
    paid_hours
}

/// Channel-days (with contacts) meeting every part of the target in a 30-replication simulation
/// with a seed the solve did not use, and all channel-days with contacts.
fn simulated_days(input: &Input, r: &roster::Roster) -> (usize, usize) {
    let coverage = Coverage {
        agents: r.evaluation.on_phone.clone(),
    };
    let options = SimulationOptions {
        replications: 30,
        seed: 11,
        handle_time: HandleTime::Exponential,
    };
    let report = simulate::simulate(
        input.scenario,
        input.grid,
        input.volumes,
        &coverage,
        &options,
        |_, _| {},
    )
    .expect("simulation");
    let mut met = 0;
    let mut all = 0;
    for d in r.evaluation.days.iter().filter(|d| d.volume > 0.0) {
        let Some(day) = report
            .channels
            .iter()
            .find(|c| c.channel == d.channel)
            .and_then(|c| c.days.iter().find(|x| x.date == d.date))
        else {
            continue;
        };
        all += 1;
        let share = day.stats.service_level.map_or(0.0, |e| e.mean);
        let abandon = day.stats.abandon_rate.map_or(0.0, |e| e.mean);
        let occupancy = day.stats.occupancy.map_or(0.0, |e| e.mean);
        if share + 1e-9 >= d.target
            && d.max_abandon.is_none_or(|cap| abandon <= cap + 1e-9)
            && d.max_occupancy.is_none_or(|cap| occupancy <= cap + 1e-9)
        {
            met += 1;
        }
    }
    (met, all)
}

fn run(path: &str, mode: Mode, label: &str, options: Options) {
    let scenario = Scenario::load(path).expect("scenario");
    let grid = scenario.grid();
    let volumes = VolumeSeries::read(FORECAST, scenario.time_zone)
        .expect("forecast")
        .on_grid(&scenario, &grid)
        .expect("forecast on the grid");
    let req = staffing::requirements(&scenario, &grid, &volumes, LoadMethod::ModifiedOfferedLoad)
        .expect("staffing");
    let input = Input {
        scenario: &scenario,
        grid: &grid,
        volumes: &volumes,
        requirements: &req,
    };
    let options = Options { mode, ..options };
    let started = Instant::now();
    let r = roster::schedule(&input, &options, &|_| {}).expect("a roster");
    let seconds = started.elapsed().as_secs_f64();
    let e = &r.evaluation;
    let judged = e.days.iter().filter(|d| d.meets_target().is_some());
    let met = judged
        .clone()
        .filter(|d| d.meets_target() == Some(true))
        .count();
    let (sim_met, sim_all) = simulated_days(&input, &r);
    println!(
        "| {} | {} | {label} | {:.1} | {:.0} | {:.0} | {:.0} | {:.2} % | {} | {met} of {} | {sim_met} of {sim_all} | {} |",
        Path::new(path).file_name().unwrap().to_string_lossy(),
        mode.name(),
        seconds,
        e.hours.total(),
        e.cost.total(),
        e.lower_bound,
        e.gap * 100.0,
        r.solve.repair_rounds,
        judged.count(),
        e.violations.len() + r.unassigned.len(),
    );
    if mode == Mode::Coverage {
        let started = Instant::now();
        let hours = greedy_cover(&scenario, &grid, &req);
        println!(
            "| {} | greedy covering | – | {:.3} | {:.0} | – | – | – | – | – | – | (ignores contracts, breaks, caps) |",
            Path::new(path).file_name().unwrap().to_string_lossy(),
            started.elapsed().as_secs_f64(),
            hours
        );
    }
}

fn main() {
    // `cargo bench` passes --bench; a filter argument picks one scenario.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    println!(
        "| scenario | mode | service check | seconds | paid hours | cost | lower bound | gap | repair rounds | days on every target (projected) | days on every target (simulated, 30 reps, seed 11) | broken rules |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for path in ["models/benchmark-peak.toml", "models/promo-peak.toml"] {
        if filter.as_deref().is_some_and(|f| !path.contains(f)) {
            continue;
        }
        run(
            path,
            Mode::Service,
            "simulation in the loop, no margin",
            Options::default(),
        );
        run(
            path,
            Mode::Service,
            "fixed 2-point margin",
            Options {
                service_margin: 0.02,
                check: None,
                ..Options::default()
            },
        );
        run(path, Mode::Coverage, "–", Options::default());
    }
}
