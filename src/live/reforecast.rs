//! Intraday re-forecast from today's actuals, and what to do about it.
//!
//! The rest of the day is scaled by the rule the plan's forecast learned from the channel's history
//! for the latest whole hour at or before the cut ([`crate::forecast::intraday`]: how much of the
//! morning's run the rest of the day keeps), or, for a plan that carries none, by the prior rule
//! ([`crate::forecast::intraday_factor`]: actual over planned so far, shrunk toward the plan); the
//! requirement is recomputed by the queueing engine for each remaining interval, and the shortfall
//! against the agents expected on shift becomes suggestions: first extend shifts that end while the
//! channel is short (up to two hours, latest-ending first), then ask vendors with spare capacity for
//! heads over what is still short.

use super::edit::{Clock, EditError, local};
use super::{LivePlan, LiveView};
use crate::forecast::{intraday, intraday_factor};
use crate::queueing::{Queue, Seconds};
use crate::scenario::ChannelKind;
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// Contacts that arrived on one channel in one interval today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Actual {
    pub channel: String,
    /// Local start of the interval.
    pub start: Clock,
    pub volume: f64,
}

/// Today's actuals up to `through`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Actuals {
    pub date: NaiveDate,
    /// Local time up to which the actuals are complete.
    pub through: Clock,
    pub actuals: Vec<Actual>,
}

/// One channel's re-forecast.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ChannelReforecast {
    pub channel: String,
    pub actual_so_far: f64,
    pub planned_so_far: f64,
    /// What the rest of the day as a whole was scaled by (a learned rule scales the intervals soon
    /// after the cut by its β for their lead band, so the factor of each may differ).
    pub factor: f64,
    /// The rule learned from the channel's history that gave the factor (for the latest whole hour
    /// at or before the cut); `null`: the plan carries none, the prior rule did.
    pub rule: Option<intraday::CutRule>,
    pub rest_of_day_planned: f64,
    pub rest_of_day_forecast: f64,
    /// Agents short summed over the remaining intervals (agent-intervals), before suggestions.
    pub short_agent_intervals: u32,
}

/// A suggested live edit, in the same form as the edit endpoint takes it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    pub reason: String,
    pub edit: super::edit::Edit,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Reforecast {
    pub date: NaiveDate,
    pub through: Clock,
    pub channels: Vec<ChannelReforecast>,
    /// The suggestions in a few lines: extensions grouped by channel and new end, vendor asks.
    pub summary: Vec<String>,
    pub suggestions: Vec<Suggestion>,
}

/// Longest extension suggested for one shift.
const MAX_EXTENSION_MINUTES: i64 = 120;

fn bad<T>(field: &'static str, message: String) -> Result<T, EditError> {
    super::edit::fail(field, message)
}

/// The most contacts an interval's actuals may count (far beyond any contact centre's).
const MAX_VOLUME: f64 = 1e6;

