//! Builds [`Accounts`] while the format readers parse: each record's attributes go straight
//! into dictionary-encoded columns, kept sparse (row, code) until the end so that an attribute
//! few objects have costs only what they hold. Issues go through a [`Sink`] that keeps the
//! first few of each kind per file and field and counts the rest.

use fixedbitset::FixedBitSet;
use foldhash::fast::FixedState;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use super::{
    Accounts, Attribute, Cell, DataIssue, Format, Location, Member, ObjectKind, ReadOptions, Tap,
    Texts, Values, quote,
};
use crate::codes::Code;
use crate::column::{Codes, Column, ColumnBuilder};
use crate::diagnostics::Severity;
use crate::value::Value;

/// Issues of one code about one file and field shown before the rest are only counted.
const SHOWN: usize = 20;

/// Collects issues, capping repeats.
pub(crate) struct Sink {
    issues: Vec<DataIssue>,
    counts: HashMap<(Code, String, Option<String>), (usize, Severity)>,
    order: Vec<(Code, String, Option<String>)>,
    /// On a reading thread: every issue is handed on, in order with the records, to the
    /// sink of the thread that builds (see [`Pipe`]).
    forward: Option<Route>,
}

impl Sink {
    pub fn new() -> Sink {
        Sink {
            issues: Vec::new(),
            counts: HashMap::new(),
            order: Vec::new(),
            forward: None,
        }
    }

    pub fn push(&mut self, issue: DataIssue) {
        if let Some(route) = &self.forward {
            route.send(Piece::Issue(issue));
            return;
        }
        let key = (issue.code, issue.file.clone(), issue.field.clone());
        let entry = self.counts.entry(key.clone()).or_insert_with(|| {
            self.order.push(key);
            (0, issue.severity)
        });
        entry.0 = entry.0.saturating_add(1);
        if issue.severity > entry.1 {
            entry.1 = issue.severity;
        }
        if entry.0 <= SHOWN {
            self.issues.push(issue);
        }
    }

    /// The issues of `self`, then those of `later`, as if one sink had taken them all: the
    /// lines of counted repeats come last.
    pub fn finish_with(mut self, later: Sink) -> Vec<DataIssue> {
        self.issues.extend(later.issues);
        for key in later.order {
            let Some((count, severity)) = later.counts.get(&key).copied() else {
                continue;
            };
            match self.counts.get_mut(&key) {
                Some(entry) => {
                    entry.0 = entry.0.saturating_add(count);
                    entry.1 = entry.1.max(severity);
                }
                None => {
                    self.counts.insert(key.clone(), (count, severity));
                    self.order.push(key);
                }
            }
        }
        self.finish()
    }

    /// The issues, with one line per kind whose repeats were counted.
    pub fn finish(mut self) -> Vec<DataIssue> {
        for key in &self.order {
            let Some((count, severity)) = self.counts.get(key) else {
                continue;
            };
            if *count > SHOWN {
                let (code, file, field) = key;
                let mut issue = DataIssue::new(
                    *code,
                    file,
                    format!("{} more like this in the file", count.saturating_sub(SHOWN)),
                )
                .severity(*severity);
                issue.field.clone_from(field);
                self.issues.push(issue);
            }
        }
        self.issues
    }
}

/// Where a reader hands what it parsed, in order: the [`Builder`] itself, or a [`Pipe`] to a
/// builder on another thread.
pub(super) trait Out: Send {
    /// The records that follow come from file `name`.
    fn start_file(&mut self, name: &str);
    /// The next records, in order (their issues go to `sink` as each is added).
    fn push_all(&mut self, recs: Vec<Rec>, sink: &mut Sink);
    /// What a page file said about the paging, after its records.
    fn page(&mut self, page: Page);
    /// A CSV file, read where the builder is (its header names the builder's columns).
    fn read_csv(&mut self, text: &str, file: &str, options: &ReadOptions, sink: &mut Sink);
}

/// What a reading thread sends the building thread, in the order read.
pub(super) enum Piece {
    Start(String),
    Issue(DataIssue),
    Recs(Vec<Rec>),
    Page(Page),
    Csv { text: String, file: String },
}

/// Where a [`Pipe`] sends: to the building thread, or into a buffer that is sent there later
/// (a file parsed in parallel with others, sent in its turn).
#[derive(Clone)]
pub(super) enum Route {
    Channel(SyncSender<Piece>),
    Buffer(Arc<Mutex<Vec<Piece>>>),
}

impl Route {
    fn send(&self, piece: Piece) {
        match self {
            // The builder's thread is gone only when it failed; then nothing is reported.
            Route::Channel(tx) => {
                let _ = tx.send(piece);
            }
            Route::Buffer(buffer) => {
                if let Ok(mut b) = buffer.lock() {
                    b.push(piece);
                }
            }
        }
    }

    /// What a buffer holds, in order.
    pub fn take(self) -> Vec<Piece> {
        match self {
            Route::Channel(_) => Vec::new(),
            Route::Buffer(buffer) => match Arc::try_unwrap(buffer) {
                Ok(m) => m
                    .into_inner()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
                Err(shared) => shared
                    .lock()
                    .map(|mut b| std::mem::take(&mut *b))
                    .unwrap_or_default(),
            },
        }
    }

    /// Sends what a buffer holds, in order.
    pub fn send_all(&self, pieces: Vec<Piece>) {
        for p in pieces {
            self.send(p);
        }
    }
}

/// Hands records, issues and pages to a builder on another thread: a reader parses (in
/// parallel) while the builder adds what was parsed before, so that reading an export keeps
/// both cores busy where adding its records one by one would keep one.
pub(super) struct Pipe {
    route: Route,
}

impl Pipe {
    /// A pipe, and the sink whose issues go through it in order.
    pub fn new(route: Route) -> (Pipe, Sink) {
        let mut sink = Sink::new();
        sink.forward = Some(route.clone());
        (Pipe { route }, sink)
    }
}

impl Out for Pipe {
    fn start_file(&mut self, name: &str) {
        self.route.send(Piece::Start(name.to_string()));
    }

