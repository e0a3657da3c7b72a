//! Rolling-origin backtests: each method forecasts `horizon_days` from several weekly origins at the
//! end of the history, using only what came before each origin, and is scored on the ordinary days
//! that followed. The scores choose the method; the chosen method's quantiles are calibrated from
//! daily origins (every horizon day then holds every weekday) and checked week by week held out.

use super::models::{Choice, DayOfMonth, Method, Model, Prepared, WeekdayAverage};
use chrono::Datelike;
use serde::Serialize;
use std::time::Instant;

/// The forecast cells of one origin: `(actual, forecast, seasonal naive)` per open slot of the
/// ordinary days, and per day the actual and forecast totals; each with its horizon day (0 = the
/// first day after the origin).
#[derive(Debug, Clone, Default)]
pub struct OriginResult {
    /// The origin's day index (horizon day `h` is day `origin + h`).
    pub origin: usize,
    pub cells: Vec<(f64, f64, f64)>,
    pub cell_horizon: Vec<usize>,
    pub days: Vec<(f64, f64)>,
    pub day_horizon: Vec<usize>,
}

impl OriginResult {
    /// The result without the cells and days whose day index lies in `days`.
    fn without_days(&self, days: std::ops::Range<usize>) -> OriginResult {
        let keep = |h: usize| !days.contains(&(self.origin + h));
        let (cells, cell_horizon) = self
            .cells
            .iter()
            .zip(&self.cell_horizon)
            .filter(|(_, h)| keep(**h))
            .map(|(c, h)| (*c, *h))
            .unzip();
        let (kept, day_horizon) = self
            .days
            .iter()
            .zip(&self.day_horizon)
            .filter(|(_, h)| keep(**h))
            .map(|(d, h)| (*d, *h))
            .unzip();
        OriginResult {
            origin: self.origin,
            cells,
            cell_horizon,
            days: kept,
            day_horizon,
        }
    }
}

/// How a method did over all origins.
#[derive(Debug, Clone, Serialize)]
pub struct MethodScore {
    pub method: Method,
    /// Σ|actual − forecast| / Σ actual over every scored interval.
    pub wape: f64,
    /// Mean absolute error over that of seasonal naive on the same intervals (< 1: better).
    pub mase: f64,
    /// Σ(forecast − actual) / Σ actual: positive when the method over-forecasts.
    pub bias: f64,
    /// Share of intervals whose actual fell inside p10–p90, each origin's band calibrated on the others.
    pub coverage_p10_p90: f64,
    /// The same per horizon day (first day after the origin first).
    pub coverage_by_horizon: Vec<f64>,
    /// Mean time to fit and forecast one origin, in milliseconds.
    pub fit_ms: f64,
    pub origins: usize,
    #[serde(skip)]
    pub results: Vec<OriginResult>,
}

/// Origins (day indices): weekly steps back from the last day a full horizon fits before `until`,
/// each with at least four weeks of history before it.
pub fn origins(until: usize, horizon_days: usize, count: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let Some(mut origin) = until.checked_sub(horizon_days) else {
        return out;
    };
    while out.len() < count && origin >= 28 {
        out.push(origin);
        match origin.checked_sub(7) {
            Some(o) => origin = o,
            None => break,
        }
    }
    out.reverse();
    out
}

/// The score with the lowest WAPE.
pub fn best(scores: &[MethodScore]) -> Option<&MethodScore> {
    scores.iter().min_by(|a, b| a.wape.total_cmp(&b.wape))
}

/// Methods the automatic choice averages at most.
///
/// Choosing the one best method on a few weeks of backtest lets luck choose: methods a few tenths
/// of a percent apart swap places from one week to the next, and the winner on the last eight
/// weeks is often not the winner on the next. The mean of the best few is steadier than any one of
/// them (forecast combination; Bates & Granger 1969, Makridakis et al. 2020 on the M4 competition),
/// and is what `auto` forecasts with.
pub const MEMBERS: usize = 5;

/// A member's WAPE may exceed the best method's by at most this share: a method clearly behind
/// (an average that lags a monthly rhythm another method follows) would only pull the mean back.
pub const MEMBER_TOLERANCE: f64 = 0.12;

