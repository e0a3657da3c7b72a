//! Forecasting models: each takes a channel's prepared history up to an origin and returns volumes
//! for the days asked for, per slot of the day.
//!
//! Only ordinary days ([`DayKind::Normal`]) are learned from; holidays, outages, event days and
//! incomplete days are skipped, never read as zeros. Closed slots are forecast as 0.

use super::history::{Calendar, DayKind, weekday_index};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A channel's history ready to learn from.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub days: Vec<NaiveDate>,
    pub kind: Vec<DayKind>,
    /// `[day][slot]`; missing open intervals of normal days are filled from the weekday's profile.
    pub volume: Vec<Vec<f64>>,
    pub calendar: Calendar,
    /// How the level-and-profile methods estimate a weekday's intraday profile: the default until
    /// [`Prepared::learn_shape`] has chosen one on the history.
    pub shape: ProfileShape,
    /// Fits already made on this history; cleared whenever `volume` changes.
    pub memo: Memo,
}

/// How a weekday's intraday profile is estimated: the mean share of each slot over the last
/// `weeks` usable days of that weekday, smoothed by a triangular kernel reaching `half` slots
/// either side (0: not smoothed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProfileShape {
    pub weeks: usize,
    pub half: usize,
}

/// Weeks a profile may average over, for [`Prepared::learn_shape`] to choose from.
const SHAPE_WEEKS: [usize; 5] = [4, 8, 12, 26, 52];

/// Smoothing half-widths in minutes, for [`Prepared::learn_shape`] to choose from (each rounded
/// down to whole slots).
const SHAPE_HALF_MINUTES: [usize; 5] = [0, 10, 20, 30, 60];

/// Days before the first origin whose profiles [`Prepared::learn_shape`] scores.
pub const SHAPE_DAYS: usize = 28;

/// Scored days [`Prepared::learn_shape`] needs to choose; with fewer the default stays.
const SHAPE_MIN_DAYS: usize = 10;

impl ProfileShape {
    /// What a profile is without a choice: twelve weeks, smoothed over about ±30 minutes (at least
    /// one slot each side: 1-2-1 at 30 minutes, 1-2-3-2-1 at 15, seven slots each side at 5).
    pub fn default_for(slots: usize) -> ProfileShape {
        ProfileShape {
            weeks: 12,
            half: (30 / slot_minutes(slots)).max(1),
        }
    }

    /// The same over `weeks` weeks.
    pub fn over(self, weeks: usize) -> ProfileShape {
        ProfileShape { weeks, ..self }
    }

    /// The smoothing's reach either side, in minutes, for a day of `slots` slots.
    pub fn half_minutes(self, slots: usize) -> usize {
        self.half * slot_minutes(slots)
    }
}

/// Minutes in one of a day's `slots` slots.
fn slot_minutes(slots: usize) -> usize {
    (24 * 60 / slots.max(1)).max(1)
}

impl Prepared {
    pub fn slots(&self) -> usize {
        self.calendar.open[0].len()
    }

    pub fn usable(&self, d: usize) -> bool {
        self.kind[d] == DayKind::Normal
    }

    /// An open day whose volume is what happened, ordinary or unusual: what a week's total counts.
    pub fn counted(&self, d: usize) -> bool {
        matches!(self.kind[d], DayKind::Normal | DayKind::Unusual)
    }

    pub fn total(&self, d: usize) -> f64 {
        self.totals()[d]
    }

    /// Every day's total volume.
    pub fn totals(&self) -> Arc<[f64]> {
        if let Some(hit) = &self.memo.tables().totals {
            return hit.clone();
        }
        let totals: Arc<[f64]> = self.volume.iter().map(|row| row.iter().sum()).collect();
        self.memo.tables().totals = Some(totals.clone());
        totals
    }

