//! Output that cannot be forged (issue 8, section 3): hostile names and values go through every
//! output format of every command, and what comes out is checked the way its reader would read
//! it: a GitHub Actions runner reading a CI log (workflow commands in both of its syntaxes), a
//! terminal (control characters), GitHub Markdown (tables, HTML, links, mentions), Mermaid,
//! DOT, CSV (columns, formulas), JSON and YAML (the same values, read back).
//!
//! Hostile DATA values (which no naming rule stops) go through the command line. Hostile NAMES
//! of policy objects, which lint is to refuse, are fed to the renderers through the library
//! (load, compile, evaluate), where nothing refuses them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::roster_in as roster;
use std::path::{Path, PathBuf};

use roster::escape::is_unsafe_char;

/// The group name of the issue, as a value.
const FORGE: &str = "evil\n::error file=x.yaml,line=1::FORGED\n<img src=x>";
/// Colours, a hidden hyperlink (OSC 8), a bell.
const ANSI: &str = "\u{1b}[31mred\u{1b}[0m \u{1b}]8;;http://evil.example\u{7}click\u{1b}]8;;\u{7}";
/// Trojan Source: a right-to-left override and an isolate; the runner's legacy syntax.
const BIDI: &str = "\u{202e}evil\u{2066}x\u{2069} ##[error]FORGED-V1";
/// C1 CSI, DEL, a carriage return starting a command, the stop-commands trick.
const C1: &str = "\u{9b}31m\u{7f}\r::error::CR ::stop-commands::tok";
/// Markdown that would be a table cell break, code, a link, a mention and HTML.
const MARKDOWN: &str =
    "a|b`c [x](http://evil.example) ![i](http://evil.example/i.png) @team <b>bold</b>";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-forgery-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    dir
}

fn csv_quote(cell: &str) -> String {
    format!("\"{}\"", cell.replace('"', "\"\""))
}

/// A policy set with ordinary names and an HR export full of hostile values, in `root`.
fn hostile_data_set(root: &Path, big: &str) {
    std::fs::create_dir_all(root.join("policies")).unwrap();
    std::fs::create_dir_all(root.join("data")).unwrap();
    std::fs::write(
        root.join("policies/policy.yaml"),
        r#"
sources:
  hr:
    format: csv
    path: ../data/hr.csv
    key: id
    fields:
      id: string
      name: string
      dept: string
      hired: datetime
      badge: string
      level: number
identity:
  attributes:
    employeeId:
      source: hr.id
    displayName:
      source: hr.name
    department:
      source: hr.dept
    hireDate:
      type: datetime
      source: hr.hired
    level:
      type: number
      source: hr.level
    code:
      expression: Left([department], [badge])
  lifecycle:
    hire_date: hireDate
groups:
  sales:
    rule: user.department -eq "Sales"
  everyone:
    rule: user.employeeId -ne null
targets:
  directory:
    kind: directory
    deletion_threshold: 50
    scope:
      sync: all
    matching: [employeeId]
    mappings:
      employeeId:
        source: employeeId
      displayName:
        source: displayName
      department:
        source: department
      code:
        source: code
"#,
    )
    .unwrap();
    let rows: Vec<[&str; 6]> = vec![
        ["1001", FORGE, "Sales", "2020-01-01", "3", "\u{1b}[2J1"],
        [
            "2002\n::error file=k::KEY",
            ANSI,
            BIDI,
            "2020-01-01",
            FORGE,
            "=1+1",
        ],
        [
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            "@SUM(1)",
            "-5",
            "2020-01-01",
            "3",
            "2",
        ],
        [
            "1004",
            MARKDOWN,
            C1,
            "2020-01-01",
            "##[error]V1 ::stop-commands::tok",
            "1",
        ],
        ["1005", big, "Sales", "2020-01-01", big, "1"],
    ];
    let mut csv = String::from("id,name,dept,hired,badge,level\n");
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| csv_quote(c)).collect();
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    std::fs::write(root.join("data/hr.csv"), csv).unwrap();
}

