//! The roster store: scenarios, forecasts, rosters as immutable versions, the change feed routing
//! follows, the append-only audit log, vendor acknowledgements, API tokens and background jobs.
//!
//! One [`Store`] trait, implemented once ([`SqlStore`]) over a database [`sql::Backend`]: SQLite
//! (the embedded default, a file created on first use) or PostgreSQL (production, several API
//! instances on one database). Each backend applies its own migrations (`migrations/sqlite/`,
//! `migrations/postgres/`) when it opens. The queries are written once, by aggregate —
//! [`tokens`], [`inputs`] (scenarios, histories, forecasts), [`versions`] (rosters, versions,
//! changes, acknowledgements, reports), [`audit`], [`jobs`]; what differs between databases — how
//! a job claim locks its row (`FOR UPDATE SKIP LOCKED` on PostgreSQL), how other instances hear of
//! a change (`LISTEN/NOTIFY`) — is the backend contract ([`sql`]), in the backend's own file.
//!
//! Every write is one transaction: a new roster version, the head moved by compare-and-swap on the
//! version the writer read (a stale writer changes nothing), its audit entry and its change event
//! commit together or not at all.

mod audit;
mod inputs;
mod jobs;
mod postgres;
pub mod sql;
mod sqlite;
mod tokens;
mod versions;

pub use versions::SNAPSHOT_EVERY;

use crate::live::LivePlan;
use crate::roster::summary::RosterSummary;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;

/// Who may do what. Parsed from "planner", "supervisor", "routing" or "vendor:<id>".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything.
    Planner,
    /// Live edits; reads everything.
    Supervisor,
    /// The read-only routing feed.
    Routing,
    /// One vendor's own plan.
    Vendor(String),
}

impl Role {
    pub fn parse(text: &str) -> Result<Role, String> {
        match text {
            "planner" => Ok(Role::Planner),
            "supervisor" => Ok(Role::Supervisor),
            "routing" => Ok(Role::Routing),
            _ => match text.strip_prefix("vendor:") {
                Some(id)
                    if !id.is_empty()
                        && id
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
                {
                    Ok(Role::Vendor(id.to_string()))
                }
                _ => Err(format!(
                    "unknown role \"{text}\"; expected planner, supervisor, routing or vendor:<vendor id>"
                )),
            },
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Planner => f.write_str("planner"),
            Role::Supervisor => f.write_str("supervisor"),
            Role::Routing => f.write_str("routing"),
            Role::Vendor(id) => write!(f, "vendor:{id}"),
        }
    }
}

/// Who is writing: the token's label and role, as the audit log records them.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub label: String,
    pub role: Role,
}

impl Actor {
    /// The command line, writing with the operator's own rights.
    pub fn cli(what: &str) -> Actor {
        Actor {
            label: format!("cli:{what}"),
            role: Role::Planner,
        }
    }
}

/// A new API token: the plain text (shown once) and the hash stored.
pub struct NewToken {
    pub plain: String,
    pub hash: String,
}

impl NewToken {
    pub fn generate() -> NewToken {
        use rand::RngCore;
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        let plain = format!("pp_{}", hex(&bytes));
        NewToken {
            hash: token_hash(&plain),
            plain,
        }
    }
}

