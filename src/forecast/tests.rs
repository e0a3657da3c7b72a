use super::history::{Calendar, DayKind, History};
use super::*;
use crate::volumes::VolumeSeries;
use chrono::{Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal, Poisson};

const UTC_TZ: Tz = chrono_tz::UTC;

/// A synthetic history: `days` days from Monday 2025-01-06 at `interval` minutes, open 08:00–20:00
/// (closed on Sundays when `sunday_closed`), weekly and daily rhythm, day-level swings and Poisson
/// noise. `skip(day, slot)` drops rows.
fn synthetic(
    days: i64,
    interval: u32,
    sunday_closed: bool,
    seed: u64,
    skip: impl Fn(NaiveDate, u32) -> bool,
) -> String {
    let mut rng = SmallRng::seed_from_u64(seed);
    let swing = LogNormal::new(0.0, 0.08).unwrap();
    let mut out = String::from("timestamp,channel,volume\n");
    for d in 0..days {
        let day = SYNTHETIC_FIRST + Duration::days(d);
        let s = swing.sample(&mut rng);
        if sunday_closed && day.weekday() == Weekday::Sun {
            continue;
        }
        for slot in 0..(24 * 60 / interval) {
            let minute = slot * interval;
            if !(480..1200).contains(&minute) || skip(day, slot) {
                continue;
            }
            let v = Poisson::new(s * synthetic_median(day, minute, interval))
                .unwrap()
                .sample(&mut rng);
            let t = day.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minute));
            out.push_str(&format!("{}Z,voice,{v}\n", t.format("%Y-%m-%dT%H:%M:%S")));
        }
    }
    out
}

const SYNTHETIC_FIRST: NaiveDate = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();

/// The median volume of [`synthetic`]'s interval at `minute` of `day` (its day-level swing at its
/// median, 1): what a forecast that knew the generator would say.
fn synthetic_median(day: NaiveDate, minute: u32, interval: u32) -> f64 {
    let weekday = [1.2, 1.05, 1.0, 0.95, 0.9, 0.7, 0.6];
    let hour = f64::from(minute) / 60.0;
    let shape =
        0.3 + (-(hour - 11.0).powi(2) / 6.0).exp() + 0.7 * (-(hour - 15.0).powi(2) / 8.0).exp();
    let d = (day - SYNTHETIC_FIRST).num_days();
    2000.0 * weekday[day.weekday().num_days_from_monday() as usize] * shape / 8.0
        * f64::from(interval)
        / 60.0
        * (1.0 + 0.001 * d as f64)
}

fn history(text: &str) -> History {
    let series = VolumeSeries::read_from(text.as_bytes(), "history.csv", UTC_TZ).unwrap();
    History::from_series(&series, UTC_TZ, None).unwrap()
}

fn options(start: &str, days: i64, method: Option<Method>) -> ForecastOptions {
    let start = NaiveDate::parse_from_str(start, "%Y-%m-%d")
        .unwrap()
        .and_time(NaiveTime::MIN);
    ForecastOptions {
        start,
        end: start + Duration::days(days),
        method,
        origins: 4,
        horizon_days: 7,
        intraday_rules: false,
    }
}

#[test]
fn the_interval_is_inferred_from_the_data() {
    for interval in [5, 15, 30, 60] {
        let h = history(&synthetic(14, interval, false, 1, |_, _| false));
        assert_eq!(h.interval_minutes, interval);
        assert_eq!(h.slots_per_day(), (1440 / interval) as usize);
    }
}

#[test]
fn rows_out_of_order_are_refused_with_their_line() {
    let text =
        "timestamp,channel,volume\n2025-01-06T08:30:00Z,voice,3\n2025-01-06T08:00:00Z,voice,4\n";
    let series = VolumeSeries::read_from(text.as_bytes(), "h.csv", UTC_TZ).unwrap();
    let e = History::from_series(&series, UTC_TZ, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("h.csv:3: rows of channel `voice` are out of time order: this row is earlier than line 2"),
        "{e}"
    );
}

#[test]
fn a_coarser_history_cannot_be_split() {
    let series = VolumeSeries::read_from(
        synthetic(7, 60, false, 1, |_, _| false).as_bytes(),
        "h.csv",
        UTC_TZ,
    )
    .unwrap();
    let e = History::from_series(&series, UTC_TZ, Some(30))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("60-minute intervals, coarser than the 30 minutes"),
        "{e}"
    );
    // Finer histories are summed up.
    let series = VolumeSeries::read_from(
        synthetic(7, 15, false, 1, |_, _| false).as_bytes(),
        "h.csv",
        UTC_TZ,
    )
    .unwrap();
    let fine = History::from_series(&series, UTC_TZ, None).unwrap();
    let coarse = History::from_series(&series, UTC_TZ, Some(30)).unwrap();
    assert_eq!(coarse.interval_minutes, 30);
    let total = |h: &History| -> f64 { (0..7).map(|d| h.channels[0].day_total(d)).sum() };
    assert_eq!(total(&fine), total(&coarse));
}

#[test]
fn closed_days_holidays_missing_intervals_and_outages_are_told_apart() {
    let outage = NaiveDate::from_ymd_opt(2025, 2, 5).unwrap();
    let patchy = NaiveDate::from_ymd_opt(2025, 2, 12).unwrap();
    let text = synthetic(56, 30, true, 3, |day, slot| {
        day == outage || (day == patchy && (20..24).contains(&slot))
    });
    let h = history(&text);
    let ch = &h.channels[0];
    let calendar = Calendar::learn(ch, h.slots_per_day());
    // Sundays are closed, other days open 08:00–20:00.
    assert!(!calendar.open_on(NaiveDate::from_ymd_opt(2025, 1, 12).unwrap()));
    let monday = NaiveDate::from_ymd_opt(2025, 1, 13).unwrap();
    assert!(!calendar.is_open(monday, 15) && calendar.is_open(monday, 16));
    assert!(calendar.is_open(monday, 39) && !calendar.is_open(monday, 40));

    let holiday = NaiveDate::from_ymd_opt(2025, 1, 20).unwrap();
    let kinds = history::classify_days(ch, &calendar, &[holiday].into(), &[]);
    let kind = |d: NaiveDate| kinds[ch.day_index(d).unwrap()];
    assert_eq!(
        kind(NaiveDate::from_ymd_opt(2025, 1, 12).unwrap()),
        DayKind::Closed
    );
    assert_eq!(kind(outage), DayKind::Holiday);
    assert_eq!(kind(holiday), DayKind::Holiday);
    assert_eq!(kind(patchy), DayKind::Normal);

    // The missing intervals of the patchy day are filled from the weekday's profile, not read as 0.
    let p = prepare_channel(ch, &h, None);
    let d = ch.day_index(patchy).unwrap();
    assert!(
        (20..24).all(|s| p.volume[d][s] > 50.0),
        "{:?}",
        &p.volume[d][20..24]
    );
}

/// A quiet day nobody listed and the busy day after it are kept out of learning; a level that
/// steps up for good is ordinary again once each weekday has shown it twice.
#[test]
fn unusual_days_are_kept_out_and_a_level_that_moved_is_not() {
    let first = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
    let (quiet, busy, step) = (60, 61, 100);
    let text: String = synthetic(140, 30, true, 4, |_, _| false)
        .lines()
        .map(|line| {
            let Some(date) = line.get(..10).and_then(|d| d.parse::<NaiveDate>().ok()) else {
                return format!("{line}\n");
            };
            let d = (date - first).num_days();
            let factor = match d {
                _ if d == quiet => 0.4,
                _ if d == busy => 2.0,
                _ if d >= step => 1.4,
                _ => 1.0,
            };
            let (head, volume) = line.rsplit_once(',').unwrap();
            let v: f64 = volume.parse().unwrap();
            format!("{head},{}\n", (v * factor).round())
        })
        .collect();
    let h = history(&text);
    let p = prepare_channel(&h.channels[0], &h, None);
    let kind = |d: i64| p.kind[d as usize];
    assert_eq!(kind(quiet), DayKind::Unusual);
    assert_eq!(kind(busy), DayKind::Unusual);
    for d in step + 7..p.days.len() as i64 {
        if kind(d) != DayKind::Closed {
            assert_eq!(kind(d), DayKind::Normal, "day {d} after the step");
        }
    }
    let unusual = (0..step).filter(|&d| kind(d) == DayKind::Unusual).count();
    assert_eq!(unusual, 2, "{:?}", &p.kind[..step as usize]);
}

#[test]
fn every_model_forecasts_only_open_intervals_and_the_levels_are_right() {
    let h = history(&synthetic(140, 30, true, 5, |_, _| false));
    let p = prepare_channel(&h.channels[0], &h, None);
    let until = p.days.len();
    let days: Vec<NaiveDate> = (0..7)
        .map(|i| p.days[until - 1] + Duration::days(i + 1))
        .collect();
    // The last week's actual daily totals, as a yardstick for the level.
    let recent: f64 = (until - 7..until).map(|d| p.total(d)).sum();
    for method in Method::ALL {
        let f = method.model().forecast(&p, until, &days);
        assert_eq!(f.len(), 7);
        for (i, day) in days.iter().enumerate() {
            for s in 0..p.slots() {
                assert!(f[i][s] >= 0.0 && f[i][s].is_finite());
                if !p.calendar.is_open(*day, s) {
                    assert_eq!(f[i][s], 0.0, "{method:?} {day} slot {s}");
                }
            }
        }
        let week: f64 = f.iter().map(|d| d.iter().sum::<f64>()).sum();
        assert!(
            (week / recent - 1.0).abs() < 0.2,
            "{method:?}: a week of {week:.0} against {recent:.0} last week"
        );
    }
}

