//! `roster eval --format jsonl`: the desired state as JSON Lines, one compact JSON object per
//! line, each with a `"type"` first (`summary`, `identity`, `conflict`, `issue`) so that a
//! consumer can pick what it reads (`jq -c 'select(.type == "identity")'`). Nothing else is
//! written: no array brackets, no blank line, no trailer. `docs/reports.md` documents the lines.
//!
//! An identity line holds exactly the fields of the identity objects of `--format json`, in the
//! same order, after `"type":"identity"`. It is written straight from the columns, without
//! `serde`: names and dictionary values are rendered once, and identities are rendered in
//! parallel batches of a few hundred that are written in key order as they are done, so the
//! document never exists in memory. Within a batch, each task renders its block of identities
//! a column at a time (each column's codes for the block in one stream; rendered values in
//! slots of 16, 32 or 64 bytes found from the code alone, with the key in the slot for a small
//! dictionary, and the key copied in fixed-size chunks for a large one; every row's slot or
//! text of a large dictionary touched in a tight loop before the copies, so that the cache
//! misses overlap), into one line buffer per identity (room for the widest line made once, a
//! power of two), and a thread of its own hands the lines to the output with vectored writes
//! (no copy into a buffer) while the pool renders the next batches. A test checks that every
//! line is byte for byte the compact form of the identity's `serde` serialisation
//! ([`crate::escape::json_compact`]).

use std::io::{self, Write};

use rayon::prelude::*;

use super::report::{AccountState, DesiredState, Identities};
use crate::column::{Codes, Column};
use crate::escape::{is_unsafe_char, json_compact};
use crate::rule::sets::Bitset;
use crate::value::Value;

/// The sections of a report (`eval --only`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sections {
    /// The as-of date and the counts (and, in Markdown, the group, package and target tables).
    pub summary: bool,
    /// Separation-of-duties conflicts and data problems.
    pub issues: bool,
    /// The identities (all of them, or those of `--identity`).
    pub identities: bool,
}

impl Sections {
    /// Every section.
    pub const ALL: Sections = Sections {
        summary: true,
        issues: true,
        identities: true,
    };
}

/// Appends `s` as a JSON string, with the escapes of [`crate::escape`] (the same bytes as
/// [`json_compact`]): text with nothing to escape is copied as it is, anything else goes
/// through the escaping serialiser.
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    if plain(s) {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(json_compact(s).as_bytes());
    }
}

/// Whether `s` needs no escape in a JSON string written by [`crate::escape`]: no quote,
/// backslash, control or other unsafe character, and no `##[`.
fn plain(s: &str) -> bool {
    let mut hash = false;
    let mut ascii = true;
    for &b in s.as_bytes() {
        if b < 0x20 || b == b'"' || b == b'\\' || b == 0x7f {
            return false;
        }
        hash |= b == b'#';
        ascii &= b < 0x80;
    }
    if !ascii && s.chars().any(is_unsafe_char) {
        return false;
    }
    !(hash && s.contains("##["))
}

/// Appends a value in its JSON form (as the report's `Json` serialises it).
pub fn push_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Str(s) => push_str(out, s),
        Value::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Date(d) => push_str(out, &crate::dotnet::datetime::render(d)),
        Value::List(items) => {
            out.push(b'[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                push_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(_) => out.extend_from_slice(json_compact(&v.to_json()).as_bytes()),
    }
}

/// The start and end of one rendered dictionary value in a column's bytes.
type Span = (u32, u32);

/// A cache line: the unit the value slots of a column are laid out in.
#[derive(Clone, Copy)]
#[repr(align(64))]
struct Line([u8; 64]);

/// The size of the chunks a key, or a value longer than a slot, is copied in: a copy of a
/// known size is a few vector moves, where one of a varying size is a call to `memmove`.
const CHUNK: usize = 32;

/// A column's key (`,"name":`), padded with zeros to whole [`CHUNK`]s past its end, so that
/// it is copied as fixed-size chunks and the excess cut off. Keys are the same for every row
/// and stay in the cache; only values differ.
struct Key {
    /// The key, then `CHUNK` zeros.
    padded: Vec<u8>,
    /// The length of the key (with its comma).
    len: usize,
}

impl Key {
    fn new(name: &str) -> Key {
        let mut padded = vec![b','];
        push_str(&mut padded, name);
        padded.push(b':');
        let len = padded.len();
        padded.extend_from_slice(&[0; CHUNK]);
        Key { padded, len }
    }

    /// The key's bytes, with its comma.
    fn bytes(&self) -> &[u8] {
        self.padded.get(..self.len).unwrap_or_default()
    }

    /// Appends the key (without its comma when `skip` is 1).
    #[inline(always)]
    fn put(&self, out: &mut Vec<u8>, skip: usize) {
        let at = out.len();
        let mut from = skip;
        while from < self.len {
            match self
                .padded
                .get(from..from + CHUNK)
                .and_then(|c| <&[u8; CHUNK]>::try_from(c).ok())
            {
                Some(chunk) => out.extend_from_slice(chunk),
                None => return out.extend_from_slice(self.bytes().get(from..).unwrap_or_default()),
            }
            from += CHUNK;
        }
        out.truncate(at + self.len.saturating_sub(skip));
    }
}

