//! `roster plan`: what must change in each target so that it holds the desired state.
//!
//! The plan compares the desired state ([`crate::eval`]) with what each target actually holds
//! ([`crate::actual`], read as the target's `actual:` setting declares), account by account and
//! attribute by attribute:
//!
//! | stage | input | output |
//! |---|---|---|
//! | read ([`read`]) | the targets' `actual:` settings | [`TargetActual`] per target (a users export keeps only what planning needs) |
//! | match and compare (`target`, [`matching`]), while the users export is read | desired matching values and attributes, each account as it is parsed | (identity, attribute, account) pairs, each pair's differing attributes |
//! | decide (`target`) | the pairs, desired accounts | a situation per identity and account (linked, unmatched, disputed, orphaned); [`Change`]s, held identities, orphans |
//! | memberships ([`members`]) | desired groups and packages, actual groups and assignments | membership and assignment changes |
//! | safety ([`safety`]) | destructive changes per target | refusals over the deletion threshold, unless approved |
//! | order (here) | changes | the order they could be applied in |
//!
//! Fail closed: an identity whose lifecycle is unknown, whose account or membership could not
//! be decided, or whose data has an error gets no change at all (it is *held*, with the
//! reason); an export that does not say something (an attribute not exported, whether an
//! account is enabled, a group's members) plans nothing about it; a target whose export could
//! not be read completely is not planned.

pub mod apply;
pub mod export;
pub mod matching;
pub mod members;
pub(crate) mod previous;
pub mod read;
pub mod render;
pub mod safety;
mod target;
mod unrecorded;
pub mod values;

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Serialize;

use crate::actual::{Cell, Format};
use crate::codes::Code;
use crate::column::Column;
use crate::diagnostics::Severity;
use crate::eval::{DesiredState, Lifecycle};
use crate::ingest::DataIssue;
use crate::policy::Policy;
use crate::policy::graph::NodeId;
use crate::policy::load::Loaded;
use crate::policy::raw;
use crate::value::Value;

pub use read::{Locations, TargetActual};

/// The version of the JSON plan document.
pub const FORMAT_VERSION: &str = "1";

/// Entra Connect's default: a run that deletes or disables more than 500 accounts in one
/// target stops, unless the target sets its own threshold.
pub const DEFAULT_DELETION_THRESHOLD: u32 = 500;

/// What a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Create the account with every mapped attribute.
    Create,
    /// Enable an existing account.
    Enable,
    /// Move an LDAP or Active Directory entry to another parent.
    Move,
    /// Update attributes.
    Update,
    /// Assign an access package.
    PackageAdd,
    /// Add to a group.
    MemberAdd,
    /// Remove from a group.
    MemberRemove,
    /// Remove an access-package assignment.
    PackageRemove,
    /// Disable the account.
    Disable,
    /// Delete the account.
    Delete,
}

impl Action {
    /// The name, as reports write it.
    pub fn word(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Enable => "enable",
            Action::Move => "move",
            Action::Update => "update",
            Action::PackageAdd => "package_add",
            Action::MemberAdd => "member_add",
            Action::MemberRemove => "member_remove",
            Action::PackageRemove => "package_remove",
            Action::Disable => "disable",
            Action::Delete => "delete",
        }
    }

    /// Whether the change takes something away (reported first, counted by the safety rail
    /// when it is a disable or a delete).
    pub fn destructive(self) -> bool {
        matches!(
            self,
            Action::Disable | Action::Delete | Action::MemberRemove | Action::PackageRemove
        )
    }
}

/// The lifecycle picture of an identity's changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// Arriving: accounts created or enabled for the first time.
    Joiner,
    /// Changing: attributes, placement, access.
    Mover,
    /// Leaving: accounts disabled or deleted.
    Leaver,
    /// Returning: a disabled account of an earlier employment enabled again.
    Rehire,
    /// Removed by an access review: a membership or an assignment a review's decision (or
    /// its default decision) took away (only that change; the identity's others keep their
    /// label).
    Review,
}

/// One attribute of an update or a create.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AttributeChange {
    /// The target attribute.
    pub name: String,
    /// What the target holds (null for a create, or where it holds nothing).
    pub before: serde_json::Value,
    /// What it will hold.
    pub after: serde_json::Value,
    /// For a multi-valued attribute: the values added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<String>,
    /// For a multi-valued attribute: the values removed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
}

/// One change to one account.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Change {
    /// The target.
    pub target: String,
    /// What is done.
    pub action: Action,
    /// The identity's key; null for an account that matches nobody.
    pub identity: Option<String>,
    /// The actual account's identifier (Graph `id`, LDAP DN, SCIM `id`, CSV key); null for a
    /// create, and for a membership of an account created in this plan.
    pub account: Option<String>,
    /// The lifecycle picture: joiner, mover, leaver or rehire (null for an account that
    /// matches nobody).
    pub lifecycle: Option<Label>,
    /// The attributes set (create) or changed (update).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeChange>,
    /// The group of a membership change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The access package of an assignment change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_package: Option<String>,
    /// A move's present parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// A move's new parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Why, in words.
    pub reason: String,
}

