//! Staffing: a forecast and the service targets become required agents per channel and interval.
//!
//! Live channels (voice, chat) go through the queueing engine interval by interval. Two ways to set
//! the load of an interval:
//!
//! - **Modified offered load (default)** — Green, Kolesar & Whitt (2007). The load an interval really
//!   carries is the expected number of contacts in service of the same system with unlimited agents,
//!   `m(t)`, which lags the arrival rate by the handle time: `m' = λ(t) − m/AHT`. With piecewise-constant
//!   arrivals it is solved exactly per interval and averaged over it. It costs nothing, equals the
//!   stationary load when demand is flat, and does not understaff the ramp of a promotion peak the
//!   way period-by-period staffing does (Green, Kolesar & Soares 2001).
//! - **SIPP** — stationary independent period-by-period: each interval's own `λ·AHT`.
//!
//! Shrinkage is applied after the queueing step: scheduled = ⌈required / (1 − shrinkage)⌉.
//! Email is a backlog staffed so that all of it is answered within its deadline, which meets any
//! share target ([`crate::queueing::backlog`] says why a lower share cannot lower the plan).
//!
//! For each live interval staffing also exposes the **service curve**: expected contacts answered
//! within target as a function of agents, the input of the roster optimizer's service mode
//! (Koole & van der Sluis 2003).

use crate::queueing::backlog::{self, BacklogError, BacklogInterval};
use crate::queueing::{Queue, QueueError, QueueMetrics, Seconds, StaffingTarget};
use crate::scenario::{Channel, ChannelId, ChannelKind, Scenario};
use crate::time_grid::TimeGrid;
use crate::volumes::GridVolumes;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// How the load of an interval is set for live channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LoadMethod {
    /// Modified offered load (Green, Kolesar & Whitt 2007).
    #[default]
    ModifiedOfferedLoad,
    /// Each interval on its own stationary load.
    Sipp,
}

impl LoadMethod {
    pub fn name(self) -> &'static str {
        match self {
            LoadMethod::ModifiedOfferedLoad => "modified-offered-load",
            LoadMethod::Sipp => "sipp",
        }
    }
}

/// What one channel needs in one interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntervalRequirement {
    pub start: DateTime<Utc>,
    pub open: bool,
    /// Forecast contacts arriving in the interval.
    pub volume: f64,
    pub aht_seconds: f64,
    /// Load staffed for, in Erlangs (modified offered load or `λ·AHT`).
    pub offered_load: f64,
    /// Agents on the channel (after the queueing step, before shrinkage); fractional for email.
    pub required_exact: f64,
    /// Agents on the channel, whole.
    pub required: u32,
    pub shrinkage: f64,
    /// Agents to schedule: required / (1 − shrinkage), rounded up.
    pub scheduled: u32,
    /// Queue metrics at `required` agents (voice, chat, open intervals).
    pub metrics: Option<QueueMetrics>,
    /// Email work waiting at the end of the interval, in agent-seconds.
    pub backlog_seconds: Option<f64>,
}

/// Requirements of one channel over the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelRequirements {
    pub channel: ChannelId,
    pub intervals: Vec<IntervalRequirement>,
}

/// Requirements of every channel, in scenario order.
#[derive(Debug, Clone, PartialEq)]
pub struct Requirements {
    pub method: LoadMethod,
    pub channels: Vec<ChannelRequirements>,
}

#[derive(Debug, thiserror::Error)]
pub enum StaffingError {
    // The queue's reason is part of this message (not a source), so a printed chain says it once.
    #[error("channel `{channel}` at {at}: {reason}")]
    Queue {
        channel: ChannelId,
        at: String,
        reason: QueueError,
    },
    #[error("channel `{channel}`: {message}")]
    Backlog { channel: ChannelId, message: String },
}