/// A column's dictionary values, rendered.
enum Rendered {
    /// Every value fits a slot of `size` bytes (16, 32 or 64: the smallest that holds the
    /// longest entry and a length byte): entry `code` is at `code * size` in the lines, its
    /// length in the slot's last byte. Where a row's entry is follows from its code alone (no
    /// load that waits for another, which the processor overlaps across rows), no slot
    /// straddles two cache lines, and it is copied as one fixed-size chunk. With `keyed`, an
    /// entry is the key and the value (`,"name":value`, one copy per row: for a small
    /// dictionary, which stays in the cache whatever its size); without, the value alone
    /// (the key is written by [`Key`]: a large dictionary is half the size or less, and
    /// fewer of its rows miss the cache).
    Slots {
        lines: Vec<Line>,
        size: usize,
        keyed: bool,
    },
    /// Some value is longer than 63 bytes: the bytes (with [`CHUNK`] bytes of padding), and
    /// the start and end of each code's value.
    Spans(Vec<u8>, Vec<Span>),
}

/// The slot of `code` among `lines`, for slots of `S` bytes.
#[inline(always)]
fn slot<const S: usize>(lines: &[Line], code: usize) -> Option<&[u8; S]> {
    let per = 64 / S;
    let Line(line) = lines.get(code / per)?;
    let at = (code % per) * S;
    line.get(at..at + S)
        .and_then(|s| <&[u8; S]>::try_from(s).ok())
}

/// Appends the entry of `code` among slots of `S` bytes (without the key's comma when `skip`
/// is 1): the key first unless `KEYED` (then it is in the slot), then the whole slot as one
/// fixed-size copy and the excess cut off. False, with nothing written, when there is no such
/// slot.
#[inline(always)]
fn put_slot<const S: usize, const KEYED: bool>(
    out: &mut Vec<u8>,
    lines: &[Line],
    code: usize,
    key: &Key,
    skip: usize,
) -> bool {
    let Some(slot) = slot::<S>(lines, code) else {
        return false;
    };
    let len = usize::from(slot.last().copied().unwrap_or(0));
    if !KEYED {
        key.put(out, skip);
    } else if skip > 0 {
        // The first field of an object: rare, so a copy of a varying size.
        out.extend_from_slice(slot.get(skip..len).unwrap_or_default());
        return true;
    }
    let at = out.len();
    out.extend_from_slice(slot);
    out.truncate(at + len);
    true
}

/// A column ready to write: its key and, when rows share values enough for that to pay, its
/// dictionary values rendered once. The comma before the key is dropped for the first field
/// of an object.
struct Col<'a> {
    key: Key,
    column: &'a Column,
    /// The rendered dictionary values.
    rendered: Option<Rendered>,
}

