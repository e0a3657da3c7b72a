//! Two `peakplan serve` processes on one PostgreSQL schema: an edit through one reaches the
//! other's event stream, and each background job runs on exactly one of them.

use crate::app::{drop_schema, fresh_schema, roster_dir, runtime};
use crate::routing::read_events;
use libtest_mimic::Failed;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

type Test = fn() -> Result<(), Failed>;

pub fn tests() -> Vec<(&'static str, Test)> {
    vec![
        (
            "an_edit_through_one_instance_reaches_the_other",
            edit_reaches_the_other,
        ),
        ("each_job_runs_on_exactly_one_instance", each_job_runs_once),
        (
            "sigterm_stops_the_server_with_subscribers_connected",
            sigterm_with_subscribers,
        ),
    ]
}

fn peakplan(url: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_peakplan"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DATABASE_URL", url)
        .args(args)
        .output()
        .expect("peakplan runs");
    assert!(
        out.status.success(),
        "peakplan {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// A `peakplan serve` process; stopped with SIGTERM when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(url: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_peakplan"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("DATABASE_URL", url)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("peakplan serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the address line");
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        Server { child, base }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

struct Setup {
    schema: String,
    url: String,
    planner: String,
    routing: String,
    supervisor: String,
}

impl Drop for Setup {
    fn drop(&mut self) {
        drop_schema(&self.schema);
    }
}

fn setup() -> Setup {
    let (schema, url) = runtime().block_on(fresh_schema());
    let dir = roster_dir().to_str().expect("UTF-8 path").to_string();
    peakplan(&url, &["publish", &dir]);
    let token = |role: &str| {
        peakplan(&url, &["token", "create", "--role", role])
            .trim()
            .to_string()
    };
    Setup {
        planner: token("planner"),
        routing: token("routing"),
        supervisor: token("supervisor"),
        schema,
        url,
    }
}

fn edit_reaches_the_other() -> Result<(), Failed> {
    let s = setup();
    let a = Server::start(&s.url);
    let b = Server::start(&s.url);
    runtime().block_on(async {
        let client = reqwest::Client::new();
        let stream = client
            .get(format!("{}/v1/routing/events?since=0", b.base))
            .bearer_auth(&s.routing)
            .send()
            .await?;
        assert_eq!(stream.status(), 200);
        let plan: Value = client
            .get(format!("{}/v1/versions/1/plan", a.base))
            .bearer_auth(&s.planner)
            .send()
            .await?
            .json()
            .await?;
        let shift = &plan["shifts"][0];
        let started = std::time::Instant::now();
        let r = client
            .post(format!("{}/v1/supervisor/edits", a.base))
            .bearer_auth(&s.supervisor)
            .header("If-Match", "\"1\"")
            .json(&json!({"kind": "absence", "agent": shift["agent"], "date": shift["date"]}))
            .send()
            .await?;
        assert_eq!(r.status(), 200, "{:?}", r.text().await);
        let events = read_events(stream, 2).await;
        let elapsed = started.elapsed();
        assert_eq!(events[1].1, "edited");
        assert_eq!(events[1].2["version"], 2);
        assert!(elapsed.as_secs_f64() < 5.0, "took {elapsed:?}");
        // B serves the new version to routing (its cache follows the notification).
        let mut version = Value::Null;
        for _ in 0..50 {
            let staffing: Value = client
                .get(format!("{}/v1/routing/staffing?at={}", b.base, plan["start"].as_str().unwrap().replace('+', "%2B")))
                .bearer_auth(&s.routing)
                .send()
                .await?
                .json()
                .await?;
            version = staffing["version"].clone();
            if version == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(version, 2);
        // A stale edit through B is refused: both instances share one head.
        let stale = client
            .post(format!("{}/v1/supervisor/edits", b.base))
            .bearer_auth(&s.supervisor)
            .header("If-Match", "\"1\"")
            .json(&json!({"kind": "absence", "agent": plan["shifts"][1]["agent"], "date": plan["shifts"][1]["date"]}))
            .send()
            .await?;
        assert_eq!(stale.status(), 412);
        Ok::<(), Failed>(())
    })
}

fn each_job_runs_once() -> Result<(), Failed> {
    let s = setup();
    let a = Server::start(&s.url);
    let b = Server::start(&s.url);
    runtime().block_on(async {
        let client = reqwest::Client::new();
        let mut ids = Vec::new();
        for k in 0..8 {
            let server = if k % 2 == 0 { &a.base } else { &b.base };
            let r = client
                .post(format!("{server}/v1/jobs"))
                .bearer_auth(&s.planner)
                .json(&json!({"kind": "staffing", "scenario": 1, "forecast": 1}))
                .send()
                .await?;
            assert_eq!(r.status(), 202);
            ids.push(r.json::<Value>().await?["job"].as_i64().unwrap());
        }
        let mut workers = std::collections::BTreeSet::new();
        for id in ids {
            let mut job = Value::Null;
            for _ in 0..300 {
                job = client
                    .get(format!("{}/v1/jobs/{id}", b.base))
                    .bearer_auth(&s.planner)
                    .send()
                    .await?
                    .json()
                    .await?;
                if job["status"] == "done" || job["status"] == "failed" {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            assert_eq!(job["status"], "done", "{job}");
            assert_eq!(job["attempts"], 1, "{job}");
            assert!(
                job["result"]["days"]
                    .as_array()
                    .is_some_and(|d| !d.is_empty())
            );
            workers.insert(job["worker"].as_str().unwrap_or_default().to_string());
        }
        assert!(!workers.is_empty());
        Ok::<(), Failed>(())
    })
}

/// Subscribers never hang up by themselves: on SIGTERM their streams end and the process exits.
fn sigterm_with_subscribers() -> Result<(), Failed> {
    let s = setup();
    let mut server = Server::start(&s.url);
    runtime().block_on(async {
        let client = reqwest::Client::new();
        let mut streams = Vec::new();
        for _ in 0..3 {
            let r = client
                .get(format!("{}/v1/routing/events?since=0", server.base))
                .bearer_auth(&s.routing)
                .send()
                .await?;
            assert_eq!(r.status(), 200);
            streams.push(r);
        }
        Command::new("kill")
            .args(["-TERM", &server.child.id().to_string()])
            .status()?;
        let started = std::time::Instant::now();
        loop {
            if let Some(status) = server.child.try_wait()? {
                assert!(status.success(), "exit status {status}");
                break;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "the server did not stop within 10 s of SIGTERM"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        drop(streams);
        Ok::<(), Failed>(())
    })
}
