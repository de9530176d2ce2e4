//! `roster expr EXPR [--input FILE|-] [--now TIME] [--existing FILE]`.

use std::collections::HashSet;

use rand::SeedableRng as _;
use serde_json::json;

use super::io::{cannot_run, parse_now, print_diagnostics, read_existing, read_input};
use super::{DiagnosticFormat, ExitStatus};
use crate::diagnostics::Source;
use crate::expr::{self, Context, Outcome};
use crate::value::Value;

/// Arguments of `roster expr`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The mapping expression, e.g. `Join(" ", [givenName], [surname])`.
    #[arg(allow_hyphen_values = true)]
    expression: String,
    /// JSON object of attribute name to value (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    input: Option<String>,
    /// The time `Now()` returns, RFC 3339 (default: the current time).
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// JSON array of values already taken in the target, for `SelectUniqueValue`.
    #[arg(long, value_name = "FILE")]
    existing: Option<String>,
    /// Seed for `Guid()` and `RandomString` (default: random).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// The tenant's default domain, for `DefaultDomain()`.
    #[arg(long, value_name = "DOMAIN", default_value = "contoso.onmicrosoft.com")]
    default_domain: String,
    /// How diagnostics are printed on standard error.
    #[arg(long, value_enum, default_value_t)]
    format: DiagnosticFormat,
}

/// Runs `roster expr`.
pub fn run(args: &Args) -> ExitStatus {
    let source = Source::new("<expression>", &args.expression);
    let input = match read_input(args.input.as_deref()) {
        Ok(i) => i,
        Err(e) => return cannot_run(&e),
    };
    let now = match parse_now(args.now.as_deref()) {
        Ok(n) => n,
        Err(e) => return cannot_run(&e),
    };
    let taken: HashSet<String> = match read_existing(args.existing.as_deref()) {
        Ok(values) => values.iter().map(|v| v.to_lowercase()).collect(),
        Err(e) => return cannot_run(&e),
    };
    let (program, diagnostics) = expr::compile_str(&args.expression);
    let Some(program) = program else {
        print_diagnostics(&diagnostics, &source, args.format);
        return ExitStatus::Failure;
    };
    let mut warnings = diagnostics;
    warnings.extend(program.input_warnings(&args.expression, &input));
    let values: Vec<Value> = program.values_from_json(&input);
    let mut rng = match args.seed {
        Some(seed) => rand::rngs::StdRng::seed_from_u64(seed),
        None => rand::make_rng(),
    };
    let is_taken = |v: &str| taken.contains(&v.to_lowercase());
    let mut ctx = Context {
        now,
        default_domain: &args.default_domain,
        is_taken: &is_taken,
        rng: &mut rng,
    };
    let result = program.eval(&values, &mut ctx);
    match result {
        Ok(outcome) => {
            print_diagnostics(&warnings, &source, args.format);
            let out = match outcome {
                Outcome::Value(v) => json!({ "value": v.to_json() }),
                Outcome::IgnoreAttributeFlow => json!({ "ignore_flow": true }),
                Outcome::IgnoreObjectFlow => json!({ "ignore_object_flow": true }),
            };
            super::io::out(&format!("{}\n", crate::escape::json_compact(&out)));
            ExitStatus::Success
        }
        Err(d) => {
            warnings.push(d);
            print_diagnostics(&warnings, &source, args.format);
            ExitStatus::Failure
        }
    }
}