impl<'a> Col<'a> {
    fn new(name: &str, column: &'a Column) -> Col<'a> {
        let dictionary = column.dictionary();
        // One distinct value in four rows or fewer: render each once.
        let key = Key::new(name);
        let rendered = (dictionary.len().saturating_mul(4) <= column.len())
            .then(|| render(&key, dictionary))
            .flatten();
        Col {
            key,
            column,
            rendered,
        }
    }

    /// Appends the rendered entry of `code`, key and value (without the comma when `skip`
    /// is 1); false, with nothing written, when the dictionary is not rendered.
    #[inline]
    fn put(&self, out: &mut Vec<u8>, code: usize, skip: usize) -> bool {
        match &self.rendered {
            Some(Rendered::Slots { lines, size, keyed }) => match (size, keyed) {
                (16, true) => put_slot::<16, true>(out, lines, code, &self.key, skip),
                (32, true) => put_slot::<32, true>(out, lines, code, &self.key, skip),
                (_, true) => put_slot::<64, true>(out, lines, code, &self.key, skip),
                (16, false) => put_slot::<16, false>(out, lines, code, &self.key, skip),
                (32, false) => put_slot::<32, false>(out, lines, code, &self.key, skip),
                (_, false) => put_slot::<64, false>(out, lines, code, &self.key, skip),
            },
            Some(Rendered::Spans(bytes, spans)) => match spans.get(code) {
                Some(&(s, e)) => {
                    self.key.put(out, skip);
                    copy_entry(out, bytes, s as usize, e as usize)
                }
                None => false,
            },
            None => false,
        }
    }

    /// Appends row `i` as `"name":value`, with a comma first when `comma`.
    #[inline]
    fn push(&self, out: &mut Vec<u8>, i: usize, comma: bool) {
        let skip = usize::from(!comma);
        if !self.put(out, self.column.code(i) as usize, skip) {
            self.key.put(out, skip);
            push_value(out, self.column.get(i));
        }
    }

    /// Appends the value of rows `start..start + lines.len()` to their lines, each where
    /// `comma` (given the row's place in the block) says `Some(whether a comma goes first)`;
    /// `codes` is scratch space. One column at a time over a block of rows: its codes are
    /// read in one stream and its dictionary stays in the cache, instead of a thousand columns
    /// touched per row.
    fn push_rows(
        &self,
        lines: &mut [Vec<u8>],
        start: usize,
        codes: &mut Vec<usize>,
        comma: impl FnMut(usize) -> Option<bool>,
    ) {
        let n = lines.len();
        // The block's codes, in one stream.
        codes.clear();
        match self.column.codes() {
            Codes::U8(all) if all.len() >= start + n => codes.extend(
                all.get(start..start + n)
                    .unwrap_or_default()
                    .iter()
                    .map(|&c| usize::from(c)),
            ),
            Codes::U16(all) if all.len() >= start + n => codes.extend(
                all.get(start..start + n)
                    .unwrap_or_default()
                    .iter()
                    .map(|&c| usize::from(c)),
            ),
            Codes::U32(all) if all.len() >= start + n => codes.extend(
                all.get(start..start + n)
                    .unwrap_or_default()
                    .iter()
                    .map(|&c| c as usize),
            ),
            _ => codes.extend((start..start + n).map(|i| self.column.code(i) as usize)),
        }
        match &self.rendered {
            Some(Rendered::Slots {
                lines: slots,
                size,
                keyed,
            }) => match (size, keyed) {
                (16, true) => self.rows_in_slots::<16, true>(slots, lines, start, codes, comma),
                (32, true) => self.rows_in_slots::<32, true>(slots, lines, start, codes, comma),
                (_, true) => self.rows_in_slots::<64, true>(slots, lines, start, codes, comma),
                (16, false) => self.rows_in_slots::<16, false>(slots, lines, start, codes, comma),
                (32, false) => self.rows_in_slots::<32, false>(slots, lines, start, codes, comma),
                (_, false) => self.rows_in_slots::<64, false>(slots, lines, start, codes, comma),
            },
            Some(Rendered::Spans(..)) => {
                self.rows_one_by_one(lines, start, codes, comma);
            }
            None => {
                // Values rendered row by row (a dictionary almost as large as the column):
                // first touch each row's text in a loop short enough for the processor to
                // have dozens of those loads in flight at once (each misses the cache when
                // the dictionary is large), then render from text now in the cache.
                let dictionary = self.column.dictionary();
                let mut touched = 0u8;
                for &code in codes.iter() {
                    if let Some(Value::Str(s)) = dictionary.get(code) {
                        touched ^= s.as_bytes().first().copied().unwrap_or(0);
                    }
                }
                std::hint::black_box(touched);
                self.rows_one_by_one(lines, start, codes, comma);
            }
        }
    }

    /// [`Col::push_rows`] for a dictionary whose entries are in slots of `S` bytes, keys
    /// included when `KEYED`.
    #[inline(always)]
    fn rows_in_slots<const S: usize, const KEYED: bool>(
        &self,
        slots: &[Line],
        lines: &mut [Vec<u8>],
        start: usize,
        codes: &[usize],
        mut comma: impl FnMut(usize) -> Option<bool>,
    ) {
        // First touch every row's slot (as for text above), then copy from slots now in the
        // cache; unless the dictionary is small ([`TOUCH_LINES`]).
        if slots.len() > TOUCH_LINES {
            let mut touched = 0u8;
            for &code in codes {
                if let Some(s) = slot::<S>(slots, code) {
                    touched ^= s.last().copied().unwrap_or(0);
                }
            }
            std::hint::black_box(touched);
        }
        for (r, (line, &code)) in lines.iter_mut().zip(codes).enumerate() {
            let Some(c) = comma(r) else { continue };
            let skip = usize::from(!c);
            if !put_slot::<S, KEYED>(line, slots, code, &self.key, skip) {
                self.key.put(line, skip);
                push_value(line, self.column.get(start + r));
            }
        }
    }

    /// [`Col::push_rows`] a row at a time.
    fn rows_one_by_one(
        &self,
        lines: &mut [Vec<u8>],
        start: usize,
        codes: &[usize],
        mut comma: impl FnMut(usize) -> Option<bool>,
    ) {
        for (r, (line, &code)) in lines.iter_mut().zip(codes).enumerate() {
            let Some(c) = comma(r) else { continue };
            let skip = usize::from(!c);
            if !self.put(line, code, skip) {
                self.key.put(line, skip);
                push_value(line, self.column.get(start + r));
            }
        }
    }
}

/// Dictionaries of more cache lines than this (32 KiB) have their rows' slots touched before
/// they are copied ([`Col::rows_in_slots`]); a smaller one is copied from directly, the loop
/// costing more than the misses it overlaps (at 100,000, 4.95 s of CPU against 5.20 s for
/// the JSON Lines run, medians of four).
const TOUCH_LINES: usize = 512;

/// The largest dictionary whose entries are rendered with their key ([`Rendered::Slots`]):
/// 2,048 slots of at most 64 bytes, 128 KiB.
const KEYED_ENTRIES: usize = 2048;

/// Renders each value of `dictionary` once: into slots (with `key` when the dictionary is small
/// and key and value fit one) when every value fits one, else into bytes and spans. `None` when
/// the bytes would not fit 32-bit offsets.
fn render(key: &Key, dictionary: &[Value]) -> Option<Rendered> {
    let mut bytes = Vec::new();
    let mut spans = Vec::with_capacity(dictionary.len());
    let mut longest = 0;
    for v in dictionary {
        let start = bytes.len();
        push_value(&mut bytes, v);
        longest = longest.max(bytes.len() - start);
        spans.push((u32::try_from(start).ok()?, u32::try_from(bytes.len()).ok()?));
    }
    let keyed = dictionary.len() <= KEYED_ENTRIES && key.len + longest < 64;
    let prefix = if keyed { key.bytes() } else { &[] };
    let size = match prefix.len() + longest {
        0..=15 => 16,
        16..=31 => 32,
        32..=63 => 64,
        _ => {
            // So that every value can be copied as whole chunks ([`copy_entry`]).
            bytes.extend_from_slice(&[0; CHUNK]);
            return Some(Rendered::Spans(bytes, spans));
        }
    };
    let per = 64 / size;
    let mut lines = vec![Line([0; 64]); dictionary.len().div_ceil(per)];
    for (code, &(s, e)) in spans.iter().enumerate() {
        let (s, e) = (s as usize, e as usize);
        let at = (code % per) * size;
        if let (Some(Line(line)), Some(value)) = (lines.get_mut(code / per), bytes.get(s..e))
            && let Some(to) = line.get_mut(at..at + size)
        {
            for (to, from) in to.iter_mut().zip(prefix.iter().chain(value)) {
                *to = *from;
            }
            if let Some(last) = to.last_mut() {
                *last = u8::try_from(prefix.len() + e - s).unwrap_or(0);
            }
        }
    }
    Some(Rendered::Slots { lines, size, keyed })
}

/// Appends `bytes[from..to]` to `out`: as whole [`CHUNK`]s (the rendered bytes end with
/// `CHUNK` bytes of padding) and the excess cut off. False when the range is not in `bytes`.
#[inline]
fn copy_entry(out: &mut Vec<u8>, bytes: &[u8], from: usize, to: usize) -> bool {
    let Some(len) = to.checked_sub(from) else {
        return false;
    };
    if to > bytes.len() {
        return false;
    }
    let at = out.len();
    let mut i = from;
    while i < to {
        match bytes
            .get(i..i + CHUNK)
            .and_then(|c| <&[u8; CHUNK]>::try_from(c).ok())
        {
            Some(chunk) => out.extend_from_slice(chunk),
            None => out.extend_from_slice(bytes.get(i..to).unwrap_or_default()),
        }
        i += CHUNK;
    }
    out.truncate(at + len);
    true
}

/// A target ready to write.
struct Target<'a> {
    key: Vec<u8>,
    holders: &'a super::report::TargetAccounts,
    attributes: Vec<(Col<'a>, Option<&'a Bitset>)>,
}

