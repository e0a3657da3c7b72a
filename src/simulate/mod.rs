//! Discrete-event simulation of the contact centre: the ground truth for every analytic shortcut.
//!
//! Per channel and replication: Poisson arrivals whose rate is constant within each interval (the
//! forecast volume over the interval length), handle times exponential or lognormal with the
//! interval's mean, exponential patience where the channel has one, first-come first-served, and the
//! agents of a coverage table (agents on the channel per interval; a drop in agents lets busy agents
//! finish first). Chat agents hold up to `k` sessions, each slowed by the others; email is a FIFO
//! backlog worked in opening hours and judged against its deadline.
//!
//! Every contact is counted in the interval it arrived in. Contacts still waiting when the horizon
//! ends count as missed if they already waited longer than the target, and are left unjudged
//! otherwise. Replication `r` of channel `c` draws from its own generator seeded from `(seed, r, c)`,
//! so results are the same byte for byte for the same inputs and seed, whatever is simulated beside.

mod coverage;
mod pool;

pub use coverage::{Coverage, CoverageError};

use crate::scenario::{ChannelKind, Scenario};
use crate::time_grid::TimeGrid;
use crate::volumes::GridVolumes;
use chrono::{DateTime, Utc};
use pool::{ConcurrentPool, ServerPool, SlotPool};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp1, LogNormal};
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::collections::VecDeque;

/// Handle-time distribution around each interval's mean.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HandleTime {
    Exponential,
    /// Lognormal with this coefficient of variation (standard deviation / mean).
    Lognormal {
        cv: f64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimulationOptions {
    pub replications: u32,
    pub seed: u64,
    pub handle_time: HandleTime,
}

/// A mean over replications with its 95 % confidence half-width (Student t).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub mean: f64,
    /// `None` with fewer than two replications.
    pub ci95: Option<f64>,
}

impl Estimate {
    fn from_samples(samples: &[f64]) -> Option<Estimate> {
        let n = samples.len();
        if n == 0 {
            return None;
        }
        let mean = samples.iter().sum::<f64>() / n as f64;
        let ci95 = (n >= 2).then(|| {
            let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
                .expect("degrees of freedom are positive")
                .inverse_cdf(0.975);
            t * (var / n as f64).sqrt()
        });
        Some(Estimate { mean, ci95 })
    }

    /// Whether `value` lies within `z95_multiple` × the 95 % half-width of the mean.
    pub fn covers(&self, value: f64, z95_multiple: f64) -> bool {
        self.ci95
            .is_some_and(|h| (value - self.mean).abs() <= h * z95_multiple)
    }
}

/// Simulated performance of one interval (or of the whole horizon).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulatedInterval {
    pub start: DateTime<Utc>,
    pub agents: u32,
    pub offered: Estimate,
    pub answered: Estimate,
    pub abandoned: Estimate,
    pub answered_in_time: Estimate,
    /// Offered contacts whose outcome is known when the horizon ends (the rest still wait, within target).
    pub judged: Estimate,
    /// Answered within target over offered (judged contacts only).
    pub service_level: Option<Estimate>,
    /// Mean wait of answered contacts, seconds.
    pub asa_seconds: Option<Estimate>,
    /// Share of agent (session) capacity in use.
    pub occupancy: Option<Estimate>,
    /// Share of offered contacts that abandoned.
    pub abandon_rate: Option<Estimate>,
}

/// Simulated performance of one local day: each replication's day totals, then mean and 95 % CI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulatedDay {
    pub date: chrono::NaiveDate,
    #[serde(flatten)]
    pub stats: SimulatedInterval,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulatedChannel {
    pub channel: String,
    pub intervals: Vec<SimulatedInterval>,
    pub days: Vec<SimulatedDay>,
    pub total: SimulatedInterval,
    pub contacts_simulated: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulationReport {
    pub replications: u32,
    pub seed: u64,
    pub handle_time: HandleTime,
    pub channels: Vec<SimulatedChannel>,
}

/// Counters of one interval in one replication.
#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    offered: u64,
    answered: u64,
    answered_in_time: u64,
    abandoned: u64,
    missed_at_end: u64,
    unjudged: u64,
    wait_sum: f64,
    busy_seconds: f64,
}

