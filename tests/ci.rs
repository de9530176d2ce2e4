//! End-to-end tests of what CI and people at a terminal use around `lint`: one code's
//! documentation (`roster codes C201`), inline suppressions in every output format, SARIF rule
//! documentation and `helpUri`, colour and `NO_COLOR`, shell completions and the man page.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `roster ARGS` in `dir` with exactly the colour variables given (the others removed).
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_roster"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("ROSTER_DOCS_URL")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory holding `files` (name, text).
fn policy_dir(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-ci-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

fn l004_bad() -> String {
    std::fs::read_to_string(here().join("tests/lint/L004/bad.yaml")).unwrap()
}

#[test]
fn codes_explains_one_code() {
    let r = run(&here(), &["codes", "C201"], &[]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    insta::assert_snapshot!("codes_c201", r.stdout);
    // The code in any case, or its name, gives the same page.
    for alias in ["c201", "unknown-property", "UNKNOWN-PROPERTY"] {
        let again = run(&here(), &["codes", alias], &[]);
        assert_eq!(again.stdout, r.stdout, "{alias}");
    }
    // Every code has a page that shows its examples and its reference anchor.
    for info in roster::codes::ALL {
        let code = info.code.as_str();
        let text = roster::codes::explain_text(info);
        assert!(
            text.starts_with(&format!("{code}: {} (", info.name)),
            "{code}"
        );
        assert!(
            text.contains("\nbad (") && text.contains("\ngood ("),
            "{code}"
        );
        assert!(
            text.ends_with(&format!("docs/diagnostics.md#{}\n", code.to_lowercase())),
            "{code}"
        );
    }
}

#[test]
fn codes_of_a_lint_rule_says_how_to_suppress_it() {
    let r = run(&here(), &["codes", "L004"], &[]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("suppressible: yes"), "{}", r.stdout);
    assert!(r.stdout.contains("# roster: allow L004 -- reason"));
    let r = run(&here(), &["codes", "L030"], &[]);
    assert!(r.stdout.contains("suppressible: no"), "{}", r.stdout);
}

#[test]
fn an_unknown_code_exits_1_with_did_you_mean() {
    let r = run(&here(), &["codes", "C2O1"], &[]);
    assert_eq!((r.code, r.stdout.as_str()), (1, ""));
    assert_eq!(
        r.stderr,
        "error: `C2O1` is not a diagnostic code\n  = help: did you mean `C201`?\n"
    );
    let r = run(&here(), &["codes", "unknown-proprety"], &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("did you mean `unknown-property`?"),
        "{}",
        r.stderr
    );
    let r = run(&here(), &["codes", "Z999"], &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("`roster codes` lists every code"),
        "{}",
        r.stderr
    );
    // A hostile query is shown safely.
    let r = run(&here(), &["codes", "\u{1b}[31mX"], &[]);
    assert_eq!(r.code, 1);
    assert!(!r.stderr.contains('\u{1b}'), "{:?}", r.stderr);
}

/// A policy set with one suppressed finding (with a reason), one suppressed by `allow-file`
/// elsewhere, and one reported.
fn suppressed_set() -> PathBuf {
    let bad = l004_bad();
    let with = bad.replace(
        "  sales:\n",
        "  # roster: allow L004 -- department names are short\n  sales:\n",
    );
    let other = "# roster: allow-file L004 -- legacy patterns, tracked in TICKET-1\ngroups:\n  legacy:\n    rule: user.department -match \"(?<=x)y\"\n";
    let plain = "groups:\n  open:\n    rule: user.department -match \"^(?!Ops)\"\n";
    policy_dir(
        "suppressed",
        &[("a.yaml", &with), ("b.yaml", other), ("c.yaml", plain)],
    )
}

#[test]
fn suppressed_findings_are_reported_in_every_format() {
    let dir = suppressed_set();
    let human = run(&dir, &["lint", "."], &[]);
    assert_eq!(human.code, 0, "{}{}", human.stdout, human.stderr);
    assert!(
        human
            .stdout
            .ends_with("1 warning, 2 suppressed (L004 x2)\n"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("c.yaml:3:"), "{}", human.stdout);
    assert!(!human.stdout.contains("a.yaml:"), "{}", human.stdout);
    // The suppressed findings do not fail --deny-warnings; the one left does.
    assert_eq!(run(&dir, &["lint", ".", "--deny-warnings"], &[]).code, 1);
    std::fs::remove_file(dir.join("c.yaml")).unwrap();
    let clean = run(&dir, &["lint", ".", "--deny-warnings"], &[]);
    assert_eq!(
        (clean.code, clean.stdout.as_str()),
        (0, "no problems, 2 suppressed (L004 x2)\n")
    );

    let json = run(&dir, &["lint", ".", "--format", "json"], &[]);
    let items: Vec<serde_json::Value> = serde_json::from_str(&json.stdout).unwrap();
    let reasons: Vec<(&str, &str, u64)> = items
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap(),
                d["suppressed"]["reason"].as_str().unwrap(),
                d["suppressed"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("a.yaml", "department names are short", 16),
            ("b.yaml", "legacy patterns, tracked in TICKET-1", 1),
        ]
    );

    let sarif = run(&dir, &["lint", ".", "--format", "sarif"], &[]);
    let doc: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        let s = &r["suppressions"][0];
        assert_eq!(s["kind"], "inSource");
        assert!(!s["justification"].as_str().unwrap().is_empty());
        assert!(s["location"]["physicalLocation"]["region"]["startLine"].is_u64());
    }

    // GitHub annotations leave suppressed findings out.
    let github = run(&dir, &["lint", ".", "--format", "github"], &[]);
    assert_eq!(github.stdout, "");
}

#[test]
fn sarif_rules_carry_documentation_and_help_uri() {
    let dir = policy_dir("sarif", &[("a.yaml", &l004_bad())]);
    let rule = |r: &Run| {
        let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        doc["runs"][0]["tool"]["driver"]["rules"][0].clone()
    };
    let plain = run(&dir, &["lint", ".", "--format", "sarif"], &[]);
    let r = rule(&plain);
    assert_eq!(r["id"], "L004");
    assert!(
        r["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .contains("backtracking regular-expression engine")
    );
    assert!(r["help"]["markdown"].as_str().unwrap().contains("L004"));
    let by_env = run(
        &dir,
        &["lint", ".", "--format", "sarif"],
        &[(
            "ROSTER_DOCS_URL",
            "https://example.test/roster/docs/diagnostics.md",
        )],
    );
    assert_eq!(
        rule(&by_env)["helpUri"],
        "https://example.test/roster/docs/diagnostics.md#l004"
    );
    let by_flag = run(
        &dir,
        &[
            "lint",
            ".",
            "--format",
            "sarif",
            "--docs-url",
            "https://docs.test/d.md",
        ],
        &[("ROSTER_DOCS_URL", "https://example.test/ignored")],
    );
    assert_eq!(rule(&by_flag)["helpUri"], "https://docs.test/d.md#l004");
}

fn has_colour(s: &str) -> bool {
    s.contains("\u{1b}[")
}

/// Removes SGR sequences.
fn strip(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\u{1b}[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after.find('m').unwrap();
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn colour_respects_no_color_and_the_terminal() {
    let dir = policy_dir("colour", &[("a.yaml", &l004_bad())]);
    let lint = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["lint", "."];
        all.extend_from_slice(args);
        run(&dir, &all, env).stdout
    };
    // Not a terminal (a pipe): never coloured by default.
    let plain = lint(&[], &[]);
    assert!(!has_colour(&plain), "{plain:?}");
    assert!(plain.contains("warning[L004]"));
    // CLICOLOR_FORCE asks for colour even into a pipe; NO_COLOR wins over it.
    let forced = lint(&[], &[("CLICOLOR_FORCE", "1")]);
    assert!(has_colour(&forced), "{forced:?}");
    assert!(!has_colour(&lint(&[], &[("CLICOLOR_FORCE", "0")])));
    assert!(!has_colour(&lint(
        &[],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]
    )));
    // An empty NO_COLOR does not count (no-color.org).
    assert!(has_colour(&lint(
        &[],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "")]
    )));
    // The flag is explicit and wins over the environment.
    assert!(has_colour(&lint(
        &["--color", "always"],
        &[("NO_COLOR", "1")]
    )));
    assert!(!has_colour(&lint(
        &["--color", "never"],
        &[("CLICOLOR_FORCE", "1")]
    )));
    // Colour adds escape sequences around Roster's own text and nothing else.
    assert_eq!(strip(&forced), plain);
    // Machine formats are never coloured.
    for format in ["json", "sarif", "github"] {
        assert!(!has_colour(&lint(
            &["--format", format, "--color", "always"],
            &[]
        )));
    }
}

