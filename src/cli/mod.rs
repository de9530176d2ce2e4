//! The command-line layer: argument definitions, one module per command, shared input and
//! output helpers. Commands return an [`ExitStatus`]; only `main` turns it into a process exit.

mod calendar;
mod codes;
mod completions;
mod diff;
mod eval;
mod explain;
mod expr;
mod generate;
mod graph;
mod io;
mod lint;
pub mod output;
mod plan;
mod progress;
mod rule;
pub mod schema;
mod test;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit statuses, part of the command-line contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success (for `lint`, no errors).
    Success,
    /// 1: the input is invalid, or evaluation failed (diagnostics on standard error).
    Failure,
    /// 2: the command could not run (unreadable file, malformed `--input`).
    Error,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        match s {
            ExitStatus::Success => std::process::ExitCode::SUCCESS,
            ExitStatus::Failure => std::process::ExitCode::from(1),
            ExitStatus::Error => std::process::ExitCode::from(2),
        }
    }
}

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DiagnosticFormat {
    /// For people: location, source line, caret, help.
    #[default]
    Human,
    /// A JSON array of diagnostic objects.
    Json,
}

/// Roster: identity lifecycle management as code, for Microsoft Entra ID Governance.
#[derive(Debug, Parser)]
#[command(name = "roster", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Evaluate one attribute-mapping expression and print `{"value": V}`.
    Expr(expr::Args),
    /// Evaluate one membership rule against one object and print `true` or `false`.
    Rule(rule::Args),
    /// Compute the desired state of every identity.
    Eval(eval::Args),
    /// What a policy change does to people: who gains and loses what.
    Diff(diff::Args),
    /// Compare the desired state with what each target actually holds: what must change.
    Plan(plan::Args),
    /// Every scheduled lifecycle event in a window: transitions, workflow runs, assignment
    /// expiries, access reviews, guest removals.
    Calendar(calendar::Args),
    /// Explain one identity: why it has or lacks each value, group, package and account.
    Explain(explain::Args),
    /// Write a synthetic organisation (HR files and a policy set) for benchmarks and demos.
    Generate(generate::Args),
    /// Check a policy set: errors, warnings, and why.
    Lint(lint::Args),
    /// Run the tests of a policy set (`*.test.yaml`): fixtures, expectations, coverage.
    Test(test::Args),
    /// Print the dependency graph of a policy set, or what a node affects.
    Graph(graph::Args),
    /// Write the JSON Schemas of policy files.
    Schema(schema::Args),
    /// List the diagnostic codes, explain one (`roster codes C201`), or print their Markdown reference.
    Codes(codes::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::Args),
    /// Print the manual page, roster(1), in roff (`roster man > roster.1`).
    Man(completions::ManArgs),
}

/// Parses the command line and runs it: the whole of `roster`. Help, version and usage errors
/// are written through the checked writer too ([`output`]).
pub fn main<I, T>(args: I) -> ExitStatus
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(cli) => run(cli),
        Err(e) => output::finish(usage(&e)),
    }
}

/// Prints clap's help, version or usage error: `--help` and `--version` on standard output
/// (exit 0), usage errors on standard error (exit 2, clap's convention and ours for "could not
/// run").
fn usage(e: &clap::Error) -> ExitStatus {
    use std::io::IsTerminal as _;
    let stream = if e.use_stderr() {
        output::Stream::Err
    } else {
        output::Stream::Out
    };
    let terminal = match stream {
        output::Stream::Out => std::io::stdout().is_terminal(),
        output::Stream::Err => std::io::stderr().is_terminal(),
    };
    let rendered = e.render();
    let text = if terminal {
        rendered.ansi().to_string()
    } else {
        rendered.to_string()
    };
    output::write(stream, &text);
    if e.exit_code() == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::Error
    }
}

/// Runs a parsed command line; the exit status accounts for failed writes ([`output::finish`]).
pub fn run(cli: Cli) -> ExitStatus {
    let status = dispatch(cli);
    output::finish(status)
}

fn dispatch(cli: Cli) -> ExitStatus {
    match cli.command {
        Command::Expr(args) => expr::run(&args),
        Command::Rule(args) => rule::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Calendar(args) => calendar::run(&args),
        Command::Generate(args) => generate::run(&args),
        Command::Lint(args) => lint::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Schema(args) => schema::run(&args),
        Command::Codes(args) => codes::run(&args),
        Command::Completions(args) => completions::run(&args),
        Command::Man(args) => completions::man(&args),
    }
}
