//! `roster lint [DIR] [--format human|json|sarif|github] [--deny-warnings] [--color WHEN]
//! [--docs-url URL]`.

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
    /// Colour the human output: `auto` on a terminal unless `NO_COLOR` is set (or
    /// `CLICOLOR_FORCE` forces it), `always`, `never`.
    #[arg(long, value_enum, default_value_t, value_name = "WHEN")]
    color: crate::diagnostics::ColourChoice,
    /// Where the diagnostic reference is (`docs/diagnostics.md` of Roster's repository), for
    /// SARIF's `helpUri`; each rule links to `URL#code`. Default: `ROSTER_DOCS_URL`.
    #[arg(long, value_name = "URL")]
    docs_url: Option<String>,
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
    let suppressed = &checked.suppressed;
    let out = match args.format {
        LintFormat::Human => {
            use std::io::IsTerminal as _;
            let style = crate::diagnostics::Style::decide(
                args.color,
                std::io::stdout().is_terminal(),
                std::env::var_os("NO_COLOR").as_deref(),
                std::env::var_os("CLICOLOR_FORCE").as_deref(),
            );
            render::lint_human(diags, suppressed, &checked.sources, style)
        }
        LintFormat::Json => render::lint_json(diags, suppressed, &checked.sources),
        LintFormat::Sarif => render::lint_sarif(
            diags,
            suppressed,
            &checked.sources,
            render::docs_url(args.docs_url.as_deref()).as_deref(),
        ),
        // Suppressed findings do not annotate the pull request.
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
