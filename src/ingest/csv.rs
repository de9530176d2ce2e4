//! CSV (RFC 4180): a header row, then records. Fields are quoted (`"…"`, quotes inside doubled,
//! line breaks allowed) or not; lines end in LF, CRLF or CR; a UTF-8 byte-order mark is
//! skipped; blank lines are skipped. Leniently, as spreadsheet programs do, a quote inside an
//! unquoted field, or text after a closing quote, is kept as written; an unterminated quote is
//! a `D101`.
//!
//! Cells are not copied unless they must be unescaped: a record is a list of spans of the
//! file's text. Records are split a batch at a time, and while one batch is typed (its fields
//! in parallel) the next is split.

use super::build::Builder;
use super::{DataIssue, Want, report_missing};
use crate::codes::Code;
use crate::diagnostics::Severity;

/// One record as split: the line it starts on and its cells.
#[cfg(test)]
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Line {
    pub line: usize,
    pub cells: Vec<String>,
}

/// Where a cell's text is: in the file, or (when it had to be unescaped or joined) in the
/// scratch text of its batch.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Span {
    File(usize, usize),
    Scratch(usize, usize),
}

/// The text of a cell: `text` is the file's, `scratch` its batch's.
fn cell<'a>(text: &'a str, scratch: &'a str, span: Span) -> &'a str {
    match span {
        Span::File(a, b) => text.get(a..b),
        Span::Scratch(a, b) => scratch.get(a..b),
    }
    .unwrap_or_default()
}

/// Splits CSV text record by record.
pub(crate) struct Tokenizer<'t> {
    text: &'t str,
    bytes: &'t [u8],
    delimiter: [u8; 4],
    delimiter_len: usize,
    pos: usize,
    line: usize,
}

/// The text of one cell as it is split: pieces of the file, joined in the scratch text only
/// when there is more than one.
#[derive(Default)]
struct Pieces {
    piece: Option<(usize, usize)>,
    joined: Option<usize>,
}

impl Pieces {
    fn add(&mut self, text: &str, scratch: &mut String, a: usize, b: usize) {
        let part = text.get(a..b).unwrap_or_default();
        if self.joined.is_some() {
            scratch.push_str(part);
        } else if let Some((pa, pb)) = self.piece {
            self.joined = Some(scratch.len());
            scratch.push_str(text.get(pa..pb).unwrap_or_default());
            scratch.push_str(part);
        } else {
            self.piece = Some((a, b));
        }
    }

    fn span(&self, scratch: &str, at: usize) -> Span {
        match (self.joined, self.piece) {
            (Some(start), _) => Span::Scratch(start, scratch.len()),
            (None, Some((a, b))) => Span::File(a, b),
            (None, None) => Span::File(at, at),
        }
    }
}

