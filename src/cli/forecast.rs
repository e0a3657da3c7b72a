//! `peakplan forecast` and `peakplan backtest`.

use super::table;
use crate::forecast::history::{self, History};
use crate::forecast::weekly::{self, WeeklyOptions};
use crate::forecast::{self, ForecastOptions, Method};
use crate::scenario::Scenario;
use crate::volumes::VolumeSeries;
use anyhow::{Context, bail};
use chrono::NaiveDateTime;
use chrono_tz::Tz;
use clap::Args;
use std::path::PathBuf;

/// Where the history comes from, and in which time zone it is read.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Volume history: CSV timestamp,channel,volume[,aht_seconds], any interval of 5, 10, 15, 30 or
    /// 60 minutes. Defaults to the scenario's `history`.
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Scenario file: opening hours, holidays, events and the interval to forecast in. Without it the
    /// forecast works from the history alone.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Time zone of local timestamps and of the daily rhythm, without a scenario (IANA name).
    #[arg(long, default_value = "UTC")]
    pub time_zone: String,
}

impl HistoryArgs {
    pub fn load(&self) -> anyhow::Result<(Option<Scenario>, History)> {
        let scenario = match &self.scenario {
            Some(p) => Some(Scenario::load(p)?),
            None => None,
        };
        let path = match (
            &self.history,
            scenario.as_ref().and_then(|s| s.history.clone()),
        ) {
            (Some(p), _) => p.clone(),
            (None, Some(p)) => p,
            (None, None) => {
                bail!("no history: give --history FILE.csv, or a --scenario with `history = \"…\"`")
            }
        };
        let tz: Tz = match &scenario {
            Some(s) => s.time_zone,
            None => self.time_zone.parse().map_err(|_| {
                anyhow::anyhow!(
                    "unknown time zone \"{}\"; expected an IANA name such as \"Europe/Berlin\"",
                    self.time_zone
                )
            })?,
        };
        let series = VolumeSeries::read(&path, tz).with_context(|| {
            match (&self.history, &scenario, &self.scenario) {
                (None, Some(s), Some(file)) => format!(
                    "the history named by `history` at {}{} (paths are relative to the scenario file)",
                    file.display(),
                    s.history_line.map_or(String::new(), |l| format!(":{l}"))
                ),
                _ => "the history given by --history".to_string(),
            }
        })?;
        let history = match &scenario {
            Some(s) => history::for_scenario(&series, s)?,
            None => History::from_series(&series, tz, None)?,
        };
        Ok((scenario, history))
    }
}

