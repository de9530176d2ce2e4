//! `roster explain`: why one person has or lacks each attribute value, group, access package
//! and account. Every reason names the policy object that decided it and where it is written
//! (file and line): the rule (and the conditions that decided it), the static member entry, the
//! access package's resource entry, the target's scope entry and filter clauses, the lifecycle
//! settings and dates, the mapping of each attribute.
//!
//! [`focus`] finds the person and evaluates only what their outcome depends on;
//! [`explain`] builds the [`Explanation`] from that state; [`human`] renders it, concise by
//! default (what the person has, the rules they narrowly miss, accounts), everything with
//! [`View::All`], or one topic.

pub mod focus;

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Serialize;

use super::{DesiredState, IdentityState};
use crate::diagnostics::{FileId, Sources as _, Span};
use crate::escape::{VALUE_CHARS, clip, clip_message, json_compact, terminal};
use crate::policy::Policy;
use crate::policy::compile::{Loc, MappingDef, MappingKind, ProgramKind};
use crate::policy::graph::NodeId;
use crate::policy::load::Loaded;
use crate::policy::raw;
use crate::rule::RuleContext;
use crate::rule::eval::Trace;
use crate::value::Value;

pub use focus::{Evaluated, FoundBy};

/// A place in a policy file, for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Place {
    /// The policy file.
    pub file: String,
    /// The line, from 1.
    pub line: usize,
}

/// A record the identity was built from.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Record {
    /// The source.
    pub source: String,
    /// The record's key in that source.
    pub key: String,
    /// The data file.
    pub file: String,
    /// The row in the file (the header is row 1 of a CSV file).
    pub row: usize,
}

/// One input a mapping read, with its value for this identity.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Input {
    /// `source:SOURCE.FIELD` or `attribute:NAME`.
    pub name: String,
    /// Its value.
    pub value: serde_json::Value,
}

/// The mapping that made a value.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Mapping {
    /// `direct`, `constant` or `expression`.
    pub kind: &'static str,
    /// The source field or attribute copied, the constant, or the expression's text.
    pub from: String,
    /// Where the mapping is written.
    pub at: Option<Place>,
    /// The value used when the mapping gives NULL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// What an expression read, with the values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<Input>,
}

/// An attribute's value and how it was made.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AttributeWhy {
    /// The attribute.
    pub name: String,
    /// Its value (`null`: none).
    pub value: serde_json::Value,
    /// The mapping that made it.
    pub mapping: Mapping,
}

/// A date or status the lifecycle was decided from.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LifecycleInput {
    /// The identity attribute.
    pub attribute: String,
    /// Its value.
    pub value: serde_json::Value,
}

/// The lifecycle state and the dates, status and windows that gave it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LifecycleWhy {
    /// `not_yet_hired`, `pre_hire`, `active`, `leaver`, `deleted` or `unknown`.
    pub state: String,
    /// Why, in words: the dates and windows that decided it.
    pub reason: String,
    /// The hire date attribute and value (absent without lifecycle settings).
    pub hire_date: Option<LifecycleInput>,
    /// The leave date attribute and value, when configured.
    pub leave_date: Option<LifecycleInput>,
    /// The status attribute and value, when configured.
    pub status: Option<LifecycleInput>,
    /// Days before the hire date that the account exists, disabled.
    pub prehire_days: u32,
    /// Days after the leave date that the account is kept, disabled.
    pub retention_days: u32,
    /// Where the lifecycle settings are written.
    pub at: Option<Place>,
}

/// What granted a group, a package or an account, and where it is written.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Grant {
    /// `rule` (a group's membership rule), `auto_assignment` (a package's rule),
    /// `static_member` (an entry of a group's `members`), `access_package` (a package whose
    /// resources include the group), `sync_all` (a target's `sync: all`), `scope_group` and
    /// `scope_package` (an entry of a target's scope), `app_role` (a package that grants one of
    /// the target's roles), `assignment` (a record kept in git, by name), `event` (a lifecycle
    /// workflow task).
    pub by: &'static str,
    /// The group or package it goes through, for the scope and package kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where it is written.
    pub at: Option<Place>,
    /// For a workflow run's effect (`event`, `workflow`) that a change-triggered run made:
    /// the run's day, with `(carried from the previous state)` once it is carried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
}

/// A condition of a rule and its result for the identity.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Condition {
    /// The condition as written.
    pub text: String,
    /// `true`, `false`, or `null` when it cannot be decided.
    pub result: Option<bool>,
    /// The property it reads, when it reads one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// The identity's value of that property.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
}

/// A membership or auto-assignment rule and how it decided for the identity.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RuleWhy {
    /// The rule's text.
    pub text: String,
    /// Where it is written.
    pub at: Place,
    /// Its result (`null`: it cannot be decided).
    pub result: Option<bool>,
    /// The conditions that decided the result.
    pub deciding: Vec<Condition>,
    /// When the rule does not match only because of one condition (and it has others, all
    /// satisfied): that condition. Such a rule is *narrowly missed*.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub narrowly_missed_on: Option<Condition>,
}

/// Why the identity is or is not in a group, or assigned an access package.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MembershipWhy {
    /// The group or package.
    pub name: String,
    /// Its display name, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Whether the identity has it.
    pub member: bool,
    /// Whether it could not be decided (then the identity does not have it).
    pub undetermined: bool,
    /// The reason, in words.
    pub reason: String,
    /// What grants it (empty when not a member).
    pub granted_by: Vec<Grant>,
    /// The rule, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleWhy>,
}

/// One clause of a scoping filter and its result for the identity.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ClauseWhy {
    /// The attribute it tests.
    pub attribute: String,
    /// The operator, as written.
    pub operator: String,
    /// The value it compares with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared_with: Option<String>,
    /// The identity's value.
    pub value: serde_json::Value,
    /// `true`, `false`, or `null` when it cannot be decided.
    pub result: Option<bool>,
    /// Where the clause is written.
    pub at: Place,
}

/// One scoping filter (its clauses must all pass; one passing filter is enough).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FilterWhy {
    /// Whether every clause passes (`null`: one cannot be decided).
    pub passes: Option<bool>,
    /// Where the filter is written.
    pub at: Place,
    /// The clauses.
    pub clauses: Vec<ClauseWhy>,
}

/// The identity's account in one target, and why.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AccountWhy {
    /// The target.
    pub target: String,
    /// Its display name, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `enabled`, `disabled`, `held`, `undetermined` or `none`.
    pub state: &'static str,
    /// The reason, in words.
    pub reason: String,
    /// What assigns the identity to the target (empty: nothing does).
    pub assigned_by: Vec<Grant>,
    /// The scoping filters, with each clause's result (empty: the target has none).
    pub filters: Vec<FilterWhy>,
    /// The account's attributes and their mappings (empty without an account).
    pub attributes: Vec<AttributeWhy>,
}

