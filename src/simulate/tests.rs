use super::*;
use crate::queueing::{Queue, QueueModel, Seconds};
use crate::staffing::{self, LoadMethod};

/// A one-channel scenario open around the clock for `days` days.
fn scenario(channel: &str, days: u32) -> Scenario {
    let text = format!(
        r#"
name = "simulation check"
time_zone = "UTC"
interval_minutes = 30
[horizon]
start = 2026-01-05
end = 2026-01-{:02}
[[channels]]
{channel}
shrinkage = 0.0
opening_hours = {{ daily = "00:00-24:00" }}
"#,
        4 + days
    );
    Scenario::parse(&text, "test").unwrap()
}

fn flat(grid: &TimeGrid, per_interval: f64) -> GridVolumes {
    GridVolumes {
        volume: vec![vec![per_interval; grid.len()]],
        aht: vec![vec![None; grid.len()]],
        open: vec![vec![true; grid.len()]],
        rows_outside_horizon: 0,
        closed_volume: vec![0.0],
    }
}

fn run(
    s: &Scenario,
    volumes: &GridVolumes,
    agents: u32,
    replications: u32,
    seed: u64,
) -> SimulationReport {
    let grid = s.grid();
    let coverage = Coverage {
        agents: vec![vec![agents; grid.len()]],
    };
    let options = SimulationOptions {
        replications,
        seed,
        handle_time: HandleTime::Exponential,
    };
    simulate(s, &grid, volumes, &coverage, &options, |_, _| {}).unwrap()
}

/// 99 % interval: 2.576 / 1.960 of the 95 % half-width.
const WITHIN_99: f64 = 2.576 / 1.960;

#[test]
fn matches_erlang_c_on_a_stationary_queue() {
    let s = scenario(
        r#"id = "voice"
kind = "voice"
aht_seconds = 240
service_target = { answered_within_seconds = 20, share = 0.8 }"#,
        2,
    );
    let grid = s.grid();
    let report = run(&s, &flat(&grid, 180.0), 28, 40, 7);
    let total = &report.channels[0].total;
    let q = Queue::per_hour(360.0, Seconds::new(240.0).unwrap(), QueueModel::ErlangC).unwrap();
    let exact = q.evaluate(28, Seconds::new(20.0).unwrap()).unwrap();
    let sl = total.service_level.unwrap();
    assert!(
        sl.covers(exact.service_level, WITHIN_99),
        "SL {sl:?} vs {}",
        exact.service_level
    );
    let asa = total.asa_seconds.unwrap();
    assert!(
        asa.covers(exact.asa_seconds.unwrap(), WITHIN_99),
        "ASA {asa:?} vs {:?}",
        exact.asa_seconds
    );
    let occ = total.occupancy.unwrap();
    assert!(
        occ.covers(exact.occupancy, WITHIN_99),
        "occupancy {occ:?} vs {}",
        exact.occupancy
    );
    assert_eq!(total.abandoned.mean, 0.0);
    assert!(report.channels[0].contacts_simulated > 600_000);
}

#[test]
fn matches_erlang_a_with_abandonment() {
    let s = scenario(
        r#"id = "voice"
kind = "voice"
aht_seconds = 240
patience_seconds = 180
service_target = { answered_within_seconds = 20, share = 0.8 }"#,
        2,
    );
    let grid = s.grid();
    // 0.1 calls a second on 22 agents: overloaded without abandonment, stable with it.
    let report = run(&s, &flat(&grid, 180.0), 22, 40, 11);
    let total = &report.channels[0].total;
    let q = Queue::new(
        0.1,
        Seconds::new(240.0).unwrap(),
        QueueModel::ErlangA {
            patience: Seconds::new(180.0).unwrap(),
        },
    )
    .unwrap();
    let exact = q.evaluate(22, Seconds::new(20.0).unwrap()).unwrap();
    let sl = total.service_level.unwrap();
    assert!(
        sl.covers(exact.service_level, WITHIN_99),
        "SL {sl:?} vs {}",
        exact.service_level
    );
    let ab = total.abandon_rate.unwrap();
    assert!(
        ab.covers(exact.p_abandon, WITHIN_99),
        "abandon {ab:?} vs {}",
        exact.p_abandon
    );
    let asa = total.asa_seconds.unwrap();
    assert!(
        asa.covers(exact.asa_seconds.unwrap(), WITHIN_99),
        "ASA {asa:?} vs {:?}",
        exact.asa_seconds
    );
}

