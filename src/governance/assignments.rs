//! Access-package assignments kept in git: records of requests (or administrators' direct
//! assignments), their approvals, start, end and revocation, checked against the package's
//! request policy; their events (start, reminders, expiry, revocation) and effects.
//!
//! A record is checked in two steps (`docs/access-requests.md`):
//! - against the policy files alone ([`check`], run by `lint` and before `eval`): names, dates,
//!   the requestor's kind against the policy's requestors, each stage's approver against the
//!   stage's approvers, self-approval, the order and timeouts of the stages, the duration
//!   against the policy's expiry, the justification. Errors stop `lint` and `eval`; a record
//!   that was denied or timed out is a warning and grants nothing;
//! - against the data, at `eval` ([`data_problem`] before the access stage, [`verify`] after
//!   it): the requestor is an identity, an approver named as the manager is the requestor's
//!   manager, a requestor or approver named through a group is a member of it, and the person
//!   holds nothing the package is incompatible with. A record that fails any of these grants
//!   nothing and is reported (file, line of the record, field): fail closed.
//!
//! Group memberships are those of the as-of date: Roster evaluates one date, so the
//! membership on the request date is taken to be the membership on the as-of date (which is
//! stricter for a person who has since left the group: the record then grants nothing).

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

use super::{Detail, Effect, Event, EventKind, Subject, View, Window};
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, FileId, Span};
use crate::eval::locate::policy_place;
use crate::ingest::DataIssue;
use crate::policy::load::Loaded;
use crate::policy::raw;
use crate::rule::sets::Bitset;
use crate::value::Value;
use crate::yaml::Sp;

/// The days before an assignment's end that Entra reminds the holder.
pub const REMINDER_DAYS: [i64; 2] = [14, 1];

/// A record that passed the checks of the policy files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The record's name.
    pub id: String,
    /// The file that holds it.
    pub file: FileId,
    /// The record's name in the file.
    pub span: Span,
    /// Who holds the assignment.
    pub who: Who,
    /// The access package.
    pub package: String,
    /// The request policy.
    pub policy: String,
    /// When it was requested.
    pub requested: NaiveDateTime,
    /// When it was decided: the last approval (the request, without approval stages).
    pub decided: NaiveDateTime,
    /// When access starts.
    pub start: NaiveDateTime,
    /// When access ends (none: never).
    pub end: Option<NaiveDateTime>,
    /// When it was revoked, by whom and why.
    pub revoked: Option<Revoked>,
    /// Every stage approved in time (a denied or timed-out request grants nothing).
    pub approved: bool,
    /// The checks that need the data.
    pub checks: Vec<DataCheck>,
}

/// Who holds an assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// An identity, by key.
    Identity(String),
    /// A user of a connected organisation.
    Guest(Guest),
}

/// A user of a connected organisation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Guest {
    /// Their e-mail address, in lower case.
    pub email: String,
    /// Their name, if given.
    pub display_name: Option<String>,
    /// The connected organisation.
    pub organization: String,
}

/// A revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    /// When.
    pub at: NaiveDateTime,
    /// By whom.
    pub by: String,
    /// Why.
    pub reason: Option<String>,
}

/// A check of a record that needs the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataCheck {
    /// The requestor is a member of one of these groups.
    RequestorInGroups {
        /// The policy's requestor groups.
        groups: Vec<String>,
        /// The record's `identity`.
        span: Span,
    },
    /// The approver of a stage is allowed: the requestor's manager (when `manager`), a member
    /// of one of `groups`, or, when the requestor has no manager, a fallback approver.
    Approver {
        /// The stage, from 1.
        stage: usize,
        /// The approver's key.
        by: String,
        /// The decision's `by`.
        span: Span,
        /// The stage names the manager.
        manager: bool,
        /// Groups whose members may approve.
        groups: Vec<String>,
        /// The approver is a fallback user (allowed when the requestor has no manager).
        fallback: bool,
        /// Fallback groups (their members may approve when the requestor has no manager).
        fallback_groups: Vec<String>,
    },
}

impl Record {
    /// The event source: `assignment:ID`.
    pub fn source(&self) -> String {
        format!("assignment:{}", self.id)
    }

    /// The subject of its events.
    pub fn subject(&self) -> Subject {
        match &self.who {
            Who::Identity(k) => Subject::Identity(k.clone()),
            Who::Guest(g) => Subject::Guest(g.email.clone()),
        }
    }

    /// When access actually ends: the earlier of the end and the revocation (none: never).
    pub fn stop(&self) -> Option<NaiveDateTime> {
        match (self.end, self.revoked.as_ref().map(|r| r.at)) {
            (Some(e), Some(r)) => Some(e.min(r)),
            (e, r) => e.or(r),
        }
    }

    /// Whether it grants anything at all: approved, and access starts before it stops.
    pub fn grants(&self) -> bool {
        self.approved && self.stop().is_none_or(|s| s > self.start)
    }

    /// Whether the assignment is held on day `d` (after that day's events: an assignment
    /// that ends during `d` is not).
    pub fn held_on(&self, d: NaiveDate) -> bool {
        self.grants() && self.start.date() <= d && self.stop().is_none_or(|s| s.date() > d)
    }
}

