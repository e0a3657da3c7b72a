//! Vendors read and acknowledge their plans; a shortfall shows for planners and in the feed.

use crate::app::{Backend, problem, spawn_app};
use libtest_mimic::Failed;
use reqwest::Method;
use serde_json::{Value, json};

pub async fn a_vendor_reads_and_acknowledges_its_plan(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let t = &app.tokens;
    let plan = app
        .get_json("/v1/vendor/plan?from=2026-11-10&to=2026-11-10", &t.vendor_b)
        .await;
    let version = plan["version"].as_i64().unwrap();
    let blocks = plan["blocks"].as_array().unwrap();
    assert!(!blocks.is_empty());
    assert!(blocks.iter().all(|b| b["date"] == "2026-11-10"));
    let csv = app
        .request(Method::GET, "/v1/vendor/plan", &t.vendor_b)
        .header("Accept", "text/csv")
        .send()
        .await?;
    assert!(
        csv.headers()["content-type"]
            .to_str()?
            .starts_with("text/csv")
    );
    let csv = csv.text().await?;
    // One layout: the API's CSV is the file the plan wrote for the vendor.
    let written = std::fs::read_to_string(crate::app::roster_dir().join("vendor_bpo-b.csv"))?;
    assert_eq!(csv, written);
    let all = app
        .plan
        .blocks
        .iter()
        .filter(|b| b.vendor == "bpo-b")
        .count();
    assert_eq!(csv.lines().count(), all + 1);

    // A commitment on a block that is not the vendor's: the field is named, nothing stored.
    let before = app.footprint().await;
    let wrong = app
        .post_json(
            &format!("/v1/vendor/plan/{version}/ack"),
            &t.vendor_b,
            &json!({"accept": true, "commitments": [{"date": "2026-11-10", "channel": "voice", "start": "03:00", "heads": 1}]}),
        )
        .await;
    assert_eq!(problem(wrong, 422).await["field"], "commitments[0].start");
    let too_many = &blocks[0];
    let start = &too_many["start"].as_str().unwrap()[11..16];
    let over = app
        .post_json(
            &format!("/v1/vendor/plan/{version}/ack"),
            &t.vendor_b,
            &json!({"accept": true, "commitments": [{"date": too_many["date"], "channel": too_many["channel"], "start": start, "heads": too_many["heads"].as_u64().unwrap() + 1}]}),
        )
        .await;
    assert_eq!(problem(over, 422).await["field"], "commitments[0].heads");
    assert_eq!(app.footprint().await, before);

    // Accepted as planned: a new version, every block committed in full.
    let ok = app
        .post_json(
            &format!("/v1/vendor/plan/{version}/ack"),
            &t.vendor_b,
            &json!({"accept": true}),
        )
        .await;
    assert_eq!(ok.status(), 201);
    let ok: Value = ok.json().await?;
    assert_eq!(ok["shortfall"].as_array().unwrap().len(), 0);
    let after = app.get_json("/v1/vendor/plan", &t.vendor_b).await;
    assert_eq!(after["version"], ok["version"]);
    assert!(
        after["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["committed"] == b["heads"])
    );
    // The other vendor's blocks are untouched.
    let other = app.get_json("/v1/vendor/plan", &t.vendor_a).await;
    assert!(
        other["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["committed"].is_null())
    );
    let acks = app
        .get_json(
            &format!("/v1/versions/{version}/acknowledgements"),
            &t.planner,
        )
        .await;
    assert_eq!(acks["acknowledgements"][0]["vendor"], "bpo-b");
    app.finish().await;
    Ok(())
}

pub async fn a_shortfall_lowers_the_projected_service(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let t = &app.tokens;
    let plan = app.get_json("/v1/vendor/plan", &t.vendor_a).await;
    let version = plan["version"].as_i64().unwrap();
    let block = plan["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["channel"] == "voice" && b["heads"].as_u64().unwrap() >= 2)
        .expect("a voice block of two heads or more")
        .clone();
    let at = block["start_utc"].as_str().unwrap().replace('+', "%2B");
    let staffing = |body: &Value| {
        body["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["channel"] == "voice")
            .unwrap()
            .clone()
    };
    let before = staffing(
        &app.get_json(&format!("/v1/routing/staffing?at={at}"), &t.routing)
            .await,
    );
    let heads = block["heads"].as_u64().unwrap();
    let start = &block["start"].as_str().unwrap()[11..16];
    let ack = app
        .post_json(
            &format!("/v1/vendor/plan/{version}/ack"),
            &t.vendor_a,
            &json!({"accept": true, "commitments": [{"date": block["date"], "channel": "voice", "start": start, "heads": heads - 2}]}),
        )
        .await;
    assert_eq!(ack.status(), 201);
    let ack: Value = ack.json().await?;
    assert_eq!(ack["shortfall"][0]["planned"], heads);
    assert_eq!(ack["shortfall"][0]["committed"], heads - 2);
    let new_version = ack["version"].as_i64().unwrap();

    let after_body = app
        .get_json(&format!("/v1/routing/staffing?at={at}"), &t.routing)
        .await;
    assert_eq!(after_body["version"], new_version);
    let after = staffing(&after_body);
    let (b, a) = (
        before["vendor_heads"].as_f64().unwrap(),
        after["vendor_heads"].as_f64().unwrap(),
    );
    assert!((b - a - 2.0).abs() < 1e-6, "vendor heads {b} → {a}");
    let (b, a) = (
        before["projected_service_level"].as_f64().unwrap(),
        after["projected_service_level"].as_f64().unwrap(),
    );
    assert!(a < b, "projected service {b} → {a}");
    // Planners see the shortfall, and the feed says so.
    let acks = app
        .get_json(
            &format!("/v1/versions/{new_version}/acknowledgements"),
            &t.planner,
        )
        .await;
    let a_row = acks["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["vendor"] == "bpo-a")
        .unwrap()
        .clone();
    assert_eq!(a_row["shortfall"].as_array().unwrap().len(), 1, "{a_row}");
    assert_eq!(acks["acknowledgements"][0]["version"], version, "{acks}");
    let changes = app
        .get_json("/v1/routing/changes?since=0", &t.routing)
        .await;
    let last = changes["changes"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "acknowledged");
    assert_eq!(last["detail"]["shortfall"][0]["committed"], heads - 2);
    // Acknowledging a plan that changed since: told to read the new one.
    let edit = app
        .edit(
            new_version,
            &json!({"kind": "vendor_heads", "vendor": "bpo-a", "date": block["date"], "channel": "voice", "start": "20:00", "end": "22:00", "heads": 1}),
        )
        .await;
    assert_eq!(edit.status(), 200, "{:?}", edit.text().await);
    let stale = app
        .post_json(
            &format!("/v1/vendor/plan/{version}/ack"),
            &t.vendor_a,
            &json!({"accept": true}),
        )
        .await;
    let p = problem(stale, 409).await;
    assert!(p["detail"].as_str().unwrap().contains("changed"), "{p}");
    app.finish().await;
    Ok(())
}
