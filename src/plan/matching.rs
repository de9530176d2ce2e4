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
use std::collections::{BTreeMap, HashMap, HashSet};

use foldhash::fast::FixedState;
use rayon::prelude::*;

use crate::actual::Cell;
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

/// The rows an identity's deciding attribute found.
enum Rows {
    One(usize),
    Many(Vec<usize>),
}

impl Rows {
    fn as_slice(&self) -> &[usize] {
        match self {
            Rows::One(r) => std::slice::from_ref(r),
            Rows::Many(rows) => rows,
        }
    }
}

/// The situations of one target.
#[derive(Debug, Default)]
pub struct Found {
    /// Identity → its one account (row), matched by nobody else.
    pub linked: BTreeMap<usize, usize>,
    /// Identities that have a matching value but no account.
    pub unmatched: HashSet<usize, FixedState>,
    /// Identities in a dispute.
    pub disputed: HashSet<usize, FixedState>,
    /// The disputes.
    pub disputes: Vec<Disputed>,
    /// Rows matched by at least one identity (linked or disputed).
    pub claimed: HashSet<usize, FixedState>,
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

/// The identities holding one folded value: usually one.
enum Holders {
    One(u32),
    Many(Vec<u32>),
}

impl Holders {
    fn add(&mut self, i: u32) {
        match self {
            Holders::One(first) if *first != i => *self = Holders::Many(vec![*first, i]),
            Holders::One(_) => {}
            Holders::Many(ids) => {
                if ids.last() != Some(&i) {
                    ids.push(i);
                }
            }
        }
    }

    fn as_slice(&self) -> &[u32] {
        match self {
            Holders::One(i) => std::slice::from_ref(i),
            Holders::Many(ids) => ids,
        }
    }
}

/// The hash a folded value is indexed by.
fn hash(text: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x6d61_7463).hash_one(text)
}

/// Matches accounts one at a time, as an export is read, against the desired values: the
/// desired side is indexed up front (by the hash of each folded value, so that the index holds
/// no text), each account's matching values record the (identity, attribute, account) pairs
/// that hold the same value, and [`Matcher::found`] decides from those pairs once every account
/// has been seen.
pub struct Matcher {
    /// Per matching attribute: hash of a folded value → the identities holding it.
    index: Vec<HashMap<u64, Holders, foldhash::fast::FixedState>>,
    /// (identity, matching attribute, row) for every value an account shares with an identity.
    hits: Vec<(u32, u32, u32)>,
}

