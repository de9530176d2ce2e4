//! Actual state: what a directory or an application holds today, read from the exports its own
//! tools write, so that `roster plan` can compare it with the desired state.
//!
//! [`read`] reads one export — a file, or a directory of page files read in name order — in
//! one of four [`Format`]s into [`Accounts`]: one row per object (a user, a group or an
//! access-package assignment), held by dictionary-encoded [`Column`]s like ingest's datasets.
//! Every problem is a [`DataIssue`] (codes `D2xx`) naming the file, the line (or CSV row) and,
//! where it is about one, the field.
//!
//! | format | users | groups (members) | assignments | enabled |
//! |---|---|---|---|---|
//! | [`Format::Graph`] | `GET /users` pages, JSON Lines, `ConvertTo-Json` arrays | inline `members`, or `/groups/{id}/members` exports ([`ReadOptions::members`]) | `/identityGovernance/entitlementManagement/assignments` | `accountEnabled` |
//! | [`Format::Ldif`] | `ldapsearch`, `ldifde` | `member`, `uniqueMember` | — | AD `userAccountControl` |
//! | [`Format::Scim`] | `ListResponse` pages of `/Users` | `ListResponse` pages of `/Groups`, `members[].value` | — | `active` |
//! | [`Format::Csv`] | a table export | (rows only) | — | [`CsvOptions::enabled`] |
//!
//! Three states are kept apart for every attribute of every row: **absent** (the export does
//! not say: the key is missing, or its value could not be trusted), **NULL** (the export says
//! "no value") and a value, which may be empty (`""`, an empty list). [`Accounts::cell`] tells
//! them apart; `docs/actual-state.md` says what each format writes for each.
//!
//! Truncated exports are never taken for complete ones: a missing next page, fewer SCIM
//! resources than `totalResults`, an LDAP search that stopped at a size limit, or values
//! `ConvertTo-Json` replaced by type names are errors; a group membership that may be cut short
//! (20 expanded members, a ranged `member` attribute) is read as unknown ([`Accounts::members`]).

mod build;
mod csv;
mod graph;
mod input;
mod json;
mod ldif;
mod scim;
#[cfg(test)]
mod tests;

use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use fixedbitset::FixedBitSet;
use serde::Deserialize;

use crate::codes::Code;
use crate::column::Column;
pub use crate::ingest::DataIssue;
use crate::value::Value;
pub use ldif::canonical_dn;

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Microsoft Graph JSON: collection pages, JSON Lines, or PowerShell `ConvertTo-Json`.
    #[default]
    Graph,
    /// LDIF content records (RFC 2849) as `ldapsearch` and `ldifde` write them.
    Ldif,
    /// SCIM 2.0 `ListResponse` pages (RFC 7644).
    Scim,
    /// A CSV table export (RFC 4180): a SQL `COPY`, a PowerShell `Export-Csv`.
    Csv,
}

impl Format {
    /// The name, as options write it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Graph => "graph",
            Format::Ldif => "ldif",
            Format::Scim => "scim",
            Format::Csv => "csv",
        }
    }
}

/// What the export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    /// User accounts.
    #[default]
    Users,
    /// Groups, with their direct members where the format has them.
    Groups,
    /// Access-package assignments (Graph only).
    Assignments,
}

impl ObjectKind {
    /// The name, as options write it.
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::Users => "users",
            ObjectKind::Groups => "groups",
            ObjectKind::Assignments => "assignments",
        }
    }
}

/// How a CSV export writes NULL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CsvNull {
    /// An unquoted empty cell is NULL and `""` the empty string (PostgreSQL `COPY … CSV`,
    /// PowerShell 7 `Export-Csv`).
    #[default]
    UnquotedEmpty,
    /// Nothing is NULL: every empty cell, quoted or not, is the empty string.
    Never,
    /// An unquoted cell that is exactly this text is NULL (`\N`: MySQL `INTO OUTFILE`); empty
    /// cells are empty strings.
    Marker(String),
}

