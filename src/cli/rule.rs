//! `roster rule RULE [--input FILE|-] [--now TIME]`.

use super::io::{cannot_run, parse_now, print_diagnostics, read_input};
use super::{DiagnosticFormat, ExitStatus};
use crate::diagnostics::Source;
use crate::rule::{self, RuleContext, Schema};
use crate::value::Value;

/// Arguments of `roster rule`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The membership rule, e.g. `user.department -eq "Sales"`.
    #[arg(allow_hyphen_values = true)]
    rule: String,
    /// JSON object of property name to value (`-` for standard input); `manager` is the
    /// manager's object id, `memberOf` the ids of the groups the object is a direct member of.
    #[arg(long, value_name = "FILE")]
    input: Option<String>,
    /// The time `system.now` stands for, RFC 3339 (default: the current time).
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// How diagnostics are printed on standard error.
    #[arg(long, value_enum, default_value_t)]
    format: DiagnosticFormat,
}

/// Runs `roster rule`.
pub fn run(args: &Args) -> ExitStatus {
    let source = Source::new("<rule>", &args.rule);
    let input = match read_input(args.input.as_deref()) {
        Ok(i) => i,
        Err(e) => return cannot_run(&e),
    };
    let now = match parse_now(args.now.as_deref()) {
        Ok(n) => n,
        Err(e) => return cannot_run(&e),
    };
    let schema = Schema::entra();
    let (program, diagnostics) = rule::compile_str(&args.rule, &schema);
    let Some(program) = program else {
        print_diagnostics(&diagnostics, &source, args.format);
        return ExitStatus::Failure;
    };
    let mut diagnostics = diagnostics;
    diagnostics.extend(program.input_warnings(&args.rule, &input));
    print_diagnostics(&diagnostics, &source, args.format);
    // Property names are case-insensitive in rules.
    let values: Vec<Value> = program.values_from_json(&input);
    match program.eval(&values, &RuleContext { now }) {
        Ok(b) => {
            super::io::out(&format!("{b}\n"));
            ExitStatus::Success
        }
        Err(d) => {
            print_diagnostics(&[d], &source, args.format);
            ExitStatus::Failure
        }
    }
}
