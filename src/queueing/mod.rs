//! The queueing engine: how many agents a stream of contacts needs, and what service a given number
//! of agents gives.
//!
//! - [`erlang`]: Erlang B and Erlang C (M/M/N), computed from the Erlang B recursion so that nothing
//!   overflows for 20,000 agents and 20,000 Erlangs.
//! - [`birth_death`]: the exact stationary birth–death chain behind Erlang A (M/M/N+M, Palm; Garnett,
//!   Mandelbaum & Reiman 2002) and chat with concurrency-dependent session speed.
//! - [`backlog`]: deferred work (email, tickets) — a backlog that must be cleared by a deadline, staffed
//!   with the smoothest feasible work profile.
//!
//! All entry points take a [`Queue`] (arrival rate, handle time, model) and a service-level horizon;
//! they return [`QueueMetrics`] or a [`QueueError`] that says why no number exists (an unstable queue is
//! an error, not a probability).

pub mod backlog;
pub mod birth_death;
pub mod erlang;
mod least_loaded;
#[cfg(test)]
#[allow(clippy::excessive_precision)] // reference values keep every digit the generator printed
pub(crate) mod reference;
pub mod sweep;

use serde::{Deserialize, Serialize};
use std::fmt;

/// A duration in seconds. Constructed only from finite, non-negative values.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64")]
pub struct Seconds(f64);

impl TryFrom<f64> for Seconds {
    type Error = QueueError;
    fn try_from(value: f64) -> Result<Self, QueueError> {
        Seconds::new(value)
    }
}

impl Seconds {
    pub fn new(value: f64) -> Result<Self, QueueError> {
        if value.is_finite() && value >= 0.0 {
            Ok(Seconds(value))
        } else {
            Err(QueueError::InvalidInput(format!(
                "a duration must be a finite number of seconds ≥ 0, got {value}"
            )))
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

impl utoipa::PartialSchema for Seconds {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .minimum(Some(0.0))
            .description(Some("seconds"))
            .into()
    }
}

impl utoipa::ToSchema for Seconds {}

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} s", self.0)
    }
}

/// Offered load in Erlangs: arrival rate × mean handle time.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
pub struct Erlangs(pub f64);

/// Which queue discipline and customer behaviour a channel follows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum QueueModel {
    /// M/M/N with infinitely patient customers.
    ErlangC,
    /// M/M/N+M: customers abandon after an exponential patience with this mean.
    ErlangA { patience: Seconds },
    /// Agents hold up to `max_sessions` sessions at once; each extra concurrent session makes every
    /// session at that agent `slowdown` times longer (handle time at `s` sessions =
    /// `aht × (1 + slowdown × (s − 1))`). Optional exponential patience.
    Chat {
        max_sessions: u32,
        slowdown: f64,
        patience: Option<Seconds>,
    },
}

/// One stationary queue: Poisson arrivals, exponential handle times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Queue {
    arrivals_per_second: f64,
    aht: Seconds,
    model: QueueModel,
}

impl Queue {
    /// Service level, abandonment share and busy agents at a fractional number of agents (a
    /// roster's average over an interval): linear between the whole numbers around it.
    pub fn service_at(&self, within: Seconds, agents: f64) -> ServiceAt {
        let lo = agents.floor().max(0.0);
        let at = |n: f64| {
            self.evaluate(n as u32, within).map_or(
                ServiceAt {
                    service_level: 0.0,
                    p_abandon: 1.0,
                    busy: n,
                },
                |m| ServiceAt {
                    service_level: m.service_level,
                    p_abandon: m.p_abandon,
                    busy: m.occupancy * n,
                },
            )
        };
        let low = at(lo);
        let frac = agents - lo;
        if frac < 1e-9 {
            return low;
        }
        let high = at(lo + 1.0);
        let mix = |a: f64, b: f64| a + frac * (b - a);
        ServiceAt {
            service_level: mix(low.service_level, high.service_level),
            p_abandon: mix(low.p_abandon, high.p_abandon),
            busy: mix(low.busy, high.busy),
        }
    }

    /// A queue with `arrivals_per_second` contacts per second, each taking `aht` on average.
    pub fn new(
        arrivals_per_second: f64,
        aht: Seconds,
        model: QueueModel,
    ) -> Result<Self, QueueError> {
        if !(arrivals_per_second.is_finite() && arrivals_per_second >= 0.0) {
            return Err(QueueError::InvalidInput(format!(
                "the arrival rate must be a finite number ≥ 0, got {arrivals_per_second}"
            )));
        }
        if aht.get() <= 0.0 {
            return Err(QueueError::InvalidInput(
                "the average handle time must be greater than 0 seconds".into(),
            ));
        }
        match model {
            QueueModel::ErlangC => {}
            QueueModel::ErlangA { patience } => {
                if patience.get() <= 0.0 {
                    return Err(QueueError::InvalidInput(
                        "the mean patience must be greater than 0 seconds".into(),
                    ));
                }
            }
            QueueModel::Chat {
                max_sessions,
                slowdown,
                patience,
            } => {
                if max_sessions == 0 {
                    return Err(QueueError::InvalidInput(
                        "a chat agent must be able to hold at least 1 session".into(),
                    ));
                }
                if !(slowdown.is_finite() && slowdown >= 0.0) {
                    return Err(QueueError::InvalidInput(format!(
                        "the concurrency slowdown must be a finite number ≥ 0, got {slowdown}"
                    )));
                }
                if patience.is_some_and(|p| p.get() <= 0.0) {
                    return Err(QueueError::InvalidInput(
                        "the mean patience must be greater than 0 seconds".into(),
                    ));
                }
            }
        }
        Ok(Queue {
            arrivals_per_second,
            aht,
            model,
        })
    }

