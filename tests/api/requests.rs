//! Bad requests: each gets a 400 or 422 naming what is wrong, and nothing is stored.

use crate::app::{Backend, problem, spawn_app};
use libtest_mimic::Failed;
use reqwest::Method;
use serde_json::json;

pub async fn bad_requests_name_the_field_and_store_nothing(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let (agent, date) = app.working_agent("voice");
    let before = app.footprint().await;
    let raw = |body: &'static str| {
        app.request(Method::POST, "/v1/supervisor/edits", &app.tokens.supervisor)
            .header("If-Match", format!("\"{}\"", app.version))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    let p = problem(raw("{\"kind\": \"absence\", ").await?, 400).await;
    assert!(
        p["detail"].as_str().unwrap().contains("malformed JSON"),
        "{p}"
    );
    let not_json = app
        .request(Method::POST, "/v1/supervisor/edits", &app.tokens.supervisor)
        .header("If-Match", format!("\"{}\"", app.version))
        .body("kind=absence")
        .send()
        .await?;
    problem(not_json, 400).await;

    // (body, field named)
    let cases = vec![
        (
            json!({"kind": "absence", "agent": agent, "date": date, "frm": "10:00"}),
            "frm",
        ),
        (
            json!({"kind": "absense", "agent": agent, "date": date}),
            "kind",
        ),
        (json!({"kind": "absence", "date": date}), "agent"),
        (
            json!({"kind": "absence", "agent": agent, "date": "2026-13-40"}),
            "date",
        ),
        (
            json!({"kind": "absence", "agent": agent, "date": date, "from": "25:99"}),
            "from",
        ),
        (
            json!({"kind": "absence", "agent": agent, "date": date, "from": 10}),
            "from",
        ),
        (
            json!({"kind": "move_break", "agent": agent, "date": date, "from": "99:00", "to": "10:00"}),
            "from",
        ),
        (
            json!({"kind": "vendor_heads", "vendor": "bpo-a", "date": date, "channel": "voice", "start": "10:00", "end": "12:00", "heads": "three"}),
            "heads",
        ),
        (
            json!({"kind": "vendor_heads", "vendor": "bpo-a", "date": date, "channel": "voice", "start": "10:00", "end": "12:00", "heads": -1}),
            "heads",
        ),
        (
            json!({"kind": "vendor_heads", "vendor": "bpo-z", "date": date, "channel": "voice", "start": "10:00", "end": "12:00", "heads": 1}),
            "vendor",
        ),
        (
            json!({"kind": "vendor_heads", "vendor": "bpo-a", "date": date, "channel": "email", "start": "10:00", "end": "12:00", "heads": 1}),
            "channel",
        ),
        (
            json!({"kind": "vendor_heads", "vendor": "bpo-a", "date": date, "channel": "voice", "start": "12:00", "end": "10:00", "heads": 1}),
            "end",
        ),
        (
            json!({"kind": "change_shift", "agent": agent, "date": date, "end": "47:00"}),
            "end",
        ),
        (
            json!({"kind": "absence", "agent": "nobody", "date": date}),
            "agent",
        ),
        (
            json!({"kind": "absence", "agent": agent, "date": "2027-01-01"}),
            "date",
        ),
    ];
    for (body, field) in cases {
        let r = app.edit(app.version, &body).await;
        let p = problem(r, 422).await;
        assert_eq!(p["field"], field, "{body} → {p}");
    }
    let bad_if_match = app
        .request(Method::POST, "/v1/supervisor/edits", &app.tokens.supervisor)
        .header("If-Match", "yesterday")
        .json(&json!({"kind": "absence", "agent": agent, "date": date}))
        .send()
        .await?;
    assert_eq!(problem(bad_if_match, 422).await["field"], "If-Match");
    // An oversized body is refused on its announced length, before it is sent.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut tcp =
            tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await?;
        let head = format!(
            "POST /v1/scenarios HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\n\r\n",
            app.tokens.planner,
            5 * 1024 * 1024
        );
        tcp.write_all(head.as_bytes()).await?;
        let mut answer = vec![0u8; 512];
        let n = tcp.read(&mut answer).await?;
        let answer = String::from_utf8_lossy(&answer[..n]);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    }
    // A scenario with an error: the line is named.
    let r = app
        .request(
            Method::POST,
            "/v1/scenarios?name=broken.toml",
            &app.tokens.planner,
        )
        .body("name = \"x\"\ntime_zone = \"Mars/Olympus\"\n")
        .send()
        .await?;
    let p = problem(r, 422).await;
    assert!(p["detail"].as_str().unwrap().contains("broken.toml"), "{p}");
    // Unknown query fields and job fields.
    let r = app
        .get("/v1/routing/changes?sinse=3", &app.tokens.routing)
        .await;
    assert_eq!(problem(r, 422).await["field"], "sinse");
    let r = app
        .get("/v1/routing/changes?since=soon", &app.tokens.routing)
        .await;
    assert_eq!(problem(r, 422).await["field"], "since");
    let r = app
        .post_json(
            "/v1/jobs",
            &app.tokens.planner,
            &json!({"kind": "schedule", "scenario": 1, "mode": "cheap"}),
        )
        .await;
    assert_eq!(problem(r, 422).await["field"], "mode");
    let r = app.get("/v1/nothing-here", &app.tokens.planner).await;
    problem(r, 404).await;
    assert_eq!(app.footprint().await, before, "nothing stored");
    app.finish().await;
    Ok(())
}

pub async fn the_audit_log_is_append_only(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let (agent, date) = app.working_agent("voice");
    let r = app
        .edit(
            app.version,
            &json!({"kind": "absence", "agent": agent, "date": date}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let entries = app.store.audit_log(0, 100).await?;
    assert!(entries.iter().any(|e| e.action == "live edit"));
    assert!(entries.iter().any(|e| e.action == "publish"));
    for statement in [
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
    ] {
        let err = app
            .raw_execute(statement)
            .await
            .expect_err("the database refuses");
        assert!(err.contains("append-only"), "{statement}: {err}");
    }
    assert_eq!(app.store.audit_log(0, 100).await?, entries);
    app.finish().await;
    Ok(())
}
