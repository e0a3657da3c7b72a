//! Sessions: a person signs in with a token (pasted, as the planner handed it out); the session
//! cookie carries it with the time of sign-in. Every request checks the token against the store
//! (through the API's token cache), so revoking the token ends the session within seconds, and a
//! session ends by itself [`SESSION_HOURS`] after sign-in.
//!
//! Forms carry a CSRF token derived from the session cookie (a page of another site can neither
//! read nor guess it), and a POST whose `Origin` is not this server is refused before anything
//! else; the cookie is SameSite=Strict as well.

use super::layout;
use super::{Form, WebError, WebResult, html};
use crate::api::AppState;
use crate::api::extract::{As, Caller, Roles};
use crate::store::Role;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

pub const COOKIE: &str = "pp_session";
/// How long a sign-in lasts.
pub const SESSION_HOURS: i64 = 12;

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct Session {
    pub caller: Caller,
    /// The token every form of this session carries.
    pub csrf: String,
}

impl Session {
    pub fn role(&self) -> &Role {
        self.caller.role()
    }

    pub fn label(&self) -> &str {
        &self.caller.0.label
    }
}

/// The token a form must carry in a session whose cookie is `cookie`.
fn csrf_of(cookie: &str) -> String {
    let digest = Sha256::digest(format!("peakplan csrf\0{cookie}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Sets a cookie of the app on `response`: under `path`, HttpOnly, SameSite=Strict, Secure
/// when the request (`headers`) came over TLS.
pub fn set_cookie(
    response: &mut Response,
    headers: &HeaderMap,
    (name, value): (&str, &str),
    path: &str,
    max_age: i64,
) {
    let secure = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let cookie = format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    );
    if let Ok(v) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// A POST must come from a page of this server: its `Origin` (which browsers send with every
/// POST) names this host.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        // Not a browser (browsers send Origin on every POST): nothing to forge a request with.
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = origin.to_str().unwrap_or("");
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((origin_host, host), (Some(o), Some(h)) if o == h)
}

fn cross_site() -> WebError {
    WebError::page(
        StatusCode::FORBIDDEN,
        "Refused",
        "This form was sent from another site; nothing was changed. Open peakplan and use its own forms."
            .into(),
    )
}

impl FromRequestParts<AppState> for Session {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> WebResult<Session> {
        if parts.method == Method::POST && !same_origin(&parts.headers) {
            return Err(cross_site());
        }
        let next = parts
            .uri
            .path_and_query()
            .map_or("/app/".to_string(), |p| p.to_string());
        let next = if parts.method == Method::GET {
            next
        } else {
            "/app/".into()
        };
        let sign_in = |expired| WebError::SignIn {
            next: next.clone(),
            expired,
        };
        let Some(cookie) = cookie_value(&parts.headers, COOKIE) else {
            return Err(sign_in(false));
        };
        let Some((issued, token)) = cookie.split_once('.') else {
            return Err(sign_in(false));
        };
        let issued: i64 = issued.parse().map_err(|_| sign_in(false))?;
        let now = chrono::Utc::now().timestamp();
        if now - issued > SESSION_HOURS * 3600 || issued > now + 60 {
            return Err(sign_in(true));
        }
        let caller = Caller::of_token(state, token)
            .await
            .map_err(|_| sign_in(true))?;
        Ok(Session {
            caller,
            csrf: csrf_of(cookie),
        })
    }
}

/// A signed-in person whose role is one of `R`'s; others get 403 and a page saying so, with
/// nothing of the page they asked for.
pub struct Visitor<R: Roles> {
    pub session: Session,
    pub caller: As<R>,
}

impl<R: Roles> FromRequestParts<AppState> for Visitor<R> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> WebResult<Visitor<R>> {
        let session = Session::from_request_parts(parts, state).await?;
        let caller = As::<R>::check(
            session.caller.clone(),
            parts.method.as_str(),
            parts.uri.path(),
        )
        .map_err(|_| {
            WebError::page(
                StatusCode::FORBIDDEN,
                "Not for your role",
                format!(
                    "This page is for {}; you are signed in as {} ({}). Your own pages are in the menu.",
                    R::WHO,
                    session.label(),
                    session.role()
                ),
            )
        })?;
        Ok(Visitor { session, caller })
    }
}

impl<R: Roles> Visitor<R> {
    /// The visitor as a caller of an API call for the roles `T` (what `path` names).
    pub fn as_caller<T: Roles>(&self, path: &str) -> WebResult<As<T>> {
        Ok(As::<T>::check(self.session.caller.clone(), "GET", path)?)
    }
}

/// Checks the CSRF token a form carries against the session's.
pub fn check_csrf(session: &Session, sent: &str) -> WebResult<()> {
    if sent.is_empty() || sent != session.csrf {
        return Err(cross_site());
    }
    Ok(())
}

/// The first page of a role.
pub fn home_of(role: &Role) -> &'static str {
    match role {
        Role::Planner => "/app/planner",
        Role::Supervisor => "/app/day",
        Role::Vendor(_) => "/app/vendor",
        Role::Routing => "/app/sign-in?routing=1",
    }
}

pub async fn home(session: Session) -> Response {
    Redirect::to(home_of(session.role())).into_response()
}

#[derive(Debug, Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    expired: Option<String>,
    routing: Option<String>,
}

pub async fn sign_in_page(q: axum::extract::Query<SignInQuery>) -> Response {
    let note = if q.expired.is_some() {
        Some("Your session ended (signed out, expired, or the token was revoked). Sign in again.")
    } else if q.routing.is_some() {
        Some("A routing token reads the API (/v1/routing/…); the app has no pages for it.")
    } else {
        None
    };
    html(layout::sign_in(
        q.next.as_deref().filter(|n| safe_next(n)).unwrap_or(""),
        note,
        None,
    ))
}

/// Only a path of the app (never another site) is followed after sign-in.
fn safe_next(next: &str) -> bool {
    next.starts_with("/app/") && !next.starts_with("//") && !next.contains("\\")
}

pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Form,
) -> WebResult<Response> {
    if !same_origin(&headers) {
        return Err(cross_site());
    }
    let next = form.text("next");
    let token = form.text("token").trim();
    let refuse = |why: &str| {
        (
            StatusCode::UNAUTHORIZED,
            html(layout::sign_in(next, None, Some(why))),
        )
            .into_response()
    };
    if token.is_empty() || token.contains(['.', ';', ' ', ',']) || !token.is_ascii() {
        return Ok(refuse(
            "Paste the token you were given (it starts with pp_).",
        ));
    }
    let caller = match Caller::of_token(&state, token).await {
        Ok(caller) => caller,
        Err(_) => {
            return Ok(refuse(
                "This token is unknown or revoked. Ask a planner for a new one.",
            ));
        }
    };
    let value = format!("{}.{token}", chrono::Utc::now().timestamp());
    let to = if safe_next(next) {
        next.to_string()
    } else {
        home_of(caller.role()).to_string()
    };
    let mut response = Redirect::to(&to).into_response();
    set_cookie(
        &mut response,
        &headers,
        (COOKIE, &value),
        "/app",
        SESSION_HOURS * 3600,
    );
    Ok(response)
}

pub async fn sign_out(session: Session, headers: HeaderMap, form: Form) -> WebResult<Response> {
    form.check(&session)?;
    let mut response = Redirect::to("/app/sign-in").into_response();
    set_cookie(&mut response, &headers, (COOKIE, ""), "/app", 0);
    Ok(response)
}
