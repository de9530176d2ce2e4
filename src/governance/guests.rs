//! Guests from connected organisations: a user of a connected organisation whose request is
//! approved is invited as a guest (not from HR), holds the groups of the packages assigned,
//! and, when their last assignment ends, is blocked from signing in and removed after a
//! number of days, by the tenant's external-user lifecycle settings
//! (`docs/access-requests.md`).
//!
//! Decisions:
//! - a guest is identified by their e-mail address (lower case); their records may name
//!   several packages and organisations' policies, the first record's organisation is theirs;
//! - invited on the day the first granting record was decided (the last approval): Entra
//!   invites on approval, without an invitation e-mail;
//! - the last assignment ends on the latest stop (end or revocation) of their records; a gap
//!   between two records is not a loss (the next record was requested before the removal);
//!   a record without an end keeps the guest;
//! - `tenant.external_users` holds the tenant's settings (defaults as Entra's: block sign-in,
//!   remove, 30 days); a connected organisation's `remove_guests_after_days` takes precedence
//!   for its guests (it is the more specific setting);
//! - state on a day, after that day's events: `invited` (approved, access not started),
//!   `active` (an assignment held, or none held and neither blocked nor removed), `blocked`,
//!   `removed`. A guest is listed from the day they are invited.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeDelta};
use schemars::JsonSchema;
use serde::Serialize;

use super::assignments::{self, Record, Who};
use super::{Detail, Effect, Event, EventKind, Subject, View, Window};
use crate::eval::locate::policy_place;
use crate::policy::load::Loaded;
use crate::policy::raw;

/// Entra's default days from a guest's last assignment to their removal.
pub const DEFAULT_REMOVE_AFTER_DAYS: u32 = 30;

/// A guest's state on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GuestStatus {
    /// Invited (approved); access has not started.
    Invited,
    /// Holds access, or is kept after it ended (neither blocked nor removed yet).
    Active,
    /// Sign-in blocked: the last assignment ended.
    Blocked,
    /// Removed from the directory.
    Removed,
}

impl GuestStatus {
    /// The state's name.
    pub fn word(self) -> &'static str {
        match self {
            GuestStatus::Invited => "invited",
            GuestStatus::Active => "active",
            GuestStatus::Blocked => "blocked",
            GuestStatus::Removed => "removed",
        }
    }
}

/// A guest in the desired state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct GuestState {
    /// The e-mail address (lower case).
    pub email: String,
    /// The name, when a record gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The connected organisation.
    pub organization: String,
    /// The state on the as-of date.
    pub state: GuestStatus,
    /// The access packages held on the as-of date.
    pub access_packages: Vec<String>,
    /// The groups those packages grant.
    pub groups: Vec<String>,
    /// The records that grant them (`assignment:ID`... by record name).
    pub assignments: Vec<String>,
    /// The day they are invited.
    #[schemars(with = "String")]
    pub invited: NaiveDate,
    /// The day their last assignment ends (absent: an assignment without an end).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub access_ends: Option<NaiveDate>,
    /// The day sign-in is blocked (absent: never).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub blocked: Option<NaiveDate>,
    /// The day they are removed (absent: never).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub removed: Option<NaiveDate>,
}

/// The external-user lifecycle settings that apply to an organisation's guests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Block sign-in when the last assignment ends.
    pub block: bool,
    /// Remove the guest.
    pub remove: bool,
    /// Days from the last assignment's end to the removal.
    pub remove_after_days: u32,
}

