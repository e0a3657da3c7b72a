//! An independent roster checker for the tests. It shares no code with the optimizer or its
//! evaluation: it reads the scenario file itself (as TOML), and the written outputs (`roster.csv`,
//! `vendor_*.csv`, `coverage.csv`, `summary.json`), and re-checks every rule by its own arithmetic:
//! template, start window and step, breaks inside their windows and apart, one shift a day, rest,
//! consecutive days, weekly hours and shifts with overtime, unavailability over the whole span of
//! a shift, vendor caps, minimum block, start step and notice, coverage equal to what the shifts
//! and blocks imply, and cost recomputed from the rates.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::path::Path;

struct Template {
    length: i64,
    earliest: i64,
    latest: i64,
    step: i64,
    channels: Option<Vec<String>>,
    /// (minutes, paid, after, before)
    breaks: Vec<(i64, bool, i64, i64)>,
}

struct Group {
    channels: Vec<String>,
    templates: Vec<String>,
    cost: f64,
    min_week: f64,
    max_week: f64,
    max_shifts: usize,
    max_run: i64,
    rest_hours: f64,
    overtime: Option<(f64, f64)>,
    dates: Vec<NaiveDate>,
    /// (weekdays, from, to) in minutes of the day.
    weekly: Vec<(Vec<Weekday>, i64, i64)>,
}

struct Vendor {
    caps: BTreeMap<String, u32>,
    min_block: i64,
    step: i64,
    cost: f64,
    fixed: f64,
    notice_hours: f64,
}

struct Worked {
    agent: String,
    group: String,
    date: NaiveDate,
    start: NaiveDateTime,
    end: NaiveDateTime,
    channel: String,
    template: String,
    paid_hours: f64,
    /// (start, end, paid) as local date-times.
    breaks: Vec<(NaiveDateTime, NaiveDateTime, bool)>,
}

struct Block {
    vendor: String,
    channel: String,
    start: NaiveDateTime,
    end: NaiveDateTime,
    start_utc: DateTime<Utc>,
    end_utc: DateTime<Utc>,
    heads: u32,
}

fn clock(text: &str) -> i64 {
    let (h, m) = text.split_once(':').expect("HH:MM");
    h.parse::<i64>().expect("hours") * 60 + m.parse::<i64>().expect("minutes")
}

fn toml_date(v: &toml::Value) -> NaiveDate {
    NaiveDate::parse_from_str(&v.to_string(), "%Y-%m-%d").expect("a date")
}

fn strings(v: Option<&toml::Value>) -> Option<Vec<String>> {
    v.and_then(|v| v.as_array()).map(|a| {
        a.iter()
            .map(|s| s.as_str().expect("a string").to_string())
            .collect()
    })
}

fn number(v: &toml::Value, key: &str) -> f64 {
    match &v[key] {
        toml::Value::Integer(i) => *i as f64,
        toml::Value::Float(f) => *f,
        other => panic!("{key} is not a number: {other}"),
    }
}

fn weekday(text: &str) -> Weekday {
    text.parse().expect("a weekday")
}

/// The instant of a local wall-clock time: the earlier of a repeated one; a skipped one is a
/// problem of its own.
fn instant(tz: Tz, t: NaiveDateTime, problems: &mut Vec<String>, what: &str) -> DateTime<Utc> {
    match tz.from_local_datetime(&t) {
        chrono::LocalResult::Single(x) => x.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(a, _) => {
            problems.push(format!("{what}: {t} happens twice in {tz}"));
            a.with_timezone(&Utc)
        }
        chrono::LocalResult::None => {
            problems.push(format!("{what}: {t} does not exist in {tz}"));
            Utc.from_utc_datetime(&t)
        }
    }
}

fn local(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .unwrap_or_else(|e| panic!("`{text}` is not a local time: {e}"))
}

fn minutes_between(a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    (b - a).num_minutes()
}

