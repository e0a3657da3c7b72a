//! The web app in a real browser (headless Chromium through chromedriver), against the real
//! server and store: the supervisor's day with a previewed edit seen live by a second supervisor
//! and a stale edit refused, the vendor portal, a planner's job, and the attacks a page must
//! withstand.

use crate::app::{Backend, publish, spawn_app, token};
use crate::browser::{Driver, screenshot, sign_in, text, wait_for};
use fantoccini::Locator;
use libtest_mimic::Failed;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Waits until `check` holds (up to 20 s).
async fn eventually<F, Fut>(what: &str, mut check: F) -> Result<(), Failed>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if check().await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!("not within 20 s: {what}").into())
}

/// Fills the day page's absence form for `agent` and asks for the preview.
async fn preview_absence(browser: &fantoccini::Client, agent: &str) -> Result<(), Failed> {
    let form = browser
        .form(Locator::Css("form:has(input[name=kind][value=absence])"))
        .await?;
    form.set_by_name("agent", agent).await?;
    form.submit().await?;
    Ok(())
}

/// Clicks the preview page's Confirm.
async fn confirm(browser: &fantoccini::Client) -> Result<(), Failed> {
    browser
        .find(Locator::Css("form.confirm button[type=submit]"))
        .await?
        .click()
        .await?;
    Ok(())
}