impl Change {
    /// A change of `action` in `target` to `identity`'s `account` (either may be absent),
    /// without attributes, group, package or move.
    pub fn new(
        target: &str,
        action: Action,
        identity: Option<String>,
        account: Option<String>,
        reason: String,
    ) -> Change {
        Change {
            target: target.to_string(),
            action,
            identity,
            account,
            lifecycle: None,
            attributes: Vec::new(),
            group: None,
            access_package: None,
            from: None,
            to: None,
            reason,
        }
    }
}

/// An identity, in one target, that gets no change: why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct HeldEntry {
    /// The target.
    pub target: String,
    /// The identity.
    pub identity: String,
    /// Its matched account, if any.
    pub account: Option<String>,
    /// Why nothing is changed.
    pub reason: String,
}

/// A match that is not one to one: no change for anyone involved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Dispute {
    /// The target.
    pub target: String,
    /// The identities involved.
    pub identities: Vec<String>,
    /// The accounts involved.
    pub accounts: Vec<String>,
    /// What is ambiguous.
    pub reason: String,
}

/// An actual account that no identity desires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Orphan {
    /// The target.
    pub target: String,
    /// The account.
    pub account: String,
    /// The person it matches, when the systems of record know one (a former employee, someone
    /// out of scope); null when it matches nobody.
    pub identity: Option<String>,
    /// What the plan does with it: `disable`, `delete`, or null (left as it is).
    pub action: Option<Action>,
    /// Why.
    pub reason: String,
}

/// The counts of a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Summary {
    /// Accounts created.
    pub create: usize,
    /// Accounts updated.
    pub update: usize,
    /// Accounts enabled.
    pub enable: usize,
    /// Accounts disabled.
    pub disable: usize,
    /// Accounts deleted.
    pub delete: usize,
    /// Entries moved.
    #[serde(rename = "move")]
    pub moves: usize,
    /// Accounts no identity desires.
    pub orphan: usize,
    /// Ambiguous matches.
    pub disputed: usize,
    /// Identities held in a target.
    pub held: usize,
    /// Identities with no value for any matching attribute (Entra skips them).
    pub skipped: usize,
    /// Group memberships added.
    pub member_add: usize,
    /// Group memberships removed.
    pub member_remove: usize,
    /// Access-package assignments added.
    pub package_add: usize,
    /// Access-package assignments removed.
    pub package_remove: usize,
}

impl Summary {
    /// Whether the plan changes nothing.
    pub fn no_changes(&self) -> bool {
        self.create
            + self.update
            + self.enable
            + self.disable
            + self.delete
            + self.moves
            + self.member_add
            + self.member_remove
            + self.package_add
            + self.package_remove
            == 0
    }
}

/// One target's part of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TargetPlan {
    /// The target.
    pub name: String,
    /// The export format read.
    pub format: String,
    /// Actual accounts read.
    pub accounts: usize,
    /// Accounts matched to a person the systems of record know.
    pub managed: usize,
    /// Disables and deletes planned.
    pub destructive: usize,
    /// The most disables and deletes allowed in one run.
    pub threshold: usize,
    /// The fingerprint of the disables and deletes (`sha256:…`), which an approval names.
    pub fingerprint: String,
    /// Whether the destructive changes are over the threshold and not approved: the plan is
    /// refused.
    pub refused: bool,
    /// The approval that allows them, when one does.
    pub approved_by: Option<String>,
}

/// The plan.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Plan {
    /// The version of this document's format.
    pub format_version: String,
    /// The as-of date.
    pub as_of: String,
    /// The counts.
    pub summary: Summary,
    /// Per target: counts, threshold and refusal.
    pub targets: Vec<TargetPlan>,
    /// Every change, in the order it could be applied: creates, enables, moves, updates,
    /// assignments and memberships added, then removed, disables, deletes last.
    pub changes: Vec<Change>,
    /// Identities that get no change in a target, with why.
    pub held: Vec<HeldEntry>,
    /// Ambiguous matches.
    pub disputed: Vec<Dispute>,
    /// Accounts no identity desires.
    pub orphans: Vec<Orphan>,
    /// Problems with the data and the exports: `code`, `severity`, `file`, `row`, `field`,
    /// `message`, `help`.
    #[schemars(with = "Vec<serde_json::Value>")]
    pub issues: Vec<DataIssue>,
    /// The lifecycle workflow runs due on the as-of date, one per identity and workflow, in
    /// key order, with their tasks in execution order and the e-mails they send (absent when
    /// none): what the workflows do that the plan's changes do not show.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tasks_due: Vec<crate::governance::Event>,
    /// The directory target whose actual state served as the previous state of change
    /// triggers (`previous.rs`), when one did (not in the document: `--previous` or this).
    #[serde(skip)]
    #[schemars(skip)]
    pub previous_from: Option<String>,
    /// The directory target whose access-package assignments export gave the auto-assignment
    /// grace periods (`previous.rs`), when one did (not in the document).
    #[serde(skip)]
    #[schemars(skip)]
    pub grace_from: Option<String>,
    /// How many of [`Plan::tasks_due`] are change-triggered runs compared with the directory's
    /// actual state: due in every plan until the plan that updates the directory is applied
    /// (the human and Markdown reports say so; not in the document).
    #[serde(skip)]
    #[schemars(skip)]
    pub due_until_applied: usize,
}

