#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};

use super::*;
use crate::diagnostics::Severity;

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/actual")
        .join(path)
}

fn opts(format: Format, kind: ObjectKind) -> ReadOptions {
    ReadOptions {
        format,
        kind,
        ..ReadOptions::default()
    }
}

fn graph() -> ReadOptions {
    opts(Format::Graph, ObjectKind::Users)
}

/// Reads a fixture that must read.
fn read_ok(path: &str, options: &ReadOptions) -> (Accounts, Vec<DataIssue>) {
    let (accounts, issues) = read(&fixture(path), options);
    (accounts.expect("accounts"), issues)
}

/// Reads text as one file named `name`.
fn text(name: &str, text: &str, options: &ReadOptions) -> (Option<Accounts>, Vec<DataIssue>) {
    read_bytes(&[(name.to_string(), text.as_bytes().to_vec())], options)
}

/// Issues as `code file-suffix:row field` lines, for compact assertions.
fn brief(issues: &[DataIssue]) -> Vec<String> {
    issues
        .iter()
        .map(|i| {
            let file = Path::new(&i.file)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let sev = if i.severity == Severity::Warning {
                " (warning)"
            } else {
                ""
            };
            format!(
                "{}{sev} {file}:{} {}",
                i.code.as_str(),
                i.row.map_or("-".to_string(), |r| r.to_string()),
                i.field.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

fn s(x: &str) -> Value {
    Value::Str(x.to_string())
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|x| s(x)).collect())
}

fn date(y: i32, m: u32, d: u32, h: u32, mi: u32, sec: u32, nano: u32) -> Value {
    Value::Date(
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_nano_opt(h, mi, sec, nano)
            .unwrap(),
    )
}

fn value(accounts: &Accounts, r: usize, name: &str) -> Value {
    match accounts.cell(r, name) {
        Cell::Value(v) => v.clone(),
        other => panic!("row {r} `{name}` is {other:?}"),
    }
}

fn ids(accounts: &Accounts) -> Vec<&str> {
    (0..accounts.len()).map(|r| accounts.id(r)).collect()
}

// ---------------------------------------------------------------- Graph

#[test]
fn graph_pages_are_read_in_name_order_with_absent_null_and_empty_apart() {
    let (a, issues) = read_ok("graph/users-pages", &graph());
    assert!(issues.is_empty(), "{:?}", brief(&issues));
    assert_eq!(
        ids(&a),
        [
            "0b4e8f2a-5c1d-4e7b-9a63-2f8d1c0e7a14",
            "7d2c9e41-3b8a-4f60-8d15-6e0a9b2c4f37",
            "c3a1f5e8-92d4-4b7c-a0e6-8f1b3d5c7e29",
            "5e6f7a8b-1c2d-4e3f-8a9b-0c1d2e3f4a5b"
        ]
    );
    let (file, line) = a.location(2).unwrap();
    assert!(file.ends_with("page-002.json"), "{file}");
    assert_eq!(line, 4, "the object's first line");
    assert_eq!(a.location(0).unwrap().1, 6);
    // null, empty, absent
    assert_eq!(a.cell(1, "employeeId"), Cell::Null);
    assert_eq!(a.cell(1, "department"), Cell::Value(&s("")));
    assert_eq!(
        a.cell(2, "onPremisesExtensionAttributes.extensionAttribute1"),
        Cell::Absent
    );
    assert_eq!(
        a.cell(0, "onPremisesExtensionAttributes.extensionAttribute2"),
        Cell::Null
    );
    assert_eq!(
        value(&a, 0, "onPremisesExtensionAttributes.extensionAttribute1"),
        s("CC-4410")
    );
    assert_eq!(
        a.cell(1, "proxyAddresses"),
        Cell::Value(&Value::List(vec![]))
    );
    assert_eq!(
        value(&a, 0, "proxyAddresses"),
        list(&[
            "SMTP:anna.berg@fabrikam.example",
            "smtp:a.berg@fabrikam.example"
        ])
    );
    // manager expanded as {"id": …}; null; not expanded
    assert_eq!(
        value(&a, 0, "manager"),
        s("5e6f7a8b-1c2d-4e3f-8a9b-0c1d2e3f4a5b")
    );
    assert_eq!(a.cell(2, "manager"), Cell::Null);
    assert_eq!(a.cell(3, "manager"), Cell::Absent);
    // enabled, dates with 0 and 7 fraction digits, names case-insensitive
    assert_eq!(
        (0..4).map(|r| a.is_enabled(r)).collect::<Vec<_>>(),
        [Some(true), Some(true), Some(false), Some(true)]
    );
    assert_eq!(
        value(&a, 0, "EMPLOYEEHIREDATE"),
        date(2019, 4, 1, 0, 0, 0, 0)
    );
    assert_eq!(
        value(&a, 2, "employeeHireDate"),
        date(2016, 2, 29, 8, 0, 0, 123_456_700)
    );
    assert_eq!(a.cell(1, "employeeHireDate"), Cell::Null);
    assert_eq!(
        a.attribute("USERPRINCIPALNAME").unwrap().name,
        "userPrincipalName"
    );
    assert!(a.attribute("@odata.type").is_none() && a.attribute("id").is_none());
}

#[test]
fn graph_json_lines_read_like_the_pages() {
    let (pages, _) = read_ok("graph/users-pages", &graph());
    let (lines, issues) = read_ok("graph/users.jsonl", &graph());
    assert!(issues.is_empty(), "{:?}", brief(&issues));
    assert_eq!(ids(&lines), ids(&pages));
    assert_eq!(
        lines.locations.iter().map(|l| l.line).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    for attr in &pages.attributes {
        for r in 0..pages.len() {
            assert_eq!(
                lines.cell(r, &attr.name),
                pages.cell(r, &attr.name),
                "{} row {r}",
                attr.name
            );
        }
    }
    assert_eq!(lines.enabled, pages.enabled);
}

#[test]
fn graph_missing_next_page_and_short_count_are_incomplete_exports() {
    let (a, issues) = read_ok("graph/truncated", &graph());
    assert_eq!(a.len(), 2);
    assert_eq!(
        brief(&issues),
        ["D207 page-001.json:- -", "D207 page-001.json:- -"]
    );
    assert!(
        issues[0].message.contains("next page"),
        "{}",
        issues[0].message
    );
    assert!(
        issues[1]
            .message
            .contains("`@odata.count` is 4 but the export holds 2")
    );
}

#[test]
fn powershell_7_pascal_case_additional_properties_and_offsets() {
    let (a, issues) = read_ok("graph/users-ps7.json", &graph());
    assert!(issues.is_empty(), "{:?}", brief(&issues));
    assert_eq!(
        a.attribute("userPrincipalName").unwrap().name,
        "UserPrincipalName"
    );
    assert_eq!(
        value(&a, 0, "userprincipalname"),
        s("anna.berg@fabrikam.example")
    );
    assert_eq!(value(&a, 0, "extension_5a1e9b7c_costCenter"), s("CC-4410"));
    assert_eq!(a.cell(1, "extension_5a1e9b7c_costCenter"), Cell::Absent);
    assert_eq!(
        value(&a, 0, "manager"),
        s("5e6f7a8b-1c2d-4e3f-8a9b-0c1d2e3f4a5b")
    );
    assert_eq!(a.cell(1, "Manager"), Cell::Null);
    // -07:00 converted to UTC, 7 fraction digits kept
    assert_eq!(
        value(&a, 1, "EmployeeHireDate"),
        date(2016, 2, 29, 15, 0, 0, 639_441_600)
    );
    assert_eq!(a.is_enabled(1), Some(false));
    assert!(a.attribute("AdditionalProperties").is_none());
}

#[test]
fn powershell_depth_truncation_is_reported_not_read() {
    let (a, issues) = read_ok("graph/users-ps7-depth2.json", &graph());
    assert_eq!(
        brief(&issues),
        [
            "D208 users-ps7-depth2.json:2 Manager.AdditionalProperties",
            "D208 users-ps7-depth2.json:2 AssignedLicenses"
        ]
    );
    assert!(issues[0].help.as_deref().unwrap().contains("-Depth 10"));
    assert_eq!(a.cell(0, "AssignedLicenses"), Cell::Absent);
    // The manager's id itself was written in full.
    assert_eq!(
        value(&a, 0, "Manager"),
        s("5e6f7a8b-1c2d-4e3f-8a9b-0c1d2e3f4a5b")
    );
    let (_, issues) = text(
        "u.json",
        r#"[{"Id": "1", "Identities": "System.Object[]", "Department": "System.Administration"}]"#,
        &graph(),
    );
    assert_eq!(
        brief(&issues),
        ["D208 u.json:1 Identities"],
        "a type-like text in a text property is data"
    );
}

#[test]
fn windows_powershell_utf16_and_ms_dates() {
    let (a, issues) = read_ok("graph/users-ps51.json", &graph());
    assert!(issues.is_empty(), "{:?}", brief(&issues));
    assert_eq!(value(&a, 1, "DisplayName"), s("Zoë Müller"));
    assert_eq!(
        value(&a, 0, "EmployeeHireDate"),
        date(2019, 4, 1, 0, 0, 0, 0)
    );
    assert_eq!(
        value(&a, 1, "EmployeeHireDate"),
        date(2024, 1, 15, 8, 30, 12, 0)
    );
    assert_eq!(a.location(1).unwrap().1, 10);
}

#[test]
fn graph_groups_inline_members_and_the_20_cap() {
    let o = opts(Format::Graph, ObjectKind::Groups);
    let (a, issues) = read_ok("graph/groups.json", &o);
    assert_eq!(
        brief(&issues),
        [
            "D209 (warning) groups.json:20 members",
            "D209 (warning) groups.json:108 members"
        ]
    );
    assert!(
        issues[0].message.contains("exactly 20"),
        "{}",
        issues[0].message
    );
    assert!(issues[1].message.contains("does not list its members"));
    let fin = a.members_of(0).unwrap();
    assert_eq!(
        fin.iter()
            .map(|m| (&*m.id, m.kind.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("0b4e8f2a-5c1d-4e7b-9a63-2f8d1c0e7a14", Some("user")),
            ("3c1d9e27-6a4b-4f58-b0d2-71e9a8c4f5b3", Some("group"))
        ]
    );
    assert_eq!(a.members_of(1), None, "20 expanded members may be more");
    assert_eq!(a.members_of(2), None, "not expanded");
    assert_eq!(value(&a, 2, "groupTypes"), list(&["Unified"]));
    assert!(a.attribute("members").is_none());
}

#[test]
fn graph_members_exports_replace_inline_members() {
    let mut o = opts(Format::Graph, ObjectKind::Groups);
    o.members = Some(fixture("graph/members"));
    let (a, issues) = read_ok("graph/groups.json", &o);
    assert!(issues.is_empty(), "{:?}", brief(&issues));
    let staff = a.members_of(1).unwrap();
    assert_eq!(staff.len(), 24);
    assert_eq!(staff[23].kind.as_deref(), Some("device"));
    assert_eq!(a.members_of(2).unwrap().len(), 1);
    assert_eq!(
        a.members_of(0).unwrap().len(),
        2,
        "inline, no members export"
    );
}

#[test]
fn graph_members_export_with_a_missing_page_leaves_the_membership_unknown() {
    let dir = tempdir("members-cut");
    let group = dir.join("members/3c1d9e27-6a4b-4f58-b0d2-71e9a8c4f5b3");
    std::fs::create_dir_all(&group).unwrap();
    std::fs::copy(
        fixture("graph/members/3c1d9e27-6a4b-4f58-b0d2-71e9a8c4f5b3/page-001.json"),
        group.join("page-001.json"),
    )
    .unwrap();
    std::fs::write(dir.join("members/0000.json"), r#"{"value": []}"#).unwrap();
    let mut o = opts(Format::Graph, ObjectKind::Groups);
    o.members = Some(dir.join("members"));
    let (a, issues) = read_ok("graph/groups.json", &o);
    assert_eq!(
        brief(&issues),
        [
            "D207 page-001.json:- -",
            "D215 (warning) members:- -",
            "D209 (warning) groups.json:108 members"
        ]
    );
    assert_eq!(a.members_of(1), None);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn graph_access_package_assignments() {
    let o = opts(Format::Graph, ObjectKind::Assignments);
    let (a, issues) = read_ok("graph/assignments.json", &o);
    assert!(issues.is_empty(), "{:?}", brief(&issues));
    assert_eq!(a.len(), 2);
    assert_eq!(
        value(&a, 0, "target.objectId"),
        s("0b4e8f2a-5c1d-4e7b-9a63-2f8d1c0e7a14")
    );
    assert_eq!(
        value(&a, 1, "accessPackage.id"),
        s("8f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b")
    );
    assert_eq!(
        value(&a, 0, "schedule.expiration.endDateTime"),
        date(2025, 7, 6, 9, 0, 0, 0)
    );
    assert_eq!(a.cell(1, "schedule.expiration.endDateTime"), Cell::Absent);
    assert_eq!(
        value(&a, 1, "expiredDateTime"),
        date(2024, 12, 1, 0, 0, 0, 420_000_000)
    );
    assert_eq!(value(&a, 1, "state"), s("expired"));
    assert_eq!(a.is_enabled(0), None);
}

#[test]
fn graph_malformed_objects_are_skipped_at_their_line() {
    let page = "{\n  \"value\": [\n    {\"id\": \"a\"},\n    {\n      \"id\": \"b\",\n      \"department\": Finance\n    },\n    7,\n    {\"id\": \"c\"}\n  ]\n}\n";
    let (a, issues) = text("p.json", page, &graph());
    assert_eq!(ids(&a.unwrap()), ["a", "c"]);
    assert_eq!(brief(&issues), ["D202 p.json:6 -", "D202 p.json:8 -"]);
    assert!(issues[1].message.contains("a number, not an object"));
}

#[test]
fn graph_structural_errors_name_the_line() {
    for (body, line) in [
        ("{\"value\": [\n{\"id\": \"a\"}\n", 3),
        ("{\"value\": [{\"id\": \"a\"}]\n\"x\": 1}", 2),
        ("[{\"id\": \"a\"}\n{\"id\": \"b\"}]", 2),
        ("[{\"id\": \"a\"}]\n[{\"id\": \"b\"}]", 2),
    ] {
        let (a, issues) = text("p.json", body, &graph());
        assert_eq!(a.map(|a| a.len()), Some(0), "{body}");
        assert_eq!(brief(&issues), [format!("D202 p.json:{line} -")], "{body}");
    }
    let (_, issues) = text("p.json", "", &graph());
    assert_eq!(brief(&issues), ["D202 p.json:- -"]);
    let (_, issues) = text("p.json", "\"users\"", &graph());
    assert!(issues[0].message.contains("a string, not a Graph response"));
    let (a, issues) = text("p.json", "{\"value\": []}", &graph());
    assert!(issues.is_empty() && a.unwrap().is_empty());
}

#[test]
fn graph_identifiers_missing_duplicated_and_names_repeated_in_case() {
    let page = r#"{"value": [
        {"displayName": "no id"},
        {"id": "", "displayName": "empty id"},
        {"id": "a", "department": "Finance", "Department": "Sales"},
        {"id": "a", "department": "Finance", "Department": "Sales"},
        {"id": "a", "department": "IT"}
    ]}"#;
    let (a, issues) = text("p.json", page, &graph());
    let a = a.unwrap();
    assert_eq!(ids(&a), ["a"]);
    assert_eq!(value(&a, 0, "department"), s("Finance"));
    assert_eq!(
        brief(&issues),
        [
            "D203 p.json:2 -",
            "D203 p.json:3 id",
            "D205 p.json:4 Department",
            "D204 (warning) p.json:5 -",
            "D204 p.json:6 -"
        ]
    );
}

/// A row as a tap was handed it: number, identifier, (attribute, value) cells, enabled.
type Seen = (usize, String, Vec<(String, String)>, Option<bool>);

/// A tap that keeps `mail` and records what it is handed.
#[derive(Default)]
struct Recorder {
    columns: Vec<String>,
    rows: Vec<Seen>,
}

impl Tap for Recorder {
    fn column(&mut self, column: usize, name: &str) {
        assert_eq!(column, self.columns.len(), "columns are numbered in order");
        self.columns.push(name.to_string());
    }

    fn keeps(&self, folded: &str) -> bool {
        folded == "mail"
    }

    fn row(&mut self, row: usize, id: &str, cells: &[(usize, Cell<'_>)], enabled: Option<bool>) {
        let cells = cells
            .iter()
            .map(|(c, cell)| {
                let mut slot = None;
                let v = match cell.as_value(&mut slot) {
                    Cell::Value(v) => format!("{v:?}"),
                    other => format!("{other:?}"),
                };
                (self.columns[*c].clone(), v)
            })
            .collect();
        self.rows.push((row, id.to_string(), cells, enabled));
    }
}

#[test]
fn a_tap_sees_each_row_once_and_the_accounts_keep_what_it_asks_for() {
    let page = r#"{"value": [
        {"id": "a", "department": "Finance", "Department": "Sales", "mail": "a@x", "accountEnabled": true},
        {"id": "a", "department": "Finance", "Department": "Sales", "mail": "a@x", "accountEnabled": true},
        {"id": "a", "department": "IT", "mail": "a@x", "accountEnabled": true},
        {"id": "b", "department": null, "mail": "b@x", "accountEnabled": false}
    ]}"#;
    let dir = std::env::temp_dir().join(format!("roster-actual-tap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("p.json");
    std::fs::write(&file, page).unwrap();
    let mut tap = Recorder::default();
    let (tapped, tapped_issues) = read_with(&file, &graph(), Some(&mut tap));
    let (whole, whole_issues) = read(&file, &graph());
    let _ = std::fs::remove_dir_all(&dir);
    let (tapped, whole) = (tapped.unwrap(), whole.unwrap());
    // The repeats are told apart by their content as when the export is kept whole.
    assert_eq!(brief(&tapped_issues), brief(&whole_issues));
    assert_eq!(
        brief(&tapped_issues),
        [
            "D205 p.json:2 Department",
            "D204 (warning) p.json:3 -",
            "D204 p.json:4 -"
        ]
    );
    let seen: Vec<(usize, &str, Option<bool>)> = tap
        .rows
        .iter()
        .map(|(r, id, _, e)| (*r, id.as_str(), *e))
        .collect();
    assert_eq!(seen, [(0, "a", Some(true)), (1, "b", Some(false))]);
    let first: Vec<(&str, &str)> = tap.rows[0]
        .2
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert!(
        first.contains(&("department", r#"Str("Finance")"#)),
        "{first:?}"
    );
    assert!(!first.iter().any(|(n, _)| *n == "Department"), "{first:?}");
    assert!(
        tap.rows[1]
            .2
            .contains(&("department".to_string(), "Null".to_string()))
    );
    // Only `mail` is kept; identifiers, flags and locations always are.
    assert_eq!(value(&tapped, 1, "mail"), s("b@x"));
    assert!(tapped.attribute("department").is_none());
    assert!(whole.attribute("department").is_some());
    assert_eq!(ids(&tapped), ids(&whole));
    assert_eq!(tapped.is_enabled(1), Some(false));
    assert_eq!(tapped.location(1), whole.location(1));
}

/// A repeat whose copies differ only in the value the reader ignores (the second of two
/// attributes of one name) is the same object whether the export is read with a tap (which
/// compares digests) or whole (which compares cells); and the digest keeps only the first
/// value of a name however many attributes an object has.
#[test]
fn a_repeat_that_differs_only_in_an_ignored_value_is_the_same_object() {
    let page = r#"{"value": [
        {"id": "a", "department": "Finance", "Department": "Sales", "mail": "a@x"},
        {"id": "a", "department": "Finance", "Department": "IT", "mail": "a@x"}
    ]}"#;
    let dir = std::env::temp_dir().join(format!("roster-actual-ignored-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("p.json");
    std::fs::write(&file, page).unwrap();
    let mut tap = Recorder::default();
    let (_, tapped_issues) = read_with(&file, &graph(), Some(&mut tap));
    let (_, whole_issues) = read(&file, &graph());
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(brief(&tapped_issues), brief(&whole_issues));
    assert!(
        brief(&tapped_issues).contains(&"D204 (warning) p.json:3 -".to_string()),
        "{:?}",
        brief(&tapped_issues)
    );
    // Past the names the digest keeps on the stack: the same.
    let many = |last: &str| {
        let mut rec = build::Rec::new(1);
        for k in 0..300 {
            rec.put(format!("a{k}"), Value::Int(k));
        }
        rec.put("A7".to_string(), Value::Str(last.to_string()));
        rec.digest()
    };
    assert_eq!(many("x"), many("y"));
    let mut other = build::Rec::new(1);
    for k in 0..300 {
        other.put(format!("a{k}"), Value::Int(k + 1));
    }
    assert_ne!(other.digest(), many("x"));
}

#[test]
fn graph_values_that_do_not_read() {
    let page = r#"{"value": [
        {"id": "a", "accountEnabled": "maybe", "employeeHireDate": "2024-03-01T08:00:00"},
        {"id": "b", "employeeLeaveDateTime": "soon", "manager": "5e6f7a8b", "lastSeen": "/Date(1554076800000)/"},
        {"id": "c", "AdditionalProperties": [1], "manager": {"displayName": "x"}}
    ]}"#;
    let (a, issues) = text("p.json", page, &graph());
    let a = a.unwrap();
    assert_eq!(
        brief(&issues),
        [
            "D206 (warning) p.json:2 employeeHireDate",
            "D206 p.json:2 accountEnabled",
            "D206 p.json:3 employeeLeaveDateTime",
            "D206 p.json:3 manager",
            "D206 p.json:4 AdditionalProperties",
            "D206 p.json:4 manager"
        ]
    );
    assert_eq!(a.is_enabled(0), None);
    assert_eq!(
        value(&a, 0, "employeeHireDate"),
        date(2024, 3, 1, 8, 0, 0, 0)
    );
    assert_eq!(a.cell(1, "employeeLeaveDateTime"), Cell::Absent);
    assert_eq!(a.cell(1, "manager"), Cell::Absent);
    assert_eq!(value(&a, 1, "lastSeen"), date(2019, 4, 1, 0, 0, 0, 0));
}

#[test]
fn graph_suspicious_shapes_are_warned() {
    let hundred: Vec<String> = (0..100).map(|i| format!("{{\"Id\": \"{i}\"}}")).collect();
    let (a, issues) = text("u.json", &format!("[{}]", hundred.join(",")), &graph());
    assert_eq!(a.unwrap().len(), 100);
    assert_eq!(brief(&issues), ["D212 (warning) u.json:- -"]);
    let (_, issues) = read_bytes(
        &[
            ("p1.json".into(), br#"{"value": [{"id": "a"}]}"#.to_vec()),
            ("p2.json".into(), br#"{"value": [{"id": "b"}]}"#.to_vec()),
        ],
        &graph(),
    );
    assert_eq!(brief(&issues), ["D212 (warning) p1.json:- -"]);
    let (a, issues) = read_bytes(
        &[
            ("p1.jsonl".into(), b"{\"id\": \"a\"}\n".to_vec()),
            ("p2.jsonl".into(), b"{\"id\": \"b\"}\n".to_vec()),
        ],
        &graph(),
    );
    assert_eq!(a.unwrap().len(), 2);
    assert!(
        issues.is_empty(),
        "JSON Lines files are not pages: {:?}",
        brief(&issues)
    );
    let (a, issues) = text(
        "one.json",
        r#"{"Id": "a", "DisplayName": "Anna"}"#,
        &graph(),
    );
    assert!(issues.is_empty());
    assert_eq!(value(&a.unwrap(), 0, "displayName"), s("Anna"));
}

#[test]
fn graph_assignments_without_expansions_cannot_be_joined() {
    let o = opts(Format::Graph, ObjectKind::Assignments);
    let (a, issues) = text(
        "a.json",
        r#"{"value": [{"id": "x", "state": "delivered"}]}"#,
        &o,
    );
    assert_eq!(a.unwrap().len(), 1);
    assert_eq!(brief(&issues), ["D214 a.json:1 -"]);
    assert!(issues[0].message.contains("`target` and `accessPackage`"));
}

// ---------------------------------------------------------------- reading files

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-actual-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn reading_is_bounded_and_refuses_what_is_not_a_file() {
    let mut o = graph();
    o.max_bytes = 100;
    let (a, issues) = read(&fixture("graph/users-pages"), &o);
    assert!(a.is_none());
    assert!(
        issues
            .iter()
            .any(|i| i.code == Code::ActualUnreadable && i.message.contains("limit of 100 bytes"))
    );

    let (a, issues) = read(&fixture("graph/no-such-export.json"), &graph());
    assert!(a.is_none());
    assert_eq!(brief(&issues), ["D201 no-such-export.json:- -"]);

    let dir = tempdir("files");
    std::fs::write(dir.join("notes.txt"), "x").unwrap();
    let (a, issues) = read(&dir, &graph());
    assert!(a.is_none());
    assert!(issues[0].message.contains("holds no graph export file"));
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc/hostname", dir.join("page-1.json")).unwrap();
        let (a, issues) = read(&dir, &graph());
        assert!(a.is_none());
        assert!(issues[0].message.contains("symbolic link"), "{:?}", issues);
        let fifo = dir.join("fifo.json");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let (a, issues) = read(&fifo, &graph());
            assert!(a.is_none());
            assert!(issues[0].message.contains("not a regular file"));
        }
    }
    std::fs::write(dir.join("bad.json"), [0xC3, 0x28]).unwrap();
    let (a, issues) = read(&dir.join("bad.json"), &graph());
    assert!(a.is_none() || a.unwrap().is_empty());
    assert!(issues.iter().any(|i| i.message.contains("not UTF-8")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn attributes_can_be_chosen_and_are_limited() {
    let mut o = graph();
    o.attributes = Some(vec!["DEPARTMENT".into(), "manager".into()]);
    let (a, issues) = read_ok("graph/users-pages", &o);
    assert!(issues.is_empty());
    let names: Vec<&str> = a.attributes.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["department", "manager"]);
    assert_eq!(
        a.enabled.len(),
        4,
        "enabled is read whatever the attributes"
    );
    assert_eq!(a.is_enabled(2), Some(false));

    let mut o = graph();
    o.max_attributes = 2;
    let (a, issues) = read_ok("graph/users-pages", &o);
    assert_eq!(a.attributes.len(), 2);
    assert!(
        issues
            .iter()
            .all(|i| i.code == Code::ActualUnsupported && i.severity == Severity::Warning)
    );
    assert!(!issues.is_empty());
}

#[test]
fn repeated_issues_are_counted_after_the_first_twenty() {
    let objects: Vec<String> = (0..50).map(|i| format!("{{\"name\": \"{i}\"}}")).collect();
    let (_, issues) = text(
        "p.json",
        &format!("{{\"value\": [{}]}}", objects.join(",")),
        &graph(),
    );
    assert_eq!(issues.len(), 21);
    assert_eq!(issues[20].message, "30 more like this in the file");
    assert_eq!(issues[20].code, Code::ActualMissingId);
}

#[test]
fn what_a_format_does_not_hold_is_refused() {
    let o = opts(Format::Ldif, ObjectKind::Assignments);
    let (a, issues) = text("x.ldif", "dn: cn=a\n", &o);
    assert!(a.is_none());
    assert_eq!(brief(&issues), ["D216 x.ldif:- -"]);
    let mut o = opts(Format::Scim, ObjectKind::Groups);
    o.members = Some(fixture("graph/members"));
    let (a, issues) = read(&fixture("scim/groups.json"), &o);
    assert!(a.is_some());
    assert_eq!(issues[0].code, Code::ActualUnsupported);
}

// ---------------------------------------------------------------- LDIF

fn ldif() -> ReadOptions {
    opts(Format::Ldif, ObjectKind::Users)
}

#[test]
fn ldapsearch_lll_base64_folding_and_ad_attributes() {
    let (a, issues) = read_ok("ldif/users.ldif", &ldif());
    assert!(issues.is_empty(), "{:?}", brief(&issues));
    assert_eq!(
        ids(&a),
        [
            "CN=Zoë Müller,OU=Staff,OU=Users,DC=corp,DC=fabrikam,DC=example",
            "CN=Anna Berg,OU=Staff,OU=Users,DC=corp,DC=fabrikam,DC=example"
        ]
    );
    assert_eq!(a.location(1).unwrap().1, 22);
    assert_eq!(value(&a, 0, "CN"), s("Zoë Müller"));
    assert_eq!(
        value(&a, 0, "memberOf"),
        list(&[
            "CN=APP-Payroll-Approvers (Finance EMEA),OU=Application Groups,OU=Groups,DC=corp,DC=fabrikam,DC=example",
            "CN=Staff-All,OU=Groups,DC=corp,DC=fabrikam,DC=example"
        ])
    );
    assert_eq!(
        value(&a, 1, "memberof"),
        list(&["CN=Staff-All,OU=Groups,DC=corp,DC=fabrikam,DC=example"])
    );
    assert_eq!(
        value(&a, 0, "objectGUID"),
        s("3f2a9c1e-7b4d-4e8a-9c5f-1d2e3a4b5c6d")
    );
    assert_eq!(
        value(&a, 0, "objectSid"),
        s("S-1-5-21-1111111111-2222222222-3333333333-1104")
    );
    assert_eq!(value(&a, 0, "description"), s(" leading space value"));
    assert_eq!(
        value(&a, 1, "title"),
        s("Payroll Specialist "),
        "values are never trimmed"
    );
    assert_eq!(value(&a, 1, "info"), s(""), "`attr:` is an empty value");
    assert_eq!(a.cell(0, "info"), Cell::Absent);
    assert_eq!(value(&a, 1, "cn;LANG-DE"), s("Anna Berg"));
    assert_eq!(
        value(&a, 1, "proxyAddresses"),
        list(&["SMTP:anna.berg@fabrikam.example"])
    );
    assert_eq!(value(&a, 0, "sAMAccountName"), s("zmueller"));
    assert_eq!(a.is_enabled(0), Some(false), "514 has ACCOUNTDISABLE");
    assert_eq!(a.is_enabled(1), Some(true), "66048 has not");
}

#[test]
fn ldapsearch_extended_output_and_its_result_line() {
    let (a, issues) = read_ok("ldif/users-extended.ldif", &ldif());
    assert!(issues.is_empty(), "{:?}", brief(&issues));
    assert_eq!(a.len(), 1);
    let (a, issues) = read_ok("ldif/size-limit.ldif", &ldif());
    assert_eq!(a.len(), 1);
    assert_eq!(brief(&issues), ["D207 size-limit.ldif:36 -"]);
    assert!(issues[0].message.contains("Size limit exceeded"));
}

#[test]
fn ldif_read_in_pieces_reads_as_whole() {
    let dir = std::env::temp_dir().join(format!("roster-ldif-pieces-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cases: Vec<(String, Vec<u8>, ObjectKind)> = [
        ("users.ldif", ObjectKind::Users),
        ("groups.ldif", ObjectKind::Groups),
        ("ldifde.ldf", ObjectKind::Users),
        ("users-extended.ldif", ObjectKind::Users),
    ]
    .iter()
    .map(|(f, kind)| {
        (
            f.to_string(),
            std::fs::read(fixture(&format!("ldif/{f}"))).unwrap(),
            *kind,
        )
    })
    .collect();
    // A byte-order mark, CRLF, a comment spanning a folded line, a value folded over several
    // lines, a continuation with nothing to continue, no newline at the end.
    cases.push((
        "edge.ldif".to_string(),
        b"\xEF\xBB\xBFversion: 1\r\n\r\n # stray\r\n# a comment\r\n  folded into it\r\ndn: uid=a,dc=x\r\nuid: a\r\ndescription: one\r\n  two\r\n  three\r\n\r\n\r\ndn: uid=b,dc=x\nuid: b"
            .to_vec(),
        ObjectKind::Users,
    ));
    // A line many pieces long (a value of 100,000 characters, not folded).
    cases.push((
        "long.ldif".to_string(),
        format!(
            "dn: uid=a,dc=x\nuid: a\ndescription: {}\n\ndn: uid=b,dc=x\nuid: b\n",
            "x".repeat(100_000)
        )
        .into_bytes(),
        ObjectKind::Users,
    ));
    for (name, bytes, kind) in &cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let options = opts(Format::Ldif, *kind);
        let (whole, whole_issues) =
            read_bytes(&[(path.display().to_string(), bytes.clone())], &options);
        for piece in [1, 2, 3, 7, 64, 1 << 20] {
            let (pieces, issues) = read_in_pieces(&path, &options, None, piece);
            assert_eq!(pieces, whole, "{name} in pieces of {piece}");
            assert_eq!(issues, whole_issues, "{name} in pieces of {piece}");
        }
        assert!(whole.is_some_and(|a| !a.is_empty()), "{name}");
    }
    // Over the size limit: refused, nothing read.
    let path = dir.join("users.ldif");
    let small = ReadOptions {
        max_bytes: 100,
        ..opts(Format::Ldif, ObjectKind::Users)
    };
    for piece in [7, 1 << 20] {
        let (a, issues) = read_in_pieces(&path, &small, None, piece);
        assert!(a.is_none(), "pieces of {piece}");
        assert!(
            issues
                .iter()
                .any(|i| i.message.contains("larger than the limit")),
            "{issues:?}"
        );
    }
    // Not UTF-8 on line 3: reported at its line however the file is cut.
    let path = dir.join("bad.ldif");
    std::fs::write(&path, b"dn: uid=a,dc=x\nuid: a\ncn: \xC3\x28\n").unwrap();
    for piece in [1, 5, 1 << 20] {
        let (_, issues) =
            read_in_pieces(&path, &opts(Format::Ldif, ObjectKind::Users), None, piece);
        assert_eq!(brief(&issues), ["D201 bad.ldif:3 -"], "pieces of {piece}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ldifde_crlf_and_changetype_add() {
    let (a, issues) = read_ok("ldif/ldifde.ldf", &ldif());
    assert!(issues.is_empty(), "{:?}", brief(&issues));
    assert_eq!(a.len(), 2);
    assert_eq!(
        value(&a, 0, "cn"),
        s("Lena Holm"),
        "no carriage return kept"
    );
    assert_eq!(a.is_enabled(0), Some(true));
    assert_eq!(a.is_enabled(1), Some(false), "66050 has ACCOUNTDISABLE");
    assert!(a.attribute("changetype").is_none());
}

#[test]
fn ldif_groups_members_ranges_and_empty_groups() {
    let (a, issues) = read_ok("ldif/groups.ldif", &opts(Format::Ldif, ObjectKind::Groups));
    assert_eq!(brief(&issues), ["D209 (warning) groups.ldif:12 member"]);
    let fin: Vec<&str> = a.members_of(0).unwrap().iter().map(|m| &*m.id).collect();
    assert_eq!(
        fin,
        [
            "CN=Zoë Müller,OU=Staff,OU=Users,DC=corp,DC=fabrikam,DC=example",
            "CN=Anna Berg,OU=Staff,OU=Users,DC=corp,DC=fabrikam,DC=example"
        ]
    );
    assert_eq!(
        a.members_of(1),
        None,
        "a ranged member attribute is partial"
    );
    assert_eq!(
        a.members_of(2),
        Some(&[][..]),
        "LDAP omits empty attributes"
    );
    assert!(a.attribute("member").is_none());
    assert_eq!(value(&a, 1, "groupType"), s("-2147483646"));
}

#[test]
fn ldif_refuses_url_values_and_change_records() {
    let (a, issues) = text(
        "u.ldif",
        "dn: cn=a,dc=x\njpegPhoto:< file:///etc/passwd\ncn: a\n\ndn: cn=b,dc=x\nchangetype: modify\nreplace: cn\ncn: b\n-\n\ndn: cn=c,dc=x\nchangetype: delete\n",
        &ldif(),
    );
    let a = a.unwrap();
    assert_eq!(ids(&a), ["cn=a,dc=x"]);
    assert_eq!(a.cell(0, "jpegPhoto"), Cell::Absent);
    assert_eq!(
        brief(&issues),
        [
            "D210 u.ldif:2 jpegPhoto",
            "D211 u.ldif:6 -",
            "D211 u.ldif:12 -"
        ]
    );
}

#[test]
fn ldif_malformed_lines_name_their_line() {
    let body = " continued\nversion: 2\ndn: cn=a,dc=x\nno colon here\ncn:: ***\nuserAccountControl: lots\nobjectGUID:: AAEC\nbad desc!: x\n\ncn: b\nsn: c\n\ndn:\ncn: root\n\ndn:: //79\n";
    let (a, issues) = text("u.ldif", body, &ldif());
    assert_eq!(ids(&a.unwrap()), ["cn=a,dc=x"]);
    assert_eq!(
        brief(&issues),
        [
            "D202 u.ldif:1 -",
            "D202 u.ldif:2 -",
            "D202 u.ldif:4 -",
            "D202 u.ldif:5 cn",
            "D206 u.ldif:7 objectGUID",
            "D202 u.ldif:8 -",
            "D206 u.ldif:6 userAccountControl",
            "D202 u.ldif:10 -",
            "D203 u.ldif:13 dn",
            "D202 u.ldif:16 dn"
        ]
    );
}

#[test]
fn ldif_1000_entries_is_active_directory_s_limit() {
    let body: String = (0..1000)
        .map(|i| format!("dn: cn=u{i},dc=x\ncn: u{i}\n\n"))
        .collect();
    let (a, issues) = text("u.ldif", &body, &ldif());
    assert_eq!(a.unwrap().len(), 1000);
    assert_eq!(brief(&issues), ["D212 (warning) u.ldif:- -"]);
}

#[test]
fn ldif_values_decode_as_text_or_stay_base64() {
    let (a, _) = text(
        "u.ldif",
        "dn: cn=a,dc=x\nthumbnailPhoto:: /9j/4AAQ\nnote:: //79\nnote;binary:: SGk=\nsn:: SGk=\n",
        &ldif(),
    );
    let a = a.unwrap();
    assert_eq!(value(&a, 0, "thumbnailPhoto"), s("/9j/4AAQ"));
    assert_eq!(
        value(&a, 0, "note"),
        list(&["//79", "SGk="]),
        "`;binary` is a transfer option"
    );
    assert_eq!(value(&a, 0, "sn"), s("Hi"));
}

#[test]
fn base64_and_dn_helpers() {
    for bytes in [&b""[..], b"f", b"fo", b"foo", b"foob", b"\x00\xff\x10"] {
        assert_eq!(
            ldif::base64_decode(&ldif::base64_encode(bytes)).unwrap(),
            bytes
        );
    }
    assert_eq!(
        ldif::base64_decode("SGk").unwrap(),
        b"Hi",
        "padding optional"
    );
    assert!(ldif::base64_decode("S").is_none());
    assert!(ldif::base64_decode("SG=k").is_none());
    assert!(ldif::base64_decode("SGk====").is_none());
    let same = [
        (
            "CN=Anna Berg,OU=Staff,DC=fabrikam,DC=example",
            "cn=anna berg, ou=staff,dc=FABRIKAM,dc=example",
        ),
        (r"CN=Berg\, Anna,DC=x", r"cn=berg\2C anna,dc=x"),
        ("CN=Lu\\C4\\8Di\\C4\\87,DC=x", "cn=Lučić,dc=x"),
        ("uid=a+cn=b,dc=x", "CN=b+UID=a,DC=x"),
    ];
    for (a, b) in same {
        assert_eq!(canonical_dn(a), canonical_dn(b), "{a} / {b}");
        assert!(canonical_dn(a).is_some());
    }
    assert_ne!(
        canonical_dn(r"CN=Berg\, Anna,DC=x"),
        canonical_dn("CN=Berg,CN=Anna,DC=x")
    );
    assert_eq!(canonical_dn("not a dn"), None);
    assert_eq!(canonical_dn(r"cn=a\"), None);
}

// ---------------------------------------------------------------- SCIM

#[test]
fn scim_pages_core_and_enterprise_attributes() {
    let (a, issues) = read_ok("scim/users", &opts(Format::Scim, ObjectKind::Users));
    assert!(issues.is_empty(), "{:?}", brief(&issues));
    assert_eq!(ids(&a), ["u-7d41a9", "u-90e3ff", "u-1b22c0"]);
    assert_eq!(value(&a, 0, "USERNAME"), s("anna.berg@fabrikam.example"));
    assert_eq!(value(&a, 0, "name.givenName"), s("Anna"));
    assert_eq!(
        value(&a, 0, "emails[type eq \"work\"].value"),
        s("anna.berg@fabrikam.example")
    );
    assert_eq!(
        value(&a, 0, "emails[type eq \"home\"].value"),
        s("a.berg@home.example")
    );
    assert_eq!(
        value(&a, 0, "phoneNumbers[type eq \"work\"].value"),
        s("+45 3311 2200")
    );
    let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    assert_eq!(value(&a, 0, &format!("{ext}:employeeNumber")), s("E1001"));
    assert_eq!(value(&a, 0, &format!("{ext}:manager")), s("u-1b22c0"));
    assert_eq!(a.cell(2, &format!("{ext}:manager")), Cell::Null);
    assert_eq!(a.cell(1, &format!("{ext}:manager")), Cell::Absent);
    assert_eq!(a.cell(1, "emails"), Cell::Value(&Value::List(vec![])));
    assert_eq!(value(&a, 0, "meta.created"), date(2023, 2, 1, 10, 15, 0, 0));
    assert_eq!(
        (0..3).map(|r| a.is_enabled(r)).collect::<Vec<_>>(),
        [Some(true), Some(false), Some(true)],
        "`Active: \"True\"` as Entra's older client writes it"
    );
    assert!(a.attribute("schemas").is_none());
    assert_eq!(a.location(2).unwrap(), (a.files[1].as_str(), 9));
}

#[test]
fn scim_gaps_and_short_totals_are_incomplete() {
    let (a, issues) = read_ok("scim/users-gap", &opts(Format::Scim, ObjectKind::Users));
    assert_eq!(a.len(), 3);
    assert_eq!(
        brief(&issues),
        ["D207 page-3.json:- -", "D207 page-3.json:- -"]
    );
    assert!(
        issues[0]
            .message
            .contains("resources 3 to 4 are not in the export"),
        "{}",
        issues[0].message
    );
    assert!(
        issues[1]
            .message
            .contains("`totalResults` is 5 but the export holds 3")
    );
}

#[test]
fn scim_groups_members_and_absent_members() {
    let (a, issues) = read_ok("scim/groups.json", &opts(Format::Scim, ObjectKind::Groups));
    assert_eq!(brief(&issues), ["D209 (warning) groups.json:29 members"]);
    let fin = a.members_of(0).unwrap();
    assert_eq!(&*fin[0].id, "u-7d41a9");
    assert_eq!(fin[1].kind.as_deref(), Some("group"));
    assert_eq!(a.members_of(1), None);
    assert_eq!(a.members_of(2), Some(&[][..]));
}

#[test]
fn scim_response_problems() {
    let o = opts(Format::Scim, ObjectKind::Users);
    let lr = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    let cases = [
        (
            format!(r#"{{"schemas": ["{lr}"], "totalResults": 2}}"#),
            vec!["D207 p.json:- -"],
        ),
        (
            format!(r#"{{"schemas": ["{lr}"], "totalResults": 0}}"#),
            vec![],
        ),
        (
            r#"{"id": "u-1", "userName": "x"}"#.to_string(),
            vec!["D202 p.json:1 -"],
        ),
        (
            format!(r#"{{"schemas": ["{lr}"], "Resources": []}}"#),
            vec!["D202 p.json:1 -"],
        ),
        (
            format!(
                "{{\"schemas\": [\"{lr}\"], \"totalResults\": 2, \"Resources\": [\n{{\"id\": \"g\", \"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:Group\"]}},\n{{\"id\": \"u\", \"active\": \"maybe\"}}]}}"
            ),
            vec!["D202 p.json:2 -", "D206 p.json:3 active", "D207 p.json:- -"],
        ),
        (
            format!(
                "{{\"schemas\": [\"{lr}\"], \"totalResults\": 1, \"Resources\": [{{\"id\": \"u\"}}], \"totalresults\": 1}}"
            ),
            vec!["D202 p.json:1 -"],
        ),
    ];
    for (body, want) in cases {
        let (_, issues) = text("p.json", &body, &o);
        assert_eq!(brief(&issues), want, "{body}");
    }
    let g = opts(Format::Scim, ObjectKind::Groups);
    let (a, issues) = text(
        "g.json",
        &format!(
            r#"{{"schemas": ["{lr}"], "totalResults": 1, "Resources": [{{"id": "g", "members": [{{"type": "User"}}]}}]}}"#
        ),
        &g,
    );
    assert_eq!(a.unwrap().members_of(0), None);
    assert_eq!(brief(&issues), ["D202 g.json:1 members"]);
}

#[test]
fn scim_overlapping_pages_keep_one_copy() {
    let lr = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    let p1 = format!(
        r#"{{"schemas": ["{lr}"], "totalResults": 3, "startIndex": 1, "Resources": [{{"id": "a"}}, {{"id": "b"}}]}}"#
    );
    let p2 = format!(
        r#"{{"schemas": ["{lr}"], "totalResults": 3, "startIndex": 2, "Resources": [{{"id": "b"}}, {{"id": "c"}}]}}"#
    );
    let (a, issues) = read_bytes(
        &[
            ("p1.json".into(), p1.into_bytes()),
            ("p2.json".into(), p2.into_bytes()),
        ],
        &opts(Format::Scim, ObjectKind::Users),
    );
    assert_eq!(ids(&a.unwrap()), ["a", "b", "c"]);
    assert_eq!(brief(&issues), ["D204 (warning) p2.json:1 -"]);
}

// ---------------------------------------------------------------- CSV

fn csv(key: &str) -> ReadOptions {
    let mut o = opts(Format::Csv, ObjectKind::Users);
    o.csv.key = key.to_string();
    o
}

#[test]
fn postgres_csv_null_empty_quotes_and_line_breaks() {
    let mut o = csv("employee_id");
    o.csv.enabled = Some("IS_ACTIVE".into());
    let (a, issues) = read_ok("csv/postgres.csv", &o);
    assert!(issues.is_empty(), "{:?}", brief(&issues));
    assert_eq!(ids(&a), ["E1001", "E1002", "E1003", "E1004"]);
    assert_eq!(
        a.locations.iter().map(|l| l.line).collect::<Vec<_>>(),
        [2, 3, 4, 5]
    );
    assert_eq!(
        a.cell(1, "department"),
        Cell::Value(&s("")),
        "`\"\"` is the empty string"
    );
    assert_eq!(
        a.cell(0, "terminated_at"),
        Cell::Null,
        "an unquoted empty cell is NULL"
    );
    assert_eq!(value(&a, 2, "display_name"), s("Okafor, \"Femi\""));
    assert_eq!(value(&a, 3, "display_name"), s("Rui\nSilva"));
    assert_eq!(value(&a, 3, "terminated_at"), s("infinity"));
    assert_eq!(value(&a, 0, "employee_id"), s("E1001"));
    assert_eq!(
        (0..4).map(|r| a.is_enabled(r)).collect::<Vec<_>>(),
        [Some(true), Some(true), Some(false), Some(true)]
    );
}

#[test]
fn export_csv_type_line_and_type_name_cells() {
    let mut o = csv("Id");
    o.csv.enabled = Some("AccountEnabled".into());
    let (a, issues) = read_ok("csv/export-csv.csv", &o);
    assert_eq!(
        brief(&issues),
        [
            "D208 export-csv.csv:3 Manager",
            "D208 export-csv.csv:3 ProxyAddresses",
            "D208 export-csv.csv:4 ProxyAddresses"
        ]
    );
    assert_eq!(a.len(), 2);
    assert_eq!(a.cell(0, "Manager"), Cell::Absent);
    assert_eq!(a.cell(1, "Manager"), Cell::Null);
    assert_eq!(
        value(&a, 0, "EmployeeHireDate"),
        s("4/1/2019 12:00:00 AM"),
        "CSV cells are text"
    );
    assert_eq!(a.is_enabled(0), Some(true));
    assert_eq!(a.is_enabled(1), Some(false));
}

#[test]
fn csv_null_dialects() {
    let mut o = csv("id");
    o.csv.null = CsvNull::Marker("\\N".into());
    let (a, issues) = read_ok("csv/mysql.csv", &o);
    assert!(issues.is_empty());
    assert_eq!(a.cell(1, "department"), Cell::Null);
    assert_eq!(a.cell(2, "department"), Cell::Value(&s("")));
    o.csv.null = CsvNull::Never;
    let (a, _) = read_ok("csv/mysql.csv", &o);
    assert_eq!(value(&a, 1, "department"), s("\\N"));
    let (a, _) = text("t.csv", "id,x\n1,\n2,\"\"\n", &o);
    let a = a.unwrap();
    assert_eq!(a.cell(0, "x"), Cell::Value(&s("")));
    let null: CsvNull = serde_json::from_str("\"\\\\N\"").unwrap();
    assert_eq!(null, CsvNull::Marker("\\N".into()));
    let null: CsvNull = serde_json::from_str("\"unquoted-empty\"").unwrap();
    assert_eq!(null, CsvNull::UnquotedEmpty);
}

#[test]
fn csv_problems_name_row_and_field() {
    let mut o = csv("id");
    o.csv.enabled = Some("active".into());
    let body = "\u{feff}id,Name,name,active,\r\n1,a,b,yes,x\r\n2,a\r\n,c,d,no,x\r\n3,e,f,maybe,x\r\n4,\"g\nh,i,no,x\r\n";
    let (a, issues) = text("t.csv", body, &o);
    let a = a.unwrap();
    assert_eq!(ids(&a), ["1", "3"]);
    assert_eq!(
        brief(&issues),
        [
            "D205 t.csv:1 name",
            "D202 (warning) t.csv:1 -",
            "D202 t.csv:3 -",
            "D203 t.csv:4 id",
            "D206 t.csv:5 active",
            "D202 t.csv:6 -"
        ]
    );
    assert_eq!(a.is_enabled(0), Some(true));
    assert_eq!(a.is_enabled(1), None);
    let (a, issues) = text("t.csv", "ID,upn\n1,x\n", &csv("id"));
    assert_eq!(
        a.unwrap().len(),
        1,
        "the key column is matched case-insensitively"
    );
    assert!(issues.is_empty());
    let (a, issues) = text("t.csv", "employee_id,upn\n1,x\n", &csv("employe_id"));
    assert!(a.unwrap().is_empty());
    assert_eq!(brief(&issues), ["D213 t.csv:1 -"]);
    assert_eq!(
        issues[0].help.as_deref(),
        Some("did you mean `employee_id`?")
    );
    let (_, issues) = text("t.csv", "", &csv("id"));
    assert_eq!(brief(&issues), ["D202 t.csv:- -"]);
    let mut tab = csv("id");
    tab.csv.delimiter = '\t';
    let (a, _) = text("t.tsv", "id\tname\n1\tBerg, Anna\n", &tab);
    assert_eq!(value(&a.unwrap(), 0, "name"), s("Berg, Anna"));
}

// ---------------------------------------------------------------- no panics

mod no_panics {
    use proptest::prelude::*;

    use super::*;

    fn all_options() -> Vec<ReadOptions> {
        let mut out = Vec::new();
        for format in [Format::Graph, Format::Ldif, Format::Scim, Format::Csv] {
            for kind in [
                ObjectKind::Users,
                ObjectKind::Groups,
                ObjectKind::Assignments,
            ] {
                let mut o = opts(format, kind);
                o.csv.enabled = Some("b".into());
                o.csv.key = "a".into();
                out.push(o);
            }
        }
        out
    }

    /// Text built from the pieces the readers look for, so that the fuzzing reaches past the
    /// first check.
    fn export_like() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("{"),
            Just("}"),
            Just("["),
            Just("]"),
            Just(","),
            Just(":"),
            Just("\""),
            Just("\\"),
            Just("\"value\""),
            Just("\"id\""),
            Just("\"members\""),
            Just("\"manager\""),
            Just("\"Resources\""),
            Just("\"totalResults\""),
            Just("\"@odata.nextLink\""),
            Just("\"@odata.count\""),
            Just("null"),
            Just("1"),
            Just("true"),
            Just("\"System.String[]\""),
            Just("\"/Date(1554076800000)/\""),
            Just("\n"),
            Just("\r\n"),
            Just(" "),
            Just("dn: cn=a"),
            Just("dn:: "),
            Just("member;range=0-1: x"),
            Just("::"),
            Just(":<"),
            Just("changetype: modify"),
            Just("#"),
            Just("a,b"),
            Just("\"\""),
            Just("userAccountControl: 2"),
            Just("objectGUID:: AAAA"),
            Just("result: 4 x"),
            Just("\u{feff}"),
            Just("é"),
            Just("\"accountEnabled\""),
            Just("\"AdditionalProperties\""),
        ];
        prop::collection::vec(piece, 0..60).prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic_a_reader(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            for o in all_options() {
                let files = [("x.json".to_string(), bytes.clone())];
                let _ = read_bytes(&files, &o);
            }
        }

        #[test]
        fn export_like_text_never_panics_a_reader(a in export_like(), b in export_like()) {
            for o in all_options() {
                let files = [("p1.json".to_string(), a.clone().into_bytes()), ("p2.jsonl".to_string(), b.clone().into_bytes())];
                let (accounts, issues) = read_bytes(&files, &o);
                for i in &issues {
                    prop_assert!(!i.message.is_empty());
                }
                if let Some(acc) = accounts {
                    prop_assert_eq!(acc.ids.len(), acc.len());
                    for attr in &acc.attributes {
                        prop_assert_eq!(attr.values.len(), acc.len());
                    }
                }
            }
        }
    }
}

#[test]
fn dates_parse_in_every_documented_form() {
    let d = |s: &str| match json::parse_when(s) {
        Some(json::When::Utc(d)) => format!("utc {d}"),
        Some(json::When::Zoneless(d)) => format!("zoneless {d}"),
        None => "none".into(),
    };
    assert_eq!(d("2014-01-01T00:00:00Z"), "utc 2014-01-01 00:00:00");
    assert_eq!(d("2019-04-25T23:45:40.42Z"), "utc 2019-04-25 23:45:40.420");
    assert_eq!(
        d("2021-08-05T16:13:05.6394416-07:00"),
        "utc 2021-08-05 23:13:05.639441600"
    );
    assert_eq!(d("/Date(1326441600000)/"), "utc 2012-01-13 08:00:00");
    assert_eq!(d("/Date(1326441600000+0100)/"), "utc 2012-01-13 08:00:00");
    assert_eq!(d("/Date(-86400000)/"), "utc 1969-12-31 00:00:00");
    assert_eq!(d("2024-03-01T08:00:00"), "zoneless 2024-03-01 08:00:00");
    assert_eq!(d("2024-03-01"), "zoneless 2024-03-01 00:00:00");
    assert_eq!(d("/Date(abc)/"), "none");
    assert_eq!(d("3/1/2024"), "none");
    let _: NaiveDateTime = NaiveDate::from_ymd_opt(2024, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
}

#[test]
fn type_names_are_told_from_data() {
    use build::is_type_name;
    for t in [
        "System.String[]",
        "System.Object[]",
        "System.Collections.Generic.Dictionary`2[System.String,System.Object]",
        "Microsoft.Graph.PowerShell.Models.MicrosoftGraphDirectoryObject",
        "System.Management.Automation.PSCustomObject",
    ] {
        assert!(is_type_name(t, false), "{t}");
    }
    for t in [
        "System.Administration",
        "Systems Engineer",
        "anna.berg@fabrikam.example",
        "System.String[] x",
    ] {
        assert!(!is_type_name(t, false), "{t}");
    }
    assert!(is_type_name("System.Object", true));
}

/// Columns of many rows: an attribute unique per account (kept without a dictionary, its codes
/// widened past one and two bytes), a common one with absent and NULL rows, a rare one (kept
/// as a list of cells) and one that becomes common late (a list turned dense); repeats of an
/// identifier compared with the first row whatever the column's form. Every cell reads back
/// as written.
#[test]
fn large_exports_read_back_every_cell_whatever_the_column_form() {
    let n = 70_000;
    let mut lines = String::new();
    let row = |i: usize| -> String {
        let mut fields = vec![
            format!("\"id\":\"u{i}\""),
            format!("\"mail\":\"u{i}@example.com\""),
        ];
        if i.is_multiple_of(11) {
            fields.push("\"dept\":null".to_string());
        } else if !i.is_multiple_of(5) {
            fields.push(format!("\"dept\":\"D{}\"", i % 7));
        }
        if i.is_multiple_of(500) {
            fields.push(format!("\"rare\":\"r{i}\""));
        }
        if (60_000..62_000).contains(&i) {
            fields.push(format!("\"late\":{}", i % 3));
        }
        format!("{{{}}}\n", fields.join(","))
    };
    for i in 0..n {
        lines.push_str(&row(i));
    }
    // The same object again, and another object under an identifier already read.
    lines.push_str(&row(5000));
    lines.push_str("{\"id\":\"u6000\",\"mail\":\"other@example.com\"}\n");
    let (a, issues) = text("users.jsonl", &lines, &graph());
    let a = a.expect("accounts");
    let found: Vec<(Code, Severity, Option<usize>)> =
        issues.iter().map(|i| (i.code, i.severity, i.row)).collect();
    assert_eq!(
        found,
        [
            (Code::ActualDuplicateId, Severity::Warning, Some(n + 1)),
            (Code::ActualDuplicateId, Severity::Error, Some(n + 2)),
        ],
        "{issues:?}"
    );
    assert_eq!(a.len(), n);
    for i in 0..n {
        assert_eq!(a.id(i), format!("u{i}"));
        assert_eq!(
            a.cell(i, "mail"),
            Cell::Value(&s(&format!("u{i}@example.com")))
        );
        let dept = if i.is_multiple_of(11) {
            Cell::Null
        } else if !i.is_multiple_of(5) {
            Cell::Value(&s(&format!("D{}", i % 7)))
        } else {
            Cell::Absent
        };
        assert_eq!(a.cell(i, "dept"), dept, "row {i}");
        let rare = s(&format!("r{i}"));
        if i.is_multiple_of(500) {
            assert_eq!(a.cell(i, "rare"), Cell::Value(&rare));
        } else {
            assert_eq!(a.cell(i, "rare"), Cell::Absent);
        }
        let late = Value::Int((i % 3) as i64);
        if (60_000..62_000).contains(&i) {
            assert_eq!(a.cell(i, "late"), Cell::Value(&late), "row {i}");
        } else {
            assert_eq!(a.cell(i, "late"), Cell::Absent, "row {i}");
        }
    }
}

#[test]
fn chosen_attributes_read_what_reading_everything_reads() {
    // With `attributes` set, a users object's other members are skipped without being parsed
    // (`graph::Select`): the accounts must hold exactly what reading everything holds for the
    // chosen attributes, with the same identifiers and enabled flags.
    let chosen = [
        "department",
        "MANAGER",
        "employeeId",
        "onPremisesExtensionAttributes.extensionAttribute1",
        "employeeHireDate",
    ];
    for path in [
        "graph/users-pages",
        "graph/users-ps51.json",
        "graph/users-ps7.json",
        "graph/users-ps7-depth2.json",
        "graph/users.jsonl",
    ] {
        let (all, _) = read(&fixture(path), &graph());
        let mut o = graph();
        o.attributes = Some(chosen.iter().map(|c| c.to_string()).collect());
        let (some, _) = read(&fixture(path), &o);
        let (all, some) = (all.unwrap(), some.unwrap());
        assert_eq!(ids(&all), ids(&some), "{path}");
        assert_eq!(all.enabled, some.enabled, "{path}");
        let mut compared = 0;
        for name in chosen {
            for r in 0..all.len() {
                let want = all.cell(r, name);
                let got = some.cell(r, name);
                let (mut a, mut b) = (None, None);
                assert_eq!(
                    want.as_value(&mut a),
                    got.as_value(&mut b),
                    "{path}: {name} of row {r}"
                );
                compared += usize::from(!matches!(want, Cell::Absent));
            }
        }
        assert!(compared > 0, "{path}: nothing compared");
    }
}

#[test]
fn ldif_gathers_an_attributes_values_by_name_in_any_case_in_small_and_large_entries() {
    // An entry's attributes are looked for in turn up to 64 names, by a map beyond: both
    // gather `mail` and `MAIL` into one attribute, and report nothing.
    for filler in [3usize, 100] {
        let mut entry = String::from("dn: cn=a,dc=example\nmail: a@example.com\n");
        for k in 0..filler {
            entry.push_str(&format!("extensionAttribute{k}: v{k}\n"));
        }
        entry.push_str("MAIL: b@example.com\ncn: a\n");
        let mut o = ldif();
        o.max_attributes = 1000;
        let (a, issues) = text("x.ldif", &entry, &o);
        assert!(issues.is_empty(), "{filler}: {:?}", brief(&issues));
        let a = a.unwrap();
        let both = Value::List(vec![
            Value::Str("a@example.com".into()),
            Value::Str("b@example.com".into()),
        ]);
        let mut held = None;
        assert_eq!(
            a.cell(0, "Mail").as_value(&mut held),
            Cell::Value(&both),
            "{filler}"
        );
        assert_eq!(a.attributes.len(), filler + 2, "{filler}");
    }
}
