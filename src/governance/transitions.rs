//! Lifecycle transitions: the days an identity's lifecycle state changes (pre-hire, hire,
//! leave, end of retention), from its date and status attributes.
//!
//! The state on a day is the one `eval` computes for that as-of date (midnight UTC), by the
//! same rules ([`crate::eval::lifecycle::Rules::decide`]); an event is a day whose state differs from the
//! day before. Only the days next to a date (hire, hire minus the pre-hire window, leave,
//! leave plus retention) can differ, so those are the only ones tried. Identities whose
//! lifecycle is unknown have no transitions: nothing is scheduled for them until their data
//! is fixed.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

use super::{Event, EventKind, Subject, View, Window};
use crate::column::Column;
use crate::eval::Lifecycle;
use crate::eval::lifecycle::{DateCell, StatusCell};

/// The transitions of every identity in `window`, appended to `out`.
pub fn events(view: &View<'_>, window: Window, out: &mut Vec<Event>) {
    let rules = view.lifecycle_rules();
    if !rules.configured {
        return;
    }
    let cells = |name: Option<&str>| -> Option<(&Column, Vec<DateCell>)> {
        let column = view.column(name?)?;
        Some((
            column,
            column.dictionary().iter().map(DateCell::read).collect(),
        ))
    };
    let hire = cells(Some(&rules.hire_date));
    let leave = cells(rules.leave_date.as_deref());
    let status = rules.status.as_ref().and_then(|(a, _)| {
        let column = view.column(a)?;
        let cells: Vec<StatusCell> = column
            .dictionary()
            .iter()
            .map(|v| rules.status_cell(v))
            .collect();
        Some((column, cells))
    });
    let missing = DateCell::Missing;
    let no_status = if rules.status.is_some() {
        StatusCell::Missing
    } else {
        StatusCell::NotConfigured
    };
    let date_at = |d: &'_ Option<(&Column, Vec<DateCell>)>, i: usize| -> DateCell {
        d.as_ref()
            .and_then(|(c, cells)| cells.get(c.code(i) as usize))
            .unwrap_or(&missing)
            .clone()
    };
    let days = |n: u32| TimeDelta::try_days(i64::from(n)).unwrap_or(TimeDelta::zero());
    for i in 0..view.people.len() {
        if view.lifecycle.get(i).is_some_and(|l| l.held()) {
            continue;
        }
        let (h, l) = (date_at(&hire, i), date_at(&leave, i));
        let s = status
            .as_ref()
            .and_then(|(c, cells)| cells.get(c.code(i) as usize))
            .unwrap_or(&no_status);
        let DateCell::Date(hire_at) = h else {
            continue;
        };
        let mut anchors = vec![
            Some(hire_at),
            hire_at.checked_sub_signed(days(rules.prehire_days)),
        ];
        if let DateCell::Date(leave_at) = l {
            anchors.push(Some(leave_at));
            anchors.push(leave_at.checked_add_signed(days(rules.retention_days)));
        }
        let mut candidates: Vec<NaiveDate> = anchors
            .into_iter()
            .flatten()
            .flat_map(|a: NaiveDateTime| [Some(a.date()), a.date().succ_opt()])
            .flatten()
            .filter(|d| window.contains(*d))
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let state = |d: NaiveDate| rules.decide(&h, &l, s, midnight(d)).0;
        for day in candidates {
            let Some(before) = day.pred_opt() else {
                continue;
            };
            let (was, now) = (state(before), state(day));
            if was == now {
                continue;
            }
            if let Some(kind) = kind_of(was, now) {
                out.push(Event {
                    date: day,
                    kind,
                    subject: Subject::Identity(view.key(i).to_string()),
                    source: "lifecycle".into(),
                    summary: summary(kind, now),
                    effects: Vec::new(),
                    tasks: Vec::new(),
                    declared_at: None,
                });
            }
        }
    }
}

fn midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(0, 0, 0).unwrap_or_default()
}

/// The event a change of state is.
fn kind_of(was: Lifecycle, now: Lifecycle) -> Option<EventKind> {
    match now {
        Lifecycle::PreHire => Some(EventKind::PreHire),
        Lifecycle::Active => Some(EventKind::Hire),
        Lifecycle::Leaver => Some(EventKind::Leave),
        Lifecycle::Deleted => Some(EventKind::RetentionEnd),
        // A rehire waiting for the next pre-hire window: the earlier account's retention ended.
        Lifecycle::NotYetHired if was == Lifecycle::Leaver => Some(EventKind::RetentionEnd),
        Lifecycle::NotYetHired | Lifecycle::Unknown => None,
    }
}

fn summary(kind: EventKind, now: Lifecycle) -> String {
    match kind {
        EventKind::PreHire => "pre-hire window opens: the account is created, disabled".into(),
        EventKind::Hire => "first day: the account is enabled".into(),
        EventKind::Leave => "the day after the last day: the account is disabled".into(),
        EventKind::RetentionEnd => "retention ends: the account is deleted".into(),
        _ => format!("the lifecycle becomes {}", now.word()),
    }
}
