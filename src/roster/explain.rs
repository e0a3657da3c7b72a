//! Why no roster exists: which agents, which rules.
//!
//! Coverage and service always have a priced slack, so only contract rules can make the program
//! infeasible, and of those only the weekly minimum asks for work (the others cap it). Two steps:
//! a direct check of each group's weekly minimum against what its availability, templates, shift
//! limit and hour limit allow; then, when the solver still finds no roster (rest and consecutive
//! days can combine against a minimum), the contract rows alone are solved to optimality with a
//! priced slack on every minimum, and each group that needs slack is reported with the rules a
//! deletion filter proves the clash needs.

use super::Input;
use super::model::Scope;
use super::model::{Rule, prorated_min, weeks};
use super::slots::{self, Pool};
use super::solve::{self, Proof};
use super::{Options, RosterError};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// One clash between contract rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    pub group: String,
    /// The agents concerned.
    pub agents: Vec<String>,
    /// First day of the week concerned.
    pub week: NaiveDate,
    /// The rules that cannot all hold, by their scenario names.
    pub rules: Vec<String>,
    pub detail: String,
    pub fix: String,
}

fn agent_list(input: &Input, pool: &Pool) -> Vec<String> {
    pool.agents
        .iter()
        .map(|&a| input.scenario.agents[a].id.clone())
        .collect()
}

fn who(agents: &[String]) -> String {
    match agents {
        [] => String::new(),
        [one] => format!("agent {one}"),
        [first, .., last] => format!("agents {first} … {last} ({})", agents.len()),
    }
}

/// The readable explanation.
pub fn describe(conflicts: &[Conflict]) -> String {
    if conflicts.is_empty() {
        return "no roster satisfies every contract rule, and no single rule could be named; \
                check agents' availability against their contract minimums"
            .into();
    }
    let mut out = String::from("no roster can keep every contract rule:");
    for c in conflicts {
        out.push_str(&format!(
            "\n  - {} (group {}), week of {}: {} conflict — {}; fix: {}",
            who(&c.agents),
            c.group,
            c.week,
            c.rules.join(" + "),
            c.detail,
            c.fix
        ));
    }
    out
}

/// Weekly minimums no schedule of the group can reach, whatever the rest of the roster does.
pub fn precheck(input: &Input) -> Vec<Conflict> {
    let s = input.scenario;
    let days: Vec<NaiveDate> = s.horizon.days().collect();
    let mut out = Vec::new();
    for pool in slots::pools(input) {
        let agent = &s.agents[pool.agents[0]];
        let c = agent.contract;
        let templates: Vec<_> = agent
            .templates
            .iter()
            .map(|&t| &s.shift_templates[t])
            .collect();
        for (first, week_days) in weeks(input) {
            let min = prorated_min(c.min_hours_week, week_days.len());
            if min <= 0.0 {
                continue;
            }
            // The longest paid shift the agent could work on each day.
            let per_day: Vec<f64> = week_days
                .iter()
                .map(|&d| {
                    templates
                        .iter()
                        .filter(|t| {
                            t.starts()
                                .any(|st| agent.available(days[d], st, st + t.length_minutes))
                        })
                        .map(|t| f64::from(t.paid_minutes()) / 60.0)
                        .fold(0.0, f64::max)
                })
                .collect();
            let mut best: Vec<f64> = per_day.clone();
            best.sort_by(|a, b| b.total_cmp(a));
            let open_days = best.iter().filter(|h| **h > 0.0).count();
            let by_shifts: f64 = best.iter().take(c.max_shifts_week as usize).sum();
            let cap = c.max_hours_week + agent.overtime.map_or(0.0, |o| o.hours_week);
            let reach = by_shifts.min(cap);
            if reach + 1e-9 >= min {
                continue;
            }
            let mut rules = vec!["min_hours_week".to_string()];
            let longest = best.first().copied().unwrap_or(0.0);
            let (detail, fix) = if cap < min {
                rules.push("max_hours_week".into());
                (
                    format!(
                        "needs {min:.1} h but max_hours_week (with overtime) allows {cap:.1} h"
                    ),
                    "make min_hours_week at most max_hours_week".to_string(),
                )
            } else if open_days < c.max_shifts_week as usize && open_days as f64 * longest < min {
                rules.push("unavailable".into());
                (
                    format!(
                        "needs {min:.1} h but is available on only {open_days} day(s) of the week, at most {reach:.1} h"
                    ),
                    "lower min_hours_week for that week or free more days".to_string(),
                )
            } else {
                rules.push("max_shifts_week".into());
                rules.push("templates".into());
                (
                    format!(
                        "needs {min:.1} h but {} shifts of at most {longest:.1} paid h give {reach:.1} h",
                        c.max_shifts_week.min(open_days as u32)
                    ),
                    "raise max_shifts_week, allow a longer template or lower min_hours_week"
                        .to_string(),
                )
            };
            out.push(Conflict {
                group: pool.group.clone(),
                agents: agent_list(input, &pool),
                week: days[first],
                rules,
                detail,
                fix,
            });
        }
    }
    out
}

