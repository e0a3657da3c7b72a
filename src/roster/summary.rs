//! summary.json: what a roster costs, how it was solved, and the service it projects per channel
//! and day — written by `schedule`, stored with every roster version.

use super::Roster;
use super::evaluate::Split;
use crate::scenario::Scenario;
use serde_json::{Map, Value, json};

fn round2(v: f64) -> Value {
    json!((v * 100.0).round() / 100.0)
}

fn split_json(split: &Split) -> Value {
    let mut m = Map::new();
    m.insert("core".into(), round2(split.core));
    m.insert("overtime".into(), round2(split.overtime));
    for (id, v) in &split.vendors {
        m.insert(id.clone(), round2(*v));
    }
    m.insert("total".into(), round2(split.total()));
    Value::Object(m)
}

fn agents_rostered(roster: &Roster) -> usize {
    let mut a: Vec<usize> = roster.shifts.iter().map(|s| s.agent).collect();
    a.sort_unstable();
    a.dedup();
    a.len()
}

/// summary.json.
pub fn summary_json(scenario: &Scenario, forecast: &str, roster: &Roster) -> Value {
    let e = &roster.evaluation;
    let service: Vec<Value> = e
        .days
        .iter()
        .map(|d| {
            json!({
                "channel": d.channel,
                "date": d.date,
                "volume": (d.volume * 10.0).round() / 10.0,
                "projected_service_level": d.projected_service_level.map(|v| (v * 10000.0).round() / 10000.0),
                "projected_abandon_rate": d.projected_abandon_rate.map(|v| (v * 10000.0).round() / 10000.0),
                "target": d.target,
                "meets_target": d.projected_service_level.map(|v| v + 1e-9 >= d.target),
                "core_hours": (d.core_hours * 100.0).round() / 100.0,
                "elastic_hours": (d.elastic_hours * 100.0).round() / 100.0,
            })
        })
        .collect();
    json!({
        "scenario": scenario.name,
        "forecast": forecast,
        "mode": roster.mode.name(),
        "status": roster.solve.status,
        "cost_total": round2(e.cost.total()),
        "cost": split_json(&e.cost),
        "paid_hours": split_json(&e.hours),
        "penalty": round2(e.penalty),
        "objective": round2(e.objective),
        "lower_bound": round2(e.lower_bound),
        "gap": (e.gap * 1e6).round() / 1e6,
        "solve_seconds": (roster.solve.seconds * 100.0).round() / 100.0,
        "solver": {
            "objective": round2(roster.solve.objective),
            "columns": roster.solve.columns,
            "integer_columns": roster.solve.integer_columns,
            "rows": roster.solve.rows,
            "phases": roster.solve.phases,
        },
        "shifts": roster.shifts.len(),
        "agents_rostered": agents_rostered(roster),
        "vendor_blocks": roster.blocks.len(),
        "unassigned_shifts": roster.unassigned,
        "rule_violations": e.violations,
        "service": service,
    })
}
