//! Policy sets: the YAML files that describe sources, identity, groups, access packages,
//! targets, workflows and reviews; loaded with positions ([`load`]), checked and linked into a
//! dependency graph ([`compile`], [`graph`]), and linted ([`lint`]).

pub mod bounds;
pub mod compile;
pub mod graph;
pub mod lint;
pub mod load;
pub mod raw;

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
    /// Every diagnostic, in file and position order.
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads, checks and lints the policy set at `dir`.
pub fn check(dir: &Path) -> Result<Checked, load::LoadError> {
    check_with(dir, &load::LoadOptions::default())
}

/// Loads (with `options`), checks and lints the policy set at `dir`.
pub fn check_with(dir: &Path, options: &load::LoadOptions) -> Result<Checked, load::LoadError> {
    let loaded = load::load_with(dir, options)?;
    let mut diagnostics = loaded.diagnostics.clone();
    let policy = compile::compile(&loaded, &mut diagnostics);
    lint::run(&loaded, &policy, &mut diagnostics);
    diagnostics.sort_by_key(|d| (d.file, d.span.start, d.code));
    diagnostics.dedup();
    Ok(Checked {
        sources: loaded.sources,
        policy,
        diagnostics,
    })
}
