//! `roster diff`: two directories, a git revision against the working tree, every format, and
//! the size of the Markdown report.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::roster_in;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The example (policies and HR data) in a fresh git repository, committed.
fn example_repo(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-diff-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&manifest().join("policies"), &dir.join("policies"));
    copy_dir(
        &manifest().join("examples/data"),
        &dir.join("examples/data"),
    );
    copy_dir(
        &manifest().join("examples/actual"),
        &dir.join("examples/actual"),
    );
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(args)
            .current_dir(&dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "example"]);
    dir
}

fn widen_finance(dir: &Path) {
    let groups = dir.join("policies/groups.yaml");
    let text = std::fs::read_to_string(&groups).unwrap();
    let changed = text.replace(
        "rule: user.department -eq \"Finance\"",
        "rule: user.department -in [\"Finance\", \"Human Resources\"]",
    );
    assert_ne!(text, changed);
    std::fs::write(groups, changed).unwrap();
}

#[test]
fn a_git_revision_against_the_working_tree() {
    let dir = example_repo("base");
    let args = [
        "diff",
        "--base",
        "HEAD",
        "policies",
        "--as-of",
        "2026-11-25",
    ];
    let r = roster_in(&dir, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("No changes"), "{}", r.stdout);
    widen_finance(&dir);
    let r = roster_in(&dir, &[&args[..], &["--format", "json"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(manifest().join("schemas/diff.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(json["summary"]["changed"], 3);
    assert_eq!(json["summary"]["groups_gained"], 3);
    assert_eq!(json["summary"]["groups_lost"], 0);
    assert_eq!(json["groups"]["dept-finance"]["gained"], 3);
    assert_eq!(
        json["targets"]["erp"]["gained"], 3,
        "dept-finance assigns the ERP"
    );
    let keys: Vec<&str> = json["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["1005", "1050", "1051"]);
    // The same change as two directories.
    let old = dir.join("old");
    Command::new("git")
        .args(["worktree", "add", "-q", old.to_str().unwrap(), "HEAD"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let r = roster_in(
        &dir,
        &[
            "diff",
            old.join("policies").to_str().unwrap(),
            "policies",
            "--as-of",
            "2026-11-25",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dirs: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(dirs["identities"], json["identities"]);
    // JSON Lines: a summary, then one line per identity.
    let r = roster_in(&dir, &[&args[..], &["--format", "jsonl"]].concat());
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "summary");
    assert_eq!(lines.iter().filter(|l| l["type"] == "identity").count(), 3);
    let r = roster_in(&dir, &[&args[..], &["--format", "markdown"]].concat());
    assert_eq!(r.code, 0);
    insta::assert_snapshot!("diff_markdown", common::without_revision(&r.stdout));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_arguments_and_revisions_cannot_run() {
    let dir = example_repo("args");
    let r = roster_in(&dir, &["diff", "policies"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("OLD_DIR NEW_DIR"), "{}", r.stderr);
    let r = roster_in(&dir, &["diff", "--base", "no-such-rev", "policies"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("git"), "{}", r.stderr);
    let r = roster_in(&dir, &["diff", "--base", "--upload-pack=x", "policies"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_markdown_report_of_a_large_diff_stays_under_60000_characters() {
    let dir = std::env::temp_dir().join(format!("roster-diff-large-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    let mut hr = String::from("id,dept,hired\n");
    for i in 0..8_000 {
        hr.push_str(&format!("{i:06},D{},2020-01-06\n", i % 300));
    }
    for side in ["old", "new"] {
        std::fs::create_dir_all(dir.join(side)).unwrap();
        std::fs::write(dir.join(side).join("hr.csv"), &hr).unwrap();
        let mut groups = String::from("groups:\n");
        for g in 0..300 {
            let rule = if side == "old" {
                format!("user.department -eq \"D{g}\"")
            } else {
                format!("user.department -ne \"D{g}\"")
            };
            groups.push_str(&format!("  g{g}:\n    rule: '{rule}'\n"));
        }
        std::fs::write(
            dir.join(side).join("policy.yaml"),
            format!(
                "sources:\n  hr:\n    format: csv\n    path: hr.csv\n    key: id\n    fields:\n      id: string\n      dept: string\n      hired: datetime\nidentity:\n  attributes:\n    employeeId:\n      source: hr.id\n    department:\n      source: hr.dept\n    hireDate:\n      type: datetime\n      source: hr.hired\n  lifecycle:\n    hire_date: hireDate\n{groups}"
            ),
        )
        .unwrap();
    }
    let r = roster_in(
        &dir,
        &[
            "diff",
            "old",
            "new",
            "--as-of",
            "2026-01-15",
            "--format",
            "markdown",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.chars().count() < 60_000, "{}", r.stdout.len());
    assert!(r.stdout.contains("and 275 more"), "{}", &r.stdout[..2000]);
    assert!(r.stdout.trim_end().ends_with("conflicts +0 -0."));
    let _ = std::fs::remove_dir_all(&dir);
}
