//! The effects of change-triggered workflow runs that last (`docs/workflows.md`).
//!
//! A time-based run is replayed from the policy every day: the fold finds it again in the
//! history up to the as-of date. A run triggered by a change (attribute change, group
//! membership) exists only on the day its trigger compares different with the previous
//! state; the day after, nothing in the policy or the data says it happened. So the report
//! carries what such runs did and what is still in force ([`CarriedEffect`], the
//! `carried_effects` of each identity), and the next evaluation, given that report as its
//! previous state, folds them in again as events ([`EventKind::Carried`]) on the day of their
//! run, after every other event of that day: history replayed before them cannot undo them,
//! and a later event (a leaver's removal of everything, a review's denial, another change
//! run) overrides them, after which they are no longer carried.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Effect, Event, EventKind, Subject, View};
use crate::codes::Code;
use crate::ingest::DataIssue;
use crate::policy::raw;

/// What a carried effect is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "CarriedWhat")]
pub enum What {
    /// One group (`name`).
    Group,
    /// One access package (`name`).
    Package,
    /// Every group the identity can be removed from (not dynamic groups).
    AllGroups,
    /// Every access-package assignment.
    AllPackages,
    /// The account.
    Account,
}

impl What {
    /// The word reports write.
    pub fn word(self) -> &'static str {
        match self {
            What::Group => "group",
            What::Package => "package",
            What::AllGroups => "all_groups",
            What::AllPackages => "all_packages",
            What::Account => "account",
        }
    }
}

/// What the run did to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "CarriedOutcome")]
pub enum Outcome {
    /// Added to the group, assigned the package.
    Added,
    /// Removed from the group (or every group), the package (or every package) removed.
    Removed,
    /// The account enabled.
    Enabled,
    /// The account disabled.
    Disabled,
    /// The user deleted.
    Deleted,
}

impl Outcome {
    /// The word reports write.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Added => "added",
            Outcome::Removed => "removed",
            Outcome::Enabled => "enabled",
            Outcome::Disabled => "disabled",
            Outcome::Deleted => "deleted",
        }
    }
}

/// One effect of a change-triggered workflow run still in force on the as-of date: the last
/// word on that group, package or account in the fold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CarriedEffect {
    /// What it is about: `group`, `package`, `all_groups`, `all_packages` or `account`.
    pub what: What,
    /// The group or package (only for `group` and `package`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the run did: `added` or `removed` (groups, packages), `enabled`, `disabled` or
    /// `deleted` (the account).
    pub effect: Outcome,
    /// The workflow whose run did it.
    pub workflow: String,
    /// The day of the run (UTC).
    #[schemars(with = "String")]
    pub date: NaiveDate,
}

impl CarriedEffect {
    /// The carried form of `effect`, done by a run of `workflow` on `date`.
    pub fn of(effect: &Effect, workflow: &str, date: NaiveDate) -> CarriedEffect {
        let (what, name, outcome) = match effect {
            Effect::AddToGroup(g) => (What::Group, Some(g.clone()), Outcome::Added),
            Effect::RemoveFromGroup(g) => (What::Group, Some(g.clone()), Outcome::Removed),
            Effect::RemoveFromAllGroups => (What::AllGroups, None, Outcome::Removed),
            Effect::AssignPackage(p) => (What::Package, Some(p.clone()), Outcome::Added),
            Effect::RemovePackage(p) => (What::Package, Some(p.clone()), Outcome::Removed),
            Effect::RemoveAllPackages => (What::AllPackages, None, Outcome::Removed),
            Effect::EnableAccount => (What::Account, None, Outcome::Enabled),
            Effect::DisableAccount => (What::Account, None, Outcome::Disabled),
            Effect::DeleteUser => (What::Account, None, Outcome::Deleted),
        };
        CarriedEffect {
            what,
            name,
            effect: outcome,
            workflow: workflow.to_string(),
            date,
        }
    }

