//! `roster calendar`: the events of a window, their agreement with `eval` day by day, the
//! window property, and every output format on the bundled example.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use proptest::prelude::*;
use roster::eval::{DesiredState, Lifecycle, Options};
use roster::governance::{self, Event, EventKind, View, Window};
use roster::policy::Policy;
use roster::policy::load::{LoadOptions, Loaded, load_with};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

struct Example {
    loaded: Loaded,
    policy: Policy,
}

fn example() -> Example {
    let loaded = load_with(&manifest().join("policies"), &LoadOptions::default()).unwrap();
    let mut diags = loaded.diagnostics.clone();
    let policy = roster::policy::compile::compile(&loaded, &mut diags);
    assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
    Example { loaded, policy }
}

impl Example {
    fn eval(&self, as_of: NaiveDate) -> DesiredState {
        roster::eval::evaluate(&self.loaded, &self.policy, Options::at(as_of))
    }
}

fn lifecycles(state: &DesiredState) -> Vec<(String, Lifecycle)> {
    state
        .identities
        .iter()
        .map(|i| (i.key.clone(), i.lifecycle))
        .collect()
}

/// The kind of event a change of lifecycle is, as documented in docs/calendar.md.
fn expected_kind(was: Lifecycle, now: Lifecycle) -> Option<EventKind> {
    match (was, now) {
        (_, Lifecycle::Unknown) | (Lifecycle::Unknown, _) => None,
        (_, Lifecycle::PreHire) => Some(EventKind::PreHire),
        (_, Lifecycle::Active) => Some(EventKind::Hire),
        (_, Lifecycle::Leaver) => Some(EventKind::Leave),
        (_, Lifecycle::Deleted) | (Lifecycle::Leaver, Lifecycle::NotYetHired) => {
            Some(EventKind::RetentionEnd)
        }
        _ => None,
    }
}

/// Every lifecycle transition the calendar schedules is a day on which `eval` gives the
/// identity another lifecycle than the day before, and every such day is scheduled: the
/// calendar and `eval` agree day by day over four months of the example (hires, pre-hire
/// windows, leaves and ends of retention among them).
#[test]
fn transitions_agree_with_eval_day_by_day() {
    let ex = example();
    let window = Window {
        from: d("2026-10-01"),
        to: d("2027-01-31"),
    };
    let state = ex.eval(window.from);
    let view = View::of(&ex.loaded, &ex.policy, &state);
    let scheduled: BTreeSet<(NaiveDate, String, EventKind)> = governance::events(&view, window)
        .into_iter()
        .filter(|e| e.source == "lifecycle")
        .map(|e| (e.date, e.subject.id().to_string(), e.kind))
        .collect();
    let mut expected = BTreeSet::new();
    let mut before = lifecycles(&ex.eval(window.from.pred_opt().unwrap()));
    for day in window.days() {
        let now = lifecycles(&ex.eval(day));
        assert_eq!(before.len(), now.len());
        for ((key, was), (_, is)) in before.iter().zip(&now) {
            if was != is
                && let Some(kind) = expected_kind(*was, *is)
            {
                expected.insert((day, key.clone(), kind));
            }
        }
        before = now;
    }
    assert!(
        expected.len() >= 8,
        "the window should hold several transitions: {expected:?}"
    );
    let kinds: BTreeSet<EventKind> = expected.iter().map(|e| e.2).collect();
    for k in [
        EventKind::PreHire,
        EventKind::Hire,
        EventKind::Leave,
        EventKind::RetentionEnd,
    ] {
        assert!(kinds.contains(&k), "no {k:?} in the window: {expected:?}");
    }
    assert_eq!(scheduled, expected);
}

