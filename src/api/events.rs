//! The change feed: every published version and vendor acknowledgement, in commit order, as
//! server-sent events (resumable with `Last-Event-ID`) and as a polled list.
//!
//! Each instance runs one pump that reads new changes from the database and broadcasts them to its
//! subscribers. It wakes when this instance commits, when PostgreSQL notifies of another
//! instance's commit, and once a second regardless — the database is the source of truth, so a
//! lost notification only delays an event, never drops it.

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{As, Feed, Params};
use crate::store::{Change, Store};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use utoipa::{IntoParams, ToSchema};

/// Changes read per database round trip.
const PAGE: i64 = 500;

pub struct Hub {
    pub changes: broadcast::Sender<Arc<Change>>,
    pub wake: mpsc::Sender<()>,
}

impl Hub {
    /// Starts the pump (and the PostgreSQL listener) for `store`; `on_change` runs for each change
    /// before subscribers see it (the live-plan cache uses it).
    pub fn start(
        store: Arc<dyn Store>,
        on_change: impl Fn(&Change) + Send + Sync + 'static,
    ) -> Arc<Hub> {
        let (changes, _) = broadcast::channel(4096);
        let (wake, mut woken) = mpsc::channel::<()>(64);
        let hub = Arc::new(Hub {
            changes: changes.clone(),
            wake: wake.clone(),
        });
        {
            let store = store.clone();
            let wake = wake.clone();
            tokio::spawn(async move {
                loop {
                    if let Err(e) = store.listen(wake.clone()).await {
                        tracing::warn!("change listener: {e}; retrying in 1 s");
                    } else if store.backend() == "sqlite" {
                        return;
                    }
                    if wake.is_closed() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            });
        }
        tokio::spawn(async move {
            let mut last = latest_change(&*store).await;
            loop {
                let _ = tokio::time::timeout(Duration::from_secs(1), woken.recv()).await;
                while woken.try_recv().is_ok() {}
                loop {
                    let page = match store.changes_after(last, PAGE).await {
                        Ok(page) => page,
                        Err(e) => {
                            tracing::warn!("change feed: {e}");
                            break;
                        }
                    };
                    let full = page.len() as i64 == PAGE;
                    for change in page {
                        last = change.id;
                        on_change(&change);
                        let _ = changes.send(Arc::new(change));
                    }
                    if !full {
                        break;
                    }
                }
            }
        });
        hub
    }
}

/// The id of the newest change (0 when there is none).
async fn latest_change(store: &dyn Store) -> i64 {
    let mut last = 0;
    while let Ok(page) = store.changes_after(last, PAGE).await {
        match page.last() {
            Some(c) => last = c.id,
            None => break,
        }
    }
    last
}

fn event_of(change: &Change) -> Event {
    Event::default()
        .id(change.id.to_string())
        .event(change.kind.clone())
        .data(serde_json::to_string(&FeedChange::of(change)).expect("a change serialises"))
}

/// A change as the routing layer sees it (the detail carries no agent names).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedChange {
    pub id: i64,
    /// published, edited, acknowledged …
    pub kind: String,
    pub roster: i64,
    pub version: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    /// What changed: the channels and the edit's kind, or the vendor and its shortfall.
    #[schema(value_type = Object)]
    pub detail: Value,
}

impl FeedChange {
    pub fn of(change: &Change) -> FeedChange {
        FeedChange {
            id: change.id,
            kind: change.kind.clone(),
            roster: change.roster_id,
            version: change.version,
            at: change.created_at,
            detail: change.detail.clone(),
        }
    }
}

/// Every published change as server-sent events (data: a FeedChange): replays the changes after
/// `Last-Event-ID` (or `?since=`), then follows new ones.
///
/// Roles: planner, supervisor, routing.
#[utoipa::path(get, path = "/v1/routing/events", tag = "routing",
    params(Since, ("Last-Event-ID" = Option<String>, Header, description = "the last change id seen")),
    responses((status = 200, description = "events whose data is a FeedChange", body = String, content_type = "text/event-stream")))]
pub async fn stream(
    State(state): State<AppState>,
    _: As<Feed>,
    headers: HeaderMap,
    Params(q): Params<Since>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let from = match headers.get("last-event-id") {
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .ok_or_else(|| ApiError::invalid("Last-Event-ID", "expected a change id"))?,
        None => q.since.unwrap_or(latest_change(&*state.store).await),
    };
    // Subscribe before replaying, so nothing committed in between is missed.
    let receiver = state.hub.changes.subscribe();
    let backlog = state.store.changes_after(from, PAGE).await?;
    struct Cursor {
        store: Arc<dyn Store>,
        receiver: broadcast::Receiver<Arc<Change>>,
        pending: std::collections::VecDeque<Change>,
        last: i64,
    }
    let cursor = Cursor {
        store: state.store.clone(),
        receiver,
        last: from,
        pending: backlog.into(),
    };
    let events = stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(change) = c.pending.pop_front() {
                if change.id > c.last {
                    c.last = change.id;
                    return Some((Ok(event_of(&change)), c));
                }
                continue;
            }
            match c.receiver.recv().await {
                Ok(change) if change.id > c.last => {
                    // A gap (a page still being replayed) is filled from the database.
                    if change.id > c.last + 1
                        && let Ok(missed) = c.store.changes_after(c.last, PAGE).await
                    {
                        c.pending.extend(missed);
                        continue;
                    }
                    c.last = change.id;
                    return Some((Ok(event_of(&change)), c));
                }
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if let Ok(missed) = c.store.changes_after(c.last, PAGE).await {
                        c.pending.extend(missed);
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    let events = futures_util::StreamExt::take_until(events, state.stopped());
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Since {
    /// Start after this change id (default: the latest for the stream, 0 for the list).
    pub since: Option<i64>,
    /// Page size of the list (1 to 500, default 100).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangesPage {
    pub changes: Vec<FeedChange>,
    /// The cursor for the next page (`?since=`).
    pub next: i64,
}

/// The same changes, for pollers.
///
/// Roles: planner, supervisor, routing.
#[utoipa::path(get, path = "/v1/routing/changes", tag = "routing", params(Since),
    responses((status = 200, description = "changes and the next cursor", body = ChangesPage)))]
pub async fn list(
    State(state): State<AppState>,
    _: As<Feed>,
    Params(q): Params<Since>,
) -> ApiResult<Json<ChangesPage>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=PAGE).contains(&limit) {
        return Err(ApiError::invalid("limit", format!("expected 1 to {PAGE}")));
    }
    let since = q.since.unwrap_or(0);
    let changes = state.store.changes_after(since, limit).await?;
    let next = changes.last().map_or(since, |c| c.id);
    Ok(Json(ChangesPage {
        changes: changes.iter().map(FeedChange::of).collect(),
        next,
    }))
}
