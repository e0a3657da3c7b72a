//! Chat sessions assigned to the least-loaded agent, as routers (and the simulator) do.
//!
//! The chat chain of [`super::birth_death`] assumes the sessions in service are always spread
//! evenly over the agents. A router cannot move a session once it is assigned: it gives each new
//! one to an agent with the fewest, and when a session ends the agent that finished holds one
//! fewer. With slowdown an agent with `s` sessions finishes them at `f(s) = s / (1 + σ(s − 1))`
//! per AHT, which is concave, so an uneven spread completes fewer sessions than an even one and
//! more contacts wait.
//!
//! Only the states below full differ. Once every agent holds its `k` sessions (the full state
//! `S = N·k`) a waiting contact exists only while all are full, each finish is taken at once by the
//! head of the queue, and the queue above `S` is the same one-dimensional chain as before. So the
//! whole correction is in two sums over the states below full, relative to the full state:
//! `B = P(m < S) / P(S)` and `M = E[m; m < S] / P(S)`, both those of the loss system in which the
//! agents' session counts move as the router moves them and arrivals at full are turned away.
//!
//! That loss system is a Markov chain on the vector of how many agents hold 0, 1, …, k sessions.
//! Its states are grouped by the number of sessions `m`; arrivals move one level up, finishes one
//! down, so the generator is block tridiagonal and linear level reduction solves it exactly. To
//! keep the blocks small, at most [`DEEP_LIMIT`] agents may sit two or more sessions below the
//! busiest; a move that would make more is replaced by the nearest spread with the same number of
//! sessions (the deepest agent one up, a busiest one down). Against the full chain (every spread
//! allowed) that truncation changes the service level by less than 0.13 points at 3 and 4 sessions
//! and less than 0.08 at 2 (slowdown 0.5, 5 to 32 agents); the test grid in
//! `src/simulate/tests.rs` holds the result to the simulator.
//!
//! Both sums are smooth in the load per agent, so for each number of agents, sessions and slowdown
//! the log-ratios `ln(B_least-loaded / B_even)` and `ln(M_least-loaded / M_even)` are tabulated once
//! at Chebyshev nodes (`ρ` = load over the agents' full-concurrency capacity: in `ln ρ` for
//! 0.15 ≤ ρ ≤ 6, in `ρ` below and in `1/ρ` above, where they tend to their limits) and
//! interpolated, so no load is solved again. Beyond [`STATE_LIMIT`] states the
//! even spread is kept: the difference shrinks about as `1/N` (at 2 sessions and slowdown 0.5 it
//! is under half a point of service level from 64 agents up), and every such case is large.

use super::sweep::ln_add;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Agents allowed two or more sessions below the busiest agent.
const DEEP_LIMIT: u32 = 4;

/// Largest chain (states over all levels) solved; bigger ones keep the even spread.
const STATE_LIMIT: usize = 2_500;

/// Chebyshev nodes per piece of a table ([`Piece::ALL`]'s order): the outer pieces vary less.
const NODES: [usize; 3] = [8, 16, 8];

/// Where the table's pieces meet (`ρ`, the load over the agents' full-concurrency capacity).
const RHO_LOW: f64 = 0.15;
const RHO_HIGH: f64 = 6.0;

/// What least-loaded assignment changes in the chain's sums below full: natural-log ratios to add
/// to `ln B` and `ln M` of the evenly spread chain (both ≤ 0 in practice: more mass at full).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Correction {
    pub below: f64,
    pub in_service: f64,
}

/// The correction for `agents` agents of `sessions` sessions each, slowed by `slowdown` per extra
/// session, at `load` Erlangs (arrival rate × single-session handle time).
pub(super) fn correction(agents: u32, sessions: u32, slowdown: f64, load: f64) -> Correction {
    if agents < 2 || sessions < 2 || slowdown <= 0.0 || load <= 0.0 || !load.is_finite() {
        // One agent, one session or no slowdown: the spread does not change the finishing rate.
        return Correction::default();
    }
    let Some(table) = table(agents, sessions, slowdown) else {
        return Correction::default();
    };
    let capacity = f64::from(agents) * per_agent(sessions, slowdown);
    table.at(load / capacity)
}

