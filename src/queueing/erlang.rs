//! Erlang B and Erlang C (M/M/N).
//!
//! Everything goes through the reciprocal of the Erlang B blocking probability,
//! `x_k = 1 / B(k, A)`, with the recursion `x_k = 1 + (k / A) · x_{k−1}`, `x_0 = 1`. It never divides by
//! a small number, needs no factorials and works for non-integer loads. Erlang C follows as
//! `C = N / ((N − A) · x_N + A)`, the Erlang B identity `C = N·B / (N − A(1 − B))` rearranged.
//!
//! Speed: for large loads the recursion starts below `A` at `k₀ = A − 10√A − 10` from the rough value
//! `x ≈ A / (A − k₀)`. Every step below `A` multiplies the error of the start value by `k / A < 1`, and the
//! product over the skipped stretch is below `e^{−50}`, so the result is exact to machine precision while
//! the work drops from `A` steps to about `10√A`.

use super::{MAX_AGENTS, Queue, QueueError, QueueMetrics, Seconds, StaffingTarget};

/// Where the recursion for `1 / B(·, A)` may start, and the value there.
fn recursion_start(a: f64) -> (u32, f64) {
    let skip = 10.0 * a.sqrt() + 10.0;
    if a <= skip {
        return (0, 1.0);
    }
    let k0 = (a - skip).floor();
    (k0 as u32, a / (a - k0))
}

/// `1 / B(n, a)`; may be `+∞` when blocking underflows (`B < 1e−308`), which every caller handles.
fn inverse_erlang_b(n: u32, a: f64) -> f64 {
    if a == 0.0 {
        return f64::INFINITY;
    }
    let (k0, mut x) = recursion_start(a);
    if n < k0 {
        // Far below the load the start value is not converged; recurse from zero.
        return advance(1.0, 0, n, a);
    }
    x = advance(x, k0, n, a);
    x
}

/// Runs the recursion from `x = 1/B(from, a)` up to `1/B(to, a)`.
#[inline]
fn advance(mut x: f64, from: u32, to: u32, a: f64) -> f64 {
    let inv_a = 1.0 / a;
    for k in from + 1..=to {
        x = 1.0 + f64::from(k) * inv_a * x;
    }
    x
}

/// Erlang B blocking probability for `n` servers and offered load `a` Erlangs.
pub fn erlang_b(n: u32, a: f64) -> f64 {
    if a == 0.0 {
        return if n == 0 { 1.0 } else { 0.0 };
    }
    1.0 / inverse_erlang_b(n, a)
}

/// Erlang C probability of waiting, or `None` when the queue is unstable (`a ≥ n`).
pub fn erlang_c_p_wait(n: u32, a: f64) -> Option<f64> {
    let nf = f64::from(n);
    if a >= nf {
        return None;
    }
    if a == 0.0 {
        return Some(0.0);
    }
    Some(p_wait_from_inverse_b(nf, a, inverse_erlang_b(n, a)))
}

#[inline]
fn p_wait_from_inverse_b(n: f64, a: f64, x: f64) -> f64 {
    // x = +∞ gives 0, the right limit.
    n / ((n - a) * x + a)
}

#[inline]
fn metrics(n: u32, a: f64, p_wait: f64, aht: f64, t: f64) -> QueueMetrics {
    let nf = f64::from(n);
    let service_level = (1.0 - p_wait * (-(nf - a) * t / aht).exp()).clamp(0.0, 1.0);
    QueueMetrics {
        agents: n,
        offered_load: a,
        p_wait,
        service_level,
        asa_seconds: Some(p_wait * aht / (nf - a)),
        occupancy: a / nf,
        p_abandon: 0.0,
    }
}

/// Erlang C metrics for `n` agents: P(wait), service level `P(W ≤ t) = 1 − C·e^{−(N−A)t/AHT}`,
/// ASA `= C·AHT/(N − A)`, occupancy `A/N`.
pub fn erlang_c(queue: &Queue, n: u32, answer_within: Seconds) -> Result<QueueMetrics, QueueError> {
    let a = queue.offered_load().0;
    let aht = queue.aht().get();
    match erlang_c_p_wait(n, a) {
        Some(c) => Ok(metrics(n, a, c, aht, answer_within.get())),
        None => Err(QueueError::Unstable {
            offered_load: a,
            agents: n,
            capacity: f64::from(n),
        }),
    }
}

