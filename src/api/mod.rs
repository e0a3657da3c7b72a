//! The HTTP API: one router per audience over the same store and the same library calls.
//!
//! - planners ([`planner`]): scenarios, rosters and versions, background jobs, publishing;
//! - the routing layer ([`routing`], [`events`]): staffing and roster at an instant, the change feed;
//! - vendors ([`vendor`]): their own plan only, and its acknowledgement;
//! - supervisors ([`supervisor`]): live edits under `If-Match`, the intraday re-forecast.
//!
//! Bearer tokens carry the role ([`extract::Caller`]); errors are problem+json ([`error`]).
//! [`serve`] takes a bound listener, so tests run the real server on port 0.

pub mod error;
pub mod events;
pub mod extract;
pub mod jobs;
pub mod openapi;
pub mod planner;
pub mod routing;
pub mod supervisor;
pub mod token_cache;
pub mod vendor;

use crate::live::LiveView;
use crate::store::{Change, Store, Version};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use error::{ApiError, ApiResult};
use serde::Serialize;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use token_cache::TokenCache;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Largest request body accepted (a scenario file or a day of actuals fits many times over).
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;
/// Requests taking longer are answered 408 (and the work they started is cancelled); long work
/// runs as jobs instead.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub request_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            request_timeout: REQUEST_TIMEOUT,
        }
    }
}

/// The live roster with its projection, as of one version.
pub type LiveEntry = (i64, Arc<LiveView>);

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub hub: Arc<events::Hub>,
    pub tokens: Arc<RwLock<TokenCache>>,
    /// The live roster's head and projection; cleared by every change.
    pub live: Arc<RwLock<Option<LiveEntry>>>,
    /// The last projection computed, kept when `live` is cleared: a newer version's projection
    /// starts from it and runs the queueing engine only where agents changed.
    last: Arc<RwLock<Option<Arc<LiveView>>>>,
    pub reload: Arc<tokio::sync::Mutex<()>>,
    /// This instance's name in the jobs table.
    pub worker: String,
    /// Turns true when the server starts to stop: open event streams end, so that graceful
    /// shutdown does not wait on subscribers that never hang up.
    pub stopping: tokio::sync::watch::Receiver<bool>,
    stop: Arc<tokio::sync::watch::Sender<bool>>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> AppState {
        let live: Arc<RwLock<Option<LiveEntry>>> = Arc::new(RwLock::new(None));
        let cache = live.clone();
        let hub = events::Hub::start(store.clone(), move |change: &Change| {
            let mut guard = cache.write().expect("live cache lock");
            if guard.as_ref().is_some_and(|(v, _)| *v != change.version) {
                *guard = None;
            }
        });
        let (stop, stopping) = tokio::sync::watch::channel(false);
        AppState {
            store,
            hub,
            tokens: Arc::new(RwLock::new(TokenCache::default())),
            live,
            last: Arc::new(RwLock::new(None)),
            reload: Arc::new(tokio::sync::Mutex::new(())),
            worker: format!("{}-{}", hostname(), std::process::id()),
            stopping,
            stop: Arc::new(stop),
        }
    }

    /// Resolves when the server starts to stop.
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static + use<> {
        let mut rx = self.stopping.clone();
        async move {
            let _ = rx.wait_for(|stopping| *stopping).await;
        }
    }

    /// The live roster's head version and projection.
    pub async fn live(&self) -> ApiResult<LiveEntry> {
        if let Some(entry) = self.live.read().expect("live cache lock").clone() {
            return Ok(entry);
        }
        let _one_loader = self.reload.lock().await;
        if let Some(entry) = self.live.read().expect("live cache lock").clone() {
            return Ok(entry);
        }
        let version = self.store.live_version().await?.ok_or_else(|| {
            ApiError::NotFound(
                "a published roster (publish one with `peakplan publish DIR` or POST /v1/versions/{version}/publish)"
                    .into(),
            )
        })?;
        let last = self.last.read().expect("live cache lock").clone();
        let entry = (version.meta.id, Arc::new(project(&version, last).await?));
        *self.live.write().expect("live cache lock") = Some(entry.clone());
        *self.last.write().expect("live cache lock") = Some(entry.1.clone());
        Ok(entry)
    }

    /// Sets the cache to a version this instance just wrote, and wakes the feed.
    pub fn wrote(&self, version: i64, view: Arc<LiveView>) {
        *self.last.write().expect("live cache lock") = Some(view.clone());
        *self.live.write().expect("live cache lock") = Some((version, view));
        let _ = self.hub.wake.try_send(());
    }
}

/// Cancels the blocking work a request started when the request ends (answered, or dropped by
/// the timeout): no request starts work that outlives it.
pub struct CancelOnDrop(crate::live::Cancel);

impl CancelOnDrop {
    pub fn new() -> CancelOnDrop {
        CancelOnDrop(crate::live::Cancel::default())
    }

