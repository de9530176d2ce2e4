//! Tests of the readers, the typing rules, keys and manager checks.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::*;
use crate::diagnostics::FileId;

impl Dataset {
    /// Every record, materialised.
    fn records(&self) -> Vec<Record> {
        (0..self.len()).filter_map(|r| self.record(r)).collect()
    }
}

fn source(yaml: &str) -> raw::Source {
    crate::yaml::parse(FileId(0), yaml, &crate::yaml::Limits::default()).unwrap()
}

fn temp_dir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "roster-ingest-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `content` where the source declared by `yaml` looks for it and reads it.
fn read_file(yaml: &str, content: &[u8]) -> (Option<Dataset>, Vec<DataIssue>) {
    let src = source(yaml);
    let dir = temp_dir();
    std::fs::write(dir.join(src.path.value.as_str()), content).unwrap();
    let out = read("people", &src, &dir, &access(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
    // Issues name the file as the policy locates it; make them stable for assertions.
    let issues = out
        .1
        .into_iter()
        .map(|mut i| {
            i.file = Path::new(&i.file)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            i
        })
        .collect();
    (out.0, issues)
}

fn codes(issues: &[DataIssue]) -> Vec<&'static str> {
    issues.iter().map(|i| i.code.as_str()).collect()
}

fn s(text: &str) -> Value {
    Value::Str(text.into())
}

fn date(y: i32, m: u32, d: u32, h: u32, min: u32) -> Value {
    Value::Date(
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap(),
    )
}

const PEOPLE: &str = "format: csv\npath: people.csv\nkey: id\nfields:\n  id: string\n  name: string\n  hired: datetime\n  active: boolean\n  grade: number\n  groups: string_list\n  manager: string\n";

// ------------------------------------------------------------------------------------------
// CSV
// ------------------------------------------------------------------------------------------

#[test]
fn csv_splits_quoted_and_unquoted_fields() {
    let lines = csv::split("a,\"b,c\",\"d \"\"e\"\"\",\nx,,\"\",z", ',').unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].cells, ["a", "b,c", "d \"e\"", ""]);
    assert_eq!(lines[1].cells, ["x", "", "", "z"]);
    assert_eq!(lines[1].line, 2);
}

#[test]
fn csv_line_numbers_count_line_breaks_inside_quotes() {
    let text = "h1,h2\n1,\"two\nlines\"\n\n2,x\r\n3,\"a\r\nb\"\r4,y";
    let lines = csv::split(text, ',').unwrap();
    let starts: Vec<usize> = lines.iter().map(|l| l.line).collect();
    assert_eq!(starts, [1, 2, 5, 6, 8]);
    assert_eq!(lines[1].cells, ["1", "two\nlines"]);
    assert_eq!(lines[3].cells, ["3", "a\r\nb"]);
    assert_eq!(lines[4].cells, ["4", "y"]);
}

#[test]
fn csv_is_lenient_with_stray_quotes() {
    let lines = csv::split("a\"b,\"c\"d\n", ',').unwrap();
    assert_eq!(lines[0].cells, ["a\"b", "cd"]);
}

#[test]
fn csv_unterminated_quote_names_its_line() {
    let (ds, issues) = read_file(
        PEOPLE,
        b"id,name,hired,active,grade,groups,manager\n1,a,,,,,\n2,\"open,,,,,\n3,c,,,,,\n",
    );
    assert!(ds.is_none());
    assert_eq!(codes(&issues), ["D101"]);
    assert_eq!(issues[0].row, Some(3));
    assert_eq!(
        issues[0].to_string(),
        "people.csv:3: a quoted field is never closed"
    );
}

#[test]
fn csv_reads_a_full_file_with_types() {
    let text = "\u{feff}id,name,hired,active,grade,groups,manager,extra\r\n\
                1,\"Jensen, Barbara\",2012-03-16-07:00,yes,3,a; b;;c,,ignored\r\n\
                2,\"Doe \"\"JD\"\" Jane\",3/4/2024,FALSE,2.5,,1,\r\n\
                3,\"multi\nline\",,1,-7,x,1,\r\n";
    let (ds, issues) = read_file(PEOPLE, text.as_bytes());
    assert_eq!(issues, []);
    let ds = ds.unwrap();
    assert_eq!(ds.source, "people");
    assert_eq!(ds.fields.len(), 7);
    assert_eq!(ds.fields[2], ("hired".to_string(), FieldType::Datetime));
    let r = &ds.records();
    assert_eq!(r.len(), 3);
    assert_eq!((r[0].row, r[1].row, r[2].row), (2, 3, 4));
    assert_eq!(r[0].key, "1");
    assert_eq!(
        r[0].values,
        [
            s("1"),
            s("Jensen, Barbara"),
            date(2012, 3, 16, 7, 0),
            Value::Bool(true),
            Value::Int(3),
            Value::List(vec![s("a"), s("b"), s("c")]),
            Value::Null,
        ]
    );
    assert_eq!(r[1].values[1], s("Doe \"JD\" Jane"));
    assert_eq!(r[1].values[2], date(2024, 3, 4, 0, 0));
    assert_eq!(r[1].values[3], Value::Bool(false));
    assert_eq!(r[1].values[4], s("2.5"));
    assert_eq!(r[1].values[5], Value::Null);
    assert_eq!(r[2].values[1], s("multi\nline"));
    assert_eq!(r[2].values[2], Value::Null);
    assert_eq!(r[2].values[4], Value::Int(-7));
    assert_eq!(r[2].values[5], Value::List(vec![s("x")]));
}

#[test]
fn csv_with_another_delimiter() {
    let yaml = "format: csv\npath: p.csv\nkey: id\ndelimiter: ';'\nfields:\n  id: string\n  name: string\n";
    let (ds, issues) = read_file(yaml, b"id;name\n1;\"a;b\"\n2;c,d\n");
    assert_eq!(issues, []);
    let ds = ds.unwrap();
    assert_eq!(ds.records()[0].values[1], s("a;b"));
    assert_eq!(ds.records()[1].values[1], s("c,d"));

    let tab = "format: csv\npath: p.tsv\nkey: id\ndelimiter: \"\\t\"\nfields:\n  id: string\n  name: string\n";
    let (ds, issues) = read_file(tab, b"id\tname\n1\tBarbara Jensen\n");
    assert_eq!(issues, []);
    assert_eq!(ds.unwrap().records()[0].values[1], s("Barbara Jensen"));

    let bad = "format: csv\npath: p.csv\nkey: id\ndelimiter: ';;'\nfields:\n  id: string\n";
    let (ds, issues) = read_file(bad, b"id\n1\n");
    assert!(ds.is_none());
    assert_eq!(codes(&issues), ["D101"]);
}

