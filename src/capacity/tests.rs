use super::*;

fn monday(w: usize) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 8, 3).unwrap() + Days::new(7 * w as u64)
}

fn group(headcount: f64, attrition: f64, overtime: f64) -> Group {
    Group {
        id: "core".into(),
        channels: vec![0],
        headcount,
        hours_week: 40.0,
        cost_per_hour: 20.0,
        attrition_week: attrition,
        overtime_hours_week: overtime,
        overtime_cost_per_hour: 30.0,
    }
}

fn class(lead: usize, min: u32, max: u32, training: usize, ramp: Vec<f64>) -> ClassType {
    ClassType {
        id: "hires".into(),
        channels: vec![0],
        lead_weeks: lead,
        min_size: min,
        max_size: max,
        cost_per_hire: 500.0,
        training_weeks: training,
        ramp,
        hours_week: 40.0,
        cost_per_hour: 22.0,
        attrition_week: 0.05,
        tenured_attrition_week: 0.01,
    }
}

fn contract(notice: usize, max: u32, rate: f64) -> Contract {
    Contract {
        vendor: "bpo".into(),
        channel: 0,
        min_seats: 0,
        max_seats: max,
        notice_weeks: notice,
        hours_per_seat: 40.0,
        cost_per_hour: rate,
        current_seats: 1,
    }
}

fn problem(demand: Vec<Vec<f64>>) -> Problem {
    let weeks = demand[0].len();
    Problem {
        weeks: (0..weeks).map(monday).collect(),
        channels: vec!["voice".into()],
        demand: demand.into_iter().map(|d| vec![d]).collect(),
        groups: vec![group(4.0, 0.02, 4.0)],
        classes: vec![class(1, 1, 3, 1, vec![0.5, 1.0])],
        contracts: vec![contract(1, 2, 25.0)],
        max_classes_in_training: None,
        reliability: 2.0 / 3.0,
        review_weeks: 10,
        shortfall_cost_per_hour: 100.0,
        time_limit_seconds: 30.0,
        relative_gap: 0.0,
    }
}

/// The expected cost of a first-stage choice, computed from the problem's words alone: hires paid
/// from their start (and the hiring cost), leaving at 5 % a week through training and ramp and 1 %
/// after; seats bought; each scenario's gap covered by overtime up to its cap, then shortfall —
/// none allowed in the scenarios with the two lowest requirements of the week.
fn enumerated_cost(p: &Problem, sizes: &[u32], seats: &[u32]) -> Option<f64> {
    let weeks = p.weeks.len();
    let k = &p.classes[0];
    let g = &p.groups[0];
    let v = &p.contracts[0];
    let alive = |age: usize| -> f64 {
        let mut a = 1.0;
        for j in 0..age {
            a *= if j < k.training_weeks + k.ramp.len() {
                0.95
            } else {
                0.99
            };
        }
        a
    };
    let works = |age: usize| -> f64 {
        if age < k.training_weeks {
            0.0
        } else if age - k.training_weeks < k.ramp.len() {
            k.ramp[age - k.training_weeks]
        } else {
            1.0
        }
    };
    let mut cost = 0.0;
    let mut supply = vec![0.0; weeks];
    for w in 0..weeks {
        let heads = g.headcount * (1.0 - g.attrition_week).powi(w as i32);
        cost += heads * g.hours_week * g.cost_per_hour;
        supply[w] += heads * g.hours_week;
        let seat = if w < v.notice_weeks {
            v.current_seats
        } else {
            seats[w - v.notice_weeks]
        };
        cost += f64::from(seat) * v.hours_per_seat * v.cost_per_hour;
        supply[w] += f64::from(seat) * v.hours_per_seat;
    }
    for (i, &n) in sizes.iter().enumerate() {
        let t = k.lead_weeks + i;
        if n == 0 {
            continue;
        }
        if n < k.min_size {
            return None;
        }
        cost += f64::from(n) * k.cost_per_hire;
        for w in t..weeks {
            cost += f64::from(n) * alive(w - t) * k.hours_week * k.cost_per_hour;
            supply[w] += f64::from(n) * alive(w - t) * k.hours_week * works(w - t);
        }
    }
    let scenarios = p.demand.len();
    for w in 0..weeks {
        let mut order: Vec<usize> = (0..scenarios).collect();
        order.sort_by(|&a, &b| {
            p.demand[a][0][w]
                .total_cmp(&p.demand[b][0][w])
                .then(a.cmp(&b))
        });
        for (rank, &s) in order.iter().enumerate() {
            let need = (p.demand[s][0][w] - supply[w]).max(0.0);
            let cap = g.headcount * (1.0 - g.attrition_week).powi(w as i32) * g.overtime_hours_week;
            let ot = need.min(cap);
            let short = need - ot;
            if rank < 2 && short > 1e-9 {
                return None;
            }
            cost += (ot * g.overtime_cost_per_hour + short * p.shortfall_cost_per_hour)
                / scenarios as f64;
        }
    }
    Some(cost)
}

