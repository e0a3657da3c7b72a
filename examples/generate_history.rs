//! Writes the sample history `forecasts/promo-peak-history.csv` for `models/promo-peak.toml`: 30-minute
//! contact volumes for voice, chat and email from 2 September 2024 to 1 November 2026, the eve of the plan,
//! with what real histories have — a weekly and a daily rhythm, growth, a yearly swell, public
//! holidays the centre closes on, two past Double 11 promotions, day-to-day swings, Poisson noise,
//! a few intervals lost by the telephony export, one outage day, and voice handle times.
//!
//! Seeded: the same seed writes the same file, byte for byte.
//!
//! cargo run --example generate_history -- [OUT.csv] [SEED]

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Asia::Shanghai;
use peakplan::volumes::VolumeRow;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal, Poisson};

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Voice,
    Chat,
    Email,
}

const CHANNELS: [(Kind, &str); 3] = [
    (Kind::Voice, "voice"),
    (Kind::Chat, "chat"),
    (Kind::Email, "email"),
];

/// Contacts on an ordinary Wednesday in September 2024.
fn base_daily(kind: Kind) -> f64 {
    match kind {
        Kind::Voice => 3900.0,
        Kind::Chat => 2600.0,
        Kind::Email => 1300.0,
    }
}

/// Weekday factor, Monday first.
fn weekday(kind: Kind, day: NaiveDate) -> f64 {
    let voice = [1.14, 1.05, 1.0, 0.98, 0.95, 0.78, 0.66];
    let chat = [1.06, 1.0, 1.0, 0.99, 1.0, 1.08, 1.1];
    let email = [1.25, 1.05, 1.0, 0.97, 0.92, 0.7, 0.62];
    let w = day.weekday().num_days_from_monday() as usize;
    match kind {
        Kind::Voice => voice[w],
        Kind::Chat => chat[w],
        Kind::Email => email[w],
    }
}

/// Growth of 14 % a year and a yearly swell (busy December, quiet February).
fn trend(day: NaiveDate) -> f64 {
    let years = (day - NaiveDate::from_ymd_opt(2024, 9, 1).unwrap()).num_days() as f64 / 365.25;
    let season =
        1.0 + 0.06 * (2.0 * std::f64::consts::PI * (day.ordinal() as f64 - 350.0) / 365.25).cos();
    1.14_f64.powf(years) * season
}

/// Days the centre is closed (and days it is open with little traffic).
fn holiday(day: NaiveDate) -> Option<f64> {
    let closed = [
        (2025, 1, 1),
        (2025, 1, 28),
        (2025, 1, 29),
        (2025, 1, 30),
        (2025, 5, 1),
        (2025, 10, 1),
        (2025, 10, 2),
        (2026, 1, 1),
        (2026, 2, 16),
        (2026, 2, 17),
        (2026, 2, 18),
        (2026, 5, 1),
        (2026, 10, 1),
        (2026, 10, 2),
    ];
    let ymd = (day.year(), day.month(), day.day());
    if closed.contains(&ymd) {
        return Some(0.0);
    }
    // The rest of the spring festival and national day weeks are quiet.
    match ymd {
        (2025, 1, 31) | (2025, 2, 1..=4) | (2026, 2, 19..=22) => Some(0.55),
        (2025, 10, 3..=7) | (2026, 10, 3..=7) => Some(0.7),
        _ => None,
    }
}

/// The Double 11 effect by days from 11 November: pre-sale, the day itself, parcel questions after.
fn double_11(kind: Kind, day: NaiveDate, hour: f64) -> f64 {
    let eleventh = NaiveDate::from_ymd_opt(day.year(), 11, 11).unwrap();
    let offset = (day - eleventh).num_days();
    let chat_more = if kind == Kind::Chat { 1.2 } else { 1.0 };
    match offset {
        -3 => 1.25,
        -2 => 1.35,
        -1 if hour >= 20.0 => 2.2 * chat_more,
        -1 => 1.5,
        0 if hour < 2.0 => 3.6 * chat_more,
        0 => 2.6 * chat_more,
        1 => 2.0,
        2 => 1.6,
        3 => 1.3,
        _ => 1.0,
    }
}

fn bump(hour: f64, centre: f64, width: f64) -> f64 {
    (-(hour - centre).powi(2) / (2.0 * width * width)).exp()
}