#[test]
fn csv_record_with_wrong_cell_count_is_skipped() {
    let yaml = "format: csv\npath: p.csv\nkey: id\nfields:\n  id: string\n  name: string\n";
    let (ds, issues) = read_file(yaml, b"id,name\n1,a\n2,b,c\n3,c\n");
    assert_eq!(codes(&issues), ["D101"]);
    assert_eq!(issues[0].row, Some(3));
    assert!(issues[0].message.contains("3 cells but the header has 2"));
    let keys: Vec<_> = ds
        .unwrap()
        .records()
        .iter()
        .map(|r| r.key.clone())
        .collect();
    assert_eq!(keys, ["1", "3"]);
}

#[test]
fn csv_missing_column_suggests_the_case_difference() {
    let yaml = "format: csv\npath: p.csv\nkey: id\nfields:\n  id: string\n  HireDate: datetime\n";
    let (ds, issues) = read_file(yaml, b"id,hiredate\n1,2020-01-01\n");
    assert_eq!(codes(&issues), ["D105"]);
    assert!(issues[0].is_error());
    assert_eq!(issues[0].field.as_deref(), Some("HireDate"));
    assert_eq!(
        issues[0].help.as_deref(),
        Some("did you mean `hiredate`? names are case-sensitive")
    );
    // The dataset is still there, the field NULL.
    assert_eq!(ds.unwrap().records()[0].values[1], Value::Null);
}

#[test]
fn csv_missing_key_column_gives_no_dataset() {
    let yaml = "format: csv\npath: p.csv\nkey: WorkerID\nfields:\n  name: string\n";
    let (ds, issues) = read_file(yaml, b"WorkerId,name\n1,a\n");
    assert!(ds.is_none());
    assert_eq!(codes(&issues), ["D105"]);
    assert_eq!(issues[0].message, "the key field is not in the header");
}

#[test]
fn key_need_not_be_declared() {
    let yaml = "format: csv\npath: p.csv\nkey: id\nfields:\n  name: string\n";
    let (ds, issues) = read_file(yaml, b"id,name\n 7 ,a\n");
    assert_eq!(issues, []);
    let ds = ds.unwrap();
    assert_eq!(ds.records()[0].key, "7");
    assert_eq!(ds.records()[0].values, [s("a")]);
}

#[test]
fn csv_empty_and_non_utf8_files() {
    let (ds, issues) = read_file(PEOPLE, b"");
    assert!(ds.is_none());
    assert_eq!(issues[0].message, "the file is empty");
    let (ds, issues) = read_file(PEOPLE, b"id,name\n1,J\xe9r\xf4me\n");
    assert!(ds.is_none());
    assert_eq!(codes(&issues), ["D101"]);
    assert_eq!(issues[0].row, Some(2));
}

#[test]
fn unreadable_file() {
    let src = source(PEOPLE);
    let root = crate::files::Access {
        root: Some("/".into()),
        ..crate::files::Access::default()
    };
    let (ds, issues) = read("people", &src, Path::new("/nonexistent-roster-dir"), &root);
    assert!(ds.is_none());
    assert_eq!(codes(&issues), ["D101"]);
    assert_eq!(issues[0].file, "/nonexistent-roster-dir/people.csv");
    assert!(issues[0].message.starts_with("cannot read the file"));
}

// ------------------------------------------------------------------------------------------
// Types
// ------------------------------------------------------------------------------------------

#[test]
fn booleans() {
    for (text, want) in [
        ("true", true),
        ("TRUE", true),
        ("Yes", true),
        ("1", true),
        (" false ", false),
        ("no", false),
        ("0", false),
        ("False", false),
    ] {
        let got = convert_text(text, FieldType::Boolean, true);
        assert_eq!(got.ok(), Some(Value::Bool(want)), "{text}");
    }
    let bad = convert_text("Y", FieldType::Boolean, true);
    assert_eq!(bad.err().unwrap().message, "`Y` is not a boolean");
}

#[test]
fn numbers() {
    let n = |t: &str| convert_text(t, FieldType::Number, true);
    assert_eq!(n("42").ok(), Some(Value::Int(42)));
    assert_eq!(n(" -3 ").ok(), Some(Value::Int(-3)));
    assert_eq!(n("2.50").ok(), Some(s("2.50")));
    assert_eq!(n("1e3").ok(), Some(s("1e3")));
    for bad in ["1,000", "12a", "NaN", "inf", "0x10"] {
        assert_eq!(
            n(bad).err().unwrap().message,
            format!("`{bad}` is not a number")
        );
    }
}

#[test]
fn datetimes_follow_cdate() {
    let d = |t: &str| convert_text(t, FieldType::Datetime, true);
    assert_eq!(d("2012-03-16-07:00").ok(), Some(date(2012, 3, 16, 7, 0)));
    assert_eq!(
        d("2024-03-04T09:30:00Z").ok(),
        Some(date(2024, 3, 4, 9, 30))
    );
    assert_eq!(d("").ok(), Some(Value::Null));
    let err = d("next monday").err().unwrap();
    assert!(
        err.message.starts_with("`next monday` is not a datetime"),
        "{}",
        err.message
    );
}

#[test]
fn a_bad_value_is_reported_with_file_row_and_field_and_the_record_kept() {
    let text = "id,name,hired,active,grade,groups,manager\n1,a,2020-13-45,maybe,three,,\n2,b,2020-01-01,true,3,,\n";
    let (ds, issues) = read_file(PEOPLE, text.as_bytes());
    assert_eq!(codes(&issues), ["D102", "D102", "D102"]);
    let places: Vec<String> = issues.iter().map(ToString::to_string).collect();
    assert!(
        places[0].starts_with("people.csv:2: field `hired`: `2020-13-45` is not a datetime"),
        "{}",
        places[0]
    );
    assert_eq!(
        places[1],
        "people.csv:2: field `active`: `maybe` is not a boolean"
    );
    assert_eq!(
        places[2],
        "people.csv:2: field `grade`: `three` is not a number"
    );
    let ds = ds.unwrap();
    assert_eq!(ds.records().len(), 2);
    assert_eq!(ds.records()[0].values[2], Value::Null);
    assert_eq!(ds.records()[0].values[3], Value::Null);
    assert_eq!(ds.records()[0].values[1], s("a"));
}

#[test]
fn long_values_are_shortened_in_messages() {
    let long = "x".repeat(100);
    let err = convert_text(&long, FieldType::Number, true).err().unwrap();
    assert_eq!(
        err.message,
        format!("`{}…` is not a number", "x".repeat(60))
    );
}

// ------------------------------------------------------------------------------------------
// JSON and JSON Lines
// ------------------------------------------------------------------------------------------

const JSON_SOURCE: &str = "format: json\npath: p.json\nkey: id\nfields:\n  id: string\n  name: string\n  active: boolean\n  grade: number\n  hired: datetime\n  groups: string_list\n  extra: string\n";