    /// A queue from an hourly volume, as workforce managers quote it.
    pub fn per_hour(
        calls_per_hour: f64,
        aht: Seconds,
        model: QueueModel,
    ) -> Result<Self, QueueError> {
        Self::new(calls_per_hour / 3600.0, aht, model)
    }

    pub fn arrivals_per_second(&self) -> f64 {
        self.arrivals_per_second
    }

    pub fn aht(&self) -> Seconds {
        self.aht
    }

    pub fn model(&self) -> QueueModel {
        self.model
    }

    /// The most agents any staffing keeps busy on average: every contact answered, each taking its
    /// longest handling (for chat, a session at full concurrency, in agents' worth of sessions).
    pub fn busy_ceiling(&self) -> f64 {
        let load = self.offered_load().0;
        match self.model {
            QueueModel::Chat {
                max_sessions,
                slowdown,
                ..
            } => {
                let k = f64::from(max_sessions);
                load * (1.0 + slowdown * (k - 1.0)) / k
            }
            _ => load,
        }
    }

    /// Offered load A = λ · AHT.
    pub fn offered_load(&self) -> Erlangs {
        Erlangs(self.arrivals_per_second * self.aht.get())
    }

    /// Service with `agents` agents, service level measured as answered within `answer_within`.
    pub fn evaluate(
        &self,
        agents: u32,
        answer_within: Seconds,
    ) -> Result<QueueMetrics, QueueError> {
        match self.model {
            QueueModel::ErlangC => erlang::erlang_c(self, agents, answer_within),
            _ => sweep::Sweep::new(self).metrics(agents, answer_within),
        }
    }

    /// The fewest agents that meet `target`, with the metrics at that number.
    pub fn required_agents(&self, target: &StaffingTarget) -> Result<QueueMetrics, QueueError> {
        match self.model {
            QueueModel::ErlangC => erlang::required_agents(self, target),
            _ => sweep::required_agents(self, target),
        }
    }
}

/// What a number of agents must achieve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StaffingTarget {
    /// The service-level horizon: answered within this many seconds.
    pub answer_within: Seconds,
    /// The share of offered contacts to answer within `answer_within` (0 < share < 1).
    pub service_level: f64,
    /// Optional ceiling on agent occupancy (0 < occupancy ≤ 1).
    pub max_occupancy: Option<f64>,
    /// Optional ceiling on the share of contacts that abandon (models with patience only).
    pub max_abandon: Option<f64>,
}

impl StaffingTarget {
    pub fn new(
        answer_within: Seconds,
        service_level: f64,
        max_occupancy: Option<f64>,
        max_abandon: Option<f64>,
    ) -> Result<Self, QueueError> {
        if !(service_level > 0.0 && service_level < 1.0) {
            return Err(QueueError::InvalidInput(format!(
                "the service-level target must lie strictly between 0 and 1, got {service_level}"
            )));
        }
        if let Some(o) = max_occupancy
            && !(o > 0.0 && o <= 1.0)
        {
            return Err(QueueError::InvalidInput(format!(
                "the maximum occupancy must lie in (0, 1], got {o}"
            )));
        }
        if let Some(a) = max_abandon
            && !(a > 0.0 && a < 1.0)
        {
            return Err(QueueError::InvalidInput(format!(
                "the maximum abandonment rate must lie strictly between 0 and 1, got {a}"
            )));
        }
        Ok(StaffingTarget {
            answer_within,
            service_level,
            max_occupancy,
            max_abandon,
        })
    }

    /// Whether `m` meets every part of the target.
    pub fn is_met_by(&self, m: &QueueMetrics) -> bool {
        m.service_level >= self.service_level
            && self.max_occupancy.is_none_or(|o| m.occupancy <= o)
            && self.max_abandon.is_none_or(|a| m.p_abandon <= a)
    }
}

/// Steady-state performance of a queue with a given number of agents.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QueueMetrics {
    pub agents: u32,
    /// Offered load in Erlangs (λ · AHT).
    pub offered_load: f64,
    /// Probability that an arriving contact has to wait.
    pub p_wait: f64,
    /// Share of offered contacts answered within the service-level horizon.
    pub service_level: f64,
    /// Average speed of answer: mean wait of the contacts that are answered. `None` when none are.
    pub asa_seconds: Option<f64>,
    /// Share of agent capacity busy with contacts (sessions for chat).
    pub occupancy: f64,
    /// Share of offered contacts that abandon before being answered (0 for Erlang C).
    pub p_abandon: f64,
}

/// Service at a fractional number of agents ([`Queue::service_at`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServiceAt {
    pub service_level: f64,
    pub p_abandon: f64,
    /// Busy agents on average: occupancy × agents (an unstable queue keeps every agent busy).
    pub busy: f64,
}

/// Why a queue has no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueueError {
    #[error(
        "unstable queue: offered load {offered_load:.3} Erlangs needs more than {capacity:.3} agents' capacity \
         ({agents} agents); without abandonment the queue grows without bound — add agents or model patience"
    )]
    Unstable {
        offered_load: f64,
        agents: u32,
        capacity: f64,
    },
    #[error("invalid queue input: {0}")]
    InvalidInput(String),
    #[error("no staffing up to {limit} agents meets the target: {reason}")]
    TargetUnreachable { limit: u32, reason: String },
}

/// The largest head count any search considers; far above any real contact centre's single queue.
pub const MAX_AGENTS: u32 = 1_000_000;
