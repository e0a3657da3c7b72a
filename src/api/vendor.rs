//! What a vendor sees: its own blocks of the live roster (never another vendor's, never the core
//! team), as JSON or CSV, and its acknowledgement — accepted as planned, or with the heads it
//! commits per block. A commitment below plan lowers the projected service everyone else sees.

use super::AppState;
use super::error::Problem;
use super::error::{ApiError, ApiResult};
use super::extract::{Acknowledgers, As, Body, Caller, Params, VendorReaders};
use crate::export::{self, VendorPlanRow};
use crate::live::ack::Acknowledgement;
use crate::store::{NewVersion, Role, StoreError, VersionStatus};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// First day.
    pub from: Option<NaiveDate>,
    /// Last day.
    pub to: Option<NaiveDate>,
    /// Planners and supervisors name the vendor; a vendor token is its own.
    pub vendor: Option<String>,
}

/// The vendor a caller may read: its own, or for planners and supervisors the one asked for.
pub fn vendor_of(caller: &Caller, asked: Option<&str>) -> ApiResult<String> {
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

#[derive(Debug, Serialize, ToSchema)]
pub struct VendorRef {
    pub id: String,
    pub name: String,
}

/// A vendor's own blocks of the live roster.
#[derive(Debug, Serialize, ToSchema)]
pub struct VendorPlan {
    pub version: i64,
    pub vendor: VendorRef,
    pub time_zone: String,
    pub blocks: Vec<VendorPlanRow>,
}

/// The caller's own vendor blocks of the live roster: JSON, or with `Accept: text/csv` the CSV a
/// plan writes as vendor_<id>.csv. Vendors read their own; planners and supervisors name one.
///
/// Roles: vendor:<id> (its own plan); planner and supervisor name the vendor with ?vendor=.
#[utoipa::path(get, path = "/v1/vendor/plan", tag = "vendor", params(PlanQuery),
    responses((status = 200, description = "the plan", content(
        (VendorPlan = "application/json"),
        (String = "text/csv")),
        headers(("ETag" = String, description = "the live version")))))]
pub async fn plan(
    State(state): State<AppState>,
    caller: As<VendorReaders>,
    headers: HeaderMap,
    Params(q): Params<PlanQuery>,
) -> ApiResult<Response> {
    let answer = vendor_plan(&state, &caller, &q).await?;
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/csv"));
    let etag =
        HeaderValue::from_str(&format!("\"{}\"", answer.version)).expect("a number is a header");
    let mut response = if wants_csv {
        csv_response(&answer.blocks)
    } else {
        Json(answer).into_response()
    };
    response.headers_mut().insert(header::ETAG, etag);
    Ok(response)
}

/// A vendor's rows as a CSV answer.
pub fn csv_response(rows: &[VendorPlanRow]) -> Response {
    let mut response = export::csv_string(rows).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    response
}

/// The blocks of the vendor `caller` may read (its own, or the one a planner or supervisor
/// names) in the live roster, between the query's dates.
pub async fn vendor_plan(
    state: &AppState,
    caller: &Caller,
    q: &PlanQuery,
) -> ApiResult<VendorPlan> {
    let vendor = vendor_of(caller, q.vendor.as_deref())?;
    if let (Some(from), Some(to)) = (q.from, q.to)
        && to < from
    {
        return Err(ApiError::invalid("to", "`to` is before `from`"));
    }
    let (version, view) = state.live().await?;
    let plan = &view.plan;
    for (field, date) in [("from", q.from), ("to", q.to)] {
        if let Some(date) = date {
            plan.check_date(field, date)?;
        }
    }
    let Some(v) = plan.vendors.iter().find(|v| v.id == vendor) else {
        return Err(ApiError::NotFound(format!(
            "vendor `{vendor}` in the live roster"
        )));
    };
    let blocks = plan.blocks.iter().filter(|b| {
        b.vendor == vendor && q.from.is_none_or(|f| b.date >= f) && q.to.is_none_or(|t| b.date <= t)
    });
    Ok(VendorPlan {
        version,
        vendor: VendorRef {
            id: v.id.clone(),
            name: v.name.clone(),
        },
        time_zone: plan.time_zone.name().to_string(),
        blocks: export::vendor_plan(plan, blocks),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AckQuery {
    /// A planner acknowledging on a vendor's behalf names the vendor.
    pub vendor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Acknowledged {
    /// The new live version carrying the commitments.
    pub version: i64,
    /// The version acknowledged.
    pub acknowledged: i64,
    pub vendor: String,
    /// Blocks committed below plan.
    pub shortfall: Vec<crate::live::ack::Shortfall>,
}

/// Acknowledge a plan version, optionally committing fewer heads per block: by the vendor, or by
/// a planner on its behalf (`?vendor=<id>`; the audit log names the planner).
///
/// Roles: vendor:<id> (its own plan); planner on a vendor's behalf with ?vendor= (audited as the planner).
#[utoipa::path(post, path = "/v1/vendor/plan/{version}/ack", tag = "vendor",
    params(("version" = i64, Path, description = "the version acknowledged"), AckQuery),
    request_body = Acknowledgement,
    responses(
        (status = 201, description = "acknowledged", body = Acknowledged),
        (status = 409, description = "the plan changed since that version", body = Problem, content_type = "application/problem+json")))]
pub async fn acknowledge(
    State(state): State<AppState>,
    caller: As<Acknowledgers>,
    Path(version): Path<i64>,
    Params(q): Params<AckQuery>,
    Body(ack): Body<Acknowledgement>,
) -> ApiResult<Response> {
    let done = acknowledge_plan(&state, &caller, version, q.vendor.as_deref(), &ack).await?;
    Ok((axum::http::StatusCode::CREATED, Json(done)).into_response())
}

/// Records the acknowledgement of `version` by the vendor `caller` is (or names, for a
/// planner): a new published version with the committed heads, in one transaction.
pub async fn acknowledge_plan(
    state: &AppState,
    caller: &Caller,
    version: i64,
    asked: Option<&str>,
    ack: &Acknowledgement,
) -> ApiResult<Acknowledged> {
    let vendor = vendor_of(caller, asked)?;
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
        // Only the channels this vendor staffs can change.
        let channels: Vec<String> = next
            .vendors
            .iter()
            .filter(|v| v.id == vendor)
            .flat_map(|v| v.max_heads.keys().cloned())
            .collect();
        let before = view.clone();
        let cancel = super::CancelOnDrop::new();
        let token = cancel.token();
        let next_view =
            tokio::task::spawn_blocking(move || before.updated_unless(next, &channels, &token))
                .await
                .map_err(|e| ApiError::Internal(format!("projection: {e}")))?
                .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        let next_view = Arc::new(next_view);
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
                    parent_plan: &view.plan,
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
                return Ok(Acknowledged {
                    version: meta.id,
                    acknowledged: version,
                    vendor,
                    shortfall,
                });
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
