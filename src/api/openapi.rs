//! `GET /openapi.json`: the API described as OpenAPI 3.1 — every route of [`super::router`], its
//! roles, parameters, bodies and the problem+json errors. A test calls every path and method
//! described here and checks the server routes it.

use axum::Json;
use serde_json::{Value, json};

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

fn ok(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "type": "object" } } } })
}

fn param(name: &str, location: &str, required: bool, schema: Value, description: &str) -> Value {
    json!({ "name": name, "in": location, "required": required, "schema": schema, "description": description })
}

fn at() -> Value {
    param(
        "at",
        "query",
        false,
        json!({"type": "string", "format": "date-time"}),
        "RFC 3339 instant (now when omitted)",
    )
}

fn id(name: &str) -> Value {
    param(name, "path", true, json!({"type": "integer"}), name)
}

fn json_body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

/// One operation: summary, roles allowed, parameters, body, success status and description.
fn op(
    summary: &str,
    roles: &str,
    params: Vec<Value>,
    body: Option<Value>,
    success: (&str, &str),
) -> Value {
    let mut o = json!({
        "summary": summary,
        "description": format!("Roles: {roles}."),
        "parameters": params,
        "responses": {
            success.0: ok(success.1),
            "400": problem("malformed request"),
            "401": problem("missing or unknown token"),
            "403": problem("the token's role may not do this"),
            "404": problem("not found"),
            "422": problem("a field is invalid; `field` names it"),
        }
    });
    if let Some(b) = body {
        o["requestBody"] = b;
    }
    o
}

