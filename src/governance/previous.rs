//! A previous desired state (`--previous FILE`): the JSON or JSON Lines report that `eval`
//! wrote on an earlier date, read as a stream (a million identities are never held as JSON
//! values), kept compactly: per identity its key, lifecycle, groups, access packages and the
//! attributes asked for.
//!
//! Change triggers (attribute and group-membership changes) compare it with the state on the
//! as-of date; the auto-assignment grace period reads which packages an identity held.
//!
//! Every problem is reported with the file and the line (`D230`–`D234`); a file with an
//! error is not used at all (the caller refuses to run), since a previous state read in part
//! would make changes out of identities it missed.

use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use chrono::NaiveDate;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::codes::Code;
use crate::eval::Lifecycle;
use crate::ingest::DataIssue;

/// The format of a previous state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The JSON report (`eval --format json`): an object with `as_of` and `identities`.
    Json,
    /// The JSON Lines report (`eval --format jsonl`): a `summary` line, `identity` lines.
    Jsonl,
}

impl Format {
    /// The format a file name gives: `.jsonl` (or `.ndjson`) is JSON Lines, anything else
    /// JSON.
    pub fn of_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("ndjson") => {
                Format::Jsonl
            }
            _ => Format::Json,
        }
    }
}

/// What to keep of each identity besides its key, lifecycle, groups and packages.
#[derive(Debug, Clone, Default)]
pub struct Want {
    /// The identity attributes to keep (their values are compared as JSON).
    pub attributes: Vec<String>,
}

/// One identity of the previous state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The identity's key.
    pub key: String,
    /// Its lifecycle then (`None` when the report did not say, or said something unknown to
    /// this version).
    pub lifecycle: Option<Lifecycle>,
    /// Its groups, as indices into [`Previous::names`], sorted.
    pub groups: Box<[u32]>,
    /// Its access packages, as indices into [`Previous::names`], sorted.
    pub packages: Box<[u32]>,
    /// The wanted attributes ([`Want::attributes`] order): an index into that attribute's
    /// values, or `None` when the report did not carry the attribute.
    pub attributes: Box<[Option<u32>]>,
    /// The packages the report says do not come from their auto-assignment rule
    /// (`access_package_origins` without `auto_assignment`), as indices into
    /// [`Previous::names`], sorted, each with how it was held.
    pub not_by_rule: Box<[(u32, Held)]>,
    /// The effects of change-triggered workflow runs the report carries for it
    /// (`carried_effects`), in the order they apply ([`crate::governance::carried`]).
    pub carried: Box<[crate::governance::carried::CarriedEffect]>,
    /// The line where it starts.
    pub line: usize,
}

/// How a package the previous state's `access_package_origins` lists without
/// `auto_assignment` was held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Through events only (records, workflow tasks): not by the rule.
    Events,
    /// Kept by the auto-assignment's grace period, which ends on this day (`grace:DATE`).
    Grace(NaiveDate),
}

/// Finds entries by key, keys asked for in increasing order ([`Previous::cursor`]); a key
/// asked for out of order is searched for from the start.
pub struct Cursor<'p> {
    entries: &'p [Entry],
    /// Every entry before this one has a key less than the last key asked for.
    at: usize,
}

impl<'p> Cursor<'p> {
    /// The identity with `key`.
    pub fn get(&mut self, key: &str) -> Option<&'p Entry> {
        let before = |e: &Entry| e.key.as_str() < key;
        if self.at > 0 && self.entries.get(self.at - 1).is_some_and(|e| !before(e)) {
            // Out of order: start again.
            self.at = 0;
        }
        // Gallop forward: the next key asked for is usually a few entries on.
        let mut step = 1usize;
        let mut low = self.at;
        while let Some(e) = self.entries.get(low.saturating_add(step) - 1) {
            if !before(e) {
                break;
            }
            low = low.saturating_add(step);
            step = step.saturating_mul(2);
        }
        let high = low.saturating_add(step).min(self.entries.len());
        let window = self.entries.get(low..high).unwrap_or_default();
        self.at = low + window.partition_point(before);
        self.entries.get(self.at).filter(|e| e.key == key)
    }
}

