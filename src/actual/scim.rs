//! SCIM 2.0 (RFC 7643, RFC 7644): `ListResponse` pages of `/Users` or `/Groups`, one file or a
//! directory of pages read in name order.
//!
//! Names are case-insensitive (`Resources`, `totalResults`, `userName`, `UserName`). A
//! singular complex attribute is read as one attribute per sub-attribute (`name.givenName`,
//! `meta.created`); an extension's attributes are named by the extension's URN and the
//! attribute (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`),
//! the enterprise `manager` holding its `value` (or the bare string some providers write).
//! A multi-valued complex attribute is a list of objects, and each item with a `type` also
//! gives the filtered paths Entra's mappings name: `emails[type eq "work"].value`.
//!
//! Paging is checked: fewer resources than `totalResults`, or a page that does not start
//! where the previous one ended, is an incomplete export (`D207`); repeats that agree (pages
//! shift while a provider changes) are dropped with a warning.

use serde_json::Value as Json;

use super::build::{
    Builder, Membership, Name, Out, Page, Rec, Sink, members_not_a_list, name_at, shared_name,
};
use super::json::{self, Obj};
use super::{DataIssue, Member, ObjectKind, ReadOptions, quote};
use crate::codes::Code;
use crate::diagnostics::Severity;
use crate::value::Value;

const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

fn is_date_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "meta.created" || lower == "meta.lastmodified"
}

/// Adds attribute `name`.
fn put(name: String, value: Json, rec: &mut Rec, file: &str) {
    match value {
        Json::Object(map) => {
            for (k, v) in map {
                put(format!("{name}.{k}"), v, rec, file);
            }
        }
        Json::Array(items) => {
            let mut typed: Vec<(String, Value)> = Vec::new();
            let mut types_seen: Vec<String> = Vec::new();
            for item in &items {
                let Json::Object(map) = item else { continue };
                let Some(ty) = map
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("type"))
                    .and_then(|(_, v)| v.as_str())
                else {
                    continue;
                };
                let folded = ty.to_ascii_lowercase();
                if types_seen.contains(&folded) {
                    rec.issue(
                        Code::ActualValue,
                        file,
                        Some(&name),
                        format!("two items have the type {}; the first is read for `{name}[type eq \"{ty}\"]`", quote(ty)),
                    );
                    if let Some(i) = rec.last_issue() {
                        i.severity = Severity::Warning;
                    }
                    continue;
                }
                types_seen.push(folded);
                for (k, v) in map {
                    if k.eq_ignore_ascii_case("type") {
                        continue;
                    }
                    typed.push((
                        format!("{name}[type eq \"{ty}\"].{k}"),
                        json::to_value(v.clone()),
                    ));
                }
            }
            rec.put(
                name,
                Value::List(items.into_iter().map(json::to_value).collect()),
            );
            for (n, v) in typed {
                rec.put(n, v);
            }
        }
        Json::String(s) if is_date_name(&name) => {
            if let Some(v) = json::date_value(s, rec, file, &name) {
                rec.put(name, v);
            }
        }
        other => rec.put(name, json::to_value(other)),
    }
}

/// Adds attribute `name` when its JSON text `raw` needs no parser ([`json::plain`]): a string
/// into the record's text, another value as it is. `false` when it needs one.
fn put_plain(rec: &mut Rec, name: impl FnOnce() -> Name, raw: &str) -> bool {
    if let Some(t) = json::plain_str(raw) {
        rec.put_text(name(), t);
    } else if let Some(v) = json::plain(raw) {
        rec.put_shared(name(), v);
    } else {
        return false;
    }
    true
}

/// `active`: a boolean, or the `"True"`/`"False"` text of Entra's older SCIM client.
fn active(name: &str, v: &Json, rec: &mut Rec, file: &str) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        Json::Null => None,
        Json::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Json::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        other => {
            rec.issue(
                Code::ActualValue,
                file,
                Some(name),
                format!(
                    "{} is not a boolean; whether the account is active is unknown",
                    quote(&other.to_string())
                ),
            );
            None
        }
    }
}

