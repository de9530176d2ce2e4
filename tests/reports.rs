//! Reports that fit (issue #10): `eval --format jsonl`, the `--identity` and `--only` filters,
//! Markdown under 60,000 characters for any population, and the progress line (never on a
//! pipe).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{Run, roster_in};

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn example(args: &[&str]) -> Run {
    let mut all = vec!["eval", "policies", "--as-of", "2026-11-25"];
    all.extend_from_slice(args);
    roster_in(manifest(), &all)
}

fn lines(text: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    text.lines()
        .map(|l| match serde_json::from_str(l).unwrap() {
            serde_json::Value::Object(m) => m,
            other => panic!("not an object: {other}"),
        })
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-reports-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One compact object per line, `type` first; the summary, then one identity line per
/// identity, each the compact form of its object in `--format json`; nothing else.
#[test]
fn jsonl_is_one_typed_object_per_line_and_nothing_else() {
    let r = example(&["--format", "jsonl"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.ends_with("}\n"));
    assert!(!r.stdout.contains("\n\n"));
    let objects = lines(&r.stdout);
    for o in &objects {
        assert_eq!(o.keys().next().map(String::as_str), Some("type"), "{o:?}");
    }
    let types: Vec<&str> = objects
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    assert_eq!(types[0], "summary");
    assert_eq!(types.iter().filter(|t| **t == "identity").count(), 38);
    assert_eq!(
        types.len(),
        39,
        "no conflicts or data problems in the example"
    );
    assert_eq!(objects[0]["as_of"], "2026-11-25");
    assert_eq!(objects[0]["summary"]["identities"], 38);

    let json = example(&["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let identities = doc["identities"].as_array().unwrap();
    for (line, identity) in r.stdout.lines().skip(1).zip(identities) {
        let compact = serde_json::to_string(identity).unwrap();
        assert_eq!(line, format!("{{\"type\":\"identity\",{}", &compact[1..]));
    }
    assert_eq!(
        serde_json::to_string(&objects[0]["summary"]).unwrap(),
        serde_json::to_string(&doc["summary"]).unwrap()
    );
    // Identities picked one by one (not a contiguous run, another path of the writer) are the
    // same lines.
    let picked = example(&[
        "--format",
        "jsonl",
        "--only",
        "identities",
        "--identity",
        "1001",
        "--identity",
        "1004",
        "--identity",
        "3004",
    ]);
    for line in picked.stdout.lines() {
        assert!(r.stdout.lines().any(|l| l == line), "{line}");
    }
    assert_eq!(picked.stdout.lines().count(), 3);
}

/// A generated organisation has data problems (and so conflict and issue lines); the lines
/// come in the JSON report's order: summary, identities, conflicts, issues.
#[test]
fn jsonl_carries_conflicts_and_data_problems_after_the_identities() {
    let dir = scratch("generated");
    let g = roster_in(
        &dir,
        &[
            "generate",
            "--identities",
            "300",
            "--seed",
            "7",
            "--out",
            "org",
        ],
    );
    assert_eq!(g.code, 0, "{}", g.stderr);
    let r = roster_in(
        &dir,
        &[
            "eval",
            "org/policies",
            "--as-of",
            "2026-01-01",
            "--format",
            "jsonl",
        ],
    );
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    let objects = lines(&r.stdout);
    let types: Vec<&str> = objects
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    let rank = |t: &str| {
        ["summary", "identity", "conflict", "issue"]
            .iter()
            .position(|x| *x == t)
    };
    assert!(
        types.windows(2).all(|w| rank(w[0]) <= rank(w[1])),
        "{types:?}"
    );
    let issues = types.iter().filter(|t| **t == "issue").count();
    assert!(issues > 0);
    assert_eq!(
        objects[0]["summary"]["issues"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap() as usize)
            .sum::<usize>(),
        issues
    );
    let only = roster_in(
        &dir,
        &[
            "eval",
            "org/policies",
            "--as-of",
            "2026-01-01",
            "--format",
            "jsonl",
            "--only",
            "issues",
        ],
    );
    let types: Vec<String> = lines(&only.stdout)
        .iter()
        .map(|o| o["type"].as_str().unwrap().to_string())
        .collect();
    assert!(!types.is_empty());
    assert!(
        types.iter().all(|t| t == "issue" || t == "conflict"),
        "{types:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn identity_and_only_filter_every_format() {
    // JSON Lines: the two identities asked for, in key order, once each.
    let r = example(&[
        "--format",
        "jsonl",
        "--only",
        "identities",
        "--identity",
        "1004",
        "--identity",
        "1001",
        "--identity",
        "1004",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let keys: Vec<String> = lines(&r.stdout)
        .iter()
        .map(|o| o["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys, ["1001", "1004"]);
    let r = example(&["--format", "jsonl", "--only", "summary"]);
    assert_eq!(r.stdout.lines().count(), 1);

    // JSON: the summary stays the whole population's.
    let r = example(&["--format", "json", "--identity", "1004"]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["identities"].as_array().unwrap().len(), 1);
    assert_eq!(doc["identities"][0]["key"], "1004");
    assert_eq!(doc["summary"]["identities"], 38);
    let r = example(&["--format", "json", "--only", "summary,issues"]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["as_of", "summary", "conflicts", "issues"]);

    // YAML.
    let r = example(&[
        "--format",
        "yaml",
        "--only",
        "identities",
        "--identity",
        "1004",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("as_of: "), "{}", r.stdout);
    assert!(!r.stdout.contains("summary:"));
    assert_eq!(r.stdout.matches("\n- key: ").count(), 1, "{}", r.stdout);

    // Markdown: an "Identities" section with the one asked for; `--only issues` drops the tables.
    let r = example(&["--format", "markdown", "--identity", "1004"]);
    assert!(
        r.stdout.contains("### Identities\n\n1 selected."),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("| `1004` | active |"), "{}", r.stdout);
    let r = example(&["--format", "markdown", "--only", "issues"]);
    assert!(r.stdout.contains("No data problems."));
    assert!(!r.stdout.contains("### Groups"));
    assert!(!r.stdout.contains("### Identities"));
    let r = example(&["--format", "markdown", "--only", "summary"]);
    assert!(r.stdout.contains("### Groups"));
    assert!(!r.stdout.contains("No data problems."));

    // CSV: the rows of the identity only; `--only` does not apply.
    let out = scratch("csv");
    let r = example(&[
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
        "--identity",
        "1004",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let memberships = std::fs::read_to_string(out.join("memberships.csv")).unwrap();
    assert!(memberships.lines().count() > 1);
    assert!(
        memberships.lines().skip(1).all(|l| l.starts_with("1004,")),
        "{memberships}"
    );
    let ad = std::fs::read_to_string(out.join("active-directory.csv")).unwrap();
    assert_eq!(ad.lines().count(), 2, "{ad}");
    let r = example(&[
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
        "--only",
        "summary",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("--only applies to json, jsonl, yaml and markdown")
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn an_unknown_identity_fails_with_the_nearest_key() {
    for format in ["json", "jsonl", "markdown"] {
        let r = example(&[
            "--format",
            format,
            "--identity",
            "1004",
            "--identity",
            "10O4",
        ]);
        assert_eq!(r.code, 1, "{format}");
        assert_eq!(r.stdout, "", "{format}: nothing is written");
        assert!(
            r.stderr
                .contains("error: no identity `10O4`; did you mean `1004`?"),
            "{}",
            r.stderr
        );
    }
    let r = example(&["--identity", "no-such-person-at-all"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("error: no identity `no-such-person-at-all`\n"),
        "{}",
        r.stderr
    );
}

/// The header names the as-of date, Roster's version and the revision of the repository
/// holding the policy set, or `unknown`.
#[test]
fn markdown_header_names_date_version_and_revision() {
    let dir = scratch("revision");
    std::fs::create_dir_all(dir.join("repo/.git/refs/heads")).unwrap();
    copy_dir(&manifest().join("policies"), &dir.join("repo/policies"));
    copy_dir(&manifest().join("examples"), &dir.join("repo/examples"));
    let hash = "89abcdef0123456789abcdef0123456789abcdef";
    std::fs::write(dir.join("repo/.git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(dir.join("repo/.git/refs/heads/main"), format!("{hash}\n")).unwrap();
    let run = |dir: &Path| {
        roster_in(
            dir,
            &[
                "eval",
                "policies",
                "--as-of",
                "2026-11-25",
                "--format",
                "markdown",
            ],
        )
    };
    let r = run(&dir.join("repo"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        r.stdout.starts_with(&format!(
            "## Desired state\n\nAs of 2026-11-25 · Roster {version} · policy revision `{hash}`\n"
        )),
        "{}",
        r.stdout
    );
    // A ref that is not an object name cannot write the header.
    std::fs::write(
        dir.join("repo/.git/refs/heads/main"),
        "**approved** <b>x</b>\n",
    )
    .unwrap();
    let r = run(&dir.join("repo"));
    assert!(
        r.stdout.contains("· policy revision unknown\n"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("approved"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// A hostile population: thousands of people with names of thousands of characters, a data
/// problem on every row, a separation-of-duties conflict for everyone, hundreds of groups with
/// long display names. Every Markdown report stays under 60,000 characters and says what it
/// left out.
#[test]
fn markdown_fits_a_comment_whatever_the_population() {
    const PEOPLE: usize = 10_000;
    const GROUPS: usize = 300;
    let dir = scratch("huge");
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let mut csv = String::from("id,name,dept,hired\n");
    let long = "<b>|x|</b> @everyone ".repeat(100);
    for i in 0..PEOPLE {
        // Every hire date is wrong: one data problem per person.
        csv.push_str(&format!("{i:06},\"{long}{i}\",Sales,not-a-date-{i}\n"));
    }
    std::fs::write(dir.join("data/hr.csv"), csv).unwrap();
    let mut policy = String::from(
        "sources:\n  hr:\n    format: csv\n    path: ../data/hr.csv\n    key: id\n    fields:\n      id: string\n      name: string\n      dept: string\n      hired: datetime\nidentity:\n  attributes:\n    employeeId:\n      source: hr.id\n    displayName:\n      source: hr.name\n    department:\n      source: hr.dept\n    hireDate:\n      type: datetime\n      source: hr.hired\ngroups:\n",
    );
    for g in 0..GROUPS {
        policy.push_str(&format!(
            "  group-{g:03}-{}:\n    display_name: \"{} {g}\"\n    rule: user.department -eq \"Sales\"\n",
            "n".repeat(100),
            "<i>*".repeat(60)
        ));
    }
    policy.push_str(
        "access_packages:\n  a:\n    auto_assignment:\n      rule: user.department -eq \"Sales\"\n    incompatible_packages: [b]\n  b:\n    auto_assignment:\n      rule: user.department -eq \"Sales\"\n    incompatible_packages: [a]\n",
    );
    std::fs::write(dir.join("policies/policy.yaml"), policy).unwrap();
    for extra in [
        &[][..],
        &["--only", "identities"][..],
        &["--only", "summary"][..],
        &["--deny-conflicts", "--only", "issues"][..],
    ] {
        let mut args = vec![
            "eval",
            "policies",
            "--as-of",
            "2026-01-15",
            "--format",
            "markdown",
        ];
        args.extend_from_slice(extra);
        let r = roster_in(&dir, &args);
        assert!(r.code == 0 || r.code == 1, "{extra:?}: {}", r.stderr);
        let chars = r.stdout.chars().count();
        assert!(chars < 60_000, "{extra:?}: {chars} characters");
        assert!(chars > 2_000, "{extra:?}: {}", r.stdout);
        if extra.is_empty() || extra.contains(&"issues") {
            assert!(
                r.stdout
                    .contains(&format!("{} conflicts (", common_digits(PEOPLE))),
                "{}",
                r.stdout
            );
            assert!(
                r.stdout.contains("… and 9,980 more conflicts"),
                "{}",
                r.stdout
            );
            // Conflicts come before the data problems.
            let conflicts = r.stdout.find("### Separation-of-duties conflicts").unwrap();
            let problems = r.stdout.find("### Data problems").unwrap();
            assert!(conflicts < problems);
            assert!(r.stdout.contains("| severity |"));
            assert!(r.stdout.contains(" more data problems"), "{}", r.stdout);
        }
        if extra.contains(&"identities") {
            assert!(r.stdout.contains("### Identities"), "{}", r.stdout);
            assert!(r.stdout.contains(" more identities"), "{}", r.stdout);
        }
        if extra.is_empty() || extra.contains(&"summary") {
            assert!(r.stdout.contains(" more groups"), "{}", r.stdout);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn common_digits(n: usize) -> String {
    roster::markdown::group_digits(n)
}

/// The progress line is for a terminal: with standard error on a pipe (this test, and CI)
/// there is no carriage return and no progress text.
#[test]
fn no_progress_line_on_a_pipe() {
    for format in ["markdown", "jsonl"] {
        let out = Command::new(env!("CARGO_BIN_EXE_roster"))
            .args([
                "eval",
                "policies",
                "--as-of",
                "2026-11-25",
                "--format",
                format,
            ])
            .current_dir(manifest())
            .env("TERM", "xterm-256color")
            .env_remove("CI")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(!stderr.contains('\r'), "{stderr:?}");
        assert!(!stderr.contains("roster eval:"), "{stderr:?}");
    }
}

/// On a terminal (a pseudo-terminal from `script`), the line appears, names the stages, and is
/// erased; with `CI` set, or `TERM=dumb`, it does not appear. Skipped where `script` is not
/// installed.
#[test]
fn progress_line_on_a_terminal_only() {
    let Ok(script) = which("script") else {
        eprintln!("`script` is not installed: skipped");
        return;
    };
    let dir = scratch("tty");
    let bin = env!("CARGO_BIN_EXE_roster");
    let run = |env: &[(&str, &str)]| -> String {
        let out_file = dir.join("out.jsonl");
        let command = format!(
            "'{bin}' eval policies --as-of 2026-11-25 --format jsonl > '{}'",
            out_file.display()
        );
        let mut cmd = Command::new(&script);
        cmd.args(["-qec", &command, "/dev/null"])
            .current_dir(manifest())
            .env_remove("CI")
            .env("TERM", "xterm")
            .stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        // The report itself is whole.
        let report = std::fs::read_to_string(&out_file).unwrap();
        assert_eq!(report.lines().count(), 39);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let tty = run(&[]);
    assert!(tty.contains("\rroster eval: "), "{tty:?}");
    // The line is erased at the end: after its last frame, spaces and a carriage return,
    // before anything else written to the terminal (a warning such as `D234`).
    let last = tty.rfind("\rroster eval: ").unwrap();
    let rest = &tty[last + 1..];
    let erase = rest.find('\r').map(|at| &rest[at..]).unwrap_or("");
    assert!(
        erase.starts_with("\r ")
            && erase
                .trim_start_matches('\r')
                .trim_start_matches(' ')
                .starts_with('\r'),
        "the line is erased at the end: {tty:?}"
    );
    for env in [
        [("CI", "true")],
        [("TERM", "dumb")],
        [("ROSTER_PROGRESS", "0")],
    ] {
        let quiet = run(&env);
        assert!(!quiet.contains("roster eval:"), "{env:?}: {quiet:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(name))
                .find(|p| p.is_file())
        })
        .ok_or(())
}

fn validator(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(manifest().join("schemas").join(name)).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

/// Every line of `--format jsonl` validates against `schemas/desired-state-line.schema.json`,
/// and the JSON report, whole or filtered, against `schemas/desired-state.schema.json`; the
/// line schema tells the types apart.
#[test]
fn reports_validate_against_their_schemas() {
    let lines_schema = validator("desired-state-line.schema.json");
    let doc_schema = validator("desired-state.schema.json");
    let dir = scratch("schemas");
    let g = roster_in(
        &dir,
        &[
            "generate",
            "--identities",
            "300",
            "--seed",
            "7",
            "--out",
            "org",
        ],
    );
    assert_eq!(g.code, 0, "{}", g.stderr);
    let mut seen = std::collections::BTreeSet::new();
    for (cwd, policies, as_of) in [
        (manifest().to_path_buf(), "policies", "2026-11-25"),
        (dir.clone(), "org/policies", "2026-01-01"),
    ] {
        let r = roster_in(
            &cwd,
            &["eval", policies, "--as-of", as_of, "--format", "jsonl"],
        );
        for line in r.stdout.lines() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let errors: Vec<String> = lines_schema
                .iter_errors(&value)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{line}: {errors:?}");
            seen.insert(value["type"].as_str().unwrap().to_string());
        }
        for only in [None, Some("summary"), Some("issues"), Some("identities")] {
            let mut args = vec!["eval", policies, "--as-of", as_of, "--format", "json"];
            if let Some(only) = only {
                args.extend(["--only", only]);
            }
            let r = roster_in(&cwd, &args);
            let value: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
            let errors: Vec<String> = doc_schema
                .iter_errors(&value)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{only:?}: {errors:?}");
        }
    }
    assert!(
        seen.contains("summary") && seen.contains("identity") && seen.contains("issue"),
        "{seen:?}"
    );
    // A line of one type with the fields of another does not validate.
    let forged = serde_json::json!({"type": "summary", "key": "1"});
    assert!(!lines_schema.is_valid(&forged));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A report streamed into a pipe widens it to 1 MiB (the kernel's default is 64 KiB), so that a
/// reader of gigabytes (`jq`, `wc`) and Roster take turns 16 times less often; the Markdown
/// report, a few kilobytes, leaves it as it is. The bytes are the same either way.
#[cfg(target_os = "linux")]
#[test]
fn streamed_reports_widen_the_pipe_they_are_written_to() {
    use std::io::Read;
    for (format, widened) in [("jsonl", true), ("json", true), ("markdown", false)] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_roster"))
            .args([
                "eval",
                "policies",
                "--as-of",
                "2026-11-25",
                "--format",
                format,
            ])
            .current_dir(manifest())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut text = String::new();
        stdout.read_to_string(&mut text).unwrap();
        assert!(child.wait().unwrap().success(), "{format}");
        // The pipe outlives the writer while its reader holds it.
        let size = rustix::pipe::fcntl_getpipe_size(&stdout).unwrap();
        if widened {
            assert_eq!(size, 1 << 20, "{format}");
        } else {
            assert!(size < 1 << 20, "{format}: {size}");
        }
        assert_eq!(text, example(&["--format", format]).stdout, "{format}");
    }
}

/// The JSON Lines are rendered in parallel (batches of tasks, each a block of identities a
/// column at a time, written on a thread of their own) and are the same bytes whatever the
/// number of threads: 2,600 generated identities (six batches of 512, so each set of buffers
/// is rendered into again, and a last batch of 40 that leaves three tasks empty) with 1, 2
/// and 5 threads, into a pipe, and into a file with `--out`. A reader that goes away, or a
/// full disk, ends the writing without a hang: the status of a complete run, or 2.
#[test]
fn jsonl_is_the_same_bytes_with_any_number_of_threads() {
    let dir = scratch("threads");
    let g = roster_in(
        &dir,
        &[
            "generate",
            "--identities",
            "2600",
            "--seed",
            "11",
            "--out",
            "org",
        ],
    );
    assert_eq!(g.code, 0, "{}", g.stderr);
    let run = |threads: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_roster"))
            .args(["eval", "org/policies", "--as-of", "2026-01-01"])
            .args(["--format", "jsonl"])
            .current_dir(&dir)
            .env("RAYON_NUM_THREADS", threads)
            .env("ROSTER_PROGRESS", "0")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)), "{threads}");
        out.stdout
    };
    let one = run("1");
    // Every identity has one line, none twice (a buffer written again would repeat lines).
    let lines: Vec<serde_json::Value> = one
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let keys: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "identity")
        .filter_map(|l| l["key"].as_str())
        .collect();
    let distinct: std::collections::BTreeSet<&str> = keys.iter().copied().collect();
    assert_eq!(distinct.len(), keys.len(), "an identity written twice");
    assert_eq!(
        Some(keys.len() as u64),
        lines[0]["summary"]["identities"].as_u64()
    );
    assert!(keys.len() > 2560, "{} identities", keys.len());
    for threads in ["2", "5"] {
        assert!(run(threads) == one, "{threads} threads");
    }
    let file = Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(["eval", "org/policies", "--as-of", "2026-01-01"])
        .args(["--format", "jsonl", "--out", "report"])
        .current_dir(&dir)
        .env("RAYON_NUM_THREADS", "3")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(matches!(file.status.code(), Some(0 | 1)));
    assert!(std::fs::read(dir.join("report/desired-state.jsonl")).unwrap() == one);
    let into = |stdout: Stdio| {
        Command::new(env!("CARGO_BIN_EXE_roster"))
            .args(["eval", "org/policies", "--as-of", "2026-01-01"])
            .args(["--format", "jsonl"])
            .current_dir(&dir)
            .env("ROSTER_PROGRESS", "0")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::piped())
            .output()
            .unwrap()
    };
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let closed = into(Stdio::from(writer));
    assert!(
        matches!(closed.status.code(), Some(0 | 1)),
        "{:?}",
        closed.status
    );
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let full = into(Stdio::from(full));
    assert_eq!(full.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&full.stderr).contains("No space left"));
    let _ = std::fs::remove_dir_all(&dir);
}
