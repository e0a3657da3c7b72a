//! Service curves of queues with abandonment (Erlang A) and of chat in one pass over the number of
//! agents: service level, P(wait), P(abandon) and occupancy for every `N` of a range, each from
//! the last without solving the chain again, and required agents found from the same pass.
//!
//! The birth–death chain of [`super::birth_death`] needs, below its full state `S`, two sums relative
//! to the full state's weight: `B = Σ_{m<S} w_m/w_S` and `M = Σ_{m<S} m·w_m/w_S`. Both follow a
//! multiply-add recurrence from state to state (the Erlang B recurrence, for `B`), started where
//! the weights begin to matter and, for Erlang A, whose weights below `N` do not depend on `N`,
//! carried from `N` to `N + 1`; they stop early where the full state weighs nothing. What depends
//! on `N` above it is the queue and the waiting-time integral. Both have closed forms in one
//! confluent series,
//!
//! `S(a, z) = Σ_{n≥0} zⁿ / ((a+1)(a+2)…(a+n)) = ₁F₁(1; a+1; z)`,
//!
//! with `x = λ/θ` and `c = R/θ` (`R` the completion rate with every slot busy, `θ` = 1/patience):
//!
//! - queued mass `Σ_j π_{S+j} = π_S·S(c, x)` and queue length `π_S·Σ_n n·tₙ` (the same terms);
//! - the wait integral `π_S R ∫₀ᵗ exp(x(1−e^{−θv}) − (R+θ)v) dv`, with `u = e^{−θv}` the difference
//!   of two lower incomplete gamma functions, `= π_S · c/(c+1) · [S(c+1, x) − E·S(c+1, x·e^{−θt})]`,
//!   `E = exp(x(1−e^{−θt}) − (R+θ)t)` the integrand at `t`.
//!
//! All terms are positive; each series needs about `9√a` terms where `z ≈ a` (near the load) and
//! fewer away from it, a few multiply-adds each, so a curve over the agents that matter costs about
//! as much as solving the chain once. Where the two series of the difference nearly cancel (a tiny
//! share answered in time), the integral is taken by adaptive quadrature instead
//! ([`super::birth_death::wait_integral`]), so every figure keeps its full accuracy; the tests hold
//! the sweep to the single-point evaluation at 1e−10 and to the 50-digit references.

use super::birth_death::{self, Chain, SlotKind};
use super::least_loaded;
use super::{MAX_AGENTS, Queue, QueueError, QueueMetrics, QueueModel, Seconds, StaffingTarget};

/// Above this a running value is rescaled, so products of many ratios never overflow.
const RESCALE_ABOVE: f64 = 1e250;

/// `S(a, z)`, `Σ n·tₙ` and `Σ tₙ·Hₙ` with `Hₙ = 1/a + Σ_{j≤n} 1/(a+j)` over the same terms
/// `tₙ`, at the scale `e^{ln_scale}`.
#[derive(Debug, Clone, Copy)]
struct Confluent {
    sum: f64,
    weighted: f64,
    /// `Σ tₙ·Hₙ`: `−∂/∂a (S(a, z)/a)·a`, the mean-wait integral (see [`Sweep::metrics`]).
    harmonic: f64,
    ln_scale: f64,
    /// `(w, ln S(a, w·z))` when asked for: the same series at a shrunk argument, whose terms are
    /// `tₙ·wⁿ` and so share the divisions.
    shrunk: Option<(f64, f64)>,
}

impl Confluent {
    /// The sums; `Σ tₙHₙ` only `with_harmonic` (it costs a second division per term).
    fn new(a: f64, z: f64, with_harmonic: bool) -> Confluent {
        Confluent::with_shrunk(a, z, with_harmonic, None)
    }

    /// As [`Confluent::new`], and `ln S(a, w·z)` alongside with `shrink = Some(w)`, `0 < w ≤ 1`.
    fn with_shrunk(a: f64, z: f64, with_harmonic: bool, shrink: Option<f64>) -> Confluent {
        let mut out = Confluent {
            sum: 0.0,
            weighted: 0.0,
            harmonic: 0.0,
            ln_scale: 0.0,
            shrunk: None,
        };
        let peak = (z - a).max(0.0);
        let mut term = 1.0_f64;
        let mut n = 0.0_f64;
        let mut h = 1.0 / a;
        let zw = z * shrink.unwrap_or(0.0);
        let (mut small_sum, mut small_term, mut small_scale) = (0.0_f64, 1.0_f64, 0.0_f64);
        // Two terms a step, for one division: with p = a+n+1 and q = a+n+2,
        // t_{n+1} = tₙ·z·q/(pq) and t_{n+2} = tₙ·z²/(pq). Only the one multiplication of `term`
        // waits on the step before.
        loop {
            let (p, q) = (a + n + 1.0, a + n + 2.0);
            let inverse = 1.0 / (p * q);
            let next = term * (z * q * inverse);
            out.sum += term + next;
            out.weighted += n * term + (n + 1.0) * next;
            if with_harmonic {
                let h_next = h + q * inverse;
                out.harmonic += h * term + h_next * next;
                h = h_next + p * inverse;
            }
            if shrink.is_some() {
                small_sum += small_term * (1.0 + zw * q * inverse);
                small_term *= zw * zw * inverse;
                if small_term > RESCALE_ABOVE {
                    small_term /= RESCALE_ABOVE;
                    small_sum /= RESCALE_ABOVE;
                    small_scale += RESCALE_ABOVE.ln();
                }
            }
            n += 2.0;
            term *= z * z * inverse;
            if term > RESCALE_ABOVE {
                term /= RESCALE_ABOVE;
                out.sum /= RESCALE_ABOVE;
                out.weighted /= RESCALE_ABOVE;
                out.harmonic /= RESCALE_ABOVE;
                out.ln_scale += RESCALE_ABOVE.ln();
            }
            // Past the peak the terms fall faster than geometrically; `n·term` bounds the
            // weighted tail's next term. The shrunk series peaks earlier and falls faster.
            if term == 0.0
                || (n > peak
                    && term <= out.sum * 1e-18
                    && n * term <= out.weighted.max(out.sum) * 1e-18
                    && (shrink.is_none() || small_term <= small_sum * 1e-18))
            {
                out.shrunk = shrink.map(|w| (w, small_sum.ln() + small_scale));
                return out;
            }
        }
    }