    /// What the work checks.
    pub fn token(&self) -> crate::live::Cancel {
        self.0.clone()
    }
}

impl Default for CancelOnDrop {
    fn default() -> Self {
        CancelOnDrop::new()
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// The projection of a stored version, computed off the async threads (the queueing engine runs
/// for every open interval) — or, from an earlier projection of the same roster, only for the
/// intervals whose agents changed since.
pub async fn project(version: &Version, earlier: Option<Arc<LiveView>>) -> ApiResult<LiveView> {
    let plan = (*version.plan).clone();
    tokio::task::spawn_blocking(move || match earlier {
        Some(earlier) => {
            let channels: Vec<String> = plan.channels.iter().map(|c| c.id.clone()).collect();
            earlier.updated(plan, &channels)
        }
        None => plan.view(),
    })
    .await
    .map_err(|e| ApiError::Internal(format!("projection: {e}")))
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "peakplan".into())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`
    pub status: &'static str,
}

/// The process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", security(()),
    responses((status = 200, description = "alive", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    /// `ready`
    pub status: &'static str,
    pub store: crate::store::Readiness,
}

/// The database answers and every migration is applied.
#[utoipa::path(get, path = "/readyz", tag = "health", security(()),
    responses((status = 200, description = "ready", body = Ready)))]
async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Ready>> {
    match state.store.ready().await {
        Ok(r) if r.migrations_applied as usize >= r.migrations_known => Ok(Json(Ready {
            status: "ready",
            store: r,
        })),
        Ok(r) => Err(ApiError::Unavailable(format!(
            "{} of {} migrations applied",
            r.migrations_applied, r.migrations_known
        ))),
        Err(e) => Err(ApiError::Unavailable(format!(
            "the database does not answer: {e}"
        ))),
    }
}

async fn not_found() -> ApiError {
    ApiError::NotFound("this endpoint (see /openapi.json for the list)".into())
}

/// Every route with its OpenAPI description; histories get their own body limit.
fn routes() -> OpenApiRouter<AppState> {
    let main = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(openapi::document))
        .routes(routes!(planner::scenarios, planner::put_scenario))
        .routes(routes!(planner::put_forecast))
        .routes(routes!(planner::rosters))
        .routes(routes!(planner::versions))
        .routes(routes!(planner::version))
        .routes(routes!(planner::plan))
        .routes(routes!(planner::publish))
        .routes(routes!(planner::report))
        .routes(routes!(planner::acknowledgements))
        .routes(routes!(planner::audit))
        .routes(routes!(jobs::submit))
        .routes(routes!(jobs::status))
        .routes(routes!(jobs::progress))
        .routes(routes!(routing::staffing))
        .routes(routes!(routing::roster))
        .routes(routes!(events::stream))
        .routes(routes!(events::list))
        .routes(routes!(vendor::plan))
        .routes(routes!(vendor::acknowledge))
        .routes(routes!(supervisor::roster))
        .routes(routes!(supervisor::edit))
        .routes(routes!(supervisor::reforecast))
        // Bodies over the limit are refused on their announced length, before they are read.
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT));
    let uploads = OpenApiRouter::new()
        .routes(routes!(planner::put_history))
        .layer(RequestBodyLimitLayer::new(planner::HISTORY_LIMIT));
    main.merge(uploads)
}

/// The OpenAPI document of [`router`].
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    openapi::build(routes().into_openapi())
}

pub fn router(state: AppState) -> Router {
    router_with(state, &Settings::default())
}

pub fn router_with(state: AppState, settings: &Settings) -> Router {
    let (router, _) = routes().split_for_parts();
    router
        .nest("/app", crate::web::router())
        .route(
            "/",
            axum::routing::get(|| async { axum::response::Redirect::to("/app/") }),
        )
        .fallback(not_found)
        .layer(DefaultBodyLimit::disable())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                ApiError::Internal("the request failed unexpectedly; it changed nothing".into())
                    .into_response()
            },
        ))
        .layer(axum::middleware::from_fn(error::problems_everywhere))
        .with_state(state)
}

/// Serves on `listener` until `shutdown` resolves: in-flight requests finish, this instance's
/// running jobs go back to the queue for another instance (or the next start) to pick up.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Arc<dyn Store>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_with(listener, store, Settings::default(), shutdown).await
}

/// As [`serve`], with its settings.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    store: Arc<dyn Store>,
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = AppState::new(store.clone());
    let (stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(jobs::run_worker(state.clone(), jobs_stopped));
    let stop = state.stop.clone();
    axum::serve(listener, router_with(state.clone(), &settings))
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop.send(true);
        })
        .await?;
    let _ = stop_jobs.send(true);
    let _ = worker.await;
    let released = store.release_jobs(&state.worker).await?;
    if released > 0 {
        tracing::info!("{released} running job(s) returned to the queue");
    }
    Ok(())
}
