//! Reading the systems of record: HR exports in CSV, JSON, JSON Lines and SCIM bulk requests,
//! each value parsed to the type its source declares, every data defect reported as a
//! [`DataIssue`] naming the file, the row and the field (codes `D1xx`).
//!
//! [`read`] reads one declared source into a [`Dataset`]; [`read_rows`] does the same without
//! resolving duplicate keys (every keyed row is kept); [`manager_issues`] checks the manager
//! references of one dataset.
//!
//! Decisions (where neither Entra nor the formats decide):
//!
//! - **Rows.** CSV: the line on which the record starts (the header is line 1, so the first
//!   record is usually row 2). JSON: the array index + 1. JSON Lines: the line number (blank
//!   lines are skipped but counted). SCIM: the operation index + 1.
//! - **Empty values.** An empty CSV cell is NULL for every type, `string` included: CSV cannot
//!   tell "no value" from "empty", and HR exports write no value as an empty cell. In SCIM an
//!   empty string is NULL too (Entra treats it as "no value"). In JSON and JSON Lines, `null`
//!   and an absent member are NULL, and `""` is the empty string for a `string` field (JSON can
//!   say both) and NULL for any other type.
//! - **Text is kept as written**: CSV and JSON strings are not trimmed (keys are, see below);
//!   values of the other types are trimmed before parsing.
//! - **boolean**: `true`/`false`, `yes`/`no`, `1`/`0`, case-insensitive; JSON `true`/`false`
//!   and the numbers `1`/`0`.
//! - **number**: a whole number that fits in 64 bits becomes an integer; a finite decimal
//!   (`2.5`, `1e3`) is kept as its text, as `--input` JSON numbers are (values have no
//!   fractional kind); anything else is a `D102`.
//! - **datetime**: parsed as `CDate` parses (`dotnet::datetime::parse`: ISO 8601, the
//!   offset-suffixed dates of Workday and SuccessFactors such as `2012-03-16-07:00`,
//!   `M/d/yyyy`), converted to UTC.
//! - **string_list**: from CSV, the cell split on `;`, each item trimmed, empty items dropped;
//!   from JSON, an array of scalars as is (a plain string is a one-item list, not split); an
//!   empty list is NULL.
//! - **Nested JSON**: an array is a `string_list` value (a `D102` for any other type, except in
//!   SCIM where a one-value multi-valued attribute gives its value); an object is a `D102`
//!   unless the field is a `string`, which receives the object as compact JSON text.
//! - **Columns and members** are matched to declared fields case-sensitively (CSV, JSON), and
//!   case-insensitively in SCIM, whose attribute names are. A declared field missing from a
//!   CSV header is an error (`D105`, with a did-you-mean); a declared field that no JSON or
//!   SCIM record has is a warning (`D105`). Undeclared columns and members are ignored
//!   silently: declaring only the fields a policy reads is normal.
//! - **A value that does not parse** is a `D102` naming file, row, field and value; the record
//!   is kept with NULL in that field.
//! - **Keys** are the key field's text, trimmed. A record without one is a `D104` and is
//!   skipped. The key field need not be declared among the fields (it is then read as text).
//! - **Duplicate keys**, `duplicates: refuse` (the default): every row after the first with the
//!   same key is a `D103` error listing all the rows of that key; the first row is kept so
//!   that evaluation can go on and report more, but the errors fail the run.
//!   `duplicates: latest`: the record with the latest `modified_field` wins (NULL is oldest;
//!   on a tie, or without a `modified_field`, the record that comes last in content order:
//!   [`Dataset::cmp_records`], the key then each field's value in declaration order, never
//!   the row order), and one `D103` warning per key says which row was kept.
//! - **Repeated members.** A JSON, JSON Lines or SCIM object that has a member twice (in SCIM,
//!   also two names differing only in case, since SCIM names are case-insensitive) is
//!   ambiguous: a `D110` names file, row and field, and the field it feeds is left NULL (a
//!   record whose key repeats has no key and is skipped; a SCIM operation whose own members
//!   repeat is skipped; `Operations` twice makes the request unreadable). A repeated member
//!   that no declared field reads is a warning.
//! - **SCIM shapes.** A multi-valued attribute of the core User schema (`emails`,
//!   `phoneNumbers`, `addresses`...) that is not an array of objects, or a scalar where a path
//!   reads a sub-attribute or applies a filter, is a `D111` error and the field is NULL, never
//!   read as something else.
//! - **Malformed rows** (a CSV record with a different number of cells than the header, a
//!   JSON Lines line that is not an object) are a `D101` and skipped; the other rows are kept.
//!   A file that cannot be read or parsed at all is a `D101` and gives no dataset.
//! - **Manager references** ([`manager_issues`]): a reference to no key of the dataset is a
//!   `D106` warning (the manager may come from another source), one's own key a `D107`
//!   warning (some HR systems mark the top of the hierarchy so), and a cycle of two or more a
//!   `D108` error, reported once with its chain.

