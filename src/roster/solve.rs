//! Runs HiGHS on the stage-1 program, with progress read from its log, and reads the answer back
//! through the program's keys.

use super::model::{self, Built, Keys};
use super::{Input, Options, Phase, RosterError, SolveReport, SolveStatus, VendorBlock};
use highs::HighsModelStatus;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

mod highs_option {
    /// A HiGHS option value.
    pub enum Value {
        Bool(bool),
        Int(i32),
        Float(f64),
        Text(String),
    }
}

/// Stage 1's answer.
#[derive(Debug, Clone)]
pub struct Solved {
    pub report: SolveReport,
    pub keys: Keys,
    /// `(pool, slot, shifts)` with at least one shift.
    pub shift_counts: Vec<(usize, usize, u32)>,
    /// `(slot, break rule, option, shifts)` with a positive value.
    pub break_values: Vec<(usize, usize, usize, f64)>,
    pub blocks: Vec<VendorBlock>,
    pub columns: Vec<f64>,
    pub row_activity: Vec<f64>,
    /// The shifts of this roster fixed, for a repair that buys vendor heads again.
    pub fixed: Option<model::Relaxed>,
}

/// One progress line of the HiGHS branch-and-bound log, made readable.
fn progress_line(line: &str) -> Option<String> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let time = tokens.last().filter(|t| t.ends_with('s'))?;
    time.trim_end_matches('s').parse::<f64>().ok()?;
    let j = tokens.iter().position(|t| t.ends_with('%'))?;
    let (bound, best, gap) = (tokens.get(j + 1)?, tokens.get(j + 2)?, tokens.get(j + 3)?);
    let bound: f64 = bound.parse().ok()?;
    // Money rounded; both figures still move while the solver runs.
    let best = best
        .parse::<f64>()
        .map_or_else(|_| "none yet".to_string(), crate::figures::thousands);
    Some(format!(
        "solving: {time} elapsed, best roster so far {best}, lower bound so far {}, gap {gap} (provisional)",
        crate::figures::thousands(bound)
    ))
}

