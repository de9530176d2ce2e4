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

fn options(as_of: &str, previous: Option<previous::Previous>) -> Options {
    Options {
        as_of: day(as_of),
        previous: previous.map(Arc::new),
        sign_ins: None,
    }
}

fn eval(set: &Set, as_of: &str, previous: Option<previous::Previous>) -> DesiredState {
    evaluate(&set.loaded, &set.policy, options(as_of, previous))
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

// --- Change triggers against the directory's actual state (`plan` without `--previous`) ---

/// The mover workflows of `MOVER`, a directory target that copies `department` and `manager`
/// and declares its actual state (`users.json`, and `groups.json` when `groups` is set), with
/// the HR file and exports given.
fn actual_set(users: &str, groups: Option<&str>) -> PathBuf {
    actual_set_with(MOVER, users, groups)
}

/// [`actual_set`] with other workflows (and policy objects) than `MOVER`.
fn actual_set_with(workflows: &str, users: &str, groups: Option<&str>) -> PathBuf {
    let dir = dir_with(workflows, HR);
    let base = BASE.replace(
        "      employeeId: {source: employeeId}\n    scope:",
        &format!(
            "      employeeId: {{source: employeeId}}\n      department: {{source: department}}\n      manager: {{source: manager}}\n    actual:\n      users: users.json\n{}    scope:",
            if groups.is_some() {
                "      groups: groups.json\n"
            } else {
                ""
            }
        ),
    );
    std::fs::write(dir.join("policy.yaml"), format!("{base}{workflows}")).unwrap();
    std::fs::write(dir.join("users.json"), users).unwrap();
    if let Some(g) = groups {
        std::fs::write(dir.join("groups.json"), g).unwrap();
    }
    dir
}

/// A Graph user: `id` `u<key>`, `employeeId` key, department, manager (an account id).
fn user(key: &str, dept: Option<&str>, manager: Option<&str>) -> String {
    let mut fields = vec![
        format!("\"id\": \"u{key}\""),
        format!("\"employeeId\": \"{key}\""),
        "\"accountEnabled\": true".to_string(),
    ];
    if let Some(d) = dept {
        fields.push(format!("\"department\": \"{d}\""));
    }
    if let Some(m) = manager {
        fields.push(format!("\"manager\": {{\"id\": \"{m}\"}}"));
    }
    format!("{{{}}}", fields.join(", "))
}

fn users(list: &[String]) -> String {
    format!("{{\"value\": [{}]}}", list.join(",\n"))
}

/// The sales group of the groups export, with these account ids as its members.
fn sales_group(members: &[&str]) -> String {
    group_export("sales", members)
}

/// A groups export of one group `name` with these account ids as its members.
fn group_export(name: &str, members: &[&str]) -> String {
    let m: Vec<String> = members
        .iter()
        .map(|id| format!("{{\"id\": \"{id}\", \"@odata.type\": \"#microsoft.graph.user\"}}"))
        .collect();
    format!(
        "{{\"value\": [{{\"id\": \"g1\", \"displayName\": \"{name}\", \"members\": [{}]}}]}}",
        m.join(", ")
    )
}

fn plan_at(set: &Set, as_of: &str, previous: Option<previous::Previous>) -> roster::plan::Plan {
    roster::plan::run_with(
        &set.loaded,
        &set.policy,
        options(as_of, previous),
        &roster::plan::Locations::default(),
    )
    .unwrap()
}

fn plan_runs(plan: &roster::plan::Plan) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = plan
        .tasks_due
        .iter()
        .map(|e| (e.subject.id().to_string(), e.source.clone()))
        .collect();
    out.sort();
    out
}

/// The directory as HR has it today: Ada (1) and Ben (2) in Sales, Cy (3) in Finance, Di (4)
/// in Finance; Ben and Cy report to Ada (account `u1`); Di's manager `9` is nobody.
fn in_sync() -> Vec<String> {
    vec![
        user("1", Some("Sales"), None),
        user("2", Some("Sales"), Some("u1")),
        user("3", Some("Finance"), Some("u1")),
        user("4", Some("Finance"), None),
    ]
}

