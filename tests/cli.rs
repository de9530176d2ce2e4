//! End-to-end tests of the `roster` binary: the command-line contract (stdout, stderr, exit
//! codes) for `expr`, `rule` and `codes`. Rendered diagnostics are insta snapshots, reviewed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write as _;
use std::process::{Command, Stdio};

mod common;
use common::{Run, roster_in};

fn roster(args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_roster"));
    cmd.args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn temp_file(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn expr_prints_the_value_as_json() {
    let r = roster(
        &[
            "expr",
            r#"Join(" ", [givenName], [surname])"#,
            "--input",
            "-",
        ],
        Some(r#"{"givenName": "John", "surname": "Doe"}"#),
    );
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "{\"value\":\"John Doe\"}\n", "")
    );
}

#[test]
fn expr_null_number_boolean_list_and_date_values() {
    let input = r#"{"n": null, "list": ["a", "b", "a"]}"#;
    for (expr, want) in [
        ("[n]", r#"{"value":null}"#),
        ("[absent]", r#"{"value":null}"#),
        (r#"InStr("The quick brown fox", "quick")"#, r#"{"value":5}"#),
        ("IsPresent([n])", r#"{"value":false}"#),
        ("RemoveDuplicates([list])", r#"{"value":["a","b"]}"#),
        (
            r#"DateAdd("d", 7, CDate("2012-03-16-07:00"))"#,
            r#"{"value":"3/23/2012 7:00:00 AM"}"#,
        ),
        ("Now()", r#"{"value":"7/2/2021 3:33:38 PM"}"#),
    ] {
        let r = roster(
            &[
                "expr",
                expr,
                "--input",
                "-",
                "--now",
                "2021-07-02T15:33:38Z",
            ],
            Some(input),
        );
        assert_eq!(
            (r.code, r.stdout.trim_end()),
            (0, want),
            "{expr}: {}",
            r.stderr
        );
    }
}

#[test]
fn expr_ignore_flow_outcomes() {
    let r = roster(
        &["expr", "IgnoreFlowIfNullOrEmpty([telephoneNumber])"],
        None,
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, "{\"ignore_flow\":true}\n"));
    let r = roster(
        &[
            "expr",
            r#"IIF([Active] = "1", "x", IgnoreObjectFlow)"#,
            "--input",
            "-",
        ],
        Some(r#"{"Active": "0"}"#),
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "{\"ignore_object_flow\":true}\n")
    );
}

#[test]
fn expr_existing_values_drive_select_unique_value() {
    let existing = temp_file("existing.json", r#"["jsmith", "JOSMITH"]"#);
    let r = roster(
        &[
            "expr",
            r#"SelectUniqueValue(Join("", Mid([f],1,1), [l]), Join("", Mid([f],1,2), [l]), Join("", Mid([f],1,3), [l]))"#,
            "--input",
            "-",
            "--existing",
            existing.to_str().unwrap(),
        ],
        Some(r#"{"f": "John", "l": "Smith"}"#),
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "{\"value\":\"JohSmith\"}\n")
    );
    let existing = temp_file("existing-all.json", r#"["jsmith", "josmith", "johsmith"]"#);
    let r = roster(
        &[
            "expr",
            r#"SelectUniqueValue(Join("", Mid([f],1,1), [l]), Join("", Mid([f],1,2), [l]))"#,
            "--input",
            "-",
            "--existing",
            existing.to_str().unwrap(),
        ],
        Some(r#"{"f": "John", "l": "Smith"}"#),
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("error[E101]"), "{}", r.stderr);
}

#[test]
fn expr_seed_makes_random_functions_reproducible() {
    let a = roster(
        &[
            "expr",
            "Join(\"-\", Guid(), RandomString(8, 2, 2, 2, 2))",
            "--seed",
            "42",
        ],
        None,
    );
    let b = roster(
        &[
            "expr",
            "Join(\"-\", Guid(), RandomString(8, 2, 2, 2, 2))",
            "--seed",
            "42",
        ],
        None,
    );
    assert_eq!(a.code, 0);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn expr_syntax_error_is_rendered_with_a_caret() {
    let r = roster(&["expr", r#"Join(" ", [givenName] [surname])"#], None);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    insta::assert_snapshot!("expr_syntax_error", r.stderr);
}

#[test]
fn expr_unknown_function_suggests_the_nearest() {
    let r = roster(
        &["expr", r#"ToLower(NormalizeDiacritcs([givenName]))"#],
        None,
    );
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("expr_unknown_function", r.stderr);
}

#[test]
fn expr_warning_keeps_exit_zero() {
    let r = roster(
        &["expr", r#"switch([a], "x", "1", "y")"#, "--input", "-"],
        Some(r#"{"a": "1"}"#),
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, "{\"value\":\"y\"}\n"));
    assert!(r.stderr.contains("warning[C108]"), "{}", r.stderr);
}

#[test]
fn expr_json_diagnostics_have_the_documented_fields() {
    let r = roster(&["expr", "Mid([givenName], , 3)", "--format", "json"], None);
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stderr).unwrap();
    let d = &v[0];
    for field in [
        "code",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
    ] {
        assert!(d.get(field).is_some(), "missing {field} in {d}");
    }
    assert_eq!(d["code"], "C103");
    assert_eq!(d["severity"], "error");
    assert_eq!(
        (
            d["line"].as_u64(),
            d["column"].as_u64(),
            d["end_column"].as_u64()
        ),
        (Some(1), Some(1), Some(4))
    );
}

#[test]
fn expr_case_mismatch_is_noted() {
    let r = roster(
        &["expr", "[FirstName]", "--input", "-"],
        Some(r#"{"firstName": "John"}"#),
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, "{\"value\":null}\n"));
    assert!(r.stderr.contains("`firstName`"), "{}", r.stderr);
}

#[test]
fn bad_input_exits_2_with_a_located_message() {
    let r = roster(
        &["expr", "[a]", "--input", "-"],
        Some("{\"a\": 1,\n \"b\" 2}"),
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("error: <stdin>:2:"), "{}", r.stderr);
    let r = roster(&["rule", "user.a -eq 1", "--input", "-"], Some("[1]"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("expected a JSON object"), "{}", r.stderr);
    let r = roster(&["expr", "[a]", "--input", "/nonexistent/in.json"], None);
    assert_eq!(r.code, 2);
    let r = roster(&["expr", "Now()", "--now", "yesterday"], None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("RFC 3339"), "{}", r.stderr);
}

#[test]
fn rule_prints_true_or_false() {
    let input =
        r#"{"department": "sales", "country": "FR", "proxyAddresses": ["SMTP:a@contoso.com"]}"#;
    for (rule, want) in [
        (
            r#"user.department -eq "Sales" -and user.country -in ["DE","FR"]"#,
            "true\n",
        ),
        (
            r#"user.department -eq "Sales" -and user.country -in ["DE"]"#,
            "false\n",
        ),
        (
            r#"user.proxyAddresses -any (_ -startsWith "smtp:")"#,
            "true\n",
        ),
        ("user.mail -eq null", "true\n"),
    ] {
        let r = roster(&["rule", rule, "--input", "-"], Some(input));
        assert_eq!(
            (r.code, r.stdout.as_str(), r.stderr.as_str()),
            (0, want, ""),
            "{rule}"
        );
    }
}

#[test]
fn rule_uses_now_for_system_now() {
    let input = r#"{"employeeHireDate": "2024-03-05T00:00:00Z"}"#;
    let rule = "user.employeeHireDate -ge system.now -plus p1d";
    let r = roster(
        &[
            "rule",
            rule,
            "--input",
            "-",
            "--now",
            "2024-03-03T12:00:00Z",
        ],
        Some(input),
    );
    assert_eq!(r.stdout, "true\n");
    let r = roster(
        &[
            "rule",
            rule,
            "--input",
            "-",
            "--now",
            "2024-03-04T12:00:00Z",
        ],
        Some(input),
    );
    assert_eq!(r.stdout, "false\n");
}

#[test]
fn rule_errors_are_rendered() {
    let r = roster(&["rule", "user.accountEnabled -contains true"], None);
    assert_eq!((r.code, r.stdout.as_str()), (1, ""));
    insta::assert_snapshot!("rule_unsupported_operator", r.stderr);
    let r = roster(
        &[
            "rule",
            r#"user.department -eq "Sales" user.country -eq "DE""#,
        ],
        None,
    );
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("rule_missing_join", r.stderr);
}

#[test]
fn codes_lists_every_code_and_the_reference_page() {
    let r = roster(&["codes"], None);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout.lines().count(), roster::codes::ALL.len());
    let r = roster(&["codes", "--markdown"], None);
    assert_eq!(r.stdout, roster::codes::markdown());
}

/// Writes a corpus example (`tests/lint/CODE/bad.yaml`, split at `# file: NAME` lines) into a
/// fresh directory.
fn corpus_dir(code: &str, which: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(format!(
        "{}/tests/lint/{code}/{which}.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!(
        "roster-corpus-{}-{n}-{code}-{which}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut name = "policy.yaml".to_string();
    let mut body = String::new();
    for line in text.split_inclusive('\n') {
        if let Some(next) = line.strip_prefix("# file: ") {
            std::fs::write(dir.join(&name), &body).unwrap();
            name = next.trim().to_string();
            body.clear();
        } else {
            body.push_str(line);
        }
    }
    std::fs::write(dir.join(&name), &body).unwrap();
    dir
}

fn corpus_codes() -> Vec<String> {
    let mut codes: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/lint"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
    codes.sort();
    codes
}

#[test]
fn lint_corpus_every_format() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("snapshots/lint");
    settings.bind(|| {
        for code in corpus_codes() {
            let dir = corpus_dir(&code, "bad");
            let info = roster::codes::ALL
                .iter()
                .find(|i| i.code.as_str() == code)
                .unwrap_or_else(|| panic!("{code} is not a code"));
            let error = info.code.severity() == roster::diagnostics::Severity::Error;
            for format in ["human", "json", "sarif", "github"] {
                let r = roster_in(&dir, &["lint", ".", "--format", format]);
                assert_eq!(
                    r.code,
                    if error { 1 } else { 0 },
                    "{code} {format}: {}{} in {}",
                    r.stderr,
                    r.stdout,
                    dir.display()
                );
                assert_eq!(r.stderr, "", "{code} {format}");
                if format == "json" {
                    let diags: Vec<serde_json::Value> = serde_json::from_str(&r.stdout).unwrap();
                    let diags: Vec<_> = diags
                        .into_iter()
                        .filter(|d| d.get("suppressed").is_none())
                        .collect();
                    assert!(
                        !diags.is_empty() && diags.iter().all(|d| d["code"] == code.as_str()),
                        "{code}: {}",
                        r.stdout
                    );
                }
                insta::assert_snapshot!(format!("{code}-{format}"), r.stdout);
            }
            if !error {
                let r = roster_in(&dir, &["lint", ".", "--deny-warnings"]);
                assert_eq!(r.code, 1, "{code}: --deny-warnings must fail on warnings");
            }
            let good = corpus_dir(&code, "good");
            let r = roster_in(&good, &["lint", ".", "--deny-warnings"]);
            // A good example may show a suppression done right: the summary then counts it.
            assert!(
                r.code == 0
                    && (r.stdout == "no problems\n"
                        || (r.stdout.starts_with("no problems, ")
                            && r.stdout.ends_with(" suppressed (L004 x1)\n"))),
                "{code} good: {} {}",
                r.code,
                r.stdout
            );
        }
    });
}

#[test]
fn lint_corpus_positions_are_all_known() {
    for code in corpus_codes() {
        let dir = corpus_dir(&code, "bad");
        let r = roster_in(&dir, &["lint", ".", "--format", "json"]);
        let diags: Vec<serde_json::Value> = serde_json::from_str(&r.stdout).unwrap();
        assert!(!diags.is_empty(), "{code}");
        for d in diags {
            let file = d["file"].as_str().unwrap();
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            let (start, end) = (
                d["span"]["start"].as_u64().unwrap() as usize,
                d["span"]["end"].as_u64().unwrap() as usize,
            );
            assert!(
                start < end && end <= text.len(),
                "{code}: span {start}..{end} in {file}"
            );
            assert!(
                d["line"].as_u64().unwrap() >= 1 && d["column"].as_u64().unwrap() >= 1,
                "{code}: {d}"
            );
        }
    }
}

#[test]
fn lint_exit_2_when_the_policy_set_cannot_be_read() {
    let r = roster(&["lint", "/nonexistent/policies"], None);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("is not a file or directory"),
        "{}",
        r.stderr
    );
}

#[test]
fn graph_formats_and_impact() {
    let dir = corpus_dir("L009", "good");
    let r = roster_in(&dir, &["graph", "."]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("digraph roster {"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("\"attribute:department\" -> \"package:payments-approve\";"),
        "{}",
        r.stdout
    );
    let r = roster_in(&dir, &["graph", ".", "--format", "mermaid"]);
    assert!(r.stdout.starts_with("flowchart LR\n"), "{}", r.stdout);
    let r = roster_in(&dir, &["graph", ".", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        v["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["from"] == "source:hr.type" && e["to"] == "attribute:workerType")
    );
    let r = roster_in(&dir, &["graph", ".", "--impact", "source:hr.type"]);
    assert_eq!(
        r.stdout,
        "attribute:workerType\npackage:payments-approve\npackage:payments-create\n"
    );
    let r = roster_in(&dir, &["graph", ".", "--impact", "hr.dept"]);
    assert_eq!(
        r.stdout,
        "attribute:department\ngroup:sales\npackage:payments-approve\n"
    );
    let r = roster_in(&dir, &["graph", ".", "--impact", "group:salse"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("did you mean `group:sales`?"),
        "{}",
        r.stderr
    );
    let cyclic = corpus_dir("G101", "bad");
    let r = roster_in(&cyclic, &["graph", "."]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error[G101]"), "{}", r.stderr);
}

#[test]
fn schema_files_are_current() {
    for (name, text) in roster::cli::schema::schemas() {
        let on_disk =
            std::fs::read_to_string(manifest().join("schemas").join(name)).unwrap_or_default();
        assert!(
            text == on_disk,
            "schemas/{name} is stale: run `cargo run -- schema --out schemas` and commit"
        );
        // Standard output holds exactly the one schema asked for: one JSON document.
        let which = name.strip_suffix(".schema.json").unwrap();
        let r = roster(&["schema", which], None);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.stdout, text);
        let parsed: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert!(parsed.is_object());
    }
    // The default is the policy schema; an unknown name cannot run, and names the schemas.
    let r = roster(&["schema"], None);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains("\"title\": \"PolicyFile\""),
        "{}",
        &r.stdout[..200]
    );
    let r = roster(&["schema", "plan-v0"], None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("`desired-state`"), "{}", r.stderr);
}

#[test]
fn graph_impact_honours_the_format() {
    let dir = manifest().join("policies");
    let dir = dir.to_str().unwrap();
    let node = "source:employees.Department";
    let list = roster(&["graph", dir, "--impact", node], None);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(!list.stdout.contains("digraph"));
    let reached: Vec<&str> = list.stdout.lines().collect();
    assert!(!reached.is_empty());
    let dot = roster(&["graph", dir, "--impact", node, "--format", "dot"], None);
    assert!(dot.stdout.starts_with("digraph"), "{}", dot.stdout);
    let mermaid = roster(
        &["graph", dir, "--impact", node, "--format", "mermaid"],
        None,
    );
    assert!(
        mermaid.stdout.starts_with("flowchart"),
        "{}",
        mermaid.stdout
    );
    // The subgraph holds the start and exactly the nodes the list names.
    for id in &reached {
        assert!(
            dot.stdout
                .contains(&format!("\"{}\"", id.replace('"', "\\\""))),
            "{id} missing from DOT"
        );
    }
    let full = roster(&["graph", dir], None);
    let nodes = |text: &str| text.lines().filter(|l| l.contains("[shape=")).count();
    assert_eq!(nodes(&dot.stdout), reached.len() + 1);
    assert!(nodes(&full.stdout) > nodes(&dot.stdout));
}

#[test]
fn the_example_validates_against_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/policy.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    // The policy files (the test files below `tests/` have their own schema).
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 5);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    }
    // And the schema really constrains: an unknown key and a wrong enum value are rejected.
    let bad: serde_json::Value = serde_json::json!({ "groups": { "g": { "rul": "x" } }, "targets": { "t": { "kind": "ftp", "mappings": {} } } });
    assert!(validator.iter_errors(&bad).count() >= 2);
}

#[test]
fn the_example_is_lint_clean() {
    let r = roster_in(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
        &["lint", "policies", "--deny-warnings"],
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "no problems\n"),
        "{}",
        r.stderr
    );
}

/// A diagnostic inside an expression or rule points at the exact token in the YAML file,
/// whatever the scalar style.
#[test]
fn lint_points_inside_expressions_in_every_scalar_style() {
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/lint/C303/good.yaml"
    ))
    .unwrap();
    let cases = [
        // (the group rule as written in YAML, expected code, line, column)
        ("rule: user.departmnet -eq \"Sales\"", "C201", 17, 11),
        (
            "rule: 'user.department -eq ''Sales'' -and user.countyr -eq \"DE\"'",
            "C201",
            17,
            47,
        ),
        (
            "rule: \"user.department -eq \\\"Sales\\\" -and user.department -startsWith null\"",
            "C203",
            17,
            63,
        ),
        (
            "rule: |-\n      user.department -eq \"Sales\"\n        -and user.departmnt -eq \"x\"",
            "C201",
            19,
            14,
        ),
        (
            "rule: >-\n      user.department -eq \"Sales\"\n      -and user.department -match \"*@x\"",
            "C204",
            19,
            35,
        ),
    ];
    for (rule, code, line, column) in cases {
        let text = base.replace("rule: user.department -eq \"Sales\"", rule);
        let dir = std::env::temp_dir().join(format!(
            "roster-inner-{}-{code}-{line}-{column}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("policy.yaml"), &text).unwrap();
        let r = roster_in(&dir, &["lint", ".", "--format", "json"]);
        let diags: Vec<serde_json::Value> = serde_json::from_str(&r.stdout).unwrap();
        let d = diags
            .iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("{rule}: {}", r.stdout));
        assert_eq!(
            (d["line"].as_u64(), d["column"].as_u64()),
            (Some(line), Some(column)),
            "{rule}: {d}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn manifest() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn eval_example_every_format() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("snapshots/eval");
    settings.bind(|| {
        for format in ["json", "yaml", "markdown"] {
            let r = roster_in(
                manifest(),
                &[
                    "eval",
                    "policies",
                    "--as-of",
                    "2026-11-25",
                    "--format",
                    format,
                ],
            );
            assert_eq!(r.code, 0, "{}", r.stderr);
            insta::assert_snapshot!(
                format!("example-{format}"),
                common::without_revision(&r.stdout)
            );
        }
        let out = std::env::temp_dir().join(format!("roster-eval-csv-{}", std::process::id()));
        let r = roster_in(
            manifest(),
            &[
                "eval",
                "policies",
                "--as-of",
                "2026-11-25",
                "--format",
                "csv",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "active-directory.csv",
                "conflicts.csv",
                "eng-ldap.csv",
                "erp.csv",
                "memberships.csv"
            ]
        );
        for name in names {
            insta::assert_snapshot!(
                format!("example-csv-{name}"),
                std::fs::read_to_string(out.join(&name)).unwrap()
            );
        }
        let _ = std::fs::remove_dir_all(&out);
    });
    let r = roster_in(manifest(), &["eval", "policies", "--format", "csv"]);
    assert_eq!(r.code, 2, "csv without --out");
}

/// Copies the example into a temporary directory with each data file's rows permuted.
fn shuffled_example(seed: u64) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-shuffle-{}-{seed}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["policies", "examples/data"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        for entry in std::fs::read_dir(manifest().join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                // `policies/tests/`: the example's test files.
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap();
            let out = if path.extension().is_some_and(|e| e == "csv") {
                let mut lines: Vec<&str> = text.lines().collect();
                let header = lines.remove(0);
                // A deterministic permutation per seed: rotate, then interleave from both ends.
                let n = lines.len().max(1);
                lines.rotate_left((seed as usize * 7) % n);
                if seed % 2 == 1 {
                    lines.reverse();
                }
                std::iter::once(header)
                    .chain(lines)
                    .map(|l| format!("{l}\n"))
                    .collect()
            } else {
                text
            };
            std::fs::write(dir.join(sub).join(name), out).unwrap();
        }
    }
    dir
}

#[test]
fn eval_does_not_depend_on_row_order() {
    let original = roster_in(manifest(), &["eval", "policies", "--as-of", "2026-11-25"]);
    assert_eq!(original.code, 0, "{}", original.stderr);
    for seed in 1..=4 {
        let dir = shuffled_example(seed);
        let r = roster_in(&dir, &["eval", "policies", "--as-of", "2026-11-25"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stdout == original.stdout,
            "seed {seed}: the report changed when rows were shuffled"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The two choices between records that used to follow the row order: `duplicates: latest`
/// with equal modification times, and two records of one source correlated to one person
/// (`E202`). Every permutation of the rows gives the same identities, groups, accounts and
/// summary (the issues name rows, which move with the rows).
#[test]
fn eval_choices_between_records_do_not_depend_on_row_order() {
    let policy = r#"sources:
  hr:
    format: csv
    path: hr.csv
    key: id
    duplicates: latest
    modified_field: changed
    fields:
      id: string
      dept: string
      changed: datetime
  mailboxes:
    format: csv
    path: mailboxes.csv
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
    department:
      source: hr.dept
    mail:
      source: mailboxes.box
groups:
  admins:
    rule: user.department -eq "IT-admins"
"#;
    let hr = [
        "1,Sales,2024-01-01",
        "1,IT-admins,2024-01-01",
        "1,HR,2024-01-01",
        "2,Legal,2024-05-01",
        "2,IT-admins,2024-04-01",
        "3,Finance,",
    ];
    let mailboxes = [
        "a@example.com,1",
        "shared@example.com,1",
        "z@example.com,1",
        "b@example.com,2",
    ];
    let orders: [&[usize]; 4] = [
        &[0, 1, 2, 3, 4, 5],
        &[5, 4, 3, 2, 1, 0],
        &[2, 0, 4, 1, 5, 3],
        &[1, 3, 5, 0, 2, 4],
    ];
    let mut first: Option<String> = None;
    for (n, order) in orders.iter().enumerate() {
        let dir = std::env::temp_dir().join(format!("roster-permute-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("policy.yaml"), policy).unwrap();
        let mut text = String::from("id,dept,changed\n");
        for i in order.iter() {
            text.push_str(hr[*i]);
            text.push('\n');
        }
        std::fs::write(dir.join("hr.csv"), text).unwrap();
        let mut text = String::from("box,owner\n");
        for i in order.iter().filter(|i| **i < mailboxes.len()) {
            text.push_str(mailboxes[*i]);
            text.push('\n');
        }
        std::fs::write(dir.join("mailboxes.csv"), text).unwrap();
        let r = roster_in(&dir, &["eval", ".", "--as-of", "2026-01-15"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let mut state: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let issues = state["issues"].take();
        let mut codes: Vec<&str> = issues
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap())
            .collect();
        codes.sort_unstable();
        assert_eq!(codes, ["D103", "D103", "E202", "E202"], "{issues}");
        let text = serde_json::to_string_pretty(&state).unwrap();
        match &first {
            None => {
                // The winners by content: `Sales` (last of the tie), `Legal` (latest), and
                // the first mailbox in content order.
                assert!(text.contains("\"department\": \"Sales\""), "{text}");
                assert!(text.contains("\"department\": \"Legal\""), "{text}");
                assert!(text.contains("\"mail\": \"a@example.com\""), "{text}");
                first = Some(text);
            }
            Some(f) => assert!(*f == text, "order {order:?} changed the report"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn eval_on_the_shared_microsoft_sample_reports_its_defects() {
    let data = manifest().join("../shared/data/entra-inbound-samples/csv-with-1000-records.csv");
    if !data.exists() {
        eprintln!("skipped: ../shared is absent");
        return;
    }
    let dir = std::env::temp_dir().join(format!("roster-shared-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The data is outside the policy set's root (its parent): a relative path, and a root
    // widened to the whole file system.
    let canonical_dir = std::fs::canonicalize(&dir).unwrap();
    let up = "../".repeat(canonical_dir.components().count() - 1);
    let data = std::fs::canonicalize(&data).unwrap();
    let relative = format!("{up}{}", data.strip_prefix("/").unwrap().display());
    let policy = format!(
        "sources:\n  workers:\n    format: csv\n    path: {relative}\n    key: WorkerID\n    fields:\n      WorkerID: string\n      ManagerID: string\n      HireDate: datetime\nidentity:\n  attributes:\n    employeeId:\n      source: workers.WorkerID\n    manager:\n      source: workers.ManagerID\n    hireDate:\n      type: datetime\n      source: workers.HireDate\n  lifecycle:\n    hire_date: hireDate\n",
    );
    std::fs::write(dir.join("policy.yaml"), policy).unwrap();
    let r = roster_in(&dir, &["eval", ".", "--as-of", "2026-11-25"]);
    assert_eq!(r.code, 2, "the data is outside the root: {}", r.stderr);
    assert!(r.stderr.contains("C310"), "{}", r.stderr);
    let r = roster_in(
        &dir,
        &["eval", ".", "--as-of", "2026-11-25", "--data-root", "/"],
    );
    assert_eq!(r.code, 1, "duplicate keys are errors: {}", r.stderr);
    let state: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(state["summary"]["identities"], 624);
    assert_eq!(
        state["summary"]["issues"]["D103"], 376,
        "{}",
        state["summary"]["issues"]
    );
    assert!(state["summary"]["issues"]["D106"].as_u64().unwrap() > 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `roster generate` writes an organisation that lints clean and evaluates with its injected
/// defects reported; the same seed gives the same files.
#[test]
fn generate_then_lint_and_eval() {
    let base = std::env::temp_dir().join(format!("roster-generate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (a, b) = (base.join("a"), base.join("b"));
    for dir in [&a, &b] {
        let r = roster(
            &[
                "generate",
                "--identities",
                "2000",
                "--seed",
                "3",
                "--out",
                dir.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stderr.contains("2000 identities"), "{}", r.stderr);
    }
    let employees = |d: &std::path::Path| std::fs::read(d.join("data/employees.csv")).unwrap();
    assert_eq!(employees(&a), employees(&b), "same seed, same files");
    let r = roster_in(&a, &["lint", "policies", "--deny-warnings"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "no problems\n"));
    let r = roster_in(&a, &["eval", "policies", "--as-of", "2026-01-01"]);
    assert_eq!(
        r.code, 1,
        "the injected bad dates are data errors: {}",
        r.stderr
    );
    let state: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(state["summary"]["identities"], 2000);
    for code in ["D102", "D103", "D106", "D107"] {
        assert!(
            state["summary"]["issues"][code].as_u64().unwrap_or(0) > 0,
            "{code}: {}",
            state["summary"]["issues"]
        );
    }
    let _ = std::fs::remove_dir_all(&base);
}

/// `ROSTER_TIMINGS` prints one line per evaluation stage, in order, with shares of the run
/// that add up to the whole; without it, standard error has no timing line.
#[test]
fn eval_timings_report_each_stage() {
    let run = |timings: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_roster"));
        cmd.args([
            "eval",
            "policies",
            "--as-of",
            "2026-11-25",
            "--format",
            "markdown",
        ])
        .current_dir(manifest())
        .stdin(Stdio::null());
        if timings {
            cmd.env("ROSTER_TIMINGS", "1");
        } else {
            cmd.env_remove("ROSTER_TIMINGS");
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stderr).unwrap()
    };
    let stderr = run(true);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("timing: "))
        .collect();
    let stages: Vec<String> = lines
        .iter()
        .map(|l| {
            let rest = l.trim_start_matches("timing: ");
            rest.split("  ").next().unwrap().trim().to_string()
        })
        .collect();
    assert_eq!(
        stages,
        [
            "read sources",
            "correlate",
            "identity attributes and lifecycle",
            "events up to the as-of date",
            "groups and access packages (rules)",
            "target accounts",
            "report"
        ]
    );
    let share: f64 = lines
        .iter()
        .map(|l| {
            // The share is the word that ends in `%` (the peak memory may follow it).
            l.split_whitespace()
                .find_map(|w| w.strip_suffix('%'))
                .unwrap()
                .parse::<f64>()
                .unwrap()
        })
        .sum();
    assert!((90.0..=100.5).contains(&share), "shares add up to {share}");
    assert!(!run(false).contains("timing:"));
}

/// `--format json --out DIR` streams the same report that standard output gets.
#[test]
fn eval_json_to_a_directory_equals_stdout() {
    let args = [
        "eval",
        "policies",
        "--as-of",
        "2026-11-25",
        "--format",
        "json",
    ];
    let printed = roster_in(manifest(), &args);
    assert_eq!(printed.code, 0, "{}", printed.stderr);
    let out = std::env::temp_dir().join(format!("roster-eval-json-{}", std::process::id()));
    let mut with_out: Vec<&str> = args.to_vec();
    with_out.extend(["--out", out.to_str().unwrap()]);
    let written = roster_in(manifest(), &with_out);
    assert_eq!(written.code, 0, "{}", written.stderr);
    assert_eq!(written.stdout, "");
    let file = std::fs::read_to_string(out.join("desired-state.json")).unwrap();
    assert_eq!(file, printed.stdout);
    assert!(file.ends_with("}\n"));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_rule_or_expression_may_begin_with_a_hyphen() {
    let input = temp_file("hyphen.json", r#"{"department": "Sales"}"#);
    let input = input.to_str().unwrap();
    for args in [
        vec![
            "rule",
            r#"-not (user.department -eq "Sales")"#,
            "--input",
            input,
        ],
        vec![
            "rule",
            "--input",
            input,
            r#"-not (user.department -eq "Sales")"#,
        ],
    ] {
        let r = roster(&args, None);
        assert_eq!((r.code, r.stdout.as_str()), (0, "false\n"), "{}", r.stderr);
    }
    let r = roster(&["expr", "-5"], None);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "{\"value\":-5}\n"),
        "{}",
        r.stderr
    );
    // Options are still options.
    let r = roster(&["rule", "--help"], None);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("Usage: roster rule"));
}

#[test]
fn input_that_does_not_fit_what_is_read_is_warned_about() {
    let input = temp_file(
        "typos.json",
        r#"{"departmnet": "Sales", "accountEnabled": "yes", "FirstNmae": "John"}"#,
    );
    let input = input.to_str().unwrap();
    let r = roster(
        &[
            "rule",
            r#"user.department -eq "Sales" -and user.accountEnabled -eq true"#,
            "--input",
            input,
        ],
        None,
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, "false\n"));
    assert!(
        r.stderr
            .contains("warning[C209]: the input has no `department`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("`departmnet`"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("warning[C210]: the input's `accountEnabled` is a string"),
        "{}",
        r.stderr
    );
    let r = roster(&["expr", "[FirstName]", "--input", input], None);
    assert_eq!((r.code, r.stdout.as_str()), (0, "{\"value\":null}\n"));
    assert!(
        r.stderr
            .contains("warning[C111]: `[FirstName]` is not in the input, which has `FirstNmae`"),
        "{}",
        r.stderr
    );
    // A well-formed input draws no warning.
    let good = temp_file(
        "good.json",
        r#"{"department": "Sales", "accountEnabled": true}"#,
    );
    let r = roster(
        &[
            "rule",
            r#"user.department -eq "Sales" -and user.accountEnabled -eq true"#,
            "--input",
            good.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "true\n", "")
    );
}

#[test]
fn a_policy_file_that_does_not_parse_is_reported_first_without_its_follow_on_errors() {
    let dir = std::env::temp_dir().join(format!("roster-cli-{}-unread", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(manifest().join("policies")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            continue;
        }
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.file_name().unwrap() == "identity.yaml" {
            // A stray closing bracket: a YAML syntax error, so nothing the file defines loads.
            text = text.replacen("identity:\n", "identity: ]\n", 1);
        }
        std::fs::write(dir.join(path.file_name().unwrap()), text).unwrap();
    }
    let r = roster_in(&dir, &["lint", "."]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.starts_with("error[Y101]"), "{}", r.stdout);
    assert!(r.stdout.contains("--> identity.yaml:"), "{}", r.stdout);
    // Names the file defines are unknown everywhere else; those errors are counted, not shown.
    assert!(!r.stdout.contains("error[C302]"), "{}", r.stdout);
    assert!(!r.stdout.contains("error[C201]"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("unknown-name errors in other files are not shown"),
        "{}",
        r.stdout
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_repository_documentation_stands_alone() {
    // Readers have the repository only: no page may send them to a design folder outside it.
    let mut pages = vec![manifest().join("README.md"), manifest().join("HACKING.md")];
    for dir in ["docs", "grammar", "tests/hostile"] {
        for entry in std::fs::read_dir(manifest().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            }
        }
    }
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        for needle in ["../shared", "shared/", "DESIGN.md", "shared folder"] {
            assert!(
                !text.contains(needle),
                "{} mentions `{needle}`, which is outside the repository",
                page.display()
            );
        }
    }
    // Every relative link of a page reaches a file of the repository.
    let mut pages = vec![
        manifest().join("README.md"),
        manifest().join("HACKING.md"),
        manifest().join("BENCHMARKS.md"),
        manifest().join("CHANGELOG.md"),
    ];
    for entry in std::fs::read_dir(manifest().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        let base = page.parent().unwrap();
        for (at, _) in text.match_indices("](") {
            let rest = &text[at + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = rest[..end].split('#').next().unwrap();
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            assert!(
                base.join(target).exists(),
                "{} links to `{target}`, which does not exist",
                page.display()
            );
        }
    }
    // Cargo.toml declares Apache-2.0; the license text is in the repository.
    let cargo = std::fs::read_to_string(manifest().join("Cargo.toml")).unwrap();
    assert!(cargo.contains("license = \"Apache-2.0\""));
    let license = std::fs::read_to_string(manifest().join("LICENSE")).unwrap();
    assert!(license.contains("Apache License") && license.contains("Version 2.0, January 2004"));
}
