use super::*;
use crate::forecast::history::History;
use crate::volumes::VolumeSeries;
use chrono::{Duration, NaiveTime};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Poisson, StandardNormal};

const FIRST: (i32, u32, u32) = (2023, 1, 2); // a Monday

/// The expected daily volume of the synthetic centre on `day` (before the weekly level noise): 10 %
/// growth a year, a yearly swing of ±25 % peaking in spring, a weekly rhythm, closed on 1 January and
/// 25 December, and a sale on 11 November (×2.5, the two days before ×1.3).
fn expected(day: NaiveDate) -> f64 {
    let first = NaiveDate::from_ymd_opt(FIRST.0, FIRST.1, FIRST.2).unwrap();
    let t = (day - first).num_days() as f64 / 365.25;
    let doy = f64::from(day.ordinal0()) / 365.25 * std::f64::consts::TAU;
    let weekday =
        [1.2, 1.05, 1.0, 0.95, 0.9, 0.7, 0.6][day.weekday().num_days_from_monday() as usize];
    let md = (day.month(), day.day());
    if md == (1, 1) || md == (12, 25) {
        return 0.0;
    }
    let event = match md {
        (11, 11) => 2.5,
        (11, 9) | (11, 10) => 1.3,
        _ => 1.0,
    };
    1000.0 * (0.1 * t).exp() * (1.0 + 0.25 * (doy - 1.2).sin()) * weekday * event
}

/// `days` days of hourly history from 2 January 2023, 08:00–20:00, with a persistent weekly level
/// noise (AR(1), φ 0.6, σ 4 %) and Poisson counts.
fn centre(days: i64, seed: u64) -> String {
    let mut rng = SmallRng::seed_from_u64(seed);
    let first = NaiveDate::from_ymd_opt(FIRST.0, FIRST.1, FIRST.2).unwrap();
    let mut out = String::from("timestamp,channel,volume\n");
    let mut noise = 0.0f64;
    for d in 0..days {
        let day = first + Duration::days(d);
        if day.weekday() == Weekday::Mon {
            noise = 0.6 * noise + 0.04 * rng.sample::<f64, _>(StandardNormal);
        }
        let mean = expected(day) * noise.exp();
        for hour in 8..20 {
            let shape = [
                0.05, 0.09, 0.11, 0.1, 0.08, 0.08, 0.09, 0.1, 0.09, 0.08, 0.07, 0.06,
            ][hour - 8];
            let v = if mean > 0.0 {
                Poisson::new(mean * shape).unwrap().sample(&mut rng)
            } else {
                0.0
            };
            let t = day.and_time(NaiveTime::MIN) + Duration::hours(hour as i64);
            out.push_str(&format!("{}Z,voice,{v}\n", t.format("%Y-%m-%dT%H:%M:%S")));
        }
    }
    out
}

fn history(text: &str) -> History {
    let series = VolumeSeries::read_from(text.as_bytes(), "centre.csv", chrono_tz::UTC).unwrap();
    History::from_series(&series, chrono_tz::UTC, None).unwrap()
}

fn scenario() -> Scenario {
    let mut holidays = Vec::new();
    let mut events = String::new();
    for y in 2023..=2026 {
        holidays.push(format!("{y}-01-01"));
        holidays.push(format!("{y}-12-25"));
        events.push_str(&format!(
            "[[events]]\nname = \"sale {y}\"\ntag = \"sale\"\nstart = {y}-11-11\nend = {y}-11-11\ndays_before = 2\n"
        ));
    }
    Scenario::parse(
        &format!(
            r#"
name = "weekly"
time_zone = "UTC"
interval_minutes = 30
holidays = [{}]
[horizon]
start = 2025-11-03
end = 2025-11-16
[[channels]]
id = "voice"
kind = "voice"
aht_seconds = 300
shrinkage = 0.3
opening_hours = {{ daily = "08:00-20:00" }}
service_target = {{ answered_within_seconds = 20, share = 0.8 }}
{events}"#,
            holidays.join(", ")
        ),
        "weekly.toml",
    )
    .unwrap()
}

