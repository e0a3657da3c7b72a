//! Weekly volumes months ahead, with their joint uncertainty: what capacity planning samples from.
//!
//! # The model, per channel
//! Each history week (Monday to Sunday) with at least three ordinary days gets a *level*: its
//! ordinary days' volume over their weekday factors (the weekday's usual share of a week, from the
//! last year of full ordinary weeks), so a week with a holiday or an event day is still measured on
//! its other days. The log of the level is fitted by least squares on
//! `1, t, cos 2πkτ, sin 2πkτ (k = 1…K)` — a growth trend and a yearly seasonality in the week of the
//! year τ (calendar dates, so holidays that move between years are handled by their dates) — with
//! K from 0 to 4, and whether there is a trend at all, chosen by BIC (a level that only wandered is
//! held, not extrapolated). With less than 52 weeks of history there is no seasonality (K = 0): a
//! level, with or without a trend, and the model says so. Fewer than 8 learnable weeks is an error.
//!
//! A future week's volume is its level times the weekday factors of its open days, minus the listed
//! holidays (closed), times the uplift of any event on its days: a manual multiplier from the
//! scenario, or the ratio of actual to level on the same days around past occurrences of the tag.
//!
//! # How scenarios are drawn (and why a level error persists)
//! A draw of the future is one path for every channel at once:
//! - the fitted coefficients are drawn from their sampling distribution (normal, covariance from the
//!   fit, inflated by (1 + φ)/(1 − φ) for the autocorrelation of the residuals): one draw per path,
//!   so an error in the level or the trend lasts over every week of that path, as it does in reality;
//! - the weekly residual follows an AR(1) with the fitted φ from the last observed residual, its
//!   innovations correlated across channels as the channels' past innovations were;
//! - each event's uplift is drawn log-normally around its value: the spread of the past occurrences
//!   (with one occurrence's worth of 15 % mixed in, times √(1 + 1/n)) when there are two or more,
//!   15 % when there is one or a manual multiplier;
//! - a week with listed holidays is drawn log-normally around its kind's effect (the median of past
//!   weeks with as many holidays), one draw per week shared by the channels, with the spread of past
//!   holiday weeks around their kind's effect (times √(1 + 1/n));
//! - an open-but-quiet holiday's share of an ordinary day likewise, around the share learned from the
//!   past quiet holidays with their spread (times √(1 + 1/n); 15 % for the scenario's manual factor);
//! - the spread of the coefficients and of the innovations is scaled by what the model's own
//!   out-of-sample errors 1–13 weeks ahead ask for (see `calibration`).
//!
//! The p10/p50/p90 of each week are the quantiles of 2,000 such paths; [`WeeklyForecast::draws`]
//! gives the paths themselves, seeded, for the capacity plan.

#![allow(clippy::needless_range_loop)]

#[cfg(test)]
mod tests;

use super::history::{DayKind, History, median, weekday_index};
use super::models::Prepared;
use super::{
    EVENT_SPREAD_UNKNOWN, ForecastError, channel_order, effect_spread, prepare_channel,
    shrunk_spread,
};
use crate::scenario::Scenario;
use chrono::{Datelike, Days, NaiveDate, Weekday};
use nalgebra::{DMatrix, DVector};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The most weeks a weekly forecast reaches.
pub const MAX_WEEKS: usize = 104;
/// Paths behind each week's quantiles.
const QUANTILE_DRAWS: usize = 2_000;
/// Fewest learnable weeks for a weekly model.
const MIN_WEEKS: usize = 8;

/// What to forecast.
#[derive(Debug, Clone)]
pub struct WeeklyOptions {
    /// The first week: the week (Monday to Sunday) that contains this day.
    pub from: NaiveDate,
    pub weeks: usize,
    /// Seed of the paths behind the quantiles.
    pub seed: u64,
}

/// The fitted model of one channel, as a planner reads it.
#[derive(Debug, Clone, Serialize)]
pub struct WeeklyModel {
    /// History weeks the level was learned from.
    pub weeks_learned: usize,
    /// Yearly harmonics chosen (0: no seasonality).
    pub harmonics: usize,
    /// Growth per year of the trend (0.05: +5 % a year).
    pub growth_per_year: f64,
    /// Lag-one autocorrelation of the weekly residuals.
    pub ar: f64,
    /// Standard deviation of the weekly residual innovations (log scale), calibrated.
    pub sigma: f64,
    /// What the fitted spread was multiplied by so that p10–p90 covers 80 % of the model's own
    /// out-of-sample errors over 1–13 weeks ahead (1 when the history is too short to tell).
    pub band_scale: f64,
    /// The out-of-sample errors `band_scale` was learned from (0: none, the spread as fitted).
    pub band_errors: usize,
    /// Share of a week's volume by weekday (Monday first).
    pub weekday_share: [f64; 7],
    /// What the model could and could not learn.
    pub note: String,
}

/// One week of one channel.
#[derive(Debug, Clone, Serialize)]
pub struct WeekRow {
    /// The Monday.
    pub week: NaiveDate,
    /// Days of the week the channel is open (listed holidays closed).
    pub open_days: usize,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    /// Mean over the paths.
    pub mean: f64,
    /// The events' lift of the week's volume over its baseline (1: none).
    pub uplift: f64,
    /// The median path's volume per day, Monday first.
    pub days: [f64; 7],
}

/// An event as the weekly forecast applies it.
#[derive(Debug, Clone, Serialize)]
pub struct WeeklyEvent {
    pub event: String,
    pub tag: String,
    /// `learned from N past occurrence(s)` or `manual ×1.8`.
    pub source: String,
    /// Volume over the event's window over the baseline.
    pub uplift: f64,
    /// Spread of the uplift drawn in the paths (log scale).
    pub spread: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeeklyChannel {
    pub channel: String,
    pub model: WeeklyModel,
    pub events: Vec<WeeklyEvent>,
    pub rows: Vec<WeekRow>,
    #[serde(skip)]
    fit: Fit,
    /// Per target week and weekday: the event factor (median) and which event draws move it.
    #[serde(skip)]
    day_factors: Vec<[DayFactor; 7]>,
    /// Per target week: the spread (log scale) of its listed holidays' effect (0: none).
    #[serde(skip)]
    holiday_spread: Vec<f64>,
    /// The spread (log scale) of an open-but-quiet holiday's share of an ordinary day.
    #[serde(skip)]
    quiet_spread: f64,
}

/// The weekly forecast of every channel.
#[derive(Debug, Clone, Serialize)]
pub struct WeeklyForecast {
    /// Mondays of the weeks forecast.
    pub weeks: Vec<NaiveDate>,
    pub channels: Vec<WeeklyChannel>,
    /// Correlation of the channels' weekly innovations (scenario order).
    pub innovation_correlation: Vec<Vec<f64>>,
    #[serde(skip)]
    innovation_chol: DMatrix<f64>,
}

/// Paths of weekly volume: `volume[path][channel][week]`.
#[derive(Debug, Clone)]
pub struct Draws {
    pub volume: Vec<Vec<Vec<f64>>>,
}

/// A day's factor: holiday or closed (0), or open with an event lift drawn from event `event`, and
/// whether it is an open-but-quiet holiday (its share drawn around the learned one).
#[derive(Debug, Clone, Copy, Default)]
struct DayFactor {
    open: bool,
    factor: f64,
    event: Option<usize>,
    quiet: bool,
}

/// A channel's fitted weekly model.
#[derive(Debug, Clone)]
struct Fit {
    harmonics: usize,
    /// Trend time is measured in years from here.
    t0: NaiveDate,
    beta: DVector<f64>,
    /// A square root of the coefficients' covariance ([`square_root`]).
    beta_chol: DMatrix<f64>,
    /// The weight of the fit with a trend in the average (see [`fit_levels`]).
    trend_weight: f64,
    weekday: [f64; 7],
    phi: f64,
    sigma: f64,
    /// What the spread (coefficients and innovations) was multiplied by so that the model's own
    /// out-of-sample errors fit its bands, and how many errors that was learned from (0: none).
    band_scale: f64,
    band_errors: usize,
    /// Monday of the last learned week and its residual.
    last_week: NaiveDate,
    last_residual: f64,
    /// Learned weeks: (Monday, log level, residual).
    learned: Vec<(NaiveDate, f64, f64)>,
    /// Log effect on a week's open days of the listed holidays in it, by their number, with the
    /// weeks it was learned from; the median of every holiday week where a number was never seen.
    holiday_effect: BTreeMap<usize, (f64, usize)>,
    holiday_pooled: (f64, usize),
    /// Spread (log scale) of one holiday week around its kind's effect.
    holiday_spread: f64,
}

fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Days::new(u64::from(day.weekday().num_days_from_monday()))
}