#[test]
fn automatic_selection_beats_the_benchmarks_in_backtest() {
    let h = history(&synthetic(280, 30, false, 7, |_, _| false));
    let p = prepare_channel(&h.channels[0], &h, None);
    let origins = backtest::origins(p.days.len(), 7, 8);
    assert_eq!(origins.len(), 8);
    let score = |m| backtest::score(&p, m, &origins, 7).unwrap();
    let naive = score(Method::SeasonalNaive);
    let average = score(Method::WeekdayAverage);
    let best = Method::ALL
        .map(score)
        .into_iter()
        .min_by(|a, b| a.wape.total_cmp(&b.wape))
        .unwrap();
    assert!(best.wape <= average.wape);
    assert!(
        best.wape <= 0.85 * naive.wape,
        "{:?} WAPE {:.3} against seasonal naive {:.3}",
        best.method,
        best.wape,
        naive.wape
    );
    assert!((naive.mase - 1.0).abs() < 1e-12);
    // Leave-one-origin-out calibration holds p10–p90 near 80 %.
    assert!(
        (0.7..=0.9).contains(&best.coverage_p10_p90),
        "coverage {}",
        best.coverage_p10_p90
    );
}

#[test]
fn the_forecast_covers_every_open_interval_with_ordered_quantiles() {
    let h = history(&synthetic(120, 30, true, 9, |_, _| false));
    let last = h.last_day;
    let start = (last + Duration::days(1)).format("%Y-%m-%d").to_string();
    let f = forecast(&h, None, &options(&start, 14, None)).unwrap();
    let c = &f.channels[0];
    assert!(c.chosen_by_backtest);
    assert_eq!(c.scores.len(), Method::ALL.len());
    // 12 Sundays closed: 14 days, 2 Sundays, 24 open half-hours on the other 12.
    assert_eq!(c.rows.len(), 12 * 24);
    for r in &c.rows {
        let q = r.quantiles.unwrap();
        assert!(q.p10 <= q.p50 && q.p50 <= q.p90 && q.p10 >= 0.0);
        assert!(q.p10 < r.volume && r.volume < q.p90);
    }
    // Same inputs, same output.
    let again = forecast(&h, None, &options(&start, 14, None)).unwrap();
    assert_eq!(format!("{:?}", again.rows()), format!("{:?}", f.rows()));
}

/// A channel's first weeks, too short for the daily origins (four weeks before the first): its
/// band is calibrated from every day with a week behind it, shrunk toward the fallback's 10 %, and
/// holds about its share of the next week's actuals. The fallback alone (10 % from the first day,
/// growing as the square root of the days ahead) covered nearly all of them.
#[test]
fn a_short_history_has_bands_of_its_own_errors() {
    let (mut inside, mut fallback_inside, mut count) = (0, 0, 0);
    for seed in 1..=6 {
        let h = history(&synthetic(21, 30, true, seed, |_, _| false));
        // The same generator and seed go on the same way: the next week's actuals.
        let later = synthetic(28, 30, true, seed, |_, _| false);
        let actual: BTreeMap<&str, f64> = later
            .lines()
            .skip(1)
            .filter_map(|line| {
                let (t, v) = line.split_once(",voice,")?;
                Some((t, v.parse().ok()?))
            })
            .collect();
        let start = (h.last_day + Duration::days(1))
            .format("%Y-%m-%d")
            .to_string();
        let f = forecast(&h, None, &options(&start, 7, None)).unwrap();
        let c = &f.channels[0];
        assert_ne!(c.spread, backtest::Spread::fallback(), "seed {seed}");
        let origin_day = h.last_day;
        for r in &c.rows {
            let t = r.timestamp.format("%Y-%m-%dT%H:%M:%SZ").to_string();
            let a = actual[t.as_str()];
            let q = r.quantiles.unwrap();
            inside += usize::from(q.p10 <= a && a <= q.p90);
            let days_ahead = (r.timestamp.date_naive() - origin_day).num_days() as usize - 1;
            let (p10, _, p90) = backtest::Spread::fallback().band(r.volume, days_ahead, 0.0);
            fallback_inside += usize::from(p10 <= a && a <= p90);
            count += 1;
        }
    }
    let coverage = inside as f64 / count as f64;
    let fallback = fallback_inside as f64 / count as f64;
    eprintln!("short histories: p10–p90 coverage {coverage:.3}, the fallback's {fallback:.3}");
    assert!((0.7..=0.9).contains(&coverage), "{coverage:.3}");
    assert!(fallback > coverage + 0.1, "{fallback:.3}");
}

