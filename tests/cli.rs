//! End-to-end tests: the real `peakplan` binary on the shipped sample and on broken inputs.

use std::path::{Path, PathBuf};
mod common;
use common::{ok, peakplan};

/// Runs a command that must fail with exit code 2; returns its stderr.
fn fails(args: &[&str]) -> String {
    let out = peakplan(args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "peakplan {args:?} should fail: {out:?}"
    );
    String::from_utf8(out.stderr).expect("errors are UTF-8")
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("valid JSON")
}

const SCENARIO: &str = "models/promo-peak.toml";
const FORECAST: &str = "forecasts/promo-peak-forecast.csv";

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

fn path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

#[test]
fn queue_evaluates_erlang_c() {
    let v = json(&ok(&[
        "queue",
        "--model",
        "erlang-c",
        "--calls-per-hour",
        "360",
        "--aht-seconds",
        "240",
        "--agents",
        "28",
        "--target-seconds",
        "20",
        "--json",
    ]));
    assert_eq!(v["agents"], 28);
    assert!((v["p_wait"].as_f64().unwrap() - 0.333_138_527_992_722_9).abs() < 1e-12);
    assert!((v["service_level"].as_f64().unwrap() - 0.761_295_813_934_751_3).abs() < 1e-12);
    assert!((v["asa_seconds"].as_f64().unwrap() - 19.988_311_679_563_373).abs() < 1e-9);
    assert!((v["occupancy"].as_f64().unwrap() - 24.0 / 28.0).abs() < 1e-15);
}

#[test]
fn queue_sizes_erlang_a_with_every_target() {
    let v = json(&ok(&[
        "queue",
        "--model",
        "erlang-a",
        "--calls-per-hour",
        "360",
        "--aht-seconds",
        "240",
        "--patience-seconds",
        "180",
        "--target-seconds",
        "20",
        "--target-sl",
        "0.8",
        "--json",
    ]));
    let agents = v["agents"].as_u64().unwrap();
    assert!(v["service_level"].as_f64().unwrap() >= 0.8);
    // Abandonment makes Erlang A need no more than Erlang C's 29.
    assert!(agents <= 29, "{v}");
    let below = json(&ok(&[
        "queue",
        "--model",
        "erlang-a",
        "--calls-per-hour",
        "360",
        "--aht-seconds",
        "240",
        "--patience-seconds",
        "180",
        "--target-seconds",
        "20",
        "--agents",
        &(agents - 1).to_string(),
        "--json",
    ]));
    assert!(below["service_level"].as_f64().unwrap() < 0.8);
    assert!(v["p_abandon"].as_f64().unwrap() > 0.0);

    let capped = json(&ok(&[
        "queue",
        "--model",
        "erlang-a",
        "--calls-per-hour",
        "360",
        "--aht-seconds",
        "240",
        "--patience-seconds",
        "180",
        "--target-seconds",
        "20",
        "--target-sl",
        "0.8",
        "--max-occupancy",
        "0.8",
        "--max-abandon",
        "0.01",
        "--json",
    ]));
    assert!(capped["occupancy"].as_f64().unwrap() <= 0.8);
    assert!(capped["p_abandon"].as_f64().unwrap() <= 0.01);
    assert!(capped["agents"].as_u64().unwrap() > agents);
}

#[test]
fn queue_prints_a_table_and_refuses_nonsense() {
    let table = ok(&[
        "queue",
        "--calls-per-hour",
        "360",
        "--aht-seconds",
        "240",
        "--agents",
        "28",
    ]);
    assert!(
        table.contains("service level") && table.contains("76.1%"),
        "{table}"
    );

    let e = fails(&[
        "queue",
        "--calls-per-hour",
        "360",
        "--aht-seconds",
        "240",
        "--agents",
        "24",
    ]);
    assert!(e.contains("unstable") && e.contains("add agents"), "{e}");
    let e = fails(&[
        "queue",
        "--model",
        "erlang-a",
        "--calls-per-hour",
        "360",
        "--aht-seconds",
        "240",
        "--agents",
        "3",
    ]);
    assert!(e.contains("--patience-seconds"), "{e}");
    let e = fails(&[
        "queue",
        "--calls-per-hour",
        "360",
        "--aht-seconds",
        "0",
        "--agents",
        "3",
    ]);
    assert!(e.contains("handle time"), "{e}");
    let e = fails(&[
        "queue",
        "--calls-per-hour",
        "360",
        "--aht-seconds",
        "240",
        "--target-sl",
        "1.2",
    ]);
    assert!(e.contains("between 0 and 1"), "{e}");
}

