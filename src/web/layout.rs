//! The page shell (menu by role, sign-out), the sign-in and error pages, and small pieces the
//! pages share.

use super::session::Session;
use crate::store::Role;
use maud::{DOCTYPE, Markup, html};

/// The menu entries of a role: (path, label).
fn menu(role: &Role) -> Vec<(&'static str, &'static str)> {
    match role {
        Role::Planner => vec![
            ("/app/planner", "Versions"),
            ("/app/planner/jobs", "Jobs"),
            ("/app/day", "Today"),
            ("/app/planner/audit", "Audit log"),
            ("/app/planner/tokens", "Tokens"),
        ],
        Role::Supervisor => vec![("/app/day", "Today")],
        Role::Vendor(_) => vec![("/app/vendor", "My plan")],
        Role::Routing => vec![],
    }
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · peakplan" }
            link rel="stylesheet" href="/app/static/app.css";
            script src="/app/static/app.js" defer {}
        }
    }
}

/// A page of a signed-in person: `active` is the menu entry it belongs to.
pub fn page(session: &Session, title: &str, active: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body data-csrf=(session.csrf) {
                a.skip href="#main" { "Skip to the content" }
                header.top {
                    span.brand { "peakplan" }
                    nav aria-label="Main" {
                        @for (path, label) in menu(session.role()) {
                            @if path == active {
                                a href=(path) aria-current="page" { (label) }
                            } @else {
                                a href=(path) { (label) }
                            }
                        }
                    }
                    form.signout method="post" action="/app/sign-out" {
                        input type="hidden" name="csrf" value=(session.csrf);
                        span.who { (session.label()) " · " (session.role().to_string()) }
                        button type="submit" { "Sign out" }
                    }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

pub fn sign_in(next: &str, note: Option<&str>, error: Option<&str>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head("Sign in"))
            body {
                main id="main" .narrow {
                    h1 { "Sign in to peakplan" }
                    @if let Some(note) = note { p.notice role="status" { (note) } }
                    @if let Some(error) = error { p.error role="alert" { (error) } }
                    form method="post" action="/app/sign-in" {
                        input type="hidden" name="next" value=(next);
                        label for="token" { "Your token" }
                        input #token type="password" name="token" autocomplete="off" required
                            placeholder="pp_…" autofocus;
                        p.hint { "A planner creates tokens (Tokens page, or "
                            code { "peakplan token create --role supervisor" } "); "
                            code { "peakplan demo" } " prints one for each role." }
                        button type="submit" { "Sign in" }
                    }
                }
            }
        }
    }
}

pub fn error_page(title: &str, message: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                main id="main" .narrow {
                    h1 { (title) }
                    p.error role="alert" { (message) }
                    p { a href="/app/" { "Back to your first page" } " · " a href="/app/sign-in" { "Sign in" } }
                }
            }
        }
    }
}

/// The hidden CSRF field of a form.
pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A share as a percentage, or a dash.
pub fn pct(share: Option<f64>) -> String {
    share.map_or("–".into(), |s| format!("{:.1} %", 100.0 * s))
}

/// "1 head", "3 heads".
pub fn heads(n: u32) -> String {
    if n == 1 {
        "1 head".into()
    } else {
        format!("{n} heads")
    }
}
