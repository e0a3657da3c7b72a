//! Live edits: versions, impact, conflicts and concurrency; the intraday re-forecast.

use crate::app::{Backend, problem, spawn_app};
use libtest_mimic::Failed;
use serde_json::{Value, json};
use std::sync::Arc;

pub async fn a_live_edit_makes_a_version_and_reports_its_impact(
    backend: Backend,
) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let (agent, date) = app.working_agent("voice");
    let shift = app
        .plan
        .shifts
        .iter()
        .find(|s| s.agent == agent && s.date == date)
        .unwrap()
        .clone();
    let r = app
        .edit(
            app.version,
            &json!({"kind": "absence", "agent": agent, "date": date}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str()?.to_string();
    let body: Value = r.json().await?;
    let version = body["version"].as_i64().unwrap();
    assert_eq!(etag, format!("\"{version}\""));
    assert_eq!(body["previous"], app.version);
    let impact = &body["impact"][0];
    assert_eq!(impact["channel"], "voice");
    let (b, a) = (
        impact["before"]["service_level"].as_f64().unwrap(),
        impact["after"]["service_level"].as_f64().unwrap(),
    );
    assert!(a < b, "an absence lowers the rest of the day: {b} → {a}");

    // The roster the supervisor reads shows it; the audit log has the shift before and after.
    let day = app
        .get_json(
            &format!("/v1/supervisor/roster?date={date}&channel=voice"),
            &app.tokens.supervisor,
        )
        .await;
    assert_eq!(day["version"], version);
    let row = day["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["agent"] == agent.as_str())
        .unwrap()
        .clone();
    assert!(!row["absent_from"].is_null(), "{row}");
    let audit = app.get_json("/v1/audit", &app.tokens.planner).await;
    let last = audit["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "live edit");
    assert_eq!(last["role"], "supervisor");
    assert_eq!(last["before"]["touched"][0]["absent_from"], Value::Null);
    assert_eq!(
        last["after"]["touched"][0]["absent_from"],
        json!(shift.start)
    );

    // Extend another shift, move a break, add overtime and vendor heads — each a new version.
    let mut v = version;
    let other = app
        .plan
        .shifts
        .iter()
        .find(|s| s.channel == "voice" && s.agent != agent && !s.breaks.is_empty())
        .unwrap()
        .clone();
    let tz: chrono_tz::Tz = app.plan.time_zone;
    let clock = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).format("%H:%M").to_string();
    let brk = other.breaks[0].start;
    let edits = vec![
        json!({"kind": "change_shift", "agent": other.agent, "date": other.date, "end": clock(other.end + chrono::Duration::hours(1))}),
        json!({"kind": "move_break", "agent": other.agent, "date": other.date, "from": clock(brk), "to": clock(brk + chrono::Duration::minutes(30))}),
        json!({"kind": "vendor_heads", "vendor": "bpo-b", "date": date, "channel": "voice", "start": "14:00", "end": "18:00", "heads": 1}),
    ];
    for e in edits {
        let r = app.edit(v, &e).await;
        let status = r.status();
        let body: Value = r.json().await?;
        assert_eq!(status, 200, "{e}: {body}");
        assert_eq!(body["previous"], v);
        v = body["version"].as_i64().unwrap();
    }
    let idle = app
        .plan
        .agents
        .iter()
        .find(|a| {
            a.channels.contains(&"voice".to_string())
                && !app
                    .plan
                    .shifts
                    .iter()
                    .any(|s| s.agent == a.id && s.date == date)
        })
        .expect("an agent off that day");
    let r = app
        .edit(v, &json!({"kind": "overtime_shift", "agent": idle.id, "date": date, "channel": "voice", "start": "17:00", "end": "21:00"}))
        .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    app.finish().await;
    Ok(())
}

pub async fn a_stale_edit_is_refused_and_changes_nothing(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let (agent, date) = app.working_agent("voice");
    let first = app
        .edit(
            app.version,
            &json!({"kind": "absence", "agent": agent, "date": date}),
        )
        .await;
    assert_eq!(first.status(), 200);
    let current: Value = first.json().await?;
    let before = app.footprint().await;
    // The same version again: someone else edited since.
    let (agent2, date2) = app
        .plan
        .shifts
        .iter()
        .find(|s| s.agent != agent)
        .map(|s| (s.agent.clone(), s.date))
        .unwrap();
    let stale = app
        .edit(
            app.version,
            &json!({"kind": "absence", "agent": agent2, "date": date2}),
        )
        .await;
    assert_eq!(
        stale.headers()["etag"].to_str()?,
        format!("\"{}\"", current["version"])
    );
    let p = problem(stale, 412).await;
    assert_eq!(p["current_version"], current["version"]);
    // No If-Match at all.
    let missing = app
        .request(
            reqwest::Method::POST,
            "/v1/supervisor/edits",
            &app.tokens.supervisor,
        )
        .json(&json!({"kind": "absence", "agent": agent2, "date": date2}))
        .send()
        .await?;
    problem(missing, 428).await;
    assert_eq!(
        app.footprint().await,
        before,
        "a refused edit stores nothing"
    );
    app.finish().await;
    Ok(())
}

/// 50 supervisors mark 50 different absences on one roster at once, each retrying on 412 with the
/// version the refusal names: every edit lands once, in 50 versions, with 50 audit entries.
pub async fn fifty_supervisors_lose_no_update(backend: Backend) -> Result<(), Failed> {
    let app = Arc::new(spawn_app(backend).await);
    let mut shifts: Vec<(String, chrono::NaiveDate)> = app
        .plan
        .shifts
        .iter()
        .map(|s| (s.agent.clone(), s.date))
        .collect();
    shifts.truncate(50);
    assert_eq!(shifts.len(), 50, "the sample has 50 shifts to mark");
    let before = app.footprint().await;
    let mut tasks = Vec::new();
    for (agent, date) in shifts.clone() {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut version = app.version;
            for _ in 0..500 {
                let r = app
                    .edit(
                        version,
                        &json!({"kind": "absence", "agent": agent, "date": date}),
                    )
                    .await;
                match r.status().as_u16() {
                    200 => return 1,
                    412 => {
                        let p: Value = r.json().await.unwrap();
                        version = p["current_version"].as_i64().unwrap();
                    }
                    other => panic!("unexpected {other}: {:?}", r.text().await),
                }
            }
            panic!("no edit landed after 500 tries");
        }));
    }
    let mut landed = 0;
    for t in tasks {
        landed += t.await?;
    }
    assert_eq!(landed, 50);
    let after = app.footprint().await;
    assert_eq!(after.0, before.0 + 50, "versions");
    assert_eq!(after.1, before.1 + 50, "audit entries");
    assert_eq!(after.2, before.2 + 50, "changes");
    let live = app.store.live_version().await?.unwrap();
    for (agent, date) in &shifts {
        let s = live
            .plan
            .shifts
            .iter()
            .find(|s| &s.agent == agent && s.date == *date)
            .unwrap();
        assert!(s.absent_from.is_some(), "{agent} {date} lost");
    }
    let edits = app
        .store
        .audit_log(0, 10_000)
        .await?
        .into_iter()
        .filter(|e| e.action == "live edit")
        .count();
    assert_eq!(edits, 50);
    Ok(())
}

