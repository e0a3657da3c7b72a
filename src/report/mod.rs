//! The plan report: one self-contained HTML file (no network needed to view it) with SVG charts —
//! history and forecast with the promotion window and the p10–p90 band, required against
//! scheduled agents (core and elastic stacked), service per channel and day against the target
//! with the simulation's confidence interval, the roster of the busiest day as a Gantt chart, and
//! the cost breakdown — plus the summary tables and links to each vendor's CSV plan.
//!
//! A small inline script checks that every chart drew and records any script error in the page
//! (`data-charts` on `<body>`), which the browser test reads.

pub mod capacity;
pub mod svg;

use crate::roster::Roster;
use crate::roster::summary::RosterSummary;
use crate::scenario::Scenario;
use crate::simulate::SimulationReport;
use crate::staffing::Requirements;
use crate::time_grid::TimeGrid;
use crate::volumes::{VolumeRow, VolumeSeries};
use chrono::{Duration, NaiveDate};
use std::collections::BTreeMap;
use std::fmt::Write;
use svg::{Frame, escape, legend, thousands};

const CORE: &str = "#2f6db5";
const ELASTIC: &str = "#f0a030";
const REQUIRED: &str = "#c0392b";
const HISTORY: &str = "#7f8c8d";
const SIMULATED: &str = "#27ae60";
const CHANNEL_COLORS: [&str; 6] = [
    "#2f6db5", "#8e44ad", "#16a085", "#d35400", "#7f8c8d", "#c0392b",
];

/// Everything the report shows.
pub struct ReportInput<'a> {
    pub scenario: &'a Scenario,
    pub grid: &'a TimeGrid,
    pub requirements: &'a Requirements,
    pub roster: &'a Roster,
    pub forecast: &'a [VolumeRow],
    /// The volume history, when the scenario has one.
    pub history: Option<&'a VolumeSeries>,
    pub simulation: Option<&'a SimulationReport>,
    pub summary: &'a RosterSummary,
    /// The forecast's daily bands (from the daily error) when it was made here; a forecast read
    /// from a file has only interval quantiles, summed per day instead.
    pub forecast_days: Option<&'a crate::forecast::Forecast>,
}

/// Daily totals per channel id.
fn daily(
    rows: &[VolumeRow],
    tz: chrono_tz::Tz,
    value: impl Fn(&VolumeRow) -> f64,
) -> BTreeMap<String, BTreeMap<NaiveDate, f64>> {
    let mut out: BTreeMap<String, BTreeMap<NaiveDate, f64>> = BTreeMap::new();
    for r in rows {
        let day = r.timestamp.with_timezone(&tz).date_naive();
        *out.entry(r.channel.clone())
            .or_default()
            .entry(day)
            .or_default() += value(r);
    }
    out
}

