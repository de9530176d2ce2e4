//! `roster test` end to end: the bundled example's suite, test files set apart from policy
//! files, failures at the expectation, the three formats, coverage, exit statuses, and
//! fixtures read as the source's own format.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::{Run, roster_in};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh repository root holding `files` (path, text).
fn repo(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-testing-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn run(dir: &Path, args: &[&str]) -> Run {
    roster_in(dir, args)
}

/// A small policy set: one CSV source, a lifecycle, a dynamic group, a package, a target with
/// an `IIF` and a `Switch`.
const POLICY: &str = r#"
tenant:
  default_domain: contoso.example
sources:
  hr:
    format: csv
    path: hr.csv
    key: id
    fields:
      id: string
      first: string
      last: string
      dept: string
      city: string
      hired: datetime
      status: string
      tags: string_list
identity:
  attributes:
    employeeId:
      source: hr.id
    givenName:
      source: hr.first
    surname:
      source: hr.last
    department:
      source: hr.dept
    city:
      source: hr.city
    hireDate:
      type: datetime
      source: hr.hired
    status:
      source: hr.status
    tags:
      type: string_list
      source: hr.tags
  lifecycle:
    hire_date: hireDate
    status:
      attribute: status
      values:
        Active: active
        Gone: leaver
groups:
  sales:
    rule: user.department -eq "Sales"
  everyone:
    rule: user.employeeId -ne null
access_packages:
  crm:
    resources:
      - group: crm-users
    auto_assignment:
      rule: user.department -eq "Sales"
groups_more: {}
"#;

fn policy() -> String {
    POLICY.replace("groups_more: {}\n", "").replace(
        "  everyone:\n",
        "  crm-users:\n    members: []\n  everyone:\n",
    ) + r#"targets:
  app:
    kind: scim
    scope:
      sync: all
    deletion_threshold: 5
    mappings:
      userName:
        expression: Join("@", ToLower([givenName]), DefaultDomain())
      office:
        expression: Switch([city], "HQ", "Paris", "FR", "Berlin", "DE")
      tier:
        expression: IIF([department] = "Sales", "front", "back")
      familyName:
        source: surname
      labels:
        type: string_list
        source: tags
"#
}

const PASSING: &str = r#"as_of: 2026-01-15
tests:
  ann is in sales:
    people:
      ann:
        hr: {id: "0042", first: Ann, last: Lee, dept: Sales, city: Paris, hired: 2025-01-06, status: Active, tags: "a;b"}
    expect:
      ann:
        lifecycle: active
        attributes:
          employeeId: 0042
          hireDate: 2025-01-06
          tags: [a, b]
        in_groups: [sales, everyone]
        in_packages: [crm]
        accounts:
          app:
            state: enabled
            attributes: {userName: ann@contoso.example, office: FR, tier: front}
rules:
  sales rule:
    group: sales
    matches:
      - {department: sales}
    does_not_match:
      - {department: Finance}
"#;

fn set(name: &str, tests: &str) -> PathBuf {
    repo(
        name,
        &[
            ("policies/policy.yaml", &policy()),
            ("policies/tests/a.test.yaml", tests),
        ],
    )
}

#[test]
fn the_bundled_example_suite_passes() {
    let r = run(&manifest(), &["test", "policies", "--coverage"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("test result: ok."), "{}", r.stdout);
    assert!(!r.stdout.contains("FAILED"), "{}", r.stdout);
    // Every test file of the example ran, scenarios and rule tests.
    for file in ["joiners", "lifecycle", "access", "rules"] {
        assert!(
            r.stdout
                .contains(&format!("test policies/tests/{file}.test.yaml :: ")),
            "{file}: {}",
            r.stdout
        );
    }
    assert!(r.stdout.contains("coverage: "), "{}", r.stdout);
    assert!(r.stdout.contains("  branch "), "{}", r.stdout);
}

#[test]
fn the_bundled_example_suite_fails_when_the_policy_breaks() {
    // The example's tests pin its intent: a shorter pre-hire window and a CRM rule that lets
    // interns in each make a test fail, at the expectation.
    let root = example_copy("mutant");
    let identity = root.join("policies/identity.yaml");
    let text = std::fs::read_to_string(&identity).unwrap();
    std::fs::write(
        &identity,
        text.replace("prehire_days: 7", "prehire_days: 3"),
    )
    .unwrap();
    let packages = root.join("policies/access-packages.yaml");
    let text = std::fs::read_to_string(&packages).unwrap();
    std::fs::write(
        &packages,
        text.replace(
            r#"rule: user.department -eq "Sales" -and user.employeeType -ne "Intern""#,
            r#"rule: user.department -eq "Sales""#,
        ),
    )
    .unwrap();
    let r = run(&root, &["test", "policies"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("the lifecycle of `priya`: expected pre_hire, got not_yet_hired"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            r#"the rule on {"department":"Sales","employeeType":"Intern"}: expected no match, got a match"#
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("--> policies/tests/lifecycle.test.yaml:"),
        "{}",
        r.stdout
    );
}

/// A copy of the bundled example in a fresh repository.
fn example_copy(name: &str) -> PathBuf {
    let root = repo(name, &[]);
    for sub in ["policies", "examples"] {
        let from = manifest().join(sub);
        for entry in walk(&from) {
            let dest = root.join(sub).join(entry.strip_prefix(&from).unwrap());
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(&entry, dest).unwrap();
        }
    }
    root
}

#[test]
fn the_example_of_docs_testing_md_passes_on_the_bundled_policy_set() {
    let doc = std::fs::read_to_string(manifest().join("docs/testing.md")).unwrap();
    let start = doc.find("```yaml\nas_of: ").unwrap() + "```yaml\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let root = example_copy("doc");
    std::fs::write(root.join("policies/tests/doc.test.yaml"), &doc[start..end]).unwrap();
    let r = run(&root, &["test", "policies"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(
            "test policies/tests/doc.test.yaml :: a sales hire gets the CRM package ... ok"
        ),
        "{}",
        r.stdout
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_passing_suite_exits_0_and_values_compare_as_written() {
    let root = set("pass", PASSING);
    let r = run(&root, &["test", "policies"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        r.stdout,
        "test policies/tests/a.test.yaml :: ann is in sales ... ok\n\
         test policies/tests/a.test.yaml :: sales rule ... ok\n\
         \ntest result: ok. 2 tests: 2 passed, 0 failed, 0 could not run\n"
    );
    assert_eq!(r.stderr, "");
}

#[test]
fn test_files_are_not_policy_files() {
    let root = set("apart", PASSING);
    // lint, eval and graph do not read the test file as policy objects.
    std::fs::write(
        root.join("policies/hr.csv"),
        "id,first,last,dept,city,hired,status,tags\n1,A,B,Sales,Paris,2025-01-06,Active,\n",
    )
    .unwrap();
    let r = run(&root, &["lint", "policies"]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "no problems\n"),
        "{}",
        r.stderr
    );
    let r = run(
        &root,
        &[
            "eval",
            "policies",
            "--as-of",
            "2026-01-15",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("ann"), "{}", r.stdout);
    let r = run(&root, &["graph", "policies", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("ann is in sales"));
    // A broken test file is a lint error in that file, with the position and a did-you-mean.
    std::fs::write(
        root.join("policies/tests/a.test.yaml"),
        PASSING.replace(
            "in_groups: [sales, everyone]",
            "in_groups: [salse, everyone]",
        ),
    )
    .unwrap();
    let r = run(&root, &["lint", "policies"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("error[C350]: unknown group `salse`"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("--> policies/tests/a.test.yaml:14:21"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("did you mean `sales`?"), "{}", r.stdout);
    // And `roster test` cannot run (exit 2), saying why on standard error.
    let r = run(&root, &["test", "policies"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("error[C350]"), "{}", r.stderr);
    // An unknown key is the YAML shape error of test files too.
    std::fs::write(
        root.join("policies/tests/a.test.yaml"),
        PASSING.replace("in_groups:", "in_group:"),
    )
    .unwrap();
    let r = run(&root, &["lint", "policies"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("error[Y102]"), "{}", r.stdout);
    assert!(
        r.stdout.contains("policies/tests/a.test.yaml:"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_failure_points_at_the_expectation_with_expected_and_actual() {
    let tests = PASSING
        .replace(
            "userName: ann@contoso.example",
            "userName: anne@contoso.example",
        )
        .replace("in_packages: [crm]", "not_in_packages: [crm]")
        .replace("- {department: Finance}", "- {department: SALES}");
    let root = set("fail", &tests);
    let r = run(&root, &["test", "policies"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let expected = [
        "test policies/tests/a.test.yaml :: ann is in sales ... FAILED",
        "test policies/tests/a.test.yaml :: sales rule ... FAILED",
        "error[E200]: access package `crm` for `ann`: expected does not hold it, got holds it\n  --> policies/tests/a.test.yaml:15:27",
        "error[E200]: attribute `userName` of the `app` account of `ann`: expected \"anne@contoso.example\", got \"ann@contoso.example\"\n  --> policies/tests/a.test.yaml:19:36",
        "error[E200]: the rule on {\"department\":\"SALES\"}: expected no match, got a match\n  --> policies/tests/a.test.yaml:26:9",
        "in test `ann is in sales`",
        "test result: FAILED. 2 tests: 0 passed, 2 failed, 0 could not run",
    ];
    for e in expected {
        assert!(r.stdout.contains(e), "missing {e:?} in\n{}", r.stdout);
    }
}

#[test]
fn json_and_junit_say_the_same_and_escape_names() {
    let hostile = "a <b> & \"c\" 'd' \u{1b}[31m\u{202e}";
    let tests = PASSING
        .replace("ann is in sales:", r#""a <b> & \"c\" 'd' \e[31m\u202E":"#)
        .replace("lifecycle: active", "lifecycle: leaver");
    let root = set("formats", &tests);
    let r = run(
        &root,
        &["test", "policies", "--format", "json", "--coverage"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        doc["summary"],
        serde_json::json!({"tests": 2, "passed": 1, "failed": 1, "errors": 0})
    );
    let test = &doc["tests"][0];
    assert_eq!(test["name"], hostile);
    assert_eq!(test["status"], "failed");
    assert_eq!(test["as_of"], "2026-01-15");
    let failure = &test["failures"][0];
    assert_eq!(failure["file"], "policies/tests/a.test.yaml");
    assert_eq!(failure["line"], 9);
    assert_eq!(failure["expected"], "leaver");
    assert_eq!(failure["actual"], "active");
    assert!(doc["coverage"]["percent"].is_number());
    // JUnit: well-formed, the failure attached to its test case, hostile text escaped.
    let r = run(&root, &["test", "policies", "--format", "junit"]);
    assert_eq!(r.code, 1);
    let xml = &r.stdout;
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"roster\" tests=\"2\" failures=\"1\" errors=\"0\">"), "{xml}");
    assert!(xml.contains("<testsuite name=\"policies/tests/a.test.yaml\" tests=\"2\" failures=\"1\" errors=\"0\">"), "{xml}");
    assert!(
        xml.contains("a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;"),
        "{xml}"
    );
    assert!(!xml.contains('\u{1b}'), "{xml}");
    assert!(!xml.contains('\u{202e}'), "{xml}");
    assert!(xml.contains("<failure type=\"E200\" message=\"the lifecycle of `ann`: expected leaver, got active\">policies/tests/a.test.yaml:9:20: the lifecycle of `ann`"), "{xml}");
    assert!(xml.contains("<testcase name=\"sales rule\" classname=\"policies/tests/a.test.yaml\" file=\"policies/tests/a.test.yaml\" line=\"21\"/>"), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 2);
    assert_eq!(xml.matches("</testcase>").count(), 1);
    // The human form makes the controls visible too.
    let r = run(&root, &["test", "policies"]);
    assert!(!r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{202e}'));
}

#[test]
fn coverage_counts_branches_and_min_coverage_fails_below() {
    let root = set("coverage", PASSING);
    let r = run(&root, &["test", "policies", "--coverage"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // One person in Paris in Sales: the IIF took its true side, the Switch its "Paris" case.
    assert!(
        r.stdout
            .contains("branch target:app.tier (false) at policies/policy.yaml:"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("branch target:app.tier (true)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("branch target:app.office (default)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("branch target:app.office (= \"Berlin\")"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("(= \"Paris\")"), "{}", r.stdout);
    // The sales rule matched ann and failed to match Finance in the rule test: covered both
    // ways; `everyone` never failed to match.
    assert!(!r.stdout.contains("rule group:sales"), "{}", r.stdout);
    assert!(
        r.stdout.contains("rule group:everyone (does not match)"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("group group:crm-users"), "{}", r.stdout);
    let r = run(&root, &["test", "policies", "--min-coverage", "100"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("below the minimum of 100%"),
        "{}",
        r.stderr
    );
    let r = run(&root, &["test", "policies", "--min-coverage", "10"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&root, &["test", "policies", "--min-coverage", "120"]);
    assert_eq!(r.code, 2);
    // A second person outside Sales and Paris covers the other sides.
    let more = PASSING.replace(
        "    expect:\n",
        "      bo:\n        hr: {id: \"7\", first: Bo, dept: Finance, city: Oslo, hired: 2025-01-06, status: Active}\n    expect:\n",
    );
    std::fs::write(root.join("policies/tests/a.test.yaml"), more).unwrap();
    let r = run(&root, &["test", "policies", "--coverage"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("target:app.tier"), "{}", r.stdout);
    assert!(
        !r.stdout.contains("target:app.office (default)"),
        "{}",
        r.stdout
    );
}

#[test]
fn exit_statuses() {
    // No test files: cannot run.
    let root = repo("none", &[("policies/policy.yaml", &policy())]);
    let r = run(&root, &["test", "policies"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("holds no test files"), "{}", r.stderr);
    // A test without a date cannot run, unless --as-of gives one.
    let root = set("undated", &PASSING.replace("as_of: 2026-01-15\n", ""));
    let r = run(&root, &["test", "policies"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("error[C351]"), "{}", r.stderr);
    let r = run(&root, &["test", "policies", "--as-of", "2026-01-15"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = run(&root, &["test", "policies", "--as-of", "2026-02-30"]);
    assert_eq!(r.code, 2);
    // Fixtures that stop evaluation: that test could not run (exit 1), the others still run.
    let broken = PASSING.replace(
        "  ann is in sales:\n",
        "  nobody:\n    people:\n      ghost: {}\n    data_problems: []\n  ann is in sales:\n",
    );
    let root = set("norun", &broken);
    let r = run(&root, &["test", "policies"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("nobody ... ERROR"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("error[E204]: the test `nobody` could not run"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("ann is in sales ... ok"), "{}", r.stdout);
    // A policy set with errors: cannot run.
    let root = repo(
        "badpolicy",
        &[
            (
                "policies/policy.yaml",
                &policy().replacen("user.department -eq", "user.departmnt -eq", 1),
            ),
            ("policies/tests/a.test.yaml", PASSING),
        ],
    );
    let r = run(&root, &["test", "policies"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
}

#[test]
fn fixture_values_read_as_the_source_format() {
    // CSV: an empty string is no value, a string_list string is split on `;`, a number keeps
    // its text; the person's data problems are theirs.
    let tests = r#"as_of: 2026-01-15
tests:
  values:
    people:
      ann:
        hr: {id: 0042, first: "", dept: Sales, hired: not a date, status: Active, tags: " x ; ;y"}
      bo:
        hr: {id: "7", first: Bo, hired: 2025-01-06, status: Active, tags: [p, q]}
    expect:
      ann:
        attributes:
          employeeId: "0042"
          givenName: null
          tags: [x, y]
          hireDate: null
        lifecycle: unknown
        data_problems: [D102, E120]
      bo:
        attributes: {tags: [p, q], department: null}
        not_in_groups: [sales]
        data_problems: []
"#;
    let root = set("values", tests);
    let r = run(&root, &["test", "policies"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // The same record in a JSON source keeps "" as the empty string.
    let json_policy = policy().replace("format: csv", "format: json");
    let root = repo(
        "values-json",
        &[
            ("policies/policy.yaml", &json_policy),
            (
                "policies/tests/a.test.yaml",
                &tests
                    .replace("givenName: null", "givenName: \"\"")
                    .replace("tags: [x, y]", "tags: [\" x ; ;y\"]"),
            ),
        ],
    );
    let r = run(&root, &["test", "policies"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[test]
fn records_that_do_not_become_one_identity_fail_the_expectation() {
    let tests = r#"as_of: 2026-01-15
tests:
  twins:
    people:
      ann:
        hr: {id: "1", dept: Sales, hired: 2025-01-06, status: Active}
      ann-again:
        hr: {id: "1", dept: Finance, hired: 2025-01-06, status: Active}
    expect:
      ann-again:
        in_groups: [sales]
"#;
    let root = set("twins", tests);
    let r = run(&root, &["test", "policies"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "error[E200]: the records of `ann-again`: expected one identity, got no identity"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("D103"), "{}", r.stdout);
}

#[test]
fn the_example_test_files_validate_against_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(manifest().join("schemas/test.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let files = walk(&manifest().join("policies/tests"));
    assert!(files.len() >= 4);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    }
    let bad = serde_json::json!({"tests": {"t": {"people": {}, "expect": {"p": {"lifecycle": "retired"}}}}});
    assert!(validator.iter_errors(&bad).count() >= 1);
}

mod no_panic {
    use proptest::prelude::*;

    use super::{PASSING, set};

    /// Pieces of test files, well-formed and not, combined at random.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("as_of: 2026-01-15\n".to_string()),
            Just("as_of: 2026-13-45\n".to_string()),
            Just("tests:\n  t:\n    people:\n".to_string()),
            Just("      ann:\n        hr: {id: \"1\", dept: Sales}\n".to_string()),
            Just("      bo:\n        hr: {id: 0042, tags: [a, ~, 1.5], first: {x: 1}}\n".to_string()),
            Just("      cy:\n        nosuch: {id: \"3\"}\n".to_string()),
            Just("    expect:\n      ann:\n        attributes: {department: x, nosuch: 1}\n".to_string()),
            Just("      bo:\n        accounts: {app: {state: absent, attributes: {tier: 1}}}\n        conflicts: [[a], [crm, sales, x]]\n".to_string()),
            Just("    data_problems: [D999, E120]\n".to_string()),
            Just("rules:\n  r:\n    rule: 'user.department -match \"(a+)+$\"'\n    matches: [{department: aaaaaaaaaaaaaaaaaaaaaaaaaab}]\n".to_string()),
            Just("  s:\n    group: crm-users\n    access_package: crm\n    does_not_match: [{memberOf: 3}]\n".to_string()),
            Just("  u:\n    rule: 'user.department -eq'\n".to_string()),
            "[ -~]{0,16}\n",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Whatever a test file holds, reading, checking and running it does not panic, and
        /// every diagnostic renders.
        #[test]
        fn any_test_file_is_refused_or_run(pieces in prop::collection::vec(fragment(), 0..10)) {
            let root = set("prop", PASSING);
            std::fs::write(root.join("policies/tests/a.test.yaml"), pieces.concat()).unwrap();
            let result = roster::testing::run(
                &root.join("policies"),
                &roster::policy::load::LoadOptions::default(),
                None,
            );
            if let Ok(suite) = result {
                let _ = roster::render::human(&suite.diagnostics, &suite.sources);
                let _ = roster::testing::report::human(&suite, true);
                let _ = roster::testing::report::json(&suite, true);
                let _ = roster::testing::report::junit(&suite);
            }
        }
    }
}