/// Of `(key, WAPE)` pairs ranked best first, the keys the automatic choice may average: the first
/// [`MEMBERS`] within [`MEMBER_TOLERANCE`] of the best.
fn members_of<K: Copy>(ranked: &[(K, f64)]) -> Vec<K> {
    let Some(&(_, best)) = ranked.first() else {
        return Vec::new();
    };
    ranked
        .iter()
        .take(MEMBERS)
        .filter(|(_, wape)| *wape <= (1.0 + MEMBER_TOLERANCE) * best)
        .map(|(key, _)| *key)
        .collect()
}

/// Scores ranked by WAPE, best first (ties by method, so the order is the same on every run).
fn ranked(scores: &[MethodScore], wape: impl Fn(usize) -> f64) -> Vec<(usize, f64)> {
    let mut out: Vec<(usize, f64)> = (0..scores.len()).map(|i| (i, wape(i))).collect();
    out.sort_by(|a, b| {
        a.1.total_cmp(&b.1)
            .then(scores[a.0].method.cmp(&scores[b.0].method))
    });
    out
}

/// The day-of-month layer must lower the choice's WAPE on the backtest by at least this share to
/// be used: a channel without a monthly rhythm keeps its forecast as the methods make it.
pub const MONTH_DAY_GAIN: f64 = 0.025;

/// How the automatic choice scores: the mean of its members (chosen on all the origins, as the
/// forecast takes them) on every origin, like every method's row; and, when asked for, with each
/// origin's choice made on the *other* origins, which tells how much of the choice was luck (one
/// week that favoured a method can choose it).
#[derive(Debug, Clone, Serialize)]
pub struct ChoiceScore {
    pub wape: f64,
    /// Mean absolute error over that of seasonal naive on the same intervals.
    pub mase: f64,
    pub bias: f64,
    /// WAPE with each origin's members (and day-of-month layer) chosen on the other origins.
    pub held_out_wape: Option<f64>,
    pub origins: usize,
}

/// The automatic choice from every method's scores (each with its origins' results, as [`score`]
/// returns them): the mean of the best methods (see [`members_of`]), with the day-of-month layer
/// where it helps on the backtest (see [`MONTH_DAY_GAIN`]), and its [`ChoiceScore`] (the held-out
/// figure only `with_held_out`: it chooses again once per origin). `None` with fewer than two
/// origins or no method.
pub fn choose(
    p: &Prepared,
    scores: &[MethodScore],
    with_held_out: bool,
) -> Option<(Choice, ChoiceScore)> {
    let tally = Tally::new(p, scores)?;
    let (members, day_of_month) = tally.decide(&|_| true);
    let (mut abs, mut naive_abs, mut signed, mut actual, mut held_out) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..tally.origins {
        let (e, n, b, a) = tally.mean_on(&members, day_of_month, i);
        abs += e;
        naive_abs += n;
        signed += b;
        actual += a;
        if with_held_out {
            let (members, day_of_month) = tally.decide(&|j| j != i);
            held_out += tally.mean_on(&members, day_of_month, i).0;
        }
    }
    if actual <= 0.0 {
        return None;
    }
    let choice = Choice {
        members: members.into_iter().map(|i| scores[i].method).collect(),
        day_of_month,
    };
    let score = ChoiceScore {
        wape: abs / actual,
        mase: mase(abs, naive_abs),
        bias: signed / actual,
        held_out_wape: with_held_out.then_some(held_out / actual),
        origins: tally.origins,
    };
    Some((choice, score))
}

/// Every method's backtest cells, ready to choose and score combinations on.
struct Tally<'a> {
    scores: &'a [MethodScore],
    origins: usize,
    /// Per method and origin: (Σ|error|, Σ actual).
    sums: Vec<Vec<(f64, f64)>>,
    /// Per origin and cell: the day-of-month factor of the cell's day, learned before the origin.
    factors: Vec<Vec<f64>>,
}

