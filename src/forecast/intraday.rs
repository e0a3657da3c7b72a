//! How the rest of a day follows its morning: the intraday re-forecast's rule, learned from the
//! channel's own history.
//!
//! When the actuals of a day run above or below its forecast until some time, the rest of the day
//! tends to keep part of that run: `ln(rest actual / rest forecast) ≈ β · ln(so-far actual /
//! so-far forecast)`. How much (β) and over which stretch of the morning (a day's level wanders
//! within the day, so the last hour may tell more than the first) differ between centres, so both
//! are learned: on each of the last usable days the model forecasts the day from the day before
//! (a day-ahead forecast, as the one being re-forecast), the so-far ratio is taken with the
//! intervals weighted by `exp(−age / τ)` (τ from a few candidates, `age` the minutes from the
//! interval to the cut), and β is the least-squares slope through the origin (within 0–1); the τ of
//! least squared error wins. With fewer than [`MIN_DAYS`] such days the prior rule
//! ([`super::intraday_factor`]) stands.

use super::models::{Model, Prepared};
use serde::{Deserialize, Serialize};

/// Days of history needed to learn the rule.
pub const MIN_DAYS: usize = 14;

/// Days back the rule is learned from.
const LEARN_DAYS: usize = 56;

/// Candidate decay times of the so-far weights, in minutes (`None`: every interval alike).
const DECAYS: [Option<f64>; 4] = [None, Some(240.0), Some(120.0), Some(60.0)];

/// Contacts added to both sides of the so-far ratio, so that a near-empty morning does not swing it.
const RATIO_PRIOR: f64 = 20.0;

/// The learned rule: the rest of the day is scaled by `(weighted actual / weighted plan)^β`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Persistence {
    /// How much of the morning's run the rest of the day keeps (0: none, 1: all of it).
    pub beta: f64,
    /// Decay time of the so-far weights in minutes; `None` when every interval so far counts alike.
    pub decay_minutes: Option<f64>,
    /// Days it was learned from.
    pub days: usize,
}

/// One interval before the cut: minutes from its middle to the cut, actual, plan.
pub type SoFar = (f64, f64, f64);

/// The intervals before a cut after `cut` slots of `interval_minutes`, from `(slot, actual, plan)`.
pub fn so_far(
    cut: usize,
    interval_minutes: u32,
    cells: impl Iterator<Item = (usize, f64, f64)>,
) -> Vec<SoFar> {
    cells
        .map(|(s, actual, plan)| {
            let age = ((cut - s) as f64 - 0.5) * f64::from(interval_minutes);
            (age, actual, plan)
        })
        .collect()
}

impl Persistence {
    /// The factor for the rest of a day from its intervals so far.
    pub fn factor(&self, so_far: &[SoFar]) -> f64 {
        (self.beta * log_ratio(so_far, self.decay_minutes)).exp()
    }

    /// Learns the rule for a cut after `cut` slots from the usable days before `until` (at most
    /// [`LEARN_DAYS`]), each forecast by `model` from the day before; `None` with fewer than
    /// [`MIN_DAYS`] days whose morning and rest both have volume.
    pub fn learn(
        p: &Prepared,
        model: &dyn Model,
        until: usize,
        cut: usize,
        interval_minutes: u32,
    ) -> Option<Persistence> {
        Persistence::fit(&DayAhead::collect(p, model, until), cut, interval_minutes)
    }

