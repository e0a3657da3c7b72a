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
//! least squared error wins. A day's level wanders within the day, so the next half hour keeps more
//! of the morning's run than the evening does: β is also fitted per lead band after the cut
//! ([`LEAD_BANDS`]), each band's log ratio weighted by its planned volume, and each interval of the
//! rest is scaled by its band's β. With fewer than [`MIN_DAYS`] such days the prior rule
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

/// Where the lead bands after the cut end, in minutes: the rule has a β for the intervals that start
/// within 30, 90 and 240 minutes of the cut, and one for the rest of the day.
pub const LEAD_BANDS: [u32; 3] = [30, 90, 240];

/// The lead band of an interval starting `lead_minutes` after the cut.
fn lead_band(lead_minutes: u32) -> usize {
    LEAD_BANDS
        .iter()
        .position(|&end| lead_minutes < end)
        .unwrap_or(LEAD_BANDS.len())
}

/// The learned rule: the rest of the day is scaled by `(weighted actual / weighted plan)^β`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Persistence {
    /// How much of the morning's run the rest of the day as a whole keeps (0: none, 1: all of it).
    pub beta: f64,
    /// The same by how soon after the cut an interval starts, four numbers: within 30, 90 and 240
    /// minutes of the cut, and later. Absent from rules stored before it: `beta` throughout.
    #[serde(default)]
    pub beta_by_lead: Option<[f64; 4]>,
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
    /// The morning's run the rule scales by: `ln` of the weighted actual over the weighted plan.
    pub fn run(&self, so_far: &[SoFar]) -> f64 {
        log_ratio(so_far, self.decay_minutes)
    }

    /// The factor for the rest of a day as a whole from its intervals so far.
    pub fn factor(&self, so_far: &[SoFar]) -> f64 {
        (self.beta * self.run(so_far)).exp()
    }

    /// The factor for an interval starting `lead_minutes` after the cut, given the morning's `run`.
    pub fn factor_at(&self, run: f64, lead_minutes: u32) -> f64 {
        let beta = self
            .beta_by_lead
            .map_or(self.beta, |b| b[lead_band(lead_minutes)]);
        (beta * run).exp()
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
        // Per day: the intervals so far, ln(rest actual / rest forecast), and (actual, forecast)
        // per lead band.
        type Bands = [(f64, f64); LEAD_BANDS.len() + 1];
        let mut runs: Vec<(Vec<SoFar>, f64, Bands)> = Vec::new();
        for day in &days.days {
            let so_far = so_far(
                cut,
                interval_minutes,
                day.iter().copied().filter(|c| c.0 < cut),
            );
            let mut bands: Bands = Default::default();
            for c in day.iter().filter(|c| c.0 >= cut) {
                let band = &mut bands[lead_band((c.0 - cut) as u32 * interval_minutes)];
                band.0 += c.1;
                band.1 += c.2;
            }
            let rest_actual: f64 = bands.iter().map(|b| b.0).sum();
            let rest_plan: f64 = bands.iter().map(|b| b.1).sum();
            let planned_so_far: f64 = so_far.iter().map(|x| x.2).sum();
            if planned_so_far <= 0.0 || rest_actual <= 0.0 || rest_plan <= 0.0 {
                continue;
            }
            runs.push((so_far, (rest_actual / rest_plan).ln(), bands));
        }
        if runs.len() < MIN_DAYS {
            return None;
        }
        let rule = DECAYS
            .iter()
            .map(|&decay| {
                let xs: Vec<(f64, f64)> = runs
                    .iter()
                    .map(|(so_far, y, _)| (log_ratio(so_far, decay), *y))
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
                        beta_by_lead: None,
                        decay_minutes: decay,
                        days: runs.len(),
                    },
                    sse,
                )
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(rule, _)| rule)?;
        // β per lead band at the chosen weighting: each day's band log ratio (with the prior's
        // contacts on both sides) weighted by its planned volume; the whole rest's β where a band
        // has too few days.
        let xs: Vec<f64> = runs.iter().map(|(so_far, _, _)| rule.run(so_far)).collect();
        let mut beta_by_lead = [rule.beta; LEAD_BANDS.len() + 1];
        for (b, beta) in beta_by_lead.iter_mut().enumerate() {
            let (mut xx, mut xy, mut count) = (0.0, 0.0, 0);
            for ((_, _, bands), &x) in runs.iter().zip(&xs) {
                let (actual, plan) = bands[b];
                if plan <= 0.0 {
                    continue;
                }
                let y = ((actual + RATIO_PRIOR) / (plan + RATIO_PRIOR)).ln();
                xx += plan * x * x;
                xy += plan * x * y;
                count += 1;
            }
            if count >= MIN_DAYS && xx > 0.0 {
                *beta = (xy / xx).clamp(0.0, 1.0);
            }
        }
        Some(Persistence {
            beta_by_lead: Some(beta_by_lead),
            ..rule
        })
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

/// The factor of each interval of `rest` (slots after a cut after `cut` slots): `rule`'s by the
/// interval's lead band for the morning's `so_far`, else `prior` (the prior rule's) throughout.
pub fn rest_factors(
    rule: Option<&Persistence>,
    so_far: &[SoFar],
    prior: f64,
    cut: usize,
    interval_minutes: u32,
    rest: std::ops::Range<usize>,
) -> Vec<f64> {
    match rule {
        Some(rule) => {
            let run = rule.run(so_far);
            rest.map(|s| rule.factor_at(run, (s - cut) as u32 * interval_minutes))
                .collect()
        }
        None => rest.map(|_| prior).collect(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};
    use rand_distr::StandardNormal;

    /// Days of 24 half-hour intervals planned at 400 each, whose actual level is the day's own
    /// (5 %) plus a swing that passes within hours (AR(1), 0.8 a step, 8 %): the intervals soon
    /// after a cut follow the morning's run more than the evening does.
    fn wandering_days(seed: u64) -> DayAhead {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut normal = move || rng.sample::<f64, _>(StandardNormal);
        let days = (0..56)
            .map(|_| {
                let day = 0.05 * normal();
                let mut swing = 0.08 * normal();
                (0..24)
                    .map(|s| {
                        swing = 0.8 * swing + 0.08 * 0.6 * normal();
                        (s, (400.0 * (day + swing).exp()).round(), 400.0)
                    })
                    .collect()
            })
            .collect();
        DayAhead { days }
    }

    #[test]
    fn the_intervals_soon_after_the_cut_keep_more_of_the_run() {
        for seed in 0..4 {
            let rule = Persistence::fit(&wandering_days(seed), 8, 30).unwrap();
            let b = rule.beta_by_lead.unwrap();
            assert!(b[0] > b[3] + 0.1 && b[1] > b[3], "seed {seed}: {b:?}");
            // Applied by band: the next half hour's factor is the first band's.
            let so_far = vec![(15.0, 480.0, 400.0)];
            let run = rule.run(&so_far);
            assert_eq!(rule.factor_at(run, 0), (b[0] * run).exp());
            assert_eq!(rule.factor_at(run, 300), (b[3] * run).exp());
            let factors = rest_factors(Some(&rule), &so_far, 9.0, 8, 30, 8..24);
            assert_eq!(factors[0], (b[0] * run).exp());
            assert_eq!(factors[15], (b[3] * run).exp());
            assert_eq!(
                rest_factors(None, &so_far, 1.2, 8, 30, 8..24),
                vec![1.2; 16]
            );
        }
    }
}