impl<'a> Tally<'a> {
    fn new(p: &Prepared, scores: &'a [MethodScore]) -> Option<Tally<'a>> {
        let origins = scores.first()?.results.len();
        if origins < 2 || scores.iter().any(|s| s.results.len() != origins) {
            return None;
        }
        let sums = scores
            .iter()
            .map(|s| {
                s.results
                    .iter()
                    .map(|r| {
                        r.cells
                            .iter()
                            .fold((0.0, 0.0), |(e, a), c| (e + (c.0 - c.1).abs(), a + c.0))
                    })
                    .collect()
            })
            .collect();
        let factors = scores[0]
            .results
            .iter()
            .map(|r| {
                let f = DayOfMonth::factors(p, r.origin);
                r.cell_horizon
                    .iter()
                    .map(|&h| f[p.days[r.origin + h].day() as usize])
                    .collect()
            })
            .collect();
        Some(Tally {
            scores,
            origins,
            sums,
            factors,
        })
    }

    /// The members and the day-of-month layer, chosen on the origins `counted` keeps. Of the
    /// candidates ([`members_of`], best first), as many as give the mean of lowest error on those
    /// origins: where one method leads on every week the mean of five would only dilute it, where
    /// they take turns (the usual case) the mean of all is best; ties keep more members.
    fn decide(&self, counted: &dyn Fn(usize) -> bool) -> (Vec<usize>, bool) {
        let mut members = members_of(&ranked(self.scores, |m| {
            let (e, a) = self.sums[m]
                .iter()
                .enumerate()
                .filter(|(j, _)| counted(*j))
                .fold((0.0, 0.0), |(e, a), (_, x)| (e + x.0, a + x.1));
            if a > 0.0 { e / a } else { f64::INFINITY }
        }));
        // The error of a mean on those origins, and whether the day-of-month layer earns its place.
        let error_of = |members: &[usize]| -> (f64, bool) {
            let (mut plain, mut layered) = (0.0, 0.0);
            for i in (0..self.origins).filter(|&i| counted(i)) {
                plain += self.mean_on(members, false, i).0;
                layered += self.mean_on(members, true, i).0;
            }
            if layered < (1.0 - MONTH_DAY_GAIN) * plain {
                (layered, true)
            } else {
                (plain, false)
            }
        };
        let (mut count, mut best) = (members.len(), error_of(&members));
        for fewer in (1..members.len()).rev() {
            let error = error_of(&members[..fewer]);
            if error.0 < best.0 {
                (count, best) = (fewer, error);
            }
        }
        members.truncate(count);
        let day_of_month = best.1;
        (members, day_of_month)
    }

    /// (Σ|error|, Σ|naive error|, Σ(forecast − actual), Σ actual) of the mean of `members` on
    /// origin `i`, each cell times its day-of-month factor when `day_of_month`.
    fn mean_on(&self, members: &[usize], day_of_month: bool, i: usize) -> (f64, f64, f64, f64) {
        let mut out = (0.0, 0.0, 0.0, 0.0);
        let Some(&first) = members.first() else {
            return out;
        };
        let cells = &self.scores[first].results[i].cells;
        for (k, &(a, _, naive)) in cells.iter().enumerate() {
            let mean = members
                .iter()
                .map(|&m| self.scores[m].results[i].cells[k].1)
                .sum::<f64>()
                / members.len() as f64;
            let f = if day_of_month {
                mean * self.factors[i][k]
            } else {
                mean
            };
            out.0 += (a - f).abs();
            out.1 += (a - naive).abs();
            out.2 += f - a;
            out.3 += a;
        }
        out
    }
}

/// Mean absolute error over seasonal naive's (NaN where naive made none).
fn mase(abs: f64, naive_abs: f64) -> f64 {
    if naive_abs > 0.0 {
        abs / naive_abs
    } else {
        f64::NAN
    }
}

/// Origins on every day (the last day a full horizon fits before `until` and the `count − 1`
/// before it, each with four weeks of history), for calibrating bands: each horizon day then
/// mixes every weekday instead of being one weekday's errors, as it is with weekly origins.
pub fn daily_origins(until: usize, horizon_days: usize, count: usize) -> Vec<usize> {
    let Some(last) = until.checked_sub(horizon_days) else {
        return Vec::new();
    };
    (28..last + 1).rev().take(count).rev().collect()
}

/// The earliest origin a forecast's backtest and band calibration run from (the weekly
/// [`origins`] and the [`daily_origins`]); `until` when there is none. What is learned before it
/// is learned without any origin's future.
pub fn first_origin(until: usize, horizon_days: usize, count: usize) -> usize {
    let weekly = origins(until, horizon_days, count).first().copied();
    let daily = daily_origins(until, horizon_days, count * 7)
        .first()
        .copied();
    weekly.into_iter().chain(daily).min().unwrap_or(until)
}

/// Scores `method` from each origin.
pub fn score(
    p: &Prepared,
    method: Method,
    origins: &[usize],
    horizon_days: usize,
) -> Option<MethodScore> {
    if origins.is_empty() {
        return None;
    }
    let (results, fit_seconds) = run(p, &*method.model(), origins, horizon_days, true);
    let all = || results.iter().flat_map(|r| r.cells.iter());
    let actual: f64 = all().map(|c| c.0).sum();
    let abs: f64 = all().map(|c| (c.0 - c.1).abs()).sum();
    let naive_abs: f64 = all().map(|c| (c.0 - c.2).abs()).sum();
    let signed: f64 = all().map(|c| c.1 - c.0).sum();
    if actual <= 0.0 {
        return None;
    }
    let (coverage, coverage_by_horizon) = held_out_coverage(&results, horizon_days).cells;
    Some(MethodScore {
        method,
        wape: abs / actual,
        mase: mase(abs, naive_abs),
        bias: signed / actual,
        coverage_p10_p90: coverage,
        coverage_by_horizon,
        fit_ms: fit_seconds * 1000.0 / origins.len() as f64,
        origins: origins.len(),
        results,
    })
}

/// The look-backs of the yardstick a planner would use: the same interval on the same weekday
/// averaged over the last k weeks, for every k from 4 to 12.
pub const BASELINE_WEEKS: std::ops::RangeInclusive<usize> = 4..=12;

/// The best same-weekday interval average over [`BASELINE_WEEKS`] on the backtest's own intervals:
/// what the automatic choice has to beat. Every k is scored, not only the averages among the
/// candidates (4, 6, 8, 10 and 12 weeks).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Baseline {
    /// The look-back that scored best.
    pub weeks: usize,
    pub wape: f64,
}