pub async fn a_supervisor_previews_confirms_and_another_sees_it_live(
    backend: Backend,
) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let second = token(&*app.store, "supervisor").await;
    let (agent, date) = app.working_agent("voice");
    let driver = Driver::start().await;
    let a = driver.browser(1280).await;
    let b = driver.browser(768).await;
    sign_in(&a, &app.base, &app.tokens.supervisor).await;
    sign_in(&b, &app.base, &second).await;
    let day = format!("{}/app/day?date={date}", app.base);
    let started = Instant::now();
    a.goto(&day).await?;
    wait_for(&a, "body[data-ready]").await;
    let interactive = started.elapsed();
    let timing: Value = a
        .execute(
            "const n = performance.getEntriesByType('navigation')[0]; \
             return [n.responseEnd - n.requestStart, n.domInteractive, n.domContentLoadedEventEnd, document.querySelectorAll('#gantt .row[data-agent]').length];",
            vec![],
        )
        .await?;
    eprintln!(
        "web: day page {date}: server answer {:.0} ms, DOM interactive {:.0} ms, ready {:.0} ms, {} shifts (driver round trip {interactive:?})",
        timing[0].as_f64().unwrap_or(-1.0),
        timing[1].as_f64().unwrap_or(-1.0),
        timing[2].as_f64().unwrap_or(-1.0),
        timing[3]
    );
    b.goto(&day).await?;
    wait_for(&b, "body[data-ready]").await;
    screenshot(&b, "app-supervisor-day-tablet").await;
    let page = text(&a).await;
    assert!(page.contains("Projected service of the day"), "{page}");
    assert!(page.contains(&agent), "the Gantt names the agent {agent}");
    screenshot(&a, "app-supervisor-day").await;

    // Mark the absence: the preview shows the service before and after, and stores nothing.
    let before = app.footprint().await;
    preview_absence(&a, &agent).await?;
    wait_for(&a, "table.impact").await;
    let before_sl = a
        .find(Locator::Css("table.impact td.before"))
        .await?
        .text()
        .await?;
    let after_sl = a
        .find(Locator::Css("table.impact td.after"))
        .await?
        .text()
        .await?;
    let pct = |s: &str| s.trim_end_matches(" %").parse::<f64>().unwrap_or(f64::NAN);
    assert!(
        pct(&after_sl) < pct(&before_sl),
        "an absence lowers the projected service: {before_sl} → {after_sl}"
    );
    assert_eq!(app.footprint().await, before, "a preview stores nothing");
    screenshot(&a, "app-supervisor-preview").await;
    confirm(&a).await?;
    wait_for(&a, "p.notice").await;
    let saved = app.store.live_head().await?.expect("a live head");
    assert!(saved > app.version);
    assert!(
        text(&a)
            .await
            .contains(&format!("Saved as version {saved}"))
    );
    // The planner's diff of the two versions names the change and its service impact.
    let planner = driver.browser(1280).await;
    sign_in(&planner, &app.base, &app.tokens.planner).await;
    planner
        .goto(&format!(
            "{}/app/planner/diff?a={}&b={saved}",
            app.base, app.version
        ))
        .await?;
    wait_for(&planner, "table.diff").await;
    let page = text(&planner).await;
    assert!(page.contains("0 added, 0 removed, 1 changed"), "{page}");
    assert!(
        page.contains(&agent) && page.contains("absent from"),
        "{page}"
    );
    let impact = planner
        .find_all(Locator::Css("table.impact tbody tr"))
        .await?;
    assert_eq!(impact.len(), 1, "one day and channel touched");
    screenshot(&planner, "app-planner-diff").await;
    planner.close().await?;

    // The second supervisor's page follows without a reload.
    eventually("the second page shows the new version", || {
        let b = b.clone();
        async move {
            match b.find(Locator::Id("version")).await {
                Ok(e) => e.text().await.is_ok_and(|t| t == saved.to_string()),
                Err(_) => false,
            }
        }
    })
    .await?;
    let marker: Value = b
        .execute(
            "return window.performance.getEntriesByType('navigation').length",
            vec![],
        )
        .await?;
    assert_eq!(marker, 1, "no reload happened");

    // A stale edit: B previews on the current version, A edits meanwhile, B confirms.
    let other = app
        .plan
        .shifts
        .iter()
        .find(|s| s.date == date && s.agent != agent)
        .expect("another shift that day")
        .agent
        .clone();
    preview_absence(&b, &other).await?;
    wait_for(&b, "form.confirm").await;
    a.goto(&day).await?;
    wait_for(&a, "body[data-ready]").await;
    let third = app
        .plan
        .shifts
        .iter()
        .find(|s| s.date == date && s.agent != agent && s.agent != other)
        .expect("a third shift that day")
        .agent
        .clone();
    preview_absence(&a, &third).await?;
    wait_for(&a, "form.confirm").await;
    confirm(&a).await?;
    wait_for(&a, "p.notice").await;
    let head = app.store.live_head().await?.expect("a live head");
    let before = app.footprint().await;
    confirm(&b).await?;
    wait_for(&b, "p.error").await;
    let page = text(&b).await;
    assert!(page.contains("The roster changed"), "{page}");
    assert!(
        page.contains(&format!("it is now at version {head}")),
        "{page}"
    );
    assert_eq!(app.footprint().await, before, "a stale edit stores nothing");
    assert_eq!(app.store.live_head().await?, Some(head));
    screenshot(&b, "app-supervisor-stale").await;
    a.close().await?;
    b.close().await?;
    Ok(())
}

