//! `peakplan plan` end to end on the small scenario: report, store, publication, comparison; and
//! the report as a person sees it, rendered by headless Chromium (Debian's `chromium`).

use std::path::Path;
use std::process::Command;
mod checker;

const SCENARIO: &str = "tests/data/roster-small.toml";
const MORE_CORE: &str = "tests/data/roster-small-more-core.toml";
const FORECAST: &str = "tests/data/roster-small-forecast.csv";

fn plan(dir: &Path, extra: &[&str]) -> String {
    let db = format!("sqlite://{}", dir.join("peakplan.sqlite").display());
    let out = dir.join("plan");
    let mut args = vec![
        "plan",
        SCENARIO,
        "--forecast",
        FORECAST,
        "--mode",
        "coverage",
        "--time-limit",
        "60",
        "--replications",
        "3",
        "--out",
        out.to_str().expect("UTF-8 path"),
    ];
    args.extend_from_slice(extra);
    let o = Command::new(env!("CARGO_BIN_EXE_peakplan"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DATABASE_URL", &db)
        .args(&args)
        .output()
        .expect("peakplan runs");
    assert!(
        o.status.success(),
        "plan failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    // With --compare the plans are in a/ and b/.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    match extra.iter().position(|a| *a == "--compare") {
        Some(k) => {
            checker::assert_roster_holds(&root.join(SCENARIO), &out.join("a"));
            checker::assert_roster_holds(&root.join(extra[k + 1]), &out.join("b"));
        }
        None => checker::assert_roster_holds(&root.join(SCENARIO), &out),
    }
    String::from_utf8(o.stdout).expect("UTF-8")
}

#[test]
fn plan_writes_the_report_and_publishes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = plan(dir.path(), &["--publish"]);
    for needle in [
        "simulated SL",
        "projected SL",
        "abandoned",
        "core",
        "bpo-a",
        "total",
    ] {
        assert!(out.contains(needle), "no {needle} in {out}");
    }
    assert!(out.contains("published as version 1"), "{out}");
    let folder = dir.path().join("plan");
    for f in [
        "report.html",
        "roster.csv",
        "vendor_bpo-a.csv",
        "vendor_bpo-b.csv",
        "summary.json",
        "simulation.csv",
        "plan.json",
    ] {
        assert!(folder.join(f).exists(), "{f} missing");
    }
    let html = std::fs::read_to_string(folder.join("report.html")).expect("report");
    // 3 charts per channel (forecast, coverage, service) × 2, the heat map of voice (email has no
    // interval service), the Gantt chart of each of the 3 days and the costs.
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 11);
    // Any day of the horizon can be picked (the busiest shows first); rows say who or which
    // vendor block with its heads.
    for day in ["2026-11-09", "2026-11-10", "2026-11-11"] {
        assert!(
            html.contains(&format!("<option value=\"{day}\"")),
            "{day} in the day picker"
        );
        assert!(
            html.contains(&format!("data-day=\"{day}\"")),
            "{day}'s Gantt"
        );
    }
    assert!(
        html.contains(" heads</text>"),
        "vendor blocks labelled with their heads"
    );
    assert!(html.contains("-001</text>"), "agents labelled by id");
    assert!(html.contains("Where the plan is short") && html.contains("idle paid hours"));
    assert!(html.contains("href=\"vendor_bpo-a.csv\""));
    assert!(
        !html.contains("http://") && !html.contains("https://www"),
        "self-contained"
    );
    assert!(html.contains("simulated"));
    // The same inputs and seed give the same report, byte for byte.
    let again = tempfile::tempdir().expect("temp dir");
    plan(again.path(), &["--publish"]);
    let html2 = std::fs::read_to_string(again.path().join("plan/report.html")).expect("report");
    assert!(html == html2, "the report differs between two runs");
}

#[test]
fn compare_sets_two_plans_side_by_side() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = plan(dir.path(), &["--compare", MORE_CORE, "--no-store"]);
    assert!(out.contains("comparison"), "{out}");
    assert!(out.contains("small roster, more core"), "{out}");
    assert!(
        out.contains("total cost") && out.contains("days below target"),
        "{out}"
    );
    assert!(dir.path().join("plan/a/report.html").exists());
    assert!(dir.path().join("plan/b/report.html").exists());
}

/// Renders the report in headless Chromium: every chart must draw (the page's own check writes
/// `data-charts="ok <n>"`) and the console must stay free of errors.
#[test]
fn the_report_renders_in_a_browser() {
    let chromium = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok())
        .expect("Chromium is needed for this test: `apt-get install chromium` (scripts/prereqs.sh installs it)");
    let dir = tempfile::tempdir().expect("temp dir");
    plan(dir.path(), &["--no-store"]);
    let report = dir.path().join("plan/report.html");
    let profile = dir.path().join("chromium-profile");
    let o = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", report.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&o.stdout);
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(
        dom.contains("data-charts=\"ok 11\""),
        "charts did not all draw: {}\n{log}",
        dom.split("data-charts=")
            .nth(1)
            .unwrap_or("(no marker)")
            .chars()
            .take(200)
            .collect::<String>()
    );
    for line in log.lines() {
        assert!(
            !(line.contains("CONSOLE") && (line.contains("ERROR") || line.contains("Uncaught"))),
            "console error: {line}"
        );
    }
}
