//! Planning one target: its accounts compared with the desired state *while its export is
//! read*.
//!
//! A target's export can be gigabytes (a million accounts of sixty attributes); holding it
//! whole next to the desired state to compare afterwards would double the memory of a plan.
//! So a [`TargetTap`] is built from the desired state before the export is read, and the
//! reader hands it each account as it is parsed ([`crate::actual::Tap`]):
//!
//! 1. the account's matching values find the identities that hold the same values (the
//!    desired side is indexed up front), and each such pair is recorded;
//! 2. the account's attributes are compared with the desired values of every identity it
//!    matched, at once, and only the differences are kept;
//! 3. the account's values are dropped. The accounts keep identifiers, enabled flags and the
//!    few attributes needed at the end (the matching attributes and manager references).
//!
//! When the whole export is read, [`TargetTap::finish`] decides each identity's situation
//! from the recorded pairs exactly as matching over the whole export would (the first
//! matching attribute that has a value and finds an account decides), and plans from the
//! kept differences. An account compared with an identity it does not end up linked to
//! costs only the comparison.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::matching::{self, Matcher};
use super::{
    Action, AttributeChange, Change, Dispute, HeldEntry, Holds, NO_MATCHING_VALUE, Orphan, Plan,
    TargetActual, TargetPlan, attribute_change, enabled_flag, is_manager_reference, members,
    split_dn, values, values_for_all,
};
use crate::actual::{Cell, Format, Tap};
use crate::codes::Code;
use crate::column::Column;
use crate::eval::report::TargetAccounts;
use crate::eval::{DesiredState, Lifecycle};
use crate::ingest::DataIssue;
use crate::policy::Policy;
use crate::policy::graph::NodeId;
use crate::policy::load::Loaded;
use crate::policy::raw;
use crate::value::Value;

/// The attribute Entra's Active Directory mappings use for an entry's parent.
const PARENT_DN: &str = "parentDistinguishedName";

/// One target attribute of the desired state, looked up once.
struct Compared<'a> {
    name: &'a str,
    /// The desired values.
    column: &'a Column,
    /// Identities for which the mapping flows nothing (`IgnoreFlow`).
    absent: Option<&'a crate::rule::sets::Bitset>,
    /// Applied on creation only: never updated.
    on_create: bool,
    /// A reference to the manager's account: compared at the end, when every account is
    /// linked.
    manager: bool,
    /// The LDAP entry's parent: a move, not an update.
    parent: bool,
    /// Whether the export has the attribute at all (for some account).
    exported: bool,
}

impl Compared<'_> {
    /// Compared as each account is read (the others at the end).
    fn compared_early(&self) -> bool {
        !(self.on_create || self.manager || self.parent)
    }
}

/// Plans one target as its export is read: see the module documentation.
pub(crate) struct TargetTap<'a> {
    name: &'a str,
    state: &'a DesiredState,
    target: &'a raw::Target,
    desired: &'a TargetAccounts,
    holds: &'a Holds,
    format: Format,
    matching_names: Vec<String>,
    keys: Vec<matching::Key<'a>>,
    matcher: Matcher,
    attrs: Vec<Compared<'a>>,
    /// Folded attribute name → the compared attributes of that name.
    attr_of: HashMap<String, Vec<usize>>,
    /// Folded attribute name → the matching keys of that name.
    key_of: HashMap<String, Vec<usize>>,
    /// The export's columns: compared attributes and matching keys of each.
    columns: Vec<(Vec<usize>, Vec<usize>)>,
    /// Folded names the accounts keep: matching attributes and manager references.
    kept: HashSet<String>,
    /// (identity, row) → the attributes that differ, by index into `attrs`.
    differences: HashMap<(u32, u32), Vec<(usize, AttributeChange)>>,
    /// Scratch: for one account, each compared attribute's cell (index into the cells).
    slots: Vec<Option<usize>>,
    /// Scratch: the identities one account matches.
    candidates: Vec<u32>,
}

