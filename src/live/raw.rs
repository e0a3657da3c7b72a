//! A live plan as read, before [`super::LivePlan::check`] accepts it.

use super::{LiveAgent, LiveBlock, LiveChannel, LiveShift, LiveVendor};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LivePlan {
    name: String,
    time_zone: Tz,
    interval_minutes: u32,
    start: DateTime<Utc>,
    intervals: usize,
    channels: Vec<LiveChannel>,
    agents: Vec<LiveAgent>,
    vendors: Vec<LiveVendor>,
    shifts: Vec<LiveShift>,
    blocks: Vec<LiveBlock>,
}

impl TryFrom<LivePlan> for super::LivePlan {
    type Error = String;

    fn try_from(raw: LivePlan) -> Result<super::LivePlan, String> {
        let plan = super::LivePlan {
            name: raw.name,
            time_zone: raw.time_zone,
            interval_minutes: raw.interval_minutes,
            start: raw.start,
            intervals: raw.intervals,
            channels: raw.channels,
            agents: raw.agents,
            vendors: raw.vendors,
            shifts: raw.shifts,
            blocks: raw.blocks,
        };
        plan.check()?;
        Ok(plan)
    }
}