/// [`Baseline`] from `origins`; `None` without any volume to score.
pub fn baseline(p: &Prepared, origins: &[usize], horizon_days: usize) -> Option<Baseline> {
    BASELINE_WEEKS
        .filter_map(|weeks| {
            let (results, _) = run(p, &WeekdayAverage { weeks }, origins, horizon_days, false);
            let all = || results.iter().flat_map(|r| r.cells.iter());
            let actual: f64 = all().map(|c| c.0).sum();
            let abs: f64 = all().map(|c| (c.0 - c.1).abs()).sum();
            (actual > 0.0).then(|| Baseline {
                weeks,
                wape: abs / actual,
            })
        })
        .min_by(|a, b| a.wape.total_cmp(&b.wape))
}

/// The bands of a choice from daily origins: the spread calibrated on all of them (what a forecast
/// uses), and how often the actual fell inside p10–p90, each week of origins' band calibrated on
/// the other weeks' days.
#[derive(Debug, Clone, Serialize)]
pub struct Bands {
    pub choice: Choice,
    pub origins: usize,
    pub coverage_p10_p90: f64,
    /// Per horizon day, the first day after the origin first.
    pub coverage_by_horizon: Vec<f64>,
    /// The same of whole days' volumes, each against its band from the daily error.
    pub day_coverage_p10_p90: f64,
    pub day_coverage_by_horizon: Vec<f64>,
    /// Per horizon day, how many whole days the coverage counts (one day moves a share by
    /// 1/count: about 50 days a horizon day with eight weeks of origins).
    pub days_by_horizon: Vec<usize>,
    #[serde(skip)]
    pub spread: Spread,
}