/// Sessions finished per AHT by an agent holding `s` of them.
pub(super) fn per_agent(s: u32, slowdown: f64) -> f64 {
    if s == 0 {
        0.0
    } else {
        f64::from(s) / (1.0 + slowdown * f64::from(s - 1))
    }
}

type Key = (u32, u32, u64);

fn table(agents: u32, sessions: u32, slowdown: f64) -> Option<Arc<Table>> {
    static TABLES: OnceLock<Mutex<HashMap<Key, Option<Arc<Table>>>>> = OnceLock::new();
    let key = (agents, sessions, slowdown.to_bits());
    let tables = TABLES.get_or_init(Default::default);
    if let Some(found) = tables.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return found.clone();
    }
    // Built outside the lock: two threads may build the same table, with the same result.
    let built = Table::build(agents, sessions, slowdown).map(Arc::new);
    tables
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key)
        .or_insert(built)
        .clone()
}

/// The three pieces of a table, each a Chebyshev series on `[−1, 1]` in its own variable: light
/// loads (`ρ < 0.15`) in `ρ` itself, where the correction tends to a limit as `ρ → 0` (both sums are
/// `ρ^{−S}` times a function analytic at 0); the middle in `ln ρ`; overloads (`ρ > 6`) in `1/ρ`, where
/// it vanishes as `ρ → ∞` (both sums are `1/ρ` times a function analytic in `1/ρ`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Piece {
    Light,
    Middle,
    Heavy,
}

impl Piece {
    const ALL: [Piece; 3] = [Piece::Light, Piece::Middle, Piece::Heavy];

    fn of(rho: f64) -> Piece {
        if rho < RHO_LOW {
            Piece::Light
        } else if rho <= RHO_HIGH {
            Piece::Middle
        } else {
            Piece::Heavy
        }
    }

    /// The piece's variable at `rho`, on `[−1, 1]`.
    fn position(self, rho: f64) -> f64 {
        let (lo, hi) = (RHO_LOW.ln(), RHO_HIGH.ln());
        match self {
            Piece::Light => 2.0 * rho / RHO_LOW - 1.0,
            Piece::Middle => (2.0 * rho.ln() - lo - hi) / (hi - lo),
            Piece::Heavy => 2.0 * RHO_HIGH / rho - 1.0,
        }
        .clamp(-1.0, 1.0)
    }

    /// The `ρ` at position `x` (inside `(−1, 1)`).
    fn rho(self, x: f64) -> f64 {
        let (lo, hi) = (RHO_LOW.ln(), RHO_HIGH.ln());
        match self {
            Piece::Light => RHO_LOW * (x + 1.0) / 2.0,
            Piece::Middle => ((lo + hi) / 2.0 + (hi - lo) / 2.0 * x).exp(),
            Piece::Heavy => 2.0 * RHO_HIGH / (x + 1.0),
        }
    }
}

/// Interpolation of the correction over `ρ` for one (agents, sessions, slowdown).
struct Table {
    least_loaded: Levels,
    even: Levels,
    /// Per piece ([`Piece::ALL`]): the Chebyshev coefficients of the `B` and `M` corrections.
    series: Vec<(Vec<f64>, Vec<f64>)>,
}

impl Table {
    fn build(agents: u32, sessions: u32, slowdown: f64) -> Option<Table> {
        let least_loaded = Levels::new(agents, sessions, slowdown, DEEP_LIMIT)?;
        let even = Levels::new(agents, sessions, slowdown, 0)?;
        let capacity = f64::from(agents) * per_agent(sessions, slowdown);
        let mut table = Table {
            least_loaded,
            even,
            series: Vec::new(),
        };
        for piece in Piece::ALL {
            let nodes = NODES[piece as usize];
            let xs: Vec<f64> = (0..nodes)
                .map(|j| (std::f64::consts::PI * (j as f64 + 0.5) / nodes as f64).cos())
                .collect();
            let values: Vec<Correction> = xs
                .iter()
                .map(|&x| table.exact(piece.rho(x) * capacity))
                .collect();
            let coefficients = |f: &dyn Fn(&Correction) -> f64| -> Vec<f64> {
                (0..nodes)
                    .map(|i| {
                        let sum: f64 = xs
                            .iter()
                            .zip(&values)
                            .map(|(x, v)| f(v) * chebyshev(i, *x))
                            .sum();
                        let c = 2.0 * sum / nodes as f64;
                        if i == 0 { c / 2.0 } else { c }
                    })
                    .collect()
            };
            let series = (coefficients(&|v| v.below), coefficients(&|v| v.in_service));
            table.series.push(series);
        }
        Some(table)
    }

