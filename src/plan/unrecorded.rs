//! `plan` without `--previous`: changes a change-triggered run could have made, which nothing
//! records (`docs/plan.md`).
//!
//! The directory says who is a member, not why. A run triggered by a change (attribute
//! change, group membership) may have added a member, removed an assignment or disabled an
//! account on some past day; without the previous desired state (the report that carries such
//! effects, [`crate::governance::carried`]) nothing says whether it did. Where such a run
//! could have made the difference between the desired state and the directory, and nothing
//! dated or rule-based decides it, the plan neither takes the change back nor grants the
//! access again: it holds the change, listed with the reason and the remedy. Narrowly: only
//! enabled change-triggered workflows with effect tasks, only identities in the workflow's
//! scope today, only the groups and packages its tasks name (every one, for a removal of all),
//! and only where desired and actual differ (a planned change).
//!
//! - A removal of a membership or assignment such a run adds is held, unless the identity has
//!   no account (the lifecycle decides) or an event removed it (a leaver's removal, a review).
//! - An addition of one such a run removes is held, unless a rule gives it (a dynamic group,
//!   an auto-assignment) or an event of the as-of date adds it (a joiner's task, a record that
//!   starts that day).
//! - An enable of an account such a run disables or deletes is held, unless the as-of date is
//!   the hire date or a task of that day enables it. A disable is never held.

use std::collections::BTreeMap;

use super::{Action, Change, HeldEntry, Plan};
use crate::codes::Code;
use crate::eval::DesiredState;
use crate::governance::{Effect, EventKind, Subject};
use crate::ingest::DataIssue;
use crate::policy::Policy;
use crate::policy::load::Loaded;
use crate::rule::sets::Bitset;

/// Holds the changes of `plan` that a change-triggered run could have made (the plan is made
/// without a previous state), with a `D240` warning once when any is held.
pub(super) fn hold(loaded: &Loaded, policy: &Policy, state: &DesiredState, plan: &mut Plan) {
    if !crate::governance::carried::changes_access(loaded) {
        return;
    }
    let view = crate::governance::View::of(loaded, policy, state);
    let workflows = crate::governance::workflows::change_scopes(&view);
    if workflows.is_empty() {
        return;
    }
    let ids = &state.identities;
    let dynamic: std::collections::HashSet<&str> = loaded
        .files
        .iter()
        .flat_map(|f| f.policy.groups.iter())
        .filter(|(_, g)| g.value.rule.is_some())
        .map(|(n, _)| n.value.as_str())
        .collect();
    let mut due: std::collections::HashMap<&str, Vec<&crate::governance::Event>> =
        std::collections::HashMap::new();
    for e in &state.due {
        if let Subject::Identity(k) = &e.subject {
            due.entry(k.as_str()).or_default().push(e);
        }
    }
    let judge = Judge {
        state,
        due,
        workflows: &workflows,
        dynamic: &dynamic,
    };
    // (target, identity) → the account and the changes held, in plan order.
    let mut held: BTreeMap<(String, String), (Option<String>, Vec<String>)> = BTreeMap::new();
    let mut count = 0usize;
    let mut names: Vec<&str> = Vec::new();
    plan.changes.retain(|c| {
        let Some(i) = c.identity.as_deref().and_then(|k| ids.position(k)) else {
            return true;
        };
        let Some((workflow, what)) = judge.why(c, i) else {
            return true;
        };
        count += 1;
        if !names.contains(&workflow) {
            names.push(workflow);
        }
        let entry = held
            .entry((c.target.clone(), c.identity.clone().unwrap_or_default()))
            .or_insert_with(|| (c.account.clone(), Vec::new()));
        entry.1.push(what);
        false
    });
    if count == 0 {
        return;
    }
    for ((target, identity), (account, what)) in held {
        plan.held.push(HeldEntry {
            target,
            identity,
            account,
            reason: format!(
                "{}: a change-triggered workflow run could have made the difference, and without a previous state nothing records whether it did; give `--previous` the last applied eval report",
                what.join("; ")
            ),
        });
    }
    plan.held
        .sort_by(|a, b| (&a.target, &a.identity).cmp(&(&b.target, &b.identity)));
    plan.summary = super::summarise(plan);
    names.sort_unstable();
    let shown: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    let mut issue = DataIssue::new(
        Code::PlanHeldForChangeRuns,
        "",
        format!(
            "{count} change(s) held: workflows {} run on a change and could have made them, and no previous state says whether they did",
            shown.join(", ")
        ),
    )
    .help("give `--previous` the report `eval` wrote for the last plan applied: it carries what change-triggered runs did (`carried_effects`), and the held changes are then planned or dropped");
    if let Some(first) = names.first() {
        place(loaded, first, &mut issue);
    }
    plan.issues.push(issue);
}