/// Everything an identity line needs, prepared once.
pub struct IdentityWriter<'a> {
    ids: &'a Identities,
    attributes: Vec<Col<'a>>,
    groups: Vec<(Vec<u8>, &'a Bitset)>,
    packages: Vec<(Vec<u8>, &'a Bitset)>,
    targets: Vec<Target<'a>>,
    sources: Vec<Vec<u8>>,
}

fn named_sets(sets: &[(String, Bitset)]) -> Vec<(Vec<u8>, &Bitset)> {
    sets.iter()
        .map(|(n, b)| {
            let mut key = Vec::new();
            push_str(&mut key, n);
            (key, b)
        })
        .collect()
}

impl<'a> IdentityWriter<'a> {
    /// Prepares the columns of `ids` (dictionaries are rendered here, column by column in
    /// parallel).
    pub fn new(ids: &'a Identities) -> IdentityWriter<'a> {
        let attributes = ids
            .attributes
            .par_iter()
            .map(|(n, c)| Col::new(n, c))
            .collect();
        let targets = ids
            .targets
            .iter()
            .map(|t| {
                let mut key = Vec::new();
                push_str(&mut key, &t.name);
                key.push(b':');
                Target {
                    key,
                    holders: t,
                    attributes: t
                        .attributes
                        .par_iter()
                        .map(|(n, c, absent)| (Col::new(n, c), absent.as_ref()))
                        .collect(),
                }
            })
            .collect();
        let sources = ids
            .datasets
            .iter()
            .map(|d| {
                let mut s = b"{\"source\":".to_vec();
                push_str(&mut s, &d.source);
                s.extend_from_slice(b",\"key\":");
                s
            })
            .collect();
        IdentityWriter {
            ids,
            attributes,
            groups: named_sets(&ids.groups),
            packages: named_sets(&ids.packages),
            targets,
            sources,
        }
    }

    /// Appends identity `i` as one compact JSON object, `"type":"identity"` first when `typed`,
    /// without a line break.
    pub fn push(&self, out: &mut Vec<u8>, i: usize, typed: bool) {
        let mut groups = Vec::new();
        let mut packages = Vec::new();
        for (n, (_, set)) in self.groups.iter().enumerate() {
            if set.contains(i) {
                groups.push(n);
            }
        }
        for (n, (_, set)) in self.packages.iter().enumerate() {
            if set.contains(i) {
                packages.push(n);
            }
        }
        self.push_with(out, i, typed, &groups, &packages);
    }

    /// [`IdentityWriter::push`] with the identity's groups and packages given (indices, in
    /// order), as [`memberships`] finds them for many identities at once.
    fn push_with(
        &self,
        out: &mut Vec<u8>,
        i: usize,
        typed: bool,
        groups: &[usize],
        packages: &[usize],
    ) {
        if !self.push_head(out, i, typed) {
            return;
        }
        for (n, col) in self.attributes.iter().enumerate() {
            col.push(out, i, n > 0);
        }
        self.push_middle(out, i, groups, packages);
        let lifecycle = self.ids.lifecycle(i);
        let mut first = true;
        for t in &self.targets {
            let Some(state) = t.holders.state(i, lifecycle) else {
                continue;
            };
            push_account_head(out, &t.key, state, first);
            first = false;
            if state != AccountState::Held {
                let mut first = true;
                for (col, absent) in &t.attributes {
                    if absent.is_some_and(|a| a.contains(i)) {
                        continue;
                    }
                    col.push(out, i, !first);
                    first = false;
                }
            }
            out.extend_from_slice(b"}}");
        }
        self.push_tail(out, i);
    }

    /// The line of identity `i` up to its first attribute (`{"key":…,"attributes":{`); `null`
    /// and false when there is no such identity.
    fn push_head(&self, out: &mut Vec<u8>, i: usize, typed: bool) -> bool {
        let ids = self.ids;
        let Some(person) = ids.people.get(i) else {
            out.extend_from_slice(b"null");
            return false;
        };
        out.extend_from_slice(if typed {
            b"{\"type\":\"identity\",\"key\":"
        } else {
            b"{\"key\":"
        });
        push_str(out, &person.key);
        out.extend_from_slice(b",\"sources\":[");
        let mut first = true;
        for &(d, r) in &person.records {
            let (Some(data), Some(prefix)) = (ids.datasets.get(d), self.sources.get(d)) else {
                continue;
            };
            if r >= data.len() {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(prefix);
            push_str(out, data.key(r));
            out.push(b'}');
        }
        let lifecycle = ids.lifecycle(i);
        out.extend_from_slice(b"],\"lifecycle\":\"");
        out.extend_from_slice(lifecycle.word().as_bytes());
        out.extend_from_slice(if ids.ignored.contains(i) {
            b"\",\"ignored\":true,\"attributes\":{"
        } else {
            b"\",\"ignored\":false,\"attributes\":{"
        });
        true
    }

    /// From the end of the attributes to the first account (`},"groups":…,"accounts":{`).
    fn push_middle(&self, out: &mut Vec<u8>, i: usize, groups: &[usize], packages: &[usize]) {
        out.extend_from_slice(b"},\"groups\":[");
        push_names(out, &self.groups, groups);
        out.extend_from_slice(b"],\"access_packages\":[");
        push_names(out, &self.packages, packages);
        out.push(b']');
        if let Some(origins) = self.ids.package_origins.get(&i) {
            out.extend_from_slice(b",\"access_package_origins\":{");
            for (n, (package, from)) in origins.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                push_str(out, package);
                out.extend_from_slice(b":[");
                for (k, f) in from.iter().enumerate() {
                    if k > 0 {
                        out.push(b',');
                    }
                    push_str(out, f);
                }
                out.push(b']');
            }
            out.push(b'}');
        }
        out.extend_from_slice(b",\"accounts\":{");
    }

    /// From the end of the accounts to the end of the line (without the line break).
    fn push_tail(&self, out: &mut Vec<u8>, i: usize) {
        let ids = self.ids;
        out.push(b'}');
        let undetermined = ids.undetermined(i);
        if !undetermined.is_empty() {
            out.extend_from_slice(b",\"undetermined\":[");
            for (n, (_, u)) in undetermined.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"of\":");
                push_str(out, &u.of);
                out.extend_from_slice(b",\"reason\":");
                push_str(out, &u.reason);
                out.push(b'}');
            }
            out.push(b']');
        }
        let due = ids.tasks_due(i);
        if !due.is_empty() {
            out.extend_from_slice(b",\"tasks_due\":");
            let events: Vec<&crate::governance::Event> = due.iter().map(|(_, e)| e).collect();
            out.extend_from_slice(crate::escape::json_compact(&events).as_bytes());
        }
        let carried = ids.carried(i);
        if !carried.is_empty() {
            out.extend_from_slice(b",\"carried_effects\":");
            out.extend_from_slice(crate::escape::json_compact(&carried).as_bytes());
        }
        out.push(b'}');
    }

    /// The lines of the identities `start..start + lines.len()` (each line cleared first, no
    /// line break), rendered a column at a time; `groups` and `packages` as [`memberships`]
    /// finds them for these rows. The bytes are those of [`IdentityWriter::push_with`] row by
    /// row.
    fn push_block(
        &self,
        lines: &mut [Vec<u8>],
        block: &mut Block,
        start: usize,
        typed: bool,
        groups: &[Vec<usize>],
        packages: &[Vec<usize>],
    ) {
        let Block {
            states,
            first,
            accounts,
            codes,
        } = block;
        let n = lines.len();
        let mut present = true;
        for (r, line) in lines.iter_mut().enumerate() {
            line.clear();
            present &= self.push_head(line, start + r, typed);
        }
        if !present {
            // Rows past the population (not in a report's own rows): row by row.
            for (r, line) in lines.iter_mut().enumerate() {
                let no = Vec::new();
                line.clear();
                let g = groups.get(r).unwrap_or(&no);
                let p = packages.get(r).unwrap_or(&no);
                self.push_with(line, start + r, typed, g, p);
            }
            return;
        }
        for (c, col) in self.attributes.iter().enumerate() {
            col.push_rows(lines, start, codes, |_| Some(c > 0));
        }
        for (r, line) in lines.iter_mut().enumerate() {
            let no = Vec::new();
            let g = groups.get(r).unwrap_or(&no);
            let p = packages.get(r).unwrap_or(&no);
            self.push_middle(line, start + r, g, p);
        }
        accounts.clear();
        accounts.resize(n, false);
        for t in &self.targets {
            states.clear();
            states.extend((start..start + n).map(|i| t.holders.state(i, self.ids.lifecycle(i))));
            for ((line, state), any) in lines.iter_mut().zip(states.iter()).zip(accounts.iter_mut())
            {
                if let Some(state) = *state {
                    push_account_head(line, &t.key, state, !*any);
                    *any = true;
                }
            }
            first.clear();
            first.resize(n, true);
            for (col, absent) in &t.attributes {
                col.push_rows(lines, start, codes, |r| {
                    match states.get(r) {
                        Some(Some(AccountState::Enabled | AccountState::Disabled)) => {}
                        _ => return None,
                    }
                    if absent.is_some_and(|a| a.contains(start + r)) {
                        return None;
                    }
                    let f = first.get_mut(r)?;
                    let comma = !*f;
                    *f = false;
                    Some(comma)
                });
            }
            for (line, state) in lines.iter_mut().zip(states.iter()) {
                if state.is_some() {
                    line.extend_from_slice(b"}}");
                }
            }
        }
        for (r, line) in lines.iter_mut().enumerate() {
            self.push_tail(line, start + r);
        }
    }
}

