//! `roster test [DIR] [--format human|json|junit] [--coverage] [--min-coverage PCT]
//! [--as-of DATE]`.

use std::path::PathBuf;

use super::ExitStatus;
use super::io::{cannot_run, err, out, parse_date};
use crate::testing;

/// Output formats of `roster test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum TestFormat {
    /// For people: a line per test, each failure at its expectation with expected and actual.
    #[default]
    Human,
    /// One JSON document: summary, tests, failures (and coverage with `--coverage`).
    Json,
    /// JUnit XML, as GitHub and GitLab read test reports.
    Junit,
}

/// Arguments of `roster test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policy set: a directory of YAML files, whose `*.test.yaml` files are the tests.
    #[arg(default_value = "policies")]
    dir: PathBuf,
    /// Output format (standard output).
    #[arg(long, value_enum, default_value_t)]
    format: TestFormat,
    /// Print what the tests exercised (mappings, IIF/Switch branches, rules, groups,
    /// packages, targets) and what they did not.
    #[arg(long)]
    coverage: bool,
    /// Fail (exit 1) when coverage is below this percentage (0 to 100).
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    min_coverage: Option<f64>,
    /// The date of the tests that give none themselves (`YYYY-MM-DD`); never today by default.
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    #[command(flatten)]
    data: super::io::DataArgs,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    let p: f64 = s
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("`{s}` is not a percentage"))?;
    if (0.0..=100.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("`{s}` is not between 0 and 100"))
    }
}

/// Runs `roster test`: exit 0 when every test passes (and coverage reaches `--min-coverage`),
/// 1 when a test fails or could not run or coverage is below the minimum, 2 when the tests
/// cannot run at all (no test files, errors in the policy set or a test file).
pub fn run(args: &Args) -> ExitStatus {
    let as_of = match args.as_of.as_deref().map(|s| parse_date("--as-of", s)) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => return cannot_run(&e),
    };
    let suite = match testing::run(&args.dir, &args.data.options(), as_of) {
        Ok(s) => s,
        Err(e) => return cannot_run(&e.0),
    };
    if !suite.diagnostics.is_empty() {
        err(&crate::render::human(&suite.diagnostics, &suite.sources));
    }
    if suite.cannot_run() {
        err("error: the tests cannot run until the errors above are fixed\n");
        return ExitStatus::Error;
    }
    let coverage = args.coverage || args.min_coverage.is_some();
    let text = match args.format {
        TestFormat::Human => testing::report::human(&suite, args.coverage),
        TestFormat::Json => testing::report::json(&suite, coverage),
        TestFormat::Junit => testing::report::junit(&suite),
    };
    out(&text);
    let mut status = if suite.passed() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    };
    if let Some(min) = args.min_coverage {
        let got = suite.coverage.percent();
        if got + 1e-9 < min {
            err(&format!(
                "error: coverage is {got:.1}%, below the minimum of {min}% (`--min-coverage`)\n"
            ));
            status = ExitStatus::Failure;
        }
    }
    status
}
