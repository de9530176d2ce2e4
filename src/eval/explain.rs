//! `roster explain`: why one identity has or lacks each attribute value, group, access package
//! and account — the chain from HR record to mapping to rule, with policy locations, and for
//! what it lacks, the conditions that failed.

use std::fmt::Write as _;

use serde::Serialize;

use super::{DesiredState, IdentityState};
use crate::diagnostics::{Sources as _, Span};
use crate::escape::{VALUE_CHARS, clip, clip_message, json_compact, terminal};
use crate::policy::Policy;
use crate::policy::compile::{Loc, MappingKind, ProgramKind};
use crate::policy::graph::NodeId;
use crate::policy::load::Loaded;
use crate::rule::RuleContext;
use crate::rule::eval::Trace;
use crate::value::Value;

/// A place in a policy file, for people.
#[derive(Debug, Clone, Serialize)]
pub struct Place {
    /// The file.
    pub file: String,
    /// The line (1-based).
    pub line: usize,
}

/// How one attribute got its value.
#[derive(Debug, Clone, Serialize)]
pub struct AttributeWhy {
    /// The attribute.
    pub name: String,
    /// Its value.
    pub value: serde_json::Value,
    /// `direct`, `constant` or `expression`.
    pub mapping: &'static str,
    /// The source field, constant or expression text.
    pub from: String,
    /// Where the mapping is written.
    pub at: Option<Place>,
    /// The inputs an expression read, with their values.
    pub inputs: Vec<(String, serde_json::Value)>,
}

/// Why the identity is or is not in a group or package.
#[derive(Debug, Clone, Serialize)]
pub struct MembershipWhy {
    /// `group:name` or `package:name`.
    pub name: String,
    /// Whether the identity has it.
    pub member: bool,
    /// The reason, in words.
    pub reason: String,
    /// The conditions that decided it: their text and result.
    pub conditions: Vec<(String, bool)>,
    /// Where the rule is written.
    pub at: Option<Place>,
}

/// Everything about one identity.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The identity.
    pub key: String,
    /// Its lifecycle state, in words.
    pub lifecycle: String,
    /// The HR records it was built from: source, key, file row.
    pub records: Vec<(String, String, usize)>,
    /// Attributes.
    pub attributes: Vec<AttributeWhy>,
    /// Groups and packages, held or not.
    pub memberships: Vec<MembershipWhy>,
    /// Accounts per target, and why (not).
    pub accounts: Vec<(String, String)>,
}

fn place(loaded: &Loaded, at: Loc) -> Place {
    let src = loaded.sources.source(at.file);
    Place {
        file: src.name.to_string(),
        line: src.line_col(at.span.start).line,
    }
}