/// Points `issue` at workflow `name`'s trigger.
fn place(loaded: &Loaded, name: &str, issue: &mut DataIssue) {
    for file in &loaded.files {
        for (n, wf) in &file.policy.workflows {
            if n.value == name {
                let at = crate::eval::locate::policy_place(loaded, file.id, wf.value.trigger.span);
                issue.file = at.file;
                issue.row = Some(at.line);
                issue.field = Some(format!("workflows.{name}.trigger"));
                return;
            }
        }
    }
}

struct Judge<'a> {
    state: &'a DesiredState,
    /// The events of the as-of date, by identity key.
    due: std::collections::HashMap<&'a str, Vec<&'a crate::governance::Event>>,
    workflows: &'a [(String, Bitset, Vec<Effect>)],
    dynamic: &'a std::collections::HashSet<&'a str>,
}

impl<'a> Judge<'a> {
    /// The workflow whose run could have made change `c` of identity `i` unnecessary, with
    /// what is held in words; `None`: the change is planned.
    fn why(&self, c: &Change, i: usize) -> Option<(&'a str, String)> {
        let ids = &self.state.identities;
        let has_account = ids.lifecycle(i).has_account() && !ids.ignored.contains(i);
        let removals = self.state.removed_by_events.as_deref();
        match (c.action, c.group.as_deref(), c.access_package.as_deref()) {
            (Action::MemberRemove, Some(g), _) => {
                let w = self.find(i, |e| matches!(e, Effect::AddToGroup(x) if x == g))?;
                if !has_account || removals.is_some_and(|r| r.group(g, i)) {
                    return None;
                }
                Some((
                    w,
                    format!("not removed from group `{g}`, which workflow `{w}` adds"),
                ))
            }
            (Action::PackageRemove, _, Some(p)) => {
                let w = self.find(i, |e| matches!(e, Effect::AssignPackage(x) if x == p))?;
                if !has_account || removals.is_some_and(|r| r.package(p, i)) {
                    return None;
                }
                Some((
                    w,
                    format!("`{p}` not removed, which workflow `{w}` assigns"),
                ))
            }
            (Action::MemberAdd, Some(g), _) => {
                let w = self.find(i, |e| {
                    matches!(e, Effect::RemoveFromGroup(x) if x == g)
                        || *e == Effect::RemoveFromAllGroups
                })?;
                if self.dynamic.contains(g)
                    || self.today(i, |e| matches!(e, Effect::AddToGroup(x) if x == g))
                {
                    return None;
                }
                Some((
                    w,
                    format!("not added to group `{g}`, which workflow `{w}` removes"),
                ))
            }
            (Action::PackageAdd, _, Some(p)) => {
                let w = self.find(i, |e| {
                    matches!(e, Effect::RemovePackage(x) if x == p)
                        || *e == Effect::RemoveAllPackages
                })?;
                let by_rule = ids
                    .package_origins
                    .get(&i)
                    .and_then(|o| o.get(p))
                    .is_none_or(|from| {
                        from.iter()
                            .any(|f| f == "auto_assignment" || f.starts_with("grace:"))
                    });
                if by_rule || self.today(i, |e| matches!(e, Effect::AssignPackage(x) if x == p)) {
                    return None;
                }
                Some((
                    w,
                    format!("`{p}` not assigned, which workflow `{w}` removes"),
                ))
            }
            (Action::Enable, _, _) => {
                let w = self.find(i, |e| {
                    matches!(e, Effect::DisableAccount | Effect::DeleteUser)
                })?;
                if self.hired_today(i) || self.today(i, |e| *e == Effect::EnableAccount) {
                    return None;
                }
                Some((
                    w,
                    format!("the account not enabled, which workflow `{w}` disables"),
                ))
            }
            _ => None,
        }
    }

    /// The first workflow (by name) with identity `i` in scope and an effect that `matches`.
    fn find(&self, i: usize, matches: impl Fn(&Effect) -> bool) -> Option<&'a str> {
        self.workflows
            .iter()
            .find(|(_, scope, effects)| scope.contains(i) && effects.iter().any(&matches))
            .map(|(name, _, _)| name.as_str())
    }

    /// Whether an event of the as-of date has an effect on identity `i` that `matches`.
    fn today(&self, i: usize, matches: impl Fn(&Effect) -> bool) -> bool {
        self.events(i)
            .iter()
            .any(|e| e.effects.iter().any(&matches))
    }

    /// Whether the as-of date is identity `i`'s hire date (the lifecycle enables that day).
    fn hired_today(&self, i: usize) -> bool {
        self.events(i).iter().any(|e| e.kind == EventKind::Hire)
    }

    /// The events of the as-of date about identity `i`.
    fn events(&self, i: usize) -> &[&'a crate::governance::Event] {
        self.state
            .identities
            .key(i)
            .and_then(|k| self.due.get(k))
            .map_or(&[], Vec::as_slice)
    }
}