    /// The rule for a cut after `cut` slots, fitted on the days' day-ahead forecasts.
    pub fn fit(days: &DayAhead, cut: usize, interval_minutes: u32) -> Option<Persistence> {
        // Per day: the intervals so far, and ln(rest actual / rest forecast).
        let mut runs: Vec<(Vec<SoFar>, f64)> = Vec::new();
        for day in &days.days {
            let so_far = so_far(
                cut,
                interval_minutes,
                day.iter().copied().filter(|c| c.0 < cut),
            );
            let (rest_actual, rest_plan) = day
                .iter()
                .filter(|c| c.0 >= cut)
                .fold((0.0, 0.0), |(a, f), c| (a + c.1, f + c.2));
            let planned_so_far: f64 = so_far.iter().map(|x| x.2).sum();
            if planned_so_far <= 0.0 || rest_actual <= 0.0 || rest_plan <= 0.0 {
                continue;
            }
            runs.push((so_far, (rest_actual / rest_plan).ln()));
        }
        if runs.len() < MIN_DAYS {
            return None;
        }
        DECAYS
            .iter()
            .map(|&decay| {
                let xs: Vec<(f64, f64)> = runs
                    .iter()
                    .map(|(so_far, y)| (log_ratio(so_far, decay), *y))
                    .collect();
                let xx: f64 = xs.iter().map(|(x, _)| x * x).sum();
                let xy: f64 = xs.iter().map(|(x, y)| x * y).sum();
                let beta = if xx > 0.0 {
                    (xy / xx).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let sse: f64 = xs.iter().map(|(x, y)| (y - beta * x).powi(2)).sum();
                (
                    Persistence {
                        beta,
                        decay_minutes: decay,
                        days: runs.len(),
                    },
                    sse,
                )
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(rule, _)| rule)
    }
}

/// The last usable days before an origin (at most [`LEARN_DAYS`]), each with its open intervals'
/// `(slot, actual, day-ahead forecast)`: what the rule is learned from, at any cut.
#[derive(Debug, Clone)]
pub struct DayAhead {
    days: Vec<Vec<(usize, f64, f64)>>,
}

impl DayAhead {
    /// Forecasts each of the usable days before `until` with `model` from the day before.
    pub fn collect(p: &Prepared, model: &dyn Model, until: usize) -> DayAhead {
        let slots = p.slots();
        let days = (28..until)
            .rev()
            .filter(|&d| p.usable(d))
            .take(LEARN_DAYS)
            .map(|d| {
                let day = p.days[d];
                let forecast = model.forecast(p, d, &[day]).remove(0);
                (0..slots)
                    .filter(|&s| p.calendar.is_open(day, s))
                    .map(|s| (s, p.volume[d][s], forecast[s]))
                    .collect()
            })
            .collect();
        DayAhead { days }
    }

    /// The rule at each whole hour of the day (a cut after every hour's last interval), where it
    /// can be learned: what a published plan's live re-forecast applies.
    pub fn hourly_rules(&self, slots: usize, interval_minutes: u32) -> Vec<CutRule> {
        let per_hour = (60 / interval_minutes.max(1)).max(1) as usize;
        (1..)
            .map(|h| h * per_hour)
            .take_while(|&cut| cut < slots)
            .filter_map(|cut| {
                Persistence::fit(self, cut, interval_minutes).map(|rule| CutRule {
                    through_minutes: cut as u32 * interval_minutes,
                    rule,
                })
            })
            .collect()
    }
}

/// The rule learned for actuals known up to a local time of day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CutRule {
    /// Minutes after local midnight up to which the actuals are known.
    pub through_minutes: u32,
    pub rule: Persistence,
}

/// The rule of the latest cut at or before `minutes` after local midnight, if any.
pub fn rule_at(rules: &[CutRule], minutes: u32) -> Option<&CutRule> {
    rules.iter().rfind(|r| r.through_minutes <= minutes)
}

/// `ln` of the weighted actual over the weighted plan so far, each with [`RATIO_PRIOR`] contacts
/// (weighted alike) added.
fn log_ratio(so_far: &[SoFar], decay: Option<f64>) -> f64 {
    let weight = |age: f64| decay.map_or(1.0, |tau| (-age / tau).exp());
    let (mut actual, mut plan, mut weights, mut count) = (0.0, 0.0, 0.0, 0.0);
    for &(age, a, f) in so_far {
        let w = weight(age);
        actual += w * a;
        plan += w * f;
        weights += w;
        count += 1.0;
    }
    if plan <= 0.0 || count == 0.0 {
        return 0.0;
    }
    // The prior in the units of the weighted sums: as many contacts as RATIO_PRIOR, scaled by the
    // mean weight.
    let prior = RATIO_PRIOR * weights / count;
    ((actual + prior) / (plan + prior)).ln()
}
