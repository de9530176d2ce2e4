//! Stage 5a of `eval`: the effects of every event up to the as-of date, folded into changes
//! that the access and accounts stages apply.
//!
//! Events are folded in report order ([`super::Event::sort_key`]), each event's effects in
//! their order, so a later event wins: a group added by a joiner workflow and removed by a
//! leaver workflow is not a member after the leave. The fold is fail closed:
//! - nothing is granted to an identity without an account on the as-of date, or whose
//!   lifecycle is unknown, or that is `IgnoreObjectFlow` (the access stage intersects every
//!   addition with the identities eligible for access);
//! - a removal takes back what was added and what a static list grants, but not what a
//!   dynamic rule or an auto-assignment rule grants: those follow their rule, as in Entra,
//!   where a dynamic group's members cannot be removed by hand.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{Detail, Effect, Event, Subject, View, Window};
use crate::rule::sets::Bitset;

/// What the events up to the as-of date change, by identity.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// Per group, by name: who was added and who was removed last.
    pub groups: BTreeMap<String, Change>,
    /// Per access package, by name: who was assigned and whose assignment was removed last.
    pub packages: BTreeMap<String, Change>,
    /// Per identity (by index; empty until the first account change): its last account
    /// change and the day of it. Dense: the hire of almost everyone enables an account.
    pub accounts: Vec<Option<(AccountChange, NaiveDate)>>,
    /// Who was last removed from every group (a later addition to a group wins for that
    /// group): one set, not a removal in each of thousands of groups.
    pub all_groups_removed: Bitset,
    /// Who was last removed from every access package, likewise.
    pub all_packages_removed: Bitset,
    /// The events of the as-of date itself, in full (tasks and e-mails), for the reports.
    pub due: Vec<Event>,
    /// The removals whose last change came from an access review: (identity,
    /// `group:NAME` or `access_package:NAME`), so that `plan` can label them by their origin.
    /// The value is the review's name.
    pub by_review: BTreeMap<(usize, String), String>,
    /// The effects of change-triggered runs still in force, by identity ([`super::carried`]).
    pub carried: super::carried::Ledger,
    /// Problems with the previous state's carried effects (a group the policy no longer has).
    pub carried_issues: Vec<crate::ingest::DataIssue>,
}

/// Additions and removals of one group or package.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// Added (and not removed since).
    pub added: Bitset,
    /// Removed (and not added since).
    pub removed: Bitset,
}

impl Change {
    fn new(n: usize) -> Change {
        Change {
            added: Bitset::with_capacity(n),
            removed: Bitset::with_capacity(n),
        }
    }

    fn add(&mut self, i: usize) {
        self.added.insert(i);
        self.removed.set(i, false);
    }

    fn remove(&mut self, i: usize) {
        self.removed.insert(i);
        self.added.set(i, false);
    }

    /// Applies the change to a set: `by_rule` are the members a rule grants, which a removal
    /// does not take back; additions only for `eligible` identities.
    pub fn apply(&self, set: &mut Bitset, by_rule: &Bitset, eligible: &Bitset) {
        let mut added = self.added.clone();
        added.intersect_with(eligible);
        set.union_with(&added);
        let mut removed = self.removed.clone();
        removed.difference_with(by_rule);
        set.difference_with(&removed);
    }
}

/// The last account change of an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    /// Enabled by a task.
    Enabled,
    /// Disabled by a task.
    Disabled,
    /// Deleted by a task.
    Deleted,
}

/// The most events whose identities are searched for by key one by one ([`Changes::apply`]).
const INDEXED_EVENTS: usize = 64;

impl Changes {
    /// Folds the effects of every event up to `view.as_of` (the view's groups and packages
    /// are not read: the fold runs before the access stage).
    pub fn fold(view: &View<'_>) -> Changes {
        let n = view.people.len();
        let mut changes = Changes::default();
        let mut history = super::collect(
            view,
            Window {
                from: NaiveDate::MIN,
                to: view.as_of,
            },
            Detail::Effects,
        );
        changes.carried = super::carried::Ledger::new(view);
        // The effects of change-triggered runs the previous state carries, each on the day of
        // its run after every other event of that day, each identity's in the order the
        // previous state lists them (the order they were folded in).
        let (mut carried, issues) = super::carried::events(view);
        changes.carried_issues = issues;
        if !carried.is_empty() {
            carried.sort_by_key(|e| e.date);
            history = merge_carried(history, carried);
        }
        changes.all_groups_removed = Bitset::with_capacity(n);
        changes.all_packages_removed = Bitset::with_capacity(n);
        changes.apply(view, &history);
        changes.due = super::collect(view, Window::day(view.as_of), Detail::Full)
            .into_iter()
            .filter(|e| matches!(e.subject, Subject::Identity(_) | Subject::Guest(_)))
            .collect();
        changes
    }