    /// Usable days before `until` with the weekday of `day`, latest first.
    fn same_weekday(&self, until: usize, day: NaiveDate) -> impl Iterator<Item = usize> + '_ {
        let w = day.weekday();
        (0..until)
            .rev()
            .filter(move |&d| self.usable(d) && self.days[d].weekday() == w)
    }

    /// The latest usable day before `until` with weekday `w`.
    fn latest(&self, until: usize, w: usize) -> Option<usize> {
        (0..until)
            .rev()
            .find(|&d| self.usable(d) && weekday_index(self.days[d].weekday()) == w)
    }

    /// The mean share of each slot in the day's volume over `weeks` usable days of one weekday, the
    /// latest of them `latest`; `None` when none of them had any volume.
    fn mean_share(&self, latest: usize, weeks: usize) -> Option<Arc<[f64]>> {
        self.memo.cached(
            |t| &mut t.means,
            (latest, weeks),
            || self.mean_share_uncached(latest, weeks),
        )
    }

    fn mean_share_uncached(&self, latest: usize, weeks: usize) -> Option<Arc<[f64]>> {
        let slots = self.slots();
        let totals = self.totals();
        let mut sum = vec![0.0; slots];
        let mut n = 0;
        for d in self.same_weekday(latest + 1, self.days[latest]).take(weeks) {
            let total = totals[d];
            if total > 0.0 {
                for (s, v) in self.volume[d].iter().enumerate() {
                    sum[s] += v / total;
                }
                n += 1;
            }
        }
        (n > 0).then(|| sum.iter().map(|v| v / n as f64).collect())
    }

    /// The share of a weekday's volume in each slot, estimated as [`Prepared::shape`] says: the
    /// mean over the last usable days of that weekday, smoothed over neighbouring open slots and
    /// normalised.
    pub fn profile(&self, until: usize, day: NaiveDate) -> Arc<[f64]> {
        self.profile_with(until, day, self.shape, 0.0)
    }

    /// [`Prepared::profile`] with a share `pool` of it taken from the other weekdays with the same
    /// opening hours (their mean profile over the same weeks): at short intervals a weekday's own
    /// weeks leave much Poisson noise in the shape, while the weekdays of a contact centre mostly
    /// share it.
    pub fn pooled_profile(&self, until: usize, day: NaiveDate, pool: f64) -> Arc<[f64]> {
        self.profile_with(until, day, self.shape, pool)
    }

    /// The profile of `day`'s weekday estimated as `shape` says, a share `pool` of it from the other
    /// weekdays with the same hours (see [`Prepared::pooled_profile`]).
    pub fn profile_with(
        &self,
        until: usize,
        day: NaiveDate,
        shape: ProfileShape,
        pool: f64,
    ) -> Arc<[f64]> {
        let w = weekday_index(day.weekday());
        let open = &self.calendar.open[w];
        let mut sources = [usize::MAX; 7];
        for (v, source) in sources.iter_mut().enumerate() {
            let same_hours = v == w || (pool > 0.0 && self.calendar.open[v] == *open);
            if same_hours && let Some(d) = self.latest(until, v) {
                *source = d;
            }
        }
        let key = ProfileKey {
            weekday: w,
            shape,
            pool: pool.to_bits(),
            sources,
        };
        self.memo.cached(
            |t| &mut t.profiles,
            key,
            || self.mixed_profile(w, shape, pool, &sources),
        )
    }

    /// The profile of weekday `w` drawn from the weekdays whose latest usable day `sources` has
    /// (see [`Prepared::pooled_profile`]).
    fn mixed_profile(
        &self,
        w: usize,
        shape: ProfileShape,
        pool: f64,
        sources: &[usize; 7],
    ) -> Arc<[f64]> {
        let ProfileShape { weeks, half } = shape;
        let open = &self.calendar.open[w];
        let slots = self.slots();
        let own = (sources[w] != usize::MAX)
            .then(|| self.mean_share(sources[w], weeks))
            .flatten();
        let others: Vec<Arc<[f64]>> = (0..7)
            .filter(|&v| v != w && sources[v] != usize::MAX)
            .filter_map(|v| self.mean_share(sources[v], weeks))
            .collect();
        let mut sum = vec![0.0; slots];
        let own_weight = if others.is_empty() { 1.0 } else { 1.0 - pool };
        if let Some(own) = &own {
            sum.iter_mut()
                .zip(own.iter())
                .for_each(|(a, v)| *a += own_weight * v);
        }
        let other_weight = if own.is_none() { 1.0 } else { pool } / others.len().max(1) as f64;
        for other in &others {
            sum.iter_mut()
                .zip(other.iter())
                .for_each(|(a, v)| *a += other_weight * v);
        }
        if own.is_none() && others.is_empty() {
            // No such weekday seen yet: spread evenly over the open slots.
            let count = open.iter().filter(|&&o| o).count().max(1) as f64;
            open.iter()
                .map(|&o| if o { 1.0 / count } else { 0.0 })
                .collect()
        } else {
            smooth(&sum, open, half).into()
        }
    }

    /// Chooses how profiles are estimated ([`Prepared::shape`]) by how well each way would have
    /// foreseen the intraday shape of the usable days in the four weeks before `before` (the first
    /// origin of the backtest, so no origin's choice has seen its own future). Each such day is
    /// scored from the days before it, as its total spread by the profile against what happened
    /// (absolute error, summed): the look-back (4 to 52 weeks) and the smoothing (none to ±60
    /// minutes) the lowest error wins. A shape that holds still is best averaged over a year; one
    /// that moves with the seasons, over a month; and at short intervals the Poisson noise of a
    /// slot wants smoothing that at half an hour would blunt the peaks. Fewer than ten such days
    /// (each with four weeks of its weekday before it) keep the default.
    pub fn learn_shape(&mut self, before: usize) {
        let slots = self.slots();
        let minutes = slot_minutes(slots);
        let mut halves: Vec<usize> = SHAPE_HALF_MINUTES.iter().map(|m| m / minutes).collect();
        halves.dedup();
        let totals = self.totals();
        let scored: Vec<usize> = (before.saturating_sub(SHAPE_DAYS)..before.min(self.days.len()))
            .filter(|&d| {
                self.usable(d)
                    && totals[d] > 0.0
                    && self.same_weekday(d, self.days[d]).nth(3).is_some()
            })
            .collect();
        if scored.len() < SHAPE_MIN_DAYS {
            return;
        }
        let mut error = vec![0.0; SHAPE_WEEKS.len() * halves.len()];
        for &d in &scored {
            let w = weekday_index(self.days[d].weekday());
            let open = &self.calendar.open[w];
            let Some(latest) = self.latest(d, w) else {
                continue;
            };
            for (i, &weeks) in SHAPE_WEEKS.iter().enumerate() {
                let Some(mean) = self.mean_share(latest, weeks) else {
                    continue;
                };
                for (j, &half) in halves.iter().enumerate() {
                    let profile = smooth(&mean, open, half);
                    error[i * halves.len() + j] += profile
                        .iter()
                        .zip(&self.volume[d])
                        .map(|(p, a)| (p * totals[d] - a).abs())
                        .sum::<f64>();
                }
            }
        }
        let best = (0..error.len()).fold(0, |b, k| if error[k] < error[b] { k } else { b });
        self.shape = ProfileShape {
            weeks: SHAPE_WEEKS[best / halves.len()],
            half: halves[best % halves.len()],
        };
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

/// `shares` smoothed over neighbouring open slots by a triangular kernel reaching `half` slots
/// either side (1-2-1 for one), and normalised; closed slots get none.
fn smooth(shares: &[f64], open: &[bool], half: usize) -> Vec<f64> {
    let slots = shares.len();
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
                    acc += w * shares[t];
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

/// What identifies a profile: the weekday, its shape, the pooled share and the latest usable day
/// of each weekday it is drawn from (`usize::MAX`: not drawn from).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ProfileKey {
    weekday: usize,
    shape: ProfileShape,
    pool: u64,
    sources: [usize; 7],
}

/// Profiles, mean shares and Holt–Winters fits already computed on a history, keyed by what they
/// depend on: the methods run from one origin, and origins a day apart, share most of them. A
/// clone starts empty (it is a cache, not data).
#[derive(Default)]
pub struct Memo(Mutex<MemoTables>);

#[derive(Default)]
struct MemoTables {
    profiles: HashMap<ProfileKey, Arc<[f64]>>,
    means: HashMap<(usize, usize), Option<Arc<[f64]>>>,
    holt_winters: HashMap<usize, Option<HoltWinters>>,
    totals: Option<Arc<[f64]>>,
    runs: HashMap<(usize, usize), Runs>,
    month_days: HashMap<usize, MonthDays>,
}

impl Memo {
    fn tables(&self) -> std::sync::MutexGuard<'_, MemoTables> {
        // A panic while holding the lock leaves only complete entries behind.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry `key` of the table `table` picks, made by `make` when it is missing (outside the
    /// lock: `make` may use the memo itself).
    fn cached<K: std::hash::Hash + Eq, V: Clone>(
        &self,
        table: fn(&mut MemoTables) -> &mut HashMap<K, V>,
        key: K,
        make: impl FnOnce() -> V,
    ) -> V {
        if let Some(hit) = table(&mut self.tables()).get(&key) {
            return hit.clone();
        }
        let value = make();
        table(&mut self.tables()).insert(key, value.clone());
        value
    }

    /// Forgets everything: the history it was computed on has changed.
    pub fn clear(&self) {
        *self.tables() = MemoTables::default();
    }
}

impl Clone for Memo {
    fn clone(&self) -> Self {
        Memo::default()
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = self.tables();
        f.debug_struct("Memo")
            .field("profiles", &t.profiles.len())
            .field("means", &t.means.len())
            .field("holt_winters", &t.holt_winters.len())
            .field("runs", &t.runs.len())
            .field("month_days", &t.month_days.len())
            .field("totals", &t.totals.is_some())
            .finish()
    }
}

/// A forecasting method.
pub trait Model {
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
    /// back), times the weekday's intraday profile (over the weeks and with the smoothing the
    /// history's own days favour).
    WeekdayEwma,
    /// The eight-week same-weekday average, its level moved by how far the latest days ran above or
    /// below their own weekday averages, as far as such runs persisted in the history.
    #[value(name = "weekday-average-adjusted")]
    #[serde(rename = "weekday-average-adjusted")]
    AdjustedAverage,
    /// Daily totals by Holt–Winters with weekly seasonality, times a per-weekday intraday profile.
    LevelProfile,
    /// The same with each weekday's profile half its own, half that of the other weekdays with the
    /// same opening hours.
    LevelPooled,
    /// The mean of the pooled level × profile and the adjusted average: a smoothed model of level
    /// and shape beside the planner's interval average with a learned level correction.
    Blend,
    /// Multi-seasonal decomposition: trend plus daily and weekly seasonal components.
    Mstl,
    /// The median of five daily levels (the weekday's mean total over 4, 8 and 12 weeks, its
    /// exponentially weighted total and Holt–Winters), times the pooled, smoothed profile.
    Combined,
}

impl Method {
    pub const ALL: [Method; 13] = [
        Method::SeasonalNaive,
        Method::WeekdayAverage,
        Method::WeekdayAverage6,
        Method::WeekdayAverage8,
        Method::WeekdayAverage10,
        Method::WeekdayAverage12,
        Method::WeekdayEwma,
        Method::AdjustedAverage,
        Method::LevelProfile,
        Method::LevelPooled,
        Method::Blend,
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
            Method::AdjustedAverage => "weekday-average-adjusted",
            Method::LevelProfile => "level-profile",
            Method::LevelPooled => "level-pooled",
            Method::Blend => "blend",
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

    /// Whether the method spreads a daily level by the weekday's intraday profile
    /// ([`Prepared::profile`]); the others forecast each interval from the same interval's past.
    pub fn uses_profile(self) -> bool {
        matches!(
            self,
            Method::WeekdayEwma
                | Method::LevelProfile
                | Method::LevelPooled
                | Method::Blend
                | Method::Combined
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
            Method::AdjustedAverage => Box::new(AdjustedAverage {
                weeks: ADJUSTED_WEEKS,
            }),
            Method::LevelProfile => Box::new(LevelProfile { pool: 0.0 }),
            Method::LevelPooled => Box::new(LevelProfile { pool: POOL }),
            Method::Blend => Box::new(Blend),
            Method::Mstl => Box::new(Mstl { weeks: 8 }),
            Method::Combined => Box::new(Combined),
        }
    }
}

/// What forecasts a channel: one method, or the mean of several, interval by interval (the
/// automatic choice: the methods that scored best in the backtest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// The methods averaged, best first; one for a method asked for by name.
    pub members: Vec<Method>,
    /// Each day of the mean times its day-of-month factor ([`DayOfMonth`]): where the backtest
    /// found the channel's volume follows the day of the month.
    pub day_of_month: bool,
}

impl Choice {
    pub fn single(method: Method) -> Choice {
        Choice {
            members: vec![method],
            day_of_month: false,
        }
    }

    /// The method's name, or `mean of a + b + …`, with `× day of month` when that layer is on.
    pub fn name(&self) -> String {
        let base = match self.members.as_slice() {
            [one] => one.name().to_string(),
            many => format!(
                "mean of {}",
                many.iter()
                    .map(|m| m.name())
                    .collect::<Vec<_>>()
                    .join(" + ")
            ),
        };
        format!("{base}{}", self.layers())
    }

    /// Whether any member spreads a daily level by the intraday profile.
    pub fn uses_profile(&self) -> bool {
        self.members.iter().any(|m| m.uses_profile())
    }

    /// `" × day of month"` when that layer is on, else nothing: what follows the members' name.
    pub fn layers(&self) -> &'static str {
        if self.day_of_month {
            " × day of month"
        } else {
            ""
        }
    }
}

