//! Required agents per (interval, channel) cell: the inner loop of staffing.
//!
//! cargo bench --bench queueing
//!
//! Workload: 100,000 cells with offered loads spread evenly (golden-ratio sequence) over 10–2,000
//! Erlangs, AHT 300 s, target 80 % in 20 s. Criterion reports cells per second; BENCHMARKS.md
//! records the time per cell.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use peakplan::queueing::{Queue, QueueModel, Seconds, StaffingTarget};
use std::hint::black_box;

const CELLS: usize = 100_000;

/// Loads from `lo` to `hi` Erlangs, well spread and deterministic.
fn loads(n: usize, lo: f64, hi: f64) -> Vec<f64> {
    let phi = 0.618_033_988_749_894_9;
    (0..n)
        .map(|i| lo + (hi - lo) * ((i as f64 * phi) % 1.0))
        .collect()
}

fn queues(model: QueueModel, n: usize, lo: f64, hi: f64) -> Vec<Queue> {
    let aht = Seconds::new(300.0).unwrap();
    loads(n, lo, hi)
        .into_iter()
        .map(|a| Queue::new(a / 300.0, aht, model).unwrap())
        .collect()
}

fn required(c: &mut Criterion) {
    let target = StaffingTarget::new(Seconds::new(20.0).unwrap(), 0.8, None, None).unwrap();
    let mut group = c.benchmark_group("required_agents");
    group.sample_size(10);

    let erlang_c = queues(QueueModel::ErlangC, CELLS, 10.0, 2000.0);
    group.throughput(Throughput::Elements(CELLS as u64));
    group.bench_function("erlang_c/100k cells, 10-2000 Erlangs", |b| {
        b.iter(|| {
            for q in &erlang_c {
                black_box(q.required_agents(&target).unwrap());
            }
        })
    });

    // The pyworkforce comparison workload: 20–2,000 calls per 30 minutes, AHT 300 s.
    let aht = Seconds::new(300.0).unwrap();
    let pyworkforce: Vec<Queue> = loads(CELLS, 20.0, 2000.0)
        .into_iter()
        .map(|calls| Queue::new(calls / 1800.0, aht, QueueModel::ErlangC).unwrap())
        .collect();
    group.bench_function("erlang_c/100k cells, 20-2000 calls per 30 min", |b| {
        b.iter(|| {
            for q in &pyworkforce {
                black_box(q.required_agents(&target).unwrap());
            }
        })
    });

    let n = 1_000;
    let erlang_a = queues(
        QueueModel::ErlangA {
            patience: Seconds::new(180.0).unwrap(),
        },
        n,
        10.0,
        2000.0,
    );
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("erlang_a/1k cells, 10-2000 Erlangs", |b| {
        b.iter(|| {
            for q in &erlang_a {
                black_box(q.required_agents(&target).unwrap());
            }
        })
    });
    let chat = queues(
        QueueModel::Chat {
            max_sessions: 3,
            slowdown: 0.25,
            patience: Some(Seconds::new(240.0).unwrap()),
        },
        n,
        10.0,
        2000.0,
    );
    group.bench_function("chat/1k cells, 10-2000 Erlangs, 3 sessions", |b| {
        b.iter(|| {
            for q in &chat {
                black_box(q.required_agents(&target).unwrap());
            }
        })
    });
    group.finish();
}

/// Every service curve of the sample peak: 14 days × 3 channels × 30-minute intervals (the live
/// channels' open intervals), as the roster program reads them (from the interval floor's agents
/// up), and whole (from no agents, as `staff --curves` writes them).
fn horizon_curves(c: &mut Criterion) {
    use peakplan::scenario::Scenario;
    use peakplan::staffing::{self, LoadMethod};
    use peakplan::volumes::VolumeSeries;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario = Scenario::load(root.join("models/promo-peak.toml")).expect("the sample");
    let grid = scenario.grid();
    let volumes = VolumeSeries::read(
        root.join("forecasts/promo-peak-forecast.csv"),
        scenario.time_zone,
    )
    .expect("its forecast")
    .on_grid(&scenario, &grid)
    .expect("on the grid");
    let requirements =
        staffing::requirements(&scenario, &grid, &volumes, LoadMethod::ModifiedOfferedLoad)
            .expect("staffed");
    let cells: Vec<(usize, usize)> = (0..scenario.channels.len())
        .flat_map(|ch| (0..grid.len()).map(move |i| (ch, i)))
        .collect();
    let curves = cells
        .iter()
        .filter(|&&(ch, i)| requirements.service_curve(&scenario, ch, i).is_some())
        .count();
    let mut group = c.benchmark_group("service_curves");
    group.sample_size(10);
    group.throughput(Throughput::Elements(curves as u64));
    let floor = peakplan::roster::Options::default().interval_floor;
    group.bench_function(
        format!(
            "the sample's horizon: {} cells, {curves} curves from the floor",
            cells.len()
        ),
        |b| {
            b.iter(|| {
                for &(ch, i) in &cells {
                    black_box(requirements.service_curve_above(&scenario, ch, i, floor));
                }
            })
        },
    );
    group.bench_function(
        format!(
            "the sample's horizon: {} cells, {curves} curves from 0 agents",
            cells.len()
        ),
        |b| {
            b.iter(|| {
                for &(ch, i) in &cells {
                    black_box(requirements.service_curve(&scenario, ch, i));
                }
            })
        },
    );
    group.finish();
}

criterion_group!(benches, required, horizon_curves);
criterion_main!(benches);
