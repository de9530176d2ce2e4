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
//! a column at a time (each column's codes for the block in one stream; a short rendered entry
//! in a 64-byte slot of its own, found from the code alone; every row's slot or text touched
//! in a tight loop before the copies, so that the cache misses of large dictionaries overlap),
//! into one line buffer per identity, and the lines go to the output with vectored writes
//! (no copy into a buffer). A test checks that every line is byte for byte the
//! compact form of the identity's `serde` serialisation ([`crate::escape::json_compact`]).

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

/// The start and end of one rendered dictionary entry in a column's bytes.
type Span = (u32, u32);

/// The size of a [`Slot`].
const SLOT: usize = 64;

/// One rendered dictionary entry on a cache line of its own: its bytes, and its length in the
/// last byte.
#[derive(Clone, Copy)]
#[repr(align(64))]
struct Slot([u8; SLOT]);

/// A column's dictionary, rendered (comma and key included).
enum Rendered {
    /// Every entry fits a slot (at most `SLOT - 1` bytes): entry `code` is slot `code`, so
    /// where a row's bytes are is a function of its code alone (one cache line to load, and
    /// no load that waits for another, which the processor overlaps across rows), and it is
    /// copied as one fixed-size chunk.
    Slots(Vec<Slot>),
    /// Some entry is longer: the bytes (with [`CHUNK`] bytes of padding), and the start and
    /// end of each code's bytes.
    Spans(Vec<u8>, Vec<Span>),
}

/// A column ready to write: `,"name":` and, when rows share values enough for that to pay,
/// `,"name":value` for each dictionary value (one copy per row then). The leading comma is
/// dropped for the first field of an object.
struct Col<'a> {
    key: Vec<u8>,
    column: &'a Column,
    /// The rendered dictionary entries.
    rendered: Option<Rendered>,
}