/// A data problem at one of the identity's records.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Problem {
    /// The diagnostic code.
    pub code: String,
    /// `error` or `warning`.
    pub severity: String,
    /// The data file.
    pub file: String,
    /// The row.
    pub row: Option<usize>,
    /// The field.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// Everything about one identity. Sections left out by `--only` are absent.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Explanation {
    /// The identity key.
    pub key: String,
    /// How the query found the identity.
    pub found_by: FoundBy,
    /// The date explained (`YYYY-MM-DD`).
    pub as_of: String,
    /// What was evaluated to explain it.
    pub evaluated: Evaluated,
    /// The lifecycle state and why.
    pub lifecycle: LifecycleWhy,
    /// The HR records it was built from.
    pub records: Vec<Record>,
    /// Identity attributes, in declaration order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Vec<AttributeWhy>>,
    /// Every group, held or not, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<MembershipWhy>>,
    /// Every access package, assigned or not, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_packages: Option<Vec<MembershipWhy>>,
    /// Every target, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Vec<AccountWhy>>,
    /// Separation-of-duties conflicts of this identity.
    pub conflicts: Vec<super::report::Conflict>,
    /// Access reviews: the decisions recorded about it up to the as-of date, and the
    /// instances open on that date that still wait for one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reviews: Vec<crate::governance::reviews::ReviewNote>,
    /// Data problems at its records.
    pub problems: Vec<Problem>,
    /// The workflow runs due on the as-of date: tasks in execution order, what fails, the
    /// e-mails as their recipients will read them (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub workflow_runs: Vec<crate::governance::Event>,
    /// The other events of the as-of date about it, in report order: lifecycle transitions,
    /// assignment starts, reminders and expiries, the end of a grace period (`grace_end`), a
    /// return to a group after a review's removal (`relisted`), review starts and ends (absent
    /// when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<crate::governance::Event>,
}

/// What to show.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum View {
    /// What the person has, the rules they narrowly miss, accounts.
    #[default]
    Concise,
    /// Everything.
    All,
    /// Groups only.
    Groups,
    /// Access packages only.
    Packages,
    /// Accounts only (with filters and target attributes).
    Accounts,
    /// Identity attributes only.
    Attributes,
    /// One identity attribute, or one target attribute (`TARGET.ATTRIBUTE`).
    Attribute(String),
}

impl View {
    /// The view for `--only TOPIC`: a topic, or an attribute name; `Err` with the nearest
    /// topic or attribute when it is neither.
    pub fn only(topic: &str, policy: &Policy) -> Result<View, Option<String>> {
        let topics = ["groups", "packages", "accounts", "attributes"];
        match topic {
            "groups" => return Ok(View::Groups),
            "packages" | "access_packages" => return Ok(View::Packages),
            "accounts" => return Ok(View::Accounts),
            "attributes" => return Ok(View::Attributes),
            _ => {}
        }
        let is_target_attribute = |t: &str| {
            policy
                .mappings
                .keys()
                .any(|n| matches!(n, NodeId::TargetAttribute(tt, a) if format!("{tt}.{a}") == t))
        };
        if policy.attributes.contains_key(topic) || is_target_attribute(topic) {
            return Ok(View::Attribute(topic.to_string()));
        }
        let names: Vec<String> = topics
            .iter()
            .map(|t| (*t).to_string())
            .chain(policy.attributes.keys().cloned())
            .collect();
        Err(
            crate::diagnostics::did_you_mean(topic, names.iter().map(String::as_str))
                .map(str::to_string),
        )
    }
}

fn place(loaded: &Loaded, file: FileId, span: Span) -> Place {
    let src = loaded.sources.source(file);
    Place {
        file: src.name.to_string(),
        line: src.line_col(span.start).line,
    }
}

