//! Background jobs: forecasting, staffing and scheduling run for seconds to minutes, so a request
//! queues them (202 with the job's address) and a worker in some instance runs each exactly once —
//! claimed from the database (`FOR UPDATE SKIP LOCKED` on PostgreSQL). The worker beats a
//! heartbeat with its progress; a job whose worker stopped beating (a crash) is claimed again, and
//! a gracefully stopping instance hands its running job back at once.

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Body, Caller, PLANNER, READ_ALL};
use crate::live::LivePlan;
use crate::roster::{Mode, Options};
use crate::scenario::Scenario;
use crate::staffing::{self, LoadMethod};
use crate::store::{Actor, Job, JobStatus, Store, now_ms};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// A job whose worker has not beaten for this long is taken over.
pub const STALE_AFTER_MS: i64 = 30_000;
const HEARTBEAT: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(500);

/// What a planner can run in the background.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum JobRequest {
    /// Forecast the scenario's history over its horizon and store the forecast.
    Forecast { scenario: i64 },
    /// Required agents per channel and day for a stored forecast.
    Staffing { scenario: i64, forecast: i64 },
    /// Build the roster against a stored forecast (or the scenario's history forecast) and store
    /// it as a draft version.
    Schedule {
        scenario: i64,
        #[serde(default)]
        forecast: Option<i64>,
        #[serde(default = "default_mode")]
        mode: String,
        #[serde(default = "default_time_limit")]
        time_limit_seconds: f64,
        #[serde(default = "default_gap")]
        gap: f64,
    },
}

fn default_mode() -> String {
    "service".into()
}
fn default_time_limit() -> f64 {
    120.0
}
fn default_gap() -> f64 {
    0.01
}

impl JobRequest {
    fn kind(&self) -> &'static str {
        match self {
            JobRequest::Forecast { .. } => "forecast",
            JobRequest::Staffing { .. } => "staffing",
            JobRequest::Schedule { .. } => "schedule",
        }
    }

    fn check(&self) -> ApiResult<()> {
        if let JobRequest::Schedule {
            mode,
            time_limit_seconds,
            gap,
            ..
        } = self
        {
            if mode != "service" && mode != "coverage" {
                return Err(ApiError::invalid(
                    "mode",
                    "expected \"service\" or \"coverage\"",
                ));
            }
            if !(1.0..=3600.0).contains(time_limit_seconds) {
                return Err(ApiError::invalid(
                    "time_limit_seconds",
                    "expected 1 to 3600 seconds",
                ));
            }
            if !(0.0..1.0).contains(gap) {
                return Err(ApiError::invalid("gap", "expected a share from 0 to 1"));
            }
        }
        Ok(())
    }
}

fn job_json(job: &Job) -> Value {
    json!({
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "result": job.result,
        "error": job.error,
        "attempts": job.attempts,
        "worker": job.worker,
        "created_at": job.created_at,
        "created_by": job.created_by,
        "links": {
            "self": format!("/v1/jobs/{}", job.id),
            "events": format!("/v1/jobs/{}/events", job.id),
        },
    })
}

/// `POST /v1/jobs` — 202 with the job's address.
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    Body(request): Body<JobRequest>,
) -> ApiResult<Response> {
    caller.require(PLANNER, "run jobs")?;
    request.check()?;
    let scenario = match &request {
        JobRequest::Forecast { scenario }
        | JobRequest::Staffing { scenario, .. }
        | JobRequest::Schedule { scenario, .. } => *scenario,
    };
    if state.store.scenario(scenario).await?.is_none() {
        return Err(ApiError::invalid(
            "scenario",
            format!("no scenario {scenario}"),
        ));
    }
    let id = state
        .store
        .enqueue_job(&caller.0, request.kind(), &serde_json::to_value(&request)?)
        .await?;
    let mut response = (
        StatusCode::ACCEPTED,
        Json(json!({
            "job": id,
            "status": "queued",
            "links": { "self": format!("/v1/jobs/{id}"), "events": format!("/v1/jobs/{id}/events") },
        })),
    )
        .into_response();
    if let Ok(v) = format!("/v1/jobs/{id}").parse() {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    caller.require(READ_ALL, "read jobs")?;
    let job = state
        .store
        .job(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("job {id}")))?;
    Ok(Json(job_json(&job)))
}