impl Plan {
    /// Whether a target refused its destructive changes.
    pub fn refused(&self) -> bool {
        self.targets.iter().any(|t| t.refused)
    }

    /// Whether there are errors (a refusal, an export that could not be read, bad data).
    pub fn has_errors(&self) -> bool {
        self.refused() || self.issues.iter().any(|i| i.severity == Severity::Error)
    }
}

/// The part of a plan about one person: `explain ID --actual`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PersonPlan {
    /// The identity key.
    pub identity: String,
    /// Its changes, in apply order.
    pub changes: Vec<Change>,
    /// Targets where it gets no change, with why.
    pub held: Vec<HeldEntry>,
    /// Ambiguous matches it is part of.
    pub disputed: Vec<Dispute>,
    /// Its accounts that are no longer desired.
    pub orphans: Vec<Orphan>,
    /// Whether the plan as a whole is refused (a target over its deletion threshold).
    pub plan_refused: bool,
}

impl PersonPlan {
    /// What `plan` does for the identity `key`.
    pub fn of(plan: &Plan, key: &str) -> PersonPlan {
        let mine = |i: &Option<String>| i.as_deref() == Some(key);
        PersonPlan {
            identity: key.to_string(),
            changes: plan
                .changes
                .iter()
                .filter(|c| mine(&c.identity))
                .cloned()
                .collect(),
            held: plan
                .held
                .iter()
                .filter(|h| h.identity == key)
                .cloned()
                .collect(),
            disputed: plan
                .disputed
                .iter()
                .filter(|d| d.identities.iter().any(|i| i == key))
                .cloned()
                .collect(),
            orphans: plan
                .orphans
                .iter()
                .filter(|o| mine(&o.identity))
                .cloned()
                .collect(),
            plan_refused: plan.refused(),
        }
    }
}

/// Plan settings.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The as-of date (approvals expire against it).
    pub as_of: NaiveDate,
}

/// Why an identity gets no change in one target, if it does not.
pub(crate) struct Holds {
    /// Identity → reason, for every target.
    everywhere: HashMap<usize, String>,
    /// Target → identity → reason.
    per_target: HashMap<String, HashMap<usize, String>>,
}

impl Holds {
    pub(crate) fn new(state: &DesiredState) -> Holds {
        let ids = &state.identities;
        let mut everywhere = HashMap::new();
        let mut per_target: HashMap<String, HashMap<usize, String>> = HashMap::new();
        for i in 0..ids.len() {
            if ids.lifecycle(i) == Lifecycle::Unknown {
                everywhere.insert(
                    i,
                    "its lifecycle cannot be determined (E120): accounts are held as they are"
                        .to_string(),
                );
            } else if ids.ignored.contains(i) {
                everywhere.insert(
                    i,
                    "a mapping returned `IgnoreObjectFlow`: the identity is skipped".to_string(),
                );
            }
        }
        for (i, u) in &ids.undetermined {
            if let Some(t) = u.of.strip_prefix("account:") {
                per_target
                    .entry(t.to_string())
                    .or_default()
                    .entry(*i)
                    .or_insert_with(|| format!("its account is undetermined: {}", u.reason));
            }
        }
        // Errors in the identity's own data: located by file and row.
        let errors: Vec<&DataIssue> = state
            .issues
            .iter()
            .filter(|d| d.severity == Severity::Error && d.row.is_some())
            .collect();
        if !errors.is_empty() {
            let mut at: HashMap<(&str, usize), usize> = HashMap::new();
            let datasets = ids.datasets();
            for (i, p) in ids.people.iter().enumerate() {
                for (d, r) in &p.records {
                    if let Some(data) = datasets.get(*d)
                        && *r < data.len()
                    {
                        at.insert((data.file.as_str(), data.row(*r)), i);
                    }
                }
            }
            let targets: Vec<&str> = ids.targets.iter().map(|t| t.name.as_str()).collect();
            for e in errors {
                let Some(&i) = e.row.and_then(|r| at.get(&(e.file.as_str(), r))) else {
                    continue;
                };
                let reason = format!(
                    "its data has an error ({}{}): nothing is changed until it is fixed",
                    e.code.as_str(),
                    e.field
                        .as_ref()
                        .map_or_else(String::new, |f| format!(" in `{f}`"))
                );
                // An error in one target's attribute holds that target only.
                let only = e.field.as_deref().and_then(|f| {
                    targets
                        .iter()
                        .find(|t| f.strip_prefix(**t).is_some_and(|r| r.starts_with('.')))
                });
                match only {
                    Some(t) => {
                        per_target
                            .entry(t.to_string())
                            .or_default()
                            .entry(i)
                            .or_insert(reason);
                    }
                    None => {
                        everywhere.entry(i).or_insert(reason);
                    }
                }
            }
        }
        Holds {
            everywhere,
            per_target,
        }
    }

