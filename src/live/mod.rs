//! The published roster in operation: what the routing layer reads, what each vendor is sent, and
//! what supervisors edit during the day.
//!
//! A [`LivePlan`] is self-contained: the demand per channel and interval the roster was built for
//! (volume, handle time, the load staffing used, shrinkage, the agents required), each channel's
//! queueing model and target, the named shifts with their breaks, and the vendor blocks with what
//! each vendor committed. Everything is on instants (UTC) so that "who is on shift at 14:05" is a
//! comparison, not a time-zone calculation. A [`LiveView`] adds the projection: agents scheduled per
//! interval and the service level the queueing engine projects for them — the same engine and
//! interpolation the roster evaluation uses ([`crate::roster::evaluate`]).

pub mod ack;
pub mod delta;
pub mod diff;
pub mod edit;
mod raw;
pub mod reforecast;

use crate::queueing::Queue;
use crate::queueing::backlog;
use crate::roster::Roster;
use crate::scenario::{ChannelKind, Scenario, ServiceTarget};
use crate::staffing::Requirements;
use crate::time_grid::{TimeGrid, WallClock, local_midnight};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Demand of one channel in one interval, as the roster was planned for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Demand {
    pub open: bool,
    /// Forecast contacts arriving in the interval.
    pub volume: f64,
    pub aht_seconds: f64,
    /// Load staffed for, in Erlangs.
    pub offered_load: f64,
    pub shrinkage: f64,
    /// Agents to have on shift (before shrinkage) to meet the target in this interval.
    pub required: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LiveChannel {
    pub id: String,
    pub kind: ChannelKind,
    pub target: ServiceTarget,
    /// One entry per interval of the plan.
    pub demand: Vec<Demand>,
    /// How the rest of a day follows its actuals so far, learned from the channel's history for
    /// actuals up to each whole hour (empty when the plan was made from a given forecast or too
    /// little history: the live re-forecast then uses the prior rule).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intraday_rules: Vec<crate::forecast::intraday::CutRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LiveAgent {
    pub id: String,
    pub name: String,
    pub group: String,
    /// Channel ids the agent may serve.
    pub channels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LiveVendor {
    pub id: String,
    pub name: String,
    /// Most heads the vendor can staff per channel id.
    pub max_heads: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Break {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub paid: bool,
}

/// One named agent's shift on one local day.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LiveShift {
    pub agent: String,
    pub date: NaiveDate,
    pub channel: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub breaks: Vec<Break>,
    /// Absent from this instant on (the whole shift when it is the start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absent_from: Option<DateTime<Utc>>,
    /// Added by a supervisor as overtime.
    #[serde(default)]
    pub overtime: bool,
}

impl LiveShift {
    /// The instant the agent stops working: the shift end, or the start of an absence.
    pub fn working_until(&self) -> DateTime<Utc> {
        self.absent_from.map_or(self.end, |a| a.min(self.end))
    }

    pub fn works_at(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.working_until()
    }

    pub fn on_break_at(&self, at: DateTime<Utc>) -> bool {
        self.breaks.iter().any(|b| b.start <= at && at < b.end)
    }
}

/// Heads bought from a vendor for one block.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LiveBlock {
    pub vendor: String,
    pub date: NaiveDate,
    pub channel: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Heads planned.
    pub heads: u32,
    /// Heads the vendor committed to when acknowledging; `None` until it does.
    #[serde(default)]
    pub committed: Option<u32>,
    /// Requested live by a supervisor (on top of the published plan).
    #[serde(default)]
    pub requested_live: bool,
}

impl LiveBlock {
    /// Heads counted on: what the vendor committed, or the plan while it has not answered.
    pub fn expected_heads(&self) -> u32 {
        self.committed.unwrap_or(self.heads)
    }
}

/// A roster as the routing layer, vendors and supervisors see it.
///
/// Read back (from plan.json or the store) it is checked whole ([`LivePlan::check`]): a demand
/// row per interval on every channel, shifts of known agents on known channels, blocks of known
/// vendors, times in order and inside the plan — so nothing downstream meets a broken plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "raw::LivePlan")]
pub struct LivePlan {
    pub name: String,
    /// IANA time zone of the plan's local days and clock times.
    #[schema(value_type = String, example = "Asia/Shanghai")]
    pub time_zone: Tz,
    pub interval_minutes: u32,
    /// Start of the first interval.
    pub start: DateTime<Utc>,
    pub intervals: usize,
    pub channels: Vec<LiveChannel>,
    pub agents: Vec<LiveAgent>,
    pub vendors: Vec<LiveVendor>,
    pub shifts: Vec<LiveShift>,
    pub blocks: Vec<LiveBlock>,
}

/// A time, given as local clock minutes after midnight of `date` (past 24:00 for the next day), as
/// an instant: the wall-clock time the agents are told, in the scenario's time zone.
pub fn instant(tz: Tz, date: NaiveDate, minute: u32) -> DateTime<Utc> {
    WallClock::at(tz, date, minute).instant()
}

impl LivePlan {
    /// The live form of a finished roster.
    pub fn from_roster(
        scenario: &Scenario,
        grid: &TimeGrid,
        requirements: &Requirements,
        roster: &Roster,
    ) -> LivePlan {
        let tz = scenario.time_zone;
        let channels = scenario
            .channels
            .iter()
            .zip(&requirements.channels)
            .map(|(ch, req)| LiveChannel {
                id: ch.id.to_string(),
                kind: ch.kind,
                target: ch.target,
                demand: req
                    .intervals
                    .iter()
                    .map(|r| Demand {
                        open: r.open,
                        volume: r.volume,
                        aht_seconds: r.aht_seconds,
                        offered_load: r.offered_load,
                        shrinkage: r.shrinkage,
                        required: r.scheduled,
                    })
                    .collect(),
                intraday_rules: Vec::new(),
            })
            .collect();
        let channel_id = |c: usize| scenario.channels[c].id.to_string();
        let agents = scenario
            .agents
            .iter()
            .map(|a| LiveAgent {
                id: a.id.clone(),
                name: a.name.clone(),
                group: a.group.clone(),
                channels: a.channels.iter().map(|&c| channel_id(c)).collect(),
            })
            .collect();
        let vendors = scenario
            .vendors
            .iter()
            .map(|v| LiveVendor {
                id: v.id.clone(),
                name: v.name.clone(),
                max_heads: v
                    .max_heads
                    .iter()
                    .map(|&(c, heads)| (channel_id(c), heads))
                    .collect(),
            })
            .collect();
        let mut shifts: Vec<LiveShift> = roster
            .shifts
            .iter()
            .map(|sh| LiveShift {
                agent: scenario.agents[sh.agent].id.clone(),
                date: sh.date,
                channel: channel_id(sh.channel),
                start: instant(tz, sh.date, sh.start),
                end: instant(tz, sh.date, sh.end),
                breaks: sh
                    .breaks
                    .iter()
                    .map(|&(at, minutes, paid)| Break {
                        start: instant(tz, sh.date, at),
                        end: instant(tz, sh.date, at + minutes),
                        paid,
                    })
                    .collect(),
                absent_from: None,
                overtime: false,
            })
            .collect();
        shifts.sort_by(|a, b| (a.start, &a.agent).cmp(&(b.start, &b.agent)));
        let mut blocks: Vec<LiveBlock> = roster
            .blocks
            .iter()
            .map(|b| LiveBlock {
                vendor: scenario.vendors[b.vendor].id.clone(),
                date: b.date,
                channel: channel_id(b.channel),
                start: instant(tz, b.date, b.start),
                end: instant(tz, b.date, b.end),
                heads: b.heads,
                committed: None,
                requested_live: false,
            })
            .collect();
        blocks.sort_by(|a, b| {
            (a.start, &a.vendor, &a.channel).cmp(&(b.start, &b.vendor, &b.channel))
        });
        LivePlan {
            name: scenario.name.clone(),
            time_zone: tz,
            interval_minutes: grid.length().minutes(),
            start: grid.start_of(0),
            intervals: grid.len(),
            channels,
            agents,
            vendors,
            shifts,
            blocks,
        }
    }

    pub fn tz(&self) -> Tz {
        self.time_zone
    }

    /// Every part of the plan agrees with the rest; the first disagreement, naming the field.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=1440).contains(&self.interval_minutes) || 1440 % self.interval_minutes != 0 {
            return Err(format!(
                "interval_minutes: expected a divisor of a day (5, 10, 15, 30, 60 …), got {}",
                self.interval_minutes
            ));
        }
        if self.intervals == 0 || self.intervals > 400 * 1440 {
            return Err(format!(
                "intervals: expected 1 to {} intervals, got {}",
                400 * 1440,
                self.intervals
            ));
        }
        let mut ids = std::collections::BTreeSet::new();
        for (c, ch) in self.channels.iter().enumerate() {
            if !ids.insert(ch.id.as_str()) {
                return Err(format!("channels[{c}].id: `{}` appears twice", ch.id));
            }
            if ch.demand.len() != self.intervals {
                return Err(format!(
                    "channels[{c}].demand: {} rows for {} intervals",
                    ch.demand.len(),
                    self.intervals
                ));
            }
            for (i, d) in ch.demand.iter().enumerate() {
                let finite = [d.volume, d.aht_seconds, d.offered_load, d.shrinkage]
                    .iter()
                    .all(|v| v.is_finite() && *v >= 0.0);
                if !finite || d.shrinkage >= 1.0 || (d.volume > 0.0 && d.aht_seconds <= 0.0) {
                    return Err(format!(
                        "channels[{c}].demand[{i}]: volume, handle time, load must be finite and \
                         not negative, shrinkage below 1"
                    ));
                }
            }
        }
        let mut agents = std::collections::BTreeSet::new();
        for (a, agent) in self.agents.iter().enumerate() {
            if !agents.insert(agent.id.as_str()) {
                return Err(format!("agents[{a}].id: `{}` appears twice", agent.id));
            }
            if let Some(c) = agent.channels.iter().find(|c| !ids.contains(c.as_str())) {
                return Err(format!("agents[{a}].channels: unknown channel `{c}`"));
            }
        }
        let vendors: std::collections::BTreeSet<&str> =
            self.vendors.iter().map(|v| v.id.as_str()).collect();
        if vendors.len() != self.vendors.len() {
            return Err("vendors: a vendor id appears twice".into());
        }
        let (start, end) = (self.start, self.end());
        let inside = |a: DateTime<Utc>, b: DateTime<Utc>| {
            start <= a && a < b && b <= end + Duration::days(2)
        };
        for (k, sh) in self.shifts.iter().enumerate() {
            if !agents.contains(sh.agent.as_str()) {
                return Err(format!("shifts[{k}].agent: unknown agent `{}`", sh.agent));
            }
            if !ids.contains(sh.channel.as_str()) {
                return Err(format!(
                    "shifts[{k}].channel: unknown channel `{}`",
                    sh.channel
                ));
            }
            if !inside(sh.start, sh.end) {
                return Err(format!(
                    "shifts[{k}]: start and end must be in order and inside the plan"
                ));
            }
            if let Some(b) = sh
                .breaks
                .iter()
                .position(|b| !(sh.start <= b.start && b.start < b.end && b.end <= sh.end))
            {
                return Err(format!(
                    "shifts[{k}].breaks[{b}]: a break must lie inside its shift"
                ));
            }
        }
        for (k, b) in self.blocks.iter().enumerate() {
            if !vendors.contains(b.vendor.as_str()) {
                return Err(format!("blocks[{k}].vendor: unknown vendor `{}`", b.vendor));
            }
            if !ids.contains(b.channel.as_str()) {
                return Err(format!(
                    "blocks[{k}].channel: unknown channel `{}`",
                    b.channel
                ));
            }
            if !inside(b.start, b.end) {
                return Err(format!(
                    "blocks[{k}]: start and end must be in order and inside the plan"
                ));
            }
        }
        Ok(())
    }

    pub fn interval_length(&self) -> Duration {
        Duration::minutes(i64::from(self.interval_minutes))
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.start + self.interval_length() * self.intervals as i32
    }

    pub fn interval_start(&self, i: usize) -> DateTime<Utc> {
        self.start + self.interval_length() * i as i32
    }

    /// The interval holding `at`, if the plan covers it.
    pub fn interval_at(&self, at: DateTime<Utc>) -> Option<usize> {
        if at < self.start || at >= self.end() {
            return None;
        }
        let minutes = (at - self.start).num_minutes();
        Some((minutes / i64::from(self.interval_minutes)) as usize)
    }

    pub fn channel_index(&self, id: &str) -> Option<usize> {
        self.channels.iter().position(|c| c.id == id)
    }

    pub fn first_day(&self) -> NaiveDate {
        self.start.with_timezone(&self.tz()).date_naive()
    }

    pub fn last_day(&self) -> NaiveDate {
        (self.end() - Duration::seconds(1))
            .with_timezone(&self.tz())
            .date_naive()
    }

    /// `date` is a day of the plan; else the error names `field` and the plan's days.
    pub fn check_date(&self, field: &str, date: NaiveDate) -> Result<(), edit::EditError> {
        if date < self.first_day() || date > self.last_day() {
            return edit::fail(
                field,
                format!(
                    "{date} is outside the plan ({} to {})",
                    self.first_day(),
                    self.last_day()
                ),
            );
        }
        Ok(())
    }

    /// Intervals whose start falls on local day `date`.
    pub fn day_intervals(&self, date: NaiveDate) -> std::ops::Range<usize> {
        let tz = self.tz();
        let from = local_midnight(tz, date);
        let to = local_midnight(tz, date + Duration::days(1));
        let index = |t: DateTime<Utc>| {
            if t <= self.start {
                0
            } else {
                (((t - self.start).num_minutes() + i64::from(self.interval_minutes) - 1)
                    / i64::from(self.interval_minutes))
                .min(self.intervals as i64) as usize
            }
        };
        index(from)..index(to)
    }

    /// Adds `weight` to each interval by the share of it that [from, to) covers.
    fn spread(&self, row: &mut [f64], from: DateTime<Utc>, to: DateTime<Utc>, weight: f64) {
        if to <= from {
            return;
        }
        let len = self.interval_length().num_seconds() as f64;
        let first = self
            .interval_at(from.max(self.start))
            .unwrap_or(self.intervals);
        for (i, cell) in row.iter_mut().enumerate().skip(first) {
            let a = self.interval_start(i);
            if a >= to {
                break;
            }
            let b = a + self.interval_length();
            let overlap = (to.min(b) - from.max(a)).num_seconds().max(0) as f64;
            *cell += weight * overlap / len;
        }
    }

    /// The plan with its projection.
    pub fn view(self) -> LiveView {
        LiveView::new(self)
    }
}

