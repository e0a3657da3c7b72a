//! Request extractors: the caller behind the bearer token, JSON bodies that name the field at
//! fault, and the `If-Match` version.

use super::AppState;
use super::error::ApiError;
use crate::store::{Actor, Role, token_hash};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::time::Instant;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

impl Caller {
    pub fn role(&self) -> &Role {
        &self.0.role
    }
}

/// Who may call an endpoint. The role is checked by the [`As`] extractor, which runs before any
/// query, header or body is read: a caller without the right role gets 401 or 403, never a
/// description of the request it may not make.
pub trait Roles {
    fn allows(role: &Role) -> bool;
    /// Who they are, for the 403: "planners and supervisors".
    const WHO: &'static str;
}

/// Planners: scenarios, histories, forecasts, jobs, publishing.
pub struct Planners;
impl Roles for Planners {
    fn allows(role: &Role) -> bool {
        matches!(role, Role::Planner)
    }
    const WHO: &'static str = "planners";
}

/// Planners and supervisors: reading every roster, version, job and the audit log.
pub struct Readers;
impl Roles for Readers {
    fn allows(role: &Role) -> bool {
        matches!(role, Role::Planner | Role::Supervisor)
    }
    const WHO: &'static str = "planners and supervisors";
}

/// Planners and supervisors: live edits and the intraday re-forecast.
pub struct Editors;
impl Roles for Editors {
    fn allows(role: &Role) -> bool {
        matches!(role, Role::Planner | Role::Supervisor)
    }
    const WHO: &'static str = "planners and supervisors";
}

/// The routing feed: planners, supervisors and the routing layer.
pub struct Feed;
impl Roles for Feed {
    fn allows(role: &Role) -> bool {
        matches!(role, Role::Planner | Role::Supervisor | Role::Routing)
    }
    const WHO: &'static str = "planners, supervisors and the routing layer";
}

/// A vendor's plan: the vendor itself, planners and supervisors (who name the vendor).
pub struct VendorReaders;
impl Roles for VendorReaders {
    fn allows(role: &Role) -> bool {
        !matches!(role, Role::Routing)
    }
    const WHO: &'static str = "vendors, planners and supervisors";
}

/// Acknowledging a vendor's plan: the vendor, or a planner on its behalf (audited as the planner).
pub struct Acknowledgers;
impl Roles for Acknowledgers {
    fn allows(role: &Role) -> bool {
        matches!(role, Role::Vendor(_) | Role::Planner)
    }
    const WHO: &'static str = "vendors, and planners on a vendor's behalf";
}

/// A caller whose role is one of `R`'s.
pub struct As<R: Roles> {
    pub caller: Caller,
    _roles: std::marker::PhantomData<R>,
}

impl<R: Roles> std::ops::Deref for As<R> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl<R: Roles> FromRequestParts<AppState> for As<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        As::check(caller, parts.method.as_str(), parts.uri.path())
    }
}

impl<R: Roles> As<R> {
    /// `caller`, if its role is one of `R`'s; what it asked for (`method`, `path`) names the
    /// refusal.
    pub fn check(caller: Caller, method: &str, path: &str) -> Result<As<R>, ApiError> {
        if !R::allows(caller.role()) {
            return Err(ApiError::Forbidden(format!(
                "the role {} cannot call {method} {path}; it is for {}",
                caller.role(),
                R::WHO
            )));
        }
        Ok(As {
            caller,
            _roles: std::marker::PhantomData,
        })
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthenticated)?;
        Caller::of_token(state, token).await
    }
}

impl Caller {
    /// The caller a plain token stands for: unknown and revoked tokens are refused (looked up
    /// through the short-lived cache, so a revocation takes effect within its lifetime).
    pub async fn of_token(state: &AppState, token: &str) -> Result<Caller, ApiError> {
        let hash = token_hash(token);
        let cached = state
            .tokens
            .read()
            .expect("token cache lock")
            .get(&hash, Instant::now());
        if let Some(actor) = cached {
            return actor.map(Caller).ok_or(ApiError::Unauthenticated);
        }
        let record = state.store.token(&hash).await?;
        let actor = record.filter(|r| !r.revoked).and_then(|r| {
            Role::parse(&r.role).ok().map(|role| Actor {
                label: r.label,
                role,
            })
        });
        state
            .tokens
            .write()
            .expect("token cache lock")
            .put(hash, actor.clone(), Instant::now());
        actor.map(Caller).ok_or(ApiError::Unauthenticated)
    }
}

