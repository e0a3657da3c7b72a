//! The supervisor's day page on the sample's busiest day: how long the server takes to render it
//! and how long headless Chromium takes until the page is interactive, for the sample roster and
//! for the same day with four times the shifts (the agents copied), so that about a thousand
//! shifts are in view. The real server on port 0 with the embedded SQLite store.
//!
//! `cargo bench --bench web` plans the sample first (about 20 s; `PEAKPLAN_BENCH_ROSTER=DIR` uses a
//! `peakplan schedule --out DIR` folder instead). Needs chromedriver (scripts/prereqs.sh). The
//! figures are in BENCHMARKS.md.

mod common;
// The browser tests' driver; the bench uses part of it.
#[path = "../tests/api/browser.rs"]
#[allow(dead_code)]
mod browser;

use chrono::NaiveDate;
use peakplan::live::{LiveAgent, LivePlan};
use peakplan::store::{self, Actor, NewToken, Role};
use std::time::Instant;

const SERVER_RUNS: usize = 40;
const BROWSER_RUNS: usize = 8;

fn busiest_day(plan: &LivePlan) -> (NaiveDate, usize) {
    let mut days: std::collections::BTreeMap<NaiveDate, usize> = Default::default();
    for s in &plan.shifts {
        *days.entry(s.date).or_default() += 1;
    }
    let (d, n) = days
        .into_iter()
        .max_by_key(|(d, n)| (*n, std::cmp::Reverse(*d)))
        .expect("shifts");
    (d, n)
}

/// `plan` with the agents who work on `date` copied `times - 1` times, with their shifts that day.
fn crowded(plan: &LivePlan, date: NaiveDate, times: usize) -> LivePlan {
    let mut out = plan.clone();
    let day: Vec<_> = plan
        .shifts
        .iter()
        .filter(|s| s.date == date)
        .cloned()
        .collect();
    for k in 1..times {
        for s in &day {
            let a = plan
                .agents
                .iter()
                .find(|a| a.id == s.agent)
                .expect("the agent");
            let id = format!("{}-copy{k}", a.id);
            out.agents.push(LiveAgent {
                id: id.clone(),
                name: format!("{} ({k})", a.name),
                ..a.clone()
            });
            let mut shift = s.clone();
            shift.agent = id;
            out.shifts.push(shift);
        }
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn measure(label: &str, plan: &LivePlan, date: NaiveDate, driver: &browser::Driver) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.sqlite").display());
    let store = store::open(&url).await.expect("store");
    let actor = Actor::cli("bench");
    let draft = store
        .create_roster(&actor, None, plan, None, None)
        .await
        .expect("roster");
    store.publish(&actor, draft.id).await.expect("published");
    let token = NewToken::generate();
    store
        .create_token(&Role::Supervisor, "bench", &token.hash)
        .await
        .expect("token");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(peakplan::api::serve(
        listener,
        store.clone(),
        std::future::pending(),
    ));
    let page = format!("{base}/app/day?date={date}");
    let cookie = format!(
        "pp_session={}.{}",
        chrono::Utc::now().timestamp(),
        token.plain
    );
    let client = reqwest::Client::new();
    let get = || async {
        let started = Instant::now();
        let r = client
            .get(&page)
            .header("Cookie", &cookie)
            .send()
            .await
            .expect("answers");
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.expect("a body").len();
        (started.elapsed().as_secs_f64() * 1e3, bytes)
    };
    let (first, bytes) = get().await;
    let mut times = Vec::new();
    for _ in 0..SERVER_RUNS {
        times.push(get().await.0);
    }
    let shifts = plan.shifts.iter().filter(|s| s.date == date).count();
    let b = driver.browser(1280).await;
    browser::sign_in(&b, &base, &token.plain).await;
    let mut interactive = Vec::new();
    for _ in 0..BROWSER_RUNS {
        b.goto(&page).await.expect("the page opens");
        browser::wait_for(&b, "body[data-ready]").await;
        let t: serde_json::Value = b
            .execute(
                "const n = performance.getEntriesByType('navigation')[0]; return n.domContentLoadedEventEnd - n.startTime;",
                vec![],
            )
            .await
            .expect("navigation timing");
        interactive.push(t.as_f64().expect("a number"));
    }
    b.close().await.expect("closed");
    println!(
        "{label}: {date}, {shifts} shifts in view, page {:.0} kB; server: first (projection) {first:.0} ms, then median {:.1} ms over {SERVER_RUNS}; browser: interactive (DOMContentLoaded, script run) median {:.0} ms over {BROWSER_RUNS}",
        bytes as f64 / 1e3,
        median(times),
        median(interactive)
    );
}

fn main() {
    let started = Instant::now();
    let plan = common::sample_plan();
    let (date, n) = busiest_day(&plan);
    println!(
        "roster: {} shifts, busiest day {date} with {n} (planned in {:.1} s)",
        plan.shifts.len(),
        started.elapsed().as_secs_f64()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let driver = browser::Driver::start().await;
        measure("sample", &plan, date, &driver).await;
        measure("sample ×4", &crowded(&plan, date, 4), date, &driver).await;
    });
}