impl Counters {
    fn add(&mut self, o: &Counters) {
        self.offered += o.offered;
        self.answered += o.answered;
        self.answered_in_time += o.answered_in_time;
        self.abandoned += o.abandoned;
        self.missed_at_end += o.missed_at_end;
        self.unjudged += o.unjudged;
        self.wait_sum += o.wait_sum;
        self.busy_seconds += o.busy_seconds;
    }
}

/// What one channel's simulation needs.
struct ChannelModel<'a> {
    /// Arrivals per second in each interval.
    rates: Vec<f64>,
    aht: Vec<f64>,
    agents: &'a [u32],
    patience: Option<f64>,
    target_seconds: f64,
    interval_seconds: f64,
    handle_time: HandleTime,
}

#[derive(Clone, Copy)]
struct Waiting {
    arrived: f64,
    abandons_at: f64,
    interval: u32,
}

/// splitmix64: decorrelates the seeds of neighbouring (seed, replication, channel) triples.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn stream_seed(seed: u64, replication: u32, channel: usize) -> u64 {
    mix(mix(mix(seed) ^ u64::from(replication)) ^ channel as u64)
}

impl ChannelModel<'_> {
    fn draw_work(&self, rng: &mut SmallRng, mean: f64) -> f64 {
        match self.handle_time {
            HandleTime::Exponential => mean * rng.sample::<f64, _>(Exp1),
            HandleTime::Lognormal { cv } => {
                let sigma2 = (1.0 + cv * cv).ln();
                LogNormal::new(mean.ln() - sigma2 / 2.0, sigma2.sqrt())
                    .expect("a lognormal with finite parameters")
                    .sample(rng)
            }
        }
    }

    /// The next arrival at or after `t` in interval `i` or later.
    fn next_arrival(&self, rng: &mut SmallRng, mut t: f64, mut i: usize) -> Option<(f64, usize)> {
        while i < self.rates.len() {
            let end = (i + 1) as f64 * self.interval_seconds;
            let rate = self.rates[i];
            if rate > 0.0 {
                let gap = rng.sample::<f64, _>(Exp1) / rate;
                if t + gap < end {
                    return Some((t + gap, i));
                }
            }
            // Memoryless: restart the clock at the boundary with the next interval's rate.
            t = end;
            i += 1;
        }
        None
    }

    /// One replication; returns per-interval counters.
    fn run<P: ServerPool>(&self, pool: &mut P, rng: &mut SmallRng, stats: &mut [Counters]) {
        let n = self.rates.len();
        let end = n as f64 * self.interval_seconds;
        let mut queue: VecDeque<Waiting> = VecDeque::new();
        let mut current = 0_usize;
        let mut last = 0.0_f64;
        pool.set_agents(self.agents.first().copied().unwrap_or(0), 0.0);
        let mut arrival = self.next_arrival(rng, 0.0, 0);

        loop {
            let next_boundary = (current + 1) as f64 * self.interval_seconds;
            let ta = arrival.map_or(f64::INFINITY, |(t, _)| t);
            let tc = pool.next_completion().unwrap_or(f64::INFINITY);
            let t = ta.min(tc).min(next_boundary);
            stats[current].busy_seconds += f64::from(pool.in_service()) * (t - last);
            last = t;
            if tc <= ta && tc <= next_boundary {
                pool.complete_next(t);
                self.serve_waiting(pool, rng, &mut queue, stats, t);
            } else if ta <= next_boundary {
                let (t, i) = arrival.expect("an arrival time below infinity has an arrival");
                stats[i].offered += 1;
                if queue.is_empty() && pool.can_start() {
                    stats[i].answered += 1;
                    stats[i].answered_in_time += 1;
                    let work = self.draw_work(rng, self.aht[i]);
                    pool.start(t, work);
                } else {
                    let abandons_at = match self.patience {
                        Some(p) => t + p * rng.sample::<f64, _>(Exp1),
                        None => f64::INFINITY,
                    };
                    queue.push_back(Waiting {
                        arrived: t,
                        abandons_at,
                        interval: i as u32,
                    });
                }
                arrival = self.next_arrival(rng, t, i);
            } else {
                current += 1;
                if current >= n {
                    break;
                }
                pool.set_agents(self.agents[current], t);
                self.serve_waiting(pool, rng, &mut queue, stats, t);
            }
        }

        // The horizon ends: judge who is still waiting.
        for w in queue {
            let s = &mut stats[w.interval as usize];
            if w.abandons_at <= end {
                s.abandoned += 1;
            } else if end - w.arrived > self.target_seconds {
                s.missed_at_end += 1;
            } else {
                s.unjudged += 1;
            }
        }
    }

    /// Starts waiting contacts while agents are free; drops those whose patience ran out.
    fn serve_waiting<P: ServerPool>(
        &self,
        pool: &mut P,
        rng: &mut SmallRng,
        queue: &mut VecDeque<Waiting>,
        stats: &mut [Counters],
        now: f64,
    ) {
        while pool.can_start() {
            let Some(w) = queue.pop_front() else {
                return;
            };
            let s = &mut stats[w.interval as usize];
            if w.abandons_at <= now {
                s.abandoned += 1;
                continue;
            }
            let wait = now - w.arrived;
            s.answered += 1;
            s.wait_sum += wait;
            if wait <= self.target_seconds {
                s.answered_in_time += 1;
            }
            let work = self.draw_work(rng, self.aht[w.interval as usize]);
            pool.start(now, work);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimulationError {
    #[error("at least one replication is needed")]
    NoReplications,
    #[error("the lognormal coefficient of variation must be a positive number, got {0}")]
    BadCv(f64),
}

/// [`simulate`] before a deadline: two replications first, then as many of the requested ones as
/// fit in the time left (at least those two). The report says how many ran.
pub fn simulate_within(
    scenario: &Scenario,
    grid: &TimeGrid,
    volumes: &GridVolumes,
    coverage: &Coverage,
    options: &SimulationOptions,
    deadline: Option<std::time::Instant>,
    mut progress: impl FnMut(u64, u64),
) -> Result<SimulationReport, SimulationError> {
    let Some(deadline) = deadline.filter(|_| options.replications > 2) else {
        return simulate(scenario, grid, volumes, coverage, options, progress);
    };
    let started = std::time::Instant::now();
    let two = SimulationOptions {
        replications: 2,
        ..*options
    };
    let probe = simulate(scenario, grid, volumes, coverage, &two, &mut progress)?;
    let per_replication = started.elapsed().as_secs_f64() / 2.0;
    let left = deadline
        .saturating_duration_since(std::time::Instant::now())
        .as_secs_f64();
    let fit = (left / (per_replication * 1.25).max(1e-9))
        .floor()
        .min(f64::from(options.replications));
    if fit < 3.0 {
        return Ok(probe);
    }
    let fitted = SimulationOptions {
        replications: fit as u32,
        ..*options
    };
    simulate(scenario, grid, volumes, coverage, &fitted, progress)
}

/// Simulates every channel of `scenario` with `coverage` agents against `volumes`.
///
/// `progress` is called after each replication of each channel with (done, total).
pub fn simulate(
    scenario: &Scenario,
    grid: &TimeGrid,
    volumes: &GridVolumes,
    coverage: &Coverage,
    options: &SimulationOptions,
    mut progress: impl FnMut(u64, u64),
) -> Result<SimulationReport, SimulationError> {
    if options.replications == 0 {
        return Err(SimulationError::NoReplications);
    }
    if let HandleTime::Lognormal { cv } = options.handle_time
        && !(cv.is_finite() && cv > 0.0)
    {
        return Err(SimulationError::BadCv(cv));
    }
    let dt = grid.length().seconds();
    let total_steps = u64::from(options.replications) * scenario.channels.len() as u64;
    let mut done = 0;
    let mut channels = Vec::new();
    for (c, channel) in scenario.channels.iter().enumerate() {
        let model = ChannelModel {
            rates: volumes.volume[c].iter().map(|v| v / dt).collect(),
            aht: volumes.aht[c]
                .iter()
                .map(|a| a.unwrap_or(channel.aht.get()))
                .collect(),
            agents: &coverage.agents[c],
            patience: channel.kind.patience().map(|p| p.get()),
            target_seconds: channel.target.horizon().get(),
            interval_seconds: dt,
            handle_time: options.handle_time,
        };
        let mut per_rep: Vec<Vec<Counters>> = Vec::with_capacity(options.replications as usize);
        for r in 0..options.replications {
            let mut rng = SmallRng::seed_from_u64(stream_seed(options.seed, r, c));
            let mut stats = vec![Counters::default(); grid.len()];
            match channel.kind {
                ChannelKind::Chat {
                    max_sessions,
                    slowdown,
                    ..
                } if slowdown > 0.0 => model.run(
                    &mut ConcurrentPool::new(max_sessions, slowdown),
                    &mut rng,
                    &mut stats,
                ),
                _ => model.run(
                    &mut SlotPool::new(channel.kind.max_sessions()),
                    &mut rng,
                    &mut stats,
                ),
            }
            per_rep.push(stats);
            done += 1;
            progress(done, total_steps);
        }
        let slots = channel.kind.max_sessions();
        let intervals = (0..grid.len())
            .map(|i| {
                let reps: Vec<Counters> = per_rep.iter().map(|s| s[i]).collect();
                summarise(grid.start_of(i), coverage.agents[c][i], slots, dt, &reps)
            })
            .collect();
        let totals: Vec<Counters> = per_rep
            .iter()
            .map(|s| {
                let mut t = Counters::default();
                s.iter().for_each(|x| t.add(x));
                t
            })
            .collect();
        let mut by_day: Vec<(chrono::NaiveDate, Vec<usize>)> = Vec::new();
        for i in 0..grid.len() {
            let date = grid.local_clock(i).date;
            match by_day.last_mut() {
                Some((d, idx)) if *d == date => idx.push(i),
                _ => by_day.push((date, vec![i])),
            }
        }
        let days = by_day
            .iter()
            .map(|(date, idx)| {
                let reps: Vec<Counters> = per_rep
                    .iter()
                    .map(|s| {
                        let mut t = Counters::default();
                        idx.iter().for_each(|&i| t.add(&s[i]));
                        t
                    })
                    .collect();
                let stats = summarise_span(
                    grid.start_of(idx[0]),
                    &reps,
                    idx.iter().map(|&i| coverage.agents[c][i]),
                    slots,
                    dt,
                );
                SimulatedDay { date: *date, stats }
            })
            .collect();
        let total = summarise_span(
            grid.start_of(0),
            &totals,
            coverage.agents[c].iter().copied(),
            slots,
            dt,
        );
        channels.push(SimulatedChannel {
            channel: channel.id.to_string(),
            intervals,
            days,
            total,
            contacts_simulated: totals.iter().map(|t| t.offered).sum(),
        });
    }
    Ok(SimulationReport {
        replications: options.replications,
        seed: options.seed,
        handle_time: options.handle_time,
        channels,
    })
}

/// Totals over a stretch of intervals (a day, the horizon), with occupancy over its agent time.
fn summarise_span(
    start: DateTime<Utc>,
    reps: &[Counters],
    agents: impl Iterator<Item = u32>,
    slots: u32,
    dt: f64,
) -> SimulatedInterval {
    let (seconds, most) = agents.fold((0.0, 0), |(s, m), a| (s + f64::from(a) * dt, m.max(a)));
    let mut stats = summarise(start, 0, slots, dt, reps);
    stats.occupancy = Estimate::from_samples(
        &reps
            .iter()
            .filter(|_| seconds > 0.0)
            .map(|t| t.busy_seconds / (seconds * f64::from(slots)))
            .collect::<Vec<_>>(),
    );
    stats.agents = most;
    stats
}

fn summarise(
    start: DateTime<Utc>,
    agents: u32,
    slots: u32,
    dt: f64,
    reps: &[Counters],
) -> SimulatedInterval {
    let est = |f: &dyn Fn(&Counters) -> Option<f64>| -> Option<Estimate> {
        Estimate::from_samples(&reps.iter().filter_map(f).collect::<Vec<_>>())
    };
    let count = |f: fn(&Counters) -> u64| {
        est(&|c| Some(f(c) as f64)).expect("there is at least one replication")
    };
    SimulatedInterval {
        start,
        agents,
        offered: count(|c| c.offered),
        answered: count(|c| c.answered),
        abandoned: count(|c| c.abandoned),
        answered_in_time: count(|c| c.answered_in_time),
        judged: count(|c| c.offered - c.unjudged),
        service_level: est(&|c| {
            let judged = c.offered - c.unjudged;
            (judged > 0).then(|| c.answered_in_time as f64 / judged as f64)
        }),
        asa_seconds: est(&|c| (c.answered > 0).then(|| c.wait_sum / c.answered as f64)),
        occupancy: est(&|c| {
            (agents > 0).then(|| c.busy_seconds / (f64::from(agents * slots) * dt))
        }),
        abandon_rate: est(&|c| (c.offered > 0).then(|| c.abandoned as f64 / c.offered as f64)),
    }
}

#[cfg(test)]
mod tests;
