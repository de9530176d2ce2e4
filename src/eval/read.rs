//! Stage 1, read: every source of the policy set into a [`Dataset`], once.
//!
//! The result, [`ReadData`], does not depend on the rest of the policy (mappings, rules,
//! targets), so it can be read once and evaluated more than once
//! ([`super::evaluate_with`]): the datasets are shared, never copied.

use std::sync::Arc;

use crate::codes::Code;
use crate::ingest::{self, DataIssue, Dataset};
use crate::policy::load::Loaded;

/// What the read stage gives: the datasets of the sources, in declaration order, and the
/// problems found reading them.
#[derive(Debug, Clone, Default)]
pub struct ReadData {
    /// One dataset per usable source, in declaration order (shared between evaluations).
    pub datasets: Arc<Vec<Dataset>>,
    /// The data problems found while reading (file, row, field).
    pub issues: Vec<DataIssue>,
}

impl ReadData {
    /// Reads every source of `loaded` ([`read_sources`]).
    pub fn read(loaded: &Loaded) -> ReadData {
        let mut issues = Vec::new();
        let datasets = read_sources(loaded, &mut issues);
        ReadData {
            datasets: Arc::new(datasets),
            issues,
        }
    }

    /// Whether a problem stops evaluation (a source missing, unusable or refused): the caller
    /// must not evaluate ([`super::DesiredState::cannot_run`]).
    pub fn stops(&self) -> bool {
        self.issues.iter().any(|i| i.code.stops_evaluation())
    }
}

/// Reads every source of the policy set (paths relative to the declaring file, inside the
/// root of [`Loaded::access`]), in declaration order. A source that gives no dataset (missing,
/// unreadable, unparsable), or no records without being declared `optional: true`, is a
/// `D112`; a refused file (outside the root, not a regular file, over the size limit) is its
/// own refusal. Either way the caller must not go on ([`super::DesiredState::cannot_run`]).
pub fn read_sources(loaded: &Loaded, issues: &mut Vec<DataIssue>) -> Vec<Dataset> {
    let mut datasets = Vec::new();
    for file in &loaded.files {
        let base = file
            .path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        for (name, source) in &file.policy.sources {
            let (data, mut problems) =
                ingest::read(&name.value, &source.value, &base, &loaded.access);
            // A file refused for safety is its own reason to stop: no `D112` on top of it.
            let refused = problems
                .iter()
                .any(|p| p.code != Code::DataSourceUnusable && p.code.stops_evaluation());
            issues.append(&mut problems);
            if refused {
                continue;
            }
            let optional = source.value.optional.as_ref().is_some_and(|o| o.value);
            let unusable = |why: &str| {
                DataIssue::new(
                    Code::DataSourceUnusable,
                    &ingest::display_path(&source.value, &base),
                    format!("source `{}` {why}: nothing is evaluated", name.value),
                )
            };
            match data {
                None => issues.push(unusable("could not be read").help(
                    "fix the problem reported for the file; a report without this source's people would be wrong",
                )),
                Some(d) if d.is_empty() && !optional => issues.push(
                    unusable("yields no records").help(
                        "check the export; declare the source `optional: true` if it may legitimately be empty",
                    ),
                ),
                Some(d) => datasets.push(d),
            }
        }
    }
    datasets
}