/// Every problem the checker finds with the roster written to `out` for `scenario`.
pub fn problems(scenario: &Path, out: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(scenario).expect("the scenario reads");
    let doc: toml::Value = toml::from_str(&text).expect("the scenario is TOML");
    let tz: Tz = doc["time_zone"]
        .as_str()
        .unwrap()
        .parse()
        .expect("a time zone");
    let interval = doc["interval_minutes"].as_integer().unwrap();
    let first_day = toml_date(&doc["horizon"]["start"]);
    let last_day = toml_date(&doc["horizon"]["end"]);
    let plan_date = doc.get("plan_date").map(toml_date);
    let mut problems = Vec::new();

    let templates: BTreeMap<String, Template> = doc
        .get("shift_templates")
        .and_then(|t| t.as_array())
        .into_iter()
        .flatten()
        .map(|t| {
            let breaks = t
                .get("breaks")
                .and_then(|b| b.as_array())
                .into_iter()
                .flatten()
                .map(|b| {
                    (
                        b["minutes"].as_integer().unwrap(),
                        b["paid"].as_bool().unwrap(),
                        clock(b["after"].as_str().unwrap()),
                        clock(b["before"].as_str().unwrap()),
                    )
                })
                .collect();
            (
                t["id"].as_str().unwrap().to_string(),
                Template {
                    length: clock(t["length"].as_str().unwrap()),
                    earliest: clock(t["earliest_start"].as_str().unwrap()),
                    latest: clock(t["latest_start"].as_str().unwrap()),
                    step: t["start_step_minutes"].as_integer().unwrap(),
                    channels: strings(t.get("channels")),
                    breaks,
                },
            )
        })
        .collect();

    let groups: BTreeMap<String, Group> = doc
        .get("agents")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
        .map(|g| {
            let c = &g["contract"];
            let mut dates = Vec::new();
            let mut weekly = Vec::new();
            for u in g
                .get("unavailable")
                .and_then(|u| u.as_array())
                .into_iter()
                .flatten()
            {
                if let Some(d) = u.get("dates").and_then(|d| d.as_array()) {
                    dates.extend(d.iter().map(toml_date));
                }
                if let Some(days) = strings(u.get("weekdays")) {
                    weekly.push((
                        days.iter().map(|d| weekday(d)).collect(),
                        u.get("from").map_or(0, |f| clock(f.as_str().unwrap())),
                        u.get("to").map_or(24 * 60, |f| clock(f.as_str().unwrap())),
                    ));
                }
            }
            (
                g["id"].as_str().unwrap().to_string(),
                Group {
                    channels: strings(g.get("channels")).unwrap(),
                    templates: strings(g.get("templates")).unwrap(),
                    cost: number(g, "cost_per_hour"),
                    min_week: number(c, "min_hours_week"),
                    max_week: number(c, "max_hours_week"),
                    max_shifts: c["max_shifts_week"].as_integer().unwrap() as usize,
                    max_run: c["max_consecutive_days"].as_integer().unwrap(),
                    rest_hours: c
                        .get("min_rest_hours")
                        .map_or(11.0, |_| number(c, "min_rest_hours")),
                    overtime: g
                        .get("overtime")
                        .map(|o| (number(o, "hours_week"), number(o, "cost_factor"))),
                    dates,
                    weekly,
                },
            )
        })
        .collect();

    let vendors: BTreeMap<String, Vendor> = doc
        .get("vendors")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .map(|v| {
            let caps = v["max_heads"]
                .as_table()
                .unwrap()
                .iter()
                .map(|(c, n)| (c.clone(), n.as_integer().unwrap() as u32))
                .collect();
            (
                v["id"].as_str().unwrap().to_string(),
                Vendor {
                    caps,
                    min_block: (number(v, "min_block_hours") * 60.0).round() as i64,
                    step: v["start_step_minutes"].as_integer().unwrap(),
                    cost: number(v, "cost_per_hour"),
                    fixed: v
                        .get("fixed_cost_per_block")
                        .map_or(0.0, |_| number(v, "fixed_cost_per_block")),
                    notice_hours: v
                        .get("notice_hours")
                        .map_or(0.0, |_| number(v, "notice_hours")),
                },
            )
        })
        .collect();

    // roster.csv
    let mut worked: Vec<Worked> = Vec::new();
    let mut reader = csv::Reader::from_path(out.join("roster.csv")).expect("roster.csv");
    for row in reader.records() {
        let row = row.expect("a roster row");
        let start = local(&row[4]);
        let end = local(&row[5]);
        let breaks = row[9]
            .split("; ")
            .filter(|b| !b.is_empty())
            .map(|b| {
                let (span, kind) = b.split_once(' ').expect("HH:MM-HH:MM paid|unpaid");
                let (from, to) = span.split_once('-').expect("a span");
                // The first such clock time at or after the shift start.
                let at = |hhmm: &str, after: NaiveDateTime| {
                    let t = clock(hhmm);
                    let mut day = start.date();
                    loop {
                        let x = day.and_hms_opt(0, 0, 0).unwrap() + Duration::minutes(t);
                        if x >= after {
                            return x;
                        }
                        day = day.succ_opt().unwrap();
                    }
                };
                let from = at(from, start);
                (from, at(to, from), kind == "paid")
            })
            .collect();
        worked.push(Worked {
            agent: row[0].to_string(),
            group: row[2].to_string(),
            date: NaiveDate::parse_from_str(&row[3], "%Y-%m-%d").expect("a date"),
            start,
            end,
            channel: row[6].to_string(),
            template: row[7].to_string(),
            paid_hours: row[8].parse().expect("paid hours"),
            breaks,
        });
    }

    // Each shift on its own.
    for w in &worked {
        let who = format!("{} on {}", w.agent, w.date);
        let Some(g) = groups.get(&w.group) else {
            problems.push(format!("{who}: unknown group {}", w.group));
            continue;
        };
        if !(w.agent == w.group || w.agent.starts_with(&format!("{}-", w.group))) {
            problems.push(format!("{who}: not an agent of group {}", w.group));
        }
        let Some(t) = templates.get(&w.template) else {
            problems.push(format!("{who}: unknown template {}", w.template));
            continue;
        };
        if !g.templates.contains(&w.template) {
            problems.push(format!("{who}: template {} not allowed", w.template));
        }
        if !g.channels.contains(&w.channel)
            || t.channels.as_ref().is_some_and(|c| !c.contains(&w.channel))
        {
            problems.push(format!("{who}: channel {} not allowed", w.channel));
        }
        if w.start.date() != w.date {
            problems.push(format!("{who}: starts on {}", w.start.date()));
        }
        let start_minute = (w.start - w.date.and_hms_opt(0, 0, 0).unwrap()).num_minutes();
        if start_minute < t.earliest
            || start_minute > t.latest
            || (start_minute - t.earliest) % t.step != 0
        {
            problems.push(format!(
                "{who}: start {} outside the template's window and step",
                w.start.time()
            ));
        }
        if (w.end - w.start).num_minutes() != t.length {
            problems.push(format!(
                "{who}: lasts {} clock minutes, the template {}",
                (w.end - w.start).num_minutes(),
                t.length
            ));
        }
        // Breaks: one per rule, in its window, never overlapping.
        if w.breaks.len() != t.breaks.len() {
            problems.push(format!(
                "{who}: {} breaks, the template has {}",
                w.breaks.len(),
                t.breaks.len()
            ));
        } else if !breaks_match(w, t) {
            problems.push(format!(
                "{who}: breaks {:?} do not fit the template's windows",
                w.breaks
            ));
        }
        for (i, a) in w.breaks.iter().enumerate() {
            for b in &w.breaks[i + 1..] {
                if a.0 < b.1 && b.0 < a.1 {
                    problems.push(format!("{who}: breaks overlap"));
                }
            }
        }
        // Paid hours as worked: elapsed time less unpaid breaks.
        let elapsed = minutes_between(
            instant(tz, w.start, &mut problems, &who),
            instant(tz, w.end, &mut problems, &who),
        );
        let unpaid: i64 = w
            .breaks
            .iter()
            .filter(|b| !b.2)
            .map(|b| (b.1 - b.0).num_minutes())
            .sum();
        let paid = (elapsed - unpaid) as f64 / 60.0;
        if (paid - w.paid_hours).abs() > 1e-6 {
            problems.push(format!("{who}: paid {} h, worked {paid} h", w.paid_hours));
        }
        // Unavailability over every calendar day the shift touches.
        let mut day = w.start.date();
        while day.and_hms_opt(0, 0, 0).unwrap() < w.end {
            let midnight = day.and_hms_opt(0, 0, 0).unwrap();
            let lo = (w.start - midnight).num_minutes().max(0);
            let hi = (w.end - midnight).num_minutes().min(24 * 60);
            if g.dates.contains(&day) {
                problems.push(format!(
                    "{who}: works on {day}, a date the agent is unavailable"
                ));
            }
            for (days, from, to) in &g.weekly {
                if days.contains(&day.weekday()) && lo < *to && hi > *from {
                    problems.push(format!("{who}: works {day} inside an unavailable window"));
                }
            }
            day = day.succ_opt().unwrap();
        }
    }

    // Per agent.
    let mut by_agent: BTreeMap<&str, Vec<&Worked>> = BTreeMap::new();
    for w in &worked {
        by_agent.entry(&w.agent).or_default().push(w);
    }
    let mut cost_core = 0.0;
    let mut cost_overtime = 0.0;
    for (agent, mut mine) in by_agent {
        let Some(g) = groups.get(&mine[0].group) else {
            continue;
        };
        mine.sort_by_key(|w| w.start);
        for pair in mine.windows(2) {
            if pair[0].date == pair[1].date {
                problems.push(format!("{agent}: two shifts on {}", pair[0].date));
            }
            let rest = minutes_between(
                instant(tz, pair[0].end, &mut problems, agent),
                instant(tz, pair[1].start, &mut problems, agent),
            ) as f64
                / 60.0;
            if rest + 1e-9 < g.rest_hours {
                problems.push(format!("{agent}: {rest} h rest before {}", pair[1].date));
            }
        }
        let mut run = 0;
        let mut last: Option<NaiveDate> = None;
        for w in &mine {
            run = if last.is_some_and(|l| w.date - l == Duration::days(1)) {
                run + 1
            } else {
                1
            };
            last = Some(w.date);
            if run > g.max_run {
                problems.push(format!("{agent}: {run} days in a row to {}", w.date));
            }
        }
        // ISO weeks, cut by the horizon.
        let mut day = first_day;
        while day <= last_day {
            let week = day.iso_week();
            let mut days_in = 0;
            let mut d = day;
            while d <= last_day && d.iso_week() == week {
                days_in += 1;
                d = d.succ_opt().unwrap();
            }
            let in_week: Vec<&&Worked> =
                mine.iter().filter(|w| w.date.iso_week() == week).collect();
            let hours: f64 = in_week.iter().map(|w| w.paid_hours).sum();
            if in_week.len() > g.max_shifts {
                problems.push(format!(
                    "{agent}: {} shifts in the week of {day}",
                    in_week.len()
                ));
            }
            let overtime = g.overtime.map_or(0.0, |o| o.0);
            if hours > g.max_week + overtime + 1e-6 {
                problems.push(format!("{agent}: {hours} h in the week of {day}"));
            }
            let min = g.min_week * f64::from(days_in) / 7.0;
            if hours + 1e-6 < min {
                problems.push(format!(
                    "{agent}: {hours} h of the {min} h minimum in the week of {day}"
                ));
            }
            let regular = hours.min(g.max_week);
            let extra = (hours - g.max_week).max(0.0);
            cost_core += regular * g.cost;
            cost_overtime += extra * g.cost * g.overtime.map_or(1.0, |o| o.1);
            day = d;
        }
    }

    // vendor_<id>.csv
    let mut blocks: Vec<Block> = Vec::new();
    for id in vendors.keys() {
        let path = out.join(format!("vendor_{id}.csv"));
        if !path.exists() {
            continue;
        }
        let mut reader = csv::Reader::from_path(&path).expect("a vendor file");
        for row in reader.records() {
            let row = row.expect("a vendor row");
            blocks.push(Block {
                vendor: id.clone(),
                channel: row[1].to_string(),
                start: local(&row[2]),
                end: local(&row[3]),
                start_utc: row[4].parse().expect("start_utc"),
                end_utc: row[5].parse().expect("end_utc"),
                heads: row[6].parse().expect("heads"),
            });
        }
    }
    let mut cost_vendors: BTreeMap<String, f64> = BTreeMap::new();
    for b in &blocks {
        let v = &vendors[&b.vendor];
        let who = format!("{} block {} {}", b.vendor, b.channel, b.start);
        if instant(tz, b.start, &mut problems, &who) != b.start_utc
            || instant(tz, b.end, &mut problems, &who) != b.end_utc
        {
            problems.push(format!("{who}: local and UTC times disagree"));
        }
        if !v.caps.contains_key(&b.channel) {
            problems.push(format!("{who}: the vendor does not serve {}", b.channel));
        }
        if (b.end - b.start).num_minutes() < v.min_block {
            problems.push(format!("{who}: shorter than the minimum block"));
        }
        let minute = i64::from(b.start.time().hour_minute());
        if minute % v.step != 0 {
            problems.push(format!(
                "{who}: start off the vendor's {}-minute step",
                v.step
            ));
        }
        if let Some(p) = plan_date {
            let from = instant(tz, p.and_hms_opt(0, 0, 0).unwrap(), &mut problems, &who);
            if minutes_between(from, b.start_utc) < (v.notice_hours * 60.0).round() as i64 {
                problems.push(format!("{who}: inside the vendor's notice"));
            }
        }
        let hours = minutes_between(b.start_utc, b.end_utc) as f64 / 60.0;
        *cost_vendors.entry(b.vendor.clone()).or_default() +=
            f64::from(b.heads) * hours * v.cost + v.fixed;
    }
    // Caps at every instant a block starts.
    for b in &blocks {
        let cap = vendors[&b.vendor]
            .caps
            .get(&b.channel)
            .copied()
            .unwrap_or(0);
        let heads: u32 = blocks
            .iter()
            .filter(|o| {
                o.vendor == b.vendor
                    && o.channel == b.channel
                    && o.start_utc <= b.start_utc
                    && b.start_utc < o.end_utc
            })
            .map(|o| o.heads)
            .sum();
        if heads > cap {
            problems.push(format!(
                "{} {}: {heads} heads at {} over the cap {cap}",
                b.vendor, b.channel, b.start
            ));
        }
    }

    // coverage.csv against the shifts and blocks.
    let mut reader = csv::Reader::from_path(out.join("coverage.csv")).expect("coverage.csv");
    let overlap = |a: DateTime<Utc>, b: DateTime<Utc>, from: DateTime<Utc>, to: DateTime<Utc>| {
        (minutes_between(a.max(from), b.min(to)).max(0)) as f64 / interval as f64
    };
    let mut spans: Vec<(String, DateTime<Utc>, DateTime<Utc>, f64)> = Vec::new();
    let mut quiet = Vec::new();
    for w in &worked {
        spans.push((
            w.channel.clone(),
            instant(tz, w.start, &mut quiet, ""),
            instant(tz, w.end, &mut quiet, ""),
            1.0,
        ));
        for br in &w.breaks {
            spans.push((
                w.channel.clone(),
                instant(tz, br.0, &mut quiet, ""),
                instant(tz, br.1, &mut quiet, ""),
                -1.0,
            ));
        }
    }
    let mut rows = 0;
    for row in reader.records() {
        let row = row.expect("a coverage row");
        rows += 1;
        let from: DateTime<Utc> = DateTime::parse_from_rfc3339(&row[0])
            .expect("a timestamp")
            .with_timezone(&Utc);
        let to = from + Duration::minutes(interval);
        let channel = &row[1];
        let core: f64 = spans
            .iter()
            .filter(|s| s.0 == channel)
            .map(|s| s.3 * overlap(s.1, s.2, from, to))
            .sum();
        let elastic: f64 = blocks
            .iter()
            .filter(|b| b.channel == channel)
            .map(|b| f64::from(b.heads) * overlap(b.start_utc, b.end_utc, from, to))
            .sum();
        let written_core: f64 = row[4].parse().expect("scheduled_core");
        let written_elastic: f64 = row[5].parse().expect("scheduled_elastic");
        if (core - written_core).abs() > 1e-3 || (elastic - written_elastic).abs() > 1e-3 {
            problems.push(format!(
                "coverage {channel} at {}: written {written_core} core + {written_elastic} elastic, the shifts and blocks give {core} + {elastic}",
                &row[0]
            ));
        }
    }
    // One row per channel and interval, the day of a clock change included.
    let channels = doc["channels"].as_array().unwrap().len() as i64;
    let span = minutes_between(
        instant(tz, first_day.and_hms_opt(0, 0, 0).unwrap(), &mut quiet, ""),
        instant(
            tz,
            last_day.succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap(),
            &mut quiet,
            "",
        ),
    );
    if rows != channels * span / interval {
        problems.push(format!(
            "coverage.csv has {rows} rows, the horizon {} intervals per channel",
            span / interval
        ));
    }

    // summary.json: cost from the rates, and no rule reported kept that the checker saw broken.
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("summary.json")).expect("summary.json"),
    )
    .expect("JSON");
    let close = |a: f64, b: f64| (a - b).abs() <= 0.05 + 1e-6 * b.abs();
    if !close(summary["cost"]["core"].as_f64().unwrap(), cost_core) {
        problems.push(format!(
            "core cost {} in summary.json, {cost_core} from the rates",
            summary["cost"]["core"]
        ));
    }
    if !close(summary["cost"]["overtime"].as_f64().unwrap(), cost_overtime) {
        problems.push(format!(
            "overtime cost {} in summary.json, {cost_overtime} from the rates",
            summary["cost"]["overtime"]
        ));
    }
    for v in summary["cost"]["vendors"].as_array().unwrap() {
        let id = v["vendor"].as_str().unwrap();
        let mine = cost_vendors.get(id).copied().unwrap_or(0.0);
        if !close(v["amount"].as_f64().unwrap(), mine) {
            problems.push(format!(
                "vendor {id} cost {} in summary.json, {mine} from the rates",
                v["amount"]
            ));
        }
    }
    let reported = summary["rule_violations"].as_array().map_or(0, |v| v.len());
    if reported > 0 {
        problems.push(format!("summary.json reports {reported} rule violations"));
    }
    problems
}

