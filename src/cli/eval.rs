//! `roster eval [DIR] [--as-of DATE] [--format json|yaml|csv|markdown] [--out DIR]`.

use std::path::PathBuf;

use super::ExitStatus;
use super::io::{cannot_run, load_for_evaluation};
use crate::eval::{self, Options};

/// Output formats of `roster eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum EvalFormat {
    /// The canonical desired state (schemas/desired-state.schema.json).
    #[default]
    Json,
    /// The same content as YAML.
    Yaml,
    /// One CSV file per target (needs `--out`).
    Csv,
    /// A summary for a pull request.
    Markdown,
}

/// Arguments of `roster eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policy set: a directory of YAML files (or one file).
    #[arg(default_value = "policies")]
    dir: PathBuf,
    /// The date to evaluate for, `YYYY-MM-DD` (default: today, UTC).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: EvalFormat,
    /// Write the report into this directory (`desired-state.json`, `desired-state.yaml`,
    /// `summary.md`, or `<target>.csv` and `memberships.csv`) instead of standard output.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Runs `roster eval`: exit 0 with a report, 1 when the policy set has errors (nothing is
/// evaluated) or the data has error-level problems (the report is still written), 2 when it
/// could not run.
pub fn run(args: &Args) -> ExitStatus {
    let (as_of, loaded, checked) = match load_for_evaluation(&args.dir, args.as_of.as_deref()) {
        Ok(x) => x,
        Err(status) => return status,
    };
    if args.format == EvalFormat::Csv && args.out.is_none() {
        return cannot_run("--format csv writes one file per target: give --out DIR");
    }
    let state = eval::evaluate(&loaded, &checked, Options { as_of });
    let files: Vec<(String, String)> = match args.format {
        // Streamed, one identity at a time: the JSON of a large population is gigabytes.
        EvalFormat::Json => {
            let written = match &args.out {
                None => state.write_json(super::output::Stdout),
                Some(dir) => std::fs::create_dir_all(dir).and_then(|()| {
                    state.write_json(std::fs::File::create(dir.join("desired-state.json"))?)
                }),
            };
            match (written, &args.out) {
                // Standard output: a failure is already recorded (a closed pipe quietly, any
                // other error for exit 2 at the end).
                (Ok(()), _) | (Err(_), None) => Vec::new(),
                (Err(e), Some(dir)) => {
                    return cannot_run(&format!(
                        "`{}`: {e}",
                        dir.join("desired-state.json").display()
                    ));
                }
            }
        }
        EvalFormat::Yaml => vec![("desired-state.yaml".into(), state.to_yaml())],
        EvalFormat::Markdown => vec![("summary.md".into(), eval::report::markdown(&state))],
        EvalFormat::Csv => {
            let targets: Vec<(String, Vec<String>)> = loaded
                .files
                .iter()
                .flat_map(|f| f.policy.targets.iter())
                .map(|(n, t)| {
                    (
                        n.value.clone(),
                        t.value.mappings.keys().map(|k| k.value.clone()).collect(),
                    )
                })
                .collect();
            if targets.iter().any(|(t, _)| t == "memberships") {
                return cannot_run(
                    "--format csv writes memberships.csv, and a target is named `memberships`: use --format json",
                );
            }
            state
                .to_csv(&targets)
                .into_iter()
                .map(|(t, text)| (format!("{t}.csv"), text))
                .chain(std::iter::once((
                    "memberships.csv".to_string(),
                    state.memberships_csv(),
                )))
                .collect()
        }
    };
    match &args.out {
        None => {
            for (_, text) in &files {
                if !super::io::out(text) {
                    break;
                }
            }
        }
        Some(dir) => {
            if let Err(e) = std::fs::create_dir_all(dir) {
                return cannot_run(&format!("`{}`: {e}", dir.display()));
            }
            for (name, text) in &files {
                let path = dir.join(name);
                if let Err(e) = std::fs::write(&path, text) {
                    return cannot_run(&format!("`{}`: {e}", path.display()));
                }
            }
        }
    }
    let data_errors = state
        .issues
        .iter()
        .filter(|i| i.severity == crate::diagnostics::Severity::Error)
        .count();
    if !state.issues.is_empty() {
        super::io::err(&format!(
            "{} data problem{} ({} error{}); see `issues` in the report\n",
            state.issues.len(),
            if state.issues.len() == 1 { "" } else { "s" },
            data_errors,
            if data_errors == 1 { "" } else { "s" }
        ));
    }
    if data_errors > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}