/// Reads a record's date-time: `YYYY-MM-DD` (midnight UTC), or RFC 3339 (converted to UTC).
pub fn parse_at(text: &str) -> Option<NaiveDateTime> {
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && text.len() == 10
    {
        return d.and_hms_opt(0, 0, 0);
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.naive_utc())
}

fn days(n: i64) -> TimeDelta {
    TimeDelta::try_days(n).unwrap_or(TimeDelta::zero())
}

/// The records of the policy set that pass the checks of the policy files, in file order.
pub fn records(loaded: &Loaded) -> Vec<Record> {
    let mut ignored = Vec::new();
    check(loaded, &mut ignored)
}

/// Checks every record against the policy files; appends diagnostics and returns the records
/// without errors (those denied or timed out included, with `approved: false`).
pub fn check(loaded: &Loaded, diags: &mut Vec<Diagnostic>) -> Vec<Record> {
    let mut out = Vec::new();
    if loaded.files.iter().all(|f| f.policy.assignments.is_empty()) {
        return out;
    }
    // The first of each name (a second is `C301`).
    let mut packages: HashMap<&str, &raw::AccessPackage> = HashMap::new();
    let mut organizations: HashMap<&str, &raw::ConnectedOrganization> = HashMap::new();
    for f in &loaded.files {
        for (n, p) in &f.policy.access_packages {
            packages.entry(n.value.as_str()).or_insert(&p.value);
        }
        for (n, o) in &f.policy.connected_organizations {
            organizations.entry(n.value.as_str()).or_insert(&o.value);
        }
    }
    for file in &loaded.files {
        for (name, record) in &file.policy.assignments {
            let mut c = Checker {
                loaded,
                packages: &packages,
                organizations: &organizations,
                file: file.id,
                name,
                diags: Vec::new(),
            };
            let checked = c.record(&record.value);
            let failed = c.diags.iter().any(|d| d.is_error());
            diags.append(&mut c.diags);
            if let Some(r) = checked
                && !failed
            {
                out.push(r);
            }
        }
    }
    out
}

