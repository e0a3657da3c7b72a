//! The planner's pages: rosters and their versions with a diff between two (and its service
//! impact), publishing, vendor shortfalls, jobs with their progress, reports, the audit log, and
//! tokens. Each action is the API's own call.

use super::layout::{self, csrf, pct};
use super::session::Visitor;
use super::{Form, WebError, WebResult, html};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::extract::Planners;
use crate::api::jobs::{self, JobRequest};
use crate::api::planner as api;
use crate::live::diff::{Changed, diff as plan_diff};
use crate::live::edit::local;
use crate::store::{AuditFilter, JobStatus, NewToken, Role, VersionStatus};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

fn status_badge(status: VersionStatus) -> Markup {
    html! { span class={"badge " (status.as_str())} { (status.as_str()) } }
}

pub async fn versions(
    State(state): State<AppState>,
    visitor: Visitor<Planners>,
) -> WebResult<Response> {
    let rosters = state.store.rosters().await?;
    let mut sections = Vec::new();
    for r in &rosters {
        let mut versions = state.store.versions(r.id).await?;
        versions.reverse();
        sections.push((r, versions));
    }
    let live = state.store.live_head().await?;
    let shortfall = match live {
        Some(v) => Some(
            api::acknowledgements(
                State(state.clone()),
                visitor.as_caller("/app/planner")?,
                Path(v),
            )
            .await?
            .0,
        ),
        None => None,
    };
    let body = html! {
        @if let Some(acks) = &shortfall {
            section aria-label="Vendors" {
                h2 { "Vendors on the live version " (acks.version) }
                table {
                    thead { tr { th scope="col" { "Vendor" } th scope="col" { "Blocks" } th scope="col" { "Not acknowledged" } th scope="col" { "Short" } } }
                    tbody {
                        @for v in &acks.vendors {
                            @let heads: u32 = v.shortfall.iter().map(|s| s.planned - s.committed).sum();
                            tr class=[(heads > 0).then_some("short")] {
                                th scope="row" { a href={"/app/vendor?vendor=" (super::urlencode(&v.vendor))} { (v.vendor) } }
                                td.num { (v.blocks) } td.num { (v.unacknowledged_blocks) }
                                td {
                                    @if v.shortfall.is_empty() { "–" } @else {
                                        strong.shortfall { (layout::heads(heads)) " short" } ": "
                                        @for (i, s) in v.shortfall.iter().enumerate() {
                                            @if i > 0 { "; " }
                                            (s.date) " " (s.channel) " " (s.start.get(11..).unwrap_or(&s.start)) "–" (s.end.get(11..).unwrap_or(&s.end)) ": " (s.committed) " of " (s.planned) " committed"
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if rosters.is_empty() {
            p { "No roster yet. Run a " a href="/app/planner/jobs" { "plan or schedule job" } ", or " code { "peakplan demo" } "." }
        }
        @for (r, versions) in &sections {
            section aria-label={"Roster " (r.name)} {
                h2 { (r.name) @if r.live { " " span.badge.live { "live" } } }
                form method="get" action="/app/planner/diff" {
                    table.versions {
                        thead { tr { th scope="col" { "Version" } th scope="col" { "Status" } th scope="col" { "Made" }
                            th scope="col" { "By" } th scope="col" { "What" } th scope="col" { "Compare" } th scope="col" { "" } } }
                        tbody {
                            @for (i, v) in versions.iter().enumerate() {
                                tr {
                                    th scope="row" { (v.id) }
                                    td { (status_badge(v.status)) }
                                    td { (v.created_at.format("%Y-%m-%d %H:%M UTC")) }
                                    td { (v.created_by) }
                                    td { (v.reason) }
                                    td {
                                        label.visually-hidden for={"a-" (v.id)} { "compare from " (v.id) }
                                        input id={"a-" (v.id)} type="radio" name="a" value=(v.id) checked[i == 1];
                                        label.visually-hidden for={"b-" (v.id)} { "compare to " (v.id) }
                                        input id={"b-" (v.id)} type="radio" name="b" value=(v.id) checked[i == 0];
                                    }
                                    td.actions {
                                        a href={"/app/planner/versions/" (v.id) "/report"} { "Report" }
                                        @if let Some(p) = v.parent_id { " · " a href={"/app/planner/diff?a=" (p) "&b=" (v.id)} { "Changes" } }
                                    }
                                }
                            }
                        }
                    }
                    @if versions.len() > 1 { button type="submit" { "Compare the two chosen versions" } }
                }
                @for v in versions.iter().filter(|v| v.status == VersionStatus::Draft && Some(v.id) == r.head_version) {
                    form method="post" action="/app/planner/publish" {
                        (csrf(&visitor.session))
                        input type="hidden" name="version" value=(v.id);
                        button type="submit" { "Publish version " (v.id) }
                    }
                }

            }
        }
    };
    Ok(html(layout::page(
        &visitor.session,
        "Rosters and versions",
        "/app/planner",
        body,
    )))
}

#[derive(Debug, Deserialize)]
pub struct DiffQuery {
    a: i64,
    b: i64,
}

/// A stored version's projection: the live one as the server keeps it, others computed.
async fn view_of(
    state: &AppState,
    version: &crate::store::Version,
) -> WebResult<std::sync::Arc<crate::live::LiveView>> {
    if let Ok((head, view)) = state.live().await
        && head == version.meta.id
    {
        return Ok(view);
    }
    Ok(std::sync::Arc::new(
        crate::api::project(version, None).await?,
    ))
}

pub async fn diff(
    State(state): State<AppState>,
    visitor: Visitor<Planners>,
    Query(q): Query<DiffQuery>,
) -> WebResult<Response> {
    let a = api::stored_version(&state, q.a).await?;
    let b = api::stored_version(&state, q.b).await?;
    let (va, vb) = (view_of(&state, &a).await?, view_of(&state, &b).await?);
    let d = tokio::task::spawn_blocking(move || plan_diff(&va, &vb))
        .await
        .map_err(|e| ApiError::Internal(format!("diff: {e}")))?;
    let tz = b.plan.tz();
    let (sa, sr, sc) = d.shift_counts();
    let (ba, br, bc) = d.block_counts();
    let shift = |s: &crate::live::LiveShift| {
        format!(
            "{} {}–{} on {}{}{}",
            s.agent,
            local(tz, s.start),
            local(tz, s.end).get(11..).unwrap_or(""),
            s.channel,
            if s.breaks.is_empty() {
                String::new()
            } else {
                format!(
                    ", breaks {}",
                    s.breaks
                        .iter()
                        .map(|b| local(tz, b.start).get(11..).unwrap_or("").to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            },
            s.absent_from
                .map(|t| format!(", absent from {}", local(tz, t).get(11..).unwrap_or("")))
                .unwrap_or_default()
        )
    };
    let block = |b: &crate::live::LiveBlock| {
        format!(
            "{} {} {}–{}: {} heads{}",
            b.vendor,
            b.channel,
            local(tz, b.start),
            local(tz, b.end).get(11..).unwrap_or(""),
            b.heads,
            b.committed
                .map(|c| format!(", committed {c}"))
                .unwrap_or_default()
        )
    };
    fn rows<T>(list: &[Changed<T>], show: impl Fn(&T) -> String) -> Markup {
        html! {
            @for c in list {
                tr class=(if c.added() { "added" } else if c.removed() { "removed" } else { "changed" }) {
                    td { (if c.added() { "added" } else if c.removed() { "removed" } else { "changed" }) }
                    td { @if let Some(x) = &c.before { (show(x)) } }
                    td { @if let Some(x) = &c.after { (show(x)) } }
                }
            }
        }
    }
    let body = html! {
        p.lead { "From version " (q.a) " (" (a.meta.reason) ") to version " (q.b) " (" (b.meta.reason) ")." }
        p { "Shifts: " (sa) " added, " (sr) " removed, " (sc) " changed. Vendor blocks: " (ba) " added, " (br) " removed, " (bc) " changed." }
        @if d.is_empty() { p { "The two versions have the same shifts and blocks." } }
        @if !d.impact.is_empty() {
            table.impact {
                caption { "Service impact per day and channel" }
                thead { tr { th scope="col" { "Day" } th scope="col" { "Channel" } th scope="col" { "Version " (q.a) } th scope="col" { "Version " (q.b) }
                    th scope="col" { "Target" } th scope="col" { "Intervals below target" } } }
                tbody {
                    @for i in &d.impact {
                        @let worse = i.after.service_level.unwrap_or(1.0) + 1e-9 < i.before.service_level.unwrap_or(1.0);
                        tr class=[worse.then_some("short")] {
                            td { (i.date) } th scope="row" { (i.channel) }
                            td.num { (pct(i.before.service_level)) } td.num { (pct(i.after.service_level)) }
                            td.num { (pct(Some(i.after.target))) }
                            td.num { (i.before.intervals_below_target) " → " (i.after.intervals_below_target) }
                        }
                    }
                }
            }
        }
        @if !d.shifts.is_empty() {
            div.scroll { table.diff {
                caption { "Shifts" }
                thead { tr { th scope="col" { "" } th scope="col" { "Version " (q.a) } th scope="col" { "Version " (q.b) } } }
                tbody { (rows(&d.shifts, shift)) }
            } }
        }
        @if !d.blocks.is_empty() {
            div.scroll { table.diff {
                caption { "Vendor blocks" }
                thead { tr { th scope="col" { "" } th scope="col" { "Version " (q.a) } th scope="col" { "Version " (q.b) } } }
                tbody { (rows(&d.blocks, block)) }
            } }
        }
    };
    Ok(html(layout::page(
        &visitor.session,
        &format!("Version {} against {}", q.b, q.a),
        "/app/planner",
        body,
    )))
}

pub async fn publish(
    State(state): State<AppState>,
    visitor: Visitor<Planners>,
    fields: Form,
) -> WebResult<Response> {
    fields.check(&visitor.session)?;
    let id = fields.id("version")?;
    let _published = api::publish(State(state), visitor.caller, Path(id)).await?;
    Ok(Redirect::to("/app/planner").into_response())
}

/// A stored report, as its own sandboxed document: its scripts run in an opaque origin, with no
/// access to the app's cookies or pages.
pub async fn report(
    State(state): State<AppState>,
    visitor: Visitor<Planners>,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let page = api::report(
        State(state),
        visitor.as_caller(&format!("/app/planner/versions/{id}/report"))?,
        Path(id),
    )
    .await?;
    let mut response = page.into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
        ),
    );
    Ok(response)
}

pub async fn jobs(
    State(state): State<AppState>,
    visitor: Visitor<Planners>,
) -> WebResult<Response> {
    let recent = state.store.recent_jobs(50).await?;
    let scenarios = state.store.scenarios().await?;
    let body = html! {
        section aria-label="Run a job" {
            h2 { "Run a job" }
            @if scenarios.is_empty() {
                p { "Store a scenario first: " code { "POST /v1/scenarios" } " (README: Publishing and the HTTP API)." }
            } @else {
                form.job method="post" action="/app/planner/jobs" {
                    (csrf(&visitor.session))
                    label for="job-kind" { "Job" }
                    select #job-kind name="kind" {
                        option value="schedule" { "schedule — a roster from a forecast or history" }
                        option value="plan" { "plan — forecast, roster, simulation check and report" }
                        option value="capacity" { "capacity — hiring and vendor contracts for the weeks ahead" }
                    }
                    label for="job-scenario" { "Scenario" }
                    select #job-scenario name="scenario" {
                        @for s in scenarios.iter().rev() { option value=(s.id) { (s.id) " · " (s.name) } }
                    }
                    label for="job-history" { "History id (stored with POST /v1/histories)" }
                    input #job-history name="history" type="number" min="1";
                    label for="job-forecast" { "or forecast id" }
                    input #job-forecast name="forecast" type="number" min="1";
                    label for="job-mode" { "Roster mode (plan and schedule)" }
                    select #job-mode name="mode" {
                        option value="service" { "service — each channel's daily target, on service curves" }
                        option value="coverage" { "coverage — staffing's requirement in every interval" }
                    }
                    label for="job-limit" { "Solver time limit, seconds" }
                    input #job-limit name="time_limit_seconds" type="number" min="1" max="3600" value="60";
                    label for="job-capacity" { "Capacity file (TOML; capacity jobs only)" }
                    textarea #job-capacity name="capacity" rows="4" {}
                    button type="submit" { "Run" }
                }
            }
        }

        section aria-label="Recent jobs" {
            h2 { "Recent jobs" }
            table {
                thead { tr { th scope="col" { "Job" } th scope="col" { "Kind" } th scope="col" { "Status" } th scope="col" { "Progress" } th scope="col" { "By" } th scope="col" { "Queued" } } }
                tbody {
                    @for j in &recent {
                        tr class=[(j.status == JobStatus::Failed).then_some("short")] {
                            th scope="row" { a href={"/app/planner/jobs/" (j.id)} { (j.id) } }
                            td { (j.kind) } td { (j.status.as_str()) }
                            td { (j.error.as_deref().unwrap_or(&j.progress)) }
                            td { (j.created_by) } td { (j.created_at.format("%Y-%m-%d %H:%M UTC")) }
                        }
                    }
                }
            }
        }
    };
    Ok(html(layout::page(
        &visitor.session,
        "Jobs",
        "/app/planner/jobs",
        body,
    )))
}

pub async fn run_job(
    State(state): State<AppState>,
    visitor: Visitor<Planners>,
    fields: Form,
) -> WebResult<Response> {
    let get = |k: &str| fields.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    fields.check(&visitor.session)?;
    let mut object = serde_json::Map::new();
    let kind = get("kind").unwrap_or("schedule");
    object.insert("kind".into(), kind.into());
    // Whole numbers as integers (ids; a time limit takes them too), others as decimals.
    let number = |k: &str| -> WebResult<Option<serde_json::Value>> {
        let Some(v) = get(k) else { return Ok(None) };
        let value = match v.parse::<i64>() {
            Ok(n) => Some(serde_json::Value::from(n)),
            Err(_) => v
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(serde_json::Value::from),
        };
        value
            .map(Some)
            .ok_or_else(|| ApiError::invalid(k, format!("expected a number, got {v:?}")).into())
    };
    let allowed: &[&str] = match kind {
        "capacity" => &["scenario", "history"],
        _ => &["scenario", "history", "forecast", "time_limit_seconds"],
    };
    for k in allowed {
        if let Some(v) = number(k)? {
            object.insert((*k).into(), v);
        }
    }
    if kind != "capacity"
        && let Some(mode) = get("mode")
    {
        object.insert("mode".into(), mode.into());
    }
    if kind == "capacity" {
        object.insert("capacity".into(), get("capacity").unwrap_or("").into());
    }
    let bytes = serde_json::to_vec(&object).expect("a map serialises");
    let request: JobRequest = crate::api::extract::parse_json(&bytes)?;
    let id = jobs::enqueue(&state, &visitor.caller.0, &request).await?;
    Ok(Redirect::to(&format!("/app/planner/jobs/{id}")).into_response())
}

pub async fn job(
    State(state): State<AppState>,
    visitor: Visitor<Planners>,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let job = state
        .store
        .job(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("job {id}")))?;
    let done = matches!(job.status, JobStatus::Done | JobStatus::Failed);
    let version = job
        .result
        .as_ref()
        .and_then(|r| r.get("version"))
        .and_then(|v| v.as_i64());
    let meta = match version {
        Some(v) => state.store.version_meta(v).await?,
        None => None,
    };
    let body = html! {
        div #job data-events=(if done { String::new() } else { format!("/app/planner/jobs/{id}/events") }) {
            p { "A " strong { (job.kind) } " job queued by " (job.created_by) " at " (job.created_at.format("%Y-%m-%d %H:%M:%S UTC")) "." }
            p { "Status: " strong #job-status { (job.status.as_str()) } }
            p { "Progress: " span #job-progress role="status" aria-live="polite" { (job.progress) } }
            progress #job-bar max="1" value=[done.then_some("1")] aria-label="job progress" {}
            @if let Some(e) = &job.error { p.error role="alert" { (e) } }
            @if let Some(m) = &meta {
                p { "Result: version " strong { (m.id) } " (" (m.status.as_str()) "): " (m.reason) "." }
                p { a href={"/app/planner/versions/" (m.id) "/report"} { "Open its report" } " · " a href="/app/planner" { "All versions" } }
                @if m.status == VersionStatus::Draft {
                    form method="post" action="/app/planner/publish" {
                        (csrf(&visitor.session))
                        input type="hidden" name="version" value=(m.id);
                        button type="submit" { "Publish version " (m.id) }
                    }
                }
            } @else if let Some(r) = &job.result {
                pre { (serde_json::to_string_pretty(r).unwrap_or_default()) }
            }
        }
    };
    Ok(html(layout::page(
        &visitor.session,
        &format!("Job {id}"),
        "/app/planner/jobs",
        body,
    )))
}

pub async fn job_events(
    State(state): State<AppState>,
    visitor: Visitor<Planners>,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    Ok(jobs::progress(
        State(state),
        visitor.as_caller(&format!("/app/planner/jobs/{id}/events"))?,
        Path(id),
    )
    .await?
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    before: Option<i64>,
}

const AUDIT_PAGE: i64 = 100;

pub async fn audit(
    State(state): State<AppState>,
    visitor: Visitor<Planners>,
    Query(q): Query<AuditQuery>,
) -> WebResult<Response> {
    let filter = AuditFilter {
        actor: q.actor.clone().filter(|s| !s.trim().is_empty()),
        action: q.action.clone().filter(|s| !s.trim().is_empty()),
        before: q.before,
    };
    let entries = state.store.audit_search(&filter, AUDIT_PAGE).await?;
    let older = (entries.len() as i64 == AUDIT_PAGE)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let body = html! {
        form.filters method="get" action="/app/planner/audit" {
            label for="f-actor" { "By" }
            input #f-actor name="actor" value=(q.actor.as_deref().unwrap_or("")) placeholder="token label";
            label for="f-action" { "Action" }
            input #f-action name="action" value=(q.action.as_deref().unwrap_or("")) placeholder="live edit, publish …";
            button type="submit" { "Filter" }
        }
        div.scroll { table.audit {
            thead { tr { th scope="col" { "#" } th scope="col" { "When" } th scope="col" { "By" } th scope="col" { "Role" } th scope="col" { "Action" } th scope="col" { "On" } } }
            tbody {
                @for e in &entries {
                    tr { th scope="row" { (e.id) } td { (e.at.format("%Y-%m-%d %H:%M:%S UTC")) } td { (e.actor) } td { (e.role) } td { (e.action) } td { (e.target) } }
                }
            }
        } }
        @if entries.is_empty() { p { "No entries match." } }
        @if let Some(before) = older {
            p { a href={"/app/planner/audit?before=" (before) "&actor=" (super::urlencode(filter.actor.as_deref().unwrap_or(""))) "&action=" (super::urlencode(filter.action.as_deref().unwrap_or("")))} { "Older entries" } }
        }
    };
    Ok(html(layout::page(
        &visitor.session,
        "Audit log",
        "/app/planner/audit",
        body,
    )))
}

fn tokens_page(
    visitor: &Visitor<Planners>,
    tokens: &[crate::store::TokenRecord],
    created: Option<(&str, &str)>,
) -> Markup {
    html! {
        @if let Some((label, plain)) = created {
            div.notice role="status" {
                p { "Token for " strong { (label) } " — shown this once; hand it over now:" }
                p { code #new-token { (plain) } }
            }
        }
        section aria-label="New token" {
            h2 { "Create a token" }
            form method="post" action="/app/planner/tokens" {
                (csrf(&visitor.session))
                label for="t-role" { "Role" }
                input #t-role name="role" required placeholder="planner, supervisor, routing or vendor:<id>" list="roles";
                datalist #roles { option value="planner" {} option value="supervisor" {} option value="routing" {} }
                label for="t-label" { "Who it is for" }
                input #t-label name="label" required maxlength="100" placeholder="name of the person or system";
                button type="submit" { "Create" }
            }
        }
        table {
            caption { "Tokens" }
            thead { tr { th scope="col" { "Id" } th scope="col" { "For" } th scope="col" { "Role" } th scope="col" { "State" } th scope="col" { "" } } }
            tbody {
                @for t in tokens {
                    tr {
                        th scope="row" { (t.id) } td { (t.label) } td { (t.role) }
                        td { (if t.revoked { "revoked" } else { "active" }) }
                        td { @if !t.revoked {
                            form method="post" action="/app/planner/tokens/revoke" {
                                (csrf(&visitor.session))
                                input type="hidden" name="id" value=(t.id);
                                button type="submit" aria-label={"Revoke token " (t.id)} { "Revoke" }
                            }
                        } }
                    }
                }
            }
        }
    }
}

pub async fn tokens(
    State(state): State<AppState>,
    visitor: Visitor<Planners>,
) -> WebResult<Response> {
    let tokens = state.store.tokens().await?;
    Ok(html(layout::page(
        &visitor.session,
        "Tokens",
        "/app/planner/tokens",
        tokens_page(&visitor, &tokens, None),
    )))
}

pub async fn create_token(
    State(state): State<AppState>,
    visitor: Visitor<Planners>,
    fields: Form,
) -> WebResult<Response> {
    let get = |k: &str| fields.get(k).map_or("", |v| v.trim());
    fields.check(&visitor.session)?;
    let role = Role::parse(get("role")).map_err(|e| ApiError::invalid("role", e))?;
    let label = get("label");
    if label.is_empty() || label.chars().count() > 100 {
        return Err(ApiError::invalid(
            "label",
            "say who the token is for, in at most 100 characters",
        )
        .into());
    }
    let token = NewToken::generate();
    state.store.create_token(&role, label, &token.hash).await?;
    let tokens = state.store.tokens().await?;
    let page = tokens_page(&visitor, &tokens, Some((label, &token.plain)));
    Ok((
        StatusCode::CREATED,
        html(layout::page(
            &visitor.session,
            "Tokens",
            "/app/planner/tokens",
            page,
        )),
    )
        .into_response())
}

pub async fn revoke_token(
    State(state): State<AppState>,
    visitor: Visitor<Planners>,
    fields: Form,
) -> WebResult<Response> {
    fields.check(&visitor.session)?;
    let id = fields.id("id")?;
    if !state.store.revoke_token(&visitor.caller.0, id).await? {
        return Err(WebError::from(ApiError::NotFound(format!(
            "active token {id}"
        ))));
    }
    state
        .tokens
        .write()
        .expect("token cache lock")
        .forget_known();
    Ok(Redirect::to("/app/planner/tokens").into_response())
}
