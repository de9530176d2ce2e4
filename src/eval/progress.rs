//! What a person watching sees: a progress line for long runs, and stage timings for
//! benchmarks (`ROSTER_TIMINGS`). Neither is part of the result.

/// A progress line on standard error for long runs (columns computed out of all mappings),
/// only when standard error is a terminal (never in CI logs or redirected output).
pub struct Progress {
    on: bool,
    total: usize,
    done: usize,
}

impl Progress {
    pub fn new(identities: usize, columns: usize) -> Progress {
        use std::io::IsTerminal as _;
        Progress {
            on: identities >= 50_000 && std::io::stderr().is_terminal(),
            total: columns,
            done: 0,
        }
    }

    pub fn tick(&mut self) {
        self.done += 1;
        if self.on {
            note(&format!("\r{}", self.line()));
        }
    }

    fn line(&self) -> String {
        format!(
            "evaluating: {:>3}% ({}/{} mappings)",
            self.done * 100 / self.total.max(1),
            self.done,
            self.total
        )
    }

    pub fn done(&self) {
        if self.on {
            note("\n");
        }
    }
}

/// Writes a progress line or a timing on standard error. These are for a person watching a
/// terminal or a benchmark, not part of the result: a failed write is ignored (the command's
/// own output goes through the checked writer of the command line).
fn note(text: &str) {
    use std::io::Write as _;
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.flush());
}

/// Stage timings, printed on standard error when `ROSTER_TIMINGS` is set (for benchmarks:
/// each stage's share of the run).
pub struct Stages {
    on: bool,
    start: std::time::Instant,
    last: std::time::Instant,
    laps: Vec<(&'static str, std::time::Duration)>,
}

impl Stages {
    pub fn new() -> Stages {
        let now = std::time::Instant::now();
        Stages {
            on: std::env::var_os("ROSTER_TIMINGS").is_some(),
            start: now,
            last: now,
            laps: Vec::new(),
        }
    }

    pub fn lap(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        self.laps.push((name, now - self.last));
        self.last = now;
    }

    pub fn finish(&self) {
        if !self.on {
            return;
        }
        let total = self.start.elapsed().as_secs_f64().max(f64::EPSILON);
        for (name, d) in &self.laps {
            note(&format!(
                "timing: {name:<40} {:>9.3} s {:>5.1}%\n",
                d.as_secs_f64(),
                100.0 * d.as_secs_f64() / total
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_line_counts_mappings() {
        let mut p = Progress::new(10, 4);
        assert!(!p.on, "never for small populations");
        p.tick();
        assert_eq!(p.line(), "evaluating:  25% (1/4 mappings)");
        p.tick();
        p.tick();
        p.tick();
        assert_eq!(p.line(), "evaluating: 100% (4/4 mappings)");
    }
}
