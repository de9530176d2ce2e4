//! `roster lint [DIR] [--format human|json|sarif|github] [--deny-warnings]`.

use std::path::PathBuf;

use super::ExitStatus;
use super::io::cannot_run;
use crate::policy;
use crate::render;

/// Output formats of `roster lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum LintFormat {
    /// For people: file, line, column, the source line and a caret under the span.
    #[default]
    Human,
    /// A JSON array of diagnostics.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow commands, which annotate pull requests.
    Github,
}

/// Arguments of `roster lint`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policy set: a directory of YAML files (or one file).
    #[arg(default_value = "policies")]
    dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: LintFormat,
    /// Exit 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    #[command(flatten)]
    root: super::io::RootArgs,
}

/// Runs `roster lint`: exit 0 without errors (warnings allowed), 1 with errors (or warnings
/// under `--deny-warnings`), 2 when the policy set cannot be read.
pub fn run(args: &Args) -> ExitStatus {
    let checked = match policy::check_with(&args.dir, &args.root.options()) {
        Ok(c) => c,
        Err(e) => return cannot_run(&e.to_string()),
    };
    let diags = &checked.diagnostics;
    let out = match args.format {
        LintFormat::Human => render::human(diags, &checked.sources),
        LintFormat::Json => render::json(diags, &checked.sources),
        LintFormat::Sarif => render::sarif(diags, &checked.sources),
        LintFormat::Github => render::github(diags, &checked.sources),
    };
    super::io::out(&out);
    let errors = diags.iter().any(|d| d.is_error());
    let warnings = diags.iter().any(|d| !d.is_error());
    if errors || (args.deny_warnings && warnings) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}