fn place_of(loaded: &Loaded, at: Loc) -> Place {
    place(loaded, at.file, at.span)
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

fn lifecycle_word(identity: &IdentityState) -> String {
    identity.lifecycle.word().to_string()
}

/// Explains the person at `index` of `state` (evaluated by [`focus::focus`], or a full
/// evaluation). `None` when there is nobody at `index`.
pub fn explain(
    loaded: &Loaded,
    policy: &Policy,
    state: &DesiredState,
    index: usize,
    found_by: FoundBy,
    evaluated: Evaluated,
    view: &View,
) -> Option<Explanation> {
    let identity = &state.identities.get(index)?;
    let ids = &state.identities;
    let datasets = ids.datasets();
    let person = ids.people.get(index)?;
    let records: Vec<Record> = person
        .records
        .iter()
        .filter_map(|&(d, r)| {
            let data = datasets.get(d)?;
            (r < data.len()).then(|| Record {
                source: data.source.clone(),
                key: data.key(r).to_string(),
                file: data.file.clone(),
                row: data.row(r),
            })
        })
        .collect();
    let source_value = |source: &str, field: &str| -> serde_json::Value {
        person
            .records
            .iter()
            .find_map(|&(d, r)| {
                let data = datasets.get(d).filter(|data| data.source == source)?;
                Some(data.value(r, data.field_index(field)?).to_json())
            })
            .unwrap_or(serde_json::Value::Null)
    };
    let now = state.as_of.and_hms_opt(0, 0, 0).unwrap_or_default();
    let input_value = |n: &NodeId| match n {
        NodeId::Attribute(a) => identity
            .attributes
            .get(a)
            .map_or(serde_json::Value::Null, Value::to_json),
        NodeId::SourceField(s, f) => source_value(s, f),
        _ => serde_json::Value::Null,
    };
    let mapping_why = |mapping: &MappingDef, entry: Option<Place>| -> Mapping {
        let (kind, from, at, inputs) = match &mapping.kind {
            MappingKind::Direct(node) => (
                "direct",
                node.to_string(),
                entry,
                vec![Input {
                    name: node.to_string(),
                    value: input_value(node),
                }],
            ),
            MappingKind::Constant(c) => ("constant", c.clone(), entry, Vec::new()),
            MappingKind::Expression { program, slots } => {
                let def = policy.programs.get(*program);
                let mut inputs: Vec<Input> = Vec::new();
                for n in slots.iter().flatten() {
                    let name = n.to_string();
                    if !inputs.iter().any(|i| i.name == name) {
                        inputs.push(Input {
                            name,
                            value: input_value(n),
                        });
                    }
                }
                (
                    "expression",
                    def.map(|d| d.text.split_whitespace().collect::<Vec<_>>().join(" "))
                        .unwrap_or_default(),
                    def.map(|d| place_of(loaded, d.loc)).or(entry),
                    inputs,
                )
            }
        };
        Mapping {
            kind,
            from,
            at,
            default: mapping.default.clone(),
            inputs,
        }
    };
    let raw_identity = loaded
        .files
        .iter()
        .find_map(|f| f.policy.identity.as_ref().map(|i| (f.id, i)));

    // Identity attributes.
    let mut attributes = Vec::new();
    for (name, value) in &identity.attributes {
        let Some(mapping) = policy.mappings.get(&NodeId::Attribute(name.clone())) else {
            continue;
        };
        let entry = raw_identity.and_then(|(file, i)| {
            i.value
                .attributes
                .keys()
                .find(|k| k.value == *name)
                .map(|k| place(loaded, file, k.span))
        });
        attributes.push(AttributeWhy {
            name: name.clone(),
            value: value.to_json(),
            mapping: mapping_why(mapping, entry),
        });
    }

    // Groups and packages.
    let eligible = identity.lifecycle.has_account() && !identity.ignored;
    let members = ids.groups();
    let ctx = RuleContext { now };
    let display =
        |kind: &str, name: &str| state.display_names.get(&format!("{kind}:{name}")).cloned();
    let rules: std::collections::HashMap<
        &NodeId,
        (
            &crate::policy::compile::ProgramDef,
            &crate::rule::RuleProgram,
        ),
    > = policy
        .programs
        .iter()
        .filter_map(|d| match &d.kind {
            ProgramKind::Rule { node, program } => Some((node, (d, program.as_ref()))),
            ProgramKind::Expression { .. } => None,
        })
        .collect();
    let rule_why = |node: &NodeId| -> Option<RuleWhy> {
        let (def, program) = rules.get(node)?;
        let values = rule_values(program, index, identity, members);
        let trace = program.explain(&values, &ctx);
        let condition = |t: &Trace| {
            let property = if t.children.is_empty() && t.kind != "direct reports" {
                super::access::failing_property(program, t.span).map(str::to_string)
            } else {
                None
            };
            let value = property.as_ref().map(|p| {
                identity
                    .attributes
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(p))
                    .map_or(serde_json::Value::Null, |(_, v)| v.to_json())
            });
            Condition {
                text: text_of(&def.text, t.span),
                result: t.result,
                property,
                value,
            }
        };
        let narrowly = narrowly_missed(&trace).map(condition);
        Some(RuleWhy {
            text: def.text.split_whitespace().collect::<Vec<_>>().join(" "),
            at: place_of(loaded, def.loc),
            result: trace.result,
            deciding: trace.deciding().into_iter().map(condition).collect(),
            narrowly_missed_on: narrowly,
        })
    };
    let undetermined_of = |of: &str| identity.undetermined.iter().find(|u| u.of == of);
    let mut packages = Vec::new();
    let kept = crate::governance::assignments::records(loaded);
    for (f, pname, pkg) in loaded
        .files
        .iter()
        .flat_map(|f| f.policy.access_packages.iter().map(move |(n, p)| (f, n, p)))
    {
        let name = &pname.value;
        let member = identity.access_packages.contains(name);
        let node = NodeId::Package(name.clone());
        let rule = rule_why(&node);
        let undetermined = undetermined_of(&format!("access_package:{name}"));
        // Undetermined through something else (a group it reads): the conditions as
        // evaluated here would show a decided result, so they are left out.
        let rule = rule.map(|mut r| {
            if undetermined.is_some() && r.result.is_some() {
                r.deciding.clear();
                r.narrowly_missed_on = None;
            }
            r
        });
        let mut granted_by = Vec::new();
        // Where it comes from, when an event grants it (a record kept in git, a task).
        let origins = identity.access_package_origins.get(name);
        let by_rule = origins.is_none_or(|o| o.iter().any(|x| x == "auto_assignment"));
        if member
            && by_rule
            && let Some(r) = &rule
        {
            granted_by.push(Grant {
                by: "auto_assignment",
                name: None,
                at: Some(r.at.clone()),
                run: None,
            });
        }
        let mut from_records = Vec::new();
        for origin in origins.into_iter().flatten() {
            if let Some(id) = origin.strip_prefix("assignment:") {
                let at = kept
                    .iter()
                    .find(|r| r.id == id)
                    .map(|r| place(loaded, r.file, r.span));
                if let Some(r) = kept.iter().find(|r| r.id == id) {
                    from_records.push(format!(
                        "assignment `{id}` (requested and approved in git; from {} {})",
                        r.start.format("%Y-%m-%d %H:%M UTC"),
                        r.stop().map_or_else(
                            || "without an end".to_string(),
                            |e| format!("until {}", e.format("%Y-%m-%d %H:%M UTC"))
                        )
                    ));
                }
                granted_by.push(Grant {
                    by: "assignment",
                    name: Some(id.to_string()),
                    at,
                    run: None,
                });
            } else if origin == "event" {
                let carried = carried_effect(identity, Carried::Package, name, true);
                from_records.push(carried.as_ref().map_or_else(
                    || "a lifecycle workflow task".to_string(),
                    |c| carried_words(c, state.as_of),
                ));
                granted_by.push(Grant {
                    by: "event",
                    name: carried.map(|c| c.workflow.clone()),
                    at: None,
                    run: carried.map(|c| run_day(c, state.as_of)),
                });
            }
        }
        let reason = if identity.lifecycle.held() {
            HELD.to_string()
        } else if let Some(u) = undetermined {
            format!("undetermined, so not assigned: {}", u.reason)
        } else if member && !from_records.is_empty() {
            format!(
                "{}assigned by {}",
                if by_rule {
                    "its auto-assignment rule matches, and "
                } else {
                    ""
                },
                from_records.join(" and ")
            )
        } else if member {
            "its auto-assignment rule matches".to_string()
        } else if let Some(c) = carried_effect(identity, Carried::Package, name, false)
            && eligible
        {
            format!(
                "its assignment was removed by {}",
                carried_words(c, state.as_of)
            )
        } else if !eligible && rule.is_some() {
            no_account(identity)
        } else if pkg.value.auto_assignment.is_none() {
            "no auto-assignment rule: assigned only on request, which evaluation does not model"
                .to_string()
        } else {
            match rule.as_ref().map(|r| r.result) {
                Some(None) => "its auto-assignment rule cannot be decided".to_string(),
                _ => "its auto-assignment rule does not match".to_string(),
            }
        };
        let _ = f;
        packages.push(MembershipWhy {
            name: name.clone(),
            display_name: display("package", name),
            member,
            undetermined: undetermined.is_some(),
            reason,
            granted_by,
            rule,
        });
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name));

    let mut groups = Vec::new();
    for (f, gname, group) in loaded
        .files
        .iter()
        .flat_map(|f| f.policy.groups.iter().map(move |(n, g)| (f, n, g)))
    {
        let name = &gname.value;
        let member = identity.groups.contains(name);
        let node = NodeId::Group(name.clone());
        let rule = rule_why(&node);
        let undetermined = undetermined_of(&format!("group:{name}"));
        // Undetermined through something else (a group it reads): the conditions as
        // evaluated here would show a decided result, so they are left out.
        let rule = rule.map(|mut r| {
            if undetermined.is_some() && r.result.is_some() {
                r.deciding.clear();
                r.narrowly_missed_on = None;
            }
            r
        });
        let listed = group
            .value
            .members
            .iter()
            .flatten()
            .find(|m| m.value == identity.key)
            .map(|m| place(loaded, f.id, m.span));
        // `relisted`: listed again from a day after an access review removed the member.
        let relisted = listed.as_ref().and_then(|_| {
            group
                .value
                .relisted
                .iter()
                .find(|(k, _)| k.value == identity.key)
                .map(|(_, d)| d.value.clone())
        });
        let as_of = state.as_of.format("%Y-%m-%d").to_string();
        let mut granted_by = Vec::new();
        if member {
            if let Some(r) = rule.as_ref().filter(|r| r.result == Some(true)) {
                granted_by.push(Grant {
                    by: "rule",
                    name: None,
                    at: Some(r.at.clone()),
                    run: None,
                });
            }
            if let Some(at) = &listed {
                granted_by.push(Grant {
                    by: "static_member",
                    name: None,
                    at: Some(at.clone()),
                    run: None,
                });
            }
            if let Some(c) = carried_effect(identity, Carried::Group, name, true) {
                granted_by.push(Grant {
                    by: "workflow",
                    name: Some(c.workflow.clone()),
                    at: None,
                    run: Some(run_day(c, state.as_of)),
                });
            }
            for (pf, pname, pkg) in loaded
                .files
                .iter()
                .flat_map(|f| f.policy.access_packages.iter().map(move |(n, p)| (f, n, p)))
            {
                if !identity.access_packages.contains(&pname.value) {
                    continue;
                }
                for r in &pkg.value.resources {
                    if let raw::Resource::Group(g) = &r.value
                        && g.value == *name
                    {
                        granted_by.push(Grant {
                            by: "access_package",
                            name: Some(pname.value.clone()),
                            at: Some(place(loaded, pf.id, g.span)),
                            run: None,
                        });
                    }
                }
            }
        }
        let reason = if identity.lifecycle.held() {
            HELD.to_string()
        } else if let Some(u) = undetermined {
            format!("undetermined, so not granted: {}", u.reason)
        } else if member {
            granted_by
                .iter()
                .map(|g| match (g.by, &g.name) {
                    ("rule", _) => "its rule matches".to_string(),
                    ("static_member", _) => match &relisted {
                        // Dates are `YYYY-MM-DD`: their text order is their order.
                        Some(d) if *d <= as_of => format!(
                            "listed as a static member, listed again on {d} (`relisted`) after an access review's removal"
                        ),
                        _ => "listed as a static member".to_string(),
                    },
                    ("workflow", _) => carried_effect(identity, Carried::Group, name, true)
                        .map(|c| format!("added by {}", carried_words(c, state.as_of)))
                        .unwrap_or_default(),
                    (_, Some(p)) => format!("granted by access package `{p}`"),
                    _ => String::new(),
                })
                .collect::<Vec<_>>()
                .join("; ")
        } else if !eligible && (listed.is_some() || rule.is_some()) {
            match listed {
                Some(_) => format!("listed as a static member, but {}", no_account(identity)),
                None => no_account(identity),
            }
        } else if listed.is_some() && rule.is_none() {
            // Listed, eligible, and still not a member: an event took the membership back.
            let mut why = match carried_effect(identity, Carried::Group, name, false) {
                Some(c) => format!(
                    "listed as a static member, but removed by {}",
                    carried_words(c, state.as_of)
                ),
                None => "listed as a static member, but removed by an event up to the as-of date (an access review's denial, a workflow task)".to_string(),
            };
            if let Some(d) = relisted.as_ref().filter(|d| **d > as_of) {
                why.push_str(&format!("; listed again from {d} (`relisted`)"));
            }
            why
        } else {
            match rule.as_ref().map(|r| r.result) {
                Some(Some(false)) => "its rule does not match".to_string(),
                Some(None) => "its rule cannot be decided".to_string(),
                _ => {
                    "no rule, no static entry and no assigned access package grants it".to_string()
                }
            }
        };
        groups.push(MembershipWhy {
            name: name.clone(),
            display_name: display("group", name),
            member,
            undetermined: undetermined.is_some(),
            reason,
            granted_by,
            rule,
        });
    }
    groups.sort_by(|a, b| a.name.cmp(&b.name));

    // Accounts.
    let lifecycle = lifecycle_why(loaded, identity, now);
    let mut accounts = Vec::new();
    for file in &loaded.files {
        for (t, target) in &file.policy.targets {
            accounts.push(account_why(
                loaded,
                policy,
                file.id,
                &t.value,
                &target.value,
                identity,
                &lifecycle.reason,
                &mapping_why,
                display("target", &t.value),
                state.as_of,
            ));
        }
    }
    accounts.sort_by(|a, b| a.target.cmp(&b.target));

    // Data problems at the person's records.
    let at_records = |file: &str, row: Option<usize>| {
        records.iter().any(|r| r.file == file && row == Some(r.row))
    };
    let problems: Vec<Problem> = state
        .issues
        .iter()
        .filter(|i| at_records(&i.file, i.row))
        .map(|i| Problem {
            code: i.code.as_str().to_string(),
            severity: match i.severity {
                crate::diagnostics::Severity::Error => "error".into(),
                crate::diagnostics::Severity::Warning => "warning".into(),
            },
            file: i.file.clone(),
            row: i.row,
            field: i.field.clone(),
            message: i.message.clone(),
        })
        .collect();

    // The selection.
    let (mut attributes, mut groups, mut packages, mut accounts) = (
        Some(attributes),
        Some(groups),
        Some(packages),
        Some(accounts),
    );
    match view {
        View::Concise | View::All => {}
        View::Groups => (attributes, packages, accounts) = (None, None, None),
        View::Packages => (attributes, groups, accounts) = (None, None, None),
        View::Accounts => (attributes, groups, packages) = (None, None, None),
        View::Attributes => (groups, packages, accounts) = (None, None, None),
        View::Attribute(name) => {
            (groups, packages) = (None, None);
            if let Some(a) = attributes.as_mut() {
                a.retain(|a| a.name == *name);
            }
            if let Some(accounts) = accounts.as_mut() {
                for acc in accounts.iter_mut() {
                    acc.attributes
                        .retain(|a| format!("{}.{}", acc.target, a.name) == *name);
                }
                accounts.retain(|a| !a.attributes.is_empty());
            }
            if accounts.as_ref().is_some_and(Vec::is_empty) {
                accounts = None;
            }
        }
    }
    Some(Explanation {
        key: identity.key.clone(),
        found_by,
        as_of: state.as_of.format("%Y-%m-%d").to_string(),
        evaluated,
        lifecycle,
        records,
        attributes,
        groups,
        access_packages: packages,
        accounts,
        conflicts: state
            .conflicts
            .iter()
            .filter(|c| c.identity == identity.key)
            .cloned()
            .collect(),
        reviews: crate::governance::reviews::for_identity(
            &crate::governance::View::of(loaded, policy, state),
            index,
        ),
        problems,
        workflow_runs: identity.tasks_due.clone(),
        events: state
            .due
            .iter()
            .filter(|e| {
                e.kind != crate::governance::EventKind::WorkflowRun
                    && matches!(&e.subject, crate::governance::Subject::Identity(k) if *k == identity.key)
            })
            .cloned()
            .collect(),
    })
}