    fn at(&self, rho: f64) -> Correction {
        let piece = Piece::of(rho);
        let x = piece.position(rho);
        let (below, in_service) = &self.series[piece as usize];
        Correction {
            below: clenshaw(below, x),
            in_service: clenshaw(in_service, x),
        }
    }

    fn exact(&self, load: f64) -> Correction {
        let ll = self.least_loaded.sums_below_full(load);
        let even = self.even.sums_below_full(load);
        Correction {
            below: ll.0 - even.0,
            in_service: ll.1 - even.1,
        }
    }
}

/// `T_i(x)`.
fn chebyshev(i: usize, x: f64) -> f64 {
    (i as f64 * x.clamp(-1.0, 1.0).acos()).cos()
}

/// `Σ c_i T_i(x)`.
fn clenshaw(c: &[f64], x: f64) -> f64 {
    let (mut b1, mut b2) = (0.0, 0.0);
    for &ci in c.iter().skip(1).rev() {
        let b0 = ci + 2.0 * x * b1 - b2;
        b2 = b1;
        b1 = b0;
    }
    c[0] + x * b1 - b2
}

/// The loss system's states grouped by sessions in service, with their transitions. Rates are per
/// AHT; the arrival rate is the load.
struct Levels {
    /// `levels[m][i]`: the `i`-th state with `m` sessions.
    levels: Vec<Vec<State>>,
}

struct State {
    /// The state one session up (a new session to a least-loaded agent); `None` at full.
    up: Option<usize>,
    /// States one session down, each with the rate of a finish that leads there.
    down: Vec<(usize, f64)>,
    /// Total finishing rate.
    out: f64,
}

impl Levels {
    /// Every state reachable from no sessions by arrivals and finishes, then their moves indexed;
    /// `None` when there would be more than [`STATE_LIMIT`].
    fn new(agents: u32, sessions: u32, slowdown: f64, deep_limit: u32) -> Option<Levels> {
        let k = sessions as usize;
        let full = agents as usize * k;
        let mut index: Vec<HashMap<Vec<u32>, usize>> = vec![HashMap::new(); full + 1];
        let mut configs: Vec<Vec<Vec<u32>>> = vec![Vec::new(); full + 1];
        let mut empty = vec![0; k + 1];
        empty[0] = agents;
        let mut todo = vec![(0_usize, empty)];
        let mut count = 0;
        while let Some((m, c)) = todo.pop() {
            if index[m].contains_key(&c) {
                continue;
            }
            index[m].insert(c.clone(), configs[m].len());
            configs[m].push(c.clone());
            count += 1;
            if count > STATE_LIMIT {
                return None;
            }
            if m < full {
                todo.push((m + 1, arrival(&c, deep_limit)));
            }
            for s in 1..=k {
                if c[s] > 0 {
                    todo.push((m - 1, finish(&c, s, deep_limit)));
                }
            }
        }
        let levels = (0..=full)
            .map(|m| {
                configs[m]
                    .iter()
                    .map(|c| {
                        let up = (m < full).then(|| index[m + 1][&arrival(c, deep_limit)]);
                        let mut down = Vec::new();
                        let mut out = 0.0;
                        for s in 1..=k {
                            if c[s] > 0 {
                                let rate = f64::from(c[s]) * per_agent(s as u32, slowdown);
                                down.push((index[m - 1][&finish(c, s, deep_limit)], rate));
                                out += rate;
                            }
                        }
                        State { up, down, out }
                    })
                    .collect()
            })
            .collect();
        Some(Levels { levels })
    }