#[test]
fn chat_concurrency_agrees_with_the_balanced_chain() {
    let s = scenario(
        r#"id = "chat"
kind = "chat"
aht_seconds = 420
max_concurrency = 3
concurrency_slowdown = 0.25
patience_seconds = 240
service_target = { answered_within_seconds = 60, share = 0.8 }"#,
        2,
    );
    let grid = s.grid();
    let per_interval = 240.0;
    let report = run(&s, &flat(&grid, per_interval), 25, 30, 3);
    let total = &report.channels[0].total;
    let model = s.channels[0].kind.queue_model().unwrap();
    let q = Queue::new(per_interval / 1800.0, Seconds::new(420.0).unwrap(), model).unwrap();
    let exact = q.evaluate(25, Seconds::new(60.0).unwrap()).unwrap();
    // The chain assumes sessions stay spread evenly over agents; the simulator assigns each new
    // session to the least-loaded agent but cannot rebalance after a finish. The gap is small.
    let sl = total.service_level.unwrap().mean;
    assert!(
        (sl - exact.service_level).abs() < 0.03,
        "SL {sl} vs {}",
        exact.service_level
    );
    let ab = total.abandon_rate.unwrap().mean;
    assert!(
        (ab - exact.p_abandon).abs() < 0.01,
        "abandon {ab} vs {}",
        exact.p_abandon
    );
}

#[test]
fn chat_without_slowdown_is_erlang_c_on_session_slots() {
    let s = scenario(
        r#"id = "chat"
kind = "chat"
aht_seconds = 300
max_concurrency = 2
service_target = { answered_within_seconds = 30, share = 0.8 }"#,
        2,
    );
    let grid = s.grid();
    let report = run(&s, &flat(&grid, 300.0), 27, 30, 5);
    let q = Queue::new(
        300.0 / 1800.0,
        Seconds::new(300.0).unwrap(),
        QueueModel::ErlangC,
    )
    .unwrap();
    let exact = q.evaluate(54, Seconds::new(30.0).unwrap()).unwrap();
    let sl = report.channels[0].total.service_level.unwrap();
    assert!(
        sl.covers(exact.service_level, WITHIN_99),
        "SL {sl:?} vs {}",
        exact.service_level
    );
}

#[test]
fn same_seed_same_result_other_seed_other_result() {
    let s = scenario(
        r#"id = "voice"
kind = "voice"
aht_seconds = 300
patience_seconds = 120
service_target = { answered_within_seconds = 20, share = 0.8 }"#,
        1,
    );
    let grid = s.grid();
    let v = flat(&grid, 100.0);
    let a = run(&s, &v, 18, 3, 42);
    let b = run(&s, &v, 18, 3, 42);
    let c = run(&s, &v, 18, 3, 43);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    assert_ne!(a, c);
}

#[test]
fn email_staffed_by_the_backlog_plan_meets_its_deadline() {
    let s = scenario(
        r#"id = "email"
kind = "email"
aht_seconds = 480
service_target = { answered_within_hours = 8, share = 0.95 }"#,
        3,
    );
    let grid = s.grid();
    // Mail in bursts: heavy mornings, nothing at night.
    let mut v = flat(&grid, 0.0);
    for (i, x) in v.volume[0].iter_mut().enumerate() {
        let hour = (i % 48) / 2;
        *x = if (8..12).contains(&hour) {
            60.0
        } else if (12..20).contains(&hour) {
            20.0
        } else {
            0.0
        };
    }
    let req = staffing::requirements(&s, &grid, &v, LoadMethod::ModifiedOfferedLoad).unwrap();
    let coverage = Coverage::from_requirements(&req);
    let options = SimulationOptions {
        replications: 10,
        seed: 1,
        handle_time: HandleTime::Exponential,
    };
    let report = simulate(&s, &grid, &v, &coverage, &options, |_, _| {}).unwrap();
    let sl = report.channels[0].total.service_level.unwrap().mean;
    assert!(sl >= 0.95, "share answered within 8 h: {sl}");
    assert_eq!(report.channels[0].total.abandoned.mean, 0.0);
}

#[test]
fn lognormal_handle_times_keep_their_mean() {
    let mut rng = SmallRng::seed_from_u64(9);
    let model = ChannelModel {
        rates: vec![],
        aht: vec![],
        agents: &[],
        patience: None,
        target_seconds: 0.0,
        interval_seconds: 1800.0,
        handle_time: HandleTime::Lognormal { cv: 0.8 },
    };
    let n = 200_000;
    let mean = (0..n)
        .map(|_| model.draw_work(&mut rng, 300.0))
        .sum::<f64>()
        / f64::from(n);
    assert!((mean - 300.0).abs() < 3.0, "{mean}");
}

#[test]
fn estimates_have_student_t_intervals() {
    let e = Estimate::from_samples(&[1.0, 2.0, 3.0]).unwrap();
    assert_eq!(e.mean, 2.0);
    // t(0.975, 2) = 4.302653; s = 1; half-width = 4.302653 / sqrt(3).
    assert!((e.ci95.unwrap() - 4.302_652_729_911_275 / 3.0_f64.sqrt()).abs() < 1e-9);
    assert_eq!(Estimate::from_samples(&[5.0]).unwrap().ci95, None);
}
