//! What a vendor sees: its own blocks of the live roster (never another vendor's, never the core
//! team), as JSON or CSV, and its acknowledgement — accepted as planned, or with the heads it
//! commits per block. A commitment below plan lowers the projected service everyone else sees.

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Acknowledgers, As, Body, Caller, Params, VendorReaders};
use crate::live::ack::Acknowledgement;
use crate::live::edit::local;
use crate::live::{LiveBlock, LivePlan};
use crate::store::{NewVersion, Role, StoreError, VersionStatus};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Planners and supervisors name the vendor; a vendor token is its own.
    pub vendor: Option<String>,
}

/// The vendor a caller may read: its own, or for planners and supervisors the one asked for.
fn vendor_of(caller: &Caller, asked: Option<&str>) -> ApiResult<String> {
    match (caller.role(), asked) {
        (Role::Vendor(own), None) => Ok(own.clone()),
        (Role::Vendor(own), Some(v)) if v == own => Ok(own.clone()),
        (Role::Vendor(_), Some(_)) => Err(ApiError::Forbidden(
            "a vendor token reads its own plan only".into(),
        )),
        (Role::Planner | Role::Supervisor, Some(v)) => Ok(v.to_string()),
        (Role::Planner | Role::Supervisor, None) => {
            Err(ApiError::invalid("vendor", "name the vendor: ?vendor=<id>"))
        }
        (Role::Routing, _) => Err(ApiError::Forbidden(
            "the role routing cannot read vendor plans".into(),
        )),
    }
}

fn blocks_of<'a>(plan: &'a LivePlan, vendor: &'a str) -> impl Iterator<Item = &'a LiveBlock> {
    plan.blocks.iter().filter(move |b| b.vendor == vendor)
}

fn block_json(plan: &LivePlan, b: &LiveBlock) -> Value {
    let tz = plan.tz();
    json!({
        "date": b.date,
        "channel": b.channel,
        "start": local(tz, b.start),
        "end": local(tz, b.end),
        "start_utc": b.start,
        "end_utc": b.end,
        "heads": b.heads,
        "committed": b.committed,
        "hours": f64::from(b.heads) * (b.end - b.start).num_minutes() as f64 / 60.0,
        "requested_live": b.requested_live,
    })
}

