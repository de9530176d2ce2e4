//! `roster generate --actual-drift`: the generated targets' actual state, through the CLI. With
//! no drift `roster plan` has nothing to do; with drift, the plan's counts are the drift
//! injected, target by target and kind by kind.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::roster_in;
use serde_json::Value;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-drift-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn generate(dir: &Path, identities: &str, seed: &str, drift: &str) {
    let r = roster_in(
        Path::new("."),
        &[
            "generate",
            "--identities",
            identities,
            "--seed",
            seed,
            "--mappings",
            "60",
            "--rules",
            "40",
            "--packages",
            "20",
            "--actual-drift",
            drift,
            "--out",
            dir.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("actual state:"), "{}", r.stderr);
}

fn plan(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "plan",
        "policies",
        "--as-of",
        "2026-01-01",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let r = roster_in(dir, &args);
    // 1: the generated HR data carries deliberate defects (data errors); never "cannot run".
    assert!(r.code == 0 || r.code == 1, "{}\n{}", r.code, r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

/// Changes per (target, action) and orphans per target.
fn counts(plan: &Value) -> BTreeMap<(String, String), u64> {
    let mut out = BTreeMap::new();
    for c in plan["changes"].as_array().unwrap() {
        *out.entry((
            c["target"].as_str().unwrap().to_string(),
            c["action"].as_str().unwrap().to_string(),
        ))
        .or_default() += 1;
    }
    for o in plan["orphans"].as_array().unwrap() {
        *out.entry((
            o["target"].as_str().unwrap().to_string(),
            "orphan".to_string(),
        ))
        .or_default() += 1;
    }
    out
}

#[test]
fn no_drift_plans_nothing() {
    let dir = temp("zero");
    generate(&dir, "400", "5", "0");
    let r = roster_in(&dir, &["lint", "policies", "--deny-warnings"]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "no problems\n"),
        "{}",
        r.stderr
    );
    for extra in [&[][..], &["--actual", "actual"][..]] {
        let p = plan(&dir, extra);
        let formats: BTreeMap<&str, &str> = p["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap(), t["format"].as_str().unwrap()))
            .collect();
        assert_eq!(
            formats,
            BTreeMap::from([
                ("active-directory", "graph"),
                ("eng-ldap", "ldif"),
                ("erp", "scim")
            ]),
            "every target is read, one format each"
        );
        for t in p["targets"].as_array().unwrap() {
            assert!(t["accounts"].as_u64().unwrap() > 0, "{t}");
        }
        assert!(counts(&p).is_empty(), "{:?}", counts(&p));
        assert!(p["disputed"].as_array().unwrap().is_empty());
        for (k, v) in p["summary"].as_object().unwrap() {
            if k != "held" && k != "skipped" {
                assert_eq!(v, 0, "{k}");
            }
        }
    }
    let drift: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("actual/drift.json")).unwrap())
            .unwrap();
    assert_eq!(drift["drifted"], 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_plan_counts_the_drift_injected() {
    let dir = temp("some");
    generate(&dir, "400", "9", "12.5");
    let drift: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("actual/drift.json")).unwrap())
            .unwrap();
    // 12.5% of 400, to the identity.
    assert_eq!(drift["drifted"], 50);
    let mut expected = BTreeMap::new();
    let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
    for (target, t) in drift["targets"].as_object().unwrap() {
        for (action, n) in t["expected"].as_object().unwrap() {
            if n.as_u64().unwrap() > 0 {
                expected.insert((target.clone(), action.clone()), n.as_u64().unwrap());
            }
        }
        for kind in [
            "missing",
            "changed",
            "extra_membership",
            "orphan",
            "disabled",
        ] {
            *kinds.entry(kind).or_default() += t[kind].as_u64().unwrap();
        }
    }
    // Every kind of drift is exercised, and the kinds add up to the identities drifted.
    assert!(kinds.values().all(|&n| n > 0), "{kinds:?}");
    assert_eq!(kinds.values().sum::<u64>(), 50);
    let p = plan(&dir, &[]);
    assert_eq!(counts(&p), expected);
    // A missing account is a create, a changed attribute an update, a disabled account an
    // enable, an extra membership a removal: per target, exactly.
    for (target, t) in drift["targets"].as_object().unwrap() {
        let got = |a: &str| {
            counts(&p)
                .get(&(target.clone(), a.to_string()))
                .copied()
                .unwrap_or(0)
        };
        assert_eq!(got("create"), t["missing"].as_u64().unwrap(), "{target}");
        assert_eq!(
            got("member_remove"),
            t["extra_membership"].as_u64().unwrap(),
            "{target}"
        );
        assert_eq!(got("orphan"), t["orphan"].as_u64().unwrap(), "{target}");
        assert_eq!(got("enable"), t["disabled"].as_u64().unwrap(), "{target}");
    }
    // Orphans match nobody: left as they are, not disputed.
    assert!(p["disputed"].as_array().unwrap().is_empty());
    assert!(
        p["orphans"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["identity"].is_null() && o["action"].is_null())
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_drift_is_deterministic_and_bounded() {
    let (a, b) = (temp("det-a"), temp("det-b"));
    generate(&a, "150", "2", "20");
    generate(&b, "150", "2", "20");
    for f in [
        "actual/drift.json",
        "actual/eng-ldap/people.ldif",
        "actual/eng-ldap/groups.ldif",
        "actual/erp/users/page-000001.json",
        "actual/active-directory/users/page-000001.json",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    let c = temp("det-c");
    for bad in ["101", "-1", "five", "0.00001"] {
        let r = roster_in(
            Path::new("."),
            &[
                "generate",
                "--actual-drift",
                bad,
                "--out",
                c.to_str().unwrap(),
            ],
        );
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert!(!c.exists());
    }
    for d in [a, b] {
        let _ = std::fs::remove_dir_all(&d);
    }
}