    /// Folds the effects of `events` (in report order) into these changes: a later event
    /// wins.
    pub fn apply(&mut self, view: &View<'_>, events: &[Event]) {
        let n = view.people.len();
        // Each event names its identity by key: for a history of many events, the keys are
        // looked up in a hash table built once rather than searched for one by one.
        let index: Option<std::collections::HashMap<&str, usize, foldhash::fast::FixedState>> =
            (events.len() > INDEXED_EVENTS).then(|| {
                view.people
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (p.key.as_str(), i))
                    .collect()
            });
        for event in events {
            let Subject::Identity(key) = &event.subject else {
                continue;
            };
            let found = match &index {
                Some(index) => index.get(key.as_str()).copied(),
                None => view.index_of(key),
            };
            let Some(i) = found else {
                continue;
            };
            let review = event.source.strip_prefix("review:");
            let carried = self.carried.carries(event).then(|| {
                (
                    event
                        .source
                        .strip_prefix("workflow:")
                        .unwrap_or(&event.source),
                    event.date,
                )
            });
            for effect in &event.effects {
                self.note_origin(i, effect, review);
                self.carried.note(i, effect, carried);
                match effect {
                    Effect::AddToGroup(g) => group(&mut self.groups, g, n).add(i),
                    Effect::RemoveFromGroup(g) => group(&mut self.groups, g, n).remove(i),
                    Effect::RemoveFromAllGroups => {
                        self.all_groups_removed.insert(i);
                        for c in self.groups.values_mut() {
                            c.added.set(i, false);
                        }
                    }
                    Effect::AssignPackage(p) => group(&mut self.packages, p, n).add(i),
                    Effect::RemovePackage(p) => group(&mut self.packages, p, n).remove(i),
                    Effect::RemoveAllPackages => {
                        self.all_packages_removed.insert(i);
                        for c in self.packages.values_mut() {
                            c.added.set(i, false);
                        }
                    }
                    Effect::EnableAccount => {
                        self.account(i, n, AccountChange::Enabled, event.date);
                    }
                    Effect::DisableAccount => {
                        self.account(i, n, AccountChange::Disabled, event.date);
                    }
                    Effect::DeleteUser => {
                        self.account(i, n, AccountChange::Deleted, event.date);
                    }
                }
            }
        }
    }

    /// Notes identity `i`'s account change on `date` (of `n` identities).
    fn account(&mut self, i: usize, n: usize, change: AccountChange, date: NaiveDate) {
        if self.accounts.len() < n {
            self.accounts.resize(n, None);
        }
        if let Some(slot) = self.accounts.get_mut(i) {
            *slot = Some((change, date));
        }
    }

    /// Keeps [`Changes::by_review`]: a review's removal is noted, a later change of the same
    /// membership (or of every group or package) forgets it.
    fn note_origin(&mut self, i: usize, effect: &Effect, review: Option<&str>) {
        match (effect, review) {
            (Effect::RemoveFromGroup(g), Some(r)) => {
                self.by_review
                    .insert((i, format!("group:{g}")), r.to_string());
            }
            (Effect::RemovePackage(p), Some(r)) => {
                self.by_review
                    .insert((i, format!("access_package:{p}")), r.to_string());
            }
            _ => self.forget_origin(i, effect),
        }
    }

    fn forget_origin(&mut self, i: usize, effect: &Effect) {
        // Most identities have no review removal: nothing to forget, nothing allocated.
        if self
            .by_review
            .range((i, String::new())..(i.saturating_add(1), String::new()))
            .next()
            .is_none()
        {
            return;
        }
        match effect {
            Effect::AddToGroup(g) | Effect::RemoveFromGroup(g) => {
                self.by_review.remove(&(i, format!("group:{g}")));
            }
            Effect::AssignPackage(p) | Effect::RemovePackage(p) => {
                self.by_review.remove(&(i, format!("access_package:{p}")));
            }
            Effect::RemoveFromAllGroups => self
                .by_review
                .retain(|(j, what), _| *j != i || !what.starts_with("group:")),
            Effect::RemoveAllPackages => self
                .by_review
                .retain(|(j, what), _| *j != i || !what.starts_with("access_package:")),
            Effect::EnableAccount | Effect::DisableAccount | Effect::DeleteUser => {}
        }
    }

    /// The change of group `name`, if any: its own additions and removals, and the removals
    /// from every group not followed by an addition to this one.
    pub fn group(&self, name: &str) -> Option<std::borrow::Cow<'_, Change>> {
        effective(self.groups.get(name), &self.all_groups_removed)
    }

    /// The change of access package `name`, if any (as [`Changes::group`]).
    pub fn package(&self, name: &str) -> Option<std::borrow::Cow<'_, Change>> {
        effective(self.packages.get(name), &self.all_packages_removed)
    }
}

