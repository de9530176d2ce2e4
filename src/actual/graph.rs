//! Microsoft Graph JSON as Graph and PowerShell write it:
//!
//! - a collection page `{"@odata.context": …, "value": […], "@odata.nextLink": …}`, one file or
//!   a directory of pages read in name order;
//! - JSON Lines, one object per line (`.jsonl`, `.ndjson`, or any file holding several
//!   top-level objects);
//! - a bare array (`Get-MgUser -All | ConvertTo-Json`), or one bare object (`ConvertTo-Json`
//!   of a single user).
//!
//! Property names are matched case-insensitively (PowerShell writes `UserPrincipalName`);
//! `AdditionalProperties` (PowerShell's bag of the properties its model lacks) is read as if
//! its members were the object's own; annotations (`@odata.…`) are not attributes. A nested
//! object is read as one attribute per member, named `parent.member`
//! (`onPremisesExtensionAttributes.extensionAttribute1`); `manager` expanded as `{"id": …}` is
//! the attribute `manager` holding the manager's `id`. Properties whose name ends in
//! `DateTime`, and `employeeHireDate`, are date-times.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde_json::Value as Json;

use super::build::{
    Builder, DEPTH_HELP, Membership, Out, Page, Rec, Sink, is_type_name, members_not_a_list,
};
use super::input::{self, Budget};
use super::json::{self, Obj};
use super::{DataIssue, Member, ObjectKind, ReadOptions, quote};
use crate::codes::Code;
use crate::diagnostics::Severity;
use crate::value::Value;

/// Graph returns at most this many members of an expanded relationship, and no next link.
const EXPAND_CAP: usize = 20;

/// `Get-MgUser` without `-All` returns one page of this many.
const POWERSHELL_PAGE: usize = 100;

/// Properties that hold an object or an array: a type name in one of them is PowerShell's
/// depth truncation whatever its text.
const CONTAINERS: &[&str] = &[
    "manager",
    "members",
    "memberof",
    "transitivememberof",
    "additionalproperties",
    "proxyaddresses",
    "businessphones",
    "othermails",
    "imaddresses",
    "identities",
    "assignedlicenses",
    "assignedplans",
    "provisionedplans",
    "licenseassignmentstates",
    "onpremisesextensionattributes",
    "onpremisesprovisioningerrors",
    "serviceprovisioningerrors",
    "signinactivity",
    "passwordprofile",
    "employeeorgdata",
    "authorizationinfo",
    "customsecurityattributes",
    "grouptypes",
    "schedule",
    "expiration",
    "recurrence",
    "target",
    "accesspackage",
    "assignmentpolicy",
    "owners",
    "directreports",
];