/// The fewest agents for which Erlang C meets `target`.
///
/// Service level, P(wait) and occupancy all improve with every added agent, so the first `N` above the
/// load that meets the target is the answer. The scan carries the Erlang B recursion along, one
/// multiply-add per step.
pub fn required_agents(queue: &Queue, target: &StaffingTarget) -> Result<QueueMetrics, QueueError> {
    let a = queue.offered_load().0;
    let aht = queue.aht().get();
    let t = target.answer_within.get();
    // Erlang C has no abandonment, so a maximum abandonment rate is always met.
    let mut n = a.floor() as u64 + 1;
    if let Some(max_occ) = target.max_occupancy {
        n = n.max((a / max_occ).ceil() as u64);
    }
    if a == 0.0 {
        n = n.max(1);
    }
    if n > u64::from(MAX_AGENTS) {
        return Err(QueueError::TargetUnreachable {
            limit: MAX_AGENTS,
            reason: format!("the offered load is {a:.1} Erlangs"),
        });
    }
    let mut n = n as u32;
    let mut x = inverse_erlang_b(n, a);
    let inv_a = if a > 0.0 { 1.0 / a } else { 0.0 };
    loop {
        let nf = f64::from(n);
        let c = if a == 0.0 {
            0.0
        } else {
            p_wait_from_inverse_b(nf, a, x)
        };
        let m = metrics(n, a, c, aht, t);
        if target.is_met_by(&m) {
            return Ok(m);
        }
        if n >= MAX_AGENTS {
            return Err(QueueError::TargetUnreachable {
                limit: MAX_AGENTS,
                reason: format!("service level {:.4} at the limit", m.service_level),
            });
        }
        n += 1;
        x = 1.0 + f64::from(n) * inv_a * x;
    }
}

#[cfg(test)]
#[allow(clippy::excessive_precision)] // reference values keep every digit of the high-precision source
mod tests {
    use super::*;
    use crate::queueing::QueueModel;
    use proptest::prelude::*;

    fn rel_err(got: f64, want: f64) -> f64 {
        ((got - want) / want).abs()
    }

    /// Erlang B reference values computed with 60-digit rational arithmetic
    /// (`scripts/reference_values.py`, exact recursion in Python fractions / mpmath).
    #[test]
    fn erlang_b_matches_high_precision_reference() {
        let cases = [
            (1_u32, 1.0, 0.5),
            (10, 5.0, 0.018_384_570_336_648_133),
            (20, 15.0, 0.045_593_215_589_811_839),
            (100, 80.0, 3.992_028_604_553_197_5e-3),
            (1000, 950.0, 3.649_293_688_942_409_9e-3),
            (20000, 20000.0, 5.620_731_408_610_084_2e-3),
        ];
        for (n, a, want) in cases {
            let got = erlang_b(n, a);
            assert!(
                rel_err(got, want) < 1e-12,
                "B({n}, {a}) = {got}, want {want}"
            );
        }
    }

    /// Erlang C P(wait) against high-precision values (see `scripts/reference_values.py`).
    #[test]
    fn erlang_c_matches_high_precision_reference() {
        for &(n, a, want) in crate::queueing::reference::ERLANG_C {
            let got = erlang_c_p_wait(n, a).expect("stable");
            assert!(
                rel_err(got, want) < 1e-9,
                "C({n}, {a}) = {got:e}, want {want:e}"
            );
        }
    }

    /// The classic worked example: 360 calls per hour, AHT 240 s → 24 Erlangs. 28 agents answer 76.1 %
    /// within 20 s, 29 agents 84.0 % (values from `scripts/reference_values.py`), so 80/20 needs 29.
    #[test]
    fn textbook_example_360_calls_per_hour() {
        let q = Queue::per_hour(360.0, Seconds::new(240.0).unwrap(), QueueModel::ErlangC).unwrap();
        assert!((q.offered_load().0 - 24.0).abs() < 1e-12);
        let m = erlang_c(&q, 28, Seconds::new(20.0).unwrap()).unwrap();
        assert!(
            rel_err(m.p_wait, 0.333_138_527_992_722_88) < 1e-9,
            "{}",
            m.p_wait
        );
        assert!(rel_err(m.service_level, 0.761_295_813_934_751_3) < 1e-9);
        assert!(rel_err(m.asa_seconds.unwrap(), 19.988_311_679_563_373) < 1e-9);
        assert!(rel_err(m.occupancy, 24.0 / 28.0) < 1e-15);
        let target = StaffingTarget::new(Seconds::new(20.0).unwrap(), 0.8, None, None).unwrap();
        let req = required_agents(&q, &target).unwrap();
        assert_eq!(req.agents, 29);
        assert!(rel_err(req.service_level, 0.840_283_145_662_604_95) < 1e-9);
    }

