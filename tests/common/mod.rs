//! What the end-to-end tests share: running the `roster` binary in a directory.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Stdio};

/// One run of the binary.
pub struct Run {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `roster ARGS` in `dir`, without colour and with nothing on standard input.
pub fn roster_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A Markdown report with its policy revision (the commit checked out here, or `unknown` in a
/// copy without `.git`) written `REVISION`, so that the snapshot does not change with each
/// commit. The revision itself is tested in `tests/reports.rs`.
pub fn without_revision(text: &str) -> String {
    let marker = "· policy revision ";
    let Some(at) = text.find(marker) else {
        return text.to_string();
    };
    let start = at + marker.len();
    let end = text[start..].find('\n').map_or(text.len(), |n| start + n);
    format!("{}REVISION{}", &text[..start], &text[end..])
}
