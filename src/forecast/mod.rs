//! Forecasting contact volume per channel and interval.
//!
//! The pipeline for one channel: lay the history out by day and interval ([`history`]), tell ordinary
//! days from closed days, holidays, outages, incomplete days and event days, choose a method by
//! rolling-origin backtest ([`backtest`]) or take the one asked for, forecast the baseline
//! ([`models`]), lift event days by the uplift learned from past occurrences of the same promotion
//! (or a manual multiplier), put a calibrated p10–p90 band around it, forecast handle time, and — when
//! the history ends inside the first day to forecast — re-forecast the rest of that day from its
//! actuals so far.

// Volumes are `[day][slot]` matrices read side by side with profiles, calendars and baselines of
// the same shape; an index loop says that more plainly than zipped iterators.
#![allow(clippy::needless_range_loop)]

pub mod backtest;
pub mod history;
pub mod intraday;
pub mod models;
#[cfg(test)]
mod tests;
pub mod weekly;

use crate::scenario::{ChannelKind, Event, Scenario};
use crate::volumes::{Quantiles, VolumeRow};
use backtest::{MethodScore, Spread};
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use history::{Calendar, ChannelHistory, DayKind, History, classify_days, weekday_index};
pub use models::{Choice, Method};
use models::{Memo, Prepared, ProfileShape};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The longest interval forecast, in days: the longest planning horizon. Beyond it a forecast by
/// interval says nothing the weekly forecast does not, and its rows would only fill memory.
pub const MAX_FORECAST_DAYS: usize = crate::scenario::MAX_HORIZON_DAYS;

/// What to forecast and how.
#[derive(Debug, Clone)]
pub struct ForecastOptions {
    /// Local date-time of the first interval to forecast.
    pub start: NaiveDateTime,
    /// Local date-time the forecast ends (exclusive).
    pub end: NaiveDateTime,
    /// `None`: choose per channel by backtest.
    pub method: Option<Method>,
    /// Weekly backtest origins that choose the method (the band is calibrated from daily origins
    /// over as many weeks), and the horizon.
    pub origins: usize,
    pub horizon_days: usize,
    /// Also learn the intraday re-forecast rule for each whole hour of the day (what a published
    /// plan's live re-forecast applies); [`ChannelForecast::intraday_rules`].
    pub intraday_rules: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ForecastError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    History(#[from] crate::volumes::VolumeError),
    #[error(
        "event `{event}` (tag `{tag}`) has no past occurrence in the history of channel `{channel}` to learn its uplift from; \
         give a manual multiplier in the scenario: multiplier = {{ {channel} = 1.8 }}"
    )]
    NoUpliftEvidence {
        event: String,
        tag: String,
        channel: String,
    },
}

/// The learned or manual effect of one event on one channel.
#[derive(Debug, Clone, Serialize)]
pub struct AppliedEvent {
    pub event: String,
    pub tag: String,
    /// `learned from N past occurrence(s)` or `manual ×1.8`.
    pub source: String,
    /// Forecast volume over the event window over the baseline.
    pub uplift: f64,
    /// How far (log scale, one standard deviation) the next occurrence may land from the uplift:
    /// the spread of the past occurrences' uplifts (with one occurrence of 15 % mixed in, times
    /// √(1 + 1/n)), 15 % for a single one or a manual multiplier. The bands of the lifted days carry
    /// it on top of the ordinary day-level error.
    pub spread: f64,
}

/// A history forecast over the scenario's horizon, the method of each channel chosen by backtest:
/// what the main job plans against when no forecast is given.
pub fn over_horizon(
    series: &crate::volumes::VolumeSeries,
    scenario: &Scenario,
) -> Result<Forecast, ForecastError> {
    let history = history::for_scenario(series, scenario)?;
    let options = ForecastOptions {
        start: scenario.horizon.start.and_time(NaiveTime::MIN),
        end: (scenario.horizon.end + chrono::Duration::days(1)).and_time(NaiveTime::MIN),
        method: None,
        origins: 8,
        horizon_days: 7,
        intraday_rules: true,
    };
    forecast(&history, Some(scenario), &options)
}

/// The level of the rest of a day from its actuals so far: the observed ratio of actual to planned
/// volume, shrunk toward the plan by a prior worth 15 % of the day's planned volume (at least 20
/// contacts), so that a quiet first hour does not halve the afternoon.
pub fn intraday_factor(actual_so_far: f64, planned_so_far: f64, day_plan: f64) -> f64 {
    let prior = (0.15 * day_plan).max(20.0);
    (actual_so_far + prior) / (planned_so_far + prior)
}

/// The intraday re-forecast of the first day.
#[derive(Debug, Clone, Serialize)]
pub struct Reforecast {
    pub day: NaiveDate,
    /// Local time up to which the day's actuals were known.
    pub through: NaiveTime,
    pub actual_so_far: f64,
    pub planned_so_far: f64,
    /// What the rest of the day as a whole was scaled by (a learned rule scales each interval by
    /// the β of its lead band after the cut).
    pub factor: f64,
    /// The rule learned from the channel's history that gave it; `None`: too little history, the
    /// prior rule ([`intraday_factor`]) did.
    pub rule: Option<intraday::Persistence>,
}

