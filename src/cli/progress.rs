//! The progress line: one line on standard error, redrawn in place, that says which stage a
//! long command is in (loading the policy set, reading sources, evaluating, writing), how far
//! along a counted stage is, and the time so far.
//!
//! Shown only to a person watching a terminal: standard error must be a terminal, `TERM` must
//! not be `dumb` (no carriage return to redraw with), and `CI` must be unset or empty (CI
//! runners that give jobs a pseudo-terminal still keep logs). `ROSTER_PROGRESS=0` turns it
//! off. It has no colour, so `NO_COLOR` has nothing to remove. It is drawn at most ten times a
//! second by a thread of its own, and erased before anything else is written to standard error
//! ([`clear`], called by [`super::output`]) and when the command ends.

use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Whether a progress line is running (checked before every write, so cheap).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// The characters of the line now on the screen (0: none).
static DRAWN: Mutex<usize> = Mutex::new(0);

/// The shortest time between two drawings.
const EVERY: Duration = Duration::from_millis(100);

/// Whether the environment wants a progress line (see the module documentation).
pub fn wanted() -> bool {
    wanted_in(
        std::io::stderr().is_terminal(),
        std::env::var_os("TERM").as_deref(),
        std::env::var_os("CI").as_deref(),
        std::env::var_os("ROSTER_PROGRESS").as_deref(),
    )
}

fn wanted_in(
    terminal: bool,
    term: Option<&std::ffi::OsStr>,
    ci: Option<&std::ffi::OsStr>,
    setting: Option<&std::ffi::OsStr>,
) -> bool {
    terminal
        && term.is_none_or(|t| t != "dumb")
        && ci.is_none_or(std::ffi::OsStr::is_empty)
        && setting.is_none_or(|s| s != "0")
}

/// A running progress line; erased when stopped or dropped.
pub struct Line {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Line {
    /// Starts the line of `command` when [`wanted`], else does nothing.
    pub fn start(command: &'static str) -> Option<Line> {
        if !wanted() {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        ACTIVE.store(true, Ordering::Relaxed);
        let thread = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || run(command, &flag))
            .ok();
        Some(Line { stop, thread })
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        ACTIVE.store(false, Ordering::Relaxed);
        clear();
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        self.halt();
    }
}

fn run(command: &'static str, stop: &AtomicBool) {
    let start = Instant::now();
    let mut last: Option<(Instant, u64)> = None;
    while !stop.load(Ordering::Relaxed) {
        let state = crate::progress::now();
        let due = match last {
            None => true,
            // A new stage at once, else a few times a second.
            Some((at, generation)) => {
                at.elapsed() >= EVERY
                    && (generation != state.generation || at.elapsed() >= EVERY * 3)
            }
        };
        if due && !state.stage.is_empty() {
            draw(&text(command, &state, start.elapsed()));
            last = Some((Instant::now(), state.generation));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The line: `roster eval: target accounts (mappings) 120/500 · 3.4 s`.
fn text(command: &str, state: &crate::progress::State, elapsed: Duration) -> String {
    let count = if state.total > 0 {
        format!(
            " {}/{}",
            crate::markdown::group_digits(state.done.min(state.total)),
            crate::markdown::group_digits(state.total)
        )
    } else {
        String::new()
    };
    format!(
        "roster {command}: {}{count} · {:.1} s",
        state.stage,
        elapsed.as_secs_f64()
    )
}

fn draw(line: &str) {
    let Ok(mut drawn) = DRAWN.lock() else {
        return;
    };
    let n = line.chars().count();
    // Spaces over what is left of a longer line, then back.
    let pad = drawn.saturating_sub(n);
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "\r{line}{:pad$}", "");
    if pad > 0 {
        let _ = write!(stderr, "\r{line}");
    }
    let _ = stderr.flush();
    *drawn = n;
}

/// Erases the progress line, if one is on the screen, so that what is written next starts at
/// the beginning of an empty line.
pub fn clear() {
    if !ACTIVE.load(Ordering::Relaxed) && DRAWN.lock().map(|d| *d == 0).unwrap_or(true) {
        return;
    }
    let Ok(mut drawn) = DRAWN.lock() else {
        return;
    };
    if *drawn > 0 {
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r{:n$}\r", "", n = *drawn);
        let _ = stderr.flush();
        *drawn = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn only_on_a_terminal_outside_ci() {
        let s = |x: &'static str| Some(OsStr::new(x));
        assert!(wanted_in(true, s("xterm-256color"), None, None));
        assert!(wanted_in(true, None, s(""), None));
        assert!(
            !wanted_in(false, s("xterm"), None, None),
            "a pipe or a file"
        );
        assert!(!wanted_in(true, s("dumb"), None, None));
        assert!(!wanted_in(true, s("xterm"), s("true"), None), "CI");
        assert!(!wanted_in(true, s("xterm"), None, s("0")));
        assert!(wanted_in(true, s("xterm"), None, s("1")));
    }

    #[test]
    fn the_line_names_the_stage_the_count_and_the_time() {
        let state = crate::progress::State {
            stage: "writing identities",
            done: 12_345,
            total: 100_000,
            generation: 3,
        };
        assert_eq!(
            text("eval", &state, Duration::from_millis(3_420)),
            "roster eval: writing identities 12,345/100,000 · 3.4 s"
        );
        let state = crate::progress::State {
            stage: "reading sources",
            done: 0,
            total: 0,
            generation: 1,
        };
        assert_eq!(
            text("eval", &state, Duration::from_millis(60)),
            "roster eval: reading sources · 0.1 s"
        );
    }
}
