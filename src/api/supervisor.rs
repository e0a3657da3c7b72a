//! Supervisors adjust the published roster during the day. Every edit names the version it was
//! made on (`If-Match`); if the roster moved on since, the edit is refused with 412 and changes
//! nothing. An accepted edit is a new published version, an audit entry with the shift before and
//! after, and a change on the routing feed — one transaction — and the answer carries the projected
//! service for the rest of that day before and after.

use super::AppState;
use super::error::Problem;
use super::error::{ApiError, ApiResult};
use super::extract::{As, Body, Editors, IfMatch, Params, Readers};
use crate::live::edit::{Edit, Impact, impact, local};
use crate::live::reforecast::{Actuals, Reforecast, reforecast as reforecast_day};
use crate::live::{LivePlan, LiveView, ServiceSummary};
use crate::store::{Actor, NewVersion, VersionStatus};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// The live head, checked against the database when the caller's version differs from the
/// cached one (the cache may trail another instance's write by a moment).
async fn head_for(state: &AppState, expected: Option<i64>) -> ApiResult<(i64, Arc<LiveView>)> {
    let (head, view) = state.live().await?;
    let Some(expected) = expected else {
        return Ok((head, view));
    };
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

#[derive(Debug, Serialize, ToSchema)]
pub struct Edited {
    /// The new live version.
    pub version: i64,
    /// The version the edit was made on.
    pub previous: i64,
    /// What was done, as the audit log says it.
    pub edit: String,
    /// The projected service for the rest of the day, before and after, per channel touched.
    pub impact: Vec<Impact>,
}

/// Edit the live roster: an absence, a longer or shorter shift, a moved break, an overtime shift,
/// vendor heads. Made on the version `If-Match` names; answers with the projected service impact
/// for the rest of the day.
///
/// Roles: planner, supervisor.
#[utoipa::path(post, path = "/v1/supervisor/edits", tag = "supervisor", request_body = Edit,
    params(("If-Match" = String, Header, description = "the roster version the edit was made on, in quotes: \"42\"")),
    responses(
        (status = 200, description = "the new version and its impact", body = Edited,
            headers(("ETag" = String, description = "the new version"))),
        (status = 412, description = "the version is stale; nothing changed", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
pub async fn edit(
    State(state): State<AppState>,
    caller: As<Editors>,
    IfMatch(expected): IfMatch,
    Body(edit): Body<Edit>,
) -> ApiResult<Response> {
    let edited = apply_edit(&state, &caller.0, expected, &edit).await?;
    let etag = HeaderValue::from_str(&format!("\"{}\"", edited.version));
    let mut response = Json(edited).into_response();
    if let Ok(v) = etag {
        response.headers_mut().insert(header::ETAG, v);
    }
    Ok(response)
}

/// An edit projected on the live head, not yet stored.
pub struct Projected {
    pub head: i64,
    pub roster_id: i64,
    pub view: Arc<LiveView>,
    pub next: Arc<LiveView>,
    pub impact: Vec<Impact>,
    pub from: chrono::DateTime<chrono::Utc>,
}

/// Applies `edit` to the live head (which must be `expected`, when given) and projects the
/// service for the rest of the day before and after; stores nothing. The projection stops if the
/// caller goes away.
pub async fn project_edit(
    state: &AppState,
    expected: Option<i64>,
    edit: &Edit,
) -> ApiResult<Projected> {
    let (head, view) = head_for(state, expected).await?;
    let meta = state
        .store
        .version_meta(head)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("version {head}")))?;
    let (next, from) = edit.apply(&view.plan)?;
    let channels = edit.channels(&view.plan);
    let before = view.clone();
    let cancel = super::CancelOnDrop::new();
    let token = cancel.token();
    let (next_view, impact) = tokio::task::spawn_blocking(move || {
        let after = before.updated_unless(next, &channels, &token)?;
        let impact = impact(&before, &after, &channels, from);
        Ok::<_, crate::live::Cancelled>((after, impact))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("projection: {e}")))?
    .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(Projected {
        head,
        roster_id: meta.roster_id,
        view,
        next: Arc::new(next_view),
        impact,
        from,
    })
}

/// Makes `edit` on the live head (which must be `expected`, when given): a new published
/// version, its audit entry and its change on the feed, in one transaction.
pub async fn apply_edit(
    state: &AppState,
    actor: &Actor,
    expected: Option<i64>,
    edit: &Edit,
) -> ApiResult<Edited> {
    let Projected {
        head,
        roster_id,
        view,
        next: next_view,
        impact,
        from,
    } = project_edit(state, expected, edit).await?;
    let description = edit.describe();
    let new = state
        .store
        .commit_version(
            actor,
            NewVersion {
                roster_id,
                expected_head: head,
                parent_plan: &view.plan,
                plan: &next_view.plan,
                summary: None,
                status: VersionStatus::Published,
                reason: description.clone(),
                action: "live edit",
                before: Some(json!({ "version": head, "edit": edit, "touched": touched(&view.plan, edit) })),
                after: Some(json!({ "touched": touched(&next_view.plan, edit), "impact": impact })),
                change: Some((
                    "edited",
                    json!({ "edit": edit_kind(edit), "channels": edit.channels(&next_view.plan), "from": from }),
                )),
            },
        )
        .await?;
    state.wrote(new.id, next_view);
    Ok(Edited {
        version: new.id,
        previous: head,
        edit: description,
        impact,
    })
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

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Day {
    /// The local day.
    pub date: NaiveDate,
    /// One channel only.
    pub channel: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DayBreak {
    /// Local "YYYY-MM-DD HH:MM".
    pub start: String,
    pub end: String,
    pub paid: bool,
}

/// A named shift of the day.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayShift {
    pub agent: String,
    pub name: Option<String>,
    pub group: Option<String>,
    pub channel: String,
    /// Local "YYYY-MM-DD HH:MM".
    pub start: String,
    pub end: String,
    pub breaks: Vec<DayBreak>,
    pub absent_from: Option<String>,
    pub overtime: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DayRoster {
    pub version: i64,
    pub date: NaiveDate,
    pub shifts: Vec<DayShift>,
    /// The projected service of the day, per channel.
    pub service: Vec<ServiceSummary>,
}

/// The day's named shifts with breaks and absences, and the projected service per channel.
///
/// Roles: planner, supervisor.
#[utoipa::path(get, path = "/v1/supervisor/roster", tag = "supervisor", params(Day),
    responses((status = 200, description = "the day", body = DayRoster)))]
pub async fn roster(
    State(state): State<AppState>,
    _: As<Readers>,
    Params(q): Params<Day>,
) -> ApiResult<Response> {
    let (version, view) = state.live().await?;
    let day = day_roster(version, &view, &q)?;
    let mut response = Json(day).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, v);
    }
    Ok(response)
}

