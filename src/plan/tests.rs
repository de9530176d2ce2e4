//! Plans of the bundled example: against exports of its own desired state (empty), and the
//! writer of the example's actual state.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use super::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn load_example() -> (Loaded, Policy) {
    let loaded = crate::policy::load::load_with(
        &repo().join("policies"),
        &crate::policy::load::LoadOptions::default(),
    )
    .unwrap();
    let mut diags = loaded.diagnostics.clone();
    let policy = crate::policy::compile::compile(&loaded, &mut diags);
    assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
    (loaded, policy)
}

/// Writes every target's desired state as its export: under `dir/<target>/` with the declared
/// file names when `by_target`, else at the declared paths relative to `dir`.
fn write_desired(loaded: &Loaded, state: &DesiredState, dir: &Path, by_target: bool) {
    for file in &loaded.files {
        for (name, t) in &file.policy.targets {
            let Some(x) = &t.value.actual else { continue };
            let format = read::format_of(&t.value, Some(&x.value));
            let rows = export::rows(state, &t.value, &name.value);
            let text = match format {
                crate::actual::Format::Ldif => {
                    export::ldif(&rows, t.value.kind.value == raw::TargetKind::Directory)
                }
                _ => export::export(state, &t.value, &name.value, format),
            };
            let place = |p: &str| {
                if by_target {
                    dir.join(&name.value)
                        .join(Path::new(p).file_name().unwrap())
                } else {
                    dir.join(p)
                }
            };
            let users = place(&x.value.users.value);
            let users = if users.extension().is_none() {
                std::fs::create_dir_all(&users).unwrap();
                users.join("page-1.json")
            } else {
                std::fs::create_dir_all(users.parent().unwrap()).unwrap();
                users
            };
            std::fs::write(&users, text).unwrap();
            if let Some(g) = &x.value.groups {
                let parent = "OU=Groups,DC=corp,DC=northwind,DC=example";
                std::fs::write(place(&g.value), export::ldif_groups(state, &rows, parent)).unwrap();
            }
        }
    }
}

#[test]
fn a_plan_against_the_desired_state_itself_is_empty() {
    let (loaded, policy) = load_example();
    let state = crate::eval::evaluate(&loaded, &policy, crate::eval::Options::at(as_of()));
    assert!(!state.cannot_run());
    let tmp = std::env::temp_dir().join(format!("roster-plan-equal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    // As `--actual tmp` reads them: `tmp/<target>/<file name>`.
    let base = tmp.clone();
    std::fs::create_dir_all(&base).unwrap();
    write_desired(&loaded, &state, &base, true);
    let locations = Locations {
        base: Some(base.clone()),
        max_bytes: None,
    };
    let mut issues = Vec::new();
    let actual = read::read_all(&loaded, &locations, &mut issues);
    assert_eq!(actual.len(), 3, "{issues:?}");
    let plan = plan(
        &loaded,
        &policy,
        &state,
        &actual,
        issues,
        Options { as_of: as_of() },
    );
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(
        plan.changes.is_empty(),
        "{:#?}",
        plan.changes.iter().take(5).collect::<Vec<_>>()
    );
    assert!(plan.disputed.is_empty(), "{:?}", plan.disputed);
    assert!(plan.orphans.is_empty(), "{:?}", plan.orphans);
    assert!(plan.summary.no_changes());
}

#[test]
fn reading_with_the_tap_plans_what_reading_whole_plans() {
    // The example's exports carry drift of every kind (an orphan, a dispute, a stale
    // attribute, a disabled account, a missing account, a member added by hand).
    let (loaded, policy) = load_example();
    let options = Options { as_of: as_of() };
    let locations = Locations::default();
    let streamed = run(&loaded, &policy, options, &locations).unwrap();
    // Without `--previous`, change triggers compare with Active Directory's actual state
    // (`previous`): the whole plan is made from the state evaluated the same way.
    let compared = super::previous::Compared::of(&loaded);
    let state =
        crate::eval::evaluate_then(&loaded, &policy, crate::eval::Options::at(as_of()), |ids| {
            let previous = super::previous::read(&loaded, &locations)
                .and_then(|read| {
                    super::previous::from_actual(&loaded, &policy, &read, &compared, ids)
                })
                .map(|found| std::sync::Arc::new(found.previous));
            crate::eval::Found {
                previous,
                accounts: None,
            }
        });
    assert!(
        !streamed.tasks_due.is_empty(),
        "1004's mover run is due: Active Directory still holds the old department"
    );
    let mut issues = state.issues.clone();
    let actual = read::read_all(&loaded, &locations, &mut issues);
    let whole = plan(&loaded, &policy, &state, &actual, issues, options);
    assert!(
        streamed.changes.iter().any(|c| c.action == Action::Update)
            && !streamed.orphans.is_empty()
            && !streamed.disputed.is_empty(),
        "{:?}",
        streamed.summary
    );
    assert_eq!(
        serde_json::to_string_pretty(&streamed).unwrap(),
        serde_json::to_string_pretty(&whole).unwrap()
    );
}

/// Writes the example's actual state before its drift was added by hand:
/// `cargo test --lib plan::tests::write_example -- --ignored`.
#[test]
#[ignore = "writes examples/actual; run by hand"]
fn write_example() {
    let (loaded, policy) = load_example();
    let state = crate::eval::evaluate(&loaded, &policy, crate::eval::Options::at(as_of()));
    write_desired(&loaded, &state, &repo().join("policies"), false);
}