#[test]
fn json_types() {
    let text = r#"[
      {"id": "1", "name": "Barbara", "active": true, "grade": 3, "hired": "2020-01-01", "groups": ["a", "b", 3], "extra": {"k": [1, 2]}},
      {"id": 2, "name": "", "active": 0, "grade": 2.5, "hired": null, "groups": "solo", "extra": 7},
      {"id": "3", "name": null, "active": "yes", "grade": "4", "groups": [], "extra": true}
    ]"#;
    let (ds, issues) = read_file(JSON_SOURCE, text.as_bytes());
    assert_eq!(issues, []);
    let r = ds.unwrap().records();
    assert_eq!(
        r[0].values,
        [
            s("1"),
            s("Barbara"),
            Value::Bool(true),
            Value::Int(3),
            date(2020, 1, 1, 0, 0),
            Value::List(vec![s("a"), s("b"), s("3")]),
            s(r#"{"k":[1,2]}"#),
        ]
    );
    assert_eq!(r[1].key, "2");
    assert_eq!(r[1].row, 2);
    assert_eq!(r[1].values[1], s(""), "JSON \"\" is the empty string");
    assert_eq!(r[1].values[2], Value::Bool(false));
    assert_eq!(r[1].values[3], s("2.5"));
    assert_eq!(r[1].values[4], Value::Null);
    assert_eq!(r[1].values[5], Value::List(vec![s("solo")]));
    assert_eq!(r[1].values[6], s("7"));
    assert_eq!(r[2].values[1], Value::Null);
    assert_eq!(r[2].values[2], Value::Bool(true));
    assert_eq!(r[2].values[3], Value::Int(4));
    assert_eq!(r[2].values[4], Value::Null, "absent");
    assert_eq!(r[2].values[5], Value::Null, "empty list");
    assert_eq!(r[2].values[6], s("true"));
}

#[test]
fn json_type_failures() {
    let text = r#"[
      {"id": "1", "grade": {"a": 1}, "hired": 20200101, "name": ["a", "b"], "groups": [["x"]], "active": 2, "extra": "e"}
    ]"#;
    let (ds, issues) = read_file(JSON_SOURCE, text.as_bytes());
    let fields: Vec<_> = issues.iter().map(|i| i.field.clone().unwrap()).collect();
    assert_eq!(codes(&issues), ["D102"; 5]);
    assert_eq!(fields, ["name", "active", "grade", "hired", "groups"]);
    assert!(issues.iter().all(|i| i.row == Some(1)));
    assert_eq!(
        issues[0].message,
        r#"`["a","b"]` has 2 values; the field is declared `string`"#
    );
    assert_eq!(
        issues[2].message,
        r#"`{"a":1}` is an object; only a `string` field can hold one"#
    );
    assert_eq!(issues[3].message, "`20200101` is a number, not a datetime");
    assert!(
        ds.unwrap().records()[0].values[1..6]
            .iter()
            .all(Value::is_null)
    );
}