/// A previous desired state.
#[derive(Debug, Clone, Default)]
pub struct Previous {
    /// The file, as given.
    pub file: String,
    /// The report's as-of date, when it says.
    pub as_of: Option<NaiveDate>,
    /// The identities, sorted by key.
    pub entries: Vec<Entry>,
    /// Group and package names.
    pub names: Vec<String>,
    /// The wanted attribute names.
    pub attributes: Vec<String>,
    /// Per wanted attribute: its distinct values, as compact JSON.
    pub values: Vec<Vec<String>>,
    /// Problems that do not stop its use (warnings).
    pub warnings: Vec<DataIssue>,
    /// The groups whose membership this state knows, as indices into [`Previous::names`],
    /// sorted; `None`: every group (a report lists each identity's groups whole). A state
    /// taken from a directory's export knows only the groups the export vouches for.
    pub known_groups: Option<Vec<u32>>,
    /// Whether any identity carries effects of change-triggered runs (`carried_effects`).
    pub carries: bool,
}

impl Previous {
    /// The problem with using this state for `as_of`: its own date must be earlier.
    pub fn check_date(&self, as_of: NaiveDate) -> Option<DataIssue> {
        let then = self.as_of?;
        (then >= as_of).then(|| {
            DataIssue::new(
                Code::PreviousNotEarlier,
                &self.file,
                format!("the previous state is as of {then}, not before the as-of date {as_of}"),
            )
            .help("give a report `eval` wrote for an earlier date, or evaluate for a later one")
        })
    }

    /// The identity with `key`.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| e.key.as_str().cmp(key))
            .ok()
            .and_then(|i| self.entries.get(i))
    }

    /// A cursor that finds identities asked for in increasing key order (the people's order)
    /// by stepping forward, not by searching the whole state each time.
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor {
            entries: &self.entries,
            at: 0,
        }
    }

    /// The index of a group or package name, if the previous state has it at all.
    pub fn name_index(&self, name: &str) -> Option<u32> {
        self.names
            .iter()
            .position(|n| n == name)
            .and_then(|i| u32::try_from(i).ok())
    }

    /// Whether this state knows who was a member of group `name` (a group it does not know
    /// is not compared: no membership change is seen in it).
    pub fn knows_group(&self, name: &str) -> bool {
        match &self.known_groups {
            None => true,
            Some(known) => self
                .name_index(name)
                .is_some_and(|g| known.binary_search(&g).is_ok()),
        }
    }

    /// Whether `entry` was a member of group `name`.
    pub fn in_group(&self, entry: &Entry, name: &str) -> bool {
        self.name_index(name)
            .is_some_and(|g| entry.groups.binary_search(&g).is_ok())
    }

    /// Whether `entry` held access package `name`.
    pub fn has_package(&self, entry: &Entry, name: &str) -> bool {
        self.name_index(name)
            .is_some_and(|p| entry.packages.binary_search(&p).is_ok())
    }

    /// How `entry` held access package `name`: `None` when it did not hold it; `Some(None)`
    /// when its auto-assignment rule gave it (the report lists no origin, or
    /// `auto_assignment` among them); otherwise how ([`Held`]).
    pub fn package_held(&self, entry: &Entry, name: &str) -> Option<Option<Held>> {
        let p = self.name_index(name)?;
        entry.packages.binary_search(&p).ok()?;
        Some(
            entry
                .not_by_rule
                .binary_search_by_key(&p, |(q, _)| *q)
                .ok()
                .and_then(|k| entry.not_by_rule.get(k))
                .map(|(_, h)| *h),
        )
    }

    /// The position of attribute `name` among the wanted ones.
    pub fn attribute_index(&self, name: &str) -> Option<usize> {
        self.attributes.iter().position(|a| a == name)
    }

    /// The compact JSON of attribute number `a` of `entry`, if the report carried it.
    pub fn attribute(&self, entry: &Entry, a: usize) -> Option<&str> {
        let code = (*entry.attributes.get(a)?)?;
        self.values.get(a)?.get(code as usize).map(String::as_str)
    }
}