/// One channel in one interval, projected.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Projection {
    /// Core agents on shift (breaks and absences taken out), fractional where a shift or break
    /// covers part of the interval.
    pub core: f64,
    /// Vendor heads expected (committed, or planned where not yet acknowledged).
    pub elastic: f64,
    pub service_level: Option<f64>,
    pub abandon_rate: Option<f64>,
}

/// Tells long work that whoever asked for it has gone (a request that timed out): the work stops
/// at its next check instead of running on.
#[derive(Debug, Clone, Default)]
pub struct Cancel(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }
}

/// The work was cancelled before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the work was cancelled: its caller is gone")]
pub struct Cancelled;

/// A live plan with agents per interval and the service the queueing engine projects for them.
#[derive(Debug, Clone)]
pub struct LiveView {
    pub plan: LivePlan,
    /// Per channel, per interval.
    pub projection: Vec<Vec<Projection>>,
}

/// The service of one channel over part of a day.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ServiceSummary {
    pub channel: String,
    pub date: NaiveDate,
    pub from: DateTime<Utc>,
    pub volume: f64,
    /// Volume-weighted projected service level; `None` when nothing arrives.
    pub service_level: Option<f64>,
    pub target: f64,
    /// Open intervals whose projected service is below the target.
    pub intervals_below_target: usize,
}

