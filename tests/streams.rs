//! Every command, with its standard streams closed or failing (`roster eval ... 2>&1 | head -1`,
//! `roster lint > /dev/full`): a closed pipe ends the output quietly and the command exits as if
//! its output had been read; any other write error exits 2 and says so on standard error (or,
//! when standard error is the stream that fails, just exits 2). Never a panic (exit 101).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A policy set with one data problem (a hire date that is not a date: exit 1, and a line on
/// standard error).
fn fixture() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "roster-streams-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    std::fs::write(
        dir.join("policies/policy.yaml"),
        "sources:\n  hr:\n    format: csv\n    path: hr.csv\n    key: id\n    fields:\n      id: string\n      dept: string\n      hired: datetime\n\
         identity:\n  attributes:\n    employeeId:\n      source: hr.id\n    department:\n      source: hr.dept\n    hireDate:\n      type: datetime\n      source: hr.hired\n  lifecycle:\n    hire_date: hireDate\n\
         groups:\n  sales:\n    rule: user.department -eq \"Sales\"\n\
         targets:\n  directory:\n    kind: directory\n    deletion_threshold: 50\n    matching: [employeeId]\n    mappings:\n      employeeId:\n        source: employeeId\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("policies/hr.csv"),
        "id,dept,hired\n1,Sales,2020-01-01\n2,Sales,next monday\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("bad")).unwrap();
    std::fs::write(
        dir.join("bad/policy.yaml"),
        "groups:\n  sales:\n    rule: user.departmnet -eq \"Sales\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("input.json"), r#"{"givenName": "John"}"#).unwrap();
    // The same policy set with a test file: one test passes, one fails (exit 1).
    std::fs::create_dir_all(dir.join("tested")).unwrap();
    std::fs::copy(
        dir.join("policies/policy.yaml"),
        dir.join("tested/policy.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.join("tested/a.test.yaml"),
        "as_of: 2026-01-15\ntests:\n  sales:\n    people:\n      ann:\n        hr: {id: \"1\", dept: Sales, hired: 2020-01-01}\n    expect:\n      ann: {in_groups: [sales]}\n  \
         wrong:\n    people:\n      bo:\n        hr: {id: \"2\", dept: Finance, hired: 2020-01-01}\n    expect:\n      bo: {in_groups: [sales]}\n",
    )
    .unwrap();
    dir
}

/// One command line and what it writes.
struct Case {
    args: Vec<String>,
    /// The exit status with both streams read to the end.
    status: i32,
    stdout: bool,
    stderr: bool,
}

fn cases(dir: &Path) -> Vec<Case> {
    let d = |p: &str| dir.join(p).display().to_string();
    let fresh = |p: &str| {
        let path = dir.join(p);
        let _ = std::fs::remove_dir_all(&path);
        path.display().to_string()
    };
    let policies = d("policies");
    let case = |args: &[&str], status: i32, stdout: bool, stderr: bool| Case {
        args: args.iter().map(|s| (*s).to_string()).collect(),
        status,
        stdout,
        stderr,
    };
    let as_of = ["--as-of", "2026-01-15"];
    let with = |head: &[&str], tail: &[&str]| -> Vec<String> {
        head.iter()
            .chain(tail)
            .map(|s| (*s).to_string())
            .collect::<Vec<_>>()
    };
    let mut all = vec![
        case(&["expr", r#"Join(" ", "a", "b")"#], 0, true, false),
        case(&["expr", "Left("], 1, false, true),
        case(
            &["expr", "[givenname]", "--input", &d("input.json")],
            0,
            true,
            true,
        ),
        case(&["rule", r#"user.department -eq "Sales""#], 0, true, false),
        case(&["rule", "user.departmnet -eq 1"], 1, false, true),
        case(&["lint", &policies], 0, true, false),
        case(&["lint", &d("bad")], 1, true, false),
        case(&["graph", &policies], 0, true, false),
        case(&["graph", &policies, "--format", "mermaid"], 0, true, false),
        case(
            &[
                "graph",
                &policies,
                "--impact",
                "source:hr.dept",
                "--format",
                "json",
            ],
            0,
            true,
            false,
        ),
        case(&["graph", &d("bad")], 1, true, true),
        case(&["graph", &policies, "--impact", "nothing"], 1, false, true),
        case(&["test", &d("tested")], 1, true, false),
        case(&["test", &d("tested"), "--format", "junit"], 1, true, false),
        case(
            &["test", &d("tested"), "--format", "json", "--coverage"],
            1,
            true,
            false,
        ),
        case(&["test", &policies], 2, false, true),
        case(&["schema"], 0, true, false),
        case(&["codes"], 0, true, false),
        case(&["codes", "--markdown"], 0, true, false),
        case(&["codes", "C201"], 0, true, false),
        case(&["codes", "C2O1"], 1, false, true),
        case(&["completions", "bash"], 0, true, false),
        case(&["completions", "zsh"], 0, true, false),
        case(&["man"], 0, true, false),
        case(&["--help"], 0, true, false),
        case(&["--version"], 0, true, false),
        case(&["eval", "--no-such-flag"], 2, false, true),
    ];
    for format in ["json", "jsonl", "yaml", "markdown"] {
        all.push(Case {
            args: with(&["eval", &policies, "--format", format], &as_of),
            status: 1,
            stdout: true,
            stderr: true,
        });
    }
    all.push(Case {
        args: with(
            &["eval", &policies, "--format", "csv", "--out", &d("csv")],
            &as_of,
        ),
        status: 1,
        stdout: false,
        stderr: true,
    });
    all.push(Case {
        args: with(&["explain", "1", &policies], &as_of),
        status: 0,
        stdout: true,
        stderr: false,
    });
    all.push(Case {
        args: with(&["explain", "1", &policies, "--format", "json"], &as_of),
        status: 0,
        stdout: true,
        stderr: false,
    });
    all.push(Case {
        args: with(&["explain", "9", &policies], &as_of),
        status: 1,
        stdout: false,
        stderr: true,
    });
    all.push(Case {
        args: vec!["schema".into(), "--out".into(), fresh("schemas")],
        status: 0,
        stdout: false,
        stderr: true,
    });
    all.push(Case {
        args: [
            "generate",
            "--identities",
            "20",
            "--mappings",
            "10",
            "--rules",
            "10",
            "--packages",
            "5",
            "--out",
        ]
        .iter()
        .map(|s| (*s).to_string())
        .chain([fresh("generated")])
        .collect(),
        status: 0,
        stdout: false,
        stderr: true,
    });
    all
}

fn command(args: &[String]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_roster"));
    cmd.args(args).env("NO_COLOR", "1").stdin(Stdio::null());
    cmd
}

fn describe(case: &Case) -> String {
    format!("roster {}", case.args.join(" "))
}

/// Both streams into a pipe whose reader is already gone (`2>&1 | head -0`): every write
/// fails with a broken pipe. The status is the one of a complete run.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let dir = fixture();
    let mut failures = Vec::new();
    for case in cases(&dir) {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let status = command(&case.args)
            .stdout(writer.try_clone().unwrap())
            .stderr(writer)
            .status()
            .unwrap();
        if status.code() != Some(case.status) {
            failures.push(format!(
                "{}: exit {:?}, expected {}",
                describe(&case),
                status.code(),
                case.status
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Only standard output closed; standard error still carries the command's diagnostics.
#[test]
fn a_closed_standard_output_keeps_the_diagnostics() {
    let dir = fixture();
    let mut failures = Vec::new();
    for case in cases(&dir) {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = command(&case.args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(case.status) || stderr.contains("cannot write") {
            failures.push(format!(
                "{}: exit {:?}, expected {}; stderr: {stderr}",
                describe(&case),
                out.status.code(),
                case.status
            ));
        }
        if case.stderr && stderr.is_empty() {
            failures.push(format!("{}: the diagnostics were lost", describe(&case)));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Standard output on a full disk: exit 2, and the reason on standard error.
#[test]
fn a_failed_write_to_standard_output_exits_2() {
    let dir = fixture();
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases(&dir).into_iter().filter(|c| c.stdout) {
        checked += 1;
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = command(&case.args)
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(2)
            || !stderr.contains("error: cannot write to standard output: ")
        {
            failures.push(format!(
                "{}: exit {:?}; stderr: {stderr}",
                describe(&case),
                out.status.code()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(checked >= 15, "{checked} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Standard error on a full disk: the diagnostics are lost, so the run exits 2 (nothing can
/// say why); standard output is unaffected.
#[test]
fn a_failed_write_to_standard_error_exits_2() {
    let dir = fixture();
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases(&dir).into_iter().filter(|c| c.stderr) {
        checked += 1;
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let status = command(&case.args)
            .stdout(Stdio::null())
            .stderr(full)
            .status()
            .unwrap();
        if status.code() != Some(2) {
            failures.push(format!("{}: exit {:?}", describe(&case), status.code()));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(checked >= 8, "{checked} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
