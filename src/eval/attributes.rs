//! Stage 3, identity attributes: a column per attribute, in the dependency graph's order; the
//! columns of one level of the graph (none reads another) are computed in parallel. Then the
//! checks of the `manager` attribute.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::codes::Code;
use crate::column::Column;
use crate::diagnostics::Severity;
use crate::ingest::{DataIssue, Dataset};
use crate::policy::Policy;
use crate::policy::compile::{MappingDef, MappingKind, ProgramKind};
use crate::policy::graph::NodeId;
use crate::rule::sets::Bitset;

use super::columns;
use super::correlate::Person;
use super::locate::Locator;
use super::progress::Progress;

/// What the attribute stage reads.
pub struct Input<'a> {
    /// The checked policy (mappings, programs, graph).
    pub policy: &'a Policy,
    /// The datasets read.
    pub datasets: &'a [Dataset],
    /// The identities, in key order.
    pub people: &'a [Person],
    /// `Now()` and `DefaultDomain()`.
    pub env: columns::Env<'a>,
}

/// What the attribute stage gives: every identity attribute, and who is out of every target.
#[derive(Clone)]
pub struct Attributes {
    /// Identity attributes in declaration order, one column each (NULL where not computed).
    pub columns: Vec<(String, Column)>,
    /// The identities for which some mapping returned `IgnoreObjectFlow`.
    pub ignored: Bitset,
}

impl Attributes {
    /// The column of attribute `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|(a, _)| a == name).map(|(_, c)| c)
    }
}

