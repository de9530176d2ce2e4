//! Lifecycle over time: what happens to whom, and when.
//!
//! `eval` gives the desired state on one date. Governance adds the things that happen on
//! dates: lifecycle transitions (pre-hire, hire, leave, end of retention), lifecycle workflow
//! runs and their tasks, access-package assignments requested and approved in git with their
//! start and expiry, guests from connected organisations, and access-review instances with
//! their recorded decisions. Each is an [`Event`] on a day; events that change access carry
//! [`Effect`]s.
//!
//! Two uses share one model:
//! - the calendar ([`events`]): every event in a window, for `roster calendar`;
//! - the desired state: the effects of every event up to the as-of date are applied to it
//!   (stage 5b of `eval`, between access and accounts).
//!
//! Every producer is a pure function of the evaluated population (attributes and lifecycle on
//! the as-of date, which fixes who is in each workflow's scope), the policy files (records,
//! schedules) and the day: the events of a window are exactly the union of the events of its
//! days. Dates are UTC days; Entra's scheduler runs every 1 to 24 hours, so an event dated a
//! day happens during that day.

pub mod apply;
pub mod assignments;
pub mod calendar;
pub mod carried;
pub mod catalogue;
pub mod email;
pub mod grace;
pub mod guest_reviews;
pub mod guests;
pub mod previous;
pub mod reviews;
pub mod signins;
pub mod transitions;
pub mod workflows;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Serialize;

use crate::column::Column;
use crate::eval::Lifecycle;
use crate::eval::correlate::Person;
use crate::eval::report::PolicyPlace;
use crate::policy::Policy;
use crate::policy::load::Loaded;
use crate::rule::sets::Bitset;

/// A window of days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The first day.
    pub from: NaiveDate,
    /// The last day (not before `from`).
    pub to: NaiveDate,
}

impl Window {
    /// The window of one day.
    pub fn day(d: NaiveDate) -> Window {
        Window { from: d, to: d }
    }

    /// Whether `d` is in the window.
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }

    /// The days of the window, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(|d| *d <= self.to)
    }
}

/// The evaluated population that events are computed from: the people in key order, their
/// attributes and lifecycle on the as-of date, and the groups and packages they hold.
#[derive(Clone, Copy)]
pub struct View<'a> {
    /// The policy files (workflows, records, reviews, settings).
    pub loaded: &'a Loaded,
    /// The checked policy (compiled rules).
    pub policy: &'a Policy,
    /// The people, sorted by key.
    pub people: &'a [Person],
    /// Identity attributes, in declaration order.
    pub attributes: &'a [(String, Column)],
    /// Each identity's lifecycle on the as-of date.
    pub lifecycle: &'a [Lifecycle],
    /// Groups by name, sorted; members.
    pub groups: &'a [(String, Bitset)],
    /// Access packages by name, sorted; assignments.
    pub packages: &'a [(String, Bitset)],
    /// The as-of date of the evaluation.
    pub as_of: NaiveDate,
    /// The previous desired state (`--previous FILE`), which change triggers compare with.
    pub previous: Option<&'a previous::Previous>,
    /// Each identity's last sign-in (Graph `signInActivity.lastSignInDateTime`), by index, when
    /// an actual state carries them; `None` without one. Access reviews' `recommendation`
    /// needs it: without it there is no recommendation.
    pub last_sign_in: Option<&'a [Option<NaiveDate>]>,
    /// The people in an auto-assignment's grace period ([`grace`]), as the access stage found
    /// them (empty before it: the fold does not need them).
    pub grace: &'a [grace::InGrace],
    /// The runs of group-membership triggers on the as-of date, as `eval` found them once the
    /// access stage had decided the groups ([`workflows::membership_runs`]); empty before it.
    /// The calendar lists them from here, so that it shows the runs `eval` shows.
    pub membership_runs: &'a [Event],
}

impl View<'_> {
    /// The column of identity attribute `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.attributes
            .iter()
            .find(|(a, _)| a == name)
            .map(|(_, c)| c)
    }

    /// The key of identity `i`.
    pub fn key(&self, i: usize) -> &str {
        self.people.get(i).map_or("", |p| p.key.as_str())
    }
}