/// An account's opening (`"target":{"enabled":…,"attributes":{`), with a comma first unless it
/// is the identity's first account.
fn push_account_head(out: &mut Vec<u8>, key: &[u8], state: AccountState, first: bool) {
    if !first {
        out.push(b',');
    }
    out.extend_from_slice(key);
    out.extend_from_slice(match state {
        AccountState::Enabled => b"{\"enabled\":true,\"state\":\"enabled\",\"attributes\":{",
        AccountState::Disabled => b"{\"enabled\":false,\"state\":\"disabled\",\"attributes\":{",
        AccountState::Held => b"{\"enabled\":false,\"state\":\"held\",\"attributes\":{",
    });
}

/// The per-row buffers of a block rendered a column at a time, kept from batch to batch.
#[derive(Default)]
struct Block {
    /// Each row's account state in the target being written.
    states: Vec<Option<AccountState>>,
    /// Whether no attribute of the row's account is written yet.
    first: Vec<bool>,
    /// Whether the row has an account written already.
    accounts: Vec<bool>,
    /// The codes of the column being written, for the block's rows.
    codes: Vec<usize>,
}

fn push_names(out: &mut Vec<u8>, sets: &[(Vec<u8>, &Bitset)], which: &[usize]) {
    for (n, &s) in which.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        if let Some((name, _)) = sets.get(s) {
            out.extend_from_slice(name);
        }
    }
}

