//! The supervisor's day: the live roster of one day — required against scheduled agents and the
//! projected service per interval as a heat map, the Gantt of shifts, breaks and vendor blocks —
//! and the edits of the day, each previewed (the projected service before and after) and then
//! confirmed on the version it was previewed on.

use super::layout::{self, csrf, pct};
use super::session::Visitor;
use super::{Form, WebError, WebResult, html};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::extract::{Editors, Feed, Params, Readers};
use crate::api::supervisor::{self as api, Day, DayRoster};
use crate::clock::Clock;
use crate::live::LiveView;
use crate::live::edit::{Edit, Impact, local};
use crate::live::reforecast::{Actual, Actuals};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
pub struct DayQuery {
    date: Option<String>,
    /// Agents whose name, id or group contains this.
    q: Option<String>,
    /// The version an edit was just saved as.
    saved: Option<i64>,
}

/// The day a page shows: the one asked for, else today in the roster's time zone when the
/// roster covers it, else the roster's first day.
fn chosen_day(view: &LiveView, asked: Option<&str>) -> WebResult<NaiveDate> {
    let plan = &view.plan;
    let date = match asked.filter(|d| !d.is_empty()) {
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            ApiError::invalid(
                "date",
                format!("expected a day such as 2026-11-11, got {text:?}"),
            )
        })?,
        None => {
            let today = Utc::now().with_timezone(&plan.tz()).date_naive();
            if plan.check_date("date", today).is_ok() {
                today
            } else {
                plan.first_day()
            }
        }
    };
    plan.check_date("date", date).map_err(ApiError::from)?;
    Ok(date)
}

pub async fn day(
    State(state): State<AppState>,
    visitor: Visitor<Readers>,
    Query(q): Query<DayQuery>,
) -> WebResult<Response> {
    let (version, view) = state.live().await?;
    let date = chosen_day(&view, q.date.as_deref())?;
    let roster = api::day_roster(
        version,
        &view,
        &Day {
            date,
            channel: None,
        },
    )?;
    let saved = match q.saved {
        Some(v) => state.store.version_meta(v).await?.map(|m| (v, m.reason)),
        None => None,
    };
    let body = day_body(&view, &roster, &visitor.session, q.q.as_deref(), saved);
    Ok(html(layout::page(
        &visitor.session,
        &format!("Today · {date}"),
        "/app/day",
        body,
    )))
}

/// Minutes from `origin` to `t`.
fn minutes(origin: DateTime<Utc>, t: DateTime<Utc>) -> i64 {
    (t - origin).num_minutes()
}

fn day_body(
    view: &LiveView,
    roster: &DayRoster,
    session: &super::session::Session,
    search: Option<&str>,
    saved: Option<(i64, String)>,
) -> Markup {
    let plan = &view.plan;
    let date = roster.date;
    let version = roster.version;
    html! {
        section.toolbar aria-label="Day" {
            form method="get" action="/app/day" {
                label for="date" { "Day" }
                input #date type="date" name="date" value=(date.to_string())
                    min=(plan.first_day().to_string()) max=(plan.last_day().to_string());
                label for="search" { "Agent" }
                input #search type="search" name="q" value=(search.unwrap_or(""))
                    placeholder="name, id or group" data-filter="#gantt .row";
                button type="submit" { "Show" }
            }
            nav.days aria-label="Days of the roster" {
                @for d in days(plan.first_day(), plan.last_day()) {
                    @if d == date {
                        a href={"/app/day?date=" (d)} aria-current="date" { (d.format("%a %d %b")) }
                    } @else {
                        a href={"/app/day?date=" (d)} { (d.format("%a %d %b")) }
                    }
                }
            }
        }
        @if let Some((v, reason)) = saved {
            p.notice role="status" { "Saved as version " (v) ": " (reason) "." }
        }
        div #live data-version=(version) data-date=(date.to_string()) {
            p.meta { "Live roster, version " strong #version { (version) } " · time zone " (plan.time_zone.name())
                span #live-note role="status" {} }
            (service_summary(roster))
            (heat_map(view, date))
            (gantt(view, roster, search))
        }
        (edit_forms(view, roster, session))
        (reforecast_form(roster, session))
    }
}

fn days(first: NaiveDate, last: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    first.iter_days().take_while(move |d| *d <= last)
}

