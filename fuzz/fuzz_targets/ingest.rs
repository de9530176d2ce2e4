//! Shared by the ingest targets: a source declaring a field of every type, read from the fuzz
//! input, and checks over what comes out.

#![allow(dead_code)]

use roster::ingest::{self, DataIssue};
use roster::policy::raw;

/// The fields of the fuzzed sources: one of every type, a modification time and a manager.
const FIELDS: &str = "key: id\nduplicates: latest\nmodified_field: modified\nfields:\n  id: string\n  name: string\n  active: boolean\n  level: number\n  hired: datetime\n  modified: datetime\n  tags: string_list\n  manager: string\n";

/// SCIM attribute paths of every kind: core, sub-attribute, filtered multi-valued,
/// enterprise and custom extensions.
const SCIM_FIELDS: &str = "key: externalId\nfields:\n  externalId: string\n  userName: string\n  active: boolean\n  name.givenName: string\n  'emails[type eq \"work\"].value': string\n  phoneNumbers: string_list\n  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber': number\n  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager': string\n  'urn:ietf:params:scim:schemas:extension:acme:2.0:User:HireDate': datetime\n";

/// The manager field of the fuzzed sources.
pub fn manager(format: &str) -> &'static str {
    if format == "scim" {
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"
    } else {
        "manager"
    }
}

/// The declaration of the fuzzed source, in the given format (and CSV delimiter, as a YAML
/// double-quoted scalar's content).
pub fn source(format: &str, delimiter: &str) -> raw::Source {
    let fields = if format == "scim" {
        SCIM_FIELDS
    } else {
        FIELDS
    };
    let yaml = format!("format: {format}\npath: people.data\ndelimiter: \"{delimiter}\"\n{fields}");
    match roster::yaml::parse(
        roster::diagnostics::FileId(0),
        &yaml,
        &roster::yaml::Limits::default(),
    ) {
        Ok(s) => s,
        Err(d) => panic!("the fuzz source does not parse: {d:?}"),
    }
}

/// Reads `bytes` as `source`, then checks the dataset and renders every issue.
pub fn read(source: &raw::Source, bytes: &[u8]) {
    let mut issues: Vec<DataIssue> = Vec::new();
    let dataset = ingest::read_bytes("people", source, bytes, "people.data", &mut issues);
    if let Some(dataset) = &dataset {
        for r in 0..dataset.len() {
            let record = dataset.record(r);
            assert!(record.is_some());
            assert!(!dataset.key(r).is_empty(), "a record without a key");
            for f in 0..dataset.fields.len() {
                crate::common::check_value(dataset.value(r, f));
            }
        }
        let format = match source.format.value {
            raw::SourceFormat::Scim => "scim",
            _ => "other",
        };
        issues.extend(ingest::manager_issues(
            dataset,
            manager(format),
            "people.data",
        ));
    }
    for issue in &issues {
        let _ = issue.render();
        // Messages that quote data are bounded.
        assert!(issue.message.len() < 64 * 1024, "{}", issue.message.len());
    }
}
