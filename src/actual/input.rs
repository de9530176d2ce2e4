//! Reading export files safely: a file or a directory of page files, each read with
//! [`files::read_bounded`] up to what is left of the byte budget; text decoded from UTF-8 (a byte-order mark skipped) or, with its byte-order
//! mark, UTF-16 (what Windows PowerShell 5.1 writes when output is redirected).

use std::borrow::Cow;
use std::path::Path;

use super::build::Sink;
use super::{DataIssue, Format};
use crate::codes::Code;
use crate::files::{self, Refusal};

/// One file's bytes and its name as issues show it.
pub(super) struct Loaded {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What is left of [`super::ReadOptions::max_bytes`].
pub(super) struct Budget {
    limit: u64,
    left: u64,
}

impl Budget {
    pub fn new(limit: u64) -> Budget {
        Budget { limit, left: limit }
    }
}

/// The extensions of export files in a directory, by format.
fn is_export_file(name: &str, format: Format) -> bool {
    let Some((_, ext)) = name.rsplit_once('.') else {
        return false;
    };
    let ext = ext.to_ascii_lowercase();
    match format {
        Format::Graph | Format::Scim => matches!(ext.as_str(), "json" | "jsonl" | "ndjson"),
        Format::Ldif => matches!(ext.as_str(), "ldif" | "ldf"),
        Format::Csv => matches!(ext.as_str(), "csv" | "tsv" | "txt"),
    }
}

fn lower(e: &std::io::Error) -> String {
    e.to_string().to_lowercase()
}

/// The export files of a directory, in name order: regular files with the format's
/// extensions, hidden files skipped. Symbolic links are refused (an export directory holds
/// files, and a link could make Roster read anything). `None` when the directory cannot be
/// listed or holds no export file.
pub(super) fn list_dir(
    dir: &Path,
    format: Format,
    sink: &mut Sink,
) -> Option<Vec<std::path::PathBuf>> {
    let shown = dir.display().to_string();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            sink.push(DataIssue::new(
                Code::ActualUnreadable,
                &shown,
                format!("cannot list the directory: {}", lower(&e)),
            ));
            return None;
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name();
        let name_text = name.to_string_lossy();
        if name_text.starts_with('.') || !is_export_file(&name_text, format) {
            continue;
        }
        match entry.file_type() {
            Ok(t) if t.is_symlink() => sink.push(
                DataIssue::new(
                    Code::ActualUnreadable,
                    &entry.path().display().to_string(),
                    "the export file is a symbolic link; it is not followed",
                )
                .help("copy the file into the export directory"),
            ),
            Ok(t) if t.is_file() => files.push(entry.path()),
            _ => {}
        }
    }
    files.sort();
    if files.is_empty() {
        sink.push(
            DataIssue::new(
                Code::ActualUnreadable,
                &shown,
                format!("the directory holds no {} export file", format.name()),
            )
            .help(match format {
                Format::Graph | Format::Scim => "page files end in `.json`, `.jsonl` or `.ndjson`",
                Format::Ldif => "LDIF files end in `.ldif` or `.ldf`",
                Format::Csv => "CSV files end in `.csv`, `.tsv` or `.txt`",
            }),
        );
        return None;
    }
    Some(files)
}

/// Reads one file within the budget ([`files::read_bounded`]: opened without blocking, a
/// regular file on the opened handle, never more than the budget plus one byte read).
pub(super) fn load_file(path: &Path, budget: &mut Budget, sink: &mut Sink) -> Option<Loaded> {
    let name = path.display().to_string();
    match files::read_bounded(path, budget.left) {
        Ok(bytes) => {
            budget.left = budget.left.saturating_sub(bytes.len() as u64);
            Some(Loaded { name, bytes })
        }
        Err(Refusal::TooLarge { .. }) => {
            too_large(&name, budget, sink);
            None
        }
        Err(refusal) => {
            sink.push(DataIssue::new(
                Code::ActualUnreadable,
                &name,
                format!("cannot read the export: {refusal}"),
            ));
            None
        }
    }
}

/// Reports an export over the budget, which is then spent: the export is not read.
fn too_large(name: &str, budget: &mut Budget, sink: &mut Sink) {
    sink.push(
        DataIssue::new(
            Code::ActualUnreadable,
            name,
            format!(
                "the export is larger than the limit of {} (all its files together)",
                files::format_size(budget.limit)
            ),
        )
        .help("raise `max_bytes` if the export is this large on purpose"),
    );
    budget.left = 0;
}

/// The file's text: UTF-8 without its byte-order mark, or UTF-16 with one.
pub(super) fn decode<'a>(file: &'a Loaded, sink: &mut Sink) -> Option<Cow<'a, str>> {
    let bytes = file.bytes.as_slice();
    let utf16 = |le: bool, body: &[u8]| -> Option<String> {
        if !body.len().is_multiple_of(2) {
            return None;
        }
        let units = body.chunks_exact(2).map(|c| match c {
            [a, b] if le => u16::from_le_bytes([*a, *b]),
            [a, b] => u16::from_be_bytes([*a, *b]),
            _ => 0,
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .ok()
    };
    let text = match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(true, rest).map(Cow::Owned),
        [0xFE, 0xFF, rest @ ..] => utf16(false, rest).map(Cow::Owned),
        _ => {
            let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
            match std::str::from_utf8(body) {
                Ok(t) => Some(Cow::Borrowed(t)),
                Err(e) => {
                    let line = body
                        .get(..e.valid_up_to())
                        .map_or(1, |b| b.iter().filter(|c| **c == b'\n').count() + 1);
                    sink.push(
                        DataIssue::new(
                            Code::ActualUnreadable,
                            &file.name,
                            "the export is not UTF-8 text",
                        )
                        .at(line)
                        .help("re-export as UTF-8 (or UTF-16 with a byte-order mark)"),
                    );
                    return None;
                }
            }
        }
    };
    if text.is_none() {
        sink.push(
            DataIssue::new(
                Code::ActualUnreadable,
                &file.name,
                "the export starts with a UTF-16 byte-order mark but is not UTF-16 text",
            )
            .help("re-export as UTF-8"),
        );
    }
    text
}