mod build;
mod csv;
mod json;
mod manager;
mod scim;
mod strict;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value as Json;

use crate::codes::Code;
use crate::column::Column;
use crate::diagnostics::Severity;
use crate::dotnet::datetime;
use crate::files::{self, Access, Refusal};
use crate::policy::raw::{self, Duplicates, FieldType, SourceFormat};
use crate::value::Value;

pub use manager::manager_issues;

/// The records of one source, each value of its declared type, held by column: record `r` is
/// row `r` of every column, of [`Dataset::rows`] and of [`Dataset::keys`].
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The source's name.
    pub source: String,
    /// The data file, as issues name it (the source's path under the policy's directory).
    pub file: String,
    /// The declared fields, in declaration order.
    pub fields: Vec<(String, FieldType)>,
    /// Where each record is in the file (see [`Record::row`]), in file order.
    pub rows: Vec<usize>,
    /// The key of each record: a string, trimmed, never empty. A column, so that keys that are
    /// a declared field's text share that field's column.
    pub keys: Column,
    /// The values, one column per declared field, aligned with [`Dataset::fields`]; NULL when
    /// absent, empty or unparsable.
    pub columns: Vec<Column>,
}

impl Dataset {
    /// The number of records.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The index of a declared field.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|(n, _)| n == name)
    }

    /// The file row of record `r` (0 out of range).
    pub fn row(&self, r: usize) -> usize {
        self.rows.get(r).copied().unwrap_or(0)
    }

    /// The key of record `r` (empty out of range).
    pub fn key(&self, r: usize) -> &str {
        match self.keys.get(r) {
            Value::Str(k) => k,
            _ => "",
        }
    }

    /// The value of record `r` in the field at `field` (NULL when out of range).
    pub fn value(&self, r: usize, field: usize) -> &Value {
        self.columns.get(field).map_or(&Value::Null, |c| c.get(r))
    }

    /// The column of the field at `field`.
    pub fn column(&self, field: usize) -> Option<&Column> {
        self.columns.get(field)
    }

    /// Compares records `a` and `b` by content only: the key, then each field's value in
    /// declaration order ([`Value::canonical_cmp`]). Choices between records (which of two
    /// duplicates is kept, which of two records correlated to one person is used) follow this
    /// order, so that they do not depend on the order of rows in the file.
    pub fn cmp_records(&self, a: usize, b: usize) -> std::cmp::Ordering {
        self.key(a).cmp(self.key(b)).then_with(|| {
            self.columns
                .iter()
                .map(|c| c.get(a).canonical_cmp(c.get(b)))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
    }

    /// Record `r`, materialised (for explanations and tests: evaluation reads the columns).
    pub fn record(&self, r: usize) -> Option<Record> {
        (r < self.len()).then(|| Record {
            row: self.row(r),
            key: self.key(r).to_string(),
            values: self.columns.iter().map(|c| c.get(r).clone()).collect(),
        })
    }

    /// Keeps only the records `keep` (indices, ascending).
    fn retain_records(&mut self, keep: &[usize]) {
        fn gather(c: &Column, keep: &[usize]) -> Column {
            c.gather(keep.iter().map(|r| Some(*r)))
        }
        // Keys that share a field's column keep sharing it.
        let shared = self.columns.iter().position(|c| {
            c.same_codes(&self.keys) && std::ptr::eq(c.dictionary(), self.keys.dictionary())
        });
        self.columns = self.columns.iter().map(|c| gather(c, keep)).collect();
        self.keys = match shared.and_then(|f| self.columns.get(f)) {
            Some(c) => c.clone(),
            None => gather(&self.keys, keep),
        };
        self.rows = keep.iter().map(|r| self.row(*r)).collect();
    }
}

/// One record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Where it is: CSV, the line the record starts on; JSON, the array index + 1; JSON Lines,
    /// the line number; SCIM, the operation index + 1.
    pub row: usize,
    /// The key, trimmed, never empty.
    pub key: String,
    /// The values, aligned with [`Dataset::fields`]; NULL when absent, empty or unparsable.
    pub values: Vec<Value>,
}

