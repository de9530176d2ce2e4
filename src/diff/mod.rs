//! `roster diff`: what a policy change does to real people.
//!
//! Two desired states of the same HR data and as-of date — the policy set before and after a
//! change — are compared identity by identity (aligned by key: a change of correlation can add
//! or remove identities): attribute values, lifecycle state, groups, access packages and
//! accounts gained and lost, account attributes changed, and data problems and
//! separation-of-duties conflicts that appear or are resolved. The comparison is columnar: a
//! column or a set that did not change costs one pass of equality checks.

pub mod git;
pub mod render;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use schemars::JsonSchema;
use serde::Serialize;

use crate::column::Column;
use crate::eval::DesiredState;
use crate::rule::sets::Bitset;
use crate::value::Value;

/// The version of the JSON diff document.
pub const FORMAT_VERSION: &str = "1";

/// How many identity keys a group's, package's or target's entry samples.
pub const SAMPLE: usize = 10;

/// One value before and after.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ValueChange {
    /// The attribute.
    pub name: String,
    /// Before (null: no value).
    pub before: serde_json::Value,
    /// After.
    pub after: serde_json::Value,
}

/// An account's change in one target.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AccountChange {
    /// The target.
    pub target: String,
    /// The state before: `enabled`, `disabled`, `held`, or null (no account).
    pub before: Option<String>,
    /// The state after.
    pub after: Option<String>,
    /// Target attributes whose value changes (both sides have an account).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<ValueChange>,
}

/// What changes for one identity.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct IdentityDiff {
    /// The identity key.
    pub key: String,
    /// `changed`, `added` (only after) or `removed` (only before).
    pub status: String,
    /// Lifecycle before and after, when it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<(String, String)>,
    /// Identity attributes whose value changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<ValueChange>,
    /// Groups gained.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups_gained: Vec<String>,
    /// Groups lost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups_lost: Vec<String>,
    /// Access packages gained.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages_gained: Vec<String>,
    /// Access packages lost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages_lost: Vec<String>,
    /// Accounts created, removed, enabled, disabled or changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountChange>,
}

/// Gained and lost, for one group, package or target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Movement {
    /// How many gain it.
    pub gained: usize,
    /// How many lose it.
    pub lost: usize,
    /// The first keys that gain it (at most 10).
    pub gained_sample: Vec<String>,
    /// The first keys that lose it (at most 10).
    pub lost_sample: Vec<String>,
}

/// A data problem or conflict that appears or is resolved.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct Finding {
    /// The code (`D…`, `E…`) or `conflict`.
    pub code: String,
    /// Where (file:row) or who (the identity key).
    pub at: String,
    /// The message.
    pub message: String,
}

/// The counts of a diff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Summary {
    /// Identities before.
    pub identities_before: usize,
    /// Identities after.
    pub identities_after: usize,
    /// Identities with any change.
    pub changed: usize,
    /// Group memberships gained.
    pub groups_gained: usize,
    /// Group memberships lost.
    pub groups_lost: usize,
    /// Access-package assignments gained.
    pub packages_gained: usize,
    /// Access-package assignments lost.
    pub packages_lost: usize,
    /// Accounts gained (none before).
    pub accounts_gained: usize,
    /// Accounts lost (none after).
    pub accounts_lost: usize,
    /// Identity attribute values changed.
    pub attributes_changed: usize,
    /// Lifecycle states changed.
    pub lifecycle_changed: usize,
    /// Data problems that appear.
    pub issues_new: usize,
    /// Data problems resolved.
    pub issues_resolved: usize,
    /// Conflicts that appear.
    pub conflicts_new: usize,
    /// Conflicts resolved.
    pub conflicts_resolved: usize,
}

