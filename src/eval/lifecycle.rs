//! The lifecycle state of an identity on the as-of date, and why.
//!
//! One function, [`Rules::decide`], turns an identity's hire date, leave date and status into
//! its state; evaluation calls it for every identity (each distinct value parsed once) and
//! `explain` for one, so the report and the explanation cannot disagree. The rules fail
//! closed: whatever cannot be read makes the lifecycle `unknown`, which enables no account and
//! grants no access (see `docs/decisions.md`, Evaluation).
//!
//! Stage 4 of evaluation, [`states`], gives the state of every identity from its attribute
//! columns.

use chrono::{NaiveDateTime, TimeDelta};

use super::attributes::Attributes;
use super::locate::Locator;
use super::report::Lifecycle;
use crate::codes::Code;
use crate::column::Column;
use crate::ingest::DataIssue;
use crate::policy::raw;
use crate::value::Value;

/// A lifecycle date as read from its attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateCell {
    /// Null or empty.
    Missing,
    /// A value that is not a date (its text).
    Invalid(String),
    /// A date.
    Date(NaiveDateTime),
}

impl DateCell {
    /// Reads a date attribute's value.
    pub fn read(value: &Value) -> DateCell {
        match value {
            Value::Date(d) => DateCell::Date(*d),
            Value::Null => DateCell::Missing,
            other => match other.as_text() {
                None => DateCell::Invalid(shorten(&other.to_json().to_string())),
                Some(t) if t.trim().is_empty() => DateCell::Missing,
                Some(t) => match crate::dotnet::datetime::parse(&t) {
                    Ok(d) => DateCell::Date(d),
                    Err(_) => DateCell::Invalid(shorten(&t)),
                },
            },
        }
    }
}

/// A status value as read from its attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusCell {
    /// No status setting.
    NotConfigured,
    /// Null or empty.
    Missing,
    /// A value and its meaning, when the setting lists it.
    Value(String, Option<raw::StatusMeaning>),
}

/// Why an identity is in its lifecycle state: the facts [`Rules::decide`] used. Dates are
/// midnight UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The policy set has no `lifecycle` settings: everyone is active.
    NotConfigured,
    /// The hire date is empty (a value that did not parse is empty by now: `D102`).
    NoHireDate,
    /// The hire date is not a date.
    HireNotADate(String),
    /// The leave date is not a date.
    LeaveNotADate(String),
    /// The status is empty.
    NoStatus,
    /// The status value is not listed in `lifecycle.status.values`.
    StatusNotListed(String),
    /// Before the pre-hire window.
    BeforePrehire { hire: NaiveDateTime },
    /// In the pre-hire window.
    Prehire { hire: NaiveDateTime },
    /// Employed: from the hire date through the leave date (if any).
    Employed {
        hire: NaiveDateTime,
        leave: Option<NaiveDateTime>,
    },
    /// After the leave date, within retention (`until` is the last day of retention).
    Left {
        leave: NaiveDateTime,
        until: Option<NaiveDateTime>,
    },
    /// After retention.
    RetentionOver {
        leave: NaiveDateTime,
        until: NaiveDateTime,
    },
    /// The status means leaver, but no leave date has passed: disabled and kept.
    StatusLeaver {
        status: String,
        leave: Option<NaiveDateTime>,
    },
    /// A leave date before the hire date belongs to an earlier employment that has not ended.
    EarlierEmployment {
        leave: NaiveDateTime,
        hire: NaiveDateTime,
    },
    /// Between an earlier employment and a conversion (the gap is shorter than
    /// `rehire.min_gap_days`): kept, disabled, until the new hire date's pre-hire window.
    ConversionGap {
        leave: NaiveDateTime,
        hire: NaiveDateTime,
    },
    /// Between an earlier employment and a rehire, within the earlier employment's retention.
    RehireRetention {
        leave: NaiveDateTime,
        hire: NaiveDateTime,
        until: Option<NaiveDateTime>,
    },
    /// Between an earlier employment and a rehire, after its retention and before the
    /// pre-hire window of the new hire date.
    RehireWaiting {
        leave: NaiveDateTime,
        hire: NaiveDateTime,
    },
}