/// Forecast volume per channel and interval, with p10/p50/p90 and handle time.
///
/// The method is chosen per channel by rolling-origin backtest unless --method says otherwise.
/// Events in the scenario are applied (uplift learned from past occurrences of the same tag, or the
/// manual multiplier). When the history ends inside the first forecast day, the rest of that day is
/// re-forecast from its actuals.
///
/// With --weekly: weekly volumes months ahead (trend, yearly seasonality, holidays and event uplift;
/// p10/p50/p90 from 2,000 seeded paths whose level errors persist over the weeks).
///
/// Examples:
///   peakplan forecast --scenario models/promo-peak.toml \
///                     --start 2026-11-02T00:00 --end 2026-11-16T00:00 --out out/forecast.csv
///   peakplan forecast --scenario models/promo-peak.toml --weekly --from 2026-08-03 --weeks 20 \
///                     --out out/weekly.csv
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ForecastArgs {
    #[command(flatten)]
    pub input: HistoryArgs,
    /// First interval to forecast, local time (e.g. 2026-11-09T00:00).
    #[arg(long, required_unless_present = "weekly", conflicts_with = "weekly")]
    pub start: Option<String>,
    /// End of the forecast, local time, exclusive.
    #[arg(long, required_unless_present = "weekly", conflicts_with = "weekly")]
    pub end: Option<String>,
    /// Forecast weekly volumes (Monday to Sunday) instead of intervals.
    #[arg(long)]
    pub weekly: bool,
    /// With --weekly: the first week, the one that contains this date (default: the week after
    /// the history ends).
    #[arg(long, requires = "weekly")]
    pub from: Option<String>,
    /// With --weekly: how many weeks (1 to 104).
    #[arg(long, default_value_t = 52, requires = "weekly")]
    pub weeks: usize,
    /// With --weekly: seed of the paths behind the quantiles.
    #[arg(long, default_value_t = 1, requires = "weekly")]
    pub seed: u64,
    /// Where to write timestamp,channel,volume,p10,p50,p90[,aht_seconds]; with --weekly
    /// week_start,channel,p50,p10,p90,mean,open_days,event_uplift.
    #[arg(long)]
    pub out: PathBuf,
    /// The method: seasonal-naive, weekday-average, weekday-average-6, weekday-average-8,
    /// weekday-average-10, weekday-average-12, weekday-ewma, weekday-average-adjusted,
    /// level-profile, level-pooled, blend, mstl, combined; or
    /// `auto` to choose per channel by backtest.
    #[arg(long, default_value = "auto")]
    pub method: String,
    /// Weekly backtest origins used to choose the method (eight: a choice that four weeks' luck
    /// does not decide); the quantiles are calibrated from daily origins over as many weeks.
    #[arg(long, default_value_t = 8)]
    pub origins: usize,
    /// Also print the forecast's details as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_method(text: &str) -> anyhow::Result<Option<Method>> {
    if text == "auto" {
        return Ok(None);
    }
    Method::ALL
        .iter()
        .copied()
        .find(|m| m.name() == text)
        .map(Some)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "unknown method `{text}`; expected auto, {}",
                Method::ALL.map(Method::name).join(", ")
            )
        })
}

fn parse_local(flag: &str, text: &str) -> anyhow::Result<NaiveDateTime> {
    ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_time(chrono::NaiveTime::MIN))
        })
        .with_context(|| {
            format!("{flag}: `{text}` is not a local date-time; expected e.g. 2026-11-09T00:00")
        })
}

