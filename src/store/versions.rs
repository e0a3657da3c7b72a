//! Rosters as immutable versions (draft → published → superseded), the change feed the routing
//! layer follows, vendor acknowledgements and the plans' reports.
//!
//! Every write is one transaction: the roster's head is moved by compare-and-swap on the version
//! the writer read (so a stale writer changes nothing, and the update also takes the write lock),
//! then the version, its audit entry and its change (announced to the other instances at commit).

use super::sql::{Backend, Kind, Query, Row, Tx};
use super::{
    Actor, Change, NewVersion, PlanRecord, Result, RosterInfo, SqlStore, StoreError, VendorAck,
    Version, VersionMeta, VersionStatus, audit, inputs,
};
use crate::live::LivePlan;
use crate::live::delta::PlanDelta;
use crate::roster::summary::RosterSummary;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// A version is stored whole after this many deltas in a row, so that rebuilding one applies at
/// most this many (in place, well under a millisecond each on the sample) while the whole plan's
/// bytes (0.9 MB on the sample) spread over as many edits.
pub const SNAPSHOT_EVERY: i64 = 200;

/// The plans of the last versions read or written, by version id.
#[derive(Default)]
pub struct PlanCache(Mutex<VecDeque<(i64, Arc<LivePlan>)>>);

impl PlanCache {
    const SIZE: usize = 16;

    fn get(&self, id: i64) -> Option<Arc<LivePlan>> {
        let cache = self.0.lock().expect("plan cache lock");
        cache.iter().find(|(v, _)| *v == id).map(|(_, p)| p.clone())
    }

    fn put(&self, id: i64, plan: Arc<LivePlan>) {
        let mut cache = self.0.lock().expect("plan cache lock");
        if cache.iter().any(|(v, _)| *v == id) {
            return;
        }
        if cache.len() >= Self::SIZE {
            cache.pop_front();
        }
        cache.push_back((id, plan));
    }
}

const VERSION_COLUMNS: &str = "id, roster_id, parent_id, status, reason, created_at, created_by";
const VERSION_KINDS: [Kind; 7] = [
    Kind::Int,
    Kind::Int,
    Kind::Int,
    Kind::Text,
    Kind::Text,
    Kind::Time,
    Kind::Text,
];

fn version_meta(r: &Row) -> Result<VersionMeta> {
    Ok(VersionMeta {
        id: r.int(0)?,
        roster_id: r.int(1)?,
        parent_id: r.opt_int(2)?,
        status: VersionStatus::parse(&r.text(3)?),
        reason: r.text(4)?,
        created_at: r.time(5)?,
        created_by: r.text(6)?,
    })
}