fn follow_log(path: &Path, done: &AtomicBool, progress: &(dyn Fn(&str) + Sync)) {
    let mut offset = 0;
    let mut pending = String::new();
    loop {
        let finished = done.load(Ordering::Acquire);
        if let Ok(mut file) = std::fs::File::open(path)
            && file.seek(SeekFrom::Start(offset)).is_ok()
        {
            let mut reader = BufReader::new(file);
            let mut line = String::new();
            while let Ok(n) = reader.read_line(&mut line) {
                if n == 0 {
                    break;
                }
                offset += n as u64;
                pending.push_str(&line);
                line.clear();
                if pending.ends_with('\n') {
                    if let Some(p) = progress_line(&pending) {
                        progress(&p);
                    }
                    pending.clear();
                }
            }
        }
        if finished {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Whole vendor heads from relaxed ones: up where the fraction is above `threshold` and every
/// interval of the block stays within the vendor's cap, down otherwise.
fn round_heads(input: &Input, keys: &Keys, heads: &[f64], threshold: f64) -> Vec<f64> {
    let s = input.scenario;
    let mut used: std::collections::BTreeMap<(usize, usize, usize), f64> = Default::default();
    let mut out: Vec<f64> = heads.iter().map(|h| (h + 1e-6).floor()).collect();
    for (b, block) in keys.blocks.iter().enumerate() {
        for &(i, _) in &block.presence {
            *used.entry((block.vendor, block.channel, i)).or_default() += out[b];
        }
    }
    for (b, block) in keys.blocks.iter().enumerate() {
        if heads[b] - out[b] <= threshold {
            continue;
        }
        let cap = s.vendors[block.vendor]
            .max_heads
            .iter()
            .find(|(c, _)| *c == block.channel)
            .map_or(0.0, |&(_, m)| f64::from(m));
        let fits = block.presence.iter().all(|&(i, _)| {
            used.get(&(block.vendor, block.channel, i))
                .copied()
                .unwrap_or(0.0)
                + 1.0
                <= cap
        });
        if fits {
            out[b] += 1.0;
            for &(i, _) in &block.presence {
                *used.entry((block.vendor, block.channel, i)).or_default() += 1.0;
            }
        }
    }
    out
}

/// What one HiGHS run gave.
struct Run {
    status: HighsModelStatus,
    values: Vec<f64>,
    rows: Vec<f64>,
    objective: f64,
    /// Dual bound (the objective for a linear program).
    bound: f64,
}

/// Runs HiGHS once on a built program.
fn run_highs(
    built: Built,
    options: &Options,
    relax: bool,
    time_limit: f64,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<(Run, Keys), RosterError> {
    let Built {
        problem,
        keys,
        columns,
        integer_columns,
        ..
    } = built;
    // Each run logs to a file of its own, appended to the solver log afterwards.
    let log: PathBuf =
        std::env::temp_dir().join(format!("peakplan-highs-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let mut model = problem
        .try_into_inner()
        .map_err(|e| RosterError::Solver(e.to_string()))?;
    let settings: [(&str, highs_option::Value); 9] = [
        ("output_flag", highs_option::Value::Bool(true)),
        ("log_to_console", highs_option::Value::Bool(false)),
        (
            "log_file",
            highs_option::Value::Text(log.to_string_lossy().into_owned()),
        ),
        (
            "time_limit",
            highs_option::Value::Float(time_limit.max(0.01)),
        ),
        (
            "mip_rel_gap",
            highs_option::Value::Float(options.relative_gap),
        ),
        // One thread and a fixed seed: the same program always gives the same roster.
        ("threads", highs_option::Value::Int(1)),
        ("random_seed", highs_option::Value::Int(0)),
        ("mip_abs_gap", highs_option::Value::Float(1e-6)),
        ("solve_relaxation", highs_option::Value::Bool(relax)),
    ];
    for (name, value) in settings {
        let ok = match value {
            highs_option::Value::Bool(v) => model.try_set_option(name, v).is_ok(),
            highs_option::Value::Int(v) => model.try_set_option(name, v).is_ok(),
            highs_option::Value::Float(v) => model.try_set_option(name, v).is_ok(),
            highs_option::Value::Text(v) => model.try_set_option(name, v.as_str()).is_ok(),
        };
        if !ok {
            return Err(RosterError::Solver(format!(
                "HiGHS refused the option {name}"
            )));
        }
    }
    let done = AtomicBool::new(false);
    let solved = std::thread::scope(|scope| {
        scope.spawn(|| follow_log(&log, &done, progress));
        let solved = model.try_solve();
        done.store(true, Ordering::Release);
        solved
    })
    .map_err(|e| RosterError::Solver(format!("{e:?}")))?;
    if let Some(path) = &options.solver_log {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
        if let Err(e) = appended {
            return Err(RosterError::Solver(format!(
                "cannot write {}: {e}",
                path.display()
            )));
        }
    }
    let _ = std::fs::remove_file(&log);
    let status = solved.status();
    let solution = solved.get_solution();
    let values = solution.columns().to_vec();
    let objective = solved.objective_value();
    let bound = if integer_columns > 0 && !relax {
        solved
            .double_info_value(c"mip_dual_bound")
            .ok()
            .filter(|b| b.is_finite())
            .unwrap_or(f64::NEG_INFINITY)
    } else {
        objective
    };
    let has_values = values.len() == columns
        && matches!(
            status,
            HighsModelStatus::Optimal | HighsModelStatus::ReachedTimeLimit
        )
        && solved.primal_solution_status() == highs::HighsSolutionStatus::Feasible;
    Ok((
        Run {
            status,
            values: if has_values { values } else { Vec::new() },
            rows: solution.rows().to_vec(),
            objective,
            bound,
        },
        keys,
    ))
}

/// The time kept back from the solver for what follows it (assignment, evaluation, the simulation
/// check, writing the files): 4 % of the limit, 1.5 to 10 s, at most a quarter of the limit.
fn reserve(options: &Options) -> Duration {
    let limit = options.time_limit_seconds.max(0.0);
    Duration::from_secs_f64((limit * 0.04).clamp(1.5, 10.0).min(limit * 0.25))
}

/// Seconds a solver run may still take before `deadline`, the reserve kept back.
fn solver_seconds_left(options: &Options, deadline: Instant) -> f64 {
    deadline
        .saturating_duration_since(Instant::now() + reserve(options))
        .as_secs_f64()
}

/// Whether a part of the program has a roster, proven by the solver.
pub enum Proof {
    /// No roster of this part exists.
    Infeasible,
    /// An optimal answer: column values through the keys.
    Solved { values: Vec<f64>, keys: Box<Keys> },
    /// Neither proven within the time given.
    Unknown,
}

/// Solves a part of the program to optimality (gap 0) within `seconds`.
pub fn prove(
    input: &Input,
    options: &Options,
    elastic: bool,
    scope: &model::Scope,
    seconds: f64,
) -> Result<Proof, RosterError> {
    let exact = Options {
        relative_gap: 0.0,
        solver_log: None,
        ..options.clone()
    };
    let built = model::build_scoped(input, &exact, elastic, None, scope);
    let (run, keys) = run_highs(built, &exact, false, seconds, &|_| {})?;
    Ok(match run.status {
        HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible => Proof::Infeasible,
        HighsModelStatus::Optimal if !run.values.is_empty() => Proof::Solved {
            values: run.values,
            keys: Box::new(keys),
        },
        _ => Proof::Unknown,
    })
}

/// Solves stage 1 within the time limit:
///
/// 1. the linear relaxation, whose optimum is a lower bound on every roster;
/// 2. the program with each integer column boxed between the whole numbers around its relaxed
///    value and breaks spread as relaxed — much smaller, given most of the time left;
/// 3. the vendor top-up: with that roster's shifts fixed, vendor heads relaxed again, rounded up
///    within the caps at a few thresholds and completed by the solver; the cheapest roster wins.
///
/// `Ok(None)` when no roster keeps every contract rule.
pub fn solve(
    input: &Input,
    options: &Options,
    elastic: bool,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Option<Solved>, RosterError> {
    let started = Instant::now();
    let deadline = options
        .deadline
        .unwrap_or_else(|| started + Duration::from_secs_f64(options.time_limit_seconds.max(0.0)));
    // What follows the solve (assignment, evaluation) gets a share of the limit kept back.
    let left = || solver_seconds_left(options, deadline);
    let with_phase = |phase: &'static str| move |line: &str| progress(&format!("{phase}: {line}"));
    if let Some(path) = &options.solver_log {
        let _ = std::fs::remove_file(path);
    }

    progress("building the roster program");
    let built = model::build(input, options, elastic, None);
    let (columns, integer_columns, rows) = (built.columns, built.integer_columns, built.rows);
    progress("solving the linear relaxation");
    let (lp, lp_keys) = run_highs(built, options, true, left(), &with_phase("relaxation"))?;
    match lp.status {
        HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible => return Ok(None),
        HighsModelStatus::Optimal => {}
        other => {
            return Err(RosterError::Solver(format!(
                "the linear relaxation stopped with {other:?}; raise --time-limit"
            )));
        }
    }
    let lower_bound = lp.bound;
    let mut phases = vec![Phase {
        name: "relaxation".into(),
        seconds: started.elapsed().as_secs_f64(),
        objective: None,
        bound: lp.bound,
    }];

    progress("rounding the relaxed roster");
    let relaxed = model::Relaxed::from_columns(&lp_keys, &lp.values);
    let boxed = model::build(input, options, elastic, Some(&relaxed));
    let (near, near_keys) =
        run_highs(boxed, options, false, left() * 0.8, &with_phase("rounding"))?;
    let elapsed = |phases: &[Phase]| {
        started.elapsed().as_secs_f64() - phases.iter().map(|p| p.seconds).sum::<f64>()
    };
    phases.push(Phase {
        name: "rounding".into(),
        seconds: elapsed(&phases),
        objective: (!near.values.is_empty()).then_some(near.objective),
        bound: near.bound,
    });
    let mut best = (!near.values.is_empty()).then_some((near, near_keys));

    // With the shifts of that roster fixed, buy the vendor heads again: vendors are the flexible
    // capacity that absorbs what rounding the shifts cost in service.
    let fixed = best.as_ref().map(|(near, near_keys)| model::Relaxed {
        shifts: near_keys
            .shifts
            .iter()
            .map(|&(_, _, col)| near.values[col].round())
            .collect(),
        heads: vec![0.0; near_keys.heads.len()],
        heads_box: model::HeadsBox::UpToCap,
        break_shares: relaxed.break_shares.clone(),
    });
    // Worth starting only with time for its runs.
    if let Some(fixed) = fixed.as_ref().filter(|_| left() > 0.5) {
        progress("topping up with vendor heads");
        let (top_best, lp_bound) = top_up(
            input,
            options,
            elastic,
            fixed,
            &left,
            &with_phase("vendor top-up"),
        )?;
        phases.push(Phase {
            name: "vendor top-up".into(),
            seconds: elapsed(&phases),
            objective: top_best.as_ref().map(|(b, _)| b.objective),
            bound: lp_bound,
        });
        if let Some((run, keys)) = top_best
            && best
                .as_ref()
                .is_some_and(|(near, _)| run.objective < near.objective - 1e-9)
        {
            best = Some((run, keys));
        }
    }

    let Some((best, keys)) = best else {
        return Err(RosterError::Solver(format!(
            "no roster was found within the time limit of {} s; raise --time-limit",
            options.time_limit_seconds
        )));
    };
    let report = SolveReport {
        status: SolveStatus::Optimal,
        objective: best.objective,
        lower_bound,
        seconds: started.elapsed().as_secs_f64(),
        columns,
        integer_columns,
        rows,
        phases,
        repair_rounds: 0,
    };
    Ok(Some(solved(options, best, keys, report, fixed, left())))
}

/// The vendor top-up: with the shifts of `fixed` fixed, vendor heads relaxed again, rounded up
/// within the caps at a few thresholds (more heads only add service) and each rounding completed
/// by the solver; the cheapest roster, and the relaxed top-up's bound.
fn top_up(
    input: &Input,
    options: &Options,
    elastic: bool,
    fixed: &model::Relaxed,
    left: &dyn Fn() -> f64,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<(Option<(Run, Keys)>, f64), RosterError> {
    let mut fixed = fixed.clone();
    let topped = model::build(input, options, elastic, Some(&fixed));
    let (lp_top, top_keys) = run_highs(topped, options, true, left(), progress)?;
    let mut top_best: Option<(Run, Keys)> = None;
    if !lp_top.values.is_empty() {
        let heads: Vec<f64> = top_keys
            .heads
            .iter()
            .map(|&(_, col)| lp_top.values[col])
            .collect();
        let thresholds = [0.05, 0.35, 0.65];
        for (t, threshold) in thresholds.into_iter().enumerate() {
            let share = left() / (thresholds.len() - t) as f64;
            if share < 0.05 {
                break;
            }
            fixed.heads = round_heads(input, &top_keys, &heads, threshold);
            fixed.heads_box = model::HeadsBox::Around;
            let program = model::build(input, options, elastic, Some(&fixed));
            let (run, keys) = run_highs(program, options, false, share, progress)?;
            if !run.values.is_empty()
                && top_best
                    .as_ref()
                    .is_none_or(|(b, _)| run.objective < b.objective - 1e-9)
            {
                top_best = Some((run, keys));
            }
        }
    }
    Ok((top_best, lp_top.bound))
}

/// Buys the vendor heads of `previous` again, its shifts fixed, under `options` (whose per-day
/// tightening asks more of the days that fell short). `None` when no time is left or no roster
/// came out.
pub fn repair(
    input: &Input,
    options: &Options,
    previous: &Solved,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Option<Solved>, RosterError> {
    let started = Instant::now();
    let Some(fixed) = &previous.fixed else {
        return Ok(None);
    };
    let deadline = options.deadline.unwrap_or(started);
    let left = || solver_seconds_left(options, deadline);
    if left() < 0.5 {
        return Ok(None);
    }
    // Heads may only be added to the previous roster's: the repair asks more of a few days.
    let mut fixed = fixed.clone();
    fixed.heads = previous
        .keys
        .heads
        .iter()
        .map(|&(_, col)| previous.columns[col].round().max(0.0))
        .collect();
    fixed.heads_box = model::HeadsBox::UpToCap;
    let phase = |line: &str| progress(&format!("repair, vendor top-up: {line}"));
    let (best, bound) = top_up(input, options, false, &fixed, &left, &phase)?;
    let Some((run, keys)) = best else {
        return Ok(None);
    };
    let mut report = previous.report.clone();
    report.phases.push(Phase {
        name: "repair".into(),
        seconds: started.elapsed().as_secs_f64(),
        objective: Some(run.objective),
        bound,
    });
    report.objective = run.objective;
    report.seconds += started.elapsed().as_secs_f64();
    Ok(Some(solved(
        options,
        run,
        keys,
        report,
        Some(fixed.clone()),
        left(),
    )))
}

/// Reads a run's answer back through its keys.
fn solved(
    options: &Options,
    best: Run,
    keys: Keys,
    mut report: SolveReport,
    fixed: Option<model::Relaxed>,
    left: f64,
) -> Solved {
    let gap_of = |objective: f64, bound: f64| {
        if objective.abs() < 1e-9 {
            0.0
        } else {
            (objective - bound) / objective.abs()
        }
    };
    let gap = gap_of(best.objective, report.lower_bound);
    let status = if gap <= 1e-6 {
        SolveStatus::Optimal
    } else if gap <= options.relative_gap {
        SolveStatus::GapReached
    } else if left <= 0.05 * options.time_limit_seconds {
        SolveStatus::TimeLimit
    } else {
        SolveStatus::GapAboveTarget
    };
    let values = best.values;
    let shift_counts = keys
        .shifts
        .iter()
        .filter_map(|&(p, k, col)| {
            let n = values[col].round().max(0.0) as u32;
            (n > 0).then_some((p, k, n))
        })
        .collect();
    let break_values = match &keys.break_shares {
        None => keys
            .breaks
            .iter()
            .filter_map(|&(k, r, o, col)| (values[col] > 1e-7).then_some((k, r, o, values[col])))
            .collect(),
        Some(shares) => {
            let mut per_slot = vec![0.0; keys.slots.len()];
            for &(_, k, col) in &keys.shifts {
                per_slot[k] += values[col].round().max(0.0);
            }
            let mut out = Vec::new();
            for (k, per_rule) in shares.iter().enumerate() {
                for (r, per_place) in per_rule.iter().enumerate() {
                    for (o, share) in per_place.iter().enumerate() {
                        if per_slot[k] * share > 1e-7 {
                            out.push((k, r, o, per_slot[k] * share));
                        }
                    }
                }
            }
            out
        }
    };
    let blocks = keys
        .heads
        .iter()
        .filter_map(|&(b, col)| {
            let heads = values[col].round().max(0.0) as u32;
            let slot = &keys.blocks[b];
            (heads > 0).then(|| VendorBlock {
                vendor: slot.vendor,
                date: slot.date,
                start: slot.start,
                end: slot.start + slot.length,
                channel: slot.channel,
                heads,
            })
        })
        .collect();
    report.status = status;
    Solved {
        report,
        shift_counts,
        break_values,
        blocks,
        row_activity: best.rows,
        columns: values,
        keys,
        fixed,
    }
}

#[cfg(test)]
mod tests {
    use super::progress_line;

    #[test]
    fn reads_a_branch_and_bound_line() {
        let line = " T       0       0         0   0.00%   8591.5          8604.25            0.15%        0      0      0      1234     3.4s\n";
        assert_eq!(
            progress_line(line).unwrap(),
            "solving: 3.4s elapsed, best roster so far 8,604, lower bound so far 8,592, gap 0.15% (provisional)"
        );
        assert!(progress_line("Presolving model\n").is_none());
    }
}