fn pct(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// History (the last six weeks) and forecast per channel, daily, with the p10–p90 band and the
/// promotion windows shaded.
fn forecast_chart(input: &ReportInput, c: usize) -> String {
    let s = input.scenario;
    let tz = s.time_zone;
    let id = s.channels[c].id.to_string();
    let first = s.horizon.start;
    let last = s.horizon.end;
    let from = first - Duration::days(42);
    let history: Vec<(NaiveDate, f64)> = input
        .history
        .map(|h| daily(&h.rows, tz, |r| r.volume))
        .and_then(|mut d| d.remove(&id))
        .map(|d| {
            d.into_iter()
                .filter(|(day, _)| *day >= from && *day < first)
                .collect()
        })
        .unwrap_or_default();
    let point = daily(input.forecast, tz, |r| r.volume)
        .remove(&id)
        .unwrap_or_default();
    let bands = input
        .forecast_days
        .and_then(|f| f.channels.iter().find(|ch| ch.channel == id));
    let (p10, p90): (BTreeMap<NaiveDate, f64>, BTreeMap<NaiveDate, f64>) = match bands {
        Some(ch) => (
            ch.days.iter().map(|d| (d.day, d.p10)).collect(),
            ch.days.iter().map(|d| (d.day, d.p90)).collect(),
        ),
        None => (
            daily(input.forecast, tz, |r| {
                r.quantiles.map_or(r.volume, |q| q.p10)
            })
            .remove(&id)
            .unwrap_or_default(),
            daily(input.forecast, tz, |r| {
                r.quantiles.map_or(r.volume, |q| q.p90)
            })
            .remove(&id)
            .unwrap_or_default(),
        ),
    };
    let x = |d: NaiveDate| (d - from).num_days() as f64;
    let y_max = history
        .iter()
        .map(|p| p.1)
        .chain(p90.values().copied())
        .fold(0.0, f64::max);
    let f = Frame::new(260.0, 0.0, x(last) + 1.0, y_max * 1.05);
    let mut out = f.open(
        &format!("forecast-{id}"),
        &format!("{id}: history and forecast"),
        thousands,
    );
    out.push_str(&f.axis_titles("contacts per day", "day"));
    for e in &s.events {
        let (a, b) = e.window();
        if b >= from && a <= last {
            out.push_str(&f.shade(x(a.max(from)), x(b.min(last)) + 1.0, ELASTIC, &e.name));
        }
    }
    let band: Vec<(f64, f64, f64)> = point
        .keys()
        .map(|d| {
            let v = point[d];
            (
                x(*d) + 0.5,
                p10.get(d).copied().unwrap_or(v),
                p90.get(d).copied().unwrap_or(v),
            )
        })
        .collect();
    out.push_str(&f.band(&band, CORE));
    let hist: Vec<(f64, f64)> = history.iter().map(|(d, v)| (x(*d) + 0.5, *v)).collect();
    out.push_str(&f.polyline(&hist, HISTORY, 1.5, false));
    let fc: Vec<(f64, f64)> = point.iter().map(|(d, v)| (x(*d) + 0.5, *v)).collect();
    out.push_str(&f.polyline(&fc, CORE, 2.0, false));
    let mut d = from;
    while d <= last {
        if (d - from).num_days() % 7 == 0 {
            out.push_str(&f.x_tick(x(d), &d.format("%d %b").to_string()));
        }
        d += Duration::days(1);
    }
    out.push_str("</svg>");
    out.push_str(&past_occurrence_chart(input, c, &point));
    out
}

/// The latest past occurrence of a promotion in the horizon, as it happened, beside this year's
/// forecast over the same days from the start: where the uplift was learned from.
fn past_occurrence_chart(
    input: &ReportInput,
    c: usize,
    point: &BTreeMap<NaiveDate, f64>,
) -> String {
    let s = input.scenario;
    let id = s.channels[c].id.to_string();
    let Some(history) = input.history else {
        return String::new();
    };
    let first = s.horizon.start;
    let Some(now) = s
        .events
        .iter()
        .find(|e| e.window().1 >= first && e.window().0 <= s.horizon.end)
    else {
        return String::new();
    };
    let Some(past) = s
        .events
        .iter()
        .filter(|e| e.tag == now.tag && e.window().1 < first)
        .max_by_key(|e| e.start)
    else {
        return String::new();
    };
    let days = daily(&history.rows, s.time_zone, |r| r.volume)
        .remove(&id)
        .unwrap_or_default();
    let (lo, hi) = (
        -(i64::from(now.days_before)) - 7,
        (now.end - now.start).num_days() + i64::from(now.days_after) + 7,
    );
    let then: Vec<(f64, f64)> = (lo..=hi)
        .filter_map(|k| {
            days.get(&(past.start + Duration::days(k)))
                .map(|v| (k as f64 + 0.5, *v))
        })
        .collect();
    let this: Vec<(f64, f64)> = (lo..=hi)
        .filter_map(|k| {
            point
                .get(&(now.start + Duration::days(k)))
                .map(|v| (k as f64 + 0.5, *v))
        })
        .collect();
    if then.is_empty() {
        return String::new();
    }
    let y_max = then.iter().chain(&this).map(|p| p.1).fold(0.0, f64::max);
    let f = Frame::new(200.0, lo as f64, hi as f64 + 1.0, y_max * 1.05);
    let mut out = f.open(
        &format!("past-{id}"),
        &format!(
            "{id}: {} as it happened and {} forecast",
            past.name, now.name
        ),
        thousands,
    );
    out.push_str(&f.axis_titles("contacts per day", "days from the promotion's start"));
    let (a, b) = (
        -(i64::from(now.days_before)),
        (now.end - now.start).num_days() + i64::from(now.days_after),
    );
    out.push_str(&f.shade(
        a as f64,
        b as f64 + 1.0,
        ELASTIC,
        &format!("{} (window)", now.tag),
    ));
    out.push_str(&f.polyline(&then, HISTORY, 1.5, false));
    out.push_str(&f.polyline(&this, CORE, 2.0, false));
    for k in (lo..=hi).filter(|k| k % 7 == 0) {
        out.push_str(&f.x_tick(k as f64 + 0.5, &format!("{k:+}")));
    }
    out.push_str("</svg>");
    format!(
        "<p class=\"sub\">{}: {} (grey, {}) against this year's forecast (blue), by day from the start.</p>{out}",
        escape(&id),
        escape(&past.name),
        past.start
    )
}

/// Per interval over the peak: core and elastic agents stacked, the requirement as a line.
fn coverage_chart(input: &ReportInput, c: usize) -> String {
    let e = &input.roster.evaluation;
    let id = input.scenario.channels[c].id.to_string();
    let n = input.grid.len();
    let req: Vec<f64> = input.requirements.channels[c]
        .intervals
        .iter()
        .map(|r| f64::from(r.scheduled))
        .collect();
    let total: Vec<f64> = (0..n).map(|i| e.core[c][i] + e.elastic[c][i]).collect();
    let y_max = req.iter().chain(total.iter()).copied().fold(0.0, f64::max);
    let f = Frame::new(240.0, 0.0, n as f64, y_max * 1.05);
    let mut out = f.open(
        &format!("coverage-{id}"),
        &format!("{id}: required and scheduled agents"),
        |v| format!("{v:.0}"),
    );
    out.push_str(&f.axis_titles("agents on shift", "interval (local time)"));
    let core: Vec<(f64, f64, f64)> = (0..n)
        .map(|i| (i as f64 + 0.5, 0.0, e.core[c][i]))
        .collect();
    let stacked: Vec<(f64, f64, f64)> = (0..n)
        .map(|i| (i as f64 + 0.5, e.core[c][i], total[i]))
        .collect();
    out.push_str(
        &f.band(&core, CORE)
            .replace("fill-opacity=\"0.25\"", "fill-opacity=\"0.7\""),
    );
    out.push_str(
        &f.band(&stacked, ELASTIC)
            .replace("fill-opacity=\"0.25\"", "fill-opacity=\"0.7\""),
    );
    let line: Vec<(f64, f64)> = req
        .iter()
        .enumerate()
        .map(|(i, v)| (i as f64 + 0.5, *v))
        .collect();
    out.push_str(&f.polyline(&line, REQUIRED, 1.2, false));
    let mut last_day = None;
    for i in 0..n {
        let day = input.grid.local_clock(i).date;
        if last_day != Some(day) {
            if (day - input.scenario.horizon.start).num_days() % 2 == 0 {
                out.push_str(&f.x_tick(i as f64, &day.format("%d %b").to_string()));
            }
            last_day = Some(day);
        }
    }
    out.push_str("</svg>");
    out
}

/// Service per channel per day: projected (open dot), simulated with its 95 % interval, target.
fn service_chart(input: &ReportInput, c: usize) -> String {
    let s = input.scenario;
    let id = s.channels[c].id.to_string();
    let days: Vec<NaiveDate> = s.horizon.days().collect();
    let target = s.channels[c].target.share();
    let sim = input
        .simulation
        .and_then(|r| r.channels.iter().find(|x| x.channel == id));
    // The y axis starts a little below the lowest value shown, in tenths.
    let lowest = input
        .roster
        .evaluation
        .days
        .iter()
        .filter(|d| d.channel == id)
        .filter_map(|d| d.projected_service_level)
        .chain(sim.into_iter().flat_map(|s| {
            s.days.iter().filter_map(|d| {
                d.stats
                    .service_level
                    .map(|e| e.mean - e.ci95.unwrap_or(0.0))
            })
        }))
        .fold(target, f64::min);
    let floor = ((lowest - 0.05) * 10.0).floor() / 10.0;
    let f = Frame::new(220.0, 0.0, days.len() as f64, 1.0).from_y(floor.max(0.0));
    let mut out = f.open(
        &format!("service-{id}"),
        &format!("{id}: service level per day"),
        pct,
    );
    out.push_str(&f.axis_titles("service level (answered in time)", "day"));
    out.push_str(&f.hline(target, REQUIRED, &format!("target {}", pct(target))));
    for (k, day) in days.iter().enumerate() {
        let x = k as f64 + 0.5;
        if let Some(p) = input
            .roster
            .evaluation
            .days
            .iter()
            .find(|d| d.channel == id && d.date == *day)
            .and_then(|d| d.projected_service_level)
        {
            out.push_str(&f.dot(
                x - 0.12,
                p,
                CORE,
                &format!("{day}: projected {:.1}%", p * 100.0),
            ));
        }
        if let Some(est) = sim
            .and_then(|s| s.days.iter().find(|d| d.date == *day))
            .and_then(|d| d.stats.service_level)
        {
            let h = est.ci95.unwrap_or(0.0);
            out.push_str(&f.whisker(
                x + 0.12,
                est.mean,
                (est.mean - h).max(0.0),
                (est.mean + h).min(1.0),
                SIMULATED,
                &format!(
                    "{day}: simulated {:.1}% ± {:.1}",
                    est.mean * 100.0,
                    h * 100.0
                ),
            ));
        }
        out.push_str(&f.x_tick(x, &day.format("%d").to_string()));
    }
    out.push_str("</svg>");
    out
}

/// Width of the Gantt's label column (agent ids, vendor blocks with their heads).
const GANTT_LABELS: f64 = 190.0;

/// The roster of one day: a row per core shift (the agent's id on the left, breaks as gaps), then
/// the vendor blocks with their heads; the time axis along the top and the bottom.
fn gantt_chart(input: &ReportInput, day: NaiveDate, id: &str) -> String {
    let s = input.scenario;
    let r = input.roster;
    let mut shifts: Vec<_> = r.shifts.iter().filter(|x| x.date == day).collect();
    shifts.sort_by_key(|x| (x.channel, x.start, x.end, x.agent));
    let mut blocks: Vec<_> = r.blocks.iter().filter(|b| b.date == day).collect();
    blocks.sort_by_key(|b| (b.vendor, b.channel, b.start, b.end));
    let rows = shifts.len() + blocks.len();
    let row_h = 12.0;
    let from = shifts
        .iter()
        .map(|x| x.start)
        .chain(blocks.iter().map(|b| b.start))
        .min()
        .unwrap_or(0)
        / 60
        * 60;
    let to = shifts
        .iter()
        .map(|x| x.end)
        .chain(blocks.iter().map(|b| b.end))
        .max()
        .unwrap_or(1440)
        .div_ceil(60)
        * 60;
    let to = to.max(from + 60);
    let y0 = 24.0;
    let height = y0 + rows as f64 * row_h + 30.0;
    let right = svg::WIDTH - 16.0;
    let x =
        |m: u32| GANTT_LABELS + f64::from(m - from) / f64::from(to - from) * (right - GANTT_LABELS);
    let mut out = format!(
        r#"<svg class="chart" id="{id}" role="img" aria-label="roster of {day}" viewBox="0 0 {w} {height}" width="{w}" height="{height}">"#,
        w = svg::WIDTH
    );
    let label = |out: &mut String, y: f64, text: &str| {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" class="tick">{}</text>"#,
            GANTT_LABELS - 6.0,
            y + row_h - 3.0,
            escape(text)
        );
    };
    for (k, sh) in shifts.iter().enumerate() {
        let y = y0 + k as f64 * row_h;
        let color = CHANNEL_COLORS[sh.channel % CHANNEL_COLORS.len()];
        let mut cuts: Vec<(u32, u32)> = sh.breaks.iter().map(|&(a, m, _)| (a, a + m)).collect();
        cuts.sort_unstable();
        let mut at = sh.start;
        let agent = &s.agents[sh.agent];
        // Ids as the CSV files write them; a single named agent also by name.
        let who = if agent.group == agent.id && agent.name != agent.id {
            format!("{} ({})", agent.id, agent.name)
        } else {
            agent.id.clone()
        };
        label(&mut out, y, &who);
        let _ = write!(
            out,
            "<g class=\"series\"><title>{} on {} {}–{}</title>",
            escape(&who),
            escape(s.channels[sh.channel].id.as_str()),
            clock(sh.start),
            clock(sh.end)
        );
        for (a, b) in cuts.into_iter().chain(std::iter::once((sh.end, sh.end))) {
            if a > at {
                let _ = write!(
                    out,
                    r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{color}"/>"#,
                    x(at),
                    y + 1.0,
                    x(a) - x(at),
                    row_h - 2.0
                );
            }
            at = at.max(b);
        }
        out.push_str("</g>");
    }
    for (k, b) in blocks.iter().enumerate() {
        let y = y0 + (shifts.len() + k) as f64 * row_h;
        let vendor = &s.vendors[b.vendor].name;
        let channel = s.channels[b.channel].id.as_str();
        label(
            &mut out,
            y,
            &format!("{vendor} · {channel} · {} heads", b.heads),
        );
        let _ = write!(
            out,
            r#"<rect class="series" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{ELASTIC}" stroke="{}" stroke-width="0.5"><title>{} {} heads on {} {}–{}</title></rect>"#,
            x(b.start),
            y + 1.0,
            x(b.end) - x(b.start),
            row_h - 2.0,
            CHANNEL_COLORS[b.channel % CHANNEL_COLORS.len()],
            escape(vendor),
            b.heads,
            escape(channel),
            clock(b.start),
            clock(b.end)
        );
    }
    let axis_y = y0 + rows as f64 * row_h + 6.0;
    let step = if to - from > 12 * 60 { 120 } else { 60 };
    let mut h = from;
    while h <= to {
        let xh = x(h);
        // The time axis at the bottom and along the top, so a long day reads without scrolling.
        let _ = write!(
            out,
            r##"<line x1="{xh:.1}" x2="{xh:.1}" y1="{y0}" y2="{axis_y:.1}" stroke="#ddd"/><text x="{xh:.1}" y="{:.1}" text-anchor="middle" class="tick">{}</text><text x="{xh:.1}" y="{:.1}" text-anchor="middle" class="tick">{}</text>"##,
            axis_y + 14.0,
            clock(h),
            y0 - 6.0,
            clock(h)
        );
        h += step;
    }
    out.push_str("</svg>");
    out
}