/// Matches each break to a rule of its kind whose window holds it (trying every assignment).
fn breaks_match(w: &Worked, t: &Template) -> bool {
    fn assign(w: &Worked, t: &Template, i: usize, used: &mut Vec<bool>) -> bool {
        if i == w.breaks.len() {
            return true;
        }
        let (from, to, paid) = w.breaks[i];
        let off = (from - w.start).num_minutes();
        let len = (to - from).num_minutes();
        for (r, &(minutes, rule_paid, after, before)) in t.breaks.iter().enumerate() {
            if !used[r]
                && minutes == len
                && rule_paid == paid
                && off >= after
                && off + len <= before
            {
                used[r] = true;
                if assign(w, t, i + 1, used) {
                    return true;
                }
                used[r] = false;
            }
        }
        false
    }
    assign(w, t, 0, &mut vec![false; t.breaks.len()])
}

trait HourMinute {
    fn hour_minute(&self) -> u32;
}

impl HourMinute for chrono::NaiveTime {
    fn hour_minute(&self) -> u32 {
        use chrono::Timelike;
        self.hour() * 60 + self.minute()
    }
}

/// Fails the test with every problem the checker finds.
pub fn assert_roster_holds(scenario: &Path, out: &Path) {
    let found = problems(scenario, out);
    assert!(
        found.is_empty(),
        "the independent checker found {} problem(s) in {}:\n{}",
        found.len(),
        out.display(),
        found.join("\n")
    );
}