/// The settings for guests of `organization`.
pub fn settings(loaded: &Loaded, organization: &str) -> Settings {
    let tenant = loaded
        .files
        .iter()
        .find_map(|f| f.policy.tenant.as_ref())
        .and_then(|t| t.value.external_users.as_ref())
        .map(|x| &x.value);
    let org_days = loaded
        .files
        .iter()
        .flat_map(|f| f.policy.connected_organizations.iter())
        .find(|(n, _)| n.value == organization)
        .and_then(|(_, o)| o.value.remove_guests_after_days.as_ref())
        .map(|d| d.value);
    let flag = |f: Option<&crate::yaml::Sp<bool>>| f.is_none_or(|b| b.value);
    Settings {
        block: flag(tenant.and_then(|t| t.block_sign_in.as_ref())),
        remove: flag(tenant.and_then(|t| t.remove.as_ref())),
        remove_after_days: org_days
            .or(tenant
                .and_then(|t| t.remove_after_days.as_ref())
                .map(|d| d.value))
            .unwrap_or(DEFAULT_REMOVE_AFTER_DAYS),
    }
}

/// One guest's records and timeline.
struct Timeline<'r> {
    guest: assignments::Guest,
    records: Vec<&'r Record>,
    invited: NaiveDate,
    first_start: NaiveDate,
    access_ends: Option<NaiveDate>,
    blocked: Option<NaiveDate>,
    removed: Option<NaiveDate>,
}

fn timelines<'r>(
    loaded: &Loaded,
    records: &'r [Record],
    denials: &[super::guest_reviews::Denial],
) -> Vec<Timeline<'r>> {
    let mut by_email: BTreeMap<&str, Vec<&'r Record>> = BTreeMap::new();
    for r in records {
        if let Who::Guest(g) = &r.who
            && r.grants()
        {
            by_email.entry(g.email.as_str()).or_default().push(r);
        }
    }
    let mut out = Vec::new();
    for (_, records) in by_email {
        let Some(first) = records.first() else {
            continue;
        };
        let Who::Guest(guest) = &first.who else {
            continue;
        };
        let invited = records
            .iter()
            .map(|r| r.decided.date())
            .min()
            .unwrap_or(first.decided.date());
        let first_start = records
            .iter()
            .map(|r| r.start.date())
            .min()
            .unwrap_or(invited);
        let access_ends = records
            .iter()
            .map(|r| super::guest_reviews::stop(r, denials))
            .try_fold(NaiveDate::MIN, |acc, s| s.map(|s| acc.max(s)));
        let s = settings(loaded, &guest.organization);
        let mut blocked = access_ends.filter(|_| s.block);
        let mut removed = access_ends.filter(|_| s.remove).and_then(|e| {
            e.checked_add_signed(TimeDelta::try_days(i64::from(s.remove_after_days))?)
        });
        // A review's `block_and_delete` denial blocks and removes whatever the settings say
        // (the earlier of the two, when the settings come first).
        if let Some((b, r)) = super::guest_reviews::blocked_and_deleted(&guest.email, denials) {
            blocked = Some(blocked.map_or(b, |x| x.min(b)));
            removed = Some(removed.map_or(r, |x| x.min(r)));
        }
        out.push(Timeline {
            guest: guest.clone(),
            records,
            invited,
            first_start,
            access_ends,
            blocked,
            removed,
        });
    }
    out
}

/// The guests of the desired state on `as_of`, by e-mail address.
pub fn desired(loaded: &Loaded, as_of: NaiveDate) -> Vec<GuestState> {
    let records = assignments::records(loaded);
    let (denials, _) = super::guest_reviews::denials(loaded, &records);
    let packages = crate::eval::access::raw_packages(loaded);
    let mut out = Vec::new();
    for t in timelines(loaded, &records, &denials) {
        if as_of < t.invited {
            continue;
        }
        let held: Vec<&&Record> = t
            .records
            .iter()
            .filter(|r| super::guest_reviews::held_on(r, &denials, as_of))
            .collect();
        let state = if !held.is_empty() && t.blocked.is_none_or(|d| d > as_of) {
            GuestStatus::Active
        } else if as_of < t.first_start {
            GuestStatus::Invited
        } else if t.removed.is_some_and(|d| d <= as_of) {
            GuestStatus::Removed
        } else if t.blocked.is_some_and(|d| d <= as_of) {
            GuestStatus::Blocked
        } else {
            GuestStatus::Active
        };
        let mut access_packages: Vec<String> = held.iter().map(|r| r.package.clone()).collect();
        access_packages.sort();
        access_packages.dedup();
        let mut groups: Vec<String> = access_packages
            .iter()
            .filter_map(|p| packages.iter().find(|(n, _)| n == p))
            .flat_map(|(_, pkg)| pkg.resources.iter())
            .filter_map(|r| match &r.value {
                raw::Resource::Group(g) => Some(g.value.clone()),
                _ => None,
            })
            .collect();
        groups.sort();
        groups.dedup();
        out.push(GuestState {
            email: t.guest.email.clone(),
            display_name: t.guest.display_name.clone(),
            organization: t.guest.organization.clone(),
            state,
            access_packages,
            groups,
            assignments: held.iter().map(|r| r.id.clone()).collect(),
            invited: t.invited,
            access_ends: t.access_ends,
            blocked: t.blocked,
            removed: t.removed,
        });
    }
    out
}