impl<'de> Deserialize<'de> for CsvNull {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(match text.as_str() {
            "unquoted-empty" => CsvNull::UnquotedEmpty,
            "never" => CsvNull::Never,
            "" => {
                return Err(serde::de::Error::custom(
                    "write `unquoted-empty`, `never` or the NULL marker, such as `\\N`",
                ));
            }
            _ => CsvNull::Marker(text),
        })
    }
}

/// Options of the CSV reader.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CsvOptions {
    /// The column holding each row's identifier (matched case-insensitively).
    pub key: String,
    /// The delimiter: `,` by default; a tab for tab-separated exports.
    pub delimiter: char,
    /// How NULL is written.
    pub null: CsvNull,
    /// The column saying whether the account is enabled (`t`/`f`, `true`/`false`, `1`/`0`,
    /// `yes`/`no`, case-insensitive), if the table has one.
    pub enabled: Option<String>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            key: "id".to_string(),
            delimiter: ',',
            null: CsvNull::UnquotedEmpty,
            enabled: None,
        }
    }
}

/// The default limit on the bytes one [`read`] takes in (all files together): 2 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 2 << 30;

/// The default limit on distinct attribute names when [`ReadOptions::attributes`] is not set.
pub const DEFAULT_MAX_ATTRIBUTES: usize = 1000;

/// What to read, and how.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReadOptions {
    /// The format of the export.
    pub format: Format,
    /// What the export holds.
    pub kind: ObjectKind,
    /// The most bytes read, all files together ([`DEFAULT_MAX_BYTES`]); more is an error.
    pub max_bytes: u64,
    /// Only these attributes are kept (names matched case-insensitively); all when `None`.
    pub attributes: Option<Vec<String>>,
    /// The most distinct attribute names kept when `attributes` is `None`; the names seen
    /// after that are reported and dropped.
    pub max_attributes: usize,
    /// Graph groups: a directory of `GET /groups/{id}/members` exports, one per group, named
    /// by the group's `id`: `<id>.json` (a page, or an array), `<id>.jsonl`, or a directory
    /// `<id>/` of pages. A group's membership read there replaces its inline `members`.
    pub members: Option<PathBuf>,
    /// CSV only.
    pub csv: CsvOptions,
    /// Whether the readers work out each record's digest where they parse it, in parallel: set
    /// by the reading itself when a tap sees the rows (the builder then tells a repeated
    /// object from the first by digest; without a tap it compares their cells).
    #[serde(skip)]
    pub digests: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: Format::Graph,
            kind: ObjectKind::Users,
            max_bytes: DEFAULT_MAX_BYTES,
            attributes: None,
            max_attributes: DEFAULT_MAX_ATTRIBUTES,
            members: None,
            csv: CsvOptions::default(),
            digests: false,
        }
    }
}

/// A direct member of a group.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Member {
    /// The member's identifier: Graph `id`, SCIM `value`, LDAP DN as written. Shared: one
    /// account is a member of many groups, and its identifier is held once.
    pub id: std::sync::Arc<str>,
    /// What it is, when the export says: Graph `@odata.type` without `#microsoft.graph.`
    /// (`user`, `group`, `device`…), SCIM `type` (`User`, `Group`), lower case.
    pub kind: Option<std::sync::Arc<str>>,
}

/// Where a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Index into [`Accounts::files`].
    pub file: u32,
    /// The line the object starts on (JSON, LDIF; CSV: the line the row starts on).
    pub line: usize,
}

/// One attribute over all rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// The name as the export first spells it.
    pub name: String,
    /// The values: NULL where the export says NULL, and where it says nothing (see
    /// [`Attribute::present`]).
    pub values: Values,
    /// Rows whose export has the attribute (NULL included).
    pub present: FixedBitSet,
}

/// The values of an attribute, held one of two ways.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Dictionary-encoded: what most accounts share (departments, titles, flags).
    Dictionary(Column),
    /// Mostly distinct (identifiers, names, mail addresses): each row's text in one buffer,
    /// without a dictionary.
    Texts(Texts),
}