impl Record {
    /// The value of the field at `index` (NULL when out of range).
    pub fn value(&self, index: usize) -> &Value {
        self.values.get(index).unwrap_or(&Value::Null)
    }
}

/// A defect in a data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataIssue {
    /// The stable code (`D1xx`).
    #[serde(serialize_with = "serialize_code")]
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// The data file, as the policy locates it.
    pub file: String,
    /// The row (see [`Record::row`]), when the issue is about one; for an issue located in a
    /// policy file ([`DataIssue::in_policy`]), the line.
    pub row: Option<usize>,
    /// The field, when the issue is about one.
    pub field: Option<String>,
    /// Lower case, no final period, user data in backticks.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

fn serialize_code<S: serde::Serializer>(code: &Code, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(code.as_str())
}

impl DataIssue {
    /// An issue with the code's default severity.
    pub fn new(code: Code, file: &str, message: impl Into<String>) -> DataIssue {
        DataIssue {
            code,
            severity: code.severity(),
            file: file.to_string(),
            row: None,
            field: None,
            message: message.into(),
            help: None,
        }
    }

    /// At a row.
    #[must_use]
    pub fn at(mut self, row: usize) -> DataIssue {
        self.row = Some(row);
        self
    }

    /// About a field.
    #[must_use]
    pub fn field(mut self, field: impl Into<String>) -> DataIssue {
        self.field = Some(field.into());
        self
    }

    /// With help.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> DataIssue {
        self.help = Some(help.into());
        self
    }

    /// With help, when there is some.
    #[must_use]
    pub fn help_opt(mut self, help: Option<String>) -> DataIssue {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// With another severity than the code's default.
    #[must_use]
    pub fn severity(mut self, severity: Severity) -> DataIssue {
        self.severity = severity;
        self
    }

    /// Whether the issue is located in a policy file rather than a data file: then `row` is
    /// the line of the declaration it concerns (a separation-of-duties declaration, a static
    /// member).
    pub fn in_policy(&self) -> bool {
        matches!(
            self.code,
            Code::SeparationOfDuties
                | Code::UnknownMember
                | Code::NoPreviousState
                | Code::NoPreviousGrace
        )
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The human form: `error[D102]: file:row: field `x`: message`, then the help; clipped
    /// and terminal-safe ([`crate::escape`]).
    pub fn render(&self) -> String {
        use crate::escape::{clip_message, terminal};
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let line = self.to_string();
        let mut out = format!(
            "{sev}[{}]: {}\n",
            self.code.as_str(),
            terminal(&clip_message(&line))
        );
        if let Some(help) = &self.help {
            out.push_str("  = help: ");
            out.push_str(&terminal(&clip_message(help)));
            out.push('\n');
        }
        out
    }
}

/// `file:row: field `x`: message` (the parts that are known).
impl fmt::Display for DataIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(row) = self.row {
            write!(f, ":{row}")?;
        }
        f.write_str(": ")?;
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// What a reader is asked for.
pub(crate) struct Want<'a> {
    /// The declared fields and, last when it is not declared, the key field.
    pub names: Vec<&'a str>,
    /// The data file, for issues.
    pub file: &'a str,
    /// The index of the key among the names.
    pub key: usize,
}

