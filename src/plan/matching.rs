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

use std::borrow::Cow;
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

/// The desired values of one matching attribute: the desired state's for the identities that
/// hold an account, computed by the same mapping for everyone else (without copying either
/// into a column of its own).
pub struct Key<'a> {
    /// The matching attribute.
    pub name: String,
    /// Who holds an account, and the desired state's values.
    pub held: Option<(&'a crate::rule::sets::Bitset, &'a Column)>,
    /// The values computed for everyone.
    pub all: Option<Column>,
}

const NULL: Value = Value::Null;

impl Key<'_> {
    /// The value of identity `i`.
    pub fn get(&self, i: usize) -> &Value {
        match (&self.held, &self.all) {
            (Some((holders, held)), _) if holders.contains(i) => held.get(i),
            (_, Some(all)) => all.get(i),
            (Some((_, held)), None) => held.get(i),
            (None, None) => &NULL,
        }
    }
}

/// Folds a value for matching (borrowed when folding changes nothing).
fn fold(text: Cow<'_, str>) -> Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        return text;
    }
    Cow::Owned(text.to_lowercase())
}

/// The folded texts of a value, each passed to `each`.
fn each_text<'v>(v: &'v Value, each: &mut impl FnMut(Cow<'v, str>)) {
    match v {
        Value::Null => {}
        Value::List(items) => items.iter().for_each(|item| each_text(item, each)),
        Value::Str(s) if s.is_empty() => {}
        Value::Str(s) => each(fold(Cow::Borrowed(s.as_str()))),
        other => each(fold(Cow::Owned(super::values::text(other)))),
    }
}

/// The rows holding one folded value: usually one.
enum Rows {
    One(usize),
    Many(Vec<usize>),
}

impl Rows {
    fn add(&mut self, r: usize) {
        match self {
            Rows::One(first) if *first != r => *self = Rows::Many(vec![*first, r]),
            Rows::One(_) => {}
            Rows::Many(rows) => {
                if rows.last() != Some(&r) {
                    rows.push(r);
                }
            }
        }
    }

    fn as_slice(&self) -> &[usize] {
        match self {
            Rows::One(r) => std::slice::from_ref(r),
            Rows::Many(rows) => rows,
        }
    }
}

type Index<'a> = HashMap<Cow<'a, str>, Rows, foldhash::fast::FixedState>;

/// Matches every identity by `keys` (matching attribute, desired value per identity, in
/// precedence order) against the accounts.
pub fn match_all<'a>(keys: &[Key<'_>], users: &'a Accounts, n: usize) -> Found {
    // Per matching attribute: folded value → rows.
    let indexes: Vec<Index<'a>> = keys
        .iter()
        .map(|key| {
            let mut index = Index::default();
            // The attribute is looked up once, not once per account.
            let Some(attribute) = users.attribute(&key.name) else {
                return index;
            };
            for r in attribute.present.ones() {
                let mut add = |t: Cow<'a, str>| {
                    index
                        .entry(t)
                        .and_modify(|rows| rows.add(r))
                        .or_insert(Rows::One(r));
                };
                match attribute.cell(r) {
                    Cell::Value(v) => each_text(v, &mut add),
                    Cell::Text(t) if !t.is_empty() => add(fold(Cow::Borrowed(t))),
                    _ => {}
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
        for (key, index) in keys.iter().zip(&indexes) {
            let name = &key.name;
            let mut wanted = false;
            let mut rows: BTreeSet<usize> = BTreeSet::new();
            each_text(key.get(i), &mut |t| {
                wanted = true;
                if let Some(found) = index.get(t.as_ref()) {
                    rows.extend(found.as_slice().iter().copied());
                }
            });
            if !wanted {
                continue;
            }
            had_value = true;
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