/// Reads a previous state from `path` (at most `limit` bytes; a regular file only), in the
/// format its name gives ([`Format::of_path`]). `file` is how messages name it.
pub fn read(path: &Path, limit: u64, want: &Want) -> Result<Previous, Vec<DataIssue>> {
    let file = path.display().to_string();
    let (handle, _) = crate::files::open_regular(path, limit).map_err(|e| {
        vec![
            DataIssue::new(
                Code::PreviousUnreadable,
                &file,
                format!("the previous state cannot be read: {e}"),
            )
            .help(
                "give the JSON or JSON Lines report that `eval` wrote (`--format json` or `jsonl`), a regular file under the size limit (`--max-data-size`)",
            ),
        ]
    })?;
    let reader = BufReader::with_capacity(1 << 16, handle.take(limit.saturating_add(1)));
    read_from(reader, Format::of_path(path), &file, want)
}

/// Reads a previous state from `reader`.
pub fn read_from<R: Read>(
    reader: R,
    format: Format,
    file: &str,
    want: &Want,
) -> Result<Previous, Vec<DataIssue>> {
    let mut builder = Builder::new(file, want);
    match format {
        Format::Json => {
            let mut de = serde_json::Deserializer::from_reader(reader);
            let result = de::Deserializer::deserialize_map(
                &mut de,
                TopSeed {
                    builder: &mut builder,
                },
            )
            .and_then(|()| de.end());
            if let Err(e) = result {
                builder.malformed(&e, 0);
            }
        }
        Format::Jsonl => {
            let mut reader = BufReader::new(reader);
            let mut line = Vec::new();
            let mut number = 0usize;
            loop {
                line.clear();
                number += 1;
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        builder.issue(
                            Code::PreviousUnreadable,
                            Some(number),
                            format!(
                                "the previous state cannot be read: {}",
                                e.to_string().to_lowercase()
                            ),
                        );
                        break;
                    }
                }
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let mut de = serde_json::Deserializer::from_slice(&line);
                let result = de::Deserializer::deserialize_map(
                    &mut de,
                    RecordSeed {
                        builder: &mut builder,
                        line: number,
                        top: true,
                    },
                )
                .and_then(|()| de.end());
                if let Err(e) = result {
                    builder.malformed(&e, number - 1);
                }
                if builder.errors() >= MAX_ERRORS {
                    break;
                }
            }
        }
    }
    builder.finish()
}

/// How many errors are reported before reading stops.
const MAX_ERRORS: usize = 20;

struct Builder<'w> {
    file: String,
    want: &'w Want,
    as_of: Option<NaiveDate>,
    entries: Vec<Entry>,
    names: HashMap<String, u32>,
    name_list: Vec<String>,
    values: Vec<(HashMap<String, u32>, Vec<String>)>,
    issues: Vec<DataIssue>,
    /// Whether a `summary` line or an `as_of` was seen (a report written by `eval`).
    is_report: bool,
    /// Whether the error being raised is about a carried effect (`D238`, not `D231`).
    carried_error: bool,
}