    fn push_all(&mut self, recs: Vec<Rec>, _sink: &mut Sink) {
        if !recs.is_empty() {
            self.route.send(Piece::Recs(recs));
        }
    }

    fn page(&mut self, page: Page) {
        self.route.send(Piece::Page(page));
    }

    fn read_csv(&mut self, text: &str, file: &str, _options: &ReadOptions, _sink: &mut Sink) {
        self.route.send(Piece::Csv {
            text: text.to_string(),
            file: file.to_string(),
        });
    }
}

/// Adds what a [`Pipe`] sends to `builder` until the reading side is done.
pub(super) fn receive(
    rx: &Receiver<Piece>,
    builder: &mut Builder<'_>,
    options: &ReadOptions,
    sink: &mut Sink,
) {
    for piece in rx {
        match piece {
            Piece::Start(name) => builder.start_file(&name),
            Piece::Issue(issue) => sink.push(issue),
            Piece::Recs(recs) => {
                for rec in recs {
                    builder.push(rec, sink);
                }
            }
            Piece::Page(page) => builder.pages.push(page),
            Piece::Csv { text, file } => super::csv::read(&text, &file, options, builder, sink),
        }
    }
}

impl Out for Builder<'_> {
    fn start_file(&mut self, name: &str) {
        Builder::start_file(self, name);
    }

    fn push_all(&mut self, recs: Vec<Rec>, sink: &mut Sink) {
        for rec in recs {
            self.push(rec, sink);
        }
    }

    fn page(&mut self, page: Page) {
        self.pages.push(page);
    }

    fn read_csv(&mut self, text: &str, file: &str, options: &ReadOptions, sink: &mut Sink) {
        super::csv::read(text, file, options, self, sink);
    }
}

/// The most attribute names a parsing thread keeps at hand; beyond them (an export that names
/// attributes differently in every object) a name is looked up among those held.
const SHARED_NAMES: usize = 4096;

/// Attribute names already built on a thread, and a buffer to build the next in.
type Names = (String, HashMap<String, Name, FixedState>);

thread_local! {
    static NAMES: std::cell::RefCell<Names> = std::cell::RefCell::default();
}

/// The most names held for the rest of the run, and their bytes: a run reads a few exports,
/// whose objects name their attributes alike. Past either bound (an export that names
/// attributes differently in every object: exports are not trusted) a name is its record's.
const HELD_NAMES: usize = 16_384;
const HELD_BYTES: usize = 4 << 20;

static HELD: HeldNames = std::sync::Mutex::new(None);

/// An attribute name shared by the records that spell it alike.
#[derive(Debug, Clone)]
pub(super) enum Name {
    /// Held for the rest of the run, the same on every thread: copied without a reference
    /// count (one shared between the reading threads and the building thread was counted up
    /// and down a hundred times per object, from two cores).
    Held(&'static str),
    /// Its own, past the bounds of what is held.
    Own(std::sync::Arc<str>),
}

impl std::ops::Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Name::Held(s) => s,
            Name::Own(s) => s,
        }
    }
}

