//! Exact stationary analysis of queues with abandonment (Erlang A) and of chat with concurrency.
//!
//! Both are birth–death chains on the number `m` of contacts in the system: arrivals at rate `λ`;
//! below `S` service slots the death rate is the completion rate of the sessions in service; at and
//! above `S` it is `R + (m − S)·θ`, where `R` is the completion rate with every slot busy and `θ = 1 /
//! mean patience`. Erlang A (Palm; Garnett, Mandelbaum & Reiman 2002): `S = N`, death `min(m,N)·μ`.
//! Chat: `S = N·k` session slots, an agent with `s` sessions finishes them at rate `s / AHT(s)` with
//! `AHT(s) = AHT·(1 + slowdown·(s − 1))`; the rates below `S` are those of sessions spread evenly,
//! and the two sums over those states are then corrected to a router's least-loaded assignment
//! ([`super::least_loaded`]), which the queue above `S` does not depend on.
//!
//! P(wait) = P(m ≥ S) and P(abandon) = θ·E[queue]/λ come straight from the chain. The service level
//! (answered within `t`, over offered) needs the waiting-time law of a tagged FCFS contact that finds
//! `j` contacts queued ahead of it: it reaches a slot after `j + 1` phases of rates `R + iθ`
//! (`i = j … 0`) unless its own patience runs out first. Its chance to survive the phases telescopes to
//! `R / (R + (j+1)θ)`, and `e^{−θT}` of the phase total `T` is Beta(c+1, j+1) distributed with `c = R/θ`.
//! Summing over `j` with the chain's weights `π_{S+j} = π_S (λ/θ)^j / ((c+1)…(c+j))` collapses the
//! series to one smooth integral:
//!
//! `P(wait, answered within t) = π_S · R · ∫₀ᵗ exp(λ/θ·(1 − e^{−θv}) − (R + θ)·v) dv`,
//!
//! which for `θ → 0` is the Erlang C term `π_S·R·(1 − e^{−(R−λ)t})/(R − λ)`. The integrand is
//! log-concave, so adaptive Gauss–Legendre quadrature split at its peak reaches 1e−12 relative accuracy.
//! `scripts/reference_values.py` checks this against the per-`j` Beta sum at 50 digits.

use super::least_loaded;
use super::{Queue, QueueError, QueueMetrics, QueueModel, Seconds};
use std::sync::OnceLock;

/// Above this a running weight is rescaled, so products of many ratios never overflow.
const RESCALE_ABOVE: f64 = 1e250;

/// The chain's parameters for one number of agents.
#[derive(Debug, Clone, Copy)]
pub(super) struct Chain {
    pub(super) lambda: f64,
    /// Service slots: agents for voice, agents × sessions for chat.
    pub(super) slots: u32,
    /// Completion rate with every slot busy.
    pub(super) full_rate: f64,
    /// Abandonment rate per waiting contact (0 = infinitely patient).
    pub(super) theta: f64,
    pub(super) kind: SlotKind,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum SlotKind {
    /// One contact per agent at rate `mu` each.
    Single { mu: f64 },
    /// Sessions spread evenly over `agents`; `aht` at one session, `slowdown` per extra session.
    Concurrent {
        agents: u32,
        aht: f64,
        slowdown: f64,
    },
}

impl Chain {
    pub(super) fn for_queue(queue: &Queue, agents: u32) -> Chain {
        let lambda = queue.arrivals_per_second();
        let aht = queue.aht().get();
        match queue.model() {
            QueueModel::ErlangC => Chain {
                lambda,
                slots: agents,
                full_rate: f64::from(agents) / aht,
                theta: 0.0,
                kind: SlotKind::Single { mu: 1.0 / aht },
            },
            QueueModel::ErlangA { patience } => Chain {
                lambda,
                slots: agents,
                full_rate: f64::from(agents) / aht,
                theta: 1.0 / patience.get(),
                kind: SlotKind::Single { mu: 1.0 / aht },
            },
            QueueModel::Chat {
                max_sessions,
                slowdown,
                patience,
            } => {
                let k = f64::from(max_sessions);
                Chain {
                    lambda,
                    slots: agents.saturating_mul(max_sessions),
                    full_rate: f64::from(agents) * k / (aht * (1.0 + slowdown * (k - 1.0))),
                    theta: patience.map_or(0.0, |p| 1.0 / p.get()),
                    kind: SlotKind::Concurrent {
                        agents,
                        aht,
                        slowdown,
                    },
                }
            }
        }
    }