/// One channel's forecast and how it was made.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelForecast {
    pub channel: String,
    /// The method asked for, or the automatic choice: the mean of the methods that scored best.
    pub choice: Choice,
    pub chosen_by_backtest: bool,
    pub scores: Vec<MethodScore>,
    /// The automatic choice's own backtest score (its members' mean on the weekly origins).
    pub choice_score: Option<backtest::ChoiceScore>,
    pub spread: Spread,
    pub events: Vec<AppliedEvent>,
    pub reforecast: Option<Reforecast>,
    /// The intraday re-forecast rule learned for actuals up to each whole hour, when asked for
    /// ([`ForecastOptions::intraday_rules`]; empty with too little history).
    pub intraday_rules: Vec<intraday::CutRule>,
    /// Days of the history kept out of the baseline, by reason.
    pub skipped_days: BTreeMap<String, usize>,
    /// How the intraday profiles were estimated, as the history's own days favoured; `None` when
    /// the choice's methods use none.
    pub profile: Option<ProfileChoice>,
    pub aht_source: &'static str,
    /// Each forecast day's volume with its band from the daily error.
    pub days: Vec<DayBand>,
    #[serde(skip)]
    pub rows: Vec<VolumeRow>,
}

/// How a channel's intraday profiles were estimated ([`Prepared::learn_shape`]): the weeks of a
/// weekday averaged and how far each interval's share was smoothed over its neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProfileChoice {
    pub weeks: usize,
    /// Reach of the smoothing either side, in minutes (0: not smoothed).
    pub smoothing_minutes: usize,
}

impl ProfileChoice {
    fn of(p: &Prepared) -> ProfileChoice {
        ProfileChoice {
            weeks: p.shape.weeks,
            smoothing_minutes: p.shape.half_minutes(p.slots()),
        }
    }

    /// "52 weeks, not smoothed", "12 weeks, smoothed over ±30 min".
    pub fn describe(self) -> String {
        match self.smoothing_minutes {
            0 => format!("{} weeks, not smoothed", self.weeks),
            m => format!("{} weeks, smoothed over ±{m} min", self.weeks),
        }
    }
}

/// One day of a channel's forecast: its volume and p10/p50/p90 from the day-level error (known
/// actuals of a day in progress count as certain).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DayBand {
    pub day: NaiveDate,
    pub volume: f64,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
}

/// A forecast for every channel.
#[derive(Debug, Clone, Serialize)]
pub struct Forecast {
    pub interval_minutes: u32,
    pub channels: Vec<ChannelForecast>,
}

impl Forecast {
    /// Every row, channel by channel in time order.
    pub fn rows(&self) -> Vec<VolumeRow> {
        self.channels
            .iter()
            .flat_map(|c| c.rows.iter().cloned())
            .collect()
    }
}

/// How a channel's days and hours are read for one forecast.
struct ChannelSetup<'a> {
    history: &'a ChannelHistory,
    prepared: Prepared,
    /// Index of the first day not learned from (the forecast's first day).
    until: usize,
    default_aht: Option<f64>,
}

/// Lays a channel's history out for learning: the calendar (the scenario's opening hours for voice
/// and chat, learned from history for email, which arrives around the clock, and without a scenario),
/// day kinds, and missing intervals of ordinary days filled from the weekday's profile.
fn prepare(
    history: &ChannelHistory,
    slots: usize,
    interval: u32,
    scenario: Option<&Scenario>,
) -> Prepared {
    let channel = scenario.and_then(|s| s.channel(&history.channel).map(|(_, c)| c));
    let calendar = match channel {
        Some(c) if !matches!(c.kind, ChannelKind::Email) => {
            Calendar::from_opening_hours(&c.opening_hours, interval, false)
        }
        _ => Calendar::learn(history, slots),
    };
    // Closed and quiet holidays alike are kept out of learning.
    let (holidays, events): (BTreeSet<NaiveDate>, &[Event]) = match scenario {
        Some(s) => (
            s.holidays.union(&s.quiet_holidays).copied().collect(),
            &s.events,
        ),
        None => (BTreeSet::new(), &[]),
    };
    let mut kind = classify_days(history, &calendar, &holidays, events);
    // The first open day after a listed holiday takes the contacts that found the centre closed:
    // kept out of learning like an unusual day, and learned from as what it is
    // (`after_holiday_factor`).
    if let Some(s) = scenario {
        for (d, &day) in history.days.iter().enumerate() {
            if kind[d] == DayKind::Normal && after_holiday(day, &calendar, &s.holidays) {
                kind[d] = DayKind::Unusual;
            }
        }
    }
    let mut prepared = Prepared {
        days: history.days.clone(),
        kind,
        volume: history
            .volume
            .iter()
            .map(|row| row.iter().map(|v| v.unwrap_or(0.0)).collect())
            .collect(),
        shape: ProfileShape::default_for(slots),
        calendar,
        memo: Memo::default(),
    };
    // Fill missing open intervals of ordinary days: the day's observed volume spread by the profile.
    for d in 0..prepared.days.len() {
        if !prepared.usable(d) {
            continue;
        }
        let day = prepared.days[d];
        let missing: Vec<usize> = (0..slots)
            .filter(|&s| history.volume[d][s].is_none() && prepared.calendar.is_open(day, s))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let profile = prepared.profile_with(d, day, prepared.shape.over(8), 0.0);
        let present: f64 = (0..slots)
            .filter(|s| !missing.contains(s))
            .map(|s| profile[s])
            .sum();
        if present > 0.0 {
            let level = prepared.total(d) / present;
            for s in missing {
                prepared.volume[d][s] = level * profile[s];
            }
        }
    }
    prepared.memo.clear();
    prepared
}

/// A channel's history laid out for learning, as the forecast and the backtests see it.
pub fn prepare_channel(
    channel: &ChannelHistory,
    history: &History,
    scenario: Option<&Scenario>,
) -> Prepared {
    prepare(
        channel,
        history.slots_per_day(),
        history.interval_minutes,
        scenario,
    )
}

