//! The live roster under edits, on the sample roster: how much the database grows per edit, how
//! fast an edit reaches 100 subscribers of `/v1/routing/events`, and what a contended edit (412,
//! then the retry) costs. The real server on port 0 with the embedded SQLite store, in this process.
//!
//! `cargo bench --bench api` plans the sample (models/promo-peak.toml against its forecast, as
//! `peakplan schedule` does; about 20 s) first; `PEAKPLAN_BENCH_ROSTER=DIR` uses the plan.json of a
//! folder `peakplan schedule --out DIR` wrote instead. The figures are in BENCHMARKS.md.

mod common;

use common::sample_plan;
use futures_util::StreamExt;
use peakplan::store::{self, Actor, NewToken, Role};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SUBSCRIBERS: usize = 100;
const EDITS: usize = 50;
const CONTENDED: usize = 20;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[k]
}

/// Bytes stored per row of the last `n` versions, audit entries and changes.
async fn row_bytes(url: &str, n: i64) -> (f64, f64, f64) {
    let pool = sqlx::SqlitePool::connect(url)
        .await
        .expect("the bench database");
    let mean = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            let (v,): (f64,) = sqlx::query_as(sql)
                .bind(n)
                .fetch_one(&pool)
                .await
                .expect("sizes");
            v
        }
    };
    let versions = mean(
        "SELECT AVG(length(plan) + COALESCE(length(summary), 0) + length(reason)) FROM \
         (SELECT * FROM roster_versions ORDER BY id DESC LIMIT $1)",
    )
    .await;
    let audit = mean(
        "SELECT AVG(COALESCE(length(before), 0) + COALESCE(length(after), 0)) FROM \
         (SELECT * FROM audit_log ORDER BY id DESC LIMIT $1)",
    )
    .await;
    let changes =
        mean("SELECT AVG(length(detail)) FROM (SELECT * FROM changes ORDER BY id DESC LIMIT $1)")
            .await;
    pool.close().await;
    (versions, audit, changes)
}

/// Bytes the SQLite file holds once its write-ahead log is folded in.
async fn database_bytes(url: &str) -> u64 {
    let pool = sqlx::SqlitePool::connect(url)
        .await
        .expect("the bench database");
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await
        .expect("checkpoint");
    let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count")
        .fetch_one(&pool)
        .await
        .expect("page count");
    let (size,): (i64,) = sqlx::query_as("PRAGMA page_size")
        .fetch_one(&pool)
        .await
        .expect("page size");
    pool.close().await;
    (pages * size) as u64
}