/// A channel added to the file later (a chat line opened three weeks before the history ends) has
/// its own days from its first row: it is forecast from those three weeks, not refused for months
/// of days without a contact, and the channel beside it is forecast as before.
#[test]
fn a_channel_opened_later_is_forecast_from_its_own_first_day() {
    let voice = synthetic(120, 30, true, 4, |_, _| false);
    let opened = SYNTHETIC_FIRST + Duration::days(99);
    let chat: String = voice
        .lines()
        .skip(1)
        .filter(|line| line[..10] >= *opened.format("%Y-%m-%d").to_string())
        .map(|line| format!("{}\n", line.replace(",voice,", ",chat,")))
        .collect();
    let both = history(&format!("{voice}{chat}"));
    let chat_rows = chat;
    let alone = history(&voice);
    let ch = both.channel("chat").unwrap();
    assert_eq!(ch.days[0], opened);
    assert_eq!(ch.days.last(), Some(&both.last_day));
    assert_eq!(both.channel("voice").unwrap().days, alone.channels[0].days);
    let start = (both.last_day + Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let f = forecast(&both, None, &options(&start, 7, None)).unwrap();
    let (chat, voice) = (&f.channels[1], &f.channels[0]);
    assert_eq!(chat.channel, "chat");
    let total = |c: &ChannelForecast| c.rows.iter().map(|r| r.volume).sum::<f64>();
    // The same volumes as voice: the chat forecast is close to voice's.
    assert!(
        (total(chat) / total(voice) - 1.0).abs() < 0.1,
        "{} against {}",
        total(chat),
        total(voice)
    );
    let on_its_own = forecast(&alone, None, &options(&start, 7, None)).unwrap();
    assert_eq!(
        format!("{:?}", voice.rows),
        format!("{:?}", on_its_own.channels[0].rows)
    );
    // Too short for a backtest: the other channel is scored, the new one says why it is not; on
    // its own it is refused with the same reason.
    let scored = backtest_history(&both, None, 7, 4).unwrap();
    assert!(!scored[0].scores.is_empty() && scored[0].too_short.is_none());
    let why = scored[1].too_short.as_ref().unwrap();
    assert!(scored[1].scores.is_empty());
    assert!(why.contains("`chat`") && why.contains("too short"), "{why}");
    let only_chat = history(&format!("timestamp,channel,volume\n{chat_rows}"));
    let err = backtest_history(&only_chat, None, 7, 4)
        .unwrap_err()
        .to_string();
    assert!(err.contains(why.as_str()), "{err}");
}

#[test]
fn daily_bands_come_from_the_daily_error_and_are_narrower_than_summed_intervals() {
    let h = history(&synthetic(120, 30, true, 9, |_, _| false));
    let start = (h.last_day + Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let f = forecast(&h, None, &options(&start, 14, None)).unwrap();
    let c = &f.channels[0];
    assert_eq!(c.days.len(), 12, "one band per open day");
    for d in &c.days {
        let rows: Vec<&VolumeRow> = c
            .rows
            .iter()
            .filter(|r| r.timestamp.date_naive() == d.day)
            .collect();
        let volume: f64 = rows.iter().map(|r| r.volume).sum();
        let summed: f64 = rows
            .iter()
            .map(|r| r.quantiles.unwrap().p90 - r.quantiles.unwrap().p10)
            .sum();
        assert!((d.volume - volume).abs() < 1e-6 * volume);
        assert!(d.p10 < d.volume && d.volume < d.p90, "{d:?}");
        assert!(
            d.p90 - d.p10 < summed,
            "{d:?}: {} against summed {summed}",
            d.p90 - d.p10
        );
    }
    // The band of day 12 is at least as wide, relative to its volume, as day 1's.
    let width = |d: &DayBand| (d.p90 - d.p10) / d.volume;
    assert!(width(&c.days[11]) >= width(&c.days[0]) - 1e-9);
}

fn scenario_with_events(events: &str) -> Scenario {
    Scenario::parse(
        &format!(
            r#"
name = "events"
time_zone = "UTC"
interval_minutes = 30
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
{events}
"#
        ),
        "events.toml",
    )
    .unwrap()
}

/// Two years of history with a promotion on 2 June each year that triples volume.
fn promoted_history() -> History {
    let text = synthetic(700, 30, false, 11, |_, _| false);
    let mut out = String::from("timestamp,channel,volume\n");
    for line in text.lines().skip(1) {
        let mut parts = line.split(',');
        let ts = parts.next().unwrap();
        let ch = parts.next().unwrap();
        let v: f64 = parts.next().unwrap().parse().unwrap();
        let day = &ts[5..10];
        let v = if day == "06-02" { (v * 3.0).round() } else { v };
        out.push_str(&format!("{ts},{ch},{v}\n"));
    }
    history(&out)
}

#[test]
fn a_promotion_uplift_is_learned_from_past_occurrences() {
    let h = promoted_history();
    let s = scenario_with_events(
        r#"
[[events]]
name = "June sale 2025"
tag = "june"
start = 2025-06-02
end = 2025-06-02
[[events]]
name = "June sale 2026"
tag = "june"
start = 2026-06-02
end = 2026-06-02
"#,
    );
    // 2025-06-02 is the one past occurrence before the forecast (the history starts 2025-01-06).
    let mut o = options("2025-11-10", 7, Some(Method::WeekdayAverage));
    o.start = NaiveDate::from_ymd_opt(2025, 11, 10)
        .unwrap()
        .and_time(NaiveTime::MIN);
    let plain = forecast(&h, Some(&s), &o).unwrap();
    assert!(plain.channels[0].events.is_empty());

    // Forecast across the 2026 occurrence from history up to May 2026.
    let text = synthetic(700, 30, false, 11, |_, _| false);
    let cut: String = text
        .lines()
        .filter(|l| l.starts_with("timestamp") || &l[..10] < "2026-05-25")
        .map(|l| {
            let v: Vec<&str> = l.split(',').collect();
            if v[0].get(5..10) == Some("06-02") {
                format!(
                    "{},{},{}\n",
                    v[0],
                    v[1],
                    (v[2].parse::<f64>().unwrap() * 3.0).round()
                )
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let h = history(&cut);
    let o = options("2026-05-25", 14, Some(Method::WeekdayAverage));
    let f = forecast(&h, Some(&s), &o).unwrap();
    let c = &f.channels[0];
    assert_eq!(c.events.len(), 1);
    assert!(
        c.events[0].source.contains("1 past occurrence"),
        "{:?}",
        c.events
    );
    assert!(
        (c.events[0].uplift - 3.0).abs() < 0.45,
        "learned uplift {}",
        c.events[0].uplift
    );
    // One past occurrence cannot tell how far the next may land: 15 %, carried by the event day's
    // band on top of the day-level error (wider than the ordinary day after it, further ahead).
    assert_eq!(c.events[0].spread, EVENT_SPREAD_UNKNOWN);
    let width = |day: &str| {
        let d = c.days.iter().find(|d| d.day.to_string() == day).unwrap();
        (d.p90 - d.p10) / d.p50
    };
    assert!(
        width("2026-06-02") > 1.5 * width("2026-06-03"),
        "{} against {}",
        width("2026-06-02"),
        width("2026-06-03")
    );
}

/// The band of an event day holds the actual as often as it says: on a promotion every fourth
/// Wednesday whose uplift lands anywhere around ×1.8 (20 % a time), each occurrence forecast from the
/// history three days before it, p10–p90 holds the event day's total about 80 % of the time, where
/// the band of an ordinary day (the day-level error alone) would hold it far less often.
#[test]
fn the_bands_of_event_days_hold_their_share_of_actuals() {
    let first = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
    let event_days: Vec<NaiveDate> = (0..26)
        .map(|k| first + Duration::days(23 + 28 * k))
        .collect();
    let events: String = event_days
        .iter()
        .enumerate()
        .map(|(k, d)| {
            format!("[[events]]\nname = \"promo {k}\"\ntag = \"promo\"\nstart = {d}\nend = {d}\n")
        })
        .collect();
    let s = scenario_with_events(&events);
    let (mut inside, mut inside_ordinary, mut total) = (0, 0, 0);
    for seed in [1, 2, 3, 4] {
        let mut rng = SmallRng::seed_from_u64(100 + seed);
        let uplift = LogNormal::new(1.8f64.ln(), 0.2).unwrap();
        let lifts: Vec<f64> = event_days.iter().map(|_| uplift.sample(&mut rng)).collect();
        let text: String = synthetic(740, 30, false, seed, |_, _| false)
            .lines()
            .map(|l| {
                let lift = NaiveDate::parse_from_str(&l[..10.min(l.len())], "%Y-%m-%d")
                    .ok()
                    .and_then(|d| event_days.iter().position(|e| *e == d))
                    .map(|k| lifts[k]);
                match lift {
                    Some(lift) => {
                        let v: Vec<&str> = l.split(',').collect();
                        let volume = (v[2].parse::<f64>().unwrap() * lift).round();
                        format!("{},{},{volume}\n", v[0], v[1])
                    }
                    None => format!("{l}\n"),
                }
            })
            .collect();
        let full = history(&text);
        let actual = |day: NaiveDate| -> f64 {
            let d = full.channels[0].day_index(day).unwrap();
            full.channels[0].volume[d].iter().flatten().sum()
        };
        for &day in &event_days[8..] {
            let cut = day - Duration::days(3);
            let before: String = text
                .lines()
                .filter(|l| l.starts_with("timestamp") || l[..10] < *cut.to_string())
                .map(|l| format!("{l}\n"))
                .collect();
            let o = options(&cut.to_string(), 7, Some(Method::WeekdayAverage));
            let f = forecast(&history(&before), Some(&s), &o).unwrap();
            let c = &f.channels[0];
            assert_eq!(c.events.len(), 1, "{day}: {:?}", c.events);
            let band = c.days.iter().find(|d| d.day == day).unwrap();
            let a = actual(day);
            total += 1;
            inside += usize::from(band.p10 <= a && a <= band.p90);
            // The same day's band without the event's own spread: the day-level error alone.
            let (p10, _, p90) = c.spread.day_band(band.p50, 3, 0.0);
            inside_ordinary += usize::from(p10 <= a && a <= p90);
        }
    }
    let coverage = inside as f64 / total as f64;
    let ordinary = inside_ordinary as f64 / total as f64;
    eprintln!(
        "event days inside p10–p90: {inside} of {total}; with the day-level error alone \
         {inside_ordinary}"
    );
    assert!(
        (0.64..=0.93).contains(&coverage),
        "event days inside p10–p90: {inside} of {total}"
    );
    assert!(
        ordinary < coverage - 0.15,
        "with the day-level error alone {inside_ordinary} of {total}, with the event's spread {inside}"
    );
}

/// The spread of an effect's next occurrence comes from the past ones' log effects: the same for
/// uplifts of 1.6 and 1.8 as for 0.8 and 0.9 (a ratio, on either side of 1), wider when they
/// disagree more, and 15 % when one occurrence cannot tell.
#[test]
fn an_effects_spread_is_that_of_its_past_occurrences() {
    let spread = |r: &[f64]| effect_spread(&r.iter().map(|v| v.ln()).collect::<Vec<_>>());
    let (up, down) = (spread(&[1.6, 1.8]), spread(&[0.8, 0.9]));
    assert!((up - down).abs() < 1e-12, "{up} {down}");
    assert!(spread(&[1.2, 2.4]) > up);
    // sqrt((0.15² + 2·(ln(9/8)/2)²) / 2) · sqrt(3/2)
    let expected = ((0.0225 + 2.0 * (1.125f64.ln() / 2.0).powi(2)) / 2.0).sqrt() * 1.5f64.sqrt();
    assert!((up - expected).abs() < 1e-12, "{up} {expected}");
    assert_eq!(spread(&[2.0]), EVENT_SPREAD_UNKNOWN);
}

#[test]
fn a_first_promotion_needs_a_manual_multiplier() {
    let h = history(&synthetic(140, 30, false, 13, |_, _| false));
    let future = |multiplier: &str| {
        scenario_with_events(&format!(
            r#"
[[events]]
name = "Launch"
tag = "launch"
start = 2025-05-28
end = 2025-05-28
{multiplier}
"#
        ))
    };
    let o = options("2025-05-26", 7, Some(Method::WeekdayAverage));
    let e = forecast(&h, Some(&future("")), &o).unwrap_err().to_string();
    assert!(
        e.contains(
            "event `Launch` (tag `launch`) has no past occurrence in the history of channel `voice`"
        ) && e.contains("multiplier = { voice = 1.8 }"),
        "{e}"
    );
    let base = forecast(&h, None, &o).unwrap();
    let f = forecast(&h, Some(&future("multiplier = { voice = 2.5 }")), &o).unwrap();
    assert_eq!(f.channels[0].events[0].source, "manual ×2.5");
    let day_total = |f: &Forecast| -> f64 {
        f.channels[0]
            .rows
            .iter()
            .filter(|r| r.timestamp.date_naive() == NaiveDate::from_ymd_opt(2025, 5, 28).unwrap())
            .map(|r| r.volume)
            .sum()
    };
    assert!((day_total(&f) / day_total(&base) - 2.5).abs() < 1e-9);

    // Manual multipliers for the days around the event: a lull before, questions after.
    let around = forecast(
        &h,
        Some(&future(
            "days_before = 1\ndays_after = 2\nmultiplier = { voice = 2.5 }\n\
             multiplier_before = { voice = 0.8 }\nmultiplier_after = { voice = 1.4 }",
        )),
        &o,
    )
    .unwrap();
    let total_on = |f: &Forecast, d: u32| -> f64 {
        f.channels[0]
            .rows
            .iter()
            .filter(|r| r.timestamp.date_naive() == NaiveDate::from_ymd_opt(2025, 5, d).unwrap())
            .map(|r| r.volume)
            .sum()
    };
    for (d, factor) in [
        (26, 1.0),
        (27, 0.8),
        (28, 2.5),
        (29, 1.4),
        (30, 1.4),
        (31, 1.0),
    ] {
        let ratio = total_on(&around, d) / total_on(&base, d);
        assert!(
            (ratio - factor).abs() < 1e-9,
            "May {d}: ×{ratio}, expected ×{factor}"
        );
    }
    // Around the event without a multiplier for the event itself, or without days around it.
    for (text, says) in [
        (
            "days_before = 1\nmultiplier_before = { voice = 0.8 }",
            "has no `multiplier` for the event days",
        ),
        (
            "multiplier = { voice = 2.5 }\nmultiplier_after = { voice = 1.4 }",
            "set days_after = N",
        ),
    ] {
        let text = format!(
            "name = \"t\"\ntime_zone = \"UTC\"\ninterval_minutes = 30\n[horizon]\nstart = 2025-05-26\n\
             end = 2025-06-01\n[[channels]]\nid = \"voice\"\nkind = \"voice\"\naht_seconds = 300\nshrinkage = 0.0\n\
             opening_hours = {{ daily = \"08:00-20:00\" }}\n\
             service_target = {{ answered_within_seconds = 20, share = 0.8 }}\n\
             [[events]]\nname = \"Launch\"\ntag = \"launch\"\nstart = 2025-05-28\nend = 2025-05-28\n{text}\n"
        );
        let e = crate::scenario::Scenario::parse(&text, "s.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains(says), "{e}");
    }
}

/// Cuts the history at `hour` on `day` and re-forecasts the rest of the day.
fn rest_of_day_error(text: &str, day: NaiveDate, hour: u32) -> (f64, f64) {
    let cut_at = Utc
        .from_utc_datetime(&day.and_hms_opt(hour, 0, 0).unwrap())
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let day_text = day.format("%Y-%m-%d").to_string();
    let mut truncated = String::new();
    let mut actual_rest = vec![0.0; 48];
    for (i, l) in text.lines().enumerate() {
        if i == 0 || l[..19] < *cut_at {
            truncated.push_str(l);
            truncated.push('\n');
        } else if l.starts_with(&day_text) {
            let slot = l[11..13].parse::<usize>().unwrap() * 2 + usize::from(&l[14..16] == "30");
            actual_rest[slot] = l.rsplit(',').next().unwrap().parse().unwrap();
        }
    }
    let h = history(&truncated);
    let o = options(&day_text, 1, Some(Method::WeekdayAverage));
    let adjusted = forecast(&h, None, &o).unwrap();
    assert!(
        adjusted.channels[0].reforecast.is_some(),
        "{day}: last day {} through slot {}",
        h.last_day,
        h.last_day_slots
    );
    // The unadjusted forecast: the same history without today's rows.
    let before: String = truncated
        .lines()
        .filter(|l| !l.starts_with(&day_text))
        .map(|l| format!("{l}\n"))
        .collect();
    let plain = forecast(&history(&before), None, &o).unwrap();
    let err = |f: &Forecast| -> f64 {
        f.channels[0]
            .rows
            .iter()
            .filter(|r| r.timestamp.format("%H").to_string().parse::<u32>().unwrap() >= hour)
            .map(|r| {
                let slot = r
                    .timestamp
                    .format("%H")
                    .to_string()
                    .parse::<usize>()
                    .unwrap()
                    * 2
                    + usize::from(r.timestamp.format("%M").to_string() == "30");
                (r.volume - actual_rest[slot]).abs()
            })
            .sum()
    };
    (err(&adjusted), err(&plain))
}

#[test]
fn the_intraday_reforecast_beats_the_unadjusted_forecast() {
    let text = synthetic(120, 30, false, 17, |_, _| false);
    let mut rng = SmallRng::seed_from_u64(1);
    let (mut adjusted, mut plain) = (0.0, 0.0);
    for _ in 0..12 {
        let day =
            NaiveDate::from_ymd_opt(2025, 3, 10).unwrap() + Duration::days(rng.random_range(0..50));
        // Three hours of actuals: 08:00 to 11:00.
        let (a, p) = rest_of_day_error(&text, day, 11);
        adjusted += a;
        plain += p;
    }
    assert!(
        adjusted < plain,
        "re-forecast error {adjusted:.0} against unadjusted {plain:.0}"
    );
}

/// A day whose actuals reach its close is known whole: its rows are its actuals, and there is no
/// rest of the day to re-forecast (nor a rule to learn for it).
#[test]
fn a_day_known_to_its_close_is_its_actuals_and_not_re_forecast() {
    let text = synthetic(120, 30, false, 17, |_, _| false);
    let day = "2025-04-02";
    let known: String = text
        .lines()
        .enumerate()
        .filter(|(i, l)| *i == 0 || l[..10] <= *day)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let actual: BTreeMap<String, f64> = known
        .lines()
        .filter(|l| l.starts_with(day))
        .map(|l| {
            let (head, v) = l.rsplit_once(',').unwrap();
            (head[..16].to_string(), v.parse().unwrap())
        })
        .collect();
    let h = history(&known);
    assert!(
        h.last_day_slots < h.slots_per_day(),
        "closed before midnight"
    );
    let f = forecast(&h, None, &options(day, 2, None)).unwrap();
    let c = &f.channels[0];
    assert!(c.reforecast.is_none(), "{:?}", c.reforecast);
    let first_day: Vec<&VolumeRow> = c
        .rows
        .iter()
        .filter(|r| r.timestamp.format("%Y-%m-%d").to_string() == day)
        .collect();
    assert!(!first_day.is_empty());
    for r in first_day {
        let key = r.timestamp.format("%Y-%m-%dT%H:%M").to_string();
        assert_eq!(Some(&r.volume), actual.get(&key), "{key}");
        let q = r.quantiles.unwrap();
        assert!(q.p10 == q.p90, "{key}: {q:?}");
    }
}

/// At five minutes much of a slot's error is Poisson noise: the best method, whose profile is
/// pooled over weeks and smoothed across neighbouring slots, beats the best same-weekday average
/// over 4 to 12 weeks on two seeds with missing days (by 4.4 % and 2.6 % relative; the day-level
/// swings of this series, 8 % a day, are beyond any method).
#[test]
fn at_five_minutes_the_choice_beats_every_weekday_average() {
    for seed in [3, 11] {
        let h = history(&synthetic(196, 5, true, seed, |day, _| {
            day.ordinal() % 37 == 0
        }));
        let mut p = prepare_channel(&h.channels[0], &h, None);
        let (scores, best_average) = scores_and_best_average(&mut p);
        let best = scores
            .iter()
            .min_by(|a, b| a.wape.total_cmp(&b.wape))
            .unwrap();
        for s in &scores {
            eprintln!("seed {seed} {:?} {:.4}", s.method, s.wape);
        }
        assert!(
            best.wape <= 0.98 * best_average,
            "seed {seed}: {:?} {:.4} against the best weekday average {best_average:.4}",
            best.method,
            best.wape
        );
    }
}

/// The band of a day further ahead is at least as wide: day-level errors that grow with the
/// horizon widen it, a noisy later day never narrows it, and past the backtest it keeps growing.
#[test]
fn bands_widen_with_the_horizon() {
    use backtest::{OriginResult, Spread};
    let mut results = Vec::new();
    for origin in 0..8 {
        let mut r = OriginResult::default();
        for h in 0..7 {
            // Day errors of ±(2 + 2h) %, alternating in sign; day 4 by chance smaller than day 3.
            let e = if h == 4 { 0.05 } else { 0.02 * (1 + h) as f64 };
            let sign = if (origin + h) % 2 == 0 { 1.0 } else { -1.0 };
            let actual = 1000.0 * (1.0 + sign * e);
            r.days.push((actual, 1000.0));
            r.day_horizon.push(h);
            for _ in 0..10 {
                r.cells.push((actual / 10.0, 100.0, 100.0));
                r.cell_horizon.push(h);
            }
        }
        results.push(r);
    }
    let spread = Spread::calibrate(results.iter());
    assert_eq!(spread.day_sigma.len(), 7);
    for h in 1..7 {
        assert!(
            spread.sigma(h) >= spread.sigma(h - 1),
            "{:?}",
            spread.day_sigma
        );
    }
    assert!(
        spread.sigma(6) > 2.0 * spread.sigma(0),
        "{:?}",
        spread.day_sigma
    );
    assert!(spread.sigma(13) > spread.sigma(6));
    let width = |h| {
        let (p10, _, p90) = spread.band(100.0, h, 0.0);
        p90 - p10
    };
    assert!(width(6) > width(0) && width(13) > width(6));
}

fn quiet_scenario(extra: &str) -> Scenario {
    Scenario::parse(&quiet_text(extra), "quiet.toml").unwrap()
}

fn quiet_text(extra: &str) -> String {
    format!(
        r#"
name = "quiet"
time_zone = "UTC"
interval_minutes = 30
{extra}
[horizon]
start = 2026-03-16
end = 2026-03-18
[[channels]]
id = "voice"
kind = "voice"
aht_seconds = 300
shrinkage = 0.3
opening_hours = {{ daily = "08:00-20:00" }}
service_target = {{ answered_within_seconds = 20, share = 0.8 }}
"#
    )
}

#[test]
fn an_open_but_quiet_holiday_is_forecast_at_its_learned_share() {
    // Every 17 March runs at half volume.
    let text = synthetic(434, 30, false, 21, |_, _| false);
    let mut out = String::from("timestamp,channel,volume\n");
    for line in text.lines().skip(1) {
        let mut parts = line.split(',');
        let (ts, ch) = (parts.next().unwrap(), parts.next().unwrap());
        let v: f64 = parts.next().unwrap().parse().unwrap();
        let v = if &ts[5..10] == "03-17" {
            (v * 0.5).round()
        } else {
            v
        };
        out.push_str(&format!("{ts},{ch},{v}\n"));
    }
    let h = history(&out);
    assert_eq!(h.last_day, NaiveDate::from_ymd_opt(2026, 3, 15).unwrap());
    let s = quiet_scenario("quiet_holidays = [2025-03-17, 2026-03-17]");
    let f = forecast(
        &h,
        Some(&s),
        &options("2026-03-16", 3, Some(Method::WeekdayAverage)),
    )
    .unwrap();
    let c = &f.channels[0];
    let day = |d: u32| {
        c.days
            .iter()
            .find(|b| b.day == NaiveDate::from_ymd_opt(2026, 3, d).unwrap())
            .unwrap()
            .volume
    };
    // Open (every interval forecast), at about half of the neighbouring ordinary days.
    assert_eq!(c.rows.len(), 3 * 24);
    let ratio = day(17) / (0.5 * (day(16) + day(18)));
    assert!(
        (0.4..0.6).contains(&ratio),
        "quiet day at {ratio} of its neighbours"
    );
    let e = c.events.iter().find(|e| e.tag == "quiet").unwrap();
    assert!(
        e.source.contains("learned from 1 past quiet holiday"),
        "{e:?}"
    );
    // Without a past one, the manual factor; without either, an error that says what to give.
    let s = quiet_scenario("quiet_holidays = [2026-03-17]\nquiet_factor = 0.7");
    let f = forecast(
        &h,
        Some(&s),
        &options("2026-03-16", 3, Some(Method::WeekdayAverage)),
    )
    .unwrap();
    assert!(
        f.channels[0]
            .events
            .iter()
            .any(|e| e.source == "manual ×0.7")
    );
    let s = quiet_scenario("quiet_holidays = [2026-03-17]");
    let err = forecast(&h, Some(&s), &options("2026-03-16", 3, None)).unwrap_err();
    assert!(err.to_string().contains("quiet_factor = 0.6"), "{err}");
    // A day cannot be both closed and quiet.
    let err = Scenario::parse(
        &quiet_text("holidays = [2026-03-17]\nquiet_holidays = [2026-03-17]"),
        "x.toml",
    )
    .unwrap_err();
    assert!(err.to_string().contains("quiet_holidays"), "{err}");
}

#[test]
fn the_day_after_a_holiday_takes_the_contacts_it_turned_away() {
    // Seven past holidays (closed, no rows), each followed by a day at 1.3 × its ordinary volume.
    const PAST: [&str; 7] = [
        "2025-02-05",
        "2025-04-18",
        "2025-06-02",
        "2025-08-14",
        "2025-10-01",
        "2025-12-25",
        "2026-02-03",
    ];
    let date = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").unwrap();
    let after: Vec<String> = PAST
        .iter()
        .map(|t| (date(t) + Duration::days(1)).format("%Y-%m-%d").to_string())
        .collect();
    let text = synthetic(434, 30, false, 23, |day, _| {
        PAST.contains(&day.format("%Y-%m-%d").to_string().as_str())
    });
    let mut out = String::from("timestamp,channel,volume\n");
    for line in text.lines().skip(1) {
        let (head, v) = line.rsplit_once(',').unwrap();
        let v: f64 = v.parse().unwrap();
        let v = if after.iter().any(|a| line.starts_with(a.as_str())) {
            (v * 1.3).round()
        } else {
            v
        };
        out.push_str(&format!("{head},{v}\n"));
    }
    let h = history(&out);
    let run = |extra: &str| {
        let f = forecast(
            &h,
            Some(&quiet_scenario(extra)),
            &options("2026-03-16", 5, Some(Method::WeekdayAverage)),
        )
        .unwrap();
        f.channels.into_iter().next().unwrap()
    };
    let day = |c: &ChannelForecast, d: u32| {
        *c.days
            .iter()
            .find(|b| b.day == NaiveDate::from_ymd_opt(2026, 3, d).unwrap())
            .unwrap()
    };
    let width = |b: DayBand| (b.p90 - b.p10) / b.p50;
    let plain = run("");
    let listed = run(&format!("holidays = [{}, 2026-03-17]", PAST.join(", ")));
    // Tuesday 17 March is closed; Wednesday takes its learned rebound on top of an ordinary day.
    let closed = NaiveDate::from_ymd_opt(2026, 3, 17).unwrap();
    assert!(
        listed
            .days
            .iter()
            .all(|b| b.day != closed || b.volume == 0.0)
    );
    let ratio = day(&listed, 18).volume / day(&plain, 18).volume;
    assert!((1.2..1.4).contains(&ratio), "day after at {ratio}");
    let e = listed
        .events
        .iter()
        .find(|e| e.tag == "after-holiday")
        .unwrap();
    assert!(
        e.source
            .contains("learned from 7 past days after a holiday"),
        "{e:?}"
    );
    assert!(width(day(&listed, 18)) > width(day(&listed, 19)));
    // The days after are kept out of learning: the other days are forecast as if they were absent.
    let thursday = day(&listed, 19).volume / day(&plain, 19).volume;
    assert!((0.97..1.01).contains(&thursday), "{thursday}");
    // With no past holiday to learn from: an ordinary day, its band wider for the unknown.
    let first = run("holidays = [2026-03-17]");
    assert_eq!(day(&first, 18).volume, day(&plain, 18).volume);
    assert!(width(day(&first, 18)) > width(day(&plain, 18)));
    assert!(
        first
            .events
            .iter()
            .any(|e| e.tag == "after-holiday" && e.source.starts_with("no past day")),
        "{:?}",
        first.events
    );
    // Or the scenario's manual factor.
    let manual = run("holidays = [2026-03-17]\nafter_holiday_factor = 1.25");
    let ratio = day(&manual, 18).volume / day(&plain, 18).volume;
    assert!((ratio - 1.25).abs() < 1e-9, "{ratio}");
    assert!(
        manual
            .events
            .iter()
            .any(|e| e.tag == "after-holiday" && e.source == "manual ×1.25")
    );
    let err = Scenario::parse(&quiet_text("after_holiday_factor = 0"), "x.toml").unwrap_err();
    assert!(err.to_string().contains("after_holiday_factor"), "{err}");
    // A quiet holiday right after a closed one keeps its own share alone, and the day after it is
    // an ordinary day.
    let quiet = run(&format!(
        "holidays = [{}, 2026-03-17]\nquiet_holidays = [2026-03-18]\nquiet_factor = 0.5",
        PAST.join(", ")
    ));
    let ratio = day(&quiet, 18).volume / day(&plain, 18).volume;
    assert!((0.45..0.55).contains(&ratio), "quiet day at {ratio}");
    assert!(quiet.events.iter().all(|e| e.tag != "after-holiday"));
}

#[test]
fn a_day_after_a_holiday_is_the_first_one_the_centre_opens_on() {
    // Closed on Sundays.
    let mut open: [Vec<bool>; 7] = std::array::from_fn(|_| vec![true; 24]);
    open[6] = vec![false; 24];
    let calendar = Calendar { open };
    let date = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").unwrap();
    let set = |days: &[&str]| days.iter().map(|t| date(t)).collect::<BTreeSet<_>>();
    // Holiday on Saturday 2026-03-14: Sunday is closed anyway, Monday takes the calls.
    let sat = set(&["2026-03-14"]);
    assert!(after_holiday(date("2026-03-16"), &calendar, &sat));
    assert!(!after_holiday(date("2026-03-17"), &calendar, &sat));
    // A holiday on a Sunday turned nobody away.
    assert!(!after_holiday(
        date("2026-03-16"),
        &calendar,
        &set(&["2026-03-15"])
    ));
    // A run of holidays: only the first open day after the last.
    let run = set(&["2026-03-18", "2026-03-19", "2026-03-20"]);
    assert!(!after_holiday(date("2026-03-19"), &calendar, &run));
    assert!(after_holiday(date("2026-03-21"), &calendar, &run));
    assert!(!after_holiday(date("2026-03-23"), &calendar, &run));
    // A holiday is not the day after one.
    assert!(!after_holiday(date("2026-03-20"), &calendar, &run));
}

/// An around-the-clock hourly history in London, UTC timestamps, through `last` (local): each local
/// hour `h` gets `10 + h` contacts on its first pass and `second` on a repeated hour's second pass.
fn london_hours(last: NaiveDate, second: f64) -> String {
    let tz: Tz = chrono_tz::Europe::London;
    let mut out = String::from("timestamp,channel,volume\n");
    let mut t = Utc.with_ymd_and_hms(2025, 8, 4, 0, 0, 0).unwrap();
    let end = tz
        .from_local_datetime(&(last + Duration::days(1)).and_time(NaiveTime::MIN))
        .unwrap()
        .with_timezone(&Utc);
    while t < end {
        let local = t.with_timezone(&tz);
        let first_pass = tz.from_local_datetime(&local.naive_local()).earliest() == Some(local);
        let v = if first_pass {
            10.0 + f64::from(local.hour())
        } else {
            second
        };
        out.push_str(&format!("{},voice,{v}\n", t.format("%Y-%m-%dT%H:%M:%SZ")));
        t += Duration::hours(1);
    }
    out
}

#[test]
fn the_two_passes_of_a_repeated_hour_stay_apart() {
    let tz: Tz = chrono_tz::Europe::London;
    let fall_back = NaiveDate::from_ymd_opt(2025, 10, 26).unwrap();
    // The history holds the fall-back night: the first pass in its slot, the second apart.
    let text = london_hours(fall_back + Duration::days(2), 500.0);
    let series = VolumeSeries::read_from(text.as_bytes(), "h.csv", tz).unwrap();
    let h = History::from_series(&series, tz, None).unwrap();
    let c = &h.channels[0];
    let d = c.day_index(fall_back).unwrap();
    assert_eq!(
        c.volume[d][1],
        Some(11.0),
        "the first 01:00 is an ordinary hour"
    );
    assert_eq!(c.repeated.len(), 1);
    assert_eq!(c.repeated.get(&(d, 1)), Some(&500.0));
    assert_eq!(c.day_total(d), c.day_total(d - 7));

    // A forecast over the next fall-back night gives the repeated hour two rows.
    let text = london_hours(fall_back - Duration::days(7), 0.0);
    let series = VolumeSeries::read_from(text.as_bytes(), "h.csv", tz).unwrap();
    let h = History::from_series(&series, tz, None).unwrap();
    let f = forecast(
        &h,
        None,
        &options(
            &(fall_back - Duration::days(6))
                .format("%Y-%m-%d")
                .to_string(),
            14,
            None,
        ),
    )
    .unwrap();
    let c = &f.channels[0];
    let night: Vec<&VolumeRow> = c
        .rows
        .iter()
        .filter(|r| r.timestamp.with_timezone(&tz).date_naive() == fall_back)
        .collect();
    assert_eq!(night.len(), 25, "a 25-hour day");
    let one_am: Vec<&&VolumeRow> = night
        .iter()
        .filter(|r| r.timestamp.with_timezone(&tz).hour() == 1)
        .collect();
    assert_eq!(one_am.len(), 2);
    assert_eq!(
        one_am[1].timestamp - one_am[0].timestamp,
        Duration::hours(1),
        "one hour apart in UTC"
    );
    assert_eq!(one_am[0].volume, one_am[1].volume);
    assert!(
        (one_am[0].volume - 11.0).abs() < 0.5,
        "{}",
        one_am[0].volume
    );
    let band = c.days.iter().find(|b| b.day == fall_back).unwrap();
    let total: f64 = night.iter().map(|r| r.volume).sum();
    assert!((band.volume - total).abs() < 1e-9);
    // Every UTC instant once.
    let mut instants: Vec<_> = c.rows.iter().map(|r| r.timestamp).collect();
    instants.dedup();
    assert_eq!(instants.len(), c.rows.len());
}

/// The bands' coverage by day ahead, from daily origins with each week held out in turn, lies
/// within 76–84 % on every day ahead (one weekday per day ahead no longer).
#[test]
fn daily_origins_calibrate_every_day_ahead() {
    assert_eq!(
        backtest::daily_origins(100, 7, 56),
        (38..=93).collect::<Vec<_>>()
    );
    assert_eq!(
        backtest::daily_origins(40, 7, 56),
        (28..=33).collect::<Vec<_>>()
    );
    assert!(backtest::daily_origins(30, 7, 56).is_empty());
    for seed in [5, 6] {
        let h = history(&synthetic(200, 30, false, seed, |_, _| false));
        let all = backtest_history(&h, None, 7, 8).unwrap();
        let bands = all[0].bands.as_ref().expect("bands of the best method");
        assert_eq!(bands.origins, 56);
        assert_eq!(bands.coverage_by_horizon.len(), 7);
        for (d, c) in bands.coverage_by_horizon.iter().enumerate() {
            assert!(
                (0.76..=0.84).contains(c),
                "seed {seed}, day {}: {c} ({:?})",
                d + 1,
                bands.coverage_by_horizon
            );
        }
        // Whole days against their band from the daily error: about 50 days a horizon day, one
        // of them 2 points.
        assert_eq!(bands.day_coverage_by_horizon.len(), 7);
        assert_eq!(bands.days_by_horizon.len(), 7);
        assert!(
            bands
                .days_by_horizon
                .iter()
                .all(|&n| (40..=56).contains(&n)),
            "{:?}",
            bands.days_by_horizon
        );
        eprintln!("seed {seed}: days {:?}", bands.day_coverage_by_horizon);
        assert!(
            (0.74..=0.86).contains(&bands.day_coverage_p10_p90),
            "seed {seed}: {:?}",
            bands.day_coverage_by_horizon
        );
    }
}

/// Every cached fit is the fit itself: a method run on a history whose memo is warm from other
/// methods and origins gives exactly what it gives on a fresh copy.
#[test]
fn cached_fits_change_no_forecast() {
    let h = history(&synthetic(140, 15, true, 5, |day, _| {
        day.ordinal() % 29 == 0
    }));
    let warm = prepare_channel(&h.channels[0], &h, None);
    let origins = backtest::origins(warm.days.len(), 7, 6);
    for &m in &Method::ALL {
        backtest::score(&warm, m, &origins, 7).unwrap();
    }
    for &m in &Method::ALL {
        for &origin in &origins {
            let days: Vec<NaiveDate> = warm.days[origin..origin + 7].to_vec();
            let fresh = warm.clone();
            assert_eq!(
                m.model().forecast(&warm, origin, &days),
                m.model().forecast(&fresh, origin, &days),
                "{m:?} from day {origin}"
            );
        }
    }
}

/// At five minutes a weekday's own weeks leave Poisson noise in its shape; half of it taken from
/// the other weekdays with the same hours (the same shape here) brings it closer to the truth.
#[test]
fn a_pooled_profile_is_closer_to_the_true_shape() {
    let h = history(&synthetic(112, 5, true, 8, |_, _| false));
    let p = prepare_channel(&h.channels[0], &h, None);
    let truth: Vec<f64> = (0..288)
        .map(|s| {
            let minute = s * 5;
            if !(480..1200).contains(&minute) {
                return 0.0;
            }
            let hour = f64::from(minute) / 60.0;
            0.3 + (-(hour - 11.0).powi(2) / 6.0).exp() + 0.7 * (-(hour - 15.0).powi(2) / 8.0).exp()
        })
        .collect();
    let sum: f64 = truth.iter().sum();
    let truth: Vec<f64> = truth.iter().map(|v| v / sum).collect();
    let distance =
        |profile: &[f64]| -> f64 { profile.iter().zip(&truth).map(|(a, b)| (a - b).abs()).sum() };
    let until = p.days.len();
    let shape = p.shape.over(8);
    for day in p.days[until - 6..].iter() {
        let own = distance(&p.profile_with(until, *day, shape, 0.0));
        let pooled = distance(&p.profile_with(until, *day, shape, 0.5));
        assert!(
            pooled < 0.8 * own,
            "{day}: pooled {pooled:.4}, own {own:.4}"
        );
    }
}

/// How a profile is estimated is chosen on the history's own days: a shape that stands still at
/// five minutes is averaged over many weeks and smoothed (most of a slot's share is Poisson noise);
/// a sharp shape that has just replaced another, at half an hour with little noise, is taken from
/// the last weeks and not smoothed (smoothing would blunt its peak). Each choice foresees the next
/// weeks' shapes better than the default, which a history too short to choose on keeps.
#[test]
fn the_profile_is_estimated_as_the_history_favours() {
    // Error of the profiles from `until` on the next 14 usable days, each scaled to its total.
    let error = |p: &Prepared, until: usize, shape: ProfileShape| -> f64 {
        (until..p.days.len())
            .filter(|&d| p.usable(d))
            .take(14)
            .map(|d| {
                let total = p.total(d);
                let profile = p.profile_with(until, p.days[d], shape, 0.0);
                let volume = &p.volume[d];
                profile
                    .iter()
                    .zip(volume)
                    .map(|(s, v)| (s * total - v).abs())
                    .sum::<f64>()
            })
            .sum()
    };

    let h = history(&synthetic(252, 5, true, 5, |_, _| false));
    let mut still = prepare_channel(&h.channels[0], &h, None);
    let default = still.shape;
    let until = still.days.len() - 21;
    still.learn_shape(until);
    assert!(still.shape.weeks >= 12, "{:?}", still.shape);
    assert!(still.shape.half_minutes(288) >= 10, "{:?}", still.shape);
    assert!(error(&still, until, still.shape) < error(&still, until, default));

    // Half a year of a wide afternoon hump, then (eight weeks before the choice) a narrow peak at
    // noon, about 45 minutes wide with 2,000 contacts an hour at its top.
    let mut text = String::from("timestamp,channel,volume\n");
    let mut rng = SmallRng::seed_from_u64(9);
    let first = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
    for d in 0..182 {
        let day = first + Duration::days(d);
        for slot in 16..40u32 {
            let hour = f64::from(slot) / 2.0;
            let mean = if d < 112 {
                200.0 + 300.0 * (-(hour - 15.0).powi(2) / 8.0).exp()
            } else {
                100.0 + 1000.0 * (-(hour - 12.0).powi(2) / 0.3).exp()
            };
            let v = Poisson::new(mean).unwrap().sample(&mut rng);
            let t = day.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(slot) * 30);
            text.push_str(&format!("{}Z,voice,{v}\n", t.format("%Y-%m-%dT%H:%M:%S")));
        }
    }
    let h = history(&text);
    let mut moving = prepare_channel(&h.channels[0], &h, None);
    let until = moving.days.len() - 14;
    moving.learn_shape(until);
    assert_eq!(
        moving.shape,
        ProfileShape { weeks: 4, half: 0 },
        "{:?}",
        moving.shape
    );
    assert!(error(&moving, until, moving.shape) < 0.8 * error(&moving, until, default));

    // Three weeks of history: too few days with four weeks of their weekday before them.
    let h = history(&synthetic(21, 5, true, 5, |_, _| false));
    let mut short = prepare_channel(&h.channels[0], &h, None);
    short.learn_shape(21);
    assert_eq!(short.shape, default);

    // A forecast names the profile its methods spread the day by, and none where they use none.
    let h = history(&synthetic(84, 30, false, 5, |_, _| false));
    let next = (h.last_day + Duration::days(1)).to_string();
    let profile_of = |method| {
        forecast(&h, None, &options(&next, 1, Some(method)))
            .unwrap()
            .channels[0]
            .profile
    };
    assert_eq!(profile_of(Method::WeekdayAverage), None);
    assert!(profile_of(Method::LevelPooled).is_some());
}

/// Appends the voice row of half-hour `slot` of `day`.
fn push_half_hour(out: &mut String, day: NaiveDate, slot: u32, v: f64) {
    let t = day.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(slot) * 30);
    out.push_str(&format!("{}Z,voice,{v}\n", t.format("%Y-%m-%dT%H:%M:%S")));
}

/// Every method's backtest scores from 8 weekly origins, 7 days ahead (the profiles estimated as
/// the days before the first origin favour, as a backtest does), and the best same-weekday
/// average's WAPE.
fn scores_and_best_average(p: &mut Prepared) -> (Vec<backtest::MethodScore>, f64) {
    p.learn_shape(backtest::first_origin(p.days.len(), 7, 8));
    let origins = backtest::origins(p.days.len(), 7, 8);
    let scores: Vec<_> = Method::ALL
        .iter()
        .map(|&m| backtest::score(p, m, &origins, 7).unwrap())
        .collect();
    let best_average = backtest::baseline(p, &origins, 7).unwrap().wape;
    (scores, best_average)
}

/// A 30-minute history whose day-level swings persist (each day keeps 95 % of the day before's
/// deviation) or pass (each day's swing its own).
fn swinging(persistence: f64, seed: u64) -> String {
    let mut rng = SmallRng::seed_from_u64(seed);
    let shock = rand_distr::Normal::new(0.0, 0.06).unwrap();
    let first = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
    let mut out = String::from("timestamp,channel,volume\n");
    let mut run: f64 = 0.0;
    for d in 0..210 {
        let day = first + Duration::days(d);
        run = persistence * run + shock.sample(&mut rng);
        for slot in 16..40 {
            let mean = swinging_mean(day, slot);
            let v = Poisson::new((mean * (1.0 + run)).max(1.0))
                .unwrap()
                .sample(&mut rng);
            push_half_hour(&mut out, day, slot, v);
        }
    }
    out
}

/// The expected volume of [`swinging`]'s half-hour `slot` on `day`, before the day's swing.
fn swinging_mean(day: NaiveDate, slot: u32) -> f64 {
    let weekday = [1.2, 1.05, 1.0, 0.95, 0.9, 0.7, 0.6];
    let hour = f64::from(slot) / 2.0;
    let shape = 0.4 + (-(hour - 12.0).powi(2) / 8.0).exp();
    300.0 * weekday[day.weekday().num_days_from_monday() as usize] * shape
}

/// A forecast that knows the generator: the volume of a day's slot.
type Truth = dyn Fn(NaiveDate, u32) -> f64;

/// WAPE on the backtest's own intervals (8 weekly origins, 7 days each) of the forecast `truth`
/// gives a day's slot.
fn truth_wape(p: &Prepared, truth: &Truth) -> f64 {
    let (mut abs, mut actual) = (0.0, 0.0);
    for origin in backtest::origins(p.days.len(), 7, 8) {
        for d in (origin..origin + 7).filter(|&d| p.usable(d)) {
            for s in (0..p.slots()).filter(|&s| p.calendar.is_open(p.days[d], s)) {
                abs += (p.volume[d][s] - truth(p.days[d], u32::try_from(s).unwrap())).abs();
                actual += p.volume[d][s];
            }
        }
    }
    abs / actual
}

/// WAPE on the backtest's own intervals of two half-truths: the day's true volume spread by the
/// weekday's interval shares over the 26 weeks before the origin, and the weekday's mean volume over
/// the 12 weeks before the origin spread by the true shares. What knowing only the level, or only the
/// shape, is worth.
fn half_truth_wapes(p: &Prepared, truth: &Truth) -> (f64, f64) {
    let open = |d: usize| (0..p.slots()).filter(move |&s| p.calendar.is_open(p.days[d], s));
    let slot = |s: usize| u32::try_from(s).unwrap();
    let (mut abs, mut actual) = ([0.0; 2], 0.0);
    for origin in backtest::origins(p.days.len(), 7, 8) {
        for d in (origin..origin + 7).filter(|&d| p.usable(d)) {
            let before: Vec<usize> = (0..origin)
                .rev()
                .filter(|&x| p.usable(x) && p.days[x].weekday() == p.days[d].weekday())
                .take(26)
                .collect();
            let shares_total: f64 = before.iter().map(|&x| p.total(x)).sum();
            let level = before.iter().take(12).map(|&x| p.total(x)).sum::<f64>()
                / before.len().min(12) as f64;
            let true_level: f64 = open(d).map(|s| truth(p.days[d], slot(s))).sum();
            for s in open(d) {
                let share = before.iter().map(|&x| p.volume[x][s]).sum::<f64>() / shares_total;
                let true_share = truth(p.days[d], slot(s)) / true_level;
                abs[0] += (p.volume[d][s] - true_level * share).abs();
                abs[1] += (p.volume[d][s] - level * true_share).abs();
                actual += p.volume[d][s];
            }
        }
    }
    (abs[0] / actual, abs[1] / actual)
}

/// Where the 3 % margin over the best weekday average is missed (BENCHMARKS.md), the average is
/// already close to what any forecast can do: one that knew the generator (every interval's median
/// volume; not the day's own swing, nor the Poisson noise) is less than 5 % ahead of it on the
/// backtest's own intervals: on seed 11, and on swings that pass with seed 2, not even 3 %. On the
/// passing swings a forecast that knew only the level, or only the shape, is not 3.5 % ahead.
#[test]
fn where_the_margin_is_missed_even_the_truth_is_little_ahead_of_the_average() {
    let series: [(String, String, Box<Truth>); 4] = [
        (
            "passing swings, seed 1".into(),
            swinging(0.0, 1),
            Box::new(swinging_mean),
        ),
        (
            "passing swings, seed 2".into(),
            swinging(0.0, 2),
            Box::new(swinging_mean),
        ),
        (
            "5 min, missing days, seed 3".into(),
            synthetic(196, 5, true, 3, |day, _| day.ordinal() % 37 == 0),
            Box::new(|day, slot| synthetic_median(day, slot * 5, 5)),
        ),
        (
            "5 min, missing days, seed 11".into(),
            synthetic(196, 5, true, 11, |day, _| day.ordinal() % 37 == 0),
            Box::new(|day, slot| synthetic_median(day, slot * 5, 5)),
        ),
    ];
    for (name, text, truth) in series {
        let h = history(&text);
        let mut p = prepare_channel(&h.channels[0], &h, None);
        let (scores, best_average) = scores_and_best_average(&mut p);
        let (_, auto) = backtest::choose(&p, &scores, false).unwrap();
        let (level_known, shape_known) = half_truth_wapes(&p, &*truth);
        let truth = truth_wape(&p, &*truth);
        let ahead = |wape: f64| 100.0 * (wape / best_average - 1.0);
        eprintln!(
            "{name}: the truth {truth:.4} ({:+.1} %), auto {:.4} ({:+.1} %), best average \
             {best_average:.4}; the true level with the shares of 26 weeks {level_known:.4} \
             ({:+.1} %), the 12-week level with the true shares {shape_known:.4} ({:+.1} %)",
            ahead(truth),
            auto.wape,
            ahead(auto.wape),
            ahead(level_known),
            ahead(shape_known),
        );
        assert!(truth > 0.95 * best_average, "{name}: {truth:.4}");
        if name.starts_with("passing") {
            // Knowing the level or the shape alone is worth about the margin at most.
            assert!(
                level_known.min(shape_known) > 0.965 * best_average,
                "{name}: {level_known:.4}, {shape_known:.4}"
            );
        }
        assert!(auto.wape < best_average, "{name}: {:.4}", auto.wape);
    }
}

/// The adjusted average moves the level by as much as the history's swings persisted: well below
/// every plain weekday average where they persist, the plain eight-week average where they pass.
#[test]
fn the_adjusted_average_follows_swings_that_persist_and_ignores_those_that_pass() {
    for seed in [1, 2] {
        let score = |persistence: f64, m: Method| {
            let h = history(&swinging(persistence, seed));
            let p = prepare_channel(&h.channels[0], &h, None);
            let origins = backtest::origins(p.days.len(), 7, 8);
            backtest::score(&p, m, &origins, 7).unwrap().wape
        };
        let best_average = |persistence: f64| {
            Method::ALL
                .iter()
                .filter(|m| m.is_weekday_average())
                .map(|&m| score(persistence, m))
                .fold(f64::INFINITY, f64::min)
        };
        let adjusted = score(0.95, Method::AdjustedAverage);
        assert!(
            adjusted < 0.93 * best_average(0.95),
            "seed {seed}: persistent swings, adjusted {adjusted:.4} against {:.4}",
            best_average(0.95)
        );
        let (adjusted, plain) = (
            score(0.0, Method::AdjustedAverage),
            score(0.0, Method::WeekdayAverage8),
        );
        assert!(
            (adjusted / plain - 1.0).abs() < 0.015,
            "seed {seed}: passing swings, adjusted {adjusted:.4} against the 8-week average {plain:.4}"
        );
    }
}

/// A 30-minute history, Sundays closed, whose level follows the day of the month by `cycle` (a
/// statement run on the first three days, a month-end rise, a quiet middle), with independent
/// day-level swings of 5 %.
fn monthly(cycle: f64, seed: u64) -> String {
    let mut rng = SmallRng::seed_from_u64(seed);
    let swing = LogNormal::new(0.0, 0.05).unwrap();
    let weekday = [1.2, 1.05, 1.0, 0.95, 0.9, 0.7, 0.6];
    let first = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
    let mut out = String::from("timestamp,channel,volume\n");
    for d in 0..245 {
        let day = first + Duration::days(d);
        let s = swing.sample(&mut rng);
        if day.weekday() == Weekday::Sun {
            continue;
        }
        let month_day = match day.day() {
            1..=3 => 0.12,
            4..=6 => 0.04,
            28.. => 0.05,
            _ => -0.03,
        };
        for slot in 16..40 {
            let hour = f64::from(slot) / 2.0;
            let shape = 0.4 + (-(hour - 12.0).powi(2) / 8.0).exp();
            let mean = 300.0
                * weekday[day.weekday().num_days_from_monday() as usize]
                * shape
                * s
                * (1.0 + cycle * month_day);
            let v = Poisson::new(mean).unwrap().sample(&mut rng);
            push_half_hour(&mut out, day, slot, v);
        }
    }
    out
}

/// Where the level follows the day of the month, the automatic choice takes the day-of-month layer
/// and is well below every plain weekday average (which smear the cycle over their weeks); where
/// it does not, the learned factors stay near one and the layer is left off.
#[test]
fn the_day_of_month_layer_learns_a_monthly_cycle_and_no_cycle_where_there_is_none() {
    for seed in [1, 2] {
        let chosen = |cycle: f64| {
            let h = history(&monthly(cycle, seed));
            let mut p = prepare_channel(&h.channels[0], &h, None);
            let (scores, best_average) = scores_and_best_average(&mut p);
            let (choice, score) = backtest::choose(&p, &scores, true).unwrap();
            let auto = score.wape;
            let held_out = score.held_out_wape.unwrap();
            let factors = models::DayOfMonth::factors(&p, p.days.len());
            (choice, auto, held_out, best_average, factors)
        };
        let (choice, auto, held_out, best_average, factors) = chosen(1.0);
        assert!(choice.day_of_month, "seed {seed}: cycle, {choice:?}");
        assert!(
            auto < 0.95 * best_average && held_out < best_average,
            "seed {seed}: cycle, auto {auto:.4} (held out {held_out:.4}) against {best_average:.4}"
        );
        assert!(
            factors[2] > 1.06 && factors[15] < 0.995,
            "seed {seed}: factors {factors:?}"
        );
        let (choice, auto, _, best_average, factors) = chosen(0.0);
        assert!(!choice.day_of_month, "seed {seed}: no cycle, {choice:?}");
        // Without a cycle to follow there is little to gain on a plain average's level.
        assert!(
            auto <= 1.005 * best_average,
            "seed {seed}: no cycle, auto {auto:.4} against {best_average:.4}"
        );
        assert!(
            factors[1..].iter().all(|f| (f - 1.0).abs() < 0.03),
            "seed {seed}: no cycle, factors {factors:?}"
        );
    }
}

/// A 5-minute history with what real contact data has: Poisson noise, day-level swings of 6 %,
/// growth of 15 % a year, Sundays closed, three holidays without a row and a busy day after each,
/// an outage (a day of zeros), missing days, and the level stepping up by 20 % on day 150 (a new
/// product line).
fn eventful(seed: u64) -> String {
    let mut rng = SmallRng::seed_from_u64(seed);
    let swing = LogNormal::new(0.0, 0.06).unwrap();
    let weekday = [1.2, 1.05, 1.0, 0.95, 0.9, 0.7, 0.6];
    let first = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
    let holidays = [59, 101, 144];
    let mut out = String::from("timestamp,channel,volume\n");
    for d in 0..224 {
        let day = first + Duration::days(d);
        let s = swing.sample(&mut rng);
        if day.weekday() == Weekday::Sun || holidays.contains(&d) || d % 41 == 17 {
            continue;
        }
        let after_holiday = if holidays.contains(&(d - 1)) {
            1.3
        } else {
            1.0
        };
        let step = if d >= 150 { 1.2 } else { 1.0 };
        let level = 900.0 * (0.15 * d as f64 / 365.0).exp() * step * after_holiday * s;
        for slot in 96..240 {
            let hour = f64::from(slot) / 12.0;
            let shape = 0.3
                + (-(hour - 11.0).powi(2) / 6.0).exp()
                + 0.7 * (-(hour - 15.0).powi(2) / 8.0).exp();
            let mean =
                level * weekday[day.weekday().num_days_from_monday() as usize] * shape / 20.0;
            let v = if d == 120 {
                0.0
            } else {
                Poisson::new(mean).unwrap().sample(&mut rng)
            };
            let t = day.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(slot) * 5);
            out.push_str(&format!("{}Z,voice,{v}\n", t.format("%Y-%m-%dT%H:%M:%S")));
        }
    }
    out
}

/// Every synthetic series of these tests: its name and history.
fn series_of_the_tests() -> Vec<(String, String)> {
    let mut out = vec![(
        "30 min, seed 7".to_string(),
        synthetic(280, 30, false, 7, |_, _| false),
    )];
    for seed in [3, 11] {
        out.push((
            format!("5 min, missing days, seed {seed}"),
            synthetic(196, 5, true, seed, |day, _| day.ordinal() % 37 == 0),
        ));
    }
    for seed in [1, 2] {
        out.push((
            format!("persistent swings, seed {seed}"),
            swinging(0.95, seed),
        ));
        out.push((format!("passing swings, seed {seed}"), swinging(0.0, seed)));
        out.push((format!("monthly cycle, seed {seed}"), monthly(1.0, seed)));
        out.push((
            format!("5 min, holidays, outage, growth, a step up, seed {seed}"),
            eventful(seed),
        ));
    }
    out
}

/// The automatic choice (the mean of the best methods) is at least as good as the best
/// same-weekday average on every series, and on its backtest as good as the best single method.
#[test]
fn the_automatic_choice_is_never_worse_than_the_best_weekday_average() {
    for (name, text) in series_of_the_tests() {
        let h = history(&text);
        let mut p = prepare_channel(&h.channels[0], &h, None);
        let (scores, best_average) = scores_and_best_average(&mut p);
        let (_, auto) = backtest::choose(&p, &scores, true).unwrap();
        let held_out = auto.held_out_wape.unwrap();
        let best = backtest::best(&scores).unwrap();
        eprintln!(
            "{name}: auto {:.4} ({:+.1} %; held out {:.4}), best single {:?} {:.4}, best average \
             {best_average:.4}",
            auto.wape,
            100.0 * (auto.wape / best_average - 1.0),
            held_out,
            best.method,
            best.wape
        );
        assert!(
            auto.wape <= best_average,
            "{name}: auto {:.4} against the best weekday average {best_average:.4}",
            auto.wape
        );
        // The best alone is one of the means the choice weighs.
        assert!(
            auto.wape <= best.wape + 1e-12,
            "{name}: auto {:.4} against the best single method {:.4}",
            auto.wape,
            best.wape
        );
    }
}

/// A 30-minute history open 08:00–20:00 whose mornings (to 11:00) and the rest of the days swing
/// by 10 % a day, together (`shared`) or each its own way.
fn split_days(shared: bool, seed: u64) -> String {
    let mut rng = SmallRng::seed_from_u64(seed);
    let swing = LogNormal::new(0.0, 0.10).unwrap();
    let weekday = [1.2, 1.05, 1.0, 0.95, 0.9, 0.7, 0.6];
    let first = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
    let mut out = String::from("timestamp,channel,volume\n");
    for d in 0..140 {
        let day = first + Duration::days(d);
        let morning = swing.sample(&mut rng);
        let afternoon = if shared {
            morning
        } else {
            swing.sample(&mut rng)
        };
        for slot in 16..40 {
            let hour = f64::from(slot) / 2.0;
            let shape = 0.4 + (-(hour - 12.0).powi(2) / 8.0).exp();
            let s = if hour < 11.0 { morning } else { afternoon };
            let mean = 400.0 * weekday[day.weekday().num_days_from_monday() as usize] * shape * s;
            let v = Poisson::new(mean).unwrap().sample(&mut rng);
            push_half_hour(&mut out, day, slot, v);
        }
    }
    out
}

/// The re-forecast learns how far the rest of a day follows its morning: nearly all the way where
/// a day's swing holds all day, hardly at all where the afternoon swings its own way; on the days
/// after the ones it learned from, it beats the fixed prior rule on both.
#[test]
fn the_reforecast_learns_how_far_the_rest_of_a_day_follows_its_morning() {
    let cut = 22; // 11:00
    for (shared, seed) in [(true, 1), (false, 1), (true, 2), (false, 2)] {
        let h = history(&split_days(shared, seed));
        let p = prepare_channel(&h.channels[0], &h, None);
        let model = Choice::single(Method::WeekdayAverage8);
        let until = p.days.len() - 28;
        let rule = intraday::Persistence::learn(&p, &model, until, cut, 30).unwrap();
        assert_eq!(rule.days, 56);
        if shared {
            assert!(rule.beta > 0.7, "seed {seed}, shared swings: {rule:?}");
        } else {
            // Not zero: the forecast's own level error is shared by morning and afternoon.
            assert!(rule.beta < 0.4, "seed {seed}, own swings: {rule:?}");
        }
        let (mut learned, mut prior, mut actual) = (0.0, 0.0, 0.0);
        for d in until..p.days.len() {
            let day = p.days[d];
            let f = models::Model::forecast(&model, &p, d, &[day]).remove(0);
            let so_far = intraday::so_far(
                cut,
                30,
                (0..cut)
                    .filter(|&s| p.calendar.is_open(day, s))
                    .map(|s| (s, p.volume[d][s], f[s])),
            );
            let (a, planned): (f64, f64) = so_far
                .iter()
                .fold((0.0, 0.0), |(x, y), s| (x + s.1, y + s.2));
            let fixed = intraday_factor(a, planned, f.iter().sum());
            for s in cut..p.slots() {
                learned += (p.volume[d][s] - f[s] * rule.factor(&so_far)).abs();
                prior += (p.volume[d][s] - f[s] * fixed).abs();
                actual += p.volume[d][s];
            }
        }
        assert!(
            learned < prior,
            "seed {seed}, shared {shared}: learned {:.4} against the prior rule {:.4}",
            learned / actual,
            prior / actual
        );
    }
}

#[test]
fn a_forecast_for_a_plan_carries_the_rule_of_every_whole_hour() {
    let h = history(&split_days(true, 1));
    let next = h.last_day + Duration::days(1);
    let mut o = options(&next.format("%Y-%m-%d").to_string(), 1, None);
    let plain = forecast(&h, None, &o).unwrap();
    assert!(plain.channels[0].intraday_rules.is_empty());
    o.intraday_rules = true;
    let f = forecast(&h, None, &o).unwrap();
    let c = &f.channels[0];
    // Open 08:00–20:00: a rule after each hour from 09:00 to 19:00 (the first hour has no morning).
    let hours: Vec<u32> = c.intraday_rules.iter().map(|r| r.through_minutes).collect();
    assert_eq!(hours, (9..20).map(|h| h * 60).collect::<Vec<_>>());
    // Each is the rule the forecast's own model learns at that cut, and the plan's rows are the
    // same as without them.
    let mut p = prepare_channel(&h.channels[0], &h, None);
    let until = p.days.len();
    p.learn_shape(backtest::first_origin(until, o.horizon_days, o.origins));
    let at_11 = intraday::rule_at(&c.intraday_rules, 11 * 60 + 20).unwrap();
    assert_eq!(at_11.through_minutes, 11 * 60);
    assert_eq!(
        Some(at_11.rule),
        intraday::Persistence::learn(&p, &c.choice, until, 22, 30)
    );
    assert!(at_11.rule.beta > 0.7, "{at_11:?}");
    assert_eq!(format!("{:?}", f.rows()), format!("{:?}", plain.rows()));
    assert!(intraday::rule_at(&c.intraday_rules, 8 * 60 + 30).is_none());
}

/// A channel whose history holds no ordinary day (a channel not yet in use) is refused by name,
/// with what to do about it.
#[test]
fn a_channel_with_nothing_to_learn_from_is_named_with_the_fix() {
    let voice = synthetic(35, 30, false, 1, |_, _| false);
    let mut text = String::from("timestamp,channel,volume\n");
    for row in voice.lines().skip(1) {
        let timestamp = row.split(',').next().unwrap();
        text.push_str(&format!("{row}\n{timestamp},chat,0\n"));
    }
    let h = history(&text);
    let err = forecast(&h, None, &options("2025-02-10", 7, None))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("channel `chat`")
            && err.contains("no ordinary day")
            && err.contains("35 day(s)")
            && err.contains("leave its rows out of the history"),
        "{err}"
    );
}

/// An interval forecast longer than the longest planning horizon (400 days), or ending more than
/// 400 days after its history (its bands would say nothing), is refused with the weekly forecast
/// as the way; 400 days are fine, and so is a last day the 400th after the history's.
#[test]
fn an_interval_forecast_reaches_the_longest_horizon_at_most() {
    let h = history(&synthetic(35, 60, false, 1, |_, _| false));
    let rows = |start: &str, days: i64| {
        forecast(
            &h,
            None,
            &options(start, days, Some(Method::WeekdayAverage)),
        )
        .map(|f| f.rows().len())
        .map_err(|e| e.to_string())
    };
    assert_eq!(rows("2025-02-10", 400), Ok(400 * 12));
    // The history's last day is 2025-02-09; 2026-03-16 is the 400th day after it.
    assert_eq!(rows("2026-03-10", 7), Ok(7 * 12));
    for (start, days, why) in [
        ("2025-02-10", 401, "at most 400 days (asked 401 days"),
        ("2026-03-11", 7, "at most 400 days beyond its history"),
        ("2125-01-01", 1, "at most 400 days beyond its history"),
    ] {
        let err = rows(start, days).unwrap_err();
        assert!(
            err.contains(why) && err.contains("forecast --weekly"),
            "{start}: {err}"
        );
    }
}
