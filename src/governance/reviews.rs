//! Access reviews: the instances of each review's schedule, the decisions recorded in git for
//! each instance, and what the end of an instance does to the desired state.
//!
//! An instance covers the days `[start, start + duration_days)`: decisions are taken on those
//! days, reviewers who have not decided get a reminder on the midpoint day
//! (`start + duration_days / 2`, when the instance lasts two days or more), and the instance
//! ends on day `start + duration_days`, when its results are applied (only with
//! `auto_apply: true`).
//!
//! Instance `n` of a series starts `n` periods after the first start: weeks for `weekly`,
//! months for the others. Months are counted from the first start, not from the previous
//! instance, and a day that the month does not have becomes the month's last day: a monthly
//! review that starts on 31 January has instances on 28 (or 29) February, 31 March, 30 April.
//!
//! Who is reviewed, for the default decision and for the check that a decision's reviewee is
//! in scope, comes from the policy files alone: a static group's members that have an account
//! (the only members a denial can take back: a dynamic rule keeps its members, as in Entra).
//! The members `eval` computes are not used: they are the members after the events up to the
//! as-of date (a denied reviewee is gone), and the fold of `eval` runs before any group is
//! computed; reading the policy keeps `eval`, `explain` and the calendar in agreement. The
//! reviewees of a dynamic group, a package or a target are not known this way: there the
//! default decision changes nothing, so nobody loses access because membership was unknown.
//! A recorded decision names its reviewee, so a denial's effect never depends on that
//! computation; it takes effect only when the decision is valid (an identity, an allowed
//! reviewer, a day inside the instance). `recommendation` needs sign-in dates, which `eval`
//! does not have: without them
//! there is no recommendation, and the default changes nothing.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate, TimeDelta};

use super::{Detail, Effect, Event, EventKind, Subject, View, Window};
use crate::codes::Code;
use crate::diagnostics::{FileId, Severity};
use crate::eval::report::PolicyPlace;
use crate::ingest::DataIssue;
use crate::policy::raw::{self, Decision, DefaultDecision, Recurrence, ReviewScope, Reviewer};
use crate::yaml::Sp;

/// The most instances generated for one review in one window (a weekly review over a
/// thousand-year window stays bounded).
const MAX_INSTANCES: u32 = 100_000;

/// When a review's instances happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// The first instance's start.
    pub start: NaiveDate,
    /// How often it recurs.
    pub recurrence: Recurrence,
    /// Days each instance lasts (at least 1).
    pub duration_days: u32,
    /// No instance starts after this day.
    pub end_date: Option<NaiveDate>,
    /// At most this many instances.
    pub occurrences: Option<u32>,
    /// Whether reviewers get a reminder at the midpoint.
    pub reminders: bool,
}

/// One instance of a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instance {
    /// Its number in the series, from 0.
    pub index: u32,
    /// The first day.
    pub start: NaiveDate,
    /// The midpoint reminder's day, if any.
    pub reminder: Option<NaiveDate>,
    /// The day it ends, and its results are applied: the day after its last day.
    pub end: NaiveDate,
}

impl Instance {
    /// Whether a decision taken on `d` is inside the instance.
    pub fn open_on(&self, d: NaiveDate) -> bool {
        self.start <= d && d < self.end
    }
}

/// Parses a `YYYY-MM-DD` date.
pub fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

impl Schedule {
    /// The schedule of a review; `None` without a valid start date (no instances).
    pub fn of(review: &raw::Review) -> Option<Schedule> {
        let start = date(&review.start.as_ref()?.value)?;
        let end_date = match &review.end_date {
            Some(d) => Some(date(&d.value)?),
            None => None,
        };
        Some(Schedule {
            start,
            recurrence: review.recurrence.value,
            duration_days: review.duration_days.value.max(1),
            end_date,
            occurrences: review.occurrences.as_ref().map(|o| o.value),
            reminders: review.reminders.as_ref().is_none_or(|r| r.value),
        })
    }

    /// The start of instance `n` (ignoring the end of the series).
    fn nth_start(&self, n: u32) -> Option<NaiveDate> {
        let months = |k: u32| {
            self.start
                .checked_add_months(Months::new(n.checked_mul(k)?))
        };
        match self.recurrence {
            Recurrence::OneTime => (n == 0).then_some(self.start),
            Recurrence::Weekly => self
                .start
                .checked_add_signed(TimeDelta::try_days(i64::from(n) * 7)?),
            Recurrence::Monthly => months(1),
            Recurrence::Quarterly => months(3),
            Recurrence::SemiAnnually => months(6),
            Recurrence::Annually => months(12),
        }
    }

    /// Instance `n`, if the series has it.
    pub fn instance(&self, n: u32) -> Option<Instance> {
        if self.occurrences.is_some_and(|o| n >= o) {
            return None;
        }
        let start = self.nth_start(n)?;
        if self.end_date.is_some_and(|e| start > e) {
            return None;
        }
        let end = start.checked_add_signed(TimeDelta::try_days(i64::from(self.duration_days))?)?;
        let half = self.duration_days / 2;
        let reminder = if self.reminders && half >= 1 {
            start.checked_add_signed(TimeDelta::try_days(i64::from(half))?)
        } else {
            None
        };
        Some(Instance {
            index: n,
            start,
            reminder,
            end,
        })
    }

    /// The first instance number that can touch a day on or after `from`.
    fn first_touching(&self, from: NaiveDate) -> u32 {
        let back = (from - self.start).num_days() - i64::from(self.duration_days);
        if back <= 0 {
            return 0;
        }
        let period = match self.recurrence {
            Recurrence::OneTime => return 0,
            Recurrence::Weekly => 7,
            Recurrence::Monthly => 31,
            Recurrence::Quarterly => 92,
            Recurrence::SemiAnnually => 184,
            Recurrence::Annually => 366,
        };
        // A period is never longer than these, so instance `back / period` starts no later
        // than `from - duration`: nothing before it can reach `from`.
        u32::try_from(back / period).unwrap_or(u32::MAX)
    }

    /// The instances with a day (start, reminder or end) in `window`, in order.
    pub fn touching(&self, window: Window) -> Vec<Instance> {
        let mut out = Vec::new();
        let first = self.first_touching(window.from);
        let mut n = first;
        while n.saturating_sub(first) < MAX_INSTANCES {
            let Some(i) = self.instance(n) else { break };
            if i.start > window.to {
                break;
            }
            if i.end >= window.from {
                out.push(i);
            }
            n = match n.checked_add(1) {
                Some(n) => n,
                None => break,
            };
        }
        out
    }

    /// The instance that starts on `d`, if any.
    pub fn starting_on(&self, d: NaiveDate) -> Option<Instance> {
        self.touching(Window::day(d))
            .into_iter()
            .find(|i| i.start == d)
    }
}

