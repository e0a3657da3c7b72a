//! Requests an attacker or a careless client sends: each is refused with the right status and a
//! problem+json body, no 5xx, and stored data stays exactly as it was.

use crate::app::{Backend, problem, spawn_app};
use libtest_mimic::Failed;
use reqwest::Method;
use serde_json::{Value, json};

/// A count far beyond any cap is refused at once (no wrap-around, no runaway projection).
pub async fn a_huge_count_is_refused_at_once(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let date = app.plan.blocks[0].date;
    let before = app.footprint().await;
    let started = std::time::Instant::now();
    for heads in [4_294_967_244_u64, u64::from(u32::MAX), 1_000_000] {
        let r = app
            .edit(
                app.version,
                &json!({"kind": "vendor_heads", "vendor": "bpo-a", "date": date, "channel": "voice",
                        "start": "10:00", "end": "12:00", "heads": heads}),
            )
            .await;
        assert_eq!(problem(r, 422).await["field"], "heads");
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "refused at once"
    );
    assert_eq!(app.footprint().await, before, "nothing stored");
    app.finish().await;
    Ok(())
}

/// The role is checked before the body, the headers or the query are read.
pub async fn the_role_is_checked_before_anything_else(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let t = &app.tokens;
    let cases = [
        (Method::POST, "/v1/supervisor/edits", &t.routing),
        (Method::POST, "/v1/supervisor/reforecast", &t.vendor_a),
        (Method::POST, "/v1/jobs", &t.supervisor),
        (Method::POST, "/v1/scenarios?bogus=1", &t.routing),
        (Method::GET, "/v1/audit?limit=oops", &t.routing),
        (Method::GET, "/v1/supervisor/roster?date=never", &t.vendor_b),
        (
            Method::POST,
            "/v1/vendor/plan/1/ack?vendor=x",
            &t.supervisor,
        ),
    ];
    for (method, path, token) in cases {
        // A malformed body, no If-Match, a bad query: still 403, and no word about the schema.
        let r = app
            .request(method.clone(), path, token)
            .header("Content-Type", "application/json")
            .body("{\"kind\": 12, ")
            .send()
            .await?;
        let p = problem(r, 403).await;
        assert!(p.get("field").is_none(), "{method} {path}: {p}");
    }
    // No token at all: 401 before anything else too.
    let r = app
        .request(Method::POST, "/v1/supervisor/edits", "")
        .body("not json")
        .send()
        .await?;
    problem(r, 401).await;
    app.finish().await;
    Ok(())
}

/// Extreme and out-of-horizon dates are a 422 naming the field, never a 500 or another day.
pub async fn dates_outside_the_roster_are_refused(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let t = &app.tokens;
    let before = app.footprint().await;
    for date in [
        "%2B262142-12-31",
        "-262143-01-01",
        "2030-01-01",
        "2026-13-40",
    ] {
        let r = app
            .get(&format!("/v1/supervisor/roster?date={date}"), &t.supervisor)
            .await;
        assert_eq!(problem(r, 422).await["field"], "date", "{date}");
    }
    let r = app
        .get("/v1/vendor/plan?from=2030-01-01", &t.vendor_a)
        .await;
    assert_eq!(problem(r, 422).await["field"], "from");
    let r = app
        .post_json(
            &format!("/v1/vendor/plan/{}/ack", app.version),
            &t.vendor_a,
            &json!({"accept": true, "commitments": [
                {"date": "-262143-01-01", "channel": "voice", "start": "10:00", "heads": 1}]}),
        )
        .await;
    let p = problem(r, 422).await;
    assert_eq!(p["field"], "commitments[0].date", "{p}");
    let r = app
        .post_json(
            "/v1/supervisor/reforecast",
            &t.supervisor,
            &json!({"date": "+262142-12-31", "through": "10:00", "actuals": []}),
        )
        .await;
    assert_eq!(problem(r, 422).await["field"], "date");
    let (agent, _) = app.working_agent("voice");
    let r = app
        .edit(
            app.version,
            &json!({"kind": "overtime_shift", "agent": agent, "date": "+262142-12-31",
                    "channel": "voice", "start": "10:00", "end": "12:00"}),
        )
        .await;
    assert_eq!(problem(r, 422).await["field"], "date");
    assert_eq!(app.footprint().await, before, "nothing stored");
    app.finish().await;
    Ok(())
}

/// If-Match compares strongly: a weak tag matches nothing, so nothing is stored.
pub async fn a_weak_if_match_changes_nothing(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let (agent, date) = app.working_agent("voice");
    let before = app.footprint().await;
    let r = app
        .request(Method::POST, "/v1/supervisor/edits", &app.tokens.supervisor)
        .header("If-Match", format!("W/\"{}\"", app.version))
        .json(&json!({"kind": "absence", "agent": agent, "date": date}))
        .send()
        .await?;
    problem(r, 412).await;
    assert_eq!(app.footprint().await, before, "nothing stored");
    app.finish().await;
    Ok(())
}