    /// Completion rate with `m ≤ slots` contacts in service.
    #[inline]
    pub(super) fn service_rate(&self, m: u32) -> f64 {
        match self.kind {
            SlotKind::Single { mu } => f64::from(m) * mu,
            SlotKind::Concurrent {
                agents,
                aht,
                slowdown,
            } => {
                let per_agent = |s: u32| {
                    if s == 0 {
                        0.0
                    } else {
                        f64::from(s) / (aht * (1.0 + slowdown * f64::from(s - 1)))
                    }
                };
                let q = m / agents;
                let r = m % agents;
                f64::from(r) * per_agent(q + 1) + f64::from(agents - r) * per_agent(q)
            }
        }
    }

    /// Where the weights start to matter: for single-slot agents the weights below the load follow a
    /// Poisson shape, and those more than `10√A + 10` below it weigh less than `e^{−50}` of the peak.
    pub(super) fn first_relevant_state(&self) -> u32 {
        match self.kind {
            SlotKind::Single { mu } => {
                let a = self.lambda / mu;
                let peak = a.min(f64::from(self.slots));
                let skip = 10.0 * a.sqrt() + 10.0;
                if peak > skip {
                    (peak - skip).floor() as u32
                } else {
                    0
                }
            }
            SlotKind::Concurrent { .. } => 0,
        }
    }

    /// Stationary sums, or `None` when the queue grows without bound (no patience, `λ ≥ R`).
    fn stationary(&self) -> Option<Stationary> {
        let lambda = self.lambda;
        let s = self.slots;
        if self.theta == 0.0 && lambda >= self.full_rate {
            return None;
        }
        let mut acc = Stationary::default();
        let mut w = 1.0;
        for m in self.first_relevant_state()..s {
            acc.below += w;
            acc.in_service_below += f64::from(m) * w;
            w *= lambda / self.service_rate(m + 1);
            if w > RESCALE_ABOVE {
                w /= RESCALE_ABOVE;
                acc.scale_down(RESCALE_ABOVE);
            }
        }
        if let SlotKind::Concurrent {
            agents,
            aht,
            slowdown,
        } = self.kind
        {
            let c = least_loaded::correction(agents, s / agents.max(1), slowdown, lambda * aht);
            acc.below *= c.below.exp();
            acc.in_service_below *= c.in_service.exp();
        }
        acc.at_full = w;
        acc.ln_at_full = w.ln();
        if self.theta == 0.0 {
            let rho = lambda / self.full_rate;
            acc.queued = w / (1.0 - rho);
            acc.queue_length = w * rho / ((1.0 - rho) * (1.0 - rho));
        } else {
            // Terms grow while λ > R + jθ, then fall faster than geometrically.
            let peak_j = ((lambda - self.full_rate) / self.theta).max(0.0);
            let mut j = 0.0_f64;
            let mut t = w;
            loop {
                acc.queued += t;
                acc.queue_length += j * t;
                j += 1.0;
                t *= lambda / (self.full_rate + j * self.theta);
                if t > RESCALE_ABOVE {
                    t /= RESCALE_ABOVE;
                    acc.scale_down(RESCALE_ABOVE);
                }
                if (j > peak_j && t <= acc.queued * 1e-18) || t == 0.0 {
                    break;
                }
            }
        }
        Some(acc)
    }
}

/// Unnormalised sums over the chain's states.
#[derive(Debug, Default, Clone, Copy)]
struct Stationary {
    /// Σ w_m for m < S (answered at once).
    below: f64,
    /// Σ m·w_m for m < S.
    in_service_below: f64,
    /// w_S.
    at_full: f64,
    /// ln w_S, kept in step with the rescaling: w_S itself underflows when the queue holds almost
    /// all of the mass (heavy overload with patient callers), yet the waiting-time law still needs it.
    ln_at_full: f64,
    /// Σ w_m for m ≥ S.
    queued: f64,
    /// Σ (m − S)·w_m for m ≥ S.
    queue_length: f64,
}

impl Stationary {
    fn scale_down(&mut self, by: f64) {
        self.below /= by;
        self.in_service_below /= by;
        self.at_full /= by;
        self.ln_at_full -= by.ln();
        self.queued /= by;
        self.queue_length /= by;
    }

