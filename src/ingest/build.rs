//! Builds a [`Dataset`]'s columns while a reader parses: each cell goes straight into its
//! field's dictionary-encoded column, and a raw text is converted to its typed value once per
//! field however many cells hold it (a million rows share a few thousand dates, a handful of
//! booleans and departments). Nothing is kept per row but the codes, the file row and the key.

use std::hash::BuildHasher as _;

use hashbrown::HashTable;
use rayon::prelude::*;
use serde_json::Value as Json;

use super::{DataIssue, Dataset, FieldType, convert_json, convert_text, key_of};
use crate::codes::Code;
use crate::column::{Column, ColumnBuilder};
use crate::value::Value;

fn hash_str(s: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0x1a9e57).hash_one(s)
}

/// A cached conversion of one distinct raw text (fields other than `string`).
struct Converted {
    /// Where the raw text is in [`FieldBuilder::arena`].
    start: usize,
    end: usize,
    /// The value's code, or the index of the error in [`FieldBuilder::errors`].
    result: Result<u32, usize>,
}

/// One field's column as it is built.
struct FieldBuilder {
    ty: FieldType,
    column: ColumnBuilder,
    /// `string` fields: raw text -> code (the text is the dictionary's value). Other types: raw
    /// text -> index in `converted`.
    table: HashTable<u32>,
    arena: String,
    converted: Vec<Converted>,
    errors: Vec<super::ConvertError>,
    /// The codes of the batch being added ([`Builder::push_texts`]).
    batch: Vec<u32>,
    /// The batch's conversion issues, by record of the batch.
    batch_issues: Vec<(usize, DataIssue)>,
}

impl FieldBuilder {
    fn new(ty: FieldType) -> FieldBuilder {
        FieldBuilder {
            ty,
            column: ColumnBuilder::new(),
            table: HashTable::new(),
            arena: String::new(),
            converted: Vec::new(),
            errors: Vec::new(),
            batch: Vec::new(),
            batch_issues: Vec::new(),
        }
    }

    /// The code of text `s` (CSV cells, JSON strings), or the index of why it does not convert.
    fn text(&mut self, s: &str, empty_is_null: bool) -> Result<u32, Option<&super::ConvertError>> {
        if self.ty == FieldType::String {
            if s.is_empty() && empty_is_null {
                return Ok(0);
            }
            return Ok(self.string(s));
        }
        // Any other type: the empty text is NULL, whatever `empty_is_null` says, so the result
        // depends on the text alone.
        if s.is_empty() {
            return Ok(0);
        }
        let h = hash_str(s);
        let (arena, converted) = (&self.arena, &self.converted);
        if let Some(&i) = self.table.find(h, |&i| {
            converted
                .get(i as usize)
                .and_then(|c| arena.get(c.start..c.end))
                == Some(s)
        }) {
            let result = self.converted.get(i as usize).map_or(Ok(0), |c| c.result);
            return result.map_err(|e| self.errors.get(e));
        }
        let result = match convert_text(s, self.ty, empty_is_null) {
            Ok(v) => Ok(self.column.intern(v)),
            Err(e) => {
                self.errors.push(e);
                Err(self.errors.len().saturating_sub(1))
            }
        };
        let start = self.arena.len();
        self.arena.push_str(s);
        let index = u32::try_from(self.converted.len()).unwrap_or(u32::MAX);
        self.converted.push(Converted {
            start,
            end: self.arena.len(),
            result,
        });
        let (arena, converted) = (&self.arena, &self.converted);
        self.table.insert_unique(h, index, |&i| {
            converted
                .get(i as usize)
                .and_then(|c| arena.get(c.start..c.end))
                .map_or(0, hash_str)
        });
        result.map_err(|e| self.errors.get(e))
    }

    /// Types the texts of a batch of records into [`FieldBuilder::batch`].
    fn texts<'c>(
        &mut self,
        rows: &[usize],
        cell: impl Fn(usize) -> Option<&'c str>,
        file: &str,
        name: &str,
    ) {
        self.batch.clear();
        self.batch_issues.clear();
        for (b, row) in rows.iter().enumerate() {
            let code = match cell(b) {
                None => 0,
                Some(s) => match self.text(s, true) {
                    Ok(code) => code,
                    Err(e) => {
                        if let Some(e) = e {
                            let issue = value_issue(e, file, *row, name);
                            self.batch_issues.push((b, issue));
                        }
                        0
                    }
                },
            };
            self.batch.push(code);
        }
    }

    /// The code of the `string` value `s`.
    fn string(&mut self, s: &str) -> u32 {
        string_code(&mut self.column, &mut self.table, s)
    }
}