impl<'w> Builder<'w> {
    fn new(file: &str, want: &'w Want) -> Builder<'w> {
        Builder {
            file: file.to_string(),
            want,
            as_of: None,
            entries: Vec::new(),
            names: HashMap::new(),
            name_list: Vec::new(),
            values: want
                .attributes
                .iter()
                .map(|_| (HashMap::new(), Vec::new()))
                .collect(),
            issues: Vec::new(),
            is_report: false,
            carried_error: false,
        }
    }

    fn errors(&self) -> usize {
        self.issues
            .iter()
            .filter(|i| i.severity == crate::diagnostics::Severity::Error)
            .count()
    }

    fn issue(&mut self, code: Code, line: Option<usize>, message: String) {
        let mut issue = DataIssue::new(code, &self.file, message);
        issue.row = line;
        issue.help = Some(help(code).into());
        self.issues.push(issue);
    }

    /// A syntax or shape error from serde_json; `line_offset` is added to its line (JSON
    /// Lines parse one line at a time).
    fn malformed(&mut self, e: &serde_json::Error, line_offset: usize) {
        let line = (e.line() > 0).then(|| e.line() + line_offset);
        let mut text = e.to_string();
        // serde_json appends " at line L column C": the location is in the issue's row.
        if let Some(at) = text.rfind(" at line ") {
            text.truncate(at);
        }
        if std::mem::take(&mut self.carried_error) {
            // Roster's own messages start so; serde's (a wrong type, an unknown field) are
            // introduced.
            let text = if text.starts_with("a carried effect") {
                text
            } else {
                format!("a carried effect cannot be read: {}", text.to_lowercase())
            };
            self.issue(Code::CarriedUnreadable, line, text);
            return;
        }
        self.issue(
            Code::PreviousMalformed,
            line,
            format!(
                "the previous state is not a report `eval` wrote: {}",
                text.to_lowercase()
            ),
        );
    }

    fn intern_name(&mut self, name: String) -> u32 {
        if let Some(i) = self.names.get(&name) {
            return *i;
        }
        let i = u32::try_from(self.name_list.len()).unwrap_or(u32::MAX);
        self.name_list.push(name.clone());
        self.names.insert(name, i);
        i
    }

    fn intern_value(&mut self, a: usize, json: String) -> Option<u32> {
        let (map, list) = self.values.get_mut(a)?;
        if let Some(i) = map.get(&json) {
            return Some(*i);
        }
        let i = u32::try_from(list.len()).unwrap_or(u32::MAX);
        list.push(json.clone());
        map.insert(json, i);
        Some(i)
    }

    fn finish(mut self) -> Result<Previous, Vec<DataIssue>> {
        if self.errors() == 0 && !self.is_report {
            self.issue(
                Code::PreviousMalformed,
                None,
                "the previous state has no `as_of` date: it is not a report `eval` wrote".into(),
            );
        }
        self.entries.sort_by(|a, b| a.key.cmp(&b.key));
        let mut duplicates = Vec::new();
        for pair in self.entries.windows(2) {
            if let [a, b] = pair
                && a.key == b.key
            {
                duplicates.push((b.key.clone(), a.line.min(b.line), a.line.max(b.line)));
            }
        }
        // A carried effect dated after the state itself was not written by `eval`.
        if let Some(as_of) = self.as_of {
            let late: Vec<(String, usize, NaiveDate)> = self
                .entries
                .iter()
                .filter_map(|e| {
                    e.carried
                        .iter()
                        .find(|c| c.date > as_of)
                        .map(|c| (e.key.clone(), e.line, c.date))
                })
                .take(MAX_ERRORS)
                .collect();
            for (key, line, date) in late {
                self.issue(
                    Code::CarriedUnreadable,
                    (line > 0).then_some(line),
                    format!(
                        "identity `{key}`: a carried effect is dated {date}, after the previous state's own date {as_of}"
                    ),
                );
            }
        }
        for (key, first, second) in duplicates.into_iter().take(MAX_ERRORS) {
            self.issue(
                Code::PreviousDuplicate,
                (second > 0).then_some(second),
                if first > 0 {
                    format!("identity `{key}` appears twice in the previous state (first at line {first})")
                } else {
                    format!("identity `{key}` appears twice in the previous state")
                },
            );
        }
        if self.errors() > 0 {
            return Err(self.issues);
        }
        let carries = self.entries.iter().any(|e| !e.carried.is_empty());
        Ok(Previous {
            carries,
            file: self.file,
            as_of: self.as_of,
            entries: self.entries,
            names: self.name_list,
            attributes: self.want.attributes.clone(),
            values: self.values.into_iter().map(|(_, list)| list).collect(),
            warnings: self.issues,
            known_groups: None,
        })
    }
}

fn help(code: Code) -> &'static str {
    match code {
        Code::PreviousDuplicate => {
            "each identity appears once in a report `eval` wrote; give the report as written"
        }
        Code::CarriedUnreadable => {
            "a carried effect may remove access or disable an account, so one that cannot be read is neither applied nor dropped: the command does not run; give the report `eval` wrote, as written"
        }
        _ => {
            "give the JSON or JSON Lines report that `eval` wrote (`--format json` or `jsonl`), as written"
        }
    }
}

