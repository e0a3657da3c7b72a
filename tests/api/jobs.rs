//! Background jobs: 202, progress over server-sent events, a result link.

use crate::app::{Backend, roster_dir, spawn_app};
use futures_util::StreamExt;
use libtest_mimic::Failed;
use serde_json::{Value, json};

pub async fn a_schedule_job_runs_in_the_background_and_publishes(
    backend: Backend,
) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let t = &app.tokens;
    let scenario = app.store.scenarios().await?[0].id;
    let csv = std::fs::read_to_string(roster_dir().join("forecast.csv"))?;
    let r = app
        .request(
            reqwest::Method::POST,
            &format!("/v1/forecasts?scenario={scenario}"),
            &t.planner,
        )
        .body(csv)
        .send()
        .await?;
    assert_eq!(r.status(), 201);
    let forecast = r.json::<Value>().await?["id"].as_i64().unwrap();
    let r = app
        .post_json(
            "/v1/jobs",
            &t.planner,
            &json!({"kind": "schedule", "scenario": scenario, "forecast": forecast, "mode": "coverage", "time_limit_seconds": 60}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let location = r.headers()["location"].to_str()?.to_string();
    let job: Value = r.json().await?;
    let id = job["job"].as_i64().unwrap();
    assert_eq!(location, format!("/v1/jobs/{id}"));

    // Follow the progress until the job finishes.
    let events = app.get(&format!("/v1/jobs/{id}/events"), &t.planner).await;
    assert_eq!(events.status(), 200);
    let mut stream = events.bytes_stream();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(180);
    while !text.contains("event: finished") {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(chunk)) => text.push_str(&String::from_utf8_lossy(&chunk?)),
            Ok(None) => break,
            Err(_) => panic!("the job did not finish in 180 s: {text}"),
        }
    }
    assert!(text.contains("event: progress"), "{text}");
    let done = app.get_json(&format!("/v1/jobs/{id}"), &t.planner).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["attempts"], 1);
    let version = done["result"]["version"].as_i64().unwrap();
    let v = app
        .get_json(&format!("/v1/versions/{version}"), &t.planner)
        .await;
    assert_eq!(v["version"]["status"], "draft");
    assert!(v["summary"]["cost_total"].as_f64().unwrap() > 0.0);

    // Publishing it makes it the live roster for routing.
    let r = app
        .request(
            reqwest::Method::POST,
            &format!("/v1/versions/{version}/publish"),
            &t.planner,
        )
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    let mut live = 0;
    for _ in 0..50 {
        let s = app
            .get_json("/v1/routing/changes?since=0", &t.routing)
            .await;
        live = s["changes"].as_array().unwrap().last().unwrap()["version"]
            .as_i64()
            .unwrap();
        if live == version {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(live, version);
    let at = app.plan.interval_start(20).to_rfc3339().replace('+', "%2B");
    let s = app
        .get_json(&format!("/v1/routing/staffing?at={at}"), &t.routing)
        .await;
    assert_eq!(s["version"], version);
    // Publishing again is refused: it is no longer a draft.
    let again = app
        .request(
            reqwest::Method::POST,
            &format!("/v1/versions/{version}/publish"),
            &t.planner,
        )
        .send()
        .await?;
    crate::app::problem(again, 409).await;
    app.finish().await;
    Ok(())
}

/// The queue itself: a job whose worker stopped beating is claimed again, a stale worker cannot
/// finish it, a stopping worker hands its job back, and concurrent claimers never share a job.
pub async fn an_interrupted_job_is_picked_up_again(backend: Backend) -> Result<(), Failed> {
    use peakplan::store::{Actor, JobStatus};
    let (store, _url, schema, _dir) = crate::app::open_store(backend).await;
    let actor = Actor::cli("test");
    let id = store.enqueue_job(&actor, "staffing", &json!({})).await?;
    let t0 = 1_000_000_000_000;
    let first = store.claim_job("w1", t0, 30_000).await?.expect("a job");
    assert_eq!((first.id, first.attempts), (id, 1));
    assert!(
        store.claim_job("w2", t0 + 10_000, 30_000).await?.is_none(),
        "w1 is still beating"
    );
    store
        .job_progress(id, "w1", "half way", t0 + 20_000)
        .await?;
    assert!(store.claim_job("w2", t0 + 45_000, 30_000).await?.is_none());
    // w1 dies: no beat for 30 s.
    let again = store
        .claim_job("w2", t0 + 51_000, 30_000)
        .await?
        .expect("taken over");
    assert_eq!((again.id, again.attempts), (id, 2));
    store
        .finish_job(id, "w1", Ok(json!({"late": true})))
        .await?;
    assert_eq!(
        store.job(id).await?.unwrap().status,
        JobStatus::Running,
        "w1 no longer owns it"
    );
    store.finish_job(id, "w2", Ok(json!({"ok": true}))).await?;
    let done = store.job(id).await?.unwrap();
    assert_eq!(done.status, JobStatus::Done);
    assert_eq!(done.result, Some(json!({"ok": true})));

    // A worker stopping gracefully puts its running job back at once.
    let id2 = store.enqueue_job(&actor, "staffing", &json!({})).await?;
    assert_eq!(store.claim_job("w3", t0, 30_000).await?.unwrap().id, id2);
    assert_eq!(store.release_jobs("w3").await?, 1);
    assert_eq!(store.job(id2).await?.unwrap().status, JobStatus::Queued);
    assert_eq!(store.claim_job("w4", t0, 30_000).await?.unwrap().id, id2);
    store.finish_job(id2, "w4", Err("stopped".into())).await?;

    // 40 jobs, 8 claimers at once: each job claimed exactly once.
    let mut ids = Vec::new();
    for _ in 0..40 {
        ids.push(store.enqueue_job(&actor, "staffing", &json!({})).await?);
    }
    let mut claimers = Vec::new();
    for w in 0..8 {
        let store = store.clone();
        claimers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(job) = store
                .claim_job(&format!("c{w}"), t0, 30_000)
                .await
                .expect("claim")
            {
                mine.push(job.id);
            }
            mine
        }));
    }
    let mut claimed = Vec::new();
    for c in claimers {
        claimed.extend(c.await?);
    }
    claimed.sort_unstable();
    assert_eq!(claimed, ids, "every job once");
    if let Some(schema) = schema {
        crate::app::drop_schema(&schema);
    }
    Ok(())
}