fn last_segment(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

fn is_container(name: &str) -> bool {
    let last = last_segment(name);
    CONTAINERS.iter().any(|c| last.eq_ignore_ascii_case(c))
}

fn is_date_name(name: &str) -> bool {
    let last = last_segment(name);
    let ends_with = |suffix: &str| {
        last.len() >= suffix.len()
            && last
                .get(last.len() - suffix.len()..)
                .is_some_and(|t| t.eq_ignore_ascii_case(suffix))
    };
    ends_with("DateTime") || last.eq_ignore_ascii_case("employeeHireDate")
}

/// Reports a depth-truncated value.
fn truncated(rec: &mut Rec, file: &str, name: &str, text: &str) {
    rec.issue(
        Code::ActualDepthTruncated,
        file,
        Some(name),
        format!(
            "{} is a type name, not the value: the export was cut short by `ConvertTo-Json`'s depth limit; the attribute is read as unknown",
            quote(text)
        ),
    );
    if let Some(i) = rec.last_issue() {
        i.help = Some(DEPTH_HELP.to_string());
    }
}

/// Adds property `name` (its value flattened: objects as `name.member`).
fn put(name: String, value: Json, rec: &mut Rec, file: &str) {
    match value {
        Json::Object(map) => {
            for (k, v) in map {
                if k.starts_with('@') {
                    continue;
                }
                put(format!("{name}.{k}"), v, rec, file);
            }
        }
        Json::Array(items) => {
            if let Some(s) = items
                .iter()
                .filter_map(Json::as_str)
                .find(|s| is_type_name(s, false) || s.starts_with("Microsoft.Graph."))
            {
                let s = s.to_string();
                truncated(rec, file, &name, &s);
                return;
            }
            let list = items
                .into_iter()
                .map(|item| match item {
                    Json::String(s) if json::is_ms_date(&s) => match json::parse_when(&s) {
                        Some(json::When::Utc(d) | json::When::Zoneless(d)) => Value::Date(d),
                        None => Value::Str(s),
                    },
                    other => json::to_value(other),
                })
                .collect();
            rec.put(name, Value::List(list));
        }
        Json::String(s) => {
            let typeish = s.starts_with("System.") || s.starts_with("Microsoft.");
            if typeish && is_type_name(&s, is_container(&name)) {
                truncated(rec, file, &name, &s);
            } else if json::is_ms_date(&s) || is_date_name(&name) {
                if let Some(v) = json::date_value(s, rec, file, &name) {
                    rec.put(name, v);
                }
            } else {
                rec.put(name, Value::Str(s));
            }
        }
        other => rec.put(name, json::to_value(other)),
    }
}

/// The member kind from `@odata.type`: `#microsoft.graph.user` is `user`.
fn member_kind(odata_type: &str) -> String {
    let t = odata_type.trim_start_matches('#');
    let t = match t.get(..16) {
        Some(p) if p.eq_ignore_ascii_case("microsoft.graph.") => t.get(16..).unwrap_or(t),
        _ => t,
    };
    t.to_ascii_lowercase()
}

/// The object's members, with `AdditionalProperties` merged in (its members after the
/// object's own).
fn members_of(obj: Obj, rec: &mut Rec, file: &str) -> Vec<(String, Json)> {
    let mut own = Vec::with_capacity(obj.0.len());
    let mut extra = Vec::new();
    for (k, v) in obj.0 {
        if k.eq_ignore_ascii_case("additionalProperties") {
            additional(&k, v, rec, file, &mut extra);
            continue;
        }
        own.push((k, v));
    }
    own.extend(extra);
    own
}

/// A directory object (a member): its id and kind.
fn directory_object(obj: Obj, rec: &mut Rec, file: &str) -> Option<Member> {
    let mut id = None;
    let mut kind = None;
    for (k, v) in members_of(obj, rec, file) {
        if k.eq_ignore_ascii_case("id") {
            id = v.as_str().map(str::to_string);
        } else if k.eq_ignore_ascii_case("@odata.type") {
            kind = v.as_str().map(member_kind);
        }
    }
    match id {
        Some(id) if !id.trim().is_empty() => Some(Member {
            id: id.into(),
            kind: kind.map(Into::into),
        }),
        _ => None,
    }
}

/// The members of a users object that are parsed when only some attributes are read
/// ([`ReadOptions::attributes`]): those, their objects (flattened as `name.member`), and what
/// the reader itself needs.
struct Select(Vec<String>);

impl Select {
    fn of(options: &ReadOptions) -> Option<Select> {
        let names = options.attributes.as_ref()?;
        if options.kind != ObjectKind::Users {
            return None;
        }
        let mut keep: HashSet<String> = ["id", "accountenabled", "additionalproperties"]
            .into_iter()
            .map(str::to_string)
            .collect();
        for n in names {
            let folded = n.to_ascii_lowercase();
            // `a.b.c` is read from member `a`.
            if let Some((head, _)) = folded.split_once('.') {
                keep.insert(head.to_string());
            }
            keep.insert(folded);
        }
        let mut keep: Vec<String> = keep.into_iter().collect();
        keep.sort();
        Some(Select(keep))
    }

    /// A few names: compared in turn, without folding the key.
    fn keeps(&self, key: &str) -> bool {
        key.starts_with('@') || self.0.iter().any(|k| k.eq_ignore_ascii_case(key))
    }
}

/// One object being read, member by member.
struct Object {
    rec: Rec,
    kind: ObjectKind,
    id_seen: bool,
    members_seen: bool,
}

impl Object {
    fn new(line: usize, kind: ObjectKind) -> Object {
        Object {
            rec: Rec::new(line),
            kind,
            id_seen: false,
            members_seen: false,
        }
    }

    /// Whether member `k` with the plain value `v` ([`json::plain`]) is an attribute that
    /// [`Object::member`] would add as it is.
    fn plain_attribute(&self, k: &str, v: &Value) -> bool {
        match v {
            Value::Str(s) => self.plain_text(k, s),
            _ => !self.special(k),
        }
    }

    /// [`Object::plain_attribute`] of the string `s`.
    fn plain_text(&self, k: &str, s: &str) -> bool {
        !(self.special(k)
            || is_date_name(k)
            || json::is_ms_date(s)
            || s.starts_with("System.")
            || s.starts_with("Microsoft."))
    }

    /// Whether member `k` is read by [`Object::member`] whatever its value.
    fn special(&self, k: &str) -> bool {
        k.starts_with('@')
            || k.eq_ignore_ascii_case("id")
            || k.eq_ignore_ascii_case("manager")
            || k.eq_ignore_ascii_case("additionalProperties")
            || (self.kind == ObjectKind::Groups && k.eq_ignore_ascii_case("members"))
    }

    /// Reads member `k` (of the object, or of its `AdditionalProperties`).
    fn member(&mut self, k: String, v: Json, file: &str) {
        let rec = &mut self.rec;
        if k.starts_with('@') {
            return;
        }
        if k.eq_ignore_ascii_case("id") {
            self.id_seen = true;
            match v {
                Json::String(s) if !s.trim().is_empty() => rec.id = Some(s),
                other => {
                    let what = match &other {
                        Json::String(_) => "empty".to_string(),
                        o => json::kind_of(o).to_string(),
                    };
                    rec.issue(
                        Code::ActualMissingId,
                        file,
                        Some(&k),
                        format!(
                            "the object's `{k}` is {what}, not an identifier; the object is skipped"
                        ),
                    );
                }
            }
            return;
        }
        if self.kind == ObjectKind::Groups && k.eq_ignore_ascii_case("members") {
            self.members_seen = true;
            rec.members = inline_members(&k, v, rec, file);
            return;
        }
        if k.eq_ignore_ascii_case("manager") {
            match v {
                Json::Object(map) => {
                    // The manager's other members are not read, but a type name among them
                    // still says the export was cut short.
                    if let Some((mk, Json::String(s))) = map.iter().find(|(mk, mv)| {
                        mv.as_str().is_some_and(|s| {
                            is_type_name(s, mk.eq_ignore_ascii_case("additionalProperties"))
                        })
                    }) {
                        let field = format!("{k}.{mk}");
                        let s = s.clone();
                        truncated(rec, file, &field, &s);
                    }
                    match map.iter().find(|(mk, _)| mk.eq_ignore_ascii_case("id")) {
                        Some((_, Json::String(id))) => {
                            let id = id.clone();
                            rec.put(k, Value::Str(id));
                        }
                        Some((_, Json::Null)) => rec.put(k, Value::Null),
                        None if map.is_empty() => rec.put(k, Value::Null),
                        _ => rec.issue(
                            Code::ActualValue,
                            file,
                            Some(&k),
                            "the expanded manager has no `id`; the manager is read as unknown"
                                .to_string(),
                        ),
                    }
                }
                Json::Null => rec.put(k, Value::Null),
                Json::String(s) if is_type_name(&s, true) => truncated(rec, file, &k, &s),
                other => {
                    let what = json::kind_of(&other);
                    rec.issue(
                        Code::ActualValue,
                        file,
                        Some(&k),
                        format!("the manager is {what}, not an expanded object such as `{{\"id\": \"…\"}}`; it is read as unknown"),
                    );
                }
            }
            return;
        }
        put(k, v, rec, file);
    }

    fn finish(self, file: &str) -> Rec {
        let mut rec = self.rec;
        if !self.id_seen {
            rec.issue(
                Code::ActualMissingId,
                file,
                None,
                "the object has no `id`; it is skipped".to_string(),
            );
            if let Some(i) = rec.last_issue() {
                i.help = Some("export `id` (with `$select`, include `id`)".into());
            }
        }
        match self.kind {
            ObjectKind::Users => rec.enabled = enabled(&mut rec, file),
            ObjectKind::Groups if !self.members_seen => rec.members = Membership::NotExported,
            ObjectKind::Assignments => check_assignment(&mut rec, file),
            ObjectKind::Groups => {}
        }
        rec
    }
}

/// Reads an `AdditionalProperties` member: its members go to `extra` (read after the
/// object's own).
fn additional(k: &str, v: Json, rec: &mut Rec, file: &str, extra: &mut Vec<(String, Json)>) {
    match v {
        Json::Object(map) => extra.extend(map),
        Json::Null => {}
        Json::String(s) if is_type_name(&s, true) => truncated(rec, file, k, &s),
        other => {
            let kind = json::kind_of(&other);
            rec.issue(
                Code::ActualValue,
                file,
                Some(k),
                format!("`AdditionalProperties` is {kind}, not an object; it is not read"),
            );
        }
    }
}

/// One object of a users, groups or assignments export: scanned, each member parsed on its
/// own and a plain attribute value taken as written. Anything the scan does not follow is
/// parsed whole by [`record_parsed`], which reports the error as serde finds it.
#[cfg(test)]
fn record(slice: &str, line: usize, file: &str, kind: ObjectKind, select: Option<&Select>) -> Rec {
    record_at(slice, &json::Span::whole(slice, line), file, kind, select)
}

/// [`record`] of the element `span` of a page's `text`, with the members the page scan found.
fn record_at(
    text: &str,
    span: &json::Span<'_>,
    file: &str,
    kind: ObjectKind,
    select: Option<&Select>,
) -> Rec {
    let slice = text.get(span.start..span.end).unwrap_or_default();
    let line = span.line;
    let whole = || record_parsed(slice, line, file, kind, select);
    let mut scanned = Vec::new();
    let Some(entries) = json::members_of(text, span, &mut scanned) else {
        return whole();
    };
    let mut o = Object::new(line, kind);
    o.rec.attrs.reserve(entries.len());
    let kept = |k: &str| select.is_none_or(|s| s.keeps(k));
    // `AdditionalProperties` first, as [`members_of`] reads it: its problems come first, its
    // members after the object's own.
    let mut extra = Vec::new();
    for e in entries.iter().filter(|e| kept(&e.key)) {
        if e.key.eq_ignore_ascii_case("additionalProperties") {
            let raw = text.get(e.start..e.end).unwrap_or_default();
            let Ok(v) = serde_json::from_str::<Json>(raw) else {
                return whole();
            };
            additional(&e.key, v, &mut o.rec, file, &mut extra);
        }
    }
    for e in entries {
        if !kept(&e.key) || e.key.eq_ignore_ascii_case("additionalProperties") {
            continue;
        }
        let raw = text.get(e.start..e.end).unwrap_or_default();
        if let Some(t) = json::plain_str(raw)
            && o.plain_text(&e.key, t)
        {
            o.rec.put_text(super::build::shared_name(&[&e.key]), t);
            continue;
        }
        if let Some(v) = json::plain(raw)
            && o.plain_attribute(&e.key, &v)
        {
            o.rec.put_shared(super::build::shared_name(&[&e.key]), v);
            continue;
        }
        let Ok(v) = serde_json::from_str::<Json>(raw) else {
            return whole();
        };
        o.member(e.key.to_string(), v, file);
    }
    for (k, v) in extra {
        o.member(k, v, file);
    }
    o.finish(file)
}

/// One object, parsed whole (or its selected members, when some are selected).
fn record_parsed(
    slice: &str,
    line: usize,
    file: &str,
    kind: ObjectKind,
    select: Option<&Select>,
) -> Rec {
    let parsed = match select {
        Some(select) => json::parse_selected(slice, line, file, |k| select.keeps(k)),
        None => json::parse_object(slice, line, file),
    };
    let obj = match parsed {
        Ok(o) => o,
        Err(rec) => return *rec,
    };
    let mut o = Object::new(line, kind);
    for (k, v) in members_of(obj, &mut o.rec, file) {
        o.member(k, v, file);
    }
    o.finish(file)
}

/// `accountEnabled`: a boolean, or `True`/`False` text.
fn enabled(rec: &mut Rec, file: &str) -> Option<bool> {
    let (name, value) = rec.attrs.iter().find_map(|(k, v)| match k.name() {
        Some(n) if n.eq_ignore_ascii_case("accountEnabled") => {
            Some((n.to_string(), rec.content(v).to_value()))
        }
        _ => None,
    })?;
    match value {
        Value::Bool(b) => Some(b),
        Value::Null => None,
        Value::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
        other => {
            let text = other.as_text().map(|t| t.into_owned()).unwrap_or_default();
            rec.issue(
                Code::ActualValue,
                file,
                Some(&name),
                format!(
                    "{} is not a boolean; whether the account is enabled is unknown",
                    quote(&text)
                ),
            );
            None
        }
    }
}

/// An assignment must say whom and which package, or it cannot be joined.
fn check_assignment(rec: &mut Rec, file: &str) {
    let has = |prefix: &str| {
        rec.attrs.iter().any(|(k, _)| {
            k.name().is_some_and(|n| {
                n.get(..prefix.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
            })
        })
    };
    let target = has("target.");
    let package = has("accessPackage.") || has("accessPackageId");
    if rec.id.is_some() && !(target && package) {
        let missing = match (target, package) {
            (false, false) => "`target` and `accessPackage`",
            (false, true) => "`target`",
            _ => "`accessPackage`",
        };
        rec.issue(
            Code::ActualUnjoinable,
            file,
            None,
            format!(
                "the assignment has no {missing}, so it cannot be joined to a user and a package"
            ),
        );
        if let Some(i) = rec.last_issue() {
            i.help = Some("export with `$expand=target,accessPackage`".into());
        }
    }
}

/// A group's inline `members` (from `$expand=members`).
fn inline_members(name: &str, v: Json, rec: &mut Rec, file: &str) -> Membership {
    match v {
        Json::Null => Membership::NotExported,
        Json::Array(items) => {
            let n = items.len();
            let mut list = Vec::with_capacity(n);
            for item in items {
                match item {
                    Json::Object(map) => {
                        let obj = Obj(map.into_iter().collect());
                        match directory_object(obj, rec, file) {
                            Some(m) => list.push(m),
                            None => {
                                rec.issue(
                                    Code::ActualMalformed,
                                    file,
                                    Some(name),
                                    "a member has no `id`; the group's membership is read as unknown".to_string(),
                                );
                                return Membership::Untrusted;
                            }
                        }
                    }
                    Json::String(s) if is_type_name(&s, true) => {
                        truncated(rec, file, name, &s);
                        return Membership::Untrusted;
                    }
                    other => {
                        let what = json::kind_of(&other);
                        rec.issue(
                            Code::ActualMalformed,
                            file,
                            Some(name),
                            format!("a member is {what}, not an object; the group's membership is read as unknown"),
                        );
                        return Membership::Untrusted;
                    }
                }
            }
            if n == EXPAND_CAP {
                Membership::Partial(
                    "it lists exactly 20 members, the most `$expand=members` returns",
                )
            } else {
                Membership::Known(list)
            }
        }
        Json::String(s) if is_type_name(&s, true) => {
            truncated(rec, file, name, &s);
            Membership::Untrusted
        }
        other => members_not_a_list(name, &other, rec, file),
    }
}

/// What one JSON file holds: its elements, and what it says about paging.
struct Doc<'t> {
    spans: json::Spans<'t>,
    page: Page,
}

fn read_doc<'t>(text: &'t str, file: &str, sink: &mut Sink) -> Option<Doc<'t>> {
    let b = text.as_bytes();
    let start = json::ws(b, 0);
    let mut page = Page {
        file: file.to_string(),
        ..Page::default()
    };
    let lines_ext = {
        let lower = file.to_ascii_lowercase();
        lower.ends_with(".jsonl") || lower.ends_with(".ndjson")
    };
    if lines_ext {
        let spans = json::line_spans(text);
        page.objects = spans.len();
        return Some(Doc { spans, page });
    }
    match b.get(start) {
        None => {
            sink.push(
                DataIssue::new(Code::ActualMalformed, file, "the file is empty")
                    .help("an export with no objects is still a response: `{\"value\": []}`"),
            );
            None
        }
        Some(b'[') => {
            let spans = json::element_spans(text, start, None, file, sink)?;
            page.objects = spans.len();
            page.bare_array = true;
            Some(Doc { spans, page })
        }
        Some(b'{') => {
            let (mut entries, end) = match json::page_entries(text, start) {
                Ok(x) => x,
                Err(e) => {
                    sink.push(json::syntax_issue(text, file, e.at));
                    return None;
                }
            };
            if json::ws(b, end) < b.len() {
                // More after the first object: JSON Lines.
                let spans = json::line_spans(text);
                page.objects = spans.len();
                return Some(Doc { spans, page });
            }
            let value = entries
                .iter()
                .position(|e| e.key.eq_ignore_ascii_case("value") && b.get(e.start) == Some(&b'['));
            let Some(value) = value else {
                // One bare object (ConvertTo-Json of a single object).
                page.objects = 1;
                return Some(Doc {
                    spans: vec![json::Span {
                        start,
                        end,
                        line: json::line_of(text, start),
                        members: None,
                    }],
                    page,
                });
            };
            let mut seen = std::collections::HashSet::new();
            for (n, e) in entries.iter().enumerate() {
                let folded = e.key.to_ascii_lowercase();
                if !seen.insert(folded.clone()) {
                    sink.push(
                        DataIssue::new(
                            Code::ActualMalformed,
                            file,
                            format!("the response has `{}` twice", e.key),
                        )
                        .at(json::line_of(text, e.start)),
                    );
                    return None;
                }
                let member = text.get(e.start..e.end).unwrap_or_default();
                match folded.as_str() {
                    "@odata.nextlink" => match serde_json::from_str::<Json>(member) {
                        Ok(Json::String(s)) => page.next = Some(s),
                        Ok(Json::Null) => {}
                        _ => sink.push(
                            DataIssue::new(
                                Code::ActualMalformed,
                                file,
                                "`@odata.nextLink` is not a string",
                            )
                            .at(json::line_of(text, e.start)),
                        ),
                    },
                    "@odata.count" => match serde_json::from_str::<Json>(member) {
                        Ok(Json::Number(n)) if n.as_u64().is_some() => page.total = n.as_u64(),
                        _ => sink.push(
                            DataIssue::new(
                                Code::ActualMalformed,
                                file,
                                "`@odata.count` is not a whole number",
                            )
                            .at(json::line_of(text, e.start)),
                        ),
                    },
                    _ => {
                        // The objects of `value` are parsed each on its own, not here.
                        if n != value
                            && serde_json::from_str::<serde::de::IgnoredAny>(member).is_err()
                        {
                            sink.push(json::syntax_issue(text, file, e.start));
                            return None;
                        }
                    }
                }
            }
            let value = entries.get_mut(value)?;
            let spans = json::element_spans(text, value.start, value.items.take(), file, sink)?;
            page.objects = spans.len();
            page.envelope = true;
            Some(Doc { spans, page })
        }
        Some(_) => {
            let what = json::kind_at(b, start);
            sink.push(
                DataIssue::new(
                    Code::ActualMalformed,
                    file,
                    format!("the file holds {what}, not a Graph response"),
                )
                .at(json::line_of(text, start))
                .help("a Graph export is a response page `{\"value\": […]}`, JSON Lines, or a `ConvertTo-Json` array"),
            );
            None
        }
    }
}