pub async fn a_vendor_commits_fewer_heads_and_the_planner_sees_it(
    backend: Backend,
) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let driver = Driver::start().await;
    let v = driver.browser(1280).await;
    sign_in(&v, &app.base, &app.tokens.vendor_a).await;
    wait_for(&v, "table.blocks").await;
    let page = text(&v).await;
    assert!(page.contains("first visit"), "{page}");
    // Only its own blocks: as many rows as the vendor has blocks, nothing of bpo-b or the agents.
    let own = app
        .plan
        .blocks
        .iter()
        .filter(|b| b.vendor == "bpo-a")
        .count();
    let rows = v.find_all(Locator::Css("table.blocks tbody tr")).await?;
    assert_eq!(rows.len(), own);
    assert!(!page.contains("bpo-b"), "another vendor shows: {page}");
    let source = v.source().await?;
    for agent in app.plan.agents.iter().take(20) {
        assert!(
            !source.contains(&format!(">{}<", agent.name)),
            "an agent shows on the vendor page"
        );
    }
    screenshot(&v, "app-vendor").await;
    let first = v.find(Locator::Id("heads-0")).await?;
    let planned: u32 = first.attr("value").await?.unwrap_or_default().parse()?;
    assert!(planned > 0);
    first.clear().await?;
    first.send_keys(&(planned - 1).to_string()).await?;
    v.find(Locator::Css(
        "form[action^='/app/vendor/ack'] button[type=submit]",
    ))
    .await?
    .click()
    .await?;
    wait_for(&v, "p.notice").await;
    let page = text(&v).await;
    assert!(page.contains("Acknowledged"), "{page}");
    assert!(page.contains("1 head short"), "{page}");
    // A later visit lists what changed since.
    v.refresh().await?;
    wait_for(&v, "table.blocks").await;

    let p = driver.browser(1280).await;
    sign_in(&p, &app.base, &app.tokens.planner).await;
    wait_for(&p, "main").await;
    let page = text(&p).await;
    assert!(page.contains("bpo-a"), "{page}");
    assert!(
        page.contains("1 head short"),
        "the planner sees the shortfall: {page}"
    );
    screenshot(&p, "app-planner-versions").await;
    v.close().await?;
    p.close().await?;
    Ok(())
}

pub async fn a_planner_runs_a_job_watches_it_and_publishes(backend: Backend) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let scenario = app.store.scenarios().await?[0].id;
    let csv = std::fs::read_to_string(crate::app::roster_dir().join("forecast.csv"))?;
    let r = app
        .request(
            reqwest::Method::POST,
            &format!("/v1/forecasts?scenario={scenario}"),
            &app.tokens.planner,
        )
        .body(csv)
        .send()
        .await?;
    assert_eq!(r.status(), 201);
    let forecast = r.json::<Value>().await?["id"].as_i64().unwrap();
    let driver = Driver::start().await;
    let p = driver.browser(1280).await;
    sign_in(&p, &app.base, &app.tokens.planner).await;
    p.goto(&format!("{}/app/planner/jobs", app.base)).await?;
    let form = p.form(Locator::Css("form.job")).await?;
    form.set_by_name("kind", "schedule").await?;
    form.set_by_name("forecast", &forecast.to_string()).await?;
    form.set_by_name("mode", "coverage").await?;
    form.submit().await?;
    wait_for(&p, "#job").await;
    let url = p.current_url().await?;
    assert!(url.path().starts_with("/app/planner/jobs/"), "{url}");
    // The page follows the progress and shows the result when done.
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        // The page re-renders the progress as it comes: an element replaced between finding it
        // and reading it is read again on the next turn.
        let status = match p.find(Locator::Id("job-status")).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if status == "done"
            && p.find(Locator::Css("form[action='/app/planner/publish']"))
                .await
                .is_ok()
        {
            break;
        }
        assert_ne!(status, "failed", "{}", text(&p).await);
        assert!(Instant::now() < deadline, "the job did not finish in 180 s");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    screenshot(&p, "app-planner-job").await;
    p.find(Locator::Css("form[action='/app/planner/publish'] button"))
        .await?
        .click()
        .await?;
    wait_for(&p, "table.versions").await;
    let live = app.store.live_head().await?.expect("a live head");
    assert!(live > app.version, "the job's version is published");
    assert!(text(&p).await.contains("published"));
    p.goto(&format!("{}/app/planner/versions/{live}/report", app.base))
        .await?;
    let source = p.source().await?;
    assert!(source.contains("<svg"), "the report opens with its charts");
    p.close().await?;
    Ok(())
}