impl<'a> Col<'a> {
    fn new(name: &str, column: &'a Column) -> Col<'a> {
        let mut key = vec![b','];
        push_str(&mut key, name);
        key.push(b':');
        let dictionary = column.dictionary();
        // One distinct value in four rows or fewer: render each once.
        let rendered = (dictionary.len().saturating_mul(4) <= column.len()).then(|| {
            // Straight into slots (one allocation of the final size, no bytes in between)
            // while every entry fits one.
            let mut slots = Vec::with_capacity(dictionary.len());
            let mut entry = Vec::with_capacity(SLOT);
            for v in dictionary {
                entry.clear();
                entry.extend_from_slice(&key);
                push_value(&mut entry, v);
                if entry.len() >= SLOT {
                    break;
                }
                let mut slot = [0; SLOT];
                for (to, from) in slot.iter_mut().zip(&entry) {
                    *to = *from;
                }
                slot[SLOT - 1] = u8::try_from(entry.len()).unwrap_or(0);
                slots.push(Slot(slot));
            }
            if slots.len() == dictionary.len() {
                return Some(Rendered::Slots(slots));
            }
            drop(slots);
            let mut bytes = Vec::new();
            let mut spans = Vec::with_capacity(dictionary.len());
            for v in dictionary {
                let start = bytes.len();
                bytes.extend_from_slice(&key);
                push_value(&mut bytes, v);
                spans.push((u32::try_from(start).ok()?, u32::try_from(bytes.len()).ok()?));
            }
            // So that every short entry can be copied as a whole chunk ([`copy_entry`]).
            bytes.extend_from_slice(&[0; CHUNK]);
            Some(Rendered::Spans(bytes, spans))
        });
        Col {
            key,
            column,
            rendered: rendered.flatten(),
        }
    }

    /// Appends the rendered entry of `code` (without its comma when `skip` is 1); false when
    /// the dictionary is not rendered.
    #[inline]
    fn put(&self, out: &mut Vec<u8>, code: usize, skip: usize) -> bool {
        match &self.rendered {
            Some(Rendered::Slots(slots)) => match slots.get(code) {
                Some(slot) => {
                    copy_slot(out, slot, skip);
                    true
                }
                None => false,
            },
            Some(Rendered::Spans(bytes, spans)) => spans
                .get(code)
                .is_some_and(|&(s, e)| copy_entry(out, bytes, s as usize + skip, e as usize)),
            None => false,
        }
    }

    /// Appends row `i` as `"name":value`, with a comma first when `comma`.
    #[inline]
    fn push(&self, out: &mut Vec<u8>, i: usize, comma: bool) {
        let skip = usize::from(!comma);
        if self.put(out, self.column.code(i) as usize, skip) {
            return;
        }
        out.extend_from_slice(self.key.get(skip..).unwrap_or_default());
        push_value(out, self.column.get(i));
    }

    /// Appends the value of rows `start..start + lines.len()` to their lines, each where
    /// `comma` (given the row's place in the block) says `Some(whether a comma goes first)`.
    /// One column at a time over a block of rows: its codes are read in one stream and its
    /// dictionary stays in the cache, instead of a thousand columns touched per row.
    fn push_rows(
        &self,
        lines: &mut [Vec<u8>],
        start: usize,
        mut comma: impl FnMut(usize) -> Option<bool>,
    ) {
        let n = lines.len();
        // The block's codes, in one stream.
        let codes: Vec<usize> = match self.column.codes() {
            Codes::U8(codes) if codes.len() >= start + n => codes
                .get(start..start + n)
                .unwrap_or_default()
                .iter()
                .map(|&c| usize::from(c))
                .collect(),
            Codes::U16(codes) if codes.len() >= start + n => codes
                .get(start..start + n)
                .unwrap_or_default()
                .iter()
                .map(|&c| usize::from(c))
                .collect(),
            Codes::U32(codes) if codes.len() >= start + n => codes
                .get(start..start + n)
                .unwrap_or_default()
                .iter()
                .map(|&c| c as usize)
                .collect(),
            _ => (start..start + n)
                .map(|i| self.column.code(i) as usize)
                .collect(),
        };
        if self.rendered.is_none() {
            // Values rendered row by row (a dictionary almost as large as the column): touch
            // each row's text first, as below.
            let dictionary = self.column.dictionary();
            let mut touched = 0u8;
            for &code in &codes {
                if let Some(Value::Str(s)) = dictionary.get(code) {
                    touched ^= s.as_bytes().first().copied().unwrap_or(0);
                }
            }
            std::hint::black_box(touched);
            for (r, line) in lines.iter_mut().enumerate() {
                if let Some(c) = comma(r) {
                    self.push(line, start + r, c);
                }
            }
            return;
        }
        if let Some(Rendered::Slots(slots)) = &self.rendered {
            // First touch every row's slot in a loop short enough for the processor to have
            // dozens of those loads in flight at once (each misses the cache when the
            // dictionary is large), then copy from slots now in the cache.
            let mut touched = 0u8;
            for &code in &codes {
                if let Some(Slot(slot)) = slots.get(code) {
                    touched ^= slot[SLOT - 1];
                }
            }
            std::hint::black_box(touched);
            for (r, (line, &code)) in lines.iter_mut().zip(&codes).enumerate() {
                let Some(c) = comma(r) else { continue };
                match slots.get(code) {
                    Some(slot) => copy_slot(line, slot, usize::from(!c)),
                    None => self.push(line, start + r, c),
                }
            }
            return;
        }
        for (r, (line, &code)) in lines.iter_mut().zip(&codes).enumerate() {
            let Some(c) = comma(r) else { continue };
            if !self.put(line, code, usize::from(!c)) {
                self.push(line, start + r, c);
            }
        }
    }
}

/// Appends a slot's entry (without its comma when `skip` is 1): the whole slot as one
/// fixed-size copy, then the excess cut off.
#[inline(always)]
fn copy_slot(out: &mut Vec<u8>, Slot(slot): &Slot, skip: usize) {
    let len = usize::from(slot[SLOT - 1]);
    if skip == 0 {
        let at = out.len();
        out.extend_from_slice(slot);
        out.truncate(at + len);
    } else {
        out.extend_from_slice(slot.get(skip..len).unwrap_or_default());
    }
}

/// The size of the chunk a short rendered entry is copied as: a copy of a known size is a few
/// vector moves, where one of a varying size is a call to `memmove` (most entries are short).
const CHUNK: usize = 64;

/// Appends `bytes[from..to]` to `out`: an entry of at most [`CHUNK`] bytes is copied as a whole
/// chunk (the rendered bytes end with `CHUNK` bytes of padding) and the excess cut off.
/// False when the range is not in `bytes`.
#[inline]
fn copy_entry(out: &mut Vec<u8>, bytes: &[u8], from: usize, to: usize) -> bool {
    let Some(len) = to.checked_sub(from) else {
        return false;
    };
    if len <= CHUNK
        && to <= bytes.len()
        && let Some(chunk) = bytes
            .get(from..from + CHUNK)
            .and_then(|c| <&[u8; CHUNK]>::try_from(c).ok())
    {
        let at = out.len();
        out.extend_from_slice(chunk);
        out.truncate(at + len);
        return true;
    }
    match bytes.get(from..to) {
        Some(b) => {
            out.extend_from_slice(b);
            true
        }
        None => false,
    }
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
            col.push_rows(lines, start, |_| Some(c > 0));
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
                col.push_rows(lines, start, |r| {
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

/// Writes the identities `rows` (indices, in order) one line each, rendered in parallel
/// batches, each written while the next is rendered; `progress` is told how many are written
/// after each batch.
pub fn write_identities<W: Write + Send>(
    w: &mut io::BufWriter<W>,
    writer: &IdentityWriter<'_>,
    rows: &[usize],
    typed: bool,
    progress: &mut (dyn FnMut(usize) + Send),
) -> io::Result<()> {
    // What is buffered goes first: the lines themselves bypass the buffer.
    w.flush()?;
    let mut batches = rows.chunks(PER_TASK * TASKS_PER_BATCH);
    let mut ready: Vec<Task> = (0..TASKS_PER_BATCH).map(|_| Task::default()).collect();
    let mut spare: Vec<Task> = (0..TASKS_PER_BATCH).map(|_| Task::default()).collect();
    let render = |tasks: &mut [Task], batch: &[usize]| {
        tasks
            .par_iter_mut()
            .zip(batch.par_chunks(PER_TASK))
            .for_each(|(task, rows)| task.render(writer, rows, typed));
    };
    let Some(first) = batches.next() else {
        return Ok(());
    };
    render(&mut ready, first);
    let mut done = first.len();
    let mut pending = true;
    while pending {
        let next = batches.next();
        let (written, ()) = rayon::join(
            || -> io::Result<()> {
                // Straight from the tasks' buffers, in as few system calls as the writer
                // allows (no copy into the buffered writer first).
                let mut slices: Vec<io::IoSlice<'_>> =
                    Vec::with_capacity(PER_TASK * TASKS_PER_BATCH + TASKS_PER_BATCH);
                for task in &ready {
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
                write_all_vectored(w.get_mut(), &mut slices)
            },
            || {
                for task in &mut spare {
                    task.out.clear();
                    task.used = 0;
                }
                if let Some(batch) = next {
                    render(&mut spare, batch);
                }
            },
        );
        written?;
        progress(done);
        std::mem::swap(&mut ready, &mut spare);
        match next {
            Some(batch) => done += batch.len(),
            None => pending = false,
        }
    }
    Ok(())
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
    /// undetermined memberships, package origins) at blocks of every size.
    #[test]
    fn blocks_write_the_same_lines_as_rows() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
        let loaded = crate::policy::load::load(&root).unwrap();
        let mut diagnostics = Vec::new();
        let policy = crate::policy::compile::compile(&loaded, &mut diagnostics);
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let state = super::super::evaluate(&loaded, &policy, super::super::Options::at(as_of));
        let ids = &state.identities;
        assert!(ids.len() > 30);
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
        // Entries in slots (all short, the longest 63 bytes with its comma and key: a slot's
        // length), then with spans (one 64 bytes long, one of 210).
        for long in [0, 53, 54, 200] {
            let values: Vec<Value> = (0..40)
                .map(|i| match i % 3 {
                    0 => Value::Null,
                    1 if i % 5 == 1 && long > 0 => {
                        Value::Str(format!("{}{}", "é".repeat(long / 2), "a".repeat(long % 2)))
                    }
                    1 => Value::Str(format!("v{}", i % 5)),
                    _ => Value::Int(i % 4),
                })
                .collect();
            let column = Column::from_values(values.clone());
            let col = Col::new("name", &column);
            match &col.rendered {
                Some(Rendered::Slots(_)) => assert!(long < 54, "{long}"),
                Some(Rendered::Spans(..)) => assert!(long >= 54, "{long}"),
                None => panic!("not rendered"),
            }
            for (i, v) in values.iter().enumerate() {
                for comma in [false, true] {
                    let mut fast = b"x".to_vec();
                    col.push(&mut fast, i, comma);
                    let mut slow = if comma { b"x,".to_vec() } else { b"x".to_vec() };
                    slow.extend_from_slice(b"\"name\":");
                    push_value(&mut slow, v);
                    assert_eq!(fast, slow, "row {i}, {long}");
                }
            }
        }
    }
}
