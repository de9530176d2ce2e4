//! Guests in access reviews (`guests_only: true` on a review of an access package or a
//! group): the reviewees are the guests of connected organisations whose assignment of the
//! package (for a group: of a package whose resources include the group, the only way a guest
//! is in a group) is held when an instance starts; a denial (recorded, or the default `deny`
//! for a guest nobody reviewed) ends the guest's assignments of the package (for a group: of
//! every package that gives the guest the group) on the instance's end day, when the review
//! applies its results (`auto_apply`). Then, as for any loss of the last assignment,
//! the tenant's external-user settings block and remove the guest; with
//! `denied_guests: block_and_delete` (Entra's `disableAndDeleteUserApplyAction`) the guest is
//! blocked on the end day and removed 30 days later, whatever else they hold.
//!
//! Decisions for guests name the guest's e-mail address as `reviewee` and are checked here
//! (fail closed: a decision that fails a check takes no effect, with a warning): the reviewee
//! holds the package at the instance's start (`E161`), and the reviewer may decide for a guest
//! (`E162`): a named `user`, a member of a named static `group`, the guest for `self_review`;
//! guests have no manager in the directory and a package has no owners, so `manager` and
//! `group_owners` name nobody and the `fallback_reviewers` decide.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeDelta};

use super::assignments::{Record, Who};
use super::reviews::{Schedule, date};
use crate::codes::Code;
use crate::ingest::DataIssue;
use crate::policy::load::Loaded;
use crate::policy::raw::{self, Decision, DefaultDecision, DeniedGuests, ReviewScope};

/// Days from a `block_and_delete` denial to the guest's removal (Entra's fixed 30 days).
pub const DELETE_AFTER_DAYS: i64 = 30;

/// A guest's denial in an access review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The guest's address (lower case).
    pub email: String,
    /// The access package whose assignment ends (the reviewed one, or one that gives the
    /// reviewed group).
    pub package: String,
    /// The reviewed group, for a review of a group.
    pub group: Option<String>,
    /// The review.
    pub review: String,
    /// The instance's end: the day the assignment ends.
    pub day: NaiveDate,
    /// Whether the guest is blocked and deleted (rather than only losing the assignment).
    pub block_and_delete: bool,
    /// Recorded (else the default decision).
    pub recorded: bool,
}

/// The most instances followed for one guest (a review's `occurrences` is at most 1,000).
const MAX_INSTANCES: u32 = 1_000;