/// Modified offered load per interval for `m' = λ(t) − m/AHT` with piecewise-constant `λ` and `AHT`:
/// the interval average of `m`, starting from the stationary load of the first interval.
pub fn modified_offered_load(
    arrivals_per_second: &[f64],
    aht_seconds: &[f64],
    interval_seconds: f64,
) -> Vec<f64> {
    let mut m = match (arrivals_per_second.first(), aht_seconds.first()) {
        (Some(l), Some(a)) => l * a,
        _ => return Vec::new(),
    };
    arrivals_per_second
        .iter()
        .zip(aht_seconds)
        .map(|(&lambda, &aht)| {
            let stationary = lambda * aht;
            let decay = (-interval_seconds / aht).exp();
            // Average of m over the interval: stationary + (m0 − stationary)·(1 − e^{−Δ/AHT})·AHT/Δ.
            let mean = stationary + (m - stationary) * (1.0 - decay) * aht / interval_seconds;
            m = stationary + (m - stationary) * decay;
            mean
        })
        .collect()
}

fn aht_series(channel: &Channel, volumes: &GridVolumes, c: usize) -> Vec<f64> {
    volumes.aht[c]
        .iter()
        .map(|a| a.unwrap_or(channel.aht.get()))
        .collect()
}

fn scheduled(required_exact: f64, shrinkage: f64) -> u32 {
    (required_exact / (1.0 - shrinkage) - 1e-9).ceil().max(0.0) as u32
}

/// Required agents for every channel and interval of the scenario.
pub fn requirements(
    scenario: &Scenario,
    grid: &TimeGrid,
    volumes: &GridVolumes,
    method: LoadMethod,
) -> Result<Requirements, StaffingError> {
    let channels = scenario
        .channels
        .iter()
        .enumerate()
        .map(|(c, channel)| match channel.kind {
            ChannelKind::Email => email_requirements(channel, c, grid, volumes),
            _ => live_requirements(channel, c, grid, volumes, method),
        })
        .collect::<Result<_, _>>()?;
    Ok(Requirements { method, channels })
}

fn live_requirements(
    channel: &Channel,
    c: usize,
    grid: &TimeGrid,
    volumes: &GridVolumes,
    method: LoadMethod,
) -> Result<ChannelRequirements, StaffingError> {
    let dt = grid.length().seconds();
    let aht = aht_series(channel, volumes, c);
    let lambda: Vec<f64> = volumes.volume[c].iter().map(|v| v / dt).collect();
    let loads = match method {
        LoadMethod::ModifiedOfferedLoad => modified_offered_load(&lambda, &aht, dt),
        LoadMethod::Sipp => lambda.iter().zip(&aht).map(|(l, a)| l * a).collect(),
    };
    let model = channel
        .kind
        .queue_model()
        .expect("live channels have a queue model");
    let target = channel
        .target
        .staffing_target()
        .expect("live channels have an answered-within target");
    let intervals = (0..grid.len())
        .map(|i| {
            let clock = grid.local_clock(i);
            let shrinkage = channel.shrinkage.at(&clock);
            let open = volumes.open[c][i];
            let (required, metrics) = if open {
                let queue_error = |reason| StaffingError::Queue {
                    channel: channel.id.clone(),
                    at: crate::volumes::format_timestamp(grid.start_of(i), grid.time_zone()),
                    reason,
                };
                let aht_i = Seconds::new(aht[i]).map_err(queue_error)?;
                let queue = Queue::new(loads[i] / aht[i], aht_i, model).map_err(queue_error)?;
                let m = queue.required_agents(&target).map_err(queue_error)?;
                (m.agents, Some(m))
            } else {
                (0, None)
            };
            Ok(IntervalRequirement {
                start: grid.start_of(i),
                open,
                volume: volumes.volume[c][i],
                aht_seconds: aht[i],
                offered_load: loads[i],
                required_exact: f64::from(required),
                required,
                shrinkage,
                scheduled: scheduled(f64::from(required), shrinkage),
                metrics,
                backlog_seconds: None,
            })
        })
        .collect::<Result<_, StaffingError>>()?;
    Ok(ChannelRequirements {
        channel: channel.id.clone(),
        intervals,
    })
}

