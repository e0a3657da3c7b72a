//! Deferred work (email, tickets): a backlog that must be answered within a deadline.
//!
//! This is not a queue formula. Work arrives in every interval, open or not; agents work only in open
//! intervals; everything that arrives in interval `i` must be answered by the start of interval
//! `i + D`, `D = ⌊deadline / interval⌋` (so an item arriving at the very start of its interval gets exactly
//! the deadline, later ones a little more). In time that skips closed intervals, the cumulative work
//! done `P(x)` must stay between the work already due `L(x)` and the work already arrived `U(x)`.
//!
//! Of all feasible work profiles we take the *taut string* through that tube: the shortest path, which
//! at once minimises the peak rate and any convex cost of the rate, so the staffing is as level as the
//! deadlines allow (the agreeable-deadline case of Yao, Demers & Shenker 1995). The string is pulled
//! with the classic funnel: extend a straight segment while some slope fits every constraint seen, and
//! bend at the constraint that closed the funnel.

/// One interval of deferred work.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BacklogInterval {
    /// Whether agents can work in this interval.
    pub open: bool,
    /// Work arriving in this interval, in agent-seconds (items × handle time).
    pub work_seconds: f64,
}

/// The smoothest staffing that answers everything within the deadline.
#[derive(Debug, Clone, PartialEq)]
pub struct BacklogPlan {
    /// Agents working the backlog in each interval (fractional; round up to staff).
    pub agents: Vec<f64>,
    /// Work still waiting at the end of each interval, in agent-seconds.
    pub backlog_seconds: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BacklogError {
    #[error(
        "work arriving in interval {arrival} is due by interval {due}, but the channel has no open time in \
         between: open it earlier or lengthen the deadline"
    )]
    NoOpenTime { arrival: usize, due: usize },
    #[error(
        "the deadline ({deadline_seconds} s) must be at least one interval ({interval_seconds} s)"
    )]
    DeadlineShorterThanInterval {
        deadline_seconds: f64,
        interval_seconds: f64,
    },
    #[error("interval {index}: work must be a finite number ≥ 0, got {value}")]
    InvalidWork { index: usize, value: f64 },
}

/// Plans the backlog over `intervals` of `interval_seconds` each, so that all work is answered by its
/// deadline.
///
/// There is deliberately no "share" knob: with first-come first-served, a plan that keeps only a share
/// of the due work done falls behind by the rest for good, and then *every* later item is late. All
/// work within the deadline is the plan that meets any share target.
pub fn plan(
    intervals: &[BacklogInterval],
    interval_seconds: f64,
    deadline_seconds: f64,
) -> Result<BacklogPlan, BacklogError> {
    if deadline_seconds < interval_seconds {
        return Err(BacklogError::DeadlineShorterThanInterval {
            deadline_seconds,
            interval_seconds,
        });
    }
    if let Some((index, iv)) = intervals
        .iter()
        .enumerate()
        .find(|(_, iv)| !(iv.work_seconds.is_finite() && iv.work_seconds >= 0.0))
    {
        return Err(BacklogError::InvalidWork {
            index,
            value: iv.work_seconds,
        });
    }
    let n = intervals.len();
    let d = (deadline_seconds / interval_seconds + 1e-9).floor() as usize;

    // Cumulative arrived work at each boundary k (start of interval k), and open time before it.
    let mut arrived = vec![0.0; n + 1];
    let mut open_before = vec![0_usize; n + 1];
    for (i, iv) in intervals.iter().enumerate() {
        arrived[i + 1] = arrived[i] + iv.work_seconds;
        open_before[i + 1] = open_before[i] + usize::from(iv.open);
    }
    // `arrived[i + 1]` includes interval i, whose work is due at boundary i + D.
    let due = |k: usize| {
        if k + 1 >= d { arrived[k + 1 - d] } else { 0.0 }
    };

    // Collapse closed stretches: one point per amount of open time.
    let points = open_before[n] + 1;
    let mut lower = vec![0.0_f64; points];
    let mut upper = vec![f64::INFINITY; points];
    let mut first_boundary = vec![usize::MAX; points];
    for k in 0..=n {
        let x = open_before[k];
        lower[x] = lower[x].max(due(k));
        upper[x] = upper[x].min(arrived[k]);
        first_boundary[x] = first_boundary[x].min(k);
    }
    // Work only has to be finished once it is due; the horizon ends with what is due by then.
    let last = points - 1;
    for x in 0..points {
        if lower[x] > upper[x] * (1.0 + 1e-12) + 1e-9 {
            let start = first_boundary[x];
            let arrival = (start..n)
                .find(|&i| intervals[i].work_seconds > 0.0)
                .unwrap_or(start);
            return Err(BacklogError::NoOpenTime {
                arrival,
                due: arrival + d,
            });
        }
    }

    let slopes = taut_string(&lower, &upper, lower[last]);

    let mut agents = vec![0.0; n];
    let mut backlog_seconds = vec![0.0; n];
    let mut done = 0.0;
    for (i, iv) in intervals.iter().enumerate() {
        if iv.open {
            let rate = slopes[open_before[i]].max(0.0);
            agents[i] = rate / interval_seconds;
            done += rate;
        }
        backlog_seconds[i] = (arrived[i + 1] - done).max(0.0);
    }
    Ok(BacklogPlan {
        agents,
        backlog_seconds,
    })
}

