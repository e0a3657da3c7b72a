//! The contract between the store's queries and a database backend.
//!
//! Every query is written once, in the aggregate modules ([`super::tokens`], [`super::inputs`],
//! [`super::versions`], [`super::audit`], [`super::jobs`]), against this small interface: SQL
//! text with `$1, $2 …` placeholders (which SQLite accepts too), arguments of four kinds, and
//! rows read back by column kind. A [`Backend`] runs them on its pool or in a transaction
//! ([`Tx`]) and says the few things that differ between databases: how a job claim locks its
//! row, how a committed change is announced to other instances, how to listen for those.
//!
//! Times are bound from Rust (`TIMESTAMPTZ` on PostgreSQL, RFC 3339 text on SQLite); JSON goes
//! as serialized text (`JSONB` / text), never through an intermediate value tree.

use super::{Result, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// One bound argument.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
    Time(DateTime<Utc>),
    Json(Option<Box<RawValue>>),
}

/// What a column holds, for reading it back (every kind may be NULL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Text,
    Time,
    Json,
}

/// One column of a row read back.
#[derive(Debug, Clone)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
    Time(DateTime<Utc>),
    Json(Box<RawValue>),
}

/// A statement with its arguments, built fluently: `Query::new("… $1 … $2").int(7).text("x")`.
#[derive(Debug, Clone)]
pub struct Query {
    pub sql: String,
    pub args: Vec<Arg>,
}

impl Query {
    pub fn new(sql: impl Into<String>) -> Query {
        Query {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    pub fn int(mut self, v: i64) -> Query {
        self.args.push(Arg::Int(Some(v)));
        self
    }

    pub fn opt_int(mut self, v: Option<i64>) -> Query {
        self.args.push(Arg::Int(v));
        self
    }

    pub fn text(mut self, v: impl Into<String>) -> Query {
        self.args.push(Arg::Text(Some(v.into())));
        self
    }

    pub fn opt_text(mut self, v: Option<impl Into<String>>) -> Query {
        self.args.push(Arg::Text(v.map(Into::into)));
        self
    }

    pub fn time(mut self, v: DateTime<Utc>) -> Query {
        self.args.push(Arg::Time(v));
        self
    }

    /// Binds the current instant.
    pub fn now(self) -> Query {
        self.time(Utc::now())
    }

    /// Binds a value as JSON.
    pub fn json(self, v: &impl Serialize) -> Result<Query> {
        self.opt_json(Some(v))
    }

    pub fn opt_json(mut self, v: Option<&impl Serialize>) -> Result<Query> {
        let raw = match v {
            Some(v) => Some(serde_json::value::to_raw_value(v)?),
            None => None,
        };
        self.args.push(Arg::Json(raw));
        Ok(self)
    }
}

/// A row read back, columns in the order the query selected them.
#[derive(Debug, Clone)]
pub struct Row(pub Vec<Cell>);

impl Row {
    fn cell(&self, i: usize) -> &Cell {
        self.0.get(i).unwrap_or(&Cell::Null)
    }

    fn wrong(&self, i: usize, wanted: &str) -> StoreError {
        StoreError::Column(format!(
            "column {i}: expected {wanted}, got {:?}",
            self.cell(i)
        ))
    }

    pub fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.cell(i) {
            Cell::Null => Ok(None),
            Cell::Int(v) => Ok(Some(*v)),
            _ => Err(self.wrong(i, "an integer")),
        }
    }

    pub fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?.ok_or_else(|| self.wrong(i, "an integer"))
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.cell(i) {
            Cell::Null => Ok(None),
            Cell::Text(v) => Ok(Some(v.clone())),
            _ => Err(self.wrong(i, "text")),
        }
    }

    pub fn text(&self, i: usize) -> Result<String> {
        self.opt_text(i)?.ok_or_else(|| self.wrong(i, "text"))
    }

    pub fn opt_time(&self, i: usize) -> Result<Option<DateTime<Utc>>> {
        match self.cell(i) {
            Cell::Null => Ok(None),
            Cell::Time(v) => Ok(Some(*v)),
            _ => Err(self.wrong(i, "a time")),
        }
    }

    pub fn time(&self, i: usize) -> Result<DateTime<Utc>> {
        self.opt_time(i)?.ok_or_else(|| self.wrong(i, "a time"))
    }

