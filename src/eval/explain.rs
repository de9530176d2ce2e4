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
    /// Whether it could not be decided (then the identity does not have it).
    pub undetermined: bool,
    /// The conditions that decided it: their text and result (`null`: could not be decided).
    pub conditions: Vec<(String, Option<bool>)>,
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
    /// Why it is in that state, from the dates and status.
    pub lifecycle_reason: String,
    /// The HR records it was built from: source, key, file row.
    pub records: Vec<(String, String, usize)>,
    /// Attributes.
    pub attributes: Vec<AttributeWhy>,
    /// Groups and packages, held or not.
    pub memberships: Vec<MembershipWhy>,
    /// Accounts per target, and why (not).
    pub accounts: Vec<(String, String)>,
    /// The display names of the groups, packages and targets above (`group:NAME`,
    /// `package:NAME`, `target:NAME`), for the human form only.
    #[serde(skip)]
    pub display_names: std::collections::BTreeMap<String, String>,
    /// Separation-of-duties conflicts of this identity.
    pub conflicts: Vec<super::report::Conflict>,
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
        let of = match node {
            NodeId::Group(g) => format!("group:{g}"),
            NodeId::Package(p) => format!("access_package:{p}"),
            _ => String::new(),
        };
        let undetermined = identity.undetermined.iter().find(|u| u.of == of);
        let trace = program.explain(&values, &ctx);
        // When undetermined through something else (a group it reads), the conditions as
        // evaluated here would show a decided result: leave them out.
        let conditions: Vec<(String, Option<bool>)> =
            if undetermined.is_some() && trace.result.is_some() {
                Vec::new()
            } else {
                trace
                    .deciding()
                    .iter()
                    .map(|t: &&Trace| (text_of(&def.text, t.span), t.result))
                    .collect()
            };
        let reason = if identity.lifecycle.held() {
            "lifecycle unknown: no new access; a membership held now is kept as it is".to_string()
        } else if let Some(u) = undetermined {
            format!("undetermined, so not granted: {}", u.reason)
        } else if !identity.lifecycle.has_account() {
            "no account in this lifecycle state, so no dynamic membership".to_string()
        } else if member && trace.result != Some(true) {
            "granted by an access package that includes this group".to_string()
        } else if trace.result == Some(true) {
            "the rule matches".to_string()
        } else if trace.result.is_none() {
            format!(
                "the rule cannot be decided: {}",
                trace.unknown.clone().unwrap_or_default()
            )
        } else {
            "the rule does not match".to_string()
        };
        memberships.push(MembershipWhy {
            name,
            member,
            undetermined: undetermined.is_some(),
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
                undetermined: false,
                reason: "a static member, or granted by an access package".into(),
                conditions: Vec::new(),
                at: None,
            });
        }
    }
    // Undetermined memberships of groups without a rule (granted by an undetermined package).
    for u in &identity.undetermined {
        let Some(g) = u.of.strip_prefix("group:") else {
            continue;
        };
        if !memberships.iter().any(|m| m.name == u.of) {
            memberships.push(MembershipWhy {
                name: format!("group:{g}"),
                member: false,
                undetermined: true,
                reason: format!("undetermined, so not granted: {}", u.reason),
                conditions: Vec::new(),
                at: None,
            });
        }
    }
    // Static entries that grant nothing: the identity has no account.
    for file in &loaded.files {
        for (g, group) in &file.policy.groups {
            let Some(entry) = group
                .value
                .members
                .iter()
                .flatten()
                .find(|m| m.value == identity.key)
            else {
                continue;
            };
            let name = format!("group:{}", g.value);
            if identity.groups.contains(&g.value) || memberships.iter().any(|m| m.name == name) {
                continue;
            }
            memberships.push(MembershipWhy {
                name,
                member: false,
                undetermined: false,
                reason: format!(
                    "listed as a static member, but without an account (lifecycle `{}`) an identity is a member of nothing",
                    lifecycle_word(identity)
                ),
                conditions: Vec::new(),
                at: Some(place(
                    loaded,
                    Loc {
                        file: file.id,
                        span: entry.span,
                    },
                )),
            });
        }
    }
    memberships.sort_by(|a, b| a.name.cmp(&b.name));

    let lifecycle_reason = lifecycle_reason(loaded, identity, now);
    let mut accounts = Vec::new();
    for file in &loaded.files {
        for (t, target) in &file.policy.targets {
            let switch_off = || {
                target.value.mappings.keys().find_map(|m| {
                    let enables =
                        super::enabled::switch_attribute(target.value.kind.value, &m.value)?;
                    let v = identity.accounts.get(&t.value)?.attributes.get(&m.value)?;
                    let is = |w: &str| {
                        v.as_text()
                            .is_some_and(|x| x.trim().eq_ignore_ascii_case(w))
                    };
                    ((enables && is("false")) || (!enables && is("true")))
                        .then(|| format!("`{}` = {}", m.value, v.to_json()))
                })
            };
            let why = match identity.accounts.get(&t.value) {
                Some(a) if a.state == super::AccountState::Held => format!(
                    "held: lifecycle unknown ({lifecycle_reason}); an existing account is kept exactly as it is, none is created or enabled"
                ),
                Some(a) if a.enabled => "an enabled account: in scope and active".to_string(),
                Some(_) if identity.lifecycle.enabled() => format!(
                    "a disabled account: in scope and active, disabled by its mapping {}",
                    switch_off().unwrap_or_default()
                ),
                Some(_) => format!(
                    "a disabled account: in scope, lifecycle `{}`",
                    lifecycle_word(identity)
                ),
                None if !identity.lifecycle.has_account() => {
                    format!("no account: lifecycle `{}`", lifecycle_word(identity))
                }
                None if identity
                    .undetermined
                    .iter()
                    .any(|u| u.of == format!("account:{}", t.value)) =>
                {
                    let reason = identity
                        .undetermined
                        .iter()
                        .find(|u| u.of == format!("account:{}", t.value))
                        .map_or("", |u| u.reason.as_str());
                    format!("no account, undetermined: {reason}")
                }
                None => scope_reason(loaded, &t.value, &target.value),
            };
            accounts.push((t.value.clone(), why));
        }
    }
    Some(Explanation {
        key: identity.key.clone(),
        lifecycle: lifecycle_word(identity),
        lifecycle_reason,
        records: identity
            .sources
            .iter()
            .map(|s| (s.source.clone(), s.key.clone(), s.row))
            .collect(),
        attributes,
        memberships,
        accounts,
        display_names: state.display_names.clone(),
        conflicts: state
            .conflicts
            .iter()
            .filter(|c| c.identity == identity.key)
            .cloned()
            .collect(),
    })
}

