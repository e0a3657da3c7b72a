//! Background jobs: forecasting, staffing and scheduling run for seconds to minutes, so a request
//! queues them (202 with the job's address) and a worker in some instance runs each exactly once —
//! claimed from the database (`FOR UPDATE SKIP LOCKED` on PostgreSQL). The worker beats a
//! heartbeat with its progress; a job whose worker stopped beating (a crash) is claimed again, and
//! a gracefully stopping instance hands its running job back at once.

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{As, Body, Planners, Readers};
use crate::plan::{self, Demand, PlanRequest, Stage};
use crate::roster::{Mode, Options};
use crate::scenario::Scenario;
use crate::simulate::{HandleTime, SimulationOptions};
use crate::staffing::{self, LoadMethod};
use crate::store::{Actor, Job, JobStatus, PlanRecord, Store, VersionStatus, now_ms};
use crate::volumes::VolumeSeries;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use utoipa::ToSchema;

/// A job whose worker has not beaten for this long is taken over.
pub const STALE_AFTER_MS: i64 = 30_000;
const HEARTBEAT: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(500);

/// What a planner can run in the background. Histories and forecasts are the ones stored with
/// `POST /v1/histories` and `POST /v1/forecasts`; a job never reads a file on the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum JobRequest {
    /// Forecast a stored history over the scenario's horizon and store the forecast.
    Forecast { scenario: i64, history: i64 },
    /// Required agents per channel and day for a stored forecast.
    Staffing { scenario: i64, forecast: i64 },
    /// Build the roster against a stored forecast, or a stored history forecast first, and store
    /// it as a draft version with its summary and report.
    Schedule {
        scenario: i64,
        #[serde(default)]
        forecast: Option<i64>,
        #[serde(default)]
        history: Option<i64>,
        #[serde(default)]
        mode: Mode,
        #[serde(default = "default_time_limit")]
        time_limit_seconds: f64,
        #[serde(default = "default_gap")]
        gap: f64,
    },
    /// The main job: forecast (or the given forecast), roster, simulation check, report; stored
    /// as a draft version.
    Plan {
        scenario: i64,
        #[serde(default)]
        forecast: Option<i64>,
        #[serde(default)]
        history: Option<i64>,
        #[serde(default)]
        mode: Mode,
        #[serde(default = "default_time_limit")]
        time_limit_seconds: f64,
        #[serde(default = "default_gap")]
        gap: f64,
        #[serde(default = "default_replications")]
        replications: u32,
        #[serde(default = "default_seed")]
        seed: u64,
    },
    /// The capacity plan weeks to months before the peak, from a stored history and the capacity
    /// file's text (TOML, as `models/promo-peak-capacity.toml`, without its `scenario` key: the
    /// stored scenario is the one).
    Capacity {
        scenario: i64,
        history: i64,
        capacity: String,
    },
}

fn default_time_limit() -> f64 {
    crate::roster::Options::default().time_limit_seconds
}
fn default_gap() -> f64 {
    crate::roster::Options::default().relative_gap
}
fn default_replications() -> u32 {
    20
}
fn default_seed() -> u64 {
    1
}

