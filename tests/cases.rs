//! Declarative cases for both languages: every YAML file under `tests/cases/` holds a list of
//! cases, and each case is one test. Adding a case means adding a few lines of YAML.
//!
//! A case names an expression (`expr`) or a rule (`rule`), its `input` object, optionally `now`,
//! `existing` and `seed`, and exactly what to expect: `value` (the JSON value `roster expr`
//! prints), `ignore_flow` / `ignore_object_flow`, `result` (a rule's `true`/`false`), or
//! `error` (the code of the first error). `warnings` lists the warning codes expected (none by
//! default); `matches` is a regular expression a string value must match (for `Guid`,
//! `RandomString`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use rand::SeedableRng as _;
use roster::diagnostics::{Diagnostic, Severity, Source};
use roster::expr::{self, Context, Outcome};
use roster::rule::{self, RuleContext, Schema};
use roster::value::Value;
use serde::Deserialize;
use serde_json::Value as Json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    #[allow(dead_code)]
    source: Option<String>,
    #[serde(default)]
    expr: Option<String>,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    input: Option<Json>,
    #[serde(default)]
    now: Option<String>,
    #[serde(default)]
    existing: Vec<String>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    value: Option<Json>,
    #[serde(default)]
    ignore_flow: bool,
    #[serde(default)]
    ignore_object_flow: bool,
    #[serde(default)]
    result: Option<bool>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    matches: Option<String>,
}

/// Keeps an explicit `value: null` apart from a missing `value`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Json>, D::Error> {
    Json::deserialize(d).map(Some)
}

const DEFAULT_NOW: &str = "2024-01-15T10:00:00Z";

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<PathBuf> = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut trials = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let cases: Vec<Case> =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let rel = file.strip_prefix(&root).unwrap().with_extension("");
        let prefix = rel
            .to_string_lossy()
            .replace(std::path::MAIN_SEPARATOR, "::");
        let mut seen = std::collections::HashSet::new();
        for case in cases {
            assert!(
                seen.insert(case.name.clone()),
                "{}: duplicate case name `{}`",
                file.display(),
                case.name
            );
            let name = format!("{prefix}::{}", case.name);
            trials.push(Trial::test(name, move || run(&case)));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

fn codes(diags: &[Diagnostic], severity: Severity) -> Vec<&'static str> {
    diags
        .iter()
        .filter(|d| d.severity == severity)
        .map(|d| d.code.as_str())
        .collect()
}

fn explain(diags: &[Diagnostic], text: &str) -> String {
    let src = Source::new("<case>", text);
    diags.iter().map(|d| d.render(&src)).collect()
}

fn run(case: &Case) -> Result<(), Failed> {
    let now = chrono::DateTime::parse_from_rfc3339(case.now.as_deref().unwrap_or(DEFAULT_NOW))
        .map_err(|e| format!("bad `now`: {e}"))?
        .naive_utc();
    let input = match &case.input {
        None => serde_json::Map::new(),
        Some(Json::Object(m)) => m.clone(),
        Some(other) => return Err(format!("`input` must be a mapping, got {other}").into()),
    };
    let expectations = [
        case.value.is_some(),
        case.ignore_flow,
        case.ignore_object_flow,
        case.result.is_some(),
        case.error.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if expectations != 1 {
        return Err("a case needs exactly one of `value`, `ignore_flow`, `ignore_object_flow`, `result`, `error`".into());
    }
    match (&case.expr, &case.rule) {
        (Some(text), None) => run_expr(case, text, &input, now),
        (None, Some(text)) => run_rule(case, text, &input, now),
        _ => Err("a case needs exactly one of `expr` and `rule`".into()),
    }
}

fn check_diagnostics(case: &Case, diags: &[Diagnostic], text: &str) -> Result<bool, Failed> {
    let errors = codes(diags, Severity::Error);
    let warnings = codes(diags, Severity::Warning);
    if warnings != case.warnings {
        return Err(format!(
            "warnings {warnings:?}, expected {:?}\n{}",
            case.warnings,
            explain(diags, text)
        )
        .into());
    }
    match (&case.error, errors.first()) {
        (Some(want), Some(got)) if want == got => Ok(true),
        (Some(want), Some(_)) => {
            Err(format!("expected error {want}, got:\n{}", explain(diags, text)).into())
        }
        (None, Some(_)) => Err(format!("unexpected error:\n{}", explain(diags, text)).into()),
        (_, None) => Ok(false),
    }
}

fn run_expr(
    case: &Case,
    text: &str,
    input: &serde_json::Map<String, Json>,
    now: chrono::NaiveDateTime,
) -> Result<(), Failed> {
    let (program, diags) = expr::compile_str(text);
    if check_diagnostics(case, &diags, text)? {
        return Ok(());
    }
    let program = program.ok_or("no program and no error")?;
    let values: Vec<Value> = program.values_from_json(input);
    let taken: std::collections::HashSet<String> =
        case.existing.iter().map(|s| s.to_lowercase()).collect();
    let is_taken = |v: &str| taken.contains(&v.to_lowercase());
    let mut rng = rand::rngs::StdRng::seed_from_u64(case.seed.unwrap_or(7));
    let mut ctx = Context {
        now,
        default_domain: "contoso.onmicrosoft.com",
        is_taken: &is_taken,
        rng: &mut rng,
    };
    match program.eval(&values, &mut ctx) {
        Err(d) => match &case.error {
            Some(want) if want == d.code.as_str() => Ok(()),
            _ => Err(format!("evaluation failed:\n{}", explain(&[d], text)).into()),
        },
        Ok(outcome) => {
            if let Some(want) = &case.error {
                return Err(format!("expected error {want}, got {outcome:?}").into());
            }
            match outcome {
                Outcome::IgnoreAttributeFlow if case.ignore_flow => Ok(()),
                Outcome::IgnoreObjectFlow if case.ignore_object_flow => Ok(()),
                Outcome::Value(v) if case.value.is_some() => {
                    let got = v.to_json();
                    if let Some(pattern) = &case.matches {
                        let re = regex::Regex::new(pattern).unwrap();
                        let s = got
                            .as_str()
                            .ok_or_else(|| format!("{got} is not a string"))?;
                        if !re.is_match(s) {
                            return Err(format!("`{s}` does not match `{pattern}`").into());
                        }
                        return Ok(());
                    }
                    let want = case.value.as_ref().unwrap();
                    if &got == want {
                        Ok(())
                    } else {
                        Err(format!("got {got}, expected {want}").into())
                    }
                }
                other => Err(format!("got {other:?}").into()),
            }
        }
    }
}

fn run_rule(
    case: &Case,
    text: &str,
    input: &serde_json::Map<String, Json>,
    now: chrono::NaiveDateTime,
) -> Result<(), Failed> {
    let schema = Schema::entra();
    let (program, diags) = rule::compile_str(text, &schema);
    if check_diagnostics(case, &diags, text)? {
        return Ok(());
    }
    let program = program.ok_or("no program and no error")?;
    let values: Vec<Value> = program.values_from_json(input);
    match program.eval(&values, &RuleContext { now }) {
        Err(d) => match &case.error {
            Some(want) if want == d.code.as_str() => Ok(()),
            _ => Err(format!("evaluation failed:\n{}", explain(&[d], text)).into()),
        },
        Ok(got) => match case.result {
            Some(want) if want == got => Ok(()),
            Some(want) => Err(format!("got {got}, expected {want}").into()),
            None => Err(format!("expected error {:?}, got {got}", case.error).into()),
        },
    }
}
