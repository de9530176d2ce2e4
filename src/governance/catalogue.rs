//! Entra's built-in lifecycle-workflow tasks: each Roster task (`raw::Task`) as the task
//! definition it becomes, with its `taskDefinitionId` and the workflow categories it is
//! allowed in.
//!
//! Roster's `send_email` is one task for Entra's six e-mail tasks; which one it is follows
//! from the workflow's category, the recipient and, for leavers, the trigger's offset
//! ([`email_definition`]). Where the task tables of Entra's documentation disagree (ambiguity
//! 37: "remove all access package assignments" is leaver-only in one, leaver and mover in
//! the newer), the newer is followed.

use crate::policy::raw::{self, Category, Recipient};

/// One task definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Definition {
    /// Entra's `taskDefinitionId`.
    pub id: &'static str,
    /// Entra's name for it.
    pub name: &'static str,
    /// Whether it is allowed in joiner workflows.
    pub joiner: bool,
    /// In mover workflows.
    pub mover: bool,
    /// In leaver workflows.
    pub leaver: bool,
}

impl Definition {
    /// Whether it is allowed in a workflow of `category`.
    pub fn allows(&self, category: Category) -> bool {
        match category {
            Category::Joiner => self.joiner,
            Category::Mover => self.mover,
            Category::Leaver => self.leaver,
        }
    }