/// The sets (by index, in order) each identity of the contiguous range `rows` belongs to, into
/// `out` (one list per identity, cleared first): read a word of 64 identities at a time, so
/// 2,000 groups cost a few thousand word reads per task, not 2,000 lookups per identity.
fn memberships(
    sets: &[(Vec<u8>, &Bitset)],
    rows: std::ops::Range<usize>,
    out: &mut Vec<Vec<usize>>,
) {
    out.resize_with(rows.len(), Vec::new);
    for list in out.iter_mut() {
        list.clear();
    }
    if rows.is_empty() {
        return;
    }
    const BITS: usize = usize::BITS as usize;
    for (n, (_, set)) in sets.iter().enumerate() {
        let blocks = set.as_slice();
        for w in rows.start / BITS..=(rows.end - 1) / BITS {
            let mut bits = blocks.get(w).copied().unwrap_or(0);
            while bits != 0 {
                let i = w * BITS + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if rows.contains(&i)
                    && let Some(list) = out.get_mut(i - rows.start)
                {
                    list.push(n);
                }
            }
        }
    }
}

/// Identities rendered per task, and tasks per batch: a batch (about 20 MB for generated
/// identities of 1,250 values) is rendered in parallel while the previous one is written.
const PER_TASK: usize = 128;
const TASKS_PER_BATCH: usize = 4;

/// The buffers of one task, kept from batch to batch (no allocation, no page faults).
#[derive(Default)]
struct Task {
    out: Vec<u8>,
    groups: Vec<Vec<usize>>,
    packages: Vec<Vec<usize>>,
    block: Block,
    /// One line per row of a block rendered a column at a time.
    lines: Vec<Vec<u8>>,
    /// The lines of `lines` rendered in this batch (written after `out`).
    used: usize,
    /// The longest line rendered so far.
    widest: usize,
}

impl Task {
    fn render(&mut self, writer: &IdentityWriter<'_>, rows: &[usize], typed: bool) {
        self.out.clear();
        self.used = 0;
        let (Some(&first), Some(&last)) = (rows.first(), rows.last()) else {
            return;
        };
        if last + 1 - first == rows.len() {
            memberships(&writer.groups, first..last + 1, &mut self.groups);
            memberships(&writer.packages, first..last + 1, &mut self.packages);
            if self.lines.len() < rows.len() {
                self.lines.resize_with(rows.len(), Vec::new);
            }
            self.used = rows.len();
            if let Some(lines) = self.lines.get_mut(..rows.len()) {
                // Each line room for the longest seen so far, at once: no line grows by
                // doubling (a copy, and fresh pages) batch after batch.
                // (Rounded up, so that a line slightly longer than the last does not move
                // every line again.)
                let room = self.widest.next_power_of_two();
                for line in lines.iter_mut() {
                    line.clear();
                    if line.capacity() < room {
                        // A new buffer, not a reallocation: nothing in the old one is kept.
                        *line = Vec::with_capacity(room);
                    }
                }
                writer.push_block(
                    lines,
                    &mut self.block,
                    first,
                    typed,
                    &self.groups,
                    &self.packages,
                );
                for line in lines {
                    line.push(b'\n');
                    self.widest = self.widest.max(line.len());
                }
            }
        } else {
            for &i in rows {
                writer.push(&mut self.out, i, typed);
                self.out.push(b'\n');
            }
        }
    }
}

/// Sets of task buffers in flight: one being written, the others being rendered or waiting.
const SETS: usize = 3;