impl Bands {
    /// The fewest whole days a horizon day's coverage counts, and how far chance alone moves a
    /// share of that many days at 80 % (two binomial standard deviations, as a share); `None`
    /// without any day.
    pub fn day_chance(&self) -> Option<(usize, f64)> {
        let fewest = self.days_by_horizon.iter().copied().min()?;
        (fewest > 0).then(|| (fewest, 2.0 * (0.8 * 0.2 / fewest as f64).sqrt()))
    }
}

/// [`Bands`] of `choice` from `origins` (see [`daily_origins`]); `None` without any.
pub fn bands(
    p: &Prepared,
    choice: &Choice,
    origins: &[usize],
    horizon_days: usize,
) -> Option<Bands> {
    if origins.is_empty() {
        return None;
    }
    let (results, _) = run(p, choice, origins, horizon_days, false);
    let held_out = held_out_coverage(&results, horizon_days);
    let (coverage, coverage_by_horizon) = held_out.cells;
    let (day_coverage, day_coverage_by_horizon) = held_out.days.shares();
    Some(Bands {
        choice: choice.clone(),
        origins: origins.len(),
        coverage_p10_p90: coverage,
        coverage_by_horizon,
        day_coverage_p10_p90: day_coverage,
        day_coverage_by_horizon,
        days_by_horizon: held_out.days.total,
        spread: Spread::calibrate(results.iter()),
    })
}

/// Fewest [`daily_origins`] a forecast's band is calibrated from as they are; with fewer (a history
/// of less than about five weeks) [`short_spread`] calibrates it.
pub const SHORT_DAILY_ORIGINS: usize = 7;

/// Days of history a [`short_spread`] origin needs behind it: every weekday seen once.
const SHORT_MIN_DAYS: usize = 7;

/// Weight, in days per horizon day, of the fallback's 10 % day-level error beside a short history's
/// own errors: a fortnight's few errors alone could make the band of a lucky fortnight.
const SHORT_PRIOR_DAYS: f64 = 7.0;

/// The spread of `choice` for a history too short for [`SHORT_DAILY_ORIGINS`] daily origins: the
/// choice run from every day with a week of history behind it, each as far ahead as the history
/// reaches (at most `horizon_days`), each horizon day's `σ` shrunk toward the fallback's 10 % by
/// [`SHORT_PRIOR_DAYS`] days of it. Without the fixed 10 % from the first day, growing as the square
/// root of the days ahead, the bands of a channel's first weeks covered 96–98 % instead of 80 %.
/// `None` without such an origin.
pub fn short_spread(
    p: &Prepared,
    choice: &Choice,
    until: usize,
    horizon_days: usize,
) -> Option<Spread> {
    let horizon = horizon_days.min(until.saturating_sub(SHORT_MIN_DAYS));
    if horizon == 0 {
        return None;
    }
    let origins: Vec<usize> = (SHORT_MIN_DAYS..=until - horizon).collect();
    let (results, _) = run(p, choice, &origins, horizon, false);
    Some(Spread::calibrate_with_prior(
        results.iter(),
        SHORT_PRIOR_DAYS,
    ))
}

/// The spread of `choice` calibrated from `origins` (see [`daily_origins`]), as [`bands`] has it
/// without the held-out check; `None` without any origin.
pub fn spread(
    p: &Prepared,
    choice: &Choice,
    origins: &[usize],
    horizon_days: usize,
) -> Option<Spread> {
    (!origins.is_empty()).then(|| {
        let (results, _) = run(p, choice, origins, horizon_days, false);
        Spread::calibrate(results.iter())
    })
}