    /// The categories it is allowed in, for messages (`joiner, leaver`).
    pub fn categories(&self) -> String {
        [
            (self.joiner, "joiner"),
            (self.mover, "mover"),
            (self.leaver, "leaver"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(", ")
    }
}

const fn def(id: &'static str, name: &'static str, j: bool, m: bool, l: bool) -> Definition {
    Definition {
        id,
        name,
        joiner: j,
        mover: m,
        leaver: l,
    }
}

/// Send welcome email to new hire.
pub const WELCOME: Definition = def(
    "70b29d51-b59a-4773-9280-8841dfd3f2ea",
    "Send welcome email to new hire",
    true,
    false,
    false,
);
/// Send onboarding reminder email (to the manager).
pub const ONBOARDING_REMINDER: Definition = def(
    "3c860712-2d37-42a4-928f-5c93935d26a1",
    "Send onboarding reminder email",
    true,
    false,
    false,
);
/// Generate Temporary Access Pass and send via email to user's manager.
pub const TAP: Definition = def(
    "1b555e50-7f65-41d5-b514-5894a026d10d",
    "Generate Temporary Access Pass and send via email to user's manager",
    true,
    false,
    false,
);
/// Send email to notify manager of user move.
pub const USER_MOVE: Definition = def(
    "aab41899-9972-422a-9d97-f626014578b7",
    "Send email to notify manager of user move",
    false,
    true,
    false,
);
/// Request user access package assignment.
pub const ASSIGN_PACKAGE: Definition = def(
    "c1ec1e76-f374-4375-aaa6-0bb6bd4c60be",
    "Request user access package assignment",
    true,
    true,
    false,
);
/// Add user to groups.
pub const ADD_TO_GROUPS: Definition = def(
    "22085229-5809-45e8-97fd-270d28d66910",
    "Add user to groups",
    true,
    true,
    true,
);
/// Enable user account.
pub const ENABLE: Definition = def(
    "6fc52c9d-398b-4305-9763-15f42c1676fc",
    "Enable user account",
    true,
    false,
    true,
);
/// Run a custom task extension.
pub const CUSTOM: Definition = def(
    "4262b724-8dba-4fad-afc3-43fcbb497a0e",
    "Run a custom task extension",
    true,
    true,
    true,
);
/// Disable user account.
pub const DISABLE: Definition = def(
    "1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950",
    "Disable user account",
    false,
    false,
    true,
);
/// Remove user from selected groups.
pub const REMOVE_FROM_GROUPS: Definition = def(
    "1953a66c-751c-45e5-8bfe-01462c70da3c",
    "Remove user from selected groups",
    true,
    true,
    true,
);
/// Remove user from all groups.
pub const REMOVE_FROM_ALL_GROUPS: Definition = def(
    "b3a31406-2a15-4c9a-b25b-a658fa5f07fc",
    "Remove user from all groups",
    false,
    false,
    true,
);
/// Remove access package assignment for user.
pub const REMOVE_PACKAGE: Definition = def(
    "4a0b64f2-c7ec-46ba-b117-18f262946c50",
    "Remove access package assignment for user",
    false,
    true,
    true,
);
/// Remove all access package assignments for user.
pub const REMOVE_ALL_PACKAGES: Definition = def(
    "42ae2956-193d-4f39-be06-691b8ac4fa1d",
    "Remove all access package assignments for user",
    false,
    true,
    true,
);
/// Revoke all refresh tokens for user.
pub const REVOKE_SESSIONS: Definition = def(
    "509589a4-0466-4471-829e-49c5e502bdee",
    "Revoke all refresh tokens for user",
    false,
    true,
    true,
);
/// Delete user.
pub const DELETE: Definition = def(
    "8d18588d-9ad3-4c0f-99d0-ec215f0e3dff",
    "Delete user",
    false,
    false,
    true,
);
/// Send email to manager before user's last day.
pub const BEFORE_LAST_DAY: Definition = def(
    "52853a3e-f4e5-4eb8-bb24-1ac09a1da935",
    "Send email to manager before user's last day",
    false,
    false,
    true,
);
/// Send email on user's last day.
pub const ON_LAST_DAY: Definition = def(
    "9c0a1eaf-5bda-4392-9d9e-6e155bb57411",
    "Send email on user's last day",
    false,
    false,
    true,
);
/// Send email to user's manager after their last day.
pub const AFTER_LAST_DAY: Definition = def(
    "6f22ddd4-b3a5-47a4-a846-0d7c201a49ce",
    "Send email to user's manager after their last day",
    false,
    false,
    true,
);

/// Every definition Roster's tasks become.
pub const ALL: [Definition; 18] = [
    WELCOME,
    ONBOARDING_REMINDER,
    TAP,
    USER_MOVE,
    ASSIGN_PACKAGE,
    ADD_TO_GROUPS,
    ENABLE,
    CUSTOM,
    DISABLE,
    REMOVE_FROM_GROUPS,
    REMOVE_FROM_ALL_GROUPS,
    REMOVE_PACKAGE,
    REMOVE_ALL_PACKAGES,
    REVOKE_SESSIONS,
    DELETE,
    BEFORE_LAST_DAY,
    ON_LAST_DAY,
    AFTER_LAST_DAY,
];

/// The definition of a task other than `send_email` (`None` for it: see
/// [`email_definition`]).
pub fn definition(task: &raw::Task) -> Option<Definition> {
    Some(match task {
        raw::Task::EnableAccount => ENABLE,
        raw::Task::DisableAccount => DISABLE,
        raw::Task::DeleteUser => DELETE,
        raw::Task::AddToGroups(_) => ADD_TO_GROUPS,
        raw::Task::RemoveFromGroups(_) => REMOVE_FROM_GROUPS,
        raw::Task::RemoveFromAllGroups => REMOVE_FROM_ALL_GROUPS,
        raw::Task::AssignAccessPackages(_) => ASSIGN_PACKAGE,
        raw::Task::RemoveAccessPackages(_) => REMOVE_PACKAGE,
        raw::Task::RemoveAllAccessPackages => REMOVE_ALL_PACKAGES,
        raw::Task::GenerateTemporaryAccessPass(_) => TAP,
        raw::Task::RevokeSessions => REVOKE_SESSIONS,
        raw::Task::CustomExtension(_) => CUSTOM,
        raw::Task::SendEmail(_) => return None,
    })
}

/// The e-mail task a `send_email` becomes: joiners e-mail the new hire (welcome) or the
/// manager (onboarding reminder); movers the manager (user move); leavers the manager before,
/// on or after the last day, as the trigger's offset says (an attribute-change or on-demand
/// leaver: on the last day). `None`: Entra has no such e-mail (a mover's or leaver's e-mail
/// to the user).
pub fn email_definition(
    category: Category,
    to: Recipient,
    trigger: &raw::Trigger,
) -> Option<Definition> {
    match (category, to) {
        (Category::Joiner, Recipient::User) => Some(WELCOME),
        (Category::Joiner, Recipient::Manager) => Some(ONBOARDING_REMINDER),
        (Category::Mover, Recipient::Manager) => Some(USER_MOVE),
        (Category::Leaver, Recipient::Manager) => Some(match trigger {
            raw::Trigger::TimeBased(t) if t.offset_days.value < 0 => BEFORE_LAST_DAY,
            raw::Trigger::TimeBased(t) if t.offset_days.value > 0 => AFTER_LAST_DAY,
            _ => ON_LAST_DAY,
        }),
        (Category::Mover | Category::Leaver, Recipient::User) => None,
    }
}

/// The definition of a task in a workflow (`None`: an e-mail Entra cannot send).
pub fn of(workflow: &raw::Workflow, task: &raw::Task) -> Option<Definition> {
    match task {
        raw::Task::SendEmail(e) => {
            email_definition(workflow.category.value, e.to.value, &workflow.trigger.value)
        }
        other => definition(other),
    }
}

/// The placeholders an e-mail's subject and body may use.
pub const PLACEHOLDERS: [&str; 9] = [
    "userDisplayName",
    "userGivenName",
    "userSurname",
    "userPrincipalName",
    "userEmployeeHireDate",
    "userEmployeeLeaveDateTime",
    "managerDisplayName",
    "managerEmail",
    "temporaryAccessPass",
];

/// The placeholders of `text` (`{{name}}`, spaces inside the braces allowed), with the byte
/// range of each (braces included) and the name trimmed.
pub fn placeholders(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text.get(from..).and_then(|t| t.find("{{")) {
        let start = from + open;
        let Some(close) = text.get(start + 2..).and_then(|t| t.find("}}")) else {
            break;
        };
        let end = start + 2 + close + 2;
        let name = text.get(start + 2..end - 2).unwrap_or("").trim();
        out.push((start..end, name));
        from = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_lower_case_guids() {
        let mut ids: Vec<&str> = ALL.iter().map(|d| d.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len());
        for id in ids {
            assert_eq!(id.len(), 36, "{id}");
            assert_eq!(id, id.to_lowercase());
            assert_eq!(id.matches('-').count(), 4);
        }
    }

    #[test]
    fn categories_follow_entra() {
        assert!(DISABLE.allows(Category::Leaver) && !DISABLE.allows(Category::Joiner));
        assert!(ENABLE.allows(Category::Joiner) && !ENABLE.allows(Category::Mover));
        assert!(REMOVE_ALL_PACKAGES.allows(Category::Mover));
        assert!(!REMOVE_FROM_ALL_GROUPS.allows(Category::Mover));
        assert_eq!(ADD_TO_GROUPS.categories(), "joiner, mover, leaver");
        assert_eq!(TAP.categories(), "joiner");
    }

    #[test]
    fn placeholders_are_found_with_their_ranges() {
        let text = "Hi {{userGivenName}}, {{ managerEmail }} {{open";
        let found = placeholders(text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0], (3..20, "userGivenName"));
        assert_eq!(&text[found[1].0.clone()], "{{ managerEmail }}");
        assert_eq!(found[1].1, "managerEmail");
    }
}
