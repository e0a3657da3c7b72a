//! Forecasting models: each takes a channel's prepared history up to an origin and returns volumes
//! for the days asked for, per slot of the day.
//!
//! Only ordinary days ([`DayKind::Normal`]) are learned from; holidays, outages, event days and
//! incomplete days are skipped, never read as zeros. Closed slots are forecast as 0.

use super::history::{Calendar, DayKind, weekday_index};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// A channel's history ready to learn from.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub days: Vec<NaiveDate>,
    pub kind: Vec<DayKind>,
    /// `[day][slot]`; missing open intervals of normal days are filled from the weekday's profile.
    pub volume: Vec<Vec<f64>>,
    pub calendar: Calendar,
}

impl Prepared {
    pub fn slots(&self) -> usize {
        self.calendar.open[0].len()
    }

    pub fn usable(&self, d: usize) -> bool {
        self.kind[d] == DayKind::Normal
    }

    pub fn total(&self, d: usize) -> f64 {
        self.volume[d].iter().sum()
    }

    /// Usable days before `until` with the weekday of `day`, latest first.
    fn same_weekday(&self, until: usize, day: NaiveDate) -> impl Iterator<Item = usize> + '_ {
        let w = day.weekday();
        (0..until)
            .rev()
            .filter(move |&d| self.usable(d) && self.days[d].weekday() == w)
    }

    /// The share of a weekday's volume in each slot: the mean over the last `weeks` usable days of
    /// that weekday, smoothed over neighbouring open slots and normalised.
    pub fn profile(&self, until: usize, day: NaiveDate, weeks: usize) -> Vec<f64> {
        let slots = self.slots();
        let open = &self.calendar.open[weekday_index(day.weekday())];
        let mut sum = vec![0.0; slots];
        let mut n = 0;
        for d in self.same_weekday(until, day).take(weeks) {
            let total = self.total(d);
            if total > 0.0 {
                for (s, v) in self.volume[d].iter().enumerate() {
                    sum[s] += v / total;
                }
                n += 1;
            }
        }
        if n == 0 {
            // No such weekday seen yet: spread evenly over the open slots.
            let count = open.iter().filter(|&&o| o).count().max(1) as f64;
            return open
                .iter()
                .map(|&o| if o { 1.0 / count } else { 0.0 })
                .collect();
        }
        // A triangular kernel over about ±30 minutes (at least one slot each side: 1-2-1 at 30
        // minutes, 1-2-3-2-1 at 15, seven slots each side at 5): at short intervals most of a
        // slot's share is Poisson noise, while the shape of a contact day moves on the scale of
        // an hour.
        let minutes = (24 * 60 / slots.max(1)).max(1);
        let half = (30 / minutes).max(1);
        let mut smooth = vec![0.0; slots];
        for s in 0..slots {
            if !open[s] {
                continue;
            }
            let (mut acc, mut weight) = (0.0, 0.0);
            for d in 0..=half {
                let w = (half + 1 - d) as f64;
                let sides: &[usize] = if d == 0 {
                    &[s]
                } else {
                    &[s.wrapping_sub(d), s + d]
                };
                for &t in sides {
                    if t < slots && open[t] {
                        acc += w * sum[t];
                        weight += w;
                    }
                }
            }
            smooth[s] = acc / weight;
        }
        let total: f64 = smooth.iter().sum();
        if total > 0.0 {
            smooth.iter_mut().for_each(|v| *v /= total);
        }
        smooth
    }

    /// Zeroes the closed slots of `day`.
    fn mask(&self, day: NaiveDate, mut values: Vec<f64>) -> Vec<f64> {
        let open = &self.calendar.open[weekday_index(day.weekday())];
        for (v, &o) in values.iter_mut().zip(open) {
            if !o || !v.is_finite() {
                *v = 0.0;
            }
            *v = v.max(0.0);
        }
        values
    }
}

/// A forecasting method.
pub trait Model {
    fn method(&self) -> Method;
    /// Volumes per slot for each of `days`, learning from the days before index `until` only.
    fn forecast(&self, p: &Prepared, until: usize, days: &[NaiveDate]) -> Vec<Vec<f64>>;
}

