//! Access-package assignments kept in git, and guests: what a record grants and when, the
//! data checks that refuse a record (fail closed), and the guest lifecycle.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;
use roster::codes::Code;
use roster::eval::{DesiredState, Options};
use roster::governance::{self, EventKind, Window};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A policy set in a fresh directory: `files` are (name, text).
fn set(files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "roster-assignments-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

/// A policy set of a policy file, assignment records and an HR file (the fixture most tests
/// here start from).
fn records_set(policy: &str, records: &str, hr: &str) -> PathBuf {
    set(&[
        ("policy.yaml", policy),
        ("records.yaml", records),
        ("hr.csv", hr),
    ])
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The codes `lint` reports for the set.
fn lint_codes(dir: &Path) -> Vec<Code> {
    let checked = roster::policy::check(dir).unwrap();
    checked.diagnostics.iter().map(|d| d.code).collect()
}

fn eval(
    dir: &Path,
    as_of: &str,
) -> (
    roster::policy::load::Loaded,
    roster::policy::Policy,
    DesiredState,
) {
    let loaded = roster::policy::load::load(dir).unwrap();
    let mut diags = Vec::new();
    let policy = roster::policy::compile::compile(&loaded, &mut diags);
    let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let state = roster::eval::evaluate(&loaded, &policy, Options::at(day(as_of)));
    (loaded, policy, state)
}

fn packages(state: &DesiredState, key: &str) -> Vec<String> {
    let i = state.identities.position(key).unwrap();
    state.identities.get(i).unwrap().access_packages
}

fn groups(state: &DesiredState, key: &str) -> Vec<String> {
    let i = state.identities.position(key).unwrap();
    state.identities.get(i).unwrap().groups
}

fn accounts(state: &DesiredState, key: &str) -> Vec<String> {
    let i = state.identities.position(key).unwrap();
    state
        .identities
        .get(i)
        .unwrap()
        .accounts
        .keys()
        .cloned()
        .collect()
}

fn codes(state: &DesiredState) -> Vec<Code> {
    state.issues.iter().map(|i| i.code).collect()
}

const BASE: &str = r#"
sources:
  hr:
    format: csv
    path: hr.csv
    key: id
    fields:
      id: string
      manager: string
      team: string
identity:
  attributes:
    employeeId:
      source: hr.id
    manager:
      source: hr.manager
    department:
      source: hr.team
groups:
  tool-users:
    rule: user.employeeId -eq "nobody"
  engineers:
    rule: user.department -eq "Engineering"
  security:
    members: ["4"]
  auditors:
    rule: user.department -eq "Audit"
  managed:
    rule: user.manager -ne null
targets:
  app:
    kind: scim
    deletion_threshold: 50
    matching: [externalId]
    scope:
      access_packages: [tools]
    mappings:
      externalId:
        source: employeeId
access_packages:
  tools:
    resources:
      - group: tool-users
      - app_role: {target: app, role: User}
    incompatible_groups: [auditors]
    policies:
      request:
        requestors:
          groups: [engineers]
        approval:
          - approvers: [manager]
            timeout_days: 3
          - approvers:
              - group: security
            timeout_days: 2
        expiry:
          days: 10
"#;

const HR: &str =
    "id,manager,team\n1,2,Engineering\n2,,Engineering\n3,2,Sales\n4,2,Security\n5,2,Audit\n";

fn record(key: &str, first: &str, second: &str) -> String {
    format!(
        r#"
assignments:
  tools-{key}:
    identity: "{key}"
    package: tools
    policy: request
    requested: 2026-03-01T08:00:00Z
    approvals:
      - {{by: "{first}", decision: approve, at: 2026-03-01T09:00:00Z}}
      - {{by: "{second}", decision: approve, at: 2026-03-02T09:00:00Z}}
"#
    )
}

#[test]
fn a_record_grants_its_package_and_the_package_grants_its_group_and_app_role_account() {
    let dir = records_set(BASE, &record("1", "2", "4"), HR);
    assert_eq!(lint_codes(&dir), vec![]);
    let (_, _, state) = eval(&dir, "2026-03-05");
    assert_eq!(codes(&state), vec![]);
    assert_eq!(packages(&state, "1"), vec!["tools"]);
    assert!(groups(&state, "1").contains(&"tool-users".to_string()));
    assert_eq!(accounts(&state, "1"), vec!["app"]);
    // Nobody else.
    assert_eq!(packages(&state, "2"), Vec::<String>::new());
    assert_eq!(accounts(&state, "2"), Vec::<String>::new());
    // The origin is the record.
    let i = state.identities.position("1").unwrap();
    let origins = state.identities.get(i).unwrap().access_package_origins;
    assert_eq!(
        origins.get("tools").unwrap(),
        &vec!["assignment:tools-1".to_string()]
    );
}

#[test]
fn a_record_holds_from_its_start_day_to_the_day_before_its_end() {
    // Approved 2026-03-02T09:00 (start), 10 days: ends 2026-03-12T09:00.
    let dir = records_set(BASE, &record("1", "2", "4"), HR);
    for (d, held) in [
        ("2026-03-01", false),
        ("2026-03-02", true),
        ("2026-03-11", true),
        ("2026-03-12", false),
        ("2026-03-13", false),
    ] {
        let (_, _, state) = eval(&dir, d);
        assert_eq!(!packages(&state, "1").is_empty(), held, "{d}");
        assert_eq!(!accounts(&state, "1").is_empty(), held, "{d}");
    }
}

#[test]
fn reminders_come_14_days_and_1_day_before_the_end_and_not_before_the_start() {
    let text = BASE.replace("days: 10", "days: 30");
    let dir = records_set(&text, &record("1", "2", "4"), HR);
    let (loaded, policy, state) = eval(&dir, "2026-03-05");
    let view = governance::View::of(&loaded, &policy, &state);
    let events = governance::events(
        &view,
        Window {
            from: day("2026-02-01"),
            to: day("2026-05-01"),
        },
    );
    let mine: Vec<(String, EventKind)> = events
        .iter()
        .filter(|e| e.source == "assignment:tools-1")
        .map(|e| (e.date.to_string(), e.kind))
        .collect();
    // Start 2026-03-02T09:00, 30 days: the end is 2026-04-01T09:00.
    assert_eq!(
        mine,
        vec![
            ("2026-03-02".to_string(), EventKind::AssignmentStart),
            ("2026-03-18".to_string(), EventKind::AssignmentReminder),
            ("2026-03-31".to_string(), EventKind::AssignmentReminder),
            ("2026-04-01".to_string(), EventKind::AssignmentExpiry),
        ]
    );
    // The events of the window are the union of the events of its days.
    let mut by_day = Vec::new();
    for d in (Window {
        from: day("2026-02-01"),
        to: day("2026-05-01"),
    })
    .days()
    {
        by_day.extend(governance::events(&view, Window::day(d)));
    }
    assert_eq!(by_day, events);
    // A record of two days has no reminder: the day before the end is its start day.
    let short = BASE.replace("days: 10", "days: 1");
    let dir = records_set(&short, &record("1", "2", "4"), HR);
    let (loaded, policy, state) = eval(&dir, "2026-03-02");
    let view = governance::View::of(&loaded, &policy, &state);
    let kinds: Vec<EventKind> = governance::events(
        &view,
        Window {
            from: day("2026-02-01"),
            to: day("2026-05-01"),
        },
    )
    .iter()
    .map(|e| e.kind)
    .collect();
    assert_eq!(
        kinds,
        vec![EventKind::AssignmentStart, EventKind::AssignmentExpiry]
    );
}

#[test]
fn a_revoked_record_stops_on_its_revocation_day() {
    let text = format!(
        "{}    revoked: {{at: 2026-03-06T12:00:00Z, by: \"2\", reason: moved teams}}\n",
        record("1", "2", "4")
    );
    let dir = records_set(BASE, &text, HR);
    let (_, _, state) = eval(&dir, "2026-03-05");
    assert_eq!(packages(&state, "1"), vec!["tools"]);
    let (loaded, policy, state) = eval(&dir, "2026-03-06");
    assert_eq!(packages(&state, "1"), Vec::<String>::new());
    let view = governance::View::of(&loaded, &policy, &state);
    let kinds: Vec<EventKind> = governance::events(
        &view,
        Window {
            from: day("2026-03-01"),
            to: day("2026-04-01"),
        },
    )
    .iter()
    .map(|e| e.kind)
    .collect();
    // No reminder and no expiry after a revocation.
    assert_eq!(
        kinds,
        vec![EventKind::AssignmentStart, EventKind::AssignmentRevoked]
    );
}

#[test]
fn an_approver_who_is_not_the_manager_grants_nothing_and_is_reported() {
    // 4 is not the manager of 1 (2 is): forged.
    let dir = records_set(BASE, &record("1", "4", "4"), HR);
    let (_, _, state) = eval(&dir, "2026-03-05");
    assert_eq!(packages(&state, "1"), Vec::<String>::new());
    assert_eq!(accounts(&state, "1"), Vec::<String>::new());
    assert_eq!(codes(&state), vec![Code::AssignmentDataRefused]);
    let issue = &state.issues[0];
    assert_eq!(
        issue.field.as_deref(),
        Some("assignments.tools-1.approvals[0].by")
    );
    assert_eq!(issue.row, Some(3));
}

#[test]
fn a_group_approver_who_is_not_a_member_grants_nothing() {
    // 2 is the manager, but not a member of `security` (4 is).
    let dir = records_set(BASE, &record("1", "2", "2"), HR);
    let (_, _, state) = eval(&dir, "2026-03-05");
    assert_eq!(packages(&state, "1"), Vec::<String>::new());
    assert!(!groups(&state, "1").contains(&"tool-users".to_string()));
    assert_eq!(codes(&state), vec![Code::AssignmentDataRefused]);
    assert_eq!(
        state.issues[0].field.as_deref(),
        Some("assignments.tools-1.approvals[1].by")
    );
}

#[test]
fn a_requestor_outside_the_policys_groups_grants_nothing() {
    // 3 is in Sales, and the policy takes requests from `engineers`.
    let dir = records_set(BASE, &record("3", "2", "4"), HR);
    let (_, _, state) = eval(&dir, "2026-03-05");
    assert_eq!(packages(&state, "3"), Vec::<String>::new());
    assert_eq!(codes(&state), vec![Code::AssignmentDataRefused]);
    assert_eq!(
        state.issues[0].field.as_deref(),
        Some("assignments.tools-3.identity")
    );
}

#[test]
fn a_record_for_an_unknown_identity_grants_nothing_and_is_reported() {
    let dir = records_set(BASE, &record("9", "2", "4"), HR);
    let (_, _, state) = eval(&dir, "2026-03-05");
    assert_eq!(codes(&state), vec![Code::AssignmentDataRefused]);
    assert!(
        state.issues[0]
            .message
            .contains("`9`, which is not an identity"),
        "{}",
        state.issues[0].message
    );
    for k in ["1", "2", "3", "4", "5"] {
        assert_eq!(packages(&state, k), Vec::<String>::new());
    }
}

#[test]
fn separation_of_duties_refuses_a_record_and_takes_back_what_the_package_grants() {
    let hr = HR.replace("5,2,Audit", "5,2,Audit\n6,2,Engineering");
    // 5 is an auditor: the package is incompatible with `auditors`. Make 5 an engineer
    // requestor too by a second group in the policy.
    let policy = BASE.replace("groups: [engineers]", "groups: [engineers, auditors]");
    let dir = records_set(&policy, &record("5", "2", "4"), &hr);
    let (_, _, state) = eval(&dir, "2026-03-05");
    assert_eq!(packages(&state, "5"), Vec::<String>::new());
    assert!(!groups(&state, "5").contains(&"tool-users".to_string()));
    assert_eq!(accounts(&state, "5"), Vec::<String>::new());
    assert_eq!(codes(&state), vec![Code::AssignmentConflict]);
    // No separation-of-duties conflict remains: the record was refused.
    assert!(state.conflicts.is_empty());
}

#[test]
fn lint_checks_each_record_against_its_policy() {
    let cases: Vec<(String, Vec<Code>)> = vec![
        // Approved in time at the exact timeout (3 days after the request): allowed.
        (
            record("1", "2", "4")
                .replace("at: 2026-03-01T09:00:00Z", "at: 2026-03-04T08:00:00Z")
                .replace("at: 2026-03-02T09:00:00Z", "at: 2026-03-06T08:00:00Z"),
            vec![],
        ),
        // One second late: denied by timeout.
        (
            record("1", "2", "4")
                .replace("at: 2026-03-01T09:00:00Z", "at: 2026-03-04T08:00:01Z")
                .replace("at: 2026-03-02T09:00:00Z", "at: 2026-03-05T09:00:00Z"),
            vec![Code::AssignmentNotApproved],
        ),
        // Self-approval.
        (record("2", "2", "4"), vec![Code::AssignmentSelfApproval]),
        // One decision for two stages.
        (
            record("1", "2", "4").replace(
                "      - {by: \"4\", decision: approve, at: 2026-03-02T09:00:00Z}\n",
                "",
            ),
            vec![Code::AssignmentApprover],
        ),
        // A denied first stage: the record grants nothing (a warning), no second stage.
        (
            record("1", "2", "4")
                .replace(
                    "      - {by: \"4\", decision: approve, at: 2026-03-02T09:00:00Z}\n",
                    "",
                )
                .replace("decision: approve", "decision: deny"),
            vec![Code::AssignmentNotApproved],
        ),
        // A decision after a deny.
        (
            record("1", "2", "4").replace(
                "{by: \"2\", decision: approve",
                "{by: \"2\", decision: deny",
            ),
            vec![Code::AssignmentApprover, Code::AssignmentNotApproved],
        ),
        // Stages out of order.
        (
            record("1", "2", "4").replace("at: 2026-03-02T09:00:00Z", "at: 2026-03-01T08:30:00Z"),
            vec![Code::AssignmentApprover],
        ),
        // The second stage is a group: a named user who is not listed cannot be checked statically,
        // but a sponsor cannot approve an identity's request.
        (
            record("1", "2", "4").replace("package: tools", "package: toolz"),
            vec![Code::UnknownReference],
        ),
        (
            record("1", "2", "4").replace("policy: request", "policy: requests"),
            vec![Code::UnknownReference],
        ),
        (
            record("1", "2", "4").replace("2026-03-01T08:00:00Z", "March 1st"),
            vec![Code::AssignmentInvalid],
        ),
        (
            format!("{}    end: 2026-03-12T09:00:00Z\n", record("1", "2", "4")),
            vec![],
        ),
        (
            format!("{}    end: 2026-03-12T09:00:01Z\n", record("1", "2", "4")),
            vec![Code::AssignmentTooLong],
        ),
        (
            format!("{}    end: 2026-03-02T09:00:00Z\n", record("1", "2", "4")),
            vec![Code::AssignmentInvalid],
        ),
        (
            format!("{}    start: 2026-03-02T08:00:00Z\n", record("1", "2", "4")),
            vec![Code::AssignmentInvalid],
        ),
        (
            format!(
                "{}    guest: {{email: a@b.example, organization: x}}\n",
                record("1", "2", "4")
            ),
            vec![Code::AssignmentInvalid],
        ),
    ];
    for (text, want) in cases {
        let dir = records_set(BASE, &text, HR);
        let mut got = lint_codes(&dir);
        got.sort();
        assert_eq!(got, want, "{text}");
    }
}

#[test]
fn justification_and_direct_assignment_follow_the_policy() {
    let policy = BASE.replace(
        "        expiry:\n          days: 10\n",
        "        expiry:\n          days: 10\n        justification: true\n",
    );
    let dir = records_set(&policy, &record("1", "2", "4"), HR);
    assert_eq!(lint_codes(&dir), vec![Code::AssignmentJustification]);
    let text = format!("{}    justification: \"  \"\n", record("1", "2", "4"));
    let dir = records_set(&policy, &text, HR);
    assert_eq!(lint_codes(&dir), vec![Code::AssignmentJustification]);
    let text = format!("{}    justification: release week\n", record("1", "2", "4"));
    let dir = records_set(&policy, &text, HR);
    assert_eq!(lint_codes(&dir), vec![]);
    // `requestors: none`: only an administrator's direct assignment, and not to themselves.
    let none = BASE.replace(
        "        requestors:\n          groups: [engineers]\n",
        "        requestors: none\n",
    );
    let dir = records_set(&none, &record("1", "2", "4"), HR);
    assert_eq!(lint_codes(&dir), vec![Code::AssignmentOutOfScope]);
    let direct = record("1", "2", "4").replace(
        "    policy: request\n",
        "    policy: request\n    assigned_by: \"4\"\n",
    );
    let dir = records_set(&none, &direct, HR);
    assert_eq!(lint_codes(&dir), vec![]);
    let (_, _, state) = eval(&dir, "2026-03-05");
    assert_eq!(packages(&state, "1"), vec!["tools"]);
    let own = record("1", "2", "4").replace(
        "    policy: request\n",
        "    policy: request\n    assigned_by: \"1\"\n",
    );
    let dir = records_set(&none, &own, HR);
    assert_eq!(lint_codes(&dir), vec![Code::AssignmentSelfApproval]);
}

const GUESTS: &str = r#"
connected_organizations:
  fabrikam:
    domain: fabrikam.example
    internal_sponsors: ["2"]
    external_sponsors: [ops@fabrikam.example]
access_packages:
  portal:
    resources:
      - group: partners
    policies:
      partners:
        requestors:
          connected_organizations: [fabrikam]
        approval:
          - approvers: [external_sponsor]
            timeout_days: 14
        expiry:
          days: 10
assignments:
  kim:
    guest:
      email: Kim@Fabrikam.example
      organization: fabrikam
    package: portal
    policy: partners
    requested: 2026-03-01T08:00:00Z
    approvals:
      - {by: ops@fabrikam.example, decision: approve, at: 2026-03-01T09:00:00Z}
    start: 2026-03-03
"#;

const GUEST_BASE: &str = r#"
sources:
  hr:
    format: csv
    path: hr.csv
    key: id
    fields:
      id: string
identity:
  attributes:
    employeeId:
      source: hr.id
groups:
  partners:
    rule: user.employeeId -eq "nobody"
"#;

fn guest_state(dir: &Path, d: &str) -> Option<(String, Vec<String>, Vec<String>)> {
    let (_, _, state) = eval(dir, d);
    state.guests.first().map(|g| {
        (
            g.state.word().to_string(),
            g.access_packages.clone(),
            g.groups.clone(),
        )
    })
}

#[test]
fn a_guest_is_invited_on_approval_active_while_assigned_then_blocked_and_removed() {
    let dir = set(&[
        ("policy.yaml", GUEST_BASE),
        ("guests.yaml", GUESTS),
        ("hr.csv", "id\n1\n2\n"),
    ]);
    assert_eq!(lint_codes(&dir), vec![]);
    // Ends 2026-03-13 (10 days from the start, midnight); removed 30 days later (Entra's
    // default).
    let portal = || vec!["portal".to_string()];
    let partners = || vec!["partners".to_string()];
    assert_eq!(guest_state(&dir, "2026-02-28"), None);
    assert_eq!(
        guest_state(&dir, "2026-03-01"),
        Some(("invited".into(), vec![], vec![]))
    );
    assert_eq!(
        guest_state(&dir, "2026-03-02"),
        Some(("invited".into(), vec![], vec![]))
    );
    assert_eq!(
        guest_state(&dir, "2026-03-03"),
        Some(("active".into(), portal(), partners()))
    );
    assert_eq!(
        guest_state(&dir, "2026-03-12"),
        Some(("active".into(), portal(), partners()))
    );
    assert_eq!(
        guest_state(&dir, "2026-03-13"),
        Some(("blocked".into(), vec![], vec![]))
    );
    assert_eq!(
        guest_state(&dir, "2026-04-11"),
        Some(("blocked".into(), vec![], vec![]))
    );
    assert_eq!(
        guest_state(&dir, "2026-04-12"),
        Some(("removed".into(), vec![], vec![]))
    );
    let (loaded, policy, state) = eval(&dir, "2026-03-05");
    assert_eq!(state.guests[0].email, "kim@fabrikam.example");
    assert_eq!(state.summary.guests.get("active"), Some(&1));
    let view = governance::View::of(&loaded, &policy, &state);
    let events: Vec<(String, EventKind)> = governance::events(
        &view,
        Window {
            from: day("2026-01-01"),
            to: day("2026-12-31"),
        },
    )
    .iter()
    .filter(|e| matches!(&e.subject, governance::Subject::Guest(g) if g == "kim@fabrikam.example"))
    .map(|e| (e.date.to_string(), e.kind))
    .collect();
    assert_eq!(
        events,
        vec![
            ("2026-03-01".to_string(), EventKind::GuestInvited),
            ("2026-03-03".to_string(), EventKind::AssignmentStart),
            // 1 day before the end; 14 days before is before the start: none.
            ("2026-03-12".to_string(), EventKind::AssignmentReminder),
            ("2026-03-13".to_string(), EventKind::AssignmentExpiry),
            ("2026-03-13".to_string(), EventKind::GuestBlocked),
            ("2026-04-12".to_string(), EventKind::GuestRemoved),
        ]
    );
}

#[test]
fn the_organisations_removal_days_win_over_the_tenants_and_the_tenant_can_keep_guests() {
    let tenant = "tenant:\n  default_domain: northwind.example\n  external_users:\n    block_sign_in: false\n    remove_after_days: 5\n";
    let dir = set(&[
        ("policy.yaml", GUEST_BASE),
        ("guests.yaml", GUESTS),
        ("tenant.yaml", tenant),
        ("hr.csv", "id\n1\n"),
    ]);
    // Not blocked: active until removed, 5 days after the end.
    assert_eq!(
        guest_state(&dir, "2026-03-17").map(|g| g.0),
        Some("active".into())
    );
    assert_eq!(
        guest_state(&dir, "2026-03-18").map(|g| g.0),
        Some("removed".into())
    );
    let org = GUESTS.replace(
        "    domain: fabrikam.example\n",
        "    domain: fabrikam.example\n    remove_guests_after_days: 0\n",
    );
    let dir = set(&[
        ("policy.yaml", GUEST_BASE),
        ("guests.yaml", &org),
        ("tenant.yaml", tenant),
        ("hr.csv", "id\n1\n"),
    ]);
    assert_eq!(
        guest_state(&dir, "2026-03-12").map(|g| g.0),
        Some("active".into())
    );
    assert_eq!(
        guest_state(&dir, "2026-03-13").map(|g| g.0),
        Some("removed".into())
    );
    let never = "tenant:\n  default_domain: northwind.example\n  external_users:\n    block_sign_in: false\n    remove: false\n";
    let dir = set(&[
        ("policy.yaml", GUEST_BASE),
        ("guests.yaml", GUESTS),
        ("tenant.yaml", never),
        ("hr.csv", "id\n1\n"),
    ]);
    assert_eq!(
        guest_state(&dir, "2030-01-01").map(|g| g.0),
        Some("active".into())
    );
}

#[test]
fn guest_records_are_checked_against_the_organisation() {
    let cases: Vec<(String, Vec<Code>)> = vec![
        (GUESTS.to_string(), vec![]),
        (GUESTS.replace("Kim@Fabrikam.example", "kim@fabrikam.example.evil"), vec![Code::GuestDomainMismatch]),
        (GUESTS.replace("Kim@Fabrikam.example", "'@fabrikam.example'"), vec![Code::GuestDomainMismatch]),
        // A guest's name is a display name: one line of printable text.
        (GUESTS.replace("      organization: fabrikam\n", "      display_name: \"Kim\\u202eAkers\"\n      organization: fabrikam\n"), vec![Code::InvalidDisplayName]),
        // Not an external sponsor of the organisation.
        (GUESTS.replace("{by: ops@fabrikam.example", "{by: someone@fabrikam.example"), vec![Code::AssignmentApprover]),
        // The guest approving their own request.
        (GUESTS.replace("{by: ops@fabrikam.example", "{by: kim@fabrikam.example"), vec![Code::AssignmentApprover, Code::AssignmentSelfApproval]),
        // An organisation the policy does not take.
        (GUESTS.replace("organization: fabrikam\n", "organization: contoso\n").replace("connected_organizations:\n  fabrikam:", "connected_organizations:\n  contoso:\n    domain: fabrikam.example\n  fabrikam:"), vec![Code::AssignmentOutOfScope, Code::AssignmentApprover]),
    ];
    for (text, want) in cases {
        let dir = set(&[
            ("policy.yaml", GUEST_BASE),
            ("guests.yaml", &text),
            ("hr.csv", "id\n1\n"),
        ]);
        let mut got = lint_codes(&dir);
        got.sort();
        assert_eq!(got, want, "{text}");
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// Whatever the dates of a record say, checking and evaluating it does not panic, and
        /// a record whose dates are not dates is refused (never granted).
        #[test]
        fn any_dates_are_checked_without_panic(
            requested in "\\PC{0,24}",
            at in "\\PC{0,24}",
            end in "\\PC{0,24}",
        ) {
            let q = |s: &str| serde_json::to_string(s).unwrap();
            let text = format!(
                "{}    end: {}\n",
                record("1", "2", "4")
                    .replace("2026-03-01T08:00:00Z", &q(&requested))
                    .replace("2026-03-01T09:00:00Z", &q(&at)),
                q(&end)
            );
            let dir = set(&[("policy.yaml", BASE), ("records.yaml", &text), ("hr.csv", HR)]);
            let codes = lint_codes(&dir);
            let valid = [&requested, &at, &end]
                .iter()
                .all(|s| roster::governance::assignments::parse_at(s).is_some());
            if !valid {
                prop_assert!(codes.contains(&Code::AssignmentInvalid), "{codes:?}");
            }
            let _ = std::fs::remove_dir_all(&dir);
        }

        /// A date reads as its midnight UTC; a date-time with an offset as the same instant in UTC.
        #[test]
        fn dates_read_as_midnight_and_offsets_as_utc(days in 0i64..40_000, minutes in 0i64..1440, offset in -720i32..720) {
            let d = day("1970-01-01") + chrono::TimeDelta::days(days);
            let text = d.format("%Y-%m-%d").to_string();
            prop_assert_eq!(roster::governance::assignments::parse_at(&text), d.and_hms_opt(0, 0, 0));
            let local = d.and_hms_opt(0, 0, 0).unwrap() + chrono::TimeDelta::minutes(minutes);
            let tz = chrono::FixedOffset::east_opt(offset * 60).unwrap();
            let stamp = local.and_local_timezone(tz).unwrap();
            prop_assert_eq!(
                roster::governance::assignments::parse_at(&stamp.to_rfc3339()),
                Some(stamp.naive_utc())
            );
        }
    }
}

// ---- The auto-assignment grace period (`docs/access-requests.md`) ----

const GRACE: &str = r#"
sources:
  hr:
    format: csv
    path: hr.csv
    key: id
    fields:
      id: string
      team: string
identity:
  attributes:
    employeeId:
      source: hr.id
    department:
      source: hr.team
groups:
  eng-tools:
    rule: user.employeeId -eq "nobody"
access_packages:
  eng:
    resources:
      - group: eng-tools
    auto_assignment:
      rule: user.department -eq "Engineering"
      grace_period_days: 3
  plain:
    resources: []
    auto_assignment:
      rule: user.department -eq "Engineering"
"#;

fn eval_with(
    dir: &Path,
    as_of: &str,
    previous: Option<&str>,
) -> (
    roster::policy::load::Loaded,
    roster::policy::Policy,
    DesiredState,
) {
    let loaded = roster::policy::load::load(dir).unwrap();
    let mut diags = Vec::new();
    let policy = roster::policy::compile::compile(&loaded, &mut diags);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    let previous = previous.map(|text| {
        let format = if text.starts_with("{\"type\"") {
            governance::previous::Format::Jsonl
        } else {
            governance::previous::Format::Json
        };
        std::sync::Arc::new(
            governance::previous::read_from(
                text.as_bytes(),
                format,
                "previous.json",
                &governance::previous::Want::default(),
            )
            .unwrap(),
        )
    });
    let state = roster::eval::evaluate(
        &loaded,
        &policy,
        Options {
            as_of: day(as_of),
            previous,
            sign_ins: None,
        },
    );
    (loaded, policy, state)
}

fn origins(state: &DesiredState, key: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let i = state.identities.position(key).unwrap();
    state.identities.get(i).unwrap().access_package_origins
}

/// Identity 1 held `eng` and `plain` by rule on 10 March and has since moved to Sales: with a
/// grace period of 3 days, `eng` is kept from 11 to 13 March and removed on 14 March
/// (`previous.as_of + 1 + 3`), with its group; `plain`, without a grace period, goes at once.
#[test]
fn the_grace_period_keeps_a_package_after_the_rule_stops_matching_until_its_end() {
    let dir = set(&[
        ("policy.yaml", GRACE),
        ("hr.csv", "id,team\n1,Sales\n2,Engineering\n"),
    ]);
    let prev = r#"{"as_of": "2026-03-10", "identities": [
        {"key": "1", "lifecycle": "active", "access_packages": ["eng", "plain"], "groups": ["eng-tools"]},
        {"key": "2", "lifecycle": "active", "access_packages": ["eng", "plain"]}]}"#;
    for (d, held) in [
        ("2026-03-11", true),
        ("2026-03-13", true),
        ("2026-03-14", false),
        ("2026-03-15", false),
    ] {
        let (_, _, state) = eval_with(&dir, d, Some(prev));
        let want: Vec<String> = if held { vec!["eng".into()] } else { vec![] };
        assert_eq!(packages(&state, "1"), want, "{d}");
        let g: Vec<String> = if held {
            vec!["eng-tools".into()]
        } else {
            vec![]
        };
        assert_eq!(groups(&state, "1"), g, "{d}");
        // The origin says until when.
        if held {
            assert_eq!(
                origins(&state, "1").get("eng"),
                Some(&vec!["grace:2026-03-14".to_string()]),
                "{d}"
            );
        } else {
            assert!(origins(&state, "1").is_empty(), "{d}");
        }
        // Identity 2 still matches: by rule, no origins.
        assert_eq!(packages(&state, "2"), ["eng", "plain"]);
        assert!(origins(&state, "2").is_empty());
    }
    // Without a previous state the grace is not known: removed at once (fail closed), and
    // `D237` says so (standard error, not the report).
    let (loaded, _, state) = eval_with(&dir, "2026-03-11", None);
    assert!(packages(&state, "1").is_empty());
    assert!(!codes(&state).contains(&Code::NoPreviousGrace));
    let mut said = Vec::new();
    governance::grace::issues(&loaded, false, &mut said);
    assert_eq!(said.len(), 1);
    assert_eq!(said[0].code, Code::NoPreviousGrace);
    assert!(said[0].message.contains("`eng`"), "{}", said[0].message);
    assert!(!said[0].message.contains("`plain`"), "{}", said[0].message);
    let mut said = Vec::new();
    governance::grace::issues(&loaded, true, &mut said);
    assert!(said.is_empty());
}