    pub(crate) fn reason(&self, target: &str, i: usize) -> Option<&str> {
        self.everywhere
            .get(&i)
            .or_else(|| self.per_target.get(target)?.get(&i))
            .map(String::as_str)
    }
}

/// Evaluates the desired state, reads every target's export and plans: the whole of
/// `roster plan`. When the desired state cannot be computed (a source missing or empty), the
/// state is returned instead, with its issues: nothing is planned.
pub fn run(
    loaded: &Loaded,
    policy: &Policy,
    options: Options,
    locations: &Locations,
) -> Result<Plan, Box<DesiredState>> {
    run_with(
        loaded,
        policy,
        crate::eval::Options::at(options.as_of),
        locations,
    )
}

/// [`run`] with the evaluation's settings: a previous desired state (`plan --previous FILE`),
/// which change-triggered workflows and the auto-assignment grace period compare with, and
/// sign-in dates (`--sign-ins PATH`); the plan lists the workflow runs due on the as-of date
/// ([`Plan::tasks_due`]).
pub fn run_with(
    loaded: &Loaded,
    policy: &Policy,
    evaluation: crate::eval::Options,
    locations: &Locations,
) -> Result<Plan, Box<DesiredState>> {
    let options = Options {
        as_of: evaluation.as_of,
    };
    // Without a previous state, what change-triggered runs did is not known (`unrecorded`).
    let given = evaluation.previous.is_some();
    let stages = std::sync::Mutex::new(crate::eval::progress::Stages::new());
    // Without `--previous`, change triggers compare with the directory's actual state, read
    // while the evaluation runs and linked once the identity attributes are known. The plan
    // then plans the directory from that one read.
    let compared = previous::Compared::of(loaded);
    let mut previous_from = None;
    let mut grace_from = None;
    let mut read_before = None;
    // The directory's accounts are linked to identities once the identity attributes are
    // known: for change triggers and grace periods (without `--previous`), and for
    // `--sign-ins`, which matches the linked account's `id` first.
    let wanted = evaluation.previous.is_none() && !compared.is_empty();
    let sign_ins = evaluation.sign_ins.is_some();
    let state = if (wanted || sign_ins) && previous::directory(loaded).is_some() {
        // The export is read while the evaluation runs (it needs no identity); its accounts
        // are linked once the identity attributes are known.
        let compared = &compared;
        let previous_from = &mut previous_from;
        let grace_from = &mut grace_from;
        let read_before = &mut read_before;
        std::thread::scope(|scope| {
            let stages = &stages;
            let reading = scope.spawn(move || {
                let started = std::time::Instant::now();
                let read = previous::read(loaded, locations);
                if let Ok(mut s) = stages.lock() {
                    s.record("plan: directory read (overlapped)", started.elapsed());
                }
                read
            });
            crate::eval::evaluate_then(loaded, policy, evaluation, move |ids| {
                let read = match reading.join() {
                    Ok(read) => read,
                    Err(panic) => std::panic::resume_unwind(panic),
                };
                let found = read
                    .as_ref()
                    .and_then(|r| previous::from_actual(loaded, policy, r, compared, ids));
                *read_before = read;
                let Some(found) = found else {
                    return crate::eval::Found::default();
                };
                let directory = previous::directory(loaded).map(|(n, _)| n.to_string());
                if !wanted {
                    return crate::eval::Found {
                        previous: None,
                        accounts: found.accounts,
                    };
                }
                if found.grace {
                    grace_from.clone_from(&directory);
                }
                *previous_from = directory;
                crate::eval::Found {
                    previous: Some(std::sync::Arc::new(found.previous)),
                    accounts: found.accounts.filter(|_| sign_ins),
                }
            })
        })
    } else {
        crate::eval::evaluate(loaded, policy, evaluation)
    };
    if state.cannot_run() {
        return Err(Box::new(state));
    }
    if let Ok(mut s) = stages.lock() {
        s.lap("plan: evaluation");
    }
    // Each target is planned while its users export is read (see `target`): the plan holds
    // the desired state and one target's differences, never a whole export. What is decided
    // once a target is read (situations, actions, memberships) is decided on another thread,
    // in the targets' order, while the next target is read.
    let planner = Planner::new(loaded, policy, &state, options);
    let mut read_issues = Vec::new();
    let out = std::thread::scope(|scope| {
        let (tx, rx) =
            std::sync::mpsc::sync_channel::<(TargetActual, Option<target::TargetTap<'_>>)>(1);
        let planner = &planner;
        let stages = &stages;
        let deciding = scope.spawn(move || {
            let mut out = planner.empty();
            for (a, tap) in rx {
                let started = std::time::Instant::now();
                planner.target(&a, tap, &mut out);
                if let Ok(mut s) = stages.lock() {
                    s.record(
                        "plan: deciding, memberships (overlapped)",
                        started.elapsed(),
                    );
                }
            }
            out
        });
        read::read_each(
            loaded,
            locations,
            &mut read_issues,
            read_before,
            |name, format| {
                let tap = planner.tap(name, format);
                if let Ok(mut s) = stages.lock() {
                    s.lap("plan: matching values, index");
                }
                tap
            },
            |a, tap| {
                if let Ok(mut s) = stages.lock() {
                    s.lap("plan: reading and comparing");
                }
                // A closed channel means the deciding thread has stopped: its panic is
                // resumed below.
                let _ = tx.send((a, tap));
            },
        );
        drop(tx);
        let out = match deciding.join() {
            Ok(out) => out,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        if let Ok(mut s) = stages.lock() {
            s.lap("plan: deciding, after the last read");
        }
        out
    });
    let mut issues = state.issues.clone();
    issues.append(&mut read_issues);
    let mut plan = planner.finish(out, issues);
    if let Ok(mut s) = stages.lock() {
        s.lap("plan: ordering");
    }
    // Without a previous state, what change-triggered runs did is not known (`unrecorded`).
    if !given {
        unrecorded::hold(loaded, policy, &state, &mut plan);
        if let Ok(mut s) = stages.lock() {
            s.lap("plan: held for change-triggered runs");
        }
    }
    if let Ok(s) = stages.lock() {
        s.finish();
    }
    plan.tasks_due = state.workflow_runs_due();
    if previous_from.is_some() {
        let change = crate::governance::workflows::change_triggered(loaded);
        plan.due_until_applied = plan
            .tasks_due
            .iter()
            .filter(|e| {
                e.source
                    .strip_prefix("workflow:")
                    .is_some_and(|w| change.contains(w))
            })
            .count();
    }
    plan.previous_from = previous_from;
    plan.grace_from = grace_from;
    label_review_removals(&state, &mut plan.changes);

    Ok(plan)
}

/// Labels `review` the removals of memberships and assignments that an access review took
/// away (`docs/plan.md`): their origin, rather than the identity's lifecycle picture.
fn label_review_removals(state: &DesiredState, changes: &mut [Change]) {
    if state.removed_by_review.is_empty() {
        return;
    }
    for c in changes.iter_mut() {
        let what = match (c.action, &c.group, &c.access_package) {
            (Action::MemberRemove, Some(g), _) => format!("group:{g}"),
            (Action::PackageRemove, _, Some(p)) => format!("access_package:{p}"),
            _ => continue,
        };
        let Some(key) = c.identity.clone() else {
            continue;
        };
        if let Some(review) = state.removed_by_review.get(&(key, what)) {
            c.lifecycle = Some(Label::Review);
            c.reason = format!("removed by access review `{review}`: {}", c.reason);
        }
    }
}

/// Computes the plan of every target already read (whole): each export's accounts are handed
/// to the planning as reading them would have.
pub fn plan(
    loaded: &Loaded,
    policy: &Policy,
    state: &DesiredState,
    actual: &[TargetActual],
    issues: Vec<DataIssue>,
    options: Options,
) -> Plan {
    let planner = Planner::new(loaded, policy, state, options);
    let mut out = planner.empty();
    for a in actual {
        let mut tap = planner.tap(&a.target, a.users.format);
        if let Some(tap) = tap.as_mut() {
            crate::actual::replay(&a.users, tap);
        }
        planner.target(a, tap, &mut out);
    }
    let mut plan = planner.finish(out, issues);
    plan.tasks_due = state.workflow_runs_due();
    label_review_removals(state, &mut plan.changes);
    plan
}

/// Plans the targets one by one, in the order of their names.
struct Planner<'a> {
    loaded: &'a Loaded,
    policy: &'a Policy,
    state: &'a DesiredState,
    options: Options,
    holds: Holds,
    raw_targets: HashMap<&'a str, &'a raw::Target>,
    depth: Vec<u32>,
}

impl<'a> Planner<'a> {
    fn new(
        loaded: &'a Loaded,
        policy: &'a Policy,
        state: &'a DesiredState,
        options: Options,
    ) -> Planner<'a> {
        let raw_targets: HashMap<&str, &raw::Target> = loaded
            .files
            .iter()
            .flat_map(|f| f.policy.targets.iter())
            .map(|(n, t)| (n.value.as_str(), &t.value))
            .collect();
        Planner {
            loaded,
            policy,
            state,
            options,
            holds: Holds::new(state),
            raw_targets,
            depth: manager_depths(state),
        }
    }

    /// A plan with nothing in it yet.
    fn empty(&self) -> Plan {
        Plan {
            format_version: FORMAT_VERSION.to_string(),
            as_of: self.options.as_of.to_string(),
            summary: Summary::default(),
            targets: Vec::new(),
            changes: Vec::new(),
            held: Vec::new(),
            disputed: Vec::new(),
            orphans: Vec::new(),
            issues: Vec::new(),
            tasks_due: Vec::new(),
            previous_from: None,
            grace_from: None,
            due_until_applied: 0,
        }
    }

    /// The planning of target `name` as its users export (in `format`) is read; `None` for a
    /// target the policy does not declare or the desired state does not hold.
    fn tap<'p>(&'p self, name: &'p str, format: Format) -> Option<target::TargetTap<'p>> {
        let target = self.raw_targets.get(name)?;
        let desired = self
            .state
            .identities
            .targets
            .iter()
            .find(|t| t.name == name)?;
        Some(target::TargetTap::new(
            self.loaded,
            self.policy,
            self.state,
            &self.holds,
            name,
            target,
            desired,
            format,
        ))
    }

    /// Plans one target, read whole with `tap` (from [`Planner::tap`]) seeing its accounts.
    fn target(&self, a: &TargetActual, tap: Option<target::TargetTap<'_>>, out: &mut Plan) {
        let (loaded, state, options) = (self.loaded, self.state, self.options);
        let (Some(target), Some(tap)) = (self.raw_targets.get(a.target.as_str()), tap) else {
            return;
        };
        let Some(desired) = state.identities.targets.iter().find(|t| t.name == a.target) else {
            return;
        };
        let allow_empty = target
            .actual
            .as_ref()
            .and_then(|x| x.value.allow_empty.as_ref())
            .is_some_and(|b| b.value);
        if a.users.is_empty() && desired.holders.count_ones(..) > 0 && !allow_empty {
            out.issues.push(
                DataIssue::new(
                    Code::PlanTargetNotPlanned,
                    a.users.files.first().map_or("", String::as_str),
                    format!(
                        "target `{}` is not planned: its users export is empty while the desired state holds {} account(s) there",
                        a.target,
                        desired.holders.count_ones(..)
                    ),
                )
                .help("check the export; for a new target that holds nothing yet, set `actual.allow_empty: true`"),
            );
            return;
        }
        let mut tp = tap.finish(a, out);
        safety::check(loaded, &a.target, target, &mut tp, &out.changes, options);
        if tp.refused {
            let deletes = out
                .changes
                .iter()
                .filter(|c| c.target == a.target && c.action == Action::Delete)
                .count();
            let disables = tp.destructive - deletes;
            let mismatches =
                safety::approval_mismatches(loaded, &tp, deletes, disables, options.as_of);
            let sample: Vec<String> = out
                .changes
                .iter()
                .filter(|c| {
                    c.target == a.target && matches!(c.action, Action::Disable | Action::Delete)
                })
                .take(5)
                .map(|c| {
                    format!(
                        "{} `{}`",
                        c.action.word(),
                        c.account.as_deref().unwrap_or("")
                    )
                })
                .collect();
            out.issues.push(
                DataIssue::new(
                    Code::PlanRefused,
                    a.users.files.first().map_or("", String::as_str),
                    format!(
                        "target `{}`: {deletes} deletes and {disables} disables are over the threshold of {}: the plan is refused (first: {}){}",
                        a.target,
                        tp.threshold,
                        sample.join(", "),
                        if mismatches.is_empty() { String::new() } else { format!("; {}", mismatches.join("; ")) }
                    ),
                )
                .help(format!(
                    "if these changes are intended, add an approval: `approvals: {{NAME: {{target: {}, deletes: {deletes}, disables: {disables}, fingerprint: \"{}\", expires: YYYY-MM-DD}}}}`",
                    a.target, tp.fingerprint
                )),
            );
        }
        out.targets.push(tp);
    }

    /// The plan: `issues` (the evaluation's and the reading's) before the planning's, the
    /// changes labelled and ordered.
    fn finish(&self, mut out: Plan, mut issues: Vec<DataIssue>) -> Plan {
        let (state, depth) = (self.state, &self.depth);
        issues.append(&mut out.issues);
        out.issues = issues;
        label(state, &mut out.changes);
        order(&mut out.changes, depth, state);
        out.held
            .sort_by(|a, b| (&a.target, &a.identity).cmp(&(&b.target, &b.identity)));
        out.orphans
            .sort_by(|a, b| (&a.target, &a.account).cmp(&(&b.target, &b.account)));
        out.disputed.sort_by(|a, b| {
            (&a.target, &a.identities, &a.accounts).cmp(&(&b.target, &b.identities, &b.accounts))
        });
        out.summary = summarise(&out);
        out
    }
}