/// Adds a change to the feed inside `tx` and announces it at commit.
async fn add_change(
    db: &dyn Backend,
    tx: &mut dyn Tx,
    roster_id: i64,
    version: i64,
    kind: &str,
    detail: &Value,
) -> Result<i64> {
    let q = Query::new(
        "INSERT INTO changes (roster_id, version_id, kind, detail, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .int(roster_id)
    .int(version)
    .text(kind)
    .json(detail)?
    .now();
    let id = tx.fetch_one(q, &[Kind::Int]).await?.int(0)?;
    if let Some(announce) = db.announce() {
        tx.execute(Query::new(announce).int(id)).await?;
    }
    Ok(id)
}

/// A new roster whose first version (a draft) is `plan`, inside `tx`.
async fn insert_roster(
    tx: &mut dyn Tx,
    actor: &Actor,
    scenario_id: Option<i64>,
    plan: &LivePlan,
    summary: Option<&RosterSummary>,
    report: Option<&str>,
) -> Result<VersionMeta> {
    let q = Query::new(
        "INSERT INTO rosters (scenario_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .opt_int(scenario_id)
    .text(&plan.name)
    .now();
    let roster_id = tx.fetch_one(q, &[Kind::Int]).await?.int(0)?;
    let q = Query::new(format!(
        "INSERT INTO roster_versions \
         (roster_id, parent_id, status, plan, summary, reason, created_at, created_by, report) \
         VALUES ($1, NULL, 'draft', $2, $3, 'planned', $4, $5, $6) RETURNING {VERSION_COLUMNS}"
    ))
    .int(roster_id)
    .json(plan)?
    .opt_json(summary)?
    .now()
    .text(&actor.label)
    .opt_text(report);
    let meta = version_meta(&tx.fetch_one(q, &VERSION_KINDS).await?)?;
    let q = Query::new("UPDATE rosters SET head_version = $1 WHERE id = $2")
        .int(meta.id)
        .int(roster_id);
    tx.execute(q).await?;
    let after = json!({
        "roster": roster_id,
        "name": plan.name,
        "shifts": plan.shifts.len(),
        "vendor_blocks": plan.blocks.len(),
    });
    let target = format!("version {}", meta.id);
    audit::record(tx, actor, "store roster", &target, None, Some(&after)).await?;
    Ok(meta)
}

/// Publishes the draft head `version` inside `tx`: its roster becomes the live one.
async fn publish_in(
    db: &dyn Backend,
    tx: &mut dyn Tx,
    actor: &Actor,
    version: i64,
) -> Result<VersionMeta> {
    // Lock the roster first (write lock on SQLite, row lock on PostgreSQL).
    let q = Query::new(
        "UPDATE rosters SET live_since = (SELECT COALESCE(MAX(live_since), 0) + 1 FROM rosters) \
         WHERE id = (SELECT roster_id FROM roster_versions WHERE id = $1) \
         RETURNING id, head_version",
    )
    .int(version);
    let Some(roster) = tx.fetch_optional(q, &[Kind::Int, Kind::Int]).await? else {
        return Err(StoreError::NotFound(format!("version {version}")));
    };
    let (roster_id, head) = (roster.int(0)?, roster.opt_int(1)?);
    let q = Query::new("SELECT status FROM roster_versions WHERE id = $1").int(version);
    let status = tx.fetch_one(q, &[Kind::Text]).await?.text(0)?;
    if status != "draft" {
        return Err(StoreError::Conflict(format!(
            "version {version} is {status}; only a draft is published (edits of a published \
             roster are published as they are made)"
        )));
    }
    if head != Some(version) {
        return Err(StoreError::Conflict(format!(
            "version {version} is not the head of roster {roster_id} (the head is {}); publish the head",
            head.map_or("none".to_string(), |h| h.to_string())
        )));
    }
    let q = Query::new(format!(
        "UPDATE roster_versions SET status = 'published' WHERE id = $1 RETURNING {VERSION_COLUMNS}"
    ))
    .int(version);
    let meta = version_meta(&tx.fetch_one(q, &VERSION_KINDS).await?)?;
    supersede_others(tx, roster_id, version).await?;
    let target = format!("version {version}");
    let (before, after) = (
        json!({ "status": "draft" }),
        json!({ "status": "published" }),
    );
    audit::record(tx, actor, "publish", &target, Some(&before), Some(&after)).await?;
    let detail = json!({ "reason": "published" });
    add_change(db, tx, roster_id, version, "published", &detail).await?;
    Ok(meta)
}

/// Every published version of the roster but `version` becomes superseded.
async fn supersede_others(tx: &mut dyn Tx, roster_id: i64, version: i64) -> Result<()> {
    let q = Query::new(
        "UPDATE roster_versions SET status = 'superseded' \
         WHERE roster_id = $1 AND status = 'published' AND id <> $2",
    )
    .int(roster_id)
    .int(version);
    tx.execute(q).await?;
    Ok(())
}

/// Adds a version on the head inside `tx`: compare-and-swap on the head first (which also takes
/// the write lock), then the version, the audit entry and the change.
async fn commit_in(
    db: &dyn Backend,
    tx: &mut dyn Tx,
    actor: &Actor,
    new: NewVersion<'_>,
) -> Result<VersionMeta> {
    let q = Query::new("UPDATE rosters SET name = name WHERE id = $1 AND head_version = $2")
        .int(new.roster_id)
        .int(new.expected_head);
    if tx.execute(q).await? == 0 {
        let q = Query::new("SELECT head_version FROM rosters WHERE id = $1").int(new.roster_id);
        let head = tx.fetch_optional(q, &[Kind::Int]).await?;
        return Err(match head.map(|r| r.opt_int(0)).transpose()?.flatten() {
            Some(current) => StoreError::Stale {
                expected: new.expected_head,
                current,
            },
            None => StoreError::NotFound(format!("roster {}", new.roster_id)),
        });
    }
    // The change against the parent, unless the chain of deltas is long enough already.
    let q = Query::new("SELECT snapshot_distance FROM roster_versions WHERE id = $1")
        .int(new.expected_head);
    let distance = tx.fetch_one(q, &[Kind::Int]).await?.int(0)?;
    let delta = (distance + 1 < SNAPSHOT_EVERY)
        .then(|| PlanDelta::between(new.parent_plan, new.plan))
        .flatten();
    let q = Query::new(format!(
        "INSERT INTO roster_versions \
         (roster_id, parent_id, status, plan, summary, reason, created_at, created_by, \
          plan_kind, snapshot_distance) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {VERSION_COLUMNS}"
    ))
    .int(new.roster_id)
    .int(new.expected_head)
    .text(new.status.as_str());
    let q = match &delta {
        Some(d) => q.json(d)?,
        None => q.json(new.plan)?,
    };
    let q = q
        .opt_json(new.summary)?
        .text(&new.reason)
        .now()
        .text(&actor.label)
        .text(if delta.is_some() { "delta" } else { "snapshot" })
        .int(if delta.is_some() { distance + 1 } else { 0 });
    let meta = version_meta(&tx.fetch_one(q, &VERSION_KINDS).await?)?;
    let q = Query::new("UPDATE rosters SET head_version = $1 WHERE id = $2")
        .int(meta.id)
        .int(new.roster_id);
    tx.execute(q).await?;
    if new.status == VersionStatus::Published {
        supersede_others(tx, new.roster_id, meta.id).await?;
    }
    let target = format!("version {}", meta.id);
    audit::record(
        tx,
        actor,
        new.action,
        &target,
        new.before.as_ref(),
        new.after.as_ref(),
    )
    .await?;
    if let Some((kind, detail)) = &new.change {
        add_change(db, tx, new.roster_id, meta.id, kind, detail).await?;
    }
    Ok(meta)
}

impl SqlStore {
    pub(super) async fn new_roster(
        &self,
        actor: &Actor,
        scenario_id: Option<i64>,
        plan: &LivePlan,
        summary: Option<&RosterSummary>,
        report: Option<&str>,
    ) -> Result<VersionMeta> {
        let mut tx = self.db.begin().await?;
        let meta = insert_roster(&mut *tx, actor, scenario_id, plan, summary, report).await?;
        tx.commit().await?;
        Ok(meta)
    }

    /// Scenario, forecast and roster (and its publication) in one transaction.
    pub(super) async fn plan_record(
        &self,
        actor: &Actor,
        planned: &PlanRecord<'_>,
        publish: bool,
    ) -> Result<VersionMeta> {
        let mut tx = self.db.begin().await?;
        let scenario = inputs::insert_scenario(
            &mut *tx,
            actor,
            planned.scenario_name,
            planned.scenario_text,
        )
        .await?;
        inputs::insert_volumes(
            &mut *tx,
            actor,
            inputs::Volumes::Forecasts,
            Some(scenario),
            planned.forecast_origin,
            planned.forecast_csv,
        )
        .await?;
        let mut meta = insert_roster(
            &mut *tx,
            actor,
            Some(scenario),
            planned.plan,
            Some(planned.summary),
            planned.report,
        )
        .await?;
        if publish {
            meta = publish_in(&*self.db, &mut *tx, actor, meta.id).await?;
        }
        tx.commit().await?;
        Ok(meta)
    }

    pub(super) async fn publish_version(&self, actor: &Actor, version: i64) -> Result<VersionMeta> {
        let mut tx = self.db.begin().await?;
        let meta = publish_in(&*self.db, &mut *tx, actor, version).await?;
        tx.commit().await?;
        Ok(meta)
    }

    pub(super) async fn commit(&self, actor: &Actor, new: NewVersion<'_>) -> Result<VersionMeta> {
        let plan = Arc::new(new.plan.clone());
        let mut tx = self.db.begin().await?;
        let meta = commit_in(&*self.db, &mut *tx, actor, new).await?;
        tx.commit().await?;
        self.plans.put(meta.id, plan);
        Ok(meta)
    }

    /// The vendor's acknowledgement and the version carrying its commitments, atomically.
    pub(super) async fn record_acknowledgement(
        &self,
        actor: &Actor,
        acked_version: i64,
        vendor: &str,
        commitments: &Value,
        new: NewVersion<'_>,
    ) -> Result<VersionMeta> {
        let plan = Arc::new(new.plan.clone());
        let mut tx = self.db.begin().await?;
        let meta = commit_in(&*self.db, &mut *tx, actor, new).await?;
        let q = Query::new(
            "INSERT INTO vendor_acks (version_id, vendor, commitments, acked_at, actor) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .int(acked_version)
        .text(vendor)
        .json(commitments)?
        .now()
        .text(&actor.label);
        tx.execute(q).await?;
        tx.commit().await?;
        self.plans.put(meta.id, plan);
        Ok(meta)
    }

    pub(super) async fn all_rosters(&self) -> Result<Vec<RosterInfo>> {
        let q = Query::new(
            "SELECT id, name, scenario_id, head_version, live_since, created_at \
             FROM rosters ORDER BY id",
        );
        let kinds = [
            Kind::Int,
            Kind::Text,
            Kind::Int,
            Kind::Int,
            Kind::Int,
            Kind::Time,
        ];
        let rows = self.db.fetch(q, &kinds).await?;
        rows.iter()
            .map(|r| {
                Ok(RosterInfo {
                    id: r.int(0)?,
                    name: r.text(1)?,
                    scenario_id: r.opt_int(2)?,
                    head_version: r.opt_int(3)?,
                    live: r.opt_int(4)?.is_some(),
                    created_at: r.time(5)?,
                })
            })
            .collect()
    }

    pub(super) async fn roster_versions(&self, roster_id: i64) -> Result<Vec<VersionMeta>> {
        let q = Query::new(format!(
            "SELECT {VERSION_COLUMNS} FROM roster_versions WHERE roster_id = $1 ORDER BY id"
        ))
        .int(roster_id);
        let rows = self.db.fetch(q, &VERSION_KINDS).await?;
        rows.iter().map(version_meta).collect()
    }

    pub(super) async fn meta_of(&self, id: i64) -> Result<Option<VersionMeta>> {
        let q = Query::new(format!(
            "SELECT {VERSION_COLUMNS} FROM roster_versions WHERE id = $1"
        ))
        .int(id);
        let row = self.db.fetch_optional(q, &VERSION_KINDS).await?;
        row.as_ref().map(version_meta).transpose()
    }

    pub(super) async fn version_of(&self, id: i64) -> Result<Option<Version>> {
        let Some(meta) = self.meta_of(id).await? else {
            return Ok(None);
        };
        let q = Query::new("SELECT summary FROM roster_versions WHERE id = $1").int(id);
        let row = self.db.fetch_one(q, &[Kind::Json]).await?;
        // A summary written by an earlier layout is not shown rather than refused.
        let summary = row.opt_json::<RosterSummary>(0).ok().flatten();
        Ok(Some(Version {
            meta,
            plan: self.plan_of(id).await?,
            summary,
        }))
    }

    /// The plan of version `id`: from the cache, or rebuilt from the nearest cached or whole
    /// ancestor by applying the deltas since.
    async fn plan_of(&self, id: i64) -> Result<Arc<LivePlan>> {
        if let Some(plan) = self.plans.get(id) {
            return Ok(plan);
        }
        // The chain from `id` up to its last snapshot, newest first (ids and kinds only).
        let q = Query::new(
            "WITH RECURSIVE chain(id, parent_id, plan_kind, depth) AS ( \
                 SELECT id, parent_id, plan_kind, 0 FROM roster_versions WHERE id = $1 \
                 UNION ALL \
                 SELECT v.id, v.parent_id, v.plan_kind, chain.depth + 1 \
                 FROM roster_versions v JOIN chain ON v.id = chain.parent_id \
                 WHERE chain.plan_kind = 'delta') \
             SELECT id, plan_kind FROM chain ORDER BY depth",
        )
        .int(id);
        let chain = self.db.fetch(q, &[Kind::Int, Kind::Text]).await?;
        let mut pending = Vec::new();
        let mut base: Option<Arc<LivePlan>> = None;
        for row in &chain {
            let (v, kind) = (row.int(0)?, row.text(1)?);
            if let Some(plan) = self.plans.get(v) {
                base = Some(plan);
                break;
            }
            let q = Query::new("SELECT plan FROM roster_versions WHERE id = $1").int(v);
            let row = self.db.fetch_one(q, &[Kind::Json]).await?;
            if kind == "snapshot" {
                base = Some(Arc::new(row.json::<LivePlan>(0)?));
                self.plans.put(v, base.clone().expect("just set"));
                break;
            }
            pending.push((v, row.json::<PlanDelta>(0)?));
        }
        let base = base.ok_or_else(|| {
            StoreError::Column(format!(
                "version {id} has no stored plan to rebuild it from"
            ))
        })?;
        if pending.is_empty() {
            return Ok(base);
        }
        let mut plan = (*base).clone();
        for (v, delta) in pending.into_iter().rev() {
            if !delta.apply_to(&mut plan) {
                return Err(StoreError::Column(format!(
                    "the change stored for version {v} does not fit its parent"
                )));
            }
        }
        plan.check()
            .map_err(|e| StoreError::Column(format!("version {id} rebuilt from changes: {e}")))?;
        let plan = Arc::new(plan);
        self.plans.put(id, plan.clone());
        Ok(plan)
    }

    pub(super) async fn head_of_live(&self) -> Result<Option<i64>> {
        let q = Query::new(
            "SELECT head_version FROM rosters WHERE live_since IS NOT NULL \
             ORDER BY live_since DESC LIMIT 1",
        );
        let row = self.db.fetch_optional(q, &[Kind::Int]).await?;
        Ok(row.map(|r| r.opt_int(0)).transpose()?.flatten())
    }

    pub(super) async fn acks_up_to(&self, version: i64) -> Result<Vec<VendorAck>> {
        let q = Query::new(
            "SELECT id, version_id, vendor, commitments, acked_at, actor FROM vendor_acks \
             WHERE version_id <= $1 AND version_id IN (SELECT id FROM roster_versions \
                 WHERE roster_id = (SELECT roster_id FROM roster_versions WHERE id = $1)) \
             ORDER BY id",
        )
        .int(version);
        let kinds = [
            Kind::Int,
            Kind::Int,
            Kind::Text,
            Kind::Json,
            Kind::Time,
            Kind::Text,
        ];
        let rows = self.db.fetch(q, &kinds).await?;
        rows.iter()
            .map(|r| {
                Ok(VendorAck {
                    id: r.int(0)?,
                    version: r.int(1)?,
                    vendor: r.text(2)?,
                    commitments: r.json(3)?,
                    acked_at: r.time(4)?,
                    actor: r.text(5)?,
                })
            })
            .collect()
    }

    pub(super) async fn changes_page(&self, after: i64, limit: i64) -> Result<Vec<Change>> {
        let q = Query::new(
            "SELECT id, roster_id, version_id, kind, detail, created_at FROM changes \
             WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .int(after)
        .int(limit);
        let kinds = [
            Kind::Int,
            Kind::Int,
            Kind::Int,
            Kind::Text,
            Kind::Json,
            Kind::Time,
        ];
        let rows = self.db.fetch(q, &kinds).await?;
        rows.iter()
            .map(|r| {
                Ok(Change {
                    id: r.int(0)?,
                    roster_id: r.int(1)?,
                    version: r.int(2)?,
                    kind: r.text(3)?,
                    detail: r.json(4)?,
                    created_at: r.time(5)?,
                })
            })
            .collect()
    }

    /// The report of `version`, or of the nearest earlier version of its roster that has one.
    pub(super) async fn report_of(&self, version: i64) -> Result<Option<(i64, String)>> {
        let q = Query::new(
            "SELECT id, report FROM roster_versions \
             WHERE roster_id = (SELECT roster_id FROM roster_versions WHERE id = $1) \
               AND id <= $1 AND report IS NOT NULL ORDER BY id DESC LIMIT 1",
        )
        .int(version);
        let row = self.db.fetch_optional(q, &[Kind::Int, Kind::Text]).await?;
        row.map(|r| Ok((r.int(0)?, r.text(1)?))).transpose()
    }
}