/// An attribute-change trigger fires for the identity whose directory account holds another
/// value (Cy: `Marketing` in the directory, `Finance` in HR), and only on the as-of date of
/// the plan; accounts that agree, an export that agrees with everyone, and the day's other
/// identities do not.
#[test]
fn plan_compares_attribute_triggers_with_the_directory() {
    let set = load(&actual_set(&users(&in_sync()), None));
    let plan = plan_at(&set, "2026-03-10", None);
    assert!(plan_runs(&plan).is_empty(), "{:?}", plan_runs(&plan));
    assert_eq!(plan.previous_from.as_deref(), Some("directory"));
    let mut moved = in_sync();
    moved[2] = user("3", Some("Marketing"), Some("u1"));
    let set = load(&actual_set(&users(&moved), None));
    assert_eq!(
        plan_runs(&plan_at(&set, "2026-03-10", None)),
        [pair("3", "moved")]
    );
    // The day before and the day after: the same (the comparison is with what the directory
    // holds on the day the plan is made, and the run is due that day).
    for d in ["2026-03-09", "2026-03-11"] {
        let p = plan_at(&set, d, None);
        assert_eq!(plan_runs(&p), [pair("3", "moved")], "{d}");
        assert!(p.tasks_due.iter().all(|e| e.date == day(d)));
    }
}

/// Fail closed: an export without the compared column gives nobody a previous value (no mass
/// run); an identity without an account, or whose account's value is not exported, has no
/// previous state; an identity two accounts match is not compared.
#[test]
fn plan_without_a_previous_value_runs_nothing() {
    // No `department` in the export at all, and the manager unset for everyone.
    let bare = vec![
        user("1", None, None),
        user("2", None, None),
        user("3", None, None),
        user("4", None, None),
    ];
    let set = load(&actual_set(&users(&bare), None));
    let plan = plan_at(&set, "2026-03-10", None);
    // Ben and Cy's manager is Ada in HR and nobody in the directory (`manager` absent): absent
    // is not a value.
    assert!(plan_runs(&plan).is_empty(), "{:?}", plan_runs(&plan));
    // Di has no account; Cy's department differs but two accounts carry his employeeId.
    let accounts = vec![
        user("1", Some("Sales"), None),
        user("2", Some("Sales"), Some("u1")),
        user("3", Some("Marketing"), Some("u1")),
        "{\"id\": \"u3b\", \"employeeId\": \"3\", \"department\": \"Marketing\"}".to_string(),
    ];
    let set = load(&actual_set(&users(&accounts), None));
    assert!(plan_runs(&plan_at(&set, "2026-03-10", None)).is_empty());
}

/// A manager reference is read back through the accounts: Ben's directory manager is Di's
/// account (`u4`), HR says Ada: a change; Cy's is Ada's account: none. A reference to an
/// account linked to nobody is no value.
#[test]
fn plan_reads_manager_references_back_to_keys() {
    let wf = MOVER.replace(
        "attribute_change: [department]",
        "attribute_change: [manager]",
    );
    let mut accounts = in_sync();
    accounts[1] = user("2", Some("Sales"), Some("u4"));
    accounts[2] = user("3", Some("Finance"), Some("nobody"));
    let dir = actual_set(&users(&accounts), None);
    let text = std::fs::read_to_string(dir.join("policy.yaml")).unwrap();
    std::fs::write(dir.join("policy.yaml"), text.replace(MOVER, &wf)).unwrap();
    let set = load(&dir);
    assert_eq!(
        plan_runs(&plan_at(&set, "2026-03-10", None)),
        [pair("2", "moved")]
    );
}

/// Group-membership triggers compare with the directory's groups: Ada and Ben are in `sales`
/// by its rule; the directory has only Ben and Cy in the group: Ada joined, Cy left. A group
/// the export does not hold (or no groups export) is unknown: nothing runs.
#[test]
fn plan_compares_group_triggers_with_the_directory_groups() {
    let set = load(&actual_set(
        &users(&in_sync()),
        Some(&sales_group(&["u2", "u3"])),
    ));
    assert_eq!(
        plan_runs(&plan_at(&set, "2026-03-10", None)),
        [pair("1", "joined-sales"), pair("3", "left-sales")]
    );
    let set = load(&actual_set(
        &users(&in_sync()),
        Some(&sales_group(&["u1", "u2"])),
    ));
    assert!(plan_runs(&plan_at(&set, "2026-03-10", None)).is_empty());
    let other = "{\"value\": [{\"id\": \"g2\", \"displayName\": \"finance\", \"members\": []}]}";
    let set = load(&actual_set(&users(&in_sync()), Some(other)));
    assert!(plan_runs(&plan_at(&set, "2026-03-10", None)).is_empty());
    let set = load(&actual_set(&users(&in_sync()), None));
    assert!(plan_runs(&plan_at(&set, "2026-03-10", None)).is_empty());
}