/// A chain of daily runs, each compared with the report of the day before, keeps the first
/// grace end: the report carries `grace:DATE`, and the next run reads it back (JSON and JSON
/// Lines).
#[test]
fn a_grace_period_survives_a_chain_of_daily_reports() {
    let dir = set(&[
        ("policy.yaml", GRACE),
        ("hr.csv", "id,team\n1,Sales\n2,Engineering\n"),
    ]);
    let first = r#"{"as_of": "2026-03-10", "identities": [
        {"key": "1", "lifecycle": "active", "access_packages": ["eng"]}]}"#;
    let (_, _, day1) = eval_with(&dir, "2026-03-11", Some(first));
    let json = serde_json::to_string(&day1).unwrap();
    let (_, _, day2) = eval_with(&dir, "2026-03-12", Some(&json));
    assert_eq!(packages(&day2, "1"), ["eng"]);
    assert_eq!(
        origins(&day2, "1").get("eng"),
        Some(&vec!["grace:2026-03-14".to_string()])
    );
    let mut jsonl = Vec::new();
    let rows: Vec<usize> = (0..day2.identities.len()).collect();
    roster::eval::jsonl::write(
        &mut jsonl,
        &day2,
        roster::eval::jsonl::Sections::ALL,
        &rows,
        &mut |_| {},
    )
    .unwrap();
    let jsonl = String::from_utf8(jsonl).unwrap();
    let (_, _, day3) = eval_with(&dir, "2026-03-13", Some(&jsonl));
    assert_eq!(packages(&day3, "1"), ["eng"]);
    let (_, _, day4) = eval_with(&dir, "2026-03-14", Some(&jsonl));
    assert!(packages(&day4, "1").is_empty());
}

