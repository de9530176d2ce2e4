//! The governance calendar: every scheduled event in a window, in the forms people read it —
//! a terminal or CI log (human), a pipeline (JSON, `schemas/calendar.schema.json`), a
//! pull-request comment (Markdown, under 60,000 characters), and the calendar application
//! owners already use (iCalendar, RFC 5545).
//!
//! The human and Markdown forms are bounded whatever the population: each day lists its
//! events grouped by what happens (kind and source), with the first few people of each group
//! and a count of the rest. The iCalendar form has one all-day event per group, so that a
//! thousand new hires on one day are one entry, not a thousand. JSON has every event.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use schemars::JsonSchema;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Event, EventKind, Subject, Window};
use crate::escape::{clip, terminal};
use crate::markdown::{self, Align, Doc, Table, group_digits};

/// The version of the JSON document's shape.
pub const FORMAT_VERSION: u32 = 1;

/// The people listed per group in the human and Markdown forms (and in an iCalendar
/// description, which lists more).
const NAMES_SHOWN: usize = 5;

/// The most subjects an iCalendar description lists.
const ICS_NAMES: usize = 50;

/// The most lines the human form prints before it stops and points to JSON.
const HUMAN_LINES: usize = 2_000;

/// The calendar of a window.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Calendar {
    /// The version of this document's shape.
    pub format_version: u32,
    /// The first day (`YYYY-MM-DD`).
    #[schemars(with = "String")]
    pub from: NaiveDate,
    /// The last day, included.
    #[schemars(with = "String")]
    pub to: NaiveDate,
    /// The date the population was evaluated for: who is in each workflow's scope, and the
    /// attributes e-mails are written from.
    #[schemars(with = "String")]
    pub as_of: NaiveDate,
    /// Counts.
    pub summary: Summary,
    /// Every event, by day, then kind, source and subject.
    pub events: Vec<Event>,
    /// The display names of the identities in the events, by key (for the human forms).
    #[serde(skip)]
    #[schemars(skip)]
    pub names: BTreeMap<String, String>,
}

/// Counts of a calendar.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Summary {
    /// Events in all.
    pub events: usize,
    /// Events per kind.
    pub kinds: BTreeMap<String, usize>,
    /// Days with at least one event.
    pub days: usize,
    /// Distinct people (identities and guests) with at least one event.
    pub people: usize,
}

impl Calendar {
    /// The calendar of `events` (sorted) in `window`, for a population evaluated `as_of`.
    pub fn new(window: Window, as_of: NaiveDate, events: Vec<Event>) -> Calendar {
        let mut summary = Summary {
            events: events.len(),
            ..Summary::default()
        };
        let mut people = std::collections::HashSet::new();
        let mut last_day = None;
        for e in &events {
            *summary.kinds.entry(e.kind.word().to_string()).or_default() += 1;
            if last_day != Some(e.date) {
                summary.days += 1;
                last_day = Some(e.date);
            }
            if !matches!(e.subject, Subject::Object(_)) {
                people.insert(&e.subject);
            }
        }
        summary.people = people.len();
        Calendar {
            format_version: FORMAT_VERSION,
            from: window.from,
            to: window.to,
            as_of,
            summary,
            events,
            names: BTreeMap::new(),
        }
    }

    /// The subject, with the display name when there is one: `1001 (Margaret Ellison)`.
    fn who(&self, subject: &Subject) -> String {
        match self.names.get(subject.id()) {
            Some(name) if matches!(subject, Subject::Identity(_)) && !name.is_empty() => {
                format!("{} ({})", subject.id(), clip(name, 48))
            }
            _ => subject.id().to_string(),
        }
    }

    /// The events grouped by day, then by what happens (kind, source and summary), in report
    /// order: each group in the place of its first event.
    fn groups(&self) -> Vec<Group<'_>> {
        let mut out: Vec<Group<'_>> = Vec::new();
        let mut index: std::collections::HashMap<(NaiveDate, EventKind, &str, &str), usize> =
            std::collections::HashMap::new();
        for e in &self.events {
            let key = (e.date, e.kind, e.source.as_str(), e.summary.as_str());
            match index.get(&key) {
                Some(&g) => {
                    if let Some(group) = out.get_mut(g) {
                        group.events.push(e);
                    }
                }
                None => {
                    index.insert(key, out.len());
                    out.push(Group {
                        date: e.date,
                        kind: e.kind,
                        source: &e.source,
                        summary: &e.summary,
                        events: vec![e],
                    });
                }
            }
        }
        out
    }
}