/// A policy set whose expressions quote hostile text into lint diagnostics (text that is no
/// name, so no naming rule stops it), and a file with a raw escape character.
fn hostile_lint_set(root: &Path) {
    hostile_data_set(root, "x");
    // In YAML double quotes `\n` and `\e` are a line break and an escape; U+202E is raw.
    std::fs::write(
        root.join("policies/bad.yaml"),
        "groups:\n  interval:\n    rule: user.employeeId -ne null\n\
         workflows: {}\n\
         # \u{202e} a comment that reads backwards\n",
    )
    .unwrap();
    let mut policy = std::fs::read_to_string(root.join("policies/policy.yaml")).unwrap();
    policy = policy.replace(
        "  lifecycle:",
        "    later:\n      expression: \"DateAdd(\\\"q\\n::error file=x.yaml,line=1::FORGED\\n<img src=x>\\e[31mred\\e]8;;http://e\\a\u{202e}##[warning]V1\\\", 1, [hireDate])\"\n  lifecycle:",
    );
    std::fs::write(root.join("policies/policy.yaml"), policy).unwrap();
    std::fs::write(
        root.join("policies/broken.yaml"),
        "groups:\n  x\u{1b}[31m:\n    rule: user.employeeId -ne null\n",
    )
    .unwrap();
}

/// The commands the runner obeys (case-insensitive), as of actions/runner's
/// `ActionCommandManager`.
const RUNNER_COMMANDS: [&str; 15] = [
    "error",
    "warning",
    "notice",
    "debug",
    "group",
    "endgroup",
    "add-mask",
    "set-output",
    "set-env",
    "add-path",
    "save-state",
    "stop-commands",
    "echo",
    "add-matcher",
    "remove-matcher",
];

/// The workflow command the GitHub Actions runner reads in `line`, if any: `::name ...::data`
/// after leading white space, or the legacy `##[name ...]data` anywhere in the line.
fn workflow_command(line: &str) -> Option<String> {
    let obeyed = |name: &str| {
        RUNNER_COMMANDS
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name))
            .then(|| name.to_lowercase())
    };
    let trimmed = line.trim_start();
    if let Some(rest) = trimmed.strip_prefix("::")
        && let Some(end) = rest.find("::")
        && let Some(found) = obeyed(rest[..end].split(' ').next().unwrap_or(""))
    {
        return Some(found);
    }
    let mut from = 0;
    while let Some(at) = line[from..].find("##[") {
        let rest = &line[from + at + 3..];
        if let Some(end) = rest.find(']')
            && let Some(found) = obeyed(rest[..end].split(' ').next().unwrap_or(""))
        {
            return Some(found);
        }
        from += at + 3;
    }
    None
}

/// What every stream a CI log shows must satisfy: no raw control character (line breaks
/// aside), no workflow command. `own` annotations (`lint --format github`) are allowed and
/// counted.
fn assert_safe_stream(what: &str, text: &str, own: bool) -> usize {
    let mut annotations = 0;
    for c in text.chars() {
        assert!(
            c == '\n' || c == '\t' || !is_unsafe_char(c),
            "{what}: raw U+{:04X} in\n{text}",
            u32::from(c)
        );
    }
    assert!(!text.contains("##["), "{what}: `##[` in\n{text}");
    for line in text.lines() {
        if let Some(command) = workflow_command(line) {
            let ours = own
                && (line.starts_with("::error file=") || line.starts_with("::warning file="))
                && !line.contains("FORGED::");
            assert!(ours, "{what}: the runner would obey `{command}` in\n{line}");
            annotations += 1;
        }
    }
    annotations
}

