//! The embedded store: one SQLite file, created on first use, in write-ahead-log mode so readers
//! never wait for the writer. One instance owns it, so a job is claimed by a plain `UPDATE` (SQLite
//! serialises writers) and changes need no cross-process notification.

use super::{Job, Result, StoreError};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating it when missing) the database file at `path` and applies the migrations.
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Config(format!("cannot create the folder {}: {e}", dir.display()))
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(SqliteStore { pool })
    }

    async fn notify(_tx: &mut sqlx::Transaction<'static, Sqlite>, _change: i64) -> Result<()> {
        Ok(())
    }
}

store_impl!(SqliteStore, Sqlite, {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn claim_job(&self, worker: &str, now_ms: i64, stale_ms: i64) -> Result<Option<Job>> {
        let row: Option<super::common::JobRow> = sqlx::query_as(
            "UPDATE jobs SET status = 'running', worker = $1, heartbeat_ms = $2, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM jobs WHERE status = 'queued' \
                         OR (status = 'running' AND heartbeat_ms < $3) ORDER BY id LIMIT 1) \
             RETURNING id, kind, params, status, progress, result, error, worker, attempts, created_at, created_by",
        )
        .bind(worker)
        .bind(now_ms)
        .bind(now_ms - stale_ms)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Into::into))
    }

    async fn listen(&self, _wake: tokio::sync::mpsc::Sender<()>) -> Result<()> {
        Ok(())
    }
});