/// Reads a source and resolves duplicate keys as the source says (see the module
/// documentation). Returns no dataset only when the file cannot be read or parsed at all.
pub fn read(
    name: &str,
    source: &raw::Source,
    base_dir: &Path,
    access: &Access,
) -> (Option<Dataset>, Vec<DataIssue>) {
    let (dataset, mut issues) = read_rows(name, source, base_dir, access);
    let Some(mut dataset) = dataset else {
        return (None, issues);
    };
    let file = display_path(source, base_dir);
    let policy = source
        .duplicates
        .as_ref()
        .map_or(Duplicates::Refuse, |d| d.value);
    let modified = source
        .modified_field
        .as_ref()
        .map(|m| m.value.as_str())
        .filter(|m| !m.is_empty());
    resolve_duplicates(
        &mut dataset,
        policy,
        modified,
        (&file, &source.key.value),
        &mut issues,
    );
    (Some(dataset), issues)
}

/// Reads a source, types its values and drops records without a key, but keeps every row of a
/// duplicate key: for checks over the file as written (how many rows have a manager in the
/// file?).
///
/// The file is read only when its path stays inside `access.root` (`C310` otherwise), it is a
/// regular file (`D120`) and it is at most `access.max_data_bytes` long (`D121`); see
/// [`crate::files`].
pub fn read_rows(
    name: &str,
    source: &raw::Source,
    base_dir: &Path,
    access: &Access,
) -> (Option<Dataset>, Vec<DataIssue>) {
    let file = display_path(source, base_dir);
    let mut issues = Vec::new();
    let root = access.root.as_deref();
    let path = match files::resolve_inside(root, base_dir, &source.path.value) {
        Ok(path) => path,
        Err(escape) => {
            issues.push(
                DataIssue::new(
                    Code::PathOutsideRoot,
                    &file,
                    escape.message(&source.path.value),
                )
                .help(escape.help()),
            );
            return (None, issues);
        }
    };
    let bytes = match files::read_bounded(&path, access.max_data_bytes) {
        Ok(b) => b,
        Err(refusal @ Refusal::NotRegular(_)) => {
            issues.push(
                DataIssue::new(
                    Code::DataNotAFile,
                    &file,
                    format!("the file is not read: {refusal}"),
                )
                .help("a source's `path` names a regular file: an export written to disk"),
            );
            return (None, issues);
        }
        Err(refusal @ Refusal::TooLarge { .. }) => {
            issues.push(
                DataIssue::new(Code::DataTooLarge, &file, format!("the file is not read: {refusal}"))
                    .help("whoever runs Roster can raise the limit with `--max-data-size`, for example `--max-data-size 4G`"),
            );
            return (None, issues);
        }
        Err(Refusal::Io(e)) => {
            issues.push(
                DataIssue::new(Code::DataUnreadable, &file, format!("cannot read the file: {}", e.to_string().to_lowercase()))
                    .help("check the source's `path`: it is relative to the policy file that declares the source"),
            );
            return (None, issues);
        }
    };
    let dataset = read_bytes(name, source, &bytes, &file, &mut issues);
    (dataset, issues)
}

/// Reads a source from bytes held in memory, as [`read`] reads its file: typed, keyless
/// records dropped, duplicate keys resolved by the source's `duplicates`. `file` is the name
/// issues give the data. `roster test` reads its fixtures so ([`crate::testing`]).
pub fn read_in_memory(
    name: &str,
    source: &raw::Source,
    bytes: &[u8],
    file: &str,
) -> (Option<Dataset>, Vec<DataIssue>) {
    let mut issues = Vec::new();
    let Some(mut dataset) = read_bytes(name, source, bytes, file, &mut issues) else {
        return (None, issues);
    };
    let policy = source
        .duplicates
        .as_ref()
        .map_or(Duplicates::Refuse, |d| d.value);
    let modified = source
        .modified_field
        .as_ref()
        .map(|m| m.value.as_str())
        .filter(|m| !m.is_empty());
    resolve_duplicates(
        &mut dataset,
        policy,
        modified,
        (file, &source.key.value),
        &mut issues,
    );
    (Some(dataset), issues)
}