/// `GET /v1/jobs/{id}/events` — progress as server-sent events until the job is done or failed;
/// the last event carries the result and its link.
pub async fn progress(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    caller.require(READ_ALL, "read jobs")?;
    if state.store.job(id).await?.is_none() {
        return Err(ApiError::NotFound(format!("job {id}")));
    }
    let store = state.store.clone();
    let events = stream::unfold(
        (store, None::<(JobStatus, String)>, false),
        move |(store, seen, finished)| async move {
            if finished {
                return None;
            }
            loop {
                let job = match store.job(id).await {
                    Ok(Some(job)) => job,
                    _ => return None,
                };
                let now = (job.status, job.progress.clone());
                if seen.as_ref() != Some(&now) {
                    let done = matches!(job.status, JobStatus::Done | JobStatus::Failed);
                    let event = Event::default()
                        .event(if done { "finished" } else { "progress" })
                        .data(job_json(&job).to_string());
                    return Some((Ok(event), (store, Some(now), done)));
                }
                tokio::time::sleep(POLL).await;
            }
        },
    );
    let events = futures_util::StreamExt::take_until(events, state.stopped());
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Claims and runs jobs until `stop` turns true.
pub async fn run_worker(state: AppState, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        let claimed = state
            .store
            .claim_job(&state.worker, now_ms(), STALE_AFTER_MS)
            .await;
        match claimed {
            Ok(Some(job)) => {
                tracing::info!("job {} ({}) started", job.id, job.kind);
                if !run_one(&state, job, &mut stop).await {
                    return;
                }
            }
            Ok(None) => {
                tokio::select! {
                    _ = tokio::time::sleep(POLL) => {}
                    _ = stop.changed() => {}
                }
            }
            Err(e) => {
                tracing::warn!("job queue: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Runs one job with a heartbeat; false when the worker was stopped before it finished (the job
/// is then released, not failed).
async fn run_one(state: &AppState, job: Job, stop: &mut watch::Receiver<bool>) -> bool {
    let store = state.store.clone();
    let worker = state.worker.clone();
    let progress = Arc::new(std::sync::Mutex::new(String::from("started")));
    let request: JobRequest = match serde_json::from_value(job.params.clone()) {
        Ok(r) => r,
        Err(e) => {
            let _ = store
                .finish_job(
                    job.id,
                    &worker,
                    Err(format!("unreadable job parameters: {e}")),
                )
                .await;
            return true;
        }
    };
    let actor = Actor {
        label: format!("job {} for {}", job.id, job.created_by),
        role: crate::store::Role::Planner,
    };
    let work = {
        let store = store.clone();
        let progress = progress.clone();
        tokio::spawn(async move { execute(store, actor, request, progress).await })
    };
    tokio::pin!(work);
    let mut beat = tokio::time::interval(HEARTBEAT);
    loop {
        tokio::select! {
            outcome = &mut work => {
                let outcome = match outcome {
                    Ok(r) => r,
                    Err(e) => Err(format!("the job stopped unexpectedly: {e}")),
                };
                if let Err(e) = store.finish_job(job.id, &worker, outcome).await {
                    tracing::warn!("job {}: {e}", job.id);
                }
                tracing::info!("job {} finished", job.id);
                return true;
            }
            _ = beat.tick() => {
                let line = progress.lock().expect("progress lock").clone();
                let _ = store.job_progress(job.id, &worker, &line, now_ms()).await;
            }
            _ = stop.changed() => {
                // The blocking solve cannot be interrupted; the job goes back to the queue and
                // this process exits without waiting for it.
                return false;
            }
        }
    }
}

async fn stored_scenario(store: &dyn Store, id: i64) -> Result<Scenario, String> {
    let (_, text) = store
        .scenario(id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("scenario {id} no longer exists"))?;
    Scenario::parse(&text, &format!("scenario {id}")).map_err(|e| e.to_string())
}

async fn stored_forecast(
    store: &dyn Store,
    scenario: &Scenario,
    id: i64,
) -> Result<Vec<crate::volumes::VolumeRow>, String> {
    let csv = store
        .forecast(id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("forecast {id} does not exist"))?;
    crate::volumes::VolumeSeries::read_from(
        csv.as_bytes(),
        &format!("forecast {id}"),
        scenario.time_zone,
    )
    .map(|s| s.rows)
    .map_err(|e| e.to_string())
}

/// The scenario's history forecast over its horizon. A stored scenario's relative `history` path
/// is read from the server's working directory.
async fn forecast_history(
    scenario: &Scenario,
) -> Result<(Vec<crate::volumes::VolumeRow>, String), String> {
    let s = scenario.clone();
    tokio::task::spawn_blocking(move || crate::forecast::horizon_from_history(&s))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| {
            format!(
                "{e:#}; the server reads a scenario's `history` relative to its working directory — \
                 store a forecast with POST /v1/forecasts?scenario=<id> and pass its id as `forecast`"
            )
        })
}

async fn execute(
    store: Arc<dyn Store>,
    actor: Actor,
    request: JobRequest,
    progress: Arc<std::sync::Mutex<String>>,
) -> Result<Value, String> {
    let set = {
        let progress = progress.clone();
        move |line: &str| *progress.lock().expect("progress lock") = line.to_string()
    };
    match request {
        JobRequest::Forecast { scenario: id } => {
            let scenario = stored_scenario(&*store, id).await?;
            set("forecasting from the history");
            let tz = scenario.time_zone;
            let (rows, origin) = forecast_history(&scenario).await?;
            let mut csv = Vec::new();
            crate::volumes::write(&mut csv, &rows, tz).map_err(|e| e.to_string())?;
            let csv = String::from_utf8(csv).map_err(|e| e.to_string())?;
            let forecast = store
                .put_forecast(&actor, Some(id), &origin, &csv)
                .await
                .map_err(|e| e.to_string())?;
            Ok(json!({ "forecast": forecast, "rows": rows.len() }))
        }
        JobRequest::Staffing {
            scenario: id,
            forecast,
        } => {
            let scenario = stored_scenario(&*store, id).await?;
            let rows = stored_forecast(&*store, &scenario, forecast).await?;
            set("staffing");
            tokio::task::spawn_blocking(move || -> Result<Value, String> {
                let grid = scenario.grid();
                let volumes = crate::volumes::VolumeSeries {
                    origin: format!("forecast {forecast}"),
                    rows,
                }
                .on_grid(&scenario, &grid)
                .map_err(|e| e.to_string())?;
                let req = staffing::requirements(
                    &scenario,
                    &grid,
                    &volumes,
                    LoadMethod::ModifiedOfferedLoad,
                )
                .map_err(|e| e.to_string())?;
                Ok(json!({ "days": req.daily_summary(&scenario, &grid) }))
            })
            .await
            .map_err(|e| e.to_string())?
        }
        JobRequest::Schedule {
            scenario: id,
            forecast,
            mode,
            time_limit_seconds,
            gap,
        } => {
            let scenario = stored_scenario(&*store, id).await?;
            let rows = match forecast {
                Some(f) => (
                    stored_forecast(&*store, &scenario, f).await?,
                    format!("forecast {f}"),
                ),
                None => {
                    set("forecasting from the history");
                    forecast_history(&scenario).await?
                }
            };
            set("building the roster program");
            let options = Options {
                mode: if mode == "coverage" {
                    Mode::Coverage
                } else {
                    Mode::Service
                },
                time_limit_seconds,
                relative_gap: gap,
                ..Options::default()
            };
            let (plan, summary) = tokio::task::spawn_blocking(move || {
                let report = |line: &str| set(line);
                let planned = crate::roster::plan(&scenario, &rows.0, &rows.1, &options, &report)
                    .map_err(|e| format!("{e:#}"))?;
                let summary =
                    crate::roster::summary::summary_json(&scenario, &rows.1, &planned.roster);
                let plan = LivePlan::from_roster(
                    &scenario,
                    &planned.grid,
                    &planned.requirements,
                    &planned.roster,
                );
                Ok::<_, String>((plan, summary))
            })
            .await
            .map_err(|e| e.to_string())??;
            let meta = store
                .create_roster(&actor, Some(id), &plan, Some(&summary), None)
                .await
                .map_err(|e| e.to_string())?;
            Ok(json!({
                "roster": meta.roster_id,
                "version": meta.id,
                "status": "draft",
                "cost_total": summary.get("cost_total"),
                "links": {
                    "version": format!("/v1/versions/{}", meta.id),
                    "publish": format!("/v1/versions/{}/publish", meta.id),
                },
            }))
        }
    }
}
