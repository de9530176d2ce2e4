//! JSON (an array of objects) and JSON Lines (one object per line, blank lines skipped).
//! Members are matched to declared fields by exact name.

use std::collections::BTreeSet;

use serde_json::{Map, Value as Json};

use super::build::Builder;
use super::{DataIssue, Want, report_missing};
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

    fn add(&mut self, row: usize, object: &Map<String, Json>) {
        for (name, seen) in self.want.names.iter().zip(self.seen.iter_mut()) {
            if !*seen && object.contains_key(*name) {
                *seen = true;
            }
        }
        if self.keys.len() < 1000 {
            self.keys.extend(object.keys().cloned());
        }
        let names = &self.want.names;
        self.builder
            .push(row, |i| names.get(i).and_then(|name| object.get(*name)));
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
    let json: Json = match serde_json::from_str(text) {
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
    let mut collector = Collector::new(want, builder);
    for (i, item) in items.into_iter().enumerate() {
        let row = i.saturating_add(1);
        match item {
            Json::Object(o) => collector.add(row, &o),
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
        match serde_json::from_str::<Json>(line) {
            Ok(Json::Object(o)) => collector.add(row, &o),
            Ok(other) => issues.push(
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
