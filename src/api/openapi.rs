//! `GET /openapi.json`: the API described as OpenAPI 3.1, generated from the handlers and their
//! request and response types (utoipa): every route of [`super::router`], its roles, parameters,
//! bodies, answers and the problem+json errors, with the bearer security scheme.
//!
//! docs/openapi.json keeps a copy; a test fails when the contract changes without it, so a change
//! to the API shows in review (`PEAKPLAN_UPDATE_OPENAPI=1 cargo test --test api` rewrites it).

use super::error::Problem;
use axum::Json;
use std::sync::OnceLock;
use utoipa::Modify;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, ResponseBuilder};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "peakplan",
        description = "Rosters for contact-centre promotion peaks: planned by workforce managers, \
            published to the routing layer, handed to vendors, edited live by supervisors. \
            Every request but /healthz, /readyz and /openapi.json carries `Authorization: Bearer \
            <token>`; the token's role (planner, supervisor, routing, vendor:<id>) decides what it \
            may call, and is checked before anything else of the request is read.",
        license(name = "MIT")
    ),
    components(schemas(Problem)),
    tags(
        (name = "planner", description = "Scenarios, histories, forecasts, jobs, rosters, versions, publishing, the audit log"),
        (name = "routing", description = "What the routing layer reads: staffing and who is on shift at an instant, the change feed"),
        (name = "vendor", description = "A vendor's own plan and its acknowledgement"),
        (name = "supervisor", description = "The day's roster, live edits, the intraday re-forecast"),
        (name = "health", description = "Liveness, readiness, this document")
    )
)]
pub struct ApiDoc;

/// The error answers every operation may give, beside the ones its handler declares.
fn common_errors(operation: &Operation, secured: bool) -> Vec<(&'static str, &'static str)> {
    let mut out = vec![
        (
            "400",
            "malformed request: a body that is not JSON or not UTF-8, a bad path parameter",
        ),
        ("404", "not found"),
        ("408", "the request took too long"),
        ("500", "internal error; nothing was changed"),
        ("503", "the database does not answer"),
    ];
    if secured {
        out.push(("401", "missing, unknown or revoked token"));
        out.push(("403", "the token's role may not call this"));
        out.push((
            "422",
            "a field, parameter or header is invalid; `field` names it",
        ));
    }
    if operation.request_body.is_some() {
        out.push(("413", "the body is larger than this endpoint accepts"));
    }
    out
}

/// Adds the bearer scheme, and the problem+json answers of [`common_errors`] to every operation.
struct Problems;

impl Modify for Problems {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        openapi.security = Some(vec![SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                // `security(())` on a handler marks it public.
                let secured = operation
                    .security
                    .as_ref()
                    .is_none_or(|s| s.iter().any(|r| *r != SecurityRequirement::default()));
                for (status, description) in common_errors(operation, secured) {
                    if operation.responses.responses.contains_key(status) {
                        continue;
                    }
                    let response = ResponseBuilder::new()
                        .description(description)
                        .content(
                            "application/problem+json",
                            Content::new(Some(RefOr::Ref(Ref::from_schema_name("Problem")))),
                        )
                        .build();
                    operation
                        .responses
                        .responses
                        .insert(status.to_string(), response.into());
                }
            }
        }
    }
}

/// The whole document: the handlers' paths with the common errors added.
pub fn build(mut doc: OpenApi) -> OpenApi {
    Problems.modify(&mut doc);
    doc
}

/// The document as served; built once from the router.
pub fn spec() -> &'static serde_json::Value {
    static SPEC: OnceLock<serde_json::Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        serde_json::to_value(super::openapi_document()).expect("the document serialises")
    })
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "health",
    security(()),
    responses((status = 200, description = "OpenAPI 3.1", body = Object))
)]
pub async fn document() -> Json<serde_json::Value> {
    Json(spec().clone())
}