/// A channel's backtest: every method's scores from weekly origins, the automatic choice (the mean
/// of the best) with its own score, members chosen on the other origins, and its bands from daily
/// origins over as many weeks, as a forecast calibrates them.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelBacktest {
    pub channel: String,
    pub scores: Vec<MethodScore>,
    pub choice: Option<Choice>,
    pub choice_score: Option<backtest::ChoiceScore>,
    pub bands: Option<backtest::Bands>,
    /// The best same-weekday interval average over 4 to 12 weeks on the same intervals.
    pub baseline: Option<backtest::Baseline>,
    /// How the intraday profiles were estimated.
    pub profile: ProfileChoice,
    /// Why the channel has no scores when its history is too short for a backtest (a channel
    /// opened lately, beside others that are scored).
    pub too_short: Option<String>,
}

/// Scores every method on every channel of `history` from `origins` weekly origins, each forecasting
/// `horizon_days`, and checks the best one's bands; a last day that is still in progress is left out.
pub fn backtest_history(
    history: &History,
    scenario: Option<&Scenario>,
    horizon_days: usize,
    origins: usize,
) -> Result<Vec<ChannelBacktest>, ForecastError> {
    if origins < 2 || horizon_days == 0 {
        return Err(ForecastError::Input(format!(
            "a backtest needs at least 2 origins and 1 horizon day (got {origins} and \
             {horizon_days}): each origin's band is calibrated on the other origins"
        )));
    }
    let partial_last_day = history.last_day_slots < history.slots_per_day();
    let mut out = Vec::new();
    for ch in &history.channels {
        let mut p = prepare_channel(ch, history, scenario);
        let in_progress = partial_last_day && ch.days.last() == Some(&history.last_day);
        let until = ch.days.len() - usize::from(in_progress);
        p.learn_shape(backtest::first_origin(until, horizon_days, origins));
        let points = backtest::origins(until, horizon_days, origins);
        if points.len() < 2 {
            let why = format!(
                "channel `{}`: the history ({} day{}) is too short for a backtest; it needs 4 weeks \
                 before the first origin plus {horizon_days} day{}, and a week more for the second \
                 origin",
                ch.channel,
                ch.days.len(),
                if ch.days.len() == 1 { "" } else { "s" },
                if horizon_days == 1 { "" } else { "s" },
            );
            out.push(ChannelBacktest {
                channel: ch.channel.clone(),
                scores: Vec::new(),
                choice: None,
                choice_score: None,
                bands: None,
                baseline: None,
                profile: ProfileChoice::of(&p),
                too_short: Some(why),
            });
            continue;
        }
        let scores: Vec<MethodScore> = Method::ALL
            .iter()
            .filter_map(|&m| backtest::score(&p, m, &points, horizon_days))
            .collect();
        let (choice, choice_score) = backtest::choose(&p, &scores, true).unzip();
        let bands = choice.as_ref().and_then(|choice| {
            let daily = backtest::daily_origins(until, horizon_days, origins * 7);
            backtest::bands(&p, choice, &daily, horizon_days)
        });
        out.push(ChannelBacktest {
            channel: ch.channel.clone(),
            scores,
            choice,
            choice_score,
            bands,
            baseline: backtest::baseline(&p, &points, horizon_days),
            profile: ProfileChoice::of(&p),
            too_short: None,
        });
    }
    // Every channel too short: nothing to show but why.
    if out.iter().all(|c| c.too_short.is_some())
        && let Some(why) = out.first().and_then(|c| c.too_short.clone())
    {
        return Err(ForecastError::Input(why));
    }
    Ok(out)
}

/// Forecasts every channel of `history` (in the scenario's order when there is one).
pub fn forecast(
    history: &History,
    scenario: Option<&Scenario>,
    options: &ForecastOptions,
) -> Result<Forecast, ForecastError> {
    if options.end <= options.start {
        return Err(ForecastError::Input(format!(
            "the forecast must end after it starts (start {}, end {})",
            options.start, options.end
        )));
    }
    if options.end - options.start > chrono::Duration::days(MAX_FORECAST_DAYS as i64) {
        return Err(ForecastError::Input(format!(
            "an interval forecast reaches at most {MAX_FORECAST_DAYS} days (asked {} days, {} to \
             {}); for months or years ahead forecast weekly volumes instead (`forecast --weekly`, \
             up to {} weeks)",
            (options.end - options.start).num_days(),
            options.start,
            options.end,
            weekly::MAX_WEEKS
        )));
    }
    let last_day = (options.end - chrono::Duration::minutes(1)).date();
    let beyond = (last_day - history.last_day).num_days();
    if beyond > MAX_FORECAST_DAYS as i64 {
        return Err(ForecastError::Input(format!(
            "the forecast ends on {}, {beyond} days after the history ends ({}); an interval \
             forecast reaches at most {MAX_FORECAST_DAYS} days beyond its history: give a history \
             that reaches closer to the forecast, or forecast weekly volumes (`forecast --weekly`)",
            options.end, history.last_day
        )));
    }
    let interval = history.interval_minutes;
    let step = i64::from(interval);
    let start_minute = i64::from(options.start.time().hour_minute());
    let end_minute = i64::from(options.end.time().hour_minute());
    if start_minute % step != 0 || end_minute % step != 0 {
        return Err(ForecastError::Input(format!(
            "--start and --end must fall on the {interval}-minute grid of the history"
        )));
    }
    let slots = history.slots_per_day();
    let order = channel_order(history, scenario);
    let first_day = options.start.date();
    let target_days: Vec<NaiveDate> = first_day
        .iter_days()
        .take_while(|d| *d <= last_day)
        .collect();

    let mut channels = Vec::new();
    for ch in order {
        let mut prepared = prepare(ch, slots, interval, scenario);
        let until = match ch.day_index(first_day) {
            Some(i) => i,
            None if ch.days.first().is_some_and(|f| *f > first_day) => {
                return Err(ForecastError::Input(format!(
                    "channel `{}`: the history starts on {}, after the forecast start {first_day}",
                    ch.channel, ch.days[0]
                )));
            }
            None => ch.days.len(),
        };
        if !(0..until).any(|d| prepared.usable(d)) {
            return Err(ForecastError::Input(format!(
                "channel `{}`: no ordinary day in the history before {first_day} to learn from: \
                 its {until} day(s) before it are all closed, holidays, outages or without \
                 volume; give the channel a history with volume on open days, or leave its rows \
                 out of the history to forecast the other channels",
                ch.channel
            )));
        }
        // How the profiles are estimated, where a method that may forecast uses them.
        if options.method.is_none_or(Method::uses_profile) {
            prepared.learn_shape(backtest::first_origin(
                until,
                options.horizon_days,
                options.origins,
            ));
        }
        let default_aht = scenario
            .and_then(|s| s.channel(&ch.channel))
            .map(|(_, c)| c.aht.get());
        let setup = ChannelSetup {
            history: ch,
            prepared,
            until,
            default_aht,
        };
        channels.push(forecast_channel(
            &setup,
            history,
            scenario,
            options,
            &target_days,
        )?);
    }
    Ok(Forecast {
        interval_minutes: interval,
        channels,
    })
}

