//! Lifecycle workflow runs end to end through the library: trigger boundaries, scope, task
//! order and `continue_on_error`, e-mails, change triggers against a previous state (JSON and
//! JSON Lines), the fold of effects into the desired state, and the fail-closed cases.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use roster::eval::{DesiredState, Options, evaluate};
use roster::governance::previous::{self, Want};
use roster::governance::{Effect, Event, EventKind, View, Window};

const BASE: &str = r#"
sources:
  hr:
    format: csv
    path: hr.csv
    key: id
    fields:
      id: string
      name: string
      mail: string
      manager: string
      dept: string
      type: string
      start: datetime
      end: datetime
identity:
  attributes:
    employeeId: {source: hr.id}
    displayName: {source: hr.name}
    givenName: {source: hr.name}
    mail: {source: hr.mail}
    manager: {source: hr.manager}
    department: {source: hr.dept}
    employeeType: {source: hr.type}
    hireDate: {type: datetime, source: hr.start}
    leaveDate: {type: datetime, source: hr.end}
  lifecycle:
    hire_date: hireDate
    leave_date: leaveDate
    prehire_days: 14
    retention_days: 30
groups:
  interns:
    members: []
  sales:
    rule: user.department -eq "Sales"
targets:
  directory:
    kind: directory
    deletion_threshold: 50
    matching: [employeeId]
    mappings:
      employeeId: {source: employeeId}
    scope:
      sync: all
"#;

const HR: &str = "id,name,mail,manager,dept,type,start,end\n\
1,Ada,ada@example.com,,Sales,Employee,2020-01-01,\n\
2,Ben,ben@example.com,1,Sales,Employee,2026-03-02,2026-09-30\n\
3,Cy,,1,Finance,Intern,2026-03-02,\n\
4,Di,di@example.com,9,Finance,Employee,2026-03-02,\n";

fn dir_with(workflows: &str, hr: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "roster-workflows-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::write(dir.join("policy.yaml"), format!("{BASE}{workflows}")).unwrap();
    std::fs::write(dir.join("hr.csv"), hr).unwrap();
    dir
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

struct Set {
    loaded: roster::policy::load::Loaded,
    policy: roster::policy::Policy,
}

fn load(dir: &Path) -> Set {
    let loaded = roster::policy::load::load(dir).unwrap();
    let mut diags = loaded.diagnostics.clone();
    let policy = roster::policy::compile::compile(&loaded, &mut diags);
    let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    Set { loaded, policy }
}

fn eval(set: &Set, as_of: &str, previous: Option<previous::Previous>) -> DesiredState {
    evaluate(
        &set.loaded,
        &set.policy,
        Options {
            as_of: day(as_of),
            previous: previous.map(Arc::new),
            sign_ins: None,
        },
    )
}

/// The workflow runs of the as-of date: (identity, workflow).
fn runs(state: &DesiredState) -> Vec<(String, String)> {
    state
        .due
        .iter()
        .filter(|e| e.kind == EventKind::WorkflowRun)
        .map(|e| (e.subject.id().to_string(), e.source.clone()))
        .collect()
}

fn run_for<'s>(state: &'s DesiredState, key: &str) -> &'s Event {
    state
        .due
        .iter()
        .find(|e| e.kind == EventKind::WorkflowRun && e.subject.id() == key)
        .unwrap()
}

fn pair(key: &str, wf: &str) -> (String, String) {
    (key.to_string(), format!("workflow:{wf}"))
}

fn time_based(offset: i32) -> String {
    format!(
        "workflows:\n  w:\n    category: joiner\n    trigger:\n      time_based: {{attribute: hireDate, offset_days: {offset}}}\n    tasks:\n      - send_email: {{to: manager}}\n"
    )
}

#[test]
fn a_time_based_trigger_runs_on_its_day_only() {
    // Ben is hired on 2026-03-02.
    for (offset, on) in [
        (0, "2026-03-02"),
        (-7, "2026-02-23"),
        (7, "2026-03-09"),
        (-180, "2025-09-03"),
        (180, "2026-08-29"),
    ] {
        let set = load(&dir_with(&time_based(offset), HR));
        let on = day(on);
        for (d, expected) in [
            (on.pred_opt().unwrap(), false),
            (on, true),
            (on.succ_opt().unwrap(), false),
        ] {
            let state = eval(&set, &d.to_string(), None);
            assert_eq!(
                runs(&state).contains(&pair("2", "w")),
                expected,
                "offset {offset}, {d}"
            );
        }
    }
}