struct Checker<'a> {
    loaded: &'a Loaded,
    packages: &'a HashMap<&'a str, &'a raw::AccessPackage>,
    organizations: &'a HashMap<&'a str, &'a raw::ConnectedOrganization>,
    file: FileId,
    name: &'a Sp<String>,
    diags: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    fn emit(&mut self, span: Span, code: Code, message: String, help: &str) {
        let mut d = Diagnostic::new(code, span, message);
        d.file = self.file;
        d.help = Some(help.to_string());
        self.diags.push(d);
    }

    fn at(&mut self, value: &Sp<String>, field: &str) -> Option<NaiveDateTime> {
        let parsed = parse_at(&value.value);
        if parsed.is_none() {
            self.emit(
                value.span,
                Code::AssignmentInvalid,
                format!(
                    "`{field}` of assignment `{}` is not a date or a date-time: `{}`",
                    self.name.value,
                    crate::escape::terminal(&value.value)
                ),
                "write `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM:SSZ`",
            );
        }
        parsed
    }

    fn package(&self, name: &str) -> Option<&'a raw::AccessPackage> {
        self.packages.get(name).copied()
    }

    fn organization(&self, name: &str) -> Option<&'a raw::ConnectedOrganization> {
        self.organizations.get(name).copied()
    }

    fn unknown(&mut self, span: Span, kind: &str, name: &str, candidates: Vec<String>) {
        let help =
            match crate::diagnostics::did_you_mean(name, candidates.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None if candidates.is_empty() => format!("no {kind} is defined there"),
                None => format!(
                    "the {kind}s are {}",
                    candidates
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
        self.emit(
            span,
            Code::UnknownReference,
            format!("unknown {kind} `{}`", crate::escape::terminal(name)),
            &help,
        );
    }

    #[allow(
        clippy::too_many_lines,
        reason = "one rule after the other, in the order of the record"
    )]
    fn record(&mut self, r: &'a raw::Assignment) -> Option<Record> {
        let id = self.name.value.clone();
        // Who.
        let who = match (&r.identity, &r.guest) {
            (Some(k), None) => Who::Identity(k.value.clone()),
            (None, Some(g)) => Who::Guest(Guest {
                email: g.value.email.value.to_lowercase(),
                display_name: g.value.display_name.as_ref().map(|d| d.value.clone()),
                organization: g.value.organization.value.clone(),
            }),
            (Some(k), Some(_)) => {
                self.emit(
                    k.span,
                    Code::AssignmentInvalid,
                    format!("assignment `{id}` names both an `identity` and a `guest`"),
                    "an assignment is for one person: an identity key, or a guest of a connected organisation",
                );
                return None;
            }
            (None, None) => {
                self.emit(
                    self.name.span,
                    Code::AssignmentInvalid,
                    format!("assignment `{id}` names no `identity` and no `guest`"),
                    "write `identity: KEY`, or `guest: {email: ..., organization: ...}`",
                );
                return None;
            }
        };
        let who_span = r
            .identity
            .as_ref()
            .map(|k| k.span)
            .or(r.guest.as_ref().map(|g| g.span))
            .unwrap_or(self.name.span);
        // The package and its policy.
        let Some(pkg) = self.package(&r.package.value) else {
            let candidates = self
                .loaded
                .files
                .iter()
                .flat_map(|f| f.policy.access_packages.keys())
                .map(|n| n.value.clone())
                .collect();
            self.unknown(
                r.package.span,
                "access package",
                &r.package.value,
                candidates,
            );
            return None;
        };
        let Some(policy) = pkg
            .policies
            .iter()
            .find(|(n, _)| n.value == r.policy.value)
            .map(|(_, p)| &p.value)
        else {
            let candidates = pkg.policies.keys().map(|n| n.value.clone()).collect();
            self.unknown(
                r.policy.span,
                &format!("request policy of access package `{}`", r.package.value),
                &r.policy.value,
                candidates,
            );
            return None;
        };
        // The guest's organisation and domain.
        let mut org: Option<&raw::ConnectedOrganization> = None;
        if let (Who::Guest(g), Some(raw_guest)) = (&who, &r.guest) {
            let gs = &raw_guest.value;
            match self.organization(&g.organization) {
                None => {
                    let candidates = self
                        .loaded
                        .files
                        .iter()
                        .flat_map(|f| f.policy.connected_organizations.keys())
                        .map(|n| n.value.clone())
                        .collect();
                    self.unknown(
                        gs.organization.span,
                        "connected organization",
                        &g.organization,
                        candidates,
                    );
                    return None;
                }
                Some(o) => {
                    org = Some(o);
                    let domain = g.email.rsplit_once('@').map(|(_, d)| d);
                    let valid_local = g.email.split_once('@').is_some_and(|(l, _)| !l.is_empty());
                    if !valid_local || domain != Some(o.domain.value.to_lowercase().as_str()) {
                        self.emit(
                            gs.email.span,
                            Code::GuestDomainMismatch,
                            format!(
                                "guest `{}` is not an address of connected organization `{}`, whose domain is `{}`",
                                crate::escape::terminal(&gs.email.value),
                                g.organization,
                                crate::escape::terminal(&o.domain.value)
                            ),
                            "a connected organisation's users sign in with addresses of its domain; write the guest's address there, or name the organisation they belong to",
                        );
                    }
                }
            }
        }
        // Dates.
        let requested = self.at(&r.requested, "requested");
        let mut decisions = Vec::new();
        for d in &r.approvals {
            decisions.push(self.at(&d.value.at, "approvals.at"));
        }
        let start = r.start.as_ref().map(|s| (s, self.at(s, "start")));
        let end = r.end.as_ref().map(|e| (e, self.at(e, "end")));
        let revoked_at = r
            .revoked
            .as_ref()
            .map(|v| self.at(&v.value.at, "revoked.at"));
        // Requestors.
        let direct = r.assigned_by.is_some();
        let mut checks = Vec::new();
        let scope_problem: Option<String> = match (&policy.requestors.value, &who) {
            (raw::Requestors::None, _) if !direct => Some(format!(
                "request policy `{}` takes no requests (`requestors: none`): only an administrator assigns it",
                r.policy.value
            )),
            (raw::Requestors::None, _) => None,
            (raw::Requestors::AllMembers | raw::Requestors::AllUsers, Who::Identity(_)) => None,
            (raw::Requestors::Groups(groups), Who::Identity(_)) => {
                checks.push(DataCheck::RequestorInGroups {
                    groups: groups.iter().map(|g| g.value.clone()).collect(),
                    span: who_span,
                });
                None
            }
            (
                raw::Requestors::ConnectedOrganizations(_)
                | raw::Requestors::AllConnectedOrganizations,
                Who::Identity(k),
            ) => Some(format!(
                "request policy `{}` is for users of connected organisations, and `{}` is an identity of the directory",
                r.policy.value,
                crate::escape::terminal(k)
            )),
            (raw::Requestors::ConnectedOrganizations(orgs), Who::Guest(g)) => {
                if orgs.iter().any(|o| o.value == g.organization) {
                    None
                } else {
                    Some(format!(
                        "request policy `{}` does not take requests from connected organization `{}`",
                        r.policy.value, g.organization
                    ))
                }
            }
            (raw::Requestors::AllConnectedOrganizations, Who::Guest(g)) => {
                if org
                    .and_then(|o| o.state.as_ref())
                    .is_some_and(|s| s.value == raw::OrganizationState::Proposed)
                {
                    Some(format!(
                        "connected organization `{}` is `proposed`, and request policy `{}` takes requests from configured organisations only",
                        g.organization, r.policy.value
                    ))
                } else {
                    None
                }
            }
            (
                raw::Requestors::AllMembers
                | raw::Requestors::AllUsers
                | raw::Requestors::Groups(_),
                Who::Guest(g),
            ) => Some(format!(
                "request policy `{}` is for users of the directory, and `{}` is a user of connected organization `{}`",
                r.policy.value,
                crate::escape::terminal(&g.email),
                g.organization
            )),
        };
        if let Some(message) = scope_problem {
            self.emit(
                who_span,
                Code::AssignmentOutOfScope,
                format!("assignment `{id}`: {message}"),
                "name a request policy of the package whose requestors include this person (an administrator's direct assignment says `assigned_by: KEY`)",
            );
        }
        // Self-approval and self-assignment.
        let requestor = match &who {
            Who::Identity(k) => k.clone(),
            Who::Guest(g) => g.email.clone(),
        };
        if let Some(by) = &r.assigned_by
            && by.value.to_lowercase() == requestor.to_lowercase()
        {
            self.emit(
                by.span,
                Code::AssignmentSelfApproval,
                format!("assignment `{id}` is assigned by the person it is for"),
                "an administrator cannot assign access to themselves through a record; another administrator assigns it",
            );
        }
        for d in &r.approvals {
            if d.value.by.value.to_lowercase() == requestor.to_lowercase() {
                self.emit(
                    d.value.by.span,
                    Code::AssignmentSelfApproval,
                    format!(
                        "assignment `{id}` is approved by its own requestor `{}`",
                        crate::escape::terminal(&d.value.by.value)
                    ),
                    "Entra does not let approvers approve their own requests; another approver of the stage decides",
                );
            }
        }
        // Stages.
        let stages = &policy.approval;
        if r.approvals.len() > stages.len() {
            let span = r
                .approvals
                .get(stages.len())
                .map_or(self.name.span, |d| d.span);
            self.emit(
                span,
                Code::AssignmentApprover,
                format!(
                    "assignment `{id}` has {} approval decisions, and request policy `{}` has {} approval stages",
                    r.approvals.len(),
                    r.policy.value,
                    stages.len()
                ),
                "record one decision per stage of the policy, in stage order",
            );
        }
        let denied = r
            .approvals
            .iter()
            .position(|d| d.value.decision.value == raw::ApproverVerdict::Deny);
        if denied.is_none() && r.approvals.len() < stages.len() {
            self.emit(
                self.name.span,
                Code::AssignmentApprover,
                format!(
                    "assignment `{id}` has {} approval decisions, and request policy `{}` has {} approval stages",
                    r.approvals.len(),
                    r.policy.value,
                    stages.len()
                ),
                "record one decision per stage of the policy, in stage order; a request is approved when every stage approves",
            );
        }
        if let Some(k) = denied
            && k + 1 < r.approvals.len()
        {
            let span = r.approvals.get(k + 1).map_or(self.name.span, |d| d.span);
            self.emit(
                span,
                Code::AssignmentApprover,
                format!(
                    "assignment `{id}` has a decision after stage {} denied it",
                    k + 1
                ),
                "a deny ends the request: no later stage decides",
            );
        }
        let mut approved = denied.is_none();
        let mut previous = requested;
        for (k, (d, stage)) in r.approvals.iter().zip(stages.iter()).enumerate() {
            let d = &d.value;
            self.approver(&id, k + 1, d, &stage.value, &who, org, &mut checks);
            let at = decisions.get(k).copied().flatten();
            if let (Some(at), Some(prev)) = (at, previous) {
                if at < prev {
                    self.emit(
                        d.at.span,
                        Code::AssignmentApprover,
                        format!(
                            "stage {} of assignment `{id}` is decided before {}",
                            k + 1,
                            if k == 0 { "the request".to_string() } else { format!("stage {}", k) }
                        ),
                        "stages decide in order, each after the one before (the first after the request)",
                    );
                } else if at - prev > days(i64::from(stage.value.timeout_days.value)) {
                    approved = false;
                    self.emit(
                        d.at.span,
                        Code::AssignmentNotApproved,
                        format!(
                            "stage {} of assignment `{id}` decided after its {} days: Entra denied the request when the time ran out, so it grants nothing",
                            k + 1,
                            stage.value.timeout_days.value
                        ),
                        "a request not decided within the stage's `timeout_days` is denied; record the new request that followed",
                    );
                }
            }
            previous = at;
        }
        if let Some(k) = denied
            && let Some(d) = r.approvals.get(k)
        {
            self.emit(
                d.value.decision.span,
                Code::AssignmentNotApproved,
                format!(
                    "stage {} of assignment `{id}` denied the request, so it grants nothing",
                    k + 1
                ),
                "keep the record as history, or remove it",
            );
        }
        // Justification.
        if policy.justification.as_ref().is_some_and(|j| j.value)
            && r.justification
                .as_ref()
                .is_none_or(|j| j.value.trim().is_empty())
        {
            self.emit(
                r.justification.as_ref().map_or(self.name.span, |j| j.span),
                Code::AssignmentJustification,
                format!(
                    "assignment `{id}` has no justification, and request policy `{}` requires one",
                    r.policy.value
                ),
                "write the requestor's `justification`",
            );
        }
        // Start, end and the policy's expiry.
        let requested = requested?;
        let last_step = decisions
            .iter()
            .flatten()
            .max()
            .copied()
            .unwrap_or(requested)
            .max(requested);
        let start = match start {
            Some((s, Some(at))) => {
                if approved && at < last_step {
                    self.emit(
                        s.span,
                        Code::AssignmentInvalid,
                        format!("assignment `{id}` starts before it was approved"),
                        "access starts at the last approval at the earliest (the request, without approval stages)",
                    );
                }
                at
            }
            Some((_, None)) => return None,
            None => last_step,
        };
        let limit = match policy.expiry.as_ref().map(|e| &e.value) {
            None | Some(raw::Expiry::Never) => None,
            Some(raw::Expiry::Days(n)) => start.checked_add_signed(days(i64::from(n.value))),
            Some(raw::Expiry::Hours(h)) => start.checked_add_signed(
                TimeDelta::try_hours(i64::from(h.value)).unwrap_or(TimeDelta::zero()),
            ),
            Some(raw::Expiry::On(d)) => parse_at(&d.value),
        };
        let end = match end {
            Some((e, Some(at))) => {
                if at <= start {
                    self.emit(
                        e.span,
                        Code::AssignmentInvalid,
                        format!("assignment `{id}` ends before it starts"),
                        "the end is after the start",
                    );
                }
                if let Some(limit) = limit
                    && at > limit
                {
                    self.emit(
                        e.span,
                        Code::AssignmentTooLong,
                        format!(
                            "assignment `{id}` ends after request policy `{}` allows: at most {}",
                            r.policy.value,
                            limit.format("%Y-%m-%dT%H:%M:%SZ")
                        ),
                        "end the assignment within the policy's `expiry` (an extension is a new record)",
                    );
                }
                Some(at)
            }
            Some((_, None)) => return None,
            None => limit,
        };
        let revoked = match (r.revoked.as_ref(), revoked_at.flatten()) {
            (Some(v), Some(at)) => {
                if at < requested {
                    self.emit(
                        v.value.at.span,
                        Code::AssignmentInvalid,
                        format!("assignment `{id}` is revoked before it was requested"),
                        "the revocation comes after the request",
                    );
                }
                Some(Revoked {
                    at,
                    by: v.value.by.value.clone(),
                    reason: v.value.reason.as_ref().map(|x| x.value.clone()),
                })
            }
            (Some(_), None) => return None,
            _ => None,
        };
        let _ = requestor;
        Some(Record {
            id,
            file: self.file,
            span: self.name.span,
            who,
            package: r.package.value.clone(),
            policy: r.policy.value.clone(),
            requested,
            decided: last_step,
            start,
            end,
            revoked,
            approved,
            checks,
        })
    }

    /// Checks one stage's approver against the stage; what needs the data becomes a check.
    #[allow(clippy::too_many_arguments, reason = "the parts of one record")]
    fn approver(
        &mut self,
        id: &str,
        stage: usize,
        d: &raw::ApprovalDecision,
        s: &raw::ApprovalStage,
        who: &Who,
        org: Option<&raw::ConnectedOrganization>,
        checks: &mut Vec<DataCheck>,
    ) {
        let by = d.by.value.as_str();
        let guest = matches!(who, Who::Guest(_));
        let internal: Vec<&str> = org
            .map(|o| {
                o.internal_sponsors
                    .iter()
                    .map(|s| s.value.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let external: Vec<String> = org
            .map(|o| {
                o.external_sponsors
                    .iter()
                    .map(|s| s.value.to_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        let mut manager = false;
        let mut groups = Vec::new();
        // A manager or sponsor who cannot be found lets the fallback approvers decide.
        let mut sponsor_missing = false;
        let mut matched = false;
        for a in &s.approvers {
            match &a.value {
                raw::Approver::Manager => manager |= !guest,
                raw::Approver::InternalSponsor => {
                    if guest && internal.contains(&by) {
                        matched = true;
                    }
                    sponsor_missing |= guest && internal.is_empty();
                }
                raw::Approver::ExternalSponsor => {
                    if guest && external.contains(&by.to_lowercase()) {
                        matched = true;
                    }
                    sponsor_missing |= guest && external.is_empty();
                }
                raw::Approver::User(k) => matched |= k.value == by,
                raw::Approver::Group(g) => groups.push(g.value.clone()),
            }
        }
        if s.approvers
            .iter()
            .all(|a| matches!(a.value, raw::Approver::Manager))
            && guest
        {
            // A guest has no manager in the directory: Entra asks the fallback approvers.
            sponsor_missing = true;
        }
        if matched {
            return;
        }
        let mut fallback = false;
        let mut fallback_groups = Vec::new();
        for a in &s.fallback {
            match &a.value {
                raw::Approver::User(k) => fallback |= k.value == by,
                raw::Approver::Group(g) => fallback_groups.push(g.value.clone()),
                raw::Approver::InternalSponsor => fallback |= guest && internal.contains(&by),
                raw::Approver::ExternalSponsor => {
                    fallback |= guest && external.contains(&by.to_lowercase())
                }
                raw::Approver::Manager => {}
            }
        }
        if sponsor_missing && fallback {
            return;
        }
        if sponsor_missing {
            groups.append(&mut fallback_groups.clone());
        }
        let data = manager || !groups.is_empty();
        if !data || guest && groups.is_empty() {
            self.emit(
                d.by.span,
                Code::AssignmentApprover,
                format!(
                    "`{}` is not an approver of stage {stage} of the request policy of assignment `{id}`",
                    crate::escape::terminal(by)
                ),
                "the stage's approvers decide (its fallback approvers when its manager or sponsor cannot be found); name one of them",
            );
            return;
        }
        checks.push(DataCheck::Approver {
            stage,
            by: by.to_string(),
            span: d.by.span,
            manager,
            groups,
            fallback: fallback && manager,
            fallback_groups: if manager { fallback_groups } else { Vec::new() },
        });
    }
}

/// The string value of an attribute cell (a key).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) if !s.is_empty() => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Why a record grants nothing, from the data that is known before the access stage (the
/// requestor is an identity; a manager approver is the requestor's manager): the field and
/// message, or `None`. Guests are not identities: none of this applies to them.
pub fn data_problem(view: &View<'_>, r: &Record) -> Option<(String, String)> {
    let Who::Identity(key) = &r.who else {
        return None;
    };
    let Some(i) = view.index_of(key) else {
        return Some((
            "identity".into(),
            format!(
                "assignment `{}` is for `{}`, which is not an identity: it grants nothing",
                r.id,
                crate::escape::terminal(key)
            ),
        ));
    };
    let manager = view.column("manager").and_then(|c| text(c.get(i)));
    for c in &r.checks {
        if let DataCheck::Approver {
            stage,
            by,
            manager: true,
            groups,
            fallback,
            fallback_groups,
            ..
        } = c
        {
            let is_manager = manager.as_deref() == Some(by.as_str());
            // Groups are decided later ([`verify`]); a group approver is not refused here.
            let maybe_group =
                !groups.is_empty() || (manager.is_none() && !fallback_groups.is_empty());
            let by_fallback = manager.is_none() && *fallback;
            if !is_manager && !maybe_group && !by_fallback {
                return Some((
                    format!("approvals[{}].by", stage - 1),
                    format!(
                        "stage {stage} of assignment `{}` is approved by `{}`, who is not the manager of `{}` ({}): it grants nothing",
                        r.id,
                        crate::escape::terminal(by),
                        crate::escape::terminal(key),
                        match &manager {
                            Some(m) => format!("their manager is `{}`", crate::escape::terminal(m)),
                            None => "they have no manager".into(),
                        }
                    ),
                ));
            }
        }
    }
    None
}

/// The events of the records in `window`, at `detail`.
pub fn events(view: &View<'_>, window: Window, detail: Detail, out: &mut Vec<Event>) {
    let all = records(view.loaded);
    let (denials, _) = super::guest_reviews::denials(view.loaded, &all);
    for r in all {
        if !r.grants() || data_problem(view, &r).is_some() {
            continue;
        }
        // A guest's assignment ended by an access review's denial has no events after it
        // (the review's own event says it ends).
        let cut = matches!(r.who, Who::Guest(_))
            .then(|| super::guest_reviews::stop(&r, &denials))
            .flatten()
            .filter(|c| r.stop().is_none_or(|s| *c < s.date()));
        match cut {
            Some(c) => {
                let mut mine = Vec::new();
                record_events(view, &r, window, detail, &mut mine);
                out.extend(mine.into_iter().filter(|e| {
                    e.date < c
                        && !matches!(
                            e.kind,
                            EventKind::AssignmentExpiry | EventKind::AssignmentRevoked
                        )
                }));
            }
            None => record_events(view, &r, window, detail, out),
        }
    }
}

/// The events of one record in `window`.
pub fn record_events(
    view: &View<'_>,
    r: &Record,
    window: Window,
    detail: Detail,
    out: &mut Vec<Event>,
) {
    let declared_at = Some(policy_place(view.loaded, r.file, r.span));
    let push = |out: &mut Vec<Event>,
                date: NaiveDate,
                kind: EventKind,
                summary: String,
                effects: Vec<Effect>| {
        if !window.contains(date) || (detail == Detail::Effects && effects.is_empty()) {
            return;
        }
        out.push(Event {
            date,
            kind,
            subject: r.subject(),
            source: r.source(),
            summary,
            effects,
            tasks: Vec::new(),
            declared_at: declared_at.clone(),
        });
    };
    let pkg = &r.package;
    let start = r.start.date();
    let revoked_first = r
        .revoked
        .as_ref()
        .is_some_and(|v| r.end.is_none_or(|e| v.at < e));
    {
        push(
            out,
            start,
            EventKind::AssignmentStart,
            format!(
                "access package `{pkg}` assigned{}, {}",
                if r.start.time() == chrono::NaiveTime::MIN {
                    String::new()
                } else {
                    format!(" from {}", r.start.format("%H:%M UTC"))
                },
                match r.end {
                    Some(e) => format!("until {}", e.format("%Y-%m-%d %H:%M UTC")),
                    None => "without an end".into(),
                }
            ),
            vec![Effect::AssignPackage(pkg.clone())],
        );
    }
    if let Some(v) = r.revoked.as_ref().filter(|_| revoked_first) {
        push(
            out,
            v.at.date(),
            EventKind::AssignmentRevoked,
            format!(
                "access package `{pkg}` revoked by `{}`{}",
                v.by,
                v.reason
                    .as_ref()
                    .map(|x| format!(": {x}"))
                    .unwrap_or_default()
            ),
            vec![Effect::RemovePackage(pkg.clone())],
        );
        return;
    }
    let Some(end) = r.end else {
        return;
    };
    for n in REMINDER_DAYS {
        if let Some(day) = end.date().checked_sub_signed(days(n))
            && day > start
        {
            push(
                out,
                day,
                EventKind::AssignmentReminder,
                format!(
                    "access package `{pkg}` expires in {n} day{} ({})",
                    if n == 1 { "" } else { "s" },
                    end.format("%Y-%m-%d %H:%M UTC")
                ),
                Vec::new(),
            );
        }
    }
    push(
        out,
        end.date(),
        EventKind::AssignmentExpiry,
        format!(
            "access package `{pkg}` expires ({})",
            end.format("%H:%M UTC")
        ),
        vec![Effect::RemovePackage(pkg.clone())],
    );
}

/// The data problems of the records known before the access stage (the requestor is not an
/// identity, a manager approver is not the manager), as data issues (file, line of the
/// record, field): each such record grants nothing. Only records that would grant on the
/// as-of date are reported (an expired record for someone who has left is not a problem).
pub fn issues(view: &View<'_>) -> Vec<DataIssue> {
    let mut out = Vec::new();
    for r in records(view.loaded) {
        // Only the records that would grant on the as-of date: the others change nothing.
        if !r.held_on(view.as_of) {
            continue;
        }
        if let Some((field, message)) = data_problem(view, &r) {
            out.push(issue(
                view.loaded,
                &r,
                Code::AssignmentDataRefused,
                field,
                message,
            ));
        }
    }
    out
}

fn issue(loaded: &Loaded, r: &Record, code: Code, field: String, message: String) -> DataIssue {
    let at = policy_place(loaded, r.file, r.span);
    DataIssue {
        code,
        severity: code.severity(),
        file: at.file,
        row: Some(at.line),
        field: Some(format!("assignments.{}.{field}", r.id)),
        message,
        help: Some(match code {
            Code::AssignmentConflict => "Entra refuses a request for a package incompatible with what the person holds; remove the other access first, or the record".into(),
            _ => "fix the record or the data: a record that does not match the data grants nothing".into(),
        }),
    }
}

/// The memberships the access stage decided, by name.
pub struct Held<'a> {
    /// Groups by name, sorted; members.
    pub groups: &'a [(String, Bitset)],
    /// Packages by name, sorted; holders.
    pub packages: &'a [(String, Bitset)],
}

impl Held<'_> {
    fn group(&self, name: &str, i: usize) -> bool {
        self.groups
            .binary_search_by(|(g, _)| g.as_str().cmp(name))
            .ok()
            .and_then(|k| self.groups.get(k))
            .is_some_and(|(_, b)| b.contains(i))
    }
}

/// The records refused after the access stage: requestors and group approvers not members of
/// their groups on the as-of date, and separation of duties (the person holds a package or is
/// a member of a group the record's package is incompatible with, other than through this
/// record). Returns each refused record's identity and package with its data issue; the
/// caller takes the assignment back and decides access again.
pub fn verify(
    view: &View<'_>,
    held: &Held<'_>,
    refused: &BTreeSet<String>,
) -> Vec<(String, usize, String, DataIssue)> {
    let mut out = Vec::new();
    let packages = crate::eval::access::raw_packages(view.loaded);
    let index = |key: &str| view.index_of(key);
    for r in records(view.loaded) {
        if refused.contains(&r.id) || !r.held_on(view.as_of) || data_problem(view, &r).is_some() {
            continue;
        }
        let Who::Identity(key) = &r.who else {
            continue;
        };
        let Some(i) = index(key) else {
            continue;
        };
        let mut problem: Option<(Code, String, String)> = None;
        for c in &r.checks {
            match c {
                DataCheck::RequestorInGroups { groups, .. } => {
                    if !groups.iter().any(|g| held.group(g, i)) {
                        problem = Some((
                            Code::AssignmentDataRefused,
                            "identity".into(),
                            format!(
                                "`{}` is not a member of {} on the as-of date, so request policy `{}` of assignment `{}` does not take their request: it grants nothing",
                                crate::escape::terminal(key),
                                words(groups),
                                r.policy,
                                r.id
                            ),
                        ));
                    }
                }
                DataCheck::Approver {
                    stage,
                    by,
                    manager,
                    groups,
                    fallback,
                    fallback_groups,
                    ..
                } => {
                    let mgr = view.column("manager").and_then(|c| text(c.get(i)));
                    let approver = index(by);
                    let in_group = |gs: &[String]| {
                        approver.is_some_and(|a| gs.iter().any(|g| held.group(g, a)))
                    };
                    let ok = (*manager && mgr.as_deref() == Some(by.as_str()))
                        || in_group(groups)
                        || (*manager && mgr.is_none() && (*fallback || in_group(fallback_groups)));
                    if !ok {
                        problem = Some((
                            Code::AssignmentDataRefused,
                            format!("approvals[{}].by", stage - 1),
                            format!(
                                "stage {stage} of assignment `{}` is approved by `{}`, who is not {}on the as-of date: it grants nothing",
                                r.id,
                                crate::escape::terminal(by),
                                if *manager {
                                    format!(
                                        "the manager of `{}` nor a member of {} ",
                                        crate::escape::terminal(key),
                                        words(groups)
                                    )
                                } else {
                                    format!("a member of {} ", words(groups))
                                }
                            ),
                        ));
                    }
                }
            }
            if problem.is_some() {
                break;
            }
        }
        if problem.is_none()
            && let Some((_, pkg)) = packages.iter().find(|(n, _)| *n == r.package)
        {
            let other_package = pkg.incompatible_packages.iter().find(|o| {
                held.packages
                    .binary_search_by(|(p, _)| p.as_str().cmp(o.value.as_str()))
                    .ok()
                    .and_then(|k| held.packages.get(k))
                    .is_some_and(|(_, b)| b.contains(i))
            });
            let other_group = pkg
                .incompatible_groups
                .iter()
                .find(|g| held.group(&g.value, i));
            let what = other_package
                .map(|p| format!("access package `{}`", p.value))
                .or(other_group.map(|g| format!("group `{}`", g.value)));
            if let Some(what) = what {
                problem = Some((
                    Code::AssignmentConflict,
                    "package".into(),
                    format!(
                        "assignment `{}` of access package `{}` is refused: `{}` holds {what}, which the package is incompatible with",
                        r.id,
                        r.package,
                        crate::escape::terminal(key)
                    ),
                ));
            }
        }
        if let Some((code, field, message)) = problem {
            let d = issue(view.loaded, &r, code, field, message);
            out.push((r.id.clone(), i, r.package.clone(), d));
        }
    }
    out
}

fn words(groups: &[String]) -> String {
    match groups {
        [one] => format!("group `{one}`"),
        _ => format!(
            "any of the groups {}",
            groups
                .iter()
                .map(|g| format!("`{g}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The records that grant `package` to identity `key` on `d`, other than those in `refused`.
pub fn holders(
    view: &View<'_>,
    key: &str,
    package: &str,
    d: NaiveDate,
    refused: &BTreeSet<String>,
) -> Vec<String> {
    records(view.loaded)
        .into_iter()
        .filter(|r| {
            r.package == package
                && r.who == Who::Identity(key.to_string())
                && r.held_on(d)
                && !refused.contains(&r.id)
                && data_problem(view, r).is_none()
        })
        .map(|r| r.id)
        .collect()
}

/// The origins of the packages of every identity that holds one through an event: for each
/// of its packages, `auto_assignment` (its rule), `assignment:ID` (each record that grants it
/// on the as-of date) and `event` (another event, such as a workflow task). Identities whose
/// packages all come from their rules alone are left out.
pub fn origins(
    view: &View<'_>,
    changes: &super::apply::Changes,
    packages: &[(String, Bitset)],
    by_rule: &std::collections::BTreeMap<String, Bitset>,
    refused: &BTreeSet<String>,
    grace: &[super::grace::InGrace],
) -> std::collections::BTreeMap<usize, std::collections::BTreeMap<String, Vec<String>>> {
    use std::collections::BTreeMap;
    let mut granted: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for r in records(view.loaded) {
        if let Who::Identity(k) = &r.who
            && r.held_on(view.as_of)
            && !refused.contains(&r.id)
            && data_problem(view, &r).is_none()
        {
            granted
                .entry((k.clone(), r.package.clone()))
                .or_default()
                .push(format!("assignment:{}", r.id));
        }
    }
    // The identities that hold a package added by an event.
    let mut who: BTreeSet<usize> = BTreeSet::new();
    for (name, change) in &changes.packages {
        let Some((_, held)) = packages.iter().find(|(n, _)| n == name) else {
            continue;
        };
        let rule = by_rule.get(name);
        for i in change.added.ones() {
            if held.contains(i) && !rule.is_some_and(|b| b.contains(i)) {
                who.insert(i);
            }
        }
    }
    // Those kept by a grace period, with its end.
    let mut kept: BTreeMap<(usize, &str), chrono::NaiveDate> = BTreeMap::new();
    for g in grace {
        if g.ends > view.as_of {
            kept.insert((g.identity, g.package.as_str()), g.ends);
            who.insert(g.identity);
        }
    }
    let mut out = BTreeMap::new();
    for i in who {
        let key = view.key(i);
        let mut mine = BTreeMap::new();
        for (name, held) in packages {
            if !held.contains(i) {
                continue;
            }
            let added = changes.package(name).is_some_and(|c| c.added.contains(i));
            let rule = match by_rule.get(name) {
                Some(b) => b.contains(i),
                None => true,
            };
            let mut from = Vec::new();
            if let Some(ends) = kept.get(&(i, name.as_str())) {
                from.push(format!("grace:{ends}"));
            } else if rule {
                from.push("auto_assignment".to_string());
            }
            if added {
                match granted.get(&(key.to_string(), name.clone())) {
                    Some(ids) => from.extend(ids.iter().cloned()),
                    None => from.push("event".into()),
                }
            }
            mine.insert(name.clone(), from);
        }
        out.insert(i, mine);
    }
    out
}

/// Whether the records of identity `key` are checked through other people's group memberships
/// (a stage approved through a group): evaluating the person alone cannot decide them.
pub fn needs_others(loaded: &Loaded, key: &str) -> bool {
    records(loaded).iter().any(|r| {
        r.who == Who::Identity(key.to_string())
            && r.checks.iter().any(|c| {
                matches!(c, DataCheck::Approver { groups, fallback_groups, .. }
                    if !groups.is_empty() || !fallback_groups.is_empty())
            })
    })
}

/// The key a "not an identity" refusal names (`D235`), if the message is one.
pub fn unknown_requestor(message: &str) -> Option<&str> {
    let rest = message.split_once("` is for `")?.1;
    let (key, tail) = rest.split_once('`')?;
    tail.starts_with(", which is not an identity")
        .then_some(key)
}
