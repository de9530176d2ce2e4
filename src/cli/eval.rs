//! `roster eval [DIR] [--as-of DATE] [--format json|markdown] [--out FILE]`.

use std::path::PathBuf;

use super::ExitStatus;
use super::io::cannot_run;
use crate::eval::{self, Options};
use crate::policy;
use crate::render;

/// Output formats of `roster eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum EvalFormat {
    /// The canonical desired state (schemas/desired-state.schema.json).
    #[default]
    Json,
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
    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Runs `roster eval`: exit 0 with a report, 1 when the policy set has errors (nothing is
/// evaluated) or the data has error-level problems (the report is still written), 2 when it
/// could not run.
pub fn run(args: &Args) -> ExitStatus {
    let as_of = match &args.as_of {
        None => chrono::Utc::now().date_naive(),
        Some(s) => match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => {
                return cannot_run(&format!("--as-of: `{s}` is not a date; write YYYY-MM-DD"));
            }
        },
    };
    let loaded = match policy::load::load(&args.dir) {
        Ok(l) => l,
        Err(e) => return cannot_run(&e.to_string()),
    };
    let mut diagnostics = loaded.diagnostics.clone();
    let checked = policy::compile::compile(&loaded, &mut diagnostics);
    let errors: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    if !errors.is_empty() {
        eprint!("{}", render::human(&errors, &loaded.sources));
        return ExitStatus::Failure;
    }
    let state = eval::evaluate(&loaded, &checked, Options { as_of });
    let text = match args.format {
        EvalFormat::Json => state.to_json(),
        EvalFormat::Markdown => eval::report::markdown(&state),
    };
    match &args.out {
        None => print!("{text}"),
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                return cannot_run(&format!("`{}`: {e}", path.display()));
            }
        }
    }
    let data_errors = state
        .issues
        .iter()
        .filter(|i| i.severity == crate::diagnostics::Severity::Error)
        .count();
    if !state.issues.is_empty() {
        eprintln!(
            "{} data problem{} ({} error{}); see `issues` in the report",
            state.issues.len(),
            if state.issues.len() == 1 { "" } else { "s" },
            data_errors,
            if data_errors == 1 { "" } else { "s" }
        );
    }
    if data_errors > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}
