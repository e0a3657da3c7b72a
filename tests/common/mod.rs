//! What the end-to-end test files share: running the real binary.

use std::process::{Command, Output};

pub fn peakplan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_peakplan"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the peakplan binary runs")
}

/// Runs a command that must succeed; returns its stdout.
pub fn ok(args: &[&str]) -> String {
    let out = peakplan(args);
    assert!(
        out.status.success(),
        "peakplan {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("output is UTF-8")
}
