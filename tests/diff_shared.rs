//! `eval::evaluate_pair`, the evaluation behind `roster diff`: when two versions of a policy
//! set share their sources, identity section and tenant, correlation, identity attributes and
//! lifecycle are computed once for both; the two states must be exactly those of two separate
//! evaluations. When the identity section differs, nothing is shared.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use roster::eval::{self, DesiredState, Options, ReadData};
use roster::policy::Policy;
use roster::policy::load::{LoadOptions, Loaded, load_with};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-pair-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn load(dir: &Path) -> (Loaded, Policy) {
    let loaded = load_with(dir, &LoadOptions::default()).unwrap();
    let mut diags = loaded.diagnostics.clone();
    let policy = roster::policy::compile::compile(&loaded, &mut diags);
    assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
    (loaded, policy)
}

fn options() -> Options {
    Options::at(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
}

/// A generated organisation and a copy of its policies with `edit` applied to the file whose
/// name starts with `file`.
fn versions(name: &str, file: &str, edit: impl Fn(&str) -> String) -> (PathBuf, PathBuf) {
    let dir = temp(name);
    roster::generate::generate(
        &roster::generate::Settings {
            identities: 400,
            seed: 11,
            mappings: 40,
            rules: 30,
            packages: 10,
            actual_drift: None,
        },
        &dir,
    )
    .unwrap();
    let old = dir.join("policies");
    let new = dir.join("policies-new");
    std::fs::create_dir_all(&new).unwrap();
    let mut edited = false;
    for entry in std::fs::read_dir(&old).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = if name.starts_with(file) {
            edited = true;
            let changed = edit(&text);
            assert_ne!(changed, text, "the edit of {name} changed nothing");
            changed
        } else {
            text
        };
        std::fs::write(new.join(&name), text).unwrap();
    }
    assert!(edited, "no file {file}*");
    (old, new)
}

fn separately(old: &(Loaded, Policy), new: &(Loaded, Policy)) -> (DesiredState, DesiredState) {
    let read = ReadData::read(&new.0);
    (
        eval::evaluate_with(&old.0, &old.1, options(), &read),
        eval::evaluate_with(&new.0, &new.1, options(), &read),
    )
}

#[test]
fn a_rule_change_shares_the_identity_stages_and_gives_the_same_states() {
    // One group rule turned around: `-eq` becomes `-ne`.
    let (old_dir, new_dir) = versions("rule", "groups", |t| t.replacen(" -eq ", " -ne ", 1));
    let (old, new) = (load(&old_dir), load(&new_dir));
    assert!(eval::same_identity(&old.0, &new.0));
    let read = ReadData::read(&new.0);
    let (before, after) =
        eval::evaluate_pair((&old.0, &old.1, &read), (&new.0, &new.1, &read), options());
    let (want_before, want_after) = separately(&old, &new);
    assert_eq!(before, want_before);
    assert_eq!(after, want_after);
    // The change is visible: the states differ.
    assert_ne!(before, after);
}

#[test]
fn an_identity_change_is_not_shared() {
    // The identity section itself changes (a mapping's expression).
    let (old_dir, new_dir) = versions("identity", "identity", |t| {
        t.replacen(
            "Join(\", \", [surname], [givenName])",
            "Join(\"; \", [surname], [givenName])",
            1,
        )
    });
    let (old, new) = (load(&old_dir), load(&new_dir));
    assert!(!eval::same_identity(&old.0, &new.0));
    assert!(eval::same_identity(&old.0, &old.0));
}

#[test]
fn a_target_change_recomputes_what_it_reaches() {
    // A target's mapping changes (`"Seattle"` → `"Seattle WA"` in the OU switch), and another
    // target's scope changes (`dept-finance` → `dept-sales`): the shared evaluation must not
    // reuse the old columns of either.
    let (old_dir, new_dir) = versions("target", "targets", |t| {
        t.replacen("\"Seattle\"", "\"Seattle WA\"", 1).replacen(
            "groups: [dept-finance]",
            "groups: [dept-sales]",
            1,
        )
    });
    let (old, new) = (load(&old_dir), load(&new_dir));
    assert!(eval::same_identity(&old.0, &new.0));
    let read = ReadData::read(&new.0);
    let (before, after) =
        eval::evaluate_pair((&old.0, &old.1, &read), (&new.0, &new.1, &read), options());
    let (want_before, want_after) = separately(&old, &new);
    assert_eq!(before, want_before);
    assert_eq!(after, want_after);
    assert_ne!(before, after);
}