impl<'t> Tokenizer<'t> {
    pub(crate) fn new(text: &'t str, delimiter: char) -> Tokenizer<'t> {
        let mut d = [0u8; 4];
        let delimiter_len = delimiter.encode_utf8(&mut d).len();
        Tokenizer {
            text,
            bytes: text.as_bytes(),
            delimiter: d,
            delimiter_len,
            pos: 0,
            line: 1,
        }
    }

    /// The end of the unquoted text from `from`: a delimiter, a line break or the end.
    #[inline]
    fn unquoted_end(&self, from: usize) -> usize {
        let [d0, ..] = self.delimiter;
        let d = self.delimiter.get(..self.delimiter_len).unwrap_or_default();
        let mut i = from;
        loop {
            let rest = self.bytes.get(i..).unwrap_or_default();
            let Some(p) = rest
                .iter()
                .position(|&c| c == d0 || c == b'\n' || c == b'\r')
            else {
                return self.bytes.len();
            };
            let at = i.saturating_add(p);
            let rest = rest.get(p..).unwrap_or_default();
            // A multi-byte delimiter is matched whole.
            if self.delimiter_len == 1 || !rest.starts_with(&[d0]) || rest.starts_with(d) {
                return at;
            }
            i = at.saturating_add(1);
        }
    }

    /// The next record, its cells' spans into `cells` and unescaped text into `scratch`:
    /// `Ok(Some(line it starts on))`, `Ok(None)` at the end, `Err(line)` for a quote opened
    /// on `line` and never closed.
    pub(crate) fn next_record(
        &mut self,
        cells: &mut Vec<Span>,
        scratch: &mut String,
    ) -> Result<Option<usize>, usize> {
        cells.clear();
        let mut start_line = self.line;
        // Whether the record has any content (blank lines are skipped).
        let mut any = false;
        loop {
            let mut pieces = Pieces::default();
            if self.bytes.get(self.pos) == Some(&b'"') {
                any = true;
                let quote_line = self.line;
                let mut from = self.pos.saturating_add(1);
                let mut scan = from;
                loop {
                    let rest = self.bytes.get(scan..).unwrap_or_default();
                    let Some(p) = rest
                        .iter()
                        .position(|&c| c == b'"' || c == b'\n' || c == b'\r')
                    else {
                        return Err(quote_line);
                    };
                    let q = scan.saturating_add(p);
                    match rest.get(p..) {
                        Some([b'\r', b'\n', ..]) => {
                            // Counted at the LF.
                            scan = q.saturating_add(1);
                        }
                        Some([b'\n' | b'\r', ..]) => {
                            self.line = self.line.saturating_add(1);
                            scan = q.saturating_add(1);
                        }
                        Some([b'"', b'"', ..]) => {
                            // A doubled quote: the text up to and including one quote.
                            pieces.add(self.text, scratch, from, q.saturating_add(1));
                            from = q.saturating_add(2);
                            scan = from;
                        }
                        _ => {
                            pieces.add(self.text, scratch, from, q);
                            self.pos = q.saturating_add(1);
                            break;
                        }
                    }
                }
            }
            let end = self.unquoted_end(self.pos);
            if end > self.pos {
                any = true;
                pieces.add(self.text, scratch, self.pos, end);
            }
            self.pos = end;
            let span = pieces.span(scratch, end);
            match self.bytes.get(end) {
                None => {
                    if any {
                        cells.push(span);
                        return Ok(Some(start_line));
                    }
                    return Ok(None);
                }
                Some(&c @ (b'\n' | b'\r')) => {
                    let crlf = c == b'\r' && self.bytes.get(end.saturating_add(1)) == Some(&b'\n');
                    self.pos = end.saturating_add(if crlf { 2 } else { 1 });
                    self.line = self.line.saturating_add(1);
                    if any {
                        cells.push(span);
                        return Ok(Some(start_line));
                    }
                    start_line = self.line;
                }
                Some(_) => {
                    // The delimiter.
                    any = true;
                    cells.push(span);
                    self.pos = end.saturating_add(self.delimiter_len);
                }
            }
        }
    }
}

/// Splits CSV text into records; `Err` is the line of an unterminated quote and the records
/// before it.
#[cfg(test)]
pub(crate) fn split(text: &str, delimiter: char) -> Result<Vec<Line>, (usize, Vec<Line>)> {
    let mut tok = Tokenizer::new(text, delimiter);
    let mut out = Vec::new();
    let mut cells = Vec::new();
    let mut scratch = String::new();
    loop {
        match tok.next_record(&mut cells, &mut scratch) {
            Ok(Some(line)) => out.push(Line {
                line,
                cells: cells
                    .iter()
                    .map(|c| cell(text, &scratch, *c).to_string())
                    .collect(),
            }),
            Ok(None) => return Ok(out),
            Err(line) => return Err((line, out)),
        }
    }
}

/// Records split and typed at a time.
const BATCH: usize = 8192;

/// A batch of records of the header's width: their lines, and `width` cells each.
#[derive(Default)]
struct Batch {
    rows: Vec<usize>,
    spans: Vec<Span>,
    scratch: String,
}

impl Batch {
    fn clear(&mut self) {
        self.rows.clear();
        self.spans.clear();
        self.scratch.clear();
    }
}

/// What splitting a batch came to.
enum Split {
    /// The batch is full; there may be more.
    More,
    /// The file is split.
    End,
    /// A quote opened on this line is never closed.
    Unterminated(usize),
}

/// The reading of the records after the header.
struct Records<'t, 'f> {
    tok: Tokenizer<'t>,
    width: usize,
    /// Whether records are kept (the header has every needed column).
    readable: bool,
    file: &'f str,
    cells: Vec<Span>,
    /// The reader's issues (`D101`), held until the whole file is split.
    found: Vec<DataIssue>,
}

impl Records<'_, '_> {
    /// Splits records into `batch` until it is full or the file ends.
    fn fill(&mut self, batch: &mut Batch) -> Split {
        batch.clear();
        while batch.rows.len() < BATCH {
            match self.tok.next_record(&mut self.cells, &mut batch.scratch) {
                Ok(Some(line)) => {
                    if !self.readable {
                        continue;
                    }
                    if self.cells.len() != self.width {
                        self.found.push(
                            DataIssue::new(
                                Code::DataUnreadable,
                                self.file,
                                format!(
                                    "the record has {} cells but the header has {}; it is skipped",
                                    self.cells.len(),
                                    self.width
                                ),
                            )
                            .at(line)
                            .help("quote cells that contain the delimiter, and check for missing or extra delimiters"),
                        );
                        continue;
                    }
                    batch.rows.push(line);
                    batch.spans.extend_from_slice(&self.cells);
                }
                Ok(None) => return Split::End,
                Err(line) => return Split::Unterminated(line),
            }
        }
        Split::More
    }
}

/// Types a batch of records.
fn flush(
    builder: &mut Builder<'_>,
    text: &str,
    columns: &[Option<usize>],
    width: usize,
    batch: &Batch,
) {
    if batch.rows.is_empty() {
        return;
    }
    builder.push_texts(&batch.rows, |b, i| {
        let column = columns.get(i).copied().flatten()?;
        let span = batch
            .spans
            .get(b.checked_mul(width)?.checked_add(column)?)?;
        Some(cell(text, &batch.scratch, *span))
    });
}

/// The issue of an unterminated quote.
fn unterminated(file: &str, line: usize) -> DataIssue {
    DataIssue::new(Code::DataUnreadable, file, "a quoted field is never closed")
        .at(line)
        .help("close the quote; a quote inside a quoted field is written twice (`\"\"`)")
}

/// Reads CSV into `builder`. An unterminated quote anywhere makes the file unreadable (and is
/// then its only issue), as a file is split whole before its header is looked at.
pub(crate) fn read(
    bytes: &[u8],
    delimiter: char,
    want: &Want<'_>,
    builder: &mut Builder<'_>,
    issues: &mut Vec<DataIssue>,
) -> Option<()> {
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
    let mut tok = Tokenizer::new(text, delimiter);
    let mut cells = Vec::new();
    let mut scratch = String::new();
    let header_line = match tok.next_record(&mut cells, &mut scratch) {
        Ok(Some(line)) => line,
        Ok(None) => {
            issues.push(
                DataIssue::new(Code::DataUnreadable, file, "the file is empty")
                    .help("a CSV source starts with a header row naming its columns"),
            );
            return None;
        }
        Err(line) => {
            issues.push(unterminated(file, line));
            return None;
        }
    };
    let header: Vec<String> = cells
        .iter()
        .map(|c| cell(text, &scratch, *c).to_string())
        .collect();
    let mut found = Vec::new();
    let mut columns: Vec<Option<usize>> = Vec::with_capacity(want.names.len());
    let mut seen = Vec::with_capacity(want.names.len());
    for name in &want.names {
        let mut matches = header
            .iter()
            .enumerate()
            .filter(|(_, h)| h.as_str() == *name)
            .map(|(i, _)| i);
        let first = matches.next();
        if matches.next().is_some() {
            found.push(
                DataIssue::new(
                    Code::DataUnreadable,
                    file,
                    "the header names this column more than once; the first is read",
                )
                .at(header_line)
                .field(*name)
                .severity(Severity::Warning),
            );
        }
        columns.push(first);
        seen.push(first.is_some());
    }
    let readable = report_missing(
        want,
        &seen,
        header.iter().map(String::as_str),
        "header",
        Severity::Error,
        &mut found,
    );
    let width = header.len();
    let mut records = Records {
        tok,
        width,
        readable,
        file,
        cells,
        found,
    };
    let mut batch = Batch::default();
    let mut next = Batch::default();
    let mut split = records.fill(&mut batch);
    loop {
        let more = matches!(split, Split::More);
        if !more {
            flush(builder, text, &columns, width, &batch);
            break;
        }
        // Type this batch while the next is split.
        let ((), s) = rayon::join(
            || flush(builder, text, &columns, width, &batch),
            || records.fill(&mut next),
        );
        split = s;
        std::mem::swap(&mut batch, &mut next);
    }
    if let Split::Unterminated(line) = split {
        issues.push(unterminated(file, line));
        return None;
    }
    issues.append(&mut records.found);
    readable.then_some(())
}