/// `GET /v1/vendor/plan?from=&to=` — JSON, or CSV with `Accept: text/csv`.
pub async fn plan(
    State(state): State<AppState>,
    caller: As<VendorReaders>,
    headers: HeaderMap,
    Params(q): Params<PlanQuery>,
) -> ApiResult<Response> {
    let vendor = vendor_of(&caller, q.vendor.as_deref())?;
    if let (Some(from), Some(to)) = (q.from, q.to)
        && to < from
    {
        return Err(ApiError::invalid("to", "`to` is before `from`"));
    }
    let (version, view) = state.live().await?;
    let plan = &view.plan;
    let Some(v) = plan.vendors.iter().find(|v| v.id == vendor) else {
        return Err(ApiError::NotFound(format!(
            "vendor `{vendor}` in the live roster"
        )));
    };
    let in_range =
        |b: &&LiveBlock| q.from.is_none_or(|f| b.date >= f) && q.to.is_none_or(|t| b.date <= t);
    let blocks: Vec<&LiveBlock> = blocks_of(plan, &vendor).filter(in_range).collect();
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/csv"));
    let etag = HeaderValue::from_str(&format!("\"{version}\"")).expect("a number is a header");
    if wants_csv {
        let tz = plan.tz();
        let mut csv = String::from("version,date,channel,start,end,heads,committed,hours\n");
        for b in &blocks {
            csv.push_str(&format!(
                "{version},{},{},{},{},{},{},{}\n",
                b.date,
                b.channel,
                local(tz, b.start),
                local(tz, b.end),
                b.heads,
                b.committed.map(|c| c.to_string()).unwrap_or_default(),
                f64::from(b.heads) * (b.end - b.start).num_minutes() as f64 / 60.0
            ));
        }
        let mut response = csv.into_response();
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        h.insert(header::ETAG, etag);
        return Ok(response);
    }
    let mut response = Json(json!({
        "version": version,
        "vendor": { "id": v.id, "name": v.name },
        "time_zone": plan.time_zone,
        "blocks": blocks.iter().map(|b| block_json(plan, b)).collect::<Vec<_>>(),
    }))
    .into_response();
    response.headers_mut().insert(header::ETAG, etag);
    Ok(response)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckQuery {
    /// A planner acknowledging on a vendor's behalf names the vendor.
    pub vendor: Option<String>,
}

/// `POST /v1/vendor/plan/{version}/ack` — by the vendor, or by a planner on its behalf
/// (`?vendor=<id>`; the audit log names the planner).
pub async fn acknowledge(
    State(state): State<AppState>,
    caller: As<Acknowledgers>,
    Path(version): Path<i64>,
    Params(q): Params<AckQuery>,
    Body(ack): Body<Acknowledgement>,
) -> ApiResult<Response> {
    let vendor = vendor_of(&caller, q.vendor.as_deref())?;
    if !ack.accept {
        return Err(ApiError::invalid(
            "accept",
            "an acknowledgement accepts the plan (`true`); commit fewer heads per block in `commitments`, or talk to the planner",
        ));
    }
    let acked = state
        .store
        .version(version)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("version {version}")))?;
    // A writer may move the head meanwhile (a supervisor's edit): read again and retry.
    for _ in 0..8 {
        let (head, view) = state.live().await?;
        let live = state
            .store
            .version_meta(head)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("version {head}")))?;
        if acked.meta.roster_id != live.roster_id {
            return Err(ApiError::Conflict(format!(
                "version {version} is not of the live roster; read yours with GET /v1/vendor/plan"
            )));
        }
        if version != head
            && acked.plan.planned_blocks(&vendor) != view.plan.planned_blocks(&vendor)
        {
            return Err(ApiError::Conflict(format!(
                "your plan changed in version {head}; read it with GET /v1/vendor/plan and acknowledge that version"
            )));
        }
        let mut next = view.plan.clone();
        let shortfall = next.acknowledge(&vendor, &ack.commitments)?;
        let next_view = Arc::new(next.view());
        let detail = json!({ "vendor": vendor, "acknowledged": version, "shortfall": shortfall });
        let commitments = serde_json::to_value(
            ack.commitments
                .iter()
                .map(|c| json!({"date": c.date, "channel": c.channel, "start": String::from(c.start), "end": c.end.map(String::from), "heads": c.heads}))
                .collect::<Vec<_>>(),
        )?;
        let result = state
            .store
            .acknowledge(
                &caller.0,
                version,
                &vendor,
                &commitments,
                NewVersion {
                    roster_id: live.roster_id,
                    expected_head: head,
                    plan: &next_view.plan,
                    summary: None,
                    status: VersionStatus::Published,
                    reason: format!("{vendor} acknowledged version {version}"),
                    action: "vendor acknowledgement",
                    before: None,
                    after: Some(detail.clone()),
                    change: Some(("acknowledged", detail.clone())),
                },
            )
            .await;
        match result {
            Ok(meta) => {
                state.wrote(meta.id, next_view);
                return Ok((
                    axum::http::StatusCode::CREATED,
                    Json(json!({
                        "version": meta.id,
                        "acknowledged": version,
                        "vendor": vendor,
                        "shortfall": shortfall,
                    })),
                )
                    .into_response());
            }
            Err(StoreError::Stale { .. }) => {
                *state.live.write().expect("live cache lock") = None;
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Unavailable(
        "the roster kept changing while acknowledging; try again".into(),
    ))
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> ApiError {
        ApiError::Internal(format!("JSON: {e}"))
    }
}