/// Reads one file of a users, groups or assignments export.
pub(super) fn read(
    text: &str,
    file: &str,
    options: &ReadOptions,
    out: &mut dyn Out,
    sink: &mut Sink,
) {
    let Some(doc) = read_doc(text, file, sink) else {
        return;
    };
    let kind = options.kind;
    let select = Select::of(options);
    json::parse_all(
        &doc.spans,
        |span| record_at(text, span, file, kind, select.as_ref()),
        options.digests,
        out,
        sink,
    );
    out.page(doc.page);
}

/// Checks that a sequence of pages is whole: every page but the last names a next page, the
/// last names none, and a first page's `@odata.count` is what was read. `objects` is the
/// number of objects read from these pages.
fn check_pages(pages: &[Page], objects: usize, sink: &mut Sink) {
    let Some(last) = pages.last() else {
        return;
    };
    if let Some(next) = &last.next {
        sink.push(
            DataIssue::new(
                Code::ActualTruncated,
                &last.file,
                format!(
                    "the page names a next page ({}) that is not in the export: the export is incomplete",
                    quote(next)
                ),
            )
            .help("export every page: follow `@odata.nextLink` until a page has none, and keep each page as a file"),
        );
    }
    let (before, _) = pages.split_at(pages.len().saturating_sub(1));
    for (i, p) in before.iter().enumerate() {
        if p.envelope && p.next.is_none() && pages.get(i + 1).is_some() {
            sink.push(
                DataIssue::new(
                    Code::ActualSuspicious,
                    &p.file,
                    "the page names no next page, yet more page files follow it",
                )
                .help("check that the directory holds one export (a page without `@odata.nextLink` is the last)"),
            );
        }
    }
    if let Some(count) = pages.first().and_then(|p| p.total)
        && count > objects as u64
    {
        let file = pages.first().map_or("", |p| p.file.as_str());
        sink.push(
            DataIssue::new(
                Code::ActualTruncated,
                file,
                format!("`@odata.count` is {count} but the export holds {objects} objects: it is incomplete"),
            )
            .help("export every page"),
        );
    }
    if let [only] = pages
        && only.bare_array
        && only.objects == POWERSHELL_PAGE
    {
        sink.push(
            DataIssue::new(
                Code::ActualSuspicious,
                &only.file,
                "the export holds exactly 100 objects, one page of `Get-MgUser` without `-All`",
            )
            .severity(Severity::Warning)
            .help("re-export with `-All` if the directory holds more"),
        );
    }
}