fn years(from: NaiveDate, to: NaiveDate) -> f64 {
    (to - from).num_days() as f64 / 365.2425
}

impl Fit {
    fn design(&self, monday: NaiveDate) -> DVector<f64> {
        design(monday, self.t0, self.harmonics)
    }

    fn level(&self, monday: NaiveDate) -> f64 {
        self.design(monday).dot(&self.beta)
    }

    /// An ordinary day's volume on `day`: its week's level (as learned when the week was, else as
    /// fitted) times the weekday's factor.
    fn ordinary_day(&self, day: NaiveDate) -> f64 {
        let monday = monday_of(day);
        let level = self
            .learned
            .iter()
            .find(|w| w.0 == monday)
            .map_or_else(|| self.level(monday), |w| w.1);
        level.exp() * self.weekday[weekday_index(day.weekday())]
    }
}

/// The regressors of a week: intercept, trend in years, and K yearly harmonics of its Thursday.
fn design(monday: NaiveDate, t0: NaiveDate, harmonics: usize) -> DVector<f64> {
    let mid = monday + Days::new(3);
    let epoch = NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date");
    let phase = years(epoch, mid).fract() * std::f64::consts::TAU;
    let mut x = vec![1.0, years(t0, mid)];
    for k in 1..=harmonics {
        let a = phase * k as f64;
        x.push(a.cos());
        x.push(a.sin());
    }
    DVector::from_vec(x)
}

/// The weekday factors: each weekday's share of a full ordinary week over the last year of such
/// weeks, scaled so the open weekdays average 1 (a week's level is its volume per open day).
fn weekday_factors(p: &Prepared, until: usize) -> [f64; 7] {
    let open: [bool; 7] = std::array::from_fn(|w| p.calendar.open[w].iter().any(|&o| o));
    let mut sum = [0.0; 7];
    let mut weeks = 0;
    let mut d = until;
    while d >= 7 && weeks < 52 {
        d -= 1;
        if p.days[d].weekday() != Weekday::Sun {
            continue;
        }
        let first = d + 1 - 7;
        if p.days[first].weekday() != Weekday::Mon {
            continue;
        }
        let days: Vec<usize> = (first..=d).collect();
        let full = days.iter().all(|&i| {
            p.counted(i)
                || (p.kind[i] == DayKind::Closed && !open[weekday_index(p.days[i].weekday())])
        });
        if !full {
            continue;
        }
        let total: f64 = days.iter().map(|&i| p.total(i)).sum();
        if total <= 0.0 {
            continue;
        }
        for &i in &days {
            sum[weekday_index(p.days[i].weekday())] += p.total(i) / total;
        }
        weeks += 1;
    }
    let open_count = open.iter().filter(|&&o| o).count().max(1) as f64;
    if weeks == 0 {
        return open.map(|o| if o { 1.0 } else { 0.0 });
    }
    let share_sum: f64 = sum.iter().sum();
    std::array::from_fn(|w| {
        if open[w] {
            sum[w] / share_sum * open_count
        } else {
            0.0
        }
    })
}

/// Fits the weekly model on the days before index `until`. Weeks with a listed holiday are kept out
/// of the regression (their open days are quieter or busier than a normal week's) and give the
/// holiday-week effect instead; the regression itself is robust (Huber weights at 1.5 σ, σ from
/// the median absolute residual), so that a week the calendar does not explain does not bend it.
fn fit(
    p: &Prepared,
    until: usize,
    channel: &str,
    holidays: &BTreeSet<NaiveDate>,
) -> Result<Fit, ForecastError> {
    let weekday = weekday_factors(p, until);
    // Week levels: (Monday, log level, listed holidays in the week).
    let mut all: Vec<(NaiveDate, f64, usize)> = Vec::new();
    let mut d = 0;
    while d < until {
        let monday = monday_of(p.days[d]);
        let (mut volume, mut weight, mut usable) = (0.0, 0.0, 0);
        while d < until && monday_of(p.days[d]) == monday {
            if p.counted(d) {
                volume += p.total(d);
                weight += weekday[weekday_index(p.days[d].weekday())];
                usable += 1;
            }
            d += 1;
        }
        if usable >= 3 && volume > 0.0 && weight > 0.0 {
            all.push((
                monday,
                (volume / weight).ln(),
                holidays_in(holidays, monday),
            ));
        }
    }
    let weeks: Vec<(NaiveDate, f64)> = all
        .iter()
        .filter(|w| w.2 == 0)
        .map(|w| (w.0, w.1))
        .collect();
    if weeks.len() < MIN_WEEKS {
        return Err(ForecastError::Input(format!(
            "channel `{channel}`: {} learnable weeks in the history (weeks with at least 3 ordinary days \
             and no listed holiday); a weekly forecast needs at least {MIN_WEEKS}",
            weeks.len()
        )));
    }
    let Some(levels) = fit_levels(&weeks) else {
        return Err(ForecastError::Input(format!(
            "channel `{channel}`: the weekly levels admit no fit"
        )));
    };
    let (band_scale, band_errors) = calibration(&weeks, levels.harmonics);
    let LevelFit {
        harmonics,
        trend_weight,
        t0,
        beta,
        cov,
        phi,
        sigma,
        residual,
        ..
    } = levels;
    let cov = cov * band_scale.powi(2);
    let beta_chol = square_root(&cov);
    let sigma = sigma * band_scale;
    let last = weeks[weeks.len() - 1].0;
    let n = weeks.len();
    // The holiday weeks' effect: their median residual, by the number of holidays in the week.
    let mut effects: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    for w in all.iter().filter(|w| w.2 > 0) {
        let fitted = design(w.0, t0, harmonics).dot(&beta);
        effects.entry(w.2).or_default().push(w.1 - fitted);
    }
    let pooled: Vec<f64> = effects.values().flatten().copied().collect();
    // How far a holiday week strays from its kind's effect: the deviations from the median of each
    // kind seen twice or more.
    let repeated: Vec<&Vec<f64>> = effects.values().filter(|v| v.len() >= 2).collect();
    let deviations: Vec<f64> = repeated
        .iter()
        .flat_map(|v| {
            let m = median(v);
            v.iter().map(move |x| x - m)
        })
        .collect();
    let holiday_spread = shrunk_spread(&deviations, repeated.len());
    let holiday_effect = effects
        .into_iter()
        .map(|(k, v)| (k, (median(&v), v.len())))
        .collect();
    Ok(Fit {
        harmonics,
        t0,
        beta,
        beta_chol,
        trend_weight,
        weekday,
        phi,
        sigma,
        band_scale,
        band_errors,
        last_week: last,
        last_residual: residual[n - 1],
        learned: weeks
            .iter()
            .zip(residual.iter())
            .map(|(w, r)| (w.0, w.1, *r))
            .collect(),
        holiday_effect,
        holiday_pooled: if pooled.is_empty() {
            (0.0, 0)
        } else {
            (median(&pooled), pooled.len())
        },
        holiday_spread,
    })
}