#[test]
fn json_malformed_files() {
    let (ds, issues) = read_file(JSON_SOURCE, b"[\n{\"id\": \"1\"},\n{\"id\": }\n]");
    assert!(ds.is_none());
    assert_eq!(codes(&issues), ["D101"]);
    assert_eq!(issues[0].row, Some(3));
    assert!(
        issues[0]
            .message
            .starts_with("the file is not valid JSON: ")
    );

    let (ds, issues) = read_file(JSON_SOURCE, br#"{"id": "1"}"#);
    assert!(ds.is_none());
    assert_eq!(
        issues[0].message,
        "the file holds an object, not an array of records"
    );

    let only_id = "format: json\npath: p.json\nkey: id\nfields:\n  id: string\n";
    let (ds, issues) = read_file(only_id, br#"[{"id": "1"}, 5, {"id": "3"}]"#);
    assert_eq!(codes(&issues), ["D101"]);
    assert_eq!(issues[0].row, Some(2));
    assert_eq!(ds.unwrap().records().len(), 2);
}

#[test]
fn json_field_in_no_record_is_a_warning() {
    let yaml = "format: json\npath: p.json\nkey: id\nfields:\n  id: string\n  givenName: string\n";
    let (ds, issues) = read_file(yaml, br#"[{"id": "1", "givenname": "B"}]"#);
    assert_eq!(codes(&issues), ["D105"]);
    assert_eq!(issues[0].severity, Severity::Warning);
    assert_eq!(
        issues[0].help.as_deref(),
        Some("did you mean `givenname`? names are case-sensitive")
    );
    assert_eq!(ds.unwrap().records().len(), 1);
}

#[test]
fn jsonl_bad_line_is_reported_and_the_others_kept() {
    let yaml = "format: jsonl\npath: p.jsonl\nkey: id\nfields:\n  id: string\n  n: number\n";
    let text = "{\"id\": \"a\", \"n\": 1}\n\n{\"id\": \"b\", \"n\": \n[1]\r\n{\"id\": \"c\", \"n\": \"x\"}\n{\"id\": \"d\"}";
    let (ds, issues) = read_file(yaml, text.as_bytes());
    assert_eq!(codes(&issues), ["D101", "D101", "D102"]);
    assert_eq!(issues[0].row, Some(3));
    assert!(
        issues[0].message.starts_with("the line is not valid JSON"),
        "{}",
        issues[0].message
    );
    assert!(issues[0].message.ends_with("; the line is skipped"));
    assert_eq!(issues[1].row, Some(4));
    assert_eq!(
        issues[1].message,
        "the line holds an array, not an object; it is skipped"
    );
    assert_eq!(
        issues[2].to_string(),
        "p.jsonl:5: field `n`: `x` is not a number"
    );
    let ds = ds.unwrap();
    let rows: Vec<_> = (0..ds.len()).map(|r| (ds.row(r), ds.key(r))).collect();
    assert_eq!(rows, [(1, "a"), (5, "c"), (6, "d")]);
}

// ------------------------------------------------------------------------------------------
// Keys
// ------------------------------------------------------------------------------------------

#[test]
fn records_without_a_key_are_skipped() {
    let yaml = "format: csv\npath: p.csv\nkey: id\nfields:\n  id: string\n  name: string\n";
    let (ds, issues) = read_file(yaml, b"id,name\n,a\n  ,b\n3,c\n");
    assert_eq!(codes(&issues), ["D104", "D104"]);
    assert_eq!(
        issues[0].to_string(),
        "p.csv:2: field `id`: the record has no key and is skipped"
    );
    assert_eq!(issues[1].row, Some(3));
    assert_eq!(ds.unwrap().records().len(), 1);
}

#[test]
fn duplicates_refused_keep_the_first_and_list_the_rows() {
    let yaml = "format: csv\npath: p.csv\nkey: id\nfields:\n  id: string\n  name: string\n";
    let (ds, issues) = read_file(yaml, b"id,name\n1,a\n2,b\n1,c\n1,d\n");
    assert_eq!(codes(&issues), ["D103", "D103"]);
    assert!(issues.iter().all(DataIssue::is_error));
    assert_eq!(issues[0].row, Some(4));
    assert_eq!(issues[1].row, Some(5));
    assert_eq!(
        issues[0].message,
        "duplicate key `1`: rows 2, 4 and 5 have it; row 2 is kept and this row is ignored"
    );
    let ds = ds.unwrap();
    let kept: Vec<_> = ds.records().iter().map(|r| r.values[1].clone()).collect();
    assert_eq!(kept, [s("a"), s("b")]);
}

/// Every duplicate gets a message; each lists at most ten rows, so the messages of one key
/// stay linear in its rows (they were quadratic: 40,000 copies of a key took 18 GB).
#[test]
fn duplicates_by_the_thousand_list_ten_rows_each() {
    let yaml = "format: csv\npath: p.csv\nkey: id\nfields:\n  id: string\n  name: string\n";
    let mut text = String::from("id,name\n");
    for _ in 0..5_000 {
        text.push_str("1,a\n");
    }
    let (_, issues) = read_file(yaml, text.as_bytes());
    assert_eq!(issues.len(), 4_999);
    assert_eq!(
        issues[0].message,
        "duplicate key `1`: rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 4,990 more have it; row 2 is kept and this row is ignored"
    );
    assert!(issues.iter().all(|i| i.message.len() < 200));
}

#[test]
fn duplicates_latest_keep_the_latest_modification() {
    let yaml = "format: csv\npath: p.csv\nkey: id\nduplicates: latest\nmodified_field: changed\nfields:\n  id: string\n  name: string\n  changed: datetime\n";
    let text = "id,name,changed\n1,a,2024-01-02\n1,b,2024-03-01\n1,c,2024-02-01\n2,x,2024-01-01\n2,y,2024-01-01\n3,n,\n3,m,2020-01-01\n";
    let (ds, issues) = read_file(yaml, text.as_bytes());
    assert_eq!(codes(&issues), ["D103"; 3]);
    assert!(issues.iter().all(|i| i.severity == Severity::Warning));
    assert_eq!(
        issues[0].message,
        "duplicate key `1`: rows 2, 3 and 4 have it; row 3 is kept (the latest `changed`; on a tie, the last record in content order)"
    );
    assert_eq!(issues[0].row, Some(3));
    assert_eq!(issues[1].row, Some(6), "tie: `y` after `x`");
    assert_eq!(issues[2].row, Some(8), "NULL is oldest");
    let ds = ds.unwrap();
    let kept: Vec<_> = ds.records().iter().map(|r| r.values[1].clone()).collect();
    assert_eq!(kept, [s("b"), s("y"), s("m")]);
}

#[test]
fn duplicates_latest_without_modified_field_keep_the_last_row() {
    let yaml = "format: csv\npath: p.csv\nkey: id\nduplicates: latest\nfields:\n  id: string\n  name: string\n";
    let (ds, issues) = read_file(yaml, b"id,name\n1,a\n1,b\n");
    assert_eq!(codes(&issues), ["D103"]);
    assert!(issues[0].message.ends_with(
        "row 3 is kept (no `modified_field` is set, so the last record in content order)"
    ));
    assert_eq!(ds.unwrap().records()[0].values[1], s("b"));
}

/// On a tie, the kept record depends on the records' content, never on their order in the
/// file: every permutation of the rows keeps the same values.
#[test]
fn duplicates_latest_tie_does_not_depend_on_row_order() {
    let yaml = "format: csv\npath: p.csv\nkey: id\nduplicates: latest\nmodified_field: changed\nfields:\n  id: string\n  dept: string\n  changed: datetime\n";
    let rows = [
        "1,Sales,2024-01-01",
        "1,IT,2024-01-01",
        "1,HR,2024-01-01",
        "2,Legal,",
    ];
    let orders: [[usize; 4]; 4] = [[0, 1, 2, 3], [2, 1, 0, 3], [1, 3, 2, 0], [3, 0, 2, 1]];
    for order in orders {
        let mut text = String::from("id,dept,changed\n");
        for i in order {
            text.push_str(rows[i]);
            text.push('\n');
        }
        let (ds, _) = read_file(yaml, text.as_bytes());
        let ds = ds.unwrap();
        let mut kept: Vec<(String, Value)> = ds
            .records()
            .iter()
            .map(|r| (r.key.clone(), r.values[1].clone()))
            .collect();
        kept.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            kept,
            [("1".to_string(), s("Sales")), ("2".to_string(), s("Legal"))],
            "{order:?}"
        );
    }
}

// ------------------------------------------------------------------------------------------
// SCIM
// ------------------------------------------------------------------------------------------

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn scim_source() -> String {
    format!(
        "format: scim\npath: bulk.json\nkey: externalId\nfields:\n  externalId: string\n  USERNAME: string\n  active: boolean\n  name.givenName: string\n  'emails[type eq \"work\"].value': string\n  emails: string_list\n  'phoneNumbers[type eq \"mobile\"].value': string\n  'addresses[type eq \"work\"].locality': string\n  '{ENTERPRISE}:employeeNumber': string\n  '{ENTERPRISE}:manager.value': string\n  'urn:ietf:params:scim:schemas:extension:Acme:2.0:User:hireDate': datetime\n  'urn:ietf:params:scim:schemas:core:2.0:User:title': string\n"
    )
}

#[test]
fn scim_reads_core_enterprise_and_custom_attributes() {
    let text = format!(
        r#"{{
  "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
  "Operations": [
    {{"method": "POST", "bulkId": "a", "path": "/Users", "data": {{
      "externalId": "701984", "userName": "bjensen", "active": true, "title": "Guide",
      "name": {{"givenName": "Barbara"}},
      "emails": [{{"value": "b@home.example", "type": "home"}}, {{"value": "b@work.example", "type": "Work"}}],
      "phoneNumbers": [{{"value": "555", "type": "work"}}],
      "addresses": [{{"type": "work", "locality": "Hollywood"}}],
      "{ENTERPRISE}": {{"employeeNumber": "701984", "manager": {{"value": "89607", "$ref": "../Users/x"}}}},
      "urn:ietf:params:scim:schemas:extension:acme:2.0:User": {{"HireDate": "2012-03-16-07:00"}}
    }}}},
    {{"method": "post", "bulkId": "b", "path": "/users", "data": {{
      "externalid": "807609", "username": "DoeJane", "active": "False", "title": "",
      "emails": []
    }}}},
    {{"method": "PATCH", "bulkId": "c", "path": "/Users", "data": {{"externalId": "1"}}}},
    {{"method": "POST", "bulkId": "b", "path": "/Groups", "data": {{"externalId": "2"}}}},
    {{"method": "POST", "bulkId": "d", "path": "/Users"}},
    {{"method": "POST", "path": "/Users", "data": {{"externalId": "807600", "userName": "DuckD"}}}}
  ],
  "failOnErrors": null
}}"#
    );
    let (ds, issues) = read_file(&scim_source(), text.as_bytes());
    let summary: Vec<_> = issues
        .iter()
        .map(|i| (i.code.as_str(), i.row.unwrap(), i.severity))
        .collect();
    assert_eq!(
        summary,
        [
            ("D109", 3, Severity::Error),
            ("D109", 4, Severity::Warning),
            ("D109", 4, Severity::Error),
            ("D109", 5, Severity::Error),
            ("D109", 6, Severity::Warning),
        ]
    );
    assert_eq!(
        issues[0].message,
        "the method `PATCH` is not `POST`; the operation is skipped"
    );
    assert_eq!(
        issues[1].message,
        "the `bulkId` `b` is also used by operation 2"
    );
    let ds = ds.unwrap();
    let r = &ds.records();
    assert_eq!(r.len(), 3);
    assert_eq!((r[0].row, r[1].row, r[2].row), (1, 2, 6));
    assert_eq!(
        r[0].values,
        [
            s("701984"),
            s("bjensen"),
            Value::Bool(true),
            s("Barbara"),
            s("b@work.example"),
            Value::List(vec![s("b@home.example"), s("b@work.example")]),
            Value::Null,
            s("Hollywood"),
            s("701984"),
            s("89607"),
            date(2012, 3, 16, 7, 0),
            s("Guide"),
        ]
    );
    assert_eq!(r[1].key, "807609");
    assert_eq!(r[1].values[1], s("DoeJane"));
    assert_eq!(r[1].values[2], Value::Bool(false));
    assert_eq!(r[1].values[5], Value::Null, "empty multi-valued attribute");
    assert_eq!(r[1].values[11], Value::Null, "empty string is no value");
    assert_eq!(r[2].values[1], s("DuckD"));
}