/// `model` forecast from each origin and scored on the usable days after it (with seasonal naive
/// beside it `with_naive`, else 0), and the seconds its fits took.
fn run(
    p: &Prepared,
    model: &dyn Model,
    origins: &[usize],
    horizon_days: usize,
    with_naive: bool,
) -> (Vec<OriginResult>, f64) {
    let naive = Method::SeasonalNaive.model();
    let mut results = Vec::with_capacity(origins.len());
    let mut fit_seconds = 0.0;
    for &origin in origins {
        let test: Vec<usize> = (origin..origin + horizon_days).collect();
        let days: Vec<_> = test.iter().map(|&d| p.days[d]).collect();
        let t0 = Instant::now();
        let forecast = model.forecast(p, origin, &days);
        fit_seconds += t0.elapsed().as_secs_f64();
        let naive_forecast = with_naive.then(|| naive.forecast(p, origin, &days));
        let mut r = OriginResult {
            origin,
            ..OriginResult::default()
        };
        for (i, &d) in test.iter().enumerate() {
            if !p.usable(d) {
                continue;
            }
            let (mut a_day, mut f_day) = (0.0, 0.0);
            for s in 0..p.slots() {
                if !p.calendar.is_open(p.days[d], s) {
                    continue;
                }
                let a = p.volume[d][s];
                let naive = naive_forecast.as_ref().map_or(0.0, |n| n[i][s]);
                r.cells.push((a, forecast[i][s], naive));
                r.cell_horizon.push(i);
                a_day += a;
                f_day += forecast[i][s];
            }
            r.days.push((a_day, f_day));
            r.day_horizon.push(i);
        }
        results.push(r);
    }
    (results, fit_seconds)
}

/// The spread of actuals around a forecast, learned from backtest results.
///
/// An interval's actual is modelled as forecast × a day-level factor (how far off the whole day was)
/// × Poisson noise, so its standard deviation is `√(f + σ_h²f²)`, `σ_h` the root-mean-square
/// relative error of daily totals `h` days after the origin: a forecast knows tomorrow's level
/// better than next week's. The per-day figures are pooled with their neighbours (each day's
/// squared errors with half weight from the days either side) and made non-decreasing, since a
/// later day cannot be known better than an earlier one; past the backtest's horizon `σ` grows as
/// the square root of the days ahead (a level error that persists and wanders). An interval's
/// quantiles are the empirical 10 %, 50 % and 90 % points of the residuals divided by their
/// deviation, so the skew of Poisson counts and heavy tails seen in the backtest carry over; a
/// whole day's are the normal's ([`Spread::day_band`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread {
    /// `σ_h` for each horizon day of the backtest.
    pub day_sigma: Vec<f64>,
    pub z10: f64,
    pub z50: f64,
    pub z90: f64,
}

/// The normal's 10 %, 50 % and 90 % points.
const NORMAL_Z: [f64; 3] = [-1.2816, 0.0, 1.2816];

/// Without backtest evidence: a 10 % day-level error.
const DEFAULT_DAY_SIGMA: f64 = 0.10;

impl Spread {
    /// Without backtest evidence: Poisson noise and a 10 % day-level error, normal quantiles.
    pub fn fallback() -> Spread {
        Spread {
            day_sigma: vec![DEFAULT_DAY_SIGMA],
            z10: NORMAL_Z[0],
            z50: NORMAL_Z[1],
            z90: NORMAL_Z[2],
        }
    }

