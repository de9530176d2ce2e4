//! JSON (an array of objects) and JSON Lines (one object per line, blank lines skipped).
//! Members are matched to declared fields by exact name.

use std::collections::BTreeSet;

use serde_json::{Map, Value as Json};

use super::build::Builder;
use super::strict::{self, Repeat, Seg};
use super::{DataIssue, Want, quote, report_missing};
use crate::codes::Code;
use crate::diagnostics::Severity;

fn text<'a>(bytes: &'a [u8], want: &Want<'_>, issues: &mut Vec<DataIssue>) -> Option<&'a str> {
    match std::str::from_utf8(bytes) {
        Ok(t) => Some(t.strip_prefix('\u{feff}').unwrap_or(t)),
        Err(e) => {
            let line = bytes
                .get(..e.valid_up_to())
                .map_or(1, |b| b.iter().filter(|c| **c == b'\n').count() + 1);
            issues.push(
                DataIssue::new(
                    Code::DataUnreadable,
                    want.file,
                    "the file is not UTF-8 text",
                )
                .at(line),
            );
            None
        }
    }
}

/// The message of a JSON syntax error without serde's "at line … column …" suffix.
pub(crate) fn syntax_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = text
        .rfind(" at line ")
        .and_then(|i| text.get(..i))
        .unwrap_or(&text);
    format!("the file is not valid JSON: {text}")
}

/// Collects records from objects, tracking which names some record has.
struct Collector<'w, 'a, 'b> {
    want: &'w Want<'a>,
    builder: &'w mut Builder<'b>,
    seen: Vec<bool>,
    keys: BTreeSet<String>,
}

impl<'w, 'a, 'b> Collector<'w, 'a, 'b> {
    fn new(want: &'w Want<'a>, builder: &'w mut Builder<'b>) -> Self {
        Collector {
            want,
            builder,
            seen: vec![false; want.names.len()],
            keys: BTreeSet::new(),
        }
    }

    /// Adds the record at `row`; `repeats` are its repeated members (paths from the record),
    /// which are reported, and leave the fields they feed empty.
    fn add(
        &mut self,
        row: usize,
        object: &Map<String, Json>,
        repeats: &[&Repeat],
        skip: usize,
        issues: &mut Vec<DataIssue>,
    ) {
        for (name, seen) in self.want.names.iter().zip(self.seen.iter_mut()) {
            if !*seen && object.contains_key(*name) {
                *seen = true;
            }
        }
        if self.keys.len() < 1000 {
            self.keys.extend(object.keys().cloned());
        }
        let names = &self.want.names;
        let mut blank = Vec::new();
        for r in repeats {
            let keys = r.keys();
            let fed = keys.first().and_then(|k| names.iter().position(|n| n == k));
            issues.push(repeat_issue(self.want, row, r, skip, fed));
            blank.extend(fed);
        }
        self.builder.push(row, |i| {
            if blank.contains(&i) {
                return None;
            }
            names.get(i).and_then(|name| object.get(*name))
        });
    }

    fn finish(self, issues: &mut Vec<DataIssue>) -> Option<()> {
        if self.builder.offered() > 0
            && !report_missing(
                self.want,
                &self.seen,
                self.keys.iter().map(String::as_str),
                "records of the file",
                Severity::Warning,
                issues,
            )
        {
            return None;
        }
        Some(())
    }
}