    #[test]
    fn unstable_is_an_error_not_a_number() {
        let q = Queue::per_hour(360.0, Seconds::new(240.0).unwrap(), QueueModel::ErlangC).unwrap();
        let err = erlang_c(&q, 24, Seconds::new(20.0).unwrap()).unwrap_err();
        assert!(
            matches!(err, QueueError::Unstable { agents: 24, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("unstable"));
    }

    #[test]
    fn huge_systems_stay_finite() {
        for (n, a) in [
            (20_000, 19_900.0),
            (20_000, 1.0),
            (20_000, 0.001),
            (1, 0.999_999),
        ] {
            let c = erlang_c_p_wait(n, a).unwrap();
            assert!(
                c.is_finite() && (0.0..=1.0).contains(&c),
                "C({n},{a}) = {c}"
            );
        }
        let q = Queue::new(
            20_000.0 / 300.0,
            Seconds::new(300.0).unwrap(),
            QueueModel::ErlangC,
        )
        .unwrap();
        let target =
            StaffingTarget::new(Seconds::new(20.0).unwrap(), 0.9, Some(0.99), None).unwrap();
        let m = required_agents(&q, &target).unwrap();
        assert!(m.agents > 20_000 && m.agents < 20_300, "{m:?}");
    }

    #[test]
    fn occupancy_cap_raises_the_requirement() {
        let q = Queue::per_hour(3600.0, Seconds::new(300.0).unwrap(), QueueModel::ErlangC).unwrap();
        let loose = StaffingTarget::new(Seconds::new(60.0).unwrap(), 0.5, None, None).unwrap();
        let capped =
            StaffingTarget::new(Seconds::new(60.0).unwrap(), 0.5, Some(0.85), None).unwrap();
        let a = required_agents(&q, &loose).unwrap();
        let b = required_agents(&q, &capped).unwrap();
        assert!(b.agents >= (300.0_f64 / 0.85).ceil() as u32);
        assert!(b.agents > a.agents);
        assert!(b.occupancy <= 0.85);
    }

    #[test]
    fn zero_load_needs_one_agent() {
        let q = Queue::new(0.0, Seconds::new(300.0).unwrap(), QueueModel::ErlangC).unwrap();
        let target = StaffingTarget::new(Seconds::new(20.0).unwrap(), 0.8, None, None).unwrap();
        let m = required_agents(&q, &target).unwrap();
        assert_eq!(m.agents, 1);
        assert_eq!(m.p_wait, 0.0);
    }

    proptest! {
        #[test]
        fn skipped_recursion_equals_full_recursion(a in 0.5_f64..5000.0, extra in 1_u32..400) {
            let n = a.ceil() as u32 + extra;
            let fast = inverse_erlang_b(n, a);
            let full = advance(1.0, 0, n, a);
            // Far above a small load 1/B overflows to infinity in both (B underflows to 0).
            if full.is_infinite() {
                prop_assert!(fast > 1e300, "n={n} a={a}: {fast} vs {full}");
            } else {
                prop_assert!(rel_err(fast, full) < 1e-11, "n={n} a={a}: {fast} vs {full}");
            }
        }

        #[test]
        fn service_level_rises_with_agents(a in 0.1_f64..2000.0, extra in 1_u32..200, t in 0.0_f64..120.0) {
            let q = Queue::new(a / 200.0, Seconds::new(200.0).unwrap(), QueueModel::ErlangC).unwrap();
            let n = a.floor() as u32 + extra;
            let m1 = erlang_c(&q, n, Seconds::new(t).unwrap()).unwrap();
            let m2 = erlang_c(&q, n + 1, Seconds::new(t).unwrap()).unwrap();
            prop_assert!(m2.service_level >= m1.service_level - 1e-15);
            prop_assert!(m2.p_wait <= m1.p_wait + 1e-15);
            prop_assert!(m1.asa_seconds.unwrap() >= m2.asa_seconds.unwrap() - 1e-12);
            for m in [m1, m2] {
                prop_assert!((0.0..=1.0).contains(&m.p_wait));
                prop_assert!((0.0..=1.0).contains(&m.service_level));
            }
        }

        #[test]
        fn required_agents_is_minimal(a in 0.1_f64..3000.0, sl in 0.5_f64..0.99, t in 5.0_f64..60.0) {
            let q = Queue::new(a / 300.0, Seconds::new(300.0).unwrap(), QueueModel::ErlangC).unwrap();
            let target = StaffingTarget::new(Seconds::new(t).unwrap(), sl, None, None).unwrap();
            let m = required_agents(&q, &target).unwrap();
            prop_assert!(m.service_level >= sl);
            let below = m.agents - 1;
            if f64::from(below) > a {
                let lower = erlang_c(&q, below, Seconds::new(t).unwrap()).unwrap();
                prop_assert!(lower.service_level < sl);
            }
        }
    }
}