/// The stored form of a token: SHA-256, hex. Tokens are random 192-bit strings, so a plain hash is
/// enough (no salt or slow hash needed, unlike passwords).
pub fn token_hash(plain: &str) -> String {
    hex(&Sha256::digest(plain.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenRecord {
    pub id: i64,
    pub label: String,
    pub role: String,
    pub revoked: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScenarioInfo {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RosterInfo {
    pub id: i64,
    pub name: String,
    pub scenario_id: Option<i64>,
    pub head_version: Option<i64>,
    /// Set when first published; the live roster is the one published last.
    pub live: bool,
    pub created_at: DateTime<Utc>,
}

/// Draft, published, or superseded by a later version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    Draft,
    Published,
    Superseded,
}

impl VersionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Draft => "draft",
            VersionStatus::Published => "published",
            VersionStatus::Superseded => "superseded",
        }
    }

    pub(crate) fn parse(text: &str) -> VersionStatus {
        match text {
            "draft" => VersionStatus::Draft,
            "published" => VersionStatus::Published,
            _ => VersionStatus::Superseded,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VersionMeta {
    /// Version ids are global: one sequence over all rosters.
    pub id: i64,
    pub roster_id: i64,
    pub parent_id: Option<i64>,
    pub status: VersionStatus,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone)]
pub struct Version {
    pub meta: VersionMeta,
    pub plan: Arc<LivePlan>,
    pub summary: Option<RosterSummary>,
}

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Change {
    /// The feed position: resume after it with `Last-Event-ID` or `?since=`.
    pub id: i64,
    pub roster_id: i64,
    pub version: i64,
    pub kind: String,
    pub detail: Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub target: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VendorAck {
    pub id: i64,
    pub version: i64,
    pub vendor: String,
    pub commitments: Value,
    pub acked_at: DateTime<Utc>,
    pub actor: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }

    pub(crate) fn parse(text: &str) -> JobStatus {
        match text {
            "queued" => JobStatus::Queued,
            "running" => JobStatus::Running,
            "done" => JobStatus::Done,
            _ => JobStatus::Failed,
        }
    }
}

/// Which audit entries to list: by whom, which action, older than an entry id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub before: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub params: Value,
    pub status: JobStatus,
    pub progress: String,
    pub result: Option<Value>,
    pub error: Option<String>,
    pub worker: Option<String>,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// A stored history or forecast: volume CSV and what it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVolumes {
    pub id: i64,
    pub scenario: Option<i64>,
    /// Where it came from ("upload", a file name, "plan").
    pub origin: String,
    pub csv: String,
}

/// A planned roster with what it was planned from, stored together by [`Store::store_plan`].
pub struct PlanRecord<'a> {
    pub scenario_name: &'a str,
    /// The scenario file as written.
    pub scenario_text: &'a str,
    /// Where the forecast came from (a file name, "plan").
    pub forecast_origin: &'a str,
    pub forecast_csv: &'a str,
    pub plan: &'a LivePlan,
    pub summary: &'a RosterSummary,
    pub report: Option<&'a str>,
}

impl<'a> PlanRecord<'a> {
    /// The record of a planned roster; `forecast_csv` is its forecast as volume CSV
    /// ([`crate::export::volumes_string`]).
    pub fn new(plan: &'a crate::plan::Plan, forecast_csv: &'a str) -> PlanRecord<'a> {
        PlanRecord {
            scenario_name: &plan.scenario.name,
            scenario_text: &plan.scenario_text,
            forecast_origin: &plan.forecast_origin,
            forecast_csv,
            plan: &plan.live,
            summary: &plan.summary,
            report: Some(&plan.report),
        }
    }
}

