//! `roster explain ID [DIR] [--as-of DATE] [--format human|json]`.

use std::path::PathBuf;

use super::ExitStatus;
use super::io::{load_for_evaluation, out};
use crate::escape::{VALUE_CHARS, clip, json_pretty, terminal};
use crate::eval::{self, Options, explain};

/// Output formats of `roster explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ExplainFormat {
    /// For people.
    #[default]
    Human,
    /// JSON.
    Json,
}

/// Arguments of `roster explain`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The identity key (the primary source's key, e.g. a WorkerID).
    id: String,
    /// The policy set.
    #[arg(default_value = "policies")]
    dir: PathBuf,
    /// The date to evaluate for, `YYYY-MM-DD` (default: today, UTC).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: ExplainFormat,
    #[command(flatten)]
    data: super::io::DataArgs,
}

/// Runs `roster explain`: exit 0 with the explanation, 1 when the policy set has errors or no
/// identity has that key, 2 when it could not run.
pub fn run(args: &Args) -> ExitStatus {
    let (as_of, loaded, checked) =
        match load_for_evaluation(&args.dir, args.as_of.as_deref(), &args.data.options()) {
            Ok(x) => x,
            Err(status) => return status,
        };
    let state = eval::evaluate(&loaded, &checked, Options { as_of });
    if state.cannot_run() {
        return super::eval::data_cannot_run(&state);
    }
    let Some(e) = explain::explain(&loaded, &checked, &state, &args.id) else {
        let keys: Vec<&str> = state.identities.keys().collect();
        let hint = crate::diagnostics::did_you_mean(&args.id, keys.iter().copied())
            .map_or_else(String::new, |s| format!("; did you mean `{s}`?"));
        super::io::err(&format!(
            "error: no identity `{}`{}\n",
            terminal(&clip(&args.id, VALUE_CHARS)),
            terminal(&hint)
        ));
        return ExitStatus::Failure;
    };
    match args.format {
        ExplainFormat::Human => out(&explain::human(&e)),
        ExplainFormat::Json => out(&format!("{}\n", json_pretty(&e))),
    };
    ExitStatus::Success
}
