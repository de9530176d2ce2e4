//! `roster plan` end to end: the bundled example's drift in every format, the exit codes, the
//! deletion threshold and its approvals, empty exports, and the size of the Markdown report.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::path::{Path, PathBuf};

use common::roster_in;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn plan_example(format: &str) -> common::Run {
    plan_example_from(None, format)
}

/// `plan` of the example, its actual state read from `actual` when given (`--actual`).
fn plan_example_from(actual: Option<&Path>, format: &str) -> common::Run {
    let mut args = vec![
        "plan",
        "policies",
        "--as-of",
        "2026-11-25",
        "--format",
        format,
    ];
    if let Some(dir) = actual {
        args.extend(["--actual", dir.to_str().unwrap()]);
    }
    roster_in(&manifest(), &args)
}

#[test]
fn the_example_drift_is_planned_in_every_format() {
    let r = plan_example("human");
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("plan_human", r.stdout);
    let r = plan_example("markdown");
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("plan_markdown", common::without_revision(&r.stdout));
    let r = plan_example("json");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(manifest().join("schemas/plan.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "the plan does not fit its schema: {errors:?}"
    );
    assert_eq!(json["format_version"], "1");
    let summary = &json["summary"];
    for (field, want) in [
        ("create", 1),
        ("update", 1),
        ("enable", 0),
        ("disable", 1),
        ("delete", 2),
        ("orphan", 3),
        ("disputed", 1),
        ("held", 0),
        // The on-call record of policies/assignments.yaml adds 1042 to `prod-admins`; the
        // legacy-vpn review's denial removes 1042 from `legacy-vpn`, which the export still has.
        ("member_add", 1),
        ("member_remove", 2),
    ] {
        assert_eq!(summary[field], want, "summary.{field}");
    }
    let changes = json["changes"].as_array().unwrap();
    // Apply order: creates first, deletes last.
    assert_eq!(changes.first().unwrap()["action"], "create");
    assert_eq!(changes.last().unwrap()["action"], "delete");
    let create = &changes[0];
    assert_eq!(create["target"], "erp");
    assert_eq!(create["identity"], "1032");
    assert!(create["account"].is_null());
    let update = changes.iter().find(|c| c["action"] == "update").unwrap();
    assert_eq!(update["identity"], "1004");
    assert_eq!(update["attributes"][0]["name"], "department");
    assert_eq!(update["attributes"][0]["before"], "Marketing");
    assert_eq!(update["attributes"][0]["after"], "Sales");
    assert_eq!(update["lifecycle"], "mover");
    let disable = changes.iter().find(|c| c["action"] == "disable").unwrap();
    assert_eq!(disable["identity"], "1033");
    assert_eq!(disable["lifecycle"], "leaver");
    let orphan = json["orphans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["identity"].is_null())
        .unwrap();
    assert!(
        orphan["account"]
            .as_str()
            .unwrap()
            .starts_with("CN=svc-backup")
    );
    assert!(
        orphan["action"].is_null(),
        "an unknown account is left alone by default"
    );
    assert_eq!(json["disputed"][0]["identities"][0], "1011");
    // JSON Lines: a summary line, then one line per item, each with its type.
    let r = plan_example("jsonl");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "summary");
    assert_eq!(
        lines.iter().filter(|l| l["type"] == "change").count(),
        changes.len()
    );
}

#[test]
fn detailed_exit_codes_and_the_saved_plan() {
    let tmp = std::env::temp_dir().join(format!("roster-plan-out-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let out = tmp.join("plan.json");
    let r = roster_in(
        &manifest(),
        &[
            "plan",
            "policies",
            "--as-of",
            "2026-11-25",
            "--detailed-exitcode",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 2, "changes: exit 2\n{}", r.stderr);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(saved["summary"]["create"], 1);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A small policy set in a fresh repository: one target with the given settings, HR people
/// `1`..=`people`, and the users export given.
fn small_set(name: &str, target_extra: &str, people: usize, users: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-plan-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    let mut hr = String::from("id,name,hired\n");
    for i in 1..=people {
        hr.push_str(&format!("{i},Person {i},2020-01-06\n"));
    }
    std::fs::write(dir.join("policies/hr.csv"), hr).unwrap();
    std::fs::write(dir.join("policies/users.json"), users).unwrap();
    std::fs::write(
        dir.join("policies/policy.yaml"),
        format!(
            "sources:
  hr:
    format: csv
    path: hr.csv
    key: id
    fields:
      id: string
      name: string
      hired: datetime
identity:
  attributes:
    employeeId:
      source: hr.id
    displayName:
      source: hr.name
    hireDate:
      type: datetime
      source: hr.hired
  lifecycle:
    hire_date: hireDate
targets:
  directory:
    kind: directory
    scope:
      sync: all
    matching: [employeeId]
    actual:
      users: users.json
{target_extra}    mappings:
      employeeId:
        source: employeeId
      displayName:
        source: displayName
"
        ),
    )
    .unwrap();
    dir
}

fn users_json(accounts: impl Iterator<Item = String>) -> String {
    format!(
        "{{\"value\": [{}]}}",
        accounts.collect::<Vec<_>>().join(",\n")
    )
}

fn orphan(k: usize) -> String {
    format!("{{\"id\": \"x{k}\", \"displayName\": \"Old account {k}\", \"accountEnabled\": true}}")
}

fn run(dir: &Path, extra: &[&str]) -> common::Run {
    let mut args = vec!["plan", "policies", "--as-of", "2026-01-15"];
    args.extend_from_slice(extra);
    roster_in(dir, &args)
}

#[test]
fn over_the_threshold_the_plan_is_refused_until_exactly_this_plan_is_approved() {
    let users = users_json((1..=4).map(orphan));
    let dir = small_set(
        "threshold",
        "    deletion_threshold: 3\n    unmatched_accounts: delete\n",
        0,
        &users,
    );
    // No HR people would make the source empty: one person, with an account.
    std::fs::write(
        dir.join("policies/hr.csv"),
        "id,name,hired\n1,Anna,2020-01-06\n",
    )
    .unwrap();
    let users = users_json(
        std::iter::once(
            "{\"id\": \"u1\", \"employeeId\": \"1\", \"displayName\": \"Anna\", \"accountEnabled\": true}"
                .to_string(),
        )
        .chain((1..=4).map(orphan)),
    );
    std::fs::write(dir.join("policies/users.json"), &users).unwrap();
    let r = run(&dir, &["--format", "json"]);
    assert_eq!(r.code, 1, "refused: exit 1\n{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let target = &json["targets"][0];
    assert_eq!(target["refused"], true);
    assert_eq!(target["destructive"], 4);
    assert_eq!(target["threshold"], 3);
    let fingerprint = target["fingerprint"].as_str().unwrap().to_string();
    assert!(fingerprint.starts_with("sha256:") && fingerprint.len() == 71);
    assert!(json["issues"].to_string().contains("E140"));
    let approve = |deletes: u32, fp: &str, expires: &str| {
        std::fs::write(
            dir.join("policies/approvals.yaml"),
            format!(
                "approvals:\n  cleanup:\n    target: directory\n    deletes: {deletes}\n    disables: 0\n    fingerprint: \"{fp}\"\n    expires: {expires}\n    reason: four test accounts\n"
            ),
        )
        .unwrap();
        run(&dir, &["--format", "json", "--detailed-exitcode"])
    };
    // Exactly this plan, not expired: allowed (changes: exit 2 with --detailed-exitcode).
    let r = approve(4, &fingerprint, "2026-01-31");
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["targets"][0]["approved_by"], "cleanup");
    // Expired, another count, or another fingerprint: refused again.
    assert_eq!(approve(4, &fingerprint, "2026-01-14").code, 1);
    assert_eq!(approve(3, &fingerprint, "2026-01-31").code, 1);
    let other = format!("sha256:{}", "0".repeat(64));
    let r = approve(4, &other, "2026-01-31");
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("its fingerprint is not this plan's"),
        "{}",
        r.stdout
    );
    // One more account to delete: the old approval no longer holds.
    let more = users_json(
        std::iter::once(
            "{\"id\": \"u1\", \"employeeId\": \"1\", \"displayName\": \"Anna\", \"accountEnabled\": true}"
                .to_string(),
        )
        .chain((1..=5).map(orphan)),
    );
    std::fs::write(dir.join("policies/users.json"), more).unwrap();
    assert_eq!(approve(4, &fingerprint, "2026-01-31").code, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_a_threshold_the_default_is_500_never_unlimited() {
    let users = users_json(
        std::iter::once(
            "{\"id\": \"u1\", \"employeeId\": \"1\", \"displayName\": \"Person 1\", \"accountEnabled\": true}"
                .to_string(),
        )
        .chain((1..=501).map(orphan)),
    );
    let dir = small_set("default", "    unmatched_accounts: disable\n", 1, &users);
    let r = run(&dir, &["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["targets"][0]["threshold"], 500);
    assert_eq!(json["targets"][0]["refused"], true);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_empty_export_stops_the_target_instead_of_creating_everyone() {
    let dir = small_set("empty", "", 3, "{\"value\": []}");
    let r = run(&dir, &["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["summary"]["create"], 0);
    assert!(json["issues"].to_string().contains("D221"));
    // A new target says so.
    let dir2 = small_set("new", "", 3, "{\"value\": []}");
    let policy = std::fs::read_to_string(dir2.join("policies/policy.yaml")).unwrap();
    std::fs::write(
        dir2.join("policies/policy.yaml"),
        policy.replace(
            "      users: users.json\n",
            "      users: users.json\n      allow_empty: true\n",
        ),
    )
    .unwrap();
    let r = run(&dir2, &["--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["summary"]["create"], 3);
    // A missing export is not an empty one either.
    std::fs::remove_file(dir.join("policies/users.json")).unwrap();
    let r = run(&dir, &["--format", "json"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("D201") && r.stdout.contains("D221"),
        "{}",
        r.stdout
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&dir2);
}

#[test]
fn the_markdown_report_stays_under_60000_characters_and_says_what_it_cut() {
    let users = users_json(
        std::iter::once(
            "{\"id\": \"u1\", \"employeeId\": \"1\", \"displayName\": \"Person 1\", \"accountEnabled\": true}"
                .to_string(),
        )
        .chain((1..=30_000).map(orphan)),
    );
    let dir = small_set("markdown", "", 2_000, &users);
    let r = run(&dir, &["--format", "markdown"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.chars().count() < 60_000, "{}", r.stdout.len());
    assert!(r.stdout.contains("and 1974 more"), "{}", &r.stdout[..3000]);
    assert!(
        r.stdout.contains("and 29975 more"),
        "the orphans' cut is said"
    );
    assert!(r.stdout.trim_end().ends_with("held."));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The example's exports laid out as `DIR/<target>/<file name>` in a fresh temporary
/// directory (for `--actual DIR`).
fn example_exports(name: &str) -> PathBuf {
    let tmp = std::env::temp_dir().join(format!("roster-plan-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let ex = manifest().join("examples/actual");
    for (target, file) in [
        ("active-directory", "users.ldf"),
        ("active-directory", "groups.ldf"),
        ("eng-ldap", "people.ldif"),
        ("erp", "users/page-1.json"),
    ] {
        let to = tmp.join(target).join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(ex.join(target).join(file), &to).unwrap();
    }
    tmp
}

#[test]
fn actual_dir_reads_each_target_from_its_own_directory() {
    let tmp = example_exports("actual");
    let here = plan_example("json");
    let there = plan_example_from(Some(&tmp), "json");
    assert_eq!(there.code, 0, "{}", there.stderr);
    let a: serde_json::Value = serde_json::from_str(&here.stdout).unwrap();
    let b: serde_json::Value = serde_json::from_str(&there.stdout).unwrap();
    assert_eq!(a["changes"], b["changes"]);
    assert_eq!(a["summary"], b["summary"]);
    // A target missing from DIR is not planned, and says so.
    std::fs::remove_dir_all(tmp.join("eng-ldap")).unwrap();
    let r = roster_in(
        &manifest(),
        &[
            "plan",
            "policies",
            "--as-of",
            "2026-11-25",
            "--actual",
            tmp.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("target `eng-ldap` is not planned"),
        "{}",
        r.stdout
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn explain_shows_the_plan_for_one_person() {
    let r = roster_in(
        &manifest(),
        &[
            "explain",
            "1004",
            "policies",
            "--as-of",
            "2026-11-25",
            "--actual",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("Plan against the actual state for 1004"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("~ department: \"Marketing\" -> \"Sales\""),
        "{}",
        r.stdout
    );
    let r = roster_in(
        &manifest(),
        &[
            "explain",
            "1034",
            "policies",
            "--as-of",
            "2026-11-25",
            "--actual",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let actions: Vec<&str> = json["plan"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["delete", "delete"]);
    // Someone the targets already hold as the policy wants: no change.
    let r = roster_in(
        &manifest(),
        &[
            "explain",
            "1001",
            "policies",
            "--as-of",
            "2026-11-25",
            "--actual",
        ],
    );
    assert!(r.stdout.contains("no change"), "{}", r.stdout);
}

/// The JSON report `eval` writes for the example on `day`, saved in a fresh temporary
/// directory: (the directory, the file).
fn previous_report(name: &str, day: &str) -> (PathBuf, PathBuf) {
    let tmp = std::env::temp_dir().join(format!("roster-plan-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let prev = tmp.join("previous.json");
    let r = roster_in(
        &manifest(),
        &["eval", "policies", "--as-of", day, "--format", "json"],
    );
    std::fs::write(&prev, r.stdout).unwrap();
    (tmp, prev)
}

fn plan_on(day: &str, format: &str, extra: &[&str]) -> common::Run {
    let mut args = vec!["plan", "policies", "--as-of", day, "--format", format];
    args.extend_from_slice(extra);
    roster_in(&manifest(), &args)
}

/// The lifecycle workflow runs due on the as-of date are in every format of the plan: on
/// 1 December 1015's and 3004's day-0 joiner runs (and 3004's intern run), the day before and
/// the day after not; the JSON fits its schema. 1004's `mover-department` is due every day:
/// Active Directory still holds `Marketing`, HR says `Sales` (the plan's update), and without
/// `--previous` the change trigger compares with the directory.
#[test]
fn the_workflow_runs_due_are_in_every_format_of_the_plan() {
    let on = plan_on("2026-12-01", "human", &[]);
    assert_eq!(on.code, 0, "{}", on.stderr);
    assert!(
        on.stdout.contains("Workflow runs due on 2026-12-01 (4):\n  1 of them runs on a change the directory `active-directory` does not hold yet: Entra runs it when this plan is applied, and every plan lists it until then\n  > 1004 mover-department\n      - remove access packages production-admin\n      - e-mail the manager to Margaret.Ellison@northwind.example: \"A member of your team has changed department\"\n  > 1015 joiner-day0\n      - enable the account\n      - e-mail the user to Priya.Nair@northwind.example: \"Welcome to Northwind Traders\"\n"),
        "{}",
        on.stdout
    );
    assert!(
        on.stdout.contains("  > 3004 joiner-interns\n"),
        "{}",
        on.stdout
    );
    let before = plan_on("2026-11-30", "human", &[]);
    assert!(!before.stdout.contains("joiner-day0"), "{}", before.stdout);
    assert!(
        before.stdout.contains("  > 1043 leaver-last-day\n"),
        "{}",
        before.stdout
    );
    let after = plan_on("2026-12-02", "human", &[]);
    assert!(
        after
            .stdout
            .contains("Workflow runs due on 2026-12-02 (1):\n  1 of them runs on a change the directory `active-directory` does not hold yet: Entra runs it when this plan is applied, and every plan lists it until then\n  > 1004 mover-department\n"),
        "{}",
        after.stdout
    );

    let json = plan_on("2026-12-01", "json", &[]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let runs: Vec<(String, String)> = doc["tasks_due"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["subject"]["id"].as_str().unwrap().to_string(),
                e["source"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        runs,
        [
            ("1004".to_string(), "workflow:mover-department".to_string()),
            ("1015".to_string(), "workflow:joiner-day0".to_string()),
            ("3004".to_string(), "workflow:joiner-day0".to_string()),
            ("3004".to_string(), "workflow:joiner-interns".to_string()),
        ]
    );
    assert_eq!(
        doc["tasks_due"][1]["tasks"][1]["email"]["to"],
        "Priya.Nair@northwind.example"
    );
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(manifest().join("schemas/plan.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    // Without runs, no `tasks_due` at all (plans of other days are unchanged): a previous
    // state in which nothing changed stops 1004's run, which is the only one on 2 December.
    let (tmp, prev) = previous_report("due", "2026-12-01");
    let none: serde_json::Value = serde_json::from_str(
        &plan_on(
            "2026-12-02",
            "json",
            &["--previous", prev.to_str().unwrap()],
        )
        .stdout,
    )
    .unwrap();
    assert!(none.get("tasks_due").is_none());
    let _ = std::fs::remove_dir_all(&tmp);

    let jsonl = plan_on("2026-12-01", "jsonl", &[]);
    let lines: Vec<serde_json::Value> = jsonl
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &serde_json::Value| l["type"] == "workflow_run")
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[3]["source"], "workflow:joiner-interns");

    let md = plan_on("2026-12-01", "markdown", &[]);
    assert!(
        md.stdout
            .contains("<details><summary>workflow runs due on 2026-12-01 (4; 1 on a change the directory does not hold yet, listed in every plan until this one is applied)</summary>"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout.contains(
            "| — | `3004` | | | workflow `joiner-interns`: `add_to_groups`, `send_email` |"
        ),
        "{}",
        md.stdout
    );
}

/// `plan --previous FILE` is accepted as by `eval`: the warnings that change triggers and the
/// grace period need a previous state go, and a previous state that is not earlier stops the
/// plan (exit 2). Without it, change triggers compare with Active Directory's actual state
/// (no `D234`; 1004's department differs there), and the grace period still warns (`D237`).
#[test]
fn plan_takes_a_previous_state() {
    let (tmp, prev) = previous_report("previous", "2026-11-30");
    let without = plan_on("2026-12-01", "human", &[]);
    assert!(!without.stderr.contains("D234"), "{}", without.stderr);
    assert!(
        without.stdout.contains("  > 1004 mover-department\n"),
        "{}",
        without.stdout
    );
    assert!(
        without.stderr.contains("warning[D237]"),
        "{}",
        without.stderr
    );
    let with = plan_on(
        "2026-12-01",
        "human",
        &["--previous", prev.to_str().unwrap()],
    );
    assert_eq!(with.code, 0, "{}", with.stderr);
    assert!(!with.stderr.contains("D234"), "{}", with.stderr);
    assert!(!with.stderr.contains("D237"), "{}", with.stderr);
    assert!(!with.stdout.contains("mover-department"), "{}", with.stdout);
    assert_eq!(
        with.stdout.replace("Workflow runs due on 2026-12-01 (3):\n", ""),
        without
            .stdout
            .replace("Workflow runs due on 2026-12-01 (4):\n", "")
            .replace("  1 of them runs on a change the directory `active-directory` does not hold yet: Entra runs it when this plan is applied, and every plan lists it until then\n", "")
            .replace("  > 1004 mover-department\n      - remove access packages production-admin\n      - e-mail the manager to Margaret.Ellison@northwind.example: \"A member of your team has changed department\"\n", "")
    );
    let late = plan_on(
        "2026-11-30",
        "human",
        &["--previous", prev.to_str().unwrap()],
    );
    assert_eq!(late.code, 2, "{}", late.stderr);
    assert!(late.stderr.contains("D233"), "{}", late.stderr);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A membership an access review removed is labelled by its origin, `review`, with the review
/// in its reason; the identity's other changes keep their lifecycle label (1042's on-call
/// record adds `prod-admins`: `mover`).
#[test]
fn a_review_removal_is_labelled_review() {
    let json = plan_on("2026-11-25", "json", &[]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let changes = doc["changes"].as_array().unwrap();
    let removal = changes
        .iter()
        .find(|c| c["action"] == "member_remove" && c["group"] == "legacy-vpn")
        .unwrap();
    assert_eq!(removal["identity"], "1042");
    assert_eq!(removal["lifecycle"], "review");
    assert!(
        removal["reason"]
            .as_str()
            .unwrap()
            .starts_with("removed by access review `legacy-vpn-monthly`: "),
        "{removal}"
    );
    let added = changes
        .iter()
        .find(|c| c["action"] == "member_add" && c["identity"] == "1042")
        .unwrap();
    assert_eq!(added["lifecycle"], "mover");
}

/// The directory is read once, while the evaluation runs, for the previous state and for its
/// plan: a problem in its export is reported once, gives no previous state (no change
/// trigger runs from it) and no plan of the directory, and the other targets are planned.
#[test]
fn the_directory_read_once_fails_closed_and_reports_once() {
    let tmp = example_exports("once");
    let plan = || {
        let r = plan_example_from(Some(&tmp), "json");
        let plan: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        (r.code, plan)
    };
    let (code, clean) = plan();
    assert_eq!(code, 0);
    // (Absent when none is due.)
    let due = |p: &serde_json::Value| -> Vec<String> {
        p["tasks_due"]
            .as_array()
            .map(|due| {
                due.iter()
                    .map(|t| t["source"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        due(&clean),
        ["workflow:mover-department"],
        "from the directory"
    );
    let planned = |p: &serde_json::Value, target: &str| {
        p["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["target"] == target)
            .count()
    };
    assert!(planned(&clean, "active-directory") > 0);

    // An entry whose value names a file to read: refused, never read.
    let users = tmp.join("active-directory/users.ldf");
    let mut text = std::fs::read_to_string(&users).unwrap();
    text.push_str("\ndn: CN=Hostile,OU=Users,DC=corp,DC=northwind,DC=example\nemployeeID: 9999\ndescription:< file:///etc/passwd\n");
    std::fs::write(&users, text).unwrap();
    let (code, broken) = plan();
    assert_eq!(code, 1);
    let issues = broken["issues"].as_array().unwrap();
    let count = |needle: &str| {
        issues
            .iter()
            .filter(|i| i.to_string().contains(needle))
            .count()
    };
    assert_eq!(count("/etc/passwd"), 1, "reported once: {issues:#?}");
    assert_eq!(count("target `active-directory` is not planned"), 1);
    assert_eq!(planned(&broken, "active-directory"), 0);
    assert!(
        due(&broken).is_empty(),
        "no previous state from a partial export"
    );
    assert_eq!(
        planned(&broken, "erp"),
        planned(&clean, "erp"),
        "the other targets are planned as before"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}