impl Model for Choice {
    fn forecast(&self, p: &Prepared, until: usize, days: &[NaiveDate]) -> Vec<Vec<f64>> {
        let mut members = self
            .members
            .iter()
            .map(|m| m.model().forecast(p, until, days));
        let Some(mut sum) = members.next() else {
            return vec![vec![0.0; p.slots()]; days.len()];
        };
        for other in members {
            for (row, add) in sum.iter_mut().zip(other) {
                row.iter_mut().zip(add).for_each(|(a, v)| *a += v);
            }
        }
        let n = self.members.len() as f64;
        let factors = self.day_of_month.then(|| DayOfMonth::factors(p, until));
        for (row, day) in sum.iter_mut().zip(days) {
            let scale = factors.as_ref().map_or(1.0, |f| f[day.day() as usize]) / n;
            row.iter_mut().for_each(|v| *v *= scale);
        }
        sum
    }
}

/// The same weekday of the latest week with a usable one.
pub struct SeasonalNaive;

impl Model for SeasonalNaive {
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

/// Weeks the exponentially weighted level looks back.
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

    /// A daily level spread over the day by the weekday's profile ([`Prepared::profile`]): the
    /// interval shape without most of its Poisson noise.
    fn spread_level(&self, until: usize, day: NaiveDate, level: f64) -> Vec<f64> {
        let profile = self.profile(until, day);
        self.mask(day, profile.iter().map(|s| s * level).collect())
    }
}