/// No grace for what the rule did not give (a package held through a record or a task), for
/// when the previous state's grace has ended; and the
/// calendar has the `grace_end` event on the grace end, with the removal.
#[test]
fn no_grace_for_what_the_rule_did_not_give_and_the_calendar_shows_its_end() {
    let dir = set(&[
        ("policy.yaml", GRACE),
        ("hr.csv", "id,team\n1,Sales\n3,Sales\n"),
    ]);
    let prev = r#"{"as_of": "2026-03-10", "identities": [
        {"key": "1", "lifecycle": "active", "access_packages": ["eng"]},
        {"key": "3", "lifecycle": "active", "access_packages": ["eng"],
         "access_package_origins": {"eng": ["assignment:x"]}}]}"#;
    let (loaded, policy, state) = eval_with(&dir, "2026-03-11", Some(prev));
    assert_eq!(packages(&state, "1"), ["eng"]);
    assert!(packages(&state, "3").is_empty());
    let view = governance::View::of(&loaded, &policy, &state);
    let events: Vec<(String, EventKind, String, String)> = governance::events(
        &view,
        Window {
            from: day("2026-03-01"),
            to: day("2026-03-31"),
        },
    )
    .into_iter()
    .filter(|e| e.kind == EventKind::GraceEnd)
    .map(|e| {
        (
            e.date.to_string(),
            e.kind,
            e.subject.id().to_string(),
            e.source.clone(),
        )
    })
    .collect();
    assert_eq!(
        events,
        [(
            "2026-03-14".to_string(),
            EventKind::GraceEnd,
            "1".to_string(),
            "access_package:eng".to_string()
        )]
    );
    // A grace end already reached in the previous state keeps nothing.
    let ended = r#"{"as_of": "2026-03-12", "identities": [
        {"key": "1", "lifecycle": "active", "access_packages": ["eng"],
         "access_package_origins": {"eng": ["grace:2026-03-13"]}}]}"#;
    let (_, _, state) = eval_with(&dir, "2026-03-13", Some(ended));
    assert!(packages(&state, "1").is_empty());
    // An origin that is not `grace:DATE` is refused (the previous state is not used).
    let bad = r#"{"as_of": "2026-03-12", "identities": [
        {"key": "1", "access_packages": ["eng"], "access_package_origins": {"eng": ["grace:soon"]}}]}"#;
    let e = governance::previous::read_from(
        bad.as_bytes(),
        governance::previous::Format::Json,
        "p.json",
        &governance::previous::Want::default(),
    )
    .unwrap_err();
    assert_eq!(e[0].code, Code::PreviousMalformed);
}