/// The transitions of one identity on the days around each of its dates: nothing the day
/// before, the event on the day, nothing the day after.
#[test]
fn a_transition_is_on_its_day_only() {
    let ex = example();
    let state = ex.eval(d("2026-10-01"));
    let view = View::of(&ex.loaded, &ex.policy, &state);
    let all = governance::events(
        &view,
        Window {
            from: d("2026-10-01"),
            to: d("2027-01-31"),
        },
    );
    assert!(!all.is_empty());
    for e in all.iter().filter(|e| e.source == "lifecycle") {
        let on: Vec<Event> = governance::events(&view, Window::day(e.date))
            .into_iter()
            .filter(|x| x.subject == e.subject && x.kind == e.kind)
            .collect();
        assert_eq!(on.len(), 1, "{e:?}");
        for other in [e.date.pred_opt().unwrap(), e.date.succ_opt().unwrap()] {
            assert!(
                !governance::events(&view, Window::day(other))
                    .iter()
                    .any(|x| x.subject == e.subject && x.kind == e.kind),
                "{e:?} also on {other}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The events of a window are exactly the union of the events of its days, in order.
    #[test]
    fn a_window_is_the_union_of_its_days(start in 0u64..240, len in 0u64..90) {
        thread_local! {
            static EX: (Example, DesiredState) = {
                let ex = example();
                let state = ex.eval(d("2026-11-25"));
                (ex, state)
            };
        }
        EX.with(|(ex, state)| {
            let view = View::of(&ex.loaded, &ex.policy, state);
            let from = d("2026-08-01") + chrono::Days::new(start);
            let window = Window { from, to: from + chrono::Days::new(len) };
            let whole = governance::events(&view, window);
            let mut days: Vec<Event> = window
                .days()
                .flat_map(|day| governance::events(&view, Window::day(day)))
                .collect();
            governance::sort(&mut days);
            prop_assert_eq!(whole, days);
            Ok(())
        })?;
    }
}

fn run(args: &[&str]) -> common::Run {
    common::roster_in(&manifest(), args)
}

const WINDOW: [&str; 5] = ["calendar", "policies", "--from", "2026-11-01", "--to"];

fn calendar(format: &str) -> common::Run {
    let mut args: Vec<&str> = WINDOW.to_vec();
    args.extend(["2026-12-31", "--as-of", "2026-11-25", "--format", format]);
    run(&args)
}

#[test]
fn human_calendar_of_the_example() {
    let r = calendar("human");
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("calendar_human", r.stdout);
}

#[test]
fn markdown_calendar_of_the_example() {
    let r = calendar("markdown");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.chars().count() < 60_000);
    insta::assert_snapshot!("calendar_markdown", common::without_revision(&r.stdout));
}

#[test]
fn ics_calendar_of_the_example() {
    let r = calendar("ics");
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Content lines end with CRLF and are at most 75 octets.
    assert!(r.stdout.ends_with("END:VCALENDAR\r\n"));
    for line in r.stdout.split("\r\n") {
        assert!(line.len() <= 75, "{line}");
        assert!(!line.contains('\n'), "bare line feed in {line:?}");
    }
    insta::assert_snapshot!("calendar_ics", r.stdout.replace("\r\n", "⏎\n"));
}

#[test]
fn json_calendar_has_every_event_and_its_counts() {
    let r = calendar("json");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["from"], "2026-11-01");
    assert_eq!(v["to"], "2026-12-31");
    assert_eq!(v["as_of"], "2026-11-25");
    let events = v["events"].as_array().unwrap();
    assert_eq!(
        v["summary"]["events"].as_u64().unwrap() as usize,
        events.len()
    );
    let mut dates: Vec<&str> = events.iter().map(|e| e["date"].as_str().unwrap()).collect();
    assert!(
        dates
            .iter()
            .all(|x| ("2026-11-01"..="2026-12-31").contains(x))
    );
    let sorted = {
        let mut s = dates.clone();
        s.sort_unstable();
        s
    };
    assert_eq!(dates, sorted);
    dates.dedup();
    assert_eq!(v["summary"]["days"].as_u64().unwrap() as usize, dates.len());
    // Byte-identical on a second run.
    assert_eq!(calendar("json").stdout, r.stdout);
}

#[test]
fn identity_filter_keeps_only_that_persons_events() {
    let all = calendar("json");
    let v: serde_json::Value = serde_json::from_str(&all.stdout).unwrap();
    let first = v["events"][0]["subject"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut args: Vec<&str> = WINDOW.to_vec();
    args.extend([
        "2026-12-31",
        "--as-of",
        "2026-11-25",
        "--format",
        "json",
        "--identity",
        &first,
    ]);
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let one: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let events = one["events"].as_array().unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["subject"]["id"] == first.as_str()));
    assert!(events.len() < v["events"].as_array().unwrap().len());
}

#[test]
fn bad_windows_cannot_run() {
    for (from, to, says) in [
        ("2026-12-31", "2026-11-01", "before --from"),
        ("2026-01-01", "2036-12-31", "longer than ten years"),
        ("2026-02-30", "2026-03-01", "does not exist"),
        ("tomorrow", "2026-03-01", "is not a date"),
    ] {
        let r = run(&["calendar", "policies", "--from", from, "--to", to]);
        assert_eq!(r.code, 2, "{from} {to}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{from} {to}: {}", r.stderr);
        assert!(r.stdout.is_empty());
    }
}

#[test]
fn out_writes_the_file() {
    let dir = std::env::temp_dir().join(format!("roster-calendar-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("governance.ics");
    let mut args: Vec<&str> = WINDOW.to_vec();
    let path = file.display().to_string();
    args.extend(["2026-12-31", "--format", "ics", "--out", &path]);
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
    let _ = std::fs::remove_dir_all(Path::new(&dir));
}

/// Attribute-change workflows compare with a previous state: with `--previous`, a department
/// changed since runs the mover workflow on the as-of date; without it, nothing runs.
#[test]
fn previous_state_runs_change_triggers_in_the_calendar() {
    let dir = std::env::temp_dir().join(format!("roster-calendar-prev-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let r = run(&[
        "eval",
        "policies",
        "--as-of",
        "2026-11-24",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut state: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let ids = state["identities"].as_array_mut().unwrap();
    let who = ids
        .iter_mut()
        .find(|i| i["lifecycle"] == "active" && i["attributes"]["manager"].is_string())
        .unwrap();
    let key = who["key"].as_str().unwrap().to_string();
    who["attributes"]["department"] = serde_json::json!("Somewhere else");
    let previous = dir.join("previous.json");
    std::fs::write(&previous, serde_json::to_string(&state).unwrap()).unwrap();
    let calendar = |extra: &[&str]| {
        let mut args = vec![
            "calendar",
            "policies",
            "--from",
            "2026-11-25",
            "--to",
            "2026-11-30",
            "--as-of",
            "2026-11-25",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let r = run(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["source"] == "workflow:mover-department")
            .map(|e| {
                (
                    e["date"].as_str().unwrap().to_string(),
                    e["subject"]["id"].as_str().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let path = previous.display().to_string();
    assert_eq!(
        calendar(&["--previous", &path]),
        vec![("2026-11-25".to_string(), key)]
    );
    assert!(calendar(&[]).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