/// The errors axum and tower write themselves come as problem+json too.
pub async fn every_error_is_problem_json(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let t = &app.tokens;
    let r = app.get("/v1/versions/abc", &t.planner).await;
    problem(r, 400).await;
    let r = app
        .request(Method::POST, "/v1/scenarios", &t.planner)
        .body(vec![0xff_u8, 0xfe, 0x00, 0x80])
        .send()
        .await?;
    problem(r, 400).await;
    let r = app
        .request(Method::DELETE, "/v1/scenarios", &t.planner)
        .send()
        .await?;
    let allow = r
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap_or("").to_string());
    let p = problem(r, 405).await;
    assert!(allow.is_some_and(|a| a.contains("GET")), "{p}");
    {
        // Refused on the announced length, before the body is sent.
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut tcp =
            tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await?;
        let head = format!(
            "POST /v1/scenarios HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\n\r\n",
            t.planner,
            5 * 1024 * 1024
        );
        tcp.write_all(head.as_bytes()).await?;
        let mut answer = vec![0u8; 2048];
        let n = tcp.read(&mut answer).await?;
        let answer = String::from_utf8_lossy(&answer[..n]).to_string();
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
    }
    let r = app
        .request(Method::POST, "/v1/jobs", &t.planner)
        .header("Content-Type", "application/json")
        .body("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[")
        .send()
        .await?;
    problem(r, 400).await;
    // A mistyped query parameter is named, not `query`.
    let r = app.get("/v1/audit?limit=many", &t.planner).await;
    assert_eq!(problem(r, 422).await["field"], "limit");
    app.finish().await;
    Ok(())
}

/// A request that runs past the timeout is answered 408 as problem+json, and what it started
/// stops with it.
pub async fn a_timed_out_request_is_problem_json(backend: Backend) -> Result<(), Failed> {
    let (store, _url, schema, _dir) = crate::app::open_store(backend).await;
    let planner = crate::app::token(&*store, "planner").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let settings = peakplan::api::Settings {
        request_timeout: std::time::Duration::from_millis(500),
    };
    let server = tokio::spawn(peakplan::api::serve_with(
        listener,
        store,
        settings,
        async {
            let _ = stopped.await;
        },
    ));
    // Headers announce a body that never comes: the server waits for it until the timeout.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await?;
    let head = format!(
        "POST /v1/scenarios HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {planner}\r\nContent-Length: 100\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await?;
    let mut answer = vec![0u8; 2048];
    let n =
        tokio::time::timeout(std::time::Duration::from_secs(10), tcp.read(&mut answer)).await??;
    let answer = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    let _ = stop.send(());
    let _ = server.await;
    if let Some(schema) = schema {
        crate::app::drop_schema(&schema);
    }
    Ok(())
}

/// Two requests for heads in the same window make one block of their sum, which the vendor
/// acknowledges by its start alone.
pub async fn a_repeated_vendor_window_stays_addressable(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    // A half hour of the horizon in which bpo-a has nothing booked yet.
    let tz = app.plan.time_zone;
    let (date, start) = app
        .plan
        .day_intervals(app.plan.first_day() + chrono::Duration::days(1))
        .map(|i| app.plan.interval_start(i))
        .filter(|t| {
            let local = t.with_timezone(&tz).format("%H:%M").to_string();
            ("08:00".."21:30").contains(&local.as_str())
        })
        .find(|t| {
            let end = *t + chrono::Duration::minutes(30);
            !app.plan
                .blocks
                .iter()
                .any(|b| b.vendor == "bpo-a" && b.start < end && *t < b.end)
        })
        .map(|t| (t.with_timezone(&tz).date_naive(), t.with_timezone(&tz)))
        .expect("a free half hour");
    let (from, to) = (
        start.format("%H:%M").to_string(),
        (start + chrono::Duration::minutes(30))
            .format("%H:%M")
            .to_string(),
    );
    let window = json!({"kind": "vendor_heads", "vendor": "bpo-a", "date": date, "channel": "voice",
                        "start": from, "end": to, "heads": 1});
    let mut version = app.version;
    for _ in 0..2 {
        let r = app.edit(version, &window).await;
        let status = r.status();
        let body: Value = r.json().await?;
        assert_eq!(status, 200, "{body}");
        version = body["version"].as_i64().unwrap();
    }
    let plan = app
        .get_json(
            &format!("/v1/vendor/plan?from={date}&to={date}"),
            &app.tokens.vendor_a,
        )
        .await;
    let there: Vec<&Value> = plan["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["start"].as_str().unwrap().ends_with(from.as_str()))
        .collect();
    assert_eq!(there.len(), 1, "{plan}");
    let heads = there[0]["heads"].as_u64().unwrap();
    assert_eq!(heads, 2, "{plan}");
    let r = app
        .post_json(
            &format!("/v1/vendor/plan/{version}/ack"),
            &app.tokens.vendor_a,
            &json!({"accept": true, "commitments": [
                {"date": date, "channel": "voice", "start": from, "heads": heads - 1}]}),
        )
        .await;
    let status = r.status();
    let body: Value = r.json().await?;
    assert_eq!(status, 201, "{body}");
    app.finish().await;
    Ok(())
}
