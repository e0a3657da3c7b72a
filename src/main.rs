#![forbid(unsafe_code)]

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = peakplan::cli::Cli::parse();
    match peakplan::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output went away (`peakplan backtest … | head`): nothing to report.
        Err(e)
            if e.downcast_ref::<peakplan::cli::StdoutError>()
                .is_some_and(|s| s.reader_gone()) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
