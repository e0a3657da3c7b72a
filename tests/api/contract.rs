//! The OpenAPI document is the contract: every documented operation is called, and every answer
//! (success and error, JSON and each server-sent event) validates against the schema the document
//! gives for its status; the document itself is kept in docs/openapi.json so that a change to the
//! contract shows in review.

use crate::app::{Backend, small_plan, spawn_app};
use futures_util::StreamExt;
use libtest_mimic::Failed;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const SNAPSHOT: &str = "docs/openapi.json";

/// The generated document equals the reviewed copy (`PEAKPLAN_UPDATE_OPENAPI=1` rewrites it).
pub fn the_document_matches_its_snapshot() -> Result<(), Failed> {
    let generated = serde_json::to_string_pretty(&peakplan::api::openapi_document())? + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SNAPSHOT);
    if std::env::var("PEAKPLAN_UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated)?;
        return Ok(());
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    if kept != generated {
        return Err(format!(
            "{SNAPSHOT} is not the document the code generates: review the API change, then \
             run `PEAKPLAN_UPDATE_OPENAPI=1 cargo test --test api contract` to renew it"
        )
        .into());
    }
    Ok(())
}

/// Validates answers against the document's schemas.
struct Contract {
    doc: Value,
    called: BTreeSet<(String, String)>,
}

