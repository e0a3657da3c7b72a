//! Fit and forecast of one channel from 30,000 history intervals.
//!
//! cargo bench --bench forecast
//!
//! Workload: a 5-minute voice series open 08:00–20:00 every day, 209 days × 144 open intervals
//! = 30,096 intervals, weekly and daily rhythm, day-level swings and Poisson noise (seeded). Each
//! method fits on the whole history and forecasts the next 7 days, its quantiles calibrated from
//! daily origins over 8 weeks; `auto` also backtests every candidate from 8 weekly origins to
//! choose, as `peakplan forecast` does.
//!
//! Weekly long range: three years of a 30-minute series open 08:00–22:00 (1,092 days, growth and a
//! yearly swing), fitted and forecast 52 weeks ahead with the quantiles of 2,000 paths, as
//! `peakplan forecast --weekly --weeks 52` does.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use criterion::{Criterion, criterion_group, criterion_main};
use peakplan::forecast::history::History;
use peakplan::forecast::weekly::{self, WeeklyOptions};
use peakplan::forecast::{self, ForecastOptions, Method};
use peakplan::volumes::VolumeSeries;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand_distr::{Distribution, LogNormal, Poisson};
use std::hint::black_box;

const DAYS: i64 = 209;

fn history() -> History {
    let mut rng = SmallRng::seed_from_u64(42);
    let swing = LogNormal::new(0.0, 0.08).unwrap();
    let weekday = [1.2, 1.05, 1.0, 0.95, 0.9, 0.7, 0.6];
    let first = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
    let mut text = String::from("timestamp,channel,volume\n");
    for d in 0..DAYS {
        let day = first + Duration::days(d);
        let level = 4000.0
            * weekday[day.weekday().num_days_from_monday() as usize]
            * swing.sample(&mut rng);
        for slot in 96..240 {
            let hour = slot as f64 / 12.0;
            let shape = 0.3
                + (-(hour - 11.0f64).powi(2) / 6.0).exp()
                + 0.7 * (-(hour - 15.0f64).powi(2) / 8.0).exp();
            let v = Poisson::new(level * shape / 90.0).unwrap().sample(&mut rng);
            let t = day.and_time(NaiveTime::MIN) + Duration::minutes(slot * 5);
            text.push_str(&format!("{}Z,voice,{v}\n", t.format("%Y-%m-%dT%H:%M:%S")));
        }
    }
    let series = VolumeSeries::read_from(text.as_bytes(), "bench", chrono_tz::UTC).unwrap();
    History::from_series(&series, chrono_tz::UTC, None).unwrap()
}

fn bench(c: &mut Criterion) {
    let h = history();
    let intervals: usize = h.channels[0]
        .volume
        .iter()
        .flatten()
        .filter(|v| v.is_some())
        .count();
    assert!(intervals >= 30_000, "{intervals}");
    let start = (h.last_day + Duration::days(1)).and_time(NaiveTime::MIN);
    let mut group = c.benchmark_group("forecast/30k 5-minute intervals, 7 days ahead");
    group.sample_size(10);
    for method in Method::ALL.map(Some).into_iter().chain([None]) {
        let options = ForecastOptions {
            start,
            end: start + Duration::days(7),
            method,
            origins: 8,
            horizon_days: 7,
            intraday_rules: false,
        };
        let name = method.map_or("auto (backtest of every candidate)", Method::name);
        group.bench_function(name, |b| {
            b.iter(|| black_box(forecast::forecast(&h, None, &options).unwrap()))
        });
    }
    group.finish();
}

fn three_years() -> History {
    let mut rng = SmallRng::seed_from_u64(7);
    let swing = LogNormal::new(0.0, 0.05).unwrap();
    let weekday = [1.2, 1.05, 1.0, 0.95, 0.9, 0.7, 0.6];
    let first = NaiveDate::from_ymd_opt(2023, 1, 2).unwrap();
    let mut text = String::from("timestamp,channel,volume\n");
    for d in 0..1092 {
        let day = first + Duration::days(d);
        let t = d as f64 / 365.25;
        let level = 3000.0
            * (0.08 * t).exp()
            * (1.0 + 0.2 * (t * std::f64::consts::TAU).sin())
            * weekday[day.weekday().num_days_from_monday() as usize]
            * swing.sample(&mut rng);
        for slot in 16..44 {
            let v = Poisson::new(level / 28.0).unwrap().sample(&mut rng);
            let at = day.and_time(NaiveTime::MIN) + Duration::minutes(slot * 30);
            text.push_str(&format!("{}Z,voice,{v}\n", at.format("%Y-%m-%dT%H:%M:%S")));
        }
    }
    let series = VolumeSeries::read_from(text.as_bytes(), "bench", chrono_tz::UTC).unwrap();
    History::from_series(&series, chrono_tz::UTC, None).unwrap()
}

fn bench_weekly(c: &mut Criterion) {
    let h = three_years();
    let options = WeeklyOptions {
        from: h.last_day + Duration::days(1),
        weeks: 52,
        seed: 1,
    };
    let mut group = c.benchmark_group("forecast/weekly, 3 years of history, 52 weeks ahead");
    group.sample_size(10);
    group.bench_function("fit, 2,000 paths, quantiles", |b| {
        b.iter(|| black_box(weekly::forecast_weekly(&h, None, &options).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench, bench_weekly);
criterion_main!(benches);
