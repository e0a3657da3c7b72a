//! The HTTP API against real databases: every test runs once on SQLite (a fresh file) and once on
//! PostgreSQL (a fresh schema in database `test` on 127.0.0.1:5432), with the real server on port
//! 0. Two-instance tests start two `peakplan serve` processes on one PostgreSQL schema.
//!
//! Without a reachable PostgreSQL the PostgreSQL half is reported as not run (ignored, with a
//! banner); with `PEAKPLAN_REQUIRE_POSTGRES=1` (as `.ci/run` sets) it fails instead.

mod app;
mod auth;
mod browser;
#[path = "../checker/mod.rs"]
mod checker;
mod contract;
mod fuzz;
mod hostile;
mod instances;
mod jobs;
mod requests;
mod routing;
mod supervisor;
mod vendor;
mod web;

use app::Backend;
use libtest_mimic::{Arguments, Failed, Trial};
use std::future::Future;
use std::pin::Pin;

type TestFuture = Pin<Box<dyn Future<Output = Result<(), Failed>> + Send>>;
type TestFn = fn(Backend) -> TestFuture;

macro_rules! tests {
    ($($module:ident :: $name:ident),* $(,)?) => {
        vec![$((concat!(stringify!($module), "::", stringify!($name)), (|b| Box::pin($module::$name(b))) as TestFn)),*]
    };
}

fn main() {
    let args = Arguments::from_args();
    let all: Vec<(&str, TestFn)> = tests![
        auth::health_and_readiness_need_no_token,
        contract::every_answer_matches_the_document,
        contract::the_documented_roles_are_the_enforced_ones,
        auth::every_endpoint_checks_the_role,
        auth::a_vendor_sees_only_its_own_plan,
        auth::a_plan_report_is_served_with_its_version,
        routing::routing_reads_the_published_roster,
        routing::the_event_stream_resumes_after_last_event_id,
        vendor::a_vendor_reads_and_acknowledges_its_plan,
        vendor::a_shortfall_lowers_the_projected_service,
        supervisor::a_live_edit_makes_a_version_and_reports_its_impact,
        supervisor::a_stale_edit_is_refused_and_changes_nothing,
        supervisor::fifty_supervisors_lose_no_update,
        supervisor::reforecast_suggests_cover,
        supervisor::versions_rebuilt_from_changes_read_back_the_same,
        requests::bad_requests_name_the_field_and_store_nothing,
        requests::the_audit_log_is_append_only,
        fuzz::generated_requests_never_fail_the_server,
        hostile::a_huge_count_is_refused_at_once,
        hostile::the_role_is_checked_before_anything_else,
        hostile::dates_outside_the_roster_are_refused,
        hostile::a_weak_if_match_changes_nothing,
        hostile::every_error_is_problem_json,
        hostile::a_timed_out_request_is_problem_json,
        hostile::a_repeated_vendor_window_stays_addressable,
        jobs::a_schedule_job_runs_in_the_background_and_publishes,
        jobs::an_interrupted_job_is_picked_up_again,
        jobs::a_plan_job_stores_a_checked_draft_with_its_report,
        jobs::histories_are_uploaded_and_jobs_check_what_they_name,
        web::a_supervisor_previews_confirms_and_another_sees_it_live,
        web::a_vendor_commits_fewer_heads_and_the_planner_sees_it,
        web::a_planner_runs_a_job_watches_it_and_publishes,
        web::hostile_pages_show_text_refuse_forgeries_and_roles,
        web::every_edit_form_previews_and_names_a_bad_field,
    ];
    let postgres = app::postgres_available();
    let required = std::env::var("PEAKPLAN_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    if let Err(why) = &postgres {
        if required {
            eprintln!(
                "PostgreSQL is required (PEAKPLAN_REQUIRE_POSTGRES=1) but not reachable: {why}"
            );
            std::process::exit(1);
        }
        eprintln!(
            "\n*** PostgreSQL suite NOT RUN: {why}\n*** Only the SQLite half ran. Start PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`) or set PEAKPLAN_TEST_POSTGRES_URL; CI sets PEAKPLAN_REQUIRE_POSTGRES=1 and fails instead.\n"
        );
    }
    let mut trials = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        for (name, test) in &all {
            let test = *test;
            let trial = Trial::test(format!("{}::{name}", backend.name()), move || {
                app::runtime().block_on(test(backend))
            });
            trials.push(if backend == Backend::Postgres && postgres.is_err() {
                trial.with_ignored_flag(true)
            } else {
                trial
            });
        }
    }
    trials.push(Trial::test(
        "contract::the_document_matches_its_snapshot",
        contract::the_document_matches_its_snapshot,
    ));
    for (name, test) in instances::tests() {
        let trial = Trial::test(format!("postgres::instances::{name}"), test);
        trials.push(trial.with_ignored_flag(postgres.is_err()));
    }
    libtest_mimic::run(&args, trials).exit();
}