/// The channels of a history in the scenario's order (the history's without one).
fn channel_order<'a>(history: &'a History, scenario: Option<&Scenario>) -> Vec<&'a ChannelHistory> {
    match scenario {
        Some(s) => s
            .channels
            .iter()
            .filter_map(|c| history.channel(c.id.as_str()))
            .collect(),
        None => history.channels.iter().collect(),
    }
}

trait HourMinute {
    fn hour_minute(&self) -> u32;
}

impl HourMinute for NaiveTime {
    fn hour_minute(&self) -> u32 {
        use chrono::Timelike;
        self.hour() * 60 + self.minute()
    }
}

fn forecast_channel(
    setup: &ChannelSetup,
    history: &History,
    scenario: Option<&Scenario>,
    options: &ForecastOptions,
    target_days: &[NaiveDate],
) -> Result<ChannelForecast, ForecastError> {
    let p = &setup.prepared;
    let until = setup.until;
    let slots = p.slots();
    let interval = history.interval_minutes;

    // Choose the method and calibrate the band.
    let origins = backtest::origins(until, options.horizon_days, options.origins);
    let candidates: Vec<Method> = match options.method {
        Some(m) => vec![m],
        None => Method::ALL.to_vec(),
    };
    let scores: Vec<MethodScore> = candidates
        .iter()
        .filter_map(|&m| backtest::score(p, m, &origins, options.horizon_days))
        .collect();
    let (choice, choice_score) = match options.method {
        Some(m) => (Choice::single(m), None),
        None => match backtest::choose(p, &scores, false) {
            Some((choice, score)) => (choice, Some(score)),
            None => (Choice::single(Method::WeekdayAverage), None),
        },
    };
    // The band: the choice from daily origins (each horizon day then holds every weekday), as many
    // weeks of them as the weekly origins span; for a history of less than about five weeks, every
    // day with a week behind it is an origin.
    let daily = backtest::daily_origins(until, options.horizon_days, options.origins * 7);
    let spread = if daily.len() >= backtest::SHORT_DAILY_ORIGINS {
        backtest::spread(p, &choice, &daily, options.horizon_days)
    } else {
        backtest::short_spread(p, &choice, until, options.horizon_days)
    }
    .unwrap_or_else(Spread::fallback);

    let model: &dyn models::Model = &choice;
    let mut volume = model.forecast(p, until, target_days);
    // Per target day: the spread (log scale) of the events and quiet holidays that move it, beyond
    // the ordinary day-level error.
    let mut effect_sigma = vec![0.0f64; target_days.len()];

    // Events.
    let mut applied = Vec::new();
    if let Some(s) = scenario {
        for (e_index, event) in s.events.iter().enumerate() {
            let touched: Vec<usize> = target_days
                .iter()
                .enumerate()
                .filter(|(_, d)| event.covers(**d))
                .map(|(i, _)| i)
                .collect();
            if touched.is_empty() {
                continue;
            }
            let baseline: f64 = touched.iter().map(|&i| volume[i].iter().sum::<f64>()).sum();
            let (factors, source, spread) = match event.multiplier.get(&setup.history.channel) {
                Some(&m) => {
                    let f: Vec<Vec<f64>> = touched
                        .iter()
                        .map(|&i| {
                            let day = target_days[i];
                            let channel = &setup.history.channel;
                            let factor = if day < event.start {
                                event.multiplier_before.get(channel).copied().unwrap_or(1.0)
                            } else if day > event.end {
                                event.multiplier_after.get(channel).copied().unwrap_or(1.0)
                            } else {
                                m
                            };
                            vec![factor; slots]
                        })
                        .collect();
                    (f, format!("manual ×{m}"), EVENT_SPREAD_UNKNOWN)
                }
                None => {
                    let curve = Uplift::learn(p, model, s, e_index, until, interval);
                    if curve.occurrences == 0 {
                        return Err(ForecastError::NoUpliftEvidence {
                            event: event.name.clone(),
                            tag: event.tag.clone(),
                            channel: setup.history.channel.clone(),
                        });
                    }
                    let f = touched
                        .iter()
                        .map(|&i| {
                            let offset = (target_days[i] - event.start).num_days();
                            let last_in_event = (event.end - event.start).num_days();
                            (0..slots)
                                .map(|slot| curve.factor(offset, last_in_event, slot, interval))
                                .collect()
                        })
                        .collect();
                    (
                        f,
                        format!(
                            "learned from {} past occurrence{}",
                            curve.occurrences,
                            if curve.occurrences == 1 { "" } else { "s" }
                        ),
                        effect_spread(&curve.log_uplifts),
                    )
                }
            };
            for (k, &i) in touched.iter().enumerate() {
                for slot in 0..slots {
                    volume[i][slot] *= factors[k][slot];
                }
                if factors[k].iter().any(|f| (f - 1.0).abs() > 1e-9) {
                    effect_sigma[i] = effect_sigma[i].hypot(spread);
                }
            }
            let lifted: f64 = touched.iter().map(|&i| volume[i].iter().sum::<f64>()).sum();
            applied.push(AppliedEvent {
                event: event.name.clone(),
                tag: event.tag.clone(),
                source,
                uplift: if baseline > 0.0 {
                    lifted / baseline
                } else {
                    1.0
                },
                spread,
            });
        }
    }
    // Holidays: closed; quiet holidays: an ordinary day times the quiet factor.
    if let Some(s) = scenario {
        for (i, day) in target_days.iter().enumerate() {
            if s.holidays.contains(day) {
                volume[i].iter_mut().for_each(|v| *v = 0.0);
            }
        }
        // A day's factor applied to the target days it concerns, its spread added to theirs.
        let mut apply = |concerns: &dyn Fn(NaiveDate) -> bool,
                         event: &str,
                         tag: &str,
                         (factor, source, spread): (f64, String, f64)| {
            for (i, &day) in target_days.iter().enumerate() {
                if concerns(day) {
                    volume[i].iter_mut().for_each(|v| *v *= factor);
                    effect_sigma[i] = effect_sigma[i].hypot(spread);
                }
            }
            applied.push(AppliedEvent {
                event: event.into(),
                tag: tag.into(),
                source,
                uplift: factor,
                spread,
            });
        };
        // A quiet holiday right after a closed one is forecast by its own learned share.
        let day_after = |d: NaiveDate| {
            !s.quiet_holidays.contains(&d) && after_holiday(d, &p.calendar, &s.holidays)
        };
        if target_days.iter().any(|&d| day_after(d)) {
            apply(
                &day_after,
                "days after holidays",
                "after-holiday",
                after_holiday_factor(p, model, s, until),
            );
        }
        if target_days.iter().any(|d| s.quiet_holidays.contains(d)) {
            apply(
                &|d| s.quiet_holidays.contains(&d),
                "quiet holidays",
                "quiet",
                quiet_factor(p, model, s, until, &setup.history.channel)?,
            );
        }
    }

    // The days the intraday rules are learned from, forecast once for every cut.
    let day_ahead_cell = std::cell::OnceCell::new();
    let day_ahead = || day_ahead_cell.get_or_init(|| intraday::DayAhead::collect(p, model, until));
    let intraday_rules = if options.intraday_rules {
        day_ahead().hourly_rules(slots, interval)
    } else {
        Vec::new()
    };

    // Intraday re-forecast: the history ends inside the first forecast day.
    let mut actual_cut = None;
    let mut reforecast = None;
    if history.last_day == target_days[0]
        && history.last_day_slots < slots
        && let Some(d) = setup.history.day_index(target_days[0])
    {
        let cut = history.last_day_slots;
        let day = target_days[0];
        let open = |s: usize| p.calendar.is_open(day, s);
        let actual: f64 = (0..cut)
            .filter(|&s| open(s))
            .map(|s| setup.history.volume[d][s].unwrap_or(0.0))
            .sum();
        let planned: f64 = (0..cut).filter(|&s| open(s)).map(|s| volume[0][s]).sum();
        let day_plan: f64 = volume[0].iter().sum();
        if planned > 0.0 {
            // A day whose open hours are all behind the cut is known whole: nothing to re-forecast.
            if (cut..slots).any(open) {
                let rule = intraday::Persistence::fit(day_ahead(), cut, interval);
                let so_far = intraday::so_far(
                    cut,
                    interval,
                    (0..cut).filter(|&s| open(s)).map(|s| {
                        let a = setup.history.volume[d][s].unwrap_or(0.0);
                        (s, a, volume[0][s])
                    }),
                );
                let factors = intraday::rest_factors(
                    rule.as_ref(),
                    &so_far,
                    intraday_factor(actual, planned, day_plan),
                    cut,
                    interval,
                    cut..slots,
                );
                let rest_plan: f64 = volume[0][cut..].iter().sum();
                for (v, f) in volume[0][cut..].iter_mut().zip(&factors) {
                    *v *= f;
                }
                // What the rest of the day as a whole was scaled by.
                let rest: f64 = volume[0][cut..].iter().sum();
                let factor = if rest_plan > 0.0 {
                    rest / rest_plan
                } else {
                    1.0
                };
                reforecast = Some(Reforecast {
                    day,
                    through: NaiveTime::from_num_seconds_from_midnight_opt(
                        cut as u32 * interval * 60 % 86_400,
                        0,
                    )
                    .unwrap_or(NaiveTime::MIN),
                    actual_so_far: actual,
                    planned_so_far: planned,
                    factor,
                    rule,
                });
            }
            for s in 0..cut {
                volume[0][s] = setup.history.volume[d][s].unwrap_or(0.0);
            }
            actual_cut = Some(cut);
        }
    }

    // Handle time.
    let aht_profile = AhtProfile::learn(setup.history, p, until);
    let aht_source = if aht_profile.is_some() {
        "history"
    } else if setup.default_aht.is_some() {
        "scenario"
    } else {
        "none"
    };

    // Rows.
    let tz = history.time_zone;
    let mut rows = Vec::new();
    for (i, &day) in target_days.iter().enumerate() {
        for slot in 0..slots {
            if !p.calendar.is_open(day, slot) {
                continue;
            }
            if scenario.is_some_and(|s| s.holidays.contains(&day)) {
                continue;
            }
            let local = day.and_time(NaiveTime::MIN)
                + chrono::Duration::minutes(i64::from(slot as u32 * interval));
            if local < options.start || local >= options.end {
                continue;
            }
            // A local time the clocks skip has no row; one they repeat has two, each the slot's.
            let passes: Vec<_> = match tz.from_local_datetime(&local) {
                chrono::LocalResult::Single(t) => vec![t],
                chrono::LocalResult::Ambiguous(first, second) => vec![first, second],
                chrono::LocalResult::None => continue,
            };
            let f = volume[i][slot];
            let known = i == 0 && actual_cut.is_some_and(|cut| slot < cut);
            // Days ahead of the last day of history: the band of that horizon day.
            let ahead = p
                .days
                .get(until.wrapping_sub(1))
                .map_or(0, |&last| (day - last).num_days().max(1) as usize - 1);
            let band = (!known).then(|| spread.band(f, ahead, effect_sigma[i]));
            let aht_seconds = aht_profile
                .as_ref()
                .map(|a| a.at(day, slot))
                .or(setup.default_aht);
            for (pass, timestamp) in passes.into_iter().enumerate() {
                // An actual second pass is the history's own, kept apart from the slot.
                let volume = match setup.history.day_index(day) {
                    Some(d) if known && pass == 1 => setup
                        .history
                        .repeated
                        .get(&(d, slot))
                        .copied()
                        .unwrap_or(0.0),
                    _ => f,
                };
                // Known actuals are certain.
                let (p10, p50, p90) = band.unwrap_or((volume, volume, volume));
                rows.push(VolumeRow {
                    line: 0,
                    timestamp: timestamp.with_timezone(&chrono::Utc),
                    channel: setup.history.channel.clone(),
                    volume,
                    aht_seconds,
                    quantiles: Some(Quantiles { p10, p50, p90 }),
                });
            }
        }
    }

    // Daily bands: the day's forecast volume (as the rows have it) under the day-level error.
    let mut by_day: BTreeMap<NaiveDate, (f64, f64)> = BTreeMap::new();
    for r in &rows {
        let day = r.timestamp.with_timezone(&tz).date_naive();
        let known = r
            .quantiles
            .is_some_and(|q| q.p10 == q.p90 && Some(day) == actual_cut.map(|_| target_days[0]));
        let entry = by_day.entry(day).or_default();
        if known {
            entry.0 += r.volume;
        } else {
            entry.1 += r.volume;
        }
    }
    let days = by_day
        .into_iter()
        .map(|(day, (known, open))| {
            let ahead = p
                .days
                .get(until.wrapping_sub(1))
                .map_or(0, |&last| (day - last).num_days().max(1) as usize - 1);
            let extra = target_days
                .iter()
                .position(|d| *d == day)
                .map_or(0.0, |i| effect_sigma[i]);
            let (p10, p50, p90) = spread.day_band(open, ahead, extra);
            DayBand {
                day,
                volume: known + open,
                p10: known + p10,
                p50: known + p50,
                p90: known + p90,
            }
        })
        .collect();

    let mut skipped_days = BTreeMap::new();
    for d in 0..until {
        let reason = match p.kind[d] {
            DayKind::Normal => continue,
            DayKind::Closed => "closed weekday",
            DayKind::Holiday => "holiday or outage",
            DayKind::Event(_) => "event",
            DayKind::Incomplete => "incomplete",
            DayKind::Unusual => "unusual volume",
        };
        *skipped_days.entry(reason.to_string()).or_insert(0) += 1;
    }
    let profile = choice.uses_profile().then(|| ProfileChoice::of(p));
    Ok(ChannelForecast {
        channel: setup.history.channel.clone(),
        choice,
        chosen_by_backtest: options.method.is_none() && !scores.is_empty(),
        scores,
        choice_score,
        spread,
        events: applied,
        reforecast,
        intraday_rules,
        skipped_days,
        profile,
        aht_source,
        days,
        rows,
    })
}