fn week_expected(monday: NaiveDate) -> f64 {
    (0..7).map(|d| expected(monday + Days::new(d))).sum()
}

#[test]
fn the_weekly_model_learns_trend_seasonality_holidays_and_the_event() {
    // 2.5 years of history; forecast the 26 weeks from 3 July 2025.
    let h = history(&centre(913, 3));
    let s = scenario();
    let from = NaiveDate::from_ymd_opt(2025, 7, 7).unwrap();
    let f = forecast_weekly(
        &h,
        Some(&s),
        &WeeklyOptions {
            from,
            weeks: 26,
            seed: 1,
        },
    )
    .unwrap();
    let c = &f.channels[0];
    assert!(c.model.harmonics >= 1, "{:?}", c.model);
    assert!(
        (c.model.growth_per_year - 0.105).abs() < 0.05,
        "{:?}",
        c.model
    );
    let (mut err, mut total) = (0.0, 0.0);
    for r in &c.rows {
        let e = week_expected(r.week);
        err += (r.p50 - e).abs();
        total += e;
        assert!(r.p10 < r.p50 && r.p50 < r.p90, "{r:?}");
    }
    assert!(
        err / total < 0.06,
        "WAPE against the truth {:.3}",
        err / total
    );
    // The sale's week is lifted by about the truth, learned from two past occurrences.
    let sale = c
        .rows
        .iter()
        .find(|r| r.week == NaiveDate::from_ymd_opt(2025, 11, 10).unwrap())
        .unwrap();
    let truth = week_expected(sale.week)
        / (0..7)
            .map(|d| {
                let day = sale.week + Days::new(d);
                expected(day)
                    / match (day.month(), day.day()) {
                        (11, 11) => 2.5,
                        (11, 9) | (11, 10) => 1.3,
                        _ => 1.0,
                    }
            })
            .sum::<f64>();
    assert!(
        (sale.uplift / truth - 1.0).abs() < 0.1,
        "uplift {} against {truth}",
        sale.uplift
    );
    assert!(
        c.events[0].source.contains("2 past occurrences"),
        "{:?}",
        c.events
    );
    // Christmas week has one day closed.
    let christmas = c
        .rows
        .iter()
        .find(|r| r.week == NaiveDate::from_ymd_opt(2025, 12, 22).unwrap())
        .unwrap();
    assert_eq!(christmas.open_days, 6);
    assert_eq!(christmas.days[3], 0.0);
}

#[test]
fn the_weekly_backtest_beats_both_naive_baselines_with_honest_bands() {
    let h = history(&centre(1092, 5));
    let scores = backtest_weekly(&h, Some(&scenario()), 26, 2).unwrap();
    let s = &scores[0];
    assert!(s.origins >= 10, "{s:?}");
    assert!(
        s.wape < s.wape_seasonal_naive && s.wape < s.wape_trend_naive,
        "{s:?}"
    );
    assert!(
        (0.65..=0.95).contains(&s.coverage_p10_p90),
        "coverage {}",
        s.coverage_p10_p90
    );
    // Bands widen with the horizon: the first week's band is narrower than the 26th's.
    assert!(s.horizons.iter().any(|h| h.weeks_ahead == 26));
}