#[test]
fn staff_writes_every_interval_and_is_deterministic() {
    let dir = temp();
    let (a, b) = (path(dir.path(), "a.csv"), path(dir.path(), "b.csv"));
    let curves = path(dir.path(), "curves.csv");
    let summary = ok(&[
        "staff",
        "--scenario",
        SCENARIO,
        "--forecast",
        FORECAST,
        "--out",
        s(&a),
        "--curves",
        s(&curves),
    ]);
    assert!(
        summary.contains("Wed 11 Nov") && summary.contains("modified-offered-load"),
        "{summary}"
    );
    // Both peaks, named: on the phones, and to schedule after shrinkage.
    assert!(
        summary.contains("peak on the phones") && summary.contains("peak to schedule"),
        "{summary}"
    );
    ok(&[
        "staff",
        "--scenario",
        SCENARIO,
        "--forecast",
        FORECAST,
        "--out",
        s(&b),
    ]);
    let text = std::fs::read_to_string(&a).unwrap();
    assert_eq!(
        text,
        std::fs::read_to_string(&b).unwrap(),
        "same inputs, same bytes"
    );
    // 14 days × 48 half-hours × 3 channels, plus the header.
    assert_eq!(text.lines().count(), 14 * 48 * 3 + 1);
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let mut peak_voice = 0;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let required: u32 = f[col("required_agents")].parse().unwrap();
        let scheduled: u32 = f[col("scheduled_agents")].parse().unwrap();
        assert!(scheduled >= required);
        if f[col("channel")] == "voice" && f[col("open")] == "true" {
            assert!(
                f[col("service_level")].parse::<f64>().unwrap() >= 0.8,
                "{line}"
            );
            assert!(
                f[col("p_abandon")].parse::<f64>().unwrap() <= 0.05,
                "{line}"
            );
            assert!(f[col("occupancy")].parse::<f64>().unwrap() <= 0.9, "{line}");
            peak_voice = peak_voice.max(required);
        }
        if f[col("open")] == "false" && f[col("channel")] != "email" {
            assert_eq!(required, 0, "{line}");
        }
    }
    assert!(
        peak_voice > 100,
        "the Double 11 peak needs a big voice team, got {peak_voice}"
    );
    let curves = std::fs::read_to_string(&curves).unwrap();
    assert!(curves.starts_with(
        "timestamp,channel,agents,service_level,answered_in_time,on_concave_envelope"
    ));
    assert!(curves.lines().count() > 10_000);
}

#[test]
fn sipp_and_mol_differ_on_the_ramp() {
    let dir = temp();
    let (mol, sipp) = (path(dir.path(), "mol.csv"), path(dir.path(), "sipp.csv"));
    ok(&[
        "staff",
        "--scenario",
        SCENARIO,
        "--forecast",
        FORECAST,
        "--out",
        s(&mol),
    ]);
    ok(&[
        "staff",
        "--scenario",
        SCENARIO,
        "--forecast",
        FORECAST,
        "--out",
        s(&sipp),
        "--method",
        "sipp",
    ]);
    let total = |p: &Path| -> u64 {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(6).unwrap().parse::<u64>().unwrap())
            .sum()
    };
    let (a, b) = (total(&mol), total(&sipp));
    assert_ne!(a, b);
    // Same total work; the lag only moves it, so the totals stay within a few percent.
    assert!(
        (a as f64 - b as f64).abs() / (b as f64) < 0.05,
        "{a} vs {b}"
    );
}

#[test]
fn staff_names_the_bad_line_of_a_forecast() {
    let dir = temp();
    let forecast = std::fs::read_to_string(FORECAST).unwrap();
    let out = path(dir.path(), "s.csv");
    let cases = [
        (
            forecast.replacen(",voice,", ",fax,", 1),
            ":2: unknown channel `fax`; the scenario has voice, chat, email",
        ),
        (
            with_first_row(&forecast, |fields| fields[2] = "-26.8".into()),
            ":2: `volume` cannot be negative",
        ),
        (
            forecast.replacen("2026-11-02T08:00:00+08:00", "2026-11-02T08:10:00+08:00", 1),
            "not the start of a 30-minute interval",
        ),
        (
            forecast.replacen(
                "2026-11-02T08:30:00+08:00,voice",
                "2026-11-02T08:00:00+08:00,voice",
                1,
            ),
            "appears twice (first on line 2)",
        ),
        (
            forecast
                .lines()
                .filter(|l| !l.starts_with("2026-11-11T10:00:00+08:00,voice"))
                .collect::<Vec<_>>()
                .join("\n"),
            "no volume for channel `voice` in 1 open interval(s) of the horizon, the first at 2026-11-11T10:00:00+08:00",
        ),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let bad = path(dir.path(), &format!("bad{i}.csv"));
        std::fs::write(&bad, text).unwrap();
        let e = fails(&[
            "staff",
            "--scenario",
            SCENARIO,
            "--forecast",
            s(&bad),
            "--out",
            s(&out),
        ]);
        assert!(e.contains(want) && e.contains(s(&bad)), "case {i}: {e}");
        assert!(!out.exists(), "a refused input writes nothing");
    }
}