    fn total(&self) -> f64 {
        self.below + self.queued
    }
}

/// The log-concave waiting-time kernel `g(v) = exp(ln π_S + ln R + λ/θ·(1 − e^{−θv}) − (R+θ)v)`.
struct WaitKernel {
    ln_front: f64,
    lambda: f64,
    full_rate: f64,
    theta: f64,
}

impl WaitKernel {
    fn exponent(&self, v: f64) -> f64 {
        let gain = if self.theta == 0.0 {
            self.lambda * v
        } else {
            // λ/θ·(1 − e^{−θv}) without cancellation for small θv.
            -(self.lambda / self.theta) * (-self.theta * v).exp_m1()
        };
        self.ln_front + gain - (self.full_rate + self.theta) * v
    }

    fn at(&self, v: f64) -> f64 {
        self.exponent(v).exp()
    }

    /// Where the kernel peaks: `λ e^{−θv} = R + θ`.
    fn peak(&self) -> f64 {
        if self.theta > 0.0 && self.lambda > self.full_rate + self.theta {
            (self.lambda / (self.full_rate + self.theta)).ln() / self.theta
        } else {
            0.0
        }
    }

    /// A point beyond which the kernel (times `v`) is negligible: 60 e-folds below its peak.
    fn negligible_after(&self) -> f64 {
        let peak = self.peak();
        let top = self.exponent(peak);
        let mut step = 1.0 / (self.full_rate + self.theta);
        let mut v = peak + step;
        while self.exponent(v) + v.max(1.0).ln() > top - 60.0 {
            step *= 2.0;
            v = peak + step;
        }
        v
    }