fn service_summary(roster: &DayRoster) -> Markup {
    html! {
        table.summary {
            caption { "Projected service of the day" }
            thead { tr { th scope="col" { "Channel" } th scope="col" { "Volume" } th scope="col" { "Service" }
                th scope="col" { "Target" } th scope="col" { "Intervals below target" } } }
            tbody {
                @for s in &roster.service {
                    @let short = s.intervals_below_target > 0;
                    tr class=[short.then_some("short")] {
                        th scope="row" { (s.channel) }
                        td.num { (format!("{:.0}", s.volume)) }
                        td.num { (pct(s.service_level)) }
                        td.num { (pct(Some(s.target))) }
                        td.num { (s.intervals_below_target) }
                    }
                }
            }
        }
    }
}

/// Per channel and interval: the projected service against the target, and scheduled agents
/// against those required; short intervals stand out.
fn heat_map(view: &LiveView, date: NaiveDate) -> Markup {
    let plan = &view.plan;
    let tz = plan.tz();
    let day = plan.day_intervals(date);
    let hours: Vec<(String, usize)> = {
        let mut hours: Vec<(String, usize)> = Vec::new();
        for i in day.clone() {
            let label = plan
                .interval_start(i)
                .with_timezone(&tz)
                .format("%H")
                .to_string();
            match hours.last_mut() {
                Some((l, n)) if *l == label => *n += 1,
                _ => hours.push((label, 1)),
            }
        }
        hours
    };
    html! {
        div.scroll {
            table.heat {
                caption { "Service and agents per interval (hover or focus a cell for its figures)" }
                thead { tr { th scope="col" { "Channel" }
                    @for (h, n) in &hours { th scope="col" colspan=(n) { (h) } } } }
                tbody {
                    @for (c, ch) in plan.channels.iter().enumerate() {
                        tr {
                            th scope="row" { (ch.id) " service" }
                            @for i in day.clone() {
                                @let d = &ch.demand[i];
                                @let p = &view.projection[c][i];
                                @let at = plan.interval_start(i).with_timezone(&tz).format("%H:%M").to_string();
                                @let class = service_class(d.open, p.service_level, ch.target.share());
                                td class=(class) title=(format!("{} {at}: service {} (target {}), {} required, {:.1} scheduled",
                                        ch.id, pct(p.service_level), pct(Some(ch.target.share())), d.required, p.core + p.elastic)) {}
                            }
                        }
                        tr.gap {
                            th scope="row" { (ch.id) " agents − required" }
                            @for i in day.clone() {
                                @let d = &ch.demand[i];
                                @let p = &view.projection[c][i];
                                @let gap = (p.core + p.elastic).round() as i64 - i64::from(d.required);
                                td class=(if !d.open { "closed" } else if gap < 0 { "under" } else { "" }) {
                                    @if d.open && gap != 0 { (gap) }
                                }
                            }
                        }
                    }
                }
            }
            p.legend { span.swatch.ok {} "at or above target " span.swatch.near {} "within 5 points below "
                span.swatch.short {} "more than 5 points below " span.swatch.closed {} "closed" }
        }
    }
}

fn service_class(open: bool, service: Option<f64>, target: f64) -> &'static str {
    match service {
        _ if !open => "closed",
        None => "closed",
        Some(s) if s + 1e-9 >= target => "ok",
        Some(s) if s + 0.05 >= target => "near",
        Some(_) => "short",
    }
}