#[test]
fn scim_structure_problems() {
    let yaml = "format: scim\npath: b.json\nkey: externalId\nfields:\n  externalId: string\n";
    let (ds, issues) = read_file(yaml, br#"[{"externalId": "1"}]"#);
    assert!(ds.is_none());
    assert_eq!(codes(&issues), ["D101"]);
    assert_eq!(
        issues[0].message,
        "the file is not a SCIM bulk request: it is not a JSON object"
    );

    let (ds, issues) = read_file(yaml, br#"{"schemas": [], "Operations": [{"method": "POST", "bulkId": "1", "path": "/Users", "data": {"externalId": "1"}}], "failOnErrors": "yes"}"#);
    assert_eq!(codes(&issues), ["D109", "D109"]);
    assert!(issues[0].message.starts_with("`schemas` does not list"));
    assert_eq!(issues[1].severity, Severity::Warning);
    assert_eq!(ds.unwrap().records().len(), 1);
}

#[test]
fn scim_paths() {
    let p = scim::parse_path(r#"emails[type eq "work"].value"#).unwrap();
    let data: serde_json::Map<String, Json> = serde_json::from_str(
        r#"{"Emails": [{"type": "work", "value": "a"}, {"type": "home", "value": "b"}], "x": {"y.z": 1}}"#,
    )
    .unwrap();
    assert_eq!(scim::resolve(&data, &p), Ok(Some(serde_json::json!(["a"]))));
    let p = scim::parse_path("emails").unwrap();
    assert_eq!(
        scim::resolve(&data, &p),
        Ok(Some(serde_json::json!(["a", "b"])))
    );
    let p = scim::parse_path("emails.value").unwrap();
    assert_eq!(
        scim::resolve(&data, &p),
        Ok(Some(serde_json::json!(["a", "b"])))
    );
    let p = scim::parse_path("name.givenName").unwrap();
    assert_eq!(scim::resolve(&data, &p), Ok(None));
    for bad in [
        "",
        "a..b",
        "emails[type]",
        "emails[type ne \"x\"]",
        "emails[type eq \"x\"",
        "urn:x:",
        "a[x eq 1]b",
    ] {
        assert!(scim::parse_path(bad).is_err(), "{bad}");
    }
    // A filter value may hold dots and colons.
    let p = scim::parse_path(r#"urn:x:User:emails[value eq "a.b:c"].type"#).unwrap();
    let data: serde_json::Map<String, Json> =
        serde_json::from_str(r#"{"urn:x:User": {"emails": [{"value": "a.b:c", "type": "work"}]}}"#)
            .unwrap();
    assert_eq!(
        scim::resolve(&data, &p),
        Ok(Some(serde_json::json!(["work"])))
    );
}

/// A SCIM attribute of the wrong shape is reported (`D111`) and left empty, never read as
/// something else: a string where `emails` (an array of objects) belongs, a scalar where a
/// sub-attribute is read, a string item in a multi-valued attribute.
#[test]
fn scim_attribute_of_the_wrong_shape() {
    let shapes = [
        (
            r#""emails": "x@example.com""#,
            r#"`emails` is a string; SCIM's `emails` is an array"#,
        ),
        (
            r#""emails": {"value": "x@example.com", "type": "work"}"#,
            "`emails` is an object",
        ),
        (
            r#""emails": ["x@example.com"]"#,
            "`emails` holds a string, where its items are objects",
        ),
        (
            r#""name": "Barbara Jensen""#,
            "`name` is a string, where an object",
        ),
    ];
    let yaml = "format: scim\npath: b.json\nkey: externalId\nfields:\n  externalId: string\n  'emails[type eq \"work\"].value': string\n  emails: string_list\n  name.givenName: string\n";
    for (attr, message) in shapes {
        let text = format!(
            r#"{{"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [{{"method": "POST", "bulkId": "1", "path": "/Users", "data": {{"externalId": "1", {attr}}}}}]}}"#
        );
        let (ds, issues) = read_file(yaml, text.as_bytes());
        // (The fields the record lacks are `D105` warnings.)
        let issues: Vec<DataIssue> = issues
            .into_iter()
            .filter(|i| i.code.as_str() != "D105")
            .collect();
        assert!(!issues.is_empty(), "{attr}");
        for i in &issues {
            assert_eq!(i.code.as_str(), "D111", "{attr}: {i}");
            assert!(i.is_error());
            assert_eq!(i.row, Some(1));
        }
        assert!(
            issues.iter().any(|i| i.message.starts_with(message)),
            "{attr}: {issues:?}"
        );
        let ds = ds.unwrap();
        let record = &ds.records()[0];
        assert!(
            record.values[1..].iter().all(|v| *v == Value::Null),
            "{attr}: {:?}",
            record.values
        );
    }
    // The right shapes read without a problem.
    let text = r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [{"method": "POST", "bulkId": "1", "path": "/Users", "data": {"externalId": "1", "emails": [{"value": "x@example.com", "type": "work"}], "name": {"givenName": "Barbara"}}}]}"#;
    let (ds, issues) = read_file(yaml, text.as_bytes());
    assert_eq!(codes(&issues), Vec::<&str>::new());
    assert_eq!(ds.unwrap().records()[0].values[3], s("Barbara"));
}

/// A member written twice in a JSON record is reported (`D110`) and the field it feeds left
/// empty; the key repeated leaves the record without a key. A repeated member no field reads
/// is a warning.
#[test]
fn json_repeated_members_are_reported() {
    let yaml = "format: json\npath: p.json\nkey: id\nfields:\n  id: string\n  dept: string\n";
    let (ds, issues) = read_file(
        yaml,
        br#"[{"id": "1", "dept": "HR", "dept": "IT-admins"}, {"id": "2", "x": 1, "x": 2, "dept": "Sales"}, {"id": "3", "dept": "HR", "id": "7"}]"#,
    );
    assert_eq!(codes(&issues), ["D110", "D110", "D110", "D104"]);
    assert_eq!(
        (issues[0].row, issues[0].field.as_deref()),
        (Some(1), Some("dept"))
    );
    assert!(issues[0].is_error());
    assert_eq!(
        issues[0].message,
        "the member `dept` appears 2 times in the record: `dept` is left empty"
    );
    assert_eq!(issues[1].severity, Severity::Warning);
    assert_eq!(
        (issues[2].row, issues[2].field.as_deref()),
        (Some(3), Some("id"))
    );
    let ds = ds.unwrap();
    let records = ds.records();
    assert_eq!(records.len(), 2, "the record whose key repeats is skipped");
    assert_eq!(records[0].values[1], Value::Null, "never `IT-admins`");
    assert_eq!(records[1].values[1], s("Sales"));
    // JSON Lines too, by line.
    let yaml = "format: jsonl\npath: p.jsonl\nkey: id\nfields:\n  id: string\n  dept: string\n";
    let (_, issues) = read_file(
        yaml,
        b"{\"id\": \"1\"}\n{\"id\": \"2\", \"dept\": \"a\", \"dept\": \"b\"}\n",
    );
    assert_eq!(codes(&issues), ["D110"]);
    assert_eq!(issues[0].row, Some(2));
}

/// In SCIM, a member repeated (or written in two cases) inside `data` leaves the fields read
/// through it empty; in an operation's own members it skips the operation; `Operations`
/// twice makes the request unreadable.
#[test]
fn scim_repeated_members_are_reported() {
    let yaml = "format: scim\npath: b.json\nkey: externalId\nfields:\n  externalId: string\n  userName: string\n  name.givenName: string\n";
    let op = |id: u32, data: &str| {
        format!(r#"{{"method": "POST", "bulkId": "{id}", "path": "/Users", "data": {{{data}}}}}"#)
    };
    let bulk = |ops: &[String]| {
        format!(
            r#"{{"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [{}]}}"#,
            ops.join(", ")
        )
    };
    let text = bulk(&[
        op(
            1,
            r#""externalId": "1", "userName": "a", "USERNAME": "admin""#,
        ),
        op(
            2,
            r#""externalId": "2", "userName": "b", "name": {"givenName": "B", "givenName": "C"}"#,
        ),
    ]);
    let (ds, issues) = read_file(yaml, text.as_bytes());
    assert_eq!(codes(&issues), ["D110", "D110"], "{issues:?}");
    assert_eq!(
        (issues[0].row, issues[0].field.as_deref()),
        (Some(1), Some("userName"))
    );
    assert_eq!(
        (issues[1].row, issues[1].field.as_deref()),
        (Some(2), Some("name.givenName"))
    );
    let records = ds.unwrap().records();
    assert_eq!(records[0].values[1], Value::Null);
    assert_eq!(records[1].values[1], s("b"));
    assert_eq!(records[1].values[2], Value::Null);
    // An operation's own member twice: the operation is skipped.
    let text = r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [{"method": "DELETE", "method": "POST", "bulkId": "1", "path": "/Users", "data": {"externalId": "1"}}]}"#;
    let (ds, issues) = read_file(yaml, text.as_bytes());
    assert_eq!(codes(&issues), ["D110"]);
    assert!(ds.unwrap().is_empty());
    // `Operations` twice: nothing is read.
    let text = r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [], "operations": []}"#;
    let (ds, issues) = read_file(yaml, text.as_bytes());
    assert_eq!(codes(&issues), ["D110"]);
    assert!(ds.is_none());
}

#[test]
fn scim_bad_field_path_is_reported() {
    let yaml = "format: scim\npath: b.json\nkey: externalId\nfields:\n  externalId: string\n  'emails[type]': string\n";
    let text = br#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [{"method": "POST", "bulkId": "1", "path": "/Users", "data": {"externalId": "1"}}]}"#;
    let (ds, issues) = read_file(yaml, text);
    assert_eq!(codes(&issues), ["D105"]);
    assert!(
        issues[0]
            .message
            .starts_with("the field is not a SCIM attribute path")
    );
    assert_eq!(ds.unwrap().records().len(), 1);
}

// ------------------------------------------------------------------------------------------
// Managers
// ------------------------------------------------------------------------------------------

fn people(rows: &[(&str, &str)]) -> Dataset {
    Dataset {
        source: "hr".into(),
        file: "hr.csv".into(),
        fields: vec![("manager".into(), FieldType::String)],
        rows: (2..rows.len() + 2).collect(),
        keys: Column::from_values(rows.iter().map(|(k, _)| s(k))),
        columns: vec![Column::from_values(
            rows.iter()
                .map(|(_, m)| if m.is_empty() { Value::Null } else { s(m) }),
        )],
    }
}

#[test]
fn manager_dangling_self_and_cycles() {
    let ds = people(&[
        ("ceo", ""),
        ("a", "b"),
        ("b", "a"),
        ("c", "a"),
        ("d", "d"),
        ("e", "nobody"),
        ("x", "y"),
        ("y", "z"),
        ("z", "x"),
        ("w", "ceo"),
    ]);
    let issues = manager_issues(&ds, "manager", "hr.csv");
    let rendered: Vec<String> = issues.iter().map(ToString::to_string).collect();
    assert_eq!(
        rendered,
        [
            "hr.csv:6: field `manager`: `d` is their own manager",
            "hr.csv:7: field `manager`: the manager `nobody` is not a key of this source",
            "hr.csv:3: field `manager`: managers form a cycle: `a` -> `b` -> `a`",
            "hr.csv:8: field `manager`: managers form a cycle: `x` -> `y` -> `z` -> `x`",
        ]
    );
    assert_eq!(codes(&issues), ["D107", "D106", "D108", "D108"]);
    // Entering the cycle at another record reports the same cycle, from its first record.
    let ds = people(&[("c", "b"), ("a", "b"), ("b", "a")]);
    let issues = manager_issues(&ds, "manager", "hr.csv");
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].row, Some(3));
    assert!(issues[0].message.ends_with("`a` -> `b` -> `a`"));
}

#[test]
fn manager_field_must_be_declared() {
    let issues = manager_issues(&people(&[("a", "")]), "ManagerID", "hr.csv");
    assert_eq!(codes(&issues), ["D105"]);
}

// ------------------------------------------------------------------------------------------
// Rendering
// ------------------------------------------------------------------------------------------

#[test]
fn issue_forms() {
    let issue = DataIssue::new(Code::DataValueType, "hr.csv", "`x` is not a number")
        .at(3)
        .field("grade")
        .help("write a number");
    assert_eq!(
        issue.to_string(),
        "hr.csv:3: field `grade`: `x` is not a number"
    );
    assert_eq!(
        issue.render(),
        "error[D102]: hr.csv:3: field `grade`: `x` is not a number\n  = help: write a number\n"
    );
    assert_eq!(
        serde_json::to_value(&issue).unwrap(),
        serde_json::json!({
            "code": "D102", "severity": "error", "file": "hr.csv", "row": 3,
            "field": "grade", "message": "`x` is not a number", "help": "write a number"
        })
    );
    let bare = DataIssue::new(Code::DataUnreadable, "hr.csv", "the file is empty");
    assert_eq!(bare.to_string(), "hr.csv: the file is empty");
}

// ------------------------------------------------------------------------------------------
// Microsoft's samples (skipped when /work/shared is absent)
// ------------------------------------------------------------------------------------------

fn samples() -> Option<PathBuf> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data"))
        .join("entra-inbound-samples");
    dir.is_dir().then_some(dir)
}

