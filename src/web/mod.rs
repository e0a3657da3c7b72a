//! The web app for supervisors, vendors and planners, served by `peakplan serve` under `/app`.
//!
//! Pages are rendered on the server ([maud] escapes everything spliced into them) over the same
//! library calls and store as the API: an edit made here is [`crate::api::supervisor::apply_edit`],
//! an acknowledgement [`crate::api::vendor::acknowledge_plan`], a job
//! [`crate::api::jobs::enqueue`] — the rules live there, once. Every page works without a script;
//! `static/app.js` adds live updates (server-sent events), job progress and the agent search.
//!
//! Security: a session is the token a person signed in with, in an HttpOnly, SameSite=Strict
//! cookie ([`session`]), checked against the store on every request, so a revoked token ends it;
//! every form carries a token derived from the session and every POST's `Origin` must be this
//! server; the Content-Security-Policy allows no inline script or style and no framing.

mod layout;
mod planner;
pub mod session;
mod supervisor;
mod vendor;

use crate::api::AppState;
use crate::api::error::ApiError;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::Markup;

/// The policy of every page: scripts, styles and connections from this server only, no inline
/// script or style, no plugins, never inside a frame, forms posting only here.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The app's routes, to be nested under `/app`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(session::home))
        .route(
            "/sign-in",
            get(session::sign_in_page).post(session::sign_in),
        )
        .route("/sign-out", post(session::sign_out))
        .route("/static/app.js", get(script))
        .route("/static/app.css", get(style))
        .route("/day", get(supervisor::day))
        .route("/day/preview", post(supervisor::preview))
        .route("/day/edit", post(supervisor::confirm))
        .route("/day/reforecast", post(supervisor::reforecast))
        .route("/events", get(supervisor::events))
        .route("/vendor", get(vendor::page))
        .route("/vendor/plan.csv", get(vendor::csv))
        .route("/vendor/ack", post(vendor::acknowledge))
        .route("/planner", get(planner::versions))
        .route("/planner/diff", get(planner::diff))
        .route("/planner/publish", post(planner::publish))
        .route("/planner/versions/{id}/report", get(planner::report))
        .route("/planner/jobs", get(planner::jobs).post(planner::run_job))
        .route("/planner/jobs/{id}", get(planner::job))
        .route("/planner/jobs/{id}/events", get(planner::job_events))
        .route("/planner/audit", get(planner::audit))
        .route(
            "/planner/tokens",
            get(planner::tokens).post(planner::create_token),
        )
        .route("/planner/tokens/revoke", post(planner::revoke_token))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(headers))
}

/// The security headers on every answer of the app.
async fn headers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn script() -> Response {
    asset(
        include_str!("static/app.js"),
        "text/javascript; charset=utf-8",
    )
}

async fn style() -> Response {
    asset(include_str!("static/app.css"), "text/css; charset=utf-8")
}

fn asset(body: &'static str, kind: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        body,
    )
        .into_response()
}

async fn not_found() -> WebError {
    WebError::page(
        StatusCode::NOT_FOUND,
        "Not found",
        "There is no page at this address.".into(),
    )
}

/// What a page answers when something is wrong: the status and an HTML page saying what and how
/// to go on (or, for a visitor without a session, the sign-in page).
#[derive(Debug)]
pub enum WebError {
    SignIn {
        next: String,
        expired: bool,
    },
    Page {
        status: StatusCode,
        title: &'static str,
        message: String,
    },
}

impl WebError {
    pub fn page(status: StatusCode, title: &'static str, message: String) -> WebError {
        WebError::Page {
            status,
            title,
            message,
        }
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> WebError {
        let status = e.status();
        let title = match status {
            StatusCode::FORBIDDEN => "Not for your role",
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "Check the form",
            StatusCode::CONFLICT | StatusCode::PRECONDITION_FAILED => "Changed meanwhile",
            s if s.is_server_error() => "Something went wrong",
            _ => "Cannot do that",
        };
        WebError::page(status, title, e.to_string())
    }
}

impl From<crate::store::StoreError> for WebError {
    fn from(e: crate::store::StoreError) -> WebError {
        ApiError::from(e).into()
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::SignIn { next, expired } => {
                let mut to = format!("/app/sign-in?next={}", urlencode(&next));
                if expired {
                    to.push_str("&expired=1");
                }
                Redirect::to(&to).into_response()
            }
            WebError::Page {
                status,
                title,
                message,
            } => (status, html(layout::error_page(title, &message))).into_response(),
        }
    }
}

pub type WebResult<T> = Result<T, WebError>;

/// Markup as an HTML answer.
pub fn html(markup: Markup) -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response()
}

pub fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Most a form may send (a pasted day of actuals fits many times over).
const FORM_LIMIT: usize = 1024 * 1024;

/// A form's fields by name (the last of repeated names). A body that is not a form is a 400
/// page; fields are checked by the page that reads them, naming the field at fault.
pub struct Form(pub std::collections::BTreeMap<String, String>);

impl std::ops::Deref for Form {
    type Target = std::collections::BTreeMap<String, String>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Form {
    /// A field's value, empty when the form lacks it.
    pub fn text(&self, field: &str) -> &str {
        self.0.get(field).map_or("", String::as_str)
    }

    /// Refuses a form without the session's CSRF token.
    pub fn check(&self, session: &session::Session) -> WebResult<()> {
        session::check_csrf(session, self.text("csrf"))
    }

    /// A required id (a version, a token) the page put in the form.
    pub fn id(&self, field: &str) -> WebResult<i64> {
        self.text(field).trim().parse().map_err(|_| {
            ApiError::invalid(field, format!("the form names no {field}; reload the page")).into()
        })
    }
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for Form {
    type Rejection = WebError;

    async fn from_request(req: axum::extract::Request, _: &S) -> WebResult<Form> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let bad = |message: &str| {
            WebError::page(
                StatusCode::BAD_REQUEST,
                "Check the form",
                message.to_string(),
            )
        };
        if !is_form {
            return Err(bad(
                "Send the form as the page does (application/x-www-form-urlencoded).",
            ));
        }
        let bytes = axum::body::to_bytes(req.into_body(), FORM_LIMIT)
            .await
            .map_err(|_| bad("The form is larger than 1 MB; send less."))?;
        Ok(Form(
            form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}
