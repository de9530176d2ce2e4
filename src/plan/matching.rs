//! Matching identities to actual accounts, as Entra's provisioning does: the target's matching
//! attributes in precedence order, and the first one that has a value *and* finds an account
//! decides. Zero accounts: unmatched (create). One account, matched by nobody else: linked.
//! Several accounts for one identity, or one account for several identities: disputed — no
//! change for anyone involved, both sides reported (Entra fails such an object with
//! `DuplicateTargetEntries` or `DuplicateSourceEntries`).
//!
//! Values compare case-insensitively (directories match their naming attributes so, and a
//! value that differs only in case from two accounts is a dispute, never a guess). A
//! multi-valued attribute matches by any of its values.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::actual::{Accounts, Cell};
use crate::column::Column;
use crate::value::Value;

/// A match that is not one to one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disputed {
    /// The identities involved.
    pub identities: Vec<usize>,
    /// The accounts (rows) involved.
    pub rows: Vec<usize>,
    /// What is ambiguous.
    pub reason: String,
}

/// The situations of one target.
#[derive(Debug, Default)]
pub struct Found {
    /// Identity → its one account (row), matched by nobody else.
    pub linked: BTreeMap<usize, usize>,
    /// Identities that have a matching value but no account.
    pub unmatched: HashSet<usize>,
    /// Identities in a dispute.
    pub disputed: HashSet<usize>,
    /// The disputes.
    pub disputes: Vec<Disputed>,
    /// Rows matched by at least one identity (linked or disputed).
    pub claimed: HashSet<usize>,
}

/// Folds a value for matching.
fn fold(text: &str) -> String {
    text.to_lowercase()
}

fn texts(v: &Value) -> Vec<String> {
    match v {
        Value::Null => Vec::new(),
        Value::List(items) => items.iter().flat_map(texts).collect(),
        Value::Str(s) if s.is_empty() => Vec::new(),
        other => vec![fold(&super::values::text(other))],
    }
}

/// Matches every identity by `keys` (matching attribute, desired value per identity, in
/// precedence order) against the accounts.
pub fn match_all(keys: &[(String, Column)], users: &Accounts, n: usize) -> Found {
    // Per matching attribute: folded value → rows.
    let indexes: Vec<HashMap<String, Vec<usize>>> = keys
        .iter()
        .map(|(name, _)| {
            let mut index: HashMap<String, Vec<usize>> = HashMap::new();
            for r in 0..users.len() {
                if let Cell::Value(v) = users.cell(r, name) {
                    for t in texts(v) {
                        let rows = index.entry(t).or_default();
                        if rows.last() != Some(&r) {
                            rows.push(r);
                        }
                    }
                }
            }
            index
        })
        .collect();
    let mut found = Found::default();
    // Identity → the rows its deciding attribute found.
    let mut hits: Vec<(usize, Vec<usize>, &str)> = Vec::new();
    for i in 0..n {
        let mut had_value = false;
        let mut decided = None;
        for ((name, column), index) in keys.iter().zip(&indexes) {
            let wanted = texts(column.get(i));
            if wanted.is_empty() {
                continue;
            }
            had_value = true;
            let rows: BTreeSet<usize> = wanted
                .iter()
                .filter_map(|t| index.get(t))
                .flatten()
                .copied()
                .collect();
            if !rows.is_empty() {
                decided = Some((rows.into_iter().collect::<Vec<_>>(), name.as_str()));
                break;
            }
        }
        match decided {
            Some((rows, name)) => hits.push((i, rows, name)),
            None if had_value => {
                found.unmatched.insert(i);
            }
            None => {}
        }
    }
    // Row → identities that found it.
    let mut by_row: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, rows, _) in &hits {
        for r in rows {
            by_row.entry(*r).or_default().push(*i);
        }
    }
    for (i, rows, name) in &hits {
        if let [r] = rows.as_slice()
            && by_row.get(r).is_some_and(|ids| ids.len() == 1)
        {
            found.linked.insert(*i, *r);
            found.claimed.insert(*r);
            continue;
        }
        found.disputed.insert(*i);
        found.claimed.extend(rows.iter().copied());
        if rows.len() > 1 {
            found.disputes.push(Disputed {
                identities: vec![*i],
                rows: rows.clone(),
                reason: format!("{} accounts match by `{name}`", rows.len()),
            });
        }
    }
    // Accounts that several identities match (each reported once, with every identity).
    for (r, ids) in &by_row {
        if ids.len() > 1 {
            found.disputes.push(Disputed {
                identities: ids.clone(),
                rows: vec![*r],
                reason: format!("{} identities match the same account", ids.len()),
            });
        }
    }
    found
}