/// The end of a grace period is among the as-of date's events (`DesiredState::due`) and in
/// `explain`'s events, on the grace end only: the day before and the day after, not.
#[test]
fn the_grace_end_is_an_event_of_its_day_in_eval_and_explain() {
    let dir = set(&[
        ("policy.yaml", GRACE),
        ("hr.csv", "id,team\n1,Sales\n2,Engineering\n"),
    ]);
    let prev = r#"{"as_of": "2026-03-10", "identities": [
        {"key": "1", "lifecycle": "active", "access_packages": ["eng"]}]}"#;
    for (d, due) in [
        ("2026-03-13", false),
        ("2026-03-14", true),
        ("2026-03-15", false),
    ] {
        let (loaded, policy, state) = eval_with(&dir, d, Some(prev));
        let ends: Vec<(String, String)> = state
            .due
            .iter()
            .filter(|e| e.kind == EventKind::GraceEnd)
            .map(|e| (e.subject.id().to_string(), e.source.clone()))
            .collect();
        let want = if due {
            vec![("1".to_string(), "access_package:eng".to_string())]
        } else {
            vec![]
        };
        assert_eq!(ends, want, "{d}");
        let e = roster::eval::explain::explain_key(&loaded, &policy, &state, "1").unwrap();
        let kinds: Vec<EventKind> = e.events.iter().map(|e| e.kind).collect();
        assert_eq!(kinds.contains(&EventKind::GraceEnd), due, "{d}: {kinds:?}");
        let text = roster::eval::explain::human(&e, &roster::eval::explain::View::All);
        assert_eq!(
            text.contains(
                "grace_end (access_package:eng): the grace period of access package `eng` ends"
            ),
            due,
            "{d}: {text}"
        );
        // Nobody else's.
        let other = roster::eval::explain::explain_key(&loaded, &policy, &state, "2").unwrap();
        assert!(other.events.is_empty(), "{d}");
    }
}