#[test]
fn the_calendar_has_one_run_per_identity_and_workflow_over_a_window() {
    let set = load(&dir_with(&time_based(0), HR));
    let state = eval(&set, "2026-01-15", None);
    let view = View::of(&set.loaded, &set.policy, &state);
    let events = roster::governance::events(
        &view,
        Window {
            from: day("2026-01-01"),
            to: day("2026-12-31"),
        },
    );
    let runs: Vec<(&str, NaiveDate)> = events
        .iter()
        .filter(|e| e.kind == EventKind::WorkflowRun)
        .map(|e| (e.subject.id(), e.date))
        .collect();
    // Ada was hired in 2020; Ben, Cy and Di on 2026-03-02.
    assert_eq!(
        runs,
        [
            ("2", day("2026-03-02")),
            ("3", day("2026-03-02")),
            ("4", day("2026-03-02"))
        ]
    );
    // The union of the days is the window.
    let mut by_day = Vec::new();
    for d in (Window {
        from: day("2026-02-25"),
        to: day("2026-03-05"),
    })
    .days()
    {
        by_day.extend(roster::governance::events(&view, Window::day(d)));
    }
    let whole = roster::governance::events(
        &view,
        Window {
            from: day("2026-02-25"),
            to: day("2026-03-05"),
        },
    );
    assert_eq!(by_day, whole);
}

#[test]
fn scope_and_unknown_lifecycles() {
    let wf = "workflows:\n  w:\n    category: joiner\n    trigger:\n      time_based: {attribute: hireDate, offset_days: 0}\n    scope: user.employeeType -eq \"Intern\"\n    tasks:\n      - enable_account\n";
    // Di's hire date is not a date: her lifecycle is unknown, so she never runs, even in scope.
    let hr = HR.replace(
        "4,Di,di@example.com,9,Finance,Employee,2026-03-02,",
        "4,Di,di@example.com,9,Finance,Intern,someday,",
    );
    let set = load(&dir_with(wf, &hr));
    let state = eval(&set, "2026-03-02", None);
    assert_eq!(runs(&state), [pair("3", "w")]);
}

#[test]
fn a_scope_on_a_missing_attribute_never_runs() {
    let wf = "workflows:\n  w:\n    category: joiner\n    trigger:\n      time_based: {attribute: hireDate, offset_days: 0}\n    scope: user.employeeType -eq \"Intern\"\n    tasks:\n      - enable_account\n";
    let hr = HR.replace(",Intern,", ",,");
    let set = load(&dir_with(wf, &hr));
    assert!(runs(&eval(&set, "2026-03-02", None)).is_empty());
}

#[test]
fn tasks_fail_in_order_and_continue_on_error_lets_the_rest_run() {
    let wf = "workflows:\n  w:\n    category: joiner\n    trigger:\n      time_based: {attribute: hireDate, offset_days: 0}\n    tasks:\n      - send_email: {to: user}\n      - add_to_groups: [interns]\n      - send_email:\n          to: manager\n        continue_on_error: true\n      - enable_account\n      - enable_account: null\n        enabled: false\n";
    let set = load(&dir_with(wf, HR));
    let state = eval(&set, "2026-03-02", None);
    // Ben: everything runs.
    let ben = run_for(&state, "2");
    assert!(
        ben.tasks.iter().take(4).all(|t| t.problem.is_none()),
        "{ben:?}"
    );
    assert_eq!(
        ben.tasks[4].problem.as_deref(),
        Some("disabled: does not run")
    );
    assert_eq!(
        ben.effects,
        [Effect::AddToGroup("interns".into()), Effect::EnableAccount]
    );
    assert!(ben.summary.ends_with("completes"), "{}", ben.summary);
    // Cy has no e-mail address: the first task fails and stops the run.
    let cy = run_for(&state, "3");
    assert!(
        cy.tasks[0]
            .problem
            .as_deref()
            .unwrap()
            .contains("no e-mail address")
    );
    assert!(
        cy.tasks[1]
            .problem
            .as_deref()
            .unwrap()
            .starts_with("not run: task 1")
    );
    assert!(cy.effects.is_empty());
    assert!(cy.summary.ends_with("fails"));
    // Di's manager `9` is not an identity: the manager e-mail fails but continues on error.
    let di = run_for(&state, "4");
    assert!(di.tasks[2].problem.as_deref().unwrap().contains("`9`"));
    assert!(di.tasks[3].problem.is_none());
    assert_eq!(di.effects.len(), 2);
    assert!(di.summary.ends_with("completes with errors"));
    // The effect reached the desired state: Ben and Di are in `interns`, Cy is not.
    let json = serde_json::to_value(&state).unwrap();
    let groups = |k: usize| json["identities"][k]["groups"].clone();
    assert!(groups(1).as_array().unwrap().contains(&"interns".into()));
    assert!(!groups(2).as_array().unwrap().contains(&"interns".into()));
    assert!(
        json["identities"][1]["tasks_due"][0]["tasks"][1]["definition_id"]
            == "22085229-5809-45e8-97fd-270d28d66910"
    );
}