/// What a policy change does.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Diff {
    /// The version of this document's format.
    pub format_version: String,
    /// The as-of date.
    pub as_of: String,
    /// The counts.
    pub summary: Summary,
    /// Per group: gained and lost.
    pub groups: BTreeMap<String, Movement>,
    /// Per access package.
    pub access_packages: BTreeMap<String, Movement>,
    /// Per target: accounts gained and lost.
    pub targets: BTreeMap<String, Movement>,
    /// Data problems that appear.
    pub issues_new: Vec<Finding>,
    /// Data problems resolved.
    pub issues_resolved: Vec<Finding>,
    /// Conflicts that appear.
    pub conflicts_new: Vec<Finding>,
    /// Conflicts resolved.
    pub conflicts_resolved: Vec<Finding>,
    /// Every identity that changes, in key order.
    pub identities: Vec<IdentityDiff>,
}

impl Diff {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.identities.is_empty()
            && self.issues_new.is_empty()
            && self.issues_resolved.is_empty()
            && self.conflicts_new.is_empty()
            && self.conflicts_resolved.is_empty()
    }
}

fn json(v: &Value) -> serde_json::Value {
    v.to_json()
}

/// Rows of the same key in `old` and `new`: `(old row, new row)`, with `None` on the side that
/// lacks the key; in key order.
/// Compares two columns' values row by row through their codes: each code of either
/// dictionary is translated once to the first code of its value in the new dictionary, so a
/// million rows cost a million integer comparisons, not a million value comparisons. Two
/// columns that share their data (one evaluation's column reused by the other) over the same
/// rows are identical without looking at a row.
struct Same<'a> {
    old: &'a Column,
    new: &'a Column,
    /// The columns share dictionary and codes, and the rows are aligned one to one.
    identical: bool,
    /// Per old code: the canonical new code of its value (`u32::MAX`: not in the new one).
    old_canon: Vec<u32>,
    /// Per new code: the first code of its value.
    new_canon: Vec<u32>,
}

impl<'a> Same<'a> {
    fn new(old: &'a Column, new: &'a Column, aligned: bool) -> Same<'a> {
        if aligned && old.fingerprint() == new.fingerprint() {
            return Same {
                old,
                new,
                identical: true,
                old_canon: Vec::new(),
                new_canon: Vec::new(),
            };
        }
        let mut index: HashMap<&Value, u32> = HashMap::with_capacity(new.dictionary().len());
        let new_canon: Vec<u32> = new
            .dictionary()
            .iter()
            .enumerate()
            .map(|(c, v)| {
                *index
                    .entry(v)
                    .or_insert(u32::try_from(c).unwrap_or(u32::MAX))
            })
            .collect();
        let old_canon: Vec<u32> = old
            .dictionary()
            .iter()
            .map(|v| index.get(v).copied().unwrap_or(u32::MAX))
            .collect();
        Same {
            old,
            new,
            identical: false,
            old_canon,
            new_canon,
        }
    }

    fn identical(&self) -> bool {
        self.identical
    }

    /// Whether the old value at row `i` equals the new value at row `j`.
    fn equal(&self, i: usize, j: usize) -> bool {
        if self.identical {
            return true;
        }
        let canon = |table: &[u32], code: u32| table.get(code as usize).copied();
        match (
            canon(&self.old_canon, self.old.code(i)),
            canon(&self.new_canon, self.new.code(j)),
        ) {
            (Some(a), Some(b)) => a != u32::MAX && a == b,
            // A code beyond its dictionary reads as NULL.
            _ => self.old.get(i) == self.new.get(j),
        }
    }
}

fn align(old: &DesiredState, new: &DesiredState) -> Vec<(Option<usize>, Option<usize>)> {
    let a: Vec<&str> = old.identities.keys().collect();
    let b: Vec<&str> = new.identities.keys().collect();
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                out.push((Some(i), Some(j)));
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                out.push((Some(i), None));
                i += 1;
            }
            (Some(_), None) => {
                out.push((Some(i), None));
                i += 1;
            }
            _ => {
                out.push((None, Some(j)));
                j += 1;
            }
        }
    }
    out
}

fn sets(list: &[(String, Bitset)]) -> HashMap<&str, &Bitset> {
    list.iter().map(|(n, b)| (n.as_str(), b)).collect()
}

