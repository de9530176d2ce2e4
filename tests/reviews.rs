//! Access reviews through the library: what the end of an instance does to the desired state
//! (denials, the default decision, auto-apply, fail-closed cases), and the calendar property
//! that a window's review events are the union of its days' events.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use proptest::prelude::*;
use roster::governance::{self, Detail, Event, View, Window};
use roster::policy::load::{LoadOptions, Loaded, load_with};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const HR: &str = "id,boss\n1,\n2,1\n3,1\n4,1\n5,2\n";

/// A policy set with one static group reviewed monthly from 2026-01-05 for 7 days, `review`
/// replacing the review's settings and `decisions` the recorded decisions (YAML lines).
fn policy(review: &str, decisions: &str) -> String {
    format!(
        r#"sources:
  hr:
    format: csv
    path: hr.csv
    key: id
    fields:
      id: string
      boss: string
identity:
  attributes:
    employeeId:
      source: hr.id
    manager:
      source: hr.boss
groups:
  vpn:
    members: ["2", "3", "4"]
    owners: ["5"]
  security:
    members: ["4"]
  everyone:
    rule: user.employeeId -ne null
access_packages:
  admin:
    auto_assignment:
      rule: user.employeeId -eq "3"
reviews:
  r:
{review}
{decisions}"#,
        decisions = if decisions.is_empty() {
            String::new()
        } else {
            format!("review_decisions:\n  r:\n{decisions}")
        }
    )
}

const MONTHLY: &str = r#"    scope:
      group: vpn
    reviewers: [manager]
    fallback_reviewers:
      - group: security
    recurrence: monthly
    start: 2026-01-05
    duration_days: 7
    default_decision: no_change
    auto_apply: true"#;

struct Set {
    /// A temporary directory this test owns (removed at the end), or `None`.
    dir: Option<PathBuf>,
    loaded: Loaded,
    policy: roster::policy::Policy,
}

