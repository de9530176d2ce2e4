//! The e-mails of workflow tasks, as their recipients will read them: the policy's subject
//! and body (or Roster's default wording for the task), placeholders resolved from the
//! identity's attributes and its manager's. Nothing is escaped here: each report escapes for
//! its medium.

use chrono::NaiveDate;

use super::catalogue::{self, Definition};
use super::{Email, View};
use crate::eval::lifecycle::DateCell;
use crate::value::Value;

/// Where a placeholder's value comes from.
pub struct Names<'a> {
    /// The hire date attribute (`{{userEmployeeHireDate}}`).
    pub hire_date: Option<&'a str>,
    /// The leave date attribute (`{{userEmployeeLeaveDateTime}}`).
    pub leave_date: Option<&'a str>,
}

/// The text of identity `i`'s attribute `name` (`None`: NULL, empty or not declared).
pub fn text(view: &View<'_>, i: usize, name: &str) -> Option<String> {
    let value = view.column(name)?.get(i);
    match value {
        Value::Null => None,
        Value::Date(_) => date(value).map(|d| d.to_string()),
        Value::List(items) => items
            .first()
            .and_then(|v| v.as_text().map(|t| t.into_owned())),
        other => other.as_text().map(|t| t.into_owned()),
    }
    .filter(|t| !t.trim().is_empty())
}

fn date(value: &Value) -> Option<NaiveDate> {
    match DateCell::read(value) {
        DateCell::Date(d) => Some(d.date()),
        DateCell::Missing | DateCell::Invalid(_) => None,
    }
}

/// The index of identity `i`'s manager: the `manager` attribute holds the manager's key.
pub fn manager(view: &View<'_>, i: usize) -> Result<usize, String> {
    let Some(key) = text(view, i, "manager") else {
        return Err("has no manager".into());
    };
    view.people
        .binary_search_by(|p| p.key.as_str().cmp(key.as_str()))
        .map_err(|_| format!("has a manager `{key}` who is not an identity"))
}

/// Identity `i`'s e-mail address (`mail`).
pub fn address(view: &View<'_>, i: usize) -> Option<String> {
    text(view, i, "mail")
}

/// The value of placeholder `name` for identity `i`.
fn placeholder(view: &View<'_>, names: &Names<'_>, i: usize, name: &str) -> String {
    let manager = || manager(view, i).ok();
    let value = match name {
        "userDisplayName" => text(view, i, "displayName"),
        "userGivenName" => text(view, i, "givenName"),
        "userSurname" => text(view, i, "surname"),
        "userPrincipalName" => text(view, i, "userPrincipalName").or_else(|| text(view, i, "mail")),
        "userEmployeeHireDate" => names.hire_date.and_then(|a| {
            view.column(a)
                .and_then(|c| date(c.get(i)))
                .map(|d| d.to_string())
        }),
        "userEmployeeLeaveDateTime" => names.leave_date.and_then(|a| {
            view.column(a)
                .and_then(|c| date(c.get(i)))
                .map(|d| d.to_string())
        }),
        "managerDisplayName" => manager().and_then(|m| text(view, m, "displayName")),
        "managerEmail" => manager().and_then(|m| address(view, m)),
        "temporaryAccessPass" => {
            Some("[the Temporary Access Pass, generated when the task runs]".into())
        }
        _ => None,
    };
    value.unwrap_or_default()
}

/// `text` with its placeholders resolved for identity `i` (an unknown placeholder, which
/// lint refuses, is left as written).
pub fn resolve(view: &View<'_>, names: &Names<'_>, i: usize, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (range, name) in catalogue::placeholders(text) {
        out.push_str(text.get(last..range.start).unwrap_or(""));
        if catalogue::PLACEHOLDERS.contains(&name) {
            out.push_str(&placeholder(view, names, i, name));
        } else {
            out.push_str(text.get(range.clone()).unwrap_or(""));
        }
        last = range.end;
    }
    out.push_str(text.get(last..).unwrap_or(""));
    out
}