/// A day's volume over an ordinary day's, learned from the history's days before `until` that
/// `concerns` (Σ actual over Σ what the model forecast for them from the days before each, from
/// the fifth week on): the factor, how many days, and the spread of their effects; `None` when the
/// history holds none.
fn learned_day_factor(
    p: &Prepared,
    model: &dyn models::Model,
    until: usize,
    concerns: impl Fn(usize) -> bool,
) -> Option<(f64, usize, f64)> {
    let (mut actual, mut baseline) = (0.0, 0.0);
    let mut logs = Vec::new();
    for d in (28..until).filter(|&d| concerns(d)) {
        let a = p.total(d);
        let b: f64 = model.forecast(p, d, &[p.days[d]])[0].iter().sum();
        if a > 0.0 && b > 0.0 {
            actual += a;
            baseline += b;
            logs.push((a / b).ln());
        }
    }
    (!logs.is_empty()).then(|| (actual / baseline, logs.len(), effect_spread(&logs)))
}

/// A [`learned_day_factor`] as an applied effect: the factor, where it came from, and its spread.
fn learned(factor: f64, count: usize, spread: f64, one: &str, many: &str) -> (f64, String, f64) {
    let what = if count == 1 { one } else { many };
    (factor, format!("learned from {count} past {what}"), spread)
}