/// The methods, by their command-line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Same weekday last week.
    SeasonalNaive,
    /// Mean of the same interval on the same weekday over the last four weeks.
    WeekdayAverage,
    /// The same over six weeks.
    #[value(name = "weekday-average-6")]
    #[serde(rename = "weekday-average-6")]
    WeekdayAverage6,
    /// The same over eight weeks.
    #[value(name = "weekday-average-8")]
    #[serde(rename = "weekday-average-8")]
    WeekdayAverage8,
    /// The same over ten weeks.
    #[value(name = "weekday-average-10")]
    #[serde(rename = "weekday-average-10")]
    WeekdayAverage10,
    /// The same over twelve weeks.
    #[value(name = "weekday-average-12")]
    #[serde(rename = "weekday-average-12")]
    WeekdayAverage12,
    /// The weekday's daily total exponentially weighted over twelve weeks (weight 0.8 per week
    /// back), times the weekday's intraday profile pooled over those weeks and smoothed.
    WeekdayEwma,
    /// Daily totals by Holt–Winters with weekly seasonality, times a per-weekday intraday profile.
    LevelProfile,
    /// Multi-seasonal decomposition: trend plus daily and weekly seasonal components.
    Mstl,
    /// The median of five daily levels (the weekday's mean total over 4, 8 and 12 weeks, its
    /// exponentially weighted total and Holt–Winters), times the pooled, smoothed profile.
    Combined,
}

impl Method {
    pub const ALL: [Method; 10] = [
        Method::SeasonalNaive,
        Method::WeekdayAverage,
        Method::WeekdayAverage6,
        Method::WeekdayAverage8,
        Method::WeekdayAverage10,
        Method::WeekdayAverage12,
        Method::WeekdayEwma,
        Method::LevelProfile,
        Method::Mstl,
        Method::Combined,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::SeasonalNaive => "seasonal-naive",
            Method::WeekdayAverage => "weekday-average",
            Method::WeekdayAverage6 => "weekday-average-6",
            Method::WeekdayAverage8 => "weekday-average-8",
            Method::WeekdayAverage10 => "weekday-average-10",
            Method::WeekdayAverage12 => "weekday-average-12",
            Method::WeekdayEwma => "weekday-ewma",
            Method::LevelProfile => "level-profile",
            Method::Mstl => "mstl",
            Method::Combined => "combined",
        }
    }

    /// The simple same-weekday averages a planner would keep in a spreadsheet: the baselines the
    /// automatic choice is measured against.
    pub fn is_weekday_average(self) -> bool {
        matches!(
            self,
            Method::WeekdayAverage
                | Method::WeekdayAverage6
                | Method::WeekdayAverage8
                | Method::WeekdayAverage10
                | Method::WeekdayAverage12
        )
    }

    pub fn model(self) -> Box<dyn Model> {
        let average = |weeks| Box::new(WeekdayAverage { weeks });
        match self {
            Method::SeasonalNaive => Box::new(SeasonalNaive),
            Method::WeekdayAverage => average(4),
            Method::WeekdayAverage6 => average(6),
            Method::WeekdayAverage8 => average(8),
            Method::WeekdayAverage10 => average(10),
            Method::WeekdayAverage12 => average(12),
            Method::WeekdayEwma => Box::new(WeekdayEwma),
            Method::LevelProfile => Box::new(LevelProfile { profile_weeks: 8 }),
            Method::Mstl => Box::new(Mstl { weeks: 8 }),
            Method::Combined => Box::new(Combined),
        }
    }
}

/// The same weekday of the latest week with a usable one.
pub struct SeasonalNaive;

impl Model for SeasonalNaive {
    fn method(&self) -> Method {
        Method::SeasonalNaive
    }

    fn forecast(&self, p: &Prepared, until: usize, days: &[NaiveDate]) -> Vec<Vec<f64>> {
        days.iter()
            .map(|&day| {
                let values = match p.same_weekday(until, day).next() {
                    Some(d) => p.volume[d].clone(),
                    None => vec![0.0; p.slots()],
                };
                p.mask(day, values)
            })
            .collect()
    }
}

/// The mean of the same weekday over the last `weeks` usable occurrences.
pub struct WeekdayAverage {
    pub weeks: usize,
}

impl Model for WeekdayAverage {
    fn method(&self) -> Method {
        match self.weeks {
            6 => Method::WeekdayAverage6,
            8 => Method::WeekdayAverage8,
            10 => Method::WeekdayAverage10,
            12 => Method::WeekdayAverage12,
            _ => Method::WeekdayAverage,
        }
    }