    /// The effect it carries, if its parts fit together (a group with a name, added or
    /// removed; every group removed; the account enabled, disabled or deleted...).
    pub fn effect(&self) -> Option<Effect> {
        let name = self.name.clone();
        Some(match (self.what, self.effect, name) {
            (What::Group, Outcome::Added, Some(g)) => Effect::AddToGroup(g),
            (What::Group, Outcome::Removed, Some(g)) => Effect::RemoveFromGroup(g),
            (What::AllGroups, Outcome::Removed, None) => Effect::RemoveFromAllGroups,
            (What::Package, Outcome::Added, Some(p)) => Effect::AssignPackage(p),
            (What::Package, Outcome::Removed, Some(p)) => Effect::RemovePackage(p),
            (What::AllPackages, Outcome::Removed, None) => Effect::RemoveAllPackages,
            (What::Account, Outcome::Enabled, None) => Effect::EnableAccount,
            (What::Account, Outcome::Disabled, None) => Effect::DisableAccount,
            (What::Account, Outcome::Deleted, None) => Effect::DeleteUser,
            _ => return None,
        })
    }

    /// Whether a later `effect` (of any event) takes this one's place: the same group,
    /// package or account, or every group (package) over one group (package).
    fn overridden_by(&self, effect: &Effect) -> bool {
        let named = |n: &str| self.name.as_deref() == Some(n);
        match effect {
            Effect::AddToGroup(g) | Effect::RemoveFromGroup(g) => {
                self.what == What::Group && named(g)
            }
            Effect::RemoveFromAllGroups => matches!(self.what, What::Group | What::AllGroups),
            Effect::AssignPackage(p) | Effect::RemovePackage(p) => {
                self.what == What::Package && named(p)
            }
            Effect::RemoveAllPackages => matches!(self.what, What::Package | What::AllPackages),
            Effect::EnableAccount | Effect::DisableAccount | Effect::DeleteUser => {
                self.what == What::Account
            }
        }
    }
}

/// The form a previous state's `carried_effects` entry is read in: every field, nothing else
/// (an entry this version does not understand is refused, never guessed at).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCarried {
    what: String,
    #[serde(default)]
    name: Option<String>,
    effect: String,
    workflow: String,
    date: String,
}

impl RawCarried {
    /// The carried effect, or why it cannot be read.
    pub(crate) fn check(self) -> Result<CarriedEffect, String> {
        let what = match self.what.as_str() {
            "group" => What::Group,
            "package" => What::Package,
            "all_groups" => What::AllGroups,
            "all_packages" => What::AllPackages,
            "account" => What::Account,
            other => {
                return Err(format!(
                    "a carried effect is about `{other}`, which is not `group`, `package`, `all_groups`, `all_packages` or `account`"
                ));
            }
        };
        let effect = match self.effect.as_str() {
            "added" => Outcome::Added,
            "removed" => Outcome::Removed,
            "enabled" => Outcome::Enabled,
            "disabled" => Outcome::Disabled,
            "deleted" => Outcome::Deleted,
            other => {
                return Err(format!(
                    "a carried effect is `{other}`, which is not `added`, `removed`, `enabled`, `disabled` or `deleted`"
                ));
            }
        };
        if self.workflow.is_empty() {
            return Err("a carried effect names no `workflow`".into());
        }
        if self.name.as_deref() == Some("") {
            return Err("a carried effect has an empty `name`".into());
        }
        let date = NaiveDate::parse_from_str(&self.date, "%Y-%m-%d").map_err(|_| {
            format!(
                "a carried effect's `date` is `{}`, not a date `YYYY-MM-DD`",
                self.date
            )
        })?;
        let carried = CarriedEffect {
            what,
            name: self.name,
            effect,
            workflow: self.workflow,
            date,
        };
        if carried.effect().is_none() {
            return Err(format!(
                "a carried effect says `{}` `{}`{}, which does not fit together",
                carried.what.word(),
                carried.effect.word(),
                if carried.name.is_some() {
                    " with a `name`"
                } else {
                    " without a `name`"
                }
            ));
        }
        Ok(carried)
    }
}

/// The change-triggered runs' effects still in force, by identity, in the order they apply.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// The sources (`workflow:NAME`) of the workflows triggered by a change.
    sources: BTreeSet<String>,
    /// The as-of date: the only day change-triggered runs are due.
    as_of: NaiveDate,
    /// Per identity: its effects in force, in the order they were folded.
    pub by_identity: BTreeMap<usize, Vec<CarriedEffect>>,
}

impl Ledger {
    /// A ledger for the change-triggered workflows of the view's policy.
    pub fn new(view: &View<'_>) -> Ledger {
        let sources = super::workflows::change_triggered(view.loaded)
            .into_iter()
            .map(|name| format!("workflow:{name}"))
            .collect();
        Ledger {
            sources,
            as_of: view.as_of,
            by_identity: BTreeMap::new(),
        }
    }

