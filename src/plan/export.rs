//! Writing a target's desired accounts as the export its system would give once they are
//! applied: Graph `GET /users` JSON, a SCIM `ListResponse`, LDIF, or CSV. `roster generate
//! --actual-drift` starts from these, the bundled example's actual state was made from them,
//! and the property "a plan against an export of the desired state is empty" is checked
//! through them.
//!
//! Identifiers are derived from the target and the identity key (a GUID-shaped digest for
//! Graph and SCIM, a DN for LDIF), so the same desired state always gives the same export.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{Map, Value as Json, json};
use sha2::{Digest as _, Sha256};

use crate::actual::Format;
use crate::eval::DesiredState;
use crate::eval::report::TargetAccounts;
use crate::policy::raw;
use crate::value::Value;

/// A GUID-shaped identifier for identity `key` in `target`.
pub fn guid(target: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{target}\u{0}{key}").as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        hex.get(0..8).unwrap_or(""),
        hex.get(8..12).unwrap_or(""),
        hex.get(12..16).unwrap_or(""),
        hex.get(16..20).unwrap_or(""),
        hex.get(20..32).unwrap_or("")
    )
}

/// One account to write: its identifier, whether enabled, and its attributes.
#[derive(Debug, Clone)]
pub struct Row {
    /// The identity key.
    pub key: String,
    /// The identifier in the target.
    pub id: String,
    /// Enabled.
    pub enabled: bool,
    /// Attributes by target attribute name (NULL left out).
    pub attributes: Vec<(String, Value)>,
}

/// The accounts of one target as they would be after applying the desired state (held and
/// absent accounts left out), with manager references resolved to identifiers.
pub fn rows(state: &DesiredState, target: &raw::Target, name: &str) -> Vec<Row> {
    rows_of(state, target, name, 0..state.identities.len())
}

/// [`rows`] for the identities whose index is in `range` only: a large target is written in
/// pages without holding every row at once.
pub fn rows_of(
    state: &DesiredState,
    target: &raw::Target,
    name: &str,
    range: std::ops::Range<usize>,
) -> Vec<Row> {
    let ids = &state.identities;
    let Some(t) = ids.targets.iter().find(|t| t.name == name) else {
        return Vec::new();
    };
    let format = super::read::format_of(target, target.actual.as_ref().map(|a| &a.value));
    let id_of = |i: usize| -> String {
        let key = ids.key(i).unwrap_or_default();
        match format {
            Format::Ldif => dn(target, t, i, key),
            Format::Csv => key.to_string(),
            _ => guid(name, key),
        }
    };
    let manager = ids
        .attributes
        .iter()
        .find(|(a, _)| a == "manager")
        .map(|(_, c)| c);
    let mut out = Vec::new();
    for i in t.holders.ones().skip_while(|&i| i < range.start) {
        if i >= range.end {
            break;
        }
        if ids.lifecycle(i).held() {
            continue;
        }
        let mut attributes = Vec::new();
        for (aname, column, absent) in &t.attributes {
            if absent.as_ref().is_some_and(|b| b.contains(i)) {
                continue;
            }
            let v = if super::is_manager_reference(aname) {
                match manager.map(|m| m.get(i)) {
                    Some(Value::Str(k)) => match ids.position(k) {
                        Some(j) if t.holders.contains(j) => Value::Str(id_of(j)),
                        _ => continue,
                    },
                    _ => continue,
                }
            } else {
                column.get(i).clone()
            };
            if super::values::empty(&v) {
                continue;
            }
            attributes.push((aname.clone(), v));
        }
        out.push(Row {
            key: ids.key(i).unwrap_or_default().to_string(),
            id: id_of(i),
            enabled: t.enabled.contains(i),
            attributes,
        });
    }
    out
}

/// The DN of identity `i`'s entry: the naming attribute (`uid` where mapped, else `cn`, else
/// the key) under `parentDistinguishedName` where mapped, else the target's `base_dn` setting.
fn dn(target: &raw::Target, t: &TargetAccounts, i: usize, key: &str) -> String {
    let get = |n: &str| {
        t.attributes
            .iter()
            .find(|(a, _, _)| a.eq_ignore_ascii_case(n))
            .and_then(|(_, c, _)| match c.get(i) {
                Value::Str(s) if !s.is_empty() => Some(s.clone()),
                _ => None,
            })
    };
    let (rdn_type, rdn_value) = match (target.kind.value, get("uid"), get("cn")) {
        (raw::TargetKind::Ldap, Some(uid), _) => ("uid", uid),
        (_, _, Some(cn)) => ("CN", cn),
        (_, Some(uid), None) => ("uid", uid),
        _ => ("CN", key.to_string()),
    };
    let parent = get("parentDistinguishedName").unwrap_or_else(|| {
        target
            .connection
            .as_ref()
            .and_then(|c| {
                c.value
                    .settings
                    .iter()
                    .find(|(k, _)| k.value == "base_dn")
                    .map(|(_, v)| v.value.clone())
            })
            .unwrap_or_else(|| "OU=Users,DC=example,DC=com".to_string())
    });
    format!("{rdn_type}={},{parent}", escape_rdn(&rdn_value))
}