fn set(name: &str, text: &str) -> Set {
    let dir = std::env::temp_dir().join(format!("roster-reviews-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("policy.yaml"), text).unwrap();
    std::fs::write(dir.join("hr.csv"), HR).unwrap();
    let mut s = load(&dir);
    s.dir = Some(dir);
    s
}

fn load(dir: &Path) -> Set {
    let loaded = load_with(dir, &LoadOptions::default()).unwrap();
    let mut diags = loaded.diagnostics.clone();
    let policy = roster::policy::compile::compile(&loaded, &mut diags);
    assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
    Set {
        dir: None,
        loaded,
        policy,
    }
}

impl Set {
    fn eval(&self, as_of: &str) -> roster::eval::DesiredState {
        roster::eval::evaluate(
            &self.loaded,
            &self.policy,
            roster::eval::Options::at(d(as_of)),
        )
    }

    /// The state on `as_of` with the sign-in dates given.
    fn eval_signed(
        &self,
        as_of: &str,
        sign_ins: Option<std::sync::Arc<roster::governance::signins::SignIns>>,
    ) -> roster::eval::DesiredState {
        roster::eval::evaluate(
            &self.loaded,
            &self.policy,
            roster::eval::Options {
                as_of: d(as_of),
                previous: None,
                sign_ins,
            },
        )
    }

    /// The members of `group` on `as_of`, by key, and the codes of the data problems.
    fn members(&self, group: &str, as_of: &str) -> (Vec<String>, Vec<String>) {
        let state = self.eval(as_of);
        let members = members_of(&self.loaded, &self.policy, &state, group);
        let codes = state
            .issues
            .iter()
            .map(|i| i.code.as_str().to_string())
            .collect();
        (members, codes)
    }
}

fn members_of(
    loaded: &Loaded,
    policy: &roster::policy::Policy,
    state: &roster::eval::DesiredState,
    group: &str,
) -> Vec<String> {
    let view = View::of(loaded, policy, state);
    view.groups
        .iter()
        .find(|(n, _)| n == group)
        .map(|(_, set)| set.ones().map(|i| view.key(i).to_string()).collect())
        .unwrap_or_default()
}

impl Drop for Set {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn decision(reviewee: &str, reviewer: &str, what: &str, date: &str) -> String {
    format!(
        "      - reviewee: \"{reviewee}\"\n        reviewer: \"{reviewer}\"\n        decision: {what}\n        date: {date}\n"
    )
}

fn keys(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A denial takes effect on the day the instance ends: the day before, still a member.
#[test]
fn a_denial_removes_access_on_the_end_day() {
    let s = set(
        "deny",
        &policy(
            MONTHLY,
            &format!(
                "    2026-01-05:\n{}",
                decision("2", "1", "deny", "2026-01-06")
            ),
        ),
    );
    assert_eq!(s.members("vpn", "2026-01-11").0, keys(&["2", "3", "4"]));
    assert_eq!(s.members("vpn", "2026-01-12").0, keys(&["3", "4"]));
    assert_eq!(s.members("vpn", "2026-06-01").0, keys(&["3", "4"]));
    assert!(s.members("vpn", "2026-06-01").1.is_empty());
}

/// Without `auto_apply`, nothing is removed, denials included.
#[test]
fn without_auto_apply_nothing_is_removed() {
    let review = MONTHLY
        .replace("auto_apply: true", "auto_apply: false")
        .replace("default_decision: no_change", "default_decision: deny");
    let s = set(
        "manual",
        &policy(
            &review,
            &format!(
                "    2026-01-05:\n{}",
                decision("2", "1", "deny", "2026-01-06")
            ),
        ),
    );
    assert_eq!(s.members("vpn", "2026-03-01").0, keys(&["2", "3", "4"]));
}

/// The default decision `deny` removes the unreviewed static members; approved and "don't
/// know" ones keep their access.
#[test]
fn the_default_deny_removes_only_the_unreviewed() {
    let review = MONTHLY
        .replace("default_decision: no_change", "default_decision: deny")
        .replace(
            "    start: 2026-01-05",
            "    start: 2026-01-05\n    occurrences: 1",
        );
    let s = set(
        "default",
        &policy(
            &review,
            &format!(
                "    2026-01-05:\n{}{}",
                decision("2", "1", "approve", "2026-01-06"),
                decision("3", "1", "dont_know", "2026-01-07")
            ),
        ),
    );
    assert_eq!(s.members("vpn", "2026-01-11").0, keys(&["2", "3", "4"]));
    assert_eq!(s.members("vpn", "2026-01-12").0, keys(&["2", "3"]));
}

/// `recommendation` without sign-in dates is no recommendation: nobody loses access.
#[test]
fn recommendation_without_sign_in_dates_changes_nothing() {
    let review = MONTHLY.replace(
        "default_decision: no_change",
        "default_decision: recommendation",
    );
    let s = set("recommendation", &policy(&review, ""));
    assert_eq!(s.members("vpn", "2026-05-01").0, keys(&["2", "3", "4"]));
}

/// A package's holders are not known before the access stage: the default decision removes
/// nobody (fail closed), while a recorded denial, which names its reviewee, still applies to
/// what the record can remove (an auto-assignment rule keeps its holders, as in Entra).
#[test]
fn an_unknown_scope_removes_nobody_by_default() {
    let review = MONTHLY
        .replace("      group: vpn", "      access_package: admin")
        .replace("default_decision: no_change", "default_decision: deny");
    let s = set("package", &policy(&review, ""));
    let state = s.eval("2026-05-01");
    let view = View::of(&s.loaded, &s.policy, &state);
    let admin = view.packages.iter().find(|(n, _)| n == "admin").unwrap();
    assert_eq!(admin.1.ones().count(), 1);
}

/// A dynamic group's members follow its rule: a default denial takes nobody out.
#[test]
fn a_dynamic_group_keeps_its_rule_members() {
    let review = MONTHLY
        .replace("      group: vpn", "      group: everyone")
        .replace("default_decision: no_change", "default_decision: deny");
    let s = set(
        "dynamic",
        &policy(
            &review,
            &format!(
                "    2026-01-05:\n{}",
                decision("2", "1", "deny", "2026-01-06")
            ),
        ),
    );
    assert_eq!(s.members("everyone", "2026-05-01").0.len(), 5);
}

/// Decisions that are not allowed take no effect and are data problems at the decision.
#[test]
fn decisions_that_are_not_allowed_change_nothing() {
    let cases = [
        // Not the manager of 2 (the manager is 1), not in the fallback group.
        (decision("2", "3", "deny", "2026-01-06"), "E162"),
        // Not an identity.
        (decision("9", "1", "deny", "2026-01-06"), "E160"),
        // Not in the reviewed group.
        (decision("5", "2", "deny", "2026-01-06"), "E161"),
        // The fallback reviewers decide only when the reviewers name nobody: 2 has a
        // manager, so the security group may not decide for 2.
        (decision("2", "4", "deny", "2026-01-06"), "E162"),
    ];
    for (i, (text, code)) in cases.iter().enumerate() {
        let s = set(
            &format!("refused-{i}"),
            &policy(MONTHLY, &format!("    2026-01-05:\n{text}")),
        );
        let (members, codes) = s.members("vpn", "2026-03-01");
        assert_eq!(members, keys(&["2", "3", "4"]), "{code}");
        assert_eq!(codes, [code.to_string()], "{code}");
    }
}

/// Every allowed kind of reviewer: the manager, self, the group's owners, a named user, a
/// member of a reviewing group, and a fallback reviewer when the reviewers name nobody.
#[test]
fn every_kind_of_reviewer_is_allowed() {
    let cases = [
        ("[manager]", decision("2", "1", "deny", "2026-01-06")),
        ("[self_review]", decision("2", "2", "deny", "2026-01-06")),
        ("[group_owners]", decision("2", "5", "deny", "2026-01-06")),
        ("[{user: \"3\"}]", decision("2", "3", "deny", "2026-01-06")),
        (
            "[{group: security}]",
            decision("2", "4", "deny", "2026-01-06"),
        ),
    ];
    for (i, (reviewers, text)) in cases.iter().enumerate() {
        let review = MONTHLY.replace("reviewers: [manager]", &format!("reviewers: {reviewers}"));
        let s = set(
            &format!("allowed-{i}"),
            &policy(&review, &format!("    2026-01-05:\n{text}")),
        );
        let (members, codes) = s.members("vpn", "2026-03-01");
        assert_eq!(members, keys(&["3", "4"]), "{reviewers}");
        assert!(codes.is_empty(), "{reviewers}: {codes:?}");
    }
    // 1 has no manager: the fallback group decides for 1.
    let text =
        policy(MONTHLY, "").replace("members: [\"2\", \"3\", \"4\"]", "members: [\"1\", \"2\"]");
    let text = format!(
        "{text}review_decisions:\n  r:\n    2026-01-05:\n{}",
        decision("1", "4", "deny", "2026-01-06")
    );
    let s = set("fallback", &text);
    let (members, codes) = s.members("vpn", "2026-03-01");
    assert_eq!(members, keys(&["2"]));
    assert!(codes.is_empty(), "{codes:?}");
}

/// When one reviewee has several decisions in an instance, the latest counts.
#[test]
fn the_latest_decision_counts() {
    let s = set(
        "latest",
        &policy(
            MONTHLY,
            &format!(
                "    2026-01-05:\n{}{}",
                decision("2", "1", "approve", "2026-01-09"),
                decision("2", "1", "deny", "2026-01-06"),
            ),
        ),
    );
    assert_eq!(s.members("vpn", "2026-03-01").0, keys(&["2", "3", "4"]));
}

fn review_events(view: &View<'_>, window: Window, detail: Detail) -> Vec<Event> {
    governance::collect(view, window, detail)
        .into_iter()
        .filter(|e| e.source.starts_with("review:"))
        .collect()
}

fn bundled() -> Set {
    load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies"))
}

/// The bundled example shows a start, a reminder and an end in the README's window, and the
/// recorded decisions' outcomes on the end day.
#[test]
fn the_example_has_every_review_event_in_the_readme_window() {
    let s = bundled();
    let state = s.eval("2026-11-25");
    let view = View::of(&s.loaded, &s.policy, &state);
    let events = review_events(
        &view,
        Window {
            from: d("2026-10-25"),
            to: d("2026-12-25"),
        },
        Detail::Full,
    );
    let lines: Vec<String> = events
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {}",
                e.date,
                e.kind.word(),
                e.subject.id(),
                e.summary
            )
        })
        .collect();
    let has = |needle: &str| lines.iter().any(|l| l.contains(needle));
    assert!(
        has("2026-11-09 review_start review:legacy-vpn-monthly@2026-11-09"),
        "{lines:#?}"
    );
    assert!(
        has("2026-11-16 review_reminder review:legacy-vpn-monthly@2026-11-09"),
        "{lines:#?}"
    );
    assert!(
        has("2026-11-23 review_end review:legacy-vpn-monthly@2026-11-09"),
        "{lines:#?}"
    );
    assert!(
        has(
            "2026-11-23 review_end 1041 access review `legacy-vpn-monthly` (2026-11-09): approve by `1040`"
        ),
        "{lines:#?}"
    );
    assert!(
        has(
            "2026-11-23 review_end 1042 access review `legacy-vpn-monthly` (2026-11-09): deny by `1040`"
        ),
        "{lines:#?}"
    );
    assert!(
        has(
            "2026-11-23 review_end 1031 access review `legacy-vpn-monthly` (2026-11-09): not reviewed, default decision `no_change`: no change"
        ),
        "{lines:#?}"
    );
    assert_eq!(
        members_of(&s.loaded, &s.policy, &state, "legacy-vpn"),
        keys(&["1031", "1041"])
    );
}

fn sorted(mut events: Vec<Event>) -> Vec<Event> {
    governance::sort(&mut events);
    events
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A window's review events are exactly the union of the events of its days, in the
    /// calendar's view (groups known) and in the fold's (groups not yet computed), for every
    /// level of detail.
    #[test]
    fn a_window_is_the_union_of_its_days(start in 0u32..500, len in 0u32..70, fold in any::<bool>(), full in any::<bool>()) {
        thread_local! {
            static SET: Set = bundled();
            static STATE: roster::eval::DesiredState = SET.with(|s| s.eval("2026-11-25"));
        }
        let (whole, days) = SET.with(|s| STATE.with(|state| {
            let mut view = View::of(&s.loaded, &s.policy, state);
            if fold {
                view.groups = &[];
                view.packages = &[];
            }
            let detail = if full { Detail::Full } else { Detail::Effects };
            let from = d("2026-01-01") + chrono::Days::new(u64::from(start));
            let window = Window { from, to: from + chrono::Days::new(u64::from(len)) };
            let whole = review_events(&view, window, detail);
            let days = sorted(window.days().flat_map(|day| review_events(&view, Window::day(day), detail)).collect());
            (whole, days)
        }));
        prop_assert_eq!(whole, days);
    }
}

/// `explain` shows an identity's recorded decisions and the open instances that still wait
/// for one, with what the end will do.
#[test]
fn explain_shows_decisions_and_pending_reviews() {
    let review = MONTHLY.replace("default_decision: no_change", "default_decision: deny");
    let s = set(
        "explain",
        &policy(
            &review,
            &format!(
                "    2026-01-05:\n{}",
                decision("2", "1", "approve", "2026-01-06")
            ),
        ),
    );
    let state = s.eval("2026-01-08");
    let notes = |key: &str| {
        roster::eval::explain::explain_key(&s.loaded, &s.policy, &state, key)
            .unwrap()
            .reviews
            .iter()
            .map(|n| format!("{} {} {} {}", n.review, n.instance, n.status, n.outcome))
            .collect::<Vec<_>>()
    };
    assert_eq!(notes("2"), ["r 2026-01-05 approve access kept"]);
    assert_eq!(
        notes("3"),
        [
            "r 2026-01-05 pending no decision yet; without one, access is removed on 2026-01-12 (default `deny`)"
        ]
    );
    // Not reviewed by this review.
    assert!(notes("1").is_empty());
    // After the end: the decision stays, nothing is pending.
    let state = s.eval("2026-01-20");
    let later = roster::eval::explain::explain_key(&s.loaded, &s.policy, &state, "3")
        .unwrap()
        .reviews;
    assert!(later.is_empty(), "{later:?}");
}

/// The human form of `explain` names the review, the instance, the decision, the reviewer, the
/// justification, the outcome and where the decision is recorded.
#[test]
fn explain_human_shows_the_decision() {
    let s = bundled();
    let state = s.eval("2026-11-25");
    let e = roster::eval::explain::explain_key(&s.loaded, &s.policy, &state, "1042").unwrap();
    let text = roster::eval::explain::human(&e, &roster::eval::explain::View::All);
    assert!(
        text.contains("access reviews:\n  `legacy-vpn-monthly` 2026-11-09 (ends 2026-11-23): deny by `1040` on 2026-11-12 (Moved to the zero-trust access gateway; no longer uses the VPN.): access removed on 2026-11-23  ["),
        "{text}"
    );
    assert!(text.contains("policies/reviews.yaml:71]"), "{text}");
    assert!(
        text.contains("- legacy-vpn: listed as a static member, but removed by an event"),
        "{text}"
    );
}

/// Each instance reviews the members at its start: those removed by an earlier instance are
/// not reviewed again, and a decision about them is out of scope.
#[test]
fn an_instance_reviews_the_members_left_by_the_earlier_ones() {
    let s = set(
        "series",
        &policy(
            MONTHLY,
            &format!(
                "    2026-01-05:\n{}    2026-02-05:\n{}{}",
                decision("2", "1", "deny", "2026-01-06"),
                decision("2", "1", "approve", "2026-02-06"),
                decision("3", "1", "deny", "2026-02-06"),
            ),
        ),
    );
    let (members, codes) = s.members("vpn", "2026-03-01");
    assert_eq!(members, keys(&["4"]));
    assert_eq!(codes, ["E161"]);
    let state = s.eval("2026-03-01");
    let view = View::of(&s.loaded, &s.policy, &state);
    let starts: Vec<String> = review_events(
        &view,
        Window {
            from: d("2026-01-05"),
            to: d("2026-02-05"),
        },
        Detail::Full,
    )
    .into_iter()
    .filter(|e| e.kind.word() == "review_start")
    .map(|e| e.summary)
    .collect();
    assert_eq!(
        starts,
        [
            "access review `r` starts: 3 reviewees, decisions due by 2026-01-11",
            "access review `r` starts: 2 reviewees, decisions due by 2026-02-11"
        ]
    );
}

/// Under a default `deny`, the first instance without decisions removes every static member:
/// the next instances review nobody.
#[test]
fn a_default_deny_empties_the_series() {
    let review = MONTHLY.replace("default_decision: no_change", "default_decision: deny");
    let s = set(
        "empties",
        &policy(
            &review,
            &format!(
                "    2026-01-05:\n{}",
                decision("2", "1", "approve", "2026-01-06")
            ),
        ),
    );
    assert_eq!(s.members("vpn", "2026-01-20").0, keys(&["2"]));
    assert_eq!(s.members("vpn", "2026-02-20").0, Vec::<String>::new());
}

/// With sign-in dates (an actual state), `recommendation` denies the unreviewed who have not
/// signed in during the look-back before the end; it recommends nothing for an identity
/// without a date, nor for an instance that ends after the data's date.
#[test]
fn recommendation_follows_sign_in_dates() {
    for (lookback, as_of, removed) in [
        ("", "2026-01-20", vec!["2"]),
        (
            "\n    recommendation_lookback_days: 60",
            "2026-01-20",
            vec![],
        ),
        ("", "2026-01-11", vec![]),
    ] {
        let review = MONTHLY
            .replace(
                "default_decision: no_change",
                &format!("default_decision: recommendation{lookback}"),
            )
            .replace(
                "    start: 2026-01-05",
                "    start: 2026-01-05\n    occurrences: 1",
            );
        let s = set("sign-ins", &policy(&review, ""));
        let state = s.eval("2026-01-20");
        let mut view = View::of(&s.loaded, &s.policy, &state);
        view.as_of = d(as_of);
        // Keys 1 to 5 are indices 0 to 4.
        let sign_ins = [
            Some(d("2025-06-01")),
            Some(d("2025-12-01")),
            Some(d("2026-01-02")),
            None,
            None,
        ];
        view.last_sign_in = Some(&sign_ins);
        let effects: Vec<(String, String)> = review_events(
            &view,
            Window {
                from: d("2026-01-01"),
                to: d("2026-01-31"),
            },
            Detail::Effects,
        )
        .into_iter()
        .map(|e| (e.subject.id().to_string(), format!("{:?}", e.effects)))
        .collect();
        let want: Vec<(String, String)> = removed
            .iter()
            .map(|k| (k.to_string(), "[RemoveFromGroup(\"vpn\")]".to_string()))
            .collect();
        assert_eq!(effects, want, "{lookback} {as_of}");
        // Without sign-in dates, nothing.
        view.last_sign_in = None;
        assert!(review_events(&view, Window::day(d("2026-01-12")), Detail::Effects).is_empty());
    }
}

/// A decision about a listed static member who is not an identity (as in a `roster test`
/// fixture of a few people) is reported once, at the group (`E203`), not again (`E160`).
#[test]
fn a_listed_member_missing_from_the_data_is_reported_once() {
    let text = policy(
        MONTHLY,
        &format!(
            "    2026-01-05:\n{}",
            decision("7", "1", "deny", "2026-01-06")
        ),
    )
    .replace(
        "members: [\"2\", \"3\", \"4\"]",
        "members: [\"2\", \"3\", \"4\", \"7\"]",
    );
    let s = set("listed", &text);
    let (members, codes) = s.members("vpn", "2026-03-01");
    assert_eq!(members, keys(&["2", "3", "4"]));
    assert_eq!(codes, ["E203"]);
}

/// A reviewing group whose members follow a rule accepts nobody: its members are not known
/// when the decisions are applied, and Roster does not guess (`E162`).
#[test]
fn a_dynamic_reviewing_group_accepts_nobody() {
    let review = MONTHLY.replace("reviewers: [manager]", "reviewers: [{group: everyone}]");
    let s = set(
        "dynamic-reviewers",
        &policy(
            &review,
            &format!(
                "    2026-01-05:\n{}",
                decision("2", "3", "deny", "2026-01-06")
            ),
        ),
    );
    let (members, codes) = s.members("vpn", "2026-03-01");
    assert_eq!(members, keys(&["2", "3", "4"]));
    assert_eq!(codes, ["E162"]);
}

/// Decisions of instances that start after the as-of date are not checked yet: who is in
/// scope then is not known (here the reviewee is hired later).
#[test]
fn later_instances_are_not_checked_yet() {
    let s = set(
        "later",
        &policy(
            MONTHLY,
            &format!(
                "    2026-06-05:\n{}",
                decision("9", "1", "deny", "2026-06-06")
            ),
        ),
    );
    assert!(s.members("vpn", "2026-03-01").1.is_empty());
    assert_eq!(s.members("vpn", "2026-06-05").1, ["E160"]);
}

/// A static member removed by a review and listed again (`relisted: {KEY: DATE}`) is a member
/// again from that day (the day before, not), a reviewee of the instances that start on or
/// after it (not of one that started before), and a later denial removes them again; under a
/// default `deny` the next instance reviews them. Without `relisted` the removal stays.
#[test]
fn a_relisted_member_is_back_from_its_day_and_reviewed_again() {
    let relisted = |text: String| {
        text.replace(
            "    owners: [\"5\"]\n",
            "    owners: [\"5\"]\n    relisted:\n      \"2\": 2026-03-01\n",
        )
    };
    let s = set(
        "relisted",
        &relisted(policy(
            MONTHLY,
            &format!(
                "    2026-01-05:\n{}    2026-03-05:\n{}",
                decision("2", "1", "deny", "2026-01-06"),
                decision("2", "1", "deny", "2026-03-06"),
            ),
        )),
    );
    assert_eq!(s.members("vpn", "2026-01-12").0, keys(&["3", "4"]));
    assert_eq!(s.members("vpn", "2026-02-28").0, keys(&["3", "4"]));
    let (members, codes) = s.members("vpn", "2026-03-01");
    assert_eq!(members, keys(&["2", "3", "4"]));
    assert!(codes.is_empty(), "{codes:?}");
    assert_eq!(s.members("vpn", "2026-03-11").0, keys(&["2", "3", "4"]));
    // The March instance reviewed them again, and its denial removes them on its end day.
    let (members, codes) = s.members("vpn", "2026-03-12");
    assert_eq!(members, keys(&["3", "4"]));
    assert!(codes.is_empty(), "the March denial is in scope: {codes:?}");
    let state = s.eval("2026-03-12");
    let view = View::of(&s.loaded, &s.policy, &state);
    let got: Vec<(String, String, String)> = governance::collect(
        &view,
        Window {
            from: d("2026-02-01"),
            to: d("2026-03-05"),
        },
        Detail::Full,
    )
    .into_iter()
    .filter(|e| matches!(e.kind.word(), "review_start" | "relisted"))
    .map(|e| (e.date.to_string(), e.kind.word().to_string(), e.summary))
    .collect();
    assert_eq!(
        got,
        [
            (
                "2026-02-05".to_string(),
                "review_start".to_string(),
                "access review `r` starts: 2 reviewees, decisions due by 2026-02-11".to_string()
            ),
            (
                "2026-03-01".to_string(),
                "relisted".to_string(),
                "listed again in group `vpn`: an access review's earlier removal no longer applies"
                    .to_string()
            ),
            (
                "2026-03-05".to_string(),
                "review_start".to_string(),
                "access review `r` starts: 3 reviewees, decisions due by 2026-03-11".to_string()
            ),
        ]
    );
    // `explain` says so: on 1 March the `relisted` event and the membership's reason; on
    // 28 February the removal, and from when 2 is listed again.
    let explained = |day: &str| {
        let state = s.eval(day);
        let e = roster::eval::explain::explain_key(&s.loaded, &s.policy, &state, "2").unwrap();
        let vpn = e
            .groups
            .as_ref()
            .unwrap()
            .iter()
            .find(|g| g.name == "vpn")
            .unwrap()
            .reason
            .clone();
        let events: Vec<String> = e.events.iter().map(|e| e.kind.word().to_string()).collect();
        (vpn, events)
    };
    let (why, events) = explained("2026-03-01");
    assert_eq!(
        why,
        "listed as a static member, listed again on 2026-03-01 (`relisted`) after an access review's removal"
    );
    assert_eq!(events, ["relisted"]);
    let (why, events) = explained("2026-02-28");
    assert!(
        why.ends_with("; listed again from 2026-03-01 (`relisted`)"),
        "{why}"
    );
    assert!(events.is_empty());
    let (_, events) = explained("2026-03-02");
    assert!(events.is_empty());
    // Without `relisted`, the removal stays.
    let kept = set(
        "not-relisted",
        &policy(
            MONTHLY,
            &format!(
                "    2026-01-05:\n{}",
                decision("2", "1", "deny", "2026-01-06")
            ),
        ),
    );
    assert_eq!(kept.members("vpn", "2026-03-01").0, keys(&["3", "4"]));
    // Under a default `deny`: everyone goes on 12 January; 2 is back on 1 March and the March
    // instance removes them again on its end day.
    let review = MONTHLY.replace("default_decision: no_change", "default_decision: deny");
    let s = set("relisted-default", &relisted(policy(&review, "")));
    assert_eq!(s.members("vpn", "2026-02-28").0, Vec::<String>::new());
    assert_eq!(s.members("vpn", "2026-03-11").0, keys(&["2"]));
    assert_eq!(s.members("vpn", "2026-03-12").0, Vec::<String>::new());
}

/// `--sign-ins PATH`: a Graph users export with `signInActivity` gives each identity its last
/// sign-in, matched by `employeeId`, and a review's `recommendation` removes who has not
/// signed in during the look-back, on the instance's end day (the day before, nothing);
/// without the export, or for an identity whose `employeeId` two accounts share, access is
/// kept. The calendar's view carries the same dates. A missing export stops the command.
#[test]
fn sign_ins_from_a_graph_export_feed_the_recommendation() {
    let review = MONTHLY
        .replace(
            "default_decision: no_change",
            "default_decision: recommendation",
        )
        .replace(
            "    start: 2026-01-05",
            "    start: 2026-01-05\n    occurrences: 1",
        );
    let s = set("sign-ins-export", &policy(&review, ""));
    let dir = s.dir.clone().unwrap();
    let export = dir.join("signins");
    std::fs::create_dir_all(&export).unwrap();
    // Two pages; 4's id is on two accounts (no date); 5 never signed in (no activity).
    std::fs::write(
        export.join("page-1.json"),
        r#"{"@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=x", "value": [
  {"id": "a1", "employeeId": "2", "signInActivity": {"lastSignInDateTime": "2025-12-01T08:00:00Z"}},
  {"id": "a2", "employeeId": "3", "signInActivity": {"lastSignInDateTime": "2026-01-02T08:00:00Z"}}]}"#,
    )
    .unwrap();
    std::fs::write(
        export.join("page-2.json"),
        r#"{"value": [
  {"id": "a3", "employeeId": "4", "signInActivity": {"lastSignInDateTime": "2025-01-01T08:00:00Z"}},
  {"id": "a4", "employeeId": "4", "signInActivity": {"lastSignInDateTime": "2025-01-01T08:00:00Z"}},
  {"id": "a5", "employeeId": "5"}]}"#,
    )
    .unwrap();
    let sign_ins =
        std::sync::Arc::new(roster::governance::signins::read(&export, 1 << 20).unwrap());
    let eval = |day: &str, with: bool| s.eval_signed(day, with.then(|| sign_ins.clone()));
    let members =
        |state: &roster::eval::DesiredState| members_of(&s.loaded, &s.policy, state, "vpn");
    assert_eq!(members(&eval("2026-01-11", true)), keys(&["2", "3", "4"]));
    let on = eval("2026-01-12", true);
    assert_eq!(members(&on), keys(&["3", "4"]));
    assert_eq!(members(&eval("2026-01-13", true)), keys(&["3", "4"]));
    assert_eq!(members(&eval("2026-01-12", false)), keys(&["2", "3", "4"]));
    // The calendar's view has the dates: 2's removal on the end day.
    let view = View::of(&s.loaded, &s.policy, &on);
    let removed: Vec<String> = review_events(&view, Window::day(d("2026-01-12")), Detail::Effects)
        .into_iter()
        .map(|e| e.subject.id().to_string())
        .collect();
    assert_eq!(removed, ["2"]);
    // Through the command line; a missing export stops it.
    let run = |extra: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
            .args([
                "eval",
                dir.to_str().unwrap(),
                "--as-of",
                "2026-01-12",
                "--format",
                "json",
            ])
            .args(["--sign-ins", dir.join(extra).to_str().unwrap()])
            .output()
            .unwrap()
    };
    let out = run("signins");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let groups_of = |key: &str| {
        doc["identities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["key"] == key)
            .unwrap()["groups"]
            .clone()
    };
    assert!(!groups_of("2").as_array().unwrap().contains(&"vpn".into()));
    assert!(groups_of("3").as_array().unwrap().contains(&"vpn".into()));
    let missing = run("nowhere.json");
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("D201"));
}