fn summarise(plan: &Plan) -> Summary {
    let mut s = Summary::default();
    for c in &plan.changes {
        match c.action {
            Action::Create => s.create += 1,
            Action::Update => s.update += 1,
            Action::Enable => s.enable += 1,
            Action::Disable => s.disable += 1,
            Action::Delete => s.delete += 1,
            Action::Move => s.moves += 1,
            Action::MemberAdd => s.member_add += 1,
            Action::MemberRemove => s.member_remove += 1,
            Action::PackageAdd => s.package_add += 1,
            Action::PackageRemove => s.package_remove += 1,
        }
    }
    s.orphan = plan.orphans.len();
    s.disputed = plan.disputed.len();
    s.skipped = plan
        .held
        .iter()
        .filter(|h| h.reason.starts_with(NO_MATCHING_VALUE))
        .count();
    s.held = plan.held.len() - s.skipped;
    s
}

pub(super) const NO_MATCHING_VALUE: &str = "no value for any matching attribute";

/// The identity each value of `column` (a key, such as a manager reference) names, by
/// dictionary code: each distinct key is looked up once, not once per row (a manager has many
/// reports, and a lookup is a binary search of a million keys).
pub(crate) fn positions(
    ids: &crate::eval::report::Identities,
    column: &Column,
) -> Vec<Option<usize>> {
    use rayon::prelude::*;
    column
        .dictionary()
        .par_iter()
        .map(|v| match v {
            Value::Str(key) => ids.position(key),
            _ => None,
        })
        .collect()
}

