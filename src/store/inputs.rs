//! What plans are made from: scenarios (TOML as written), volume histories and forecasts (CSV as
//! uploaded or written by the forecaster).

use super::sql::{Kind, Query, Tx};
use super::{Actor, Result, ScenarioInfo, SqlStore, StoredVolumes, audit};
use serde_json::json;

/// Stores a scenario inside `tx`.
pub(super) async fn insert_scenario(
    tx: &mut dyn Tx,
    actor: &Actor,
    name: &str,
    body: &str,
) -> Result<i64> {
    let q = Query::new(
        "INSERT INTO scenarios (name, body, created_at, created_by) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .text(name)
    .text(body)
    .now()
    .text(&actor.label);
    let id = tx.fetch_one(q, &[Kind::Int]).await?.int(0)?;
    let after = json!({ "name": name });
    audit::record(
        tx,
        actor,
        "store scenario",
        &format!("scenario {id}"),
        None,
        Some(&after),
    )
    .await?;
    Ok(id)
}

/// Which table a stored volume file lives in.
#[derive(Debug, Clone, Copy)]
pub(super) enum Volumes {
    Histories,
    Forecasts,
}

impl Volumes {
    fn table(self) -> &'static str {
        match self {
            Volumes::Histories => "histories",
            Volumes::Forecasts => "forecasts",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Volumes::Histories => "history",
            Volumes::Forecasts => "forecast",
        }
    }
}

/// Stores a history or a forecast inside `tx` (audited with its size, not its content).
pub(super) async fn insert_volumes(
    tx: &mut dyn Tx,
    actor: &Actor,
    kind: Volumes,
    scenario_id: Option<i64>,
    origin: &str,
    csv: &str,
) -> Result<i64> {
    let q = Query::new(format!(
        "INSERT INTO {} (scenario_id, origin, body, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        kind.table()
    ))
    .opt_int(scenario_id)
    .text(origin)
    .text(csv)
    .now()
    .text(&actor.label);
    let id = tx.fetch_one(q, &[Kind::Int]).await?.int(0)?;
    let after = json!({ "scenario": scenario_id, "origin": origin, "bytes": csv.len() });
    let target = format!("{} {id}", kind.noun());
    audit::record(
        tx,
        actor,
        &format!("store {}", kind.noun()),
        &target,
        None,
        Some(&after),
    )
    .await?;
    Ok(id)
}

impl SqlStore {
    pub(super) async fn list_scenarios(&self) -> Result<Vec<ScenarioInfo>> {
        let q = Query::new("SELECT id, name, created_at, created_by FROM scenarios ORDER BY id");
        let rows = self
            .db
            .fetch(q, &[Kind::Int, Kind::Text, Kind::Time, Kind::Text])
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ScenarioInfo {
                    id: r.int(0)?,
                    name: r.text(1)?,
                    created_at: r.time(2)?,
                    created_by: r.text(3)?,
                })
            })
            .collect()
    }

    pub(super) async fn scenario_with_body(
        &self,
        id: i64,
    ) -> Result<Option<(ScenarioInfo, String)>> {
        let q = Query::new(
            "SELECT id, name, created_at, created_by, body FROM scenarios WHERE id = $1",
        )
        .int(id);
        let kinds = [Kind::Int, Kind::Text, Kind::Time, Kind::Text, Kind::Text];
        let Some(r) = self.db.fetch_optional(q, &kinds).await? else {
            return Ok(None);
        };
        let info = ScenarioInfo {
            id: r.int(0)?,
            name: r.text(1)?,
            created_at: r.time(2)?,
            created_by: r.text(3)?,
        };
        Ok(Some((info, r.text(4)?)))
    }

    pub(super) async fn volumes(&self, kind: Volumes, id: i64) -> Result<Option<StoredVolumes>> {
        let q = Query::new(format!(
            "SELECT scenario_id, origin, body FROM {} WHERE id = $1",
            kind.table()
        ))
        .int(id);
        let Some(r) = self
            .db
            .fetch_optional(q, &[Kind::Int, Kind::Text, Kind::Text])
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(StoredVolumes {
            id,
            scenario: r.opt_int(0)?,
            origin: r.text(1)?,
            csv: r.text(2)?,
        }))
    }
}