impl Matcher {
    /// Indexes the desired values of `keys` (in precedence order) for identities `0..n`.
    pub fn new(keys: &[Key<'_>], n: usize) -> Matcher {
        // One index per key, built in parallel; each sized for an identity per value (the
        // common case: a matching attribute holds a value for nearly everyone), so that it
        // is not grown, and copied, a dozen times over.
        let index = keys
            .par_iter()
            .map(|key| {
                let mut index: HashMap<u64, Holders, foldhash::fast::FixedState> =
                    HashMap::with_capacity_and_hasher(n, FixedState::default());
                for i in 0..n {
                    let Ok(i32) = u32::try_from(i) else {
                        break;
                    };
                    each_text(key.get(i), &mut |t| {
                        index
                            .entry(hash(&t))
                            .and_modify(|h| h.add(i32))
                            .or_insert(Holders::One(i32));
                    });
                }
                index
            })
            .collect();
        Matcher {
            index,
            hits: Vec::new(),
        }
    }

    /// Account `row`'s value `cell` of matching attribute `k`: records the identities that
    /// hold the same value, and adds them to `candidates`.
    pub fn account(
        &mut self,
        keys: &[Key<'_>],
        k: usize,
        row: u32,
        cell: Cell<'_>,
        candidates: &mut Vec<u32>,
    ) {
        let mut hits = std::mem::take(&mut self.hits);
        self.account_into(keys, k, row, cell, &mut hits, candidates);
        self.hits = hits;
    }

    /// The accounts of `rows` of an export whose matching attributes are `by_key` (one per
    /// key, `None` where the export lacks it), matched on every core; the same as
    /// [`Matcher::account`] for each row and key in order.
    pub fn accounts(
        &mut self,
        keys: &[Key<'_>],
        by_key: &[Option<&crate::actual::Attribute>],
        rows: std::ops::Range<u32>,
    ) {
        const CHUNK: u32 = 1 << 14;
        let chunks: Vec<u32> = rows.clone().step_by(CHUNK as usize).collect();
        let this = &*self;
        let found: Vec<Vec<(u32, u32, u32)>> = chunks
            .par_iter()
            .map(|&start| {
                let mut hits = Vec::new();
                let mut candidates = Vec::new();
                for row in start..start.saturating_add(CHUNK).min(rows.end) {
                    for (k, attribute) in by_key.iter().enumerate() {
                        let cell = attribute.map_or(Cell::Absent, |a| a.cell(row as usize));
                        this.account_into(keys, k, row, cell, &mut hits, &mut candidates);
                    }
                    candidates.clear();
                }
                hits
            })
            .collect();
        self.hits.extend(found.into_iter().flatten());
    }

    fn account_into(
        &self,
        keys: &[Key<'_>],
        k: usize,
        row: u32,
        cell: Cell<'_>,
        hits: &mut Vec<(u32, u32, u32)>,
        candidates: &mut Vec<u32>,
    ) {
        let (Some(index), Some(key), Ok(k32)) = (self.index.get(k), keys.get(k), u32::try_from(k))
        else {
            return;
        };
        let mut look = |t: Cow<'_, str>| {
            let Some(holders) = index.get(&hash(&t)) else {
                return;
            };
            for &i in holders.as_slice() {
                // A hash is not a value: the identity must hold this very value.
                let mut holds = false;
                each_text(key.get(i as usize), &mut |mine| holds |= mine == t);
                if holds {
                    hits.push((i, k32, row));
                    candidates.push(i);
                }
            }
        };
        match cell {
            Cell::Value(v) => each_text(v, &mut look),
            Cell::Text(t) if !t.is_empty() => look(fold(Cow::Borrowed(t))),
            _ => {}
        }
    }

    /// The situations, once every account has been seen: for each identity, the first
    /// matching attribute (in precedence order) that has a value and found an account
    /// decides.
    pub fn found(mut self, keys: &[Key<'_>], n: usize) -> Found {
        self.hits.sort_unstable();
        self.hits.dedup();
        let mut found = Found::default();
        // Identity → the rows its deciding attribute found (nearly always one: a list only
        // for several).
        // (Sized once: at a million identities it is tens of megabytes, and growing it
        // copies it into fresh pages again and again.)
        let mut hits: Vec<(usize, Rows, &str)> = Vec::with_capacity(self.hits.len().min(n));
        let mut rest = self.hits.as_slice();
        for i in 0..n {
            let i32 = u32::try_from(i).unwrap_or(u32::MAX);
            let start = rest.partition_point(|h| h.0 < i32);
            rest = rest.get(start..).unwrap_or_default();
            let end = rest.partition_point(|h| h.0 == i32);
            let mine = rest.get(..end).unwrap_or_default();
            let mut had_value = false;
            let mut decided = None;
            for (k, key) in keys.iter().enumerate() {
                let mut wanted = false;
                each_text(key.get(i), &mut |_| wanted = true);
                if !wanted {
                    continue;
                }
                had_value = true;
                let mut rows = mine
                    .iter()
                    .filter(|h| h.1 as usize == k)
                    .map(|h| h.2 as usize);
                if let Some(first) = rows.next() {
                    let rows = match rows.next() {
                        None => Rows::One(first),
                        Some(second) => {
                            Rows::Many([first, second].into_iter().chain(rows).collect())
                        }
                    };
                    decided = Some((rows, key.name.as_str()));
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
        // (Row, identity) for every row an identity's deciding attribute found, in row order
        // (then identity order): a row found by more than one identity is disputed.
        let mut by_row: Vec<(usize, usize)> = hits
            .iter()
            .flat_map(|(i, rows, _)| rows.as_slice().iter().map(move |r| (*r, *i)))
            .collect();
        by_row.sort_unstable();
        let shared: HashSet<usize, FixedState> = by_row
            .windows(2)
            .filter_map(|w| match w {
                [a, b] if a.0 == b.0 => Some(a.0),
                _ => None,
            })
            .collect();
        let mut linked = Vec::with_capacity(hits.len());
        found.claimed.reserve(hits.len());
        for (i, rows, name) in &hits {
            let rows = rows.as_slice();
            if let [r] = rows
                && !shared.contains(r)
            {
                linked.push((*i, *r));
                found.claimed.insert(*r);
                continue;
            }
            found.disputed.insert(*i);
            found.claimed.extend(rows.iter().copied());
            if rows.len() > 1 {
                found.disputes.push(Disputed {
                    identities: vec![*i],
                    rows: rows.to_vec(),
                    reason: format!("{} accounts match by `{name}`", rows.len()),
                });
            }
        }
        // In identity order already: built at once.
        found.linked = linked.into_iter().collect();
        // Accounts that several identities match (each reported once, with every identity).
        for group in by_row.chunk_by(|a, b| a.0 == b.0) {
            if let [(r, _), _, ..] = group {
                found.disputes.push(Disputed {
                    identities: group.iter().map(|(_, i)| *i).collect(),
                    rows: vec![*r],
                    reason: format!("{} identities match the same account", group.len()),
                });
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actual::{Attribute, Values};

    /// Matching the rows of an export on every core records the same hits, in the same
    /// order, as matching them one at a time: across chunk boundaries, with rows that match
    /// nobody, one identity, or several (a value two identities hold), and a key the export
    /// lacks.
    #[test]
    fn accounts_in_parallel_hit_as_one_by_one() {
        let n = 40_000;
        let ids = Column::from_values((0..n).map(|i| match i % 7 {
            0 => Value::Null,
            // Two identities share each of these values.
            1 | 2 => Value::Str(format!("shared{}", i / 7)),
            _ => Value::Str(format!("ID{i}")),
        }));
        let keys = vec![
            Key {
                name: "externalId".into(),
                held: None,
                all: Some(ids),
            },
            Key {
                name: "userName".into(),
                held: None,
                all: Some(Column::from_values(
                    (0..n).map(|i| Value::Str(format!("u{i}"))),
                )),
            },
        ];
        let rows = 3 * (1 << 14) + 123;
        let values = Column::from_values((0..rows).map(|r| match r % 5 {
            0 => Value::Str(format!("nobody{r}")),
            1 => Value::Str(format!("SHARED{}", (r / 3) % 5_000)),
            _ => Value::Str(format!("id{}", (r * 13) % n)),
        }));
        let attribute = Attribute {
            name: "externalId".into(),
            values: Values::Dictionary(values),
            present: (0..rows).collect(),
        };
        let by_key = [Some(&attribute), None];

        let mut one_by_one = Matcher::new(&keys, n);
        let mut candidates = Vec::new();
        for r in 0..rows {
            for (k, a) in by_key.iter().enumerate() {
                let cell = a.map_or(Cell::Absent, |a| a.cell(r));
                one_by_one.account(&keys, k, r as u32, cell, &mut candidates);
            }
        }
        let mut parallel = Matcher::new(&keys, n);
        parallel.accounts(&keys, &by_key, 0..rows as u32);

        assert!(
            one_by_one.hits.len() > rows / 2,
            "{}",
            one_by_one.hits.len()
        );
        assert_eq!(parallel.hits, one_by_one.hits);
        let (a, b) = (parallel.found(&keys, n), one_by_one.found(&keys, n));
        assert_eq!(a.linked, b.linked);
        assert_eq!(a.disputed, b.disputed);
        assert!(!a.disputed.is_empty());
    }
}