/// The regression of the log week levels.
struct LevelFit {
    harmonics: usize,
    /// The weight of the fit with a trend in the average (see [`fit_levels`]).
    trend_weight: f64,
    t0: NaiveDate,
    beta: DVector<f64>,
    /// The coefficients' covariance, inflated for the residuals' autocorrelation.
    cov: DMatrix<f64>,
    phi: f64,
    /// Standard deviation of the residual innovations.
    sigma: f64,
    residual: DVector<f64>,
    /// The robust weights of the weeks.
    weight: DVector<f64>,
}

impl LevelFit {
    /// The log level of the week of `monday` and its variance, forecast from the week of `from`
    /// whose residual was `last_residual`: the coefficients' spread plus the AR(1)'s over the weeks
    /// between.
    fn predict(&self, monday: NaiveDate, from: NaiveDate, last_residual: f64) -> (f64, f64) {
        let ahead = ((monday - from).num_days() / 7) as i32;
        let x = design(monday, self.t0, self.harmonics);
        let decay = self.phi.powi(ahead);
        let ar_var = self.sigma.powi(2) * (1.0 - decay * decay) / (1.0 - self.phi * self.phi);
        (
            x.dot(&self.beta) + decay * last_residual,
            (x.transpose() * &self.cov * &x)[(0, 0)] + ar_var,
        )
    }
}

/// A matrix `L` with `L·Lᵀ = cov`: the lower Cholesky factor, or where the covariance is singular
/// (a fit without a trend: its row is 0) the symmetric square root.
fn square_root(cov: &DMatrix<f64>) -> DMatrix<f64> {
    cov.clone().cholesky().map(|c| c.l()).unwrap_or_else(|| {
        let eigen = cov.clone().symmetric_eigen();
        let root = eigen.eigenvalues.map(|v| v.max(0.0).sqrt());
        &eigen.eigenvectors * DMatrix::from_diagonal(&root) * eigen.eigenvectors.transpose()
    })
}

/// Whether the weeks span a year, enough to learn a yearly seasonality from.
fn long_enough(weeks: &[(NaiveDate, f64)]) -> bool {
    match (weeks.first(), weeks.last()) {
        (Some(a), Some(b)) => (b.0 - a.0).num_days() / 7 + 1 >= 52,
        _ => false,
    }
}

/// Fits `1, t, cos 2πkτ, sin 2πkτ (k = 1…K)` to the weeks' log levels, robustly, with K chosen by
/// BIC (K = 0 when the weeks span less than a year), then an AR(1) on the residuals of consecutive
/// weeks. Whether there is a trend at all is not decided but weighed: the fits with and without it
/// are averaged with their BIC weights (`exp(−BIC/2)`, normalised), the coefficients' covariance
/// taking in how far the two disagree. A level that only wandered over a short history is then held
/// rather than extrapolated for a year, and a growth the history barely shows still widens the band.
fn fit_levels(weeks: &[(NaiveDate, f64)]) -> Option<LevelFit> {
    fit_levels_with(weeks, None)
}

/// [`fit_levels`] with K given (`Some`, where the weeks span a year) instead of chosen.
fn fit_levels_with(weeks: &[(NaiveDate, f64)], harmonics: Option<usize>) -> Option<LevelFit> {
    let first = weeks.first()?.0;
    let last = weeks.last()?.0;
    let t0 = first + Days::new(((last - first).num_days() / 2) as u64);
    let max_harmonics = if long_enough(weeks) { 4 } else { 0 };
    let ks = match harmonics {
        Some(k) => k.min(max_harmonics)..=k.min(max_harmonics),
        None => 0..=max_harmonics,
    };
    let n = weeks.len();
    let y = DVector::from_iterator(n, weeks.iter().map(|w| w.1));
    // Per K: the BIC and the fit, with the trend and without.
    let mut best: Option<(f64, [ScoredFit; 2])> = None;
    for k in ks {
        let rows: Vec<DVector<f64>> = weeks.iter().map(|w| design(w.0, t0, k)).collect();
        let full = DMatrix::from_fn(n, 2 + 2 * k, |i, j| rows[i][j]);
        let both = [true, false].map(|trend| {
            let cols = 1 + usize::from(trend) + 2 * k;
            if n < cols + 4 {
                return None;
            }
            let x = if trend {
                full.clone()
            } else {
                full.clone().remove_column(1)
            };
            let r = robust_fit(&x, &y)?;
            let rss = r.weighted_rss.max(1e-12);
            let bic = n as f64 * (rss / n as f64).ln() + cols as f64 * (n as f64).ln();
            Some((bic, level_fit(weeks, r, k, trend, t0)))
        });
        let Some(bic) = both.iter().flatten().map(|f| f.0).min_by(f64::total_cmp) else {
            continue;
        };
        if best.as_ref().is_none_or(|b| bic < b.0) {
            best = Some((bic, both));
        }
    }
    match best?.1 {
        [Some((b1, with)), Some((b0, without))] => {
            let w = 1.0 / (1.0 + ((b1 - b0) / 2.0).exp());
            Some(average(with, without, w, &y, weeks))
        }
        [Some((_, only)), None] | [None, Some((_, only))] => Some(only),
        [None, None] => None,
    }
}

/// A level fit with its BIC, where the regression could be made.
type ScoredFit = Option<(f64, LevelFit)>;