impl<'a> TargetTap<'a> {
    /// The tap of target `name`, from the desired state (before its export is read).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        loaded: &'a Loaded,
        policy: &'a Policy,
        state: &'a DesiredState,
        holds: &'a Holds,
        name: &'a str,
        target: &'a raw::Target,
        desired: &'a TargetAccounts,
        format: Format,
    ) -> TargetTap<'a> {
        let ids = &state.identities;
        let now = state.as_of.and_hms_opt(0, 0, 0).unwrap_or_default();
        let matching_names: Vec<String> = target.matching.iter().map(|m| m.value.clone()).collect();
        // Matching values: the desired state's for holders, computed for everyone else.
        let keys: Vec<matching::Key<'a>> = matching_names
            .iter()
            .map(|m| {
                let held = desired
                    .attributes
                    .iter()
                    .find(|(a, _, _)| a == m)
                    .map(|(_, c, _)| (&desired.holders, c));
                let all = values_for_all(
                    loaded,
                    policy,
                    state,
                    name,
                    m,
                    now,
                    held.map(|(holders, _)| holders),
                );
                matching::Key {
                    name: m.clone(),
                    held,
                    all,
                }
            })
            .collect();
        let matcher = Matcher::new(&keys, ids.len());
        let mapping_of = |attr: &str| {
            policy
                .mappings
                .get(&NodeId::TargetAttribute(name.to_string(), attr.to_string()))
        };
        let ldif = format == Format::Ldif;
        let attrs: Vec<Compared<'a>> = desired
            .attributes
            .iter()
            // The export's enabled flag (SCIM `active`, Graph `accountEnabled`) is planned as
            // an enable or a disable, not also as an update.
            .filter(|(aname, _, _)| {
                enabled_flag(format).is_none_or(|f| !aname.eq_ignore_ascii_case(f))
            })
            .map(|(aname, column, absent)| Compared {
                name: aname.as_str(),
                column,
                absent: absent.as_ref(),
                on_create: mapping_of(aname).is_some_and(|m| m.on_create),
                manager: is_manager_reference(aname),
                parent: ldif && aname.eq_ignore_ascii_case(PARENT_DN),
                exported: false,
            })
            .collect();
        let mut attr_of: HashMap<String, Vec<usize>> = HashMap::new();
        for (k, a) in attrs.iter().enumerate() {
            attr_of
                .entry(a.name.to_ascii_lowercase())
                .or_default()
                .push(k);
        }
        let mut key_of: HashMap<String, Vec<usize>> = HashMap::new();
        for (k, m) in matching_names.iter().enumerate() {
            key_of.entry(m.to_ascii_lowercase()).or_default().push(k);
        }
        let kept = matching_names
            .iter()
            .map(|m| m.to_ascii_lowercase())
            .chain(
                attrs
                    .iter()
                    .filter(|a| a.manager)
                    .map(|a| a.name.to_ascii_lowercase()),
            )
            .collect();
        let slots = vec![None; attrs.len()];
        TargetTap {
            name,
            state,
            target,
            desired,
            holds,
            format,
            matching_names,
            keys,
            matcher,
            attrs,
            attr_of,
            key_of,
            columns: Vec::new(),
            kept,
            differences: HashMap::new(),
            slots,
            candidates: Vec::new(),
        }
    }

    /// Whether identity `i`'s account in this target is planned attribute by attribute.
    fn compares(&self, i: usize) -> bool {
        self.desired.holders.contains(i) && self.holds.reason(self.name, i).is_none()
    }
}