/// Slopes of the shortest path from `(0, 0)` to `(m, end)` with `lower[x] ≤ y(x) ≤ upper[x]` at every
/// integer `x`; `slopes[x]` is the slope on `[x, x+1]`.
fn taut_string(lower: &[f64], upper: &[f64], end: f64) -> Vec<f64> {
    let m = lower.len() - 1;
    let mut slopes = vec![0.0; m];
    let (mut s, mut ys) = (0_usize, 0.0_f64);
    while s < m {
        let (mut lo_slope, mut lo_at) = (f64::NEG_INFINITY, s);
        let (mut hi_slope, mut hi_at) = (f64::INFINITY, s);
        let mut bend = None;
        for k in s + 1..=m {
            let dx = (k - s) as f64;
            let (l, h) = if k == m {
                (end, end)
            } else {
                (lower[k], upper[k])
            };
            let (sl, sh) = ((l - ys) / dx, (h - ys) / dx);
            if sl > hi_slope {
                bend = Some((hi_at, hi_slope));
                break;
            }
            if sh < lo_slope {
                bend = Some((lo_at, lo_slope));
                break;
            }
            if sl > lo_slope {
                (lo_slope, lo_at) = (sl, k);
            }
            if sh < hi_slope {
                (hi_slope, hi_at) = (sh, k);
            }
        }
        let (to, slope) = bend.unwrap_or((m, (end - ys) / (m - s) as f64));
        for v in &mut slopes[s..to] {
            *v = slope;
        }
        ys += slope * (to - s) as f64;
        s = to;
    }
    slopes
}

