//! Properties of `roster plan` on generated organisations:
//!
//! - the plan against exports of the desired state itself is empty, whatever the organisation;
//! - a plan is complete: for random drift (accounts missing, attributes changed or removed,
//!   accounts enabled or disabled against the desired state, orphans, memberships added and
//!   removed), applying the plan to the exports in memory (`roster::plan::apply`), writing them,
//!   reading them back and planning again gives a plan without changes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::cell::Cell;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use roster::actual::Format;
use roster::eval::DesiredState;
use roster::generate::{Settings, actual::Drift, generate};
use roster::plan::apply::{Holding, World, apply};
use roster::plan::export::{self, Row};
use roster::plan::{Locations, Options, Plan, read};
use roster::policy::Policy;
use roster::policy::load::{LoadOptions, Loaded, load_with};
use roster::policy::raw;
use roster::value::Value;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-apply-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn as_of() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
}

/// A small generated organisation with its actual state declared, loaded and evaluated.
struct Org {
    dir: PathBuf,
    loaded: Loaded,
    policy: Policy,
    state: DesiredState,
}

fn org(name: &str, identities: usize, seed: u64) -> Org {
    let dir = temp(name);
    generate(
        &Settings {
            identities,
            seed,
            mappings: 40,
            rules: 30,
            packages: 12,
            actual_drift: Some(Drift::parse("0").unwrap()),
        },
        &dir,
    )
    .unwrap();
    let loaded = load_with(&dir.join("policies"), &LoadOptions::default()).unwrap();
    let mut diags = loaded.diagnostics.clone();
    let policy = roster::policy::compile::compile(&loaded, &mut diags);
    assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
    let state = roster::eval::evaluate(&loaded, &policy, roster::eval::Options::at(as_of()));
    assert!(!state.cannot_run());
    Org {
        dir,
        loaded,
        policy,
        state,
    }
}