#[test]
fn weeks_with_open_but_quiet_holidays_are_scored_like_any_other() {
    // Nine public holidays a year on which the centre opens at 70 % (as a state's calendar has):
    // their weeks are real weeks, and the trend naive's 13 weeks and the year before nearly always
    // hold one. Listed as quiet, they must not cost the backtest its origins or its scored weeks.
    const DATES: [(u32, u32); 9] = [
        (1, 26),
        (3, 10),
        (4, 25),
        (6, 9),
        (8, 14),
        (9, 29),
        (10, 20),
        (11, 4),
        (12, 26),
    ];
    let scaled: String = centre(1092, 5)
        .lines()
        .map(|line| {
            let quiet = line.get(4..10).is_some_and(|md| {
                DATES
                    .iter()
                    .any(|(m, d)| md == format!("-{m:02}-{d:02}").as_str())
            });
            match line.rsplit_once(',') {
                Some((head, v)) if quiet => {
                    let v: f64 = v.parse().unwrap();
                    format!("{head},{}\n", (0.7 * v).round())
                }
                _ => format!("{line}\n"),
            }
        })
        .collect();
    let h = history(&scaled);
    let plain = scenario();
    let mut quiet = plain.clone();
    for y in 2023..=2026 {
        for (m, d) in DATES {
            quiet
                .quiet_holidays
                .insert(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        }
    }
    let a = &backtest_weekly(&h, Some(&plain), 26, 2).unwrap()[0];
    let b = &backtest_weekly(&h, Some(&quiet), 26, 2).unwrap()[0];
    assert!(a.origins >= 10, "{a:?}");
    assert_eq!(a.origins, b.origins, "{b:?}");
    let cells = |s: &WeeklyScore| s.horizons.iter().map(|h| h.cells).collect::<Vec<_>>();
    assert_eq!(cells(a), cells(b));
    // Knowing the quiet days helps the model, not the naive baselines.
    assert!(
        b.wape < a.wape && b.wape < b.wape_seasonal_naive && b.wape < b.wape_trend_naive,
        "listed {b:?}\nunlisted {a:?}"
    );
}

#[test]
fn bands_widen_with_the_horizon_and_level_errors_persist() {
    let h = history(&centre(800, 7));
    let s = scenario();
    let from = NaiveDate::from_ymd_opt(2025, 3, 10).unwrap();
    let f = forecast_weekly(
        &h,
        Some(&s),
        &WeeklyOptions {
            from,
            weeks: 40,
            seed: 2,
        },
    )
    .unwrap();
    let rows = &f.channels[0].rows;
    let width = |r: &WeekRow| (r.p90 - r.p10) / r.p50;
    assert!(
        width(&rows[39]) > width(&rows[0]),
        "{} vs {}",
        width(&rows[39]),
        width(&rows[0])
    );
    // Same seed, same paths; a path's deviation from the median lasts: weeks 20 and 21 go together
    // (the synthetic level noise has φ = 0.6).
    let a = f.draws(400, 9);
    assert_eq!(
        format!("{:?}", a.volume),
        format!("{:?}", f.draws(400, 9).volume)
    );
    let dev = |w: usize| -> Vec<f64> {
        a.volume
            .iter()
            .map(|p| (p[0][w] / rows[w].p50).ln())
            .collect()
    };
    let (x, y) = (dev(20), dev(21));
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    assert!(
        cov / (vx * vy).sqrt() > 0.3,
        "correlation {}",
        cov / (vx * vy).sqrt()
    );
}

#[test]
fn less_than_a_year_has_no_seasonality_and_a_few_weeks_are_refused() {
    let h = history(&centre(200, 8));
    let from = NaiveDate::from_ymd_opt(2023, 7, 24).unwrap();
    let f = forecast_weekly(
        &h,
        None,
        &WeeklyOptions {
            from,
            weeks: 8,
            seed: 1,
        },
    )
    .unwrap();
    assert_eq!(f.channels[0].model.harmonics, 0);
    assert!(
        f.channels[0].model.note.contains("no yearly seasonality"),
        "{}",
        f.channels[0].model.note
    );
    let short = history(&centre(40, 8));
    let err = forecast_weekly(
        &short,
        None,
        &WeeklyOptions {
            from,
            weeks: 8,
            seed: 1,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("at least 8"), "{err}");
    let err = forecast_weekly(
        &h,
        None,
        &WeeklyOptions {
            from,
            weeks: 105,
            seed: 1,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("--weeks"), "{err}");
    let err = backtest_weekly(&h, None, 26, 2).unwrap_err();
    assert!(err.to_string().contains("65 weeks"), "{err}");
    // How far ahead and how often is checked first, whatever the history.
    for (ahead, step) in [(0, 2), (105, 2), (100_000, 2), (26, 0)] {
        let err = backtest_weekly(&h, None, ahead, step).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("got --weeks-ahead {ahead}, --step {step}")),
            "{err}"
        );
    }
}

/// A weekly forecast's weeks lie after the history's start and within two years of its end: the
/// last week may be the 104th after the history, not the 105th; a first week at or before the
/// history's first day is refused with the date it needs.
#[test]
fn a_weekly_forecast_reaches_two_years_past_its_history_and_no_further() {
    let h = history(&centre(200, 8));
    let start = NaiveDate::from_ymd_opt(FIRST.0, FIRST.1, FIRST.2).unwrap();
    // The Monday after the history's last day's week: the first week wholly beyond it.
    let beyond = start + Duration::days(199);
    let beyond = beyond + Duration::days(7 - i64::from(beyond.weekday().num_days_from_monday()));
    let run = |from: NaiveDate, weeks: usize| {
        forecast_weekly(
            &h,
            None,
            &WeeklyOptions {
                from,
                weeks,
                seed: 1,
            },
        )
    };
    assert_eq!(run(beyond, 104).unwrap().weeks.len(), 104);
    assert_eq!(
        run(beyond + Duration::days(7), 103).unwrap().weeks.len(),
        103
    );
    for (from, weeks) in [
        (beyond + Duration::days(7), 104),
        (beyond + Duration::days(14), 103),
        (beyond + Duration::days(7 * 5000), 1),
    ] {
        let err = run(from, weeks).unwrap_err().to_string();
        assert!(
            err.contains("at most 104 weeks beyond its history"),
            "{err}"
        );
    }
    for from in [start, start - Duration::days(10_000)] {
        let err = run(from, 8).unwrap_err().to_string();
        assert!(
            err.contains(&format!("the history starts on {start}")),
            "{err}"
        );
    }
}

#[test]
fn a_quiet_holiday_lowers_its_week_by_its_manual_share() {
    let h = history(&centre(913, 3));
    let base = scenario();
    let from = NaiveDate::from_ymd_opt(2025, 7, 7).unwrap();
    let options = WeeklyOptions {
        from,
        weeks: 4,
        seed: 1,
    };
    let plain = forecast_weekly(&h, Some(&base), &options).unwrap();
    let mut quiet = base.clone();
    quiet
        .quiet_holidays
        .insert(NaiveDate::from_ymd_opt(2025, 7, 16).unwrap());
    quiet.quiet_factor = Some(0.5);
    let f = forecast_weekly(&h, Some(&quiet), &options).unwrap();
    let (a, b) = (&plain.channels[0].rows[1], &f.channels[0].rows[1]);
    // Wednesday keeps half its share of the week (about 1/7 × 1.0 of the weekly level).
    assert!(
        b.p50 < a.p50 && b.p50 > 0.85 * a.p50,
        "{} against {}",
        b.p50,
        a.p50
    );
    assert!(
        (b.days[2] / a.days[2] - 0.5).abs() < 0.02,
        "{:?} {:?}",
        b.days,
        a.days
    );
    quiet.quiet_factor = None;
    let err = forecast_weekly(&h, Some(&quiet), &options).unwrap_err();
    assert!(err.to_string().contains("quiet_factor"), "{err}");
}

#[test]
fn a_quiet_holiday_is_drawn_with_the_spread_of_past_quiet_holidays() {
    // Two past quiet Mondays that kept 20 % and 80 % of an ordinary Monday: the share learned is
    // about half, and the next one could be anywhere near either.
    let scaled: String = centre(913, 3)
        .lines()
        .map(|line| {
            let factor = if line.starts_with("2023-07-17") {
                0.2
            } else if line.starts_with("2024-07-15") {
                0.8
            } else {
                return format!("{line}\n");
            };
            let (head, v) = line.rsplit_once(',').unwrap();
            let v: f64 = v.parse().unwrap();
            format!("{head},{}\n", (v * factor).round())
        })
        .collect();
    let h = history(&scaled);
    let mut s = scenario();
    for day in ["2023-07-17", "2024-07-15", "2025-07-14"] {
        s.quiet_holidays.insert(day.parse().unwrap());
    }
    let f = forecast_weekly(
        &h,
        Some(&s),
        &WeeklyOptions {
            from: NaiveDate::from_ymd_opt(2025, 7, 7).unwrap(),
            weeks: 3,
            seed: 1,
        },
    )
    .unwrap();
    let c = &f.channels[0];
    let share = c.rows[1].days[0] / c.rows[0].days[0];
    assert!((0.35..0.65).contains(&share), "{share}");
    let width = |r: &WeekRow| (r.p90 - r.p10) / r.p50;
    let widths: Vec<f64> = c.rows.iter().map(width).collect();
    assert!(
        widths[1] > 1.5 * widths[0] && widths[1] > 1.5 * widths[2],
        "{widths:?}"
    );
    // Its median stays the learned share's: the spread widens the band, not the plan.
    let plain = forecast_weekly(
        &h,
        Some(&scenario()),
        &WeeklyOptions {
            from: NaiveDate::from_ymd_opt(2025, 7, 7).unwrap(),
            weeks: 3,
            seed: 1,
        },
    )
    .unwrap();
    let (a, b) = (&plain.channels[0].rows[1], &c.rows[1]);
    let monday = a.days[0] / a.p50;
    let expected = a.p50 * (1.0 - monday * (1.0 - share));
    assert!(
        (b.p50 / expected - 1.0).abs() < 0.03,
        "{} against {expected}",
        b.p50
    );
}

/// Log weekly levels from 2 January 2023: 10 % growth a year, a level that wanders (a random walk
/// with steps of sd `walk`) and weekly noise of sd `noise`.
fn levels(weeks: usize, seed: u64, walk: f64, noise: f64) -> Vec<(NaiveDate, f64)> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let first = NaiveDate::from_ymd_opt(FIRST.0, FIRST.1, FIRST.2).unwrap();
    let mut wander = 0.0;
    (0..weeks)
        .map(|k| {
            let monday = first + Days::new(7 * k as u64);
            wander += walk * rng.sample::<f64, _>(StandardNormal);
            let level = 7.0 + 0.1 * k as f64 / 52.0 + wander;
            (monday, level + noise * rng.sample::<f64, _>(StandardNormal))
        })
        .collect()
}