/// Explains identity `key` of a fully evaluated state, everything shown (for tests and
/// library users that already hold the state).
pub fn explain_key(
    loaded: &Loaded,
    policy: &Policy,
    state: &DesiredState,
    key: &str,
) -> Option<Explanation> {
    let index = state.identities.position(key)?;
    let n = state.identities.len();
    explain(
        loaded,
        policy,
        state,
        index,
        FoundBy {
            attribute: "key".into(),
            value: key.to_string(),
        },
        Evaluated {
            identities: n,
            population: n,
            scope: "everyone",
        },
        &View::All,
    )
}

const HELD: &str = "lifecycle unknown: no new access; a membership held now is kept as it is";

fn no_account(identity: &IdentityState) -> String {
    if identity.ignored {
        "a mapping returned `IgnoreObjectFlow`: the identity is out of scope, a member of nothing"
            .to_string()
    } else {
        format!(
            "without an account (lifecycle `{}`) an identity is a member of nothing",
            lifecycle_word(identity)
        )
    }
}

/// The one leaf condition whose other result would make the rule match, when the rule has
/// at least two conditions and exactly that one decided the miss.
fn narrowly_missed(trace: &Trace) -> Option<&Trace> {
    if trace.result != Some(false) || leaves(trace) < 2 {
        return None;
    }
    let deciding = trace.deciding();
    let [only] = deciding.as_slice() else {
        return None;
    };
    (only.result.is_some() && flipped(trace, only) == Some(true)).then_some(*only)
}

