//! How long `roster lint` takes on a large generated policy set: 2,000 group rules and 500
//! attribute mappings over three sources of 60 columns.
//!
//! Run with `cargo bench --bench lint`. The generated set is written to a temporary directory
//! (deterministic: same seed, same files). The baseline, measured in the same run, is loading
//! and parsing the same YAML without checking it, so the ratio says what checking, linking and
//! linting add to reading the files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::print_stdout
)]

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

const SOURCES: usize = 3;
const FIELDS: usize = 60;
const MAPPINGS: usize = 500;
const RULES: usize = 2_000;

/// A small deterministic generator (xorshift), so the set is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn generate(dir: &Path) {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut sources = String::from("sources:\n");
    for s in 0..SOURCES {
        let _ = write!(
            sources,
            "  hr{s}:\n    format: csv\n    path: hr{s}.csv\n    key: f0\n    fields:\n"
        );
        for f in 0..FIELDS {
            let _ = writeln!(sources, "      f{f}: string");
        }
    }
    std::fs::write(dir.join("sources.yaml"), sources).unwrap();

    let mut identity = String::from("identity:\n  attributes:\n");
    for m in 0..MAPPINGS {
        let s = m % SOURCES;
        let f = (m / SOURCES) % FIELDS;
        let _ = writeln!(identity, "    a{m}:");
        match m % 4 {
            0 => {
                let _ = writeln!(identity, "      source: hr{s}.f{f}");
            }
            1 => {
                let _ = writeln!(
                    identity,
                    "      expression: 'Join(\" \", [hr{s}.f{f}], [hr{}.f{}])'",
                    (s + 1) % SOURCES,
                    (f + 1) % FIELDS
                );
            }
            2 => {
                let _ = writeln!(
                    identity,
                    "      expression: 'Switch([hr{s}.f{f}], \"Other\", \"A\", \"Alpha\", \"B\", \"Beta\", \"C\", \"Gamma\")'"
                );
            }
            _ => {
                let _ = writeln!(
                    identity,
                    "      expression: 'Replace(ToLower(NormalizeDiacritics([hr{s}.f{f}])), , \"[^a-z0-9]+\", , \"-\", , )'"
                );
            }
        }
    }
    std::fs::write(dir.join("identity.yaml"), identity).unwrap();

    let mut groups = String::from("groups:\n");
    let ops = [
        "-eq",
        "-ne",
        "-startsWith",
        "-contains",
        "-in",
        "-match",
        "-notIn",
        "-endsWith",
    ];
    for g in 0..RULES {
        let clauses = 2 + rng.below(4);
        let mut rule = String::new();
        for c in 0..clauses {
            if c > 0 {
                rule.push_str(if rng.below(3) == 0 { " -or " } else { " -and " });
            }
            let attr = rng.below(MAPPINGS);
            let op = ops[rng.below(ops.len())];
            let value = match op {
                "-in" | "-notIn" => format!("[\"v{}\", \"v{}\"]", rng.below(50), rng.below(50)),
                "-match" => format!("\"^v{}[0-9]*$\"", rng.below(50)),
                _ => format!("\"v{}\"", rng.below(50)),
            };
            let _ = write!(rule, "user.a{attr} {op} {value}");
        }
        let _ = writeln!(groups, "  g{g}:\n    rule: '{rule}'");
    }
    std::fs::write(dir.join("groups.yaml"), groups).unwrap();

    let mut targets = String::from(
        "targets:\n  directory:\n    kind: directory\n    deletion_threshold: 100\n    matching: [employeeId]\n    mappings:\n      employeeId:\n        source: a0\n",
    );
    for m in 0..50 {
        let _ = writeln!(
            targets,
            "      t{m}:\n        expression: 'Join(\"-\", [a{}], [a{}])'",
            m * 7 % MAPPINGS,
            m * 11 % MAPPINGS
        );
    }
    std::fs::write(dir.join("targets.yaml"), targets).unwrap();
}

fn time(runs: u32, mut f: impl FnMut()) -> Duration {
    f();
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        f();
        best = best.min(start.elapsed());
    }
    best
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a filter this bench ignores.
    let dir = std::env::temp_dir().join(format!("roster-lint-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    generate(&dir);
    let bytes: u64 = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();

    let check = roster::policy::check(&dir).unwrap();
    let errors = check.diagnostics.iter().filter(|d| d.is_error()).count();
    assert_eq!(
        errors,
        0,
        "the generated set must be valid: {:?}",
        check.diagnostics.first()
    );
    let warnings = check.diagnostics.len();

    let load = time(5, || {
        std::hint::black_box(roster::policy::load::load(&dir).unwrap());
    });
    let lint = time(5, || {
        std::hint::black_box(roster::policy::check(&dir).unwrap());
    });
    println!(
        "policy set: {RULES} group rules, {MAPPINGS} identity mappings, {} target mappings, {} KiB, {warnings} warnings",
        51,
        bytes / 1024
    );
    println!(
        "load (YAML only, baseline): {:>8.1} ms",
        load.as_secs_f64() * 1e3
    );
    println!(
        "lint (load + check + graph + lint rules): {:>8.1} ms",
        lint.as_secs_f64() * 1e3
    );
    println!(
        "ratio lint / load: {:.2}x; target: lint under 2,000 ms",
        lint.as_secs_f64() / load.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