/// Every day's Gantt, the busiest shown and any other picked from a list (the report's own
/// script switches; without it the busiest day shows).
fn gantt_days(input: &ReportInput, busiest: NaiveDate) -> String {
    let days: std::collections::BTreeSet<NaiveDate> = input
        .roster
        .shifts
        .iter()
        .map(|x| x.date)
        .chain(input.roster.blocks.iter().map(|b| b.date))
        .collect();
    let mut out = String::from(r#"<p><label for="gantt-day">Day </label><select id="gantt-day">"#);
    for d in &days {
        let _ = write!(
            out,
            r#"<option value="{d}"{}>{} {d}{}</option>"#,
            if *d == busiest { " selected" } else { "" },
            d.format("%a"),
            if *d == busiest { " (busiest)" } else { "" }
        );
    }
    out.push_str("</select></p>");
    for d in &days {
        let id = if *d == busiest {
            "gantt".to_string()
        } else {
            format!("gantt-{d}")
        };
        let _ = write!(
            out,
            r#"<div class="gantt-day" data-day="{d}"{}>{}</div>"#,
            if *d == busiest { "" } else { " hidden" },
            gantt_chart(input, *d, &id)
        );
    }
    out.push_str("<script>document.getElementById('gantt-day').addEventListener('change',function(e){document.querySelectorAll('.gantt-day').forEach(function(g){g.hidden=g.dataset.day!==e.target.value;});});</script>");
    out
}

fn clock(minute: u32) -> String {
    crate::clock::Clock::of_day(minute).to_string()
}

/// Cost per source as horizontal bars.
fn cost_chart(summary: &RosterSummary, money: &dyn Fn(f64) -> String) -> String {
    let items = summary.cost.items();
    let max = items.iter().map(|i| i.1).fold(0.0, f64::max);
    let height = 24.0 + items.len() as f64 * 28.0;
    let mut out = format!(
        r#"<svg class="chart" id="cost" role="img" aria-label="cost breakdown" viewBox="0 0 {w} {height}" width="{w}" height="{height}">"#,
        w = svg::WIDTH
    );
    let scale = (svg::WIDTH - 320.0) / svg::nice_ceiling(max.max(1.0));
    for (k, (name, v)) in items.iter().enumerate() {
        let y = 12.0 + k as f64 * 28.0;
        let color = match *name {
            "core" => CORE,
            "overtime" => "#5d8fd0",
            _ => ELASTIC,
        };
        let _ = write!(
            out,
            r#"<text x="150" y="{:.1}" text-anchor="end" class="label">{}</text><rect class="series" x="160" y="{y:.1}" width="{:.1}" height="20" fill="{color}"/><text x="{:.1}" y="{:.1}" class="label">{}</text>"#,
            y + 15.0,
            escape(name),
            (v * scale).max(1.0),
            166.0 + v * scale,
            y + 15.0,
            money(*v)
        );
    }
    out.push_str("</svg>");
    out
}

/// The busiest local day of the horizon (most contacts over all channels).
pub fn busiest_day(input: &ReportInput) -> NaiveDate {
    let mut by_day: BTreeMap<NaiveDate, f64> = BTreeMap::new();
    for d in &input.roster.evaluation.days {
        *by_day.entry(d.date).or_default() += d.volume;
    }
    by_day
        .into_iter()
        .fold(None, |best: Option<(NaiveDate, f64)>, (d, v)| match best {
            Some((_, bv)) if bv >= v => best,
            _ => Some((d, v)),
        })
        .map_or(input.scenario.horizon.start, |(d, _)| d)
}

pub(crate) const STYLE: &str = ".gantt-day{max-height:720px;overflow-y:auto}body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 16px}\
h1{font-size:24px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}\
h3{font-size:15px;margin:18px 0 4px}.sub{color:#666}table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}\
td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}th{background:#f6f6f6}td:first-child,th:first-child{text-align:left}\
.miss{color:#c0392b;font-weight:600}.ok{color:#27ae60}.tick{font-size:11px;fill:#555}.label{font-size:13px;fill:#222}\
.legend span{margin-right:16px;font-size:12px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px}\
svg.chart{max-width:100%;height:auto}.kpi{display:flex;gap:24px;flex-wrap:wrap}.kpi div{background:#f6f8fb;padding:10px 14px;border-radius:6px}.kpi b{display:block;font-size:20px}";

pub(crate) const CHECK: &str = "(function(){var errors=[];window.addEventListener('error',function(e){errors.push(String(e.message));document.body.dataset.charts='error: '+errors.join('; ');});\
window.addEventListener('DOMContentLoaded',function(){var bad=[],over=[];document.querySelectorAll('svg.chart').forEach(function(s){if(s.closest('[hidden]')){return;}var r=s.getBBox();\
if(s.querySelectorAll('.series').length===0||r.width<=0||r.height<=0){bad.push(s.id);return;}\
var boxes=Array.prototype.map.call(s.querySelectorAll('.series'),function(e){return e.getBoundingClientRect();});\
s.querySelectorAll('text').forEach(function(t){var a=t.getBoundingClientRect();if(boxes.some(function(b){\
return Math.min(a.right,b.right)-Math.max(a.left,b.left)>1&&Math.min(a.bottom,b.bottom)-Math.max(a.top,b.top)>1;})){over.push(s.id+': '+t.textContent);}});});\
document.body.dataset.charts=errors.length?'error: '+errors.join('; '):(bad.length?'empty: '+bad.join(','):(over.length?'label over the points: '+over.join('; '):'ok '+document.querySelectorAll('svg.chart').length));});})();";

/// The whole report as one HTML document.
pub fn render(input: &ReportInput) -> String {
    let s = input.scenario;
    let unit = s
        .currency
        .as_ref()
        .map_or(String::new(), |c| format!(" ({c})"));
    let money = |v: f64| match &s.currency {
        Some(c) => format!("{} {c}", thousands(v)),
        None => thousands(v),
    };
    let sum = input.summary;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} — peakplan</title><style>{STYLE}</style><script>{CHECK}</script></head><body>",
        escape(&s.name)
    );
    let _ = write!(
        h,
        "<h1>{}</h1><p class=\"sub\">{} to {} · {} · {}-minute intervals · the roster costs at most {:.1}% more than the cheapest roster that could hold the targets</p><p class=\"sub\">Solver: {} mode, status {}, lower bound {}, gap {:.2}%.</p>",
        escape(&s.name),
        s.horizon.start,
        s.horizon.end,
        s.time_zone.name(),
        input.grid.length().minutes(),
        sum.gap * 100.0,
        sum.mode.name(),
        sum.status.name(),
        money(sum.lower_bound),
        sum.gap * 100.0
    );
    let _ = write!(
        h,
        "<div class=\"kpi\"><div>total cost{unit}<b>{}</b></div><div>paid hours<b>{} h</b></div><div>cheapest possible, at least{unit}<b>{}</b></div><div>agents rostered<b>{}</b></div><div>vendor blocks<b>{}</b></div></div>",
        thousands(sum.cost_total),
        thousands(sum.paid_hours.total),
        thousands(sum.lower_bound),
        sum.agents_rostered,
        sum.vendor_blocks
    );

    h.push_str("<h2>Forecast</h2><p>Daily contacts: the last six weeks of history, the forecast over the peak with its p10–p90 band, and the promotion window shaded; under each, the promotion's last past occurrence as it happened beside this year's forecast, by day from its start (what the uplift was learned from).</p>");
    let _ = write!(
        h,
        "<p class=\"sub\">{}</p>",
        if input.forecast_days.is_some() {
            "The band of each day comes from the day-level error of the forecast's backtest."
        } else {
            "The forecast was given as a file: each day's band is its intervals' quantiles summed, which overstates it."
        }
    );
    h.push_str(&legend(&[
        (HISTORY, "history"),
        (CORE, "forecast (p10–p90 band)"),
        (ELASTIC, "event window"),
    ]));
    for c in 0..s.channels.len() {
        let _ = write!(h, "<h3>{}</h3>", escape(s.channels[c].id.as_str()));
        h.push_str(&forecast_chart(input, c));
    }

    h.push_str("<h2>Required and scheduled agents</h2><p>Agents on shift per interval (breaks taken out): core and vendor heads stacked, against the agents staffing requires.</p>");
    h.push_str(&legend(&[
        (CORE, "core"),
        (ELASTIC, "elastic (vendors)"),
        (REQUIRED, "required"),
    ]));
    for c in 0..s.channels.len() {
        let _ = write!(h, "<h3>{}</h3>", escape(s.channels[c].id.as_str()));
        h.push_str(&coverage_chart(input, c));
    }

    h.push_str("<h2>Service level</h2><p>Per day: projected by the queueing engine, and simulated with its 95% confidence interval, against the target.</p>");
    h.push_str(&legend(&[
        (CORE, "projected"),
        (SIMULATED, "simulated (95% CI)"),
        (REQUIRED, "target"),
    ]));
    for c in 0..s.channels.len() {
        let _ = write!(
            h,
            "<h3>{} — target {}</h3>",
            escape(s.channels[c].id.as_str()),
            escape(&s.channels[c].target.describe())
        );
        h.push_str(&service_chart(input, c));
    }
    h.push_str(&service_table(input));

    h.push_str("<h2>Where the plan is short</h2><p>Projected service per interval (rows are days, columns the hours of the day): green at or above the target, amber between the interval floor and the target, red below the floor; hover for the figure. Below: abandonment and occupancy per day against their caps, idle paid hours, and why each day below target falls short.</p>");
    h.push_str(&legend(&[
        (HEAT_OK, "at or above target"),
        (HEAT_SHORT, "below target"),
        (HEAT_FLOOR, "below the floor"),
    ]));
    for c in 0..s.channels.len() {
        if s.channels[c].kind.queue_model().is_none() {
            continue;
        }
        let _ = write!(
            h,
            "<h3>{} — target {}</h3>",
            escape(s.channels[c].id.as_str()),
            escape(&s.channels[c].target.describe())
        );
        h.push_str(&heat_map(input, c));
    }
    h.push_str(&caps_table(input));

    let day = busiest_day(input);
    let _ = write!(
        h,
        "<h2>Roster by day</h2><p>The busiest day, {day}, first; pick any day of the horizon. One row per core shift with the agent's id, coloured by channel, breaks as gaps; vendor blocks below in orange with their heads (hover for the times).</p>"
    );
    let names: Vec<(&str, &str)> = s
        .channels
        .iter()
        .enumerate()
        .map(|(c, ch)| (CHANNEL_COLORS[c % CHANNEL_COLORS.len()], ch.id.as_str()))
        .collect();
    h.push_str(&legend(&names));
    h.push_str(&gantt_days(input, day));

    h.push_str("<h2>Cost</h2>");
    h.push_str(&cost_chart(sum, &money));
    h.push_str("<h2>Files</h2><ul>");
    for vendor in &s.vendors {
        let file = crate::export::vendor_file_name(&vendor.id);
        let _ = write!(
            h,
            "<li><a href=\"{}\">{}</a> — plan for {}</li>",
            escape(&file),
            escape(&file),
            escape(&vendor.name)
        );
    }
    h.push_str("<li><a href=\"roster.csv\">roster.csv</a> — every core shift</li><li><a href=\"summary.json\">summary.json</a> — the figures of this page</li><li><a href=\"coverage.csv\">coverage.csv</a> — per interval</li></ul>");
    h.push_str("</body></html>\n");
    h
}

