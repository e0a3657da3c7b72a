//! Simulator throughput in contacts per second, on one core.
//!
//! cargo bench --bench simulator
//!
//! Workload: one voice channel open around the clock for 7 days, 30-minute intervals, 900 calls per
//! interval (AHT 300 s, 150 Erlangs) on 160 agents with exponential patience (mean 180 s), one
//! replication per iteration: about 302,000 contacts.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use peakplan::scenario::Scenario;
use peakplan::simulate::{Coverage, HandleTime, SimulationOptions, simulate};
use peakplan::volumes::GridVolumes;
use std::hint::black_box;

fn scenario(channel: &str) -> Scenario {
    let text = format!(
        r#"
name = "simulator benchmark"
time_zone = "UTC"
interval_minutes = 30
[horizon]
start = 2026-01-05
end = 2026-01-11
[[channels]]
{channel}
shrinkage = 0.0
opening_hours = {{ daily = "00:00-24:00" }}
"#
    );
    Scenario::parse(&text, "bench").unwrap()
}

fn bench_channel(c: &mut Criterion, name: &str, channel: &str, per_interval: f64, agents: u32) {
    let s = scenario(channel);
    let grid = s.grid();
    let volumes = GridVolumes {
        volume: vec![vec![per_interval; grid.len()]],
        aht: vec![vec![None; grid.len()]],
        open: vec![vec![true; grid.len()]],
        rows_outside_horizon: 0,
        closed_volume: vec![0.0],
    };
    let coverage = Coverage {
        agents: vec![vec![agents; grid.len()]],
    };
    let options = SimulationOptions {
        replications: 1,
        seed: 1,
        handle_time: HandleTime::Exponential,
    };
    let contacts = simulate(&s, &grid, &volumes, &coverage, &options, |_, _| {})
        .unwrap()
        .channels[0]
        .contacts_simulated;
    let mut group = c.benchmark_group("simulator");
    group.sample_size(10);
    group.throughput(Throughput::Elements(contacts));
    group.bench_function(name, |b| {
        b.iter(|| black_box(simulate(&s, &grid, &volumes, &coverage, &options, |_, _| {}).unwrap()))
    });
    group.finish();
}

fn simulator(c: &mut Criterion) {
    bench_channel(
        c,
        "voice, erlang-a, 150 Erlangs, 160 agents",
        r#"id = "voice"
kind = "voice"
aht_seconds = 300
patience_seconds = 180
service_target = { answered_within_seconds = 20, share = 0.8 }"#,
        900.0,
        160,
    );
    bench_channel(
        c,
        "chat, 3 sessions with slowdown, 60 agents",
        r#"id = "chat"
kind = "chat"
aht_seconds = 420
max_concurrency = 3
concurrency_slowdown = 0.25
patience_seconds = 240
service_target = { answered_within_seconds = 60, share = 0.8 }"#,
        600.0,
        60,
    );
}

criterion_group!(benches, simulator);
criterion_main!(benches);