/// How deep each identity is in the manager chain (0: no manager among the identities), so
/// that managers are created before their reports.
fn manager_depths(state: &DesiredState) -> Vec<u32> {
    let ids = &state.identities;
    let n = ids.len();
    let Some((_, manager)) = ids.attributes.iter().find(|(a, _)| a == "manager") else {
        return vec![0; n];
    };
    let at = positions(ids, manager);
    let parent: Vec<Option<usize>> = (0..n)
        .map(|i| {
            at.get(manager.code(i) as usize)
                .copied()
                .flatten()
                .filter(|&j| j != i)
        })
        .collect();
    let mut depth = vec![u32::MAX; n];
    for start in 0..n {
        // Walk up until a known depth, at most 64 steps (a cycle stops there).
        let mut chain = Vec::new();
        let mut at = start;
        let mut base = 0;
        loop {
            if let Some(&d) = depth.get(at)
                && d != u32::MAX
            {
                base = d + 1;
                break;
            }
            chain.push(at);
            match parent.get(at).copied().flatten() {
                Some(p) if chain.len() < 64 && !chain.contains(&p) => at = p,
                _ => break,
            }
        }
        for (k, &i) in chain.iter().rev().enumerate() {
            if let Some(slot) = depth.get_mut(i) {
                *slot = base + k as u32;
            }
        }
    }
    depth
}

