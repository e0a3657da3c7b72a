//! What the routing layer reads: per channel, how many agents the plan wants and has at an instant
//! and the service that projects to; and who is on shift (agent ids and vendor heads, never names).

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{As, Feed, Params};
use crate::live::LiveView;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct At {
    /// RFC 3339 instant (`2026-11-11T14:00:00+08:00`); now when omitted.
    #[param(format = DateTime)]
    pub at: Option<String>,
}

pub fn parse_instant(field: &str, text: Option<&str>) -> ApiResult<DateTime<Utc>> {
    match text {
        None => Ok(Utc::now()),
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|e| {
                ApiError::invalid(
                    field,
                    format!("expected an RFC 3339 instant such as 2026-11-11T14:00:00+01:00 ({e})"),
                )
            }),
    }
}

fn interval_of(view: &LiveView, at: DateTime<Utc>) -> ApiResult<usize> {
    view.plan.interval_at(at).ok_or_else(|| {
        ApiError::invalid(
            "at",
            format!(
                "{at} is outside the live roster ({} to {})",
                view.plan.start,
                view.plan.end()
            ),
        )
    })
}

fn with_version(body: impl Serialize, version: i64) -> Response {
    let mut response = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

/// One channel at an instant.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelStaffing {
    pub channel: String,
    pub open: bool,
    pub forecast_volume: f64,
    /// Agents the plan wants on shift (before shrinkage).
    pub target_agents: u32,
    pub scheduled_agents: f64,
    pub core_agents: f64,
    pub vendor_heads: f64,
    pub projected_service_level: Option<f64>,
    pub projected_abandon_rate: Option<f64>,
    pub target_service_level: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Staffing {
    pub version: i64,
    pub at: DateTime<Utc>,
    pub interval_start: DateTime<Utc>,
    pub interval_end: DateTime<Utc>,
    pub channels: Vec<ChannelStaffing>,
}

/// Per channel at an instant: target and scheduled agents, projected service. The ETag is the
/// live version.
///
/// Roles: planner, supervisor, routing.
#[utoipa::path(get, path = "/v1/routing/staffing", tag = "routing", params(At),
    responses((status = 200, description = "staffing", body = Staffing)))]
pub async fn staffing(
    State(state): State<AppState>,
    _: As<Feed>,
    Params(q): Params<At>,
) -> ApiResult<Response> {
    let at = parse_instant("at", q.at.as_deref())?;
    let (version, view) = state.live().await?;
    let i = interval_of(&view, at)?;
    let plan = &view.plan;
    let channels = plan
        .channels
        .iter()
        .enumerate()
        .map(|(c, ch)| {
            let d = &ch.demand[i];
            let p = &view.projection[c][i];
            ChannelStaffing {
                channel: ch.id.clone(),
                open: d.open,
                forecast_volume: round(d.volume, 2),
                target_agents: d.required,
                scheduled_agents: round(p.core + p.elastic, 2),
                core_agents: round(p.core, 2),
                vendor_heads: round(p.elastic, 2),
                projected_service_level: p.service_level.map(|v| round(v, 4)),
                projected_abandon_rate: p.abandon_rate.map(|v| round(v, 4)),
                target_service_level: ch.target.share(),
            }
        })
        .collect();
    Ok(with_version(
        Staffing {
            version,
            at,
            interval_start: plan.interval_start(i),
            interval_end: plan.interval_start(i + 1),
            channels,
        },
        version,
    ))
}

/// An agent on shift (ids only, never names).
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentOnShift {
    pub agent: String,
    pub shift_end: DateTime<Utc>,
    pub on_break: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VendorOnShift {
    pub vendor: String,
    /// Heads committed, or planned while the vendor has not answered.
    pub heads: u32,
    pub block_end: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelRoster {
    pub channel: String,
    pub agents: Vec<AgentOnShift>,
    pub vendor_heads: Vec<VendorOnShift>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OnShift {
    pub version: i64,
    pub at: DateTime<Utc>,
    pub channels: Vec<ChannelRoster>,
}

/// Agents and vendor heads on shift per channel at an instant, with when each leaves.
///
/// Roles: planner, supervisor, routing.
#[utoipa::path(get, path = "/v1/routing/roster", tag = "routing", params(At),
    responses((status = 200, description = "who is on shift", body = OnShift)))]
pub async fn roster(
    State(state): State<AppState>,
    _: As<Feed>,
    Params(q): Params<At>,
) -> ApiResult<Response> {
    let at = parse_instant("at", q.at.as_deref())?;
    let (version, view) = state.live().await?;
    interval_of(&view, at)?;
    let plan = &view.plan;
    let channels = plan
        .channels
        .iter()
        .map(|ch| ChannelRoster {
            channel: ch.id.clone(),
            agents: plan
                .shifts
                .iter()
                .filter(|s| s.channel == ch.id && s.works_at(at))
                .map(|s| AgentOnShift {
                    agent: s.agent.clone(),
                    shift_end: s.working_until(),
                    on_break: s.on_break_at(at),
                })
                .collect(),
            vendor_heads: plan
                .blocks
                .iter()
                .filter(|b| b.channel == ch.id && b.start <= at && at < b.end)
                .map(|b| VendorOnShift {
                    vendor: b.vendor.clone(),
                    heads: b.expected_heads(),
                    block_end: b.end,
                })
                .collect(),
        })
        .collect();
    Ok(with_version(
        OnShift {
            version,
            at,
            channels,
        },
        version,
    ))
}