    /// `(ln B, ln M)`: the stationary mass below full and the sessions in service there, both over
    /// the full state's mass, at `load` Erlangs, by linear level reduction.
    fn sums_below_full(&self, load: f64) -> (f64, f64) {
        let top = self.levels.len() - 1;
        // R_m = U_m·A_{m+1}⁻¹ with A_S = the full state's finishing rate and
        // A_m = Δ_m − R_m·L_{m+1} below; π_{m+1} = π_m·R_m.
        let mut r: Vec<Vec<f64>> = vec![Vec::new(); top];
        let mut inverse = vec![1.0 / self.levels[top][0].out];
        for m in (0..top).rev() {
            let here = &self.levels[m];
            let above = &self.levels[m + 1];
            let (n, n_up) = (here.len(), above.len());
            // Row i of R_m is the load times row `up(i)` of A_{m+1}⁻¹.
            let mut rm = vec![0.0; n * n_up];
            for (i, s) in here.iter().enumerate() {
                let u = s.up.expect("below full an arrival is taken");
                for j in 0..n_up {
                    rm[i * n_up + j] = load * inverse[u * n_up + j];
                }
            }
            if m > 0 {
                // A_m = diag(load + out) − R_m·L_{m+1}. Every excursion above level m returns to
                // it, so each row of R_m·L_{m+1} sums to the load: the diagonal is the finishing
                // rate plus the row's other returns, summed without the cancellation of
                // `load − (R_m·L_{m+1})_ii` that would grow level by level (the GTH idea).
                let mut returns = vec![0.0; n * n];
                for (p, s) in above.iter().enumerate() {
                    for &(j, rate) in &s.down {
                        for i in 0..n {
                            returns[i * n + j] += rm[i * n_up + p] * rate;
                        }
                    }
                }
                let mut a = vec![0.0; n * n];
                for (i, s) in here.iter().enumerate() {
                    let mut diagonal = s.out;
                    for j in 0..n {
                        if j != i {
                            a[i * n + j] = -returns[i * n + j];
                            diagonal += returns[i * n + j];
                        }
                    }
                    a[i * n + i] = diagonal;
                }
                inverse = invert(a, n);
            }
            r[m] = rm;
        }
        // π_0 = 1, then upward with a running log scale.
        let mut v = vec![1.0];
        let mut ln_scale = 0.0;
        let (mut ln_below, mut ln_service) = (0.0_f64, f64::NEG_INFINITY);
        for (m, rm) in r.iter().enumerate() {
            let n_up = self.levels[m + 1].len();
            let mut next = vec![0.0; n_up];
            for (i, vi) in v.iter().enumerate() {
                for (j, x) in next.iter_mut().enumerate() {
                    *x += vi * rm[i * n_up + j];
                }
            }
            let total: f64 = next.iter().sum();
            next.iter_mut().for_each(|x| *x /= total);
            ln_scale += total.ln();
            v = next;
            if m + 1 < top {
                ln_below = ln_add(ln_below, ln_scale);
                ln_service = ln_add(ln_service, ln_scale + ((m + 1) as f64).ln());
            }
        }
        let ln_full = ln_scale + v[0].ln();
        (ln_below - ln_full, ln_service - ln_full)
    }
}

/// The spread after a new session goes to a least-loaded agent.
fn arrival(c: &[u32], deep_limit: u32) -> Vec<u32> {
    let lowest = c.iter().position(|&n| n > 0).expect("agents exist");
    let mut next = c.to_vec();
    next[lowest] -= 1;
    next[lowest + 1] += 1;
    squeeze(next, deep_limit)
}

/// The spread after an agent holding `s` sessions finishes one.
fn finish(c: &[u32], s: usize, deep_limit: u32) -> Vec<u32> {
    let mut next = c.to_vec();
    next[s] -= 1;
    next[s - 1] += 1;
    squeeze(next, deep_limit)
}

