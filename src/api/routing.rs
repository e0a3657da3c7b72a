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
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct At {
    /// RFC 3339 instant; now when omitted.
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

fn with_version(body: Value, version: i64) -> Response {
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

/// `GET /v1/routing/staffing?at=…`
pub async fn staffing(
    State(state): State<AppState>,
    _: As<Feed>,
    Params(q): Params<At>,
) -> ApiResult<Response> {
    let at = parse_instant("at", q.at.as_deref())?;
    let (version, view) = state.live().await?;
    let i = interval_of(&view, at)?;
    let plan = &view.plan;
    let channels: Vec<Value> = plan
        .channels
        .iter()
        .enumerate()
        .map(|(c, ch)| {
            let d = &ch.demand[i];
            let p = &view.projection[c][i];
            json!({
                "channel": ch.id,
                "open": d.open,
                "forecast_volume": round(d.volume, 2),
                "target_agents": d.required,
                "scheduled_agents": round(p.core + p.elastic, 2),
                "core_agents": round(p.core, 2),
                "vendor_heads": round(p.elastic, 2),
                "projected_service_level": p.service_level.map(|v| round(v, 4)),
                "projected_abandon_rate": p.abandon_rate.map(|v| round(v, 4)),
                "target_service_level": ch.target.share(),
            })
        })
        .collect();
    Ok(with_version(
        json!({
            "version": version,
            "at": at,
            "interval_start": plan.interval_start(i),
            "interval_end": plan.interval_start(i + 1),
            "channels": channels,
        }),
        version,
    ))
}

/// `GET /v1/routing/roster?at=…`
pub async fn roster(
    State(state): State<AppState>,
    _: As<Feed>,
    Params(q): Params<At>,
) -> ApiResult<Response> {
    let at = parse_instant("at", q.at.as_deref())?;
    let (version, view) = state.live().await?;
    interval_of(&view, at)?;
    let plan = &view.plan;
    let channels: Vec<Value> = plan
        .channels
        .iter()
        .map(|ch| {
            let agents: Vec<Value> = plan
                .shifts
                .iter()
                .filter(|s| s.channel == ch.id && s.works_at(at))
                .map(|s| {
                    json!({
                        "agent": s.agent,
                        "shift_end": s.working_until(),
                        "on_break": s.on_break_at(at),
                    })
                })
                .collect();
            let vendors: Vec<Value> = plan
                .blocks
                .iter()
                .filter(|b| b.channel == ch.id && b.start <= at && at < b.end)
                .map(|b| {
                    json!({
                        "vendor": b.vendor,
                        "heads": b.expected_heads(),
                        "block_end": b.end,
                    })
                })
                .collect();
            json!({ "channel": ch.id, "agents": agents, "vendor_heads": vendors })
        })
        .collect();
    Ok(with_version(
        json!({ "version": version, "at": at, "channels": channels }),
        version,
    ))
}
