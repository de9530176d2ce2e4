//! `roster test`: tests that live in the policy set and pin its intent.
//!
//! Test files are the `*.test.yaml` (and `*.test.yml`) files below the policy directory; the
//! policy loader sets them aside ([`crate::policy::load::Loaded::test_files`]), so they are
//! never read as policy objects. A test file holds scenarios (fixture people evaluated
//! through the whole policy set, with expectations per person) and rule tests (one rule
//! against attribute sets). [`check`] reads and checks them (also under `roster lint`),
//! [`run()`] runs them, [`coverage`] counts what they exercised and [`report`] writes the
//! results as text, JSON or JUnit XML. `docs/testing.md` documents the file format.

pub mod check;
pub mod coverage;
pub mod raw;
pub mod report;
pub mod run;

use std::path::Path;

use chrono::NaiveDate;

use crate::diagnostics::{Diagnostic, SourceMap};
use crate::policy::load::{self, LoadOptions};

pub use run::{Failure, Kind, Outcome};

/// The result of `roster test`.
#[derive(Debug)]
pub struct Suite {
    /// The texts of the policy and test files.
    pub sources: SourceMap,
    /// The problems of the policy set and the test files; with an error among them, no test
    /// ran.
    pub diagnostics: Vec<Diagnostic>,
    /// One outcome per test, in file order, then as written.
    pub outcomes: Vec<Outcome>,
    /// What the tests exercised.
    pub coverage: coverage::Coverage,
}

impl Suite {
    /// Whether the tests could not run: the policy set or a test file has errors.
    pub fn cannot_run(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Whether every test passed.
    pub fn passed(&self) -> bool {
        self.outcomes.iter().all(Outcome::passed)
    }
}

/// Why the tests could not run at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop(pub String);

/// Loads the policy set at `dir`, reads and checks its test files, and runs them with
/// `as_of` as the date of the tests that give none.
pub fn run(dir: &Path, options: &LoadOptions, as_of: Option<NaiveDate>) -> Result<Suite, Stop> {
    let mut loaded = load::load_with(dir, options).map_err(|e| Stop(e.0))?;
    let mut diagnostics = loaded.diagnostics.clone();
    let policy = crate::policy::compile::compile(&loaded, &mut diagnostics);
    let (parsed, mut unread) = check::read(&mut loaded);
    diagnostics.append(&mut unread);
    if loaded.test_files.is_empty() && !diagnostics.iter().any(Diagnostic::is_error) {
        return Err(Stop(format!(
            "`{}` holds no test files: tests are the `*.test.yaml` files below the policy directory (docs/testing.md)",
            crate::files::quote(&dir.display().to_string())
        )));
    }
    let cx = check::Context {
        policy: &policy,
        loaded: &loaded,
        as_of,
        need_as_of: true,
    };
    diagnostics.extend(check::check(&parsed, &cx, &loaded.sources));
    let has_scenarios = parsed.iter().any(|f| !f.file.tests.is_empty());
    if has_scenarios && !loaded.files.iter().any(|f| f.policy.identity.is_some()) {
        return Err(Stop(format!(
            "the policy set `{}` defines no `identity`, so its scenarios have nothing to evaluate",
            crate::files::quote(&dir.display().to_string())
        )));
    }
    diagnostics.sort_by_key(|d| (d.file, d.span.start, d.code));
    diagnostics.dedup();
    let mut coverage = coverage::Coverage::new(&policy, &loaded);
    let mut suite = Suite {
        sources: SourceMap::new(),
        diagnostics,
        outcomes: Vec::new(),
        coverage: coverage::Coverage::default(),
    };
    if !suite.cannot_run() {
        let mut runner = run::Runner {
            loaded: &loaded,
            policy: &policy,
            as_of,
            coverage: &mut coverage,
        };
        suite.outcomes = runner.run(&parsed);
    }
    suite.coverage = coverage;
    suite.sources = loaded.sources;
    Ok(suite)
}

/// The diagnostics of the test files of a loaded and compiled policy set, for `roster lint`:
/// the files are added to `loaded`'s source map. Dates are not required (they may come from
/// `roster test --as-of`).
pub fn lint(loaded: &mut load::Loaded, policy: &crate::policy::Policy) -> Vec<Diagnostic> {
    let (parsed, mut out) = check::read(loaded);
    let cx = check::Context {
        policy,
        loaded,
        as_of: None,
        need_as_of: false,
    };
    out.extend(check::check(&parsed, &cx, &loaded.sources));
    out
}

/// A failure as a diagnostic (`E200`) at the expectation, for the human report and
/// annotations.
pub fn failure_diagnostic(outcome: &Outcome, failure: &Failure) -> Diagnostic {
    let mut d = Diagnostic::new(
        crate::codes::Code::TestFailed,
        failure.span,
        format!(
            "{}: expected {}, got {}",
            failure.what, failure.expected, failure.actual
        ),
    )
    .with_label(outcome.span, format!("in test `{}`", outcome.name));
    d.file = outcome.file;
    for label in &mut d.labels {
        label.file = outcome.file;
    }
    d.help = failure.note.clone();
    d
}

/// A test that could not run as a diagnostic (`E204`) at its name.
pub fn error_diagnostic(outcome: &Outcome, why: &str) -> Diagnostic {
    let mut d = Diagnostic::new(
        crate::codes::Code::TestCouldNotRun,
        outcome.span,
        format!("the test `{}` could not run: {why}", outcome.name),
    )
    .with_help("fix the fixtures: a test whose data stops evaluation checks nothing");
    d.file = outcome.file;
    d
}
