//! The capacity report: one self-contained HTML file with SVG charts — per channel and week the
//! required hours (p50 and p90) against the hours served, stacked by source (core, overtime, new
//! hires, vendors), the weeks below the reliability target shaded; headcount over time by group and
//! class; and the decision calendar (what must be decided by when) with the cost split.

use super::svg::{Frame, escape, legend, thousands};
use super::{CHECK, STYLE};
use crate::capacity::{ChannelWeek, SeatDecision, Solution};
use std::fmt::Write;

const CORE: &str = "#2f6db5";
const OVERTIME: &str = "#8e44ad";
const HIRES: &str = "#16a085";
const VENDORS: &str = "#f0a030";
const REQUIRED: &str = "#c0392b";
const SHORT: &str = "#c0392b";
/// One colour per core group and class in the headcount chart and its legend.
const HEADCOUNT: [&str; 8] = [
    "#2f6db5", "#5b8fd0", "#8db3e2", "#16a085", "#48c9b0", "#7f8c8d", "#d35400", "#c0392b",
];

/// What the report is about, for its heading.
pub struct CapacityReportInput<'a> {
    pub name: &'a str,
    pub plan_date: chrono::NaiveDate,
    pub reliability: f64,
    /// ISO 4217 code of the costs, when the scenario gives one.
    pub currency: Option<&'a str>,
    pub solution: &'a Solution,
}

fn week_ticks(f: &Frame, weeks: &[chrono::NaiveDate]) -> String {
    let step = weeks.len().div_ceil(12).max(1);
    let mut out = String::new();
    for (w, week) in weeks.iter().enumerate().step_by(step) {
        out.push_str(&f.x_tick(w as f64 + 0.5, &week.format("%d %b").to_string()));
    }
    out
}

/// The hours of one source in a channel-week.
type Source = fn(&ChannelWeek) -> f64;

fn channel_chart(channel: &str, rows: &[&ChannelWeek], weeks: &[chrono::NaiveDate]) -> String {
    let n = rows.len();
    let y_max = rows
        .iter()
        .map(|r| {
            r.required_p90.max(
                r.core_hours
                    + r.overtime_hours
                    + r.hire_hours
                    + r.vendor_hours.iter().map(|(_, h)| h).sum::<f64>(),
            )
        })
        .fold(0.0, f64::max);
    let f = Frame::new(260.0, 0.0, n as f64, y_max * 1.05);
    let mut out = f.open(
        &format!("capacity-{channel}"),
        &format!("{channel}: required paid hours against hours served by source, per week"),
        thousands,
    );
    out.push_str(&f.axis_titles("paid hours per week", "week (Monday)"));
    for (w, r) in rows.iter().enumerate() {
        if !r.reliable {
            out.push_str(&f.shade(w as f64, w as f64 + 1.0, SHORT, "short"));
        }
    }
    let mut base = vec![0.0; n];
    let layers: [(&str, Source); 4] = [
        (CORE, |r| r.core_hours),
        (OVERTIME, |r| r.overtime_hours),
        (HIRES, |r| r.hire_hours),
        (VENDORS, |r| r.vendor_hours.iter().map(|(_, h)| h).sum()),
    ];
    for (color, value) in &layers {
        let mut points = Vec::new();
        for (w, r) in rows.iter().enumerate() {
            let top = base[w] + value(r);
            points.push((w as f64 + 0.1, base[w], top));
            points.push((w as f64 + 0.9, base[w], top));
            base[w] = top;
        }
        out.push_str(
            &f.band(&points, color)
                .replace("fill-opacity=\"0.25\"", "fill-opacity=\"0.75\""),
        );
    }
    let p50: Vec<(f64, f64)> = rows
        .iter()
        .enumerate()
        .map(|(w, r)| (w as f64 + 0.5, r.required_p50))
        .collect();
    let p90: Vec<(f64, f64)> = rows
        .iter()
        .enumerate()
        .map(|(w, r)| (w as f64 + 0.5, r.required_p90))
        .collect();
    out.push_str(&f.polyline(&p50, REQUIRED, 1.6, false));
    out.push_str(&f.polyline(&p90, REQUIRED, 1.2, true));
    for (w, r) in rows.iter().enumerate() {
        out.push_str(&f.dot(
            w as f64 + 0.5,
            r.required_p50,
            REQUIRED,
            &format!(
                "week of {}: required {:.0} h (p90 {:.0}), served {:.0} h, shortfall in {:.0}% of scenarios",
                r.week,
                r.required_p50,
                r.required_p90,
                base[w],
                r.p_shortfall * 100.0
            ),
        ));
    }
    out.push_str(&week_ticks(&f, weeks));
    out.push_str("</svg>");
    out
}

fn headcount_chart(s: &Solution) -> String {
    let n = s.weeks.len();
    let y_max = (0..n)
        .map(|w| s.headcount.iter().map(|(_, h)| h[w]).sum::<f64>())
        .fold(0.0, f64::max);
    let f = Frame::new(240.0, 0.0, n as f64, y_max * 1.05);
    let mut out = f.open(
        "headcount",
        "expected heads per week, by group and class",
        |v| format!("{v:.0}"),
    );
    out.push_str(&f.axis_titles("heads", "week (Monday)"));
    let mut base = vec![0.0; n];
    for (i, (_, heads)) in s.headcount.iter().enumerate() {
        let mut points = Vec::new();
        for w in 0..n {
            let top = base[w] + heads[w];
            points.push((w as f64 + 0.5, base[w], top));
            base[w] = top;
        }
        out.push_str(
            &f.band(&points, HEADCOUNT[i % HEADCOUNT.len()])
                .replace("fill-opacity=\"0.25\"", "fill-opacity=\"0.7\""),
        );
    }
    out.push_str(&week_ticks(&f, &s.weeks));
    out.push_str("</svg>");
    out
}