/// Reads a source from the file's bytes: the testable core of [`read_rows`].
pub fn read_bytes(
    name: &str,
    source: &raw::Source,
    bytes: &[u8],
    file: &str,
    issues: &mut Vec<DataIssue>,
) -> Option<Dataset> {
    let fields: Vec<(String, FieldType)> = source
        .fields
        .iter()
        .map(|(k, v)| (k.value.clone(), v.value))
        .collect();
    let key = source.key.value.as_str();
    let mut names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    let key_index = match names.iter().position(|n| *n == key) {
        Some(i) => i,
        None => {
            names.push(key);
            names.len().saturating_sub(1)
        }
    };
    let want = Want {
        names,
        file,
        key: key_index,
    };
    let scim = source.format.value == SourceFormat::Scim;
    let mut builder = build::Builder::new(&fields, key_index, key, file, scim);
    match source.format.value {
        SourceFormat::Csv => {
            let delimiter = csv_delimiter(source, file, issues)?;
            csv::read(bytes, delimiter, &want, &mut builder, issues)?;
        }
        SourceFormat::Json => json::read_array(bytes, &want, &mut builder, issues)?,
        SourceFormat::Jsonl => json::read_lines(bytes, &want, &mut builder, issues)?,
        SourceFormat::Scim => scim::read(bytes, &want, &mut builder, issues)?,
    }
    let (dataset, mut typing) = builder.finish(name);
    issues.append(&mut typing);
    Some(dataset)
}

/// The file as issues name it: the source's path under the policy's directory.
pub(crate) fn display_path(source: &raw::Source, base_dir: &Path) -> String {
    if base_dir.as_os_str().is_empty() || base_dir == Path::new(".") {
        source.path.value.clone()
    } else {
        base_dir
            .join(source.path.value.as_str())
            .display()
            .to_string()
    }
}

fn csv_delimiter(source: &raw::Source, file: &str, issues: &mut Vec<DataIssue>) -> Option<char> {
    let Some(d) = &source.delimiter else {
        return Some(',');
    };
    let text = if d.value == "\\t" || d.value.eq_ignore_ascii_case("tab") {
        "\t"
    } else {
        d.value.as_str()
    };
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c != '"' && c != '\n' && c != '\r' => Some(c),
        _ => {
            issues.push(
                DataIssue::new(
                    Code::DataUnreadable,
                    file,
                    format!("the delimiter `{}` is not one character other than a quote or a line break", d.value),
                )
                .help("write one character, e.g. `,`, `;` or `\"\\t\"`"),
            );
            None
        }
    }
}

/// A key from a value: its text, trimmed; none when NULL, empty or multi-valued.
fn key_of(value: &Value) -> Option<String> {
    let text = value.as_text()?;
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Why a value does not convert.
pub(crate) struct ConvertError {
    pub message: String,
    pub help: Option<String>,
}

/// Shows user data in a message: at most 60 characters, in backticks.
pub(crate) fn quote(text: &str) -> String {
    let mut out: String = text.chars().take(60).collect();
    if text.chars().nth(60).is_some() {
        out.push('…');
    }
    format!("`{}`", out.replace('`', "'"))
}

fn type_name(ty: FieldType) -> &'static str {
    match ty {
        FieldType::String => "string",
        FieldType::Boolean => "boolean",
        FieldType::Number => "number",
        FieldType::Datetime => "datetime",
        FieldType::StringList => "string_list",
    }
}

fn not_a(text: &str, ty: FieldType, help: Option<String>) -> ConvertError {
    ConvertError {
        message: format!("{} is not a {}", quote(text), type_name(ty)),
        help,
    }
}