/// The clashes the solver proves: the contract rows alone (no demand, no vendors) are solved to
/// optimality with a priced slack on every weekly minimum, so a minimum takes slack only where no
/// roster can hold it. For each group that needs slack, a deletion filter over its rules — leave
/// one rule out, solve the group's rows again, keep the rule out while they stay infeasible — leaves
/// the rules each of which the clash needs: only those are named.
pub fn proven(
    input: &Input,
    options: &Options,
    seconds: f64,
) -> Result<Vec<Conflict>, RosterError> {
    let started = std::time::Instant::now();
    let left = || (seconds - started.elapsed().as_secs_f64()).max(0.05);
    let all = Scope {
        contracts_only: true,
        ..Scope::default()
    };
    let Proof::Solved { values, keys } = solve::prove(input, options, true, &all, left())? else {
        return Ok(Vec::new());
    };
    let s = input.scenario;
    let days: Vec<NaiveDate> = s.horizon.days().collect();
    let mut named: BTreeMap<usize, Vec<Rule>> = BTreeMap::new();
    let mut out = Vec::new();
    for row in &keys.rules {
        let Some(col) = row.slack else { continue };
        let missing = values[col];
        if missing <= 1e-6 {
            continue;
        }
        let pool = &keys.pools[row.pool];
        let size = pool.size();
        if let std::collections::btree_map::Entry::Vacant(slot) = named.entry(row.pool) {
            let mut without: Vec<Rule> = Vec::new();
            for rule in [
                Rule::MaxHoursWeek,
                Rule::MaxShiftsWeek,
                Rule::OneShiftPerDay,
                Rule::MaxConsecutiveDays,
                Rule::MinRest,
            ] {
                let mut trial = without.clone();
                trial.push(rule);
                let scope = Scope {
                    contracts_only: true,
                    pool: Some(row.pool),
                    without: trial.clone(),
                };
                if matches!(
                    solve::prove(input, options, false, &scope, left())?,
                    Proof::Infeasible
                ) {
                    without = trial;
                }
            }
            let needed = [
                Rule::MaxHoursWeek,
                Rule::MaxShiftsWeek,
                Rule::OneShiftPerDay,
                Rule::MaxConsecutiveDays,
                Rule::MinRest,
            ]
            .into_iter()
            .filter(|r| !without.contains(r))
            .collect();
            slot.insert(needed);
        }
        let mut rules = vec![Rule::MinHoursWeek.name().to_string()];
        rules.extend(named[&row.pool].iter().map(|r| r.name().to_string()));
        let detail = match row.rule {
            Rule::MinShiftsWeek => format!(
                "the minimum takes {:.0} shifts per agent but at most {:.1} per agent fit",
                row.bound / size,
                (row.bound - missing) / size
            ),
            _ => format!(
                "the group owes {:.1} h per agent but at most {:.1} h per agent fit",
                row.bound / size,
                (row.bound - missing) / size
            ),
        };
        // The hours and the whole shifts of one week are one clash.
        if let Some(same) = out
            .iter_mut()
            .find(|c: &&mut Conflict| c.group == pool.group && c.week == days[row.first_day])
        {
            same.detail = format!("{}; {detail}", same.detail);
            continue;
        }
        out.push(Conflict {
            group: pool.group.clone(),
            agents: agent_list(input, pool),
            week: days[row.first_day],
            detail,
            rules,
            fix: "relax one of these rules for this group, or lower min_hours_week".into(),
        });
    }
    Ok(out)
}
