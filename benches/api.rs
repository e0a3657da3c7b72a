//! How fast a live edit reaches the routing layer: 100 subscribers on `/v1/routing/events`, 50
//! supervisor edits one after another, and for every (edit, subscriber) the time from sending the
//! edit to the subscriber reading its event. The real server on port 0 with the embedded SQLite
//! store, in this process.
//!
//! `cargo bench --bench api` on the small test roster; `PEAKPLAN_BENCH_ROSTER=DIR cargo bench --bench
//! api` on a roster `peakplan schedule --out DIR` wrote (the figures are in BENCHMARKS.md).

use futures_util::StreamExt;
use peakplan::live::LivePlan;
use peakplan::store::{self, Actor, NewToken, Role};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SUBSCRIBERS: usize = 100;
const EDITS: usize = 50;

fn sample_plan(dir: &std::path::Path) -> LivePlan {
    if let Ok(given) = std::env::var("PEAKPLAN_BENCH_ROSTER") {
        let text = std::fs::read_to_string(std::path::Path::new(&given).join("plan.json"))
            .expect("PEAKPLAN_BENCH_ROSTER names a folder with plan.json");
        return serde_json::from_str(&text).expect("a plan");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_peakplan"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "schedule",
            "--scenario",
            "tests/data/roster-small.toml",
            "--forecast",
            "tests/data/roster-small-forecast.csv",
            "--mode",
            "coverage",
            "--json",
            "--out",
        ])
        .arg(dir)
        .output()
        .expect("peakplan runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(dir.join("plan.json")).expect("plan.json"))
        .expect("a plan")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[k]
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = sample_plan(dir.path());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let url = format!("sqlite://{}", dir.path().join("bench.sqlite").display());
        let store = store::open(&url).await.expect("store");
        let actor = Actor::cli("bench");
        let draft = store
            .create_roster(&actor, None, &plan, None, None)
            .await
            .expect("roster");
        let mut version = store.publish(&actor, draft.id).await.expect("published").id;
        let token = |role: &str| {
            let t = NewToken::generate();
            let store = store.clone();
            let role = Role::parse(role).expect("role");
            async move {
                store.create_token(&role, "bench", &t.hash).await.expect("token");
                t.plain
            }
        };
        let routing = token("routing").await;
        let supervisor = token("supervisor").await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(peakplan::api::serve(
            listener,
            store.clone(),
            std::future::pending(),
        ));

        // version → (subscriber, instant the event was read)
        let received: Arc<Mutex<Vec<(i64, Instant)>>> = Arc::new(Mutex::new(Vec::new()));
        let client = reqwest::Client::new();
        let mut ready = Vec::new();
        for _ in 0..SUBSCRIBERS {
            let response = client
                .get(format!("{base}/v1/routing/events"))
                .bearer_auth(&routing)
                .send()
                .await
                .expect("subscribed");
            assert_eq!(response.status(), 200);
            let received = received.clone();
            ready.push(tokio::spawn(async move {
                let mut stream = response.bytes_stream();
                let mut buffer = String::new();
                while let Some(Ok(chunk)) = stream.next().await {
                    buffer.push_str(&String::from_utf8_lossy(&chunk));
                    while let Some(end) = buffer.find("\n\n") {
                        let block: String = buffer.drain(..end + 2).collect();
                        let now = Instant::now();
                        if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:")) {
                            let v: Value = serde_json::from_str(data.trim()).expect("JSON");
                            if let Some(version) = v["version"].as_i64() {
                                received.lock().expect("lock").push((version, now));
                            }
                        }
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;

        let mut sent: HashMap<i64, Instant> = HashMap::new();
        for shift in plan.shifts.iter().take(EDITS) {
            let at = Instant::now();
            let r = client
                .post(format!("{base}/v1/supervisor/edits"))
                .bearer_auth(&supervisor)
                .header("If-Match", format!("\"{version}\""))
                .json(&json!({"kind": "absence", "agent": shift.agent, "date": shift.date}))
                .send()
                .await
                .expect("edit sent");
            assert_eq!(r.status(), 200);
            let body: Value = r.json().await.expect("JSON");
            version = body["version"].as_i64().expect("version");
            sent.insert(version, at);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let received = received.lock().expect("lock").clone();
        let mut latencies: Vec<f64> = received
            .iter()
            .filter_map(|(v, at)| sent.get(v).map(|s| at.duration_since(*s).as_secs_f64() * 1000.0))
            .collect();
        latencies.sort_by(f64::total_cmp);
        assert_eq!(
            latencies.len(),
            SUBSCRIBERS * EDITS,
            "every subscriber saw every edit"
        );
        println!(
            "{} shifts, {} intervals × {} channels",
            plan.shifts.len(),
            plan.intervals,
            plan.channels.len()
        );
        println!(
            "edit → {SUBSCRIBERS} subscribers × {EDITS} edits ({} deliveries): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            latencies.len(),
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            latencies.last().copied().unwrap_or(0.0)
        );
    });
}