fn escape_rdn(v: &str) -> String {
    let mut out = String::new();
    for (k, c) in v.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=' => {
                out.push('\\');
                out.push(c);
            }
            '#' | ' ' if k == 0 => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    if out.ends_with(' ') {
        out.pop();
        out.push_str("\\ ");
    }
    out
}

fn json_of(v: &Value) -> Json {
    match v {
        Value::Date(d) => Json::String(d.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        Value::List(items) => Json::Array(items.iter().map(json_of).collect()),
        other => other.to_json(),
    }
}

/// Graph `GET /users` JSON: one page without a next link.
pub fn graph(rows: &[Row]) -> String {
    graph_page(rows, None)
}

/// One page of Graph `GET /users` JSON; every page but the last names the next one.
pub fn graph_page(rows: &[Row], next_link: Option<&str>) -> String {
    let value: Vec<Json> = rows
        .iter()
        .map(|r| {
            let mut o = Map::new();
            o.insert("id".into(), Json::String(r.id.clone()));
            o.insert("accountEnabled".into(), Json::Bool(r.enabled));
            for (n, v) in &r.attributes {
                if n.eq_ignore_ascii_case("id") || n.eq_ignore_ascii_case("accountEnabled") {
                    continue;
                }
                if super::is_manager_reference(n) {
                    o.insert(n.clone(), json!({"id": json_of(v)}));
                } else {
                    o.insert(n.clone(), json_of(v));
                }
            }
            Json::Object(o)
        })
        .collect();
    let mut doc = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
        "value": value,
    });
    if let (Some(next), Json::Object(o)) = (next_link, &mut doc) {
        o.insert("@odata.nextLink".into(), Json::String(next.to_string()));
    }
    format!("{}\n", crate::escape::json_pretty(&doc))
}

/// Puts `value` at a SCIM attribute path in `o`: `a.b`, `a[type eq "x"].value`, `urn:…:a`.
fn scim_put(o: &mut Map<String, Json>, path: &str, value: Json) {
    if let Some(rest) = path.strip_prefix("urn:")
        && let Some(colon) = rest.rfind(':')
    {
        let urn = format!("urn:{}", rest.get(..colon).unwrap_or(""));
        let attr = rest.get(colon + 1..).unwrap_or("");
        let inner = o.entry(urn).or_insert_with(|| Json::Object(Map::new()));
        if let Json::Object(m) = inner {
            if attr == "manager" {
                m.insert(attr.to_string(), json!({"value": value}));
            } else {
                scim_put(m, attr, value);
            }
        }
        return;
    }
    if let Some((head, rest)) = path.split_once('[')
        && let Some((filter, sub)) = rest.split_once("].")
    {
        let ty = filter
            .trim()
            .strip_prefix("type eq ")
            .map(|t| t.trim().trim_matches('"').to_string())
            .unwrap_or_default();
        let list = o
            .entry(head.to_string())
            .or_insert_with(|| Json::Array(Vec::new()));
        if let Json::Array(items) = list {
            let mut item = Map::new();
            item.insert("type".into(), Json::String(ty));
            item.insert(sub.to_string(), value);
            items.push(Json::Object(item));
        }
        return;
    }
    match path.split_once('.') {
        Some((head, rest)) => {
            let inner = o
                .entry(head.to_string())
                .or_insert_with(|| Json::Object(Map::new()));
            if let Json::Object(m) = inner {
                scim_put(m, rest, value);
            }
        }
        None => {
            o.insert(path.to_string(), value);
        }
    }
}

/// A SCIM `ListResponse` of `/Users`.
pub fn scim(rows: &[Row]) -> String {
    scim_page(rows, 1, rows.len())
}

/// One page of a SCIM `ListResponse` of `/Users`: its first resource's 1-based `startIndex`
/// and the `totalResults` of all pages.
pub fn scim_page(rows: &[Row], start_index: usize, total: usize) -> String {
    let resources: Vec<Json> = rows
        .iter()
        .map(|r| {
            let mut o = Map::new();
            o.insert(
                "schemas".into(),
                json!(["urn:ietf:params:scim:schemas:core:2.0:User"]),
            );
            o.insert("id".into(), Json::String(r.id.clone()));
            o.insert("active".into(), Json::Bool(r.enabled));
            for (n, v) in &r.attributes {
                if n == "id" || n == "active" {
                    continue;
                }
                scim_put(&mut o, n, json_of(v));
            }
            Json::Object(o)
        })
        .collect();
    let doc = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": rows.len(),
        "Resources": resources,
    });
    format!("{}\n", crate::escape::json_pretty(&doc))
}