// ---- Guests in access reviews (`docs/reviews.md`) ----

/// A guest of `fabrikam` with the `portal` package, the review file given, and the tenant's
/// settings (`tenant:` YAML, or empty for the defaults).
fn guest_set(tenant: &str, review: &str) -> PathBuf {
    set(&[
        ("policy.yaml", &format!("{GUEST_BASE}{tenant}")),
        ("guests.yaml", GUESTS),
        ("review.yaml", review),
        ("hr.csv", "id\n1\n2\n3\n"),
    ])
}

fn guest_review(default: &str, denied: &str, decisions: &str) -> String {
    format!(
        r#"
reviews:
  partners-review:
    scope:
      access_package: portal
    guests_only: true
    reviewers:
      - user: "2"
    recurrence: one_time
    start: 2026-03-05
    duration_days: 3
    default_decision: {default}
    auto_apply: true{denied}
{decisions}"#
    )
}

fn guest_events(dir: &Path) -> Vec<(String, EventKind, String)> {
    let (loaded, policy, state) = eval(dir, "2026-03-05");
    let view = governance::View::of(&loaded, &policy, &state);
    governance::events(
        &view,
        Window {
            from: day("2026-03-01"),
            to: day("2026-12-31"),
        },
    )
    .into_iter()
    .filter(|e| matches!(e.subject, governance::Subject::Guest(_)))
    .map(|e| (e.date.to_string(), e.kind, e.source))
    .collect()
}