pub async fn hostile_pages_show_text_refuse_forgeries_and_roles(
    backend: Backend,
) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    // An agent named like a script, published.
    let mut plan = app.plan.clone();
    let (agent, date) = app.working_agent("voice");
    let evil = "<script>alert(1)</script>";
    plan.agents
        .iter_mut()
        .find(|a| a.id == agent)
        .expect("the agent")
        .name = evil.into();
    let version = publish(&*app.store, &plan).await;
    let driver = Driver::start().await;
    let s = driver.browser(1280).await;
    sign_in(&s, &app.base, &app.tokens.supervisor).await;
    s.goto(&format!("{}/app/day?date={date}", app.base)).await?;
    wait_for(&s, "body[data-ready]").await;
    assert!(s.get_alert_text().await.is_err(), "no script ran");
    assert!(text(&s).await.contains(evil), "the name shows as text");
    assert!(
        !s.source().await?.contains(evil),
        "and is escaped in the page"
    );

    // A page of another site posts a form to the app with the signed-in browser: refused.
    let evil_site = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let evil_base = format!("http://{}", evil_site.local_addr()?);
    let target = format!("{}/app/day/edit", app.base);
    let edit = format!(
        r#"{{"kind":"absence","agent":"{}","date":"{date}"}}"#,
        app.plan
            .shifts
            .iter()
            .find(|x| x.date == date && x.agent != agent)
            .unwrap()
            .agent
    );
    let page = format!(
        "<html><body><form id=f method=post action='{target}'><input name=edit value='{edit}'>\
         <input name=version value='{version}'><input name=csrf value='guess'></form>\
         <script>document.getElementById('f').submit()</script></body></html>"
    );
    let site = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let page = page.clone();
            async move { axum::response::Html(page) }
        }),
    );
    let server = tokio::spawn(async move { axum::serve(evil_site, site).await });
    let before = app.footprint().await;
    s.goto(&evil_base).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        app.footprint().await,
        before,
        "the forged post stored nothing"
    );
    assert_eq!(app.store.live_head().await?, Some(version));
    server.abort();

    // The same post with the session cookie but another Origin, outside a browser: 403.
    let cookie = format!(
        "pp_session={}.{}",
        chrono::Utc::now().timestamp(),
        app.tokens.supervisor
    );
    let r = app
        .client
        .post(&target)
        .header("Cookie", &cookie)
        .header("Origin", &evil_base)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "edit={}&version={version}&csrf=x",
            peakplan::web::urlencode(&edit)
        ))
        .send()
        .await?;
    assert_eq!(r.status(), 403);
    // With the right Origin but without the form's token: refused too.
    let r = app
        .client
        .post(&target)
        .header("Cookie", &cookie)
        .header("Origin", &app.base)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "edit={}&version={version}&csrf=x",
            peakplan::web::urlencode(&edit)
        ))
        .send()
        .await?;
    assert_eq!(r.status(), 403);
    assert_eq!(app.footprint().await, before);

    // Routing and vendor sessions cannot open the supervisor's day: 403, nothing of it rendered.
    for t in [&app.tokens.routing, &app.tokens.vendor_a] {
        let cookie = format!("pp_session={}.{t}", chrono::Utc::now().timestamp());
        let r = app
            .client
            .get(format!("{}/app/day?date={date}", app.base))
            .header("Cookie", &cookie)
            .send()
            .await?;
        assert_eq!(r.status(), 403);
        let body = r.text().await?;
        assert!(!body.contains(&agent) && !body.contains("gantt"), "{body}");
        for path in ["/app/planner", "/app/planner/tokens", "/app/planner/audit"] {
            let r = app
                .client
                .get(format!("{}{path}", app.base))
                .header("Cookie", &cookie)
                .send()
                .await?;
            assert_eq!(r.status(), 403, "{path}");
        }
    }
    // Each role sees only its pages: a supervisor has neither the planner's nor a vendor's.
    let cookie = format!(
        "pp_session={}.{}",
        chrono::Utc::now().timestamp(),
        app.tokens.supervisor
    );
    for path in [
        "/app/planner",
        "/app/planner/jobs",
        "/app/planner/tokens",
        "/app/vendor?vendor=bpo-a",
    ] {
        let r = app
            .client
            .get(format!("{}{path}", app.base))
            .header("Cookie", &cookie)
            .send()
            .await?;
        assert_eq!(r.status(), 403, "{path}");
        let body = r.text().await?;
        assert!(
            body.contains("Not for your role") && !body.contains("<table"),
            "{body}"
        );
    }
    // No session: the sign-in page.
    let r = app
        .client
        .get(format!("{}/app/day", app.base))
        .send()
        .await?;
    assert!(r.url().path().starts_with("/app/sign-in"), "{}", r.url());
    // A revoked token ends its session (within the token cache's few seconds); so does age.
    let doomed = token(&*app.store, "supervisor").await;
    let cookie = format!("pp_session={}.{doomed}", chrono::Utc::now().timestamp());
    let day = format!("{}/app/day?date={date}", app.base);
    let r = app
        .client
        .get(&day)
        .header("Cookie", &cookie)
        .send()
        .await?;
    assert_eq!(r.url().path(), "/app/day");
    let id = app
        .store
        .tokens()
        .await?
        .into_iter()
        .filter(|t| t.role == "supervisor" && !t.revoked)
        .map(|t| t.id)
        .max()
        .expect("the token");
    assert!(
        app.store
            .revoke_token(&peakplan::store::Actor::cli("test"), id)
            .await?
    );
    tokio::time::sleep(peakplan::api::token_cache::TTL + Duration::from_millis(500)).await;
    let r = app
        .client
        .get(&day)
        .header("Cookie", &cookie)
        .send()
        .await?;
    assert!(r.url().path().starts_with("/app/sign-in"), "{}", r.url());
    assert!(
        r.url().query().unwrap_or("").contains("expired=1"),
        "{}",
        r.url()
    );
    let old = chrono::Utc::now().timestamp() - peakplan::web::session::SESSION_HOURS * 3600 - 1;
    let cookie = format!("pp_session={old}.{}", app.tokens.supervisor);
    let r = app
        .client
        .get(&day)
        .header("Cookie", &cookie)
        .send()
        .await?;
    assert!(
        r.url().path().starts_with("/app/sign-in"),
        "an old session ends: {}",
        r.url()
    );
    let headers = app
        .client
        .get(format!("{}/app/sign-in", app.base))
        .send()
        .await?;
    let csp = headers.headers()["content-security-policy"]
        .to_str()?
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    s.close().await?;
    Ok(())
}

