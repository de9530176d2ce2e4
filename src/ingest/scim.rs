//! SCIM bulk requests, as Entra's API-driven inbound provisioning receives them: `schemas`
//! (the BulkRequest URN), `Operations` (each `method: POST`, a `bulkId`, `path: /Users` and
//! the user in `data`) and `failOnErrors`.
//!
//! Declared field names address attributes of `data`, case-insensitively as SCIM names are:
//!
//! - a core attribute by name: `userName`, `externalId`, `active`, `displayName`, `title`;
//! - a sub-attribute with dots: `name.givenName`;
//! - a multi-valued attribute (`emails`, `phoneNumbers`, `addresses`, …) gives all its values
//!   (the `value` member of each item); a filter selects items: `emails[type eq "work"].value`,
//!   `addresses[type eq "work"].locality`, `emails[primary eq true].value`;
//! - an extension attribute by its schema URN and name: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`,
//!   `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`, and custom
//!   schemas such as `urn:ietf:params:scim:schemas:extension:csv:1.0:User:HireDate`. A core
//!   attribute may be written with the core URN too.
//!
//! Empty strings are no value. A method other than `POST`, a path other than `/Users`
//! (any case) or an operation without `data` is a `D109` error and the operation is skipped;
//! a missing or repeated `bulkId` is a `D109` warning and the operation is read.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value as Json};

use super::build::Builder;
use super::{DataIssue, Want, json, json::syntax_message, quote, report_missing, strict};
use crate::codes::Code;
use crate::diagnostics::Severity;

const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// A member of an object, by case-insensitive name (an exact match first).
fn get_ci<'a>(object: &'a Map<String, Json>, name: &str) -> Option<&'a Json> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// `[attr eq value]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    attr: String,
    value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    name: String,
    filter: Option<Filter>,
}

/// A parsed attribute path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttrPath {
    /// The extension schema, none for core attributes.
    schema: Option<String>,
    steps: Vec<Step>,
}

/// Parses a declared field name as an attribute path; `Err` says what is wrong.
pub(crate) fn parse_path(name: &str) -> Result<AttrPath, String> {
    let (schema, rest) = if name.len() >= 4
        && name
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
    {
        // The attribute follows the last `:` outside a filter.
        let mut depth = 0i32;
        let mut split = None;
        for (i, c) in name.char_indices() {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                ':' if depth == 0 => split = Some(i),
                _ => {}
            }
        }
        let Some(i) = split else {
            return Err("a schema URN must be followed by `:` and an attribute name".into());
        };
        let schema = name.get(..i).unwrap_or_default();
        let rest = name.get(i.saturating_add(1)..).unwrap_or_default();
        if schema.eq_ignore_ascii_case(CORE_USER) {
            (None, rest)
        } else {
            (Some(schema.to_string()), rest)
        }
    } else {
        (None, name)
    };
    let mut steps = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        let mut step_name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '.' || c == '[' {
                break;
            }
            step_name.push(c);
            chars.next();
        }
        if step_name.is_empty() {
            return Err("an attribute name is empty".into());
        }
        let mut filter = None;
        if chars.peek() == Some(&'[') {
            chars.next();
            let mut inner = String::new();
            let mut quoted = false;
            let mut closed = false;
            for c in chars.by_ref() {
                if c == '"' {
                    quoted = !quoted;
                } else if c == ']' && !quoted {
                    closed = true;
                    break;
                }
                inner.push(c);
            }
            if !closed {
                return Err("a filter `[` is not closed".into());
            }
            filter = Some(parse_filter(&inner)?);
        }
        steps.push(Step {
            name: step_name,
            filter,
        });
        match chars.next() {
            None => break,
            Some('.') => {}
            Some(c) => return Err(format!("unexpected `{c}` after a filter")),
        }
    }
    Ok(AttrPath { schema, steps })
}

fn parse_filter(inner: &str) -> Result<Filter, String> {
    let inner = inner.trim();
    let mut parts = inner.splitn(3, char::is_whitespace);
    let (Some(attr), Some(op), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("the filter `{inner}` is not `attribute eq value`"));
    };
    if !op.eq_ignore_ascii_case("eq") {
        return Err(format!(
            "the filter operator `{op}` is not supported; only `eq` is"
        ));
    }
    let value = value.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    Ok(Filter {
        attr: attr.to_string(),
        value: value.to_string(),
    })
}

fn matches(item: &Json, filter: &Filter) -> bool {
    let Json::Object(o) = item else {
        return false;
    };
    match get_ci(o, &filter.attr) {
        Some(Json::String(s)) => s.eq_ignore_ascii_case(&filter.value),
        Some(Json::Bool(b)) => filter
            .value
            .eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        Some(Json::Number(n)) => n.to_string() == filter.value,
        _ => false,
    }
}