/// The memberships and assignments events removed up to the as-of date (the last change of
/// each), whatever the day: what `plan` without a previous state needs to know that a removal
/// was decided by a dated event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Removals {
    /// Per group: who was removed from it.
    pub groups: BTreeMap<String, Bitset>,
    /// Per access package: whose assignment was removed.
    pub packages: BTreeMap<String, Bitset>,
    /// Who was removed from every group.
    pub all_groups: Bitset,
    /// Who had every assignment removed.
    pub all_packages: Bitset,
}

impl Removals {
    /// The removals of `changes`.
    pub fn of(changes: &Changes) -> Removals {
        let removed = |m: &BTreeMap<String, Change>| {
            m.iter()
                .filter(|(_, c)| !c.removed.is_clear())
                .map(|(n, c)| (n.clone(), c.removed.clone()))
                .collect()
        };
        Removals {
            groups: removed(&changes.groups),
            packages: removed(&changes.packages),
            all_groups: changes.all_groups_removed.clone(),
            all_packages: changes.all_packages_removed.clone(),
        }
    }

    /// Whether an event removed identity `i` from group `name`.
    pub fn group(&self, name: &str, i: usize) -> bool {
        self.all_groups.contains(i) || self.groups.get(name).is_some_and(|b| b.contains(i))
    }

    /// Whether an event removed identity `i`'s assignment of package `name`.
    pub fn package(&self, name: &str, i: usize) -> bool {
        self.all_packages.contains(i) || self.packages.get(name).is_some_and(|b| b.contains(i))
    }
}

/// `history` (in report order) with `carried` (by day) each after every event of its day.
fn merge_carried(history: Vec<Event>, carried: Vec<Event>) -> Vec<Event> {
    let mut out = Vec::with_capacity(history.len() + carried.len());
    let mut carried = carried.into_iter().peekable();
    for event in history {
        while let Some(c) = carried.next_if(|c| c.date < event.date) {
            out.push(c);
        }
        out.push(event);
    }
    out.extend(carried);
    out
}

/// A group's or package's change with the removals from all of them folded in.
fn effective<'a>(own: Option<&'a Change>, all: &Bitset) -> Option<std::borrow::Cow<'a, Change>> {
    if all.is_clear() {
        return own.map(std::borrow::Cow::Borrowed);
    }
    let mut change = own.cloned().unwrap_or_else(|| Change::new(all.len()));
    let mut removed = all.clone();
    removed.difference_with(&change.added);
    change.removed.union_with(&removed);
    Some(std::borrow::Cow::Owned(change))
}

fn group<'m>(map: &'m mut BTreeMap<String, Change>, name: &str, n: usize) -> &'m mut Change {
    map.entry(name.to_string())
        .or_insert_with(|| Change::new(n))
}

#[cfg(test)]
mod removal_tests {
    use super::*;

    /// A removal from every group holds for each group, except one the identity was added to
    /// since; without such a removal a group without changes has none.
    #[test]
    fn removal_from_all_groups_holds_until_an_addition() {
        let n = 4;
        let mut changes = Changes {
            all_groups_removed: Bitset::with_capacity(n),
            ..Changes::default()
        };
        assert!(changes.group("g").is_none());
        // Identity 1 removed from everything, then added to `g`.
        changes.all_groups_removed.insert(1);
        group(&mut changes.groups, "g", n).add(1);
        let g = changes.group("g").unwrap();
        assert!(g.added.contains(1) && !g.removed.contains(1));
        let h = changes.group("h").unwrap();
        assert!(h.removed.contains(1) && !h.removed.contains(0));
        // Applied: a static member of `h` goes, a rule's member stays.
        let mut set = Bitset::with_capacity(n);
        set.insert(1);
        set.insert(2);
        let mut by_rule = Bitset::with_capacity(n);
        by_rule.insert(2);
        let mut eligible = Bitset::with_capacity(n);
        eligible.insert_range(..);
        h.apply(&mut set, &by_rule, &eligible);
        assert_eq!(set.ones().collect::<Vec<_>>(), vec![2]);
    }
}