/// The targets that declare an actual state: name, raw target, format.
fn targets(loaded: &Loaded) -> Vec<(String, raw::Target, Format)> {
    let mut out = Vec::new();
    for f in &loaded.files {
        for (n, t) in &f.policy.targets {
            if let Some(a) = &t.value.actual {
                let format = read::format_of(&t.value, Some(&a.value));
                out.push((n.value.clone(), t.value.clone(), format));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// What each target holds once the desired state is applied.
fn desired_world(o: &Org) -> World {
    let mut world = World::new();
    for (name, t, _) in targets(&o.loaded) {
        let rows = export::rows(&o.state, &t, &name);
        let groups = t.actual.as_ref().unwrap().value.groups.as_ref().map(|_| {
            let id_of: HashMap<&str, &str> = rows
                .iter()
                .map(|r| (r.key.as_str(), r.id.as_str()))
                .collect();
            o.state
                .identities
                .groups()
                .iter()
                .map(|(g, members)| {
                    let ids: BTreeSet<String> = members
                        .ones()
                        .filter_map(|i| o.state.identities.key(i))
                        .filter_map(|k| id_of.get(k).map(|s| s.to_string()))
                        .collect();
                    (g.clone(), ids)
                })
                .collect()
        });
        world.insert(
            name,
            Holding {
                rows,
                groups,
                assignments: None,
            },
        );
    }
    world
}

/// Writes every target's exports as `dir/<target>/<file name>` (what `--actual dir` reads).
fn write(o: &Org, world: &World, dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    for (name, t, format) in targets(&o.loaded) {
        let h = &world[&name];
        let x = &t.actual.as_ref().unwrap().value;
        let tdir = dir.join(&name);
        std::fs::create_dir_all(&tdir).unwrap();
        let leaf = |p: &str| Path::new(p).file_name().unwrap().to_owned();
        let users = tdir.join(leaf(&x.users.value));
        let text = match format {
            Format::Graph => export::graph(&h.rows),
            Format::Scim => export::scim(&h.rows),
            Format::Ldif => export::ldif(&h.rows, t.kind.value == raw::TargetKind::Directory),
            Format::Csv => {
                let columns: Vec<String> = t.mappings.keys().map(|k| k.value.clone()).collect();
                export::csv(&h.rows, &columns)
            }
        };
        if users.extension().is_none() {
            std::fs::create_dir_all(&users).unwrap();
            std::fs::write(users.join("page-000001.json"), text).unwrap();
        } else {
            std::fs::write(&users, text).unwrap();
        }
        if let (Some(g), Some(groups)) = (&x.groups, &h.groups) {
            let entries = groups
                .iter()
                .map(|(n, m)| (n.as_str(), m.iter().map(String::as_str).collect()));
            std::fs::write(
                tdir.join(leaf(&g.value)),
                export::ldif_group_entries(entries, "ou=groups,dc=eng,dc=northwind,dc=example"),
            )
            .unwrap();
        }
    }
}

fn plan_of(o: &Org, dir: &Path) -> Plan {
    let locations = Locations {
        base: Some(dir.to_path_buf()),
        max_bytes: None,
    };
    let mut issues = Vec::new();
    let actual = read::read_all(&o.loaded, &locations, &mut issues);
    assert_eq!(
        actual.len(),
        targets(&o.loaded).len(),
        "every export is read: {:?}",
        issues
            .iter()
            .filter(|i| i.severity == roster::diagnostics::Severity::Error)
            .map(|i| &i.message)
            .collect::<Vec<_>>()
    );
    let mut all = o.state.issues.clone();
    all.extend(issues);
    let whole = roster::plan::plan(
        &o.loaded,
        &o.policy,
        &o.state,
        &actual,
        all,
        Options { as_of: as_of() },
    );
    // `roster plan` compares each account as it is read, keeping only the differences; the
    // plan must be the one made from the exports read whole.
    // The generated organisation has change-triggered workflows, which `plan` compares with
    // the directory's actual state when no previous state is given: an empty previous state,
    // given explicitly, keeps the evaluation `o.state`'s (this test is about reading, and
    // about applying; `tests/workflows.rs` pins the comparison with the directory).
    let empty = roster::eval::Options {
        as_of: as_of(),
        previous: Some(std::sync::Arc::new(
            roster::governance::previous::Previous::default(),
        )),
        sign_ins: None,
    };
    let streamed = roster::plan::run_with(&o.loaded, &o.policy, empty, &locations)
        .expect("the desired state can be computed");
    assert_eq!(
        serde_json::to_value(&streamed).unwrap(),
        serde_json::to_value(&whole).unwrap(),
        "reading with the tap plans what reading whole plans"
    );
    whole
}

fn first_changes(p: &Plan) -> String {
    format!("{:#?}", p.changes.iter().take(4).collect::<Vec<_>>())
}

/// One random drift: in which target, on which account, what, and a choice for it.
type Step = (Index, Index, u8, Index);

fn drift(o: &Org, world: &mut World, steps: &[Step]) {
    let targets = targets(&o.loaded);
    for (n, (t, r, kind, choice)) in steps.iter().enumerate() {
        let (name, target, format) = &targets[t.index(targets.len())];
        let matching: Vec<&str> = target.matching.iter().map(|m| m.value.as_str()).collect();
        let h = world.get_mut(name).unwrap();
        if h.rows.is_empty() {
            continue;
        }
        let k = r.index(h.rows.len());
        let id = h.rows[k].id.clone();
        match kind {
            // The account is missing.
            0 => {
                h.rows.remove(k);
                for m in h.groups.iter_mut().flat_map(|g| g.values_mut()) {
                    m.remove(&id);
                }
            }
            // An attribute is changed, or removed.
            1 | 6 => {
                let row = &mut h.rows[k];
                let free: Vec<usize> = (0..row.attributes.len())
                    .filter(|&a| {
                        !matching
                            .iter()
                            .any(|m| m.eq_ignore_ascii_case(&row.attributes[a].0))
                    })
                    .collect();
                if free.is_empty() {
                    continue;
                }
                let a = free[choice.index(free.len())];
                if *kind == 6 {
                    row.attributes.remove(a);
                } else {
                    let v = &mut row.attributes[a].1;
                    *v = match v {
                        Value::Str(s) => Value::Str(format!("{s} x")),
                        _ => Value::Str("x".to_string()),
                    };
                }
            }
            // Enabled against the desired state (or disabled).
            2 => h.rows[k].enabled = !h.rows[k].enabled,
            // An orphan: a copy of the account that matches nobody.
            3 => {
                let mut orphan: Row = h.rows[k].clone();
                let tag = format!("orphan-{n}");
                for m in &matching {
                    match orphan
                        .attributes
                        .iter_mut()
                        .find(|(a, _)| a.eq_ignore_ascii_case(m))
                    {
                        Some((_, v)) => *v = Value::Str(tag.clone()),
                        None => orphan
                            .attributes
                            .push((m.to_string(), Value::Str(tag.clone()))),
                    }
                }
                orphan.id = match format {
                    Format::Ldif => {
                        let rdn_type = orphan.id.split('=').next().unwrap().to_string();
                        let parent = orphan.id.split_once(',').unwrap().1.to_string();
                        if let Some((_, v)) = orphan
                            .attributes
                            .iter_mut()
                            .find(|(a, _)| a.eq_ignore_ascii_case(&rdn_type))
                        {
                            *v = Value::Str(tag.clone());
                        }
                        format!("{rdn_type}={tag},{parent}")
                    }
                    _ => tag.clone(),
                };
                orphan.key = tag;
                h.rows.push(orphan);
            }
            // A membership added.
            4 => {
                if let Some(groups) = &mut h.groups {
                    let names: Vec<String> = groups.keys().cloned().collect();
                    if !names.is_empty() {
                        let g = &names[choice.index(names.len())];
                        groups.get_mut(g).unwrap().insert(id);
                    }
                }
            }
            // A membership removed.
            _ => {
                if let Some(groups) = &mut h.groups {
                    let of: Vec<String> = groups
                        .iter()
                        .filter(|(_, m)| m.contains(&id))
                        .map(|(g, _)| g.clone())
                        .collect();
                    if !of.is_empty() {
                        let g = &of[choice.index(of.len())];
                        groups.get_mut(g).unwrap().remove(&id);
                    }
                }
            }
        }
    }
}

#[test]
fn a_plan_against_the_desired_state_of_any_generated_org_is_empty() {
    let mut runner = TestRunner::new(Config {
        cases: 6,
        ..Config::default()
    });
    runner
        .run(&(100usize..220, 0u64..1_000), |(identities, seed)| {
            let o = org(&format!("equal-{seed}"), identities, seed);
            let dir = o.dir.join("exports");
            write(&o, &desired_world(&o), &dir);
            let p = plan_of(&o, &dir);
            let _ = std::fs::remove_dir_all(&o.dir);
            prop_assert!(p.summary.no_changes(), "{}", first_changes(&p));
            prop_assert!(p.disputed.is_empty() && p.orphans.is_empty());
            Ok(())
        })
        .unwrap();
}

#[test]
fn applying_a_plan_then_planning_again_changes_nothing() {
    let o = org("apply", 150, 17);
    let base = desired_world(&o);
    // Identifiers of created accounts: what the target gives them (the export's).
    let ids: HashMap<(String, String), String> = base
        .iter()
        .flat_map(|(t, h)| {
            h.rows
                .iter()
                .map(move |r| ((t.clone(), r.key.clone()), r.id.clone()))
        })
        .collect();
    let id_for = |t: &str, key: &str, _: &[(String, Value)]| -> String {
        ids.get(&(t.to_string(), key.to_string()))
            .cloned()
            .unwrap_or_else(|| export::guid(t, key))
    };
    let dir = o.dir.join("exports");
    let step = (any::<Index>(), any::<Index>(), 0u8..7, any::<Index>());
    let mut runner = TestRunner::new(Config {
        cases: 32,
        ..Config::default()
    });
    let changed = Cell::new(0usize);
    runner
        .run(&proptest::collection::vec(step, 1..10), |steps| {
            let mut world = base.clone();
            drift(&o, &mut world, &steps);
            write(&o, &world, &dir);
            let first = plan_of(&o, &dir);
            changed.set(changed.get() + first.changes.len());
            apply(&first, &mut world, &id_for)
                .map_err(|e| TestCaseError::fail(format!("{e}: {}", first_changes(&first))))?;
            write(&o, &world, &dir);
            let again = plan_of(&o, &dir);
            prop_assert!(
                again.summary.no_changes(),
                "after {} changes ({:?}), still: {}",
                first.changes.len(),
                first.summary,
                first_changes(&again)
            );
            Ok(())
        })
        .unwrap();
    let _ = std::fs::remove_dir_all(&o.dir);
    // The drift did make plans with changes (the property is not vacuous).
    assert!(changed.get() > 32, "{}", changed.get());
}
