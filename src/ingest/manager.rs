//! Manager references within one dataset: dangling (`D106`), one's own (`D107`) and cycles
//! (`D108`).

use std::collections::HashMap;

use super::{DataIssue, Dataset, key_of, quote};
use crate::codes::Code;

/// Checks the manager references of `dataset`, the field `manager_field` holding the manager's
/// key. A reference to no key is a `D106` warning (evaluation may resolve it in another
/// source), one's own key a `D107` warning, and a cycle of two or more records a `D108` error,
/// reported once, at the row of its first record in file order, with the chain. When keys
/// repeat, the first record of a key is the one followed.
pub fn manager_issues(dataset: &Dataset, manager_field: &str, file: &str) -> Vec<DataIssue> {
    let mut issues = Vec::new();
    let Some(index) = dataset.field_index(manager_field) else {
        issues.push(
            DataIssue::new(
                Code::DataMissingField,
                file,
                "the manager field is not a declared field of the source",
            )
            .field(manager_field),
        );
        return issues;
    };
    // key -> record index (first occurrence)
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    for i in 0..dataset.len() {
        by_key.entry(dataset.key(i)).or_insert(i);
    }
    // record index -> manager record index, for records whose manager resolves to another.
    let mut next: Vec<Option<usize>> = vec![None; dataset.len()];
    for i in 0..dataset.len() {
        let Some(manager) = key_of(dataset.value(i, index)) else {
            continue;
        };
        let key = dataset.key(i);
        if manager == key {
            issues.push(
                DataIssue::new(
                    Code::DataSelfManager,
                    file,
                    format!("{} is their own manager", quote(key)),
                )
                .at(dataset.row(i))
                .field(manager_field)
                .help("leave the manager empty at the top of the hierarchy"),
            );
            continue;
        }
        match by_key.get(manager.as_str()) {
            Some(m) => {
                if let Some(slot) = next.get_mut(i) {
                    *slot = Some(*m);
                }
            }
            None => issues.push(
                DataIssue::new(
                    Code::DataDanglingManager,
                    file,
                    format!(
                        "the manager {} is not a key of this source",
                        quote(&manager)
                    ),
                )
                .at(dataset.row(i))
                .field(manager_field),
            ),
        }
    }
    // Each record has at most one manager: walk each chain once, colouring records.
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; dataset.len()];
    for start in 0..dataset.len() {
        let mut path = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at {
            match state.get(i).copied() {
                Some(NEW) => {
                    if let Some(s) = state.get_mut(i) {
                        *s = ON_PATH;
                    }
                    path.push(i);
                    at = next.get(i).copied().flatten();
                }
                Some(ON_PATH) => {
                    let from = path.iter().position(|p| *p == i).unwrap_or(0);
                    let cycle = path.get(from..).unwrap_or_default();
                    let first = cycle.iter().copied().min().unwrap_or(i);
                    // Start the chain at the record that comes first in the file.
                    let rot = cycle.iter().position(|p| *p == first).unwrap_or(0);
                    let mut chain: Vec<String> = cycle
                        .iter()
                        .cycle()
                        .skip(rot)
                        .take(cycle.len())
                        .filter(|p| **p < dataset.len())
                        .map(|p| format!("`{}`", dataset.key(*p)))
                        .collect();
                    if let Some(head) = chain.first().cloned() {
                        chain.push(head);
                    }
                    let row = dataset.row(first);
                    issues.push(
                        DataIssue::new(
                            Code::DataManagerCycle,
                            file,
                            format!("managers form a cycle: {}", chain.join(" -> ")),
                        )
                        .at(row)
                        .field(manager_field)
                        .help("somebody in the chain must have another manager, or none"),
                    );
                    break;
                }
                _ => break,
            }
        }
        for p in path {
            if let Some(s) = state.get_mut(p) {
                *s = DONE;
            }
        }
    }
    issues
}