#[test]
fn emails_resolve_placeholders_and_default_wording() {
    let wf = "workflows:\n  w:\n    category: joiner\n    trigger:\n      time_based: {attribute: hireDate, offset_days: -7}\n    tasks:\n      - send_email:\n          to: manager\n          subject: \"{{userDisplayName}} starts on {{userEmployeeHireDate}}\"\n          body: \"Hello {{managerDisplayName}} <{{managerEmail}}>, {{ userGivenName }}: {{userPrincipalName}}\"\n          cc: ['2']\n      - send_email: {to: user}\n";
    let set = load(&dir_with(wf, HR));
    let state = eval(&set, "2026-02-23", None);
    let ben = run_for(&state, "2");
    let mail = ben.tasks[0].email.as_ref().unwrap();
    assert_eq!(mail.to.as_deref(), Some("ada@example.com"));
    assert_eq!(mail.cc, ["ben@example.com"]);
    assert_eq!(mail.subject, "Ben starts on 2026-03-02");
    assert_eq!(
        mail.body,
        "Hello Ada <ada@example.com>, Ben: ben@example.com"
    );
    let welcome = ben.tasks[1].email.as_ref().unwrap();
    assert_eq!(welcome.to.as_deref(), Some("ben@example.com"));
    assert!(welcome.subject.contains("Ben"), "{}", welcome.subject);
    assert!(!welcome.body.contains("{{"), "{}", welcome.body);
    assert_eq!(
        ben.tasks[1].definition_id,
        "70b29d51-b59a-4773-9280-8841dfd3f2ea"
    );
}

/// `locale` picks the language of the default wording (its primary subtag: `fr-CA` is
/// French); a language Roster has no wording in falls back to English; a custom subject is
/// sent as written whatever the locale.
#[test]
fn locale_changes_the_default_wording() {
    let wf = |locale: &str| {
        format!(
            "workflows:\n  w:\n    category: joiner\n    trigger:\n      time_based: {{attribute: hireDate, offset_days: -7}}\n    tasks:\n      - send_email: {{to: user, locale: {locale}}}\n      - send_email: {{to: manager, locale: {locale}, subject: \"Hi {{{{userGivenName}}}}\"}}\n"
        )
    };
    let mail = |locale: &str| {
        let set = load(&dir_with(&wf(locale), HR));
        let state = eval(&set, "2026-02-23", None);
        let ben = run_for(&state, "2");
        (
            ben.tasks[0].email.clone().unwrap(),
            ben.tasks[1].email.clone().unwrap(),
        )
    };
    let (fr, custom) = mail("fr-CA");
    assert_eq!(fr.subject, "Bienvenue, Ben");
    assert_eq!(
        fr.body,
        "Bienvenue dans l'équipe, Ben. Votre premier jour est le 2026-03-02 ; Ada vous accueillera et vous aidera à démarrer."
    );
    assert_eq!(custom.subject, "Hi Ben");
    let (de, _) = mail("de-DE");
    assert_eq!(de.subject, "Willkommen, Ben");
    let (es, _) = mail("es");
    assert_eq!(es.subject, "Te damos la bienvenida, Ben");
    let (en, _) = mail("en-GB");
    assert_eq!(en.subject, "Welcome, Ben");
    let (ja, _) = mail("ja-JP");
    assert_eq!(ja.subject, "Welcome, Ben");
    assert_eq!(ja.body, en.body);
}