    pub fn calibrate<'a>(results: impl Iterator<Item = &'a OriginResult> + Clone) -> Spread {
        Spread::calibrate_with_prior(results, 0.0)
    }

    /// [`Spread::calibrate`] with `prior` days of the fallback's day-level error added to every
    /// horizon day's own (see [`short_spread`]).
    fn calibrate_with_prior<'a>(
        results: impl Iterator<Item = &'a OriginResult> + Clone,
        prior: f64,
    ) -> Spread {
        let mut sq: Vec<(f64, f64)> = Vec::new();
        for r in results.clone() {
            for (&(a, f), &h) in r.days.iter().zip(&r.day_horizon) {
                if a > 0.0 && f > 0.0 {
                    if sq.len() <= h {
                        sq.resize(h + 1, (0.0, 0.0));
                    }
                    sq[h].0 += (a / f).ln().powi(2);
                    sq[h].1 += 1.0;
                }
            }
        }
        let count: f64 = sq.iter().map(|x| x.1).sum();
        if count < 3.0 {
            return Spread::fallback();
        }
        for x in &mut sq {
            x.0 += prior * DEFAULT_DAY_SIGMA * DEFAULT_DAY_SIGMA;
            x.1 += prior;
        }
        let pooled = (sq.iter().map(|x| x.0).sum::<f64>() / count).sqrt();
        let mut day_sigma: Vec<f64> = (0..sq.len())
            .map(|h| {
                let (mut num, mut den) = (sq[h].0, sq[h].1);
                for n in [h.wrapping_sub(1), h + 1] {
                    if let Some(&(e, c)) = sq.get(n) {
                        num += 0.5 * e;
                        den += 0.5 * c;
                    }
                }
                if den > 0.0 {
                    (num / den).sqrt()
                } else {
                    pooled
                }
            })
            .collect();
        for h in 1..day_sigma.len() {
            day_sigma[h] = day_sigma[h].max(day_sigma[h - 1]);
        }
        let spread = Spread {
            day_sigma,
            ..Spread::fallback()
        };
        let mut z: Vec<f64> = results
            .flat_map(|r| r.cells.iter().zip(&r.cell_horizon))
            .filter_map(|(&(a, f, _), &h)| {
                let sd = deviation(f, spread.sigma(h));
                (sd > 0.0).then(|| (a - f) / sd)
            })
            .collect();
        if z.len() < 20 {
            return spread;
        }
        let [z10, z50, z90] = quantiles(&mut z, [0.1, 0.5, 0.9]);
        Spread {
            z10,
            z50,
            z90,
            ..spread
        }
    }

    /// `σ` of the day-level error `h` days after the forecast's origin.
    pub fn sigma(&self, h: usize) -> f64 {
        let n = self.day_sigma.len();
        match self.day_sigma.get(h) {
            Some(&s) => s,
            None => self.day_sigma[n - 1] * ((h + 1) as f64 / n as f64).sqrt(),
        }
    }

    /// `(p10, p50, p90)` around a forecast `f` for a day `h` days after the origin, with `extra`
    /// (log scale) of the day's own uncertainty on top of the day-level error (an event's uplift).
    pub fn band(&self, f: f64, h: usize, extra: f64) -> (f64, f64, f64) {
        ordered(
            f,
            deviation(f, self.sigma(h).hypot(extra)),
            [self.z10, self.z50, self.z90],
        )
    }

    /// `(p10, p50, p90)` of a whole day's volume `f`, `h` days after the origin, with `extra` as
    /// in [`Spread::band`]: from the daily error, not from summing its intervals' quantiles, and
    /// normal around the forecast. `σ_h` is a root mean square, bias included; the daily residuals'
    /// own quantiles, from the few weeks a backtest spans, carried that span's passing bias forward
    /// (a band of −7.5…+3.8 % one month, −4.5…+7.6 % the next) and held 70 % of the bank calls'
    /// days walking forward, 77 % of Victoria's; normal, 75 % and 82 %.
    pub fn day_band(&self, f: f64, h: usize, extra: f64) -> (f64, f64, f64) {
        ordered(f, deviation(f, self.sigma(h).hypot(extra)), NORMAL_Z)
    }
}

/// `f + z·sd` at the three points, at least 0 and in order.
fn ordered(f: f64, sd: f64, z: [f64; 3]) -> (f64, f64, f64) {
    let p10 = (f + z[0] * sd).max(0.0);
    let p50 = (f + z[1] * sd).max(p10);
    let p90 = (f + z[2] * sd).max(p50);
    (p10, p50, p90)
}

fn deviation(f: f64, day_sigma: f64) -> f64 {
    (f.max(0.0) + day_sigma * day_sigma * f * f).sqrt()
}

/// The quantiles `qs` (ascending, each in 0–1) of non-empty `xs`, each interpolated linearly
/// between two order statistics as from the sorted values, which it does not need: the order
/// statistics are selected in linear time, each search in what lies above the one before, leaving
/// `xs` reordered.
fn quantiles<const N: usize>(xs: &mut [f64], qs: [f64; N]) -> [f64; N] {
    let last = xs.len() - 1;
    // Every value before `from` is at most every value from it on.
    let mut from = 0;
    qs.map(|q| {
        let pos = q * last as f64;
        let lo = (pos.floor() as usize).clamp(from, last);
        let (_, &mut below, above) = xs[from..].select_nth_unstable_by(lo - from, f64::total_cmp);
        // The next order statistic is the least of those above the selected one.
        let next = above
            .iter()
            .copied()
            .min_by(f64::total_cmp)
            .unwrap_or(below);
        from = lo;
        below + (next - below) * (pos - lo as f64)
    })
}

