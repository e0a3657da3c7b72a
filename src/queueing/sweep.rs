//! Service curves of queues with abandonment (Erlang A) and of chat in one pass over the number of
//! agents: service level, P(wait), P(abandon) and occupancy for every `N` of a range, each from
//! the last without solving the chain again, and required agents found from the same pass.
//!
//! The birth–death chain of [`super::birth_death`] has, for `N` service slots, weights `w_m` on the
//! states below `N` that do not depend on `N` (for Erlang A; for chat, those up to `N` sessions),
//! so their sums are prefix sums carried from `N` to `N + 1`. What depends on `N` is the queue
//! above it and the waiting-time integral. Both have closed forms in one confluent series,
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
}

impl Confluent {
    /// The sums; `Σ tₙHₙ` only `with_harmonic` (it costs a second division per term).
    fn new(a: f64, z: f64, with_harmonic: bool) -> Confluent {
        let mut out = Confluent {
            sum: 0.0,
            weighted: 0.0,
            harmonic: 0.0,
            ln_scale: 0.0,
        };
        let peak = (z - a).max(0.0);
        let mut term = 1.0_f64;
        let mut n = 0.0_f64;
        let mut h = 1.0 / a;
        loop {
            out.sum += term;
            out.weighted += n * term;
            if with_harmonic {
                out.harmonic += h * term;
            }
            n += 1.0;
            term *= z / (a + n);
            if with_harmonic {
                h += 1.0 / (a + n);
            }
            if term > RESCALE_ABOVE {
                term /= RESCALE_ABOVE;
                out.sum /= RESCALE_ABOVE;
                out.weighted /= RESCALE_ABOVE;
                out.harmonic /= RESCALE_ABOVE;
                out.ln_scale += RESCALE_ABOVE.ln();
            }
            // Past the peak the terms fall faster than geometrically; `n·term` bounds the
            // weighted tail's next term.
            if term == 0.0
                || (n > peak
                    && term <= out.sum * 1e-18
                    && n * term <= out.weighted.max(out.sum) * 1e-18)
            {
                return out;
            }
        }
    }