#[test]
fn colour_never_comes_from_user_text() {
    // A raw escape character on the line a finding points at: shown visibly, coloured or not.
    let text = l004_bad().replace("^Sales(?! Operations)", "^Sales(?! \u{1b}[31mOps)");
    let dir = policy_dir("colour-user", &[("a.yaml", &text)]);
    let r = run(&dir, &["lint", ".", "--color", "always"], &[]);
    assert!(has_colour(&r.stdout), "{:?}", r.stdout);
    let stripped = strip(&r.stdout);
    assert!(!stripped.contains('\u{1b}'), "{stripped:?}");
    assert!(stripped.contains("\\u{1b}[31mOps"), "{stripped}");
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = run(&here(), &["completions", shell], &[]);
        assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{shell}");
        assert!(r.stdout.len() > 1000, "{shell}: {}", r.stdout.len());
        for word in ["roster", "lint", "deny-warnings", "completions"] {
            assert!(r.stdout.contains(word), "{shell}: no `{word}`");
        }
    }
    let r = run(&here(), &["completions", "tcsh"], &[]);
    assert_eq!(r.code, 2);
}

#[test]
fn the_man_page() {
    let r = run(&here(), &["man"], &[]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert!(
        r.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        &r.stdout[..80]
    );
    for word in [
        ".TH roster 1",
        ".SH NAME",
        ".SH SUBCOMMANDS",
        "lint",
        "completions",
    ] {
        assert!(r.stdout.contains(word), "no `{word}`");
    }
}

/// The example workflow is valid YAML with the three jobs, and every `roster lint`, `test` and
/// `diff` command in it runs as written on the bundled example (`diff` against the commit of a
/// fresh repository instead of the pull request's base).
#[test]
fn the_example_workflow_runs_as_written() {
    let text = std::fs::read_to_string(here().join("examples/ci/github-actions.yml")).unwrap();
    let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let jobs = doc["jobs"].as_object().unwrap();
    assert_eq!(
        jobs.keys().map(String::as_str).collect::<Vec<_>>(),
        ["lint", "test", "diff"]
    );
    let mut commands = Vec::new();
    for job in jobs.values() {
        for step in job["steps"].as_array().unwrap() {
            if let Some(run) = step["run"].as_str() {
                for line in run.lines() {
                    let line = line.trim();
                    if line.starts_with("roster ") {
                        commands.push(line.to_string());
                    }
                }
            }
        }
    }
    assert!(
        commands
            .iter()
            .any(|c| c.contains("lint policies --format github"))
    );
    assert!(
        commands
            .iter()
            .any(|c| c.contains("lint policies --format sarif"))
    );
    assert!(
        commands
            .iter()
            .any(|c| c.contains("test policies --format junit"))
    );
    assert!(commands.iter().any(|c| c.contains("diff --base")));
    // `diff` runs in a repository of its own holding the example, against its one commit.
    let repo = std::env::temp_dir().join(format!("roster-ci-{}-workflow", std::process::id()));
    let _ = std::fs::remove_dir_all(&repo);
    std::fs::create_dir_all(repo.join("examples")).unwrap();
    copy_dir(&here().join("policies"), &repo.join("policies"));
    copy_dir(&here().join("examples/data"), &repo.join("examples/data"));
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(["-c", "user.name=ci", "-c", "user.email=ci@example.test"])
            .args(args)
            .current_dir(&repo)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "example"]);
    for command in commands.iter().filter(|c| c.starts_with("roster diff ")) {
        let command = command.replace("\"origin/${{ github.base_ref }}\"", "HEAD");
        let args: Vec<&str> = command
            .split_whitespace()
            .skip(1)
            .take_while(|a| !a.starts_with('>') && *a != "||")
            .collect();
        let r = run(&repo, &args, &[("NO_COLOR", "1")]);
        assert_eq!(r.code, 0, "{command}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.len() < 60_000,
            "{command}: {} characters",
            r.stdout.len()
        );
    }
    let _ = std::fs::remove_dir_all(&repo);
    for command in commands
        .iter()
        .filter(|c| c.starts_with("roster lint ") || c.starts_with("roster test "))
    {
        // The arguments up to a redirection.
        let args: Vec<&str> = command
            .split_whitespace()
            .skip(1)
            .take_while(|a| !a.starts_with('>') && *a != "||")
            .collect();
        let r = run(&here(), &args, &[("NO_COLOR", "1")]);
        assert_eq!(r.code, 0, "{command}: {}{}", r.stdout, r.stderr);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}