impl Name {
    /// Whether both are the one held name (a comparison of pointers).
    pub fn same(&self, other: &Name) -> bool {
        matches!((self, other), (Name::Held(a), Name::Held(b)) if std::ptr::eq(*a, *b))
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

/// The names held, and their bytes.
type HeldNames = std::sync::Mutex<Option<(HashSet<&'static str, FixedState>, usize)>>;

/// `name` held for the rest of the run, or its own copy past the bounds.
fn hold(name: &str) -> Name {
    hold_in(&HELD, name, (HELD_NAMES, HELD_BYTES))
}

/// [`hold`] in `held`, within `(names, bytes)`.
fn hold_in(held: &HeldNames, name: &str, (most, most_bytes): (usize, usize)) -> Name {
    let own = || Name::Own(std::sync::Arc::from(name));
    let Ok(mut held) = held.lock() else {
        return own();
    };
    let (names, bytes) = held.get_or_insert_with(Default::default);
    if let Some(&n) = names.get(name) {
        return Name::Held(n);
    }
    if names.len() >= most || bytes.saturating_add(name.len()) > most_bytes {
        return own();
    }
    // Bounded above: at most `most_bytes` for the life of the process.
    let n: &'static str = Box::leak(Box::from(name));
    names.insert(n);
    *bytes = bytes.saturating_add(name.len());
    Name::Held(n)
}

/// The attribute name `parts` spell, shared with the objects parsed before: objects of one
/// export name their attributes alike, and a shared name costs no allocation (and the builder
/// compares it by pointer).
pub(super) fn shared_name(parts: &[&str]) -> Name {
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        let (buf, map) = &mut *names;
        buf.clear();
        for p in parts {
            buf.push_str(p);
        }
        if let Some(n) = map.get(buf.as_str()) {
            return n.clone();
        }
        let n = hold(buf);
        if map.len() < SHARED_NAMES {
            map.insert(buf.clone(), n.clone());
        }
        n
    })
}

/// Positions whose names [`name_at`] remembers.
const RECENT_NAMES: usize = 1024;

thread_local! {
    /// The names [`name_at`] gave on this thread, by position.
    static RECENT: std::cell::RefCell<Vec<Name>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// [`shared_name`] of the attribute at position `at` of an object: found by comparing with the
/// name at the same position of the object read before on this thread, when it is spelled
/// the same (objects of one export name their attributes in the same order: SCIM extension
/// attributes, seventy bytes each, are compared rather than copied and hashed).
pub(super) fn name_at(at: usize, parts: &[&str]) -> Name {
    let spelled = |name: &str| {
        let mut rest = name;
        parts.iter().all(|p| match rest.strip_prefix(p) {
            Some(r) => {
                rest = r;
                true
            }
            None => false,
        }) && rest.is_empty()
    };
    RECENT.with(|recent| {
        let Ok(mut recent) = recent.try_borrow_mut() else {
            return shared_name(parts);
        };
        if let Some(name) = recent.get(at).filter(|n| spelled(n)) {
            return name.clone();
        }
        let name = shared_name(parts);
        if at < RECENT_NAMES {
            if recent.len() <= at {
                recent.resize(at + 1, Name::Held(""));
            }
            if let Some(slot) = recent.get_mut(at) {
                *slot = name.clone();
            }
        }
        name
    })
}

/// How an attribute of a record is named.
pub(super) enum Key {
    /// By its name as written.
    Name(String),
    /// By its name as written, shared by the records of a reader that names many attributes
    /// alike (SCIM extension attributes: seventy-byte names, eighty per record).
    Shared(Name),
    /// By a column from [`Builder::column`].
    Col(usize),
}

impl Key {
    /// The name, when the attribute is named.
    pub fn name(&self) -> Option<&str> {
        match self {
            Key::Name(n) => Some(n),
            Key::Shared(n) => Some(n),
            Key::Col(_) => None,
        }
    }
}

/// A group's membership as read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Membership {
    /// Not a group.
    None,
    /// The direct members.
    Known(Vec<Member>),
    /// The export does not list them (not expanded, excluded).
    NotExported,
    /// The list may be cut short: `why` says how.
    Partial(&'static str),
    /// The list could not be read; the issue is already reported.
    Untrusted,
}

/// An attribute's value in a [`Rec`].
pub(super) enum Slot {
    Value(Value),
    /// A string, at these bytes of the record's text.
    Text(usize, usize),
}

/// What a [`Slot`] holds: a string of the record's text, or a value (a string among them, for a
/// reader that builds it).
#[derive(Clone, Copy)]
pub(super) enum Content<'r> {
    Text(&'r str),
    Value(&'r Value),
}

impl<'r> Content<'r> {
    pub fn to_value(self) -> Value {
        match self {
            Content::Text(t) => Value::Str(t.to_string()),
            Content::Value(v) => v.clone(),
        }
    }

    /// The cell a tap sees.
    fn cell(self) -> Cell<'r> {
        match self {
            Content::Text(t) => Cell::Text(t),
            Content::Value(Value::Null) => Cell::Null,
            Content::Value(v) => Cell::Value(v),
        }
    }

    /// Hashes a string alike however it is kept.
    fn hash<H: Hasher>(self, h: &mut H) {
        match self {
            Content::Text(t) => {
                0u8.hash(h);
                t.hash(h);
            }
            Content::Value(Value::Str(t)) => Content::Text(t).hash(h),
            Content::Value(v) => {
                1u8.hash(h);
                v.hash(h);
            }
        }
    }
}

/// What `slot` of a record whose text is `text` holds.
fn content_in<'r>(text: &'r str, slot: &'r Slot) -> Content<'r> {
    match slot {
        Slot::Value(v) => Content::Value(v),
        Slot::Text(start, end) => Content::Text(text.get(*start..*end).unwrap_or_default()),
    }
}

/// One object as a reader parsed it.
pub(super) struct Rec {
    /// The line it starts on.
    pub line: usize,
    /// Its identifier; `None` skips the record (its reader reported why).
    pub id: Option<String>,
    pub attrs: Vec<(Key, Slot)>,
    /// The text of its [`Slot::Text`] values, one after the other: one allocation per record,
    /// freed on the building thread, rather than one per attribute, allocated on a reading
    /// thread and freed on another.
    pub text: String,
    pub enabled: Option<bool>,
    pub members: Membership,
    /// Issues found while parsing it, reported when it is pushed.
    pub issues: Vec<DataIssue>,
    /// [`Rec::digest`], when the reader computed it (non-zero: the record stays small).
    pub digest: Option<std::num::NonZeroU64>,
}

impl Rec {
    pub fn new(line: usize) -> Rec {
        Rec {
            line,
            id: None,
            attrs: Vec::new(),
            text: String::new(),
            enabled: None,
            members: Membership::None,
            issues: Vec::new(),
            digest: None,
        }
    }

    pub fn put(&mut self, name: String, value: Value) {
        self.attrs.push((Key::Name(name), Slot::Value(value)));
    }

    /// [`Rec::put`] with a shared name.
    pub fn put_shared(&mut self, name: Name, value: Value) {
        self.attrs.push((Key::Shared(name), Slot::Value(value)));
    }

    /// [`Rec::put_shared`] of a string value, kept in the record's text.
    pub fn put_text(&mut self, name: Name, value: &str) {
        let start = self.text.len();
        self.text.push_str(value);
        self.put_span(name, start, self.text.len());
    }

    /// [`Rec::put_shared`] of a string already in the record's text, at `start..end`.
    pub fn put_span(&mut self, name: Name, start: usize, end: usize) {
        self.attrs.push((Key::Shared(name), Slot::Text(start, end)));
    }

    /// [`Rec::put`] of an attribute by its column.
    pub fn put_col(&mut self, column: usize, value: Value) {
        self.attrs.push((Key::Col(column), Slot::Value(value)));
    }

    /// What slot `slot` of this record holds.
    pub fn content<'r>(&'r self, slot: &'r Slot) -> Content<'r> {
        content_in(&self.text, slot)
    }

    /// An issue about this record.
    pub fn issue(&mut self, code: Code, file: &str, field: Option<&str>, message: String) {
        let mut issue = DataIssue::new(code, file, message).at(self.line);
        issue.field = field.map(str::to_string);
        self.issues.push(issue);
    }

    /// The last issue, to add help or change severity.
    pub fn last_issue(&mut self) -> Option<&mut DataIssue> {
        self.issues.last_mut()
    }
}

/// What a record says, in one comparable text (for tests that read one object two ways).
#[cfg(test)]
pub(super) fn said(rec: &Rec) -> String {
    let attrs: Vec<String> = rec
        .attrs
        .iter()
        .map(|(k, v)| format!("{:?}={:?}", k.name(), rec.content(v).to_value()))
        .collect();
    let issues: Vec<String> = rec
        .issues
        .iter()
        .map(|i| {
            format!(
                "{:?} {:?} {:?} {:?} {} {:?}",
                i.code, i.severity, i.row, i.field, i.message, i.help
            )
        })
        .collect();
    format!(
        "id {:?}; enabled {:?}; members {:?}; attrs {attrs:?}; issues {issues:?}",
        rec.id, rec.enabled, rec.members
    )
}

/// What one page file of a paged export said about the paging.
#[derive(Debug, Clone, Default)]
pub(super) struct Page {
    pub file: String,
    /// Graph `@odata.nextLink`.
    pub next: Option<String>,
    /// Graph `@odata.count`; SCIM `totalResults`.
    pub total: Option<u64>,
    /// SCIM `startIndex`.
    pub start: Option<u64>,
    /// Objects on the page.
    pub objects: usize,
    /// A response page (`{"value": […]}`), which says whether a next page follows.
    pub envelope: bool,
    /// A bare JSON array (PowerShell).
    pub bare_array: bool,
}

/// One attribute's column as it is built.
struct Col {
    name: String,
    values: Store,
    /// The codes of the rows that have the attribute.
    cells: Cells,
    /// Whether the values are kept: with a [`Tap`], only the attributes it asks for are; the
    /// others are handed to it row by row and dropped.
    kept: bool,
    /// The last row that had the attribute.
    last: Option<u32>,
}

/// Values interned before a column decides whether a dictionary pays.
const TRIAL: usize = 4096;

/// The values of a column as it is built: a dictionary, until the first [`TRIAL`] values
/// turn out mostly distinct (identifiers, names, mail addresses); then text, each value
/// kept once per row without hashing.
enum Store {
    Dictionary {
        builder: ColumnBuilder,
        /// Values interned so far (NULLs aside), until the decision.
        seen: usize,
    },
    Texts(Texts),
}

impl Store {
    /// The code of `v`.
    fn intern(&mut self, v: Value) -> u32 {
        match self {
            Store::Texts(texts) => texts.add(v),
            Store::Dictionary { builder, seen } => {
                if matches!(v, Value::Null) {
                    return 0;
                }
                *seen += 1;
                if *seen == TRIAL && builder.distinct() > TRIAL / 2 {
                    // The codes given so far stay valid: code k is value k.
                    let mut texts = Texts::new();
                    for value in std::mem::take(builder).into_values().into_iter().skip(1) {
                        texts.add(value);
                    }
                    *self = Store::Texts(texts);
                    return self.intern(v);
                }
                builder.intern(v)
            }
        }
    }

    /// Whether code `code` holds `v`.
    fn holds(&self, code: u32, v: Content<'_>) -> bool {
        match (self, v) {
            (Store::Dictionary { builder, .. }, Content::Value(v)) => builder.value(code) == v,
            (Store::Dictionary { builder, .. }, Content::Text(t)) => {
                matches!(builder.value(code), Value::Str(s) if s == t)
            }
            (Store::Texts(texts), Content::Value(v)) => texts.holds(code, v),
            (Store::Texts(texts), Content::Text(t)) => texts.holds_text(code, t),
        }
    }
}

/// Per-row codes as narrow as the dictionary so far allows, widened as it grows.
enum Narrow {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Narrow {
    fn push(&mut self, code: u32) {
        match self {
            Narrow::U8(v) => match u8::try_from(code) {
                Ok(c) => v.push(c),
                Err(_) => {
                    let mut wide: Vec<u16> = Vec::with_capacity(v.capacity());
                    wide.extend(v.iter().map(|&c| u16::from(c)));
                    *self = Narrow::U16(wide);
                    self.push(code);
                }
            },
            Narrow::U16(v) => match u16::try_from(code) {
                Ok(c) => v.push(c),
                Err(_) => {
                    let mut wide: Vec<u32> = Vec::with_capacity(v.capacity());
                    wide.extend(v.iter().map(|&c| u32::from(c)));
                    *self = Narrow::U32(wide);
                    self.push(code);
                }
            },
            Narrow::U32(v) => v.push(code),
        }
    }

    fn len(&self) -> usize {
        match self {
            Narrow::U8(v) => v.len(),
            Narrow::U16(v) => v.len(),
            Narrow::U32(v) => v.len(),
        }
    }

    fn get(&self, i: usize) -> u32 {
        match self {
            Narrow::U8(v) => v.get(i).map_or(0, |&c| u32::from(c)),
            Narrow::U16(v) => v.get(i).map_or(0, |&c| u32::from(c)),
            Narrow::U32(v) => v.get(i).copied().unwrap_or(0),
        }
    }

    /// `rows` codes: `before` NULLs, these, then NULLs.
    fn into_codes(self, before: usize, rows: usize) -> Codes {
        fn pad<T: Copy + Default>(v: Vec<T>, before: usize, rows: usize) -> Vec<T> {
            if before == 0 && v.len() == rows {
                return v;
            }
            let mut out = Vec::with_capacity(rows);
            out.resize(before.min(rows), T::default());
            out.extend(v.into_iter().take(rows.saturating_sub(before)));
            out.resize(rows, T::default());
            out
        }
        match self {
            Narrow::U8(v) => Codes::U8(pad(v, before, rows)),
            Narrow::U16(v) => Codes::U16(pad(v, before, rows)),
            Narrow::U32(v) => Codes::U32(pad(v, before, rows)),
        }
    }
}

/// The rows that have an attribute and their codes: a list while few rows have it, one code
/// per row (NULL where absent) from its first row on once many do.
enum Cells {
    /// (row, code), in row order.
    Sparse(Vec<(u32, u32)>),
    /// The code of each row from `first` on, and which rows have the attribute.
    Dense {
        first: u32,
        codes: Narrow,
        present: FixedBitSet,
    },
}

impl Cells {
    /// The code of row `row`, if it has the attribute.
    fn code(&self, row: u32) -> Option<u32> {
        match self {
            Cells::Sparse(v) => v
                .binary_search_by_key(&row, |(r, _)| *r)
                .ok()
                .and_then(|i| v.get(i))
                .map(|(_, code)| *code),
            Cells::Dense {
                first,
                codes,
                present,
            } => present
                .contains(row as usize)
                .then(|| codes.get(row.saturating_sub(*first) as usize)),
        }
    }

    /// Adds row `row` (after every row pushed so far).
    fn push(&mut self, row: u32, code: u32) {
        match self {
            Cells::Sparse(v) => {
                v.push((row, code));
                // Dense once a quarter of the rows since the first have the attribute.
                let first = v.first().map_or(row, |(r, _)| *r);
                let span = (row - first) as usize + 1;
                if v.len() >= 1024 && v.len() * 4 >= span {
                    let mut codes = Narrow::U8(Vec::new());
                    let mut present = FixedBitSet::with_capacity(row as usize + 1);
                    let mut next = first;
                    for &(r, c) in v.iter() {
                        while next < r {
                            codes.push(0);
                            next += 1;
                        }
                        codes.push(c);
                        present.insert(r as usize);
                        next = r + 1;
                    }
                    *self = Cells::Dense {
                        first,
                        codes,
                        present,
                    };
                }
            }
            Cells::Dense {
                first,
                codes,
                present,
            } => {
                let mut next = first.saturating_add(u32::try_from(codes.len()).unwrap_or(u32::MAX));
                while next < row {
                    codes.push(0);
                    next += 1;
                }
                codes.push(code);
                present.grow(row as usize + 1);
                present.insert(row as usize);
            }
        }
    }
}

/// Builds [`Accounts`].
pub(super) struct Builder<'t> {
    /// Sees every row as it is added; only the attributes it keeps are stored.
    tap: Option<&'t mut (dyn Tap + Send)>,
    /// With a tap, a hash of each row's content, to tell a repeat that says the same from one
    /// that does not without keeping the values.
    digests: Vec<u64>,
    kind: ObjectKind,
    wanted: Option<HashSet<String>>,
    max_attributes: usize,
    pub files: Vec<String>,
    file: u32,
    file_name: String,
    locations: Vec<Location>,
    ids: ColumnBuilder,
    id_codes: Vec<u32>,
    /// The row of each identifier's code.
    row_of_id: Vec<u32>,
    cols: Vec<Col>,
    by_spelling: HashMap<String, usize, FixedState>,
    by_folded: HashMap<String, usize, FixedState>,
    /// The last record's attribute names by place, with their columns.
    recent: Vec<(Name, usize)>,
    /// Folded names dropped for the attribute limit.
    dropped: HashSet<String>,
    enabled: Vec<Option<bool>>,
    pub members: Vec<Membership>,
    /// Member identifiers and kinds, each held once however many groups list it.
    member_ids: HashSet<std::sync::Arc<str>, FixedState>,
    /// Pages read, in order.
    pub pages: Vec<Page>,
    /// The lists a record's cells are gathered in, empty between records: kept for the next
    /// record rather than allocated for each.
    scratch: Scratch,
}

/// A record's cells by column (with the name they had when named), and those a tap sees.
type Scratch = (Vec<(usize, Option<Key>, Slot)>, Vec<(usize, Slot)>);

impl<'t> Builder<'t> {
    pub fn new(options: &ReadOptions, tap: Option<&'t mut (dyn Tap + Send)>) -> Builder<'t> {
        Builder {
            tap,
            digests: Vec::new(),
            kind: options.kind,
            wanted: options
                .attributes
                .as_ref()
                .map(|names| names.iter().map(|n| n.to_ascii_lowercase()).collect()),
            max_attributes: options.max_attributes,
            files: Vec::new(),
            file: 0,
            file_name: String::new(),
            locations: Vec::new(),
            ids: ColumnBuilder::new(),
            id_codes: Vec::new(),
            row_of_id: Vec::new(),
            cols: Vec::new(),
            by_spelling: HashMap::default(),
            by_folded: HashMap::default(),
            recent: Vec::new(),
            dropped: HashSet::new(),
            enabled: Vec::new(),
            members: Vec::new(),
            member_ids: HashSet::default(),
            pages: Vec::new(),
            scratch: (Vec::new(), Vec::new()),
        }
    }

    pub fn start_file(&mut self, name: &str) {
        self.file = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
        self.files.push(name.to_string());
        self.file_name = name.to_string();
    }

    /// The number of rows so far.
    pub fn rows(&self) -> usize {
        self.locations.len()
    }

    /// The identifier of row `r`.
    pub fn id(&self, r: usize) -> &str {
        let code = self.id_codes.get(r).copied().unwrap_or(0);
        match self.ids.value(code) {
            Value::Str(s) => s,
            _ => "",
        }
    }

    /// The file and line of row `r`.
    pub fn location(&self, r: usize) -> (&str, usize) {
        self.locations.get(r).map_or(("", 0), |l| {
            (
                self.files.get(l.file as usize).map_or("", String::as_str),
                l.line,
            )
        })
    }

    /// The column of an attribute name, created when new; `None` when the name is not
    /// wanted or over the limit (reported once per name).
    pub fn column(&mut self, name: &str, line: usize, sink: &mut Sink) -> Option<usize> {
        if let Some(i) = self.by_spelling.get(name) {
            return Some(*i);
        }
        let folded = name.to_ascii_lowercase();
        if let Some(i) = self.by_folded.get(&folded).copied() {
            if self.by_spelling.len() < 4 * self.max_attributes.max(64) {
                self.by_spelling.insert(name.to_string(), i);
            }
            return Some(i);
        }
        if let Some(wanted) = &self.wanted {
            if !wanted.contains(&folded) {
                return None;
            }
        } else if self.cols.len() >= self.max_attributes {
            if self.dropped.insert(folded) {
                sink.push(
                    DataIssue::new(
                        Code::ActualUnsupported,
                        &self.file_name,
                        format!(
                            "the export has more than {} distinct attribute names; this one is not read",
                            self.max_attributes
                        ),
                    )
                    .at(line)
                    .field(name)
                    .severity(Severity::Warning)
                    .help("list the attributes to read, or raise `max_attributes`"),
                );
            }
            return None;
        }
        let i = self.cols.len();
        let kept = match self.tap.as_deref_mut() {
            Some(tap) => {
                tap.column(i, name);
                tap.keeps(&folded)
            }
            None => true,
        };
        self.cols.push(Col {
            name: name.to_string(),
            // Account attributes are often unique per account (identifiers, names, mail):
            // those are kept without a dictionary.
            values: Store::Dictionary {
                builder: ColumnBuilder::new(),
                seen: 0,
            },
            cells: Cells::Sparse(Vec::new()),
            kept,
            last: None,
        });
        self.by_spelling.insert(name.to_string(), i);
        self.by_folded.insert(folded, i);
        Some(i)
    }

    /// Adds a record as the next row, or reports why it is not added.
    pub fn push(&mut self, rec: Rec, sink: &mut Sink) {
        let digest = self.tap.is_some().then(|| {
            rec.digest
                .map_or_else(|| rec.digest(), std::num::NonZeroU64::get)
        });
        let Rec {
            line,
            id,
            attrs,
            text,
            enabled,
            mut members,
            issues,
            digest: _,
        } = rec;
        for issue in issues {
            sink.push(issue);
        }
        let Some(id) = id else {
            return;
        };
        // Columns first: a repeat is compared with the first row cell by cell.
        let (mut cells, mut tapped) = std::mem::take(&mut self.scratch);
        cells.clear();
        tapped.clear();
        cells.reserve(attrs.len());
        for (pos, (key, value)) in attrs.into_iter().enumerate() {
            let column = match &key {
                Key::Col(c) => Some(*c),
                Key::Name(_) | Key::Shared(_) => {
                    let n = key.name().unwrap_or_default();
                    // Objects of one export name their attributes in the same order, mostly:
                    // the name at the same place as in the last record is compared, not
                    // hashed (names such as SCIM extension attributes are long, and a shared
                    // name is the same allocation).
                    match self.recent.get(pos) {
                        Some((name, c))
                            if matches!(&key, Key::Shared(s) if s.same(name)) || **name == *n =>
                        {
                            Some(*c)
                        }
                        _ => {
                            let c = self.column(n, line, sink);
                            if let Some(c) = c {
                                let shared = match &key {
                                    Key::Shared(s) => s.clone(),
                                    _ => Name::Own(std::sync::Arc::from(n)),
                                };
                                if self.recent.len() <= pos {
                                    self.recent.resize(pos + 1, (Name::Held(""), usize::MAX));
                                }
                                if let Some(slot) = self.recent.get_mut(pos) {
                                    *slot = (shared, c);
                                }
                            }
                            c
                        }
                    }
                }
            };
            if let Some(c) = column {
                let named = match key {
                    Key::Col(_) => None,
                    k => Some(k),
                };
                cells.push((c, named, value));
            }
        }
        let id = Value::Str(id);
        if let Some(code) = self.ids.find(&id) {
            let first = self.row_of_id.get(code as usize).copied().unwrap_or(0) as usize;
            let same = match digest {
                Some(d) => self.digests.get(first) == Some(&d),
                None => self.same_as_row(first, &cells, &text, enabled, &members),
            };
            self.repeated(&id, first, line, same, sink);
            cells.clear();
            self.scratch = (cells, tapped);
            return;
        }
        let row = self.rows();
        let row32 = u32::try_from(row).unwrap_or(u32::MAX);
        if let Some(d) = digest {
            self.digests.push(d);
        }
        self.locations.push(Location {
            file: self.file,
            line,
        });
        let code = self.ids.intern(id);
        self.id_codes.push(code);
        if self.row_of_id.len() <= code as usize {
            self.row_of_id.resize(code as usize + 1, 0);
        }
        if let Some(slot) = self.row_of_id.get_mut(code as usize) {
            *slot = row32;
        }
        for (c, name, value) in cells.drain(..) {
            let Some(col) = self.cols.get_mut(c) else {
                continue;
            };
            if col.last == Some(row32) {
                let spelled = name
                    .as_ref()
                    .and_then(Key::name)
                    .unwrap_or(col.name.as_str());
                let first_name = col.name.clone();
                sink.push(
                    DataIssue::new(
                        Code::ActualNameCase,
                        &self.file_name,
                        format!(
                            "the object has `{spelled}` twice (names are compared case-insensitively, as `{first_name}`); the second is ignored"
                        ),
                    )
                    .at(line)
                    .field(spelled)
                    .help("an export has each attribute once per object; check how it was produced"),
                );
                continue;
            }
            col.last = Some(row32);
            if self.tap.is_some() {
                if col.kept {
                    col.cells.push(
                        row32,
                        col.values.intern(content_in(&text, &value).to_value()),
                    );
                }
                tapped.push((c, value));
            } else {
                let value = match value {
                    Slot::Value(v) => v,
                    slot => content_in(&text, &slot).to_value(),
                };
                let code = col.values.intern(value);
                col.cells.push(row32, code);
            }
        }
        if let Some(tap) = self.tap.as_deref_mut() {
            let cells: Vec<(usize, Cell<'_>)> = tapped
                .iter()
                .map(|(c, v)| (*c, content_in(&text, v).cell()))
                .collect();
            let id = match self.ids.value(code) {
                Value::Str(s) => s.as_str(),
                _ => "",
            };
            tap.row(row, id, &cells, enabled);
        }
        tapped.clear();
        self.scratch = (cells, tapped);
        self.enabled.push(enabled);
        if self.kind == ObjectKind::Groups {
            if let Membership::Known(list) = &mut members {
                for m in list {
                    m.id = intern(&mut self.member_ids, &m.id);
                    if let Some(kind) = &mut m.kind {
                        *kind = intern(&mut self.member_ids, kind);
                    }
                }
            }
            self.members.push(members);
        }
    }

    /// Whether a repeated object says what row `first` says.
    fn same_as_row(
        &self,
        first: usize,
        cells: &[(usize, Option<Key>, Slot)],
        text: &str,
        enabled: Option<bool>,
        members: &Membership,
    ) -> bool {
        let first32 = u32::try_from(first).unwrap_or(u32::MAX);
        let code_at = |col: &Col| col.cells.code(first32);
        let mut seen = HashSet::with_capacity(cells.len());
        for (c, _, value) in cells {
            // A second cell of one column is ignored when pushed, so it is here.
            if !seen.insert(*c) {
                continue;
            }
            let Some(col) = self.cols.get(*c) else {
                return false;
            };
            match code_at(col) {
                Some(a) if col.values.holds(a, content_in(text, value)) => {}
                _ => return false,
            }
        }
        // The first row may have attributes the repeat lacks.
        let extra = self
            .cols
            .iter()
            .enumerate()
            .any(|(i, col)| !seen.contains(&i) && code_at(col).is_some());
        let first_members = self.members.get(first).unwrap_or(&Membership::None);
        !extra
            && self.enabled.get(first).copied().flatten() == enabled
            && (self.kind != ObjectKind::Groups || first_members == members)
    }

    /// Reports an identifier seen before, at row `first`.
    fn repeated(&self, id: &Value, first: usize, line: usize, same: bool, sink: &mut Sink) {
        let id = id.as_text().unwrap_or_default();
        let (file, first_line) = self.location(first);
        let mut issue = DataIssue::new(
            Code::ActualDuplicateId,
            &self.file_name,
            if same {
                format!(
                    "{} is exported twice, identically (first at {file}:{first_line}); the repeat is ignored",
                    quote(&id)
                )
            } else {
                format!(
                    "{} is also the identifier of another object (at {file}:{first_line}); this one is ignored",
                    quote(&id)
                )
            },
        )
        .at(line);
        if same {
            issue = issue.severity(Severity::Warning).help(
                "pages of an export taken while the directory changed can overlap; the copies agree, so one is kept",
            );
        } else {
            issue = issue.help("an identifier names one object: re-export, or check that the export files belong to one export");
        }
        sink.push(issue);
    }

    /// The accounts.
    pub fn finish(self, format: Format, kind: ObjectKind) -> Accounts {
        let rows = self.rows();
        let mut attributes = Vec::with_capacity(self.cols.len());
        let mut by_name = HashMap::with_capacity(self.cols.len());
        for col in self.cols {
            if !col.kept {
                continue;
            }
            let (codes, present) = match col.cells {
                Cells::Sparse(cells) => {
                    let mut present = FixedBitSet::with_capacity(rows);
                    let mut codes = Narrow::U8(Vec::with_capacity(rows));
                    let mut cells = cells.into_iter().peekable();
                    for r in 0..rows {
                        match cells.next_if(|(row, _)| *row as usize == r) {
                            Some((_, code)) => {
                                present.insert(r);
                                codes.push(code);
                            }
                            None => codes.push(0),
                        }
                    }
                    (codes.into_codes(0, rows), present)
                }
                Cells::Dense {
                    first,
                    codes,
                    mut present,
                } => {
                    present.grow(rows);
                    (codes.into_codes(first as usize, rows), present)
                }
            };
            let values = match col.values {
                Store::Dictionary { builder, .. } => Values::Dictionary(builder.finish_with(codes)),
                Store::Texts(texts) => Values::Texts(texts.with_codes(match codes {
                    Codes::U8(c) => c.into_iter().map(u32::from).collect(),
                    Codes::U16(c) => c.into_iter().map(u32::from).collect(),
                    Codes::U32(c) => c,
                })),
            };
            by_name.insert(col.name.to_ascii_lowercase(), attributes.len());
            attributes.push(Attribute {
                name: col.name,
                values,
                present,
            });
        }
        let mut ids = self.ids;
        for code in &self.id_codes {
            ids.push_code(*code);
        }
        let enabled = Column::from_values(
            self.enabled
                .iter()
                .map(|e| e.map_or(Value::Null, Value::Bool)),
        );
        let members = if kind == ObjectKind::Groups {
            self.members
                .into_iter()
                .map(|m| match m {
                    Membership::Known(list) => Some(list),
                    _ => None,
                })
                .collect()
        } else {
            Vec::new()
        };
        Accounts {
            format,
            kind,
            files: self.files,
            locations: self.locations,
            ids: ids.finish(),
            attributes,
            enabled,
            members,
            by_name,
        }
    }
}

/// The copy of `s` held in `set`, added when new.
fn intern(
    set: &mut HashSet<std::sync::Arc<str>, FixedState>,
    s: &std::sync::Arc<str>,
) -> std::sync::Arc<str> {
    match set.get(s) {
        Some(held) => held.clone(),
        None => {
            set.insert(s.clone());
            s.clone()
        }
    }
}

impl Rec {
    /// A hash of the record's content (each attribute's first value, by name compared
    /// case-insensitively, in any order; the enabled flag; the members): two records that say
    /// the same have the same digest, as the builder compares them cell by cell
    /// ([`Builder::same_as_row`]). Computed where the record is parsed, in parallel, and for
    /// every record, so it is a sum of one hash per attribute, the names already seen kept in
    /// a small table on the stack (no sorting, no allocation for objects of up to
    /// [`Seen::ROOM`] attributes).
    pub fn digest(&self) -> u64 {
        self.digest_nonzero().get()
    }

    /// [`Rec::digest`], never zero.
    pub fn digest_nonzero(&self) -> std::num::NonZeroU64 {
        let state = FixedState::with_seed(0x5eed);
        let mut seen = Seen::new();
        let mut sum = 0u64;
        let mut count = 0usize;
        for (k, v) in &self.attrs {
            let mut h = state.build_hasher();
            match k.name() {
                None => {
                    if let Key::Col(c) = k {
                        c.hash(&mut h);
                    }
                }
                Some(n) => {
                    // Folded a few bytes at a time: hashing byte by byte was a twentieth
                    // of reading a SCIM export.
                    let mut buf = [0u8; 64];
                    for chunk in n.as_bytes().chunks(buf.len()) {
                        let folded = buf.get_mut(..chunk.len()).unwrap_or_default();
                        for (f, b) in folded.iter_mut().zip(chunk) {
                            *f = b.to_ascii_lowercase();
                        }
                        h.write(folded);
                    }
                }
            }
            let name = h.finish();
            // The first value of a name is the one the builder keeps.
            if !seen.insert(name) {
                continue;
            }
            let mut h = state.build_hasher();
            name.hash(&mut h);
            self.content(v).hash(&mut h);
            sum = sum.wrapping_add(h.finish());
            count += 1;
        }
        let mut h = state.build_hasher();
        (sum, count).hash(&mut h);
        self.enabled.hash(&mut h);
        self.members.hash(&mut h);
        std::num::NonZeroU64::new(h.finish()).unwrap_or(std::num::NonZeroU64::MIN)
    }
}

/// The name hashes of one record's attributes seen so far: an open-addressed table on the
/// stack, then a hash set once the record has more than [`Seen::ROOM`] attributes.
struct Seen {
    slots: [u64; Seen::SLOTS],
    len: usize,
    more: Option<HashSet<u64, FixedState>>,
}

impl Seen {
    const SLOTS: usize = 256;
    /// Three quarters of the slots: the most names held on the stack.
    const ROOM: usize = 192;

    fn new() -> Seen {
        Seen {
            slots: [0; Seen::SLOTS],
            len: 0,
            more: None,
        }
    }

    /// Adds `hash`; false when it was there already.
    fn insert(&mut self, hash: u64) -> bool {
        // Zero marks an empty slot.
        let hash = hash.max(1);
        if let Some(more) = &mut self.more {
            return more.insert(hash);
        }
        if self.len >= Seen::ROOM {
            let mut more: HashSet<u64, FixedState> =
                self.slots.iter().copied().filter(|&s| s != 0).collect();
            let new = more.insert(hash);
            self.more = Some(more);
            return new;
        }
        let mut at = (hash as usize) % Seen::SLOTS;
        // Ends: fewer than ROOM of the SLOTS are taken.
        loop {
            match self.slots.get_mut(at) {
                Some(slot) if *slot == 0 => {
                    *slot = hash;
                    self.len += 1;
                    return true;
                }
                Some(slot) if *slot == hash => return false,
                _ => at = (at + 1) % Seen::SLOTS,
            }
        }
    }
}

/// Whether text looks like the .NET type name PowerShell writes for a value it did not
/// serialise: `ConvertTo-Json` beyond `-Depth`, or `Export-Csv` for any array or object.
/// `container` says whether the field is expected to hold an object or an array (then any
/// `System.` type name counts).
/// A group's `members` that is not an array: reported, and the membership read as unknown.
pub(super) fn members_not_a_list(
    name: &str,
    other: &serde_json::Value,
    rec: &mut Rec,
    file: &str,
) -> Membership {
    let what = super::json::kind_of(other);
    rec.issue(
        Code::ActualMalformed,
        file,
        Some(name),
        format!("`members` is {what}, not an array; the group's membership is read as unknown"),
    );
    Membership::Untrusted
}

pub(super) fn is_type_name(s: &str, container: bool) -> bool {
    if s.len() < 8
        || !s.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'`' | b',' | b'[' | b']' | b'+')
        })
    {
        return false;
    }
    if s.starts_with("Microsoft.Graph.")
        || s.starts_with("System.Collections.")
        || s.starts_with("System.Management.Automation.")
    {
        return true;
    }
    s.starts_with("System.") && (container || s.ends_with(']') || s.contains('`'))
}

/// The help of a depth-truncation issue.
pub(super) const DEPTH_HELP: &str = "PowerShell wrote a type name instead of the value: re-export with `ConvertTo-Json -Depth 10` (for CSV, select the nested values as columns first)";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::shared_name;