/// The guests' events in `window`: invited, blocked, removed.
pub fn events(view: &View<'_>, window: Window, detail: Detail, out: &mut Vec<Event>) {
    let records = assignments::records(view.loaded);
    let (denials, _) = super::guest_reviews::denials(view.loaded, &records);
    for d in &denials {
        if !window.contains(d.day) {
            continue;
        }
        let mut effects = vec![Effect::RemovePackage(d.package.clone())];
        if d.block_and_delete {
            effects.push(Effect::DisableAccount);
        }
        out.push(Event {
            date: d.day,
            kind: EventKind::ReviewEnd,
            subject: Subject::Guest(d.email.clone()),
            source: format!("review:{}", d.review),
            summary: format!(
                "{} in access review `{}`{}: assignment of access package `{}` removed{}",
                if d.recorded {
                    "denied"
                } else {
                    "not reviewed, default deny"
                },
                d.review,
                d.group
                    .as_ref()
                    .map_or_else(String::new, |g| format!(" of group `{g}`")),
                d.package,
                if d.block_and_delete {
                    ", sign-in blocked, removed in 30 days"
                } else {
                    ""
                }
            ),
            effects,
            tasks: Vec::new(),
            declared_at: None,
        });
    }
    for t in timelines(view.loaded, &records, &denials) {
        let subject = Subject::Guest(t.guest.email.clone());
        let org = &t.guest.organization;
        let first = t.records.iter().min_by_key(|r| (r.decided, r.id.as_str()));
        let declared_at = first.map(|r| policy_place(view.loaded, r.file, r.span));
        let mut push = |date: NaiveDate,
                        kind: EventKind,
                        source: String,
                        summary: String,
                        effects: Vec<Effect>| {
            if !window.contains(date) || (detail == Detail::Effects && effects.is_empty()) {
                return;
            }
            out.push(Event {
                date,
                kind,
                subject: subject.clone(),
                source,
                summary,
                effects,
                tasks: Vec::new(),
                declared_at: declared_at.clone(),
            });
        };
        if let Some(first) = first {
            push(
                t.invited,
                EventKind::GuestInvited,
                first.source(),
                format!(
                    "invited as a guest of connected organization `{org}` (no invitation e-mail)"
                ),
                Vec::new(),
            );
        }
        let s = settings(view.loaded, org);
        if let Some(d) = t.blocked {
            push(
                d,
                EventKind::GuestBlocked,
                format!("connected_organization:{org}"),
                "the last access-package assignment ended: sign-in blocked".into(),
                vec![Effect::DisableAccount],
            );
        }
        if let Some(d) = t.removed {
            push(
                d,
                EventKind::GuestRemoved,
                format!("connected_organization:{org}"),
                format!(
                    "removed from the directory, {} day{} after the last assignment ended",
                    s.remove_after_days,
                    if s.remove_after_days == 1 { "" } else { "s" }
                ),
                vec![Effect::DeleteUser],
            );
        }
    }
}
