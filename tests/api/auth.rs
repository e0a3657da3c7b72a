//! Tokens and roles: who may read and write what.

use crate::app::{Backend, problem, spawn_app};
use libtest_mimic::Failed;
use reqwest::Method;
use serde_json::json;

pub async fn health_and_readiness_need_no_token(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let health = app.get_json("/healthz", "").await;
    assert_eq!(health["status"], "ok");
    let ready = app.get_json("/readyz", "").await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["store"]["backend"], backend.name());
    assert_eq!(ready["store"]["migrations_applied"], 4);
    let spec = app.get_json("/openapi.json", "").await;
    assert_eq!(spec["openapi"], "3.1.0");
    // Every documented path and method is routed (the fallback's 404 names no resource).
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.len() >= 24, "{} paths", paths.len());
    for (path, methods) in paths {
        let concrete = path.replace("{id}", "1").replace("{version}", "1");
        for method in methods.as_object().unwrap().keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = app
                .request(m, &concrete, &app.tokens.planner)
                .timeout(std::time::Duration::from_secs(2))
                .send()
                .await;
            let Ok(r) = r else { continue }; // an event stream that stays open is routed
            if r.status() == 404 {
                let body = r.text().await?;
                assert!(
                    !body.contains("this endpoint"),
                    "{method} {path} is not routed"
                );
            }
        }
    }
    app.finish().await;
    Ok(())
}

pub async fn every_endpoint_checks_the_role(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let v = app.version;
    let t = &app.tokens;
    // No token, a wrong token.
    let p = problem(app.get("/v1/routing/staffing", "").await, 401).await;
    assert!(p["detail"].as_str().unwrap().contains("Bearer"), "{p}");
    problem(app.get("/v1/routing/staffing", "pp_not_a_token").await, 401).await;
    // A revoked token is refused (revoked before this server looked it up).
    let spare = crate::app::token(&*app.store, "routing").await;
    let id = app.store.tokens().await?.last().unwrap().id;
    assert!(
        app.store
            .revoke_token(&peakplan::store::Actor::cli("test"), id)
            .await?
    );
    assert!(
        !app.store
            .revoke_token(&peakplan::store::Actor::cli("test"), id)
            .await?
    );
    problem(app.get("/v1/routing/changes", &spare).await, 401).await;

    // (method, path, body, roles that may) — everyone else gets 403.
    let edit = json!({"kind": "absence", "agent": "nobody", "date": "2026-11-09"});
    let cases: Vec<(Method, String, Option<serde_json::Value>, Vec<&str>)> = vec![
        (
            Method::GET,
            "/v1/routing/staffing?at=2026-11-09T10:00:00%2B08:00".into(),
            None,
            vec!["planner", "supervisor", "routing"],
        ),
        (
            Method::GET,
            "/v1/routing/roster?at=2026-11-09T10:00:00%2B08:00".into(),
            None,
            vec!["planner", "supervisor", "routing"],
        ),
        (
            Method::GET,
            "/v1/routing/changes".into(),
            None,
            vec!["planner", "supervisor", "routing"],
        ),
        (
            Method::GET,
            "/v1/rosters".into(),
            None,
            vec!["planner", "supervisor"],
        ),
        (
            Method::GET,
            format!("/v1/versions/{v}/plan"),
            None,
            vec!["planner", "supervisor"],
        ),
        (
            Method::GET,
            "/v1/audit".into(),
            None,
            vec!["planner", "supervisor"],
        ),
        (
            Method::GET,
            "/v1/supervisor/roster?date=2026-11-09".into(),
            None,
            vec!["planner", "supervisor"],
        ),
        (
            Method::POST,
            format!("/v1/versions/{v}/publish"),
            None,
            vec!["planner"],
        ),
        (
            Method::POST,
            "/v1/jobs".into(),
            Some(json!({"kind": "forecast", "scenario": 999, "history": 1})),
            vec!["planner"],
        ),
        (
            Method::POST,
            "/v1/supervisor/edits".into(),
            Some(edit),
            vec!["planner", "supervisor"],
        ),
    ];
    let roles = [
        ("planner", &t.planner),
        ("supervisor", &t.supervisor),
        ("routing", &t.routing),
        ("vendor", &t.vendor_a),
    ];
    for (method, path, body, allowed) in &cases {
        for (role, token) in roles {
            let mut r = app
                .request(method.clone(), path, token)
                .header("If-Match", format!("\"{v}\""));
            if let Some(b) = body {
                r = r.json(b);
            }
            let status = r.send().await?.status().as_u16();
            if allowed.contains(&role) {
                assert_ne!(status, 403, "{role} {method} {path}");
                assert_ne!(status, 401, "{role} {method} {path}");
            } else {
                assert_eq!(status, 403, "{role} {method} {path}");
            }
        }
    }
    // A routing token reads no vendor plan, and cannot acknowledge one.
    problem(
        app.get("/v1/vendor/plan?vendor=bpo-a", &t.routing).await,
        403,
    )
    .await;
    let ack = app
        .post_json(
            &format!("/v1/vendor/plan/{v}/ack"),
            &t.routing,
            &json!({"accept": true}),
        )
        .await;
    problem(ack, 403).await;
    app.finish().await;
    Ok(())
}