impl Values {
    /// The number of rows.
    pub fn len(&self) -> usize {
        match self {
            Values::Dictionary(column) => column.len(),
            Values::Texts(texts) => texts.codes.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The values of an attribute whose values are mostly distinct: one code per row, each code
/// a span of one text buffer, or one of the few values that are not strings. Code 0 is NULL.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Texts {
    codes: Vec<u32>,
    text: String,
    /// The end of each code's span in `text` (its start is the previous code's end).
    ends: Vec<usize>,
    /// The values that are not strings, by code.
    others: HashMap<u32, Value>,
}

/// One value of [`Texts`].
enum Entry<'a> {
    Null,
    Text(&'a str),
    Value(&'a Value),
}

impl Texts {
    /// Empty: code 0 (NULL) only.
    pub(crate) fn new() -> Texts {
        Texts {
            ends: vec![0],
            ..Texts::default()
        }
    }

    /// A new code holding `v` (0 for NULL).
    pub(crate) fn add(&mut self, v: Value) -> u32 {
        let code = u32::try_from(self.ends.len()).unwrap_or(u32::MAX);
        match v {
            Value::Null => return 0,
            Value::Str(s) => self.text.push_str(&s),
            other => {
                self.others.insert(code, other);
            }
        }
        self.ends.push(self.text.len());
        code
    }

    /// Whether code `code` holds `v`.
    pub(crate) fn holds(&self, code: u32, v: &Value) -> bool {
        match (self.entry(code), v) {
            (Entry::Null, Value::Null) => true,
            (Entry::Text(t), Value::Str(s)) => t == s,
            (Entry::Value(a), b) => a == b,
            _ => false,
        }
    }

    /// Whether code `code` holds the string `t`.
    pub(crate) fn holds_text(&self, code: u32, t: &str) -> bool {
        match self.entry(code) {
            Entry::Text(s) => s == t,
            Entry::Value(Value::Str(s)) => s == t,
            _ => false,
        }
    }

    /// Sets the rows' codes.
    pub(crate) fn with_codes(mut self, codes: Vec<u32>) -> Texts {
        self.codes = codes;
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
        self
    }

    fn entry(&self, code: u32) -> Entry<'_> {
        if code == 0 {
            return Entry::Null;
        }
        if let Some(v) = self.others.get(&code) {
            return Entry::Value(v);
        }
        let k = code as usize;
        let start = k
            .checked_sub(1)
            .and_then(|p| self.ends.get(p))
            .copied()
            .unwrap_or(0);
        match self.ends.get(k).and_then(|&end| self.text.get(start..end)) {
            Some(t) => Entry::Text(t),
            None => Entry::Null,
        }
    }
}

impl Attribute {
    /// Row `r`: absent, NULL or a value.
    pub fn cell(&self, r: usize) -> Cell<'_> {
        if !self.present.contains(r) {
            return Cell::Absent;
        }
        match &self.values {
            Values::Dictionary(column) => match column.get(r) {
                Value::Null => Cell::Null,
                v => Cell::Value(v),
            },
            Values::Texts(texts) => match texts.entry(texts.codes.get(r).copied().unwrap_or(0)) {
                Entry::Null => Cell::Null,
                Entry::Text(t) => Cell::Text(t),
                Entry::Value(Value::Null) => Cell::Null,
                Entry::Value(v) => Cell::Value(v),
            },
        }
    }
}

/// One attribute of one row, three ways.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    /// The export does not say (or what it says could not be trusted).
    Absent,
    /// The export says "no value".
    Null,
    /// A value (possibly `""` or an empty list).
    Value(&'a Value),
    /// A string value, held as text: the same as [`Cell::Value`] of [`Value::Str`].
    Text(&'a str),
}

impl Cell<'_> {
    /// A [`Cell::Text`] as the [`Cell::Value`] it stands for, in `slot`; others as they are.
    pub fn as_value<'s>(&'s self, slot: &'s mut Option<Value>) -> Cell<'s> {
        match self {
            Cell::Text(t) => Cell::Value(slot.insert(Value::Str((*t).to_string()))),
            Cell::Absent => Cell::Absent,
            Cell::Null => Cell::Null,
            Cell::Value(v) => Cell::Value(v),
        }
    }
}

impl PartialEq for Cell<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Cell::Absent, Cell::Absent) | (Cell::Null, Cell::Null) => true,
            (Cell::Value(a), Cell::Value(b)) => a == b,
            (Cell::Text(a), Cell::Text(b)) => a == b,
            (Cell::Text(a), Cell::Value(Value::Str(b)))
            | (Cell::Value(Value::Str(b)), Cell::Text(a)) => a == b,
            _ => false,
        }
    }
}