/// The top-level object of a JSON report.
struct TopSeed<'b, 'w> {
    builder: &'b mut Builder<'w>,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the report object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "as_of" => {
                    let text: String = map.next_value()?;
                    self.builder.as_of = Some(parse_date::<A::Error>(&text)?);
                    self.builder.is_report = true;
                }
                "identities" => map.next_value_seed(IdentitiesSeed {
                    builder: self.builder,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

fn parse_date<E: de::Error>(text: &str) -> Result<NaiveDate, E> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| E::custom(format!("`as_of` is `{text}`, not a date `YYYY-MM-DD`")))
}

struct IdentitiesSeed<'b, 'w> {
    builder: &'b mut Builder<'w>,
}

impl<'de> DeserializeSeed<'de> for IdentitiesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for IdentitiesSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of identities")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(RecordSeed {
                builder: self.builder,
                line: 0,
                top: false,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// One identity object (JSON), or one line (JSON Lines, `top`: any `type`).
struct RecordSeed<'b, 'w> {
    builder: &'b mut Builder<'w>,
    line: usize,
    top: bool,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.top {
            "an object with a `type`"
        } else {
            "an identity object"
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let b = self.builder;
        let n = b.want.attributes.len();
        let mut kind: Option<String> = None;
        let mut key: Option<String> = None;
        let mut lifecycle = None;
        let mut groups: Vec<u32> = Vec::new();
        let mut packages: Vec<u32> = Vec::new();
        let mut attributes: Vec<Option<u32>> = vec![None; n];
        let mut origins: Vec<(String, Vec<String>)> = Vec::new();
        let mut as_of = None;
        let mut carried: Vec<crate::governance::carried::CarriedEffect> = Vec::new();
        while let Some(field) = map.next_key::<String>()? {
            match field.as_str() {
                "type" if self.top => kind = Some(map.next_value()?),
                "as_of" if self.top => {
                    let text: String = map.next_value()?;
                    as_of = Some(parse_date::<A::Error>(&text)?);
                }
                "key" => {
                    let k: String = map.next_value()?;
                    if k.is_empty() {
                        return Err(de::Error::custom("an identity has an empty `key`"));
                    }
                    key = Some(k);
                }
                "lifecycle" => {
                    let word: String = map.next_value()?;
                    lifecycle = lifecycle_of(&word);
                }
                "groups" => {
                    let names: Vec<String> = map.next_value()?;
                    groups = names.into_iter().map(|g| b.intern_name(g)).collect();
                }
                "access_packages" => {
                    let names: Vec<String> = map.next_value()?;
                    packages = names.into_iter().map(|p| b.intern_name(p)).collect();
                }
                "attributes" => map.next_value_seed(AttributesSeed {
                    builder: b,
                    out: &mut attributes,
                })?,
                "access_package_origins" => {
                    let found: std::collections::BTreeMap<String, Vec<String>> =
                        map.next_value()?;
                    origins = found.into_iter().collect();
                }
                "carried_effects" => {
                    b.carried_error = true;
                    let raw: Vec<crate::governance::carried::RawCarried> = map.next_value()?;
                    for r in raw {
                        carried.push(r.check().map_err(<A::Error as de::Error>::custom)?);
                    }
                    b.carried_error = false;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if self.top {
            match kind.as_deref() {
                Some("identity") => {}
                Some("summary") => {
                    if let Some(d) = as_of {
                        b.as_of = Some(d);
                    }
                    b.is_report = true;
                    return Ok(());
                }
                Some(_) => return Ok(()),
                None => return Err(de::Error::custom("a line has no `type`")),
            }
        }
        let Some(key) = key else {
            return Err(de::Error::custom("an identity has no `key`"));
        };
        groups.sort_unstable();
        groups.dedup();
        packages.sort_unstable();
        packages.dedup();
        let mut not_by_rule: Vec<(u32, Held)> = Vec::new();
        for (name, from) in origins {
            if from.iter().any(|o| o == "auto_assignment") {
                continue;
            }
            let grace = from
                .iter()
                .find_map(|o| o.strip_prefix("grace:"))
                .map(|d| {
                    NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                        <A::Error as de::Error>::custom(format!(
                            "access package origin `grace:{d}` does not end with a date `YYYY-MM-DD`"
                        ))
                    })
                })
                .transpose()?;
            let p = b.intern_name(name);
            not_by_rule.push((p, grace.map_or(Held::Events, Held::Grace)));
        }
        not_by_rule.sort_unstable_by_key(|(p, _)| *p);
        not_by_rule.dedup_by_key(|(p, _)| *p);
        b.entries.push(Entry {
            key,
            lifecycle,
            groups: groups.into_boxed_slice(),
            packages: packages.into_boxed_slice(),
            attributes: attributes.into_boxed_slice(),
            not_by_rule: not_by_rule.into_boxed_slice(),
            carried: carried.into_boxed_slice(),
            line: self.line,
        });
        Ok(())
    }
}

/// The lifecycle a report's word names.
pub fn lifecycle_of(word: &str) -> Option<Lifecycle> {
    [
        Lifecycle::NotYetHired,
        Lifecycle::PreHire,
        Lifecycle::Active,
        Lifecycle::Leaver,
        Lifecycle::Deleted,
        Lifecycle::Unknown,
    ]
    .into_iter()
    .find(|l| l.word() == word)
}

struct AttributesSeed<'b, 'w, 'o> {
    builder: &'b mut Builder<'w>,
    out: &'o mut Vec<Option<u32>>,
}

impl<'de> DeserializeSeed<'de> for AttributesSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for AttributesSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of attributes")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(name) = map.next_key::<String>()? {
            match self.builder.want.attributes.iter().position(|a| *a == name) {
                Some(a) => {
                    let value: serde_json::Value = map.next_value()?;
                    let code = self.builder.intern_value(a, value.to_string());
                    if let Some(slot) = self.out.get_mut(a) {
                        *slot = code;
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want(attrs: &[&str]) -> Want {
        Want {
            attributes: attrs.iter().map(|s| s.to_string()).collect(),
        }
    }

    const JSON: &str = r#"{
  "as_of": "2026-01-14",
  "summary": {"identities": 2},
  "identities": [
    {"key": "1002", "lifecycle": "active", "attributes": {"department": "Sales", "manager": "1001", "x": [1, {"a": 2}]},
     "groups": ["all-staff", "sales"], "access_packages": ["crm"], "accounts": {}},
    {"key": "1001", "lifecycle": "leaver", "attributes": {"department": null},
     "groups": [], "access_packages": []}
  ],
  "conflicts": [],
  "issues": []
}"#;

    fn entry(key: &str) -> Entry {
        Entry {
            key: key.to_string(),
            lifecycle: None,
            groups: Box::new([]),
            packages: Box::new([]),
            attributes: Box::new([]),
            not_by_rule: Box::new([]),
            carried: Box::new([]),
            line: 0,
        }
    }

    proptest::proptest! {
        /// The cursor finds what a search finds, for keys asked for in order (any subset, any
        /// gaps) and out of order.
        #[test]
        fn the_cursor_finds_what_a_search_finds(
            held in proptest::collection::btree_set(0u16..400, 0..120),
            asked in proptest::collection::vec(0u16..400, 0..200),
            sorted in proptest::bool::ANY,
        ) {
            let previous = Previous {
                entries: held.iter().map(|k| entry(&format!("{k:03}"))).collect(),
                ..Previous::default()
            };
            let mut asked: Vec<String> = asked.iter().map(|k| format!("{k:03}")).collect();
            if sorted {
                asked.sort();
            }
            let mut cursor = previous.cursor();
            for key in &asked {
                proptest::prop_assert_eq!(
                    cursor.get(key).map(|e| &e.key),
                    previous.get(key).map(|e| &e.key),
                    "{}", key
                );
            }
        }
    }

    #[test]
    fn reads_the_json_report() {
        let p = read_from(
            JSON.as_bytes(),
            Format::Json,
            "prev.json",
            &want(&["department"]),
        )
        .unwrap();
        assert_eq!(p.as_of, NaiveDate::from_ymd_opt(2026, 1, 14));
        assert_eq!(p.entries.len(), 2);
        let a = p.get("1001").unwrap();
        assert_eq!(a.lifecycle, Some(Lifecycle::Leaver));
        assert_eq!(p.attribute(a, 0), Some("null"));
        let b = p.get("1002").unwrap();
        assert_eq!(p.attribute(b, 0), Some("\"Sales\""));
        assert!(p.in_group(b, "sales"));
        assert!(!p.in_group(a, "sales"));
        assert!(p.has_package(b, "crm"));
        assert!(!p.in_group(b, "crm-unknown"));
        assert_eq!(b.line, 0);
    }

    #[test]
    fn reads_the_jsonl_report_with_lines() {
        let text = "{\"type\":\"summary\",\"as_of\":\"2026-01-14\",\"summary\":{}}\n\
                    {\"type\":\"identity\",\"key\":\"b\",\"lifecycle\":\"pre_hire\",\"attributes\":{\"d\":\"X\"},\"groups\":[\"g\"],\"access_packages\":[]}\n\
                    \n\
                    {\"type\":\"identity\",\"key\":\"a\",\"attributes\":{},\"groups\":[],\"access_packages\":[]}\n\
                    {\"type\":\"issue\",\"code\":\"D101\"}\n";
        let p = read_from(text.as_bytes(), Format::Jsonl, "p.jsonl", &want(&["d"])).unwrap();
        assert_eq!(p.as_of, NaiveDate::from_ymd_opt(2026, 1, 14));
        assert_eq!(
            p.entries
                .iter()
                .map(|e| (e.key.as_str(), e.line))
                .collect::<Vec<_>>(),
            [("a", 4), ("b", 2)]
        );
        assert_eq!(p.attribute(p.get("a").unwrap(), 0), None);
        assert_eq!(p.get("b").unwrap().lifecycle, Some(Lifecycle::PreHire));
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let text = "{\"type\":\"summary\",\"as_of\":\"2026-01-14\"}\n{\"type\":\"identity\",\"key\":\"a\",}\n";
        let e = read_from(text.as_bytes(), Format::Jsonl, "p.jsonl", &want(&[])).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].code, Code::PreviousMalformed);
        assert_eq!(e[0].row, Some(2));
        let json = "{\"as_of\": \"2026-01-14\",\n\"identities\": [\n{\"key\": 7}\n]}";
        let e = read_from(json.as_bytes(), Format::Json, "p.json", &want(&[])).unwrap_err();
        assert_eq!(e[0].code, Code::PreviousMalformed);
        assert_eq!(e[0].row, Some(3));
        assert!(e[0].message.contains("invalid type"), "{}", e[0].message);
    }