    /// `ln S(a, z)` alone, for where only the sum is needed.
    fn ln_sum_only(a: f64, z: f64) -> f64 {
        let peak = (z - a).max(0.0);
        let (mut sum, mut term, mut n, mut ln_scale) = (0.0_f64, 1.0_f64, 0.0_f64, 0.0_f64);
        loop {
            sum += term;
            n += 1.0;
            term *= z / (a + n);
            if term > RESCALE_ABOVE {
                term /= RESCALE_ABOVE;
                sum /= RESCALE_ABOVE;
                ln_scale += RESCALE_ABOVE.ln();
            }
            if term == 0.0 || (n > peak && term <= sum * 1e-18) {
                return sum.ln() + ln_scale;
            }
        }
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

/// Prefix sums of the chain's weights over the states whose rates do not depend on `N`, grown as
/// far as asked. Values are kept at a common scale `e^{ln_scale}`.
struct Prefix {
    /// First state summed: states further below the peak weigh less than e^{−50} of it.
    first: u32,
    /// Completion rate of one contact (Erlang A) or one session alone at an agent (chat).
    mu: f64,
    lambda: f64,
    /// `w[m − first]`, `below[m − first] = Σ_{first ≤ k < m} w_k`, `in_service[…] = Σ k·w_k`.
    w: Vec<f64>,
    below: Vec<f64>,
    in_service: Vec<f64>,
    ln_scale: f64,
}

impl Prefix {
    fn new(first: u32, mu: f64, lambda: f64) -> Prefix {
        Prefix {
            first,
            mu,
            lambda,
            w: vec![1.0],
            below: vec![0.0],
            in_service: vec![0.0],
            ln_scale: 0.0,
        }
    }

    /// Grows the sums up to state `m`.
    fn reach(&mut self, m: u32) {
        let mut k = self.first + self.w.len() as u32 - 1;
        while k < m {
            let j = self.w.len() - 1;
            let (w, below, in_service) = (self.w[j], self.below[j], self.in_service[j]);
            let mut next = w * self.lambda / (f64::from(k + 1) * self.mu);
            self.below.push(below + w);
            self.in_service.push(in_service + f64::from(k) * w);
            if next > RESCALE_ABOVE {
                next /= RESCALE_ABOVE;
                for v in [&mut self.w, &mut self.below, &mut self.in_service] {
                    v.iter_mut().for_each(|x| *x /= RESCALE_ABOVE);
                }
                self.ln_scale += RESCALE_ABOVE.ln();
            }
            self.w.push(next);
            k += 1;
        }
    }

    /// `(w_m, Σ_{k<m} w_k, Σ_{k<m} k·w_k)` at the common scale.
    fn at(&mut self, m: u32) -> (f64, f64, f64) {
        self.reach(m);
        let j = (m - self.first) as usize;
        (self.w[j], self.below[j], self.in_service[j])
    }
}

/// Evaluates one queue at any number of agents from `lowest` up, sharing the work between them.
pub struct Sweep {
    queue: Queue,
    lowest: u32,
    prefix: Prefix,
}

impl Sweep {
    /// A sweep over `lowest` agents and more.
    pub fn new(queue: &Queue, lowest: u32) -> Sweep {
        let chain = Chain::for_queue(queue, lowest.max(1));
        let first = match chain.kind {
            SlotKind::Single { .. } => chain.first_relevant_state().min(lowest),
            SlotKind::Concurrent { .. } => 0,
        };
        let mu = 1.0 / queue.aht().get();
        Sweep {
            queue: *queue,
            lowest,
            prefix: Prefix::new(first, mu, queue.arrivals_per_second()),
        }
    }

    /// Service level (answered within `within`, over offered), P(wait), P(abandon), occupancy and
    /// the mean wait of answered contacts with `agents` agents (`agents ≥` the sweep's lowest):
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
        assert!(agents >= self.lowest, "a sweep evaluates its own range");
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
        // The states below the slots: shared prefix sums, then (chat) the states where sessions
        // double up, which depend on the number of agents.
        let (mut w_full, mut below, mut in_service) = match chain.kind {
            SlotKind::Single { .. } => self.prefix.at(chain.slots),
            SlotKind::Concurrent { .. } => self.prefix.at(agents.min(chain.slots)),
        };
        if let SlotKind::Concurrent { aht, slowdown, .. } = chain.kind {
            // Sessions spread evenly: with m = q·N + r, r agents hold q + 1 sessions and the
            // others q; the completion rate is r·f(q+1) + (N−r)·f(q), f(s) = s/AHT(s).
            let k = chain.slots / agents.max(1);
            let f: Vec<f64> = (0..=k + 1)
                .map(|s| {
                    if s == 0 {
                        0.0
                    } else {
                        f64::from(s) / (aht * (1.0 + slowdown * f64::from(s - 1)))
                    }
                })
                .collect();
            let nf = f64::from(agents);
            let mut w = w_full;
            let (mut q, mut r) = (1_usize, 0_u32);
            for m in agents..chain.slots {
                below += w;
                in_service += f64::from(m) * w;
                // The rate at m + 1 sessions.
                r += 1;
                if r == agents {
                    q += 1;
                    r = 0;
                }
                let rate = f64::from(r) * f[q + 1] + (nf - f64::from(r)) * f[q];
                w *= lambda / rate;
                if w > RESCALE_ABOVE {
                    // Only ratios of the three are used: scale them together.
                    w /= RESCALE_ABOVE;
                    below /= RESCALE_ABOVE;
                    in_service /= RESCALE_ABOVE;
                }
            }
            w_full = w;
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
        if w_full == 0.0 || !w_full.is_finite() {
            // The full state weighs nothing next to the states below it: nobody waits.
            let occupancy = if slots > 0.0 {
                in_service / below * (spread.in_service - spread.below).exp() / slots
            } else {
                0.0
            };
            return Ok(QueueMetrics {
                agents,
                offered_load,
                p_wait: 0.0,
                service_level: 1.0,
                asa_seconds: None,
                occupancy: occupancy.clamp(0.0, 1.0),
                p_abandon: 0.0,
            });
        }
        // In logs: the full state may weigh 1e−300 of the states below it.
        let ln_below = below.ln() - w_full.ln() + spread.below;
        let ln_in_service = in_service.ln() - w_full.ln() + spread.in_service;
        // Queued mass and length over π_S.
        // One series serves the queue, the wait integral and the mean wait: with `S⁺ = S(c+1, x)`
        // and its weighted sum `W⁺`, `S(c, x) = 1 + x/(c+1)·S⁺` and `Σ j·t_j = x/(c+1)·(W⁺ + S⁺)`.
        let whole = (chain.theta > 0.0).then(|| {
            let (a, z) = (chain.full_rate / chain.theta + 1.0, lambda / chain.theta);
            Confluent::new(a, z, with_asa)
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
        let whole = whole
            .copied()
            .unwrap_or_else(|| Confluent::new(c + 1.0, x, false));
        let ln_e = -(c + 1.0) * theta * t - x * (-theta * t).exp_m1();
        let beyond = Confluent::ln_sum_only(c + 1.0, x * (-theta * t).exp());
        let ratio = (ln_e + beyond - whole.ln_sum()).exp();
        if ratio < 0.999 {
            (ln_full + (c / (c + 1.0)).ln() + whole.ln_sum()).exp() * (1.0 - ratio)
        } else {
            // Most of the waiting is past `t`: the difference would cancel.
            birth_death::wait_integral(chain, ln_full, t)
        }
    }
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
    // the load, so one secant step on `ln(1 − SL)` from the guess lands within an agent or two
    // of where the service level crosses the target. The sweep starts below both probes, so it
    // is built once.
    let d = ((a.sqrt() / 2.0).ceil() as u32).max(1);
    let mut sweep = Sweep::new(queue, guess.saturating_sub(d + 8));
    let mut seen: Vec<(u32, QueueMetrics)> = Vec::new();
    let start = {
        let mut at = |n: u32| {
            if n < sweep.lowest {
                sweep = Sweep::new(queue, n);
            }
            let m = sweep.metrics_with(n, target.answer_within, false).ok();
            if let Some(m) = m {
                seen.push((n, m));
            }
            m
        };
        let y = |m: &QueueMetrics| (1.0 - m.service_level).max(1e-300).ln();
        let goal = (1.0 - target.service_level).ln();
        let mut points = match (at(guess), at(guess.saturating_sub(d).max(1))) {
            (Some(g), Some(h)) if g.service_level > h.service_level && guess > d => {
                Some([(f64::from(guess), y(&g)), (f64::from(guess - d), y(&h))])
            }
            _ => None,
        };
        let mut start = guess;
        // A few secant steps, each from the two latest points.
        for _ in 0..3 {
            let Some([(n1, y1), (n2, y2)]) = points else {
                break;
            };
            let next = n2 + (goal - y2) * (n2 - n1) / (y2 - y1);
            if !next.is_finite() {
                break;
            }
            let next = next.round().clamp(1.0, f64::from(guess) + f64::from(4 * d));
            start = next as u32;
            if (next - n2).abs() <= 1.0 {
                break;
            }
            points = at(start).map(|m| [(n2, y2), (next, y(&m))]);
        }
        start.clamp(1, MAX_AGENTS)
    };
    let mut meets = |n: u32| -> bool {
        if let Some((_, m)) = seen.iter().find(|(k, _)| *k == n) {
            return target.is_met_by(m);
        }
        if n < sweep.lowest {
            sweep = Sweep::new(queue, n);
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
    if hi < sweep.lowest {
        sweep = Sweep::new(queue, hi);
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
            let mut s = Sweep::new(queue, from);
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

    fn agree(queue: &Queue, n: u32, within: Seconds, tolerance: f64) -> Result<(), String> {
        let exact = birth_death::evaluate(queue, n, within);
        let fast = Sweep::new(queue, n.saturating_sub(3)).metrics(n, within);
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
                        e.asa_seconds.unwrap_or(0.0),
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
            let m = Sweep::new(&q, r.agents)
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