/// The volume of an open-but-quiet holiday over an ordinary day's: learned from the quiet holidays
/// in the history before `until`, else the scenario's `quiet_factor`, else an error saying to give
/// one.
fn quiet_factor(
    p: &Prepared,
    model: &dyn models::Model,
    s: &Scenario,
    until: usize,
    channel: &str,
) -> Result<(f64, String, f64), ForecastError> {
    let past = learned_day_factor(p, model, until, |d| {
        s.quiet_holidays.contains(&p.days[d]) && p.calendar.open_on(p.days[d])
    });
    if let Some((factor, count, spread)) = past {
        return Ok(learned(
            factor,
            count,
            spread,
            "quiet holiday",
            "quiet holidays",
        ));
    }
    match s.quiet_factor {
        Some(f) => Ok((f, format!("manual ×{f}"), EVENT_SPREAD_UNKNOWN)),
        None => Err(ForecastError::Input(format!(
            "channel `{channel}`: no past quiet holiday in the history to learn how quiet they are; \
             give the factor of an ordinary day in the scenario: quiet_factor = 0.6"
        ))),
    }
}

/// How far back a day after a holiday looks for it, over days the channel is closed anyway (a
/// weekend) and runs of holidays (a holiday week).
const AFTER_HOLIDAY_LOOKBACK: usize = 14;