/// The level fit of a robust regression on K harmonics, with or without the trend (its coefficient
/// and variance 0 then), and the AR(1) of its residuals.
fn level_fit(
    weeks: &[(NaiveDate, f64)],
    mut r: Robust,
    harmonics: usize,
    trend: bool,
    t0: NaiveDate,
) -> LevelFit {
    let cols = r.beta.len();
    if !trend {
        r.beta = r.beta.insert_row(1, 0.0);
        r.xtwx_inv = r.xtwx_inv.insert_row(1, 0.0).insert_column(1, 0.0);
    }
    let phi = ar1(weeks, &r.residual, &r.weight);
    let sigma_e2 = r.weighted_rss / (r.weight.sum() - cols as f64).max(1.0);
    LevelFit {
        harmonics,
        trend_weight: if trend { 1.0 } else { 0.0 },
        t0,
        cov: r.xtwx_inv * (sigma_e2 * (1.0 + phi) / (1.0 - phi)),
        beta: r.beta,
        phi,
        sigma: (sigma_e2 * (1.0 - phi * phi)).sqrt(),
        residual: r.residual,
        weight: r.weight,
    }
}

/// AR(1) of the residuals over consecutive weeks, each pair weighted as robustly as its weeks.
fn ar1(weeks: &[(NaiveDate, f64)], residual: &DVector<f64>, weight: &DVector<f64>) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for i in 1..weeks.len() {
        if (weeks[i].0 - weeks[i - 1].0).num_days() == 7 {
            let w = weight[i].min(weight[i - 1]);
            num += w * residual[i] * residual[i - 1];
            den += w * residual[i - 1] * residual[i - 1];
        }
    }
    if den > 0.0 {
        (num / den).clamp(0.0, 0.95)
    } else {
        0.0
    }
}

/// The mixture of the fits with the trend (weight `w`) and without: the coefficients' mean and
/// covariance of the mixture (each fit's covariance plus its distance from the mean), the residuals
/// from the mean coefficients, and the AR(1) and innovation spread weighted alike.
fn average(
    with: LevelFit,
    without: LevelFit,
    w: f64,
    y: &DVector<f64>,
    weeks: &[(NaiveDate, f64)],
) -> LevelFit {
    let beta = &with.beta * w + &without.beta * (1.0 - w);
    let spread = |f: &LevelFit| {
        let d = &f.beta - &beta;
        &f.cov + &d * d.transpose()
    };
    let cov = spread(&with) * w + spread(&without) * (1.0 - w);
    let fitted = DVector::from_iterator(
        weeks.len(),
        weeks
            .iter()
            .map(|w| design(w.0, with.t0, with.harmonics).dot(&beta)),
    );
    let residual = y - fitted;
    let weight = if w >= 0.5 {
        with.weight
    } else {
        without.weight
    };
    LevelFit {
        harmonics: with.harmonics,
        trend_weight: w,
        t0: with.t0,
        cov,
        phi: w * with.phi + (1.0 - w) * without.phi,
        sigma: (w * with.sigma.powi(2) + (1.0 - w) * without.sigma.powi(2)).sqrt(),
        beta,
        residual,
        weight,
    }
}

/// Origins of the spread's calibration, how far apart (weeks) and how far each looks ahead.
const CALIBRATION_ORIGINS: usize = 8;
const CALIBRATION_STEP: usize = 4;
const CALIBRATION_AHEAD: usize = 13;
/// Fewest learned weeks before a calibration origin (and at least half of all).
const CALIBRATION_MIN_WEEKS: usize = 26;
/// Fewest out-of-sample errors to calibrate on.
const CALIBRATION_MIN_ERRORS: usize = 3 * CALIBRATION_AHEAD;

/// How much the model's spread must be scaled for its bands to hold out of sample: the model (with
/// the whole fit's `harmonics`, the trend weighed again) is refitted at up to 8 origins among the
/// learned weeks (every 4 weeks back from 13 weeks before the last), each forecasts the next 13 learned weeks' log levels, and each error is divided by the
/// spread the model gives it (the coefficients' and the AR(1)'s, from the origin's last residual).
/// The scale is the 80th percentile of those standardized errors over the normal's (1.2816), so
/// that p10–p90 covers 80 % of them. Only origins with at least 26 weeks and half of all behind
/// them, whose fit has the same kind of model (with or without yearly seasonality), count; with
/// fewer than 39 errors the spread stays as fitted (1, 0).
fn calibration(weeks: &[(NaiveDate, f64)], harmonics: usize) -> (f64, usize) {
    let n = weeks.len();
    let mut z: Vec<f64> = Vec::new();
    for k in 0..CALIBRATION_ORIGINS {
        let Some(origin) = n.checked_sub(CALIBRATION_AHEAD + k * CALIBRATION_STEP) else {
            break;
        };
        // An origin with much less history than the whole fits a different model (a trend from a
        // few weeks extrapolates wildly): its errors would not tell how wrong the whole fit is.
        if origin < CALIBRATION_MIN_WEEKS || 2 * origin < n {
            break;
        }
        if long_enough(&weeks[..origin]) != long_enough(weeks) {
            break;
        }
        let Some(f) = fit_levels_with(&weeks[..origin], Some(harmonics)) else {
            continue;
        };
        let from = weeks[origin - 1].0;
        for &(monday, actual) in &weeks[origin..(origin + CALIBRATION_AHEAD).min(n)] {
            if (monday - from).num_days() / 7 > CALIBRATION_AHEAD as i64 {
                break;
            }
            let (predicted, var) = f.predict(monday, from, f.residual[origin - 1]);
            if var > 0.0 {
                z.push(((actual - predicted) / var.sqrt()).abs());
            }
        }
    }
    if z.len() < CALIBRATION_MIN_ERRORS {
        return (1.0, 0);
    }
    z.sort_by(f64::total_cmp);
    let q80 = z[((z.len() - 1) as f64 * 0.8).round() as usize];
    ((q80 / 1.281_551_6).max(1e-3), z.len())
}

fn holidays_in(holidays: &BTreeSet<NaiveDate>, monday: NaiveDate) -> usize {
    holidays.range(monday..monday + Days::new(7)).count()
}

/// A robust least-squares fit.
struct Robust {
    beta: DVector<f64>,
    residual: DVector<f64>,
    weight: DVector<f64>,
    weighted_rss: f64,
    xtwx_inv: DMatrix<f64>,
}

/// Huber regression by iteratively reweighted least squares (weights 1 within 1.5 σ, σ from the
/// median absolute residual; ten rounds).
fn robust_fit(x: &DMatrix<f64>, y: &DVector<f64>) -> Option<Robust> {
    let n = y.len();
    let mut weight = DVector::from_element(n, 1.0);
    let mut out = None;
    for _ in 0..10 {
        let wx = DMatrix::from_fn(n, x.ncols(), |i, j| x[(i, j)] * weight[i]);
        let xtwx = x.transpose() * &wx;
        let chol = xtwx.cholesky()?;
        let beta = chol.solve(&(wx.transpose() * y));
        let residual = y - x * &beta;
        let abs: Vec<f64> = residual.iter().map(|r| r.abs()).collect();
        let scale = (1.4826 * median(&abs)).max(1e-9);
        let next = residual.map(|r| (1.5 * scale / r.abs().max(1e-300)).min(1.0));
        let weighted_rss = residual
            .iter()
            .zip(weight.iter())
            .map(|(r, w)| w * r * r)
            .sum();
        out = Some(Robust {
            beta,
            residual,
            weight: weight.clone(),
            weighted_rss,
            xtwx_inv: chol.inverse(),
        });
        if (&next - &weight).amax() < 1e-6 {
            break;
        }
        weight = next;
    }
    out
}