/// The events of one day that are the same thing happening (one kind, one source, one
/// summary).
struct Group<'a> {
    date: NaiveDate,
    kind: EventKind,
    source: &'a str,
    summary: &'a str,
    events: Vec<&'a Event>,
}

impl Group<'_> {
    /// What happens, in words.
    fn what(&self) -> String {
        self.summary.to_string()
    }

    /// Whether the group is about an object (a review instance), not people.
    fn of_objects(&self) -> bool {
        self.events
            .iter()
            .all(|e| matches!(e.subject, Subject::Object(_)))
    }

    /// The subjects as `cal` names them, the first `max` of them, and how many are left.
    fn subjects(&self, cal: &Calendar, max: usize) -> (Vec<String>, usize) {
        let shown: Vec<String> = self
            .events
            .iter()
            .take(max)
            .map(|e| cal.who(&e.subject))
            .collect();
        (shown, self.events.len().saturating_sub(max))
    }
}

/// `n thing` or `n things`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", group_digits(n), if n == 1 { one } else { many })
}

// ------------------------------------------------------------------------------------------
// Human
// ------------------------------------------------------------------------------------------

/// The calendar for a terminal or a CI log: one block per day, a line per group of events.
pub fn human(cal: &Calendar) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Calendar {} to {} (population as of {}): {}, {}, {}.",
        cal.from,
        cal.to,
        cal.as_of,
        count(cal.summary.events, "event", "events"),
        count(cal.summary.days, "day", "days"),
        count(cal.summary.people, "person", "people"),
    );
    if cal.events.is_empty() {
        out.push_str("Nothing is scheduled in this window.\n");
        return out;
    }
    let groups = cal.groups();
    let mut lines = 0;
    let mut day = None;
    for (n, g) in groups.iter().enumerate() {
        if lines >= HUMAN_LINES {
            let rest: usize = groups.iter().skip(n).map(|g| g.events.len()).sum();
            let _ = writeln!(
                out,
                "\n… and {} more (use --format json for all of them).",
                count(rest, "event", "events")
            );
            break;
        }
        if day != Some(g.date) {
            let _ = writeln!(out, "\n{} {}", g.date, g.date.weekday());
            day = Some(g.date);
            lines += 1;
        }
        let (shown, more) = g.subjects(cal, NAMES_SHOWN);
        let who = if g.of_objects() {
            String::new()
        } else {
            let mut who = format!(
                ": {}",
                shown
                    .iter()
                    .map(|s| terminal(&clip(s, 64)).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if more > 0 {
                let _ = write!(who, " and {} more", group_digits(more));
            }
            who
        };
        let _ = writeln!(
            out,
            "  {:<20} {} ({}){who}",
            g.kind.word(),
            terminal(&clip(&g.what(), 160)),
            terminal(&clip(g.source, 64)),
        );
        lines += 1;
        // A single run's tasks, when the group is one person: what will happen to them.
        if let [only] = g.events.as_slice() {
            for t in &only.tasks {
                let problem = t
                    .problem
                    .as_deref()
                    .map(|p| format!(" (will fail: {})", terminal(&clip(p, 100))))
                    .unwrap_or_default();
                let _ = writeln!(out, "      - {}{problem}", terminal(&clip(&t.summary, 120)));
                lines += 1;
            }
        }
    }
    out
}

// ------------------------------------------------------------------------------------------
// JSON
// ------------------------------------------------------------------------------------------

/// The calendar as one JSON document (`schemas/calendar.schema.json`).
pub fn json(cal: &Calendar) -> String {
    crate::escape::json_pretty(cal)
}

// ------------------------------------------------------------------------------------------
// Markdown
// ------------------------------------------------------------------------------------------

/// The calendar as a pull-request comment, under 60,000 characters: the counts per kind, then
/// one table row per day and group of events.
pub fn markdown(cal: &Calendar, header: &str) -> String {
    let mut doc = Doc::new();
    doc.block(header);
    doc.block(&format!(
        "\n**{}** from {} to {}, on {}, for {} (population as of {}).\n",
        count(cal.summary.events, "event", "events"),
        cal.from,
        cal.to,
        count(cal.summary.days, "day", "days"),
        count(cal.summary.people, "person", "people"),
        cal.as_of
    ));
    if cal.events.is_empty() {
        doc.block("\nNothing is scheduled in this window.\n");
        return doc.finish();
    }
    let kinds: Vec<Vec<String>> = cal
        .summary
        .kinds
        .iter()
        .map(|(k, n)| vec![markdown::cell_code(k), group_digits(*n)])
        .collect();
    doc.table(
        &Table {
            columns: &[("Kind", Align::Left), ("Events", Align::Right)],
            total: kinds.len(),
            rows: kinds,
            max_rows: 50,
            what: "kinds",
            rest: "",
        },
        5_000,
    );
    let groups = cal.groups();
    let rows: Vec<Vec<String>> = groups
        .iter()
        .take(2_000)
        .map(|g| {
            let (shown, more) = g.subjects(cal, NAMES_SHOWN);
            let shown = if g.of_objects() { Vec::new() } else { shown };
            let mut who = shown
                .iter()
                .map(|s| markdown::cell_text(s))
                .collect::<Vec<_>>()
                .join(", ");
            if more > 0 {
                let _ = write!(who, " and {} more", group_digits(more));
            }
            vec![
                g.date.to_string(),
                markdown::cell_code(g.kind.word()),
                markdown::cell_code(g.source),
                crate::escape::markdown_message(&g.what()),
                if g.of_objects() {
                    String::new()
                } else {
                    group_digits(g.events.len())
                },
                who,
            ]
        })
        .collect();
    doc.table(
        &Table {
            columns: &[
                ("Day", Align::Left),
                ("Kind", Align::Left),
                ("From", Align::Left),
                ("What", Align::Left),
                ("People", Align::Right),
                ("Who", Align::Left),
            ],
            rows,
            total: groups.len(),
            max_rows: 2_000,
            what: "groups of events",
            rest: "in the JSON calendar",
        },
        usize::MAX,
    );
    doc.finish()
}

// ------------------------------------------------------------------------------------------
// iCalendar
// ------------------------------------------------------------------------------------------

/// The calendar as iCalendar (RFC 5545): one all-day `VEVENT` per day and group of events,
/// with a stable `UID` (the same event keeps its identity from one export to the next, so a
/// subscribed calendar updates instead of duplicating), `DTSTAMP` at the as-of date (the
/// output is a function of the inputs), CRLF line ends, lines folded at 75 octets.
pub fn ics(cal: &Calendar) -> String {
    let mut out = String::new();
    let stamp = format!("{}T000000Z", cal.as_of.format("%Y%m%d"));
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Roster//Roster governance calendar//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Roster governance calendar",
    ] {
        content_line(&mut out, line);
    }
    for g in cal.groups() {
        let (shown, more) = g.subjects(cal, ICS_NAMES);
        let n = g.events.len();
        let summary = match g.events.as_slice() {
            [only] => format!("{} — {}: {}", g.source, g.what(), cal.who(&only.subject)),
            _ => format!(
                "{} — {}: {}",
                g.source,
                g.what(),
                count(n, "person", "people")
            ),
        };
        let mut description = format!("{} ({})\n", g.what(), g.kind.word());
        for s in shown.iter().filter(|_| !g.of_objects()) {
            let _ = writeln!(description, "- {s}");
        }
        if more > 0 {
            let _ = writeln!(description, "… and {} more", group_digits(more));
        }
        if let [only] = g.events.as_slice() {
            for t in &only.tasks {
                let _ = writeln!(description, "task: {}", t.summary);
                if let Some(p) = &t.problem {
                    let _ = writeln!(description, "  will fail: {p}");
                }
            }
        }
        let uid = {
            let mut h = Sha256::new();
            h.update(g.date.to_string().as_bytes());
            h.update([0]);
            h.update(g.kind.word().as_bytes());
            h.update([0]);
            h.update(g.source.as_bytes());
            h.update([0]);
            h.update(g.summary.as_bytes());
            let digest = h.finalize();
            let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
            format!("{hex}@roster")
        };
        let next = g.date.succ_opt().unwrap_or(g.date);
        content_line(&mut out, "BEGIN:VEVENT");
        content_line(&mut out, &format!("UID:{uid}"));
        content_line(&mut out, &format!("DTSTAMP:{stamp}"));
        content_line(
            &mut out,
            &format!("DTSTART;VALUE=DATE:{}", g.date.format("%Y%m%d")),
        );
        content_line(
            &mut out,
            &format!("DTEND;VALUE=DATE:{}", next.format("%Y%m%d")),
        );
        content_line(&mut out, &format!("SUMMARY:{}", ics_text(&summary)));
        content_line(&mut out, &format!("DESCRIPTION:{}", ics_text(&description)));
        content_line(&mut out, &format!("CATEGORIES:{}", ics_text(g.kind.word())));
        content_line(&mut out, "TRANSP:TRANSPARENT");
        content_line(&mut out, "END:VEVENT");
    }
    content_line(&mut out, "END:VCALENDAR");
    out
}

/// Escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks;
/// other control characters are dropped (they are not allowed in a content line).
pub fn ics_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes one content line, folded so that no line is longer than 75 octets (RFC 5545
/// §3.1): a fold never splits a UTF-8 character, and continuation lines start with a space.
pub fn content_line(out: &mut String, line: &str) {
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn event(date: &str, kind: EventKind, source: &str, who: &str) -> Event {
        Event {
            date: d(date),
            kind,
            subject: Subject::Identity(who.into()),
            source: source.into(),
            summary: format!("{} happens", kind.word()),
            effects: Vec::new(),
            tasks: Vec::new(),
            declared_at: None,
        }
    }

    fn unfold(ics: &str) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        for raw in ics.split("\r\n") {
            if let Some(rest) = raw.strip_prefix(' ') {
                lines.last_mut().unwrap().push_str(rest);
            } else if !raw.is_empty() {
                lines.push(raw.to_string());
            }
        }
        lines
    }

    #[test]
    fn content_lines_fold_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let text = format!("DESCRIPTION:{}", "é".repeat(100));
        content_line(&mut out, &text);
        for line in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        assert_eq!(unfold(&out), vec![text]);
    }

    #[test]
    fn text_values_escape_separators_and_drop_controls() {
        assert_eq!(
            ics_text("a,b;c\\d\ne\r\u{7}f"),
            "a\\,b\\;c\\\\d\\ne".to_string() + "f"
        );
    }

    #[test]
    fn one_vevent_per_day_and_group_with_a_stable_uid() {
        let events = vec![
            event("2027-01-04", EventKind::Hire, "lifecycle", "1001"),
            event("2027-01-04", EventKind::Hire, "lifecycle", "1002"),
            event(
                "2027-01-04",
                EventKind::WorkflowRun,
                "workflow:joiner-day0",
                "1001",
            ),
            event("2027-01-05", EventKind::Hire, "lifecycle", "1003"),
        ];
        let window = Window {
            from: d("2027-01-01"),
            to: d("2027-01-31"),
        };
        let cal = Calendar::new(window, d("2027-01-01"), events.clone());
        let text = ics(&cal);
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(
            !text.replace("\r\n", "").contains('\n'),
            "bare LF in {text}"
        );
        let lines = unfold(&text);
        assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(), 3);
        assert!(lines.contains(&"DTSTART;VALUE=DATE:20270104".to_string()));
        assert!(lines.contains(&"DTEND;VALUE=DATE:20270105".to_string()));
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("SUMMARY:lifecycle — hire happens: 2 people"))
        );
        // The same group in another export (another window, more events) keeps its UID.
        let uids = |t: &str| -> Vec<String> {
            unfold(t)
                .into_iter()
                .filter(|l| l.starts_with("UID:"))
                .collect()
        };
        let narrower = Calendar::new(
            Window::day(d("2027-01-05")),
            d("2027-01-01"),
            events[3..].to_vec(),
        );
        assert_eq!(uids(&ics(&narrower))[0], uids(&text)[2]);
        let all = uids(&text);
        let mut distinct = all.clone();
        distinct.dedup();
        assert_eq!(all, distinct);
    }

    #[test]
    fn human_and_markdown_stay_bounded_for_a_crowd() {
        let events: Vec<Event> = (0..200_000)
            .map(|i| {
                let day = d("2027-01-01") + chrono::Days::new(i % 365);
                event(
                    &day.to_string(),
                    EventKind::Hire,
                    "lifecycle",
                    &format!("{i:07}"),
                )
            })
            .collect();
        let mut events = events;
        super::super::sort(&mut events);
        let window = Window {
            from: d("2027-01-01"),
            to: d("2027-12-31"),
        };
        let cal = Calendar::new(window, d("2027-01-01"), events);
        let md = markdown(&cal, "## Roster calendar\n");
        assert!(
            md.chars().count() < 60_000,
            "{} characters",
            md.chars().count()
        );
        assert!(md.contains("200,000 events"));
        let human = human(&cal);
        assert!(human.lines().count() < HUMAN_LINES + 10);
        assert!(human.contains("and 543 more"), "{}", &human[..300]);
    }
}