/// Moves agents until at most `deep_limit` hold two or more sessions fewer than the busiest: the
/// lowest one up and a busiest one down, which keeps the number of sessions.
fn squeeze(mut c: Vec<u32>, deep_limit: u32) -> Vec<u32> {
    loop {
        let lo = c.iter().position(|&n| n > 0).expect("agents exist");
        let hi = c.iter().rposition(|&n| n > 0).expect("agents exist");
        if hi < lo + 2 {
            return c;
        }
        let deep: u32 = c[..hi - 1].iter().sum();
        if deep <= deep_limit {
            return c;
        }
        c[lo] -= 1;
        c[lo + 1] += 1;
        c[hi] -= 1;
        c[hi - 1] += 1;
    }
}

/// The inverse of the `n × n` row-major matrix `a` by Gauss–Jordan elimination with partial
/// pivoting (the blocks are small M-matrices, well conditioned).
fn invert(mut a: Vec<f64>, n: usize) -> Vec<f64> {
    let mut inv = vec![0.0; n * n];
    for i in 0..n {
        inv[i * n + i] = 1.0;
    }
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&x, &y| a[x * n + col].abs().total_cmp(&a[y * n + col].abs()))
            .expect("a column to pivot");
        if pivot != col {
            for j in 0..n {
                a.swap(pivot * n + j, col * n + j);
                inv.swap(pivot * n + j, col * n + j);
            }
        }
        let d = a[col * n + col];
        for j in 0..n {
            a[col * n + j] /= d;
            inv[col * n + j] /= d;
        }
        for row in 0..n {
            if row == col {
                continue;
            }
            let f = a[row * n + col];
            if f == 0.0 {
                continue;
            }
            for j in 0..n {
                a[row * n + j] -= f * a[col * n + j];
                inv[row * n + j] -= f * inv[col * n + j];
            }
        }
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queueing::{Queue, QueueModel, Seconds};

    /// `scripts/least_loaded_reference.py`: (sessions, slowdown, agents, contacts per half hour,
    /// AHT, patience, answered within, service level, P(wait), P(abandon)) of the whole chain.
    /// (sessions, slowdown, agents, …), then the seven figures in the order described above.
    type Case = (u32, f64, u32, f64, f64, f64, f64, f64, f64, f64);

    const REFERENCE: [Case; 4] = [
        (
            2,
            0.5,
            8,
            43.2,
            400.0,
            20000.0,
            20.0,
            0.561754729935966,
            0.465643017956809,
            0.00690983268456991,
        ),
        (
            3,
            0.25,
            6,
            60.0,
            420.0,
            240.0,
            60.0,
            0.593312916743421,
            0.594977209162518,
            0.18484323750798,
        ),
        (
            4,
            0.5,
            5,
            55.0,
            300.0,
            600.0,
            30.0,
            0.408008673966584,
            0.653701097367369,
            0.148798762457331,
        ),
        (
            3,
            0.5,
            12,
            140.0,
            420.0,
            900.0,
            20.0,
            3.34011789253229e-5,
            0.999983438580008,
            0.448979781861689,
        ),
    ];

    fn chat(sessions: u32, slowdown: f64, per_half_hour: f64, aht: f64, patience: f64) -> Queue {
        Queue::new(
            per_half_hour / 1800.0,
            Seconds::new(aht).unwrap(),
            QueueModel::Chat {
                max_sessions: sessions,
                slowdown,
                patience: Some(Seconds::new(patience).unwrap()),
            },
        )
        .unwrap()
    }

    #[test]
    fn matches_the_whole_chain_of_every_spread() {
        for (k, slowdown, n, volume, aht, patience, within, sl, pw, pa) in REFERENCE {
            let q = chat(k, slowdown, volume, aht, patience);
            let m = q.evaluate(n, Seconds::new(within).unwrap()).unwrap();
            // The truncation to at most four agents two sessions behind costs at most 0.13 points.
            assert!(
                (m.service_level - sl).abs() < 1.5e-3,
                "{k} sessions, {n} agents: SL {} vs {sl}",
                m.service_level
            );
            assert!(
                (m.p_wait - pw).abs() < 1.5e-3,
                "P(wait) {} vs {pw}",
                m.p_wait
            );
            assert!(
                (m.p_abandon - pa).abs() < 1e-3,
                "P(abandon) {} vs {pa}",
                m.p_abandon
            );
        }
    }

    #[test]
    fn an_even_spread_would_promise_more_than_the_router_gives() {
        // The first case without the correction: 1.96 points more answered in time.
        let (k, slowdown, n, volume, aht, patience, within, sl, _, _) = REFERENCE[0];
        let q = chat(k, slowdown, volume, aht, patience);
        let m = q.evaluate(n, Seconds::new(within).unwrap()).unwrap();
        let c = correction(n, k, slowdown, volume / 1800.0 * aht);
        assert!(c.below < -0.01, "{c:?}");
        assert!((m.service_level - sl).abs() < 2e-3);
    }

    #[test]
    fn the_table_interpolates_the_exact_correction() {
        for (agents, sessions, slowdown) in [(3, 2, 0.5), (10, 3, 0.25), (7, 4, 0.5), (40, 2, 0.1)]
        {
            let table = table(agents, sessions, slowdown).expect("a small chain");
            let capacity = f64::from(agents) * per_agent(sessions, slowdown);
            for rho in [
                1e-4, 0.01, 0.05, 0.1, 0.149, 0.15, 0.2, 0.45, 0.8, 0.95, 1.0, 1.1, 1.6, 3.0, 5.5,
                6.0, 6.5, 9.0, 20.0, 100.0, 1e4,
            ] {
                let (at, exact) = (table.at(rho), table.exact(rho * capacity));
                // The outer pieces are smoother than the middle, where ρ ≈ 1 bends the curve.
                let tolerance = if Piece::of(rho) == Piece::Middle {
                    5e-3
                } else {
                    1e-7
                };
                assert!(
                    (at.below - exact.below).abs() < tolerance
                        && (at.in_service - exact.in_service).abs() < tolerance,
                    "{agents} agents × {sessions} at ρ {rho}: {at:?} vs {exact:?}"
                );
            }
        }
    }

    #[test]
    fn nothing_changes_where_the_spread_cannot_matter() {
        assert_eq!(correction(10, 3, 0.0, 20.0), Correction::default());
        assert_eq!(correction(10, 1, 0.5, 8.0), Correction::default());
        assert_eq!(correction(1, 4, 0.5, 2.0), Correction::default());
        // Too many states for the exact chain: the even spread, whose error there is small.
        assert_eq!(correction(2_000, 4, 0.5, 4_000.0), Correction::default());
    }

    #[test]
    fn no_truncation_and_even_spread_agree_at_two_agents_one_deep() {
        // With two agents the truncated chain is the whole one; with none allowed behind, it is
        // the even spread of the birth–death chain.
        let whole = Levels::new(2, 3, 0.5, 2).unwrap().sums_below_full(3.0);
        let truncated = Levels::new(2, 3, 0.5, DEEP_LIMIT)
            .unwrap()
            .sums_below_full(3.0);
        assert!((whole.0 - truncated.0).abs() < 1e-12);
        let even = Levels::new(2, 3, 0.5, 0).unwrap().sums_below_full(3.0);
        // Even spread by hand: rates 1, 2, 1+1/1.5·2… summed directly.
        let f = |s: u32| per_agent(s, 0.5);
        let rates = [
            f(1),
            2.0 * f(1),
            f(2) + f(1),
            2.0 * f(2),
            f(3) + f(2),
            2.0 * f(3),
        ];
        let mut w = vec![1.0];
        for r in rates {
            w.push(w.last().unwrap() * 3.0 / r);
        }
        let full = *w.last().unwrap();
        let below: f64 = w[..6].iter().sum::<f64>() / full;
        let service: f64 = w[..6]
            .iter()
            .enumerate()
            .map(|(m, x)| m as f64 * x)
            .sum::<f64>()
            / full;
        assert!(
            (even.0 - below.ln()).abs() < 1e-12,
            "{} vs {}",
            even.0,
            below.ln()
        );
        assert!((even.1 - service.ln()).abs() < 1e-12);
    }
}