    #[test]
    fn a_name_given_again_is_the_same_allocation_in_any_order_and_on_any_thread() {
        let first = shared_name(&["urn:x:", "region"]);
        let other = shared_name(&["costCenter"]);
        // Another object, its names in another order and split differently.
        let again = shared_name(&["costCenter"]);
        let region = shared_name(&["urn:x:region"]);
        assert!(other.same(&again));
        assert!(first.same(&region));
        assert!(!first.same(&other));
        assert_eq!(&*region, "urn:x:region");
        // Another reading thread holds the same name.
        let there = std::thread::spawn(|| shared_name(&["urn:x:region"]))
            .join()
            .unwrap();
        assert!(there.same(&first));
    }

    #[test]
    fn a_name_by_position_spells_its_parts_whatever_was_there_before() {
        use super::name_at;
        let at = 7;
        let region = name_at(at, &["urn:x", ":", "region"]);
        assert_eq!(&*region, "urn:x:region");
        assert!(region.same(&shared_name(&["urn:x:region"])));
        // The same spelling, split differently, at the same place: the same name.
        assert!(region.same(&name_at(at, &["urn:x:", "region"])));
        // Other spellings at that place: each its own, never the one remembered.
        for parts in [
            &["urn:x", ":", "regio"][..],
            &["urn:x", ":", "regions"],
            &["urn:y", ":", "region"],
            &["urn:x", "", "region"],
            &["urn:x:region", ":", ""],
        ] {
            assert_eq!(&*name_at(at, parts), parts.concat(), "{parts:?}");
        }
        // Far past the positions remembered: still the name.
        assert_eq!(&*name_at(1 << 30, &["a", ".", "b"]), "a.b");
    }