    fn forecast(&self, p: &Prepared, until: usize, days: &[NaiveDate]) -> Vec<Vec<f64>> {
        days.iter()
            .map(|&day| {
                let mut sum = vec![0.0; p.slots()];
                let mut n = 0.0;
                for d in p.same_weekday(until, day).take(self.weeks) {
                    sum.iter_mut().zip(&p.volume[d]).for_each(|(a, v)| *a += v);
                    n += 1.0;
                }
                if n > 0.0 {
                    sum.iter_mut().for_each(|v| *v /= n);
                }
                p.mask(day, sum)
            })
            .collect()
    }
}

/// Weeks the level-and-profile methods look back.
const POOLED_WEEKS: usize = 12;

/// Weight per week back of the exponentially weighted level.
const EWMA_DECAY: f64 = 0.8;

impl Prepared {
    /// The weekday's mean daily total over its last `weeks` usable occurrences before `until`.
    fn weekday_level(&self, until: usize, day: NaiveDate, weeks: usize) -> Option<f64> {
        let totals: Vec<f64> = self
            .same_weekday(until, day)
            .take(weeks)
            .map(|d| self.total(d))
            .collect();
        (!totals.is_empty()).then(|| totals.iter().sum::<f64>() / totals.len() as f64)
    }

    /// The weekday's daily total exponentially weighted over its last [`POOLED_WEEKS`] usable
    /// occurrences, the latest weighing most.
    fn weekday_ewma(&self, until: usize, day: NaiveDate) -> Option<f64> {
        let (mut sum, mut weight, mut w) = (0.0, 0.0, 1.0);
        for d in self.same_weekday(until, day).take(POOLED_WEEKS) {
            sum += w * self.total(d);
            weight += w;
            w *= EWMA_DECAY;
        }
        (weight > 0.0).then(|| sum / weight)
    }

    /// A daily level spread over the day by the weekday's profile pooled over
    /// [`POOLED_WEEKS`] weeks and smoothed: the interval shape without most of its Poisson noise.
    fn spread_level(&self, until: usize, day: NaiveDate, level: f64) -> Vec<f64> {
        let profile = self.profile(until, day, POOLED_WEEKS);
        self.mask(day, profile.iter().map(|s| s * level).collect())
    }
}

/// The weekday's exponentially weighted daily total times its pooled, smoothed profile.
pub struct WeekdayEwma;

impl Model for WeekdayEwma {
    fn method(&self) -> Method {
        Method::WeekdayEwma
    }

    fn forecast(&self, p: &Prepared, until: usize, days: &[NaiveDate]) -> Vec<Vec<f64>> {
        days.iter()
            .map(|&day| {
                let level = p.weekday_ewma(until, day).unwrap_or(0.0);
                p.spread_level(until, day, level)
            })
            .collect()
    }
}

/// The median of several daily levels times the pooled, smoothed profile: a combination, robust
/// where any one level estimate has a bad week.
pub struct Combined;

impl Model for Combined {
    fn method(&self) -> Method {
        Method::Combined
    }

    fn forecast(&self, p: &Prepared, until: usize, days: &[NaiveDate]) -> Vec<Vec<f64>> {
        let holt_winters = LevelProfile::daily_totals(p, until, days);
        days.iter()
            .zip(holt_winters)
            .map(|(&day, hw)| {
                let mut levels: Vec<f64> = [4, 8, 12]
                    .iter()
                    .filter_map(|&w| p.weekday_level(until, day, w))
                    .chain(p.weekday_ewma(until, day))
                    .chain([hw])
                    .filter(|v| v.is_finite())
                    .collect();
                levels.sort_by(f64::total_cmp);
                let level = match levels.len() {
                    0 => 0.0,
                    n if n % 2 == 1 => levels[n / 2],
                    n => (levels[n / 2 - 1] + levels[n / 2]) / 2.0,
                };
                p.spread_level(until, day, level)
            })
            .collect()
    }
}

/// Daily totals by additive-trend (damped), multiplicative-weekly Holt–Winters, with smoothing
/// weights chosen by one-step-ahead squared error; times the weekday's intraday profile.
pub struct LevelProfile {
    pub profile_weeks: usize,
}

/// Holt–Winters state after filtering a daily series.
struct HoltWinters {
    level: f64,
    trend: f64,
    season: [f64; 7],
    phi: f64,
}