/// The weekday's exponentially weighted daily total times its pooled, smoothed profile.
pub struct WeekdayEwma;

impl Model for WeekdayEwma {
    fn forecast(&self, p: &Prepared, until: usize, days: &[NaiveDate]) -> Vec<Vec<f64>> {
        days.iter()
            .map(|&day| {
                let level = p.weekday_ewma(until, day).unwrap_or(0.0);
                p.spread_level(until, day, level)
            })
            .collect()
    }
}

/// Weeks of [`AdjustedAverage`]'s average.
const ADJUSTED_WEEKS: usize = 8;

/// Days back whose level runs the adjustment of [`AdjustedAverage`] learns from.
const ANOMALY_DAYS: usize = 182;

/// Per day, how far its total ran from its weekday's average and the mean of that over the last
/// week (see [`AdjustedAverage`]).
type Runs = Arc<[Option<(f64, f64)>]>;

/// Days in the recent run of [`AdjustedAverage`]'s second regressor.
const RUN_DAYS: usize = 7;

/// The same-weekday interval average over `weeks`, times `1 + a_h·r + b_h·r̄`: `r` is how far the
/// latest usable day's total ran from its own weekday's average (`total / average − 1`), `r̄` the
/// mean of that over the last week, and `a_h`, `b_h` the least-squares fit of the same run `h`
/// days later over the last half year. Day-level swings that pass (Poisson, one-off days) give
/// coefficients near zero and leave the average as it is; swings that persist (weather, a slow
/// drift the average lags) move the level by as much as they persisted before.
pub struct AdjustedAverage {
    pub weeks: usize,
}

