//! Policy sets: the YAML files that describe sources, identity, groups, access packages,
//! targets, workflows and reviews; loaded with positions ([`load`]), checked and linked into a
//! dependency graph ([`compile`], [`graph`]), and linted ([`lint`]).

pub mod bounds;
pub mod compile;
pub mod graph;
pub mod lint;
pub mod load;
pub mod ranges;
pub mod raw;
pub mod suppress;

pub use compile::Policy;

use std::path::Path;

use crate::diagnostics::{Diagnostic, SourceMap};

/// A checked policy set with every diagnostic found on the way.
#[derive(Debug)]
pub struct Checked {
    /// The file texts, for rendering diagnostics.
    pub sources: SourceMap,
    /// The checked model.
    pub policy: Policy,
    /// Every diagnostic, in file and position order, except the suppressed ones.
    pub diagnostics: Vec<Diagnostic>,
    /// Lint findings suppressed by a comment in the policy (`# roster: allow L004 -- reason`),
    /// in file and position order: reported as suppressed, never dropped.
    pub suppressed: Vec<suppress::Suppressed>,
}

/// Loads, checks and lints the policy set at `dir`.
pub fn check(dir: &Path) -> Result<Checked, load::LoadError> {
    check_with(dir, &load::LoadOptions::default())
}

/// Loads (with `options`), checks and lints the policy set at `dir`.
pub fn check_with(dir: &Path, options: &load::LoadOptions) -> Result<Checked, load::LoadError> {
    let mut loaded = load::load_with(dir, options)?;
    let mut diagnostics = loaded.diagnostics.clone();
    let policy = compile::compile(&loaded, &mut diagnostics);
    lint::run(&loaded, &policy, &mut diagnostics);
    suppress_follow_on(&loaded, &mut diagnostics);
    // The test files (`*.test.yaml`) must still fit the policy set.
    diagnostics.extend(crate::testing::lint(&mut loaded, &policy));
    // With errors, the lint rules that need resolved references did not run: a suppression of
    // their findings is not called unused then.
    let complete = !diagnostics.iter().any(Diagnostic::is_error);
    let mut suppressed = suppress::apply(&loaded.sources, &mut diagnostics, complete);
    suppressed.sort_by_key(|s| {
        (
            s.diagnostic.file,
            s.diagnostic.span.start,
            s.diagnostic.code,
        )
    });
    // Files that could not be read come first: they are the cause of what follows.
    diagnostics.sort_by_key(|d| (!is_unread_file(d), d.file, d.span.start, d.code));
    diagnostics.dedup();
    Ok(Checked {
        sources: loaded.sources,
        policy,
        diagnostics,
        suppressed,
    })
}

/// Whether a diagnostic says that a policy file could not be read as a policy file (YAML
/// syntax, shape, limits): everything that file defines is missing from the set.
fn is_unread_file(d: &Diagnostic) -> bool {
    d.is_error() && d.code.as_str().starts_with('Y')
}

/// When a policy file could not be read, names defined there look undefined everywhere else: an
/// unknown attribute, property or reference in another file is most likely a consequence, not a
/// cause. Those follow-on errors are left out, and the first unread file's error says how many
/// were, so the reader fixes the cause first. Errors in the unread files themselves, and every
/// other kind of problem, are kept.
fn suppress_follow_on(loaded: &load::Loaded, diagnostics: &mut Vec<Diagnostic>) {
    use crate::codes::Code;
    let unread: std::collections::BTreeSet<_> = loaded
        .diagnostics
        .iter()
        .filter(|d| is_unread_file(d))
        .map(|d| d.file)
        .collect();
    if unread.is_empty() {
        return;
    }
    let before = diagnostics.len();
    diagnostics.retain(|d| {
        unread.contains(&d.file)
            || !matches!(
                d.code,
                Code::UnknownIdentifier | Code::UnknownProperty | Code::UnknownReference
            )
    });
    let suppressed = before - diagnostics.len();
    if suppressed == 0 {
        return;
    }
    let first = diagnostics
        .iter_mut()
        .filter(|d| is_unread_file(d))
        .min_by_key(|d| (d.file, d.span.start));
    if let Some(first) = first {
        let note = format!(
            "{suppressed} unknown-name error{} in other files {} not shown: names this file defines look undefined until it reads; fix it first",
            if suppressed == 1 { "" } else { "s" },
            if suppressed == 1 { "is" } else { "are" },
        );
        first.help = Some(match first.help.take() {
            Some(help) => format!("{help}; {note}"),
            None => note,
        });
    }
}