    /// A JSON column read into its type.
    pub fn opt_json<T: DeserializeOwned>(&self, i: usize) -> Result<Option<T>> {
        match self.cell(i) {
            Cell::Null => Ok(None),
            Cell::Json(raw) => Ok(Some(serde_json::from_str(raw.get())?)),
            _ => Err(self.wrong(i, "JSON")),
        }
    }

    pub fn json<T: DeserializeOwned>(&self, i: usize) -> Result<T> {
        self.opt_json(i)?.ok_or_else(|| self.wrong(i, "JSON"))
    }
}

/// A transaction: everything in it commits together or not at all (dropped uncommitted, it
/// rolls back).
#[async_trait]
pub trait Tx: Send {
    /// Runs a statement; the rows it changed.
    async fn execute(&mut self, query: Query) -> Result<u64>;
    /// Runs a query; its rows, read as `kinds`.
    async fn fetch(&mut self, query: Query, kinds: &[Kind]) -> Result<Vec<Row>>;
    async fn commit(self: Box<Self>) -> Result<()>;
}

impl dyn Tx + '_ {
    pub async fn fetch_optional(&mut self, query: Query, kinds: &[Kind]) -> Result<Option<Row>> {
        Ok(self.fetch(query, kinds).await?.into_iter().next())
    }

    pub async fn fetch_one(&mut self, query: Query, kinds: &[Kind]) -> Result<Row> {
        self.fetch_optional(query, kinds)
            .await?
            .ok_or_else(|| StoreError::Column("the query returned no row".into()))
    }
}

/// A database the store runs on.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn name(&self) -> &'static str;
    /// Migrations this build knows.
    fn migrations_known(&self) -> usize;
    async fn begin(&self) -> Result<Box<dyn Tx>>;
    /// Runs a read on the pool, outside any transaction.
    async fn fetch(&self, query: Query, kinds: &[Kind]) -> Result<Vec<Row>>;
    /// Runs a statement on the pool, on its own.
    async fn execute(&self, query: Query) -> Result<u64>;
    /// What a job claim adds to its `SELECT … LIMIT 1` so that concurrent claimers skip each
    /// other's row (`FOR UPDATE SKIP LOCKED`), or nothing where writers are serialised anyway.
    fn claim_lock(&self) -> &'static str;
    /// A statement run inside every transaction that adds a change, taking the change id as
    /// `$1`, that tells the other instances at commit; `None` with one instance.
    fn announce(&self) -> Option<&'static str>;
    /// Wakes `wake` whenever another instance commits a change; returns at once where there is
    /// only one instance.
    async fn listen(&self, wake: tokio::sync::mpsc::Sender<()>) -> Result<()>;
}

impl dyn Backend {
    pub async fn fetch_optional(&self, query: Query, kinds: &[Kind]) -> Result<Option<Row>> {
        Ok(self.fetch(query, kinds).await?.into_iter().next())
    }

    pub async fn fetch_one(&self, query: Query, kinds: &[Kind]) -> Result<Row> {
        self.fetch_optional(query, kinds)
            .await?
            .ok_or_else(|| StoreError::Column("the query returned no row".into()))
    }
}

/// Binds `args` to a sqlx query of any backend.
pub fn bind<DB>(
    mut query: sqlx::query::Query<'_, DB, <DB as sqlx::Database>::Arguments>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'_, DB, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    for<'q> Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<sqlx::types::Json<Box<RawValue>>>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for arg in args {
        query = match arg {
            Arg::Int(v) => query.bind(v),
            Arg::Text(v) => query.bind(v),
            Arg::Time(v) => query.bind(v),
            Arg::Json(v) => query.bind(v.map(sqlx::types::Json)),
        };
    }
    query
}

/// Reads a sqlx row of any backend as `kinds`.
pub fn decode<R>(row: &R, kinds: &[Kind]) -> Result<Row>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<DateTime<Utc>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<sqlx::types::Json<Box<RawValue>>>:
        sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let mut cells = Vec::with_capacity(kinds.len());
    for (i, kind) in kinds.iter().enumerate() {
        let cell = match kind {
            Kind::Int => row.try_get::<Option<i64>, _>(i)?.map(Cell::Int),
            Kind::Text => row.try_get::<Option<String>, _>(i)?.map(Cell::Text),
            Kind::Time => row.try_get::<Option<DateTime<Utc>>, _>(i)?.map(Cell::Time),
            Kind::Json => row
                .try_get::<Option<sqlx::types::Json<Box<RawValue>>>, _>(i)?
                .map(|j| Cell::Json(j.0)),
        };
        cells.push(cell.unwrap_or(Cell::Null));
    }
    Ok(Row(cells))
}