/// Follows a job's events until it finishes; the job as it ended.
async fn finished(app: &crate::app::TestApp, id: i64) -> Value {
    let events = app
        .get(&format!("/v1/jobs/{id}/events"), &app.tokens.planner)
        .await;
    assert_eq!(events.status(), 200);
    let mut stream = events.bytes_stream();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(240);
    while !text.contains("event: finished") {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(chunk)) => text.push_str(&String::from_utf8_lossy(&chunk.expect("bytes"))),
            Ok(None) => break,
            Err(_) => panic!("job {id} did not finish in 240 s: {text}"),
        }
    }
    app.get_json(&format!("/v1/jobs/{id}"), &app.tokens.planner)
        .await
}

/// The whole main job through the API: a draft version with its simulation check and report.
pub async fn a_plan_job_stores_a_checked_draft_with_its_report(
    backend: Backend,
) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let t = &app.tokens;
    let scenario = app.store.scenarios().await?[0].id;
    let csv = std::fs::read_to_string(roster_dir().join("forecast.csv"))?;
    let r = app
        .request(
            reqwest::Method::POST,
            &format!("/v1/forecasts?scenario={scenario}"),
            &t.planner,
        )
        .body(csv)
        .send()
        .await?;
    assert_eq!(r.status(), 201);
    let forecast = r.json::<Value>().await?["id"].as_i64().unwrap();
    let r = app
        .post_json(
            "/v1/jobs",
            &t.planner,
            &json!({"kind": "plan", "scenario": scenario, "forecast": forecast, "mode": "coverage",
                    "time_limit_seconds": 60, "replications": 3, "seed": 5}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let id = r.json::<Value>().await?["job"].as_i64().unwrap();
    let done = finished(&app, id).await;
    assert_eq!(done["status"], "done", "{done}");
    let result = &done["result"];
    assert_eq!(result["kind"], "roster", "{done}");
    assert_eq!(result["simulated"], true, "{done}");
    assert_eq!(result["status"], "draft", "{done}");
    let version = result["version"].as_i64().unwrap();
    let v = app
        .get_json(&format!("/v1/versions/{version}"), &t.planner)
        .await;
    assert_eq!(v["summary"]["mode"], "coverage", "{v}");
    let report = app
        .get(&format!("/v1/versions/{version}/report"), &t.planner)
        .await;
    assert_eq!(report.status(), 200);
    let html = report.text().await?;
    assert!(
        html.contains("simulated") && html.contains("<svg"),
        "the report shows the simulation check"
    );
    app.finish().await;
    Ok(())
}

/// Histories are uploaded, never read from a path a request names; a job naming something that
/// does not exist is refused before it is queued.
pub async fn histories_are_uploaded_and_jobs_check_what_they_name(
    backend: Backend,
) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let t = &app.tokens;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let sample = std::fs::read_to_string(root.join("models/promo-peak.toml"))?;
    // A scenario naming a server file is refused, and the file's content appears nowhere.
    let naming = sample.replace(
        "history = \"../forecasts/promo-peak-history.csv\"",
        "history = \"/etc/passwd\"",
    );
    let r = app
        .request(reqwest::Method::POST, "/v1/scenarios", &t.planner)
        .body(naming)
        .send()
        .await?;
    let p = crate::app::problem(r, 422).await;
    assert_eq!(p["field"], "history", "{p}");
    assert!(!p.to_string().contains("root:"), "{p}");

    let without: String = sample
        .lines()
        .filter(|l| !l.starts_with("history ="))
        .collect::<Vec<_>>()
        .join("\n");
    let r = app
        .request(reqwest::Method::POST, "/v1/scenarios", &t.planner)
        .body(without)
        .send()
        .await?;
    assert_eq!(r.status(), 201);
    let scenario = r.json::<Value>().await?["id"].as_i64().unwrap();

    // A history with a bad line is refused with the line; nothing is stored.
    let before = app.footprint().await;
    let r = app
        .request(
            reqwest::Method::POST,
            &format!("/v1/histories?scenario={scenario}"),
            &t.planner,
        )
        .body("timestamp,channel,volume\n2026-01-05 08:00,voice,12\n2026-01-05 08:30,voice,lots\n")
        .send()
        .await?;
    let p = crate::app::problem(r, 422).await;
    assert!(p["detail"].as_str().unwrap().contains(":3:"), "{p}");
    assert_eq!(app.footprint().await, before, "nothing stored");

    // Jobs naming what does not exist are refused at submission.
    for (body, field) in [
        (
            json!({"kind": "forecast", "scenario": scenario, "history": 999}),
            "history",
        ),
        (
            json!({"kind": "staffing", "scenario": scenario, "forecast": 999}),
            "forecast",
        ),
        (
            json!({"kind": "plan", "scenario": 999, "history": 1}),
            "scenario",
        ),
        (json!({"kind": "schedule", "scenario": scenario}), "history"),
    ] {
        let r = app.post_json("/v1/jobs", &t.planner, &body).await;
        assert_eq!(crate::app::problem(r, 422).await["field"], field, "{body}");
    }
    assert!(
        app.store.claim_job("probe", 0, 1).await?.is_none(),
        "nothing queued"
    );

    // The history uploaded, then forecast by a job.
    let history = std::fs::read_to_string(root.join("forecasts/promo-peak-history.csv"))?;
    let r = app
        .request(
            reqwest::Method::POST,
            &format!("/v1/histories?scenario={scenario}"),
            &t.planner,
        )
        .body(history)
        .send()
        .await?;
    assert_eq!(r.status(), 201);
    let stored: Value = r.json().await?;
    assert!(stored["rows"].as_u64().unwrap() > 80_000, "{stored}");
    let history = stored["id"].as_i64().unwrap();
    let r = app
        .post_json(
            "/v1/jobs",
            &t.planner,
            &json!({"kind": "forecast", "scenario": scenario, "history": history}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let id = r.json::<Value>().await?["job"].as_i64().unwrap();
    let done = finished(&app, id).await;
    assert_eq!(done["status"], "done", "{done}");
    assert!(done["result"]["rows"].as_u64().unwrap() > 1000, "{done}");

    // The capacity plan from the same history: the capacity file's text without its `scenario`.
    let capacity: String = std::fs::read_to_string(root.join("models/promo-peak-capacity.toml"))?
        .lines()
        .filter(|l| !l.starts_with("scenario ="))
        .map(|l| {
            if l.starts_with("scenarios =") {
                "scenarios = 20"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let r = app
        .post_json(
            "/v1/jobs",
            &t.planner,
            &json!({"kind": "capacity", "scenario": scenario, "history": history, "capacity": "weeks = ["}),
        )
        .await;
    assert_eq!(crate::app::problem(r, 422).await["field"], "capacity");
    let r = app
        .post_json(
            "/v1/jobs",
            &t.planner,
            &json!({"kind": "capacity", "scenario": scenario, "history": history, "capacity": capacity}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let id = r.json::<Value>().await?["job"].as_i64().unwrap();
    let done = finished(&app, id).await;
    assert_eq!(done["status"], "done", "{done}");
    let result = &done["result"];
    assert_eq!(result["kind"], "capacity", "{result}");
    assert_eq!(result["unreachable_weeks"], 0, "{result}");
    assert!(
        result["lower_bound"].as_f64().unwrap()
            <= result["cost_total"].as_f64().unwrap() * (1.0 + 1e-9)
    );
    assert_eq!(
        result["plan"]["channel_weeks"].as_array().unwrap().len(),
        16 * 3
    );
    // A capacity text that names a scenario file is refused by the job, naming the key.
    let naming = format!("scenario = \"/etc/passwd\"\n{capacity}");
    let r = app
        .post_json(
            "/v1/jobs",
            &t.planner,
            &json!({"kind": "capacity", "scenario": scenario, "history": history, "capacity": naming}),
        )
        .await;
    let id = r.json::<Value>().await?["job"].as_i64().unwrap();
    let failed = finished(&app, id).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed["error"].as_str().unwrap().contains("`scenario`"),
        "{failed}"
    );
    app.finish().await;
    Ok(())
}
