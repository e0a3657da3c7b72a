//! Writes the sample forecast `forecasts/promo-peak-forecast.csv` for `models/promo-peak.toml`:
//! expected contacts per channel and interval over the Double 11 peak, from a weekly rhythm, an
//! intraday profile per channel and the promotion's uplift by day. Deterministic.
//!
//! cargo run --example sample_forecast -- models/promo-peak.toml forecasts/promo-peak-forecast.csv

use chrono::{Datelike, NaiveDate};
use peakplan::scenario::{ChannelKind, Scenario};
use peakplan::volumes::{self, VolumeRow};
use std::f64::consts::PI;

/// Contacts per day on an ordinary Monday, before weekday and promotion factors.
fn base_daily(kind: &ChannelKind) -> f64 {
    match kind {
        ChannelKind::Voice { .. } => 5200.0,
        ChannelKind::Chat { .. } => 3600.0,
        ChannelKind::Email => 1800.0,
    }
}

/// Weekday factor, Monday first: Mondays are busiest, weekends quieter.
const WEEKDAY: [f64; 7] = [1.12, 1.04, 1.0, 0.98, 0.96, 0.80, 0.72];

/// Promotion uplift by date: presale at 20:00 on the 10th, the sale on the 11th, parcel questions after.
fn uplift(date: NaiveDate, hour: f64) -> f64 {
    match date.day() {
        9 => 1.25,
        10 if hour >= 20.0 => 2.6,
        10 => 1.45,
        11 => 2.9,
        12 => 1.9,
        13 => 1.5,
        14 => 1.3,
        _ => 1.0,
    }
}

fn bump(hour: f64, centre: f64, width: f64) -> f64 {
    (-(hour - centre).powi(2) / (2.0 * width * width)).exp()
}

/// Relative intensity by local hour of day.
fn intraday(kind: &ChannelKind, hour: f64) -> f64 {
    match kind {
        ChannelKind::Voice { .. } => {
            0.15 + bump(hour, 10.5, 1.6)
                + 0.8 * bump(hour, 15.0, 2.0)
                + 0.45 * bump(hour, 20.0, 1.3)
        }
        ChannelKind::Chat { .. } => {
            0.1 + 0.7 * bump(hour, 11.0, 2.0) + 0.8 * bump(hour, 15.5, 2.2) + bump(hour, 21.0, 1.6)
        }
        // Mail arrives around the clock, with a daytime swell.
        ChannelKind::Email => 0.35 + 0.65 * (0.5 - 0.5 * (2.0 * PI * (hour - 3.0) / 24.0).cos()),
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let scenario_path = args.get(1).map_or("models/promo-peak.toml", String::as_str);
    let out_path = args
        .get(2)
        .map_or("forecasts/promo-peak-forecast.csv", String::as_str);
    let scenario = Scenario::load(scenario_path)?;
    let grid = scenario.grid();
    let dt_hours = grid.length().seconds() / 3600.0;
    let mut rows = Vec::new();
    for i in 0..grid.len() {
        let clock = grid.local_clock(i);
        let hour = f64::from(clock.minute_of_day) / 60.0 + dt_hours / 2.0;
        for channel in &scenario.channels {
            let open = channel
                .opening_hours
                .is_open(clock.weekday, clock.minute_of_day);
            if !open && !matches!(channel.kind, ChannelKind::Email) {
                continue;
            }
            // Normalise the profile over the open day so the daily total is what the factors say.
            let steps = (24.0 / dt_hours) as u32;
            let day_total: f64 = (0..steps)
                .map(|s| {
                    let minute = (f64::from(s) * dt_hours * 60.0) as u32;
                    let counts = matches!(channel.kind, ChannelKind::Email)
                        || channel.opening_hours.is_open(clock.weekday, minute);
                    if counts {
                        intraday(&channel.kind, f64::from(s) * dt_hours + dt_hours / 2.0)
                    } else {
                        0.0
                    }
                })
                .sum();
            let daily =
                base_daily(&channel.kind) * WEEKDAY[clock.weekday.num_days_from_monday() as usize];
            let volume =
                daily * intraday(&channel.kind, hour) / day_total * uplift(clock.date, hour);
            // Peak days bring harder questions and newer agents: voice handle time rises with the uplift.
            let aht = match channel.kind {
                ChannelKind::Voice { .. } => Some(
                    (channel.aht.get() * (1.0 + 0.06 * (uplift(clock.date, hour) - 1.0))).round(),
                ),
                _ => None,
            };
            rows.push(VolumeRow {
                line: 0,
                timestamp: grid.start_of(i),
                channel: channel.id.to_string(),
                volume: (volume * 10.0).round() / 10.0,
                aht_seconds: aht,
                quantiles: None,
            });
        }
    }
    let file = std::fs::File::create(out_path)?;
    volumes::write(std::io::BufWriter::new(file), &rows, scenario.time_zone)?;
    println!("wrote {} rows to {out_path}", rows.len());
    Ok(())
}
