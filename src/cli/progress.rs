//! The main job's progress on the command line: a spinner with the stage and its latest detail on
//! a terminal; plain lines (stage, elapsed seconds) when stderr is a file or a pipe, so that
//! `make demo > log` still shows where the run is.

use crate::plan::{Progress, Stage};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A detail line is printed at most this often in plain mode.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

pub struct CliProgress {
    started: Instant,
    bar: Option<ProgressBar>,
    /// Plain mode: the stage last printed and when a line was last printed.
    plain: Mutex<(Option<Stage>, Instant)>,
}

impl CliProgress {
    /// A spinner on a terminal, plain lines otherwise.
    pub fn new() -> CliProgress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                    .expect("the template is valid"),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        CliProgress {
            started: Instant::now(),
            bar,
            plain: Mutex::new((None, Instant::now())),
        }
    }

    /// Clears the spinner.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Default for CliProgress {
    fn default() -> Self {
        CliProgress::new()
    }
}

impl Drop for CliProgress {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Progress for CliProgress {
    fn update(&self, stage: Stage, detail: &str) {
        let message = if detail.is_empty() {
            stage.describe().to_string()
        } else {
            format!("{}: {detail}", stage.describe())
        };
        if let Some(bar) = &self.bar {
            bar.set_message(message);
            return;
        }
        let mut last = self.plain.lock().expect("progress lock");
        let now = Instant::now();
        let new_stage = last.0 != Some(stage);
        if new_stage || now.duration_since(last.1) >= PLAIN_EVERY {
            *last = (Some(stage), now);
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "[{:6.1} s] {message}",
                self.started.elapsed().as_secs_f64()
            );
        }
    }
}
