//! Why no roster exists: which agents, which rules.
//!
//! Coverage and service always have a priced slack, so only contract rules can make the program
//! infeasible, and of those only the weekly minimum asks for work (the others cap it). Two steps:
//! a direct check of each group's weekly minimum against what its availability, templates, shift
//! limit and hour limit allow; then, when the solver still finds no roster (rest and consecutive
//! days can combine against a minimum), the program is solved again with a priced slack on every
//! minimum, and each minimum that needed slack is reported with the rules that were binding
//! alongside it in that week.

use super::Input;
use super::model::{Rule, prorated_min, weeks};
use super::slots::{self, Pool};
use super::solve::Solved;
use chrono::NaiveDate;
use serde::Serialize;

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

/// Reads the elastic program's answer: every weekly minimum that needed slack, with the rules of
/// the same group that were binding in that week.
pub fn from_slack(input: &Input, solved: &Solved) -> Vec<Conflict> {
    let s = input.scenario;
    let days: Vec<NaiveDate> = s.horizon.days().collect();
    let keys = &solved.keys;
    let week_list = weeks(input);
    let mut out = Vec::new();
    for row in &keys.rules {
        let Some(col) = row.slack else { continue };
        let missing = solved.columns[col];
        if missing <= 1e-6 {
            continue;
        }
        let pool = &keys.pools[row.pool];
        let size = pool.size();
        let week_days = week_list
            .iter()
            .find(|(f, _)| *f == row.first_day)
            .map(|(_, d)| d.clone())
            .unwrap_or_default();
        let mut rules = vec![Rule::MinHoursWeek.name().to_string()];
        for other in keys
            .rules
            .iter()
            .filter(|r| r.pool == row.pool && r.rule != Rule::MinHoursWeek)
        {
            let in_week = week_days.contains(&other.first_day) || other.first_day == row.first_day;
            let activity = solved.row_activity.get(other.row).copied().unwrap_or(0.0);
            if in_week && activity >= other.bound - 1e-6 {
                let name = other.rule.name().to_string();
                if !rules.contains(&name) {
                    rules.push(name);
                }
            }
        }
        out.push(Conflict {
            group: pool.group.clone(),
            agents: agent_list(input, pool),
            week: days[row.first_day],
            detail: match row.rule {
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
            },
            rules,
            fix: "relax one of these rules for this group, or lower min_hours_week".into(),
        });
    }
    out
}
