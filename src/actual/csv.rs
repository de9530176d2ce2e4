//! CSV table exports (RFC 4180) as SQL tools and PowerShell's `Export-Csv` write them: a
//! header row naming the columns, quoted fields (quotes doubled, line breaks allowed), LF,
//! CRLF or CR line ends, a UTF-8 byte-order mark skipped, and Windows PowerShell's `#TYPE …`
//! first line skipped.
//!
//! Whether a cell was quoted is kept, because it is how the exporters tell NULL from the
//! empty string ([`super::CsvNull`]). Cells are text; a cell holding a .NET type name
//! (`System.String[]`) is an array or object `Export-Csv` could not write (`D208`). The key
//! column gives each row's identifier, trimmed.
//!
//! (Ingest's CSV tokenizer is not reused: it does not say whether a cell was quoted.)

use std::borrow::Cow;

use super::build::{Builder, DEPTH_HELP, Rec, Sink, is_type_name};
use super::{CsvNull, DataIssue, ReadOptions, quote};
use crate::codes::Code;
use crate::diagnostics::Severity;
use crate::value::Value;

/// One cell: its text and whether it was quoted.
struct CellText<'t> {
    text: Cow<'t, str>,
    quoted: bool,
}

/// Splits CSV text into records.
struct Tokenizer<'t> {
    text: &'t str,
    pos: usize,
    line: usize,
    delimiter: char,
}

impl<'t> Tokenizer<'t> {
    /// The next record and the line it starts on; `Err(line)` for a quote opened on `line`
    /// and never closed.
    fn next_record(&mut self) -> Result<Option<(usize, Vec<CellText<'t>>)>, usize> {
        let bytes = self.text.as_bytes();
        // Blank lines are skipped.
        loop {
            match bytes.get(self.pos) {
                None => return Ok(None),
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                }
                Some(b'\r') => {
                    self.pos += 1;
                    if bytes.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    self.line += 1;
                }
                Some(_) => break,
            }
        }
        let start_line = self.line;
        let mut cells = Vec::new();
        let d = self.delimiter;
        loop {
            // One cell.
            let mut quoted = false;
            let mut owned: Option<String> = None;
            let mut piece_start = self.pos;
            if self
                .text
                .get(self.pos..)
                .is_some_and(|r| r.starts_with('"'))
            {
                quoted = true;
                let open_line = self.line;
                let mut buf = String::new();
                let mut i = self.pos + 1;
                loop {
                    let rest = self.text.get(i..).unwrap_or_default();
                    let Some(p) = rest.find(['"', '\n']) else {
                        return Err(open_line);
                    };
                    let at = i + p;
                    if rest.as_bytes().get(p) == Some(&b'\n') {
                        self.line += 1;
                        buf.push_str(self.text.get(i..=at).unwrap_or_default());
                        i = at + 1;
                        continue;
                    }
                    buf.push_str(self.text.get(i..at).unwrap_or_default());
                    if bytes.get(at + 1) == Some(&b'"') {
                        buf.push('"');
                        i = at + 2;
                        continue;
                    }
                    i = at + 1;
                    break;
                }
                self.pos = i;
                owned = Some(buf);
                piece_start = i;
            }
            // Unquoted text (or text after a closing quote, kept leniently).
            let rest = self.text.get(self.pos..).unwrap_or_default();
            let n = rest.find([d, '\n', '\r']).unwrap_or(rest.len());
            let tail = rest.get(..n).unwrap_or_default();
            self.pos += n;
            let text = match owned {
                Some(mut s) => {
                    s.push_str(tail);
                    Cow::Owned(s)
                }
                None => Cow::Borrowed(self.text.get(piece_start..self.pos).unwrap_or_default()),
            };
            cells.push(CellText { text, quoted });
            match self.text.get(self.pos..).and_then(|r| r.chars().next()) {
                Some(c) if c == d => self.pos += c.len_utf8(),
                Some('\r') => {
                    self.pos += 1;
                    if bytes.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    self.line += 1;
                    return Ok(Some((start_line, cells)));
                }
                Some('\n') => {
                    self.pos += 1;
                    self.line += 1;
                    return Ok(Some((start_line, cells)));
                }
                _ => return Ok(Some((start_line, cells))),
            }
        }
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    const TRUE: [&str; 5] = ["t", "true", "1", "yes", "y"];
    const FALSE: [&str; 5] = ["f", "false", "0", "no", "n"];
    let t = s.trim();
    if TRUE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(true)
    } else if FALSE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(false)
    } else {
        None
    }
}

/// Finds a configured column in the header.
fn find(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h.eq_ignore_ascii_case(name))
}