/// The members exports read by group id: `None` where the export of a group is incomplete.
pub(super) type MembersExport = BTreeMap<String, Option<Vec<Member>>>;

/// Reads a directory of `/groups/{id}/members` exports.
pub(super) fn load_members(dir: &Path, budget: &mut Budget, sink: &mut Sink) -> MembersExport {
    let mut out = MembersExport::new();
    let shown = dir.display().to_string();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            sink.push(DataIssue::new(
                Code::ActualUnreadable,
                &shown,
                format!(
                    "cannot list the members directory: {}",
                    e.to_string().to_lowercase()
                ),
            ));
            return out;
        }
    };
    let mut groups: Vec<(String, Vec<std::path::PathBuf>)> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let Ok(t) = entry.file_type() else { continue };
        if t.is_symlink() {
            sink.push(DataIssue::new(
                Code::ActualUnreadable,
                &entry.path().display().to_string(),
                "the members export is a symbolic link; it is not followed",
            ));
            continue;
        }
        if t.is_dir() {
            if let Some(files) = input::list_dir(&entry.path(), super::Format::Graph, sink) {
                groups.push((name, files));
            } else {
                out.insert(name, None);
            }
        } else if t.is_file() {
            let lower = name.to_ascii_lowercase();
            if let Some(stem) = [".jsonl", ".ndjson", ".json"]
                .iter()
                .find_map(|ext| {
                    lower
                        .ends_with(ext)
                        .then(|| name.get(..name.len() - ext.len()))
                })
                .flatten()
            {
                groups.push((stem.to_string(), vec![entry.path()]));
            }
        }
    }
    groups.sort();
    for (group, files) in groups {
        let mut members = Vec::new();
        let mut pages = Vec::new();
        let mut whole = true;
        for path in &files {
            let Some(loaded) = input::load_file(path, budget, sink) else {
                whole = false;
                continue;
            };
            let Some(text) = input::decode(&loaded, sink) else {
                whole = false;
                continue;
            };
            let Some(doc) = read_doc(&text, &loaded.name, sink) else {
                whole = false;
                continue;
            };
            for span in &doc.spans {
                let line = span.line;
                let slice = text.get(span.start..span.end).unwrap_or_default();
                let obj = match json::parse_object(slice, line, &loaded.name) {
                    Ok(o) => o,
                    Err(rec) => {
                        rec.issues.into_iter().for_each(|i| sink.push(i));
                        whole = false;
                        continue;
                    }
                };
                let mut rec = Rec::new(line);
                match directory_object(obj, &mut rec, &loaded.name) {
                    Some(m) => members.push(m),
                    None => {
                        sink.push(
                            DataIssue::new(
                                Code::ActualMissingId,
                                &loaded.name,
                                "the member has no `id`; the group's membership is read as unknown",
                            )
                            .at(line),
                        );
                        whole = false;
                    }
                }
                rec.issues.into_iter().for_each(|i| sink.push(i));
            }
            pages.push(doc.page);
        }
        let before = members.len();
        check_pages(&pages, before, sink);
        let truncated = pages.last().is_some_and(|p| p.next.is_some())
            || pages
                .first()
                .and_then(|p| p.total)
                .is_some_and(|c| c > before as u64);
        let complete = whole && !truncated;
        out.insert(group, complete.then_some(members));
    }
    out
}