/// What an export holds: one row per object, in file order (page files in name order).
#[derive(Debug, Clone, PartialEq)]
pub struct Accounts {
    /// The format read.
    pub format: Format,
    /// The kind of object.
    pub kind: ObjectKind,
    /// The files read, in order, as issues name them.
    pub files: Vec<String>,
    /// Where each row is.
    pub locations: Vec<Location>,
    /// Each row's identifier (a string, never empty): Graph `id`, LDAP DN, SCIM `id`, the CSV
    /// key column.
    pub ids: Column,
    /// The attributes, in the order they were first seen.
    pub attributes: Vec<Attribute>,
    /// Whether each account is enabled: a boolean, or NULL where the format or row does not
    /// say.
    pub enabled: Column,
    /// Groups: each row's direct members, or `None` where the membership is unknown (not
    /// exported, or possibly cut short). Empty for other kinds.
    pub members: Vec<Option<Vec<Member>>>,
    /// Attribute index by name folded to ASCII lower case.
    by_name: HashMap<String, usize>,
}

impl Accounts {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.locations.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.locations.is_empty()
    }

    /// The identifier of row `r` (empty out of range).
    pub fn id(&self, r: usize) -> &str {
        match self.ids.get(r) {
            Value::Str(s) => s,
            _ => "",
        }
    }

    /// The file and line of row `r`.
    pub fn location(&self, r: usize) -> Option<(&str, usize)> {
        let loc = self.locations.get(r)?;
        let file = self.files.get(loc.file as usize)?;
        Some((file.as_str(), loc.line))
    }

    /// An attribute by name, case-insensitively.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        let i = self.by_name.get(&name.to_ascii_lowercase())?;
        self.attributes.get(*i)
    }

    /// Attribute `name` of row `r`: absent, NULL or a value.
    pub fn cell(&self, r: usize, name: &str) -> Cell<'_> {
        match self.attribute(name) {
            Some(a) => a.cell(r),
            None => Cell::Absent,
        }
    }

    /// Whether row `r` is enabled, when the export says.
    pub fn is_enabled(&self, r: usize) -> Option<bool> {
        match self.enabled.get(r) {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The direct members of group row `r`: `None` when unknown.
    pub fn members_of(&self, r: usize) -> Option<&[Member]> {
        self.members.get(r)?.as_deref()
    }

    /// The row of each identifier.
    pub fn index(&self) -> HashMap<&str, usize> {
        (0..self.len()).map(|r| (self.id(r), r)).collect()
    }
}

/// Base64 (RFC 4648, padded), as LDIF writes values that are not safe strings.
pub fn base64(bytes: &[u8]) -> String {
    ldif::base64_encode(bytes)
}

/// Shows user data in a message: at most 60 characters, in backticks.
pub(crate) fn quote(text: &str) -> String {
    let mut out: String = text.chars().take(60).collect();
    if text.chars().nth(60).is_some() {
        out.push('…');
    }
    format!("`{}`", out.replace('`', "'"))
}

/// Reads an export: `path` is a file, or a directory whose export files (by extension:
/// `.json`, `.jsonl`, `.ndjson` for Graph and SCIM, `.ldif`/`.ldf` for LDIF, `.csv`/`.tsv`/`.txt`
/// for CSV) are read in name order as one export. Returns no accounts only when nothing could
/// be read at all; rows with problems are reported and, where the problem leaves the row
/// without an identifier, skipped.
pub fn read(path: &Path, options: &ReadOptions) -> (Option<Accounts>, Vec<DataIssue>) {
    read_with(path, options, None)
}

/// Sees an export's rows as they are read, so that what it needs from them can be computed
/// without the export being held whole: the accounts returned by [`read_with`] keep only the
/// attributes the tap [`keeps`](Tap::keeps) (and every row's identifier, location, enabled
/// flag and members).
pub trait Tap {
    /// A new attribute, numbered `column` from 0 in the order first seen, as the export first
    /// spells it.
    fn column(&mut self, column: usize, name: &str);
    /// Whether the accounts keep the attribute (its name folded to ASCII lower case).
    fn keeps(&self, folded: &str) -> bool;
    /// Row `row` (a repeated identifier is not a new row): its identifier, its attributes by
    /// column (each column once, NULL as [`Cell::Null`]) and whether it is enabled.
    fn row(&mut self, row: usize, id: &str, cells: &[(usize, Cell<'_>)], enabled: Option<bool>);
}

/// Hands the rows of accounts already read to `tap`, as [`read_with`] would have while reading
/// them: the same columns, rows and cells.
pub fn replay(accounts: &Accounts, tap: &mut dyn Tap) {
    for (c, a) in accounts.attributes.iter().enumerate() {
        tap.column(c, &a.name);
    }
    let mut cells = Vec::with_capacity(accounts.attributes.len());
    for r in 0..accounts.len() {
        cells.clear();
        for (c, a) in accounts.attributes.iter().enumerate() {
            match a.cell(r) {
                Cell::Absent => {}
                cell => cells.push((c, cell)),
            }
        }
        tap.row(r, accounts.id(r), &cells, accounts.is_enabled(r));
    }
}

/// [`read`], with every row handed to `tap` as it is added.
pub fn read_with(
    path: &Path,
    options: &ReadOptions,
    tap: Option<&mut (dyn Tap + Send)>,
) -> (Option<Accounts>, Vec<DataIssue>) {
    read_in_pieces(path, options, tap, input::PIECE)
}

/// [`read_with`], LDIF files read `piece` bytes at a time. Public only for the fuzz targets
/// and tests, which cut records and folded lines at every place; not part of the API.
#[doc(hidden)]
pub fn read_in_pieces(
    path: &Path,
    options: &ReadOptions,
    tap: Option<&mut (dyn Tap + Send)>,
    piece: usize,
) -> (Option<Accounts>, Vec<DataIssue>) {
    // Files are read and parsed one at a time, each file's text dropped before the next is
    // read: an export of a million accounts is gigabytes of text in hundreds of pages. Issues
    // keep the order of reading everything first: loading (and the members export) before
    // parsing, in `sink` and `parsed`.
    let options = &ReadOptions {
        digests: tap.is_some(),
        ..options.clone()
    };
    let mut sink = build::Sink::new();
    let mut parsed = build::Sink::new();
    let mut budget = input::Budget::new(options.max_bytes);
    let paths = if path.is_dir() {
        input::list_dir(path, options.format, &mut sink)
    } else {
        Some(vec![path.to_path_buf()])
    };
    let supported = supported(options);
    let mut builder = build::Builder::new(options, tap);
    // Parsed on another thread (in parallel) while this one adds what was parsed before.
    let (tx, rx) = std::sync::mpsc::sync_channel(4);
    let mut each = Each {
        budget: &mut budget,
        sink: &mut sink,
        options,
        piece,
        complete: paths.is_some(),
        supported,
        first: None,
        batch: Vec::new(),
        pending: Vec::new(),
    };
    let paths = &paths;
    let outcome = std::thread::scope(|scope| {
        let reading = scope.spawn(move || {
            let route = build::Route::Channel(tx);
            for p in paths.iter().flatten() {
                each.file(p, &route);
            }
            each.drain(&route);
            (each.complete, each.first)
        });
        build::receive(&rx, &mut builder, options, &mut parsed);
        reading.join()
    });
    let (complete, first) = match outcome {
        Ok(x) => x,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    let members = match (&options.members, options.format, options.kind) {
        (Some(dir), Format::Graph, ObjectKind::Groups) => {
            Some(graph::load_members(dir, &mut budget, &mut sink))
        }
        (Some(dir), _, _) => {
            sink.push(
                DataIssue::new(
                    Code::ActualUnsupported,
                    &dir.display().to_string(),
                    format!(
                        "a members export is read only for Graph groups, not for {} {}",
                        options.format.name(),
                        options.kind.name()
                    ),
                )
                .help("remove the `members` option, or read the groups as `graph`"),
            );
            None
        }
        _ => None,
    };
    if !complete {
        return (None, sink.finish());
    }
    let first = first.unwrap_or_default();
    if !supported {
        unsupported(options, &first, &mut sink);
        return (None, sink.finish());
    }
    let accounts = finish(builder, members, options, &first, &mut parsed);
    (Some(accounts), sink.finish_with(parsed))
}

/// Reads files already in memory (`(name as issues show it, bytes)`, in order) as one export:
/// the testable core of [`read`]. `members` are Graph members exports by group id.
pub fn read_bytes(
    files: &[(String, Vec<u8>)],
    options: &ReadOptions,
) -> (Option<Accounts>, Vec<DataIssue>) {
    let mut sink = build::Sink::new();
    let loaded: Vec<input::Loaded> = files
        .iter()
        .map(|(name, bytes)| input::Loaded {
            name: name.clone(),
            bytes: bytes.clone(),
        })
        .collect();
    let accounts = read_files(&loaded, None, options, &mut sink);
    (accounts, sink.finish())
}

fn read_files(
    files: &[input::Loaded],
    members: Option<graph::MembersExport>,
    options: &ReadOptions,
    sink: &mut build::Sink,
) -> Option<Accounts> {
    let first = files.first().map_or("", |f| f.name.as_str());
    if !supported(options) {
        unsupported(options, first, sink);
        return None;
    }
    let mut builder = build::Builder::new(options, None);
    for file in files {
        parse_file(file, &mut builder, options, sink);
    }
    Some(finish(builder, members, options, first, sink))
}

/// Whether the format can hold the kind of object.
fn supported(options: &ReadOptions) -> bool {
    match options.format {
        Format::Graph => true,
        Format::Ldif | Format::Scim | Format::Csv => options.kind != ObjectKind::Assignments,
    }
}

fn unsupported(options: &ReadOptions, first: &str, sink: &mut build::Sink) {
    sink.push(
        DataIssue::new(
            Code::ActualUnsupported,
            first,
            format!(
                "{} exports hold no access-package assignments",
                options.format.name()
            ),
        )
        .help("read assignments from a Graph export of `/identityGovernance/entitlementManagement/assignments`"),
    );
}

/// Reads the files of one export in order, into a builder or a pipe to one.
struct Each<'a> {
    budget: &'a mut input::Budget,
    /// Problems loading files (reported before those parsing them).
    sink: &'a mut build::Sink,
    options: &'a ReadOptions,
    piece: usize,
    /// Every file so far could be read (a directory some of whose pages could not be read
    /// is not the export: reading the rest would look like a complete export that lacks
    /// those accounts; the rest are still loaded, for their problems).
    complete: bool,
    supported: bool,
    /// The name of the first file read.
    first: Option<String>,
    /// JSON files loaded and not yet parsed: parsed together, in parallel, and handed on in
    /// order.
    batch: Vec<input::Loaded>,
    /// What the last batch's files hold, handed on while the next batch is parsed.
    pending: Vec<Vec<build::Piece>>,
}

/// JSON files up to this size are parsed whole, several at a time in parallel (a page of a
/// paged export is a few megabytes); a larger one is parsed a chunk at a time, alone.
const BATCHED_FILE: usize = 32 << 20;

/// Files parsed together at most.
const BATCH: usize = 4;

impl Each<'_> {
    /// Reads file `p`, handing what it holds on to `route` in order.
    fn file(&mut self, p: &Path, route: &build::Route) {
        if self.complete && self.supported && self.options.format == Format::Ldif {
            // LDIF is read a piece at a time (a directory's entries can be one file of
            // gigabytes); its records are line-based.
            let (mut pipe, mut parsed) = build::Pipe::new(route.clone());
            match stream_ldif(
                p,
                self.piece,
                self.budget,
                &mut pipe,
                self.options,
                self.sink,
                &mut parsed,
            ) {
                Some(name) => {
                    self.first.get_or_insert(name);
                }
                None => self.complete = false,
            }
            return;
        }
        let Some(file) = input::load_file(p, self.budget, self.sink) else {
            self.complete = false;
            return;
        };
        if self.first.is_none() {
            self.first = Some(file.name.clone());
        }
        if !(self.complete && self.supported) {
            return;
        }
        let json = matches!(self.options.format, Format::Graph | Format::Scim);
        if json && file.bytes.len() <= BATCHED_FILE {
            self.batch.push(file);
            if self.batch.len() >= BATCH {
                self.flush(route);
            }
            return;
        }
        self.drain(route);
        let (mut pipe, mut parsed) = build::Pipe::new(route.clone());
        parse_file(&file, &mut pipe, self.options, &mut parsed);
    }

    /// Parses the batch and hands on everything parsed so far, in order.
    fn drain(&mut self, route: &build::Route) {
        self.flush(route);
        for pieces in std::mem::take(&mut self.pending) {
            route.send_all(pieces);
        }
    }

    /// Parses the files of the batch in parallel (in the thread pool) while this thread
    /// hands on what the previous batch held, in order.
    fn flush(&mut self, route: &build::Route) {
        let batch = std::mem::take(&mut self.batch);
        let pending = std::mem::take(&mut self.pending);
        let options = self.options;
        let mut parsed: Vec<Vec<build::Piece>> = Vec::new();
        rayon::in_place_scope(|scope| {
            scope.spawn(|_| {
                parsed = batch
                    .par_iter()
                    .map(|file| {
                        let buffer = build::Route::Buffer(Default::default());
                        let (mut pipe, mut sink) = build::Pipe::new(buffer.clone());
                        parse_file(file, &mut pipe, options, &mut sink);
                        drop((pipe, sink));
                        buffer.take()
                    })
                    .collect();
            });
            for pieces in pending {
                route.send_all(pieces);
            }
        });
        self.pending = parsed;
    }
}

/// Reads one LDIF file a piece at a time into the accounts being built: its name, or `None`
/// when it could not be read at all.
fn stream_ldif(
    path: &Path,
    piece: usize,
    budget: &mut input::Budget,
    out: &mut dyn build::Out,
    options: &ReadOptions,
    sink: &mut build::Sink,
    parsed: &mut build::Sink,
) -> Option<String> {
    let name = path.display().to_string();
    let mut lines = ldif::Lines::new();
    let mut started = false;
    let streamed = input::stream_lines(path, piece, budget, sink, parsed, |text, line, parsed| {
        if !started {
            out.start_file(&name);
            started = true;
        }
        lines.feed(text, line, &name, options, out, parsed);
    });
    if started {
        lines.end(&name, options, out, parsed);
    }
    match streamed {
        input::Streamed::Read(name) => Some(name),
        input::Streamed::NotRead => None,
        input::Streamed::Whole(file) => {
            parse_file(&file, out, options, parsed);
            Some(file.name)
        }
    }
}

/// Parses one file, handing its records on to `out`.
fn parse_file(
    file: &input::Loaded,
    out: &mut dyn build::Out,
    options: &ReadOptions,
    sink: &mut build::Sink,
) {
    let Some(text) = input::decode(file, sink) else {
        return;
    };
    out.start_file(&file.name);
    match options.format {
        Format::Graph => graph::read(&text, &file.name, options, out, sink),
        Format::Ldif => ldif::read(&text, &file.name, options, out, sink),
        Format::Scim => scim::read(&text, &file.name, options, out, sink),
        Format::Csv => out.read_csv(&text, &file.name, options, sink),
    }
}

/// The checks that need every file read, and the accounts.
fn finish(
    mut builder: build::Builder<'_>,
    members: Option<graph::MembersExport>,
    options: &ReadOptions,
    first: &str,
    sink: &mut build::Sink,
) -> Accounts {
    match options.format {
        Format::Graph => graph::finish(&mut builder, members, options, first, sink),
        Format::Scim => scim::finish(&mut builder, first, sink),
        Format::Ldif => ldif::finish(&builder, first, sink),
        Format::Csv => {}
    }
    builder.finish(options.format, options.kind)
}