/// How often the actuals fell inside p10–p90, each week of origins held out in turn (every origin,
/// with weekly origins), its band calibrated on the other origins with the held-out origins' scored
/// days taken out (overlapping horizons would otherwise score a day against a band that has seen
/// it): overall and per horizon day, of the intervals (`cells`) and of whole days (`days`, each
/// against its band from the daily error).
struct HeldOut {
    cells: (f64, Vec<f64>),
    days: Inside,
}

fn held_out_coverage(results: &[OriginResult], horizon_days: usize) -> HeldOut {
    let mut cells = Inside::new(horizon_days);
    let mut days = Inside::new(horizon_days);
    let last = results.iter().map(|r| r.origin).max().unwrap_or(0);
    let week = |r: &OriginResult| (last - r.origin) / 7;
    let weeks = results.iter().map(week).max().map_or(0, |w| w + 1);
    // With one week of origins there is none to calibrate on: nothing counted, NaN.
    let weeks = if weeks < 2 { 0 } else { weeks };
    for k in 0..weeks {
        let held: Vec<&OriginResult> = results.iter().filter(|r| week(r) == k).collect();
        let from = held.iter().map(|r| r.origin).min().unwrap_or(0);
        let to = held.iter().map(|r| r.origin).max().unwrap_or(0) + horizon_days;
        let others: Vec<OriginResult> = results
            .iter()
            .filter(|r| week(r) != k)
            .map(|r| r.without_days(from..to))
            .collect();
        let spread = Spread::calibrate(others.iter());
        for r in held {
            for (&(a, f, _), &h) in r.cells.iter().zip(&r.cell_horizon) {
                cells.count(h, spread.band(f, h, 0.0), a);
            }
            for (&(a, f), &h) in r.days.iter().zip(&r.day_horizon) {
                days.count(h, spread.day_band(f, h, 0.0), a);
            }
        }
    }
    HeldOut {
        cells: cells.shares(),
        days,
    }
}

/// Per horizon day, how many actuals fell inside their p10–p90 and of how many.
struct Inside {
    inside: Vec<usize>,
    total: Vec<usize>,
}

impl Inside {
    fn new(horizon_days: usize) -> Inside {
        Inside {
            inside: vec![0; horizon_days],
            total: vec![0; horizon_days],
        }
    }

    fn count(&mut self, h: usize, (p10, _, p90): (f64, f64, f64), actual: f64) {
        self.total[h] += 1;
        self.inside[h] += usize::from(p10 <= actual && actual <= p90);
    }

    /// The overall share and the share per horizon day (NaN where none).
    fn shares(&self) -> (f64, Vec<f64>) {
        let share = |i: usize, t: usize| {
            if t == 0 {
                f64::NAN
            } else {
                i as f64 / t as f64
            }
        };
        let by_horizon = self
            .inside
            .iter()
            .zip(&self.total)
            .map(|(&i, &t)| share(i, t))
            .collect();
        (
            share(self.inside.iter().sum(), self.total.iter().sum()),
            by_horizon,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::quantiles;
    use proptest::prelude::*;

    proptest! {
        /// Selecting the order statistics gives exactly what interpolating in the sorted values
        /// gives, ties and repeated quantiles included.
        #[test]
        fn quantiles_are_the_sorted_values_interpolated(
            xs in prop::collection::vec(prop_oneof![-1e6f64..1e6, (-3i32..3).prop_map(f64::from)], 1..300),
            mut qs in prop::array::uniform3(prop_oneof![0.0f64..=1.0, Just(0.5), Just(1.0)]),
        ) {
            qs.sort_by(f64::total_cmp);
            let mut sorted = xs.clone();
            sorted.sort_by(f64::total_cmp);
            let expected = qs.map(|q| {
                let pos = q * (sorted.len() - 1) as f64;
                let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
                (sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)).to_bits()
            });
            let mut shuffled = xs;
            prop_assert_eq!(quantiles(&mut shuffled, qs).map(f64::to_bits), expected);
        }
    }
}