const HEAT_OK: &str = "#27ae60";
const HEAT_SHORT: &str = "#f0a030";
const HEAT_FLOOR: &str = "#c0392b";

/// Days × intervals of one live channel, coloured by projected service against the target and the
/// interval floor.
fn heat_map(input: &ReportInput, c: usize) -> String {
    let grid = input.grid;
    let e = &input.roster.evaluation;
    let target = input.scenario.channels[c].target.share();
    let floor = input.roster.interval_floor;
    let step = grid.length().minutes();
    let per_day = (24 * 60 / step) as usize;
    let days: Vec<NaiveDate> = input.scenario.horizon.days().collect();
    let (left, cell_w, cell_h, top) = (90.0, 880.0 / per_day as f64, 14.0, 18.0);
    let height = top + cell_h * days.len() as f64 + 4.0;
    let mut out = format!(
        "<svg class=\"chart\" id=\"heat-{c}\" viewBox=\"0 0 980 {height}\" width=\"100%\" role=\"img\"><title>projected service per interval</title>"
    );
    // The labels stand outside the cells' group, left of and above the cells.
    let mut cells = String::from("<g class=\"series\">");
    for hour in (0..24).step_by(3) {
        let x = left + f64::from(hour * 60 / step) * cell_w;
        let _ = write!(
            out,
            "<text class=\"tick\" x=\"{x:.1}\" y=\"12\">{hour:02}:00</text>"
        );
    }
    for (row, day) in days.iter().enumerate() {
        let y = top + row as f64 * cell_h;
        let _ = write!(
            out,
            "<text class=\"tick\" x=\"0\" y=\"{:.1}\">{day}</text>",
            y + cell_h - 3.0
        );
        for i in (0..grid.len()).filter(|&i| grid.local_clock(i).date == *day) {
            let Some(sl) = e.projected[c][i] else {
                continue;
            };
            let minute = grid.local_clock(i).minute_of_day;
            let color = if sl + 1e-9 >= target {
                HEAT_OK
            } else if sl + 1e-9 >= floor {
                HEAT_SHORT
            } else {
                HEAT_FLOOR
            };
            let x = left + f64::from(minute / step) * cell_w;
            let _ = write!(
                cells,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{color}\"><title>{day} {}: {:.1}% (target {:.0}%)</title></rect>",
                cell_w - 0.5,
                cell_h - 1.0,
                crate::clock::Clock::from_minutes(minute),
                sl * 100.0,
                target * 100.0
            );
        }
    }
    out.push_str(&cells);
    out.push_str("</g></svg>");
    out
}

