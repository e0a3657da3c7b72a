//! Supervisors adjust the published roster during the day. Every edit names the version it was
//! made on (`If-Match`); if the roster moved on since, the edit is refused with 412 and changes
//! nothing. An accepted edit is a new published version, an audit entry with the shift before and
//! after, and a change on the routing feed — one transaction — and the answer carries the projected
//! service for the rest of that day before and after.

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{As, Body, Editors, IfMatch, Params, Readers};
use crate::live::edit::{Edit, impact, local};
use crate::live::reforecast::{Actuals, reforecast as reforecast_day};
use crate::live::{LivePlan, LiveView};
use crate::store::{NewVersion, VersionStatus};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The live head, checked against the database when the caller's version differs from the
/// cached one (the cache may trail another instance's write by a moment).
async fn head_for(state: &AppState, expected: i64) -> ApiResult<(i64, Arc<LiveView>)> {
    let (head, view) = state.live().await?;
    if head == expected {
        return Ok((head, view));
    }
    *state.live.write().expect("live cache lock") = None;
    let (head, view) = state.live().await?;
    if head != expected {
        return Err(ApiError::Stale {
            expected,
            current: head,
        });
    }
    Ok((head, view))
}

/// What the audit log keeps of an edit: the shifts or blocks it touched, before and after.
fn touched(plan: &LivePlan, edit: &Edit) -> Value {
    match edit {
        Edit::Absence { agent, date, .. }
        | Edit::ChangeShift { agent, date, .. }
        | Edit::MoveBreak { agent, date, .. }
        | Edit::OvertimeShift { agent, date, .. } => json!(
            plan.shifts
                .iter()
                .filter(|s| &s.agent == agent && s.date == *date)
                .collect::<Vec<_>>()
        ),
        Edit::VendorHeads {
            vendor,
            date,
            channel,
            ..
        } => json!(
            plan.blocks
                .iter()
                .filter(|b| &b.vendor == vendor && b.date == *date && &b.channel == channel)
                .collect::<Vec<_>>()
        ),
    }
}

/// `POST /v1/supervisor/edits` with `If-Match: "<version>"`.
pub async fn edit(
    State(state): State<AppState>,
    caller: As<Editors>,
    IfMatch(expected): IfMatch,
    Body(edit): Body<Edit>,
) -> ApiResult<Response> {
    let (head, view) = head_for(&state, expected).await?;
    let meta = state
        .store
        .version_meta(head)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("version {head}")))?;
    let (next, from) = edit.apply(&view.plan)?;
    let channels = edit.channels(&view.plan);
    let before = view.clone();
    let (next_view, impact) = tokio::task::spawn_blocking(move || {
        let after = before.updated(next, &channels);
        let impact = impact(&before, &after, &channels, from);
        (after, impact)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("projection: {e}")))?;
    let next_view = Arc::new(next_view);
    let description = edit.describe();
    let new = state
        .store
        .commit_version(
            &caller.0,
            NewVersion {
                roster_id: meta.roster_id,
                expected_head: head,
                plan: &next_view.plan,
                summary: None,
                status: VersionStatus::Published,
                reason: description.clone(),
                action: "live edit",
                before: Some(json!({ "version": head, "edit": edit, "touched": touched(&view.plan, &edit) })),
                after: Some(json!({ "touched": touched(&next_view.plan, &edit), "impact": impact })),
                change: Some((
                    "edited",
                    json!({ "edit": edit_kind(&edit), "channels": edit.channels(&next_view.plan), "from": from }),
                )),
            },
        )
        .await?;
    state.wrote(new.id, next_view);
    let mut response = Json(json!({
        "version": new.id,
        "previous": head,
        "edit": description,
        "impact": impact,
    }))
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", new.id)) {
        response.headers_mut().insert(header::ETAG, v);
    }
    Ok(response)
}

/// The kind of an edit, for the routing feed (which does not see agent ids of edits).
fn edit_kind(edit: &Edit) -> &'static str {
    match edit {
        Edit::Absence { .. } => "absence",
        Edit::ChangeShift { .. } => "change_shift",
        Edit::MoveBreak { .. } => "move_break",
        Edit::OvertimeShift { .. } => "overtime_shift",
        Edit::VendorHeads { .. } => "vendor_heads",
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Day {
    pub date: NaiveDate,
    pub channel: Option<String>,
}

/// `GET /v1/supervisor/roster?date=…` — the day's shifts with names, breaks and absences.
pub async fn roster(
    State(state): State<AppState>,
    _: As<Readers>,
    Params(q): Params<Day>,
) -> ApiResult<Response> {
    let (version, view) = state.live().await?;
    let plan = &view.plan;
    if let Some(c) = &q.channel
        && plan.channel_index(c).is_none()
    {
        return Err(ApiError::invalid(
            "channel",
            format!("unknown channel `{c}`"),
        ));
    }
    let tz = plan.tz();
    let shifts: Vec<Value> = plan
        .shifts
        .iter()
        .filter(|s| s.date == q.date && q.channel.as_ref().is_none_or(|c| &s.channel == c))
        .map(|s| {
            let agent = plan.agents.iter().find(|a| a.id == s.agent);
            json!({
                "agent": s.agent,
                "name": agent.map(|a| a.name.as_str()),
                "group": agent.map(|a| a.group.as_str()),
                "channel": s.channel,
                "start": local(tz, s.start),
                "end": local(tz, s.end),
                "breaks": s.breaks.iter().map(|b| json!({"start": local(tz, b.start), "end": local(tz, b.end), "paid": b.paid})).collect::<Vec<_>>(),
                "absent_from": s.absent_from.map(|a| local(tz, a)),
                "overtime": s.overtime,
            })
        })
        .collect();
    let day = plan.day_intervals(q.date);
    let service: Vec<_> = (0..plan.channels.len())
        .map(|c| view.rest_of_day(c, day.start))
        .collect();
    let mut response = Json(json!({
        "version": version,
        "date": q.date,
        "shifts": shifts,
        "service": service,
    }))
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, v);
    }
    Ok(response)
}

/// `POST /v1/supervisor/reforecast` — today's actuals in, the rest of the day re-forecast and
/// suggested edits out. Changes nothing.
pub async fn reforecast(
    State(state): State<AppState>,
    _: As<Editors>,
    Body(actuals): Body<Actuals>,
) -> ApiResult<Json<Value>> {
    let (version, view) = state.live().await?;
    let result = tokio::task::spawn_blocking(move || reforecast_day(&view, &actuals))
        .await
        .map_err(|e| ApiError::Internal(format!("re-forecast: {e}")))??;
    Ok(Json(json!({ "version": version, "reforecast": result })))
}