pub async fn a_vendor_sees_only_its_own_plan(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let t = &app.tokens;
    let own = app.get_json("/v1/vendor/plan", &t.vendor_a).await;
    assert_eq!(own["vendor"]["id"], "bpo-a");
    let blocks = own["blocks"].as_array().unwrap();
    let expected = app
        .plan
        .blocks
        .iter()
        .filter(|b| b.vendor == "bpo-a")
        .count();
    assert!(expected > 0);
    assert_eq!(blocks.len(), expected);
    // Another vendor's plan: refused, by query or by acknowledging it.
    let p = problem(
        app.get("/v1/vendor/plan?vendor=bpo-b", &t.vendor_a).await,
        403,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("own plan"), "{p}");
    // Nothing of the core team or of the other vendor in the body, JSON or CSV.
    for accept in ["application/json", "text/csv"] {
        let body = app
            .request(Method::GET, "/v1/vendor/plan", &t.vendor_a)
            .header("Accept", accept)
            .send()
            .await?
            .text()
            .await?;
        assert!(!body.contains("bpo-b"), "{accept}: {body}");
        for agent in &app.plan.agents {
            assert!(!body.contains(&agent.id), "{accept} names {}", agent.id);
            assert!(!body.contains(&agent.name), "{accept} names {}", agent.name);
        }
    }
    // Planners read any vendor's plan by naming it.
    let b = app
        .get_json("/v1/vendor/plan?vendor=bpo-b", &t.planner)
        .await;
    assert_eq!(b["vendor"]["id"], "bpo-b");
    app.finish().await;
    Ok(())
}

pub async fn a_plan_report_is_served_with_its_version(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let t = &app.tokens;
    // The sample was published without a report.
    problem(
        app.get(&format!("/v1/versions/{}/report", app.version), &t.planner)
            .await,
        404,
    )
    .await;
    let actor = peakplan::store::Actor::cli("test");
    let html = "<!DOCTYPE html><html><body><h1>the plan</h1></body></html>";
    let draft = app
        .store
        .create_roster(&actor, None, &app.plan, None, Some(html))
        .await?;
    let published = app.store.publish(&actor, draft.id).await?.id;
    let r = app
        .get(&format!("/v1/versions/{published}/report"), &t.supervisor)
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()?
            .starts_with("text/html")
    );
    assert_eq!(r.text().await?, html);
    problem(
        app.get(&format!("/v1/versions/{published}/report"), &t.routing)
            .await,
        403,
    )
    .await;
    // After a live edit the report is the plan's, with a banner saying so.
    let (agent, date) = app.working_agent("voice");
    let edited = app
        .edit(
            published,
            &json!({"kind": "absence", "agent": agent, "date": date}),
        )
        .await;
    let v: serde_json::Value = edited.json().await?;
    let v = v["version"].as_i64().unwrap();
    let r = app
        .get(&format!("/v1/versions/{v}/report"), &t.planner)
        .await
        .text()
        .await?;
    assert!(
        r.contains(&format!("the report of version {published}")),
        "{r}"
    );
    assert!(r.contains("<h1>the plan</h1>"));
    app.finish().await;
    Ok(())
}