const DAMPING: f64 = 0.98;

impl HoltWinters {
    /// Filters `totals` (`None`: unusable day, predicted but not learned from; the weekday of day
    /// `i` is `weekdays[i]`) and returns the state and the one-step squared error.
    fn filter(
        totals: &[Option<f64>],
        weekdays: &[usize],
        alpha: f64,
        beta: f64,
        gamma: f64,
    ) -> Option<(HoltWinters, f64)> {
        // Start: the first two usable weeks set level and weekly indices.
        let first: Vec<(usize, f64)> = totals
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.map(|v| (i, v)))
            .take(14)
            .collect();
        if first.len() < 7 {
            return None;
        }
        let level0 = first.iter().map(|x| x.1).sum::<f64>() / first.len() as f64;
        if level0 <= 0.0 {
            return None;
        }
        let mut season = [0.0; 7];
        let mut count = [0.0; 7];
        for &(i, v) in &first {
            season[weekdays[i]] += v / level0;
            count[weekdays[i]] += 1.0;
        }
        for w in 0..7 {
            season[w] = if count[w] > 0.0 {
                season[w] / count[w]
            } else {
                1.0
            };
        }
        let mut hw = HoltWinters {
            level: level0,
            trend: 0.0,
            season,
            phi: DAMPING,
        };
        let mut sse = 0.0;
        let start = first[0].0;
        for (i, t) in totals.iter().enumerate().skip(start) {
            let w = weekdays[i];
            let base = hw.level + hw.phi * hw.trend;
            let predicted = base * hw.season[w];
            let Some(actual) = *t else {
                hw.level = base;
                hw.trend *= hw.phi;
                continue;
            };
            sse += (actual - predicted).powi(2);
            if hw.season[w] > 1e-9 {
                let level = alpha * actual / hw.season[w] + (1.0 - alpha) * base;
                hw.trend = beta * (level - hw.level) + (1.0 - beta) * hw.phi * hw.trend;
                hw.level = level.max(0.0);
            }
            if hw.level > 1e-9 {
                hw.season[w] = gamma * actual / hw.level + (1.0 - gamma) * hw.season[w];
            }
        }
        Some((hw, sse))
    }

    fn ahead(&self, h: usize, weekday: usize) -> f64 {
        // Damped trend: Σ_{k=1..h} φ^k.
        let damped: f64 = (1..=h).map(|k| self.phi.powi(k as i32)).sum();
        ((self.level + damped * self.trend) * self.season[weekday]).max(0.0)
    }
}

impl LevelProfile {
    fn daily_totals(p: &Prepared, until: usize, days: &[NaiveDate]) -> Vec<f64> {
        // At most two years of days; older ones no longer tell the level.
        let from = until.saturating_sub(730);
        let totals: Vec<Option<f64>> = (from..until)
            .map(|d| p.usable(d).then(|| p.total(d)))
            .collect();
        let weekdays: Vec<usize> = (from..until)
            .map(|d| weekday_index(p.days[d].weekday()))
            .collect();
        let mut best: Option<(HoltWinters, f64)> = None;
        for alpha in [0.05, 0.1, 0.2, 0.35, 0.5] {
            for beta in [0.0, 0.02, 0.1] {
                for gamma in [0.02, 0.05, 0.15, 0.3] {
                    if let Some((hw, sse)) =
                        HoltWinters::filter(&totals, &weekdays, alpha, beta, gamma)
                        && best.as_ref().is_none_or(|b| sse < b.1)
                    {
                        best = Some((hw, sse));
                    }
                }
            }
        }
        let last = p.days.get(until.wrapping_sub(1)).copied();
        days.iter()
            .map(|&day| match (&best, last) {
                (Some((hw, _)), Some(last)) => {
                    let h = (day - last).num_days().max(1) as usize;
                    hw.ahead(h, weekday_index(day.weekday()))
                }
                // Too short a history for the daily model: the weekday average.
                _ => WeekdayAverage { weeks: 4 }.forecast(p, until, &[day])[0]
                    .iter()
                    .sum(),
            })
            .collect()
    }
}

impl Model for LevelProfile {
    fn method(&self) -> Method {
        Method::LevelProfile
    }