fn members(name: &str, v: Json, rec: &mut Rec, file: &str) -> Membership {
    match v {
        Json::Null => Membership::Known(Vec::new()),
        Json::Array(items) => {
            let mut list = Vec::with_capacity(items.len());
            for item in items {
                let Json::Object(map) = item else {
                    rec.issue(
                        Code::ActualMalformed,
                        file,
                        Some(name),
                        "a member is not an object; the group's membership is read as unknown"
                            .to_string(),
                    );
                    return Membership::Untrusted;
                };
                let get = |key: &str| {
                    map.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(key))
                        .and_then(|(_, v)| v.as_str())
                };
                match get("value") {
                    Some(id) if !id.trim().is_empty() => list.push(Member {
                        id: id.into(),
                        kind: get("type").map(|t| t.to_ascii_lowercase().into()),
                    }),
                    _ => {
                        rec.issue(
                            Code::ActualMalformed,
                            file,
                            Some(name),
                            "a member has no `value`; the group's membership is read as unknown"
                                .to_string(),
                        );
                        return Membership::Untrusted;
                    }
                }
            }
            Membership::Known(list)
        }
        other => members_not_a_list(name, &other, rec, file),
    }
}

/// The enterprise `manager`: its `value` (or the bare string some providers write).
fn manager(name: String, value: Json, rec: &mut Rec, file: &str) -> Option<Value> {
    match value {
        Json::Object(m) => match m
            .iter()
            .find(|(mk, _)| mk.eq_ignore_ascii_case("value"))
            .map(|(_, mv)| mv)
        {
            Some(Json::String(s)) => Some(Value::Str(s.clone())),
            Some(Json::Null) | None => Some(Value::Null),
            Some(other) => {
                let what = json::kind_of(other);
                rec.issue(
                    Code::ActualValue,
                    file,
                    Some(&name),
                    format!("the manager's `value` is {what}; the manager is read as unknown"),
                );
                None
            }
        },
        Json::String(s) => Some(Value::Str(s)),
        Json::Null => Some(Value::Null),
        other => {
            let what = json::kind_of(&other);
            rec.issue(
                Code::ActualValue,
                file,
                Some(&name),
                format!("the manager is {what}; the manager is read as unknown"),
            );
            None
        }
    }
}

/// Whether a member name is an extension's URN.
fn is_urn(key: &str) -> bool {
    key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
}

/// One resource being read, member by member.
struct Resource {
    rec: Rec,
    kind: ObjectKind,
    id_seen: bool,
    members_seen: bool,
    wrong_type: Option<&'static str>,
    /// Extension attributes named so far ([`name_at`]).
    extension_names: usize,
}

impl Resource {
    fn new(line: usize, kind: ObjectKind) -> Resource {
        Resource {
            rec: Rec::new(line),
            kind,
            id_seen: false,
            members_seen: false,
            wrong_type: None,
            extension_names: 0,
        }
    }

    /// Whether member `k` is read by [`Resource::member`] whatever its value (not only as an
    /// attribute).
    fn special(&self, k: &str) -> bool {
        k.eq_ignore_ascii_case("schemas")
            || k.eq_ignore_ascii_case("id")
            || (self.kind == ObjectKind::Groups && k.eq_ignore_ascii_case("members"))
            || (self.kind == ObjectKind::Users && k.eq_ignore_ascii_case("active"))
            || is_urn(k)
            || is_date_name(k)
    }