/// Removes the code spans of a Markdown line (CommonMark: a run of backticks closed by a run
/// of the same length), leaving the text a Markdown renderer interprets.
fn outside_code_spans(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '`' {
            let mut n = 0;
            while i + n < chars.len() && chars[i + n] == '`' {
                n += 1;
            }
            // Find the closing run of exactly n backticks.
            let mut j = i + n;
            let mut closed = None;
            while j < chars.len() {
                if chars[j] == '`' {
                    let mut m = 0;
                    while j + m < chars.len() && chars[j + m] == '`' {
                        m += 1;
                    }
                    if m == n {
                        closed = Some(j + m);
                        break;
                    }
                    j += m;
                } else {
                    j += 1;
                }
            }
            match closed {
                Some(end) => {
                    out.push_str("CODE");
                    i = end;
                }
                None => {
                    out.extend(&chars[i..i + n]);
                    i += n;
                }
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The cells of a GitHub table row: split on `|` not escaped by a backslash.
fn table_cells(line: &str) -> usize {
    let mut count = 0;
    let mut prev = ' ';
    for c in line.chars() {
        if c == '|' && prev != '\\' {
            count += 1;
        }
        prev = if prev == '\\' && c == '\\' { ' ' } else { c };
    }
    count
}

/// Markdown: every table keeps its column count; nothing outside code spans is HTML, a link,
/// an image or a mention.
fn assert_safe_markdown(what: &str, md: &str) {
    assert_safe_stream(what, md, false);
    let mut columns = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = table_cells(line);
            let want = *columns.get_or_insert(n);
            assert_eq!(n, want, "{what}: a row with another column count: {line}");
        } else {
            columns = None;
        }
        // Roster's own folding (`<details><summary>...</summary>`, `</details>`) is the only
        // HTML allowed: user text cannot write these tags, since its `<` becomes `&lt;`.
        let mut outside = outside_code_spans(line);
        for tag in ["<details>", "</details>", "<summary>", "</summary>"] {
            outside = outside.replace(tag, "");
        }
        for bad in ["<", "](", "@", "\\n::"] {
            assert!(
                !outside.contains(bad),
                "{what}: `{bad}` outside a code span: {line}"
            );
        }
    }
}

/// A CSV file read back (RFC 4180): rows of cells.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(!quoted, "an unterminated quoted cell");
    assert!(cell.is_empty() && row.is_empty(), "no final line break");
    rows
}

/// CSV: every row has the header's columns; no cell starts as a formula.
fn assert_safe_csv(what: &str, text: &str) -> Vec<Vec<String>> {
    let rows = parse_csv(text);
    let width = rows[0].len();
    for row in &rows {
        assert_eq!(row.len(), width, "{what}: {:.300}", format!("{row:?}"));
        for cell in row {
            let first = cell.trim_start().chars().next();
            assert!(
                !matches!(
                    first,
                    Some('=' | '+' | '-' | '@' | '＝' | '＋' | '－' | '＠')
                ) && !cell.starts_with(['\t', '\r']),
                "{what}: a formula cell {:.300}",
                format!("{cell:?}")
            );
        }
    }
    rows
}

fn assert_safe_mermaid(what: &str, text: &str) {
    assert_safe_stream(what, text, false);
    for line in text.lines().skip(1) {
        let node = line.strip_prefix("  n").and_then(|l| l.split_once("[\""));
        match node {
            Some((n, label)) => {
                assert!(n.chars().all(|c| c.is_ascii_digit()), "{what}: {line}");
                let label = label.strip_suffix("\"]").expect(line);
                assert!(
                    !label.contains(['"', '<', '>', '`', '[', ']']),
                    "{what}: {line}"
                );
            }
            None => assert!(
                line.starts_with("  n") && line.contains(" --> n"),
                "{what}: {line}"
            ),
        }
    }
}

/// DOT: each line is a node or an edge whose quoted strings close where they should.
fn assert_safe_dot(what: &str, text: &str) {
    assert_safe_stream(what, text, false);
    for line in text.lines() {
        let mut quotes = 0;
        let mut escaped = false;
        for c in line.chars() {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => quotes += 1,
                _ => {}
            }
        }
        assert!(quotes % 2 == 0, "{what}: {line}");
        assert!(
            line == "digraph roster {"
                || line == "  rankdir=LR;"
                || line == "}"
                || (line.starts_with("  \"") && line.ends_with(';')),
            "{what}: {line}"
        );
    }
}

fn json(what: &str, text: &str) -> serde_json::Value {
    assert_safe_stream(what, text, false);
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: {e}\n{text}"))
}