/// A quiet holiday's volume over an ordinary day's, from the quiet holidays before `until`, and the
/// spread (log scale) one future quiet day is drawn with ([`effect_spread`] of the past days';
/// [`EVENT_SPREAD_UNKNOWN`] for the scenario's factor).
fn quiet_share(
    p: &Prepared,
    until: usize,
    f: &Fit,
    s: &Scenario,
    channel: &str,
) -> Result<(f64, f64), ForecastError> {
    let (mut actual, mut base) = (0.0, 0.0);
    let mut logs = Vec::new();
    for d in 0..until {
        let day = p.days[d];
        let wf = f.weekday[weekday_index(day.weekday())];
        let ordinary = f.ordinary_day(day);
        if !s.quiet_holidays.contains(&day) || wf <= 0.0 || p.total(d) <= 0.0 || ordinary <= 0.0 {
            continue;
        }
        actual += p.total(d);
        base += ordinary;
        logs.push((p.total(d) / ordinary).ln());
    }
    if base > 0.0 {
        return Ok((actual / base, effect_spread(&logs)));
    }
    s.quiet_factor.map(|v| (v, EVENT_SPREAD_UNKNOWN)).ok_or_else(|| {
        ForecastError::Input(format!(
            "channel `{channel}`: no past quiet holiday in the history to learn how quiet they are; \
             give the factor of an ordinary day in the scenario: quiet_factor = 0.6"
        ))
    })
}

/// The learned or manual daily factors of one event for one channel: factor per day of its window.
struct EventEffect {
    factors: Vec<(NaiveDate, f64)>,
    source: String,
    spread: f64,
}

/// Ratio of actual to baseline per day offset from the start, pooled over past occurrences of the
/// event's tag learned before `until`.
fn event_effect(
    p: &Prepared,
    until: usize,
    f: &Fit,
    scenario: &Scenario,
    e_index: usize,
    channel: &str,
) -> Result<EventEffect, ForecastError> {
    let event = &scenario.events[e_index];
    let window: Vec<NaiveDate> = {
        let (a, b) = event.window();
        a.iter_days().take_while(|d| *d <= b).collect()
    };
    if let Some(&m) = event.multiplier.get(channel) {
        let factors = window
            .iter()
            .map(|&d| {
                let v = if d < event.start {
                    event.multiplier_before.get(channel).copied().unwrap_or(1.0)
                } else if d > event.end {
                    event.multiplier_after.get(channel).copied().unwrap_or(1.0)
                } else {
                    m
                };
                (d, v)
            })
            .collect();
        return Ok(EventEffect {
            factors,
            source: format!("manual ×{m}"),
            spread: EVENT_SPREAD_UNKNOWN,
        });
    }
    let last_learned = p.days.get(until.wrapping_sub(1)).copied();
    let mut by_offset: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
    let mut log_uplifts = Vec::new();
    for (e, past) in scenario.events.iter().enumerate() {
        if e == e_index || past.tag != event.tag {
            continue;
        }
        let (a, b) = past.window();
        if last_learned.is_none_or(|l| b > l) {
            continue;
        }
        let (mut actual, mut base) = (0.0, 0.0);
        for day in a.iter_days().take_while(|d| *d <= b) {
            let Some(i) = p.days.iter().position(|d| *d == day) else {
                continue;
            };
            let wf = f.weekday[weekday_index(day.weekday())];
            if wf <= 0.0 || scenario.holidays.contains(&day) {
                continue;
            }
            let b_day = f.ordinary_day(day);
            let a_day = p.total(i);
            let entry = by_offset.entry((day - past.start).num_days()).or_default();
            entry.0 += a_day;
            entry.1 += b_day;
            actual += a_day;
            base += b_day;
        }
        if base > 0.0 && actual > 0.0 {
            log_uplifts.push((actual / base).ln());
        }
    }
    if log_uplifts.is_empty() {
        return Err(ForecastError::NoUpliftEvidence {
            event: event.name.clone(),
            tag: event.tag.clone(),
            channel: channel.to_string(),
        });
    }
    let last_in_event = (event.end - event.start).num_days();
    let factors = window
        .iter()
        .map(|&d| {
            let offset = (d - event.start).num_days();
            let key = if by_offset.contains_key(&offset) {
                Some(offset)
            } else if (0..=last_in_event).contains(&offset) {
                by_offset
                    .range(..=offset)
                    .next_back()
                    .map(|(k, _)| *k)
                    .filter(|k| *k >= 0)
            } else {
                None
            };
            let v = key
                .and_then(|k| by_offset.get(&k))
                .filter(|(_, b)| *b > 0.0)
                .map_or(1.0, |(a, b)| a / b);
            (d, v)
        })
        .collect();
    let n = log_uplifts.len();
    let spread = effect_spread(&log_uplifts);
    Ok(EventEffect {
        factors,
        source: format!(
            "learned from {n} past occurrence{}",
            if n == 1 { "" } else { "s" }
        ),
        spread,
    })
}

/// A channel's model and day factors for the target weeks.
struct ChannelSetup {
    channel: String,
    fit: Fit,
    day_factors: Vec<[DayFactor; 7]>,
    holiday_spread: Vec<f64>,
    quiet_spread: f64,
    events: Vec<WeeklyEvent>,
}

