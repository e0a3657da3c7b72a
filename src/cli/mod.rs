//! The command line: each command parses its arguments, calls the library, and prints.

/// `println!` that hands a failed write back as the command's error instead of panicking: output
/// piped into `head` ends the command quietly when the reader closes the pipe.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*).map_err($crate::cli::StdoutError)?
    }};
}

/// Standard output could not be written.
#[derive(Debug, thiserror::Error)]
#[error("writing to standard output: {0}")]
pub struct StdoutError(pub std::io::Error);

impl StdoutError {
    /// Whether the reader closed the pipe: the command simply ends.
    pub fn reader_gone(&self) -> bool {
        self.0.kind() == std::io::ErrorKind::BrokenPipe
    }
}

mod capacity;
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
    /// Plan a promotion peak end to end: forecast, roster, simulation check, store (DATABASE_URL,
    /// default sqlite://peakplan.sqlite), report.
    Plan(plan::PlanArgs),
    /// Plan capacity before a peak: hiring classes, vendor seats and overtime over weeks to months.
    Capacity(capacity::CapacityArgs),
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
    /// Serve the HTTP API (routing feed, vendor plans, live edits, jobs) from the database
    /// DATABASE_URL (default sqlite://peakplan.sqlite).
    Serve(serve::ServeArgs),
    /// Store a roster written by `schedule --out DIR` and publish it (DATABASE_URL, default
    /// sqlite://peakplan.sqlite).
    Publish(serve::PublishArgs),
    /// API tokens, kept in the database DATABASE_URL (default sqlite://peakplan.sqlite).
    Token(serve::TokenArgs),
    /// Plan the bundled sample promotion peak end to end and publish it in DATABASE_URL (default
    /// sqlite://peakplan.sqlite): the first command to run.
    Demo(demo::DemoArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Plan(args) => plan::run(args),
        Command::Capacity(args) => capacity::run(args),
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

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every command that touches the store says where it is.
    #[test]
    fn store_commands_name_the_database() {
        let cli = Cli::command();
        for name in ["plan", "serve", "publish", "token", "demo"] {
            let sub = cli.find_subcommand(name).expect("the command exists");
            let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            assert!(about.contains("DATABASE_URL"), "{name}: {about}");
        }
    }

    /// `forecast --method` lists every method by the name it accepts.
    #[test]
    fn forecast_method_help_lists_every_method() {
        let cli = Cli::command();
        let forecast = cli.find_subcommand("forecast").expect("the command exists");
        let method = forecast
            .get_arguments()
            .find(|a| a.get_id() == "method")
            .expect("a --method flag");
        let help = method
            .get_long_help()
            .or(method.get_help())
            .map(|h| h.to_string())
            .unwrap_or_default();
        for m in crate::forecast::Method::ALL {
            assert!(help.contains(m.name()), "{} missing from: {help}", m.name());
        }
    }

    /// Every flag and argument of every command says what it is for in `--help`.
    #[test]
    fn every_flag_has_a_description() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "peakplan", &mut missing);
        assert!(
            missing.is_empty(),
            "flags without a description: {missing:?}"
        );
    }
}