/// Converts text (a CSV cell, a JSON string) to the declared type (see the module
/// documentation for the rules).
pub(crate) fn convert_text(
    s: &str,
    ty: FieldType,
    empty_is_null: bool,
) -> Result<Value, ConvertError> {
    if s.is_empty() && (empty_is_null || ty != FieldType::String) {
        return Ok(Value::Null);
    }
    let t = s.trim();
    match ty {
        FieldType::String => Ok(Value::Str(s.to_string())),
        _ if t.is_empty() => Ok(Value::Null),
        FieldType::Boolean => parse_bool(t).map(Value::Bool).ok_or_else(|| {
            not_a(
                t,
                ty,
                Some("write `true` or `false` (`yes`/`no` and `1`/`0` are accepted too)".into()),
            )
        }),
        FieldType::Number => parse_number(t).ok_or_else(|| {
            not_a(
                t,
                ty,
                Some("write a number such as `42` or `2.5`, without thousands separators".into()),
            )
        }),
        FieldType::Datetime => datetime::parse(t)
            .map(Value::Date)
            .map_err(|e| ConvertError {
                message: format!("{} is not a datetime: {}", quote(t), e.message),
                help: e.help.or_else(|| {
                    Some(
                        "write an ISO 8601 date such as `2024-03-04` or `2024-03-04T09:00:00Z`"
                            .into(),
                    )
                }),
            }),
        FieldType::StringList => {
            let items: Vec<Value> = s
                .split(';')
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .map(|i| Value::Str(i.to_string()))
                .collect();
            Ok(if items.is_empty() {
                Value::Null
            } else {
                Value::List(items)
            })
        }
    }
}

fn parse_bool(t: &str) -> Option<bool> {
    const TRUE: [&str; 3] = ["true", "yes", "1"];
    const FALSE: [&str; 3] = ["false", "no", "0"];
    if TRUE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(true)
    } else if FALSE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(false)
    } else {
        None
    }
}

fn parse_number(t: &str) -> Option<Value> {
    if let Ok(i) = t.parse::<i64>() {
        return Some(Value::Int(i));
    }
    let looks_numeric = t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    match t.parse::<f64>() {
        Ok(f) if f.is_finite() && looks_numeric => Some(Value::Str(t.to_string())),
        _ => None,
    }
}

pub(crate) fn convert_json(j: &Json, ty: FieldType, scim: bool) -> Result<Value, ConvertError> {
    match j {
        Json::Null => Ok(Value::Null),
        Json::String(s) => {
            if ty == FieldType::StringList {
                if s.is_empty() {
                    return Ok(Value::Null);
                }
                return Ok(Value::List(vec![Value::Str(s.clone())]));
            }
            convert_text(s, ty, scim)
        }
        Json::Bool(b) => match ty {
            FieldType::Boolean => Ok(Value::Bool(*b)),
            FieldType::String => Ok(Value::Str(b.to_string())),
            FieldType::StringList => Ok(Value::List(vec![Value::Str(b.to_string())])),
            _ => Err(not_a(&b.to_string(), ty, None)),
        },
        Json::Number(n) => {
            let text = n.to_string();
            match ty {
                FieldType::Number => Ok(n.as_i64().map_or_else(|| Value::Str(text), Value::Int)),
                FieldType::Boolean => match n.as_i64() {
                    Some(1) => Ok(Value::Bool(true)),
                    Some(0) => Ok(Value::Bool(false)),
                    _ => Err(not_a(&text, ty, Some("write `true` or `false`".into()))),
                },
                FieldType::String => Ok(Value::Str(text)),
                FieldType::StringList => Ok(Value::List(vec![Value::Str(text)])),
                FieldType::Datetime => Err(ConvertError {
                    message: format!("{} is a number, not a datetime", quote(&text)),
                    help: Some("write the date as a string such as `\"2024-03-04\"`".into()),
                }),
            }
        }
        Json::Array(items) => {
            if ty == FieldType::StringList {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Json::Null => {}
                        Json::String(s) if s.is_empty() && scim => {}
                        Json::String(s) => out.push(Value::Str(s.clone())),
                        Json::Bool(_) | Json::Number(_) => out.push(Value::Str(item.to_string())),
                        Json::Array(_) | Json::Object(_) => {
                            return Err(ConvertError {
                                message: format!(
                                    "{} holds a nested array or object, not a list of strings",
                                    quote(&j.to_string())
                                ),
                                help: None,
                            });
                        }
                    }
                }
                return Ok(if out.is_empty() { Value::Null } else { Value::List(out) });
            }
            let present: Vec<&Json> = items
                .iter()
                .filter(|i| !(i.is_null() || (scim && i.as_str() == Some(""))))
                .collect();
            match present.as_slice() {
                [] if scim => Ok(Value::Null),
                [one] if scim => convert_json(one, ty, scim),
                _ => Err(ConvertError {
                    message: format!(
                        "{} has {} values; the field is declared `{}`",
                        quote(&j.to_string()),
                        items.len(),
                        type_name(ty)
                    ),
                    help: Some("declare the field `string_list`, or select one value".into()),
                }),
            }
        }
        Json::Object(_) => match ty {
            FieldType::String => Ok(Value::Str(j.to_string())),
            _ => Err(ConvertError {
                message: format!(
                    "{} is an object; only a `string` field can hold one",
                    quote(&j.to_string())
                ),
                help: Some("declare the field `string` to receive it as JSON text, or name one of its members".into()),
            }),
        },
    }
}

