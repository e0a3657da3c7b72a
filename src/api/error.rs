//! Every error the API returns, mapped to a status in one place and written as
//! `application/problem+json` (RFC 9457) with the field at fault where there is one.

use crate::live::edit::EditError;
use crate::store::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// The body parsed, but a field is wrong.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("missing or malformed `Authorization: Bearer <token>` header")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// `If-Match` names a version that is no longer current.
    #[error(
        "version {expected} is stale: the roster is at version {current}; re-read it and retry"
    )]
    Stale { expected: i64, current: i64 },
    #[error("this request changes the roster and needs `If-Match: \"<version>\"`")]
    PreconditionRequired,
    /// `If-Match` cannot match (a weak tag).
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Stale { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Invalid { .. } => "invalid-field",
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::Conflict(_) => "conflict",
            ApiError::Stale { .. } => "stale-version",
            ApiError::PreconditionRequired => "if-match-required",
            ApiError::PreconditionFailed(_) => "precondition-failed",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::Stale { expected, current } => ApiError::Stale { expected, current },
            StoreError::Conflict(message) => ApiError::Conflict(message),
            other => {
                tracing::error!("store: {other}");
                ApiError::Unavailable(format!("the database failed: {other}"))
            }
        }
    }
}

impl From<EditError> for ApiError {
    fn from(e: EditError) -> ApiError {
        ApiError::invalid(e.field, e.message)
    }
}

/// An error answer (RFC 9457 problem details).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// `https://peakplan.dev/problems/<kind>`: stale-version, invalid-field, forbidden …
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What is wrong, and what to do about it.
    pub detail: String,
    /// The field, parameter or header at fault (422).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The roster's current version (412).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

impl ApiError {
    /// The problem details of this error.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        Problem {
            kind: format!("https://peakplan.dev/problems/{}", self.kind()),
            title: status.canonical_reason().unwrap_or("error").to_string(),
            status: status.as_u16(),
            detail: self.to_string(),
            field: match self {
                ApiError::Invalid { field, .. } => Some(field.clone()),
                _ => None,
            },
            current_version: match self {
                ApiError::Stale { current, .. } => Some(*current),
                _ => None,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!("{status}: {self}");
        }
        let body = serde_json::to_string(&self.problem()).expect("a problem serialises");
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let ApiError::Stale { current, .. } = &self
            && let Ok(etag) = HeaderValue::from_str(&format!("\"{current}\""))
        {
            response.headers_mut().insert(header::ETAG, etag);
        }
        if matches!(self, ApiError::Unauthenticated) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"peakplan\""),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Every error answer as problem+json, including the ones axum and tower write themselves (a
/// path parameter that is not a number, a body that is not UTF-8, a body over the limit, a
/// method not allowed, a request timeout): their status is kept, their text becomes the detail.
pub async fn problems_everywhere(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    if path == "/app" || path.starts_with("/app/") {
        // The web app answers with pages of its own.
        return response;
    }
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = parts
                .headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            format!("{method} is not allowed on {path}; allowed: {allowed}")
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!("the body is larger than {path} accepts; send less (see /openapi.json)")
        }
        StatusCode::REQUEST_TIMEOUT => "the request took too long and was stopped, with the work \
             it started; it changed nothing (long work runs as a job: POST /v1/jobs)"
            .to_string(),
        _ if text.is_empty() => status.canonical_reason().unwrap_or("error").to_string(),
        _ => text,
    };
    let kind = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body-too-large",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::NOT_FOUND => "not-found",
        s if s.is_server_error() => "internal",
        _ => "bad-request",
    };
    let problem = Problem {
        kind: format!("https://peakplan.dev/problems/{kind}"),
        title: status.canonical_reason().unwrap_or("error").to_string(),
        status: status.as_u16(),
        detail,
        field: None,
        current_version: None,
    };
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = serde_json::to_string(&problem).expect("a problem serialises");
    Response::from_parts(parts, axum::body::Body::from(body))
}