/// A guests-only review of a package: a denial by an allowed reviewer ends the guest's
/// assignment on the instance's end day (the day before, still held), then the tenant's
/// settings block the guest; the record's own expiry is no longer scheduled.
#[test]
fn a_guest_denied_in_a_review_loses_the_assignment_on_the_end_day() {
    let deny = "review_decisions:\n  partners-review:\n    2026-03-05:\n      - {reviewee: kim@fabrikam.example, reviewer: \"2\", decision: deny, date: 2026-03-06}\n";
    let dir = guest_set("", &guest_review("no_change", "", deny));
    assert_eq!(lint_codes(&dir), vec![]);
    let portal = || vec!["portal".to_string()];
    let partners = || vec!["partners".to_string()];
    assert_eq!(
        guest_state(&dir, "2026-03-07"),
        Some(("active".into(), portal(), partners()))
    );
    assert_eq!(
        guest_state(&dir, "2026-03-08"),
        Some(("blocked".into(), vec![], vec![]))
    );
    let (_, _, state) = eval(&dir, "2026-04-07");
    assert_eq!(state.guests[0].state.word(), "removed");
    assert!(codes(&state).is_empty(), "{:?}", codes(&state));
    let events = guest_events(&dir);
    assert!(events.contains(&(
        "2026-03-08".to_string(),
        EventKind::ReviewEnd,
        "review:partners-review".to_string()
    )));
    assert!(
        !events
            .iter()
            .any(|(_, k, _)| *k == EventKind::AssignmentExpiry),
        "{events:?}"
    );
}