/// What an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The pre-hire window opens: the account is created, disabled.
    PreHire,
    /// The hire date: the account is enabled.
    Hire,
    /// The day after the leave date: the account is disabled.
    Leave,
    /// The end of the retention window: the account is deleted.
    RetentionEnd,
    /// A lifecycle workflow runs for one identity.
    WorkflowRun,
    /// An access-package assignment starts.
    AssignmentStart,
    /// An access-package assignment reminder before its expiry (14 days and 1 day before).
    AssignmentReminder,
    /// An access-package assignment expires.
    AssignmentExpiry,
    /// An access-package assignment is revoked.
    AssignmentRevoked,
    /// An auto-assignment's grace period ends: access kept after the rule stopped matching
    /// is removed.
    GraceEnd,
    /// A guest from a connected organisation is invited.
    GuestInvited,
    /// A guest's sign-in is blocked (their last assignment ended).
    GuestBlocked,
    /// A guest is removed from the directory.
    GuestRemoved,
    /// A static member removed by an access review is listed again (`relisted`): added back
    /// to the group. Before the review kinds, so that a review's removal the same day wins.
    Relisted,
    /// An access-review instance starts.
    ReviewStart,
    /// An access-review instance's midpoint reminder.
    ReviewReminder,
    /// An access-review instance ends (its deadline); decisions are applied.
    ReviewEnd,
    /// The effects of a change-triggered workflow run, carried from the previous state
    /// ([`carried`]): folded on the day of the run, after every other event of that day.
    /// Never in a calendar or a report: only the fold reads them (so not in the schemas).
    #[schemars(skip)]
    Carried,
}

impl EventKind {
    /// The kind's name, as reports write it.
    pub fn word(self) -> &'static str {
        match self {
            EventKind::PreHire => "pre_hire",
            EventKind::Hire => "hire",
            EventKind::Leave => "leave",
            EventKind::RetentionEnd => "retention_end",
            EventKind::WorkflowRun => "workflow_run",
            EventKind::AssignmentStart => "assignment_start",
            EventKind::AssignmentReminder => "assignment_reminder",
            EventKind::AssignmentExpiry => "assignment_expiry",
            EventKind::AssignmentRevoked => "assignment_revoked",
            EventKind::GraceEnd => "grace_end",
            EventKind::GuestInvited => "guest_invited",
            EventKind::GuestBlocked => "guest_blocked",
            EventKind::GuestRemoved => "guest_removed",
            EventKind::Relisted => "relisted",
            EventKind::ReviewStart => "review_start",
            EventKind::ReviewReminder => "review_reminder",
            EventKind::ReviewEnd => "review_end",
            EventKind::Carried => "carried",
        }
    }
}

/// Who an event is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Subject {
    /// An identity from the systems of record, by key.
    Identity(String),
    /// A guest from a connected organisation, by e-mail address.
    Guest(String),
    /// No one person: an object such as a review instance.
    Object(String),
}

impl Subject {
    /// The identifier (key, address or object name).
    pub fn id(&self) -> &str {
        match self {
            Subject::Identity(s) | Subject::Guest(s) | Subject::Object(s) => s,
        }
    }
}

/// A change an event makes to the desired state.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "effect", content = "name")]
pub enum Effect {
    /// The account is enabled.
    EnableAccount,
    /// The account is disabled (a guest: sign-in blocked).
    DisableAccount,
    /// The user is deleted.
    DeleteUser,
    /// Added to a group.
    AddToGroup(String),
    /// Removed from a group.
    RemoveFromGroup(String),
    /// Removed from every group it can be removed from (not dynamic groups).
    RemoveFromAllGroups,
    /// Assigned an access package.
    AssignPackage(String),
    /// An access-package assignment removed.
    RemovePackage(String),
    /// Every access-package assignment removed.
    RemoveAllPackages,
}

/// One task of a workflow run, as it will run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TaskRun {
    /// The task's name (the policy's name for it, such as `send_email`).
    pub task: String,
    /// Entra's task definition id.
    pub definition_id: String,
    /// A one-line description of what it does for this identity.
    pub summary: String,
    /// Whether a failure of this task lets the later ones run.
    pub continue_on_error: bool,
    /// Why it will not run or will fail (a missing manager e-mail, a disabled task), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The e-mail it sends, placeholders resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
}