/// A JSON body. Malformed JSON is a 400; a missing, unknown or mistyped field a 422 naming the
/// field's path (`edit.start`, `commitments[2].heads`).
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json {
            return Err(ApiError::BadRequest(
                "send the body as JSON with `Content-Type: application/json`".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::BadRequest(format!("cannot read the body: {e}")))?;
        parse_json(&bytes).map(Body)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    match serde_path_to_error::deserialize::<_, T>(&value) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            let field = if path == "." {
                unknown_variant_field(&value, &message)
                    .or_else(|| named_field(&message))
                    .or_else(|| culprit::<T>(&value, &message))
                    .unwrap_or(path)
            } else {
                path
            };
            Err(ApiError::invalid(field, message))
        }
    }
}

/// The field holding the value an "unknown variant `x`" complaint names (`kind`, `mode` …).
fn unknown_variant_field(value: &serde_json::Value, message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown variant `")?;
    let variant = &rest[..rest.find('`')?];
    value
        .as_object()?
        .iter()
        .find(|(_, v)| v.as_str() == Some(variant))
        .map(|(k, _)| k.clone())
}

/// The field an error message names: "missing field `heads`", "unknown field `frm`"; an unknown
/// variant is an unknown `kind`.
fn named_field(message: &str) -> Option<String> {
    if message.starts_with("unknown variant") {
        return Some("kind".into());
    }
    let rest = message
        .strip_prefix("missing field `")
        .or_else(|| message.strip_prefix("unknown field `"))?;
    Some(rest[..rest.find('`')?].to_string())
}

/// Internally tagged enums (`{"kind": "absence", …}`) lose the path to a bad field; find it as
/// the first field (other than the tag) without which the complaint changes.
fn culprit<T: DeserializeOwned>(value: &serde_json::Value, message: &str) -> Option<String> {
    let object = value.as_object()?;
    object.keys().filter(|k| *k != "kind").find_map(|key| {
        let mut without = object.clone();
        without.remove(key);
        let changed = match serde_json::from_value::<T>(serde_json::Value::Object(without)) {
            Ok(_) => true,
            Err(e) => e.to_string() != message,
        };
        changed.then(|| key.clone())
    })
}

/// Query parameters; an unknown, missing or mistyped one is a 422 naming it.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize::<_, T>(de)
            .map(Params)
            .map_err(|e| {
                let path = e.path().to_string();
                let message = e.into_inner().to_string();
                let field = if path == "." {
                    named_field(&message).unwrap_or_else(|| "query".into())
                } else {
                    path
                };
                ApiError::invalid(field, message)
            })
    }
}

/// The version named by `If-Match: "<version>"` (quotes optional); `None` for `If-Match: *`
/// (any current version, RFC 9110 §13.1.1). A weak tag (`W/"42"`) never matches: If-Match compares
/// strongly, so the request fails with 412 and changes nothing.
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let value = parts
            .headers
            .get(header::IF_MATCH)
            .ok_or(ApiError::PreconditionRequired)?;
        let text = value.to_str().unwrap_or("").trim();
        if text == "*" {
            return Ok(IfMatch(None));
        }
        if text.starts_with("W/") {
            return Err(ApiError::PreconditionFailed(format!(
                "If-Match {text} is a weak tag, and If-Match compares strongly (RFC 9110): \
                 send the version as the ETag gives it, e.g. \"{}\"",
                text.trim_start_matches("W/").trim_matches('"')
            )));
        }
        text.trim_matches('"')
            .parse()
            .map(|v| IfMatch(Some(v)))
            .map_err(|_| {
                ApiError::invalid(
                    "If-Match",
                    format!("expected a roster version such as \"42\", got {value:?}"),
                )
            })
    }
}