    /// Reads member `k`.
    fn member(&mut self, k: String, v: Json, file: &str) {
        let rec = &mut self.rec;
        if k.eq_ignore_ascii_case("schemas") {
            if let Json::Array(urns) = &v {
                let has = |urn: &str| {
                    urns.iter()
                        .any(|u| u.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)))
                };
                match self.kind {
                    ObjectKind::Users if has(GROUP_SCHEMA) && !has(USER_SCHEMA) => {
                        self.wrong_type = Some("a Group")
                    }
                    ObjectKind::Groups if has(USER_SCHEMA) && !has(GROUP_SCHEMA) => {
                        self.wrong_type = Some("a User")
                    }
                    _ => {}
                }
            }
            return;
        }
        if k.eq_ignore_ascii_case("id") {
            self.id_seen = true;
            match v {
                Json::String(s) if !s.trim().is_empty() => rec.id = Some(s),
                other => {
                    let what = match &other {
                        Json::String(_) => "empty",
                        o => json::kind_of(o),
                    };
                    rec.issue(
                        Code::ActualMissingId,
                        file,
                        Some(&k),
                        format!("the resource's `id` is {what}; it is skipped"),
                    );
                }
            }
            return;
        }
        if self.kind == ObjectKind::Groups && k.eq_ignore_ascii_case("members") {
            self.members_seen = true;
            rec.members = members(&k, v, rec, file);
            return;
        }
        if self.kind == ObjectKind::Users && k.eq_ignore_ascii_case("active") {
            rec.enabled = active(&k, &v, rec, file);
        }
        if is_urn(&k) {
            match v {
                Json::Object(map) => {
                    for (ek, ev) in map {
                        let name = format!("{k}:{ek}");
                        if ek.eq_ignore_ascii_case("manager") {
                            if let Some(m) = manager(name.clone(), ev, rec, file) {
                                rec.put(name, m);
                            }
                        } else {
                            put(name, ev, rec, file);
                        }
                    }
                }
                other => rec.put(k, json::to_value(other)),
            }
            return;
        }
        put(k, v, rec, file);
    }

    /// Reads the extension object `text` of member `urn` without parsing what needs no
    /// parser; `false` when the object does not scan (it is then parsed whole, for its error).
    fn extension(&mut self, urn: &str, text: &str, file: &str) -> bool {
        let Ok((entries, end)) = json::object_entries(text, 0) else {
            return false;
        };
        if json::ws(text.as_bytes(), end) != text.len() {
            return false;
        }
        for e in &entries {
            let raw = text.get(e.start..e.end).unwrap_or_default();
            // Counted across the resource's extensions: each keeps its names' positions.
            let name = name_at(self.extension_names, &[urn, ":", &e.key]);
            self.extension_names = self.extension_names.saturating_add(1);
            if e.key.eq_ignore_ascii_case("manager") {
                let Ok(v) = serde_json::from_str::<Json>(raw) else {
                    return false;
                };
                if let Some(m) = manager(name.to_string(), v, &mut self.rec, file) {
                    self.rec.put_shared(name, m);
                }
            } else if !put_plain(&mut self.rec, || name.clone(), raw) {
                let Ok(v) = serde_json::from_str::<Json>(raw) else {
                    return false;
                };
                put(name.to_string(), v, &mut self.rec, file);
            }
        }
        true
    }

    /// Reads the object `text` of complex attribute `key` (`name`: `name.givenName`, …)
    /// without a parser when each of its members is a value that needs none, under a name of
    /// its own; `false` otherwise, and nothing is added (it is then parsed, as [`put`] reads
    /// it: a repeated member keeps its last value, dates are checked).
    fn object(&mut self, key: &str, text: &str) -> bool {
        if key.eq_ignore_ascii_case("meta") {
            // `meta.created` and `meta.lastModified` are dates, read by `put`.
            return false;
        }
        let Ok((entries, end)) = json::object_entries(text, 0) else {
            return false;
        };
        if json::ws(text.as_bytes(), end) != text.len() {
            return false;
        }
        // Added as they come; taken back if one is not plain or is repeated.
        let (attrs, bytes) = (self.rec.attrs.len(), self.rec.text.len());
        for (n, e) in entries.iter().enumerate() {
            let repeated = entries
                .get(..n)
                .is_some_and(|before| before.iter().any(|b| b.key == e.key));
            let raw = text.get(e.start..e.end).unwrap_or_default();
            if repeated || !put_plain(&mut self.rec, || shared_name(&[key, ".", &e.key]), raw) {
                self.rec.attrs.truncate(attrs);
                self.rec.text.truncate(bytes);
                return false;
            }
        }
        true
    }

    fn finish(self, file: &str) -> Rec {
        let mut rec = self.rec;
        if let Some(what) = self.wrong_type {
            rec.issue(
                Code::ActualMalformed,
                file,
                None,
                format!(
                    "the resource is {what}, not one of the {} the export should hold; it is skipped",
                    self.kind.name()
                ),
            );
            rec.id = None;
            return rec;
        }
        if !self.id_seen {
            rec.issue(
                Code::ActualMissingId,
                file,
                None,
                "the resource has no `id`; it is skipped".to_string(),
            );
        }
        if self.kind == ObjectKind::Groups && !self.members_seen {
            rec.members = Membership::NotExported;
        }
        rec
    }
}