/// Whether `day` is the first day the channel opens after a listed (closed) holiday on which it would
/// otherwise have opened: the day the contacts that found it closed come. A holiday on a day it is
/// closed anyway (a Sunday) turns nobody away, and an open day in between (a quiet holiday among
/// them) takes them first.
fn after_holiday(day: NaiveDate, calendar: &Calendar, holidays: &BTreeSet<NaiveDate>) -> bool {
    if holidays.contains(&day) || !calendar.open_on(day) {
        return false;
    }
    let mut turned_away = false;
    for back in
        (1..=AFTER_HOLIDAY_LOOKBACK as u64).filter_map(|k| day.checked_sub_days(Days::new(k)))
    {
        let open = calendar.open_on(back);
        if holidays.contains(&back) {
            turned_away |= open;
        } else if open {
            return turned_away;
        }
    }
    turned_away
}

/// The volume of the first open day after a holiday over an ordinary day's: learned from such days
/// in the history before `until`, else the scenario's `after_holiday_factor`, else an ordinary
/// day's (saying how to give one), each but the learned with the spread of an unknown effect.
fn after_holiday_factor(
    p: &Prepared,
    model: &dyn models::Model,
    s: &Scenario,
    until: usize,
) -> (f64, String, f64) {
    let past = learned_day_factor(p, model, until, |d| {
        p.counted(d) && after_holiday(p.days[d], &p.calendar, &s.holidays)
    });
    match (past, s.after_holiday_factor) {
        (Some((factor, count, spread)), _) => learned(
            factor,
            count,
            spread,
            "day after a holiday",
            "days after a holiday",
        ),
        (None, Some(f)) => (f, format!("manual ×{f}"), EVENT_SPREAD_UNKNOWN),
        (None, None) => (
            1.0,
            "no past day after a holiday in the history: forecast as an ordinary day; give its \
             factor in the scenario to plan for callers coming back: after_holiday_factor = 1.2"
                .to_string(),
            EVENT_SPREAD_UNKNOWN,
        ),
    }
}

/// How sure an effect is: events' uplifts, holiday weeks and quiet holidays, daily and weekly.
/// The assumed spread of an event's uplift when the history cannot tell it (one past occurrence, or
/// a manual multiplier).
pub(crate) const EVENT_SPREAD_UNKNOWN: f64 = 0.15;

/// Prior degrees of freedom of a learned spread: how many past occurrences'
/// worth of [`EVENT_SPREAD_UNKNOWN`] it starts from.
const SPREAD_PRIOR_DF: f64 = 1.0;

/// The spread (log scale) of an effect learned from `deviations` (each occurrence's log effect less
/// its group's centre, `groups` centres estimated): their variance with one occurrence of
/// [`EVENT_SPREAD_UNKNOWN`] mixed in, as two or three occurrences cannot pin a spread down (two that
/// happen to agree would otherwise promise a near-certain uplift).
pub(crate) fn shrunk_spread(deviations: &[f64], groups: usize) -> f64 {
    let df = deviations.len().saturating_sub(groups) as f64;
    let ss: f64 = deviations.iter().map(|d| d * d).sum();
    ((SPREAD_PRIOR_DF * EVENT_SPREAD_UNKNOWN.powi(2) + ss) / (SPREAD_PRIOR_DF + df)).sqrt()
}

/// The spread (log scale) of the next occurrence of an effect whose past occurrences had the log
/// effects `logs`: their spread around their mean ([`shrunk_spread`]) times √(1 + 1/n), for the
/// mean's own uncertainty; [`EVENT_SPREAD_UNKNOWN`] with fewer than two.
pub(crate) fn effect_spread(logs: &[f64]) -> f64 {
    let n = logs.len();
    if n < 2 {
        return EVENT_SPREAD_UNKNOWN;
    }
    let mean = logs.iter().sum::<f64>() / n as f64;
    let deviations: Vec<f64> = logs.iter().map(|l| l - mean).collect();
    shrunk_spread(&deviations, 1) * (1.0 + 1.0 / n as f64).sqrt()
}