/// Writes the identities `rows` (indices, in order) one line each, rendered in parallel
/// batches; `progress` is told how many are written after each batch.
///
/// The writing has a thread of its own, outside the pool that renders: a write into a pipe
/// waits for the reader (`jq`, `wc`) most of the time, and a pool thread waiting there is a
/// core that renders nothing. Batches go to it in order, and their buffers come back to be
/// rendered into again (no allocation, no page faults, once each set has grown).
pub fn write_identities<W: Write + Send>(
    w: &mut io::BufWriter<W>,
    writer: &IdentityWriter<'_>,
    rows: &[usize],
    typed: bool,
    progress: &mut (dyn FnMut(usize) + Send),
) -> io::Result<()> {
    // What is buffered goes first: the lines themselves bypass the buffer.
    w.flush()?;
    let out = w.get_mut();
    let (rendered, to_write) = std::sync::mpsc::sync_channel::<(Vec<Task>, usize)>(SETS);
    let (written, to_render) = std::sync::mpsc::channel::<Vec<Task>>();
    for _ in 0..SETS {
        // The receiver is alive: it is dropped at the end of this function.
        let _ = written.send((0..TASKS_PER_BATCH).map(|_| Task::default()).collect());
    }
    std::thread::scope(|scope| {
        let writing = scope.spawn(move || -> io::Result<()> {
            let mut done = 0;
            for (tasks, n) in to_write {
                // Straight from the tasks' buffers, in as few system calls as the writer
                // allows (no copy into the buffered writer first).
                let mut slices: Vec<io::IoSlice<'_>> =
                    Vec::with_capacity(PER_TASK * TASKS_PER_BATCH + TASKS_PER_BATCH);
                for task in &tasks {
                    if !task.out.is_empty() {
                        slices.push(io::IoSlice::new(&task.out));
                    }
                    slices.extend(
                        task.lines
                            .get(..task.used)
                            .unwrap_or_default()
                            .iter()
                            .map(|line| io::IoSlice::new(line)),
                    );
                }
                write_all_vectored(out, &mut slices)?;
                done += n;
                progress(done);
                if written.send(tasks).is_err() {
                    break;
                }
            }
            Ok(())
        });
        for batch in rows.chunks(PER_TASK * TASKS_PER_BATCH) {
            // None once the writer has stopped (a failed write): its error is returned below.
            let Ok(mut tasks) = to_render.recv() else {
                break;
            };
            for task in &mut tasks {
                // A last batch may leave a task without rows.
                task.out.clear();
                task.used = 0;
            }
            tasks
                .par_iter_mut()
                .zip(batch.par_chunks(PER_TASK))
                .for_each(|(task, rows)| task.render(writer, rows, typed));
            if rendered.send((tasks, batch.len())).is_err() {
                break;
            }
        }
        drop(rendered);
        writing
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the JSON Lines writer stopped")))
    })
}