    /// ∫ₐᵇ g(v) dv (or ∫ v·g(v) dv), split at the peak.
    fn integral(&self, a: f64, b: f64, weight_by_v: bool) -> f64 {
        let f = |v: f64| {
            if weight_by_v {
                v * self.at(v)
            } else {
                self.at(v)
            }
        };
        // The exponent is a sum of terms as large as λ/θ and (R + θ)·b; their rounding error, relative
        // to the integrand, is a floor no refinement can get below.
        let noise = 16.0
            * f64::EPSILON
            * (self.ln_front.abs()
                + if self.theta > 0.0 {
                    self.lambda / self.theta
                } else {
                    self.lambda * b
                }
                + (self.full_rate + self.theta) * b);
        let tolerance = noise.max(1e-13);
        let peak = self.peak();
        if peak > a && peak < b {
            adaptive_gauss_legendre(&f, a, peak, tolerance)
                + adaptive_gauss_legendre(&f, peak, b, tolerance)
        } else {
            adaptive_gauss_legendre(&f, a, b, tolerance)
        }
    }
}

/// `P(wait, answered within t) = π_S·R·∫₀ᵗ exp(x(1−e^{−θv}) − (R+θ)v) dv` by adaptive quadrature,
/// with `ln π_S = ln_full` (for [`super::sweep`] where its closed form would cancel).
pub(super) fn wait_integral(chain: &Chain, ln_full: f64, t: f64) -> f64 {
    let kernel = WaitKernel {
        ln_front: ln_full + chain.full_rate.ln(),
        lambda: chain.lambda,
        full_rate: chain.full_rate,
        theta: chain.theta,
    };
    kernel.integral(0.0, t.min(kernel.negligible_after()), false)
}

/// Metrics for `agents` agents on a queue with patience or concurrency.
pub fn evaluate(
    queue: &Queue,
    agents: u32,
    answer_within: Seconds,
) -> Result<QueueMetrics, QueueError> {
    evaluate_with(queue, agents, answer_within, true)
}

/// As [`evaluate`]; without `with_asa` the mean wait (a second, wider integral) is left out
/// (`asa_seconds` is `None`), which is all a search for the required agents needs.
fn evaluate_with(
    queue: &Queue,
    agents: u32,
    answer_within: Seconds,
    with_asa: bool,
) -> Result<QueueMetrics, QueueError> {
    let chain = Chain::for_queue(queue, agents);
    let offered_load = queue.offered_load().0;
    let Some(st) = chain.stationary() else {
        return Err(QueueError::Unstable {
            offered_load,
            agents,
            capacity: chain.full_rate * queue.aht().get(),
        });
    };
    let total = st.total();
    let p_wait = (st.queued / total).clamp(0.0, 1.0);
    let lambda = chain.lambda;
    let p_abandon = if lambda > 0.0 && chain.theta > 0.0 {
        (chain.theta * st.queue_length / total / lambda).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let occupancy = if chain.slots == 0 {
        0.0
    } else {
        ((st.in_service_below + f64::from(chain.slots) * st.queued)
            / total
            / f64::from(chain.slots))
        .clamp(0.0, 1.0)
    };
    let answered_at_once = st.below / total;
    let p_full = st.at_full / total;
    let ln_p_full = st.ln_at_full - total.ln();

    let (answered_late_in_time, wait_of_answered) =
        if ln_p_full > f64::NEG_INFINITY && chain.full_rate > 0.0 {
            let kernel = WaitKernel {
                ln_front: ln_p_full + chain.full_rate.ln(),
                lambda,
                full_rate: chain.full_rate,
                theta: chain.theta,
            };
            let t = answer_within.get();
            if chain.theta == 0.0 {
                // Closed forms of the same integrals (Erlang C limit).
                let gap = chain.full_rate - lambda;
                let front = p_full * chain.full_rate;
                (front * -(-gap * t).exp_m1() / gap, front / (gap * gap))
            } else {
                let end = kernel.negligible_after();
                let in_time = if t > 0.0 {
                    kernel.integral(0.0, t.min(end), false)
                } else {
                    0.0
                };
                let wait = if with_asa {
                    kernel.integral(0.0, end, true)
                } else {
                    0.0
                };
                (in_time, wait)
            }
        } else {
            (0.0, 0.0)
        };
    let service_level = (answered_at_once + answered_late_in_time).clamp(0.0, 1.0);
    let p_served = 1.0 - p_abandon;
    let asa_seconds =
        if with_asa && p_served > 0.0 && (answered_at_once > 0.0 || wait_of_answered > 0.0) {
            Some((wait_of_answered / p_served).max(0.0))
        } else {
            None
        };
    Ok(QueueMetrics {
        agents,
        offered_load,
        p_wait,
        service_level,
        asa_seconds,
        occupancy,
        p_abandon,
    })
}

/// Gauss–Legendre nodes and weights on [−1, 1], by Newton's method on the Legendre polynomial.
fn gauss_legendre_rule() -> &'static [(f64, f64)] {
    const ORDER: usize = 12;
    static RULE: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    RULE.get_or_init(|| {
        let n = ORDER as f64;
        (0..ORDER)
            .map(|i| {
                let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n + 0.5)).cos();
                let mut derivative = 0.0;
                for _ in 0..100 {
                    let (mut p0, mut p1) = (1.0, x);
                    for k in 2..=ORDER {
                        let kf = k as f64;
                        let p2 = ((2.0 * kf - 1.0) * x * p1 - (kf - 1.0) * p0) / kf;
                        p0 = p1;
                        p1 = p2;
                    }
                    derivative = n * (x * p1 - p0) / (x * x - 1.0);
                    let dx = p1 / derivative;
                    x -= dx;
                    if dx.abs() < 1e-16 {
                        break;
                    }
                }
                (x, 2.0 / ((1.0 - x * x) * derivative * derivative))
            })
            .collect()
    })
}

fn gauss_legendre(f: &dyn Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    let half = 0.5 * (b - a);
    let mid = 0.5 * (a + b);
    gauss_legendre_rule()
        .iter()
        .map(|&(x, w)| w * f(mid + half * x))
        .sum::<f64>()
        * half
}

/// Adaptive bisection until a panel and its two halves agree to `relative` of the whole.
fn adaptive_gauss_legendre(f: &dyn Fn(f64) -> f64, a: f64, b: f64, relative: f64) -> f64 {
    if b <= a {
        return 0.0;
    }
    // A coarse pass sets the absolute tolerance.
    let panels = 16;
    let width = (b - a) / f64::from(panels);
    let coarse: Vec<f64> = (0..panels)
        .map(|i| gauss_legendre(f, a + f64::from(i) * width, a + f64::from(i + 1) * width))
        .collect();
    let tolerance =
        coarse.iter().sum::<f64>().abs() * relative / f64::from(panels) + f64::MIN_POSITIVE;
    (0..panels)
        .map(|i| {
            let lo = a + f64::from(i) * width;
            refine(f, lo, lo + width, coarse[i as usize], tolerance, 0)
        })
        .sum()
}