/// The Gantt of the day: one row per shift, grouped by channel and group, then the vendor blocks.
fn gantt(view: &LiveView, roster: &DayRoster, search: Option<&str>) -> Markup {
    let plan = &view.plan;
    let tz = plan.tz();
    let origin = crate::time_grid::local_midnight(tz, roster.date);
    let day_shifts: Vec<_> = plan
        .shifts
        .iter()
        .filter(|s| s.date == roster.date)
        .collect();
    let day_blocks: Vec<_> = plan
        .blocks
        .iter()
        .filter(|b| b.date == roster.date)
        .collect();
    let end = day_shifts
        .iter()
        .map(|s| s.end)
        .chain(day_blocks.iter().map(|b| b.end))
        .max()
        .unwrap_or(origin)
        .max(origin + Duration::days(1));
    // Whole hours, so that the hour labels (one equal cell per hour) line up with the bars.
    let span = (minutes(origin, end).max(60) + 59) / 60 * 60;
    let needle = search.map(str::to_lowercase).filter(|s| !s.is_empty());
    let agents: BTreeMap<&str, &crate::live::LiveAgent> =
        plan.agents.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut groups: BTreeMap<(&str, &str), Vec<&crate::live::LiveShift>> = BTreeMap::new();
    for s in &day_shifts {
        let group = agents
            .get(s.agent.as_str())
            .map_or("", |a| a.group.as_str());
        groups
            .entry((s.channel.as_str(), group))
            .or_default()
            .push(s);
    }
    let hours: Vec<i64> = (0..span / 60).collect();
    html! {
        section #gantt aria-label="Shifts of the day" {
            h2 { "Shifts" span.count { " (" (day_shifts.len()) " shifts, " (day_blocks.len()) " vendor blocks)" } }
            div.rows {
                div.row.axis aria-hidden="true" {
                    span.label {}
                    div.hours { @for h in &hours { span { (format!("{:02}", h % 24)) } } }
                }
                @for ((channel, group), shifts) in &groups {
                    h3 { (channel) " · " (if group.is_empty() { "no group" } else { group }) " (" (shifts.len()) ")" }
                    @for s in shifts {
                        @let agent = agents.get(s.agent.as_str());
                        @let name = agent.map_or(s.agent.as_str(), |a| a.name.as_str());
                        @let key = format!("{} {} {}", name, s.agent, group).to_lowercase();
                        @let hidden = needle.as_ref().is_some_and(|n| !key.contains(n.as_str()));
                        div.row data-search=(key) data-agent=(s.agent) hidden[hidden] {
                            span.label { (name) " " span.id { (s.agent) } }
                            svg viewBox={"0 0 " (span) " 10"} preserveAspectRatio="none" role="img"
                                aria-label=(format!("{name}: {}–{}", local(tz, s.start), local(tz, s.end))) {
                                title { (format!("{name} ({}) on {}: {}–{}{}{}", s.agent, s.channel,
                                    local(tz, s.start), local(tz, s.end),
                                    if s.overtime { ", overtime" } else { "" },
                                    s.absent_from.map(|a| format!(", absent from {}", local(tz, a))).unwrap_or_default())) }
                                rect class=(if s.overtime { "shift overtime" } else { "shift" })
                                    x=(minutes(origin, s.start)) y="1" width=(minutes(s.start, s.end)) height="8" {}
                                @for b in &s.breaks {
                                    rect.brk x=(minutes(origin, b.start)) y="1" width=(minutes(b.start, b.end)) height="8" {}
                                }
                                @if let Some(a) = s.absent_from {
                                    rect.absent x=(minutes(origin, a)) y="1" width=(minutes(a, s.end).max(0)) height="8" {}
                                }
                            }
                        }
                    }
                }
                @if !day_blocks.is_empty() {
                    h3 { "Vendor blocks" }
                    @for b in &day_blocks {
                        @let label = format!("{} · {} · {} heads{}", b.vendor, b.channel, b.heads,
                            b.committed.map(|c| format!(" (committed {c})")).unwrap_or_default());
                        @let key = label.to_lowercase();
                        @let short = b.committed.is_some_and(|c| c < b.heads);
                        div.row.block data-search=(key) hidden[needle.as_ref().is_some_and(|n| !key.contains(n.as_str()))] {
                            span.label { (label) }
                            svg viewBox={"0 0 " (span) " 10"} preserveAspectRatio="none" role="img"
                                aria-label=(format!("{label}: {}–{}", local(tz, b.start), local(tz, b.end))) {
                                title { (format!("{label}: {}–{}", local(tz, b.start), local(tz, b.end))) }
                                rect class=(if short { "vendor short" } else { "vendor" })
                                    x=(minutes(origin, b.start)) y="1" width=(minutes(b.start, b.end)) height="8" {}
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The edits of the day, each to be previewed before it is stored.
fn edit_forms(view: &LiveView, roster: &DayRoster, session: &super::session::Session) -> Markup {
    let plan = &view.plan;
    let date = roster.date.to_string();
    let on_shift: Vec<&str> = {
        let mut ids: Vec<&str> = roster.shifts.iter().map(|s| s.agent.as_str()).collect();
        ids.dedup();
        ids
    };
    // One edit: its fields, and what every edit form carries (the kind, the day, the version
    // the page shows), posted for a preview.
    let edit_form = |title: &str, kind: &str, fields: Markup| {
        html! {
            form method="post" action="/app/day/preview" {
                h3 { (title) }
                (csrf(session))
                input type="hidden" name="kind" value=(kind);
                input type="hidden" name="date" value=(date);
                input type="hidden" name="version" value=(roster.version) data-live-version;
                (fields)
                button type="submit" { "Preview" }
            }
        }
    };
    let channel_select = |id: &str| {
        html! {
            label for=(id) { "Channel" }
            select id=(id) name="channel" required {
                @for c in &plan.channels { option value=(c.id) { (c.id) } }
            }
        }
    };
    html! {
        section.edits aria-label="Adjust the roster" {
            h2 { "Adjust the roster" }
            p.hint { "Each change shows the projected service before and after; nothing is stored until you confirm." }
            datalist #on-shift { @for a in &on_shift { option value=(a) {} } }
            datalist #all-agents { @for a in &plan.agents { option value=(a.id) { (a.name) } } }
            div.forms {
                (edit_form("Mark an absence", "absence", html! {
                    (agent_field("abs-agent", "on-shift"))
                    (time_field("abs-from", "from", "From (empty: the whole shift)", false))
                }))
                (edit_form("Extend or shorten a shift", "change_shift", html! {
                    (agent_field("chg-agent", "on-shift"))
                    (time_field("chg-start", "start", "New start", false))
                    (time_field("chg-end", "end", "New end", false))
                }))
                (edit_form("Move a break", "move_break", html! {
                    (agent_field("brk-agent", "on-shift"))
                    (time_field("brk-from", "from", "Break starting at", true))
                    (time_field("brk-to", "to", "Move to", true))
                }))
                (edit_form("Add an overtime shift", "overtime_shift", html! {
                    (agent_field("ot-agent", "all-agents"))
                    (channel_select("ot-channel"))
                    (time_field("ot-start", "start", "Start", true))
                    (time_field("ot-end", "end", "End", true))
                }))
                @if !plan.vendors.is_empty() {
                    (edit_form("Ask a vendor for heads", "vendor_heads", html! {
                        label for="vh-vendor" { "Vendor" }
                        select #vh-vendor name="vendor" required {
                            @for v in &plan.vendors { option value=(v.id) { (v.name) } }
                        }
                        (channel_select("vh-channel"))
                        (time_field("vh-start", "start", "Start", true))
                        (time_field("vh-end", "end", "End", true))
                        label for="vh-heads" { "Heads" }
                        input #vh-heads name="heads" type="number" min="1" max="10000" required;
                    }))
                }
            }
        }
    }
}

/// An agent field; those of agents on shift are filled by clicking a row of the Gantt.
fn agent_field(id: &str, list: &str) -> Markup {
    let on_shift = list == "on-shift";
    html! {
        label for=(id) { "Agent" }
        input id=(id) name="agent" list=(list) required data-agent-field[on_shift];
    }
}

fn time_field(id: &str, name: &str, label: &str, required: bool) -> Markup {
    html! {
        label for=(id) { (label) }
        input id=(id) name=(name) type="time" required[required];
    }
}

fn reforecast_form(roster: &DayRoster, session: &super::session::Session) -> Markup {
    html! {
        section.reforecast aria-label="Re-forecast" {
            h2 { "Re-forecast from today's actuals" }
            form method="post" action="/app/day/reforecast" {
                (csrf(session))
                input type="hidden" name="date" value=(roster.date.to_string());
                label for="rf-through" { "Actuals complete up to" }
                input #rf-through name="through" type="time" required;
                label for="rf-actuals" { "Actuals: one line per interval, " code { "channel,start,volume" } " (paste, or choose a CSV file)" }
                textarea #rf-actuals name="actuals" rows="6" required placeholder="voice,08:00,412" {}
                input type="file" accept=".csv,text/csv" data-fill="#rf-actuals" aria-label="CSV file of actuals";
                button type="submit" { "Re-forecast" }
            }
        }
    }
}

/// An edit as a form gives it: the fields of one kind, empty ones left out.
fn edit_of(fields: &BTreeMap<String, String>) -> WebResult<Edit> {
    if let Some(json) = fields.get("edit") {
        return Ok(crate::api::extract::parse_json::<Edit>(json.as_bytes())?);
    }
    let mut object = serde_json::Map::new();
    for (k, v) in fields {
        if matches!(k.as_str(), "csrf" | "version") || v.trim().is_empty() {
            continue;
        }
        let value = if k == "heads" {
            match v.trim().parse::<u64>() {
                Ok(n) => serde_json::Value::from(n),
                Err(_) => {
                    return Err(ApiError::invalid(
                        "heads",
                        format!("expected a whole number, got {v:?}"),
                    )
                    .into());
                }
            }
        } else {
            serde_json::Value::from(v.trim())
        };
        object.insert(k.clone(), value);
    }
    let bytes = serde_json::to_vec(&object).expect("a map serialises");
    Ok(crate::api::extract::parse_json::<Edit>(&bytes)?)
}

pub async fn preview(
    State(state): State<AppState>,
    visitor: Visitor<Editors>,
    fields: Form,
) -> WebResult<Response> {
    fields.check(&visitor.session)?;
    let edit = edit_of(&fields)?;
    let version = fields.id("version")?;
    let projected = match api::project_edit(&state, Some(version), &edit).await {
        Err(ApiError::Stale { expected, current }) => {
            return stale(&state, &visitor, &edit, expected, current).await;
        }
        other => other?,
    };
    let date = edit.date();
    let body = html! {
        p.lead { "If you confirm: " strong { (edit.describe()) } "." }
        (impact_table(&projected.impact))
        form.confirm method="post" action="/app/day/edit" {
            (csrf(&visitor.session))
            input type="hidden" name="edit" value=(serde_json::to_string(&edit).expect("an edit serialises"));
            input type="hidden" name="version" value=(projected.head);
            button type="submit" { "Confirm" }
            " "
            a href={"/app/day?date=" (date)} { "Cancel" }
        }
    };
    Ok(html(layout::page(
        &visitor.session,
        "Preview the change",
        "/app/day",
        body,
    )))
}

fn impact_table(impact: &[Impact]) -> Markup {
    html! {
        table.impact {
            caption { "Projected service for the rest of the day" }
            thead { tr { th scope="col" { "Channel" } th scope="col" { "From" } th scope="col" { "Before" } th scope="col" { "After" }
                th scope="col" { "Target" } th scope="col" { "Intervals below target, before → after" } } }
            tbody {
                @for i in impact {
                    @let worse = i.after.service_level.unwrap_or(1.0) + 1e-9 < i.before.service_level.unwrap_or(1.0);
                    tr class=[worse.then_some("short")] {
                        th scope="row" { (i.channel) }
                        td { (i.before.from.format("%H:%M UTC")) }
                        td.num.before { (pct(i.before.service_level)) }
                        td.num.after { (pct(i.after.service_level)) }
                        td.num { (pct(Some(i.after.target))) }
                        td.num { (i.before.intervals_below_target) " → " (i.after.intervals_below_target) }
                    }
                }
            }
        }
    }
}

/// The roster moved on since the page was read: what changed, and the same edit offered again
/// on the current version. Nothing was stored.
pub(super) async fn stale<R: crate::api::extract::Roles>(
    state: &AppState,
    visitor: &Visitor<R>,
    edit: &Edit,
    expected: i64,
    current: i64,
) -> WebResult<Response> {
    let since: Vec<_> = match state.store.version_meta(current).await? {
        Some(meta) => state
            .store
            .versions(meta.roster_id)
            .await?
            .into_iter()
            .filter(|v| v.id > expected && v.id <= current)
            .collect(),
        None => Vec::new(),
    };
    let body = html! {
        p.error role="alert" { "The roster changed since you looked at it: you saw version " (expected)
            ", it is now at version " (current) ". Nothing was stored." }
        h2 { "What changed since" }
        ul.changes { @for v in &since { li { "Version " (v.id) " by " (v.created_by) ": " (v.reason) } } }
        form method="post" action="/app/day/preview" {
            (csrf(&visitor.session))
            input type="hidden" name="edit" value=(serde_json::to_string(edit).expect("an edit serialises"));
            input type="hidden" name="version" value=(current);
            p { "Your change: " strong { (edit.describe()) } }
            button type="submit" { "Preview it again on version " (current) }
            " "
            a href={"/app/day?date=" (edit.date())} { "Back to the day" }
        }
    };
    Ok((
        StatusCode::CONFLICT,
        html(layout::page(
            &visitor.session,
            "The roster changed",
            "/app/day",
            body,
        )),
    )
        .into_response())
}

pub async fn confirm(
    State(state): State<AppState>,
    visitor: Visitor<Editors>,
    fields: Form,
) -> WebResult<Response> {
    fields.check(&visitor.session)?;
    let edit = edit_of(&fields)?;
    let version = fields.id("version")?;
    match api::apply_edit(&state, &visitor.caller.0, Some(version), &edit).await {
        Ok(edited) => Ok(Redirect::to(&format!(
            "/app/day?date={}&saved={}",
            edit.date(),
            edited.version
        ))
        .into_response()),
        Err(ApiError::Stale { expected, current }) => {
            stale(&state, &visitor, &edit, expected, current).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Actuals as pasted: `channel,start,volume` per line, a header line allowed.
fn parse_actuals(date: NaiveDate, through: &str, text: &str) -> WebResult<Actuals> {
    let through = Clock::parse_day(through.trim()).map_err(|e| ApiError::invalid("through", e))?;
    let mut actuals = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || (n == 0 && line.to_lowercase().starts_with("channel")) {
            continue;
        }
        let bad = |what: &str| -> WebError {
            ApiError::invalid(
                "actuals",
                format!("line {}: {what} (expected channel,start,volume such as voice,08:00,412): {line:?}", n + 1),
            )
            .into()
        };
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let [channel, start, volume] = cells[..] else {
            return Err(bad("three fields needed"));
        };
        let start = Clock::parse_day(start).map_err(|e| bad(&e))?;
        let volume: f64 = volume
            .parse()
            .map_err(|_| bad("the volume is not a number"))?;
        actuals.push(Actual {
            channel: channel.to_string(),
            start,
            volume,
        });
    }
    Ok(Actuals {
        date,
        through,
        actuals,
    })
}

pub async fn reforecast(
    State(state): State<AppState>,
    visitor: Visitor<Editors>,
    fields: Form,
) -> WebResult<Response> {
    let get = |k: &str| fields.get(k).map_or("", String::as_str);
    fields.check(&visitor.session)?;
    let date = NaiveDate::parse_from_str(get("date"), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid("date", "expected a day such as 2026-11-11"))?;
    let actuals = parse_actuals(date, get("through"), get("actuals"))?;
    let answer = api::reforecast(
        State(state.clone()),
        visitor.as_caller::<Editors>("/app/day/reforecast")?,
        crate::api::extract::Body(actuals),
    )
    .await?
    .0;
    let r = &answer.reforecast;
    let body = html! {
        p.lead { "Re-forecast of " (r.date) " from actuals up to " (r.through) " on version " (answer.version) ". Nothing is changed until you apply a suggestion." }
        table {
            caption { "Per channel" }
            thead { tr { th scope="col" { "Channel" } th scope="col" { "Actual so far" } th scope="col" { "Planned so far" }
                th scope="col" { "Factor" } th scope="col" { "Rest of day, planned" } th scope="col" { "Rest of day, re-forecast" }
                th scope="col" { "Agents short (agent-intervals)" } } }
            tbody { @for c in &r.channels { tr {
                th scope="row" { (c.channel) }
                td.num { (format!("{:.0}", c.actual_so_far)) } td.num { (format!("{:.0}", c.planned_so_far)) }
                td.num { (format!("{:.2}", c.factor)) } td.num { (format!("{:.0}", c.rest_of_day_planned)) }
                td.num { (format!("{:.0}", c.rest_of_day_forecast)) } td.num { (c.short_agent_intervals) }
            } } }
        }
        @if !r.summary.is_empty() { ul { @for s in &r.summary { li { (s) } } } }
        h2 { "Suggested edits" }
        @if r.suggestions.is_empty() { p { "None: the roster covers the re-forecast." } }
        ul.suggestions {
            @for s in &r.suggestions {
                li {
                    form method="post" action="/app/day/preview" {
                        (csrf(&visitor.session))
                        input type="hidden" name="edit" value=(serde_json::to_string(&s.edit).expect("an edit serialises"));
                        input type="hidden" name="version" value=(answer.version);
                        span { (s.edit.describe()) " — " (s.reason) } " "
                        button type="submit" { "Apply…" }
                    }
                }
            }
        }
        p { a href={"/app/day?date=" (r.date)} { "Back to the day" } }
    };
    Ok(html(layout::page(
        &visitor.session,
        "Re-forecast",
        "/app/day",
        body,
    )))
}

/// The change feed for the open day pages: every change to the live roster, as it happens.
pub async fn events(
    State(state): State<AppState>,
    visitor: Visitor<Feed>,
    headers: HeaderMap,
) -> WebResult<Response> {
    let since = crate::api::events::Since {
        since: None,
        limit: None,
    };
    Ok(
        crate::api::events::stream(State(state), visitor.caller, headers, Params(since))
            .await?
            .into_response(),
    )
}