    #[test]
    fn duplicates_and_missing_dates_are_errors() {
        let json =
            "{\"as_of\": \"2026-01-14\", \"identities\": [{\"key\": \"a\"}, {\"key\": \"a\"}]}";
        let e = read_from(json.as_bytes(), Format::Json, "p.json", &want(&[])).unwrap_err();
        assert_eq!(e[0].code, Code::PreviousDuplicate);
        let text = "{\"type\":\"identity\",\"key\":\"a\"}\n{\"type\":\"identity\",\"key\":\"a\"}\n";
        let e = read_from(text.as_bytes(), Format::Jsonl, "p.jsonl", &want(&[])).unwrap_err();
        assert_eq!(
            e.iter().map(|i| i.code).collect::<Vec<_>>(),
            [Code::PreviousMalformed, Code::PreviousDuplicate]
        );
        assert_eq!(e[1].row, Some(2));
        let json = "{\"identities\": []}";
        let e = read_from(json.as_bytes(), Format::Json, "p.json", &want(&[])).unwrap_err();
        assert_eq!(e[0].code, Code::PreviousMalformed);
        let json = "{\"as_of\": \"yesterday\", \"identities\": []}";
        let e = read_from(json.as_bytes(), Format::Json, "p.json", &want(&[])).unwrap_err();
        assert!(e[0].message.contains("`yesterday`"), "{}", e[0].message);
    }

    #[test]
    fn trailing_garbage_and_truncation_are_errors() {
        let json = "{\"as_of\": \"2026-01-14\", \"identities\": []} x";
        assert!(read_from(json.as_bytes(), Format::Json, "p.json", &want(&[])).is_err());
        let json = "{\"as_of\": \"2026-01-14\", \"identities\": [{\"key\": \"a\"}";
        assert!(read_from(json.as_bytes(), Format::Json, "p.json", &want(&[])).is_err());
    }
}