fn ldif_line(out: &mut String, name: &str, value: &str) {
    let safe = !value.is_empty()
        && value.is_ascii()
        && !value.starts_with([' ', ':', '<'])
        && !value.ends_with(' ')
        && !value.contains(['\r', '\n', '\0']);
    if safe || value.is_empty() {
        let _ = writeln!(out, "{name}: {value}");
    } else {
        let _ = writeln!(out, "{name}:: {}", crate::actual::base64(value.as_bytes()));
    }
}

/// LDIF content records, as `ldapsearch -LLL` writes them (without folding). Active
/// Directory targets (`kind: directory`) carry `userAccountControl` (512 enabled, 514
/// disabled); LDAP directories have no standard flag, so none is written.
pub fn ldif(rows: &[Row], directory: bool) -> String {
    let mut out = String::new();
    for r in rows {
        ldif_line(&mut out, "dn", &r.id);
        if directory {
            let _ = writeln!(
                out,
                "userAccountControl: {}",
                if r.enabled { 512 } else { 514 }
            );
        }
        for (n, v) in &r.attributes {
            if n.eq_ignore_ascii_case("parentDistinguishedName") {
                continue;
            }
            match v {
                Value::List(items) => {
                    for item in items {
                        ldif_line(&mut out, n, &super::values::text(item));
                    }
                }
                Value::Bool(b) => ldif_line(&mut out, n, if *b { "TRUE" } else { "FALSE" }),
                other => ldif_line(&mut out, n, &super::values::text(other)),
            }
        }
        out.push('\n');
    }
    out
}

fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) || text.is_empty() {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A CSV table: `id`, `enabled`, then every attribute; NULL as an unquoted empty cell.
pub fn csv(rows: &[Row], attributes: &[String]) -> String {
    let mut out = String::from("id,enabled");
    for a in attributes {
        out.push(',');
        out.push_str(&csv_cell(a));
    }
    out.push('\n');
    for r in rows {
        out.push_str(&csv_cell(&r.id));
        out.push_str(if r.enabled { ",true" } else { ",false" });
        for a in attributes {
            out.push(',');
            if let Some((_, v)) = r.attributes.iter().find(|(n, _)| n == a) {
                out.push_str(&csv_cell(&super::values::text(v)));
            }
        }
        out.push('\n');
    }
    out
}

/// The export of one target in its declared format.
pub fn export(state: &DesiredState, target: &raw::Target, name: &str, format: Format) -> String {
    let rows = rows(state, target, name);
    match format {
        Format::Graph => graph(&rows),
        Format::Scim => scim(&rows),
        Format::Ldif => ldif(&rows, target.kind.value == raw::TargetKind::Directory),
        Format::Csv => {
            let attributes: Vec<String> = target.mappings.keys().map(|k| k.value.clone()).collect();
            csv(&rows, &attributes)
        }
    }
}

/// LDIF group entries (`objectClass: group`, `cn`, `member`) for the desired groups whose
/// members hold an account in the target: what an Active Directory or LDAP groups export holds
/// once the desired memberships are applied. `parent` is the groups' OU.
pub fn ldif_groups(state: &DesiredState, rows: &[Row], parent: &str) -> String {
    let ids = &state.identities;
    let dn_of: HashMap<&str, &str> = rows
        .iter()
        .map(|r| (r.key.as_str(), r.id.as_str()))
        .collect();
    let groups = ids.groups.iter().map(|(name, members)| {
        let dns: Vec<&str> = members
            .ones()
            .filter_map(|i| ids.key(i))
            .filter_map(|k| dn_of.get(k).copied())
            .collect();
        (name.as_str(), dns)
    });
    ldif_group_entries(groups, parent)
}

/// LDIF group entries (`objectClass: group`, `cn`, `member`) under `parent`: each group's
/// name and its members' DNs (written sorted).
pub fn ldif_group_entries<'a>(
    groups: impl IntoIterator<Item = (&'a str, Vec<&'a str>)>,
    parent: &str,
) -> String {
    let mut out = String::new();
    for (name, mut dns) in groups {
        ldif_line(&mut out, "dn", &format!("CN={},{parent}", escape_rdn(name)));
        out.push_str("objectClass: top\nobjectClass: group\n");
        ldif_line(&mut out, "cn", name);
        dns.sort_unstable();
        for dn in dns {
            ldif_line(&mut out, "member", dn);
        }
        out.push('\n');
    }
    out
}