fn text_of(text: &str, span: Span) -> String {
    let span = if span.start == span.end {
        Span::new(0, text.len())
    } else {
        span
    };
    text.get(span.start..span.end)
        .unwrap_or(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Explains identity `key` in an evaluated state; `None` when no identity has that key.
pub fn explain(
    loaded: &Loaded,
    policy: &Policy,
    state: &DesiredState,
    key: &str,
) -> Option<Explanation> {
    let index = state.identities.position(key)?;
    let identity = &state.identities.get(index)?;
    // The records evaluation read (the files are not read a second time).
    let datasets = state.identities.datasets();
    let records = state
        .identities
        .people
        .get(index)
        .map_or(&[][..], |p| p.records.as_slice());
    let source_value = |source: &str, field: &str| -> serde_json::Value {
        // The identity's record in that source, as correlation joined it.
        let found = records.iter().find_map(|&(d, r)| {
            let data = datasets.get(d).filter(|data| data.source == source)?;
            Some(data.value(r, data.field_index(field)?))
        });
        found.map_or(serde_json::Value::Null, Value::to_json)
    };
    let now = state.as_of.and_hms_opt(0, 0, 0).unwrap_or_default();
    let mut attributes = Vec::new();
    for (name, value) in &identity.attributes {
        let Some(mapping) = policy.mappings.get(&NodeId::Attribute(name.clone())) else {
            continue;
        };
        let (kind, from, at, inputs) = match &mapping.kind {
            MappingKind::Direct(node) => ("direct", node.to_string(), None, Vec::new()),
            MappingKind::Constant(c) => ("constant", c.clone(), None, Vec::new()),
            MappingKind::Expression { program, slots } => {
                let def = policy.programs.get(*program);
                let inputs = slots
                    .iter()
                    .flatten()
                    .map(|n| {
                        let v = match n {
                            NodeId::Attribute(a) => identity
                                .attributes
                                .get(a)
                                .map_or(serde_json::Value::Null, Value::to_json),
                            NodeId::SourceField(s, f) => source_value(s, f),
                            _ => serde_json::Value::Null,
                        };
                        (n.to_string(), v)
                    })
                    .collect();
                (
                    "expression",
                    def.map(|d| d.text.clone()).unwrap_or_default(),
                    def.map(|d| place(loaded, d.loc)),
                    inputs,
                )
            }
        };
        attributes.push(AttributeWhy {
            name: name.clone(),
            value: value.to_json(),
            mapping: kind,
            from,
            at,
            inputs,
        });
    }

    // Memberships as evaluation computed them, so rules see what evaluation saw.
    let members = state.identities.groups();
    let ctx = RuleContext { now };
    let mut memberships = Vec::new();
    for def in &policy.programs {
        let ProgramKind::Rule { node, program } = &def.kind else {
            continue;
        };
        let (name, member) = match node {
            NodeId::Group(g) => (format!("group:{g}"), identity.groups.contains(g)),
            NodeId::Package(p) => (format!("package:{p}"), identity.access_packages.contains(p)),
            _ => continue,
        };
        let values = rule_values(program, index, identity, members);
        let (reason, conditions) = match program.explain(&values, &ctx) {
            Ok(trace) => {
                let deciding: Vec<(String, bool)> = trace
                    .deciding()
                    .iter()
                    .map(|t: &&Trace| (text_of(&def.text, t.span), t.result))
                    .collect();
                let reason = if !identity.lifecycle.has_account() {
                    "no account in this lifecycle state, so no dynamic membership".to_string()
                } else if member && !trace.result {
                    "granted by an access package that includes this group".to_string()
                } else if trace.result {
                    "the rule matches".to_string()
                } else {
                    "the rule does not match".to_string()
                };
                (reason, deciding)
            }
            Err(d) => (format!("the rule failed: {}", d.message), Vec::new()),
        };
        memberships.push(MembershipWhy {
            name,
            member,
            reason,
            conditions,
            at: Some(place(loaded, def.loc)),
        });
    }
    for g in &identity.groups {
        if !memberships.iter().any(|m| m.name == format!("group:{g}")) {
            memberships.push(MembershipWhy {
                name: format!("group:{g}"),
                member: true,
                reason: "a static member, or granted by an access package".into(),
                conditions: Vec::new(),
                at: None,
            });
        }
    }
    memberships.sort_by(|a, b| a.name.cmp(&b.name));

    let mut accounts = Vec::new();
    for file in &loaded.files {
        for (t, _) in &file.policy.targets {
            let why = match identity.accounts.get(&t.value) {
                Some(a) if a.enabled => "an enabled account: in scope and active".to_string(),
                Some(_) => format!("a disabled account: in scope, lifecycle `{}`", lifecycle_word(identity)),
                None if !identity.lifecycle.has_account() => format!("no account: lifecycle `{}`", lifecycle_word(identity)),
                None => "no account: out of the target's scope (not in its groups or packages, or filtered out)".to_string(),
            };
            accounts.push((t.value.clone(), why));
        }
    }
    Some(Explanation {
        key: identity.key.clone(),
        lifecycle: lifecycle_word(identity),
        records: identity
            .sources
            .iter()
            .map(|s| (s.source.clone(), s.key.clone(), s.row))
            .collect(),
        attributes,
        memberships,
        accounts,
    })
}

fn lifecycle_word(identity: &IdentityState) -> String {
    serde_json::to_value(identity.lifecycle)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The values a rule reads for identity `i` (as evaluation computed them).
fn rule_values(
    rule: &crate::rule::RuleProgram,
    i: usize,
    identity: &IdentityState,
    members: &[(String, crate::rule::sets::Bitset)],
) -> Vec<Value> {
    rule.properties
        .iter()
        .map(|p| {
            if p.name.eq_ignore_ascii_case("memberOf") {
                let mut ids: Vec<String> = members
                    .iter()
                    .filter(|(_, s)| s.contains(i))
                    .map(|(g, _)| g.clone())
                    .collect();
                ids.sort();
                Value::List(ids.into_iter().map(Value::Str).collect())
            } else {
                identity
                    .attributes
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&p.name))
                    .map_or(Value::Null, |(_, v)| v.clone())
            }
        })
        .collect()
}

/// The human form. Every name, value, rule and path is clipped and terminal-safe
/// ([`crate::escape`]): one line each, no controls, no megabyte values.
pub fn human(e: &Explanation) -> String {
    // User text for one line: clipped to a value's length, controls shown visibly.
    fn t(text: &str) -> String {
        terminal(&clip(text, VALUE_CHARS)).into_owned()
    }
    // A value as JSON (strings quoted), clipped and made safe the same way.
    fn v(value: &serde_json::Value) -> String {
        t(&json_compact(value))
    }
    fn at(p: Option<&Place>) -> String {
        p.map_or_else(String::new, |p| format!("  [{}:{}]", t(&p.file), p.line))
    }
    let mut out = String::new();
    let _ = writeln!(out, "identity {} ({})", t(&e.key), e.lifecycle);
    for (source, key, row) in &e.records {
        let _ = writeln!(out, "  record {} `{}` (row {row})", t(source), t(key));
    }
    let _ = writeln!(out, "\nattributes:");
    for a in &e.attributes {
        let _ = writeln!(
            out,
            "  {} = {}  <- {} {}{}",
            t(&a.name),
            v(&a.value),
            a.mapping,
            t(&a.from.split_whitespace().collect::<Vec<_>>().join(" ")),
            at(a.at.as_ref())
        );
        for (input, value) in &a.inputs {
            let _ = writeln!(out, "      {} = {}", t(input), v(value));
        }
    }
    let _ = writeln!(out, "\ngroups and access packages:");
    for m in &e.memberships {
        let mark = if m.member { "+" } else { "-" };
        let _ = writeln!(
            out,
            "  {mark} {}: {}{}",
            t(&m.name),
            terminal(&clip_message(&m.reason)),
            at(m.at.as_ref())
        );
        for (cond, result) in &m.conditions {
            let _ = writeln!(
                out,
                "      {} {}",
                if *result { "true: " } else { "false:" },
                t(cond)
            );
        }
    }
    let _ = writeln!(out, "\naccounts:");
    for (target, why) in &e.accounts {
        let _ = writeln!(out, "  {}: {}", t(target), terminal(&clip_message(why)));
    }
    out
}
