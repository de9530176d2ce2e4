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

use super::build::{Builder, Membership, Out, Page, Rec, Sink, members_not_a_list};
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

/// One resource.
fn record(slice: &str, line: usize, file: &str, kind: ObjectKind) -> Rec {
    let obj: Obj = match json::parse_object(slice, line, file) {
        Ok(o) => o,
        Err(rec) => return rec,
    };
    let mut rec = Rec::new(line);
    let mut id_seen = false;
    let mut members_seen = false;
    let mut wrong_type = None;
    for (k, v) in obj.0 {
        if k.eq_ignore_ascii_case("schemas") {
            if let Json::Array(urns) = &v {
                let has = |urn: &str| {
                    urns.iter()
                        .any(|u| u.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)))
                };
                match kind {
                    ObjectKind::Users if has(GROUP_SCHEMA) && !has(USER_SCHEMA) => {
                        wrong_type = Some("a Group")
                    }
                    ObjectKind::Groups if has(USER_SCHEMA) && !has(GROUP_SCHEMA) => {
                        wrong_type = Some("a User")
                    }
                    _ => {}
                }
            }
            continue;
        }
        if k.eq_ignore_ascii_case("id") {
            id_seen = true;
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
            continue;
        }
        if kind == ObjectKind::Groups && k.eq_ignore_ascii_case("members") {
            members_seen = true;
            rec.members = members(&k, v, &mut rec, file);
            continue;
        }
        if kind == ObjectKind::Users && k.eq_ignore_ascii_case("active") {
            rec.enabled = active(&k, &v, &mut rec, file);
        }
        if k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) {
            match v {
                Json::Object(map) => {
                    for (ek, ev) in map {
                        let name = format!("{k}:{ek}");
                        if ek.eq_ignore_ascii_case("manager") {
                            match ev {
                                Json::Object(m) => match m
                                    .iter()
                                    .find(|(mk, _)| mk.eq_ignore_ascii_case("value"))
                                    .map(|(_, mv)| mv)
                                {
                                    Some(Json::String(s)) => rec.put(name, Value::Str(s.clone())),
                                    Some(Json::Null) | None => rec.put(name, Value::Null),
                                    Some(other) => {
                                        let what = json::kind_of(other);
                                        rec.issue(
                                            Code::ActualValue,
                                            file,
                                            Some(&name),
                                            format!("the manager's `value` is {what}; the manager is read as unknown"),
                                        );
                                    }
                                },
                                Json::String(s) => rec.put(name, Value::Str(s)),
                                Json::Null => rec.put(name, Value::Null),
                                other => {
                                    let what = json::kind_of(&other);
                                    rec.issue(
                                        Code::ActualValue,
                                        file,
                                        Some(&name),
                                        format!(
                                            "the manager is {what}; the manager is read as unknown"
                                        ),
                                    );
                                }
                            }
                        } else {
                            put(name, ev, &mut rec, file);
                        }
                    }
                }
                other => rec.put(k, json::to_value(other)),
            }
            continue;
        }
        put(k, v, &mut rec, file);
    }
    if let Some(what) = wrong_type {
        rec.issue(
            Code::ActualMalformed,
            file,
            None,
            format!(
                "the resource is {what}, not one of the {} the export should hold; it is skipped",
                kind.name()
            ),
        );
        rec.id = None;
        return rec;
    }
    if !id_seen {
        rec.issue(
            Code::ActualMissingId,
            file,
            None,
            "the resource has no `id`; it is skipped".to_string(),
        );
    }
    if kind == ObjectKind::Groups && !members_seen {
        rec.members = Membership::NotExported;
    }
    rec
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
    let (entries, end) = match json::object_entries(text, start) {
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
    for e in &entries {
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
            "resources" => resources = Some(e),
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
    let spans = match resources {
        Some(e) if b.get(e.start) == Some(&b'[') => {
            match json::element_spans(text, e.start, file, sink) {
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
        text,
        &spans,
        |slice, line| record(slice, line, file, kind),
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