/// A `D110` for a member repeated in the record at `row` (the repeat's path from the record
/// starts after `skip` segments); `fed` is the wanted name it feeds, if any.
pub(crate) fn repeat_issue(
    want: &Want<'_>,
    row: usize,
    r: &Repeat,
    skip: usize,
    fed: Option<usize>,
) -> DataIssue {
    let member = r.dotted(skip);
    let times = if r.cased {
        format!("{} times (in different cases)", r.times)
    } else {
        format!("{} times", r.times)
    };
    match fed.and_then(|i| Some((i, *want.names.get(i)?))) {
        Some((i, name)) => {
            let consequence = if i == want.key {
                "the record's key is unknown, so the record is skipped".to_string()
            } else {
                format!("`{name}` is left empty")
            };
            DataIssue::new(
                Code::DataRepeatedMember,
                want.file,
                format!(
                    "the member {} appears {times} in the record: {consequence}",
                    quote(&member)
                ),
            )
            .at(row)
            .field(name)
            .help("which of the values is meant is unknown; write each member once")
        }
        None => DataIssue::new(
            Code::DataRepeatedMember,
            want.file,
            format!(
                "the member {} appears {times} in the record; no declared field reads it",
                quote(&member)
            ),
        )
        .at(row)
        .severity(Severity::Warning)
        .help("write each member once"),
    }
}

fn kind(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

pub(crate) fn read_array(
    bytes: &[u8],
    want: &Want<'_>,
    builder: &mut Builder<'_>,
    issues: &mut Vec<DataIssue>,
) -> Option<()> {
    let text = text(bytes, want, issues)?;
    let (json, repeats) = match strict::parse(text) {
        Ok(j) => j,
        Err(e) => {
            issues.push(
                DataIssue::new(Code::DataUnreadable, want.file, syntax_message(&e)).at(e.line()),
            );
            return None;
        }
    };
    let Json::Array(items) = json else {
        issues.push(
            DataIssue::new(
                Code::DataUnreadable,
                want.file,
                format!("the file holds {}, not an array of records", kind(&json)),
            )
            .help("a `json` source is an array of objects: `[{\"id\": \"1\"}, …]`"),
        );
        return None;
    };
    // The repeated members of each record (by array index).
    let mut by_record: std::collections::HashMap<usize, Vec<&Repeat>> =
        std::collections::HashMap::new();
    for r in &repeats {
        if let Some(Seg::Index(i)) = r.path.first() {
            by_record.entry(*i).or_default().push(r);
        }
    }
    let mut collector = Collector::new(want, builder);
    for (i, item) in items.into_iter().enumerate() {
        let row = i.saturating_add(1);
        let repeated = by_record.get(&i).map_or(&[][..], Vec::as_slice);
        match item {
            Json::Object(o) => collector.add(row, &o, repeated, 1, issues),
            other => issues.push(
                DataIssue::new(
                    Code::DataUnreadable,
                    want.file,
                    format!(
                        "the record is {}, not an object; it is skipped",
                        kind(&other)
                    ),
                )
                .at(row),
            ),
        }
    }
    collector.finish(issues)
}

pub(crate) fn read_lines(
    bytes: &[u8],
    want: &Want<'_>,
    builder: &mut Builder<'_>,
    issues: &mut Vec<DataIssue>,
) -> Option<()> {
    let text = text(bytes, want, issues)?;
    let mut collector = Collector::new(want, builder);
    for (i, line) in text.lines().enumerate() {
        let row = i.saturating_add(1);
        if line.trim().is_empty() {
            continue;
        }
        match strict::parse(line) {
            Ok((Json::Object(o), repeats)) => {
                let repeated: Vec<&Repeat> = repeats.iter().collect();
                collector.add(row, &o, &repeated, 0, issues);
            }
            Ok((other, _)) => issues.push(
                DataIssue::new(
                    Code::DataUnreadable,
                    want.file,
                    format!(
                        "the line holds {}, not an object; it is skipped",
                        kind(&other)
                    ),
                )
                .at(row),
            ),
            Err(e) => issues.push(
                DataIssue::new(
                    Code::DataUnreadable,
                    want.file,
                    format!(
                        "{}; the line is skipped",
                        syntax_message(&e).replace("the file is", "the line is")
                    ),
                )
                .at(row)
                .help("each line of a `jsonl` source is one JSON object"),
            ),
        }
    }
    collector.finish(issues)
}