fn day(d: &NaiveDateTime) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl Why {
    /// In words, for `explain` and diagnostics.
    pub fn describe(&self) -> String {
        match self {
            Why::NotConfigured => "no lifecycle settings: every identity is active".into(),
            Why::NoHireDate => "the hire date is empty or not a date".into(),
            Why::HireNotADate(t) => format!("the hire date `{t}` is not a date"),
            Why::LeaveNotADate(t) => format!("the leave date `{t}` is not a date"),
            Why::NoStatus => "the status is empty".into(),
            Why::StatusNotListed(t) => {
                format!("the status `{t}` is not listed in `lifecycle.status.values`")
            }
            Why::BeforePrehire { hire } => {
                format!("hire date {}, before its pre-hire window", day(hire))
            }
            Why::Prehire { hire } => format!("hire date {}, in its pre-hire window", day(hire)),
            Why::Employed { hire, leave: None } => {
                format!("hired on {}, no leave date", day(hire))
            }
            Why::Employed {
                hire,
                leave: Some(l),
            } => format!("hired on {}, leaving after {}", day(hire), day(l)),
            Why::Left { leave, until: None } => {
                format!("left on {}, kept (retention has no end)", day(leave))
            }
            Why::Left {
                leave,
                until: Some(u),
            } => format!("left on {}, kept through {}", day(leave), day(u)),
            Why::RetentionOver { leave, until } => {
                format!("left on {}, retention ended on {}", day(leave), day(until))
            }
            Why::StatusLeaver {
                status,
                leave: None,
            } => format!("the status `{status}` means leaver and no leave date is given"),
            Why::StatusLeaver {
                status,
                leave: Some(l),
            } => format!(
                "the status `{status}` means leaver, although the leave date {} has not passed",
                day(l)
            ),
            Why::EarlierEmployment { leave, hire } => format!(
                "an earlier employment runs through {}; the next starts on {}",
                day(leave),
                day(hire)
            ),
            Why::ConversionGap { leave, hire } => format!(
                "a conversion: left on {}, starts again on {} (within `rehire.min_gap_days`), kept through the gap",
                day(leave),
                day(hire)
            ),
            Why::RehireRetention { leave, hire, until } => format!(
                "a rehire: left on {}, kept through {} (retention of the earlier employment), starts again on {}",
                day(leave),
                until.as_ref().map_or_else(|| "the gap".to_string(), day),
                day(hire)
            ),
            Why::RehireWaiting { leave, hire } => format!(
                "a rehire: left on {}, retention over, starts again on {}",
                day(leave),
                day(hire)
            ),
        }
    }
}

/// The lifecycle settings of a policy set, read once.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// Whether the policy set has `lifecycle` settings at all.
    pub configured: bool,
    /// The hire date attribute.
    pub hire_date: String,
    /// The leave date attribute.
    pub leave_date: Option<String>,
    /// The status attribute and its values.
    pub status: Option<(String, Vec<(String, raw::StatusMeaning)>)>,
    /// `prehire_days`.
    pub prehire_days: u32,
    /// `retention_days`.
    pub retention_days: u32,
    /// `rehire.min_gap_days`.
    pub min_gap_days: u32,
}

