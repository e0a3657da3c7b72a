//! Background jobs: queued, claimed by exactly one worker (a row lock where several instances
//! claim at once), kept alive by a heartbeat, taken over when the heartbeat stops, handed back
//! when a worker stops gracefully.

use super::sql::{Kind, Query, Row};
use super::{Actor, Job, JobStatus, Result, SqlStore};
use serde_json::Value;

const COLUMNS: &str =
    "id, kind, params, status, progress, result, error, worker, attempts, created_at, created_by";
const KINDS: [Kind; 11] = [
    Kind::Int,
    Kind::Text,
    Kind::Json,
    Kind::Text,
    Kind::Text,
    Kind::Json,
    Kind::Text,
    Kind::Text,
    Kind::Int,
    Kind::Time,
    Kind::Text,
];

fn job(r: &Row) -> Result<Job> {
    Ok(Job {
        id: r.int(0)?,
        kind: r.text(1)?,
        params: r.json(2)?,
        status: JobStatus::parse(&r.text(3)?),
        progress: r.text(4)?,
        result: r.opt_json(5)?,
        error: r.opt_text(6)?,
        worker: r.opt_text(7)?,
        attempts: r.int(8)?,
        created_at: r.time(9)?,
        created_by: r.text(10)?,
    })
}

impl SqlStore {
    pub(super) async fn enqueue(&self, actor: &Actor, kind: &str, params: &Value) -> Result<i64> {
        let q = Query::new(
            "INSERT INTO jobs (kind, params, status, created_at, created_by) \
             VALUES ($1, $2, 'queued', $3, $4) RETURNING id",
        )
        .text(kind)
        .json(params)?
        .now()
        .text(&actor.label);
        self.db.fetch_one(q, &[Kind::Int]).await?.int(0)
    }

    /// The oldest queued job, or a running one whose worker stopped beating for `stale_ms`.
    pub(super) async fn claim(
        &self,
        worker: &str,
        now_ms: i64,
        stale_ms: i64,
    ) -> Result<Option<Job>> {
        let q = Query::new(format!(
            "UPDATE jobs SET status = 'running', worker = $1, heartbeat_ms = $2, \
             attempts = attempts + 1 \
             WHERE id = (SELECT id FROM jobs WHERE status = 'queued' \
                         OR (status = 'running' AND heartbeat_ms < $3) \
                         ORDER BY id{} LIMIT 1) \
             RETURNING {COLUMNS}",
            self.db.claim_lock()
        ))
        .text(worker)
        .int(now_ms)
        .int(now_ms - stale_ms);
        let row = self.db.fetch_optional(q, &KINDS).await?;
        row.as_ref().map(job).transpose()
    }

    pub(super) async fn beat(
        &self,
        id: i64,
        worker: &str,
        progress: &str,
        now_ms: i64,
    ) -> Result<()> {
        let q = Query::new(
            "UPDATE jobs SET progress = $1, heartbeat_ms = $2 \
             WHERE id = $3 AND worker = $4 AND status = 'running'",
        )
        .text(progress)
        .int(now_ms)
        .int(id)
        .text(worker);
        self.db.execute(q).await?;
        Ok(())
    }

    /// Records the outcome, if `worker` still owns the job.
    pub(super) async fn finish(
        &self,
        id: i64,
        worker: &str,
        outcome: std::result::Result<Value, String>,
    ) -> Result<()> {
        let (status, result, error) = match outcome {
            Ok(v) => ("done", Some(v), None),
            Err(e) => ("failed", None, Some(e)),
        };
        let q = Query::new(
            "UPDATE jobs SET status = $1, result = $2, error = $3, progress = '' \
             WHERE id = $4 AND worker = $5 AND status = 'running'",
        )
        .text(status)
        .opt_json(result.as_ref())?
        .opt_text(error)
        .int(id)
        .text(worker);
        self.db.execute(q).await?;
        Ok(())
    }

    pub(super) async fn release(&self, worker: &str) -> Result<u64> {
        let q = Query::new(
            "UPDATE jobs SET status = 'queued', worker = NULL, heartbeat_ms = NULL \
             WHERE worker = $1 AND status = 'running'",
        )
        .text(worker);
        self.db.execute(q).await
    }

    pub(super) async fn recent(&self, limit: i64) -> Result<Vec<Job>> {
        let q = Query::new(format!(
            "SELECT {COLUMNS} FROM jobs ORDER BY id DESC LIMIT $1"
        ))
        .int(limit);
        let rows = self.db.fetch(q, &KINDS).await?;
        rows.iter().map(job).collect()
    }

    pub(super) async fn job_by_id(&self, id: i64) -> Result<Option<Job>> {
        let q = Query::new(format!("SELECT {COLUMNS} FROM jobs WHERE id = $1")).int(id);
        let row = self.db.fetch_optional(q, &KINDS).await?;
        row.as_ref().map(job).transpose()
    }
}