#[test]
fn a_group_added_on_day_0_is_removed_at_leave() {
    let wf = "workflows:\n  join:\n    category: joiner\n    trigger:\n      time_based: {attribute: hireDate, offset_days: 0}\n    tasks:\n      - add_to_groups: [interns]\n  leave:\n    category: leaver\n    trigger:\n      time_based: {attribute: leaveDate, offset_days: 0}\n    tasks:\n      - remove_from_groups: [interns]\n      - disable_account\n";
    let set = load(&dir_with(wf, HR));
    let member = |as_of: &str| {
        let state = eval(&set, as_of, None);
        let json = serde_json::to_value(&state).unwrap();
        let ben = &json["identities"][1];
        (
            ben["groups"]
                .as_array()
                .unwrap()
                .contains(&"interns".into()),
            ben["accounts"]["directory"]["state"]
                .as_str()
                .unwrap_or("none")
                .to_string(),
        )
    };
    assert_eq!(member("2026-03-01"), (false, "disabled".into()));
    assert_eq!(member("2026-03-02"), (true, "enabled".into()));
    assert_eq!(member("2026-09-29"), (true, "enabled".into()));
    // The last day: removed and disabled by the workflow, a day before the lifecycle would.
    assert_eq!(member("2026-09-30"), (false, "disabled".into()));
    assert_eq!(member("2026-10-01"), (false, "disabled".into()));
}

#[test]
fn a_disable_from_an_earlier_employment_does_not_disable_a_rehire() {
    let wf = "workflows:\n  leave:\n    category: leaver\n    trigger:\n      time_based: {attribute: leaveDate, offset_days: 0}\n    tasks:\n      - disable_account\n";
    // Ben left on 2025-06-30 and came back on 2026-03-02; the HR file still has the old leave
    // date.
    let hr = HR.replace("2026-03-02,2026-09-30", "2026-03-02,2025-06-30");
    let set = load(&dir_with(wf, &hr));
    let json = serde_json::to_value(eval(&set, "2026-03-10", None)).unwrap();
    let ben = &json["identities"][1];
    assert_eq!(ben["lifecycle"], "active", "{ben}");
    assert_eq!(ben["accounts"]["directory"]["state"], "enabled");
    // The old leave date is before the current hire date: no run from it at all.
    assert!(runs(&eval(&set, "2025-06-30", None)).is_empty());
    let fresh = load(&dir_with(wf, HR));
    assert_eq!(
        runs(&eval(&fresh, "2026-09-30", None)),
        [pair("2", "leave")]
    );
}

#[test]
fn scheduling_switched_off_or_started_later_does_not_catch_up() {
    let mut wf = time_based(0);
    wf.push_str("    scheduled_since: 2026-03-03\n");
    let set = load(&dir_with(&wf, HR));
    assert!(runs(&eval(&set, "2026-03-02", None)).is_empty());
    let wf = time_based(0).replace("    tasks:", "    scheduled: false\n    tasks:");
    let set = load(&dir_with(&wf, HR));
    assert!(runs(&eval(&set, "2026-03-02", None)).is_empty());
    let wf = time_based(0).replace("    tasks:", "    enabled: false\n    tasks:");
    let set = load(&dir_with(&wf, HR));
    assert!(runs(&eval(&set, "2026-03-02", None)).is_empty());
}

const MOVER: &str = "workflows:\n  moved:\n    category: mover\n    trigger:\n      attribute_change: [department]\n    tasks:\n      - send_email: {to: manager}\n  joined-sales:\n    category: mover\n    trigger:\n      group_membership: {group: sales, change: add}\n    tasks:\n      - send_email: {to: manager}\n  left-sales:\n    category: mover\n    trigger:\n      group_membership: {group: sales, change: remove}\n    tasks:\n      - send_email: {to: manager}\n";