impl Rules {
    /// The settings of `identity.lifecycle`.
    pub fn new(identity: Option<&raw::Identity>) -> Rules {
        let Some(lc) = identity.and_then(|i| i.lifecycle.as_ref()) else {
            return Rules::default();
        };
        let lc = &lc.value;
        Rules {
            configured: true,
            hire_date: lc.hire_date.value.clone(),
            leave_date: lc.leave_date.as_ref().map(|l| l.value.clone()),
            status: lc.status.as_ref().map(|s| {
                (
                    s.value.attribute.value.clone(),
                    s.value
                        .values
                        .iter()
                        .map(|(k, v)| (k.value.clone(), v.value))
                        .collect(),
                )
            }),
            prehire_days: lc.prehire_days.as_ref().map_or(0, |d| d.value),
            retention_days: lc.retention_days.as_ref().map_or(0, |d| d.value),
            min_gap_days: lc
                .rehire
                .as_ref()
                .and_then(|r| r.value.min_gap_days.as_ref())
                .map_or(0, |d| d.value),
        }
    }

    /// Reads a status attribute's value.
    pub fn status_cell(&self, value: &Value) -> StatusCell {
        let Some((_, values)) = &self.status else {
            return StatusCell::NotConfigured;
        };
        match value.as_text() {
            None => StatusCell::Missing,
            Some(t) if t.is_empty() => StatusCell::Missing,
            Some(t) => {
                let meaning = values.iter().find(|(k, _)| *k == t).map(|(_, m)| *m);
                StatusCell::Value(shorten(&t), meaning)
            }
        }
    }

    /// The lifecycle state on `now` (midnight UTC), and why.
    ///
    /// - The hire date must be a date, a leave date that is given must be a date, and a
    ///   configured status must be a listed value; otherwise the state is `unknown`.
    /// - `pre_hire` from `prehire_days` before the hire date, `active` from the hire date
    ///   through the leave date, `leaver` from the day after the leave date for
    ///   `retention_days` days, `deleted` after that.
    /// - A leave date before the hire date ends an earlier employment: `active` through it;
    ///   then, until the new pre-hire window, `leaver` for the earlier employment's retention
    ///   (a rehire) or for the whole gap (a conversion: the new hire date is fewer than
    ///   `rehire.min_gap_days` days after the leave date), and `not_yet_hired` once a
    ///   rehire's retention is over.
    /// - A status that means leaver turns `active` into `leaver` (kept, disabled: retention
    ///   counts only from a leave date that has passed).
    pub fn decide(
        &self,
        hire: &DateCell,
        leave: &DateCell,
        status: &StatusCell,
        now: NaiveDateTime,
    ) -> (Lifecycle, Why) {
        if !self.configured {
            return (Lifecycle::Active, Why::NotConfigured);
        }
        let hire = match hire {
            DateCell::Missing => return (Lifecycle::Unknown, Why::NoHireDate),
            DateCell::Invalid(t) => return (Lifecycle::Unknown, Why::HireNotADate(t.clone())),
            DateCell::Date(d) => *d,
        };
        let leave = match leave {
            DateCell::Missing => None,
            DateCell::Invalid(t) => return (Lifecycle::Unknown, Why::LeaveNotADate(t.clone())),
            DateCell::Date(d) => Some(*d),
        };
        let meaning = match status {
            StatusCell::NotConfigured => None,
            StatusCell::Missing => return (Lifecycle::Unknown, Why::NoStatus),
            StatusCell::Value(t, None) => {
                return (Lifecycle::Unknown, Why::StatusNotListed(t.clone()));
            }
            StatusCell::Value(t, Some(m)) => Some((t, *m)),
        };
        let (state, why) = self.by_dates(hire, leave, now);
        match meaning {
            Some((status, raw::StatusMeaning::Leaver)) if state == Lifecycle::Active => (
                Lifecycle::Leaver,
                Why::StatusLeaver {
                    status: status.clone(),
                    leave: leave.filter(|l| *l >= now),
                },
            ),
            _ => (state, why),
        }
    }

