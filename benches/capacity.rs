//! The capacity program at full size: 52 weeks × 3 channels × 100 forecast scenarios.
//!
//! cargo bench --bench capacity
//!
//! Workload (seeded): required paid hours per channel and week with growth, a yearly swing, a peak
//! week at ×1.8 in week 40 and a persistent level error per scenario (σ 5 %) plus weekly noise
//! (σ 3 %); six core groups (one blended), three hiring class types (lead 4–6 weeks, 2–3 weeks of
//! training, a four-week ramp, at most two classes in training), four vendor contracts with 3–6
//! weeks of notice and seats in place at the start; reliability 90 %, review in 4 weeks. HiGHS on
//! one thread, stopping within 0.01 % of the bound (the capacity file's default).

use chrono::{Days, NaiveDate};
use criterion::{Criterion, criterion_group, criterion_main};
use peakplan::capacity::{self, ClassType, Contract, Group, Problem};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use std::hint::black_box;

fn full_size() -> Problem {
    let weeks = 52;
    let mut rng = SmallRng::seed_from_u64(3);
    let base = [5000.0, 2200.0, 1900.0];
    let demand = (0..100)
        .map(|_| {
            let level: f64 = 0.05 * rng.sample::<f64, _>(StandardNormal);
            (0..3)
                .map(|c| {
                    (0..weeks)
                        .map(|w| {
                            let t = w as f64 / 52.0;
                            let noise: f64 = 0.03 * rng.sample::<f64, _>(StandardNormal);
                            base[c]
                                * (0.1 * t).exp()
                                * (1.0 + 0.1 * (t * std::f64::consts::TAU).sin())
                                * if w == 40 { 1.8 } else { 1.0 }
                                * (level + noise).exp()
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let group = |id: &str, channels: Vec<usize>, heads: f64, ot: f64| Group {
        id: id.into(),
        channels,
        headcount: heads,
        hours_week: 40.0,
        cost_per_hour: 24.0,
        attrition_week: 0.004,
        overtime_hours_week: ot,
        overtime_cost_per_hour: 36.0,
    };
    let class = |id: &str, c: usize, lead: usize, training: usize| ClassType {
        id: id.into(),
        channels: vec![c],
        lead_weeks: lead,
        min_size: 8,
        max_size: 20,
        cost_per_hire: 1500.0,
        training_weeks: training,
        ramp: vec![0.5, 0.7, 0.85, 1.0],
        hours_week: 40.0,
        cost_per_hour: 22.0,
        attrition_week: 0.012,
        tenured_attrition_week: 0.004,
    };
    let contract =
        |vendor: &str, c: usize, max: u32, notice: usize, rate: f64, current: u32| Contract {
            vendor: vendor.into(),
            channel: c,
            min_seats: 0,
            max_seats: max,
            notice_weeks: notice,
            hours_per_seat: 40.0,
            cost_per_hour: rate,
            current_seats: current,
        };
    Problem {
        weeks: (0..weeks)
            .map(|w| NaiveDate::from_ymd_opt(2026, 1, 5).unwrap() + Days::new(7 * w as u64))
            .collect(),
        channels: vec!["voice".into(), "chat".into(), "email".into()],
        demand,
        groups: vec![
            group("voice-core", vec![0], 100.0, 6.0),
            group("blended", vec![0, 1], 25.0, 6.0),
            group("chat-core", vec![1], 40.0, 4.0),
            group("email-core", vec![2], 40.0, 0.0),
            group("part-time", vec![0, 1], 20.0, 0.0),
            group("floor", vec![0, 1, 2], 2.0, 0.0),
        ],
        classes: vec![
            class("voice-hires", 0, 4, 3),
            class("chat-hires", 1, 4, 2),
            class("email-hires", 2, 6, 2),
        ],
        contracts: vec![
            contract("north", 0, 90, 3, 19.0, 30),
            contract("north", 1, 50, 3, 19.0, 15),
            contract("south", 0, 40, 6, 17.0, 10),
            contract("south", 2, 50, 6, 17.0, 15),
        ],
        max_classes_in_training: Some(2),
        reliability: 0.9,
        review_weeks: 4,
        shortfall_cost_per_hour: 80.0,
        time_limit_seconds: 120.0,
        relative_gap: 1e-4,
    }
}

fn bench(c: &mut Criterion) {
    let p = full_size();
    let s = capacity::solve(&p).unwrap();
    eprintln!(
        "52 weeks × 3 channels × 100 scenarios: cost {:.0}, bound {:.0}, gap {:.4} %, {} unreachable, solved in {:.2} s",
        s.cost.total,
        s.lower_bound,
        s.gap * 100.0,
        s.unreachable.len(),
        s.solve_seconds
    );
    let mut group = c.benchmark_group("capacity");
    group.sample_size(10);
    group.bench_function("52 weeks × 3 channels × 100 scenarios", |b| {
        b.iter(|| black_box(capacity::solve(&p).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