/// Labels each identity's changes with the lifecycle picture.
fn label(state: &DesiredState, changes: &mut [Change]) {
    let mut by_identity: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (k, c) in changes.iter().enumerate() {
        if let Some(id) = c.identity.as_deref() {
            by_identity.entry(id).or_default().push(k);
        }
    }
    let mut labels: Vec<(usize, Label)> = Vec::new();
    for (id, ks) in by_identity {
        let lifecycle = state
            .identities
            .position(id)
            .map_or(Lifecycle::Unknown, |i| state.identities.lifecycle(i));
        let has = |a: Action| {
            ks.iter()
                .any(|&k| changes.get(k).is_some_and(|c| c.action == a))
        };
        let l = match lifecycle {
            Lifecycle::Leaver | Lifecycle::Deleted
                if has(Action::Disable) || has(Action::Delete) =>
            {
                Label::Leaver
            }
            Lifecycle::Active if has(Action::Enable) && !has(Action::Create) => Label::Rehire,
            Lifecycle::Active | Lifecycle::PreHire
                if has(Action::Create) || has(Action::Enable) =>
            {
                Label::Joiner
            }
            _ => Label::Mover,
        };
        labels.extend(ks.into_iter().map(|k| (k, l)));
    }
    for (k, l) in labels {
        if let Some(c) = changes.get_mut(k) {
            c.lifecycle = Some(l);
        }
    }
}

