//! End-to-end tests of how bad data is reported (issue 8, section 4): a value a rule cannot
//! decide on is undetermined for its identity only; separation-of-duties conflicts have their
//! own section in every format and can fail the run; every data problem names its file, row
//! and field; a source that is missing, unreadable or empty stops `eval` and `explain`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
mod common;
use common::{Run, roster_in};

/// A fresh directory holding `files` (name, content).
fn project(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-dp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr))
}

fn identity<'a>(state: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    state["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == key)
        .unwrap_or_else(|| panic!("no identity {key}"))
}

// ------------------------------------------------------------------------------------------
// 1. A value a rule cannot decide on is undetermined for its identity only
// ------------------------------------------------------------------------------------------

const UNDECIDABLE: &str = r#"sources:
  hr:
    format: csv
    path: hr.csv
    key: id
    fields:
      id: string
      dept: string
      city: string
identity:
  attributes:
    employeeId:
      source: hr.id
    department:
      source: hr.dept
    city:
      source: hr.city
groups:
  sales:
    # `.` may be half a character in .NET: an emoji makes the match undecidable.
    rule: user.department -match "^S.les$"
  sales-or-oslo:
    rule: user.department -match "^S.les$" -or user.city -eq "Oslo"
  in-sales:
    rule: user.memberOf -any (group.objectId -in ['sales'])
access_packages:
  crm:
    resources:
      - group: crm-users
    auto_assignment:
      rule: user.department -match "^S.les$"
targets:
  crm-app:
    kind: directory
    deletion_threshold: 50
    matching: [employeeId]
    scope:
      groups: [sales]
    mappings:
      employeeId:
        source: employeeId
"#;

const UNDECIDABLE_GROUPS: &str = "groups:\n  crm-users:\n    members: []\n";

fn undecidable() -> PathBuf {
    project(
        "undecidable",
        &[
            ("policy.yaml", UNDECIDABLE),
            ("groups.yaml", UNDECIDABLE_GROUPS),
            (
                "hr.csv",
                "id,dept,city\n1,Sales,Lagos\n2,S\u{1F600}les,Lagos\n3,S\u{1F600}les,Oslo\n4,HR,Lagos\n",
            ),
        ],
    )
}