/// Relative intensity by local hour.
fn intraday(kind: Kind, hour: f64) -> f64 {
    match kind {
        Kind::Voice => {
            0.15 + bump(hour, 10.5, 1.6)
                + 0.8 * bump(hour, 15.0, 2.0)
                + 0.45 * bump(hour, 20.0, 1.3)
        }
        Kind::Chat => {
            0.1 + 0.7 * bump(hour, 11.0, 2.0) + 0.8 * bump(hour, 15.5, 2.2) + bump(hour, 21.0, 1.6)
        }
        Kind::Email => {
            0.35 + 0.65 * (0.5 - 0.5 * (2.0 * std::f64::consts::PI * (hour - 3.0) / 24.0).cos())
        }
    }
}

/// Open hours, as in the scenario: voice 08–22 (Sunday 09–21), chat 08–24, email around the clock.
fn open(kind: Kind, day: NaiveDate, minute: u32) -> bool {
    match kind {
        Kind::Voice if day.weekday() == chrono::Weekday::Sun => (540..1260).contains(&minute),
        Kind::Voice => (480..1320).contains(&minute),
        Kind::Chat => minute >= 480,
        Kind::Email => true,
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let out = args
        .get(1)
        .map_or("forecasts/promo-peak-history.csv", String::as_str);
    let seed: u64 = args.get(2).map_or(Ok(2026), |s| s.parse())?;
    let mut rng = SmallRng::seed_from_u64(seed);
    let first = NaiveDate::from_ymd_opt(2024, 9, 2).unwrap();
    let last = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let outage = NaiveDate::from_ymd_opt(2025, 7, 15).unwrap();
    let day_swing = LogNormal::new(0.0, 0.06)?;

    let mut rows = Vec::new();
    let mut day = first;
    while day <= last {
        let quiet = holiday(day);
        let swings: Vec<f64> = CHANNELS
            .iter()
            .map(|_| day_swing.sample(&mut rng))
            .collect();
        if quiet != Some(0.0) && day != outage {
            for slot in 0..48u32 {
                let minute = slot * 30;
                let hour = f64::from(minute) / 60.0 + 0.25;
                let local = day.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minute));
                let timestamp = Shanghai
                    .from_local_datetime(&local)
                    .single()
                    .expect("no clock changes in Shanghai")
                    .with_timezone(&chrono::Utc);
                for (c, &(kind, id)) in CHANNELS.iter().enumerate() {
                    if !open(kind, day, minute) {
                        continue;
                    }
                    // Shares of the day per open hour, so the daily total is the base times factors.
                    let norm: f64 = (0..48u32)
                        .filter(|s| open(kind, day, s * 30))
                        .map(|s| intraday(kind, f64::from(s * 30) / 60.0 + 0.25))
                        .sum();
                    let mean = base_daily(kind)
                        * weekday(kind, day)
                        * trend(day)
                        * quiet.unwrap_or(1.0)
                        * double_11(kind, day, hour)
                        * swings[c]
                        * intraday(kind, hour)
                        / norm;
                    let volume = if mean > 0.0 {
                        Poisson::new(mean)?.sample(&mut rng)
                    } else {
                        0.0
                    };
                    // One interval in 400 is lost by the export.
                    if rng.random::<f64>() < 0.0025 {
                        continue;
                    }
                    let aht_seconds = (kind == Kind::Voice && volume > 0.0).then(|| {
                        let monday_morning = day.weekday() == chrono::Weekday::Mon && hour < 12.0;
                        let promo = double_11(kind, day, hour) > 1.0;
                        let mean_aht = 330.0
                            * if monday_morning { 1.08 } else { 1.0 }
                            * if promo { 1.1 } else { 1.0 };
                        // The mean of `volume` calls with a coefficient of variation near 1.
                        let noise: f64 = rng.random::<f64>() - 0.5;
                        (mean_aht * (1.0 + noise / volume.sqrt())).round()
                    });
                    rows.push(VolumeRow {
                        line: 0,
                        timestamp,
                        channel: id.to_string(),
                        volume,
                        aht_seconds,
                        quantiles: None,
                    });
                }
            }
        }
        day = day.succ_opt().unwrap();
    }
    // Rows by channel, then time: one block per channel, as exports usually come.
    rows.sort_by(|a, b| {
        let rank = |id: &str| CHANNELS.iter().position(|c| c.1 == id).unwrap();
        rank(&a.channel)
            .cmp(&rank(&b.channel))
            .then(a.timestamp.cmp(&b.timestamp))
    });
    let file = std::io::BufWriter::new(std::fs::File::create(out)?);
    peakplan::export::write_volumes(file, &rows, Shanghai)?;
    eprintln!("wrote {} rows to {out}", rows.len());
    Ok(())
}