/// A new version on top of the roster's head.
pub struct NewVersion<'a> {
    pub roster_id: i64,
    /// The head the writer read; the write fails with [`StoreError::Stale`] if it moved.
    pub expected_head: i64,
    /// The plan of `expected_head` (what the writer changed): the new version is stored as its
    /// change against it.
    pub parent_plan: &'a LivePlan,
    pub plan: &'a LivePlan,
    pub summary: Option<&'a RosterSummary>,
    pub status: VersionStatus,
    pub reason: String,
    /// Audit entry: action, before, after.
    pub action: &'a str,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// Change event kind and detail (published versions only).
    pub change: Option<(&'a str, Value)>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("version {expected} is no longer current: the roster is at version {current}")]
    Stale { expected: i64, current: i64 },
    #[error("{0}")]
    Conflict(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("stored row: {0}")]
    Column(String),
    #[error("{0}")]
    Config(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What `/readyz` reports.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    pub backend: &'static str,
    pub migrations_applied: i64,
    pub migrations_known: usize,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> &'static str;
    /// The database answers and every migration is applied.
    async fn ready(&self) -> Result<Readiness>;

    async fn create_token(&self, role: &Role, label: &str, hash: &str) -> Result<i64>;
    async fn token(&self, hash: &str) -> Result<Option<TokenRecord>>;
    async fn tokens(&self) -> Result<Vec<TokenRecord>>;
    /// Revokes token `id` (kept, marked revoked); false when there is no such active token.
    async fn revoke_token(&self, actor: &Actor, id: i64) -> Result<bool>;

    async fn put_scenario(&self, actor: &Actor, name: &str, body: &str) -> Result<i64>;
    async fn scenarios(&self) -> Result<Vec<ScenarioInfo>>;
    async fn scenario(&self, id: i64) -> Result<Option<(ScenarioInfo, String)>>;
    async fn put_forecast(
        &self,
        actor: &Actor,
        scenario_id: Option<i64>,
        origin: &str,
        csv: &str,
    ) -> Result<i64>;
    /// A stored forecast.
    async fn forecast(&self, id: i64) -> Result<Option<StoredVolumes>>;
    /// Stores an uploaded volume history for `scenario_id` (audited).
    async fn put_history(
        &self,
        actor: &Actor,
        scenario_id: i64,
        origin: &str,
        csv: &str,
    ) -> Result<i64>;
    async fn history(&self, id: i64) -> Result<Option<StoredVolumes>>;

    /// A new roster with `plan` as its first (draft) version, with its summary and HTML report.
    async fn create_roster(
        &self,
        actor: &Actor,
        scenario_id: Option<i64>,
        plan: &LivePlan,
        summary: Option<&RosterSummary>,
        report: Option<&str>,
    ) -> Result<VersionMeta>;
    /// The report of `version`, or of the nearest earlier version of its roster that has one:
    /// (the version the report belongs to, the HTML).
    async fn report(&self, version: i64) -> Result<Option<(i64, String)>>;
    /// Scenario, forecast and roster (and its publication when `publish`) in one transaction.
    async fn store_plan(
        &self,
        actor: &Actor,
        planned: &PlanRecord<'_>,
        publish: bool,
    ) -> Result<VersionMeta>;
    async fn rosters(&self) -> Result<Vec<RosterInfo>>;
    async fn versions(&self, roster_id: i64) -> Result<Vec<VersionMeta>>;
    async fn version(&self, id: i64) -> Result<Option<Version>>;
    async fn version_meta(&self, id: i64) -> Result<Option<VersionMeta>>;
    /// The head of the roster published last, if any.
    async fn live_version(&self) -> Result<Option<Version>>;
    async fn live_head(&self) -> Result<Option<i64>>;
    /// Publishes a draft head; the roster becomes the live one.
    async fn publish(&self, actor: &Actor, version: i64) -> Result<VersionMeta>;
    /// Adds a version on top of the head, if the head is still `expected_head`.
    async fn commit_version(&self, actor: &Actor, new: NewVersion<'_>) -> Result<VersionMeta>;
    /// Records a vendor's acknowledgement and the version carrying its commitments, atomically.
    async fn acknowledge(
        &self,
        actor: &Actor,
        acked_version: i64,
        vendor: &str,
        commitments: &Value,
        new: NewVersion<'_>,
    ) -> Result<VersionMeta>;
    /// The acknowledgements of the roster up to `version` (each names the version it acknowledged).
    async fn acknowledgements(&self, version: i64) -> Result<Vec<VendorAck>>;

    async fn changes_after(&self, after: i64, limit: i64) -> Result<Vec<Change>>;
    async fn audit_log(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>>;

    async fn enqueue_job(&self, actor: &Actor, kind: &str, params: &Value) -> Result<i64>;
    /// Takes the oldest queued job, or a running one whose worker stopped beating for
    /// `stale_ms`; exactly one caller gets each.
    async fn claim_job(&self, worker: &str, now_ms: i64, stale_ms: i64) -> Result<Option<Job>>;
    async fn job_progress(&self, id: i64, worker: &str, progress: &str, now_ms: i64) -> Result<()>;
    async fn finish_job(
        &self,
        id: i64,
        worker: &str,
        outcome: std::result::Result<Value, String>,
    ) -> Result<()>;
    /// Puts this worker's running jobs back in the queue (graceful shutdown).
    async fn release_jobs(&self, worker: &str) -> Result<u64>;
    async fn job(&self, id: i64) -> Result<Option<Job>>;
    /// The newest jobs first.
    async fn recent_jobs(&self, limit: i64) -> Result<Vec<Job>>;
    /// The newest audit entries first, matching `filter`.
    async fn audit_search(&self, filter: &AuditFilter, limit: i64) -> Result<Vec<AuditEntry>>;

    /// Wakes `wake` whenever another instance commits a change (PostgreSQL `LISTEN`); the
    /// embedded store has one instance and returns at once.
    async fn listen(&self, wake: tokio::sync::mpsc::Sender<()>) -> Result<()>;
}

/// Opens the store `url` names: `postgres://…` or `sqlite://PATH` (created when missing).
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    let db: Box<dyn sql::Backend> =
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Box::new(postgres::PgBackend::connect(url).await?)
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or(url.strip_prefix("sqlite:"))
        {
            Box::new(sqlite::SqliteBackend::open(std::path::Path::new(path)).await?)
        } else {
            return Err(StoreError::Config(format!(
                "DATABASE_URL \"{url}\" is neither postgres://… nor sqlite://PATH"
            )));
        };
    Ok(Arc::new(SqlStore {
        db,
        plans: versions::PlanCache::default(),
    }))
}

/// The store on a database backend: every [`Store`] call is one of the aggregate modules' queries.
pub struct SqlStore {
    db: Box<dyn sql::Backend>,
    /// Plans of recently read or written versions (versions never change once written).
    plans: versions::PlanCache,
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        self.db.name()
    }

    async fn ready(&self) -> Result<Readiness> {
        let q = sql::Query::new("SELECT COUNT(*) FROM _sqlx_migrations WHERE success");
        let applied = self.db.fetch_one(q, &[sql::Kind::Int]).await?.int(0)?;
        Ok(Readiness {
            backend: self.db.name(),
            migrations_applied: applied,
            migrations_known: self.db.migrations_known(),
        })
    }

    async fn create_token(&self, role: &Role, label: &str, hash: &str) -> Result<i64> {
        self.insert_token(role, label, hash).await
    }

    async fn token(&self, hash: &str) -> Result<Option<TokenRecord>> {
        self.token_by_hash(hash).await
    }

    async fn tokens(&self) -> Result<Vec<TokenRecord>> {
        self.all_tokens().await
    }

    async fn revoke_token(&self, actor: &Actor, id: i64) -> Result<bool> {
        self.revoke(actor, id).await
    }

    async fn put_scenario(&self, actor: &Actor, name: &str, body: &str) -> Result<i64> {
        let mut tx = self.db.begin().await?;
        let id = inputs::insert_scenario(&mut *tx, actor, name, body).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn scenarios(&self) -> Result<Vec<ScenarioInfo>> {
        self.list_scenarios().await
    }

    async fn scenario(&self, id: i64) -> Result<Option<(ScenarioInfo, String)>> {
        self.scenario_with_body(id).await
    }

    async fn put_forecast(
        &self,
        actor: &Actor,
        scenario_id: Option<i64>,
        origin: &str,
        csv: &str,
    ) -> Result<i64> {
        let mut tx = self.db.begin().await?;
        let kind = inputs::Volumes::Forecasts;
        let id = inputs::insert_volumes(&mut *tx, actor, kind, scenario_id, origin, csv).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn forecast(&self, id: i64) -> Result<Option<StoredVolumes>> {
        self.volumes(inputs::Volumes::Forecasts, id).await
    }

    async fn put_history(
        &self,
        actor: &Actor,
        scenario_id: i64,
        origin: &str,
        csv: &str,
    ) -> Result<i64> {
        let mut tx = self.db.begin().await?;
        let kind = inputs::Volumes::Histories;
        let id =
            inputs::insert_volumes(&mut *tx, actor, kind, Some(scenario_id), origin, csv).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn history(&self, id: i64) -> Result<Option<StoredVolumes>> {
        self.volumes(inputs::Volumes::Histories, id).await
    }

    async fn create_roster(
        &self,
        actor: &Actor,
        scenario_id: Option<i64>,
        plan: &LivePlan,
        summary: Option<&RosterSummary>,
        report: Option<&str>,
    ) -> Result<VersionMeta> {
        self.new_roster(actor, scenario_id, plan, summary, report)
            .await
    }

    async fn report(&self, version: i64) -> Result<Option<(i64, String)>> {
        self.report_of(version).await
    }

    async fn store_plan(
        &self,
        actor: &Actor,
        planned: &PlanRecord<'_>,
        publish: bool,
    ) -> Result<VersionMeta> {
        self.plan_record(actor, planned, publish).await
    }

    async fn rosters(&self) -> Result<Vec<RosterInfo>> {
        self.all_rosters().await
    }

    async fn versions(&self, roster_id: i64) -> Result<Vec<VersionMeta>> {
        self.roster_versions(roster_id).await
    }

    async fn version(&self, id: i64) -> Result<Option<Version>> {
        self.version_of(id).await
    }

    async fn version_meta(&self, id: i64) -> Result<Option<VersionMeta>> {
        self.meta_of(id).await
    }

    async fn live_version(&self) -> Result<Option<Version>> {
        match self.head_of_live().await? {
            Some(id) => self.version_of(id).await,
            None => Ok(None),
        }
    }

    async fn live_head(&self) -> Result<Option<i64>> {
        self.head_of_live().await
    }

    async fn publish(&self, actor: &Actor, version: i64) -> Result<VersionMeta> {
        self.publish_version(actor, version).await
    }

    async fn commit_version(&self, actor: &Actor, new: NewVersion<'_>) -> Result<VersionMeta> {
        self.commit(actor, new).await
    }

    async fn acknowledge(
        &self,
        actor: &Actor,
        acked_version: i64,
        vendor: &str,
        commitments: &Value,
        new: NewVersion<'_>,
    ) -> Result<VersionMeta> {
        self.record_acknowledgement(actor, acked_version, vendor, commitments, new)
            .await
    }

    async fn acknowledgements(&self, version: i64) -> Result<Vec<VendorAck>> {
        self.acks_up_to(version).await
    }

    async fn changes_after(&self, after: i64, limit: i64) -> Result<Vec<Change>> {
        self.changes_page(after, limit).await
    }

    async fn audit_log(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        self.audit_log_page(after, limit).await
    }

    async fn enqueue_job(&self, actor: &Actor, kind: &str, params: &Value) -> Result<i64> {
        self.enqueue(actor, kind, params).await
    }

    async fn claim_job(&self, worker: &str, now_ms: i64, stale_ms: i64) -> Result<Option<Job>> {
        self.claim(worker, now_ms, stale_ms).await
    }

    async fn job_progress(&self, id: i64, worker: &str, progress: &str, now_ms: i64) -> Result<()> {
        self.beat(id, worker, progress, now_ms).await
    }

    async fn finish_job(
        &self,
        id: i64,
        worker: &str,
        outcome: std::result::Result<Value, String>,
    ) -> Result<()> {
        self.finish(id, worker, outcome).await
    }

    async fn release_jobs(&self, worker: &str) -> Result<u64> {
        self.release(worker).await
    }

    async fn job(&self, id: i64) -> Result<Option<Job>> {
        self.job_by_id(id).await
    }

    async fn recent_jobs(&self, limit: i64) -> Result<Vec<Job>> {
        self.recent(limit).await
    }

    async fn audit_search(&self, filter: &AuditFilter, limit: i64) -> Result<Vec<AuditEntry>> {
        SqlStore::audit_search(self, filter, limit).await
    }

    async fn listen(&self, wake: tokio::sync::mpsc::Sender<()>) -> Result<()> {
        self.db.listen(wake).await
    }
}

/// `DATABASE_URL`, or the embedded default `sqlite://peakplan.sqlite` in the working directory.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://peakplan.sqlite".to_string())
}

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}