/// How much of a file [`stream_lines`] reads at a time.
pub(super) const PIECE: usize = 8 << 20;

/// What streaming a file gave.
pub(super) enum Streamed {
    /// Read (problems, if any, reported).
    Read(String),
    /// Not read at all: too large, or not openable (reported).
    NotRead,
    /// A UTF-16 file (byte-order mark): read whole, to be decoded as such.
    Whole(Loaded),
}

/// Reads a UTF-8 text file a piece at a time within the budget, as [`load_file`] and
/// [`decode`] would read it whole: `each` gets whole lines (the newline ending the last left
/// out; the last piece is the text after the last newline, possibly empty) with the number of
/// their first line, so that a file of any size costs one piece of memory. A piece that is not
/// UTF-8 is reported at its line (in `parsed`) and ends the reading of the file.
pub(super) fn stream_lines(
    path: &Path,
    piece: usize,
    budget: &mut Budget,
    sink: &mut Sink,
    parsed: &mut Sink,
    mut each: impl FnMut(&str, usize, &mut Sink),
) -> Streamed {
    use std::io::Read as _;
    let name = path.display().to_string();
    let (file, size) = match files::open_regular(path, budget.left) {
        Ok(opened) => opened,
        Err(Refusal::TooLarge { .. }) => {
            too_large(&name, budget, sink);
            return Streamed::NotRead;
        }
        Err(refusal) => {
            sink.push(DataIssue::new(
                Code::ActualUnreadable,
                &name,
                format!("cannot read the export: {refusal}"),
            ));
            return Streamed::NotRead;
        }
    };
    // Never more than the budget plus one byte, whatever the file does meanwhile.
    let mut file = file.take(budget.left.saturating_add(1));
    // No larger than the file (and one byte to see its end): a small export does not cost a
    // whole piece of zeroed memory. A file that grows meanwhile is read in more pieces.
    let piece = piece
        .min(
            usize::try_from(size)
                .unwrap_or(usize::MAX)
                .saturating_add(1),
        )
        .max(1);
    let mut buf: Vec<u8> = Vec::with_capacity(piece);
    let mut total: u64 = 0;
    let mut line = 1usize;
    let mut first = true;
    let mut eof = false;
    while !eof {
        // The bytes before `start` hold no newline (they are what followed the last one), so
        // only the new bytes are searched for one: a line longer than a piece costs a search
        // of each piece once, not of the whole line again after every piece.
        let mut start = buf.len();
        buf.resize(start + piece, 0);
        let got = match read_full(&mut file, buf.get_mut(start..).unwrap_or_default()) {
            Ok(n) => n,
            Err(e) => {
                sink.push(DataIssue::new(
                    Code::ActualUnreadable,
                    &name,
                    format!("cannot read the export: {}", lower(&e)),
                ));
                return Streamed::NotRead;
            }
        };
        buf.truncate(start + got);
        eof = got < piece;
        total = total.saturating_add(got as u64);
        if total > budget.left {
            {
                too_large(&name, budget, sink);
                return Streamed::NotRead;
            }
        }
        if first {
            if buf.len() < 3 && !eof {
                // Not enough yet to tell a byte-order mark.
                continue;
            }
            if matches!(buf.as_slice(), [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..]) {
                // UTF-16: decoded whole, as the other formats are.
                let mut rest = Vec::new();
                if let Err(e) = file.read_to_end(&mut rest) {
                    sink.push(DataIssue::new(
                        Code::ActualUnreadable,
                        &name,
                        format!("cannot read the export: {}", lower(&e)),
                    ));
                    return Streamed::NotRead;
                }
                buf.extend_from_slice(&rest);
                if buf.len() as u64 > budget.left {
                    {
                        too_large(&name, budget, sink);
                        return Streamed::NotRead;
                    }
                }
                budget.left = budget.left.saturating_sub(buf.len() as u64);
                return Streamed::Whole(Loaded { name, bytes: buf });
            }
            if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
                buf.drain(..3);
                start = start.saturating_sub(3);
            }
            first = false;
        }
        // Whole lines now; the rest of the last line waits for the next piece.
        let cut = if eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', buf.get(start..).unwrap_or_default()) {
                Some(p) => start + p,
                None => continue,
            }
        };
        let lines = buf.get(..cut).unwrap_or_default();
        match std::str::from_utf8(lines) {
            Ok(text) => each(text, line, parsed),
            Err(e) => {
                let at = line.saturating_add(
                    lines
                        .get(..e.valid_up_to())
                        .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count()),
                );
                parsed.push(
                    DataIssue::new(
                        Code::ActualUnreadable,
                        &name,
                        "the export is not UTF-8 text",
                    )
                    .at(at)
                    .help("re-export as UTF-8 (or UTF-16 with a byte-order mark)"),
                );
                budget.left = budget.left.saturating_sub(total);
                return Streamed::Read(name);
            }
        }
        line = line.saturating_add(lines.iter().filter(|c| **c == b'\n').count() + 1);
        buf.drain(..(cut + 1).min(buf.len()));
    }
    budget.left = budget.left.saturating_sub(total);
    Streamed::Read(name)
}

/// Fills `buf` as far as the reader goes: fewer bytes only at its end.
fn read_full(reader: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