/// Posts a form of the app as the page would (same Origin, the session's cookie and CSRF token).
async fn post_form(
    app: &crate::app::TestApp,
    token: &str,
    path: &str,
    fields: &[(&str, String)],
) -> Result<(reqwest::StatusCode, String), Failed> {
    let cookie = format!("pp_session={}.{token}", chrono::Utc::now().timestamp());
    let page = app
        .client
        .get(format!("{}/app/day", app.base))
        .header("Cookie", &cookie)
        .send()
        .await?
        .text()
        .await?;
    let csrf = page
        .split("data-csrf=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the page carries the session's CSRF token")
        .to_string();
    let mut body: Vec<(&str, String)> = fields.to_vec();
    body.push(("csrf", csrf));
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .header("Cookie", &cookie)
        .header("Origin", &app.base)
        .form(&body)
        .send()
        .await?;
    Ok((r.status(), r.text().await?))
}

pub async fn every_edit_form_previews_and_names_a_bad_field(
    backend: Backend,
) -> Result<(), Failed> {
    let app = spawn_app(backend).await;
    let tz = app.plan.tz();
    let hm = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).format("%H:%M").to_string();
    let shift = app
        .plan
        .shifts
        .iter()
        .find(|s| !s.breaks.is_empty())
        .expect("a shift with a break")
        .clone();
    let date = shift.date.to_string();
    let idle = app
        .plan
        .agents
        .iter()
        .find(|a| {
            a.channels.contains(&shift.channel)
                && !app
                    .plan
                    .shifts
                    .iter()
                    .any(|s| s.agent == a.id && s.date == shift.date)
        })
        .expect("an agent without a shift that day")
        .id
        .clone();
    let block = app
        .plan
        .blocks
        .iter()
        .find(|b| b.date == shift.date)
        .expect("a vendor block")
        .clone();
    let version = app.version.to_string();
    let t = &app.tokens.supervisor;
    let forms: Vec<Vec<(&str, String)>> = vec![
        vec![
            ("kind", "change_shift".into()),
            ("agent", shift.agent.clone()),
            ("end", hm(shift.end - chrono::Duration::minutes(30))),
        ],
        vec![
            ("kind", "move_break".into()),
            ("agent", shift.agent.clone()),
            ("from", hm(shift.breaks[0].start)),
            (
                "to",
                hm(shift.breaks[0].start + chrono::Duration::minutes(15)),
            ),
        ],
        vec![
            ("kind", "overtime_shift".into()),
            ("agent", idle),
            ("channel", shift.channel.clone()),
            ("start", "10:00".into()),
            ("end", "14:00".into()),
        ],
        vec![
            ("kind", "vendor_heads".into()),
            ("vendor", block.vendor.clone()),
            ("channel", block.channel.clone()),
            ("start", hm(block.start)),
            ("end", hm(block.end)),
            ("heads", "2".into()),
        ],
    ];
    let before = app.footprint().await;
    for mut fields in forms {
        fields.push(("date", date.clone()));
        fields.push(("version", version.clone()));
        let (status, page) = post_form(&app, t, "/app/day/preview", &fields).await?;
        assert_eq!(status, 200, "{fields:?}: {page}");
        assert!(
            page.contains("table class=\"impact\"") && page.contains("Confirm"),
            "{page}"
        );
    }
    assert_eq!(app.footprint().await, before, "previews store nothing");
    // The re-forecast from pasted actuals suggests edits, each offered for a preview.
    let day = app.plan.day_intervals(shift.date);
    let c = app.plan.channel_index("voice").unwrap();
    let mut lines = vec!["channel,start,volume".to_string()];
    for i in day {
        let at = hm(app.plan.interval_start(i));
        if at.as_str() >= "12:00" {
            break;
        }
        lines.push(format!(
            "voice,{at},{}",
            app.plan.channels[c].demand[i].volume * 1.6
        ));
    }
    let absence = |agent: &str, from: Option<&str>| {
        let mut f = vec![
            ("kind", "absence".to_string()),
            ("agent", agent.to_string()),
            ("date", date.clone()),
            ("version", version.clone()),
        ];
        f.extend(from.map(|t| ("from", t.to_string())));
        f
    };
    let reforecast = |actuals: String| {
        vec![
            ("date", date.clone()),
            ("through", "12:00".to_string()),
            ("actuals", actuals),
        ]
    };
    // (path, form, status, what the page says): a bad time names its field, an unknown agent
    // too, a bad line of actuals its line; none of them stores anything.
    let cases = [
        (
            "/app/day/preview",
            absence(&shift.agent, Some("25:99")),
            422,
            "from",
        ),
        ("/app/day/preview", absence("nobody", None), 422, "agent"),
        (
            "/app/day/reforecast",
            reforecast(lines.join("\n")),
            200,
            "Suggested edits",
        ),
        (
            "/app/day/reforecast",
            reforecast("voice,08:00,many".into()),
            422,
            "line 1",
        ),
    ];
    for (path, fields, status, says) in cases {
        let (got, page) = post_form(&app, t, path, &fields).await?;
        assert_eq!(got, status, "{path} {fields:?}: {page}");
        assert!(page.contains(says), "{path} {fields:?}: {page}");
    }
    assert_eq!(app.footprint().await, before);
    Ok(())
}