fn setup_channel(
    p: &Prepared,
    until: usize,
    channel: &str,
    scenario: Option<&Scenario>,
    weeks: &[NaiveDate],
) -> Result<ChannelSetup, ForecastError> {
    let empty = BTreeSet::new();
    let holidays = scenario.map_or(&empty, |s| &s.holidays);
    let f = fit(p, until, channel, holidays)?;
    let mut holiday_spread = vec![0.0; weeks.len()];
    let mut quiet_spread = 0.0;
    let mut day_factors: Vec<[DayFactor; 7]> = weeks
        .iter()
        .enumerate()
        .map(|(wi, &monday)| {
            let listed = holidays_in(holidays, monday);
            let quiet = if listed == 0 {
                1.0
            } else {
                let (effect, n) = f
                    .holiday_effect
                    .get(&listed)
                    .copied()
                    .unwrap_or(f.holiday_pooled);
                // The week's own deviation, and the effect's uncertainty from n past weeks.
                holiday_spread[wi] = if n == 0 {
                    EVENT_SPREAD_UNKNOWN
                } else {
                    f.holiday_spread * (1.0 + 1.0 / n as f64).sqrt()
                };
                effect.exp()
            };
            std::array::from_fn(|w| {
                let day = monday + Days::new(w as u64);
                let open = f.weekday[w] > 0.0 && !holidays.contains(&day);
                DayFactor {
                    open,
                    factor: if open { quiet } else { 0.0 },
                    event: None,
                    quiet: false,
                }
            })
        })
        .collect();
    // Open-but-quiet holidays: their share of an ordinary day, learned from the past ones (the
    // day's volume over its week's level times the weekday's factor), else the scenario's factor.
    if let Some(s) = scenario {
        let quiet: Vec<(usize, usize)> = weeks
            .iter()
            .enumerate()
            .flat_map(|(wi, &monday)| {
                (0..7)
                    .filter(move |&d| s.quiet_holidays.contains(&(monday + Days::new(d as u64))))
                    .map(move |d| (wi, d))
            })
            .collect();
        if !quiet.is_empty() {
            let factor;
            (factor, quiet_spread) = quiet_share(p, until, &f, s, channel)?;
            for (wi, d) in quiet {
                let df = &mut day_factors[wi][d];
                if df.open {
                    df.factor *= factor;
                    df.quiet = true;
                }
            }
        }
    }
    let mut events = Vec::new();
    if let (Some(s), Some(first), Some(last)) = (scenario, weeks.first(), weeks.last()) {
        let end = *last + Days::new(6);
        for (e, event) in s.events.iter().enumerate() {
            let (a, b) = event.window();
            if b < *first || a > end {
                continue;
            }
            let effect = event_effect(p, until, &f, s, e, channel)?;
            let slot = events.len();
            let (mut lifted, mut base) = (0.0, 0.0);
            for (day, v) in &effect.factors {
                let Some(wi) = weeks.iter().position(|m| *m == monday_of(*day)) else {
                    continue;
                };
                let w = weekday_index(day.weekday());
                let df = &mut day_factors[wi][w];
                if !df.open {
                    continue;
                }
                let b_day = f.weekday[w];
                base += b_day;
                lifted += b_day * v;
                df.factor *= v;
                df.event = Some(slot);
            }
            events.push(WeeklyEvent {
                event: event.name.clone(),
                tag: event.tag.clone(),
                source: effect.source,
                uplift: if base > 0.0 { lifted / base } else { 1.0 },
                spread: effect.spread,
            });
        }
    }
    Ok(ChannelSetup {
        channel: channel.to_string(),
        fit: f,
        day_factors,
        holiday_spread,
        quiet_spread,
        events,
    })
}

/// The learned weeks' residual innovations of each channel, on the weeks all channels share.
fn innovation_correlation(setups: &[ChannelSetup]) -> DMatrix<f64> {
    let c = setups.len();
    let mut corr = DMatrix::identity(c, c);
    let innovations: Vec<BTreeMap<NaiveDate, f64>> = setups
        .iter()
        .map(|s| {
            s.fit
                .learned
                .windows(2)
                .filter(|w| (w[1].0 - w[0].0).num_days() == 7)
                .map(|w| (w[1].0, w[1].2 - s.fit.phi * w[0].2))
                .collect()
        })
        .collect();
    for i in 0..c {
        for j in 0..i {
            let pairs: Vec<(f64, f64)> = innovations[i]
                .iter()
                .filter_map(|(d, a)| innovations[j].get(d).map(|b| (*a, *b)))
                .collect();
            if pairs.len() < 8 {
                continue;
            }
            let n = pairs.len() as f64;
            let (ma, mb) = pairs
                .iter()
                .fold((0.0, 0.0), |(x, y), (a, b)| (x + a / n, y + b / n));
            let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
            for (a, b) in &pairs {
                sab += (a - ma) * (b - mb);
                saa += (a - ma).powi(2);
                sbb += (b - mb).powi(2);
            }
            if saa > 0.0 && sbb > 0.0 {
                let r = sab / (saa * sbb).sqrt();
                corr[(i, j)] = r;
                corr[(j, i)] = r;
            }
        }
    }
    corr
}

/// Forecasts weekly volumes of every channel (in the scenario's order when there is one) from the
/// whole history.
pub fn forecast_weekly(
    history: &History,
    scenario: Option<&Scenario>,
    options: &WeeklyOptions,
) -> Result<WeeklyForecast, ForecastError> {
    if options.weeks == 0 || options.weeks > MAX_WEEKS {
        return Err(ForecastError::Input(format!(
            "--weeks: {} is outside 1…{MAX_WEEKS}",
            options.weeks
        )));
    }
    let first = monday_of(options.from);
    let weeks: Vec<NaiveDate> = (0..options.weeks)
        .map(|k| first + Days::new(7 * k as u64))
        .collect();
    check_reach(history, first, &weeks)?;
    let channels = channel_order(history, scenario);
    let partial_last_day = history.last_day_slots < history.slots_per_day();
    let mut setups = Vec::new();
    for ch in channels {
        let p = prepare_channel(ch, history, scenario);
        // Learn from the days before the first forecast week (and never from a day in progress).
        let mut until = ch.days.iter().take_while(|d| **d < first).count();
        if partial_last_day && until == ch.days.len() && ch.days.last() == Some(&history.last_day) {
            until -= 1;
        }
        setups.push(setup_channel(&p, until, &ch.channel, scenario, &weeks)?);
    }
    Ok(assemble(setups, weeks, options.seed))
}

/// The weeks of a weekly forecast lie after the start of the history and within [`MAX_WEEKS`] of
/// its end: a forecast a century ahead has bands of no use to anyone, one before the history has
/// nothing to learn from.
fn check_reach(
    history: &History,
    first: NaiveDate,
    weeks: &[NaiveDate],
) -> Result<(), ForecastError> {
    let Some(&last) = weeks.last() else {
        return Ok(());
    };
    if let Some(start) = history.channels.iter().filter_map(|c| c.days.first()).min()
        && first <= *start
    {
        return Err(ForecastError::Input(format!(
            "the forecast's first week ({first}) is not after the history's start: the history \
             starts on {start}, and a weekly forecast learns from the weeks before its first week \
             (at least {MIN_WEEKS} of them); start the forecast later (`--from`, or a capacity \
             plan's `plan_date`)"
        )));
    }
    let beyond = monday_of(history.last_day) + Days::new(7);
    let ahead = (last - beyond).num_days() / 7 + 1;
    if ahead > MAX_WEEKS as i64 {
        return Err(ForecastError::Input(format!(
            "the forecast's last week ({last}) is {ahead} weeks after the history ends ({}); a \
             weekly forecast reaches at most {MAX_WEEKS} weeks beyond its history: start it \
             earlier (`--from`, or a capacity plan's `plan_date`) or forecast fewer weeks, or give \
             a history that reaches closer",
            history.last_day
        )));
    }
    Ok(())
}