/// Per channel-day: abandonment and occupancy against their caps, every part of the target, the
/// cause of a shortfall; then idle paid hours per channel.
fn caps_table(input: &ReportInput) -> String {
    let sum = input.summary;
    let cell = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{:.1}%", v * 100.0));
    let mark = |ok: Option<bool>| match ok {
        Some(false) => " class=\"miss\"",
        Some(true) => " class=\"ok\"",
        None => "",
    };
    let mut t = String::from(
        "<table><tr><th>channel</th><th>day</th><th>share in time</th><th>abandoned</th><th>cap</th><th>occupancy</th><th>cap</th><th>every part</th></tr>",
    );
    for d in sum.service.iter().filter(|d| d.volume > 0.0) {
        let _ = write!(
            t,
            "<tr><td>{}</td><td>{}</td><td{}>{}</td><td{}>{}</td><td>{}</td><td{}>{}</td><td>{}</td><td{}>{}</td></tr>",
            escape(&d.channel),
            d.date,
            mark(d.meets_service_level),
            cell(d.projected_service_level),
            mark(d.meets_abandon),
            cell(d.projected_abandon_rate),
            cell(d.max_abandon),
            mark(d.meets_occupancy),
            cell(d.projected_occupancy),
            cell(d.max_occupancy),
            mark(d.meets_target),
            match d.meets_target {
                Some(true) => "met",
                Some(false) => "short",
                None => "—",
            }
        );
    }
    t.push_str("</table>");
    if !sum.shortfalls.is_empty() {
        t.push_str("<ul>");
        for f in &sum.shortfalls {
            let _ = write!(
                t,
                "<li class=\"miss\">{} {} ({}): {}. Fix: {}.</li>",
                escape(&f.channel),
                f.date,
                escape(&f.missed.join(", ")),
                escape(&f.cause),
                escape(&f.fix)
            );
        }
        t.push_str("</ul>");
    }
    t.push_str("<table><tr><th>channel</th><th>idle paid hours (closed)</th><th>core</th><th>vendor</th></tr>");
    for d in &sum.idle_paid_hours {
        let _ = write!(
            t,
            "<tr><td>{}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td></tr>",
            escape(&d.channel),
            d.core_hours + d.vendor_hours,
            d.core_hours,
            d.vendor_hours
        );
    }
    t.push_str("</table>");
    t
}

