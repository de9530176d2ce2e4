//! The grace period of an auto-assignment (`auto_assignment.grace_period_days`): access kept
//! for N days after a person stops matching the package's rule (Entra's "grace period before
//! access removal"), decided against the previous state (`--previous FILE`).
//!
//! - A person who held the package **by its rule** in the previous state and whose rule no
//!   longer gives it keeps it up to the day before `previous.as_of + 1 + N`, the **grace end**:
//!   the earliest day the rule can have stopped matching is the day after the previous state,
//!   so the grace is counted from then (fail closed: never longer than Entra's).
//! - A person the previous state already shows in grace (`access_package_origins` says
//!   `grace:DATE`) keeps it up to the day before that date: a chain of daily runs, each with
//!   the day before as its previous state, keeps the grace end of the first.
//! - A package held only through events (records, workflow tasks) has no grace: the rule did
//!   not give it.
//! - Only identities eligible for access (an account on the as-of date, not ignored) are kept
//!   in grace, as for every grant; the grace end day itself grants nothing (`grace_end`
//!   event, effect `remove_package`).
//! - Without a previous state the grace is not known: access ends the day the rule stops
//!   matching, and one warning (`D237`) names the packages whose grace period is not applied.

use chrono::{Days, NaiveDate};

use super::previous::Held;
use super::{Detail, Effect, Event, EventKind, Subject, View, Window};
use crate::codes::Code;
use crate::ingest::DataIssue;
use crate::policy::load::Loaded;
use crate::rule::sets::Bitset;

/// One person in a package's grace period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InGrace {
    /// The identity, by index.
    pub identity: usize,
    /// The access package.
    pub package: String,
    /// The grace end: the first day the package is no longer held.
    pub ends: NaiveDate,
}

/// The access packages whose auto-assignment keeps access for a grace period (of at least a
/// day), in declaration order: the file that declares each, its name and the period.
pub fn declared(
    loaded: &Loaded,
) -> impl Iterator<
    Item = (
        &crate::policy::load::LoadedFile,
        &str,
        &crate::yaml::Sp<u32>,
    ),
> {
    loaded.files.iter().flat_map(|file| {
        file.policy
            .access_packages
            .iter()
            .filter_map(move |(name, p)| {
                let days = p
                    .value
                    .auto_assignment
                    .as_ref()
                    .and_then(|a| a.value.grace_period_days.as_ref())
                    .filter(|d| d.value > 0)?;
                Some((file, name.value.as_str(), days))
            })
    })
}

/// The grace period of access package `name`, in days, if its auto-assignment has one.
pub fn days(loaded: &Loaded, name: &str) -> Option<u32> {
    loaded
        .files
        .iter()
        .flat_map(|f| f.policy.access_packages.iter())
        .find(|(n, _)| n.value == name)
        .and_then(|(_, p)| p.value.auto_assignment.as_ref())
        .and_then(|a| a.value.grace_period_days.as_ref())
        .map(|d| d.value)
}

/// The people of `package` in grace: held by rule (or already in grace) in the previous
/// state, not held now (`held`: by rule and through events), and `eligible`; with their grace
/// end, whether or not it has passed (the caller keeps those whose end is after the as-of
/// date). Empty without a previous state or a grace period.
pub fn of_package(
    view: &View<'_>,
    package: &str,
    held: &Bitset,
    eligible: &Bitset,
) -> Vec<InGrace> {
    let (Some(previous), Some(days)) = (view.previous, days(view.loaded, package)) else {
        return Vec::new();
    };
    // A report's date bounds every grace it carries; a state taken from the directory's
    // actual state has none, and only its assignments' own grace ends count
    // (`plan::previous`).
    let from_rule = match previous.as_of {
        Some(then) => match then.checked_add_days(Days::new(1 + u64::from(days))) {
            Some(d) => Some(d),
            None => return Vec::new(),
        },
        None => None,
    };
    // Without a report's date only an assignment's own grace end counts: when the previous
    // state records none for this package, nobody is looked up (a million people for each of
    // hundreds of packages, in every plan that reads the directory).
    if from_rule.is_none() {
        let Some(p) = previous.name_index(package) else {
            return Vec::new();
        };
        let any = previous.entries.iter().any(|e| {
            e.not_by_rule
                .iter()
                .any(|(q, h)| *q == p && matches!(h, Held::Grace(_)))
        });
        if !any {
            return Vec::new();
        }
    }
    let mut out = Vec::new();
    let mut cursor = previous.cursor();
    for (i, person) in view.people.iter().enumerate() {
        if held.contains(i) || !eligible.contains(i) {
            continue;
        }
        let Some(entry) = cursor.get(&person.key) else {
            continue;
        };
        let ends = match (previous.package_held(entry, package), from_rule) {
            (Some(None), Some(from_rule)) => from_rule,
            (Some(Some(Held::Grace(d))), Some(from_rule)) => d.min(from_rule),
            (Some(Some(Held::Grace(d))), None) => d,
            (Some(None) | Some(Some(Held::Events)) | None, _) => continue,
        };
        out.push(InGrace {
            identity: i,
            package: package.to_string(),
            ends,
        });
    }
    out
}

/// The `grace_end` events in `window`: one per person in grace, on the grace end, with the
/// package's removal. Only for the calendar and the as-of day's events (`Detail::Full`): the
/// access stage keeps a person in grace itself.
pub fn events(view: &View<'_>, window: Window, detail: Detail, out: &mut Vec<Event>) {
    if detail != Detail::Full {
        return;
    }
    for g in view.grace {
        if !window.contains(g.ends) {
            continue;
        }
        out.push(Event {
            date: g.ends,
            kind: EventKind::GraceEnd,
            subject: Subject::Identity(view.key(g.identity).to_string()),
            source: format!("access_package:{}", g.package),
            summary: format!(
                "the grace period of access package `{}` ends: its auto-assignment rule no longer matches, so the assignment is removed",
                g.package
            ),
            effects: vec![Effect::RemovePackage(g.package.clone())],
            tasks: Vec::new(),
            declared_at: None,
        });
    }
}

/// Without a previous state, the warning (`D237`) that names the access packages whose grace
/// period is not applied: once, at the first.
pub fn issues(loaded: &Loaded, has_previous: bool, issues: &mut Vec<DataIssue>) {
    if has_previous {
        return;
    }
    let found: Vec<_> = declared(loaded)
        .map(|(file, name, days)| (name, file.id, days.span))
        .collect();
    let Some((first, file, span)) = found.first().copied() else {
        return;
    };
    let at = crate::eval::locate::policy_place(loaded, file, span);
    let names: Vec<String> = found.iter().map(|(n, _, _)| format!("`{n}`")).collect();
    issues.push(DataIssue {
        code: Code::NoPreviousGrace,
        severity: Code::NoPreviousGrace.severity(),
        file: at.file,
        row: Some(at.line),
        field: Some(format!("access_packages.{first}.auto_assignment.grace_period_days")),
        message: format!(
            "no previous state was given, so no grace period is known: access ends the day the rule stops matching for {}",
            names.join(", ")
        ),
        help: Some(
            "give the report `eval` wrote for an earlier date with `--previous FILE`: who held the package by its rule then keeps it for the grace period".into(),
        ),
    });
}