const COLUMNS: [&str; 24] = [
    "WorkerID",
    "WorkerStatus",
    "WorkerType",
    "UserID",
    "FirstName",
    "LastName",
    "FullName",
    "GenderPronoun",
    "ManagerID",
    "HireDate",
    "OnLeave",
    "Department",
    "Division",
    "CostCenter",
    "Company",
    "Location",
    "JobTitle",
    "StreetAddress",
    "City",
    "CountryCode",
    "OfficePhone",
    "Custom01",
    "Custom02",
    "ZipCode",
];

fn hr_source(path: &str) -> raw::Source {
    let mut yaml = format!("format: csv\npath: {path}\nkey: WorkerID\nfields:\n");
    for c in COLUMNS {
        let ty = match c {
            "HireDate" => "datetime",
            "OnLeave" => "boolean",
            _ => "string",
        };
        yaml.push_str(&format!("  {c}: {ty}\n"));
    }
    source(&yaml)
}

/// Reading allowed inside `dir`.
fn access(dir: &std::path::Path) -> crate::files::Access {
    crate::files::Access {
        root: std::fs::canonicalize(dir).ok(),
        ..crate::files::Access::default()
    }
}

#[test]
fn microsoft_csv_with_1000_records() {
    let Some(dir) = samples() else {
        return;
    };
    let src = hr_source("csv-with-1000-records.csv");
    let (rows, issues) = read_rows("hr", &src, &dir, &access(&dir));
    assert_eq!(issues, []);
    let rows = rows.unwrap();
    assert_eq!(rows.records().len(), 1000);
    assert_eq!(rows.records()[0].row, 2);
    assert_eq!(rows.records()[999].row, 1001);
    assert!(
        rows.records().iter().all(|r| !r.values[9].is_null()),
        "every HireDate parses"
    );

    let keys: std::collections::HashSet<&str> = (0..rows.len()).map(|r| rows.key(r)).collect();
    assert_eq!(keys.len(), 624);
    let manager = rows.field_index("ManagerID").unwrap();
    let resolving = rows
        .records()
        .iter()
        .filter(|r| {
            r.value(manager)
                .as_text()
                .is_some_and(|m| keys.contains(&*m))
        })
        .count();
    assert_eq!(resolving, 634);

    let managers = manager_issues(&rows, "ManagerID", "csv-with-1000-records.csv");
    let selfs: Vec<_> = managers
        .iter()
        .filter(|i| i.code == Code::DataSelfManager)
        .collect();
    assert_eq!(selfs.len(), 1);
    assert_eq!(selfs[0].message, "`1961` is their own manager");
    let dangling = managers
        .iter()
        .filter(|i| i.code == Code::DataDanglingManager)
        .count();
    assert_eq!(dangling, 1000 - 634);

    let (dataset, issues) = read("hr", &src, &dir, &access(&dir));
    let dataset = dataset.unwrap();
    assert_eq!(dataset.records().len(), 624);
    assert_eq!(issues.len(), 376);
    assert!(
        issues
            .iter()
            .all(|i| i.code == Code::DataDuplicateKey && i.is_error())
    );
    // Every row is accounted for: kept, or named by a duplicate issue.
    let mut accounted: Vec<usize> = dataset.records().iter().map(|r| r.row).collect();
    accounted.extend(issues.iter().filter_map(|i| i.row));
    accounted.sort_unstable();
    assert_eq!(accounted, (2..=1001).collect::<Vec<_>>());
}

