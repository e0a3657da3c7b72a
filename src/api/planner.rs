//! Planners: scenarios and forecasts in, rosters and their versions out, publishing, and the audit
//! log. Supervisors may read all of it.

use super::AppState;
use super::error::Problem;
use super::error::{ApiError, ApiResult};
use super::extract::{As, Params, Planners, Readers};
use crate::live::LivePlan;
use crate::live::ack::Shortfall;
use crate::roster::summary::RosterSummary;
use crate::scenario::Scenario;
use crate::store::{AuditEntry, RosterInfo, ScenarioInfo, VendorAck, VersionMeta, VersionStatus};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Named {
    /// The name errors call the scenario by (`promo.toml:12:3: …`).
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScenarioStored {
    pub id: i64,
    pub name: String,
}

/// Store a scenario (TOML), validated first; errors name its line and column.
///
/// Roles: planner.
#[utoipa::path(post, path = "/v1/scenarios", tag = "planner", params(Named),
    request_body(content = String, content_type = "application/toml", description = "the scenario file"),
    responses((status = 201, description = "stored", body = ScenarioStored)))]
pub async fn put_scenario(
    State(state): State<AppState>,
    caller: As<Planners>,
    Params(q): Params<Named>,
    body: String,
) -> ApiResult<Response> {
    let origin = q.name.clone().unwrap_or_else(|| "scenario".into());
    let scenario =
        Scenario::parse(&body, &origin).map_err(|e| ApiError::invalid("body", e.to_string()))?;
    if scenario.history.is_some() {
        // The server never reads a file a request names.
        return Err(ApiError::invalid(
            "history",
            "a scenario stored through the API cannot name a file; remove `history` and upload \
             the history with POST /v1/histories?scenario=<id>",
        ));
    }
    let id = state
        .store
        .put_scenario(&caller.0, &scenario.name, &body)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ScenarioStored {
            id,
            name: scenario.name,
        }),
    )
        .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Scenarios {
    pub scenarios: Vec<ScenarioInfo>,
}

/// Stored scenarios. Planners and supervisors.
///
/// Roles: planner, supervisor.
#[utoipa::path(get, path = "/v1/scenarios", tag = "planner",
    responses((status = 200, description = "the scenarios", body = Scenarios)))]
pub async fn scenarios(
    State(state): State<AppState>,
    _: As<Readers>,
) -> ApiResult<Json<Scenarios>> {
    Ok(Json(Scenarios {
        scenarios: state.store.scenarios().await?,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ForecastQuery {
    /// The stored scenario it belongs to.
    pub scenario: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VolumesStored {
    pub id: i64,
    /// Rows read.
    pub rows: usize,
}

/// Store a forecast CSV (as `peakplan forecast` writes it), checked against the scenario's
/// channels and grid first; errors name the line.
///
/// Roles: planner.
#[utoipa::path(post, path = "/v1/forecasts", tag = "planner", params(ForecastQuery),
    request_body(content = String, content_type = "text/csv", description = "timestamp,channel,volume[,p10,p50,p90][,aht_seconds]"),
    responses((status = 201, description = "stored", body = VolumesStored)))]
pub async fn put_forecast(
    State(state): State<AppState>,
    caller: As<Planners>,
    Params(q): Params<ForecastQuery>,
    body: String,
) -> ApiResult<Response> {
    let scenario = stored_scenario(&state, q.scenario).await?;
    let series =
        crate::volumes::VolumeSeries::read_from(body.as_bytes(), "body", scenario.time_zone)
            .map_err(|e| ApiError::invalid("body", e.to_string()))?;
    series
        .on_grid(&scenario, &scenario.grid())
        .map_err(|e| ApiError::invalid("body", e.to_string()))?;
    let id = state
        .store
        .put_forecast(&caller.0, Some(q.scenario), "upload", &body)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(VolumesStored {
            id,
            rows: series.rows.len(),
        }),
    )
        .into_response())
}

/// Largest history accepted (a year of 5-minute intervals on three channels fits).
pub const HISTORY_LIMIT: usize = 48 * 1024 * 1024;

/// Store a volume history CSV for a scenario, checked line by line against its channels first;
/// forecast and plan jobs learn from it. Up to 48 MB.
///
/// Roles: planner.
#[utoipa::path(post, path = "/v1/histories", tag = "planner", params(ForecastQuery),
    request_body(content = String, content_type = "text/csv", description = "timestamp,channel,volume[,aht_seconds]"),
    responses((status = 201, description = "stored", body = VolumesStored)))]