    fn by_dates(
        &self,
        hire: NaiveDateTime,
        leave: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> (Lifecycle, Why) {
        let days = |n: u32| TimeDelta::try_days(i64::from(n));
        // Out-of-range arithmetic saturates: a window that starts before the calendar does has
        // always started, a retention that ends after it never ends.
        let prehire_start = days(self.prehire_days).and_then(|d| hire.checked_sub_signed(d));
        let in_prehire = prehire_start.is_none_or(|s| now >= s);
        let retention_end =
            |l: NaiveDateTime| days(self.retention_days).and_then(|d| l.checked_add_signed(d));
        match leave {
            // The current employment ends on the leave date.
            Some(l) if l >= hire && now > l => match retention_end(l) {
                Some(until) if now > until => {
                    (Lifecycle::Deleted, Why::RetentionOver { leave: l, until })
                }
                until => (Lifecycle::Leaver, Why::Left { leave: l, until }),
            },
            // An earlier employment, still running.
            Some(l) if l < hire && now <= l => {
                (Lifecycle::Active, Why::EarlierEmployment { leave: l, hire })
            }
            // Between an earlier employment and the next one, before its pre-hire window.
            Some(l) if l < hire && !in_prehire => {
                let gap = (hire - l).num_days();
                if gap < i64::from(self.min_gap_days) {
                    (Lifecycle::Leaver, Why::ConversionGap { leave: l, hire })
                } else {
                    match retention_end(l) {
                        Some(until) if now > until => (
                            Lifecycle::NotYetHired,
                            Why::RehireWaiting { leave: l, hire },
                        ),
                        until => (
                            Lifecycle::Leaver,
                            Why::RehireRetention {
                                leave: l,
                                hire,
                                until,
                            },
                        ),
                    }
                }
            }
            _ if !in_prehire => (Lifecycle::NotYetHired, Why::BeforePrehire { hire }),
            _ if now < hire => (Lifecycle::PreHire, Why::Prehire { hire }),
            _ => (
                Lifecycle::Active,
                Why::Employed {
                    hire,
                    leave: leave.filter(|l| *l >= hire),
                },
            ),
        }
    }
}

/// A value copied into a message, cut to a readable length.
fn shorten(text: &str) -> String {
    const MAX: usize = 64;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", text.get(..at).unwrap_or_default()),
        None => text.to_string(),
    }
}

// ------------------------------------------------------------------------------------------
// Stage 4: the lifecycle state of every identity
// ------------------------------------------------------------------------------------------

const UNKNOWN_HELP: &str = "no account is enabled and no access is granted to this identity; whatever it holds now is held as it is (no grant, no removal) until the HR data is fixed";
const LEAVER_HELP: &str =
    "record the leave date in the HR data: retention, and then deletion, count from it";