/// `text` with the fields of its first data row changed by `edit`.
fn with_first_row(text: &str, edit: impl Fn(&mut Vec<String>)) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut fields: Vec<String> = lines[1].split(',').map(String::from).collect();
    edit(&mut fields);
    lines[1] = fields.join(",");
    lines.join("\n") + "\n"
}

/// A missing file names itself and gives the system's reason once.
#[test]
fn a_missing_file_is_named_with_one_reason() {
    let dir = temp();
    let missing = path(dir.path(), "missing.toml");
    for args in [
        vec!["plan", s(&missing)],
        vec![
            "staff",
            "--scenario",
            s(&missing),
            "--forecast",
            FORECAST,
            "--out",
            "x.csv",
        ],
    ] {
        let e = fails(&args);
        assert!(e.contains("missing.toml"), "{e}");
        assert_eq!(e.matches("os error 2").count(), 1, "{e}");
    }
}

/// A scenario whose `history` path is wrong: the error names the scenario line that gave it.
#[test]
fn a_wrong_history_path_names_its_scenario_line() {
    let dir = temp();
    let scenario = std::fs::read_to_string(SCENARIO).unwrap();
    let line = scenario
        .lines()
        .position(|l| l.starts_with("history"))
        .expect("the sample names its history")
        + 1;
    let text: String = scenario
        .lines()
        .map(|l| {
            if l.starts_with("history") {
                "history = \"no-such-history.csv\"".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let bad = path(dir.path(), "wrong-history.toml");
    std::fs::write(&bad, text).unwrap();
    let out = s(&path(dir.path(), "f.csv")).to_string();
    for args in [
        vec!["plan", s(&bad), "--out", s(dir.path())],
        vec![
            "forecast",
            "--scenario",
            s(&bad),
            "--start",
            "2026-11-02T00:00",
            "--end",
            "2026-11-03T00:00",
            "--out",
            &out,
        ],
    ] {
        let e = fails(&args);
        assert!(e.contains(&format!("wrong-history.toml:{line}")), "{e}");
        assert!(e.contains("no-such-history.csv"), "{e}");
    }
}

/// `simulate --roster` on a folder that holds no roster says so and how to give one.
#[test]
fn simulate_refuses_a_folder_that_is_not_a_roster() {
    let dir = temp();
    let e = fails(&[
        "simulate",
        "--scenario",
        SCENARIO,
        "--roster",
        s(dir.path()),
    ]);
    assert!(e.contains("is not a roster folder"), "{e}");
    assert!(e.contains("schedule --out DIR"), "{e}");
}

#[test]
fn staff_names_the_bad_line_of_a_scenario() {
    let dir = temp();
    let scenario = std::fs::read_to_string(SCENARIO).unwrap();
    let bad = path(dir.path(), "bad.toml");
    std::fs::write(
        &bad,
        scenario.replace("aht_seconds = 420", "aht_seconds = 0"),
    )
    .unwrap();
    let e = fails(&[
        "staff",
        "--scenario",
        s(&bad),
        "--forecast",
        FORECAST,
        "--out",
        s(&path(dir.path(), "x.csv")),
    ]);
    let line = scenario
        .lines()
        .position(|l| l.starts_with("aht_seconds = 420"))
        .unwrap()
        + 1;
    assert!(
        e.contains(&format!("bad.toml:{line}:1: `channels[chat].aht_seconds`")),
        "{e}"
    );
    assert!(e.contains("greater than 0"), "{e}");
}

#[test]
fn simulate_checks_a_staffing_and_is_deterministic() {
    let dir = temp();
    let staffing = path(dir.path(), "staffing.csv");
    ok(&[
        "staff",
        "--scenario",
        SCENARIO,
        "--forecast",
        FORECAST,
        "--out",
        s(&staffing),
    ]);
    let args = [
        "simulate",
        "--scenario",
        SCENARIO,
        "--forecast",
        FORECAST,
        "--coverage",
        s(&staffing),
        "--replications",
        "4",
        "--seed",
        "7",
        "--json",
    ];
    let first = ok(&args);
    assert_eq!(first, ok(&args), "same seed, same bytes");
    let v = json(&first);
    let voice = &v["channels"][0];
    assert_eq!(voice["channel"], "voice");
    let sl = voice["total"]["service_level"]["mean"].as_f64().unwrap();
    assert!(
        sl > 0.8,
        "the staffing holds the voice target in simulation: {sl}"
    );
    assert!(voice["total"]["service_level"]["ci95"].as_f64().unwrap() > 0.0);
    let email_sl = v["channels"][2]["total"]["service_level"]["mean"]
        .as_f64()
        .unwrap();
    assert!(email_sl >= 0.95, "{email_sl}");

    let table = ok(&[
        "simulate",
        "--scenario",
        SCENARIO,
        "--forecast",
        FORECAST,
        "--coverage",
        s(&staffing),
        "--replications",
        "2",
        "--handle-time",
        "lognormal",
        "--cv",
        "0.7",
        "--out",
        s(&path(dir.path(), "sim.csv")),
    ]);
    assert!(
        table.contains("all days") && table.contains("simulated SL"),
        "{table}"
    );
    let sim = std::fs::read_to_string(path(dir.path(), "sim.csv")).unwrap();
    assert_eq!(sim.lines().count(), 14 * 48 * 3 + 1);
}

#[test]
fn simulate_refuses_a_coverage_with_a_hole() {
    let dir = temp();
    let coverage = path(dir.path(), "coverage.csv");
    std::fs::write(
        &coverage,
        "timestamp,channel,agents\n2026-11-02T08:00:00+08:00,voice,40\n",
    )
    .unwrap();
    let e = fails(&[
        "simulate",
        "--scenario",
        SCENARIO,
        "--forecast",
        FORECAST,
        "--coverage",
        s(&coverage),
    ]);
    assert!(
        e.contains("no agents given for channel `voice` at 2026-11-02T08:30:00+08:00"),
        "{e}"
    );
    std::fs::write(
        &coverage,
        "timestamp,channel,agents\n2026-11-02T08:00:00+08:00,voice,many\n",
    )
    .unwrap();
    let e = fails(&[
        "simulate",
        "--scenario",
        SCENARIO,
        "--forecast",
        FORECAST,
        "--coverage",
        s(&coverage),
    ]);
    assert!(
        e.contains("coverage.csv:2: agents must be a whole number"),
        "{e}"
    );
}

#[test]
fn every_command_has_help() {
    for cmd in [
        "queue", "staff", "simulate", "demo", "plan", "serve", "publish",
    ] {
        let h = ok(&[cmd, "--help"]);
        assert!(h.contains("Usage: peakplan"), "{cmd}: {h}");
    }
    assert!(ok(&["queue", "--help"]).contains("--target-sl"));
    assert!(ok(&["staff", "--help"]).contains("Modified offered load"));
}

const HISTORY: &str = "forecasts/promo-peak-history.csv";

#[test]
fn forecast_learns_the_promotion_and_writes_quantiles() {
    let dir = temp();
    let out = path(dir.path(), "forecast.csv");
    let summary = ok(&[
        "forecast",
        "--scenario",
        SCENARIO,
        "--start",
        "2026-11-02T00:00",
        "--end",
        "2026-11-16T00:00",
        "--out",
        s(&out),
    ]);
    // The automatic choice (the best methods' mean, or the best alone where it led on every week)
    // and how its intraday profiles were estimated.
    assert!(summary.contains("(auto)"), "{summary}");
    assert!(
        summary.contains("Intraday profiles") && summary.contains("voice 52 weeks, not smoothed"),
        "{summary}"
    );
    assert!(
        summary.contains("Double 11 2026") && summary.contains("learned from 2 past occurrences"),
        "{summary}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("timestamp,channel,volume,p10,p50,p90,aht_seconds\n"));
    // Voice handle time comes from the history (longer on Monday mornings, 330 s × 1.08 in the
    // generator); chat has none in the history and takes the scenario's 420 s.
    let aht = |prefix: &str| -> f64 {
        let line = text.lines().find(|l| l.starts_with(prefix)).unwrap();
        line.rsplit(',').next().unwrap().parse().unwrap()
    };
    let monday = aht("2026-11-02T09:00:00+08:00,voice");
    assert!((345.0..372.0).contains(&monday), "{monday}");
    assert!(aht("2026-11-03T15:00:00+08:00,voice") < monday);
    assert_eq!(aht("2026-11-02T09:00:00+08:00,chat"), 420.0);
    // The forecast feeds staffing as it is.
    let staffed = ok(&[
        "staff",
        "--scenario",
        SCENARIO,
        "--forecast",
        s(&out),
        "--out",
        s(&path(dir.path(), "staffing.csv")),
    ]);
    assert!(staffed.contains("Wed 11 Nov"), "{staffed}");
}

#[test]
fn backtest_scores_every_method_and_marks_the_winner() {
    let backtest = |origins: &'static str| {
        [
            "backtest",
            "--scenario",
            SCENARIO,
            "--history",
            HISTORY,
            "--origins",
            origins,
        ]
    };
    let v = json(&ok(&[&backtest("4")[..], &["--json"]].concat()));
    let channels = v.as_array().unwrap();
    assert_eq!(channels.len(), 3);
    for c in channels {
        let scores = c["scores"].as_array().unwrap();
        assert_eq!(scores.len(), peakplan::forecast::Method::ALL.len());
        let wape = |m: &str| {
            scores.iter().find(|s| s["method"] == m).unwrap()["wape"]
                .as_f64()
                .unwrap()
        };
        let best = scores
            .iter()
            .map(|s| s["wape"].as_f64().unwrap())
            .fold(f64::INFINITY, f64::min);
        // The yardstick: the best same-weekday average over every look-back from 4 to 12 weeks,
        // the candidates' among them.
        let baseline = c["baseline"]["wape"].as_f64().unwrap();
        let weeks = c["baseline"]["weeks"].as_u64().unwrap();
        assert!((4..=12).contains(&weeks), "{c}");
        for k in ["", "-6", "-8", "-10", "-12"] {
            assert!(best <= wape(&format!("weekday-average{k}")));
            assert!(baseline <= wape(&format!("weekday-average{k}")));
        }
        assert!(best <= 0.85 * wape("seasonal-naive"), "{c}");
    }
    let summary = ok(&backtest("4"));
    assert_eq!(
        summary
            .matches("against the best same-weekday interval average over 4–12 weeks")
            .count(),
        3,
        "{summary}"
    );
    // Whole days' coverage says how many days each horizon day's share stands on.
    assert_eq!(
        summary.matches("days a horizon day: one day is").count(),
        3,
        "{summary}"
    );
    // One origin leaves no other origin to calibrate a band on: refused, not scored as NaN.
    let err = fails(&backtest("1"));
    assert!(err.contains("at least 2 origins"), "{err}");
}

#[test]
fn weekly_forecast_and_backtest_on_the_sample() {
    let dir = temp();
    let out = path(dir.path(), "weekly.csv");
    let summary = ok(&[
        "forecast",
        "--scenario",
        SCENARIO,
        "--weekly",
        "--from",
        "2026-08-05",
        "--weeks",
        "20",
        "--out",
        s(&out),
    ]);
    assert!(
        summary.contains("weeks of 2026-08-03 to 2026-12-14"),
        "{summary}"
    );
    assert!(summary.contains("yearly seasonality"), "{summary}");
    assert!(
        summary.contains("learned from 2 past occurrences"),
        "{summary}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("week_start,channel,p50,p10,p90,mean,open_days,event_uplift\n"));
    assert_eq!(text.lines().count(), 1 + 20 * 3);
    // The Double 11 week stands out; the National Day week (two holidays) has five open days.
    let row = |prefix: &str| -> Vec<String> {
        let line = text.lines().find(|l| l.starts_with(prefix)).unwrap();
        line.split(',').map(str::to_string).collect()
    };
    let peak = row("2026-11-09,voice");
    let before = row("2026-11-16,voice");
    let p50 = |r: &[String]| r[2].parse::<f64>().unwrap();
    assert!(p50(&peak) > 1.4 * p50(&before), "{peak:?} {before:?}");
    assert!(peak[7].parse::<f64>().unwrap() > 1.4);
    assert_eq!(row("2026-09-28,chat")[6], "5");
    // The same seed gives the same file.
    let again = path(dir.path(), "again.csv");
    ok(&[
        "forecast",
        "--scenario",
        SCENARIO,
        "--weekly",
        "--from",
        "2026-08-05",
        "--weeks",
        "20",
        "--out",
        s(&again),
    ]);
    assert_eq!(text, std::fs::read_to_string(&again).unwrap());
    // The backtest against the naive baselines.
    let v = json(&ok(&[
        "backtest",
        "--scenario",
        SCENARIO,
        "--weekly",
        "--json",
    ]));
    for c in v.as_array().unwrap() {
        let wape = c["wape"].as_f64().unwrap();
        assert!(wape < c["wape_seasonal_naive"].as_f64().unwrap(), "{c}");
        assert!(wape < c["wape_trend_naive"].as_f64().unwrap(), "{c}");
        assert!(c["horizons"].as_array().unwrap().len() == 26, "{c}");
    }
    // Bad input names the flag.
    let err = fails(&[
        "forecast",
        "--scenario",
        SCENARIO,
        "--weekly",
        "--weeks",
        "500",
        "--out",
        s(&out),
    ]);
    assert!(err.contains("--weeks"), "{err}");
    let err = fails(&[
        "forecast",
        "--scenario",
        SCENARIO,
        "--weekly",
        "--start",
        "2026-11-02",
        "--out",
        s(&out),
    ]);
    assert!(err.contains("--start") && err.contains("--weekly"), "{err}");
}

#[test]
fn capacity_plans_the_sample_peak_and_names_bad_fields() {
    let dir = temp();
    let out = path(dir.path(), "capacity");
    let summary = ok(&[
        "capacity",
        "models/promo-peak-capacity.toml",
        "--scenarios",
        "40",
        "--out",
        s(&out),
    ]);
    assert!(
        summary.contains("capacity plan for Double 11 promotion peak 2026 from 2026-08-03"),
        "{summary}"
    );
    assert!(
        summary.contains("expected cost") && summary.contains("lower bound"),
        "{summary}"
    );
    assert!(!summary.contains("cannot be met"), "{summary}");
    for f in [
        "report.html",
        "channel_weeks.csv",
        "classes.csv",
        "seats.csv",
        "plan.json",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    for part in [
        "id=\"capacity-voice\"",
        "id=\"capacity-email\"",
        "id=\"headcount\"",
        "Decision calendar",
    ] {
        assert!(report.contains(part), "{part}");
    }
    let weeks = std::fs::read_to_string(out.join("channel_weeks.csv")).unwrap();
    assert_eq!(weeks.lines().count(), 1 + 16 * 3);
    // Every channel and week meets the requirement in at least 90 % of the scenarios.
    for line in weeks.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert!(f[10].parse::<f64>().unwrap() <= 0.1 + 1e-9, "{line}");
        assert_eq!(f[11], "true", "{line}");
    }
    // The peak week needs far more than the core team.
    let peak = weeks
        .lines()
        .find(|l| l.starts_with("2026-11-09,voice"))
        .unwrap();
    let f: Vec<f64> = peak
        .split(',')
        .skip(2)
        .take(7)
        .map(|x| x.parse().unwrap())
        .collect();
    assert!(f[0] > 1.5 * f[3] * 0.9 && f[6] > 1000.0, "{peak}");
    // The peak's roster scenario as the plan leaves it loads as a scenario.
    let peak = path(dir.path(), "peak.toml");
    let what_if = path(dir.path(), "what-if.toml");
    let text = std::fs::read_to_string("models/promo-peak-capacity.toml").unwrap();
    let scenario = std::fs::canonicalize("models/promo-peak.toml").unwrap();
    std::fs::write(
        &what_if,
        text.replace("\"promo-peak.toml\"", &format!("{scenario:?}"))
            .replace("attrition_week = 0.004 ", "attrition_week = 0.008 "),
    )
    .unwrap();
    let summary = ok(&[
        "capacity",
        "models/promo-peak-capacity.toml",
        "--scenarios",
        "20",
        "--out",
        s(&out),
        "--write-scenario",
        s(&peak),
        "--compare",
        s(&what_if),
    ]);
    assert!(
        summary.contains("continue with: peakplan plan"),
        "{summary}"
    );
    assert!(
        summary.contains("comparison:") && summary.contains("what-if.toml"),
        "{summary}"
    );
    let loaded = ::peakplan::scenario::Scenario::load(&peak).unwrap();
    let core = loaded
        .agents
        .iter()
        .filter(|a| a.group == "voice-core")
        .count();
    assert!(
        (100..120).contains(&core),
        "{core} voice-core agents after attrition"
    );
    assert!(
        std::fs::read_to_string(&peak)
            .unwrap()
            .starts_with("# Written by `peakplan capacity")
    );
    // A plan date after the peak, and a ramp that does not reach 100 %, name their field.
    let bad = path(dir.path(), "bad.toml");
    let text = std::fs::read_to_string("models/promo-peak-capacity.toml").unwrap();
    let write = |t: String| {
        std::fs::write(
            &bad,
            t.replace(
                "\"promo-peak.toml\"",
                &format!(
                    "{:?}",
                    std::fs::canonicalize("models/promo-peak.toml").unwrap()
                ),
            ),
        )
        .unwrap();
    };
    write(text.replace("plan_date = 2026-08-03", "plan_date = 2026-12-01"));
    let err = fails(&["capacity", s(&bad), "--out", s(&out)]);
    assert!(
        err.contains("`plan_date`") && err.contains("after the peak"),
        "{err}"
    );
    write(text.replace("ramp = [0.5, 0.7, 0.85, 1.0]", "ramp = [0.5, 0.7]"));
    let err = fails(&["capacity", s(&bad), "--out", s(&out)]);
    assert!(err.contains("classes.voice-hires.ramp"), "{err}");
    write(text.replace(
        "notice_weeks = 6\nhours_per_seat = 40\n\n[[contracts]]",
        "notice_weeks = 60\nhours_per_seat = 40\n\n[[contracts]]",
    ));
    let err = fails(&["capacity", s(&bad), "--out", s(&out)]);
    assert!(err.contains("notice_weeks"), "{err}");
}

/// The README's quoted scenario errors are what the binary says for the same two mistakes in a
/// copy of the sample (`-330` for voice's handle time; `patience_secs` for `patience_seconds`), so
/// they cannot drift from the sample's line numbers again.
#[test]
fn the_readme_quotes_errors_and_outputs_as_they_are() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start = readme
        .find("a mistake is refused like this:\n\n```\n")
        .expect("the quoted block")
        + 37;
    let block = &readme[start..start + readme[start..].find("```").unwrap()];
    let sample = std::fs::read_to_string(SCENARIO).unwrap();
    let dir = temp();
    let mut said = Vec::new();
    for (from, to) in [
        ("aht_seconds = 330 ", "aht_seconds = -330"),
        ("patience_seconds = 150", "patience_secs = 150"),
    ] {
        let file = path(dir.path(), "my-peak.toml");
        std::fs::write(&file, sample.replacen(from, to, 1)).unwrap();
        let err = fails(&["backtest", "--scenario", s(&file)]);
        said.push(err.replace(s(&file), "models/my-peak.toml"));
    }
    assert_eq!(
        block,
        said.join("\n"),
        "README.md's quoted errors differ from the binary's"
    );
    // Every one-line command quoted with its output right after it gives that output.
    let mut checked = 0;
    let mut rest = readme.as_str();
    while let Some(i) = rest.find("```sh\npeakplan ") {
        rest = &rest[i + 6..];
        let command = &rest[..rest.find('\n').unwrap()];
        let after = &rest[command.len() + 1..];
        if command.ends_with('\\') || !after.starts_with("```\n```\n") {
            continue;
        }
        let output = &after[8..8 + after[8..].find("```").unwrap()];
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        assert_eq!(
            ok(&args),
            output,
            "README.md quotes `{command}` with another output"
        );
        checked += 1;
    }
    assert!(checked >= 1, "no quoted command output found");
}

#[test]
fn forecast_without_scenario_and_its_errors() {
    let dir = temp();
    let history = path(dir.path(), "history.csv");
    std::fs::write(
        &history,
        "timestamp,channel,volume\n2026-01-05T08:00:00Z,voice,3\n2026-01-05T08:05:00Z,voice,-1\n",
    )
    .unwrap();
    let args = |h: &Path| {
        vec![
            "forecast".to_string(),
            "--history".into(),
            s(h).into(),
            "--start".into(),
            "2026-11-09T00:00".into(),
            "--end".into(),
            "2026-11-10T00:00".into(),
            "--out".into(),
            s(&path(dir.path(), "f.csv")).into(),
        ]
    };
    let a = args(&history);
    let e = fails(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        e.contains("history.csv:3: `volume` cannot be negative"),
        "{e}"
    );

    let e = fails(&[
        "forecast",
        "--scenario",
        SCENARIO,
        "--history",
        "tests/data/unknown-channel.csv",
        "--start",
        "2026-11-09T00:00",
        "--end",
        "2026-11-10T00:00",
        "--out",
        s(&path(dir.path(), "f.csv")),
    ]);
    assert!(
        e.contains(
            "unknown-channel.csv:3: unknown channel `fax`; the scenario has voice, chat, email"
        ),
        "{e}"
    );
    let e = fails(&[
        "forecast",
        "--scenario",
        SCENARIO,
        "--method",
        "prophet",
        "--start",
        "2026-11-09T00:00",
        "--end",
        "2026-11-10T00:00",
        "--out",
        s(&path(dir.path(), "f.csv")),
    ]);
    assert!(
        e.contains("unknown method `prophet`; expected auto, seasonal-naive"),
        "{e}"
    );
}

#[test]
fn staffing_to_a_quantile_buys_more_agents() {
    let dir = temp();
    let total = |args: &[&str]| -> f64 {
        let out = path(dir.path(), "q.csv");
        let mut all = vec![
            "staff",
            "--scenario",
            SCENARIO,
            "--forecast",
            FORECAST,
            "--out",
            s(&out),
        ];
        all.extend_from_slice(args);
        ok(&all);
        let text = std::fs::read_to_string(&out).unwrap();
        let mut rows = text.lines();
        let header: Vec<&str> = rows.next().unwrap().split(',').collect();
        let col = header
            .iter()
            .position(|h| *h == "scheduled_agents")
            .unwrap();
        rows.map(|l| l.split(',').nth(col).unwrap().parse::<f64>().unwrap())
            .sum()
    };
    let mean = total(&[]);
    let median = total(&["--quantile", "0.5"]);
    let p90 = total(&["--quantile", "0.9"]);
    assert!(p90 > mean * 1.05, "p90 {p90} against mean {mean}");
    assert!(
        (median / mean - 1.0).abs() < 0.05,
        "p50 {median} against mean {mean}"
    );

    let e = fails(&[
        "staff",
        "--scenario",
        SCENARIO,
        "--forecast",
        "tests/data/unknown-channel.csv",
        "--out",
        s(&path(dir.path(), "x.csv")),
        "--quantile",
        "1.5",
    ]);
    assert!(
        e.contains("the quantile must lie strictly between 0 and 1, got 1.5"),
        "{e}"
    );
}

/// A hand-made 5-minute history in Europe/Berlin: open 09:00–17:00 on weekdays only, one day
/// without contacts (an outage), an afternoon of missing rows, and the clocks going back on
/// 26 October 2025.
fn berlin_history() -> String {
    use std::fmt::Write;
    let mut text = String::from("timestamp,channel,volume\n");
    let first = chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();
    for d in 0..84 {
        let day = first + chrono::Duration::days(d);
        let weekday = chrono::Datelike::weekday(&day).num_days_from_monday();
        if weekday >= 5 || d == 30 {
            continue;
        }
        for slot in 108..204u32 {
            if d == 44 && slot >= 160 {
                continue;
            }
            let shape = 10 + (slot % 48) / 4 + 3 * (5 - weekday);
            let local = format!(
                "{} {:02}:{:02}",
                day.format("%Y-%m-%d"),
                slot / 12,
                slot % 12 * 5
            );
            writeln!(text, "{local},support,{shape}").unwrap();
        }
    }
    text
}

/// The week after [`berlin_history`] ends.
const BERLIN_WEEK: [&str; 4] = ["--start", "2025-11-24T00:00", "--end", "2025-12-01T00:00"];

#[test]
fn forecast_and_backtest_on_a_hand_made_five_minute_history() {
    let dir = temp();
    let history = path(dir.path(), "berlin.csv");
    std::fs::write(&history, berlin_history()).unwrap();
    let out = path(dir.path(), "f.csv");
    let summary = ok(&[
        "forecast",
        "--history",
        s(&history),
        "--time-zone",
        "Europe/Berlin",
        BERLIN_WEEK[0],
        BERLIN_WEEK[1],
        BERLIN_WEEK[2],
        BERLIN_WEEK[3],
        "--out",
        s(&out),
        "--json",
    ]);
    let v = json(&summary);
    let c = &v["channels"][0];
    assert_eq!(v["interval_minutes"], 5);
    assert_eq!(c["skipped_days"]["holiday or outage"], 1, "{c}");
    let text = std::fs::read_to_string(&out).unwrap();
    // Five weekdays of 96 five-minute intervals; nothing on the weekend.
    assert_eq!(text.lines().count(), 1 + 5 * 96, "{text}");
    assert!(text.contains("2025-11-24T09:00:00+01:00,support,"));
    assert!(!text.contains("2025-11-29"));

    let backtest = |origins: &str, extra: &[&str]| {
        let args = [
            "backtest",
            "--history",
            s(&history),
            "--time-zone",
            "Europe/Berlin",
            "--origins",
            origins,
        ];
        ok(&[&args[..], extra].concat())
    };
    let scores = json(&backtest("3", &["--json"]));
    assert_eq!(
        scores[0]["scores"].as_array().unwrap().len(),
        peakplan::forecast::Method::ALL.len()
    );
    // More origins than the history holds: the summary says how many were scored.
    let held = json(&backtest("50", &["--json"]))[0]["scores"][0]["origins"]
        .as_u64()
        .unwrap();
    assert!((2..50).contains(&held), "{held}");
    let summary = backtest("50", &[]);
    assert!(
        summary.contains(&format!(
            "backtest: {held} weekly origins (as many as the history holds; 50 asked for)"
        )),
        "{summary}"
    );
}

/// A channel with no volume yet (a channel not yet in use) beside one with history: the backtest
/// scores the one and says why the other has nothing to score; the forecast refuses by name and
/// says what to do.
#[test]
fn a_channel_without_volume_is_named_by_backtest_and_forecast() {
    let dir = temp();
    let history = path(dir.path(), "two.csv");
    let mut text = String::new();
    for line in berlin_history().lines() {
        text.push_str(line);
        text.push('\n');
        if let Some((head, _)) = line.rsplit_once(",support,") {
            text.push_str(&format!("{head},video,0\n"));
        }
    }
    std::fs::write(&history, text).unwrap();
    let args = ["--history", s(&history), "--time-zone", "Europe/Berlin"];
    let summary = ok(&[&["backtest", "--origins", "3"], &args[..]].concat());
    assert!(summary.contains("│ support"), "{summary}");
    assert!(
        summary.contains("video: nothing to score: no volume on the ordinary open days"),
        "{summary}"
    );
    let out = path(dir.path(), "f.csv");
    let error = fails(&[&["forecast", "--out", s(&out)], &BERLIN_WEEK[..], &args[..]].concat());
    assert!(
        error.contains("channel `video`: no ordinary day in the history")
            && error.contains("leave its rows out of the history"),
        "{error}"
    );
    assert!(!out.exists(), "nothing is written when the forecast fails");
}

/// A forecast of days the history never shows open (a weekend of a centre open on weekdays) writes
/// no rows and says so, its volume a plain 0.
#[test]
fn a_forecast_of_closed_days_says_there_is_nothing_to_forecast() {
    let dir = temp();
    let history = path(dir.path(), "berlin.csv");
    std::fs::write(&history, berlin_history()).unwrap();
    let out = path(dir.path(), "weekend.csv");
    let weekend = ["--start", "2025-11-29T00:00", "--end", "2025-12-01T00:00"];
    let place = ["--history", s(&history), "--time-zone", "Europe/Berlin"];
    let summary = ok(&[&["forecast", "--out", s(&out)], &weekend[..], &place[..]].concat());
    assert!(
        summary.contains("support: nothing to forecast: every day asked for is closed"),
        "{summary}"
    );
    let cells: Vec<&str> = summary.split(['┆', '│']).map(str::trim).collect();
    assert!(cells.contains(&"0") && !cells.contains(&"-0"), "{summary}");
    assert!(summary.contains("(0 rows)"), "{summary}");
}