/// Why a job failed, as its `error` says.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("{0} no longer exists")]
    Gone(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Scenario(#[from] crate::scenario::ScenarioError),
    #[error(transparent)]
    Volumes(#[from] crate::volumes::VolumeError),
    #[error(transparent)]
    Forecast(#[from] crate::forecast::ForecastError),
    #[error(transparent)]
    Staffing(#[from] crate::staffing::StaffingError),
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    #[error("the job stopped unexpectedly: {0}")]
    Stopped(#[from] tokio::task::JoinError),
    #[error("the job names neither a history nor a forecast")]
    NoDemand,
    #[error(transparent)]
    Capacity(#[from] crate::capacity::CapacityError),
    #[error("{0}")]
    CapacityPlan(String),
}

/// The stored inputs a job names.
struct Inputs {
    scenario: i64,
    history: Option<i64>,
    forecast: Option<i64>,
}

impl JobRequest {
    pub fn kind(&self) -> &'static str {
        match self {
            JobRequest::Forecast { .. } => "forecast",
            JobRequest::Staffing { .. } => "staffing",
            JobRequest::Schedule { .. } => "schedule",
            JobRequest::Plan { .. } => "plan",
            JobRequest::Capacity { .. } => "capacity",
        }
    }

    fn inputs(&self) -> Inputs {
        match *self {
            JobRequest::Forecast { scenario, history }
            | JobRequest::Capacity {
                scenario, history, ..
            } => Inputs {
                scenario,
                history: Some(history),
                forecast: None,
            },
            JobRequest::Staffing { scenario, forecast } => Inputs {
                scenario,
                history: None,
                forecast: Some(forecast),
            },
            JobRequest::Schedule {
                scenario,
                forecast,
                history,
                ..
            }
            | JobRequest::Plan {
                scenario,
                forecast,
                history,
                ..
            } => Inputs {
                scenario,
                history,
                forecast,
            },
        }
    }

    fn check(&self) -> ApiResult<()> {
        let (time_limit_seconds, gap) = match *self {
            JobRequest::Schedule {
                time_limit_seconds,
                gap,
                ..
            } => (time_limit_seconds, gap),
            JobRequest::Plan {
                time_limit_seconds,
                gap,
                replications,
                ..
            } => {
                if !(1..=1000).contains(&replications) {
                    return Err(ApiError::invalid(
                        "replications",
                        "expected 1 to 1000 replications",
                    ));
                }
                (time_limit_seconds, gap)
            }
            JobRequest::Capacity { ref capacity, .. } => {
                return toml::from_str::<toml::Table>(capacity)
                    .map(|_| ())
                    .map_err(|e| {
                        ApiError::invalid("capacity", e.to_string().trim_end().to_string())
                    });
            }
            _ => return Ok(()),
        };
        if !(1.0..=3600.0).contains(&time_limit_seconds) {
            return Err(ApiError::invalid(
                "time_limit_seconds",
                "expected 1 to 3600 seconds",
            ));
        }
        if !(0.0..1.0).contains(&gap) {
            return Err(ApiError::invalid("gap", "expected a share from 0 to 1"));
        }
        let inputs = self.inputs();
        match (inputs.forecast, inputs.history) {
            (Some(_), Some(_)) => Err(ApiError::invalid(
                "history",
                "give a stored `forecast` or a stored `history` to forecast from, not both",
            )),
            (None, None) => Err(ApiError::invalid(
                "history",
                "give a stored `history` (POST /v1/histories?scenario=<id>) or a stored `forecast`",
            )),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobLinks {
    #[serde(rename = "self")]
    pub this: String,
    pub events: String,
}

impl JobLinks {
    fn of(id: i64) -> JobLinks {
        JobLinks {
            this: format!("/v1/jobs/{id}"),
            events: format!("/v1/jobs/{id}/events"),
        }
    }
}

/// A job as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobAnswer {
    pub id: i64,
    /// forecast, staffing, schedule or plan.
    pub kind: String,
    pub status: JobStatus,
    /// The stage and what it is doing.
    pub progress: String,
    /// What the job produced, once done.
    #[schema(value_type = Option<JobResult>)]
    pub result: Option<Value>,
    /// Why it failed.
    pub error: Option<String>,
    pub attempts: i64,
    pub worker: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub created_by: String,
    pub links: JobLinks,
}

impl From<Job> for JobAnswer {
    fn from(job: Job) -> JobAnswer {
        JobAnswer {
            links: JobLinks::of(job.id),
            id: job.id,
            kind: job.kind,
            status: job.status,
            progress: job.progress,
            result: job.result,
            error: job.error,
            attempts: job.attempts,
            worker: job.worker,
            created_at: job.created_at,
            created_by: job.created_by,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobQueued {
    pub job: i64,
    pub status: JobStatus,
    pub links: JobLinks,
}

/// Queue a forecast, staffing, schedule or plan job: 202 with the job's address. The scenario,
/// history and forecast it names must exist.
///
/// Roles: planner.
#[utoipa::path(post, path = "/v1/jobs", tag = "planner", request_body = JobRequest,
    responses((status = 202, description = "queued", body = JobQueued,
        headers(("Location" = String, description = "the job's address")))))]
pub async fn submit(
    State(state): State<AppState>,
    caller: As<Planners>,
    Body(request): Body<JobRequest>,
) -> ApiResult<Response> {
    let id = enqueue(&state, &caller.0, &request).await?;
    let mut response = (
        StatusCode::ACCEPTED,
        Json(JobQueued {
            job: id,
            status: JobStatus::Queued,
            links: JobLinks::of(id),
        }),
    )
        .into_response();
    if let Ok(v) = format!("/v1/jobs/{id}").parse() {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// Checks a job request (its scenario, history and forecast exist and belong together) and
/// queues it; its id.
pub async fn enqueue(state: &AppState, actor: &Actor, request: &JobRequest) -> ApiResult<i64> {
    request.check()?;
    let inputs = request.inputs();
    let scenario = inputs.scenario;
    if state.store.scenario(scenario).await?.is_none() {
        return Err(ApiError::invalid(
            "scenario",
            format!("no scenario {scenario}"),
        ));
    }
    let belongs = |owner: Option<i64>| owner.is_none_or(|o| o == scenario);
    if let Some(h) = inputs.history {
        match state.store.history(h).await? {
            Some(v) if belongs(v.scenario) => {}
            Some(_) => {
                return Err(ApiError::invalid(
                    "history",
                    format!("history {h} belongs to another scenario"),
                ));
            }
            None => return Err(ApiError::invalid("history", format!("no history {h}"))),
        }
    }
    if let Some(f) = inputs.forecast {
        match state.store.forecast(f).await? {
            Some(v) if belongs(v.scenario) => {}
            Some(_) => {
                return Err(ApiError::invalid(
                    "forecast",
                    format!("forecast {f} belongs to another scenario"),
                ));
            }
            None => return Err(ApiError::invalid("forecast", format!("no forecast {f}"))),
        }
    }
    Ok(state
        .store
        .enqueue_job(actor, request.kind(), &serde_json::to_value(request)?)
        .await?)
}

/// A job's status, progress and result.
///
/// Roles: planner, supervisor.
#[utoipa::path(get, path = "/v1/jobs/{id}", tag = "planner",
    params(("id" = i64, Path, description = "job id")),
    responses((status = 200, description = "the job", body = JobAnswer)))]
pub async fn status(
    State(state): State<AppState>,
    _: As<Readers>,
    Path(id): Path<i64>,
) -> ApiResult<Json<JobAnswer>> {
    let job = state
        .store
        .job(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("job {id}")))?;
    Ok(Json(job.into()))
}

/// A job's progress as server-sent events (`progress`, then one `finished`), each carrying the
/// job as `GET /v1/jobs/{id}` answers it.
///
/// Roles: planner, supervisor.
#[utoipa::path(get, path = "/v1/jobs/{id}/events", tag = "planner",
    params(("id" = i64, Path, description = "job id")),
    responses((status = 200, description = "events whose data is a JobAnswer", body = String, content_type = "text/event-stream")))]
pub async fn progress(
    State(state): State<AppState>,
    _: As<Readers>,
    Path(id): Path<i64>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
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
                        .data(
                            serde_json::to_string(&JobAnswer::from(job)).expect("a job serialises"),
                        );
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
                    Ok(Ok(result)) => serde_json::to_value(result)
                        .map_err(|e| format!("unwritable result: {e}")),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(e) => Err(JobError::from(e).to_string()),
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

async fn stored_scenario(store: &dyn Store, id: i64) -> Result<Scenario, JobError> {
    Ok(stored_scenario_text(store, id).await?.0)
}

/// A stored scenario, parsed, with its text.
async fn stored_scenario_text(store: &dyn Store, id: i64) -> Result<(Scenario, String), JobError> {
    let (_, text) = store
        .scenario(id)
        .await?
        .ok_or_else(|| JobError::Gone(format!("scenario {id}")))?;
    let scenario = Scenario::parse(&text, &format!("scenario {id}"))?;
    Ok((scenario, text))
}

/// A stored history or forecast, read as volume CSV.
async fn stored_volumes(
    store: &dyn Store,
    scenario: &Scenario,
    id: i64,
    history: bool,
) -> Result<VolumeSeries, JobError> {
    let (what, stored) = if history {
        ("history", store.history(id).await?)
    } else {
        ("forecast", store.forecast(id).await?)
    };
    let stored = stored.ok_or_else(|| JobError::Gone(format!("{what} {id}")))?;
    Ok(VolumeSeries::read_from(
        stored.csv.as_bytes(),
        &format!("{what} {id}"),
        scenario.time_zone,
    )?)
}

/// What a roster job plans against: a stored forecast, or a stored history to forecast.
async fn stored_demand(
    store: &dyn Store,
    scenario: &Scenario,
    forecast: Option<i64>,
    history: Option<i64>,
) -> Result<Demand, JobError> {
    match (forecast, history) {
        (Some(f), _) => Ok(Demand::Forecast(
            stored_volumes(store, scenario, f, false).await?,
        )),
        (None, Some(h)) => Ok(Demand::History(
            stored_volumes(store, scenario, h, true).await?,
        )),
        (None, None) => Err(JobError::NoDemand),
    }
}

/// A job's progress line, set from the thread that runs the main job.
type ProgressLine = Arc<std::sync::Mutex<String>>;

/// Runs the main job off the async threads and stores its roster as a draft version.
async fn plan_job(
    store: &dyn Store,
    actor: &Actor,
    request: PlanRequest,
    progress: ProgressLine,
) -> Result<JobResult, JobError> {
    let plan = tokio::task::spawn_blocking(move || {
        let report = |stage: Stage, detail: &str| {
            let line = if detail.is_empty() {
                stage.describe().to_string()
            } else {
                format!("{}: {detail}", stage.describe())
            };
            *progress.lock().expect("progress lock") = line;
        };
        plan::run(&request, &report)
    })
    .await??;
    let forecast = crate::export::volumes_string(&plan.forecast, plan.scenario.time_zone);
    let meta = store
        .store_plan(actor, &PlanRecord::new(&plan, &forecast), false)
        .await?;
    Ok(JobResult::Roster {
        roster: meta.roster_id,
        version: meta.id,
        status: meta.status,
        cost_total: plan.summary.cost_total,
        simulated: plan.simulation.is_some(),
        links: RosterLinks {
            version: format!("/v1/versions/{}", meta.id),
            publish: format!("/v1/versions/{}/publish", meta.id),
            report: format!("/v1/versions/{}/report", meta.id),
        },
    })
}

async fn execute(
    store: Arc<dyn Store>,
    actor: Actor,
    request: JobRequest,
    progress: ProgressLine,
) -> Result<JobResult, JobError> {
    let set = |line: &str| *progress.lock().expect("progress lock") = line.to_string();
    let inputs = request.inputs();
    match request {
        JobRequest::Forecast {
            scenario: id,
            history,
        } => {
            let scenario = stored_scenario(&*store, id).await?;
            let series = stored_volumes(&*store, &scenario, history, true).await?;
            set(Stage::Forecast.describe());
            let tz = scenario.time_zone;
            let rows = tokio::task::spawn_blocking(move || {
                crate::forecast::over_horizon(&series, &scenario).map(|f| f.rows())
            })
            .await??;
            let csv = crate::export::volumes_string(&rows, tz);
            let forecast = store
                .put_forecast(
                    &actor,
                    Some(id),
                    &format!("forecast of history {history}"),
                    &csv,
                )
                .await?;
            Ok(JobResult::Forecast {
                forecast,
                rows: rows.len(),
            })
        }
        JobRequest::Staffing {
            scenario: id,
            forecast,
        } => {
            let scenario = stored_scenario(&*store, id).await?;
            let series = stored_volumes(&*store, &scenario, forecast, false).await?;
            set(Stage::Staffing.describe());
            tokio::task::spawn_blocking(move || -> Result<JobResult, JobError> {
                let grid = scenario.grid();
                let volumes = series.on_grid(&scenario, &grid)?;
                let req = staffing::requirements(
                    &scenario,
                    &grid,
                    &volumes,
                    LoadMethod::ModifiedOfferedLoad,
                )?;
                Ok(JobResult::Staffing {
                    days: req.daily_summary(&scenario, &grid),
                })
            })
            .await?
        }
        JobRequest::Schedule {
            mode,
            time_limit_seconds,
            gap,
            ..
        } => {
            let roster = roster_options(mode, time_limit_seconds, gap);
            roster_job(&*store, &actor, &inputs, roster, None, progress).await
        }
        JobRequest::Plan {
            mode,
            time_limit_seconds,
            gap,
            replications,
            seed,
            ..
        } => {
            let roster = roster_options(mode, time_limit_seconds, gap);
            let simulation = SimulationOptions {
                replications,
                seed,
                handle_time: HandleTime::Exponential,
            };
            roster_job(&*store, &actor, &inputs, roster, Some(simulation), progress).await
        }
        JobRequest::Capacity {
            scenario: id,
            history,
            capacity,
        } => {
            let scenario = stored_scenario(&*store, id).await?;
            let series = stored_volumes(&*store, &scenario, history, true).await?;
            set("forecasting weekly volumes and solving the capacity plan");
            tokio::task::spawn_blocking(move || -> Result<JobResult, JobError> {
                let history = crate::forecast::history::for_scenario(&series, &scenario)?;
                let file = crate::capacity::input::CapacityFile::parse(
                    &capacity,
                    "the job's capacity",
                    scenario,
                )?;
                let plan = crate::capacity::input::plan(&file, &history)
                    .map_err(|e| JobError::CapacityPlan(format!("{e:#}")))?;
                let s = &plan.solution;
                Ok(JobResult::Capacity {
                    cost_total: s.cost.total,
                    lower_bound: s.lower_bound,
                    gap: s.gap,
                    unreachable_weeks: s.unreachable.len(),
                    plan: serde_json::to_value(s)
                        .map_err(|e| JobError::CapacityPlan(e.to_string()))?,
                })
            })
            .await?
        }
    }
}

/// A schedule or plan job: the main job on a stored scenario and its stored history or forecast.
async fn roster_job(
    store: &dyn Store,
    actor: &Actor,
    inputs: &Inputs,
    roster: Options,
    simulation: Option<SimulationOptions>,
    progress: ProgressLine,
) -> Result<JobResult, JobError> {
    let (scenario, scenario_text) = stored_scenario_text(store, inputs.scenario).await?;
    let demand = stored_demand(store, &scenario, inputs.forecast, inputs.history).await?;
    let request = PlanRequest {
        scenario,
        scenario_text,
        demand,
        roster,
        simulation,
    };
    plan_job(store, actor, request, progress).await
}

fn roster_options(mode: Mode, time_limit_seconds: f64, gap: f64) -> Options {
    Options {
        mode,
        time_limit_seconds,
        relative_gap: gap,
        ..Options::default()
    }
}

/// What a finished job produced.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobResult {
    /// The forecast stored.
    Forecast { forecast: i64, rows: usize },
    /// Required agents per channel and day.
    Staffing {
        days: Vec<crate::staffing::DailySummary>,
    },
    /// The roster stored as a draft version.
    Roster {
        roster: i64,
        version: i64,
        status: VersionStatus,
        cost_total: f64,
        /// Whether the roster was checked by simulation (plan jobs).
        simulated: bool,
        links: RosterLinks,
    },
    /// The capacity plan: its expected cost, bound and gap, the channel-weeks where the
    /// reliability target cannot be met, and the whole plan (weeks, classes, seats, headcount).
    Capacity {
        cost_total: f64,
        lower_bound: f64,
        gap: f64,
        unreachable_weeks: usize,
        #[schema(value_type = Object)]
        plan: serde_json::Value,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RosterLinks {
    pub version: String,
    pub publish: String,
    pub report: String,
}