/// `--previous` given explicitly wins over the actual state: the directory says Cy moved, the
/// report of the day before says nothing changed.
#[test]
fn an_explicit_previous_state_wins_over_the_directory() {
    let mut moved = in_sync();
    moved[2] = user("3", Some("Marketing"), Some("u1"));
    let set = load(&actual_set(&users(&moved), None));
    let before = serde_json::to_string(&eval(&set, "2026-03-09", None)).unwrap();
    let want = roster::governance::workflows::wanted(&set.loaded);
    let prev =
        previous::read_from(before.as_bytes(), previous::Format::Json, "p.json", &want).unwrap();
    let plan = plan_at(&set, "2026-03-10", Some(prev));
    assert!(plan_runs(&plan).is_empty(), "{:?}", plan_runs(&plan));
    assert_eq!(plan.previous_from, None);
}

/// The directory is read for a previous state only when a change-triggered workflow runs on a
/// schedule and no `--previous` is given: otherwise `plan` does no extra work (the stage
/// timings show no "previous state" stage).
#[test]
fn plan_reads_the_directory_for_change_triggers_only() {
    let timed = |dir: &Path, extra: &[&str]| {
        let mut args = vec!["plan", ".", "--as-of", "2026-03-10"];
        args.extend_from_slice(extra);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
            .args(&args)
            .current_dir(dir)
            .env("ROSTER_TIMINGS", "1")
            .output()
            .unwrap();
        String::from_utf8(out.stderr).unwrap()
    };
    let dir = actual_set(&users(&in_sync()), None);
    assert!(timed(&dir, &[]).contains("timing: previous state"));
    let text = std::fs::read_to_string(dir.join("policy.yaml")).unwrap();
    std::fs::write(dir.join("policy.yaml"), text.replace(MOVER, &time_based(0))).unwrap();
    let stderr = timed(&dir, &[]);
    assert!(stderr.contains("timing: plan: evaluation"), "{stderr}");
    assert!(!stderr.contains("timing: previous state"), "{stderr}");
    // Scheduling off: nothing compares, nothing read.
    let off = MOVER.replace("    tasks:", "    scheduled: false\n    tasks:");
    std::fs::write(dir.join("policy.yaml"), text.replace(MOVER, &off)).unwrap();
    assert!(!timed(&dir, &[]).contains("timing: previous state"));
}

// --- What "member" means for group-membership triggers ---

/// A joiner workflow adds every new hire to `interns` on the hire date; `left-interns` and
/// `joined-interns` watch the group. `kit` grants `interns` too, through a record for Di.
const MEMBERSHIP: &str = "workflows:\n  join:\n    category: joiner\n    trigger:\n      time_based: {attribute: hireDate, offset_days: 0}\n    tasks:\n      - add_to_groups: [interns]\n  left-interns:\n    category: mover\n    trigger:\n      group_membership: {group: interns, change: remove}\n    tasks:\n      - send_email: {to: manager}\n  joined-interns:\n    category: mover\n    trigger:\n      group_membership: {group: interns, change: add}\n    tasks:\n      - send_email: {to: manager}\naccess_packages:\n  kit:\n    resources:\n      - group: interns\n    policies:\n      admin:\n        requestors: none\n        expiry:\n          days: 30\nassignments:\n  kit-4:\n    identity: \"4\"\n    package: kit\n    policy: admin\n    assigned_by: \"1\"\n    requested: 2026-04-01T08:00:00Z\n";

/// The report `eval` writes for `as_of`, read back as a previous state.
fn report_of(set: &Set, as_of: &str) -> previous::Previous {
    let text = serde_json::to_string(&eval(set, as_of, None)).unwrap();
    let want = roster::governance::workflows::wanted(&set.loaded);
    previous::read_from(text.as_bytes(), previous::Format::Json, "p.json", &want).unwrap()
}