/// Compares modification times for `duplicates: latest`: dates, then numbers, then text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Stamp {
    Text(String),
    Int(i64),
    Date(NaiveDateTime),
}

fn stamp(value: &Value) -> Option<Stamp> {
    match value {
        Value::Date(d) => Some(Stamp::Date(*d)),
        Value::Int(n) => Some(Stamp::Int(*n)),
        Value::Null | Value::List(_) => None,
        other => other.as_text().map(|t| Stamp::Text(t.into_owned())),
    }
}

/// The most rows a duplicate-key message lists: every duplicate gets a message, so a list of
/// all would make the messages of one key quadratic in its rows (40,000 copies of one key
/// took 18 GB).
const LISTED_ROWS: usize = 10;

/// `2, 4 and 5`; past [`LISTED_ROWS`], `2, 3, …, 11 and 39,990 more`.
fn rows_list(rows: &[usize]) -> String {
    if rows.len() > LISTED_ROWS {
        let shown: Vec<String> = rows
            .iter()
            .take(LISTED_ROWS)
            .map(usize::to_string)
            .collect();
        return format!(
            "{} and {} more",
            shown.join(", "),
            crate::markdown::group_digits(rows.len() - LISTED_ROWS)
        );
    }
    let text: Vec<String> = rows.iter().map(usize::to_string).collect();
    match text.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => text.join(""),
    }
}

/// The records of each key that more than one record has, in file order, keyed by the first.
fn duplicate_groups(dataset: &Dataset) -> HashMap<usize, Vec<usize>> {
    // Group codes of the key column by text (a dictionary may hold a text twice), then rows by
    // group: one hash per distinct key, not per row.
    let dictionary = dataset.keys.dictionary();
    let mut by_text: HashMap<&str, u32> = HashMap::with_capacity(dictionary.len());
    let group_of_code: Vec<u32> = dictionary
        .iter()
        .map(|v| match v {
            Value::Str(k) => {
                let next = u32::try_from(by_text.len()).unwrap_or(u32::MAX);
                *by_text.entry(k.as_str()).or_insert(next)
            }
            _ => u32::MAX,
        })
        .collect();
    let group = |r: usize| {
        group_of_code
            .get(dataset.keys.code(r) as usize)
            .copied()
            .unwrap_or(u32::MAX)
    };
    let mut count = vec![0u32; by_text.len()];
    for r in 0..dataset.len() {
        if let Some(c) = count.get_mut(group(r) as usize) {
            *c = c.saturating_add(1);
        }
    }
    let mut first_of: HashMap<u32, usize> = HashMap::new();
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for r in 0..dataset.len() {
        let g = group(r);
        if count.get(g as usize).copied().unwrap_or(0) < 2 {
            continue;
        }
        let first = *first_of.entry(g).or_insert(r);
        groups.entry(first).or_default().push(r);
    }
    groups
}