    /// Whether `event`'s effects last by being carried: a carried event, or a run of a
    /// change-triggered workflow.
    pub fn carries(&self, event: &Event) -> bool {
        event.kind == EventKind::Carried
            || (event.kind == EventKind::WorkflowRun
                && event.date == self.as_of
                && self.sources.contains(&event.source))
    }

    /// Notes `effect` of an event for identity `i`, in fold order: it takes the place of the
    /// carried effects it overrides, and is carried itself when `carried` (the event's
    /// workflow and day).
    pub fn note(&mut self, i: usize, effect: &Effect, carried: Option<(&str, NaiveDate)>) {
        if carried.is_none() && self.by_identity.is_empty() {
            return;
        }
        if let Some(list) = self.by_identity.get_mut(&i) {
            list.retain(|c| !c.overridden_by(effect));
            if list.is_empty() && carried.is_none() {
                self.by_identity.remove(&i);
            }
        }
        if let Some((workflow, date)) = carried {
            self.by_identity
                .entry(i)
                .or_default()
                .push(CarriedEffect::of(effect, workflow, date));
        }
    }
}

/// Whether an enabled, scheduled change-triggered workflow has an enabled task that changes
/// access or the account.
pub fn changes_access(loaded: &crate::policy::load::Loaded) -> bool {
    loaded
        .files
        .iter()
        .flat_map(|f| f.policy.workflows.values())
        .any(|w| {
            let w = &w.value;
            matches!(
                w.trigger.value,
                raw::Trigger::AttributeChange(_) | raw::Trigger::GroupMembership(_)
            ) && w.enabled.as_ref().is_none_or(|e| e.value)
                && w.scheduled.as_ref().is_none_or(|s| s.value)
                && w.tasks.iter().any(|t| {
                    t.value.is_enabled()
                        && !matches!(
                            t.value.task,
                            raw::Task::SendEmail(_)
                                | raw::Task::GenerateTemporaryAccessPass(_)
                                | raw::Task::RevokeSessions
                                | raw::Task::CustomExtension(_)
                        )
                })
        })
}

/// The previous state's carried effects as events, one per effect, on the day of its run
/// ([`EventKind::Carried`]: after every other event of that day), for the identities of the
/// view; with a warning (`D239`) for each about a group or access package the policy no longer
/// has, which is dropped (it grants nothing; there is nothing to remove).
pub fn events(view: &View<'_>) -> (Vec<Event>, Vec<DataIssue>) {
    let mut out = Vec::new();
    let mut issues = Vec::new();
    let Some(previous) = view.previous else {
        return (out, issues);
    };
    if !previous.carries {
        return (out, issues);
    }
    for entry in &previous.entries {
        if entry.carried.is_empty() {
            continue;
        }
        if view.index_of(&entry.key).is_none() {
            continue;
        }
        for c in entry.carried.iter() {
            let Some(effect) = c.effect() else {
                continue;
            };
            let missing = match (&effect, c.name.as_deref()) {
                (Effect::AddToGroup(_) | Effect::RemoveFromGroup(_), Some(g)) => {
                    (!view.policy.groups.contains_key(g)).then_some(("group", g))
                }
                (Effect::AssignPackage(_) | Effect::RemovePackage(_), Some(p)) => {
                    (!view.policy.packages.contains_key(p)).then_some(("access package", p))
                }
                _ => None,
            };
            if let Some((kind, name)) = missing {
                let mut issue = DataIssue::new(
                    Code::CarriedUnknown,
                    &previous.file,
                    format!(
                        "identity `{}`: the previous state carries `{}` {kind} `{name}` by workflow `{}` on {}, but the policy has no such {kind}: dropped",
                        entry.key,
                        c.effect.word(),
                        c.workflow,
                        c.date
                    ),
                )
                .help(
                    "nothing is granted or removed for it; if the group or package was renamed, the run's effect does not follow the new name: grant it by a rule, a static member or an assignment record",
                );
                issue.row = (entry.line > 0).then_some(entry.line);
                issue.field = Some("carried_effects".into());
                issues.push(issue);
                continue;
            }
            out.push(Event {
                date: c.date,
                kind: EventKind::Carried,
                subject: Subject::Identity(entry.key.clone()),
                source: format!("workflow:{}", c.workflow),
                summary: String::new(),
                effects: vec![effect],
                tasks: Vec::new(),
                declared_at: None,
            });
        }
    }
    (out, issues)
}