/// A member added by a workflow task (Ben, Cy, Di on their hire date) or through an
/// assignment record (Di's `kit`) is a member: the day after, against the report of the day
/// before, nobody left; the day the task or record adds them, they joined (the day before,
/// on and after).
#[test]
fn members_added_by_tasks_and_records_are_members_for_group_triggers() {
    // The runs of the two group triggers only.
    let watched = |state: &DesiredState| -> Vec<(String, String)> {
        let mut got: Vec<_> = runs(state)
            .into_iter()
            .filter(|(_, w)| w.ends_with("-interns"))
            .collect();
        got.sort();
        got
    };
    let set = load(&dir_with(MEMBERSHIP, HR));
    // Ben, Cy and Di are hired on 2026-03-02: the task adds them that day.
    let before = watched(&eval(
        &set,
        "2026-03-01",
        Some(report_of(&set, "2026-02-28")),
    ));
    assert!(before.is_empty(), "{before:?}");
    let on = watched(&eval(
        &set,
        "2026-03-02",
        Some(report_of(&set, "2026-03-01")),
    ));
    assert_eq!(
        on,
        [
            pair("2", "joined-interns"),
            pair("3", "joined-interns"),
            pair("4", "joined-interns")
        ]
    );
    // The day after and a month later: still members, so neither joined nor left.
    for (before, d) in [("2026-03-02", "2026-03-03"), ("2026-03-31", "2026-04-01")] {
        let got = watched(&eval(&set, d, Some(report_of(&set, before))));
        assert!(got.is_empty(), "{d}: {got:?}");
    }
    // Di's record ends on 2026-05-01, but the task's membership stays: no run; and a
    // membership only the record gives ends with it: `left`.
    let got = watched(&eval(
        &set,
        "2026-05-01",
        Some(report_of(&set, "2026-04-30")),
    ));
    assert!(got.is_empty(), "{got:?}");
    let only_record = MEMBERSHIP.replace(
        "      - add_to_groups: [interns]\n",
        "      - send_email: {to: manager}\n",
    );
    let set = load(&dir_with(&only_record, HR));
    for (before, d, want) in [
        (
            "2026-03-31",
            "2026-04-01",
            vec![pair("4", "joined-interns")],
        ),
        ("2026-04-01", "2026-04-02", vec![]),
        ("2026-04-29", "2026-04-30", vec![]),
        ("2026-04-30", "2026-05-01", vec![pair("4", "left-interns")]),
        ("2026-05-01", "2026-05-02", vec![]),
    ] {
        assert_eq!(
            watched(&eval(&set, d, Some(report_of(&set, before)))),
            want,
            "{d}"
        );
    }
}

/// In `plan`, the directory's members of `interns` are compared with the group's whole
/// desired membership: the members the joiner task added (Ada in 2020; Ben, Cy and Di on
/// 2026-03-02) did not leave; a member the directory lacks joined (due until the plan is
/// applied); one the directory holds and the desired state does not left.
#[test]
fn plan_counts_task_and_record_members_as_members() {
    let all = ["u1", "u2", "u3", "u4"];
    let set = load(&actual_set_with(
        MEMBERSHIP,
        &users(&in_sync()),
        Some(&group_export("interns", &all)),
    ));
    let interns = |plan: &roster::plan::Plan| -> Vec<(String, String)> {
        plan_runs(plan)
            .into_iter()
            .filter(|(_, w)| w.ends_with("-interns"))
            .collect()
    };
    let plan = plan_at(&set, "2026-03-10", None);
    assert!(interns(&plan).is_empty(), "{:?}", interns(&plan));
    let set = load(&actual_set_with(
        MEMBERSHIP,
        &users(&in_sync()),
        Some(&group_export("interns", &["u2", "u3", "u4"])),
    ));
    assert_eq!(
        interns(&plan_at(&set, "2026-03-10", None)),
        [pair("1", "joined-interns")]
    );
    // Before Ben, Cy and Di are hired (2026-02-10: in pre-hire, no task yet), a directory
    // that already lists them shows them leaving.
    let set = load(&actual_set_with(
        MEMBERSHIP,
        &users(&in_sync()),
        Some(&group_export("interns", &all)),
    ));
    assert_eq!(
        interns(&plan_at(&set, "2026-02-20", None)),
        [
            pair("2", "left-interns"),
            pair("3", "left-interns"),
            pair("4", "left-interns")
        ]
    );
}