fn assemble(setups: Vec<ChannelSetup>, weeks: Vec<NaiveDate>, seed: u64) -> WeeklyForecast {
    let corr = innovation_correlation(&setups);
    let chol = corr
        .clone()
        .cholesky()
        .map_or_else(|| DMatrix::identity(setups.len(), setups.len()), |c| c.l());
    let mut out = WeeklyForecast {
        weeks: weeks.clone(),
        channels: Vec::new(),
        innovation_correlation: (0..corr.nrows())
            .map(|i| (0..corr.ncols()).map(|j| corr[(i, j)]).collect())
            .collect(),
        innovation_chol: chol,
    };
    out.channels = setups
        .into_iter()
        .map(|s| {
            let model = WeeklyModel {
                weeks_learned: s.fit.learned.len(),
                harmonics: s.fit.harmonics,
                growth_per_year: s.fit.beta[1].exp() - 1.0,
                ar: s.fit.phi,
                sigma: s.fit.sigma,
                band_scale: s.fit.band_scale,
                band_errors: s.fit.band_errors,
                weekday_share: {
                    let total: f64 = s.fit.weekday.iter().sum();
                    s.fit.weekday.map(|v| v / total.max(1e-12))
                },
                note: {
                    let seasonality = if s.fit.harmonics == 0 && s.fit.learned.len() < 52 {
                        format!(
                            "{} weeks of history: no yearly seasonality (it needs 52 weeks)",
                            s.fit.learned.len()
                        )
                    } else if s.fit.harmonics == 0 {
                        "no yearly seasonality found (BIC chose none)".to_string()
                    } else {
                        format!("yearly seasonality with {} harmonics", s.fit.harmonics)
                    };
                    let weight = s.fit.trend_weight;
                    let trend = if weight >= 0.5 {
                        format!("a growth trend (BIC weight {:.0} %)", 100.0 * weight)
                    } else {
                        format!(
                            "the level held, a trend given {:.0} % weight by BIC",
                            100.0 * weight
                        )
                    };
                    format!("{seasonality}; {trend}")
                },
            };
            WeeklyChannel {
                channel: s.channel,
                model,
                events: s.events,
                rows: Vec::new(),
                fit: s.fit,
                day_factors: s.day_factors,
                holiday_spread: s.holiday_spread,
                quiet_spread: s.quiet_spread,
            }
        })
        .collect();
    let draws = out.draws(QUANTILE_DRAWS, seed);
    for (c, ch) in out.channels.iter_mut().enumerate() {
        ch.rows = weeks
            .iter()
            .enumerate()
            .map(|(w, &monday)| {
                let mut v: Vec<f64> = draws.volume.iter().map(|p| p[c][w]).collect();
                let mean = v.iter().sum::<f64>() / v.len() as f64;
                v.sort_by(f64::total_cmp);
                let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
                let p50 = q(0.5);
                let factors = &ch.day_factors[w];
                let base: f64 = (0..7)
                    .filter(|&d| factors[d].open)
                    .map(|d| ch.fit.weekday[d])
                    .sum();
                let lifted: f64 = (0..7).map(|d| ch.fit.weekday[d] * factors[d].factor).sum();
                let per_unit = if lifted > 0.0 { p50 / lifted } else { 0.0 };
                WeekRow {
                    week: monday,
                    open_days: factors.iter().filter(|f| f.open).count(),
                    p10: q(0.1),
                    p50,
                    p90: q(0.9),
                    mean,
                    uplift: if base > 0.0 { lifted / base } else { 1.0 },
                    days: std::array::from_fn(|d| per_unit * ch.fit.weekday[d] * factors[d].factor),
                }
            })
            .collect();
    }
    out
}

impl WeeklyForecast {
    /// `paths` seeded paths of every channel's weekly volume (see the module's notes on how).
    pub fn draws(&self, paths: usize, seed: u64) -> Draws {
        let mut rng = SmallRng::seed_from_u64(seed);
        let event_count = self
            .channels
            .iter()
            .map(|c| c.events.len())
            .max()
            .unwrap_or(0);
        let c = self.channels.len();
        let weeks = self.weeks.len();
        // Every path meets the same weeks: their regressors once per channel and week.
        let designs: Vec<Vec<DVector<f64>>> = self
            .channels
            .iter()
            .map(|ch| self.weeks.iter().map(|&w| ch.fit.design(w)).collect())
            .collect();
        let mut volume = Vec::with_capacity(paths);
        for _ in 0..paths {
            // One coefficient draw per channel, one uplift draw per event and channel.
            let betas: Vec<DVector<f64>> = self
                .channels
                .iter()
                .map(|ch| {
                    let z = DVector::from_fn(ch.fit.beta.len(), |_, _| {
                        rng.sample::<f64, _>(StandardNormal)
                    });
                    &ch.fit.beta + &ch.fit.beta_chol * z
                })
                .collect();
            let lifts: Vec<Vec<f64>> = self
                .channels
                .iter()
                .map(|ch| {
                    (0..event_count)
                        .map(|e| {
                            let s = ch.events.get(e).map_or(0.0, |e| e.spread);
                            (s * rng.sample::<f64, _>(StandardNormal)).exp()
                        })
                        .collect()
                })
                .collect();
            let mut residual: Vec<f64> = self
                .channels
                .iter()
                .map(|ch| ch.fit.last_residual)
                .collect();
            let mut at: Vec<NaiveDate> = self.channels.iter().map(|ch| ch.fit.last_week).collect();
            let mut path = vec![vec![0.0; weeks]; c];
            for (w, &monday) in self.weeks.iter().enumerate() {
                // Step every channel's AR(1) from its last week to this one.
                while at.iter().any(|a| *a < monday) {
                    let z = DVector::from_fn(c, |_, _| rng.sample::<f64, _>(StandardNormal));
                    let eta = &self.innovation_chol * z;
                    for i in 0..c {
                        if at[i] < monday {
                            residual[i] = self.channels[i].fit.phi * residual[i]
                                + self.channels[i].fit.sigma * eta[i];
                            at[i] = at[i] + Days::new(7);
                        }
                    }
                }
                // A holiday week strays from its kind's effect alike on every channel.
                let holiday_z = if self.channels.iter().any(|ch| ch.holiday_spread[w] > 0.0) {
                    rng.sample::<f64, _>(StandardNormal)
                } else {
                    0.0
                };
                // So does a week's open-but-quiet holiday from its learned share.
                let quiet_z = if self
                    .channels
                    .iter()
                    .any(|ch| ch.day_factors[w].iter().any(|f| f.quiet))
                {
                    rng.sample::<f64, _>(StandardNormal)
                } else {
                    0.0
                };
                for (i, ch) in self.channels.iter().enumerate() {
                    let level = (designs[i][w].dot(&betas[i])
                        + residual[i]
                        + ch.holiday_spread[w] * holiday_z)
                        .exp();
                    let quiet = (ch.quiet_spread * quiet_z).exp();
                    let factors = &ch.day_factors[w];
                    path[i][w] = (0..7)
                        .filter(|&d| factors[d].open)
                        .map(|d| {
                            // An event day's factor moves with its event's drawn uplift.
                            let lift = factors[d].event.map_or(1.0, |e| lifts[i][e]);
                            let share = if factors[d].quiet { quiet } else { 1.0 };
                            level * ch.fit.weekday[d] * factors[d].factor * lift * share
                        })
                        .sum();
                }
            }
            volume.push(path);
        }
        Draws { volume }
    }
}

