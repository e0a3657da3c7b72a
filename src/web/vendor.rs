//! The vendor portal: the vendor's own blocks by day and channel (nothing of other vendors or of
//! the core team — the API's [`crate::api::vendor::vendor_plan`] decides what it may read), the
//! acknowledgement with fewer heads committed where it cannot staff the plan, the CSV, and what
//! changed since its last visit.

use super::layout::{self, csrf};
use super::session::{Visitor, cookie_value, set_cookie};
use super::{Form, WebResult, html};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::extract::Acknowledgers;
use crate::api::vendor::{self as api, PlanQuery};
use crate::clock::Clock;
use crate::export::{self, VendorPlanRow};
use crate::live::ack::{Acknowledgement, Commitment};
use crate::live::diff::{self, Changed};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono_tz::Tz;
use maud::html;
use serde::Deserialize;

const SEEN: &str = "pp_vendor_seen";

#[derive(Debug, Deserialize)]
pub struct VendorQuery {
    /// Planners and supervisors name the vendor.
    vendor: Option<String>,
    /// The version just acknowledged.
    acknowledged: Option<i64>,
}

/// The rows that differ between two versions of the vendor's plan, matched by the block they
/// stand for.
fn changes(before: &[VendorPlanRow], after: &[VendorPlanRow]) -> Vec<Changed<VendorPlanRow>> {
    diff::changes(before, after, |r| {
        (r.date, r.channel.clone(), r.start.clone(), r.end.clone())
    })
}

/// The live plan of the vendor the visitor is (or, for planners and supervisors, names).
async fn whole_plan(
    state: &AppState,
    caller: &crate::api::extract::Caller,
    vendor: Option<String>,
) -> WebResult<api::VendorPlan> {
    let q = PlanQuery {
        from: None,
        to: None,
        vendor,
    };
    Ok(api::vendor_plan(state, caller, &q).await?)
}

/// The vendor's rows in a stored version, with the version's time zone.
async fn rows_of(
    state: &AppState,
    version: i64,
    vendor: &str,
) -> WebResult<Option<(Tz, Vec<VendorPlanRow>)>> {
    Ok(state.store.version(version).await?.map(|v| {
        let rows =
            export::vendor_plan(&v.plan, v.plan.blocks.iter().filter(|b| b.vendor == vendor));
        (v.plan.tz(), rows)
    }))
}

/// The version the vendor saw on its last visit (the cookie `vendor:version`).
fn seen_of(headers: &HeaderMap, vendor: &str) -> Option<i64> {
    let (id, version) = cookie_value(headers, SEEN)?.split_once(':')?;
    (id == vendor).then(|| version.parse().ok())?
}

pub async fn page(
    State(state): State<AppState>,
    visitor: Visitor<Acknowledgers>,
    headers: HeaderMap,
    Query(q): Query<VendorQuery>,
) -> WebResult<Response> {
    let plan = whole_plan(&state, &visitor.caller, q.vendor.clone()).await?;
    let vendor = plan.vendor.id.clone();
    let seen = seen_of(&headers, &vendor);
    let since = match seen {
        Some(v) if v < plan.version => rows_of(&state, v, &vendor)
            .await?
            .map(|(_, rows)| (v, changes(&rows, &plan.blocks))),
        _ => None,
    };
    let planned: u32 = plan.blocks.iter().map(|b| b.heads).sum();
    let committed = plan.blocks.iter().filter(|b| b.committed.is_some()).count();
    let shortfall: u32 = plan
        .blocks
        .iter()
        .map(|b| b.heads - b.committed.unwrap_or(b.heads).min(b.heads))
        .sum();
    let vendor_param = q
        .vendor
        .as_ref()
        .map(|v| format!("?vendor={}", super::urlencode(v)))
        .unwrap_or_default();
    let body = html! {
        p.meta { (plan.vendor.name) " · version " strong { (plan.version) } " · times in " (plan.time_zone) }
        @if let Some(v) = q.acknowledged { p.notice role="status" { "Acknowledged; the plan is now version " (v) "." } }
        section aria-label="Changes" {
            h2 { "Since your last visit" }
            @match &since {
                None if seen.is_none() => p { "This is your first visit: every block below is new to you." },
                None => p { "Nothing changed since version " (seen.unwrap_or_default()) "." },
                Some((v, list)) if list.is_empty() => p { "Nothing changed in your blocks since version " (v) "." },
                Some((v, list)) => {
                    p { "Changed since version " (v) ":" }
                    ul.changes { @for c in list { li { (describe(c)) } } }
                }
            }
        }
        p { (plan.blocks.len()) " blocks, " (planned) " heads planned; " (committed) " blocks acknowledged"
            @if shortfall > 0 { ", " strong.shortfall { (layout::heads(shortfall)) " short" } } "." " "
            a href={"/app/vendor/plan.csv" (vendor_param)} download { "Download the CSV" } }
        form method="post" action={"/app/vendor/ack" (vendor_param)} {
            (csrf(&visitor.session))
            input type="hidden" name="version" value=(plan.version);
            div.scroll {
                table.blocks {
                    caption { "Your blocks by day and channel" }
                    thead { tr { th scope="col" { "Day" } th scope="col" { "Channel" } th scope="col" { "From" } th scope="col" { "To" }
                        th scope="col" { "Heads planned" } th scope="col" { "Committed" } th scope="col" { "Heads you commit" } } }
                    tbody {
                        @for (i, b) in plan.blocks.iter().enumerate() {
                            @let short = b.committed.is_some_and(|c| c < b.heads);
                            tr class=[short.then_some("short")] {
                                td { (b.date) } td { (b.channel) }
                                td { (b.start.get(11..).unwrap_or(&b.start)) } td { (b.end.get(11..).unwrap_or(&b.end)) }
                                td.num { (b.heads) @if b.requested_live { " (asked live)" } }
                                td.num { @match b.committed { Some(c) => (c), None => "–" } }
                                td {
                                    label.visually-hidden for={"heads-" (i)} { "Heads you commit, " (b.date) " " (b.channel) " " (b.start) }
                                    input id={"heads-" (i)} name={"heads_" (i)} type="number" min="0" max=(b.heads)
                                        value=(b.committed.unwrap_or(b.heads));
                                }
                            }
                        }
                    }
                }
            }
            button type="submit" { "Acknowledge the plan with these heads" }
            p.hint { "Blocks left at the planned heads are accepted as planned; fewer heads are recorded as your commitment, and the planner sees the shortfall." }
        }
    };
    let mut response = html(layout::page(
        &visitor.session,
        "My plan",
        "/app/vendor",
        body,
    ));
    set_cookie(
        &mut response,
        &headers,
        (SEEN, &format!("{vendor}:{}", plan.version)),
        "/app/vendor",
        90 * 86_400,
    );
    Ok(response)
}