impl Tap for TargetTap<'_> {
    fn column(&mut self, column: usize, name: &str) {
        let folded = name.to_ascii_lowercase();
        let attrs = self.attr_of.get(&folded).cloned().unwrap_or_default();
        for &k in &attrs {
            if let Some(a) = self.attrs.get_mut(k) {
                a.exported = true;
            }
        }
        let keys = self.key_of.get(&folded).cloned().unwrap_or_default();
        if self.columns.len() <= column {
            self.columns.resize(column + 1, (Vec::new(), Vec::new()));
        }
        if let Some(slot) = self.columns.get_mut(column) {
            *slot = (attrs, keys);
        }
    }

    fn keeps(&self, folded: &str) -> bool {
        self.kept.contains(folded)
    }

    fn row(&mut self, row: usize, _id: &str, cells: &[(usize, Cell<'_>)], _enabled: Option<bool>) {
        let Ok(row32) = u32::try_from(row) else {
            return;
        };
        self.candidates.clear();
        for slot in &mut self.slots {
            *slot = None;
        }
        for (n, (column, cell)) in cells.iter().enumerate() {
            let Some((attrs, keys)) = self.columns.get(*column) else {
                continue;
            };
            for &k in keys {
                self.matcher
                    .account(&self.keys, k, row32, *cell, &mut self.candidates);
            }
            for &a in attrs {
                if let Some(slot) = self.slots.get_mut(a) {
                    *slot = Some(n);
                }
            }
        }
        self.candidates.sort_unstable();
        self.candidates.dedup();
        // Compared with every identity it matches: which one it is linked to, if any, is
        // known only when the whole export has been read.
        for &i in &self.candidates {
            if !self.compares(i as usize) {
                continue;
            }
            let mut differ = Vec::new();
            for (k, a) in self.attrs.iter().enumerate() {
                let i = i as usize;
                if !a.compared_early() || a.absent.is_some_and(|b| b.contains(i)) {
                    continue;
                }
                // An attribute the export holds for some accounts but not this one has no
                // value here (LDAP stores no empty attribute, SCIM and Graph omit unset ones);
                // one it holds for none is not compared (see `finish`).
                let have = match self.slots.get(k).copied().flatten() {
                    Some(n) => cells.get(n).map_or(Cell::Null, |(_, c)| *c),
                    None => Cell::Null,
                };
                let want = a.column.get(i);
                if values::compare(want, have) == values::Compared::Different {
                    differ.push((k, attribute_change(a.name, want, have)));
                }
            }
            if !differ.is_empty() {
                self.differences.insert((i, row32), differ);
            }
        }
    }
}

impl TargetTap<'_> {
    /// The plan of the target, once its whole export has been read into `a` (whose accounts
    /// keep the attributes this tap asked for).
    pub(crate) fn finish(mut self, a: &TargetActual, out: &mut Plan) -> TargetPlan {
        let (name, state, target, desired, holds) =
            (self.name, self.state, self.target, self.desired, self.holds);
        let ids = &state.identities;
        let n = ids.len();
        let users = &a.users;
        for m in &self.matching_names {
            if users.attribute(m).is_none() && !users.is_empty() {
                out.issues.push(
                    DataIssue::new(
                        Code::PlanMatchingNotExported,
                        users.files.first().map_or("", String::as_str),
                        format!(
                            "the export of target `{name}` has no attribute `{m}`, a matching attribute: no account can be matched by it"
                        ),
                    )
                    .help("export the matching attributes (`$select` them, or add the column)"),
                );
            }
        }
        let found = self.matcher.found(&self.keys, n);
        let matching_names = &self.matching_names;
        let parent_dn_of = |r: usize| -> Option<String> {
            let dn = users.id(r);
            let (_, parent) = split_dn(dn)?;
            Some(parent.to_string())
        };
        let ldif = self.format == Format::Ldif;
        let manager_col = ids
            .attributes
            .iter()
            .find(|(a, _)| a == "manager")
            .map(|(_, c)| c);
        // The account of each linked identity, and who will be created.
        let linked_row = &found.linked;
        let created: HashSet<usize> = (0..n)
            .filter(|&i| {
                desired.holders.contains(i)
                    && found.unmatched.contains(&i)
                    && holds.reason(name, i).is_none()
            })
            .collect();
        // The manager's account in this target, as the target refers to it.
        let manager_at = manager_col
            .map(|m| super::positions(ids, m))
            .unwrap_or_default();
        let manager_ref = |i: usize| -> Option<Value> {
            let m = manager_col?;
            let Value::Str(key) = m.get(i) else {
                return None;
            };
            let j = manager_at.get(m.code(i) as usize).copied().flatten()?;
            if let Some(&r) = linked_row.get(&j) {
                return Some(Value::Str(users.id(r).to_string()));
            }
            if created.contains(&j) {
                return Some(Value::Str(format!(
                    "(account of `{key}`, created in this plan)"
                )));
            }
            None
        };
        let out_of_scope = target
            .out_of_scope
            .as_ref()
            .map_or(raw::OutOfScope::Disable, |o| o.value);
        let unmatched_accounts = target
            .unmatched_accounts
            .as_ref()
            .map_or(raw::UnmatchedAccounts::Leave, |u| u.value);
        let mut enabled_unknown = 0usize;
        let mut not_exported: BTreeMap<String, usize> = BTreeMap::new();

        for d in &found.disputes {
            out.disputed.push(Dispute {
                target: name.to_string(),
                identities: d
                    .identities
                    .iter()
                    .filter_map(|&i| ids.key(i))
                    .map(str::to_string)
                    .collect(),
                accounts: d.rows.iter().map(|&r| users.id(r).to_string()).collect(),
                reason: d.reason.clone(),
            });
        }
        let change = |action: Action, i: Option<usize>, r: Option<usize>, reason: String| {
            Change::new(
                name,
                action,
                i.and_then(|i| ids.key(i)).map(str::to_string),
                r.map(|r| users.id(r).to_string()),
                reason,
            )
        };
        // The export's attribute of each compared attribute that is compared at the end.
        let exported: Vec<Option<&crate::actual::Attribute>> = self
            .attrs
            .iter()
            .map(|a| {
                if a.compared_early() {
                    None
                } else {
                    users.attribute(a.name)
                }
            })
            .collect();
        for i in 0..n {
            let holder = desired.holders.contains(i);
            let row = linked_row.get(&i).copied();
            if found.disputed.contains(&i) {
                continue;
            }
            if let Some(reason) = holds.reason(name, i) {
                if holder || row.is_some() {
                    out.held.push(HeldEntry {
                        target: name.to_string(),
                        identity: ids.key(i).unwrap_or_default().to_string(),
                        account: row.map(|r| users.id(r).to_string()),
                        reason: reason.to_string(),
                    });
                }
                continue;
            }
            let lifecycle = ids.lifecycle(i);
            match (holder, row) {
                (true, Some(r)) => {
                    let want_enabled = desired.enabled.contains(i);
                    match users.is_enabled(r) {
                        Some(false) if want_enabled => out.changes.push(change(
                            Action::Enable,
                            Some(i),
                            Some(r),
                            format!(
                                "lifecycle `{}`: the account should be enabled",
                                lifecycle.word()
                            ),
                        )),
                        Some(true) if !want_enabled => out.changes.push(change(
                            Action::Disable,
                            Some(i),
                            Some(r),
                            format!(
                                "lifecycle `{}`: the account should be disabled",
                                lifecycle.word()
                            ),
                        )),
                        // Unknown: nothing can be planned; worth a warning only when the
                        // account should be disabled.
                        None if !want_enabled => enabled_unknown += 1,
                        _ => {}
                    }
                    let mut early = u32::try_from(i)
                        .ok()
                        .zip(u32::try_from(r).ok())
                        .and_then(|key| self.differences.remove(&key))
                        .unwrap_or_default()
                        .into_iter()
                        .peekable();
                    let mut attrs = Vec::new();
                    let mut mv = None;
                    for (k, (a, exported)) in self.attrs.iter().zip(&exported).enumerate() {
                        if a.absent.is_some_and(|b| b.contains(i)) {
                            continue;
                        }
                        if a.parent {
                            if a.on_create {
                                continue;
                            }
                            if let (Value::Str(want), Some(have)) =
                                (a.column.get(i), parent_dn_of(r))
                                && !want.is_empty()
                                && crate::actual::canonical_dn(want)
                                    != crate::actual::canonical_dn(&have)
                            {
                                mv = Some((have, want.clone()));
                            }
                            continue;
                        }
                        if a.on_create {
                            continue;
                        }
                        if !a.manager {
                            if !a.exported {
                                // Not exported at all: unknown, nothing planned.
                                *not_exported.entry(a.name.to_string()).or_default() += 1;
                            } else if early.peek().is_some_and(|(x, _)| *x == k)
                                && let Some((_, c)) = early.next()
                            {
                                // Looked at in place first: `next_if` would move the change
                                // out and back for every attribute it is not about.
                                attrs.push(c);
                            }
                            continue;
                        }
                        let want = match manager_ref(i) {
                            Some(v) => v,
                            // The manager has no account here: the reference cannot be
                            // resolved, and is left as it is.
                            None if !a.column.get(i).is_null() => continue,
                            None => Value::Null,
                        };
                        if !a.exported {
                            *not_exported.entry(a.name.to_string()).or_default() += 1;
                            continue;
                        }
                        let have = match exported.map(|x| x.cell(r)) {
                            Some(Cell::Absent) | None => Cell::Null,
                            Some(c) => c,
                        };
                        let compared = match (ldif, &want, have) {
                            (true, Value::Str(w), Cell::Value(Value::Str(h))) => same_dn(w, h),
                            (true, Value::Str(w), Cell::Text(h)) => same_dn(w, h),
                            _ => values::compare(&want, have),
                        };
                        if compared == values::Compared::Different {
                            attrs.push(attribute_change(a.name, &want, have));
                        }
                    }
                    if let Some((from, to)) = mv {
                        let mut c = change(
                            Action::Move,
                            Some(i),
                            Some(r),
                            "the entry's parent changes".to_string(),
                        );
                        c.from = Some(from);
                        c.to = Some(to);
                        out.changes.push(c);
                    }
                    if !attrs.is_empty() {
                        let mut c = change(
                            Action::Update,
                            Some(i),
                            Some(r),
                            format!("{} attribute(s) differ", attrs.len()),
                        );
                        c.attributes = attrs;
                        out.changes.push(c);
                    }
                }
                (true, None) => {
                    if found.unmatched.contains(&i) {
                        let mut c = change(
                            Action::Create,
                            Some(i),
                            None,
                            format!("no account matches by {}", list(matching_names)),
                        );
                        for (aname, column, absent) in &desired.attributes {
                            if absent.as_ref().is_some_and(|b| b.contains(i)) {
                                continue;
                            }
                            let want = if is_manager_reference(aname) {
                                manager_ref(i).unwrap_or(Value::Null)
                            } else {
                                column.get(i).clone()
                            };
                            if values::empty(&want) {
                                continue;
                            }
                            c.attributes
                                .push(attribute_change(aname, &want, Cell::Null));
                        }
                        if !desired.enabled.contains(i) {
                            c.reason.push_str("; created disabled");
                        }
                        out.changes.push(c);
                    } else {
                        out.held.push(HeldEntry {
                            target: name.to_string(),
                            identity: ids.key(i).unwrap_or_default().to_string(),
                            account: None,
                            reason: format!(
                                "{NO_MATCHING_VALUE} ({}): Entra skips the object",
                                list(matching_names)
                            ),
                        });
                    }
                }
                (false, Some(r)) => {
                    // A person the systems of record know, whose account is not desired.
                    let (action, why) = if lifecycle == Lifecycle::Deleted {
                        match out_of_scope {
                            raw::OutOfScope::Leave => (None, "the retention after leaving is over; the target leaves accounts as they are (`out_of_scope: leave`)".to_string()),
                            _ => (Some(Action::Delete), "the retention after leaving is over".to_string()),
                        }
                    } else {
                        let why = format!(
                            "lifecycle `{}`, not in the target's scope",
                            lifecycle.word()
                        );
                        match out_of_scope {
                            raw::OutOfScope::Leave => (
                                None,
                                format!(
                                    "{why}; the target leaves such accounts (`out_of_scope: leave`)"
                                ),
                            ),
                            raw::OutOfScope::Delete => (Some(Action::Delete), why),
                            raw::OutOfScope::Disable => match users.is_enabled(r) {
                                Some(true) => (Some(Action::Disable), why),
                                Some(false) => (None, format!("{why}; already disabled")),
                                None => {
                                    enabled_unknown += 1;
                                    (
                                        None,
                                        format!(
                                            "{why}; the export does not say whether it is enabled, so no disable is planned"
                                        ),
                                    )
                                }
                            },
                        }
                    };
                    if let Some(act) = action {
                        out.changes.push(change(act, Some(i), Some(r), why.clone()));
                    }
                    out.orphans.push(Orphan {
                        target: name.to_string(),
                        account: users.id(r).to_string(),
                        identity: ids.key(i).map(str::to_string),
                        action,
                        reason: why,
                    });
                }
                (false, None) => {}
            }
        }
        // Accounts that match nobody the systems of record know.
        for r in 0..users.len() {
            if found.claimed.contains(&r) {
                continue;
            }
            let (action, why) = match unmatched_accounts {
                raw::UnmatchedAccounts::Leave => (None, "matches no person the systems of record know; left as it is (`unmatched_accounts: leave`)".to_string()),
                raw::UnmatchedAccounts::Delete => (Some(Action::Delete), "matches no person the systems of record know (`unmatched_accounts: delete`)".to_string()),
                raw::UnmatchedAccounts::Disable => match users.is_enabled(r) {
                    Some(true) => (Some(Action::Disable), "matches no person the systems of record know (`unmatched_accounts: disable`)".to_string()),
                    Some(false) => (None, "matches no person the systems of record know; already disabled".to_string()),
                    None => (None, "matches no person the systems of record know; the export does not say whether it is enabled, so no disable is planned".to_string()),
                },
            };
            if let Some(act) = action {
                out.changes.push(change(act, None, Some(r), why.clone()));
            }
            out.orphans.push(Orphan {
                target: name.to_string(),
                account: users.id(r).to_string(),
                identity: None,
                action,
                reason: why,
            });
        }
        let file = users.files.first().cloned().unwrap_or_default();
        if enabled_unknown > 0 {
            out.issues.push(
                DataIssue::new(
                    Code::PlanEnabledUnknown,
                    &file,
                    format!(
                        "the export of target `{name}` does not say whether {enabled_unknown} matched account(s) are enabled: no enable or disable is planned for them"
                    ),
                )
                .help("export the enabled state (Graph `accountEnabled`, SCIM `active`, AD `userAccountControl`, or name the CSV column in `actual.enabled`)"),
            );
        }
        for (attr, count) in &not_exported {
            out.issues.push(
                DataIssue::new(
                    Code::PlanAttributeNotExported,
                    &file,
                    format!(
                        "the export of target `{name}` does not hold `{attr}` for {count} matched account(s): it is not compared, and no update of it is planned"
                    ),
                )
                .field(attr.clone())
                .help("export the attribute (`$select` it in Graph, request it in `ldapsearch`)"),
            );
        }
        members::plan_memberships(state, desired, a, &found, holds, &created, out);
        TargetPlan {
            name: name.to_string(),
            format: users.format.name().to_string(),
            accounts: users.len(),
            managed: found.linked.len()
                + found.disputes.iter().map(|d| d.rows.len()).sum::<usize>(),
            destructive: 0,
            threshold: 0,
            fingerprint: String::new(),
            refused: false,
            approved_by: None,
        }
    }
}

/// Two DNs that name the same entry.
fn same_dn(a: &str, b: &str) -> values::Compared {
    if crate::actual::canonical_dn(a) == crate::actual::canonical_dn(b) {
        values::Compared::Same
    } else {
        values::Compared::Different
    }
}

/// Attribute names as a message lists them.
fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|m| format!("`{m}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