    /// `S(a, z)` and `Σ n·tₙ` (no `Σ tₙHₙ`) where `z` lies well above `a`, an overloaded queue
    /// whose terms climb for about `z − a` of them before they fall: in closed form instead,
    /// `S = a·e^z·z^{−a}·γ(a, z) = G − a·F` with `G = e^z·z^{−a}·Γ(a+1)` and
    /// `F = e^z·z^{−a}·Γ(a, z)` ([`ln_upper_gamma`]), and `Σ n·tₙ = (z − a)·S + a` from
    /// `(a + n)·tₙ = z·tₙ₋₁`. `None` nearer the load, where the series is short and `G − a·F`
    /// would cancel.
    fn overloaded(a: f64, z: f64) -> Option<Confluent> {
        let ln_sum = ln_sum_overloaded(a, z)?;
        Some(Confluent {
            sum: 1.0,
            weighted: (z - a) + (a.ln() - ln_sum).exp(),
            harmonic: f64::NAN,
            ln_scale: ln_sum,
            shrunk: None,
        })
    }

    /// `ln S(a, z)` alone, for where only the sum is needed.
    fn ln_sum_only(a: f64, z: f64) -> f64 {
        ln_sum_overloaded(a, z).unwrap_or_else(|| Confluent::new(a, z, false).ln_sum())
    }

    fn ln_sum(&self) -> f64 {
        self.sum.ln() + self.ln_scale
    }

    fn ln_weighted(&self) -> f64 {
        self.weighted.ln() + self.ln_scale
    }

    fn ln_harmonic(&self) -> f64 {
        self.harmonic.ln() + self.ln_scale
    }
}

/// Whether `z` lies far enough above `a` for the overloaded closed forms: the terms of `S(a, z)`
/// then climb for `z − a` of them, while the continued fraction of `Γ(a, z)` converges in a few
/// dozen steps and `G` outweighs `a·F` by `e^{(z−a)²/2a}`.
fn well_above(a: f64, z: f64) -> bool {
    z >= a + 2.0 * a.sqrt() + 4.0
}

/// `ln S(a, z) = ln(G − a·F)` (see [`Confluent::overloaded`]) where [`well_above`].
fn ln_sum_overloaded(a: f64, z: f64) -> Option<f64> {
    if !well_above(a, z) {
        return None;
    }
    let ln_g = ln_gamma_scaled(a, z);
    let ln_f = ln_upper_gamma(a, z)?;
    Some(ln_g + (-(a.ln() + ln_f - ln_g).exp()).ln_1p())
}

/// `ln G = ln(e^z·z^{−a}·Γ(a+1))` without the cancellation of its large parts: by Stirling's
/// series, `(z − a) − a·ln(1 + (z − a)/a) + ½·ln(2πa) + σ(a)` for `a ≥ 10`.
fn ln_gamma_scaled(a: f64, z: f64) -> f64 {
    if a < 10.0 {
        return z - a * z.ln() + statrs::function::gamma::ln_gamma(a + 1.0);
    }
    let d = z - a;
    let (inv, inv2) = (1.0 / a, 1.0 / (a * a));
    // σ(a) = 1/12a − 1/360a³ + 1/1260a⁵ − 1/1680a⁷ + 1/1188a⁹: the next term is below 2e−14 at a = 10.
    let sigma = inv
        * (1.0 / 12.0
            + inv2
                * (-1.0 / 360.0
                    + inv2 * (1.0 / 1260.0 + inv2 * (-1.0 / 1680.0 + inv2 * (1.0 / 1188.0)))));
    d - a * (d * inv).ln_1p() + 0.5 * (std::f64::consts::TAU * a).ln() + sigma
}

/// `ln F = ln(e^z·z^{−a}·Γ(a, z))` by the continued fraction
/// `F = 1/(z+1−a − 1·(1−a)/(z+3−a − 2·(2−a)/(z+5−a − …)))` (modified Lentz), for `z > a`;
/// `None` if it has not converged in 1,000 steps.
fn ln_upper_gamma(a: f64, z: f64) -> Option<f64> {
    const TINY: f64 = 1e-300;
    let mut b = z + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..=1000 {
        let i = f64::from(i);
        let an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() <= 2.0 * f64::EPSILON {
            return (h > 0.0).then(|| h.ln());
        }
    }
    None
}

