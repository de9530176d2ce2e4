//! `workflows.yaml` and `reviews.yaml`: joiner, mover and leaver workflows, and access reviews.

use std::fmt::Write as _;

use super::format::sq;
use super::policy::HEADER;

pub(super) fn workflows() -> String {
    format!(
        "{HEADER}# Joiner, mover and leaver workflows over the lifecycle in identity.yaml.\n\nworkflows:\n{}",
        r#"  joiner-prehire:
    description: A week before day 0, send the manager a Temporary Access Pass for the new hire.
    category: joiner
    trigger:
      time_based: {attribute: hireDate, offset_days: -7}
    scope: user.userType -eq "Member"
    tasks:
      - generate_temporary_access_pass:
          lifetime_minutes: 11520
          one_time: true
      - send_email:
          to: manager
          subject: Your new team member starts in a week
  joiner-day0:
    description: On the hire date, enable the account and welcome the new hire.
    category: joiner
    trigger:
      time_based: {attribute: hireDate, offset_days: 0}
    scope: user.userType -eq "Member"
    tasks:
      - enable_account
      - send_email:
          to: user
          subject: Welcome to Northwind Traders
  joiner-interns:
    description: On day 0, interns join the intern programme community.
    category: joiner
    trigger:
      time_based: {attribute: hireDate, offset_days: 0}
    scope: user.employeeType -eq "Intern"
    tasks:
      - add_to_groups: [intern-programme]
  mover-department:
    description: On a change of department, take back privileged access and tell the manager.
    category: mover
    trigger:
      attribute_change: [department]
    tasks:
      - remove_access_packages: [production-admin]
      - send_email:
          to: manager
          subject: A member of your team has changed department
  mover-manager:
    description: Tell the new manager about their new direct report.
    category: mover
    trigger:
      attribute_change: [manager]
    tasks:
      - send_email:
          to: manager
          subject: You have a new direct report
  mover-location:
    description: A move to another office tells the manager, who re-issues the badge.
    category: mover
    trigger:
      attribute_change: [officeLocation, country]
    tasks:
      - send_email:
          to: manager
          subject: A member of your team has moved office
  leaver-notice:
    description: A week before the last day, remind the manager to plan the handover.
    category: leaver
    trigger:
      time_based: {attribute: leaveDate, offset_days: -7}
    tasks:
      - send_email:
          to: manager
          subject: A member of your team leaves in a week
  leaver-last-day:
    description: At the end of the last day, disable the account and remove all access.
    category: leaver
    trigger:
      time_based: {attribute: leaveDate, offset_days: 0}
    tasks:
      - disable_account
      - revoke_sessions
      - remove_all_access_packages
      - remove_from_all_groups
  leaver-terminated:
    description: A termination without a leave date disables the account at once.
    category: leaver
    trigger:
      attribute_change: [employmentStatus]
    scope: user.employmentStatus -eq "Inactive" -and user.leaveDate -eq null
    tasks:
      - disable_account
      - revoke_sessions
      - remove_all_access_packages
  leaver-delete:
    description: Delete the account once the 30-day retention period is over.
    category: leaver
    trigger:
      time_based: {attribute: leaveDate, offset_days: 30}
    tasks:
      - delete_user
"#
    )
}

pub(super) fn reviews(ceo: &str, erp: &[String]) -> String {
    let mut s = format!(
        "{HEADER}# Access reviews.\n\nreviews:\n  production-admin-quarterly:\n    description: Managers confirm every quarter who still needs production administrator rights.\n    scope:\n      access_package: production-admin\n    reviewers: [manager]\n    fallback_reviewers:\n      - group: it-security\n    recurrence: quarterly\n    start: 2026-01-05\n    duration_days: 14\n    default_decision: recommendation\n    auto_apply: true\n  guests-semiannual:\n    description: Sponsors confirm twice a year which partner guests still collaborate.\n    scope:\n      group: all-guests\n    guests_only: true\n    reviewers:\n      - user: {}\n    fallback_reviewers:\n      - group: it-security\n    recurrence: semi_annually\n    start: 2026-03-02\n    duration_days: 21\n    default_decision: recommendation\n    auto_apply: true\n  erp-annual:\n    description: Managers confirm once a year who still needs the ERP.\n    scope:\n      target: erp\n    reviewers: [manager]\n    recurrence: annually\n    start: 2026-06-01\n    duration_days: 30\n    default_decision: no_change\n    auto_apply: false\n",
        sq(ceo)
    );
    for p in erp.iter().step_by(25) {
        let _ = write!(
            s,
            "  {p}-quarterly:\n    scope:\n      access_package: {p}\n    reviewers: [manager]\n    recurrence: quarterly\n    start: 2026-02-02\n    duration_days: 14\n    default_decision: recommendation\n    auto_apply: true\n"
        );
    }
    s
}