pub async fn put_history(
    State(state): State<AppState>,
    caller: As<Planners>,
    Params(q): Params<ForecastQuery>,
    body: String,
) -> ApiResult<Response> {
    let scenario = stored_scenario(&state, q.scenario).await?;
    let series =
        crate::volumes::VolumeSeries::read_from(body.as_bytes(), "body", scenario.time_zone)
            .map_err(|e| ApiError::invalid("body", e.to_string()))?;
    crate::forecast::history::for_scenario(&series, &scenario)
        .map_err(|e| ApiError::invalid("body", e.to_string()))?;
    let id = state
        .store
        .put_history(&caller.0, q.scenario, "upload", &body)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(VolumesStored {
            id,
            rows: series.rows.len(),
        }),
    )
        .into_response())
}

/// A stored scenario, parsed; `scenario` names the query parameter at fault when there is none.
async fn stored_scenario(state: &AppState, id: i64) -> ApiResult<Scenario> {
    let (_, text) = state
        .store
        .scenario(id)
        .await?
        .ok_or_else(|| ApiError::invalid("scenario", format!("no scenario {id}")))?;
    Scenario::parse(&text, "stored scenario")
        .map_err(|e| ApiError::Internal(format!("stored scenario {id}: {e}")))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rosters {
    pub rosters: Vec<RosterInfo>,
}

/// Rosters and their head versions.
///
/// Roles: planner, supervisor.
#[utoipa::path(get, path = "/v1/rosters", tag = "planner",
    responses((status = 200, description = "the rosters", body = Rosters)))]
pub async fn rosters(State(state): State<AppState>, _: As<Readers>) -> ApiResult<Json<Rosters>> {
    Ok(Json(Rosters {
        rosters: state.store.rosters().await?,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Versions {
    pub roster: i64,
    pub versions: Vec<VersionMeta>,
}

/// Every version of a roster.
///
/// Roles: planner, supervisor.
#[utoipa::path(get, path = "/v1/rosters/{id}/versions", tag = "planner",
    params(("id" = i64, Path, description = "roster id")),
    responses((status = 200, description = "the versions, oldest first", body = Versions)))]
pub async fn versions(
    State(state): State<AppState>,
    _: As<Readers>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Versions>> {
    let versions = state.store.versions(id).await?;
    if versions.is_empty() {
        return Err(ApiError::NotFound(format!("roster {id}")));
    }
    Ok(Json(Versions {
        roster: id,
        versions,
    }))
}

pub async fn stored_version(state: &AppState, id: i64) -> ApiResult<crate::store::Version> {
    state
        .store
        .version(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("version {id}")))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionLinks {
    pub plan: String,
    pub publish: String,
    pub report: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionAnswer {
    pub version: VersionMeta,
    /// The roster's summary, for versions planned by peakplan (live edits carry none).
    pub summary: Option<RosterSummary>,
    pub shifts: usize,
    pub vendor_blocks: usize,
    pub links: VersionLinks,
}

/// A version's status, reason and the schedule summary.
///
/// Roles: planner, supervisor.
#[utoipa::path(get, path = "/v1/versions/{version}", tag = "planner",
    params(("version" = i64, Path, description = "version id")),
    responses((status = 200, description = "the version", body = VersionAnswer)))]
pub async fn version(
    State(state): State<AppState>,
    _: As<Readers>,
    Path(id): Path<i64>,
) -> ApiResult<Json<VersionAnswer>> {
    let v = stored_version(&state, id).await?;
    Ok(Json(VersionAnswer {
        version: v.meta,
        summary: v.summary,
        shifts: v.plan.shifts.len(),
        vendor_blocks: v.plan.blocks.len(),
        links: VersionLinks {
            plan: format!("/v1/versions/{id}/plan"),
            publish: format!("/v1/versions/{id}/publish"),
            report: format!("/v1/versions/{id}/report"),
        },
    }))
}

/// A version's whole plan: demand, named shifts with breaks, vendor blocks.
///
/// Roles: planner, supervisor.
#[utoipa::path(get, path = "/v1/versions/{version}/plan", tag = "planner",
    params(("version" = i64, Path, description = "version id")),
    responses((status = 200, description = "the plan", body = LivePlan)))]
