//! CSV (RFC 4180): a header row, then records. Fields are quoted (`"…"`, quotes inside doubled,
//! line breaks allowed) or not; lines end in LF, CRLF or CR; a UTF-8 byte-order mark is
//! skipped; blank lines are skipped. Leniently, as spreadsheet programs do, a quote inside an
//! unquoted field, or text after a closing quote, is kept as written; an unterminated quote is
//! a `D101`.

use super::{Cell, DataIssue, Raw, RawRecord, Want, report_missing};
use crate::codes::Code;
use crate::diagnostics::Severity;

/// One record as split: the line it starts on and its cells.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Line {
    pub line: usize,
    pub cells: Vec<String>,
}

/// Splits CSV text into records; `Err` is the line of an unterminated quote and the records
/// before it.
pub(crate) fn split(text: &str, delimiter: char) -> Result<Vec<Line>, (usize, Vec<Line>)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1usize;
    let mut start_line = 1usize;
    let mut cells: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut at_cell_start = true;
    let mut any = false; // whether the current record has any content
    loop {
        let Some(c) = chars.next() else {
            if any || !cells.is_empty() {
                cells.push(std::mem::take(&mut cell));
                out.push(Line {
                    line: start_line,
                    cells: std::mem::take(&mut cells),
                });
            }
            return Ok(out);
        };
        if at_cell_start && c == '"' {
            any = true;
            at_cell_start = false;
            let quote_line = line;
            loop {
                match chars.next() {
                    None => return Err((quote_line, out)),
                    Some('"') => {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            cell.push('"');
                        } else {
                            break;
                        }
                    }
                    Some(ch) => {
                        if ch == '\n' || (ch == '\r' && chars.peek() != Some(&'\n')) {
                            line = line.saturating_add(1);
                        }
                        cell.push(ch);
                    }
                }
            }
            continue;
        }
        if c == delimiter {
            any = true;
            cells.push(std::mem::take(&mut cell));
            at_cell_start = true;
            continue;
        }
        if c == '\n' || c == '\r' {
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            if any {
                cells.push(std::mem::take(&mut cell));
                out.push(Line {
                    line: start_line,
                    cells: std::mem::take(&mut cells),
                });
            }
            line = line.saturating_add(1);
            start_line = line;
            any = false;
            at_cell_start = true;
            continue;
        }
        any = true;
        at_cell_start = false;
        cell.push(c);
    }
}

pub(crate) fn read(
    bytes: &[u8],
    delimiter: char,
    want: &Want<'_>,
    issues: &mut Vec<DataIssue>,
) -> Option<Raw> {
    let file = want.file;
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes
                .get(..e.valid_up_to())
                .map_or(1, |b| b.iter().filter(|c| **c == b'\n').count() + 1);
            issues.push(
                DataIssue::new(Code::DataUnreadable, file, "the file is not UTF-8 text")
                    .at(line)
                    .help("export the file as UTF-8"),
            );
            return None;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = match split(text, delimiter) {
        Ok(lines) => lines,
        Err((line, _)) => {
            issues.push(
                DataIssue::new(Code::DataUnreadable, file, "a quoted field is never closed")
                    .at(line)
                    .help(
                        "close the quote; a quote inside a quoted field is written twice (`\"\"`)",
                    ),
            );
            return None;
        }
    };
    let mut lines = lines.into_iter();
    let Some(header) = lines.next() else {
        issues.push(
            DataIssue::new(Code::DataUnreadable, file, "the file is empty")
                .help("a CSV source starts with a header row naming its columns"),
        );
        return None;
    };
    let mut columns: Vec<Option<usize>> = Vec::with_capacity(want.names.len());
    let mut seen = Vec::with_capacity(want.names.len());
    for name in &want.names {
        let mut found = header
            .cells
            .iter()
            .enumerate()
            .filter(|(_, h)| h.as_str() == *name)
            .map(|(i, _)| i);
        let first = found.next();
        if found.next().is_some() {
            issues.push(
                DataIssue::new(
                    Code::DataUnreadable,
                    file,
                    "the header names this column more than once; the first is read",
                )
                .at(header.line)
                .field(*name)
                .severity(Severity::Warning),
            );
        }
        columns.push(first);
        seen.push(first.is_some());
    }
    if !report_missing(
        want,
        &seen,
        header.cells.iter().map(String::as_str),
        "header",
        Severity::Error,
        issues,
    ) {
        return None;
    }
    let width = header.cells.len();
    let mut records = Vec::new();
    for line in lines {
        if line.cells.len() != width {
            issues.push(
                DataIssue::new(
                    Code::DataUnreadable,
                    file,
                    format!(
                        "the record has {} cells but the header has {width}; it is skipped",
                        line.cells.len()
                    ),
                )
                .at(line.line)
                .help("quote cells that contain the delimiter, and check for missing or extra delimiters"),
            );
            continue;
        }
        let mut cells = line.cells;
        let picked = columns
            .iter()
            .map(|c| {
                c.and_then(|i| cells.get_mut(i))
                    .map(|s| Cell::Text(std::mem::take(s)))
            })
            .collect();
        records.push(RawRecord {
            row: line.line,
            cells: picked,
        });
    }
    Some(Raw {
        records,
        scim: false,
    })
}