/// Roster's wording of an e-mail task when the policy gives none: (subject, body).
pub fn default_wording(def: &Definition) -> (&'static str, &'static str) {
    match def.id {
        id if id == catalogue::WELCOME.id => (
            "Welcome, {{userGivenName}}",
            "Welcome to the team, {{userDisplayName}}. Your first day is {{userEmployeeHireDate}}; {{managerDisplayName}} will meet you and help you get started.",
        ),
        id if id == catalogue::ONBOARDING_REMINDER.id => (
            "{{userDisplayName}} starts on {{userEmployeeHireDate}}",
            "Your new team member {{userDisplayName}} starts on {{userEmployeeHireDate}}. Please make sure they have what they need on their first day.",
        ),
        id if id == catalogue::TAP.id => (
            "Temporary Access Pass for {{userDisplayName}}",
            "The Temporary Access Pass for {{userDisplayName}} ({{userPrincipalName}}) is {{temporaryAccessPass}}. Please give it to them in person on {{userEmployeeHireDate}}.",
        ),
        id if id == catalogue::USER_MOVE.id => (
            "{{userDisplayName}} has moved",
            "{{userDisplayName}} has a new role or place in the organisation. Please review what they need and what they no longer need.",
        ),
        id if id == catalogue::BEFORE_LAST_DAY.id => (
            "{{userDisplayName}} leaves on {{userEmployeeLeaveDateTime}}",
            "{{userDisplayName}}'s last day is {{userEmployeeLeaveDateTime}}. Please plan the handover of their work and files.",
        ),
        id if id == catalogue::ON_LAST_DAY.id => (
            "Today is {{userDisplayName}}'s last day",
            "Today is {{userDisplayName}}'s last day. Their account will be disabled at the end of the day.",
        ),
        id if id == catalogue::AFTER_LAST_DAY.id => (
            "{{userDisplayName}} has left",
            "{{userDisplayName}} left on {{userEmployeeLeaveDateTime}}. Their account is disabled and their access has been removed.",
        ),
        _ => ("", ""),
    }
}

/// The recipient of an e-mail task: the user or the manager (`Err`: why it fails).
pub fn recipient(view: &View<'_>, i: usize, to_manager: bool) -> Result<String, String> {
    if to_manager {
        let m = manager(view, i).map_err(|why| format!("the user {why}"))?;
        address(view, m).ok_or_else(|| {
            format!(
                "the manager `{}` has no e-mail address (`mail`)",
                view.key(m)
            )
        })
    } else {
        address(view, i).ok_or_else(|| "the user has no e-mail address (`mail`)".to_string())
    }
}

/// What a policy says of one e-mail.
pub struct Written<'a> {
    /// To the manager (else the user).
    pub to_manager: bool,
    /// The custom subject.
    pub subject: Option<&'a str>,
    /// The custom body.
    pub body: Option<&'a str>,
    /// Identity keys who get a copy.
    pub cc: &'a [String],
}

/// The e-mail identity `i` gets (or its manager), and why it fails, if it does.
pub fn render(
    view: &View<'_>,
    names: &Names<'_>,
    i: usize,
    def: &Definition,
    written: &Written<'_>,
) -> (Email, Option<String>) {
    let Written {
        to_manager,
        subject,
        body,
        cc,
    } = *written;
    let (default_subject, default_body) = default_wording(def);
    let to = recipient(view, i, to_manager);
    let mut problem = to.as_ref().err().cloned();
    let mut copies = Vec::new();
    for key in cc {
        match view
            .people
            .binary_search_by(|p| p.key.as_str().cmp(key.as_str()))
            .ok()
            .and_then(|c| address(view, c))
        {
            Some(a) => copies.push(a),
            None => {
                if problem.is_none() {
                    problem = Some(format!(
                        "`cc` names `{key}`, who is not an identity with an e-mail address"
                    ));
                }
            }
        }
    }
    let email = Email {
        to: to.ok(),
        cc: copies,
        subject: resolve(view, names, i, subject.unwrap_or(default_subject)),
        body: resolve(view, names, i, body.unwrap_or(default_body)),
    };
    (email, problem)
}