pub fn run(args: ForecastArgs) -> anyhow::Result<()> {
    if args.weekly {
        return run_weekly(args);
    }
    let method = parse_method(&args.method)?;
    let start = parse_local("--start", args.start.as_deref().unwrap_or_default())?;
    let end = parse_local("--end", args.end.as_deref().unwrap_or_default())?;
    let (scenario, history) = args.input.load()?;
    let options = ForecastOptions {
        start,
        end,
        method,
        origins: args.origins,
        horizon_days: 7,
        intraday_rules: false,
    };
    let result = forecast::forecast(&history, scenario.as_ref(), &options)?;
    let rows = result.rows();
    crate::export::create_parent(&args.out)?;
    crate::export::write_volumes_file(&args.out, &rows, history.time_zone)?;

    if args.json {
        say!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(());
    }
    say!(
        "history {}: {}-minute intervals, {} to {}",
        history.origin,
        history.interval_minutes,
        history
            .channels
            .iter()
            .filter_map(|c| c.days.first())
            .min()
            .map_or(String::new(), |d| d.to_string()),
        history.last_day
    );
    let mut t = table::new(&[
        "channel",
        "method",
        "backtest WAPE (weekly origins)",
        "volume",
        "busiest day (p10–p90)",
        "events",
        "skipped history days",
    ]);
    for c in &result.channels {
        // The choice's own backtest WAPE: the automatic choice's (members chosen on the other
        // origins), or the named method's.
        let backtest_wape = match (&c.choice_score, c.choice.members.as_slice()) {
            (Some(auto), _) => Some((auto.wape, auto.origins)),
            (None, [one]) => c
                .scores
                .iter()
                .find(|s| s.method == *one)
                .map(|s| (s.wape, s.origins)),
            _ => None,
        };
        // From +0: an empty f64 sum is −0, which would print as "-0".
        let total = c.rows.iter().fold(0.0, |sum, r| sum + r.volume);
        let busiest = c.days.iter().max_by(|a, b| a.volume.total_cmp(&b.volume));
        let events = c
            .events
            .iter()
            .map(|e| {
                format!(
                    "{} ×{:.2} ±{:.0}% ({})",
                    e.event,
                    e.uplift,
                    e.spread * 100.0,
                    e.source
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let skipped = c
            .skipped_days
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ");
        t.add_row(vec![
            c.channel.clone(),
            format!(
                "{}{}",
                c.choice.name(),
                if c.chosen_by_backtest { " (auto)" } else { "" }
            ),
            backtest_wape.map_or("–".into(), |(wape, origins)| {
                format!("{} ({origins} origins)", table::pct(wape))
            }),
            format!("{total:.0}"),
            busiest.map_or("–".into(), |d| {
                format!(
                    "{} {:.0} ({:.0}–{:.0})",
                    d.day.format("%a %d %b"),
                    d.volume,
                    d.p10,
                    d.p90
                )
            }),
            if events.is_empty() {
                "–".into()
            } else {
                events
            },
            if skipped.is_empty() {
                "–".into()
            } else {
                skipped
            },
        ]);
    }
    say!("{t}");
    for c in result.channels.iter().filter(|c| c.rows.is_empty()) {
        say!(
            "{}: nothing to forecast: every day asked for is closed, by the opening hours the \
             history shows (a weekday it never shows open counts as closed) or as a holiday",
            c.channel
        );
    }
    let profiles: Vec<String> = result
        .channels
        .iter()
        .filter_map(|c| Some(format!("{} {}", c.channel, c.profile?.describe())))
        .collect();
    if !profiles.is_empty() {
        say!(
            "Intraday profiles, as the {} weeks before the backtest's first origin favoured: {}",
            forecast::models::SHAPE_DAYS / 7,
            profiles.join("; ")
        );
    }
    for c in &result.channels {
        if let Some(r) = &c.reforecast {
            say!(
                "{}: re-forecast the rest of {} from actuals through {}: {:.0} contacts against {:.0} planned, \
                 rest of the day ×{:.3} ({})",
                c.channel,
                r.day,
                r.through.format("%H:%M"),
                r.actual_so_far,
                r.planned_so_far,
                r.factor,
                match &r.rule {
                    Some(rule) => format!(
                        "the rest keeps {:.0} % of the run so far{}, {}; learned from {} days",
                        rule.beta * 100.0,
                        rule.beta_by_lead.map_or(String::new(), |b| format!(
                            " — {:.0} / {:.0} / {:.0} / {:.0} % of it from the cut, 30 min, \
                             1½ h and 4 h on",
                            b[0] * 100.0,
                            b[1] * 100.0,
                            b[2] * 100.0,
                            b[3] * 100.0
                        )),
                        rule.decay_minutes
                            .map_or("every interval alike".into(), |m| format!(
                                "recent intervals weighing most (decay {m:.0} min)"
                            )),
                        rule.days
                    ),
                    None =>
                        "too little history to learn from: the run so far shrunk toward the plan"
                            .into(),
                }
            );
        }
    }
    say!("wrote {} ({} rows)", args.out.display(), rows.len());
    Ok(())
}

fn run_weekly(args: ForecastArgs) -> anyhow::Result<()> {
    let (scenario, history) = args.input.load()?;
    let from = match &args.from {
        Some(text) => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .with_context(|| format!("--from: `{text}` is not a date; expected e.g. 2026-08-03"))?,
        None => history.last_day + chrono::Days::new(1),
    };
    let options = WeeklyOptions {
        from,
        weeks: args.weeks,
        seed: args.seed,
    };
    let result = weekly::forecast_weekly(&history, scenario.as_ref(), &options)?;
    crate::export::create_parent(&args.out)?;
    let rows = crate::export::weekly_rows(&result);
    crate::export::write_csv_file(&args.out, &rows)?;
    if args.json {
        say!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(());
    }
    say!(
        "weekly forecast from history {} (to {}), weeks of {} to {}:",
        history.origin,
        history.last_day,
        result
            .weeks
            .first()
            .map_or(String::new(), |d| d.to_string()),
        result.weeks.last().map_or(String::new(), |d| d.to_string()),
    );
    for c in &result.channels {
        let m = &c.model;
        say!(
            "  {}: {} weeks learned, {}; growth {:+.1}% a year; weekly residual σ {:.1}%, AR {:.2}",
            c.channel,
            m.weeks_learned,
            m.note,
            m.growth_per_year * 100.0,
            m.sigma * 100.0,
            m.ar
        );
        if m.band_errors > 0 {
            say!(
                "    bands scaled ×{:.2} to cover 80 % of the model's own errors 1–13 weeks ahead ({} errors)",
                m.band_scale,
                m.band_errors
            );
        } else {
            say!(
                "    bands as fitted: too few weeks to check them against the model's own errors out of sample"
            );
        }
        for e in &c.events {
            say!(
                "    {} ×{:.2} over its window ({}; drawn with ±{:.0}%)",
                e.event,
                e.uplift,
                e.source,
                e.spread * 100.0
            );
        }
    }
    let mut header = vec!["week".to_string()];
    header.extend(
        result
            .channels
            .iter()
            .map(|c| format!("{} p50 (p10–p90)", c.channel)),
    );
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = table::new(&header);
    for (w, week) in result.weeks.iter().enumerate() {
        let mut row = vec![week.format("%Y-%m-%d").to_string()];
        for c in &result.channels {
            let r = &c.rows[w];
            row.push(format!(
                "{} ({}–{}){}",
                table::thousands(r.p50),
                table::thousands(r.p10),
                table::thousands(r.p90),
                if r.uplift > 1.005 || r.uplift < 0.995 {
                    format!(" event ×{:.2}", r.uplift)
                } else if r.open_days < 7
                    && c.model.weekday_share.iter().filter(|v| **v > 0.0).count() > r.open_days
                {
                    format!(" {} open days", r.open_days)
                } else {
                    String::new()
                }
            ));
        }
        t.add_row(row);
    }
    say!("{t}");
    say!("wrote {} ({} rows)", args.out.display(), rows.len());
    Ok(())
}

/// Score every forecasting method by rolling-origin backtest on the history.
///
/// For each channel and method: WAPE, MASE against seasonal naive, bias, how often actuals fell in the
/// p10–p90 band (each origin's band calibrated on the other origins) and the fit time. The winner (lowest
/// WAPE) is the method `forecast --method auto` would choose.
///
/// With --weekly: the weekly long-range model against seasonal naive (the same week last year) and a
/// trend-adjusted naive, 1 to 26 weeks ahead, with the coverage of its p10–p90 band.
///
/// Examples:
///   peakplan backtest --scenario models/promo-peak.toml --horizon-days 7 --origins 8
///   peakplan backtest --scenario models/promo-peak.toml --weekly
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct BacktestArgs {
    #[command(flatten)]
    pub input: HistoryArgs,
    /// Days forecast from each origin.
    #[arg(long, default_value_t = 7)]
    pub horizon_days: usize,
    /// Weekly origins, counted back from the end of the history.
    #[arg(long, default_value_t = 8)]
    pub origins: usize,
    /// Backtest the weekly long-range forecast instead.
    #[arg(long)]
    pub weekly: bool,
    /// With --weekly: the farthest week ahead scored (1 to 104).
    #[arg(long, default_value_t = 26, requires = "weekly")]
    pub weeks_ahead: usize,
    /// With --weekly: weeks between origins.
    #[arg(long, default_value_t = 2, requires = "weekly")]
    pub step: usize,
    /// Print the scores as JSON.
    #[arg(long)]
    pub json: bool,
}

fn run_weekly_backtest(args: BacktestArgs) -> anyhow::Result<()> {
    let (scenario, history) = args.input.load()?;
    let scores = weekly::backtest_weekly(&history, scenario.as_ref(), args.weeks_ahead, args.step)?;
    if args.json {
        say!("{}", serde_json::to_string_pretty(&scores)?);
        return Ok(());
    }
    say!(
        "weekly backtest: origins every {} weeks, scored 1 to {} weeks ahead on complete weeks",
        args.step,
        args.weeks_ahead
    );
    let mut t = table::new(&[
        "channel",
        "weeks ahead",
        "weeks scored",
        "WAPE",
        "seasonal naive",
        "trend naive",
        "p10–p90 coverage",
    ]);
    for s in &scores {
        let picks = [1, 4, 8, 13, 26];
        for h in s.horizons.iter().filter(|h| picks.contains(&h.weeks_ahead)) {
            t.add_row(vec![
                s.channel.clone(),
                h.weeks_ahead.to_string(),
                h.cells.to_string(),
                table::pct(h.wape),
                table::pct(h.wape_seasonal_naive),
                table::pct(h.wape_trend_naive),
                table::pct(h.coverage_p10_p90),
            ]);
        }
        t.add_row(vec![
            s.channel.clone(),
            format!("4–{}", args.weeks_ahead.max(4)),
            format!("{} origins", s.origins),
            table::pct(s.wape),
            table::pct(s.wape_seasonal_naive),
            table::pct(s.wape_trend_naive),
            table::pct(s.coverage_p10_p90),
        ]);
    }
    say!("{t}");
    Ok(())
}

pub fn run_backtest(args: BacktestArgs) -> anyhow::Result<()> {
    if args.weekly {
        return run_weekly_backtest(args);
    }
    let (scenario, history) = args.input.load()?;
    let all =
        forecast::backtest_history(&history, scenario.as_ref(), args.horizon_days, args.origins)?;
    if args.json {
        say!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    let mut t = table::new(&[
        "channel",
        "method",
        "WAPE",
        "MASE",
        "bias",
        "p10–p90 coverage",
        "fit ms",
        "",
    ]);
    for c in &all {
        let members = c.choice.as_ref().map_or(&[][..], |m| m.members.as_slice());
        for s in &c.scores {
            t.add_row(vec![
                c.channel.clone(),
                s.method.name().to_string(),
                table::pct(s.wape),
                format!("{:.3}", s.mase),
                format!("{:+.1}%", s.bias * 100.0),
                table::pct(s.coverage_p10_p90),
                format!("{:.3}", s.fit_ms),
                if members.contains(&s.method) {
                    "◀ in auto".into()
                } else {
                    String::new()
                },
            ]);
        }
        if let Some(auto) = &c.choice_score {
            t.add_row(vec![
                c.channel.clone(),
                match &c.choice {
                    Some(choice) if choice.members.len() == 1 => {
                        format!("auto: the best alone{}", choice.layers())
                    }
                    Some(choice) => format!(
                        "auto: mean of the {} best{}",
                        choice.members.len(),
                        choice.layers()
                    ),
                    None => "auto".into(),
                },
                table::pct(auto.wape),
                format!("{:.3}", auto.mase),
                format!("{:+.1}%", auto.bias * 100.0),
                c.bands
                    .as_ref()
                    .map_or("–".into(), |b| table::pct(b.coverage_p10_p90)),
                "–".into(),
                "◀ forecast".into(),
            ]);
        }
    }
    // A history holds fewer origins than asked for when it is short: say how many were scored.
    let used: Vec<usize> = all
        .iter()
        .filter_map(|c| c.scores.first().map(|s| s.results.len()))
        .collect();
    let origins = match (used.iter().min(), used.iter().max()) {
        (Some(&least), Some(&most)) if most < args.origins => {
            let counts = if least == most {
                format!("{most}")
            } else {
                format!("{least}–{most}")
            };
            format!(
                "{counts} weekly origins (as many as the history holds; {} asked for)",
                args.origins
            )
        }
        (Some(&least), _) if least < args.origins => format!(
            "{} weekly origins (fewer where a channel's history holds fewer)",
            args.origins
        ),
        _ => format!("{} weekly origins", args.origins),
    };
    say!(
        "backtest: {origins}, {}-day horizon, scored on ordinary open intervals; auto \
         forecasts with the mean of the best (at most {}, each within {:.0} % of the best's WAPE, as many \
         as scored best together)",
        args.horizon_days,
        forecast::backtest::MEMBERS,
        forecast::backtest::MEMBER_TOLERANCE * 100.0
    );
    say!("{t}");
    for c in all.iter().filter(|c| c.scores.is_empty()) {
        match &c.too_short {
            Some(why) => say!("{why}: not scored; `forecast` forecasts it from what it has"),
            None => say!(
                "{}: nothing to score: no volume on the ordinary open days after the origins (a \
                 channel not yet in use, or one whose history is all holidays and outages)",
                c.channel
            ),
        }
    }
    say!(
        "Intraday profiles of the level-and-profile methods, as the {} weeks before the first \
         origin favoured: {}",
        forecast::models::SHAPE_DAYS / 7,
        all.iter()
            .filter(|c| c.too_short.is_none())
            .map(|c| format!("{} {}", c.channel, c.profile.describe()))
            .collect::<Vec<_>>()
            .join("; ")
    );
    for c in &all {
        if let (Some(auto), Some(baseline)) = (&c.choice_score, c.baseline) {
            say!(
                "{}: auto {} against the best same-weekday interval average over {}–{} weeks \
                 ({} weeks, {}): {:+.1}%",
                c.channel,
                table::pct(auto.wape),
                forecast::backtest::BASELINE_WEEKS.start(),
                forecast::backtest::BASELINE_WEEKS.end(),
                baseline.weeks,
                table::pct(baseline.wape),
                100.0 * (auto.wape / baseline.wape - 1.0)
            );
        }
    }
    for c in &all {
        if let Some(held_out) = c.choice_score.as_ref().and_then(|a| a.held_out_wape) {
            say!(
                "{}: auto's WAPE with each origin's members chosen on the other origins (how much \
                 of the choice was luck): {}",
                c.channel,
                table::pct(held_out)
            );
        }
    }
    say!(
        "p10–p90 coverage of auto by horizon day, from daily origins over the weeks the weekly \
         origins span, each week's band calibrated on the others (target 76–84 % on each):"
    );
    let by_day = |coverage: &[f64]| {
        coverage
            .iter()
            .enumerate()
            .map(|(h, v)| format!("day {} {}", h + 1, table::pct(*v)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for c in &all {
        if let Some(bands) = &c.bands {
            say!(
                "  {} ({}, {} origins): intervals {} — overall {}",
                c.channel,
                bands.choice.name(),
                bands.origins,
                by_day(&bands.coverage_by_horizon),
                table::pct(bands.coverage_p10_p90)
            );
            let chance = bands.day_chance();
            let fewest = chance.map_or(0, |(n, _)| n);
            say!(
                "  {} whole days' volumes: {} — overall {} (at least {fewest} days a horizon day{})",
                c.channel,
                by_day(&bands.day_coverage_by_horizon),
                table::pct(bands.day_coverage_p10_p90),
                chance.map_or(String::new(), |(n, chance)| format!(
                    ": one day is {:.1} points, and chance alone moves a share by about ±{:.0}",
                    100.0 / n as f64,
                    100.0 * chance
                ))
            );
        }
    }
    Ok(())
}