/// A review, with the file that declares it.
struct Declared<'a> {
    file: FileId,
    name: &'a Sp<String>,
    review: &'a Sp<raw::Review>,
}

/// A recorded decision, with the file that records it.
struct Recorded<'a> {
    file: FileId,
    instance: &'a Sp<String>,
    decision: &'a Sp<raw::ReviewDecision>,
}

fn declared<'a>(view: &View<'a>) -> Vec<Declared<'a>> {
    view.loaded
        .files
        .iter()
        .flat_map(|f| {
            f.policy.reviews.iter().map(|(name, review)| Declared {
                file: f.id,
                name,
                review,
            })
        })
        .collect()
}

/// The decisions recorded for review `name`, in file order.
fn recorded<'a>(view: &View<'a>, name: &str) -> Vec<Recorded<'a>> {
    let mut out = Vec::new();
    for f in &view.loaded.files {
        for (review, instances) in &f.policy.review_decisions {
            if review.value != name {
                continue;
            }
            for (instance, decisions) in &instances.value {
                for decision in decisions {
                    out.push(Recorded {
                        file: f.id,
                        instance,
                        decision,
                    });
                }
            }
        }
    }
    out
}

/// A problem with a recorded decision, at its place in the policy set, with its field named
/// `review_decisions.REVIEW.INSTANCE.FIELD`.
pub(super) fn decision_problem(
    at: &PolicyPlace,
    (review, instance): (&str, &str),
    code: Code,
    field: &str,
    message: String,
    help: &str,
) -> DataIssue {
    DataIssue {
        code,
        severity: Severity::Error,
        file: at.file.clone(),
        row: Some(at.line),
        field: Some(format!("review_decisions.{review}.{instance}.{field}")),
        message,
        help: Some(help.to_string()),
    }
}

fn place(view: &View<'_>, file: FileId, span: crate::diagnostics::Span) -> PolicyPlace {
    crate::eval::locate::policy_place(view.loaded, file, span)
}

/// The static members of group `name` that have an account, sorted: `None` for a dynamic
/// group (or an unknown one), whose members follow its rule.
///
/// Always read from the policy, never from the view's evaluated members: those are the
/// members after the events up to the as-of date (a denied reviewee is no longer there), and
/// `eval` computes its fold before any group. So `eval`, `explain` and the calendar agree.
fn static_members(view: &View<'_>, name: &str) -> Option<Vec<usize>> {
    let group = raw_group(view, name)?;
    if group.rule.is_some() {
        return None;
    }
    let mut out: Vec<usize> = group
        .members
        .iter()
        .flatten()
        .filter_map(|k| view.index_of(&k.value))
        .filter(|i| view.lifecycle.get(*i).is_some_and(|l| l.has_account()))
        .collect();
    out.sort_unstable();
    out.dedup();
    Some(out)
}

fn raw_group<'a>(view: &View<'a>, name: &str) -> Option<&'a raw::Group> {
    view.loaded
        .files
        .iter()
        .find_map(|f| f.policy.groups.iter().find(|(n, _)| n.value == name))
        .map(|(_, g)| &g.value)
}

/// Whether identity `key` is a static member of group `name`; `None` for a dynamic group
/// (its members are not known before its rule is evaluated). By key, so that `explain`, which
/// evaluates one person, agrees with `eval`.
fn group_has(view: &View<'_>, name: &str, key: &str) -> Option<bool> {
    let group = raw_group(view, name)?;
    if group.rule.is_some() {
        return None;
    }
    Some(group.members.iter().flatten().any(|m| m.value == key))
}

/// The reviewees of an instance of `review` whose access a decision can remove, when they can
/// be known (see the module's documentation): identity indices, sorted.
fn reviewees(view: &View<'_>, review: &raw::Review) -> Option<Vec<usize>> {
    if review.guests_only.as_ref().is_some_and(|g| g.value) {
        // Guests come from connected organisations, not from the systems of record: no
        // identity is a guest.
        return Some(Vec::new());
    }
    match &review.scope.value {
        ReviewScope::Group(g) => static_members(view, &g.value),
        ReviewScope::AccessPackage(_) | ReviewScope::Target(_) => None,
    }
}

