//! The append-only audit log: who did what to which thing, when, and what it was before and
//! after. Entries are written inside the transaction of the change they record; UPDATE and DELETE
//! on the table are refused by triggers on both backends.

use super::sql::{Kind, Query, Tx};
use super::{Actor, AuditEntry, AuditFilter, Result, SqlStore};
use serde_json::Value;

/// Records `action` on `target` inside `tx`.
pub(super) async fn record(
    tx: &mut dyn Tx,
    actor: &Actor,
    action: &str,
    target: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<()> {
    let q = Query::new(
        "INSERT INTO audit_log (at, actor, role, action, target, before, after) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .now()
    .text(&actor.label)
    .text(actor.role.to_string())
    .text(action)
    .text(target)
    .opt_json(before)?
    .opt_json(after)?;
    tx.execute(q).await?;
    Ok(())
}

const COLUMNS: [Kind; 8] = [
    Kind::Int,
    Kind::Time,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::Json,
    Kind::Json,
];

impl SqlStore {
    pub(super) async fn audit_log_page(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        let q = Query::new(
            "SELECT id, at, actor, role, action, target, before, after FROM audit_log \
             WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .int(after)
        .int(limit);
        self.audit_rows(q).await
    }

    /// The newest entries first, those before `filter.before` when given, matching the filter.
    pub(super) async fn audit_search(
        &self,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let mut sql = String::from(
            "SELECT id, at, actor, role, action, target, before, after FROM audit_log WHERE id < $1",
        );
        let mut n = 1;
        let mut next = |column: &str| {
            n += 1;
            format!(" AND {column} = ${n}")
        };
        let actor = filter.actor.as_ref().map(|a| (next("actor"), a));
        let action = filter.action.as_ref().map(|a| (next("action"), a));
        for (clause, _) in actor.iter().chain(action.iter()) {
            sql.push_str(clause);
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", n + 1));
        let mut q = Query::new(sql).int(filter.before.unwrap_or(i64::MAX));
        for (_, value) in actor.iter().chain(action.iter()) {
            q = q.text(value.as_str());
        }
        self.audit_rows(q.int(limit)).await
    }

    async fn audit_rows(&self, q: Query) -> Result<Vec<AuditEntry>> {
        let rows = self.db.fetch(q, &COLUMNS).await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.int(0)?,
                    at: r.time(1)?,
                    actor: r.text(2)?,
                    role: r.text(3)?,
                    action: r.text(4)?,
                    target: r.text(5)?,
                    before: r.opt_json(6)?,
                    after: r.opt_json(7)?,
                })
            })
            .collect()
    }
}