fn describe(c: &Changed<VendorPlanRow>) -> String {
    match (&c.before, &c.after) {
        (None, Some(a)) => format!(
            "new block {} {} {}–{}: {} heads",
            a.date, a.channel, a.start, a.end, a.heads
        ),
        (Some(b), None) => format!(
            "block {} {} {}–{} removed",
            b.date, b.channel, b.start, b.end
        ),
        (Some(b), Some(a)) => format!(
            "{} {} {}–{}: {} → {} heads planned{}",
            a.date,
            a.channel,
            a.start,
            a.end,
            b.heads,
            a.heads,
            match (b.committed, a.committed) {
                (x, y) if x == y => String::new(),
                (_, Some(y)) => format!(", committed {y}"),
                (_, None) => ", commitment cleared".into(),
            }
        ),
        (None, None) => String::new(),
    }
}

pub async fn csv(
    State(state): State<AppState>,
    visitor: Visitor<Acknowledgers>,
    Query(q): Query<VendorQuery>,
) -> WebResult<Response> {
    let plan = whole_plan(&state, &visitor.caller, q.vendor).await?;
    let mut response = api::csv_response(&plan.blocks);
    let name = format!(
        "attachment; filename=\"{}-v{}.csv\"",
        plan.vendor.id, plan.version
    );
    if let Ok(v) = name.parse() {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

pub async fn acknowledge(
    State(state): State<AppState>,
    visitor: Visitor<Acknowledgers>,
    Query(q): Query<VendorQuery>,
    fields: Form,
) -> WebResult<Response> {
    fields.check(&visitor.session)?;
    let version = fields.id("version")?;
    let vendor = api::vendor_of(&visitor.caller, q.vendor.as_deref())?;
    let (tz, rows) = rows_of(&state, version, &vendor)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("version {version}")))?;
    let mut commitments = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let field = format!("heads_{i}");
        let Some(text) = fields.get(&field) else {
            continue;
        };
        let heads: u32 = text.trim().parse().map_err(|_| {
            ApiError::invalid(
                format!("heads ({} {} {})", row.date, row.channel, row.start),
                format!("expected a whole number of heads, got {text:?}"),
            )
        })?;
        if heads != row.committed.unwrap_or(row.heads) || row.committed.is_some() {
            commitments.push(Commitment {
                date: row.date,
                channel: row.channel.clone(),
                start: Clock::on(tz, row.date, row.start_utc),
                end: Some(Clock::on(tz, row.date, row.end_utc)),
                heads,
            });
        }
    }
    let ack = Acknowledgement {
        accept: true,
        commitments,
    };
    let done =
        api::acknowledge_plan(&state, &visitor.caller, version, q.vendor.as_deref(), &ack).await?;
    let mut to = format!("/app/vendor?acknowledged={}", done.version);
    if let Some(v) = &q.vendor {
        to.push_str(&format!("&vendor={}", super::urlencode(v)));
    }
    Ok(Redirect::to(&to).into_response())
}