/// A group-triggered run's own effects are applied on its day, after the groups it compares
/// were decided: `joined-interns` assigning `kit` gives Ben the package the day he joins.
#[test]
fn a_group_triggered_runs_effects_are_applied_on_its_day() {
    let wf = MEMBERSHIP.replace(
        "      group_membership: {group: interns, change: add}\n    tasks:\n      - send_email: {to: manager}\n",
        "      group_membership: {group: interns, change: add}\n    tasks:\n      - assign_access_packages: [kit]\n",
    );
    assert_ne!(wf, MEMBERSHIP);
    let set = load(&dir_with(&wf, HR));
    let packages_of = |state: &DesiredState, key: &str| -> Vec<String> {
        let json = serde_json::to_value(state).unwrap();
        json["identities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["key"] == key)
            .map(|p| {
                p["access_packages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap()
    };
    let before = eval(&set, "2026-03-01", Some(report_of(&set, "2026-02-28")));
    assert!(packages_of(&before, "2").is_empty());
    let on = eval(&set, "2026-03-02", Some(report_of(&set, "2026-03-01")));
    assert!(runs(&on).contains(&pair("2", "joined-interns")));
    assert_eq!(packages_of(&on, "2"), ["kit"]);
}

/// The calendar lists the group-triggered runs `eval` found on the as-of date, the same
/// events, in a window that contains the day (and none in one that does not).
#[test]
fn the_calendar_shows_the_group_triggered_runs_eval_found() {
    let set = load(&dir_with(MEMBERSHIP, HR));
    let prev = report_of(&set, "2026-03-01");
    let state = eval(&set, "2026-03-02", Some(prev.clone()));
    let view = View::of(&set.loaded, &set.policy, &state).with_previous(Some(&prev));
    let joined = |events: &[Event]| -> Vec<Event> {
        events
            .iter()
            .filter(|e| e.source == "workflow:joined-interns")
            .cloned()
            .collect()
    };
    let due = joined(&state.due);
    assert_eq!(due.len(), 3);
    let window = Window {
        from: day("2026-03-01"),
        to: day("2026-03-03"),
    };
    assert_eq!(joined(&roster::governance::events(&view, window)), due);
    let later = Window {
        from: day("2026-03-03"),
        to: day("2026-03-31"),
    };
    assert!(joined(&roster::governance::events(&view, later)).is_empty());
}

// --- The auto-assignment grace period from the directory's assignments (`plan`) ---

const GRACE: &str = "access_packages:\n  sales-tools:\n    display_name: Sales tools\n    resources: []\n    auto_assignment:\n      rule: user.department -eq \"Sales\"\n      grace_period_days: 3\n";

/// The directory of `in_sync` with an assignments export holding these assignments.
fn grace_set(assignments: &[String]) -> Set {
    let dir = actual_set_with(GRACE, &users(&in_sync()), None);
    let text = std::fs::read_to_string(dir.join("policy.yaml")).unwrap();
    std::fs::write(
        dir.join("policy.yaml"),
        text.replace(
            "      users: users.json\n",
            "      users: users.json\n      assignments: assignments.json\n",
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("assignments.json"),
        format!("{{\"value\": [{}]}}", assignments.join(",\n")),
    )
    .unwrap();
    load(&dir)
}

/// A Graph assignment of `Sales tools` to account `u<key>`, with its schedule.
fn assignment(key: &str, start: Option<&str>, end: Option<&str>) -> String {
    let mut schedule = Vec::new();
    if let Some(s) = start {
        schedule.push(format!("\"startDateTime\": \"{s}\""));
    }
    schedule.push(match end {
        Some(e) => {
            format!("\"expiration\": {{\"type\": \"afterDateTime\", \"endDateTime\": \"{e}\"}}")
        }
        None => "\"expiration\": {\"type\": \"noExpiration\"}".to_string(),
    });
    format!(
        "{{\"id\": \"a{key}\", \"state\": \"delivered\", \"target\": {{\"objectId\": \"u{key}\"}}, \"accessPackage\": {{\"displayName\": \"Sales tools\"}}, \"schedule\": {{{}}}}}",
        schedule.join(", ")
    )
}

/// Whether the plan removes Cy's (3) `sales-tools` assignment.
fn removes_cys(plan: &roster::plan::Plan) -> bool {
    plan.changes.iter().any(|c| {
        c.action == roster::plan::Action::PackageRemove
            && c.identity.as_deref() == Some("3")
            && c.access_package.as_deref() == Some("sales-tools")
    })
}

/// Cy (Finance in HR) holds `sales-tools` in the directory, assigned on 2026-03-05 at 10:00:
/// the rule matched then, so it cannot have stopped matching before 2026-03-06, and the
/// 3-day grace keeps it up to 2026-03-08 (the grace end, 2026-03-09, removes it): the day
/// before, on and after. No grace without a start, with a start after the as-of date, or
/// past the assignment's own expiry.
#[test]
fn plan_keeps_the_grace_period_from_the_directorys_assignments() {
    let mut held = vec![
        assignment("1", Some("2026-01-01T00:00:00Z"), None),
        assignment("2", Some("2026-03-02T00:00:00Z"), None),
    ];
    held.push(assignment("3", Some("2026-03-05T10:00:00Z"), None));
    let set = grace_set(&held);
    for (d, removed) in [
        ("2026-03-06", false),
        ("2026-03-08", false),
        ("2026-03-09", true),
        ("2026-03-10", true),
    ] {
        let plan = plan_at(&set, d, None);
        assert_eq!(removes_cys(&plan), removed, "{d}: {:?}", plan.changes);
        assert_eq!(plan.grace_from.as_deref(), Some("directory"));
    }
    // Ada and Ben match the rule and hold it: nothing to do for them (the export names the
    // package by its `display_name`, which the plan matches).
    assert!(
        plan_at(&set, "2026-03-08", None)
            .changes
            .iter()
            .all(|c| c.access_package.is_none() || c.identity.as_deref() == Some("3"))
    );
    // Fail closed: no start, a start after the as-of date, an expiry before the grace end.
    for cy in [
        assignment("3", None, None),
        assignment("3", Some("2026-03-20T00:00:00Z"), None),
        assignment(
            "3",
            Some("2026-03-05T10:00:00Z"),
            Some("2026-03-07T12:00:00Z"),
        ),
    ] {
        let mut held = held.clone();
        held[2] = cy.clone();
        let plan = plan_at(&grace_set(&held), "2026-03-07", None);
        assert!(removes_cys(&plan), "{cy}: {:?}", plan.changes);
    }
    // The expiry's day is the first without it; the day before, the grace still keeps it.
    let mut capped = held.clone();
    capped[2] = assignment(
        "3",
        Some("2026-03-05T10:00:00Z"),
        Some("2026-03-07T12:00:00Z"),
    );
    assert!(!removes_cys(&plan_at(
        &grace_set(&capped),
        "2026-03-06",
        None
    )));
    // An explicit `--previous` wins: the report of the day before says Cy held nothing.
    let set = grace_set(&held);
    let before = report_of(&set, "2026-03-07");
    let plan = plan_at(&set, "2026-03-08", Some(before));
    assert!(removes_cys(&plan));
    assert_eq!(plan.grace_from, None);
}

// --- `--sign-ins` in `plan`: the linked account's `id` first ---

/// A review of `interns` (Ada, Ben, Cy) ending on 2026-03-08 whose default follows the
/// sign-in recommendation (30 days).
const REVIEW: &str = "reviews:\n  r:\n    scope:\n      group: interns\n    reviewers: [manager]\n    fallback_reviewers: [{user: \"4\"}]\n    recurrence: monthly\n    start: 2026-03-01\n    occurrences: 1\n    duration_days: 7\n    default_decision: recommendation\n    auto_apply: true\n";

/// In `plan`, the sign-ins of an identity linked to a directory account are that account's
/// (by Graph `id`), before any key: Cy's account `u3` has not signed in since December
/// (another account carries his `employeeId` and signed in last week), so the review removes
/// him. Ben's account `u2` carries Di's `employeeId`, and Di's own account is not in the
/// export, so Di reaches `u2` by `employeeId`: an account two identities reach is no one's,
/// and Ben keeps his membership (fail closed). `eval`, which links no account, matches by
/// `employeeId`: Cy's is the recent account, and he stays.
#[test]
fn plan_matches_sign_ins_by_the_linked_accounts_id_first() {
    let dir = actual_set_with(
        REVIEW,
        &users(&in_sync()),
        Some(&group_export("interns", &["u1", "u2", "u3"])),
    );
    let text = std::fs::read_to_string(dir.join("policy.yaml")).unwrap();
    let text = text.replace(
        "  interns:\n    members: []",
        "  interns:\n    members: [\"1\", \"2\", \"3\"]",
    );
    std::fs::write(dir.join("policy.yaml"), text).unwrap();
    std::fs::write(
        dir.join("signins.json"),
        r#"{"value": [
  {"id": "u1", "employeeId": "1", "signInActivity": {"lastSignInDateTime": "2026-03-05T08:00:00Z"}},
  {"id": "u2", "employeeId": "4", "signInActivity": {"lastSignInDateTime": "2025-12-01T08:00:00Z"}},
  {"id": "u3", "employeeId": "x", "signInActivity": {"lastSignInDateTime": "2025-12-01T08:00:00Z"}},
  {"id": "x3", "employeeId": "3", "signInActivity": {"lastSignInDateTime": "2026-03-05T08:00:00Z"}}]}"#,
    )
    .unwrap();
    let set = load(&dir);
    let sign_ins =
        Arc::new(roster::governance::signins::read(&dir.join("signins.json"), 1 << 20).unwrap());
    let signed = |d: &str| Options {
        sign_ins: Some(sign_ins.clone()),
        ..options(d, None)
    };
    let removed = |plan: &roster::plan::Plan| -> Vec<String> {
        plan.changes
            .iter()
            .filter(|c| c.action == roster::plan::Action::MemberRemove)
            .filter_map(|c| c.identity.clone())
            .collect()
    };
    let plan = |d: &str| {
        roster::plan::run_with(
            &set.loaded,
            &set.policy,
            signed(d),
            &roster::plan::Locations::default(),
        )
        .unwrap()
    };
    // The day before the end, on it and after.
    assert!(removed(&plan("2026-03-07")).is_empty());
    assert_eq!(removed(&plan("2026-03-08")), ["3"]);
    assert_eq!(removed(&plan("2026-03-09")), ["3"]);
    // `eval` matches by `employeeId`: Cy's recent date keeps him; Ben has none.
    let state = evaluate(&set.loaded, &set.policy, signed("2026-03-08"));
    let json = serde_json::to_value(&state).unwrap();
    let in_interns: Vec<&str> = json["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["groups"].as_array().unwrap().contains(&"interns".into()))
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(in_interns, ["1", "2", "3"]);
}

/// Runs compared with the directory stay due until the plan is applied, and the human and
/// Markdown plans say so where they list them; once the directory holds the new value (the
/// plan applied), the run is no longer due. With `--previous` nothing is said.
#[test]
fn plan_says_change_triggered_runs_wait_for_the_plan_to_be_applied() {
    let mut moved = in_sync();
    moved[2] = user("3", Some("Marketing"), Some("u1"));
    let set = load(&actual_set(&users(&moved), None));
    let plan = plan_at(&set, "2026-03-10", None);
    assert_eq!(plan.due_until_applied, 1);
    let human = roster::plan::render::human(&plan);
    assert!(
        human.contains("1 of them runs on a change the directory `directory` does not hold yet: Entra runs it when this plan is applied, and every plan lists it until then"),
        "{human}"
    );
    let header = roster::markdown::header("Roster plan", day("2026-03-10"), None);
    let md = roster::plan::render::markdown(&plan, &header);
    assert!(
        md.contains("1 on a change the directory does not hold yet, listed in every plan until this one is applied"),
        "{md}"
    );
    // Applied: the directory holds Finance, nothing is due.
    let applied = load(&actual_set(&users(&in_sync()), None));
    let plan = plan_at(&applied, "2026-03-11", None);
    assert!(plan.tasks_due.is_empty());
    assert!(!roster::plan::render::human(&plan).contains("does not hold yet"));
    // An explicit previous state: due that day only, nothing said.
    let before = report_of(&set, "2026-03-09");
    let plan = plan_at(&set, "2026-03-10", Some(before));
    assert_eq!(plan.due_until_applied, 0);
    assert!(!roster::plan::render::human(&plan).contains("does not hold yet"));
}
