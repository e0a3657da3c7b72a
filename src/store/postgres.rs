//! The production store: PostgreSQL shared by several API instances. A job is claimed with
//! `FOR UPDATE SKIP LOCKED`, so exactly one instance runs it; every committed change sends
//! `NOTIFY` on a channel named after the schema, which each instance `LISTEN`s to and turns into
//! events for its own subscribers.
//!
//! The schema comes from the URL (`?options[search_path]=…`), so that tests — and several
//! environments — can share one server, each in its own schema.

use super::sql::{self, Backend, Kind, Query, Row, Tx};
use super::{Result, StoreError};
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::{AssertSqlSafe, PgPool, Postgres};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub struct PgBackend {
    pool: PgPool,
    channel: String,
}

impl PgBackend {
    pub async fn connect(url: &str) -> Result<PgBackend> {
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
        Ok(PgBackend {
            pool,
            channel: format!("peakplan_changes_{schema}"),
        })
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

struct PgTx(sqlx::Transaction<'static, Postgres>);

#[async_trait]
impl Tx for PgTx {
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
impl Backend for PgBackend {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn migrations_known(&self) -> usize {
        MIGRATOR.iter().count()
    }

    async fn begin(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(PgTx(self.pool.begin().await?)))
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
        " FOR UPDATE SKIP LOCKED"
    }

    fn announce(&self) -> Option<&'static str> {
        // Delivered at commit, and only if the transaction commits.
        Some("SELECT pg_notify('peakplan_changes_' || current_schema(), CAST($1 AS TEXT))")
    }

    async fn listen(&self, wake: tokio::sync::mpsc::Sender<()>) -> Result<()> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(&self.channel).await?;
        // `try_recv` reconnects by itself after a lost connection; the wake after a reconnect
        // lets the reader catch up on anything sent meanwhile (it reads the feed from the
        // database).
        loop {
            // `None`: the connection was lost and is re-established on the next call.
            let _notification = listener.try_recv().await?;
            if wake.send(()).await.is_err() {
                return Ok(());
            }
        }
    }
}