impl AdjustedAverage {
    /// Per day before `until`: `total / weekday average − 1` and the mean of that over the last
    /// [`RUN_DAYS`] days, for usable days with at least two earlier occurrences of their weekday.
    fn runs(&self, p: &Prepared, until: usize) -> Runs {
        p.memo.cached(
            |t| &mut t.runs,
            (until, self.weeks),
            || self.runs_uncached(p, until),
        )
    }

    fn runs_uncached(&self, p: &Prepared, until: usize) -> Runs {
        let from = until.saturating_sub(ANOMALY_DAYS + 7 * self.weeks);
        let totals = p.totals();
        // The latest usable days of each weekday seen so far, newest last.
        let mut recent: [Vec<f64>; 7] = Default::default();
        for d in until.saturating_sub(ANOMALY_DAYS + 14 * self.weeks)..from {
            if p.usable(d) {
                recent[weekday_index(p.days[d].weekday())].push(totals[d]);
            }
        }
        let anomaly: Vec<Option<f64>> = (from..until)
            .map(|d| {
                if !p.usable(d) {
                    return None;
                }
                let seen = &mut recent[weekday_index(p.days[d].weekday())];
                let window = &seen[seen.len().saturating_sub(self.weeks)..];
                let base = window.iter().sum::<f64>() / window.len().max(1) as f64;
                let r = (window.len() >= 2 && base > 0.0).then(|| totals[d] / base - 1.0);
                seen.push(totals[d]);
                r
            })
            .collect();
        (0..anomaly.len())
            .map(|i| {
                let r = anomaly[i]?;
                let recent: Vec<f64> = anomaly[i.saturating_sub(RUN_DAYS - 1)..=i]
                    .iter()
                    .flatten()
                    .copied()
                    .collect();
                Some((r, recent.iter().sum::<f64>() / recent.len() as f64))
            })
            .collect()
    }