fn resolve_duplicates(
    dataset: &mut Dataset,
    policy: Duplicates,
    modified: Option<&str>,
    (file, key_field): (&str, &str),
    issues: &mut Vec<DataIssue>,
) {
    let groups = duplicate_groups(dataset);
    if groups.is_empty() {
        return;
    }
    let mut drop = vec![false; dataset.len()];
    let mod_index = modified.and_then(|m| dataset.field_index(m));
    let mut new_issues = Vec::new();
    let mut firsts: Vec<usize> = groups.keys().copied().collect();
    firsts.sort_unstable();
    for i in firsts {
        let Some(group) = groups.get(&i) else {
            continue;
        };
        let key = dataset.key(i);
        let rows: Vec<usize> = group.iter().map(|g| dataset.row(*g)).collect();
        let listed = rows_list(&rows);
        match policy {
            Duplicates::Refuse => {
                for g in group.iter().skip(1) {
                    if let Some(d) = drop.get_mut(*g) {
                        *d = true;
                        new_issues.push(
                            DataIssue::new(
                                Code::DataDuplicateKey,
                                file,
                                format!(
                                    "duplicate key {}: rows {listed} have it; row {} is kept and this row is ignored",
                                    quote(key),
                                    dataset.row(i)
                                ),
                            )
                            .at(dataset.row(*g))
                            .field(key_field)
                            .help("make the keys unique, or set `duplicates: latest` and a `modified_field` to keep the most recent record"),
                        );
                    }
                }
            }
            Duplicates::Latest => {
                // The latest stamp; on a tie, the record last in content order (never the row
                // order, which a shuffled export changes).
                let stamp_of = |g: usize| mod_index.and_then(|m| stamp(dataset.value(g, m)));
                let winner = group
                    .iter()
                    .copied()
                    .max_by(|a, b| {
                        stamp_of(*a)
                            .cmp(&stamp_of(*b))
                            .then_with(|| dataset.cmp_records(*a, *b))
                    })
                    .unwrap_or(i);
                for g in group {
                    if *g != winner
                        && let Some(d) = drop.get_mut(*g)
                    {
                        *d = true;
                    }
                }
                let kept = dataset.row(winner);
                let why = match (modified, mod_index) {
                    (Some(m), Some(_)) => {
                        format!("the latest `{m}`; on a tie, the last record in content order")
                    }
                    (Some(m), None) => {
                        format!(
                            "`{m}` is not a declared field, so the last record in content order"
                        )
                    }
                    (None, _) => "no `modified_field` is set, so the last record in content order"
                        .to_string(),
                };
                new_issues.push(
                    DataIssue::new(
                        Code::DataDuplicateKey,
                        file,
                        format!(
                            "duplicate key {}: rows {listed} have it; row {kept} is kept ({why})",
                            quote(key)
                        ),
                    )
                    .at(kept)
                    .field(key_field)
                    .severity(Severity::Warning),
                );
            }
        }
    }
    issues.extend(new_issues);
    let keep: Vec<usize> = (0..dataset.len())
        .filter(|r| !drop.get(*r).copied().unwrap_or(false))
        .collect();
    if keep.len() < dataset.len() {
        dataset.retain_records(&keep);
    }
}

/// The nearest of `candidates` to a name that is missing: a different case first, then a
/// plausible typo.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
) -> Option<&'a str> {
    candidates
        .clone()
        .into_iter()
        .find(|c| c.eq_ignore_ascii_case(name))
        .or_else(|| crate::diagnostics::did_you_mean(name, candidates))
}

/// Reports the wanted names that no record has (`D105`); `false` when the key is among them,
/// which leaves nothing to read.
pub(crate) fn report_missing<'a>(
    want: &Want<'_>,
    seen: &[bool],
    candidates: impl IntoIterator<Item = &'a str> + Clone,
    what: &str,
    severity: Severity,
    issues: &mut Vec<DataIssue>,
) -> bool {
    let mut key_found = true;
    for (i, name) in want.names.iter().enumerate() {
        if seen.get(i).copied().unwrap_or(false) {
            continue;
        }
        let is_key = i == want.key;
        key_found &= !is_key;
        let mut issue = DataIssue::new(
            Code::DataMissingField,
            want.file,
            if is_key {
                format!("the key field is not in the {what}")
            } else {
                format!("the declared field is not in the {what}")
            },
        )
        .field(*name)
        .severity(if is_key { Severity::Error } else { severity });
        issue.help = Some(match suggest(name, candidates.clone()) {
            Some(s) if s.eq_ignore_ascii_case(name) => {
                format!("did you mean `{s}`? names are case-sensitive")
            }
            Some(s) => format!("did you mean `{s}`?"),
            None => {
                "declare the field as the file names it, or remove it from the source".to_string()
            }
        });
        issues.push(issue);
    }
    key_found
}