fn refine(f: &dyn Fn(f64) -> f64, a: f64, b: f64, whole: f64, tolerance: f64, depth: u32) -> f64 {
    let mid = 0.5 * (a + b);
    let left = gauss_legendre(f, a, mid);
    let right = gauss_legendre(f, mid, b);
    if (left + right - whole).abs() <= tolerance || depth >= 30 {
        return left + right;
    }
    refine(f, a, mid, left, tolerance / 2.0, depth + 1)
        + refine(f, mid, b, right, tolerance / 2.0, depth + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queueing::{StaffingTarget, erlang, reference};
    use proptest::prelude::*;

    fn secs(v: f64) -> Seconds {
        Seconds::new(v).unwrap()
    }

    fn rel_err(got: f64, want: f64) -> f64 {
        if want == 0.0 {
            got.abs()
        } else {
            ((got - want) / want).abs()
        }
    }

    #[test]
    fn gauss_legendre_integrates_exactly() {
        let i = adaptive_gauss_legendre(&|x: f64| x.exp(), 0.0, 3.0, 1e-13);
        assert!(rel_err(i, 3.0_f64.exp() - 1.0) < 1e-14);
        let weights: f64 = gauss_legendre_rule().iter().map(|&(_, w)| w).sum();
        assert!((weights - 2.0).abs() < 1e-14);
    }

    /// Erlang A against 50-digit values from the per-`j` regularised incomplete Beta sum
    /// (`scripts/reference_values.py`), an independent route to the same quantities.
    #[test]
    fn erlang_a_matches_high_precision_reference() {
        for r in reference::ERLANG_A {
            let q = Queue::new(
                r.arrivals_per_second,
                secs(r.aht_seconds),
                QueueModel::ErlangA {
                    patience: secs(r.patience_seconds),
                },
            )
            .unwrap();
            let m = evaluate(&q, r.agents, secs(r.target_seconds)).unwrap();
            let ctx = format!("{r:?} → {m:?}");
            assert!(rel_err(m.p_wait, r.p_wait) < 1e-9, "p_wait {ctx}");
            assert!(rel_err(m.p_abandon, r.p_abandon) < 1e-9, "p_abandon {ctx}");
            assert!(
                rel_err(m.service_level, r.service_level) < 1e-9,
                "service level {ctx}"
            );
            assert!(
                rel_err(m.asa_seconds.unwrap(), r.asa_seconds) < 1e-9,
                "asa {ctx}"
            );
        }
    }

    #[test]
    fn without_patience_the_chain_is_erlang_c() {
        for &(n, a, _) in reference::ERLANG_C {
            let aht = 300.0;
            let chat_one = Queue::new(
                a / aht,
                secs(aht),
                QueueModel::Chat {
                    max_sessions: 1,
                    slowdown: 0.0,
                    patience: None,
                },
            )
            .unwrap();
            let erlang_c = Queue::new(a / aht, secs(aht), QueueModel::ErlangC).unwrap();
            let chain = evaluate(&chat_one, n, secs(20.0)).unwrap();
            let closed = erlang::erlang_c(&erlang_c, n, secs(20.0)).unwrap();
            assert!(
                rel_err(chain.p_wait, closed.p_wait) < 1e-9,
                "{n} {a}: {chain:?} {closed:?}"
            );
            assert!(rel_err(chain.service_level, closed.service_level) < 1e-9);
            assert!(rel_err(chain.asa_seconds.unwrap(), closed.asa_seconds.unwrap()) < 1e-9);
            assert!(rel_err(chain.occupancy, closed.occupancy) < 1e-9);
        }
    }

    #[test]
    fn very_patient_customers_approach_erlang_c() {
        let c = Queue::per_hour(360.0, secs(240.0), QueueModel::ErlangC).unwrap();
        let a = Queue::per_hour(
            360.0,
            secs(240.0),
            QueueModel::ErlangA {
                patience: secs(1e9),
            },
        )
        .unwrap();
        let mc = erlang::erlang_c(&c, 28, secs(20.0)).unwrap();
        let ma = evaluate(&a, 28, secs(20.0)).unwrap();
        assert!(
            rel_err(ma.service_level, mc.service_level) < 1e-5,
            "{ma:?} {mc:?}"
        );
        assert!(rel_err(ma.p_wait, mc.p_wait) < 1e-5);
    }

    #[test]
    fn conservation_answered_plus_abandoned_is_offered() {
        // Everyone is answered at once, answered after waiting, or abandons.
        let q = Queue::per_hour(
            1200.0,
            secs(300.0),
            QueueModel::ErlangA {
                patience: secs(120.0),
            },
        )
        .unwrap();
        for n in [60, 90, 100, 110, 130] {
            let m = evaluate(&q, n, secs(1e7)).unwrap();
            assert!(
                (m.service_level + m.p_abandon - 1.0).abs() < 1e-10,
                "{n}: {m:?}"
            );
        }
    }

    #[test]
    fn overloaded_erlang_a_is_stable_and_finite() {
        // 20,000 Erlangs on 15,000 agents: a third of callers abandon; nothing overflows.
        let q = Queue::new(
            20_000.0 / 300.0,
            secs(300.0),
            QueueModel::ErlangA {
                patience: secs(60.0),
            },
        )
        .unwrap();
        let m = evaluate(&q, 15_000, secs(20.0)).unwrap();
        // Fluid limit: the 15,000 agents answer 50 of the 66.7 calls a second, so a quarter abandon.
        assert!((m.p_abandon - 0.25).abs() < 0.005, "{m:?}");
        assert!(m.p_wait > 0.99, "{m:?}");
        assert!(m.service_level < 1.0 - m.p_abandon);
        assert!(m.asa_seconds.unwrap().is_finite());
        let zero = evaluate(&q, 0, secs(20.0)).unwrap();
        assert_eq!(zero.service_level, 0.0);
        assert!((zero.p_abandon - 1.0).abs() < 1e-12);
        assert_eq!(zero.asa_seconds, None);
    }

    #[test]
    fn erlang_a_needs_fewer_agents_than_erlang_c() {
        let target = StaffingTarget::new(secs(20.0), 0.8, None, None).unwrap();
        let c = Queue::per_hour(1800.0, secs(300.0), QueueModel::ErlangC).unwrap();
        let a = Queue::per_hour(
            1800.0,
            secs(300.0),
            QueueModel::ErlangA {
                patience: secs(180.0),
            },
        )
        .unwrap();
        let nc = erlang::required_agents(&c, &target).unwrap().agents;
        let na = a.required_agents(&target).unwrap().agents;
        assert!(na < nc, "Erlang A {na} vs Erlang C {nc}");
        assert!(evaluate(&a, na - 1, secs(20.0)).unwrap().service_level < 0.8);
    }

    /// The galloping search returns the first N that meets the target, checked by a linear scan,
    /// across loads, very short and long patience, abandonment and occupancy caps, and chat.
    #[test]
    fn required_agents_is_the_first_that_meets_the_target() {
        let models = [
            QueueModel::ErlangA {
                patience: secs(5.0),
            },
            QueueModel::ErlangA {
                patience: secs(180.0),
            },
            QueueModel::ErlangA {
                patience: secs(3600.0),
            },
            QueueModel::Chat {
                max_sessions: 3,
                slowdown: 0.25,
                patience: Some(secs(240.0)),
            },
        ];
        let targets = [
            StaffingTarget::new(secs(20.0), 0.8, None, None).unwrap(),
            StaffingTarget::new(secs(20.0), 0.5, None, Some(0.01)).unwrap(),
            StaffingTarget::new(secs(60.0), 0.9, Some(0.85), Some(0.05)).unwrap(),
        ];
        for model in models {
            for per_hour in [3.0, 40.0, 360.0, 2400.0] {
                let q = Queue::per_hour(per_hour, secs(300.0), model).unwrap();
                for target in &targets {
                    let got = q.required_agents(target).unwrap();
                    let first = (0..)
                        .find(|&n| {
                            evaluate(&q, n, target.answer_within)
                                .is_ok_and(|m| target.is_met_by(&m))
                        })
                        .unwrap();
                    assert_eq!(got.agents, first, "{model:?}, {per_hour}/h, {target:?}");
                    assert!(got.asa_seconds.is_some());
                }
            }
        }
    }

    #[test]
    fn chat_concurrency_needs_fewer_agents_than_one_session_each() {
        let target = StaffingTarget::new(secs(30.0), 0.8, None, None).unwrap();
        let model = |k| QueueModel::Chat {
            max_sessions: k,
            slowdown: 0.25,
            patience: Some(secs(300.0)),
        };
        let one = Queue::per_hour(600.0, secs(480.0), model(1)).unwrap();
        let three = Queue::per_hour(600.0, secs(480.0), model(3)).unwrap();
        let n1 = one.required_agents(&target).unwrap().agents;
        let n3 = three.required_agents(&target).unwrap().agents;
        assert!(n3 < n1, "{n3} vs {n1}");
        // Slowdown makes concurrency worth less than a factor of three.
        assert!(f64::from(n3) > f64::from(n1) / 3.0, "{n3} vs {n1}");
    }

    #[test]
    fn chat_service_rate_is_balanced() {
        let chain = Chain {
            lambda: 1.0,
            slots: 6,
            full_rate: 0.0,
            theta: 0.0,
            kind: SlotKind::Concurrent {
                agents: 2,
                aht: 100.0,
                slowdown: 0.5,
            },
        };
        // 3 sessions on 2 agents: one agent with 2 (each 150 s), one with 1 (100 s).
        assert!((chain.service_rate(3) - (2.0 / 150.0 + 1.0 / 100.0)).abs() < 1e-15);
        assert_eq!(chain.service_rate(0), 0.0);
    }

    #[test]
    fn chat_without_patience_can_be_unstable() {
        let q = Queue::per_hour(
            600.0,
            secs(480.0),
            QueueModel::Chat {
                max_sessions: 2,
                slowdown: 0.0,
                patience: None,
            },
        )
        .unwrap();
        // 80 Erlangs of sessions on 40 agents × 2 sessions.
        assert!(matches!(
            evaluate(&q, 40, secs(30.0)),
            Err(QueueError::Unstable { .. })
        ));
        assert!(evaluate(&q, 41, secs(30.0)).is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn abandonment_falls_with_patience(a in 1.0_f64..300.0, frac in 0.6_f64..1.3, p in 10.0_f64..600.0) {
            let n = (a * frac).ceil() as u32;
            let q1 = Queue::new(a / 300.0, secs(300.0), QueueModel::ErlangA { patience: secs(p) }).unwrap();
            let q2 = Queue::new(a / 300.0, secs(300.0), QueueModel::ErlangA { patience: secs(p * 1.5) }).unwrap();
            let m1 = evaluate(&q1, n, secs(20.0)).unwrap();
            let m2 = evaluate(&q2, n, secs(20.0)).unwrap();
            prop_assert!(m2.p_abandon <= m1.p_abandon + 1e-12, "{m1:?} {m2:?}");
        }

        #[test]
        fn erlang_a_improves_with_agents(a in 1.0_f64..500.0, frac in 0.5_f64..1.5, p in 10.0_f64..600.0, t in 0.0_f64..120.0) {
            let n = (a * frac).ceil() as u32;
            let q = Queue::new(a / 240.0, secs(240.0), QueueModel::ErlangA { patience: secs(p) }).unwrap();
            let m1 = evaluate(&q, n, secs(t)).unwrap();
            let m2 = evaluate(&q, n + 1, secs(t)).unwrap();
            prop_assert!(m2.service_level >= m1.service_level - 1e-12, "{m1:?} {m2:?}");
            prop_assert!(m2.p_abandon <= m1.p_abandon + 1e-12);
            prop_assert!(m2.p_wait <= m1.p_wait + 1e-12);
            for m in [m1, m2] {
                for v in [m.p_wait, m.service_level, m.p_abandon, m.occupancy] {
                    prop_assert!(v.is_finite() && (0.0..=1.0).contains(&v));
                }
                prop_assert!(m.asa_seconds.unwrap().is_finite());
            }
        }
    }
}