fn state_word(
    t: &crate::eval::report::TargetAccounts,
    i: usize,
    lc: crate::eval::Lifecycle,
) -> Option<String> {
    t.state(i, lc).map(|s| {
        match s {
            crate::eval::AccountState::Enabled => "enabled",
            crate::eval::AccountState::Disabled => "disabled",
            crate::eval::AccountState::Held => "held",
        }
        .to_string()
    })
}

/// Compares two desired states of the same data and date.
pub fn diff(old: &DesiredState, new: &DesiredState) -> Diff {
    let rows = align(old, new);
    let (o, n) = (&old.identities, &new.identities);
    let mut per: BTreeMap<usize, IdentityDiff> = BTreeMap::new();
    let entry = |rows: &(Option<usize>, Option<usize>)| -> IdentityDiff {
        let key = rows
            .1
            .and_then(|j| n.key(j))
            .or_else(|| rows.0.and_then(|i| o.key(i)))
            .unwrap_or_default()
            .to_string();
        IdentityDiff {
            key,
            status: match rows {
                (Some(_), Some(_)) => "changed",
                (None, Some(_)) => "added",
                _ => "removed",
            }
            .to_string(),
            lifecycle: None,
            attributes: Vec::new(),
            groups_gained: Vec::new(),
            groups_lost: Vec::new(),
            packages_gained: Vec::new(),
            packages_lost: Vec::new(),
            accounts: Vec::new(),
        }
    };
    let mut summary = Summary {
        identities_before: o.len(),
        identities_after: n.len(),
        ..Summary::default()
    };
    // Identities on one side only.
    for (k, r) in rows.iter().enumerate() {
        if r.0.is_none() || r.1.is_none() {
            per.insert(k, entry(r));
        }
    }
    // Lifecycle.
    for (k, r) in rows.iter().enumerate() {
        let before = r.0.map(|i| o.lifecycle(i));
        let after = r.1.map(|j| n.lifecycle(j));
        if let (Some(b), Some(a)) = (before, after)
            && a != b
        {
            summary.lifecycle_changed += 1;
            per.entry(k).or_insert_with(|| entry(r)).lifecycle =
                Some((b.word().to_string(), a.word().to_string()));
        }
    }
    // Identity attributes, a column at a time.
    let old_cols: HashMap<&str, &Column> =
        o.attributes.iter().map(|(a, c)| (a.as_str(), c)).collect();
    let names: BTreeSet<&str> = o
        .attributes
        .iter()
        .chain(n.attributes.iter())
        .map(|(a, _)| a.as_str())
        .collect();
    let new_cols: HashMap<&str, &Column> =
        n.attributes.iter().map(|(a, c)| (a.as_str(), c)).collect();
    let aligned = rows
        .iter()
        .enumerate()
        .all(|(k, r)| *r == (Some(k), Some(k)));
    let nulls_old = Column::nulls(o.len());
    let nulls_new = Column::nulls(n.len());
    for name in &names {
        let oc = old_cols.get(name).copied().unwrap_or(&nulls_old);
        let nc = new_cols.get(name).copied().unwrap_or(&nulls_new);
        let same = Same::new(oc, nc, aligned);
        if same.identical() {
            continue;
        }
        for (k, r) in rows.iter().enumerate() {
            let (Some(i), Some(j)) = *r else { continue };
            if !same.equal(i, j) {
                let (b, a) = (oc.get(i), nc.get(j));
                summary.attributes_changed += 1;
                per.entry(k)
                    .or_insert_with(|| entry(r))
                    .attributes
                    .push(ValueChange {
                        name: (*name).to_string(),
                        before: json(b),
                        after: json(a),
                    });
            }
        }
    }
    // Groups and packages.
    let movement = |kind: &str,
                    old_sets: &[(String, Bitset)],
                    new_sets: &[(String, Bitset)],
                    per: &mut BTreeMap<usize, IdentityDiff>,
                    summary: &mut Summary|
     -> BTreeMap<String, Movement> {
        let (os, ns) = (sets(old_sets), sets(new_sets));
        let names: BTreeSet<&str> = os.keys().chain(ns.keys()).copied().collect();
        let mut out = BTreeMap::new();
        for name in names {
            let (ob, nb) = (os.get(name), ns.get(name));
            let mut m = Movement::default();
            for (k, r) in rows.iter().enumerate() {
                let was = r.0.is_some_and(|i| ob.is_some_and(|b| b.contains(i)));
                let is = r.1.is_some_and(|j| nb.is_some_and(|b| b.contains(j)));
                if was == is {
                    continue;
                }
                let d = per.entry(k).or_insert_with(|| entry(r));
                let key = d.key.clone();
                if is {
                    m.gained += 1;
                    if m.gained_sample.len() < SAMPLE {
                        m.gained_sample.push(key);
                    }
                    if kind == "group" {
                        d.groups_gained.push(name.to_string());
                        summary.groups_gained += 1;
                    } else {
                        d.packages_gained.push(name.to_string());
                        summary.packages_gained += 1;
                    }
                } else {
                    m.lost += 1;
                    if m.lost_sample.len() < SAMPLE {
                        m.lost_sample.push(key);
                    }
                    if kind == "group" {
                        d.groups_lost.push(name.to_string());
                        summary.groups_lost += 1;
                    } else {
                        d.packages_lost.push(name.to_string());
                        summary.packages_lost += 1;
                    }
                }
            }
            if m.gained + m.lost > 0 {
                out.insert(name.to_string(), m);
            }
        }
        out
    };
    let groups = movement("group", &o.groups, &n.groups, &mut per, &mut summary);
    let access_packages = movement("package", &o.packages, &n.packages, &mut per, &mut summary);
    // Accounts.
    let mut targets = BTreeMap::new();
    let target_names: BTreeSet<&str> = o
        .targets
        .iter()
        .chain(n.targets.iter())
        .map(|t| t.name.as_str())
        .collect();
    for tname in target_names {
        let ot = o.targets.iter().find(|t| t.name == tname);
        let nt = n.targets.iter().find(|t| t.name == tname);
        let mut m = Movement::default();
        let oa: HashMap<&str, &Column> = ot
            .map(|t| {
                t.attributes
                    .iter()
                    .map(|(a, c, _)| (a.as_str(), c))
                    .collect()
            })
            .unwrap_or_default();
        // Each new attribute with its old column (NULLs when the old target lacks it) and how
        // to compare them.
        let compared: Vec<(&String, &Column, &Column, Same<'_>)> = nt
            .map(|t| {
                t.attributes
                    .iter()
                    .map(|(aname, nc, _)| {
                        let oc = oa.get(aname.as_str()).copied().unwrap_or(&nulls_old);
                        (aname, oc, nc, Same::new(oc, nc, aligned))
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (k, r) in rows.iter().enumerate() {
            let before =
                r.0.and_then(|i| ot.and_then(|t| state_word(t, i, o.lifecycle(i))));
            let after =
                r.1.and_then(|j| nt.and_then(|t| state_word(t, j, n.lifecycle(j))));
            let mut attrs = Vec::new();
            if let (Some(_), Some(_), Some(_), Some(_), Some(i), Some(j)) =
                (&before, &after, ot, nt, r.0, r.1)
            {
                for (aname, oc, nc, same) in &compared {
                    if !same.equal(i, j) {
                        attrs.push(ValueChange {
                            name: (*aname).clone(),
                            before: json(oc.get(i)),
                            after: json(nc.get(j)),
                        });
                    }
                }
            }
            if before == after && attrs.is_empty() {
                continue;
            }
            let d = per.entry(k).or_insert_with(|| entry(r));
            match (&before, &after) {
                (None, Some(_)) => {
                    m.gained += 1;
                    summary.accounts_gained += 1;
                    if m.gained_sample.len() < SAMPLE {
                        m.gained_sample.push(d.key.clone());
                    }
                }
                (Some(_), None) => {
                    m.lost += 1;
                    summary.accounts_lost += 1;
                    if m.lost_sample.len() < SAMPLE {
                        m.lost_sample.push(d.key.clone());
                    }
                }
                _ => {}
            }
            d.accounts.push(AccountChange {
                target: tname.to_string(),
                before,
                after,
                attributes: attrs,
            });
        }
        if m.gained + m.lost > 0 {
            targets.insert(tname.to_string(), m);
        }
    }
    // Data problems and conflicts, as sets.
    // A policy file read from a revision is named `FILE@REV`: the same place in both.
    let issue = |i: &crate::ingest::DataIssue| {
        let file = match i.file.rsplit_once('@') {
            Some((file, _)) if i.in_policy() => file,
            _ => i.file.as_str(),
        };
        Finding {
            code: i.code.as_str().to_string(),
            at: match (&i.row, &i.field) {
                (Some(r), Some(f)) => format!("{file}:{r} {f}"),
                (Some(r), None) => format!("{file}:{r}"),
                (None, Some(f)) => format!("{file} {f}"),
                (None, None) => file.to_string(),
            },
            message: i.message.clone(),
        }
    };
    let conflict = |c: &crate::eval::report::Conflict| Finding {
        code: "conflict".to_string(),
        at: c.identity.clone(),
        message: format!(
            "{} `{}` and {} `{}`",
            c.first.kind, c.first.name, c.second.kind, c.second.name
        ),
    };
    let before: BTreeSet<Finding> = old.issues.iter().map(issue).collect();
    let after: BTreeSet<Finding> = new.issues.iter().map(issue).collect();
    let issues_new: Vec<Finding> = after.difference(&before).cloned().collect();
    let issues_resolved: Vec<Finding> = before.difference(&after).cloned().collect();
    let before: BTreeSet<Finding> = old.conflicts.iter().map(conflict).collect();
    let after: BTreeSet<Finding> = new.conflicts.iter().map(conflict).collect();
    let conflicts_new: Vec<Finding> = after.difference(&before).cloned().collect();
    let conflicts_resolved: Vec<Finding> = before.difference(&after).cloned().collect();
    summary.issues_new = issues_new.len();
    summary.issues_resolved = issues_resolved.len();
    summary.conflicts_new = conflicts_new.len();
    summary.conflicts_resolved = conflicts_resolved.len();
    summary.changed = per.len();
    Diff {
        format_version: FORMAT_VERSION.to_string(),
        as_of: new.as_of.to_string(),
        summary,
        groups,
        access_packages,
        targets,
        issues_new,
        issues_resolved,
        conflicts_new,
        conflicts_resolved,
        identities: per.into_values().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: &str) -> Value {
        Value::Str(v.into())
    }

    /// Value by value, whatever the two dictionaries: different orders, values on one side
    /// only, a value twice in one dictionary (a mapped column), NULLs.
    #[test]
    fn columns_compare_by_value_through_their_codes() {
        let old = Column::from_values([text("a"), text("b"), Value::Null, text("c"), text("a")]);
        let new = Column::from_values([text("b"), text("b"), Value::Null, text("d"), text("a")]);
        let same = Same::new(&old, &new, true);
        assert!(!same.identical());
        let got: Vec<bool> = (0..5).map(|i| same.equal(i, i)).collect();
        assert_eq!(got, [false, true, true, false, true]);
        // Rows not aligned one to one: old row 4 ("a") against new row 4 ("a") and row 0.
        assert!(same.equal(4, 4));
        assert!(!same.equal(4, 0));
        // A dictionary holding a value twice (as `with_dictionary` may give) still compares
        // by value.
        let twice = old.with_dictionary(old.dictionary().iter().map(|_| text("x")).collect());
        let xs = Column::from_values((0..5).map(|_| text("x")));
        let same = Same::new(&twice, &xs, true);
        assert!((0..5).all(|i| same.equal(i, i)));
        // A column against itself is identical without looking at rows.
        assert!(Same::new(&old, &old.clone(), true).identical());
        assert!(!Same::new(&old, &old.clone(), false).identical());
    }
}
