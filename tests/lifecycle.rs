//! End-to-end tests of what the hostile corpus cannot check (file contents, JSON structure):
//! an identity whose lifecycle is unknown is held in every output format, and `explain` gives
//! the same reason as the report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use std::path::{Path, PathBuf};

/// A copy of a hostile case's files in a fresh repository root (a `.git` directory).
fn copy_case(case: &str) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/hostile")
        .join(case);
    let to = std::env::temp_dir().join(format!("roster-lifecycle-{}-{case}", std::process::id()));
    let _ = std::fs::remove_dir_all(&to);
    std::fs::create_dir_all(to.join(".git")).unwrap();
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.file_name().unwrap());
            if path.is_dir() {
                copy(&path, &target);
            } else {
                std::fs::copy(&path, &target).unwrap();
            }
        }
    }
    copy(&from, &to);
    to
}

fn roster(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let r = common::roster_in(dir, args);
    (r.code, r.stdout, r.stderr)
}

#[test]
fn an_unknown_lifecycle_is_held_in_every_format() {
    let dir = copy_case("lifecycle-unknown-grants-nothing");
    let (code, stdout, stderr) = roster(&dir, &["eval", "policies", "--as-of", "2026-01-15"]);
    assert_eq!(code, 1, "E120 is an error: {stderr}");
    let state: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let ids = state["identities"].as_array().unwrap();
    let (one, two) = (&ids[0], &ids[1]);
    assert_eq!(one["lifecycle"], "active");
    assert_eq!(one["accounts"]["directory"]["state"], "enabled");
    assert_eq!(one["accounts"]["directory"]["enabled"], true);
    assert_eq!(two["lifecycle"], "unknown");
    assert_eq!(two["groups"], serde_json::json!([]));
    assert_eq!(two["access_packages"], serde_json::json!([]));
    assert_eq!(
        two["accounts"]["directory"],
        serde_json::json!({"enabled": false, "state": "held", "attributes": {}})
    );
    let issue = state["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "E120")
        .unwrap();
    assert_eq!(issue["row"], 3, "{issue}");
    // The record and field the hire date is copied from.
    assert_eq!(issue["field"], "hired");
    assert!(
        issue["file"].as_str().unwrap().ends_with("hr.csv"),
        "{issue}"
    );

    let out = dir.join("out");
    let (code, _, stderr) = roster(
        &dir,
        &[
            "eval",
            "policies",
            "--as-of",
            "2026-01-15",
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    let accounts = std::fs::read_to_string(out.join("directory.csv")).unwrap();
    assert_eq!(accounts, "key,enabled,employeeId\n1,true,1\n2,held,\n");
    let memberships = std::fs::read_to_string(out.join("memberships.csv")).unwrap();
    assert!(memberships.contains("\n2,held,\n"), "{memberships}");
    assert!(
        !memberships.contains("\n2,group") && !memberships.contains("\n2,access_package"),
        "{memberships}"
    );

    let (code, stdout, _) = roster(
        &dir,
        &[
            "explain",
            "2",
            "policies",
            "--as-of",
            "2026-01-15",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    let e: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(e["lifecycle"]["state"], "unknown");
    assert_eq!(
        e["lifecycle"]["reason"],
        "the hire date is empty or not a date"
    );
    for list in ["groups", "access_packages"] {
        assert!(
            e[list]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["member"] == false),
            "{e}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A rehire's earlier employment and its retention, through `eval` on every boundary day.
#[test]
fn a_rehire_keeps_its_account_through_retention() {
    let dir = copy_case("rehire-keeps-retention");
    // Left 2025-12-31 (retention 30 days: through 2026-01-30); rehired 2026-03-02 (pre-hire
    // from 2026-02-23).
    for (day, lifecycle, account) in [
        ("2025-12-31", "active", Some("enabled")),
        ("2026-01-01", "leaver", Some("disabled")),
        ("2026-01-30", "leaver", Some("disabled")),
        ("2026-01-31", "not_yet_hired", None),
        ("2026-02-22", "not_yet_hired", None),
        ("2026-02-23", "pre_hire", Some("disabled")),
        ("2026-03-01", "pre_hire", Some("disabled")),
        ("2026-03-02", "active", Some("enabled")),
    ] {
        let (code, stdout, stderr) = roster(&dir, &["eval", "policies", "--as-of", day]);
        assert_eq!(code, 0, "{stderr}");
        let state: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let id = &state["identities"][0];
        assert_eq!(id["lifecycle"], lifecycle, "{day}");
        assert_eq!(
            id["accounts"]["directory"]["state"].as_str(),
            account,
            "{day}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