#[test]
fn change_triggers_compare_with_the_previous_state() {
    let set = load(&dir_with(MOVER, HR));
    // Without a previous state: no run, one warning.
    let state = eval(&set, "2026-03-10", None);
    assert!(runs(&state).is_empty());
    assert!(state.issues.iter().all(|i| i.code.as_str() != "D234"));
    let mut said = Vec::new();
    roster::governance::workflows::issues(&set.loaded, false, &mut said);
    assert_eq!(said.len(), 1);
    assert!(
        said[0]
            .message
            .contains("`moved`, `joined-sales`, `left-sales`"),
        "{}",
        said[0].message
    );
    let mut said = Vec::new();
    roster::governance::workflows::issues(&set.loaded, true, &mut said);
    assert!(said.is_empty());
    // The previous state, written by eval a day earlier; then Ada moves to Finance and Di to
    // Sales.
    let before = serde_json::to_string(&eval(&set, "2026-03-09", None)).unwrap();
    let hr = HR
        .replace(
            "1,Ada,ada@example.com,,Sales",
            "1,Ada,ada@example.com,,Finance",
        )
        .replace(
            "4,Di,di@example.com,9,Finance",
            "4,Di,di@example.com,9,Sales",
        );
    let moved = load(&dir_with(MOVER, &hr));
    let want = roster::governance::workflows::wanted(&moved.loaded);
    assert_eq!(want.attributes, ["department"]);
    let prev =
        previous::read_from(before.as_bytes(), previous::Format::Json, "p.json", &want).unwrap();
    let state = eval(&moved, "2026-03-10", Some(prev));
    let mut got = runs(&state);
    got.sort();
    assert_eq!(
        got,
        [
            pair("1", "left-sales"),
            pair("1", "moved"),
            pair("4", "joined-sales"),
            pair("4", "moved")
        ]
    );
    // The same from the JSON Lines report.
    let mut jsonl = Vec::new();
    let earlier = eval(&set, "2026-03-09", None);
    let rows: Vec<usize> = (0..earlier.identities.len()).collect();
    roster::eval::jsonl::write(
        &mut jsonl,
        &earlier,
        roster::eval::jsonl::Sections::ALL,
        &rows,
        &mut |_| {},
    )
    .unwrap();
    let prev = previous::read_from(&jsonl[..], previous::Format::Jsonl, "p.jsonl", &want).unwrap();
    let mut again = runs(&eval(&moved, "2026-03-10", Some(prev)));
    again.sort();
    assert_eq!(again, got);
    // Nothing changed: nothing runs.
    let prev = previous::read_from(
        before.as_bytes(),
        previous::Format::Json,
        "p.json",
        &Want {
            attributes: vec!["department".into()],
        },
    )
    .unwrap();
    assert!(runs(&eval(&set, "2026-03-10", Some(prev))).is_empty());
}

#[test]
fn an_identity_absent_from_the_previous_state_is_not_a_change() {
    let set = load(&dir_with(MOVER, HR));
    let prev = previous::read_from(
        "{\"as_of\": \"2026-03-09\", \"identities\": []}".as_bytes(),
        previous::Format::Json,
        "p.json",
        &roster::governance::workflows::wanted(&set.loaded),
    )
    .unwrap();
    assert!(runs(&eval(&set, "2026-03-10", Some(prev))).is_empty());
}

#[test]
fn explain_shows_the_runs_with_the_managers_address_when_evaluating_the_person_alone() {
    use roster::eval::explain;
    let wf = "workflows:\n  w:\n    category: joiner\n    trigger:\n      time_based: {attribute: hireDate, offset_days: 0}\n    tasks:\n      - send_email: {to: manager}\n";
    let set = load(&dir_with(wf, HR));
    let state = eval(&set, "2026-03-02", None);
    let full = explain::explain_key(&set.loaded, &set.policy, &state, "2").unwrap();
    let f = explain::focus::focus(
        &set.loaded,
        &set.policy,
        Options::at(day("2026-03-02")),
        "2",
    )
    .unwrap();
    assert_eq!(f.evaluated.identities, 1);
    let focused = explain::explain(
        &set.loaded,
        &set.policy,
        &f.state,
        f.index,
        f.found_by,
        f.evaluated,
        &explain::View::All,
    )
    .unwrap();
    assert_eq!(focused.workflow_runs, full.workflow_runs);
    let mail = focused.workflow_runs[0].tasks[0].email.as_ref().unwrap();
    assert_eq!(mail.to.as_deref(), Some("ada@example.com"));
    let human = explain::human(&focused, &explain::View::All);
    assert!(human.contains("workflow runs on 2026-03-02:"), "{human}");
    assert!(human.contains("to: ada@example.com"), "{human}");
}