/// An inactive-users review (`inactive_days: 30`) reviews only the members who have not
/// signed in during the 30 days before the instance's start: under a default `deny`, 2 (last
/// sign-in 1 November) goes on the end day, 3 (signed in on 1 January) stays and a decision
/// about 3 is out of scope (`E161`); 4, without a date, is not known to be inactive and stays.
/// Without sign-in dates the reviewees cannot be listed: the default removes nobody.
#[test]
fn an_inactive_users_review_reviews_only_who_has_not_signed_in() {
    let review = MONTHLY
        .replace(
            "default_decision: no_change",
            "default_decision: deny\n    inactive_days: 30",
        )
        .replace(
            "    start: 2026-01-05",
            "    start: 2026-01-05\n    occurrences: 1",
        );
    let s = set(
        "inactive",
        &policy(
            &review,
            &format!(
                "    2026-01-05:\n{}",
                decision("3", "1", "deny", "2026-01-06")
            ),
        ),
    );
    let sign_ins = std::sync::Arc::new(roster::governance::signins::SignIns::from_pairs(
        "signins.json",
        [("2", Some(d("2025-11-01"))), ("3", Some(d("2026-01-01")))],
    ));
    let eval = |day: &str, with: bool| s.eval_signed(day, with.then(|| sign_ins.clone()));
    let members =
        |state: &roster::eval::DesiredState| members_of(&s.loaded, &s.policy, state, "vpn");
    assert_eq!(members(&eval("2026-01-11", true)), keys(&["2", "3", "4"]));
    let on = eval("2026-01-12", true);
    assert_eq!(members(&on), keys(&["3", "4"]));
    let codes: Vec<&str> = on.issues.iter().map(|i| i.code.as_str()).collect();
    assert_eq!(codes, ["E161"]);
    // Without sign-in dates: nobody listed, so nobody removed by default, and the recorded
    // denial of 3 applies (it names its reviewee).
    let blind = eval("2026-01-12", false);
    assert_eq!(members(&blind), keys(&["2", "4"]));
    let view = View::of(&s.loaded, &s.policy, &on);
    let start: Vec<String> = review_events(&view, Window::day(d("2026-01-05")), Detail::Full)
        .into_iter()
        .map(|e| e.summary)
        .collect();
    assert_eq!(
        start,
        ["access review `r` starts: 1 reviewee, decisions due by 2026-01-11"]
    );
}

