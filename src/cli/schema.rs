//! `roster schema [NAME] [--out DIR]`: the JSON Schemas of policy files and reports.

use std::path::PathBuf;

use super::ExitStatus;
use super::io::cannot_run;

/// Arguments of `roster schema`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The schema to print: `policy` (policy files), `desired-state` (the report of `eval`),
    /// `desired-state-line` (a line of `eval --format jsonl`), `plan` (the JSON of `plan`),
    /// `diff` (the JSON of `diff`), `explain` (the JSON of `explain`), `calendar` (the JSON of
    /// `calendar`) or `test` (test files,
    /// `*.test.yaml`).
    /// Standard output holds exactly one JSON document.
    #[arg(default_value = "policy", value_name = "NAME", conflicts_with = "out")]
    name: String,
    /// Write every schema into this directory, as `NAME.schema.json`, instead of printing one.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// The schemas Roster generates, by file name.
pub fn schemas() -> Vec<(&'static str, String)> {
    let policy = schemars::schema_for!(crate::policy::raw::PolicyFile);
    let mut text = serde_json::to_string_pretty(&policy).unwrap_or_default();
    text.push('\n');
    // The reports are written, never read: their schemas describe what is serialised (a
    // field skipped when empty is not required).
    let generator = || {
        schemars::generate::SchemaSettings::draft2020_12()
            .for_serialize()
            .into_generator()
    };
    let state = generator().into_root_schema_for::<crate::eval::report::Filtered<'static>>();
    let mut state_text = serde_json::to_string_pretty(&state).unwrap_or_default();
    state_text.push('\n');
    let explain = generator().into_root_schema_for::<crate::eval::explain::Explanation>();
    let mut explain_text = serde_json::to_string_pretty(&explain).unwrap_or_default();
    explain_text.push('\n');
    let line = generator().into_root_schema_for::<crate::eval::report::ReportLine>();
    let mut line_text = serde_json::to_string_pretty(&line).unwrap_or_default();
    line_text.push('\n');
    let plan = generator().into_root_schema_for::<crate::plan::Plan>();
    let mut plan_text = serde_json::to_string_pretty(&plan).unwrap_or_default();
    plan_text.push('\n');
    let test = schemars::schema_for!(crate::testing::raw::TestFile);
    let mut test_text = serde_json::to_string_pretty(&test).unwrap_or_default();
    test_text.push('\n');
    let diff = generator().into_root_schema_for::<crate::diff::Diff>();
    let mut diff_text = serde_json::to_string_pretty(&diff).unwrap_or_default();
    diff_text.push('\n');
    let calendar = generator().into_root_schema_for::<crate::governance::calendar::Calendar>();
    let mut calendar_text = serde_json::to_string_pretty(&calendar).unwrap_or_default();
    calendar_text.push('\n');
    vec![
        ("policy.schema.json", text),
        ("desired-state.schema.json", state_text),
        ("desired-state-line.schema.json", line_text),
        ("plan.schema.json", plan_text),
        ("test.schema.json", test_text),
        ("diff.schema.json", diff_text),
        ("explain.schema.json", explain_text),
        ("calendar.schema.json", calendar_text),
    ]
}

/// Runs `roster schema`.
pub fn run(args: &Args) -> ExitStatus {
    let all = schemas();
    match &args.out {
        None => {
            let file = format!("{}.schema.json", args.name);
            let Some((_, text)) = all.iter().find(|(name, _)| *name == file) else {
                let names: Vec<&str> = all
                    .iter()
                    .filter_map(|(name, _)| name.strip_suffix(".schema.json"))
                    .collect();
                return cannot_run(&format!(
                    "no schema `{}`; the schemas are {}",
                    args.name,
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            };
            super::io::out(text);
        }
        Some(dir) => {
            if let Err(e) = std::fs::create_dir_all(dir) {
                return cannot_run(&format!("`{}`: {e}", dir.display()));
            }
            for (name, text) in &all {
                let path = dir.join(name);
                if let Err(e) = std::fs::write(&path, text) {
                    return cannot_run(&format!("`{}`: {e}", path.display()));
                }
                super::io::err(&format!(
                    "wrote {}\n",
                    crate::escape::terminal(&path.display().to_string())
                ));
            }
        }
    }
    ExitStatus::Success
}