#[test]
fn one_undecidable_value_leaves_everyone_else_decided() {
    let dir = undecidable();
    let r = roster_in(&dir, &["eval", ".", "--as-of", "2026-01-15"]);
    assert_eq!(
        r.code, 1,
        "an undetermined membership is an error: {}",
        r.stderr
    );
    let state = json(&r);
    // Everyone else is decided normally.
    assert_eq!(state["summary"]["groups"]["sales"], 1);
    assert_eq!(
        identity(&state, "1")["groups"],
        serde_json::json!(["crm-users", "in-sales", "sales", "sales-or-oslo"])
    );
    assert_eq!(identity(&state, "4")["groups"], serde_json::json!([]));
    // `-or` with a true side decides despite the undecidable side.
    assert!(
        identity(&state, "3")["groups"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("sales-or-oslo"))
    );
    // Identity 2: undetermined, never granted, and so is what depends on it.
    let two = identity(&state, "2");
    assert_eq!(two["groups"], serde_json::json!([]));
    assert_eq!(two["access_packages"], serde_json::json!([]));
    assert_eq!(two["accounts"], serde_json::json!({}));
    let of: Vec<&str> = two["undetermined"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["of"].as_str().unwrap())
        .collect();
    assert_eq!(
        of,
        [
            "access_package:crm",
            "account:crm-app",
            "group:crm-users",
            "group:in-sales",
            "group:sales",
            "group:sales-or-oslo"
        ]
    );
    assert!(
        two["undetermined"][4]["reason"]
            .as_str()
            .unwrap()
            .contains("U+1F600")
    );
    assert!(identity(&state, "1").get("undetermined").is_none());
    assert_eq!(state["summary"]["undetermined"]["group:sales"], 2);
    // The cause is reported per identity with file, row and field, never as one
    // identity-less error.
    let issues = state["issues"].as_array().unwrap();
    let e130: Vec<&serde_json::Value> = issues.iter().filter(|i| i["code"] == "E130").collect();
    assert!(!e130.is_empty());
    assert!(issues.iter().all(|i| i["code"] != "E104"), "{issues:?}");
    for i in &e130 {
        assert_eq!(i["file"], "hr.csv", "{i}");
        assert_eq!(i["field"], "dept", "{i}");
        let row = i["row"].as_u64().unwrap();
        let msg = i["message"].as_str().unwrap();
        assert!(
            (row == 3 && msg.starts_with("identity `2`"))
                || (row == 4 && msg.starts_with("identity `3`")),
            "{i}"
        );
    }
    // Markdown: the count.
    let r = roster_in(
        &dir,
        &["eval", ".", "--as-of", "2026-01-15", "--format", "markdown"],
    );
    assert!(r.stdout.contains("### Undetermined"), "{}", r.stdout);
    assert!(r.stdout.contains("| `group:sales` | 2 |"), "{}", r.stdout);
    // `explain` says why.
    let r = roster_in(&dir, &["explain", "2", ".", "--as-of", "2026-01-15"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("? sales: undetermined, so not granted: the input contains"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("undecided: user.department -match"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "crm-app: undetermined — no account: in the target's scope only through a group or access package whose membership is undetermined"
        ),
        "{}",
        r.stdout
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A `NOT REGEX MATCH` scoping clause that cannot be decided on a value used to count as "does
/// not match", putting the identity in scope: now it grants no account, and says why.
#[test]
fn an_undecidable_scoping_filter_grants_no_account() {
    let dir = project(
        "scope-filter",
        &[
            (
                "policy.yaml",
                r#"sources:
  hr:
    format: csv
    path: hr.csv
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
targets:
  erp:
    kind: directory
    deletion_threshold: 50
    matching: [employeeId]
    scope:
      sync: all
      filters:
        - - {attribute: department, operator: NOT REGEX MATCH, value: "^T.mps$"}
    mappings:
      employeeId:
        source: employeeId
"#,
            ),
            ("hr.csv", "id,dept\n1,Sales\n2,T\u{1F600}mps\n3,Temps\n"),
        ],
    );
    let r = roster_in(&dir, &["eval", ".", "--as-of", "2026-01-15"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let state = json(&r);
    assert!(identity(&state, "1")["accounts"]["erp"].is_object());
    assert_eq!(identity(&state, "2")["accounts"], serde_json::json!({}));
    assert_eq!(identity(&state, "3")["accounts"], serde_json::json!({}));
    assert_eq!(
        identity(&state, "2")["undetermined"][0]["of"],
        "account:erp"
    );
    let issue = &state["issues"][0];
    assert_eq!(
        (&issue["code"], &issue["row"], &issue["field"]),
        (
            &serde_json::json!("E130"),
            &serde_json::json!(3),
            &serde_json::json!("dept")
        )
    );
    let r = roster_in(&dir, &["explain", "2", ".", "--as-of", "2026-01-15"]);
    assert!(
        r.stdout.contains(
            "erp: undetermined — no account: the scoping filter on `department` cannot be decided"
        ),
        "{}",
        r.stdout
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ------------------------------------------------------------------------------------------
// 2. Separation-of-duties conflicts
// ------------------------------------------------------------------------------------------

fn sod(name: &str, setting: &str) -> PathBuf {
    // Declared on one side only, on the package that sorts second: it must still count.
    let packages = format!(
        r#"access_packages:
  approve:
    auto_assignment:
      rule: user.jobTitle -startsWith "Manager"
  create:
    auto_assignment:
      rule: user.department -eq "Finance"
{setting}    incompatible_packages: [approve]
    incompatible_groups: [contractors]
groups:
  contractors:
    rule: user.employeeType -eq "Contractor"
"#
    );
    project(
        name,
        &[
            (
                "policies/identity.yaml",
                r#"sources:
  hr:
    format: csv
    path: ../hr.csv
    key: id
    fields:
      id: string
      dept: string
      title: string
      type: string
identity:
  attributes:
    employeeId:
      source: hr.id
    department:
      source: hr.dept
    jobTitle:
      source: hr.title
    employeeType:
      source: hr.type
"#,
            ),
            ("policies/packages.yaml", &packages),
            (
                "hr.csv",
                "id,dept,title,type\n1,Finance,Manager AP,Employee\n2,Finance,Clerk,Contractor\n3,Sales,Manager,Employee\n",
            ),
        ],
    )
}

#[test]
fn conflicts_have_their_own_section_everywhere() {
    let dir = sod("sod", "");
    let r = roster_in(&dir, &["eval", "policies", "--as-of", "2026-01-15"]);
    assert_eq!(r.code, 0, "conflicts are warnings by default: {}", r.stderr);
    let state = json(&r);
    assert_eq!(state["summary"]["conflicts"], 2);
    let conflicts = state["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 2, "{conflicts:?}");
    assert_eq!(
        conflicts[0],
        serde_json::json!({
            "identity": "1",
            "severity": "warning",
            "first": {"kind": "access_package", "name": "approve"},
            "second": {"kind": "access_package", "name": "create"},
            "declared_at": {"file": "policies/packages.yaml", "line": 8, "column": 29}
        })
    );
    assert_eq!(conflicts[1]["identity"], "2");
    assert_eq!(conflicts[1]["second"]["kind"], "group");
    assert_eq!(conflicts[1]["declared_at"]["line"], 9);
    // The diagnostic points at the declaration.
    let e201: Vec<&serde_json::Value> = state["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["code"] == "E201")
        .collect();
    assert_eq!(e201.len(), 2);
    assert_eq!(e201[0]["file"], "policies/packages.yaml");
    assert_eq!(e201[0]["row"], 8);
    assert_eq!(
        e201[0]["field"],
        "access_packages.create.incompatible_packages"
    );
    // Markdown: a section with a severity column.
    let r = roster_in(
        &dir,
        &[
            "eval",
            "policies",
            "--as-of",
            "2026-01-15",
            "--format",
            "markdown",
        ],
    );
    assert!(
        r.stdout.contains("### Separation-of-duties conflicts"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "| warning | `1` | access package `approve` | access package `create` | policies/packages.yaml:8 |"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("| severity | code | problems | first at | first problem |"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("policies/packages.yaml line 8"),
        "{}",
        r.stdout
    );
    // YAML.
    let r = roster_in(
        &dir,
        &[
            "eval",
            "policies",
            "--as-of",
            "2026-01-15",
            "--format",
            "yaml",
        ],
    );
    assert!(
        r.stdout
            .contains("conflicts:\n- identity: \"1\"\n  severity: warning"),
        "{}",
        r.stdout
    );
    // CSV: conflicts.csv.
    let out = dir.join("out");
    let r = roster_in(
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
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(out.join("conflicts.csv")).unwrap(),
        "key,severity,first_kind,first,second_kind,second,file,line,column\n\
         1,warning,access_package,approve,access_package,create,policies/packages.yaml,8,29\n\
         2,warning,access_package,create,group,contractors,policies/packages.yaml,9,27\n"
    );
    // `explain`.
    let r = roster_in(&dir, &["explain", "1", "policies", "--as-of", "2026-01-15"]);
    assert!(
        r.stdout.contains(
            "separation of duties:\n  warning: holds access package `approve` and access package `create`, declared incompatible  [policies/packages.yaml:8]"
        ),
        "{}",
        r.stdout
    );
    // CI can fail on them: the flag...
    let r = roster_in(
        &dir,
        &[
            "eval",
            "policies",
            "--as-of",
            "2026-01-15",
            "--deny-conflicts",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(json(&r)["conflicts"][0]["severity"], "error");
    let _ = std::fs::remove_dir_all(&dir);
    // ...or the setting on the package.
    let dir = sod("sod-error", "    separation_of_duties: error\n");
    let r = roster_in(&dir, &["eval", "policies", "--as-of", "2026-01-15"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let state = json(&r);
    assert_eq!(state["conflicts"][0]["severity"], "error");
    assert_eq!(state["conflicts"][0]["declared_at"]["line"], 9);
    let _ = std::fs::remove_dir_all(&dir);
}

// ------------------------------------------------------------------------------------------
// 5. Every data problem caused by a record names its file, row and field
// ------------------------------------------------------------------------------------------

#[test]
fn every_record_problem_names_file_row_and_field() {
    let dir = project(
        "located",
        &[
            (
                "policies/p.yaml",
                r#"sources:
  hr:
    format: csv
    path: ../data/hr.csv
    key: id
    fields:
      id: string
      boss: string
      hired: string
  mailboxes:
    format: csv
    path: ../data/mailboxes.csv
    key: box
    fields:
      box: string
      owner: string
identity:
  correlation:
    - left: hr.id
      right: mailboxes.owner
  attributes:
    employeeId:
      source: hr.id
    manager:
      source: hr.boss
    mail:
      source: mailboxes.box
    hireDate:
      type: datetime
      expression: CDate([hr.hired])
groups:
  team:
    members: ["1", "9"]
"#,
            ),
            (
                "data/hr.csv",
                "id,boss,hired\n1,,2024-01-01\n2,7,2024-01-01\n3,3,someday\n",
            ),
            (
                "data/mailboxes.csv",
                "box,owner\na@example.com,1\nb@example.com,1\n",
            ),
        ],
    );
    let r = roster_in(&dir, &["eval", "policies", "--as-of", "2026-01-15"]);
    let state = json(&r);
    let issues = state["issues"].as_array().unwrap();
    let find = |code: &str| -> &serde_json::Value {
        issues
            .iter()
            .find(|i| i["code"] == code)
            .unwrap_or_else(|| panic!("no {code}: {issues:?}"))
    };
    let at = |i: &serde_json::Value| {
        (
            i["file"].as_str().unwrap().replace('\\', "/"),
            i["row"].as_u64(),
            i["field"].as_str().map(str::to_string),
        )
    };
    // A manager that is nobody: the record and field it comes from.
    assert_eq!(
        at(find("D106")),
        (
            "policies/../data/hr.csv".into(),
            Some(3),
            Some("boss".into())
        )
    );
    assert_eq!(
        at(find("D107")),
        (
            "policies/../data/hr.csv".into(),
            Some(4),
            Some("boss".into())
        )
    );
    // An expression that fails: the identity's record, and the attribute.
    assert_eq!(
        at(find("E102")),
        (
            "policies/../data/hr.csv".into(),
            Some(4),
            Some("hireDate".into())
        )
    );
    // Two mailboxes for one person: the file (not the source's name), the row, the field.
    assert_eq!(
        at(find("E202")),
        (
            "policies/../data/mailboxes.csv".into(),
            Some(3),
            Some("owner".into())
        )
    );
    // A static member who is nobody: the policy file and line of the entry.
    assert_eq!(
        at(find("E203")),
        (
            "policies/p.yaml".into(),
            Some(33),
            Some("groups.team.members".into())
        )
    );
    // Every issue has a file; every issue about a record has a row and a field.
    for i in issues {
        assert!(!i["file"].as_str().unwrap().is_empty(), "{i}");
        assert!(i["row"].is_u64(), "{i}");
        assert!(i["field"].is_string(), "{i}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ------------------------------------------------------------------------------------------
// 6. A source that is missing, unreadable or empty stops eval and explain
// ------------------------------------------------------------------------------------------

const TWO_SOURCES: &str = r#"sources:
  hr:
    format: csv
    path: hr.csv
    key: id
    fields:
      id: string
  contractors:
    format: csv
    path: contractors.csv
    key: id
OPTIONAL    fields:
      id: string
identity:
  correlation:
    - left: hr.id
      right: contractors.id
  attributes:
    employeeId:
      source: hr.id
"#;

#[test]
fn a_missing_unreadable_or_empty_source_stops_eval() {
    let cases: [(&str, &str, Option<&str>, &str); 4] = [
        ("missing", "", None, "cannot read the file"),
        (
            "empty",
            "",
            Some("id\n"),
            "source `contractors` yields no records",
        ),
        (
            "no-key-column",
            "",
            Some("name\nx\n"),
            "source `contractors` could not be read",
        ),
        (
            "garbage",
            "",
            Some("\u{0}\u{1}\u{2}"),
            "source `contractors`",
        ),
    ];
    for (name, optional, contractors, says) in cases {
        let mut files = vec![
            ("policy.yaml", TWO_SOURCES.replace("OPTIONAL", optional)),
            ("hr.csv", "id\n1\n".to_string()),
        ];
        if let Some(text) = contractors {
            files.push(("contractors.csv", text.to_string()));
        }
        let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
        let dir = project(name, &files);
        for args in [
            &["eval", ".", "--as-of", "2026-01-15"][..],
            &["eval", ".", "--as-of", "2026-01-15", "--format", "markdown"][..],
            &["explain", "1", ".", "--as-of", "2026-01-15"][..],
        ] {
            let r = roster_in(&dir, args);
            assert_eq!(r.code, 2, "{name} {args:?}: {}", r.stderr);
            assert_eq!(r.stdout, "", "{name} {args:?}: no report");
            assert!(r.stderr.contains("D112"), "{name}: {}", r.stderr);
            assert!(r.stderr.contains(says), "{name}: {}", r.stderr);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    // `optional: true` allows no records, not a missing file.
    let dir = project(
        "optional",
        &[
            (
                "policy.yaml",
                &TWO_SOURCES.replace("OPTIONAL", "    optional: true\n"),
            ),
            ("hr.csv", "id\n1\n"),
            ("contractors.csv", "id\n"),
        ],
    );
    let r = roster_in(&dir, &["eval", ".", "--as-of", "2026-01-15"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r)["summary"]["identities"], 1);
    std::fs::remove_file(dir.join("contractors.csv")).unwrap();
    let r = roster_in(&dir, &["eval", ".", "--as-of", "2026-01-15"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // Every source optional and empty: nobody to evaluate is not a report.
    std::fs::write(dir.join("contractors.csv"), "id\n").unwrap();
    std::fs::write(
        dir.join("policy.yaml"),
        TWO_SOURCES
            .replace("OPTIONAL", "    optional: true\n")
            .replace(
                "    key: id\n    fields:\n      id: string\n  contractors",
                "    key: id\n    optional: true\n    fields:\n      id: string\n  contractors",
            ),
    )
    .unwrap();
    std::fs::write(dir.join("hr.csv"), "id\n").unwrap();
    let r = roster_in(&dir, &["eval", ".", "--as-of", "2026-01-15"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("the sources yield no records"),
        "{}",
        r.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}