/// The lifecycle state of every identity as of `now`, from the date and status attributes
/// (each distinct value read once); identities whose lifecycle is unknown (`E120`) or whose
/// status makes them leavers without a past leave date (`E121`) are reported.
pub fn states(
    rules: &Rules,
    attributes: &Attributes,
    locate: &Locator<'_>,
    now: NaiveDateTime,
    issues: &mut Vec<DataIssue>,
) -> Vec<Lifecycle> {
    let n = locate.people.len();
    if !rules.configured {
        return vec![Lifecycle::Active; n];
    }
    let dates = |name: Option<&str>| -> Option<(&Column, Vec<DateCell>)> {
        let column = attributes.column(name?)?;
        let cells = column.dictionary().iter().map(DateCell::read).collect();
        Some((column, cells))
    };
    let hire = dates(Some(&rules.hire_date));
    let leave = dates(rules.leave_date.as_deref());
    let status: Option<(&Column, Vec<StatusCell>)> = rules
        .status
        .as_ref()
        .map(|(a, _)| {
            attributes.column(a).map_or_else(
                || (None, Vec::new()),
                |c| {
                    (
                        Some(c),
                        c.dictionary()
                            .iter()
                            .map(|v| rules.status_cell(v))
                            .collect(),
                    )
                },
            )
        })
        .and_then(|(c, cells)| c.map(|c| (c, cells)));
    let (missing, no_status, not_configured) = (
        DateCell::Missing,
        StatusCell::Missing,
        StatusCell::NotConfigured,
    );
    fn date_at<'a>(
        d: &'a Option<(&Column, Vec<DateCell>)>,
        i: usize,
        missing: &'a DateCell,
    ) -> &'a DateCell {
        d.as_ref()
            .and_then(|(c, cells)| cells.get(c.code(i) as usize))
            .unwrap_or(missing)
    }
    let status_at = |i: usize| -> &StatusCell {
        match (&rules.status, &status) {
            (None, _) => &not_configured,
            (Some(_), None) => &no_status,
            (Some(_), Some((c, cells))) => cells.get(c.code(i) as usize).unwrap_or(&no_status),
        }
    };
    let status_attr = rules.status.as_ref().map(|(a, _)| a.as_str());
    (0..n)
        .map(|i| {
            let (state, why) = rules.decide(
                date_at(&hire, i, &missing),
                date_at(&leave, i, &missing),
                status_at(i),
                now,
            );
            let field = match &why {
                Why::NoHireDate | Why::HireNotADate(_) => Some(rules.hire_date.as_str()),
                Why::LeaveNotADate(_) => rules.leave_date.as_deref(),
                Why::NoStatus | Why::StatusNotListed(_) | Why::StatusLeaver { .. } => status_attr,
                _ => None,
            };
            // At the record and field the attribute comes from, when it is copied.
            let issue = |code: Code, what: String, help: &str| {
                let issue = match field {
                    Some(attr) => locate.attribute(i, attr, code, what),
                    None => {
                        let mut issue = locate.primary(i, String::new(), code);
                        issue.field = None;
                        issue.message = format!("identity `{}`: {what}", locate.key(i));
                        issue
                    }
                };
                issue.help(help)
            };
            if state == Lifecycle::Unknown {
                issues.push(issue(
                    Code::LifecycleUnknown,
                    format!("lifecycle unknown: {}", why.describe()),
                    UNKNOWN_HELP,
                ));
            } else if matches!(why, Why::StatusLeaver { .. }) {
                issues.push(issue(
                    Code::LeaverWithoutLeaveDate,
                    format!("{}: the account is disabled and kept", why.describe()),
                    LEAVER_HELP,
                ));
            }
            state
        })
        .collect()
}