#[test]
fn microsoft_sample1_reads_cleanly() {
    let Some(dir) = samples() else {
        return;
    };
    for (file, lines) in [
        ("employeeData.csv", 333),
        ("contractorData.csv", 332),
        ("internData.csv", 338),
    ] {
        let src = hr_source(&format!("sample1/{file}"));
        let (rows, issues) = read_rows("hr", &src, &dir, &access(&dir));
        assert_eq!(issues, [], "{file}");
        let rows = rows.unwrap();
        assert_eq!(rows.records().len(), lines - 1, "{file}");
        // Quotes are gone, and quoted empty cells are no value.
        for r in &rows.records() {
            for v in &r.values {
                if let Value::Str(text) = v {
                    assert!(!text.contains('"') && !text.is_empty(), "{file}:{}", r.row);
                }
            }
        }
        // The files repeat WorkerIDs too: the only issues of `read` are duplicate keys.
        let (_, issues) = read("hr", &src, &dir, &access(&dir));
        assert!(
            issues.iter().all(|i| i.code == Code::DataDuplicateKey),
            "{file}"
        );
    }
}

#[test]
fn microsoft_scim_samples() {
    let Some(dir) = samples() else {
        return;
    };
    let core_enterprise = format!(
        "format: scim\npath: Extended-SCIM-bulk-request-Core+Enterprise.json\nkey: externalId\nfields:\n  externalId: string\n  userName: string\n  displayName: string\n  title: string\n  active: boolean\n  name.givenName: string\n  'emails[type eq \"work\"].value': string\n  '{ENTERPRISE}:employeeNumber': string\n  '{ENTERPRISE}:manager.value': string\n  'urn:ietf:params:scim:schemas:extension:sap:2.0:User:hireDate': datetime\n  'urn:ietf:params:scim:schemas:extension:sap:2.0:User:onLeave': boolean\n"
    );
    let (ds, issues) = read("scim", &source(&core_enterprise), &dir, &access(&dir));
    assert_eq!(codes(&issues), ["D109"], "{issues:?}");
    assert_eq!(issues[0].row, Some(3));
    assert_eq!(issues[0].severity, Severity::Warning);
    assert!(issues[0].message.contains("also used by operation 2"));
    let ds = ds.unwrap();
    let keys: Vec<_> = (0..ds.len()).map(|r| ds.key(r)).collect();
    assert_eq!(keys, ["701984", "807609", "807600"]);
    let r = &ds.records();
    assert_eq!(r[0].values[1], s("bjensen@example.com"));
    assert_eq!(r[1].values[1], s("DoeJane"), "`username` in lower case");
    assert_eq!(r[2].values[1], s("DuckD"));
    assert_eq!(r[0].values[5], s("Barbara"));
    assert_eq!(r[0].values[6], s("bjensen@example.com"));
    assert_eq!(
        r[0].values[8],
        s("89607"),
        "manager.value is an employee number"
    );
    assert_eq!(r[0].values[9], date(2020, 1, 1, 0, 0));
    assert_eq!(r[0].values[10], Value::Bool(false));
    assert_eq!(r[1].values[4], Value::Bool(true));

    let csv_ext = "urn:ietf:params:scim:schemas:extension:csv:1.0:User";
    let payload = format!(
        "format: scim\npath: Sample-CSV-2-SCIM-payload.json\nkey: externalId\nfields:\n  externalId: string\n  username: string\n  '{csv_ext}:WorkerID': string\n  '{csv_ext}:ManagerID': string\n  '{csv_ext}:HireDate': datetime\n  '{csv_ext}:TerminationDate': datetime\n  '{csv_ext}:IsTerminated': boolean\n  '{csv_ext}:Fax': string\n"
    );
    let (ds, issues) = read("scim", &source(&payload), &dir, &access(&dir));
    assert_eq!(codes(&issues), ["D109"], "{issues:?}");
    let ds = ds.unwrap();
    assert_eq!(ds.records().len(), 3);
    let r = &ds.records()[0];
    assert_eq!(r.values[1], s("bjensen"));
    assert_eq!(r.values[2], s("123456"));
    assert_eq!(r.values[3], s("80607"));
    assert_eq!(r.values[4], date(2020, 1, 1, 0, 0));
    assert_eq!(r.values[5], Value::Null, "empty string is no value");
    assert_eq!(r.values[6], Value::Bool(false));
    assert_eq!(r.values[7], Value::Null);
    assert_eq!(ds.records()[1].values[2], Value::Null, "no extension");
}