#[test]
fn hostile_data_values_through_every_command_and_format() {
    let root = temp_dir("data");
    let big = "D".repeat(1_000_000);
    hostile_data_set(&root, &big);
    let run = |args: &[&str]| roster(&root, args);
    let eval = |format: &str| {
        run(&[
            "eval",
            "policies",
            "--as-of",
            "2026-01-15",
            "--format",
            format,
        ])
    };

    // lint: clean, in every format.
    for format in ["human", "json", "sarif", "github"] {
        let r = run(&["lint", "policies", "--format", format]);
        assert_eq!(r.code, 0, "lint {format}: {}", r.stderr);
        assert_safe_stream(&format!("lint {format}"), &r.stdout, format == "github");
        assert_safe_stream(&format!("lint {format} stderr"), &r.stderr, false);
    }

    // eval json: the canonical state keeps every value whole.
    let r = eval("json");
    assert_eq!(r.code, 1, "the E103 errors fail the run: {}", r.stderr);
    assert_safe_stream("eval stderr", &r.stderr, false);
    assert!(r.stderr.len() < 1_000, "{}", r.stderr.len());
    let state = json("eval json", &r.stdout);
    let identities = state["identities"].as_array().unwrap();
    let names: Vec<&str> = identities
        .iter()
        .map(|i| i["attributes"]["displayName"].as_str().unwrap_or(""))
        .collect();
    for value in [FORGE, ANSI, MARKDOWN, big.as_str()] {
        assert!(names.contains(&value), "{value:.40} is kept whole");
    }
    assert!(
        identities
            .iter()
            .any(|i| i["key"] == "2002\n::error file=k::KEY")
    );
    // Messages quoting a megabyte are clipped; the value stays in the attributes.
    let issues = state["issues"].as_array().unwrap();
    assert!(issues.iter().any(|i| i["code"] == "E103"));
    for issue in issues {
        let message = issue["message"].as_str().unwrap();
        assert!(message.chars().count() < 1_100, "{message:.80}");
    }
    assert!(issues.iter().any(|i| {
        i["message"]
            .as_str()
            .unwrap()
            .contains("…(999800 more characters)")
    }));

    // eval yaml: the same values as the JSON, read back.
    let r = eval("yaml");
    assert_safe_stream("eval yaml", &r.stdout, false);
    let yaml: serde_json::Value = serde_saphyr::from_str(&r.stdout).unwrap();
    assert_eq!(yaml, state, "YAML and JSON differ");

    // eval markdown: tables hold, nothing is HTML, and a megabyte does not make it big.
    let r = eval("markdown");
    assert_safe_markdown("eval markdown", &r.stdout);
    assert!(r.stdout.len() < 20_000, "{}", r.stdout.len());
    assert!(r.stdout.contains("E103"));

    // eval csv: per target and memberships.
    let out = root.join("out");
    let r = run(&[
        "eval",
        "policies",
        "--as-of",
        "2026-01-15",
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let directory = assert_safe_csv(
        "directory.csv",
        &std::fs::read_to_string(out.join("directory.csv")).unwrap(),
    );
    let memberships = assert_safe_csv(
        "memberships.csv",
        &std::fs::read_to_string(out.join("memberships.csv")).unwrap(),
    );
    // Neutralised, not lost: the quote is the only change.
    let cells: Vec<&str> = directory.iter().flatten().map(String::as_str).collect();
    assert!(cells.contains(&"'@SUM(1)"), "{} cells", cells.len());
    assert!(cells.contains(&"'-5"));
    assert!(cells.contains(&FORGE));
    assert!(
        memberships
            .iter()
            .any(|r| r[0] == "'=HYPERLINK(\"http://evil.example\",\"x\")")
    );

    // explain: the hostile key, and the identity with a megabyte of name.
    for key in ["2002\n::error file=k::KEY", "1004", "1005"] {
        let r = run(&["explain", key, "policies", "--as-of", "2026-01-15"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_safe_stream("explain human", &r.stdout, false);
        assert!(
            r.stdout.len() < 5_000,
            "explain {key:.4}: {}",
            r.stdout.len()
        );
        let r = run(&[
            "explain",
            key,
            "policies",
            "--as-of",
            "2026-01-15",
            "--format",
            "json",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        json("explain json", &r.stdout);
    }
    let r = run(&["explain", "::error::nobody\n##[error]x", "policies"]);
    assert_eq!(r.code, 1);
    assert_safe_stream("explain unknown", &r.stderr, false);

    // graph: every format, and the impact list.
    for format in ["dot", "mermaid", "json"] {
        let r = run(&["graph", "policies", "--format", format]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        match format {
            "dot" => assert_safe_dot("graph dot", &r.stdout),
            "mermaid" => assert_safe_mermaid("graph mermaid", &r.stdout),
            _ => drop(json("graph json", &r.stdout)),
        }
    }
    let r = run(&["graph", "policies", "--impact", "source:hr.dept"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_safe_stream("graph impact", &r.stdout, false);

    // expr and rule: hostile input values, in the value and in the diagnostics.
    let input = root.join("input.json");
    std::fs::write(
        &input,
        serde_json::json!({
            "x": FORGE, "y": ANSI, "z": BIDI, "w": C1, "big": big,
            "Dept\u{1b}[31m": "x",
        })
        .to_string(),
    )
    .unwrap();
    let input = input.to_str().unwrap();
    for expression in [
        "Join(\" \", [x], [y], [z], [w])",
        "Left([x], [y])",
        "Left([big], [big])",
        "[dept\u{1b}[31m]",
    ] {
        for format in ["human", "json"] {
            let r = run(&["expr", expression, "--input", input, "--format", format]);
            assert_safe_stream("expr stdout", &r.stdout, false);
            assert_safe_stream("expr stderr", &r.stderr, false);
            assert!(r.stderr.len() < 3_000, "{}", r.stderr.len());
            if r.code == 0 {
                json("expr value", &r.stdout);
            }
        }
    }
    for rule in [
        "user.department -eq \"a\u{1b}[31m\n::error::R\"",
        "user.department -match \"(\u{202e}\n::error::R##[warning]x\"",
    ] {
        for format in ["human", "json"] {
            let r = run(&["rule", rule, "--input", input, "--format", format]);
            assert_safe_stream("rule stdout", &r.stdout, false);
            assert_safe_stream("rule stderr", &r.stderr, false);
        }
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn hostile_policy_text_through_lint_and_graph() {
    let root = temp_dir("lint");
    hostile_lint_set(&root);
    let r = roster(&root, &["lint", "policies", "--format", "json"]);
    assert_eq!(r.code, 1);
    let diagnostics = json("lint json", &r.stdout);
    let count = diagnostics.as_array().unwrap().len();
    let codes: Vec<&str> = diagnostics
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"C104"), "{codes:?}");
    // The message quotes the hostile text whole (it is short), as JSON escapes.
    assert!(diagnostics.as_array().unwrap().iter().any(|d| {
        d["message"]
            .as_str()
            .unwrap()
            .contains("q\n::error file=x.yaml,line=1::FORGED\n<img src=x>\u{1b}[31mred")
    }));
    let r = roster(&root, &["lint", "policies", "--format", "github"]);
    let annotations = assert_safe_stream("lint github", &r.stdout, true);
    assert_eq!(annotations, count, "one annotation per diagnostic, no more");
    let r = roster(&root, &["lint", "policies", "--format", "human"]);
    assert_safe_stream("lint human", &r.stdout, false);
    assert!(
        r.stdout.contains("\\u{1b}[31m"),
        "shown visibly:\n{}",
        r.stdout
    );
    let r = roster(&root, &["lint", "policies", "--format", "sarif"]);
    let sarif = json("lint sarif", &r.stdout);
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), count);
    for format in ["dot", "mermaid", "json"] {
        let r = roster(&root, &["graph", "policies", "--format", format]);
        assert_safe_stream("graph stdout", &r.stdout, false);
        assert_safe_stream("graph stderr", &r.stderr, false);
    }
    // eval refuses a policy set with errors, printing them safely.
    let r = roster(&root, &["eval", "policies", "--as-of", "2026-01-15"]);
    assert_eq!(r.code, 1);
    assert_safe_stream("eval errors", &r.stderr, false);
    let _ = std::fs::remove_dir_all(&root);
}

/// Names no naming rule would let through, fed to every renderer through the library.
#[test]
fn hostile_names_through_every_renderer() {
    use roster::eval::{self, Options, explain, report};
    use roster::{escape, render};

    let root = temp_dir("names");
    hostile_data_set(&root, "x");
    let group = FORGE;
    let target = "t\u{1b}[31m\n::warning::T <img src=x>|`x`";
    let attribute = "a\u{202e}##[error]A";
    let package = "p @team [x](http://e) \u{9b}";
    // JSON strings with every control escaped are YAML double-quoted scalars.
    let yaml_string = |s: &str| escape::json_compact(s);
    let policy = std::fs::read_to_string(root.join("policies/policy.yaml"))
        .unwrap()
        .replace(
            "  sales:\n",
            &format!(
                "  {}:\n    display_name: {}\n",
                yaml_string(group),
                yaml_string("Sales <img src=x> *all* @team https://evil.example | [x](y) \u{202e}")
            ),
        )
        .replace("  directory:\n", &format!("  {}:\n", yaml_string(target)))
        .replace(
            "    code:\n      expression",
            &format!("    {}:\n      expression", yaml_string(attribute)),
        )
        .replace(
            "      code:\n        source: code",
            &format!(
                "      {}:\n        source: {}",
                yaml_string(attribute),
                yaml_string(attribute)
            ),
        )
        + &format!(
            "access_packages:\n  {}:\n    auto_assignment:\n      rule: user.department -eq \"Sales\"\n",
            yaml_string(package)
        );
    std::fs::write(root.join("policies/policy.yaml"), policy).unwrap();

    let loaded = roster::policy::load::load(&root.join("policies")).unwrap();
    let mut diagnostics = loaded.diagnostics.clone();
    let policy = roster::policy::compile::compile(&loaded, &mut diagnostics);
    // Whatever lint says about these names, the renderers must hold them.
    diagnostics.push(roster::diagnostics::Diagnostic::new(
        roster::codes::Code::UnknownReference,
        roster::diagnostics::Span::new(0, 1),
        format!("`{group}` and `{target}` and `{attribute}` and `{package}`"),
    ));
    for (what, text) in [
        ("human", render::human(&diagnostics, &loaded.sources)),
        ("json", render::json(&diagnostics, &loaded.sources)),
        ("sarif", render::sarif(&diagnostics, &loaded.sources)),
    ] {
        assert_safe_stream(what, &text, false);
    }
    let github = render::github(&diagnostics, &loaded.sources);
    assert_eq!(
        assert_safe_stream("github", &github, true),
        diagnostics.len()
    );

    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
    let state = eval::evaluate(&loaded, &policy, Options::at(as_of));
    assert!(
        state.summary.groups.contains_key(group),
        "the hostile group must reach the renderers: {}\n{:?}",
        render::human(&diagnostics, &loaded.sources),
        state.summary.groups
    );
    let md = report::markdown(&state);
    assert_safe_markdown("markdown", &md);
    assert!(md.contains(" — `Sales <img src=x> *all* @team"), "{md}");
    for name in [group, target, package] {
        assert!(
            md.contains(&escape::markdown_code(name)),
            "{name:?} not in\n{md}"
        );
    }
    let mut json_text = Vec::new();
    state.write_json(&mut json_text).unwrap();
    let value = json("json", &String::from_utf8(json_text).unwrap());
    // JSON Lines: each identity line is the compact form of its object in the JSON report,
    // byte for byte (the escapes included), after `"type":"identity"`.
    let mut lines = Vec::new();
    let rows: Vec<usize> = (0..state.identities.len()).collect();
    eval::jsonl::write(
        &mut lines,
        &state,
        eval::jsonl::Sections::ALL,
        &rows,
        &mut |_| {},
    )
    .unwrap();
    let lines = String::from_utf8(lines).unwrap();
    assert_safe_stream("jsonl", &lines, false);
    let identity_lines: Vec<&str> = lines
        .lines()
        .filter(|l| l.starts_with("{\"type\":\"identity\","))
        .collect();
    let identities = value["identities"].as_array().unwrap();
    assert_eq!(identity_lines.len(), identities.len());
    assert!(!identities.is_empty());
    for (line, identity) in identity_lines.iter().zip(identities) {
        let compact = escape::json_compact(identity);
        assert_eq!(
            *line,
            format!("{{\"type\":\"identity\",{}", &compact[1..]),
            "the line and the JSON report differ"
        );
    }
    let yaml = state.to_yaml();
    assert_safe_stream("yaml", &yaml, false);
    let back: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
    assert_eq!(back, value);
    let targets = vec![(
        target.to_string(),
        vec!["employeeId".to_string(), attribute.to_string()],
    )];
    for (name, text) in state.to_csv(&targets) {
        let rows = assert_safe_csv(&name, &text);
        assert_eq!(rows[0][3], attribute);
    }
    let memberships = assert_safe_csv("memberships", &state.memberships_csv());
    assert!(memberships.iter().any(|r| r[2] == group));
    assert!(memberships.iter().any(|r| r[2] == package));

    assert_safe_dot("dot", &policy.graph.to_dot());
    assert_safe_mermaid("mermaid", &policy.graph.to_mermaid());
    json(
        "graph json",
        &escape::json_pretty(&policy.graph.to_json(&loaded.sources)),
    );

    let e = explain::explain_key(&loaded, &policy, &state, "1001").unwrap();
    assert_safe_stream("explain", &explain::human(&e, &explain::View::All), false);
    json("explain json", &escape::json_pretty(&e));
    let _ = std::fs::remove_dir_all(&root);
}
