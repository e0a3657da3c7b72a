//! The command line: each command parses its arguments, calls the library, and prints.

mod demo;
mod forecast;
mod plan;
mod progress;
mod queue;
mod schedule;
mod serve;
mod simulate;
mod staff;
mod table;

use clap::{Parser, Subcommand};

/// Workforce scheduling and capacity planning for contact-centre promotion peaks.
#[derive(Debug, Parser)]
#[command(name = "peakplan", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Plan a promotion peak end to end: forecast, roster, simulation check, store, report.
    Plan(plan::PlanArgs),
    /// Evaluate one queue, or find the fewest agents that meet a service target.
    Queue(queue::QueueArgs),
    /// Forecast volume per channel and interval from history, with quantiles and events.
    Forecast(forecast::ForecastArgs),
    /// Score the forecasting methods by rolling-origin backtest on the history.
    Backtest(forecast::BacktestArgs),
    /// Turn a forecast into required agents per channel and interval.
    Staff(staff::StaffArgs),
    /// Build the core-plus-elastic roster: named shifts with breaks and vendor blocks.
    Schedule(schedule::ScheduleArgs),
    /// Simulate a coverage table or a roster against a forecast, with confidence intervals.
    Simulate(simulate::SimulateArgs),
    /// Serve the HTTP API (routing feed, vendor plans, live edits, jobs).
    Serve(serve::ServeArgs),
    /// Store a roster written by `schedule --out DIR` and publish it.
    Publish(serve::PublishArgs),
    /// API tokens.
    Token(serve::TokenArgs),
    /// Plan the bundled sample promotion peak end to end and publish it (the first command to run).
    Demo(demo::DemoArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Plan(args) => plan::run(args),
        Command::Queue(args) => queue::run(args),
        Command::Forecast(args) => forecast::run(args),
        Command::Backtest(args) => forecast::run_backtest(args),
        Command::Staff(args) => staff::run(args),
        Command::Schedule(args) => schedule::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Serve(args) => serve::serve(args),
        Command::Publish(args) => serve::publish(args),
        Command::Token(args) => serve::token(args),
        Command::Demo(args) => demo::run(args),
    }
}