fn email_requirements(
    channel: &Channel,
    c: usize,
    grid: &TimeGrid,
    volumes: &GridVolumes,
) -> Result<ChannelRequirements, StaffingError> {
    let dt = grid.length().seconds();
    let aht = aht_series(channel, volumes, c);
    let work: Vec<BacklogInterval> = (0..grid.len())
        .map(|i| BacklogInterval {
            open: volumes.open[c][i],
            work_seconds: volumes.volume[c][i] * aht[i],
        })
        .collect();
    let plan = backlog::plan(&work, dt, channel.target.horizon().get()).map_err(|e| {
        let at = |i: usize| crate::volumes::format_timestamp(grid.start_of(i.min(grid.len())), grid.time_zone());
        StaffingError::Backlog {
            channel: channel.id.clone(),
            message: match e {
                BacklogError::NoOpenTime { arrival, .. } => format!(
                    "email arriving at {} cannot be answered within {}: the channel has no opening hours \
                     before that deadline; extend the opening hours or the deadline",
                    at(arrival),
                    channel.target.describe()
                ),
                other => other.to_string(),
            },
        }
    })?;
    let intervals = (0..grid.len())
        .map(|i| {
            let shrinkage = channel.shrinkage.at(&grid.local_clock(i));
            let exact = plan.agents[i];
            IntervalRequirement {
                start: grid.start_of(i),
                open: volumes.open[c][i],
                volume: volumes.volume[c][i],
                aht_seconds: aht[i],
                offered_load: volumes.volume[c][i] * aht[i] / dt,
                required_exact: exact,
                required: (exact - 1e-9).ceil().max(0.0) as u32,
                shrinkage,
                scheduled: scheduled(exact, shrinkage),
                metrics: None,
                backlog_seconds: Some(plan.backlog_seconds[i]),
            }
        })
        .collect();
    Ok(ChannelRequirements {
        channel: channel.id.clone(),
        intervals,
    })
}

/// One point of a service curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurvePoint {
    pub agents: u32,
    pub service_level: f64,
    /// Expected contacts answered within target: volume × service level.
    pub answered_in_time: f64,
    /// Expected contacts abandoning: volume × P(abandon) (an unstable queue loses them all).
    pub abandoned: f64,
    /// Busy agents on average: occupancy × agents (for chat, busy session slots over sessions
    /// per agent).
    pub busy: f64,
}

/// Expected contacts answered within target as a function of agents, for one live interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceCurve {
    pub points: Vec<CurvePoint>,
}

impl ServiceCurve {
    /// The curve for `from..=to` agents. An unstable queue (Erlang C at or below the load)
    /// answers a vanishing share in time, so it counts as zero.
    pub fn new(
        queue: &Queue,
        answer_within: Seconds,
        volume: f64,
        from: u32,
        to: u32,
    ) -> ServiceCurve {
        // One pass over the agents (`queueing::sweep`), not a chain solved per point.
        let points = crate::queueing::sweep::sweep(queue, answer_within, from, to)
            .into_iter()
            .zip(from..)
            .map(|(m, n)| {
                let (sl, ab, occupancy) = m.map_or((0.0, 1.0, 1.0), |m| {
                    (m.service_level, m.p_abandon, m.occupancy)
                });
                CurvePoint {
                    agents: n,
                    service_level: sl,
                    answered_in_time: volume * sl,
                    abandoned: volume * ab,
                    busy: occupancy * f64::from(n),
                }
            })
            .collect();
        ServiceCurve { points }
    }

    /// The fewest agents of the curve whose service level reaches `level`; one past the curve's
    /// end when none does.
    pub fn fewest_agents_for(&self, level: f64) -> u32 {
        self.points
            .iter()
            .find(|p| p.service_level >= level)
            .map_or_else(
                || self.points.last().map_or(0, |p| p.agents + 1),
                |p| p.agents,
            )
    }

    /// The least concave majorant of the answered-in-time contacts: what a linear program may use
    /// as a concave piecewise-linear service function. Returns the points that stay on the hull.
    pub fn concave_envelope(&self) -> Vec<CurvePoint> {
        hull(&self.points, |p| p.answered_in_time)
    }