fn service_table(input: &ReportInput) -> String {
    let mut t = String::from(
        "<table><tr><th>channel</th><th>day</th><th>volume</th><th>core h</th><th>elastic h</th><th>projected</th><th>simulated (95% CI)</th><th>target</th><th>abandoned (sim.)</th></tr>",
    );
    for d in &input.roster.evaluation.days {
        let sim = input
            .simulation
            .and_then(|r| r.channels.iter().find(|x| x.channel == d.channel))
            .and_then(|x| x.days.iter().find(|y| y.date == d.date));
        let sim_sl = sim.and_then(|x| x.stats.service_level);
        let sim_ab = sim.and_then(|x| x.stats.abandon_rate);
        let cell = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{:.1}%", v * 100.0));
        let class = |v: Option<f64>| match v {
            Some(v) if v + 1e-9 < d.target => " class=\"miss\"",
            Some(_) => " class=\"ok\"",
            None => "",
        };
        let _ = write!(
            t,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td{}>{}</td><td{}>{}</td><td>{:.0}%</td><td>{}</td></tr>",
            escape(&d.channel),
            d.date,
            thousands(d.volume),
            thousands(d.core_hours),
            thousands(d.elastic_hours),
            class(d.projected_service_level),
            cell(d.projected_service_level),
            class(sim_sl.map(|e| e.mean)),
            sim_sl.map_or("—".into(), |e| format!(
                "{:.1}% ± {:.1}",
                e.mean * 100.0,
                e.ci95.unwrap_or(0.0) * 100.0
            )),
            d.target * 100.0,
            cell(sim_ab.map(|e| e.mean))
        );
    }
    t.push_str("</table>");
    t
}
