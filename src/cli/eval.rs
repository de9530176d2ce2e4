//! `roster eval [DIR] [--as-of DATE] [--format json|yaml|csv|markdown] [--out DIR]`.

use std::io::Write as _;
use std::path::PathBuf;

use super::ExitStatus;
use super::io::{cannot_run, load_for_evaluation};
use crate::eval::{self, Options};
use crate::files;

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
    /// `summary.md`, or `<target>.csv`, `memberships.csv` and `conflicts.csv`) instead of
    /// standard output.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[command(flatten)]
    data: super::io::DataArgs,
    /// Make every separation-of-duties conflict an error, so that the run fails (exit 1) when
    /// someone holds two things declared incompatible.
    #[arg(long)]
    deny_conflicts: bool,
}

/// Runs `roster eval`: exit 0 with a report, 1 when the policy set has errors (nothing is
/// evaluated) or the data has error-level problems (the report is still written), 2 when it
/// could not run.
pub fn run(args: &Args) -> ExitStatus {
    let (as_of, loaded, checked) =
        match load_for_evaluation(&args.dir, args.as_of.as_deref(), &args.data.options()) {
            Ok(x) => x,
            Err(status) => return status,
        };
    if args.format == EvalFormat::Csv && args.out.is_none() {
        return cannot_run("--format csv writes one file per target: give --out DIR");
    }
    let mut state = eval::evaluate(&loaded, &checked, Options { as_of });
    if state.cannot_run() {
        return data_cannot_run(&state);
    }
    if args.deny_conflicts {
        state.deny_conflicts();
    }
    let files: Vec<(String, String)> = match args.format {
        // Streamed, one identity at a time: the JSON of a large population is gigabytes.
        EvalFormat::Json => {
            let written = match &args.out {
                None => state.write_json(std::io::stdout().lock()),
                Some(dir) => std::fs::create_dir_all(dir).and_then(|()| {
                    files::write_atomically(dir, "desired-state.json", |w| state.write_json(w))
                }),
            };
            match written {
                Ok(()) => Vec::new(),
                // A closed pipe (`| head`) is the reader's choice, not a failure.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Vec::new(),
                Err(e) => return cannot_run(&format!("writing the report: {e}")),
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
            state
                .to_csv(&targets)
                .into_iter()
                .map(|(t, text)| (format!("{t}.csv"), text))
                .chain([
                    ("memberships.csv".to_string(), state.memberships_csv()),
                    ("conflicts.csv".to_string(), state.conflicts_csv()),
                ])
                .collect()
        }
    };
    match &args.out {
        None => {
            for (_, text) in &files {
                super::io::out(text);
            }
        }
        Some(dir) => {
            // Every name is checked before anything is written: plain file names inside
            // `--out`, no two the same file (a target named `memberships` included).
            if let Err(e) = files::check_output_names(files.iter().map(|(n, _)| n.as_str())) {
                return cannot_run(&e);
            }
            if let Err(e) = std::fs::create_dir_all(dir) {
                return cannot_run(&format!("`{}`: {e}", dir.display()));
            }
            for (name, text) in &files {
                if let Err(e) = files::write_atomically(dir, name, |w| w.write_all(text.as_bytes()))
                {
                    return cannot_run(&format!("`{}`: {e}", dir.join(name).display()));
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

/// Exit 2 because a source is missing, unreadable or empty, or its file was refused (outside
/// the root, not a regular file, over the size limit): prints the data problems on standard
/// error and writes no report (a report without that source's people would read as "remove
/// them").
pub(super) fn data_cannot_run(state: &crate::eval::DesiredState) -> ExitStatus {
    let mut text = String::new();
    for issue in &state.issues {
        text.push_str(&issue.render());
    }
    eprint!("{text}");
    cannot_run("a source could not be used: nothing was evaluated")
}