/// Re-forecasts the rest of `actuals.date` and suggests edits covering the new shortfall.
///
/// Stops early when `cancel` is set (its caller is gone; nobody reads the error).
pub fn reforecast(
    view: &LiveView,
    actuals: &Actuals,
    cancel: &super::Cancel,
) -> Result<Reforecast, EditError> {
    let plan = &view.plan;
    let tz = plan.tz();
    plan.check_date("date", actuals.date)?;
    let day = plan.day_intervals(actuals.date);
    let through_at = super::instant(tz, actuals.date, actuals.through.minutes());
    let cut = plan
        .interval_at(through_at)
        .unwrap_or(day.end)
        .clamp(day.start, day.end);
    let mut actual = vec![vec![None::<f64>; plan.intervals]; plan.channels.len()];
    for (k, a) in actuals.actuals.iter().enumerate() {
        let Some(c) = plan.channel_index(&a.channel) else {
            let ids: Vec<&str> = plan.channels.iter().map(|c| c.id.as_str()).collect();
            return bad(
                "actuals[].channel",
                format!(
                    "actuals[{k}]: unknown channel `{}`; channels: {}",
                    a.channel,
                    ids.join(", ")
                ),
            );
        };
        if !(0.0..=MAX_VOLUME).contains(&a.volume) {
            return bad(
                "actuals[].volume",
                format!(
                    "actuals[{k}]: volume must be a number from 0 to {MAX_VOLUME}, got {}",
                    a.volume
                ),
            );
        }
        let t = super::instant(tz, actuals.date, a.start.minutes());
        let i = plan.interval_at(t).filter(|&i| plan.interval_start(i) == t);
        match i {
            Some(i) if i >= day.start && i < cut => actual[c][i] = Some(a.volume),
            _ => {
                return bad(
                    "actuals[].start",
                    format!(
                        "actuals[{k}]: {} is not the start of a {}-minute interval of {} before {}",
                        String::from(a.start),
                        plan.interval_minutes,
                        actuals.date,
                        String::from(actuals.through)
                    ),
                );
            }
        }
    }

    // Minutes after local midnight of the cut.
    let cut_minutes = if cut < day.end {
        let local = plan.interval_start(cut).with_timezone(&tz);
        local.hour() * 60 + local.minute()
    } else {
        actuals.through.minutes()
    };
    let mut channels = Vec::new();
    let mut short: Vec<Vec<u32>> = vec![vec![0; plan.intervals]; plan.channels.len()];
    for (c, ch) in plan.channels.iter().enumerate() {
        let open = |i: usize| ch.demand[i].open;
        let reported: Vec<usize> = (day.start..cut)
            .filter(|&i| open(i) && actual[c][i].is_some())
            .collect();
        // `+ 0.0`: an empty sum of floats is −0.0.
        let actual_so_far: f64 = reported.iter().filter_map(|&i| actual[c][i]).sum::<f64>() + 0.0;
        let planned_so_far: f64 = reported.iter().map(|&i| ch.demand[i].volume).sum::<f64>() + 0.0;
        let day_plan: f64 = day.clone().map(|i| ch.demand[i].volume).sum();
        // The rule learned for the latest whole hour at or before the cut, else the prior rule.
        let rule = intraday::rule_at(&ch.intraday_rules, cut_minutes).copied();
        let factors = if planned_so_far > 0.0 {
            intraday::rest_factors(
                rule.as_ref().map(|r| &r.rule),
                &intraday::so_far(
                    cut,
                    plan.interval_minutes,
                    reported
                        .iter()
                        .map(|&i| (i, actual[c][i].unwrap_or(0.0), ch.demand[i].volume)),
                ),
                intraday_factor(actual_so_far, planned_so_far, day_plan),
                cut,
                plan.interval_minutes,
                cut..day.end,
            )
        } else {
            vec![1.0; day.end.saturating_sub(cut)]
        };
        let rest_planned: f64 = (cut..day.end).map(|i| ch.demand[i].volume).sum();
        let rest_forecast: f64 = (cut..day.end)
            .zip(&factors)
            .map(|(i, f)| ch.demand[i].volume * f)
            .sum();
        let mut total_short = 0;
        for (i, row) in short[c].iter_mut().enumerate().take(day.end).skip(cut) {
            if cancel.is_cancelled() {
                return bad("request", "cancelled: the request is gone".into());
            }
            let factor = factors[i - cut];
            let mut d = ch.demand[i].clone();
            d.volume *= factor;
            d.offered_load *= factor;
            let need = required(ch.kind, &ch.target, &d);
            let p = &view.projection[c][i];
            let gap = (f64::from(need) - (p.core + p.elastic)).ceil().max(0.0) as u32;
            *row = if d.open { gap } else { 0 };
            total_short += *row;
        }
        channels.push(ChannelReforecast {
            channel: ch.id.clone(),
            actual_so_far,
            planned_so_far,
            factor: if rest_planned > 0.0 {
                rest_forecast / rest_planned
            } else {
                1.0
            },
            rule,
            rest_of_day_planned: rest_planned,
            rest_of_day_forecast: rest_forecast,
            short_agent_intervals: total_short,
        });
    }

    let suggestions = suggest(plan, actuals.date, cut..day.end, &mut short);
    Ok(Reforecast {
        date: actuals.date,
        through: actuals.through,
        channels,
        summary: summarise(plan, &suggestions),
        suggestions,
    })
}

/// "extend 25 voice shifts to 22:00", "ask bpo-north for 15 chat heads 14:00–21:30".
fn summarise(plan: &LivePlan, suggestions: &[Suggestion]) -> Vec<String> {
    use super::edit::Edit;
    let mut extensions: std::collections::BTreeMap<(String, Clock), usize> =
        std::collections::BTreeMap::new();
    let mut lines = Vec::new();
    for s in suggestions {
        match &s.edit {
            Edit::ChangeShift {
                agent,
                date,
                end: Some(end),
                ..
            } => {
                let channel = plan
                    .shifts
                    .iter()
                    .find(|x| &x.agent == agent && x.date == *date)
                    .map_or_else(String::new, |x| x.channel.clone());
                *extensions.entry((channel, *end)).or_default() += 1;
            }
            Edit::VendorHeads {
                vendor,
                channel,
                start,
                end,
                heads,
                ..
            } => lines.push(format!(
                "ask {vendor} for {heads} {channel} heads {}–{}",
                String::from(*start),
                String::from(*end)
            )),
            _ => {}
        }
    }
    let mut out: Vec<String> = extensions
        .into_iter()
        .map(|((channel, end), n)| {
            format!(
                "extend {n} {channel} shift{} to {}",
                if n == 1 { "" } else { "s" },
                String::from(end)
            )
        })
        .collect();
    out.extend(lines);
    out
}

