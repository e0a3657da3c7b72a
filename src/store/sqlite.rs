//! The embedded store: one SQLite file, created on first use, in write-ahead-log mode so readers
//! never wait for the writer. One instance owns it, so a job is claimed by a plain `UPDATE` (SQLite
//! serialises writers) and changes need no cross-process announcement.

use super::sql::{self, Backend, Kind, Query, Row, Tx};
use super::{Result, StoreError};
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Sqlite, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

pub struct SqliteBackend {
    pool: SqlitePool,
}

impl SqliteBackend {
    /// Opens (creating it when missing) the database file at `path` and applies the migrations.
    pub async fn open(path: &Path) -> Result<SqliteBackend> {
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
        Ok(SqliteBackend { pool })
    }
}

struct SqliteTx(sqlx::Transaction<'static, Sqlite>);

#[async_trait]
impl Tx for SqliteTx {
    async fn execute(&mut self, query: Query) -> Result<u64> {
        let q = sql::bind(sqlx::query(AssertSqlSafe(query.sql)), query.args);
        Ok(q.execute(&mut *self.0).await?.rows_affected())
    }

    async fn fetch(&mut self, query: Query, kinds: &[Kind]) -> Result<Vec<Row>> {
        let q = sql::bind(sqlx::query(AssertSqlSafe(query.sql)), query.args);
        let rows = q.fetch_all(&mut *self.0).await?;
        rows.iter().map(|r| sql::decode(r, kinds)).collect()
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        Ok(self.0.commit().await?)
    }
}

#[async_trait]
impl Backend for SqliteBackend {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn migrations_known(&self) -> usize {
        MIGRATOR.iter().count()
    }

    async fn begin(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(SqliteTx(self.pool.begin().await?)))
    }

    async fn fetch(&self, query: Query, kinds: &[Kind]) -> Result<Vec<Row>> {
        let q = sql::bind(sqlx::query(AssertSqlSafe(query.sql)), query.args);
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(|r| sql::decode(r, kinds)).collect()
    }

    async fn execute(&self, query: Query) -> Result<u64> {
        let q = sql::bind(sqlx::query(AssertSqlSafe(query.sql)), query.args);
        Ok(q.execute(&self.pool).await?.rows_affected())
    }

    fn claim_lock(&self) -> &'static str {
        ""
    }

    fn announce(&self) -> Option<&'static str> {
        None
    }

    async fn listen(&self, _wake: tokio::sync::mpsc::Sender<()>) -> Result<()> {
        Ok(())
    }
}