/// Checks the paging of the whole export; for groups, applies the members exports and
/// reports the groups whose membership stays unknown.
pub(super) fn finish(
    builder: &mut Builder<'_>,
    members: Option<MembersExport>,
    options: &ReadOptions,
    first_file: &str,
    sink: &mut Sink,
) {
    let pages = std::mem::take(&mut builder.pages);
    check_pages(&pages, builder.rows(), sink);
    if options.kind != ObjectKind::Groups {
        return;
    }
    let mut members = members;
    if let Some(export) = &mut members {
        let index: std::collections::HashMap<String, usize> = (0..builder.rows())
            .map(|r| (builder.id(r).to_string(), r))
            .collect();
        for (group, list) in std::mem::take(export) {
            match index.get(&group) {
                Some(&r) => {
                    if let Some(m) = builder.members.get_mut(r) {
                        *m = match list {
                            Some(list) => Membership::Known(list),
                            None => Membership::Untrusted,
                        };
                    }
                }
                None => sink.push(
                    DataIssue::new(
                        Code::ActualUnknownGroup,
                        options
                            .members
                            .as_deref()
                            .map_or(first_file.to_string(), |d| d.display().to_string())
                            .as_str(),
                        format!("the members export of group {} names no group of the groups export; it is ignored", quote(&group)),
                    )
                    .help("name each members export by the `id` of its group"),
                ),
            }
        }
    }
    for r in 0..builder.rows() {
        let why = match builder.members.get(r) {
            Some(Membership::NotExported) => {
                "the export does not list its members (export `/groups/{id}/members`, or `$expand=members`)"
            }
            Some(Membership::Partial(why)) => why,
            _ => continue,
        };
        let (file, line) = builder.location(r);
        let id = builder.id(r).to_string();
        sink.push(
            DataIssue::new(
                Code::ActualMembershipUnknown,
                file,
                format!("the membership of group {} is read as unknown: {why}", quote(&id)),
            )
            .at(line)
            .field("members")
            .help("export each group's members with `GET /groups/{id}/members` (all pages) and name that directory in the `members` option"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use crate::actual::build::said;

    fn same_both_ways(text: &str) {
        let select = Select(vec![
            "accountenabled".into(),
            "additionalproperties".into(),
            "department".into(),
            "id".into(),
            "manager".into(),
        ]);
        for kind in [
            ObjectKind::Users,
            ObjectKind::Groups,
            ObjectKind::Assignments,
        ] {
            for select in [None, Some(&select)] {
                let fast = record(text, 3, "f.json", kind, select);
                let whole = record_parsed(text, 3, "f.json", kind, select);
                assert_eq!(
                    said(&fast),
                    said(&whole),
                    "{kind:?}, select {}: {text}",
                    select.is_some()
                );
                // Read from its page, with the members the page scan found.
                if let Some((page, span)) = json::in_a_page("value", text) {
                    let paged = record_at(&page, &span, "f.json", kind, select);
                    assert_eq!(
                        said(&paged),
                        said(&whole),
                        "{kind:?}, select {}, in a page: {text}",
                        select.is_some()
                    );
                }
            }
        }
    }

    #[test]
    fn scanned_objects_read_as_parsed_ones() {
        for text in [
            r#"{"id":"a","accountEnabled":true,"department":"R&D","n":1.5,"big":123456789012345678901,"z":-0}"#,
            r#"{"Id":"a","AccountEnabled":"False","createdDateTime":"2024-01-01T00:00:00Z","employeeHireDate":"2024-02-01","x":"/Date(1326441600000)/"}"#,
            r#"{"id":"a","manager":{"id":"m"},"department":"System.Collections.Hashtable","title":"Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser"}"#,
            r##"{"id":"a","AdditionalProperties":{"extension_1_x":"v","@odata.type":"#microsoft.graph.user"},"department":"d"}"##,
            r#"{"department":"d","AdditionalProperties":"System.Collections.Generic.Dictionary`2[System.String,System.Object]","id":"a"}"#,
            r#"{"department":"d","AdditionalProperties":5,"id":"a"}"#,
            r##"{"id":"g","members":[{"id":"u1","@odata.type":"#microsoft.graph.user"}],"displayName":"G"}"##,
            r#"{"id":"a","target":{"id":"t"},"accessPackage":{"id":"p"},"state":"delivered"}"#,
            r#"{"id":"a","@odata.etag":"W/1","department":"x" "title":"y"}"#,
            r#"{"id":"a","department":tru}"#,
            r#"{"id":"a","department":"tab	inside"}"#,
            r#"{"id":"a","n":01}"#,
            r#"["not", "an object"]"#,
            r#"{"id":"a" "#,
        ] {
            same_both_ways(text);
        }
    }

    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 é]{0,8}".prop_map(|s| format!("\"{s}\"")),
            "[a-z\"\\\\/\u{1}\t]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            any::<i64>().prop_map(|n| n.to_string()),
            Just("-0".to_string()),
            Just("1.25".to_string()),
            Just("18446744073709551616".to_string()),
            Just("true".to_string()),
            Just("null".to_string()),
            Just("\"False\"".to_string()),
            Just("\"2024-03-01T08:00:00Z\"".to_string()),
            Just("\"2024-03-01\"".to_string()),
            Just("\"/Date(1326441600000)/\"".to_string()),
            Just("\"System.Object[]\"".to_string()),
            Just("\"Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser\"".to_string()),
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        scalar().prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec((name(), inner), 0..3).prop_map(|v| {
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
            Just("accountEnabled".to_string()),
            Just("AdditionalProperties".to_string()),
            Just("@odata.type".to_string()),
            Just("members".to_string()),
            Just("manager".to_string()),
            Just("department".to_string()),
            Just("createdDateTime".to_string()),
            Just("employeeHireDate".to_string()),
            Just("target".to_string()),
            Just("accessPackage".to_string()),
            "[a-zA-Z]{1,6}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn any_object_reads_as_parsed(
            members in prop::collection::vec((name(), value()), 0..8),
            cut in prop::option::of(0usize..300),
        ) {
            let members: Vec<String> =
                members.into_iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            let mut text = format!("{{{}}}", members.join(", "));
            if let Some(c) = cut {
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
