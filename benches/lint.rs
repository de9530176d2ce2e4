//! How long `roster lint` takes on large generated policy sets.
//!
//! 1. 2,000 group rules and 500 attribute mappings over three sources of 60 columns. The
//!    baseline, measured in the same run, is loading and parsing the same YAML without checking
//!    it, so the ratio says what checking, linking and linting add to reading the files.
//! 2. 30,000 groups whose rules are each a `-match` with its own pattern, against 30,000 groups
//!    with `-eq` rules in the same run: the ratio is what compiling 30,000 regular expressions
//!    costs (target: the whole lint under 3 s). It was 49 s before patterns were compiled once,
//!    in parallel, and before linking the graph stopped being quadratic in the readers of one
//!    attribute.
//!
//! Run with `cargo bench --bench lint`. The generated sets are written to a temporary directory
//! (deterministic: same seed, same files).

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

/// `n` groups over two attributes, each rule a `-match` with its own pattern, or (the baseline)
/// an `-eq` with its own value.
fn many_groups(dir: &Path, n: usize, regex: bool) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("base.yaml"),
        "sources:\n  hr:\n    format: csv\n    path: hr.csv\n    key: id\n    fields:\n      id: string\n      dept: string\n\
         identity:\n  attributes:\n    employeeId:\n      source: hr.id\n    department:\n      source: hr.dept\n\
         targets:\n  directory:\n    kind: directory\n    deletion_threshold: 50\n    matching: [employeeId]\n    mappings:\n      employeeId:\n        source: employeeId\n",
    )
    .unwrap();
    let mut groups = String::from("groups:\n");
    for i in 0..n {
        let rule = if regex {
            format!("user.department -match \"^d{i}[0-9]*$\"")
        } else {
            format!("user.department -eq \"d{i}\"")
        };
        let _ = writeln!(groups, "  g{i}:\n    rule: '{rule}'");
    }
    std::fs::write(dir.join("groups.yaml"), groups).unwrap();
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

    const GROUPS: usize = 30_000;
    let with_regex = dir.join("match");
    let baseline = dir.join("eq");
    many_groups(&with_regex, GROUPS, true);
    many_groups(&baseline, GROUPS, false);
    for d in [&with_regex, &baseline] {
        let check = roster::policy::check(d).unwrap();
        assert!(
            check.diagnostics.iter().all(|d| !d.is_error()),
            "{:?}",
            check.diagnostics.first()
        );
    }
    let eq = time(3, || {
        std::hint::black_box(roster::policy::check(&baseline).unwrap());
    });
    let regex = time(3, || {
        std::hint::black_box(roster::policy::check(&with_regex).unwrap());
    });
    println!(
        "{GROUPS} groups with -eq rules (baseline): {:>8.1} ms",
        eq.as_secs_f64() * 1e3
    );
    println!(
        "{GROUPS} groups with -match rules, each its own pattern: {:>8.1} ms",
        regex.as_secs_f64() * 1e3
    );
    println!(
        "ratio -match / -eq: {:.2}x; target: -match under 3,000 ms",
        regex.as_secs_f64() / eq.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