pub async fn plan(
    State(state): State<AppState>,
    _: As<Readers>,
    Path(id): Path<i64>,
) -> ApiResult<Json<LivePlan>> {
    let v = stored_version(&state, id).await?;
    Ok(Json((*v.plan).clone()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Published {
    pub version: VersionMeta,
}

/// Publish a draft head version: its roster becomes the live one.
///
/// Roles: planner.
#[utoipa::path(post, path = "/v1/versions/{version}/publish", tag = "planner",
    params(("version" = i64, Path, description = "version id")),
    responses(
        (status = 200, description = "published", body = Published),
        (status = 409, description = "not a draft head", body = Problem, content_type = "application/problem+json")))]
pub async fn publish(
    State(state): State<AppState>,
    caller: As<Planners>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Published>> {
    let meta = state.store.publish(&caller.0, id).await?;
    *state.live.write().expect("live cache lock") = None;
    let _ = state.hub.wake.try_send(());
    debug_assert_eq!(meta.status, VersionStatus::Published);
    Ok(Json(Published { version: meta }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VendorAcknowledgement {
    pub vendor: String,
    pub blocks: usize,
    pub unacknowledged_blocks: usize,
    /// Blocks committed below plan.
    pub shortfall: Vec<Shortfall>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Acknowledgements {
    pub version: i64,
    pub vendors: Vec<VendorAcknowledgement>,
    pub acknowledgements: Vec<VendorAck>,
}

/// What each vendor acknowledged, and where it committed fewer heads than planned.
///
/// Roles: planner, supervisor.
#[utoipa::path(get, path = "/v1/versions/{version}/acknowledgements", tag = "planner",
    params(("version" = i64, Path, description = "version id")),
    responses((status = 200, description = "per vendor", body = Acknowledgements)))]
pub async fn acknowledgements(
    State(state): State<AppState>,
    _: As<Readers>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Acknowledgements>> {
    let v = stored_version(&state, id).await?;
    let acks = state.store.acknowledgements(id).await?;
    let vendors = v
        .plan
        .vendors
        .iter()
        .map(|vendor| {
            let blocks: Vec<_> = v
                .plan
                .blocks
                .iter()
                .filter(|b| b.vendor == vendor.id)
                .collect();
            VendorAcknowledgement {
                vendor: vendor.id.clone(),
                blocks: blocks.len(),
                unacknowledged_blocks: blocks.iter().filter(|b| b.committed.is_none()).count(),
                shortfall: v.plan.shortfall(&vendor.id),
            }
        })
        .collect();
    Ok(Json(Acknowledgements {
        version: id,
        vendors,
        acknowledgements: acks,
    }))
}

/// The plan's HTML report (of the version the plan stored; later live edits are not in it, and
/// a banner says so).
///
/// Roles: planner, supervisor.
#[utoipa::path(get, path = "/v1/versions/{version}/report", tag = "planner",
    params(("version" = i64, Path, description = "version id")),
    responses((status = 200, description = "the report", body = String, content_type = "text/html")))]
pub async fn report(
    State(state): State<AppState>,
    _: As<Readers>,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Html<String>> {
    let (of, html) = state.store.report(id).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "a report for version {id} (`peakplan plan` stores one)"
        ))
    })?;
    if of == id {
        return Ok(axum::response::Html(html));
    }
    let banner = format!(
        "<p style=\"background:#fff3cd;padding:8px 12px;border-radius:4px\">This is the report of version {of}; version {id} has live edits made since, which it does not show.</p>"
    );
    Ok(axum::response::Html(html.replacen(
        "<body>",
        &format!("<body>{banner}"),
        1,
    )))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Entries after this id.
    pub after: Option<i64>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
}

/// The append-only audit log: who did what, when, before and after.
///
/// Roles: planner, supervisor.
#[utoipa::path(get, path = "/v1/audit", tag = "planner", params(Page),
    responses((status = 200, description = "entries", body = AuditPage)))]
pub async fn audit(
    State(state): State<AppState>,
    _: As<Readers>,
    Params(q): Params<Page>,
) -> ApiResult<Json<AuditPage>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "expected 1 to 1000"));
    }
    let entries = state.store.audit_log(q.after.unwrap_or(0), limit).await?;
    Ok(Json(AuditPage { entries }))
}