/// The named shifts of one day of `view` (version `version`), with breaks and absences, and the
/// projected service per channel.
pub fn day_roster(version: i64, view: &LiveView, q: &Day) -> ApiResult<DayRoster> {
    let plan = &view.plan;
    plan.check_date("date", q.date)?;
    if let Some(c) = &q.channel
        && plan.channel_index(c).is_none()
    {
        return Err(ApiError::invalid(
            "channel",
            format!("unknown channel `{c}`"),
        ));
    }
    let tz = plan.tz();
    let shifts = plan
        .shifts
        .iter()
        .filter(|s| s.date == q.date && q.channel.as_ref().is_none_or(|c| &s.channel == c))
        .map(|s| {
            let agent = plan.agents.iter().find(|a| a.id == s.agent);
            DayShift {
                agent: s.agent.clone(),
                name: agent.map(|a| a.name.clone()),
                group: agent.map(|a| a.group.clone()),
                channel: s.channel.clone(),
                start: local(tz, s.start),
                end: local(tz, s.end),
                breaks: s
                    .breaks
                    .iter()
                    .map(|b| DayBreak {
                        start: local(tz, b.start),
                        end: local(tz, b.end),
                        paid: b.paid,
                    })
                    .collect(),
                absent_from: s.absent_from.map(|a| local(tz, a)),
                overtime: s.overtime,
            }
        })
        .collect();
    let day = plan.day_intervals(q.date);
    let service: Vec<_> = (0..plan.channels.len())
        .map(|c| view.rest_of_day(c, day.start))
        .collect();
    Ok(DayRoster {
        version,
        date: q.date,
        shifts,
        service,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Reforecasted {
    pub version: i64,
    pub reforecast: Reforecast,
}

/// Re-forecast the rest of the day from today's actuals, with suggested edits. Changes nothing.
///
/// Roles: planner, supervisor.
#[utoipa::path(post, path = "/v1/supervisor/reforecast", tag = "supervisor", request_body = Actuals,
    responses((status = 200, description = "re-forecast and suggestions", body = Reforecasted)))]
pub async fn reforecast(
    State(state): State<AppState>,
    _: As<Editors>,
    Body(actuals): Body<Actuals>,
) -> ApiResult<Json<Reforecasted>> {
    let (version, view) = state.live().await?;
    let cancel = super::CancelOnDrop::new();
    let token = cancel.token();
    let result = tokio::task::spawn_blocking(move || reforecast_day(&view, &actuals, &token))
        .await
        .map_err(|e| ApiError::Internal(format!("re-forecast: {e}")))??;
    Ok(Json(Reforecasted {
        version,
        reforecast: result,
    }))
}