/// Agents to have on shift for `d`: the queueing requirement over (1 − shrinkage), or the work
/// rate for deferred channels.
fn required(kind: ChannelKind, target: &crate::scenario::ServiceTarget, d: &super::Demand) -> u32 {
    if !d.open || d.volume <= 0.0 || d.aht_seconds <= 0.0 {
        return 0;
    }
    let on_phone = match (kind.queue_model(), target.staffing_target()) {
        (Some(model), Some(t)) => Seconds::new(d.aht_seconds)
            .ok()
            .and_then(|aht| Queue::new(d.offered_load / d.aht_seconds, aht, model).ok())
            .and_then(|q| q.required_agents(&t).ok())
            .map_or(0.0, |m| f64::from(m.agents)),
        _ => d.offered_load,
    };
    (on_phone / (1.0 - d.shrinkage).max(0.05)).ceil() as u32
}

fn suggest(
    plan: &LivePlan,
    date: NaiveDate,
    rest: std::ops::Range<usize>,
    short: &mut [Vec<u32>],
) -> Vec<Suggestion> {
    use super::edit::Edit;
    let tz = plan.tz();
    let midnight = super::instant(tz, date, 0);
    let clock = |t: DateTime<Utc>| {
        Clock::try_from(format!(
            "{:02}:{:02}",
            (t - midnight).num_minutes() / 60,
            (t - midnight).num_minutes() % 60
        ))
        .expect("times inside the plan's day are valid clock times")
    };
    let len = plan.interval_length();
    let mut out = Vec::new();
    for (c, ch) in plan.channels.iter().enumerate() {
        if matches!(ch.kind, ChannelKind::Email) {
            continue;
        }
        // Shifts on this channel that end while it is short, latest end first.
        let mut shifts: Vec<_> = plan
            .shifts
            .iter()
            .filter(|s| s.channel == ch.id && s.date == date && s.absent_from.is_none())
            .filter(|s| plan.interval_at(s.end).is_some_and(|i| rest.contains(&i)))
            .collect();
        shifts.sort_by(|a, b| (b.end, &a.agent).cmp(&(a.end, &b.agent)));
        for s in shifts {
            let Some(first) = plan.interval_at(s.end) else {
                continue;
            };
            let mut until = first;
            while until < rest.end
                && short[c][until] > 0
                && (plan.interval_start(until) + len - s.end).num_minutes() <= MAX_EXTENSION_MINUTES
            {
                until += 1;
            }
            if until == first {
                continue;
            }
            for row in short[c].iter_mut().take(until).skip(first) {
                *row -= 1;
            }
            let end = plan.interval_start(until);
            out.push(Suggestion {
                reason: format!(
                    "{} is short from {} on the re-forecast; {} ends at {}",
                    ch.id,
                    local(tz, plan.interval_start(first)),
                    s.agent,
                    local(tz, s.end)
                ),
                edit: Edit::ChangeShift {
                    agent: s.agent.clone(),
                    date,
                    start: None,
                    end: Some(clock(end)),
                },
            });
        }
        // What is still short: one block per vendor with spare capacity, over the short span.
        let span: Vec<usize> = rest.clone().filter(|&i| short[c][i] > 0).collect();
        let (Some(&a), Some(&b)) = (span.first(), span.last()) else {
            continue;
        };
        let mut need = span.iter().map(|&i| short[c][i]).max().unwrap_or(0);
        let (from, to) = (plan.interval_start(a), plan.interval_start(b) + len);
        for v in &plan.vendors {
            if need == 0 {
                break;
            }
            let Some(&cap) = v.max_heads.get(&ch.id) else {
                continue;
            };
            let busy = plan
                .blocks
                .iter()
                .filter(|x| x.vendor == v.id && x.channel == ch.id && x.start < to && from < x.end)
                .map(|x| x.heads)
                .max()
                .unwrap_or(0);
            let heads = cap.saturating_sub(busy).min(need);
            if heads == 0 {
                continue;
            }
            need -= heads;
            out.push(Suggestion {
                reason: format!(
                    "{} is still short by up to {} agents between {} and {}",
                    ch.id,
                    heads + need,
                    local(tz, from),
                    local(tz, to)
                ),
                edit: Edit::VendorHeads {
                    vendor: v.id.clone(),
                    date,
                    channel: ch.id.clone(),
                    start: clock(from),
                    end: clock(to),
                    heads,
                },
            });
        }
    }
    out
}