    /// The least-squares `(a, b)` of `r[i + h] ≈ a·r[i] + b·r̄[i]`, with a small ridge so that a
    /// history without swings gives zeros; `(0, 0)` with fewer than 20 pairs.
    fn coefficients(runs: &[Option<(f64, f64)>], h: usize) -> (f64, f64) {
        let (mut xx, mut xy, mut yy, mut xt, mut yt, mut n) = (0.0, 0.0, 0.0, 0.0, 0.0, 0);
        for i in 0..runs.len().saturating_sub(h) {
            let (Some((x, y)), Some((t, _))) = (runs[i], runs[i + h]) else {
                continue;
            };
            xx += x * x;
            xy += x * y;
            yy += y * y;
            xt += x * t;
            yt += y * t;
            n += 1;
        }
        if n < 20 {
            return (0.0, 0.0);
        }
        let ridge = 1e-3 * (xx + yy) + 1e-12;
        let (xx, yy) = (xx + ridge, yy + ridge);
        let det = xx * yy - xy * xy;
        if det <= 0.0 {
            return (0.0, 0.0);
        }
        ((yy * xt - xy * yt) / det, (xx * yt - xy * xt) / det)
    }
}

impl Model for AdjustedAverage {
    fn forecast(&self, p: &Prepared, until: usize, days: &[NaiveDate]) -> Vec<Vec<f64>> {
        let average = WeekdayAverage { weeks: self.weeks }.forecast(p, until, days);
        let runs = self.runs(p, until);
        let offset = until - runs.len();
        let Some(last) = (0..runs.len()).rev().find(|&i| runs[i].is_some()) else {
            return average;
        };
        let (r, run) = runs[last].unwrap_or_default();
        let last_day = p.days[offset + last];
        days.iter()
            .zip(average)
            .map(|(&day, values)| {
                let h = (day - last_day).num_days().max(1) as usize;
                let (a, b) = Self::coefficients(&runs, h);
                let factor = 1.0 + a * r + b * run;
                p.mask(day, values.iter().map(|v| v * factor).collect())
            })
            .collect()
    }
}

