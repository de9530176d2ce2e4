//! Where the data behind an identity is, for data issues: every issue caused by a record names
//! its file, row and field; an issue caused by policy names its file, line and column.

use crate::codes::Code;
use crate::diagnostics::{FileId, Sources as _, Span};
use crate::ingest::{DataIssue, Dataset};
use crate::policy::Policy;
use crate::policy::compile::MappingKind;
use crate::policy::graph::NodeId;
use crate::policy::load::Loaded;

use super::correlate;
use super::report;

/// Where the data of an identity is, for data issues: every issue caused by a record names
/// its file, row and field.
pub struct Locator<'a> {
    /// The checked policy (which source field an attribute copies).
    pub policy: &'a Policy,
    /// The datasets read.
    pub datasets: &'a [Dataset],
    /// The identities, in key order.
    pub people: &'a [correlate::Person],
}

impl Locator<'_> {
    /// Identity `i`'s key.
    pub fn key(&self, i: usize) -> &str {
        self.people.get(i).map_or("", |p| p.key.as_str())
    }

    /// An issue at identity `i`'s primary record, about `field`.
    pub fn primary(&self, i: usize, field: String, code: Code) -> DataIssue {
        let person = self.people.get(i);
        DataIssue {
            code,
            severity: code.severity(),
            file: person.map(|p| p.origin(self.datasets)).unwrap_or_default(),
            row: person.and_then(|p| p.first_row(self.datasets)),
            field: Some(field),
            message: String::new(),
            help: None,
        }
    }

    /// An issue about identity `i`'s attribute `attr`: at the record and field it is copied
    /// from when its mapping copies a source field (directly or through other attributes),
    /// else at the primary record, naming the attribute. The message is prefixed with the
    /// identity.
    pub fn attribute(&self, i: usize, attr: &str, code: Code, message: String) -> DataIssue {
        let mut issue = match self.source_of(attr) {
            Some((source, field)) => {
                let found = self
                    .datasets
                    .iter()
                    .position(|d| d.source == source)
                    .and_then(|d| self.people.get(i)?.record_in(self.datasets, d));
                match found {
                    Some((file, row)) => DataIssue {
                        code,
                        severity: code.severity(),
                        file,
                        row: Some(row),
                        field: Some(field.to_string()),
                        message: String::new(),
                        help: None,
                    },
                    None => self.primary(i, attr.to_string(), code),
                }
            }
            None => self.primary(i, attr.to_string(), code),
        };
        issue.message = format!("identity `{}`: {message}", self.key(i));
        issue
    }

    /// The source field an attribute copies, following direct copies of other attributes.
    fn source_of(&self, attr: &str) -> Option<(&str, &str)> {
        let mut at = attr;
        for _ in 0..64 {
            let mapping = self
                .policy
                .mappings
                .get(&NodeId::Attribute(at.to_string()))?;
            match &mapping.kind {
                MappingKind::Direct(NodeId::SourceField(s, f)) => return Some((s, f)),
                MappingKind::Direct(NodeId::Attribute(a)) => at = a,
                _ => return None,
            }
        }
        None
    }
}

/// A place in a policy file.
pub fn policy_place(loaded: &Loaded, file: FileId, span: Span) -> report::PolicyPlace {
    let src = loaded.sources.source(file);
    let at = src.line_col(span.start);
    report::PolicyPlace {
        file: src.name.to_string(),
        line: at.line,
        column: at.column,
    }
}