/// Why the identity is in its lifecycle state: the same decision evaluation made, for this
/// identity.
fn lifecycle_reason(
    loaded: &Loaded,
    identity: &IdentityState,
    now: chrono::NaiveDateTime,
) -> String {
    use super::lifecycle::{DateCell, Rules};
    let rules = Rules::new(
        loaded
            .files
            .iter()
            .find_map(|f| f.policy.identity.as_ref())
            .map(|i| &i.value),
    );
    let value = |name: Option<&str>| {
        name.and_then(|n| identity.attributes.get(n))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let hire = DateCell::read(&value(Some(&rules.hire_date)));
    let leave = DateCell::read(&value(rules.leave_date.as_deref()));
    let status = rules.status_cell(&value(rules.status.as_ref().map(|(a, _)| a.as_str())));
    rules.decide(&hire, &leave, &status, now).1.describe()
}

/// Why an identity with an account is not in a target's scope.
fn scope_reason(loaded: &Loaded, name: &str, target: &crate::policy::raw::Target) -> String {
    use crate::policy::raw::{Resource, SyncMode};
    let scope = target.scope.as_ref().map(|s| &s.value);
    if scope
        .and_then(|s| s.sync.as_ref())
        .is_some_and(|s| s.value == SyncMode::All)
    {
        return "no account: filtered out by the target's scoping filters".into();
    }
    let listed = scope.is_some_and(|s| !s.groups.is_empty() || !s.access_packages.is_empty());
    let granted = loaded
        .files
        .iter()
        .flat_map(|f| f.policy.access_packages.values())
        .flat_map(|p| p.value.resources.iter())
        .any(|r| matches!(&r.value, Resource::AppRole(a) if a.target.value == name));
    if !listed && !granted {
        return "no account: the target takes only assigned identities and nothing assigns any (see lint `L035`)".into();
    }
    "no account: not assigned (not in its groups or access packages, no access package granting one of its app roles), or filtered out by its scoping filters".into()
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

/// The human form. Every name, value, rule, reason and path is clipped and terminal-safe
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
    // A sentence that may quote user text in backticks.
    fn m(text: &str) -> String {
        terminal(&clip_message(text)).into_owned()
    }
    fn at(p: Option<&Place>) -> String {
        p.map_or_else(String::new, |p| format!("  [{}:{}]", t(&p.file), p.line))
    }
    let display = |key: &str| {
        e.display_names
            .get(key)
            .map_or_else(String::new, |d| format!(" — {}", t(d)))
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "identity {} ({}: {})",
        t(&e.key),
        e.lifecycle,
        m(&e.lifecycle_reason)
    );
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
    for membership in &e.memberships {
        let mark = if membership.member { "+" } else { "-" };
        let _ = writeln!(
            out,
            "  {mark} {}{}: {}{}",
            t(&membership.name),
            display(&membership.name),
            m(&membership.reason),
            at(membership.at.as_ref())
        );
        for (cond, result) in &membership.conditions {
            let _ = writeln!(
                out,
                "      {} {}",
                match result {
                    Some(true) => "true: ",
                    Some(false) => "false:",
                    None => "undecided:",
                },
                t(cond)
            );
        }
    }
    let _ = writeln!(out, "\naccounts:");
    for (target, why) in &e.accounts {
        let _ = writeln!(
            out,
            "  {}{}: {}",
            t(target),
            display(&format!("target:{target}")),
            m(why)
        );
    }
    if !e.conflicts.is_empty() {
        let _ = writeln!(out, "\nseparation of duties:");
        for c in &e.conflicts {
            let sev = match c.severity {
                crate::diagnostics::Severity::Error => "error",
                crate::diagnostics::Severity::Warning => "warning",
            };
            let _ = writeln!(
                out,
                "  {sev}: holds {} `{}` and {} `{}`, declared incompatible  [{}:{}]",
                c.first.kind.replace('_', " "),
                t(&c.first.name),
                c.second.kind.replace('_', " "),
                t(&c.second.name),
                t(&c.declared_at.file),
                c.declared_at.line
            );
        }
    }
    out
}