/// Multi-valued complex attributes of the SCIM core User schema (RFC 7643 §4.1.2): their
/// value is an array of objects (`[{"value": …, "type": "work"}]`).
const MULTI_VALUED: &[&str] = &[
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "groups",
    "entitlements",
    "roles",
    "x509Certificates",
];

fn shape(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// The value of an attribute path in a user: `Ok(None)` when absent; multi-valued attributes
/// give an array. `Err` says why the value does not have the shape the path (or the SCIM
/// schema) gives it: a multi-valued attribute that is not an array of objects, a scalar where
/// a sub-attribute is read or a filter applies (`D111`).
pub(crate) fn resolve(data: &Map<String, Json>, path: &AttrPath) -> Result<Option<Json>, String> {
    let root = match &path.schema {
        None => data,
        Some(schema) => match get_ci(data, schema) {
            None => return Ok(None),
            Some(Json::Object(o)) => o,
            Some(other) => {
                return Err(format!(
                    "the extension `{schema}` is {}, not an object",
                    shape(other)
                ));
            }
        },
    };
    let mut current: Vec<&Json> = Vec::new();
    let mut multi = false;
    let mut ended_on_multi = false;
    for (i, step) in path.steps.iter().enumerate() {
        if i > 0 && multi && current.is_empty() {
            // A filter matched no item: the attribute is there, without a value.
            return Ok(Some(Json::Array(Vec::new())));
        }
        let mut next = Vec::new();
        ended_on_multi = false;
        let parents: Vec<&Map<String, Json>> = if i == 0 {
            vec![root]
        } else {
            current
                .iter()
                .filter_map(|j| match j {
                    Json::Object(o) => Some(o),
                    _ => None,
                })
                .collect()
        };
        // The value must hold objects when a filter applies or a sub-attribute is read, and
        // a core multi-valued attribute is an array of objects whatever is read.
        let core_multi = i == 0
            && path.schema.is_none()
            && MULTI_VALUED
                .iter()
                .any(|m| m.eq_ignore_ascii_case(&step.name));
        let needs_objects = step.filter.is_some() || i + 1 < path.steps.len() || core_multi;
        let mut found = false;
        for parent in parents {
            match get_ci(parent, &step.name) {
                Some(Json::Array(items)) => {
                    found = true;
                    multi = true;
                    ended_on_multi = true;
                    if needs_objects
                        && let Some(bad) = items.iter().find(|j| !j.is_object() && !j.is_null())
                    {
                        return Err(format!(
                            "`{}` holds {}, where its items are objects such as `{{\"value\": …, \"type\": \"work\"}}`",
                            step.name,
                            shape(bad)
                        ));
                    }
                    next.extend(items.iter());
                }
                Some(Json::Null) => {
                    found = true;
                    next.push(&Json::Null);
                }
                Some(v) => {
                    found = true;
                    if core_multi {
                        return Err(format!(
                            "`{}` is {}; SCIM's `{}` is an array of objects such as `[{{\"value\": …, \"type\": \"work\"}}]`",
                            step.name,
                            shape(v),
                            step.name
                        ));
                    }
                    if needs_objects && !v.is_object() {
                        return Err(format!(
                            "`{}` is {}, where an object (or an array of objects) belongs",
                            step.name,
                            shape(v)
                        ));
                    }
                    next.push(v);
                }
                None => {}
            }
        }
        if !found {
            return Ok(None);
        }
        if let Some(filter) = &step.filter {
            multi = true;
            next.retain(|item| matches(item, filter));
        }
        current = next;
    }
    let values: Vec<Json> = current
        .into_iter()
        .map(|j| match j {
            Json::Object(o) if ended_on_multi => get_ci(o, "value").cloned().unwrap_or(Json::Null),
            other => other.clone(),
        })
        .collect();
    Ok(if multi {
        Some(Json::Array(values))
    } else {
        values.into_iter().next()
    })
}

fn op_issue(file: &str, row: usize, message: String) -> DataIssue {
    DataIssue::new(Code::DataScimOperation, file, message).at(row)
}

pub(crate) fn read(
    bytes: &[u8],
    want: &Want<'_>,
    builder: &mut Builder<'_>,
    issues: &mut Vec<DataIssue>,
) -> Option<()> {
    let file = want.file;
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.strip_prefix('\u{feff}').unwrap_or(t),
        Err(_) => {
            issues.push(DataIssue::new(
                Code::DataUnreadable,
                file,
                "the file is not UTF-8 text",
            ));
            return None;
        }
    };
    let (json, mut repeats) = match strict::parse(text) {
        Ok(j) => j,
        Err(e) => {
            issues
                .push(DataIssue::new(Code::DataUnreadable, file, syntax_message(&e)).at(e.line()));
            return None;
        }
    };
    // SCIM names are case-insensitive: `userName` and `USERNAME` are one attribute, twice.
    strict::case_repeats(&json, &mut Vec::new(), &mut repeats);
    // Repeats outside the operations make the request ambiguous; repeats in an operation's
    // own members (`method`, `path`, `data`...) make that operation ambiguous; repeats inside
    // `data` leave the fields they feed empty.
    let mut op_repeats: HashMap<usize, Vec<&strict::Repeat>> = HashMap::new();
    let mut data_repeats: HashMap<usize, Vec<&strict::Repeat>> = HashMap::new();
    let mut request_ambiguous = false;
    for r in &repeats {
        match r.path.as_slice() {
            [] => {
                let operations = r.member.eq_ignore_ascii_case("Operations");
                request_ambiguous |= operations;
                issues.push(
                    DataIssue::new(
                        Code::DataRepeatedMember,
                        file,
                        format!(
                            "the request has the member {} {} times{}{}",
                            quote(&r.member),
                            r.times,
                            if r.cased { " (in different cases)" } else { "" },
                            if operations {
                                ": which operations are meant is unknown, so the file is not read"
                            } else {
                                ""
                            }
                        ),
                    )
                    .help("write each member once (SCIM names are case-insensitive)"),
                );
            }
            [strict::Seg::Key(ops), strict::Seg::Index(i)]
                if ops.eq_ignore_ascii_case("Operations") =>
            {
                op_repeats.entry(*i).or_default().push(r);
            }
            [
                strict::Seg::Key(ops),
                strict::Seg::Index(i),
                strict::Seg::Key(d),
                ..,
            ] if ops.eq_ignore_ascii_case("Operations") && d.eq_ignore_ascii_case("data") => {
                data_repeats.entry(*i).or_default().push(r);
            }
            _ => {}
        }
    }
    if request_ambiguous {
        return None;
    }
    let not_bulk = |issues: &mut Vec<DataIssue>, what: &str| {
        issues.push(
            DataIssue::new(Code::DataUnreadable, file, format!("the file is not a SCIM bulk request: {what}"))
                .help("a `scim` source is a BulkRequest: `{\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:BulkRequest\"], \"Operations\": [...]}`"),
        );
    };
    let Json::Object(top) = json else {
        not_bulk(issues, "it is not a JSON object");
        return None;
    };
    let Some(Json::Array(operations)) = get_ci(&top, "Operations") else {
        not_bulk(issues, "it has no `Operations` array");
        return None;
    };
    let is_bulk = matches!(get_ci(&top, "schemas"), Some(Json::Array(s))
        if s.iter().any(|x| x.as_str().is_some_and(|x| x.eq_ignore_ascii_case(BULK_REQUEST))));
    if !is_bulk {
        issues.push(
            DataIssue::new(
                Code::DataScimOperation,
                file,
                format!("`schemas` does not list `{BULK_REQUEST}`"),
            )
            .help("Entra refuses a bulk request without the BulkRequest schema"),
        );
    }
    match get_ci(&top, "failOnErrors") {
        None | Some(Json::Null) => {}
        Some(Json::Number(n)) if n.as_u64().is_some() => {}
        Some(other) => issues.push(
            DataIssue::new(
                Code::DataScimOperation,
                file,
                format!(
                    "`failOnErrors` is {}, not a whole number",
                    quote(&other.to_string())
                ),
            )
            .severity(Severity::Warning),
        ),
    }
    let mut paths = Vec::with_capacity(want.names.len());
    let mut seen = Vec::with_capacity(want.names.len());
    for name in &want.names {
        match parse_path(name) {
            Ok(p) => {
                paths.push(Some(p));
                seen.push(false);
            }
            Err(why) => {
                issues.push(
                    DataIssue::new(
                        Code::DataMissingField,
                        file,
                        format!("the field is not a SCIM attribute path: {why}"),
                    )
                    .field(*name)
                    .help("write `userName`, `name.givenName`, `emails[type eq \"work\"].value` or `urn:…:User:attribute`"),
                );
                paths.push(None);
                seen.push(true);
            }
        }
    }
    let mut bulk_ids: HashMap<String, usize> = HashMap::new();
    let mut attrs: BTreeSet<String> = BTreeSet::new();
    for (i, op) in operations.iter().enumerate() {
        let row = i.saturating_add(1);
        let Json::Object(op) = op else {
            issues.push(op_issue(
                file,
                row,
                "the operation is not an object; it is skipped".into(),
            ));
            continue;
        };
        if let Some(reps) = op_repeats.get(&i) {
            for r in reps {
                issues.push(
                    DataIssue::new(
                        Code::DataRepeatedMember,
                        file,
                        format!(
                            "the operation has the member {} {} times{}: which is meant is unknown, so the operation is skipped",
                            quote(&r.member),
                            r.times,
                            if r.cased { " (in different cases)" } else { "" }
                        ),
                    )
                    .at(row)
                    .help("write each member once (SCIM names are case-insensitive)"),
                );
            }
            continue;
        }
        match get_ci(op, "method").and_then(Json::as_str) {
            Some(m) if m.eq_ignore_ascii_case("POST") => {}
            Some(m) => {
                issues.push(
                    op_issue(
                        file,
                        row,
                        format!(
                            "the method {} is not `POST`; the operation is skipped",
                            quote(m)
                        ),
                    )
                    .field("method")
                    .help("API-driven inbound provisioning takes `POST` operations only"),
                );
                continue;
            }
            None => {
                issues.push(
                    op_issue(
                        file,
                        row,
                        "the operation has no `method`; it is skipped".into(),
                    )
                    .field("method"),
                );
                continue;
            }
        }
        match get_ci(op, "bulkId")
            .and_then(Json::as_str)
            .filter(|b| !b.is_empty())
        {
            None => issues.push(
                op_issue(file, row, "the operation has no `bulkId`".into())
                    .field("bulkId")
                    .severity(Severity::Warning)
                    .help("give every operation a unique `bulkId`: Entra reports results by it"),
            ),
            Some(id) => {
                if let Some(first) = bulk_ids.get(id) {
                    issues.push(
                        op_issue(
                            file,
                            row,
                            format!(
                                "the `bulkId` {} is also used by operation {first}",
                                quote(id)
                            ),
                        )
                        .field("bulkId")
                        .severity(Severity::Warning)
                        .help(
                            "give every operation a unique `bulkId`: Entra reports results by it",
                        ),
                    );
                } else {
                    bulk_ids.insert(id.to_string(), row);
                }
            }
        }
        match get_ci(op, "path").and_then(Json::as_str) {
            Some(p) if p.eq_ignore_ascii_case("/Users") => {}
            other => {
                let what = other.map_or_else(
                    || "no `path`".to_string(),
                    |p| format!("the path {}", quote(p)),
                );
                issues.push(
                    op_issue(file, row, format!("the operation has {what}, not `/Users`; it is skipped"))
                        .field("path")
                        .help("API-driven inbound provisioning creates and updates users: `\"path\": \"/Users\"`"),
                );
                continue;
            }
        }
        let Some(Json::Object(data)) = get_ci(op, "data") else {
            issues.push(
                op_issue(
                    file,
                    row,
                    "the operation has no `data` object; it is skipped".into(),
                )
                .field("data"),
            );
            continue;
        };
        if attrs.len() < 1000 {
            attrs.extend(data.keys().cloned());
        }
        // Repeated members in `data` leave the fields whose path goes through them empty.
        let mut blank: Vec<usize> = Vec::new();
        for r in data_repeats.get(&i).map_or(&[][..], Vec::as_slice) {
            // The member names below `data`.
            let keys: Vec<&str> = r.keys().into_iter().skip(2).collect();
            let fed: Vec<usize> = paths
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    p.as_ref().is_some_and(|p| {
                        p.schema
                            .iter()
                            .map(String::as_str)
                            .chain(p.steps.iter().map(|s| s.name.as_str()))
                            .zip(&keys)
                            .all(|(a, b)| a.eq_ignore_ascii_case(b))
                    })
                })
                .map(|(f, _)| f)
                .collect();
            if fed.is_empty() {
                issues.push(json::repeat_issue(want, row, r, 3, None));
            }
            for f in fed {
                issues.push(json::repeat_issue(want, row, r, 3, Some(f)));
                blank.push(f);
            }
        }
        let mut cells: Vec<Option<Json>> = Vec::with_capacity(paths.len());
        for (f, (p, seen)) in paths.iter().zip(seen.iter_mut()).enumerate() {
            let cell = match p.as_ref().map(|p| resolve(data, p)) {
                None | Some(Ok(None)) => None,
                Some(Ok(Some(v))) => {
                    *seen = true;
                    Some(v)
                }
                Some(Err(why)) => {
                    *seen = true;
                    if !blank.contains(&f) {
                        issues.push(
                            DataIssue::new(
                                Code::DataScimShape,
                                file,
                                format!("{why}; the field is left empty"),
                            )
                            .at(row)
                            .field(want.names.get(f).copied().unwrap_or_default())
                            .help("send the attribute as the SCIM User schema defines it"),
                        );
                    }
                    None
                }
            };
            cells.push(if blank.contains(&f) { None } else { cell });
        }
        builder.push(row, |i| cells.get(i)?.as_ref());
    }
    if builder.offered() > 0
        && !report_missing(
            want,
            &seen,
            attrs.iter().map(String::as_str),
            "users of the request",
            Severity::Warning,
            issues,
        )
    {
        return None;
    }
    Some(())
}
