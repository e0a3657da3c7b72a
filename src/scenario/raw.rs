//! The scenario file as written: serde structs that mirror the TOML one to one and refuse unknown
//! keys. Nothing here is validated beyond types; `scenario::channel` turns them into domain types.

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: Spanned<String>,
    pub time_zone: Spanned<String>,
    pub interval_minutes: Spanned<u32>,
    pub horizon: Spanned<Horizon>,
    pub history: Option<Spanned<String>>,
    pub holidays: Option<Spanned<Vec<toml::value::Datetime>>>,
    pub quiet_holidays: Option<Spanned<Vec<toml::value::Datetime>>>,
    pub quiet_factor: Option<Spanned<f64>>,
    pub after_holiday_factor: Option<Spanned<f64>>,
    pub channels: Vec<Spanned<Channel>>,
    #[serde(default)]
    pub events: Vec<Spanned<Event>>,
    pub plan_date: Option<Spanned<toml::value::Datetime>>,
    pub currency: Option<Spanned<String>>,
    #[serde(default)]
    pub shift_templates: Vec<Spanned<ShiftTemplate>>,
    #[serde(default)]
    pub agents: Vec<Spanned<AgentGroup>>,
    #[serde(default)]
    pub vendors: Vec<Spanned<Vendor>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftTemplate {
    pub id: String,
    pub length: String,
    pub earliest_start: String,
    pub latest_start: String,
    pub start_step_minutes: u32,
    pub channels: Option<Vec<String>>,
    #[serde(default)]
    pub breaks: Vec<BreakRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakRule {
    pub minutes: u32,
    pub paid: bool,
    pub after: String,
    pub before: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentGroup {
    pub id: String,
    pub name: Option<String>,
    pub count: Option<u32>,
    pub channels: Vec<String>,
    pub templates: Vec<String>,
    pub cost_per_hour: f64,
    pub contract: Contract,
    pub overtime: Option<Overtime>,
    #[serde(default)]
    pub unavailable: Vec<Unavailable>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    pub min_hours_week: f64,
    pub max_hours_week: f64,
    pub max_shifts_week: u32,
    pub max_consecutive_days: u32,
    pub min_rest_hours: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overtime {
    pub hours_week: f64,
    pub cost_factor: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unavailable {
    #[serde(default)]
    pub dates: Vec<toml::value::Datetime>,
    #[serde(default)]
    pub weekdays: Vec<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vendor {
    pub id: String,
    pub name: Option<String>,
    pub max_heads: BTreeMap<String, u32>,
    pub min_block_hours: f64,
    pub start_step_minutes: u32,
    pub cost_per_hour: f64,
    #[serde(default)]
    pub fixed_cost_per_block: f64,
    #[serde(default)]
    pub notice_hours: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub name: String,
    pub tag: String,
    pub start: toml::value::Datetime,
    pub end: toml::value::Datetime,
    #[serde(default)]
    pub days_before: u32,
    #[serde(default)]
    pub days_after: u32,
    #[serde(default)]
    pub multiplier: BTreeMap<String, f64>,
    #[serde(default)]
    pub multiplier_before: BTreeMap<String, f64>,
    #[serde(default)]
    pub multiplier_after: BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Horizon {
    pub start: Spanned<toml::value::Datetime>,
    pub end: Spanned<toml::value::Datetime>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    pub id: String,
    pub kind: String,
    pub aht_seconds: f64,
    pub patience_seconds: Option<f64>,
    pub max_concurrency: Option<i64>,
    pub concurrency_slowdown: Option<f64>,
    pub opening_hours: OpeningHours,
    pub shrinkage: Shrinkage,
    pub service_target: ServiceTarget,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeningHours {
    pub daily: Option<String>,
    pub mon: Option<String>,
    pub tue: Option<String>,
    pub wed: Option<String>,
    pub thu: Option<String>,
    pub fri: Option<String>,
    pub sat: Option<String>,
    pub sun: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceTarget {
    pub share: f64,
    pub answered_within_seconds: Option<f64>,
    pub answered_within_hours: Option<f64>,
    pub max_abandon: Option<f64>,
    pub max_occupancy: Option<f64>,
}

/// `shrinkage = 0.3`, or a table with a default, per-weekday values and time windows.
#[derive(Debug)]
pub enum Shrinkage {
    Flat(f64),
    Detailed(DetailedShrinkage),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailedShrinkage {
    pub default: f64,
    #[serde(default)]
    pub weekday: BTreeMap<String, f64>,
    #[serde(default)]
    pub windows: Vec<ShrinkageWindow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShrinkageWindow {
    #[serde(default)]
    pub days: Vec<String>,
    pub from: String,
    pub to: String,
    pub value: f64,
}

impl<'de> Deserialize<'de> for Shrinkage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ShrinkageVisitor;
        impl<'de> Visitor<'de> for ShrinkageVisitor {
            type Value = Shrinkage;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a share such as 0.3, or a table { default = 0.3, weekday = { sat = 0.25 }, windows = [...] }")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Shrinkage, E> {
                Ok(Shrinkage::Flat(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Shrinkage, E> {
                Ok(Shrinkage::Flat(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Shrinkage, E> {
                Ok(Shrinkage::Flat(v as f64))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Shrinkage, A::Error> {
                DetailedShrinkage::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Shrinkage::Detailed)
            }
        }
        deserializer.deserialize_any(ShrinkageVisitor)
    }
}