/// A reviewer the review does not allow for a guest decides nothing (`E162`): the guest keeps
/// the assignment to its own end; unreviewed guests get the default `deny`.
#[test]
fn a_guest_decision_by_another_reviewer_is_refused_and_the_default_applies_to_the_unreviewed() {
    let deny = "review_decisions:\n  partners-review:\n    2026-03-05:\n      - {reviewee: kim@fabrikam.example, reviewer: \"3\", decision: deny, date: 2026-03-06}\n";
    let dir = guest_set("", &guest_review("no_change", "", deny));
    let (_, _, state) = eval(&dir, "2026-03-08");
    assert_eq!(state.guests[0].state.word(), "active");
    assert_eq!(codes(&state), [Code::ReviewDecisionReviewerNotAllowed]);
    assert_eq!(
        guest_state(&dir, "2026-03-13").map(|s| s.0),
        Some("blocked".to_string())
    );
    let dir = guest_set("", &guest_review("deny", "", ""));
    assert_eq!(
        guest_state(&dir, "2026-03-07").map(|s| s.0),
        Some("active".to_string())
    );
    assert_eq!(
        guest_state(&dir, "2026-03-08").map(|s| s.0),
        Some("blocked".to_string())
    );
}

/// A guests-only review of a group (`partners`, which the `portal` package gives): the guests
/// who hold the group through a package are reviewed; a denial ends the assignments that give
/// the group on the end day (the day before, held), then the tenant's external-user settings
/// block the guest (the day after, blocked) and remove them 30 days later (the day before,
/// blocked); with `denied_guests: block_and_delete` the same, whatever the tenant says. A guest
/// who does not hold the group is out of scope (`E161`).
#[test]
fn a_guest_review_of_a_group_ends_the_assignments_that_give_it() {
    let deny = "review_decisions:\n  partners-review:\n    2026-03-05:\n      - {reviewee: kim@fabrikam.example, reviewer: \"2\", decision: deny, date: 2026-03-06}\n";
    let group_review = |denied: &str, decisions: &str| {
        guest_review("no_change", denied, decisions)
            .replace("      access_package: portal", "      group: partners")
    };
    let dir = guest_set("", &group_review("", deny));
    assert_eq!(lint_codes(&dir), vec![]);
    assert_eq!(
        guest_state(&dir, "2026-03-07"),
        Some((
            "active".into(),
            vec!["portal".to_string()],
            vec!["partners".to_string()]
        ))
    );
    assert_eq!(
        guest_state(&dir, "2026-03-08"),
        Some(("blocked".into(), vec![], vec![]))
    );
    assert_eq!(
        guest_state(&dir, "2026-04-06").map(|s| s.0),
        Some("blocked".to_string())
    );
    assert_eq!(
        guest_state(&dir, "2026-04-07").map(|s| s.0),
        Some("removed".to_string())
    );
    let (_, _, state) = eval(&dir, "2026-03-08");
    assert!(codes(&state).is_empty(), "{:?}", codes(&state));
    let (loaded, policy, state) = eval(&dir, "2026-03-05");
    let view = governance::View::of(&loaded, &policy, &state);
    let end: Vec<String> = governance::events(&view, Window::day(day("2026-03-08")))
        .into_iter()
        .filter(|e| {
            e.kind == EventKind::ReviewEnd && matches!(e.subject, governance::Subject::Guest(_))
        })
        .map(|e| e.summary)
        .collect();
    assert_eq!(
        end,
        [
            "denied in access review `partners-review` of group `partners`: assignment of access package `portal` removed"
        ]
    );
    // `block_and_delete` applies to a group's guest review too (no `C385`).
    let tenant = "tenant:\n  default_domain: northwind.example\n  external_users:\n    block_sign_in: false\n    remove: false\n";
    let dir = guest_set(
        tenant,
        &group_review("\n    denied_guests: block_and_delete", deny),
    );
    assert_eq!(lint_codes(&dir), vec![]);
    assert_eq!(
        guest_state(&dir, "2026-03-08").map(|s| s.0),
        Some("blocked".to_string())
    );
    assert_eq!(
        guest_state(&dir, "2026-04-07").map(|s| s.0),
        Some("removed".to_string())
    );
    // A decision about a guest who does not hold the group: out of scope.
    let other = deny.replace("kim@fabrikam.example", "lee@fabrikam.example");
    let dir = guest_set("", &group_review("", &other));
    let (_, _, state) = eval(&dir, "2026-03-08");
    assert_eq!(codes(&state), [Code::ReviewDecisionOutOfScope]);
    assert_eq!(state.guests[0].state.word(), "active");
}

/// `denied_guests: block_and_delete` blocks the guest on the end day and removes them 30 days
/// later even where the tenant keeps guests.
#[test]
fn block_and_delete_blocks_and_removes_a_denied_guest_whatever_the_tenant_says() {
    let tenant = "tenant:\n  default_domain: northwind.example\n  external_users:\n    block_sign_in: false\n    remove: false\n";
    let deny = "review_decisions:\n  partners-review:\n    2026-03-05:\n      - {reviewee: kim@fabrikam.example, reviewer: \"2\", decision: deny, date: 2026-03-06}\n";
    let dir = guest_set(
        tenant,
        &guest_review("no_change", "\n    denied_guests: block_and_delete", deny),
    );
    assert_eq!(lint_codes(&dir), vec![]);
    assert_eq!(
        guest_state(&dir, "2026-03-08").map(|s| s.0),
        Some("blocked".to_string())
    );
    assert_eq!(
        guest_state(&dir, "2026-04-06").map(|s| s.0),
        Some("blocked".to_string())
    );
    assert_eq!(
        guest_state(&dir, "2026-04-07").map(|s| s.0),
        Some("removed".to_string())
    );
}