fn missing_column(what: &str, name: &str, header: &[String], file: &str, sink: &mut Sink) {
    let mut issue = DataIssue::new(
        Code::ActualMissingColumn,
        file,
        format!("the {what} column `{name}` is not in the header"),
    )
    .at(1);
    issue.help = Some(
        match crate::diagnostics::did_you_mean(name, header.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "the header has {}",
                header
                    .iter()
                    .take(12)
                    .map(|h| format!("`{h}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    );
    sink.push(issue);
}

/// Reads one CSV file.
pub(super) fn read(
    text: &str,
    file: &str,
    options: &ReadOptions,
    builder: &mut Builder<'_>,
    sink: &mut Sink,
) {
    let csv = &options.csv;
    let mut tok = Tokenizer {
        text,
        pos: 0,
        line: 1,
        delimiter: csv.delimiter,
    };
    if text.starts_with("#TYPE") {
        let end = text.find('\n').map_or(text.len(), |i| i + 1);
        tok.pos = end;
        tok.line = 2;
    }
    let unterminated = |line: usize, sink: &mut Sink| {
        sink.push(
            DataIssue::new(
                Code::ActualMalformed,
                file,
                "a quote opened here is never closed; the rest of the file is not read",
            )
            .at(line)
            .help("close the quoted field, or double a quote inside it (`\"\"`)"),
        );
    };
    let (header_line, header) = match tok.next_record() {
        Ok(Some((line, cells))) => (line, cells),
        Ok(None) => {
            sink.push(
                DataIssue::new(
                    Code::ActualMalformed,
                    file,
                    "the file is empty; an export has at least its header row",
                )
                .help("write the header row even when the table is empty"),
            );
            return;
        }
        Err(line) => {
            unterminated(line, sink);
            return;
        }
    };
    let names: Vec<String> = header.iter().map(|c| c.text.to_string()).collect();
    // Which columns are read, by position.
    let mut columns: Vec<Option<usize>> = Vec::with_capacity(names.len());
    let mut folded_seen: Vec<String> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let folded = name.to_ascii_lowercase();
        if name.trim().is_empty() {
            sink.push(
                DataIssue::new(
                    Code::ActualMalformed,
                    file,
                    format!("column {} has no name; it is not read", i + 1),
                )
                .at(header_line)
                .severity(Severity::Warning),
            );
            columns.push(None);
        } else if folded_seen.contains(&folded) {
            sink.push(
                DataIssue::new(
                    Code::ActualNameCase,
                    file,
                    format!("column {} repeats the name `{name}` (names are compared case-insensitively); it is not read", i + 1),
                )
                .at(header_line)
                .field(name.as_str()),
            );
            columns.push(None);
        } else {
            columns.push(builder.column(name, header_line, sink));
        }
        folded_seen.push(folded);
    }
    let Some(key) = find(&names, &csv.key) else {
        missing_column("key", &csv.key, &names, file, sink);
        return;
    };
    let enabled = match &csv.enabled {
        Some(e) => match find(&names, e) {
            Some(i) => Some(i),
            None => {
                missing_column("enabled", e, &names, file, sink);
                None
            }
        },
        None => None,
    };
    loop {
        let (line, cells) = match tok.next_record() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(line) => {
                unterminated(line, sink);
                break;
            }
        };
        let mut rec = Rec::new(line);
        if cells.len() != names.len() {
            rec.issue(
                Code::ActualMalformed,
                file,
                None,
                format!(
                    "the row has {} cells but the header has {}; it is skipped",
                    cells.len(),
                    names.len()
                ),
            );
            builder.push(rec, sink);
            continue;
        }
        for (i, cell) in cells.into_iter().enumerate() {
            let name = names.get(i).map_or("", String::as_str);
            let is_null = match &csv.null {
                CsvNull::UnquotedEmpty => !cell.quoted && cell.text.is_empty(),
                CsvNull::Never => false,
                CsvNull::Marker(m) => !cell.quoted && cell.text == m.as_str(),
            };
            if i == key {
                let k = cell.text.trim();
                if is_null || k.is_empty() {
                    rec.issue(
                        Code::ActualMissingId,
                        file,
                        Some(name),
                        "the row has no key; it is skipped".to_string(),
                    );
                } else {
                    rec.id = Some(k.to_string());
                }
            }
            if Some(i) == enabled && !is_null {
                match parse_bool(&cell.text) {
                    Some(b) => rec.enabled = Some(b),
                    None => rec.issue(
                        Code::ActualValue,
                        file,
                        Some(name),
                        format!(
                            "{} is not a boolean; whether the account is enabled is unknown",
                            quote(&cell.text)
                        ),
                    ),
                }
            }
            let Some(col) = columns.get(i).copied().flatten() else {
                continue;
            };
            if is_null {
                rec.put_col(col, Value::Null);
            } else if is_type_name(&cell.text, false) {
                rec.issue(
                    Code::ActualDepthTruncated,
                    file,
                    Some(name),
                    format!("{} is a type name, not the value: `Export-Csv` cannot write arrays or objects; the attribute is read as unknown", quote(&cell.text)),
                );
                if let Some(i) = rec.last_issue() {
                    i.help = Some(DEPTH_HELP.to_string());
                }
            } else {
                rec.put_col(col, Value::Str(cell.text.into_owned()));
            }
        }
        builder.push(rec, sink);
    }
}