    /// The greatest convex minorant of the abandoned contacts: a program bounding abandonment from
    /// below by its segments never asks more of a roster than the curve does.
    pub fn abandon_envelope(&self) -> Vec<CurvePoint> {
        hull(&self.points, |p| -p.abandoned)
    }
}

/// The upper hull of the points by `value`: the least concave majorant.
fn hull(points: &[CurvePoint], value: impl Fn(&CurvePoint) -> f64) -> Vec<CurvePoint> {
    let mut hull: Vec<CurvePoint> = Vec::new();
    for &p in points {
        while hull.len() >= 2 {
            let (a, b) = (hull[hull.len() - 2], hull[hull.len() - 1]);
            // Drop b when it lies on or below the chord from a to p.
            let cross = (f64::from(b.agents) - f64::from(a.agents)) * (value(&p) - value(&a))
                - (value(&b) - value(&a)) * (f64::from(p.agents) - f64::from(a.agents));
            if cross >= 0.0 {
                hull.pop();
            } else {
                break;
            }
        }
        hull.push(p);
    }
    hull
}

impl Requirements {
    /// The service curve of a live channel in interval `i`, from no agents up to 1.5 × the
    /// requirement + 3.
    pub fn service_curve(&self, scenario: &Scenario, c: usize, i: usize) -> Option<ServiceCurve> {
        self.service_curve_above(scenario, c, i, 0.0)
    }

    /// As [`Requirements::service_curve`], from the fewest agents whose service level reaches
    /// `floor`: the part a roster may use (below its floor an interval is short anyway).
    pub fn service_curve_above(
        &self,
        scenario: &Scenario,
        c: usize,
        i: usize,
        floor: f64,
    ) -> Option<ServiceCurve> {
        let queue = self.queue(scenario, c, i)?;
        let r = &self.channels[c].intervals[i];
        let max = (f64::from(r.required) * 1.5).ceil() as u32 + 3;
        let within = scenario.channels[c].target.horizon();
        let from = self
            .floor_agents(scenario, c, i, floor)
            .unwrap_or(0)
            .min(max);
        Some(ServiceCurve::new(&queue, within, r.volume, from, max))
    }

    /// The fewest agents on the phone whose service level in interval `i` reaches `floor`.
    pub fn floor_agents(&self, scenario: &Scenario, c: usize, i: usize, floor: f64) -> Option<u32> {
        let queue = self.queue(scenario, c, i)?;
        if floor <= 0.0 {
            return Some(0);
        }
        let target =
            StaffingTarget::new(scenario.channels[c].target.horizon(), floor, None, None).ok()?;
        queue.required_agents(&target).ok().map(|m| m.agents)
    }

    /// The queue a live channel faces in open interval `i`, at the load staffing used.
    pub fn queue(&self, scenario: &Scenario, c: usize, i: usize) -> Option<Queue> {
        let model = scenario.channels[c].kind.queue_model()?;
        let r = &self.channels[c].intervals[i];
        if !r.open {
            return None;
        }
        Queue::new(
            r.offered_load / r.aht_seconds,
            Seconds::new(r.aht_seconds).ok()?,
            model,
        )
        .ok()
    }

    /// Per channel and local day: volume, peak and scheduled hours, and the expected service.
    pub fn daily_summary(&self, scenario: &Scenario, grid: &TimeGrid) -> Vec<DailySummary> {
        let hours_per_interval = grid.length().seconds() / 3600.0;
        let mut out = Vec::new();
        for (c, ch) in self.channels.iter().enumerate() {
            let mut days: BTreeMap<NaiveDate, DailySummary> = BTreeMap::new();
            for (i, r) in ch.intervals.iter().enumerate() {
                let date = grid.local_clock(i).date;
                let d = days.entry(date).or_insert_with(|| DailySummary {
                    channel: ch.channel.clone(),
                    date,
                    volume: 0.0,
                    peak_required: 0,
                    peak_scheduled: 0,
                    scheduled_hours: 0.0,
                    service_level: None,
                    p_abandon: None,
                    target: scenario.channels[c].target.describe(),
                });
                d.volume += r.volume;
                d.peak_required = d.peak_required.max(r.required);
                d.peak_scheduled = d.peak_scheduled.max(r.scheduled);
                d.scheduled_hours += f64::from(r.scheduled) * hours_per_interval;
                if let Some(m) = r.metrics {
                    *d.service_level.get_or_insert(0.0) += m.service_level * r.volume;
                    *d.p_abandon.get_or_insert(0.0) += m.p_abandon * r.volume;
                }
            }
            for mut d in days.into_values() {
                if d.volume > 0.0 {
                    d.service_level = d.service_level.map(|s| s / d.volume);
                    d.p_abandon = d.p_abandon.map(|s| s / d.volume);
                } else {
                    d.service_level = None;
                    d.p_abandon = None;
                }
                out.push(d);
            }
        }
        out
    }
}