// ------------------------------------------------------------------------------------------
// No input panics
// ------------------------------------------------------------------------------------------

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn all_formats() -> Vec<raw::Source> {
        [
            PEOPLE.to_string(),
            JSON_SOURCE.to_string(),
            JSON_SOURCE.replace("format: json", "format: jsonl"),
            scim_source(),
        ]
        .iter()
        .map(|y| source(y))
        .collect()
    }

    fn read_all(bytes: &[u8]) {
        for src in all_formats() {
            let mut issues = Vec::new();
            let ds = read_bytes("p", &src, bytes, "p", &mut issues);
            if let Some(mut ds) = ds {
                let _ = manager_issues(&ds, "manager", "p");
                resolve_duplicates(
                    &mut ds,
                    Duplicates::Latest,
                    Some("hired"),
                    ("p", "id"),
                    &mut issues,
                );
            }
            for i in &issues {
                let _ = i.render();
            }
        }
    }

    /// The character-by-character splitter the tokenizer replaced, the reference for its
    /// behaviour: records as (line, cells); `Err` is the line of an unterminated quote.
    fn reference_split(text: &str, delimiter: char) -> Result<Vec<(usize, Vec<String>)>, usize> {
        let mut out = Vec::new();
        let mut chars = text.chars().peekable();
        let mut line = 1usize;
        let mut start_line = 1usize;
        let mut cells: Vec<String> = Vec::new();
        let mut cell = String::new();
        let mut at_cell_start = true;
        let mut any = false; // whether the current record has any content
        loop {
            let Some(c) = chars.next() else {
                if any || !cells.is_empty() {
                    cells.push(std::mem::take(&mut cell));
                    out.push((start_line, std::mem::take(&mut cells)));
                }
                return Ok(out);
            };
            if at_cell_start && c == '"' {
                any = true;
                at_cell_start = false;
                let quote_line = line;
                loop {
                    match chars.next() {
                        None => return Err(quote_line),
                        Some('"') => {
                            if chars.peek() == Some(&'"') {
                                chars.next();
                                cell.push('"');
                            } else {
                                break;
                            }
                        }
                        Some(ch) => {
                            if ch == '\n' || (ch == '\r' && chars.peek() != Some(&'\n')) {
                                line = line.saturating_add(1);
                            }
                            cell.push(ch);
                        }
                    }
                }
                continue;
            }
            if c == delimiter {
                any = true;
                cells.push(std::mem::take(&mut cell));
                at_cell_start = true;
                continue;
            }
            if c == '\n' || c == '\r' {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                if any {
                    cells.push(std::mem::take(&mut cell));
                    out.push((start_line, std::mem::take(&mut cells)));
                }
                line = line.saturating_add(1);
                start_line = line;
                any = false;
                at_cell_start = true;
                continue;
            }
            any = true;
            at_cell_start = false;
            cell.push(c);
        }
    }

    fn split(text: &str, delimiter: char) -> Result<Vec<(usize, Vec<String>)>, usize> {
        csv::split(text, delimiter)
            .map(|lines| lines.into_iter().map(|l| (l.line, l.cells)).collect())
            .map_err(|(line, _)| line)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn csv_splits_as_the_reference_splitter(
            text in "[a\",;é§\r\n ]{0,120}",
            delimiter in prop::sample::select(vec![',', ';', '§', 'é']),
        ) {
            let want = reference_split(&text, delimiter);
            prop_assert_eq!(split(&text, delimiter), want);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            read_all(&bytes);
        }

        #[test]
        fn csv_like_text_never_panics(text in "[a-z0-9,;\"\r\n\u{feff} é]{0,200}") {
            read_all(format!("id,name,hired,active,grade,groups,manager\n{text}").as_bytes());
        }

        #[test]
        fn json_like_text_never_panics(text in r#"[\[\]{}",:a-z0-9 \n]{0,200}"#) {
            read_all(format!("[{{\"id\": {text}").as_bytes());
            read_all(format!("{{\"Operations\": [{{\"method\": \"POST\", \"path\": \"/Users\", \"data\": {{\"externalId\": {text}").as_bytes());
        }

        #[test]
        fn arbitrary_attribute_paths_never_panic(path in r#"[a-z:.\[\]" ]{0,40}"#) {
            if let Ok(p) = scim::parse_path(&path) {
                let data = serde_json::Map::new();
                let _ = scim::resolve(&data, &p).ok();
            }
        }
    }
}

#[test]
fn data_issues_render_clipped_and_terminal_safe() {
    let issue = DataIssue::new(
        Code::DataValueType,
        "hr\u{1b}[2J.csv",
        format!("`{}\n::error::x` is not a number", "9".repeat(5_000)),
    )
    .at(2)
    .field("level")
    .help("`##[warning]`");
    let out = issue.render();
    assert!(out.len() < 400, "{}", out.len());
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.contains("hr\\u{1b}[2J.csv:2: field `level`: `999"));
    assert!(
        out.contains("…(4811 more characters)` is not a number"),
        "{out}"
    );
    assert!(out.ends_with("  = help: `#\\u{23}[warning]`\n"), "{out}");
}