/// An inactive-users review leaves out whoever was hired within the inactivity window (Entra
/// excludes users created within it): 3, hired on 20 December, has no sign-in for 30 days
/// but is not reviewed; 2, hired long before, is; the boundary day itself counts as within.
#[test]
fn an_inactive_users_review_leaves_out_the_newly_hired() {
    let text = policy(
        &MONTHLY
            .replace(
                "default_decision: no_change",
                "default_decision: deny\n    inactive_days: 30",
            )
            .replace("    start: 2026-01-05", "    start: 2026-01-05\n    occurrences: 1"),
        "",
    )
    .replace(
        "      boss: string\n",
        "      boss: string\n      hired: datetime\n",
    )
    .replace(
        "    manager:\n      source: hr.boss\n",
        "    manager:\n      source: hr.boss\n    hireDate:\n      type: datetime\n      source: hr.hired\n  lifecycle:\n    hire_date: hireDate\n",
    );
    let dir = std::env::temp_dir().join(format!("roster-reviews-{}-hired", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("policy.yaml"), text).unwrap();
    std::fs::write(
        dir.join("hr.csv"),
        "id,boss,hired\n1,,2020-01-01\n2,1,2020-01-01\n3,1,2025-12-20\n4,1,2025-12-06\n5,2,2020-01-01\n",
    )
    .unwrap();
    let s = load(&dir);
    let sign_ins = std::sync::Arc::new(roster::governance::signins::SignIns::from_pairs(
        "signins.json",
        [
            ("2", Some(d("2025-11-01"))),
            ("3", Some(d("2025-11-01"))),
            ("4", Some(d("2025-11-01"))),
        ],
    ));
    let state = s.eval_signed("2026-01-12", Some(sign_ins));
    assert_eq!(
        members_of(&s.loaded, &s.policy, &state, "vpn"),
        keys(&["3", "4"])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn staged(reviewee: &str, reviewer: &str, what: &str, stage: u32, date: &str) -> String {
    format!(
        "      - reviewee: \"{reviewee}\"\n        reviewer: \"{reviewer}\"\n        decision: {what}\n        stage: {stage}\n        date: {date}\n"
    )
}

/// Two stages: managers for 3 days (who approve or leave unreviewed go on), then user 5 for
/// 4 days; one instance from 5 January.
const STAGED: &str = r#"    scope:
      group: vpn
    reviewers: []
    stages:
      - reviewers: [manager]
        duration_days: 3
        advance: [approve, not_reviewed]
      - reviewers:
          - user: "5"
        duration_days: 4
    recurrence: monthly
    start: 2026-01-05
    occurrences: 1
    duration_days: 7
    default_decision: no_change
    auto_apply: true"#;

/// A multi-stage review: stage 1 (managers, 3 days) sends on the approved and the unreviewed;
/// stage 2 (user 5, 4 days) decides for them. 2, denied in stage 1, does not advance (a stage-2
/// decision about 2 is out of scope, `E161`) and goes; 3, approved then denied, goes; 4,
/// unreviewed then approved, stays; a stage-1 reviewer deciding in stage 2 is refused
/// (`E162`). Results on the end day (the day before, everyone).
#[test]
fn a_multi_stage_review_advances_by_outcome_and_the_last_stage_decides() {
    let review = STAGED;
    let decisions = format!(
        "    2026-01-05:\n{}{}{}{}{}",
        staged("2", "1", "deny", 1, "2026-01-06"),
        staged("3", "1", "approve", 1, "2026-01-06"),
        staged("3", "5", "deny", 2, "2026-01-09"),
        staged("4", "5", "approve", 2, "2026-01-09"),
        staged("2", "5", "approve", 2, "2026-01-10"),
    ) + &staged("4", "1", "deny", 2, "2026-01-11");
    let s = set("stages", &policy(review, &decisions));
    assert_eq!(s.members("vpn", "2026-01-11").0, keys(&["2", "3", "4"]));
    let (members, mut codes) = s.members("vpn", "2026-01-12");
    assert_eq!(members, keys(&["4"]));
    codes.sort();
    assert_eq!(codes, ["E161", "E162"]);
    let state = s.eval("2026-01-12");
    let out_of_scope = state
        .issues
        .iter()
        .find(|i| i.code.as_str() == "E161")
        .unwrap();
    assert!(
        out_of_scope
            .message
            .contains("`2` did not advance to stage 2"),
        "{}",
        out_of_scope.message
    );
    // `explain` says which stage decided: 3's denial in stage 2, 2's denial in stage 1.
    let note = |key: &str, day: &str| {
        let state = s.eval(day);
        let e = roster::eval::explain::explain_key(&s.loaded, &s.policy, &state, key).unwrap();
        let text = roster::eval::explain::human(&e, &roster::eval::explain::View::All);
        (e.reviews, text)
    };
    let (notes, text) = note("3", "2026-01-12");
    assert_eq!(
        notes
            .iter()
            .map(|n| (n.status.as_str(), n.stage))
            .collect::<Vec<_>>(),
        [("deny", Some(2))]
    );
    assert!(
        text.contains("`r` 2026-01-05 (ends 2026-01-12, stage 2): deny by `5` on 2026-01-09"),
        "{text}"
    );
    let (notes, _) = note("2", "2026-01-12");
    assert_eq!(notes[0].stage, Some(1));
    // Pending: the stage open on the as-of date (stage 1 on 5 to 7 January, stage 2 from the
    // 8th); 5 has no decision about them at all in this review's stage 1.
    let pending = set("stages-pending", &policy(review, ""));
    for (day, stage) in [("2026-01-07", 1), ("2026-01-08", 2), ("2026-01-11", 2)] {
        let state = pending.eval(day);
        let e = roster::eval::explain::explain_key(&pending.loaded, &pending.policy, &state, "3")
            .unwrap();
        assert_eq!(
            e.reviews
                .iter()
                .map(|n| (n.status.as_str(), n.stage))
                .collect::<Vec<_>>(),
            [("pending", Some(stage))],
            "{day}"
        );
    }
}

/// A multi-stage review reminds each stage's reviewers at the stage's midpoint (stage 1:
/// 5 to 7 January, on the 6th; stage 2: 8 to 11 January, on the 10th), not at the instance's
/// (the 8th); none with `reminders: false`.
#[test]
fn a_multi_stage_review_reminds_each_stage_at_its_midpoint() {
    let review = STAGED;
    let reminders = |s: &Set| {
        let state = s.eval("2026-01-05");
        let view = View::of(&s.loaded, &s.policy, &state);
        governance::collect(
            &view,
            Window {
                from: d("2026-01-01"),
                to: d("2026-01-31"),
            },
            Detail::Full,
        )
        .into_iter()
        .filter(|e| e.kind.word() == "review_reminder")
        .map(|e| (e.date.to_string(), e.summary))
        .collect::<Vec<_>>()
    };
    let s = set("stage-reminders", &policy(review, ""));
    assert_eq!(
        reminders(&s),
        [
            (
                "2026-01-06".to_string(),
                "access review `r`: stage 1 midpoint reminder to the stage's reviewers who have not decided".to_string()
            ),
            (
                "2026-01-10".to_string(),
                "access review `r`: stage 2 midpoint reminder to the stage's reviewers who have not decided".to_string()
            ),
        ]
    );
    let off = set(
        "stage-reminders-off",
        &policy(
            &review.replace(
                "    auto_apply: true",
                "    auto_apply: true\n    reminders: false",
            ),
            "",
        ),
    );
    assert!(reminders(&off).is_empty());
}

/// Lint checks the stages of decisions: a stage-2 decision dated in stage 1 (`C382`), a
/// missing stage, a stage the review does not have (`C386`).
#[test]
fn lint_checks_the_stage_of_each_decision() {
    let review = r#"    scope:
      group: vpn
    reviewers: []
    stages:
      - reviewers: [manager]
        duration_days: 3
      - reviewers: [manager]
        duration_days: 4
    recurrence: monthly
    start: 2026-01-05
    duration_days: 7
    default_decision: no_change
    auto_apply: true"#;
    let codes = |decisions: String| {
        let dir =
            std::env::temp_dir().join(format!("roster-reviews-{}-stage-lint", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("policy.yaml"), policy(review, &decisions)).unwrap();
        std::fs::write(dir.join("hr.csv"), HR).unwrap();
        let checked = roster::policy::check(&dir).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code.as_str().to_string())
            .collect::<Vec<_>>()
    };
    assert!(
        codes(format!(
            "    2026-01-05:\n{}",
            staged("2", "1", "deny", 2, "2026-01-08")
        ))
        .is_empty()
    );
    assert_eq!(
        codes(format!(
            "    2026-01-05:\n{}",
            staged("2", "1", "deny", 2, "2026-01-07")
        )),
        ["C382"]
    );
    assert_eq!(
        codes(format!(
            "    2026-01-05:\n{}",
            staged("2", "1", "deny", 3, "2026-01-08")
        )),
        ["C386"]
    );
    assert_eq!(
        codes(format!(
            "    2026-01-05:\n{}",
            decision("2", "1", "deny", "2026-01-08")
        )),
        ["C386"]
    );
}