/// Share of each interval's email work answered by its deadline, first come first served, with
/// `agents` working in open intervals (the deadline semantics of [`plan`]).
pub fn in_time(
    work: &[f64],
    open: &[bool],
    agents: &[f64],
    dt: f64,
    deadline: f64,
) -> Vec<Option<f64>> {
    let due = ((deadline / dt).floor() as usize).max(1);
    let n = work.len();
    let mut arrived = vec![0.0; n + 1];
    let mut done = vec![0.0; n + 1];
    for i in 0..n {
        arrived[i + 1] = arrived[i] + work[i];
        let capacity = if open[i] { agents[i] * dt } else { 0.0 };
        done[i + 1] = (done[i] + capacity).min(arrived[i + 1]);
    }
    (0..n)
        .map(|j| {
            if work[j] <= 0.0 {
                return None;
            }
            // Work of interval j is due by the start of interval j + due. Work due after the
            // horizon is judged only if it is already done by the end.
            let share = |by: f64| ((by - arrived[j]) / work[j]).clamp(0.0, 1.0);
            if j + due <= n {
                Some(share(done[j + due]))
            } else {
                (share(done[n]) >= 1.0).then_some(1.0)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn email_in_time_follows_the_deadline() {
        // 4 agent-intervals of work arrive at once; 2 agents clear it in two intervals.
        let dt = 1.0;
        let work = [4.0, 0.0, 0.0, 0.0];
        let open = [true; 4];
        let all = in_time(&work, &open, &[2.0, 2.0, 0.0, 0.0], dt, 2.0);
        assert_eq!(all[0], Some(1.0));
        let half = in_time(&work, &open, &[1.0, 1.0, 0.0, 0.0], dt, 2.0);
        assert_eq!(half[0], Some(0.5));
        assert_eq!(half[1], None);
    }

    use super::*;
    use proptest::prelude::*;

    fn open(work: f64) -> BacklogInterval {
        BacklogInterval {
            open: true,
            work_seconds: work,
        }
    }

    fn closed(work: f64) -> BacklogInterval {
        BacklogInterval {
            open: false,
            work_seconds: work,
        }
    }

    /// Replays the plan FIFO and checks that every interval's work is done by its deadline.
    fn meets_deadlines(
        ivs: &[BacklogInterval],
        plan: &BacklogPlan,
        interval: f64,
        d: usize,
    ) -> bool {
        let mut done = 0.0;
        let mut arrived = 0.0;
        let mut cum_arrived = vec![0.0];
        for (i, iv) in ivs.iter().enumerate() {
            done += plan.agents[i] * interval;
            arrived += iv.work_seconds;
            cum_arrived.push(arrived);
            let k = i + 1;
            if k + 1 >= d && done + 1e-6 * (1.0 + arrived) < cum_arrived[k + 1 - d] {
                return false;
            }
            if done > arrived + 1e-6 * (1.0 + arrived) {
                return false;
            }
        }
        true
    }

    #[test]
    fn steady_arrivals_give_steady_staffing() {
        let ivs = vec![open(1800.0); 48];
        let plan = plan(&ivs, 1800.0, 4.0 * 3600.0).unwrap();
        // The string runs straight to what is due at the end: 41 of 48 intervals' work.
        for a in &plan.agents {
            assert!((a - 41.0 / 48.0).abs() < 1e-9, "{a}");
        }
        assert!(meets_deadlines(&ivs, &plan, 1800.0, 8));
    }

    #[test]
    fn overnight_mail_is_answered_next_morning() {
        // 16 closed intervals at night receive mail; 8 open intervals must clear it within 12 h.
        let mut ivs = vec![closed(3600.0); 16];
        ivs.extend(vec![open(0.0); 8]);
        let plan = plan(&ivs, 3600.0, 24.0 * 3600.0).unwrap();
        assert!(plan.agents[..16].iter().all(|&a| a == 0.0));
        // Within the horizon only the first night interval's mail falls due, and it is spread evenly.
        for a in &plan.agents[16..] {
            assert!((a - 1.0 / 8.0).abs() < 1e-9, "{a}");
        }
        let plan = plan_with_deadline(&ivs, 18);
        let total: f64 = plan.agents.iter().sum::<f64>() * 3600.0;
        // Interval i's mail is due at boundary i+18; by boundary 24 that is intervals 0..=6.
        assert!((total - 7.0 * 3600.0).abs() < 1e-6, "{total}");
        assert!(meets_deadlines(&ivs, &plan, 3600.0, 18));
    }

    fn plan_with_deadline(ivs: &[BacklogInterval], d: usize) -> BacklogPlan {
        plan(ivs, 3600.0, d as f64 * 3600.0).unwrap()
    }

    #[test]
    fn a_burst_is_spread_over_its_deadline() {
        let mut ivs = vec![open(0.0); 12];
        ivs[0].work_seconds = 6.0 * 3600.0;
        let plan = plan_with_deadline(&ivs, 6);
        // Six hours of work due in six hours: one agent for six hours, then nothing.
        for (i, a) in plan.agents.iter().enumerate() {
            let want = if i < 6 { 1.0 } else { 0.0 };
            assert!((a - want).abs() < 1e-9, "interval {i}: {a}");
        }
    }

    #[test]
    fn closed_until_after_the_deadline_is_an_error() {
        let ivs = vec![closed(100.0), closed(0.0), closed(0.0), open(0.0)];
        let err = plan(&ivs, 1800.0, 3600.0).unwrap_err();
        assert_eq!(err, BacklogError::NoOpenTime { arrival: 0, due: 2 });
        assert!(err.to_string().contains("no open time"));
    }

    #[test]
    fn deadline_shorter_than_interval_is_refused() {
        assert!(matches!(
            plan(&[open(1.0)], 1800.0, 600.0),
            Err(BacklogError::DeadlineShorterThanInterval { .. })
        ));
    }

    proptest! {
        #[test]
        fn plans_are_feasible_and_no_higher_than_needed(
            work in proptest::collection::vec(0.0_f64..20_000.0, 8..120),
            closed_mask in proptest::collection::vec(proptest::bool::weighted(0.3), 120),
            d in 2_usize..12,
        ) {
            let ivs: Vec<_> = work.iter().enumerate().map(|(i, &w)| BacklogInterval {
                open: !closed_mask[i] || i % d == 0,
                work_seconds: w,
            }).collect();
            if let Ok(plan) = plan(&ivs, 1800.0, d as f64 * 1800.0) {
                prop_assert!(meets_deadlines(&ivs, &plan, 1800.0, d));
                // No interval needs more than the densest window of due work demands.
                let peak = plan.agents.iter().cloned().fold(0.0, f64::max);
                let total: f64 = work.iter().sum();
                prop_assert!(peak * 1800.0 <= total + 1e-6, "{peak}");
                prop_assert!(plan.agents.iter().all(|a| a.is_finite() && *a >= 0.0));
            }
        }
    }
}