/// The code of `Value::Str(s)` in `column`, `table` indexing its strings by text.
fn string_code(column: &mut ColumnBuilder, table: &mut HashTable<u32>, s: &str) -> u32 {
    let h = hash_str(s);
    let col = &*column;
    if let Some(&code) = table.find(h, |&c| matches!(col.value(c), Value::Str(x) if x == s)) {
        return code;
    }
    let code = column.intern(Value::Str(s.to_string()));
    let col = &*column;
    table.insert_unique(h, code, |&c| match col.value(c) {
        Value::Str(x) => hash_str(x),
        _ => 0,
    });
    code
}

/// Builds a dataset record by record.
pub(crate) struct Builder<'a> {
    fields: &'a [(String, FieldType)],
    /// The index of the key among the wanted names (the fields, then the key when undeclared).
    key_index: usize,
    key_name: &'a str,
    file: &'a str,
    scim: bool,
    columns: Vec<FieldBuilder>,
    /// Keys when the key field is not declared: trimmed text.
    keys: ColumnBuilder,
    key_table: HashTable<u32>,
    rows: Vec<usize>,
    /// The codes of the record being added.
    codes: Vec<u32>,
    /// Conversion issues (`D102`, `D104`), in record order; they follow the reader's issues.
    issues: Vec<DataIssue>,
    /// Records offered, keyed or not.
    offered: usize,
}

