//! Planners: scenarios and forecasts in, rosters and their versions out, publishing, and the audit
//! log. Supervisors may read all of it.

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{As, Params, Planners, Readers};
use crate::scenario::Scenario;
use crate::store::VersionStatus;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    pub name: Option<String>,
}

/// `POST /v1/scenarios` — the scenario TOML as the body; validated before it is stored.
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
        Json(json!({ "id": id, "name": scenario.name })),
    )
        .into_response())
}

pub async fn scenarios(State(state): State<AppState>, _: As<Readers>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "scenarios": state.store.scenarios().await? })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastQuery {
    pub scenario: i64,
}

/// `POST /v1/forecasts?scenario=<id>` — a forecast CSV (as `peakplan forecast` writes it),
/// checked against the scenario's channels before it is stored.
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
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

/// Largest history accepted (a year of 5-minute intervals on three channels fits).
pub const HISTORY_LIMIT: usize = 48 * 1024 * 1024;

/// `POST /v1/histories?scenario=<id>` — a volume history CSV (`timestamp,channel,volume[,aht_seconds]`),
/// checked line by line against the scenario's channels before it is stored; forecast and plan
/// jobs learn from it.
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
        Json(json!({ "id": id, "rows": series.rows.len() })),
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

pub async fn rosters(State(state): State<AppState>, _: As<Readers>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "rosters": state.store.rosters().await? })))
}

pub async fn versions(
    State(state): State<AppState>,
    _: As<Readers>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let versions = state.store.versions(id).await?;
    if versions.is_empty() {
        return Err(ApiError::NotFound(format!("roster {id}")));
    }
    Ok(Json(json!({ "roster": id, "versions": versions })))
}

async fn stored_version(state: &AppState, id: i64) -> ApiResult<crate::store::Version> {
    state
        .store
        .version(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("version {id}")))
}

/// `GET /v1/versions/{version}` — status, reason and the schedule summary.
pub async fn version(
    State(state): State<AppState>,
    _: As<Readers>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let v = stored_version(&state, id).await?;
    Ok(Json(json!({
        "version": v.meta,
        "summary": v.summary,
        "shifts": v.plan.shifts.len(),
        "vendor_blocks": v.plan.blocks.len(),
        "links": {
            "plan": format!("/v1/versions/{id}/plan"),
            "publish": format!("/v1/versions/{id}/publish"),
        },
    })))
}

/// `GET /v1/versions/{version}/plan` — the whole live plan (names included).
pub async fn plan(
    State(state): State<AppState>,
    _: As<Readers>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let v = stored_version(&state, id).await?;
    Ok(Json(serde_json::to_value(&*v.plan)?))
}

pub async fn publish(
    State(state): State<AppState>,
    caller: As<Planners>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let meta = state.store.publish(&caller.0, id).await?;
    *state.live.write().expect("live cache lock") = None;
    let _ = state.hub.wake.try_send(());
    debug_assert_eq!(meta.status, VersionStatus::Published);
    Ok(Json(json!({ "version": meta })))
}

/// `GET /v1/versions/{version}/acknowledgements` — what each vendor acknowledged and where it
/// committed fewer heads than planned.
pub async fn acknowledgements(
    State(state): State<AppState>,
    _: As<Readers>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let v = stored_version(&state, id).await?;
    let acks = state.store.acknowledgements(id).await?;
    let vendors: Vec<Value> = v
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
            let pending = blocks.iter().filter(|b| b.committed.is_none()).count();
            json!({
                "vendor": vendor.id,
                "blocks": blocks.len(),
                "unacknowledged_blocks": pending,
                "shortfall": v.plan.shortfall(&vendor.id),
            })
        })
        .collect();
    Ok(Json(
        json!({ "version": id, "vendors": vendors, "acknowledgements": acks }),
    ))
}

/// `GET /v1/versions/{version}/report` — the plan's HTML report (of the version `peakplan plan`
/// stored; later live edits are not in it, and a banner says so).
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

pub async fn audit(
    State(state): State<AppState>,
    _: As<Readers>,
    Params(q): Params<Page>,
) -> ApiResult<Json<Value>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "expected 1 to 1000"));
    }
    let entries = state.store.audit_log(q.after.unwrap_or(0), limit).await?;
    Ok(Json(json!({ "entries": entries })))
}