/// One channel on one local day.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DailySummary {
    #[schema(value_type = String)]
    pub channel: ChannelId,
    pub date: NaiveDate,
    pub volume: f64,
    /// The most agents taking contacts at once (on the phones), in any interval of the day.
    pub peak_required: u32,
    /// The most agents to schedule at once (after shrinkage), in any interval of the day.
    pub peak_scheduled: u32,
    pub scheduled_hours: f64,
    /// Volume-weighted expected service level at the required agents (live channels).
    pub service_level: Option<f64>,
    pub p_abandon: Option<f64>,
    pub target: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queueing::QueueModel;

    #[test]
    fn flat_demand_gives_the_stationary_load() {
        let lambda = vec![0.1; 10];
        let aht = vec![300.0; 10];
        for m in modified_offered_load(&lambda, &aht, 1800.0) {
            assert!((m - 30.0).abs() < 1e-12, "{m}");
        }
    }

    #[test]
    fn the_load_lags_a_step_in_demand() {
        // Demand doubles at interval 2; the load in service catches up within the interval.
        let lambda = [0.1, 0.1, 0.2, 0.2, 0.2];
        let aht = [600.0; 5];
        let m = modified_offered_load(&lambda, &aht, 900.0);
        assert!((m[1] - 60.0).abs() < 1e-12);
        // Average over the step interval: 120 − 60·(1 − e^{−1.5})·600/900.
        let want = 120.0 - 60.0 * (1.0 - (-1.5_f64).exp()) * 600.0 / 900.0;
        assert!((m[2] - want).abs() < 1e-9, "{} vs {want}", m[2]);
        assert!(m[2] < 120.0 && m[3] < 120.0 && m[3] > m[2]);
        // The load also lingers after demand falls.
        let down = modified_offered_load(&[0.2, 0.2, 0.0], &[600.0; 3], 900.0);
        assert!(down[2] > 0.0);
    }

    #[test]
    fn concave_envelope_is_concave_and_above() {
        let q = Queue::per_hour(360.0, Seconds::new(240.0).unwrap(), QueueModel::ErlangC).unwrap();
        let curve = ServiceCurve::new(&q, Seconds::new(20.0).unwrap(), 180.0, 0, 40);
        // Below the load the queue is unstable: nothing answered in time.
        assert_eq!(curve.points[24].answered_in_time, 0.0);
        assert!(curve.points[40].service_level > 0.99);
        let hull = curve.concave_envelope();
        for w in hull.windows(3) {
            let s1 = (w[1].answered_in_time - w[0].answered_in_time)
                / f64::from(w[1].agents - w[0].agents);
            let s2 = (w[2].answered_in_time - w[1].answered_in_time)
                / f64::from(w[2].agents - w[1].agents);
            assert!(s2 <= s1 + 1e-12);
        }
        assert_eq!(hull.first().unwrap().agents, 0);
        assert_eq!(hull.last().unwrap().agents, 40);
    }

    #[test]
    fn shrinkage_rounds_up() {
        assert_eq!(scheduled(28.0, 0.3), 40);
        assert_eq!(scheduled(7.0, 0.3), 10);
        assert_eq!(scheduled(0.0, 0.3), 0);
    }
}