impl Contract {
    /// The schema of the answer `status` of `method template` in the content type the answer
    /// has, as `(content type, schema)`.
    fn response_schema(
        &self,
        method: &str,
        template: &str,
        status: u16,
        content_type: &str,
    ) -> (String, Value) {
        let op = &self.doc["paths"][template][method.to_lowercase()];
        assert!(op.is_object(), "{method} {template} is not documented");
        let response = &op["responses"][status.to_string()];
        assert!(
            response.is_object(),
            "{method} {template} answered {status}, which the document does not list"
        );
        let content = response["content"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {template} {status} has no content"));
        let (kind, media) = content
            .iter()
            .find(|(kind, _)| content_type.starts_with(kind.as_str()))
            .or_else(|| content.iter().next())
            .expect("a content type");
        (kind.clone(), media["schema"].clone())
    }

    fn check(&self, what: &str, schema: &Value, instance: &Value) {
        // The document's components beside the schema resolve its `#/components/…` references.
        let mut rooted = schema.clone();
        if let Some(o) = rooted.as_object_mut() {
            o.insert("components".into(), self.doc["components"].clone());
        } else {
            rooted = json!({ "allOf": [schema], "components": self.doc["components"] });
        }
        let validator = jsonschema::validator_for(&rooted)
            .unwrap_or_else(|e| panic!("{what}: the schema does not compile: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: the answer does not match its schema:\n{}\n{instance}",
            errors.join("\n")
        );
    }

    /// Checks one answer; returns its body as JSON (or text as a JSON string).
    async fn answer(&mut self, method: &Method, template: &str, r: reqwest::Response) -> Value {
        self.called
            .insert((method.as_str().to_lowercase(), template.to_string()));
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let (documented, schema) =
            self.response_schema(method.as_str(), template, status, &content_type);
        let what = format!("{method} {template} → {status}");
        assert!(
            content_type.starts_with(&documented),
            "{what}: content type {content_type}, documented {documented}"
        );
        if documented == "text/event-stream" {
            return self.events(&what, r).await;
        }
        let text = r.text().await.expect("a body");
        if documented.contains("json") {
            let body: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {text}"));
            self.check(&what, &schema, &body);
            body
        } else {
            self.check(&what, &schema, &Value::String(text.clone()));
            Value::String(text)
        }
    }

    /// Reads a stream's first events (up to a `finished` one, or a few), validating each `data`
    /// against the schema the operation's description names.
    async fn events(&self, what: &str, r: reqwest::Response) -> Value {
        let job = what.contains("/v1/jobs/");
        let schema_name = if job { "JobAnswer" } else { "FeedChange" };
        let schema = json!({ "$ref": format!("#/components/schemas/{schema_name}") });
        let mut stream = r.bytes_stream();
        let mut text = String::new();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(120);
        let mut seen = Vec::new();
        // A job's stream is read to its end; the feed's first replayed events suffice.
        while if job {
            !text.contains("event: finished")
        } else {
            seen.is_empty()
        } {
            match tokio::time::timeout_at(deadline, stream.next()).await {
                Ok(Some(chunk)) => text.push_str(&String::from_utf8_lossy(&chunk.expect("bytes"))),
                Ok(None) | Err(_) => break,
            }
            seen = text
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(|d| d.trim().to_string())
                .collect();
        }
        assert!(!seen.is_empty(), "{what}: no event arrived: {text}");
        for data in &seen {
            let value: Value = serde_json::from_str(data).expect("event data is JSON");
            self.check(what, &schema, &value);
        }
        Value::Array(seen.into_iter().map(Value::String).collect())
    }

    /// Every documented operation was called.
    fn all_called(&self) {
        let mut documented = BTreeSet::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("operations").keys() {
                documented.insert((method.clone(), path.clone()));
            }
        }
        let missing: Vec<_> = documented.difference(&self.called).collect();
        assert!(missing.is_empty(), "not called: {missing:?}");
    }
}

pub async fn every_answer_matches_the_document(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let t = &app.tokens;
    let r = app.get("/openapi.json", "").await;
    let doc: Value = r.json().await?;
    assert_eq!(doc["openapi"], "3.1.0");
    let mut c = Contract {
        doc,
        called: BTreeSet::new(),
    };
    let v = app.version;
    let plan = &small_plan().0;
    // The check can fail: a problem without its fields, a version with a wrong type.
    for (schema, wrong) in [
        ("Problem", json!({"status": "bad"})),
        ("VersionMeta", json!({"id": "one"})),
    ] {
        let rooted = json!({"$ref": format!("#/components/schemas/{schema}"), "components": c.doc["components"]});
        let validator = jsonschema::validator_for(&rooted)?;
        assert!(!validator.is_valid(&wrong), "{schema} accepts {wrong}");
    }

    macro_rules! call {
        ($method:expr, $template:expr, $path:expr, $token:expr) => {{
            let path = String::from($path);
            let r = app.request($method, &path, $token).send().await?;
            c.answer(&$method, $template, r).await
        }};
        ($method:expr, $template:expr, $path:expr, $token:expr, json $body:expr) => {{
            let r = app
                .request($method, &$path, $token)
                .json(&$body)
                .send()
                .await?;
            c.answer(&$method, $template, r).await
        }};
        ($method:expr, $template:expr, $path:expr, $token:expr, text $body:expr) => {{
            let r = app
                .request($method, &$path, $token)
                .body($body)
                .send()
                .await?;
            c.answer(&$method, $template, r).await
        }};
    }

    call!(Method::GET, "/healthz", "/healthz", "");
    call!(Method::GET, "/readyz", "/readyz", "");
    call!(Method::GET, "/openapi.json", "/openapi.json", "");

    // Planners: scenarios, histories, forecasts.
    let stored = call!(
        Method::POST,
        "/v1/scenarios",
        "/v1/scenarios?name=small.toml",
        &t.planner,
        text plan.scenario_text.clone()
    );
    let scenario = stored["id"].as_i64().expect("an id");
    call!(Method::POST, "/v1/scenarios", "/v1/scenarios", &t.planner, text "name = ");
    call!(Method::GET, "/v1/scenarios", "/v1/scenarios", &t.supervisor);
    call!(Method::GET, "/v1/scenarios", "/v1/scenarios", &t.routing);
    call!(Method::GET, "/v1/scenarios", "/v1/scenarios", "");
    let forecast_csv = peakplan::export::volumes_string(&plan.forecast, plan.scenario.time_zone);
    call!(
        Method::POST,
        "/v1/histories",
        format!("/v1/histories?scenario={scenario}"),
        &t.planner,
        text forecast_csv.clone()
    );
    let stored = call!(
        Method::POST,
        "/v1/forecasts",
        format!("/v1/forecasts?scenario={scenario}"),
        &t.planner,
        text forecast_csv.clone()
    );
    let forecast = stored["id"].as_i64().expect("an id");
    call!(
        Method::POST,
        "/v1/forecasts",
        format!("/v1/forecasts?scenario={scenario}"),
        &t.planner,
        text "timestamp,channel,volume\nyesterday,voice,3\n"
    );

    // Rosters and versions.
    call!(Method::GET, "/v1/rosters", "/v1/rosters", &t.planner);
    call!(
        Method::GET,
        "/v1/rosters/{id}/versions",
        "/v1/rosters/1/versions",
        &t.planner
    );
    call!(
        Method::GET,
        "/v1/rosters/{id}/versions",
        "/v1/rosters/99/versions",
        &t.planner
    );
    call!(
        Method::GET,
        "/v1/versions/{version}",
        format!("/v1/versions/{v}"),
        &t.planner
    );
    call!(
        Method::GET,
        "/v1/versions/{version}/plan",
        format!("/v1/versions/{v}/plan"),
        &t.supervisor
    );
    call!(
        Method::GET,
        "/v1/versions/{version}/acknowledgements",
        format!("/v1/versions/{v}/acknowledgements"),
        &t.planner
    );
    call!(
        Method::GET,
        "/v1/versions/{version}/report",
        format!("/v1/versions/{v}/report"),
        &t.planner
    );
    call!(
        Method::POST,
        "/v1/versions/{version}/publish",
        format!("/v1/versions/{v}/publish"),
        &t.planner
    );
    call!(Method::GET, "/v1/audit", "/v1/audit?limit=5", &t.planner);
    call!(Method::GET, "/v1/audit", "/v1/audit?limit=0", &t.planner);

    // Jobs: queued, followed to the end, read.
    let queued = call!(
        Method::POST,
        "/v1/jobs",
        "/v1/jobs",
        &t.planner,
        json json!({"kind": "staffing", "scenario": scenario, "forecast": forecast})
    );
    let job = queued["job"].as_i64().expect("a job id");
    call!(
        Method::GET,
        "/v1/jobs/{id}/events",
        format!("/v1/jobs/{job}/events"),
        &t.planner
    );
    let done = call!(
        Method::GET,
        "/v1/jobs/{id}",
        format!("/v1/jobs/{job}"),
        &t.planner
    );
    assert_eq!(done["status"], "done", "{done}");
    call!(
        Method::POST,
        "/v1/jobs",
        "/v1/jobs",
        &t.planner,
        json json!({"kind": "staffing", "scenario": scenario, "forecast": 999})
    );

    // The routing layer.
    let at = app.plan.interval_start(20).to_rfc3339().replace('+', "%2B");
    call!(
        Method::GET,
        "/v1/routing/staffing",
        format!("/v1/routing/staffing?at={at}"),
        &t.routing
    );
    call!(
        Method::GET,
        "/v1/routing/roster",
        format!("/v1/routing/roster?at={at}"),
        &t.routing
    );
    call!(
        Method::GET,
        "/v1/routing/roster",
        "/v1/routing/roster?at=soon",
        &t.routing
    );
    call!(
        Method::GET,
        "/v1/routing/changes",
        "/v1/routing/changes?since=0",
        &t.routing
    );
    call!(
        Method::GET,
        "/v1/routing/events",
        "/v1/routing/events?since=0",
        &t.routing
    );

    // Supervisors.
    let (agent, date) = app.working_agent("voice");
    call!(
        Method::GET,
        "/v1/supervisor/roster",
        format!("/v1/supervisor/roster?date={date}"),
        &t.supervisor
    );
    let r = app
        .request(Method::POST, "/v1/supervisor/edits", &t.supervisor)
        .json(&json!({"kind": "absence", "agent": agent, "date": date}))
        .send()
        .await?;
    c.answer(&Method::POST, "/v1/supervisor/edits", r).await;
    let edited = {
        let r = app
            .edit(v, &json!({"kind": "absence", "agent": agent, "date": date}))
            .await;
        c.answer(&Method::POST, "/v1/supervisor/edits", r).await
    };
    let head = edited["version"].as_i64().expect("a version");
    let r = app
        .edit(v, &json!({"kind": "absence", "agent": agent, "date": date}))
        .await;
    c.answer(&Method::POST, "/v1/supervisor/edits", r).await;
    call!(
        Method::POST,
        "/v1/supervisor/reforecast",
        "/v1/supervisor/reforecast",
        &t.supervisor,
        json json!({"date": date, "through": "10:00", "actuals": [{"channel": "voice", "start": "09:00", "volume": 40}]})
    );

    // Vendors: the plan as JSON and CSV, acknowledged.
    let mine = call!(
        Method::GET,
        "/v1/vendor/plan",
        "/v1/vendor/plan",
        &t.vendor_a
    );
    let r = app
        .request(Method::GET, "/v1/vendor/plan", &t.vendor_a)
        .header("Accept", "text/csv")
        .send()
        .await?;
    let csv = c.answer(&Method::GET, "/v1/vendor/plan", r).await;
    assert!(
        csv.as_str().is_some_and(|t| t.starts_with(
            "date,channel,start,end,start_utc,end_utc,heads,committed,hours,requested_live\n"
        )),
        "{csv}"
    );
    assert_eq!(mine["version"], head);
    call!(
        Method::POST,
        "/v1/vendor/plan/{version}/ack",
        format!("/v1/vendor/plan/{head}/ack"),
        &t.vendor_a,
        json json!({"accept": true})
    );
    call!(
        Method::POST,
        "/v1/vendor/plan/{version}/ack",
        format!("/v1/vendor/plan/{head}/ack"),
        &t.routing,
        json json!({"accept": true})
    );

    c.all_called();
    app.finish().await;
    Ok(())
}

/// The roles each operation's description names are the roles the server lets through: every
/// other role gets 403, and the named ones never do.
pub async fn the_documented_roles_are_the_enforced_ones(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let t = &app.tokens;
    let doc: Value = app.get("/openapi.json", "").await.json().await?;
    let roles = [
        ("planner", &t.planner),
        ("supervisor", &t.supervisor),
        ("routing", &t.routing),
        ("vendor", &t.vendor_a),
    ];
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("operations") {
            let description = op["description"].as_str().unwrap_or("");
            let Some(listed) = description.split("Roles: ").nth(1) else {
                assert!(
                    op["security"] == json!([{}]),
                    "{method} {path} names no roles but is not public"
                );
                continue;
            };
            let concrete = path.replace("{id}", "1").replace("{version}", "1");
            let method = Method::from_bytes(method.to_uppercase().as_bytes())?;
            for (role, token) in roles {
                let allowed = listed.contains(role);
                let status = app
                    .request(method.clone(), &concrete, token)
                    .timeout(std::time::Duration::from_secs(2))
                    .send()
                    .await
                    .map(|r| r.status().as_u16());
                let Ok(status) = status else { continue }; // an event stream that stays open
                assert_eq!(
                    status == 403,
                    !allowed,
                    "{method} {path} as {role} answered {status}; documented roles: {listed}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 80, "{checked} checks");
    app.finish().await;
    Ok(())
}