/// The reviewees of each of `instances` (in increasing order): the static members, less those
/// that earlier instances of the same review removed (denied, or not reviewed under a default
/// `deny`, when the review applies its results). Entra takes the members at each instance's
/// start; the policy's static list does not change when a review removes someone, so the
/// removals are replayed from the first instance.
fn scopes(
    view: &View<'_>,
    review: &Declared<'_>,
    schedule: &Schedule,
    records: &[Recorded<'_>],
    instances: &[Instance],
) -> Vec<Option<Vec<usize>>> {
    let r = &review.review.value;
    let Some(mut current) = reviewees(view, r) else {
        return vec![None; instances.len()];
    };
    // Members listed again after a removal (`relisted`), by day: back among the reviewees of
    // the instances that start on or after that day.
    let base = current.clone();
    let pending: Vec<(NaiveDate, usize)> = match &r.scope.value {
        ReviewScope::Group(g) => relistings(view, &g.value)
            .into_iter()
            .filter(|(_, i)| base.binary_search(i).is_ok())
            .collect(),
        _ => Vec::new(),
    };
    let mut next = 0usize;
    let readmit = |upto: NaiveDate, current: &mut Vec<usize>, next: &mut usize| {
        while let Some((d, i)) = pending.get(*next)
            && *d <= upto
        {
            if let Err(at) = current.binary_search(i) {
                current.insert(at, *i);
            }
            *next += 1;
        }
    };
    let removes = r.auto_apply.value && removal(r).is_some();
    // Whether the default decision can remove anyone.
    let default_deny = removes
        && match r.default_decision.value {
            DefaultDecision::Deny => true,
            DefaultDecision::Recommendation => view.last_sign_in.is_some(),
            DefaultDecision::Approve | DefaultDecision::NoChange => false,
        };
    let mut decided_instances: Vec<Instance> = records
        .iter()
        .filter_map(|rec| date(&rec.instance.value))
        .filter_map(|d| schedule.starting_on(d))
        .collect();
    decided_instances.sort_by_key(|i| i.index);
    decided_instances.dedup();
    let mut out = Vec::with_capacity(instances.len());
    // Instances `0..applied` have been replayed.
    let mut applied = 0u32;
    let apply =
        |earlier: &Instance, wanted: &Instance, current: &mut Vec<usize>, next: &mut usize| {
            if earlier.end > wanted.start {
                return;
            }
            readmit(earlier.start, current, next);
            // The instance's reviewees: all of them, or the inactive ones; not known without
            // sign-in dates (then only recorded denials remove).
            let scope = inactive(view, r, earlier.start, current);
            let decided = check_instance(view, review, earlier, records, scope.as_deref(), None);
            current.retain(|i| match decided.get(i) {
                Some(c) => c.decision != Decision::Deny,
                None => {
                    !(default_deny
                        && scope.as_ref().is_some_and(|s| s.binary_search(i).is_ok())
                        && default_outcome(view, r, earlier, *i).0)
                }
            });
        };
    for wanted in instances {
        if removes && applied < wanted.index {
            if default_deny {
                // Every instance removes whoever was not approved: replay them all (the
                // scope is soon empty, and stays so).
                while applied < wanted.index
                    && (!current.is_empty()
                        || pending.get(next).is_some_and(|(d, _)| *d <= wanted.start))
                {
                    let Some(earlier) = schedule.instance(applied) else {
                        break;
                    };
                    apply(&earlier, wanted, &mut current, &mut next);
                    applied = applied.saturating_add(1);
                }
            } else {
                // Only denials remove: replay the instances that have decisions.
                for earlier in decided_instances
                    .iter()
                    .filter(|e| e.index >= applied && e.index < wanted.index)
                {
                    apply(earlier, wanted, &mut current, &mut next);
                }
            }
            applied = wanted.index;
        }
        readmit(wanted.start, &mut current, &mut next);
        out.push(inactive(view, r, wanted.start, &current));
    }
    out
}

/// The reviewees of an instance that starts on `start`, out of those in scope (`listed`,
/// sorted): all of them, or for an inactive-users review (`inactive_days: N`) those whose last
/// sign-in is before the N days that precede the start and who were not hired within them.
/// `None` (not listable) when that cannot be told: no sign-in dates, or an instance that
/// starts after the date of the data. An identity without a date is not known to be inactive
/// (Graph omits the activity without the permission to read it): not a reviewee.
fn inactive(
    view: &View<'_>,
    r: &raw::Review,
    start: NaiveDate,
    listed: &[usize],
) -> Option<Vec<usize>> {
    let Some(days) = r.inactive_days.as_ref().map(|d| d.value) else {
        return Some(listed.to_vec());
    };
    let dates = view.last_sign_in?;
    if start > view.as_of {
        return None;
    }
    let since = start.checked_sub_days(chrono::Days::new(u64::from(days)))?;
    let hired = hire_dates(view);
    Some(
        listed
            .iter()
            .copied()
            .filter(|i| {
                dates
                    .get(*i)
                    .copied()
                    .flatten()
                    .is_some_and(|last| last < since)
            })
            .filter(|i| {
                !hired
                    .as_ref()
                    .and_then(|c| crate::governance::email::text(view, *i, c))
                    .and_then(|t| date(t.get(..10).unwrap_or(&t)))
                    .is_some_and(|h| since <= h && h < start)
            })
            .collect(),
    )
}

/// The identity attribute that holds the hire date, when the lifecycle is configured.
fn hire_dates(view: &View<'_>) -> Option<String> {
    view.loaded
        .files
        .iter()
        .find_map(|f| f.policy.identity.as_ref())
        .and_then(|i| i.value.lifecycle.as_ref())
        .map(|l| l.value.hire_date.value.clone())
}

/// What the default decision does to unreviewed reviewee `i` at the end of `instance`:
/// whether it removes the access, and why, in words.
fn default_outcome(
    view: &View<'_>,
    r: &raw::Review,
    instance: &Instance,
    i: usize,
) -> (bool, String) {
    let removable = removal(r).is_some();
    if !r.auto_apply.value {
        return (false, "no change (`auto_apply` is off)".into());
    }
    let not_removable = "a target's accounts follow its scope: nothing removed";
    match r.default_decision.value {
        DefaultDecision::Deny if removable => (true, "access removed".into()),
        DefaultDecision::Deny => (false, not_removable.into()),
        DefaultDecision::Approve => (false, "access kept".into()),
        DefaultDecision::NoChange => (false, "no change".into()),
        DefaultDecision::Recommendation => match recommend(view, r, instance, i) {
            Some((true, last)) if removable => (
                true,
                format!("recommendation deny (last sign-in {last}): access removed"),
            ),
            Some((true, last)) => (
                false,
                format!("recommendation deny (last sign-in {last}): {not_removable}"),
            ),
            Some((false, last)) => (
                false,
                format!("recommendation approve (signed in on {last}): access kept"),
            ),
            None => (
                false,
                "no recommendation (no sign-in date known for the look-back): no change".into(),
            ),
        },
    }
}

/// Entra's "no sign-in within N days" recommendation for reviewee `i` at the end of
/// `instance`: `Some((deny, last sign-in))`, or `None` when it cannot be told (no sign-in
/// dates, none for this identity, an instance that ends after the view's date, or a last
/// sign-in after the end, which says nothing about the look-back window). Fail closed: no
/// recommendation keeps the access.
fn recommend(
    view: &View<'_>,
    r: &raw::Review,
    instance: &Instance,
    i: usize,
) -> Option<(bool, NaiveDate)> {
    let last = (*view.last_sign_in?.get(i)?)?;
    if instance.end > view.as_of {
        return None;
    }
    let lookback = r
        .recommendation_lookback_days
        .as_ref()
        .map_or(30, |l| l.value);
    let since = instance
        .end
        .checked_sub_signed(TimeDelta::try_days(i64::from(lookback))?)?;
    if last < since {
        Some((true, last))
    } else if last < instance.end {
        Some((false, last))
    } else {
        None
    }
}

/// What a denial removes.
fn removal(review: &raw::Review) -> Option<Effect> {
    match &review.scope.value {
        ReviewScope::Group(g) => Some(Effect::RemoveFromGroup(g.value.clone())),
        ReviewScope::AccessPackage(p) => Some(Effect::RemovePackage(p.value.clone())),
        // A target's accounts follow its scope: a review of them reports, it does not remove.
        ReviewScope::Target(_) => None,
    }
}

/// Why reviewer `reviewer` may not decide for `reviewee`, if not allowed.
fn reviewer_problem(
    view: &View<'_>,
    review: &raw::Review,
    lists: (&[Sp<Reviewer>], &[Sp<Reviewer>]),
    reviewee: usize,
    reviewer: &str,
) -> Option<String> {
    let (reviewers, fallback) = lists;
    let manager = view
        .column("manager")
        .and_then(|c| c.get(reviewee).as_text().map(|t| t.into_owned()))
        .filter(|m| !m.is_empty());
    let owners: Vec<&str> = match &review.scope.value {
        ReviewScope::Group(g) => view
            .loaded
            .files
            .iter()
            .find_map(|f| f.policy.groups.iter().find(|(n, _)| n.value == g.value))
            .map(|(_, g)| g.value.owners.iter().map(|o| o.value.as_str()).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut unknown_group = None;
    let allowed_by = |list: &[Sp<Reviewer>], unknown_group: &mut Option<String>| -> (bool, bool) {
        // (allowed, the list names someone for this reviewee)
        let mut someone = false;
        for r in list {
            match &r.value {
                Reviewer::Manager => {
                    if let Some(m) = &manager {
                        someone = true;
                        if m == reviewer {
                            return (true, true);
                        }
                    }
                }
                Reviewer::SelfReview => {
                    someone = true;
                    if view.key(reviewee) == reviewer {
                        return (true, true);
                    }
                }
                Reviewer::GroupOwners => {
                    if !owners.is_empty() {
                        someone = true;
                        if owners.contains(&reviewer) {
                            return (true, true);
                        }
                    }
                }
                Reviewer::User(u) => {
                    someone = true;
                    if u.value == reviewer {
                        return (true, true);
                    }
                }
                Reviewer::Group(g) => {
                    someone = true;
                    match group_has(view, &g.value, reviewer) {
                        Some(true) => return (true, true),
                        Some(false) => {}
                        None => *unknown_group = Some(g.value.clone()),
                    }
                }
            }
        }
        (false, someone)
    };
    let (allowed, someone) = allowed_by(reviewers, &mut unknown_group);
    if allowed {
        return None;
    }
    // Fallback reviewers decide only when the reviewers name nobody for this reviewee (no
    // manager, a group without owners).
    if !someone && allowed_by(fallback, &mut unknown_group).0 {
        return None;
    }
    Some(match unknown_group {
        Some(g) => format!(
            "`{reviewer}` is not a reviewer of `{}` (the members of dynamic group `{g}` are not known before its rule is evaluated)",
            view.key(reviewee)
        ),
        None => format!("`{reviewer}` is not a reviewer of `{}`", view.key(reviewee)),
    })
}

/// A recorded decision, checked.
struct Checked {
    reviewee: usize,
    reviewer: String,
    decision: Decision,
    date: NaiveDate,
    justification: Option<String>,
    at: PolicyPlace,
    /// The stage it was recorded in (from 1), for a multi-stage review.
    stage: Option<usize>,
}

/// The reminders of a multi-stage review's `instance`: (stage from 1, day), one per stage at
/// its midpoint (the stage's first day plus half its days, rounded down; none for a one-day
/// stage, none with `reminders: false`). Empty for a review without stages, whose reminder is
/// the instance's ([`Instance::reminder`]).
pub fn stage_reminders(
    r: &raw::Review,
    schedule: &Schedule,
    instance: &Instance,
) -> Vec<(usize, NaiveDate)> {
    if !schedule.reminders {
        return Vec::new();
    }
    (1..=r.stages.len())
        .filter_map(|k| {
            let (from, to) = stage_window(r, instance, k)?;
            let half = (to - from).num_days() / 2;
            (half >= 1).then(|| {
                from.checked_add_signed(TimeDelta::try_days(half)?)
                    .map(|d| (k, d))
            })?
        })
        .collect()
}

/// The days of stage `k` (from 1) of a multi-stage review's `instance`: `[from, to)`.
pub fn stage_window(
    r: &raw::Review,
    instance: &Instance,
    k: usize,
) -> Option<(NaiveDate, NaiveDate)> {
    if k == 0 || k > r.stages.len() {
        return None;
    }
    let before: u64 = r
        .stages
        .iter()
        .take(k - 1)
        .map(|s| u64::from(s.value.duration_days.value))
        .sum();
    let own = u64::from(r.stages.get(k - 1)?.value.duration_days.value);
    let from = instance.start.checked_add_days(chrono::Days::new(before))?;
    let to = from
        .checked_add_days(chrono::Days::new(own))?
        .min(instance.end);
    Some((from, to))
}

/// The final decisions of a multi-stage instance from each stage's (`by_stage`, by stage from
/// 1): stage 1 reviews everyone in scope; a later stage reviews those whose outcome in the
/// stage before is in its `advance` list (all by default), and a decision about anyone else is
/// out of scope (`E161`, no effect). A later stage's decision overrides an earlier one; a
/// reviewee not decided in a later stage keeps the earlier decision.
fn fold_stages(
    view: &View<'_>,
    r: &raw::Review,
    review: &Declared<'_>,
    instance: &Instance,
    scope: Option<&[usize]>,
    mut by_stage: BTreeMap<usize, BTreeMap<usize, Checked>>,
    problems: &mut Vec<DataIssue>,
) -> BTreeMap<usize, Checked> {
    let mut out: BTreeMap<usize, Checked> = BTreeMap::new();
    // Who is in the current stage: `None` when it cannot be listed (accept every decision).
    let mut current: Option<std::collections::BTreeSet<usize>> =
        scope.map(|s| s.iter().copied().collect());
    for (k, stage) in r.stages.iter().enumerate() {
        let decided = by_stage.remove(&(k + 1)).unwrap_or_default();
        let mut next: Option<std::collections::BTreeSet<usize>> =
            current.as_ref().map(|_| std::collections::BTreeSet::new());
        for (i, c) in decided {
            if current.as_ref().is_some_and(|set| !set.contains(&i)) {
                problems.push(DataIssue {
                    code: Code::ReviewDecisionOutOfScope,
                    severity: Severity::Error,
                    file: c.at.file.clone(),
                    row: Some(c.at.line),
                    field: Some(format!(
                        "review_decisions.{}.{}.reviewee",
                        review.name.value, instance.start
                    )),
                    message: format!(
                        "reviewee `{}` did not advance to stage {} of review `{}` on {}: the decision takes no effect",
                        view.key(i),
                        k + 1,
                        review.name.value,
                        instance.start
                    ),
                    help: Some(
                        "a later stage reviews only those whose outcome in the stage before is in its `advance` list".into(),
                    ),
                });
                continue;
            }
            out.insert(i, c);
        }
        let advance = |outcome: raw::Advance| {
            stage
                .value
                .advance
                .as_ref()
                .is_none_or(|list| list.iter().any(|a| a.value == outcome))
        };
        if let (Some(now), Some(next)) = (&current, next.as_mut()) {
            for i in now {
                let outcome = match out.get(i).filter(|c| c.date >= instance.start) {
                    Some(c) => match c.decision {
                        Decision::Approve => raw::Advance::Approve,
                        Decision::Deny => raw::Advance::Deny,
                        Decision::DontKnow => raw::Advance::DontKnow,
                    },
                    None => raw::Advance::NotReviewed,
                };
                // The outcome in this stage: an earlier stage's decision kept is not one.
                let this_stage = out.get(i).is_some_and(|c| {
                    stage_window(r, instance, k + 1)
                        .is_some_and(|(from, to)| from <= c.date && c.date < to)
                });
                let outcome = if this_stage {
                    outcome
                } else {
                    raw::Advance::NotReviewed
                };
                if advance(outcome) {
                    next.insert(*i);
                }
            }
        }
        current = next;
    }
    out
}

/// The decisions of one instance that take effect, by reviewee (the last by date wins), and
/// the problems of the ones that do not.
fn check_instance(
    view: &View<'_>,
    review: &Declared<'_>,
    instance: &Instance,
    records: &[Recorded<'_>],
    scope: Option<&[usize]>,
    issues: Option<&mut Vec<DataIssue>>,
) -> BTreeMap<usize, Checked> {
    let r = &review.review.value;
    let mut out: BTreeMap<usize, Checked> = BTreeMap::new();
    let mut by_stage: BTreeMap<usize, BTreeMap<usize, Checked>> = BTreeMap::new();
    let mut problems = Vec::new();
    for rec in records {
        if date(&rec.instance.value) != Some(instance.start) {
            continue;
        }
        let d = &rec.decision.value;
        let at = place(view, rec.file, rec.decision.span);
        let problem = |code: Code, field: &str, message: String, help: &str| {
            let names = (review.name.value.as_str(), rec.instance.value.as_str());
            decision_problem(&at, names, code, field, message, help)
        };
        let Some(day) = date(&d.date.value).filter(|day| instance.open_on(*day)) else {
            // Lint reports the date (`C382`); the decision takes no effect.
            continue;
        };
        // The stage, for a multi-stage review (lint reports a missing or wrong one, `C386`,
        // and a day outside it, `C382`).
        let stage = if r.stages.is_empty() {
            None
        } else {
            let Some(k) = d.stage.as_ref().map(|s| s.value as usize) else {
                continue;
            };
            let Some((from, to)) = stage_window(r, instance, k) else {
                continue;
            };
            if day < from || day >= to {
                continue;
            }
            Some(k)
        };
        if r.guests_only.as_ref().is_some_and(|g| g.value) && d.reviewee.value.contains('@') {
            // A guest: checked and applied by `guest_reviews`.
            continue;
        }
        let Some(reviewee) = view.index_of(&d.reviewee.value) else {
            // A static member of the reviewed group that is not an identity is reported once,
            // at the group (`E203`): not again at each decision about it (a `roster test`
            // fixture holds a few people of the group).
            let listed = match &r.scope.value {
                ReviewScope::Group(g) => group_has(view, &g.value, &d.reviewee.value) == Some(true),
                _ => false,
            };
            if listed {
                continue;
            }
            problems.push(problem(
                Code::ReviewDecisionUnknownReviewee,
                "reviewee",
                format!(
                    "reviewee `{}` of review `{}` is not an identity: the decision takes no effect",
                    d.reviewee.value, review.name.value
                ),
                "name the identity key of a person in the review's scope",
            ));
            continue;
        };
        if let Some(scope) = scope
            && scope.binary_search(&reviewee).is_err()
        {
            problems.push(problem(
                Code::ReviewDecisionOutOfScope,
                "reviewee",
                format!(
                    "reviewee `{}` is not in the scope of review `{}` on {}: the decision takes no effect",
                    d.reviewee.value, review.name.value, instance.start
                ),
                "decide only for the members of the reviewed group or the holders of the reviewed package",
            ));
            continue;
        }
        let lists = match stage.and_then(|k| r.stages.get(k - 1)) {
            Some(s) => (&s.value.reviewers[..], &s.value.fallback_reviewers[..]),
            None => (&r.reviewers[..], &r.fallback_reviewers[..]),
        };
        if let Some(why) = reviewer_problem(view, r, lists, reviewee, &d.reviewer.value) {
            problems.push(problem(
                Code::ReviewDecisionReviewerNotAllowed,
                "reviewer",
                format!("{why}: the decision takes no effect"),
                "the reviewer must be allowed by the review's `reviewers` (its `fallback_reviewers` when those name nobody for the reviewee)",
            ));
            continue;
        }
        let checked = Checked {
            reviewee,
            reviewer: d.reviewer.value.clone(),
            decision: d.decision.value,
            date: day,
            justification: d.justification.as_ref().map(|j| j.value.clone()),
            at,
            stage,
        };
        let into = match stage {
            Some(k) => by_stage.entry(k).or_default(),
            None => &mut out,
        };
        match into.get(&reviewee) {
            Some(earlier) if earlier.date > day => {}
            _ => {
                into.insert(reviewee, checked);
            }
        }
    }
    if !r.stages.is_empty() {
        out = fold_stages(view, r, review, instance, scope, by_stage, &mut problems);
    }
    if let Some(issues) = issues {
        issues.extend(problems);
    }
    out
}

/// The data problems of the recorded decisions (`E160`–`E162`) of the instances that have
/// started by the as-of date, for `eval`.
pub fn issues(view: &View<'_>) -> Vec<DataIssue> {
    let mut out = Vec::new();
    for review in declared(view) {
        let Some(schedule) = Schedule::of(&review.review.value) else {
            continue;
        };
        let records = recorded(view, &review.name.value);
        let mut starts: Vec<NaiveDate> = records
            .iter()
            .filter_map(|r| date(&r.instance.value))
            .collect();
        // Only instances that have started by the as-of date: who is in scope, and who may
        // decide, are known for those (the lifecycle is the as-of date's).
        starts.retain(|d| *d <= view.as_of);
        starts.sort_unstable();
        starts.dedup();
        let instances: Vec<Instance> = starts
            .into_iter()
            .filter_map(|start| schedule.starting_on(start))
            .collect();
        let scopes = scopes(view, &review, &schedule, &records, &instances);
        for (instance, scope) in instances.iter().zip(scopes) {
            check_instance(
                view,
                &review,
                instance,
                &records,
                scope.as_deref(),
                Some(&mut out),
            );
        }
    }
    out
}

/// The members of static group `name` listed again after a review removed them
/// (`relisted`), as (day, identity index), sorted by day then identity; keys that are not
/// identities, or whose day is not a date, are left out (`C384` reports the second).
fn relistings(view: &View<'_>, name: &str) -> Vec<(NaiveDate, usize)> {
    let Some(group) = raw_group(view, name) else {
        return Vec::new();
    };
    if group.rule.is_some() {
        return Vec::new();
    }
    let mut out: Vec<(NaiveDate, usize)> = group
        .relisted
        .iter()
        .filter(|(k, _)| group.members.iter().flatten().any(|m| m.value == k.value))
        .filter_map(|(k, d)| Some((date(&d.value)?, view.index_of(&k.value)?)))
        .collect();
    out.sort_unstable();
    out
}

/// The `relisted` events in `window`: a static member listed again after a review removed
/// them is added back to the group on that day (effect `add_to_group`; a review's removal on
/// the same day wins, as events of a day are folded by kind and `relisted` comes first).
fn relisted_events(view: &View<'_>, window: Window, out: &mut Vec<Event>) {
    for f in &view.loaded.files {
        for (name, group) in &f.policy.groups {
            if group.value.relisted.is_empty() {
                continue;
            }
            for (day, i) in relistings(view, &name.value) {
                if !window.contains(day) {
                    continue;
                }
                let Some(at) = group
                    .value
                    .relisted
                    .iter()
                    .find(|(k, _)| k.value == view.key(i))
                    .map(|(k, _)| place(view, f.id, k.span))
                else {
                    continue;
                };
                out.push(Event {
                    date: day,
                    kind: EventKind::Relisted,
                    subject: Subject::Identity(view.key(i).to_string()),
                    source: format!("group:{}", name.value),
                    summary: format!(
                        "listed again in group `{}`: an access review's earlier removal no longer applies",
                        name.value
                    ),
                    effects: vec![Effect::AddToGroup(name.value.clone())],
                    tasks: Vec::new(),
                    declared_at: Some(at),
                });
            }
        }
    }
}

/// The events of every review in `window`, appended to `out`.
pub fn events(view: &View<'_>, window: Window, detail: Detail, out: &mut Vec<Event>) {
    relisted_events(view, window, out);
    for review in declared(view) {
        let r = &review.review.value;
        let Some(schedule) = Schedule::of(r) else {
            continue;
        };
        let instances = schedule.touching(window);
        if instances.is_empty() {
            continue;
        }
        let records = recorded(view, &review.name.value);
        let scopes = scopes(view, &review, &schedule, &records, &instances);
        let source = format!("review:{}", review.name.value);
        let declared_at = place(view, review.file, review.name.span);
        for (instance, scope) in instances.into_iter().zip(scopes) {
            let object =
                Subject::Object(format!("review:{}@{}", review.name.value, instance.start));
            let decided =
                check_instance(view, &review, &instance, &records, scope.as_deref(), None);
            let object_event = |date: NaiveDate, kind: EventKind, summary: String| Event {
                date,
                kind,
                subject: object.clone(),
                source: source.clone(),
                summary,
                effects: Vec::new(),
                tasks: Vec::new(),
                declared_at: Some(declared_at.clone()),
            };
            if detail == Detail::Full {
                if window.contains(instance.start) {
                    out.push(object_event(
                        instance.start,
                        EventKind::ReviewStart,
                        format!(
                            "access review `{}` starts: {}, decisions due by {}",
                            review.name.value,
                            reviewee_count(scope.as_deref()),
                            instance.end.pred_opt().unwrap_or(instance.end)
                        ),
                    ));
                }
                // A multi-stage review reminds the reviewers of each stage at the stage's
                // midpoint instead (`docs/reviews.md`).
                for (k, day) in stage_reminders(r, &schedule, &instance) {
                    if window.contains(day) {
                        out.push(object_event(
                            day,
                            EventKind::ReviewReminder,
                            format!(
                                "access review `{}`: stage {k} midpoint reminder to the stage's reviewers who have not decided",
                                review.name.value
                            ),
                        ));
                    }
                }
                if let Some(day) = instance
                    .reminder
                    .filter(|d| r.stages.is_empty() && window.contains(*d))
                {
                    let pending = scope
                        .as_ref()
                        .map(|s| s.iter().filter(|i| !decided.contains_key(i)).count());
                    out.push(object_event(
                        day,
                        EventKind::ReviewReminder,
                        match pending {
                            Some(n) => format!(
                                "access review `{}`: midpoint reminder to the reviewers of {n} reviewee{} without a decision",
                                review.name.value,
                                if n == 1 { "" } else { "s" }
                            ),
                            None => format!(
                                "access review `{}`: midpoint reminder to the reviewers who have not decided",
                                review.name.value
                            ),
                        },
                    ));
                }
            }
            if !window.contains(instance.end) {
                continue;
            }
            let end = end_events(view, &review, &instance, scope.as_deref(), &decided, detail);
            if detail == Detail::Full {
                out.push(object_event(
                    instance.end,
                    EventKind::ReviewEnd,
                    end.summary.clone(),
                ));
            }
            out.extend(end.events);
        }
    }
}

fn reviewee_count(scope: Option<&[usize]>) -> String {
    match scope {
        Some([_]) => "1 reviewee".into(),
        Some(s) => format!("{} reviewees", s.len()),
        None => "reviewees not listed from the policy".into(),
    }
}

struct End {
    summary: String,
    events: Vec<Event>,
}

/// The end of an instance: each reviewee's outcome, with the effects when the review applies
/// its results.
fn end_events(
    view: &View<'_>,
    review: &Declared<'_>,
    instance: &Instance,
    scope: Option<&[usize]>,
    decided: &BTreeMap<usize, Checked>,
    detail: Detail,
) -> End {
    let r = &review.review.value;
    let apply = r.auto_apply.value;
    let removal = removal(r);
    let source = format!("review:{}", review.name.value);
    let mut events = Vec::new();
    let (mut approved, mut denied, mut unsure) = (0usize, 0usize, 0usize);
    for c in decided.values() {
        let effects = match (c.decision, apply, &removal) {
            (Decision::Deny, true, Some(e)) => vec![e.clone()],
            _ => Vec::new(),
        };
        match c.decision {
            Decision::Approve => approved += 1,
            Decision::Deny => denied += 1,
            Decision::DontKnow => unsure += 1,
        }
        if detail == Detail::Effects && effects.is_empty() {
            continue;
        }
        let outcome = match (c.decision, apply, &removal) {
            (Decision::Approve, _, _) => "access kept".to_string(),
            (Decision::DontKnow, _, _) => "don't know: access kept".to_string(),
            (Decision::Deny, true, Some(_)) => "access removed".to_string(),
            (Decision::Deny, false, _) => {
                "access kept until the denial is applied by hand (`auto_apply` is off)".to_string()
            }
            (Decision::Deny, true, None) => {
                "a target's accounts follow its scope: nothing removed".to_string()
            }
        };
        events.push(Event {
            date: instance.end,
            kind: EventKind::ReviewEnd,
            subject: Subject::Identity(view.key(c.reviewee).to_string()),
            source: source.clone(),
            summary: format!(
                "access review `{}` ({}): {} by `{}` on {}{}: {outcome}",
                review.name.value,
                instance.start,
                c.decision.word(),
                c.reviewer,
                c.date,
                c.justification
                    .as_deref()
                    .map(|j| format!(" ({j})"))
                    .unwrap_or_default()
            ),
            effects,
            tasks: Vec::new(),
            declared_at: Some(c.at.clone()),
        });
    }
    let default = r.default_decision.value;
    let unreviewed: Vec<usize> = scope
        .map(|s| {
            s.iter()
                .copied()
                .filter(|i| !decided.contains_key(i))
                .collect()
        })
        .unwrap_or_default();
    for &i in &unreviewed {
        let (removes, outcome) = default_outcome(view, r, instance, i);
        let effects = match (&removal, removes) {
            (Some(e), true) => vec![e.clone()],
            _ => Vec::new(),
        };
        if detail == Detail::Effects && effects.is_empty() {
            continue;
        }
        events.push(Event {
            date: instance.end,
            kind: EventKind::ReviewEnd,
            subject: Subject::Identity(view.key(i).to_string()),
            source: source.clone(),
            summary: format!(
                "access review `{}` ({}): not reviewed, default decision `{}`: {outcome}",
                review.name.value,
                instance.start,
                default_word(default)
            ),
            effects,
            tasks: Vec::new(),
            declared_at: Some(place(view, review.file, r.default_decision.span)),
        });
    }
    let not_reviewed = match scope {
        Some(_) => format!(", {} not reviewed", unreviewed.len()),
        None => String::new(),
    };
    let outcome = match (apply, scope) {
        (false, _) => "results not applied: `auto_apply` is off".to_string(),
        (true, Some(_)) => format!("default `{}`", default_word(default)),
        (true, None) => format!(
            "default `{}` changes nothing: reviewees not listed",
            default_word(default)
        ),
    };
    let summary = format!(
        "access review `{}` ends: {approved} approved, {denied} denied, {unsure} don't know{not_reviewed} ({outcome})",
        review.name.value,
    );
    End { summary, events }
}

/// One access-review instance that concerns an identity, for `explain`: a decision recorded
/// about it (and taking effect), or an instance open on the as-of date that still waits for
/// one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct ReviewNote {
    /// The review.
    pub review: String,
    /// The instance's first day (`YYYY-MM-DD`).
    pub instance: String,
    /// The day the instance ends and its results apply (`YYYY-MM-DD`).
    pub ends: String,
    /// `pending`, or the decision: `approve`, `deny`, `dont_know`.
    pub status: String,
    /// Who decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
    /// When (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// What happens at the end, in one line.
    pub outcome: String,
    /// Where the decision is recorded, or the review declared.
    pub at: PolicyPlace,
    /// For a multi-stage review: the stage (from 1) whose decision is the outcome, or, while
    /// no decision is recorded, the stage open on the as-of date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<usize>,
}

/// The access reviews that concern identity `i` up to the as-of date: every recorded decision
/// about it that takes effect, and each instance open on the as-of date that reviews it
/// without a decision yet. By review, then instance.
pub fn for_identity(view: &View<'_>, i: usize) -> Vec<ReviewNote> {
    let mut out = Vec::new();
    let key = view.key(i);
    for review in declared(view) {
        let r = &review.review.value;
        let Some(schedule) = Schedule::of(r) else {
            continue;
        };
        let records = recorded(view, &review.name.value);
        let mut starts: Vec<NaiveDate> = records
            .iter()
            .filter(|rec| rec.decision.value.reviewee.value == key)
            .filter_map(|rec| date(&rec.instance.value))
            .filter(|d| *d <= view.as_of)
            .collect();
        let open = schedule
            .touching(Window::day(view.as_of))
            .into_iter()
            .find(|inst| inst.open_on(view.as_of));
        let open_scope = open
            .map(|inst| scopes(view, &review, &schedule, &records, &[inst]))
            .and_then(|s| s.into_iter().next())
            .flatten();
        let listable = reviewees(view, r).is_some();
        let reviewed = match &open_scope {
            Some(s) => s.binary_search(&i).is_ok(),
            // Not listable from the policy: whether the identity holds the access in the view.
            None => match &r.scope.value {
                ReviewScope::Group(g) => holds(view.groups, &g.value, i),
                ReviewScope::AccessPackage(p) => holds(view.packages, &p.value, i),
                ReviewScope::Target(_) => false,
            },
        };
        if let Some(inst) = open.filter(|_| reviewed) {
            starts.push(inst.start);
        }
        starts.sort_unstable();
        starts.dedup();
        let instances: Vec<Instance> = starts
            .into_iter()
            .filter_map(|start| schedule.starting_on(start))
            .collect();
        let scopes = scopes(view, &review, &schedule, &records, &instances);
        for (instance, scope) in instances.into_iter().zip(scopes) {
            let decided =
                check_instance(view, &review, &instance, &records, scope.as_deref(), None);
            let apply = r.auto_apply.value;
            let removes = removal(r).is_some();
            let note = |status: &str, outcome: String, at: PolicyPlace| ReviewNote {
                review: review.name.value.clone(),
                instance: instance.start.to_string(),
                ends: instance.end.to_string(),
                status: status.to_string(),
                reviewer: None,
                date: None,
                justification: None,
                outcome,
                at,
                stage: (1..=r.stages.len()).find(|&k| {
                    stage_window(r, &instance, k)
                        .is_some_and(|(from, to)| from <= view.as_of && view.as_of < to)
                }),
            };
            match decided.get(&i) {
                Some(c) => {
                    let outcome = match (c.decision, apply, removes) {
                        (Decision::Deny, true, true) => {
                            format!("access removed on {}", instance.end)
                        }
                        (Decision::Deny, false, _) => "access kept: `auto_apply` is off".into(),
                        (Decision::Deny, true, false) => {
                            "a target's accounts follow its scope: nothing removed".into()
                        }
                        _ => "access kept".into(),
                    };
                    out.push(ReviewNote {
                        reviewer: Some(c.reviewer.clone()),
                        date: Some(c.date.to_string()),
                        justification: c.justification.clone(),
                        stage: c.stage,
                        ..note(c.decision.word(), outcome, c.at.clone())
                    });
                }
                None if instance.open_on(view.as_of) => {
                    let default = r.default_decision.value;
                    let known = listable;
                    let outcome = match (apply, default) {
                        (false, _) => {
                            "no decision yet; nothing changes at the end (`auto_apply` is off)"
                                .to_string()
                        }
                        (true, DefaultDecision::Deny) if known && removes => format!(
                            "no decision yet; without one, access is removed on {} (default `deny`)",
                            instance.end
                        ),
                        (true, DefaultDecision::Recommendation)
                            if known && removes && view.last_sign_in.is_some() =>
                        {
                            format!(
                                "no decision yet; without one, on {} access is removed if there was no sign-in during the look-back (default `recommendation`)",
                                instance.end
                            )
                        }
                        (true, d) => format!(
                            "no decision yet; without one, access is kept (default `{}`{})",
                            default_word(d),
                            if d == DefaultDecision::Deny || d == DefaultDecision::Recommendation {
                                ": it removes nothing here"
                            } else {
                                ""
                            }
                        ),
                    };
                    out.push(note(
                        "pending",
                        outcome,
                        place(view, review.file, review.name.span),
                    ));
                }
                None => {}
            }
        }
    }
    out
}

fn holds(sets: &[(String, crate::rule::sets::Bitset)], name: &str, i: usize) -> bool {
    sets.iter()
        .find(|(n, _)| n == name)
        .is_some_and(|(_, set)| set.contains(i))
}

fn default_word(d: DefaultDecision) -> &'static str {
    match d {
        DefaultDecision::NoChange => "no_change",
        DefaultDecision::Deny => "deny",
        DefaultDecision::Approve => "approve",
        DefaultDecision::Recommendation => "recommendation",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        date(s).unwrap()
    }

    fn schedule(start: &str, recurrence: Recurrence, duration: u32) -> Schedule {
        Schedule {
            start: d(start),
            recurrence,
            duration_days: duration,
            end_date: None,
            occurrences: None,
            reminders: true,
        }
    }

    fn starts(s: &Schedule, from: &str, to: &str) -> Vec<String> {
        s.touching(Window {
            from: d(from),
            to: d(to),
        })
        .iter()
        .map(|i| i.start.to_string())
        .collect()
    }

    #[test]
    fn every_recurrence_has_its_period() {
        let cases = [
            (Recurrence::OneTime, vec!["2026-01-15"]),
            (
                Recurrence::Weekly,
                vec!["2026-01-15", "2026-01-22", "2026-01-29", "2026-02-05"],
            ),
            (
                Recurrence::Monthly,
                vec!["2026-01-15", "2026-02-15", "2026-03-15", "2026-04-15"],
            ),
            (
                Recurrence::Quarterly,
                vec!["2026-01-15", "2026-04-15", "2026-07-15", "2026-10-15"],
            ),
            (
                Recurrence::SemiAnnually,
                vec!["2026-01-15", "2026-07-15", "2027-01-15", "2027-07-15"],
            ),
            (
                Recurrence::Annually,
                vec!["2026-01-15", "2027-01-15", "2028-01-15", "2029-01-15"],
            ),
        ];
        for (recurrence, want) in cases {
            let s = schedule("2026-01-15", recurrence, 1);
            let got: Vec<String> = (0..4)
                .filter_map(|n| s.instance(n))
                .map(|i| i.start.to_string())
                .collect();
            assert_eq!(got, want, "{recurrence:?}");
        }
    }

    #[test]
    fn month_ends_are_clamped_from_the_first_start() {
        let s = schedule("2026-01-31", Recurrence::Monthly, 7);
        let got: Vec<String> = (0..5)
            .filter_map(|n| s.instance(n))
            .map(|i| i.start.to_string())
            .collect();
        // Counted from the first start: March is back on the 31st, not the 28th.
        assert_eq!(
            got,
            [
                "2026-01-31",
                "2026-02-28",
                "2026-03-31",
                "2026-04-30",
                "2026-05-31"
            ]
        );
        // A leap year has 29 February.
        let s = schedule("2028-01-31", Recurrence::Monthly, 7);
        assert_eq!(s.instance(1).unwrap().start, d("2028-02-29"));
        let s = schedule("2027-11-30", Recurrence::Quarterly, 7);
        assert_eq!(s.instance(1).unwrap().start, d("2028-02-29"));
    }

    #[test]
    fn leap_day_starts_recur_on_the_last_day_of_february() {
        let s = schedule("2028-02-29", Recurrence::Annually, 30);
        let got: Vec<String> = (0..5)
            .filter_map(|n| s.instance(n))
            .map(|i| i.start.to_string())
            .collect();
        assert_eq!(
            got,
            [
                "2028-02-29",
                "2029-02-28",
                "2030-02-28",
                "2031-02-28",
                "2032-02-29"
            ]
        );
    }

    #[test]
    fn the_series_ends_by_date_and_by_count() {
        let mut s = schedule("2026-01-01", Recurrence::Monthly, 10);
        s.end_date = Some(d("2026-04-01"));
        // An instance may start on the end date itself, not after it.
        assert_eq!(
            starts(&s, "2025-01-01", "2027-01-01"),
            ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
        );
        s.end_date = Some(d("2026-03-31"));
        assert_eq!(starts(&s, "2025-01-01", "2027-01-01").len(), 3);
        s.end_date = None;
        s.occurrences = Some(2);
        assert_eq!(
            starts(&s, "2025-01-01", "2027-01-01"),
            ["2026-01-01", "2026-02-01"]
        );
        s.occurrences = Some(1);
        assert_eq!(starts(&s, "2025-01-01", "2027-01-01"), ["2026-01-01"]);
    }

    #[test]
    fn an_instance_covers_its_duration_and_ends_the_day_after() {
        let s = schedule("2026-03-02", Recurrence::Quarterly, 14);
        let i = s.instance(0).unwrap();
        assert_eq!(i.end, d("2026-03-16"));
        assert_eq!(i.reminder, Some(d("2026-03-09")));
        assert!(!i.open_on(d("2026-03-01")));
        assert!(i.open_on(d("2026-03-02")));
        assert!(i.open_on(d("2026-03-15")));
        assert!(!i.open_on(d("2026-03-16")));
        // One day: no midpoint.
        let s = schedule("2026-03-02", Recurrence::Weekly, 1);
        assert_eq!(s.instance(0).unwrap().reminder, None);
        assert_eq!(s.instance(0).unwrap().end, d("2026-03-03"));
        // Reminders off.
        let mut s = schedule("2026-03-02", Recurrence::Weekly, 7);
        s.reminders = false;
        assert_eq!(s.instance(0).unwrap().reminder, None);
    }

    #[test]
    fn an_instance_touches_a_window_from_its_start_to_its_end() {
        let s = schedule("2026-03-02", Recurrence::Quarterly, 14);
        // The day before the start, the start, the end, the day after the end.
        assert!(starts(&s, "2026-03-01", "2026-03-01").is_empty());
        assert_eq!(starts(&s, "2026-03-02", "2026-03-02"), ["2026-03-02"]);
        assert_eq!(starts(&s, "2026-03-16", "2026-03-16"), ["2026-03-02"]);
        assert!(starts(&s, "2026-03-17", "2026-03-17").is_empty());
        // A far window finds its instance without counting from the first.
        assert_eq!(starts(&s, "2126-06-01", "2126-06-30"), ["2126-06-02"]);
        assert!(starts(&s, "2025-01-01", "2026-03-01").is_empty());
    }

    #[test]
    fn the_first_touching_instance_is_never_skipped() {
        for recurrence in [
            Recurrence::Weekly,
            Recurrence::Monthly,
            Recurrence::Quarterly,
            Recurrence::SemiAnnually,
            Recurrence::Annually,
        ] {
            for duration in [1, 6, 7, 28] {
                let s = schedule("2024-01-31", recurrence, duration);
                let all: Vec<Instance> = (0..400).filter_map(|n| s.instance(n)).collect();
                let mut day = d("2024-01-01");
                while day < d("2030-01-01") {
                    let want: Vec<Instance> = all
                        .iter()
                        .copied()
                        .filter(|i| i.start <= day && i.end >= day)
                        .collect();
                    assert_eq!(s.touching(Window::day(day)), want, "{recurrence:?} {day}");
                    day += TimeDelta::days(5);
                }
            }
        }
    }
}
