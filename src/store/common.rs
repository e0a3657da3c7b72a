//! The queries both backends run alike, written once. Placeholders are `$1, $2 …`, which SQLite
//! accepts too; times are bound from Rust (`TIMESTAMPTZ` on PostgreSQL, RFC 3339 text on SQLite),
//! JSON goes through `sqlx::types::Json` (`JSONB` / text). [`store_impl!`] expands to each backend's
//! `impl Store`, with the backend's own methods passed in.

use super::{
    AuditEntry, Change, Job, JobStatus, RosterInfo, ScenarioInfo, VendorAck, VersionMeta,
    VersionStatus,
};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

#[derive(sqlx::FromRow)]
pub(super) struct VersionRow {
    id: i64,
    roster_id: i64,
    parent_id: Option<i64>,
    status: String,
    reason: String,
    created_at: DateTime<Utc>,
    created_by: String,
}

impl From<VersionRow> for VersionMeta {
    fn from(r: VersionRow) -> VersionMeta {
        VersionMeta {
            id: r.id,
            roster_id: r.roster_id,
            parent_id: r.parent_id,
            status: VersionStatus::parse(&r.status),
            reason: r.reason,
            created_at: r.created_at,
            created_by: r.created_by,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct RosterRow {
    id: i64,
    name: String,
    scenario_id: Option<i64>,
    head_version: Option<i64>,
    live_since: Option<i64>,
    created_at: DateTime<Utc>,
}

impl From<RosterRow> for RosterInfo {
    fn from(r: RosterRow) -> RosterInfo {
        RosterInfo {
            id: r.id,
            name: r.name,
            scenario_id: r.scenario_id,
            head_version: r.head_version,
            live: r.live_since.is_some(),
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ScenarioRow {
    id: i64,
    name: String,
    created_at: DateTime<Utc>,
    created_by: String,
}

impl From<ScenarioRow> for ScenarioInfo {
    fn from(r: ScenarioRow) -> ScenarioInfo {
        ScenarioInfo {
            id: r.id,
            name: r.name,
            created_at: r.created_at,
            created_by: r.created_by,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ChangeRow {
    id: i64,
    roster_id: i64,
    version_id: i64,
    kind: String,
    detail: Json<Value>,
    created_at: DateTime<Utc>,
}

impl From<ChangeRow> for Change {
    fn from(r: ChangeRow) -> Change {
        Change {
            id: r.id,
            roster_id: r.roster_id,
            version: r.version_id,
            kind: r.kind,
            detail: r.detail.0,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AuditRow {
    id: i64,
    at: DateTime<Utc>,
    actor: String,
    role: String,
    action: String,
    target: String,
    before: Option<Json<Value>>,
    after: Option<Json<Value>>,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> AuditEntry {
        AuditEntry {
            id: r.id,
            at: r.at,
            actor: r.actor,
            role: r.role,
            action: r.action,
            target: r.target,
            before: r.before.map(|j| j.0),
            after: r.after.map(|j| j.0),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AckRow {
    id: i64,
    version_id: i64,
    vendor: String,
    commitments: Json<Value>,
    acked_at: DateTime<Utc>,
    actor: String,
}

impl From<AckRow> for VendorAck {
    fn from(r: AckRow) -> VendorAck {
        VendorAck {
            id: r.id,
            version: r.version_id,
            vendor: r.vendor,
            commitments: r.commitments.0,
            acked_at: r.acked_at,
            actor: r.actor,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct JobRow {
    id: i64,
    kind: String,
    params: Json<Value>,
    status: String,
    progress: String,
    result: Option<Json<Value>>,
    error: Option<String>,
    worker: Option<String>,
    attempts: i64,
    created_at: DateTime<Utc>,
    created_by: String,
}

impl From<JobRow> for Job {
    fn from(r: JobRow) -> Job {
        Job {
            id: r.id,
            kind: r.kind,
            params: r.params.0,
            status: JobStatus::parse(&r.status),
            progress: r.progress,
            result: r.result.map(|j| j.0),
            error: r.error,
            worker: r.worker,
            attempts: r.attempts,
            created_at: r.created_at,
            created_by: r.created_by,
        }
    }
}

/// The shared body of each backend's `impl Store`. `$db` is the sqlx database type; the backend
/// passes its own methods (`backend`, `claim_job`, `listen`) in braces, and provides an
/// inherent `notify(tx, change_id)` called inside every transaction that adds a change.
macro_rules! store_impl {
    ($store:ty, $db:ty, { $($own:tt)* }) => {
        impl $store {
            /// Adds a version on the head inside `tx`: compare-and-swap on the head first (which
            /// also takes the write lock), then the version, the audit entry and the change.
            async fn commit_in(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                actor: &$crate::store::Actor,
                new: $crate::store::NewVersion<'_>,
            ) -> $crate::store::Result<$crate::store::VersionMeta> {
                use $crate::store::{StoreError, VersionStatus};
                use sqlx::types::Json;
                let locked = sqlx::query(
                    "UPDATE rosters SET name = name WHERE id = $1 AND head_version = $2",
                )
                .bind(new.roster_id)
                .bind(new.expected_head)
                .execute(&mut **tx)
                .await?;
                if locked.rows_affected() == 0 {
                    let head: Option<(Option<i64>,)> =
                        sqlx::query_as("SELECT head_version FROM rosters WHERE id = $1")
                            .bind(new.roster_id)
                            .fetch_optional(&mut **tx)
                            .await?;
                    return Err(match head {
                        Some((Some(current),)) => StoreError::Stale {
                            expected: new.expected_head,
                            current,
                        },
                        _ => StoreError::NotFound(format!("roster {}", new.roster_id)),
                    });
                }
                let now = chrono::Utc::now();
                let row: $crate::store::common::VersionRow = sqlx::query_as(
                    "INSERT INTO roster_versions \
                     (roster_id, parent_id, status, plan, summary, reason, created_at, created_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     RETURNING id, roster_id, parent_id, status, reason, created_at, created_by",
                )
                .bind(new.roster_id)
                .bind(new.expected_head)
                .bind(new.status.as_str())
                .bind(Json(new.plan))
                .bind(new.summary.map(Json))
                .bind(&new.reason)
                .bind(now)
                .bind(&actor.label)
                .fetch_one(&mut **tx)
                .await?;
                let meta: $crate::store::VersionMeta = row.into();
                sqlx::query("UPDATE rosters SET head_version = $1 WHERE id = $2")
                    .bind(meta.id)
                    .bind(new.roster_id)
                    .execute(&mut **tx)
                    .await?;
                if new.status == VersionStatus::Published {
                    sqlx::query(
                        "UPDATE roster_versions SET status = 'superseded' \
                         WHERE roster_id = $1 AND status = 'published' AND id <> $2",
                    )
                    .bind(new.roster_id)
                    .bind(meta.id)
                    .execute(&mut **tx)
                    .await?;
                }
                self.audit_in(tx, actor, new.action, &format!("version {}", meta.id), new.before, new.after)
                    .await?;
                if let Some((kind, detail)) = new.change {
                    self.change_in(tx, new.roster_id, meta.id, kind, detail).await?;
                }
                Ok(meta)
            }

            async fn scenario_in(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                actor: &$crate::store::Actor,
                name: &str,
                body: &str,
            ) -> $crate::store::Result<i64> {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO scenarios (name, body, created_at, created_by) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(name)
                .bind(body)
                .bind(chrono::Utc::now())
                .bind(&actor.label)
                .fetch_one(&mut **tx)
                .await?;
                self.audit_in(tx, actor, "store scenario", &format!("scenario {id}"), None,
                    Some(serde_json::json!({ "name": name })))
                    .await?;
                Ok(id)
            }

            async fn forecast_in(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                actor: &$crate::store::Actor,
                scenario_id: Option<i64>,
                origin: &str,
                csv: &str,
            ) -> $crate::store::Result<i64> {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO forecasts (scenario_id, origin, body, created_at, created_by) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(scenario_id)
                .bind(origin)
                .bind(csv)
                .bind(chrono::Utc::now())
                .bind(&actor.label)
                .fetch_one(&mut **tx)
                .await?;
                Ok(id)
            }

            async fn roster_in(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                actor: &$crate::store::Actor,
                scenario_id: Option<i64>,
                plan: &$crate::live::LivePlan,
                summary: Option<&$crate::roster::summary::RosterSummary>,
                report: Option<&str>,
            ) -> $crate::store::Result<$crate::store::VersionMeta> {
                use sqlx::types::Json;
                let now = chrono::Utc::now();
                let (roster_id,): (i64,) = sqlx::query_as(
                    "INSERT INTO rosters (scenario_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(scenario_id)
                .bind(&plan.name)
                .bind(now)
                .fetch_one(&mut **tx)
                .await?;
                let row: $crate::store::common::VersionRow = sqlx::query_as(
                    "INSERT INTO roster_versions \
                     (roster_id, parent_id, status, plan, summary, reason, created_at, created_by, report) \
                     VALUES ($1, NULL, 'draft', $2, $3, 'planned', $4, $5, $6) \
                     RETURNING id, roster_id, parent_id, status, reason, created_at, created_by",
                )
                .bind(roster_id)
                .bind(Json(plan))
                .bind(summary.map(Json))
                .bind(now)
                .bind(&actor.label)
                .bind(report)
                .fetch_one(&mut **tx)
                .await?;
                let meta: $crate::store::VersionMeta = row.into();
                sqlx::query("UPDATE rosters SET head_version = $1 WHERE id = $2")
                    .bind(meta.id)
                    .bind(roster_id)
                    .execute(&mut **tx)
                    .await?;
                self.audit_in(tx, actor, "store roster", &format!("version {}", meta.id), None,
                    Some(serde_json::json!({
                        "roster": roster_id,
                        "name": plan.name,
                        "shifts": plan.shifts.len(),
                        "vendor_blocks": plan.blocks.len(),
                    })))
                    .await?;
                Ok(meta)
            }

            /// Publishes the draft head `version`: its roster becomes the live one.
            async fn publish_in(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                actor: &$crate::store::Actor,
                version: i64,
            ) -> $crate::store::Result<$crate::store::VersionMeta> {
                use $crate::store::StoreError;
                // Lock the roster first (write lock on SQLite, row lock on PostgreSQL).
                let roster: Option<(i64, Option<i64>)> = sqlx::query_as(
                    "UPDATE rosters SET live_since = (SELECT COALESCE(MAX(live_since), 0) + 1 FROM rosters) \
                     WHERE id = (SELECT roster_id FROM roster_versions WHERE id = $1) \
                     RETURNING id, head_version",
                )
                .bind(version)
                .fetch_optional(&mut **tx)
                .await?;
                let Some((roster_id, head)) = roster else {
                    return Err(StoreError::NotFound(format!("version {version}")));
                };
                let (status,): (String,) =
                    sqlx::query_as("SELECT status FROM roster_versions WHERE id = $1")
                        .bind(version)
                        .fetch_one(&mut **tx)
                        .await?;
                if status != "draft" {
                    return Err(StoreError::Conflict(format!(
                        "version {version} is {status}; only a draft is published (edits of a published roster are published as they are made)"
                    )));
                }
                if head != Some(version) {
                    return Err(StoreError::Conflict(format!(
                        "version {version} is not the head of roster {roster_id} (the head is {}); publish the head",
                        head.map_or("none".to_string(), |h| h.to_string())
                    )));
                }
                let row: $crate::store::common::VersionRow = sqlx::query_as(
                    "UPDATE roster_versions SET status = 'published' WHERE id = $1 \
                     RETURNING id, roster_id, parent_id, status, reason, created_at, created_by",
                )
                .bind(version)
                .fetch_one(&mut **tx)
                .await?;
                sqlx::query(
                    "UPDATE roster_versions SET status = 'superseded' \
                     WHERE roster_id = $1 AND status = 'published' AND id <> $2",
                )
                .bind(roster_id)
                .bind(version)
                .execute(&mut **tx)
                .await?;
                self.audit_in(tx, actor, "publish", &format!("version {version}"),
                    Some(serde_json::json!({ "status": "draft" })),
                    Some(serde_json::json!({ "status": "published" })))
                    .await?;
                self.change_in(tx, roster_id, version, "published",
                    serde_json::json!({ "reason": "published" }))
                    .await?;
                Ok(row.into())
            }

            async fn audit_in(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                actor: &$crate::store::Actor,
                action: &str,
                target: &str,
                before: Option<serde_json::Value>,
                after: Option<serde_json::Value>,
            ) -> $crate::store::Result<()> {
                use sqlx::types::Json;
                sqlx::query(
                    "INSERT INTO audit_log (at, actor, role, action, target, before, after) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(chrono::Utc::now())
                .bind(&actor.label)
                .bind(actor.role.to_string())
                .bind(action)
                .bind(target)
                .bind(before.map(Json))
                .bind(after.map(Json))
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn change_in(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                roster_id: i64,
                version: i64,
                kind: &str,
                detail: serde_json::Value,
            ) -> $crate::store::Result<i64> {
                use sqlx::types::Json;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO changes (roster_id, version_id, kind, detail, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(roster_id)
                .bind(version)
                .bind(kind)
                .bind(Json(detail))
                .bind(chrono::Utc::now())
                .fetch_one(&mut **tx)
                .await?;
                Self::notify(tx, id).await?;
                Ok(id)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            $($own)*

            async fn ready(&self) -> $crate::store::Result<$crate::store::Readiness> {
                let (applied,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                        .fetch_one(&self.pool)
                        .await?;
                Ok($crate::store::Readiness {
                    backend: self.backend(),
                    migrations_applied: applied,
                    // Each backend's module has its own `MIGRATOR`.
                    migrations_known: MIGRATOR.iter().count(),
                })
            }

            async fn create_token(
                &self,
                role: &$crate::store::Role,
                label: &str,
                hash: &str,
            ) -> $crate::store::Result<i64> {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO api_tokens (hash, role, label, created_at) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(hash)
                .bind(role.to_string())
                .bind(label)
                .bind(chrono::Utc::now())
                .fetch_one(&self.pool)
                .await?;
                Ok(id)
            }

            async fn token(
                &self,
                hash: &str,
            ) -> $crate::store::Result<Option<$crate::store::TokenRecord>> {
                let row: Option<(i64, String, String, Option<chrono::DateTime<chrono::Utc>>)> =
                    sqlx::query_as(
                        "SELECT id, label, role, revoked_at FROM api_tokens WHERE hash = $1",
                    )
                    .bind(hash)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(id, label, role, revoked)| $crate::store::TokenRecord {
                    id,
                    label,
                    role,
                    revoked: revoked.is_some(),
                }))
            }

            async fn tokens(&self) -> $crate::store::Result<Vec<$crate::store::TokenRecord>> {
                let rows: Vec<(i64, String, String, Option<chrono::DateTime<chrono::Utc>>)> =
                    sqlx::query_as("SELECT id, label, role, revoked_at FROM api_tokens ORDER BY id")
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, label, role, revoked)| $crate::store::TokenRecord {
                        id,
                        label,
                        role,
                        revoked: revoked.is_some(),
                    })
                    .collect())
            }

            async fn revoke_token(
                &self,
                actor: &$crate::store::Actor,
                id: i64,
            ) -> $crate::store::Result<bool> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                )
                .bind(chrono::Utc::now())
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                self.audit_in(&mut tx, actor, "revoke token", &format!("token {id}"), None, None)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn put_scenario(
                &self,
                actor: &$crate::store::Actor,
                name: &str,
                body: &str,
            ) -> $crate::store::Result<i64> {
                let mut tx = self.pool.begin().await?;
                let id = self.scenario_in(&mut tx, actor, name, body).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn put_forecast(
                &self,
                actor: &$crate::store::Actor,
                scenario_id: Option<i64>,
                origin: &str,
                csv: &str,
            ) -> $crate::store::Result<i64> {
                let mut tx = self.pool.begin().await?;
                let id = self.forecast_in(&mut tx, actor, scenario_id, origin, csv).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn create_roster(
                &self,
                actor: &$crate::store::Actor,
                scenario_id: Option<i64>,
                plan: &$crate::live::LivePlan,
                summary: Option<&$crate::roster::summary::RosterSummary>,
                report: Option<&str>,
            ) -> $crate::store::Result<$crate::store::VersionMeta> {
                let mut tx = self.pool.begin().await?;
                let meta = self.roster_in(&mut tx, actor, scenario_id, plan, summary, report).await?;
                tx.commit().await?;
                Ok(meta)
            }

            async fn store_plan(
                &self,
                actor: &$crate::store::Actor,
                planned: &$crate::store::PlanRecord<'_>,
                publish: bool,
            ) -> $crate::store::Result<$crate::store::VersionMeta> {
                let mut tx = self.pool.begin().await?;
                let scenario = self
                    .scenario_in(&mut tx, actor, planned.scenario_name, planned.scenario_text)
                    .await?;
                self.forecast_in(&mut tx, actor, Some(scenario), planned.forecast_origin, planned.forecast_csv)
                    .await?;
                let mut meta = self
                    .roster_in(&mut tx, actor, Some(scenario), planned.plan, Some(planned.summary), planned.report)
                    .await?;
                if publish {
                    meta = self.publish_in(&mut tx, actor, meta.id).await?;
                }
                tx.commit().await?;
                Ok(meta)
            }

            async fn publish(
                &self,
                actor: &$crate::store::Actor,
                version: i64,
            ) -> $crate::store::Result<$crate::store::VersionMeta> {
                let mut tx = self.pool.begin().await?;
                let meta = self.publish_in(&mut tx, actor, version).await?;
                tx.commit().await?;
                Ok(meta)
            }

            async fn scenarios(&self) -> $crate::store::Result<Vec<$crate::store::ScenarioInfo>> {
                let rows: Vec<$crate::store::common::ScenarioRow> = sqlx::query_as(
                    "SELECT id, name, created_at, created_by FROM scenarios ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn scenario(
                &self,
                id: i64,
            ) -> $crate::store::Result<Option<($crate::store::ScenarioInfo, String)>> {
                let row: Option<(i64, String, chrono::DateTime<chrono::Utc>, String, String)> =
                    sqlx::query_as(
                        "SELECT id, name, created_at, created_by, body FROM scenarios WHERE id = $1",
                    )
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(id, name, created_at, created_by, body)| {
                    (
                        $crate::store::ScenarioInfo {
                            id,
                            name,
                            created_at,
                            created_by,
                        },
                        body,
                    )
                }))
            }

            async fn forecast(&self, id: i64) -> $crate::store::Result<Option<$crate::store::StoredVolumes>> {
                let row: Option<(Option<i64>, String, String)> =
                    sqlx::query_as("SELECT scenario_id, origin, body FROM forecasts WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(|(scenario, origin, csv)| $crate::store::StoredVolumes { id, scenario, origin, csv }))
            }

            async fn put_history(
                &self,
                actor: &$crate::store::Actor,
                scenario_id: i64,
                origin: &str,
                csv: &str,
            ) -> $crate::store::Result<i64> {
                let mut tx = self.pool.begin().await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO histories (scenario_id, origin, body, created_at, created_by) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(scenario_id)
                .bind(origin)
                .bind(csv)
                .bind(chrono::Utc::now())
                .bind(&actor.label)
                .fetch_one(&mut *tx)
                .await?;
                self.audit_in(&mut tx, actor, "store history", &format!("history {id}"), None,
                    Some(serde_json::json!({ "scenario": scenario_id, "origin": origin, "bytes": csv.len() })))
                    .await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn history(&self, id: i64) -> $crate::store::Result<Option<$crate::store::StoredVolumes>> {
                let row: Option<(i64, String, String)> =
                    sqlx::query_as("SELECT scenario_id, origin, body FROM histories WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(|(scenario, origin, csv)| $crate::store::StoredVolumes { id, scenario: Some(scenario), origin, csv }))
            }

            async fn report(&self, version: i64) -> $crate::store::Result<Option<(i64, String)>> {
                let row: Option<(i64, String)> = sqlx::query_as(
                    "SELECT id, report FROM roster_versions \
                     WHERE roster_id = (SELECT roster_id FROM roster_versions WHERE id = $1) \
                       AND id <= $1 AND report IS NOT NULL ORDER BY id DESC LIMIT 1",
                )
                .bind(version)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row)
            }

            async fn rosters(&self) -> $crate::store::Result<Vec<$crate::store::RosterInfo>> {
                let rows: Vec<$crate::store::common::RosterRow> = sqlx::query_as(
                    "SELECT id, name, scenario_id, head_version, live_since, created_at \
                     FROM rosters ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn versions(
                &self,
                roster_id: i64,
            ) -> $crate::store::Result<Vec<$crate::store::VersionMeta>> {
                let rows: Vec<$crate::store::common::VersionRow> = sqlx::query_as(
                    "SELECT id, roster_id, parent_id, status, reason, created_at, created_by \
                     FROM roster_versions WHERE roster_id = $1 ORDER BY id",
                )
                .bind(roster_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn version_meta(
                &self,
                id: i64,
            ) -> $crate::store::Result<Option<$crate::store::VersionMeta>> {
                let row: Option<$crate::store::common::VersionRow> = sqlx::query_as(
                    "SELECT id, roster_id, parent_id, status, reason, created_at, created_by \
                     FROM roster_versions WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Into::into))
            }

            async fn version(
                &self,
                id: i64,
            ) -> $crate::store::Result<Option<$crate::store::Version>> {
                use sqlx::types::Json;
                let Some(meta) = self.version_meta(id).await? else {
                    return Ok(None);
                };
                let (plan, summary): (Json<$crate::live::LivePlan>, Option<Json<serde_json::Value>>) =
                    sqlx::query_as("SELECT plan, summary FROM roster_versions WHERE id = $1")
                        .bind(id)
                        .fetch_one(&self.pool)
                        .await?;
                Ok(Some($crate::store::Version {
                    meta,
                    plan: std::sync::Arc::new(plan.0),
                    // A summary written by an earlier layout is not shown rather than refused.
                    summary: summary.and_then(|j| serde_json::from_value(j.0).ok()),
                }))
            }

            async fn live_head(&self) -> $crate::store::Result<Option<i64>> {
                let row: Option<(Option<i64>,)> = sqlx::query_as(
                    "SELECT head_version FROM rosters WHERE live_since IS NOT NULL \
                     ORDER BY live_since DESC LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.and_then(|(h,)| h))
            }

            async fn live_version(&self) -> $crate::store::Result<Option<$crate::store::Version>> {
                match self.live_head().await? {
                    Some(id) => self.version(id).await,
                    None => Ok(None),
                }
            }

            async fn commit_version(
                &self,
                actor: &$crate::store::Actor,
                new: $crate::store::NewVersion<'_>,
            ) -> $crate::store::Result<$crate::store::VersionMeta> {
                let mut tx = self.pool.begin().await?;
                let meta = self.commit_in(&mut tx, actor, new).await?;
                tx.commit().await?;
                Ok(meta)
            }

            async fn acknowledge(
                &self,
                actor: &$crate::store::Actor,
                acked_version: i64,
                vendor: &str,
                commitments: &serde_json::Value,
                new: $crate::store::NewVersion<'_>,
            ) -> $crate::store::Result<$crate::store::VersionMeta> {
                use sqlx::types::Json;
                let mut tx = self.pool.begin().await?;
                let meta = self.commit_in(&mut tx, actor, new).await?;
                sqlx::query(
                    "INSERT INTO vendor_acks (version_id, vendor, commitments, acked_at, actor) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(acked_version)
                .bind(vendor)
                .bind(Json(commitments))
                .bind(chrono::Utc::now())
                .bind(&actor.label)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(meta)
            }

            async fn acknowledgements(
                &self,
                version: i64,
            ) -> $crate::store::Result<Vec<$crate::store::VendorAck>> {
                let rows: Vec<$crate::store::common::AckRow> = sqlx::query_as(
                    "SELECT id, version_id, vendor, commitments, acked_at, actor FROM vendor_acks \
                     WHERE version_id <= $1 AND version_id IN (SELECT id FROM roster_versions \
                         WHERE roster_id = (SELECT roster_id FROM roster_versions WHERE id = $1)) \
                     ORDER BY id",
                )
                .bind(version)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn changes_after(
                &self,
                after: i64,
                limit: i64,
            ) -> $crate::store::Result<Vec<$crate::store::Change>> {
                let rows: Vec<$crate::store::common::ChangeRow> = sqlx::query_as(
                    "SELECT id, roster_id, version_id, kind, detail, created_at FROM changes \
                     WHERE id > $1 ORDER BY id LIMIT $2",
                )
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn audit_log(
                &self,
                after: i64,
                limit: i64,
            ) -> $crate::store::Result<Vec<$crate::store::AuditEntry>> {
                let rows: Vec<$crate::store::common::AuditRow> = sqlx::query_as(
                    "SELECT id, at, actor, role, action, target, before, after FROM audit_log \
                     WHERE id > $1 ORDER BY id LIMIT $2",
                )
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn enqueue_job(
                &self,
                actor: &$crate::store::Actor,
                kind: &str,
                params: &serde_json::Value,
            ) -> $crate::store::Result<i64> {
                use sqlx::types::Json;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO jobs (kind, params, status, created_at, created_by) \
                     VALUES ($1, $2, 'queued', $3, $4) RETURNING id",
                )
                .bind(kind)
                .bind(Json(params))
                .bind(chrono::Utc::now())
                .bind(&actor.label)
                .fetch_one(&self.pool)
                .await?;
                Ok(id)
            }

            async fn job_progress(
                &self,
                id: i64,
                worker: &str,
                progress: &str,
                now_ms: i64,
            ) -> $crate::store::Result<()> {
                sqlx::query(
                    "UPDATE jobs SET progress = $1, heartbeat_ms = $2 \
                     WHERE id = $3 AND worker = $4 AND status = 'running'",
                )
                .bind(progress)
                .bind(now_ms)
                .bind(id)
                .bind(worker)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn finish_job(
                &self,
                id: i64,
                worker: &str,
                outcome: std::result::Result<serde_json::Value, String>,
            ) -> $crate::store::Result<()> {
                use sqlx::types::Json;
                let (status, result, error) = match outcome {
                    Ok(v) => ("done", Some(Json(v)), None),
                    Err(e) => ("failed", None, Some(e)),
                };
                sqlx::query(
                    "UPDATE jobs SET status = $1, result = $2, error = $3, progress = '' \
                     WHERE id = $4 AND worker = $5 AND status = 'running'",
                )
                .bind(status)
                .bind(result)
                .bind(error)
                .bind(id)
                .bind(worker)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn release_jobs(&self, worker: &str) -> $crate::store::Result<u64> {
                let done = sqlx::query(
                    "UPDATE jobs SET status = 'queued', worker = NULL, heartbeat_ms = NULL \
                     WHERE worker = $1 AND status = 'running'",
                )
                .bind(worker)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected())
            }

            async fn job(&self, id: i64) -> $crate::store::Result<Option<$crate::store::Job>> {
                let row: Option<$crate::store::common::JobRow> = sqlx::query_as(
                    "SELECT id, kind, params, status, progress, result, error, worker, attempts, \
                     created_at, created_by FROM jobs WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(Into::into))
            }
        }
    };
}