/// Every guest denial of every guests-only package review, and the problems with the
/// decisions about guests (`E161`, `E162`), in review order.
pub fn denials(loaded: &Loaded, records: &[Record]) -> (Vec<Denial>, Vec<DataIssue>) {
    let mut out = Vec::new();
    let mut issues = Vec::new();
    for f in &loaded.files {
        for (name, review) in &f.policy.reviews {
            let r = &review.value;
            if !r.guests_only.as_ref().is_some_and(|g| g.value) {
                continue;
            }
            // The packages whose assignments give the reviewed access: the package itself, or
            // for a group every package whose resources include it.
            let (packages, reviewed, group): (Vec<String>, String, Option<String>) =
                match &r.scope.value {
                    ReviewScope::AccessPackage(p) => (
                        vec![p.value.clone()],
                        format!("access package `{}`", p.value),
                        None,
                    ),
                    ReviewScope::Group(g) => (
                        crate::eval::access::raw_packages(loaded)
                            .into_iter()
                            .filter(|(_, pkg)| {
                                pkg.resources.iter().any(|res| {
                                    matches!(&res.value, raw::Resource::Group(x) if x.value == g.value)
                                })
                            })
                            .map(|(n, _)| n)
                            .collect(),
                        format!("group `{}` (through an access package)", g.value),
                        Some(g.value.clone()),
                    ),
                    ReviewScope::Target(_) => continue,
                };
            let Some(schedule) = Schedule::of(r) else {
                continue;
            };
            let decisions = recorded(loaded, &name.value);
            // The guests' records of the package, by address.
            let mut held: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
            for rec in records {
                if let Who::Guest(g) = &rec.who
                    && packages.contains(&rec.package)
                    && rec.grants()
                {
                    held.entry(g.email.as_str()).or_default().push(rec);
                }
            }
            // Decisions about guests, checked.
            let mut valid: BTreeMap<(NaiveDate, String), (NaiveDate, Decision)> = BTreeMap::new();
            for (file, instance, d) in &decisions {
                let reviewee = d.value.reviewee.value.to_lowercase();
                if !reviewee.contains('@') {
                    continue;
                }
                let Some(start) = date(&instance.value) else {
                    continue;
                };
                let Some(inst) = schedule.starting_on(start) else {
                    continue;
                };
                let Some(day) = date(&d.value.date.value).filter(|day| inst.open_on(*day)) else {
                    continue;
                };
                let at = crate::eval::locate::policy_place(loaded, *file, d.span);
                let problem = |code: Code, field: &str, message: String, help: &str| {
                    let names = (name.value.as_str(), instance.value.as_str());
                    super::reviews::decision_problem(&at, names, code, field, message, help)
                };
                let holds = held
                    .get(reviewee.as_str())
                    .is_some_and(|rs| rs.iter().any(|rec| rec.held_on(inst.start)));
                if !holds {
                    issues.push(problem(
                        Code::ReviewDecisionOutOfScope,
                        "reviewee",
                        format!(
                            "guest `{reviewee}` does not hold {reviewed} when review `{}` starts on {}: the decision takes no effect",
                            name.value, inst.start
                        ),
                        "decide only for the guests who hold the reviewed access at the instance's start",
                    ));
                    continue;
                }
                if !allowed(loaded, r, &reviewee, &d.value.reviewer.value) {
                    issues.push(problem(
                        Code::ReviewDecisionReviewerNotAllowed,
                        "reviewer",
                        format!(
                            "`{}` may not decide for guest `{reviewee}` in review `{}`: the decision takes no effect",
                            d.value.reviewer.value, name.value
                        ),
                        "for a guest: a named `user`, a member of a named static `group`, the guest with `self_review`, or the `fallback_reviewers` when the reviewers name nobody (`manager`, `group_owners`)",
                    ));
                    continue;
                }
                let key = (inst.start, reviewee);
                match valid.get(&key) {
                    Some((earlier, _)) if *earlier > day => {}
                    _ => {
                        valid.insert(key, (day, d.value.decision.value));
                    }
                }
            }
            if !r.auto_apply.value {
                continue;
            }
            let block_and_delete = r
                .denied_guests
                .as_ref()
                .is_some_and(|d| d.value == DeniedGuests::BlockAndDelete);
            for (email, recs) in &held {
                for n in 0..MAX_INSTANCES {
                    let Some(inst) = schedule.instance(n) else {
                        break;
                    };
                    if !recs.iter().any(|rec| rec.held_on(inst.start)) {
                        // Not held at this start: reviewed again once held (a later record).
                        if recs
                            .iter()
                            .all(|rec| rec.stop().is_some_and(|s| s.date() <= inst.start))
                        {
                            break;
                        }
                        continue;
                    }
                    let decided = valid
                        .get(&(inst.start, (*email).to_string()))
                        .map(|(_, d)| *d);
                    let (deny, recorded) = match decided {
                        Some(Decision::Deny) => (true, true),
                        Some(Decision::Approve) => (false, true),
                        Some(Decision::DontKnow) | None => {
                            (r.default_decision.value == DefaultDecision::Deny, false)
                        }
                    };
                    if deny {
                        let mut held_then: Vec<&str> = recs
                            .iter()
                            .filter(|rec| rec.held_on(inst.start))
                            .map(|rec| rec.package.as_str())
                            .collect();
                        held_then.sort_unstable();
                        held_then.dedup();
                        for package in held_then {
                            out.push(Denial {
                                email: (*email).to_string(),
                                package: package.to_string(),
                                group: group.clone(),
                                review: name.value.clone(),
                                day: inst.end,
                                block_and_delete,
                                recorded,
                            });
                        }
                        break;
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| (&a.email, a.day, &a.package).cmp(&(&b.email, b.day, &b.package)));
    (out, issues)
}

/// The decisions recorded for review `name`: (file, instance, decision).
fn recorded<'a>(
    loaded: &'a Loaded,
    name: &str,
) -> Vec<(
    crate::diagnostics::FileId,
    &'a crate::yaml::Sp<String>,
    &'a crate::yaml::Sp<raw::ReviewDecision>,
)> {
    let mut out = Vec::new();
    for f in &loaded.files {
        for (review, instances) in &f.policy.review_decisions {
            if review.value != name {
                continue;
            }
            for (instance, decisions) in &instances.value {
                for d in decisions {
                    out.push((f.id, instance, d));
                }
            }
        }
    }
    out
}

/// Whether `reviewer` may decide for guest `email` in review `r`.
fn allowed(loaded: &Loaded, r: &raw::Review, email: &str, reviewer: &str) -> bool {
    let names = |list: &[crate::yaml::Sp<raw::Reviewer>]| -> (bool, bool) {
        // (names someone for a guest, allows this reviewer)
        let mut someone = false;
        let mut ok = false;
        for x in list {
            match &x.value {
                raw::Reviewer::Manager | raw::Reviewer::GroupOwners => {}
                raw::Reviewer::SelfReview => {
                    someone = true;
                    ok |= reviewer.eq_ignore_ascii_case(email);
                }
                raw::Reviewer::User(k) => {
                    someone = true;
                    ok |= k.value == reviewer;
                }
                raw::Reviewer::Group(g) => {
                    someone = true;
                    ok |= static_member(loaded, &g.value, reviewer);
                }
            }
        }
        (someone, ok)
    };
    let (someone, ok) = names(&r.reviewers);
    if ok {
        return true;
    }
    // Fallback reviewers decide only when the reviewers name nobody for a guest.
    !someone && names(&r.fallback_reviewers).1
}

fn static_member(loaded: &Loaded, group: &str, key: &str) -> bool {
    loaded
        .files
        .iter()
        .flat_map(|f| f.policy.groups.iter())
        .find(|(n, _)| n.value == group)
        .is_some_and(|(_, g)| {
            g.value.rule.is_none() && g.value.members.iter().flatten().any(|m| m.value == key)
        })
}

/// The day `rec` stops once the denials are applied: its own stop, or the first denial of its
/// guest for its package (every package for `block_and_delete`) after its start.
pub fn stop(rec: &Record, denials: &[Denial]) -> Option<NaiveDate> {
    let Who::Guest(g) = &rec.who else {
        return rec.stop().map(|s| s.date());
    };
    let own = rec.stop().map(|s| s.date());
    let cut = denials
        .iter()
        .filter(|d| d.email == g.email && (d.block_and_delete || d.package == rec.package))
        .map(|d| d.day)
        .filter(|day| *day > rec.start.date())
        .min();
    match (own, cut) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether `rec` is held on `d` once the denials are applied.
pub fn held_on(rec: &Record, denials: &[Denial], d: NaiveDate) -> bool {
    rec.grants() && rec.start.date() <= d && stop(rec, denials).is_none_or(|s| s > d)
}

/// The guest's `block_and_delete` denial, if any: (day blocked, day removed).
pub fn blocked_and_deleted(email: &str, denials: &[Denial]) -> Option<(NaiveDate, NaiveDate)> {
    let day = denials
        .iter()
        .filter(|d| d.email == email && d.block_and_delete)
        .map(|d| d.day)
        .min()?;
    Some((
        day,
        day.checked_add_signed(TimeDelta::try_days(DELETE_AFTER_DAYS)?)?,
    ))
}