/// One horizon of the weekly backtest.
#[derive(Debug, Clone, Serialize)]
pub struct HorizonScore {
    /// Weeks ahead (1: the week that starts at the origin).
    pub weeks_ahead: usize,
    pub cells: usize,
    pub wape: f64,
    pub wape_seasonal_naive: f64,
    pub wape_trend_naive: f64,
    pub coverage_p10_p90: f64,
}

/// The weekly backtest of one channel.
#[derive(Debug, Clone, Serialize)]
pub struct WeeklyScore {
    pub channel: String,
    pub origins: usize,
    pub horizons: Vec<HorizonScore>,
    /// Over 4 to 26 weeks ahead (or as far as scored).
    pub wape: f64,
    pub wape_seasonal_naive: f64,
    pub wape_trend_naive: f64,
    pub coverage_p10_p90: f64,
}

/// One scored week: the actual and each method's forecast.
#[derive(Debug, Clone, Copy)]
struct Cell {
    actual: f64,
    model: f64,
    seasonal: f64,
    trend: f64,
    inside: bool,
}

/// Rolling-origin backtest of the weekly model against seasonal naive (the same week last year: 364
/// days back, same weekdays) and a trend-adjusted naive (that, times the growth of the last 13 weeks
/// over the same 13 weeks a year before). Origins every `step` weeks from the first that has 65 weeks
/// of history behind it; each forecasts up to `max_ahead` weeks; a week is scored when it, the week a
/// year before, and the 13 trend weeks are complete (no missing or outage day).
pub fn backtest_weekly(
    history: &History,
    scenario: Option<&Scenario>,
    max_ahead: usize,
    step: usize,
) -> Result<Vec<WeeklyScore>, ForecastError> {
    if max_ahead == 0 || max_ahead > MAX_WEEKS || step == 0 {
        return Err(ForecastError::Input(format!(
            "a weekly backtest scores 1…{MAX_WEEKS} weeks ahead (as far as a weekly forecast \
             reaches) from origins at least 1 week apart; got --weeks-ahead {max_ahead}, --step \
             {step}"
        )));
    }
    let mut out = Vec::new();
    for ch in channel_order(history, scenario) {
        let p = prepare_channel(ch, history, scenario);
        let partial = history.last_day_slots < history.slots_per_day()
            && ch.days.last() == Some(&history.last_day);
        let usable_days = ch.days.len() - usize::from(partial);
        // Complete weeks: Monday index → actual total, or None when a day is missing or an outage.
        // A listed holiday, closed or open but quiet, is part of a real week; a day without a
        // contact nobody listed (an outage) is not.
        let listed = |day: &NaiveDate| {
            scenario.is_some_and(|s| s.holidays.contains(day) || s.quiet_holidays.contains(day))
        };
        let mut actual: Vec<(NaiveDate, Option<f64>)> = Vec::new();
        let mut d = 0;
        while d + 7 <= usable_days {
            if p.days[d].weekday() != Weekday::Mon {
                d += 1;
                continue;
            }
            let clean = (d..d + 7).all(|i| match p.kind[i] {
                DayKind::Incomplete => false,
                DayKind::Holiday => listed(&p.days[i]),
                _ => true,
            });
            let total: f64 = (d..d + 7).map(|i| p.total(i)).sum();
            actual.push((p.days[d], clean.then_some(total)));
            d += 7;
        }
        let week_of = |monday: NaiveDate| {
            actual
                .binary_search_by_key(&monday, |w| w.0)
                .ok()
                .and_then(|i| actual[i].1)
        };
        let day_index = |day: NaiveDate| ch.days.iter().position(|d| *d == day);
        let mut cells: Vec<Vec<Cell>> = vec![Vec::new(); max_ahead];
        let mut origins = 0;
        let start = 65;
        let mut o = start;
        while o < actual.len() {
            let origin = actual[o].0;
            let Some(until) = day_index(origin) else {
                o += step;
                continue;
            };
            // The trend of the last 13 weeks over a year before.
            let (mut recent, mut before) = (0.0, 0.0);
            let mut trend_ok = true;
            for k in 1..=13 {
                let w = origin - Days::new(7 * k);
                match (week_of(w), week_of(w - Days::new(364))) {
                    (Some(a), Some(b)) => {
                        recent += a;
                        before += b;
                    }
                    _ => trend_ok = false,
                }
            }
            let targets: Vec<NaiveDate> = (0..max_ahead)
                .map(|k| origin + Days::new(7 * k as u64))
                .collect();
            let setup = match setup_channel(&p, until, &ch.channel, scenario, &targets) {
                Ok(s) => s,
                Err(ForecastError::NoUpliftEvidence { .. }) => {
                    o += step;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let fc = assemble(vec![setup], targets.clone(), 17);
            let rows = &fc.channels[0].rows;
            let mut any = false;
            for (k, &t) in targets.iter().enumerate() {
                let (Some(a), Some(sn)) = (week_of(t), week_of(t - Days::new(364))) else {
                    continue;
                };
                if !trend_ok || before <= 0.0 {
                    continue;
                }
                let r = &rows[k];
                let tn = sn * recent / before;
                cells[k].push(Cell {
                    actual: a,
                    model: r.p50,
                    seasonal: sn,
                    trend: tn,
                    inside: r.p10 <= a && a <= r.p90,
                });
                any = true;
            }
            origins += usize::from(any);
            o += step;
        }
        let wape = |cs: &[&Cell], pick: fn(&Cell) -> f64| {
            let a: f64 = cs.iter().map(|c| c.actual).sum();
            let e: f64 = cs.iter().map(|c| (pick(c) - c.actual).abs()).sum();
            if a > 0.0 { e / a } else { f64::NAN }
        };
        let summarize = |cs: Vec<&Cell>| {
            let n = cs.len();
            (
                n,
                wape(&cs, |c| c.model),
                wape(&cs, |c| c.seasonal),
                wape(&cs, |c| c.trend),
                cs.iter().filter(|c| c.inside).count() as f64 / n.max(1) as f64,
            )
        };
        let horizons: Vec<HorizonScore> = cells
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.is_empty())
            .map(|(k, c)| {
                let (n, m, sn, tn, cov) = summarize(c.iter().collect());
                HorizonScore {
                    weeks_ahead: k + 1,
                    cells: n,
                    wape: m,
                    wape_seasonal_naive: sn,
                    wape_trend_naive: tn,
                    coverage_p10_p90: cov,
                }
            })
            .collect();
        if horizons.is_empty() {
            return Err(ForecastError::Input(format!(
                "channel `{}`: the history ({} complete weeks) is too short for a weekly backtest; it \
                 needs 65 weeks before the first origin (a year for the seasonal naive, 13 weeks for \
                 its trend) and then the weeks to score",
                ch.channel,
                actual.len()
            )));
        }
        let from = 4.min(max_ahead);
        let (_, m, sn, tn, cov) = summarize(cells.iter().skip(from - 1).flatten().collect());
        out.push(WeeklyScore {
            channel: ch.channel.clone(),
            origins,
            horizons,
            wape: m,
            wape_seasonal_naive: sn,
            wape_trend_naive: tn,
            coverage_p10_p90: cov,
        });
    }
    Ok(out)
}
