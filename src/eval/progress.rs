//! What a person watching sees: a progress line for long runs, and stage timings for
//! benchmarks (`ROSTER_TIMINGS`). Neither is part of the result.

/// How many mappings are computed, out of all, recorded for the progress line of the command
/// line ([`crate::progress`]; shown only on a terminal).
#[derive(Clone)]
pub struct Progress {
    total: usize,
    done: usize,
}

impl Progress {
    pub fn new(columns: usize) -> Progress {
        Progress {
            total: columns,
            done: 0,
        }
    }

    /// Enters a stage that computes mappings.
    pub fn stage(&self, name: &'static str) {
        crate::progress::counted(name, self.total);
        crate::progress::advance(self.done);
    }

    pub fn tick(&mut self) {
        self.done += 1;
        crate::progress::advance(self.done);
    }
}

/// Writes a timing on standard error. These are for a person watching a
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
    laps: Vec<(&'static str, std::time::Duration, Option<u64>)>,
}

/// The peak resident memory so far, in MiB, where the system says (Linux).
fn peak_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
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
        if !self.on {
            return;
        }
        let now = std::time::Instant::now();
        self.laps.push((name, now - self.last, peak_mib()));
        self.last = now;
    }

    /// Records a stage measured elsewhere (one that overlapped others), without starting the
    /// next lap.
    pub fn record(&mut self, name: &'static str, took: std::time::Duration) {
        if self.on {
            self.laps.push((name, took, peak_mib()));
        }
    }

    pub fn finish(&self) {
        if !self.on {
            return;
        }
        let total = self.start.elapsed().as_secs_f64().max(f64::EPSILON);
        for (name, d, peak) in &self.laps {
            note(&format!(
                "timing: {name:<40} {:>9.3} s {:>5.1}%{}\n",
                d.as_secs_f64(),
                100.0 * d.as_secs_f64() / total,
                peak.map_or_else(String::new, |p| format!("  peak {p} MiB"))
            ));
        }
    }
}