/// How much busier than its weekday's level a day of the month runs (index 1–31; 0 unused).
type MonthDays = Arc<[f64; 32]>;

/// Days back the day-of-month effect is learned from.
const MONTH_DAY_HISTORY: usize = 365;

/// Same-weekday neighbours on each side, in weeks, that set a day's local level when learning the
/// day-of-month effect.
const MONTH_DAY_NEIGHBOURS: usize = 4;

/// Half-width of the triangular kernel over neighbouring days of the month (the effect of a payday
/// or a statement run spreads over a few days, and each day of the month is seen once a month).
const MONTH_DAY_KERNEL: usize = 2;

/// The kernel weight the estimate of each day of the month is shrunk toward no effect by (about
/// one month of evidence): a short history or a series without a monthly rhythm keeps factors
/// near one.
const MONTH_DAY_PRIOR: f64 = 3.0;

/// A day's run from its local level counts at most this much (a day after a holiday, an outage
/// the calendar does not know, must not make a day of the month).
const MONTH_DAY_CLIP: f64 = 0.3;

/// The day-of-month effect: how much busier than its weekday's level each day of the month runs,
/// for the automatic choice's calendar layer ([`Choice::day_of_month`]). Billing cycles, paydays
/// and statement runs move a contact centre's volume by the day of the month, which a weekday
/// average smears over its weeks.
///
/// The factors are learned by backfitting on the last year's usable days: a day's local level is
/// the mean of its weekday's usable days within [`MONTH_DAY_NEIGHBOURS`] weeks either side (each
/// divided by its own factor so far), its run the ratio of its total to that level less one
/// (clipped to ±[`MONTH_DAY_CLIP`]), and the factor of a day of the month the kernel-weighted mean
/// of the runs of nearby days of the month (circular over 31 days), shrunk toward no effect by
/// [`MONTH_DAY_PRIOR`]; three passes.
pub struct DayOfMonth;

impl DayOfMonth {
    /// The factors learned from the days before `until`, rounded down to a whole number of weeks
    /// from the history's first day: a month's rhythm does not change from one day to the next,
    /// and origins a day apart then share one fit.
    pub(crate) fn factors(p: &Prepared, until: usize) -> MonthDays {
        let from = until - until % 7;
        p.memo
            .cached(|t| &mut t.month_days, from, || Self::learn(p, from))
    }

