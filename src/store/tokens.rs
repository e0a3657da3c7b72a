//! API tokens: only the SHA-256 of each is stored; revoking keeps the row, marked.

use super::sql::{Kind, Query};
use super::{Actor, Result, Role, SqlStore, TokenRecord, audit};

const COLUMNS: [Kind; 4] = [Kind::Int, Kind::Text, Kind::Text, Kind::Time];

fn record(r: &super::sql::Row) -> Result<TokenRecord> {
    Ok(TokenRecord {
        id: r.int(0)?,
        label: r.text(1)?,
        role: r.text(2)?,
        revoked: r.opt_time(3)?.is_some(),
    })
}

impl SqlStore {
    pub(super) async fn insert_token(&self, role: &Role, label: &str, hash: &str) -> Result<i64> {
        let q = Query::new(
            "INSERT INTO api_tokens (hash, role, label, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .text(hash)
        .text(role.to_string())
        .text(label)
        .now();
        self.db.fetch_one(q, &[Kind::Int]).await?.int(0)
    }

    pub(super) async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>> {
        let q = Query::new("SELECT id, label, role, revoked_at FROM api_tokens WHERE hash = $1")
            .text(hash);
        self.db
            .fetch_optional(q, &COLUMNS)
            .await?
            .as_ref()
            .map(record)
            .transpose()
    }

    pub(super) async fn all_tokens(&self) -> Result<Vec<TokenRecord>> {
        let q = Query::new("SELECT id, label, role, revoked_at FROM api_tokens ORDER BY id");
        self.db
            .fetch(q, &COLUMNS)
            .await?
            .iter()
            .map(record)
            .collect()
    }

    /// False when there is no such active token.
    pub(super) async fn revoke(&self, actor: &Actor, id: i64) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        let q = Query::new(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .now()
        .int(id);
        if tx.execute(q).await? == 0 {
            return Ok(false);
        }
        audit::record(
            &mut *tx,
            actor,
            "revoke token",
            &format!("token {id}"),
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
