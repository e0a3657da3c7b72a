//! Terminal tables and number formats shared by the commands.

use comfy_table::{CellAlignment, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

/// A table with a header; columns after the first are right-aligned.
pub fn new(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    for i in 1..header.len() {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

pub use crate::figures::{percent as pct, thousands};

pub fn pct_ci(mean: f64, ci: Option<f64>) -> String {
    match ci {
        Some(h) => format!("{:.1}% ±{:.1}", mean * 100.0, h * 100.0),
        None => pct(mean),
    }
}

pub fn opt_pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), pct)
}

/// A projected figure against its cap: `4.1% ≤ 5%`, or `5.3% > 5% over` when it breaks it.
pub fn against_cap(value: Option<f64>, cap: Option<f64>) -> String {
    match (value, cap) {
        (None, _) => "–".to_string(),
        (Some(v), None) => pct(v),
        (Some(v), Some(c)) if v <= c + 1e-9 => format!("{} ≤ {}", pct(v), pct(c)),
        (Some(v), Some(c)) => format!("{} > {} over", pct(v), pct(c)),
    }
}

/// A two-column table of labelled values, without a header.
pub fn pairs(rows: Vec<(String, String)>) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    for (k, v) in rows {
        t.add_row(vec![k, v]);
    }
    if let Some(c) = t.column_mut(1) {
        c.set_cell_alignment(CellAlignment::Right);
    }
    t
}