/// The report's HTML.
pub fn render(input: &CapacityReportInput) -> String {
    let s = input.solution;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Capacity plan — {} — peakplan</title><style>{STYLE}.warn{{background:#fdecea;border-left:4px solid #c0392b;padding:8px 14px;margin:12px 0}}table{{border-collapse:collapse}}td,th{{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}}</style><script>{CHECK}</script></head><body>",
        escape(input.name)
    );
    let _ = write!(
        h,
        "<h1>Capacity plan: {}</h1><p class=\"sub\">planned on {} · {} weeks from {} · {} forecast scenarios · each channel and week met in at least {:.0}% of them · the plan costs at most {:.2}% more than the cheapest plan that could</p>",
        escape(input.name),
        input.plan_date,
        s.weeks.len(),
        s.weeks[0],
        s.scenarios,
        input.reliability * 100.0,
        s.gap * 100.0
    );
    let c = &s.cost;
    let unit = input.currency.map_or(String::new(), |c| format!(" ({c})"));
    let _ = write!(
        h,
        "<div class=\"kpi\"><div>expected cost{unit}<b>{}</b></div><div>cheapest possible, at least{unit}<b>{}</b></div><div>core team{unit}<b>{}</b></div><div>hires{unit}<b>{}</b></div><div>overtime{unit}<b>{}</b></div><div>vendors{unit}<b>{}</b></div><div>shortfall{unit}<b>{}</b></div></div>",
        thousands(c.total),
        thousands(s.lower_bound),
        thousands(c.core),
        thousands(c.hires),
        thousands(c.overtime),
        thousands(c.vendors),
        thousands(c.shortfall)
    );
    if !s.unreachable.is_empty() {
        h.push_str("<div class=\"warn\"><b>The reliability target cannot be met</b> with the capacity on offer in:<ul>");
        for (channel, week, hours) in &s.unreachable {
            let _ = write!(
                h,
                "<li>{} in the week of {week}: up to {hours:.1} hours short in a scenario that must be met — raise class sizes, vendor maxima or overtime, or start earlier</li>",
                escape(channel)
            );
        }
        h.push_str("</ul></div>");
    }
    h.push_str("<h2>Required against served, by week</h2><p>Required paid hours (the median scenario, and p90 dashed) against the hours served in an average scenario, stacked by source. Weeks below the reliability target are shaded.</p>");
    h.push_str(&legend(&[
        (CORE, "core team"),
        (OVERTIME, "overtime"),
        (HIRES, "new hires"),
        (VENDORS, "vendors"),
        (REQUIRED, "required (p50, p90 dashed)"),
    ]));
    let mut channels: Vec<&str> = Vec::new();
    for cw in &s.channel_weeks {
        if !channels.contains(&cw.channel.as_str()) {
            channels.push(&cw.channel);
        }
    }
    for channel in &channels {
        let rows: Vec<&ChannelWeek> = s
            .channel_weeks
            .iter()
            .filter(|c| c.channel == *channel)
            .collect();
        let _ = write!(h, "<h3>{}</h3>", escape(channel));
        h.push_str(&channel_chart(channel, &rows, &s.weeks));
    }
    h.push_str("<h2>Headcount</h2><p>Expected heads per week: the core groups after attrition, and the hires of each class (firm and indicative) as they join and leave.</p>");
    let names: Vec<(&str, &str)> = s
        .headcount
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (HEADCOUNT[i % HEADCOUNT.len()], name.as_str()))
        .collect();
    h.push_str(&legend(&names));
    h.push_str(&headcount_chart(s));

    h.push_str("<h2>Decision calendar</h2><p>What must be decided by when: recruiting for each class, notice for each contract's seats. Firm decisions are the same in every scenario; open ones are decided later, as the forecast firms up (their figures are the average over scenarios).</p>");
    h.push_str("<table><thead><tr><th>decide by</th><th>what</th><th>for the week of</th><th>size</th><th>decision</th></tr></thead><tbody>");
    let mut rows: Vec<(chrono::NaiveDate, String, chrono::NaiveDate, String, &str)> = Vec::new();
    for class in &s.classes {
        rows.push((
            class.decide_by,
            format!(
                "recruit class {} (productive from {})",
                class.class, class.productive_from
            ),
            class.start,
            if class.firm {
                format!("{:.0} hires", class.size)
            } else {
                format!(
                    "{:.1} hires ({:.0}% of scenarios)",
                    class.size,
                    class.share_of_scenarios * 100.0
                )
            },
            if class.firm { "firm" } else { "indicative" },
        ));
    }
    for seat in &s.seats {
        if seat.decision == SeatDecision::InNotice || seat.seats_max <= 0.0 {
            continue;
        }
        rows.push((
            seat.decide_by,
            format!("seats of {} on {}", seat.vendor, seat.channel),
            seat.week,
            if seat.decision == SeatDecision::Firm {
                format!("{:.0}", seat.seats)
            } else {
                format!("{:.1} (up to {:.0})", seat.seats, seat.seats_max)
            },
            if seat.decision == SeatDecision::Firm {
                "firm"
            } else {
                "open"
            },
        ));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.cmp(&b.2)).then(a.1.cmp(&b.1)));
    for (by, what, week, size, decision) in rows {
        let _ = write!(
            h,
            "<tr><td>{by}</td><td>{}</td><td>{week}</td><td>{}</td><td>{decision}</td></tr>",
            escape(&what),
            escape(&size)
        );
    }
    h.push_str("</tbody></table></body></html>\n");
    h
}