/// One resource: scanned, each member parsed on its own and an extension's attributes that
/// need no parser taken as written. Anything the scan does not follow is parsed whole by
/// [`record_parsed`], which reports the error as serde finds it.
#[cfg(test)]
fn record(slice: &str, line: usize, file: &str, kind: ObjectKind) -> Rec {
    record_at(slice, &json::Span::whole(slice, line), file, kind)
}

/// [`record`] of the element `span` of a page's `text`, with the members the page scan found.
fn record_at(text: &str, span: &json::Span<'_>, file: &str, kind: ObjectKind) -> Rec {
    let slice = text.get(span.start..span.end).unwrap_or_default();
    let line = span.line;
    let mut scanned = Vec::new();
    let Some(entries) = json::members_of(text, span, &mut scanned) else {
        return record_parsed(slice, line, file, kind);
    };
    let mut r = Resource::new(line, kind);
    r.rec.attrs.reserve(entries.len().saturating_add(64));
    for e in entries {
        let raw = text.get(e.start..e.end).unwrap_or_default();
        if is_urn(&e.key) && raw.starts_with('{') {
            if !r.extension(&e.key, raw, file) {
                return record_parsed(slice, line, file, kind);
            }
            continue;
        }
        if !r.special(&e.key)
            && (put_plain(&mut r.rec, || shared_name(&[&e.key]), raw)
                || raw.starts_with('{') && r.object(&e.key, raw))
        {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Json>(raw) else {
            return record_parsed(slice, line, file, kind);
        };
        r.member(e.key.to_string(), v, file);
    }
    r.finish(file)
}

/// One resource, parsed whole.
fn record_parsed(slice: &str, line: usize, file: &str, kind: ObjectKind) -> Rec {
    let obj: Obj = match json::parse_object(slice, line, file) {
        Ok(o) => o,
        Err(rec) => return *rec,
    };
    let mut r = Resource::new(line, kind);
    for (k, v) in obj.0 {
        r.member(k, v, file);
    }
    r.finish(file)
}

/// Reads one page.
pub(super) fn read(
    text: &str,
    file: &str,
    options: &ReadOptions,
    out: &mut dyn Out,
    sink: &mut Sink,
) {
    let b = text.as_bytes();
    let start = json::ws(b, 0);
    if b.get(start) != Some(&b'{') {
        let message = if start >= b.len() {
            "the file is empty".to_string()
        } else {
            format!(
                "the file holds {}, not a SCIM `ListResponse`",
                json::kind_at(b, start)
            )
        };
        sink.push(
            DataIssue::new(Code::ActualMalformed, file, message)
                .at(json::line_of(text, start))
                .help("a SCIM export is the `ListResponse` of `GET /Users` or `GET /Groups`, one page per file"),
        );
        return;
    }
    let (mut entries, end) = match json::page_entries(text, start) {
        Ok(x) => x,
        Err(e) => {
            sink.push(json::syntax_issue(text, file, e.at));
            return;
        }
    };
    if json::ws(b, end) < b.len() {
        sink.push(json::syntax_issue(text, file, end));
        return;
    }
    let mut page = Page {
        file: file.to_string(),
        ..Page::default()
    };
    let mut resources = None;
    let mut is_list = false;
    let mut seen = std::collections::HashSet::new();
    for (n, e) in entries.iter().enumerate() {
        let member = text.get(e.start..e.end).unwrap_or_default();
        let line = json::line_of(text, e.start);
        let folded = e.key.to_ascii_lowercase();
        if !seen.insert(folded.clone()) {
            sink.push(
                DataIssue::new(
                    Code::ActualMalformed,
                    file,
                    format!("the response has `{}` twice", e.key),
                )
                .at(line),
            );
            return;
        }
        let number = |sink: &mut Sink| match serde_json::from_str::<Json>(member) {
            Ok(Json::Number(n)) if n.as_u64().is_some() => n.as_u64(),
            _ => {
                sink.push(
                    DataIssue::new(
                        Code::ActualMalformed,
                        file,
                        format!("`{}` is not a whole number", e.key),
                    )
                    .at(line),
                );
                None
            }
        };
        match folded.as_str() {
            "schemas" => {
                is_list = matches!(serde_json::from_str::<Json>(member), Ok(Json::Array(a))
                    if a.iter().any(|u| u.as_str().is_some_and(|s| s.eq_ignore_ascii_case(LIST_RESPONSE))));
            }
            "totalresults" => page.total = number(sink),
            "startindex" => page.start = number(sink),
            "itemsperpage" => {
                let _ = number(sink);
            }
            "resources" => resources = Some(n),
            _ => {
                if serde_json::from_str::<serde::de::IgnoredAny>(member).is_err() {
                    sink.push(json::syntax_issue(text, file, e.start));
                    return;
                }
            }
        }
    }
    if !is_list && resources.is_none() {
        sink.push(
            DataIssue::new(Code::ActualMalformed, file, "the file is not a SCIM `ListResponse` (no `Resources`, and `schemas` does not name one)")
                .at(json::line_of(text, start))
                .help("a SCIM export is the `ListResponse` of `GET /Users` or `GET /Groups`, one page per file"),
        );
        return;
    }
    if page.total.is_none() && !seen.contains("totalresults") {
        sink.push(
            DataIssue::new(Code::ActualMalformed, file, "the `ListResponse` has no `totalResults`, so whether it is complete cannot be told")
                .at(json::line_of(text, start)),
        );
    }
    let resources = resources.and_then(|n| entries.get_mut(n));
    let spans = match resources {
        Some(e) if b.get(e.start) == Some(&b'[') => {
            match json::element_spans(text, e.start, e.items.take(), file, sink) {
                Some(s) => s,
                None => return,
            }
        }
        Some(e) if text.get(e.start..e.end) == Some("null") => Vec::new(),
        Some(e) => {
            sink.push(
                DataIssue::new(
                    Code::ActualMalformed,
                    file,
                    format!("`{}` is {}, not an array", e.key, json::kind_at(b, e.start)),
                )
                .at(json::line_of(text, e.start)),
            );
            return;
        }
        None => Vec::new(),
    };
    page.objects = spans.len();
    let kind = options.kind;
    json::parse_all(
        &spans,
        |span| record_at(text, span, file, kind),
        options.digests,
        out,
        sink,
    );
    out.page(page);
}

/// Checks the paging over all pages and reports groups whose members were not exported.
pub(super) fn finish(builder: &mut Builder<'_>, first_file: &str, sink: &mut Sink) {
    let pages = std::mem::take(&mut builder.pages);
    let mut expected: Option<u64> = None;
    for p in &pages {
        let start = p.start.unwrap_or(1).max(1);
        let want = expected.unwrap_or(1);
        if start > want {
            sink.push(
                DataIssue::new(
                    Code::ActualTruncated,
                    &p.file,
                    format!(
                        "the page starts at resource {start}, but the pages before end at {}: resources {want} to {} are not in the export",
                        want.saturating_sub(1),
                        start.saturating_sub(1)
                    ),
                )
                .help("export every page: the next `startIndex` is this page's plus the number of resources it returned"),
            );
        }
        let end = start.saturating_add(p.objects as u64);
        expected = Some(expected.map_or(end, |e| e.max(end)));
    }
    let total = pages.iter().filter_map(|p| p.total).max();
    let read = builder.rows() as u64;
    if let Some(total) = total
        && total > read
    {
        let file = pages.last().map_or(first_file, |p| p.file.as_str());
        sink.push(
            DataIssue::new(
                Code::ActualTruncated,
                file,
                format!("`totalResults` is {total} but the export holds {read} resources: it is incomplete"),
            )
            .help("export every page, until `startIndex` passes `totalResults`"),
        );
    }
    for r in 0..builder.rows() {
        if matches!(builder.members.get(r), Some(Membership::NotExported)) {
            let (file, line) = builder.location(r);
            let id = builder.id(r).to_string();
            sink.push(
                DataIssue::new(
                    Code::ActualMembershipUnknown,
                    file,
                    format!("the membership of group {} is read as unknown: the resource has no `members` (absent is not empty)", quote(&id)),
                )
                .at(line)
                .field("members")
                .help("export the groups without `excludedAttributes=members`"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use crate::actual::build::said;

    fn same_both_ways(text: &str) {
        for kind in [ObjectKind::Users, ObjectKind::Groups] {
            let fast = record(text, 3, "f.json", kind);
            let whole = record_parsed(text, 3, "f.json", kind);
            assert_eq!(said(&fast), said(&whole), "{kind:?}: {text}");
            // Read from its page, with the members the page scan found.
            if let Some((page, span)) = json::in_a_page("Resources", text) {
                let paged = record_at(&page, &span, "f.json", kind);
                assert_eq!(said(&paged), said(&whole), "{kind:?}, in a page: {text}");
            }
        }
    }

    const EXT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    #[test]
    fn scanned_resources_read_as_parsed_ones() {
        // The fixtures' resources, and the cases the scan takes apart itself.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/actual/scim");
        let mut files = vec![dir.join("groups.json")];
        for sub in ["users", "users-gap"] {
            let mut pages: Vec<_> = std::fs::read_dir(dir.join(sub))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            pages.sort();
            files.extend(pages);
        }
        let mut resources = 0;
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let (entries, _) = json::page_entries(&text, json::ws(text.as_bytes(), 0))
                .unwrap_or_else(|_| panic!("{}", f.display()));
            for e in entries
                .iter()
                .filter(|e| e.key.eq_ignore_ascii_case("resources"))
            {
                let Some(items) = &e.items else {
                    panic!("{}", f.display())
                };
                for item in items {
                    same_both_ways(&text[item.start..item.end]);
                    resources += 1;
                }
            }
        }
        assert!(resources >= 5, "{resources}");
        for text in [
            r#"{"id":"a","active":"True","userName":"x\u00e9\"y","n":1.5,"big":123456789012345678901,"z":-0,"neg":-12}"#,
            &format!(
                r#"{{"id":"a","{EXT}":{{"manager":{{"value":"m1","displayName":"M"}},"department":"R\\u0026D","costCenter":7,"x":{{"y":"z"}},"l":[1,"a"]}}}}"#
            ),
            &format!(r#"{{"id":"a","{EXT}":{{"manager":"m2","employeeNumber":null}}}}"#),
            &format!(r#"{{"id":"a","{EXT}":{{"manager":5}}}}"#),
            &format!(r#"{{"id":"a","{EXT}":{{"manager":{{"value":false}}}}}}"#),
            &format!(r#"{{"id":"a","{EXT}":{{"department":"x" "costCenter":1}}}}"#),
            &format!(r#"{{"id":"a","{EXT}":{{"department":tru}}}}"#),
            &format!(r#"{{"id":"a","{EXT}":"flat"}}"#),
            r#"{"id":"a","meta.created":"2024-01-01","meta":{"created":"yesterday"}}"#,
            // Complex attributes: taken apart by the scan when every member is plain.
            r#"{"id":"a","name":{"givenName":"Ana","familyName":"Li","n":3,"b":true,"z":null}}"#,
            r#"{"id":"a","name":{"givenName":"One","givenName":"Two"}}"#,
            r#"{"id":"a","name":{"givenName":"One","GivenName":"Two"}}"#,
            r#"{"id":"a","name":{"x":{"y":"z"},"g":"A"}}"#,
            r#"{"id":"a","name":{"g":"A\u00e9","h":1.5}}"#,
            r#"{"id":"a","name":{}}"#,
            r#"{"id":"a","meta":{"created":"2024-01-01T00:00:00Z","lastModified":"soon"}}"#,
            r#"{"id":"a","name":{"g":"A" "h":"B"}}"#,
            r#"{"id":"a","userName":"tab	inside"}"#,
            r#"{"id":"a","n":01}"#,
            r#"{"id":"","schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"members":[{"value":"u1"}]}"#,
            r#"["not", "an object"]"#,
            r#"{"id":"a" "#,
        ] {
            same_both_ways(text);
        }
    }

    #[test]
    fn a_repeated_extension_attribute_is_reported_not_merged() {
        // serde's map keeps the last of two equal keys silently; the scan hands both on, and
        // the builder reports the second (`D2xx` "twice") and keeps the first.
        let text = format!(r#"{{"id":"a","{EXT}":{{"department":"One","department":"Two"}}}}"#);
        let rec = record(&text, 1, "f.json", ObjectKind::Users);
        let departments: Vec<Value> = rec
            .attrs
            .iter()
            .filter(|(k, _)| k.name().is_some_and(|n| n.ends_with(":department")))
            .map(|(_, v)| rec.content(v).to_value())
            .collect();
        assert_eq!(
            departments,
            [Value::Str("One".into()), Value::Str("Two".into())]
        );
    }

    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 é]{0,8}".prop_map(|s| format!("\"{s}\"")),
            "[a-z\"\\\\/\u{1}\t]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            any::<i64>().prop_map(|n| n.to_string()),
            Just("-0".to_string()),
            Just("1.25".to_string()),
            Just("1e3".to_string()),
            Just("18446744073709551616".to_string()),
            Just("true".to_string()),
            Just("false".to_string()),
            Just("null".to_string()),
            Just("\"True\"".to_string()),
            Just("\"2024-03-01T08:00:00Z\"".to_string()),
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        scalar().prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec(("[a-zA-Z]{1,4}", inner), 0..3).prop_map(|v| {
                    let members: Vec<String> =
                        v.into_iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("id".to_string()),
            Just("ID".to_string()),
            Just("active".to_string()),
            Just("schemas".to_string()),
            Just("members".to_string()),
            Just("meta.created".to_string()),
            Just("manager".to_string()),
            Just("emails".to_string()),
            Just("name".to_string()),
            Just("meta".to_string()),
            "[a-zA-Z]{1,6}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn any_resource_reads_as_parsed(
            top in prop::collection::vec((name(), value()), 0..6),
            ext in prop::collection::vec((name(), value()), 0..6),
            ext_at in 0usize..7,
            cut in prop::option::of(0usize..400),
        ) {
            let mut members: Vec<String> =
                top.into_iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            // Names inside the extension are distinct: a repeat is where the two readings
            // differ on purpose (`a_repeated_extension_attribute_is_reported_not_merged`).
            let mut names = std::collections::HashSet::new();
            let inner: Vec<String> = ext
                .into_iter()
                .filter(|(k, _)| names.insert(k.clone()))
                .map(|(k, v)| format!("\"{k}\":{v}"))
                .collect();
            let at = ext_at.min(members.len());
            members.insert(at, format!("\"{EXT}\":{{{}}}", inner.join(",")));
            let mut text = format!("{{{}}}", members.join(", "));
            if let Some(c) = cut {
                // A resource cut short, at a character boundary.
                let mut c = c.min(text.len());
                while !text.is_char_boundary(c) {
                    c -= 1;
                }
                text.truncate(c);
            }
            same_both_ways(&text);
        }
    }
}