    #[test]
    fn names_past_the_bounds_are_their_own() {
        let held = super::HeldNames::new(None);
        let bounds = (3, 10);
        let a = super::hold_in(&held, "abc", bounds);
        assert!(matches!(a, super::Name::Held(_)));
        assert!(a.same(&super::hold_in(&held, "abc", bounds)));
        // Past the bytes held: its own, and still what it spells.
        let long = super::hold_in(&held, "abcdefgh", bounds);
        assert!(matches!(long, super::Name::Own(_)));
        assert_eq!(&*long, "abcdefgh");
        assert!(!long.same(&long.clone()));
        let b = super::hold_in(&held, "b", bounds);
        let c = super::hold_in(&held, "c", bounds);
        assert!(matches!(
            (&b, &c),
            (super::Name::Held(_), super::Name::Held(_))
        ));
        // Past the number of names held.
        assert!(matches!(
            super::hold_in(&held, "d", bounds),
            super::Name::Own(_)
        ));
        // What is held stays held.
        assert!(b.same(&super::hold_in(&held, "b", bounds)));
    }

    proptest! {
        /// Whatever the order and the split, the name is what the parts spell.
        #[test]
        fn a_shared_name_is_what_its_parts_spell(
            calls in prop::collection::vec(prop::collection::vec("[ab:]{0,3}", 0..4), 0..64)
        ) {
            for parts in &calls {
                let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
                prop_assert_eq!(&*shared_name(&parts), parts.concat());
            }
        }
    }
}