impl<'a> Builder<'a> {
    pub(crate) fn new(
        fields: &'a [(String, FieldType)],
        key_index: usize,
        key_name: &'a str,
        file: &'a str,
        scim: bool,
    ) -> Builder<'a> {
        Builder {
            fields,
            key_index,
            key_name,
            file,
            scim,
            columns: fields
                .iter()
                .map(|(_, ty)| FieldBuilder::new(*ty))
                .collect(),
            keys: ColumnBuilder::new(),
            key_table: HashTable::new(),
            rows: Vec::new(),
            codes: Vec::with_capacity(fields.len()),
            issues: Vec::new(),
            offered: 0,
        }
    }

    /// How many records were offered to [`Builder::push`] (with or without a key).
    pub(crate) fn offered(&self) -> usize {
        self.offered
    }

    /// Adds the record at `row` whose JSON value for wanted name `i` is `cell(i)`: typed, reported
    /// (`D102`), and kept when it has a key (else a `D104`).
    pub(crate) fn push<'c>(&mut self, row: usize, cell: impl Fn(usize) -> Option<&'c Json>) {
        self.offered = self.offered.saturating_add(1);
        self.codes.clear();
        for (i, (field, (name, ty))) in self.columns.iter_mut().zip(self.fields).enumerate() {
            let uncached;
            let result = match cell(i) {
                None => Ok(0),
                Some(Json::String(s)) if *ty != FieldType::StringList => field.text(s, self.scim),
                Some(j) => match convert_json(j, *ty, self.scim) {
                    Ok(v) => Ok(field.column.intern(v)),
                    Err(e) => {
                        uncached = e;
                        Err(Some(&uncached))
                    }
                },
            };
            let code = match result {
                Ok(code) => code,
                Err(e) => {
                    if let Some(e) = e {
                        self.issues.push(value_issue(e, self.file, row, name));
                    }
                    0
                }
            };
            self.codes.push(code);
        }
        let key_code = if self.key_index < self.fields.len() {
            let has_key = match (
                self.columns.get(self.key_index),
                self.codes.get(self.key_index),
            ) {
                (Some(f), Some(&code)) => has_key(f.column.value(code)),
                _ => false,
            };
            has_key.then_some(0)
        } else {
            let text = match cell(self.key_index) {
                None => None,
                Some(Json::String(s)) => Some(std::borrow::Cow::Borrowed(s.trim())),
                Some(j) => convert_json(j, FieldType::String, self.scim)
                    .ok()
                    .as_ref()
                    .and_then(key_of)
                    .map(std::borrow::Cow::Owned),
            };
            text.filter(|t| !t.is_empty())
                .map(|t| string_code(&mut self.keys, &mut self.key_table, &t))
        };
        match key_code {
            Some(k) => {
                for (field, code) in self.columns.iter_mut().zip(&self.codes) {
                    field.column.push_code(*code);
                }
                if self.key_index >= self.fields.len() {
                    self.keys.push_code(k);
                }
                self.rows.push(row);
            }
            None => self.issues.push(self.missing_key(row)),
        }
    }

    fn missing_key(&self, row: usize) -> DataIssue {
        DataIssue::new(
            Code::DataMissingKey,
            self.file,
            "the record has no key and is skipped",
        )
        .at(row)
        .field(self.key_name)
        .help(format!(
            "every record needs a value in its key field `{}`",
            self.key_name
        ))
    }

    /// Adds a batch of text records (CSV) at `rows`, the cell of record `b` of the batch for
    /// wanted name `i` being `cell(b, i)`: as [`Builder::push`] for each, in order, with the
    /// fields typed in parallel.
    pub(crate) fn push_texts<'c>(
        &mut self,
        rows: &[usize],
        cell: impl Fn(usize, usize) -> Option<&'c str> + Sync,
    ) {
        let file = self.file;
        self.offered = self.offered.saturating_add(rows.len());
        self.columns
            .par_iter_mut()
            .zip(self.fields.par_iter())
            .enumerate()
            .with_max_len(1)
            .for_each(|(i, (field, (name, _)))| field.texts(rows, |b| cell(b, i), file, name));
        let undeclared = self.key_index >= self.fields.len();
        let mut cursors = vec![0usize; self.columns.len()];
        let mut keep = Vec::with_capacity(rows.len());
        for (b, row) in rows.iter().enumerate() {
            for (field, cursor) in self.columns.iter().zip(cursors.iter_mut()) {
                while let Some((at, issue)) = field.batch_issues.get(*cursor)
                    && *at == b
                {
                    self.issues.push(issue.clone());
                    *cursor += 1;
                }
            }
            let key_code = if undeclared {
                cell(b, self.key_index)
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(|t| string_code(&mut self.keys, &mut self.key_table, t))
            } else {
                let f = self.columns.get(self.key_index);
                let code = f.and_then(|f| f.batch.get(b).copied()).unwrap_or(0);
                f.is_some_and(|f| has_key(f.column.value(code)))
                    .then_some(0)
            };
            match key_code {
                Some(k) => {
                    if undeclared {
                        self.keys.push_code(k);
                    }
                    self.rows.push(*row);
                    keep.push(b);
                }
                None => {
                    let issue = self.missing_key(*row);
                    self.issues.push(issue);
                }
            }
        }
        self.columns.par_iter_mut().for_each(|field| {
            for b in &keep {
                field
                    .column
                    .push_code(field.batch.get(*b).copied().unwrap_or(0));
            }
        });
    }

    /// The dataset and the conversion issues.
    pub(crate) fn finish(self, name: &str) -> (Dataset, Vec<DataIssue>) {
        let columns: Vec<Column> = self
            .columns
            .into_iter()
            .map(|f| f.column.finish())
            .collect();
        let keys = match columns.get(self.key_index) {
            Some(column) => {
                let as_is = column.dictionary().iter().all(|v| {
                    matches!(v, Value::Null)
                        || matches!(v, Value::Str(s) if s.trim().len() == s.len())
                });
                if as_is {
                    // The key's text is the value: share the column.
                    column.clone()
                } else {
                    column.map_values(|v| key_of(v).map_or(Value::Null, Value::Str))
                }
            }
            None => self.keys.finish(),
        };
        (
            Dataset {
                source: name.to_string(),
                file: self.file.to_string(),
                fields: self.fields.to_vec(),
                rows: self.rows,
                keys,
                columns,
            },
            self.issues,
        )
    }
}

/// A `D102`: a value that does not convert.
fn value_issue(e: &super::ConvertError, file: &str, row: usize, name: &str) -> DataIssue {
    let mut issue = DataIssue::new(Code::DataValueType, file, &e.message)
        .at(row)
        .field(name);
    issue.help.clone_from(&e.help);
    issue
}

/// Whether a value gives a key: text that is not blank.
fn has_key(value: &Value) -> bool {
    value.as_text().is_some_and(|t| !t.trim().is_empty())
}