pub fn spec() -> Value {
    let edit_schema = json!({
        "oneOf": [
            {"type": "object", "required": ["kind", "agent", "date"], "properties": {
                "kind": {"const": "absence"}, "agent": {"type": "string"}, "date": {"type": "string", "format": "date"},
                "from": {"type": "string", "pattern": "^[0-4][0-9]:[0-5][0-9]$"}}},
            {"type": "object", "required": ["kind", "agent", "date"], "properties": {
                "kind": {"const": "change_shift"}, "agent": {"type": "string"}, "date": {"type": "string", "format": "date"},
                "start": {"type": "string"}, "end": {"type": "string"}}},
            {"type": "object", "required": ["kind", "agent", "date", "from", "to"], "properties": {
                "kind": {"const": "move_break"}, "agent": {"type": "string"}, "date": {"type": "string", "format": "date"},
                "from": {"type": "string"}, "to": {"type": "string"}}},
            {"type": "object", "required": ["kind", "agent", "date", "channel", "start", "end"], "properties": {
                "kind": {"const": "overtime_shift"}, "agent": {"type": "string"}, "date": {"type": "string", "format": "date"},
                "channel": {"type": "string"}, "start": {"type": "string"}, "end": {"type": "string"}}},
            {"type": "object", "required": ["kind", "vendor", "date", "channel", "start", "end", "heads"], "properties": {
                "kind": {"const": "vendor_heads"}, "vendor": {"type": "string"}, "date": {"type": "string", "format": "date"},
                "channel": {"type": "string"}, "start": {"type": "string"}, "end": {"type": "string"},
                "heads": {"type": "integer", "minimum": 1}}}
        ]
    });
    let if_match = param(
        "If-Match",
        "header",
        true,
        json!({"type": "string"}),
        "the roster version the edit was made on, e.g. \"42\"",
    );
    let mut edit = op(
        "Edit the live roster; answers with the projected service impact for the rest of the day",
        "planner, supervisor",
        vec![if_match],
        Some(json_body(edit_schema)),
        ("200", "the new version and its impact"),
    );
    edit["responses"]["412"] = problem("the version is stale; nothing changed");
    edit["responses"]["428"] = problem("If-Match is missing");
    let feed = "planner, supervisor, routing";
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "peakplan",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Rosters for contact-centre promotion peaks: published to the routing layer, handed to vendors, edited live by supervisors."
        },
        "security": [{ "bearer": [] }],
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                        "detail": {"type": "string"}, "field": {"type": "string"}, "current_version": {"type": "integer"}
                    }
                }
            }
        },
        "paths": {
            "/healthz": { "get": { "summary": "The process answers", "security": [], "responses": { "200": ok("alive") } } },
            "/readyz": { "get": { "summary": "The database answers and migrations are applied", "security": [],
                "responses": { "200": ok("ready"), "503": problem("not ready") } } },
            "/openapi.json": { "get": { "summary": "This document", "security": [], "responses": { "200": ok("OpenAPI 3.1") } } },
            "/v1/scenarios": {
                "get": op("Stored scenarios", "planner, supervisor", vec![], None, ("200", "the scenarios")),
                "post": op("Store a scenario (TOML body), validated first", "planner",
                    vec![param("name", "query", false, json!({"type": "string"}), "name used in error messages")],
                    Some(json!({"required": true, "content": {"application/toml": {"schema": {"type": "string"}}}})),
                    ("201", "the scenario's id"))
            },
            "/v1/forecasts": { "post": op("Store a forecast CSV for a scenario", "planner",
                vec![param("scenario", "query", true, json!({"type": "integer"}), "scenario id")],
                Some(json!({"required": true, "content": {"text/csv": {"schema": {"type": "string"}}}})),
                ("201", "the forecast's id")) },
            "/v1/rosters": { "get": op("Rosters and their head versions", "planner, supervisor", vec![], None, ("200", "the rosters")) },
            "/v1/rosters/{id}/versions": { "get": op("Every version of a roster", "planner, supervisor", vec![id("id")], None, ("200", "the versions")) },
            "/v1/versions/{version}": { "get": op("A version's status and schedule summary", "planner, supervisor", vec![id("version")], None, ("200", "the version")) },
            "/v1/versions/{version}/plan": { "get": op("A version's whole plan", "planner, supervisor", vec![id("version")], None, ("200", "the plan")) },
            "/v1/versions/{version}/report": { "get": op("The plan's HTML report (text/html)", "planner, supervisor", vec![id("version")], None, ("200", "the report")) },
            "/v1/versions/{version}/publish": { "post": op("Publish a draft head version; its roster becomes the live one", "planner", vec![id("version")], None, ("200", "published")) },
            "/v1/versions/{version}/acknowledgements": { "get": op("Vendor acknowledgements and shortfalls", "planner, supervisor", vec![id("version")], None, ("200", "per vendor")) },
            "/v1/audit": { "get": op("The append-only audit log", "planner, supervisor",
                vec![param("after", "query", false, json!({"type": "integer"}), "entries after this id"),
                     param("limit", "query", false, json!({"type": "integer", "minimum": 1, "maximum": 1000}), "page size")],
                None, ("200", "entries")) },
            "/v1/jobs": { "post": op("Queue a forecast, staffing or schedule job", "planner", vec![],
                Some(json_body(json!({"type": "object", "required": ["kind", "scenario"], "properties": {
                    "kind": {"enum": ["forecast", "staffing", "schedule"]}, "scenario": {"type": "integer"},
                    "forecast": {"type": "integer"}, "mode": {"enum": ["service", "coverage"]},
                    "time_limit_seconds": {"type": "number"}, "gap": {"type": "number"}}}))),
                ("202", "the job's id and links")) },
            "/v1/jobs/{id}": { "get": op("A job's status, progress and result", "planner, supervisor", vec![id("id")], None, ("200", "the job")) },
            "/v1/jobs/{id}/events": { "get": op("A job's progress as server-sent events", "planner, supervisor", vec![id("id")], None, ("200", "text/event-stream")) },
            "/v1/routing/staffing": { "get": op("Per channel at an instant: target and scheduled agents, projected service", feed, vec![at()], None, ("200", "staffing")) },
            "/v1/routing/roster": { "get": op("Agents and vendor heads on shift per channel at an instant, with shift ends", feed, vec![at()], None, ("200", "who is on shift")) },
            "/v1/routing/events": { "get": op("Every published change as server-sent events; resume with Last-Event-ID", feed,
                vec![param("Last-Event-ID", "header", false, json!({"type": "string"}), "last change id seen"),
                     param("since", "query", false, json!({"type": "integer"}), "start after this change id")],
                None, ("200", "text/event-stream")) },
            "/v1/routing/changes": { "get": op("The same changes, for pollers", feed,
                vec![param("since", "query", false, json!({"type": "integer"}), "change id"),
                     param("limit", "query", false, json!({"type": "integer"}), "page size")],
                None, ("200", "changes and the next cursor")) },
            "/v1/vendor/plan": { "get": op("The caller's own vendor blocks (JSON, or CSV with Accept: text/csv)", "vendor:<id> (own plan); planner, supervisor with ?vendor=",
                vec![param("from", "query", false, json!({"type": "string", "format": "date"}), "first day"),
                     param("to", "query", false, json!({"type": "string", "format": "date"}), "last day"),
                     param("vendor", "query", false, json!({"type": "string"}), "planners and supervisors only")],
                None, ("200", "the plan")) },
            "/v1/vendor/plan/{version}/ack": { "post": op("Acknowledge a plan version, optionally committing fewer heads per block", "vendor:<id>",
                vec![id("version")],
                Some(json_body(json!({"type": "object", "required": ["accept"], "properties": {
                    "accept": {"type": "boolean"},
                    "commitments": {"type": "array", "items": {"type": "object", "required": ["date", "channel", "start", "heads"], "properties": {
                        "date": {"type": "string", "format": "date"}, "channel": {"type": "string"},
                        "start": {"type": "string"}, "end": {"type": "string"}, "heads": {"type": "integer", "minimum": 0}}}}}}))),
                ("201", "the new version and any shortfall")) },
            "/v1/supervisor/roster": { "get": op("The day's named shifts and the service per channel", "planner, supervisor",
                vec![param("date", "query", true, json!({"type": "string", "format": "date"}), "local day"),
                     param("channel", "query", false, json!({"type": "string"}), "one channel")],
                None, ("200", "shifts")) },
            "/v1/supervisor/edits": { "post": edit },
            "/v1/supervisor/reforecast": { "post": op("Re-forecast the rest of the day from today's actuals; suggested edits", "planner, supervisor", vec![],
                Some(json_body(json!({"type": "object", "required": ["date", "through", "actuals"], "properties": {
                    "date": {"type": "string", "format": "date"}, "through": {"type": "string"},
                    "actuals": {"type": "array", "items": {"type": "object", "required": ["channel", "start", "volume"], "properties": {
                        "channel": {"type": "string"}, "start": {"type": "string"}, "volume": {"type": "number"}}}}}}))),
                ("200", "re-forecast and suggestions")) }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(spec())
}