#[test]
fn a_tiny_plan_matches_the_enumeration_of_every_decision() {
    for (seed, demand) in [
        vec![
            vec![150.0, 170.0, 260.0, 300.0],
            vec![160.0, 210.0, 250.0, 340.0],
            vec![140.0, 190.0, 330.0, 260.0],
        ],
        vec![
            vec![120.0, 300.0, 180.0, 200.0],
            vec![200.0, 160.0, 240.0, 380.0],
            vec![170.0, 150.0, 200.0, 250.0],
        ],
    ]
    .into_iter()
    .enumerate()
    {
        let p = problem(demand);
        let mut best = f64::INFINITY;
        let sizes: Vec<u32> = (0..=3).collect();
        for a in &sizes {
            for b in &sizes {
                for c in &sizes {
                    for s1 in 0..=2 {
                        for s2 in 0..=2 {
                            for s3 in 0..=2 {
                                if let Some(cost) =
                                    enumerated_cost(&p, &[*a, *b, *c], &[s1, s2, s3])
                                {
                                    best = best.min(cost);
                                }
                            }
                        }
                    }
                }
            }
        }
        let solution = solve(&p).unwrap();
        assert!(best.is_finite());
        assert!(
            (solution.objective - best).abs() <= 1e-6 * best,
            "case {seed}: program {} against enumeration {best}",
            solution.objective
        );
        assert!(
            (solution.cost.total - best).abs() <= 1e-6 * best,
            "{:?}",
            solution.cost
        );
        assert!(solution.lower_bound <= solution.objective + 1e-6);
        assert!(solution.unreachable.is_empty());
        assert!(
            solution
                .channel_weeks
                .iter()
                .all(|c| c.reliable && c.p_shortfall <= 1.0 / 3.0 + 1e-9)
        );
    }
}

#[test]
fn in_steady_state_classes_replace_exactly_the_attrition() {
    // Flat demand equal to the core team's hours; hires start productive at once and leave at the
    // core team's rate.
    let weeks = 20;
    let mut p = problem(vec![vec![50.0 * 40.0; weeks]]);
    p.reliability = 1.0;
    p.review_weeks = weeks;
    p.groups = vec![group(50.0, 0.02, 0.0)];
    let mut k = class(0, 1, 50, 0, vec![1.0]);
    k.attrition_week = 0.02;
    k.tenured_attrition_week = 0.02;
    p.classes = vec![k];
    p.contracts = Vec::new();
    let s = solve(&p).unwrap();
    let heads: Vec<f64> = (0..weeks)
        .map(|w| s.headcount.iter().map(|(_, h)| h[w]).sum())
        .collect();
    for (w, h) in heads.iter().enumerate() {
        assert!(*h >= 50.0 - 1e-6 && *h < 51.0, "week {w}: {h} heads");
    }
    let hired: f64 = s.classes.iter().map(|c| c.size).sum();
    // What leaves over the horizon, of a team held at 50 (within the one head that whole classes
    // round to).
    let lost = heads.iter().take(weeks - 1).map(|h| h * 0.02).sum::<f64>();
    assert!((hired - lost).abs() <= 1.5, "hired {hired}, lost {lost}");
}

/// The cost of the decisions: the objective less the core team's contracted hours (which more
/// attrition lowers by itself: leavers are not paid).
fn objective(p: &Problem) -> f64 {
    let s = solve(p).unwrap();
    s.objective - s.cost.core
}

#[test]
fn more_attrition_or_a_longer_lead_never_costs_less_and_a_cheaper_vendor_never_more() {
    let demand = vec![
        vec![150.0, 170.0, 260.0, 300.0, 280.0, 320.0],
        vec![160.0, 210.0, 250.0, 340.0, 260.0, 300.0],
        vec![140.0, 190.0, 330.0, 260.0, 310.0, 290.0],
    ];
    let mut base = problem(demand);
    base.review_weeks = 3; // later classes and seats are decided per scenario
    let tolerance = |x: f64| 1e-6 * x.abs().max(1.0);
    let cost = objective(&base);
    for attrition in [0.05, 0.1] {
        let mut p = base.clone();
        p.groups[0].attrition_week = attrition;
        assert!(
            objective(&p) >= cost - tolerance(cost),
            "attrition {attrition}"
        );
    }
    for lead in [2, 3] {
        let mut p = base.clone();
        p.classes[0].lead_weeks = lead;
        assert!(objective(&p) >= cost - tolerance(cost), "lead {lead}");
    }
    for rate in [20.0, 10.0] {
        let mut p = base.clone();
        p.contracts[0].cost_per_hour = rate;
        assert!(objective(&p) <= cost + tolerance(cost), "rate {rate}");
    }
}

#[test]
fn an_unreachable_target_is_named_not_hidden() {
    let mut p = problem(vec![vec![150.0, 170.0, 900.0, 300.0]; 3]);
    p.reliability = 1.0;
    let s = solve(&p).unwrap();
    assert_eq!(s.unreachable.len(), 1, "{:?}", s.unreachable);
    assert_eq!(s.unreachable[0].1, monday(2));
    assert!(!s.channel_weeks[2].reliable);
    assert!(s.objective > s.cost.total);
}

#[test]
fn bad_input_names_the_field() {
    let base = problem(vec![vec![150.0, 170.0, 260.0, 300.0]]);
    let err = |f: &dyn Fn(&mut Problem)| {
        let mut p = base.clone();
        f(&mut p);
        solve(&p).unwrap_err().to_string()
    };
    let e = err(&|p| p.classes[0].cost_per_hire = -1.0);
    assert!(e.contains("classes.hires.cost_per_hire"), "{e}");
    let e = err(&|p| p.classes[0].ramp = vec![0.5, 0.8]);
    assert!(
        e.contains("classes.hires.ramp") && e.contains("100 %"),
        "{e}"
    );
    let e = err(&|p| p.classes[0].min_size = 5);
    assert!(e.contains("classes.hires.min_size"), "{e}");
    let e = err(&|p| p.contracts[0].notice_weeks = 4);
    assert!(
        e.contains("contracts.bpo.voice.notice_weeks") && e.contains("horizon"),
        "{e}"
    );
    let e = err(&|p| p.groups[0].attrition_week = 1.2);
    assert!(e.contains("groups.core.attrition_week"), "{e}");
    let e = err(&|p| p.weeks.truncate(2));
    assert!(e.contains("weeks"), "{e}");
}
