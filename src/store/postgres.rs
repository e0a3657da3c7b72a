//! The production store: PostgreSQL shared by several API instances. A job is claimed with
//! `FOR UPDATE SKIP LOCKED`, so exactly one instance runs it; every committed change sends
//! `NOTIFY` on a channel named after the schema, which each instance `LISTEN`s to and turns into
//! events for its own subscribers.
//!
//! The schema comes from the URL (`?options=-c search_path=…`), so that tests — and several
//! environments — can share one server, each in its own schema.

use super::{Job, Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::{PgPool, Postgres};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    channel: String,
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<PgStore> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| {
                StoreError::Config(format!(
                    "cannot connect to PostgreSQL at {}: {e}; is the server running and the database created?",
                    redact(url)
                ))
            })?;
        let (schema,): (String,) = sqlx::query_as("SELECT current_schema()")
            .fetch_one(&pool)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(PgStore {
            pool,
            channel: format!("peakplan_changes_{schema}"),
        })
    }

    /// The pool, for tests and tools that inspect the database.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn notify(tx: &mut sqlx::Transaction<'static, Postgres>, change: i64) -> Result<()> {
        // Delivered at commit, and only if the transaction commits.
        sqlx::query("SELECT pg_notify('peakplan_changes_' || current_schema(), $1)")
            .bind(change.to_string())
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
            None => url.to_string(),
        },
        _ => url.to_string(),
    }
}

store_impl!(PgStore, Postgres, {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn claim_job(&self, worker: &str, now_ms: i64, stale_ms: i64) -> Result<Option<Job>> {
        let row: Option<super::common::JobRow> = sqlx::query_as(
            "UPDATE jobs SET status = 'running', worker = $1, heartbeat_ms = $2, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM jobs WHERE status = 'queued' \
                         OR (status = 'running' AND heartbeat_ms < $3) \
                         ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) \
             RETURNING id, kind, params, status, progress, result, error, worker, attempts, created_at, created_by",
        )
        .bind(worker)
        .bind(now_ms)
        .bind(now_ms - stale_ms)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Into::into))
    }

    async fn listen(&self, wake: tokio::sync::mpsc::Sender<()>) -> Result<()> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(&self.channel).await?;
        // `recv` reconnects by itself after a lost connection; the wake after a reconnect lets
        // the reader catch up on anything sent meanwhile (it reads the feed from the database).
        loop {
            // `None`: the connection was lost and is re-established on the next call.
            let _notification = listener.try_recv().await?;
            if wake.send(()).await.is_err() {
                return Ok(());
            }
        }
    }
});