    fn forecast(&self, p: &Prepared, until: usize, days: &[NaiveDate]) -> Vec<Vec<f64>> {
        let totals = Self::daily_totals(p, until, days);
        days.iter()
            .zip(totals)
            .map(|(&day, total)| {
                let profile = p.profile(until, day, self.profile_weeks);
                p.mask(day, profile.iter().map(|s| s * total).collect())
            })
            .collect()
    }
}

/// A multi-seasonal decomposition in the manner of MSTL (Bandara, Hyndman & Bergmeir 2021), on the
/// interval series of the last `weeks` weeks: a weekly moving-average trend, a daily seasonal
/// component (by slot) and a weekly one (by weekday and slot), re-estimated in turn twice. The
/// forecast is the trend's last level, moved on by its recent slope (damped), plus both components.
pub struct Mstl {
    pub weeks: usize,
}

impl Model for Mstl {
    fn method(&self) -> Method {
        Method::Mstl
    }

    fn forecast(&self, p: &Prepared, until: usize, days: &[NaiveDate]) -> Vec<Vec<f64>> {
        let slots = p.slots();
        let from = until.saturating_sub(7 * self.weeks);
        let span: Vec<usize> = (from..until).collect();
        if span.len() < 14 || !span.iter().any(|&d| p.usable(d)) {
            return WeekdayAverage { weeks: 4 }.forecast(p, until, days);
        }
        // Unusable days are filled with the weekday average so the moving average is not dragged.
        let fill = WeekdayAverage { weeks: 4 };
        let series: Vec<Vec<f64>> = span
            .iter()
            .map(|&d| {
                if p.usable(d) {
                    p.volume[d].clone()
                } else if !p.calendar.open_on(p.days[d]) {
                    vec![0.0; slots]
                } else {
                    fill.forecast(p, d, &[p.days[d]]).remove(0)
                }
            })
            .collect();
        let n = span.len();
        // Trend: the mean of the week centred on each day (a day-level moving average of length 7;
        // at the ends, the nearest full week).
        let day_totals: Vec<f64> = series.iter().map(|v| v.iter().sum()).collect();
        let trend: Vec<f64> = (0..n)
            .map(|i| {
                let lo = i.saturating_sub(3).min(n - 7);
                day_totals[lo..lo + 7].iter().sum::<f64>() / 7.0 / slots as f64
            })
            .collect();
        let mut daily = vec![0.0; slots];
        let mut weekly = [(); 7].map(|_| vec![0.0; slots]);
        for _ in 0..2 {
            // Daily component: mean over days of (y − trend − weekly) per slot.
            let mut sum = vec![0.0; slots];
            for i in 0..n {
                let w = weekday_index(p.days[span[i]].weekday());
                for s in 0..slots {
                    sum[s] += series[i][s] - trend[i] - weekly[w][s];
                }
            }
            daily = sum.iter().map(|v| v / n as f64).collect();
            // Weekly component: mean per weekday of (y − trend − daily), centred over weekdays.
            let mut sum = [(); 7].map(|_| vec![0.0; slots]);
            let mut count = [0.0; 7];
            for i in 0..n {
                let w = weekday_index(p.days[span[i]].weekday());
                count[w] += 1.0;
                for s in 0..slots {
                    sum[w][s] += series[i][s] - trend[i] - daily[s];
                }
            }
            for s in 0..slots {
                let mut mean = 0.0;
                for w in 0..7 {
                    weekly[w][s] = if count[w] > 0.0 {
                        sum[w][s] / count[w]
                    } else {
                        0.0
                    };
                    mean += weekly[w][s] / 7.0;
                }
                for row in weekly.iter_mut() {
                    row[s] -= mean;
                }
            }
        }
        // The trend is known up to three days before the end; its slope over the last two weeks
        // carries it on, damped.
        let last_centre = n - 4;
        let slope = if n >= 21 {
            (trend[last_centre] - trend[last_centre - 14]) / 14.0
        } else {
            0.0
        };
        let last = p.days[until - 1];
        days.iter()
            .map(|&day| {
                let h = (day - last).num_days().max(1) as f64 + 3.0;
                let damped: f64 = (1..=h as i32).map(|k| DAMPING.powi(k)).sum();
                let level = (trend[last_centre] + slope * damped).max(0.0);
                let w = weekday_index(day.weekday());
                let values = (0..slots)
                    .map(|s| level + daily[s] + weekly[w][s])
                    .collect();
                p.mask(day, values)
            })
            .collect()
    }
}