/// The lifecycle state from the dates alone (no status setting): pre-hire from `prehire_days`
/// before the hire date, a leaver from the day after the leave date, deleted after
/// `retention_days` more; a leave date before the hire date ends an earlier employment (see
/// [`Rules::decide`]).
pub fn lifecycle_at(
    hire: Option<NaiveDateTime>,
    leave: Option<NaiveDateTime>,
    prehire_days: i64,
    retention_days: i64,
    now: NaiveDateTime,
) -> Lifecycle {
    let clamp = |d: i64| u32::try_from(d.max(0)).unwrap_or(u32::MAX);
    let rules = Rules {
        configured: true,
        prehire_days: clamp(prehire_days),
        retention_days: clamp(retention_days),
        ..Rules::default()
    };
    let cell = |d: Option<NaiveDateTime>| d.map_or(DateCell::Missing, DateCell::Date);
    rules
        .decide(&cell(hire), &cell(leave), &StatusCell::NotConfigured, now)
        .0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use raw::StatusMeaning::{Active as StActive, Leaver as StLeaver};

    fn d(s: &str) -> NaiveDateTime {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
    }

    fn rules(prehire: u32, retention: u32, min_gap: u32) -> Rules {
        Rules {
            configured: true,
            hire_date: "hireDate".into(),
            leave_date: Some("leaveDate".into()),
            status: None,
            prehire_days: prehire,
            retention_days: retention,
            min_gap_days: min_gap,
        }
    }

    fn at(r: &Rules, hire: &str, leave: Option<&str>, now: &str) -> Lifecycle {
        let leave = leave.map_or(DateCell::Missing, |l| DateCell::Date(d(l)));
        r.decide(
            &DateCell::Date(d(hire)),
            &leave,
            &StatusCell::NotConfigured,
            d(now),
        )
        .0
    }

    use Lifecycle::{Active, Deleted, Leaver, NotYetHired, PreHire, Unknown};

    #[test]
    fn one_employment_every_boundary() {
        let r = rules(7, 30, 0);
        let (h, l) = ("2026-03-10", Some("2026-09-30"));
        for (now, want) in [
            ("2026-03-02", NotYetHired), // the day before the pre-hire window
            ("2026-03-03", PreHire),     // exactly 7 days before the hire date
            ("2026-03-09", PreHire),     // the day before the hire date
            ("2026-03-10", Active),      // the hire date
            ("2026-09-30", Active),      // the leave date: the last day of work
            ("2026-10-01", Leaver),      // the day after
            ("2026-10-30", Leaver),      // the last day of 30 days of retention
            ("2026-10-31", Deleted),     // the day after retention
        ] {
            assert_eq!(at(&r, h, l, now), want, "{now}");
        }
    }

    /// A rehire whose new hire date is further ahead than the pre-hire window keeps the earlier
    /// employment's account, disabled, until its retention ends (it lost it on the leave date
    /// before: `not_yet_hired`).
    #[test]
    fn rehire_every_boundary() {
        let r = rules(7, 30, 0);
        // Left 2026-09-30 (retention through 10-30); rehired 2026-12-01 (pre-hire from 11-24).
        let (h, l) = ("2026-12-01", Some("2026-09-30"));
        for (now, want) in [
            ("2026-09-29", Active),      // the earlier employment runs
            ("2026-09-30", Active),      // its last day
            ("2026-10-01", Leaver),      // the day after: kept, disabled
            ("2026-10-30", Leaver),      // the last day of retention
            ("2026-10-31", NotYetHired), // retention over, before the pre-hire window
            ("2026-11-23", NotYetHired), // the day before the pre-hire window
            ("2026-11-24", PreHire),     // the pre-hire window of the rehire
            ("2026-11-30", PreHire),     // the day before the new hire date
            ("2026-12-01", Active),      // the new hire date
        ] {
            assert_eq!(at(&r, h, l, now), want, "{now}");
        }
    }

    /// Retention that runs into the new pre-hire window: the account is never dropped.
    #[test]
    fn rehire_with_overlapping_windows() {
        let r = rules(7, 30, 0);
        let (h, l) = ("2026-10-20", Some("2026-09-30"));
        for (now, want) in [
            ("2026-10-01", Leaver),
            ("2026-10-12", Leaver),
            ("2026-10-13", PreHire),
            ("2026-10-19", PreHire),
            ("2026-10-20", Active),
        ] {
            assert_eq!(at(&r, h, l, now), want, "{now}");
        }
    }

    /// A conversion (a gap shorter than `min_gap_days`) keeps the account through the whole
    /// gap, past the retention; at exactly `min_gap_days` it is a rehire.
    #[test]
    fn conversion_and_rehire_by_min_gap() {
        let r = rules(7, 10, 60);
        let l = Some("2026-09-30");
        // 59 days: a conversion.
        for (now, want) in [
            ("2026-09-30", Active),
            ("2026-10-01", Leaver),
            ("2026-10-10", Leaver), // last day of retention
            ("2026-10-11", Leaver), // a conversion is kept past retention
            ("2026-11-20", Leaver), // the day before the pre-hire window
            ("2026-11-21", PreHire),
            ("2026-11-28", Active),
        ] {
            assert_eq!(at(&r, "2026-11-28", l, now), want, "59 days, {now}");
        }
        // 60 days: a rehire.
        for (now, want) in [
            ("2026-10-10", Leaver),
            ("2026-10-11", NotYetHired),
            ("2026-11-21", NotYetHired),
            ("2026-11-22", PreHire),
            ("2026-11-29", Active),
        ] {
            assert_eq!(at(&r, "2026-11-29", l, now), want, "60 days, {now}");
        }
    }

    #[test]
    fn unreadable_dates_and_statuses_are_unknown() {
        let mut r = rules(7, 30, 0);
        let now = d("2026-06-01");
        let hire = DateCell::Date(d("2020-01-01"));
        let none = StatusCell::NotConfigured;
        assert_eq!(
            r.decide(&DateCell::Missing, &DateCell::Missing, &none, now),
            (Unknown, Why::NoHireDate)
        );
        assert_eq!(
            r.decide(
                &DateCell::Invalid("soon".into()),
                &DateCell::Missing,
                &none,
                now
            ),
            (Unknown, Why::HireNotADate("soon".into()))
        );
        // An unreadable leave date is not "no leave date".
        assert_eq!(
            r.decide(&hire, &DateCell::Invalid("31/31/2026".into()), &none, now)
                .0,
            Unknown
        );
        r.status = Some((
            "status".into(),
            vec![("Active".into(), StActive), ("Terminated".into(), StLeaver)],
        ));
        let cell = |v: &str| r.status_cell(&Value::Str(v.into()));
        assert_eq!(cell("active"), StatusCell::Value("active".into(), None));
        assert_eq!(r.status_cell(&Value::Null), StatusCell::Missing);
        for status in [
            cell("active"),
            cell("On Leave"),
            r.status_cell(&Value::Null),
        ] {
            assert_eq!(
                r.decide(&hire, &DateCell::Missing, &status, now).0,
                Unknown,
                "{status:?}"
            );
        }
        assert_eq!(
            r.decide(&hire, &DateCell::Missing, &cell("Active"), now).0,
            Active
        );
    }

    /// A status meaning leaver disables an identity the dates call active; it never enables
    /// one.
    #[test]
    fn status_leaver_disables() {
        let mut r = rules(7, 30, 0);
        r.status = Some((
            "status".into(),
            vec![("Active".into(), StActive), ("Terminated".into(), StLeaver)],
        ));
        let t = r.status_cell(&Value::Str("Terminated".into()));
        let a = r.status_cell(&Value::Str("Active".into()));
        let hire = DateCell::Date(d("2020-01-01"));
        let now = d("2026-06-01");
        assert_eq!(
            r.decide(&hire, &DateCell::Missing, &t, now),
            (
                Leaver,
                Why::StatusLeaver {
                    status: "Terminated".into(),
                    leave: None
                }
            )
        );
        let future = DateCell::Date(d("2026-12-31"));
        assert_eq!(r.decide(&hire, &future, &t, now).0, Leaver);
        // Past leave date: the dates decide (retention runs), whatever the status.
        let past = DateCell::Date(d("2026-01-31"));
        assert_eq!(r.decide(&hire, &past, &t, now).0, Deleted);
        assert_eq!(r.decide(&hire, &past, &a, now).0, Deleted);
        // Before hire, a leaver status changes nothing (no account is enabled anyway).
        let later = DateCell::Date(d("2026-06-05"));
        assert_eq!(r.decide(&later, &DateCell::Missing, &t, now).0, PreHire);
    }

    #[test]
    fn huge_windows_saturate() {
        let r = rules(u32::MAX, u32::MAX, u32::MAX);
        assert_eq!(at(&r, "2026-03-10", None, "2000-01-01"), PreHire);
        assert_eq!(
            at(&r, "2026-03-10", Some("2026-04-01"), "2200-01-01"),
            Leaver
        );
        assert_eq!(
            at(&r, "2026-03-10", Some("2020-04-01"), "2024-01-01"),
            PreHire
        );
    }

    #[test]
    fn no_settings_means_active() {
        let r = Rules::default();
        assert_eq!(
            r.decide(
                &DateCell::Missing,
                &DateCell::Missing,
                &StatusCell::NotConfigured,
                d("2026-01-01")
            ),
            (Active, Why::NotConfigured)
        );
    }

    fn day(d: &str) -> NaiveDateTime {
        NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
    }

    /// Windows beyond the calendar (a setting that slipped past lint, dates near its ends)
    /// never panic: retention never ends, pre-hire always began.
    #[test]
    fn lifecycle_windows_beyond_the_calendar() {
        let far = NaiveDate::MAX.and_hms_opt(0, 0, 0).unwrap();
        let early = NaiveDate::MIN.and_hms_opt(0, 0, 0).unwrap();
        let leave = Some(day("2026-09-30"));
        for days in [96_000_000, 100_000_000, i64::from(u32::MAX), i64::MAX] {
            assert_eq!(
                lifecycle_at(Some(day("2020-01-01")), leave, 0, days, day("2030-01-01")),
                Lifecycle::Leaver,
                "retention {days}"
            );
            assert_eq!(
                lifecycle_at(Some(day("2026-03-10")), None, days, 0, day("2026-01-01")),
                Lifecycle::PreHire,
                "prehire {days}"
            );
        }
        for days in [0, 1, 365, 100_000_000, i64::MAX, i64::MIN] {
            for (a, b) in [(far, early), (early, far), (far, far), (early, early)] {
                let _ = lifecycle_at(Some(a), Some(a), days, days, b);
                let _ = lifecycle_at(Some(a), None, days, days, b);
                let _ = lifecycle_at(None, Some(a), days, days, b);
            }
        }
    }

    #[test]
    fn lifecycle_boundaries() {
        let hire = Some(day("2026-03-10"));
        let leave = Some(day("2026-09-30"));
        let at = |d: &str| lifecycle_at(hire, leave, 7, 30, day(d));
        assert_eq!(at("2026-03-02"), Lifecycle::NotYetHired);
        assert_eq!(
            at("2026-03-03"),
            Lifecycle::PreHire,
            "exactly 7 days before"
        );
        assert_eq!(at("2026-03-09"), Lifecycle::PreHire);
        assert_eq!(at("2026-03-10"), Lifecycle::Active, "the hire date itself");
        assert_eq!(at("2026-09-30"), Lifecycle::Active, "the last day of work");
        assert_eq!(at("2026-10-01"), Lifecycle::Leaver);
        assert_eq!(at("2026-10-30"), Lifecycle::Leaver, "30 days of retention");
        assert_eq!(at("2026-10-31"), Lifecycle::Deleted);
        assert_eq!(
            lifecycle_at(None, None, 7, 30, day("2026-01-01")),
            Lifecycle::Unknown
        );
        // A rehire: a new hire date after the old leave date makes the person active again.
        assert_eq!(
            lifecycle_at(Some(day("2026-11-01")), leave, 7, 30, day("2026-11-05")),
            Lifecycle::Active
        );
        assert_eq!(
            lifecycle_at(Some(day("2026-11-01")), leave, 7, 30, day("2026-10-28")),
            Lifecycle::PreHire
        );
        // A rehire further ahead than the pre-hire window: the earlier employment's account
        // stays, disabled, through its retention (2026-10-01 to 2026-10-30), and nothing is
        // lost while the earlier employment runs.
        let rehire = |d: &str| lifecycle_at(Some(day("2027-02-01")), leave, 7, 30, day(d));
        assert_eq!(
            rehire("2026-09-30"),
            Lifecycle::Active,
            "the earlier employment"
        );
        assert_eq!(rehire("2026-10-01"), Lifecycle::Leaver, "retention starts");
        assert_eq!(rehire("2026-10-30"), Lifecycle::Leaver, "retention ends");
        assert_eq!(rehire("2026-10-31"), Lifecycle::NotYetHired);
        assert_eq!(rehire("2027-01-24"), Lifecycle::NotYetHired);
        assert_eq!(rehire("2027-01-25"), Lifecycle::PreHire);
        assert_eq!(rehire("2027-02-01"), Lifecycle::Active);
    }
}