/// `ln(e^a + e^b)`.
pub(super) fn ln_add(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// The chain's sums below the full state `S`, relative to it: `B = Σ_{m<S} w_m / w_S` and
/// `M = Σ_{m<S} m·w_m / w_S` (sessions evenly spread for chat), at the scale `e^{ln_scale}`.
/// From one state to the next both follow `B' = (B + 1)·r/λ` and `M' = (M + m)·r/λ` with `r` the
/// completion rate of the next state: a multiply-add each, no division.
#[derive(Debug, Clone, Copy)]
struct Below {
    /// The state the sums have reached.
    state: u32,
    below: f64,
    in_service: f64,
    ln_scale: f64,
}

impl Below {
    fn start(first: u32) -> Below {
        Below {
            state: first,
            below: 0.0,
            in_service: 0.0,
            ln_scale: 0.0,
        }
    }

    /// Moves the sums up to state `to` through states whose completion rate is
    /// `base + (m − from)·slope` at state `m` (`from < m ≤ to`), stopping early (and returning
    /// `false`) once `ln B` passes `enough`: the full state then weighs nothing.
    fn climb(
        &mut self,
        from: u32,
        to: u32,
        base: f64,
        slope: f64,
        per_lambda: f64,
        enough: f64,
    ) -> bool {
        if self.ln_below() > enough {
            return false;
        }
        let (mut b, mut m) = (self.below, self.in_service);
        // The weight of the state reached, at the sums' scale.
        let mut unit = (-self.ln_scale).exp();
        let mut state = self.state.max(from);
        let rate = |state: u32| (base + f64::from(state - from) * slope) * per_lambda;
        // Two states a step: with c₁, c₂ the next two rates over λ,
        // B'' = B·c₁c₂ + u·c₂(c₁ + 1) and M'' = M·c₁c₂ + u·c₂(s·c₁ + s + 1), one multiply-add on
        // the step before.
        while state + 2 <= to {
            let (c1, c2) = (rate(state + 1), rate(state + 2));
            let (both, s) = (c1 * c2, f64::from(state));
            b = b * both + unit * c2 * (c1 + 1.0);
            m = m * both + unit * c2 * (s * c1 + s + 1.0);
            state += 2;
            if b > RESCALE_ABOVE && self.rescale(&mut [&mut b, &mut m, &mut unit]) > enough {
                break;
            }
        }
        while state < to && b.ln() + self.ln_scale <= enough {
            let c = rate(state + 1);
            m = (m + f64::from(state) * unit) * c;
            b = (b + unit) * c;
            state += 1;
            if b > RESCALE_ABOVE && self.rescale(&mut [&mut b, &mut m, &mut unit]) > enough {
                break;
            }
        }
        self.below = b;
        self.in_service = m;
        self.state = state;
        state >= to
    }

    /// Scales the running values down together; returns `ln B` (the first value) after.
    fn rescale(&mut self, values: &mut [&mut f64; 3]) -> f64 {
        for v in values.iter_mut() {
            **v /= RESCALE_ABOVE;
        }
        self.ln_scale += RESCALE_ABOVE.ln();
        values[0].ln() + self.ln_scale
    }

    fn ln_below(&self) -> f64 {
        self.below.ln() + self.ln_scale
    }

    fn ln_in_service(&self) -> f64 {
        self.in_service.ln() + self.ln_scale
    }
}

/// Per-agent completion rate with `s` chat sessions, per second: `f(s) = s / (AHT·(1 + σ(s − 1)))`.
fn per_agent(s: u32, aht: f64, slowdown: f64) -> f64 {
    least_loaded::per_agent(s, slowdown) / aht
}

/// The first state worth summing. The weights are log-concave (completion rates rise, ever more
/// slowly), so with `p` the most likely state below full and `g` the rate's slope there, the
/// states more than `10·√(λ/g) + 10` below `p` weigh less than `e^{−50}` of it (for Erlang A,
/// `10√A + 10` below the load).
fn first_state(chain: &Chain) -> u32 {
    let lambda = chain.lambda;
    let (peak, slope) = match chain.kind {
        SlotKind::Single { mu } => ((lambda / mu).min(f64::from(chain.slots)), mu),
        SlotKind::Concurrent {
            agents,
            aht,
            slowdown,
        } => {
            let n = f64::from(agents);
            let k = chain.slots / agents.max(1);
            // The block of states q·N … (q+1)·N where the rate `N·f(q) + r·(f(q+1) − f(q))`
            // reaches λ, or the top block.
            let q = (0..k)
                .find(|&q| n * per_agent(q + 1, aht, slowdown) >= lambda)
                .unwrap_or(k.saturating_sub(1));
            let (low, high) = (per_agent(q, aht, slowdown), per_agent(q + 1, aht, slowdown));
            let slope = high - low;
            let r = ((lambda - n * low) / slope).clamp(0.0, n);
            ((f64::from(q) * n + r).min(f64::from(chain.slots)), slope)
        }
    };
    let skip = 10.0 * (lambda / slope).sqrt() + 10.0;
    if peak > skip {
        (peak - skip).floor() as u32
    } else {
        0
    }
}

/// Evaluates one queue at any number of agents, sharing the work between them: for Erlang A the
/// sums below full are carried from one number of agents to the next higher one.
pub struct Sweep {
    queue: Queue,
    /// Erlang A: sums below full already climbed, with the state each started from; a later
    /// evaluation continues from the highest one below it that started low enough.
    checkpoints: Vec<(u32, Below)>,
    /// Fresh climbs start no higher than this, so that evaluations down to the number of agents
    /// it was set for continue from each other instead of starting over.
    floor: u32,
}

/// Checkpoints a sweep keeps.
const CHECKPOINTS: usize = 8;

impl Sweep {
    /// A sweep of `queue`.
    pub fn new(queue: &Queue) -> Sweep {
        Sweep {
            queue: *queue,
            checkpoints: Vec::with_capacity(CHECKPOINTS),
            floor: u32::MAX,
        }
    }

    /// A sweep that expects to evaluate `lowest` agents or more, in any order.
    pub fn reaching_down_to(queue: &Queue, lowest: u32) -> Sweep {
        let mut sweep = Sweep::new(queue);
        sweep.floor = first_state(&Chain::for_queue(queue, lowest));
        sweep
    }

    /// `B` and `M` of the chain (see [`Below`]), and whether they reached the full state: they stop
    /// once `ln B` passes `enough`, where the full state is out of reach of a double.
    fn below(&mut self, chain: &Chain, enough: f64) -> (Below, bool) {
        let per_lambda = 1.0 / chain.lambda;
        let first = first_state(chain);
        match chain.kind {
            SlotKind::Single { mu } => {
                // The weights below `N` do not depend on `N`: continue from the highest sums below
                // that started no higher than this evaluation would.
                let (start, mut sums) = self
                    .checkpoints
                    .iter()
                    .filter(|(from, c)| *from <= first && c.state <= chain.slots)
                    .max_by_key(|(_, c)| c.state)
                    .copied()
                    .unwrap_or_else(|| {
                        let from = first.min(self.floor);
                        (from, Below::start(from))
                    });
                let reached = sums.climb(0, chain.slots, 0.0, mu, per_lambda, enough);
                if self.checkpoints.len() == CHECKPOINTS {
                    let lowest = (0..CHECKPOINTS)
                        .min_by_key(|&i| self.checkpoints[i].1.state)
                        .expect("checkpoints");
                    self.checkpoints.swap_remove(lowest);
                }
                self.checkpoints.push((start, sums));
                (sums, reached)
            }
            SlotKind::Concurrent {
                agents,
                aht,
                slowdown,
            } => {
                let mut sums = Below::start(first);
                let n = f64::from(agents);
                for q in 0..chain.slots / agents.max(1) {
                    let (low, high) =
                        (per_agent(q, aht, slowdown), per_agent(q + 1, aht, slowdown));
                    let from = q * agents;
                    if !sums.climb(from, from + agents, n * low, high - low, per_lambda, enough) {
                        return (sums, false);
                    }
                }
                (sums, true)
            }
        }
    }

    /// Service level (answered within `within`, over offered), P(wait), P(abandon), occupancy and
    /// the mean wait of answered contacts with `agents` agents:
    /// the same figures as the chain ([`super::birth_death::evaluate`]). The mean wait is
    /// `E[W; answered] = π_S·R·∫₀^∞ v·e^{x(1−e^{−θv}) − (R+θ)v} dv = π_S·R/θ²·Σ τₙHₙ`, the
    /// derivative in `c` of the series of the whole wait integral.
    pub fn metrics(&mut self, agents: u32, within: Seconds) -> Result<QueueMetrics, QueueError> {
        self.metrics_with(agents, within, true)
    }

    /// As [`Sweep::metrics`]; without `with_asa` the mean wait is left out (`None`), which a
    /// search for the required agents does not need.
    pub fn metrics_with(
        &mut self,
        agents: u32,
        within: Seconds,
        with_asa: bool,
    ) -> Result<QueueMetrics, QueueError> {
        let chain = Chain::for_queue(&self.queue, agents);
        let lambda = chain.lambda;
        let offered_load = self.queue.offered_load().0;
        if chain.theta == 0.0 && lambda >= chain.full_rate {
            return Err(QueueError::Unstable {
                offered_load,
                agents,
                capacity: chain.full_rate * self.queue.aht().get(),
            });
        }
        let nobody_waits = |occupancy: f64| QueueMetrics {
            agents,
            offered_load,
            p_wait: 0.0,
            service_level: 1.0,
            asa_seconds: with_asa.then_some(0.0),
            occupancy: occupancy.clamp(0.0, 1.0),
            p_abandon: 0.0,
        };
        if lambda <= 0.0 {
            return Ok(nobody_waits(0.0));
        }
        let spread = match chain.kind {
            SlotKind::Concurrent {
                agents,
                aht,
                slowdown,
            } => least_loaded::correction(
                agents,
                chain.slots / agents.max(1),
                slowdown,
                lambda * aht,
            ),
            SlotKind::Single { .. } => least_loaded::Correction::default(),
        };
        let slots = f64::from(chain.slots);
        // Past `ln B = enough` the full state weighs less than e^{−750} of the rest even with the
        // largest queue it can have (`queued / π_S ≤ 1 + λ/(R+θ)·(a+1)/(a+1−x)` while `x < a + 1`),
        // so every figure is what it is with nobody waiting.
        let enough = if chain.theta == 0.0 {
            750.0 - (1.0 - lambda / chain.full_rate).ln()
        } else {
            let (a, x) = (chain.full_rate / chain.theta + 1.0, lambda / chain.theta);
            if x < a + 1.0 {
                750.0
                    + (1.0 + lambda / (chain.full_rate + chain.theta) * (a + 1.0) / (a + 1.0 - x))
                        .ln()
            } else {
                f64::INFINITY
            }
        };
        let (sums, reached) = self.below(&chain, enough);
        if !reached {
            // Only the mean in service matters: the sums' ratio.
            let mean = sums.in_service / sums.below;
            return Ok(nobody_waits(
                mean * (spread.in_service - spread.below).exp() / slots,
            ));
        }
        // In logs: the full state may weigh 1e−300 of the states below it.
        let ln_below = sums.ln_below() + spread.below;
        let ln_in_service = sums.ln_in_service() + spread.in_service;
        // Queued mass and length over π_S.
        // One series serves the queue, the wait integral and the mean wait: with `S⁺ = S(c+1, x)`
        // and its weighted sum `W⁺`, `S(c, x) = 1 + x/(c+1)·S⁺` and `Σ j·t_j = x/(c+1)·(W⁺ + S⁺)`.
        let whole = (chain.theta > 0.0).then(|| {
            let (a, z) = (chain.full_rate / chain.theta + 1.0, lambda / chain.theta);
            (!with_asa)
                .then(|| Confluent::overloaded(a, z))
                .flatten()
                .unwrap_or_else(|| {
                    // The wait integral's second series, at `x·e^{−θt}`, in the same pass.
                    let shrink = (-chain.theta * within.get()).exp();
                    Confluent::with_shrunk(a, z, with_asa, Some(shrink))
                })
        });
        let (ln_queued, ln_length) = match &whole {
            None => {
                let rho = lambda / chain.full_rate;
                (-(1.0 - rho).ln(), rho.ln() - 2.0 * (1.0 - rho).ln())
            }
            Some(w) => {
                let ln_step = (lambda / (chain.full_rate + chain.theta)).ln();
                (
                    ln_add(0.0, ln_step + w.ln_sum()),
                    ln_step + ln_add(w.ln_weighted(), w.ln_sum()),
                )
            }
        };
        let ln_full = -ln_add(ln_below, ln_queued);
        let p_wait = (ln_queued + ln_full).exp().clamp(0.0, 1.0);
        let p_abandon = if chain.theta > 0.0 && lambda > 0.0 {
            ((ln_length + ln_full).exp() * chain.theta / lambda).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let occupancy = if slots > 0.0 {
            (((ln_in_service + ln_full).exp() + slots * p_wait) / slots).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let at_once = (ln_below + ln_full).exp();
        let late = self.late_in_time(&chain, ln_full, within.get(), whole.as_ref());
        let asa_seconds = with_asa.then(|| {
            let (r, theta) = (chain.full_rate, chain.theta);
            let waited = match &whole {
                // π_S·R·(1/θ²)·Σ tₙHₙ/(c+1): the series' terms over (c+1) are the τₙ.
                Some(w) => (ln_full + r.ln() - 2.0 * theta.ln() + w.ln_harmonic()
                    - (r / theta + 1.0).ln())
                .exp(),
                None => {
                    let gap = r - lambda;
                    ln_full.exp() * r / (gap * gap)
                }
            };
            let served = 1.0 - p_abandon;
            if served > 0.0 {
                (waited / served).max(0.0)
            } else {
                0.0
            }
        });
        Ok(QueueMetrics {
            agents,
            offered_load,
            p_wait,
            service_level: (at_once + late).clamp(0.0, 1.0),
            asa_seconds,
            occupancy,
            p_abandon,
        })
    }

    /// P(wait, answered within `t`): `π_S·R·∫₀ᵗ exp(x(1−e^{−θv}) − (R+θ)v) dv` with
    /// `ln π_S = ln_full`.
    fn late_in_time(&self, chain: &Chain, ln_full: f64, t: f64, whole: Option<&Confluent>) -> f64 {
        let (lambda, r, theta) = (chain.lambda, chain.full_rate, chain.theta);
        if t <= 0.0 || r <= 0.0 {
            return 0.0;
        }
        if theta == 0.0 {
            // The Erlang C closed form.
            let gap = r - lambda;
            return ln_full.exp() * r * -(-gap * t).exp_m1() / gap;
        }
        let (c, x) = (r / theta, lambda / theta);
        if let Some(late) = late_in_overload(ln_full, c, x, theta * t) {
            return late;
        }
        let whole = whole
            .copied()
            .unwrap_or_else(|| Confluent::new(c + 1.0, x, false));
        let ln_e = -(c + 1.0) * theta * t - x * (-theta * t).exp_m1();
        let shrink = (-theta * t).exp();
        let beyond = match whole.shrunk {
            Some((w, ln_small)) if w == shrink => ln_small,
            _ => Confluent::ln_sum_only(c + 1.0, x * shrink),
        };
        let ratio = (ln_e + beyond - whole.ln_sum()).exp();
        if ratio < 0.999 {
            (ln_full + (c / (c + 1.0)).ln() + whole.ln_sum()).exp() * (1.0 - ratio)
        } else {
            // Most of the waiting is past `t`: the difference would cancel.
            birth_death::wait_integral(chain, ln_full, t)
        }
    }
}

/// The wait integral where the waiting-time kernel still climbs at `t` (`x·e^{−θt}` well above
/// `c + 1`): with `a = c + 1` and `F` of [`ln_upper_gamma`], the difference of the two series is
/// `a·[E·F(a, x·e^{−θt}) − F(a, x)]` (their `G` parts cancel exactly), so
/// `late = π_S·c·E·F(a, x·e^{−θt})·(1 − q)`, `q = F(a, x)/(E·F(a, x·e^{−θt}))`, with
/// `ln E = x·(1 − e^{−θt}) − a·θt` the kernel's climb over `[0, t]`. `None` where the kernel does
/// not climb enough for `1 − q` to keep its digits (`q > ½`).
fn late_in_overload(ln_full: f64, c: f64, x: f64, theta_t: f64) -> Option<f64> {
    let a = c + 1.0;
    let at_t = x * (-theta_t).exp();
    if !well_above(a, at_t) {
        return None;
    }
    let ln_e = -x * (-theta_t).exp_m1() - a * theta_t;
    let ln_f_t = ln_upper_gamma(a, at_t)?;
    let ln_q = ln_upper_gamma(a, x)? - ln_e - ln_f_t;
    (ln_q < -std::f64::consts::LN_2)
        .then(|| (ln_full + c.ln() + ln_e + ln_f_t + (-ln_q.exp()).ln_1p()).exp())
}

/// The fewest agents that meet `target`. Service level and abandonment improve and occupancy
/// falls with every added agent, so the answer is bracketed by galloping from a first guess and
/// then found by bisection, every probe a point of one [`Sweep`]. For Erlang A the guess is the
/// Erlang C answer (one cheap recursion), which is usually within a few agents.
pub fn required_agents(queue: &Queue, target: &StaffingTarget) -> Result<QueueMetrics, QueueError> {
    let a = queue.offered_load().0;
    let guess = match queue.model() {
        // The load in agents at full concurrency, each session slowed by the others.
        QueueModel::Chat {
            max_sessions,
            slowdown,
            ..
        } => {
            let k = f64::from(max_sessions);
            (a * (1.0 + slowdown * (k - 1.0)) / k).ceil() as u32
        }
        _ => {
            let erlang_c = Queue::new(
                queue.arrivals_per_second(),
                queue.aht(),
                QueueModel::ErlangC,
            )?;
            let without_abandon_cap = StaffingTarget {
                max_abandon: None,
                ..*target
            };
            super::erlang::required_agents(&erlang_c, &without_abandon_cap)
                .map_or(a.ceil() as u32, |m| m.agents)
        }
    }
    .clamp(1, MAX_AGENTS);
    // A better start: the unmet share `1 − SL` falls about exponentially with the agents above
    // the load, so a secant step on `ln(1 − SL)` from the guess, then inverse quadratic steps,
    // land within an agent or two of where the service level crosses the target.
    // The second point: Erlang A's answer lies well below Erlang C's (abandonment takes load
    // off), chat's near its guess.
    let spacing = match queue.model() {
        QueueModel::Chat { .. } => 0.5,
        _ => 2.0,
    };
    let d = ((a.sqrt() * spacing).ceil() as u32).max(1);
    let mut sweep = Sweep::reaching_down_to(queue, guess.saturating_sub(4 * d + 8));
    let mut seen: Vec<(u32, QueueMetrics)> = Vec::new();
    let start = {
        let mut at = |n: u32| {
            let m = sweep.metrics_with(n, target.answer_within, false).ok();
            if let Some(m) = m {
                seen.push((n, m));
            }
            m
        };
        let y = |m: &QueueMetrics| (1.0 - m.service_level).max(1e-300).ln();
        let goal = (1.0 - target.service_level).ln();
        // The points of the search, latest last: a secant step from the first two, then inverse
        // quadratic interpolation through the latest three (the curve bends).
        let mut points: Vec<(f64, f64)> = Vec::with_capacity(5);
        if let (Some(g), Some(h)) = (at(guess), at(guess.saturating_sub(d).max(1)))
            && g.service_level > h.service_level
            && guess > d
        {
            points.extend([(f64::from(guess), y(&g)), (f64::from(guess - d), y(&h))]);
        }
        let mut start = guess;
        for _ in 0..3 {
            let [.., (n1, y1), (n2, y2)] = points[..] else {
                break;
            };
            let secant = n2 + (goal - y2) * (n2 - n1) / (y2 - y1);
            let next = match points[..] {
                [.., (n0, y0), _, _] if y0 != y1 && y0 != y2 && y1 != y2 => {
                    let quadratic = n0 * (goal - y1) * (goal - y2) / ((y0 - y1) * (y0 - y2))
                        + n1 * (goal - y0) * (goal - y2) / ((y1 - y0) * (y1 - y2))
                        + n2 * (goal - y0) * (goal - y1) / ((y2 - y0) * (y2 - y1));
                    if quadratic.is_finite() {
                        quadratic
                    } else {
                        secant
                    }
                }
                _ => secant,
            };
            if !next.is_finite() {
                break;
            }
            let next = next.round().clamp(1.0, f64::from(guess) + f64::from(4 * d));
            if (next - n2).abs() <= 1.0 {
                // The crossing is next to the last point: stepping from it (already evaluated)
                // costs one probe when the answer is there or one beside it.
                start = n2 as u32;
                break;
            }
            start = next as u32;
            match at(start) {
                Some(m) if m.service_level > 0.0 => points.push((next, y(&m))),
                _ => break,
            }
        }
        start.clamp(1, MAX_AGENTS)
    };
    let mut meets = |n: u32| -> bool {
        if let Some((_, m)) = seen.iter().find(|(k, _)| *k == n) {
            return target.is_met_by(m);
        }
        match sweep.metrics_with(n, target.answer_within, false) {
            Ok(m) => {
                let ok = target.is_met_by(&m);
                seen.push((n, m));
                ok
            }
            Err(_) => false,
        }
    };
    // Steps of one from there (the answer is usually that close), then galloping; invariant after
    // bracketing: `lo` fails (or is `None`: nothing below `hi` fails), `hi` meets.
    let step_after = |k: u32| if k < 3 { 1 } else { 1_u32 << (k - 2).min(30) };
    let (mut lo, mut hi): (Option<u32>, u32);
    if meets(start) {
        hi = start;
        lo = None;
        let mut k = 0;
        while hi > 0 {
            let probe = hi.saturating_sub(step_after(k));
            if meets(probe) {
                hi = probe;
                k += 1;
            } else {
                lo = Some(probe);
                break;
            }
        }
    } else {
        let mut failed = start;
        let mut k = 0;
        loop {
            if failed >= MAX_AGENTS {
                let m = queue.evaluate(MAX_AGENTS, target.answer_within)?;
                return Err(QueueError::TargetUnreachable {
                    limit: MAX_AGENTS,
                    reason: format!(
                        "service level {:.4}, abandonment {:.4}, occupancy {:.4}",
                        m.service_level, m.p_abandon, m.occupancy
                    ),
                });
            }
            let probe = failed.saturating_add(step_after(k)).min(MAX_AGENTS);
            if meets(probe) {
                hi = probe;
                lo = Some(failed);
                break;
            }
            failed = probe;
            k += 1;
        }
    }
    if let Some(mut lo) = lo {
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if meets(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
    }
    sweep.metrics(hi, target.answer_within)
}

/// Metrics for every number of agents in `from..=to` (unstable queues as errors), in one pass.
pub fn sweep(
    queue: &Queue,
    within: Seconds,
    from: u32,
    to: u32,
) -> Vec<Result<QueueMetrics, QueueError>> {
    match queue.model() {
        QueueModel::ErlangC => (from..=to)
            .map(|n| super::erlang::erlang_c(queue, n, within))
            .collect(),
        _ => {
            let mut s = Sweep::new(queue);
            (from..=to)
                .map(|n| s.metrics_with(n, within, false))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queueing::reference;
    use proptest::prelude::*;

    fn secs(v: f64) -> Seconds {
        Seconds::new(v).expect("a duration")
    }

    /// Relative error, or absolute below 1e-12 (figures that are nearly zero).
    fn close(got: f64, want: f64, tolerance: f64) -> bool {
        (got - want).abs() <= tolerance * want.abs().max(1e-12 / tolerance * 1e-12).max(1e-300)
            || (got - want).abs() < 1e-14
    }

    /// The sweep against the chain, with the mean wait and without it (the overloaded closed
    /// forms serve only the latter).
    fn agree(queue: &Queue, n: u32, within: Seconds, tolerance: f64) -> Result<(), String> {
        agree_with(queue, n, within, tolerance, true)?;
        agree_with(queue, n, within, tolerance, false)
    }

    fn agree_with(
        queue: &Queue,
        n: u32,
        within: Seconds,
        tolerance: f64,
        with_asa: bool,
    ) -> Result<(), String> {
        let exact = birth_death::evaluate(queue, n, within);
        let fast = Sweep::new(queue).metrics_with(n, within, with_asa);
        match (exact, fast) {
            (Ok(e), Ok(f)) => {
                for (name, a, b) in [
                    ("service level", f.service_level, e.service_level),
                    ("p_wait", f.p_wait, e.p_wait),
                    ("p_abandon", f.p_abandon, e.p_abandon),
                    ("occupancy", f.occupancy, e.occupancy),
                    (
                        "asa",
                        f.asa_seconds.unwrap_or(0.0),
                        f.asa_seconds.and(e.asa_seconds).unwrap_or(0.0),
                    ),
                ] {
                    if !close(a, b, tolerance) {
                        return Err(format!(
                            "{name}: sweep {a:e}, chain {b:e} at {n} agents, {queue:?}"
                        ));
                    }
                }
                Ok(())
            }
            (Err(_), Err(_)) => Ok(()),
            (e, f) => Err(format!("{e:?} vs {f:?}")),
        }
    }

    #[test]
    fn the_sweep_matches_the_references() {
        for r in reference::ERLANG_A {
            let q = Queue::new(
                r.arrivals_per_second,
                secs(r.aht_seconds),
                QueueModel::ErlangA {
                    patience: secs(r.patience_seconds),
                },
            )
            .unwrap();
            let m = Sweep::new(&q)
                .metrics(r.agents, secs(r.target_seconds))
                .unwrap();
            for (name, got, want) in [
                ("p_wait", m.p_wait, r.p_wait),
                ("p_abandon", m.p_abandon, r.p_abandon),
                ("service level", m.service_level, r.service_level),
                ("asa", m.asa_seconds.unwrap(), r.asa_seconds),
            ] {
                assert!(
                    (got - want).abs() <= 1e-9 * want,
                    "{name}: {got:e} vs {want:e}, {r:?}"
                );
            }
        }
    }

    #[test]
    fn a_whole_curve_matches_the_chain_point_by_point() {
        let cases = [
            (
                QueueModel::ErlangA {
                    patience: secs(180.0),
                },
                40.0 / 300.0,
                300.0,
                20.0,
            ),
            (
                QueueModel::ErlangA {
                    patience: secs(60.0),
                },
                2.0,
                300.0,
                20.0,
            ),
            (
                QueueModel::ErlangA {
                    patience: secs(600.0),
                },
                0.02,
                600.0,
                45.0,
            ),
            (
                QueueModel::Chat {
                    max_sessions: 3,
                    slowdown: 0.25,
                    patience: Some(secs(120.0)),
                },
                0.3,
                400.0,
                60.0,
            ),
            (
                QueueModel::Chat {
                    max_sessions: 2,
                    slowdown: 0.0,
                    patience: None,
                },
                0.2,
                300.0,
                30.0,
            ),
            (
                QueueModel::Chat {
                    max_sessions: 4,
                    slowdown: 0.5,
                    patience: Some(secs(300.0)),
                },
                1.0,
                500.0,
                60.0,
            ),
        ];
        for (model, lambda, aht, t) in cases {
            let q = Queue::new(lambda, secs(aht), model).unwrap();
            let top = (q.offered_load().0 * 1.6) as u32 + 5;
            let all = sweep(&q, secs(t), 0, top);
            for (n, got) in (0..=top).zip(all) {
                let want = birth_death::evaluate(&q, n, secs(t));
                match (got, want) {
                    (Ok(g), Ok(w)) => {
                        assert!(
                            close(g.service_level, w.service_level, 1e-10),
                            "SL {n}: {g:?} {w:?}"
                        );
                        assert!(close(g.p_wait, w.p_wait, 1e-10), "p_wait {n}: {g:?} {w:?}");
                        assert!(
                            close(g.p_abandon, w.p_abandon, 1e-10),
                            "p_ab {n}: {g:?} {w:?}"
                        );
                        assert!(
                            close(g.occupancy, w.occupancy, 1e-10),
                            "occ {n}: {g:?} {w:?}"
                        );
                    }
                    (Err(_), Err(_)) => {}
                    (g, w) => panic!("{n}: {g:?} vs {w:?}"),
                }
            }
        }
    }

    #[test]
    fn the_overloaded_closed_forms_are_the_series() {
        for a in [1.0, 1.6, 3.0, 9.99, 10.0, 47.5, 500.0, 4000.0, 30_000.0] {
            let margin = 2.0 * f64::sqrt(a) + 4.0;
            for k in [1.0, 1.3, 2.0, 5.0, 40.0] {
                let z = a + k * margin;
                let series = Confluent::new(a, z, false);
                let closed = Confluent::overloaded(a, z).expect("well above");
                let ln_gap = (closed.ln_sum() - series.ln_sum()).abs();
                assert!(ln_gap < 1e-12, "ln S({a}, {z}): off by {ln_gap:e}");
                let weighted = (closed.ln_weighted() - series.ln_weighted()).abs();
                assert!(weighted < 1e-12, "ln Σ n·t({a}, {z}): off by {weighted:e}");
                assert!((Confluent::ln_sum_only(a, z) - series.ln_sum()).abs() < 1e-12);
                // The shrunk series summed alongside is the series at the shrunk argument.
                for w in [1.0, 0.9, 0.3] {
                    let (_, ln_small) = Confluent::with_shrunk(a, z, false, Some(w))
                        .shrunk
                        .expect("asked for");
                    let alone = Confluent::new(a, w * z, false).ln_sum();
                    assert!((ln_small - alone).abs() < 1e-12, "S({a}, {w}·{z})");
                }
            }
            assert!(Confluent::overloaded(a, a + 0.9 * margin).is_none());
        }
    }

    #[test]
    fn large_and_overloaded_queues_agree() {
        for (a, n) in [
            (19_900.0, 20_000),
            (19_990.5, 20_000),
            (2000.0, 1000),
            (500.0, 100),
            (5000.0, 5050),
        ] {
            for patience in [30.0, 180.0, 900.0] {
                let q = Queue::new(
                    a / 300.0,
                    secs(300.0),
                    QueueModel::ErlangA {
                        patience: secs(patience),
                    },
                )
                .unwrap();
                for t in [0.0, 5.0, 20.0, 120.0] {
                    agree(&q, n, secs(t), 1e-10).unwrap();
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn the_sweep_is_the_chain(
            a in 0.5_f64..800.0,
            frac in 0.4_f64..1.6,
            patience in 5.0_f64..900.0,
            t in 0.0_f64..120.0,
            sessions in 1_u32..5,
            slowdown in 0.0_f64..0.6,
            chat in any::<bool>(),
        ) {
            let model = if chat {
                QueueModel::Chat { max_sessions: sessions, slowdown, patience: Some(secs(patience)) }
            } else {
                QueueModel::ErlangA { patience: secs(patience) }
            };
            let q = Queue::new(a / 300.0, secs(300.0), model).unwrap();
            let n = ((a * frac / if chat { f64::from(sessions) } else { 1.0 }).round() as u32).max(1);
            prop_assert!(agree(&q, n, secs(t), 1e-10).is_ok(), "{:?}", agree(&q, n, secs(t), 1e-10));
        }
    }
}