/// Puts the changes in an order they could be applied in: by phase (creates first, deletes
/// last), managers before their reports, then target, identity and account.
fn order(changes: &mut [Change], depth: &[u32], state: &DesiredState) {
    let depth_of = |c: &Change| {
        c.identity
            .as_deref()
            .and_then(|k| state.identities.position(k))
            .and_then(|i| depth.get(i).copied())
            .unwrap_or(0)
    };
    changes.sort_by_cached_key(|c| {
        (
            c.action,
            depth_of(c),
            c.target.clone(),
            c.identity.clone(),
            c.account.clone(),
            c.group.clone(),
            c.access_package.clone(),
        )
    });
}

/// The desired values of a target attribute computed by its mapping, for the identities the
/// desired state does not hold an account for (the matching values of former employees and
/// people out of scope), or for everyone when `holders` is `None`. Rows of holders may be
/// NULL: their values are the desired state's. A mapping whose values depend on the other
/// rows (unique values, random strings) is computed for everyone, as the evaluation does.
pub(super) fn values_for_all(
    loaded: &Loaded,
    policy: &Policy,
    state: &DesiredState,
    target: &str,
    attribute: &str,
    now: chrono::NaiveDateTime,
    holders: Option<&crate::rule::sets::Bitset>,
) -> Option<Column> {
    let ids = &state.identities;
    mapped(
        loaded,
        policy,
        (&ids.attributes, ids.len()),
        target,
        attribute,
        now,
        holders,
    )
}

/// [`values_for_all`] over identity attribute columns (`attributes`, `n` identities).
pub(crate) fn mapped(
    loaded: &Loaded,
    policy: &Policy,
    (attributes, n): (&[(String, Column)], usize),
    target: &str,
    attribute: &str,
    now: chrono::NaiveDateTime,
    holders: Option<&crate::rule::sets::Bitset>,
) -> Option<Column> {
    let mapping = policy.mappings.get(&NodeId::TargetAttribute(
        target.to_string(),
        attribute.to_string(),
    ))?;
    let column_of = |name: &str| attributes.iter().find(|(a, _)| a == name).map(|(_, c)| c);
    let (how, inputs) = crate::eval::resolve(policy, mapping, |node| match node {
        NodeId::Attribute(a) => column_of(a),
        _ => None,
    });
    let env = crate::eval::columns::Env {
        now,
        default_domain: crate::eval::default_domain(loaded),
    };
    let others = match (&how, holders) {
        (crate::eval::columns::How::Expression(program), Some(holders))
            if !crate::eval::columns::is_sequential(program) =>
        {
            let mut others = holders.clone();
            others.grow(n);
            others.toggle_range(..n);
            Some(others)
        }
        _ => None,
    };
    let computed = crate::eval::columns::compute(
        &format!("{target}.{attribute}"),
        how,
        &inputs,
        mapping.default.as_deref(),
        n,
        others.as_ref(),
        env,
    );
    Some(computed.column)
}

/// Whether a target attribute holds a reference to the manager's account.
pub(super) fn is_manager_reference(name: &str) -> bool {
    name.eq_ignore_ascii_case("manager") || name.to_ascii_lowercase().ends_with(":manager")
}

/// The attribute an export says whether an account is enabled with, where it is one.
pub(super) fn enabled_flag(format: Format) -> Option<&'static str> {
    match format {
        Format::Scim => Some("active"),
        Format::Graph => Some("accountEnabled"),
        Format::Ldif => Some("userAccountControl"),
        Format::Csv => None,
    }
}

/// Splits a DN into its first RDN and its parent (at the first unescaped comma).
pub(super) fn split_dn(dn: &str) -> Option<(&str, &str)> {
    let mut escaped = false;
    for (k, c) in dn.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            ',' if !escaped => return Some((dn.get(..k)?, dn.get(k + 1..)?.trim_start())),
            _ => escaped = false,
        }
    }
    None
}

fn to_json(v: &Value) -> serde_json::Value {
    v.to_json()
}

pub(super) fn attribute_change(name: &str, want: &Value, have: Cell<'_>) -> AttributeChange {
    let mut slot = None;
    let have = have.as_value(&mut slot);
    let before = match have {
        Cell::Value(v) => to_json(v),
        _ => serde_json::Value::Null,
    };
    let (added, removed) = match (want, have) {
        (Value::List(w), Cell::Value(h)) => {
            let w = values::set_of(w);
            let h = match h {
                Value::List(items) => values::set_of(items),
                other => values::set_of(std::slice::from_ref(other)),
            };
            (
                w.iter().filter(|x| !h.contains(x)).cloned().collect(),
                h.iter().filter(|x| !w.contains(x)).cloned().collect(),
            )
        }
        _ => (Vec::new(), Vec::new()),
    };
    AttributeChange {
        name: name.to_string(),
        before,
        after: to_json(want),
        added,
        removed,
    }
}

#[cfg(test)]
mod tests;