/// (Σ actual, Σ baseline) over a day offset, and per hour of the day.
type OffsetSums = ((f64, f64), [(f64, f64); 24]);

/// Actual over baseline by day offset from the event start and hour of day, pooled over the past
/// occurrences of one tag.
struct Uplift {
    occurrences: usize,
    by_offset: BTreeMap<i64, OffsetSums>,
    /// Per past occurrence: ln(actual / baseline) over its window.
    log_uplifts: Vec<f64>,
}

impl Uplift {
    fn learn(
        p: &Prepared,
        model: &dyn models::Model,
        scenario: &Scenario,
        future: usize,
        until: usize,
        interval: u32,
    ) -> Uplift {
        let tag = &scenario.events[future].tag;
        let mut out = Uplift {
            occurrences: 0,
            by_offset: BTreeMap::new(),
            log_uplifts: Vec::new(),
        };
        let horizon_end = p.days.get(until).copied();
        for (e, event) in scenario.events.iter().enumerate() {
            if e == future || &event.tag != tag {
                continue;
            }
            let (first, last) = event.window();
            let (Some(fi), Some(li)) = (day_index(p, first), day_index(p, last)) else {
                continue;
            };
            if horizon_end.is_some_and(|h| last >= h) || li >= until || fi < 28 {
                continue;
            }
            let days: Vec<NaiveDate> = (fi..=li).map(|d| p.days[d]).collect();
            let baseline = model.forecast(p, fi, &days);
            let mut any = false;
            let (mut window_actual, mut window_baseline) = (0.0, 0.0);
            for (k, d) in (fi..=li).enumerate() {
                if !p.calendar.open_on(p.days[d]) {
                    continue;
                }
                let offset = (p.days[d] - event.start).num_days();
                let entry = out
                    .by_offset
                    .entry(offset)
                    .or_insert(((0.0, 0.0), [(0.0, 0.0); 24]));
                for s in 0..p.slots() {
                    if !p.calendar.is_open(p.days[d], s) {
                        continue;
                    }
                    let hour = (s as u32 * interval / 60) as usize;
                    let (a, b) = (p.volume[d][s], baseline[k][s]);
                    entry.0.0 += a;
                    entry.0.1 += b;
                    entry.1[hour].0 += a;
                    entry.1[hour].1 += b;
                    window_actual += a;
                    window_baseline += b;
                    any |= a > 0.0;
                }
            }
            if any {
                out.occurrences += 1;
                if window_baseline > 0.0 {
                    out.log_uplifts.push((window_actual / window_baseline).ln());
                }
            }
        }
        out
    }

    /// The factor for a day `offset` days from the event start and a slot. Offsets inside the event
    /// beyond the longest past occurrence use its last event day; days outside any learned offset
    /// are not lifted. Per hour, the day's ratio is blended in with a weight of 30 contacts so that
    /// thin hours do not swing.
    fn factor(&self, offset: i64, last_in_event: i64, slot: usize, interval: u32) -> f64 {
        let key = if self.by_offset.contains_key(&offset) {
            offset
        } else if (0..=last_in_event).contains(&offset) {
            match self.by_offset.range(..=offset).next_back() {
                Some((k, _)) if *k >= 0 => *k,
                _ => return 1.0,
            }
        } else {
            return 1.0;
        };
        let ((a_day, b_day), hours) = &self.by_offset[&key];
        if *b_day <= 0.0 {
            return 1.0;
        }
        let day_ratio = a_day / b_day;
        let (a, b) = hours[(slot as u32 * interval / 60) as usize % 24];
        const WEIGHT: f64 = 30.0;
        (a + WEIGHT * day_ratio) / (b + WEIGHT)
    }
}

fn day_index(p: &Prepared, day: NaiveDate) -> Option<usize> {
    let first = *p.days.first()?;
    let i = (day - first).num_days();
    (i >= 0 && (i as usize) < p.days.len()).then_some(i as usize)
}

/// Handle time per weekday and slot, weighted by volume over the last eight ordinary weeks, each cell
/// blended with the channel's mean by a weight of ten contacts.
struct AhtProfile {
    cells: [Vec<f64>; 7],
}

impl AhtProfile {
    fn learn(h: &ChannelHistory, p: &Prepared, until: usize) -> Option<AhtProfile> {
        let slots = p.slots();
        let days: Vec<usize> = (0..until).rev().filter(|&d| p.usable(d)).take(56).collect();
        let mut work = [(); 7].map(|_| vec![(0.0, 0.0); slots]);
        let (mut total_work, mut total_volume) = (0.0, 0.0);
        for &d in &days {
            let w = weekday_index(p.days[d].weekday());
            for s in 0..slots {
                if let (Some(a), Some(v)) = (h.aht[d][s], h.volume[d][s]) {
                    work[w][s].0 += a * v;
                    work[w][s].1 += v;
                    total_work += a * v;
                    total_volume += v;
                }
            }
        }
        if total_volume <= 0.0 {
            return None;
        }
        let mean = total_work / total_volume;
        const WEIGHT: f64 = 10.0;
        Some(AhtProfile {
            cells: work.map(|row| {
                row.iter()
                    .map(|&(aw, v)| (aw + WEIGHT * mean) / (v + WEIGHT))
                    .collect()
            }),
        })
    }

    fn at(&self, day: NaiveDate, slot: usize) -> f64 {
        self.cells[weekday_index(day.weekday())][slot]
    }
}