impl LiveView {
    pub fn new(plan: LivePlan) -> LiveView {
        let never = Cancel::default();
        let projection = (0..plan.channels.len())
            .map(|c| project_channel(&plan, c, None, &never).expect("never cancelled"))
            .collect();
        LiveView { plan, projection }
    }

    /// The view of `plan`, an edit of this view's plan that changed only `channels`: the other
    /// channels' projections are kept.
    pub fn updated(&self, plan: LivePlan, channels: &[String]) -> LiveView {
        self.updated_unless(plan, channels, &Cancel::default())
            .expect("never cancelled")
    }

    /// As [`LiveView::updated`], stopping when `cancel` is set.
    pub fn updated_unless(
        &self,
        plan: LivePlan,
        channels: &[String],
        cancel: &Cancel,
    ) -> Result<LiveView, Cancelled> {
        let projection = plan
            .channels
            .iter()
            .enumerate()
            .map(|(c, ch)| {
                let old = self
                    .plan
                    .channels
                    .get(c)
                    // Same channel, model, target and demand: only agents can differ.
                    .filter(|old| *old == ch)
                    .map(|_| self.projection[c].as_slice());
                match old {
                    Some(old) if !channels.contains(&ch.id) => Ok(old.to_vec()),
                    // Intervals whose agents did not change keep their projected service.
                    _ => project_channel(&plan, c, old, cancel),
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(LiveView { plan, projection })
    }

    /// Volume-weighted service of channel `c` from interval `from` to the end of its local day.
    pub fn rest_of_day(&self, c: usize, from: usize) -> ServiceSummary {
        let plan = &self.plan;
        let ch = &plan.channels[c];
        let at = plan.interval_start(from.min(plan.intervals.saturating_sub(1)));
        let date = at.with_timezone(&plan.tz()).date_naive();
        let day = plan.day_intervals(date);
        let (mut volume, mut judged, mut in_time, mut below) = (0.0, 0.0, 0.0, 0);
        for i in from.max(day.start)..day.end {
            let d = &ch.demand[i];
            volume += d.volume;
            if let Some(sl) = self.projection[c][i].service_level {
                judged += d.volume;
                in_time += sl * d.volume;
                if d.open && sl + 1e-9 < ch.target.share() {
                    below += 1;
                }
            }
        }
        ServiceSummary {
            channel: ch.id.clone(),
            date,
            from: at,
            volume,
            service_level: (judged > 0.0).then(|| in_time / judged),
            target: ch.target.share(),
            intervals_below_target: below,
        }
    }
}

/// Agents per interval on channel `c` and the service they give. With `before`, the projection of
/// the same channel and demand before an edit, the queueing engine runs only for the intervals
/// whose agents changed.
fn project_channel(
    plan: &LivePlan,
    c: usize,
    before: Option<&[Projection]>,
    cancel: &Cancel,
) -> Result<Vec<Projection>, Cancelled> {
    let n = plan.intervals;
    let ch = &plan.channels[c];
    let mut core = vec![0.0; n];
    let mut elastic = vec![0.0; n];
    for sh in plan.shifts.iter().filter(|s| s.channel == ch.id) {
        let until = sh.working_until();
        plan.spread(&mut core, sh.start, until, 1.0);
        for b in &sh.breaks {
            plan.spread(&mut core, b.start, b.end.min(until), -1.0);
        }
    }
    for b in plan.blocks.iter().filter(|b| b.channel == ch.id) {
        plan.spread(&mut elastic, b.start, b.end, f64::from(b.expected_heads()));
    }
    let effective: Vec<f64> = (0..n)
        .map(|i| ((core[i] + elastic[i]) * (1.0 - ch.demand[i].shrinkage)).max(0.0))
        .collect();
    let within = ch.target.horizon();
    let mut service = vec![None; n];
    let mut abandon = vec![None; n];
    if matches!(ch.kind, ChannelKind::Email) {
        let work: Vec<f64> = ch.demand.iter().map(|d| d.volume * d.aht_seconds).collect();
        let open: Vec<bool> = ch.demand.iter().map(|d| d.open).collect();
        let dt = plan.interval_length().num_seconds() as f64;
        service = backlog::in_time(&work, &open, &effective, dt, within.get());
    } else if let Some(model) = ch.kind.queue_model() {
        for (i, d) in ch.demand.iter().enumerate() {
            if let Some(old) = before.and_then(|b| b.get(i))
                && old.core == core[i]
                && old.elastic == elastic[i]
            {
                service[i] = old.service_level;
                abandon[i] = old.abandon_rate;
                continue;
            }
            cancel.check()?;
            if !d.open || d.volume <= 0.0 || d.aht_seconds <= 0.0 {
                continue;
            }
            let Ok(aht) = crate::queueing::Seconds::new(d.aht_seconds) else {
                continue;
            };
            if let Ok(queue) = Queue::new(d.offered_load / d.aht_seconds, aht, model) {
                let at = queue.service_at(within, effective[i]);
                service[i] = Some(at.service_level);
                abandon[i] = Some(at.p_abandon);
            }
        }
    }
    Ok((0..n)
        .map(|i| Projection {
            core: core[i],
            elastic: elastic[i],
            service_level: service[i],
            abandon_rate: abandon[i],
        })
        .collect())
}

#[cfg(test)]
mod tests;
