//! `roster explain`: finding a person, the reasons with their places, the concise and full
//! forms, the JSON and its schema, and the focused evaluation (the person alone, or the
//! key-order prefix) against a full one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::roster_in;

use std::path::{Path, PathBuf};

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const AS_OF: &str = "2026-11-25";

fn explain(args: &[&str]) -> common::Run {
    let mut all = vec!["explain"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--as-of", AS_OF]);
    roster_in(manifest(), &all)
}

fn json(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--format", "json"]);
    let r = explain(&all);
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

fn named<'a>(list: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name || m["target"] == name)
        .unwrap_or_else(|| panic!("{name} missing from {list}"))
}

fn snapshots(f: impl FnOnce()) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("snapshots/explain");
    settings.bind(f);
}

#[test]
fn concise_by_default_everything_with_all() {
    snapshots(|| {
        let r = explain(&["1004", "policies"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        insta::assert_snapshot!("explain-1004", r.stdout);
        let all = explain(&["1004", "policies", "--all"]);
        assert_eq!(all.code, 0, "{}", all.stderr);
        insta::assert_snapshot!("explain-1004-all", all.stdout);
        // The concise form is a fraction of the full one, and says how to get the rest.
        assert!(r.stdout.lines().count() * 4 < all.stdout.lines().count());
        assert!(r.stdout.contains("`--all` shows everything"));
        // It shows what the person has, and not what they lack (unless narrowly).
        assert!(r.stdout.contains("+ dept-sales: its rule matches"));
        assert!(!r.stdout.contains("dept-finance"));
        assert!(
            all.stdout
                .contains("- dept-finance: its rule does not match")
        );
    });
}

#[test]
fn every_reason_names_its_policy_object_and_place() {
    let e = json(&["1004", "policies"]);
    // A group by rule: the rule's place and the condition that decided it, with the value.
    let sales = named(&e["groups"], "dept-sales");
    assert_eq!(sales["member"], true);
    assert_eq!(sales["granted_by"][0]["by"], "rule");
    assert_eq!(
        sales["granted_by"][0]["at"],
        serde_json::json!({"file": "policies/groups.yaml", "line": 23})
    );
    assert_eq!(
        sales["rule"]["deciding"][0],
        serde_json::json!({"text": "user.department -eq \"Sales\"", "result": true, "property": "department", "value": "Sales"})
    );
    // A group granted by an access package: the package and its resource entry.
    let crm = named(&e["groups"], "crm-users");
    assert_eq!(
        crm["granted_by"],
        serde_json::json!([{"by": "access_package", "name": "sales-crm", "at": {"file": "policies/access-packages.yaml", "line": 16}}])
    );
    // A rule that does not match.
    let finance = named(&e["groups"], "dept-finance");
    assert_eq!(finance["member"], false);
    assert_eq!(finance["rule"]["deciding"][0]["result"], false);
    assert_eq!(finance["granted_by"], serde_json::json!([]));
    // A rule missed on one condition while the others hold.
    let contractors = named(&e["groups"], "all-contractors");
    assert_eq!(
        contractors["rule"]["narrowly_missed_on"]["text"],
        "user.employeeType -eq \"Contractor\""
    );
    assert!(finance["rule"].get("narrowly_missed_on").is_none());
    // Accounts: the scope entry that assigns, each filter clause with the value it saw.
    let ad = named(&e["accounts"], "active-directory");
    assert_eq!(ad["state"], "enabled");
    assert_eq!(ad["assigned_by"][0]["by"], "sync_all");
    assert_eq!(ad["assigned_by"][0]["at"]["line"], 25);
    assert_eq!(
        ad["filters"][0]["clauses"][0],
        serde_json::json!({"attribute": "employeeId", "operator": "IS NOT NULL", "value": "1004", "result": true, "at": {"file": "policies/targets.yaml", "line": 27}})
    );
    let erp = named(&e["accounts"], "erp");
    let by: Vec<&str> = erp["assigned_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["by"].as_str().unwrap())
        .collect();
    assert_eq!(by, ["scope_package", "app_role"]);
    // The value of each target attribute and the mapping that made it.
    let upn = named(&ad["attributes"], "userPrincipalName");
    assert_eq!(upn["value"], "Marcus.Webb@northwind.example");
    assert_eq!(upn["mapping"]["kind"], "expression");
    assert_eq!(upn["mapping"]["at"]["line"], 50);
    let ldap = named(&e["accounts"], "eng-ldap");
    assert_eq!(ldap["state"], "none");
    assert!(
        ldap["reason"]
            .as_str()
            .unwrap()
            .starts_with("not assigned: only access package `engineering-servers`"),
        "{ldap}"
    );
    // The lifecycle: its dates, status and windows, and where the settings are.
    assert_eq!(
        e["lifecycle"],
        serde_json::json!({
            "state": "active",
            "reason": "hired on 2016-09-05, no leave date",
            "hire_date": {"attribute": "hireDate", "value": "9/5/2016 12:00:00 AM"},
            "leave_date": {"attribute": "leaveDate", "value": null},
            "status": {"attribute": "employmentStatus", "value": "Active"},
            "prehire_days": 7,
            "retention_days": 30,
            "at": {"file": "policies/identity.yaml", "line": 119}
        })
    );
    // Identity attributes with the inputs the mapping read.
    let dept = named(&e["attributes"], "department");
    assert_eq!(
        dept["mapping"]["inputs"][0],
        serde_json::json!({"name": "source:employees.Department", "value": "Sales"})
    );
    assert_eq!(
        e["records"][0],
        serde_json::json!({"source": "employees", "key": "1004", "file": "policies/../examples/data/employees.csv", "row": 5})
    );
}

/// No positional tuples: every array holds objects or plain values, never arrays.
fn no_tuples(v: &serde_json::Value, path: &str) {
    match v {
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                assert!(!item.is_array(), "{path}[{i}] is an array inside an array");
                no_tuples(item, &format!("{path}[{i}]"));
            }
        }
        serde_json::Value::Object(map) => {
            for (k, item) in map {
                no_tuples(item, &format!("{path}.{k}"));
            }
        }
        _ => {}
    }
}

#[test]
fn json_validates_against_its_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(manifest().join("schemas/explain.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let runs: [&[&str]; 7] = [
        &["1004", "policies"],
        &["1004", "policies", "--all"],
        &["1004", "policies", "--only", "groups"],
        &[
            "1004",
            "policies",
            "--only",
            "active-directory.userPrincipalName",
        ],
        &["marcus.webb@northwind.example", "policies"],
        &["1001", "policies"],
        &["3001", "policies"],
    ];
    for args in runs {
        let e = json(args);
        let errors: Vec<String> = validator
            .iter_errors(&e)
            .map(|err| format!("{err} at {}", err.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
        no_tuples(&e, "$");
    }
    // The schema constrains: a membership without its reason is refused.
    let mut bad = json(&["1004", "policies"]);
    bad["groups"][0].as_object_mut().unwrap().remove("reason");
    assert!(validator.iter_errors(&bad).count() > 0);
}

#[test]
fn one_topic_with_only() {
    let e = json(&["1004", "policies", "--only", "groups"]);
    assert!(e.get("groups").is_some());
    for absent in ["attributes", "access_packages", "accounts"] {
        assert!(e.get(absent).is_none(), "{absent}");
    }
    let r = explain(&["1004", "policies", "--only", "department"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("  department = \"Sales\"  <- expression Coalesce("),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("givenName ="), "{}", r.stdout);
    assert!(!r.stdout.contains("accounts:"), "{}", r.stdout);
    let r = explain(&["1004", "policies", "--only", "erp.userName"]);
    assert!(
        r.stdout.contains(
            "      userName = \"Marcus.Webb@northwind.example\"  <- direct attribute:mail"
        ),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("externalId"), "{}", r.stdout);
    let r = explain(&["1004", "policies", "--only", "departmnt"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("did you mean `department`?"),
        "{}",
        r.stderr
    );
    let r = explain(&["1004", "policies", "--only", "groups", "--all"]);
    assert_eq!(r.code, 2, "--all and --only conflict: {}", r.stderr);
}

#[test]
fn find_by_key_or_unique_attribute() {
    // A mail address, in any case: copied from an HR field, found without evaluating anyone.
    let e = json(&["MARCUS.WEBB@northwind.example", "policies"]);
    assert_eq!(e["key"], "1004");
    assert_eq!(e["found_by"]["attribute"], "mail");
    // A user name computed by an expression.
    // Found from the user name's cone alone, then explained as by key (not from everyone).
    let e = json(&["mwebb", "policies"]);
    assert_eq!(e["key"], "1004");
    assert_eq!(e["found_by"]["attribute"], "userName");
    assert_eq!(e["evaluated"]["scope"], "sequential-related");
    // Ambiguous: the candidates, bounded, and exit 1.
    let r = explain(&["Sales", "policies"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "error: `Sales` matches 8 identities; give the key of one:\n  1004 (by department)\n"
        ),
        "{}",
        r.stderr
    );
    let r = explain(&["Active", "policies"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.lines().filter(|l| l.starts_with("  ")).count(),
        11,
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("\n  and "), "{}", r.stderr);
    // Not found: the nearest key or user name.
    let r = explain(&["104", "policies"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("did you mean `1004`?"), "{}", r.stderr);
    let r = explain(&["mweb", "policies"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("did you mean `mwebb`?"), "{}", r.stderr);
}

/// A copy of the example (policies and data) in a fresh repository, with `edit` applied to
/// each policy file's text.
fn example_copy(name: &str, edit: impl Fn(&str) -> String) -> PathBuf {
    let root = std::env::temp_dir().join(format!("roster-explain-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join(".git")).unwrap();
    for dir in ["policies", "examples/data"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
        for entry in std::fs::read_dir(manifest().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let text = std::fs::read_to_string(&path).unwrap();
                let text = if dir == "policies" { edit(&text) } else { text };
                std::fs::write(root.join(dir).join(path.file_name().unwrap()), text).unwrap();
            }
        }
    }
    root
}

/// The focused evaluation explains every identity exactly as a full evaluation does: the
/// key-order prefix with `SelectUniqueValue` in the policy set, the person alone without.
#[test]
fn focused_evaluation_equals_full_evaluation() {
    use roster::eval::{self, Options, explain};
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let plain = example_copy("plain", |t| t.replace("SelectUniqueValue(", "Coalesce("));
    // A sequential identity attribute: other attributes and rules may read it, so the whole
    // prefix is evaluated.
    let identity = example_copy("identity", |t| {
        t.replace(
            "expression: Coalesce([employees.UserID], [contractors.UserID], [interns.UserID])",
            "expression: SelectUniqueValue(Coalesce([employees.UserID], [contractors.UserID], [interns.UserID]), \"x\")",
        )
    });
    for (root, scope) in [
        (manifest().to_path_buf(), "sequential-related"),
        (plain.clone(), "person"),
        (identity.clone(), "prefix"),
    ] {
        let sequential = scope != "person";
        let loaded = roster::policy::load::load(&root.join("policies")).unwrap();
        let mut diagnostics = Vec::new();
        let policy = roster::policy::compile::compile(&loaded, &mut diagnostics);
        assert_eq!(explain::focus::has_sequential(&policy), sequential);
        let state = eval::evaluate(&loaded, &policy, Options::at(as_of));
        let keys: Vec<String> = state.identities.keys().map(str::to_string).collect();
        assert!(keys.len() > 30);
        for (i, key) in keys.iter().enumerate() {
            let full = explain::explain_key(&loaded, &policy, &state, key).unwrap();
            let f = explain::focus::focus(&loaded, &policy, Options::at(as_of), key).unwrap();
            assert_eq!(f.evaluated.population, keys.len());
            // The people before whose candidates can meet the person's, and the person: at
            // most the prefix.
            let identities = match scope {
                "prefix" => i + 1,
                "sequential-related" => f.evaluated.identities.clamp(1, i + 1),
                _ => 1,
            };
            // A person whose assignment record is approved through a group (the bundled
            // example's on-call and intern records) is explained from everyone.
            let expected = if roster::governance::assignments::needs_others(&loaded, key) {
                ("everyone", keys.len())
            } else {
                (scope, identities)
            };
            assert_eq!(
                (f.evaluated.scope, f.evaluated.identities),
                expected,
                "{key}"
            );
            let focused = explain::explain(
                &loaded,
                &policy,
                &f.state,
                f.index,
                f.found_by,
                f.evaluated,
                &explain::View::All,
            )
            .unwrap();
            let strip = |e: &explain::Explanation| {
                let mut v = serde_json::to_value(e).unwrap();
                v.as_object_mut().unwrap().remove("evaluated");
                v
            };
            assert_eq!(strip(&focused), strip(&full), "{key}");
        }
    }
    let _ = std::fs::remove_dir_all(&plain);
    let _ = std::fs::remove_dir_all(&identity);
}

/// The same on a generated organisation, where names collide and `SelectUniqueValue` takes
/// its later candidates: every twentieth identity and the last. Only the people whose
/// candidates meet are evaluated before the person: for the last one, far fewer than the
/// prefix.
#[test]
fn focused_evaluation_equals_full_evaluation_generated() {
    use roster::eval::{self, Options, explain};
    let root = std::env::temp_dir().join(format!("roster-explain-gen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let out = root.to_str().unwrap();
    let r = roster_in(
        manifest(),
        &["generate", "--identities", "400", "--out", out],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::create_dir_all(root.join(".git")).unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let loaded = roster::policy::load::load(&root.join("policies")).unwrap();
    let mut diagnostics = Vec::new();
    let policy = roster::policy::compile::compile(&loaded, &mut diagnostics);
    let state = eval::evaluate(&loaded, &policy, Options::at(as_of));
    let keys: Vec<String> = state.identities.keys().map(str::to_string).collect();
    let picked = keys.iter().step_by(20).chain(keys.last());
    let mut taken_later = 0;
    for key in picked {
        let full = explain::explain_key(&loaded, &policy, &state, key).unwrap();
        let f = explain::focus::focus(&loaded, &policy, Options::at(as_of), key).unwrap();
        assert_eq!(f.evaluated.scope, "sequential-related");
        let at = keys.iter().position(|k| k == key).unwrap();
        assert!(f.evaluated.identities <= at + 1, "{key}");
        if Some(key) == keys.last() {
            assert!(f.evaluated.identities < keys.len() / 4, "{:?}", f.evaluated);
        }
        if f.evaluated.identities > 1 {
            taken_later += 1;
        }
        let focused = explain::explain(
            &loaded,
            &policy,
            &f.state,
            f.index,
            f.found_by,
            f.evaluated,
            &explain::View::All,
        )
        .unwrap();
        let strip = |e: &explain::Explanation| {
            let mut v = serde_json::to_value(e).unwrap();
            v.as_object_mut().unwrap().remove("evaluated");
            v
        };
        assert_eq!(strip(&focused), strip(&full), "{key}");
    }
    // Some of the people checked share a candidate with someone before them.
    assert!(taken_later > 0);
    let _ = std::fs::remove_dir_all(&root);
}

/// Found by a computed attribute (a user name from an expression, a mail address built from
/// it), a person is explained exactly as when found by key, by the same focused evaluation
/// (not one of everyone): the first, the middle and the last in key order of a generated
/// organisation. A near miss still gets its did-you-mean.
#[test]
fn explain_by_computed_attribute_equals_explain_by_key() {
    use roster::eval::{self, Options, explain};
    let root = std::env::temp_dir().join(format!("roster-explain-attr-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let out = root.to_str().unwrap();
    let r = roster_in(
        manifest(),
        &["generate", "--identities", "300", "--out", out],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::create_dir_all(root.join(".git")).unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let loaded = roster::policy::load::load(&root.join("policies")).unwrap();
    let mut diagnostics = Vec::new();
    let policy = roster::policy::compile::compile(&loaded, &mut diagnostics);
    let state = eval::evaluate(&loaded, &policy, Options::at(as_of));
    let keys: Vec<String> = state.identities.keys().map(str::to_string).collect();
    let n = keys.len();
    let json = |f: explain::focus::Focus| {
        let e = explain::explain(
            &loaded,
            &policy,
            &f.state,
            f.index,
            f.found_by,
            f.evaluated,
            &explain::View::All,
        )
        .unwrap();
        let mut v = serde_json::to_value(&e).unwrap();
        let by = v.as_object_mut().unwrap().remove("found_by").unwrap();
        (v, by)
    };
    // The last worker (guests come last in key order and have a mail address, no user name).
    let worker = (0..n)
        .rev()
        .find(|&i| !state.identities.get(i).unwrap().attributes["userName"].is_null())
        .unwrap();
    assert!(worker < n - 1);
    let mut by_user_name = 0;
    for i in [0, n / 2, worker, n - 1] {
        let key = &keys[i];
        let person = state.identities.get(i).unwrap();
        let (by_key, _) =
            json(explain::focus::focus(&loaded, &policy, Options::at(as_of), key).unwrap());
        assert_ne!(by_key["evaluated"]["scope"], "everyone", "{key}");
        for attribute in ["userName", "mail"] {
            let Some(value) = person.attributes[attribute]
                .as_text()
                .map(|t| t.into_owned())
            else {
                continue;
            };
            by_user_name += usize::from(attribute == "userName");
            // Not a copy of one field: `userName` coalesces three sources, `mail` joins.
            let f = explain::focus::focus(&loaded, &policy, Options::at(as_of), &value).unwrap();
            assert_eq!(f.found_by.attribute, attribute, "{value}");
            let (by_attribute, found_by) = json(f);
            assert_eq!(
                found_by,
                serde_json::json!({"attribute": attribute, "value": value})
            );
            assert_eq!(by_attribute, by_key, "{key} by {attribute} `{value}`");
        }
    }
    assert_eq!(by_user_name, 3);
    // A user name with a letter too many: not found, and the nearest one suggested.
    let name = state.identities.get(n / 2).unwrap().attributes["userName"]
        .as_text()
        .unwrap()
        .into_owned();
    let typo = &format!("{name}q");
    match explain::focus::focus(&loaded, &policy, Options::at(as_of), typo) {
        Err(explain::focus::Miss::NotFound(Some(near))) => {
            assert!(roster::diagnostics::did_you_mean(typo, [near.as_str()]).is_some());
        }
        other => panic!("{typo}: {:?}", other.map(|f| f.found_by)),
    }
    let _ = std::fs::remove_dir_all(&root);
}