/// Writes every byte of `slices`, a few system calls at a time where the writer takes them
/// together (`Write::write_all_vectored` is not stable yet).
fn write_all_vectored(w: &mut impl Write, mut slices: &mut [io::IoSlice<'_>]) -> io::Result<()> {
    io::IoSlice::advance_slices(&mut slices, 0);
    while !slices.is_empty() {
        match w.write_vectored(slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => io::IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Appends `value` (a JSON object) with `"type":"<kind>"` as its first field, and a line break.
fn push_typed<T: serde::Serialize>(out: &mut Vec<u8>, kind: &str, value: &T) {
    let json = json_compact(value);
    out.extend_from_slice(b"{\"type\":");
    push_str(out, kind);
    match json.strip_prefix('{') {
        Some("}") | None => out.push(b'}'),
        Some(rest) => {
            out.push(b',');
            out.extend_from_slice(rest.as_bytes());
        }
    }
    out.push(b'\n');
}

/// Writes the report as JSON Lines: the summary line (with the as-of date), then one line per
/// identity of `rows`, per conflict and per data problem, each kind when `sections` has it.
pub fn write(
    w: impl Write + Send,
    state: &DesiredState,
    sections: Sections,
    rows: &[usize],
    progress: &mut (dyn FnMut(usize) + Send),
) -> io::Result<()> {
    let mut w = io::BufWriter::with_capacity(1 << 20, w);
    let mut out = Vec::new();
    if sections.summary {
        #[derive(serde::Serialize)]
        struct Head<'a> {
            as_of: String,
            summary: &'a super::report::Summary,
        }
        push_typed(
            &mut out,
            "summary",
            &Head {
                as_of: state.as_of.to_string(),
                summary: &state.summary,
            },
        );
        w.write_all(&out)?;
    }
    if sections.identities {
        let writer = IdentityWriter::new(&state.identities);
        write_identities(&mut w, &writer, rows, true, progress)?;
    }
    if sections.issues {
        for c in &state.conflicts {
            out.clear();
            push_typed(&mut out, "conflict", c);
            w.write_all(&out)?;
        }
        for issue in &state.issues {
            out.clear();
            push_typed(&mut out, "issue", issue);
            w.write_all(&out)?;
        }
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_written_as_the_escaping_serialiser_writes_them() {
        for s in [
            "",
            "plain",
            "Zoë Ångström",
            "quote \" and \\ backslash",
            "line\nbreak\ttab",
            "del\u{7f}",
            "c1\u{9b}31m",
            "bidi\u{202e}txet",
            "##[error]forged",
            "# heading [x]",
            "#\u{23}[",
            "\u{2028}",
            "emoji 🦀",
        ] {
            let mut out = Vec::new();
            push_str(&mut out, s);
            assert_eq!(String::from_utf8(out).unwrap(), json_compact(s), "{s:?}");
        }
    }

    #[test]
    fn values_are_written_as_the_report_serialises_them() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 15)
            .unwrap()
            .and_hms_opt(13, 5, 0)
            .unwrap();
        for v in [
            Value::Null,
            Value::Int(-42),
            Value::Bool(true),
            Value::Str("a\u{202e}b".into()),
            Value::Date(date),
            Value::List(vec![Value::Str("x".into()), Value::Int(1), Value::Null]),
            Value::Object(vec![
                ("a".into(), Value::Int(1)),
                ("a".into(), Value::Str("##[x".into())),
            ]),
        ] {
            let mut out = Vec::new();
            push_value(&mut out, &v);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                json_compact(&v.to_json()),
                "{v:?}"
            );
        }
    }

    /// The block renderer (a column at a time) writes exactly the lines of the row-by-row one,
    /// on the bundled example (several targets, held and disabled accounts, absent attributes,
    /// undetermined memberships, package origins, carried effects) at blocks of every size.
    #[test]
    fn blocks_write_the_same_lines_as_rows() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
        let loaded = crate::policy::load::load(&root).unwrap();
        let mut diagnostics = Vec::new();
        let policy = crate::policy::compile::compile(&loaded, &mut diagnostics);
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        // A previous state that carries the effects of change-triggered runs for two people
        // (`carried_effects`, written at the end of their lines).
        let previous = "{\"type\":\"summary\",\"as_of\":\"2026-11-24\"}\n\
            {\"type\":\"identity\",\"key\":\"1001\",\"carried_effects\":[{\"what\":\"group\",\"name\":\"all-staff\",\"effect\":\"removed\",\"workflow\":\"mover-department\",\"date\":\"2026-11-20\"},{\"what\":\"account\",\"effect\":\"disabled\",\"workflow\":\"leaver-terminated\",\"date\":\"2026-11-21\"}]}\n\
            {\"type\":\"identity\",\"key\":\"1002\",\"carried_effects\":[{\"what\":\"all_packages\",\"effect\":\"removed\",\"workflow\":\"leaver-terminated\",\"date\":\"2026-11-22\"}]}\n";
        let want = crate::governance::workflows::wanted(&loaded);
        let previous = crate::governance::previous::read_from(
            previous.as_bytes(),
            crate::governance::previous::Format::Jsonl,
            "previous.jsonl",
            &want,
        )
        .unwrap();
        let mut options = super::super::Options::at(as_of);
        options.previous = Some(std::sync::Arc::new(previous));
        let state = super::super::evaluate(&loaded, &policy, options);
        let ids = &state.identities;
        assert!(ids.len() > 30);
        assert_eq!(ids.carried.len(), 2);
        let writer = IdentityWriter::new(ids);
        let rows: Vec<Vec<u8>> = (0..ids.len())
            .map(|i| {
                let mut out = Vec::new();
                writer.push(&mut out, i, true);
                out
            })
            .collect();
        for size in [1, 2, 7, 64, ids.len()] {
            let mut task = Task::default();
            let all: Vec<usize> = (0..ids.len()).collect();
            for chunk in all.chunks(size) {
                task.render(&writer, chunk, true);
                assert!(task.out.is_empty());
                for (line, &i) in task.lines.iter().take(task.used).zip(chunk) {
                    let line = line.strip_suffix(b"\n").unwrap();
                    assert_eq!(
                        String::from_utf8_lossy(line),
                        String::from_utf8_lossy(&rows[i]),
                        "block of {size}, row {i}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_column_writes_the_same_with_and_without_its_rendered_dictionary() {
        // Values in slots of 16, 32 and 64 bytes (the longest rendered value 15 and 16, 31
        // and 32, 63 bytes: a slot holds one byte less than its size), then with spans (64
        // and 210 bytes); keys shorter and longer than a chunk, and of exactly one; small
        // dictionaries (with the key in the slot when it fits) and large ones.
        for distinct in [5, 3 * KEYED_ENTRIES + 1] {
            for longest in [0, 15, 16, 31, 32, 63, 64, 210] {
                for name in ["name", &"k".repeat(CHUNK - 4), &"long".repeat(20)] {
                    one_column(distinct, longest, name);
                }
            }
        }
    }

    /// A column of `distinct` values or so, the longest rendered in `longest` bytes, written
    /// row by row and a column at a time, against the values written one by one.
    fn one_column(distinct: usize, longest: usize, name: &str) {
        let values: Vec<Value> = (0..distinct * 8)
            .map(|i| match i % 3 {
                0 => Value::Null,
                // `"`, then `é` (two bytes) and `a` to the length, then `"`.
                1 if i % 5 == 1 && longest > 0 => Value::Str(format!(
                    "{}{}",
                    "é".repeat((longest - 2) / 2),
                    "a".repeat((longest - 2) % 2)
                )),
                1 => Value::Str(format!("v{}", i % distinct)),
                _ => Value::Int((i % 4) as i64),
            })
            .collect();
        let column = Column::from_values(values.clone());
        assert_eq!(
            column.dictionary().len() > KEYED_ENTRIES,
            distinct > KEYED_ENTRIES
        );
        let col = Col::new(name, &column);
        let key = name.len() + 4;
        let keyed = column.dictionary().len() <= KEYED_ENTRIES && key + longest.max(6) < 64;
        let entry = longest.max(if distinct > 10 { 7 } else { 4 }) + if keyed { key } else { 0 };
        match &col.rendered {
            Some(Rendered::Slots { size, keyed: k, .. }) => {
                assert_eq!(*k, keyed, "{longest} {name}");
                assert_eq!(
                    *size,
                    (entry + 1).next_power_of_two().max(16),
                    "{longest} {name}"
                );
            }
            Some(Rendered::Spans(..)) => assert!(!keyed && entry >= 64, "{longest}"),
            None => panic!("not rendered"),
        }
        let mut expected = Vec::new();
        for (i, v) in values.iter().enumerate() {
            for comma in [false, true] {
                let mut fast = b"x".to_vec();
                col.push(&mut fast, i, comma);
                let mut slow = if comma { b"x,".to_vec() } else { b"x".to_vec() };
                push_str(&mut slow, name);
                slow.push(b':');
                push_value(&mut slow, v);
                assert_eq!(fast, slow, "row {i}, {longest}");
                if comma == (i % 2 == 0) {
                    expected.push(slow);
                }
            }
        }
        // A column at a time over a block: the same bytes; rows of every third skipped.
        let mut lines: Vec<Vec<u8>> = (0..values.len()).map(|_| b"x".to_vec()).collect();
        let mut codes = Vec::new();
        col.push_rows(&mut lines, 0, &mut codes, |r| {
            (r % 3 != 2).then_some(r % 2 == 0)
        });
        for (r, (line, expected)) in lines.iter().zip(&expected).enumerate() {
            if r % 3 == 2 {
                assert_eq!(line, b"x");
            } else {
                assert_eq!(line, expected, "row {r}, {longest}, {name}");
            }
        }
    }
}