fn is_leaf(t: &Trace) -> bool {
    t.children.is_empty() || t.kind == "any" || t.kind == "all"
}

fn leaves(t: &Trace) -> usize {
    if is_leaf(t) {
        1
    } else {
        t.children.iter().map(leaves).sum()
    }
}

/// The rule's result if `leaf` had the other result (Kleene logic, as evaluation).
fn flipped(t: &Trace, leaf: &Trace) -> Option<bool> {
    if std::ptr::eq(t, leaf) {
        return t.result.map(|r| !r);
    }
    if is_leaf(t) {
        return t.result;
    }
    let results: Vec<Option<bool>> = t.children.iter().map(|c| flipped(c, leaf)).collect();
    match t.kind {
        "and" => {
            if results.contains(&Some(false)) {
                Some(false)
            } else if results.contains(&None) {
                None
            } else {
                Some(true)
            }
        }
        "or" => {
            if results.contains(&Some(true)) {
                Some(true)
            } else if results.contains(&None) {
                None
            } else {
                Some(false)
            }
        }
        "not" => results.first().copied().flatten().map(|r| !r),
        _ => t.result,
    }
}

/// The lifecycle: the same decision evaluation made, with its inputs and settings.
fn lifecycle_why(
    loaded: &Loaded,
    identity: &IdentityState,
    now: chrono::NaiveDateTime,
) -> LifecycleWhy {
    use super::lifecycle::{DateCell, Rules};
    let raw = loaded
        .files
        .iter()
        .find_map(|f| f.policy.identity.as_ref().map(|i| (f.id, i)));
    let rules = Rules::new(raw.map(|(_, i)| &i.value));
    let value = |name: Option<&str>| {
        name.and_then(|n| identity.attributes.get(n))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let hire = DateCell::read(&value(Some(&rules.hire_date)));
    let leave = DateCell::read(&value(rules.leave_date.as_deref()));
    let status_attr = rules.status.as_ref().map(|(a, _)| a.clone());
    let status = rules.status_cell(&value(status_attr.as_deref()));
    let reason = rules.decide(&hire, &leave, &status, now).1.describe();
    let input = |name: Option<&str>| {
        name.map(|n| LifecycleInput {
            attribute: n.to_string(),
            value: value(Some(n)).to_json(),
        })
    };
    let at = raw.and_then(|(file, i)| {
        i.value
            .lifecycle
            .as_ref()
            .map(|l| place(loaded, file, l.span))
    });
    LifecycleWhy {
        state: lifecycle_word(identity),
        reason,
        hire_date: if rules.configured {
            input(Some(&rules.hire_date))
        } else {
            None
        },
        leave_date: input(rules.leave_date.as_deref()),
        status: input(status_attr.as_deref()),
        prehire_days: rules.prehire_days,
        retention_days: rules.retention_days,
        at,
    }
}

/// A scoping-filter operator as written in a policy file (Entra's names).
fn operator_text(op: raw::ClauseOperator) -> String {
    use raw::ClauseOperator as Op;
    match op {
        Op::In => "&",
        Op::NotIn => "!&",
        Op::EndsWith => "ENDS_WITH",
        Op::Equals => "EQUALS",
        Op::NotEquals => "NOT EQUALS",
        Op::GreaterThan => "Greater_Than",
        Op::GreaterThanOrEquals => "Greater_Than_OR_EQUALS",
        Op::Includes => "Includes",
        Op::IsFalse => "IS FALSE",
        Op::IsTrue => "IS TRUE",
        Op::IsNull => "IS NULL",
        Op::IsNotNull => "IS NOT NULL",
        Op::RegexMatch => "REGEX MATCH",
        Op::NotRegexMatch => "NOT REGEX MATCH",
    }
    .to_string()
}

/// The identity's account in one target: its state, what assigns it, each filter clause, and
/// the account's attributes.
#[allow(clippy::too_many_arguments)]
fn account_why(
    loaded: &Loaded,
    policy: &Policy,
    file: FileId,
    name: &str,
    target: &raw::Target,
    identity: &IdentityState,
    lifecycle_reason: &str,
    mapping_why: &dyn Fn(&MappingDef, Option<Place>) -> Mapping,
    display_name: Option<String>,
    as_of: chrono::NaiveDate,
) -> AccountWhy {
    let scope = target.scope.as_ref();
    // What assigns the identity.
    let mut assigned_by = Vec::new();
    let mut could_assign = Vec::new();
    if let Some(s) = scope.and_then(|s| s.value.sync.as_ref())
        && s.value == raw::SyncMode::All
    {
        assigned_by.push(Grant {
            by: "sync_all",
            name: None,
            at: Some(place(loaded, file, s.span)),
            run: None,
        });
    } else {
        for g in scope.iter().flat_map(|s| &s.value.groups) {
            let grant = Grant {
                by: "scope_group",
                name: Some(g.value.clone()),
                at: Some(place(loaded, file, g.span)),
                run: None,
            };
            if identity.groups.contains(&g.value) {
                assigned_by.push(grant);
            } else {
                could_assign.push(grant);
            }
        }
        for p in scope.iter().flat_map(|s| &s.value.access_packages) {
            let grant = Grant {
                by: "scope_package",
                name: Some(p.value.clone()),
                at: Some(place(loaded, file, p.span)),
                run: None,
            };
            if identity.access_packages.contains(&p.value) {
                assigned_by.push(grant);
            } else {
                could_assign.push(grant);
            }
        }
        for f in &loaded.files {
            for (pname, pkg) in &f.policy.access_packages {
                for r in &pkg.value.resources {
                    if let raw::Resource::AppRole(role) = &r.value
                        && role.target.value == name
                    {
                        let grant = Grant {
                            by: "app_role",
                            name: Some(pname.value.clone()),
                            at: Some(place(loaded, f.id, r.span)),
                            run: None,
                        };
                        if identity.access_packages.contains(&pname.value) {
                            assigned_by.push(grant);
                        } else {
                            could_assign.push(grant);
                        }
                    }
                }
            }
        }
    }
    // The scoping filters, clause by clause, as evaluation decides them.
    let patterns = super::scope::Patterns::new(target);
    let mut filters = Vec::new();
    for (fi, f) in scope
        .iter()
        .flat_map(|s| s.value.filters.iter())
        .enumerate()
    {
        let mut clauses = Vec::new();
        for (ci, c) in f.value.iter().enumerate() {
            let value = identity.attributes.get(&c.value.attribute.value);
            let result = super::scope::clause(&c.value, value, patterns.0.get(&(fi, ci))).ok();
            clauses.push(ClauseWhy {
                attribute: c.value.attribute.value.clone(),
                operator: operator_text(c.value.operator.value),
                compared_with: c.value.value.as_ref().map(|v| v.value.clone()),
                value: value.map_or(serde_json::Value::Null, Value::to_json),
                result,
                at: place(loaded, file, c.span),
            });
        }
        let passes = if clauses.iter().any(|c| c.result == Some(false)) {
            Some(false)
        } else if clauses.iter().any(|c| c.result.is_none()) {
            None
        } else {
            Some(true)
        };
        filters.push(FilterWhy {
            passes,
            at: place(loaded, file, f.span),
            clauses,
        });
    }
    let filtered_out = !filters.is_empty() && !filters.iter().any(|f| f.passes == Some(true));
    let account = identity.accounts.get(name);
    let undetermined = identity
        .undetermined
        .iter()
        .find(|u| u.of == format!("account:{name}"));
    let list = |grants: &[Grant]| {
        grants
            .iter()
            .map(|g| match (g.by, &g.name) {
                ("sync_all", _) => "`sync: all`".to_string(),
                ("scope_group", Some(n)) => format!("group `{n}`"),
                ("scope_package", Some(n)) => format!("access package `{n}`"),
                ("app_role", Some(n)) => format!("access package `{n}` (app role)"),
                _ => String::new(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let failing = || {
        filters
            .iter()
            .flat_map(|f| f.clauses.iter())
            .find(|c| c.result == Some(false))
            .map(|c| {
                format!(
                    "`{} {}{}` is false for {}",
                    c.attribute,
                    c.operator,
                    c.compared_with
                        .as_ref()
                        .map_or_else(String::new, |v| format!(" {v}")),
                    json_compact(&c.value)
                )
            })
            .unwrap_or_default()
    };
    let (state, reason) = match account {
        Some(a) if a.state == super::AccountState::Held => (
            "held",
            format!(
                "lifecycle unknown ({lifecycle_reason}); an existing account is kept exactly as it is, none is created or enabled"
            ),
        ),
        Some(a) if a.enabled => (
            "enabled",
            format!("in scope (assigned by {}) and active", list(&assigned_by)),
        ),
        Some(a) => {
            let switch = target.mappings.keys().find_map(|m| {
                let enables = super::enabled::switch_attribute(target.kind.value, &m.value)?;
                let v = a.attributes.get(&m.value)?;
                let is = |w: &str| {
                    v.as_text()
                        .is_some_and(|x| x.trim().eq_ignore_ascii_case(w))
                };
                ((enables && is("false")) || (!enables && is("true")))
                    .then(|| format!("`{}` = {}", m.value, json_compact(&v.to_json())))
            });
            // A change-triggered run's disable (or delete, which disables), still in force.
            let carried = identity.carried_effects.iter().rev().find(|c| {
                c.what == crate::governance::carried::What::Account
                    && c.effect != crate::governance::carried::Outcome::Enabled
            });
            (
                "disabled",
                match (identity.lifecycle.enabled(), switch) {
                    (true, Some(s)) => format!("in scope and active, disabled by its mapping {s}"),
                    (true, None) if let Some(c) = carried => format!(
                        "in scope and active, disabled by {}",
                        carried_words(c, as_of)
                    ),
                    _ => format!(
                        "in scope, disabled in lifecycle `{}`",
                        lifecycle_word(identity)
                    ),
                },
            )
        }
        None if !identity.lifecycle.has_account() => (
            "none",
            format!("no account in lifecycle `{}`", lifecycle_word(identity)),
        ),
        None if identity.ignored => (
            "none",
            "a mapping returned `IgnoreObjectFlow`: out of scope".to_string(),
        ),
        None if undetermined.is_some() => (
            "undetermined",
            format!(
                "no account: {}",
                undetermined.map_or("", |u| u.reason.as_str())
            ),
        ),
        None if assigned_by.is_empty() && could_assign.is_empty() => (
            "none",
            "the target takes only assigned identities and nothing assigns any (see lint `L035`)"
                .to_string(),
        ),
        None if assigned_by.is_empty() => (
            "none",
            format!(
                "not assigned: only {} assign this target, and this identity has none of them",
                list(&could_assign)
            ),
        ),
        None if filtered_out => (
            "none",
            format!(
                "assigned by {}, but filtered out by the scoping filters: {}",
                list(&assigned_by),
                failing()
            ),
        ),
        None => ("none", "not in scope".to_string()),
    };
    let attributes = account
        .map(|a| {
            a.attributes
                .iter()
                .filter_map(|(aname, value)| {
                    let node = NodeId::TargetAttribute(name.to_string(), aname.clone());
                    let mapping = policy.mappings.get(&node)?;
                    let entry = target
                        .mappings
                        .keys()
                        .find(|k| k.value == *aname)
                        .map(|k| place(loaded, file, k.span));
                    Some(AttributeWhy {
                        name: aname.clone(),
                        value: value.to_json(),
                        mapping: mapping_why(mapping, entry),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    AccountWhy {
        target: name.to_string(),
        display_name,
        state,
        reason,
        assigned_by: if account.is_some() || filtered_out {
            assigned_by
        } else {
            Vec::new()
        },
        filters,
        attributes,
    }
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

/// At most this many narrowly missed rules in the concise form.
const MAX_NARROW: usize = 10;

/// The human form. Every name, value, rule, reason and path is clipped and terminal-safe
/// ([`crate::escape`]): one line each, no controls, no megabyte values.
pub fn human(e: &Explanation, view: &View) -> String {
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
    fn named(name: &str, display: Option<&String>) -> String {
        display.map_or_else(|| t(name), |d| format!("{} — {}", t(name), t(d)))
    }
    fn condition(c: &Condition) -> String {
        let result = match c.result {
            Some(true) => "true: ",
            Some(false) => "false:",
            None => "undecided:",
        };
        let value = match (&c.property, &c.value) {
            (Some(p), Some(val)) => format!("  ({} = {})", t(p), v(val)),
            _ => String::new(),
        };
        format!("{result} {}{value}", t(&c.text))
    }
    fn grants(g: &[Grant]) -> String {
        g.iter()
            .map(|g| {
                let what = match (g.by, &g.name) {
                    ("rule", _) => "its rule matches".to_string(),
                    ("auto_assignment", _) => "its auto-assignment rule matches".to_string(),
                    ("static_member", _) => "listed as a static member".to_string(),
                    ("access_package", Some(n)) => format!("granted by access package `{}`", t(n)),
                    ("sync_all", _) => "`sync: all`".to_string(),
                    ("scope_group", Some(n)) => format!("scope entry for group `{}`", t(n)),
                    ("scope_package", Some(n)) => {
                        format!("scope entry for access package `{}`", t(n))
                    }
                    ("app_role", Some(n)) => {
                        format!("app role granted by access package `{}`", t(n))
                    }
                    ("assignment", Some(n)) => {
                        format!(
                            "assigned by record `{}` (requested and approved in git)",
                            t(n)
                        )
                    }
                    ("event", Some(n)) => format!(
                        "assigned by workflow `{}`'s run on {}",
                        t(n),
                        t(g.run.as_deref().unwrap_or_default())
                    ),
                    ("event", _) => "assigned by a lifecycle workflow task".to_string(),
                    ("workflow", Some(n)) => format!(
                        "added by workflow `{}`'s run on {}",
                        t(n),
                        t(g.run.as_deref().unwrap_or_default())
                    ),
                    (other, _) => other.to_string(),
                };
                format!("{what}{}", at(g.at.as_ref()))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
    let full = !matches!(view, View::Concise);
    let mut out = String::new();
    let found = if e.found_by.attribute == "key" {
        String::new()
    } else {
        format!(
            " (found by {} = {})",
            t(&e.found_by.attribute),
            v(&serde_json::Value::String(e.found_by.value.clone()))
        )
    };
    let _ = writeln!(out, "identity {}{found}, as of {}", t(&e.key), e.as_of);
    let l = &e.lifecycle;
    let _ = writeln!(
        out,
        "lifecycle: {} — {}{}",
        l.state,
        m(&l.reason),
        at(l.at.as_ref())
    );
    let dates: Vec<String> = [&l.hire_date, &l.leave_date, &l.status]
        .into_iter()
        .flatten()
        .map(|i| format!("{} = {}", t(&i.attribute), v(&i.value)))
        .collect();
    if !dates.is_empty() {
        let _ = writeln!(
            out,
            "  {}; pre-hire {} days, retention {} days",
            dates.join(", "),
            l.prehire_days,
            l.retention_days
        );
    }
    for r in &e.records {
        let _ = writeln!(
            out,
            "  record {} `{}` ({} row {})",
            t(&r.source),
            t(&r.key),
            t(&r.file),
            r.row
        );
    }
    let attribute = |out: &mut String, a: &AttributeWhy, indent: &str| {
        let _ = writeln!(
            out,
            "{indent}{} = {}  <- {} {}{}",
            t(&a.name),
            v(&a.value),
            a.mapping.kind,
            t(&a.mapping.from),
            at(a.mapping.at.as_ref())
        );
        if a.mapping.kind == "expression" {
            for input in &a.mapping.inputs {
                let _ = writeln!(out, "{indent}    {} = {}", t(&input.name), v(&input.value));
            }
        }
        if let Some(d) = &a.mapping.default {
            let _ = writeln!(
                out,
                "{indent}    default {}",
                v(&serde_json::Value::String(d.clone()))
            );
        }
    };
    if let Some(attributes) = &e.attributes
        && full
    {
        let _ = writeln!(out, "\nattributes:");
        for a in attributes {
            attribute(&mut out, a, "  ");
        }
    }
    let memberships = |out: &mut String, title: &str, list: &[MembershipWhy]| {
        if list.is_empty() {
            return;
        }
        let held = list.iter().filter(|x| x.member).count();
        let _ = writeln!(out, "\n{title} ({held} of {}):", list.len());
        for x in list {
            let shown = full || x.member || x.undetermined;
            if !shown {
                continue;
            }
            let mark = if x.member {
                "+"
            } else if x.undetermined {
                "?"
            } else {
                "-"
            };
            // A member: each grant with its place; otherwise the reason and the rule's place.
            let why = if x.member && !x.granted_by.is_empty() {
                grants(&x.granted_by)
            } else {
                format!("{}{}", m(&x.reason), at(x.rule.as_ref().map(|r| &r.at)))
            };
            let _ = writeln!(
                out,
                "  {mark} {}: {why}",
                named(&x.name, x.display_name.as_ref()),
            );
            if (full || x.undetermined)
                && let Some(r) = &x.rule
            {
                for c in &r.deciding {
                    let _ = writeln!(out, "      {}", condition(c));
                }
            }
        }
    };
    if let Some(groups) = &e.groups {
        memberships(&mut out, "groups", groups);
    }
    if let Some(packages) = &e.access_packages {
        memberships(&mut out, "access packages", packages);
    }
    // The rules narrowly missed (concise form, and the group and package topics).
    if matches!(view, View::Concise | View::Groups | View::Packages) {
        let narrow: Vec<(&str, &MembershipWhy, &Condition, &RuleWhy)> = e
            .groups
            .iter()
            .flatten()
            .map(|g| ("group", g))
            .chain(e.access_packages.iter().flatten().map(|p| ("package", p)))
            .filter_map(|(kind, x)| {
                let r = x.rule.as_ref()?;
                let c = r.narrowly_missed_on.as_ref()?;
                (!x.member && !x.undetermined).then_some((kind, x, c, r))
            })
            .collect();
        if !narrow.is_empty() {
            let _ = writeln!(out, "\nnarrowly missed (every other condition holds):");
            let limit = if full { usize::MAX } else { MAX_NARROW };
            for (kind, x, c, r) in narrow.iter().take(limit) {
                let _ = writeln!(
                    out,
                    "  {kind} {}: {}  [{}:{}]",
                    t(&x.name),
                    condition(c),
                    t(&r.at.file),
                    r.at.line
                );
            }
            if narrow.len() > limit {
                let _ = writeln!(
                    out,
                    "  and {} more (`--only groups` or `--only packages` lists them all)",
                    narrow.len() - limit
                );
            }
        }
    }
    if let Some(accounts) = &e.accounts {
        let _ = writeln!(out, "\naccounts:");
        for a in accounts {
            let _ = writeln!(
                out,
                "  {}: {} — {}",
                named(&a.target, a.display_name.as_ref()),
                a.state,
                m(&a.reason)
            );
            if !a.assigned_by.is_empty() && (full || a.state == "none") {
                let _ = writeln!(out, "      assigned by {}", grants(&a.assigned_by));
            }
            if full || (a.state == "none" && !a.assigned_by.is_empty()) {
                for f in &a.filters {
                    let word = match f.passes {
                        Some(true) => "passes",
                        Some(false) => "fails",
                        None => "undecided",
                    };
                    let _ = writeln!(
                        out,
                        "      filter {word}  [{}:{}]",
                        t(&f.at.file),
                        f.at.line
                    );
                    for c in &f.clauses {
                        let _ = writeln!(
                            out,
                            "        {} {} {}{}: {}  [{}:{}]",
                            match c.result {
                                Some(true) => "true: ",
                                Some(false) => "false:",
                                None => "undecided:",
                            },
                            t(&c.attribute),
                            t(&c.operator),
                            c.compared_with
                                .as_ref()
                                .map_or_else(String::new, |w| format!(" {}", t(w))),
                            v(&c.value),
                            t(&c.at.file),
                            c.at.line
                        );
                    }
                }
            }
            if full {
                for attr in &a.attributes {
                    attribute(&mut out, attr, "      ");
                }
            }
        }
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
    if !e.reviews.is_empty() {
        let _ = writeln!(out, "\naccess reviews:");
        for r in &e.reviews {
            let by = match (&r.reviewer, &r.date) {
                (Some(who), Some(day)) => format!(" by `{}` on {day}", t(who)),
                _ => String::new(),
            };
            let why = r
                .justification
                .as_ref()
                .map_or_else(String::new, |j| format!(" ({})", m(j)));
            let stage = r.stage.map_or_else(String::new, |k| format!(", stage {k}"));
            let _ = writeln!(
                out,
                "  `{}` {} (ends {}{stage}): {}{by}{why}: {}  [{}:{}]",
                t(&r.review),
                r.instance,
                r.ends,
                r.status,
                m(&r.outcome),
                t(&r.at.file),
                r.at.line
            );
        }
    }
    if !e.problems.is_empty() {
        let _ = writeln!(out, "\ndata problems:");
        for p in &e.problems {
            let _ = writeln!(
                out,
                "  {}[{}]: {}  ({}{}{})",
                p.severity,
                p.code,
                m(&p.message),
                t(&p.file),
                p.row.map_or_else(String::new, |r| format!(" row {r}")),
                p.field
                    .as_ref()
                    .map_or_else(String::new, |f| format!(" field {}", t(f)))
            );
        }
    }
    if !e.workflow_runs.is_empty() {
        let _ = writeln!(out, "\nworkflow runs on {}:", e.as_of);
        for run in &e.workflow_runs {
            let _ = writeln!(out, "  {}: {}", t(&run.source), m(&run.summary));
            for (n, task) in run.tasks.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "    {}. {}: {}{}",
                    n + 1,
                    t(&task.task),
                    m(&task.summary),
                    if task.continue_on_error {
                        " (continues on error)"
                    } else {
                        ""
                    }
                );
                if let Some(problem) = &task.problem {
                    let _ = writeln!(out, "       problem: {}", m(problem));
                }
                if let Some(mail) = &task.email {
                    let _ = writeln!(
                        out,
                        "       to: {}",
                        mail.to.as_deref().map_or_else(|| "(nobody)".to_string(), t)
                    );
                    if !mail.cc.is_empty() {
                        let cc: Vec<String> = mail.cc.iter().map(|c| t(c)).collect();
                        let _ = writeln!(out, "       cc: {}", cc.join(", "));
                    }
                    let _ = writeln!(out, "       subject: {}", m(&mail.subject));
                    let _ = writeln!(out, "       body: {}", m(&mail.body));
                }
            }
        }
    }
    if !e.events.is_empty() {
        let _ = writeln!(out, "\nevents on {}:", e.as_of);
        for ev in &e.events {
            let _ = writeln!(
                out,
                "  {} ({}): {}",
                ev.kind.word(),
                t(&ev.source),
                m(&ev.summary)
            );
        }
    }
    if matches!(view, View::Concise) {
        let count = |x: &Option<Vec<MembershipWhy>>| {
            x.as_ref()
                .map_or(0, |l| l.iter().filter(|m| !m.member).count())
        };
        let _ = writeln!(
            out,
            "\n{} attributes, {} groups and {} access packages not held: `--all` shows everything, `--only groups|packages|accounts|attributes|ATTRIBUTE` one topic",
            e.attributes.as_ref().map_or(0, Vec::len),
            count(&e.groups),
            count(&e.access_packages)
        );
    }
    out
}

/// What a carried effect is looked up for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Carried {
    Group,
    Package,
}

/// The last effect of a change-triggered run in force on group or package `name` of the
/// identity (`carried_effects`): an addition (`added`), or a removal of it or of every group
/// (package).
fn carried_effect<'i>(
    identity: &'i IdentityState,
    kind: Carried,
    name: &str,
    added: bool,
) -> Option<&'i crate::governance::carried::CarriedEffect> {
    use crate::governance::carried::{Outcome, What};
    let (one, all) = match kind {
        Carried::Group => (What::Group, What::AllGroups),
        Carried::Package => (What::Package, What::AllPackages),
    };
    identity.carried_effects.iter().rev().find(|c| {
        if added {
            c.what == one && c.effect == Outcome::Added && c.name.as_deref() == Some(name)
        } else {
            c.effect == Outcome::Removed
                && ((c.what == one && c.name.as_deref() == Some(name)) || c.what == all)
        }
    })
}

/// The run of a carried effect in words: "workflow `W`'s run on DATE (carried from the
/// previous state)"; a run of the as-of date itself is not carried yet.
fn carried_words(
    c: &crate::governance::carried::CarriedEffect,
    as_of: chrono::NaiveDate,
) -> String {
    format!("workflow `{}`'s run on {}", c.workflow, run_day(c, as_of))
}

/// The day of a carried effect's run, with `(carried from the previous state)` when it is
/// before the as-of date.
fn run_day(c: &crate::governance::carried::CarriedEffect, as_of: chrono::NaiveDate) -> String {
    if c.date < as_of {
        format!("{} (carried from the previous state)", c.date)
    } else {
        c.date.to_string()
    }
}
