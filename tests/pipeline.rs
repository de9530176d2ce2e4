//! The evaluation pipeline in stages: data read once ([`ReadData`]) serves several evaluations
//! ([`evaluate_with`]), each exactly what [`evaluate`] gives, with the datasets shared rather
//! than copied.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use roster::eval::{Options, ReadData, evaluate, evaluate_with};
use roster::policy::load::{Loaded, load};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-pipeline-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    std::fs::create_dir(dir.join(".git")).unwrap();
    dir
}

fn day(y: i32, m: u32, d: u32) -> Options {
    Options::at(NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

fn checked(dir: &Path) -> (Loaded, roster::policy::Policy) {
    let loaded = load(dir).unwrap();
    let mut diagnostics = loaded.diagnostics.clone();
    let policy = roster::policy::compile::compile(&loaded, &mut diagnostics);
    assert!(diagnostics.iter().all(|d| !d.is_error()), "{diagnostics:?}");
    (loaded, policy)
}

/// A policy set over `hr.csv` whose group `chosen` holds one department.
fn policy(department: &str) -> String {
    format!(
        r#"sources:
  hr:
    format: csv
    path: ../hr.csv
    key: id
    fields:
      id: string
      dept: string
identity:
  attributes:
    employeeId:
      source: hr.id
    department:
      source: hr.dept
groups:
  chosen:
    rule: user.department -eq "{department}"
"#
    )
}

#[test]
fn one_read_serves_several_evaluations_of_the_example() {
    let policies = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies");
    let (loaded, policy) = checked(&policies);
    let read = ReadData::read(&loaded);
    assert!(!read.stops());
    assert!(!read.datasets.is_empty());
    for options in [day(2026, 1, 15), day(2026, 11, 25), day(2027, 6, 1)] {
        let with = evaluate_with(&loaded, &policy, options.clone(), &read);
        assert!(!with.identities.is_empty());
        assert_eq!(
            with,
            evaluate(&loaded, &policy, options.clone()),
            "{options:?}"
        );
        // The report holds the datasets read, not a copy of them.
        assert_eq!(
            with.identities.datasets().as_ptr(),
            read.datasets.as_ptr(),
            "shared, not copied"
        );
    }
}

#[test]
fn one_read_serves_two_versions_of_a_policy() {
    let dir = temp("versions");
    std::fs::write(dir.join("hr.csv"), "id,dept\n1,Sales\n2,Support\n3,Sales\n").unwrap();
    let file = dir.join("policies/p.yaml");
    std::fs::write(&file, policy("Sales")).unwrap();
    let (before, before_policy) = checked(&dir.join("policies"));
    std::fs::write(&file, policy("Support")).unwrap();
    let (after, after_policy) = checked(&dir.join("policies"));

    let read = ReadData::read(&before);
    let options = day(2026, 1, 15);
    let old = evaluate_with(&before, &before_policy, options.clone(), &read);
    let new = evaluate_with(&after, &after_policy, options.clone(), &read);
    assert_eq!(old, evaluate(&before, &before_policy, options.clone()));
    assert_eq!(new, evaluate(&after, &after_policy, options.clone()));
    let members = |state: &roster::eval::DesiredState| -> Vec<String> {
        state
            .identities
            .iter()
            .filter(|i| i.groups.iter().any(|g| g == "chosen"))
            .map(|i| i.key.clone())
            .collect()
    };
    assert_eq!(members(&old), ["1", "3"]);
    assert_eq!(members(&new), ["2"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_read_that_cannot_run_stops_every_evaluation() {
    let dir = temp("missing");
    std::fs::write(dir.join("policies/p.yaml"), policy("Sales")).unwrap();
    let (loaded, policy) = checked(&dir.join("policies"));
    let read = ReadData::read(&loaded);
    assert!(read.stops(), "hr.csv is missing");
    let options = day(2026, 1, 15);
    let state = evaluate_with(&loaded, &policy, options.clone(), &read);
    assert!(state.cannot_run());
    assert!(state.identities.is_empty());
    assert_eq!(state, evaluate(&loaded, &policy, options.clone()));
    std::fs::remove_dir_all(dir).unwrap();
}