    fn learn(p: &Prepared, until: usize) -> MonthDays {
        let totals = p.totals();
        let from = until.saturating_sub(MONTH_DAY_HISTORY);
        let learnable = |d: usize| p.usable(d) && totals[d] > 0.0;
        let days: Vec<usize> = (from..until).filter(|&d| learnable(d)).collect();
        // Each day's usable same-weekday neighbours within the window, itself left out (the days
        // of a history are consecutive, so they lie whole weeks apart).
        let neighbours: Vec<Vec<usize>> = days
            .iter()
            .map(|&d| {
                (1..=MONTH_DAY_NEIGHBOURS)
                    .flat_map(|k| [d.checked_sub(7 * k), Some(d + 7 * k)])
                    .flatten()
                    .filter(|&e| e >= from && e < until && learnable(e))
                    .collect()
            })
            .collect();
        let mut factor = [1.0; 32];
        for _ in 0..3 {
            let (mut sum, mut weight) = ([0.0; 32], [0.0; 32]);
            for (&d, around) in days.iter().zip(&neighbours) {
                if around.len() < 2 {
                    continue;
                }
                let level = around
                    .iter()
                    .map(|&e| totals[e] / factor[p.days[e].day() as usize])
                    .sum::<f64>()
                    / around.len() as f64;
                let run = (totals[d] / level - 1.0).clamp(-MONTH_DAY_CLIP, MONTH_DAY_CLIP);
                let m = p.days[d].day() as i64;
                for k in -(MONTH_DAY_KERNEL as i64)..=MONTH_DAY_KERNEL as i64 {
                    let at = (m - 1 + k).rem_euclid(31) as usize + 1;
                    let w = (MONTH_DAY_KERNEL as i64 + 1 - k.abs()) as f64;
                    sum[at] += w * run;
                    weight[at] += w;
                }
            }
            for m in 1..32 {
                factor[m] = 1.0 + sum[m] / (weight[m] + MONTH_DAY_PRIOR);
            }
        }
        Arc::new(factor)
    }
}

/// The mean, interval by interval, of [`Method::LevelPooled`] and [`Method::AdjustedAverage`].
pub struct Blend;

impl Model for Blend {
    fn forecast(&self, p: &Prepared, until: usize, days: &[NaiveDate]) -> Vec<Vec<f64>> {
        let pooled = Method::LevelPooled.model().forecast(p, until, days);
        let adjusted = Method::AdjustedAverage.model().forecast(p, until, days);
        pooled
            .into_iter()
            .zip(adjusted)
            .map(|(a, b)| a.iter().zip(&b).map(|(x, y)| (x + y) / 2.0).collect())
            .collect()
    }
}

/// The median of several daily levels times the pooled, smoothed profile: a combination, robust
/// where any one level estimate has a bad week.
pub struct Combined;

impl Model for Combined {
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
    /// The share of the profile taken from the other weekdays with the same opening hours.
    pub pool: f64,
}

/// The pooled share of [`Method::LevelPooled`]'s profile.
const POOL: f64 = 0.5;

/// Holt–Winters state after filtering a daily series.
#[derive(Debug, Clone)]
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
    /// The Holt–Winters fit on the days before `until` with the smoothing weights of least
    /// one-step squared error; `None` when the history is too short.
    fn fit(p: &Prepared, until: usize) -> Option<HoltWinters> {
        p.memo.cached(
            |t| &mut t.holt_winters,
            until,
            || Self::fit_uncached(p, until),
        )
    }

    fn fit_uncached(p: &Prepared, until: usize) -> Option<HoltWinters> {
        // At most two years of days; older ones no longer tell the level.
        let from = until.saturating_sub(730);
        let totals: Vec<Option<f64>> = (from..until)
            .map(|d| p.usable(d).then(|| p.total(d)))
            .collect();
        let weekdays: Vec<usize> = (from..until)
            .map(|d| weekday_index(p.days[d].weekday()))
            .collect();
        let mut best: Option<(HoltWinters, f64)> = None;
        for alpha in [0.02, 0.05, 0.1, 0.2, 0.35, 0.5] {
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
        best.map(|b| b.0)
    }

    fn daily_totals(p: &Prepared, until: usize, days: &[NaiveDate]) -> Vec<f64> {
        let best = Self::fit(p, until);
        let last = p.days.get(until.wrapping_sub(1)).copied();
        days.iter()
            .map(|&day| match (&best, last) {
                (Some(hw), Some(last)) => {
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
    fn forecast(&self, p: &Prepared, until: usize, days: &[NaiveDate]) -> Vec<Vec<f64>> {
        let totals = Self::daily_totals(p, until, days);
        days.iter()
            .zip(totals)
            .map(|(&day, total)| {
                let profile = p.pooled_profile(until, day, self.pool);
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