pub async fn reforecast_suggests_cover(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let date = app.plan.first_day() + chrono::Duration::days(1);
    let day = app.plan.day_intervals(date);
    let c = app.plan.channel_index("voice").unwrap();
    let tz: chrono_tz::Tz = app.plan.time_zone;
    // A morning at 1.6 × the forecast, through 12:00.
    let mut actuals = Vec::new();
    for i in day.clone() {
        let t = app.plan.interval_start(i).with_timezone(&tz);
        if t.format("%H:%M").to_string().as_str() >= "12:00" {
            break;
        }
        actuals.push(json!({"channel": "voice", "start": t.format("%H:%M").to_string(), "volume": app.plan.channels[c].demand[i].volume * 1.6}));
    }
    let before = app.footprint().await;
    let r = app
        .post_json(
            "/v1/supervisor/reforecast",
            &app.tokens.supervisor,
            &json!({"date": date, "through": "12:00", "actuals": actuals}),
        )
        .await;
    let status = r.status();
    let body: Value = r.json().await?;
    assert_eq!(status, 200, "{body}");
    let voice = &body["reforecast"]["channels"][c];
    let factor = voice["factor"].as_f64().unwrap();
    assert!(factor > 1.2 && factor < 1.6, "{voice}");
    let suggestions = body["reforecast"]["suggestions"].as_array().unwrap();
    assert!(!suggestions.is_empty(), "{body}");
    // Each suggestion is an edit the endpoint takes.
    let mut v = app.version;
    for s in suggestions.iter().take(3) {
        let r = app.edit(v, &s["edit"]).await;
        let status = r.status();
        let b: Value = r.json().await?;
        assert_eq!(status, 200, "{s}: {b}");
        v = b["version"].as_i64().unwrap();
    }
    assert_eq!(app.footprint().await.0, before.0 + suggestions.len().min(3));
    let bad = app
        .post_json("/v1/supervisor/reforecast", &app.tokens.supervisor, &json!({"date": date, "through": "12:00", "actuals": [{"channel": "fax", "start": "09:00", "volume": 3}]}))
        .await;
    assert_eq!(problem(bad, 422).await["field"], "actuals[].channel");
    app.finish().await;
    Ok(())
}

/// Live edits are stored as their change against the parent; every version reads back the same,
/// from this instance's cache or rebuilt by another instance from the stored changes — across a
/// whole chain of changes and the whole plan stored after it.
pub async fn versions_rebuilt_from_changes_read_back_the_same(
    backend: Backend,
) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let tz = app.plan.time_zone;
    let shift = app.plan.shifts[0].clone();
    let end = shift.end.with_timezone(&tz);
    let ends = [
        (end - chrono::Duration::minutes(30))
            .format("%H:%M")
            .to_string(),
        end.format("%H:%M").to_string(),
    ];
    let edits = peakplan::store::SNAPSHOT_EVERY as usize + 3;
    let mut version = app.version;
    let mut kept = Vec::new();
    for k in 0..edits {
        let r = app
            .edit(
                version,
                &json!({"kind": "change_shift", "agent": shift.agent, "date": shift.date, "end": ends[k % 2]}),
            )
            .await;
        let status = r.status();
        let body: Value = r.json().await?;
        assert_eq!(status, 200, "{body}");
        version = body["version"].as_i64().unwrap();
        // The first changes, the last before the whole plan is stored again, and after it.
        if k < 3 || k + 6 > edits {
            let plan: Value = app
                .get_json(&format!("/v1/versions/{version}/plan"), &app.tokens.planner)
                .await;
            kept.push((version, plan));
        }
    }
    // Another instance on the same database has none of these in its cache.
    let other = peakplan::store::open(&app.url).await?;
    for (v, plan) in kept.iter().rev() {
        let stored = other.version(*v).await?.expect("the version");
        assert_eq!(&serde_json::to_value(&*stored.plan)?, plan, "version {v}");
    }
    app.finish().await;
    Ok(())
}