/// Computes the identity attributes, a column at a time in the graph's order; the columns of
/// one level of the graph are computed in parallel. Failed evaluations are issues at the
/// record and field they come from.
pub fn compute(
    input: Input<'_>,
    locate: &Locator<'_>,
    progress: &mut Progress,
    issues: &mut Vec<DataIssue>,
) -> Attributes {
    let Input {
        policy,
        datasets,
        people,
        env,
    } = input;
    let n = people.len();
    let sources = SourceColumns::new(policy, datasets, people);
    let order = attribute_order(policy);
    let mut level: HashMap<&str, usize> = HashMap::new();
    let mut steps: Vec<(usize, &String, &MappingDef)> = Vec::new();
    for attr in &order {
        let Some(mapping) = policy.mappings.get(&NodeId::Attribute(attr.clone())) else {
            continue;
        };
        let depth = 1 + mapping
            .inputs()
            .filter_map(|n| match n {
                NodeId::Attribute(a) => level.get(a.as_str()).copied(),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        level.insert(attr.as_str(), depth);
        steps.push((depth, attr, mapping));
    }
    let mut attributes: HashMap<&str, Column> = HashMap::new();
    let mut ignored = Bitset::with_capacity(n);
    let deepest = steps.iter().map(|s| s.0).max().unwrap_or(0);
    for depth in 1..=deepest {
        let batch: Vec<&(usize, &String, &MappingDef)> =
            steps.iter().filter(|s| s.0 == depth).collect();
        let results: Vec<columns::Computed> = batch
            .par_iter()
            .map(|(_, attr, mapping)| {
                let (how, inputs) = resolve(policy, mapping, |node| match node {
                    NodeId::SourceField(..) => sources.get(node),
                    NodeId::Attribute(a) => attributes.get(a.as_str()),
                    _ => None,
                });
                columns::compute(attr, how, &inputs, mapping.default.as_deref(), n, None, env)
            })
            .collect();
        for ((_, attr, _), computed) in batch.into_iter().zip(results) {
            progress.tick();
            for (row, d) in computed.errors {
                issues.push(
                    locate
                        .attribute(row, attr, d.code, d.message)
                        .help_opt(d.help.clone()),
                );
            }
            for row in computed.ignore_object {
                ignored.insert(row);
            }
            attributes.insert(attr.as_str(), computed.column);
        }
    }
    drop(sources);
    // Report attributes in declaration order, whatever order they were computed in.
    let attributes: Vec<(String, Column)> = policy
        .attributes
        .keys()
        .map(|k| {
            let column = attributes
                .remove(k.as_str())
                .unwrap_or_else(|| Column::nulls(n));
            (k.clone(), column)
        })
        .collect();
    Attributes {
        columns: attributes,
        ignored,
    }
}

/// The identity-space columns of the source fields that mappings read: each gathered once
/// from its dataset by each identity's record in that source.
struct SourceColumns(HashMap<NodeId, Column>);

impl SourceColumns {
    fn new(policy: &Policy, datasets: &[Dataset], people: &[Person]) -> SourceColumns {
        let mut rows: HashMap<usize, Vec<Option<usize>>> = HashMap::new();
        let mut out = HashMap::new();
        for mapping in policy.mappings.values() {
            for node in mapping.inputs() {
                let NodeId::SourceField(s, f) = node else {
                    continue;
                };
                if out.contains_key(node) {
                    continue;
                }
                let Some((d, data)) = datasets.iter().enumerate().find(|(_, d)| d.source == *s)
                else {
                    continue;
                };
                let Some(field) = data.field_index(f) else {
                    continue;
                };
                let rows = rows.entry(d).or_insert_with(|| {
                    people
                        .iter()
                        .map(|p| p.records.iter().find(|(pd, _)| *pd == d).map(|(_, r)| *r))
                        .collect()
                });
                let column = source_column(data, field).gather(rows.iter().copied());
                out.insert(node.clone(), column);
            }
        }
        SourceColumns(out)
    }

    fn get(&self, node: &NodeId) -> Option<&Column> {
        self.0.get(node)
    }
}

/// The column of one field of a dataset.
fn source_column(data: &Dataset, field: usize) -> Column {
    data.column(field)
        .cloned()
        .unwrap_or_else(|| Column::nulls(data.len()))
}

/// How a mapping is computed and its input columns, by slot.
pub fn resolve<'p, 'c>(
    policy: &'p Policy,
    mapping: &'p MappingDef,
    column: impl Fn(&NodeId) -> Option<&'c Column>,
) -> (columns::How<'p>, Vec<Option<&'c Column>>) {
    match &mapping.kind {
        MappingKind::Direct(node) => (columns::How::Copy, vec![column(node)]),
        MappingKind::Constant(c) => (columns::How::Constant(c), Vec::new()),
        MappingKind::Expression { program, slots } => {
            match policy.programs.get(*program).map(|d| &d.kind) {
                Some(ProgramKind::Expression { program, .. }) => (
                    columns::How::Expression(program),
                    slots.iter().map(|s| s.as_ref().and_then(&column)).collect(),
                ),
                _ => (columns::How::Copy, vec![None]),
            }
        }
    }
}

/// Identity attributes in dependency order (declaration order where the graph is cyclic, which
/// lint has already reported).
fn attribute_order(policy: &Policy) -> Vec<String> {
    match policy.graph.order() {
        Some(order) => order
            .into_iter()
            .filter_map(|n| match n {
                NodeId::Attribute(a) => Some(a.clone()),
                _ => None,
            })
            .collect(),
        None => policy.attributes.keys().cloned().collect(),
    }
}

/// The `manager` attribute must name another identity: report references to nobody, to the
/// person themself, and cycles in the management chain (once per cycle).
pub fn manager_issues(locate: &Locator<'_>, manager: Option<&Column>, issues: &mut Vec<DataIssue>) {
    let Some(manager) = manager else {
        return;
    };
    let people = locate.people;
    let keys: HashMap<&str, usize> = people
        .iter()
        .enumerate()
        .map(|(i, p)| (p.key.as_str(), i))
        .collect();
    // The text of each distinct manager value, once.
    let texts: Vec<Option<String>> = manager
        .dictionary()
        .iter()
        .map(|v| {
            v.as_text()
                .map(|m| m.into_owned())
                .filter(|m| !m.is_empty())
        })
        .collect();
    let issue = |code: Code, severity: Severity, i: usize, message: String, help: &str| {
        locate
            .attribute(i, "manager", code, message)
            .severity(severity)
            .help(help)
    };
    let mut next: Vec<Option<usize>> = vec![None; people.len()];
    for i in 0..people.len() {
        let Some(Some(m)) = texts.get(manager.code(i) as usize) else {
            continue;
        };
        match keys.get(m.as_str()) {
            None => issues.push(issue(
                Code::DataDanglingManager,
                Severity::Warning,
                i,
                format!("manager `{m}` is not an identity"),
                "check the manager reference in the HR data",
            )),
            Some(j) if *j == i => issues.push(issue(
                Code::DataSelfManager,
                Severity::Warning,
                i,
                "is their own manager".into(),
                "the top of the hierarchy should have no manager",
            )),
            Some(j) => {
                if let Some(slot) = next.get_mut(i) {
                    *slot = Some(*j);
                }
            }
        }
    }
    // Cycles: follow each chain; a chain that returns to a node on the current path is a cycle.
    let mut state = vec![0u8; people.len()]; // 0 new, 1 on path, 2 done
    for start in 0..people.len() {
        let mut path = Vec::new();
        let mut cur = Some(start);
        while let Some(c) = cur {
            match state.get(c).copied() {
                Some(0) => {
                    if let Some(s) = state.get_mut(c) {
                        *s = 1;
                    }
                    path.push(c);
                    cur = next.get(c).copied().flatten();
                }
                Some(1) => {
                    let from = path.iter().position(|p| *p == c).unwrap_or(0);
                    let cycle: Vec<&str> = path
                        .get(from..)
                        .unwrap_or(&[])
                        .iter()
                        .filter_map(|i| people.get(*i))
                        .map(|s| s.key.as_str())
                        .collect();
                    let chain = cycle
                        .iter()
                        .chain(cycle.first())
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" -> ");
                    if let Some(first) = path.get(from) {
                        issues.push(issue(
                            Code::DataManagerCycle,
                            Severity::Error,
                            *first,
                            format!("management chain is a cycle: {chain}"),
                            "one of these people needs a different manager",
                        ));
                    }
                    break;
                }
                _ => break,
            }
        }
        for p in path {
            if let Some(s) = state.get_mut(p) {
                *s = 2;
            }
        }
    }
}