/// The calibration of the model fitted to all the weeks.
fn calibration_of(weeks: &[(NaiveDate, f64)]) -> (f64, usize) {
    calibration(weeks, fit_levels(weeks).unwrap().harmonics)
}

/// How often the next 13 weeks after the first `fitted` fall inside the fitted model's p10–p90
/// (the coefficients' and the AR(1)'s spread, scaled by `scale`), over 40 fresh continuations.
fn coverage(fitted: usize, scale: f64, walk: f64, noise: f64) -> f64 {
    let (mut inside, mut total) = (0, 0);
    for seed in 0..40 {
        let w = levels(fitted + 13, 100 + seed, walk, noise);
        let f = fit_levels(&w[..fitted]).unwrap();
        let last = w[fitted - 1].0;
        for &(monday, actual) in &w[fitted..] {
            let (mean, var) = f.predict(monday, last, f.residual[fitted - 1]);
            let sd = scale * var.sqrt();
            inside += usize::from((actual - mean).abs() <= 1.281_551_6 * sd);
            total += 1;
        }
    }
    inside as f64 / total as f64
}

#[test]
fn the_bands_are_scaled_to_the_models_own_errors_out_of_sample() {
    // Weeks that are a trend and white noise, as the model assumes: its own spread is about right,
    // and the calibration leaves it so.
    let (scale, errors) = calibration_of(&levels(120, 1, 0.0, 0.04));
    assert!(errors >= 3 * 13, "{errors}");
    assert!((0.75..=1.3).contains(&scale), "{scale}");
    // A level that wanders (a random walk the AR(1) around a fixed trend does not describe): the
    // fitted spread is too narrow, and the calibration (each series' own) widens it to cover at
    // least 76 % of the 13 weeks after, without going far past 80 %.
    let (walk, noise) = (0.02, 0.01);
    let (plain, mut calibrated) = (coverage(120, 1.0, walk, noise), 0.0);
    for seed in 0..40 {
        let (scale, _) = calibration_of(&levels(120, 100 + seed, walk, noise));
        calibrated += coverage(120, scale, walk, noise) / 40.0;
    }
    assert!(plain < 0.75, "as fitted {plain}");
    assert!(
        (0.76..=0.9).contains(&calibrated),
        "calibrated {calibrated}, as fitted {plain}"
    );
    // Too few weeks to tell: the spread stays as fitted.
    assert_eq!(calibration_of(&levels(20, 1, 0.0, 0.04)), (1.0, 0));
}
#[test]
fn a_level_that_only_wandered_is_held_and_a_growing_one_keeps_its_trend() {
    // 33 weeks of a flat level with 5 % noise and a dip of 7 % in weeks 7–12 (as a real centre's
    // spring might): a trend fitted to it would run its noise on for a year. Over 20 such series
    // BIC mostly weighs the trend down, and the level a year ahead stays near the truth.
    let first = NaiveDate::from_ymd_opt(FIRST.0, FIRST.1, FIRST.2).unwrap();
    let flat = |seed: u64| -> Vec<(NaiveDate, f64)> {
        let mut rng = SmallRng::seed_from_u64(seed);
        (0..33)
            .map(|k| {
                let dip = if (7..13).contains(&k) { -0.07 } else { 0.0 };
                let noise = 0.05 * rng.sample::<f64, _>(StandardNormal);
                (first + Days::new(7 * k as u64), 12.0 + dip + noise)
            })
            .collect()
    };
    let (mut held, mut error) = (0, 0.0);
    for seed in 0..20 {
        let weeks = flat(seed);
        let f = fit_levels(&weeks).unwrap();
        held += usize::from(f.trend_weight < 0.5);
        let last = weeks[32].0;
        let (mean, _) = f.predict(last + Days::new(7 * 52), last, f.residual[32]);
        error += (mean - 12.0).abs() / 20.0;
    }
    assert!(held >= 14, "{held} of 20 without a trend");
    assert!(error < 0.05, "mean error a year ahead {error}");
    let flat = flat(0);
    // Too few weeks before any origin for the calibration: the fitted spread stands.
    assert_eq!(calibration_of(&flat), (1.0, 0));
    // 10 % growth a year over 120 weeks is kept.
    let growing = fit_levels(&levels(120, 1, 0.0, 0.04)).unwrap();
    assert!(growing.trend_weight > 0.99, "{}", growing.trend_weight);
    assert!((growing.beta[1] - 0.1).abs() < 0.04, "{:?}", growing.beta);
    // On short histories the model's own spread holds over the next 13 weeks.
    let short = coverage(33, 1.0, 0.0, 0.05);
    assert!((0.72..=0.9).contains(&short), "{short}");
}

#[test]
fn a_holiday_week_carries_the_spread_of_past_holiday_weeks() {
    let h = history(&centre(913, 3));
    let s = scenario();
    let f = forecast_weekly(
        &h,
        Some(&s),
        &WeeklyOptions {
            from: NaiveDate::from_ymd_opt(2025, 12, 1).unwrap(),
            weeks: 6,
            seed: 1,
        },
    )
    .unwrap();
    let c = &f.channels[0];
    let width = |r: &WeekRow| (r.p90 - r.p10) / r.p50;
    // Christmas week (22 December, the fourth) against the weeks either side.
    assert_eq!(c.rows[3].open_days, 6);
    assert!(
        width(&c.rows[3]) > width(&c.rows[2]) && width(&c.rows[3]) > width(&c.rows[4]) * 0.98,
        "{:?}",
        c.rows.iter().map(width).collect::<Vec<_>>()
    );
    assert!(
        c.model.band_errors > 0 && c.model.band_scale > 0.0,
        "{:?}",
        c.model
    );
}