/// An e-mail a task sends, as the recipient will read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Email {
    /// The recipient's address (absent when unknown: the task fails).
    pub to: Option<String>,
    /// The addresses of the people who get a copy.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
    /// The subject.
    pub subject: String,
    /// The body.
    pub body: String,
}

/// One scheduled event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Event {
    /// The day (UTC).
    #[schemars(with = "String")]
    pub date: NaiveDate,
    /// What happens.
    pub kind: EventKind,
    /// To whom.
    pub subject: Subject,
    /// What it comes from: `lifecycle`, `workflow:NAME`, `assignment:ID`, `review:NAME`,
    /// `connected_organization:NAME`.
    pub source: String,
    /// One line, for people.
    pub summary: String,
    /// Its effects on the desired state, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<Effect>,
    /// A workflow run's tasks, in execution order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<TaskRun>,
    /// Where it is declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_at: Option<PolicyPlace>,
}

impl Event {
    /// The order of events: by day, then kind, then source, then subject.
    pub fn sort_key(&self) -> (NaiveDate, EventKind, &str, &Subject) {
        (self.date, self.kind, self.source.as_str(), &self.subject)
    }
}

/// How much of each event a producer builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Everything: tasks, rendered e-mails, summaries (the calendar, the as-of day's events).
    Full,
    /// Only events that have effects, with their effects (the fold of the history up to the
    /// as-of date, over every identity): producers skip events without effects and need not
    /// render tasks or e-mails.
    Effects,
}

/// Every event in `window`, sorted ([`Event::sort_key`]).
pub fn events(view: &View<'_>, window: Window) -> Vec<Event> {
    collect(view, window, Detail::Full)
}

/// The events in `window` at `detail`, sorted. Each producer of events is called here.
pub fn collect(view: &View<'_>, window: Window, detail: Detail) -> Vec<Event> {
    let mut out = Vec::new();
    if detail == Detail::Full {
        // Transitions change the lifecycle itself, which `eval` computes: no effects.
        transitions::events(view, window, &mut out);
    }
    workflows::events(view, window, detail, &mut out);
    assignments::events(view, window, detail, &mut out);
    guests::events(view, window, detail, &mut out);
    reviews::events(view, window, detail, &mut out);
    grace::events(view, window, detail, &mut out);
    sort(&mut out);
    out
}

/// Sorts events into report order.
pub fn sort(events: &mut [Event]) {
    events.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

impl<'a> View<'a> {
    /// The lifecycle rules the identity settings give (the defaults without them).
    pub fn lifecycle_rules(&self) -> crate::eval::lifecycle::Rules {
        let identity = self
            .loaded
            .files
            .iter()
            .find_map(|f| f.policy.identity.as_ref())
            .map(|i| &i.value);
        crate::eval::lifecycle::Rules::new(identity)
    }

    /// What scope rules are decided with: midnight (UTC) of the as-of date as `now`.
    pub fn rule_context(&self) -> crate::rule::RuleContext {
        crate::rule::RuleContext {
            now: self.as_of.and_hms_opt(0, 0, 0).unwrap_or_default(),
        }
    }

    /// The index of the identity with `key` (the people are sorted by key).
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.people
            .binary_search_by(|p| p.key.as_str().cmp(key))
            .ok()
    }

    /// The identity attributes, as the population that scope rules are decided over set-wise.
    pub fn population(&self) -> crate::rule::sets::Population<'a> {
        let mut population = crate::rule::sets::Population::new(self.people.len());
        for (name, column) in self.attributes {
            population.insert(name, column);
        }
        population
    }

    /// The view of an evaluated desired state.
    pub fn of(
        loaded: &'a Loaded,
        policy: &'a Policy,
        state: &'a crate::eval::DesiredState,
    ) -> View<'a> {
        let ids = &state.identities;
        View {
            loaded,
            policy,
            people: &ids.people,
            attributes: &ids.attributes,
            lifecycle: &ids.lifecycle,
            groups: &ids.groups,
            packages: &ids.packages,
            as_of: state.as_of,
            previous: None,
            last_sign_in: state.last_sign_in.as_deref(),
            grace: &ids.grace,
            membership_runs: &state.membership_runs,
        }
    }

    /// The same view with a previous desired state to compare with.
    #[must_use]
    pub fn with_previous(mut self, previous: Option<&'a previous::Previous>) -> View<'a> {
        self.previous = previous;
        self
    }
}