fn main() {
    let started = Instant::now();
    let plan = sample_plan();
    println!(
        "roster: {} shifts, {} vendor blocks, {} intervals × {} channels (planned in {:.1} s)",
        plan.shifts.len(),
        plan.blocks.len(),
        plan.intervals,
        plan.channels.len(),
        started.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir().expect("temp dir");
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
        tokio::spawn(peakplan::api::serve(listener, store.clone(), std::future::pending()));

        // version → (subscriber, instant the event was read)
        let received: Arc<Mutex<Vec<(i64, Instant)>>> = Arc::new(Mutex::new(Vec::new()));
        let client = reqwest::Client::new();
        for _ in 0..SUBSCRIBERS {
            let response = client
                .get(format!("{base}/v1/routing/events"))
                .bearer_auth(&routing)
                .send()
                .await
                .expect("subscribed");
            assert_eq!(response.status(), 200);
            let received = received.clone();
            tokio::spawn(async move {
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
            });
        }
        // The first read of the live roster projects it.
        let warm = client
            .get(format!("{base}/v1/routing/staffing?at={}", plan.interval_start(20).to_rfc3339().replace('+', "%2B")))
            .bearer_auth(&routing)
            .send()
            .await
            .expect("warm");
        assert_eq!(warm.status(), 200);
        tokio::time::sleep(Duration::from_millis(500)).await;

        let edit = |version: i64, agent: &str, date: chrono::NaiveDate| {
            client
                .post(format!("{base}/v1/supervisor/edits"))
                .bearer_auth(&supervisor)
                .header("If-Match", format!("\"{version}\""))
                .json(&json!({"kind": "absence", "agent": agent, "date": date}))
                .send()
        };
        let size_before = database_bytes(&url).await;
        let mut sent: HashMap<i64, Instant> = HashMap::new();
        let mut answered = Vec::new();
        let mut shifts = plan.shifts.iter();
        for shift in shifts.by_ref().take(EDITS) {
            let at = Instant::now();
            let r = edit(version, &shift.agent, shift.date).await.expect("edit sent");
            assert_eq!(r.status(), 200);
            let body: Value = r.json().await.expect("JSON");
            answered.push(at.elapsed().as_secs_f64() * 1000.0);
            version = body["version"].as_i64().expect("version");
            sent.insert(version, at);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let size_after = database_bytes(&url).await;
        let received = received.lock().expect("lock").clone();
        let mut latencies: Vec<f64> = received
            .iter()
            .filter_map(|(v, at)| sent.get(v).map(|s| at.duration_since(*s).as_secs_f64() * 1000.0))
            .collect();
        latencies.sort_by(f64::total_cmp);
        assert_eq!(latencies.len(), SUBSCRIBERS * EDITS, "every subscriber saw every edit");
        let (v, a, c) = row_bytes(&url, EDITS as i64).await;
        let whole = serde_json::to_vec(&plan).expect("JSON").len() as f64;
        let every = peakplan::store::SNAPSHOT_EVERY as f64;
        let measured = (size_after - size_before) as f64 / EDITS as f64;
        println!(
            "database growth: {:.1} KB per edit over {EDITS} edits ({} → {} bytes), {:.1} KB with the \
             whole plan ({:.0} KB) stored every {every} versions; per edit the version stores {v:.0} \
             bytes, its audit entry {a:.0}, its change {c:.0}",
            measured / 1024.0,
            size_before,
            size_after,
            (measured + whole / every) / 1024.0,
            whole / 1024.0
        );
        answered.sort_by(f64::total_cmp);
        println!(
            "edit answered (POST /v1/supervisor/edits): p50 {:.1} ms, p99 {:.1} ms",
            percentile(&answered, 0.5),
            percentile(&answered, 0.99)
        );
        println!(
            "edit → {SUBSCRIBERS} subscribers × {EDITS} edits ({} deliveries): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            latencies.len(),
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            latencies.last().copied().unwrap_or(0.0)
        );

        // Contended edits: another supervisor's edit lands first; ours gets 412, re-reads, retries.
        let mut stale = Vec::new();
        let mut retry = Vec::new();
        for pair in shifts.by_ref().take(2 * CONTENDED).collect::<Vec<_>>().chunks(2) {
            let (first, ours) = (&pair[0], &pair[1]);
            let read = version;
            let r = edit(read, &first.agent, first.date).await.expect("edit sent");
            assert_eq!(r.status(), 200);
            let at = Instant::now();
            let r = edit(read, &ours.agent, ours.date).await.expect("edit sent");
            assert_eq!(r.status(), 412);
            let body: Value = r.json().await.expect("JSON");
            stale.push(at.elapsed().as_secs_f64() * 1000.0);
            let current = body["current_version"].as_i64().expect("the current version");
            let at = Instant::now();
            let r = edit(current, &ours.agent, ours.date).await.expect("edit sent");
            assert_eq!(r.status(), 200);
            retry.push(at.elapsed().as_secs_f64() * 1000.0);
            version = r.json::<Value>().await.expect("JSON")["version"].as_i64().expect("version");
        }
        for v in [&mut stale, &mut retry] {
            v.sort_by(f64::total_cmp);
        }
        println!(
            "contended edit × {CONTENDED}: 412 p50 {:.1} ms, p99 {:.1} ms; retry p50 {:.1} ms, p99 {:.1} ms",
            percentile(&stale, 0.5),
            percentile(&stale, 0.99),
            percentile(&retry, 0.5),
            percentile(&retry, 0.99)
        );
    });
}
