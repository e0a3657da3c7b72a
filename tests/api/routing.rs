//! The routing layer's feed: staffing and roster at an instant, and the change stream.

use crate::app::{Backend, TestApp, spawn_app};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use libtest_mimic::Failed;
use serde_json::{Value, json};

/// An instant inside the sample, as a URL-safe RFC 3339 string.
fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339().replace('+', "%2B")
}

pub async fn routing_reads_the_published_roster(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let token = &app.tokens.routing;
    let view = app.plan.clone().view();
    // Every hour of the first day, the feed says what the library projects.
    for i in (0..48).step_by(2) {
        let t = app.plan.interval_start(i) + chrono::Duration::minutes(7);
        let s = app
            .get_json(&format!("/v1/routing/staffing?at={}", at(t)), token)
            .await;
        assert_eq!(s["version"], app.version);
        assert_eq!(
            s["interval_start"].as_str().unwrap(),
            app.plan
                .interval_start(i)
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        );
        for (c, ch) in app.plan.channels.iter().enumerate() {
            let row = &s["channels"][c];
            assert_eq!(row["channel"], ch.id.as_str());
            assert_eq!(row["target_agents"], ch.demand[i].required);
            let p = &view.projection[c][i];
            let scheduled = row["scheduled_agents"].as_f64().unwrap();
            assert!((scheduled - (p.core + p.elastic)).abs() < 0.01, "{row}");
            match p.service_level {
                Some(sl) => {
                    assert!((row["projected_service_level"].as_f64().unwrap() - sl).abs() < 1e-4)
                }
                None => assert!(row["projected_service_level"].is_null()),
            }
        }
        // Who is on shift: the same agents, ids only, and the vendors' heads.
        let r = app
            .get_json(&format!("/v1/routing/roster?at={}", at(t)), token)
            .await;
        for ch in &app.plan.channels {
            let listed = r["channels"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["channel"] == ch.id.as_str())
                .unwrap();
            let mut got: Vec<&str> = listed["agents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["agent"].as_str().unwrap())
                .collect();
            let mut want: Vec<&str> = app
                .plan
                .shifts
                .iter()
                .filter(|s| s.channel == ch.id && s.works_at(t))
                .map(|s| s.agent.as_str())
                .collect();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{} at {t}", ch.id);
        }
        let text = r.to_string();
        for a in &app.plan.agents {
            assert!(
                !text.contains(&format!("\"{}\"", a.name)),
                "names {}",
                a.name
            );
        }
    }
    // Outside the plan: the field is named.
    let r = app
        .get("/v1/routing/staffing?at=2020-01-01T00:00:00Z", token)
        .await;
    let p = crate::app::problem(r, 422).await;
    assert_eq!(p["field"], "at");
    let r = app.get("/v1/routing/staffing?at=tomorrow", token).await;
    assert_eq!(crate::app::problem(r, 422).await["field"], "at");
    // The feed for pollers starts with the publication.
    let changes = app.get_json("/v1/routing/changes?since=0", token).await;
    assert_eq!(changes["changes"][0]["kind"], "published");
    assert_eq!(changes["changes"][0]["version"], app.version);
    app.finish().await;
    Ok(())
}

/// Reads server-sent events from a response until `count` arrived (or 10 s passed).
pub async fn read_events(response: reqwest::Response, count: usize) -> Vec<(i64, String, Value)> {
    let mut stream = response.bytes_stream();
    let mut buffer = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while events.len() < count {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("events arrive within 10 s")
            .expect("the stream stays open")
            .expect("a chunk");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let (mut id, mut kind, mut data) = (None, String::new(), String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("event:") {
                    kind = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            if let Some(id) = id {
                events.push((id, kind, serde_json::from_str(&data).expect("JSON data")));
            }
        }
    }
    events
}

pub async fn subscribe(app: &TestApp, last_event_id: Option<i64>) -> reqwest::Response {
    let mut r = app.request(
        reqwest::Method::GET,
        "/v1/routing/events?since=0",
        &app.tokens.routing,
    );
    if let Some(id) = last_event_id {
        r = app
            .request(
                reqwest::Method::GET,
                "/v1/routing/events",
                &app.tokens.routing,
            )
            .header("Last-Event-ID", id.to_string());
    }
    let response = r.send().await.expect("the server answers");
    assert_eq!(response.status(), 200);
    response
}

pub async fn the_event_stream_resumes_after_last_event_id(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let stream = subscribe(&app, None).await;
    let (agent, date) = app.working_agent("voice");
    let edited = app
        .edit(
            app.version,
            &json!({"kind": "absence", "agent": agent, "date": date}),
        )
        .await;
    assert_eq!(edited.status(), 200);
    let body: Value = edited.json().await?;
    let new_version = body["version"].as_i64().unwrap();
    let events = read_events(stream, 2).await;
    assert_eq!(events[0].1, "published");
    assert_eq!(events[1].1, "edited");
    assert_eq!(events[1].2["version"], new_version);
    assert!(events[1].0 > events[0].0);
    // The routing feed carries no agent id of an edit.
    assert!(!events[1].2.to_string().contains(&agent), "{}", events[1].2);

    // Resume after the first: the second comes again, then a new one.
    let resumed = subscribe(&app, Some(events[0].0)).await;
    let (agent2, date2) = app
        .plan
        .shifts
        .iter()
        .filter(|s| s.channel == "voice" && s.agent != agent)
        .map(|s| (s.agent.clone(), s.date))
        .next()
        .unwrap();
    let third = app
        .edit(
            new_version,
            &json!({"kind": "absence", "agent": agent2, "date": date2}),
        )
        .await;
    assert_eq!(third.status(), 200);
    let again = read_events(resumed, 2).await;
    assert_eq!(again[0].0, events[1].0);
    assert_eq!(again[1].1, "edited");
    assert!(again[1].0 > events[1].0);
    app.finish().await;
    Ok(())
}
